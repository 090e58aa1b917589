//! UCUM at the operation level: observations recorded through the clinic in
//! either unit of a convertible pair read back exactly as given, convert
//! back within the declared digits, and get the flag their reference range
//! gives them whichever unit the range is written in.

mod common;

use std::str::FromStr;

use carebase::record::{EntryBody, ObservationValue};
use carebase::terminology::interpretation::{Interpretation, Quantity, ReferenceRange};
use carebase::terminology::ucum::{self, CONVERSION_DIGITS};
use common::record::{vital, RecordWorld};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(f)
}

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).expect("a decimal")
}

/// A vital sign that takes two commensurable units, and the relation
/// between them written from their definitions (not from carebase's unit
/// table): `b = a × scale + offset`.
struct Pair {
    code: &'static str,
    a: &'static str,
    b: &'static str,
    scale: fn() -> Decimal,
    offset: fn() -> Decimal,
}

const PAIRS: [Pair; 4] = [
    // 1 [lb_av] = 0.45359237 kg.
    Pair {
        code: "29463-7",
        a: "[lb_av]",
        b: "kg",
        scale: || d("0.45359237"),
        offset: || Decimal::ZERO,
    },
    // 1 [lb_av] = 453.59237 g.
    Pair {
        code: "29463-7",
        a: "[lb_av]",
        b: "g",
        scale: || d("453.59237"),
        offset: || Decimal::ZERO,
    },
    // 1 [in_i] = 2.54 cm.
    Pair {
        code: "8302-2",
        a: "[in_i]",
        b: "cm",
        scale: || d("2.54"),
        offset: || Decimal::ZERO,
    },
    // °F = °C × 9/5 + 32.
    Pair {
        code: "8310-5",
        a: "Cel",
        b: "[degF]",
        scale: || d("1.8"),
        offset: || d("32"),
    },
];

/// The stored quantity of an observation.
fn quantity(body: &EntryBody) -> (Decimal, String) {
    match body {
        EntryBody::Observation(o) => match &o.value {
            Some(ObservationValue::Quantity { value, unit }) => (*value, unit.clone()),
            other => panic!("a quantity, got {other:?}"),
        },
        other => panic!("an observation, got {other:?}"),
    }
}

fn interpretation(body: &EntryBody) -> Option<Interpretation> {
    match body {
        EntryBody::Observation(o) => o.interpretation,
        _ => None,
    }
}

/// `value` in the pair's unit `a` (`true`) or `b`.
fn in_unit(pair: &Pair, in_a: bool) -> &'static str {
    if in_a {
        pair.a
    } else {
        pair.b
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Recorded in one unit of a pair and, converted, in the other: both read
    /// back exactly as recorded, and the converted one converts back to the
    /// first within the declared significant digits.
    #[test]
    fn an_observation_in_a_convertible_unit_round_trips_within_the_declared_digits(
        pair in 0..PAIRS.len(),
        mantissa in 1i64..100_000_000,
        scale in 0u32..6,
        from_a: bool,
    ) {
        let pair = &PAIRS[pair];
        let (from, to) = (in_unit(pair, from_a), in_unit(pair, !from_a));
        let value = Decimal::new(mantissa, scale);
        let there = ucum::convert("value", value, from, to).unwrap();
        block_on(async {
            let r = RecordWorld::new().await;
            let first = r.record(r.new_entry(vital(pair.code, &value.to_string(), from))).await;
            let second = r.record(r.new_entry(vital(pair.code, &there.to_string(), to))).await;
            for (entry, (value, unit)) in [(&first, (value, from)), (&second, (there, to))] {
                let history = r
                    .world
                    .clinic
                    .entry_history(&r.world.doctor, r.patient.id, entry.id)
                    .await
                    .unwrap();
                let (stored, stored_unit) = quantity(&history[0].body);
                prop_assert_eq!(stored.to_string(), value.to_string());
                prop_assert_eq!(stored_unit, unit);
            }
            let (stored_there, _) = quantity(&second.body);
            let back = ucum::convert("value", stored_there, to, from).unwrap();
            let larger = value.abs().max(stored_there.abs());
            let tolerance = larger * Decimal::new(1, CONVERSION_DIGITS - 2);
            prop_assert!(
                (back - value).abs() <= tolerance,
                "{} {} -> {} {} -> {} {}", value, from, stored_there, to, back, from
            );
            Ok(())
        })?;
    }

    /// The flag the clinic stores is the one comparing the value with its
    /// range in one unit, whichever units of a pair the value and the range
    /// are written in (values within rounding of a bound left out).
    #[test]
    fn the_interpretation_agrees_with_the_range_for_random_values_and_units(
        pair in 0..PAIRS.len(),
        value_hundredths in 1i64..50_000,
        low_hundredths in 1i64..30_000,
        width_hundredths in 1i64..30_000,
        value_in_a: bool,
        range_in_a: bool,
    ) {
        let pair = &PAIRS[pair];
        let (scale, offset) = ((pair.scale)(), (pair.offset)());
        // The value and the bounds, first in unit `a`, then written in the
        // unit each is given in.
        let value_a = Decimal::new(value_hundredths, 2);
        let (low_a, high_a) = (
            Decimal::new(low_hundredths, 2),
            Decimal::new(low_hundredths + width_hundredths, 2),
        );
        let to_b = |a: Decimal| a * scale + offset;
        let written = |a: Decimal, in_a: bool| if in_a { a } else { to_b(a) };
        let near = |x: Decimal, y: Decimal| (x - y).abs() <= Decimal::new(1, 6);
        prop_assume!(!near(value_a, low_a) && !near(value_a, high_a));
        let expected = if value_a < low_a {
            Interpretation::Low
        } else if value_a > high_a {
            Interpretation::High
        } else {
            Interpretation::Normal
        };
        let value_unit = in_unit(pair, value_in_a);
        let range_unit = in_unit(pair, range_in_a);
        let EntryBody::Observation(mut o) =
            vital(pair.code, &written(value_a, value_in_a).to_string(), value_unit)
        else {
            unreachable!()
        };
        o.reference_ranges = vec![ReferenceRange {
            low: Some(Quantity::new(written(low_a, range_in_a), range_unit)),
            high: Some(Quantity::new(written(high_a, range_in_a), range_unit)),
            ..ReferenceRange::default()
        }];
        block_on(async {
            let r = RecordWorld::new().await;
            let entry = r.record(r.new_entry(EntryBody::Observation(o))).await;
            prop_assert_eq!(
                interpretation(&entry.body),
                Some(expected),
                "{} {} against {}..{} {}", value_a, value_unit, low_a, high_a, range_unit
            );
            let history = r
                .world
                .clinic
                .entry_history(&r.world.doctor, r.patient.id, entry.id)
                .await
                .unwrap();
            prop_assert_eq!(interpretation(&history[0].body), Some(expected));
            Ok(())
        })?;
    }
}
