//! The register and the merge log in SQLite: patient rows with the search
//! keys core computed (fanned out into key tables by triggers), identifier
//! uniqueness by primary key, numbering sequences, merges.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use carebase::patient::normalize::SearchKeys;
use carebase::patient::{MergeRecord, Patient, PatientSearch};
use carebase::store::{MergeWrite, PatientStore, PatientWrite, PatientWrites};
use carebase::{ConflictDetail, Error, MergeId, PatientId, Result, StorageKind};

use super::error::db_error;
use super::rows::{
    date_text, from_db, id_text, to_db, to_json, ts, MergeRow, PatientRow, PATIENT_COLUMNS,
};
use super::{already_exists, is_unique_violation, SqliteStore, Tx};
use crate::failure::detected;

/// Upper bound of a prefix range: every string starting with `prefix` sorts
/// below `prefix` + U+10FFFF (folded tokens hold letters and digits only).
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

fn into_patients(rows: Vec<PatientRow>) -> Result<Vec<Patient>> {
    rows.into_iter().map(PatientRow::into_patient).collect()
}

/// The statement behind [`search_patients`], with its arguments bound;
/// `explain` prefixes `EXPLAIN QUERY PLAN`.
pub(crate) fn search_query(search: &PatientSearch, explain: bool) -> QueryBuilder<'static, Sqlite> {
    let explain = if explain { "EXPLAIN QUERY PLAN " } else { "" };
    let mut q = QueryBuilder::new(format!(
        "{explain}SELECT {PATIENT_COLUMNS} FROM patients p WHERE 1 = 1"
    ));
    for prefix in &search.name_prefixes {
        q.push(" AND p.id IN (SELECT patient_id FROM patient_name_tokens WHERE token >= ")
            .push_bind(prefix.clone())
            .push(" AND token < ")
            .push_bind(prefix_end(prefix))
            .push(")");
    }
    if let Some(date) = &search.birth_date {
        q.push(" AND p.birth_date = ").push_bind(date_text(date));
    }
    match (&search.identifier_system, &search.identifier_value) {
        (system, Some(value)) => {
            q.push(" AND p.id IN (SELECT patient_id FROM patient_identifiers WHERE value = ")
                .push_bind(value.clone());
            if let Some(system) = system {
                q.push(" AND system = ").push_bind(system.clone());
            }
            q.push(")");
        }
        (Some(system), None) => {
            q.push(" AND p.id IN (SELECT patient_id FROM patient_identifiers WHERE system = ")
                .push_bind(system.clone())
                .push(")");
        }
        (None, None) => {}
    }
    if let Some(phone) = &search.phone {
        q.push(" AND p.id IN (SELECT patient_id FROM patient_phones WHERE phone = ")
            .push_bind(phone.clone())
            .push(")");
    }
    if let Some(email) = &search.email {
        q.push(" AND p.id IN (SELECT patient_id FROM patient_emails WHERE email = ")
            .push_bind(email.clone())
            .push(")");
    }
    if let Some(gender) = search.gender {
        q.push(" AND p.gender = ").push_bind(gender.as_str());
    }
    if let Some(active) = search.active {
        q.push(" AND p.active = ").push_bind(active);
    }
    if let Some(after) = search.after {
        q.push(" AND p.id > ").push_bind(id_text(after.0));
    }
    q.push(" ORDER BY p.id LIMIT ")
        .push_bind(i64::from(search.limit));
    q
}

/// The search keys core computed, as the JSON the key triggers fan out.
fn keys_json(p: &Patient, keys: &SearchKeys) -> Result<String> {
    let identifiers: Vec<[&str; 2]> = p
        .details
        .identifiers
        .iter()
        .map(|i| [i.system.as_str(), i.value.as_str()])
        .collect();
    to_json(
        &serde_json::json!({
            "identifiers": identifiers,
            "tokens": keys.name_tokens,
            "phones": keys.phones,
            "emails": keys.emails,
        }),
        "patient search keys",
    )
}

/// After a failed claim (rolled back by the statement): the first
/// identifier another patient holds names the conflicting system.
async fn identifier_conflict(conn: &mut SqliteConnection, p: &Patient) -> Error {
    let id = id_text(p.id.0);
    for ident in &p.details.identifiers {
        let owner: std::result::Result<Option<String>, sqlx::Error> = sqlx::query_scalar(
            "SELECT patient_id FROM patient_identifiers WHERE system = ? AND value = ?",
        )
        .bind(&ident.system)
        .bind(&ident.value)
        .fetch_optional(&mut *conn)
        .await;
        match owner {
            Ok(Some(owner)) if owner != id => {
                return Error::Conflict {
                    detail: ConflictDetail::DuplicateIdentifier {
                        system: ident.system.clone(),
                    },
                }
            }
            Ok(_) => {}
            Err(e) => return db_error("identifier_conflict")(e),
        }
    }
    // Writers are serialized: a refusal nobody holds cannot happen.
    detected(
        "sqlite",
        "identifier_conflict",
        StorageKind::Other,
        "identifier uniqueness failed without a holder",
    )
}

