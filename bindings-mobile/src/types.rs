//! Native records and enums mirroring core's types, and their conversions.
//!
//! Conventions (the same everywhere): ids are canonical UUID strings, birth
//! dates `yyyy-mm-dd`, instants RFC 3339 UTC (`2026-11-22T09:00:00.000000Z`),
//! versions and sequence numbers `u64` (Kotlin `ULong`), durations whole
//! seconds. Text that fails to parse becomes a `validation` error naming the
//! field; conversions into core collect every bad field, like core does.

use carebase as cb;
use cb::audit as cba;
use cb::patient as cbp;
use cb::policy as cbpol;
use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};

// ---------------------------------------------------------------- helpers

/// Collects field errors while converting host input into core types.
#[derive(Default)]
pub(crate) struct Fields {
    errors: Vec<cb::FieldError>,
}

impl Fields {
    /// The value, or `None` with its field errors recorded.
    pub(crate) fn take<T>(&mut self, r: cb::Result<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(cb::Error::Validation { fields }) => {
                self.errors.extend(fields);
                None
            }
            Err(other) => {
                self.errors.push(cb::FieldError::new(
                    "input",
                    other.code(),
                    other.to_string(),
                ));
                None
            }
        }
    }

    /// Like [`Fields::take`] for an optional input.
    pub(crate) fn opt<T>(&mut self, r: Option<cb::Result<T>>) -> Option<T> {
        r.and_then(|r| self.take(r))
    }

    /// `value` when no error was recorded, else every recorded error.
    pub(crate) fn done<T>(self, value: impl FnOnce() -> Option<T>) -> cb::Result<T> {
        if !self.errors.is_empty() {
            return Err(cb::Error::validation(self.errors));
        }
        value().ok_or_else(|| cb::Error::invalid("input", "invalid", "input could not be read"))
    }
}

macro_rules! id_parser {
    ($fn:ident, $ty:ty) => {
        pub(crate) fn $fn(field: &str, text: &str) -> cb::Result<$ty> {
            <$ty>::parse(field, text)
        }
    };
}
id_parser!(patient_id, cb::PatientId);
id_parser!(actor_id, cb::ActorId);
id_parser!(practitioner_id, cb::PractitionerId);
id_parser!(grant_id, cb::GrantId);
id_parser!(merge_id, cb::MergeId);
id_parser!(audit_entry_id, cb::AuditEntryId);

pub(crate) fn date(field: &str, text: &str) -> cb::Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| cb::Error::invalid(field, "invalid_date", "not a yyyy-mm-dd date"))
}

pub(crate) fn instant(field: &str, text: &str) -> cb::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| cb::Error::invalid(field, "invalid_instant", "not an rfc 3339 instant"))
}

pub(crate) fn seconds(field: &str, secs: u64) -> cb::Result<Duration> {
    i64::try_from(secs)
        .ok()
        .and_then(Duration::try_seconds)
        .ok_or_else(|| cb::Error::invalid(field, "out_of_range", "duration is too long"))
}

