//! Normalization for search and matching: the ONE place that decides how
//! names fold ("José" → "jose"), phones and emails compare.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use super::phone::{self, PhoneNumber};
use super::{ContactSystem, PatientDetails};

/// Keys a store indexes for one patient, computed here so every backend
/// searches exactly the same way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchKeys {
    /// Folded name tokens (family and given, each word), deduplicated, sorted.
    pub name_tokens: Vec<String>,
    /// Phone keys, deduplicated, sorted.
    pub phones: Vec<String>,
    /// Email keys, deduplicated, sorted.
    pub emails: Vec<String>,
}

/// Letters that NFD does not decompose, spelled in plain ASCII.
fn special_fold(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'ø' => "o",
        'æ' => "ae",
        'œ' => "oe",
        'ł' => "l",
        'đ' | 'ð' => "d",
        'þ' => "th",
        'ħ' => "h",
        'ı' => "i",
        'ŀ' => "l",
        'ŧ' => "t",
        'ĸ' => "k",
        _ => return None,
    })
}

/// Lowercase, strip accents (NFD minus combining marks), keep letters/digits,
/// turn other characters into spaces. `"  José-María "` → `"jose maria"`.
pub fn fold(text: &str) -> String {
    let mut spaced = String::with_capacity(text.len());
    for c in text.to_lowercase().nfd().filter(|c| !is_combining_mark(*c)) {
        if let Some(plain) = special_fold(c) {
            spaced.push_str(plain);
        } else if c.is_alphanumeric() {
            spaced.push(c);
        } else {
            spaced.push(' ');
        }
    }
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Words of [`fold`]: `"José-María"` → `["jose", "maria"]`.
pub fn fold_words(text: &str) -> Vec<String> {
    fold(text)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Characters a typed phone number may hold: digits, spaces and `+-().`,
/// the `+` only in front. Letters (vanity numbers, `ext.`) are not numbers.
pub fn is_phone_text(phone: &str) -> bool {
    let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
    let after_plus = phone.trim_start().strip_prefix('+').unwrap_or(phone);
    phone.chars().all(allowed) && !after_plus.contains('+')
}

/// The number libphonenumber reads in `phone`: one in international form
/// (`+44 20 7946 0000`) always, one in national form (`020 7946 0000`)
/// only with the clinic's `region` (ISO 3166 alpha-2, e.g. `GB`). `None`
/// for text that is not a phone number (see [`is_phone_text`]). Read from
/// libphonenumber's metadata by core's own table (see `phone`), with the
/// answers the `phonenumber` crate gives.
pub(crate) fn parse_phone(phone: &str, region: Option<&str>) -> Option<PhoneNumber> {
    if !is_phone_text(phone) {
        return None;
    }
    phone::parse(phone, region)
}

/// Whether `number` has a length its country's numbers have (libphonenumber's
/// "possible number", local-only lengths such as the US 7 included). Strict
/// validity is not asked: it rejects fictional test ranges (`555 0100`) and
/// any range opened after the metadata shipped, and a clinic must be able to
/// write down the number a patient gives.
pub(crate) fn is_possible_phone(number: &PhoneNumber) -> bool {
    number.is_possible()
}

/// Digits a phone key needs at least.
const MIN_PHONE_DIGITS: usize = 4;

/// Phone key, the same for every spelling of one number: the E.164 form
/// (`+15550100`) when libphonenumber reads the number (international form,
/// or national form with the clinic's `region`); otherwise, for a national
/// number and no region, its digits (`5550100`). `None` under 4 digits.
/// With `region = "US"`, `+1 555 0100` and `555-0100` share `+15550100`.
pub fn phone_key(phone: &str, region: Option<&str>) -> Option<String> {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if digits < MIN_PHONE_DIGITS {
        return None;
    }
    PhoneReading::of(phone, region).key()
}

/// A typed phone number read by libphonenumber ONCE: validation asks it
/// whether the number is acceptable and takes its search key from the same
/// reading, so a registration parses each phone once, not twice (parsing
/// is most of what carebase's own rules cost a registration).
pub(crate) struct PhoneReading<'a> {
    text: &'a str,
    number: Option<PhoneNumber>,
}

impl<'a> PhoneReading<'a> {
    /// Reads `phone` as [`parse_phone`] does.
    pub(crate) fn of(phone: &'a str, region: Option<&str>) -> Self {
        Self {
            text: phone,
            number: parse_phone(phone, region),
        }
    }

    /// The number libphonenumber read, if it read one.
    pub(crate) fn number(&self) -> Option<&PhoneNumber> {
        self.number.as_ref()
    }

    /// The [`phone_key`] of the text read.
    pub(crate) fn key(&self) -> Option<String> {
        let digits: String = self.text.chars().filter(char::is_ascii_digit).collect();
        if digits.len() < MIN_PHONE_DIGITS {
            return None;
        }
        if let Some(number) = &self.number {
            return Some(number.e164());
        }
        if self.text.trim_start().starts_with('+') {
            Some(format!("+{digits}"))
        } else {
            Some(digits)
        }
    }
}

/// Email key: trimmed and lowercased; `None` when it has no `@`.
pub fn email_key(email: &str) -> Option<String> {
    let trimmed = email.trim();
    trimmed.contains('@').then(|| trimmed.to_lowercase())
}

/// Sorts and removes repeats.
fn sorted_unique(mut keys: Vec<String>) -> Vec<String> {
    keys.sort();
    keys.dedup();
    keys
}

/// Every key a store indexes for `details`; `phone_region` is the clinic's
/// (see [`phone_key`]).
pub fn search_keys(details: &PatientDetails, phone_region: Option<&str>) -> SearchKeys {
    let phones = details
        .telecom
        .iter()
        .filter(|c| c.system == ContactSystem::Phone)
        .filter_map(|c| phone_key(&c.value, phone_region))
        .collect();
    search_keys_with_phones(details, phones)
}

/// [`search_keys`] with the phone keys already read (by validation, see
/// [`PhoneReading`]).
pub(crate) fn search_keys_with_phones(details: &PatientDetails, phones: Vec<String>) -> SearchKeys {
    let name_tokens = details
        .names
        .iter()
        .flat_map(|name| name.family.iter().chain(name.given.iter()))
        .flat_map(|part| fold_words(part))
        .collect();
    let emails = details
        .telecom
        .iter()
        .filter(|c| c.system == ContactSystem::Email)
        .filter_map(|c| email_key(&c.value))
        .collect();
    SearchKeys {
        name_tokens: sorted_unique(name_tokens),
        phones: sorted_unique(phones),
        emails: sorted_unique(emails),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patient::{ContactPoint, HumanName};

    fn contact(system: ContactSystem, value: &str) -> ContactPoint {
        ContactPoint {
            system,
            value: value.into(),
            usage: None,
        }
    }

    fn name(family: &str, given: &[&str]) -> HumanName {
        HumanName {
            family: Some(family.into()),
            given: given.iter().map(|g| (*g).to_owned()).collect(),
            ..HumanName::default()
        }
    }

    #[test]
    fn jose_folds_to_match_jose_with_accent() {
        assert_eq!(fold("José"), fold("Jose"));
        assert_eq!(fold("JOSÉ"), "jose");
    }

    #[test]
    fn fold_turns_punctuation_into_single_spaces_and_trims() {
        assert_eq!(fold("  José-María "), "jose maria");
        assert_eq!(fold("O'Brien,  Jr."), "o brien jr");
    }

    #[test]
    fn fold_maps_letters_nfd_does_not_decompose() {
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("Øster Ærø"), "oster aero");
        assert_eq!(fold("Łukasz Đorđević"), "lukasz dordevic");
    }

    #[test]
    fn fold_strips_accents_from_many_scripts() {
        assert_eq!(
            fold("Zoë Ångström Čapek Nguyễn"),
            "zoe angstrom capek nguyen"
        );
    }

    #[test]
    fn fold_keeps_digits_and_non_latin_letters() {
        assert_eq!(fold("Room 12b"), "room 12b");
        assert_eq!(fold("李 小龍"), "李 小龍");
    }

    #[test]
    fn fold_of_only_punctuation_is_empty() {
        assert_eq!(fold(" -.,' "), "");
        assert!(fold_words(" -- ").is_empty());
    }

    #[test]
    fn fold_words_splits_hyphenated_names() {
        assert_eq!(fold_words("José-María"), ["jose", "maria"]);
    }

    #[test]
    fn phone_key_keeps_digits_and_a_leading_plus() {
        assert_eq!(
            phone_key(" +1 (555) 010-0199", None).as_deref(),
            Some("+15550100199")
        );
        assert_eq!(
            phone_key("555.010.0199", None).as_deref(),
            Some("5550100199")
        );
    }

    #[test]
    fn phone_key_of_an_international_number_is_its_e164_form() {
        assert_eq!(
            phone_key("+44 (0)20 7946 0000", None).as_deref(),
            Some("+442079460000")
        );
        assert_eq!(
            phone_key("+39 06 1234 5678", None).as_deref(),
            Some("+390612345678")
        );
    }

    #[test]
    fn with_a_region_both_spellings_of_one_number_share_the_e164_key() {
        let us = Some("US");
        assert_eq!(phone_key("+1 555 0100", us).as_deref(), Some("+15550100"));
        assert_eq!(phone_key("555-0100", us).as_deref(), Some("+15550100"));
        assert_eq!(phone_key("+1 555 0100", None).as_deref(), Some("+15550100"));
        let gb = Some("GB");
        assert_eq!(
            phone_key("020 7946 0000", gb),
            phone_key("+44 20 7946 0000", None)
        );
    }

    #[test]
    fn without_a_region_a_national_number_keys_on_its_digits() {
        assert_eq!(phone_key("555-0100", None).as_deref(), Some("5550100"));
        assert_eq!(phone_key("(555) 0100", None).as_deref(), Some("5550100"));
    }

    #[test]
    fn possible_lengths_accept_fictional_and_local_numbers_but_not_stubs() {
        let possible =
            |p: &str, r: Option<&str>| parse_phone(p, r).is_some_and(|n| is_possible_phone(&n));
        assert!(possible("+1 555 0100", None));
        assert!(possible("+1 (555) 010-0199", None));
        assert!(possible("555-0100", Some("US")));
        assert!(possible("+44 20 7946 0000", None));
        assert!(!possible("+1 23", None));
        assert!(!possible("1234", Some("US")));
        assert!(!possible("+1 5550100999999999", None));
        assert!(!possible("+999 1234567", None));
    }

    #[test]
    fn phone_key_ignores_a_plus_that_is_not_leading() {
        assert_eq!(phone_key("555+0100", None).as_deref(), Some("5550100"));
    }

    #[test]
    fn phone_key_is_none_under_four_digits() {
        assert_eq!(phone_key("+123", None), None);
        assert_eq!(phone_key("abc", None), None);
        assert_eq!(phone_key("1234", None).as_deref(), Some("1234"));
    }

    #[test]
    fn email_key_trims_and_lowercases() {
        assert_eq!(
            email_key("  Ana@Example.ORG ").as_deref(),
            Some("ana@example.org")
        );
    }

    #[test]
    fn email_key_is_none_without_at_sign() {
        assert_eq!(email_key("ana.example.org"), None);
    }

    #[test]
    fn search_keys_collect_sorted_unique_name_tokens_from_every_name() {
        let details = PatientDetails {
            names: vec![
                name("García-López", &["José María"]),
                name("GARCIA", &["Pepe"]),
            ],
            ..PatientDetails::default()
        };
        let keys = search_keys(&details, None);
        assert_eq!(
            keys.name_tokens,
            ["garcia", "jose", "lopez", "maria", "pepe"]
        );
    }

    #[test]
    fn search_keys_ignore_name_prefixes_and_suffixes() {
        let mut n = name("Smith", &["Ann"]);
        n.prefix = vec!["Dr".into()];
        n.suffix = vec!["PhD".into()];
        let details = PatientDetails {
            names: vec![n],
            ..PatientDetails::default()
        };
        assert_eq!(search_keys(&details, None).name_tokens, ["ann", "smith"]);
    }

    #[test]
    fn search_keys_split_telecom_into_sorted_unique_phones_and_emails() {
        let details = PatientDetails {
            telecom: vec![
                contact(ContactSystem::Phone, "555 0100"),
                contact(ContactSystem::Email, "B@x.org"),
                contact(ContactSystem::Phone, "+44 20 7946 0000"),
                contact(ContactSystem::Phone, "555-0100"),
                contact(ContactSystem::Email, "a@x.org"),
                contact(ContactSystem::Email, "b@X.org "),
                contact(ContactSystem::Phone, "12"),
            ],
            ..PatientDetails::default()
        };
        let keys = search_keys(&details, None);
        assert_eq!(keys.phones, ["+442079460000", "5550100"]);
        assert_eq!(keys.emails, ["a@x.org", "b@x.org"]);
        assert!(keys.name_tokens.is_empty());
    }

    #[test]
    fn search_keys_of_empty_details_are_empty() {
        assert_eq!(
            search_keys(&PatientDetails::default(), None),
            SearchKeys::default()
        );
    }
}
