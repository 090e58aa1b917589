//! Duplicate detection, merge and unmerge. A merge marks the merged record
//! replaced-by the survivor and moves nothing; unmerge restores it exactly.

use crate::{Count32, Count64};
use serde_json::json;

use super::Clinic;
use crate::actor::Actor;
use crate::audit::Outcome;
use crate::events::{EventDraft, PATIENT_MERGED, PATIENT_UNMERGED};
use crate::ids::{MergeId, PatientId};
use crate::patient::duplicates::score;
use crate::patient::normalize::search_keys;
use crate::patient::{DuplicateCandidate, MergeRecord, Patient, PatientUse};
use crate::policy::Permission;
use crate::store::{ChangeSet, MergeWrite, PatientWrite};
use crate::{Error, Result};

/// How many blocking candidates are scored per requested result.
const CANDIDATES_PER_RESULT: u32 = 5;

/// The version of a merge its `patient.merged` events carry in their
/// idempotency keys (the merge log's record is written once, then undone once).
const MERGED: u64 = 1;
/// The version of a merge its `patient.unmerged` events carry.
const UNMERGED: u64 = 2;

/// The two events of a merge or an unmerge: the same kind and payload, one
/// about the survivor and one about the merged patient, survivor's first.
///
/// Why two: the outbox is partitioned by patient
/// ([`crate::events::partition_of`]) and consumers read each partition
/// alone, so an event about the survivor only never reaches the stream of
/// the merged patient, whose consumer (a search index, a cache) would keep
/// the record active and never learn it was replaced. Each patient's stream
/// is complete: written in the same change set, each event lands after that
/// patient's earlier events. Each has its own idempotency key, stable and
/// derived from the merge and the patient's part in it
/// (`<kind>:<merge_id>:survivor:<version>`, `<kind>:<merge_id>:merged:<version>`),
/// so a consumer deduplicating by key drops a redelivery and never the
/// other patient's event.
fn one_event_for_each_patient(
    kind: &str,
    merge: MergeId,
    version: u64,
    (survivor, merged): (PatientId, PatientId),
    payload: &serde_json::Value,
    now: chrono::DateTime<chrono::Utc>,
) -> [EventDraft; 2] {
    [(survivor, "survivor"), (merged, "merged")].map(|(patient, part)| {
        EventDraft::new(
            kind,
            Some(patient),
            &format!("{merge}:{part}"),
            version,
            payload.clone(),
            now,
        )
    })
}

impl Clinic {
    /// Likely duplicates of a patient, best first, each with a per-field
    /// breakdown. Every candidate shown is audited as read.
    ///
    /// Duplicates are a search: candidates are found, scored and shown with
    /// what the actor sees of any patient, so neither a candidate, its
    /// rank nor a per-field score can reveal a field hidden from the actor
    /// (an admin matches on names and identifiers only).
    pub async fn find_duplicates(
        &self,
        actor: &Actor,
        id: PatientId,
        limit: Count32,
    ) -> Result<Vec<DuplicateCandidate>> {
        let attempt = self
            .authorize(actor, Permission::PatientMerge, Some(id))
            .await?;
        self.audited(&attempt, async {
            if limit == 0 || limit > 100 {
                return Err(Error::invalid(
                    "limit",
                    "out_of_range",
                    "limit must be between 1 and 100",
                ));
            }
            let patient = self
                .store
                .patient(id)
                .await?
                .ok_or_else(|| Error::not_found("patient"))?;
            let sight = self.sight(actor, None).await?;
            let probe = sight.patient(patient);
            let region = self.phone_region();
            let keys = search_keys(&probe.details, region);
            let pool = self
                .store
                .duplicate_candidates(
                    &probe,
                    &keys,
                    limit.get().saturating_mul(CANDIDATES_PER_RESULT),
                )
                .await?;
            let mut scored: Vec<(Patient, _)> = pool
                .into_iter()
                .map(|p| {
                    let p = sight.patient(p);
                    let s = score(&probe.details, &p.details, region);
                    (p, s)
                })
                .filter(|(_, s)| s.total > 0.0)
                .collect();
            scored.sort_by(|a, b| b.1.total.total_cmp(&a.1.total).then(a.0.id.cmp(&b.0.id)));
            scored.truncate(usize::from(limit));
            let reason = attempt.decision.audit_reason();
            let mut audit = vec![self.success(&attempt, None)];
            audit.extend(scored.iter().map(|(p, _)| {
                self.draft_for(
                    &attempt,
                    Some(p.id),
                    Outcome::Success,
                    reason.clone(),
                    Some(format!("duplicate-of:{id}")),
                )
            }));
            self.store.apply(ChangeSet::audit_only(audit)).await?;
            Ok(scored
                .into_iter()
                .map(|(patient, score)| DuplicateCandidate { patient, score })
                .collect())
        })
        .await
    }

