//! Every emitted outbox event validates against its JSON Schema in
//! `core/schemas/events/`, and delivery is at-least-once.

mod common;

use carebase::clinic::NewPatient;
use carebase::events::{partition_of, schema, EVENT_TYPES, OUTBOX_PARTITIONS};
use carebase::{Actor, Role};
use carebase::{Count32, Count64};
use common::{actor, clinic, details};

#[tokio::test]
async fn every_event_type_validates_against_its_schema() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let system = Actor::system();
    let new = |g: &str| NewPatient {
        details: details("Ev", g, (1990, 1, 1)),
        mrn_facility: None,
    };
    let a = clinic.register_patient(&desk, new("A")).await.unwrap();
    let b = clinic.register_patient(&desk, new("B")).await.unwrap();
    let a2 = clinic
        .update_patient(
            &desk,
            a.id,
            Count64::new(1),
            details("Ev", "Changed", (1990, 1, 1)),
        )
        .await
        .unwrap();
    let a3 = clinic
        .deactivate_patient(&desk, a.id, a2.version)
        .await
        .unwrap();
    clinic
        .reactivate_patient(&desk, a.id, a3.version)
        .await
        .unwrap();
    let merge = clinic
        .merge_patients(&system, a.id, Count64::new(4), b.id, Count64::new(1))
        .await
        .unwrap();
    clinic.unmerge_patients(&system, merge.id).await.unwrap();
    book_move_confirm_and_cancel(&clinic, &system, a.id).await;

    let events = clinic
        .events_after(&system, vec![], Count32::new(100))
        .await
        .unwrap();
    let mut kinds: Vec<_> = events.iter().map(|e| e.draft.kind.as_str()).collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        kinds.len(),
        EVENT_TYPES.len(),
        "every event type was emitted"
    );
    for event in &events {
        let text =
            schema(&event.draft.kind, event.draft.schema_version.get()).expect("schema exists");
        let schema: serde_json::Value = serde_json::from_str(text).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let instance = serde_json::to_value(event).unwrap();
        let errors: Vec<_> = validator
            .iter_errors(&instance)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", event.draft.kind);
    }
}

#[tokio::test]
async fn a_schema_rejects_an_event_with_demographics_in_its_payload() {
    let schema: serde_json::Value =
        serde_json::from_str(schema("patient.registered", 1).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let leaked = serde_json::json!({
        "seq": 1, "id": "01890a5d-ac96-774b-bcce-b302099a8057", "kind": "patient.registered",
        "schema_version": 1, "patient": null, "idempotency_key": "k", "occurred_at": "2026-01-01T00:00:00Z",
        "payload": {"patient_id": "01890a5d-ac96-774b-bcce-b302099a8057", "version": 1,
                    "registered_at": "2026-01-01T00:00:00Z", "family": "Doe"}
    });
    assert!(!validator.is_valid(&leaked));
}

#[tokio::test]
async fn sequences_increase_and_idempotency_keys_are_unique() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    for i in 0..5 {
        let p = clinic
            .register_patient(
                &desk,
                NewPatient {
                    details: details("S", &format!("{i}"), (1990, 1, 1)),
                    mrn_facility: None,
                },
            )
            .await
            .unwrap();
        clinic
            .update_patient(
                &desk,
                p.id,
                Count64::new(1),
                details("S", "x", (1990, 1, 1)),
            )
            .await
            .unwrap();
    }
    let events = clinic
        .events_after(&Actor::system(), vec![], Count32::new(100))
        .await
        .unwrap();
    for partition in 0..OUTBOX_PARTITIONS {
        let seqs: Vec<_> = events
            .iter()
            .filter(|e| e.partition == partition)
            .map(|e| e.seq)
            .collect();
        assert!(seqs.windows(2).all(|w| w[0] + 1 == w[1]));
    }
    let mut keys: Vec<_> = events
        .iter()
        .map(|e| e.draft.idempotency_key.clone())
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), events.len());
}

#[tokio::test]
async fn a_merge_and_its_unmerge_key_each_patients_event_by_the_merge_and_that_patients_part() {
    let (clinic, _, _) = clinic();
    let system = Actor::system();
    let new = |g: &str| NewPatient {
        details: details("Key", g, (1990, 1, 1)),
        mrn_facility: None,
    };
    let keep = clinic.register_patient(&system, new("A")).await.unwrap();
    let gone = clinic.register_patient(&system, new("B")).await.unwrap();
    let merge = clinic
        .merge_patients(&system, keep.id, keep.version, gone.id, gone.version)
        .await
        .unwrap();
    clinic.unmerge_patients(&system, merge.id).await.unwrap();

    let events = clinic
        .events_after(&system, vec![], Count32::new(100))
        .await
        .unwrap();
    let mut keys: Vec<_> = events
        .iter()
        .filter(|e| e.draft.kind != "patient.registered")
        .map(|e| (e.draft.idempotency_key.clone(), e.draft.patient))
        .collect();
    keys.sort();
    let m = merge.id;
    assert_eq!(
        keys,
        vec![
            (format!("patient.merged:{m}:merged:1"), Some(gone.id)),
            (format!("patient.merged:{m}:survivor:1"), Some(keep.id)),
            (format!("patient.unmerged:{m}:merged:2"), Some(gone.id)),
            (format!("patient.unmerged:{m}:survivor:2"), Some(keep.id)),
        ]
    );
}

