//! Sealing and verification of one audit chain: pure functions the stores
//! call inside their transaction, so the chaining rule lives in one place.
//!
//! A seal is self-describing, so old trails stay verifiable:
//!
//! | seal | scheme | who can make it |
//! |---|---|---|
//! | 64 hex digits | v1: SHA-256 of the canonical JSON | anyone |
//! | `v2:<key id>:<64 hex>` | v2: HMAC-SHA256 under the key `<key id>` names | the key holder |
//!
//! A v2 seal under the public development key is no better than v1: a
//! keyed clinic accepts either only where a checkpoint signed with its key
//! pins the chain at or after the entry.

use crate::Count64;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::key::{development_key as development, AuditKey};
use super::{AuditDraft, AuditEntry, ChainHead};
use crate::codes::code_enum;
use crate::ids::{AuditEntryId, PatientId};

/// `prev_hash` of the first entry in every chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

code_enum! {
    /// What kind of tampering verification found. A closed set: hosts switch on it.
    pub enum ProblemKind {
        /// An entry's content no longer matches its seal (an edit, or a row
        /// made up with a seal its writer could not compute).
        Edited = "edited",
        /// An entry is missing (a gap, or the head points past the last entry).
        Deleted = "deleted",
        /// Entries are out of order.
        Reordered = "reordered",
        /// An entry was added that the chain never produced.
        Inserted = "inserted",
        /// An entry or checkpoint sealed in a way anyone can compute (legacy
        /// SHA-256 or the development key) where the clinic requires its key:
        /// no checkpoint signed with the key vouches for it.
        Forged = "forged",
        /// Sealed or signed with another key than the clinic's: the clinic was
        /// opened with the wrong key, or without the one the trail was kept with.
        WrongKey = "wrong_key",
        /// A chain the newest checkpoint pinned is gone (every entry and its head).
        MissingChain = "missing_chain",
        /// A chain no longer holds what the newest checkpoint pinned for it
        /// (truncated below the pinned position, or another seal there).
        CheckpointMismatch = "checkpoint_mismatch",
        /// A stored checkpoint no longer matches its signature, or the chain
        /// heads stored with it no longer give its signed root.
        CheckpointEdited = "checkpoint_edited",
        /// The checkpoint history has a gap or a broken link, or no longer holds
        /// the checkpoint the host kept (newest checkpoints deleted, or the
        /// database rolled back).
        CheckpointMissing = "checkpoint_missing",
    }
}

/// The first problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ChainProblem {
    /// Which chain (`None`: entries about no patient, or a problem of the
    /// checkpoint history itself).
    pub chain: Option<PatientId>,
    /// The sequence number where the chain breaks (0 for checkpoint-history problems).
    pub seq: Count64,
    /// The entry at fault, when there is one.
    pub entry: Option<AuditEntryId>,
    /// What happened.
    pub kind: ProblemKind,
    /// The checkpoint concerned, for problems found against one.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub checkpoint: Option<Count64>,
}

/// What a chain is held to.
#[derive(Debug, Clone, Copy)]
pub struct ChainRules<'a> {
    /// The clinic's key: v2 seals must be made with it (or with the
    /// development key, see [`ChainRules::covered`]).
    pub key: &'a AuditKey,
    /// Entries up to this position are pinned by a checkpoint signed with
    /// `key`, so their seals may be ones anyone can compute (legacy v1 or
    /// the development key). Every later entry must be sealed with `key`
    /// unless `key` is the development key itself.
    pub covered: u64,
}

impl ChainRules<'static> {
    /// The rules of a clinic without a host key (the development key).
    pub fn unkeyed() -> Self {
        ChainRules {
            key: development(),
            covered: 0,
        }
    }
}

#[derive(Serialize)]
struct CanonicalV1<'a> {
    v: u8,
    draft: &'a AuditDraft,
    chain_seq: u64,
    prev_hash: &'a str,
}

