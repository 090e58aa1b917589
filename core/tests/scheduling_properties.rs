//! Invariants of free-slot search and booking for random rules, zones and
//! booking sequences, checked against an independent oracle that finds
//! wall times by scanning instants minute by minute (no `LocalResult`),
//! with per-day limits; pages of a few slots must give what one big page
//! gives, also where the clock goes back across midnight.

mod common;

use carebase::Count32;
use std::collections::BTreeSet;
use std::sync::Arc;

use carebase::clinic::NewPatient;
use carebase::schedule::{
    Appointment, Availability, BookAppointment, DateException, NewPractitioner, NewVisitType,
    Practitioner, SlotQuery, TimeOff, TimeWindow, VisitType, Weekday, WeeklyHours,
};
use carebase::{Actor, Clinic, ManualClock, MemoryStore};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

const ZONES: [&str; 7] = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/Sao_Paulo",
    "Pacific/Apia",
    "UTC",
];

/// Days around clock changes (Berlin, US, Lord Howe's half hour) and a plain one.
const FIRST_DAYS: [(i32, u32, u32); 6] = [
    (2030, 3, 30),
    (2030, 3, 9),
    (2030, 10, 26),
    (2030, 11, 2),
    (2030, 4, 6),
    (2030, 10, 5),
];

/// Days before the clock went back across midnight (found by scanning
/// chrono-tz): the wall clock shows the previous date again after the new
/// day has begun. Goose Bay and Moncton 00:01 → 23:01; St John's half-hour
/// zone, the same in 2010 and by two hours (00:01 → 22:01) in 1988; Casey
/// 02:00 → 23:00 in 2010.
const MIDNIGHT_REPEATS: [(&str, (i32, u32, u32)); 5] = [
    ("America/Goose_Bay", (2010, 11, 6)),
    ("America/Moncton", (2006, 10, 28)),
    ("America/St_Johns", (2010, 11, 6)),
    ("America/St_Johns", (1988, 10, 29)),
    ("Antarctica/Casey", (2010, 3, 4)),
];

#[derive(Debug, Clone)]
struct Case {
    zone: &'static str,
    first_day: NaiveDate,
    weekly: Vec<WeeklyHours>,
    exceptions: Vec<DateException>,
    time_off: Vec<(i64, i64)>,
    slot_minutes: u32,
    duration: u32,
    buffer_before: u32,
    buffer_after: u32,
    /// The practitioner's and the visit type's appointments per day.
    limits: (Option<u32>, Option<u32>),
    /// Slots per page.
    page: u32,
    picks: Vec<usize>,
}

fn quarter(q: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(q / 4, (q % 4) * 15, 0).unwrap_or(NaiveTime::MIN)
}

/// A window on the quarter-hour, often starting late in the evening or at
/// midnight, where clock changes that cross midnight bite.
fn window() -> impl Strategy<Value = (NaiveTime, NaiveTime)> {
    let start = prop_oneof![2 => 0u32..95, 1 => 84u32..95, 1 => 0u32..3];
    (start, 1u32..40).prop_map(|(start, len)| {
        let end = (start + len).min(95);
        (quarter(start), quarter(end.max(start + 1)))
    })
}

/// Weekly windows that overlap an earlier one of their day, and extra hours
/// that overlap other hours of their date, are dropped: availability
/// refuses them.
fn without_overlaps(case: &mut Case) {
    let overlap = |a: (NaiveTime, NaiveTime), b: (NaiveTime, NaiveTime)| a.0 < b.1 && b.0 < a.1;
    let mut weekly: Vec<WeeklyHours> = Vec::new();
    for w in case.weekly.drain(..) {
        let clash = weekly
            .iter()
            .any(|v| v.weekday == w.weekday && overlap((v.start, v.end), (w.start, w.end)));
        if !clash {
            weekly.push(w);
        }
    }
    case.weekly = weekly;
    let days_off: Vec<NaiveDate> = case
        .exceptions
        .iter()
        .filter(|e| e.extra_hours.is_none())
        .map(|e| e.date)
        .collect();
    let mut exceptions: Vec<DateException> = Vec::new();
    for e in case.exceptions.drain(..) {
        if let Some(w) = e.extra_hours {
            let w = (w.start, w.end);
            let weekly_clash = !days_off.contains(&e.date)
                && case.weekly.iter().any(|v| {
                    v.weekday.to_chrono() == e.date.weekday() && overlap((v.start, v.end), w)
                });
            let extra_clash = exceptions.iter().any(|x| {
                x.date == e.date && x.extra_hours.is_some_and(|v| overlap((v.start, v.end), w))
            });
            if weekly_clash || extra_clash {
                continue;
            }
        }
        exceptions.push(e);
    }
    case.exceptions = exceptions;
}

