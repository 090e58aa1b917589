//! Unit factors as decimal scientific numbers.
//!
//! A UCUM factor spans far more than [`Decimal`]'s range (a yottametre
//! cubed is 10^72 m³, an atomic mass unit 10^-24 g), so a factor is kept as
//! a mantissa in `1 ≤ |m| < 10` times a power of ten. Products of two
//! mantissas stay below 100, so no step overflows; each keeps Decimal's 28
//! fractional digits. Binary floats never enter: `0.1` stays `0.1`.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

/// A number as `mantissa × 10^exponent`, the mantissa normalized to
/// `1 ≤ |mantissa| < 10` (or zero).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Magnitude {
    mantissa: Decimal,
    exponent: i32,
}

/// The most decimal places a [`Decimal`] carries.
const DECIMAL_PLACES: i32 = 28;

impl Magnitude {
    /// One: the factor of a unit that is its own base.
    pub const ONE: Magnitude = Magnitude {
        mantissa: Decimal::ONE,
        exponent: 0,
    };

    /// `10^exponent`.
    pub(crate) fn power_of_ten(exponent: i32) -> Self {
        Magnitude {
            mantissa: Decimal::ONE,
            exponent,
        }
    }

    /// The number a decimal holds, exactly.
    pub fn from_decimal(value: Decimal) -> Self {
        normalize(value, 0)
    }

    /// Reads `1.5`, `-2`, `6.0221367e23` or `1e-3`; `None` for anything else.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (mantissa, exponent) = match text.split_once(['e', 'E']) {
            Some((m, e)) => (m, e.parse::<i32>().ok()?),
            None => (text, 0),
        };
        let mantissa = Decimal::from_str(mantissa).ok()?;
        Some(normalize(mantissa, exponent))
    }

    /// The normalized mantissa (`1 ≤ |m| < 10`, or zero).
    pub fn mantissa(&self) -> Decimal {
        self.mantissa
    }

    /// The power of ten the mantissa is scaled by.
    pub fn exponent(&self) -> i32 {
        self.exponent
    }

    /// Whether this is zero.
    pub fn is_zero(&self) -> bool {
        self.mantissa.is_zero()
    }

    /// The product; `None` only if the exponent leaves `i32`.
    pub(crate) fn times(self, other: Self) -> Option<Self> {
        let mantissa = self.mantissa.checked_mul(other.mantissa)?;
        let exponent = self.exponent.checked_add(other.exponent)?;
        Some(normalize(mantissa, exponent))
    }

    /// The quotient; `None` for a zero divisor or an exponent out of `i32`.
    pub(crate) fn divided_by(self, other: Self) -> Option<Self> {
        let mantissa = self.mantissa.checked_div(other.mantissa)?;
        let exponent = self.exponent.checked_sub(other.exponent)?;
        Some(normalize(mantissa, exponent))
    }

    /// `self^power` by repeated squaring; `None` on a zero base with a
    /// negative power or an exponent out of `i32`.
    pub(crate) fn powi(self, power: i32) -> Option<Self> {
        let mut result = Magnitude::ONE;
        let mut base = self;
        let mut left = power.unsigned_abs();
        while left > 0 {
            if left & 1 == 1 {
                result = result.times(base)?;
            }
            left >>= 1;
            if left > 0 {
                base = base.times(base)?;
            }
        }
        if power < 0 {
            Magnitude::ONE.divided_by(result)
        } else {
            Some(result)
        }
    }

    /// Rounded to `digits` significant digits (half away from zero).
    pub(crate) fn round_to(self, digits: u32) -> Self {
        let places = digits.saturating_sub(1);
        let mantissa = self
            .mantissa
            .round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        normalize(mantissa, self.exponent)
    }

    /// The value as a [`Decimal`] with trailing zeros dropped; `None` when it
    /// is beyond Decimal's range (above ~7.9 × 10^28). Values below 10^-28
    /// keep only the digits within Decimal's 28 places.
    pub fn to_decimal(self) -> Option<Decimal> {
        let mut value = self.mantissa;
        if self.exponent > 0 {
            for _ in 0..self.exponent {
                value = value.checked_mul(Decimal::TEN)?;
            }
        } else {
            let places = self.exponent.unsigned_abs();
            if i64::from(places) > i64::from(DECIMAL_PLACES) + 1 {
                return Some(Decimal::ZERO);
            }
            for _ in 0..places {
                value = value.checked_div(Decimal::TEN)?;
            }
        }
        Some(value.normalize())
    }
}

/// `mantissa × 10^exponent` with the mantissa moved into `[1, 10)`.
fn normalize(mantissa: Decimal, exponent: i32) -> Magnitude {
    if mantissa.is_zero() {
        return Magnitude {
            mantissa: Decimal::ZERO,
            exponent: 0,
        };
    }
    let mut mantissa = mantissa;
    let mut exponent = exponent;
    // A Decimal spans at most 29 digits either side of the point, so each
    // loop runs at most that many times.
    while mantissa.abs() >= Decimal::TEN {
        mantissa /= Decimal::TEN;
        exponent = exponent.saturating_add(1);
    }
    while mantissa.abs() < Decimal::ONE {
        mantissa *= Decimal::TEN;
        exponent = exponent.saturating_sub(1);
    }
    Magnitude {
        mantissa: mantissa.normalize(),
        exponent,
    }
}

impl fmt::Display for Magnitude {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.exponent == 0 {
            write!(f, "{}", self.mantissa)
        } else {
            write!(f, "{}e{}", self.mantissa, self.exponent)
        }
    }
}

impl fmt::Debug for Magnitude {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Magnitude {
        Magnitude::parse(text).unwrap_or(Magnitude::ONE)
    }

    #[test]
    fn a_factor_is_read_into_a_normalized_mantissa_and_exponent() {
        let mole = m("6.0221367e23");
        assert_eq!(mole.to_string(), "6.0221367e23");
        assert_eq!(m("0.001").to_string(), "1e-3");
        assert_eq!(m("250").to_string(), "2.5e2");
    }

    #[test]
    fn products_and_quotients_far_beyond_decimal_range_stay_exact() {
        let big = Magnitude::power_of_ten(72)
            .times(m("2.5"))
            .unwrap_or(Magnitude::ONE);
        let back = big.divided_by(Magnitude::power_of_ten(72));
        assert_eq!(back, Some(m("2.5")));
    }

    #[test]
    fn a_negative_power_is_the_inverse() {
        assert_eq!(m("4").powi(-2), Some(m("0.0625")));
        assert_eq!(m("10").powi(3), Some(m("1000")));
        assert_eq!(Magnitude::from_decimal(Decimal::ZERO).powi(-1), None);
    }

    #[test]
    fn a_magnitude_reads_back_as_the_decimal_it_came_from() {
        for text in ["37.5", "0.0063", "133322000", "-459.67"] {
            let value = Decimal::from_str(text).unwrap_or_default();
            assert_eq!(
                Magnitude::from_decimal(value).to_decimal(),
                Some(value.normalize())
            );
        }
    }
}
