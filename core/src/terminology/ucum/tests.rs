use std::str::FromStr;

use rust_decimal::Decimal;

use super::*;

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn unit(code: &str) -> Unit {
    Unit::parse("unit", code).unwrap_or_else(|e| panic!("{code}: {}", e.message))
}

fn converted(value: &str, from: &str, to: &str) -> Decimal {
    convert("value", d(value), from, to).unwrap_or_else(|e| panic!("{from} -> {to}: {e:?}"))
}

#[test]
fn every_unit_in_the_table_resolves() {
    let missing: Vec<_> = ATOMS
        .iter()
        .map(|a| a.code)
        .filter(|code| !atoms().contains_key(code))
        .collect();
    assert!(missing.is_empty(), "unresolved: {missing:?}");
}

#[test]
fn a_kilogram_is_a_thousand_grams_and_a_pound_is_exact() {
    assert_eq!(unit("kg").factor().to_decimal(), Some(d("1000")));
    assert_eq!(unit("[lb_av]").factor().to_decimal(), Some(d("453.59237")));
    assert_eq!(converted("1", "[lb_av]", "kg"), d("0.45359237"));
    assert_eq!(converted("70", "kg", "[lb_av]"), d("154.32358352941430651"));
}

#[test]
fn body_temperature_converts_between_celsius_fahrenheit_and_kelvin() {
    assert_eq!(converted("98.6", "[degF]", "Cel"), d("37"));
    assert_eq!(converted("37", "Cel", "[degF]"), d("98.6"));
    assert_eq!(converted("37", "Cel", "K"), d("310.15"));
    assert_eq!(converted("0", "K", "[degF]"), d("-459.67"));
    assert_eq!(converted("-40", "[degF]", "Cel"), d("-40"));
}

#[test]
fn mass_concentration_does_not_convert_to_substance_concentration() {
    let refused = convert("value", d("90"), "mg/dL", "mmol/L").unwrap_err();
    assert_eq!(refused.code, NOT_CONVERTIBLE);
    assert_eq!(refused.field, "value");
}

#[test]
fn a_temperature_inside_a_product_is_valid_but_not_converted() {
    assert!(is_valid("Cel/h"));
    let refused = convert("rate", d("1"), "Cel/h", "K/h").unwrap_err();
    assert_eq!(refused.code, NOT_CONVERTIBLE);
}

#[test]
fn blood_pressure_in_millimetres_of_mercury_converts_to_kilopascals() {
    assert_eq!(converted("120", "mm[Hg]", "kPa"), d("15.99864"));
    assert_eq!(converted("1", "[in_i'Hg]", "mm[Hg]"), d("25.4"));
}

#[test]
fn international_units_convert_only_among_themselves() {
    assert_eq!(converted("1500", "m[IU]/mL", "[iU]/L"), d("1500"));
    let refused = convert("dose", d("1"), "[IU]", "mg").unwrap_err();
    assert_eq!(refused.code, NOT_CONVERTIBLE);
}

#[test]
fn a_value_converted_to_its_own_unit_reads_back_exactly() {
    assert_eq!(converted("37.50", "Cel", "Cel").to_string(), "37.50");
}

#[test]
fn logarithmic_units_are_valid_but_never_converted() {
    assert!(is_valid("dB[SPL]"));
    assert_eq!(
        convert("level", d("1"), "dB", "B").unwrap_err().code,
        NOT_CONVERTIBLE
    );
}

#[test]
fn annotations_count_as_one() {
    assert_eq!(converted("5", "10*9{cells}/L", "10*9/L"), d("5"));
    assert!(is_valid("{beats}/min"));
}

#[test]
fn invalid_units_name_the_field_and_never_echo_the_text() {
    for code in [
        "m/",
        "g/12h",
        "[iIU]",
        "{a}rad2{b}",
        "ug(8.h)",
        "((m)",
        "m)",
        "[in_i",
        "kg[H20]",
    ] {
        let error = Unit::parse("valueQuantity.code", code).unwrap_err();
        assert_eq!(error.field, "valueQuantity.code", "{code}");
        assert_eq!(error.code, INVALID_UNIT, "{code}");
        assert!(!error.message.contains(code), "{code}: {}", error.message);
    }
}

#[test]
fn a_blank_unit_is_required_and_a_huge_one_too_long() {
    assert_eq!(Unit::parse("u", "").unwrap_err().code, "required");
    let huge = "m.".repeat(200) + "m";
    assert_eq!(Unit::parse("u", &huge).unwrap_err().code, "too_long");
}

#[test]
fn nesting_deeper_than_the_limit_is_refused_without_recursing_further() {
    let depth = crate::limits::MAX_UNIT_NESTING;
    let inside = format!("{}m{}", "(".repeat(depth), ")".repeat(depth));
    assert!(is_valid(&inside));
    let deeper = format!("({inside})");
    assert_eq!(Unit::parse("u", &deeper).unwrap_err().code, INVALID_UNIT);
}

#[test]
fn exponents_beyond_the_limit_are_refused() {
    assert!(is_valid("m99"));
    assert!(!is_valid("m100"));
    assert!(!is_valid("m99999999999"));
}

#[test]
fn a_value_too_large_for_a_decimal_is_out_of_range_not_a_panic() {
    let error = convert("v", Decimal::MAX, "Ym", "ym").unwrap_err();
    assert_eq!(error.code, "out_of_range");
}