/// A zone and the first day of the search: any of [`ZONES`] with any of
/// [`FIRST_DAYS`], or a day of [`MIDNIGHT_REPEATS`].
fn zone_and_day() -> impl Strategy<Value = (&'static str, (i32, u32, u32))> {
    prop_oneof![
        (
            prop::sample::select(ZONES.to_vec()),
            prop::sample::select(FIRST_DAYS.to_vec()),
        ),
        prop::sample::select(MIDNIGHT_REPEATS.to_vec()),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        zone_and_day(),
        prop::collection::vec((0usize..7, window()), 4..16),
        prop::collection::vec((0i64..3, prop::option::of(window())), 0..3),
        prop::collection::vec((0i64..(3 * 24 * 60), 15i64..600), 0..3),
        prop::sample::select(vec![10u32, 15, 20, 30, 45, 60]),
        prop::sample::select(vec![10u32, 15, 20, 30, 45, 60, 90]),
        prop::sample::select(vec![0u32, 5, 15]),
        prop::sample::select(vec![0u32, 10, 30]),
        (
            prop::option::of(1u32..4),
            prop::option::of(1u32..4),
            prop_oneof![3 => 1u32..6, 1 => Just(97u32)],
        ),
        prop::collection::vec(0usize..1000, 0..6),
    )
        .prop_map(
            |(
                (zone, (y, m, d)),
                weekly,
                exceptions,
                time_off,
                slot,
                duration,
                bb,
                ba,
                (practitioner_limit, visit_limit, page),
                picks,
            )| {
                let first_day = NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
                let mut case = Case {
                    zone,
                    first_day,
                    weekly: weekly
                        .into_iter()
                        .map(|(day, (start, end))| WeeklyHours {
                            weekday: Weekday::ALL[day],
                            start,
                            end,
                            valid_from: None,
                            valid_until: None,
                        })
                        .collect(),
                    exceptions: exceptions
                        .into_iter()
                        .map(|(offset, extra)| DateException {
                            date: first_day + Duration::days(offset),
                            extra_hours: extra.map(|(start, end)| TimeWindow { start, end }),
                        })
                        .collect(),
                    time_off,
                    slot_minutes: slot,
                    duration,
                    buffer_before: bb,
                    buffer_after: ba,
                    limits: (practitioner_limit, visit_limit),
                    page,
                    picks,
                };
                without_overlaps(&mut case);
                case
            },
        )
}

/// The search range: three days of instants from the first day's midnight UTC.
fn range(case: &Case) -> (DateTime<Utc>, DateTime<Utc>) {
    let from = case
        .first_day
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    (from, from + Duration::days(3))
}

fn minute(t: DateTime<Utc>) -> i64 {
    t.timestamp() / 60
}

fn wall(tz: Tz, m: i64) -> NaiveDateTime {
    Utc.timestamp_opt(m * 60, 0)
        .single()
        .unwrap_or_default()
        .with_timezone(&tz)
        .naive_local()
}

/// Every bookable start, found by scanning instants.
fn oracle(case: &Case, tz: Tz, booked: &[Appointment]) -> BTreeSet<DateTime<Utc>> {
    let (from, to) = range(case);
    let (lo, hi) = (minute(from), minute(to));
    let mut starts = BTreeSet::new();
    let mut date = case.first_day - Duration::days(2);
    while date <= case.first_day + Duration::days(4) {
        let day_off = case
            .exceptions
            .iter()
            .any(|e| e.date == date && e.extra_hours.is_none());
        let mut windows: Vec<(NaiveTime, NaiveTime)> = Vec::new();
        if !day_off {
            windows.extend(
                case.weekly
                    .iter()
                    .filter(|w| w.weekday.to_chrono() == date.weekday())
                    .map(|w| (w.start, w.end)),
            );
        }
        windows.extend(
            case.exceptions
                .iter()
                .filter(|e| e.date == date)
                .filter_map(|e| e.extra_hours.map(|w| (w.start, w.end))),
        );
        let noon = minute(date.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc());
        let scan: Vec<(i64, NaiveDateTime)> = ((noon - 40 * 60)..(noon + 40 * 60))
            .map(|m| (m, wall(tz, m)))
            .collect();
        for (ws, we) in windows {
            let on_day = |w: &NaiveDateTime| w.date() == date;
            // The window opens when the clock first shows its start and
            // closes after the clock last shows a time before its end.
            let Some(open) = scan
                .iter()
                .find(|(_, w)| on_day(w) && w.time() >= ws)
                .map(|(m, _)| *m)
            else {
                continue;
            };
            let Some(close) = scan
                .iter()
                .rev()
                .find(|(_, w)| on_day(w) && w.time() < we)
                .map(|(m, _)| *m + 1)
            else {
                continue;
            };
            let mut local = date.and_time(ws);
            while local < date.and_time(we) {
                if let Some((t, _)) = scan.iter().find(|(_, w)| *w == local) {
                    let t = *t;
                    let end = t + i64::from(case.duration);
                    let free_of_off = case
                        .time_off
                        .iter()
                        .all(|(s, len)| !(lo + s < end && t < lo + s + len));
                    let (bf, bu) = (
                        t - i64::from(case.buffer_before),
                        end + i64::from(case.buffer_after),
                    );
                    let free_of_bookings = booked
                        .iter()
                        .all(|a| !(minute(a.blocked_from) < bu && bf < minute(a.blocked_until)));
                    // One visit type, so both limits count the same bookings.
                    let day = wall(tz, t).date();
                    let that_day = booked
                        .iter()
                        .filter(|a| wall(tz, minute(a.start)).date() == day)
                        .count();
                    let day_open = [case.limits.0, case.limits.1]
                        .into_iter()
                        .flatten()
                        .all(|max| that_day < max as usize);
                    if t >= open
                        && end <= close
                        && t >= lo
                        && t < hi
                        && free_of_off
                        && free_of_bookings
                        && day_open
                    {
                        starts.insert(Utc.timestamp_opt(t * 60, 0).single().unwrap_or_default());
                    }
                }
                local += Duration::minutes(i64::from(case.slot_minutes));
            }
        }
        date += Duration::days(1);
    }
    starts
}

