//! [`SqliteStore`]: the embedded default backend, one SQLite file (or an
//! in-memory database) holding everything, with the same semantics as
//! [`carebase::MemoryStore`].
//!
//! Writes: each change set is one `BEGIN IMMEDIATE` transaction, so writers
//! take the write lock up front instead of failing to upgrade a read lock;
//! within one process they also queue on an async mutex, so they never spin
//! on SQLite's busy handler. Other processes are covered by `busy_timeout`.
//! Reads: single statements on pooled connections (WAL lets them run beside
//! a writer).
//!
//! Locks: on Linux and Android SQLite's file locks are open file description
//! locks (`locks`), so a host's own SQLite in the process can read the file
//! without breaking them or deleting the WAL (`docs/sqlite-file.md`).

mod audit;
mod locks;
mod read;
mod rows;
mod schedule;
mod schedule_read;
mod write;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::migrate::MigrateError;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Row;
use tokio::sync::Mutex;

use crate::schedule::PractitionerCache;

use carebase::access::{BreakGlassGrant, CareAssignment};
use carebase::audit::{AuditCheckpoint, AuditEntry, AuditKey, AuditQuery, ChainHead};
use carebase::events::OutboxEvent;
use carebase::patient::normalize::SearchKeys;
use carebase::patient::{MergeRecord, Patient, PatientSearch};
use carebase::schedule::{
    Appointment, AppointmentCount, AppointmentQuery, BusyQuery, BusySpan, CountQuery, DueReminder,
    Practitioner, Resource, VisitType,
};
use carebase::store::{Applied, ChangeSet};
use carebase::{
    ActorId, AppointmentId, Error, GrantId, MergeId, PatientId, PractitionerId, ResourceId, Result,
    StorageKind, Store, VisitTypeId,
};

/// Connections in the pool of a file database.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 4;

/// How long a writer waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Maps every sqlx failure to [`Error::Storage`]: the one place that decides
/// what a database error says. Messages are lowercase and carry SQLite's own
/// text (table and column names), never bound values.
pub(crate) fn db_error(error: sqlx::Error) -> Error {
    Error::storage_of(kind_of(&error), describe(&error))
}

/// What a host can do about a failure: retry a lost race (busy or locked
/// database, no free connection in time), restore a damaged file, or read
/// the message. SQLite's primary result code is the low byte of its
/// extended code.
fn kind_of(error: &sqlx::Error) -> StorageKind {
    match error {
        sqlx::Error::Database(db) => {
            let primary = db
                .code()
                .and_then(|c| c.parse::<i32>().ok())
                .map(|c| c & 0xff);
            match primary {
                Some(5 | 6) => StorageKind::Retryable,
                Some(11 | 26) => StorageKind::Corrupt,
                _ => StorageKind::Other,
            }
        }
        sqlx::Error::PoolTimedOut => StorageKind::Retryable,
        sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => StorageKind::Closed,
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => StorageKind::Corrupt,
        _ => StorageKind::Other,
    }
}

fn describe(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => format!("database error: {}", db.message().to_lowercase()),
        sqlx::Error::Io(io) => format!("i/o error: {}", io.kind()),
        sqlx::Error::PoolTimedOut => "timed out waiting for a database connection".into(),
        sqlx::Error::PoolClosed => "the store is closed".into(),
        sqlx::Error::WorkerCrashed => "the database connection stopped".into(),
        sqlx::Error::Configuration(_) => "invalid database configuration".into(),
        sqlx::Error::RowNotFound => "expected row not found".into(),
        sqlx::Error::Encode(_) => "could not encode a value".into(),
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. } => "could not decode a stored value".into(),
        sqlx::Error::Migrate(m) => match m.as_ref() {
            MigrateError::Execute(e) | MigrateError::ExecuteMigration(e, _) => {
                format!("migration failed: {}", describe(e))
            }
            other => format!("migration failed: {}", other.to_string().to_lowercase()),
        },
        _ => "database failure".into(),
    }
}

