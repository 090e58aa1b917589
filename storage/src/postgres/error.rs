//! How PostgreSQL failures are described: the one place that decides a
//! failure's [`StorageKind`] and message (handed to `crate::failure`, which
//! also emits its tracing event). Messages carry the SQLSTATE and the names
//! of the constraint/table involved, never PostgreSQL's message text (it
//! can quote values, e.g. an invalid input) nor the connection URL.

use sqlx::migrate::MigrateError;

use carebase::{Error, StorageKind};

use crate::failure::{cause_of, report, Failure};

/// Maps a sqlx failure during `operation` (the store method or write
/// primitive running) to [`Error::Storage`].
pub(crate) fn db_error(operation: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |error| {
        report(Failure {
            backend: "postgres",
            operation,
            kind: kind_of(&error),
            code: code_of(&error),
            cause: cause_of(&error),
            message: describe(&error),
        })
    }
}

/// Opening gave up waiting for a connection: sqlx retries a refused
/// connection until the acquire timeout, so the server is out of reach.
pub(crate) fn unreachable(operation: &'static str) -> Error {
    report(Failure {
        backend: "postgres",
        operation,
        kind: StorageKind::Unavailable,
        code: String::new(),
        cause: "pool_timed_out",
        message: "postgres connection failure: the server could not be reached in time".into(),
    })
}

/// The SQLSTATE, when the failure was PostgreSQL's.
fn code_of(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => db.code().map(|c| c.into_owned()).unwrap_or_default(),
        sqlx::Error::Migrate(m) => match m.as_ref() {
            MigrateError::Execute(e) | MigrateError::ExecuteMigration(e, _) => code_of(e),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

/// What a host can do about a failure, from the SQLSTATE:
///
/// | SQLSTATE | | kind |
/// |---|---|---|
/// | 40001 serialization failure, 40P01 deadlock | lost a race | retryable |
/// | class 08 (connection), 57P (shutdown, cannot connect now) | the server is out of reach | unavailable |
/// | 53 (insufficient resources: disk, memory, connections) | the server is overloaded | unavailable |
///
/// An I/O or TLS failure is unavailable; no free connection in time is
/// retryable (at open it is the server that cannot be reached: see
/// [`unreachable`]); a closed pool is closed; a stored value that does not
/// decode is corrupt; anything else is other.
fn kind_of(error: &sqlx::Error) -> StorageKind {
    match error {
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("40001" | "40P01") => StorageKind::Retryable,
            Some(c) if c.starts_with("08") || c.starts_with("57P") || c.starts_with("53") => {
                StorageKind::Unavailable
            }
            _ => StorageKind::Other,
        },
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) => StorageKind::Unavailable,
        sqlx::Error::PoolTimedOut => StorageKind::Retryable,
        sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => StorageKind::Closed,
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => StorageKind::Corrupt,
        sqlx::Error::Migrate(m) => match m.as_ref() {
            MigrateError::Execute(e) | MigrateError::ExecuteMigration(e, _) => kind_of(e),
            MigrateError::VersionMissing(_) => StorageKind::SchemaTooNew,
            _ => StorageKind::Other,
        },
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
