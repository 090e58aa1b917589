//! Node bindings for carebase (napi-rs). A thin adapter: every method
//! converts its arguments (`convert.rs`), calls [`carebase::Clinic`], and
//! converts the result; errors cross in one place (`error.rs`).
//!
//! Conventions on the JavaScript side: ids are UUID strings, birth dates
//! and other civil dates `YYYY-MM-DD` strings, local wall-clock times `HH:MM`
//! strings, instants RFC 3339 UTC strings, versions and sequence numbers
//! plain numbers, durations whole minutes.

#![deny(clippy::unwrap_used, clippy::expect_used)]

mod clinic;
mod convert;
mod document;
mod error;
mod schedule;
mod types;

use napi_derive::napi;

use crate::clinic::Clinic;
use crate::convert::Check;
use crate::error::JsResult;
use crate::types::OpenOptions;

/// Opens a store (`memory:`, `sqlite:///path.db`, `sqlite::memory:`) and
/// returns a clinic over it with the given settings, policy and audit key.
#[napi(strict)]
pub async fn open(url: String, options: Option<OpenOptions>) -> napi::Result<Clinic> {
    let options = options.unwrap_or(OpenOptions {
        settings: None,
        policy: None,
        audit_key: None,
    });
    let mut check = Check::default();
    let settings = options.settings.map(|s| check.settings(s.0));
    check.done().js()?;
    // Checked before the store opens, so bad settings create no file.
    settings
        .as_ref()
        .map(carebase::Settings::validate)
        .transpose()
        .js()?;
    let policy = match options.policy.as_deref() {
        Some(text) => Some(convert::policy_in(text).js()?),
        None => None,
    };
    let audit_key = match options.audit_key.as_deref() {
        Some(bytes) => Some(carebase::audit::AuditKey::new(bytes).js()?),
        None => None,
    };
    let store = carebase_storage::open(&url).await.js()?;
    let mut inner = carebase::Clinic::new(store);
    if let Some(key) = audit_key {
        inner = inner.with_audit_key(key);
    }
    if let Some(settings) = settings {
        inner = inner.with_settings(settings).js()?;
    }
    if let Some(policy) = policy {
        inner = inner.with_policy(policy);
    }
    Ok(Clinic::new(inner))
}

/// A fresh time-ordered id (UUID v7), e.g. for actors and practitioners.
#[napi]
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The built-in access policy as TOML text, a starting point for hosts.
#[napi]
pub fn default_policy() -> String {
    carebase::policy::DEFAULT_POLICY_TOML.to_owned()
}
