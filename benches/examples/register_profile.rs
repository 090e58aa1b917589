//! A profiling harness for issue 12's `register_one` gap: registrations
//! one at a time, by carebase (`Clinic::register_patient`) and by rusqlite
//! running carebase's statements (`RusqliteSameStatements::register`), each
//! on its own file carebase created and migrated.
//!
//! * `register_profile loop <contender> [ops]` registers `ops` patients
//!   (10,000 by default) with one contender, for `perf record -g` or
//!   `perf stat` to look at one of them alone;
//! * `register_profile side [ops] [round]` runs every contender interleaved
//!   in rounds (4,000 ops each by default, rounds of 200) and prints each
//!   one's p50, p99, ops/s and process CPU per operation.
//!
//! * `register_profile parts [ops]` times carebase's rules, an empty
//!   carebase write and rusqlite's empty transaction, each alone;
//! * `register_profile concurrent [ops] [callers]` compares carebase one at
//!   a time with `callers` concurrent callers (8 by default): ops/s,
//!   registrations per write transaction and each thread's CPU share.
//!
//! Contenders: `carebase` (its checkpointer restarts the WAL past 4,096
//! frames), `carebase_restart_1000` (restarts past 1,000 frames),
//! `carebase_cache_2mib` (the write connection's page cache at SQLite's
//! default 2 MiB instead of carebase's 32 MiB),
//! `rusqlite` (SQLite's automatic checkpoint every 1,000 pages, inside
//! the COMMIT that crosses it), `rusqlite_autocheckpoint_4096` (the WAL
//! grows to carebase's 16 MiB before a COMMIT checkpoints it).
//!
//! Run: `cargo run --release -p carebase-benches --example register_profile -- side`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use carebase::clinic::NewPatient;
use carebase::{Actor, Clinic};
use carebase_benches::report::{print_row, process_cpu, Recorder};
use carebase_benches::same_statements::RusqliteSameStatements;
use carebase_benches::{details_for, front_desk, open_clinic_at};
use carebase_storage::SqliteStore;
use tempfile::TempDir;

const CONTENDERS: &[&str] = &[
    "carebase",
    "carebase_restart_1000",
    "carebase_cache_2mib",
    "rusqlite",
    "rusqlite_autocheckpoint_4096",
];

/// One contender, on its own file.
enum Contender {
    Carebase {
        clinic: Clinic,
        _store: Arc<SqliteStore>,
    },
    Rusqlite(RusqliteSameStatements),
}

/// A fresh file created and migrated by carebase, then closed.
async fn migrated_file() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("carebase.db");
    let (store, _clinic) = open_clinic_at(&path).await.expect("open carebase");
    store.close().await;
    (dir, path)
}

async fn open(name: &str, path: &Path) -> Contender {
    match name {
        "carebase" | "carebase_restart_1000" | "carebase_cache_2mib" => {
            let (store, clinic) = open_clinic_at(path).await.expect("reopen carebase");
            if name == "carebase_restart_1000" {
                store
                    .restart_wal_after(1_000)
                    .expect("set the restart size");
            }
            if name == "carebase_cache_2mib" {
                // SQLite's default page cache, as the baselines have.
                store
                    .with_connection(|conn| conn.execute_batch("PRAGMA cache_size = -2000"))
                    .await
                    .expect("cache_size");
            }
            Contender::Carebase {
                clinic,
                _store: store,
            }
        }
        "rusqlite" | "rusqlite_autocheckpoint_4096" => {
            let rusqlite = RusqliteSameStatements::open(path).expect("open rusqlite");
            if name == "rusqlite_autocheckpoint_4096" {
                rusqlite
                    .set_wal_autocheckpoint(4_096)
                    .expect("wal_autocheckpoint");
            }
            Contender::Rusqlite(rusqlite)
        }
        other => panic!("unknown contender {other}; one of {CONTENDERS:?}"),
    }
}

/// Registers patient `index` through `clinic`, as every carebase row does.
async fn register_on(clinic: &Clinic, actor: &Actor, index: u64) {
    let new = NewPatient {
        details: details_for(index),
        mrn_facility: None,
    };
    let patient = clinic.register_patient(actor, new).await;
    std::hint::black_box(patient.expect("carebase register"));
}

