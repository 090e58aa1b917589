//! A second SQLite library in carebase's process (a host's `sqlite3` module,
//! pandas) opening the same file: it reads what carebase committed, and it
//! can neither break carebase's locks nor delete the WAL carebase writes to,
//! so no acknowledged write is lost when the process then dies. The second
//! copy is the system's libsqlite3 loaded with dlopen (`foreign_sqlite`).
//! The crash scenarios run in a child process (this test binary again) that
//! registers, peeks, keeps registering and SIGKILLs itself; the parent
//! reopens the file and counts.

#![cfg(target_os = "linux")]

mod common;
mod foreign_sqlite;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use carebase::clinic::NewPatient;
use carebase::patient::{Gender, HumanName, PatientDetails};
use carebase::{Actor, ActorId, Clinic, Role, Store};
use carebase_storage::SqliteStore;
use common::{count, url_of};
use foreign_sqlite::{ForeignSqlite, Peek};

/// Crashes per scenario: before the fix every one of them lost patients.
const TRIES: usize = 5;

/// The child's database file; set only in the child processes.
const CHILD_DB: &str = "CAREBASE_FOREIGN_COPY_DB";
/// How the child peeks: `rw` or `ro`.
const CHILD_PEEK: &str = "CAREBASE_FOREIGN_COPY_PEEK";

fn front_desk() -> Actor {
    Actor::new(ActorId::new(), vec![Role::FrontDesk])
}

fn new_patient(family: &str) -> NewPatient {
    NewPatient {
        details: PatientDetails {
            names: vec![HumanName {
                family: Some(family.into()),
                given: vec!["Ada".into()],
                ..HumanName::default()
            }],
            gender: Some(Gender::Female),
            birth_date: chrono::NaiveDate::from_ymd_opt(1984, 7, 1),
            ..PatientDetails::default()
        },
        mrn_facility: None,
    }
}

async fn clinic_on(path: &Path) -> Clinic {
    let store = carebase_storage::open(&url_of(path)).await.unwrap();
    Clinic::new(store)
}

async fn register(clinic: &Clinic, actor: &Actor, n: usize) {
    for i in 0..n {
        clinic
            .register_patient(actor, new_patient(&format!("Kept{i}")))
            .await
            .unwrap();
    }
}

/// Patients in the file, read by carebase after a fresh open (which
/// recovers the WAL a crashed process left behind).
async fn patients_in(path: &Path) -> i64 {
    let store = SqliteStore::open(&url_of(path)).await.unwrap();
    let n = count(&store, "patients").await;
    store.close().await;
    n
}

/// Runs one of the ignored `child_*` tests below in a new process.
fn run_child(test: &str, envs: &[(&str, String)]) -> Output {
    Command::new(std::env::current_exe().unwrap())
        .args([
            test,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap()
}

fn peek_name(peek: Peek) -> &'static str {
    match peek {
        Peek::ReadWrite => "rw",
        Peek::ReadOnly => "ro",
    }
}

/// The crash scenario `TRIES` times: (patients the peek saw, patients kept).
async fn crash_after_peek(peek: Peek) -> Vec<(i64, i64)> {
    let mut seen_and_kept = Vec::new();
    for _ in 0..TRIES {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("carebase.db");
        let out = run_child(
            "child_registers_peeks_and_is_killed",
            &[
                (CHILD_DB, db.display().to_string()),
                (CHILD_PEEK, peek_name(peek).into()),
            ],
        );
        assert_eq!(
            out.status.signal(),
            Some(libc::SIGKILL),
            "the child did not reach its SIGKILL: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let seen = std::fs::read_to_string(peeked_file(&db)).unwrap();
        seen_and_kept.push((seen.trim().parse().unwrap(), patients_in(&db).await));
    }
    seen_and_kept
}

fn peeked_file(db: &Path) -> PathBuf {
    db.with_extension("peeked")
}

/// The reported case: `sqlite3.connect(path)`, a SELECT and `close()` in the
/// middle of a session, then a crash. Before the fix the peek's close took
/// carebase's locks with it and deleted the WAL: 5 of 6 patients gone in
/// every try.
#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_patients_survive_a_second_sqlite_peeking_read_write_then_a_crash() {
    let runs = crash_after_peek(Peek::ReadWrite).await;
    assert_eq!(
        runs,
        vec![(1, 6); TRIES],
        "(seen by the peek, kept) per try"
    );
}

/// A read-only peek (`mode=ro`) cannot delete the WAL itself, but its close
/// still took every lock carebase held; then another process's reader, on
/// closing, believed itself the last connection and deleted the WAL. Before
/// the fix: 5 of 6 patients gone in every try.
#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_patients_survive_a_read_only_peek_another_reader_and_a_crash() {
    let runs = crash_after_peek(Peek::ReadOnly).await;
    assert_eq!(
        runs,
        vec![(1, 6); TRIES],
        "(seen by the peek, kept) per try"
    );
}

