//! Specification of encounters as named operations: started or planned,
//! moved along planned → arrived → in-progress → finished, or cancelled
//! before they began; `encounter.started` when in progress,
//! `encounter.finished` on finish; versions checked.

mod common;

use carebase::record::{ClinicalEntry, EncounterClass, EncounterStatus, EntryBody, NewEncounter};
use carebase::Count32;
use carebase::{ConflictDetail, Error};
use chrono::{DateTime, Duration, Utc};
use common::record::{condition, RecordWorld};

fn fields(err: &Error) -> Vec<(String, String)> {
    match err {
        Error::Validation { fields } => fields
            .iter()
            .map(|f| (f.field.clone(), f.code.clone()))
            .collect(),
        other => panic!("expected validation, got {other:?}"),
    }
}

fn is_invalid_state(err: &Error) -> bool {
    matches!(
        err,
        Error::Conflict {
            detail: ConflictDetail::InvalidState { .. }
        }
    )
}

/// An ambulatory encounter with the world's practitioner in `status`,
/// starting at `at`.
fn visit(r: &RecordWorld, status: EncounterStatus, at: DateTime<Utc>) -> NewEncounter {
    NewEncounter {
        class: EncounterClass::Ambulatory,
        status,
        started_at: at,
        practitioners: vec![r.world.practitioner.id],
        reasons: vec![],
        location: Some("Room 1".into()),
        appointment: None,
    }
}

async fn start(r: &RecordWorld, status: EncounterStatus) -> ClinicalEntry {
    let at = r.now() - Duration::minutes(30);
    r.world
        .clinic
        .start_encounter(&r.world.doctor, r.patient.id, &visit(r, status, at))
        .await
        .unwrap()
}

async fn encounter_events(r: &RecordWorld) -> Vec<String> {
    r.world
        .clinic
        .events_after(&r.world.system, vec![], Count32::new(1000))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.draft.kind)
        .filter(|k| k.starts_with("encounter."))
        .collect()
}

fn body(entry: &ClinicalEntry) -> &carebase::record::Encounter {
    match &entry.body {
        EntryBody::Encounter(e) => e,
        other => panic!("expected an encounter, got {other:?}"),
    }
}

#[tokio::test]
async fn starting_an_encounter_in_progress_records_its_start_and_announces_encounter_started() {
    let r = RecordWorld::new().await;
    let e = start(&r, EncounterStatus::InProgress).await;
    assert_eq!(e.version, 1);
    assert_eq!(body(&e).started_at, Some(e.effective_at));
    assert_eq!(body(&e).practitioners, vec![r.world.practitioner.id]);
    assert_eq!(encounter_events(&r).await, vec!["encounter.started"]);
}

#[tokio::test]
async fn an_arrived_encounter_announces_its_start_only_when_it_moves_into_progress() {
    let r = RecordWorld::new().await;
    let e = start(&r, EncounterStatus::Arrived).await;
    assert!(encounter_events(&r).await.is_empty());
    let clinic = &r.world.clinic;
    clinic
        .change_encounter_status(
            &r.world.doctor,
            r.patient.id,
            e.id,
            Count32::new(1),
            EncounterStatus::InProgress,
        )
        .await
        .unwrap();
    assert_eq!(encounter_events(&r).await, vec!["encounter.started"]);
}

#[tokio::test]
async fn a_planned_encounter_may_lie_in_the_future_but_a_started_one_may_not() {
    let r = RecordWorld::new().await;
    let later = r.now() + Duration::days(3);
    let clinic = &r.world.clinic;
    let planned = clinic
        .start_encounter(
            &r.world.doctor,
            r.patient.id,
            &visit(&r, EncounterStatus::Planned, later),
        )
        .await
        .unwrap();
    assert_eq!(body(&planned).started_at, None);
    let err = clinic
        .start_encounter(
            &r.world.doctor,
            r.patient.id,
            &visit(&r, EncounterStatus::InProgress, later),
        )
        .await
        .unwrap_err();
    assert_eq!(
        fields(&err),
        vec![("encounter.started_at".to_owned(), "in_future".to_owned())]
    );
}

#[tokio::test]
async fn an_encounter_cannot_be_started_as_finished() {
    let r = RecordWorld::new().await;
    let at = r.now();
    let err = r
        .world
        .clinic
        .start_encounter(
            &r.world.doctor,
            r.patient.id,
            &visit(&r, EncounterStatus::Finished, at),
        )
        .await
        .unwrap_err();
    assert_eq!(
        fields(&err),
        vec![("encounter.status".to_owned(), "out_of_range".to_owned())]
    );
}

