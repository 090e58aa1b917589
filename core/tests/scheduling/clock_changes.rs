//! Availability in the practitioner's zone across clock changes: a wall time stays a wall time, a skipped hour has no start, a repeated hour gives each start once.

use super::*;

#[tokio::test]
async fn nine_local_stays_nine_local_across_the_spring_change() {
    let f = fixture(utc(2030, 3, 1, 0, 0));
    let p = f
        .practitioner("Europe/Berlin", hours(every_day(t(9, 0), t(10, 0)), 60))
        .await;
    let v = f.visit(60, |_| {}).await;
    // Berlin moves from +01:00 to +02:00 on Sunday 2030-03-31.
    let slots = f
        .slots(&v, &[&p], utc(2030, 3, 30, 0, 0), utc(2030, 4, 2, 0, 0))
        .await;
    assert_eq!(
        slots,
        vec![
            utc(2030, 3, 30, 8, 0),
            utc(2030, 3, 31, 7, 0),
            utc(2030, 4, 1, 7, 0)
        ]
    );
}

#[tokio::test]
async fn a_start_in_the_skipped_hour_does_not_exist() {
    let f = fixture(utc(2030, 3, 1, 0, 0));
    let p = f
        .practitioner("Europe/Berlin", hours(every_day(t(1, 0), t(4, 0)), 30))
        .await;
    let v = f.visit(30, |_| {}).await;
    let slots = f
        .slots(&v, &[&p], utc(2030, 3, 30, 22, 0), utc(2030, 3, 31, 12, 0))
        .await;
    // 01:00, 01:30 at +01:00; 02:00 and 02:30 do not exist; 03:00, 03:30 at +02:00.
    assert_eq!(
        slots,
        vec![
            utc(2030, 3, 31, 0, 0),
            utc(2030, 3, 31, 0, 30),
            utc(2030, 3, 31, 1, 0),
            utc(2030, 3, 31, 1, 30)
        ]
    );
}

#[tokio::test]
async fn a_repeated_hour_gives_each_start_once() {
    let f = fixture(utc(2030, 10, 1, 0, 0));
    let p = f
        .practitioner("Europe/Berlin", hours(every_day(t(1, 0), t(4, 0)), 30))
        .await;
    let v = f.visit(30, |_| {}).await;
    // Berlin goes back from 03:00 +02:00 to 02:00 +01:00 on 2030-10-27.
    let slots = f
        .slots(
            &v,
            &[&p],
            utc(2030, 10, 26, 20, 0),
            utc(2030, 10, 27, 12, 0),
        )
        .await;
    assert_eq!(
        slots,
        vec![
            utc(2030, 10, 26, 23, 0),
            utc(2030, 10, 26, 23, 30),
            utc(2030, 10, 27, 0, 0),
            utc(2030, 10, 27, 0, 30),
            utc(2030, 10, 27, 2, 0),
            utc(2030, 10, 27, 2, 30)
        ]
    );
}

#[tokio::test]
async fn a_window_ending_where_the_clock_goes_back_ends_the_first_time_it_shows_that_hour() {
    let f = fixture(utc(2030, 10, 1, 0, 0));
    let p = f
        .practitioner("Europe/Berlin", hours(every_day(t(1, 0), t(2, 0)), 10))
        .await;
    let v = f.visit(15, |_| {}).await;
    // On 2030-10-27 the clock shows 02:00 +02:00 (00:00 UTC), runs to 03:00
    // and goes back to 02:00 +01:00: after 00:00 UTC it never shows a time
    // before 02:00 again, so a 15-minute visit at 01:50 would end past the
    // window.
    let slots = f
        .slots(&v, &[&p], utc(2030, 10, 26, 22, 0), utc(2030, 10, 27, 3, 0))
        .await;
    assert_eq!(
        slots,
        vec![
            utc(2030, 10, 26, 23, 0),
            utc(2030, 10, 26, 23, 10),
            utc(2030, 10, 26, 23, 20),
            utc(2030, 10, 26, 23, 30),
            utc(2030, 10, 26, 23, 40)
        ]
    );
}
