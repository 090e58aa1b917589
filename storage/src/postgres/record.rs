//! The health record in postgres: SKELETON — the record-store engineer replaces
//! every method with the indexed implementation (migration, queries,
//! conformance). Until then each call fails with a storage error.

use async_trait::async_trait;

use carebase::ids::{EntryId, PatientId};
use carebase::record::{ClinicalEntry, CodeQuery, EntryKind, EntryQuery};
use carebase::store::{RecordStore, RecordWrites};
use carebase::{Error, Result};

use super::{PostgresStore, Tx};

fn missing() -> Error {
    Error::storage("the health record is not stored by this backend yet")
}

#[async_trait]
impl RecordStore for PostgresStore {
    async fn entry(&self, _patient: PatientId, _id: EntryId) -> Result<Option<ClinicalEntry>> {
        Err(missing())
    }

    async fn entry_versions(
        &self,
        _patient: PatientId,
        _id: EntryId,
    ) -> Result<Vec<ClinicalEntry>> {
        Err(missing())
    }

    async fn entries(&self, _query: &EntryQuery) -> Result<Vec<ClinicalEntry>> {
        Err(missing())
    }

    async fn latest_entries(
        &self,
        _patient: PatientId,
        _kind: EntryKind,
        _codes: &[(String, String)],
    ) -> Result<Vec<ClinicalEntry>> {
        Err(missing())
    }

    async fn entries_by_code(&self, _query: &CodeQuery) -> Result<Vec<ClinicalEntry>> {
        Err(missing())
    }
}

#[async_trait]
impl RecordWrites for Tx<'_> {
    async fn current_entry_version(&mut self, _patient: PatientId, _id: EntryId) -> Result<u32> {
        Err(missing())
    }

    async fn append_entry(&mut self, _entry: &ClinicalEntry) -> Result<()> {
        Err(missing())
    }
}
