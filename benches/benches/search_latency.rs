//! Patient search latency at 1,000,000 patients, on SQLite and on
//! PostgreSQL (plain `main`, not criterion).
//!
//! Seeds (or reuses) a register of `CAREBASE_SEARCH_PATIENTS` patients
//! (default 1,000,000) with frequency-skewed names
//! ([`skewed_details_for`]: half of them carry one of 50 common family
//! names weighted by rank, so "s" or "ga" match tens of thousands),
//! registered through `Clinic::register_patients`, 1,000 per call, four
//! calls at a time: the rows are exactly those carebase writes. Then, as a
//! front-desk actor (every result is audited, as in production), it runs
//! every kind of search the API offers, each with a page of 20 and of 50,
//! and prints p50/p95/p99/max in microseconds per kind, the resident
//! memory of the process (VmHWM, VmRSS) after seeding and after the
//! searches, and the size of the data (SQLite file + WAL; PostgreSQL
//! `pg_total_relation_size` of every table).
//!
//! Kinds: name prefix of 1, 2 and 3 letters (taken from a random patient's
//! family or first given name, so common prefixes come up as often as they
//! occur), a full name ("given family"), an accent-insensitive name typed
//! without accents ("jose", "muller"), birth date, identifier, phone, email.
//!
//! Caches: SQLite in `$CARGO_TARGET_DIR/bench-data/search-v{DATA_VERSION}-{N}.db`
//! (searches run on a copy so their audit entries never grow the cache);
//! PostgreSQL in the schema `carebase_search_v{DATA_VERSION}_{N}` of
//! `CAREBASE_PG_URL`'s database, reused when its `bench_seed` marker says
//! it is complete (its searches' audit entries stay in it: 2 × 9 × 320
//! searches add at most ~190,000 audit rows a run). Bump [`DATA_VERSION`]
//! when the generated details change; schema migrations apply to a cached
//! database when it is opened, as they do to a clinic's.
//!
//! The PostgreSQL plans of every kind (none may sort or scan a table):
//! `benches/sql/postgres_search_plans.sql` on the seeded schema.
//!
//! Run: `cargo bench -p carebase-benches --bench search_latency` (both
//! backends; PostgreSQL only when `CAREBASE_PG_URL` is set), or add
//! `-- sqlite` / `-- postgres` for one. Without `--bench` (`cargo test
//! --benches`) it does a small smoke run on SQLite.

use carebase::Count32;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use carebase::clinic::NewPatient;
use carebase::patient::normalize::{email_key, fold_words, phone_key};
use carebase::patient::{PatientQuery, PatientSearch};
use carebase::{Clinic, Store};
use carebase_benches::report::process_cpu;
use carebase_benches::{
    front_desk, identifier_value, open_clinic_at, percentile, skewed_details_for, Lcg,
    BENCH_ID_SYSTEM,
};
use carebase_storage::{parse_postgres_url, PgPoolOptions, PostgresStore};

/// Version of the cached data; bump when its content would differ.
const DATA_VERSION: u32 = 3;
/// Patients in the bench register unless `CAREBASE_SEARCH_PATIENTS` says.
const PATIENTS: u64 = 1_000_000;
/// Measured searches per kind and page size.
const SEARCHES: usize = 300;
/// Unmeasured searches per kind and page size first (page cache, statements).
const WARM_UP: usize = 20;
/// Concurrent `register_patients` calls while seeding.
const WRITERS: u64 = 4;
/// Patients per `register_patients` call (the batch API's maximum).
const BATCH: u64 = 1_000;
/// Page sizes measured.
const PAGES: [u32; 2] = [20, 50];

/// Names typed without their accents; each folds to a prefix of a stored
/// name (José, Müller, García, …).
const UNACCENTED: &[&str] = &[
    "jose",
    "muller",
    "garcia",
    "nguyen",
    "pena",
    "lefevre",
    "schroder",
    "fernandez",
    "maria",
    "lucia",
    "sofia",
    "zoe",
    "renee",
    "soren",
    "jurgen",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Prefix1,
    Prefix2,
    Prefix3,
    FullName,
    Unaccented,
    BirthDate,
    Identifier,
    Phone,
    Email,
}

const KINDS: [Kind; 9] = [
    Kind::Prefix1,
    Kind::Prefix2,
    Kind::Prefix3,
    Kind::FullName,
    Kind::Unaccented,
    Kind::BirthDate,
    Kind::Identifier,
    Kind::Phone,
    Kind::Email,
];

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Prefix1 => "name prefix 1",
            Kind::Prefix2 => "name prefix 2",
            Kind::Prefix3 => "name prefix 3",
            Kind::FullName => "full name",
            Kind::Unaccented => "unaccented",
            Kind::BirthDate => "birth date",
            Kind::Identifier => "identifier",
            Kind::Phone => "phone",
            Kind::Email => "email",
        }
    }
}

