//! The same-statements baselines write rows carebase itself reads back:
//! the same schema, ids, instants and JSON, search keys fanned out by
//! carebase's own triggers.

use std::path::Path;

use carebase::patient::PatientQuery;
use carebase::PatientId;
use carebase_benches::same_statements::{RusqliteSameStatements, SqlxSameStatements};
use carebase_benches::{
    details_for, front_desk, identifier_value, open_clinic_at, BENCH_ID_SYSTEM,
};

/// Creates and migrates a carebase file at `path`, then closes it.
async fn migrated_by_carebase(path: &Path) {
    let (store, _clinic) = open_clinic_at(path).await.expect("open store");
    store.close().await;
}

/// carebase finds patient `index` by identifier and reads it whole.
async fn carebase_reads_back(path: &Path, index: u64, id: &str) {
    let (store, clinic) = open_clinic_at(path).await.expect("reopen store");
    let actor = front_desk();
    let query = PatientQuery {
        identifier_system: Some(BENCH_ID_SYSTEM.to_owned()),
        identifier_value: Some(identifier_value(index)),
        ..PatientQuery::default()
    };
    let found = clinic
        .search_patients(&actor, &query)
        .await
        .expect("search");
    assert_eq!(found.items.len(), 1);
    let id = PatientId(id.parse().expect("uuid"));
    let patient = clinic.get_patient(&actor, id).await.expect("get");
    assert!(patient.details == details_for(index));
    store.close().await;
}

#[tokio::test]
async fn rusqlite_baseline_writes_patients_carebase_reads_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("carebase.db");
    migrated_by_carebase(&path).await;
    let id = {
        let baseline = RusqliteSameStatements::open(&path).expect("open baseline");
        let id = baseline.register(&details_for(3)).expect("register");
        baseline.get_patient(&id).expect("get");
        baseline
            .register_many(&[details_for(4), details_for(5)])
            .expect("register many");
        id
    };
    carebase_reads_back(&path, 3, &id).await;
}

#[tokio::test]
async fn sqlx_baseline_writes_patients_carebase_reads_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("carebase.db");
    migrated_by_carebase(&path).await;
    let baseline = SqlxSameStatements::open(&path)
        .await
        .expect("open baseline");
    let id = baseline.register(&details_for(3)).await.expect("register");
    baseline.get_patient(&id).await.expect("get");
    baseline.close().await;
    carebase_reads_back(&path, 3, &id).await;
}
