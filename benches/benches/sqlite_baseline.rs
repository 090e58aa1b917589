//! carebase beside the physical limit, in one run: each contender writes
//! to its own SQLite file that carebase created and migrated (WAL,
//! `synchronous = NORMAL`), one operation per transaction.
//!
//! * `register_one/carebase`: `Clinic::register_patient`;
//! * `register_one/rusqlite_same_statements`: carebase's exact statements
//!   (see `carebase_benches::same_statements`, checked against a capture
//!   by the crate's tests) with rusqlite's cached prepared statements;
//! * `register_one/sqlx_same_statements`: the same through sqlx-sqlite;
//! * `get_patient/…`: the same three for one read of a random patient
//!   among those preloaded, the read's audit entry included.
//!
//! * `concurrent/…` (reporter only): carebase's `register_patient` one at
//!   a time and from [`CALLERS`] concurrent callers (tasks on the runtime's
//!   two workers), the same rows, in the same rounds: the group commit's
//!   gain is the ratio of their ops/s (goal >= 3x); and the same on a
//!   second clinic whose commits sync the WAL (`synchronous = FULL`, a
//!   bench variant, not carebase's setting), where a batch saves syncs.
//!   Each pair also says how many registrations shared a write transaction
//!   (`SqliteStore::write_transactions`).
//!
//! * `rusqlite_per_transaction/…` (reporter only): the engine's own
//!   ceiling for the group commit's goal: rusqlite running the same
//!   statements with [`CALLERS`] registrations per transaction (each in its
//!   savepoint, as carebase's writer applies a batch) against one per
//!   transaction, in the same rounds. Their ops/s ratio is the most any
//!   grouping of these statements can gain under `synchronous = NORMAL`.
//!
//! After criterion, a reporter runs every contender again, interleaved in
//! rounds, and prints p50, p99, ops/s and process CPU per operation
//! (getrusage) with the ratios carebase / rusqlite (goals: register p50
//! <= 1.25x, i.e. throughput >= 0.8x; get_patient p50 <= 2x).
//!
//! The baselines keep SQLite's default automatic checkpoint (every 1,000
//! WAL pages, inside the COMMIT that crosses it), as an outside engineer
//! would; carebase checkpoints on a thread of its own. Their p99 therefore
//! holds the checkpoints carebase's does not; compare p50 for the engine,
//! and CPU per operation (which counts carebase's checkpointer) for the work.
//!
//! Run: `cargo bench -p carebase-benches --bench sqlite_baseline`.

use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use carebase::clinic::NewPatient;
use carebase::{Actor, Clinic, PatientId};
use carebase_benches::report::{print_row, process_cpu, Figures, Recorder};
use carebase_benches::same_statements::{RusqliteSameStatements, SqlxSameStatements};
use carebase_benches::{details_for, front_desk, open_clinic_at, Lcg};
use carebase_storage::SqliteStore;
use criterion::Criterion;
use tempfile::TempDir;
use tokio::runtime::Runtime;

mod common;
use common::{configure, runtime};

/// Patients each contender registers before the reads.
const PRELOAD: u64 = 2_000;
/// Operations per contender in the reporter, and per round.
const REPORT_OPS: u64 = 4_000;
const REPORT_ROUND: u64 = 200;
/// The same as a test (`cargo test --benches`).
const SMOKE: u64 = 20;

const CAREBASE: &str = "carebase";
const RUSQLITE: &str = "rusqlite_same_statements";
const SQLX: &str = "sqlx_same_statements";
/// Concurrent callers in the reporter's `concurrent` rows.
const CALLERS: u64 = 8;

/// The three contenders, each on its own carebase-migrated file, and the
/// ids of the patients each has registered.
struct Contenders {
    _dirs: Vec<TempDir>,
    clinic: Clinic,
    /// The store under `clinic` (its write transactions are counted).
    clinic_store: Arc<SqliteStore>,
    /// A clinic whose every COMMIT syncs (`synchronous = FULL`).
    full: Clinic,
    full_store: Arc<SqliteStore>,
    actor: Actor,
    rusqlite: RusqliteSameStatements,
    sqlx: SqlxSameStatements,
    clinic_ids: Vec<PatientId>,
    rusqlite_ids: Vec<String>,
    sqlx_ids: Vec<String>,
    /// Distinct patient indexes keep identifiers unique across contenders.
    next: AtomicU64,
}