    /// Merges `merged` into `survivor`: the merged record becomes inactive and
    /// replaced-by the survivor; both stay readable; the merge log keeps the
    /// merged record's prior state for unmerge.
    ///
    /// The outbox gets one `patient.merged` event about each of the two
    /// patients, with the same payload, so each patient's own event stream
    /// (its partition) says it was merged; the survivor's comes first when
    /// both are in one partition.
    pub async fn merge_patients(
        &self,
        actor: &Actor,
        survivor: PatientId,
        survivor_version: Count64,
        merged: PatientId,
        merged_version: Count64,
    ) -> Result<MergeRecord> {
        self.authorize(actor, Permission::PatientMerge, Some(survivor))
            .await?;
        let attempt = self
            .authorize(actor, Permission::PatientMerge, Some(merged))
            .await?;
        self.audited(&attempt, async {
            if survivor == merged {
                return Err(Error::invalid(
                    "merged",
                    "same_patient",
                    "a patient cannot be merged into itself",
                ));
            }
            let now = self.now();
            let kept = self.current(survivor, survivor_version.get()).await?;
            let gone = self.current(merged, merged_version.get()).await?;
            kept.accepts(PatientUse::Merge, "survivor")?;
            gone.accepts(PatientUse::Merge, "patient")?;
            let merge_id = MergeId::new();
            let merged_after = Patient {
                version: gone.version + 1,
                active: false,
                merged_into: Some(survivor),
                updated_at: now,
                ..gone.clone()
            };
            // The survivor's content is untouched; its version moves so a
            // concurrent merge of the survivor itself loses inside the store.
            let survivor_after = Patient {
                version: kept.version + 1,
                updated_at: now,
                ..kept
            };
            let record = MergeRecord {
                id: merge_id,
                survivor,
                merged,
                merged_before: gone,
                merged_version_after: merged_after.version,
                merged_by: actor.id,
                merged_at: now,
                unmerged_by: None,
                unmerged_at: None,
            };
            let subject = Some(format!("merge:{merge_id}"));
            let reason = attempt.decision.audit_reason();
            let [to_survivor, to_merged] = one_event_for_each_patient(
                PATIENT_MERGED,
                merge_id,
                MERGED,
                (survivor, merged),
                &json!({
                    "merge_id": merge_id,
                    "survivor_id": survivor,
                    "merged_id": merged,
                    "survivor_version": survivor_after.version,
                    "merged_version": merged_after.version,
                }),
                now,
            );
            self.store
                .apply(
                    ChangeSet::default()
                        .patient(PatientWrite::update(
                            survivor_after,
                            survivor_version.get(),
                            self.phone_region(),
                        ))
                        .patient(PatientWrite::update(
                            merged_after,
                            merged_version.get(),
                            self.phone_region(),
                        ))
                        .merge(MergeWrite::Insert(record.clone()))
                        .audit(self.draft_for(
                            &attempt,
                            Some(survivor),
                            Outcome::Success,
                            reason.clone(),
                            subject.clone(),
                        ))
                        .audit(self.draft_for(
                            &attempt,
                            Some(merged),
                            Outcome::Success,
                            reason,
                            subject,
                        ))
                        .event(to_survivor)
                        .event(to_merged),
                )
                .await?;
            Ok(MergeRecord {
                merged_before: self
                    .sight_of(&attempt)
                    .patient(record.merged_before.clone()),
                ..record
            })
        })
        .await
    }

