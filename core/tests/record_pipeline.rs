//! Specification of the health record pipeline: record, move along the
//! life cycle, amend and retract, each one audited change set.

mod common;

use carebase::audit::{AuditQuery, Outcome};
use carebase::events::OutboxEvent;
use carebase::record::{EncounterStatus, NewEntry, RevisionKind};
use carebase::store::{AuditStore, RecordStore};
use carebase::Count32;
use carebase::{ConflictDetail, Error, PatientId};
use chrono::Duration;
use common::record::{encounter, vital, RecordWorld, BODY_WEIGHT};

fn fields(err: &Error) -> Vec<(String, String)> {
    match err {
        Error::Validation { fields } => fields
            .iter()
            .map(|f| (f.field.clone(), f.code.clone()))
            .collect(),
        other => panic!("expected validation, got {other:?}"),
    }
}

async fn events(r: &RecordWorld) -> Vec<OutboxEvent> {
    r.world
        .clinic
        .events_after(&r.world.system, vec![], Count32::new(1000))
        .await
        .unwrap()
}

async fn audit_for(r: &RecordWorld, subject: &str) -> Vec<carebase::audit::AuditEntry> {
    r.world
        .store
        .audit_entries(&AuditQuery {
            patient: Some(r.patient.id),
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.draft.subject.as_deref() == Some(subject))
        .collect()
}

#[tokio::test]
async fn recording_an_entry_stores_version_one_by_its_author() {
    let r = RecordWorld::new().await;
    let entry = r
        .record(r.new_entry(vital(BODY_WEIGHT, "72.50", "kg")))
        .await;
    assert_eq!(entry.version, 1);
    assert_eq!(entry.recorded_by, r.world.doctor.id);
    assert_eq!(entry.revision.kind, RevisionKind::Recorded);
    let stored = r.world.store.entry(r.patient.id, entry.id).await.unwrap();
    assert_eq!(stored, Some(entry));
}

#[tokio::test]
async fn recording_an_entry_audits_it_under_its_entry_subject() {
    let r = RecordWorld::new().await;
    let entry = r
        .record(r.new_entry(vital(BODY_WEIGHT, "72.5", "kg")))
        .await;
    let audit = audit_for(&r, &format!("entry:{}", entry.id)).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].draft.outcome, Outcome::Success);
    assert_eq!(audit[0].draft.action, "record.write");
}

#[tokio::test]
async fn recording_an_observation_announces_observation_recorded_without_its_value() {
    let r = RecordWorld::new().await;
    let entry = r
        .record(r.new_entry(vital(BODY_WEIGHT, "72.5", "kg")))
        .await;
    let events = events(&r).await;
    let recorded: Vec<_> = events
        .iter()
        .filter(|e| e.draft.kind == "observation.recorded")
        .collect();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].draft.payload["entry_id"], entry.id.to_string());
    assert!(!recorded[0].draft.payload.to_string().contains("72.5"));
}

#[tokio::test]
async fn an_amendment_supersedes_the_last_version_and_keeps_both() {
    let r = RecordWorld::new().await;
    let first = r
        .record(r.new_entry(vital(BODY_WEIGHT, "72.5", "kg")))
        .await;
    let amended = r
        .world
        .clinic
        .amend_entry(
            &r.world.doctor,
            r.patient.id,
            first.id,
            Count32::new(1),
            &vital(BODY_WEIGHT, "27.5", "kg"),
            "digits swapped",
        )
        .await
        .unwrap();
    assert_eq!(amended.version, 2);
    assert_eq!(amended.revision.kind, RevisionKind::Amended);
    assert_eq!(amended.revision.reason.as_deref(), Some("digits swapped"));
    let versions = r
        .world
        .store
        .entry_versions(r.patient.id, first.id)
        .await
        .unwrap();
    assert_eq!(versions, vec![first, amended]);
}

#[tokio::test]
async fn amending_a_final_observation_makes_it_amended() {
    let r = RecordWorld::new().await;
    let first = r
        .record(r.new_entry(vital(BODY_WEIGHT, "72.5", "kg")))
        .await;
    let amended = r
        .world
        .clinic
        .amend_entry(
            &r.world.doctor,
            r.patient.id,
            first.id,
            Count32::new(1),
            &vital(BODY_WEIGHT, "72.4", "kg"),
            "scale recalibrated",
        )
        .await
        .unwrap();
    assert_eq!(amended.status(), "amended");
}

#[tokio::test]
async fn an_amendment_without_a_reason_is_a_validation_error_naming_reason() {
    let r = RecordWorld::new().await;
    let first = r
        .record(r.new_entry(vital(BODY_WEIGHT, "72.5", "kg")))
        .await;
    let err = r
        .world
        .clinic
        .amend_entry(
            &r.world.doctor,
            r.patient.id,
            first.id,
            Count32::new(1),
            &vital(BODY_WEIGHT, "27.5", "kg"),
            "  ",
        )
        .await
        .unwrap_err();
    assert_eq!(fields(&err)[0].0, "reason");
}