impl Contender {
    async fn register(&self, actor: &Actor, index: u64) {
        match self {
            Contender::Carebase { clinic, .. } => register_on(clinic, actor, index).await,
            Contender::Rusqlite(rusqlite) => {
                let id = rusqlite.register(&details_for(index));
                std::hint::black_box(id.expect("rusqlite register"));
            }
        }
    }
}

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .nth(n)
        .map_or(default, |a| a.parse().expect("a number"))
}

async fn run() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "side".into());
    let actor = front_desk();
    let mut next = 0_u64;
    match mode.as_str() {
        "loop" => {
            let name = std::env::args().nth(2).expect("a contender");
            let ops = arg(3, 10_000);
            let (_dir, path) = migrated_file().await;
            let contender = open(&name, &path).await;
            let (cpu, wall) = (process_cpu(), Instant::now());
            for index in 0..ops {
                contender.register(&actor, index).await;
            }
            let (wall, cpu) = (wall.elapsed(), process_cpu().saturating_sub(cpu));
            println!(
                "{name}: {ops} registrations, {:.1} us/op wall, {:.1} us/op cpu",
                wall.as_secs_f64() * 1e6 / ops as f64,
                cpu.as_secs_f64() * 1e6 / ops as f64
            );
        }
        "side" => {
            let (ops, round) = (arg(2, 4_000), arg(3, 200).max(1));
            let mut dirs = Vec::new();
            let mut contenders = Vec::new();
            for name in CONTENDERS {
                let (dir, path) = migrated_file().await;
                dirs.push(dir);
                contenders.push(open(name, &path).await);
            }
            let mut recorders: Vec<Recorder> =
                CONTENDERS.iter().map(|_| Recorder::default()).collect();
            for _ in 0..ops.div_ceil(round) {
                for (contender, recorder) in contenders.iter().zip(&mut recorders) {
                    recorder
                        .run(round, || {
                            next += 1;
                            contender.register(&actor, next)
                        })
                        .await;
                }
            }
            println!("register one at a time, interleaved in rounds of {round}:");
            for (name, recorder) in CONTENDERS.iter().zip(&recorders) {
                print_row(name, &recorder.figures());
            }
            let at = |name: &str| CONTENDERS.iter().position(|c| *c == name).unwrap_or(0);
            let (cb, rs) = (
                recorders[at("carebase")].figures(),
                recorders[at("rusqlite")].figures(),
            );
            println!(
                "  carebase/rusqlite: p50 {:.2}x, cpu {:.2}x",
                cb.p50_us / rs.p50_us,
                cb.cpu_us_per_op / rs.cpu_us_per_op
            );
        }
        "parts" => parts(arg(2, 4_000)).await,
        "concurrent" => concurrent(arg(2, 4_000), arg(3, 8)).await,
        other => panic!("unknown mode {other}: loop, side, parts or concurrent"),
    }
}

/// The parts of a registration, each timed alone on its own: carebase's
/// rules (`validate_and_key`), carebase's engine around an empty change
/// (`with_connection` doing nothing: BEGIN, SAVEPOINT, RELEASE, COMMIT of
/// nothing, the job's boxing, oneshot and turn), and rusqlite running the
/// same four statements.
async fn parts(ops: u64) {
    let settings = carebase::Settings::default();
    let details: Vec<_> = (0..ops).map(details_for).collect();
    let (_dir, path) = migrated_file().await;
    let (store, _clinic) = open_clinic_at(&path).await.expect("reopen carebase");
    let (_raw_dir, raw_path) = migrated_file().await;
    let raw = rusqlite::Connection::open(&raw_path).expect("open rusqlite");
    raw.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
        .expect("pragmas");
    let mut rules = Recorder::default();
    let mut engine = Recorder::default();
    let mut bare = Recorder::default();
    for chunk in details.chunks(200) {
        let mut at = chunk.iter();
        rules
            .run(chunk.len() as u64, || {
                let d = at.next().expect("details");
                let keys =
                    carebase::patient::validate::validate_and_key(d, chrono::Utc::now(), &settings);
                std::hint::black_box(keys.expect("valid"));
                async {}
            })
            .await;
        engine
            .run(chunk.len() as u64, || async {
                store
                    .with_connection(|_| Ok(()))
                    .await
                    .expect("empty write");
            })
            .await;
        bare.run(chunk.len() as u64, || {
            for sql in ["BEGIN IMMEDIATE", "SAVEPOINT job", "RELEASE job", "COMMIT"] {
                raw.prepare_cached(sql)
                    .and_then(|mut s| s.execute([]))
                    .expect("control");
            }
            async {}
        })
        .await;
    }
    println!("parts of a registration, each alone:");
    print_row("carebase_rules", &rules.figures());
    print_row("carebase_empty_write", &engine.figures());
    print_row("rusqlite_empty_transaction", &bare.figures());
}

