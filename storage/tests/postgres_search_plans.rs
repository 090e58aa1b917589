//! How PostgreSQL plans the store's patient searches: each one with its
//! own values (no cached generic plan) and without parallel workers, so a
//! page of a search costs the rows it reads at any register size (see
//! `benches/sql/postgres_search_plans.sql` for the plans at 1,000,000);
//! and a patient's audit listing, along its chain's key.
//! Needs `CAREBASE_PG_URL` (see `scripts/postgres`); skipped locally without
//! it, failing under `CI`.

mod postgres_support;

use carebase::audit::AuditQuery;
use carebase::conformance::{audit_about, patient};
use carebase::patient::PatientSearch;
use carebase::store::{ChangeSet, PatientStore, PatientWrite};
use carebase::{Count32, PatientId, Store};
use carebase_storage::{PgPoolOptions, PostgresStore};

use postgres_support::{pg_test_store, pg_url};

/// A second store on `schema` with a pool of one connection, so what the
/// searches leave on their connection can be read back on it.
async fn single_connection_store(schema: &str) -> PostgresStore {
    let url = pg_url().expect("configured");
    let (options, _) = carebase_storage::parse_postgres_url(&url).expect("parses");
    PostgresStore::connect(
        options.options([("search_path", schema)]),
        PgPoolOptions::new().max_connections(1),
    )
    .await
    .expect("open")
}

#[tokio::test]
async fn store_connections_never_plan_parallel_workers() {
    let Some(store) = pg_test_store().await else {
        return;
    };
    let workers: String = sqlx::query_scalar("SHOW max_parallel_workers_per_gather")
        .fetch_one(store.store.pool())
        .await
        .expect("show");
    assert_eq!(workers, "0");
}

#[tokio::test]
async fn patient_searches_are_planned_with_their_values_not_cached() {
    let Some(store) = pg_test_store().await else {
        return;
    };
    store
        .apply(ChangeSet::default().patient(PatientWrite::insert(
            patient("Garcia", "Maria", (1980, 1, 1)),
            None,
        )))
        .await
        .expect("seed");
    let single = single_connection_store(&store.guard.schema).await;
    for prefix in ["g", "ga", "gar", "garc", "garci", "garcia", "m", "ma"] {
        let search = PatientSearch {
            name_prefixes: vec![prefix.to_owned()],
            limit: 21,
            ..PatientSearch::default()
        };
        let hits = single.search_patients(&search).await.expect("search");
        assert_eq!(hits.len(), 1);
    }
    let cached: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_prepared_statements \
         WHERE statement LIKE '%JOIN patients p%' AND statement NOT LIKE '%pg_prepared%'",
    )
    .fetch_one(single.pool())
    .await
    .expect("prepared statements");
    single.close().await;
    assert_eq!(cached, 0);
}

/// A patient's audit listing walks the primary key `(patient_id,
/// chain_seq)` in chain order from the cursor, found through the unique
/// `id`: no sort. Sequential scans are priced out so the tiny test table
/// is planned as a large one is; the `(patient_id, id)` index is gone
/// (migration 0013).
#[tokio::test]
async fn a_patients_audit_listing_walks_the_chain_key_without_sorting() {
    let Some(store) = pg_test_store().await else {
        return;
    };
    let p = PatientId::new();
    let drafts: Vec<_> = (0..5)
        .map(|i| audit_about(Some(p), &format!("x{i}")))
        .collect();
    let after = drafts[1].id;
    store
        .apply(ChangeSet::audit_only(drafts))
        .await
        .expect("seed");
    let url = pg_url().expect("configured");
    let (options, _) = carebase_storage::parse_postgres_url(&url).expect("parses");
    let single = PostgresStore::connect(
        options.options([
            ("search_path", store.guard.schema.as_str()),
            ("enable_seqscan", "off"),
        ]),
        PgPoolOptions::new().max_connections(1),
    )
    .await
    .expect("open");
    let dropped: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_indexes \
         WHERE schemaname = current_schema() AND indexname = 'audit_entries_patient'",
    )
    .fetch_one(single.pool())
    .await
    .expect("indexes");
    assert_eq!(dropped, 0);
    for after in [None, Some(after)] {
        let query = AuditQuery {
            patient: Some(p),
            after,
            limit: Some(Count32::new(20)),
            ..AuditQuery::default()
        };
        let plan = single
            .explain_audit_entries(&query)
            .await
            .expect("explain")
            .join("\n");
        assert!(
            plan.contains("Index Scan using audit_entries_pkey on audit_entries"),
            "the chain key drives the listing:\n{plan}"
        );
        assert!(!plan.contains("Sort"), "no sort:\n{plan}");
        if after.is_some() {
            assert!(
                plan.contains("audit_entries_id"),
                "the cursor is found through the unique id:\n{plan}"
            );
        }
    }
    single.close().await;
}
