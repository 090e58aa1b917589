//! [`PostgresStore`]: the service backend, with the same semantics as
//! [`carebase::MemoryStore`] and the SQLite store — enforced by PostgreSQL
//! itself, so any number of processes may share one database.
//!
//! Writes: each change set is one READ COMMITTED transaction through core's
//! driver ([`carebase::store::apply_changes`]), whose preconditions are
//! constraints and row locks, not this process: many processes may write
//! one database. There is no in-process writer lock. A transaction
//! PostgreSQL aborted for a deadlock or a serialization failure is tried
//! again a bounded number of times (see [`PostgresStore::apply`]). Reads:
//! single statements on pooled connections.
//!
//! One module per concern (`patients`, `access`, `audit`, `scheduling`,
//! `outbox`) implements that concern's reads on [`PostgresStore`] and its
//! write primitives on [`Tx`], with the guarantee each relies on.

mod access;
mod audit;
mod batch;
mod blobs;
mod error;
mod outbox;
mod patients;
mod record;
mod rows;
mod scheduling;

pub use blobs::PostgresBlobs;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};

use carebase::audit::AuditKey;
use carebase::events::EventDraft;
use carebase::store::{apply_changes, Applied, ChangeSet, Reference, ReferenceKind, Transaction};
use carebase::{ConflictDetail, Error, Result, Store};

use crate::retry::TRANSACTION_RETRY;
use crate::schedule::PractitionerCache;
pub(crate) use error::db_error;

/// Connections in the pool unless the URL says `max_connections=N`.
pub const DEFAULT_PG_MAX_CONNECTIONS: u32 = 10;

/// How long a request waits for a pooled connection (and how long `open`
/// tries to reach the server) unless the URL says `acquire_timeout=SECS`.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Pool settings read from a `postgres://` URL's query parameters (carebase's
/// own; every other parameter goes to sqlx unchanged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSettings {
    /// `max_connections=N` (at least 1).
    pub max_connections: u32,
    /// `min_connections=N`.
    pub min_connections: u32,
    /// `acquire_timeout=SECS`: waiting for a connection, and reaching the
    /// server on open.
    pub acquire_timeout: Duration,
    /// `idle_timeout=SECS`: idle connections are closed after this.
    pub idle_timeout: Option<Duration>,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_PG_MAX_CONNECTIONS,
            min_connections: 0,
            acquire_timeout: DEFAULT_ACQUIRE_TIMEOUT,
            idle_timeout: Some(Duration::from_secs(600)),
        }
    }
}

impl PoolSettings {
    /// The pool options these settings describe.
    pub fn pool_options(&self) -> PgPoolOptions {
        PgPoolOptions::new()
            .max_connections(self.max_connections.max(1))
            .min_connections(self.min_connections.min(self.max_connections.max(1)))
            .acquire_timeout(self.acquire_timeout)
            .idle_timeout(self.idle_timeout)
    }
}

const OWN_PARAMS: [&str; 4] = [
    "max_connections",
    "min_connections",
    "acquire_timeout",
    "idle_timeout",
];

/// Splits a `postgres://` / `postgresql://` URL into sqlx's connect options
/// and carebase's pool settings. Errors never echo the URL (it may hold a
/// password).
pub fn parse_url(url: &str) -> Result<(PgConnectOptions, PoolSettings)> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(Error::UnsupportedStore {
            scheme: crate::sqlite::scheme_of(url).to_owned(),
        });
    }
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut settings = PoolSettings::default();
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if !OWN_PARAMS.contains(&key) {
            rest.push(pair);
            continue;
        }
        let number: u64 = value
            .parse()
            .map_err(|_| Error::storage(format!("invalid {key} in the postgres url")))?;
        let count = || {
            u32::try_from(number)
                .map_err(|_| Error::storage(format!("invalid {key} in the postgres url")))
        };
        match key {
            "max_connections" => settings.max_connections = count()?.max(1),
            "min_connections" => settings.min_connections = count()?,
            "acquire_timeout" => settings.acquire_timeout = Duration::from_secs(number),
            _ => {
                settings.idle_timeout = (number > 0).then(|| Duration::from_secs(number));
            }
        }
    }
    let url = if rest.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    let options =
        PgConnectOptions::from_str(&url).map_err(|_| Error::storage("invalid postgres url"))?;
    Ok((options, settings))
}

