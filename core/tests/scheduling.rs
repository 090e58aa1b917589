//! Scheduling rules as specifications: availability in the practitioner's
//! zone across clock changes, free slots, the appointment life cycle,
//! series, reminders and who may do what.

mod common;

use std::sync::Arc;

use carebase::clinic::{BookSeries, NewPatient};
use carebase::schedule::{
    AppointmentQuery, AppointmentStatus, Availability, BookAppointment, CancelAppointment,
    CancellationReason, DateException, NewPractitioner, NewResource, NewVisitType, Practitioner,
    Recurrence, RescheduleAppointment, ResourceKind, SlotQuery, TimeOff, TimeWindow, VisitType,
    Weekday, WeeklyHours,
};
use carebase::{Actor, ActorId, Clinic, Error, ManualClock, MemoryStore, PatientId, Role};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use common::{actor, details};

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).single().unwrap()
}

fn every_day(start: NaiveTime, end: NaiveTime) -> Vec<WeeklyHours> {
    Weekday::ALL
        .into_iter()
        .map(|weekday| WeeklyHours {
            weekday,
            start,
            end,
            valid_from: None,
            valid_until: None,
        })
        .collect()
}

struct Fixture {
    clinic: Clinic,
    clock: Arc<ManualClock>,
    system: Actor,
    desk: Actor,
}

fn fixture(now: DateTime<Utc>) -> Fixture {
    let clock = Arc::new(ManualClock::new(now));
    let clinic = Clinic::new(Arc::new(MemoryStore::new()))
        .with_settings(common::settings())
        .expect("the test settings are valid")
        .with_clock(clock.clone());
    Fixture {
        clinic,
        clock,
        system: Actor::system(),
        desk: actor(Role::FrontDesk),
    }
}

impl Fixture {
    async fn practitioner(&self, tz: &str, availability: Availability) -> Practitioner {
        self.clinic
            .add_practitioner(
                &self.system,
                NewPractitioner {
                    id: None,
                    name: "Dr Who".into(),
                    time_zone: tz.into(),
                    availability,
                },
            )
            .await
            .unwrap()
    }

    async fn visit(&self, minutes: u32, f: impl FnOnce(&mut NewVisitType)) -> VisitType {
        let mut new = NewVisitType {
            code: "consult".into(),
            name: "Consultation".into(),
            duration_minutes: minutes,
            buffer_before_minutes: 0,
            buffer_after_minutes: 0,
            min_notice_minutes: 0,
            horizon_days: 3650,
            max_per_day: None,
            reminder_offsets_minutes: vec![],
        };
        f(&mut new);
        self.clinic.add_visit_type(&self.system, new).await.unwrap()
    }

    async fn patient(&self) -> PatientId {
        self.clinic
            .register_patient(
                &self.desk,
                NewPatient {
                    details: details("Sched", "Pat", (1980, 5, 5)),
                    mrn_facility: None,
                },
            )
            .await
            .unwrap()
            .id
    }

    async fn slots(
        &self,
        visit: &VisitType,
        practitioners: &[&Practitioner],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<DateTime<Utc>> {
        self.clinic
            .find_free_slots(
                &self.desk,
                SlotQuery {
                    visit_type: visit.id,
                    practitioners: practitioners.iter().map(|p| p.id).collect(),
                    room: None,
                    from,
                    to,
                    limit: Some(500),
                    cursor: None,
                },
            )
            .await
            .unwrap()
            .slots
            .into_iter()
            .map(|s| s.start)
            .collect()
    }

    fn booking(
        &self,
        patient: PatientId,
        p: &Practitioner,
        v: &VisitType,
        start: DateTime<Utc>,
    ) -> BookAppointment {
        BookAppointment {
            patient,
            practitioner: p.id,
            room: None,
            visit_type: v.id,
            start,
            status: None,
            note: Some("private note".into()),
        }
    }
}

fn hours(weekly: Vec<WeeklyHours>, slot_minutes: u32) -> Availability {
    Availability {
        weekly,
        slot_minutes,
        ..Availability::default()
    }
}

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
            v.buffer_before_minutes = 15;
            v.buffer_after_minutes = 15;
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
            v.min_notice_minutes = 60;
            v.horizon_days = 1;
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

fn assert_field(err: &Error, field: &str, code: &str) {
    match err {
        Error::Validation { fields } => assert!(
            fields.iter().any(|f| f.field == field && f.code == code),
            "{fields:?}"
        ),
        other => panic!("expected validation on {field}, got {other:?}"),
    }
}

#[tokio::test]
async fn per_day_limits_close_the_day() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let mut a = hours(every_day(t(9, 0), t(12, 0)), 60);
    a.max_per_day = Some(2);
    let p = f.practitioner("UTC", a).await;
    let v = f.visit(60, |v| v.max_per_day = Some(1)).await;
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
    a.max_per_day = Some(1);
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
    a.max_per_day = Some(1);
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
                    limit: Some(7),
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
                limit: Some(7),
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
    assert_eq!(err, Error::double_booking("room", booked.id));
}

