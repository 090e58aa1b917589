//! [`SqliteStore`]: the embedded default backend, one SQLite file (or an
//! in-memory database) holding everything, with the same semantics as
//! [`carebase::MemoryStore`], through rusqlite on the bundled SQLite.
//!
//! Writes: the write connection is taken in turns and applies change sets
//! in group commits (`engine`): a caller that finds it idle runs its change
//! set on its own thread, those that arrive while it is busy share ONE
//! `BEGIN IMMEDIATE` transaction, each in its own savepoint, and every
//! caller is answered after the commit. Other processes are covered
//! by `busy_timeout`. Reads: single statements on pooled read connections
//! on the caller's thread (WAL lets them run beside the writer); prepared
//! statements are cached per connection.
//!
//! Locks: on Linux and Android SQLite's file locks are open file description
//! locks (`locks`), so a host's own SQLite in the process can read the file
//! without breaking them or deleting the WAL (`docs/sqlite-file.md`).
//!
//! One module per concern (`patients`, `access`, `audit`, `scheduling`,
//! `outbox`) implements that concern's reads on [`SqliteStore`] and its
//! write primitives on [`Tx`]; core's driver
//! ([`carebase::store::apply_changes`], run by [`carebase::store::apply_now`]
//! on the thread that holds the write connection's turn) calls them in its
//! order.

mod access;
mod audit;
mod engine;
mod error;
mod locks;
mod migrate;
mod outbox;
mod patients;
mod record;
mod rows;
mod scheduling;

use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Params, Row};

use crate::schedule::PractitionerCache;

use carebase::audit::AuditKey;
use carebase::patient::PatientSearch;
use carebase::store::{apply_now, Applied, ChangeSet, Reference, ReferenceKind, Transaction};
use carebase::{ConflictDetail, Error, Result, StorageKind, Store};

pub(crate) use error::{db_error, is_unique_violation};
use rows::id_text;

/// Read connections a file database keeps open between reads.
pub const DEFAULT_MAX_CONNECTIONS: u32 = engine::READ_CONNECTIONS as u32;

/// How long a writer waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements each connection keeps (the store's statements,
/// with room for the search's variants).
const STATEMENT_CACHE: usize = 256;

/// Page cache of the write connection, in KiB (SQLite's default is 2 MiB):
/// a search page's audit entries touch a few random pages per patient (its
/// chain's entries, their patient index, its head), and the b-trees' inner
/// pages they pass through stay cached.
const WRITE_CACHE_KIB: i64 = 32 * 1024;

/// Page cache of each read connection, in KiB: the inner pages of the
/// search indexes and of `patients` stay cached between searches.
const READ_CACHE_KIB: i64 = 8 * 1024;

/// Where a store URL points.
struct Target {
    /// A path, or a `file:` URI when the URL carried parameters.
    name: String,
    /// Whether the database lives in memory (one connection only).
    memory: bool,
    /// The database file's path (no URI parameters), for the blob folder.
    file: Option<std::path::PathBuf>,
}

/// Reads a database URL: `sqlite::memory:`, `sqlite://path` or
/// `sqlite:path`, optionally with SQLite URI parameters after `?`.
fn target_of(url: &str) -> Result<Target> {
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
    if memory {
        return Ok(Target {
            name: ":memory:".into(),
            memory,
            file: None,
        });
    }
    let name = if params.is_empty() {
        path.to_owned()
    } else {
        // A URI: the characters that end or escape a URI path are escaped.
        let path = path
            .replace('%', "%25")
            .replace('?', "%3f")
            .replace('#', "%23");
        format!("file:{path}?{params}")
    };
    Ok(Target {
        name,
        memory,
        file: Some(path.into()),
    })
}

