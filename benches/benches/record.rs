//! Criterion benches of the health record over a SQLite file (WAL,
//! synchronous = NORMAL, the store's defaults), the figures through
//! the `Clinic` (authorization, validation, the read's audit entry and the
//! sight included), then the store alone for comparison:
//!
//! * `record/record_observation`: `Clinic::record_entry` of one body
//!   weight by a doctor on the patient's care team: the entry, its audit
//!   entry and its `observation.recorded` event in one transaction.
//! * `record/timeline_first_page`: `Clinic::patient_timeline`'s first page
//!   (50 entries) of a patient with 10,000 entries (eight vital-sign codes).
//! * `record/timeline_by_code_first_page`: the same timeline filtered by
//!   one code and no kind (1,250 of the 10,000 entries match).
//! * `record/latest_vitals`: `Clinic::latest_vitals` of the same patient
//!   (the 13 vital-sign codes asked, 8 present).
//! * `record_store/…`: the store's `apply`/`entries`/`latest_entries` for
//!   the same work, without the clinic.
//! * `code_index/…` (plain timing, after criterion): what the index of a
//!   patient's entries of one code of any kind (migration 0010) costs a
//!   write and saves a timeline page filtered by code without a kind: two
//!   files seeded alike, one with the index dropped, in alternating rounds
//!   (p50, p99, and the ratio).
//!
//! Run: `cargo bench -p carebase-benches --bench record` (only the index's
//! cost: `cargo bench -p carebase-benches --bench record -- code_index`).
//! Without `--bench` (`cargo test --benches`) it runs a short smoke pass.

use carebase::Count32;
use std::hint::black_box;
use std::sync::Arc;

use carebase::audit::{AuditDraft, Outcome};
use carebase::clinic::NewPatient;
use carebase::ids::{ActorId, AuditEntryId, EntryId, PatientId};
use carebase::record::{
    entry_event, ClinicalEntry, Coding, EntryBody, EntryKind, EntryQuery, NewEntry, Revision,
    RevisionKind, TimelineQuery,
};
use carebase::schedule::{Availability, NewPractitioner};
use carebase::store::ChangeSet;
use carebase::{Actor, Clinic, Role, Store};
use carebase_benches::{details_for, front_desk, percentile};
use carebase_storage::SqliteStore;
use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::Criterion;
use tokio::runtime::Runtime;

/// Entries of the patient whose record is read.
const ENTRIES: u32 = 10_000;
/// Appended per change set while seeding.
const SEED_BATCH: u32 = 500;
/// Vital-sign LOINC codes and units the seeded observations cycle through.
const VITALS: [(&str, &str, &str); 8] = [
    ("8867-4", "72", "/min"),
    ("8480-6", "120", "mm[Hg]"),
    ("8462-4", "80", "mm[Hg]"),
    ("8310-5", "36.8", "Cel"),
    ("9279-1", "16", "/min"),
    ("29463-7", "70.50", "kg"),
    ("8302-2", "172", "cm"),
    ("2708-6", "98", "%"),
];

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 8, 0, 0)
        .single()
        .unwrap_or_default()
}

fn observation(patient: PatientId, n: u32) -> ClinicalEntry {
    let (code, value, unit) = VITALS[n as usize % VITALS.len()];
    let body: EntryBody = serde_json::from_value(serde_json::json!({
        "kind": "observation",
        "code": {"system": "http://loinc.org", "code": code},
        "category": "vital-signs",
        "status": "final",
        "value": {"type": "quantity", "value": value, "unit": unit},
    }))
    .expect("observation body");
    let at = start() + Duration::minutes(i64::from(n));
    ClinicalEntry {
        id: EntryId::new(),
        patient,
        version: Count32::new(1),
        effective_at: at,
        recorded_at: at,
        recorded_by: ActorId::new(),
        encounter: None,
        revision: Revision {
            kind: RevisionKind::Recorded,
            reason: None,
        },
        fhir: None,
        body,
    }
}

/// The change set recording one observation: entry, audit, event.
fn record_change_set(entry: ClinicalEntry) -> ChangeSet {
    let audit = AuditDraft {
        id: AuditEntryId::new(),
        at: entry.recorded_at,
        actor: entry.recorded_by,
        roles: vec![Role::Practitioner],
        action: "record.observation".into(),
        patient: Some(entry.patient),
        outcome: Outcome::Success,
        reason: "care team".into(),
        break_glass: None,
        subject: None,
    };
    let event = entry_event("observation.recorded", &entry);
    ChangeSet::default().entry(entry).audit(audit).event(event)
}

async fn open() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("record.db").display());
    let store = SqliteStore::open(&url).await.expect("open sqlite file");
    (dir, Arc::new(store))
}

/// Appends `entries` observations of `patient` straight to the store
/// (the seed is not what is measured).
async fn seed(store: &Arc<dyn Store>, patient: PatientId, entries: u32) {
    let mut n = 0;
    while n < entries {
        let mut changes = ChangeSet::default();
        for _ in 0..SEED_BATCH.min(entries - n) {
            changes = changes.entry(observation(patient, n));
            n += 1;
        }
        store.apply(changes).await.expect("seed");
    }
}

