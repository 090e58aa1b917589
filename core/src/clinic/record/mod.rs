//! The health record pipeline: every kind of clinical entry is recorded,
//! moved along its life cycle, amended and retracted through the four
//! operations here, so each write is validated, authorized
//! (`record.write` on the patient), checked against the patient's state
//! and written as ONE change set (the version, its audit entry with
//! subject `entry:<id>`, the kind's event). A failure is audited too.
//!
//! The kinds' own rules (an observation's computed interpretation, an
//! encounter's link to its appointment) hang off [`Clinic::kind_rules`];
//! what an actor may see of what is read back is decided in `sight`.

mod kinds;
mod measures;
mod reads;
mod sight;

use crate::Count32;
use chrono::{DateTime, Utc};

use super::{Attempt, Clinic};
use crate::actor::Actor;
use crate::events::{
    EventDraft, CONDITION_RECORDED, ENCOUNTER_FINISHED, ENCOUNTER_STARTED, ENTRY_AMENDED,
    ENTRY_RETRACTED, OBSERVATION_RECORDED, PRESCRIPTION_ISSUED,
};
use crate::ids::{EntryId, PatientId};
use crate::limits::MAX_REASON_CHARS;
use crate::patient::{Patient, PatientUse};
use crate::policy::Permission;
use crate::record::{
    amended_body, body_problems, effective_time_problems, entry_event, moved, timed_problems,
    ClinicalEntry, EncounterStatus, EntryBody, EntryKind, NewEntry, Revision, RevisionKind,
};
use crate::store::{ChangeSet, Reference};
use crate::validation::{free_text, Errors};
use crate::{Error, Result};

/// The event a version announces, if its kind has one for what happened.
fn event_of(entry: &ClinicalEntry, previous: Option<&ClinicalEntry>) -> Option<&'static str> {
    match entry.revision.kind {
        RevisionKind::Amended => return Some(ENTRY_AMENDED),
        RevisionKind::Retracted => return Some(ENTRY_RETRACTED),
        RevisionKind::Recorded | RevisionKind::StatusChanged => {}
    }
    let was = previous.map(|p| p.body.status());
    match &entry.body {
        EntryBody::Encounter(e) => match e.status {
            EncounterStatus::Arrived | EncounterStatus::InProgress
                if !matches!(was, Some("arrived" | "in-progress")) =>
            {
                Some(ENCOUNTER_STARTED)
            }
            EncounterStatus::Finished => Some(ENCOUNTER_FINISHED),
            _ => None,
        },
        EntryBody::Observation(_) if previous.is_none() => Some(OBSERVATION_RECORDED),
        EntryBody::Condition(_) if previous.is_none() => Some(CONDITION_RECORDED),
        EntryBody::Prescription(_) if previous.is_none() => Some(PRESCRIPTION_ISSUED),
        _ => None,
    }
}

/// The subject of an entry's audit entries.
fn subject(id: EntryId) -> Option<String> {
    Some(format!("entry:{id}"))
}

/// A required reason (amendments, retractions), on `reason`.
fn check_reason(errors: &mut Errors, reason: &str) {
    free_text(errors, "reason", reason, MAX_REASON_CHARS, true);
}

impl Clinic {
    /// The patient the record belongs to, in a state that takes `use_`.
    async fn record_patient(&self, patient: PatientId, use_: PatientUse) -> Result<Patient> {
        let stored = self
            .store
            .patient(patient)
            .await?
            .ok_or_else(|| Error::missing("patient", "patient"))?;
        stored.accepts(use_, "patient")?;
        Ok(stored)
    }

    /// The current, unretracted version of an entry of `patient`
    /// (`not_found` on `entry` otherwise: a retracted entry no longer
    /// stands), after checking it is at `expected_version`.
    async fn standing_entry(
        &self,
        patient: PatientId,
        id: EntryId,
        expected_version: u32,
    ) -> Result<ClinicalEntry> {
        let current = self
            .store
            .entry(patient, id)
            .await?
            .filter(|e| !e.is_retracted())
            .ok_or_else(|| Error::missing("entry", "entry"))?;
        if current.version != expected_version {
            return Err(Error::stale(
                "entry",
                u64::from(expected_version),
                u64::from(current.version),
            ));
        }
        Ok(current)
    }