/// A fresh file created and migrated by carebase, then closed.
async fn migrated_file() -> (TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("carebase.db");
    let (store, _clinic) = open_clinic_at(&path).await.expect("open carebase");
    store.close().await;
    (dir, path)
}

impl Contenders {
    async fn open(preload: u64) -> Self {
        let (clinic_dir, clinic_path) = migrated_file().await;
        let (clinic_store, clinic) = open_clinic_at(&clinic_path).await.expect("reopen carebase");
        let (rusqlite_dir, rusqlite_path) = migrated_file().await;
        let (sqlx_dir, sqlx_path) = migrated_file().await;
        let (full_dir, full_path) = migrated_file().await;
        let (full_store, full) = open_clinic_at(&full_path).await.expect("reopen carebase");
        full_store.sync_every_commit().expect("synchronous = FULL");
        let mut c = Self {
            _dirs: vec![clinic_dir, rusqlite_dir, sqlx_dir, full_dir],
            clinic,
            clinic_store,
            full,
            full_store,
            actor: front_desk(),
            rusqlite: RusqliteSameStatements::open(Path::new(&rusqlite_path))
                .expect("open rusqlite baseline"),
            sqlx: SqlxSameStatements::open(&sqlx_path)
                .await
                .expect("open sqlx baseline"),
            clinic_ids: Vec::new(),
            rusqlite_ids: Vec::new(),
            sqlx_ids: Vec::new(),
            next: AtomicU64::new(0),
        };
        for _ in 0..preload {
            let id = c.register_carebase().await;
            c.clinic_ids.push(id);
            let id = c.register_rusqlite();
            c.rusqlite_ids.push(id);
            let id = c.register_sqlx().await;
            c.sqlx_ids.push(id);
        }
        c
    }

    fn details(&self) -> carebase::patient::PatientDetails {
        details_for(self.next.fetch_add(1, Ordering::Relaxed))
    }

    async fn register_carebase(&self) -> PatientId {
        self.register_on(&self.clinic).await
    }

    async fn register_on(&self, clinic: &Clinic) -> PatientId {
        let new = NewPatient {
            details: self.details(),
            mrn_facility: None,
        };
        let patient = clinic.register_patient(&self.actor, new).await;
        patient.expect("carebase register").id
    }

    fn register_rusqlite(&self) -> String {
        self.rusqlite
            .register(&self.details())
            .expect("rusqlite register")
    }

    /// [`CALLERS`] registrations in one rusqlite transaction.
    fn register_rusqlite_together(&self) {
        let batch: Vec<_> = (0..CALLERS).map(|_| self.details()).collect();
        self.rusqlite
            .register_many(&batch)
            .expect("rusqlite register_many");
    }

    /// `count` registrations by rusqlite, [`CALLERS`] per transaction:
    /// each one's latency (its transaction's), and the wall time and CPU
    /// they took together.
    fn register_rusqlite_grouped(&self, count: u64) -> (Vec<u64>, Duration, Duration) {
        let mut latencies = Vec::with_capacity(count as usize);
        let (cpu, wall) = (process_cpu(), Instant::now());
        for _ in 0..count.div_ceil(CALLERS) {
            let started = Instant::now();
            self.register_rusqlite_together();
            let ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
            latencies.extend((0..CALLERS).map(|_| ns));
        }
        (latencies, wall.elapsed(), process_cpu().saturating_sub(cpu))
    }

    async fn register_sqlx(&self) -> String {
        self.sqlx
            .register(&self.details())
            .await
            .expect("sqlx register")
    }

    /// `count` registrations from [`CALLERS`] tasks at once: each
    /// operation's latency, and the wall time and CPU they took together.
    async fn register_concurrently(
        &self,
        clinic: &Clinic,
        count: u64,
    ) -> (Vec<u64>, Duration, Duration) {
        let per_caller = count.div_ceil(CALLERS);
        let first = self.next.fetch_add(per_caller * CALLERS, Ordering::Relaxed);
        let (cpu, wall) = (process_cpu(), Instant::now());
        let callers: Vec<_> = (0..CALLERS)
            .map(|caller| {
                let (clinic, actor) = (clinic.clone(), self.actor.clone());
                let from = first + caller * per_caller;
                tokio::spawn(async move {
                    let mut latencies = Vec::with_capacity(per_caller as usize);
                    for index in from..from + per_caller {
                        let new = NewPatient {
                            details: details_for(index),
                            mrn_facility: None,
                        };
                        let started = Instant::now();
                        let patient = clinic.register_patient(&actor, new).await;
                        black_box(patient.expect("carebase register"));
                        let ns = started.elapsed().as_nanos();
                        latencies.push(u64::try_from(ns).unwrap_or(u64::MAX));
                    }
                    latencies
                })
            })
            .collect();
        let mut latencies = Vec::with_capacity(count as usize);
        for caller in callers {
            latencies.extend(caller.await.expect("caller"));
        }
        (latencies, wall.elapsed(), process_cpu().saturating_sub(cpu))
    }

