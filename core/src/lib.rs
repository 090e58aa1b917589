#![deny(missing_docs)]
// The uniffi derives (feature `uniffi`) implement its unsafe FFI traits;
// without the feature core has no unsafe code at all.
#![cfg_attr(not(feature = "uniffi"), forbid(unsafe_code))]
//! carebase — the rules of a clinic as an embeddable library.
//!
//! Every operation goes through [`Clinic`]: it takes an [`Actor`], validates,
//! authorizes with a reason, and hands one [`store::ChangeSet`] (the change, its
//! audit entries and its outbox events) to a [`Store`] that applies it atomically.
//! `core` does no I/O: backends live in `carebase-storage`; [`MemoryStore`] is here.

pub mod access;
pub mod actor;
pub mod api;
pub mod audit;
pub mod bytes;
pub mod clinic;
pub mod clock;
mod codes;
pub mod count;
pub mod decimal;
pub mod document;
pub mod error;
pub mod events;
#[cfg(feature = "uniffi")]
pub mod ffi;
pub mod fhir;
pub mod ids;
pub mod instant;
pub mod limits;
pub mod minutes;
pub mod patient;
pub mod policy;
pub mod record;
pub mod schedule;
pub mod settings;
pub mod store;
pub mod terminology;
mod validation;

#[cfg(feature = "conformance")]
pub mod conformance;

// The Kotlin/Swift namespace of core's types (see `ffi`).
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("carebase");

pub use actor::{Actor, Role};
pub use clinic::{Clinic, Settings};
pub use clock::{Clock, ManualClock, SystemClock};
pub use count::{Count32, Count64};
pub use error::{BookedResource, ConflictDetail, Error, FieldError, Refusal, Result, StorageKind};
pub use ids::{
    ActorId, AppointmentId, AuditEntryId, EntryId, EventId, GrantId, MergeId, PatientId,
    PractitionerId, ResourceId, SeriesId, VisitTypeId,
};
pub use minutes::Minutes;
pub use store::{memory::MemoryStore, Store};
