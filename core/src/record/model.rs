//! The typed bodies of clinical entries, one per kind, in FHIR R4's terms
//! where FHIR has one (status codes are FHIR's codes).

use crate::{Count32, Count64};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::api::arguments::tagged::{self, deserialize_tagged, Careful, Fields, Read, Tagged};

use crate::codes::code_enum;
use crate::decimal::Decimal;
use crate::ids::{AppointmentId, EntryId, PractitionerId};
use crate::minutes::Minutes;
use crate::terminology::interpretation::{Interpretation, Quantity, ReferenceRange};

/// A code from a code system: `system` is the FHIR system URI
/// (`http://loinc.org`), `code` is checked against the system's format
/// where carebase knows it (`terminology::code_system`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Coding {
    /// The code system's URI.
    pub system: String,
    /// The code.
    pub code: String,
    /// Human-readable text of the code, as the system names it.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub display: Option<String>,
}

code_enum! {
    /// The setting of an encounter (FHIR v3 ActCode, simplified).
    pub enum EncounterClass {
        /// An outpatient visit.
        Ambulatory = "ambulatory",
        /// An emergency department visit.
        Emergency = "emergency",
        /// An admission.
        Inpatient = "inpatient",
        /// A video or phone consultation.
        Virtual = "virtual",
    }
}

code_enum! {
    /// An encounter's life cycle: planned → arrived → in-progress →
    /// finished, or cancelled before it finished.
    pub enum EncounterStatus {
        /// Expected (e.g. from a booked appointment).
        Planned = "planned",
        /// The patient is here.
        Arrived = "arrived",
        /// The visit is under way.
        InProgress = "in-progress",
        /// The visit is over.
        Finished = "finished",
        /// It did not take place.
        Cancelled = "cancelled",
    }
}

/// A visit.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Encounter {
    /// Its setting.
    pub class: EncounterClass,
    /// Where it is in its life cycle.
    pub status: EncounterStatus,
    /// The practitioners taking part (the first is the one responsible).
    #[serde(default)]
    pub practitioners: Vec<PractitionerId>,
    /// When it started (set on arrival or start).
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended (set when finished).
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it takes place.
    #[serde(default)]
    pub reasons: Vec<Coding>,
    /// Where, as text (a room, a ward, "video").
    #[serde(default)]
    pub location: Option<String>,
    /// The appointment it was checked in from; the appointment links back.
    #[serde(default)]
    pub appointment: Option<AppointmentId>,
}

code_enum! {
    /// An observation's status (FHIR ObservationStatus, the codes a clinic
    /// writes).
    pub enum ObservationStatus {
        /// Registered, no result yet.
        Registered = "registered",
        /// A first result, not verified.
        Preliminary = "preliminary",
        /// Complete and verified.
        Final = "final",
        /// Changed after being final.
        Amended = "amended",
        /// Not done.
        Cancelled = "cancelled",
    }
}

code_enum! {
    /// An observation's category (FHIR observation-category).
    pub enum ObservationCategory {
        /// Vital signs: the 13 LOINC codes with their units enforced.
        VitalSigns = "vital-signs",
        /// A laboratory result.
        Laboratory = "laboratory",
        /// Smoking, alcohol, occupation.
        SocialHistory = "social-history",
        /// Imaging findings.
        Imaging = "imaging",
        /// Physical examination findings.
        Exam = "exam",
        /// An assessment tool's result.
        Survey = "survey",
        /// Observed during a procedure.
        Procedure = "procedure",
        /// Observed during therapy.
        Therapy = "therapy",
        /// Physical activity.
        Activity = "activity",
    }
}

/// The value of an observation or of one of its components.
// Read from a JSON object only, its `type` and the type's fields:
// `Deserialize` by `Tagged`, not derived (see `api::arguments::tagged`).
#[derive(Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ObservationValue {
    /// A number in a UCUM unit.
    Quantity {
        /// The number, exact.
        #[serde(with = "crate::decimal::text")]
        #[cfg_attr(feature = "schema", schemars(with = "crate::decimal::DecimalText"))]
        value: Decimal,
        /// Its UCUM unit code.
        unit: String,
    },
    /// A coded answer (positive, blood group A…).
    Coded {
        /// The answer.
        coding: Coding,
    },
    /// Free text.
    Text {
        /// The text.
        text: String,
    },
    /// Yes or no.
    Boolean {
        /// The answer (not `value`: hosts that flatten this union would
        /// see it clash with a quantity's exact decimal `value`).
        answer: bool,
    },
}