#[derive(Serialize)]
struct CanonicalV2<'a> {
    v: u8,
    key_id: &'a str,
    draft: &'a AuditDraft,
    chain_seq: u64,
    prev_hash: &'a str,
}

fn v1_hash(draft: &AuditDraft, chain_seq: u64, prev_hash: &str) -> String {
    let canonical = CanonicalV1 {
        v: 1,
        draft,
        chain_seq,
        prev_hash,
    };
    // Serializing plain structs of strings and numbers cannot fail.
    let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

fn v2_message(key: &AuditKey, draft: &AuditDraft, chain_seq: u64, prev_hash: &str) -> Vec<u8> {
    let canonical = CanonicalV2 {
        v: 2,
        key_id: key.key_id(),
        draft,
        chain_seq,
        prev_hash,
    };
    serde_json::to_vec(&canonical).unwrap_or_default()
}

fn v2_seal(key: &AuditKey, draft: &AuditDraft, chain_seq: u64, prev_hash: &str) -> String {
    let tag = key.seal_entry(&v2_message(key, draft, chain_seq, prev_hash));
    format!("v2:{}:{}", key.key_id(), hex::encode(tag))
}

/// How an intact seal was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    /// With the clinic's own (non-development) key.
    Keyed,
    /// In a way anyone can compute: v1, or v2 under the development key.
    Public,
}

/// Checks `seal` against `draft` at `chain_seq` after `prev_hash`.
fn check_seal(
    key: &AuditKey,
    draft: &AuditDraft,
    chain_seq: u64,
    prev_hash: &str,
    seal: &str,
) -> Result<Scheme, ProblemKind> {
    let Some(rest) = seal.strip_prefix("v2:") else {
        return if v1_hash(draft, chain_seq, prev_hash) == seal {
            Ok(Scheme::Public)
        } else {
            Err(ProblemKind::Edited)
        };
    };
    let Some((key_id, tag)) = rest.split_once(':') else {
        return Err(ProblemKind::Edited);
    };
    let signer = if key_id == key.key_id() {
        key
    } else if key_id == development().key_id() {
        development()
    } else {
        return Err(ProblemKind::WrongKey);
    };
    if !signer.entry_matches(&v2_message(signer, draft, chain_seq, prev_hash), tag) {
        return Err(ProblemKind::Edited);
    }
    Ok(if signer.is_development() {
        Scheme::Public
    } else {
        Scheme::Keyed
    })
}

/// Chains `draft` after `head` (`None`: first entry of its chain), sealed
/// with `key` (v2).
pub fn seal(draft: AuditDraft, head: Option<&ChainHead>, key: &AuditKey) -> AuditEntry {
    let (seq, prev) = match head {
        Some(h) => (h.seq + 1, h.hash.clone()),
        None => (1, GENESIS_HASH.to_owned()),
    };
    let hash = v2_seal(key, &draft, seq, &prev);
    AuditEntry {
        draft,
        chain_seq: Count64::new(seq),
        prev_hash: prev,
        hash,
    }
}

