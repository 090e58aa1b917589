//! The health record pipeline: every kind of clinical entry is recorded,
//! moved along its life cycle, amended and retracted through the four
//! operations here, so each write is validated, authorized
//! (`record.write` on the patient), checked against the patient's state
//! and written as ONE change set (the version, its audit entry with
//! subject `entry:<id>`, the kind's event). A failure is audited too.
//!
//! Every named operation (`kinds`, `encounters`, `labs`) goes through the
//! same two shapes: `record_new` for a new entry and `change_standing` for
//! a new version of a standing entry (load, check the expected version,
//! build version n + 1, append), so none repeats them.
//!
//! The kinds' own rules (an observation's computed interpretation, a
//! report's results) hang off [`Clinic::kind_rules`]; what an actor may see
//! of what is read back is decided in `sight`.

mod documents;
mod encounters;
mod fhir;
mod kinds;
mod labs;
mod measures;
mod reads;
mod sight;

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
use crate::record::{NewEncounter, Prescription, PrescriptionStatus};
use crate::store::{ChangeSet, Reference};
use crate::validation::{free_text, Errors};
use crate::{Count32, Error, Result};

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
            EncounterStatus::InProgress if was != Some("in-progress") => Some(ENCOUNTER_STARTED),
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
    pub(super) async fn record_patient(
        &self,
        patient: PatientId,
        use_: PatientUse,
    ) -> Result<Patient> {
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
        self.record_new(actor, patient, New::Entry(entry)).await
    }

    /// THE shape of every single new entry: `record.write` on the patient,
    /// version 1 built and checked by its kind, written with its audit
    /// entry and event as one change set.
    async fn record_new(
        &self,
        actor: &Actor,
        patient: PatientId,
        new: New<'_>,
    ) -> Result<ClinicalEntry> {
        let attempt = self
            .authorize(actor, Permission::RecordWrite, Some(patient))
            .await?;
        self.audited(&attempt, async {
            let (stored, changes) = match new {
                New::Entry(entry) => {
                    documents::refuse_bare_document(entry)?;
                    let stored = self.first_version(actor, patient, entry.clone()).await?;
                    let changes = self.entry_changes(&attempt, &stored, None);
                    (stored, changes)
                }
                New::Encounter(encounter) => {
                    let stored = self
                        .encounter_version(actor, patient, encounter.clone(), "encounter")
                        .await?;
                    let changes = self.encounter_changes(&attempt, &stored, "encounter");
                    (stored, changes)
                }
            };
            self.store.apply(changes).await?;
            Ok(stored)
        })
        .await
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
        let target = Target::any(patient, entry, expected_version);
        self.move_standing(actor, target, status).await
    }

    /// A standing entry moved along its kind's life cycle to `status`.
    async fn move_standing(
        &self,
        actor: &Actor,
        target: Target,
        status: &str,
    ) -> Result<ClinicalEntry> {
        let change = Change::Status {
            status,
            reason: None,
        };
        Ok(self.change_standing(actor, target, change).await?.next)
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
        let target = Target::any(patient, entry, expected_version);
        let change = Change::Amend { body, reason };
        Ok(self.change_standing(actor, target, change).await?.next)
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
        let target = Target::any(patient, entry, expected_version);
        let change = Change::Retract { reason };
        Ok(self.change_standing(actor, target, change).await?.next)
    }

    /// THE shape of every change to a standing entry: `record.write` on the
    /// patient, the change's own checks, a patient that takes corrections,
    /// the entry standing at `expected_version` (and of the target's kind),
    /// then version n + 1 built by the change and appended, with whatever
    /// new entries the change writes alongside, in ONE change set.
    async fn change_standing(
        &self,
        actor: &Actor,
        target: Target,
        change: Change<'_>,
    ) -> Result<Changed> {
        let attempt = self
            .authorize(actor, Permission::RecordWrite, Some(target.patient))
            .await?;
        self.audited(&attempt, async {
            change.problems(&target)?;
            let record = self
                .record_patient(target.patient, PatientUse::CorrectEntry)
                .await?;
            let current = self
                .standing_entry(target.patient, target.entry, target.expected_version.get())
                .await?;
            if let Some(kind) = target.kind {
                if current.kind() != kind {
                    return Err(Error::missing(kind.as_str(), "entry"));
                }
            }
            let (revision, body, alongside) = self.built(actor, &record, &current, change).await?;
            let next = ClinicalEntry {
                version: current.version + 1,
                recorded_at: self.now(),
                recorded_by: actor.id,
                revision,
                body,
                ..current.clone()
            };
            let mut parts: Vec<ChangeSet> = alongside
                .iter()
                .map(|entry| self.entry_changes(&attempt, entry, None))
                .collect();
            parts.push(self.entry_changes(&attempt, &next, Some(&current)));
            self.store.apply(joined(parts)).await?;
            Ok(Changed { next, alongside })
        })
        .await
    }

    /// The revision, body and new entries of `change` after `current`.
    async fn built(
        &self,
        actor: &Actor,
        record: &Patient,
        current: &ClinicalEntry,
        change: Change<'_>,
    ) -> Result<(Revision, EntryBody, Vec<ClinicalEntry>)> {
        let revision = |kind, reason: Option<&str>| Revision {
            kind,
            reason: reason.map(str::to_owned),
        };
        match change {
            Change::Status { status, reason } => {
                let body = moved(&current.body, status, self.now())?;
                Ok((revision(RevisionKind::StatusChanged, reason), body, vec![]))
            }
            Change::Finish { ended_at, .. } => {
                let body = finished(&current.body, ended_at)?;
                Ok((revision(RevisionKind::StatusChanged, None), body, vec![]))
            }
            Change::Retract { reason } => {
                let body = current.body.clone();
                Ok((
                    revision(RevisionKind::Retracted, Some(reason)),
                    body,
                    vec![],
                ))
            }
            Change::Amend { body, reason } => {
                let body = self.amended(record, current, body).await?;
                Ok((revision(RevisionKind::Amended, Some(reason)), body, vec![]))
            }
            Change::Renew {
                ends_as,
                prescription,
            } => {
                let mut renewed = prescription.clone();
                renewed.replaces = Some(current.id);
                let new = NewEntry {
                    effective_at: self.now(),
                    encounter: current.encounter,
                    body: EntryBody::Prescription(renewed),
                };
                let stored = self.first_version(actor, record.id, new).await?;
                let body = moved(&current.body, ends_as.as_str(), stored.recorded_at)?;
                let why = format!("renewed by entry {}", stored.id);
                let revision = revision(RevisionKind::StatusChanged, Some(&why));
                Ok((revision, body, vec![stored]))
            }
        }
    }

    /// The body an amendment of `current` stores: same kind, its timed
    /// rules, the kind's computed values, `amended` for a corrected final
    /// result, and the allergy check when a prescription's medication
    /// changes.
    async fn amended(
        &self,
        record: &Patient,
        current: &ClinicalEntry,
        body: &EntryBody,
    ) -> Result<EntryBody> {
        if body.kind() != current.kind() {
            return Err(Error::invalid(
                "body.kind",
                "kind_changed",
                format!("must stay {}", current.kind()),
            ));
        }
        documents::amendment_problems(current, body)?;
        let mut errors = Errors::default();
        timed_problems(current.effective_at, body)
            .into_iter()
            .for_each(|f| errors.push(f));
        errors.finish()?;
        let body = self
            .kind_rules(record, current.effective_at, body.clone())
            .await?;
        let body = amended_body(&current.body, body);
        if current.body.code() != body.code() {
            self.allergy_rule(record.id, &body).await?;
        }
        Ok(body)
    }
}

