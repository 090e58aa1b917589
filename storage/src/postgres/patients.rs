//! The register and the merge log in PostgreSQL. The guarantees come from
//! the database, not from this process (many processes may write one
//! database):
//!
//! - identifier uniqueness: the primary key of `patient_identifiers`
//!   (a unique violation is mapped to `DuplicateIdentifier{system}` after a
//!   re-check names the system);
//! - versions: `UPDATE … WHERE patient_id = $1 AND version = $2` (0 rows:
//!   stale or missing); once-only undos lock their row `FOR UPDATE`;
//! - sequences: one atomic upsert per number, or per block of numbers.

use std::collections::BTreeSet;

use std::ops::Range;

use async_trait::async_trait;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use carebase::patient::normalize::SearchKeys;
use carebase::patient::{
    word_to_walk, MergeRecord, Patient, PatientSearch, SearchHit, NAME_WORD_COUNT_CAP,
};
use carebase::store::{MergeWrite, PatientStore, PatientWrite, PatientWrites};
use carebase::{ConflictDetail, Error, MergeId, PatientId, Result, StorageKind};

use super::error::db_error;
use super::rows::{from_db, to_db, to_json, MergeRow, PatientRow, PATIENT_COLUMNS};
use super::{already_exists, exec, is_unique_violation, PostgresStore, Tx};
use crate::failure::detected;

/// Upper bound of a prefix range: under `COLLATE "C"` (byte order) every
/// string starting with `prefix` sorts below `prefix` + U+10FFFF.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

fn into_patients(rows: Vec<PatientRow>) -> Result<Vec<Patient>> {
    rows.into_iter().map(PatientRow::into_patient).collect()
}

/// A search hit as read: the patient's columns and the name key it was
/// found by (NULL for a search without a name).
#[derive(sqlx::FromRow)]
struct HitRow {
    #[sqlx(flatten)]
    patient: PatientRow,
    name_key: Option<String>,
}

/// How many rows of `patient_name_tokens` start with each typed word, each
/// counted up to [`NAME_WORD_COUNT_CAP`] (a short scan of the key), in one
/// round trip, for [`word_to_walk`]. Only a search by several words needs
/// them.
async fn word_counts(pool: &sqlx::PgPool, search: &PatientSearch) -> Result<Vec<u64>> {
    if search.name_prefixes.len() < 2 {
        return Ok(Vec::new());
    }
    let ends: Vec<String> = search.name_prefixes.iter().map(|w| prefix_end(w)).collect();
    let counts: Vec<i64> = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM (SELECT 1 FROM patient_name_tokens t \
           WHERE t.token >= w.word AND t.token < w.word_end LIMIT $3) x) \
         FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS w(word, word_end, i) \
         ORDER BY w.i",
    )
    .bind(&search.name_prefixes)
    .bind(&ends)
    .bind(i64::try_from(NAME_WORD_COUNT_CAP).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await
    .map_err(db_error("search_word_counts"))?;
    Ok(counts
        .into_iter()
        .map(|c| u64::try_from(c).unwrap_or(0))
        .collect())
}

/// `{row}.words` between spaces: every token of the row's patient, each
/// with a space before and after, so a token is found by `strpos`.
fn spaced(row: &str) -> String {
    format!("(' ' || {row}.words || ' ')")
}

/// Adds: the row's patient has a token starting with `word`.
fn has_word(q: &mut QueryBuilder<'static, Postgres>, row: &str, word: &str) {
    q.push(format!(" AND strpos({}, ' ' || ", spaced(row)))
        .push_bind(word.to_owned())
        .push(") > 0");
}

/// Adds: the row's token is its patient's first (smallest) token starting
/// with `word` (the words are sorted, so the first ` word…` in them is that
/// token); a patient with several such tokens is found once.
fn first_match(q: &mut QueryBuilder<'static, Postgres>, row: &str, word: &str) {
    let words = spaced(row);
    q.push(format!(" AND strpos({words}, ' ' || "))
        .push_bind(word.to_owned())
        .push(format!(") = strpos({words}, ' ' || {row}.token || ' ')"));
}

