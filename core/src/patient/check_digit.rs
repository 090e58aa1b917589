//! Check-digit algorithms an identifier system can require.

use crate::codes::code_enum;

code_enum! {
    /// A check-digit scheme; the last character of the value is the check digit.
    pub enum CheckDigit {
        /// Luhn mod 10 (digits only).
        Luhn = "luhn",
        /// Verhoeff dihedral-group scheme (digits only; catches all transpositions).
        Verhoeff = "verhoeff",
    }
}

/// Verhoeff multiplication table of the dihedral group D5.
const VERHOEFF_D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];

/// Verhoeff position permutation table.
const VERHOEFF_P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/// Verhoeff inverse table.
const VERHOEFF_INV: [u8; 10] = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

/// The digits of `text` as numbers, or `None` if it is empty or has a non-digit.
fn digits(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() {
        return None;
    }
    text.chars()
        .map(|c| c.to_digit(10).and_then(|d| u8::try_from(d).ok()))
        .collect()
}

/// Luhn sum of `digits` read right to left, doubling every position where
/// `(index + offset)` is odd.
fn luhn_sum(digits: &[u8], offset: usize) -> u32 {
    digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if (i + offset) % 2 == 1 {
                let twice = d * 2;
                if twice > 9 {
                    twice - 9
                } else {
                    twice
                }
            } else {
                d
            }
        })
        .sum()
}

/// Verhoeff running check over `digits` read right to left, positions
/// shifted by `offset`.
fn verhoeff_check(digits: &[u8], offset: usize) -> u8 {
    digits.iter().rev().enumerate().fold(0u8, |c, (i, &d)| {
        let permuted = VERHOEFF_P[(i + offset) % 8][usize::from(d)];
        VERHOEFF_D[usize::from(c)][usize::from(permuted)]
    })
}

impl CheckDigit {
    /// Whether `value` (payload followed by its check digit) is valid.
    pub fn is_valid(&self, value: &str) -> bool {
        let Some(digits) = digits(value) else {
            return false;
        };
        if digits.len() < 2 {
            return false;
        }
        match self {
            CheckDigit::Luhn => luhn_sum(&digits, 0) % 10 == 0,
            CheckDigit::Verhoeff => verhoeff_check(&digits, 0) == 0,
        }
    }

