//! The patient record, its parts, search queries and pages.

use super::*;

/// A business identifier such as an MRN: unique per system.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct Identifier {
    /// The namespace URI.
    pub system: String,
    /// The value inside that namespace.
    pub value: String,
}

/// A person's name (FHIR `HumanName`).
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct HumanName {
    /// Which name this is.
    pub usage: NameUse,
    /// Family name.
    #[uniffi(default)]
    pub family: Option<String>,
    /// Given names, in order.
    #[uniffi(default)]
    pub given: Vec<String>,
    /// Titles before the name.
    #[uniffi(default)]
    pub prefix: Vec<String>,
    /// Titles after the name.
    #[uniffi(default)]
    pub suffix: Vec<String>,
}

/// A phone number or email address.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct ContactPoint {
    /// Phone or email.
    pub system: ContactSystem,
    /// The number or address as entered.
    pub value: String,
    /// Home, work, mobile…
    #[uniffi(default)]
    pub usage: Option<ContactUse>,
}

/// A postal address.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct Address {
    /// Home, work…
    #[uniffi(default)]
    pub usage: Option<AddressUse>,
    /// Street lines.
    #[uniffi(default)]
    pub lines: Vec<String>,
    /// City.
    #[uniffi(default)]
    pub city: Option<String>,
    /// District or county.
    #[uniffi(default)]
    pub district: Option<String>,
    /// State or province.
    #[uniffi(default)]
    pub state: Option<String>,
    /// Postal code.
    #[uniffi(default)]
    pub postal_code: Option<String>,
    /// Country.
    #[uniffi(default)]
    pub country: Option<String>,
}

/// Someone to call in an emergency.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct EmergencyContact {
    /// Relationship code or text, e.g. `spouse`.
    pub relationship: String,
    /// Their name.
    pub name: HumanName,
    /// How to reach them.
    #[uniffi(default)]
    pub telecom: Vec<ContactPoint>,
}

/// Everything about a patient that a person enters.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct PatientDetails {
    /// Business identifiers, unique per system.
    #[uniffi(default)]
    pub identifiers: Vec<Identifier>,
    /// Names; at least one with a family or given name.
    #[uniffi(default)]
    pub names: Vec<HumanName>,
    /// Administrative gender.
    #[uniffi(default)]
    pub gender: Option<Gender>,
    /// Birth date `yyyy-mm-dd`, never in the future.
    #[uniffi(default)]
    pub birth_date: Option<String>,
    /// Phones and emails.
    #[uniffi(default)]
    pub telecom: Vec<ContactPoint>,
    /// Postal addresses.
    #[uniffi(default)]
    pub addresses: Vec<Address>,
    /// Preferred language (BCP-47).
    #[uniffi(default)]
    pub language: Option<String>,
    /// Emergency contacts.
    #[uniffi(default)]
    pub emergency_contacts: Vec<EmergencyContact>,
    /// Whether the patient is deceased.
    #[uniffi(default)]
    pub deceased: bool,
    /// When (RFC 3339), if known.
    #[uniffi(default)]
    pub deceased_at: Option<String>,
}

redacted_debug!(
    Identifier,
    HumanName,
    ContactPoint,
    Address,
    EmergencyContact,
    PatientDetails,
    NewPatient,
    PatientQuery
);

impl From<cbp::Identifier> for Identifier {
    fn from(i: cbp::Identifier) -> Self {
        Self {
            system: i.system,
            value: i.value,
        }
    }
}
impl From<Identifier> for cbp::Identifier {
    fn from(i: Identifier) -> Self {
        Self {
            system: i.system,
            value: i.value,
        }
    }
}

impl From<cbp::HumanName> for HumanName {
    fn from(n: cbp::HumanName) -> Self {
        Self {
            usage: n.usage.into(),
            family: n.family,
            given: n.given,
            prefix: n.prefix,
            suffix: n.suffix,
        }
    }
}
impl From<HumanName> for cbp::HumanName {
    fn from(n: HumanName) -> Self {
        Self {
            usage: n.usage.into(),
            family: n.family,
            given: n.given,
            prefix: n.prefix,
            suffix: n.suffix,
        }
    }
}

impl From<cbp::ContactPoint> for ContactPoint {
    fn from(c: cbp::ContactPoint) -> Self {
        Self {
            system: c.system.into(),
            value: c.value,
            usage: c.usage.map(Into::into),
        }
    }
}
impl From<ContactPoint> for cbp::ContactPoint {
    fn from(c: ContactPoint) -> Self {
        Self {
            system: c.system.into(),
            value: c.value,
            usage: c.usage.map(Into::into),
        }
    }
}

impl From<cbp::Address> for Address {
    fn from(a: cbp::Address) -> Self {
        Self {
            usage: a.usage.map(Into::into),
            lines: a.lines,
            city: a.city,
            district: a.district,
            state: a.state,
            postal_code: a.postal_code,
            country: a.country,
        }
    }
}
impl From<Address> for cbp::Address {
    fn from(a: Address) -> Self {
        Self {
            usage: a.usage.map(Into::into),
            lines: a.lines,
            city: a.city,
            district: a.district,
            state: a.state,
            postal_code: a.postal_code,
            country: a.country,
        }
    }
}

impl From<cbp::EmergencyContact> for EmergencyContact {
    fn from(e: cbp::EmergencyContact) -> Self {
        Self {
            relationship: e.relationship,
            name: e.name.into(),
            telecom: map(e.telecom),
        }
    }
}
impl From<EmergencyContact> for cbp::EmergencyContact {
    fn from(e: EmergencyContact) -> Self {
        Self {
            relationship: e.relationship,
            name: e.name.into(),
            telecom: map(e.telecom),
        }
    }
}

