//! How SQLite failures are described: the one place that decides a
//! failure's [`StorageKind`] and message (handed to `crate::failure`, which
//! also emits its tracing event).

use carebase::{Error, StorageKind};

use crate::failure::{report, Failure};

/// Maps a rusqlite failure during `operation` (the store method or write
/// primitive running) to [`Error::Storage`]. Messages are lowercase and
/// carry SQLite's own text (table and column names), never bound values.
pub(crate) fn db_error(operation: &'static str) -> impl FnOnce(rusqlite::Error) -> Error {
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
fn code_of(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(e, _) => e.extended_code.to_string(),
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
/// A stored value that does not decode is corrupt; anything else is other.
fn kind_of(error: &rusqlite::Error) -> StorageKind {
    match error {
        rusqlite::Error::SqliteFailure(e, _) => match e.extended_code & 0xff {
            5 | 6 => StorageKind::Retryable,
            10 | 14 => StorageKind::Unavailable,
            11 | 26 => StorageKind::Corrupt,
            _ => StorageKind::Other,
        },
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::Utf8Error(_) => StorageKind::Corrupt,
        _ => StorageKind::Other,
    }
}

/// The driver's failure class, for the tracing event.
fn cause_of(error: &rusqlite::Error) -> &'static str {
    match error {
        rusqlite::Error::SqliteFailure(..) => "database",
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::InvalidColumnIndex(_)
        | rusqlite::Error::InvalidColumnName(_)
        | rusqlite::Error::Utf8Error(_) => "decode",
        rusqlite::Error::ToSqlConversionFailure(_) => "encode",
        rusqlite::Error::QueryReturnedNoRows => "row_not_found",
        _ => "other",
    }
}

fn describe(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(e, message) => match message {
            Some(m) => format!("database error: {}", m.to_lowercase()),
            None => format!("database error: {}", e.to_string().to_lowercase()),
        },
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::InvalidColumnIndex(_)
        | rusqlite::Error::InvalidColumnName(_)
        | rusqlite::Error::Utf8Error(_) => "could not decode a stored value".into(),
        rusqlite::Error::ToSqlConversionFailure(_) => "could not encode a value".into(),
        rusqlite::Error::QueryReturnedNoRows => "expected row not found".into(),
        _ => "database failure".into(),
    }
}

/// The store's writer is gone (closed, or its thread stopped): every
/// later call fails with `closed` instead of waiting.
pub(crate) fn closed(operation: &'static str) -> Error {
    crate::failure::detected(
        "sqlite",
        operation,
        StorageKind::Closed,
        "the store is closed",
    )
}

/// Whether `error` is SQLite refusing a duplicate key of `table` (its
/// message names the table and columns, e.g. `patients.id`).
pub(crate) fn is_unique_violation(error: &rusqlite::Error, table: &str) -> bool {
    match error {
        rusqlite::Error::SqliteFailure(e, Some(message)) => {
            e.code == rusqlite::ErrorCode::ConstraintViolation
                && matches!(e.extended_code, 2067 | 1555)
                && message.contains(table)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(extended: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(extended), None)
    }

    #[test]
    fn busy_and_locked_are_retryable() {
        assert_eq!(kind_of(&failure(5)), StorageKind::Retryable);
        assert_eq!(kind_of(&failure(6)), StorageKind::Retryable);
        assert_eq!(kind_of(&failure(5 | (2 << 8))), StorageKind::Retryable);
    }

    #[test]
    fn corrupt_and_not_a_database_are_corrupt() {
        assert_eq!(kind_of(&failure(11)), StorageKind::Corrupt);
        assert_eq!(kind_of(&failure(26)), StorageKind::Corrupt);
    }

    #[test]
    fn io_errors_and_unopenable_files_are_unavailable() {
        assert_eq!(kind_of(&failure(10 | (3 << 8))), StorageKind::Unavailable);
        assert_eq!(kind_of(&failure(14)), StorageKind::Unavailable);
    }
}
