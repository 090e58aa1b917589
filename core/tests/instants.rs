//! Instants as specifications: what carebase stores, every host can
//! represent (years 1 to 9999, no leap second). Instants from the host and
//! instants core derives from them (ends, buffers, expiries, occurrences,
//! horizons) outside that range are `out_of_range` before anything is
//! written, never a success the host then fails to read, never a panic at
//! chrono's own limits (issue 10, defect 7).

mod common;

use carebase::Count32;
use std::collections::BTreeMap;
use std::sync::Arc;

use carebase::clinic::{BookSeries, NewPatient};
use carebase::schedule::fhir::{appointment_from_fhir, FhirAppointmentImport, FhirRefs};
use carebase::schedule::{
    AppointmentQuery, Availability, BookAppointment, DateException, NewPractitioner, NewVisitType,
    Practitioner, Recurrence, RescheduleAppointment, SlotQuery, TimeOff, VisitType, Weekday,
    WeeklyHours,
};
use carebase::{Actor, ActorId, Clinic, Error, ManualClock, PatientId, PractitionerId, Role};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde_json::{json, Value};

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).single().unwrap()
}

/// 9999-12-31 (a Friday), 23:00 UTC: an hour before the last year ends.
fn last_hour() -> DateTime<Utc> {
    utc(9999, 12, 31, 23, 0)
}

