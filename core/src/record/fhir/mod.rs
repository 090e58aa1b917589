//! FHIR R4 JSON for the health record: Encounter, Observation,
//! DiagnosticReport, Condition, AllergyIntolerance, MedicationRequest,
//! Procedure, Immunization and DocumentReference (with its bytes inline,
//! see `document_reference`) read into a [`NewEntry`] and written back
//! from a [`ClinicalEntry`], one file per resource type. Pure functions:
//! no I/O, no store (the clinic resolves, validates and writes).
//!
//! ## What an import keeps: `ClinicalEntry::fhir`
//!
//! Each resource type lists its modelled elements in groups (a choice
//! element's variants are one group: `effectiveDateTime effectivePeriod`).
//! An import renders the stored entry back to FHIR and compares it with
//! the resource, group by group:
//!
//! ```json
//! {
//!   "source_id": "example",
//!   "resource": { "text": …, "identifier": …, "effectiveDateTime": "2013-04-02" },
//!   "as_imported": { "effectiveDateTime effectivePeriod effectiveInstant": "5f1c…" }
//! }
//! ```
//!
//! - `source_id`: the resource's `id` where it came from (an export writes
//!   the carebase entry id).
//! - `resource`: every unmodelled element as written, plus the original of
//!   each modelled group the entry renders differently (a date written
//!   without a time, a concept with two codings, references by their
//!   source text).
//! - `as_imported`: for those groups, a digest of what the entry rendered
//!   at import. An export uses the original while the entry still renders
//!   the same (so `export(import(x))` equals `x`, with the carebase id),
//!   and the entry's rendering once an amendment changed it.
//!
//! Field errors name FHIR paths (`component[1].valueQuantity.code`), never
//! values: the reader records where each body field came from and the
//! clinic's validation errors (on `body.…`) are renamed through it.

mod allergy;
mod condition;
mod diagnostic_report;
mod document_reference;
mod encounter;
mod immunization;
mod medication_request;
mod observation;
mod procedure;
mod reader;

pub use document_reference::with_data;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{ClinicalEntry, Coding, EntryBody, NewEntry};
use crate::bytes::Bytes;
use crate::decimal::Decimal;
use crate::fhir::{format_instant, FhirRefs, Object};
use crate::ids::PatientId;
use crate::terminology::interpretation::Quantity;
use crate::{Error, Result};
use reader::Reader;

/// UCUM's system URI, the system of every quantity carebase writes.
pub const UCUM_SYSTEM: &str = "http://unitsofmeasure.org";

/// The resource types the health record imports and exports.
pub const RECORD_RESOURCE_TYPES: [&str; 9] = [
    "Encounter",
    "Observation",
    "DiagnosticReport",
    "Condition",
    "AllergyIntolerance",
    "MedicationRequest",
    "Procedure",
    "Immunization",
    "DocumentReference",
];

/// What importing one FHIR resource into a patient's record takes
/// ([`crate::Clinic::import_entry_fhir`]).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = [])))]
pub struct FhirEntryImport {
    /// The FHIR R4 resource (JSON): one of the record's resource types. A
    /// JSON string is read as JSON text: that is how Kotlin and Swift hand
    /// it over (see [`crate::document::read`]).
    pub resource: Value,
    /// Reference text used in the resource → carebase id (see
    /// [`FhirRefs`]): the subject must resolve to the patient; practitioner,
    /// encounter and result references resolve when mapped (or written as
    /// `Type/<uuid>`) and are otherwise kept as written, unlinked.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub references: BTreeMap<String, String>,
}

impl fmt::Debug for FhirEntryImport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FhirEntryImport")
            .field("references", &self.references.len())
            .finish_non_exhaustive()
    }
}