    /// Every problem of a new entry's envelope and body, collected: the
    /// body's content, an effective time too far ahead, an encounter link
    /// that does not name a standing encounter of the same patient.
    async fn entry_problems(&self, patient: PatientId, entry: &NewEntry) -> Result<()> {
        let mut errors = Errors::default();
        body_problems(&entry.body)
            .into_iter()
            .for_each(|f| errors.push(f));
        effective_time_problems("effective_at", entry.effective_at, &entry.body, self.now())
            .into_iter()
            .for_each(|f| errors.push(f));
        timed_problems(entry.effective_at, &entry.body)
            .into_iter()
            .for_each(|f| errors.push(f));
        if let Some(encounter) = entry.encounter {
            let found = self.store.entry(patient, encounter).await?;
            let standing =
                found.is_some_and(|e| !e.is_retracted() && e.kind() == EntryKind::Encounter);
            if !standing {
                errors.add(
                    "encounter",
                    "not_an_encounter",
                    "must name an encounter of the same patient",
                );
            }
        }
        errors.finish()
    }

    /// What each kind adds to a body before it is stored (values core
    /// computes, never taken from the caller), given the patient and the
    /// clinical time.
    async fn kind_rules(
        &self,
        patient: &Patient,
        effective_at: DateTime<Utc>,
        body: EntryBody,
    ) -> Result<EntryBody> {
        match body {
            EntryBody::Observation(o) => Ok(EntryBody::Observation(measures::interpreted(
                patient,
                effective_at,
                o,
            )?)),
            EntryBody::DiagnosticReport(r) => {
                self.check_results(patient.id, &r).await?;
                Ok(EntryBody::DiagnosticReport(r))
            }
            other => Ok(other),
        }
    }

    /// Version 1 of a new entry of `patient`, checked and completed by its
    /// kind's rules; nothing is written.
    async fn first_version(
        &self,
        actor: &Actor,
        patient: PatientId,
        entry: NewEntry,
    ) -> Result<ClinicalEntry> {
        self.entry_problems(patient, &entry).await?;
        self.allergy_rule(patient, &entry.body).await?;
        let record = self
            .record_patient(patient, PatientUse::RecordEntry)
            .await?;
        let body = self
            .kind_rules(&record, entry.effective_at, entry.body)
            .await?;
        Ok(ClinicalEntry {
            id: EntryId::new(),
            patient,
            version: Count32::new(1),
            effective_at: entry.effective_at,
            recorded_at: self.now(),
            recorded_by: actor.id,
            encounter: entry.encounter,
            revision: Revision {
                kind: RevisionKind::Recorded,
                reason: None,
            },
            fhir: None,
            body,
        })
    }

    /// The change set of one new version: the version, its audit entry
    /// and its event, if any.
    fn entry_changes(
        &self,
        attempt: &Attempt<'_>,
        entry: &ClinicalEntry,
        previous: Option<&ClinicalEntry>,
    ) -> ChangeSet {
        let mut audit = self.success(attempt, subject(entry.id));
        if previous.is_none() {
            if let Some(overridden) = kinds::overrides_of(&entry.body) {
                audit.reason = format!("{}; {overridden}", audit.reason);
            }
        }
        let mut changes = ChangeSet::default()
            .references(vec![Reference::patient(entry.patient, "patient")])
            .entry(entry.clone())
            .audit(audit);
        if let Some(kind) = event_of(entry, previous) {
            let event: EventDraft = entry_event(kind, entry);
            changes = changes.event(event);
        }
        changes
    }

    /// Records a new clinical entry of any kind in `patient`'s record
    /// (version 1): `record.write` on the patient, a patient that takes new
    /// entries (not merged away), a body and envelope without problems
    /// (every failing field listed).
    pub async fn record_entry(
        &self,
        actor: &Actor,
        patient: PatientId,
        entry: &NewEntry,
    ) -> Result<ClinicalEntry> {
        let attempt = self
            .authorize(actor, Permission::RecordWrite, Some(patient))
            .await?;
        self.audited(&attempt, async {
            let stored = self.first_version(actor, patient, entry.clone()).await?;
            self.store
                .apply(self.entry_changes(&attempt, &stored, None))
                .await?;
            Ok(stored)
        })
        .await
    }