    async fn get_carebase(&self, pick: u64) {
        let id = self.clinic_ids[(pick % self.clinic_ids.len() as u64) as usize];
        black_box(self.clinic.get_patient(&self.actor, id).await.expect("get"));
    }

    fn get_rusqlite(&self, pick: u64) {
        let id = &self.rusqlite_ids[(pick % self.rusqlite_ids.len() as u64) as usize];
        black_box(self.rusqlite.get_patient(id).expect("rusqlite get"));
    }

    async fn get_sqlx(&self, pick: u64) {
        let id = &self.sqlx_ids[(pick % self.sqlx_ids.len() as u64) as usize];
        black_box(self.sqlx.get_patient(id).await.expect("sqlx get"));
    }
}

fn bench_criterion(c: &mut Criterion, rt: &Runtime, k: &Contenders) {
    let mut group = c.benchmark_group("register_one");
    configure(&mut group);
    group.bench_function(CAREBASE, |b| {
        b.to_async(rt)
            .iter(|| async { black_box(k.register_carebase().await) })
    });
    group.bench_function(RUSQLITE, |b| b.iter(|| black_box(k.register_rusqlite())));
    group.bench_function(SQLX, |b| {
        b.to_async(rt)
            .iter(|| async { black_box(k.register_sqlx().await) })
    });
    group.finish();

    let mut group = c.benchmark_group("get_patient");
    configure(&mut group);
    let mut rng = Lcg::new(7);
    group.bench_function(CAREBASE, |b| {
        b.to_async(rt).iter(|| {
            let pick = u64::from(rng.next_u32());
            async move { k.get_carebase(pick).await }
        })
    });
    group.bench_function(RUSQLITE, |b| {
        b.iter(|| k.get_rusqlite(u64::from(rng.next_u32())))
    });
    group.bench_function(SQLX, |b| {
        b.to_async(rt).iter(|| {
            let pick = u64::from(rng.next_u32());
            async move { k.get_sqlx(pick).await }
        })
    });
    group.finish();
}

/// One operation's three recorders: carebase, rusqlite, sqlx.
type Three = [Recorder; 3];