/// A resource read for import: the new entry and where each of its body
/// fields came from (to name FHIR paths in the clinic's errors).
#[derive(Clone)]
pub struct ImportedEntry {
    /// The entry to record.
    pub entry: NewEntry,
    /// A DocumentReference's bytes (decoded from `data`), to keep through
    /// the blob port before the entry is written.
    pub bytes: Option<Bytes>,
    /// Body path prefix (`body.value`) → FHIR path (`valueQuantity`).
    paths: Vec<(String, String)>,
}

impl fmt::Debug for ImportedEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportedEntry")
            .field("kind", &self.entry.body.kind())
            .finish_non_exhaustive()
    }
}

impl ImportedEntry {
    /// `error` with every field under `body.`, `effective_at` or
    /// `encounter` renamed to the FHIR path it was read from.
    pub fn in_fhir_terms(&self, error: Error) -> Error {
        match error {
            Error::Validation { fields } => Error::Validation {
                fields: fields
                    .into_iter()
                    .map(|mut f| {
                        f.field = self.fhir_path(&f.field);
                        f
                    })
                    .collect(),
            },
            other => other,
        }
    }

    /// The FHIR path of a body field: the longest recorded prefix replaced.
    fn fhir_path(&self, field: &str) -> String {
        let best = self
            .paths
            .iter()
            .filter(|(body, _)| {
                field == body
                    || field
                        .strip_prefix(body.as_str())
                        .is_some_and(|rest| rest.starts_with(['.', '[']))
            })
            .max_by_key(|(body, _)| body.len());
        match best {
            Some((body, fhir)) => format!("{fhir}{}", &field[body.len()..]),
            None => field.to_owned(),
        }
    }
}

/// Reads a FHIR R4 resource of the record's types for `patient`'s record:
/// the subject (or `patient`) must resolve through `refs` to `patient`;
/// other references resolve when they can and are kept as written when
/// not. Every failing element is reported with its FHIR path; the
/// resource is first bounded as a document ([`crate::document`]).
pub fn entry_from_fhir(
    resource: &Value,
    patient: PatientId,
    refs: &FhirRefs,
) -> Result<ImportedEntry> {
    crate::document::check_value(resource, "resource")?;
    let Some(obj) = resource.as_object() else {
        return Err(Error::invalid(
            "resource",
            "invalid_type",
            "must be a json object",
        ));
    };
    let kind = obj.get("resourceType").and_then(Value::as_str);
    let mut r = Reader::new(obj, patient, refs);
    let entry = match kind {
        Some("Encounter") => encounter::read(&mut r).map(|e| (e, None)),
        Some("Observation") => observation::read(&mut r).map(|e| (e, None)),
        Some("DiagnosticReport") => diagnostic_report::read(&mut r).map(|e| (e, None)),
        Some("Condition") => condition::read(&mut r).map(|e| (e, None)),
        Some("AllergyIntolerance") => allergy::read(&mut r).map(|e| (e, None)),
        Some("MedicationRequest") => medication_request::read(&mut r).map(|e| (e, None)),
        Some("Procedure") => procedure::read(&mut r).map(|e| (e, None)),
        Some("Immunization") => immunization::read(&mut r).map(|e| (e, None)),
        Some("DocumentReference") => {
            document_reference::read(&mut r).map(|(entry, bytes)| (entry, Some(bytes)))
        }
        _ => {
            return Err(Error::invalid(
                "resourceType",
                "wrong_resource_type",
                format!("must be one of {}", RECORD_RESOURCE_TYPES.join(", ")),
            ))
        }
    };
    match entry {
        Some((entry, bytes)) if r.errors.is_empty() => Ok(ImportedEntry {
            entry,
            bytes,
            paths: r.paths,
        }),
        _ => Err(Error::validation(r.errors)),
    }
}

