//! The PostgreSQL same-statements baseline writes patients carebase finds
//! and reads back: the same schema, ids, instants and JSON, and search keys
//! from carebase's own `search_keys`. Needs `CAREBASE_PG_URL`; skipped
//! without it, failing under `CI`.

use std::sync::Arc;

use carebase::patient::PatientQuery;
use carebase::{Clinic, PatientId};
use carebase_benches::pg_same_statements::PgSameStatements;
use carebase_benches::{details_for, front_desk, identifier_value, PgSchema, BENCH_ID_SYSTEM};
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
async fn the_baseline_writes_patients_carebase_finds_and_reads_back() {
    let Some((schema, store)) = store().await else {
        return;
    };
    let baseline = PgSameStatements::new(store.pool().clone());
    let id = baseline.register(&details_for(3)).await.expect("register");
    let clinic = Clinic::new(store.clone());
    let actor = front_desk();
    let query = PatientQuery {
        identifier_system: Some(BENCH_ID_SYSTEM.to_owned()),
        identifier_value: Some(identifier_value(3)),
        ..PatientQuery::default()
    };
    let found = clinic
        .search_patients(&actor, &query)
        .await
        .expect("search");
    let patient = clinic
        .get_patient(&actor, PatientId(id))
        .await
        .expect("get");
    let by_name = PatientQuery {
        name: details_for(3).names[0].family.clone(),
        ..PatientQuery::default()
    };
    let named = clinic
        .search_patients(&actor, &by_name)
        .await
        .expect("search by name");
    store.close().await;
    schema.drop_now().await.expect("drop schema");
    assert_eq!(found.items.len(), 1);
    assert!(patient.details == details_for(3));
    assert!(named.items.iter().any(|p| p.id == PatientId(id)));
}