/// The names of [`ObservationValue`]'s variants, as its `type` gives them.
const VALUE_TYPES: &[&str] = &["quantity", "coded", "text", "boolean"];

impl Tagged for ObservationValue {
    const TAG: &'static str = "type";
    const EXPECTING: &'static str = "an observation value";

    fn variant<F: Fields>(name: &str, fields: F) -> Read<Self> {
        // Each variant's fields, as the enum declares them.
        #[derive(Deserialize)]
        struct Quantity {
            #[serde(with = "crate::decimal::text")]
            value: Decimal,
            unit: String,
        }
        #[derive(Deserialize)]
        struct Coded {
            coding: Coding,
        }
        #[derive(Deserialize)]
        struct Text {
            text: String,
        }
        #[derive(Deserialize)]
        struct Boolean {
            answer: bool,
        }
        Ok(match name {
            "quantity" => {
                let Quantity { value, unit } = fields.read()?;
                ObservationValue::Quantity { value, unit }
            }
            "coded" => ObservationValue::Coded {
                coding: fields.read::<Coded>()?.coding,
            },
            "text" => ObservationValue::Text {
                text: fields.read::<Text>()?.text,
            },
            "boolean" => ObservationValue::Boolean {
                answer: fields.read::<Boolean>()?.answer,
            },
            _ => return Err(tagged::unknown_tag(Self::TAG, name, VALUE_TYPES)),
        })
    }

    fn carefully(
        door: &dyn Careful,
        tag: Option<serde_json::Value>,
        fields: serde_json::Value,
    ) -> Read<Self> {
        door.observation_value(tag, fields)
    }
}

impl<'de> Deserialize<'de> for ObservationValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_tagged(deserializer)
    }
}

/// One part of a multi-part observation (blood pressure: systolic and
/// diastolic).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ObservationComponent {
    /// What the part measures (LOINC).
    pub code: Coding,
    /// Its value.
    #[serde(default)]
    pub value: Option<ObservationValue>,
    /// Its reference ranges.
    #[serde(default)]
    pub reference_ranges: Vec<ReferenceRange>,
    /// Its flag, computed from the first applicable range.
    #[serde(default)]
    pub interpretation: Option<Interpretation>,
}

/// A vital sign, a lab result, another measurement.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Observation {
    /// What was observed (LOINC).
    pub code: Coding,
    /// Its category.
    pub category: ObservationCategory,
    /// Its status.
    pub status: ObservationStatus,
    /// The value, when it has one (a panel's parent may only have components).
    #[serde(default)]
    pub value: Option<ObservationValue>,
    /// Parts (blood pressure's systolic and diastolic).
    #[serde(default)]
    pub components: Vec<ObservationComponent>,
    /// Reference ranges given with it.
    #[serde(default)]
    pub reference_ranges: Vec<ReferenceRange>,
    /// The flag, computed by core from the value and the first range that
    /// applies to the patient (never taken from the caller).
    #[serde(default)]
    pub interpretation: Option<Interpretation>,
}

code_enum! {
    /// A lab report's status: preliminary → final → amended.
    pub enum ReportStatus {
        /// Some results are in.
        Preliminary = "preliminary",
        /// Complete and verified.
        Final = "final",
        /// Changed after being final.
        Amended = "amended",
        /// Withdrawn before being final.
        Cancelled = "cancelled",
    }
}

/// A lab report: a panel grouping result observations.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DiagnosticReport {
    /// The panel (LOINC).
    pub code: Coding,
    /// Its status.
    pub status: ReportStatus,
    /// The result observations, entries of the same patient.
    #[serde(default)]
    pub results: Vec<EntryId>,
    /// When the report was released.
    #[serde(default)]
    pub issued_at: Option<DateTime<Utc>>,
    /// The reader's conclusion, as text.
    #[serde(default)]
    pub conclusion: Option<String>,
}

