//! Checks a code against the format of its code system, where the system
//! defines one: a LOINC code's mod-10 check digit, a SNOMED CT identifier's
//! partition and Verhoeff check digit, the shape of an ICD-10-CM code, the
//! digits of RxNorm and CVX, CPT's five characters. A code of any other
//! system is kept as given (only bounded): carebase cannot know its rules.
//!
//! Real records mix them (Synthea codes conditions and procedures in SNOMED
//! CT, medications in RxNorm, vaccines in CVX, observations in LOINC), so
//! the check goes by the coding's system URI, never by the field.

use crate::codes::code_enum;
use crate::error::FieldError;
use crate::limits::MAX_CODE_CHARS;
use crate::patient::CheckDigit;
use crate::validation::is_blank;

code_enum! {
    /// A code system whose codes carebase checks, by its FHIR system URI.
    pub enum CodeSystem {
        /// LOINC: laboratory and clinical observations.
        Loinc = "http://loinc.org",
        /// SNOMED CT: clinical findings, procedures, substances.
        SnomedCt = "http://snomed.info/sct",
        /// ICD-10-CM: diagnoses as US claims code them.
        Icd10Cm = "http://hl7.org/fhir/sid/icd-10-cm",
        /// RxNorm: clinical drugs.
        RxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm",
        /// CVX: vaccines administered.
        Cvx = "http://hl7.org/fhir/sid/cvx",
        /// CPT: procedures as US claims code them.
        Cpt = "http://www.ama-assn.org/go/cpt",
    }
}

/// The field-error code of a code whose check digit is wrong (the same as
/// an identifier's, `patient/validate.rs`).
pub const CHECK_DIGIT: &str = "check_digit";

/// Checks `code` against the format of `system` (a FHIR system URI), on
/// `field`: `required` when blank, `too_long` past
/// [`MAX_CODE_CHARS`], `invalid_format` for control characters or a shape
/// the system does not use, [`CHECK_DIGIT`] for a wrong check digit. A code
/// of a system not in [`CodeSystem`] passes once bounded.
pub fn check_code(field: &str, system: &str, code: &str) -> Result<(), FieldError> {
    if is_blank(code) {
        return Err(FieldError::new(field, "required", "must not be blank"));
    }
    if code.chars().count() > MAX_CODE_CHARS {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("at most {MAX_CODE_CHARS} characters"),
        ));
    }
    if code.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "invalid_format",
            "must not contain control characters",
        ));
    }
    let Some(system) = CodeSystem::parse(system) else {
        return Ok(());
    };
    let format = |message: &'static str| Err(FieldError::new(field, "invalid_format", message));
    let check_digit = |message: &'static str| Err(FieldError::new(field, CHECK_DIGIT, message));
    match system {
        CodeSystem::Loinc => {
            let Some((number, check)) = code.split_once('-') else {
                return format("a LOINC code is digits, a hyphen and a check digit");
            };
            if !digits(number, 1, 7) || !digits(check, 1, 1) {
                return format("a LOINC code is digits, a hyphen and a check digit");
            }
            // LOINC's mod-10 check digit is Luhn's over the number.
            if !CheckDigit::Luhn.is_valid(&format!("{number}{check}")) {
                return check_digit("fails the LOINC check digit");
            }
            Ok(())
        }
        CodeSystem::SnomedCt => {
            if !digits(code, 6, 18) || code.starts_with('0') {
                return format("a SNOMED CT identifier is 6 to 18 digits");
            }
            // The partition identifier, the two digits before the check
            // digit: 0 or 1 (short or namespaced form), then 0 (a concept).
            let partition = &code[code.len() - 3..code.len() - 1];
            if !matches!(partition, "00" | "10") {
                return format("not a SNOMED CT concept identifier");
            }
            if !CheckDigit::Verhoeff.is_valid(code) {
                return check_digit("fails the SNOMED CT check digit");
            }
            Ok(())
        }
        CodeSystem::Icd10Cm => {
            if is_icd10_cm(code) {
                Ok(())
            } else {
                format(
                    "an ICD-10-CM code is a letter, two characters and up to four more after a dot",
                )
            }
        }
        CodeSystem::RxNorm => {
            if digits(code, 1, 10) {
                Ok(())
            } else {
                format("an RxNorm code is digits")
            }
        }
        CodeSystem::Cvx => {
            if digits(code, 1, 3) {
                Ok(())
            } else {
                format("a CVX code is one to three digits")
            }
        }
        CodeSystem::Cpt => {
            let bytes = code.as_bytes();
            let ok = bytes.len() == 5
                && bytes[..4].iter().all(u8::is_ascii_digit)
                && (bytes[4].is_ascii_digit() || bytes[4].is_ascii_uppercase());
            if ok {
                Ok(())
            } else {
                format("a CPT code is four digits and a digit or letter")
            }
        }
    }
}

