//! Validation of patient input: collects EVERY failing field, never the
//! first only, and never echoes the value in the message. The rules of each
//! struct's own fields are declared on the model (`validator`); this walks
//! the lists item by item and adds the rules across fields or settings.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use validator::ValidateEmail;

use super::normalize::{
    is_phone_text, is_possible_phone, search_keys_with_phones, PhoneReading, SearchKeys,
};
use super::{ContactPoint, ContactSystem, HumanName, PatientDetails};
use crate::limits::{
    MAX_ADDRESSES, MAX_ADDRESS_LINES, MAX_EMERGENCY_CONTACTS, MAX_GIVEN_NAMES, MAX_IDENTIFIERS,
    MAX_NAMES, MAX_NAME_PREFIXES, MAX_NAME_SUFFIXES, MAX_TELECOM, MAX_TEXT_CHARS,
};
use crate::settings::Settings;
use crate::validation::{is_blank, lines, Errors, Findings};
use crate::Result;

/// Longest text accepted in any single field (see [`MAX_TEXT_CHARS`]).
pub const MAX_TEXT: usize = MAX_TEXT_CHARS;

/// Digits a phone number may have (4 to 20); libphonenumber narrows it to
/// the lengths of the number's country when it can read the number.
const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 4..=20;

/// Checks each part of a name on `path`; true when it has a family or
/// given name that is not blank.
fn name(errors: &mut Errors, path: &str, name: &HumanName) -> bool {
    Findings::of(path, name).rest(errors);
    let lists = [
        ("given", &name.given, MAX_GIVEN_NAMES, "given names"),
        ("prefix", &name.prefix, MAX_NAME_PREFIXES, "prefixes"),
        ("suffix", &name.suffix, MAX_NAME_SUFFIXES, "suffixes"),
    ];
    for (key, values, max, items) in lists {
        let field = format!("{path}.{key}");
        if errors.count(&field, values.len(), max, items) {
            lines(errors, &field, values, MAX_TEXT_CHARS);
        }
    }
    let readable = |s: &String| !is_blank(s);
    name.family.iter().any(readable) || name.given.iter().any(readable)
}

/// Checks a list of phones and emails: its count, then each on
/// `path[i].value`.
/// Answers the search keys of the phones it accepted, read once with
/// their check (see [`PhoneReading`]).
fn telecom(
    errors: &mut Errors,
    path: &str,
    telecom: &[ContactPoint],
    region: Option<&str>,
) -> Vec<String> {
    let mut phone_keys = Vec::new();
    if !errors.count(path, telecom.len(), MAX_TELECOM, "phones and emails") {
        return phone_keys;
    }
    for (i, contact) in telecom.iter().enumerate() {
        let item = format!("{path}[{i}]");
        let mut found = Findings::of(&item, contact);
        if found.take(errors, "value") {
            continue;
        }
        found.rest(errors);
        let value = contact.value.trim();
        let field = format!("{item}.value");
        match contact.system {
            ContactSystem::Phone => match read_phone(value, region) {
                Some(reading) => phone_keys.extend(reading.key()),
                None => errors.add(field, "invalid_format", "must be a phone number"),
            },
            ContactSystem::Email if !is_email(value) => {
                errors.add(field, "invalid_format", "must be an email address")
            }
            _ => {}
        }
    }
    phone_keys
}

/// Phone characters only (see [`is_phone_text`]) and 4–20 digits; then a
/// number libphonenumber reads must have a length its country uses, and one
/// it cannot read must be in national form with no clinic region to read
/// it by (it is then kept and searched by its digits). The reading of an
/// acceptable number, `None` for one that is not.
fn read_phone<'a>(value: &'a str, region: Option<&str>) -> Option<PhoneReading<'a>> {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    if !is_phone_text(value) || !PHONE_DIGITS.contains(&digits) {
        return None;
    }
    let reading = PhoneReading::of(value, region);
    let acceptable = match reading.number() {
        Some(number) => is_possible_phone(number),
        None => region.is_none() && !value.starts_with('+'),
    };
    acceptable.then_some(reading)
}