/// A query of `kind` built from a random stored patient's details.
fn query(kind: Kind, limit: u32, rng: &mut Lcg, patients: u64) -> PatientQuery {
    let index = rng.below(patients);
    let details = skewed_details_for(index);
    let mut q = PatientQuery {
        limit: Some(Count32::new(limit)),
        ..PatientQuery::default()
    };
    let name = &details.names[0];
    let family = name.family.clone().unwrap_or_default();
    let given = name.given[0].clone();
    let prefix = |len: usize, rng: &mut Lcg| {
        let part = if rng.below(2) == 0 { &family } else { &given };
        Some(part.chars().take(len).collect::<String>())
    };
    match kind {
        Kind::Prefix1 => q.name = prefix(1, rng),
        Kind::Prefix2 => q.name = prefix(2, rng),
        Kind::Prefix3 => q.name = prefix(3, rng),
        Kind::FullName => q.name = Some(format!("{given} {family}")),
        Kind::Unaccented => q.name = rng.pick(UNACCENTED).map(|s| (*s).to_owned()),
        Kind::BirthDate => q.birth_date = details.birth_date,
        Kind::Identifier => {
            q.identifier_system = Some(BENCH_ID_SYSTEM.to_owned());
            q.identifier_value = Some(identifier_value(index));
        }
        Kind::Phone => q.phone = Some(details.telecom[0].value.clone()),
        Kind::Email => q.email = Some(details.telecom[1].value.clone()),
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

/// `VmHWM` and `VmRSS` of this process, in MiB.
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    format!(
        "VmHWM {} MiB, VmRSS {} MiB",
        field("VmHWM:"),
        field("VmRSS:")
    )
}

/// Registers `patients` through `register_patients`, [`WRITERS`] calls at a
/// time, and returns the elapsed time.
async fn seed(clinic: &Clinic, patients: u64) -> Duration {
    let started = Instant::now();
    let batches = patients.div_ceil(BATCH);
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let clinic = clinic.clone();
        tasks.push(tokio::spawn(async move {
            let actor = front_desk();
            let mut batch = writer;
            while batch < batches {
                let from = batch * BATCH;
                let to = (from + BATCH).min(patients);
                let news = (from..to)
                    .map(|i| NewPatient {
                        details: skewed_details_for(i),
                        mrn_facility: None,
                    })
                    .collect();
                let answer = clinic
                    .register_patients(&actor, news)
                    .await
                    .expect("register a batch");
                assert_eq!(answer.refused, 0, "every generated patient is valid");
                if writer == 0 && batch % 100 == 0 && batch > 0 {
                    eprintln!("  … {to} registered ({:.0?})", started.elapsed());
                }
                batch += WRITERS;
            }
        }));
    }
    for task in tasks {
        task.await.expect("seeding task");
    }
    started.elapsed()
}

fn report_seed(patients: u64, elapsed: Duration, backend: &str) {
    println!(
        "setup: {patients} patients in {:.1} s = {:.0} patients/s (register_patients, 1,000 per call, {WRITERS} calls at a time, {backend})",
        elapsed.as_secs_f64(),
        patients as f64 / elapsed.as_secs_f64()
    );
}

/// The cached SQLite register of `patients`, seeded when missing.
async fn sqlite_database(patients: u64) -> PathBuf {
    let dir = cache_dir();
    std::fs::create_dir_all(&dir).expect("create bench-data dir");
    let db = dir.join(format!("search-v{DATA_VERSION}-{patients}.db"));
    let ready = with_suffix(&db, ".ready");
    if ready.exists() {
        println!("setup: reusing {}", db.display());
        // Opening applies any newer schema migration to the cache once
        // (a 1,000,000-patient backfill takes minutes), not to every copy.
        let started = Instant::now();
        let (store, _clinic) = open_clinic_at(&db).await.expect("open cached database");
        store.close().await;
        println!(
            "setup: cache opened (migrated) in {:.1?}",
            started.elapsed()
        );
        return db;
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(&db, suffix));
    }
    let (store, clinic) = open_clinic_at(&db).await.expect("create bench database");
    let elapsed = seed(&clinic, patients).await;
    store.close().await;
    report_seed(patients, elapsed, "SQLite file, WAL, synchronous=NORMAL");
    println!("memory after seeding: {}", memory());
    std::fs::write(&ready, format!("{patients} patients, {elapsed:?}\n")).expect("write marker");
    db
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

