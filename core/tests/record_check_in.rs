//! Specification of checking a booked appointment in: the appointment moves
//! to arrived and its encounter starts, linked both ways, in one change
//! set; a second check-in writes nothing; the front desk checks people in
//! without reading or writing the record otherwise.

mod common;

use carebase::record::{
    encounter_of_appointment, CheckIn, EncounterClass, EncounterStatus, EntryBody, NewEncounter,
};
use carebase::schedule::{Appointment, AppointmentStatus};
use carebase::store::{RecordStore, ScheduleStore};
use carebase::Count32;
use carebase::Count64;
use carebase::{Actor, ActorId, Error, Role};
use common::record::RecordWorld;
use common::world::monday;

async fn booked(r: &RecordWorld) -> Appointment {
    r.world
        .clinic
        .book_appointment(&r.world.desk, r.world.booking(r.patient.id, monday(9, 0)))
        .await
        .unwrap()
}

async fn event_kinds(r: &RecordWorld) -> Vec<String> {
    r.world
        .clinic
        .events_after(&r.world.system, vec![], Count32::new(1000))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.draft.kind)
        .collect()
}

#[tokio::test]
async fn checking_in_moves_the_appointment_to_arrived_and_starts_its_encounter_linked_both_ways() {
    let r = RecordWorld::new().await;
    let a = booked(&r).await;
    let arrived = r
        .world
        .clinic
        .check_in_appointment(&r.world.desk, a.id, Count64::new(1), &CheckIn::default())
        .await
        .unwrap();
    assert_eq!(arrived.status, AppointmentStatus::Arrived);
    assert_eq!(arrived.version, 2);
    let id = arrived
        .encounter
        .expect("the appointment names its encounter");
    assert_eq!(id, encounter_of_appointment(a.id));
    let encounter = r
        .world
        .store
        .entry(r.patient.id, id)
        .await
        .unwrap()
        .unwrap();
    let EntryBody::Encounter(e) = &encounter.body else {
        panic!("expected an encounter, got {:?}", encounter.body);
    };
    assert_eq!(e.appointment, Some(a.id));
    assert_eq!(e.status, EncounterStatus::Arrived);
    assert_eq!(e.class, EncounterClass::Ambulatory);
    assert_eq!(e.practitioners, vec![a.practitioner]);
}

#[tokio::test]
async fn checking_in_straight_into_the_visit_announces_encounter_started() {
    let r = RecordWorld::new().await;
    let a = booked(&r).await;
    let check_in = CheckIn {
        status: Some(EncounterStatus::InProgress),
        location: Some("Room 1".into()),
    };
    r.world
        .clinic
        .check_in_appointment(&r.world.desk, a.id, Count64::new(1), &check_in)
        .await
        .unwrap();
    let kinds = event_kinds(&r).await;
    assert!(
        kinds.contains(&"appointment.status_changed".to_owned()),
        "{kinds:?}"
    );
    assert!(kinds.contains(&"encounter.started".to_owned()), "{kinds:?}");
}

#[tokio::test]
async fn a_check_in_cannot_start_a_planned_or_finished_encounter() {
    let r = RecordWorld::new().await;
    let a = booked(&r).await;
    let check_in = CheckIn {
        status: Some(EncounterStatus::Finished),
        location: None,
    };
    let err = r
        .world
        .clinic
        .check_in_appointment(&r.world.desk, a.id, Count64::new(1), &check_in)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "validation", "{err:?}");
    let stored = r.world.store.appointment(a.id).await.unwrap().unwrap();
    assert_eq!(stored.version, 1);
}

#[tokio::test]
async fn a_second_check_in_writes_nothing() {
    let r = RecordWorld::new().await;
    let a = booked(&r).await;
    let clinic = &r.world.clinic;
    let desk = &r.world.desk;
    clinic
        .check_in_appointment(desk, a.id, Count64::new(1), &CheckIn::default())
        .await
        .unwrap();
    let events_before = event_kinds(&r).await.len();
    let again_same_version = clinic
        .check_in_appointment(desk, a.id, Count64::new(1), &CheckIn::default())
        .await
        .unwrap_err();
    assert_eq!(
        again_same_version.code(),
        "conflict",
        "{again_same_version:?}"
    );
    let again_new_version = clinic
        .check_in_appointment(desk, a.id, Count64::new(2), &CheckIn::default())
        .await
        .unwrap_err();
    assert_eq!(
        again_new_version.code(),
        "validation",
        "{again_new_version:?}"
    );
    let stored = r.world.store.appointment(a.id).await.unwrap().unwrap();
    assert_eq!(stored.version, 2);
    let versions = r
        .world
        .store
        .entry_versions(r.patient.id, encounter_of_appointment(a.id))
        .await
        .unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(event_kinds(&r).await.len(), events_before);
}