#[tokio::test]
async fn booking_outside_hours_names_the_rule() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let p = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 30))
        .await;
    let v = f.visit(30, |_| {}).await;
    let patient = f.patient().await;
    for start in [
        utc(2030, 1, 7, 8, 30),
        utc(2030, 1, 7, 9, 10),
        utc(2030, 1, 7, 10, 45),
    ] {
        let err = f
            .clinic
            .book_appointment(&f.desk, f.booking(patient, &p, &v, start))
            .await
            .unwrap_err();
        assert_field(&err, "start", "outside_hours");
    }
}

#[tokio::test]
async fn a_patient_cannot_be_in_two_places() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let a = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 30))
        .await;
    let b = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 30))
        .await;
    let v = f.visit(30, |_| {}).await;
    let patient = f.patient().await;
    let first = f
        .clinic
        .book_appointment(&f.desk, f.booking(patient, &a, &v, utc(2030, 1, 7, 9, 0)))
        .await
        .unwrap();
    let err = f
        .clinic
        .book_appointment(&f.desk, f.booking(patient, &b, &v, utc(2030, 1, 7, 9, 0)))
        .await
        .unwrap_err();
    assert_eq!(err, Error::double_booking("patient", first.id));
    assert_eq!(err.code(), "double_booking");
    assert!(!err.to_string().contains("Sched"));
}

#[tokio::test]
async fn the_life_cycle_allows_only_its_transitions() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let p = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 30))
        .await;
    let v = f.visit(30, |_| {}).await;
    let patient = f.patient().await;
    let mut proposal = f.booking(patient, &p, &v, utc(2030, 1, 7, 9, 0));
    proposal.status = Some(AppointmentStatus::Proposed);
    let a = f.clinic.book_appointment(&f.desk, proposal).await.unwrap();
    assert_eq!(a.status, AppointmentStatus::Proposed);
    let err = f
        .clinic
        .change_appointment_status(&f.desk, a.id, 1, AppointmentStatus::Fulfilled)
        .await
        .unwrap_err();
    match &err {
        Error::Validation { fields } => {
            assert_eq!(fields[0].field, "status");
            assert_eq!(fields[0].code, "invalid_transition");
            assert!(
                fields[0].message.contains("proposed to fulfilled"),
                "{}",
                fields[0].message
            );
        }
        other => panic!("{other:?}"),
    }
    let mut version = 1;
    for next in [
        AppointmentStatus::Booked,
        AppointmentStatus::Arrived,
        AppointmentStatus::Fulfilled,
    ] {
        let moved = f
            .clinic
            .change_appointment_status(&f.desk, a.id, version, next)
            .await
            .unwrap();
        assert_eq!(moved.status, next);
        version = moved.version;
    }
    let err = f
        .clinic
        .cancel_appointment(
            &f.desk,
            a.id,
            version,
            CancelAppointment {
                reason: CancellationReason::Pat,
                note: None,
            },
        )
        .await
        .unwrap_err();
    assert_field(&err, "status", "invalid_transition");
    let stale = f
        .clinic
        .change_appointment_status(&f.desk, a.id, 1, AppointmentStatus::Noshow)
        .await
        .unwrap_err();
    assert_eq!(stale.code(), "conflict");
}

