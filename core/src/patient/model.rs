//! The patient record. `Debug` never prints demographics: only ids and flags.

use crate::Count64;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

use crate::codes::code_enum;
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = [])))]
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

code_enum! {
    /// FHIR `HumanName.use`.
    pub enum NameUse {
        /// The name normally used.
        Usual = "usual",
        /// The legal name.
        Official = "official",
        /// A temporary name.
        Temp = "temp",
        /// A nickname.
        Nickname = "nickname",
        /// An anonymous name.
        Anonymous = "anonymous",
        /// A name no longer in use.
        Old = "old",
        /// A name used before marriage.
        Maiden = "maiden",
    }
}

/// A person's name (FHIR `HumanName`).
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize, Validate)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = [])))]
pub struct HumanName {
    /// Which name this is, when stated (FHIR `HumanName.use` is optional,
    /// like the use of a contact point or an address).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub usage: Option<NameUse>,
    /// Family name (surname).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[validate(
        length(max = bound(MAX_TEXT_CHARS), code = "too_long"),
        non_control_character(code = "invalid_format", message = "must not contain control characters"),
        custom(function = "not_blank")
    )]
    pub family: Option<String>,
    /// Given names, in order (at most [`MAX_GIVEN_NAMES`](crate::limits::MAX_GIVEN_NAMES)).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub given: Vec<String>,
    /// Titles before the name (at most [`MAX_NAME_PREFIXES`](crate::limits::MAX_NAME_PREFIXES)).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub prefix: Vec<String>,
    /// Titles after the name (at most [`MAX_NAME_SUFFIXES`](crate::limits::MAX_NAME_SUFFIXES)).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub suffix: Vec<String>,
}

code_enum! {
    /// FHIR administrative gender.
    pub enum Gender {
        /// Male.
        Male = "male",
        /// Female.
        Female = "female",
        /// Other.
        Other = "other",
        /// Unknown.
        Unknown = "unknown",
    }
}

code_enum! {
    /// How a patient can be reached.
    pub enum ContactSystem {
        /// A phone number (E.164 or national digits).
        Phone = "phone",
        /// An email address.
        Email = "email",
    }
}

code_enum! {
    /// FHIR `ContactPoint.use`.
    pub enum ContactUse {
        /// At home.
        Home = "home",
        /// At work.
        Work = "work",
        /// A mobile device.
        Mobile = "mobile",
        /// Temporary.
        Temp = "temp",
        /// No longer in use.
        Old = "old",
    }
}

/// A phone number or email address.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = [])))]
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
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub usage: Option<ContactUse>,
}

code_enum! {
    /// FHIR `Address.use`.
    pub enum AddressUse {
        /// Home address.
        Home = "home",
        /// Work address.
        Work = "work",
        /// Temporary address.
        Temp = "temp",
        /// No longer in use.
        Old = "old",
        /// For billing.
        Billing = "billing",
    }
}

/// A postal address.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize, Validate)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = [])))]
pub struct Address {
    /// Home, work…
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub usage: Option<AddressUse>,
    /// Street lines (at most [`MAX_ADDRESS_LINES`](crate::limits::MAX_ADDRESS_LINES)).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub lines: Vec<String>,
    /// City.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[validate(
        length(max = bound(MAX_TEXT_CHARS), code = "too_long"),
        non_control_character(code = "invalid_format", message = "must not contain control characters"),
        custom(function = "not_blank")
    )]
    pub city: Option<String>,
    /// District or county.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[validate(
        length(max = bound(MAX_TEXT_CHARS), code = "too_long"),
        non_control_character(code = "invalid_format", message = "must not contain control characters"),
        custom(function = "not_blank")
    )]
    pub district: Option<String>,
    /// State or province.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[validate(
        length(max = bound(MAX_TEXT_CHARS), code = "too_long"),
        non_control_character(code = "invalid_format", message = "must not contain control characters"),
        custom(function = "not_blank")
    )]
    pub state: Option<String>,
    /// Postal code.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[validate(
        length(max = bound(MAX_TEXT_CHARS), code = "too_long"),
        non_control_character(code = "invalid_format", message = "must not contain control characters"),
        custom(function = "not_blank")
    )]
    pub postal_code: Option<String>,
    /// Country (ISO 3166 code or name).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[validate(
        length(max = bound(MAX_TEXT_CHARS), code = "too_long"),
        non_control_character(code = "invalid_format", message = "must not contain control characters"),
        custom(function = "not_blank")
    )]
    pub country: Option<String>,
}