/// Options for a database URL: `sqlite::memory:`, `sqlite://path` or
/// `sqlite:path`. Returns whether the database lives in memory.
pub(crate) fn options_for(url: &str) -> Result<(SqliteConnectOptions, bool)> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| Error::UnsupportedStore {
            scheme: scheme_of(url).to_owned(),
        })?;
    let (path, params) = rest.split_once('?').unwrap_or((rest, ""));
    let memory = path == ":memory:" || params.split('&').any(|p| p == "mode=memory");
    if path.is_empty() && !memory {
        return Err(Error::storage("the sqlite url names no database file"));
    }
    let options = SqliteConnectOptions::from_str(url).map_err(db_error)?;
    let options = options.foreign_keys(true).busy_timeout(BUSY_TIMEOUT);
    if memory {
        return Ok((options, true));
    }
    let options = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        // Checkpoints run in the background (see `spawn_checkpointer`); the
        // automatic one is only a safety net for when that task cannot run.
        .pragma("wal_autocheckpoint", SAFETY_NET_CHECKPOINT_PAGES);
    Ok((options, false))
}

/// The scheme of a store URL (the text before the first `:`).
/// Empty when the text before `:` is not a URL scheme (RFC 3986, at most 32
/// characters), so errors never echo arbitrary input.
pub(crate) fn scheme_of(url: &str) -> &str {
    let Some((scheme, _)) = url.split_once(':') else {
        return "";
    };
    let looks_like_scheme = (1..=32).contains(&scheme.len())
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if looks_like_scheme {
        scheme
    } else {
        ""
    }
}

/// WAL pages after which a committing writer checkpoints itself (64 MiB of
/// 4 KiB pages); normally the background checkpointer keeps the WAL far smaller.
const SAFETY_NET_CHECKPOINT_PAGES: &str = "16000";

/// How often the background checkpointer copies the WAL into the database.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// Copies the WAL into the database off the request path, so no request
/// pays for a checkpoint's fsyncs (they were the p99 of every query that
/// writes, and every read writes its audit entry). PASSIVE never blocks
/// readers or writers. Runs on the caller's tokio runtime until the store
/// is dropped; without a runtime the safety-net checkpoint still applies.
fn spawn_checkpointer(pool: SqlitePool) -> Option<tokio::task::JoinHandle<()>> {
    let runtime = tokio::runtime::Handle::try_current().ok()?;
    Some(runtime.spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        while !pool.is_closed() {
            tick.tick().await;
            // A failed checkpoint is retried on the next tick; requests never see it.
            let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await;
        }
    }))
}

/// Refuses a database written by a newer carebase: when `_sqlx_migrations`
/// holds a version this build does not embed, opening fails before any
/// migration runs (an older database is upgraded as usual).
async fn newer_schema(pool: &SqlitePool, migrator: &sqlx::migrate::Migrator) -> Result<()> {
    let exists: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(pool)
    .await
    .map_err(db_error)?;
    if exists.is_none() {
        return Ok(());
    }
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
    check_schema_versions(&applied, migrator)
}

/// Fails when `applied` (the versions in `_sqlx_migrations`) holds one that
/// `migrator` does not embed: a newer carebase wrote this database, and
/// migrating or using it could corrupt it. Shared by both SQL backends.
pub(crate) fn check_schema_versions(
    applied: &[i64],
    migrator: &sqlx::migrate::Migrator,
) -> Result<()> {
    let known = migrator.iter().map(|m| m.version).max().unwrap_or(0);
    let unknown = applied
        .iter()
        .copied()
        .filter(|v| !migrator.iter().any(|m| m.version == *v))
        .max();
    match unknown {
        Some(version) => Err(Error::storage_of(
            StorageKind::SchemaTooNew,
            format!(
                "database schema version {version} is newer than this carebase (knows up to {known})"
            ),
        )),
        None => Ok(()),
    }
}

/// The SQLite backend.
pub struct SqliteStore {
    pool: SqlitePool,
    writer: Mutex<()>,
    practitioners: PractitionerCache,
    checkpointer: Option<tokio::task::JoinHandle<()>>,
    audit_key: std::sync::RwLock<AuditKey>,
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        if let Some(task) = &self.checkpointer {
            task.abort();
        }
    }
}

