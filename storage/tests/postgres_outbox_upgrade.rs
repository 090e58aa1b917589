//! A database written before the outbox was partitioned opens, migrates,
//! and keeps every relay where it was: earlier events keep their numbers in
//! partition 0, consumers keep their positions there, and new events about
//! patients start their partitions at 1. Needs `CAREBASE_PG_URL`.

mod postgres_support;

use std::path::Path;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;
use sqlx::ConnectOptions;

use carebase::conformance::audit_about;
use carebase::events::{partition_of, EventDraft, OUTBOX_PARTITIONS};
use carebase::store::{ChangeSet, OutboxStore};
use carebase::{PatientId, Store};
use carebase_storage::{parse_postgres_url, PostgresStore};

use postgres_support::pg_url;

/// The last migration of the single-sequence outbox.
const BEFORE_PARTITIONS: i64 = 5;

#[tokio::test(flavor = "multi_thread")]
async fn relays_keep_their_place_across_the_partitioned_outbox_migration() {
    let Some(url) = pg_url() else {
        return;
    };
    let (admin, _) = parse_postgres_url(&url).expect("url");
    let schema = format!("carebase_up_{}", uuid::Uuid::now_v7().simple());
    let mut conn = admin.connect().await.expect("connect");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .expect("schema");
    let options = admin.clone().options([("search_path", schema.as_str())]);
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options.clone())
        .await
        .expect("pool");

    // The schema as the previous release left it, with three events (one
    // number lost to a rollback) and a relay that acknowledged the first.
    let mut old = Migrator::new(Path::new("migrations/postgres"))
        .await
        .expect("migrations");
    old.migrations = old
        .migrations
        .iter()
        .filter(|m| m.version <= BEFORE_PARTITIONS)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    old.run(&pool).await.expect("old migrations");
    for seq in [1i64, 2, 4] {
        sqlx::query(
            "INSERT INTO outbox_events (seq, id, kind, schema_version, patient_id, payload, \
             idempotency_key, occurred_at) VALUES ($1, $2, 'patient.updated', 1, $3, '{}', $4, now())",
        )
        .bind(seq)
        .bind(uuid::Uuid::now_v7())
        .bind(uuid::Uuid::now_v7())
        .bind(format!("patient.updated:old:{seq}"))
        .execute(&pool)
        .await
        .expect("old event");
    }
    sqlx::query("INSERT INTO outbox_consumers (name, position) VALUES ('relay', 1)")
        .execute(&pool)
        .await
        .expect("old consumer");
    pool.close().await;

    let store = PostgresStore::connect(
        options,
        PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(30)),
    )
    .await
    .expect("opens and migrates");
    let mut relay = vec![0; OUTBOX_PARTITIONS as usize];
    relay[0] = 1;
    assert_eq!(
        store.consumer_position("relay").await.expect("position"),
        relay
    );
    let pending = store.events_after(&relay, 10).await.expect("pending");
    assert_eq!(
        pending
            .iter()
            .map(|e| (e.partition.get(), e.seq.get()))
            .collect::<Vec<_>>(),
        [(0, 2), (0, 4)],
        "earlier events keep their numbers in partition 0"
    );

    let p = PatientId::new();
    let applied = store
        .apply(
            ChangeSet::default()
                .audit(audit_about(None, "upgrade.test"))
                .event(EventDraft::new(
                    "patient.updated",
                    Some(p),
                    "p",
                    2,
                    serde_json::json!({}),
                    chrono::Utc::now(),
                ))
                .event(EventDraft::new(
                    "patient.updated",
                    None,
                    "clinic",
                    1,
                    serde_json::json!({}),
                    chrono::Utc::now(),
                )),
        )
        .await
        .expect("append after the upgrade");
    let numbered: Vec<_> = applied
        .events
        .iter()
        .map(|e| (e.partition.get(), e.seq.get()))
        .collect();
    assert_eq!(
        numbered,
        [(partition_of(Some(p), OUTBOX_PARTITIONS), 1), (0, 5)],
        "a patient's partition starts at 1, partition 0 continues"
    );
    store.close().await;
    let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut conn)
        .await;
}
