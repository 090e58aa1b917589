//! Search latency at 100,000 patients (plain `main`, not criterion).
//!
//! Builds (or reuses) a SQLite file of 100,000 patients registered through
//! the `Clinic`, one transaction each, then runs 2,000 searches as a
//! front-desk actor (limit 20), a mix of name prefix (2–4 letters), birth
//! date, phone and identifier, and prints p50/p95/p99/max latency in
//! microseconds per kind and overall, plus the setup rate.
//!
//! The built file is cached in `$CARGO_TARGET_DIR/bench-data/` under
//! [`DATA_VERSION`]; bump it whenever the generated details or the storage
//! schema change. Searches run on a copy, so the audit entries they write
//! never grow the cache.
//!
//! Run: `cargo bench -p carebase-benches --bench search_latency`. Without
//! `--bench` (e.g. `cargo test --benches`) it does a small smoke run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use carebase::clinic::NewPatient;
use carebase::patient::PatientQuery;
use carebase::Clinic;
use carebase_benches::{
    details_for, front_desk, identifier_value, open_clinic_at, percentile, Lcg, BENCH_ID_SYSTEM,
};

/// Version of the cached database; bump when its content would differ.
const DATA_VERSION: u32 = 2;
/// Patients in the bench database.
const PATIENTS: u64 = 100_000;
/// Searches measured (after [`WARM_UP`] unmeasured ones).
const SEARCHES: usize = 2_000;
/// Unmeasured searches first (page cache, statement cache).
const WARM_UP: usize = 200;
/// Concurrent registering tasks while building.
const WRITERS: u64 = 4;
/// Page size of every search.
const LIMIT: u32 = 20;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Name,
    BirthDate,
    Phone,
    Identifier,
}

const KINDS: [Kind; 4] = [Kind::Name, Kind::BirthDate, Kind::Phone, Kind::Identifier];

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Name => "name prefix",
            Kind::BirthDate => "birth date",
            Kind::Phone => "phone",
            Kind::Identifier => "identifier",
        }
    }
}

/// A query of `kind` built from a random stored patient's details.
fn query(kind: Kind, rng: &mut Lcg, patients: u64) -> PatientQuery {
    let index = rng.below(patients);
    let details = details_for(index);
    let mut q = PatientQuery {
        limit: Some(LIMIT),
        ..PatientQuery::default()
    };
    match kind {
        Kind::Name => {
            let name = &details.names[0];
            let part = if rng.below(2) == 0 {
                name.family.clone().unwrap_or_default()
            } else {
                name.given[0].clone()
            };
            let len = 2 + rng.below(3) as usize;
            q.name = Some(part.chars().take(len).collect());
        }
        Kind::BirthDate => q.birth_date = details.birth_date,
        Kind::Phone => q.phone = Some(details.telecom[0].value.clone()),
        Kind::Identifier => {
            q.identifier_system = Some(BENCH_ID_SYSTEM.to_owned());
            q.identifier_value = Some(identifier_value(index));
        }
    }
    q
}

fn cache_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("bench-data")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Registers `patients` through the clinic, `WRITERS` tasks at a time, and
/// returns the elapsed time.
async fn build(path: &Path, patients: u64) -> Duration {
    let (store, clinic) = open_clinic_at(path).await.expect("create bench database");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let clinic: Clinic = clinic.clone();
        tasks.push(tokio::spawn(async move {
            let actor = front_desk();
            let mut index = writer;
            while index < patients {
                let new = NewPatient {
                    details: details_for(index),
                    mrn_facility: None,
                };
                clinic
                    .register_patient(&actor, new)
                    .await
                    .expect("register");
                if writer == 0 && index > 0 && index % 20_000 == 0 {
                    eprintln!("  … {index} registered ({:.0?})", started.elapsed());
                }
                index += WRITERS;
            }
        }));
    }
    for task in tasks {
        task.await.expect("writer task");
    }
    let elapsed = started.elapsed();
    store.close().await;
    elapsed
}

