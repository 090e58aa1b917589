//! The conversion shape of each schema (see the module documentation of
//! `node` for what a shape says).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::schema::{camel, is_event, kind_of, non_null, ordered, ref_name, union_tag};

/// Computes shapes, remembering each named type's.
pub(super) struct Shapes<'a> {
    pub(super) defs: &'a Map<String, Value>,
    pub(super) named: BTreeMap<String, Value>,
}

impl<'a> Shapes<'a> {
    pub(super) fn new(defs: &'a Map<String, Value>) -> Self {
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
    pub(super) fn reference(&mut self, name: &str) -> Value {
        if name == "Minutes" {
            return json!("m");
        }
        // Raw bytes: carried beside the JSON text (`index.js`), never in it.
        if self.defs.get(name).and_then(|d| d.get("format")) == Some(&json!("bytes")) {
            return json!("b");
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

    pub(super) fn def(&mut self, name: &str) -> Value {
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

    pub(super) fn schema(&mut self, schema: &Value) -> Value {
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
                // A record tagged beside its fields (`EntryBody`): the
                // record's members and the tag.
                let shape = match ref_name(variant).and_then(|n| self.defs.get(n)) {
                    Some(record) => {
                        let mut merged = record.clone();
                        if let (Some(into), Some(from)) = (
                            merged["properties"].as_object_mut(),
                            variant["properties"].as_object(),
                        ) {
                            into.extend(from.clone());
                        }
                        self.object(&merged)
                    }
                    None => self.object(variant),
                };
                by_value.insert(value, shape);
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

    pub(super) fn object(&mut self, schema: &Value) -> Value {
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

/// The shapes of every event payload core emits or emitted
/// (`kind@version`), from core's event schemas.
pub(super) fn event_shapes(shapes: &mut Shapes<'_>) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for &(kind, current) in carebase::events::EVENT_TYPES {
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