async fn seeded(entries: u32) -> (tempfile::TempDir, Arc<dyn Store>, PatientId) {
    let (dir, store) = open().await;
    let patient = PatientId::new();
    seed(&store, patient, entries).await;
    (dir, store, patient)
}

/// A clinic over a fresh SQLite file: one registered patient with
/// `entries` observations, whose care team holds the doctor.
struct ClinicWorld {
    _dir: tempfile::TempDir,
    clinic: Clinic,
    doctor: Actor,
    patient: PatientId,
}

async fn clinic_world(entries: u32) -> ClinicWorld {
    let (dir, store) = open().await;
    let clinic = Clinic::new(store.clone());
    let system = Actor::system();
    let practitioner = clinic
        .add_practitioner(
            &system,
            NewPractitioner {
                id: None,
                name: "Dr Chart".into(),
                time_zone: "UTC".into(),
                availability: Availability::default(),
            },
        )
        .await
        .expect("practitioner");
    let patient = clinic
        .register_patient(
            &front_desk(),
            NewPatient {
                details: details_for(1),
                mrn_facility: None,
            },
        )
        .await
        .expect("patient")
        .id;
    let admin = Actor::new(ActorId::new(), vec![Role::Admin]);
    clinic
        .assign_care_team(&admin, patient, practitioner.id)
        .await
        .expect("care team");
    seed(&store, patient, entries).await;
    ClinicWorld {
        _dir: dir,
        clinic,
        doctor: Actor::practitioner(ActorId::new(), practitioner.id),
        patient,
    }
}

/// A body weight measured an hour ago, as a host hands it in.
fn new_weight() -> NewEntry {
    let body: EntryBody = serde_json::from_value(serde_json::json!({
        "kind": "observation",
        "code": {"system": "http://loinc.org", "code": "29463-7"},
        "category": "vital-signs",
        "status": "final",
        "value": {"type": "quantity", "value": "70.5", "unit": "kg"},
    }))
    .expect("observation body");
    NewEntry {
        effective_at: Utc::now() - Duration::hours(1),
        encounter: None,
        body,
    }
}

fn bench_clinic(c: &mut Criterion, rt: &Runtime, entries: u32) {
    let world = rt.block_on(clinic_world(entries));
    let (clinic, doctor, patient) = (&world.clinic, &world.doctor, world.patient);
    let mut group = c.benchmark_group("record");
    let first_page = TimelineQuery {
        limit: Some(Count32::new(50)),
        ..TimelineQuery::default()
    };
    group.bench_function("timeline_first_page", |b| {
        b.to_async(rt).iter(|| async {
            let page = clinic
                .patient_timeline(doctor, patient, &first_page)
                .await
                .expect("timeline");
            assert_eq!(page.items.len(), 50);
            black_box(page)
        })
    });
    let by_code = TimelineQuery {
        code: Some(Coding {
            system: "http://loinc.org".into(),
            code: VITALS[0].0.into(),
            display: None,
        }),
        ..first_page.clone()
    };
    group.bench_function("timeline_by_code_first_page", |b| {
        b.to_async(rt).iter(|| async {
            let page = clinic
                .patient_timeline(doctor, patient, &by_code)
                .await
                .expect("timeline by code");
            let of_code = entries.div_ceil(VITALS.len() as u32) as usize;
            assert_eq!(page.items.len(), of_code.min(50));
            black_box(page)
        })
    });
    group.bench_function("latest_vitals", |b| {
        b.to_async(rt).iter(|| async {
            let latest = clinic
                .latest_vitals(doctor, patient)
                .await
                .expect("latest vitals");
            assert_eq!(latest.items.len(), VITALS.len().min(entries as usize));
            black_box(latest)
        })
    });
    // Last: the weights it records (measured now) sort before the seeded
    // entries (2030 on), which the reads above page through.
    group.bench_function("record_observation", |b| {
        b.to_async(rt).iter(|| async {
            let entry = clinic
                .record_entry(doctor, patient, &new_weight())
                .await
                .expect("record");
            black_box(entry)
        })
    });
    group.finish();
}

fn bench_record(c: &mut Criterion, rt: &Runtime) {
    let (_dir, store) = rt.block_on(open());
    let patient = PatientId::new();
    let mut group = c.benchmark_group("record_store");
    group.bench_function("record_observation", |b| {
        b.to_async(rt).iter(|| {
            let store = store.clone();
            async move {
                let entry = observation(patient, 0);
                black_box(store.apply(record_change_set(entry)).await.expect("record"))
            }
        })
    });
    group.finish();
}

