//! Practitioners are cached per store handle (their availability documents
//! cost more to parse than to read); a change made through one handle must
//! reach every other handle on the same database at its next read.

#![allow(dead_code)]

use carebase::{Count32, Count64};
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};

use carebase::conformance::scheduling_clinic;
use carebase::schedule::{NewPractitioner, SlotQuery};
use carebase::{Actor, ActorId, Clinic, ManualClock, Role, Store};

/// Monday 2030-01-07 09:00 in Berlin, the first slot of
/// [`scheduling_clinic`]'s practitioner.
fn monday_nine() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 7, 8, 0, 0)
        .single()
        .expect("valid instant")
}

/// Changes through `writer` are what `reader` reads next, in its store
/// reads and in a clinic's slot search on it.
pub async fn changes_through_one_handle_reach_another(
    writer: Arc<dyn Store>,
    reader: Arc<dyn Store>,
) {
    let (clinic, practitioner, visit, _) = scheduling_clinic(writer, 0).await;
    let system = Actor::system();
    let read = |id| {
        let reader = reader.clone();
        async move {
            reader
                .practitioners()
                .await
                .expect("practitioners")
                .into_iter()
                .find(|p| p.id == id)
        }
    };
    // Warm the reader's cache.
    let first = read(practitioner.id).await.expect("listed");
    assert_eq!(first.version, 1);
    assert_eq!(first.availability.slot_minutes, 30);

    let mut hourly = practitioner.availability.clone();
    hourly.slot_minutes = Count32::new(60);
    hourly.max_per_day = Some(Count32::new(3));
    clinic
        .set_availability(&system, practitioner.id, Count64::new(1), hourly.clone())
        .await
        .expect("set availability");
    let second = read(practitioner.id).await.expect("still listed");
    assert_eq!(second.version, 2);
    assert_eq!(second.availability, hourly);

    let clock = Arc::new(ManualClock::new(monday_nine() - Duration::days(7)));
    let other_clinic = Clinic::new(reader.clone()).with_clock(clock);
    let desk = Actor::new(ActorId::new(), vec![Role::FrontDesk]);
    let page = other_clinic
        .find_free_slots(
            &desk,
            SlotQuery {
                visit_type: visit.id,
                practitioners: vec![practitioner.id],
                room: None,
                from: monday_nine(),
                to: monday_nine() + Duration::days(1),
                limit: Some(Count32::new(2)),
                cursor: None,
            },
        )
        .await
        .expect("slots");
    let starts: Vec<_> = page.slots.iter().map(|s| s.start).collect();
    assert_eq!(
        starts,
        vec![monday_nine(), monday_nine() + Duration::hours(1)],
        "the hourly grid set through the other handle"
    );

    let added = clinic
        .add_practitioner(
            &system,
            NewPractitioner {
                id: None,
                name: "Dr Second".into(),
                time_zone: "Europe/Berlin".into(),
                availability: hourly,
            },
        )
        .await
        .expect("add practitioner");
    assert!(
        read(added.id).await.is_some(),
        "a new practitioner is listed"
    );
}
