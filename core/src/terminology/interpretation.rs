//! The flag of a measured value against its reference range: low, normal,
//! high, and critically low or high where critical limits are set.
//!
//! A range may be stated in another unit than the value (a lab reports
//! glucose in mmol/L against a range in mmol/L, a clinic enters it in
//! mg/dL…): each bound is converted to the value's unit first, and a bound
//! that cannot be converted is an error naming it, never a silent "normal".

use crate::Count32;
use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::ucum::Unit;
use crate::codes::code_enum;
use crate::error::FieldError;
use crate::patient::Gender;

code_enum! {
    /// How a value compares with its reference range (the codes of FHIR's
    /// ObservationInterpretation).
    pub enum Interpretation {
        /// Below the critical low limit.
        CriticalLow = "LL",
        /// Below the low limit.
        Low = "L",
        /// Within the range (its limits included).
        Normal = "N",
        /// Above the high limit.
        High = "H",
        /// Above the critical high limit.
        CriticalHigh = "HH",
    }
}

/// A measured value: a decimal (read back exactly as given) in a UCUM unit.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Quantity {
    /// The number, as exact decimal text.
    #[serde(with = "crate::decimal::text")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::decimal::DecimalText"))]
    pub value: Decimal,
    /// Its UCUM unit code.
    pub unit: String,
}

impl Quantity {
    /// `value` in `unit`.
    pub fn new(value: Decimal, unit: impl Into<String>) -> Self {
        Quantity {
            value,
            unit: unit.into(),
        }
    }
}

/// A measured value is patient data: `Debug` shows the unit only.
impl fmt::Debug for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Quantity")
            .field("value", &"<redacted>")
            .field("unit", &self.unit)
            .finish()
    }
}

/// A reference range: limits (each optional, inclusive) and whom it is for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReferenceRange {
    /// Lowest normal value.
    pub low: Option<Quantity>,
    /// Highest normal value.
    pub high: Option<Quantity>,
    /// Below this the value is critically low.
    pub critical_low: Option<Quantity>,
    /// Above this the value is critically high.
    pub critical_high: Option<Quantity>,
    /// The sex the range is for; `None` for everyone.
    pub sex: Option<Gender>,
    /// Youngest age in whole years the range is for (inclusive).
    pub min_age_years: Option<Count32>,
    /// Oldest age in whole years the range is for (inclusive).
    pub max_age_years: Option<Count32>,
}

/// What a range's applicability is decided on: the patient's sex and age
/// when the value was measured, each possibly unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Subject {
    /// The patient's administrative sex.
    pub sex: Option<Gender>,
    /// Age in whole years at the time of measurement.
    pub age_years: Option<u32>,
}

impl ReferenceRange {
    /// Whether the range is for `subject`: a range for one sex or ages
    /// does not apply to a subject whose sex or age is unknown.
    pub fn applies_to(&self, subject: &Subject) -> bool {
        let sex = self.sex.is_none_or(|sex| subject.sex == Some(sex));
        let age = match (self.min_age_years, self.max_age_years) {
            (None, None) => true,
            (min, max) => subject.age_years.is_some_and(|age| {
                min.is_none_or(|min| age >= min.get()) && max.is_none_or(|max| age <= max.get())
            }),
        };
        sex && age
    }
}

