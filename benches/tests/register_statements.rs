//! The rusqlite and sqlx baselines run exactly what `register_patient`
//! runs: captured from SQLite (its own test binary, as capture is global).

use carebase::clinic::NewPatient;
use carebase_benches::same_statements::REGISTER_STATEMENTS;
use carebase_benches::{capture, details_for, front_desk, open_clinic_at};

#[tokio::test]
async fn register_patient_executes_exactly_the_baselines_statements() {
    capture::install();
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, clinic) = open_clinic_at(&dir.path().join("carebase.db"))
        .await
        .expect("open store");
    let actor = front_desk();
    let new = NewPatient {
        details: details_for(1),
        mrn_facility: None,
    };
    let (registered, statements) = capture::capture(clinic.register_patient(&actor, new)).await;
    registered.expect("register");
    store.close().await;
    assert_eq!(statements, REGISTER_STATEMENTS);
}
