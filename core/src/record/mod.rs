//! The health record: clinical entries of a patient — encounters,
//! observations, lab reports, conditions, allergies, prescriptions,
//! procedures, immunizations, notes and documents — in ONE append-only
//! shape.
//!
//! Why one shape: every kind is written, amended, retracted, audited,
//! ordered on the timeline and paged the same way, so the store keeps one
//! table of [`ClinicalEntry`] versions keyed by `(patient, entry, version)`
//! with the kind, code, effective time and status as indexed columns and
//! the typed [`EntryBody`] beside them. A new kind of entry is a new body
//! variant, not a new store method.
//!
//! Append-only: an entry is never edited in place. A status change, an
//! amendment or a retraction (`entered-in-error`) is a new version of the
//! same [`EntryId`], with its own author, time and [`Revision`]; every
//! version stays readable. The current view of an entry is its last
//! version, and a retracted entry has no current view (reads leave it out
//! unless asked for history).

mod allergy_conflict;
mod document;
pub mod fhir;
mod lifecycle;
mod model;
pub(crate) mod pages;
mod queries;
mod requests;
mod validate;

pub use allergy_conflict::{allergy_conflicts, is_standing_allergy};
pub use document::DocumentContent;
pub use lifecycle::{amended_body, effective_time_problems, moved, NewEntry, CLOCK_SKEW_SECONDS};
pub use model::{
    Allergy, AllergyCategory, AllergyCriticality, AllergyOverride, AllergyStatus, ClinicalNote,
    Coding, Condition, ConditionStatus, DiagnosticReport, DocumentEntry, Encounter, EncounterClass,
    EncounterStatus, Frequency, Immunization, ImmunizationStatus, Observation, ObservationCategory,
    ObservationComponent, ObservationStatus, ObservationValue, Prescription, PrescriptionStatus,
    Procedure, ProcedureStatus, Reaction, ReactionSeverity, ReportStatus, VerificationStatus,
};
pub use pages::{
    entry_cursor, parse_entry_cursor, EntryPage, ObservationQuery, TimelineQuery,
    DEFAULT_ENTRY_LIMIT, MAX_ENTRY_LIMIT, MAX_LATEST_CODES,
};
pub use queries::{CodeQuery, EntryPosition, EntryQuery, PatientScope};
pub use requests::{encounter_of_appointment, CheckIn, LabReport, NewEncounter, NewLabReport};
pub use validate::MAX_REPORT_RESULTS;

use crate::Count32;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::api::arguments::tagged::{self, deserialize_tagged, Careful, Fields, Read, Tagged};

use crate::codes::code_enum;
use crate::ids::{ActorId, EntryId, PatientId};

code_enum! {
    /// What kind of clinical entry a body is (the indexed `kind` column and
    /// the `kind` tag of [`EntryBody`]).
    #[derive(PartialOrd, Ord)]
    pub enum EntryKind {
        /// A visit: ambulatory, emergency, inpatient or virtual.
        Encounter = "encounter",
        /// A vital sign, a lab result or another measurement.
        Observation = "observation",
        /// A lab report grouping result observations (a panel).
        DiagnosticReport = "diagnostic_report",
        /// A problem or diagnosis.
        Condition = "condition",
        /// An allergy or intolerance.
        Allergy = "allergy",
        /// A medication request.
        Prescription = "prescription",
        /// A procedure performed.
        Procedure = "procedure",
        /// A vaccine given.
        Immunization = "immunization",
        /// Free text written by a clinician.
        Note = "note",
        /// A scanned letter, an image: bytes kept through the blob port.
        Document = "document",
    }
}

code_enum! {
    /// Why a version of an entry was written.
    pub enum RevisionKind {
        /// The first version.
        Recorded = "recorded",
        /// The entry moved along its life cycle (an encounter finished, a
        /// report made final, a prescription stopped).
        StatusChanged = "status_changed",
        /// A correction that supersedes the previous version.
        Amended = "amended",
        /// Entered in error: the entry no longer stands.
        Retracted = "retracted",
    }
}

/// Why a version exists: its kind and, for amendments and retractions, the
/// reason given (required for those two).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Revision {
    /// What this version did.
    pub kind: RevisionKind,
    /// Why (amendments and retractions).
    #[serde(default)]
    pub reason: Option<String>,
}

