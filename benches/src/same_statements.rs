//! Baselines that run carebase's exact SQLite statements on carebase's own
//! schema, with no domain logic: the physical limit carebase is measured
//! against (issue 12, "honest benches").
//!
//! The statement lists below are written once, each line naming the
//! carebase-storage function that runs it; the test
//! `benches/tests/same_statements.rs` captures what carebase really executes
//! (through [`crate::capture`]) and checks it against these lists, so they
//! cannot drift. The rows written have carebase's shapes: UUIDv7 ids in
//! hyphenated text, RFC 3339 instants with nine fraction digits, details and
//! search keys as the same JSON, `v2:key:hex` audit hashes of the same
//! length (a SHA-256 here, an HMAC in carebase).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use carebase::patient::normalize::search_keys;
use carebase::patient::PatientDetails;
use chrono::{SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use sha2::{Digest, Sha256};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Row;
use uuid::Uuid;

use crate::Result;

/// `SqliteStore`'s writer (storage/src/sqlite/engine.rs): one group commit.
const BEGIN: &str = "BEGIN IMMEDIATE";
/// engine.rs `run_job`: each change set in its own savepoint.
const SAVEPOINT: &str = "SAVEPOINT job";
/// engine.rs `run_job`: the change set succeeded.
const RELEASE: &str = "RELEASE job";
/// engine.rs: the group commit.
const COMMIT: &str = "COMMIT";
/// patients.rs `insert_patient`.
const INSERT_PATIENT: &str = "INSERT INTO patients (id, version, active, merged_into, created_at, updated_at, gender, birth_date, details, search_keys) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
/// audit.rs `heads_of`: the chain's head before appending.
const SELECT_HEAD: &str = "SELECT chain, seq, hash FROM audit_heads WHERE chain IN (?)";
/// audit.rs `insert_entries` (one entry: one row).
const INSERT_AUDIT: &str = "INSERT INTO audit_entries (id, patient_id, chain_seq, at, actor_id, roles, action, outcome, reason, break_glass, subject, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
/// audit.rs `upsert_heads` on `audit_heads`.
const UPSERT_HEAD: &str = "INSERT INTO audit_heads (chain, seq, hash) VALUES (?, ?, ?) ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash";
/// outbox.rs `append_events`.
const INSERT_EVENT: &str = "INSERT INTO outbox_events (id, kind, schema_version, patient_id, payload, idempotency_key, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq";
/// access.rs `break_glass_grants` (the policy's grants of actor on patient).
const SELECT_GRANTS: &str = "SELECT id, patient_id, actor_id, reason, granted_at, expires_at, reviewed_by, reviewed_at, review_note FROM break_glass_grants WHERE actor_id = ? AND patient_id = ? ORDER BY id DESC";
/// patients.rs `PatientStore::patient`.
const SELECT_PATIENT: &str = "SELECT p.id, p.version, p.active, p.merged_into, p.created_at, p.updated_at, p.details FROM patients p WHERE p.id = ?";

/// What `register_patient` executes, in order (trigger bodies excluded).
pub const REGISTER_STATEMENTS: &[&str] = &[
    BEGIN,
    SAVEPOINT,
    INSERT_PATIENT,
    SELECT_HEAD,
    INSERT_AUDIT,
    UPSERT_HEAD,
    INSERT_EVENT,
    RELEASE,
    COMMIT,
];

/// What `get_patient` executes, in order: two reads on a read connection,
/// then the read's audit entry through the writer.
pub const GET_PATIENT_STATEMENTS: &[&str] = &[
    SELECT_GRANTS,
    SELECT_PATIENT,
    BEGIN,
    SAVEPOINT,
    SELECT_HEAD,
    INSERT_AUDIT,
    UPSERT_HEAD,
    RELEASE,
    COMMIT,
];

/// All-zero previous hash of a chain's first entry.
const ZERO_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Audit hash prefix with a key id of carebase's length.
const HASH_PREFIX: &str = "v2:0000000000000000:";
/// Roles of the front-desk actor, as carebase stores them.
const ROLES: &str = r#"["front_desk"]"#;
/// Reason the policy gives front desk, as carebase stores it.
const REASON: &str = "rule front-desk-demographics";

fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn new_id() -> String {
    Uuid::now_v7().hyphenated().to_string()
}

/// One audit entry's columns (the entry appended to a patient's chain).
struct AuditRow {
    id: String,
    patient: String,
    seq: i64,
    at: String,
    actor: String,
    action: &'static str,
    prev_hash: String,
    hash: String,
}

impl AuditRow {
    fn new(patient: &str, actor: &str, action: &'static str, head: Option<(i64, String)>) -> Self {
        let (seq, prev_hash) = match head {
            Some((seq, hash)) => (seq + 1, hash),
            None => (1, ZERO_HASH.to_owned()),
        };
        let (id, at) = (new_id(), now_text());
        let mut hasher = Sha256::new();
        for field in [&id, patient, &at, actor, ROLES, action, REASON, &prev_hash] {
            hasher.update(field.as_bytes());
            hasher.update([0]);
        }
        hasher.update(seq.to_be_bytes());
        let hash = format!("{HASH_PREFIX}{}", hex::encode(hasher.finalize()));
        Self {
            id,
            patient: patient.to_owned(),
            seq,
            at,
            actor: actor.to_owned(),
            action,
            prev_hash,
            hash,
        }
    }
}

/// The columns a registration writes, computed as carebase formats them.
struct RegisterRow {
    id: String,
    at: String,
    gender: Option<&'static str>,
    birth_date: Option<String>,
    details: String,
    keys: String,
    event_id: String,
    payload: String,
    idempotency_key: String,
}

impl RegisterRow {
    fn new(details: &PatientDetails) -> Result<Self> {
        let id = new_id();
        let now = Utc::now();
        let at = now.to_rfc3339_opts(SecondsFormat::Nanos, true);
        let keys = search_keys(details, None);
        let identifiers: Vec<[&str; 2]> = details
            .identifiers
            .iter()
            .map(|i| [i.system.as_str(), i.value.as_str()])
            .collect();
        let keys = serde_json::json!({
            "identifiers": identifiers,
            "tokens": keys.name_tokens,
            "phones": keys.phones,
            "emails": keys.emails,
        })
        .to_string();
        let payload = serde_json::json!({
            "patient_id": id,
            "version": 1,
            "registered_at": now.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        })
        .to_string();
        Ok(Self {
            idempotency_key: format!("patient.registered:{id}:1"),
            gender: details.gender.map(|g| g.as_str()),
            birth_date: details.birth_date.map(|d| d.format("%Y-%m-%d").to_string()),
            details: serde_json::to_string(details)?,
            keys,
            event_id: new_id(),
            payload,
            at,
            id,
        })
    }
}

/// Opens a connection as carebase-storage does: WAL, `synchronous =
/// NORMAL`, foreign keys on, 5 s busy timeout, statement journals in
/// memory (`temp_store = MEMORY`, the writer's setting).
fn connect(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
         PRAGMA temp_store = MEMORY;",
    )?;
    Ok(conn)
}