fn bench_reads(c: &mut Criterion, rt: &Runtime, entries: u32) {
    let (_dir, store, patient) = rt.block_on(seeded(entries));
    let first_page = EntryQuery {
        patient,
        kinds: vec![],
        code: None,
        from: None,
        to: None,
        include_retracted: false,
        after: None,
        limit: 50,
    };
    let mut group = c.benchmark_group("record_store");
    group.bench_function("timeline_first_page", |b| {
        b.to_async(rt).iter(|| {
            let (store, query) = (store.clone(), first_page.clone());
            async move {
                let page = store.entries(&query).await.expect("timeline");
                assert_eq!(page.len(), 50);
                black_box(page)
            }
        })
    });
    group.bench_function("latest_vitals", |b| {
        b.to_async(rt).iter(|| {
            let store = store.clone();
            async move {
                let latest = store
                    .latest_entries(patient, EntryKind::Observation, &[])
                    .await
                    .expect("latest");
                assert_eq!(latest.len(), VITALS.len().min(entries as usize));
                black_box(latest)
            }
        })
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    // `cargo bench` passes `--bench`; without it criterion smoke-tests each
    // bench once, so a 10,000-entry seed would be wasted time.
    let benching = std::env::args().any(|a| a == "--bench");
    let entries = if benching { ENTRIES } else { 100 };
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if !filters.iter().any(|f| f == "code_index") {
        bench_clinic(&mut c, &rt, entries);
        bench_record(&mut c, &rt);
        bench_reads(&mut c, &rt, entries);
        c.final_summary();
    }
    if filters.is_empty() || filters.iter().any(|f| f == "code_index") {
        let rounds = if benching { 10 } else { 1 };
        rt.block_on(code_index_cost(entries, rounds));
    }
}

/// The index the timeline by code without a kind reads (migration 0010).
const ANY_KIND_CODE_INDEX: &str = "clinical_entry_heads_by_patient_code_any_kind";

/// Writes and code pages per store and round.
const PER_ROUND: usize = 200;

/// One file of the comparison: the store, its patient and its latencies.
struct Contender {
    name: &'static str,
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    patient: PatientId,
    writes: Vec<u64>,
    pages: Vec<u64>,
}

async fn contender(name: &'static str, entries: u32, with_index: bool) -> Contender {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("record.db").display());
    let sqlite = SqliteStore::open(&url).await.expect("open sqlite file");
    if !with_index {
        sqlite
            .with_connection(|conn| {
                conn.execute_batch(&format!("DROP INDEX {ANY_KIND_CODE_INDEX}"))
            })
            .await
            .expect("drop the index");
    }
    let store: Arc<dyn Store> = Arc::new(sqlite);
    let patient = PatientId::new();
    seed(&store, patient, entries).await;
    Contender {
        name,
        _dir: dir,
        store,
        patient,
        writes: Vec::new(),
        pages: Vec::new(),
    }
}

/// One round of a contender: writes, then first pages of one code.
async fn round(c: &mut Contender) {
    for _ in 0..PER_ROUND {
        let entry = observation(c.patient, 0);
        let t = std::time::Instant::now();
        c.store
            .apply(record_change_set(entry))
            .await
            .expect("record");
        c.writes.push(t.elapsed().as_micros() as u64);
    }
    let query = EntryQuery {
        patient: c.patient,
        kinds: vec![],
        code: Some(("http://loinc.org".into(), VITALS[3].0.into())),
        from: None,
        to: None,
        include_retracted: false,
        after: None,
        limit: 51,
    };
    for _ in 0..PER_ROUND {
        let t = std::time::Instant::now();
        let page = c.store.entries(&query).await.expect("page");
        c.pages.push(t.elapsed().as_micros() as u64);
        black_box(page);
    }
}

/// The comparison: rounds alternate between the two files (which goes
/// first alternates too), so the machine's load hits both alike.
async fn code_index_cost(entries: u32, rounds: usize) {
    let mut with = contender("with index", entries, true).await;
    let mut without = contender("without index", entries, false).await;
    for r in 0..rounds {
        if r % 2 == 0 {
            round(&mut with).await;
            round(&mut without).await;
        } else {
            round(&mut without).await;
            round(&mut with).await;
        }
    }
    let mut p50s = Vec::new();
    for c in [&mut with, &mut without] {
        c.writes.sort_unstable();
        c.pages.sort_unstable();
        let (w50, w99) = (percentile(&c.writes, 0.5), percentile(&c.writes, 0.99));
        let (p50, p99) = (percentile(&c.pages, 0.5), percentile(&c.pages, 0.99));
        println!(
            "code_index/{:<14} record_observation p50 {w50:>6} µs p99 {w99:>6} µs | \
             timeline_by_code_first_page p50 {p50:>6} µs p99 {p99:>6} µs",
            c.name
        );
        p50s.push((w50, p50));
    }
    let ratio = |a: u64, b: u64| a as f64 / b.max(1) as f64;
    println!(
        "code_index/ratio with/without: write p50 {:.2}x, page p50 {:.2}x",
        ratio(p50s[0].0, p50s[1].0),
        ratio(p50s[0].1, p50s[1].1)
    );
}