fn secs_of(d: Duration) -> u64 {
    u64::try_from(d.num_seconds()).unwrap_or(0)
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn ids<T: ToString>(v: Option<T>) -> Option<String> {
    v.map(|x| x.to_string())
}

fn map<A, B: From<A>>(v: Vec<A>) -> Vec<B> {
    v.into_iter().map(Into::into).collect()
}

/// Two-way conversion between a fieldless binding enum and its core twin.
macro_rules! mirror_enum {
    ($(#[$doc:meta])* $name:ident <=> $core:path { $($(#[$vdoc:meta])* $v:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
        pub enum $name { $($(#[$vdoc])* $v),* }

        impl From<$core> for $name {
            fn from(v: $core) -> Self {
                use $core as C;
                match v { $(C::$v => Self::$v),* }
            }
        }

        impl From<$name> for $core {
            fn from(v: $name) -> Self {
                use $core as C;
                match v { $($name::$v => C::$v),* }
            }
        }
    };
}

// ---------------------------------------------------------------- enums

mirror_enum!(
    /// A role the access policy grants permissions to.
    Role <=> cb::Role { Patient, Practitioner, Nurse, FrontDesk, Billing, Admin, System }
);
mirror_enum!(
    /// FHIR `HumanName.use`.
    NameUse <=> cbp::NameUse { Usual, Official, Temp, Nickname, Anonymous, Old, Maiden }
);
mirror_enum!(
    /// FHIR administrative gender.
    Gender <=> cbp::Gender { Male, Female, Other, Unknown }
);
mirror_enum!(
    /// Phone or email.
    ContactSystem <=> cbp::ContactSystem { Phone, Email }
);
mirror_enum!(
    /// FHIR `ContactPoint.use`.
    ContactUse <=> cbp::ContactUse { Home, Work, Mobile, Temp, Old }
);
mirror_enum!(
    /// FHIR `Address.use`.
    AddressUse <=> cbp::AddressUse { Home, Work, Temp, Old, Billing }
);
mirror_enum!(
    /// A maskable field of [`PatientDetails`].
    PatientField <=> cbp::PatientField {
        Identifiers, Names, Gender, BirthDate, Telecom, Addresses, Language,
        EmergencyContacts, Deceased
    }
);
mirror_enum!(
    /// A check-digit scheme.
    CheckDigit <=> cbp::CheckDigit { Luhn, Verhoeff }
);
mirror_enum!(
    /// Something an actor can be allowed to do (`resource.action` codes in core).
    Permission <=> cbpol::Permission {
        PatientRead, PatientSearch, PatientRegister, PatientUpdate, PatientDeactivate,
        PatientMerge, MrnGenerate, CareTeamRead, CareTeamManage, BreakGlassRequest,
        BreakGlassReview, AuditRead, AuditVerify, AccessLogRead, OutboxRead, PolicyManage
    }
);
mirror_enum!(
    /// How the actor must be related to the patient for a rule to apply.
    Relationship <=> cbpol::Relationship { Any, OwnRecord, CareTeam, BreakGlass }
);
mirror_enum!(
    /// How an audited attempt ended.
    Outcome <=> cba::Outcome { Success, Denied, Failed }
);
mirror_enum!(
    /// What broke an audit chain.
    ProblemKind <=> cba::ProblemKind { Edited, Deleted, Reordered, Inserted }
);

// ---------------------------------------------------------------- errors

/// One failing input field.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FieldError {
    /// Path of the field, e.g. `names[0].family`.
    pub field: String,
    /// Stable rule code, e.g. `required`.
    pub code: String,
    /// Explanation without the offending value.
    pub message: String,
}

impl From<cb::FieldError> for FieldError {
    fn from(f: cb::FieldError) -> Self {
        Self {
            field: f.field,
            code: f.code,
            message: f.message,
        }
    }
}

/// Why a write lost against the current state.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ConflictDetail {
    /// The caller's expected version is not the stored one.
    StaleVersion {
        /// Entity kind.
        entity: String,
        /// Version the caller expected.
        expected: u64,
        /// Version in the store.
        actual: u64,
    },
    /// Another patient already holds this value in the identifier system.
    DuplicateIdentifier {
        /// The identifier system.
        system: String,
    },
    /// The entity is in a state that forbids the change.
    InvalidState {
        /// Entity kind.
        entity: String,
        /// The state rule broken.
        rule: String,
    },
    /// The entity already exists.
    AlreadyExists {
        /// Entity kind.
        entity: String,
    },
}

impl From<cb::ConflictDetail> for ConflictDetail {
    fn from(d: cb::ConflictDetail) -> Self {
        use cb::ConflictDetail as C;
        match d {
            C::StaleVersion {
                entity,
                expected,
                actual,
            } => Self::StaleVersion {
                entity,
                expected,
                actual,
            },
            C::DuplicateIdentifier { system } => Self::DuplicateIdentifier { system },
            C::InvalidState { entity, rule } => Self::InvalidState { entity, rule },
            C::AlreadyExists { entity } => Self::AlreadyExists { entity },
        }
    }
}

/// One rule considered for a decision, and whether its relationship held.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReasonStep {
    /// The rule id.
    pub rule: String,
    /// Through which of the actor's roles.
    pub role: Role,
    /// The relationship it required.
    pub relationship: Relationship,
    /// Whether it held.
    pub held: bool,
}

impl From<cbpol::ReasonStep> for ReasonStep {
    fn from(s: cbpol::ReasonStep) -> Self {
        Self {
            rule: s.rule,
            role: s.role.into(),
            relationship: s.relationship.into(),
            held: s.held,
        }
    }
}

/// Why a request was denied.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DenyReason {
    /// The permission asked for.
    pub permission: Permission,
    /// Rules that matched role and permission but whose relationship failed.
    pub steps: Vec<ReasonStep>,
    /// Core's one-line explanation, e.g. `patient.read needs relationship care_team (…)`.
    pub summary: String,
}

impl From<cbpol::DenyReason> for DenyReason {
    fn from(r: cbpol::DenyReason) -> Self {
        let summary = r.to_string();
        Self {
            permission: r.permission.into(),
            steps: map(r.steps),
            summary,
        }
    }
}

/// The policy's answer to "may this actor do this?".
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Decision {
    /// Allowed or denied.
    pub allowed: bool,
    /// The permission asked for.
    pub permission: Permission,
    /// Every rule considered, in policy order.
    pub steps: Vec<ReasonStep>,
    /// Patient fields visible; empty when denied.
    pub visible_fields: Vec<PatientField>,
    /// Set when only a break-the-glass grant allowed.
    pub break_glass: Option<String>,
}

impl From<cbpol::Decision> for Decision {
    fn from(d: cbpol::Decision) -> Self {
        Self {
            allowed: d.allowed,
            permission: d.permission.into(),
            steps: map(d.steps),
            visible_fields: map(d.visible_fields),
            break_glass: ids(d.break_glass),
        }
    }
}

// ---------------------------------------------------------------- actor, settings

/// Who is asking. Hosts build it from their own authentication.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Actor {
    /// Stable id of the login or process.
    pub id: String,
    /// Roles held.
    pub roles: Vec<Role>,
    /// The practitioner this actor is (care-team relationships).
    #[uniffi(default)]
    pub practitioner: Option<String>,
    /// The patient this actor is (own-record access).
    #[uniffi(default)]
    pub patient: Option<String>,
}

