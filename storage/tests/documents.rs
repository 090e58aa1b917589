//! Documents end to end on the real stores: a clinic opened by URL keeps
//! the bytes where they belong with its store (files beside a SQLite file,
//! the `clinical_blobs` table of a PostgreSQL database), reads them back
//! identical, and detects bytes changed behind its back.

mod postgres_support;

use std::path::Path;
use std::sync::Arc;

use carebase::bytes::Bytes;
use carebase::clinic::NewPatient;
use carebase::patient::{Gender, HumanName, PatientDetails};
use carebase::record::{ClinicalEntry, EntryBody};
use carebase::store::{BlobKey, BlobStore};
use carebase::{Actor, Clinic, Error, PatientId, StorageKind};
use carebase_storage::PostgresBlobs;

const SCAN: &[u8] = b"%PDF-1.7\n scanned discharge letter \x00\x01\xfe\xff";

async fn patient(clinic: &Clinic) -> PatientId {
    let new = NewPatient {
        details: PatientDetails {
            names: vec![HumanName {
                family: Some("Letter".into()),
                given: vec!["Ada".into()],
                ..HumanName::default()
            }],
            gender: Some(Gender::Female),
            birth_date: chrono::NaiveDate::from_ymd_opt(1984, 7, 1),
            ..PatientDetails::default()
        },
        mrn_facility: None,
    };
    clinic
        .register_patient(&Actor::system(), new)
        .await
        .unwrap()
        .id
}

async fn attach(clinic: &Clinic, patient: PatientId) -> ClinicalEntry {
    clinic
        .attach_document(
            &Actor::system(),
            patient,
            chrono::Utc::now(),
            None,
            "application/pdf",
            Some("Discharge letter"),
            &Bytes(SCAN.to_vec()),
        )
        .await
        .unwrap()
}

fn sha256_of(entry: &ClinicalEntry) -> String {
    match &entry.body {
        EntryBody::Document(d) => d.sha256.clone(),
        _ => panic!("not a document"),
    }
}

fn assert_corrupt(err: Error) {
    match err {
        Error::Storage { kind, .. } => assert_eq!(kind, StorageKind::Corrupt),
        other => panic!("expected storage corrupt, got {other:?}"),
    }
}

async fn sqlite_clinic(dir: &Path) -> Clinic {
    let url = format!("sqlite://{}", dir.join("clinic.db").display());
    Clinic::new(carebase_storage::open(&url).await.unwrap())
}

#[tokio::test]
async fn a_sqlite_clinic_keeps_document_bytes_in_a_folder_beside_its_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let clinic = sqlite_clinic(dir.path()).await;
    let patient = patient(&clinic).await;
    let entry = attach(&clinic, patient).await;
    let hex = sha256_of(&entry);
    let file = dir
        .path()
        .join("clinic.db.blobs")
        .join(&hex[..2])
        .join(&hex);
    assert_eq!(std::fs::read(file).unwrap(), SCAN);
    let read = clinic
        .read_document(&Actor::system(), patient, entry.id)
        .await
        .unwrap();
    assert_eq!(read.bytes.as_slice(), SCAN);
}

/// What a device library does: no async runtime, the host's executor polls
/// the futures (here `futures`' own), and a SQLite clinic still opens,
/// keeps a document and reads it back.
#[test]
fn a_sqlite_clinic_keeps_and_reads_documents_without_an_async_runtime() {
    futures::executor::block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let clinic = sqlite_clinic(dir.path()).await;
        let patient = patient(&clinic).await;
        let entry = attach(&clinic, patient).await;
        let read = clinic
            .read_document(&Actor::system(), patient, entry.id)
            .await
            .unwrap();
        assert_eq!(read.bytes.as_slice(), SCAN);
    });
}

#[cfg(unix)]
#[tokio::test]
async fn the_blob_folder_is_created_when_the_store_opens_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let clinic = sqlite_clinic(dir.path()).await;
    let folder = dir.path().join("clinic.db.blobs");
    let mode = std::fs::metadata(&folder).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    let patient = patient(&clinic).await;
    let hex = sha256_of(&attach(&clinic, patient).await);
    let file = folder.join(&hex[..2]).join(&hex);
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let fan_out = std::fs::metadata(folder.join(&hex[..2])).unwrap();
    assert_eq!(fan_out.permissions().mode() & 0o777, 0o700);
}

#[tokio::test]
async fn documents_survive_reopening_the_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let (patient, entry) = {
        let clinic = sqlite_clinic(dir.path()).await;
        let patient = patient(&clinic).await;
        (patient, attach(&clinic, patient).await)
    };
    let clinic = sqlite_clinic(dir.path()).await;
    let read = clinic
        .read_document(&Actor::system(), patient, entry.id)
        .await
        .unwrap();
    assert_eq!(read.bytes.as_slice(), SCAN);
}

