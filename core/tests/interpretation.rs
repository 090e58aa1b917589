//! Interpretation of a value against its reference range: the flags, whom
//! a range applies to, ranges in other units, and the property that the
//! flag agrees with the range whatever unit the value is in.

use carebase::Count32;
use std::str::FromStr;

use carebase::patient::Gender;
use carebase::terminology::interpretation::{
    interpret, Interpretation, Quantity, ReferenceRange, Subject,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn q(value: &str, unit: &str) -> Quantity {
    Quantity::new(Decimal::from_str(value).unwrap(), unit)
}

fn potassium() -> ReferenceRange {
    ReferenceRange {
        low: Some(q("3.5", "mmol/L")),
        high: Some(q("5.1", "mmol/L")),
        critical_low: Some(q("2.5", "mmol/L")),
        critical_high: Some(q("6.5", "mmol/L")),
        ..ReferenceRange::default()
    }
}

fn flag(value: Quantity, ranges: &[ReferenceRange], subject: Subject) -> Option<Interpretation> {
    interpret("value", &value, "reference_range", ranges, &subject).unwrap()
}

#[test]
fn a_value_is_flagged_low_normal_high_and_critical_against_its_range() {
    let ranges = [potassium()];
    let anyone = Subject::default();
    let cases = [
        ("2.4", Interpretation::CriticalLow),
        ("3.0", Interpretation::Low),
        ("3.5", Interpretation::Normal),
        ("5.1", Interpretation::Normal),
        ("5.5", Interpretation::High),
        ("6.6", Interpretation::CriticalHigh),
    ];
    for (value, expected) in cases {
        assert_eq!(
            flag(q(value, "mmol/L"), &ranges, anyone),
            Some(expected),
            "{value}"
        );
    }
}

#[test]
fn the_limits_of_a_range_are_normal() {
    let ranges = [potassium()];
    assert_eq!(
        flag(q("2.5", "mmol/L"), &ranges, Subject::default()),
        Some(Interpretation::Low)
    );
}

#[test]
fn a_range_in_another_unit_is_converted_before_comparing() {
    let temperature = ReferenceRange {
        low: Some(q("36.1", "Cel")),
        high: Some(q("37.2", "Cel")),
        ..ReferenceRange::default()
    };
    let ranges = [temperature];
    assert_eq!(
        flag(q("98.6", "[degF]"), &ranges, Subject::default()),
        Some(Interpretation::Normal)
    );
    assert_eq!(
        flag(q("101.3", "[degF]"), &ranges, Subject::default()),
        Some(Interpretation::High)
    );
}

#[test]
fn a_bound_that_does_not_convert_is_an_error_naming_it() {
    let glucose = ReferenceRange {
        low: Some(q("70", "mg/dL")),
        ..ReferenceRange::default()
    };
    let error = interpret(
        "value",
        &q("5.5", "mmol/L"),
        "reference_range",
        &[glucose],
        &Subject::default(),
    )
    .unwrap_err();
    assert_eq!(error.field, "reference_range[0].low");
    assert_eq!(error.code, "not_convertible");
}

#[test]
fn the_first_range_for_the_patients_sex_and_age_is_used() {
    let hemoglobin = |sex, low: &str, high: &str| ReferenceRange {
        low: Some(q(low, "g/dL")),
        high: Some(q(high, "g/dL")),
        sex: Some(sex),
        min_age_years: Some(Count32::new(18)),
        ..ReferenceRange::default()
    };
    let ranges = [
        hemoglobin(Gender::Female, "12.0", "15.5"),
        hemoglobin(Gender::Male, "13.5", "17.5"),
    ];
    let woman = Subject {
        sex: Some(Gender::Female),
        age_years: Some(40),
    };
    let man = Subject {
        sex: Some(Gender::Male),
        age_years: Some(40),
    };
    let value = || q("13.0", "g/dL");
    assert_eq!(flag(value(), &ranges, woman), Some(Interpretation::Normal));
    assert_eq!(flag(value(), &ranges, man), Some(Interpretation::Low));
}

#[test]
fn no_flag_when_no_range_applies_to_the_patient() {
    let adults = ReferenceRange {
        min_age_years: Some(Count32::new(18)),
        ..potassium()
    };
    let child = Subject {
        sex: None,
        age_years: Some(8),
    };
    let ranges = [adults];
    assert_eq!(flag(q("3.0", "mmol/L"), &ranges, child), None);
    assert_eq!(flag(q("3.0", "mmol/L"), &ranges, Subject::default()), None);
}

#[test]
fn a_quantitys_debug_form_never_shows_its_value() {
    let shown = format!("{:?}", q("123.456", "mg/dL"));
    assert!(!shown.contains("123"), "{shown}");
    assert!(shown.contains("mg/dL"));
}

/// Pairs of commensurable units: the range in the first, the value in the
/// second.
const UNITS: &[(&str, &str)] = &[
    ("kg", "[lb_av]"),
    ("Cel", "[degF]"),
    ("[degF]", "K"),
    ("mmol/L", "umol/L"),
    ("mm[Hg]", "kPa"),
    ("cm", "[in_i]"),
    ("g/dL", "g/L"),
];

/// The flag computed in the range's own unit, limits in tenths.
fn expected(value: i64, low: i64, high: i64, critical: Option<(i64, i64)>) -> Interpretation {
    match critical {
        Some((cl, _)) if value < cl => Interpretation::CriticalLow,
        Some((_, ch)) if value > ch => Interpretation::CriticalHigh,
        _ if value < low => Interpretation::Low,
        _ if value > high => Interpretation::High,
        _ => Interpretation::Normal,
    }
}

proptest! {
    #[test]
    fn the_flag_agrees_with_the_range_whatever_unit_the_value_is_in(
        units in proptest::sample::select(UNITS),
        low in -2_000i64..2_000,
        width in 0i64..2_000,
        margins in proptest::option::of((0i64..500, 0i64..500)),
        value in -3_000i64..5_000,
        same_unit: bool,
    ) {
        let (range_unit, value_unit) = units;
        let high = low + width;
        let critical = margins.map(|(below, above)| (low - below, high + above));
        let tenths = |n: i64| Decimal::new(n, 1);
        let range = ReferenceRange {
            low: Some(Quantity::new(tenths(low), range_unit)),
            high: Some(Quantity::new(tenths(high), range_unit)),
            critical_low: critical.map(|(cl, _)| Quantity::new(tenths(cl), range_unit)),
            critical_high: critical.map(|(_, ch)| Quantity::new(tenths(ch), range_unit)),
            ..ReferenceRange::default()
        };
        // The value as measured in the other unit: converted first.
        let measured = if same_unit {
            Quantity::new(tenths(value), range_unit)
        } else {
            let converted = carebase::terminology::ucum::convert(
                "value", tenths(value), range_unit, value_unit,
            ).unwrap();
            Quantity::new(converted, value_unit)
        };
        let got = interpret("value", &measured, "reference_range", &[range], &Subject::default())
            .unwrap();
        prop_assert_eq!(got, Some(expected(value, low, high, critical)));
    }
}