code_enum! {
    /// A condition's clinical status (FHIR condition-clinical).
    pub enum ConditionStatus {
        /// Current.
        Active = "active",
        /// Back after a remission.
        Recurrence = "recurrence",
        /// Back after a resolution.
        Relapse = "relapse",
        /// Not current.
        Inactive = "inactive",
        /// Not current, may come back.
        Remission = "remission",
        /// Over.
        Resolved = "resolved",
    }
}

code_enum! {
    /// How certain a condition or allergy is (FHIR condition-ver-status).
    pub enum VerificationStatus {
        /// Not yet confirmed.
        Unconfirmed = "unconfirmed",
        /// A working diagnosis.
        Provisional = "provisional",
        /// One of several possibilities.
        Differential = "differential",
        /// Confirmed.
        Confirmed = "confirmed",
        /// Ruled out.
        Refuted = "refuted",
    }
}

/// A problem or diagnosis.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Condition {
    /// The condition (SNOMED CT, ICD-10-CM).
    pub code: Coding,
    /// Whether it is current.
    pub clinical_status: ConditionStatus,
    /// How certain it is.
    pub verification_status: VerificationStatus,
    /// When it began.
    #[serde(default)]
    pub onset_at: Option<DateTime<Utc>>,
    /// When it ended.
    #[serde(default)]
    pub abated_at: Option<DateTime<Utc>>,
}

code_enum! {
    /// What an allergy is to (FHIR allergy-intolerance-category).
    pub enum AllergyCategory {
        /// A food.
        Food = "food",
        /// A medication.
        Medication = "medication",
        /// Pollen, dust, latex…
        Environment = "environment",
        /// A biologic (vaccine, blood product).
        Biologic = "biologic",
    }
}

code_enum! {
    /// How dangerous a reaction could be.
    pub enum AllergyCriticality {
        /// Unlikely to be life-threatening.
        Low = "low",
        /// May be life-threatening.
        High = "high",
        /// Not known.
        UnableToAssess = "unable-to-assess",
    }
}

code_enum! {
    /// An allergy's clinical status.
    pub enum AllergyStatus {
        /// Current.
        Active = "active",
        /// No longer current.
        Inactive = "inactive",
        /// Outgrown or desensitised.
        Resolved = "resolved",
    }
}

code_enum! {
    /// How bad a reaction was.
    pub enum ReactionSeverity {
        /// Mild.
        Mild = "mild",
        /// Moderate.
        Moderate = "moderate",
        /// Severe.
        Severe = "severe",
    }
}

/// A reaction to the substance.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Reaction {
    /// What happened (hives, anaphylaxis), coded.
    #[serde(default)]
    pub manifestations: Vec<Coding>,
    /// How bad.
    #[serde(default)]
    pub severity: Option<ReactionSeverity>,
}

/// An allergy or intolerance.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Allergy {
    /// The substance (RxNorm for a drug, SNOMED CT otherwise).
    pub substance: Coding,
    /// What it is.
    #[serde(default)]
    pub categories: Vec<AllergyCategory>,
    /// How dangerous.
    #[serde(default)]
    pub criticality: Option<AllergyCriticality>,
    /// Whether it is current.
    pub clinical_status: AllergyStatus,
    /// How certain.
    #[serde(default)]
    pub verification_status: Option<VerificationStatus>,
    /// Reactions seen.
    #[serde(default)]
    pub reactions: Vec<Reaction>,
}

code_enum! {
    /// A prescription's life cycle: active → completed, stopped, cancelled
    /// or on hold (and back to active).
    pub enum PrescriptionStatus {
        /// To be taken.
        Active = "active",
        /// Paused.
        OnHold = "on-hold",
        /// Taken to the end.
        Completed = "completed",
        /// Ended early.
        Stopped = "stopped",
        /// Withdrawn before any was taken.
        Cancelled = "cancelled",
    }
}

