//! Settings are checked when a clinic gets them, and the clinic's phone
//! region makes every spelling of one phone number the same number.
//! (Issue 10, defect 11.)

mod common;

use carebase::Count32;
use std::sync::Arc;

use carebase::clinic::NewPatient;
use carebase::patient::{
    CheckDigit, ContactPoint, ContactSystem, IdentifierSystem, MrnNamespace, PatientQuery,
};
use carebase::{Clinic, Error, MemoryStore, Role, Settings};
use chrono::Duration;
use common::{actor, details, settings};

/// The `"field code"`s of what `settings` fail on.
fn failures(settings: Settings) -> Vec<String> {
    match Clinic::new(Arc::new(MemoryStore::new())).with_settings(settings) {
        Ok(_) => Vec::new(),
        Err(Error::Validation { fields }) => fields
            .into_iter()
            .map(|f| format!("{} {}", f.field, f.code))
            .collect(),
        Err(other) => panic!("expected validation, got {}", other.code()),
    }
}

fn namespace(facility: &str, digits: u32) -> MrnNamespace {
    MrnNamespace {
        digits: Count32::new(digits),
        facility: facility.into(),
        ..settings().mrn_namespaces[0].clone()
    }
}

#[test]
fn the_default_and_the_test_settings_are_valid() {
    assert_eq!(failures(Settings::default()), Vec::<String>::new());
    assert_eq!(failures(settings()), Vec::<String>::new());
}

#[test]
fn mrn_digits_of_zero_one_or_a_thousand_are_out_of_range() {
    for digits in [0, 1, 1000] {
        let s = Settings {
            mrn_namespaces: vec![namespace("north", digits)],
            ..settings()
        };
        assert_eq!(
            failures(s),
            ["settings.mrn_namespaces[0].digits out_of_range"],
            "{digits}"
        );
    }
}

#[test]
fn a_facility_code_is_a_short_machine_word_used_once() {
    let s = Settings {
        mrn_namespaces: vec![
            namespace("north wing", 7),
            namespace(&"n".repeat(33), 7),
            namespace("south", 7),
            namespace("south", 7),
        ],
        ..settings()
    };
    assert_eq!(
        failures(s),
        [
            "settings.mrn_namespaces[0].facility invalid_format",
            "settings.mrn_namespaces[1].facility invalid_format",
            "settings.mrn_namespaces[3].facility duplicate",
        ]
    );
}

#[test]
fn break_glass_durations_are_positive_a_week_at_most_and_the_default_within_the_max() {
    let s = Settings {
        break_glass_default: Duration::hours(2),
        break_glass_max: Duration::hours(-1),
        late_cancellation_window: Duration::minutes(-5),
        ..settings()
    };
    assert_eq!(
        failures(s),
        [
            "settings.break_glass_max out_of_range",
            "settings.break_glass_default out_of_range",
            "settings.late_cancellation_window out_of_range",
        ]
    );
    let s = Settings {
        break_glass_default: Duration::hours(48),
        break_glass_max: Duration::hours(24),
        ..settings()
    };
    assert_eq!(failures(s), ["settings.break_glass_default out_of_range"]);
    let s = Settings {
        break_glass_max: Duration::MAX,
        late_cancellation_window: Duration::days(3651),
        ..settings()
    };
    assert_eq!(
        failures(s),
        [
            "settings.break_glass_max out_of_range",
            "settings.late_cancellation_window out_of_range",
        ]
    );
}

#[test]
fn identifier_systems_are_declared_once_and_namespaces_use_declared_ones() {
    let system = settings().identifier_systems[0].clone();
    let s = Settings {
        identifier_systems: vec![system.clone(), system],
        mrn_namespaces: vec![MrnNamespace {
            system: "urn:nowhere".into(),
            ..namespace("north", 7)
        }],
        ..settings()
    };
    assert_eq!(
        failures(s),
        [
            "settings.identifier_systems[1].system duplicate",
            "settings.mrn_namespaces[0].system unknown",
        ]
    );
}