/// The statement behind [`search_patients`], with its arguments bound;
/// `walk` is the index in `name_prefixes` of the word whose token range is
/// read ([`word_to_walk`]).
///
/// A search by name walks the primary key of `patient_name_tokens`
/// (`token, patient_id`, byte order, including the patient's `words`) of
/// the driving word (`name_prefixes[0]`) in page order from the cursor and
/// stops at the limit. Every check is made on the row walked, from its
/// words, never by a probe of another row: a patient is kept at its first
/// token starting with the driving word, and only when it has a token
/// starting with each other word; the filters are checked on that patient.
/// A page costs the rows it reads, never every match. When another word is
/// rarer (`walk > 0`), its whole range is read instead (fewer than
/// [`NAME_WORD_COUNT_CAP`] rows), each patient's name key is taken from its
/// words, and only those matching every word are sorted. Other searches
/// walk their key index in id order.
pub(crate) fn search_query(search: &PatientSearch, walk: usize) -> QueryBuilder<'static, Postgres> {
    let mut q = match search.name_prefixes.split_first() {
        Some((driver, others)) if walk > 0 && walk <= others.len() => {
            let rare = &search.name_prefixes[walk];
            let words = spaced("r");
            let mut q = QueryBuilder::new(format!(
                "SELECT {PATIENT_COLUMNS}, c.name_key AS name_key FROM \
                 (SELECT r.patient_id AS pid, split_part(substr({words}, strpos({words}, ' ' || "
            ));
            q.push_bind(driver.clone())
                .push(") + 1), ' ', 1) AS name_key FROM patient_name_tokens r WHERE r.token >= ")
                .push_bind(rare.clone())
                .push(" AND r.token < ")
                .push_bind(prefix_end(rare));
            first_match(&mut q, "r", rare);
            for prefix in &search.name_prefixes {
                if prefix != rare {
                    has_word(&mut q, "r", prefix);
                }
            }
            q.push(") c JOIN patients p ON p.patient_id = c.pid WHERE TRUE");
            if let Some(after) = &search.after {
                q.push(" AND (c.name_key, c.pid) > (")
                    .push_bind(after.name_key.clone().unwrap_or_default())
                    .push(", ")
                    .push_bind(after.id.0)
                    .push(")");
            }
            q
        }
        Some((driver, others)) => {
            let mut q = QueryBuilder::new(format!(
                "SELECT {PATIENT_COLUMNS}, t.token AS name_key \
                 FROM patient_name_tokens t JOIN patients p ON p.patient_id = t.patient_id \
                 WHERE t.token >= "
            ));
            q.push_bind(driver.clone())
                .push(" AND t.token < ")
                .push_bind(prefix_end(driver));
            for prefix in others {
                has_word(&mut q, "t", prefix);
            }
            first_match(&mut q, "t", driver);
            if let Some(after) = &search.after {
                q.push(" AND (t.token, t.patient_id) > (")
                    .push_bind(after.name_key.clone().unwrap_or_default())
                    .push(", ")
                    .push_bind(after.id.0)
                    .push(")");
            }
            q
        }
        None => {
            let mut q = QueryBuilder::new(format!(
                "SELECT {PATIENT_COLUMNS}, NULL::text AS name_key FROM patients p WHERE TRUE"
            ));
            if let Some(after) = &search.after {
                q.push(" AND p.patient_id > ").push_bind(after.id.0);
            }
            q
        }
    };
    if let Some(date) = search.birth_date {
        q.push(" AND p.birth_date = ").push_bind(date);
    }
    match (&search.identifier_system, &search.identifier_value) {
        (system, Some(value)) => {
            q.push(
                " AND p.patient_id IN (SELECT patient_id FROM patient_identifiers WHERE value = ",
            )
            .push_bind(value.clone());
            if let Some(system) = system {
                q.push(" AND system = ").push_bind(system.clone());
            }
            q.push(")");
        }
        (Some(system), None) => {
            q.push(
                " AND p.patient_id IN (SELECT patient_id FROM patient_identifiers WHERE system = ",
            )
            .push_bind(system.clone())
            .push(")");
        }
        (None, None) => {}
    }
    if let Some(phone) = &search.phone {
        q.push(" AND p.patient_id IN (SELECT patient_id FROM patient_phones WHERE phone = ")
            .push_bind(phone.clone())
            .push(")");
    }
    if let Some(email) = &search.email {
        q.push(" AND p.patient_id IN (SELECT patient_id FROM patient_emails WHERE email = ")
            .push_bind(email.clone())
            .push(")");
    }
    if let Some(gender) = search.gender {
        q.push(" AND p.gender = ").push_bind(gender.as_str());
    }
    if let Some(active) = search.active {
        q.push(" AND p.active = ").push_bind(active);
    }
    if search.name_prefixes.is_empty() {
        q.push(" ORDER BY p.patient_id LIMIT ");
    } else if walk > 0 && walk < search.name_prefixes.len() {
        q.push(" ORDER BY c.name_key, c.pid LIMIT ");
    } else {
        q.push(" ORDER BY t.token, t.patient_id LIMIT ");
    }
    q.push_bind(i64::from(search.limit));
    q
}

