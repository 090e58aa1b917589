//! FHIR R4 Appointment ⇄ carebase [`Appointment`].
//!
//! The `fhir_extra` representation is described in [the module
//! documentation](super).

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{
    array, fail, format_instant, instant, object, ordered, put_instant, put_str, reference_parts,
    resource_type, rest, string, FhirParticipant, FhirRefs, Object,
};
use crate::error::FieldError;
use crate::ids::{PatientId, PractitionerId, ResourceId};
use crate::schedule::model::{Appointment, AppointmentStatus, CancellationReason};
use crate::schedule::validate::MAX_BLOCK_MINUTES;
use crate::{Error, Result};

/// The code system of FHIR appointment cancellation reasons.
pub const CANCELLATION_REASON_SYSTEM: &str =
    "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason";

/// The longest note (`comment`) carebase keeps, as for a booking.
const MAX_NOTE_CHARS: usize = 2000;

/// The statuses carebase reads.
const STATUSES: &str = "one of proposed, booked, arrived, fulfilled, cancelled, noshow";

/// Appointment elements in FHIR R4 order.
const APPOINTMENT_ORDER: &str =
    "resourceType id meta implicitRules language text contained extension \
    modifierExtension identifier status cancelationReason serviceCategory serviceType \
    specialty appointmentType reasonCode reasonReference priority description \
    supportingInformation start end minutesDuration slot created comment \
    patientInstruction basedOn participant requestedPeriod";

/// The elements [`appointment_to_fhir`] rebuilds from the model.
const REBUILT: &[&str] = &["resourceType", "id", "status", "start", "end", "comment"];

/// A FHIR R4 Appointment as written: the elements carebase reads, before
/// references are resolved or anything is required, and every other element
/// in `extra`. `from_fhir` then `to_fhir` returns the same JSON value.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FhirAppointment {
    /// `id`.
    #[serde(default)]
    pub id: Option<String>,
    /// `status`, the FHIR code as written.
    #[serde(default)]
    pub status: Option<String>,
    /// `start`.
    #[serde(default)]
    pub start: Option<DateTime<Utc>>,
    /// `end`.
    #[serde(default)]
    pub end: Option<DateTime<Utc>>,
    /// `comment`.
    #[serde(default)]
    pub comment: Option<String>,
    /// `participant`, in order.
    #[serde(default)]
    pub participants: Vec<FhirParticipant>,
    /// Every other element, as written.
    #[serde(default)]
    pub extra: Object,
}

impl fmt::Debug for FhirAppointment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FhirAppointment")
            .field("status", &self.status)
            .field("start", &self.start)
            .field("end", &self.end)
            .field("participants", &self.participants)
            .finish_non_exhaustive()
    }
}

impl FhirAppointment {
    /// Reads an Appointment (a document within [`crate::document`]'s
    /// bounds); wrong types and unreadable instants are field errors, all of
    /// them collected.
    pub fn from_fhir(resource: &Value) -> Result<Self> {
        crate::document::check_value(resource, "resource")?;
        let mut errors = Vec::new();
        let read = Self::read(resource, &mut errors);
        match read {
            Some(read) if errors.is_empty() => Ok(read),
            _ => Err(Error::validation(errors)),
        }
    }

    fn read(resource: &Value, errors: &mut Vec<FieldError>) -> Option<Self> {
        let obj = object(resource, "", errors)?;
        resource_type(obj, "Appointment", errors);
        let participants = array(obj, "participant", "", errors)
            .iter()
            .enumerate()
            .filter_map(|(i, p)| FhirParticipant::read(p, &format!("participant[{i}]"), errors))
            .collect();
        Some(Self {
            id: string(obj, "id", "", errors),
            status: string(obj, "status", "", errors),
            start: instant(obj, "start", "", errors),
            end: instant(obj, "end", "", errors),
            comment: string(obj, "comment", "", errors),
            participants,
            extra: rest(obj, &[REBUILT, &["participant"]].concat()),
        })
    }

    /// The JSON resource.
    pub fn to_fhir(&self) -> Value {
        let mut out = self.extra.clone();
        out.insert("resourceType".into(), json!("Appointment"));
        put_str(&mut out, "id", self.id.as_deref());
        put_str(&mut out, "status", self.status.as_deref());
        put_instant(&mut out, "start", self.start);
        put_instant(&mut out, "end", self.end);
        put_str(&mut out, "comment", self.comment.as_deref());
        if !self.participants.is_empty() {
            let list = self.participants.iter().map(FhirParticipant::to_fhir);
            out.insert("participant".into(), Value::Array(list.collect()));
        }
        Value::Object(ordered(out, APPOINTMENT_ORDER))
    }
}