/// `validator`'s email syntax (HTML5 local part, IDNA domain), and a dotted
/// domain whose last label has two or more characters: a clinic's patients
/// have addresses on the internet, not on `localhost`.
fn is_email(value: &str) -> bool {
    let Some((_, domain)) = value.rsplit_once('@') else {
        return false;
    };
    let labels: Vec<&str> = domain.split('.').collect();
    value.validate_email()
        && labels.len() >= 2
        && labels.last().is_some_and(|tld| tld.chars().count() >= 2)
}

/// Identifiers: their count, their own fields, then no repeat of a system
/// and value, and the check digit their system requires.
fn identifiers(errors: &mut Errors, details: &PatientDetails, settings: &Settings) {
    let ids = &details.identifiers;
    if !errors.count("identifiers", ids.len(), MAX_IDENTIFIERS, "identifiers") {
        return;
    }
    let mut seen = HashSet::new();
    for (i, id) in details.identifiers.iter().enumerate() {
        let path = format!("identifiers[{i}]");
        let mut found = Findings::of(&path, id);
        let system_bad = found.take(errors, "system");
        let value_bad = found.take(errors, "value");
        found.rest(errors);
        if system_bad || value_bad {
            continue;
        }
        let field = format!("{path}.value");
        let (system, value) = (id.system.trim(), id.value.trim());
        if !seen.insert((system, value)) {
            errors.add(field, "duplicate", "repeats an earlier identifier");
            continue;
        }
        let scheme = settings
            .identifier_systems
            .iter()
            .find(|s| s.system == system)
            .and_then(|s| s.check_digit);
        if scheme.is_some_and(|scheme| !scheme.is_valid(value)) {
            errors.add(field, "check_digit", "fails the check digit of its system");
        }
    }
}

/// The birth date: not in the future, not before 1850.
fn birth(errors: &mut Errors, details: &PatientDetails, now: DateTime<Utc>) {
    let Some(birth) = details.birth_date else {
        return;
    };
    let earliest = NaiveDate::from_ymd_opt(1850, 1, 1).unwrap_or(NaiveDate::MIN);
    if birth > now.date_naive() {
        errors.add("birth_date", "in_future", "must not be in the future");
    } else if birth < earliest {
        errors.add("birth_date", "out_of_range", "must not be before 1850");
    }
}

/// The time of death: only when deceased, an instant every host holds, not
/// in the future, not before the birth date.
fn death(errors: &mut Errors, details: &PatientDetails, now: DateTime<Utc>) {
    let Some(died) = details.deceased_at else {
        return;
    };
    if !crate::instant::is_representable(died) {
        errors.push(crate::instant::out_of_range("deceased_at"));
    } else if !details.deceased {
        errors.add(
            "deceased_at",
            "inconsistent",
            "requires deceased to be true",
        );
    } else if died > now {
        errors.add("deceased_at", "in_future", "must not be in the future");
    } else if details
        .birth_date
        .is_some_and(|birth| died.date_naive() < birth)
    {
        errors.add(
            "deceased_at",
            "out_of_range",
            "must not be before the birth date",
        );
    }
}

/// Checks `details` against the rules at `now`, with the clinic's
/// identifier systems (check digits) and phone region from `settings`.
pub fn validate_details(
    details: &PatientDetails,
    now: DateTime<Utc>,
    settings: &Settings,
) -> Result<()> {
    validate_and_key(details, now, settings).map(drop)
}

