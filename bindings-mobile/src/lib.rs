//! Kotlin/Swift bindings for carebase (uniffi proc-macros).
//!
//! Every record, enum and the error are core's own types (core's feature
//! `uniffi` derives them; `carebase::ffi` maps ids, instants, dates,
//! lengths of time and JSON to each host's types), so nothing here mirrors
//! a type. What this crate adds is the `Clinic` object: `open` over a store
//! from `carebase-storage`, and one method per core operation, produced
//! from core's operations table (`carebase::clinic_operations!`) by
//! [`uniffi_clinic!`]. Errors are core's `carebase::Error` as is (Kotlin
//! `CarebaseException`, Swift `CarebaseError`, with `code()` and core's
//! message). Async methods surface as Kotlin `suspend` / Swift `async`,
//! polled by the host's own executor: the SQLite store answers from its
//! own threads, so the device build (no `postgres`) carries no async
//! runtime; with `postgres` (the JVM JAR) they run inside tokio, which
//! sqlx's pool needs. No clinic rule lives here.

// The operations table is read argument by argument (`uniffi_clinic!`).
#![recursion_limit = "512"]

mod answer;

use std::sync::Arc;

use answer::Answer;
use carebase::audit::AuditKey;
use carebase::clinic::operations::types::*;
use carebase::clinic::ClinicOperations;
use carebase::Error;

uniffi::setup_scaffolding!();

// Core's custom types for foreign types (`carebase::ffi`) implement uniffi's
// traits for core's tag; these lines lend them to this crate's signatures.
uniffi::use_remote_type!(carebase::DateTime<Utc>);
uniffi::use_remote_type!(carebase::Value);

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
pub fn event_schema(kind: String, version: Count32) -> Answer<Option<String>> {
    Answer(Ok(
        carebase::events::schema(&kind, version.get()).map(str::to_owned)
    ))
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

#[cfg_attr(feature = "postgres", uniffi::export(async_runtime = "tokio"))]
#[cfg_attr(not(feature = "postgres"), uniffi::export)]
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

/// Turns core's operations table (`carebase::clinic_operations!`) into
/// `Clinic`'s exported async methods, in one `#[uniffi::export]` impl block:
/// the actor first, then the listed arguments (core's own types, which
/// Kotlin and Swift see natively), `Result<_, carebase::Error>` (as an
/// [`Answer`], so a host value uniffi cannot read names its argument). An
/// argument marked `#[default]` may be left out (its type's default), and so
/// may an `Option` (`None`); `#[flatten]` concerns the JSON form only. Each
/// method calls core through `ClinicOperations`, so a listed operation that
/// core lacks does not compile.
///
/// A muncher: `@op` takes the next operation, `@arg` reads its arguments one
/// by one (collecting parameters, names and defaults), `@emit` writes the
/// impl block once all are read.
macro_rules! uniffi_clinic {
    ($(fn $name:ident ( & $actor:ident $($args:tt)* ) -> $ret:ty ;)*) => {
        uniffi_clinic! { @op [] $( [$name $actor ($($args)*) $ret] )* }
    };
    (@op [$($done:tt)*] [$name:ident $actor:ident ($($args:tt)*) $ret:ty] $($todo:tt)*) => {
        uniffi_clinic! { @arg [$($done)*] [$name $actor $ret] [] [] [] ($($args)*) $($todo)* }
    };
    (@op [$($done:tt)*]) => {
        uniffi_clinic! { @emit $($done)* }
    };
    // The comma before an argument.
    (@arg $done:tt $op:tt $params:tt $names:tt $defaults:tt (, $($input:tt)*) $($todo:tt)*) => {
        uniffi_clinic! { @arg $done $op $params $names $defaults ($($input)*) $($todo)* }
    };
    // `#[flatten]`: the JSON form's business; the record crosses whole.
    (@arg $done:tt $op:tt $params:tt $names:tt $defaults:tt (#[flatten] $($input:tt)*) $($todo:tt)*) => {
        uniffi_clinic! { @arg $done $op $params $names $defaults ($($input)*) $($todo)* }
    };
    // `#[default]`: the type's default when left out.
    (@arg $done:tt $op:tt [$($params:tt)*] [$($names:tt)*] [$($defaults:tt)*]
        (#[default] $arg:ident : $ty:ty $(, $($input:tt)*)?) $($todo:tt)*) => {
        uniffi_clinic! { @arg $done $op [$($params)* $arg: $ty,] [$($names)* $arg] [$($defaults)* ($arg)]
            ($($($input)*)?) $($todo)* }
    };
    // An `Option` may be left out.
    (@arg $done:tt $op:tt [$($params:tt)*] [$($names:tt)*] [$($defaults:tt)*]
        ($arg:ident : Option<$inner:ty> $(, $($input:tt)*)?) $($todo:tt)*) => {
        uniffi_clinic! { @arg $done $op [$($params)* $arg: Option<$inner>,] [$($names)* $arg]
            [$($defaults)* ($arg = None)] ($($($input)*)?) $($todo)* }
    };
    (@arg $done:tt $op:tt [$($params:tt)*] [$($names:tt)*] $defaults:tt
        ($arg:ident : $ty:ty $(, $($input:tt)*)?) $($todo:tt)*) => {
        uniffi_clinic! { @arg $done $op [$($params)* $arg: $ty,] [$($names)* $arg] $defaults
            ($($($input)*)?) $($todo)* }
    };
    // Every argument read: the method (with its defaults, if any).
    (@arg $done:tt $op:tt $params:tt $names:tt [] () $($todo:tt)*) => {
        uniffi_clinic! { @method [] $done $op $params $names $($todo)* }
    };
    (@arg $done:tt $op:tt $params:tt $names:tt [$(($($default:tt)*))+] () $($todo:tt)*) => {
        uniffi_clinic! { @method [#[uniffi::method(default($($($default)*),+))]]
            $done $op $params $names $($todo)* }
    };
    (@method [$($attr:tt)*] [$($done:tt)*] [$name:ident $actor:ident $ret:ty] [$($params:tt)*]
        [$($names:ident)*] $($todo:tt)*) => {
        uniffi_clinic! { @op [$($done)*
            $($attr)*
            pub async fn $name(&self, $actor: Actor, $($params)*) -> Answer<$ret> {
                Answer(ClinicOperations::$name(&self.inner, $actor, $($names),*).await)
            }
        ] $($todo)* }
    };
    (@emit $($methods:tt)*) => {
        #[cfg_attr(feature = "postgres", uniffi::export(async_runtime = "tokio"))]
        #[cfg_attr(not(feature = "postgres"), uniffi::export)]
        // An operation takes what its hosts show (`attach_document`: eight).
        #[allow(clippy::too_many_arguments)]
        impl Clinic {
            $($methods)*
        }
    };
}

carebase::clinic_operations!(uniffi_clinic);
