//! Test helpers: SQLite stores in temporary files that live as long as the store.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use carebase::access::{BreakGlassGrant, CareAssignment};
use carebase::audit::{AuditEntry, AuditQuery, ChainHead};
use carebase::events::OutboxEvent;
use carebase::patient::{MergeRecord, Patient, PatientSearch};
use carebase::store::{Applied, ChangeSet};
use carebase::{ActorId, GrantId, MergeId, PatientId, PractitionerId, Result, Store};
use carebase_storage::SqliteStore;

/// A [`SqliteStore`] in a file of its own temporary directory, removed when
/// the store is dropped.
pub struct TempStore {
    // Field order: the store (and its connections) goes before the directory.
    pub store: SqliteStore,
    pub dir: tempfile::TempDir,
}

impl TempStore {
    /// A fresh store in a new temporary file.
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&url_of(&db_path(&dir)))
            .await
            .expect("open sqlite file");
        Self { store, dir }
    }

    /// The database file.
    pub fn path(&self) -> PathBuf {
        db_path(&self.dir)
    }
}

/// `<dir>/carebase.db`.
pub fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("carebase.db")
}

/// `sqlite://<path>`.
pub fn url_of(path: &std::path::Path) -> String {
    format!("sqlite://{}", path.display())
}

/// A fresh file-backed store behind the port.
pub async fn file_store() -> Arc<dyn Store> {
    Arc::new(TempStore::new().await)
}

#[async_trait]
impl Store for TempStore {
    async fn apply(&self, changes: ChangeSet) -> Result<Applied> {
        self.store.apply(changes).await
    }
    async fn patient(&self, id: PatientId) -> Result<Option<Patient>> {
        self.store.patient(id).await
    }
    async fn search_patients(&self, search: &PatientSearch) -> Result<Vec<Patient>> {
        self.store.search_patients(search).await
    }
    async fn duplicate_candidates(&self, patient: &Patient, limit: u32) -> Result<Vec<Patient>> {
        self.store.duplicate_candidates(patient, limit).await
    }
    async fn counter(&self, name: &str) -> Result<u64> {
        self.store.counter(name).await
    }
    async fn allocate(&self, name: &str) -> Result<u64> {
        self.store.allocate(name).await
    }
    async fn care_team(&self, patient: PatientId) -> Result<Vec<CareAssignment>> {
        self.store.care_team(patient).await
    }
    async fn is_on_care_team(
        &self,
        patient: PatientId,
        practitioner: PractitionerId,
    ) -> Result<bool> {
        self.store.is_on_care_team(patient, practitioner).await
    }
    async fn grant(&self, id: GrantId) -> Result<Option<BreakGlassGrant>> {
        self.store.grant(id).await
    }
    async fn active_grant(
        &self,
        actor: ActorId,
        patient: PatientId,
        now: DateTime<Utc>,
    ) -> Result<Option<BreakGlassGrant>> {
        self.store.active_grant(actor, patient, now).await
    }
    async fn grants_awaiting_review(&self, limit: u32) -> Result<Vec<BreakGlassGrant>> {
        self.store.grants_awaiting_review(limit).await
    }
    async fn merge(&self, id: MergeId) -> Result<Option<MergeRecord>> {
        self.store.merge(id).await
    }
    async fn merges_for(&self, patient: PatientId) -> Result<Vec<MergeRecord>> {
        self.store.merges_for(patient).await
    }
    async fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        self.store.audit_entries(query).await
    }
    async fn audit_heads(&self) -> Result<Vec<ChainHead>> {
        self.store.audit_heads().await
    }
    async fn audit_chains(&self) -> Result<Vec<Option<PatientId>>> {
        self.store.audit_chains().await
    }
    async fn audit_chain(
        &self,
        chain: Option<PatientId>,
        from_seq: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        self.store.audit_chain(chain, from_seq, limit).await
    }
    async fn events_after(&self, after: u64, limit: u32) -> Result<Vec<OutboxEvent>> {
        self.store.events_after(after, limit).await
    }
    async fn consumer_position(&self, consumer: &str) -> Result<u64> {
        self.store.consumer_position(consumer).await
    }
}
