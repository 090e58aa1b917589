//! UCUM, the Unified Code for Units of Measure: which unit codes are valid,
//! what they reduce to, and converting a value between two of them.
//!
//! FHIR quantities carry UCUM codes (`kg`, `mm[Hg]`, `10*9/L`), so every
//! measured value of the record is checked here. No crate fitted: the
//! maintained one builds its tables from UCUM's essence file, which UCUM's
//! licence does not allow (no tables derived from it). This module parses
//! the whole grammar (prefixes, exponents, `.` and `/`, parentheses,
//! annotations, `10*n`, square-bracket units) and knows the units defined
//! in [`atoms`](self) from their physical definitions: SI and its special
//! names, time, the international, US and British customary systems,
//! clinical pressures and energies, laboratory units, the temperature
//! scales, logarithmic ratios (valid, never converted) and the arbitrary
//! units of immunology (each convertible only to itself, with prefixes).
//!
//! Values are [`Decimal`]s, never binary floats: a value given reads back
//! exactly, and a conversion keeps [`CONVERSION_DIGITS`] significant digits
//! (within Decimal's 28 decimal places for values below one).

mod atoms;
mod canonical;
mod magnitude;
mod parse;

use std::collections::HashMap;
use std::sync::OnceLock;

use rust_decimal::Decimal;

pub use atoms::Scale;
pub use canonical::Dimension;
pub use magnitude::Magnitude;

use self::atoms::{Definition, ATOMS};
use self::canonical::{Canonical, Special};
use self::parse::{Atoms, Resolved};
use crate::error::FieldError;
use crate::limits::MAX_UNIT_CHARS;

/// Significant digits a converted value keeps. Factors carry 28, so the
/// kept digits are exact for every conversion of clinical interest; a round
/// trip agrees with the original to this many digits.
pub const CONVERSION_DIGITS: u32 = 20;

/// The field-error code of a text that is not a UCUM unit.
pub const INVALID_UNIT: &str = "invalid_unit";

/// The field-error code of a conversion between units that do not measure
/// the same thing (`mg/dL` → `mmol/L` needs a molar mass).
pub const NOT_CONVERTIBLE: &str = "not_convertible";

/// A valid UCUM unit, reduced to a factor times base units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    code: String,
    canonical: Canonical,
}

impl Unit {
    /// Reads a unit code; `required`, `too_long` or [`INVALID_UNIT`] on
    /// `field` when it is not one (the message says why, never the text).
    pub fn parse(field: &str, code: &str) -> Result<Unit, FieldError> {
        if code.is_empty() {
            return Err(FieldError::new(field, "required", "must not be blank"));
        }
        if code.len() > MAX_UNIT_CHARS {
            return Err(FieldError::new(
                field,
                "too_long",
                format!("at most {MAX_UNIT_CHARS} characters"),
            ));
        }
        if !code.bytes().all(|b| (33..=126).contains(&b)) {
            return Err(FieldError::new(
                field,
                INVALID_UNIT,
                "a UCUM unit is printable ASCII without spaces",
            ));
        }
        match parse::parse(code, atoms()) {
            Ok(canonical) => Ok(Unit {
                code: code.to_owned(),
                canonical,
            }),
            Err(reason) => Err(FieldError::new(
                field,
                INVALID_UNIT,
                format!("not a valid UCUM unit: {reason}"),
            )),
        }
    }

    /// The code as given.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The factor to the base units (`[lb_av]` → 453.59237, in grams).
    pub fn factor(&self) -> Magnitude {
        self.canonical.factor
    }

    /// The exponents of the base units (`N` → m·g·s⁻²).
    pub fn dimension(&self) -> Dimension {
        self.canonical.dimension
    }

    /// Whether a value in this unit converts to `other`: the same base
    /// dimensions and the same arbitrary units.
    pub fn is_commensurable_with(&self, other: &Unit) -> bool {
        self.canonical.commensurable(&other.canonical)
    }

    /// `value` in this unit, expressed in `to`; [`NOT_CONVERTIBLE`] on
    /// `field` when the units measure different things or a logarithmic or
    /// combined special unit is involved, `out_of_range` when the result
    /// leaves Decimal's range.
    pub fn convert(&self, field: &str, value: Decimal, to: &Unit) -> Result<Decimal, FieldError> {
        if !self.is_commensurable_with(to) {
            return Err(FieldError::new(
                field,
                NOT_CONVERTIBLE,
                "the units do not measure the same kind of quantity",
            ));
        }
        let combined = |u: &Unit| u.canonical.special == Special::Combined;
        if combined(self) || combined(to) {
            return Err(FieldError::new(
                field,
                NOT_CONVERTIBLE,
                "a temperature or logarithmic unit inside a product is not converted",
            ));
        }
        if self.canonical == to.canonical {
            return Ok(value);
        }
        let logarithmic = |u: &Unit| u.canonical.special == Special::Alone(Scale::Logarithmic);
        if logarithmic(self) || logarithmic(to) {
            return Err(FieldError::new(
                field,
                NOT_CONVERTIBLE,
                "logarithmic units are not converted",
            ));
        }
        let out_of_range =
            || FieldError::new(field, "out_of_range", "the converted value is out of range");
        let base = to_base(value, &self.canonical).ok_or_else(out_of_range)?;
        let converted = from_base(base, &to.canonical).ok_or_else(out_of_range)?;
        converted
            .round_to(CONVERSION_DIGITS)
            .to_decimal()
            .ok_or_else(out_of_range)
    }
}

