//! What shapes the free slots: days off and extra hours, validity, buffers, notice and horizon, rooms, and pages that are ordered and complete.

use super::*;
use carebase::BookedResource;
use carebase::Count32;

#[tokio::test]
async fn days_off_extra_hours_and_time_off_shape_the_slots() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let mut a = hours(every_day(t(9, 0), t(11, 0)), 60);
    a.exceptions = vec![
        DateException {
            date: NaiveDate::from_ymd_opt(2030, 1, 7).unwrap(),
            extra_hours: None,
        },
        DateException {
            date: NaiveDate::from_ymd_opt(2030, 1, 8).unwrap(),
            extra_hours: Some(TimeWindow {
                start: t(14, 0),
                end: t(15, 0),
            }),
        },
    ];
    a.time_off = vec![TimeOff {
        start: utc(2030, 1, 9, 9, 30),
        end: utc(2030, 1, 9, 10, 0),
        reason: Some("dentist".into()),
    }];
    let p = f.practitioner("UTC", a).await;
    let v = f.visit(60, |_| {}).await;
    let slots = f
        .slots(&v, &[&p], utc(2030, 1, 7, 0, 0), utc(2030, 1, 10, 0, 0))
        .await;
    assert_eq!(
        slots,
        vec![
            // 7th: day off. 8th: weekly hours plus extra hours.
            utc(2030, 1, 8, 9, 0),
            utc(2030, 1, 8, 10, 0),
            utc(2030, 1, 8, 14, 0),
            // 9th: 09:00 touches the time off.
            utc(2030, 1, 9, 10, 0),
        ]
    );
}

#[tokio::test]
async fn weekly_hours_apply_only_inside_their_validity() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let mut weekly = every_day(t(9, 0), t(10, 0));
    for w in &mut weekly {
        w.valid_from = NaiveDate::from_ymd_opt(2030, 1, 8);
        w.valid_until = NaiveDate::from_ymd_opt(2030, 1, 9);
    }
    let p = f.practitioner("UTC", hours(weekly, 60)).await;
    let v = f.visit(60, |_| {}).await;
    let slots = f
        .slots(&v, &[&p], utc(2030, 1, 7, 0, 0), utc(2030, 1, 11, 0, 0))
        .await;
    assert_eq!(slots, vec![utc(2030, 1, 8, 9, 0), utc(2030, 1, 9, 9, 0)]);
}

#[tokio::test]
async fn buffers_keep_a_gap_around_bookings() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let p = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(12, 0)), 15))
        .await;
    let v = f
        .visit(30, |v| {
            v.buffer_before_minutes = Count32::new(15);
            v.buffer_after_minutes = Count32::new(15);
        })
        .await;
    let patient = f.patient().await;
    f.clinic
        .book_appointment(&f.desk, f.booking(patient, &p, &v, utc(2030, 1, 7, 10, 0)))
        .await
        .unwrap();
    let slots = f
        .slots(&v, &[&p], utc(2030, 1, 7, 9, 0), utc(2030, 1, 7, 12, 0))
        .await;
    // The booking blocks 09:45–10:45; a new visit blocks 15 min either side.
    assert_eq!(
        slots,
        vec![
            utc(2030, 1, 7, 9, 0),
            utc(2030, 1, 7, 11, 0),
            utc(2030, 1, 7, 11, 15),
            utc(2030, 1, 7, 11, 30)
        ]
    );
}