fn field_codes(err: &Error) -> Vec<(String, String)> {
    match err {
        Error::Validation { fields } => fields
            .iter()
            .map(|f| (f.field.clone(), f.code.clone()))
            .collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn pair(field: &str, code: &str) -> Vec<(String, String)> {
    vec![(field.to_owned(), code.to_owned())]
}

/// Every day 00:00–23:59 in UTC, 30-minute grid.
fn all_day() -> Availability {
    Availability {
        weekly: Weekday::ALL
            .into_iter()
            .map(|weekday| WeeklyHours {
                weekday,
                start: NaiveTime::MIN,
                end: NaiveTime::from_hms_opt(23, 59, 0).unwrap(),
                valid_from: None,
                valid_until: None,
            })
            .collect(),
        slot_minutes: Count32::new(30),
        ..Availability::default()
    }
}

struct World {
    clinic: Clinic,
    clock: Arc<ManualClock>,
    system: Actor,
    patient: PatientId,
    doctor: Practitioner,
    /// 30 minutes, no buffers.
    visit: VisitType,
    /// 30 minutes and an hour after.
    buffered: VisitType,
}

async fn world(now: DateTime<Utc>) -> World {
    let (clinic, _, clock) = common::clinic();
    clock.set(now);
    let system = Actor::system();
    let patient = clinic
        .register_patient(
            &common::actor(Role::FrontDesk),
            NewPatient {
                details: common::details("Time", "Tess", (1970, 1, 1)),
                mrn_facility: None,
            },
        )
        .await
        .unwrap()
        .id;
    let doctor = clinic
        .add_practitioner(
            &system,
            NewPractitioner {
                id: None,
                name: "Dr Time".into(),
                time_zone: "UTC".into(),
                availability: all_day(),
            },
        )
        .await
        .unwrap();
    let visit_type = |code: &str, after: u32| NewVisitType {
        code: code.into(),
        name: code.into(),
        duration_minutes: Count32::new(30),
        buffer_before_minutes: Count32::new(0),
        buffer_after_minutes: Count32::new(after),
        min_notice_minutes: Count32::new(0),
        horizon_days: Count32::new(365),
        max_per_day: None,
        reminder_offsets_minutes: vec![Count32::new(60)],
    };
    let visit = clinic
        .add_visit_type(&system, visit_type("consult", 0))
        .await
        .unwrap();
    let buffered = clinic
        .add_visit_type(&system, visit_type("long", 60))
        .await
        .unwrap();
    World {
        clinic,
        clock,
        system,
        patient,
        doctor,
        visit,
        buffered,
    }
}

impl World {
    fn booking(&self, visit: &VisitType, start: DateTime<Utc>) -> BookAppointment {
        BookAppointment {
            patient: self.patient,
            practitioner: self.doctor.id,
            room: None,
            visit_type: visit.id,
            start,
            status: None,
            note: None,
        }
    }

    fn fhir(&self, start: &str, end: &str) -> FhirAppointmentImport {
        FhirAppointmentImport {
            resource: json!({
                "resourceType": "Appointment",
                "status": "booked",
                "start": start,
                "end": end,
                "participant": [
                    {"actor": {"reference": format!("Patient/{}", self.patient)}},
                    {"actor": {"reference": format!("Practitioner/{}", self.doctor.id)}},
                ],
            }),
            visit_type: Some(self.visit.id),
            references: BTreeMap::new(),
            // A migration keeps the FHIR times, so only the instant rule
            // stands between a bad time and the store.
            migration: true,
        }
    }

    async fn appointments_of_the_patient(&self) -> usize {
        self.clinic
            .list_appointments(
                &self.system,
                AppointmentQuery {
                    patient: Some(self.patient),
                    practitioner: None,
                    from: utc(1, 1, 1, 0, 0),
                    to: utc(9999, 12, 31, 23, 59),
                    include_inactive: true,
                    limit: None,
                },
            )
            .await
            .unwrap()
            .len()
    }
}

fn fhir_resource(start: &str) -> Value {
    json!({
        "resourceType": "Appointment",
        "status": "booked",
        "start": start,
        "end": "2030-01-07T10:30:00Z",
        "participant": [
            {"actor": {"reference": format!("Patient/{}", PatientId::new())}},
            {"actor": {"reference": format!("Practitioner/{}", PractitionerId::new())}},
        ],
    })
}

// ------------------------------------------------------ from the host ---

#[test]
fn a_fhir_start_in_a_leap_second_is_out_of_range() {
    let err = appointment_from_fhir(&fhir_resource("2030-01-07T09:59:60Z"), &FhirRefs::new())
        .unwrap_err();
    assert_eq!(field_codes(&err), pair("start", "out_of_range"));
}

#[test]
fn a_fhir_start_in_year_0000_or_after_9999_is_out_of_range() {
    for start in ["0000-01-07T09:00:00Z", "9999-12-31T23:59:59-01:00"] {
        let err = appointment_from_fhir(&fhir_resource(start), &FhirRefs::new()).unwrap_err();
        assert_eq!(field_codes(&err), pair("start", "out_of_range"), "{start}");
    }
}

#[tokio::test]
async fn an_unrepresentable_fhir_import_writes_nothing_and_the_list_still_reads() {
    let w = world(utc(2030, 1, 1, 0, 0)).await;
    let both = [
        ("start".to_owned(), "out_of_range".to_owned()),
        ("end".to_owned(), "out_of_range".to_owned()),
    ];
    for (start, end, expected) in [
        ("2030-01-07T09:59:60Z", "2030-01-07T10:30:00Z", &both[..1]),
        ("0000-01-07T09:00:00Z", "0000-01-07T09:30:00Z", &both[..]),
    ] {
        let err = w
            .clinic
            .import_appointment_fhir(&w.system, w.fhir(start, end))
            .await
            .unwrap_err();
        assert_eq!(field_codes(&err), expected, "{start}");
    }
    assert_eq!(w.appointments_of_the_patient().await, 0);
}

#[tokio::test]
async fn a_fhir_import_whose_buffer_runs_past_9999_is_out_of_range() {
    let w = world(utc(9999, 12, 31, 0, 0)).await;
    let mut import = w.fhir("9999-12-31T23:00:00Z", "9999-12-31T23:30:00Z");
    import.visit_type = Some(w.buffered.id);
    let err = w
        .clinic
        .import_appointment_fhir(&w.system, import)
        .await
        .unwrap_err();
    assert_eq!(field_codes(&err), pair("end", "out_of_range"));
    assert_eq!(w.appointments_of_the_patient().await, 0);
}

#[tokio::test]
async fn a_booking_at_chronos_last_instant_is_out_of_range_not_a_panic() {
    let w = world(utc(2030, 1, 1, 0, 0)).await;
    for start in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC] {
        let err = w
            .clinic
            .book_appointment(&w.system, w.booking(&w.visit, start))
            .await
            .unwrap_err();
        assert_eq!(field_codes(&err), pair("start", "out_of_range"));
    }
    let booked = w
        .clinic
        .book_appointment(&w.system, w.booking(&w.visit, utc(2030, 1, 7, 9, 0)))
        .await
        .unwrap();
    let err = w
        .clinic
        .reschedule_appointment(
            &w.system,
            booked.id,
            booked.version,
            RescheduleAppointment {
                start: DateTime::<Utc>::MAX_UTC,
                practitioner: None,
                room: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(field_codes(&err), pair("start", "out_of_range"));
}

#[tokio::test]
async fn a_slot_search_at_chronos_last_instant_is_out_of_range_not_a_panic() {
    let w = world(utc(2030, 1, 1, 0, 0)).await;
    let to = DateTime::<Utc>::MAX_UTC;
    let err = w
        .clinic
        .find_free_slots(
            &w.system,
            SlotQuery {
                visit_type: w.visit.id,
                practitioners: vec![w.doctor.id],
                room: None,
                from: to - Duration::days(1),
                to,
                limit: None,
                cursor: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        field_codes(&err),
        vec![
            ("from".to_owned(), "out_of_range".to_owned()),
            ("to".to_owned(), "out_of_range".to_owned()),
        ]
    );
}

#[tokio::test]
async fn time_off_and_dates_outside_years_one_to_9999_are_refused() {
    let w = world(utc(2030, 1, 1, 0, 0)).await;
    let mut availability = all_day();
    availability.time_off.push(TimeOff {
        start: utc(0, 12, 24, 0, 0),
        end: utc(2030, 1, 1, 0, 0),
        reason: None,
    });
    availability.exceptions.push(DateException {
        date: NaiveDate::from_ymd_opt(10000, 1, 1).unwrap(),
        extra_hours: None,
    });
    availability.weekly[0].valid_until = NaiveDate::from_ymd_opt(0, 1, 1);
    let err = w
        .clinic
        .set_availability(&w.system, w.doctor.id, w.doctor.version, availability)
        .await
        .unwrap_err();
    let mut found = field_codes(&err);
    found.sort();
    assert_eq!(
        found,
        vec![
            ("exceptions[0].date".to_owned(), "out_of_range".to_owned()),
            ("time_off[0].start".to_owned(), "out_of_range".to_owned()),
            (
                "weekly[0].valid_until".to_owned(),
                "out_of_range".to_owned()
            ),
        ]
    );
}

// --------------------------------------------------- derived by core ---

#[tokio::test]
async fn break_the_glass_expiring_after_9999_is_out_of_range() {
    let w = world(last_hour()).await;
    let doctor = Actor::practitioner(ActorId::new(), PractitionerId::new());
    let err = w
        .clinic
        .request_emergency_access(&doctor, w.patient, "cardiac arrest", None)
        .await
        .unwrap_err();
    assert_eq!(field_codes(&err), pair("duration", "out_of_range"));
    // Inside the last hour a shorter grant still fits.
    let grant = w
        .clinic
        .request_emergency_access(
            &doctor,
            w.patient,
            "cardiac arrest",
            Some(Duration::minutes(30)),
        )
        .await
        .unwrap();
    assert_eq!(grant.expires_at, utc(9999, 12, 31, 23, 30));
}

#[tokio::test]
async fn a_series_running_past_9999_is_out_of_range_naming_the_occurrence() {
    let w = world(last_hour()).await;
    let err = w
        .clinic
        .book_series(
            &w.system,
            BookSeries {
                first: w.booking(&w.visit, last_hour()),
                recurrence: Recurrence {
                    every_weeks: Count32::new(1),
                    until: None,
                    count: Some(Count32::new(3)),
                },
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        field_codes(&err),
        pair("occurrences[1].start", "out_of_range")
    );
    assert_eq!(w.appointments_of_the_patient().await, 0);
}

#[tokio::test]
async fn a_booking_whose_buffer_runs_past_9999_is_out_of_range() {
    let w = world(last_hour() - Duration::hours(2)).await;
    let err = w
        .clinic
        .book_appointment(&w.system, w.booking(&w.buffered, last_hour()))
        .await
        .unwrap_err();
    assert_eq!(field_codes(&err), pair("start", "out_of_range"));
    // Without the buffer the same visit ends within the year and is booked,
    // its reminder an hour before.
    let booked = w
        .clinic
        .book_appointment(&w.system, w.booking(&w.visit, last_hour()))
        .await
        .unwrap();
    assert_eq!(booked.end, utc(9999, 12, 31, 23, 30));
    assert_eq!(booked.reminders[0].due_at, utc(9999, 12, 31, 22, 0));
}

#[tokio::test]
async fn free_slots_never_offer_a_visit_that_ends_after_9999() {
    let w = world(last_hour() - Duration::hours(2)).await;
    let page = w
        .clinic
        .find_free_slots(
            &w.system,
            SlotQuery {
                visit_type: w.buffered.id,
                practitioners: vec![w.doctor.id],
                room: None,
                from: last_hour() - Duration::hours(1),
                to: utc(9999, 12, 31, 23, 59),
                limit: None,
                cursor: None,
            },
        )
        .await
        .unwrap();
    let starts: Vec<_> = page.slots.iter().map(|s| s.start).collect();
    // 22:00 blocks until 23:30; 22:30 and 23:00 would block into year 10000.
    assert_eq!(starts, vec![last_hour() - Duration::hours(1)]);
}

#[tokio::test]
async fn the_exported_planning_horizon_ends_at_the_last_representable_instant() {
    let w = world(last_hour()).await;
    let schedule = w
        .clinic
        .export_schedule_fhir(&w.system, w.doctor.id)
        .await
        .unwrap();
    assert_eq!(
        schedule["planningHorizon"]["end"],
        json!("9999-12-31T23:59:59.999999Z")
    );
    w.clock.set(utc(2030, 1, 1, 0, 0));
    let schedule = w
        .clinic
        .export_schedule_fhir(&w.system, w.doctor.id)
        .await
        .unwrap();
    assert_eq!(
        schedule["planningHorizon"]["end"],
        json!("2031-01-01T00:00:00Z")
    );
}
