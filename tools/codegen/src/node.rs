//! The Node host code generated from `api.json`: `generated.js` (the
//! conversion shape of every type, the operation and function lists and
//! the event payload shapes, read by the hand-written `convert.js` and
//! `index.js`), `index.mjs` (the ESM entry's named exports) and `index.d.ts`
//! (every type, every `Clinic` method with its doc). A new operation or
//! type costs no Node line.
//!
//! A *shape* tells `convert.js` what to do with a value, in both
//! directions: `0` leaves it as it is (strings, numbers, codes, ids, opaque
//! JSON); `"t"` an instant (`Date` ⇄ RFC 3339); `"d"` a civil date (`Date`
//! or `YYYY-MM-DD` in, `YYYY-MM-DD` out); `"m"` a `Minutes` (milliseconds
//! ⇄ whole minutes); `"e"` an outbox event's payload (its shape found by
//! the event's `kind` and `schema_version`); `{"r": Name}` a named type;
//! `{"o": [[js, wire, shape, list?], …]}` an object (camelCase ⇄
//! snake_case; `null` members come out absent, and an absent member marked
//! `list` (`1`) comes out as `[]`);
//! `{"a": shape}` a list; `{"m": shape}` a map's values; `{"u": tag, "v":
//! {value: shape}}` a union tagged by member `tag`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use crate::GENERATED;

/// `snake_case` → `camelCase` (JavaScript's spelling of core's names).
pub fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The last segment of a `$ref`.
fn ref_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
}

/// The non-null alternatives of an `anyOf`, when there is one.
fn non_null(schema: &Value) -> Option<Vec<&Value>> {
    let options = schema.get("anyOf")?.as_array()?;
    Some(
        options
            .iter()
            .filter(|o| o.get("type").and_then(Value::as_str) != Some("null"))
            .collect(),
    )
}

/// The JSON type of a schema and whether it admits `null`.
fn kind_of(schema: &Value) -> (Option<&str>, bool) {
    match schema.get("type") {
        Some(Value::String(kind)) => (Some(kind.as_str()), false),
        Some(Value::Array(kinds)) => (
            kinds
                .iter()
                .filter_map(Value::as_str)
                .find(|k| *k != "null"),
            kinds.iter().any(|k| k == "null"),
        ),
        _ => (None, false),
    }
}

/// The member names of an object schema, in core's declared order.
fn ordered(schema: &Value) -> Vec<String> {
    let declared: Vec<String> = schema
        .get("x-order")
        .and_then(Value::as_array)
        .map(|o| {
            o.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let mut names = declared.clone();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        names.extend(props.keys().filter(|k| !declared.contains(k)).cloned());
    }
    names
}

/// Whether an object schema is an outbox event (its `payload` is read by
/// `kind` and `schema_version`).
fn is_event(schema: &Value) -> bool {
    let props = &schema["properties"];
    ["kind", "schema_version", "payload"]
        .iter()
        .all(|k| props.get(*k).is_some())
}

/// A union's tag member: the property every variant holds as a `const`.
fn union_tag(variants: &[Value]) -> Option<String> {
    let first = variants.first()?.get("properties")?.as_object()?;
    first
        .iter()
        .find(|(name, _)| {
            variants
                .iter()
                .all(|v| v["properties"][name.as_str()].get("const").is_some())
        })
        .map(|(name, _)| name.clone())
}

/// Computes shapes, remembering each named type's.
struct Shapes<'a> {
    defs: &'a Map<String, Value>,
    named: BTreeMap<String, Value>,
}

impl<'a> Shapes<'a> {
    fn new(defs: &'a Map<String, Value>) -> Self {
        let mut shapes = Self {
            defs,
            named: BTreeMap::new(),
        };
        for name in defs.keys() {
            shapes.def(name);
        }
        shapes
    }

    /// The shape of `$defs[name]` (a reference to it when it is an object
    /// or a union, so a text form can be recognised by name).
    fn reference(&mut self, name: &str) -> Value {
        if name == "Minutes" {
            return json!("m");
        }
        let shape = self.def(name);
        let structured = self.defs.get(name).is_some_and(|d| {
            d.get("properties").is_some()
                || union_tag(d["oneOf"].as_array().map_or(&[][..], Vec::as_slice)).is_some()
        });
        if structured || shape != json!(0) {
            json!({ "r": name })
        } else {
            json!(0)
        }
    }

