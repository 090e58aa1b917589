//! Shared builders for the Clinic specification tests.
#![allow(dead_code)]

pub mod record;
pub mod world;

use carebase::Count32;
use std::sync::Arc;

use carebase::patient::{
    CheckDigit, ContactPoint, ContactSystem, Gender, HumanName, IdentifierSystem, MrnNamespace,
    PatientDetails,
};
use carebase::{Actor, ActorId, Clinic, ManualClock, MemoryStore, Role, Settings};
use chrono::{NaiveDate, TimeZone, Utc};

pub const MRN_SYSTEM: &str = "urn:carebase:mrn:north";

pub fn settings() -> Settings {
    Settings {
        identifier_systems: vec![IdentifierSystem {
            system: MRN_SYSTEM.into(),
            check_digit: Some(CheckDigit::Luhn),
        }],
        mrn_namespaces: vec![MrnNamespace {
            facility: "north".into(),
            system: MRN_SYSTEM.into(),
            prefix: String::new(),
            digits: Count32::new(7),
            check_digit: Some(CheckDigit::Luhn),
        }],
        ..Settings::default()
    }
}

/// A clinic over a MemoryStore with a hand-moved clock.
pub fn clinic() -> (Clinic, Arc<MemoryStore>, Arc<ManualClock>) {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0)
            .single()
            .unwrap_or_default(),
    ));
    let clinic = Clinic::new(store.clone())
        .with_settings(settings())
        .expect("the test settings are valid")
        .with_clock(clock.clone());
    (clinic, store, clock)
}

pub fn details(family: &str, given: &str, birth: (i32, u32, u32)) -> PatientDetails {
    PatientDetails {
        names: vec![HumanName {
            family: Some(family.into()),
            given: vec![given.into()],
            ..HumanName::default()
        }],
        gender: Some(Gender::Female),
        birth_date: NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2),
        telecom: vec![ContactPoint {
            system: ContactSystem::Phone,
            value: "+1 555 0100".into(),
            usage: None,
        }],
        ..PatientDetails::default()
    }
}

pub fn actor(role: Role) -> Actor {
    Actor::new(ActorId::new(), vec![role])
}
