//! Checking a booked appointment in: the appointment moves to `arrived` and
//! its encounter starts, linked both ways, in ONE change set. The
//! encounter's id is derived from the appointment's
//! ([`encounter_of_appointment`]), so a second check-in, or a start naming
//! the same appointment, meets the store's version-1 check: one winner,
//! nothing written twice.
//!
//! Who may: `appointment.status` on the appointment AND `record.check_in`
//! on its patient (the default policy grants the second to the front desk
//! and to a practitioner on their own schedule): the encounter a check-in
//! starts is administrative (class ambulatory, the appointment's
//! practitioner, a place) and the answer is the appointment alone, so
//! checking in reads and writes nothing else of the record.

use serde_json::json;

use super::appointments::bad_transition;
use super::Clinic;
use crate::actor::Actor;
use crate::events::APPOINTMENT_STATUS_CHANGED;
use crate::ids::AppointmentId;
use crate::patient::PatientUse;
use crate::policy::Permission;
use crate::record::{
    encounter_of_appointment, CheckIn, EncounterClass, EncounterStatus, NewEncounter,
};
use crate::schedule::{Appointment, AppointmentStatus};
use crate::{Count64, Error, Result};

impl Clinic {
    /// Checks a booked appointment in: it moves to `arrived` and the
    /// encounter of the visit starts (`arrived`, or `in-progress` when
    /// `check_in.status` says so, announcing `encounter.started`), class
    /// ambulatory, with the appointment's practitioner and `appointment`
    /// naming it; the appointment's `encounter` names the encounter. Both
    /// in ONE change set: a second or concurrent check-in writes nothing
    /// (`stale_version`, `invalid_transition` or `already_exists`).
    pub async fn check_in_appointment(
        &self,
        actor: &Actor,
        appointment: AppointmentId,
        expected_version: Count64,
        check_in: &CheckIn,
    ) -> Result<Appointment> {
        let (attempt, current) = self
            .authorize_appointment(actor, Permission::AppointmentStatus, appointment)
            .await?;
        let starting = self
            .authorize_for(
                actor,
                Permission::RecordCheckIn,
                Some(current.patient),
                Some(current.practitioner),
            )
            .await?;
        self.audited(&attempt, async {
            let status = check_in.status.unwrap_or(EncounterStatus::Arrived);
            if !matches!(
                status,
                EncounterStatus::Arrived | EncounterStatus::InProgress
            ) {
                return Err(Error::invalid(
                    "check_in.status",
                    "out_of_range",
                    "must be arrived or in-progress",
                ));
            }
            let (mut arrived, payload) = self
                .status_moved(&current, expected_version, AppointmentStatus::Arrived)
                .await?;
            self.record_patient(current.patient, PatientUse::RecordEntry)
                .await?;
            let new = NewEncounter {
                class: EncounterClass::Ambulatory,
                status,
                started_at: arrived.updated_at,
                practitioners: vec![current.practitioner],
                reasons: Vec::new(),
                location: check_in.location.clone(),
                appointment: Some(appointment),
            };
            let encounter = self
                .encounter_version(actor, current.patient, new, "check_in")
                .await?;
            arrived.encounter = Some(encounter_of_appointment(appointment));
            let changes = super::record::joined(vec![
                self.appointment_change(
                    &attempt,
                    &arrived,
                    expected_version.get(),
                    APPOINTMENT_STATUS_CHANGED,
                    payload,
                ),
                self.encounter_changes(&starting, &encounter, "check_in"),
            ]);
            self.store.apply(changes).await?;
            self.shown_appointment(actor, arrived).await
        })
        .await
    }

    /// `current` moved to `status` (checked: the version the caller saw,
    /// the life cycle, the patient's state) at the clinic's now, with the
    /// payload of its `appointment.status_changed` event. Nothing is
    /// written. Shared by the status change and the check-in.
    pub(super) async fn status_moved(
        &self,
        current: &Appointment,
        expected_version: Count64,
        status: AppointmentStatus,
    ) -> Result<(Appointment, serde_json::Value)> {
        if current.version != expected_version {
            return Err(Error::stale(
                "appointment",
                expected_version.get(),
                current.version.get(),
            ));
        }
        if !current.status.can_become(status) {
            return Err(bad_transition(current.status, status));
        }
        // Confirming a proposal takes the practitioner's time; the other
        // moves record what happened and are never refused.
        let use_ = if status == AppointmentStatus::Booked {
            PatientUse::Schedule
        } else {
            PatientUse::WindDown
        };
        self.require_patient(current.patient, use_).await?;
        let now = self.now();
        let mut updated = current.clone();
        updated.version = expected_version + 1;
        updated.status = status;
        if status != AppointmentStatus::Booked {
            updated.reminders.clear();
        }
        updated.updated_at = now;
        let payload = json!({
            "appointment_id": current.id,
            "patient_id": updated.patient,
            "practitioner_id": updated.practitioner,
            "visit_type_id": updated.visit_type,
            "from": current.status,
            "to": status,
            "version": updated.version,
            "changed_at": now,
        });
        Ok((updated, payload))
    }
}
