//! Test helpers: SQLite stores in temporary files that live as long as the store.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use carebase::conformance::Guarded;
use carebase::Store;
use carebase_storage::SqliteStore;

/// A [`SqliteStore`] in a file of its own temporary directory, removed after
/// the store is dropped (`guard` is the directory).
pub type TempStore = Guarded<SqliteStore, tempfile::TempDir>;

/// A fresh store in a new temporary file.
pub async fn temp_store() -> TempStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&url_of(&db_path(&dir)))
        .await
        .expect("open sqlite file");
    Guarded { store, guard: dir }
}

/// The database file of a [`TempStore`].
pub fn path_of(t: &TempStore) -> PathBuf {
    db_path(&t.guard)
}

/// `<dir>/carebase.db`.
pub fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("carebase.db")
}

/// `sqlite://<path>`.
pub fn url_of(path: &std::path::Path) -> String {
    format!("sqlite://{}", path.display())
}

/// A fresh file-backed store behind the port.
pub async fn file_store() -> Arc<dyn Store> {
    Arc::new(temp_store().await)
}

/// Rows in `table` (a test's view under the store).
pub async fn count(store: &SqliteStore, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    store
        .with_connection(move |c| c.query_row(&sql, [], |r| r.get(0)))
        .await
        .unwrap()
}

/// Runs raw SQL under the store, on its writer's connection.
pub async fn exec(store: &SqliteStore, sql: &str) {
    let sql = sql.to_owned();
    store
        .with_connection(move |c| c.execute_batch(&sql))
        .await
        .unwrap()
}
