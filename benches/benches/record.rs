//! Criterion benches of the health record over a SQLite file (WAL,
//! synchronous = NORMAL, the store's defaults):
//!
//! * `record/record_observation`: one observation recorded in one
//!   transaction — the entry, its audit entry and its
//!   `observation.recorded` event — through the store's `apply` (the
//!   change set `Clinic::record_observation` writes; the clinic operation
//!   lives on another branch when this bench was written).
//! * `record/timeline_first_page`: the first 50 entries of a patient's
//!   timeline, the patient having 10,000 entries (eight vital-sign codes).
//! * `record/latest_vitals`: the latest entry per code of the same patient.
//!
//! Run: `cargo bench -p carebase-benches --bench record`.
//! Without `--bench` (`cargo test --benches`) it runs a short smoke pass.

use carebase::Count32;
use std::hint::black_box;
use std::sync::Arc;

use carebase::audit::{AuditDraft, Outcome};
use carebase::ids::{ActorId, AuditEntryId, EntryId, PatientId};
use carebase::record::{
    entry_event, ClinicalEntry, EntryBody, EntryKind, EntryQuery, Revision, RevisionKind,
};
use carebase::store::ChangeSet;
use carebase::{Role, Store};
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

async fn seeded(entries: u32) -> (tempfile::TempDir, Arc<dyn Store>, PatientId) {
    let (dir, store) = open().await;
    let patient = PatientId::new();
    let mut n = 0;
    while n < entries {
        let mut changes = ChangeSet::default();
        for _ in 0..SEED_BATCH.min(entries - n) {
            changes = changes.entry(observation(patient, n));
            n += 1;
        }
        store.apply(changes).await.expect("seed");
    }
    (dir, store, patient)
}

fn bench_record(c: &mut Criterion, rt: &Runtime) {
    let (_dir, store) = rt.block_on(open());
    let patient = PatientId::new();
    let mut group = c.benchmark_group("record");
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
    let mut group = c.benchmark_group("record");
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
    bench_record(&mut c, &rt);
    bench_reads(&mut c, &rt, if benching { ENTRIES } else { 100 });
    c.final_summary();
}
