//! The patient record. `Debug` never prints demographics: only ids and flags.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

use crate::ids::PatientId;
use crate::limits::{MAX_LANGUAGE_TAG_CHARS, MAX_TEXT_CHARS};
use crate::validation::{bound, not_blank};

/// `invalid_format` unless a BCP-47-ish tag: 2–3 letters, then `-` subtags
/// of 2–8 letters or digits.
fn language_tag(value: &str) -> Result<(), ValidationError> {
    let mut parts = value.trim().split('-');
    let primary = parts.next().unwrap_or("");
    let ok = (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts
            .all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("invalid_format")
            .with_message("must be a bcp-47 language tag".into()))
    }
}

/// Prints `<redacted>` so patient data never reaches logs through `{:?}`.
macro_rules! redacted_debug {
    ($($t:ty),*) => {$(
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($t), "(<redacted>)"))
            }
        }
    )*};
}

/// A business identifier such as an MRN: unique per system.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Validate)]
pub struct Identifier {
    /// The namespace URI, e.g. `urn:carebase:mrn:north`.
    #[validate(
        length(max = bound(MAX_TEXT_CHARS), code = "too_long"),
        non_control_character(code = "invalid_format", message = "must not contain control characters"),
        custom(function = "not_blank")
    )]
    pub system: String,
    /// The value inside that namespace.
    #[validate(
        length(max = bound(MAX_TEXT_CHARS), code = "too_long"),
        non_control_character(code = "invalid_format", message = "must not contain control characters"),
        custom(function = "not_blank")
    )]
    pub value: String,
}

/// FHIR `HumanName.use`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameUse {
    /// The name normally used.
    #[default]
    Usual,
    /// The legal name.
    Official,
    /// A temporary name.
    Temp,
    /// A nickname.
    Nickname,
    /// An anonymous name.
    Anonymous,
    /// A name no longer in use.
    Old,
    /// A name used before marriage.
    Maiden,
}

/// A person's name (FHIR `HumanName`).
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize, Validate)]
pub struct HumanName {
    /// Which name this is.
    #[serde(default)]
    pub usage: NameUse,
    /// Family name (surname).
    #[serde(default)]
    #[validate(
        length(max = bound(MAX_TEXT_CHARS), code = "too_long"),
        non_control_character(code = "invalid_format", message = "must not contain control characters"),
        custom(function = "not_blank")
    )]
    pub family: Option<String>,
    /// Given names, in order (at most [`MAX_GIVEN_NAMES`](crate::limits::MAX_GIVEN_NAMES)).
    #[serde(default)]
    pub given: Vec<String>,
    /// Titles before the name (at most [`MAX_NAME_PREFIXES`](crate::limits::MAX_NAME_PREFIXES)).
    #[serde(default)]
    pub prefix: Vec<String>,
    /// Titles after the name (at most [`MAX_NAME_SUFFIXES`](crate::limits::MAX_NAME_SUFFIXES)).
    #[serde(default)]
    pub suffix: Vec<String>,
}

/// FHIR administrative gender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// Male.
    Male,
    /// Female.
    Female,
    /// Other.
    Other,
    /// Unknown.
    Unknown,
}

impl Gender {
    /// The FHIR code.
    pub fn as_str(&self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
            Gender::Other => "other",
            Gender::Unknown => "unknown",
        }
    }

    /// Parses a FHIR code.
    pub fn parse(code: &str) -> Option<Self> {
        [Gender::Male, Gender::Female, Gender::Other, Gender::Unknown]
            .into_iter()
            .find(|g| g.as_str() == code)
    }
}

/// How a patient can be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactSystem {
    /// A phone number (E.164 or national digits).
    Phone,
    /// An email address.
    Email,
}

/// FHIR `ContactPoint.use`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactUse {
    /// At home.
    Home,
    /// At work.
    Work,
    /// A mobile device.
    Mobile,
    /// Temporary.
    Temp,
    /// No longer in use.
    Old,
}

