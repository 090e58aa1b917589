//! What every criterion bench here sets up the same way: one runtime of
//! two workers (the CI machine's cores) and the sampling of one-operation
//! groups, so figures from different benches compare.

#![allow(dead_code)] // each bench uses what it needs

use std::time::Duration;

use criterion::measurement::Measurement;
use criterion::{BenchmarkGroup, Throughput};
use tokio::runtime::Runtime;

/// The runtime the benched clinic runs on.
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// One operation per iteration, 30 samples of 5 s after 2 s of warm-up.
pub fn configure<M: Measurement>(group: &mut BenchmarkGroup<'_, M>) {
    group
        .throughput(Throughput::Elements(1))
        .sample_size(30)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));
}