#[tokio::test]
async fn every_failing_field_of_a_new_encounter_is_named_under_encounter() {
    let r = RecordWorld::new().await;
    let mut bad = visit(&r, EncounterStatus::InProgress, r.now());
    bad.location = Some("x".repeat(5000));
    bad.reasons = vec![carebase::record::Coding {
        system: "http://snomed.info/sct".into(),
        code: "12345".into(),
        display: None,
    }];
    let err = r
        .world
        .clinic
        .start_encounter(&r.world.doctor, r.patient.id, &bad)
        .await
        .unwrap_err();
    let named: Vec<String> = fields(&err).into_iter().map(|(f, _)| f).collect();
    assert!(
        named.contains(&"encounter.location".to_owned()),
        "{named:?}"
    );
    assert!(
        named.contains(&"encounter.reasons[0].code".to_owned()),
        "{named:?}"
    );
}

#[tokio::test]
async fn an_encounter_with_an_unknown_practitioner_is_not_found_naming_the_field() {
    let r = RecordWorld::new().await;
    let mut new = visit(&r, EncounterStatus::InProgress, r.now());
    new.practitioners.push(carebase::PractitionerId::new());
    let err = r
        .world
        .clinic
        .start_encounter(&r.world.doctor, r.patient.id, &new)
        .await
        .unwrap_err();
    match err {
        Error::NotFound { field, .. } => {
            assert_eq!(field.as_deref(), Some("encounter.practitioners[1]"))
        }
        other => panic!("expected not_found, got {other:?}"),
    }
}

#[tokio::test]
async fn finishing_an_encounter_in_progress_sets_its_end_and_announces_encounter_finished() {
    let r = RecordWorld::new().await;
    let e = start(&r, EncounterStatus::InProgress).await;
    let ended = r.now() - Duration::minutes(5);
    let finished = r
        .world
        .clinic
        .finish_encounter(
            &r.world.doctor,
            r.patient.id,
            e.id,
            Count32::new(1),
            Some(ended),
        )
        .await
        .unwrap();
    assert_eq!(finished.version, 2);
    assert_eq!(finished.status(), "finished");
    assert_eq!(body(&finished).ended_at, Some(ended));
    assert_eq!(
        encounter_events(&r).await,
        vec!["encounter.started", "encounter.finished"]
    );
}

#[tokio::test]
async fn finishing_without_an_end_ends_the_encounter_at_the_clinics_now() {
    let r = RecordWorld::new().await;
    let e = start(&r, EncounterStatus::InProgress).await;
    let finished = r
        .world
        .clinic
        .finish_encounter(&r.world.doctor, r.patient.id, e.id, Count32::new(1), None)
        .await
        .unwrap();
    assert_eq!(body(&finished).ended_at, Some(r.now()));
}

#[tokio::test]
async fn a_finish_without_start_is_refused() {
    let r = RecordWorld::new().await;
    for status in [EncounterStatus::Planned, EncounterStatus::Arrived] {
        let e = start(&r, status).await;
        let err = r
            .world
            .clinic
            .finish_encounter(&r.world.doctor, r.patient.id, e.id, Count32::new(1), None)
            .await
            .unwrap_err();
        assert!(is_invalid_state(&err), "{status}: {err:?}");
    }
}

#[tokio::test]
async fn an_encounter_cannot_end_before_it_started() {
    let r = RecordWorld::new().await;
    let e = start(&r, EncounterStatus::InProgress).await;
    let err = r
        .world
        .clinic
        .finish_encounter(
            &r.world.doctor,
            r.patient.id,
            e.id,
            Count32::new(1),
            Some(e.effective_at - Duration::minutes(1)),
        )
        .await
        .unwrap_err();
    assert_eq!(
        fields(&err),
        vec![("ended_at".to_owned(), "out_of_range".to_owned())]
    );
}

#[tokio::test]
async fn an_encounter_cannot_end_ahead_of_the_clinics_clock() {
    let r = RecordWorld::new().await;
    let e = start(&r, EncounterStatus::InProgress).await;
    let err = r
        .world
        .clinic
        .finish_encounter(
            &r.world.doctor,
            r.patient.id,
            e.id,
            Count32::new(1),
            Some(r.now() + Duration::hours(2)),
        )
        .await
        .unwrap_err();
    assert_eq!(
        fields(&err),
        vec![("ended_at".to_owned(), "in_future".to_owned())]
    );
}