/// The child of the crash scenarios: one patient, the peek (and for a
/// read-only peek, another process that opens and closes the file), five
/// more patients, SIGKILL.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "runs in the child process of the crash scenarios"]
async fn child_registers_peeks_and_is_killed() {
    let (Ok(db), Ok(peek)) = (std::env::var(CHILD_DB), std::env::var(CHILD_PEEK)) else {
        return;
    };
    let db = PathBuf::from(db);
    let peek = if peek == "ro" {
        Peek::ReadOnly
    } else {
        Peek::ReadWrite
    };
    let clinic = clinic_on(&db).await;
    let desk = front_desk();
    register(&clinic, &desk, 1).await;
    let foreign = ForeignSqlite::load();
    let seen = foreign
        .connect(&db, peek)
        .scalar("SELECT count(*) FROM patients");
    if peek == Peek::ReadOnly {
        let out = run_child(
            "child_opens_and_closes_the_file",
            &[(CHILD_DB, db.display().to_string())],
        );
        assert!(out.status.success(), "the other reader failed");
    }
    register(&clinic, &desk, 5).await;
    std::fs::write(peeked_file(&db), seen.to_string()).unwrap();
    // SAFETY: kill(2) on our own process; nothing runs after it.
    unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
    unreachable!("SIGKILL ends the process");
}

/// Another process's reader (the system SQLite): open, count, close.
#[test]
#[ignore = "runs in a process started by the read-only crash scenario"]
fn child_opens_and_closes_the_file() {
    let Ok(db) = std::env::var(CHILD_DB) else {
        return;
    };
    let foreign = ForeignSqlite::load();
    foreign
        .connect(Path::new(&db), Peek::ReadWrite)
        .scalar("SELECT count(*) FROM patients");
}

/// The premise of these tests: the loaded library is a second copy of
/// SQLite, not the one linked into carebase.
#[test]
fn the_system_sqlite_is_a_second_copy_next_to_carebases() {
    let foreign = ForeignSqlite::load();
    let linked = libsqlite3_sys::sqlite3_libversion as *const () as usize;
    assert_ne!(foreign.libversion_address(), linked);
}

/// What a notebook does: a second SQLite in the process, read-write or
/// read-only, sees the patients carebase committed (WAL included).
#[tokio::test(flavor = "multi_thread")]
async fn a_second_sqlite_in_the_process_reads_what_carebase_committed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("carebase.db");
    let clinic = clinic_on(&db).await;
    register(&clinic, &front_desk(), 2).await;
    let foreign = ForeignSqlite::load();
    for peek in [Peek::ReadWrite, Peek::ReadOnly] {
        let seen = foreign
            .connect(&db, peek)
            .scalar("SELECT count(*) FROM patients");
        assert_eq!(seen, 2, "{peek:?}");
    }
}

/// A reader of the second SQLite left open while carebase keeps writing
/// sees each new patient, and after it closes, carebase's writes all stay
/// in an intact file.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_sqlite_can_keep_reading_while_carebase_writes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("carebase.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&url_of(&db)).await.unwrap());
    let clinic = Clinic::new(store);
    let desk = front_desk();
    let foreign = ForeignSqlite::load();
    {
        let reader = foreign.connect(&db, Peek::ReadOnly);
        for n in 1..=5 {
            register(&clinic, &desk, 1).await;
            assert_eq!(reader.scalar("SELECT count(*) FROM patients"), n);
        }
    }
    register(&clinic, &desk, 1).await;
    drop(clinic);
    assert_eq!(patients_in(&db).await, 6);
    let check = foreign
        .connect(&db, Peek::ReadOnly)
        .scalar("SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'");
    assert_eq!(check, 0, "integrity_check found problems");
}

/// This process's descriptors open on files under `dir`.
fn descriptors_under(dir: &Path) -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter(|target| target.starts_with(dir))
        .count()
}

/// Locks anyone holds on the files with these inodes (`/proc/locks`).
fn locks_on(inodes: &[u64]) -> Vec<String> {
    std::fs::read_to_string("/proc/locks")
        .unwrap()
        .lines()
        .filter(|line| {
            // "1: OFDLCK ADVISORY READ -1 fe:00:9994686 128 128"
            let device_inode = line.split_whitespace().nth(5).unwrap_or("");
            let inode = device_inode.rsplit(':').next().and_then(|i| i.parse().ok());
            inode.is_some_and(|i: u64| inodes.contains(&i))
        })
        .map(str::to_owned)
        .collect()
}

/// carebase's locks live on descriptors of its own; when the last store of
/// a file closes, they are closed too: nothing stays open or locked, however
/// often stores are opened.
#[tokio::test(flavor = "multi_thread")]
async fn closing_the_last_store_of_a_file_leaves_no_descriptor_or_lock_behind() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("carebase.db");
    for _ in 0..3 {
        let first = SqliteStore::open(&url_of(&db)).await.unwrap();
        let second = SqliteStore::open(&url_of(&db)).await.unwrap();
        let clinic = Clinic::new(Arc::new(first));
        register(&clinic, &front_desk(), 1).await;
        count(&second, "patients").await;
        // Held open (no locks) so the inodes are not reused by other tests'
        // files once carebase deletes the -shm.
        let pins = [
            std::fs::File::open(&db).unwrap(),
            std::fs::File::open(db.with_extension("db-shm")).unwrap(),
        ];
        let inodes = pins.each_ref().map(|f| f.metadata().unwrap().ino());
        assert!(!locks_on(&inodes).is_empty(), "an open store holds locks");
        drop(clinic);
        second.close().await;
        // The dropped store's pool closes its connections in the background
        // (and a child process this binary is starting may hold inherited
        // descriptors until its exec closes them).
        let mut left = (usize::MAX, Vec::new());
        for _ in 0..100 {
            left = (descriptors_under(dir.path()), locks_on(&inodes));
            if left == (pins.len(), Vec::new()) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(left, (pins.len(), Vec::new()), "(descriptors, locks) left");
    }
    assert_eq!(patients_in(&db).await, 3);
}
