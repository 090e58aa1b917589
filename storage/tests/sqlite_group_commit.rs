//! Group commit on SQLite: change sets that reach the writer while it is
//! busy share ONE transaction, each in a savepoint of its own, so one that
//! fails rolls back alone; every caller is answered only after the
//! transaction holding its change committed. The test hook
//! `hold_commits` stops the writer before each COMMIT, so a batch can be
//! filled and looked at before it commits.

mod common;

use carebase::{Count32, Count64};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use carebase::audit::AuditQuery;
use carebase::clinic::NewPatient;
use carebase::conformance::{audit_about, patient, scheduling_clinic};
use carebase::patient::{IdentifierSystem, MrnNamespace};
use carebase::schedule::{AppointmentQuery, BookAppointment};
use carebase::store::{AuditStore, ChangeSet, PatientStore, Reference, ScheduleStore};
use carebase::{Actor, ActorId, Clinic, Error, PatientId, Role, Settings, Store};
use carebase_storage::SqliteStore;
use common::{db_path, url_of};

/// How long a test waits at most for the writer to reach a state; a
/// loaded machine gets there late, never the wrong way.
const PATIENCE: Duration = Duration::from_secs(60);

/// Waits until `held` batches wait before their COMMIT and `queued` change
/// sets are queued behind them (a state, not a fixed sleep, so a loaded
/// machine cannot make the test see a half-formed queue).
async fn until_waiting(store: &SqliteStore, held: u64, queued: usize) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if store.commits_waiting() == (held, queued) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the writer did not reach {held} held, {queued} queued: {:?}",
            store.commits_waiting()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn file_store(dir: &tempfile::TempDir) -> Arc<SqliteStore> {
    let store = SqliteStore::open(&url_of(&db_path(dir))).await.unwrap();
    // These tests count transactions: a batch must not close early
    // because a loaded machine ran its jobs slowly.
    store.set_batch_time(PATIENCE);
    Arc::new(store)
}

/// Monday 2030-01-07 09:00 in Berlin, the first slot of `scheduling_clinic`.
fn monday_nine() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 7, 8, 0, 0).single().unwrap()
}

/// An audit entry about nobody, tagged so the test can find it.
fn tagged(action: &str) -> ChangeSet {
    ChangeSet::audit_only(vec![audit_about(None, action)])
}

/// Audit entries whose action is `action`, as committed in the file.
async fn entries_tagged(store: &SqliteStore, action: &str) -> usize {
    store
        .audit_entries(&AuditQuery {
            limit: Some(Count32::new(1000)),
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .iter()
        .filter(|e| e.draft.action == action)
        .count()
}

/// Holds commits with one change set in the held transaction, so what
/// callers send next waits for the writer and lands in the next batch.
async fn hold_a_batch(store: &Arc<SqliteStore>) -> tokio::task::JoinHandle<()> {
    store.hold_commits(true);
    let held = store.clone();
    let first = tokio::spawn(async move {
        held.apply(tagged("group.first")).await.unwrap();
    });
    until_waiting(store, 1, 0).await;
    first
}

#[tokio::test(flavor = "multi_thread")]
async fn of_concurrent_change_sets_exactly_the_failing_one_fails_and_the_others_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;
    let first = hold_a_batch(&store).await;
    let before = store.write_transactions();

    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let changes = if i == 3 {
                // A reference to a patient that does not exist: not_found.
                tagged("group.member").references([Reference::patient(PatientId::new(), "patient")])
            } else {
                tagged("group.member")
            };
            store.apply(changes).await
        }));
    }
    until_waiting(&store, 1, 8).await;
    store.hold_commits(false);
    first.await.unwrap();

    let mut failed = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        if let Err(e) = task.await.unwrap() {
            failed.push((i, e.code()));
        }
    }
    assert_eq!(failed, vec![(3, "not_found")]);
    assert_eq!(entries_tagged(&store, "group.member").await, 7);
    // The first (held) batch and one more for the eight change sets.
    assert_eq!(store.write_transactions() - before, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_caller_is_not_answered_before_its_transaction_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;
    store.hold_commits(true);
    let writer = store.clone();
    let mut applying = tokio::spawn(async move { writer.apply(tagged("group.waiting")).await });

    until_waiting(&store, 1, 0).await;
    assert!(
        tokio::time::timeout(Duration::from_millis(50), &mut applying)
            .await
            .is_err(),
        "answered before the commit"
    );
    assert_eq!(entries_tagged(&store, "group.waiting").await, 0);

    store.hold_commits(false);
    applying.await.unwrap().unwrap();
    assert_eq!(entries_tagged(&store, "group.waiting").await, 1);
}

