//! Python's record types generated from `api.json`: `_types.py`, one
//! dataclass per object type of `$defs` (fields in core's order, required
//! ones first as Python demands, docstrings from core's doc comments,
//! defaults from core's `#[serde(default)]`), and one flat dataclass plus a
//! `…Kind` enum per tagged union (`ConflictDetail`).
//!
//! The field annotations are the whole metadata the generic converter
//! (`_convert.py`) needs: it reads them to know which fields are ids,
//! dates, instants, local times, durations, nested records, lists, maps or
//! opaque JSON. What a type does beyond its fields (table helpers,
//! constructors, `Policy.from_toml`) is hand-written in `_methods.py`: a
//! class `XMethods` there becomes the base of the generated `X`.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::python::{self, docstring, python_name};
use crate::{pascal, tag_of, GENERATED};

/// Names Python has used for a type since before it was generated.
const ALIASES: &[(&str, &str)] = &[("Page", "PatientPage")];

/// Records hosts keep as values (hashable, never changed after reading).
const FROZEN: &[&str] = &["AuditCheckpoint"];

/// The `$defs` name a `$ref` points to.
fn ref_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
}

/// Whether `$defs[name]` is a code enum (a `oneOf` of string consts).
fn is_code_enum(defs: &Map<String, Value>, name: &str) -> bool {
    defs.get(name)
        .and_then(|d| d.get("oneOf"))
        .and_then(Value::as_array)
        .is_some_and(|v| v.iter().all(|v| v.get("const").is_some()))
}

/// The Python annotation of a field's schema (`nullable`: whether it may
/// be `null`).
fn annotation(defs: &Map<String, Value>, schema: &Value) -> (String, bool) {
    if let Some(name) = ref_name(schema) {
        let def = defs.get(name).cloned().unwrap_or(Value::Null);
        let text = match (name, def.get("format").and_then(Value::as_str)) {
            ("Minutes", _) => "_dt.timedelta".to_owned(),
            // Raw bytes, carried beside the JSON text (`_convert.bridge`).
            (_, Some("bytes")) => "bytes".to_owned(),
            (_, Some("uuid")) => "UUID".to_owned(),
            (_, Some("decimal")) => "_decimal.Decimal".to_owned(),
            _ => name.to_owned(),
        };
        return (text, false);
    }
    if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
        let kinds: Vec<&Value> = options
            .iter()
            .filter(|o| o.get("type").and_then(Value::as_str) != Some("null"))
            .collect();
        if let [only] = kinds.as_slice() {
            return (annotation(defs, only).0, kinds.len() < options.len());
        }
    }
    let Some((kind, nullable)) = python::json_type(schema) else {
        // No type: opaque JSON (a FHIR resource, an event payload).
        return ("Dict[str, Any]".to_owned(), false);
    };
    let text = match (kind, schema.get("format").and_then(Value::as_str)) {
        ("string", Some("uuid")) => "UUID".to_owned(),
        ("string", Some("decimal")) => "_decimal.Decimal".to_owned(),
        ("string", Some("date-time")) => "_dt.datetime".to_owned(),
        ("string", Some("date")) => "_dt.date".to_owned(),
        ("string", Some("partial-time")) => "_dt.time".to_owned(),
        ("string", _) => "str".to_owned(),
        ("integer", _) => "int".to_owned(),
        ("number", _) => "float".to_owned(),
        ("boolean", _) => "bool".to_owned(),
        ("array", _) => format!(
            "List[{}]",
            annotation(defs, schema.get("items").unwrap_or(&Value::Null)).0
        ),
        ("object", _) => match schema.get("additionalProperties") {
            Some(items) if items.is_object() => {
                format!("Dict[str, {}]", annotation(defs, items).0)
            }
            _ => "Dict[str, Any]".to_owned(),
        },
        _ => "Any".to_owned(),
    };
    (text, nullable)
}

