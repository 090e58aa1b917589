//! Criterion benches of carebase over a SQLite file (WAL, synchronous =
//! NORMAL, one transaction per operation):
//!
//! * `insert/register`: `Clinic::register_patient` as a front-desk actor;
//! * `insert/thinner_schema_sqlx`: sqlx writing three rows (patient, audit,
//!   event) into a THINNER schema than carebase's: no search keys, no key
//!   tables or triggers, no audit heads. It compares different work, so its
//!   ratio is no baseline; the honest one (carebase's exact statements on
//!   its own schema) is the `sqlite_baseline` bench;
//! * `get/get_patient`: a random patient among ~10k (the read is audited);
//! * `search/name_prefix`: a 2–4 letter name prefix among ~10k, limit 20;
//! * `concurrent/register_one_at_a_time` and `concurrent/register_8_callers`:
//!   registrations one after another, and eight callers registering at once
//!   (SQLite's writer groups their change sets into one commit); both report
//!   patients per second, so their throughputs compare in one run.
//!
//! Run: `cargo bench -p carebase-benches --bench patients`.

use carebase::Count32;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use carebase::clinic::NewPatient;
use carebase::patient::PatientQuery;
use carebase::{Clinic, PatientId};
use carebase_benches::{details_for, front_desk, open_clinic, Lcg, RawBaseline, FAMILY_NAMES};
use criterion::{Criterion, Throughput};
use tokio::runtime::Runtime;

mod common;
use common::{configure, runtime};

/// Patients loaded before the `get` and `search` groups.
const PRELOAD: u64 = 10_000;
/// Patients loaded when run as a test (`cargo test --benches`), not a bench.
const PRELOAD_SMOKE: u64 = 200;
/// Group and bench names whose estimates give the ratio.
const INSERT_GROUP: &str = "insert";
const REGISTER: &str = "register";
/// Not the same work as carebase: see the module comment.
const RAW_INSERT: &str = "thinner_schema_sqlx";

fn bench_insert(c: &mut Criterion, rt: &Runtime) {
    let (_dir, clinic) = rt
        .block_on(open_clinic())
        .expect("open carebase sqlite file");
    let raw = rt
        .block_on(RawBaseline::new())
        .expect("open raw baseline sqlite file");
    let actor = front_desk();
    // Distinct indexes keep identifiers unique across every iteration.
    let next = AtomicU64::new(0);

    let mut group = c.benchmark_group(INSERT_GROUP);
    configure(&mut group);
    group.bench_function(REGISTER, |b| {
        b.to_async(rt).iter(|| {
            let details = details_for(next.fetch_add(1, Ordering::Relaxed));
            let (clinic, actor) = (&clinic, &actor);
            async move {
                let new = NewPatient {
                    details,
                    mrn_facility: None,
                };
                black_box(clinic.register_patient(actor, new).await.expect("register"))
            }
        })
    });
    group.bench_function(RAW_INSERT, |b| {
        b.to_async(rt).iter(|| {
            let details = details_for(next.fetch_add(1, Ordering::Relaxed));
            let raw = &raw;
            async move { black_box(raw.insert_one(&details).await.expect("raw insert")) }
        })
    });
    group.finish();
}

/// Concurrent callers in `concurrent/register_8_callers`.
const CALLERS: u64 = 8;

fn bench_concurrent(c: &mut Criterion, rt: &Runtime) {
    let (_dir, clinic) = rt
        .block_on(open_clinic())
        .expect("open carebase sqlite file");
    let actor = front_desk();
    let next = std::sync::Arc::new(AtomicU64::new(1_000_000_000));
    let register = |clinic: Clinic, actor: carebase::Actor, index: u64| async move {
        let new = NewPatient {
            details: details_for(index),
            mrn_facility: None,
        };
        black_box(
            clinic
                .register_patient(&actor, new)
                .await
                .expect("register"),
        )
    };

    let mut group = c.benchmark_group("concurrent");
    configure(&mut group);
    group.bench_function("register_one_at_a_time", |b| {
        b.to_async(rt).iter(|| {
            let index = next.fetch_add(1, Ordering::Relaxed);
            register(clinic.clone(), actor.clone(), index)
        })
    });
    group.throughput(Throughput::Elements(CALLERS));
    group.bench_function("register_8_callers", |b| {
        b.to_async(rt).iter(|| {
            let callers: Vec<_> = (0..CALLERS)
                .map(|_| {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    tokio::spawn(register(clinic.clone(), actor.clone(), index))
                })
                .collect();
            async move {
                for caller in callers {
                    caller.await.expect("caller");
                }
            }
        })
    });
    group.finish();
}

