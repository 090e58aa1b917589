//! Storage failures a host can act on: every backend failure is classified
//! into the `kind` of `Error::Storage` (retry, wait for the server, restore
//! a backup, upgrade), and described in ONE `tracing` event that carries
//! codes only.

mod common;

use std::sync::{Arc, Mutex};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

use carebase::conformance::audit_about;
use carebase::store::{ChangeSet, PatientStore};
use carebase::{Error, PatientId, StorageKind, Store};
#[cfg(feature = "postgres")]
use carebase_storage::PostgresStore;
use carebase_storage::SqliteStore;
use common::{db_path, url_of};

/// The kind of a storage error (any other error fails the test).
fn kind_of(error: &Error) -> StorageKind {
    match error {
        Error::Storage { kind, .. } => *kind,
        other => panic!("expected a storage error, got {}", other.code()),
    }
}

/// One audit entry about nobody: the smallest write.
fn one_entry() -> ChangeSet {
    ChangeSet::audit_only(vec![audit_about(None, "failures.test")])
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_to_a_file_another_connection_holds_is_retryable() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = SqliteStore::open(&url_of(&path)).await.unwrap();
    let mut holder = SqliteConnectOptions::new()
        .filename(&path)
        .connect()
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut holder)
        .await
        .unwrap();

    let error = store.apply(one_entry()).await.unwrap_err();
    assert_eq!(kind_of(&error), StorageKind::Retryable, "{error}");
    assert!(error.is_retryable());

    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    holder.close().await.unwrap();
    store
        .apply(one_entry())
        .await
        .expect("the same write succeeds once the lock is released");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_that_is_not_a_database_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    std::fs::write(&path, "not a database, just text. ".repeat(200)).unwrap();
    let error = SqliteStore::open(&url_of(&path))
        .await
        .err()
        .expect("refused");
    assert_eq!(kind_of(&error), StorageKind::Corrupt, "{error}");
    assert!(!error.is_retryable());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_written_by_a_newer_carebase_is_schema_too_new() {
    let dir = tempfile::tempdir().unwrap();
    let url = url_of(&db_path(&dir));
    {
        let store = SqliteStore::open(&url).await.unwrap();
        store
            .with_connection(|c| {
                c.execute_batch(
                    "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
                     execution_time) VALUES (99999999, 'from the future', 1, x'00', 0)",
                )
            })
            .await
            .unwrap();
        store.close().await;
    }
    let error = SqliteStore::open(&url).await.err().expect("refused");
    assert_eq!(kind_of(&error), StorageKind::SchemaTooNew, "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_store_answers_closed() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&url_of(&db_path(&dir))).await.unwrap();
    store.close().await;
    let error = store.patient(PatientId::new()).await.unwrap_err();
    assert_eq!(kind_of(&error), StorageKind::Closed, "{error}");
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread")]
async fn a_postgres_url_with_nothing_listening_is_unavailable() {
    // Port 1 (tcpmux) has no server on any machine these tests run on.
    let error =
        PostgresStore::open("postgres://carebase:carebase@127.0.0.1:1/carebase?acquire_timeout=1")
            .await
            .err()
            .expect("nothing listens there");
    assert_eq!(kind_of(&error), StorageKind::Unavailable, "{error}");
    assert!(!error.to_string().contains("carebase:carebase"), "{error}");
}

/// One event's fields, `(name, value)` in the order given.
type FieldValues = Vec<(String, String)>;

/// Every event a test's code emits: its target and its fields.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<(String, FieldValues)>>>);

impl Events {
    fn of_target(&self, target: &str) -> Vec<FieldValues> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, _)| t == target)
            .map(|(_, fields)| fields.clone())
            .collect()
    }
}

struct Fields(FieldValues);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
}

impl Subscriber for Events {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(Vec::new());
        event.record(&mut fields);
        self.0
            .lock()
            .unwrap()
            .push((event.metadata().target().to_owned(), fields.0));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[test]
fn a_storage_failure_is_one_tracing_event_of_codes_only() {
    let events = Events::default();
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    std::fs::write(&path, "not a database, just text. ".repeat(200)).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let error = tracing::subscriber::with_default(events.clone(), || {
        runtime.block_on(SqliteStore::open(&url_of(&path)))
    })
    .err()
    .expect("refused");

    let described = events.of_target("carebase::storage");
    assert_eq!(described.len(), 1, "one event per failure");
    let fields = &described[0];
    let mut names: Vec<&str> = fields.iter().map(|(name, _)| name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["backend", "cause", "code", "kind", "message", "operation"],
        "codes only"
    );
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(field("message"), Some("storage failure"));
    assert_eq!(field("backend"), Some("sqlite"));
    assert_eq!(field("kind"), Some(kind_of(&error).as_str()));
    assert_eq!(field("code"), Some("26"), "SQLITE_NOTADB");
}