#[tokio::test]
async fn a_tampered_file_beside_the_sqlite_database_is_reported_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let clinic = sqlite_clinic(dir.path()).await;
    let patient = patient(&clinic).await;
    let entry = attach(&clinic, patient).await;
    let hex = sha256_of(&entry);
    let file = dir
        .path()
        .join("clinic.db.blobs")
        .join(&hex[..2])
        .join(&hex);
    std::fs::write(file, b"%PDF-1.7\n a forged letter").unwrap();
    let err = clinic
        .read_document(&Actor::system(), patient, entry.id)
        .await
        .unwrap_err();
    assert_corrupt(err);
}

#[tokio::test]
async fn an_in_memory_sqlite_clinic_keeps_documents_in_memory() {
    let clinic = Clinic::new(carebase_storage::open("sqlite::memory:").await.unwrap());
    let patient = patient(&clinic).await;
    let entry = attach(&clinic, patient).await;
    let read = clinic
        .read_document(&Actor::system(), patient, entry.id)
        .await
        .unwrap();
    assert_eq!(read.bytes.as_slice(), SCAN);
}

/// The `clinical_blobs` table of a fresh schema, kept as long as the blobs.
struct SchemaBlobs {
    _store: postgres_support::PgTestStore,
    blobs: PostgresBlobs,
}

#[async_trait::async_trait]
impl BlobStore for SchemaBlobs {
    async fn write_blob(&self, key: &BlobKey, bytes: &[u8]) -> carebase::Result<()> {
        self.blobs.write_blob(key, bytes).await
    }

    async fn read_blob(&self, key: &BlobKey) -> carebase::Result<Option<Vec<u8>>> {
        self.blobs.read_blob(key).await
    }
}

async fn schema_blobs() -> Option<Arc<dyn BlobStore>> {
    let store = postgres_support::pg_test_store().await?;
    let blobs = PostgresBlobs::new(store.store.pool().clone());
    Some(Arc::new(SchemaBlobs {
        _store: store,
        blobs,
    }))
}

mod postgres_table {
    carebase::blob_store_tests!({
        match crate::schema_blobs().await {
            Some(blobs) => ::std::future::ready(blobs),
            None => return,
        }
    });
}

#[tokio::test]
async fn a_postgres_clinic_keeps_document_bytes_in_its_clinical_blobs_table() {
    let Some(store) = postgres_support::pg_test_store().await else {
        return;
    };
    let pool = store.store.pool().clone();
    let clinic = Clinic::new(Arc::new(store));
    let patient = patient(&clinic).await;
    let entry = attach(&clinic, patient).await;
    let (bytes,): (Vec<u8>,) = sqlx::query_as("SELECT bytes FROM clinical_blobs WHERE sha256 = $1")
        .bind(sha256_of(&entry))
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(bytes, SCAN);
    let read = clinic
        .read_document(&Actor::system(), patient, entry.id)
        .await
        .unwrap();
    assert_eq!(read.bytes.as_slice(), SCAN);
}

#[tokio::test]
async fn a_tampered_row_of_clinical_blobs_is_reported_corrupt() {
    let Some(store) = postgres_support::pg_test_store().await else {
        return;
    };
    let pool = store.store.pool().clone();
    let clinic = Clinic::new(Arc::new(store));
    let patient = patient(&clinic).await;
    let entry = attach(&clinic, patient).await;
    sqlx::query("UPDATE clinical_blobs SET bytes = $2 WHERE sha256 = $1")
        .bind(sha256_of(&entry))
        .bind(b"a forged letter".to_vec())
        .execute(&pool)
        .await
        .unwrap();
    let err = clinic
        .read_document(&Actor::system(), patient, entry.id)
        .await
        .unwrap_err();
    assert_corrupt(err);
}

#[tokio::test]
async fn writing_the_same_blob_twice_to_postgres_keeps_one_row() {
    let Some(store) = postgres_support::pg_test_store().await else {
        return;
    };
    let blobs = PostgresBlobs::new(store.store.pool().clone());
    let key = blobs.put(SCAN).await.unwrap();
    assert_eq!(blobs.put(SCAN).await.unwrap(), key);
    let (rows,): (i64,) = sqlx::query_as("SELECT count(*) FROM clinical_blobs")
        .fetch_one(store.store.pool())
        .await
        .unwrap();
    assert_eq!(rows, 1);
    assert_eq!(BlobKey::of(SCAN), key);
}