/// Each thread of this process: its name and CPU time so far (user and
/// system, in clock ticks, from `/proc/self/task/*/stat`), by thread id.
fn thread_ticks() -> std::collections::BTreeMap<u64, (String, u64)> {
    let mut threads = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return threads;
    };
    for task in tasks.flatten() {
        let Ok(tid) = task.file_name().to_string_lossy().parse::<u64>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ...`: fields 14 and 15 (utime, stime) counted
        // from after the name's closing parenthesis.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_owned();
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        let tick = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        threads.insert(tid, (name, tick(11) + tick(12)));
    }
    threads
}

/// carebase's registrations one at a time and from `callers` concurrent
/// callers, alternated in rounds: ops/s, registrations per write
/// transaction (`SqliteStore::write_transactions`), and each thread's CPU
/// as a share of the wall time (a writer thread near 100% is saturated).
async fn concurrent(ops: u64, callers: u64) {
    let ticks_per_s = 100.0; // USER_HZ on Linux
    let (_dir, path) = migrated_file().await;
    let (store, clinic) = open_clinic_at(&path).await.expect("reopen carebase");
    let actor = front_desk();
    let round = 400_u64;
    let mut next = 0_u64;
    let (mut one_wall, mut many_wall) = (0.0, 0.0);
    let (mut one_commits, mut many_commits) = (0, 0);
    let mut busy: std::collections::BTreeMap<u64, (String, u64)> = Default::default();
    for _ in 0..ops.div_ceil(round) {
        let (commits, wall) = (store.write_transactions(), Instant::now());
        for _ in 0..round {
            next += 1;
            register_on(&clinic, &actor, next).await;
        }
        one_wall += wall.elapsed().as_secs_f64();
        one_commits += store.write_transactions() - commits;

        let before = thread_ticks();
        let (commits, wall) = (store.write_transactions(), Instant::now());
        let per_caller = round / callers;
        let tasks: Vec<_> = (0..callers)
            .map(|caller| {
                let (clinic, actor) = (clinic.clone(), actor.clone());
                let from = next + 1 + caller * per_caller;
                tokio::spawn(async move {
                    for index in from..from + per_caller {
                        register_on(&clinic, &actor, index).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("caller");
        }
        next += per_caller * callers;
        many_wall += wall.elapsed().as_secs_f64();
        many_commits += store.write_transactions() - commits;
        for (tid, (name, ticks)) in thread_ticks() {
            let was = before.get(&tid).map_or(0, |(_, t)| *t);
            let entry = busy.entry(tid).or_insert((name, 0));
            entry.1 += ticks.saturating_sub(was);
        }
    }
    let rounds = ops.div_ceil(round) as f64;
    let per_round = round as f64;
    let many_ops = (round / callers * callers) as f64 * rounds;
    println!("carebase register_patient, one at a time vs {callers} callers, rounds of {round}:");
    println!(
        "  one at a time: {:.0} ops/s, {:.2} registrations per transaction",
        per_round * rounds / one_wall,
        per_round * rounds / one_commits.max(1) as f64
    );
    println!(
        "  {callers} callers:     {:.0} ops/s ({:.2}x), {:.2} registrations per transaction",
        many_ops / many_wall,
        (many_ops / many_wall) / (per_round * rounds / one_wall),
        many_ops / many_commits.max(1) as f64
    );
    println!("  threads' CPU during the {callers}-caller rounds, share of their wall time:");
    for (tid, (name, ticks)) in busy {
        if ticks > 0 {
            println!(
                "    {tid:>8} {name:<16} {:5.1}%",
                ticks as f64 / ticks_per_s / many_wall * 100.0
            );
        }
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(run());
}
