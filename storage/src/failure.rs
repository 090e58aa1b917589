//! The ONE place a backend failure becomes [`Error::Storage`]. Each
//! backend's `db_error` describes a driver error (its kind, its code, a
//! message without values) and hands it here; so do the row decoders that
//! find a stored value they cannot read. Every failure is also one
//! `tracing` event (target `carebase::storage`, no subscriber installed by
//! the library) carrying codes only: the backend, the operation, the kind,
//! the database's own code (SQLSTATE or SQLite extended result code) and
//! the driver's cause. Never values, never the database's message text,
//! which can quote them.

use carebase::{Error, StorageKind};

/// What a backend knows about one failure.
pub(crate) struct Failure {
    /// `sqlite` or `postgres` (or `store` for shared row decoding).
    pub backend: &'static str,
    /// The store operation that failed (a trait method or write primitive).
    pub operation: &'static str,
    /// What a host can do about it.
    pub kind: StorageKind,
    /// SQLSTATE or SQLite extended result code; empty when the failure was
    /// not the database's.
    pub code: String,
    /// The driver's failure class (`database`, `io`, `pool_timed_out`, …).
    pub cause: &'static str,
    /// The error message hosts see: lowercase, no values.
    pub message: String,
}

/// Emits the failure's event and returns the error hosts see.
pub(crate) fn report(failure: Failure) -> Error {
    let Failure {
        backend,
        operation,
        kind,
        code,
        cause,
        message,
    } = failure;
    match kind {
        StorageKind::Retryable => tracing::event!(
            target: "carebase::storage",
            tracing::Level::INFO,
            backend,
            operation,
            kind = kind.as_str(),
            code = code.as_str(),
            cause,
            "storage failure"
        ),
        StorageKind::Unavailable | StorageKind::Closed => tracing::event!(
            target: "carebase::storage",
            tracing::Level::WARN,
            backend,
            operation,
            kind = kind.as_str(),
            code = code.as_str(),
            cause,
            "storage failure"
        ),
        _ => tracing::event!(
            target: "carebase::storage",
            tracing::Level::ERROR,
            backend,
            operation,
            kind = kind.as_str(),
            code = code.as_str(),
            cause,
            "storage failure"
        ),
    }
    Error::storage_of(kind, message)
}

/// A stored value that does not decode: the database holds something this
/// carebase never wrote there. `what` names the value's kind (never the
/// value).
pub(crate) fn corrupt(backend: &'static str, what: &'static str) -> Error {
    report(Failure {
        backend,
        operation: what,
        kind: StorageKind::Corrupt,
        code: String::new(),
        cause: "decode",
        message: format!("corrupt {what} in database"),
    })
}

/// A failure carebase detected itself, with no driver error behind it (a
/// race lost after the database's own check, an answer that cannot be).
/// `message` is fixed text, never a value.
pub(crate) fn detected(
    backend: &'static str,
    operation: &'static str,
    kind: StorageKind,
    message: &'static str,
) -> Error {
    report(Failure {
        backend,
        operation,
        kind,
        code: String::new(),
        cause: "detected",
        message: message.to_owned(),
    })
}

/// A value carebase could not encode for storage (a bug, never a value).
pub(crate) fn unencodable(backend: &'static str, what: &'static str) -> Error {
    report(Failure {
        backend,
        operation: what,
        kind: StorageKind::Other,
        code: String::new(),
        cause: "encode",
        message: format!("could not encode {what}"),
    })
}

/// The driver's failure class, for the tracing event (sqlx: PostgreSQL).
#[cfg(feature = "postgres")]
pub(crate) fn cause_of(error: &sqlx::Error) -> &'static str {
    match error {
        sqlx::Error::Database(_) => "database",
        sqlx::Error::Io(_) => "io",
        sqlx::Error::Tls(_) => "tls",
        sqlx::Error::Protocol(_) => "protocol",
        sqlx::Error::PoolTimedOut => "pool_timed_out",
        sqlx::Error::PoolClosed => "pool_closed",
        sqlx::Error::WorkerCrashed => "worker_crashed",
        sqlx::Error::Configuration(_) => "configuration",
        sqlx::Error::RowNotFound => "row_not_found",
        sqlx::Error::Encode(_) => "encode",
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. } => "decode",
        sqlx::Error::Migrate(_) => "migrate",
        _ => "other",
    }
}