fn bind_row<'q>(query: Query<'q>, p: &'q Patient, details: &'q str) -> Query<'q> {
    query
        .bind(to_db(p.version.get()))
        .bind(p.active)
        .bind(p.merged_into.map(|m| m.0))
        .bind(p.created_at)
        .bind(p.updated_at)
        .bind(p.details.gender.map(|g| g.as_str()))
        .bind(p.details.birth_date)
        .bind(details)
}

/// Inserts a new record (an existing id fails on the primary key).
async fn insert_patient(
    conn: &mut PgConnection,
    p: &Patient,
    details: &str,
) -> std::result::Result<u64, sqlx::Error> {
    let sql = format!(
        "INSERT INTO patients (patient_id, {PATIENT_ROW}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    );
    let done = bind_row(sqlx::query(&sql).bind(p.id.0), p, details)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// Replaces a record only if it still has `expected_version`.
async fn update_patient(
    conn: &mut PgConnection,
    p: &Patient,
    expected_version: u64,
    details: &str,
) -> std::result::Result<u64, sqlx::Error> {
    let sql = format!(
        "UPDATE patients SET ({PATIENT_ROW}) = ($1, $2, $3, $4, $5, $6, $7, $8) \
         WHERE patient_id = $9 AND version = $10"
    );
    let done = bind_row(sqlx::query(&sql), p, details)
        .bind(p.id.0)
        .bind(to_db(expected_version))
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// After an update matched no row: a stale version or a missing record.
async fn stale_or_missing(conn: &mut PgConnection, p: &Patient, expected_version: u64) -> Error {
    let stored: std::result::Result<Option<i64>, sqlx::Error> =
        sqlx::query_scalar("SELECT version FROM patients WHERE patient_id = $1")
            .bind(p.id.0)
            .fetch_optional(&mut *conn)
            .await;
    match stored {
        Ok(Some(v)) => Error::stale("patient", expected_version, from_db(v)),
        Ok(None) => Error::not_found("patient"),
        Err(e) => db_error("stale_or_missing")(e),
    }
}

/// Replaces the search keys of a patient with the ones core computes. The
/// identifier insert runs under a savepoint so a unique violation leaves the
/// transaction usable for the re-check that names the system.
async fn replace_keys(
    conn: &mut PgConnection,
    p: &Patient,
    keys: &SearchKeys,
    existing: bool,
) -> Result<()> {
    let id = p.id.0;
    if existing {
        for table in [
            "patient_identifiers",
            "patient_name_tokens",
            "patient_phones",
            "patient_emails",
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE patient_id = $1"))
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(db_error("replace_keys"))?;
        }
    }
    if !p.details.identifiers.is_empty() {
        let systems: Vec<&str> = p
            .details
            .identifiers
            .iter()
            .map(|i| i.system.as_str())
            .collect();
        let values: Vec<&str> = p
            .details
            .identifiers
            .iter()
            .map(|i| i.value.as_str())
            .collect();
        exec(conn, "SAVEPOINT carebase_identifiers").await?;
        let claimed = sqlx::query(
            "INSERT INTO patient_identifiers (system, value, patient_id) \
             SELECT s, v, $3 FROM UNNEST($1::text[], $2::text[]) AS k (s, v)",
        )
        .bind(&systems)
        .bind(&values)
        .bind(id)
        .execute(&mut *conn)
        .await;
        match claimed {
            Ok(_) => exec(conn, "RELEASE SAVEPOINT carebase_identifiers").await?,
            Err(e) if is_unique_violation(&e, "patient_identifiers_unique") => {
                exec(conn, "ROLLBACK TO SAVEPOINT carebase_identifiers").await?;
                return Err(identifier_conflict(conn, p).await);
            }
            Err(e) => return Err(db_error("replace_keys")(e)),
        }
    }
    if !keys.name_tokens.is_empty() {
        // Every row carries the patient's words, sorted bytewise (migration
        // 0012), as the search reads them.
        let mut words = keys.name_tokens.clone();
        words.sort();
        words.dedup();
        sqlx::query(
            "INSERT INTO patient_name_tokens (token, patient_id, words) \
             SELECT DISTINCT k, $2, $3 FROM UNNEST($1::text[]) AS k ON CONFLICT DO NOTHING",
        )
        .bind(&keys.name_tokens)
        .bind(id)
        .bind(words.join(" "))
        .execute(&mut *conn)
        .await
        .map_err(db_error("replace_keys"))?;
    }
    for (table, column, values) in [
        ("patient_phones", "phone", &keys.phones),
        ("patient_emails", "email", &keys.emails),
    ] {
        if values.is_empty() {
            continue;
        }
        sqlx::query(&format!(
            "INSERT INTO {table} ({column}, patient_id) \
             SELECT DISTINCT k, $2 FROM UNNEST($1::text[]) AS k ON CONFLICT DO NOTHING"
        ))
        .bind(values)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(db_error("replace_keys"))?;
    }
    Ok(())
}

/// After a failed claim: the first identifier another patient holds (a
/// committed holder, visible to this statement at READ COMMITTED) names the
/// conflicting system.
async fn identifier_conflict(conn: &mut PgConnection, p: &Patient) -> Error {
    for ident in &p.details.identifiers {
        let owner: std::result::Result<Option<Uuid>, sqlx::Error> = sqlx::query_scalar(
            "SELECT patient_id FROM patient_identifiers WHERE system = $1 AND value = $2",
        )
        .bind(&ident.system)
        .bind(&ident.value)
        .fetch_optional(&mut *conn)
        .await;
        match owner {
            Ok(Some(owner)) if owner != p.id.0 => {
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
    // The same identifier twice in one record.
    if let Some(system) = repeated_system(p) {
        return Error::Conflict {
            detail: ConflictDetail::DuplicateIdentifier { system },
        };
    }
    // The holder released the identifier after the database refused ours:
    // a race, which the store's retry runs again.
    detected(
        "postgres",
        "identifier_conflict",
        StorageKind::Retryable,
        "identifier uniqueness failed without a holder",
    )
}

fn repeated_system(p: &Patient) -> Option<String> {
    let mut seen = BTreeSet::new();
    p.details
        .identifiers
        .iter()
        .find(|i| !seen.insert((i.system.as_str(), i.value.as_str())))
        .map(|i| i.system.clone())
}

async fn insert_merge(conn: &mut PgConnection, m: &MergeRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO merges (id, patient_id, merged_patient_id, merged_at, \
         unmerged_by, unmerged_at, record) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (patient_id, id) DO UPDATE SET merged_patient_id = EXCLUDED.merged_patient_id, \
         merged_at = EXCLUDED.merged_at, unmerged_by = EXCLUDED.unmerged_by, \
         unmerged_at = EXCLUDED.unmerged_at, record = EXCLUDED.record",
    )
    .bind(m.id.0)
    .bind(m.survivor.0)
    .bind(m.merged.0)
    .bind(m.merged_at)
    .bind(m.unmerged_by.map(|a| a.0))
    .bind(m.unmerged_at)
    .bind(to_json(m, "merge record")?)
    .execute(&mut *conn)
    .await
    .map_err(db_error("insert_merge"))?;
    Ok(())
}

/// The stored columns of a patient after its id, in one order for both
/// statements below.
const PATIENT_ROW: &str =
    "version, active, merged_into, created_at, updated_at, gender, birth_date, details";

type Query<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

#[async_trait]
impl PatientStore for PostgresStore {
    async fn patient(&self, id: PatientId) -> Result<Option<Patient>> {
        let pool = &self.pool;
        let row: Option<PatientRow> = sqlx::query_as(&format!(
            "SELECT {PATIENT_COLUMNS} FROM patients p WHERE p.patient_id = $1"
        ))
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .map_err(db_error("patient"))?;
        row.map(PatientRow::into_patient).transpose()
    }

    async fn search_patients(&self, search: &PatientSearch) -> Result<Vec<SearchHit>> {
        let pool = &self.pool;
        let walk = word_to_walk(&word_counts(pool, search).await?);
        let mut q = search_query(search, walk);
        // Planned with its values each time (an unnamed statement): a
        // cached generic plan cannot tell a rare name prefix from a common
        // one and, at 1,000,000 patients, hash-joins and sorts every match
        // of a two-word name (1.3 s) where the planned page reads 2.6 ms.
        let rows: Vec<HitRow> = q
            .build_query_as()
            .persistent(false)
            .fetch_all(pool)
            .await
            .map_err(db_error("search_patients"))?;
        rows.into_iter()
            .map(|row| {
                Ok(SearchHit {
                    patient: row.patient.into_patient()?,
                    name_key: row.name_key,
                })
            })
            .collect()
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
             WHERE p.active AND p.merged_into IS NULL AND p.patient_id <> $1 AND p.patient_id IN ( \
               SELECT patient_id FROM patient_name_tokens WHERE token = ANY($2::text[]) \
               UNION SELECT patient_id FROM patients WHERE birth_date = $3 \
               UNION SELECT patient_id FROM patient_phones WHERE phone = ANY($4::text[]) \
               UNION SELECT patient_id FROM patient_emails WHERE email = ANY($5::text[]) \
               UNION SELECT patient_id FROM patient_identifiers WHERE value = ANY($6::text[])) \
             ORDER BY p.patient_id LIMIT $7"
        );
        let rows: Vec<PatientRow> = sqlx::query_as(&sql)
            .bind(patient.id.0)
            .bind(&keys.name_tokens)
            .bind(patient.details.birth_date)
            .bind(&keys.phones)
            .bind(&keys.emails)
            .bind(&identifiers)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(db_error("duplicate_candidates"))?;
        into_patients(rows)
    }

    async fn counter(&self, name: &str) -> Result<u64> {
        let pool = &self.pool;
        let value: Option<i64> = sqlx::query_scalar("SELECT value FROM counters WHERE name = $1")
            .bind(name)
            .fetch_optional(pool)
            .await
            .map_err(db_error("counter"))?;
        Ok(value.map_or(0, from_db))
    }

    /// Allocates the next number of a sequence in one atomic statement (its own
    /// transaction): concurrent callers serialize on the counter row.
    /// The block in one atomic statement: its last number is returned.
    async fn allocate_block(&self, name: &str, count: u32) -> Result<Range<u64>> {
        let pool = &self.pool;
        let last: i64 = sqlx::query_scalar(
            "INSERT INTO counters (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = counters.value + $2 RETURNING value",
        )
        .bind(name)
        .bind(i64::from(count))
        .fetch_one(pool)
        .await
        .map_err(db_error("allocate"))?;
        let last = from_db(last);
        let end = last.saturating_add(1);
        Ok(end.saturating_sub(u64::from(count))..end)
    }

    async fn merge(&self, id: MergeId) -> Result<Option<MergeRecord>> {
        let pool = &self.pool;
        let row: Option<MergeRow> =
            sqlx::query_as("SELECT record, unmerged_by, unmerged_at FROM merges WHERE id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await
                .map_err(db_error("merge"))?;
        row.map(MergeRow::into_record).transpose()
    }

    async fn merges_for(&self, patient: PatientId) -> Result<Vec<MergeRecord>> {
        let pool = &self.pool;
        let rows: Vec<MergeRow> = sqlx::query_as(
            "SELECT record, unmerged_by, unmerged_at FROM merges \
             WHERE patient_id = $1 OR merged_patient_id = $1 ORDER BY id",
        )
        .bind(patient.0)
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
        let details = carebase::store::details_document(&patient)
            .map_err(|_| crate::failure::unencodable("postgres", "patient details"))?;
        let written = match expected {
            None => insert_patient(conn, &patient, &details).await,
            Some(v) => update_patient(conn, &patient, v, &details).await,
        };
        match written {
            Err(e) if is_unique_violation(&e, "patients_pkey") => {
                return Err(already_exists("patient"))
            }
            Err(e) => return Err(db_error("write_patient")(e)),
            Ok(1) => {}
            Ok(_) => return Err(stale_or_missing(conn, &patient, expected.unwrap_or(0)).await),
        }
        replace_keys(conn, &patient, &keys, expected.is_some()).await
    }

    async fn write_merge(&mut self, write: MergeWrite) -> Result<()> {
        let conn = &mut *self.0;
        match write {
            MergeWrite::Insert(m) => insert_merge(conn, &m).await?,
            MergeWrite::Undo { id, by, at } => {
                let found: Option<Option<chrono::DateTime<chrono::Utc>>> =
                    sqlx::query_scalar("SELECT unmerged_at FROM merges WHERE id = $1 FOR UPDATE")
                        .bind(id.0)
                        .fetch_optional(&mut *conn)
                        .await
                        .map_err(db_error("write_merge"))?;
                match found {
                    None => return Err(Error::not_found("merge")),
                    Some(Some(_)) => return Err(Error::invalid_state("merge", "already undone")),
                    Some(None) => {}
                }
                sqlx::query("UPDATE merges SET unmerged_by = $1, unmerged_at = $2 WHERE id = $3")
                    .bind(by.0)
                    .bind(at)
                    .bind(id.0)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_error("write_merge"))?;
            }
        }
        Ok(())
    }
}