/// Opens one connection with the store's settings: foreign keys on, the
/// busy timeout, and for a file WAL with `synchronous = NORMAL`.
fn connect(target: &Target, writer: bool) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(&target.name, flags).map_err(db_error("connect"))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(db_error("connect"))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    let mut pragmas = String::from("PRAGMA foreign_keys = ON;");
    if !target.memory {
        if writer {
            // The checkpointer thread copies the WAL back; the automatic
            // checkpoint is only a safety net for when it cannot run. A WAL
            // grown past its usual size is cut back when it restarts.
            pragmas.push_str(&format!(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = {SAFETY_NET_CHECKPOINT_PAGES}; \
                 PRAGMA journal_size_limit = {};",
                engine::wal_size_limit(engine::RESTART_AFTER_FRAMES)
            ));
        }
        pragmas.push_str("PRAGMA synchronous = NORMAL;");
        let cache = if writer {
            WRITE_CACHE_KIB
        } else {
            READ_CACHE_KIB
        };
        pragmas.push_str(&format!("PRAGMA cache_size = -{cache};"));
    }
    conn.execute_batch(&pragmas).map_err(db_error("connect"))?;
    Ok(conn)
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
/// 4 KiB pages); normally the checkpointer restarts the WAL long before
/// (`engine::RESTART_AFTER_FRAMES`).
const SAFETY_NET_CHECKPOINT_PAGES: u32 = 16000;

/// Fails when `applied` (the versions a database records) holds one that
/// `known` (this build's) lacks: a newer carebase wrote this database, and
/// migrating or using it could corrupt it.
pub(crate) fn refuse_newer(backend: &'static str, applied: &[i64], known: &[i64]) -> Result<()> {
    let newest = known.iter().copied().max().unwrap_or(0);
    let unknown = applied.iter().copied().filter(|v| !known.contains(v)).max();
    match unknown {
        Some(version) => Err(crate::failure::report(crate::failure::Failure {
            backend,
            operation: "open",
            kind: StorageKind::SchemaTooNew,
            code: String::new(),
            cause: "schema_version",
            message: format!(
                "database schema version {version} is newer than this carebase (knows up to {newest})"
            ),
        })),
        None => Ok(()),
    }
}

/// [`refuse_newer`] against a sqlx migrator's versions (PostgreSQL's).
#[cfg(feature = "postgres")]
pub(crate) fn check_schema_versions(
    backend: &'static str,
    applied: &[i64],
    migrator: &sqlx::migrate::Migrator,
) -> Result<()> {
    let known: Vec<i64> = migrator.iter().map(|m| m.version).collect();
    refuse_newer(backend, applied, &known)
}

/// Every row `sql` returns, read by `read`, on a cached statement.
pub(crate) fn rows<T>(
    conn: &Connection,
    operation: &'static str,
    sql: &str,
    params: impl Params,
    read: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let mut statement = conn.prepare_cached(sql).map_err(db_error(operation))?;
    let found = statement
        .query_map(params, read)
        .map_err(db_error(operation))?;
    found
        .collect::<rusqlite::Result<Vec<T>>>()
        .map_err(db_error(operation))
}

