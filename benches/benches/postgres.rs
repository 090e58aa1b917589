//! carebase on PostgreSQL (harness = false, plain timing loops):
//!
//! * `register`: `Clinic::register_patient` as a front-desk actor, one
//!   transaction each, sequential — on PostgreSQL, on a SQLite file, and
//!   `thinner_schema_sqlx`: sqlx inserting three rows shaped like a
//!   registration's (patient, audit entry, outbox event) into a THINNER
//!   schema in one transaction. It is NOT the same work and not a baseline
//!   of the physical limit: it leaves out the search-key tables and their
//!   writes (identifiers, name tokens, phones, emails, and the identifier
//!   uniqueness check they carry), the audit chain head (read `FOR UPDATE`,
//!   then upserted) and the HMAC seal (a SHA-256 here), the outbox partition
//!   counter row (`outbox_partitions`, locked to commit) and the events'
//!   partition and sequence number, the referenced-record checks and the
//!   savepoint a batch round uses. Its ratio is printed for the record, labelled
//!   as such; an honest PostgreSQL baseline (sqlx running carebase's exact
//!   statements on its own schema, as `sqlite_baseline` does for SQLite)
//!   is still to be written;
//! * `concurrent`: registrations/s on PostgreSQL with 1, 4 and 16 workers
//!   (tasks on a multi-threaded runtime, pool of 16 connections).
//!
//! Every store lives in a fresh schema (`carebase_bench_<uuid>`), dropped at
//! the end. Skipped with a note when `CAREBASE_PG_URL` is unset.
//!
//! Run: `eval "$(bash scripts/postgres | tail -n 1)"; cargo bench -p carebase-benches --bench postgres`.
//! Without `--bench` (`cargo test --benches`) it runs a short smoke pass.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use carebase::clinic::NewPatient;
use carebase::patient::PatientDetails;
use carebase::Clinic;
use carebase_benches::{
    details_for, front_desk, open_clinic, percentile, PgSchema as Schema, Result,
};
use carebase_storage::{parse_postgres_url, PgPoolOptions, PostgresStore};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

const POOL: u32 = 16;

/// The columns of carebase's `patients`, `audit_entries` and
/// `outbox_events` (PostgreSQL types, primary keys and indexes as in
/// `storage/migrations/postgres`), without the search-key tables, the
/// audit heads or the outbox partitions: a thinner schema.
const RAW_SCHEMA: &[&str] = &[
    "CREATE TABLE patients (
        patient_id uuid NOT NULL PRIMARY KEY, version bigint NOT NULL,
        active boolean NOT NULL, merged_into uuid, created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL, gender text, birth_date date, details text NOT NULL)",
    "CREATE INDEX patients_birth_date ON patients (birth_date, patient_id)",
    "CREATE TABLE audit_entries (
        patient_id uuid NOT NULL, chain_seq bigint NOT NULL, id uuid NOT NULL,
        at timestamptz NOT NULL, actor_id uuid NOT NULL, roles text NOT NULL,
        action text NOT NULL, outcome text NOT NULL, reason text NOT NULL,
        break_glass uuid, subject text, prev_hash text NOT NULL, hash text NOT NULL,
        PRIMARY KEY (patient_id, chain_seq))",
    "CREATE UNIQUE INDEX audit_entries_id ON audit_entries (id)",
    "CREATE INDEX audit_entries_patient ON audit_entries (patient_id, id)",
    "CREATE INDEX audit_entries_actor ON audit_entries (actor_id, id)",
    "CREATE TABLE outbox_events (
        seq bigserial NOT NULL PRIMARY KEY, id uuid NOT NULL, kind text NOT NULL,
        schema_version integer NOT NULL, patient_id uuid, payload text NOT NULL,
        idempotency_key text NOT NULL, occurred_at timestamptz NOT NULL)",
];

const ZERO_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(POOL)
        .acquire_timeout(Duration::from_secs(30))
}

/// One thinner-schema registration: three rows in one transaction (see
/// the module docs for what it leaves out).
async fn thinner_schema_insert(pool: &PgPool, actor: Uuid, details: &PatientDetails) -> Result<()> {
    let id = Uuid::now_v7();
    let now = chrono::Utc::now();
    let details_json = serde_json::to_string(details)?;
    let audit_id = Uuid::now_v7();
    let roles = r#"["front_desk"]"#;
    let canonical = serde_json::json!({
        "id": audit_id, "patient": id, "seq": 1, "at": now, "actor": actor, "roles": roles,
        "action": "patient.register", "outcome": "success",
        "reason": "front-desk-demographics", "prev_hash": ZERO_HASH,
    });
    let hash = hex::encode(Sha256::digest(serde_json::to_vec(&canonical)?));
    let payload =
        serde_json::json!({ "patient_id": id, "version": 1, "registered_at": now }).to_string();
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO patients (patient_id, version, active, merged_into, created_at, \
         updated_at, gender, birth_date, details) VALUES ($1, 1, true, NULL, $2, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(now)
    .bind(details.gender.map(|g| g.as_str()))
    .bind(details.birth_date)
    .bind(&details_json)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO audit_entries (patient_id, chain_seq, id, at, actor_id, roles, action, \
         outcome, reason, break_glass, subject, prev_hash, hash) \
         VALUES ($1, 1, $2, $3, $4, $5, 'patient.register', 'success', \
         'front-desk-demographics', NULL, NULL, $6, $7)",
    )
    .bind(id)
    .bind(audit_id)
    .bind(now)
    .bind(actor)
    .bind(roles)
    .bind(ZERO_HASH)
    .bind(&hash)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO outbox_events (id, kind, schema_version, patient_id, payload, \
         idempotency_key, occurred_at) VALUES ($1, 'patient.registered', 1, $2, $3, $4, $5)",
    )
    .bind(Uuid::now_v7())
    .bind(id)
    .bind(&payload)
    .bind(format!("patient.registered:{id}:1"))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn register(clinic: &Clinic, index: u64) {
    let new = NewPatient {
        details: details_for(index),
        mrn_facility: None,
    };
    clinic
        .register_patient(&front_desk(), new)
        .await
        .expect("register");
}

