//! Test helpers for PostgreSQL: every store lives in a schema of its own
//! (`carebase_t_<uuid>`, selected through `search_path`), dropped when the
//! store is dropped. The server comes from `CAREBASE_PG_URL`
//! (`bash scripts/postgres` prints it). Without it the tests print a skip
//! note and pass — unless `CI` is set, where a missing or unreachable
//! server fails them.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::ConnectOptions;

use carebase::conformance::Guarded;
use carebase::Store;
use carebase_storage::{parse_postgres_url, PostgresStore};

/// The test server's URL, or `None` (after a skip note) when it is not
/// configured locally. Panics when `CI` is set and it is missing.
pub fn pg_url() -> Option<String> {
    match std::env::var("CAREBASE_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI is set but CAREBASE_PG_URL is not: run `bash scripts/postgres` first")
        }
        _ => {
            eprintln!(
                "skipped: CAREBASE_PG_URL is not set (run `eval \"$(bash scripts/postgres | tail -n 1)\"`)"
            );
            None
        }
    }
}

/// A test's own schema, dropped (best effort) when the guard is dropped.
pub struct TestSchema {
    pub schema: String,
    admin: PgConnectOptions,
}

/// A [`PostgresStore`] in a fresh schema of its own (`guard.schema`).
pub type PgTestStore = Guarded<PostgresStore, TestSchema>;

/// A fresh store, or `None` when the tests are skipped. Unreachable
/// server: panics (a configured URL that does not work is a failure).
pub async fn pg_test_store() -> Option<PgTestStore> {
    let url = pg_url()?;
    let (admin, _) = parse_postgres_url(&url).expect("CAREBASE_PG_URL parses");
    let schema = format!("carebase_t_{}", uuid::Uuid::now_v7().simple());
    let mut conn = admin
        .connect()
        .await
        .expect("CAREBASE_PG_URL is reachable (run `bash scripts/postgres`)");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .expect("create test schema");
    drop(conn);
    let options = admin.clone().options([("search_path", schema.as_str())]);
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(30));
    let store = PostgresStore::connect(options, pool)
        .await
        .expect("open postgres store");
    Some(Guarded {
        store,
        guard: TestSchema { schema, admin },
    })
}

impl Drop for TestSchema {
    /// Drops the schema, best effort, on a thread of its own (the test's
    /// runtime may be shutting down).
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let schema = self.schema.clone();
        let dropper = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = admin.connect().await {
                    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .execute(&mut conn)
                        .await;
                }
            });
        });
        let _ = dropper.join();
    }
}

/// A fresh store behind the port, or `None` when skipped.
pub async fn fresh_store() -> Option<Arc<dyn Store>> {
    Some(Arc::new(pg_test_store().await?) as Arc<dyn Store>)
}
