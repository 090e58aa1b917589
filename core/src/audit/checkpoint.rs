//! Signed checkpoints over every chain head. A chain seals its own entries,
//! but nothing in a chain notices that the whole chain (or a patient with
//! all their rows) was deleted, or that a tail was cut and the head moved
//! back: a checkpoint pins every head at one moment under a Merkle root and
//! signs it with the host's key, each checkpoint signing its predecessor's
//! signature too. Hosts export checkpoints and keep them elsewhere, so even
//! deleting the newest checkpoints or rolling the whole database back shows.

use crate::Count64;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::chain::{ChainProblem, ProblemKind, GENESIS_HASH};
use super::key::{development_key, AuditKey, KEY_ID_LEN};
use super::{AuditEntry, ChainHead};
use crate::error::FieldError;
use crate::ids::PatientId;
use crate::{Error, Result};

/// A signed statement of every audit chain's head at one moment. Plain
/// data: hosts serialize it (JSON) and keep it outside the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuditCheckpoint {
    /// 1-based position in the checkpoint history.
    pub seq: Count64,
    /// When it was taken (UTC, microsecond precision).
    #[serde(deserialize_with = "crate::instant::strict::instant")]
    pub at: DateTime<Utc>,
    /// Chains pinned.
    pub chains: Count64,
    /// Entries pinned (the sum of the pinned positions).
    pub entries: Count64,
    /// Merkle root (hex SHA-256) over every pinned head; see [`merkle_root`].
    pub root: String,
    /// The previous checkpoint's signature ([`GENESIS_HASH`] for the first).
    pub prev_signature: String,
    /// The signing key's fingerprint ([`AuditKey::key_id`]).
    pub key_id: String,
    /// HMAC-SHA256 (hex) of all the fields above under the checkpoint key.
    pub signature: String,
}

#[derive(Serialize)]
struct Canonical<'a> {
    v: u8,
    seq: Count64,
    at: &'a DateTime<Utc>,
    chains: Count64,
    entries: Count64,
    root: &'a str,
    prev_signature: &'a str,
    key_id: &'a str,
}

/// The 16 bytes that name a chain in the Merkle tree (the nil uuid for
/// entries about no patient), which also fix the canonical leaf order.
fn chain_bytes(chain: Option<PatientId>) -> [u8; 16] {
    chain.map_or([0; 16], |p| *p.0.as_bytes())
}

fn leaf(head: &ChainHead) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(chain_bytes(head.chain));
    h.update(head.seq.to_be_bytes());
    h.update(head.hash.as_bytes());
    h.finalize().into()
}

fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The Merkle root (hex) over `heads` in canonical order (by chain id, the
/// no-patient chain first). Leaves are `SHA-256(0x00 ‖ chain ‖ seq ‖ seal)`,
/// nodes `SHA-256(0x01 ‖ left ‖ right)`, an odd node is carried up as is,
/// and no heads at all give `SHA-256("")`. A tree rather than one hash so a
/// single chain's inclusion can later be proven without the others.
pub fn merkle_root(heads: &[ChainHead]) -> String {
    let mut sorted: Vec<&ChainHead> = heads.iter().collect();
    sorted.sort_by_key(|h| chain_bytes(h.chain));
    let mut level: Vec<[u8; 32]> = sorted.into_iter().map(leaf).collect();
    if level.is_empty() {
        return hex::encode(Sha256::digest(b""));
    }
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [l, r] => node(l, r),
                [one] => *one,
                _ => [0; 32],
            })
            .collect();
    }
    hex::encode(level[0])
}

/// How a checkpoint's signature was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signer {
    /// The clinic's own (non-development) key.
    Host,
    /// The public development key.
    Development,
}

impl AuditCheckpoint {
    /// Signs a checkpoint pinning `heads`, after `previous`.
    pub fn sign(
        at: DateTime<Utc>,
        heads: &[ChainHead],
        previous: Option<&AuditCheckpoint>,
        key: &AuditKey,
    ) -> Self {
        let mut cp = AuditCheckpoint {
            seq: previous.map_or(Count64::new(1), |p| p.seq + 1),
            at,
            chains: Count64::new(heads.len() as u64),
            entries: Count64::new(heads.iter().map(|h| h.seq).sum()),
            root: merkle_root(heads),
            prev_signature: previous
                .map_or_else(|| GENESIS_HASH.to_owned(), |p| p.signature.clone()),
            key_id: key.key_id().to_owned(),
            signature: String::new(),
        };
        cp.signature = hex::encode(key.sign_checkpoint(&cp.message()));
        cp
    }

