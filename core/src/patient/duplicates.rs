//! Duplicate scoring: a 0–1 score with a per-field breakdown, so a person
//! can see why two records look like the same patient.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use strsim::jaro_winkler;

use super::normalize::{fold, search_keys};
use super::{Patient, PatientDetails};

/// One field's contribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FieldScore {
    /// Similarity of this field, 0–1 (`None`: a side lacks the field).
    pub similarity: Option<f64>,
    /// Weight of this field in the total.
    pub weight: f64,
}

/// Similarity per field and the weighted total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DuplicateScore {
    /// Weighted total, 0–1.
    pub total: f64,
    /// Names (Jaro-Winkler over folded family + given names).
    pub name: FieldScore,
    /// Birth date (exact 1, day/month swapped or one digit off less).
    pub birth_date: FieldScore,
    /// Any shared phone key.
    pub phone: FieldScore,
    /// Any shared email key.
    pub email: FieldScore,
    /// Any shared identifier (same system and value: 1).
    pub identifier: FieldScore,
}

/// A possible duplicate of a patient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DuplicateCandidate {
    /// The other record (masked for the reader like any read).
    pub patient: Patient,
    /// Why it looks the same.
    pub score: DuplicateScore,
}

/// Weight of the name in the total.
const NAME_WEIGHT: f64 = 0.35;
/// Weight of the birth date in the total.
const BIRTH_DATE_WEIGHT: f64 = 0.30;
/// Weight of a shared phone in the total.
const PHONE_WEIGHT: f64 = 0.10;
/// Weight of a shared email in the total.
const EMAIL_WEIGHT: f64 = 0.10;
/// Weight of a shared identifier in the total.
const IDENTIFIER_WEIGHT: f64 = 0.15;

/// Folded `"family given…"` of every name that has any letters.
fn folded_names(details: &PatientDetails) -> Vec<String> {
    details
        .names
        .iter()
        .map(|n| {
            let parts: Vec<&str> = n
                .family
                .iter()
                .chain(&n.given)
                .map(String::as_str)
                .collect();
            fold(&parts.join(" "))
        })
        .filter(|n| !n.is_empty())
        .collect()
}

/// Best Jaro-Winkler similarity over all pairs of names (symmetric).
fn name_similarity(a: &PatientDetails, b: &PatientDetails) -> Option<f64> {
    let (a, b) = (folded_names(a), folded_names(b));
    a.iter()
        .flat_map(|x| {
            b.iter()
                .map(move |y| jaro_winkler(x, y).max(jaro_winkler(y, x)))
        })
        .reduce(f64::max)
}

/// 1 exact, 0.6 day and month swapped, 0.4 same year and month or one
/// digit of `YYYYMMDD` off, otherwise 0.
fn birth_date_similarity(a: &PatientDetails, b: &PatientDetails) -> Option<f64> {
    let (a, b) = (a.birth_date?, b.birth_date?);
    let swapped = a.year() == b.year() && a.day() == b.month() && a.month() == b.day();
    let digits = |d: NaiveDate| d.format("%Y%m%d").to_string();
    let (da, db) = (digits(a), digits(b));
    let one_digit_off =
        da.len() == db.len() && da.chars().zip(db.chars()).filter(|(x, y)| x != y).count() == 1;
    Some(if a == b {
        1.0
    } else if swapped {
        0.6
    } else if (a.year() == b.year() && a.month() == b.month()) || one_digit_off {
        0.4
    } else {
        0.0
    })
}

/// 1 when the key sets meet, 0 when not, `None` when either is empty.
fn shared<T: PartialEq>(a: &[T], b: &[T]) -> Option<f64> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    Some(if a.iter().any(|x| b.contains(x)) {
        1.0
    } else {
        0.0
    })
}

/// Trimmed `(system, value)` pairs with both parts present.
fn identifier_keys(details: &PatientDetails) -> Vec<(&str, &str)> {
    details
        .identifiers
        .iter()
        .map(|i| (i.system.trim(), i.value.trim()))
        .filter(|(s, v)| !s.is_empty() && !v.is_empty())
        .collect()
}