async fn setup(case: &Case) -> (Clinic, Practitioner, VisitType) {
    let (from, _) = range(case);
    let clock = Arc::new(ManualClock::new(from - Duration::days(1)));
    let clinic = Clinic::new(Arc::new(MemoryStore::new())).with_clock(clock);
    let system = Actor::system();
    let time_off = case
        .time_off
        .iter()
        .map(|(s, len)| TimeOff {
            start: from + Duration::minutes(*s),
            end: from + Duration::minutes(s + len),
            reason: None,
        })
        .collect();
    let practitioner = clinic
        .add_practitioner(
            &system,
            NewPractitioner {
                id: None,
                name: "Dr Property".into(),
                time_zone: case.zone.into(),
                availability: Availability {
                    weekly: case.weekly.clone(),
                    exceptions: case.exceptions.clone(),
                    time_off,
                    slot_minutes: Count32::new(case.slot_minutes),
                    max_per_day: case.limits.0.map(Count32::new),
                },
            },
        )
        .await
        .unwrap();
    let visit = clinic
        .add_visit_type(
            &system,
            NewVisitType {
                code: "prop".into(),
                name: "Property".into(),
                duration_minutes: Count32::new(case.duration),
                buffer_before_minutes: Count32::new(case.buffer_before),
                buffer_after_minutes: Count32::new(case.buffer_after),
                min_notice_minutes: Count32::new(0),
                horizon_days: Count32::new(3650),
                max_per_day: case.limits.1.map(Count32::new),
                reminder_offsets_minutes: vec![],
            },
        )
        .await
        .unwrap();
    (clinic, practitioner, visit)
}

/// Every free slot of the range, following cursors with pages of `limit`.
async fn all_slots(
    clinic: &Clinic,
    case: &Case,
    p: &Practitioner,
    v: &VisitType,
    limit: u32,
) -> Vec<DateTime<Utc>> {
    let (from, to) = range(case);
    let mut found = Vec::new();
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
        found.extend(page.slots.iter().map(|s| s.start));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return found,
        }
    }
}

async fn check(case: Case) -> Result<(), TestCaseError> {
    let tz: Tz = case.zone.parse().map_err(|_| TestCaseError::fail("zone"))?;
    let (clinic, p, v) = setup(&case).await;
    let system = Actor::system();
    let mut booked: Vec<Appointment> = Vec::new();
    for round in 0..=case.picks.len() {
        let slots = all_slots(&clinic, &case, &p, &v, case.page).await;
        // One page of 500 holds every start of the three days.
        let one_page = all_slots(&clinic, &case, &p, &v, 500).await;
        prop_assert_eq!(
            &slots,
            &one_page,
            "pages of {} resume after their cursor",
            case.page
        );
        let unique: BTreeSet<_> = slots.iter().copied().collect();
        prop_assert_eq!(unique.len(), slots.len(), "no duplicate starts");
        prop_assert!(slots.windows(2).all(|w| w[0] < w[1]), "ascending");
        let expected = oracle(&case, tz, &booked);
        prop_assert_eq!(&unique, &expected, "round {}", round);
        let Some(pick) = case.picks.get(round) else {
            break;
        };
        if slots.is_empty() {
            break;
        }
        let start = slots[pick % slots.len()];
        let patient = clinic
            .register_patient(
                &system,
                NewPatient {
                    details: common::details("Prop", "Erty", (1950, 1, 1)),
                    mrn_facility: None,
                },
            )
            .await
            .unwrap();
        let a = clinic
            .book_appointment(
                &system,
                BookAppointment {
                    patient: patient.id,
                    practitioner: p.id,
                    room: None,
                    visit_type: v.id,
                    start,
                    status: None,
                    note: None,
                },
            )
            .await;
        prop_assert!(a.is_ok(), "a returned slot is bookable: {:?}", a.err());
        booked.extend(a.ok());
        let mut spans: Vec<_> = booked
            .iter()
            .map(|a| (a.blocked_from, a.blocked_until))
            .collect();
        spans.sort();
        prop_assert!(
            spans.windows(2).all(|w| w[0].1 <= w[1].0),
            "no two bookings of the practitioner overlap"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]
    #[test]
    fn free_slots_are_exactly_the_bookable_starts(case in case()) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(check(case))?;
    }
}