/// A clinic with `count` registered patients and their ids.
async fn preloaded(count: u64) -> (tempfile::TempDir, Clinic, Vec<PatientId>) {
    let (dir, clinic) = open_clinic().await.expect("open carebase sqlite file");
    let actor = front_desk();
    let mut ids = Vec::with_capacity(count as usize);
    for i in 0..count {
        let new = NewPatient {
            details: details_for(i),
            mrn_facility: None,
        };
        ids.push(
            clinic
                .register_patient(&actor, new)
                .await
                .expect("preload")
                .id,
        );
    }
    (dir, clinic, ids)
}

fn bench_get_and_search(c: &mut Criterion, rt: &Runtime, preload: u64) {
    let (_dir, clinic, ids) = rt.block_on(preloaded(preload));
    let actor = front_desk();
    let mut rng = Lcg::new(42);

    let mut group = c.benchmark_group("get");
    configure(&mut group);
    group.bench_function("get_patient", |b| {
        b.to_async(rt).iter(|| {
            let id = ids[rng.below(ids.len() as u64) as usize];
            let (clinic, actor) = (&clinic, &actor);
            async move { black_box(clinic.get_patient(actor, id).await.expect("get")) }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("search");
    configure(&mut group);
    group.bench_function("name_prefix", |b| {
        b.to_async(rt).iter(|| {
            let family = rng.pick(FAMILY_NAMES).copied().unwrap_or("Smith");
            let len = 2 + rng.below(3) as usize;
            let query = PatientQuery {
                name: Some(family.chars().take(len).collect()),
                limit: Some(Count32::new(20)),
                ..PatientQuery::default()
            };
            let (clinic, actor) = (&clinic, &actor);
            async move { black_box(clinic.search_patients(actor, &query).await.expect("search")) }
        })
    });
    group.finish();
}

/// Where criterion writes its results: `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else `target/criterion`.
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("criterion")
}

/// An estimate (ns per iteration) of one insert bench, if it ran in this
/// process: `slope` (what criterion prints as `time`, `None` under flat
/// sampling) or `mean`.
fn estimate_ns(dir: &Path, bench: &str, stat: &str, since: SystemTime) -> Option<f64> {
    let path = dir
        .join(INSERT_GROUP)
        .join(bench)
        .join("new")
        .join("estimates.json");
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < since {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json[stat]["point_estimate"].as_f64()
}

fn print_ratio(dir: &Path, since: SystemTime) {
    println!();
    println!("insert summary (criterion estimates of this run; thinner_schema_sqlx writes less than carebase, see the sqlite_baseline bench for the same statements):");
    for stat in ["slope", "mean"] {
        let register = estimate_ns(dir, REGISTER, stat, since);
        let raw = estimate_ns(dir, RAW_INSERT, stat, since);
        match (register, raw) {
            (Some(carebase), Some(raw)) => {
                let (c_ops, r_ops) = (1e9 / carebase, 1e9 / raw);
                println!(
                    "  {stat:<5}: register {c_ops:.0} ops/s ({:.1} us/op), thinner_schema_sqlx {r_ops:.0} ops/s ({:.1} us/op), ratio {:.2}x",
                    carebase / 1e3,
                    raw / 1e3,
                    c_ops / r_ops
                );
            }
            _ => println!("  {stat:<5}: not available (run both insert benches in one invocation)"),
        }
    }
}

fn main() {
    let since = SystemTime::now();
    let dir = criterion_dir();
    let mut c = Criterion::default()
        .output_directory(&dir)
        .configure_from_args();
    let rt = runtime();
    bench_insert(&mut c, &rt);
    bench_concurrent(&mut c, &rt);
    // `cargo bench` passes `--bench`; without it criterion only smoke-tests
    // each bench once, so a big preload would be wasted time.
    let benching = std::env::args().any(|a| a == "--bench");
    bench_get_and_search(&mut c, &rt, if benching { PRELOAD } else { PRELOAD_SMOKE });
    c.final_summary();
    if benching {
        print_ratio(&dir, since);
    }
}
