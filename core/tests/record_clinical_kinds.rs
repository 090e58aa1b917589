//! Specification of conditions, procedures, immunizations and notes as
//! operations: each is the pipeline's entry of its kind.

mod common;

use carebase::events::OutboxEvent;
use carebase::record::{
    Coding, Condition, ConditionStatus, EntryBody, Immunization, ImmunizationStatus, Procedure,
    ProcedureStatus, VerificationStatus,
};
use carebase::Count32;
use carebase::Role;
use chrono::Duration;
use common::record::RecordWorld;

fn snomed(code: &str) -> Coding {
    Coding {
        system: "http://snomed.info/sct".into(),
        code: code.into(),
        display: None,
    }
}

async fn events(r: &RecordWorld) -> Vec<OutboxEvent> {
    r.world
        .clinic
        .events_after(&r.world.system, vec![], Count32::new(1000))
        .await
        .unwrap()
}

#[tokio::test]
async fn recording_a_condition_announces_condition_recorded() {
    let r = RecordWorld::new().await;
    let condition = Condition {
        code: snomed("44054006"),
        clinical_status: ConditionStatus::Active,
        verification_status: VerificationStatus::Confirmed,
        onset_at: None,
        abated_at: None,
    };
    let entry = r
        .world
        .clinic
        .record_condition(&r.world.doctor, r.patient.id, r.now(), None, &condition)
        .await
        .unwrap();
    let events = events(&r).await;
    assert!(events.iter().any(|e| e.draft.kind == "condition.recorded"
        && e.draft.payload["entry_id"] == entry.id.to_string()));
}

#[tokio::test]
async fn a_procedure_ending_before_it_started_is_refused_on_ended_at() {
    let r = RecordWorld::new().await;
    let procedure = Procedure {
        code: snomed("80146002"),
        status: ProcedureStatus::Completed,
        ended_at: Some(r.now() - Duration::hours(2)),
        performers: vec![],
    };
    let err = r
        .world
        .clinic
        .record_procedure(
            &r.world.doctor,
            r.patient.id,
            r.now() - Duration::hours(1),
            None,
            &procedure,
        )
        .await
        .unwrap_err();
    match err {
        carebase::Error::Validation { fields } => {
            assert_eq!(fields[0].field, "body.ended_at");
            assert_eq!(fields[0].code, "before_start");
        }
        other => panic!("expected validation, got {other:?}"),
    }
}

#[tokio::test]
async fn an_immunization_is_recorded_with_its_lot() {
    let r = RecordWorld::new().await;
    let immunization = Immunization {
        vaccine: Coding {
            system: "http://hl7.org/fhir/sid/cvx".into(),
            code: "140".into(),
            display: None,
        },
        status: ImmunizationStatus::Completed,
        lot: Some("AB1234".into()),
        performer: Some(r.world.practitioner.id),
    };
    let entry = r
        .world
        .clinic
        .record_immunization(&r.world.doctor, r.patient.id, r.now(), None, &immunization)
        .await
        .unwrap();
    assert_eq!(entry.body, EntryBody::Immunization(immunization));
}

#[tokio::test]
async fn a_note_is_authored_by_the_actors_practitioner() {
    let r = RecordWorld::new().await;
    let entry = r
        .world
        .clinic
        .write_note(
            &r.world.doctor,
            r.patient.id,
            r.now(),
            None,
            Some("Follow-up"),
            "Better today.\nContinue.",
        )
        .await
        .unwrap();
    let EntryBody::Note(note) = entry.body else {
        panic!("a note")
    };
    assert_eq!(note.author, r.world.practitioner.id);
}

#[tokio::test]
async fn an_actor_who_is_not_a_practitioner_cannot_write_a_note() {
    let r = RecordWorld::new().await;
    let system = carebase::Actor::system();
    assert!(!system.has_role(Role::Patient));
    let err = r
        .world
        .clinic
        .write_note(&system, r.patient.id, r.now(), None, None, "text")
        .await
        .unwrap_err();
    assert!(matches!(err.code(), "validation" | "forbidden"), "{err:?}");
}
