//! Identifier systems (which check digit they require) and MRN namespaces.

use crate::Count32;
use serde::{Deserialize, Serialize};
use validator::Validate;

use super::{CheckDigit, Identifier};
use crate::limits::{MAX_MRN_DIGITS, MAX_MRN_PREFIX_CHARS, MAX_TEXT_CHARS, MIN_MRN_DIGITS};
use crate::validation::bound;

/// Rules for one identifier system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct IdentifierSystem {
    /// The system URI.
    #[validate(
        length(max = bound(MAX_TEXT_CHARS), code = "too_long"),
        custom(function = "crate::settings::system_uri")
    )]
    pub system: String,
    /// Check digit every value must carry, if any.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub check_digit: Option<CheckDigit>,
}

/// How MRNs are generated for one facility: `prefix` + zero-padded counter
/// (+ check digit of the system, if it has one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MrnNamespace {
    /// Facility code, e.g. `north`: 1 to 32 of letters, digits, `-_.`.
    #[validate(custom(function = "crate::settings::facility_code"))]
    pub facility: String,
    /// Identifier system the MRNs belong to (one of the clinic's systems).
    #[validate(
        length(max = bound(MAX_TEXT_CHARS), code = "too_long"),
        custom(function = "crate::settings::system_uri")
    )]
    pub system: String,
    /// Text before the number, e.g. `N`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[validate(
        length(max = bound(MAX_MRN_PREFIX_CHARS), code = "too_long"),
        custom(function = "crate::settings::mrn_prefix")
    )]
    pub prefix: String,
    /// Minimum number of digits (zero-padded), 4 to 18.
    #[validate(range(min = Count32::new(MIN_MRN_DIGITS), max = Count32::new(MAX_MRN_DIGITS), code = "out_of_range"))]
    pub digits: Count32,
    /// Check digit appended, if any (computed over the digits only).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub check_digit: Option<CheckDigit>,
}

impl MrnNamespace {
    /// Name of the store counter behind this namespace.
    pub fn counter_name(&self) -> String {
        format!("mrn:{}", self.facility)
    }

    /// The MRN identifier for sequence number `n` (1-based).
    pub fn mrn(&self, n: u64) -> Identifier {
        Identifier {
            system: self.system.clone(),
            value: self.format(n),
        }
    }

    /// The MRN for sequence number `n` (1-based).
    pub fn format(&self, n: u64) -> String {
        let width = usize::from(self.digits);
        let number = format!("{n:0width$}");
        let mut mrn = format!("{}{number}", self.prefix);
        if let Some(check) = self.check_digit.and_then(|cd| cd.compute(&number)) {
            mrn.push(check);
        }
        mrn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn namespace(prefix: &str, digits: u32, check_digit: Option<CheckDigit>) -> MrnNamespace {
        MrnNamespace {
            facility: "north".into(),
            system: "urn:carebase:mrn:north".into(),
            prefix: prefix.into(),
            digits: Count32::new(digits),
            check_digit,
        }
    }

    #[test]
    fn format_zero_pads_after_the_prefix() {
        assert_eq!(namespace("N", 6, None).format(42), "N000042");
    }

    #[test]
    fn format_without_prefix_is_just_the_padded_number() {
        assert_eq!(namespace("", 4, None).format(7), "0007");
    }

    #[test]
    fn format_keeps_numbers_longer_than_the_minimum_width() {
        assert_eq!(namespace("N", 3, None).format(123_456), "N123456");
    }

    #[test]
    fn format_with_zero_digits_prints_the_bare_number() {
        assert_eq!(namespace("X", 0, None).format(0), "X0");
    }

    #[test]
    fn format_appends_luhn_check_digit_over_the_digits_only() {
        let mrn = namespace("N", 10, Some(CheckDigit::Luhn)).format(7_992_739_871);
        assert_eq!(mrn, "N79927398713");
        assert!(CheckDigit::Luhn.is_valid(&mrn[1..]));
    }

    #[test]
    fn format_appends_verhoeff_check_digit_over_the_digits_only() {
        let mrn = namespace("S-", 3, Some(CheckDigit::Verhoeff)).format(236);
        assert_eq!(mrn, "S-2363");
    }

    #[test]
    fn every_formatted_mrn_passes_its_check_digit() {
        let ns = namespace("N", 6, Some(CheckDigit::Verhoeff));
        for n in 1..500 {
            let mrn = ns.format(n);
            assert!(CheckDigit::Verhoeff.is_valid(&mrn[1..]));
        }
    }

    #[test]
    fn counter_name_uses_the_facility() {
        assert_eq!(namespace("N", 6, None).counter_name(), "mrn:north");
    }
}
