//! The PostgreSQL same-statements baseline runs exactly what
//! `register_patient` runs on PostgreSQL: captured from sqlx's statement
//! log (its own test binary with one test, as the capture is
//! process-wide). Needs `CAREBASE_PG_URL`; skipped without
//! it, failing under `CI`.

use std::sync::Arc;

use carebase::clinic::NewPatient;
use carebase::Clinic;
use carebase_benches::pg_same_statements::{PgSameStatements, REGISTER_STATEMENTS};
use carebase_benches::{details_for, front_desk, pg_capture, PgSchema};
use carebase_storage::{parse_postgres_url, PgPoolOptions, PostgresStore};

/// A fresh schema migrated by carebase, or `None` when skipped.
async fn store() -> Option<(PgSchema, Arc<PostgresStore>)> {
    let url = match std::env::var("CAREBASE_PG_URL") {
        Ok(url) if !url.is_empty() => url,
        _ if std::env::var_os("CI").is_some() => panic!("CI is set but CAREBASE_PG_URL is not"),
        _ => {
            eprintln!("skipped: CAREBASE_PG_URL is not set");
            return None;
        }
    };
    let (admin, _) = parse_postgres_url(&url).expect("CAREBASE_PG_URL parses");
    let schema = PgSchema::create(&admin).await.expect("create schema");
    let options = PgPoolOptions::new().max_connections(2);
    let store = PostgresStore::connect(schema.options(), options)
        .await
        .expect("open store");
    Some((schema, Arc::new(store)))
}

#[tokio::test]
async fn register_patient_and_the_baseline_execute_exactly_the_listed_statements() {
    pg_capture::install();
    let Some((schema, store)) = store().await else {
        return;
    };
    let clinic = Clinic::new(store.clone());
    let new = NewPatient {
        details: details_for(1),
        mrn_facility: None,
    };
    let (registered, carebase) =
        pg_capture::capture(clinic.register_patient(&front_desk(), new)).await;
    registered.expect("register");
    let baseline = PgSameStatements::new(store.pool().clone());
    let (registered, same) = pg_capture::capture(baseline.register(&details_for(2))).await;
    registered.expect("baseline register");
    store.close().await;
    schema.drop_now().await.expect("drop schema");
    assert_eq!(carebase, REGISTER_STATEMENTS);
    assert_eq!(same, REGISTER_STATEMENTS);
}
