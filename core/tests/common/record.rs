//! Builders for the health record specifications: a world with one
//! patient whose care team holds the world's doctor, and entry bodies.

use std::str::FromStr;

use carebase::patient::Patient;
use carebase::record::{
    ClinicalEntry, Coding, Encounter, EncounterClass, EncounterStatus, EntryBody, NewEntry,
    Observation, ObservationCategory, ObservationStatus, ObservationValue,
};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use super::world::World;

pub const LOINC: &str = "http://loinc.org";
/// Body weight.
pub const BODY_WEIGHT: &str = "29463-7";

/// A world, a patient, and the world's doctor on the patient's care team.
pub struct RecordWorld {
    pub world: World,
    pub patient: Patient,
}

impl RecordWorld {
    pub async fn new() -> RecordWorld {
        let world = World::new().await;
        let patient = world.patient("Chart", "Ada").await;
        world
            .clinic
            .assign_care_team(&world.admin, patient.id, world.practitioner.id)
            .await
            .unwrap();
        RecordWorld { world, patient }
    }

    /// The clinic's now.
    pub fn now(&self) -> DateTime<Utc> {
        carebase::Clock::now(&*self.world.clock)
    }

    /// Records `entry` as the doctor.
    pub async fn record(&self, entry: NewEntry) -> ClinicalEntry {
        self.world
            .clinic
            .record_entry(&self.world.doctor, self.patient.id, &entry)
            .await
            .unwrap()
    }

    /// A new entry effective an hour ago.
    pub fn new_entry(&self, body: EntryBody) -> NewEntry {
        NewEntry {
            effective_at: self.now() - Duration::hours(1),
            encounter: None,
            body,
        }
    }
}

pub fn loinc(code: &str) -> Coding {
    Coding {
        system: LOINC.into(),
        code: code.into(),
        display: None,
    }
}

/// A final vital-sign observation of `code` with `value` `unit`.
pub fn vital(code: &str, value: &str, unit: &str) -> EntryBody {
    EntryBody::Observation(Observation {
        code: loinc(code),
        category: ObservationCategory::VitalSigns,
        status: ObservationStatus::Final,
        value: Some(ObservationValue::Quantity {
            value: Decimal::from_str(value).unwrap(),
            unit: unit.into(),
        }),
        components: vec![],
        reference_ranges: vec![],
        interpretation: None,
    })
}

/// An ambulatory encounter in `status`.
pub fn encounter(status: EncounterStatus) -> EntryBody {
    EntryBody::Encounter(Encounter {
        class: EncounterClass::Ambulatory,
        status,
        practitioners: vec![],
        started_at: None,
        ended_at: None,
        reasons: vec![],
        location: None,
        appointment: None,
    })
}

pub const SNOMED: &str = "http://snomed.info/sct";

/// An active, confirmed condition coded in SNOMED CT (type 2 diabetes).
pub fn condition() -> EntryBody {
    EntryBody::Condition(carebase::record::Condition {
        code: Coding {
            system: SNOMED.into(),
            code: "44054006".into(),
            display: None,
        },
        clinical_status: carebase::record::ConditionStatus::Active,
        verification_status: carebase::record::VerificationStatus::Confirmed,
        onset_at: None,
        abated_at: None,
    })
}

/// A clinical note by `author`.
pub fn note(author: carebase::PractitionerId, text: &str) -> EntryBody {
    EntryBody::Note(carebase::record::ClinicalNote {
        author,
        title: Some("Visit".into()),
        text: text.into(),
    })
}
