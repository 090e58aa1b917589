//! Reads of the health record: one patient's timeline, an entry's
//! history, the latest value per code, and one code across the patients
//! the actor may see. Each is one index read in the store, shown through
//! the record sight, and audited (one entry per patient read).

use super::super::{check_actor, Attempt, Clinic};
use super::sight::RecordSight;
use crate::actor::Actor;
use crate::audit::Outcome;
use crate::ids::{EntryId, PatientId};
use crate::policy::{AccessFacts, Permission};
use crate::record::pages::{code_filter, page_after, page_limit, paged, range_check};
use crate::record::{
    ClinicalEntry, CodeQuery, Coding, EntryKind, EntryPage, EntryQuery, ObservationQuery,
    PatientScope, TimelineQuery, MAX_LATEST_CODES,
};
use crate::store::ChangeSet;
use crate::terminology::vital_signs::VITAL_SIGNS;
use crate::validation::Errors;
use crate::Count32;
use crate::{Error, Result};

/// LOINC's system URI (vital signs are LOINC-coded).
const LOINC: &str = "http://loinc.org";

/// Most distinct kinds a timeline query may name (every kind once).
const MAX_KINDS: usize = EntryKind::ALL.len();

impl Clinic {
    /// A patient's timeline, oldest first: current versions (retracted
    /// ones too when asked), filtered by kind, code and time, paged with a
    /// stable cursor. A codes-only reader gets encounters, conditions and
    /// procedures only.
    pub async fn patient_timeline(
        &self,
        actor: &Actor,
        patient: PatientId,
        query: &TimelineQuery,
    ) -> Result<EntryPage> {
        let (attempt, sight) = self.record_reader(actor, patient).await?;
        self.audited(&attempt, async {
            let mut errors = Errors::default();
            if query.kinds.len() > MAX_KINDS {
                errors.add("kinds", "too_many", format!("at most {MAX_KINDS} kinds"));
            }
            let code = query
                .code
                .as_ref()
                .map(|c| code_filter(&mut errors, "code", c));
            range_check(&mut errors, query.from, query.to);
            let limit = page_limit(&mut errors, query.limit.map(Count32::get));
            let after = page_after(&mut errors, query.cursor.as_deref());
            errors.finish()?;
            let asked: Vec<EntryKind> = if query.kinds.is_empty() {
                EntryKind::ALL.to_vec()
            } else {
                query.kinds.clone()
            };
            let mut kinds: Vec<EntryKind> =
                asked.into_iter().filter(|k| sight.sees_kind(*k)).collect();
            kinds.sort();
            kinds.dedup();
            let found = if kinds.is_empty() {
                Vec::new()
            } else {
                let every = kinds.len() == EntryKind::ALL.len();
                self.store
                    .entries(&EntryQuery {
                        patient,
                        kinds: if every { Vec::new() } else { kinds },
                        code,
                        from: query.from,
                        to: query.to,
                        include_retracted: query.include_retracted,
                        after,
                        limit: limit + 1,
                    })
                    .await?
            };
            let (items, next_cursor) = paged(found, limit);
            self.store
                .apply(ChangeSet::audit_only(vec![self.success(&attempt, None)]))
                .await?;
            Ok(EntryPage {
                items: sight.show_all(items),
                next_cursor,
            })
        })
        .await
    }

    /// Every version of one entry, oldest first (amendments, status
    /// changes, the retraction): `not_found` when the patient has no such
    /// entry or the actor's view leaves its kind out.
    pub async fn entry_history(
        &self,
        actor: &Actor,
        patient: PatientId,
        entry: EntryId,
    ) -> Result<Vec<ClinicalEntry>> {
        let (attempt, sight) = self.record_reader(actor, patient).await?;
        self.audited(&attempt, async {
            let versions = sight.show_all(self.store.entry_versions(patient, entry).await?);
            if versions.is_empty() {
                return Err(Error::missing("entry", "entry"));
            }
            self.store
                .apply(ChangeSet::audit_only(vec![
                    self.success(&attempt, Some(format!("entry:{entry}")))
                ]))
                .await?;
            Ok(versions)
        })
        .await
    }

    /// The latest observation per vital-sign LOINC code (the 13 of FHIR
    /// R4) for a patient, ordered by code; retracted ones left out.
    pub async fn latest_vitals(&self, actor: &Actor, patient: PatientId) -> Result<EntryPage> {
        let codes: Vec<Coding> = VITAL_SIGNS
            .iter()
            .map(|v| Coding {
                system: LOINC.into(),
                code: v.code.into(),
                display: None,
            })
            .collect();
        self.latest_observations(actor, patient, codes).await
    }