impl From<cbp::PatientDetails> for PatientDetails {
    fn from(d: cbp::PatientDetails) -> Self {
        Self {
            identifiers: map(d.identifiers),
            names: map(d.names),
            gender: d.gender.map(Into::into),
            birth_date: d.birth_date.map(|b| b.format("%Y-%m-%d").to_string()),
            telecom: map(d.telecom),
            addresses: map(d.addresses),
            language: d.language,
            emergency_contacts: map(d.emergency_contacts),
            deceased: d.deceased,
            deceased_at: d.deceased_at.map(ts),
        }
    }
}

impl PatientDetails {
    /// Core details; unparseable dates are recorded in `f`.
    pub(crate) fn into_core(self, f: &mut Fields) -> cbp::PatientDetails {
        let birth_date = f.opt(self.birth_date.as_deref().map(|b| date("birth_date", b)));
        let deceased_at = f.opt(
            self.deceased_at
                .as_deref()
                .map(|t| instant("deceased_at", t)),
        );
        cbp::PatientDetails {
            identifiers: map(self.identifiers),
            names: map(self.names),
            gender: self.gender.map(Into::into),
            birth_date,
            telecom: map(self.telecom),
            addresses: map(self.addresses),
            language: self.language,
            emergency_contacts: map(self.emergency_contacts),
            deceased: self.deceased,
            deceased_at,
        }
    }
}

impl TryFrom<PatientDetails> for cbp::PatientDetails {
    type Error = cb::Error;
    fn try_from(d: PatientDetails) -> cb::Result<Self> {
        let mut f = Fields::default();
        let details = d.into_core(&mut f);
        f.done(|| Some(details))
    }
}

/// What registering a patient takes.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct NewPatient {
    /// Demographics.
    pub details: PatientDetails,
    /// Facility whose MRN namespace assigns an MRN in the same transaction.
    #[uniffi(default)]
    pub mrn_facility: Option<String>,
}

impl TryFrom<NewPatient> for cb::clinic::NewPatient {
    type Error = cb::Error;
    fn try_from(n: NewPatient) -> cb::Result<Self> {
        Ok(Self {
            details: n.details.try_into()?,
            mrn_facility: n.mrn_facility,
        })
    }
}

/// A stored patient: details plus identity, version and status.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct Patient {
    /// Stable id (UUID v7).
    pub id: String,
    /// Optimistic-concurrency version (starts at 1).
    pub version: u64,
    /// Demographics (possibly masked, see `hidden_fields`).
    pub details: PatientDetails,
    /// False once deactivated or merged away.
    pub active: bool,
    /// Set when this record was merged into a survivor.
    pub merged_into: Option<String>,
    /// When it was registered.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
    /// Fields the reading actor may not see; emptied in `details`.
    pub hidden_fields: Vec<PatientField>,
}

impl std::fmt::Debug for Patient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Patient")
            .field("id", &self.id)
            .field("version", &self.version)
            .field("active", &self.active)
            .field("merged_into", &self.merged_into)
            .field("hidden_fields", &self.hidden_fields)
            .finish_non_exhaustive()
    }
}

impl From<cbp::Patient> for Patient {
    fn from(p: cbp::Patient) -> Self {
        Self {
            id: p.id.to_string(),
            version: p.version,
            details: p.details.into(),
            active: p.active,
            merged_into: ids(p.merged_into),
            created_at: ts(p.created_at),
            updated_at: ts(p.updated_at),
            hidden_fields: map(p.hidden_fields),
        }
    }
}

/// What to search by; every given criterion must match.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct PatientQuery {
    /// Name prefix(es), case- and accent-insensitive.
    #[uniffi(default)]
    pub name: Option<String>,
    /// Exact birth date `yyyy-mm-dd`.
    #[uniffi(default)]
    pub birth_date: Option<String>,
    /// Identifier system.
    #[uniffi(default)]
    pub identifier_system: Option<String>,
    /// Identifier value (exact).
    #[uniffi(default)]
    pub identifier_value: Option<String>,
    /// Phone number; punctuation ignored.
    #[uniffi(default)]
    pub phone: Option<String>,
    /// Email address; case ignored.
    #[uniffi(default)]
    pub email: Option<String>,
    /// Administrative gender.
    #[uniffi(default)]
    pub gender: Option<Gender>,
    /// Active flag; `null` finds both.
    #[uniffi(default)]
    pub active: Option<bool>,
    /// Page size (default 50, at most 500).
    #[uniffi(default)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[uniffi(default)]
    pub cursor: Option<String>,
}

impl TryFrom<PatientQuery> for cbp::PatientQuery {
    type Error = cb::Error;
    fn try_from(q: PatientQuery) -> cb::Result<Self> {
        let mut f = Fields::default();
        let birth_date = f.opt(q.birth_date.as_deref().map(|b| date("birth_date", b)));
        f.done(|| {
            Some(cbp::PatientQuery {
                name: q.name,
                birth_date,
                identifier_system: q.identifier_system,
                identifier_value: q.identifier_value,
                phone: q.phone,
                email: q.email,
                gender: q.gender.map(Into::into),
                active: q.active,
                limit: q.limit,
                cursor: q.cursor,
            })
        })
    }
}

/// One page of patients.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PatientPage {
    /// The patients of this page.
    pub items: Vec<Patient>,
    /// Pass back as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl From<cbp::Page<cbp::Patient>> for PatientPage {
    fn from(p: cbp::Page<cbp::Patient>) -> Self {
        Self {
            items: map(p.items),
            next_cursor: p.next_cursor,
        }
    }
}