    /// Undoes a merge: the merged record returns to exactly its prior state
    /// (with a new version). Fails with `conflict` if it changed since.
    ///
    /// The outbox gets one `patient.unmerged` event about each of the two
    /// patients, as for the merge.
    pub async fn unmerge_patients(&self, actor: &Actor, merge_id: MergeId) -> Result<Patient> {
        let record = self
            .store
            .merge(merge_id)
            .await?
            .ok_or_else(|| Error::not_found("merge"))?;
        let attempt = self
            .authorize(actor, Permission::PatientMerge, Some(record.merged))
            .await?;
        self.audited(&attempt, async {
            if record.unmerged_at.is_some() {
                return Err(Error::invalid_state("merge", "already undone"));
            }
            let now = self.now();
            let current = self
                .current(record.merged, record.merged_version_after.get())
                .await?;
            current.accepts(PatientUse::Unmerge, "patient")?;
            let restored = Patient {
                version: current.version + 1,
                updated_at: now,
                ..record.merged_before.clone()
            };
            let subject = Some(format!("merge:{merge_id}"));
            let reason = attempt.decision.audit_reason();
            let [to_survivor, to_merged] = one_event_for_each_patient(
                PATIENT_UNMERGED,
                merge_id,
                UNMERGED,
                (record.survivor, record.merged),
                &json!({
                    "merge_id": merge_id,
                    "survivor_id": record.survivor,
                    "merged_id": record.merged,
                    "merged_version": restored.version,
                }),
                now,
            );
            self.store
                .apply(
                    ChangeSet::default()
                        .patient(PatientWrite::update(
                            restored.clone(),
                            current.version.get(),
                            self.phone_region(),
                        ))
                        .merge(MergeWrite::Undo {
                            id: merge_id,
                            by: actor.id,
                            at: now,
                        })
                        .audit(self.draft_for(
                            &attempt,
                            Some(record.survivor),
                            Outcome::Success,
                            reason.clone(),
                            subject.clone(),
                        ))
                        .audit(self.draft_for(
                            &attempt,
                            Some(record.merged),
                            Outcome::Success,
                            reason,
                            subject,
                        ))
                        .event(to_survivor)
                        .event(to_merged),
                )
                .await?;
            Ok(self.sight_of(&attempt).patient(restored))
        })
        .await
    }

    /// The merge log of a patient (as survivor or as merged), oldest first.
    pub async fn merge_history(
        &self,
        actor: &Actor,
        patient: PatientId,
    ) -> Result<Vec<MergeRecord>> {
        let attempt = self
            .authorize(actor, Permission::PatientMerge, Some(patient))
            .await?;
        self.audited(&attempt, async {
            let merges = self.store.merges_for(patient).await?;
            self.store
                .apply(ChangeSet::audit_only(vec![
                    self.success(&attempt, Some("merge-log".into()))
                ]))
                .await?;
            // Each record shows the merged patient as the actor sees that
            // patient (it is not always the one asked about).
            let own = self.sight_of(&attempt);
            let mut shown = Vec::with_capacity(merges.len());
            for m in merges {
                let sight = if m.merged == patient {
                    own.clone()
                } else {
                    self.sight(actor, Some(m.merged)).await?
                };
                shown.push(MergeRecord {
                    merged_before: sight.patient(m.merged_before.clone()),
                    ..m
                });
            }
            Ok(shown)
        })
        .await
    }
}
