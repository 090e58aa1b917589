//! The audit trail: who did what to which patient, with what outcome and why.
//!
//! Entries are chained per patient (plus one chain for entries about no
//! patient), so unrelated writers never wait on one global chain head, and
//! any edit, deletion, reordering or insertion is found by [`verify_chain`].
//! Each entry is sealed with HMAC-SHA256 under the host's [`AuditKey`], which
//! never enters the database, and signed [`AuditCheckpoint`]s pin every
//! chain head, so someone who can write the database but lacks the key can
//! neither forge an entry nor delete a whole chain unnoticed.

mod chain;
mod checkpoint;
mod key;

pub use chain::{seal, verify_chain, ChainProblem, ChainRules, ProblemKind, GENESIS_HASH};
pub use checkpoint::{
    check_pinned, check_pinned_heads, merkle_root, AuditCheckpoint, CheckpointAnchor,
    CheckpointWalk,
};
pub use key::{AuditKey, DEVELOPMENT_AUDIT_KEY};

use crate::{Count32, Count64, Error};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::actor::Role;
use crate::codes::code_enum;
use crate::ids::{ActorId, AuditEntryId, GrantId, PatientId};

code_enum! {
    /// How an audited attempt ended.
    pub enum Outcome {
        /// Allowed and done.
        Success = "success",
        /// Refused by the access policy.
        Denied = "denied",
        /// Allowed but failed (validation, conflict, not found, storage).
        Failed = "failed",
    }
}

/// An audit entry before the store chains it. Ids and codes only: never
/// names, birth dates, contacts or free text from a patient record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuditDraft {
    /// Entry id.
    pub id: AuditEntryId,
    /// When (UTC, microsecond precision).
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: ActorId,
    /// The roles the actor held.
    pub roles: Vec<Role>,
    /// What, as a permission code, e.g. `patient.read`.
    pub action: String,
    /// Which patient, if any (this also picks the chain).
    pub patient: Option<PatientId>,
    /// How it ended.
    pub outcome: Outcome,
    /// Why: the policy rule that allowed or the reason it was refused or failed.
    pub reason: String,
    /// Set when access relied on a break-the-glass grant.
    pub break_glass: Option<GrantId>,
    /// Another entity concerned (merge id, grant id, consumer name…), if any.
    pub subject: Option<String>,
}

/// A chained audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuditEntry {
    /// The entry's content.
    #[serde(flatten)]
    pub draft: AuditDraft,
    /// 1-based position in its chain.
    pub chain_seq: Count64,
    /// Seal of the previous entry in the chain ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// Seal of this entry's content, `chain_seq` and `prev_hash`:
    /// `v2:<key id>:<hex HMAC-SHA256>`, or 64 hex digits (SHA-256) for
    /// entries written before keyed sealing.
    pub hash: String,
}

/// The newest entry of one chain, kept by the store beside the entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    /// The chain: a patient, or `None` for entries about no patient.
    pub chain: Option<PatientId>,
    /// Sequence of the newest entry.
    pub seq: u64,
    /// Seal of the newest entry.
    pub hash: String,
}

/// Filter for listing audit entries, oldest first.
///
/// With `patient`, the entries of that patient's chain in chain order
/// (`chain_seq`, the order they were appended to it: entry ids are taken
/// from each writer's clock and may disagree with it across processes),
/// and `after` must be an entry of that chain; any other id (another
/// patient's entry, one about no patient, an unknown one) is `validation`
/// `invalid_cursor` on `after`. Only that patient's own chain is listed:
/// a merged record's entries stay on its chain, listed by its own id.
/// Without `patient`, every entry (or an actor's) in id order, and `after`
/// is a position in that order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuditQuery {
    /// Only entries about this patient.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub patient: Option<PatientId>,
    /// Only entries by this actor.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub actor: Option<ActorId>,
    /// Only entries after this one (exclusive cursor): with `patient`, the
    /// entries after it in that patient's chain, and it must be one of
    /// them; without, the entries with a greater id.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub after: Option<AuditEntryId>,
    /// Maximum entries (default 100, at most 1000).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub limit: Option<Count32>,
}

impl AuditQuery {
    /// The error of an `after` that is not an entry of the listed patient's
    /// chain: `validation` `invalid_cursor` on `after`. Every store answers
    /// it when the cursor does not resolve to an entry of that chain.
    pub fn foreign_cursor() -> Error {
        Error::invalid(
            "after",
            "invalid_cursor",
            "after is not an entry of this patient's audit trail",
        )
    }
}

/// What `verify` found, and what it checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuditVerification {
    /// True when every chain is intact, matches its head and what the
    /// newest checkpoint pinned, and the checkpoint history is whole.
    pub ok: bool,
    /// Chains walked.
    pub chains_checked: Count64,
    /// Entries walked.
    pub entries_checked: Count64,
    /// The first problem found, if any.
    pub problem: Option<ChainProblem>,
    /// Whether the clinic holds a host key. `false`: the public development
    /// key, which proves nothing against someone who can write the database.
    pub keyed: bool,
    /// Fingerprint of the key verified with ([`AuditKey::key_id`]).
    pub key_id: String,
    /// Stored checkpoints whose signatures and links were checked.
    pub checkpoints_checked: Count64,
    /// The newest stored checkpoint the chains were checked against.
    pub anchor: Option<Count64>,
    /// The checkpoint the host passed, found in the stored history.
    pub trusted: Option<Count64>,
}

/// One access to a patient's record, as shown to that patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AccessRecord {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: ActorId,
    /// Their roles.
    pub roles: Vec<Role>,
    /// What they did.
    pub action: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Whether it was emergency (break-the-glass) access.
    pub break_glass: bool,
}