async fn run_sqlite(patients: u64, searches: usize, warm_up: usize) {
    let cached = sqlite_database(patients).await;
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!(
        "sqlite size of {patients} patients: file {:.1} MiB + WAL {:.1} MiB",
        mib(file_size(&cached)),
        mib(file_size(&with_suffix(&cached, "-wal")))
    );
    let work = tempfile::tempdir_in(cache_dir()).expect("temp dir");
    let db = work.path().join("search.db");
    for suffix in ["", "-wal"] {
        let from = with_suffix(&cached, suffix);
        if from.exists() {
            std::fs::copy(&from, with_suffix(&db, suffix)).expect("copy bench database");
        }
    }
    let (store, clinic) = open_clinic_at(&db).await.expect("open bench database");
    println!("memory after opening: {}", memory());
    measure(
        "sqlite",
        store.as_ref(),
        &clinic,
        patients,
        searches,
        warm_up,
    )
    .await;
    // The WAL the searches' audit entries left: the checkpointer keeps it
    // small when its checkpoints finish between commits.
    println!(
        "sqlite WAL after the searches: {:.1} MiB",
        mib(file_size(&with_suffix(&db, "-wal")))
    );
    store.close().await;
}

async fn run_postgres(url: &str, patients: u64, searches: usize, warm_up: usize) {
    use sqlx::ConnectOptions;
    let (admin, _) = parse_postgres_url(url).expect("CAREBASE_PG_URL");
    let schema = format!("carebase_search_v{DATA_VERSION}_{patients}");
    let mut conn = admin.connect().await.expect("connect to PostgreSQL");
    let ready: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT patients FROM {schema}.bench_seed WHERE patients = {patients}"
    ))
    .fetch_optional(&mut conn)
    .await
    .ok()
    .flatten();
    if ready.is_none() {
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .execute(&mut conn)
            .await
            .expect("drop an incomplete bench schema");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut conn)
            .await
            .expect("create the bench schema");
    } else {
        println!("setup: reusing schema {schema}");
    }
    let options = admin.clone().options([("search_path", schema.as_str())]);
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(60));
    let store = Arc::new(
        PostgresStore::connect(options, pool)
            .await
            .expect("open the bench schema"),
    );
    let clinic = Clinic::new(store.clone() as Arc<dyn Store>);
    if ready.is_none() {
        let elapsed = seed(&clinic, patients).await;
        report_seed(patients, elapsed, "PostgreSQL");
        println!("memory after seeding: {}", memory());
        // One statement per query: a prepared statement holds one command.
        for statement in [
            format!("CREATE TABLE {schema}.bench_seed (patients bigint NOT NULL)"),
            format!("INSERT INTO {schema}.bench_seed VALUES ({patients})"),
            "ANALYZE".to_owned(),
        ] {
            sqlx::query(&statement)
                .execute(&mut conn)
                .await
                .expect("mark the bench schema complete");
        }
    }
    let sizes: Vec<(String, i64)> = sqlx::query_as(
        "SELECT c.relname::text, pg_total_relation_size(c.oid) FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 2 DESC",
    )
    .bind(&schema)
    .fetch_all(&mut conn)
    .await
    .expect("relation sizes");
    let total: i64 = sizes.iter().map(|(_, b)| b).sum();
    println!(
        "postgres size of {patients} patients (pg_total_relation_size, MiB): total {:.1}",
        total as f64 / 1048576.0
    );
    for (table, bytes) in sizes.iter().filter(|(_, b)| *b > 1 << 20) {
        println!("  {table:<28} {:>9.1}", *bytes as f64 / 1048576.0);
    }
    println!("memory after opening: {}", memory());
    measure(
        "postgres",
        store.as_ref(),
        &clinic,
        patients,
        searches,
        warm_up,
    )
    .await;
    store.close().await;
}

struct Stats {
    micros: Vec<u64>,
    hits: usize,
    /// Process CPU (user + system, every thread) per clinic search, µs.
    cpu: Vec<u64>,
    /// Process CPU per store search, µs.
    store_cpu: Vec<u64>,
}

/// The store's part of `query` as core hands it over (the longest name word
/// first, page size + 1), so the store's query is timed on its own, without
/// the policy, the masking and the audit entries a search writes.
fn store_search(q: &PatientQuery) -> PatientSearch {
    let mut name_prefixes = q.name.as_deref().map(fold_words).unwrap_or_default();
    name_prefixes.sort_by_key(|p| std::cmp::Reverse(p.chars().count()));
    PatientSearch {
        name_prefixes,
        birth_date: q.birth_date,
        identifier_system: q.identifier_system.clone(),
        identifier_value: q.identifier_value.clone(),
        phone: q.phone.as_deref().and_then(|p| phone_key(p, None)),
        email: q.email.as_deref().and_then(email_key),
        limit: (q.limit.unwrap_or(Count32::new(50)) + 1).get(),
        ..PatientSearch::default()
    }
}