/// The first row `sql` returns, if any, on a cached statement.
pub(crate) fn first<T>(
    conn: &Connection,
    operation: &'static str,
    sql: &str,
    params: impl Params,
    read: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Option<T>> {
    let mut statement = conn.prepare_cached(sql).map_err(db_error(operation))?;
    statement
        .query_row(params, read)
        .optional()
        .map_err(db_error(operation))
}

/// Runs a statement on a cached statement; the driver's error is handed
/// back as is, for callers that tell constraint failures apart.
pub(crate) fn execute(
    conn: &Connection,
    sql: &str,
    params: impl Params,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

/// Statement parameters built at run time (searches, multi-row inserts).
pub(crate) type Values = Vec<rusqlite::types::Value>;

/// A text parameter.
pub(crate) fn text(value: impl Into<String>) -> rusqlite::types::Value {
    rusqlite::types::Value::Text(value.into())
}

/// An optional text parameter (NULL when absent).
pub(crate) fn opt_text(value: Option<impl Into<String>>) -> rusqlite::types::Value {
    value.map_or(rusqlite::types::Value::Null, text)
}

/// The SQLite backend.
pub struct SqliteStore {
    engine: engine::Engine,
    /// Documents' bytes: files beside the database, memory beside memory.
    blobs: std::sync::Arc<dyn carebase::store::BlobStore>,
    practitioners: PractitionerCache,
    audit_key: std::sync::RwLock<AuditKey>,
}

impl SqliteStore {
    /// Opens `sqlite::memory:`, `sqlite://path/to/file.db` or `sqlite:path`
    /// and applies pending migrations. A file is created when missing and
    /// runs in WAL mode with `synchronous = NORMAL`, foreign keys on and a
    /// 5 s busy timeout. An in-memory database lives as long as the store.
    pub async fn open(url: &str) -> Result<Self> {
        let target = target_of(url)?;
        // Before the first connection: locks no other SQLite copy can break.
        locks::install();
        let mut write = connect(&target, true)?;
        let blobs: std::sync::Arc<dyn carebase::store::BlobStore> = match &target.file {
            Some(file) => std::sync::Arc::new(crate::blobs::FileBlobs::open_beside(file)?),
            None => std::sync::Arc::new(carebase::store::memory::MemoryBlobs::new()),
        };
        migrate::run(&mut write)?;
        // Each change set runs in a savepoint of its group's transaction,
        // whose statement journal SQLite spills to a new temporary file
        // past 64 KiB: a booking, a registration with its keys, audit and
        // event, or a search page of 20 to 50 audited patients (60 to 150
        // pages) crosses it, and the spill cost more CPU than the inserts.
        // In memory it is bounded by the batch and freed at each RELEASE.
        // Set after the migrations, so an index they build sorts on disk.
        write
            .execute_batch("PRAGMA temp_store = MEMORY;")
            .map_err(db_error("connect"))?;
        let open_reader: Option<engine::Opener> = if target.memory {
            None
        } else {
            Some(Box::new(move || connect(&target, false)))
        };
        Ok(Self {
            engine: engine::Engine::start(write, open_reader)?,
            blobs,
            practitioners: PractitionerCache::default(),
            audit_key: std::sync::RwLock::new(AuditKey::development()),
        })
    }

    /// Closes every connection (after the writes already queued); later
    /// calls fail with a `closed` storage error.
    pub async fn close(&self) {
        self.engine.close();
    }

    /// Runs `read` on a read connection (the writer's, in memory).
    pub(crate) fn read<T>(
        &self,
        operation: &'static str,
        read: impl FnOnce(&Connection) -> Result<T>,
    ) -> Result<T> {
        self.engine.read(operation, read)
    }

    /// Runs `work` on the writer, in the next group commit (in a savepoint of
    /// its own), answering after the commit.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.engine.write(operation, work).await
    }

    /// Runs raw SQL on the writer's connection, inside a write transaction
    /// (for tests and tools that look or reach under the store).
    #[doc(hidden)]
    pub async fn with_connection<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T> {
        self.write("with_connection", move |conn| {
            work(&*conn).map_err(db_error("with_connection"))
        })
        .await
    }

    /// Bench hook: every COMMIT syncs the WAL to disk (`synchronous =
    /// FULL`), where group commit saves one sync per batch; the store's
    /// setting stays `NORMAL`.
    #[doc(hidden)]
    pub fn sync_every_commit(&self) -> Result<()> {
        self.engine
            .between_batches(|conn| conn.execute_batch("PRAGMA synchronous = FULL"))
    }

    /// Write transactions committed since the store opened (a test sees
    /// change sets grouped).
    #[doc(hidden)]
    pub fn write_transactions(&self) -> u64 {
        self.engine.commits()
    }

    /// Test hook: while held, the writer waits before each COMMIT, so a
    /// test can see callers unanswered until their transaction commits.
    #[doc(hidden)]
    pub fn hold_commits(&self, hold: bool) {
        self.engine.hold_commits(hold);
    }

    /// Test hook: how long a batch keeps adding queued change sets (10 ms
    /// by default). A test that counts transactions lengthens it, so a
    /// loaded machine cannot split the batch it counts.
    #[doc(hidden)]
    pub fn set_batch_time(&self, time: std::time::Duration) {
        self.engine.set_batch_time(time);
    }

    /// Test hook: WAL frames past which the background checkpointer
    /// restarts the WAL even while commits keep coming (4,096 by default),
    /// so a test sees restarts without writing tens of MiB; the WAL file's
    /// size limit (eight times that) follows it.
    #[doc(hidden)]
    pub fn restart_wal_after(&self, frames: u32) -> Result<()> {
        self.engine.set_restart_after(frames)
    }

    /// Test hook: how many batches wait before their COMMIT while commits
    /// are held, and how many change sets are queued behind them.
    #[doc(hidden)]
    pub fn commits_waiting(&self) -> (u64, usize) {
        self.engine.waiting()
    }

    /// The `EXPLAIN QUERY PLAN` lines of the statement `search_patients`
    /// runs for `search` (for tests that the indexes are used).
    #[doc(hidden)]
    pub async fn explain_search(&self, search: &PatientSearch) -> Result<Vec<String>> {
        self.read("explain_search", |conn| {
            let counts = patients::word_counts(conn, search)?;
            let (sql, params) = patients::search_query(search, &counts, true);
            rows(
                conn,
                "explain_search",
                &sql,
                rusqlite::params_from_iter(params),
                |r| r.get::<_, String>("detail"),
            )
        })
    }
}

/// One write transaction's view for core's driver (a savepoint of the
/// writer's group commit): one primitive per kind of write, implemented in
/// each concern's module.
pub(crate) struct Tx<'c>(&'c mut Connection);

