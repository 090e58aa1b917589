//! A unit reduced to its factor, its base dimensions and what else decides
//! whether two units convert.

use std::collections::BTreeMap;

use super::atoms::Scale;
use super::magnitude::Magnitude;

/// Exponents of UCUM's seven base quantities: length (m), mass (g), time
/// (s), plane angle (rad), temperature (K), electric charge (C) and luminous
/// intensity (cd). Two units convert only when these agree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Dimension(pub [i32; 7]);

impl Dimension {
    /// The names of the base units, in the order of the exponents.
    pub const BASE_UNITS: [&'static str; 7] = ["m", "g", "s", "rad", "K", "C", "cd"];

    /// Whether every exponent is zero (a pure number such as `%`).
    pub fn is_dimensionless(&self) -> bool {
        self.0.iter().all(|e| *e == 0)
    }
}

/// How a non-linear scale takes part in a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Special {
    /// The unit is linear.
    None,
    /// The unit is exactly one special unit (maybe prefixed): convertible
    /// through its scale.
    Alone(Scale),
    /// A special unit inside a product, a quotient or a power (`Cel/h`):
    /// valid, but never converted.
    Combined,
}

/// A unit reduced: `factor × base units^dimension × arbitrary units`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Canonical {
    pub factor: Magnitude,
    pub dimension: Dimension,
    pub arbitrary: BTreeMap<&'static str, i32>,
    pub special: Special,
}

impl Canonical {
    /// The number one: no dimension.
    pub fn one() -> Self {
        Self::number(Magnitude::ONE)
    }

    /// A pure number.
    pub fn number(factor: Magnitude) -> Self {
        Canonical {
            factor,
            dimension: Dimension::default(),
            arbitrary: BTreeMap::new(),
            special: Special::None,
        }
    }

    /// The product; `None` when an exponent leaves its range.
    pub fn times(&self, other: &Canonical) -> Option<Canonical> {
        let mut dimension = self.dimension;
        for (mine, theirs) in dimension.0.iter_mut().zip(other.dimension.0) {
            *mine = mine.checked_add(theirs)?;
        }
        let mut arbitrary = self.arbitrary.clone();
        for (key, exponent) in &other.arbitrary {
            let sum = arbitrary
                .get(key)
                .copied()
                .unwrap_or(0)
                .checked_add(*exponent)?;
            if sum == 0 {
                arbitrary.remove(key);
            } else {
                arbitrary.insert(key, sum);
            }
        }
        let special = match (self.special, other.special) {
            (Special::None, Special::None) => Special::None,
            _ => Special::Combined,
        };
        Some(Canonical {
            factor: self.factor.times(other.factor)?,
            dimension,
            arbitrary,
            special,
        })
    }

    /// `self^power`; `None` when an exponent leaves its range or a zero
    /// factor is inverted.
    pub fn powi(&self, power: i32) -> Option<Canonical> {
        let mut dimension = self.dimension;
        for e in dimension.0.iter_mut() {
            *e = e.checked_mul(power)?;
        }
        let mut arbitrary = BTreeMap::new();
        for (key, exponent) in &self.arbitrary {
            let product = exponent.checked_mul(power)?;
            if product != 0 {
                arbitrary.insert(*key, product);
            }
        }
        let special = match (self.special, power) {
            (special, 1) => special,
            (Special::None, _) => Special::None,
            _ => Special::Combined,
        };
        Some(Canonical {
            factor: self.factor.powi(power)?,
            dimension,
            arbitrary,
            special,
        })
    }

    /// Whether a quantity in one converts to the other: same dimension, same
    /// arbitrary units.
    pub fn commensurable(&self, other: &Canonical) -> bool {
        self.dimension == other.dimension && self.arbitrary == other.arbitrary
    }
}