impl TryFrom<Actor> for cb::Actor {
    type Error = cb::Error;
    fn try_from(a: Actor) -> cb::Result<Self> {
        let mut f = Fields::default();
        let id = f.take(actor_id("actor.id", &a.id));
        let practitioner = f.opt(
            a.practitioner
                .as_deref()
                .map(|p| practitioner_id("actor.practitioner", p)),
        );
        let patient = f.opt(a.patient.as_deref().map(|p| patient_id("actor.patient", p)));
        f.done(|| {
            Some(cb::Actor {
                id: id?,
                roles: map(a.roles),
                practitioner,
                patient,
            })
        })
    }
}

/// Rules for one identifier system.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IdentifierSystem {
    /// The system URI.
    pub system: String,
    /// Check digit every value must carry, if any.
    #[uniffi(default)]
    pub check_digit: Option<CheckDigit>,
}

/// MRN generation for one facility: prefix + zero-padded counter (+ check digit).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MrnNamespace {
    /// Facility code, e.g. `north`.
    pub facility: String,
    /// Identifier system the MRNs belong to.
    pub system: String,
    /// Text before the number.
    #[uniffi(default)]
    pub prefix: String,
    /// Minimum number of digits.
    pub digits: u32,
    /// Check digit appended, if any.
    #[uniffi(default)]
    pub check_digit: Option<CheckDigit>,
}

/// Clinic-wide configuration a host sets once.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Settings {
    /// Identifier systems with their check-digit rules.
    #[uniffi(default)]
    pub identifier_systems: Vec<IdentifierSystem>,
    /// MRN generation per facility.
    #[uniffi(default)]
    pub mrn_namespaces: Vec<MrnNamespace>,
    /// Break-the-glass grant length when none is asked, in seconds.
    #[uniffi(default = 3600)]
    pub break_glass_default_secs: u64,
    /// Longest break-the-glass grant that may be asked for, in seconds.
    #[uniffi(default = 86400)]
    pub break_glass_max_secs: u64,
}

