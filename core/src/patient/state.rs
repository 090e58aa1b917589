//! What a replaced (merged) or inactive record still accepts: ONE rule,
//! asked by every operation that targets a patient, so booking, importing,
//! rescheduling, care teams and break-the-glass cannot drift apart.

use super::Patient;
use crate::{Error, Result};

/// What an operation does to the patient it targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatientUse {
    /// Reads the record or what hangs off it (appointments, care team,
    /// merge log, access log). Records stay readable whatever their state.
    Read,
    /// Changes demographics.
    UpdateDetails,
    /// Deactivates or reactivates the record.
    ChangeStatus,
    /// Merges the record into another or another into it.
    Merge,
    /// Undoes a merge of the record.
    Unmerge,
    /// Takes a practitioner's time for the patient: book, import, confirm
    /// a proposal, reschedule.
    Schedule,
    /// Winds down what exists: cancel an appointment, record arrival,
    /// fulfilment or no-show, send its reminders. Never refused, so a
    /// replaced record's bookings can always be released.
    WindDown,
    /// Opens access to the record: care-team assignment, break-the-glass.
    OpenAccess,
    /// Closes access: care-team removal, grant review. Never refused.
    CloseAccess,
    /// Adds a new entry to the health record. A merged record takes none
    /// (they go to its survivor); an inactive one does (late results).
    RecordEntry,
    /// Moves, amends or retracts an existing entry. Never refused: what
    /// was written in a record must stay correctable whatever its state.
    CorrectEntry,
}

impl PatientUse {
    /// Whether a record replaced by a merge accepts this use. A merged
    /// record lives on in its survivor: new work goes there.
    fn merged_accepts(self) -> bool {
        matches!(
            self,
            PatientUse::Read
                | PatientUse::Unmerge
                | PatientUse::WindDown
                | PatientUse::CloseAccess
                | PatientUse::CorrectEntry
        )
    }

    /// Whether an inactive record accepts this use. It is kept and
    /// correctable, may be merged or reactivated, and may be opened in an
    /// emergency, but takes no practitioner's time.
    fn inactive_accepts(self) -> bool {
        self != PatientUse::Schedule
    }
}

impl Patient {
    /// Whether the record in its current state accepts `use_`; a refusal
    /// is a `conflict` (`invalid_state` on `entity`, e.g. `patient` or
    /// `survivor`) since the record exists but its state forbids it.
    pub fn accepts(&self, use_: PatientUse, entity: &str) -> Result<()> {
        if self.merged_into.is_some() && !use_.merged_accepts() {
            return Err(Error::invalid_state(
                entity,
                "was merged into another record; use the survivor",
            ));
        }
        if !self.active && !use_.inactive_accepts() {
            return Err(Error::invalid_state(entity, "is inactive"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::PatientId;
    use crate::patient::PatientDetails;
    use crate::Count64;
    use chrono::Utc;

    fn record(active: bool, merged: bool) -> Patient {
        Patient {
            id: PatientId::new(),
            version: Count64::new(1),
            details: PatientDetails::default(),
            active,
            merged_into: merged.then(PatientId::new),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            hidden_fields: Vec::new(),
            fhir_extra: None,
        }
    }

    const ALL: [PatientUse; 9] = [
        PatientUse::Read,
        PatientUse::UpdateDetails,
        PatientUse::ChangeStatus,
        PatientUse::Merge,
        PatientUse::Unmerge,
        PatientUse::Schedule,
        PatientUse::WindDown,
        PatientUse::OpenAccess,
        PatientUse::CloseAccess,
    ];

    #[test]
    fn an_active_record_accepts_everything() {
        let p = record(true, false);
        assert!(ALL.iter().all(|u| p.accepts(*u, "patient").is_ok()));
    }

    #[test]
    fn a_merged_record_accepts_only_reads_undo_and_winding_down() {
        let p = record(false, true);
        let accepted: Vec<_> = ALL
            .into_iter()
            .filter(|u| p.accepts(*u, "patient").is_ok())
            .collect();
        assert_eq!(
            accepted,
            vec![
                PatientUse::Read,
                PatientUse::Unmerge,
                PatientUse::WindDown,
                PatientUse::CloseAccess
            ]
        );
    }

    #[test]
    fn an_inactive_record_refuses_only_scheduling() {
        let p = record(false, false);
        let refused: Vec<_> = ALL
            .into_iter()
            .filter(|u| p.accepts(*u, "patient").is_err())
            .collect();
        assert_eq!(refused, vec![PatientUse::Schedule]);
    }

    #[test]
    fn a_refusal_is_an_invalid_state_conflict_naming_the_entity() {
        let err = record(false, true)
            .accepts(PatientUse::Merge, "survivor")
            .unwrap_err();
        assert_eq!(err.code(), "conflict");
        assert!(err.to_string().starts_with("conflict: survivor was merged"));
    }
}