/// Someone to call in an emergency.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = [])))]
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
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub telecom: Vec<ContactPoint>,
}

/// Everything about a patient that a person enters: what register and
/// update take, and what masking hides field by field.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize, Validate)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = [])))]
pub struct PatientDetails {
    /// Business identifiers, unique per system (at most [`MAX_IDENTIFIERS`](crate::limits::MAX_IDENTIFIERS)).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub identifiers: Vec<Identifier>,
    /// Names; at least one with a family or given name (at most [`MAX_NAMES`](crate::limits::MAX_NAMES)).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub names: Vec<HumanName>,
    /// Administrative gender.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub gender: Option<Gender>,
    /// Civil birth date, never in the future.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[serde(deserialize_with = "crate::instant::strict::option_date")]
    pub birth_date: Option<NaiveDate>,
    /// Phones and emails (at most [`MAX_TELECOM`](crate::limits::MAX_TELECOM)).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub telecom: Vec<ContactPoint>,
    /// Postal addresses (at most [`MAX_ADDRESSES`](crate::limits::MAX_ADDRESSES)).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub addresses: Vec<Address>,
    /// Preferred language as a BCP-47 tag, e.g. `fr-CA`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[validate(
        length(max = bound(MAX_LANGUAGE_TAG_CHARS), code = "too_long"),
        custom(function = "not_blank"),
        custom(function = "language_tag")
    )]
    pub language: Option<String>,
    /// Emergency contacts (at most [`MAX_EMERGENCY_CONTACTS`](crate::limits::MAX_EMERGENCY_CONTACTS)).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub emergency_contacts: Vec<EmergencyContact>,
    /// Whether the patient is deceased.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub deceased: bool,
    /// When, if known (implies `deceased`; not in the future, not before
    /// the birth date).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[serde(deserialize_with = "crate::instant::strict::option_instant")]
    pub deceased_at: Option<DateTime<Utc>>,
}

code_enum! {
    /// A field of [`PatientDetails`] that the policy can show or hide.
    #[derive(PartialOrd, Ord)]
    pub enum PatientField {
        /// `identifiers`
        Identifiers = "identifiers",
        /// `names`
        Names = "names",
        /// `gender`
        Gender = "gender",
        /// `birth_date`
        BirthDate = "birth_date",
        /// `telecom`
        Telecom = "telecom",
        /// `addresses`
        Addresses = "addresses",
        /// `language`
        Language = "language",
        /// `emergency_contacts`
        EmergencyContacts = "emergency_contacts",
        /// `deceased` and `deceased_at`
        Deceased = "deceased",
    }
}

/// A stored patient: details plus identity, version and status.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = ["id", "version", "active"])))]
pub struct Patient {
    /// Stable id (UUID v7).
    pub id: PatientId,
    /// Optimistic-concurrency version; starts at 1, +1 per write.
    pub version: Count64,
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
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub hidden_fields: Vec<PatientField>,
    /// What a FHIR import kept that carebase does not model, so an export
    /// gives back what came in (see [`crate::patient::fhir`]). Patient data
    /// of every kind (narrative, contacts, photos): shown only to an actor
    /// who sees every field, never searched, never in `Debug`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub fhir_extra: Option<serde_json::Value>,
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
    /// The same patient with `hidden` fields emptied and listed (and
    /// without `fhir_extra` when anything is hidden).
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
        if !hidden.is_empty() {
            // The kept resource mixes every field: all or nothing.
            self.fhir_extra = None;
        }
        let mut hidden = hidden.to_vec();
        hidden.sort();
        hidden.dedup();
        self.hidden_fields = hidden;
        self
    }
}