    fn message(&self) -> Vec<u8> {
        let canonical = Canonical {
            v: 1,
            seq: self.seq,
            at: &self.at,
            chains: self.chains,
            entries: self.entries,
            root: &self.root,
            prev_signature: &self.prev_signature,
            key_id: &self.key_id,
        };
        // Plain strings and numbers: serializing cannot fail.
        serde_json::to_vec(&canonical).unwrap_or_default()
    }

    /// Checks the signature with `key` (or the development key).
    fn signer(&self, key: &AuditKey) -> std::result::Result<Signer, ProblemKind> {
        let development = development_key();
        let signer = if self.key_id == key.key_id() {
            key
        } else if self.key_id == development.key_id() {
            development
        } else {
            return Err(ProblemKind::WrongKey);
        };
        if !signer.checkpoint_matches(&self.message(), &self.signature) {
            return Err(ProblemKind::CheckpointEdited);
        }
        Ok(if signer.is_development() {
            Signer::Development
        } else {
            Signer::Host
        })
    }

    /// Checks the shape of a checkpoint a host hands back (every failing
    /// field, under `field.`): ids and hashes must be lowercase hex of
    /// their fixed lengths, so nothing unbounded reaches verification.
    pub fn validate(&self, field: &str) -> Result<()> {
        let mut errors = Vec::new();
        if self.seq == 0 {
            errors.push(FieldError::new(
                format!("{field}.seq"),
                "out_of_range",
                "a checkpoint sequence starts at 1",
            ));
        }
        let hex_of = |name: &str, value: &str, len: usize, errors: &mut Vec<FieldError>| {
            let ok = value.len() == len
                && value
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !ok {
                errors.push(FieldError::new(
                    format!("{field}.{name}"),
                    "invalid_format",
                    format!("expected {len} lowercase hex digits"),
                ));
            }
        };
        hex_of("root", &self.root, 64, &mut errors);
        hex_of("prev_signature", &self.prev_signature, 64, &mut errors);
        hex_of("key_id", &self.key_id, KEY_ID_LEN, &mut errors);
        hex_of("signature", &self.signature, 64, &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::validation(errors))
        }
    }
}

fn history_problem(kind: ProblemKind, checkpoint: u64) -> ChainProblem {
    ChainProblem {
        chain: None,
        seq: Count64::new(0),
        entry: None,
        kind,
        checkpoint: Some(Count64::new(checkpoint)),
    }
}

/// Walks the stored checkpoint history oldest first, one checkpoint at a
/// time (the history is unbounded, so it is never held whole).
#[derive(Debug)]
pub struct CheckpointWalk<'a> {
    key: &'a AuditKey,
    trusted: Option<&'a AuditCheckpoint>,
    latest: Option<AuditCheckpoint>,
    latest_by_host: bool,
    host_seen: bool,
    trusted_found: bool,
    checked: u64,
}

/// What a finished walk of the history established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointAnchor {
    /// The newest stored checkpoint, if any.
    pub latest: Option<AuditCheckpoint>,
    /// Whether `latest` is signed with the clinic's own key (not the
    /// development key), so it may vouch for entries sealed without it.
    pub vouches: bool,
    /// Whether any checkpoint in the history is signed with the clinic's own key.
    pub host_signed_any: bool,
    /// Checkpoints whose signatures and links were checked.
    pub checked: u64,
    /// The host's checkpoint, found in the history.
    pub trusted: Option<u64>,
}

impl<'a> CheckpointWalk<'a> {
    /// Starts a walk for a clinic holding `key`; `trusted` is a checkpoint
    /// the host kept elsewhere, which the history must still hold.
    pub fn new(
        key: &'a AuditKey,
        trusted: Option<&'a AuditCheckpoint>,
    ) -> std::result::Result<Self, ChainProblem> {
        if let Some(t) = trusted {
            t.signer(key)
                .map_err(|kind| history_problem(kind, t.seq.get()))?;
        }
        Ok(Self {
            key,
            trusted,
            latest: None,
            latest_by_host: false,
            host_seen: false,
            trusted_found: false,
            checked: 0,
        })
    }

    /// The seq of the last checkpoint walked (0 before any).
    pub fn last_seq(&self) -> u64 {
        self.latest.as_ref().map_or(0, |c| c.seq.get())
    }

