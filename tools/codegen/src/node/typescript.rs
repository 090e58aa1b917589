//! `index.d.ts`: every type, the `Clinic` class and the host functions,
//! with core's doc comments as JSDoc.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::schema::{camel, is_event, kind_of, non_null, ordered, ref_name};
use super::shapes::Shapes;
use super::{params, signature};
use crate::GENERATED;

/// The named types a schema reaches.
pub(super) fn reach(schema: &Value, defs: &Map<String, Value>, out: &mut BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(name) = ref_name(schema) {
                if out.insert(name.to_owned()) {
                    if let Some(def) = defs.get(name) {
                        reach(def, defs, out);
                    }
                }
            }
            for value in map.values() {
                reach(value, defs, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| reach(i, defs, out)),
        _ => {}
    }
}

/// Which side of a call a TypeScript type is written for.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Side {
    /// What a host hands in: instants and dates also as text.
    In,
    /// What core answers.
    Out,
}

/// Writes the TypeScript of schemas.
pub(super) struct Ts {
    /// Types whose input form is declared apart, as `NameInput`.
    pub(super) split: BTreeSet<String>,
}

impl Ts {
    pub(super) fn named(&self, name: &str, side: Side) -> String {
        if side == Side::In && self.split.contains(name) {
            format!("{name}Input")
        } else {
            name.to_owned()
        }
    }

    /// The type of a schema, and whether it admits `null`.
    pub(super) fn of(&self, schema: &Value, side: Side) -> (String, bool) {
        if let Some(name) = ref_name(schema) {
            return (self.named(name, side), false);
        }
        if let Some(options) = non_null(schema) {
            let nullable = options.len() < schema["anyOf"].as_array().map_or(0, Vec::len);
            let types: Vec<String> = options.iter().map(|o| self.of(o, side).0).collect();
            return (types.join(" | "), nullable);
        }
        if let Some(variants) = schema.get("oneOf").and_then(Value::as_array) {
            let types: Vec<String> = variants.iter().map(|v| self.variant(v, side)).collect();
            return (types.join(" | "), false);
        }
        if let Some(value) = schema.get("const") {
            return (value.to_string().replace('"', "'"), false);
        }
        let (kind, nullable) = kind_of(schema);
        let format = schema.get("format").and_then(Value::as_str);
        let ty = match (kind, format, side) {
            // Raw bytes, carried beside the JSON text: any `Uint8Array` in,
            // a `Buffer` (a `Uint8Array`) back; typed without @types/node.
            (Some("string"), Some("bytes"), _) => "Uint8Array".to_owned(),
            (Some("string"), Some("date-time"), Side::Out) => "Date".to_owned(),
            (Some("string"), Some("date-time" | "date"), Side::In) => "Date | string".to_owned(),
            (Some("string"), _, _) => "string".to_owned(),
            (Some("integer" | "number"), _, _) => "number".to_owned(),
            (Some("boolean"), _, _) => "boolean".to_owned(),
            (Some("array"), _, _) => match (schema.get("prefixItems"), schema.get("items")) {
                (Some(Value::Array(items)), _) => {
                    let items: Vec<String> = items.iter().map(|i| self.of(i, side).0).collect();
                    format!("[{}]", items.join(", "))
                }
                (_, Some(items)) if items.is_object() => {
                    format!("Array<{}>", self.of(items, side).0)
                }
                _ => "Array<unknown>".to_owned(),
            },
            (Some("object"), _, _) if schema.get("properties").is_some() => {
                self.inline(schema, side)
            }
            (Some("object"), _, _) => match schema.get("additionalProperties") {
                Some(values) if values.is_object() => {
                    format!("Record<string, {}>", self.of(values, side).0)
                }
                _ => "Record<string, unknown>".to_owned(),
            },
            (Some("null"), _, _) => "null".to_owned(),
            _ => "Record<string, unknown>".to_owned(),
        };
        (ty, nullable)
    }