/// rusqlite running [`REGISTER_STATEMENTS`] and [`GET_PATIENT_STATEMENTS`]
/// with cached prepared statements on a file carebase migrated: one write
/// connection, one read connection (as carebase reads on its pool).
pub struct RusqliteSameStatements {
    writer: Connection,
    reader: Connection,
    actor: String,
}

impl RusqliteSameStatements {
    /// Opens the carebase file at `path` (already migrated by carebase and
    /// closed by it).
    pub fn open(path: &Path) -> Result<Self> {
        Ok(Self {
            writer: connect(path)?,
            reader: connect(path)?,
            actor: new_id(),
        })
    }

    fn run(&self, sql: &str) -> Result<()> {
        self.writer.prepare_cached(sql)?.execute([])?;
        Ok(())
    }

    fn append_audit(&self, patient: &str, action: &'static str) -> Result<()> {
        let head = self
            .writer
            .prepare_cached(SELECT_HEAD)?
            .query_row([patient], |r| {
                Ok((r.get::<_, i64>(1)?, r.get::<_, String>(2)?))
            })
            .optional()?;
        let a = AuditRow::new(patient, &self.actor, action, head);
        self.writer
            .prepare_cached(INSERT_AUDIT)?
            .execute(rusqlite::params![
                a.id,
                a.patient,
                a.seq,
                a.at,
                a.actor,
                ROLES,
                a.action,
                "success",
                REASON,
                None::<String>,
                None::<String>,
                a.prev_hash,
                a.hash,
            ])?;
        self.writer
            .prepare_cached(UPSERT_HEAD)?
            .execute(rusqlite::params![a.patient, a.seq, a.hash])?;
        Ok(())
    }