/// Refuses a database written by a newer carebase: when `_sqlx_migrations`
/// (in the connection's `search_path`) holds a version this build does not
/// embed, opening fails before any migration runs.
async fn newer_schema(pool: &PgPool, migrator: &sqlx::migrate::Migrator) -> Result<()> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await
        .map_err(db_error("newer_schema"))?;
    if !exists {
        return Ok(());
    }
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
        .fetch_all(pool)
        .await
        .map_err(db_error("newer_schema"))?;
    crate::sqlite::check_schema_versions("postgres", &applied, migrator)
}

/// The PostgreSQL backend.
pub struct PostgresStore {
    pool: PgPool,
    practitioners: PractitionerCache,
    audit_key: std::sync::RwLock<AuditKey>,
}

impl PostgresStore {
    /// Opens `postgres://user:pass@host:port/db?max_connections=16&acquire_timeout=5`
    /// (or `postgresql://…`) and applies pending migrations. Pool parameters
    /// are carebase's ([`PoolSettings`]); other parameters (e.g. `sslmode`,
    /// `options`) go to the driver. An unreachable server or a failed login
    /// is [`Error::Storage`] after at most `acquire_timeout`.
    pub async fn open(url: &str) -> Result<Self> {
        let (options, settings) = parse_url(url)?;
        Self::connect(options, settings.pool_options()).await
    }

    /// Connects with explicit options (e.g. a test's `search_path`) and
    /// applies pending migrations.
    pub async fn connect(options: PgConnectOptions, pool: PgPoolOptions) -> Result<Self> {
        // Every read is a short keyset page (LIMIT ≤ a page + 1): parallel
        // workers only add their start-up (tens of milliseconds on a busy
        // server) — measured on a 1,000,000-patient name search, a Gather
        // Merge page took 38 ms where the same plan alone took 2.6 ms.
        let options = options.options([("max_parallel_workers_per_gather", "0")]);
        let pool = match pool.connect_with(options).await {
            Ok(pool) => pool,
            Err(sqlx::Error::PoolTimedOut) => return Err(error::unreachable("connect")),
            Err(e) => return Err(db_error("connect")(e)),
        };
        let migrator = sqlx::migrate!("./migrations/postgres");
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
        Ok(Self {
            pool,
            practitioners: PractitionerCache::default(),
            audit_key: std::sync::RwLock::new(AuditKey::development()),
        })
    }