/// Latencies (µs) of `n` sequential calls, after `warm` unmeasured ones.
async fn timed<F, Fut>(n: usize, warm: usize, mut call: F) -> Vec<u64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..warm {
        call().await;
    }
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        call().await;
        lat.push(start.elapsed().as_micros() as u64);
    }
    lat.sort_unstable();
    lat
}

fn report(name: &str, lat: &[u64]) -> f64 {
    let mean = lat.iter().sum::<u64>() as f64 / lat.len().max(1) as f64;
    println!(
        "register/{name:<13} n={:<5} mean {:>7.0} µs  p50 {:>6} µs  p99 {:>6} µs  {:>7.0} ops/s",
        lat.len(),
        mean,
        percentile(lat, 0.50),
        percentile(lat, 0.99),
        1e6 / mean
    );
    mean
}

async fn run(url: &str, benching: bool) -> Result<()> {
    let (n, warm, window) = if benching {
        (2_000, 200, Duration::from_secs(5))
    } else {
        (50, 5, Duration::from_millis(300))
    };
    let (admin, _) = parse_postgres_url(url)?;
    let next = Arc::new(AtomicU64::new(0));

    // Sequential registrations, one transaction each.
    let pg_schema = Schema::create(&admin).await?;
    let pg_store = Arc::new(PostgresStore::connect(pg_schema.options(), pool_options()).await?);
    let pg = Clinic::new(pg_store.clone());
    let pg_lat = timed(n, warm, || {
        register(&pg, next.fetch_add(1, Ordering::Relaxed))
    })
    .await;
    let pg_mean = report("postgres", &pg_lat);

    let (_dir, sqlite) = open_clinic().await?;
    let sqlite_lat = timed(n, warm, || {
        register(&sqlite, next.fetch_add(1, Ordering::Relaxed))
    })
    .await;
    report("sqlite", &sqlite_lat);

    let raw_schema = Schema::create(&admin).await?;
    let raw_pool = pool_options().connect_with(raw_schema.options()).await?;
    for statement in RAW_SCHEMA {
        sqlx::query(statement).execute(&raw_pool).await?;
    }
    let actor = Uuid::now_v7();
    let raw_lat = timed(n, warm, || {
        let details = details_for(next.fetch_add(1, Ordering::Relaxed));
        let raw_pool = &raw_pool;
        async move {
            thinner_schema_insert(raw_pool, actor, &details)
                .await
                .expect("thinner-schema insert")
        }
    })
    .await;
    let raw_mean = report("thinner_schema", &raw_lat);
    println!(
        "register: carebase postgres / thinner_schema_sqlx = {:.2} (NOT the same work, see the bench docs)",
        pg_mean / raw_mean
    );
    raw_pool.close().await;
    raw_schema.drop_now().await?;

    // Concurrent registrations on PostgreSQL (same store, fresh indexes).
    let pg = Arc::new(pg);
    for workers in [1usize, 4, 16] {
        let done = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + window;
        let start = Instant::now();
        let tasks: Vec<_> = (0..workers)
            .map(|_| {
                let (pg, next, done) = (pg.clone(), next.clone(), done.clone());
                tokio::spawn(async move {
                    while Instant::now() < deadline {
                        register(&pg, next.fetch_add(1, Ordering::Relaxed)).await;
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await?;
        }
        let elapsed = start.elapsed().as_secs_f64();
        let count = done.load(Ordering::Relaxed);
        println!(
            "concurrent/postgres workers={workers:<2} {count:>6} registrations in {elapsed:.1} s = {:>7.0} ops/s",
            count as f64 / elapsed
        );
    }
    pg_store.close().await;
    pg_schema.drop_now().await?;
    Ok(())
}

fn main() {
    let url = match std::env::var("CAREBASE_PG_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            eprintln!(
                "skipped: CAREBASE_PG_URL is not set (run `eval \"$(bash scripts/postgres | tail -n 1)\"`)"
            );
            return;
        }
    };
    let benching = std::env::args().any(|a| a == "--bench");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(run(&url, benching)).expect("postgres bench");
}