    /// The latest observation per code of `codes` (every observation code
    /// when empty) for a patient, ordered by system then code. Needs the
    /// full record view: observations are values.
    pub async fn latest_observations(
        &self,
        actor: &Actor,
        patient: PatientId,
        codes: Vec<Coding>,
    ) -> Result<EntryPage> {
        let (attempt, sight) = self.record_reader(actor, patient).await?;
        if !sight.sees_kind(EntryKind::Observation) {
            let decision = self
                .policy()
                .decide(actor, Permission::RecordRead, &attempt.facts);
            let denied = Attempt {
                actor,
                permission: Permission::RecordRead,
                patient: Some(patient),
                facts: attempt.facts,
                decision,
            };
            let reason = denied.decision.deny_reason();
            return Err(self.deny(&denied, reason).await);
        }
        self.audited(&attempt, async {
            let mut errors = Errors::default();
            if codes.len() > MAX_LATEST_CODES {
                errors.add(
                    "codes",
                    "too_many",
                    format!("at most {MAX_LATEST_CODES} codes"),
                );
            }
            let pairs: Vec<(String, String)> = codes
                .iter()
                .enumerate()
                .take(MAX_LATEST_CODES)
                .map(|(i, c)| code_filter(&mut errors, &format!("codes[{i}]"), c))
                .collect();
            errors.finish()?;
            let found = self
                .store
                .latest_entries(patient, EntryKind::Observation, &pairs)
                .await?;
            self.store
                .apply(ChangeSet::audit_only(vec![self.success(&attempt, None)]))
                .await?;
            Ok(EntryPage {
                items: sight.show_all(found),
                next_cursor: None,
            })
        })
        .await
    }

    /// Observations of one code across the patients the actor may see, in
    /// a time range, oldest first: every patient when the policy grants
    /// `record.read` with relationship `any`, otherwise the care team of
    /// the actor's practitioner. The store filters; each returned patient
    /// is audited.
    pub async fn observations_across_patients(
        &self,
        actor: &Actor,
        query: &ObservationQuery,
    ) -> Result<EntryPage> {
        check_actor(actor)?;
        let policy = self.policy();
        let anyone = AccessFacts {
            has_target: true,
            ..AccessFacts::default()
        };
        let care_team = AccessFacts {
            on_care_team: true,
            ..anyone
        };
        let all = policy.decide(actor, Permission::RecordRead, &anyone);
        let team = policy.decide(actor, Permission::RecordRead, &care_team);
        let (scope, decision, facts) = match actor.practitioner {
            _ if all.allowed => (Some(PatientScope::All), all, anyone),
            Some(pr) if team.allowed => (Some(PatientScope::CareTeamOf(pr)), team, care_team),
            _ => (None, team, care_team),
        };
        let attempt = Attempt {
            actor,
            permission: Permission::RecordRead,
            patient: None,
            facts,
            decision,
        };
        let Some(scope) = scope else {
            let reason = attempt.decision.deny_reason();
            return Err(self.deny(&attempt, reason).await);
        };
        self.audited(&attempt, async {
            let mut errors = Errors::default();
            let (system, code) = code_filter(&mut errors, "code", &query.code);
            range_check(&mut errors, query.from, query.to);
            let limit = page_limit(&mut errors, query.limit.map(Count32::get));
            let after = page_after(&mut errors, query.cursor.as_deref());
            errors.finish()?;
            let found = self
                .store
                .entries_by_code(&CodeQuery {
                    kind: EntryKind::Observation,
                    system,
                    code,
                    from: query.from,
                    to: query.to,
                    scope,
                    after,
                    limit: limit + 1,
                })
                .await?;
            let (items, next_cursor) = paged(found, limit);
            let mut patients: Vec<PatientId> = items.iter().map(|e| e.patient).collect();
            patients.sort();
            patients.dedup();
            let reason = attempt.decision.audit_reason();
            let mut audit: Vec<_> = patients
                .iter()
                .map(|p| self.draft_for(&attempt, Some(*p), Outcome::Success, reason.clone(), None))
                .collect();
            if audit.is_empty() {
                audit.push(self.success(&attempt, None));
            }
            self.store.apply(ChangeSet::audit_only(audit)).await?;
            let sight = RecordSight::Full { notes: false };
            Ok(EntryPage {
                items: sight.show_all(items),
                next_cursor,
            })
        })
        .await
    }
}