#[tokio::test]
async fn checking_in_an_appointment_whose_encounter_already_started_is_already_exists_and_writes_nothing(
) {
    let r = RecordWorld::new().await;
    let a = booked(&r).await;
    let clinic = &r.world.clinic;
    let started = clinic
        .start_encounter(
            &r.world.doctor,
            r.patient.id,
            &NewEncounter {
                class: EncounterClass::Virtual,
                status: EncounterStatus::InProgress,
                started_at: r.now(),
                practitioners: vec![],
                reasons: vec![],
                location: None,
                appointment: Some(a.id),
            },
        )
        .await
        .unwrap();
    assert_eq!(started.id, encounter_of_appointment(a.id));
    let err = clinic
        .check_in_appointment(&r.world.desk, a.id, Count64::new(1), &CheckIn::default())
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("AlreadyExists"), "{err:?}");
    let stored = r.world.store.appointment(a.id).await.unwrap().unwrap();
    assert_eq!(stored.status, AppointmentStatus::Booked);
    assert_eq!(stored.encounter, None);
}

#[tokio::test]
async fn a_concurrent_check_in_has_one_winner() {
    let r = RecordWorld::new().await;
    let a = booked(&r).await;
    let clinic = &r.world.clinic;
    let desk = &r.world.desk;
    let check_in = CheckIn::default();
    let (first, second) = tokio::join!(
        clinic.check_in_appointment(desk, a.id, Count64::new(1), &check_in),
        clinic.check_in_appointment(desk, a.id, Count64::new(1), &check_in),
    );
    assert_eq!(u8::from(first.is_ok()) + u8::from(second.is_ok()), 1);
    let versions = r
        .world
        .store
        .entry_versions(r.patient.id, encounter_of_appointment(a.id))
        .await
        .unwrap();
    assert_eq!(versions.len(), 1);
}

#[tokio::test]
async fn the_front_desk_checks_in_but_cannot_read_the_encounter_it_started() {
    let r = RecordWorld::new().await;
    let a = booked(&r).await;
    let clinic = &r.world.clinic;
    let desk = &r.world.desk;
    clinic
        .check_in_appointment(desk, a.id, Count64::new(1), &CheckIn::default())
        .await
        .unwrap();
    let err = clinic
        .entry_history(desk, r.patient.id, encounter_of_appointment(a.id))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
}

#[tokio::test]
async fn the_front_desk_cannot_start_an_encounter_outside_a_check_in() {
    let r = RecordWorld::new().await;
    let err = r
        .world
        .clinic
        .start_encounter(
            &r.world.desk,
            r.patient.id,
            &NewEncounter {
                class: EncounterClass::Ambulatory,
                status: EncounterStatus::Arrived,
                started_at: r.now(),
                practitioners: vec![],
                reasons: vec![],
                location: None,
                appointment: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
}

#[tokio::test]
async fn a_practitioner_checks_in_their_own_patients() {
    let r = RecordWorld::new().await;
    let a = booked(&r).await;
    let arrived = r
        .world
        .clinic
        .check_in_appointment(&r.world.doctor, a.id, Count64::new(1), &CheckIn::default())
        .await
        .unwrap();
    assert_eq!(arrived.status, AppointmentStatus::Arrived);
}

#[tokio::test]
async fn billing_cannot_check_anyone_in_and_nothing_is_written() {
    let r = RecordWorld::new().await;
    let a = booked(&r).await;
    let billing = Actor::new(ActorId::new(), vec![Role::Billing]);
    let err = r
        .world
        .clinic
        .check_in_appointment(&billing, a.id, Count64::new(1), &CheckIn::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    let stored = r.world.store.appointment(a.id).await.unwrap().unwrap();
    assert_eq!(stored.status, AppointmentStatus::Booked);
}
