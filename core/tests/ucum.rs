//! UCUM against the functional tests UCUM's community keeps
//! (`UcumFunctionalTests.xml`): every validity case and every conversion
//! case carebase takes on, with the counts printed and held to a floor so
//! they only go up.

use std::str::FromStr;

use carebase::terminology::ucum::{self, Unit};
use rust_decimal::Decimal;

const TESTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/fhir/terminology/UcumFunctionalTests.xml"
);

/// Cases carebase leaves out, by section, with the reason.
const SECTIONS_OUT_OF_SCOPE: &[(&str, &str)] = &[
    (
        "displayNameGeneration",
        "carebase shows the code a host gave, it generates no display names",
    ),
    (
        "multiplication",
        "carebase converts quantities, it does not multiply them",
    ),
    (
        "division",
        "carebase converts quantities, it does not divide them",
    ),
];

/// Validity cases carebase answers differently from the file, with why.
const VALIDITY_OUT_OF_SCOPE: &[(&str, &str)] = &[];

/// Conversion cases carebase does not take on, with why.
const CONVERSIONS_OUT_OF_SCOPE: &[(&str, &str)] = &[];

/// The fewest cases that must pass: raise it when more pass, never lower it.
const VALIDITY_FLOOR: usize = 529;
const CONVERSION_FLOOR: usize = 30;

fn document() -> String {
    std::fs::read_to_string(TESTS).unwrap_or_else(|e| panic!("{TESTS}: {e}"))
}

fn cases<'a>(doc: &'a roxmltree::Document<'a>, section: &str) -> Vec<roxmltree::Node<'a, 'a>> {
    doc.descendants()
        .filter(|n| n.has_tag_name(section))
        .flat_map(|s| s.children().filter(|c| c.has_tag_name("case")))
        .collect()
}

fn significant_digits(text: &str) -> u32 {
    let mantissa = text.split(['e', 'E']).next().unwrap_or(text);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let trimmed = digits.trim_start_matches('0');
    // Trailing zeros of an integer carry no precision ("133322000").
    let trimmed = if mantissa.contains('.') {
        trimmed
    } else {
        trimmed.trim_end_matches('0')
    };
    trimmed.len().max(1) as u32
}

