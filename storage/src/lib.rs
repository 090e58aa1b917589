#![deny(missing_docs)]
// `unsafe` is allowed in one module only: the SQLite lock routing (sqlite/locks.rs).
#![deny(unsafe_code)]
//! Storage backends for carebase.
//!
//! [`open`] turns a URL into a [`carebase::Store`]:
//!
//! | URL                         | Backend                                   |
//! |-----------------------------|-------------------------------------------|
//! | `memory:`                   | [`carebase::MemoryStore`]                 |
//! | `sqlite::memory:`           | [`SqliteStore`], in memory (one connection) |
//! | `sqlite://path/to/file.db`  | [`SqliteStore`] in that file (created if missing) |
//! | `sqlite:path/to/file.db`    | same                                      |
//! | `postgres://user:pass@host:5432/db?max_connections=16&acquire_timeout=5` | `PostgresStore` (also `postgresql://`; feature `postgres`, on by default) |
//!
//! Each store brings the blob store documents' bytes belong in
//! ([`carebase::Store::blobs`], taken by `Clinic::new`): memory with
//! `memory:` and `sqlite::memory:`, [`FileBlobs`] in `<file>.blobs/` beside
//! a SQLite file (`clinic.db` → `clinic.db.blobs/`, owner-only), and
//! [`PostgresBlobs`] (the `clinical_blobs` table) in a PostgreSQL database.
//!
//! Every backend passes core's conformance suite, so hosts can switch URL
//! without changing behaviour. The schemas live in `migrations/sqlite/` and
//! `migrations/postgres/` and are applied on open.

mod blobs;
mod failure;
#[cfg(feature = "postgres")]
mod postgres;
mod retry;
mod schedule;
mod sqlite;

use std::sync::Arc;

use carebase::{Error, MemoryStore, Result, Store};

pub use blobs::FileBlobs;
#[cfg(feature = "postgres")]
pub use postgres::{
    parse_url as parse_postgres_url, PoolSettings, PostgresBlobs, PostgresStore,
    DEFAULT_ACQUIRE_TIMEOUT, DEFAULT_PG_MAX_CONNECTIONS,
};
pub use retry::{RetryPolicy, TRANSACTION_RETRY};
pub use sqlite::{SqliteStore, DEFAULT_MAX_CONNECTIONS};
#[cfg(feature = "postgres")]
pub use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// Opens the store a URL names. An unknown scheme is
/// [`Error::UnsupportedStore`]; a file that cannot be opened or created, or
/// that is not a SQLite database, is [`Error::Storage`]; so is an
/// unreachable PostgreSQL server or a failed login. Built without the
/// `postgres` feature (the mobile library), a `postgres://` url is
/// [`Error::UnsupportedStore`] too.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if url == "memory:" {
        return Ok(Arc::new(MemoryStore::new()));
    }
    if sqlite::scheme_of(url) == "sqlite" {
        return Ok(Arc::new(SqliteStore::open(url).await?));
    }
    #[cfg(feature = "postgres")]
    if matches!(sqlite::scheme_of(url), "postgres" | "postgresql") {
        return Ok(Arc::new(PostgresStore::open(url).await?));
    }
    Err(Error::UnsupportedStore {
        scheme: sqlite::scheme_of(url).to_owned(),
    })
}