/// How often a dose is taken: `times` per `period` (2 per 1,440 minutes is
/// twice a day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Frequency {
    /// Doses per period.
    pub times: Count32,
    /// The period.
    pub period: Minutes,
}

/// A prescriber's decision to prescribe despite an active allergy to the
/// medication: recorded with the entry and audited.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AllergyOverride {
    /// The allergy entry overridden.
    pub allergy: EntryId,
    /// Why (required).
    pub reason: String,
}

/// A medication request.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Prescription {
    /// The medication (RxNorm).
    pub medication: Coding,
    /// Instructions as the prescriber wrote them.
    #[serde(default)]
    pub instructions: Option<String>,
    /// One dose.
    #[serde(default)]
    pub dose: Option<Quantity>,
    /// How it is taken (oral, IV), coded.
    #[serde(default)]
    pub route: Option<Coding>,
    /// How often.
    #[serde(default)]
    pub frequency: Option<Frequency>,
    /// For how long.
    #[serde(default)]
    pub duration: Option<Minutes>,
    /// Refills allowed.
    #[serde(default)]
    pub refills: Count32,
    /// Who prescribed it.
    pub prescriber: PractitionerId,
    /// Its status.
    pub status: PrescriptionStatus,
    /// The prescription this one renews (which then no longer stands).
    #[serde(default)]
    pub replaces: Option<EntryId>,
    /// Prescribed despite these active allergies, with the reason.
    #[serde(default)]
    pub allergy_overrides: Vec<AllergyOverride>,
}

code_enum! {
    /// A procedure's status.
    pub enum ProcedureStatus {
        /// Being prepared.
        Preparation = "preparation",
        /// Under way.
        InProgress = "in-progress",
        /// Done.
        Completed = "completed",
        /// Not done.
        NotDone = "not-done",
        /// Stopped before the end.
        Stopped = "stopped",
    }
}

/// A procedure performed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Procedure {
    /// What was done (SNOMED CT, CPT).
    pub code: Coding,
    /// Its status.
    pub status: ProcedureStatus,
    /// When it ended (it started at the entry's `effective_at`).
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
    /// Who performed it.
    #[serde(default)]
    pub performers: Vec<PractitionerId>,
}

code_enum! {
    /// Whether a vaccine was given.
    pub enum ImmunizationStatus {
        /// Given.
        Completed = "completed",
        /// Not given (refused, contraindicated).
        NotDone = "not-done",
    }
}

/// A vaccine given (or not).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Immunization {
    /// The vaccine (CVX).
    pub vaccine: Coding,
    /// Given or not.
    pub status: ImmunizationStatus,
    /// The lot number.
    #[serde(default)]
    pub lot: Option<String>,
    /// Who gave it.
    #[serde(default)]
    pub performer: Option<PractitionerId>,
}

/// Free text written by a clinician (hidden from the patient when the
/// policy does not grant `record.notes`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ClinicalNote {
    /// The author.
    pub author: PractitionerId,
    /// A title.
    #[serde(default)]
    pub title: Option<String>,
    /// The text.
    pub text: String,
}

/// A document: the bytes are kept through the blob port; the entry holds
/// what identifies and checks them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DocumentEntry {
    /// The MIME type (`application/pdf`, `image/jpeg`).
    pub content_type: String,
    /// The size in bytes.
    pub size: Count64,
    /// The SHA-256 of the bytes, lowercase hex (checked on every read).
    pub sha256: String,
    /// A title.
    #[serde(default)]
    pub title: Option<String>,
}

/// Prints the type's name only: a body's codes, values and text are
/// patient data, and `{:?}` must never carry them into a log.
macro_rules! redacted_debug {
    ($($t:ty),*) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($t), "(<redacted>)"))
            }
        }
    )*};
}

redacted_debug!(
    Encounter,
    ObservationValue,
    ObservationComponent,
    Observation,
    DiagnosticReport,
    Condition,
    Reaction,
    Allergy,
    AllergyOverride,
    Prescription,
    Procedure,
    Immunization,
    ClinicalNote,
    DocumentEntry
);