/// A default value of core's serde form as a Python expression.
fn default_expr(defs: &Map<String, Value>, schema: &Value, value: &Value) -> String {
    let target = ref_name(schema).or_else(|| {
        schema
            .get("anyOf")
            .and_then(Value::as_array)
            .and_then(|o| o.iter().find_map(ref_name))
    });
    match (value, target) {
        (Value::Null, _) => "None".to_owned(),
        (Value::Bool(b), _) => if *b { "True" } else { "False" }.to_owned(),
        (Value::Number(n), Some("Minutes")) => format!("_dt.timedelta(minutes={n})"),
        (Value::Number(n), _) => n.to_string(),
        (Value::String(s), Some(name)) if is_code_enum(defs, name) => format!("{name}({s:?})"),
        (Value::String(s), _) => format!("{s:?}"),
        (Value::Array(items), _) if items.is_empty() => {
            "_dc.field(default_factory=list)".to_owned()
        }
        // A record's default is its own (core's `Default`, all fields at
        // their defaults): the record built without arguments.
        (Value::Object(_), Some(name)) if !is_code_enum(defs, name) => {
            format!("_dc.field(default_factory={name})")
        }
        (Value::Object(map), None) if map.is_empty() => {
            "_dc.field(default_factory=dict)".to_owned()
        }
        // A default Python cannot spell as a literal: core's, by omission.
        _ => "None".to_owned(),
    }
}

/// One generated field.
struct Field {
    name: String,
    annotation: String,
    default: Option<String>,
    doc: String,
}