    /// The connection pool, for hosts and tests that need raw SQL access.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection; later calls fail with a storage error.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// One READ COMMITTED transaction through core's driver; any failure
/// rolls it all back.
async fn apply_once(pool: &PgPool, changes: ChangeSet, key: &AuditKey) -> Result<Applied> {
    let mut tx = pool.begin().await.map_err(db_error("apply_once"))?;
    match apply_changes(&mut Tx::new(&mut tx), changes, key).await {
        Ok(applied) => {
            tx.commit().await.map_err(db_error("apply_once"))?;
            Ok(applied)
        }
        Err(e) => {
            // The rule's error is what the caller needs; a failing rollback
            // (e.g. a lost connection) still leaves nothing committed.
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

/// One write transaction: what core's driver writes through, one primitive
/// per kind of write, implemented in each concern's module. The second
/// field, when set, collects the events instead of appending them: a batch
/// round appends all of its change sets' events at its end (`batch.rs`).
pub(crate) struct Tx<'c>(&'c mut PgConnection, Option<&'c mut Vec<EventDraft>>);

impl<'c> Tx<'c> {
    /// A transaction that writes everything, events included, as it goes.
    pub(crate) fn new(conn: &'c mut PgConnection) -> Self {
        Self(conn, None)
    }

    /// A transaction whose events are collected into `events` (answered
    /// with sequence number 0) for the caller to append later in the same
    /// transaction.
    pub(crate) fn deferring_events(
        conn: &'c mut PgConnection,
        events: &'c mut Vec<EventDraft>,
    ) -> Self {
        Self(conn, Some(events))
    }
}

#[async_trait]
impl Transaction for Tx<'_> {
    /// `FOR KEY SHARE` holds the row against deletion (or a key change)
    /// until this transaction ends, the lock a foreign key takes, so no
    /// concurrent writer can leave the stored id dangling.
    async fn exists(&mut self, reference: &Reference) -> Result<bool> {
        let (table, key) = match reference.kind {
            ReferenceKind::Patient => ("patients", "patient_id"),
            ReferenceKind::Practitioner => ("practitioners", "id"),
            ReferenceKind::Resource => ("resources", "id"),
            ReferenceKind::VisitType => ("visit_types", "id"),
        };
        let sql = format!("SELECT 1 FROM {table} WHERE {key} = $1 FOR KEY SHARE");
        let found: Option<i32> = sqlx::query_scalar(&sql)
            .bind(reference.id)
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

/// Whether `error` is PostgreSQL refusing a duplicate key of `constraint`.
pub(crate) fn is_unique_violation(error: &sqlx::Error, constraint: &str) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            db.kind() == sqlx::error::ErrorKind::UniqueViolation
                && db.constraint() == Some(constraint)
        }
        _ => false,
    }
}

/// Runs one statement without results (savepoints, locks).
pub(crate) async fn exec(conn: &mut PgConnection, sql: &str) -> Result<()> {
    sqlx::query(sql)
        .execute(&mut *conn)
        .await
        .map_err(db_error("exec"))?;
    Ok(())
}

#[async_trait]
impl Store for PostgresStore {
    /// Applies `changes` atomically. A transaction PostgreSQL aborted to
    /// break a deadlock or a serialization conflict (40P01, 40001) wrote
    /// nothing, so it is tried again under [`TRANSACTION_RETRY`]: two bookers inserting overlapping appointments at the same instant
    /// wait on each other in the exclusion constraint, and the one
    /// PostgreSQL aborts should then find the winner committed and answer
    /// `double_booking`.
    async fn apply(&self, changes: ChangeSet) -> Result<Applied> {
        // A poisoned lock still holds a whole key (it is only ever replaced).
        let key = self
            .audit_key
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        TRANSACTION_RETRY
            .run(|| apply_once(&self.pool, changes.clone(), &key))
            .await
    }

    /// One transaction for the whole round, a savepoint per change set
    /// (`batch.rs`); when that transaction cannot be kept (a lost race, a
    /// lost connection), nothing of it is written and each change set is
    /// applied on its own, with `apply`'s retries.
    async fn apply_each(&self, change_sets: Vec<ChangeSet>) -> Vec<Result<Applied>> {
        let key = self
            .audit_key
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(answers) = batch::apply_in_savepoints(&self.pool, &change_sets, &key).await {
            return answers;
        }
        let mut answers = Vec::with_capacity(change_sets.len());
        for changes in change_sets {
            answers.push(self.apply(changes).await);
        }
        answers
    }

    fn use_audit_key(&self, key: AuditKey) {
        *self.audit_key.write().unwrap_or_else(|e| e.into_inner()) = key;
    }

    /// The `clinical_blobs` table of the same database.
    fn blobs(&self) -> Option<std::sync::Arc<dyn carebase::store::BlobStore>> {
        Some(std::sync::Arc::new(PostgresBlobs::new(self.pool.clone())))
    }
}
