//! Core's answers to the table of cases every host must answer alike
//! (`tests/agreement/cases.json`). Core is the Rust host: its public door
//! for untyped input is `carebase::api::call` (typed Rust cannot even
//! build most hostile inputs), so each case goes through it; the Python,
//! Node and Kotlin runners hand the same cases to their own public APIs.

use std::collections::BTreeMap;
use std::sync::Arc;

use carebase::api::{call, Arguments, Mode};
use carebase::{Clinic, Error, MemoryStore, Settings};
use serde_json::{json, Value};

fn cases() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/agreement/cases.json");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The value at a dotted path (`items.0.id`; `items.#` is a list's length).
fn at(value: &Value, path: &str) -> Value {
    let mut here = value.clone();
    for part in path.split('.') {
        here = match (part, &here) {
            ("#", Value::Array(items)) => json!(items.len()),
            (_, Value::Array(items)) => part
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i).cloned())
                .unwrap_or(Value::Null),
            (_, Value::Object(map)) => map.get(part).cloned().unwrap_or(Value::Null),
            _ => Value::Null,
        };
    }
    here
}

/// `args` with every `{"$ref": "name.path"}` and `{"$repeat": [text, n]}` resolved.
fn resolve(args: &Value, saved: &BTreeMap<String, Value>) -> Value {
    match args {
        Value::Object(map) if map.contains_key("$ref") => {
            let path = map["$ref"].as_str().unwrap_or_default();
            let (name, rest) = path.split_once('.').unwrap_or((path, ""));
            saved.get(name).map(|v| at(v, rest)).unwrap_or(Value::Null)
        }
        Value::Object(map) if map.contains_key("$repeat") => {
            let text = map["$repeat"][0].as_str().unwrap_or_default();
            let n = map["$repeat"][1].as_u64().unwrap_or_default() as usize;
            json!(text.repeat(n))
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), resolve(v, saved)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(v, saved)).collect()),
        other => other.clone(),
    }
}

fn run(
    clinic: &Clinic,
    step: &Value,
    actors: &Value,
    saved: &BTreeMap<String, Value>,
) -> Result<Value, Error> {
    if let Some(options) = step.get("open") {
        return open(options);
    }
    let mut args = resolve(&step["args"], saved);
    args["actor"] = actors[step["actor"].as_str().unwrap_or_default()].clone();
    let op = step["op"].as_str().unwrap_or_default();
    let text = futures::executor::block_on(call(clinic, op, &args.to_string()))?;
    Ok(serde_json::from_str(&text).unwrap_or_default())
}

/// Opening a clinic with host options reads them as the bindings' `open`
/// does (core's argument reader, then the settings' own checks).
fn open(options: &Value) -> Result<Value, Error> {
    let mut args = Arguments::parse(&options.to_string())?;
    let settings: Option<Option<Settings>> = args.take("settings", Mode::Member);
    args.finish()?;
    if let Some(settings) = settings.flatten() {
        Clinic::new(Arc::new(MemoryStore::new())).with_settings(settings)?;
    }
    Ok(Value::Null)
}

/// What went wrong with one case, if anything.
fn check(case: &Value, actors: &Value) -> Option<String> {
    let clinic = Clinic::new(Arc::new(MemoryStore::new()));
    let mut saved = BTreeMap::new();
    for step in case["given"].as_array().into_iter().flatten() {
        match run(&clinic, step, actors, &saved) {
            Ok(value) => saved.insert(step["save"].as_str().unwrap_or_default().to_owned(), value),
            Err(e) => return Some(format!("given {}: {}", step["op"], e.to_json())),
        };
    }
    let then = &case["then"];
    match run(&clinic, &case["when"], actors, &saved) {
        Ok(value) => {
            let Some(expected) = then["result"].as_object() else {
                return Some(format!("expected {then}, got a result"));
            };
            expected.iter().find_map(|(path, want)| {
                let (got, want) = (at(&value, path), resolve(want, &saved));
                (got != want).then(|| format!("{path}: expected {want}, got {got}"))
            })
        }
        Err(e) => {
            let form: Value = serde_json::from_str(&e.to_json()).unwrap_or_default();
            if then["error"] != json!(e.code()) {
                return Some(format!("expected {then}, got {form}"));
            }
            if let Some(fields) = then.get("fields") {
                let got: Vec<Value> = form["fields"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| json!([f["field"], f["code"]]))
                    .collect();
                if fields != &json!(got) {
                    return Some(format!("fields: expected {fields}, got {}", json!(got)));
                }
            }
            let details = then["details"].as_object().into_iter().flatten();
            details.into_iter().find_map(|(name, want)| {
                let want = resolve(want, &saved);
                (form[name] != want).then(|| format!("{name}: expected {want}, got {}", form[name]))
            })
        }
    }
}

#[test]
fn core_answers_every_case_of_the_agreement_table_as_the_table_says() {
    let table = cases();
    let cases = table["cases"].as_array().cloned().unwrap_or_default();
    assert!(cases.len() >= 10, "the table of cases is missing or short");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            check(case, &table["actors"]).map(|why| format!("{}: {why}", case["name"]))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