/// Every problem of a range, each on its field under `field`: a bound
/// whose unit is not UCUM or does not convert to the others'
/// (`not_convertible`), limits out of order (`out_of_range`: critical low ≤
/// low ≤ high ≤ critical high), a youngest age above the oldest. Empty when
/// the range is sound.
pub fn range_problems(field: &str, range: &ReferenceRange) -> Vec<FieldError> {
    let mut problems = Vec::new();
    let bounds = [
        ("critical_low", &range.critical_low),
        ("low", &range.low),
        ("high", &range.high),
        ("critical_high", &range.critical_high),
    ];
    // Every bound in the unit of the first readable one, in order.
    let mut reference: Option<Unit> = None;
    let mut ordered: Vec<(&str, Decimal)> = Vec::new();
    for (name, bound) in bounds {
        let Some(bound) = bound else {
            continue;
        };
        let path = format!("{field}.{name}");
        let unit = match Unit::parse(&path, &bound.unit) {
            Ok(unit) => unit,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let value = match &reference {
            None => {
                reference = Some(unit);
                Ok(bound.value)
            }
            Some(to) => unit.convert(&path, bound.value, to),
        };
        match value {
            Ok(value) => {
                if let Some((previous, limit)) = ordered.last() {
                    if value < *limit {
                        problems.push(FieldError::new(
                            path,
                            "out_of_range",
                            format!("must not be below {previous}"),
                        ));
                        continue;
                    }
                }
                ordered.push((name, value));
            }
            Err(problem) => problems.push(problem),
        }
    }
    if let (Some(min), Some(max)) = (range.min_age_years, range.max_age_years) {
        if min > max {
            problems.push(FieldError::new(
                format!("{field}.max_age_years"),
                "out_of_range",
                "must not be below min_age_years",
            ));
        }
    }
    problems
}

/// The flag of `value` against the first of `ranges` that applies to
/// `subject`; `None` when none applies or it sets no limit. Errors name the
/// field: `{value_field}` for a value whose unit is not UCUM,
/// `{ranges_field}[i].low` (…`high`, `critical_low`, `critical_high`) for a
/// bound that is not UCUM or does not convert to the value's unit.
pub fn interpret(
    value_field: &str,
    value: &Quantity,
    ranges_field: &str,
    ranges: &[ReferenceRange],
    subject: &Subject,
) -> Result<Option<Interpretation>, FieldError> {
    let Some((index, range)) = ranges
        .iter()
        .enumerate()
        .find(|(_, range)| range.applies_to(subject))
    else {
        return Ok(None);
    };
    let unit = Unit::parse(value_field, &value.unit)?;
    let bound = |name: &str, limit: &Option<Quantity>| -> Result<Option<Decimal>, FieldError> {
        let Some(limit) = limit else {
            return Ok(None);
        };
        let field = format!("{ranges_field}[{index}].{name}");
        let from = Unit::parse(&field, &limit.unit)?;
        from.convert(&field, limit.value, &unit).map(Some)
    };
    let low = bound("low", &range.low)?;
    let high = bound("high", &range.high)?;
    let critical_low = bound("critical_low", &range.critical_low)?;
    let critical_high = bound("critical_high", &range.critical_high)?;
    if [low, high, critical_low, critical_high]
        .iter()
        .all(Option::is_none)
    {
        return Ok(None);
    }
    let v = value.value;
    let flag = if critical_low.is_some_and(|limit| v < limit) {
        Interpretation::CriticalLow
    } else if critical_high.is_some_and(|limit| v > limit) {
        Interpretation::CriticalHigh
    } else if low.is_some_and(|limit| v < limit) {
        Interpretation::Low
    } else if high.is_some_and(|limit| v > limit) {
        Interpretation::High
    } else {
        Interpretation::Normal
    };
    Ok(Some(flag))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(value: i64, unit: &str) -> Option<Quantity> {
        Some(Quantity::new(Decimal::from(value), unit))
    }

    #[test]
    fn a_sound_range_has_no_problems_even_across_units() {
        let range = ReferenceRange {
            low: q(36, "Cel"),
            high: q(99, "[degF]"),
            ..ReferenceRange::default()
        };
        assert!(range_problems("reference_range[0]", &range).is_empty());
    }

    #[test]
    fn limits_out_of_order_are_out_of_range_on_the_later_limit() {
        let range = ReferenceRange {
            low: q(10, "mmol/L"),
            high: q(5, "mmol/L"),
            critical_high: q(20, "mmol/L"),
            ..ReferenceRange::default()
        };
        let problems = range_problems("reference_range[0]", &range);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field, "reference_range[0].high");
        assert_eq!(problems[0].code, "out_of_range");
    }

    #[test]
    fn every_bad_bound_is_reported_at_once() {
        let range = ReferenceRange {
            low: q(70, "mg/dL"),
            high: q(7, "mmol/L"),
            critical_high: q(1, "not a unit"),
            min_age_years: Some(Count32::new(65)),
            max_age_years: Some(Count32::new(18)),
            ..ReferenceRange::default()
        };
        let problems: Vec<_> = range_problems("r", &range)
            .into_iter()
            .map(|p| (p.field, p.code))
            .collect();
        assert_eq!(
            problems,
            [
                ("r.high".to_owned(), "not_convertible".to_owned()),
                ("r.critical_high".to_owned(), "invalid_unit".to_owned()),
                ("r.max_age_years".to_owned(), "out_of_range".to_owned()),
            ]
        );
    }
}
