//! Reading, verifying and checkpointing the audit trail, and "who accessed
//! my record".

use crate::Count32;
use crate::Count64;
use std::collections::{HashMap, HashSet};

use super::Clinic;
use crate::actor::Actor;
use crate::audit::{
    check_pinned, check_pinned_heads, verify_chain, AccessRecord, AuditCheckpoint, AuditEntry,
    AuditQuery, AuditVerification, ChainHead, ChainProblem, ChainRules, CheckpointAnchor,
    CheckpointWalk, ProblemKind,
};
use crate::ids::PatientId;
use crate::policy::Permission;
use crate::store::{ChangeSet, CheckpointWrite};
use crate::{Error, Result};

/// Entries fetched per store call while walking a chain.
const CHAIN_BATCH: u32 = 1000;

/// Checkpoints fetched per store call while walking the history.
const CHECKPOINT_BATCH: u32 = 1000;

/// Reads of the newest checkpoint tried before giving up on a history that
/// keeps growing underneath (checkpoints are rare, so one retry is plenty).
const CONSISTENT_READ_ATTEMPTS: usize = 3;

/// What a walk of the whole trail found.
struct Walked {
    report: AuditVerification,
    /// Per chain, its last verified entry: what a new checkpoint pins.
    heads: Vec<ChainHead>,
    /// Per chain, the head the newest checkpoint pinned.
    pinned: HashMap<Option<PatientId>, ChainHead>,
    /// The newest checkpoint.
    latest: Option<AuditCheckpoint>,
}

/// Whether `problem` is entries past the chain's head (or a chain without
/// one), which another writer's append can also explain.
fn past_head(problem: &ChainProblem, head: Option<&ChainHead>) -> bool {
    problem.kind == ProblemKind::Inserted && head.is_none_or(|h| problem.seq > h.seq)
}

impl Walked {
    fn failed(mut self, problem: ChainProblem) -> Self {
        self.report.ok = false;
        self.report.problem = Some(problem);
        self
    }
}

fn check_limit(limit: Option<u32>) -> Result<()> {
    match limit {
        Some(0) => Err(Error::invalid(
            "limit",
            "out_of_range",
            "limit must be between 1 and 1000",
        )),
        Some(n) if n > 1000 => Err(Error::invalid(
            "limit",
            "out_of_range",
            "limit must be between 1 and 1000",
        )),
        _ => Ok(()),
    }
}

impl Clinic {
    /// Audit entries, oldest first (page with `query.after`): one
    /// patient's in the order of that patient's chain, the others in id
    /// order (see [`AuditQuery`]). Listing one patient's entries is itself
    /// audited on that patient's chain.
    pub async fn audit_log(&self, actor: &Actor, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let attempt = self
            .authorize(actor, Permission::AuditRead, query.patient)
            .await?;
        self.audited(&attempt, async {
            check_limit(query.limit.map(Count32::get))?;
            let entries = self.store.audit_entries(query).await?;
            self.store
                .apply(ChangeSet::audit_only(vec![
                    self.success(&attempt, Some("audit-log".into()))
                ]))
                .await?;
            Ok(entries)
        })
        .await
    }

    /// Verifies the whole trail and reports the first problem: every
    /// entry's seal (with the clinic's key) and link, every chain against
    /// its head, the stored checkpoint history (signatures, links, no gap),
    /// every chain against what the newest checkpoint pinned (so a deleted
    /// chain or a truncated tail shows), and — when the host passes a
    /// checkpoint it kept elsewhere — that the history still holds it (so
    /// deleting the newest checkpoints or rolling the database back shows).
    pub async fn verify_audit(
        &self,
        actor: &Actor,
        trusted: Option<&AuditCheckpoint>,
    ) -> Result<AuditVerification> {
        let attempt = self.authorize(actor, Permission::AuditVerify, None).await?;
        self.audited(&attempt, async {
            if let Some(t) = trusted {
                t.validate("trusted")?;
            }
            let walked = self.walk_audit(trusted, false).await?;
            // Recorded after the walk so the verification never checks itself.
            self.store
                .apply(ChangeSet::audit_only(vec![
                    self.success(&attempt, Some("audit-verify".into()))
                ]))
                .await?;
            Ok(walked.report)
        })
        .await
    }

