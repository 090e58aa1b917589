//! The in-memory backend: the reference semantics every other backend must
//! match (the conformance suite runs against it first). One lock guards the
//! whole state, so a change set is atomic and its preconditions are checked
//! under the same lock that applies it. The state lives in persistent maps,
//! so the copy a change set is applied to costs O(1), not O(size): the
//! copy is the transaction ([`Transaction`] is implemented on it, one
//! concern per module), swapped in when core's driver succeeds.

mod access;
mod audit;
mod blobs;
mod outbox;
mod patients;
mod record;
mod scheduling;

use std::sync::{Mutex, MutexGuard};

pub use blobs::MemoryBlobs;

use imbl::{HashMap, OrdMap as BTreeMap, Vector};

use async_trait::async_trait;

use super::{apply_now, Applied, ChangeSet, Reference, ReferenceKind, Store, Transaction};
use crate::access::{BreakGlassGrant, CareAssignment};
use crate::audit::{AuditCheckpoint, AuditEntry, AuditKey, ChainHead};
use crate::events::OutboxEvent;
use crate::ids::{AuditEntryId, GrantId, MergeId, PatientId, PractitionerId};
use crate::ids::{ResourceId, VisitTypeId};
use crate::patient::normalize::SearchKeys;
use crate::patient::{MergeRecord, Patient};
use crate::Result;

#[derive(Default, Clone)]
struct State {
    patients: BTreeMap<PatientId, Patient>,
    keys: HashMap<PatientId, SearchKeys>,
    identifiers: HashMap<(String, String), PatientId>,
    care_team: BTreeMap<(PatientId, PractitionerId), CareAssignment>,
    grants: BTreeMap<GrantId, BreakGlassGrant>,
    merges: BTreeMap<MergeId, MergeRecord>,
    counters: HashMap<String, u64>,
    consumers: HashMap<(String, u32), u64>,
    audit: BTreeMap<AuditEntryId, AuditEntry>,
    chains: HashMap<Option<PatientId>, Vector<AuditEntryId>>,
    heads: HashMap<Option<PatientId>, ChainHead>,
    checkpoints: Vector<AuditCheckpoint>,
    pinned: HashMap<Option<PatientId>, ChainHead>,
    audit_key: AuditKey,
    /// Each partition's events, in order.
    partitions: HashMap<u32, Vector<OutboxEvent>>,
    outbox_partitions: outbox::Partitions,
    schedules: scheduling::Schedules,
    records: record::Records,
}

/// A store in process memory: for tests, demos and hosts that persist elsewhere.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    /// Documents' bytes, kept as long as the store.
    blobs: std::sync::Arc<MemoryBlobs>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store whose outbox numbers events in `partitions`
    /// partitions (at least 1, at most [`crate::events::OUTBOX_PARTITIONS`])
    /// instead of [`crate::events::OUTBOX_PARTITIONS`]: with 1, its events
    /// read exactly as a SQLite store's, for tests comparing the two.
    pub fn with_outbox_partitions(partitions: u32) -> Self {
        let store = Self::default();
        store.lock().outbox_partitions = outbox::Partitions::new(partitions);
        store
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied change
        // set (apply works on a copy), so a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `edit` on the raw audit rows of one chain. Exists so tests can
    /// tamper with the trail and prove that verification notices.
    #[doc(hidden)]
    pub fn tamper_audit_chain(
        &self,
        chain: Option<PatientId>,
        edit: impl FnOnce(&mut Vec<AuditEntry>),
    ) {
        let mut state = self.lock();
        let ids = state.chains.get(&chain).cloned().unwrap_or_default();
        let mut entries: Vec<AuditEntry> = ids
            .iter()
            .filter_map(|id| state.audit.get(id).cloned())
            .collect();
        edit(&mut entries);
        for id in ids {
            state.audit.remove(&id);
        }
        state
            .chains
            .insert(chain, entries.iter().map(|e| e.draft.id).collect());
        for e in entries {
            state.audit.insert(e.draft.id, e);
        }
    }

    /// Runs `edit` on the raw chain heads, for tamper tests.
    #[doc(hidden)]
    pub fn tamper_audit_heads(&self, edit: impl FnOnce(&mut Vec<ChainHead>)) {
        let mut state = self.lock();
        let mut heads: Vec<ChainHead> = state.heads.values().cloned().collect();
        edit(&mut heads);
        state.heads = heads.into_iter().map(|h| (h.chain, h)).collect();
    }

    /// Runs `edit` on the raw checkpoint history, for tamper tests.
    #[doc(hidden)]
    pub fn tamper_audit_checkpoints(&self, edit: impl FnOnce(&mut Vec<AuditCheckpoint>)) {
        let mut state = self.lock();
        let mut checkpoints: Vec<AuditCheckpoint> = state.checkpoints.iter().cloned().collect();
        edit(&mut checkpoints);
        state.checkpoints = checkpoints.into_iter().collect();
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn apply(&self, changes: ChangeSet) -> Result<Applied> {
        let mut state = self.lock();
        // Work on a copy so a failing precondition leaves nothing behind.
        let mut next = state.clone();
        let key = next.audit_key.clone();
        let applied = apply_now(&mut next, changes, &key)?;
        *state = next;
        Ok(applied)
    }

    fn use_audit_key(&self, key: AuditKey) {
        self.lock().audit_key = key;
    }

    fn blobs(&self) -> Option<std::sync::Arc<dyn super::BlobStore>> {
        Some(self.blobs.clone())
    }
}

#[async_trait]
impl Transaction for State {
    async fn exists(&mut self, reference: &Reference) -> Result<bool> {
        let sched = &self.schedules;
        Ok(match reference.kind {
            ReferenceKind::Patient => self.patients.contains_key(&PatientId(reference.id)),
            ReferenceKind::Practitioner => sched
                .practitioners
                .contains_key(&PractitionerId(reference.id)),
            ReferenceKind::Resource => sched.resources.contains_key(&ResourceId(reference.id)),
            ReferenceKind::VisitType => sched.visit_types.contains_key(&VisitTypeId(reference.id)),
        })
    }
}