    pub(super) fn variant(&self, schema: &Value, side: Side) -> String {
        if let Some(value) = schema.get("const") {
            return value.to_string().replace('"', "'");
        }
        // A record tagged beside its fields (`EntryBody`): the record and its tag.
        if let (Some(name), Some(_)) = (ref_name(schema), schema.get("properties")) {
            return format!(
                "({} & {})",
                self.named(name, side),
                self.inline(schema, side)
            );
        }
        self.of(schema, side).0
    }

    /// The declaration body of a named type on one side.
    pub(super) fn body(&self, schema: &Value, side: Side) -> String {
        if schema.get("properties").is_some() && schema.get("oneOf").is_none() {
            let members: Vec<String> = self
                .members(schema, side)
                .into_iter()
                .map(|m| format!("{}{}: {}", m.name, if m.optional { "?" } else { "" }, m.ty))
                .collect();
            members.join("\n")
        } else {
            self.of(schema, side).0
        }
    }

    /// An object type written inline (a union's variant).
    pub(super) fn inline(&self, schema: &Value, side: Side) -> String {
        let members: Vec<String> = self
            .members(schema, side)
            .into_iter()
            .map(|m| format!("{}{}: {}", m.name, if m.optional { "?" } else { "" }, m.ty))
            .collect();
        format!("{{ {} }}", members.join("; "))
    }

    pub(super) fn members(&self, schema: &Value, side: Side) -> Vec<Member> {
        let required: Vec<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        ordered(schema)
            .into_iter()
            .map(|name| {
                let prop = &schema["properties"][name.as_str()];
                let (mut ty, nullable) = self.of(prop, side);
                if is_event(schema) && name == "payload" {
                    ty = "Record<string, unknown>".to_owned();
                }
                let list = prop.get("type") == Some(&json!("array"));
                let optional = match side {
                    Side::In => !required.contains(&name.as_str()),
                    Side::Out => {
                        nullable
                            || (!list
                                && !required.contains(&name.as_str())
                                && prop.get("default").is_none())
                    }
                };
                if nullable && side == Side::In {
                    ty = format!("{ty} | null");
                }
                Member {
                    name: camel(&name),
                    ty,
                    optional,
                    doc: prop["description"].as_str().unwrap_or_default().to_owned(),
                }
            })
            .collect()
    }
}

/// One member of an interface.
pub(super) struct Member {
    name: String,
    ty: String,
    optional: bool,
    doc: String,
}

/// Core's doc text as a JSDoc comment at `indent`: intra-doc links become
/// code spans.
pub(super) fn jsdoc(doc: &str, indent: &str) -> String {
    let mut text = String::new();
    let mut rest = doc;
    while let Some(start) = rest.find("[`") {
        text.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find("`]") else {
            text.push_str(&rest[start..]);
            rest = "";
            break;
        };
        text.push_str(&after[..end + 1]);
        rest = &after[end + 2..];
        if rest.starts_with('(') {
            rest = rest.find(')').map_or(rest, |close| &rest[close + 1..]);
        }
    }
    text.push_str(rest);
    let text = text.replace("*/", "*\\/");
    let lines: Vec<&str> = text.trim().lines().collect();
    match lines.as_slice() {
        [] => String::new(),
        [one] => format!("{indent}/** {one} */\n"),
        many => {
            let mut out = format!("{indent}/**\n");
            for line in many {
                if line.is_empty() {
                    out.push_str(&format!("{indent} *\n"));
                } else {
                    out.push_str(&format!("{indent} * {line}\n"));
                }
            }
            out.push_str(&format!("{indent} */\n"));
            out
        }
    }
}

