//! FHIR R4 JSON shared by every domain that imports and exports resources
//! (scheduling, the health record, patients): references and how they map
//! to carebase ids, instants, and the small readers that collect every
//! failing element with its FHIR path (never its value). Pure functions
//! over `serde_json::Value`: no I/O.
//!
//! Instants are read as RFC 3339 date-times with a zone and written in UTC
//! (`2013-12-10T09:00:00Z`, fractional seconds only when not zero).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Duration, DurationRound, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::FieldError;

/// A JSON object: the elements of a FHIR resource or data type.
pub type Object = Map<String, Value>;

/// A FHIR `Reference`: the reference text and display carebase reads, plus
/// every other element (`type`, `identifier`, extensions) as written.
/// `Debug` shows the reference only: a display may be a patient's name.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FhirReference {
    /// `reference`, e.g. `Practitioner/example`.
    #[serde(default)]
    pub reference: Option<String>,
    /// `display`.
    #[serde(default)]
    pub display: Option<String>,
    /// Every other element, as written.
    #[serde(default)]
    pub extra: Object,
}

impl fmt::Debug for FhirReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FhirReference")
            .field("reference", &self.reference)
            .finish_non_exhaustive()
    }
}

impl FhirReference {
    /// A reference with only its text.
    pub fn to(reference: impl Into<String>) -> Self {
        Self {
            reference: Some(reference.into()),
            ..Self::default()
        }
    }

    /// Reads a Reference at `path`, collecting errors.
    pub(crate) fn read(value: &Value, path: &str, errors: &mut Vec<FieldError>) -> Option<Self> {
        let obj = object(value, path, errors)?;
        Some(Self {
            reference: string(obj, "reference", path, errors),
            display: string(obj, "display", path, errors),
            extra: rest(obj, &["reference", "display"]),
        })
    }

    /// The JSON object.
    pub fn to_fhir(&self) -> Value {
        let mut out = self.extra.clone();
        put_str(&mut out, "reference", self.reference.as_deref());
        put_str(&mut out, "display", self.display.as_deref());
        Value::Object(ordered(
            out,
            "id extension reference type identifier display",
        ))
    }
}

/// The resource type and id of a reference such as `Patient/123`,
/// `https://host/fhir/Patient/123` or `Patient/123/_history/2`; `None` for
/// contained (`#p1`) and URN references.
pub fn reference_parts(reference: &str) -> Option<(&str, &str)> {
    let path = match reference.find("/_history/") {
        Some(at) => &reference[..at],
        None => reference,
    };
    let mut segments = path.rsplit('/');
    let id = segments.next()?;
    let kind = segments.next()?;
    let is_type = kind.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && kind.chars().all(|c| c.is_ascii_alphanumeric());
    (is_type && !id.is_empty()).then_some((kind, id))
}

/// Which carebase id each reference text of a resource stands for, e.g.
/// `"Patient/example"` → a patient id. A reference not in the map whose id
/// part is a UUID (`Patient/0190…`) stands for that UUID.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FhirRefs(pub BTreeMap<String, String>);

impl FhirRefs {
    /// No mappings: only `Type/<uuid>` references resolve.
    pub fn new() -> Self {
        Self::default()
    }

    /// Maps `reference` (as written in the resource) to a carebase id.
    pub fn insert(&mut self, reference: impl Into<String>, id: impl fmt::Display) -> &mut Self {
        self.0.insert(reference.into(), id.to_string());
        self
    }

    /// The UUID `reference` stands for, or the error code: `invalid_id`
    /// (mapped to something that is not a UUID) or `unresolved_reference`.
    pub fn resolve(&self, reference: &str) -> std::result::Result<Uuid, &'static str> {
        match self.0.get(reference) {
            Some(id) => Uuid::parse_str(id.trim()).map_err(|_| "invalid_id"),
            None => reference_parts(reference)
                .and_then(|(_, id)| Uuid::parse_str(id).ok())
                .ok_or("unresolved_reference"),
        }
    }
}

impl From<BTreeMap<String, String>> for FhirRefs {
    fn from(map: BTreeMap<String, String>) -> Self {
        Self(map)
    }
}

