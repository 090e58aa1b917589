//! Criterion bench of `register_patients`: 100,000 patients registered into
//! a fresh SQLite file (WAL, synchronous = NORMAL) by calls of
//! [`MAX_BATCH_PATIENTS`] (1,000), the most one call takes; each call hands
//! the store its change sets [`MAX_BATCH_CHANGE_SETS`] at a time, which the
//! SQLite writer applies in shared transactions, a savepoint each.
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
use carebase_benches::{details_for, front_desk, open_clinic};
use criterion::{Criterion, SamplingMode, Throughput};
use tokio::runtime::Runtime;

/// Patients per sample when benching.
const LOAD: u64 = 100_000;
/// Patients per sample as a test (`cargo test --benches`).
const LOAD_SMOKE: u64 = 2_000;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

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
    group.bench_function(format!("register_patients_{load}"), |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| rt.block_on(load_once(load)))
                .sum::<Duration>()
        })
    });
    group.finish();
    println!(
        "register_patients: {load} patients per sample, {MAX_BATCH_PATIENTS} per call, \
         {MAX_BATCH_CHANGE_SETS} change sets per store round"
    );
    c.final_summary();
}
