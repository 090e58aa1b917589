//! The store's own retry of transactions PostgreSQL aborts to settle a race
//! (`TRANSACTION_RETRY`): a real deadlock is tried again and commits, and a
//! conflict that never clears surfaces as `storage`/`retryable` after the
//! bounded attempts, having written nothing. Needs `CAREBASE_PG_URL`.

mod postgres_support;

use carebase::Count64;
use std::time::Duration;

use carebase::conformance::{audit_about, patient};
use carebase::events::EventDraft;
use carebase::store::{ChangeSet, PatientStore, PatientWrite};
use carebase::{Error, StorageKind, Store};
use carebase_storage::TRANSACTION_RETRY;
use sqlx::Connection;

use postgres_support::{pg_test_store, PgTestStore};

/// How many times the `tries` sequence was advanced (0 when never).
async fn tries(store: &PgTestStore) -> i64 {
    let (last, called): (i64, bool) = sqlx::query_as("SELECT last_value, is_called FROM tries")
        .fetch_one(store.store.pool())
        .await
        .expect("tries");
    if called {
        last
    } else {
        0
    }
}

/// Runs `statements` in the test's schema (test-only triggers and a
/// counter that rollbacks do not undo: a sequence).
async fn install(store: &PgTestStore, statements: &[&str]) {
    for statement in statements {
        sqlx::query(statement)
            .execute(store.store.pool())
            .await
            .expect("install");
    }
}

/// An external session locks the patient's audit head, then (once the
/// change set holds the patient row and waits for that head) asks for the
/// patient row: a lock cycle. PostgreSQL aborts the change set, which
/// started waiting first, with 40P01; the store tries it again after the
/// external session commits, and it commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_change_set_aborted_by_a_deadlock_is_tried_again_and_commits() {
    let Some(store) = pg_test_store().await else {
        return;
    };
    let p = patient("Dead", "Lock", (1980, 1, 1));
    store
        .apply(
            ChangeSet::default()
                .patient(PatientWrite::insert(p.clone(), None))
                .audit(audit_about(Some(p.id), "patient.register")),
        )
        .await
        .expect("register");
    install(
        &store,
        &[
            "CREATE SEQUENCE tries",
            "CREATE FUNCTION count_try() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN PERFORM nextval('tries'); RETURN NEW; END $$",
            "CREATE TRIGGER count_try BEFORE UPDATE ON patients \
             FOR EACH ROW EXECUTE FUNCTION count_try()",
        ],
    )
    .await;

    let mut external = store.store.pool().acquire().await.expect("connection");
    let mut holder = external.begin().await.expect("begin");
    sqlx::query("SELECT 1 FROM audit_heads WHERE patient_id = $1 FOR UPDATE")
        .bind(p.id.0)
        .execute(&mut *holder)
        .await
        .expect("lock the audit head");

    let mut updated = p.clone();
    updated.version = Count64::new(2);
    let update = ChangeSet::default()
        .patient(PatientWrite::update(updated, 1, None))
        .audit(audit_about(Some(p.id), "patient.update"));
    let store = std::sync::Arc::new(store);
    let writer = {
        let store = store.clone();
        tokio::spawn(async move { store.apply(update).await })
    };
    // The change set now holds the patient row and waits for the head.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!writer.is_finished(), "the change set waits for the head");
    sqlx::query("SELECT 1 FROM patients WHERE patient_id = $1 FOR UPDATE")
        .bind(p.id.0)
        .execute(&mut *holder)
        .await
        .expect("the external session is not the deadlock's victim");
    holder.commit().await.expect("commit");

    let applied = writer.await.expect("task");
    assert!(applied.is_ok(), "tried again and committed: {applied:?}");
    assert_eq!(tries(&store).await, 2, "aborted once, then committed");
    let stored = store.patient(p.id).await.expect("read").expect("patient");
    assert_eq!(stored.version, 2);
}

/// Every try fails with 40001 (a trigger raises it): after
/// `TRANSACTION_RETRY.attempts` tries the caller gets `storage`/`retryable`,
/// and nothing of the change set is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_conflict_that_never_clears_surfaces_as_retryable_after_the_bounded_attempts() {
    let Some(store) = pg_test_store().await else {
        return;
    };
    install(
        &store,
        &[
            "CREATE SEQUENCE tries",
            "CREATE FUNCTION always_conflict() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN PERFORM nextval('tries'); \
             RAISE EXCEPTION 'test conflict' USING ERRCODE = 'serialization_failure'; END $$",
            "CREATE TRIGGER always_conflict BEFORE INSERT ON outbox_events \
             FOR EACH ROW EXECUTE FUNCTION always_conflict()",
        ],
    )
    .await;
    let p = patient("Never", "Clears", (1980, 1, 1));
    let event = EventDraft::new(
        "patient.registered",
        Some(p.id),
        &p.id.to_string(),
        1,
        serde_json::json!({}),
        p.created_at,
    );
    let error = store
        .apply(
            ChangeSet::default()
                .patient(PatientWrite::insert(p.clone(), None))
                .audit(audit_about(Some(p.id), "patient.register"))
                .event(event),
        )
        .await
        .expect_err("the conflict never clears");
    assert!(
        matches!(
            error,
            Error::Storage {
                kind: StorageKind::Retryable,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(tries(&store).await, i64::from(TRANSACTION_RETRY.attempts));
    assert_eq!(
        store.patient(p.id).await.expect("read"),
        None,
        "nothing written"
    );
}
