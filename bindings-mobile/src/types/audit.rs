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
    /// Hash of the previous entry in the chain.
    pub prev_hash: String,
    /// Hash of this entry.
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

/// The first problem found in an audit chain.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChainProblem {
    /// Which chain (`null`: entries about no patient).
    pub chain: Option<String>,
    /// Sequence number where the chain breaks.
    pub seq: u64,
    /// The entry at fault, when there is one.
    pub entry: Option<String>,
    /// What happened.
    pub kind: ProblemKind,
}

/// What `verify_audit` found.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuditVerification {
    /// True when every chain is intact.
    pub ok: bool,
    /// Chains walked.
    pub chains_checked: u64,
    /// Entries walked.
    pub entries_checked: u64,
    /// The first problem, if any.
    pub problem: Option<ChainProblem>,
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
            }),
        }
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
