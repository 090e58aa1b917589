//! The health record concern of the port: one append-only set of
//! [`ClinicalEntry`] versions keyed by `(patient, entry, version)`, with
//! the current version of each entry indexed by kind, code, effective time
//! and status. Every kind of entry goes through these few methods.

use async_trait::async_trait;

use super::ChangeSet;
use crate::ids::{EntryId, PatientId};
use crate::record::{ClinicalEntry, CodeQuery, EntryKind, EntryQuery};
use crate::Result;

/// What a change set appends to the record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordChanges {
    /// Entry versions to append, in order. Version 1 needs a free entry
    /// id (`conflict` `already_exists` otherwise); version n needs the
    /// stored current version to be n − 1 (`conflict` `stale_version`
    /// otherwise): no silent overwrite, no gap.
    pub entries: Vec<ClinicalEntry>,
}

impl ChangeSet {
    /// Appends a version of a clinical entry.
    pub fn entry(mut self, entry: ClinicalEntry) -> Self {
        self.record.entries.push(entry);
        self
    }
}

/// Reads of the health record. Every read is an index read in the SQL
/// backends: by patient and time, by patient and code, by code and time.
#[async_trait]
pub trait RecordStore: Send + Sync {
    /// The current version of one entry of `patient` (its retracting
    /// version when retracted), or `None`.
    async fn entry(&self, patient: PatientId, id: EntryId) -> Result<Option<ClinicalEntry>>;

    /// Every version of one entry, oldest first (empty when there is none).
    async fn entry_versions(&self, patient: PatientId, id: EntryId) -> Result<Vec<ClinicalEntry>>;

    /// A patient's timeline: current versions matching `query`, ordered by
    /// effective time then id, after `query.after`, at most `query.limit`.
    async fn entries(&self, query: &EntryQuery) -> Result<Vec<ClinicalEntry>>;

    /// The latest current, unretracted entry of `kind` per code for
    /// `patient` ("latest vitals"), ordered by system then code; only the
    /// codes in `codes` when it is not empty.
    async fn latest_entries(
        &self,
        patient: PatientId,
        kind: EntryKind,
        codes: &[(String, String)],
    ) -> Result<Vec<ClinicalEntry>>;

    /// Current, unretracted entries of one code across the patients in the
    /// query's scope, ordered by effective time then id.
    async fn entries_by_code(&self, query: &CodeQuery) -> Result<Vec<ClinicalEntry>>;
}

/// Record write primitives, inside a backend's transaction.
#[async_trait]
pub trait RecordWrites: Send {
    /// The current version number of an entry (0 when there is none),
    /// inside the transaction (its own appends included).
    async fn current_entry_version(&mut self, patient: PatientId, id: EntryId) -> Result<u32>;

    /// Appends one version and makes it the entry's current one. The
    /// driver has checked that it follows the current version.
    async fn append_entry(&mut self, entry: &ClinicalEntry) -> Result<()>;
}

/// Each version must follow the stored current one, then is appended.
pub(super) async fn write<T: RecordWrites + ?Sized>(
    tx: &mut T,
    changes: RecordChanges,
) -> Result<()> {
    for entry in &changes.entries {
        let current = tx.current_entry_version(entry.patient, entry.id).await?;
        let expected = entry.version.get().checked_sub(1).unwrap_or(u32::MAX);
        if current != expected {
            return Err(if entry.version == 1 {
                crate::Error::Conflict {
                    detail: crate::ConflictDetail::AlreadyExists {
                        entity: "entry".into(),
                    },
                }
            } else {
                crate::Error::stale("entry", u64::from(expected), u64::from(current))
            });
        }
        tx.append_entry(entry).await?;
    }
    Ok(())
}