/// Scores how likely `a` and `b` describe the same person; phones compare
/// by their keys under the clinic's `phone_region`.
pub fn score(a: &PatientDetails, b: &PatientDetails, phone_region: Option<&str>) -> DuplicateScore {
    let (ka, kb) = (search_keys(a, phone_region), search_keys(b, phone_region));
    let field = |similarity: Option<f64>, weight: f64| FieldScore { similarity, weight };
    let name = field(name_similarity(a, b), NAME_WEIGHT);
    let birth_date = field(birth_date_similarity(a, b), BIRTH_DATE_WEIGHT);
    let phone = field(shared(&ka.phones, &kb.phones), PHONE_WEIGHT);
    let email = field(shared(&ka.emails, &kb.emails), EMAIL_WEIGHT);
    let identifier = field(
        shared(&identifier_keys(a), &identifier_keys(b)),
        IDENTIFIER_WEIGHT,
    );
    let sum: f64 = [&name, &birth_date, &phone, &email, &identifier]
        .iter()
        .map(|f| f.weight * f.similarity.unwrap_or(0.0))
        .sum();
    let total = (sum.clamp(0.0, 1.0) * 10_000.0).round() / 10_000.0;
    DuplicateScore {
        total,
        name,
        birth_date,
        phone,
        email,
        identifier,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::patient::{ContactPoint, ContactSystem, HumanName, Identifier};

    fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    fn person(family: &str, given: &str, birth: Option<NaiveDate>) -> PatientDetails {
        PatientDetails {
            names: vec![HumanName {
                family: Some(family.into()),
                given: vec![given.into()],
                ..HumanName::default()
            }],
            birth_date: birth,
            ..PatientDetails::default()
        }
    }

    fn with_contact(mut d: PatientDetails, system: ContactSystem, value: &str) -> PatientDetails {
        d.telecom.push(ContactPoint {
            system,
            value: value.into(),
            usage: None,
        });
        d
    }

    fn with_id(mut d: PatientDetails, system: &str, value: &str) -> PatientDetails {
        d.identifiers.push(Identifier {
            system: system.into(),
            value: value.into(),
        });
        d
    }

    fn birth_sim(a: Option<NaiveDate>, b: Option<NaiveDate>) -> Option<f64> {
        score(&person("a", "b", a), &person("a", "b", b), None)
            .birth_date
            .similarity
    }

    #[test]
    fn weights_sum_to_one() {
        let s = score(&PatientDetails::default(), &PatientDetails::default(), None);
        let sum = s.name.weight
            + s.birth_date.weight
            + s.phone.weight
            + s.email.weight
            + s.identifier.weight;
        assert!((sum - 1.0).abs() < 1e-12);
    }

    #[test]
    fn identical_records_score_one() {
        let a = person("Núñez", "José", date(1970, 3, 4));
        let a = with_contact(a, ContactSystem::Phone, "+1 555 0100");
        let a = with_contact(a, ContactSystem::Email, "jn@example.org");
        let a = with_id(a, "urn:mrn", "42");
        assert_eq!(score(&a, &a.clone(), None).total, 1.0);
    }

    #[test]
    fn accents_and_case_do_not_lower_the_name_similarity() {
        let a = person("NÚÑEZ", "José", None);
        let b = person("nunez", "jose", None);
        assert_eq!(score(&a, &b, None).name.similarity, Some(1.0));
    }

    #[test]
    fn best_name_pair_is_used() {
        let mut a = person("Smith", "Ann", None);
        a.names.push(HumanName {
            family: Some("Jones".into()),
            given: vec!["Ann".into()],
            ..HumanName::default()
        });
        let b = person("Jones", "Ann", None);
        assert_eq!(score(&a, &b, None).name.similarity, Some(1.0));
    }

    #[test]
    fn similar_names_score_between_zero_and_one() {
        let s = score(
            &person("Jonson", "Ann", None),
            &person("Johnson", "Ann", None),
            None,
        );
        let sim = s.name.similarity.unwrap_or(0.0);
        assert!(sim > 0.85 && sim < 1.0);
    }

    #[test]
    fn missing_field_has_no_similarity_and_contributes_nothing() {
        let a = person("Smith", "Ann", date(1980, 1, 2));
        let b = PatientDetails::default();
        let s = score(&a, &b, None);
        assert_eq!(s.name.similarity, None);
        assert_eq!(s.birth_date.similarity, None);
        assert_eq!(s.phone.similarity, None);
        assert_eq!(s.total, 0.0);
    }

    #[test]
    fn exact_birth_date_scores_one() {
        assert_eq!(birth_sim(date(1980, 1, 2), date(1980, 1, 2)), Some(1.0));
    }

    #[test]
    fn swapped_day_and_month_scores_point_six() {
        assert_eq!(birth_sim(date(1980, 3, 4), date(1980, 4, 3)), Some(0.6));
    }

    #[test]
    fn same_year_and_month_scores_point_four() {
        assert_eq!(birth_sim(date(1980, 3, 4), date(1980, 3, 27)), Some(0.4));
    }

    #[test]
    fn one_digit_off_birth_date_scores_point_four() {
        assert_eq!(birth_sim(date(1980, 3, 4), date(1986, 3, 4)), Some(0.4));
    }

    #[test]
    fn unrelated_birth_dates_score_zero() {
        assert_eq!(birth_sim(date(1980, 3, 4), date(1991, 7, 20)), Some(0.0));
    }

    #[test]
    fn shared_phone_key_scores_one_despite_formatting() {
        let a = with_contact(person("a", "b", None), ContactSystem::Phone, "555-0100");
        let b = with_contact(person("c", "d", None), ContactSystem::Phone, "(555) 0100");
        assert_eq!(score(&a, &b, None).phone.similarity, Some(1.0));
    }

    #[test]
    fn different_emails_score_zero() {
        let a = with_contact(person("a", "b", None), ContactSystem::Email, "a@x.org");
        let b = with_contact(person("a", "b", None), ContactSystem::Email, "b@x.org");
        assert_eq!(score(&a, &b, None).email.similarity, Some(0.0));
    }

    #[test]
    fn same_identifier_value_in_another_system_is_not_shared() {
        let a = with_id(person("a", "b", None), "urn:mrn", "42");
        let b = with_id(person("a", "b", None), "urn:ssn", "42");
        assert_eq!(score(&a, &b, None).identifier.similarity, Some(0.0));
    }

    #[test]
    fn total_is_the_weighted_sum_rounded_to_four_decimals() {
        let a = with_id(person("Smith", "Ann", date(1980, 3, 4)), "urn:mrn", "1");
        let b = with_id(person("Smith", "Ann", date(1980, 4, 3)), "urn:mrn", "2");
        // name 1.0 * 0.35 + birth date 0.6 * 0.30 + identifier 0 * 0.15
        assert_eq!(score(&a, &b, None).total, 0.53);
    }

    fn details() -> impl Strategy<Value = PatientDetails> {
        (
            prop::option::of("[A-Za-zé ]{0,8}"),
            prop::collection::vec("[A-Za-z]{0,6}", 0..3),
            prop::option::of((1900i32..2020, 1u32..13, 1u32..29)),
            prop::collection::vec("[0-9]{3,5}", 0..2),
            prop::collection::vec("[ab]@x\\.org", 0..2),
            prop::collection::vec(("[ab]", "[0-9]"), 0..2),
        )
            .prop_map(|(family, given, birth, phones, emails, ids)| {
                let mut d = PatientDetails {
                    names: vec![HumanName {
                        family,
                        given,
                        ..HumanName::default()
                    }],
                    birth_date: birth.and_then(|(y, m, day)| date(y, m, day)),
                    ..PatientDetails::default()
                };
                for p in phones {
                    d = with_contact(d, ContactSystem::Phone, &p);
                }
                for e in emails {
                    d = with_contact(d, ContactSystem::Email, &e);
                }
                for (s, v) in ids {
                    d = with_id(d, &s, &v);
                }
                d
            })
    }

    proptest! {
        #[test]
        fn score_is_symmetric_and_within_zero_and_one(a in details(), b in details()) {
            let (ab, ba) = (score(&a, &b, None), score(&b, &a, None));
            prop_assert_eq!(&ab, &ba);
            prop_assert!((0.0..=1.0).contains(&ab.total));
        }
    }
}
