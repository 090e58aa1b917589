//! The storage port, one concern at a time.
//!
//! Reads are one trait per concern ([`PatientStore`], [`AccessStore`],
//! [`AuditStore`], [`ScheduleStore`], [`OutboxStore`], [`RecordStore`]); [`Store`] is their
//! sum plus the ONE atomic write, [`Store::apply`] of a [`ChangeSet`]. The
//! order in which a change set is written is core's ([`apply_changes`]):
//! a backend implements each concern's write primitives on its transaction
//! ([`Transaction`]) and checks their preconditions (expected versions,
//! identifier uniqueness, no overlap, once-only marks) inside it; audit
//! entries are sealed by the driver with the key the clinic handed the
//! store ([`Store::use_audit_key`]).
//!
//! Each concern lives in its own module here and in every backend
//! (`memory/<concern>.rs`, `carebase-storage`'s `sqlite/<concern>.rs` and
//! `postgres/<concern>.rs`), so a new domain adds files.

mod access;
mod apply;
mod audit;
mod blobs;
pub mod memory;
mod outbox;
mod patients;
mod record;
mod references;
mod scheduling;

use async_trait::async_trait;

use crate::audit::{AuditDraft, AuditEntry, AuditKey};
use crate::events::{EventDraft, OutboxEvent};
use crate::Result;

pub use access::{AccessChanges, AccessStore, AccessWrites, CareTeamWrite, GrantWrite};
pub use apply::{apply_changes, apply_now, Transaction};
pub use audit::{AuditStore, AuditWrites, CheckpointWrite};
pub use blobs::{is_sha256_hex, BlobKey, BlobStore};
pub use outbox::{round_robin, AckWrite, OutboxChanges, OutboxStore, OutboxWrites};
pub use patients::{
    details_document, read_details_document, MergeWrite, PatientChanges, PatientStore,
    PatientWrite, PatientWrites,
};
pub use record::{RecordChanges, RecordStore, RecordWrites};
pub use references::{Reference, ReferenceKind};
pub use scheduling::{ReminderSent, ScheduleChanges, ScheduleStore, ScheduleWrites, Versioned};

/// Everything one operation writes, applied all-or-nothing, grouped by
/// concern. Build it with the adding methods (`ChangeSet::default()
/// .patient(…).audit(…).event(…)`), one per kind of write.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeSet {
    /// Ids the writes store that must name existing records. Checked
    /// first, inside the transaction (PostgreSQL also locks each named row
    /// against deletion until commit); a missing one fails the change set
    /// with `not_found` naming its field.
    pub references: Vec<Reference>,
    /// Patient records and the merge log.
    pub patients: PatientChanges,
    /// Care teams and break-the-glass grants.
    pub access: AccessChanges,
    /// Practitioners, rooms, visit types, appointments, day limits, reminders.
    pub scheduling: ScheduleChanges,
    /// Consumer acknowledgements.
    pub outbox: OutboxChanges,
    /// Versions of clinical entries appended to the health record.
    pub record: RecordChanges,
    /// Audit entries to chain, in order.
    pub audit: Vec<AuditDraft>,
    /// An audit checkpoint to record.
    pub checkpoint: Option<CheckpointWrite>,
    /// Events to append to the outbox, in order.
    pub events: Vec<EventDraft>,
}

impl ChangeSet {
    /// A change set that only records audit entries (reads, denials, failures).
    pub fn audit_only(audit: Vec<AuditDraft>) -> Self {
        Self {
            audit,
            ..Self::default()
        }
    }

    /// Adds ids the writes store, checked before anything is written.
    pub fn references(mut self, references: impl IntoIterator<Item = Reference>) -> Self {
        self.references.extend(references);
        self
    }
}

/// What a successful apply produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// The sealed audit entries, in the order given.
    pub audit: Vec<AuditEntry>,
    /// The outbox events with their sequence numbers.
    pub events: Vec<OutboxEvent>,
}

/// A backend: every concern's reads plus the one atomic write.
/// Implementations: [`memory::MemoryStore`] here, SQLite and PostgreSQL in
/// `carebase-storage`; all pass `conformance`.
#[async_trait]
pub trait Store:
    PatientStore + AccessStore + AuditStore + ScheduleStore + OutboxStore + RecordStore
{
    /// Applies a change set atomically through [`apply_changes`]; on any
    /// error nothing is written. Audit entries are sealed with the key of
    /// [`Store::use_audit_key`] and each chain's head is advanced in the
    /// same transaction.
    async fn apply(&self, changes: ChangeSet) -> Result<Applied>;

    /// Applies each change set atomically on its own, in order, answering
    /// per change set: one that fails writes nothing of itself and stops
    /// none of the others. A backend may share transactions between them
    /// (SQLite: its group commit, a savepoint each); by default they are
    /// applied one after another. The base of batch operations.
    async fn apply_each(&self, change_sets: Vec<ChangeSet>) -> Vec<Result<Applied>> {
        let mut answers = Vec::with_capacity(change_sets.len());
        for changes in change_sets {
            answers.push(self.apply(changes).await);
        }
        answers
    }

    /// Seals every audit entry applied from now on with `key` (a new store
    /// seals with the development key). [`crate::Clinic::with_audit_key`]
    /// calls it, so the clinic verifies with the key the store seals with.
    fn use_audit_key(&self, key: AuditKey);

    /// The blob store that belongs with this store (documents' bytes kept
    /// beside the records: memory with memory, files beside a SQLite file,
    /// a table of the same PostgreSQL database), so a clinic opened on a
    /// store keeps documents without more configuration. `None`: the host
    /// names one with [`crate::Clinic::with_blobs`].
    fn blobs(&self) -> Option<std::sync::Arc<dyn BlobStore>> {
        None
    }
}