/// What a new single entry is built from.
enum New<'a> {
    /// Any kind, as a host hands it in.
    Entry(&'a NewEntry),
    /// An encounter started or planned (its appointment's id, if any).
    Encounter(&'a NewEncounter),
}

/// Which standing entry a change is about, at the version the caller last
/// saw, and the kind it must be (`not_found` on `entry` otherwise).
struct Target {
    patient: PatientId,
    entry: EntryId,
    expected_version: Count32,
    kind: Option<EntryKind>,
}

impl Target {
    /// An entry of any kind.
    fn any(patient: PatientId, entry: EntryId, expected_version: Count32) -> Self {
        Self {
            patient,
            entry,
            expected_version,
            kind: None,
        }
    }

    /// An entry that must be of `kind`.
    fn of(kind: EntryKind, patient: PatientId, entry: EntryId, expected_version: Count32) -> Self {
        Self {
            kind: Some(kind),
            ..Self::any(patient, entry, expected_version)
        }
    }
}

/// How an operation changes a standing entry.
enum Change<'a> {
    /// Along its kind's life cycle to `status` (at the clinic's now), with
    /// a reason where the operation takes one (a cancellation).
    Status {
        status: &'a str,
        reason: Option<&'a str>,
    },
    /// An encounter in progress finished at `ended_at`, which may not be
    /// later than `latest` (the clinic's clock plus its skew).
    Finish {
        ended_at: DateTime<Utc>,
        latest: DateTime<Utc>,
    },
    /// Corrected to `body`, for `reason`.
    Amend {
        body: &'a EntryBody,
        reason: &'a str,
    },
    /// Entered in error, for `reason`.
    Retract { reason: &'a str },
    /// A prescription renewed by a new one (written alongside); the old
    /// one ends as `ends_as`.
    Renew {
        ends_as: PrescriptionStatus,
        prescription: &'a Prescription,
    },
}

impl Change<'_> {
    /// What is wrong with the change itself, before anything is read
    /// (every failing field). An encounter is cancelled only with a reason
    /// (`cancel_encounter`).
    fn problems(&self, target: &Target) -> Result<()> {
        let mut errors = Errors::default();
        match self {
            Change::Status {
                status,
                reason: None,
            } if target.kind == Some(EntryKind::Encounter)
                && *status == EncounterStatus::Cancelled.as_str() =>
            {
                errors.add(
                    "status",
                    "use_cancel",
                    "cancel with cancel_encounter, which takes a reason",
                );
            }
            Change::Status {
                reason: Some(reason),
                ..
            }
            | Change::Retract { reason } => check_reason(&mut errors, reason),
            Change::Amend { body, reason } => {
                check_reason(&mut errors, reason);
                body_problems(body).into_iter().for_each(|f| errors.push(f));
            }
            Change::Renew { ends_as, .. } => {
                if !matches!(
                    ends_as,
                    PrescriptionStatus::Completed | PrescriptionStatus::Stopped
                ) {
                    errors.add("ends_as", "out_of_range", "must be completed or stopped");
                }
            }
            Change::Finish { ended_at, latest } => {
                if ended_at > latest {
                    errors.add(
                        "ended_at",
                        "in_future",
                        "must not be ahead of the clinic's clock",
                    );
                }
            }
            Change::Status { reason: None, .. } => {}
        }
        errors.finish()
    }
}

