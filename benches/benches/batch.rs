//! Criterion bench of `register_patients`: 100,000 patients registered into
//! a fresh SQLite file (WAL, synchronous = NORMAL) by calls of
//! [`MAX_BATCH_PATIENTS`] (1,000), the most one call takes; each call hands
//! the store its change sets [`MAX_BATCH_CHANGE_SETS`] at a time, which the
//! SQLite writer applies in shared transactions, a savepoint each.
//!
//! Beside it, `rusqlite_same_statements_100000`: rusqlite inserting the same
//! rows with carebase's single-registration statements into a file carebase
//! migrated, 1,000 per transaction (a savepoint each, as carebase's writer
//! does), the physical-limit baseline. The ratio of the two is printed at
//! the end, from this run's samples.
//!
//! One sample is one whole load of 100,000 into a new file, so criterion's
//! time per element is the time per registration at that size; its
//! throughput line reads as patients per second.
//!
//! Run: `cargo bench -p carebase-benches --bench batch`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use carebase::clinic::NewPatient;
use carebase::limits::{MAX_BATCH_CHANGE_SETS, MAX_BATCH_PATIENTS};
use carebase_benches::same_statements::RusqliteSameStatements;
use carebase_benches::{details_for, front_desk, open_clinic, open_clinic_at};
use criterion::{Criterion, SamplingMode, Throughput};

mod common;
use common::runtime;

/// Patients per sample when benching.
const LOAD: u64 = 100_000;
/// Patients per sample as a test (`cargo test --benches`).
const LOAD_SMOKE: u64 = 2_000;

/// Registers `load` patients into a fresh SQLite file, 1,000 per call, and
/// answers how long the registrations took (opening the file excluded).
async fn load_once(load: u64) -> Duration {
    let (_dir, clinic) = open_clinic().await.expect("open carebase sqlite file");
    let actor = front_desk();
    let per_call = MAX_BATCH_PATIENTS as u64;
    let started = Instant::now();
    let mut next = 0;
    while next < load {
        let end = (next + per_call).min(load);
        let batch = (next..end)
            .map(|i| NewPatient {
                details: details_for(i),
                mrn_facility: None,
            })
            .collect();
        let answer = clinic
            .register_patients(&actor, batch)
            .await
            .expect("register_patients");
        assert_eq!(answer.refused, 0, "every generated patient is valid");
        black_box(answer);
        next = end;
    }
    started.elapsed()
}

/// Inserts `load` patients with the rusqlite same-statements baseline into
/// a fresh carebase-migrated file, 1,000 per transaction, and answers how
/// long the inserts took (creating the file excluded).
async fn load_rusqlite_once(load: u64) -> Duration {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("carebase.db");
    let (store, _clinic) = open_clinic_at(&path).await.expect("open carebase");
    store.close().await;
    let baseline = RusqliteSameStatements::open(&path).expect("open rusqlite baseline");
    let per_transaction = MAX_BATCH_PATIENTS as u64;
    let started = Instant::now();
    let mut next = 0;
    while next < load {
        let end = (next + per_transaction).min(load);
        let batch: Vec<_> = (next..end).map(details_for).collect();
        baseline.register_many(&batch).expect("rusqlite insert");
        next = end;
    }
    started.elapsed()
}

/// Patients per second over every sample recorded.
fn per_second(samples: &[Duration], load: u64) -> f64 {
    let total: Duration = samples.iter().sum();
    if total.is_zero() {
        return 0.0;
    }
    (samples.len() as u64 * load) as f64 / total.as_secs_f64()
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let load = if benching { LOAD } else { LOAD_SMOKE };
    let rt = runtime();
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("batch");
    group
        .throughput(Throughput::Elements(load))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1));
    let (mut carebase, mut rusqlite) = (Vec::new(), Vec::new());
    group.bench_function(format!("register_patients_{load}"), |b| {
        b.iter_custom(|iters| {
            let samples: Vec<Duration> = (0..iters).map(|_| rt.block_on(load_once(load))).collect();
            carebase.extend(&samples);
            samples.iter().sum::<Duration>()
        })
    });
    group.bench_function(format!("rusqlite_same_statements_{load}"), |b| {
        b.iter_custom(|iters| {
            let samples: Vec<Duration> = (0..iters)
                .map(|_| rt.block_on(load_rusqlite_once(load)))
                .collect();
            rusqlite.extend(&samples);
            samples.iter().sum::<Duration>()
        })
    });
    group.finish();
    println!(
        "register_patients: {load} patients per sample, {MAX_BATCH_PATIENTS} per call, \
         {MAX_BATCH_CHANGE_SETS} change sets per store round"
    );
    let (c_ops, r_ops) = (per_second(&carebase, load), per_second(&rusqlite, load));
    println!(
        "batch of {load}: register_patients {c_ops:.0} patients/s, rusqlite same statements \
         {r_ops:.0} patients/s, carebase/rusqlite {:.2}x (goal >= 0.80x)",
        if r_ops > 0.0 { c_ops / r_ops } else { f64::NAN }
    );
    c.final_summary();
}
