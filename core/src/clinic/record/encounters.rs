//! Encounters as a clinic runs them: started (or planned), moved along
//! planned → arrived → in-progress → finished, or cancelled before they
//! began, each through the record's pipeline. `encounter.started` is
//! announced when an encounter is in progress (at its start or on the move
//! into it), `encounter.finished` when it finishes. An encounter naming an
//! appointment takes the id derived from it, so an appointment has one.

use chrono::{DateTime, Duration, Utc};

use super::{rebased, Change, Clinic, New, Target};
use crate::actor::Actor;
use crate::clinic::Attempt;
use crate::ids::{EntryId, PatientId};
use crate::record::{
    encounter_of_appointment, ClinicalEntry, Encounter, EncounterStatus, EntryBody, EntryKind,
    NewEncounter, NewEntry, CLOCK_SKEW_SECONDS,
};
use crate::schedule::AppointmentStatus;
use crate::store::{ChangeSet, Reference};
use crate::{Count32, Error, Result};

impl Clinic {
    /// Version 1 of a new encounter of `patient` (checked, nothing
    /// written); field paths under `field`. An encounter naming an
    /// appointment must be of that appointment's patient, and the
    /// appointment not cancelled nor a no-show.
    pub(in crate::clinic) async fn encounter_version(
        &self,
        actor: &Actor,
        patient: PatientId,
        new: NewEncounter,
        field: &str,
    ) -> Result<ClinicalEntry> {
        if !matches!(
            new.status,
            EncounterStatus::Planned | EncounterStatus::Arrived | EncounterStatus::InProgress
        ) {
            return Err(Error::invalid(
                format!("{field}.status"),
                "out_of_range",
                "must be planned, arrived or in-progress",
            ));
        }
        if let Some(id) = new.appointment {
            let booked = self.store.appointment(id).await?;
            let usable = booked.is_some_and(|a| {
                a.patient == patient
                    && !matches!(
                        a.status,
                        AppointmentStatus::Cancelled | AppointmentStatus::Noshow
                    )
            });
            if !usable {
                return Err(Error::invalid(
                    format!("{field}.appointment"),
                    "not_an_appointment",
                    "must name a standing appointment of the same patient",
                ));
            }
        }
        let started = new.status != EncounterStatus::Planned;
        let entry = NewEntry {
            effective_at: new.started_at,
            encounter: None,
            body: EntryBody::Encounter(Encounter {
                class: new.class,
                status: new.status,
                practitioners: new.practitioners,
                started_at: started.then_some(new.started_at),
                ended_at: None,
                reasons: new.reasons,
                location: new.location,
                appointment: new.appointment,
            }),
        };
        let mut stored = self
            .first_version(actor, patient, entry)
            .await
            .map_err(|e| rebased(e, field, &format!("{field}.started_at")))?;
        if let Some(appointment) = new.appointment {
            stored.id = encounter_of_appointment(appointment);
        }
        Ok(stored)
    }

    /// The change set of a new encounter: its version, audit entry and
    /// event, and its practitioners checked to exist (`not_found` under
    /// `field`).
    pub(in crate::clinic) fn encounter_changes(
        &self,
        attempt: &Attempt<'_>,
        encounter: &ClinicalEntry,
        field: &str,
    ) -> ChangeSet {
        let mut changes = self.entry_changes(attempt, encounter, None);
        if let EntryBody::Encounter(e) = &encounter.body {
            changes.references.extend(
                e.practitioners.iter().enumerate().map(|(i, p)| {
                    Reference::practitioner(*p, &format!("{field}.practitioners[{i}]"))
                }),
            );
        }
        changes
    }

    /// Starts an encounter (`arrived` or `in-progress`, which announces
    /// `encounter.started`) or plans one (`planned`, which may lie in the
    /// future). Naming an appointment links the encounter to it; the
    /// appointment links back when checked in (`check_in_appointment`).
    pub async fn start_encounter(
        &self,
        actor: &Actor,
        patient: PatientId,
        encounter: &NewEncounter,
    ) -> Result<ClinicalEntry> {
        self.record_new(actor, patient, New::Encounter(encounter))
            .await
    }

    /// Moves an encounter along planned → arrived → in-progress (moving
    /// into in-progress announces `encounter.started`); `finished` ends it
    /// now. Any other move is `conflict` `invalid_state`; cancelling has its
    /// own operation, which takes a reason. An entry that is not an
    /// encounter is `not_found` on `entry`.
    pub async fn change_encounter_status(
        &self,
        actor: &Actor,
        patient: PatientId,
        entry: EntryId,
        expected_version: Count32,
        status: EncounterStatus,
    ) -> Result<ClinicalEntry> {
        let target = Target::of(EntryKind::Encounter, patient, entry, expected_version);
        self.move_standing(actor, target, status.as_str()).await
    }

    /// Finishes an encounter in progress at `ended_at` (the clinic's now
    /// when not given; not before it started, not ahead of the clock),
    /// announcing `encounter.finished`. An encounter that never started
    /// (planned, arrived) is `conflict` `invalid_state`.
    pub async fn finish_encounter(
        &self,
        actor: &Actor,
        patient: PatientId,
        entry: EntryId,
        expected_version: Count32,
        ended_at: Option<DateTime<Utc>>,
    ) -> Result<ClinicalEntry> {
        let now = self.now();
        let target = Target::of(EntryKind::Encounter, patient, entry, expected_version);
        let change = Change::Finish {
            ended_at: ended_at.unwrap_or(now),
            latest: now + Duration::seconds(CLOCK_SKEW_SECONDS),
        };
        Ok(self.change_standing(actor, target, change).await?.next)
    }

    /// Cancels an encounter that has not begun (planned or arrived), with
    /// the reason (required), kept in the version's revision.
    pub async fn cancel_encounter(
        &self,
        actor: &Actor,
        patient: PatientId,
        entry: EntryId,
        expected_version: Count32,
        reason: &str,
    ) -> Result<ClinicalEntry> {
        let target = Target::of(EntryKind::Encounter, patient, entry, expected_version);
        let change = Change::Status {
            status: EncounterStatus::Cancelled.as_str(),
            reason: Some(reason),
        };
        Ok(self.change_standing(actor, target, change).await?.next)
    }
}
