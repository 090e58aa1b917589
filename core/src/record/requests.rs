//! What a host hands in to the named record operations that are more than
//! one body: an encounter started (with its appointment), a check-in, a lab
//! report with its results, and what a report gives back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ClinicalEntry, Coding, EncounterClass, EncounterStatus, Observation, ReportStatus};
use crate::ids::{AppointmentId, EntryId, PractitionerId};

/// An encounter as a host starts (or plans) it: the clinic fills in the
/// id, version, author, times of writing and, for an appointment's
/// encounter, the id derived from the appointment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NewEncounter {
    /// Its setting.
    pub class: EncounterClass,
    /// `planned`, `arrived` or `in-progress` (an encounter is finished or
    /// cancelled by its own operations, never started so).
    pub status: EncounterStatus,
    /// When it started, or for a planned one when it is to start (the
    /// entry's clinical time).
    #[serde(deserialize_with = "crate::instant::strict::instant")]
    pub started_at: DateTime<Utc>,
    /// The practitioners taking part (the first is the one responsible).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub practitioners: Vec<PractitionerId>,
    /// Why it takes place.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub reasons: Vec<Coding>,
    /// Where, as text (a room, a ward, "video").
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub location: Option<String>,
    /// The booked appointment it is the visit of (same patient). An
    /// appointment has at most one encounter: its id is derived from the
    /// appointment's, so a second start is `already_exists`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub appointment: Option<AppointmentId>,
}

/// What checking a booked appointment in adds to the encounter it starts
/// (class ambulatory, the appointment's practitioner and patient). No
/// clinical content: whoever checks in may not write the record otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CheckIn {
    /// `arrived` (when not given: the patient waits) or `in-progress` (the
    /// visit starts now).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub status: Option<EncounterStatus>,
    /// Where the patient is sent, as text (a room, "waiting area").
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub location: Option<String>,
}

/// A lab report and its result observations, written together: the
/// results are recorded as entries of their own (in the report's
/// encounter, at the report's clinical time) and the report names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NewLabReport {
    /// The panel (LOINC).
    pub code: Coding,
    /// `preliminary` or `final` (it becomes `amended` when a final report
    /// is corrected).
    pub status: ReportStatus,
    /// The results, in the report's order.
    pub results: Vec<Observation>,
    /// When the report was released.
    #[serde(default, deserialize_with = "crate::instant::strict::option_instant")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub issued_at: Option<DateTime<Utc>>,
    /// The reader's conclusion, as text.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub conclusion: Option<String>,
}

/// A lab report as written: the report's entry and its results' entries,
/// in the order the report names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LabReport {
    /// The report (a `diagnostic_report` entry).
    pub report: ClinicalEntry,
    /// Its results (`observation` entries).
    pub results: Vec<ClinicalEntry>,
}

/// The id of an appointment's encounter: derived from the appointment's
/// (a UUID v8 over SHA-256), so every path that starts it (a check-in, a
/// start naming the appointment) writes the same entry id and the store's
/// version-1 check lets only one of them through.
pub fn encounter_of_appointment(appointment: AppointmentId) -> EntryId {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"carebase:encounter-of-appointment:")
        .chain_update(appointment.0.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    EntryId(uuid::Builder::from_custom_bytes(bytes).into_uuid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_appointments_encounter_id_is_the_same_every_time_and_differs_per_appointment() {
        let a = AppointmentId::new();
        let b = AppointmentId::new();
        assert_eq!(encounter_of_appointment(a), encounter_of_appointment(a));
        assert_ne!(encounter_of_appointment(a), encounter_of_appointment(b));
        assert_eq!(encounter_of_appointment(a).0.get_version_num(), 8);
    }
}
