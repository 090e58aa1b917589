//! The Python host code generated from `api.json`: `_operations.py`, the
//! typed method of every operation of core's list (mixed into `Clinic`),
//! each one a `@bridge` to the native entry point. Types map by one table
//! (`python_type`), so a new operation costs no Python line.

use serde_json::{Map, Value};

use crate::GENERATED;

/// A Rust type as written in the operation list, split at its first `<`:
/// `Option<Vec<Role>>` is `("Option", Some("Vec<Role>"))`.
fn split(ty: &str) -> (&str, Option<&str>) {
    match (ty.find('<'), ty.strip_suffix('>')) {
        (Some(open), Some(inner)) => (&ty[..open], Some(&inner[open + 1..])),
        _ => (ty, None),
    }
}

/// Whether `$defs[name]` is an id (a uuid string).
fn is_id(defs: &Map<String, Value>, name: &str) -> bool {
    defs.get(name)
        .and_then(|d| d.get("format"))
        .and_then(Value::as_str)
        == Some("uuid")
}

/// Where a type appears: what a host hands in (ids may be text) or what
/// core gives back (lists convert to tables).
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Side {
    Argument,
    Result,
}

/// The Python annotation of a Rust type of the list.
pub(crate) fn python_type(defs: &Map<String, Value>, ty: &str, side: Side) -> String {
    match split(ty) {
        ("Option", Some(inner)) => format!("Optional[{}]", python_type(defs, inner, side)),
        ("Vec", Some(inner)) if side == Side::Result => {
            format!("Records[{}]", python_type(defs, inner, side))
        }
        ("Vec", Some(inner)) => format!("List[{}]", python_type(defs, inner, side)),
        ("Page", Some(_)) => "Page".to_owned(),
        // uniffi has no generics: core's page of patients is the concrete
        // `PatientPage`, Python's `Page`.
        ("PatientPage", None) => "Page".to_owned(),
        ("DateTime", Some(_)) => "datetime".to_owned(),
        ("NaiveDate", None) => "date".to_owned(),
        ("String", None) => "str".to_owned(),
        ("bool", None) => "bool".to_owned(),
        ("f64", None) => "float".to_owned(),
        ("Count32" | "Count64" | "u16" | "u32" | "u64" | "i32" | "i64" | "usize", None) => {
            "int".to_owned()
        }
        ("Minutes", None) => "timedelta".to_owned(),
        // Raw bytes: carried beside the JSON text (`_convert.bridge`).
        ("Bytes", None) => "bytes".to_owned(),
        ("Value", None) => "Dict[str, Any]".to_owned(),
        ("()", None) => "None".to_owned(),
        (tuple, None) if tuple.starts_with('(') => {
            let items: Vec<String> = tuple
                .trim_matches(['(', ')'])
                .split(',')
                .map(|item| python_type(defs, item, side))
                .collect();
            format!("Tuple[{}]", items.join(", "))
        }
        (name, None) if is_id(defs, name) => match side {
            Side::Argument => "IdLike".to_owned(),
            Side::Result => "UUID".to_owned(),
        },
        (name, _) => name.to_owned(),
    }
}

/// A schema's JSON `type` other than `null`, and whether `null` is allowed
/// too (`"type": ["string", "null"]`); `None` when it names no type (opaque
/// JSON).
pub(crate) fn json_type(schema: &Value) -> Option<(&str, bool)> {
    match schema.get("type") {
        Some(Value::String(kind)) => Some((kind.as_str(), false)),
        Some(Value::Array(kinds)) => Some((
            kinds
                .iter()
                .filter_map(Value::as_str)
                .find(|k| *k != "null")
                .unwrap_or("null"),
            kinds.iter().any(|k| k == "null"),
        )),
        _ => None,
    }
}