    /// Verifies the trail (as [`Clinic::verify_audit`]) and, only if it is
    /// intact, signs and stores a checkpoint pinning every chain's head.
    /// Returns it for the host to export and keep outside the database.
    /// A trail that fails verification is refused (`conflict`). The first
    /// checkpoint a clinic signs with its own key adopts the entries sealed
    /// before it had one (legacy SHA-256 or the development key); after
    /// that, such entries are accepted only where a checkpoint covers them.
    pub async fn audit_checkpoint(&self, actor: &Actor) -> Result<AuditCheckpoint> {
        let attempt = self
            .authorize(actor, Permission::AuditCheckpoint, None)
            .await?;
        self.audited(&attempt, async {
            let walked = self.walk_audit(None, true).await?;
            if let Some(problem) = &walked.report.problem {
                return Err(Error::invalid_state(
                    "audit trail",
                    &format!("fails verification ({})", problem.kind.as_str()),
                ));
            }
            let checkpoint = AuditCheckpoint::sign(
                self.now(),
                &walked.heads,
                walked.latest.as_ref(),
                &self.audit_key,
            );
            let changed_heads = walked
                .heads
                .into_iter()
                .filter(|h| walked.pinned.get(&h.chain) != Some(h))
                .collect();
            let subject = format!("checkpoint:{}", checkpoint.seq);
            self.store
                .apply(
                    ChangeSet::default()
                        .checkpoint(CheckpointWrite {
                            checkpoint: checkpoint.clone(),
                            changed_heads,
                        })
                        .audit(self.success(&attempt, Some(subject))),
                )
                .await?;
            Ok(checkpoint)
        })
        .await
    }

    /// The walk behind verify and checkpoint. `adopt` lets a clinic whose
    /// history holds no checkpoint signed with its key yet accept entries
    /// sealed without it (the migration to a keyed trail).
    async fn walk_audit(&self, trusted: Option<&AuditCheckpoint>, adopt: bool) -> Result<Walked> {
        let key = &self.audit_key;
        let mut walked = Walked {
            report: AuditVerification {
                ok: true,
                chains_checked: Count64::new(0),
                entries_checked: Count64::new(0),
                problem: None,
                keyed: !key.is_development(),
                key_id: key.key_id().to_owned(),
                checkpoints_checked: Count64::new(0),
                anchor: None,
                trusted: None,
            },
            heads: Vec::new(),
            pinned: HashMap::new(),
            latest: None,
        };
        let mut attempts = 0;
        let (anchor, pinned) = loop {
            attempts += 1;
            let (latest, pinned) = self.pinned_heads().await?;
            let anchor = match self.walk_checkpoints(trusted).await? {
                Ok(anchor) => anchor,
                Err(problem) => return Ok(walked.failed(problem)),
            };
            if anchor.latest == latest {
                break (anchor, pinned);
            }
            if attempts >= CONSISTENT_READ_ATTEMPTS {
                return Err(Error::invalid_state(
                    "audit checkpoint",
                    "changed during verification",
                ));
            }
        };
        walked.report.checkpoints_checked = Count64::new(anchor.checked);
        walked.report.anchor = anchor.latest.as_ref().map(|c| c.seq);
        walked.report.trusted = anchor.trusted.map(Count64::new);
        if let Some(latest) = &anchor.latest {
            if let Some(problem) = check_pinned_heads(latest, &pinned) {
                return Ok(walked.failed(problem));
            }
        }
        walked.pinned = pinned.into_iter().map(|h| (h.chain, h)).collect();
        walked.latest = anchor.latest;
        let adopting = adopt && !anchor.host_signed_any;
        let mut heads = self.heads_by_chain().await?;
        let chains = self.store.audit_chains().await?;
        for chain in &chains {
            let pinned = walked.pinned.get(chain);
            let covered = match pinned {
                _ if adopting => u64::MAX,
                Some(p) if anchor.vouches => p.seq,
                _ => 0,
            };
            let rules = ChainRules { key, covered };
            let mut entries = self.whole_chain(*chain).await?;
            let mut problem = verify_chain(*chain, &entries, heads.get(chain), &rules);
            // Heads were read before the entries: an append committed in
            // between looks like an insertion past the head. Read both
            // again; a real insertion stays.
            let mut attempts = 1;
            while attempts < CONSISTENT_READ_ATTEMPTS
                && problem
                    .as_ref()
                    .is_some_and(|p| past_head(p, heads.get(chain)))
            {
                attempts += 1;
                heads = self.heads_by_chain().await?;
                entries = self.whole_chain(*chain).await?;
                problem = verify_chain(*chain, &entries, heads.get(chain), &rules);
            }
            walked.report.chains_checked += 1;
            walked.report.entries_checked += entries.len() as u64;
            if let (None, Some(p), Some(cp)) = (&problem, pinned, &walked.latest) {
                problem = check_pinned(&entries, p, cp.seq.get());
            }
            if let Some(problem) = problem {
                return Ok(walked.failed(problem));
            }
            if let Some(last) = entries.last() {
                walked.heads.push(ChainHead {
                    chain: *chain,
                    seq: last.chain_seq.get(),
                    hash: last.hash.clone(),
                });
            }
        }
        let present: HashSet<Option<PatientId>> = chains.into_iter().collect();
        let mut gone: Vec<&ChainHead> = walked
            .pinned
            .values()
            .filter(|p| !present.contains(&p.chain))
            .collect();
        gone.sort_by_key(|p| p.chain);
        if let (Some(p), Some(cp)) = (gone.first(), &walked.latest) {
            let problem = check_pinned(&[], p, cp.seq.get());
            if let Some(problem) = problem {
                return Ok(walked.failed(problem));
            }
        }
        Ok(walked)
    }