    /// Checks the next stored checkpoint: position, link to its
    /// predecessor, signature, and that a keyed history is not continued
    /// with checkpoints anyone could sign.
    pub fn step(&mut self, cp: AuditCheckpoint) -> std::result::Result<(), ChainProblem> {
        let expected = self.last_seq() + 1;
        if cp.seq != expected {
            return Err(history_problem(ProblemKind::CheckpointMissing, expected));
        }
        let prev = self
            .latest
            .as_ref()
            .map_or(GENESIS_HASH, |c| c.signature.as_str());
        if cp.prev_signature != prev {
            return Err(history_problem(
                ProblemKind::CheckpointMissing,
                cp.seq.get(),
            ));
        }
        let signer = cp
            .signer(self.key)
            .map_err(|kind| history_problem(kind, cp.seq.get()))?;
        let host_keyed = !self.key.is_development();
        if host_keyed && signer == Signer::Development && self.host_seen {
            return Err(history_problem(ProblemKind::Forged, cp.seq.get()));
        }
        if let Some(t) = self.trusted.filter(|t| t.seq == cp.seq) {
            if *t != cp {
                return Err(history_problem(
                    ProblemKind::CheckpointMissing,
                    cp.seq.get(),
                ));
            }
            self.trusted_found = true;
        }
        self.host_seen |= signer == Signer::Host;
        self.latest_by_host = signer == Signer::Host;
        self.checked += 1;
        self.latest = Some(cp);
        Ok(())
    }

    /// Ends the walk: the host's checkpoint must have been met.
    pub fn finish(self) -> std::result::Result<CheckpointAnchor, ChainProblem> {
        if let Some(t) = self.trusted {
            if !self.trusted_found {
                return Err(history_problem(ProblemKind::CheckpointMissing, t.seq.get()));
            }
        }
        Ok(CheckpointAnchor {
            vouches: self.latest_by_host,
            host_signed_any: self.host_seen,
            checked: self.checked,
            trusted: (self.trusted.map(|t| t.seq)).map(Count64::get),
            latest: self.latest,
        })
    }
}

/// Checks the chain heads stored with `checkpoint` against its signed root
/// and counts: they are what the per-chain checks compare with.
pub fn check_pinned_heads(
    checkpoint: &AuditCheckpoint,
    heads: &[ChainHead],
) -> Option<ChainProblem> {
    let entries: u64 = heads.iter().map(|h| h.seq).sum();
    let intact = heads.len() as u64 == checkpoint.chains
        && entries == checkpoint.entries
        && merkle_root(heads) == checkpoint.root;
    (!intact).then(|| history_problem(ProblemKind::CheckpointEdited, checkpoint.seq.get()))
}

