//! How SQLite failures are described: the one place that decides a
//! failure's [`StorageKind`] and message (handed to `crate::failure`, which
//! also emits its tracing event).

use sqlx::migrate::MigrateError;

use carebase::{Error, StorageKind};

use crate::failure::{cause_of, report, Failure};

/// Maps a sqlx failure during `operation` (the store method or write
/// primitive running) to [`Error::Storage`]. Messages are lowercase and
/// carry SQLite's own text (table and column names), never bound values.
pub(crate) fn db_error(operation: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |error| {
        report(Failure {
            backend: "sqlite",
            operation,
            kind: kind_of(&error),
            code: code_of(&error),
            cause: cause_of(&error),
            message: describe(&error),
        })
    }
}

/// SQLite's extended result code, when the failure was SQLite's.
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

/// What a host can do about a failure, from SQLite's primary result code
/// (the low byte of the extended one):
///
/// | code | | kind |
/// |---|---|---|
/// | 5 `SQLITE_BUSY`, 6 `SQLITE_LOCKED` | another connection holds the lock | retryable |
/// | 10 `SQLITE_IOERR`, 14 `SQLITE_CANTOPEN` | the file or its disk is out of reach | unavailable |
/// | 11 `SQLITE_CORRUPT`, 26 `SQLITE_NOTADB` | the file is damaged or not a database | corrupt |
///
/// No free connection in time is retryable; a closed pool is closed; a
/// stored value that does not decode is corrupt; anything else is other.
fn kind_of(error: &sqlx::Error) -> StorageKind {
    match error {
        sqlx::Error::Database(db) => {
            let primary = db
                .code()
                .and_then(|c| c.parse::<i32>().ok())
                .map(|c| c & 0xff);
            match primary {
                Some(5 | 6) => StorageKind::Retryable,
                Some(10 | 14) => StorageKind::Unavailable,
                Some(11 | 26) => StorageKind::Corrupt,
                _ => StorageKind::Other,
            }
        }
        sqlx::Error::Io(_) => StorageKind::Unavailable,
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
