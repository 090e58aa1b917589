//! Reading and verifying the audit trail, and "who accessed my record".

use super::Clinic;
use crate::actor::Actor;
use crate::audit::{
    verify_chain, AccessRecord, AuditEntry, AuditQuery, AuditVerification, ChainHead,
};
use crate::ids::PatientId;
use crate::policy::Permission;
use crate::store::ChangeSet;
use crate::{Error, Result};

/// Entries fetched per store call while walking a chain.
const CHAIN_BATCH: u32 = 1000;

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
    /// Audit entries in recording order (page with `query.after`). Listing
    /// one patient's entries is itself audited on that patient's chain.
    pub async fn audit_log(&self, actor: &Actor, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let attempt = self
            .authorize(actor, Permission::AuditRead, query.patient)
            .await?;
        self.audited(&attempt, async {
            check_limit(query.limit)?;
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

    /// Walks every chain and reports the first entry that was edited,
    /// deleted, reordered or inserted.
    pub async fn verify_audit(&self, actor: &Actor) -> Result<AuditVerification> {
        let attempt = self.authorize(actor, Permission::AuditVerify, None).await?;
        self.audited(&attempt, async {
            let heads = self.store.audit_heads().await?;
            let chains = self.store.audit_chains().await?;
            let mut report = AuditVerification {
                ok: true,
                chains_checked: 0,
                entries_checked: 0,
                problem: None,
            };
            for chain in chains {
                let entries = self.whole_chain(chain).await?;
                let head: Option<&ChainHead> = heads.iter().find(|h| h.chain == chain);
                report.chains_checked += 1;
                report.entries_checked += entries.len() as u64;
                if let Some(problem) = verify_chain(chain, &entries, head) {
                    report.ok = false;
                    report.problem = Some(problem);
                    break;
                }
            }
            // Recorded after the walk so the verification never checks itself.
            self.store
                .apply(ChangeSet::audit_only(vec![
                    self.success(&attempt, Some("audit-verify".into()))
                ]))
                .await?;
            Ok(report)
        })
        .await
    }

    async fn whole_chain(&self, chain: Option<PatientId>) -> Result<Vec<AuditEntry>> {
        let mut entries = Vec::new();
        loop {
            let from = entries.last().map_or(0, |e: &AuditEntry| e.chain_seq + 1);
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
        limit: Option<u32>,
    ) -> Result<Vec<AccessRecord>> {
        let attempt = self
            .authorize(actor, Permission::AccessLogRead, Some(patient))
            .await?;
        self.audited(&attempt, async {
            check_limit(limit)?;
            let query = AuditQuery {
                patient: Some(patient),
                limit: limit.or(Some(1000)),
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
