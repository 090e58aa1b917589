//! The patient concern of the port: the register (records, their search
//! keys, identifier uniqueness, numbering sequences) and the merge log.

use std::ops::Range;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::ChangeSet;
use crate::ids::{ActorId, MergeId, PatientId};
use crate::patient::normalize::{search_keys, SearchKeys};
use crate::patient::{MergeRecord, Patient, PatientDetails, PatientSearch, SearchHit};
use crate::Result;

/// The JSON document a SQL store keeps for a patient's details: the
/// details' own members, plus `fhir_extra` when a FHIR import kept one.
/// One column for both, so a kept resource needs no schema change and a
/// row written before reads as having none. Without `fhir_extra` the text
/// is exactly the details' JSON.
pub fn details_document(patient: &Patient) -> serde_json::Result<String> {
    #[derive(serde::Serialize)]
    struct WithExtra<'a> {
        #[serde(flatten)]
        details: &'a PatientDetails,
        fhir_extra: &'a serde_json::Value,
    }
    match &patient.fhir_extra {
        None => serde_json::to_string(&patient.details),
        Some(fhir_extra) => serde_json::to_string(&WithExtra {
            details: &patient.details,
            fhir_extra,
        }),
    }
}

/// Reads what [`details_document`] wrote: the details and the kept FHIR
/// elements (read a second time only when the text holds a `fhir_extra`
/// member, so a patient who was not imported costs one parse).
pub fn read_details_document(
    text: &str,
) -> serde_json::Result<(PatientDetails, Option<serde_json::Value>)> {
    #[derive(serde::Deserialize)]
    struct Extra {
        #[serde(default)]
        fhir_extra: Option<serde_json::Value>,
    }
    let details: PatientDetails = serde_json::from_str(text)?;
    let extra = if text.contains("\"fhir_extra\"") {
        serde_json::from_str::<Extra>(text)?.fhir_extra
    } else {
        None
    };
    Ok((details, extra))
}

/// A patient write with its precondition, and the search keys core
/// computed for it (with the clinic's settings): the store indexes exactly
/// these and never derives keys itself.
// Change sets are short-lived and moved once; boxing the record buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum PatientWrite {
    /// A new record (version 1); its identifiers must be free.
    Insert {
        /// The record.
        patient: Patient,
        /// Its search keys.
        keys: SearchKeys,
    },
    /// A new state of an existing record; the stored version must equal
    /// `expected_version` and `patient.version` must be `expected_version + 1`.
    Update {
        /// The new state.
        patient: Patient,
        /// Its search keys (they replace the stored ones).
        keys: SearchKeys,
        /// The version the rule was applied to.
        expected_version: u64,
    },
}

impl PatientWrite {
    /// Inserts `patient` with the keys of a clinic whose phone region is
    /// `phone_region` (see [`crate::patient::normalize::search_keys`]).
    pub fn insert(patient: Patient, phone_region: Option<&str>) -> Self {
        let keys = search_keys(&patient.details, phone_region);
        Self::Insert { patient, keys }
    }

    /// Updates to `patient` from `expected_version`, with the keys of a
    /// clinic whose phone region is `phone_region`.
    pub fn update(patient: Patient, expected_version: u64, phone_region: Option<&str>) -> Self {
        let keys = search_keys(&patient.details, phone_region);
        Self::Update {
            patient,
            keys,
            expected_version,
        }
    }
}

/// A merge-log write.
// Short-lived and moved once; boxing the record buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum MergeWrite {
    /// Records a merge.
    Insert(MergeRecord),
    /// Marks a merge undone; an already undone one is a conflict.
    Undo {
        /// The merge.
        id: MergeId,
        /// Who undid it.
        by: ActorId,
        /// When.
        at: DateTime<Utc>,
    },
}

/// What a change set writes to the register and the merge log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatientChanges {
    /// Patient inserts and updates, in order.
    pub records: Vec<PatientWrite>,
    /// Merge-log writes, in order.
    pub merges: Vec<MergeWrite>,
}

impl ChangeSet {
    /// Adds a patient insert or update.
    pub fn patient(mut self, write: PatientWrite) -> Self {
        self.patients.records.push(write);
        self
    }

    /// Adds a merge-log write.
    pub fn merge(mut self, write: MergeWrite) -> Self {
        self.patients.merges.push(write);
        self
    }
}

/// Reads of the register and the merge log.
#[async_trait]
pub trait PatientStore: Send + Sync {
    /// One patient by id (merged and inactive ones too).
    async fn patient(&self, id: PatientId) -> Result<Option<Patient>>;
    /// Patients matching a normalized search, in page order (by name key
    /// then id when the search has a name, by id otherwise; see
    /// [`crate::patient::SearchPosition`]), after the cursor, at most
    /// `limit`. A store walks an index in that order and stops at the
    /// limit, so a page never costs every match.
    async fn search_patients(&self, search: &PatientSearch) -> Result<Vec<SearchHit>>;
    /// Active, unmerged patients other than `patient` that share a blocking
    /// key with it: a name token, birth date, phone or email (of `keys`,
    /// computed by core) or identifier value.
    async fn duplicate_candidates(
        &self,
        patient: &Patient,
        keys: &SearchKeys,
        limit: u32,
    ) -> Result<Vec<Patient>>;
    /// Current value of a named sequence (0 when nothing was allocated).
    async fn counter(&self, name: &str) -> Result<u64>;
    /// Atomically allocates the next number of a named sequence (1, 2, …)
    /// in its own transaction, like a database sequence: concurrent callers
    /// never get the same number; a number whose use later fails is skipped,
    /// never reused.
    async fn allocate(&self, name: &str) -> Result<u64> {
        Ok(self.allocate_block(name, 1).await?.start)
    }
    /// Atomically allocates the next `count` numbers of a named sequence in
    /// ONE step (a batch's MRNs cost one round trip per facility, not one
    /// per patient): consecutive, answered as a range, with the same
    /// guarantees as [`Self::allocate`]. `count` 0 allocates nothing.
    async fn allocate_block(&self, name: &str, count: u32) -> Result<Range<u64>>;
    /// One merge by id.
    async fn merge(&self, id: MergeId) -> Result<Option<MergeRecord>>;
    /// Merges where the patient is survivor or merged, oldest first.
    async fn merges_for(&self, patient: PatientId) -> Result<Vec<MergeRecord>>;
}

/// The register's write primitives, inside a backend's transaction.
#[async_trait]
pub trait PatientWrites: Send {
    /// Inserts or updates one record and replaces its search keys. An
    /// insert of an existing id is `already_exists`; an update whose
    /// expected version is not the stored one is a stale-version conflict
    /// (`not_found` when there is none); an identifier another patient
    /// holds is `DuplicateIdentifier` naming its system.
    async fn write_patient(&mut self, write: PatientWrite) -> Result<()>;
    /// Records a merge, or marks one undone (`not_found` when missing,
    /// `already undone` when it was).
    async fn write_merge(&mut self, write: MergeWrite) -> Result<()>;
}

/// The records, in order.
pub(super) async fn write_records<T: PatientWrites + ?Sized>(
    tx: &mut T,
    records: Vec<PatientWrite>,
) -> Result<()> {
    for write in records {
        tx.write_patient(write).await?;
    }
    Ok(())
}

/// The merge log, in order.
pub(super) async fn write_merges<T: PatientWrites + ?Sized>(
    tx: &mut T,
    merges: Vec<MergeWrite>,
) -> Result<()> {
    for write in merges {
        tx.write_merge(write).await?;
    }
    Ok(())
}
