//! carebase on PostgreSQL (harness = false, plain timing loops):
//!
//! * `register`: `Clinic::register_patient` as a front-desk actor, one
//!   transaction each, sequential, against `sqlx_same_statements`: sqlx
//!   executing carebase's exact statements
//!   ([`carebase_benches::pg_same_statements`], held equal to what the store
//!   runs by `benches/tests/pg_register_statements.rs`) on carebase's own
//!   schema, with no domain logic — the physical limit. Both run in one
//!   process, in rounds alternating between them, so the machine's load
//!   hits both alike; each on a pool of one connection, whose server
//!   backend's CPU (`/proc/<pid>/stat`) is counted with this process's.
//!   Printed: p50, p99, ops/s, CPU per operation (this process and the
//!   server backend), and the ratios;
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
use carebase::Clinic;
use carebase_benches::pg_same_statements::PgSameStatements;
use carebase_benches::report::{Figures, Recorder};
use carebase_benches::{details_for, front_desk, PgSchema as Schema, Result};
use carebase_storage::{parse_postgres_url, PgConnectOptions, PgPoolOptions, PostgresStore};
use sqlx::PgPool;

const POOL: u32 = 16;
/// Rounds alternating between carebase and the baseline.
const ROUNDS: usize = 8;

fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(POOL)
        .acquire_timeout(Duration::from_secs(30))
}

/// A pool of one connection kept open, so every operation runs on one
/// server backend whose CPU can be read.
fn single_connection() -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .acquire_timeout(Duration::from_secs(30))
}

/// The server backend behind a pool of one connection.
async fn backend_pid(pool: &PgPool) -> Result<i32> {
    Ok(sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(pool)
        .await?)
}

/// CPU (user + system) a local process has used, from `/proc/<pid>/stat`;
/// zero when it cannot be read (a remote server).
#[allow(unsafe_code)] // sysconf, for the clock tick
fn process_cpu_of(pid: i32) -> Duration {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return Duration::ZERO;
    };
    // Fields after the parenthesised command name; utime and stime are
    // the 14th and 15th of the line, the 12th and 13th after it.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_micros((ticks(11) + ticks(12)) * 1_000_000 / per_second)
}

/// One contender of the sequential comparison: its latencies and process
/// CPU, and its server backend's CPU.
struct Contender {
    name: &'static str,
    recorder: Recorder,
    backend: i32,
    server_cpu: Duration,
}

impl Contender {
    fn print(&self) -> Figures {
        let f = self.recorder.figures();
        let ops = self.recorder.operations() as f64;
        let server = self.server_cpu.as_secs_f64() * 1e6 / ops.max(1.0);
        println!(
            "register/{:<22} p50 {:>7.0} us  p99 {:>7.0} us  {:>6.0} ops/s  cpu {:>6.0} us/op (process {:.0} + server backend {:.0})",
            self.name,
            f.p50_us,
            f.p99_us,
            f.ops_per_s,
            f.cpu_us_per_op + server,
            f.cpu_us_per_op,
            server
        );
        Figures {
            cpu_us_per_op: f.cpu_us_per_op + server,
            ..f
        }
    }
}

/// Opens a carebase store (and so carebase's schema) on a pool of one.
async fn single_store(options: PgConnectOptions) -> Result<Arc<PostgresStore>> {
    Ok(Arc::new(
        PostgresStore::connect(options, single_connection()).await?,
    ))
}

/// `register_patient` against sqlx running the same statements, in
/// alternating rounds of `n / ROUNDS` after `warm` unmeasured ones each.
async fn same_statements(admin: &PgConnectOptions, n: u64, warm: u64) -> Result<()> {
    let next = Arc::new(AtomicU64::new(0));
    let carebase_schema = Schema::create(admin).await?;
    let carebase_store = single_store(carebase_schema.options()).await?;
    let clinic = Clinic::new(carebase_store.clone());
    let baseline_schema = Schema::create(admin).await?;
    let baseline_store = single_store(baseline_schema.options()).await?;
    let baseline = PgSameStatements::new(baseline_store.pool().clone());
    let mut carebase = Contender {
        name: "carebase",
        recorder: Recorder::default(),
        backend: backend_pid(carebase_store.pool()).await?,
        server_cpu: Duration::ZERO,
    };
    let mut same = Contender {
        name: "sqlx_same_statements",
        recorder: Recorder::default(),
        backend: backend_pid(baseline.pool()).await?,
        server_cpu: Duration::ZERO,
    };
    for _ in 0..warm {
        register(&clinic, next.fetch_add(1, Ordering::Relaxed)).await;
        let details = details_for(next.fetch_add(1, Ordering::Relaxed));
        baseline.register(&details).await?;
    }
    let per_round = (n / ROUNDS as u64).max(1);
    for _ in 0..ROUNDS {
        let before = process_cpu_of(carebase.backend);
        carebase
            .recorder
            .run(per_round, || {
                register(&clinic, next.fetch_add(1, Ordering::Relaxed))
            })
            .await;
        carebase.server_cpu += process_cpu_of(carebase.backend).saturating_sub(before);
        let before = process_cpu_of(same.backend);
        same.recorder
            .run(per_round, || {
                let details = details_for(next.fetch_add(1, Ordering::Relaxed));
                let baseline = &baseline;
                async move {
                    baseline
                        .register(&details)
                        .await
                        .expect("same-statements register");
                }
            })
            .await;
        same.server_cpu += process_cpu_of(same.backend).saturating_sub(before);
    }
    let c = carebase.print();
    let b = same.print();
    println!(
        "register: carebase / sqlx_same_statements: p50 {:.2}x, p99 {:.2}x, ops/s {:.2}x, cpu/op {:.2}x",
        c.p50_us / b.p50_us,
        c.p99_us / b.p99_us,
        c.ops_per_s / b.ops_per_s,
        c.cpu_us_per_op / b.cpu_us_per_op
    );
    carebase_store.close().await;
    baseline_store.close().await;
    carebase_schema.drop_now().await?;
    baseline_schema.drop_now().await?;
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

async fn run(url: &str, benching: bool) -> Result<()> {
    let (n, warm, window) = if benching {
        (2_000, 200, Duration::from_secs(5))
    } else {
        (50, 5, Duration::from_millis(300))
    };
    let (admin, _) = parse_postgres_url(url)?;
    same_statements(&admin, n, warm).await?;
    let next = Arc::new(AtomicU64::new(0));
    let pg_schema = Schema::create(&admin).await?;
    let pg_store = Arc::new(PostgresStore::connect(pg_schema.options(), pool_options()).await?);
    let pg = Clinic::new(pg_store.clone());

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