/// Checks one chain's entries (positions 1.. in order, already verified)
/// against the head a checkpoint pinned for it: the chain must still reach
/// that position, with the same seal there.
pub fn check_pinned(
    entries: &[AuditEntry],
    pinned: &ChainHead,
    checkpoint: u64,
) -> Option<ChainProblem> {
    let problem = |kind, entry: Option<&AuditEntry>| ChainProblem {
        chain: pinned.chain,
        seq: Count64::new(pinned.seq),
        entry: entry.map(|e| e.draft.id),
        kind,
        checkpoint: Some(Count64::new(checkpoint)),
    };
    if entries.is_empty() {
        return Some(problem(ProblemKind::MissingChain, None));
    }
    let at = usize::try_from(pinned.seq)
        .ok()
        .and_then(|s| s.checked_sub(1))
        .and_then(|i| entries.get(i));
    match at {
        Some(e) if e.chain_seq == pinned.seq && e.hash == pinned.hash => None,
        other => Some(problem(ProblemKind::CheckpointMismatch, other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_key() -> AuditKey {
        AuditKey::new(&[5u8, 7, 11, 13].repeat(8)).unwrap()
    }

    fn head(seq: u64) -> ChainHead {
        ChainHead {
            chain: Some(PatientId::new()),
            seq,
            hash: format!("{seq:064}"),
        }
    }

    fn history(n: usize, key: &AuditKey) -> Vec<AuditCheckpoint> {
        let heads = vec![head(1), head(2)];
        let mut out: Vec<AuditCheckpoint> = Vec::new();
        for _ in 0..n {
            let cp = AuditCheckpoint::sign(chrono::DateTime::UNIX_EPOCH, &heads, out.last(), key);
            out.push(cp);
        }
        out
    }

    fn walk(
        cps: &[AuditCheckpoint],
        key: &AuditKey,
        trusted: Option<&AuditCheckpoint>,
    ) -> std::result::Result<CheckpointAnchor, ChainProblem> {
        let mut w = CheckpointWalk::new(key, trusted)?;
        for cp in cps {
            w.step(cp.clone())?;
        }
        w.finish()
    }

    #[test]
    fn the_merkle_root_does_not_depend_on_the_order_heads_are_given() {
        let (a, b, c) = (head(1), head(2), head(3));
        let one = merkle_root(&[a.clone(), b.clone(), c.clone()]);
        assert_eq!(one, merkle_root(&[c.clone(), a.clone(), b.clone()]));
        assert_ne!(one, merkle_root(&[a.clone(), b.clone()]));
        let mut moved = c.clone();
        moved.seq = 4;
        assert_ne!(one, merkle_root(&[a, b, moved]));
    }

    #[test]
    fn an_intact_history_anchors_to_its_newest_checkpoint() {
        let key = host_key();
        let cps = history(3, &key);
        let anchor = walk(&cps, &key, Some(&cps[1])).unwrap();
        assert_eq!(anchor.latest.as_ref().map(|c| c.seq.get()), Some(3));
        assert!(anchor.vouches);
        assert_eq!((anchor.checked, anchor.trusted), (3, Some(2)));
    }

    #[test]
    fn an_edited_checkpoint_no_longer_matches_its_signature() {
        let key = host_key();
        let mut cps = history(2, &key);
        cps[1].entries += 1;
        let found = walk(&cps, &key, None).unwrap_err();
        assert_eq!(
            (found.kind, found.checkpoint.map(Count64::get)),
            (ProblemKind::CheckpointEdited, Some(2))
        );
    }

    #[test]
    fn a_deleted_middle_checkpoint_breaks_the_history() {
        let key = host_key();
        let mut cps = history(3, &key);
        cps.remove(1);
        let found = walk(&cps, &key, None).unwrap_err();
        assert_eq!(found.kind, ProblemKind::CheckpointMissing);
    }

    #[test]
    fn a_deleted_newest_checkpoint_shows_against_the_one_the_host_kept() {
        let key = host_key();
        let cps = history(3, &key);
        assert!(walk(&cps[..2], &key, None).is_ok());
        let found = walk(&cps[..2], &key, Some(&cps[2])).unwrap_err();
        assert_eq!(
            (found.kind, found.checkpoint.map(Count64::get)),
            (ProblemKind::CheckpointMissing, Some(3))
        );
    }

    #[test]
    fn a_rewritten_history_does_not_hold_the_host_checkpoint() {
        let key = host_key();
        let kept = history(2, &key);
        let mut rewritten = history(1, &key);
        rewritten.push(AuditCheckpoint::sign(
            chrono::DateTime::UNIX_EPOCH + chrono::Duration::seconds(1),
            &[head(9)],
            rewritten.last(),
            &key,
        ));
        let found = walk(&rewritten, &key, Some(&kept[1])).unwrap_err();
        assert_eq!(found.kind, ProblemKind::CheckpointMissing);
    }

    #[test]
    fn a_development_checkpoint_after_a_keyed_one_is_forged() {
        let key = host_key();
        let mut cps = history(1, &key);
        let dev = AuditCheckpoint::sign(
            chrono::DateTime::UNIX_EPOCH,
            &[head(1)],
            cps.last(),
            &AuditKey::development(),
        );
        cps.push(dev);
        let found = walk(&cps, &key, None).unwrap_err();
        assert_eq!(
            (found.kind, found.checkpoint.map(Count64::get)),
            (ProblemKind::Forged, Some(2))
        );
    }

    #[test]
    fn a_checkpoint_signed_with_another_key_is_a_wrong_key() {
        let cps = history(1, &host_key());
        let other = AuditKey::new(&[1u8, 2, 3].repeat(11)).unwrap();
        assert_eq!(
            walk(&cps, &other, None).unwrap_err().kind,
            ProblemKind::WrongKey
        );
    }

    #[test]
    fn stored_heads_must_give_the_signed_root() {
        let key = host_key();
        let heads = vec![head(1), head(2)];
        let cp = AuditCheckpoint::sign(chrono::DateTime::UNIX_EPOCH, &heads, None, &key);
        assert_eq!(check_pinned_heads(&cp, &heads), None);
        assert!(check_pinned_heads(&cp, &heads[..1]).is_some());
    }

    #[test]
    fn a_host_checkpoint_with_bad_fields_is_a_validation_error_naming_each() {
        let mut cp = history(1, &host_key()).remove(0);
        cp.root = "x".repeat(10_000);
        cp.signature = "ABC".into();
        let Err(Error::Validation { fields }) = cp.validate("trusted") else {
            panic!("validation expected")
        };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["trusted.root", "trusted.signature"]);
    }
}
