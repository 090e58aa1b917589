//! Availability as specifications: what the windows of a date are (weekly
//! hours never overlap; a day off plus extra hours replaces the weekly
//! hours), and slot pages that resume exactly after their cursor even where
//! the wall clock goes back across midnight.

mod common;

use carebase::Count32;
use std::sync::Arc;

use carebase::schedule::{
    Availability, DateException, NewPractitioner, NewVisitType, Practitioner, SlotQuery,
    TimeWindow, VisitType, Weekday, WeeklyHours,
};
use carebase::{Actor, Clinic, Error, ManualClock, MemoryStore};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).single().unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn weekly(weekday: Weekday, start: NaiveTime, end: NaiveTime) -> WeeklyHours {
    WeeklyHours {
        weekday,
        start,
        end,
        valid_from: None,
        valid_until: None,
    }
}

fn hours(weekly: Vec<WeeklyHours>, slot_minutes: u32) -> Availability {
    Availability {
        weekly,
        slot_minutes: Count32::new(slot_minutes),
        ..Availability::default()
    }
}

fn clinic(now: DateTime<Utc>) -> Clinic {
    Clinic::new(Arc::new(MemoryStore::new())).with_clock(Arc::new(ManualClock::new(now)))
}

async fn add_practitioner(
    clinic: &Clinic,
    tz: &str,
    availability: Availability,
) -> Result<Practitioner, Error> {
    clinic
        .add_practitioner(
            &Actor::system(),
            NewPractitioner {
                id: None,
                name: "Dr Avail".into(),
                time_zone: tz.into(),
                availability,
            },
        )
        .await
}

async fn visit(clinic: &Clinic, minutes: u32) -> VisitType {
    clinic
        .add_visit_type(
            &Actor::system(),
            NewVisitType {
                code: "consult".into(),
                name: "Consultation".into(),
                duration_minutes: Count32::new(minutes),
                buffer_before_minutes: Count32::new(0),
                buffer_after_minutes: Count32::new(0),
                min_notice_minutes: Count32::new(0),
                horizon_days: Count32::new(3650),
                max_per_day: None,
                reminder_offsets_minutes: vec![],
            },
        )
        .await
        .unwrap()
}

/// Every free start in `[from, to)`, following cursors with pages of `limit`.
async fn paged_starts(
    clinic: &Clinic,
    p: &Practitioner,
    v: &VisitType,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    limit: u32,
) -> Vec<DateTime<Utc>> {
    let mut starts = Vec::new();
    let mut cursor = None;
    loop {
        let page = clinic
            .find_free_slots(
                &Actor::system(),
                SlotQuery {
                    visit_type: v.id,
                    practitioners: vec![p.id],
                    room: None,
                    from,
                    to,
                    limit: Some(Count32::new(limit)),
                    cursor,
                },
            )
            .await
            .unwrap();
        assert!(page.slots.len() <= limit as usize);
        starts.extend(page.slots.iter().map(|s| s.start));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return starts,
        }
    }
}

