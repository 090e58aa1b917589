//! One slot, many bookers, several store handles on one database: clinics
//! on every handle book the same start at once from tokio tasks; exactly
//! one booking wins and every loser is told the winner's appointment.

#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};

use carebase::conformance::scheduling_clinic;
use carebase::schedule::{BookAppointment, BusyQuery};
use carebase::{Actor, ActorId, Clinic, Error, ManualClock, Role, Store};

/// Monday 2030-01-07 09:00 in Berlin, the first slot of
/// [`scheduling_clinic`]'s practitioner.
fn monday_nine() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 7, 8, 0, 0)
        .single()
        .expect("valid instant")
}

/// `rounds` rounds of `bookers` concurrent bookings of one slot, spread
/// over clinics on each of `stores` (handles on one database).
pub async fn one_winner_per_slot(stores: Vec<Arc<dyn Store>>, rounds: i64, bookers: usize) {
    let (first, practitioner, visit, patients) =
        scheduling_clinic(stores[0].clone(), bookers).await;
    let mut clinics = vec![first];
    for store in &stores[1..] {
        // The same clock as `scheduling_clinic`'s: a week before the slots.
        let clock = Arc::new(ManualClock::new(monday_nine() - Duration::days(7)));
        clinics.push(Clinic::new(store.clone()).with_clock(clock));
    }
    let desk = Actor::new(ActorId::new(), vec![Role::FrontDesk]);
    for round in 0..rounds {
        let start = monday_nine() + Duration::minutes(30 * round);
        let tasks: Vec<_> = patients
            .iter()
            .enumerate()
            .map(|(i, patient)| {
                let clinic = clinics[i % clinics.len()].clone();
                let desk = desk.clone();
                let booking = BookAppointment {
                    patient: *patient,
                    practitioner: practitioner.id,
                    room: None,
                    visit_type: visit.id,
                    start,
                    status: None,
                    note: None,
                };
                tokio::spawn(async move { clinic.book_appointment(&desk, booking).await })
            })
            .collect();
        let mut winners = Vec::new();
        let mut losers = Vec::new();
        for task in tasks {
            match task.await.expect("booker task") {
                Ok(a) => winners.push(a.id),
                Err(Error::DoubleBooking {
                    resource,
                    appointment,
                }) => {
                    assert_eq!(
                        resource,
                        carebase::BookedResource::Practitioner,
                        "round {round}"
                    );
                    losers.push(appointment);
                }
                Err(other) => panic!("round {round}: unexpected {other:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one booker wins");
        assert_eq!(losers.len(), bookers - 1, "round {round}");
        assert!(
            losers.iter().all(|id| *id == Some(winners[0])),
            "round {round}: every loser is told the winner's id"
        );
    }
    // Every handle sees the same schedule: one appointment a round, no overlap.
    for store in &stores {
        let spans = store
            .busy(&BusyQuery {
                practitioners: vec![practitioner.id],
                rooms: vec![],
                patients: vec![],
                from: monday_nine() - Duration::days(1),
                to: monday_nine() + Duration::days(1),
            })
            .await
            .expect("busy");
        assert_eq!(spans.len(), rounds as usize);
        for pair in spans.windows(2) {
            assert!(
                pair[0].blocked_until <= pair[1].blocked_from,
                "overlap: {pair:?}"
            );
        }
    }
}