/// An Appointment read for import: resolved ids, the modelled values and
/// what to keep in [`Appointment::fhir_extra`].
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedAppointment {
    /// The resource's own `id`, if it had one (also kept in `fhir_extra`).
    pub source_id: Option<String>,
    /// The `Patient/…` actor.
    pub patient: PatientId,
    /// The first `Practitioner/…` actor; further practitioners are kept as
    /// they were written, not booked.
    pub practitioner: PractitionerId,
    /// The `Location/…` or `Device/…` actor, if any.
    pub room: Option<ResourceId>,
    /// `status`.
    pub status: AppointmentStatus,
    /// `start`.
    pub start: DateTime<Utc>,
    /// `end`.
    pub end: DateTime<Utc>,
    /// `comment`.
    pub note: Option<String>,
    /// `cancelationReason.coding[0].code`, when cancelled.
    pub cancellation_reason: Option<CancellationReason>,
    /// `cancelationReason.text`, when cancelled.
    pub cancellation_note: Option<String>,
    /// Every `appointmentType.coding[].code`, in order (to pick a visit type).
    pub appointment_type_codes: Vec<String>,
    /// What carebase does not model (see the module documentation).
    pub fhir_extra: Value,
}

impl fmt::Debug for ImportedAppointment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportedAppointment")
            .field("patient", &self.patient)
            .field("practitioner", &self.practitioner)
            .field("room", &self.room)
            .field("status", &self.status)
            .field("start", &self.start)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

/// A resolved participant: where it is and what it stands for.
struct Role {
    index: usize,
    id: Uuid,
    /// `Patient/<uuid>`, `Practitioner/<uuid>`, `Location/<uuid>`…
    carebase_ref: String,
    original: String,
}

/// Reads a FHIR R4 Appointment for import: status (proposed, booked,
/// arrived, fulfilled, cancelled, noshow), start and end (required), exactly
/// one `Patient/…` actor, at least one `Practitioner/…` actor (the first is
/// the appointment's practitioner), at most one `Location/…` or `Device/…`
/// actor (the room), references resolved through `refs`, `comment` as the
/// note and, when cancelled, `cancelationReason.coding[0].code` (required)
/// as the reason. Every failing field is reported with its FHIR path. The
/// resource is a document within [`crate::document`]'s bounds (`too_deep`,
/// `too_large` at `resource`, `too_long`, `too_many` at their path), and its
/// instants are ones every host can represent ([`crate::instant`]).
pub fn appointment_from_fhir(resource: &Value, refs: &FhirRefs) -> Result<ImportedAppointment> {
    crate::document::check_value(resource, "resource")?;
    let mut errors = Vec::new();
    let Some(parsed) = FhirAppointment::read(resource, &mut errors) else {
        return Err(Error::validation(errors));
    };
    let obj = resource.as_object().cloned().unwrap_or_default();
    let e = &mut errors;
    let status = parsed.status.as_deref().and_then(AppointmentStatus::parse);
    match (&parsed.status, status) {
        (Some(_), None) => fail(e, "status", "unsupported_status", STATUSES),
        (None, _) if !obj.contains_key("status") => fail(e, "status", "required", STATUSES),
        _ => {}
    }
    for key in ["start", "end"]
        .into_iter()
        .filter(|k| !obj.contains_key(*k))
    {
        fail(e, key, "required", "carebase needs a start and an end");
    }
    let day = chrono::Duration::minutes(i64::from(MAX_BLOCK_MINUTES));
    if let (Some(start), Some(end)) = (parsed.start, parsed.end) {
        if end <= start || end - start > day {
            fail(e, "end", "out_of_range", "after start, at most a day later");
        }
    }
    let note_chars = parsed.comment.as_ref().map_or(0, |c| c.chars().count());
    if note_chars > MAX_NOTE_CHARS {
        fail(e, "comment", "too_long", "at most 2000 characters");
    }
    let roles = participants(&parsed.participants, refs, e);

    let reason = obj.get("cancelationReason");
    let code = reason.and_then(|r| r.pointer("/coding/0/code"));
    let cancelled = status == Some(AppointmentStatus::Cancelled);
    let reason_code = code
        .and_then(Value::as_str)
        .and_then(CancellationReason::parse);
    if cancelled && reason_code.is_none() {
        let rule = if code.is_some() {
            "invalid_value"
        } else {
            "required"
        };
        let message = "a code of the fhir appointment-cancellation-reason code system";
        fail(e, "cancelationReason.coding[0].code", rule, message);
    }
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let cancellation_reason = reason_code.filter(|_| cancelled);
    let cancellation_note = cancelled.then(|| text(reason.and_then(|r| r.get("text"))));
    let codings = resource
        .pointer("/appointmentType/coding")
        .and_then(Value::as_array);
    let appointment_type_codes = codings
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("code")?.as_str().map(str::to_owned))
        .collect();

    let (Some(status), Some(start), Some(end), Some([Some(patient), Some(practitioner), room])) =
        (status, parsed.start, parsed.end, roles)
    else {
        return Err(Error::validation(errors));
    };
    if !errors.is_empty() {
        return Err(Error::validation(errors));
    }
    let fhir_extra = keep(&obj, &[Some(&patient), Some(&practitioner), room.as_ref()]);
    Ok(ImportedAppointment {
        source_id: parsed.id,
        patient: PatientId(patient.id),
        practitioner: PractitionerId(practitioner.id),
        room: room.map(|r| ResourceId(r.id)),
        status,
        start,
        end,
        note: parsed.comment,
        cancellation_reason,
        cancellation_note: cancellation_note.flatten(),
        appointment_type_codes,
        fhir_extra,
    })
}

