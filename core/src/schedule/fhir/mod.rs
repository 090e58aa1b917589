//! FHIR R4 JSON for scheduling: Appointment import and export, Schedule and
//! Slot round trips, and exporters from carebase's practitioners and free
//! slots. Pure functions over `serde_json::Value`: no I/O, no store.
//!
//! What carebase does not model is kept, so an export returns what was
//! imported:
//!
//! - [`FhirAppointment`], [`FhirSchedule`] and [`FhirSlot`] read the elements
//!   carebase understands into typed fields and keep every other element in
//!   `extra`; `from_fhir` then `to_fhir` gives back the same JSON value.
//! - [`appointment_from_fhir`] resolves the patient, practitioner and room
//!   references and requires what an appointment in carebase needs;
//!   [`ImportedAppointment::fhir_extra`] keeps the rest, which
//!   [`appointment_to_fhir`] merges back (its shape is below).
//!
//! Instants are read as RFC 3339 date-times with a zone and written in UTC
//! (`2013-12-10T09:00:00Z`, fractional seconds only when not zero); one no
//! host can represent (a year outside 1–9999, a leap second) is
//! `out_of_range`. Every resource read is first bounded as a document
//! ([`crate::document`]). Field
//! errors name FHIR paths such as `participant[1].actor.reference` and never
//! carry the values read.
//!
//! ## `Appointment::fhir_extra`
//!
//! An imported appointment keeps there what carebase does not model:
//!
//! ```json
//! {
//!   "source_id": "example",
//!   "resource": { "text": …, "serviceType": …, "participant": [ … ], … },
//!   "references": { "Patient/0190…": "Patient/example", … },
//!   "instants": { "start": "2013-12-10T10:00:00+01:00" }
//! }
//! ```
//!
//! - `source_id`: the `id` the resource had where it came from (the export
//!   uses the carebase id); absent when it had none.
//! - `resource`: every element but `resourceType`, `id`, `status`, `start`,
//!   `end` and `comment`, as written. `participant` keeps every entry in its
//!   order with all its elements; the `actor.reference` of the patient, the
//!   practitioner and the room entries is rewritten to the carebase reference
//!   (`Patient/<uuid>`, `Practitioner/<uuid>`, `Location/<uuid>` or
//!   `Device/<uuid>`).
//! - `references`: carebase reference → the reference text the source used,
//!   for those three entries, so the export restores the original text.
//! - `instants`: only when the source wrote `start` or `end` differently from
//!   carebase's UTC form; used while the instant is unchanged.
//!
//! [`appointment_to_fhir`] rebuilds the modelled elements from the
//! appointment and merges the rest back. A participant entry whose carebase
//! reference no longer matches the appointment (it was moved to another
//! practitioner or room) is replaced by a fresh entry; `cancelationReason` is
//! kept while its first code is the appointment's cancellation reason.

pub mod appointment;
pub mod practitioner;
pub mod schedule;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Duration, DurationRound, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::FieldError;
use crate::ids::VisitTypeId;

pub use appointment::{
    appointment_from_fhir, appointment_to_fhir, fhir_source_id, FhirAppointment,
    ImportedAppointment, CANCELLATION_REASON_SYSTEM,
};
pub use practitioner::{practitioner_from_fhir, practitioner_to_fhir, ImportedPractitioner};
pub use schedule::{
    schedule_to_fhir, slot_id, slot_to_fhir, slots_bundle, FhirPeriod, FhirSchedule, FhirSlot,
    FhirSlotStatus,
};

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
    fn read(value: &Value, path: &str, errors: &mut Vec<FieldError>) -> Option<Self> {
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

/// Appointment.participant elements in FHIR R4 order.
const PARTICIPANT_ORDER: &str = "id extension modifierExtension type actor required status period";

/// One `Appointment.participant` (part of [`FhirAppointment`]): its actor
/// and every other element.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FhirParticipant {
    /// `actor`.
    #[serde(default)]
    pub actor: Option<FhirReference>,
    /// `type`, `required`, `status`, `period`, extensions…, as written.
    #[serde(default)]
    pub extra: Object,
}

