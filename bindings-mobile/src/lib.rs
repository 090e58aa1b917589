//! Kotlin/Swift bindings for carebase (uniffi proc-macros).
//!
//! Every record, enum and the error are core's own types (core's feature
//! `uniffi` derives them; `carebase::ffi` maps ids, instants, dates, spans
//! and JSON to each host's types), so nothing here mirrors a type. What
//! this crate adds is the `Clinic` object: `open` over a store from
//! `carebase-storage`, and one method per core operation, produced from the
//! operations table (`operations.rs`) by [`uniffi_clinic!`]. Errors are
//! core's `carebase::Error` as is (Kotlin `CarebaseException`, Swift
//! `CarebaseError`). Async methods run on tokio and surface as Kotlin
//! `suspend` / Swift `async`. No clinic rule lives here.

mod operations;

use std::sync::Arc;

use carebase::audit::{
    AccessRecord, AuditCheckpoint, AuditEntry, AuditKey, AuditQuery, AuditVerification,
};
use carebase::clinic::{BookSeries, NewPatient};
use carebase::events::OutboxEvent;
use carebase::ffi::{Instant, Json, TimeSpan};
use carebase::patient::{
    DuplicateCandidate, Identifier, MergeRecord, Patient, PatientDetails, PatientPage,
    PatientQuery,
};
use carebase::policy::{Decision, Permission, Policy};
use carebase::schedule::fhir::FhirAppointmentImport;
use carebase::schedule::{
    Appointment, AppointmentQuery, AppointmentStatus, Availability, BookAppointment,
    CancelAppointment, DueReminder, NewPractitioner, NewResource, NewVisitType, Practitioner,
    RescheduleAppointment, Resource, SlotPage, SlotQuery, VisitType,
};
use carebase::access::{BreakGlassGrant, CareAssignment};
use carebase::{
    Actor, ActorId, AppointmentId, Error, GrantId, MergeId, PatientId, PractitionerId, Settings,
};

use operations::clinic_operations;

uniffi::setup_scaffolding!();

// Core's custom types for foreign types (`carebase::ffi`) implement uniffi's
// traits for core's tag; these lines lend them to this crate's signatures.
uniffi::use_remote_type!(carebase::Instant);
uniffi::use_remote_type!(carebase::TimeSpan);
uniffi::use_remote_type!(carebase::Json);

/// A fresh, time-ordered id (UUID v7) for hosts that mint actor or
/// practitioner ids.
#[uniffi::export]
pub fn new_id() -> ActorId {
    ActorId::new()
}

/// The default access policy document (TOML).
#[uniffi::export]
pub fn default_policy_toml() -> String {
    carebase::policy::DEFAULT_POLICY_TOML.to_owned()
}

/// The built-in default access policy.
#[uniffi::export]
pub fn default_policy() -> Policy {
    Policy::default_policy()
}

/// Reads a TOML policy; errors name the line and field (`invalid_policy`).
#[uniffi::export]
pub fn policy_from_toml(text: String) -> Result<Policy, Error> {
    Policy::from_toml(&text)
}

/// Reads a JSON policy; errors name the line and field (`invalid_policy`).
#[uniffi::export]
pub fn policy_from_json(text: String) -> Result<Policy, Error> {
    Policy::from_json(&text)
}

/// The JSON Schema of an event type, if this version emits it.
#[uniffi::export]
pub fn event_schema(kind: String, version: u32) -> Option<String> {
    carebase::events::schema(&kind, version).map(str::to_owned)
}

/// The default settings: start from these and change what differs
/// (`defaultSettings().copy(…)` in Kotlin).
#[uniffi::export]
pub fn default_settings() -> Settings {
    Settings::default()
}

/// The clinic's rules over one store. Every operation takes an [`Actor`].
#[derive(uniffi::Object)]
pub struct Clinic {
    inner: carebase::Clinic,
}

#[uniffi::export(async_runtime = "tokio")]
impl Clinic {
    /// Opens a store (`memory:`, `sqlite://clinic.db` relative to the working
    /// directory, `sqlite:///abs/path.db`, `sqlite::memory:`,
    /// `postgres://user:password@host/db` where built with PostgreSQL) and a
    /// clinic over it, with optional settings and policy (defaults
    /// otherwise). `audit_key` (Kotlin `ByteArray`, Swift `Data`, at least
    /// 32 random bytes) seals the audit trail; keep it outside the
    /// database. Without one the public development key is used and every
    /// verification says `keyed = false`: set one in production.
    #[uniffi::constructor(default(settings = None, policy = None, audit_key = None))]
    pub async fn open(
        url: String,
        settings: Option<Settings>,
        policy: Option<Policy>,
        audit_key: Option<Vec<u8>>,
    ) -> Result<Arc<Self>, Error> {
        let audit_key = audit_key.as_deref().map(AuditKey::new).transpose()?;
        // Checked before the store opens, so bad settings create no file.
        settings.as_ref().map(Settings::validate).transpose()?;
        let store = carebase_storage::open(&url).await?;
        let mut inner = carebase::Clinic::new(store);
        if let Some(key) = audit_key {
            inner = inner.with_audit_key(key);
        }
        if let Some(settings) = settings {
            inner = inner.with_settings(settings)?;
        }
        if let Some(policy) = policy {
            inner = inner.with_policy(policy);
        }
        Ok(Arc::new(Self { inner }))
    }

    /// The settings in force.
    pub fn settings(&self) -> Settings {
        self.inner.settings().clone()
    }

    /// The policy in force.
    pub fn policy(&self) -> Policy {
        (*self.inner.policy()).clone()
    }

    /// The public fingerprint of the audit key in use (for diagnostics).
    pub fn audit_key_id(&self) -> String {
        self.inner.audit_key_id().to_owned()
    }
}

/// Turns the operations table into `Clinic`'s exported async methods: the
/// actor first, the arguments as listed (core's types, which Kotlin and
/// Swift see natively), `Result<_, carebase::Error>`.
macro_rules! uniffi_clinic {
    ($(
        $(#[$doc:meta])*
        fn $name:ident($actor:ident $(, $arg:ident: $ty:ty $(= $default:tt)?)* $(,)?) -> $ret:ty
            = |$clinic:ident| $call:expr;
    )*) => {
        #[uniffi::export(async_runtime = "tokio")]
        impl Clinic {
            $(
                $(#[$doc])*
                #[uniffi::method(default($($($arg = $default,)?)*))]
                pub async fn $name(&self, $actor: Actor $(, $arg: $ty)*) -> Result<$ret, Error> {
                    let $clinic = &self.inner;
                    $call.await
                }
            )*
        }
    };
}

clinic_operations!(uniffi_clinic);