const DTS_PREAMBLE: &str = "\
/**
 * carebase for Node. Every type and every `Clinic` method here comes from
 * core's operation list and types (`api.json`).
 *
 * Conventions: field names are core's in camelCase; ids are UUID strings;
 * instants are `Date`s (a `Date` or an RFC 3339 string is accepted); civil
 * dates (a birth date) are accepted as a `Date` (its UTC date) or a
 * `YYYY-MM-DD` string and come back as `YYYY-MM-DD` strings; local
 * wall-clock times are `HH:MM` strings; counts and versions are numbers;
 * a `Minutes` is a length of time in milliseconds (whole minutes).
 * Every `Clinic` method and `open` return a Promise; a rejection is a
 * `CarebaseError` with the stable `code`, its details and a message naming
 * the failing fields. FHIR resources and event payloads' values cross
 * untouched (payload keys in camelCase).
 */
";

const DTS_HOST: &str = "
/** What `open` takes besides the store URL. */
export interface OpenOptions {
  /** Clinic-wide configuration (each field defaulted when left out). */
  settings?: {settings} | null
  /** An access policy: a `Policy`, or its TOML or JSON document text (JSON when it starts with `{`). */
  policy?: {policy} | string | null
  /**
   * The host's audit key (at least 32 random bytes, kept outside the
   * database). Without it the public development key is used and every
   * verification says `keyed: false`: set one in production.
   */
  auditKey?: Uint8Array | null
}

/**
 * Opens the store `url` names (`memory:`, `sqlite://relative.db`,
 * `sqlite:///absolute/path.db`, `sqlite::memory:`, `postgres://user:password@host:5432/db`)
 * and resolves to a clinic over it.
 */
export declare function open(url: string, options?: OpenOptions | null): Promise<Clinic>

/** Whether `e` is an error raised by carebase (has a carebase `code`). */
export declare function isCarebaseError(e: unknown): e is CarebaseError
";