async fn report(k: &Contenders, ops: u64, round: u64) {
    let mut register: Three = Default::default();
    let mut get: Three = Default::default();
    // carebase one at a time, and from CALLERS callers; then the same
    // with synchronous = FULL.
    let mut concurrent: [Recorder; 4] = Default::default();
    // Write transactions each of those committed.
    let mut transactions = [0_u64; 4];
    // rusqlite CALLERS registrations per transaction.
    let mut grouped = Recorder::default();
    let mut rng = Lcg::new(11);
    let rounds = ops.div_ceil(round.max(1));
    for _ in 0..rounds {
        register[0]
            .run(round, || async {
                black_box(k.register_carebase().await);
            })
            .await;
        register[1]
            .run(round, || async {
                black_box(k.register_rusqlite());
            })
            .await;
        let (latencies, wall, cpu) = k.register_rusqlite_grouped(round);
        grouped.add(&latencies, wall, cpu);
        register[2]
            .run(round, || async {
                black_box(k.register_sqlx().await);
            })
            .await;
        let before = k.clinic_store.write_transactions();
        concurrent[0]
            .run(round, || async {
                black_box(k.register_carebase().await);
            })
            .await;
        let between = k.clinic_store.write_transactions();
        let (latencies, wall, cpu) = k.register_concurrently(&k.clinic, round).await;
        concurrent[1].add(&latencies, wall, cpu);
        transactions[0] += between - before;
        transactions[1] += k.clinic_store.write_transactions() - between;
        let before = k.full_store.write_transactions();
        concurrent[2]
            .run(round, || async {
                black_box(k.register_on(&k.full).await);
            })
            .await;
        let between = k.full_store.write_transactions();
        let (latencies, wall, cpu) = k.register_concurrently(&k.full, round).await;
        concurrent[3].add(&latencies, wall, cpu);
        transactions[2] += between - before;
        transactions[3] += k.full_store.write_transactions() - between;
        // The same sequence of picks for each contender.
        let seed = u64::from(rng.next_u32());
        let mut r = Lcg::new(seed);
        get[0]
            .run(round, || k.get_carebase(u64::from(r.next_u32())))
            .await;
        let mut r = Lcg::new(seed);
        get[1]
            .run(round, || {
                let pick = u64::from(r.next_u32());
                async move { k.get_rusqlite(pick) }
            })
            .await;
        let mut r = Lcg::new(seed);
        get[2]
            .run(round, || k.get_sqlx(u64::from(r.next_u32())))
            .await;
    }
    println!();
    println!(
        "sqlite_baseline report ({} ops per contender, interleaved in rounds of {round}):",
        rounds * round
    );
    for (name, goal, three) in [
        ("register_one", 1.25, &register),
        ("get_patient", 2.0, &get),
    ] {
        println!("{name}:");
        let figures: Vec<Figures> = three.iter().map(Recorder::figures).collect();
        for (contender, f) in [CAREBASE, RUSQLITE, SQLX].iter().zip(&figures) {
            print_row(contender, f);
        }
        let (cb, rs, sx) = (figures[0], figures[1], figures[2]);
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        println!(
            "  carebase/rusqlite: p50 {:.2}x (goal <= {goal:.2}x), p99 {:.2}x, ops/s {:.2}x, cpu {:.2}x",
            ratio(cb.p50_us, rs.p50_us),
            ratio(cb.p99_us, rs.p99_us),
            ratio(cb.ops_per_s, rs.ops_per_s),
            ratio(cb.cpu_us_per_op, rs.cpu_us_per_op),
        );
        println!(
            "  carebase/sqlx:     p50 {:.2}x, ops/s {:.2}x, cpu {:.2}x",
            ratio(cb.p50_us, sx.p50_us),
            ratio(cb.ops_per_s, sx.ops_per_s),
            ratio(cb.cpu_us_per_op, sx.cpu_us_per_op),
        );
    }
    println!("rusqlite_per_transaction (the same statements, the engine's ceiling for grouping):");
    let (one, many) = (register[1].figures(), grouped.figures());
    print_row("one_per_transaction", &one);
    print_row(&format!("{CALLERS}_per_transaction"), &many);
    println!(
        "  rusqlite {CALLERS} per transaction / one per transaction: ops/s {:.2}x, cpu {:.2}x",
        many.ops_per_s / one.ops_per_s,
        many.cpu_us_per_op / one.cpu_us_per_op,
    );
    for (name, pair, counted) in [
        ("concurrent", &concurrent[..2], &transactions[..2]),
        (
            "concurrent_synchronous_full",
            &concurrent[2..],
            &transactions[2..],
        ),
    ] {
        println!("{name} (carebase register_patient, the same rows):");
        let (one, many) = (pair[0].figures(), pair[1].figures());
        print_row("one_at_a_time", &one);
        print_row(&format!("{CALLERS}_callers"), &many);
        println!(
            "  {CALLERS} callers / one at a time: ops/s {:.2}x (goal >= 3.00x), p50 {:.2}x, cpu {:.2}x",
            many.ops_per_s / one.ops_per_s,
            many.p50_us / one.p50_us,
            many.cpu_us_per_op / one.cpu_us_per_op,
        );
        let per_transaction = |recorder: &Recorder, transactions: u64| {
            recorder.operations() as f64 / transactions.max(1) as f64
        };
        println!(
            "  registrations per write transaction: one at a time {:.2}, {CALLERS} callers {:.2}",
            per_transaction(&pair[0], counted[0]),
            per_transaction(&pair[1], counted[1]),
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; without it criterion only smoke-tests.
    let benching = std::env::args().any(|a| a == "--bench");
    let rt = runtime();
    let contenders = rt.block_on(Contenders::open(if benching { PRELOAD } else { SMOKE }));
    let mut c = Criterion::default().configure_from_args();
    bench_criterion(&mut c, &rt, &contenders);
    c.final_summary();
    let (ops, round) = if benching {
        (REPORT_OPS, REPORT_ROUND)
    } else {
        (SMOKE, SMOKE / 2)
    };
    rt.block_on(report(&contenders, ops, round));
}
