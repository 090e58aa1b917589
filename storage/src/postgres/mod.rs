//! [`PostgresStore`]: the service backend, with the same semantics as
//! [`carebase::MemoryStore`] and the SQLite store — enforced by PostgreSQL
//! itself, so any number of processes may share one database.
//!
//! Writes: each change set is one READ COMMITTED transaction whose
//! preconditions are constraints and row locks (see `write.rs`); there is no
//! in-process writer lock. Reads: single statements on pooled connections.

mod audit;
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
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

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

use crate::schedule::PractitionerCache;

/// Connections in the pool unless the URL says `max_connections=N`.
pub const DEFAULT_PG_MAX_CONNECTIONS: u32 = 10;

/// How long a request waits for a pooled connection (and how long `open`
/// tries to reach the server) unless the URL says `acquire_timeout=SECS`.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The key of the transaction-scoped advisory lock (`pg_advisory_xact_lock`)
/// that outbox writers hold from their event insert until commit, so
/// sequence numbers become visible in order ("carebase" in ASCII). Other
/// software sharing the database must not use this key.
pub const OUTBOX_LOCK: i64 = 0x6361_7265_6261_7365;

/// Maps every sqlx failure to [`Error::Storage`]: the one place that decides
/// what a PostgreSQL error says. Messages carry the SQLSTATE and the names
/// of the constraint/table involved, never PostgreSQL's message text (it can
/// quote values, e.g. an invalid input) nor the connection URL.
pub(crate) fn db_error(error: sqlx::Error) -> Error {
    Error::storage_of(kind_of(&error), describe(&error))
}

/// What a host can do about a failure: retry a lost race, wait for the
/// server, or read the message.
fn kind_of(error: &sqlx::Error) -> StorageKind {
    match error {
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("40001" | "40P01") => StorageKind::Retryable,
            Some(c) if c.starts_with("08") || c.starts_with("57P") => StorageKind::Unavailable,
            _ => StorageKind::Other,
        },
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) => StorageKind::Unavailable,
        sqlx::Error::PoolTimedOut => StorageKind::Retryable,
        sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => StorageKind::Closed,
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => StorageKind::Corrupt,
        _ => StorageKind::Other,
    }
}

fn describe(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            let kind = match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => "unique violation",
                sqlx::error::ErrorKind::ForeignKeyViolation => "foreign key violation",
                sqlx::error::ErrorKind::NotNullViolation => "not-null violation",
                sqlx::error::ErrorKind::CheckViolation => "check violation",
                _ => match code.as_str() {
                    "40001" => "serialization failure",
                    "40P01" => "deadlock detected",
                    "57014" => "statement cancelled",
                    c if c.starts_with("08") || c.starts_with("57P") => "connection failure",
                    c if c.starts_with("28") => "authentication failed",
                    "3D000" => "database does not exist",
                    _ => "database error",
                },
            };
            let mut text = format!("postgres {kind} (sqlstate {code})");
            if let Some(table) = db.table() {
                text.push_str(&format!(" on table {table}"));
            }
            if let Some(constraint) = db.constraint() {
                text.push_str(&format!(" constraint {constraint}"));
            }
            text
        }
        sqlx::Error::Io(io) => format!("postgres connection failure: i/o error: {}", io.kind()),
        sqlx::Error::Tls(_) => "postgres connection failure: tls error".into(),
        sqlx::Error::Protocol(_) => "postgres protocol error".into(),
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
        .map_err(db_error)?;
    if !exists {
        return Ok(());
    }
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
    crate::sqlite::check_schema_versions(&applied, migrator)
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
        let pool = pool.connect_with(options).await.map_err(db_error)?;
        let migrator = sqlx::migrate!("./migrations/postgres");
        let migrated = match newer_schema(&pool, &migrator).await {
            Ok(()) => migrator.run(&pool).await.map_err(|e| db_error(e.into())),
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

#[async_trait]
impl Store for PostgresStore {
    async fn apply(&self, changes: ChangeSet) -> Result<Applied> {
        // A poisoned lock still holds a whole key (it is only ever replaced).
        let key = self
            .audit_key
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
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
