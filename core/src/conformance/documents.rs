//! Whatever a store accepts it reads back: the deepest and largest FHIR
//! Appointment the document bounds admit is written, then read through
//! every path that decodes it; one level deeper is refused before anything
//! is written.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};

use super::scheduling_clinic;
use crate::actor::Actor;
use crate::ids::{PatientId, PractitionerId};
use crate::limits::{
    MAX_DOCUMENT_BYTES, MAX_DOCUMENT_DEPTH, MAX_DOCUMENT_ITEMS, MAX_DOCUMENT_STRING_BYTES,
};
use crate::schedule::fhir::{FhirAppointmentImport, FhirRefs};
use crate::schedule::{AppointmentQuery, AppointmentStatus, CancelAppointment, CancellationReason};
use crate::store::Store;
use crate::Error;

/// Monday 2030-01-07, 09:00 in Berlin (the clinic of [`scheduling_clinic`]).
fn monday_nine() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 7, 8, 0, 0).single().unwrap()
}

/// `levels` arrays around a string, built without recursion.
fn nested_arrays(levels: usize) -> Value {
    let mut value = json!("deepest");
    for _ in 0..levels {
        value = Value::Array(vec![value]);
    }
    value
}

/// A booked FHIR Appointment of `patient` with `practitioner` at
/// `[start, end)` that is exactly as deep ([`MAX_DOCUMENT_DEPTH`]) and as
/// large ([`MAX_DOCUMENT_BYTES`] of compact JSON) as a document may be, with
/// strings of the longest length and an array of the most items; `extra`
/// levels of nesting are added to its `extension` (still as large).
pub fn largest_fhir_appointment(
    patient: PatientId,
    practitioner: PractitionerId,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    extra: usize,
) -> Value {
    let longest = "x".repeat(MAX_DOCUMENT_STRING_BYTES);
    let mut resource = json!({
        "resourceType": "Appointment",
        "status": "booked",
        "start": crate::schedule::fhir::format_instant(start),
        "end": crate::schedule::fhir::format_instant(end),
        "participant": [
            {"actor": {"reference": format!("Patient/{patient}")}, "status": "accepted"},
            {"actor": {"reference": format!("Practitioner/{practitioner}")}, "status": "accepted"},
        ],
        // The resource is level 1, so these arrays reach the bound.
        "extension": nested_arrays(MAX_DOCUMENT_DEPTH - 1 + extra),
        "text": {"status": "generated", "div": longest},
        "supportingInformation": vec![json!({"display": "s"}); MAX_DOCUMENT_ITEMS],
        "reasonCode": [],
    });
    // Fill `reasonCode` with strings of the longest length, then `id` to
    // the last byte (`,"id":""` is 8 bytes, each `{"text":""}` 11 and a comma).
    let size = |r: &Value| serde_json::to_string(r).unwrap().len();
    let mut room = MAX_DOCUMENT_BYTES - size(&resource) - 8;
    let mut reasons = Vec::new();
    loop {
        let overhead = if reasons.is_empty() { 11 } else { 12 };
        if room <= overhead {
            break;
        }
        let length = (room - overhead).min(MAX_DOCUMENT_STRING_BYTES);
        reasons.push(json!({"text": "r".repeat(length)}));
        room -= overhead + length;
    }
    resource["reasonCode"] = Value::Array(reasons);
    resource["id"] = json!("i".repeat(room));
    resource
}

pub async fn the_largest_accepted_fhir_appointment_reads_back_everywhere(store: Arc<dyn Store>) {
    let (clinic, practitioner, visit, patients) = scheduling_clinic(store.clone(), 1).await;
    let system = Actor::system();
    let start = monday_nine();
    let end = start + Duration::minutes(30);
    let resource = largest_fhir_appointment(patients[0], practitioner.id, start, end, 0);
    assert_eq!(
        serde_json::to_string(&resource).unwrap().len(),
        MAX_DOCUMENT_BYTES
    );
    let import = FhirAppointmentImport {
        resource: resource.clone(),
        visit_type: Some(visit.id),
        references: FhirRefs::new().0,
        migration: false,
    };
    let imported = clinic
        .import_appointment_fhir(&system, import)
        .await
        .unwrap();

    let read = clinic.get_appointment(&system, imported.id).await.unwrap();
    assert_eq!(read, imported);
    let query = |patient, practitioner| AppointmentQuery {
        patient,
        practitioner,
        from: start - Duration::days(1),
        to: start + Duration::days(1),
        include_inactive: true,
        limit: None,
    };
    let of_patient = clinic
        .list_appointments(&system, query(Some(patients[0]), None))
        .await
        .unwrap();
    assert_eq!(of_patient, vec![imported.clone()]);
    let calendar = clinic
        .list_appointments(&system, query(None, Some(practitioner.id)))
        .await
        .unwrap();
    assert_eq!(calendar, vec![imported.clone()]);
    let mut exported = clinic
        .export_appointment_fhir(&system, imported.id)
        .await
        .unwrap();
    assert_eq!(exported["id"], json!(imported.id.to_string()));
    exported["id"] = resource["id"].clone();
    assert_eq!(exported, resource);
    let cancelled = clinic
        .cancel_appointment(
            &system,
            imported.id,
            imported.version,
            CancelAppointment {
                reason: CancellationReason::Prov,
                note: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(cancelled.status, AppointmentStatus::Cancelled);
    assert_eq!(
        store.appointment(imported.id).await.unwrap(),
        Some(cancelled)
    );
}

pub async fn a_fhir_appointment_one_level_too_deep_is_refused_and_writes_nothing(
    store: Arc<dyn Store>,
) {
    let (clinic, practitioner, visit, patients) = scheduling_clinic(store.clone(), 1).await;
    let system = Actor::system();
    let start = monday_nine();
    let end = start + Duration::minutes(30);
    let events_before = store.events_after(&[], 1000).await.unwrap().len();
    for (extra_depth, extra_bytes, code) in [(1, 0, "too_deep"), (0, 1, "too_large")] {
        let mut resource =
            largest_fhir_appointment(patients[0], practitioner.id, start, end, extra_depth);
        if extra_bytes > 0 {
            let id = format!("{}{}", resource["id"].as_str().unwrap(), "i");
            resource["id"] = json!(id);
        }
        let import = FhirAppointmentImport {
            resource,
            visit_type: Some(visit.id),
            references: FhirRefs::new().0,
            migration: false,
        };
        let err = clinic
            .import_appointment_fhir(&system, import)
            .await
            .unwrap_err();
        let Error::Validation { fields } = err else {
            panic!("expected a validation error, got {err:?}");
        };
        assert_eq!(
            fields
                .iter()
                .map(|f| (f.field.as_str(), f.code.as_str()))
                .collect::<Vec<_>>(),
            vec![("resource", code)]
        );
    }
    let listed = clinic
        .list_appointments(
            &system,
            AppointmentQuery {
                patient: Some(patients[0]),
                practitioner: None,
                from: start - Duration::days(1),
                to: start + Duration::days(1),
                include_inactive: true,
                limit: None,
            },
        )
        .await
        .unwrap();
    assert!(listed.is_empty());
    assert_eq!(
        store.events_after(&[], 1000).await.unwrap().len(),
        events_before
    );
}
