//! A SQLite file written before carebase moved from sqlx to rusqlite opens
//! and migrates: its `_sqlx_migrations` rows (versions and SHA-384
//! checksums) carry over, and sqlx's own migrator still accepts the file
//! afterwards (an older carebase can open what this one migrated).

mod common;
mod shipped_migrations;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

use carebase::clinic::NewPatient;
use carebase::patient::{HumanName, PatientDetails};
use carebase::{Actor, ActorId, Clinic, Role};
use carebase_storage::SqliteStore;
use common::{count, url_of};

/// The shipped SQLite migrations up to `version`, copied into a folder of
/// their own, as the build that shipped them embedded them.
fn migrations_up_to(version: i64, into: &Path) -> PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let folder = into.join(format!("migrations-{version}"));
    std::fs::create_dir_all(&folder).unwrap();
    for entry in std::fs::read_dir(shipped).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let number: i64 = name.split('_').next().unwrap().parse().unwrap();
        if number <= version {
            std::fs::copy(&path, folder.join(name)).unwrap();
        }
    }
    folder
}

/// A file migrated by sqlx's migrator (the previous code's way) up to
/// `version`.
async fn file_written_by_sqlx(dir: &Path, version: i64) -> PathBuf {
    let file = dir.join("old.db");
    let pool = sqlx_pool(&file, true).await;
    let migrator = Migrator::new(migrations_up_to(version, dir)).await.unwrap();
    migrator.run(&pool).await.unwrap();
    pool.close().await;
    file
}

/// sqlx links carebase's SQLite: carebase must route its locks before any
/// connection of that library opens (see `storage/src/sqlite/locks.rs`).
async fn carebase_first() {
    SqliteStore::open("sqlite::memory:").await.unwrap();
}

async fn sqlx_pool(file: &Path, create: bool) -> SqlitePool {
    carebase_first().await;
    let options = SqliteConnectOptions::new()
        .filename(file)
        .create_if_missing(create);
    SqlitePool::connect_with(options).await.unwrap()
}

async fn versions_and_checksums(file: &Path) -> Vec<(i64, Vec<u8>)> {
    let pool = sqlx_pool(file, false).await;
    let rows: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    rows
}