/// The cached database of `patients`, built when missing.
async fn cached_database(patients: u64) -> PathBuf {
    let dir = cache_dir();
    std::fs::create_dir_all(&dir).expect("create bench-data dir");
    let db = dir.join(format!("search-v{DATA_VERSION}-{patients}.db"));
    let ready = with_suffix(&db, ".ready");
    if ready.exists() {
        println!("setup: reusing {}", db.display());
        return db;
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(&db, suffix));
    }
    println!("setup: registering {patients} patients ({WRITERS} tasks, 1 tx each) …");
    let elapsed = build(&db, patients).await;
    println!(
        "setup: {patients} patients in {:.1} s = {:.0} patients/s (Clinic::register_patient, SQLite file, WAL, synchronous=NORMAL)",
        elapsed.as_secs_f64(),
        patients as f64 / elapsed.as_secs_f64()
    );
    std::fs::write(&ready, format!("{patients} patients, {elapsed:?}\n")).expect("write marker");
    db
}

struct Stats {
    micros: Vec<u64>,
    hits: usize,
}

fn print_row(label: &str, stats: &mut Stats) {
    stats.micros.sort_unstable();
    let v = &stats.micros;
    let mean = v.iter().sum::<u64>() as f64 / v.len().max(1) as f64;
    println!(
        "{label:<12} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8.0} {:>9.1}",
        v.len(),
        percentile(v, 0.50),
        percentile(v, 0.95),
        percentile(v, 0.99),
        v.last().copied().unwrap_or(0),
        mean,
        stats.hits as f64 / v.len().max(1) as f64,
    );
}

async fn run(patients: u64, searches: usize, warm_up: usize) {
    let cached = cached_database(patients).await;
    let work = tempfile::tempdir().expect("temp dir");
    let db = work.path().join("search.db");
    for suffix in ["", "-wal"] {
        let from = with_suffix(&cached, suffix);
        if from.exists() {
            std::fs::copy(&from, with_suffix(&db, suffix)).expect("copy bench database");
        }
    }
    let (store, clinic) = open_clinic_at(&db).await.expect("open bench database");
    let actor = front_desk();
    let mut rng = Lcg::new(2024);

    for i in 0..warm_up {
        let q = query(KINDS[i % KINDS.len()], &mut rng, patients);
        clinic
            .search_patients(&actor, &q)
            .await
            .expect("warm-up search");
    }
    let mut per_kind: Vec<Stats> = KINDS
        .iter()
        .map(|_| Stats {
            micros: Vec::with_capacity(searches / KINDS.len() + 1),
            hits: 0,
        })
        .collect();
    let mut all = Stats {
        micros: Vec::with_capacity(searches),
        hits: 0,
    };
    for i in 0..searches {
        let k = i % KINDS.len();
        let q = query(KINDS[k], &mut rng, patients);
        let started = Instant::now();
        let page = clinic.search_patients(&actor, &q).await.expect("search");
        let micros = started.elapsed().as_micros() as u64;
        if KINDS[k] == Kind::Identifier {
            assert_eq!(
                page.items.len(),
                1,
                "an identifier finds exactly its patient"
            );
        }
        per_kind[k].micros.push(micros);
        per_kind[k].hits += page.items.len();
        all.micros.push(micros);
        all.hits += page.items.len();
    }
    store.close().await;

    println!();
    println!(
        "search latency, {patients} patients, {searches} searches (limit {LIMIT}, front desk, each result audited), microseconds:"
    );
    println!(
        "{:<12} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}",
        "kind", "n", "p50", "p95", "p99", "max", "mean", "avg hits"
    );
    for (kind, stats) in KINDS.iter().zip(per_kind.iter_mut()) {
        print_row(kind.label(), stats);
    }
    print_row("overall", &mut all);
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let (patients, searches, warm_up) = if benching {
        (PATIENTS, SEARCHES, WARM_UP)
    } else {
        (500, 40, 4)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(run(patients, searches, warm_up));
}
