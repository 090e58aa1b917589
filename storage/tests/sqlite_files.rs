//! SQLite files and URLs: what `open` accepts and refuses, WAL mode and its
//! background checkpoints, and schema versions (migrations applied once, a
//! database from a newer carebase refused untouched).

mod common;
mod shipped_migrations;

use carebase::conformance::{audit_about, patient};
use carebase::store::PatientStore;
use carebase::store::{ChangeSet, PatientWrite};
use carebase::{PatientId, Store};
use carebase_storage::SqliteStore;
use common::{count, db_path, url_of};

#[tokio::test(flavor = "multi_thread")]
async fn open_creates_the_file_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    assert!(!path.exists());
    let store = SqliteStore::open(&url_of(&path)).await.unwrap();
    assert!(path.exists());
    let mode: String = store
        .with_connection(|c| c.query_row("PRAGMA journal_mode", [], |r| r.get(0)))
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = store
        .with_connection(|c| c.query_row("PRAGMA foreign_keys", [], |r| r.get(0)))
        .await
        .unwrap();
    assert_eq!(fk, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn both_url_forms_and_memory_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("short.db");
    let store = carebase_storage::open(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    assert_eq!(store.counter("x").await.unwrap(), 0);
    assert!(path.exists());
    for url in ["memory:", "sqlite::memory:"] {
        let store = carebase_storage::open(url).await.unwrap();
        let p = patient("Mem", "Ory", (1990, 1, 1));
        store
            .apply(ChangeSet::default().patient(PatientWrite::insert(p.clone(), None)))
            .await
            .unwrap();
        assert_eq!(store.patient(p.id).await.unwrap(), Some(p));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_scheme_is_unsupported_store() {
    let huge = "x".repeat(1_000_000);
    let huge_scheme = format!("{huge}://db");
    // (`postgres://` is a backend now: see tests/postgres.rs.)
    for url in ["mysql://x", "carebase.db", "", &huge, &huge_scheme] {
        let err = carebase_storage::open(url).await.err().expect("an error");
        assert_eq!(err.code(), "unsupported_store");
        assert!(err.to_string().len() < 100, "the url is never echoed whole");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unusable_paths_are_storage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let not_db = dir.path().join("notes.txt");
    std::fs::write(
        &not_db,
        "this is not a database, just some text. ".repeat(200),
    )
    .unwrap();
    let missing_parent = dir.path().join("no").join("such").join("dir.db");
    for path in [dir.path().to_path_buf(), not_db, missing_parent] {
        let err = carebase_storage::open(&url_of(&path))
            .await
            .err()
            .expect("must fail");
        assert_eq!(err.code(), "storage", "{err}");
        assert_eq!(err.to_string(), err.to_string().to_lowercase());
    }
    let err = carebase_storage::open("sqlite://")
        .await
        .err()
        .expect("no file");
    assert_eq!(err.code(), "storage");
}

/// Requests never pay for WAL checkpoints: a background task copies the WAL
/// into the database shortly after writes. Only a checkpoint makes the main
/// database file grow (commits go to the WAL, and the automatic checkpoint's
/// threshold is far above what this test writes), so growth proves the task ran.
#[tokio::test(flavor = "multi_thread")]
async fn the_wal_is_checkpointed_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::db_path(&dir);
    let store = SqliteStore::open(&common::url_of(&path)).await.unwrap();
    let size = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let before = size();
    let drafts = (0..300)
        .map(|_| audit_about(Some(PatientId::new()), "x"))
        .collect();
    store.apply(ChangeSet::audit_only(drafts)).await.unwrap();
    let mut grew = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if size() > before {
            grew = true;
            break;
        }
    }
    assert!(grew, "no checkpoint copied the WAL into the database file");
}

/// SQLite bumps the checkpoint sequence number in the WAL's header (bytes
/// 12..16, big-endian) each time it writes the WAL from its beginning again.
fn wal_restarts(path: &std::path::Path) -> u32 {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let header = std::fs::read(&wal).unwrap_or_default();
    header
        .get(12..16)
        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Under a steady stream of commits, with readers reading all the while,
/// the WAL does not grow until the writer's safety net makes one commit
/// copy all of it: past its restart size the background checkpointer
/// copies it into the database and the WAL is written from its beginning
/// again, over and over.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_wal_restarts_from_its_beginning_under_steady_commits_while_readers_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::db_path(&dir);
    let store = std::sync::Arc::new(SqliteStore::open(&common::url_of(&path)).await.unwrap());
    // A small restart size, so a test sees restarts after a few commits.
    store.restart_wal_after(64).unwrap();
    let p = patient("Okafor", "Ada", (1980, 1, 1));
    let id = p.id;
    store
        .apply(ChangeSet::default().patient(PatientWrite::insert(p, None)))
        .await
        .unwrap();
    let reading = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (store, reading) = (store.clone(), reading.clone());
            tokio::spawn(async move {
                while reading.load(std::sync::atomic::Ordering::Relaxed) {
                    assert!(store.patient(id).await.unwrap().is_some());
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    // Writers that keep a commit landing during every copy the
    // checkpointer makes.
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let (store, reading) = (store.clone(), reading.clone());
            tokio::spawn(async move {
                while reading.load(std::sync::atomic::Ordering::Relaxed) {
                    let drafts = (0..20).map(|_| audit_about(Some(id), "read")).collect();
                    store.apply(ChangeSet::audit_only(drafts)).await.unwrap();
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    let first = wal_restarts(&path);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while wal_restarts(&path) < first + 3 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    reading.store(false, std::sync::atomic::Ordering::Relaxed);
    for task in readers.into_iter().chain(writers) {
        task.await.unwrap();
    }
    assert!(
        wal_restarts(&path) >= first + 3,
        "the WAL was not restarted from its beginning three times"
    );
}

/// The WAL file's length on disk.
fn wal_len(path: &std::path::Path) -> u64 {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(&wal).map_or(0, |m| m.len())
}

/// A WAL that a long reader let grow gives the disk back: once it is
/// written from its beginning again, its file is cut back to eight times
/// the restart size instead of staying as long as it ever was.
#[tokio::test(flavor = "multi_thread")]
async fn a_wal_a_long_reader_let_grow_is_cut_back_once_it_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::db_path(&dir);
    let store = SqliteStore::open(&common::url_of(&path)).await.unwrap();
    // Restarts past 64 frames; the file is cut back to 512 frames' worth.
    store.restart_wal_after(64).unwrap();
    let limit = 8 * 64 * 4096;
    // Another process's reader holds a snapshot, so no copy can take the
    // frames written after it and the WAL only grows.
    let reader = rusqlite::Connection::open(&path).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader
        .query_row("SELECT count(*) FROM audit_entries", [], |row| row.get(0))
        .unwrap();
    for _ in 0..25 {
        let drafts = (0..300)
            .map(|_| audit_about(Some(PatientId::new()), "x"))
            .collect();
        store.apply(ChangeSet::audit_only(drafts)).await.unwrap();
    }
    assert!(wal_len(&path) > 2 * limit, "the WAL did not grow");
    reader.execute_batch("COMMIT").unwrap();
    drop(reader);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while wal_len(&path) > limit && std::time::Instant::now() < deadline {
        let drafts = vec![audit_about(Some(PatientId::new()), "x")];
        store.apply(ChangeSet::audit_only(drafts)).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        wal_len(&path) <= limit,
        "the WAL file kept {} bytes",
        wal_len(&path)
    );
}

/// Records a migration this build does not know, as a newer carebase would.
async fn fake_future_migration(store: &SqliteStore, version: i64) {
    store
        .with_connection(move |c| {
            c.execute(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
                 execution_time) VALUES (?, 'from the future', 1, x'00', 0)",
                [version],
            )
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn reopening_an_up_to_date_database_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = url_of(&db_path(&dir));
    let p = patient("Re", "Open", (1990, 1, 1));
    {
        let store = SqliteStore::open(&url).await.unwrap();
        store
            .apply(ChangeSet::default().patient(PatientWrite::insert(p.clone(), None)))
            .await
            .unwrap();
        store.close().await;
    }
    for _ in 0..2 {
        let store = SqliteStore::open(&url).await.unwrap();
        assert!(store.patient(p.id).await.unwrap().is_some());
        assert_eq!(
            count(&store, "_sqlx_migrations").await as usize,
            shipped_migrations::versions("sqlite").len()
        );
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn opening_a_database_from_a_newer_carebase_fails_without_touching_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = url_of(&db_path(&dir));
    {
        let store = SqliteStore::open(&url).await.unwrap();
        fake_future_migration(&store, 99_999_999).await;
        store.close().await;
    }
    for _ in 0..2 {
        let err = match SqliteStore::open(&url).await {
            Ok(_) => panic!("opened a database from a newer carebase"),
            Err(e) => e,
        };
        assert_eq!(err.code(), "storage");
        let text = err.to_string();
        assert!(
            text.contains(&format!(
                "database schema version 99999999 is newer than this carebase (knows up to {})",
                shipped_migrations::newest("sqlite")
            )),
            "{text}"
        );
    }
    // Nothing was migrated or removed: the future row is still there.
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(db_path(&dir));
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY 1")
        .fetch_all(&pool)
        .await
        .unwrap();
    let mut expected = shipped_migrations::versions("sqlite");
    expected.push(99_999_999);
    assert_eq!(versions, expected);
}