#[test]
fn a_namespace_makes_mrns_that_pass_its_systems_check_digit() {
    let s = Settings {
        mrn_namespaces: vec![MrnNamespace {
            prefix: "N".into(),
            check_digit: Some(CheckDigit::Verhoeff),
            ..namespace("north", 7)
        }],
        ..settings()
    };
    assert_eq!(
        failures(s),
        [
            "settings.mrn_namespaces[0].check_digit inconsistent",
            "settings.mrn_namespaces[0].prefix inconsistent",
        ]
    );
    let unchecked = Settings {
        identifier_systems: vec![IdentifierSystem {
            check_digit: None,
            ..settings().identifier_systems[0].clone()
        }],
        mrn_namespaces: vec![MrnNamespace {
            prefix: "N-".into(),
            ..namespace("north", 7)
        }],
        ..settings()
    };
    assert_eq!(failures(unchecked), Vec::<String>::new());
}

#[test]
fn the_phone_region_is_an_iso_region_with_phone_numbering() {
    for bad in ["us", "USA", "ZZ", "", "U\u{0}"] {
        let s = Settings {
            phone_region: Some(bad.into()),
            ..settings()
        };
        assert_eq!(
            failures(s),
            ["settings.phone_region invalid_value"],
            "{bad:?}"
        );
    }
    for good in ["US", "GB", "DE", "JP"] {
        let s = Settings {
            phone_region: Some(good.into()),
            ..settings()
        };
        assert_eq!(failures(s), Vec::<String>::new(), "{good}");
    }
}

#[test]
fn every_bad_setting_is_reported_at_once() {
    let s = Settings {
        identifier_systems: vec![IdentifierSystem {
            system: "urn with spaces".into(),
            check_digit: None,
        }],
        mrn_namespaces: vec![namespace("x", 1)],
        break_glass_max: Duration::zero(),
        phone_region: Some("XX".into()),
        ..Settings::default()
    };
    assert_eq!(failures(s).len(), 6);
}

fn phone(value: &str) -> ContactPoint {
    ContactPoint {
        system: ContactSystem::Phone,
        value: value.into(),
        usage: None,
    }
}

/// A clinic in the US region, and two patients who wrote one number two ways.
async fn us_clinic_with_the_pair() -> (Clinic, carebase::patient::Patient) {
    let (clinic, _, _) = common::clinic();
    let clinic = clinic
        .with_settings(Settings {
            phone_region: Some("US".into()),
            ..settings()
        })
        .unwrap();
    let desk = actor(Role::FrontDesk);
    let mut a = details("Okafor", "Chi", (1985, 3, 4));
    a.telecom = vec![phone("+1 555 0100")];
    let mut b = details("Nwosu", "Ada", (1950, 1, 1));
    b.telecom = vec![phone("555-0100")];
    let a = clinic
        .register_patient(
            &desk,
            NewPatient {
                details: a,
                mrn_facility: None,
            },
        )
        .await
        .unwrap();
    clinic
        .register_patient(
            &desk,
            NewPatient {
                details: b,
                mrn_facility: None,
            },
        )
        .await
        .unwrap();
    (clinic, a)
}

#[tokio::test]
async fn with_a_phone_region_both_spellings_of_a_number_find_each_other() {
    let (clinic, _) = us_clinic_with_the_pair().await;
    let desk = actor(Role::FrontDesk);
    for typed in ["555-0100", "+1 555 0100", "(555) 0100", "+1-555-0100"] {
        let query = PatientQuery {
            phone: Some(typed.into()),
            ..PatientQuery::default()
        };
        let page = clinic.search_patients(&desk, &query).await.unwrap();
        assert_eq!(page.items.len(), 2, "{typed}");
    }
}

#[tokio::test]
async fn with_a_phone_region_duplicate_detection_matches_both_spellings() {
    let (clinic, a) = us_clinic_with_the_pair().await;
    // The system sees phones (an admin matches on names and identifiers only).
    let found = clinic
        .find_duplicates(&carebase::Actor::system(), a.id, Count32::new(10))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].score.phone.similarity, Some(1.0));
}

#[tokio::test]
async fn a_phone_of_a_length_no_country_uses_is_invalid_format() {
    let (clinic, _, _) = common::clinic();
    let desk = actor(Role::FrontDesk);
    for bad in ["+1 23 45", "+999 555 0100", "+1 5550100999999999"] {
        let mut d = details("Okafor", "Chi", (1985, 3, 4));
        d.telecom = vec![phone(bad)];
        let err = clinic
            .register_patient(
                &desk,
                NewPatient {
                    details: d,
                    mrn_facility: None,
                },
            )
            .await
            .unwrap_err();
        let Error::Validation { fields } = err else {
            panic!("expected validation")
        };
        assert_eq!(fields[0].field, "telecom[0].value", "{bad}");
        assert_eq!(fields[0].code, "invalid_format", "{bad}");
    }
}