#[tokio::test]
async fn minimum_notice_and_horizon_bound_the_slots() {
    let f = fixture(utc(2030, 1, 7, 9, 40));
    let p = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(12, 0)), 60))
        .await;
    let v = f
        .visit(60, |v| {
            v.min_notice_minutes = Count32::new(60);
            v.horizon_days = Count32::new(1);
        })
        .await;
    let slots = f
        .slots(&v, &[&p], utc(2030, 1, 7, 0, 0), utc(2030, 1, 10, 0, 0))
        .await;
    assert_eq!(slots, vec![utc(2030, 1, 7, 11, 0), utc(2030, 1, 8, 9, 0)]);
    let patient = f.patient().await;
    let err = f
        .clinic
        .book_appointment(&f.desk, f.booking(patient, &p, &v, utc(2030, 1, 7, 10, 0)))
        .await
        .unwrap_err();
    assert_field(&err, "start", "too_soon");
    let err = f
        .clinic
        .book_appointment(&f.desk, f.booking(patient, &p, &v, utc(2030, 1, 8, 10, 0)))
        .await
        .unwrap_err();
    assert_field(&err, "start", "beyond_horizon");
}

#[tokio::test]
async fn slot_pages_are_ordered_deterministic_and_complete() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let a = f
        .practitioner("Europe/Berlin", hours(every_day(t(9, 0), t(12, 0)), 20))
        .await;
    let b = f
        .practitioner("America/New_York", hours(every_day(t(8, 0), t(9, 0)), 20))
        .await;
    let v = f.visit(20, |_| {}).await;
    let (from, to) = (utc(2030, 1, 7, 0, 0), utc(2030, 1, 10, 0, 0));
    let all = f.slots(&v, &[&a, &b], from, to).await;
    let mut paged = Vec::new();
    let mut cursor = None;
    loop {
        let page = f
            .clinic
            .find_free_slots(
                &f.desk,
                SlotQuery {
                    visit_type: v.id,
                    practitioners: vec![b.id, a.id],
                    room: None,
                    from,
                    to,
                    limit: Some(Count32::new(7)),
                    cursor: cursor.clone(),
                },
            )
            .await
            .unwrap();
        assert!(page.slots.len() <= 7);
        paged.extend(page.slots.iter().map(|s| (s.start, s.practitioner)));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(paged.len(), all.len());
    assert_eq!(paged.len(), 3 * (9 + 3));
    let mut sorted = paged.clone();
    sorted.sort();
    assert_eq!(paged, sorted, "ordered by start then practitioner");
    let err = f
        .clinic
        .find_free_slots(
            &f.desk,
            SlotQuery {
                visit_type: v.id,
                practitioners: vec![a.id],
                room: None,
                from,
                to,
                limit: Some(Count32::new(7)),
                cursor: Some("bm90IGEgY3Vyc29y".into()),
            },
        )
        .await
        .unwrap_err();
    assert_field(&err, "cursor", "invalid_cursor");
}

#[tokio::test]
async fn a_room_must_be_free_too() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let a = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 60))
        .await;
    let b = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 60))
        .await;
    let v = f.visit(60, |_| {}).await;
    let room = f
        .clinic
        .add_resource(
            &f.system,
            NewResource {
                kind: ResourceKind::Room,
                name: "Room 1".into(),
                time_zone: "UTC".into(),
            },
        )
        .await
        .unwrap();
    let (pa, pb) = (f.patient().await, f.patient().await);
    let mut first = f.booking(pa, &a, &v, utc(2030, 1, 7, 9, 0));
    first.room = Some(room.id);
    let booked = f.clinic.book_appointment(&f.desk, first).await.unwrap();
    let page = f
        .clinic
        .find_free_slots(
            &f.desk,
            SlotQuery {
                visit_type: v.id,
                practitioners: vec![b.id],
                room: Some(room.id),
                from: utc(2030, 1, 7, 0, 0),
                to: utc(2030, 1, 8, 0, 0),
                limit: None,
                cursor: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        page.slots.iter().map(|s| s.start).collect::<Vec<_>>(),
        vec![utc(2030, 1, 7, 10, 0)]
    );
    let mut clash = f.booking(pb, &b, &v, utc(2030, 1, 7, 9, 0));
    clash.room = Some(room.id);
    let err = f.clinic.book_appointment(&f.desk, clash).await.unwrap_err();
    assert_eq!(err, Error::double_booking(BookedResource::Room, booked.id));
}
