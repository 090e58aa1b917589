//! Hashing and verification of one audit chain: pure functions the stores
//! call inside their transaction, so the chaining rule lives in one place.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{AuditDraft, AuditEntry, ChainHead};
use crate::codes::code_enum;
use crate::ids::{AuditEntryId, PatientId};

/// `prev_hash` of the first entry in every chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

code_enum! {
    /// What kind of tampering a chain shows.
    pub enum ProblemKind {
        /// An entry's content no longer matches its hash.
        Edited = "edited",
        /// An entry is missing (a gap, or the head points past the last entry).
        Deleted = "deleted",
        /// Entries are out of order.
        Reordered = "reordered",
        /// An entry was added that the chain never produced.
        Inserted = "inserted",
    }
}

/// The first problem found in a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainProblem {
    /// Which chain (`None`: entries about no patient).
    pub chain: Option<PatientId>,
    /// The sequence number where the chain breaks.
    pub seq: u64,
    /// The entry at fault, when there is one.
    pub entry: Option<AuditEntryId>,
    /// What happened.
    pub kind: ProblemKind,
}

#[derive(Serialize)]
struct Canonical<'a> {
    v: u8,
    draft: &'a AuditDraft,
    chain_seq: u64,
    prev_hash: &'a str,
}

fn hash_of(draft: &AuditDraft, chain_seq: u64, prev_hash: &str) -> String {
    let canonical = Canonical {
        v: 1,
        draft,
        chain_seq,
        prev_hash,
    };
    // Serializing plain structs of strings and numbers cannot fail.
    let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

/// Chains `draft` after `head` (`None`: first entry of its chain).
pub fn seal(draft: AuditDraft, head: Option<&ChainHead>) -> AuditEntry {
    let (seq, prev) = match head {
        Some(h) => (h.seq + 1, h.hash.clone()),
        None => (1, GENESIS_HASH.to_owned()),
    };
    let hash = hash_of(&draft, seq, &prev);
    AuditEntry {
        draft,
        chain_seq: seq,
        prev_hash: prev,
        hash,
    }
}

/// Walks one chain's entries (in stored `chain_seq` order) against its head
/// and returns the first problem. `head` is `None` when the store has no
/// head for this chain (then any entry at all means insertion).
pub fn verify_chain(
    chain: Option<PatientId>,
    entries: &[AuditEntry],
    head: Option<&ChainHead>,
) -> Option<ChainProblem> {
    let problem = |seq: u64, entry: Option<&AuditEntry>, kind| ChainProblem {
        chain,
        seq,
        entry: entry.map(|e| e.draft.id),
        kind,
    };
    let mut prev_hash = GENESIS_HASH.to_owned();
    for (i, entry) in entries.iter().enumerate() {
        let expected_seq = i as u64 + 1;
        if entry.draft.patient != chain {
            return Some(problem(expected_seq, Some(entry), ProblemKind::Inserted));
        }
        if entry.chain_seq != expected_seq {
            let kind = if entry.chain_seq > expected_seq {
                ProblemKind::Deleted
            } else {
                ProblemKind::Inserted
            };
            return Some(problem(expected_seq, Some(entry), kind));
        }
        let recomputed = hash_of(&entry.draft, entry.chain_seq, &entry.prev_hash);
        if recomputed != entry.hash {
            // Intact content sealed at another position means rows were moved.
            let sealed_elsewhere = (1..=entries.len() as u64).any(|seq| {
                seq != entry.chain_seq && hash_of(&entry.draft, seq, &entry.prev_hash) == entry.hash
            });
            let kind = if sealed_elsewhere {
                ProblemKind::Reordered
            } else {
                ProblemKind::Edited
            };
            return Some(problem(expected_seq, Some(entry), kind));
        }
        if entry.prev_hash != prev_hash {
            // Content is self-consistent but links elsewhere: if it links to a
            // later entry's predecessor the rows were swapped, else inserted.
            let kind = if entries.iter().any(|e| e.hash == entry.prev_hash) {
                ProblemKind::Reordered
            } else {
                ProblemKind::Inserted
            };
            return Some(problem(expected_seq, Some(entry), kind));
        }
        prev_hash = entry.hash.clone();
    }
    let last_seq = entries.len() as u64;
    match head {
        None if entries.is_empty() => None,
        None => Some(problem(1, entries.first(), ProblemKind::Inserted)),
        Some(h) if h.seq > last_seq => Some(problem(last_seq + 1, None, ProblemKind::Deleted)),
        Some(h) if h.seq < last_seq => {
            let idx = h.seq as usize; // first entry past the head
            Some(problem(h.seq + 1, entries.get(idx), ProblemKind::Inserted))
        }
        Some(h) if h.hash != prev_hash => {
            Some(problem(last_seq, entries.last(), ProblemKind::Edited))
        }
        Some(_) => None,
    }
}
