//! Test helpers for PostgreSQL: every store lives in a schema of its own
//! (`carebase_t_<uuid>`, selected through `search_path`), dropped when the
//! store is dropped. The server comes from `CAREBASE_PG_URL`
//! (`bash scripts/postgres` prints it). Without it the tests print a skip
//! note and pass — unless `CI` is set, where a missing or unreachable
//! server fails them.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::ConnectOptions;

use carebase::access::{BreakGlassGrant, CareAssignment};
use carebase::audit::{AuditEntry, AuditQuery, ChainHead};
use carebase::events::OutboxEvent;
use carebase::patient::{MergeRecord, Patient, PatientSearch};
use carebase::store::{Applied, ChangeSet};
use carebase::{ActorId, GrantId, MergeId, PatientId, PractitionerId, Result, Store};
use carebase_storage::{parse_postgres_url, PostgresStore};

/// The test server's URL, or `None` (after a skip note) when it is not
/// configured locally. Panics when `CI` is set and it is missing.
pub fn pg_url() -> Option<String> {
    match std::env::var("CAREBASE_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI is set but CAREBASE_PG_URL is not: run `bash scripts/postgres` first")
        }
        _ => {
            eprintln!(
                "skipped: CAREBASE_PG_URL is not set (run `eval \"$(bash scripts/postgres | tail -n 1)\"`)"
            );
            None
        }
    }
}

/// A [`PostgresStore`] in a fresh schema of its own.
pub struct PgTestStore {
    pub store: PostgresStore,
    pub schema: String,
    admin: PgConnectOptions,
}

impl PgTestStore {
    /// A fresh store, or `None` when the tests are skipped. Unreachable
    /// server: panics (a configured URL that does not work is a failure).
    pub async fn new() -> Option<Self> {
        let url = pg_url()?;
        let (admin, _) = parse_postgres_url(&url).expect("CAREBASE_PG_URL parses");
        let schema = format!("carebase_t_{}", uuid::Uuid::now_v7().simple());
        let mut conn = admin
            .connect()
            .await
            .expect("CAREBASE_PG_URL is reachable (run `bash scripts/postgres`)");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut conn)
            .await
            .expect("create test schema");
        drop(conn);
        let options = admin.clone().options([("search_path", schema.as_str())]);
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30));
        let store = PostgresStore::connect(options, pool)
            .await
            .expect("open postgres store");
        Some(Self {
            store,
            schema,
            admin,
        })
    }
}

impl Drop for PgTestStore {
    /// Drops the schema, best effort, on a thread of its own (the test's
    /// runtime may be shutting down).
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let schema = self.schema.clone();
        let dropper = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = admin.connect().await {
                    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .execute(&mut conn)
                        .await;
                }
            });
        });
        let _ = dropper.join();
    }
}

/// A fresh store behind the port, or `None` when skipped.
pub async fn fresh_store() -> Option<Arc<dyn Store>> {
    Some(Arc::new(PgTestStore::new().await?) as Arc<dyn Store>)
}

#[async_trait]
impl Store for PgTestStore {
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
