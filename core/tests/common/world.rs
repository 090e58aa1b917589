//! A small clinic with a schedule, for the access, record-state and
//! booking-rule specifications: one practitioner open 09:00–12:00 UTC every
//! day on a 30-minute grid, one room, one 30-minute visit type bookable
//! from an hour ahead up to 60 days, and a clock on Monday 2030-01-07 08:00.

use carebase::Count32;
use std::collections::BTreeMap;
use std::sync::Arc;

use carebase::clinic::NewPatient;
use carebase::patient::{
    Address, ContactPoint, ContactSystem, EmergencyContact, Gender, HumanName, Identifier, Patient,
    PatientDetails,
};
use carebase::schedule::fhir::FhirAppointmentImport;
use carebase::schedule::{
    Availability, BookAppointment, NewPractitioner, NewResource, NewVisitType, Practitioner,
    Resource, ResourceKind, VisitType, Weekday, WeeklyHours,
};
use carebase::{Actor, ActorId, Clinic, ManualClock, MemoryStore, PatientId, Role};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use serde_json::{json, Value};

use super::{actor, settings, MRN_SYSTEM};

/// 2030-01-07 (a Monday) at `h:m` UTC.
pub fn monday(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 7, h, m, 0)
        .single()
        .unwrap_or_default()
}

pub struct World {
    pub clinic: Clinic,
    pub store: Arc<MemoryStore>,
    pub clock: Arc<ManualClock>,
    pub system: Actor,
    pub desk: Actor,
    pub admin: Actor,
    pub practitioner: Practitioner,
    /// The practitioner's own login.
    pub doctor: Actor,
    pub room: Resource,
    pub visit: VisitType,
}

impl World {
    pub async fn new() -> World {
        let store = Arc::new(MemoryStore::new());
        let clock = Arc::new(ManualClock::new(monday(8, 0)));
        let clinic = Clinic::new(store.clone())
            .with_settings(settings())
            .expect("the test settings are valid")
            .with_clock(clock.clone());
        let system = Actor::system();
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default();
        let availability = Availability {
            weekly: Weekday::ALL
                .into_iter()
                .map(|weekday| WeeklyHours {
                    weekday,
                    start: t(9),
                    end: t(12),
                    valid_from: None,
                    valid_until: None,
                })
                .collect(),
            slot_minutes: Count32::new(30),
            ..Availability::default()
        };
        let practitioner = clinic
            .add_practitioner(
                &system,
                NewPractitioner {
                    id: None,
                    name: "Dr Grid".into(),
                    time_zone: "UTC".into(),
                    availability,
                },
            )
            .await
            .unwrap();
        let room = clinic
            .add_resource(
                &system,
                NewResource {
                    kind: ResourceKind::Room,
                    name: "Room 1".into(),
                    time_zone: "UTC".into(),
                },
            )
            .await
            .unwrap();
        let visit = clinic
            .add_visit_type(
                &system,
                NewVisitType {
                    code: "consult".into(),
                    name: "Consultation".into(),
                    duration_minutes: Count32::new(30),
                    buffer_before_minutes: Count32::new(0),
                    buffer_after_minutes: Count32::new(0),
                    min_notice_minutes: Count32::new(60),
                    horizon_days: Count32::new(60),
                    max_per_day: None,
                    reminder_offsets_minutes: vec![],
                },
            )
            .await
            .unwrap();
        let doctor = Actor::practitioner(ActorId::new(), practitioner.id);
        World {
            clinic,
            store,
            clock,
            system,
            desk: actor(Role::FrontDesk),
            admin: actor(Role::Admin),
            practitioner,
            doctor,
            room,
            visit,
        }
    }

    /// Registers a patient with every maskable field filled in.
    pub async fn patient(&self, family: &str, given: &str) -> Patient {
        self.clinic
            .register_patient(
                &self.desk,
                NewPatient {
                    details: full_details(family, given),
                    mrn_facility: Some("north".into()),
                },
            )
            .await
            .unwrap()
    }

    /// A booking of the visit with the practitioner (and no room).
    pub fn booking(&self, patient: PatientId, start: DateTime<Utc>) -> BookAppointment {
        BookAppointment {
            patient,
            practitioner: self.practitioner.id,
            room: None,
            visit_type: self.visit.id,
            start,
            status: None,
            note: None,
        }
    }

    /// A FHIR import of a booked appointment `[start, end)` for `patient`
    /// with the practitioner, under the booking rules.
    pub fn fhir(
        &self,
        patient: PatientId,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> FhirAppointmentImport {
        let resource: Value = json!({
            "resourceType": "Appointment",
            "status": "booked",
            "start": start.to_rfc3339(),
            "end": end.to_rfc3339(),
            "participant": [
                {"actor": {"reference": format!("Patient/{patient}"), "display": "Pat Imported"},
                 "status": "accepted"},
                {"actor": {"reference": format!("Practitioner/{}", self.practitioner.id)},
                 "status": "accepted"}
            ]
        });
        FhirAppointmentImport {
            resource,
            visit_type: Some(self.visit.id),
            references: BTreeMap::new(),
            migration: false,
        }
    }
}

/// Details with every maskable field filled in (and a valid MRN added by
/// registration).
pub fn full_details(family: &str, given: &str) -> PatientDetails {
    let phone = |value: &str| ContactPoint {
        system: ContactSystem::Phone,
        value: value.into(),
        usage: None,
    };
    PatientDetails {
        identifiers: vec![Identifier {
            system: "urn:example:passport".into(),
            value: format!("P-{}", PatientId::new().0.simple()),
        }],
        names: vec![HumanName {
            family: Some(family.into()),
            given: vec![given.into()],
            ..HumanName::default()
        }],
        gender: Some(Gender::Female),
        birth_date: NaiveDate::from_ymd_opt(1980, 5, 5),
        telecom: vec![
            phone("+1 555 0100"),
            ContactPoint {
                system: ContactSystem::Email,
                value: format!("{given}@example.org").to_lowercase(),
                usage: None,
            },
        ],
        addresses: vec![Address {
            city: Some("Springfield".into()),
            lines: vec!["1 Main Street".into()],
            ..Address::default()
        }],
        language: Some("en".into()),
        emergency_contacts: vec![EmergencyContact {
            relationship: "spouse".into(),
            name: HumanName {
                family: Some(family.into()),
                given: vec!["Kin".into()],
                ..HumanName::default()
            },
            telecom: vec![phone("+1 555 0199")],
        }],
        deceased: false,
        deceased_at: None,
    }
}

/// The MRN system registration assigns.
pub const MRN: &str = MRN_SYSTEM;