    /// The check digit to append to `payload` (digits only), or `None` when
    /// the payload is empty or has a non-digit.
    pub fn compute(&self, payload: &str) -> Option<char> {
        let digits = digits(payload)?;
        let check = match self {
            CheckDigit::Luhn => {
                let rest = luhn_sum(&digits, 1) % 10;
                (10 - rest) % 10
            }
            CheckDigit::Verhoeff => {
                let c = verhoeff_check(&digits, 1);
                u32::from(VERHOEFF_INV[usize::from(c)])
            }
        };
        char::from_digit(check, 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn luhn_accepts_known_valid_number() {
        assert!(CheckDigit::Luhn.is_valid("79927398713"));
    }

    #[test]
    fn luhn_rejects_known_number_with_wrong_check_digit() {
        assert!(!CheckDigit::Luhn.is_valid("79927398710"));
    }

    #[test]
    fn luhn_computes_known_check_digit() {
        assert_eq!(CheckDigit::Luhn.compute("7992739871"), Some('3'));
    }

    #[test]
    fn verhoeff_accepts_known_valid_number() {
        assert!(CheckDigit::Verhoeff.is_valid("2363"));
    }

    #[test]
    fn verhoeff_rejects_known_invalid_number() {
        assert!(!CheckDigit::Verhoeff.is_valid("2364"));
    }

    #[test]
    fn verhoeff_computes_known_check_digit() {
        assert_eq!(CheckDigit::Verhoeff.compute("236"), Some('3'));
    }

    #[test]
    fn verhoeff_permutation_rows_are_successive_powers_of_the_first() {
        for row in 1..8 {
            let next: Vec<u8> = VERHOEFF_P[row - 1]
                .iter()
                .map(|&d| VERHOEFF_P[1][usize::from(d)])
                .collect();
            assert_eq!(next, VERHOEFF_P[row], "row {row}");
        }
    }

    #[test]
    fn verhoeff_detects_every_adjacent_transposition_at_every_position() {
        for (a, b) in (0..10).flat_map(|a| (0..10).map(move |b| (a, b))) {
            for pos in 0..9 {
                if a == b {
                    continue;
                }
                let mut digits = vec![b'0'; 10];
                digits[pos] = b'0' + a;
                digits[pos + 1] = b'0' + b;
                let payload = String::from_utf8_lossy(&digits).into_owned();
                let check = CheckDigit::Verhoeff.compute(&payload).unwrap_or('x');
                let mut swapped = digits.clone();
                swapped.swap(pos, pos + 1);
                let swapped = format!("{}{check}", String::from_utf8_lossy(&swapped));
                assert!(!CheckDigit::Verhoeff.is_valid(&swapped), "{a}{b} at {pos}");
            }
        }
    }

    #[test]
    fn is_valid_rejects_empty_non_digit_and_too_short_values() {
        for scheme in [CheckDigit::Luhn, CheckDigit::Verhoeff] {
            for value in [
                "",
                "0",
                "7",
                "79927398a13",
                " 2363",
                "2363 ",
                "-2363",
                "２３６３",
            ] {
                assert!(!scheme.is_valid(value), "{scheme:?} accepted a bad value");
            }
        }
    }

    #[test]
    fn compute_refuses_empty_or_non_digit_payload() {
        for scheme in [CheckDigit::Luhn, CheckDigit::Verhoeff] {
            assert_eq!(scheme.compute(""), None);
            assert_eq!(scheme.compute("12a"), None);
            assert_eq!(scheme.compute("+12"), None);
        }
    }

    #[test]
    fn check_digit_serializes_as_snake_case() {
        let json = serde_json::to_string(&CheckDigit::Verhoeff).ok();
        assert_eq!(json.as_deref(), Some("\"verhoeff\""));
    }

    proptest! {
        #[test]
        fn luhn_compute_then_is_valid_roundtrips(payload in "[0-9]{1,30}") {
            let check = CheckDigit::Luhn.compute(&payload);
            prop_assert!(check.is_some());
            let value = format!("{payload}{}", check.unwrap_or('x'));
            prop_assert!(CheckDigit::Luhn.is_valid(&value));
        }

        #[test]
        fn verhoeff_compute_then_is_valid_roundtrips(payload in "[0-9]{1,30}") {
            let check = CheckDigit::Verhoeff.compute(&payload);
            prop_assert!(check.is_some());
            let value = format!("{payload}{}", check.unwrap_or('x'));
            prop_assert!(CheckDigit::Verhoeff.is_valid(&value));
        }

        #[test]
        fn verhoeff_detects_every_single_digit_change(
            payload in "[0-9]{1,20}",
            pos in any::<prop::sample::Index>(),
            delta in 1u8..10,
        ) {
            let check = CheckDigit::Verhoeff.compute(&payload).unwrap_or('x');
            let mut value: Vec<u8> = format!("{payload}{check}").into_bytes();
            let i = pos.index(value.len());
            value[i] = b'0' + (value[i] - b'0' + delta) % 10;
            let changed = String::from_utf8(value).unwrap_or_default();
            prop_assert!(!CheckDigit::Verhoeff.is_valid(&changed));
        }

        #[test]
        fn verhoeff_detects_every_adjacent_transposition(
            payload in "[0-9]{1,20}",
            pos in any::<prop::sample::Index>(),
        ) {
            let check = CheckDigit::Verhoeff.compute(&payload).unwrap_or('x');
            let mut value: Vec<u8> = format!("{payload}{check}").into_bytes();
            let i = pos.index(value.len() - 1);
            prop_assume!(value[i] != value[i + 1]);
            value.swap(i, i + 1);
            let swapped = String::from_utf8(value).unwrap_or_default();
            prop_assert!(!CheckDigit::Verhoeff.is_valid(&swapped));
        }

        #[test]
        fn is_valid_never_panics_on_arbitrary_text(value in any::<String>()) {
            let _ = CheckDigit::Luhn.is_valid(&value);
            let _ = CheckDigit::Verhoeff.is_valid(&value);
        }
    }
}