    fn def(&mut self, name: &str) -> Value {
        if let Some(shape) = self.named.get(name) {
            return shape.clone();
        }
        // A type that reaches itself converts through its reference.
        self.named.insert(name.to_owned(), json!({ "r": name }));
        let shape = match self.defs.get(name) {
            Some(schema) => self.schema(schema),
            None => json!(0),
        };
        self.named.insert(name.to_owned(), shape.clone());
        shape
    }

    fn schema(&mut self, schema: &Value) -> Value {
        if let Some(name) = ref_name(schema) {
            return self.reference(name);
        }
        if let Some(options) = non_null(schema) {
            return match options.as_slice() {
                [only] => self.schema(only),
                _ => json!(0),
            };
        }
        if let Some(variants) = schema.get("oneOf").and_then(Value::as_array) {
            let Some(tag) = union_tag(variants) else {
                return json!(0);
            };
            let mut by_value = Map::new();
            for variant in variants {
                let value = variant["properties"][tag.as_str()]["const"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                by_value.insert(value, self.object(variant));
            }
            if by_value.values().all(|s| *s == json!(0)) {
                return json!(0);
            }
            return json!({ "u": tag, "v": by_value });
        }
        match (
            kind_of(schema).0,
            schema.get("format").and_then(Value::as_str),
        ) {
            (Some("string"), Some("date-time")) => json!("t"),
            (Some("string"), Some("date")) => json!("d"),
            (Some("array"), _) => match schema.get("items") {
                Some(items) if items.is_object() => {
                    let item = self.schema(items);
                    if item == json!(0) {
                        json!(0)
                    } else {
                        json!({ "a": item })
                    }
                }
                _ => json!(0),
            },
            (Some("object"), _) if schema.get("properties").is_some() => self.object(schema),
            (Some("object"), _) => match schema.get("additionalProperties") {
                Some(values) if values.is_object() => {
                    let value = self.schema(values);
                    if value == json!(0) {
                        json!(0)
                    } else {
                        json!({ "m": value })
                    }
                }
                _ => json!(0),
            },
            _ => json!(0),
        }
    }

    fn object(&mut self, schema: &Value) -> Value {
        // Every object converts, even one spelt the same in both casings:
        // `null` members become absent and absent lists empty, everywhere.
        let event = is_event(schema);
        let mut members = Vec::new();
        for name in ordered(schema) {
            let property = &schema["properties"][name.as_str()];
            let shape = if event && name == "payload" {
                json!("e")
            } else {
                self.schema(property)
            };
            let mut member = vec![json!(camel(&name)), json!(name), shape];
            if property.get("type") == Some(&json!("array")) {
                member.push(json!(1));
            }
            members.push(Value::Array(member));
        }
        json!({ "o": members })
    }
}

/// The named types a schema reaches.
fn reach(schema: &Value, defs: &Map<String, Value>, out: &mut BTreeSet<String>) {
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
enum Side {
    /// What a host hands in: instants and dates also as text.
    In,
    /// What core answers.
    Out,
}

/// Writes the TypeScript of schemas.
struct Ts {
    /// Types whose input form is declared apart, as `NameInput`.
    split: BTreeSet<String>,
}

impl Ts {
    fn named(&self, name: &str, side: Side) -> String {
        if side == Side::In && self.split.contains(name) {
            format!("{name}Input")
        } else {
            name.to_owned()
        }
    }

    /// The type of a schema, and whether it admits `null`.
    fn of(&self, schema: &Value, side: Side) -> (String, bool) {
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

    fn variant(&self, schema: &Value, side: Side) -> String {
        if let Some(value) = schema.get("const") {
            return value.to_string().replace('"', "'");
        }
        self.of(schema, side).0
    }

    /// The declaration body of a named type on one side.
    fn body(&self, schema: &Value, side: Side) -> String {
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
    fn inline(&self, schema: &Value, side: Side) -> String {
        let members: Vec<String> = self
            .members(schema, side)
            .into_iter()
            .map(|m| format!("{}{}: {}", m.name, if m.optional { "?" } else { "" }, m.ty))
            .collect();
        format!("{{ {} }}", members.join("; "))
    }

    fn members(&self, schema: &Value, side: Side) -> Vec<Member> {
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
struct Member {
    name: String,
    ty: String,
    optional: bool,
    doc: String,
}

/// Core's doc text as a JSDoc comment at `indent`: intra-doc links become
/// code spans.
fn jsdoc(doc: &str, indent: &str) -> String {
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

/// JavaScript words a parameter may not be named.
const RESERVED: &[&str] = &[
    "new", "import", "export", "class", "default", "delete", "function", "in", "this", "var",
];

/// One parameter of a generated method: its JavaScript name, how it
/// crosses (`m` member, `f` flattened, `d` defaulted), its shape and type.
struct Param {
    js: String,
    wire: String,
    mode: &'static str,
    shape: Value,
    ty: String,
    optional: bool,
}

fn params(item: &Value, shapes: &mut Shapes<'_>, ts: &Ts) -> Vec<Param> {
    let mut out: Vec<Param> = item["args"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|arg| {
            let name = arg["name"].as_str().unwrap_or_default();
            let ty_name = arg["type"].as_str().unwrap_or_default();
            let schema = &arg["schema"];
            let (ty, nullable) = ts.of(schema, Side::In);
            let (js, mode, optional) = if arg["flatten"] == true {
                let mut js = camel(ty_name);
                if let Some(first) = js.get(..1) {
                    js = first.to_ascii_lowercase() + &js[1..];
                }
                (js, "f", false)
            } else if arg["default"] == true {
                (camel(name), "d", true)
            } else {
                (camel(name), "m", nullable)
            };
            let js = if RESERVED.contains(&js.as_str()) {
                format!("{js}_")
            } else {
                js
            };
            Param {
                js,
                wire: name.to_owned(),
                mode,
                shape: shapes.schema(schema),
                ty: if optional { format!("{ty} | null") } else { ty },
                optional,
            }
        })
        .collect();
    // Only trailing parameters are optional in TypeScript.
    let mut required_after = false;
    for p in out.iter_mut().rev() {
        if !p.optional {
            required_after = true;
        } else if required_after {
            p.optional = false;
            p.ty = format!("{} | undefined", p.ty);
        }
    }
    out
}

/// The JavaScript list entry of an operation or function.
fn entry(item: &Value, params: &[Param], shapes: &mut Shapes<'_>) -> Value {
    let name = item["name"].as_str().unwrap_or_default();
    let args: Vec<Value> = params
        .iter()
        .map(|p| json!([p.wire, p.mode, p.shape]))
        .collect();
    json!({
        "name": camel(name),
        "op": name,
        "actor": item["takes_actor"] == true,
        "args": args,
        "returns": shapes.schema(&item["returns"]["schema"]),
    })
}

fn signature(item: &Value, params: &[Param], ts: &Ts, promise: bool) -> String {
    let mut list = Vec::new();
    if item["takes_actor"] == true {
        list.push(format!("actor: {}", ts.named("Actor", Side::In)));
    }
    for p in params {
        list.push(format!(
            "{}{}: {}",
            p.js,
            if p.optional { "?" } else { "" },
            p.ty
        ));
    }
    let returns = if item["returns"]["type"] == "()" {
        "void".to_owned()
    } else {
        ts.of(&item["returns"]["schema"], Side::Out).0
    };
    let returns = if promise {
        format!("Promise<{returns}>")
    } else {
        returns
    };
    format!(
        "{}({}): {returns}",
        camel(item["name"].as_str().unwrap_or_default()),
        list.join(", ")
    )
}

/// The shapes of every event payload core emits or emitted
/// (`kind@version`), from core's event schemas.
fn event_shapes(shapes: &mut Shapes<'_>) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for (kind, current) in carebase::events::EVENT_TYPES {
        for version in 1..=current {
            let Some(text) = carebase::events::schema(kind, version) else {
                continue;
            };
            let schema: Value = serde_json::from_str(text)
                .map_err(|e| format!("event schema {kind} v{version}: {e}"))?;
            let payload = shapes.schema(&schema["properties"]["payload"]);
            out.insert(format!("{kind}@{version}"), payload);
        }
    }
    Ok(out)
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
fn declarations(
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

/// `generated.js`.
fn runtime(document: &Value, shapes: &mut Shapes<'_>, ts: &Ts) -> Result<String, String> {
    let mut operations = Vec::new();
    for op in document["operations"].as_array().into_iter().flatten() {
        let params = params(op, shapes, ts);
        operations.push(entry(op, &params, shapes));
    }
    let mut functions = Vec::new();
    for f in document["functions"].as_array().into_iter().flatten() {
        let params = params(f, shapes, ts);
        functions.push(entry(f, &params, shapes));
    }
    let events = event_shapes(shapes)?;
    let settings = shapes.schema(&document["settings"]);
    let error = shapes.reference("Error");
    let actor = shapes.reference("Actor");
    let policy = shapes.reference("Policy");
    let types: Map<String, Value> = shapes.named.clone().into_iter().collect();
    let text = |v: &Value| serde_json::to_string(v).map_err(|e| e.to_string());
    let mut out = format!(
        "// {GENERATED}\n\
         // The data convert.js and index.js work from: the conversion shape of\n\
         // every type of core (see tools/codegen/src/node.rs for the shapes), every\n\
         // operation and host function with its arguments, and the shape of\n\
         // every event payload by `kind@schema_version`.\n\
         'use strict'\n\n"
    );
    out.push_str(&format!(
        "exports.TYPES = {}\n\n",
        text(&Value::Object(types))?
    ));
    out.push_str("exports.OPERATIONS = [\n");
    for op in &operations {
        out.push_str(&format!("  {},\n", text(op)?));
    }
    out.push_str("]\n\nexports.FUNCTIONS = [\n");
    for f in &functions {
        out.push_str(&format!("  {},\n", text(f)?));
    }
    out.push_str("]\n\n");
    out.push_str(&format!(
        "exports.EVENTS = {}\n\n",
        text(&Value::Object(events))?
    ));
    let codes: Vec<Value> = document["$defs"]["Error"]["oneOf"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| v["properties"]["code"]["const"].clone())
        .collect();
    out.push_str(&format!(
        "exports.ERROR_CODES = {}\n",
        text(&Value::Array(codes))?
    ));
    out.push_str(&format!(
        "exports.SETTINGS = {}\nexports.ERROR = {}\nexports.ACTOR = {}\nexports.POLICY = {}\n",
        text(&settings)?,
        text(&error)?,
        text(&actor)?,
        text(&policy)?
    ));
    Ok(out)
}

/// `index.mjs`: the ESM entry's named exports (the same objects as the
/// CommonJS entry).
fn esm(document: &Value) -> String {
    let mut names = vec![
        "Clinic".to_owned(),
        "open".to_owned(),
        "isCarebaseError".to_owned(),
        "CarebaseError".to_owned(),
    ];
    for f in document["functions"].as_array().into_iter().flatten() {
        names.push(camel(f["name"].as_str().unwrap_or_default()));
    }
    format!(
        "// {GENERATED}\n\
         // ESM entry: the same objects as the CommonJS entry (index.js).\n\
         import {{ createRequire }} from 'node:module'\n\n\
         const require = createRequire(import.meta.url)\n\
         const carebase = require('./index.js')\n\n\
         export const {{\n  {},\n}} = carebase\n\
         export default carebase\n",
        names.join(",\n  ")
    )
}

/// Every generated Node file, by path under `bindings-node`.
pub fn generate(
    document: &Value,
    defs: &Map<String, Value>,
) -> Result<Vec<(&'static str, String)>, String> {
    let mut shapes = Shapes::new(defs);
    let dts = declarations(document, defs, &mut shapes)?;
    let ts = Ts {
        split: BTreeSet::new(),
    };
    let js = runtime(document, &mut shapes, &ts)?;
    Ok(vec![
        ("generated.js", js),
        ("index.mjs", esm(document)),
        ("index.d.ts", dts),
    ])
}