    fn register_in_transaction(&self, details: &PatientDetails) -> Result<String> {
        let r = RegisterRow::new(details)?;
        self.writer
            .prepare_cached(INSERT_PATIENT)?
            .execute(rusqlite::params![
                r.id,
                1,
                1,
                None::<String>,
                r.at,
                r.at,
                r.gender,
                r.birth_date,
                r.details,
                r.keys,
            ])?;
        self.append_audit(&r.id, "patient.register")?;
        self.writer.prepare_cached(INSERT_EVENT)?.query_row(
            rusqlite::params![
                r.event_id,
                "patient.registered",
                1,
                r.id,
                r.payload,
                r.idempotency_key,
                r.at,
            ],
            |row| row.get::<_, i64>(0),
        )?;
        Ok(r.id)
    }

    /// Registers one patient in one transaction; answers its id.
    pub fn register(&self, details: &PatientDetails) -> Result<String> {
        self.run(BEGIN)?;
        self.run(SAVEPOINT)?;
        let id = self.register_in_transaction(details)?;
        self.run(RELEASE)?;
        self.run(COMMIT)?;
        Ok(id)
    }

    /// Registers every patient of `batch` in ONE transaction, each in its
    /// own savepoint (as carebase's writer applies a batch).
    pub fn register_many(&self, batch: &[PatientDetails]) -> Result<()> {
        self.run(BEGIN)?;
        for details in batch {
            self.run(SAVEPOINT)?;
            self.register_in_transaction(details)?;
            self.run(RELEASE)?;
        }
        self.run(COMMIT)
    }

    /// Profiling hook: the write connection's automatic checkpoint, in WAL
    /// pages (SQLite's default 1,000; 0 turns it off).
    pub fn set_wal_autocheckpoint(&self, pages: u32) -> Result<()> {
        self.writer
            .pragma_update(None, "wal_autocheckpoint", pages)?;
        Ok(())
    }