/// A phone number or email address.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Validate)]
pub struct ContactPoint {
    /// Phone or email.
    pub system: ContactSystem,
    /// The number or address as entered.
    #[validate(
        length(max = bound(MAX_TEXT_CHARS), code = "too_long"),
        non_control_character(code = "invalid_format", message = "must not contain control characters"),
        custom(function = "not_blank")
    )]
    pub value: String,
    /// Home, work, mobile…
    #[serde(default)]
    pub usage: Option<ContactUse>,
}

/// FHIR `Address.use`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressUse {
    /// Home address.
    Home,
    /// Work address.
    Work,
    /// Temporary address.
    Temp,
    /// No longer in use.
    Old,
    /// For billing.
    Billing,
}

/// A postal address.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize, Validate)]
pub struct Address {
    /// Home, work…
    #[serde(default)]
    pub usage: Option<AddressUse>,
    /// Street lines (at most [`MAX_ADDRESS_LINES`](crate::limits::MAX_ADDRESS_LINES)).
    #[serde(default)]
    pub lines: Vec<String>,
    /// City.
    #[serde(default)]
    #[validate(
        length(max = bound(MAX_TEXT_CHARS), code = "too_long"),
        non_control_character(code = "invalid_format", message = "must not contain control characters"),
        custom(function = "not_blank")
    )]
    pub city: Option<String>,
    /// District or county.
    #[serde(default)]
    #[validate(
        length(max = bound(MAX_TEXT_CHARS), code = "too_long"),
        non_control_character(code = "invalid_format", message = "must not contain control characters"),
        custom(function = "not_blank")
    )]
    pub district: Option<String>,
    /// State or province.
    #[serde(default)]
    #[validate(
        length(max = bound(MAX_TEXT_CHARS), code = "too_long"),
        non_control_character(code = "invalid_format", message = "must not contain control characters"),
        custom(function = "not_blank")
    )]
    pub state: Option<String>,
    /// Postal code.
    #[serde(default)]
    #[validate(
        length(max = bound(MAX_TEXT_CHARS), code = "too_long"),
        non_control_character(code = "invalid_format", message = "must not contain control characters"),
        custom(function = "not_blank")
    )]
    pub postal_code: Option<String>,
    /// Country (ISO 3166 code or name).
    #[serde(default)]
    #[validate(
        length(max = bound(MAX_TEXT_CHARS), code = "too_long"),
        non_control_character(code = "invalid_format", message = "must not contain control characters"),
        custom(function = "not_blank")
    )]
    pub country: Option<String>,
}

/// Someone to call in an emergency.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Validate)]
pub struct EmergencyContact {
    /// Relationship code or text, e.g. `spouse`.
    #[validate(
        length(max = bound(MAX_TEXT_CHARS), code = "too_long"),
        non_control_character(code = "invalid_format", message = "must not contain control characters"),
        custom(function = "not_blank")
    )]
    pub relationship: String,
    /// Their name.
    pub name: HumanName,
    /// How to reach them (at most [`MAX_TELECOM`](crate::limits::MAX_TELECOM)).
    #[serde(default)]
    pub telecom: Vec<ContactPoint>,
}

/// Everything about a patient that a person enters: what register and
/// update take, and what masking hides field by field.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize, Validate)]
pub struct PatientDetails {
    /// Business identifiers, unique per system (at most [`MAX_IDENTIFIERS`](crate::limits::MAX_IDENTIFIERS)).
    #[serde(default)]
    pub identifiers: Vec<Identifier>,
    /// Names; at least one with a family or given name (at most [`MAX_NAMES`](crate::limits::MAX_NAMES)).
    #[serde(default)]
    pub names: Vec<HumanName>,
    /// Administrative gender.
    #[serde(default)]
    pub gender: Option<Gender>,
    /// Civil birth date, never in the future.
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    /// Phones and emails (at most [`MAX_TELECOM`](crate::limits::MAX_TELECOM)).
    #[serde(default)]
    pub telecom: Vec<ContactPoint>,
    /// Postal addresses (at most [`MAX_ADDRESSES`](crate::limits::MAX_ADDRESSES)).
    #[serde(default)]
    pub addresses: Vec<Address>,
    /// Preferred language as a BCP-47 tag, e.g. `fr-CA`.
    #[serde(default)]
    #[validate(
        length(max = bound(MAX_LANGUAGE_TAG_CHARS), code = "too_long"),
        custom(function = "not_blank"),
        custom(function = "language_tag")
    )]
    pub language: Option<String>,
    /// Emergency contacts (at most [`MAX_EMERGENCY_CONTACTS`](crate::limits::MAX_EMERGENCY_CONTACTS)).
    #[serde(default)]
    pub emergency_contacts: Vec<EmergencyContact>,
    /// Whether the patient is deceased.
    #[serde(default)]
    pub deceased: bool,
    /// When, if known (implies `deceased`; not in the future, not before
    /// the birth date).
    #[serde(default)]
    pub deceased_at: Option<DateTime<Utc>>,
}