/// The fields of an object schema, in core's order, required ones first.
fn fields(defs: &Map<String, Value>, schema: &Value, all_optional: bool) -> Vec<Field> {
    let required: BTreeSet<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let order: Vec<String> = match schema.get("x-order").and_then(Value::as_array) {
        Some(order) => order
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        None => crate::properties(schema),
    };
    let mut out: Vec<Field> = Vec::new();
    for name in order {
        let property = &schema["properties"][&name];
        let (mut ty, nullable) = annotation(defs, property);
        let default = if required.contains(name.as_str()) && !all_optional {
            None
        } else if let Some(value) = property.get("default") {
            Some(default_expr(defs, property, value))
        } else if ty.starts_with("List[") && !nullable && !all_optional {
            Some("_dc.field(default_factory=list)".to_owned())
        } else {
            Some("None".to_owned())
        };
        if nullable || default.as_deref() == Some("None") {
            ty = format!("Optional[{ty}]");
        }
        out.push(Field {
            name: python_name(&name),
            annotation: ty,
            default,
            doc: property["description"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        });
    }
    out.sort_by_key(|f| f.default.is_some()); // stable: core's order within each group
    out
}

/// A docstring's text at `indent`.
fn doc_at(text: &str, indent: &str) -> String {
    docstring(text).replace("\n        ", &format!("\n{indent}"))
}

/// One dataclass.
fn dataclass(name: &str, schema: &Value, fields: &[Field], mixins: &BTreeSet<String>) -> String {
    let shown = schema.get("x-shown").and_then(Value::as_array);
    let mut options = Vec::new();
    if shown.is_some() {
        options.push("repr=False");
    }
    if FROZEN.contains(&name) {
        options.push("frozen=True");
    }
    let decorator = if options.is_empty() {
        "@_dc.dataclass".to_owned()
    } else {
        format!("@_dc.dataclass({})", options.join(", "))
    };
    let methods = format!("{name}Methods");
    let base = if mixins.contains(&methods) {
        format!("({methods})")
    } else {
        String::new()
    };
    let mut out = format!(
        "\n\n{decorator}\nclass {name}{base}:\n    \"\"\"{}\"\"\"\n",
        doc_at(schema["description"].as_str().unwrap_or_default(), "    ")
    );
    for f in fields {
        match &f.default {
            Some(d) => out.push_str(&format!("\n    {}: {} = {d}\n", f.name, f.annotation)),
            None => out.push_str(&format!("\n    {}: {}\n", f.name, f.annotation)),
        }
        if !f.doc.is_empty() {
            out.push_str(&format!("    \"\"\"{}\"\"\"\n", doc_at(&f.doc, "    ")));
        }
    }
    if let Some(shown) = shown {
        let names: Vec<String> = shown
            .iter()
            .filter_map(Value::as_str)
            .map(|s| format!("{s:?}, "))
            .collect();
        out.push_str(&format!(
            "\n    def __repr__(self) -> str:\n        \
             # Only the fields core shows; the others can hold patient data.\n        \
             return _shown(self, ({}))\n",
            names.concat()
        ));
    }
    out
}

/// A tagged union (`{"kind": "stale_version", …}`) as a `…Kind` enum of
/// its tags and one dataclass with the tag and every variant's fields
/// (each optional: which are set depends on the tag).
fn tagged_union(
    name: &str,
    schema: &Value,
    variants: &[Value],
    defs: &Map<String, Value>,
    mixins: &BTreeSet<String>,
) -> (String, Vec<String>) {
    let mut tag_field = String::from("kind");
    let mut tags = Vec::new();
    let mut merged = Map::new();
    let mut order = Vec::new();
    // Variants that wrap a record (`{"$ref": …, "kind": tag}`): their
    // fields may clash (an encounter's and an observation's `status`), so
    // each record is a field named after its tag, not merged.
    let wrapped = variants.iter().any(|v| v.get("$ref").is_some());
    for variant in variants {
        if let Some((field, tag)) = tag_of(variant) {
            tag_field = field;
            tags.push((
                tag.clone(),
                variant["description"].as_str().unwrap_or_default(),
            ));
            if let (true, Some(record)) = (wrapped, ref_name(variant)) {
                order.push(Value::String(tag.clone()));
                merged.insert(
                    tag,
                    serde_json::json!({
                        "$ref": format!("#/$defs/{record}"),
                        "description": variant["description"],
                    }),
                );
                continue;
            }
        }
        for f in fields(defs, variant, true) {
            if f.name != tag_field && !merged.contains_key(&f.name) {
                order.push(Value::String(f.name.clone()));
                merged.insert(f.name.clone(), variant["properties"][&f.name].clone());
            }
        }
    }
    // `ConflictDetail` → `ConflictKind`: the enum of its tags.
    let kind = format!("{}{}", name.trim_end_matches("Detail"), pascal(&tag_field));
    let mut out = format!(
        "\n\nclass {kind}(str, enum.Enum):\n    \"\"\"The kinds of ``{name}`` (its ``{tag_field}``).\"\"\"\n\n"
    );
    for (tag, doc) in &tags {
        out.push_str(&format!(
            "    {} = {tag:?}\n    \"\"\"{}\"\"\"\n",
            tag.to_ascii_uppercase(),
            doc_at(doc, "    ")
        ));
    }
    let flat = serde_json::json!({
        "description": schema["description"],
        "properties": merged,
        "x-order": order,
    });
    let mut all = vec![Field {
        name: tag_field.clone(),
        annotation: kind.clone(),
        default: None,
        doc: format!("Which kind of {name} this is; it says which other fields are set."),
    }];
    all.extend(fields(defs, &flat, true));
    let mut class = dataclass(name, &flat, &all, mixins);
    if wrapped {
        // `_convert.py` reads it: the record of the tag's field, flattened
        // beside the tag on the wire.
        class.push_str(&format!(
            "\n    _wraps_by: ClassVar[str] = {tag_field:?}\n    \"\"\"The wire flattens the field named by this tag.\"\"\"\n"
        ));
    }
    out.push_str(&class);
    (out, vec![kind, name.to_owned()])
}

/// The `XMethods` classes `_methods.py` defines.
pub fn mixins(methods_py: &str) -> BTreeSet<String> {
    methods_py
        .lines()
        .filter_map(|line| line.strip_prefix("class "))
        .filter_map(|rest| rest.split(['(', ':']).next())
        .filter(|name| name.ends_with("Methods"))
        .map(str::to_owned)
        .collect()
}

/// Python base classes some error codes add (the host's idiom: bad input is
/// a `ValueError`, a missing entity a `KeyError`).
const ERROR_BASES: &[(&str, &str)] = &[
    ("validation", "ValueError"),
    ("not_found", "KeyError"),
    ("invalid_policy", "ValueError"),
    ("unsupported_store", "ValueError"),
];

/// `_errors.py`: one exception class per variant of core's `Error` (its
/// `code`), each detail a constructor parameter and attribute of the same
/// name; `_error_base.py` holds the base class and the one mapping.
fn errors(defs: &Map<String, Value>) -> String {
    let mut out = format!(
        "# {GENERATED}\n\"\"\"One exception class per code of core's error (``Error``), each\n\
         detail of core's serialized form an attribute. Messages and attributes\n\
         never carry patient data.\"\"\"\n\n\
         from __future__ import annotations\n\n\
         import datetime as _dt\n\
         from typing import Any, Dict, List, Optional, Sequence, Type\n\
         from uuid import UUID\n\n\
         from ._enums import *  # noqa: F403\n\
         from ._error_base import CarebaseError, _from_native\n\
         from ._types import *  # noqa: F403\n\n\
         _USED = (_dt, Any, Optional, UUID, _from_native)\n"
    );
    let mut classes = Vec::new();
    for variant in defs["Error"]["oneOf"].as_array().into_iter().flatten() {
        let Some(code) = variant["properties"]["code"]["const"].as_str() else {
            continue;
        };
        let class = format!("{}Error", pascal(code));
        let base = ERROR_BASES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, b)| format!(", {b}"))
            .unwrap_or_default();
        let details: Vec<Field> = fields(defs, variant, false)
            .into_iter()
            .filter(|f| f.name != "code")
            .collect();
        let mut params = vec!["self".to_owned(), "message: str".to_owned()];
        let mut body = vec!["        super().__init__(message)".to_owned()];
        let mut defaults = Vec::new();
        for f in &details {
            let (param, store) = match f.annotation.strip_prefix("List[") {
                Some(item) => (
                    format!("Sequence[{item}"),
                    format!("self.{0}: {1} = list({0})", f.name, f.annotation),
                ),
                None => (f.annotation.clone(), format!("self.{0} = {0}", f.name)),
            };
            let default = if f.annotation.starts_with("Optional[") {
                Some("None")
            } else if f.annotation.starts_with("List[") {
                Some("()")
            } else if f.annotation == "str" {
                Some("\"\"")
            } else {
                None
            };
            defaults.push(default);
            params.push(format!("{}: {param}", f.name));
            body.push(format!("        {store}"));
        }
        // Only trailing parameters keep a default (Python's rule).
        let mut required_after = false;
        for (i, d) in defaults.iter().enumerate().rev() {
            match d {
                Some(d) if !required_after => params[i + 2].push_str(&format!(" = {d}")),
                _ => required_after = true,
            }
        }
        let mut doc = variant["description"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        for f in &details {
            if !f.doc.is_empty() {
                doc.push_str(&format!("\n\n``{}``: {}", f.name, f.doc));
            }
        }
        out.push_str(&format!(
            "\n\nclass {class}(CarebaseError{base}):\n    \"\"\"{}\"\"\"\n\n    code = {code:?}\n\n    \
             def __init__(\n        {},\n    ) -> None:\n{}\n",
            doc_at(&doc, "    "),
            params.join(",\n        "),
            body.join("\n"),
        ));
        classes.push((code.to_owned(), class));
    }
    out.push_str("\n\n_BY_CODE: Dict[str, Type[CarebaseError]] = {\n");
    for (code, class) in &classes {
        out.push_str(&format!("    {code:?}: {class},\n"));
    }
    out.push_str("}\n\n__all__ = [\n    \"CarebaseError\",\n");
    for (_, class) in &classes {
        out.push_str(&format!("    \"{class}\",\n"));
    }
    out.push_str("]\n");
    out
}