impl fmt::Debug for FhirParticipant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FhirParticipant")
            .field(
                "reference",
                &self.actor.as_ref().and_then(|a| a.reference.as_deref()),
            )
            .finish_non_exhaustive()
    }
}

impl FhirParticipant {
    fn read(value: &Value, at: &str, errors: &mut Vec<FieldError>) -> Option<Self> {
        let obj = object(value, at, errors)?;
        Some(Self {
            actor: obj
                .get("actor")
                .and_then(|a| FhirReference::read(a, &format!("{at}.actor"), errors)),
            extra: rest(obj, &["actor"]),
        })
    }

    /// The JSON object.
    pub fn to_fhir(&self) -> Value {
        let mut out = self.extra.clone();
        if let Some(actor) = &self.actor {
            out.insert("actor".into(), actor.to_fhir());
        }
        Value::Object(ordered(out, PARTICIPANT_ORDER))
    }
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

/// What importing a FHIR Appointment into a clinic takes
/// ([`crate::Clinic::import_appointment_fhir`]).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = ["visit_type", "migration"])))]
pub struct FhirAppointmentImport {
    /// The FHIR R4 Appointment resource (JSON). A JSON string is read as
    /// JSON text: that is how Kotlin and Swift hand it over (see
    /// [`crate::document::read`]).
    pub resource: Value,
    /// The visit type; when `None`, the one whose `code` equals a code of
    /// `appointmentType.coding` (ignoring case).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub visit_type: Option<VisitTypeId>,
    /// Reference text used in the resource → carebase id (see [`FhirRefs`]).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub references: BTreeMap<String, String>,
    /// A migration import: the record of a system being replaced, kept as
    /// it was instead of passing the booking rules. Needs
    /// `appointment.migrate` (not `appointment.book`) and is flagged in the
    /// audit (see [`crate::Clinic::import_appointment_fhir`]).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub migration: bool,
}

impl fmt::Debug for FhirAppointmentImport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FhirAppointmentImport")
            .field("visit_type", &self.visit_type)
            .field("references", &self.references.len())
            .field("migration", &self.migration)
            .finish_non_exhaustive()
    }
}

/// `prefix.key`, or `key` at the top.
fn path(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// The value as an object, or an error at `at`.
fn object<'a>(value: &'a Value, at: &str, errors: &mut Vec<FieldError>) -> Option<&'a Object> {
    let obj = value.as_object();
    if obj.is_none() {
        let field = if at.is_empty() { "resource" } else { at };
        fail(errors, field, "invalid_type", "must be a json object");
    }
    obj
}

/// An optional string element.
fn string(obj: &Object, key: &str, prefix: &str, errors: &mut Vec<FieldError>) -> Option<String> {
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
fn boolean(obj: &Object, key: &str, prefix: &str, errors: &mut Vec<FieldError>) -> Option<bool> {
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
fn array<'a>(
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
fn instant(
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
fn resource_type(obj: &Object, expected: &str, errors: &mut Vec<FieldError>) {
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
fn rest(obj: &Object, modelled: &[&str]) -> Object {
    obj.iter()
        .filter(|(k, _)| !modelled.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Sets `key` to a string, or leaves it out.
fn put_str(out: &mut Object, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        out.insert(key.to_owned(), Value::String(value.to_owned()));
    }
}

/// Sets `key` to an instant, or leaves it out.
fn put_instant(out: &mut Object, key: &str, value: Option<DateTime<Utc>>) {
    if let Some(at) = value {
        out.insert(key.to_owned(), Value::String(format_instant(at)));
    }
}

/// Records that `field` broke the rule `code`.
fn fail(
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
fn ordered(mut obj: Object, order: &str) -> Object {
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
