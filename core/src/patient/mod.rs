//! Patients: the record, its rules (validation, identifiers, search keys,
//! duplicate scoring) and the types the registry speaks.

pub mod check_digit;
pub mod duplicates;
pub mod fhir;
pub mod identifiers;
mod model;
pub mod normalize;
pub(crate) mod phone;
pub mod search;
mod state;
pub mod validate;

pub use check_digit::CheckDigit;
pub use duplicates::{DuplicateCandidate, DuplicateScore, FieldScore};
pub use identifiers::{IdentifierSystem, MrnNamespace};
pub use model::{
    Address, AddressUse, ContactPoint, ContactSystem, ContactUse, EmergencyContact, Gender,
    HumanName, Identifier, NameUse, Patient, PatientDetails, PatientField,
};
pub use search::{
    word_to_walk, PageQuery, PatientPage, PatientQuery, PatientSearch, SearchHit, SearchPosition,
    NAME_WORD_COUNT_CAP,
};
pub use state::PatientUse;

use crate::Count64;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{ActorId, MergeId, PatientId};

/// One entry of the merge log: enough to undo the merge exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MergeRecord {
    /// Id of this merge.
    pub id: MergeId,
    /// The record that lives on.
    pub survivor: PatientId,
    /// The record marked replaced-by the survivor.
    pub merged: PatientId,
    /// The merged record exactly as it was before the merge.
    pub merged_before: Patient,
    /// The merged record's version written by the merge (unmerge expects it).
    pub merged_version_after: Count64,
    /// Who merged.
    pub merged_by: ActorId,
    /// When.
    pub merged_at: DateTime<Utc>,
    /// Who undid it, if anyone.
    pub unmerged_by: Option<ActorId>,
    /// When it was undone.
    pub unmerged_at: Option<DateTime<Utc>>,
}