impl From<cb::Settings> for Settings {
    fn from(s: cb::Settings) -> Self {
        Self {
            identifier_systems: s
                .identifier_systems
                .into_iter()
                .map(|i| IdentifierSystem {
                    system: i.system,
                    check_digit: i.check_digit.map(Into::into),
                })
                .collect(),
            mrn_namespaces: s
                .mrn_namespaces
                .into_iter()
                .map(|n| MrnNamespace {
                    facility: n.facility,
                    system: n.system,
                    prefix: n.prefix,
                    digits: n.digits,
                    check_digit: n.check_digit.map(Into::into),
                })
                .collect(),
            break_glass_default_secs: secs_of(s.break_glass_default),
            break_glass_max_secs: secs_of(s.break_glass_max),
        }
    }
}

impl TryFrom<Settings> for cb::Settings {
    type Error = cb::Error;
    fn try_from(s: Settings) -> cb::Result<Self> {
        let mut f = Fields::default();
        let default = f.take(seconds(
            "break_glass_default_secs",
            s.break_glass_default_secs,
        ));
        let max = f.take(seconds("break_glass_max_secs", s.break_glass_max_secs));
        f.done(|| {
            Some(cb::Settings {
                identifier_systems: s
                    .identifier_systems
                    .into_iter()
                    .map(|i| cbp::IdentifierSystem {
                        system: i.system,
                        check_digit: i.check_digit.map(Into::into),
                    })
                    .collect(),
                mrn_namespaces: s
                    .mrn_namespaces
                    .into_iter()
                    .map(|n| cbp::MrnNamespace {
                        facility: n.facility,
                        system: n.system,
                        prefix: n.prefix,
                        digits: n.digits,
                        check_digit: n.check_digit.map(Into::into),
                    })
                    .collect(),
                break_glass_default: default?,
                break_glass_max: max?,
            })
        })
    }
}

// ---------------------------------------------------------------- patients

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

// Patient data must never reach logs through `{:?}` (nor, via
// `uniffi::export(Debug)`, Kotlin `toString()` / Swift `description`).
macro_rules! redacted_debug {
    ($($t:ty),*) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($t), "(<redacted>)"))
            }
        }
    )*};
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

// ---------------------------------------------------------------- duplicates, merge

/// One field's contribution to a duplicate score.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FieldScore {
    /// Similarity 0–1; `null` when a side lacks the field.
    pub similarity: Option<f64>,
    /// Weight in the total.
    pub weight: f64,
}

impl From<cbp::FieldScore> for FieldScore {
    fn from(s: cbp::FieldScore) -> Self {
        Self {
            similarity: s.similarity,
            weight: s.weight,
        }
    }
}

/// Similarity per field and the weighted total.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DuplicateScore {
    /// Weighted total 0–1.
    pub total: f64,
    /// Names.
    pub name: FieldScore,
    /// Birth date.
    pub birth_date: FieldScore,
    /// Phone.
    pub phone: FieldScore,
    /// Email.
    pub email: FieldScore,
    /// Identifier.
    pub identifier: FieldScore,
}

impl From<cbp::DuplicateScore> for DuplicateScore {
    fn from(s: cbp::DuplicateScore) -> Self {
        Self {
            total: s.total,
            name: s.name.into(),
            birth_date: s.birth_date.into(),
            phone: s.phone.into(),
            email: s.email.into(),
            identifier: s.identifier.into(),
        }
    }
}

/// A possible duplicate of a patient.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DuplicateCandidate {
    /// The other record (masked for the reader).
    pub patient: Patient,
    /// Why it looks the same.
    pub score: DuplicateScore,
}

impl From<cbp::DuplicateCandidate> for DuplicateCandidate {
    fn from(c: cbp::DuplicateCandidate) -> Self {
        Self {
            patient: c.patient.into(),
            score: c.score.into(),
        }
    }
}