/// `_functions.py`: core's host functions (`host_functions!`: new ids,
/// default policy, policy documents, event types, actor constructors) as
/// typed Python functions through the native door (`call_function`).
fn functions(document: &Value, defs: &Map<String, Value>) -> Result<String, String> {
    let mut out = format!(
        "# {GENERATED}\n\"\"\"Core's host functions (``host_functions!``) as typed functions;\n\
         each is a ``@bridge`` to ``_native.call_function``.\"\"\"\n\n\
         from __future__ import annotations\n\n\
         from typing import List, Optional, Tuple\n\
         from uuid import UUID\n\n\
         from ._convert import bridge\n\
         from ._enums import *  # noqa: F403\n\
         from ._methods import IdLike, Records\n\
         from ._types import *  # noqa: F403\n\n\
         _USED = (List, Optional, Tuple, UUID, IdLike, Records)\n"
    );
    for function in document["functions"].as_array().into_iter().flatten() {
        let name = function["name"].as_str().unwrap_or_default();
        let params: Vec<String> = python::parameters(defs, function)?
            .into_iter()
            .map(|p| match p.default {
                Some(d) => format!("{}: {} = {d}", p.name, p.annotation),
                None => format!("{}: {}", p.name, p.annotation),
            })
            .collect();
        let returns = python::python_type(
            defs,
            function["returns"]["type"].as_str().unwrap_or("()"),
            python::Side::Result,
        );
        out.push_str(&format!(
            "\n\n@bridge\ndef {name}({}) -> {returns}:\n    \"\"\"{}\"\"\"\n    raise NotImplementedError  # replaced by @bridge\n",
            params.join(", "),
            doc_at(function["doc"].as_str().unwrap_or_default(), "    "),
        ));
    }
    Ok(out)
}