/// Eight bookings of `start_of(i)`, sent while a commit is held so they
/// share the next transaction; their results in order.
async fn bookings_in_one_batch(
    store: &Arc<SqliteStore>,
    daily_limit: Option<u32>,
    start_of: impl Fn(usize) -> DateTime<Utc>,
) -> Vec<Result<(), Error>> {
    const BOOKERS: usize = 8;
    let dynamic: Arc<dyn Store> = store.clone();
    let (clinic, practitioner, visit, patients) = scheduling_clinic(dynamic, BOOKERS).await;
    if let Some(limit) = daily_limit {
        let mut availability = practitioner.availability.clone();
        availability.max_per_day = Some(Count32::new(limit));
        clinic
            .set_availability(
                &Actor::system(),
                practitioner.id,
                Count64::new(1),
                availability,
            )
            .await
            .unwrap();
    }
    let first = hold_a_batch(store).await;
    let before = store.write_transactions();
    let desk = Actor::new(ActorId::new(), vec![Role::FrontDesk]);
    let tasks: Vec<_> = patients
        .iter()
        .enumerate()
        .map(|(i, patient)| {
            let (clinic, desk) = (clinic.clone(), desk.clone());
            let booking = BookAppointment {
                patient: *patient,
                practitioner: practitioner.id,
                room: None,
                visit_type: visit.id,
                start: start_of(i),
                status: None,
                note: None,
            };
            tokio::spawn(async move { clinic.book_appointment(&desk, booking).await })
        })
        .collect();
    until_waiting(store, 1, BOOKERS).await;
    store.hold_commits(false);
    first.await.unwrap();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap().map(|_| ()));
    }
    // The held batch, the bookings' batch, and the losers' failure audits
    // (each its own transaction at most: they reach an idle writer one by
    // one once answered). Were the bookings not one batch, there would be
    // one transaction per booking on top.
    let losers = results.iter().filter(|r| r.is_err()).count() as u64;
    assert!(store.write_transactions() - before <= 2 + losers);
    let booked = store
        .appointments(&AppointmentQuery {
            patient: None,
            practitioner: Some(practitioner.id),
            from: monday_nine() - chrono::Duration::hours(12),
            to: monday_nine() + chrono::Duration::hours(12),
            include_inactive: false,
            limit: None,
        })
        .await
        .unwrap();
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(booked.len(), won);
    results
}