    async fn heads_by_chain(&self) -> Result<HashMap<Option<PatientId>, ChainHead>> {
        Ok(self
            .store
            .audit_heads()
            .await?
            .into_iter()
            .map(|h| (h.chain, h))
            .collect())
    }

    /// The newest checkpoint and the heads stored with it, read so that no
    /// checkpoint was added in between (checkpoints only ever append).
    async fn pinned_heads(&self) -> Result<(Option<AuditCheckpoint>, Vec<ChainHead>)> {
        for _ in 0..CONSISTENT_READ_ATTEMPTS {
            let before = self.store.latest_audit_checkpoint().await?;
            let pinned = self.store.audit_checkpoint_heads().await?;
            let after = self.store.latest_audit_checkpoint().await?;
            if before == after {
                return Ok((after, pinned));
            }
        }
        Err(Error::invalid_state(
            "audit checkpoint",
            "changed during verification",
        ))
    }

    /// Walks the stored checkpoint history a batch at a time.
    async fn walk_checkpoints(
        &self,
        trusted: Option<&AuditCheckpoint>,
    ) -> Result<std::result::Result<CheckpointAnchor, ChainProblem>> {
        let mut walk = match CheckpointWalk::new(&self.audit_key, trusted) {
            Ok(walk) => walk,
            Err(problem) => return Ok(Err(problem)),
        };
        loop {
            let batch = self
                .store
                .audit_checkpoints(walk.last_seq(), CHECKPOINT_BATCH)
                .await?;
            let done = batch.len() < CHECKPOINT_BATCH as usize;
            for cp in batch {
                if let Err(problem) = walk.step(cp) {
                    return Ok(Err(problem));
                }
            }
            if done {
                return Ok(walk.finish());
            }
        }
    }

    async fn whole_chain(&self, chain: Option<PatientId>) -> Result<Vec<AuditEntry>> {
        let mut entries = Vec::new();
        loop {
            let from = entries
                .last()
                .map_or(0, |e: &AuditEntry| (e.chain_seq + 1).get());
            let batch = self.store.audit_chain(chain, from, CHAIN_BATCH).await?;
            let done = batch.len() < CHAIN_BATCH as usize;
            entries.extend(batch);
            if done {
                return Ok(entries);
            }
        }
    }

    /// Who accessed a patient's record, oldest first. The query is audited
    /// on the same record, so a patient also sees that they looked.
    pub async fn who_accessed(
        &self,
        actor: &Actor,
        patient: PatientId,
        limit: Option<Count32>,
    ) -> Result<Vec<AccessRecord>> {
        let attempt = self
            .authorize(actor, Permission::AccessLogRead, Some(patient))
            .await?;
        self.audited(&attempt, async {
            check_limit(limit.map(Count32::get))?;
            let query = AuditQuery {
                patient: Some(patient),
                limit: limit.or(Some(Count32::new(1000))),
                ..AuditQuery::default()
            };
            let entries = self.store.audit_entries(&query).await?;
            self.store
                .apply(ChangeSet::audit_only(vec![self.success(&attempt, None)]))
                .await?;
            Ok(entries
                .into_iter()
                .map(|e| AccessRecord {
                    at: e.draft.at,
                    actor: e.draft.actor,
                    roles: e.draft.roles,
                    action: e.draft.action,
                    outcome: e.draft.outcome,
                    break_glass: e.draft.break_glass.is_some(),
                })
                .collect())
        })
        .await
    }
}