fn print_row(label: &str, limit: u32, stats: &mut Stats, store: &mut [u64]) {
    stats.micros.sort_unstable();
    stats.cpu.sort_unstable();
    stats.store_cpu.sort_unstable();
    store.sort_unstable();
    let v = &stats.micros;
    println!(
        "{label:<14} {limit:>5} {:>6} {:>8} {:>8} {:>8} {:>8} {:>9.1} {:>9} {:>9} {:>8} {:>9}",
        v.len(),
        percentile(v, 0.50),
        percentile(v, 0.95),
        percentile(v, 0.99),
        v.last().copied().unwrap_or(0),
        stats.hits as f64 / v.len().max(1) as f64,
        percentile(store, 0.50),
        percentile(store, 0.99),
        percentile(&stats.cpu, 0.50),
        percentile(&stats.store_cpu, 0.50),
    );
}

async fn measure(
    backend: &str,
    store: &dyn Store,
    clinic: &Clinic,
    patients: u64,
    searches: usize,
    warm_up: usize,
) {
    let actor = front_desk();
    let mut rng = Lcg::new(2024);
    println!();
    println!(
        "{backend}: search latency, {patients} patients, {searches} searches per row, microseconds: \
         Clinic::search_patients as a front desk (policy, masking, one audit entry per result written \
         through the store), then the store's query alone (store p50/p99, same queries, same run); \
         cpu p50 = process CPU per search (user + system, every thread), which the machine's load \
         does not inflate the way it does wall time"
    );
    println!(
        "{:<14} {:>5} {:>6} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9} {:>8} {:>9}",
        "kind",
        "page",
        "n",
        "p50",
        "p95",
        "p99",
        "max",
        "avg hits",
        "store p50",
        "store p99",
        "cpu p50",
        "store cpu"
    );
    for kind in KINDS {
        for limit in PAGES {
            let mut stats = Stats {
                micros: Vec::with_capacity(searches),
                hits: 0,
                cpu: Vec::with_capacity(searches),
                store_cpu: Vec::with_capacity(searches),
            };
            let mut store_micros = Vec::with_capacity(searches);
            for i in 0..warm_up + searches {
                let q = query(kind, limit, &mut rng, patients);
                let cpu = process_cpu();
                let started = Instant::now();
                let page = clinic.search_patients(&actor, &q).await.expect("search");
                let micros = started.elapsed().as_micros() as u64;
                let cpu = process_cpu().saturating_sub(cpu).as_micros() as u64;
                if kind == Kind::Identifier {
                    assert_eq!(page.items.len(), 1, "an identifier finds its patient");
                }
                let search = store_search(&q);
                let store_cpu = process_cpu();
                let started = Instant::now();
                let found = store.search_patients(&search).await.expect("store search");
                let store_time = started.elapsed().as_micros() as u64;
                let store_cpu = process_cpu().saturating_sub(store_cpu).as_micros() as u64;
                assert_eq!(
                    found.len().min(limit as usize),
                    page.items.len(),
                    "the store finds what the clinic shows"
                );
                if i >= warm_up {
                    stats.micros.push(micros);
                    stats.hits += page.items.len();
                    store_micros.push(store_time);
                    stats.cpu.push(cpu);
                    stats.store_cpu.push(store_cpu);
                }
            }
            print_row(kind.label(), limit, &mut stats, &mut store_micros);
        }
    }
    println!("{backend}: memory after searches: {}", memory());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let benching = args.iter().any(|a| a == "--bench");
    let only = |name: &str| {
        let named = args.iter().any(|a| a == "sqlite" || a == "postgres");
        !named || args.iter().any(|a| a == name)
    };
    let patients = std::env::var("CAREBASE_SEARCH_PATIENTS")
        .ok()
        .and_then(|v| v.parse().ok());
    let (patients, searches, warm_up) = if benching {
        (patients.unwrap_or(PATIENTS), SEARCHES, WARM_UP)
    } else {
        (patients.unwrap_or(500), 10, 2)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    if only("sqlite") {
        rt.block_on(run_sqlite(patients, searches, warm_up));
    }
    match std::env::var("CAREBASE_PG_URL") {
        Ok(url) if benching && only("postgres") => {
            rt.block_on(run_postgres(&url, patients, searches, warm_up));
        }
        _ => println!("postgres: skipped (needs CAREBASE_PG_URL and --bench)"),
    }
}
