//! Specification of the record's reads: the timeline and its cursor, an
//! entry's history, latest vitals, one code across patients.

mod common;

use carebase::audit::{AuditQuery, Outcome};
use carebase::record::{
    Coding, EncounterStatus, EntryKind, NewEntry, ObservationQuery, TimelineQuery,
};
use carebase::store::AuditStore;
use carebase::Count32;
use carebase::{Actor, ActorId, Error};
use chrono::Duration;
use common::record::{condition, encounter, loinc, vital, RecordWorld, BODY_WEIGHT, LOINC};

/// Body height.
const BODY_HEIGHT: &str = "8302-2";

fn at(r: &RecordWorld, hours_ago: i64, body: carebase::record::EntryBody) -> NewEntry {
    NewEntry {
        effective_at: r.now() - Duration::hours(hours_ago),
        ..r.new_entry(body)
    }
}

fn field_codes(err: &Error) -> Vec<(String, String)> {
    match err {
        Error::Validation { fields } => fields
            .iter()
            .map(|f| (f.field.clone(), f.code.clone()))
            .collect(),
        other => panic!("expected validation, got {other:?}"),
    }
}

#[tokio::test]
async fn the_timeline_lists_current_versions_oldest_first() {
    let r = RecordWorld::new().await;
    let late = r.record(at(&r, 1, vital(BODY_WEIGHT, "70", "kg"))).await;
    let early = r
        .record(at(&r, 5, encounter(EncounterStatus::Arrived)))
        .await;
    let page = r
        .world
        .clinic
        .patient_timeline(&r.world.doctor, r.patient.id, &TimelineQuery::default())
        .await
        .unwrap();
    let ids: Vec<_> = page.items.iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![early.id, late.id]);
    assert_eq!(page.next_cursor, None);
}

#[tokio::test]
async fn the_timeline_shows_an_amended_entry_as_its_last_version() {
    let r = RecordWorld::new().await;
    let first = r.record(at(&r, 1, vital(BODY_WEIGHT, "70", "kg"))).await;
    let amended = r
        .world
        .clinic
        .amend_entry(
            &r.world.doctor,
            r.patient.id,
            first.id,
            Count32::new(1),
            &vital(BODY_WEIGHT, "71", "kg"),
            "misread",
        )
        .await
        .unwrap();
    let page = r
        .world
        .clinic
        .patient_timeline(&r.world.doctor, r.patient.id, &TimelineQuery::default())
        .await
        .unwrap();
    assert_eq!(page.items, vec![amended]);
}