impl SqliteStore {
    /// Opens `sqlite::memory:`, `sqlite://path/to/file.db` or `sqlite:path`
    /// and applies pending migrations. A file is created when missing and
    /// runs in WAL mode with `synchronous = NORMAL`, foreign keys on and a
    /// 5 s busy timeout. An in-memory database lives as long as the store.
    pub async fn open(url: &str) -> Result<Self> {
        let (options, memory) = options_for(url)?;
        let max = if memory { 1 } else { DEFAULT_MAX_CONNECTIONS };
        Self::connect(options, max).await
    }

    /// Connects with explicit options (e.g. for benches) and applies pending
    /// migrations. Connections are kept for the life of the store. An
    /// in-memory database needs `max_connections == 1`.
    pub async fn connect(options: SqliteConnectOptions, max_connections: u32) -> Result<Self> {
        // Before the first connection: locks no other SQLite copy can break.
        locks::install();
        let max_connections = max_connections.max(1);
        // Connections live as long as the store: if an idle pool closed its
        // last one, SQLite would close its descriptors of the file, and
        // closing a descriptor drops the POSIX locks another SQLite copy in
        // the process holds on the file (see `locks`); an in-memory database
        // would vanish with its only connection.
        let mut pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .idle_timeout(None)
            .max_lifetime(None);
        if max_connections == 1 {
            pool = pool.min_connections(1);
        }
        let pool = pool.connect_with(options).await.map_err(db_error)?;
        let migrator = sqlx::migrate!("./migrations/sqlite");
        let migrated = match newer_schema(&pool, &migrator).await {
            Ok(()) => migrator.run(&pool).await.map_err(|e| db_error(e.into())),
            Err(e) => Err(e),
        };
        if let Err(e) = migrated {
            pool.close().await;
            return Err(e);
        }
        // An in-memory database (one connection) has no WAL to checkpoint.
        let checkpointer = if max_connections > 1 {
            spawn_checkpointer(pool.clone())
        } else {
            None
        };
        Ok(Self {
            pool,
            writer: Mutex::new(()),
            practitioners: PractitionerCache::default(),
            checkpointer,
            audit_key: std::sync::RwLock::new(AuditKey::development()),
        })
    }

    /// The connection pool, for hosts and tests that need raw SQL access.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes every connection; later calls fail with a storage error.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The `EXPLAIN QUERY PLAN` lines of the statement `search_patients`
    /// runs for `search` (for tests that the indexes are used).
    #[doc(hidden)]
    pub async fn explain_search(&self, search: &PatientSearch) -> Result<Vec<String>> {
        let mut q = read::search_query(search, true);
        let rows = q.build().fetch_all(&self.pool).await.map_err(db_error)?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("detail").map_err(db_error))
            .collect()
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn apply(&self, changes: ChangeSet) -> Result<Applied> {
        // A poisoned lock still holds a whole key (it is only ever replaced).
        let key = self
            .audit_key
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let _writer = self.writer.lock().await;
        write::apply(&self.pool, changes, &key).await
    }

    fn use_audit_key(&self, key: AuditKey) {
        *self.audit_key.write().unwrap_or_else(|e| e.into_inner()) = key;
    }

    async fn audit_checkpoints(&self, after: u64, limit: u32) -> Result<Vec<AuditCheckpoint>> {
        audit::checkpoints(&self.pool, after, limit).await
    }

    async fn latest_audit_checkpoint(&self) -> Result<Option<AuditCheckpoint>> {
        audit::latest_checkpoint(&self.pool).await
    }

    async fn audit_checkpoint_heads(&self) -> Result<Vec<ChainHead>> {
        audit::checkpoint_heads(&self.pool).await
    }

    async fn patient(&self, id: PatientId) -> Result<Option<Patient>> {
        read::patient(&self.pool, id).await
    }

    async fn search_patients(&self, search: &PatientSearch) -> Result<Vec<Patient>> {
        read::search_patients(&self.pool, search).await
    }

