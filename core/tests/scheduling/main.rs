//! Scheduling rules as specifications: availability in the practitioner's
//! zone across clock changes, free slots, the appointment life cycle,
//! series, reminders and who may do what.

mod appointments;
mod clock_changes;
#[path = "../common/mod.rs"]
mod common;
mod day_limits;
mod free_slots;
mod who_and_setup;

use carebase::Count32;
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
            duration_minutes: Count32::new(minutes),
            buffer_before_minutes: Count32::new(0),
            buffer_after_minutes: Count32::new(0),
            min_notice_minutes: Count32::new(0),
            horizon_days: Count32::new(3650),
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
                    limit: Some(Count32::new(500)),
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
        slot_minutes: Count32::new(slot_minutes),
        ..Availability::default()
    }
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
