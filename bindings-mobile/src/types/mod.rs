//! Native records and enums mirroring core's types, and their conversions.
//!
//! Conventions (the same everywhere): ids are canonical UUID strings, dates
//! `yyyy-mm-dd`, local wall-clock times `HH:MM` (`HH:MM:SS` accepted, and
//! returned when the seconds are not zero), instants RFC 3339 UTC
//! (`2026-11-22T09:00:00.000000Z`), versions and sequence numbers `u64`
//! (Kotlin `ULong`), durations whole seconds, free-form JSON as text. Text
//! that fails to parse becomes a `validation` error naming the field;
//! conversions into core collect every bad field, like core does.

use carebase as cb;
use cb::audit as cba;
use cb::patient as cbp;
use cb::policy as cbpol;
use cb::schedule as cbs;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, SecondsFormat, Timelike, Utc};

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
id_parser!(resource_id, cb::ResourceId);
id_parser!(visit_type_id, cb::VisitTypeId);
id_parser!(appointment_id, cb::AppointmentId);

pub(crate) fn date(field: &str, text: &str) -> cb::Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| cb::Error::invalid(field, "invalid_date", "not a yyyy-mm-dd date"))
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(crate) fn local_time(field: &str, text: &str) -> cb::Result<NaiveTime> {
    NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
        .map_err(|_| cb::Error::invalid(field, "invalid_time", "not an HH:MM local time"))
}

fn hhmm(t: NaiveTime) -> String {
    if t.second() == 0 && t.nanosecond() == 0 {
        t.format("%H:%M").to_string()
    } else {
        t.format("%H:%M:%S").to_string()
    }
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
        BreakGlassReview, AuditRead, AuditVerify, AccessLogRead, AuditCheckpoint, OutboxRead,
        PolicyManage,
        ScheduleRead, ScheduleManage, CalendarRead, AppointmentRead, AppointmentBook,
        AppointmentMigrate, AppointmentReschedule, AppointmentCancel, AppointmentStatus,
        ReminderSend
    }
);
mirror_enum!(
    /// How the actor must be related to the patient for a rule to apply.
    Relationship <=> cbpol::Relationship { Any, OwnRecord, CareTeam, BreakGlass, OwnSchedule }
);
mirror_enum!(
    /// How an audited attempt ended.
    Outcome <=> cba::Outcome { Success, Denied, Failed }
);
mirror_enum!(
    /// What kind of storage failure happened: what a host can do about it
    /// (retry the call, wait for the server, restore a backup, upgrade).
    StorageKind <=> cb::StorageKind {
        Retryable, Unavailable, Corrupt, SchemaTooNew, Closed, Other
    }
);
mirror_enum!(
    /// What verification found broken (a closed set; see core's `ProblemKind`).
    ProblemKind <=> cba::ProblemKind {
        Edited, Deleted, Reordered, Inserted, Forged, WrongKey, MissingChain,
        CheckpointMismatch, CheckpointEdited, CheckpointMissing
    }
);

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

mod decision;
pub use decision::*;
mod settings;
pub use settings::*;
mod patient;
pub use patient::*;
mod merge;
pub use merge::*;
mod access;
pub use access::*;
mod audit;
pub use audit::*;
mod events;
pub use events::*;
mod schedule;
pub use schedule::*;
mod appointment;
pub use appointment::*;