/// The typed content of an entry, tagged by its kind.
// Read from a JSON object only, its `kind` and the kind's fields:
// `Deserialize` by `Tagged`, not derived (see `api::arguments::tagged`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryBody {
    /// An encounter.
    Encounter(Encounter),
    /// An observation.
    Observation(Observation),
    /// A lab report.
    DiagnosticReport(DiagnosticReport),
    /// A condition.
    Condition(Condition),
    /// An allergy.
    Allergy(Allergy),
    /// A prescription.
    Prescription(Prescription),
    /// A procedure.
    Procedure(Procedure),
    /// An immunization.
    Immunization(Immunization),
    /// A clinical note.
    Note(ClinicalNote),
    /// A document.
    Document(DocumentEntry),
}

impl Tagged for EntryBody {
    const TAG: &'static str = "kind";
    const EXPECTING: &'static str = "an entry body";

    fn variant<F: Fields>(name: &str, fields: F) -> Read<Self> {
        let Some(kind) = EntryKind::parse(name) else {
            return Err(tagged::unknown_tag(Self::TAG, name, &EntryKind::CODES));
        };
        Ok(match kind {
            EntryKind::Encounter => EntryBody::Encounter(fields.read()?),
            EntryKind::Observation => EntryBody::Observation(fields.read()?),
            EntryKind::DiagnosticReport => EntryBody::DiagnosticReport(fields.read()?),
            EntryKind::Condition => EntryBody::Condition(fields.read()?),
            EntryKind::Allergy => EntryBody::Allergy(fields.read()?),
            EntryKind::Prescription => EntryBody::Prescription(fields.read()?),
            EntryKind::Procedure => EntryBody::Procedure(fields.read()?),
            EntryKind::Immunization => EntryBody::Immunization(fields.read()?),
            EntryKind::Note => EntryBody::Note(fields.read()?),
            EntryKind::Document => EntryBody::Document(fields.read()?),
        })
    }

    fn carefully(
        door: &dyn Careful,
        tag: Option<serde_json::Value>,
        fields: serde_json::Value,
    ) -> Read<Self> {
        door.entry_body(tag, fields)
    }
}

impl<'de> Deserialize<'de> for EntryBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_tagged(deserializer)
    }
}

impl EntryBody {
    /// The body's kind.
    pub fn kind(&self) -> EntryKind {
        match self {
            EntryBody::Encounter(_) => EntryKind::Encounter,
            EntryBody::Observation(_) => EntryKind::Observation,
            EntryBody::DiagnosticReport(_) => EntryKind::DiagnosticReport,
            EntryBody::Condition(_) => EntryKind::Condition,
            EntryBody::Allergy(_) => EntryKind::Allergy,
            EntryBody::Prescription(_) => EntryKind::Prescription,
            EntryBody::Procedure(_) => EntryKind::Procedure,
            EntryBody::Immunization(_) => EntryKind::Immunization,
            EntryBody::Note(_) => EntryKind::Note,
            EntryBody::Document(_) => EntryKind::Document,
        }
    }

    /// The coding the store indexes the entry by (what a "latest value of
    /// this code" or "everyone with this code" read finds): the
    /// observation's, report's, condition's and procedure's code, the
    /// allergy's substance, the prescription's medication, the vaccine.
    /// Encounters, notes and documents have none.
    pub fn code(&self) -> Option<&Coding> {
        match self {
            EntryBody::Observation(o) => Some(&o.code),
            EntryBody::DiagnosticReport(r) => Some(&r.code),
            EntryBody::Condition(c) => Some(&c.code),
            EntryBody::Allergy(a) => Some(&a.substance),
            EntryBody::Prescription(p) => Some(&p.medication),
            EntryBody::Procedure(p) => Some(&p.code),
            EntryBody::Immunization(i) => Some(&i.vaccine),
            EntryBody::Encounter(_) | EntryBody::Note(_) | EntryBody::Document(_) => None,
        }
    }

    /// The body's own status code (the indexed `status` column): each
    /// kind's life cycle, `current` for kinds without one.
    pub fn status(&self) -> &'static str {
        match self {
            EntryBody::Encounter(e) => e.status.as_str(),
            EntryBody::Observation(o) => o.status.as_str(),
            EntryBody::DiagnosticReport(r) => r.status.as_str(),
            EntryBody::Condition(c) => c.clinical_status.as_str(),
            EntryBody::Allergy(a) => a.clinical_status.as_str(),
            EntryBody::Prescription(p) => p.status.as_str(),
            EntryBody::Procedure(p) => p.status.as_str(),
            EntryBody::Immunization(i) => i.status.as_str(),
            EntryBody::Note(_) | EntryBody::Document(_) => "current",
        }
    }
}

