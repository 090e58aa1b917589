//! PostgreSQL register throughput by number of writers (harness = false):
//! `Clinic::register_patient` from 1, 4 and 16 concurrent tasks on one
//! store (pool of 32 connections), each count for a fixed window in a fresh
//! schema, so every count starts from empty tables.
//!
//! What it watches: whether writers contend on one point. Every
//! registration emits an event and an audit entry; with one lock around
//! the outbox (before the partitioned outbox) the rate stopped rising past
//! four writers.
//!
//! Then `Clinic::register_patients` from 1 and 4 concurrent callers, each
//! call a batch of [`BATCH`] patients (rounds of 250 change sets in one
//! transaction each): whether concurrent rounds wait on each other (they
//! did while a round held its outbox partitions from its first event to
//! its commit).
//!
//! Run: `CAREBASE_PG_URL=postgres://… cargo bench -p carebase-benches --bench postgres_writers`
//! (`CAREBASE_BENCH_SECONDS` sets the window, 10 by default). Without
//! `--bench` (`cargo test --benches`) it runs a short smoke pass.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use carebase::clinic::NewPatient;
use carebase::Clinic;
use carebase_benches::{details_for, front_desk, PgSchema, Result};
use carebase_storage::{parse_postgres_url, PgPoolOptions, PostgresStore};

const WORKERS: [usize; 3] = [1, 4, 16];

/// Concurrent `register_patients` callers measured.
const CALLERS: [usize; 2] = [1, 4];

/// Patients per `register_patients` call: four store rounds.
const BATCH: u64 = 1_000;

async fn rate(
    admin: &carebase_storage::PgConnectOptions,
    workers: usize,
    window: Duration,
) -> Result<f64> {
    let schema = PgSchema::create(admin).await?;
    let options = PgPoolOptions::new()
        .max_connections(32)
        .acquire_timeout(Duration::from_secs(30));
    let store = Arc::new(PostgresStore::connect(schema.options(), options).await?);
    let clinic = Arc::new(Clinic::new(store.clone()));
    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + window;
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let (clinic, next, done) = (clinic.clone(), next.clone(), done.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let new = NewPatient {
                        details: details_for(next.fetch_add(1, Ordering::Relaxed)),
                        mrn_facility: None,
                    };
                    clinic
                        .register_patient(&front_desk(), new)
                        .await
                        .expect("register");
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
    store.close().await;
    schema.drop_now().await?;
    Ok(count as f64 / elapsed)
}

/// Patients registered per second by `callers` tasks each calling
/// `register_patients` with [`BATCH`] patients until `window` is over (a
/// call that started finishes and counts).
async fn batch_rate(
    admin: &carebase_storage::PgConnectOptions,
    callers: usize,
    window: Duration,
) -> Result<f64> {
    let schema = PgSchema::create(admin).await?;
    let options = PgPoolOptions::new()
        .max_connections(32)
        .acquire_timeout(Duration::from_secs(60));
    let store = Arc::new(PostgresStore::connect(schema.options(), options).await?);
    let clinic = Arc::new(Clinic::new(store.clone()));
    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + window;
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let (clinic, next, done) = (clinic.clone(), next.clone(), done.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let first = next.fetch_add(BATCH, Ordering::Relaxed);
                    let batch = (first..first + BATCH)
                        .map(|i| NewPatient {
                            details: details_for(i),
                            mrn_facility: None,
                        })
                        .collect();
                    let answer = clinic
                        .register_patients(&front_desk(), batch)
                        .await
                        .expect("register_patients");
                    assert_eq!(answer.refused, 0, "a generated patient was refused");
                    done.fetch_add(u64::from(answer.registered), Ordering::Relaxed);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let count = done.load(Ordering::Relaxed);
    store.close().await;
    schema.drop_now().await?;
    Ok(count as f64 / elapsed)
}

async fn run(url: &str, window: Duration) -> Result<()> {
    let (admin, _) = parse_postgres_url(url)?;
    for workers in WORKERS {
        let per_second = rate(&admin, workers, window).await?;
        println!(
            "postgres_writers/register workers={workers:<2} {per_second:>7.0} registrations/s"
        );
    }
    for callers in CALLERS {
        let per_second = batch_rate(&admin, callers, window).await?;
        println!(
            "postgres_writers/register_patients callers={callers} {per_second:>7.0} patients/s"
        );
    }
    Ok(())
}

fn main() {
    let url = match std::env::var("CAREBASE_PG_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            eprintln!("skipped: CAREBASE_PG_URL is not set");
            return;
        }
    };
    let benching = std::env::args().any(|a| a == "--bench");
    let seconds = std::env::var("CAREBASE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let window = if benching {
        Duration::from_secs(seconds)
    } else {
        Duration::from_millis(300)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(run(&url, window))
        .expect("postgres writers bench");
}