    async fn duplicate_candidates(
        &self,
        patient: &Patient,
        keys: &SearchKeys,
        limit: u32,
    ) -> Result<Vec<Patient>> {
        read::duplicate_candidates(&self.pool, patient, keys, limit).await
    }

    async fn counter(&self, name: &str) -> Result<u64> {
        read::counter(&self.pool, name).await
    }

    async fn allocate(&self, name: &str) -> Result<u64> {
        let _writer = self.writer.lock().await;
        write::allocate(&self.pool, name).await
    }

    async fn care_team(&self, patient: PatientId) -> Result<Vec<CareAssignment>> {
        read::care_team(&self.pool, patient).await
    }

    async fn is_on_care_team(
        &self,
        patient: PatientId,
        practitioner: PractitionerId,
    ) -> Result<bool> {
        read::is_on_care_team(&self.pool, patient, practitioner).await
    }

    async fn grant(&self, id: GrantId) -> Result<Option<BreakGlassGrant>> {
        read::grant(&self.pool, id).await
    }

    async fn active_grant(
        &self,
        actor: ActorId,
        patient: PatientId,
        now: DateTime<Utc>,
    ) -> Result<Option<BreakGlassGrant>> {
        read::active_grant(&self.pool, actor, patient, now).await
    }

    async fn grants_awaiting_review(&self, limit: u32) -> Result<Vec<BreakGlassGrant>> {
        read::grants_awaiting_review(&self.pool, limit).await
    }

    async fn merge(&self, id: MergeId) -> Result<Option<MergeRecord>> {
        read::merge(&self.pool, id).await
    }

    async fn merges_for(&self, patient: PatientId) -> Result<Vec<MergeRecord>> {
        read::merges_for(&self.pool, patient).await
    }

    async fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        read::audit_entries(&self.pool, query).await
    }

    async fn audit_heads(&self) -> Result<Vec<ChainHead>> {
        read::audit_heads(&self.pool).await
    }

    async fn audit_chains(&self) -> Result<Vec<Option<PatientId>>> {
        read::audit_chains(&self.pool).await
    }

    async fn audit_chain(
        &self,
        chain: Option<PatientId>,
        from_seq: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        read::audit_chain(&self.pool, chain, from_seq, limit).await
    }

    async fn practitioner(&self, id: PractitionerId) -> Result<Option<Practitioner>> {
        schedule_read::practitioner(&self.pool, id).await
    }

    async fn practitioners(&self) -> Result<Vec<Practitioner>> {
        schedule_read::practitioners(&self.pool, &self.practitioners).await
    }

    async fn resource(&self, id: ResourceId) -> Result<Option<Resource>> {
        schedule_read::resource(&self.pool, id).await
    }

    async fn resources(&self) -> Result<Vec<Resource>> {
        schedule_read::resources(&self.pool).await
    }

    async fn visit_type(&self, id: VisitTypeId) -> Result<Option<VisitType>> {
        schedule_read::visit_type(&self.pool, id).await
    }

    async fn visit_types(&self) -> Result<Vec<VisitType>> {
        schedule_read::visit_types(&self.pool).await
    }

    async fn appointment(&self, id: AppointmentId) -> Result<Option<Appointment>> {
        schedule_read::appointment(&self.pool, id).await
    }

    async fn appointments(&self, query: &AppointmentQuery) -> Result<Vec<Appointment>> {
        schedule_read::appointments(&self.pool, query).await
    }

    async fn busy(&self, query: &BusyQuery) -> Result<Vec<BusySpan>> {
        schedule_read::busy(&self.pool, query).await
    }

    async fn appointment_counts(&self, query: &CountQuery) -> Result<Vec<AppointmentCount>> {
        schedule_read::appointment_counts(&self.pool, query).await
    }

    async fn due_reminders(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueReminder>> {
        schedule_read::due_reminders(&self.pool, from, to, limit).await
    }

    async fn events_after(&self, after: u64, limit: u32) -> Result<Vec<OutboxEvent>> {
        read::events_after(&self.pool, after, limit).await
    }

    async fn consumer_position(&self, consumer: &str) -> Result<u64> {
        read::consumer_position(&self.pool, consumer).await
    }
}
