//! Audit entries, queries, verification and access records.

use super::*;

/// A chained audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuditEntry {
    /// Entry id.
    pub id: String,
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// The roles the actor held.
    pub roles: Vec<Role>,
    /// What, as a permission code, e.g. `patient.read`.
    pub action: String,
    /// Which patient, if any.
    pub patient: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// The allowing rule, or why it was refused or failed.
    pub reason: String,
    /// Set when access relied on a break-the-glass grant.
    pub break_glass: Option<String>,
    /// Another entity concerned, if any.
    pub subject: Option<String>,
    /// 1-based position in its chain.
    pub chain_seq: u64,
    /// Seal of the previous entry in the chain.
    pub prev_hash: String,
    /// Seal of this entry (`v2:<key id>:<hmac>`, or a legacy SHA-256).
    pub hash: String,
}

impl From<cba::AuditEntry> for AuditEntry {
    fn from(e: cba::AuditEntry) -> Self {
        let d = e.draft;
        Self {
            id: d.id.to_string(),
            at: ts(d.at),
            actor: d.actor.to_string(),
            roles: map(d.roles),
            action: d.action,
            patient: ids(d.patient),
            outcome: d.outcome.into(),
            reason: d.reason,
            break_glass: ids(d.break_glass),
            subject: d.subject,
            chain_seq: e.chain_seq,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// Filter for listing audit entries.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuditQuery {
    /// Only entries about this patient.
    #[uniffi(default)]
    pub patient: Option<String>,
    /// Only entries by this actor.
    #[uniffi(default)]
    pub actor: Option<String>,
    /// Only entries recorded after this entry id.
    #[uniffi(default)]
    pub after: Option<String>,
    /// Maximum entries (default 100, at most 1000).
    #[uniffi(default)]
    pub limit: Option<u32>,
}

impl TryFrom<AuditQuery> for cba::AuditQuery {
    type Error = cb::Error;
    fn try_from(q: AuditQuery) -> cb::Result<Self> {
        let mut f = Fields::default();
        let patient = f.opt(q.patient.as_deref().map(|p| patient_id("patient", p)));
        let actor = f.opt(q.actor.as_deref().map(|a| actor_id("actor", a)));
        let after = f.opt(q.after.as_deref().map(|a| audit_entry_id("after", a)));
        f.done(|| {
            Some(cba::AuditQuery {
                patient,
                actor,
                after,
                limit: q.limit,
            })
        })
    }
}

/// The first problem verification found.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChainProblem {
    /// Which chain (`null`: entries about no patient, or the checkpoint history).
    pub chain: Option<String>,
    /// Sequence number where the chain breaks (0 for checkpoint-history problems).
    pub seq: u64,
    /// The entry at fault, when there is one.
    pub entry: Option<String>,
    /// What happened.
    pub kind: ProblemKind,
    /// The checkpoint concerned, for problems found against one.
    pub checkpoint: Option<u64>,
}

/// What `verify_audit` found, and what it checked.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuditVerification {
    /// True when the whole trail and the checkpoint history are intact.
    pub ok: bool,
    /// Chains walked.
    pub chains_checked: u64,
    /// Entries walked.
    pub entries_checked: u64,
    /// The first problem, if any.
    pub problem: Option<ChainProblem>,
    /// Whether the clinic holds a host audit key (`false`: the public
    /// development key, which proves nothing against database writers).
    pub keyed: bool,
    /// Fingerprint of the key verified with.
    pub key_id: String,
    /// Stored checkpoints whose signatures and links were checked.
    pub checkpoints_checked: u64,
    /// The newest stored checkpoint the chains were checked against.
    pub anchor: Option<u64>,
    /// The checkpoint the host passed, found in the stored history.
    pub trusted: Option<u64>,
}

impl From<cba::AuditVerification> for AuditVerification {
    fn from(v: cba::AuditVerification) -> Self {
        Self {
            ok: v.ok,
            chains_checked: v.chains_checked,
            entries_checked: v.entries_checked,
            problem: v.problem.map(|p| ChainProblem {
                chain: ids(p.chain),
                seq: p.seq,
                entry: ids(p.entry),
                kind: p.kind.into(),
                checkpoint: p.checkpoint,
            }),
            keyed: v.keyed,
            key_id: v.key_id,
            checkpoints_checked: v.checkpoints_checked,
            anchor: v.anchor,
            trusted: v.trusted,
        }
    }
}

/// A signed checkpoint over every audit chain head. Keep it outside the
/// database (WORM storage, another system) and pass it back to
/// `verify_audit`: every field is plain text or a number.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuditCheckpoint {
    /// 1-based position in the checkpoint history.
    pub seq: u64,
    /// When it was taken (RFC 3339 UTC, microseconds).
    pub at: String,
    /// Chains pinned.
    pub chains: u64,
    /// Entries pinned.
    pub entries: u64,
    /// Merkle root (hex) over every pinned chain head.
    pub root: String,
    /// The previous checkpoint's signature.
    pub prev_signature: String,
    /// The signing key's fingerprint.
    pub key_id: String,
    /// HMAC-SHA256 (hex) of the fields above.
    pub signature: String,
}

impl From<cba::AuditCheckpoint> for AuditCheckpoint {
    fn from(c: cba::AuditCheckpoint) -> Self {
        Self {
            seq: c.seq,
            at: ts(c.at),
            chains: c.chains,
            entries: c.entries,
            root: c.root,
            prev_signature: c.prev_signature,
            key_id: c.key_id,
            signature: c.signature,
        }
    }
}

impl AuditCheckpoint {
    /// The core checkpoint; a bad instant is a validation error on `field.at`.
    pub(crate) fn into_core(self, field: &str) -> cb::Result<cba::AuditCheckpoint> {
        let mut f = Fields::default();
        let at = f.take(instant(&format!("{field}.at"), &self.at));
        f.done(|| {
            Some(cba::AuditCheckpoint {
                seq: self.seq,
                at: at?,
                chains: self.chains,
                entries: self.entries,
                root: self.root,
                prev_signature: self.prev_signature,
                key_id: self.key_id,
                signature: self.signature,
            })
        })
    }
}

/// One access to a patient's record.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AccessRecord {
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// Their roles.
    pub roles: Vec<Role>,
    /// What they did.
    pub action: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Whether it was break-the-glass access.
    pub break_glass: bool,
}

impl From<cba::AccessRecord> for AccessRecord {
    fn from(r: cba::AccessRecord) -> Self {
        Self {
            at: ts(r.at),
            actor: r.actor.to_string(),
            roles: map(r.roles),
            action: r.action,
            outcome: r.outcome.into(),
            break_glass: r.break_glass,
        }
    }
}