/// What a change wrote: the entry's new version and the new entries
/// written alongside it.
struct Changed {
    next: ClinicalEntry,
    alongside: Vec<ClinicalEntry>,
}

/// An encounter's body finished at `ended_at`: only from `in-progress`
/// (`conflict` `invalid_state` otherwise), never before it started
/// (`validation` `out_of_range` on `ended_at`).
fn finished(body: &EntryBody, ended_at: DateTime<Utc>) -> Result<EntryBody> {
    let next = moved(body, EncounterStatus::Finished.as_str(), ended_at)?;
    if let EntryBody::Encounter(e) = &next {
        if e.started_at.is_some_and(|start| ended_at < start) {
            return Err(Error::invalid(
                "ended_at",
                "out_of_range",
                "must not be before the encounter started",
            ));
        }
    }
    Ok(next)
}

/// `err` with a new entry's field paths as the operation's arguments name
/// them: the body's fields under `body` (`body.value` →
/// `observation.value`, or `code` when `body` is empty) and the clinical
/// time as `effective_at`.
pub(super) fn rebased(err: Error, body: &str, effective_at: &str) -> Error {
    let Error::Validation { mut fields } = err else {
        return err;
    };
    for f in &mut fields {
        if let Some(rest) = f.field.strip_prefix("body.") {
            f.field = if body.is_empty() {
                rest.to_owned()
            } else {
                format!("{body}.{rest}")
            };
        } else if f.field == "effective_at" {
            f.field = effective_at.to_owned();
        }
    }
    Error::Validation { fields }
}

/// Several change sets as one (written in ONE transaction): ids to check,
/// appointments, entry versions, audit entries and events, each in the
/// given order (the only parts the record's operations build).
pub(super) fn joined(parts: Vec<ChangeSet>) -> ChangeSet {
    let mut all = ChangeSet::default();
    for part in parts {
        all.references.extend(part.references);
        all.scheduling
            .appointments
            .extend(part.scheduling.appointments);
        all.record.entries.extend(part.record.entries);
        all.audit.extend(part.audit);
        all.events.extend(part.events);
    }
    all
}
