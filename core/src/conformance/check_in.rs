//! Checking an appointment in through a clinic, every backend alike: the
//! appointment's link to its encounter reads back, and concurrent
//! check-ins of one appointment have one winner and write one encounter.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use futures::future::join_all;

use crate::actor::{Actor, Role};
use crate::conformance::scheduling_clinic;
use crate::ids::ActorId;
use crate::record::{encounter_of_appointment, CheckIn, EntryKind, EntryQuery};
use crate::schedule::{Appointment, AppointmentStatus, BookAppointment};
use crate::store::Store;
use crate::{Clinic, Count64};

/// Monday 2030-01-07 09:00 in Berlin, a bookable start of
/// [`scheduling_clinic`]'s practitioner.
fn monday_nine() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 7, 8, 0, 0).single().unwrap()
}

/// A clinic, its front desk and one booked appointment.
async fn booked(store: Arc<dyn Store>) -> (Clinic, Actor, Appointment) {
    let (clinic, practitioner, visit, patients) = scheduling_clinic(store, 1).await;
    let desk = Actor::new(ActorId::new(), vec![Role::FrontDesk]);
    let appointment = clinic
        .book_appointment(
            &desk,
            BookAppointment {
                patient: patients[0],
                practitioner: practitioner.id,
                room: None,
                visit_type: visit.id,
                start: monday_nine(),
                status: None,
                note: None,
            },
        )
        .await
        .unwrap();
    (clinic, desk, appointment)
}

pub async fn a_checked_in_appointment_reads_back_its_encounter(store: Arc<dyn Store>) {
    let (clinic, desk, appointment) = booked(store.clone()).await;
    clinic
        .check_in_appointment(&desk, appointment.id, Count64::new(1), &CheckIn::default())
        .await
        .unwrap();
    let stored = store.appointment(appointment.id).await.unwrap().unwrap();
    assert_eq!(stored.status, AppointmentStatus::Arrived);
    assert_eq!(
        stored.encounter,
        Some(encounter_of_appointment(appointment.id))
    );
    let encounter = store
        .entry(
            appointment.patient,
            encounter_of_appointment(appointment.id),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(encounter.kind(), EntryKind::Encounter);
}

pub async fn concurrent_check_ins_of_one_appointment_have_one_winner(store: Arc<dyn Store>) {
    let (clinic, desk, appointment) = booked(store.clone()).await;
    let check_in = CheckIn::default();
    let tries = (0..6)
        .map(|_| clinic.check_in_appointment(&desk, appointment.id, Count64::new(1), &check_in));
    let mut won = 0;
    for outcome in join_all(tries).await {
        match outcome {
            Ok(_) => won += 1,
            Err(e) => assert!(
                matches!(e.code(), "conflict" | "validation"),
                "a loser is told the appointment moved: {e:?}"
            ),
        }
    }
    assert_eq!(won, 1);
    let stored = store.appointment(appointment.id).await.unwrap().unwrap();
    assert_eq!(stored.version, 2);
    let encounters = store
        .entries(&EntryQuery {
            patient: appointment.patient,
            kinds: vec![EntryKind::Encounter],
            code: None,
            from: None,
            to: None,
            include_retracted: true,
            after: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(encounters.len(), 1);
    let versions = store
        .entry_versions(appointment.patient, encounters[0].id)
        .await
        .unwrap();
    assert_eq!(versions.len(), 1);
}
