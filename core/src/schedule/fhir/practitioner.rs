//! FHIR R4 Practitioner ⇄ carebase [`Practitioner`]: the pure mapping.
//!
//! carebase models a practitioner's display name and whether they are
//! active; everything else (identifiers, qualifications, telecom, the
//! structured names) is kept as written in `fhir_extra`:
//!
//! ```json
//! { "source_id": "f001", "resource": { "name": [ … ], "qualification": [ … ], … } }
//! ```
//!
//! [`practitioner_to_fhir`] writes the kept resource back with the carebase
//! id; `name` stays as written while its display name (the first name's
//! `text`, else its prefixes, given names, family name and suffixes) is
//! still the practitioner's, and `active` while it still reads as theirs.
//!
//! Hosts reach it through [`crate::Clinic::import_practitioner_fhir`] and
//! [`crate::Clinic::export_practitioner_fhir`]; the kept resource is
//! [`Practitioner::fhir_extra`].

use serde_json::{json, Map, Value};

use crate::error::FieldError;
use crate::schedule::model::Practitioner;
use crate::{Error, Result};

/// Practitioner elements in FHIR R4 order.
const PRACTITIONER_ORDER: &str = "resourceType id meta implicitRules language text contained \
    extension modifierExtension identifier active name telecom address gender birthDate \
    photo qualification communication";

/// A Practitioner read for import: what carebase models and what to keep.
#[derive(Clone, PartialEq)]
pub struct ImportedPractitioner {
    /// The resource's own `id`, if it had one (also kept in `fhir_extra`).
    pub source_id: Option<String>,
    /// The display name (see the module documentation).
    pub name: String,
    /// `active` (true when absent).
    pub active: bool,
    /// The resource as written (see the module documentation).
    pub fhir_extra: Value,
}

impl std::fmt::Debug for ImportedPractitioner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportedPractitioner")
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// Reads a FHIR R4 Practitioner for import: a document within
/// [`crate::document`]'s bounds, `resourceType` `Practitioner`, a name
/// carebase can display (`name` `required` otherwise), `active` a boolean
/// when given. Field errors name FHIR paths, never values.
pub fn practitioner_from_fhir(resource: &Value) -> Result<ImportedPractitioner> {
    crate::document::check_value(resource, "resource")?;
    let Some(obj) = resource.as_object() else {
        return Err(Error::invalid(
            "resource",
            "invalid_type",
            "must be a json object",
        ));
    };
    let mut errors = Vec::new();
    if obj.get("resourceType").and_then(Value::as_str) != Some("Practitioner") {
        errors.push(FieldError::new(
            "resourceType",
            "wrong_resource_type",
            "must be Practitioner",
        ));
    }
    let source_id = match obj.get("id") {
        None => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(_) => {
            errors.push(FieldError::new("id", "invalid_type", "must be a string"));
            None
        }
    };
    let active = match obj.get("active") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            let message = "must be true or false";
            errors.push(FieldError::new("active", "invalid_type", message));
            true
        }
    };
    let name = display_name(obj);
    if name.is_none() {
        let message = "needs a name with text, a family or a given name";
        errors.push(FieldError::new("name", "required", message));
    }
    let (Some(name), true) = (name, errors.is_empty()) else {
        return Err(Error::validation(errors));
    };
    let mut extra = Map::new();
    if let Some(id) = &source_id {
        extra.insert("source_id".into(), json!(id));
    }
    let kept: Map<String, Value> = obj
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "resourceType" | "id"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    extra.insert("resource".into(), Value::Object(kept));
    Ok(ImportedPractitioner {
        source_id,
        name,
        active,
        fhir_extra: Value::Object(extra),
    })
}

/// The FHIR R4 Practitioner for `practitioner`: `id` is the carebase id,
/// and what an import kept (`fhir_extra`) is written back where it still
/// matches (see the module documentation).
pub fn practitioner_to_fhir(practitioner: &Practitioner, fhir_extra: Option<&Value>) -> Value {
    let kept = fhir_extra
        .and_then(|e| e.get("resource"))
        .and_then(Value::as_object);
    let mut out = kept.cloned().unwrap_or_default();
    out.insert("resourceType".into(), json!("Practitioner"));
    out.insert("id".into(), json!(practitioner.id.to_string()));
    let kept_active = out.get("active").and_then(Value::as_bool).unwrap_or(true);
    if kept_active != practitioner.active {
        out.insert("active".into(), json!(practitioner.active));
    }
    if display_name(&out).as_deref() != Some(practitioner.name.as_str()) {
        out.insert("name".into(), json!([{ "text": practitioner.name }]));
    }
    let mut ordered = Map::new();
    for key in PRACTITIONER_ORDER.split_whitespace() {
        for key in [key.to_owned(), format!("_{key}")] {
            if let Some(v) = out.remove(&key) {
                ordered.insert(key, v);
            }
        }
    }
    ordered.extend(out);
    Value::Object(ordered)
}

/// The display name of the first `name` that has one: its `text`, else its
/// prefixes, given names, family name and suffixes joined by spaces.
fn display_name(obj: &Map<String, Value>) -> Option<String> {
    obj.get("name")?.as_array()?.iter().find_map(|name| {
        if let Some(text) = name.get("text").and_then(Value::as_str) {
            return Some(text.to_owned());
        }
        let words = |key: &str| -> Vec<&str> {
            match name.get(key) {
                Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
                Some(Value::String(one)) => vec![one.as_str()],
                _ => Vec::new(),
            }
        };
        let (given, family) = (words("given"), words("family"));
        if given.is_empty() && family.is_empty() {
            return None;
        }
        let all = [words("prefix"), given, family, words("suffix")].concat();
        Some(all.join(" "))
    })
}