fn bind_row<'q>(query: Query<'q>, p: &'q Patient, json: &'q PatientJson) -> Query<'q> {
    query
        .bind(to_db(p.version))
        .bind(p.active)
        .bind(p.merged_into.map(|m| id_text(m.0)))
        .bind(ts(&p.created_at))
        .bind(ts(&p.updated_at))
        .bind(p.details.gender.map(|g| g.as_str()))
        .bind(p.details.birth_date.as_ref().map(date_text))
        .bind(&json.details)
        .bind(&json.keys)
}

/// Inserts a new record (an existing id fails on the primary key).
async fn insert_patient(
    conn: &mut SqliteConnection,
    p: &Patient,
    json: &PatientJson,
) -> std::result::Result<sqlx::sqlite::SqliteQueryResult, sqlx::Error> {
    let sql =
        format!("INSERT INTO patients (id, {PATIENT_ROW}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    bind_row(sqlx::query(&sql).bind(id_text(p.id.0)), p, json)
        .execute(&mut *conn)
        .await
}

/// Replaces a record only if it still has `expected_version`.
async fn update_patient(
    conn: &mut SqliteConnection,
    p: &Patient,
    expected_version: u64,
    json: &PatientJson,
) -> std::result::Result<sqlx::sqlite::SqliteQueryResult, sqlx::Error> {
    let sql = format!(
        "UPDATE patients SET ({PATIENT_ROW}) = (?, ?, ?, ?, ?, ?, ?, ?, ?) WHERE id = ? AND version = ?"
    );
    bind_row(sqlx::query(&sql), p, json)
        .bind(id_text(p.id.0))
        .bind(to_db(expected_version))
        .execute(&mut *conn)
        .await
}

/// After an update matched no row: a stale version or a missing record.
async fn stale_or_missing(
    conn: &mut SqliteConnection,
    p: &Patient,
    expected_version: u64,
) -> Error {
    let stored: std::result::Result<Option<i64>, sqlx::Error> =
        sqlx::query_scalar("SELECT version FROM patients WHERE id = ?")
            .bind(id_text(p.id.0))
            .fetch_optional(&mut *conn)
            .await;
    match stored {
        Ok(Some(v)) => Error::stale("patient", expected_version, from_db(v)),
        Ok(None) => Error::not_found("patient"),
        Err(e) => db_error("stale_or_missing")(e),
    }
}

async fn insert_merge(conn: &mut SqliteConnection, m: &MergeRecord) -> Result<()> {
    sqlx::query(
        "INSERT OR REPLACE INTO merges (id, patient_id, merged_patient_id, merged_at, \
         unmerged_by, unmerged_at, record) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id_text(m.id.0))
    .bind(id_text(m.survivor.0))
    .bind(id_text(m.merged.0))
    .bind(ts(&m.merged_at))
    .bind(m.unmerged_by.map(|a| id_text(a.0)))
    .bind(m.unmerged_at.as_ref().map(ts))
    .bind(to_json(m, "merge record")?)
    .execute(&mut *conn)
    .await
    .map_err(db_error("insert_merge"))?;
    Ok(())
}

/// The serialized columns of a patient row.
struct PatientJson {
    details: String,
    keys: String,
}

/// The stored columns of a patient after its id, in one order for both
/// statements below.
const PATIENT_ROW: &str =
    "version, active, merged_into, created_at, updated_at, gender, birth_date, details, search_keys";

type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

#[async_trait]
impl PatientStore for SqliteStore {
    async fn patient(&self, id: PatientId) -> Result<Option<Patient>> {
        let pool = &self.pool;
        let row: Option<PatientRow> = sqlx::query_as(&format!(
            "SELECT {PATIENT_COLUMNS} FROM patients p WHERE p.id = ?"
        ))
        .bind(id_text(id.0))
        .fetch_optional(pool)
        .await
        .map_err(db_error("patient"))?;
        row.map(PatientRow::into_patient).transpose()
    }

    async fn search_patients(&self, search: &PatientSearch) -> Result<Vec<Patient>> {
        let pool = &self.pool;
        let mut q = search_query(search, false);
        let rows: Vec<PatientRow> = q
            .build_query_as()
            .fetch_all(pool)
            .await
            .map_err(db_error("search_patients"))?;
        into_patients(rows)
    }

    async fn duplicate_candidates(
        &self,
        patient: &Patient,
        keys: &SearchKeys,
        limit: u32,
    ) -> Result<Vec<Patient>> {
        let pool = &self.pool;
        let identifiers: Vec<&str> = patient
            .details
            .identifiers
            .iter()
            .map(|i| i.value.as_str())
            .collect();
        let sql = format!(
            "SELECT {PATIENT_COLUMNS} FROM patients p \
             WHERE p.active = 1 AND p.merged_into IS NULL AND p.id <> ? AND p.id IN ( \
               SELECT patient_id FROM patient_name_tokens \
                 WHERE token IN (SELECT value FROM json_each(?)) \
               UNION SELECT id FROM patients WHERE birth_date = ? \
               UNION SELECT patient_id FROM patient_phones \
                 WHERE phone IN (SELECT value FROM json_each(?)) \
               UNION SELECT patient_id FROM patient_emails \
                 WHERE email IN (SELECT value FROM json_each(?)) \
               UNION SELECT patient_id FROM patient_identifiers \
                 WHERE value IN (SELECT value FROM json_each(?))) \
             ORDER BY p.id LIMIT ?"
        );
        let rows: Vec<PatientRow> = sqlx::query_as(&sql)
            .bind(id_text(patient.id.0))
            .bind(to_json(&keys.name_tokens, "search keys")?)
            .bind(patient.details.birth_date.as_ref().map(date_text))
            .bind(to_json(&keys.phones, "search keys")?)
            .bind(to_json(&keys.emails, "search keys")?)
            .bind(to_json(&identifiers, "search keys")?)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(db_error("duplicate_candidates"))?;
        into_patients(rows)
    }

    async fn counter(&self, name: &str) -> Result<u64> {
        let pool = &self.pool;
        let value: Option<i64> = sqlx::query_scalar("SELECT value FROM counters WHERE name = ?")
            .bind(name)
            .fetch_optional(pool)
            .await
            .map_err(db_error("counter"))?;
        Ok(value.map_or(0, from_db))
    }

    /// Allocates the next number of a sequence in one atomic statement.
    async fn allocate(&self, name: &str) -> Result<u64> {
        let pool = &self.pool;
        let _writer = self.writer.lock().await;
        let value: i64 = sqlx::query_scalar(
            "INSERT INTO counters (name, value) VALUES (?, 1) \
             ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
        )
        .bind(name)
        .fetch_one(pool)
        .await
        .map_err(db_error("allocate"))?;
        Ok(from_db(value))
    }

    async fn merge(&self, id: MergeId) -> Result<Option<MergeRecord>> {
        let pool = &self.pool;
        let row: Option<MergeRow> =
            sqlx::query_as("SELECT record, unmerged_by, unmerged_at FROM merges WHERE id = ?")
                .bind(id_text(id.0))
                .fetch_optional(pool)
                .await
                .map_err(db_error("merge"))?;
        row.map(MergeRow::into_record).transpose()
    }

    async fn merges_for(&self, patient: PatientId) -> Result<Vec<MergeRecord>> {
        let pool = &self.pool;
        let id = id_text(patient.0);
        let rows: Vec<MergeRow> = sqlx::query_as(
            "SELECT record, unmerged_by, unmerged_at FROM merges \
             WHERE patient_id = ? OR merged_patient_id = ? ORDER BY id",
        )
        .bind(&id)
        .bind(&id)
        .fetch_all(pool)
        .await
        .map_err(db_error("merges_for"))?;
        rows.into_iter().map(MergeRow::into_record).collect()
    }
}

#[async_trait]
impl PatientWrites for Tx<'_> {
    async fn write_patient(&mut self, write: PatientWrite) -> Result<()> {
        let conn = &mut *self.0;
        let (patient, keys, expected) = match write {
            PatientWrite::Insert { patient, keys } => (patient, keys, None),
            PatientWrite::Update {
                patient,
                keys,
                expected_version,
            } => (patient, keys, Some(expected_version)),
        };
        let json = PatientJson {
            details: to_json(&patient.details, "patient details")?,
            keys: keys_json(&patient, &keys)?,
        };
        let written = match expected {
            None => insert_patient(conn, &patient, &json).await,
            Some(v) => update_patient(conn, &patient, v, &json).await,
        };
        match written {
            Err(e) if is_unique_violation(&e, "patient_identifiers") => {
                Err(identifier_conflict(conn, &patient).await)
            }
            Err(e) if is_unique_violation(&e, "patients.id") => Err(already_exists("patient")),
            Err(e) => Err(db_error("write_patient")(e)),
            Ok(done) if done.rows_affected() == 1 => Ok(()),
            Ok(_) => Err(stale_or_missing(conn, &patient, expected.unwrap_or(0)).await),
        }
    }

    async fn write_merge(&mut self, write: MergeWrite) -> Result<()> {
        let conn = &mut *self.0;
        match write {
            MergeWrite::Insert(m) => insert_merge(conn, &m).await?,
            MergeWrite::Undo { id, by, at } => {
                let found: Option<Option<String>> =
                    sqlx::query_scalar("SELECT unmerged_at FROM merges WHERE id = ?")
                        .bind(id_text(id.0))
                        .fetch_optional(&mut *conn)
                        .await
                        .map_err(db_error("write_merge"))?;
                match found {
                    None => return Err(Error::not_found("merge")),
                    Some(Some(_)) => return Err(Error::invalid_state("merge", "already undone")),
                    Some(None) => {}
                }
                // The columns are the truth for the undo; reads overlay them on
                // the record JSON.
                sqlx::query("UPDATE merges SET unmerged_by = ?, unmerged_at = ? WHERE id = ?")
                    .bind(id_text(by.0))
                    .bind(ts(&at))
                    .bind(id_text(id.0))
                    .execute(&mut *conn)
                    .await
                    .map_err(db_error("write_merge"))?;
            }
        }
        Ok(())
    }
}
