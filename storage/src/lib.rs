#![deny(missing_docs)]
#![forbid(unsafe_code)]
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
//!
//! Every backend passes core's conformance suite, so hosts can switch URL
//! without changing behaviour. The SQLite schema lives in
//! `migrations/sqlite/` and is applied on open.

mod sqlite;

use std::sync::Arc;

use carebase::{Error, MemoryStore, Result, Store};

pub use sqlite::{SqliteStore, DEFAULT_MAX_CONNECTIONS};
pub use sqlx::sqlite::SqliteConnectOptions;

/// Opens the store a URL names. An unknown scheme is
/// [`Error::UnsupportedStore`]; a file that cannot be opened or created, or
/// that is not a SQLite database, is [`Error::Storage`].
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if url == "memory:" {
        return Ok(Arc::new(MemoryStore::new()));
    }
    if sqlite::scheme_of(url) == "sqlite" {
        return Ok(Arc::new(SqliteStore::open(url).await?));
    }
    Err(Error::UnsupportedStore {
        scheme: sqlite::scheme_of(url).to_owned(),
    })
}