#[tokio::test]
async fn an_amendment_cannot_change_the_kind_of_an_entry() {
    let r = RecordWorld::new().await;
    let first = r
        .record(r.new_entry(vital(BODY_WEIGHT, "72.5", "kg")))
        .await;
    let err = r
        .world
        .clinic
        .amend_entry(
            &r.world.doctor,
            r.patient.id,
            first.id,
            Count32::new(1),
            &encounter(EncounterStatus::Arrived),
            "wrong kind",
        )
        .await
        .unwrap_err();
    assert_eq!(
        fields(&err),
        vec![("body.kind".into(), "kind_changed".into())]
    );
}

#[tokio::test]
async fn a_stale_expected_version_is_a_stale_version_conflict_and_writes_nothing() {
    let r = RecordWorld::new().await;
    let first = r
        .record(r.new_entry(vital(BODY_WEIGHT, "72.5", "kg")))
        .await;
    r.world
        .clinic
        .amend_entry(
            &r.world.doctor,
            r.patient.id,
            first.id,
            Count32::new(1),
            &vital(BODY_WEIGHT, "72.6", "kg"),
            "first fix",
        )
        .await
        .unwrap();
    let err = r
        .world
        .clinic
        .retract_entry(
            &r.world.doctor,
            r.patient.id,
            first.id,
            Count32::new(1),
            "wrong patient",
        )
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Conflict {
            detail: ConflictDetail::StaleVersion { .. }
        }
    ));
    let versions = r
        .world
        .store
        .entry_versions(r.patient.id, first.id)
        .await
        .unwrap();
    assert_eq!(versions.len(), 2);
}

#[tokio::test]
async fn a_retraction_marks_the_entry_entered_in_error_and_announces_it() {
    let r = RecordWorld::new().await;
    let first = r
        .record(r.new_entry(vital(BODY_WEIGHT, "72.5", "kg")))
        .await;
    let retracted = r
        .world
        .clinic
        .retract_entry(
            &r.world.doctor,
            r.patient.id,
            first.id,
            Count32::new(1),
            "wrong patient",
        )
        .await
        .unwrap();
    assert_eq!(retracted.version, 2);
    assert_eq!(retracted.status(), "entered-in-error");
    let retractions = events(&r)
        .await
        .into_iter()
        .filter(|e| e.draft.kind == "entry.retracted")
        .count();
    assert_eq!(retractions, 1);
}