#[tokio::test]
async fn a_consumer_that_was_down_gets_everything_it_missed() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let system = Actor::system();
    for i in 0..7 {
        clinic
            .register_patient(
                &desk,
                NewPatient {
                    details: details("D", &format!("{i}"), (1990, 1, 1)),
                    mrn_facility: None,
                },
            )
            .await
            .unwrap();
    }
    let mut received = Vec::new();
    loop {
        let batch = clinic
            .poll_events(&system, "webhook", Count32::new(3))
            .await
            .unwrap();
        if batch.is_empty() {
            break;
        }
        for event in &batch {
            clinic
                .ack_events(&system, "webhook", event.partition, event.seq)
                .await
                .unwrap();
        }
        received.extend(batch);
    }
    assert_eq!(received.len(), 7);
    assert_eq!(
        clinic
            .ack_events(&system, "webhook", Count32::new(0), Count64::new(999))
            .await
            .unwrap_err()
            .code(),
        "validation"
    );
}

#[tokio::test]
async fn only_permitted_actors_read_the_outbox() {
    let (clinic, _, _) = clinic();
    assert_eq!(
        clinic
            .poll_events(&actor(Role::FrontDesk), "x", Count32::new(10))
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
}

/// Emits every appointment event kind once.
async fn book_move_confirm_and_cancel(
    clinic: &carebase::Clinic,
    system: &Actor,
    patient: carebase::PatientId,
) {
    use carebase::schedule::*;
    use chrono::{NaiveTime, TimeZone, Utc};
    let weekly = Weekday::ALL
        .into_iter()
        .map(|weekday| WeeklyHours {
            weekday,
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
            valid_from: None,
            valid_until: None,
        })
        .collect();
    let doc = clinic
        .add_practitioner(
            system,
            NewPractitioner {
                id: None,
                name: "Dr Events".into(),
                time_zone: "Europe/Paris".into(),
                availability: Availability {
                    weekly,
                    ..Availability::default()
                },
            },
        )
        .await
        .unwrap();
    let visit = clinic
        .add_visit_type(
            system,
            NewVisitType {
                code: "consult".into(),
                name: "Consultation".into(),
                duration_minutes: Count32::new(30),
                buffer_before_minutes: Count32::new(0),
                buffer_after_minutes: Count32::new(0),
                min_notice_minutes: Count32::new(0),
                horizon_days: Count32::new(3650),
                max_per_day: None,
                reminder_offsets_minutes: vec![Count32::new(60)],
            },
        )
        .await
        .unwrap();
    let start = Utc.with_ymd_and_hms(2030, 1, 7, 8, 0, 0).single().unwrap();
    let a = clinic
        .book_appointment(
            system,
            BookAppointment {
                patient,
                practitioner: doc.id,
                room: None,
                visit_type: visit.id,
                start,
                status: Some(AppointmentStatus::Proposed),
                note: None,
            },
        )
        .await
        .unwrap();
    let a = clinic
        .reschedule_appointment(
            system,
            a.id,
            a.version,
            RescheduleAppointment {
                start: start + chrono::Duration::hours(1),
                practitioner: None,
                room: None,
            },
        )
        .await
        .unwrap();
    let a = clinic
        .change_appointment_status(system, a.id, a.version, AppointmentStatus::Booked)
        .await
        .unwrap();
    clinic
        .cancel_appointment(
            system,
            a.id,
            a.version,
            CancelAppointment {
                reason: CancellationReason::Pat,
                note: Some("free text stays out of events".into()),
            },
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_cancellation_event_carries_a_reason_code_from_a_closed_set_and_never_the_note() {
    let (clinic, _, _) = clinic();
    let system = Actor::system();
    let p = clinic
        .register_patient(
            &actor(Role::FrontDesk),
            NewPatient {
                details: details("Ev", "Cancel", (1990, 1, 1)),
                mrn_facility: None,
            },
        )
        .await
        .unwrap();
    book_move_confirm_and_cancel(&clinic, &system, p.id).await;
    let events = clinic
        .events_after(&system, vec![], Count32::new(100))
        .await
        .unwrap();
    let cancelled = events
        .iter()
        .find(|e| e.draft.kind == "appointment.cancelled")
        .unwrap();
    assert_eq!(cancelled.draft.schema_version, 2);
    assert_eq!(cancelled.draft.payload["reason"], "pat");
    let text = serde_json::to_string(&events).unwrap();
    assert!(!text.contains("free text stays out of events"));
}

/// Every `type: string` schema under `node` that is not closed (an id, an
/// instant, a pattern or a listed set), by path.
fn open_strings(node: &serde_json::Value, path: &str, found: &mut Vec<String>) {
    match node {
        serde_json::Value::Object(map) => {
            let is_string = map.get("type").is_some_and(|t| {
                t == "string"
                    || t.as_array()
                        .is_some_and(|ts| ts.iter().any(|t| t == "string"))
            });
            let closed = ["format", "pattern", "enum", "const"]
                .iter()
                .any(|k| map.contains_key(*k));
            if is_string && !closed {
                found.push(path.to_owned());
            }
            for (k, v) in map {
                open_strings(v, &format!("{path}/{k}"), found);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                open_strings(v, &format!("{path}[{i}]"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn no_event_payload_can_carry_free_text() {
    let mut found = Vec::new();
    for &(kind, version) in EVENT_TYPES {
        let schema: serde_json::Value =
            serde_json::from_str(schema(kind, version).unwrap()).unwrap();
        open_strings(
            &schema["properties"]["payload"],
            &format!("{kind}.v{version}"),
            &mut found,
        );
    }
    assert!(found.is_empty(), "free text allowed at {found:?}");
}

#[test]
fn every_cancellation_reason_is_its_fhir_code_and_listed_in_the_event_schema() {
    use carebase::schedule::CancellationReason;
    let schema: serde_json::Value =
        serde_json::from_str(schema("appointment.cancelled", 2).unwrap()).unwrap();
    let listed: Vec<String> = serde_json::from_value(
        schema["properties"]["payload"]["properties"]["reason"]["enum"].clone(),
    )
    .unwrap();
    let codes: Vec<String> = CancellationReason::ALL
        .iter()
        .map(|r| r.as_str().to_owned())
        .collect();
    assert_eq!(listed, codes);
    for reason in &CancellationReason::ALL {
        assert_eq!(serde_json::json!(reason), reason.as_str());
        assert_eq!(CancellationReason::parse(reason.as_str()), Some(*reason));
    }
    assert_eq!(CancellationReason::PatCrs.as_str(), "pat-crs");
    assert_eq!(CancellationReason::parse("called in sick"), None);
}

#[test]
fn a_free_text_reason_stored_before_reasons_were_a_closed_set_reads_as_other() {
    use carebase::schedule::{Cancellation, CancellationReason};
    let stored = serde_json::json!({
        "reason": "called in sick", "note": null, "late": false,
        "at": "2026-01-01T00:00:00Z", "by": "01890a5d-ac96-774b-bcce-b302099a8057"
    });
    let read: Cancellation = serde_json::from_value(stored).unwrap();
    assert_eq!(read.reason, CancellationReason::Other);
}

#[tokio::test]
async fn an_acknowledgement_names_a_partition_the_outbox_has() {
    let (clinic, _, _) = clinic();
    let err = clinic
        .ack_events(
            &Actor::system(),
            "relay",
            Count32::new(OUTBOX_PARTITIONS),
            Count64::new(0),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "validation");
    assert!(err.to_json().to_string().contains("\"partition\""));
}

#[tokio::test]
async fn a_position_longer_than_the_partitions_is_refused() {
    let (clinic, _, _) = clinic();
    let after = vec![Count64::ZERO; OUTBOX_PARTITIONS as usize + 1];
    let err = clinic
        .events_after(&Actor::system(), after, Count32::new(10))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "validation");
    assert!(err.to_json().to_string().contains("\"after\""));
}

#[tokio::test]
async fn each_partition_is_acknowledged_on_its_own() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let system = Actor::system();
    let mut partitions = std::collections::BTreeSet::new();
    for i in 0..6 {
        let p = clinic
            .register_patient(
                &desk,
                NewPatient {
                    details: details("P", &format!("{i}"), (1990, 1, 1)),
                    mrn_facility: None,
                },
            )
            .await
            .unwrap();
        partitions.insert(partition_of(Some(p.id), OUTBOX_PARTITIONS));
    }
    let events = clinic
        .poll_events(&system, "relay", Count32::new(100))
        .await
        .unwrap();
    let first = &events[0];
    assert_eq!(
        clinic
            .ack_events(&system, "relay", first.partition, first.seq)
            .await
            .unwrap(),
        first.seq
    );
    let rest = clinic
        .poll_events(&system, "relay", Count32::new(100))
        .await
        .unwrap();
    assert_eq!(rest.len(), events.len() - 1);
    assert!(!rest.contains(first));
}

#[test]
fn a_patients_partition_is_stable_and_events_about_no_patient_have_their_own() {
    let id = carebase::ids::PatientId(uuid::Uuid::from_u128(15 * 7 + 3));
    assert_eq!(partition_of(Some(id), 16), 4);
    assert_eq!(partition_of(None, 16), 0);
    assert_eq!(partition_of(Some(id), 1), 0);
}