/// One version of one clinical entry: the envelope every kind shares (who,
/// about whom, when, which version and why) around its typed body.
/// `Debug` leaves out the kept FHIR elements (narratives name patients).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ClinicalEntry {
    /// The entry; every version shares it.
    pub id: EntryId,
    /// Whose record it is in.
    pub patient: PatientId,
    /// 1 for the first version, then +1 per revision (no gaps).
    pub version: Count32,
    /// The clinical time: when it was measured, started, performed, given,
    /// noted (not when it was typed in: that is `recorded_at`).
    pub effective_at: DateTime<Utc>,
    /// When this version was written.
    pub recorded_at: DateTime<Utc>,
    /// Who wrote this version.
    pub recorded_by: ActorId,
    /// The encounter the entry belongs to, if any.
    #[serde(default)]
    pub encounter: Option<EntryId>,
    /// Why this version exists.
    pub revision: Revision,
    /// FHIR elements the model does not carry, kept as imported so an
    /// export gives them back (`null` for entries not imported).
    #[serde(default)]
    pub fhir: Option<Value>,
    /// The typed content.
    pub body: EntryBody,
}

impl std::fmt::Debug for ClinicalEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClinicalEntry")
            .field("id", &self.id)
            .field("patient", &self.patient)
            .field("version", &self.version)
            .field("effective_at", &self.effective_at)
            .field("recorded_at", &self.recorded_at)
            .field("recorded_by", &self.recorded_by)
            .field("encounter", &self.encounter)
            .field("revision", &self.revision.kind)
            .field("fhir", &self.fhir.as_ref().map(|_| "<redacted>"))
            .field("body", &self.body)
            .finish()
    }
}

impl ClinicalEntry {
    /// The entry's kind.
    pub fn kind(&self) -> EntryKind {
        self.body.kind()
    }

    /// Whether this version retracts the entry (entered in error).
    pub fn is_retracted(&self) -> bool {
        self.revision.kind == RevisionKind::Retracted
    }

    /// The status the store indexes: `entered-in-error` for a retraction,
    /// otherwise the body's.
    pub fn status(&self) -> &'static str {
        if self.is_retracted() {
            "entered-in-error"
        } else {
            self.body.status()
        }
    }

    /// Where the entry sits on its patient's timeline.
    pub fn position(&self) -> EntryPosition {
        EntryPosition {
            effective_at: self.effective_at,
            id: self.id,
        }
    }
}

/// The outbox event of an entry version: `kind` (one of the record's event
/// types) with ids, the entry's kind, version and status, and its times.
/// Never a code, a value or text: events leave the clinic's database.
pub fn entry_event(kind: &str, entry: &ClinicalEntry) -> crate::events::EventDraft {
    let payload = serde_json::json!({
        "entry_id": entry.id,
        "patient_id": entry.patient,
        "entry_kind": entry.kind(),
        "version": entry.version,
        "status": entry.status(),
        "effective_at": entry.effective_at,
        "recorded_at": entry.recorded_at,
    });
    crate::events::EventDraft::new(
        kind,
        Some(entry.patient),
        &entry.id.to_string(),
        u64::from(entry.version),
        payload,
        entry.recorded_at,
    )
}

/// Every problem of an entry body's content, each on its field under
/// `body.` (codes against their systems, units, ranges, bounds): empty when
/// the body may be recorded.
pub fn body_problems(body: &EntryBody) -> Vec<crate::FieldError> {
    let mut errors = crate::validation::Errors::default();
    validate::check_body(&mut errors, body);
    errors.into_vec()
}

/// Every problem of a body that depends on its entry's clinical time
/// `effective_at` (a procedure ending before it started), each on its
/// field under `body.`.
pub fn timed_problems(effective_at: DateTime<Utc>, body: &EntryBody) -> Vec<crate::FieldError> {
    let mut errors = crate::validation::Errors::default();
    validate::timed_problems(&mut errors, effective_at, body);
    errors.into_vec()
}
