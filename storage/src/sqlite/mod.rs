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
//!
//! One module per concern (`patients`, `access`, `audit`, `scheduling`,
//! `outbox`) implements that concern's reads on [`SqliteStore`] and its
//! write primitives on [`Tx`]; core's driver
//! ([`carebase::store::apply_changes`]) calls them in its order.

mod access;
mod audit;
mod error;
mod locks;
mod outbox;
mod patients;
mod rows;
mod scheduling;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::Row;
use tokio::sync::Mutex;

use crate::schedule::PractitionerCache;

use carebase::audit::AuditKey;
use carebase::patient::PatientSearch;
use carebase::store::{apply_changes, Applied, ChangeSet, Reference, ReferenceKind, Transaction};
use carebase::{ConflictDetail, Error, Result, StorageKind, Store};

pub(crate) use error::db_error;
use rows::id_text;

/// Connections in the pool of a file database.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 4;

/// How long a writer waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

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
    let options = SqliteConnectOptions::from_str(url).map_err(db_error("options_for"))?;
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
    .map_err(db_error("newer_schema"))?;
    if exists.is_none() {
        return Ok(());
    }
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
        .fetch_all(pool)
        .await
        .map_err(db_error("newer_schema"))?;
    check_schema_versions("sqlite", &applied, migrator)
}

/// Fails when `applied` (the versions in `_sqlx_migrations`) holds one that
/// `migrator` does not embed: a newer carebase wrote this database, and
/// migrating or using it could corrupt it. Shared by both SQL backends
/// (`backend` names the one asking, for the failure's event).
pub(crate) fn check_schema_versions(
    backend: &'static str,
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
        Some(version) => Err(crate::failure::report(crate::failure::Failure {
            backend,
            operation: "open",
            kind: StorageKind::SchemaTooNew,
            code: String::new(),
            cause: "schema_version",
            message: format!(
                "database schema version {version} is newer than this carebase (knows up to {known})"
            ),
        })),
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
        let pool = pool
            .connect_with(options)
            .await
            .map_err(db_error("connect"))?;
        let migrator = sqlx::migrate!("./migrations/sqlite");
        let migrated = match newer_schema(&pool, &migrator).await {
            Ok(()) => migrator
                .run(&pool)
                .await
                .map_err(|e| db_error("connect")(e.into())),
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
        let mut q = patients::search_query(search, true);
        let rows = q
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(db_error("explain_search"))?;
        rows.iter()
            .map(|r| {
                r.try_get::<String, _>("detail")
                    .map_err(db_error("explain_search"))
            })
            .collect()
    }
}

/// One write transaction (`BEGIN IMMEDIATE`): what core's driver writes
/// through, one primitive per kind of write, implemented in each concern's
/// module.
pub(crate) struct Tx<'c>(&'c mut SqliteConnection);

#[async_trait]
impl Transaction for Tx<'_> {
    /// Writers are serialized and nothing deletes these records, so the
    /// answer holds until commit.
    async fn exists(&mut self, reference: &Reference) -> Result<bool> {
        let table = match reference.kind {
            ReferenceKind::Patient => "patients",
            ReferenceKind::Practitioner => "practitioners",
            ReferenceKind::Resource => "resources",
            ReferenceKind::VisitType => "visit_types",
        };
        let found: Option<i64> = sqlx::query_scalar(&format!("SELECT 1 FROM {table} WHERE id = ?"))
            .bind(id_text(reference.id))
            .fetch_optional(&mut *self.0)
            .await
            .map_err(db_error("exists"))?;
        Ok(found.is_some())
    }
}

/// The conflict of an insert whose id is taken.
pub(crate) fn already_exists(entity: &str) -> Error {
    Error::Conflict {
        detail: ConflictDetail::AlreadyExists {
            entity: entity.to_owned(),
        },
    }
}

/// Whether `error` is SQLite refusing a duplicate key of `table` (its
/// message names the table and columns, e.g. `patients.id`).
pub(crate) fn is_unique_violation(error: &sqlx::Error, table: &str) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            db.kind() == sqlx::error::ErrorKind::UniqueViolation && db.message().contains(table)
        }
        _ => false,
    }
}

#[async_trait]
impl Store for SqliteStore {
    /// One `BEGIN IMMEDIATE` transaction through core's driver; any
    /// failure rolls it all back.
    async fn apply(&self, changes: ChangeSet) -> Result<Applied> {
        // A poisoned lock still holds a whole key (it is only ever replaced).
        let key = self
            .audit_key
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let _writer = self.writer.lock().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_error("apply"))?;
        match apply_changes(&mut Tx(&mut tx), changes, &key).await {
            Ok(applied) => {
                tx.commit().await.map_err(db_error("apply"))?;
                Ok(applied)
            }
            Err(e) => {
                // The rule's error is what the caller needs; a failing
                // rollback still leaves nothing committed.
                let _ = tx.rollback().await;
                Err(e)
            }
        }
    }

    fn use_audit_key(&self, key: AuditKey) {
        *self.audit_key.write().unwrap_or_else(|e| e.into_inner()) = key;
    }
}