#[async_trait]
impl Transaction for Tx<'_> {
    /// Writers are serialized and nothing deletes these records, so the
    /// answer holds until commit.
    async fn exists(&mut self, reference: &Reference) -> Result<bool> {
        let sql = match reference.kind {
            ReferenceKind::Patient => "SELECT 1 FROM patients WHERE id = ?",
            ReferenceKind::Practitioner => "SELECT 1 FROM practitioners WHERE id = ?",
            ReferenceKind::Resource => "SELECT 1 FROM resources WHERE id = ?",
            ReferenceKind::VisitType => "SELECT 1 FROM visit_types WHERE id = ?",
        };
        let found = first(&*self.0, "exists", sql, [id_text(reference.id)], |r| {
            r.get::<_, i64>(0)
        })?;
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

#[async_trait]
impl Store for SqliteStore {
    /// Applied through core's driver in a savepoint of the next group
    /// commit (on this thread when the write connection is idle); any failure rolls back this change set only.
    /// Answers after the transaction holding it committed.
    async fn apply(&self, changes: ChangeSet) -> Result<Applied> {
        // A poisoned lock still holds a whole key (it is only ever replaced).
        let key = self
            .audit_key
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        self.write("apply", move |conn| apply_now(&mut Tx(conn), changes, &key))
            .await
    }

    /// Every change set is queued at once, so they ride the same group
    /// commits (at most `engine::MAX_BATCH` per transaction), each in its
    /// own savepoint; each is answered after its transaction commits.
    async fn apply_each(&self, change_sets: Vec<ChangeSet>) -> Vec<Result<Applied>> {
        let key = self
            .audit_key
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let works: Vec<_> = change_sets
            .into_iter()
            .map(|changes| {
                let key = key.clone();
                move |conn: &mut Connection| apply_now(&mut Tx(conn), changes, &key)
            })
            .collect();
        self.engine.write_each("apply_each", works).await
    }

    fn use_audit_key(&self, key: AuditKey) {
        *self.audit_key.write().unwrap_or_else(|e| e.into_inner()) = key;
    }

    /// Files in `<database>.blobs/` beside the database file; memory for
    /// an in-memory database.
    fn blobs(&self) -> Option<std::sync::Arc<dyn carebase::store::BlobStore>> {
        Some(self.blobs.clone())
    }
}