/// The resource type and modelled groups of an entry's kind; `None` for
/// notes, which have no FHIR form here.
fn shape(body: &EntryBody) -> Option<(&'static str, &'static [&'static str])> {
    Some(match body {
        EntryBody::Encounter(_) => ("Encounter", encounter::MODELLED),
        EntryBody::Observation(_) => ("Observation", observation::MODELLED),
        EntryBody::DiagnosticReport(_) => ("DiagnosticReport", diagnostic_report::MODELLED),
        EntryBody::Condition(_) => ("Condition", condition::MODELLED),
        EntryBody::Allergy(_) => ("AllergyIntolerance", allergy::MODELLED),
        EntryBody::Prescription(_) => ("MedicationRequest", medication_request::MODELLED),
        EntryBody::Procedure(_) => ("Procedure", procedure::MODELLED),
        EntryBody::Immunization(_) => ("Immunization", immunization::MODELLED),
        EntryBody::Document(_) => ("DocumentReference", document_reference::MODELLED),
        EntryBody::Note(_) => return None,
    })
}

/// The modelled elements of `entry` as carebase writes them.
fn rendered(entry: &ClinicalEntry) -> Object {
    let mut out = Object::new();
    match &entry.body {
        EntryBody::Encounter(e) => encounter::write(entry, e, &mut out),
        EntryBody::Observation(o) => observation::write(entry, o, &mut out),
        EntryBody::DiagnosticReport(d) => diagnostic_report::write(entry, d, &mut out),
        EntryBody::Condition(c) => condition::write(entry, c, &mut out),
        EntryBody::Allergy(a) => allergy::write(entry, a, &mut out),
        EntryBody::Prescription(p) => medication_request::write(entry, p, &mut out),
        EntryBody::Procedure(p) => procedure::write(entry, p, &mut out),
        EntryBody::Immunization(i) => immunization::write(entry, i, &mut out),
        EntryBody::Document(d) => document_reference::write(entry, d, &mut out),
        EntryBody::Note(_) => {}
    }
    out
}

/// The members of `group` (space-separated element names) found in `obj`.
fn members(obj: &Object, group: &str) -> Object {
    group
        .split_whitespace()
        .filter_map(|k| Some((k.to_owned(), obj.get(k)?.clone())))
        .collect()
}

/// A short digest of what a group rendered (no value is readable from it).
fn digest(group: &Object) -> String {
    let text = serde_json::to_string(group).unwrap_or_default();
    let hash = Sha256::digest(text.as_bytes());
    hex::encode(&hash[..12])
}

/// What `entry` (just built from `resource`) keeps in
/// [`ClinicalEntry::fhir`] (see the module documentation).
pub fn kept_fhir(resource: &Value, entry: &ClinicalEntry) -> Option<Value> {
    // A document's bytes are in the blob store, never in its entry.
    let without_data;
    let resource = match entry.body {
        EntryBody::Document(_) => {
            without_data = document_reference::without_data(resource);
            &without_data
        }
        _ => resource,
    };
    let original = resource.as_object()?;
    let (_, modelled) = shape(&entry.body)?;
    let fresh = rendered(entry);
    let mut kept: Object = original
        .iter()
        .filter(|(k, _)| {
            k.as_str() != "resourceType"
                && k.as_str() != "id"
                && !modelled
                    .iter()
                    .any(|g| g.split_whitespace().any(|m| m == *k))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut as_imported = Object::new();
    for group in modelled {
        let was = members(original, group);
        let now = members(&fresh, group);
        if was != now {
            as_imported.insert((*group).to_owned(), json!(digest(&now)));
            kept.extend(was);
        }
    }
    let mut out = Object::new();
    if let Some(id) = original.get("id") {
        out.insert("source_id".into(), id.clone());
    }
    out.insert("resource".into(), Value::Object(kept));
    out.insert("as_imported".into(), Value::Object(as_imported));
    Some(Value::Object(out))
}

/// The FHIR R4 resource of `entry` (its current version): `id` is the
/// carebase entry id; the modelled elements come from the entry, the rest
/// from what an import kept (see the module documentation). `None` for
/// notes, which have no FHIR form here; a document's comes without its
/// bytes (the clinic adds them with [`with_data`] for a reader who may
/// see them).
pub fn entry_to_fhir(entry: &ClinicalEntry) -> Option<Value> {
    let (resource_type, modelled) = shape(&entry.body)?;
    let fresh = rendered(entry);
    let kept = entry.fhir.as_ref().and_then(Value::as_object);
    let empty = Object::new();
    let part = |key: &str| kept.and_then(|k| k.get(key)).and_then(Value::as_object);
    let resource = part("resource").unwrap_or(&empty);
    let as_imported = part("as_imported").unwrap_or(&empty);
    let mut out = Object::new();
    out.insert("resourceType".into(), json!(resource_type));
    out.insert("id".into(), json!(entry.id.to_string()));
    for (k, v) in resource {
        if !modelled
            .iter()
            .any(|g| g.split_whitespace().any(|m| m == k))
        {
            out.insert(k.clone(), v.clone());
        }
    }
    for group in modelled {
        let now = members(&fresh, group);
        let unchanged = as_imported
            .get(*group)
            .and_then(Value::as_str)
            .is_some_and(|d| d == digest(&now));
        if unchanged {
            out.extend(members(resource, group));
        } else {
            out.extend(now);
        }
    }
    Some(Value::Object(out))
}

/// A coding as FHIR JSON.
fn coding_json(c: &Coding) -> Value {
    let mut out = Object::new();
    out.insert("system".into(), json!(c.system));
    out.insert("code".into(), json!(c.code));
    if let Some(display) = &c.display {
        out.insert("display".into(), json!(display));
    }
    Value::Object(out)
}

/// A CodeableConcept of one coding.
fn concept_json(c: &Coding) -> Value {
    json!({ "coding": [coding_json(c)] })
}

/// A CodeableConcept of one code of a FHIR code system.
fn code_concept(system: &str, code: &str) -> Value {
    json!({ "coding": [{ "system": system, "code": code }] })
}

/// A decimal as a JSON number, an integer when it has no point.
fn number(value: &Decimal) -> Value {
    let text = value.to_string();
    if !text.contains('.') {
        if let Ok(n) = text.parse::<i64>() {
            return json!(n);
        }
    }
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::String(text), Value::Number)
}

/// A Quantity in UCUM.
fn quantity_json(q: &Quantity) -> Value {
    json!({ "value": number(&q.value), "unit": q.unit, "system": UCUM_SYSTEM, "code": q.unit })
}

/// A Reference to `kind/id`.
fn reference_json(kind: &str, id: impl fmt::Display) -> Value {
    json!({ "reference": format!("{kind}/{id}") })
}

/// A date-time as carebase writes it (UTC).
fn instant_json(at: DateTime<Utc>) -> Value {
    json!(format_instant(at))
}

/// Writes the subject (or `patient`) reference and the encounter link.
fn write_envelope(entry: &ClinicalEntry, subject_key: &str, out: &mut Object) {
    out.insert(subject_key.into(), reference_json("Patient", entry.patient));
    if let Some(encounter) = entry.encounter {
        out.insert("encounter".into(), reference_json("Encounter", encounter));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_without_a_time_read_as_their_first_instant_in_utc() {
        let day = |s| reader::date_time(s).map(format_instant);
        assert_eq!(day("2013-04-02").as_deref(), Some("2013-04-02T00:00:00Z"));
        assert_eq!(day("2013-04").as_deref(), Some("2013-04-01T00:00:00Z"));
        assert_eq!(day("2013").as_deref(), Some("2013-01-01T00:00:00Z"));
        assert_eq!(day("2013-13-01"), None);
        assert_eq!(day("yesterday"), None);
    }

    #[test]
    fn decimals_are_written_as_the_json_numbers_they_were_read_from() {
        for text in ["72", "72.5", "0.1", "-3", "1000.25"] {
            let read: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            let decimal = crate::decimal::parse(&read.to_string());
            assert_eq!(decimal.map(|d| number(&d)), Some(read), "{text}");
        }
    }
}
