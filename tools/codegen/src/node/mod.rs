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

mod schema;
mod shapes;
mod typescript;

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

pub use schema::camel;
use shapes::{event_shapes, Shapes};
use typescript::{declarations, Side, Ts};

use crate::GENERATED;

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