/// Finds and resolves the patient, practitioner and room participants.
/// `None` when one of them failed (the errors say why).
fn participants(
    list: &[FhirParticipant],
    refs: &FhirRefs,
    errors: &mut Vec<FieldError>,
) -> Option<[Option<Role>; 3]> {
    const PATIENT: usize = 0;
    const PRACTITIONER: usize = 1;
    const ROOM: usize = 2;
    let mut seen = [false; 3];
    let mut found: [Option<Role>; 3] = [None, None, None];
    let before = errors.len();
    for (index, p) in list.iter().enumerate() {
        let Some(original) = p.actor.as_ref().and_then(|a| a.reference.as_deref()) else {
            continue;
        };
        let Some((kind, _)) = reference_parts(original) else {
            continue;
        };
        let (slot, one) = match kind {
            "Patient" => (PATIENT, "an appointment has exactly one patient"),
            "Practitioner" => (PRACTITIONER, ""),
            "Location" | "Device" => (ROOM, "an appointment has at most one location or device"),
            _ => continue,
        };
        let at = format!("participant[{index}].actor.reference");
        if seen[slot] {
            // Further practitioners stay as written; a second patient or room is an error.
            if slot != PRACTITIONER {
                fail(errors, at, "too_many", one);
            }
            continue;
        }
        seen[slot] = true;
        match refs.resolve(original) {
            Ok(id) => {
                found[slot] = Some(Role {
                    index,
                    id,
                    carebase_ref: format!("{kind}/{id}"),
                    original: original.to_owned(),
                })
            }
            Err(code) => fail(
                errors,
                at,
                code,
                "map it to a carebase id in the references",
            ),
        }
    }
    let missing = [
        (PATIENT, "missing_patient"),
        (PRACTITIONER, "missing_practitioner"),
    ];
    for (_, code) in missing.into_iter().filter(|(slot, _)| !seen[*slot]) {
        fail(
            errors,
            "participant",
            code,
            "a Patient and a Practitioner actor",
        );
    }
    (errors.len() == before).then_some(found)
}

/// The `fhir_extra` of an import (see the module documentation).
fn keep(obj: &Object, roles: &[Option<&Role>]) -> Value {
    let mut resource = rest(obj, REBUILT);
    let mut references = Object::new();
    if let Some(Value::Array(list)) = resource.get_mut("participant") {
        for role in roles.iter().flatten() {
            if let Some(slot) = list
                .get_mut(role.index)
                .and_then(|p| p.pointer_mut("/actor/reference"))
            {
                *slot = Value::String(role.carebase_ref.clone());
            }
            references.insert(role.carebase_ref.clone(), json!(role.original));
        }
    }
    let mut instants = Object::new();
    for key in ["start", "end"] {
        if let Some(text) = obj.get(key).and_then(Value::as_str) {
            if super::parse_instant(text).map(format_instant).as_deref() != Some(text) {
                instants.insert(key.into(), json!(text));
            }
        }
    }
    let mut extra = Object::new();
    if let Some(id) = obj.get("id") {
        extra.insert("source_id".into(), id.clone());
    }
    extra.insert("resource".into(), Value::Object(resource));
    extra.insert("references".into(), Value::Object(references));
    if !instants.is_empty() {
        extra.insert("instants".into(), Value::Object(instants));
    }
    Value::Object(extra)
}