#[tokio::test(flavor = "multi_thread")]
async fn double_bookings_in_one_group_commit_have_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;
    let results = bookings_in_one_batch(&store, None, |_| monday_nine()).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    for result in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(result.code(), "double_booking");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_daily_limit_holds_within_one_group_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;
    let results = bookings_in_one_batch(&store, Some(2), |i| {
        monday_nine() + chrono::Duration::minutes(30 * i as i64)
    })
    .await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2);
    for result in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(result.code(), "validation", "{result}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_store_answers_waiting_and_later_writers_closed() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;
    store.close().await;
    let error = store.apply(tagged("group.late")).await.unwrap_err();
    match error {
        Error::Storage { kind, .. } => assert_eq!(kind, carebase::StorageKind::Closed),
        other => panic!("expected closed, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_set_that_panics_fails_alone_and_the_writer_keeps_going() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;
    let error = store
        .with_connection(|_| -> rusqlite::Result<()> { panic!("a bug in a write primitive") })
        .await
        .unwrap_err();
    assert_eq!(error.code(), "storage");
    store.apply(tagged("group.after")).await.unwrap();
    assert_eq!(entries_tagged(&store, "group.after").await, 1);
    let _ = store.practitioners().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_each_shares_transactions_between_its_change_sets() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;
    let before = store.write_transactions();
    let change_sets: Vec<ChangeSet> = (0..100).map(|_| tagged("group.each")).collect();

    let answers = store.apply_each(change_sets).await;

    assert!(answers.iter().all(|a| a.is_ok()));
    assert_eq!(entries_tagged(&store, "group.each").await, 100);
    // Queued at once, they ride a few group commits, not a hundred.
    assert!(store.write_transactions() - before < 10);
}

#[tokio::test]
async fn a_block_of_numbers_costs_one_write_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;
    let before = store.write_transactions();

    let block = store.allocate_block("mrn:north", 500).await.unwrap();

    assert_eq!(block, 1..501);
    assert_eq!(store.write_transactions() - before, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_of_registrations_with_mrns_takes_its_numbers_in_one_write_per_facility() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;
    let settings = Settings {
        identifier_systems: ["north", "south"]
            .map(|facility| IdentifierSystem {
                system: format!("urn:test:mrn:{facility}"),
                check_digit: None,
            })
            .into(),
        mrn_namespaces: ["north", "south"]
            .map(|facility| MrnNamespace {
                facility: facility.into(),
                system: format!("urn:test:mrn:{facility}"),
                prefix: String::new(),
                digits: Count32::new(7),
                check_digit: None,
            })
            .into(),
        ..Settings::default()
    };
    let clinic = Clinic::new(store.clone()).with_settings(settings).unwrap();
    let batch: Vec<NewPatient> = (0..100)
        .map(|i| NewPatient {
            details: patient("Block", &format!("N{i}"), (1980, 5, 17)).details,
            mrn_facility: Some(if i % 2 == 0 { "north" } else { "south" }.into()),
        })
        .collect();
    let before = store.write_transactions();

    let answer = clinic
        .register_patients(&Actor::new(ActorId::new(), vec![Role::FrontDesk]), batch)
        .await
        .unwrap();

    assert_eq!(answer.registered, 100);
    assert_eq!(store.counter("mrn:north").await.unwrap(), 50);
    assert_eq!(store.counter("mrn:south").await.unwrap(), 50);
    // Two blocks, then the registrations ride a few group commits: not
    // one transaction per number.
    assert!(store.write_transactions() - before < 10);
}

#[tokio::test]
async fn the_writer_keeps_statement_journals_in_memory_so_no_change_set_creates_a_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;

    let temp_store: i64 = store
        .with_connection(|c| c.query_row("PRAGMA temp_store", [], |r| r.get(0)))
        .await
        .unwrap();

    assert_eq!(temp_store, 2, "2 is MEMORY");
}

#[tokio::test]
async fn a_write_that_finds_the_writer_idle_runs_on_the_callers_own_thread() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;
    let caller = std::thread::current().id();
    let ran_on = store
        .with_connection(|_| Ok(std::thread::current().id()))
        .await
        .unwrap();
    assert_eq!(ran_on, caller);
}

#[tokio::test(flavor = "multi_thread")]
async fn change_sets_queued_behind_a_held_caller_commit_after_it_in_one_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;
    let first = hold_a_batch(&store).await;
    let before = store.write_transactions();
    let queued: Vec<_> = (0..5)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.apply(tagged("group.queued")).await })
        })
        .collect();
    until_waiting(&store, 1, 5).await;
    assert_eq!(entries_tagged(&store, "group.queued").await, 0);

    store.hold_commits(false);
    first.await.unwrap();
    for caller in queued {
        caller.await.unwrap().unwrap();
    }
    assert_eq!(entries_tagged(&store, "group.queued").await, 5);
    assert_eq!(store.write_transactions() - before, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn closing_the_store_lets_change_sets_already_queued_commit_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;
    let first = hold_a_batch(&store).await;
    let queued: Vec<_> = (0..3)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.apply(tagged("group.before_close")).await })
        })
        .collect();
    until_waiting(&store, 1, 3).await;

    store.close().await;
    first.await.unwrap();
    for caller in queued {
        caller.await.unwrap().unwrap();
    }
    let reopened = file_store(&dir).await;
    assert_eq!(entries_tagged(&reopened, "group.before_close").await, 3);
}

#[tokio::test]
async fn the_bench_hook_makes_every_commit_sync_and_writes_still_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir).await;
    store.sync_every_commit().unwrap();
    let level = store
        .with_connection(|conn| conn.query_row("PRAGMA synchronous", [], |r| r.get::<_, i64>(0)))
        .await
        .unwrap();
    assert_eq!(level, 2, "synchronous = FULL");
    store.apply(tagged("group.synced")).await.unwrap();
    assert_eq!(entries_tagged(&store, "group.synced").await, 1);
}
