//! Identifier systems (which check digit they require) and MRN namespaces.

use serde::{Deserialize, Serialize};

use super::CheckDigit;

/// Rules for one identifier system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentifierSystem {
    /// The system URI.
    pub system: String,
    /// Check digit every value must carry, if any.
    #[serde(default)]
    pub check_digit: Option<CheckDigit>,
}

/// How MRNs are generated for one facility: `prefix` + zero-padded counter
/// (+ check digit of the system, if it has one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MrnNamespace {
    /// Facility code, e.g. `north`.
    pub facility: String,
    /// Identifier system the MRNs belong to.
    pub system: String,
    /// Text before the number, e.g. `N`.
    #[serde(default)]
    pub prefix: String,
    /// Minimum number of digits (zero-padded).
    pub digits: u32,
    /// Check digit appended, if any (computed over the digits only).
    #[serde(default)]
    pub check_digit: Option<CheckDigit>,
}

impl MrnNamespace {
    /// Name of the store counter behind this namespace.
    pub fn counter_name(&self) -> String {
        format!("mrn:{}", self.facility)
    }

    /// The MRN for sequence number `n` (1-based).
    pub fn format(&self, n: u64) -> String {
        let width = usize::try_from(self.digits).unwrap_or(0);
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
            digits,
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