/// One entry of the merge log.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MergeRecord {
    /// Id of this merge.
    pub id: String,
    /// The record that lives on.
    pub survivor: String,
    /// The record marked replaced-by the survivor.
    pub merged: String,
    /// The merged record as it was before the merge.
    pub merged_before: Patient,
    /// The merged record's version written by the merge.
    pub merged_version_after: u64,
    /// Who merged.
    pub merged_by: String,
    /// When.
    pub merged_at: String,
    /// Who undid it.
    pub unmerged_by: Option<String>,
    /// When it was undone.
    pub unmerged_at: Option<String>,
}

impl From<cbp::MergeRecord> for MergeRecord {
    fn from(m: cbp::MergeRecord) -> Self {
        Self {
            id: m.id.to_string(),
            survivor: m.survivor.to_string(),
            merged: m.merged.to_string(),
            merged_before: m.merged_before.into(),
            merged_version_after: m.merged_version_after,
            merged_by: m.merged_by.to_string(),
            merged_at: ts(m.merged_at),
            unmerged_by: ids(m.unmerged_by),
            unmerged_at: m.unmerged_at.map(ts),
        }
    }
}

// ---------------------------------------------------------------- access

/// A practitioner on a patient's care team.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CareAssignment {
    /// The patient.
    pub patient: String,
    /// The practitioner.
    pub practitioner: String,
    /// Who assigned them.
    pub assigned_by: String,
    /// When.
    pub assigned_at: String,
}

impl From<cb::access::CareAssignment> for CareAssignment {
    fn from(c: cb::access::CareAssignment) -> Self {
        Self {
            patient: c.patient.to_string(),
            practitioner: c.practitioner.to_string(),
            assigned_by: c.assigned_by.to_string(),
            assigned_at: ts(c.assigned_at),
        }
    }
}

/// Emergency (break-the-glass) access to one patient for a bounded time.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct BreakGlassGrant {
    /// Grant id.
    pub id: String,
    /// Who asked.
    pub actor: String,
    /// For which patient.
    pub patient: String,
    /// Why (staff text).
    pub reason: String,
    /// When granted.
    pub granted_at: String,
    /// When it stops working.
    pub expires_at: String,
    /// The reviewing admin.
    pub reviewed_by: Option<String>,
    /// When reviewed.
    pub reviewed_at: Option<String>,
    /// The reviewer's note.
    pub review_note: Option<String>,
}
redacted_debug!(BreakGlassGrant);

impl From<cb::access::BreakGlassGrant> for BreakGlassGrant {
    fn from(g: cb::access::BreakGlassGrant) -> Self {
        Self {
            id: g.id.to_string(),
            actor: g.actor.to_string(),
            patient: g.patient.to_string(),
            reason: g.reason,
            granted_at: ts(g.granted_at),
            expires_at: ts(g.expires_at),
            reviewed_by: ids(g.reviewed_by),
            reviewed_at: g.reviewed_at.map(ts),
            review_note: g.review_note,
        }
    }
}

// ---------------------------------------------------------------- audit

/// A chained audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuditEntry {
    /// Entry id.
    pub id: String,
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// The roles the actor held.
    pub roles: Vec<Role>,
    /// What, as a permission code, e.g. `patient.read`.
    pub action: String,
    /// Which patient, if any.
    pub patient: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// The allowing rule, or why it was refused or failed.
    pub reason: String,
    /// Set when access relied on a break-the-glass grant.
    pub break_glass: Option<String>,
    /// Another entity concerned, if any.
    pub subject: Option<String>,
    /// 1-based position in its chain.
    pub chain_seq: u64,
    /// Hash of the previous entry in the chain.
    pub prev_hash: String,
    /// Hash of this entry.
    pub hash: String,
}