/// [`validate_details`], answering the search keys of valid `details`
/// (what [`crate::patient::normalize::search_keys`] computes with the
/// clinic's phone region), each phone read once for both.
pub fn validate_and_key(
    details: &PatientDetails,
    now: DateTime<Utc>,
    settings: &Settings,
) -> Result<SearchKeys> {
    let region = settings.phone_region.as_deref();
    let mut errors = Errors::default();
    let mut found = Findings::of("", details);

    identifiers(&mut errors, details, settings);

    if errors.count("names", details.names.len(), MAX_NAMES, "names") {
        let mut has_name = false;
        for (i, n) in details.names.iter().enumerate() {
            has_name |= name(&mut errors, &format!("names[{i}]"), n);
        }
        if !has_name {
            errors.add("names", "required", "needs a family or given name");
        }
    }

    birth(&mut errors, details, now);

    let phone_keys = telecom(&mut errors, "telecom", &details.telecom, region);

    let addresses = &details.addresses;
    if errors.count("addresses", addresses.len(), MAX_ADDRESSES, "addresses") {
        for (i, address) in addresses.iter().enumerate() {
            let path = format!("addresses[{i}]");
            let field = format!("{path}.lines");
            if errors.count(
                &field,
                address.lines.len(),
                MAX_ADDRESS_LINES,
                "address lines",
            ) {
                lines(&mut errors, &field, &address.lines, MAX_TEXT_CHARS);
            }
            Findings::of(&path, address).rest(&mut errors);
        }
    }

    found.take(&mut errors, "language");

    let contacts = &details.emergency_contacts;
    let max = MAX_EMERGENCY_CONTACTS;
    if errors.count(
        "emergency_contacts",
        contacts.len(),
        max,
        "emergency contacts",
    ) {
        for (i, contact) in contacts.iter().enumerate() {
            let path = format!("emergency_contacts[{i}]");
            Findings::of(&path, contact).rest(&mut errors);
            if !name(&mut errors, &format!("{path}.name"), &contact.name) {
                errors.add(
                    format!("{path}.name"),
                    "required",
                    "needs a family or given name",
                );
            }
            telecom(
                &mut errors,
                &format!("{path}.telecom"),
                &contact.telecom,
                region,
            );
        }
    }

    death(&mut errors, details, now);
    found.rest(&mut errors);
    errors.finish()?;
    Ok(search_keys_with_phones(details, phone_keys))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    use super::*;
    use crate::error::FieldError;
    use crate::patient::normalize::search_keys;
    use crate::patient::{Address, CheckDigit, EmergencyContact, Identifier, IdentifierSystem};
    use crate::Error;

    const MRN: &str = "urn:carebase:mrn:north";

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 6, 15).unwrap_or_default()
    }

    fn now() -> DateTime<Utc> {
        today()
            .and_hms_opt(12, 0, 0)
            .map(|t| t.and_utc())
            .unwrap_or_default()
    }

    fn settings() -> Settings {
        let check_digit = Some(CheckDigit::Luhn);
        Settings {
            identifier_systems: vec![IdentifierSystem {
                system: MRN.into(),
                check_digit,
            }],
            ..Settings::default()
        }
    }

    fn name(family: &str, given: &str) -> HumanName {
        let (family, given) = (Some(family.into()), vec![given.into()]);
        HumanName {
            family,
            given,
            ..HumanName::default()
        }
    }

    fn contact(system: ContactSystem, value: &str) -> ContactPoint {
        ContactPoint {
            system,
            value: value.into(),
            usage: None,
        }
    }

    fn id(system: &str, value: &str) -> Identifier {
        Identifier {
            system: system.into(),
            value: value.into(),
        }
    }

    fn valid() -> PatientDetails {
        PatientDetails {
            identifiers: vec![id(MRN, "79927398713")],
            names: vec![name("Zapata", "Emiliana")],
            birth_date: NaiveDate::from_ymd_opt(1980, 2, 29),
            telecom: vec![
                contact(ContactSystem::Phone, "+1 (555) 010-0199"),
                contact(ContactSystem::Email, "emiliana@example.org"),
            ],
            addresses: vec![Address {
                lines: vec!["1 Main St".into()],
                ..Address::default()
            }],
            language: Some("es-MX".into()),
            emergency_contacts: vec![EmergencyContact {
                relationship: "spouse".into(),
                name: name("Zapata", "Ramon"),
                telecom: vec![contact(ContactSystem::Phone, "555 0100")],
            }],
            ..PatientDetails::default()
        }
    }

    fn field_errors(details: &PatientDetails) -> Vec<FieldError> {
        match validate_details(details, now(), &settings()) {
            Ok(()) => Vec::new(),
            Err(Error::Validation { fields }) => fields,
            Err(other) => panic!("unexpected error code {}", other.code()),
        }
    }

    /// The failures as `"field code"`, in order.
    fn failures(details: &PatientDetails) -> Vec<String> {
        let errors = field_errors(details);
        errors
            .into_iter()
            .map(|e| format!("{} {}", e.field, e.code))
            .collect()
    }

    #[test]
    fn complete_valid_details_pass() {
        assert_eq!(validate_details(&valid(), now(), &settings()), Ok(()));
    }

    #[test]
    fn reports_every_failing_field_at_once() {
        let mut d = valid();
        d.names[0].family = Some("x".repeat(MAX_TEXT + 1));
        d.telecom[1].value = "not-an-email".into();
        d.birth_date = NaiveDate::from_ymd_opt(2030, 1, 1);
        let errors = field_errors(&d);
        assert_eq!(errors.len(), 3);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["names[0].family", "birth_date", "telecom[1].value"]
        );
    }

    #[test]
    fn messages_never_contain_the_input_value() {
        let mut d = valid();
        d.names[0].given = vec!["Quetzal\u{7}cóatl".into()];
        d.telecom[0].value = "+1 555 Xochitl".into();
        d.telecom[1].value = "xochitl at example".into();
        d.identifiers = vec![id(MRN, "79927398710"), id(MRN, "79927398710")];
        d.language = Some("nahuatl_mx".into());
        d.addresses[0].city = Some("Tenochtitlan".repeat(30));
        let errors = field_errors(&d);
        assert_eq!(errors.len(), 7);
        let inputs = [
            "Quetzal",
            "Xochitl",
            "xochitl",
            "79927398710",
            "nahuatl",
            "Tenochtitlan",
        ];
        for e in &errors {
            assert!(inputs.iter().all(|v| !e.message.contains(v)), "{}", e.field);
            assert_eq!(e.message, e.message.to_lowercase());
            assert!(!e.message.ends_with('.'));
        }
    }

    /// One test: mutate a valid record, expect exactly these `"field code"`s.
    macro_rules! case {
        ($name:ident, |$d:ident| $mutate:expr, $expected:expr) => {
            #[test]
            fn $name() {
                let mut $d = valid();
                $mutate;
                let expected: &[&str] = &$expected;
                assert_eq!(failures(&$d), expected);
            }
        };
    }

    case!(names_are_required, |d| d.names.clear(), ["names required"]);
    case!(
        a_name_with_only_a_given_name_is_enough,
        |d| d.names[0].family = None,
        []
    );
    case!(
        blank_name_parts_are_required_and_do_not_count_as_a_name,
        |d| d.names = vec![name("  ", "")],
        [
            "names[0].family required",
            "names[0].given[0] required",
            "names required"
        ]
    );
    case!(
        text_longer_than_max_is_too_long,
        |d| d.addresses[0].lines[0] = "é".repeat(MAX_TEXT + 1),
        ["addresses[0].lines[0] too_long"]
    );
    case!(
        text_of_exactly_max_chars_is_accepted,
        |d| d.addresses[0].city = Some("é".repeat(MAX_TEXT)),
        []
    );
    case!(
        control_characters_are_invalid_format,
        |d| d.names[0].prefix = vec!["Dr\n".into()],
        ["names[0].prefix[0] invalid_format"]
    );
    case!(
        birth_date_in_the_future_is_rejected,
        |d| d.birth_date = today().succ_opt(),
        ["birth_date in_future"]
    );
    case!(
        birth_date_today_is_accepted,
        |d| d.birth_date = Some(today()),
        []
    );
    case!(
        birth_date_before_1850_is_out_of_range,
        |d| d.birth_date = NaiveDate::from_ymd_opt(1849, 12, 31),
        ["birth_date out_of_range"]
    );
    case!(
        birth_date_on_1850_01_01_is_accepted,
        |d| d.birth_date = NaiveDate::from_ymd_opt(1850, 1, 1),
        []
    );
    case!(
        deceased_at_without_deceased_is_inconsistent,
        |d| d.deceased_at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single(),
        ["deceased_at inconsistent"]
    );
    case!(
        deceased_at_with_deceased_is_accepted,
        |d| {
            d.deceased = true;
            d.deceased_at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single();
        },
        []
    );
    case!(
        identifier_system_and_value_are_required,
        |d| d.identifiers = vec![id(" ", "1"), id(MRN, "")],
        [
            "identifiers[0].system required",
            "identifiers[1].value required"
        ]
    );
    case!(
        repeated_identifier_is_duplicate,
        |d| d.identifiers.push(id(MRN, " 79927398713")),
        ["identifiers[1].value duplicate"]
    );
    case!(
        same_value_in_another_system_is_not_duplicate,
        |d| d.identifiers.push(id("urn:other", "79927398713")),
        []
    );
    case!(
        identifier_failing_its_systems_check_digit_is_rejected,
        |d| d.identifiers = vec![id(MRN, "79927398710")],
        ["identifiers[0].value check_digit"]
    );
    case!(
        identifier_of_a_system_without_check_digit_is_not_checked,
        |d| d.identifiers = vec![id("urn:ssn", "ABC-123")],
        []
    );
    case!(
        emergency_contact_needs_relationship_and_name,
        |d| {
            d.emergency_contacts[0].relationship = " ".into();
            d.emergency_contacts[0].name = HumanName::default();
        },
        [
            "emergency_contacts[0].relationship required",
            "emergency_contacts[0].name required",
        ]
    );
    case!(
        emergency_contact_telecom_is_validated,
        |d| d.emergency_contacts[0].telecom[0].value = "call me".into(),
        ["emergency_contacts[0].telecom[0].value invalid_format"]
    );

    #[test]
    fn phones_accept_common_punctuation() {
        let mut d = valid();
        for phone in ["+44 20 7946 0000", "(555) 010-0199", "555.0100", "1234"] {
            d.telecom[0].value = phone.into();
            assert!(failures(&d).is_empty(), "{phone}");
        }
    }

    #[test]
    fn phones_with_letters_few_digits_or_stray_plus_are_invalid() {
        let mut d = valid();
        for phone in ["555-CALL-NOW", "123", "12+34567", &"1".repeat(21)] {
            d.telecom[0].value = phone.into();
            assert_eq!(failures(&d), ["telecom[0].value invalid_format"], "{phone}");
        }
    }

    #[test]
    fn malformed_emails_are_invalid_format() {
        let mut d = valid();
        let bad = [
            "a.x.org",
            "@x.org",
            "a@x",
            "a b@x.org",
            "a@@x.org",
            "a@x..org",
            "a@x.o",
        ];
        for email in bad {
            d.telecom[1].value = email.into();
            assert_eq!(failures(&d), ["telecom[1].value invalid_format"], "{email}");
        }
    }

    #[test]
    fn well_formed_language_tags_are_accepted() {
        let mut d = valid();
        for ok in ["en", "fr-CA", "zh-Hant-TW", "sgn-BE-FR"] {
            d.language = Some(ok.into());
            assert!(failures(&d).is_empty(), "{ok}");
        }
    }

    #[test]
    fn malformed_language_tags_are_invalid_format() {
        let mut d = valid();
        for bad in ["e", "english", "en_US", "en-", "en-x", "1a"] {
            d.language = Some(bad.into());
            assert_eq!(failures(&d), ["language invalid_format"], "{bad}");
        }
    }

    proptest! {
        #[test]
        fn validate_never_panics_on_arbitrary_strings(
            t in prop::collection::vec(any::<String>(), 8),
            days in any::<i32>(),
        ) {
            let d = PatientDetails {
                identifiers: vec![id(&t[0], &t[1]), id(MRN, &t[2])],
                names: vec![name(&t[3], &t[4])],
                birth_date: NaiveDate::from_num_days_from_ce_opt(days),
                telecom: vec![
                    contact(ContactSystem::Phone, &t[5]),
                    contact(ContactSystem::Email, &t[6]),
                ],
                language: Some(t[7].clone()),
                ..PatientDetails::default()
            };
            let _ = validate_details(&d, now(), &settings());
        }

        /// Validation reads each phone once and answers the keys from that
        /// reading: they are exactly the keys `search_keys` computes, with
        /// or without a clinic region, whatever the spelling.
        #[test]
        fn the_keys_validation_answers_are_the_keys_search_keys_computes(
            phones in prop::collection::vec(
                r" ?\+?[0-9 ()\-.]{0,18}[0-9]{2} ?|\+(1|44|49|33|81) [0-9]{3} [0-9]{4,6}",
                0..4,
            ),
            region in prop::option::of(prop::sample::select(vec!["US", "GB", "DE"])),
        ) {
            let d = PatientDetails {
                names: vec![name("Key", "Ann")],
                telecom: phones.iter().map(|p| contact(ContactSystem::Phone, p)).collect(),
                ..PatientDetails::default()
            };
            let settings = Settings {
                phone_region: region.map(str::to_owned),
                ..settings()
            };
            if let Ok(keys) = validate_and_key(&d, now(), &settings) {
                prop_assert_eq!(keys, search_keys(&d, region));
            }
        }
    }
}
