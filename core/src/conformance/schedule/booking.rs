//! Booking through a clinic, every backend alike: one winner among
//! concurrent bookers of a slot, day limits re-checked inside the change set
//! and under concurrency, moves and cancellations.

use crate::{Count32, Count64};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use futures::future::join_all;

use super::{appointment, insert, two_patients};
use crate::actor::{Actor, Role};
use crate::clinic::{Clinic, NewPatient};
use crate::conformance::at;
use crate::ids::{ActorId, PatientId, PractitionerId};
use crate::patient::PatientDetails;
use crate::schedule::slots::DayLimits;
use crate::schedule::{
    Appointment, AppointmentQuery, Availability, BookAppointment, BusyQuery, CancelAppointment,
    CancellationReason, CountRange, DayLimitCheck, NewPractitioner, NewVisitType, Practitioner,
    RescheduleAppointment, SlotQuery, VisitType, Weekday, WeeklyHours,
};
use crate::store::Store;
use crate::{Error, ManualClock};

/// Monday 2030-01-07 09:00 in Berlin (08:00 UTC).
fn monday_nine() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 7, 8, 0, 0).single().unwrap()
}

/// A clinic with one practitioner open Mondays 09–17 Berlin, a 30-minute
/// visit type, and `patients` registered patients.
pub async fn scheduling_clinic(
    store: Arc<dyn Store>,
    patients: usize,
) -> (Clinic, Practitioner, VisitType, Vec<PatientId>) {
    let clock = Arc::new(ManualClock::new(monday_nine() - Duration::days(7)));
    let clinic = Clinic::new(store).with_clock(clock);
    let system = Actor::system();
    let mut availability = Availability {
        slot_minutes: Count32::new(30),
        ..Availability::default()
    };
    availability.weekly.push(WeeklyHours {
        weekday: Weekday::Monday,
        start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        end: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        valid_from: None,
        valid_until: None,
    });
    let practitioner = clinic
        .add_practitioner(
            &system,
            NewPractitioner {
                id: None,
                name: "Dr Concurrency".into(),
                time_zone: "Europe/Berlin".into(),
                availability,
            },
        )
        .await
        .unwrap();
    let visit = clinic
        .add_visit_type(
            &system,
            NewVisitType {
                code: "consult".into(),
                name: "Consultation".into(),
                duration_minutes: Count32::new(30),
                buffer_before_minutes: Count32::new(0),
                buffer_after_minutes: Count32::new(0),
                min_notice_minutes: Count32::new(0),
                horizon_days: Count32::new(365),
                max_per_day: None,
                reminder_offsets_minutes: vec![Count32::new(1440)],
            },
        )
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..patients {
        let p = clinic
            .register_patient(
                &system,
                NewPatient {
                    details: PatientDetails {
                        names: vec![crate::patient::HumanName {
                            family: Some("Booker".into()),
                            given: vec![format!("N{i}")],
                            ..Default::default()
                        }],
                        ..PatientDetails::default()
                    },
                    mrn_facility: None,
                },
            )
            .await
            .unwrap();
        ids.push(p.id);
    }
    (clinic, practitioner, visit, ids)
}

/// No two active appointments of one practitioner overlap.
async fn assert_no_overlaps(store: &Arc<dyn Store>, practitioner: PractitionerId) {
    let spans = store
        .busy(&BusyQuery {
            practitioners: vec![practitioner],
            rooms: vec![],
            patients: vec![],
            from: monday_nine() - Duration::days(1),
            to: monday_nine() + Duration::days(1),
        })
        .await
        .unwrap();
    for pair in spans.windows(2) {
        assert!(
            pair[0].blocked_until <= pair[1].blocked_from,
            "overlap: {pair:?}"
        );
    }
}