#[tokio::test]
async fn the_timeline_pages_with_a_cursor_without_repeating_or_skipping() {
    let r = RecordWorld::new().await;
    let mut recorded = Vec::new();
    for hours in [5, 4, 3, 2, 1] {
        recorded.push(
            r.record(at(&r, hours, vital(BODY_WEIGHT, "70", "kg")))
                .await
                .id,
        );
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = r
            .world
            .clinic
            .patient_timeline(
                &r.world.doctor,
                r.patient.id,
                &TimelineQuery {
                    limit: Some(Count32::new(2)),
                    cursor: cursor.clone(),
                    ..TimelineQuery::default()
                },
            )
            .await
            .unwrap();
        seen.extend(page.items.iter().map(|e| e.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, recorded);
}

#[tokio::test]
async fn the_timeline_leaves_retracted_entries_out_unless_asked() {
    let r = RecordWorld::new().await;
    let e = r.record(at(&r, 1, vital(BODY_WEIGHT, "70", "kg"))).await;
    r.world
        .clinic
        .retract_entry(
            &r.world.doctor,
            r.patient.id,
            e.id,
            Count32::new(1),
            "wrong patient",
        )
        .await
        .unwrap();
    let clinic = &r.world.clinic;
    let current = clinic
        .patient_timeline(&r.world.doctor, r.patient.id, &TimelineQuery::default())
        .await
        .unwrap();
    assert!(current.items.is_empty());
    let all = clinic
        .patient_timeline(
            &r.world.doctor,
            r.patient.id,
            &TimelineQuery {
                include_retracted: true,
                ..TimelineQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.items.len(), 1);
    assert_eq!(all.items[0].status(), "entered-in-error");
}

#[tokio::test]
async fn the_timeline_filters_by_kind_code_and_time() {
    let r = RecordWorld::new().await;
    r.record(at(&r, 10, vital(BODY_WEIGHT, "70", "kg"))).await;
    let wanted = r.record(at(&r, 3, vital(BODY_WEIGHT, "71", "kg"))).await;
    r.record(at(&r, 3, vital(BODY_HEIGHT, "170", "cm"))).await;
    r.record(at(&r, 3, encounter(EncounterStatus::Arrived)))
        .await;
    let page = r
        .world
        .clinic
        .patient_timeline(
            &r.world.doctor,
            r.patient.id,
            &TimelineQuery {
                kinds: vec![EntryKind::Observation],
                code: Some(loinc(BODY_WEIGHT)),
                from: Some(r.now() - Duration::hours(5)),
                to: Some(r.now()),
                ..TimelineQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items, vec![wanted]);
}

#[tokio::test]
async fn a_cursor_the_api_did_not_write_is_a_validation_error_on_cursor() {
    let r = RecordWorld::new().await;
    let err = r
        .world
        .clinic
        .patient_timeline(
            &r.world.doctor,
            r.patient.id,
            &TimelineQuery {
                cursor: Some("e1:yesterday".into()),
                ..TimelineQuery::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        field_codes(&err),
        vec![("cursor".into(), "invalid_cursor".into())]
    );
}

#[tokio::test]
async fn a_page_limit_above_the_maximum_is_a_validation_error_on_limit() {
    let r = RecordWorld::new().await;
    let err = r
        .world
        .clinic
        .patient_timeline(
            &r.world.doctor,
            r.patient.id,
            &TimelineQuery {
                limit: Some(Count32::new(100_000)),
                ..TimelineQuery::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        field_codes(&err),
        vec![("limit".into(), "out_of_range".into())]
    );
}

#[tokio::test]
async fn a_timeline_read_is_audited_for_its_patient() {
    let r = RecordWorld::new().await;
    r.world
        .clinic
        .patient_timeline(&r.world.doctor, r.patient.id, &TimelineQuery::default())
        .await
        .unwrap();
    let reads = r
        .world
        .store
        .audit_entries(&AuditQuery {
            patient: Some(r.patient.id),
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.draft.action == "record.read" && e.draft.outcome == Outcome::Success)
        .count();
    assert_eq!(reads, 1);
}

#[tokio::test]
async fn an_entry_history_lists_every_version_oldest_first() {
    let r = RecordWorld::new().await;
    let e = r
        .record(at(&r, 1, encounter(EncounterStatus::Arrived)))
        .await;
    let clinic = &r.world.clinic;
    let doctor = &r.world.doctor;
    clinic
        .change_entry_status(doctor, r.patient.id, e.id, Count32::new(1), "in-progress")
        .await
        .unwrap();
    clinic
        .retract_entry(
            doctor,
            r.patient.id,
            e.id,
            Count32::new(2),
            "duplicate visit",
        )
        .await
        .unwrap();
    let history = clinic
        .entry_history(doctor, r.patient.id, e.id)
        .await
        .unwrap();
    let versions: Vec<u32> = history.iter().map(|v| v.version.get()).collect();
    assert_eq!(versions, vec![1, 2, 3]);
}

#[tokio::test]
async fn the_history_of_an_entry_the_patient_does_not_have_is_not_found() {
    let r = RecordWorld::new().await;
    let err = r
        .world
        .clinic
        .entry_history(&r.world.doctor, r.patient.id, carebase::EntryId::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
}

#[tokio::test]
async fn latest_vitals_give_the_latest_value_per_vital_sign_code() {
    let r = RecordWorld::new().await;
    r.record(at(&r, 5, vital(BODY_WEIGHT, "70", "kg"))).await;
    let weight = r.record(at(&r, 2, vital(BODY_WEIGHT, "71", "kg"))).await;
    let height = r.record(at(&r, 4, vital(BODY_HEIGHT, "170", "cm"))).await;
    let page = r
        .world
        .clinic
        .latest_vitals(&r.world.doctor, r.patient.id)
        .await
        .unwrap();
    assert_eq!(page.items, vec![weight, height]);
}

#[tokio::test]
async fn latest_observations_give_only_the_codes_asked_for() {
    let r = RecordWorld::new().await;
    let weight = r.record(at(&r, 2, vital(BODY_WEIGHT, "71", "kg"))).await;
    r.record(at(&r, 4, vital(BODY_HEIGHT, "170", "cm"))).await;
    let page = r
        .world
        .clinic
        .latest_observations(&r.world.doctor, r.patient.id, vec![loinc(BODY_WEIGHT)])
        .await
        .unwrap();
    assert_eq!(page.items, vec![weight]);
}

#[tokio::test]
async fn observations_across_patients_list_only_the_care_teams_patients_and_audit_each() {
    let r = RecordWorld::new().await;
    let mine = r.record(at(&r, 2, vital(BODY_WEIGHT, "71", "kg"))).await;
    let stranger = r.world.patient("Else", "Where").await;
    r.world
        .clinic
        .record_entry(
            &Actor::system(),
            stranger.id,
            &at(&r, 2, vital(BODY_WEIGHT, "90", "kg")),
        )
        .await
        .unwrap();
    let page = r
        .world
        .clinic
        .observations_across_patients(
            &r.world.doctor,
            &ObservationQuery {
                code: Coding {
                    system: LOINC.into(),
                    code: BODY_WEIGHT.into(),
                    display: None,
                },
                from: None,
                to: None,
                cursor: None,
                limit: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items, vec![mine]);
    let audited = r
        .world
        .store
        .audit_entries(&AuditQuery {
            patient: Some(r.patient.id),
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.draft.action == "record.read")
        .count();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn observations_across_patients_are_forbidden_to_an_actor_without_a_practitioner() {
    let r = RecordWorld::new().await;
    let desk = Actor::new(ActorId::new(), vec![carebase::Role::FrontDesk]);
    let err = r
        .world
        .clinic
        .observations_across_patients(
            &desk,
            &ObservationQuery {
                code: loinc(BODY_WEIGHT),
                from: None,
                to: None,
                cursor: None,
                limit: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
}

#[tokio::test]
async fn a_condition_is_found_by_its_code_on_the_timeline() {
    let r = RecordWorld::new().await;
    let c = r.record(at(&r, 1, condition())).await;
    let code = carebase::record::Coding {
        display: None,
        ..c.body.code().cloned().unwrap()
    };
    let page = r
        .world
        .clinic
        .patient_timeline(
            &r.world.doctor,
            r.patient.id,
            &TimelineQuery {
                code: Some(code),
                ..TimelineQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items, vec![c]);
}
