//! The rusqlite and sqlx baselines run exactly what `get_patient` runs,
//! the read's audit entry included: captured from SQLite (its own test
//! binary, as capture is global).

use carebase::clinic::NewPatient;
use carebase_benches::same_statements::GET_PATIENT_STATEMENTS;
use carebase_benches::{capture, details_for, front_desk, open_clinic_at};

#[tokio::test]
async fn get_patient_executes_exactly_the_baselines_statements() {
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
    let patient = clinic
        .register_patient(&actor, new)
        .await
        .expect("register");
    let (read, statements) = capture::capture(clinic.get_patient(&actor, patient.id)).await;
    read.expect("get");
    store.close().await;
    assert_eq!(statements, GET_PATIENT_STATEMENTS);
}
