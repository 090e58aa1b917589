//! Validation of patient input: collects EVERY failing field, never the
//! first only, and never echoes the value in the message.

use std::collections::HashSet;

use chrono::NaiveDate;

use super::normalize::phone_key;
use super::{ContactPoint, ContactSystem, HumanName, IdentifierSystem, PatientDetails};
use crate::error::FieldError;
use crate::{Error, Result};

/// Longest text accepted in any single field.
pub const MAX_TEXT: usize = 200;

/// Most digits a phone number may have.
const MAX_PHONE_DIGITS: usize = 20;

/// Collects field errors; one per field path at most.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn add(&mut self, field: impl Into<String>, code: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }

    /// Checks one present text field; true when it passed.
    fn text(&mut self, field: impl Into<String>, value: &str) -> bool {
        if value.trim().is_empty() {
            self.add(field, "required", "must not be blank");
        } else if value.chars().count() > MAX_TEXT {
            let message = format!("must be at most {MAX_TEXT} characters");
            self.add(field, "too_long", message);
        } else if value.chars().any(char::is_control) {
            self.add(
                field,
                "invalid_format",
                "must not contain control characters",
            );
        } else {
            return true;
        }
        false
    }

    fn texts(&mut self, path: &str, values: &[String]) {
        for (i, value) in values.iter().enumerate() {
            self.text(format!("{path}[{i}]"), value);
        }
    }

    fn optional_text(&mut self, field: String, value: Option<&String>) {
        if let Some(value) = value {
            self.text(field, value);
        }
    }

    /// Checks each part of a name; true when it has a family or given name.
    fn name(&mut self, path: &str, name: &HumanName) -> bool {
        self.optional_text(format!("{path}.family"), name.family.as_ref());
        self.texts(&format!("{path}.given"), &name.given);
        self.texts(&format!("{path}.prefix"), &name.prefix);
        self.texts(&format!("{path}.suffix"), &name.suffix);
        let not_blank = |s: &String| !s.trim().is_empty();
        name.family.iter().any(not_blank) || name.given.iter().any(not_blank)
    }

    fn telecom(&mut self, path: &str, telecom: &[ContactPoint]) {
        for (i, contact) in telecom.iter().enumerate() {
            let field = format!("{path}[{i}].value");
            if !self.text(field.clone(), &contact.value) {
                continue;
            }
            match contact.system {
                ContactSystem::Phone if !is_phone(&contact.value) => self.add(
                    field,
                    "invalid_format",
                    "must be a phone number of 4 to 20 digits",
                ),
                ContactSystem::Email if !is_email(contact.value.trim()) => {
                    self.add(field, "invalid_format", "must be an email address")
                }
                _ => {}
            }
        }
    }
}

/// Digits with spaces and `+-().` only, `+` only in front, 4–20 digits.
fn is_phone(value: &str) -> bool {
    let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
    let plus_in_front = !value.trim_start().get(1..).unwrap_or("").contains('+');
    let digits = value.chars().filter(char::is_ascii_digit).count();
    value.chars().all(allowed)
        && plus_in_front
        && phone_key(value).is_some()
        && digits <= MAX_PHONE_DIGITS
}

/// `local@domain.tld`: one `@`, no whitespace, dotted domain of non-empty
/// labels with a top-level label of two or more characters.
fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    let labels: Vec<&str> = domain.split('.').collect();
    !value.chars().any(char::is_whitespace)
        && !local.is_empty()
        && !domain.contains('@')
        && labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty())
        && labels.last().is_some_and(|tld| tld.chars().count() >= 2)
}

/// A BCP-47-ish tag: 2–3 letters, then `-` subtags of 2–8 alphanumerics.
fn is_language_tag(value: &str) -> bool {
    let mut parts = value.split('-');
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Checks `details` against the rules; `today` bounds the birth date and
/// `systems` gives the check digit each identifier system requires.
pub fn validate_details(
    details: &PatientDetails,
    today: NaiveDate,
    systems: &[IdentifierSystem],
) -> Result<()> {
    let mut errors = Errors::default();

    let mut seen = HashSet::new();
    for (i, id) in details.identifiers.iter().enumerate() {
        let system_ok = errors.text(format!("identifiers[{i}].system"), &id.system);
        let field = format!("identifiers[{i}].value");
        if !errors.text(field.clone(), &id.value) || !system_ok {
            continue;
        }
        let (system, value) = (id.system.trim(), id.value.trim());
        if !seen.insert((system, value)) {
            errors.add(field, "duplicate", "repeats an earlier identifier");
            continue;
        }
        let scheme = systems
            .iter()
            .find(|s| s.system == system)
            .and_then(|s| s.check_digit);
        if let Some(scheme) = scheme {
            if !scheme.is_valid(value) {
                errors.add(field, "check_digit", "fails the check digit of its system");
            }
        }
    }

    let mut has_name = false;
    for (i, name) in details.names.iter().enumerate() {
        has_name |= errors.name(&format!("names[{i}]"), name);
    }
    if !has_name {
        errors.add("names", "required", "needs a family or given name");
    }

    if let Some(birth) = details.birth_date {
        let earliest = NaiveDate::from_ymd_opt(1850, 1, 1).unwrap_or(NaiveDate::MIN);
        if birth > today {
            errors.add("birth_date", "in_future", "must not be in the future");
        } else if birth < earliest {
            errors.add("birth_date", "out_of_range", "must not be before 1850");
        }
    }

    errors.telecom("telecom", &details.telecom);

    for (i, address) in details.addresses.iter().enumerate() {
        let path = format!("addresses[{i}]");
        errors.texts(&format!("{path}.lines"), &address.lines);
        let parts = [
            ("city", &address.city),
            ("district", &address.district),
            ("state", &address.state),
            ("postal_code", &address.postal_code),
            ("country", &address.country),
        ];
        for (part, value) in parts {
            errors.optional_text(format!("{path}.{part}"), value.as_ref());
        }
    }

    if let Some(language) = &details.language {
        if errors.text("language", language) && !is_language_tag(language.trim()) {
            errors.add(
                "language",
                "invalid_format",
                "must be a bcp-47 language tag",
            );
        }
    }

    for (i, contact) in details.emergency_contacts.iter().enumerate() {
        let path = format!("emergency_contacts[{i}]");
        errors.text(format!("{path}.relationship"), &contact.relationship);
        if !errors.name(&format!("{path}.name"), &contact.name) {
            errors.add(
                format!("{path}.name"),
                "required",
                "needs a family or given name",
            );
        }
        errors.telecom(&format!("{path}.telecom"), &contact.telecom);
    }

    if details.deceased_at.is_some() && !details.deceased {
        errors.add(
            "deceased_at",
            "inconsistent",
            "requires deceased to be true",
        );
    }

    if errors.0.is_empty() {
        Ok(())
    } else {
        Err(Error::validation(errors.0))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    use super::*;
    use crate::patient::{Address, CheckDigit, EmergencyContact, Identifier};

    const MRN: &str = "urn:carebase:mrn:north";

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 6, 15).unwrap_or_default()
    }

    fn systems() -> Vec<IdentifierSystem> {
        let check_digit = Some(CheckDigit::Luhn);
        vec![IdentifierSystem {
            system: MRN.into(),
            check_digit,
        }]
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
        match validate_details(details, today(), &systems()) {
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
        assert_eq!(validate_details(&valid(), today(), &systems()), Ok(()));
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
            let _ = validate_details(&d, today(), &systems());
        }
    }
}
