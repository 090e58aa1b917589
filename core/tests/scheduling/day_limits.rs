//! Per-day limits, counted on the practitioner's local day.

use super::*;
use carebase::Count32;

#[tokio::test]
async fn per_day_limits_close_the_day() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let mut a = hours(every_day(t(9, 0), t(12, 0)), 60);
    a.max_per_day = Some(Count32::new(2));
    let p = f.practitioner("UTC", a).await;
    let v = f.visit(60, |v| v.max_per_day = Some(Count32::new(1))).await;
    let other = f.visit(60, |v| v.code = "other".into()).await;
    let (pa, pb, pc) = (f.patient().await, f.patient().await, f.patient().await);
    f.clinic
        .book_appointment(&f.desk, f.booking(pa, &p, &v, utc(2030, 1, 7, 9, 0)))
        .await
        .unwrap();
    let err = f
        .clinic
        .book_appointment(&f.desk, f.booking(pb, &p, &v, utc(2030, 1, 7, 10, 0)))
        .await
        .unwrap_err();
    assert_field(&err, "start", "visit_type_daily_limit");
    f.clinic
        .book_appointment(&f.desk, f.booking(pb, &p, &other, utc(2030, 1, 7, 10, 0)))
        .await
        .unwrap();
    let err = f
        .clinic
        .book_appointment(&f.desk, f.booking(pc, &p, &other, utc(2030, 1, 7, 11, 0)))
        .await
        .unwrap_err();
    assert_field(&err, "start", "daily_limit");
    let next_day = f
        .slots(&other, &[&p], utc(2030, 1, 7, 0, 0), utc(2030, 1, 9, 0, 0))
        .await;
    assert_eq!(next_day.first(), Some(&utc(2030, 1, 8, 9, 0)));
}

#[tokio::test]
async fn per_day_limits_count_the_practitioners_local_day() {
    // Tokyo is UTC+9: its 8 January runs from 7 January 15:00 UTC.
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let mut a = hours(every_day(t(7, 0), t(19, 0)), 60);
    a.max_per_day = Some(Count32::new(1));
    let p = f.practitioner("Asia/Tokyo", a).await;
    let v = f.visit(60, |_| {}).await;
    let patient = f.patient().await;
    // 08:00 on 8 January in Tokyo.
    f.clinic
        .book_appointment(&f.desk, f.booking(patient, &p, &v, utc(2030, 1, 7, 23, 0)))
        .await
        .unwrap();
    let slots = f
        .slots(&v, &[&p], utc(2030, 1, 7, 0, 0), utc(2030, 1, 9, 12, 0))
        .await;
    // 7 January local (until 15:00 UTC) is open, 8 January is full, and
    // 9 January opens at 07:00 local, 22:00 UTC the day before.
    assert_eq!(slots.last().copied(), Some(utc(2030, 1, 9, 9, 0)));
    assert!(slots.contains(&utc(2030, 1, 7, 9, 0)));
    assert!(
        !slots
            .iter()
            .any(|s| (utc(2030, 1, 7, 15, 0)..utc(2030, 1, 8, 15, 0)).contains(s)),
        "{slots:?}"
    );
    assert!(slots.contains(&utc(2030, 1, 8, 22, 0)));
}

#[tokio::test]
async fn a_day_whose_midnight_is_skipped_keeps_its_limit() {
    // São Paulo, 4 November 2018: clocks jumped from 00:00 to 01:00, so the
    // day began at 01:00 local (03:00 UTC).
    let f = fixture(utc(2018, 11, 1, 0, 0));
    let mut a = hours(every_day(t(0, 0), t(23, 0)), 60);
    a.max_per_day = Some(Count32::new(1));
    let p = f.practitioner("America/Sao_Paulo", a).await;
    let v = f.visit(60, |_| {}).await;
    let patient = f.patient().await;
    // The day's first instant: 01:00 local.
    f.clinic
        .book_appointment(&f.desk, f.booking(patient, &p, &v, utc(2018, 11, 4, 3, 0)))
        .await
        .unwrap();
    let slots = f
        .slots(&v, &[&p], utc(2018, 11, 3, 12, 0), utc(2018, 11, 5, 6, 0))
        .await;
    // 3 November (UTC-3) ends with its 21:00 and 22:00 slots, 00:00 and
    // 01:00 UTC; 4 November is full; 5 November (UTC-2) opens at 00:00
    // local, 02:00 UTC.
    let around: Vec<_> = slots
        .iter()
        .copied()
        .filter(|s| (utc(2018, 11, 4, 0, 0)..utc(2018, 11, 5, 3, 0)).contains(s))
        .collect();
    assert_eq!(
        around,
        vec![
            utc(2018, 11, 4, 0, 0),
            utc(2018, 11, 4, 1, 0),
            utc(2018, 11, 5, 2, 0)
        ]
    );
    let other = f.patient().await;
    let err = f
        .clinic
        .book_appointment(&f.desk, f.booking(other, &p, &v, utc(2018, 11, 4, 14, 0)))
        .await
        .unwrap_err();
    assert_field(&err, "start", "daily_limit");
}