    /// Reads one patient (grants checked, row read) and writes the read's
    /// audit entry in its own transaction; answers the details JSON.
    pub fn get_patient(&self, id: &str) -> Result<String> {
        let grants = self
            .reader
            .prepare_cached(SELECT_GRANTS)?
            .query_map([&self.actor, id], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        std::hint::black_box(grants);
        let details = self
            .reader
            .prepare_cached(SELECT_PATIENT)?
            .query_row([id], |r| r.get::<_, String>(6))?;
        self.run(BEGIN)?;
        self.run(SAVEPOINT)?;
        self.append_audit(id, "patient.read")?;
        self.run(RELEASE)?;
        self.run(COMMIT)?;
        Ok(details)
    }
}

/// sqlx-sqlite running the same statements on a file carebase migrated:
/// one write connection and one read connection, sqlx's statement cache.
pub struct SqlxSameStatements {
    writer: SqlitePool,
    reader: SqlitePool,
    actor: String,
}

impl SqlxSameStatements {
    /// Opens the carebase file at `path` (already migrated and closed).
    pub async fn open(path: &Path) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(&crate::sqlite_url(path))?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .pragma("temp_store", "MEMORY")
            .busy_timeout(Duration::from_secs(5));
        let pool = || {
            SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone())
        };
        Ok(Self {
            writer: pool().await?,
            reader: pool().await?,
            actor: new_id(),
        })
    }

    async fn append_audit(
        conn: &mut sqlx::SqliteConnection,
        actor: &str,
        patient: &str,
        action: &'static str,
    ) -> Result<()> {
        let head = sqlx::query(SELECT_HEAD)
            .bind(patient)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| -> std::result::Result<_, sqlx::Error> {
                Ok((r.try_get::<i64, _>(1)?, r.try_get::<String, _>(2)?))
            })
            .transpose()?;
        let a = AuditRow::new(patient, actor, action, head);
        sqlx::query(INSERT_AUDIT)
            .bind(&a.id)
            .bind(&a.patient)
            .bind(a.seq)
            .bind(&a.at)
            .bind(&a.actor)
            .bind(ROLES)
            .bind(a.action)
            .bind("success")
            .bind(REASON)
            .bind(None::<String>)
            .bind(None::<String>)
            .bind(&a.prev_hash)
            .bind(&a.hash)
            .execute(&mut *conn)
            .await?;
        sqlx::query(UPSERT_HEAD)
            .bind(&a.patient)
            .bind(a.seq)
            .bind(&a.hash)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    async fn run(conn: &mut sqlx::SqliteConnection, sql: &str) -> Result<()> {
        sqlx::query(sql).execute(conn).await?;
        Ok(())
    }

    /// Registers one patient in one transaction; answers its id.
    pub async fn register(&self, details: &PatientDetails) -> Result<String> {
        let r = RegisterRow::new(details)?;
        let mut conn = self.writer.acquire().await?;
        Self::run(&mut conn, BEGIN).await?;
        Self::run(&mut conn, SAVEPOINT).await?;
        sqlx::query(INSERT_PATIENT)
            .bind(&r.id)
            .bind(1_i64)
            .bind(1_i64)
            .bind(None::<String>)
            .bind(&r.at)
            .bind(&r.at)
            .bind(r.gender)
            .bind(&r.birth_date)
            .bind(&r.details)
            .bind(&r.keys)
            .execute(&mut *conn)
            .await?;
        Self::append_audit(&mut conn, &self.actor, &r.id, "patient.register").await?;
        sqlx::query(INSERT_EVENT)
            .bind(&r.event_id)
            .bind("patient.registered")
            .bind(1_i64)
            .bind(&r.id)
            .bind(&r.payload)
            .bind(&r.idempotency_key)
            .bind(&r.at)
            .fetch_one(&mut *conn)
            .await?;
        Self::run(&mut conn, RELEASE).await?;
        Self::run(&mut conn, COMMIT).await?;
        Ok(r.id)
    }

    /// Reads one patient and writes the read's audit entry; answers the
    /// details JSON.
    pub async fn get_patient(&self, id: &str) -> Result<String> {
        let mut reader = self.reader.acquire().await?;
        let grants = sqlx::query(SELECT_GRANTS)
            .bind(&self.actor)
            .bind(id)
            .fetch_all(&mut *reader)
            .await?;
        std::hint::black_box(grants);
        let details: String = sqlx::query(SELECT_PATIENT)
            .bind(id)
            .fetch_one(&mut *reader)
            .await?
            .try_get(6)?;
        drop(reader);
        let mut conn = self.writer.acquire().await?;
        Self::run(&mut conn, BEGIN).await?;
        Self::run(&mut conn, SAVEPOINT).await?;
        Self::append_audit(&mut conn, &self.actor, id, "patient.read").await?;
        Self::run(&mut conn, RELEASE).await?;
        Self::run(&mut conn, COMMIT).await?;
        Ok(details)
    }
}

impl SqlxSameStatements {
    /// Closes both pools.
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}