fn fields(err: &Error) -> Vec<(String, String)> {
    match err {
        Error::Validation { fields } => fields
            .iter()
            .map(|f| (f.field.clone(), f.code.clone()))
            .collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn pair(field: &str, code: &str) -> (String, String) {
    (field.to_owned(), code.to_owned())
}

#[tokio::test]
async fn a_page_resumes_after_its_cursor_when_the_repeated_hour_crosses_midnight() {
    // Goose Bay, 7 November 2010: at 00:01 ADT (03:01 UTC) clocks went back
    // to 23:01 AST, so Saturday 23:01 to Sunday 00:01 was shown twice.
    let clinic = clinic(utc(2010, 11, 1, 0, 0));
    let p = add_practitioner(
        &clinic,
        "America/Goose_Bay",
        hours(
            vec![
                weekly(Weekday::Saturday, t(23, 50), t(23, 59)),
                weekly(Weekday::Sunday, t(0, 0), t(0, 20)),
            ],
            5,
        ),
    )
    .await
    .unwrap();
    let v = visit(&clinic, 5).await;
    let range = (utc(2010, 11, 6, 12, 0), utc(2010, 11, 8, 0, 0));
    // Saturday 23:50 and 23:55 ADT; Sunday 00:00 ADT, then 00:05 to 00:15
    // AST (00:00 to 00:04 AST repeat wall times already taken).
    let expected = vec![
        utc(2010, 11, 7, 2, 50),
        utc(2010, 11, 7, 2, 55),
        utc(2010, 11, 7, 3, 0),
        utc(2010, 11, 7, 4, 5),
        utc(2010, 11, 7, 4, 10),
        utc(2010, 11, 7, 4, 15),
    ];
    for limit in [1, 2, 3, 500] {
        let starts = paged_starts(&clinic, &p, &v, range, limit).await;
        assert_eq!(starts, expected, "pages of {limit}");
    }
}

#[tokio::test]
async fn a_search_ending_inside_the_repeated_hour_still_sees_the_new_day() {
    let clinic = clinic(utc(2010, 11, 1, 0, 0));
    let p = add_practitioner(
        &clinic,
        "America/Goose_Bay",
        hours(vec![weekly(Weekday::Sunday, t(0, 0), t(0, 20))], 5),
    )
    .await
    .unwrap();
    let v = visit(&clinic, 5).await;
    // 03:30 UTC shows Saturday 23:30 AST, yet Sunday began at 03:00 UTC.
    let range = (utc(2010, 11, 7, 0, 0), utc(2010, 11, 7, 3, 30));
    let starts = paged_starts(&clinic, &p, &v, range, 500).await;
    assert_eq!(starts, vec![utc(2010, 11, 7, 3, 0)]);
}

#[tokio::test]
async fn weekly_hours_that_overlap_are_refused_naming_the_later_window() {
    let clinic = clinic(utc(2030, 1, 1, 0, 0));
    let mut later_tuesdays = weekly(Weekday::Tuesday, t(11, 0), t(12, 0));
    later_tuesdays.valid_from = Some(date(2030, 2, 1));
    let err = add_practitioner(
        &clinic,
        "UTC",
        hours(
            vec![
                weekly(Weekday::Monday, t(9, 0), t(12, 0)),
                weekly(Weekday::Tuesday, t(9, 0), t(12, 0)),
                // Touching the first window is fine.
                weekly(Weekday::Monday, t(12, 0), t(13, 0)),
                weekly(Weekday::Monday, t(11, 30), t(12, 30)),
                // Tuesdays from February, when the second window applies too.
                later_tuesdays,
            ],
            15,
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(
        fields(&err),
        vec![
            pair("availability.weekly[3]", "overlaps"),
            pair("availability.weekly[4]", "overlaps"),
        ]
    );
}

#[tokio::test]
async fn weekly_hours_valid_on_different_dates_may_share_a_time() {
    let clinic = clinic(utc(2030, 1, 1, 0, 0));
    let mut january = weekly(Weekday::Monday, t(9, 0), t(12, 0));
    january.valid_until = Some(date(2030, 1, 31));
    let mut february = weekly(Weekday::Monday, t(10, 0), t(13, 0));
    february.valid_from = Some(date(2030, 2, 1));
    let p = add_practitioner(&clinic, "UTC", hours(vec![january, february], 60))
        .await
        .unwrap();
    let v = visit(&clinic, 60).await;
    let starts = paged_starts(
        &clinic,
        &p,
        &v,
        (utc(2030, 1, 28, 0, 0), utc(2030, 2, 5, 0, 0)),
        500,
    )
    .await;
    assert_eq!(
        starts,
        vec![
            utc(2030, 1, 28, 9, 0),
            utc(2030, 1, 28, 10, 0),
            utc(2030, 1, 28, 11, 0),
            utc(2030, 2, 4, 10, 0),
            utc(2030, 2, 4, 11, 0),
            utc(2030, 2, 4, 12, 0),
        ]
    );
}

#[tokio::test]
async fn extra_hours_that_overlap_other_hours_of_their_date_are_refused() {
    let clinic = clinic(utc(2030, 1, 1, 0, 0));
    let p = add_practitioner(
        &clinic,
        "UTC",
        hours(vec![weekly(Weekday::Monday, t(9, 0), t(12, 0))], 30),
    )
    .await
    .unwrap();
    let extra = |d: NaiveDate, start: NaiveTime, end: NaiveTime| DateException {
        date: d,
        extra_hours: Some(TimeWindow { start, end }),
    };
    let mut changed = p.availability.clone();
    changed.exceptions = vec![
        // Monday 7 January: into the weekly hours.
        extra(date(2030, 1, 7), t(11, 0), t(13, 0)),
        // Tuesday: no weekly hours, two extra windows that meet.
        extra(date(2030, 1, 8), t(9, 0), t(10, 0)),
        extra(date(2030, 1, 8), t(9, 30), t(11, 0)),
        // Right after the Monday hours of 14 January: fine.
        extra(date(2030, 1, 14), t(12, 0), t(13, 0)),
    ];
    let err = clinic
        .set_availability(&Actor::system(), p.id, p.version, changed)
        .await
        .unwrap_err();
    assert_eq!(
        fields(&err),
        vec![
            pair("exceptions[0].extra_hours", "overlaps"),
            pair("exceptions[2].extra_hours", "overlaps"),
        ]
    );
}

#[tokio::test]
async fn a_day_off_with_extra_hours_replaces_the_weekly_hours_of_that_date() {
    let clinic = clinic(utc(2030, 1, 1, 0, 0));
    let mut a = hours(vec![weekly(Weekday::Monday, t(9, 0), t(12, 0))], 60);
    a.exceptions = vec![
        DateException {
            date: date(2030, 1, 7),
            extra_hours: None,
        },
        // Would overlap the weekly hours, but the day off drops them.
        DateException {
            date: date(2030, 1, 7),
            extra_hours: Some(TimeWindow {
                start: t(10, 0),
                end: t(14, 0),
            }),
        },
    ];
    let p = add_practitioner(&clinic, "UTC", a).await.unwrap();
    let v = visit(&clinic, 60).await;
    let starts = paged_starts(
        &clinic,
        &p,
        &v,
        (utc(2030, 1, 7, 0, 0), utc(2030, 1, 15, 0, 0)),
        500,
    )
    .await;
    assert_eq!(
        starts,
        vec![
            // 7 January: only the extra hours.
            utc(2030, 1, 7, 10, 0),
            utc(2030, 1, 7, 11, 0),
            utc(2030, 1, 7, 12, 0),
            utc(2030, 1, 7, 13, 0),
            // 14 January: the weekly hours again.
            utc(2030, 1, 14, 9, 0),
            utc(2030, 1, 14, 10, 0),
            utc(2030, 1, 14, 11, 0),
        ]
    );
}