fn someone() -> NewPatient {
    NewPatient {
        details: PatientDetails {
            names: vec![HumanName {
                family: Some("Okafor".into()),
                given: vec!["Ada".into()],
                ..HumanName::default()
            }],
            birth_date: chrono::NaiveDate::from_ymd_opt(1980, 2, 3),
            ..PatientDetails::default()
        },
        mrn_facility: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_fully_migrated_by_sqlx_opens_unchanged_and_takes_writes() {
    let dir = tempfile::tempdir().unwrap();
    let newest = shipped_migrations::newest("sqlite");
    let file = file_written_by_sqlx(dir.path(), newest).await;
    let before = versions_and_checksums(&file).await;

    let store = Arc::new(SqliteStore::open(&url_of(&file)).await.unwrap());
    let clinic = Clinic::new(store.clone());
    let clerk = Actor::new(ActorId::new(), vec![Role::FrontDesk]);
    clinic.register_patient(&clerk, someone()).await.unwrap();
    assert_eq!(count(&store, "patients").await, 1);
    drop(clinic);
    store.close().await;

    assert_eq!(versions_and_checksums(&file).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_sqlx_migrated_to_an_older_version_is_brought_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let versions = shipped_migrations::versions("sqlite");
    let older = versions[versions.len() - 2];
    let file = file_written_by_sqlx(dir.path(), older).await;

    let store = SqliteStore::open(&url_of(&file)).await.unwrap();
    store.close().await;

    let applied: Vec<i64> = versions_and_checksums(&file)
        .await
        .into_iter()
        .map(|(v, _)| v)
        .collect();
    assert_eq!(applied, versions);
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlx_s_migrator_accepts_what_carebase_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("new.db");
    let store = SqliteStore::open(&url_of(&file)).await.unwrap();
    store.close().await;

    // sqlx refuses a file whose recorded checksum or description differs
    // from its migration files; it finds nothing to apply and nothing wrong.
    let newest = shipped_migrations::newest("sqlite");
    let migrator = Migrator::new(migrations_up_to(newest, dir.path()))
        .await
        .unwrap();
    let pool = sqlx_pool(&file, false).await;
    migrator.run(&pool).await.unwrap();
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn practitioners_written_before_fhir_extras_read_back_and_take_an_import() {
    let dir = tempfile::tempdir().unwrap();
    let file = file_written_by_sqlx(dir.path(), 10).await;
    let pool = sqlx_pool(&file, false).await;
    let id = carebase::PractitionerId::new();
    sqlx::query(
        "INSERT INTO practitioners (id, version, name, time_zone, availability, active, \
         created_at, updated_at) VALUES (?, 1, 'Dr Before', 'UTC', ?, 1, ?, ?)",
    )
    .bind(id.to_string())
    .bind(serde_json::to_string(&carebase::schedule::Availability::default()).unwrap())
    .bind("2024-01-02T03:04:05.000000000Z")
    .bind("2024-01-02T03:04:05.000000000Z")
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let store = Arc::new(SqliteStore::open(&url_of(&file)).await.unwrap());
    let clinic = Clinic::new(store.clone());
    let admin = Actor::new(ActorId::new(), vec![Role::Admin]);
    let before = clinic.get_practitioner(&admin, id).await.unwrap();
    assert_eq!(
        (before.name.as_str(), before.fhir_extra),
        ("Dr Before", None)
    );
    let resource = serde_json::json!({
        "resourceType": "Practitioner",
        "identifier": [{"system": "urn:oid:2.16.528.1.1007.3.1", "value": "938273695"}],
        "name": [{"family": "After", "given": ["Dr"]}]
    });
    let added = clinic
        .import_practitioner_fhir(&admin, resource, "UTC")
        .await
        .unwrap();
    assert_eq!(clinic.list_practitioners(&admin).await.unwrap().len(), 2);
    let exported = clinic
        .export_practitioner_fhir(&admin, added.id)
        .await
        .unwrap();
    assert_eq!(exported["identifier"][0]["value"], "938273695");
    drop(clinic);
    store.close().await;
}

/// Name tokens written before each token row carried its patient's words
/// (migration 0012) get them when the file is migrated: a search by two
/// words, which checks the other word on the row it walks, finds them.
#[tokio::test(flavor = "multi_thread")]
async fn name_tokens_written_before_they_carried_words_are_found_by_a_two_word_search() {
    use carebase::patient::PatientSearch;
    use carebase::store::PatientStore;
    let dir = tempfile::tempdir().unwrap();
    let file = file_written_by_sqlx(dir.path(), 11).await;
    let pool = sqlx_pool(&file, false).await;
    let rows = [
        (
            "0190c6a0-0000-7000-8000-000000000001",
            r#"["ada","okafor"]"#,
        ),
        (
            "0190c6a0-0000-7000-8000-000000000002",
            r#"["ada","adaeze","obi"]"#,
        ),
    ];
    for (id, tokens) in rows {
        sqlx::query(
            "INSERT INTO patients (id, version, active, created_at, updated_at, details, search_keys) \
             VALUES (?, 1, 1, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', '{}', ?)",
        )
        .bind(id)
        .bind(format!(
            r#"{{"identifiers":[],"tokens":{tokens},"phones":[],"emails":[]}}"#
        ))
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    let store = SqliteStore::open(&url_of(&file)).await.unwrap();
    let words: Vec<String> = store
        .with_connection(|c| {
            let mut statement =
                c.prepare("SELECT words FROM patient_name_tokens ORDER BY token, patient_id")?;
            let words = statement.query_map([], |r| r.get(0))?;
            words.collect::<rusqlite::Result<Vec<String>>>()
        })
        .await
        .unwrap();
    assert_eq!(
        words,
        [
            "ada okafor",
            "ada adaeze obi",
            "ada adaeze obi",
            "ada adaeze obi",
            "ada okafor"
        ]
    );
    let by = |words: &[&str]| PatientSearch {
        name_prefixes: words.iter().map(|w| (*w).to_owned()).collect(),
        limit: 10,
        ..PatientSearch::default()
    };
    let found = store.search_patients(&by(&["ada", "oka"])).await.unwrap();
    assert_eq!(found.len(), 1);
    let found = store.search_patients(&by(&["ada"])).await.unwrap();
    assert_eq!(
        found.len(),
        2,
        "each patient once, at its first 'ada' token"
    );
    store.close().await;
}