/// The Python annotation of a property schema (a field of a flattened
/// argument bundle).
fn schema_type(defs: &Map<String, Value>, schema: &Value) -> String {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return python_type(defs, name, Side::Argument);
    }
    if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
        let kinds: Vec<&Value> = options
            .iter()
            .filter(|o| o.get("type").and_then(Value::as_str) != Some("null"))
            .collect();
        if let [only] = kinds.as_slice() {
            return format!("Optional[{}]", schema_type(defs, only));
        }
    }
    let Some((kind, nullable)) = json_type(schema) else {
        return "Dict[str, Any]".to_owned(); // opaque JSON (a FHIR resource)
    };
    let format = schema.get("format").and_then(Value::as_str);
    let base = match (kind, format) {
        ("string", Some("uuid")) => "IdLike".to_owned(),
        ("string", Some("date-time")) => "datetime".to_owned(),
        ("string", Some("date")) => "date".to_owned(),
        ("string", Some("bytes")) => "bytes".to_owned(),
        ("string", _) => "str".to_owned(),
        ("integer", _) => "int".to_owned(),
        ("number", _) => "float".to_owned(),
        ("boolean", _) => "bool".to_owned(),
        ("array", _) => match schema.get("items") {
            Some(items) if items.is_object() => format!("List[{}]", schema_type(defs, items)),
            _ => "List[Any]".to_owned(),
        },
        ("object", _) => match schema.get("additionalProperties") {
            Some(items) if items.is_object() => format!("Dict[str, {}]", schema_type(defs, items)),
            _ => "Dict[str, Any]".to_owned(),
        },
        _ => "Any".to_owned(),
    };
    if nullable {
        format!("Optional[{base}]")
    } else {
        base
    }
}

/// A parameter: its Python name, annotation and default (`None`: required).
pub(crate) struct Parameter {
    pub(crate) name: String,
    pub(crate) annotation: String,
    pub(crate) default: Option<String>,
}

/// Python spells a parameter named like a keyword with a trailing `_`
/// (`from_`); the JSON name drops it again (`_convert.wire_name`).
pub(crate) fn python_name(name: &str) -> String {
    match name {
        "from" | "import" | "in" | "is" | "class" | "global" | "lambda" => format!("{name}_"),
        _ => name.to_owned(),
    }
}

pub(crate) fn parameters(defs: &Map<String, Value>, op: &Value) -> Result<Vec<Parameter>, String> {
    let mut out = Vec::new();
    for arg in op["args"].as_array().into_iter().flatten() {
        let name = arg["name"].as_str().unwrap_or_default();
        let ty = arg["type"].as_str().unwrap_or_default();
        if arg["flatten"] == true {
            let bundle = defs
                .get(ty)
                .ok_or_else(|| format!("flattened argument type {ty} is not in $defs"))?;
            let required: Vec<&str> = bundle["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            for field in bundle["x-order"].as_array().into_iter().flatten() {
                let field = field.as_str().unwrap_or_default();
                let schema = &bundle["properties"][field];
                let mut annotation = schema_type(defs, schema);
                let default = if required.contains(&field) {
                    None
                } else if schema.get("default") == Some(&Value::Bool(false)) {
                    Some("False".to_owned())
                } else {
                    if !annotation.starts_with("Optional[") {
                        annotation = format!("Optional[{annotation}]");
                    }
                    Some("None".to_owned())
                };
                out.push(Parameter {
                    name: python_name(field),
                    annotation,
                    default,
                });
            }
        } else if arg["default"] == true {
            out.push(Parameter {
                name: python_name(name),
                annotation: format!("Optional[{}]", python_type(defs, ty, Side::Argument)),
                default: Some("None".to_owned()),
            });
        } else {
            let annotation = python_type(defs, ty, Side::Argument);
            let default = annotation
                .starts_with("Optional[")
                .then(|| "None".to_owned());
            out.push(Parameter {
                name: python_name(name),
                annotation,
                default,
            });
        }
    }
    // Only trailing parameters keep a default (Python's rule).
    let mut required_after = false;
    for p in out.iter_mut().rev() {
        if p.default.is_none() {
            required_after = true;
        } else if required_after {
            p.default = None;
        }
    }
    Ok(out)
}

/// Core's doc comment as a docstring: intra-doc links become plain code.
pub(crate) fn docstring(doc: &str) -> String {
    let mut text = String::new();
    let mut rest = doc;
    while let Some(start) = rest.find("[`") {
        text.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("`]") else {
            text.push_str(&rest[start..]);
            rest = "";
            break;
        };
        text.push_str("``");
        text.push_str(&after[..end]);
        text.push_str("``");
        rest = &after[end + 2..];
        if rest.starts_with('(') {
            rest = rest
                .find(')')
                .map(|close| &rest[close + 1..])
                .unwrap_or(rest);
        }
    }
    text.push_str(rest);
    let text = text.replace('\\', "\\\\").replace("\"\"\"", "'''");
    let mut lines = text.lines();
    let mut out = lines.next().unwrap_or_default().to_owned();
    for line in lines {
        out.push('\n');
        if !line.is_empty() {
            out.push_str("        ");
            out.push_str(line);
        }
    }
    out
}