/// `prefix.key`, or `key` at the top.
pub(crate) fn path(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// The value as an object, or an error at `at`.
pub(crate) fn object<'a>(
    value: &'a Value,
    at: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a Object> {
    let obj = value.as_object();
    if obj.is_none() {
        let field = if at.is_empty() { "resource" } else { at };
        fail(errors, field, "invalid_type", "must be a json object");
    }
    obj
}

/// An optional string element.
pub(crate) fn string(
    obj: &Object,
    key: &str,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match obj.get(key)? {
        Value::String(s) => Some(s.clone()),
        _ => {
            fail(
                errors,
                path(prefix, key),
                "invalid_type",
                "must be a string",
            );
            None
        }
    }
}

/// An optional boolean element.
pub(crate) fn boolean(
    obj: &Object,
    key: &str,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> Option<bool> {
    match obj.get(key)? {
        Value::Bool(b) => Some(*b),
        _ => {
            fail(
                errors,
                path(prefix, key),
                "invalid_type",
                "must be true or false",
            );
            None
        }
    }
}

/// An optional array element.
pub(crate) fn array<'a>(
    obj: &'a Object,
    key: &str,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> &'a [Value] {
    match obj.get(key) {
        None => &[],
        Some(Value::Array(items)) => items,
        Some(_) => {
            fail(
                errors,
                path(prefix, key),
                "invalid_type",
                "must be an array",
            );
            &[]
        }
    }
}

/// Parses a FHIR instant (a date-time with a zone), truncated to the
/// microsecond every store keeps.
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let at = DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc);
    Some(at.duration_trunc(Duration::microseconds(1)).unwrap_or(at))
}

/// Writes an instant the way carebase exports it: UTC, `Z`, fractional
/// seconds only when not zero.
pub fn format_instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// An optional instant element: one every host can represent (years 1 to
/// 9999, no leap second), else `out_of_range`.
pub(crate) fn instant(
    obj: &Object,
    key: &str,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    let text = string(obj, key, prefix, errors)?;
    let Some(at) = parse_instant(&text) else {
        fail(
            errors,
            path(prefix, key),
            "invalid_format",
            "must be a date-time with a time zone",
        );
        return None;
    };
    if !crate::instant::is_representable(at) {
        errors.push(crate::instant::out_of_range(path(prefix, key)));
        return None;
    }
    Some(at)
}

/// `resourceType` must be `expected`.
pub(crate) fn resource_type(obj: &Object, expected: &str, errors: &mut Vec<FieldError>) {
    if obj.get("resourceType").and_then(Value::as_str) != Some(expected) {
        fail(
            errors,
            "resourceType",
            "wrong_resource_type",
            format!("must be {expected}"),
        );
    }
}

/// Every element of `obj` but `modelled`, as written.
pub(crate) fn rest(obj: &Object, modelled: &[&str]) -> Object {
    obj.iter()
        .filter(|(k, _)| !modelled.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Sets `key` to a string, or leaves it out.
pub(crate) fn put_str(out: &mut Object, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        out.insert(key.to_owned(), Value::String(value.to_owned()));
    }
}

/// Sets `key` to an instant, or leaves it out.
pub(crate) fn put_instant(out: &mut Object, key: &str, value: Option<DateTime<Utc>>) {
    if let Some(at) = value {
        out.insert(key.to_owned(), Value::String(format_instant(at)));
    }
}

/// Records that `field` broke the rule `code`.
pub(crate) fn fail(
    errors: &mut Vec<FieldError>,
    field: impl Into<String>,
    code: &str,
    message: impl Into<String>,
) {
    errors.push(FieldError::new(field, code, message));
}

/// The elements in FHIR's order (each followed by its `_element` primitive
/// extension), then any others. Only visible when serde_json keeps insertion
/// order (its `preserve_order` feature); JSON values compare equal either way.
pub(crate) fn ordered(mut obj: Object, order: &str) -> Object {
    let mut out = Object::new();
    for key in order.split_whitespace() {
        if let Some(v) = obj.remove(key) {
            out.insert(key.to_owned(), v);
        }
        let shadow = format!("_{key}");
        if let Some(v) = obj.remove(&shadow) {
            out.insert(shadow, v);
        }
    }
    out.extend(obj);
    out
}