/// Whether `code` is a valid UCUM unit.
pub fn is_valid(code: &str) -> bool {
    Unit::parse("unit", code).is_ok()
}

/// `value` in unit `from`, expressed in unit `to` (see [`Unit::convert`]);
/// an invalid unit is [`INVALID_UNIT`] on `field`.
pub fn convert(field: &str, value: Decimal, from: &str, to: &str) -> Result<Decimal, FieldError> {
    let from = Unit::parse(field, from)?;
    let to = Unit::parse(field, to)?;
    from.convert(field, value, &to)
}

/// 273.15: kelvin at zero degrees Celsius.
const CELSIUS_ZERO: Decimal = Decimal::from_parts(27315, 0, 0, false, 2);
/// 459.67: degrees Fahrenheit between absolute zero and zero Fahrenheit.
const FAHRENHEIT_ZERO: Decimal = Decimal::from_parts(45967, 0, 0, false, 2);

/// The value in base units (kelvin for a temperature scale).
fn to_base(value: Decimal, unit: &Canonical) -> Option<Magnitude> {
    let scaled = Magnitude::from_decimal(value).times(unit.factor)?;
    match unit.special {
        Special::Alone(Scale::Celsius) => {
            let kelvin = scaled.to_decimal()?.checked_add(CELSIUS_ZERO)?;
            Some(Magnitude::from_decimal(kelvin))
        }
        Special::Alone(Scale::Fahrenheit) => {
            let kelvin = scaled
                .to_decimal()?
                .checked_add(FAHRENHEIT_ZERO)?
                .checked_mul(Decimal::from(5))?
                .checked_div(Decimal::from(9))?;
            Some(Magnitude::from_decimal(kelvin))
        }
        _ => Some(scaled),
    }
}

/// A value in base units expressed in `unit`.
fn from_base(base: Magnitude, unit: &Canonical) -> Option<Magnitude> {
    let on_scale = match unit.special {
        Special::Alone(Scale::Celsius) => {
            Magnitude::from_decimal(base.to_decimal()?.checked_sub(CELSIUS_ZERO)?)
        }
        Special::Alone(Scale::Fahrenheit) => Magnitude::from_decimal(
            base.to_decimal()?
                .checked_mul(Decimal::from(9))?
                .checked_div(Decimal::from(5))?
                .checked_sub(FAHRENHEIT_ZERO)?,
        ),
        _ => base,
    };
    on_scale.divided_by(unit.factor)
}

/// The known units, reduced once: each definition reads only the units
/// above it in [`ATOMS`].
fn atoms() -> &'static Atoms {
    static ATOMS_REDUCED: OnceLock<Atoms> = OnceLock::new();
    ATOMS_REDUCED.get_or_init(|| {
        let mut known: Atoms = HashMap::with_capacity(ATOMS.len());
        for atom in ATOMS {
            // An entry that does not resolve is left out (and a test fails):
            // never a panic in a library.
            if let Some(canonical) = reduce(atom.definition, &known) {
                known.insert(
                    atom.code,
                    Resolved {
                        metric: atom.metric,
                        canonical,
                    },
                );
            }
        }
        known
    })
}

/// One definition reduced against the units known so far.
fn reduce(definition: Definition, known: &Atoms) -> Option<Canonical> {
    match definition {
        Definition::Base(index) => {
            let mut unit = Canonical::one();
            *unit.dimension.0.get_mut(index)? = 1;
            Some(unit)
        }
        Definition::Linear(factor, expression) => {
            let unit = parse::parse(expression, known).ok()?;
            unit.times(&Canonical::number(Magnitude::parse(factor)?))
        }
        Definition::Special(scale, expression) => {
            let mut unit = parse::parse(expression, known).ok()?;
            unit.special = Special::Alone(scale);
            Some(unit)
        }
        Definition::Arbitrary(key) => {
            let mut unit = Canonical::one();
            unit.arbitrary.insert(key, 1);
            Some(unit)
        }
    }
}

#[cfg(test)]
mod tests;