#[tokio::test]
async fn cancelling_an_encounter_keeps_the_reason_in_its_new_version() {
    let r = RecordWorld::new().await;
    let e = start(&r, EncounterStatus::Planned).await;
    let cancelled = r
        .world
        .clinic
        .cancel_encounter(
            &r.world.doctor,
            r.patient.id,
            e.id,
            Count32::new(1),
            "patient unwell",
        )
        .await
        .unwrap();
    assert_eq!(cancelled.status(), "cancelled");
    assert_eq!(cancelled.revision.reason.as_deref(), Some("patient unwell"));
    assert!(encounter_events(&r).await.is_empty());
}

#[tokio::test]
async fn a_cancellation_needs_a_reason() {
    let r = RecordWorld::new().await;
    let e = start(&r, EncounterStatus::Planned).await;
    let err = r
        .world
        .clinic
        .cancel_encounter(&r.world.doctor, r.patient.id, e.id, Count32::new(1), " ")
        .await
        .unwrap_err();
    assert_eq!(fields(&err)[0].0, "reason");
}

#[tokio::test]
async fn an_encounter_in_progress_cannot_be_cancelled() {
    let r = RecordWorld::new().await;
    let e = start(&r, EncounterStatus::InProgress).await;
    let err = r
        .world
        .clinic
        .cancel_encounter(
            &r.world.doctor,
            r.patient.id,
            e.id,
            Count32::new(1),
            "changed mind",
        )
        .await
        .unwrap_err();
    assert!(is_invalid_state(&err), "{err:?}");
}

#[tokio::test]
async fn the_status_move_refuses_cancelled_and_points_to_cancel_encounter() {
    let r = RecordWorld::new().await;
    let e = start(&r, EncounterStatus::Planned).await;
    let err = r
        .world
        .clinic
        .change_encounter_status(
            &r.world.doctor,
            r.patient.id,
            e.id,
            Count32::new(1),
            EncounterStatus::Cancelled,
        )
        .await
        .unwrap_err();
    assert_eq!(
        fields(&err),
        vec![("status".to_owned(), "use_cancel".to_owned())]
    );
}

#[tokio::test]
async fn a_move_back_along_the_life_cycle_is_refused() {
    let r = RecordWorld::new().await;
    let e = start(&r, EncounterStatus::InProgress).await;
    let err = r
        .world
        .clinic
        .change_encounter_status(
            &r.world.doctor,
            r.patient.id,
            e.id,
            Count32::new(1),
            EncounterStatus::Arrived,
        )
        .await
        .unwrap_err();
    assert!(is_invalid_state(&err), "{err:?}");
}

#[tokio::test]
async fn a_move_from_a_version_already_superseded_is_stale_and_writes_nothing() {
    let r = RecordWorld::new().await;
    let e = start(&r, EncounterStatus::Planned).await;
    let clinic = &r.world.clinic;
    let doctor = &r.world.doctor;
    clinic
        .change_encounter_status(
            doctor,
            r.patient.id,
            e.id,
            Count32::new(1),
            EncounterStatus::Arrived,
        )
        .await
        .unwrap();
    let err = clinic
        .change_encounter_status(
            doctor,
            r.patient.id,
            e.id,
            Count32::new(1),
            EncounterStatus::InProgress,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Conflict {
                detail: ConflictDetail::StaleVersion { .. }
            }
        ),
        "{err:?}"
    );
    let history = clinic
        .entry_history(doctor, r.patient.id, e.id)
        .await
        .unwrap();
    assert_eq!(history.len(), 2);
}

#[tokio::test]
async fn an_encounter_operation_on_another_kind_of_entry_is_not_found() {
    let r = RecordWorld::new().await;
    let c = r.record(r.new_entry(condition())).await;
    let err = r
        .world
        .clinic
        .finish_encounter(&r.world.doctor, r.patient.id, c.id, Count32::new(1), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn a_clinician_off_the_care_team_cannot_start_an_encounter() {
    let r = RecordWorld::new().await;
    let other = r.world.patient("Else", "Where").await;
    let at = r.now();
    let err = r
        .world
        .clinic
        .start_encounter(
            &r.world.doctor,
            other.id,
            &visit(&r, EncounterStatus::InProgress, at),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
}