pub async fn concurrent_bookers_of_one_slot_have_one_winner(store: Arc<dyn Store>) {
    const BOOKERS: usize = 8;
    const ROUNDS: i64 = 6;
    let (clinic, practitioner, visit, patients) = scheduling_clinic(store.clone(), BOOKERS).await;
    let desk = Actor::new(ActorId::new(), vec![Role::FrontDesk]);
    for round in 0..ROUNDS {
        let start = monday_nine() + Duration::minutes(30 * round);
        let tasks: Vec<_> = patients
            .iter()
            .map(|patient| {
                let (clinic, desk) = (clinic.clone(), desk.clone());
                let booking = BookAppointment {
                    patient: *patient,
                    practitioner: practitioner.id,
                    room: None,
                    visit_type: visit.id,
                    start,
                    status: None,
                    note: None,
                };
                async move { clinic.book_appointment(&desk, booking).await }
            })
            .collect();
        let mut winners = Vec::new();
        let mut losers = Vec::new();
        // All bookers pass the clinic's own check before any commits, so
        // only the store's transaction can keep the slot single.
        for result in join_all(tasks).await {
            match result {
                Ok(a) => winners.push(a.id),
                Err(Error::DoubleBooking { appointment, .. }) => losers.push(appointment),
                Err(other) => panic!("round {round}: unexpected {other:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one booker wins");
        assert_eq!(losers.len(), BOOKERS - 1);
        assert!(
            losers.iter().all(|id| *id == Some(winners[0])),
            "round {round}: every loser is told the winner's id"
        );
        assert_no_overlaps(&store, practitioner.id).await;
    }
}

pub async fn day_limits_are_rechecked_inside_the_change_set(store: Arc<dyn Store>) {
    let (pa, pb) = two_patients(&store).await;
    let pr = PractitionerId::new();
    let first = appointment(pa, pr, None, 100, 30, 0);
    let check = |field: &str, max_all, max_of_visit_type| DayLimitCheck {
        field: field.into(),
        range: CountRange {
            practitioner: pr,
            from: at(0),
            to: at(1000 * 60),
        },
        visit_type: first.visit_type,
        limits: DayLimits {
            overall: max_all,
            of_visit_type: max_of_visit_type,
        },
    };
    let with_checks =
        |a: &Appointment, day_limits: Vec<DayLimitCheck>| insert(a).day_limits(day_limits);
    // The first of the day fits a limit of one.
    store
        .apply(with_checks(&first, vec![check("start", Some(1), None)]))
        .await
        .unwrap();
    // A second one that day does not, whatever the caller checked before:
    // nothing of it is written.
    let second = appointment(pb, pr, None, 200, 30, 0);
    let err = store
        .apply(with_checks(&second, vec![check("start", Some(1), None)]))
        .await
        .unwrap_err();
    match err {
        Error::Validation { fields } => {
            assert_eq!(fields.len(), 1);
            assert_eq!(
                (fields[0].field.as_str(), fields[0].code.as_str()),
                ("start", "daily_limit")
            );
        }
        other => panic!("expected daily_limit, got {other:?}"),
    }
    assert_eq!(store.appointment(second.id).await.unwrap(), None);
    // The visit type's limit counts only its own appointments: `second`
    // has another visit type, so a limit of one of `first`'s type holds.
    store
        .apply(with_checks(
            &second,
            vec![check("occurrences[3].start", None, Some(1))],
        ))
        .await
        .unwrap();
    let mut third = appointment(pb, pr, None, 300, 30, 0);
    third.visit_type = first.visit_type;
    let err = store
        .apply(with_checks(
            &third,
            vec![check("occurrences[3].start", Some(5), Some(1))],
        ))
        .await
        .unwrap_err();
    match err {
        Error::Validation { fields } => assert_eq!(
            (fields[0].field.as_str(), fields[0].code.as_str()),
            ("occurrences[3].start", "visit_type_daily_limit")
        ),
        other => panic!("expected visit_type_daily_limit, got {other:?}"),
    }
}

pub async fn concurrent_bookers_cannot_exceed_a_daily_limit(store: Arc<dyn Store>) {
    const BOOKERS: usize = 8;
    const LIMIT: u32 = 2;
    let (clinic, practitioner, visit, patients) = scheduling_clinic(store.clone(), BOOKERS).await;
    let mut availability = practitioner.availability.clone();
    availability.max_per_day = Some(Count32::new(LIMIT));
    clinic
        .set_availability(
            &Actor::system(),
            practitioner.id,
            Count64::new(1),
            availability,
        )
        .await
        .unwrap();
    let desk = Actor::new(ActorId::new(), vec![Role::FrontDesk]);
    // Eight bookers, eight different free slots of one Monday.
    let tasks: Vec<_> = patients
        .iter()
        .enumerate()
        .map(|(i, patient)| {
            let (clinic, desk) = (clinic.clone(), desk.clone());
            let booking = BookAppointment {
                patient: *patient,
                practitioner: practitioner.id,
                room: None,
                visit_type: visit.id,
                start: monday_nine() + Duration::minutes(30 * i as i64),
                status: None,
                note: None,
            };
            async move { clinic.book_appointment(&desk, booking).await }
        })
        .collect();
    let mut winners = 0;
    for result in join_all(tasks).await {
        match result {
            Ok(_) => winners += 1,
            Err(Error::Validation { fields })
                if fields.len() == 1 && fields[0].code == "daily_limit" => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(winners, LIMIT as usize, "exactly the limit is booked");
    let booked = store
        .appointments(&AppointmentQuery {
            patient: None,
            practitioner: Some(practitioner.id),
            from: monday_nine() - Duration::hours(12),
            to: monday_nine() + Duration::hours(12),
            include_inactive: false,
            limit: None,
        })
        .await
        .unwrap();
    assert_eq!(booked.len(), LIMIT as usize);
}

pub async fn clinic_books_moves_and_cancels_through_the_store(store: Arc<dyn Store>) {
    let (clinic, practitioner, visit, patients) = scheduling_clinic(store.clone(), 2).await;
    let desk = Actor::new(ActorId::new(), vec![Role::FrontDesk]);
    let page = clinic
        .find_free_slots(
            &desk,
            SlotQuery {
                visit_type: visit.id,
                practitioners: vec![practitioner.id],
                room: None,
                from: monday_nine(),
                to: monday_nine() + Duration::days(1),
                limit: Some(Count32::new(3)),
                cursor: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.slots.len(), 3);
    assert_eq!(page.slots[0].start, monday_nine());
    let booked = clinic
        .book_appointment(
            &desk,
            BookAppointment {
                patient: patients[0],
                practitioner: practitioner.id,
                room: None,
                visit_type: visit.id,
                start: page.slots[0].start,
                status: None,
                note: None,
            },
        )
        .await
        .unwrap();
    let moved = clinic
        .reschedule_appointment(
            &desk,
            booked.id,
            Count64::new(1),
            RescheduleAppointment {
                start: page.slots[2].start,
                practitioner: None,
                room: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(moved.reschedules.len(), 1);
    let cancelled = clinic
        .cancel_appointment(
            &desk,
            booked.id,
            Count64::new(2),
            CancelAppointment {
                reason: CancellationReason::Pat,
                note: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store.appointment(booked.id).await.unwrap(),
        Some(cancelled.clone())
    );
    let kinds: Vec<String> = store
        .events_after(&[], 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.draft.kind)
        .filter(|k| k.starts_with("appointment."))
        .collect();
    assert_eq!(
        kinds,
        vec![
            "appointment.booked",
            "appointment.rescheduled",
            "appointment.cancelled"
        ]
    );
    let report = clinic.verify_audit(&Actor::system(), None).await.unwrap();
    assert!(report.ok, "{report:?}");
}