/// `_operations.py`.
fn operations(document: &Value, defs: &Map<String, Value>) -> Result<String, String> {
    let mut out = format!(
        "# {GENERATED}\n\"\"\"Every operation of core's list (``clinic_operations!``) as a typed\n\
         ``Clinic`` method; each is a ``@bridge`` to the native entry point\n\
         (``_native.Clinic.call``).\"\"\"\n\n\
         from __future__ import annotations\n\n\
         from datetime import date, datetime, timedelta\n\
         from typing import Any, Dict, List, Optional\n\
         from uuid import UUID\n\n\
         from ._convert import bridge\n\
         from ._enums import *  # noqa: F403\n\
         from ._methods import IdLike, Records\n\
         from ._types import *  # noqa: F403\n\n\
         __all__ = [\"ClinicOperations\"]\n\n\
         _USED = (date, datetime, timedelta, Any, Dict, List, Optional, UUID)\n\n\n\
         class ClinicOperations:\n    \"\"\"The operations of ``carebase::Clinic`` (mixed into ``Clinic``).\"\"\"\n"
    );
    for op in document["operations"].as_array().into_iter().flatten() {
        let name = op["name"].as_str().unwrap_or_default();
        let mut signature = vec!["self".to_owned()];
        if op["takes_actor"] == true {
            signature.push("actor: Actor".to_owned());
        }
        for p in parameters(defs, op)? {
            signature.push(match p.default {
                Some(default) => format!("{}: {} = {default}", p.name, p.annotation),
                None => format!("{}: {}", p.name, p.annotation),
            });
        }
        let returns = python_type(
            defs,
            op["returns"]["type"].as_str().unwrap_or("()"),
            Side::Result,
        );
        out.push_str(&format!(
            "\n    @bridge\n    def {name}(\n        {}\n    ) -> {returns}:\n        \"\"\"{}\"\"\"\n        raise NotImplementedError  # replaced by @bridge\n",
            signature.join(",\n        ") + ",",
            docstring(op["doc"].as_str().unwrap_or_default()),
        ));
    }
    Ok(out)
}

/// `CamelCase` → `UPPER_SNAKE` (a code enum's Rust variant → its Python member).
fn upper_snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// A schema description as the text of a docstring (one level of indent).
fn described(schema: &Value, indent: &str) -> String {
    let text = docstring(schema["description"].as_str().unwrap_or_default());
    text.replace("\n        ", &format!("\n{indent}"))
}

/// The code enums of `$defs` (a `oneOf` of string consts with `x-name`).
fn code_enums(defs: &Map<String, Value>) -> Vec<(&String, &Vec<Value>)> {
    defs.iter()
        .filter_map(|(name, schema)| {
            let variants = schema.get("oneOf")?.as_array()?;
            variants
                .iter()
                .all(|v| v.get("const").is_some() && v.get("x-name").is_some())
                .then_some((name, variants))
        })
        .collect()
}

/// `_enums.py`: every code enum as a `str`-valued `enum.Enum` whose members
/// are the Rust variants in `UPPER_SNAKE` and whose values are the codes.
fn enums(defs: &Map<String, Value>) -> String {
    let all = code_enums(defs);
    let mut out = format!(
        "# {GENERATED}\n\"\"\"Every code enum of core (``code_enum!``) as a ``str``-valued\n\
         ``enum.Enum``: members are core's variants, values the stable codes.\"\"\"\n\n\
         from __future__ import annotations\n\n\
         import enum\n\n\
         __all__ = [\n"
    );
    for (name, _) in &all {
        out.push_str(&format!("    \"{name}\",\n"));
    }
    out.push_str("]\n");
    for (name, variants) in &all {
        out.push_str(&format!(
            "\n\nclass {name}(str, enum.Enum):\n    \"\"\"{}\"\"\"\n\n",
            described(&defs[name.as_str()], "    ")
        ));
        for v in *variants {
            let member = upper_snake(v["x-name"].as_str().unwrap_or_default());
            let code = v["const"].as_str().unwrap_or_default();
            out.push_str(&format!("    {member} = \"{code}\"\n"));
            if v.get("description").is_some() {
                out.push_str(&format!("    \"\"\"{}\"\"\"\n", described(v, "    ")));
            }
        }
    }
    out
}

/// Every generated Python file, by path under `python/carebase`.
pub fn generate(
    document: &Value,
    defs: &Map<String, Value>,
) -> Result<Vec<(&'static str, String)>, String> {
    Ok(vec![
        ("_enums.py", enums(defs)),
        ("_operations.py", operations(document, defs)?),
    ])
}