#[tokio::test]
async fn a_retracted_entry_takes_no_further_versions() {
    let r = RecordWorld::new().await;
    let first = r
        .record(r.new_entry(vital(BODY_WEIGHT, "72.5", "kg")))
        .await;
    r.world
        .clinic
        .retract_entry(
            &r.world.doctor,
            r.patient.id,
            first.id,
            Count32::new(1),
            "wrong patient",
        )
        .await
        .unwrap();
    let err = r
        .world
        .clinic
        .retract_entry(
            &r.world.doctor,
            r.patient.id,
            first.id,
            Count32::new(2),
            "again",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn an_encounter_moves_from_planned_through_arrived_and_in_progress_to_finished_announcing_start_and_end(
) {
    let r = RecordWorld::new().await;
    let planned = r
        .record(r.new_entry(encounter(EncounterStatus::Planned)))
        .await;
    let clinic = &r.world.clinic;
    let doctor = &r.world.doctor;
    let arrived = clinic
        .change_entry_status(doctor, r.patient.id, planned.id, Count32::new(1), "arrived")
        .await
        .unwrap();
    assert_eq!(arrived.revision.kind, RevisionKind::StatusChanged);
    clinic
        .change_entry_status(
            doctor,
            r.patient.id,
            planned.id,
            Count32::new(2),
            "in-progress",
        )
        .await
        .unwrap();
    let finished = clinic
        .change_entry_status(
            doctor,
            r.patient.id,
            planned.id,
            Count32::new(3),
            "finished",
        )
        .await
        .unwrap();
    assert_eq!(finished.status(), "finished");
    let kinds: Vec<String> = events(&r)
        .await
        .into_iter()
        .map(|e| e.draft.kind)
        .filter(|t| t.starts_with("encounter."))
        .collect();
    assert_eq!(kinds, vec!["encounter.started", "encounter.finished"]);
}

#[tokio::test]
async fn a_finished_encounter_cannot_move_back_to_in_progress() {
    let r = RecordWorld::new().await;
    let e = r
        .record(r.new_entry(encounter(EncounterStatus::InProgress)))
        .await;
    let clinic = &r.world.clinic;
    let doctor = &r.world.doctor;
    clinic
        .change_entry_status(doctor, r.patient.id, e.id, Count32::new(1), "finished")
        .await
        .unwrap();
    let err = clinic
        .change_entry_status(doctor, r.patient.id, e.id, Count32::new(2), "in-progress")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
}

#[tokio::test]
async fn a_status_that_is_not_one_of_the_kind_is_a_validation_error_on_status() {
    let r = RecordWorld::new().await;
    let e = r
        .record(r.new_entry(encounter(EncounterStatus::Arrived)))
        .await;
    let err = r
        .world
        .clinic
        .change_entry_status(
            &r.world.doctor,
            r.patient.id,
            e.id,
            Count32::new(1),
            "final",
        )
        .await
        .unwrap_err();
    assert_eq!(fields(&err), vec![("status".into(), "unknown_code".into())]);
}

#[tokio::test]
async fn an_effective_time_beyond_the_clock_skew_is_a_validation_error() {
    let r = RecordWorld::new().await;
    let entry = NewEntry {
        effective_at: r.now() + Duration::hours(1),
        ..r.new_entry(vital(BODY_WEIGHT, "72.5", "kg"))
    };
    let err = r
        .world
        .clinic
        .record_entry(&r.world.doctor, r.patient.id, &entry)
        .await
        .unwrap_err();
    assert_eq!(
        fields(&err),
        vec![("effective_at".into(), "in_future".into())]
    );
}

#[tokio::test]
async fn a_planned_encounter_may_lie_in_the_future() {
    let r = RecordWorld::new().await;
    let entry = NewEntry {
        effective_at: r.now() + Duration::days(7),
        ..r.new_entry(encounter(EncounterStatus::Planned))
    };
    r.record(entry).await;
}

#[tokio::test]
async fn an_encounter_link_to_another_patients_encounter_is_a_validation_error() {
    let r = RecordWorld::new().await;
    let other = r.world.patient("Other", "Ben").await;
    r.world
        .clinic
        .assign_care_team(&r.world.admin, other.id, r.world.practitioner.id)
        .await
        .unwrap();
    let theirs = r
        .world
        .clinic
        .record_entry(
            &r.world.doctor,
            other.id,
            &r.new_entry(encounter(EncounterStatus::Arrived)),
        )
        .await
        .unwrap();
    let entry = NewEntry {
        encounter: Some(theirs.id),
        ..r.new_entry(vital(BODY_WEIGHT, "72.5", "kg"))
    };
    let err = r
        .world
        .clinic
        .record_entry(&r.world.doctor, r.patient.id, &entry)
        .await
        .unwrap_err();
    assert_eq!(
        fields(&err),
        vec![("encounter".into(), "not_an_encounter".into())]
    );
}

#[tokio::test]
async fn an_entry_linked_to_an_encounter_of_its_patient_is_recorded() {
    let r = RecordWorld::new().await;
    let visit = r
        .record(r.new_entry(encounter(EncounterStatus::Arrived)))
        .await;
    let entry = NewEntry {
        encounter: Some(visit.id),
        ..r.new_entry(vital(BODY_WEIGHT, "72.5", "kg"))
    };
    assert_eq!(r.record(entry).await.encounter, Some(visit.id));
}

#[tokio::test]
async fn the_front_desk_may_not_write_the_record_and_the_denial_is_audited() {
    let r = RecordWorld::new().await;
    let err = r
        .world
        .clinic
        .record_entry(
            &r.world.desk,
            r.patient.id,
            &r.new_entry(vital(BODY_WEIGHT, "72.5", "kg")),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let denied = r
        .world
        .store
        .audit_entries(&AuditQuery {
            patient: Some(r.patient.id),
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.draft.action == "record.write" && e.draft.outcome == Outcome::Denied)
        .count();
    assert_eq!(denied, 1);
}

#[tokio::test]
async fn a_failed_write_is_audited_as_failed_with_its_error_code() {
    let r = RecordWorld::new().await;
    let entry = NewEntry {
        effective_at: r.now() + Duration::hours(1),
        ..r.new_entry(vital(BODY_WEIGHT, "72.5", "kg"))
    };
    r.world
        .clinic
        .record_entry(&r.world.doctor, r.patient.id, &entry)
        .await
        .unwrap_err();
    let failed: Vec<_> = r
        .world
        .store
        .audit_entries(&AuditQuery {
            patient: Some(r.patient.id),
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.draft.outcome == Outcome::Failed)
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].draft.reason, "validation");
}

#[tokio::test]
async fn a_record_merged_into_another_takes_no_new_entries() {
    let r = RecordWorld::new().await;
    let survivor = r.world.patient("Chart", "Ada").await;
    let admin = &r.world.admin;
    r.world
        .clinic
        .merge_patients(
            admin,
            survivor.id,
            survivor.version,
            r.patient.id,
            r.patient.version,
        )
        .await
        .unwrap();
    let err = r
        .world
        .clinic
        .record_entry(
            &r.world.doctor,
            r.patient.id,
            &r.new_entry(vital(BODY_WEIGHT, "72.5", "kg")),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
}

#[tokio::test]
async fn recording_for_a_patient_that_does_not_exist_is_not_found() {
    let r = RecordWorld::new().await;
    let system = carebase::Actor::system();
    let err = r
        .world
        .clinic
        .record_entry(
            &system,
            PatientId::new(),
            &r.new_entry(vital(BODY_WEIGHT, "72.5", "kg")),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
}