impl From<cba::AuditEntry> for AuditEntry {
    fn from(e: cba::AuditEntry) -> Self {
        let d = e.draft;
        Self {
            id: d.id.to_string(),
            at: ts(d.at),
            actor: d.actor.to_string(),
            roles: map(d.roles),
            action: d.action,
            patient: ids(d.patient),
            outcome: d.outcome.into(),
            reason: d.reason,
            break_glass: ids(d.break_glass),
            subject: d.subject,
            chain_seq: e.chain_seq,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// Filter for listing audit entries.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuditQuery {
    /// Only entries about this patient.
    #[uniffi(default)]
    pub patient: Option<String>,
    /// Only entries by this actor.
    #[uniffi(default)]
    pub actor: Option<String>,
    /// Only entries recorded after this entry id.
    #[uniffi(default)]
    pub after: Option<String>,
    /// Maximum entries (default 100, at most 1000).
    #[uniffi(default)]
    pub limit: Option<u32>,
}

impl TryFrom<AuditQuery> for cba::AuditQuery {
    type Error = cb::Error;
    fn try_from(q: AuditQuery) -> cb::Result<Self> {
        let mut f = Fields::default();
        let patient = f.opt(q.patient.as_deref().map(|p| patient_id("patient", p)));
        let actor = f.opt(q.actor.as_deref().map(|a| actor_id("actor", a)));
        let after = f.opt(q.after.as_deref().map(|a| audit_entry_id("after", a)));
        f.done(|| {
            Some(cba::AuditQuery {
                patient,
                actor,
                after,
                limit: q.limit,
            })
        })
    }
}

/// The first problem found in an audit chain.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChainProblem {
    /// Which chain (`null`: entries about no patient).
    pub chain: Option<String>,
    /// Sequence number where the chain breaks.
    pub seq: u64,
    /// The entry at fault, when there is one.
    pub entry: Option<String>,
    /// What happened.
    pub kind: ProblemKind,
}

/// What `verify_audit` found.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuditVerification {
    /// True when every chain is intact.
    pub ok: bool,
    /// Chains walked.
    pub chains_checked: u64,
    /// Entries walked.
    pub entries_checked: u64,
    /// The first problem, if any.
    pub problem: Option<ChainProblem>,
}

impl From<cba::AuditVerification> for AuditVerification {
    fn from(v: cba::AuditVerification) -> Self {
        Self {
            ok: v.ok,
            chains_checked: v.chains_checked,
            entries_checked: v.entries_checked,
            problem: v.problem.map(|p| ChainProblem {
                chain: ids(p.chain),
                seq: p.seq,
                entry: ids(p.entry),
                kind: p.kind.into(),
            }),
        }
    }
}

/// One access to a patient's record.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AccessRecord {
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// Their roles.
    pub roles: Vec<Role>,
    /// What they did.
    pub action: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Whether it was break-the-glass access.
    pub break_glass: bool,
}

impl From<cba::AccessRecord> for AccessRecord {
    fn from(r: cba::AccessRecord) -> Self {
        Self {
            at: ts(r.at),
            actor: r.actor.to_string(),
            roles: map(r.roles),
            action: r.action,
            outcome: r.outcome.into(),
            break_glass: r.break_glass,
        }
    }
}

// ---------------------------------------------------------------- events

/// A domain event from the outbox.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OutboxEvent {
    /// Strictly increasing position in the outbox.
    pub seq: u64,
    /// Event id.
    pub id: String,
    /// Event type, e.g. `patient.registered`.
    pub kind: String,
    /// Version of the payload's JSON contract.
    pub schema_version: u32,
    /// The patient concerned, if any.
    pub patient: Option<String>,
    /// The versioned payload as JSON text.
    pub payload: String,
    /// Same key ⇒ same fact.
    pub idempotency_key: String,
    /// When the change happened.
    pub occurred_at: String,
}

impl From<cb::events::OutboxEvent> for OutboxEvent {
    fn from(e: cb::events::OutboxEvent) -> Self {
        let d = e.draft;
        Self {
            seq: e.seq,
            id: d.id.to_string(),
            kind: d.kind,
            schema_version: d.schema_version,
            patient: ids(d.patient),
            payload: d.payload.to_string(),
            idempotency_key: d.idempotency_key,
            occurred_at: ts(d.occurred_at),
        }
    }
}