    /// Writes the version after `current` with `body` for `revision`.
    async fn next_version(
        &self,
        attempt: &Attempt<'_>,
        current: &ClinicalEntry,
        revision: Revision,
        body: EntryBody,
    ) -> Result<ClinicalEntry> {
        let next = ClinicalEntry {
            version: current.version + 1,
            recorded_at: self.now(),
            recorded_by: attempt.actor.id,
            revision,
            body,
            ..current.clone()
        };
        self.store
            .apply(self.entry_changes(attempt, &next, Some(current)))
            .await?;
        Ok(next)
    }

    /// Moves an entry along its kind's life cycle (an encounter finished,
    /// a report made final, a prescription stopped): a `status_changed`
    /// version. `status` is a code of the entry's kind; a move the life
    /// cycle does not allow is `conflict` `invalid_state`.
    pub async fn change_entry_status(
        &self,
        actor: &Actor,
        patient: PatientId,
        entry: EntryId,
        expected_version: Count32,
        status: &str,
    ) -> Result<ClinicalEntry> {
        let attempt = self
            .authorize(actor, Permission::RecordWrite, Some(patient))
            .await?;
        self.audited(&attempt, async {
            self.record_patient(patient, PatientUse::CorrectEntry)
                .await?;
            let current = self
                .standing_entry(patient, entry, expected_version.get())
                .await?;
            let body = moved(&current.body, status, self.now())?;
            let revision = Revision {
                kind: RevisionKind::StatusChanged,
                reason: None,
            };
            self.next_version(&attempt, &current, revision, body).await
        })
        .await
    }

    /// Corrects an entry: a new version with `body` (same kind) that
    /// supersedes the last, with the reason (required). Both stay in its
    /// history. An observation's or report's `final` becomes `amended`
    /// once it was final.
    pub async fn amend_entry(
        &self,
        actor: &Actor,
        patient: PatientId,
        entry: EntryId,
        expected_version: Count32,
        body: &EntryBody,
        reason: &str,
    ) -> Result<ClinicalEntry> {
        let attempt = self
            .authorize(actor, Permission::RecordWrite, Some(patient))
            .await?;
        self.audited(&attempt, async {
            let mut errors = Errors::default();
            check_reason(&mut errors, reason);
            body_problems(body).into_iter().for_each(|f| errors.push(f));
            errors.finish()?;
            let record = self
                .record_patient(patient, PatientUse::CorrectEntry)
                .await?;
            let current = self
                .standing_entry(patient, entry, expected_version.get())
                .await?;
            if body.kind() != current.kind() {
                return Err(Error::invalid(
                    "body.kind",
                    "kind_changed",
                    format!("must stay {}", current.kind()),
                ));
            }
            let mut errors = Errors::default();
            timed_problems(current.effective_at, body)
                .into_iter()
                .for_each(|f| errors.push(f));
            errors.finish()?;
            let body = self
                .kind_rules(&record, current.effective_at, body.clone())
                .await?;
            let body = amended_body(&current.body, body);
            if current.body.code() != body.code() {
                self.allergy_rule(patient, &body).await?;
            }
            let revision = Revision {
                kind: RevisionKind::Amended,
                reason: Some(reason.to_owned()),
            };
            self.next_version(&attempt, &current, revision, body).await
        })
        .await
    }

    /// Retracts an entry entered in error: a `retracted` version (status
    /// `entered-in-error`) with the reason (required). The entry leaves
    /// the current view; its history keeps every version.
    pub async fn retract_entry(
        &self,
        actor: &Actor,
        patient: PatientId,
        entry: EntryId,
        expected_version: Count32,
        reason: &str,
    ) -> Result<ClinicalEntry> {
        let attempt = self
            .authorize(actor, Permission::RecordWrite, Some(patient))
            .await?;
        self.audited(&attempt, async {
            let mut errors = Errors::default();
            check_reason(&mut errors, reason);
            errors.finish()?;
            self.record_patient(patient, PatientUse::CorrectEntry)
                .await?;
            let current = self
                .standing_entry(patient, entry, expected_version.get())
                .await?;
            let revision = Revision {
                kind: RevisionKind::Retracted,
                reason: Some(reason.to_owned()),
            };
            let body = current.body.clone();
            self.next_version(&attempt, &current, revision, body).await
        })
        .await
    }
}