/// Whether `text` is `min` to `max` ASCII digits.
fn digits(text: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

/// A letter, a digit, a digit or letter (`C4A`), then up to four digits or
/// letters, after a dot or not (`E11.9`, `S72001A`).
fn is_icd10_cm(code: &str) -> bool {
    let bytes = code.as_bytes();
    let category = bytes.len() >= 3
        && bytes[0].is_ascii_uppercase()
        && bytes[1].is_ascii_digit()
        && (bytes[2].is_ascii_digit() || bytes[2].is_ascii_uppercase());
    if !category {
        return false;
    }
    let rest = &code[3..];
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    let dotted = code.len() > 3 && code.as_bytes()[3] == b'.';
    let min = usize::from(dotted);
    (min..=4).contains(&rest.len())
        && rest
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(system: CodeSystem, code: &str) -> Result<(), String> {
        check_code("code", system.as_str(), code).map_err(|e| e.code)
    }

    #[test]
    fn a_loinc_code_with_its_check_digit_passes_and_a_wrong_one_is_refused() {
        assert_eq!(code_of(CodeSystem::Loinc, "8867-4"), Ok(()));
        assert_eq!(code_of(CodeSystem::Loinc, "2339-0"), Ok(()));
        assert_eq!(
            code_of(CodeSystem::Loinc, "8867-5"),
            Err(CHECK_DIGIT.into())
        );
        assert_eq!(
            code_of(CodeSystem::Loinc, "88674"),
            Err("invalid_format".into())
        );
    }

    #[test]
    fn a_snomed_concept_id_with_its_verhoeff_digit_passes_and_a_wrong_one_is_refused() {
        assert_eq!(code_of(CodeSystem::SnomedCt, "44054006"), Ok(()));
        assert_eq!(
            code_of(CodeSystem::SnomedCt, "44054007"),
            Err(CHECK_DIGIT.into())
        );
    }

    #[test]
    fn a_snomed_description_id_is_not_a_concept() {
        // Partition 01: a description identifier.
        let payload = "1234501";
        let check = CheckDigit::Verhoeff.compute(payload).unwrap();
        let id = format!("{payload}{check}");
        assert_eq!(
            code_of(CodeSystem::SnomedCt, &id),
            Err("invalid_format".into())
        );
    }

    #[test]
    fn icd10_cm_codes_take_a_dot_or_none() {
        for good in ["E11.9", "E119", "I10", "S72.001A", "C4A.0", "U07.1"] {
            assert_eq!(code_of(CodeSystem::Icd10Cm, good), Ok(()), "{good}");
        }
        for bad in ["e11.9", "E1", "E11.", "E11.12345", "11.9", "E11-9"] {
            assert_eq!(
                code_of(CodeSystem::Icd10Cm, bad),
                Err("invalid_format".into()),
                "{bad}"
            );
        }
    }

    #[test]
    fn rxnorm_and_cvx_codes_are_digits() {
        assert_eq!(code_of(CodeSystem::RxNorm, "313782"), Ok(()));
        assert_eq!(
            code_of(CodeSystem::RxNorm, "31378x"),
            Err("invalid_format".into())
        );
        assert_eq!(code_of(CodeSystem::Cvx, "140"), Ok(()));
        assert_eq!(
            code_of(CodeSystem::Cvx, "1400"),
            Err("invalid_format".into())
        );
    }

    #[test]
    fn cpt_codes_are_five_characters() {
        assert_eq!(code_of(CodeSystem::Cpt, "99213"), Ok(()));
        assert_eq!(code_of(CodeSystem::Cpt, "0001F"), Ok(()));
        assert_eq!(
            code_of(CodeSystem::Cpt, "9921"),
            Err("invalid_format".into())
        );
    }

    #[test]
    fn a_code_of_an_unknown_system_is_kept_as_given_once_bounded() {
        assert!(check_code("code", "urn:example:local", "anything goes").is_ok());
        let long = "x".repeat(MAX_CODE_CHARS + 1);
        assert_eq!(
            check_code("code", "urn:x", &long).unwrap_err().code,
            "too_long"
        );
        assert_eq!(
            check_code("code", "urn:x", " ").unwrap_err().code,
            "required"
        );
    }
}