/// `index.d.ts`.
pub(super) fn declarations(
    document: &Value,
    defs: &Map<String, Value>,
    shapes: &mut Shapes<'_>,
) -> Result<String, String> {
    let mut from_args = BTreeSet::new();
    let mut from_results = BTreeSet::new();
    for list in ["operations", "functions"] {
        for item in document[list].as_array().into_iter().flatten() {
            for arg in item["args"].as_array().into_iter().flatten() {
                reach(&arg["schema"], defs, &mut from_args);
            }
            reach(&item["returns"]["schema"], defs, &mut from_results);
        }
    }
    reach(&document["settings"], defs, &mut from_args);
    reach(&document["settings"], defs, &mut from_results);
    reach(&document["error"], defs, &mut from_results);
    from_args.insert("Actor".to_owned());
    from_args.insert("Policy".to_owned());
    from_results.insert("Policy".to_owned());
    // A type that is both handed in and answered is declared twice when
    // its forms differ (instants as text, defaulted members optional):
    // `Name` as core answers it, `NameInput` as a host may hand it in.
    let mut ts = Ts {
        split: BTreeSet::new(),
    };
    loop {
        let differing: Vec<String> = from_args
            .iter()
            .filter(|n| from_results.contains(*n) && !ts.split.contains(*n))
            .filter(|n| {
                defs.get(n.as_str())
                    .is_some_and(|d| ts.body(d, Side::In) != ts.body(d, Side::Out))
            })
            .cloned()
            .collect();
        if differing.is_empty() {
            break;
        }
        ts.split.extend(differing);
    }

    let mut out = format!("/* {GENERATED} */\n/* eslint-disable */\n\n{DTS_PREAMBLE}");

    // Errors.
    let error = defs.get("Error").ok_or("api.json has no Error type")?;
    let variants = error["oneOf"].as_array().cloned().unwrap_or_default();
    let codes: Vec<String> = variants
        .iter()
        .filter_map(|v| v["properties"]["code"]["const"].as_str())
        .map(|c| format!("'{c}'"))
        .collect();
    out.push_str("\n/** The stable machine code of every carebase error. */\n");
    out.push_str(&format!("export type ErrorCode = {}\n", codes.join(" | ")));
    out.push_str(
        "\n/** What every rejection is: an `Error` with the stable `code`, a message naming the failing fields, and the details of that code. */\n\
         export declare class CarebaseError extends Error {\n  private constructor()\n  /** The stable code (the contract; the message is for people). */\n  code: ErrorCode\n",
    );
    let mut details: BTreeMap<String, (Vec<String>, String, String)> = BTreeMap::new();
    let mut order = Vec::new();
    for variant in &variants {
        let code = variant["properties"]["code"]["const"]
            .as_str()
            .unwrap_or_default();
        for m in ts.members(variant, Side::Out) {
            if m.name == "code" {
                continue;
            }
            let entry = details.entry(m.name.clone()).or_insert_with(|| {
                order.push(m.name.clone());
                (Vec::new(), m.ty.clone(), m.doc.clone())
            });
            entry.0.push(format!("`{code}`"));
        }
    }
    for name in order {
        if let Some((codes, ty, doc)) = details.get(&name) {
            out.push_str(&jsdoc(&format!("{}: {doc}", codes.join(", ")), "  "));
            out.push_str(&format!("  {name}?: {ty}\n"));
        }
    }
    out.push_str("}\n");
    out.push_str(
        &DTS_HOST
            .replace("{settings}", &ts.named("Settings", Side::In))
            .replace("{policy}", &ts.named("Policy", Side::In)),
    );

    // The clinic.
    out.push_str("\n/** The clinic's rules over one store (from `open`). Every operation resolves a Promise. */\nexport declare class Clinic {\n  private constructor()\n");
    for op in document["operations"].as_array().into_iter().flatten() {
        let params = params(op, shapes, &ts);
        out.push_str(&jsdoc(op["doc"].as_str().unwrap_or_default(), "  "));
        out.push_str(&format!("  {}\n", signature(op, &params, &ts, true)));
    }
    out.push_str(
        "  /** The settings in force. */\n  settings(): Settings\n  /** The access policy in force. */\n  policy(): Policy\n  /** The public fingerprint of the audit key in use (for diagnostics). */\n  auditKeyId(): string\n}\n",
    );

    // Host functions.
    for f in document["functions"].as_array().into_iter().flatten() {
        let params = params(f, shapes, &ts);
        out.push('\n');
        out.push_str(&jsdoc(f["doc"].as_str().unwrap_or_default(), ""));
        out.push_str(&format!(
            "export declare function {}\n",
            signature(f, &params, &ts, false)
        ));
    }

    // Types.
    for (name, schema) in defs {
        if name == "Error" {
            continue;
        }
        let mut forms = Vec::new();
        if from_results.contains(name) || !from_args.contains(name) {
            forms.push((name.clone(), Side::Out));
        }
        if from_args.contains(name) {
            if ts.split.contains(name) {
                forms.push((format!("{name}Input"), Side::In));
            } else if !from_results.contains(name) {
                forms.push((name.clone(), Side::In));
            }
        }
        for (declared, side) in forms {
            out.push('\n');
            let mut doc = schema["description"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if name == "Minutes" {
                doc.push_str(
                    "\nIn JavaScript: milliseconds (`Date` arithmetic's unit), whole minutes.",
                );
            }
            if declared.ends_with("Input") {
                doc.push_str("\nWhat a host hands in: defaulted members may be left out, instants and dates may be text.");
            }
            out.push_str(&jsdoc(&doc, ""));
            if schema.get("properties").is_some() && schema.get("oneOf").is_none() {
                out.push_str(&format!("export interface {declared} {{\n"));
                for m in ts.members(schema, side) {
                    out.push_str(&jsdoc(&m.doc, "  "));
                    out.push_str(&format!(
                        "  {}{}: {}\n",
                        m.name,
                        if m.optional { "?" } else { "" },
                        m.ty
                    ));
                }
                out.push_str("}\n");
            } else {
                out.push_str(&format!(
                    "export type {declared} = {}\n",
                    ts.of(schema, side).0
                ));
            }
        }
    }
    Ok(out)
}