/// `__init__.py`: the package's public names, each imported by name (what
/// mypy and stubtest read), from the generated modules and the few
/// hand-written ones.
fn init(defs: &Map<String, Value>, types: &[String], enums: &[String]) -> String {
    let errors: Vec<String> = std::iter::once("CarebaseError".to_owned())
        .chain(
            defs["Error"]["oneOf"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v["properties"]["code"]["const"].as_str())
                .map(|code| format!("{}Error", pascal(code))),
        )
        .collect();
    let modules: [(&str, Vec<String>); 6] = [
        (
            "_clinic",
            ["Clinic", "ManualClock", "open"]
                .map(str::to_owned)
                .to_vec(),
        ),
        ("_enums", enums.to_vec()),
        ("_errors", errors),
        (
            "_functions",
            ["event_schema", "event_types", "new_id"]
                .map(str::to_owned)
                .to_vec(),
        ),
        (
            "_methods",
            ["DEFAULT_POLICY_TOML", "IdLike", "Records"]
                .map(str::to_owned)
                .to_vec(),
        ),
        ("_types", types.to_vec()),
    ];
    let mut out = format!(
        "# {GENERATED}\n\"\"\"carebase: the rules of a clinic (patients, access policy, tamper-evident\n\
         audit, outbox events, scheduling), embedded in Python.\n\n\
         \x20   import carebase\n\
         \x20   clinic = carebase.open(\"sqlite://clinic.db\")\n\
         \x20   desk = carebase.Actor.new(carebase.Role.FRONT_DESK)\n\
         \x20   patient = clinic.register_patient(desk, carebase.PatientDetails(names=[carebase.HumanName(family=\"Doe\")]))\n\n\
         Every operation is synchronous, releases the GIL while core works, and\n\
         raises a ``CarebaseError`` subclass per error code. The record types,\n\
         enums and this list of names are generated from core's.\n\"\"\"\n\n"
    );
    let mut all = Vec::new();
    for (module, names) in &modules {
        out.push_str(&format!("from .{module} import (\n"));
        for name in names {
            out.push_str(&format!("    {name},\n"));
            all.push(name.clone());
        }
        out.push_str(")\n");
    }
    all.sort();
    out.push_str("\n__all__ = [\n");
    for name in all {
        out.push_str(&format!("    \"{name}\",\n"));
    }
    out.push_str("]\n");
    out
}

/// `_types.py`, `_errors.py`, `_functions.py` and `__init__.py`, given the
/// text of `_methods.py`.
pub fn generate(
    document: &Value,
    defs: &Map<String, Value>,
    methods_py: &str,
) -> Result<Vec<(&'static str, String)>, String> {
    let mixins = mixins(methods_py);
    let mut body = String::new();
    let mut names = Vec::new();
    for (name, schema) in defs {
        if name == "Error" {
            continue; // `_errors.py`: one exception class per code
        }
        if schema.get("properties").is_some() {
            let fields = fields(defs, schema, false);
            body.push_str(&dataclass(name, schema, &fields, &mixins));
            names.push(name.clone());
        } else if let Some(variants) = schema.get("oneOf").and_then(Value::as_array) {
            if variants.iter().all(|v| v.get("properties").is_some()) {
                let (text, defined) = tagged_union(name, schema, variants, defs, &mixins);
                body.push_str(&text);
                names.extend(defined);
            }
        }
    }
    let mut aliases = String::new();
    for (alias, name) in ALIASES {
        aliases.push_str(&format!("\n\n{alias} = {name}\n"));
        names.push((*alias).to_owned());
    }
    names.sort();
    let used: Vec<String> = mixins
        .iter()
        .cloned()
        .chain(["_shown".to_owned()])
        .collect();
    let mut out = format!(
        "# {GENERATED}\n\"\"\"Every record type of core as a Python dataclass: fields, order,\n\
         defaults and docs are core's; annotations say how each field crosses\n\
         (``_convert.py`` reads them). Methods come from ``_methods.py``.\"\"\"\n\n\
         from __future__ import annotations\n\n\
         import dataclasses as _dc\n\
         import datetime as _dt\n\
         import decimal as _decimal\n\
         import enum\n\
         from typing import Any, ClassVar, Dict, List, Optional\n\
         from uuid import UUID\n\n\
         from ._enums import *  # noqa: F403\n\
         from ._methods import (\n"
    );
    for name in &used {
        out.push_str(&format!("    {name},\n"));
    }
    out.push_str(")\n\n__all__ = [\n");
    for name in &names {
        out.push_str(&format!("    \"{name}\",\n"));
    }
    out.push_str("]\n\n_USED = (Any, Dict, List)\n");
    out.push_str(&body);
    out.push_str(&aliases);
    let enums: Vec<String> = defs
        .iter()
        .filter(|(name, _)| is_code_enum(defs, name))
        .map(|(name, _)| name.clone())
        .collect();
    Ok(vec![
        ("_types.py", out),
        ("_errors.py", errors(defs)),
        ("_functions.py", functions(document, defs)?),
        ("__init__.py", init(defs, &names, &enums)),
    ])
}
