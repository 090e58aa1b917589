//! FHIR Patient and Practitioner imports on the SQLite file store: what an
//! import kept survives the file being closed and opened again, so an
//! export from a new process gives the resource back.

mod common;

use std::path::PathBuf;

use carebase::{Actor, ActorId, Clinic, Role};
use common::{db_path, url_of};
use serde_json::{json, Value};

const EXAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/fhir/r4-examples"
);

fn example(name: &str) -> Value {
    let text = std::fs::read_to_string(PathBuf::from(EXAMPLES).join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn imported_patients_export_unchanged_after_the_file_is_opened_again() {
    let dir = tempfile::tempdir().unwrap();
    let url = url_of(&db_path(&dir));
    let desk = Actor::new(ActorId::new(), vec![Role::FrontDesk]);
    let names = [
        "Patient-example.json",
        "Patient-f001.json",
        "Patient-pat3.json",
    ];
    let mut imported = Vec::new();
    {
        let clinic = Clinic::new(carebase_storage::open(&url).await.unwrap());
        for name in names {
            let resource = example(name);
            let patient = clinic
                .import_patient_fhir(&desk, resource.clone(), None)
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            imported.push((name, patient.id, resource));
        }
    }
    let clinic = Clinic::new(carebase_storage::open(&url).await.unwrap());
    for (name, id, mut resource) in imported {
        let exported = clinic.export_patient_fhir(&desk, id).await.unwrap();
        resource["id"] = json!(id.to_string());
        assert_eq!(exported, resource, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn imported_practitioners_export_unchanged_after_the_file_is_opened_again() {
    let dir = tempfile::tempdir().unwrap();
    let url = url_of(&db_path(&dir));
    let admin = Actor::new(ActorId::new(), vec![Role::Admin]);
    let names = ["Practitioner-example.json", "Practitioner-f201.json"];
    let mut imported = Vec::new();
    {
        let clinic = Clinic::new(carebase_storage::open(&url).await.unwrap());
        for name in names {
            let resource = example(name);
            let practitioner = clinic
                .import_practitioner_fhir(&admin, resource.clone(), "Europe/Amsterdam")
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            imported.push((name, practitioner.id, resource));
        }
    }
    let clinic = Clinic::new(carebase_storage::open(&url).await.unwrap());
    for (name, id, mut resource) in imported {
        let exported = clinic.export_practitioner_fhir(&admin, id).await.unwrap();
        resource["id"] = json!(id.to_string());
        assert_eq!(exported, resource, "{name}");
    }
}