#[tokio::test]
async fn a_cancellation_inside_the_window_is_late_and_frees_the_slot() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let p = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 30))
        .await;
    let v = f.visit(30, |_| {}).await;
    let (pa, pb) = (f.patient().await, f.patient().await);
    let early = f
        .clinic
        .book_appointment(&f.desk, f.booking(pa, &p, &v, utc(2030, 1, 7, 9, 0)))
        .await
        .unwrap();
    let late = f
        .clinic
        .book_appointment(&f.desk, f.booking(pb, &p, &v, utc(2030, 1, 7, 10, 0)))
        .await
        .unwrap();
    let cancel = || CancelAppointment {
        reason: CancellationReason::Pat,
        note: Some("called in".into()),
    };
    let not_late = f
        .clinic
        .cancel_appointment(&f.desk, early.id, 1, cancel())
        .await
        .unwrap();
    assert!(!not_late.cancellation.as_ref().unwrap().late);
    f.clock.advance(Duration::days(6) + Duration::hours(9));
    let flagged = f
        .clinic
        .cancel_appointment(&f.desk, late.id, 1, cancel())
        .await
        .unwrap();
    let c = flagged.cancellation.unwrap();
    assert!(c.late);
    assert_eq!(c.reason, CancellationReason::Pat);
    assert_eq!(flagged.status, AppointmentStatus::Cancelled);
    let again = f
        .clinic
        .book_appointment(&f.desk, f.booking(pa, &p, &v, utc(2030, 1, 7, 10, 0)))
        .await
        .unwrap();
    assert_eq!(again.start, utc(2030, 1, 7, 10, 0));
    let free_text = serde_json::json!({"reason": "Not A Code!"});
    assert!(serde_json::from_value::<CancelAppointment>(free_text).is_err());
}