fn decimal(text: &str) -> Decimal {
    Decimal::from_str(text)
        .or_else(|_| Decimal::from_scientific(text))
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Rounded to `digits` significant digits.
fn round(value: Decimal, digits: u32) -> Decimal {
    if value.is_zero() {
        return value;
    }
    let magnitude = value.abs().log10_floor();
    let places = i64::from(digits) - 1 - magnitude;
    if places >= 0 {
        value.round_dp(places.min(28) as u32).normalize()
    } else {
        let scale = Decimal::from(10u64.pow((-places) as u32));
        ((value / scale).round() * scale).normalize()
    }
}

trait Log10 {
    fn log10_floor(&self) -> i64;
}

impl Log10 for Decimal {
    fn log10_floor(&self) -> i64 {
        let mut v = *self;
        let mut n = 0;
        while v >= Decimal::TEN {
            v /= Decimal::TEN;
            n += 1;
        }
        while v < Decimal::ONE {
            v *= Decimal::TEN;
            n -= 1;
        }
        n
    }
}

#[test]
fn the_validity_cases_in_scope_pass_and_their_count_only_goes_up() {
    let text = document();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let all = cases(&doc, "validation");
    let (mut passed, mut failed, mut skipped) = (0, Vec::new(), 0);
    for case in &all {
        let id = case.attribute("id").unwrap_or("?");
        if VALIDITY_OUT_OF_SCOPE.iter().any(|(skip, _)| *skip == id) {
            skipped += 1;
            continue;
        }
        let unit = case.attribute("unit").unwrap_or("");
        let expected = case.attribute("valid") == Some("true");
        if ucum::is_valid(unit) == expected {
            passed += 1;
        } else {
            let why = Unit::parse("unit", unit).err().map(|e| e.message);
            failed.push(format!("{id} {unit:?} expected {expected} ({why:?})"));
        }
    }
    println!(
        "UCUM validity: {} cases, {} in scope, {passed} pass, {} fail, {skipped} out of scope",
        all.len(),
        all.len() - skipped,
        failed.len()
    );
    for (id, why) in VALIDITY_OUT_OF_SCOPE {
        println!("  out of scope {id}: {why}");
    }
    for failure in &failed {
        println!("  FAIL {failure}");
    }
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(
        passed >= VALIDITY_FLOOR,
        "{passed} < floor {VALIDITY_FLOOR}"
    );
}

#[test]
fn the_conversion_cases_in_scope_pass_to_the_precision_of_their_outcome() {
    let text = document();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let all = cases(&doc, "conversion");
    let (mut passed, mut failed, mut skipped) = (0, Vec::new(), 0);
    for case in &all {
        let id = case.attribute("id").unwrap_or("?");
        if CONVERSIONS_OUT_OF_SCOPE.iter().any(|(skip, _)| *skip == id) {
            skipped += 1;
            continue;
        }
        let attr = |name| case.attribute(name).unwrap_or("");
        let value = decimal(attr("value"));
        let outcome = decimal(attr("outcome"));
        match ucum::convert("value", value, attr("srcUnit"), attr("dstUnit")) {
            Ok(result) => {
                // Compare at the outcome's precision, or at what a Decimal's
                // 28 places carry of a value below one, whichever is less.
                let magnitude = outcome.abs().log10_floor();
                let carried = if magnitude < 0 { 29 + magnitude } else { 28 };
                let digits = i64::from(significant_digits(attr("outcome")))
                    .min(carried)
                    .min(i64::from(ucum::CONVERSION_DIGITS)) as u32;
                if round(result, digits) == round(outcome, digits) {
                    passed += 1;
                } else {
                    failed.push(format!("{id}: got {result}, expected {outcome}"));
                }
            }
            Err(e) => failed.push(format!("{id}: {}", e.message)),
        }
    }
    println!(
        "UCUM conversions: {} cases, {} in scope, {passed} pass, {} fail, {skipped} out of scope",
        all.len(),
        all.len() - skipped,
        failed.len()
    );
    for (id, why) in CONVERSIONS_OUT_OF_SCOPE {
        println!("  out of scope {id}: {why}");
    }
    for failure in &failed {
        println!("  FAIL {failure}");
    }
    for (section, why) in SECTIONS_OUT_OF_SCOPE {
        println!(
            "  out of scope, section {section} ({} cases): {why}",
            cases(&doc, section).len()
        );
    }
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(
        passed >= CONVERSION_FLOOR,
        "{passed} < floor {CONVERSION_FLOOR}"
    );
}

/// Pairs of units that measure the same thing, with the scales of vitals.
const COMMENSURABLE: &[(&str, &str)] = &[
    ("kg", "[lb_av]"),
    ("g", "[oz_av]"),
    ("cm", "[in_i]"),
    ("Cel", "[degF]"),
    ("Cel", "K"),
    ("[degF]", "K"),
    ("mm[Hg]", "kPa"),
    ("mL", "[foz_us]"),
    ("mmol/L", "umol/L"),
    ("/min", "/s"),
    ("m[IU]/mL", "[iU]/L"),
    ("kg/m2", "[lb_av]/[in_i]2"),
];

proptest::proptest! {
    #[test]
    fn a_conversion_there_and_back_keeps_the_declared_significant_digits(
        pair in proptest::sample::select(COMMENSURABLE),
        mantissa in -1_000_000_000_000i64..1_000_000_000_000,
        scale in 0u32..8,
        reversed: bool,
    ) {
        let (from, to) = if reversed { (pair.1, pair.0) } else { pair };
        let value = Decimal::new(mantissa, scale);
        let there = ucum::convert("v", value, from, to).unwrap();
        let back = ucum::convert("v", there, to, from).unwrap();
        // Both conversions keep CONVERSION_DIGITS of the larger magnitude
        // on either side (a temperature's offset makes that the kelvins).
        let larger = value.abs().max(there.abs());
        let tolerance = larger * Decimal::new(1, ucum::CONVERSION_DIGITS - 2);
        proptest::prop_assert!(
            (back - value).abs() <= tolerance,
            "{value} {from} -> {there} {to} -> {back}"
        );
    }
}