/// The `id` an imported appointment had where it came from.
pub fn fhir_source_id(appointment: &Appointment) -> Option<&str> {
    appointment.fhir_extra.as_ref()?.get("source_id")?.as_str()
}

/// The FHIR R4 Appointment for `a`: `id` is the carebase id; status, start,
/// end, comment, the patient, practitioner and room participants and (when
/// cancelled) `cancelationReason` come from the model; what an import kept
/// in `fhir_extra` is merged back with the original reference texts.
pub fn appointment_to_fhir(a: &Appointment) -> Value {
    let kept = a.fhir_extra.as_ref().and_then(Value::as_object);
    let part = |key: &str| kept.and_then(|k| k.get(key)).and_then(Value::as_object);
    let empty = Object::new();
    let references = part("references").unwrap_or(&empty);
    let instants = part("instants").unwrap_or(&empty);
    let mut out = part("resource").cloned().unwrap_or_default();

    out.insert("resourceType".into(), json!("Appointment"));
    out.insert("id".into(), json!(a.id.to_string()));
    out.insert("status".into(), json!(a.status.as_str()));
    for (key, at) in [("start", a.start), ("end", a.end)] {
        let written = instants.get(key).and_then(Value::as_str);
        let text = match written {
            Some(text) if super::parse_instant(text) == Some(at) => text.to_owned(),
            _ => format_instant(at),
        };
        out.insert(key.into(), json!(text));
    }
    put_str(&mut out, "comment", a.note.as_deref());

    let preserved = match out.remove("participant") {
        Some(Value::Array(list)) => list,
        _ => Vec::new(),
    };
    let participant = merge_participants(a, preserved, references);
    out.insert("participant".into(), Value::Array(participant));

    if let (AppointmentStatus::Cancelled, Some(c)) = (a.status, &a.cancellation) {
        let kept_code = out
            .get("cancelationReason")
            .and_then(|r| r.pointer("/coding/0/code"))
            .and_then(Value::as_str);
        if kept_code != Some(c.reason.as_str()) {
            let mut reason = json!({
                "coding": [{"system": CANCELLATION_REASON_SYSTEM, "code": c.reason}]
            });
            if let (Some(note), Some(obj)) = (&c.note, reason.as_object_mut()) {
                obj.insert("text".into(), json!(note));
            }
            out.insert("cancelationReason".into(), reason);
        }
    }
    Value::Object(ordered(out, APPOINTMENT_ORDER))
}

/// The preserved participant entries with their original reference texts,
/// stale modelled entries replaced, and fresh entries for modelled
/// participants the import did not carry.
fn merge_participants(a: &Appointment, preserved: Vec<Value>, references: &Object) -> Vec<Value> {
    let mut wanted: Vec<Vec<String>> = vec![
        vec![format!("Patient/{}", a.patient)],
        vec![format!("Practitioner/{}", a.practitioner)],
    ];
    if let Some(room) = a.room {
        wanted.push(vec![format!("Location/{room}"), format!("Device/{room}")]);
    }
    let mut done = vec![false; wanted.len()];
    let mut out = Vec::with_capacity(preserved.len() + wanted.len());
    for mut entry in preserved {
        let reference = entry
            .pointer("/actor/reference")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let Some(reference) = reference else {
            out.push(entry);
            continue;
        };
        let role = wanted
            .iter()
            .enumerate()
            .position(|(k, refs)| !done[k] && refs.contains(&reference));
        match role {
            Some(k) => {
                done[k] = true;
                if let (Some(original), Some(slot)) = (
                    references.get(&reference),
                    entry.pointer_mut("/actor/reference"),
                ) {
                    *slot = original.clone();
                }
                out.push(entry);
            }
            // A participant the import resolved that the appointment no longer has.
            None if references.contains_key(&reference) => {}
            None => out.push(entry),
        }
    }
    for (k, refs) in wanted.iter().enumerate() {
        if !done[k] {
            out.push(json!({"actor": {"reference": refs[0]}, "status": "accepted"}));
        }
    }
    out
}
