//! FHIR R4 JSON for scheduling as specifications: every official example
//! Appointment, Schedule and Slot round-trips; an imported appointment
//! exports as it came (its `id` becomes the carebase id, the source id is
//! kept in `fhir_extra.source_id`); schedules and free slots export with
//! stable references and ids.

mod clinic;
#[path = "../common/mod.rs"]
mod common;
mod mapping;

use carebase::Count64;
use std::collections::BTreeMap;
use std::path::PathBuf;

use carebase::clinic::NewPatient;
use carebase::events::schema;
use carebase::schedule::fhir::{
    appointment_from_fhir, appointment_to_fhir, fhir_source_id, format_instant, parse_instant,
    reference_parts, slot_id, FhirAppointment, FhirAppointmentImport, FhirRefs, FhirSchedule,
    FhirSlot, ImportedAppointment,
};
use carebase::schedule::{
    Appointment, AppointmentStatus, Availability, Cancellation, CancellationReason,
    NewPractitioner, NewResource, NewVisitType, Practitioner, Resource, ResourceKind, SlotQuery,
    VisitType, Weekday, WeeklyHours,
};
use carebase::{
    Actor, ActorId, AppointmentId, Clinic, Error, PatientId, PractitionerId, ResourceId, Role,
    VisitTypeId,
};
use chrono::{Duration, NaiveTime, TimeZone, Utc};
use serde_json::{json, Value};

const EXAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/fhir/r4-examples"
);

fn example(name: &str) -> Value {
    let path = PathBuf::from(EXAMPLES).join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// The example files whose name starts with `prefix-`, sorted.
fn examples(prefix: &str) -> Vec<(String, Value)> {
    let mut names: Vec<String> = std::fs::read_dir(EXAMPLES)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!("{prefix}-")) && n.ends_with(".json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| (n.clone(), example(&n)))
        .collect()
}

fn with_id(mut resource: Value, id: impl ToString) -> Value {
    resource["id"] = json!(id.to_string());
    resource
}

fn field_codes(err: &Error) -> Vec<(String, String)> {
    match err {
        Error::Validation { fields } => fields
            .iter()
            .map(|f| (f.field.clone(), f.code.clone()))
            .collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// An appointment as the clinic would store an import (no buffers).
fn stored(imported: ImportedAppointment) -> Appointment {
    let now = Utc::now();
    let by = ActorId::new();
    Appointment {
        id: AppointmentId::new(),
        version: Count64::new(1),
        patient: imported.patient,
        practitioner: imported.practitioner,
        room: imported.room,
        visit_type: VisitTypeId::new(),
        status: imported.status,
        start: imported.start,
        end: imported.end,
        blocked_from: imported.start,
        blocked_until: imported.end,
        series: None,
        cancellation: imported.cancellation_reason.map(|reason| Cancellation {
            reason,
            note: imported.cancellation_note,
            late: false,
            at: now,
            by,
        }),
        reschedules: Vec::new(),
        reminders: Vec::new(),
        note: imported.note,
        fhir_extra: Some(imported.fhir_extra),
        encounter: None,
        booked_by: by,
        created_at: now,
        updated_at: now,
    }
}

fn example_refs() -> (FhirRefs, PatientId, PractitionerId, ResourceId) {
    let (patient, practitioner, room) =
        (PatientId::new(), PractitionerId::new(), ResourceId::new());
    let mut refs = FhirRefs::new();
    refs.insert("Patient/example", patient)
        .insert("Practitioner/example", practitioner)
        .insert("Location/1", room);
    (refs, patient, practitioner, room)
}

// ---------------------------------------------------------------- pure ---
