//! Reading `api.json`'s schemas: names, references, nullability, members
//! in core's order, unions and outbox events.

use serde_json::Value;

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
pub(super) fn ref_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
}

/// The non-null alternatives of an `anyOf`, when there is one.
pub(super) fn non_null(schema: &Value) -> Option<Vec<&Value>> {
    let options = schema.get("anyOf")?.as_array()?;
    Some(
        options
            .iter()
            .filter(|o| o.get("type").and_then(Value::as_str) != Some("null"))
            .collect(),
    )
}

/// The JSON type of a schema and whether it admits `null`.
pub(super) fn kind_of(schema: &Value) -> (Option<&str>, bool) {
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
pub(super) fn ordered(schema: &Value) -> Vec<String> {
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
pub(super) fn is_event(schema: &Value) -> bool {
    let props = &schema["properties"];
    ["kind", "schema_version", "payload"]
        .iter()
        .all(|k| props.get(*k).is_some())
}

/// A union's tag member: the property every variant holds as a `const`.
pub(super) fn union_tag(variants: &[Value]) -> Option<String> {
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
