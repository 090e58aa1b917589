//! The audit concern of the port: the chained entries, each chain's head,
//! and the signed checkpoint history. Sealing is core's: the driver reads
//! the heads of the chains a change set extends, seals every entry with the
//! clinic's key, and hands the backend finished rows.

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;

use super::ChangeSet;
use crate::audit::{
    seal, AuditCheckpoint, AuditDraft, AuditEntry, AuditKey, AuditQuery, ChainHead, GENESIS_HASH,
};
use crate::ids::PatientId;
use crate::{Error, Result};

/// A new audit checkpoint and the chain heads it pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointWrite {
    /// The signed checkpoint. Its `seq` must be one past the newest stored
    /// one and its `prev_signature` that one's signature (or the genesis
    /// value for the first), else the change set fails with a stale-version
    /// conflict: two checkpoints racing cannot both extend the history.
    pub checkpoint: AuditCheckpoint,
    /// The pinned heads that differ from the previous checkpoint's; the
    /// store keeps, per chain, the head the newest checkpoint pinned.
    pub changed_heads: Vec<ChainHead>,
}

impl ChangeSet {
    /// Adds an audit entry to chain (entries are chained in the order given).
    pub fn audit(mut self, draft: AuditDraft) -> Self {
        self.audit.push(draft);
        self
    }

    /// Records an audit checkpoint.
    pub fn checkpoint(mut self, write: CheckpointWrite) -> Self {
        self.checkpoint = Some(write);
        self
    }
}

/// Reads of the audit trail and its checkpoints.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Audit entries, filtered and paged as [`AuditQuery`] says: a
    /// patient's in chain order (an `after` outside that chain is
    /// [`AuditQuery::foreign_cursor`]), the others in id order.
    async fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>>;
    /// Every chain's head.
    async fn audit_heads(&self) -> Result<Vec<ChainHead>>;
    /// Every chain that has entries (including ones without a head).
    async fn audit_chains(&self) -> Result<Vec<Option<PatientId>>>;
    /// One chain's entries in stored `chain_seq` order, from `from_seq`, at most `limit`.
    async fn audit_chain(
        &self,
        chain: Option<PatientId>,
        from_seq: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>>;
    /// Stored audit checkpoints with `seq > after`, oldest first, at most `limit`.
    async fn audit_checkpoints(&self, after: u64, limit: u32) -> Result<Vec<AuditCheckpoint>>;
    /// The newest stored audit checkpoint.
    async fn latest_audit_checkpoint(&self) -> Result<Option<AuditCheckpoint>>;
    /// Per chain, the head the newest checkpoint pinned (none before the first).
    async fn audit_checkpoint_heads(&self) -> Result<Vec<ChainHead>>;
}

/// Audit write primitives, inside a backend's transaction.
#[async_trait]
pub trait AuditWrites: Send {
    /// The heads of `chains` (given sorted; a chain without entries has
    /// none), held until commit: a backend whose writers run concurrently
    /// locks them here in the given order, so two writers sharing chains
    /// never deadlock and writers of other chains never wait.
    async fn chain_heads(&mut self, chains: &[Option<PatientId>]) -> Result<Vec<ChainHead>>;
    /// Stores sealed entries and moves each chain's head to `heads` (one
    /// per chain the entries extend). The store never seals nor moves a
    /// head on its own.
    async fn append_audit(&mut self, entries: &[AuditEntry], heads: &[ChainHead]) -> Result<()>;
    /// The newest stored checkpoint, held until commit so two checkpoints
    /// serialize.
    async fn newest_checkpoint(&mut self) -> Result<Option<AuditCheckpoint>>;
    /// Stores a checkpoint and the heads it pinned that moved. `false` when
    /// a checkpoint with its `seq` already exists (a racing writer won).
    async fn insert_checkpoint(&mut self, write: &CheckpointWrite) -> Result<bool>;
}

/// Chains every draft after its chain's head, sealed with `key`, and
/// appends them all at once.
pub(super) async fn append<T: AuditWrites + ?Sized>(
    tx: &mut T,
    drafts: Vec<AuditDraft>,
    key: &AuditKey,
) -> Result<Vec<AuditEntry>> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    let chains: Vec<Option<PatientId>> = drafts
        .iter()
        .map(|d| d.patient)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut heads: HashMap<Option<PatientId>, ChainHead> = tx
        .chain_heads(&chains)
        .await?
        .into_iter()
        .map(|h| (h.chain, h))
        .collect();
    let mut entries = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let chain = draft.patient;
        let entry = seal(draft, heads.get(&chain), key);
        heads.insert(
            chain,
            ChainHead {
                chain,
                seq: entry.chain_seq.get(),
                hash: entry.hash.clone(),
            },
        );
        entries.push(entry);
    }
    let moved: Vec<ChainHead> = chains
        .iter()
        .filter_map(|chain| heads.remove(chain))
        .collect();
    tx.append_audit(&entries, &moved).await?;
    Ok(entries)
}

/// Appends a checkpoint if it extends the newest one; anything else is a
/// stale-version conflict.
pub(super) async fn checkpoint<T: AuditWrites + ?Sized>(
    tx: &mut T,
    write: CheckpointWrite,
) -> Result<()> {
    let newest = tx.newest_checkpoint().await?;
    let (seq, signature) =
        newest.map_or((0, GENESIS_HASH.to_owned()), |c| (c.seq.get(), c.signature));
    let cp = &write.checkpoint;
    let stale = || Error::stale("audit checkpoint", cp.seq.get().saturating_sub(1), seq);
    if cp.seq != seq + 1 || cp.prev_signature != signature {
        return Err(stale());
    }
    if !tx.insert_checkpoint(&write).await? {
        return Err(stale());
    }
    Ok(())
}
