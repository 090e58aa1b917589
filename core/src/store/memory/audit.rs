//! MemoryStore's audit trail: entries per chain, each chain's head, and the
//! checkpoint history with the heads the newest checkpoint pinned.

use crate::Count32;
use std::collections::HashSet;

use async_trait::async_trait;

use super::{MemoryStore, State};
use crate::audit::{AuditCheckpoint, AuditEntry, AuditQuery, ChainHead};
use crate::ids::{AuditEntryId, PatientId};
use crate::store::{AuditStore, AuditWrites, CheckpointWrite};
use crate::Result;

#[async_trait]
impl AuditWrites for State {
    async fn chain_heads(&mut self, chains: &[Option<PatientId>]) -> Result<Vec<ChainHead>> {
        Ok(chains
            .iter()
            .filter_map(|chain| self.heads.get(chain).cloned())
            .collect())
    }

    async fn append_audit(&mut self, entries: &[AuditEntry], heads: &[ChainHead]) -> Result<()> {
        for entry in entries {
            self.chains
                .entry(entry.draft.patient)
                .or_default()
                .push_back(entry.draft.id);
            self.audit.insert(entry.draft.id, entry.clone());
        }
        for head in heads {
            self.heads.insert(head.chain, head.clone());
        }
        Ok(())
    }

    async fn newest_checkpoint(&mut self) -> Result<Option<AuditCheckpoint>> {
        Ok(self.checkpoints.last().cloned())
    }

    async fn insert_checkpoint(&mut self, write: &CheckpointWrite) -> Result<bool> {
        if self
            .checkpoints
            .iter()
            .any(|c| c.seq == write.checkpoint.seq)
        {
            return Ok(false);
        }
        for head in &write.changed_heads {
            self.pinned.insert(head.chain, head.clone());
        }
        self.checkpoints.push_back(write.checkpoint.clone());
        Ok(true)
    }
}

fn chain_entries(state: &State, chain: Option<PatientId>) -> Vec<AuditEntry> {
    state
        .chains
        .get(&chain)
        .map(|ids| {
            ids.iter()
                .filter_map(|id| state.audit.get(id).cloned())
                .collect()
        })
        .unwrap_or_default()
}

/// One patient's entries in chain order, after the `after` entry of that
/// chain (which must be one).
fn patient_entries(
    state: &State,
    patient: PatientId,
    query: &AuditQuery,
    limit: usize,
) -> Result<Vec<AuditEntry>> {
    let after_seq = match query.after {
        None => 0,
        Some(after) => state
            .audit
            .get(&after)
            .filter(|e| e.draft.patient == Some(patient))
            .map(|e| e.chain_seq.get())
            .ok_or_else(AuditQuery::foreign_cursor)?,
    };
    let mut entries = chain_entries(state, Some(patient));
    entries.sort_by_key(|e| e.chain_seq);
    Ok(entries
        .into_iter()
        .filter(|e| e.chain_seq > after_seq)
        .filter(|e| query.actor.is_none_or(|a| e.draft.actor == a))
        .take(limit)
        .collect())
}

#[async_trait]
impl AuditStore for MemoryStore {
    async fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let state = self.lock();
        let limit = usize::from(
            query
                .limit
                .unwrap_or(Count32::new(100))
                .min(Count32::new(1000)),
        );
        if let Some(patient) = query.patient {
            return patient_entries(&state, patient, query, limit);
        }
        let range = match query.after {
            Some(after) => state.audit.range(after..),
            None => state.audit.range::<_, AuditEntryId>(..),
        };
        Ok(range
            .map(|(_, e)| e)
            .filter(|e| query.after != Some(e.draft.id))
            .filter(|e| query.actor.is_none_or(|a| e.draft.actor == a))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn audit_heads(&self) -> Result<Vec<ChainHead>> {
        Ok(self.lock().heads.values().cloned().collect())
    }

    async fn audit_chains(&self) -> Result<Vec<Option<PatientId>>> {
        let state = self.lock();
        let mut chains: HashSet<Option<PatientId>> = state.heads.keys().copied().collect();
        chains.extend(
            state
                .chains
                .iter()
                .filter(|(_, ids)| !ids.is_empty())
                .map(|(c, _)| *c),
        );
        let mut chains: Vec<_> = chains.into_iter().collect();
        chains.sort();
        Ok(chains)
    }

    async fn audit_chain(
        &self,
        chain: Option<PatientId>,
        from_seq: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        let state = self.lock();
        let mut entries = chain_entries(&state, chain);
        entries.sort_by_key(|e| e.chain_seq);
        Ok(entries
            .into_iter()
            .filter(|e| e.chain_seq >= from_seq)
            .take(limit as usize)
            .collect())
    }

    async fn audit_checkpoints(&self, after: u64, limit: u32) -> Result<Vec<AuditCheckpoint>> {
        Ok(self
            .lock()
            .checkpoints
            .iter()
            .filter(|c| c.seq > after)
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn latest_audit_checkpoint(&self) -> Result<Option<AuditCheckpoint>> {
        Ok(self.lock().checkpoints.last().cloned())
    }

    async fn audit_checkpoint_heads(&self) -> Result<Vec<ChainHead>> {
        Ok(self.lock().pinned.values().cloned().collect())
    }
}