/// A field of [`PatientDetails`] that the policy can show or hide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatientField {
    /// `identifiers`
    Identifiers,
    /// `names`
    Names,
    /// `gender`
    Gender,
    /// `birth_date`
    BirthDate,
    /// `telecom`
    Telecom,
    /// `addresses`
    Addresses,
    /// `language`
    Language,
    /// `emergency_contacts`
    EmergencyContacts,
    /// `deceased` and `deceased_at`
    Deceased,
}

impl PatientField {
    /// Every maskable field.
    pub const ALL: [PatientField; 9] = [
        PatientField::Identifiers,
        PatientField::Names,
        PatientField::Gender,
        PatientField::BirthDate,
        PatientField::Telecom,
        PatientField::Addresses,
        PatientField::Language,
        PatientField::EmergencyContacts,
        PatientField::Deceased,
    ];

    /// The field's name in documents and policies.
    pub fn as_str(&self) -> &'static str {
        match self {
            PatientField::Identifiers => "identifiers",
            PatientField::Names => "names",
            PatientField::Gender => "gender",
            PatientField::BirthDate => "birth_date",
            PatientField::Telecom => "telecom",
            PatientField::Addresses => "addresses",
            PatientField::Language => "language",
            PatientField::EmergencyContacts => "emergency_contacts",
            PatientField::Deceased => "deceased",
        }
    }

    /// Parses a field name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

/// A stored patient: details plus identity, version and status.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patient {
    /// Stable id (UUID v7).
    pub id: PatientId,
    /// Optimistic-concurrency version; starts at 1, +1 per write.
    pub version: u64,
    /// Demographics (possibly masked, see `hidden_fields`).
    pub details: PatientDetails,
    /// False once deactivated or merged away.
    pub active: bool,
    /// Set when this record was merged into a survivor.
    pub merged_into: Option<PatientId>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Fields the reading actor may not see; they are emptied in `details`.
    /// Never stored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden_fields: Vec<PatientField>,
}

impl fmt::Debug for Patient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Patient")
            .field("id", &self.id)
            .field("version", &self.version)
            .field("active", &self.active)
            .field("merged_into", &self.merged_into)
            .field("hidden_fields", &self.hidden_fields)
            .finish_non_exhaustive()
    }
}

redacted_debug!(
    Identifier,
    HumanName,
    ContactPoint,
    Address,
    EmergencyContact,
    PatientDetails
);

impl Patient {
    /// The same patient with `hidden` fields emptied and listed.
    pub fn masked(mut self, hidden: &[PatientField]) -> Self {
        let d = &mut self.details;
        for field in hidden {
            match field {
                PatientField::Identifiers => d.identifiers.clear(),
                PatientField::Names => d.names.clear(),
                PatientField::Gender => d.gender = None,
                PatientField::BirthDate => d.birth_date = None,
                PatientField::Telecom => d.telecom.clear(),
                PatientField::Addresses => d.addresses.clear(),
                PatientField::Language => d.language = None,
                PatientField::EmergencyContacts => d.emergency_contacts.clear(),
                PatientField::Deceased => {
                    d.deceased = false;
                    d.deceased_at = None;
                }
            }
        }
        let mut hidden = hidden.to_vec();
        hidden.sort();
        hidden.dedup();
        self.hidden_fields = hidden;
        self
    }
}