#[tokio::test]
async fn rescheduling_keeps_the_history_and_the_old_time_frees_up() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let p = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 30))
        .await;
    let v = f.visit(30, |v| v.reminder_offsets_minutes = vec![60]).await;
    let patient = f.patient().await;
    let a = f
        .clinic
        .book_appointment(&f.desk, f.booking(patient, &p, &v, utc(2030, 1, 7, 9, 0)))
        .await
        .unwrap();
    // Moving onto its own current span is allowed (it does not block itself).
    let moved = f
        .clinic
        .reschedule_appointment(
            &f.desk,
            a.id,
            1,
            RescheduleAppointment {
                start: utc(2030, 1, 7, 9, 30),
                practitioner: None,
                room: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(moved.version, 2);
    assert_eq!(moved.reschedules.len(), 1);
    assert_eq!(moved.reschedules[0].from_start, utc(2030, 1, 7, 9, 0));
    assert_eq!(moved.reminders[0].due_at, utc(2030, 1, 7, 8, 30));
    let slots = f
        .slots(&v, &[&p], utc(2030, 1, 7, 0, 0), utc(2030, 1, 7, 12, 0))
        .await;
    assert_eq!(
        slots,
        vec![
            utc(2030, 1, 7, 9, 0),
            utc(2030, 1, 7, 10, 0),
            utc(2030, 1, 7, 10, 30)
        ]
    );
    let err = f
        .clinic
        .reschedule_appointment(
            &f.desk,
            a.id,
            2,
            RescheduleAppointment {
                start: utc(2030, 1, 7, 12, 0),
                practitioner: None,
                room: None,
            },
        )
        .await
        .unwrap_err();
    assert_field(&err, "start", "outside_hours");
}

#[tokio::test]
async fn a_series_keeps_local_time_and_is_booked_whole_or_not_at_all() {
    let f = fixture(utc(2030, 3, 1, 0, 0));
    let mut weekly = every_day(t(9, 0), t(10, 0));
    weekly.truncate(1); // Mondays
    let p = f.practitioner("Europe/Berlin", hours(weekly, 30)).await;
    let v = f.visit(30, |_| {}).await;
    let (pa, pb) = (f.patient().await, f.patient().await);
    // Mondays 09:00 Berlin, across the change on 31 March.
    let series = f
        .clinic
        .book_series(
            &f.desk,
            BookSeries {
                first: f.booking(pa, &p, &v, utc(2030, 3, 25, 8, 0)),
                recurrence: Recurrence {
                    every_weeks: 1,
                    until: None,
                    count: Some(3),
                },
            },
        )
        .await
        .unwrap();
    assert_eq!(
        series.iter().map(|a| a.start).collect::<Vec<_>>(),
        vec![
            utc(2030, 3, 25, 8, 0),
            utc(2030, 4, 1, 7, 0),
            utc(2030, 4, 8, 7, 0)
        ]
    );
    let sid = series[0].series;
    assert!(sid.is_some() && series.iter().all(|a| a.series == sid));

    // A fortnightly series that hits the booked 25 March and 8 April.
    let err = f
        .clinic
        .book_series(
            &f.desk,
            BookSeries {
                first: f.booking(pb, &p, &v, utc(2030, 3, 11, 8, 0)),
                recurrence: Recurrence {
                    every_weeks: 2,
                    until: NaiveDate::from_ymd_opt(2030, 4, 30),
                    count: None,
                },
            },
        )
        .await
        .unwrap_err();
    match &err {
        Error::Validation { fields } => {
            let named: Vec<_> = fields
                .iter()
                .map(|f| (f.field.as_str(), f.code.as_str()))
                .collect();
            assert_eq!(
                named,
                vec![
                    ("occurrences[1].start", "taken"),
                    ("occurrences[2].start", "taken")
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    let listed = f
        .clinic
        .list_appointments(
            &f.desk,
            AppointmentQuery {
                patient: Some(pb),
                practitioner: None,
                from: utc(2030, 1, 1, 0, 0),
                to: utc(2031, 1, 1, 0, 0),
                include_inactive: true,
                limit: None,
            },
        )
        .await
        .unwrap();
    assert!(
        listed.is_empty(),
        "nothing of the failed series was written"
    );
    let bad = f
        .clinic
        .book_series(
            &f.desk,
            BookSeries {
                first: f.booking(pb, &p, &v, utc(2030, 3, 11, 8, 0)),
                recurrence: Recurrence {
                    every_weeks: 0,
                    until: None,
                    count: None,
                },
            },
        )
        .await
        .unwrap_err();
    assert_field(&bad, "recurrence.every_weeks", "out_of_range");
    assert_field(&bad, "recurrence", "required");
}

#[tokio::test]
async fn reminders_come_due_and_go_out_once() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let p = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 30))
        .await;
    let v = f
        .visit(30, |v| v.reminder_offsets_minutes = vec![2880, 120])
        .await;
    let patient = f.patient().await;
    let a = f
        .clinic
        .book_appointment(&f.desk, f.booking(patient, &p, &v, utc(2030, 1, 7, 9, 0)))
        .await
        .unwrap();
    let due = f
        .clinic
        .due_reminders(&f.system, utc(2030, 1, 5, 0, 0), utc(2030, 1, 6, 0, 0), 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].due_at, utc(2030, 1, 5, 9, 0));
    assert_eq!((due[0].appointment, due[0].patient), (a.id, patient));
    f.clinic
        .mark_reminder_sent(&f.system, a.id, 2880)
        .await
        .unwrap();
    let again = f
        .clinic
        .mark_reminder_sent(&f.system, a.id, 2880)
        .await
        .unwrap_err();
    assert_eq!(again.code(), "conflict");
    let due = f
        .clinic
        .due_reminders(&f.system, utc(2030, 1, 1, 0, 0), utc(2030, 1, 8, 0, 0), 10)
        .await
        .unwrap();
    assert_eq!(
        due.iter().map(|r| r.offset_minutes).collect::<Vec<_>>(),
        vec![120]
    );
    let denied = f
        .clinic
        .due_reminders(&f.desk, utc(2030, 1, 1, 0, 0), utc(2030, 1, 8, 0, 0), 10)
        .await
        .unwrap_err();
    assert_eq!(denied.code(), "forbidden");
}

#[tokio::test]
async fn patients_book_their_own_and_practitioners_see_their_own_schedule() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let p = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 30))
        .await;
    let other_doc = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 30))
        .await;
    let v = f.visit(30, |_| {}).await;
    let (me, someone) = (f.patient().await, f.patient().await);
    let me_actor = Actor::patient(ActorId::new(), me);
    let mine = f
        .clinic
        .book_appointment(&me_actor, f.booking(me, &p, &v, utc(2030, 1, 7, 9, 0)))
        .await
        .unwrap();
    let err = f
        .clinic
        .book_appointment(
            &me_actor,
            f.booking(someone, &p, &v, utc(2030, 1, 7, 9, 30)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let theirs = f
        .clinic
        .book_appointment(&f.desk, f.booking(someone, &p, &v, utc(2030, 1, 7, 10, 0)))
        .await
        .unwrap();
    let err = f
        .clinic
        .cancel_appointment(
            &me_actor,
            theirs.id,
            1,
            CancelAppointment {
                reason: CancellationReason::Pat,
                note: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    f.clinic.get_appointment(&me_actor, mine.id).await.unwrap();

    let doc = Actor::practitioner(ActorId::new(), p.id);
    let schedule_of = |practitioner| AppointmentQuery {
        patient: None,
        practitioner: Some(practitioner),
        from: utc(2030, 1, 7, 0, 0),
        to: utc(2030, 1, 8, 0, 0),
        include_inactive: false,
        limit: None,
    };
    let own = f
        .clinic
        .list_appointments(&doc, schedule_of(p.id))
        .await
        .unwrap();
    assert_eq!(
        own.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![mine.id, theirs.id]
    );
    let err = f
        .clinic
        .list_appointments(&doc, schedule_of(other_doc.id))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let arrived = f
        .clinic
        .change_appointment_status(&doc, mine.id, 1, AppointmentStatus::Arrived)
        .await
        .unwrap();
    assert_eq!(arrived.status, AppointmentStatus::Arrived);
    let err = f
        .clinic
        .add_visit_type(
            &f.desk,
            NewVisitType {
                code: "x".into(),
                name: "X".into(),
                duration_minutes: 10,
                buffer_before_minutes: 0,
                buffer_after_minutes: 0,
                min_notice_minutes: 0,
                horizon_days: 10,
                max_per_day: None,
                reminder_offsets_minutes: vec![],
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");

    // Every read of the schedule was audited under each patient.
    let log = f
        .clinic
        .audit_log(
            &f.system,
            &carebase::audit::AuditQuery {
                patient: Some(someone),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let actions: Vec<_> = log.iter().map(|e| e.draft.action.as_str()).collect();
    assert!(actions.contains(&"calendar.read"), "{actions:?}");
    assert!(actions.contains(&"appointment.book"), "{actions:?}");
}

#[tokio::test]
async fn setup_input_is_validated_field_by_field() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let mut a = hours(every_day(t(11, 0), t(9, 0)), 0);
    a.weekly.truncate(1);
    let err = f
        .clinic
        .add_practitioner(
            &f.system,
            NewPractitioner {
                id: None,
                name: " ".into(),
                time_zone: "Mars/Olympus".into(),
                availability: a,
            },
        )
        .await
        .unwrap_err();
    assert_field(&err, "name", "required");
    assert_field(&err, "time_zone", "unknown_time_zone");
    assert_field(&err, "availability.slot_minutes", "out_of_range");
    assert_field(&err, "availability.weekly[0].end", "before_start");
    let err = f
        .clinic
        .add_visit_type(
            &f.system,
            NewVisitType {
                code: "Bad Code".into(),
                name: "x".into(),
                duration_minutes: 0,
                buffer_before_minutes: 0,
                buffer_after_minutes: 0,
                min_notice_minutes: 0,
                horizon_days: 0,
                max_per_day: None,
                reminder_offsets_minutes: vec![60, 60],
            },
        )
        .await
        .unwrap_err();
    assert_field(&err, "code", "invalid_format");
    assert_field(&err, "duration_minutes", "out_of_range");
    assert_field(&err, "horizon_days", "out_of_range");
    assert_field(&err, "reminder_offsets_minutes[1]", "duplicate");
}

#[tokio::test]
async fn debug_output_hides_notes() {
    let f = fixture(utc(2030, 1, 1, 0, 0));
    let p = f
        .practitioner("UTC", hours(every_day(t(9, 0), t(11, 0)), 30))
        .await;
    let v = f.visit(30, |_| {}).await;
    let patient = f.patient().await;
    let booking = f.booking(patient, &p, &v, utc(2030, 1, 7, 9, 0));
    assert!(!format!("{booking:?}").contains("private note"));
    let a = f.clinic.book_appointment(&f.desk, booking).await.unwrap();
    assert!(!format!("{a:?}").contains("private note"));
}