/// Walks one chain's entries (in stored `chain_seq` order) against its head
/// and returns the first problem. `head` is `None` when the store has no
/// head for this chain (then any entry at all means insertion). A caller
/// that read the head before the entries can see another writer's append
/// as an insertion past the head; it reads both again to tell them apart.
pub fn verify_chain(
    chain: Option<PatientId>,
    entries: &[AuditEntry],
    head: Option<&ChainHead>,
    rules: &ChainRules<'_>,
) -> Option<ChainProblem> {
    let problem = |seq: u64, entry: Option<&AuditEntry>, kind| ChainProblem {
        chain,
        seq: Count64::new(seq),
        entry: entry.map(|e| e.draft.id),
        kind,
        checkpoint: None,
    };
    let key = rules.key;
    let keyed = !key.is_development();
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
        let scheme = match check_seal(
            key,
            &entry.draft,
            entry.chain_seq.get(),
            &entry.prev_hash,
            &entry.hash,
        ) {
            Ok(scheme) => scheme,
            Err(ProblemKind::Edited) => {
                // Intact content sealed at another position means rows were moved.
                let sealed_elsewhere = (1..=entries.len() as u64).any(|seq| {
                    seq != entry.chain_seq
                        && check_seal(key, &entry.draft, seq, &entry.prev_hash, &entry.hash).is_ok()
                });
                let kind = if sealed_elsewhere {
                    ProblemKind::Reordered
                } else {
                    ProblemKind::Edited
                };
                return Some(problem(expected_seq, Some(entry), kind));
            }
            Err(kind) => return Some(problem(expected_seq, Some(entry), kind)),
        };
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
        if keyed && scheme == Scheme::Public && entry.chain_seq > rules.covered {
            return Some(problem(expected_seq, Some(entry), ProblemKind::Forged));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Outcome;
    use crate::ids::ActorId;
    use crate::Role;

    fn draft(patient: Option<PatientId>, action: &str) -> AuditDraft {
        AuditDraft {
            id: AuditEntryId::new(),
            at: chrono::DateTime::UNIX_EPOCH,
            actor: ActorId::new(),
            roles: vec![Role::FrontDesk],
            action: action.into(),
            patient,
            outcome: Outcome::Success,
            reason: "rule".into(),
            break_glass: None,
            subject: None,
        }
    }

    fn host_key() -> AuditKey {
        AuditKey::new(&[3u8, 1, 4, 1, 5, 9, 2, 6].repeat(4)).unwrap()
    }

    fn chain_of(n: usize, key: &AuditKey) -> (Option<PatientId>, Vec<AuditEntry>, ChainHead) {
        let p = Some(PatientId::new());
        let mut entries: Vec<AuditEntry> = Vec::new();
        let mut head: Option<ChainHead> = None;
        for i in 0..n {
            let e = seal(draft(p, &format!("a{i}")), head.as_ref(), key);
            head = Some(ChainHead {
                chain: p,
                seq: e.chain_seq.get(),
                hash: e.hash.clone(),
            });
            entries.push(e);
        }
        (p, entries, head.unwrap())
    }

    /// A v1 entry as today's code sealed it, for migration tests.
    fn legacy(draft: AuditDraft, head: Option<&ChainHead>) -> AuditEntry {
        let (seq, prev) = head.map_or((1, GENESIS_HASH.to_owned()), |h| {
            (h.seq + 1, h.hash.clone())
        });
        let hash = v1_hash(&draft, seq, &prev);
        AuditEntry {
            draft,
            chain_seq: Count64::new(seq),
            prev_hash: prev,
            hash,
        }
    }

    fn rules(key: &AuditKey, covered: u64) -> ChainRules<'_> {
        ChainRules { key, covered }
    }

    #[test]
    fn every_problem_kind_serializes_as_its_code() {
        use ProblemKind::*;
        for kind in [
            Edited,
            Deleted,
            Reordered,
            Inserted,
            Forged,
            WrongKey,
            MissingChain,
            CheckpointMismatch,
            CheckpointEdited,
            CheckpointMissing,
        ] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }

    #[test]
    fn a_new_seal_names_its_scheme_and_key() {
        let key = host_key();
        let (_, entries, _) = chain_of(1, &key);
        assert!(entries[0]
            .hash
            .starts_with(&format!("v2:{}:", key.key_id())));
    }

    #[test]
    fn an_intact_keyed_chain_verifies() {
        let key = host_key();
        let (p, entries, head) = chain_of(4, &key);
        assert_eq!(
            verify_chain(p, &entries, Some(&head), &rules(&key, 0)),
            None
        );
    }

    #[test]
    fn a_keyed_chain_read_with_another_key_is_a_wrong_key() {
        let (p, entries, head) = chain_of(2, &host_key());
        let other = AuditKey::new(&[9u8, 8].repeat(16)).unwrap();
        let found = verify_chain(p, &entries, Some(&head), &rules(&other, 0)).unwrap();
        assert_eq!(found.kind, ProblemKind::WrongKey);
    }

    #[test]
    fn an_unkeyed_entry_no_checkpoint_covers_is_forged_for_a_keyed_clinic() {
        let key = host_key();
        let (p, mut entries, head) = chain_of(2, &key);
        let forged = legacy(draft(p, "forged"), Some(&head));
        let head = ChainHead {
            chain: p,
            seq: 3,
            hash: forged.hash.clone(),
        };
        entries.push(forged);
        let found = verify_chain(p, &entries, Some(&head), &rules(&key, 0)).unwrap();
        assert_eq!((found.seq.get(), found.kind), (3, ProblemKind::Forged));
        // ...also under the development key
        let (p, mut entries, head) = chain_of(2, &key);
        let forged = seal(draft(p, "forged"), Some(&head), &AuditKey::development());
        entries.push(forged);
        let found = verify_chain(p, &entries, Some(&head), &rules(&key, 0)).unwrap();
        assert_eq!((found.seq.get(), found.kind), (3, ProblemKind::Forged));
    }

    #[test]
    fn legacy_entries_a_keyed_checkpoint_covers_are_accepted() {
        let key = host_key();
        let p = Some(PatientId::new());
        let first = legacy(draft(p, "old"), None);
        let h1 = ChainHead {
            chain: p,
            seq: 1,
            hash: first.hash.clone(),
        };
        let second = seal(draft(p, "new"), Some(&h1), &key);
        let head = ChainHead {
            chain: p,
            seq: 2,
            hash: second.hash.clone(),
        };
        let entries = vec![first, second];
        assert_eq!(
            verify_chain(p, &entries, Some(&head), &rules(&key, 1)),
            None
        );
        // an unkeyed clinic accepts them anyway: it proves nothing either way
        let dev = AuditKey::development();
        let (p2, dev_entries, dev_head) = chain_of(2, &dev);
        assert_eq!(
            verify_chain(p2, &dev_entries, Some(&dev_head), &rules(&dev, 0)),
            None
        );
    }

    #[test]
    fn an_entry_past_the_head_is_an_insertion_even_with_the_key() {
        let key = host_key();
        let (p, entries, _) = chain_of(3, &key);
        let stale = ChainHead {
            chain: p,
            seq: 2,
            hash: entries[1].hash.clone(),
        };
        let found = verify_chain(p, &entries, Some(&stale), &rules(&key, 0)).unwrap();
        assert_eq!((found.seq.get(), found.kind), (3, ProblemKind::Inserted));
    }

    #[test]
    fn an_edited_keyed_entry_is_edited() {
        let key = host_key();
        let (p, mut entries, head) = chain_of(3, &key);
        entries[1].draft.reason = "other".into();
        let found = verify_chain(p, &entries, Some(&head), &rules(&key, 0)).unwrap();
        assert_eq!((found.seq.get(), found.kind), (2, ProblemKind::Edited));
    }

    #[test]
    fn a_head_whose_hash_was_changed_is_edited() {
        let key = host_key();
        let (p, entries, mut head) = chain_of(3, &key);
        head.hash = entries[1].hash.clone();
        let found = verify_chain(p, &entries, Some(&head), &rules(&key, 0)).unwrap();
        assert_eq!((found.seq.get(), found.kind), (3, ProblemKind::Edited));
    }

    #[test]
    fn entries_without_a_head_are_insertions() {
        let key = host_key();
        let (p, entries, _) = chain_of(2, &key);
        let found = verify_chain(p, &entries, None, &rules(&key, 0)).unwrap();
        assert_eq!((found.seq.get(), found.kind), (1, ProblemKind::Inserted));
    }
}
