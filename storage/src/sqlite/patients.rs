//! The register and the merge log in SQLite: patient rows with the search
//! keys core computed (fanned out into key tables by triggers), identifier
//! uniqueness by primary key, numbering sequences, merges.

use std::ops::Range;

use async_trait::async_trait;
use rusqlite::Connection;

use carebase::patient::normalize::SearchKeys;
use carebase::patient::{
    word_to_walk, MergeRecord, Patient, PatientSearch, SearchHit, NAME_WORD_COUNT_CAP,
};
use carebase::store::{MergeWrite, PatientStore, PatientWrite, PatientWrites};
use carebase::{ConflictDetail, Error, MergeId, PatientId, Result, StorageKind};

use super::error::db_error;
use super::rows::{
    date_text, from_db, id_text, to_db, to_json, ts, MergeRow, PatientRow, PATIENT_COLUMNS,
};
use super::{
    already_exists, execute, first, is_unique_violation, opt_text, rows, text, SqliteStore, Tx,
    Values,
};
use crate::failure::detected;

/// Upper bound of a prefix range: every string starting with `prefix` sorts
/// below `prefix` + U+10FFFF (folded tokens hold letters and digits only).
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

fn into_patients(rows: Vec<PatientRow>) -> Result<Vec<Patient>> {
    rows.into_iter().map(PatientRow::into_patient).collect()
}

/// How many rows of `patient_name_tokens` start with each typed word, each
/// counted up to [`NAME_WORD_COUNT_CAP`] (a covering scan of the key), for
/// [`word_to_walk`]. Only a search by several words needs them.
pub(crate) fn word_counts(conn: &Connection, search: &PatientSearch) -> Result<Vec<u64>> {
    if search.name_prefixes.len() < 2 {
        return Ok(Vec::new());
    }
    let cap = i64::try_from(NAME_WORD_COUNT_CAP).unwrap_or(i64::MAX);
    search
        .name_prefixes
        .iter()
        .map(|word| {
            let count = first(
                conn,
                "search_word_count",
                "SELECT count(*) FROM (SELECT 1 FROM patient_name_tokens \
                 WHERE token >= ? AND token < ? LIMIT ?)",
                rusqlite::params![word, prefix_end(word), cap],
                |r| r.get::<_, i64>(0),
            )?;
            Ok(count.map_or(0, |c| u64::try_from(c).unwrap_or(0)))
        })
        .collect()
}

/// `{row}.words` between spaces: every token of the row's patient, each
/// with a space before and after, so a token is found by `instr`.
fn spaced(row: &str) -> String {
    format!("(' ' || {row}.words || ' ')")
}

/// Whether the row's patient has a token starting with the next bound
/// word (its words hold ` word…`).
fn has_word(row: &str) -> String {
    format!("instr({}, ' ' || ?) > 0", spaced(row))
}

/// Whether the row's token is its patient's first (smallest) token
/// starting with the bound word: the patient's words are sorted, so the
/// first ` word…` in them is that token. A patient with several tokens
/// starting with the word is then found once, at the smallest.
fn first_match(row: &str) -> String {
    let words = spaced(row);
    format!("instr({words}, ' ' || ?) = instr({words}, ' ' || {row}.token || ' ')")
}

/// The patient's first (smallest) token starting with the bound word,
/// taken from the row's words (the name key of a rare-word walk); the
/// word is bound twice.
fn word_starting(row: &str) -> String {
    let words = spaced(row);
    format!(
        "substr(substr({words}, instr({words}, ' ' || ?) + 1), 1, \
         instr(substr({words}, instr({words}, ' ' || ?) + 1), ' ') - 1)"
    )
}

/// The statement behind [`search_patients`] and its arguments;
/// `explain` prefixes `EXPLAIN QUERY PLAN`, `counts` are the typed words'
/// counts ([`word_counts`]), from which [`word_to_walk`] picks the word whose
/// token range is read.
///
/// A search by name walks the name-token key `(token, patient_id)` of the
/// driving word (`name_prefixes[0]`) in page order from the cursor, one row
/// per (matching token, patient), and stops at the limit. Every check is
/// made on the row walked, from the patient's folded words it carries
/// (`words`, migration 0012), never by a probe of another row: a patient is
/// kept at its first token starting with the driving word ([`first_match`])
/// and only when it has a token starting with each other word
/// ([`has_word`]); the filters are checked on the patient's row. A page
/// costs the rows it reads, never every match. When another word is rarer
/// (`walk > 0`), its whole range is read instead (fewer than
/// [`NAME_WORD_COUNT_CAP`] rows), each patient's name key is taken from its
/// words, and only those matching every word are sorted. Other searches
/// walk their key index in id order (birth date, phone, email and
/// identifier indexes end in the id).
pub(crate) fn search_query(
    search: &PatientSearch,
    counts: &[u64],
    explain: bool,
) -> (String, Values) {
    let walk = word_to_walk(counts);
    let explain = if explain { "EXPLAIN QUERY PLAN " } else { "" };
    let mut params: Values = Vec::new();
    let mut sql = match search.name_prefixes.split_first() {
        Some((driver, others)) if walk > 0 && walk <= others.len() => {
            let rare = &search.name_prefixes[walk];
            let mut sql = format!(
                "{explain}SELECT {PATIENT_COLUMNS}, c.name_key AS name_key FROM \
                 (SELECT r.patient_id AS pid, {} AS name_key \
                   FROM patient_name_tokens r WHERE r.token >= ? AND r.token < ? AND {}",
                word_starting("r"),
                first_match("r"),
            );
            params.push(text(driver.clone()));
            params.push(text(driver.clone()));
            params.push(text(rare.clone()));
            params.push(text(prefix_end(rare)));
            params.push(text(rare.clone()));
            for prefix in &search.name_prefixes {
                if prefix != rare {
                    sql.push_str(&format!(" AND {}", has_word("r")));
                    params.push(text(prefix.clone()));
                }
            }
            sql.push_str(") c JOIN patients p ON p.id = c.pid WHERE 1 = 1");
            if let Some(after) = &search.after {
                sql.push_str(" AND (c.name_key, c.pid) > (?, ?)");
                params.push(text(after.name_key.clone().unwrap_or_default()));
                params.push(text(id_text(after.id.0)));
            }
            sql
        }
        Some((driver, others)) => {
            let mut sql = format!(
                "{explain}SELECT {PATIENT_COLUMNS}, t.token AS name_key \
                 FROM patient_name_tokens t JOIN patients p ON p.id = t.patient_id \
                 WHERE t.token >= ? AND t.token < ?"
            );
            params.push(text(driver.clone()));
            params.push(text(prefix_end(driver)));
            for prefix in others {
                sql.push_str(&format!(" AND {}", has_word("t")));
                params.push(text(prefix.clone()));
            }
            sql.push_str(&format!(" AND {}", first_match("t")));
            params.push(text(driver.clone()));
            if let Some(after) = &search.after {
                sql.push_str(" AND (t.token, t.patient_id) > (?, ?)");
                params.push(text(after.name_key.clone().unwrap_or_default()));
                params.push(text(id_text(after.id.0)));
            }
            sql
        }
        None => {
            let mut sql = format!(
                "{explain}SELECT {PATIENT_COLUMNS}, NULL AS name_key FROM patients p WHERE 1 = 1"
            );
            if let Some(after) = &search.after {
                sql.push_str(" AND p.id > ?");
                params.push(text(id_text(after.id.0)));
            }
            sql
        }
    };
    if let Some(date) = &search.birth_date {
        sql.push_str(" AND p.birth_date = ?");
        params.push(text(date_text(date)));
    }
    match (&search.identifier_system, &search.identifier_value) {
        (system, Some(value)) => {
            sql.push_str(
                " AND p.id IN (SELECT patient_id FROM patient_identifiers WHERE value = ?",
            );
            params.push(text(value.clone()));
            if let Some(system) = system {
                sql.push_str(" AND system = ?");
                params.push(text(system.clone()));
            }
            sql.push(')');
        }
        (Some(system), None) => {
            sql.push_str(
                " AND p.id IN (SELECT patient_id FROM patient_identifiers WHERE system = ?)",
            );
            params.push(text(system.clone()));
        }
        (None, None) => {}
    }
    if let Some(phone) = &search.phone {
        sql.push_str(" AND p.id IN (SELECT patient_id FROM patient_phones WHERE phone = ?)");
        params.push(text(phone.clone()));
    }
    if let Some(email) = &search.email {
        sql.push_str(" AND p.id IN (SELECT patient_id FROM patient_emails WHERE email = ?)");
        params.push(text(email.clone()));
    }
    if let Some(gender) = search.gender {
        sql.push_str(" AND p.gender = ?");
        params.push(text(gender.as_str()));
    }
    if let Some(active) = search.active {
        sql.push_str(" AND p.active = ?");
        params.push(rusqlite::types::Value::Integer(i64::from(active)));
    }
    if search.name_prefixes.is_empty() {
        sql.push_str(" ORDER BY p.id LIMIT ?");
    } else if walk > 0 && walk < search.name_prefixes.len() {
        sql.push_str(" ORDER BY c.name_key, c.pid LIMIT ?");
    } else {
        sql.push_str(" ORDER BY t.token, t.patient_id LIMIT ?");
    }
    params.push(rusqlite::types::Value::Integer(i64::from(search.limit)));
    (sql, params)
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
fn identifier_conflict(conn: &Connection, p: &Patient) -> Error {
    let id = id_text(p.id.0);
    for ident in &p.details.identifiers {
        let owner = first(
            conn,
            "identifier_conflict",
            "SELECT patient_id FROM patient_identifiers WHERE system = ? AND value = ?",
            [&ident.system, &ident.value],
            |r| r.get::<_, String>(0),
        );
        match owner {
            Ok(Some(owner)) if owner != id => {
                return Error::Conflict {
                    detail: ConflictDetail::DuplicateIdentifier {
                        system: ident.system.clone(),
                    },
                }
            }
            Ok(_) => {}
            Err(e) => return e,
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

/// The stored columns of a patient after its id ([`PATIENT_ROW`]'s order).
fn row_values(p: &Patient, json: &PatientJson) -> Values {
    vec![
        rusqlite::types::Value::Integer(to_db(p.version.get())),
        rusqlite::types::Value::Integer(i64::from(p.active)),
        opt_text(p.merged_into.map(|m| id_text(m.0))),
        text(ts(&p.created_at)),
        text(ts(&p.updated_at)),
        opt_text(p.details.gender.map(|g| g.as_str())),
        opt_text(p.details.birth_date.as_ref().map(date_text)),
        text(json.details.clone()),
        text(json.keys.clone()),
    ]
}

/// Inserts a new record (an existing id fails on the primary key).
fn insert_patient(conn: &Connection, p: &Patient, json: &PatientJson) -> rusqlite::Result<usize> {
    let sql =
        format!("INSERT INTO patients (id, {PATIENT_ROW}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    let mut values = vec![text(id_text(p.id.0))];
    values.extend(row_values(p, json));
    execute(conn, &sql, rusqlite::params_from_iter(values))
}

/// Replaces a record only if it still has `expected_version`.
fn update_patient(
    conn: &Connection,
    p: &Patient,
    expected_version: u64,
    json: &PatientJson,
) -> rusqlite::Result<usize> {
    let sql = format!(
        "UPDATE patients SET ({PATIENT_ROW}) = (?, ?, ?, ?, ?, ?, ?, ?, ?) WHERE id = ? AND version = ?"
    );
    let mut values = row_values(p, json);
    values.push(text(id_text(p.id.0)));
    values.push(rusqlite::types::Value::Integer(to_db(expected_version)));
    execute(conn, &sql, rusqlite::params_from_iter(values))
}

/// After an update matched no row: a stale version or a missing record.
fn stale_or_missing(conn: &Connection, p: &Patient, expected_version: u64) -> Error {
    let stored = first(
        conn,
        "stale_or_missing",
        "SELECT version FROM patients WHERE id = ?",
        [id_text(p.id.0)],
        |r| r.get::<_, i64>(0),
    );
    match stored {
        Ok(Some(v)) => Error::stale("patient", expected_version, from_db(v)),
        Ok(None) => Error::not_found("patient"),
        Err(e) => e,
    }
}

fn insert_merge(conn: &Connection, m: &MergeRecord) -> Result<()> {
    execute(
        conn,
        "INSERT OR REPLACE INTO merges (id, patient_id, merged_patient_id, merged_at, \
         unmerged_by, unmerged_at, record) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rusqlite::params![
            id_text(m.id.0),
            id_text(m.survivor.0),
            id_text(m.merged.0),
            ts(&m.merged_at),
            m.unmerged_by.map(|a| id_text(a.0)),
            m.unmerged_at.as_ref().map(ts),
            to_json(m, "merge record")?,
        ],
    )
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

#[async_trait]
impl PatientStore for SqliteStore {
    async fn patient(&self, id: PatientId) -> Result<Option<Patient>> {
        self.read("patient", |conn| {
            first(
                conn,
                "patient",
                &format!("SELECT {PATIENT_COLUMNS} FROM patients p WHERE p.id = ?"),
                [id_text(id.0)],
                PatientRow::from_row,
            )?
            .map(PatientRow::into_patient)
            .transpose()
        })
    }

    async fn search_patients(&self, search: &PatientSearch) -> Result<Vec<SearchHit>> {
        self.read("search_patients", |conn| {
            let (sql, params) = search_query(search, &word_counts(conn, search)?, false);
            rows(
                conn,
                "search_patients",
                &sql,
                rusqlite::params_from_iter(params),
                |r| {
                    Ok((
                        PatientRow::from_row(r)?,
                        r.get::<_, Option<String>>("name_key")?,
                    ))
                },
            )?
            .into_iter()
            .map(|(row, name_key)| {
                Ok(SearchHit {
                    patient: row.into_patient()?,
                    name_key,
                })
            })
            .collect()
        })
    }

    async fn duplicate_candidates(
        &self,
        patient: &Patient,
        keys: &SearchKeys,
        limit: u32,
    ) -> Result<Vec<Patient>> {
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
        let params: Values = vec![
            text(id_text(patient.id.0)),
            text(to_json(&keys.name_tokens, "search keys")?),
            opt_text(patient.details.birth_date.as_ref().map(date_text)),
            text(to_json(&keys.phones, "search keys")?),
            text(to_json(&keys.emails, "search keys")?),
            text(to_json(&identifiers, "search keys")?),
            rusqlite::types::Value::Integer(i64::from(limit)),
        ];
        self.read("duplicate_candidates", |conn| {
            into_patients(rows(
                conn,
                "duplicate_candidates",
                &sql,
                rusqlite::params_from_iter(params),
                PatientRow::from_row,
            )?)
        })
    }

    async fn counter(&self, name: &str) -> Result<u64> {
        self.read("counter", |conn| {
            let value = first(
                conn,
                "counter",
                "SELECT value FROM counters WHERE name = ?",
                [name],
                |r| r.get::<_, i64>(0),
            )?;
            Ok(value.map_or(0, from_db))
        })
    }

    /// Allocates the next numbers of a sequence in one atomic statement, on
    /// the writer (it rides the next group commit like any write).
    async fn allocate_block(&self, name: &str, count: u32) -> Result<Range<u64>> {
        let name = name.to_owned();
        self.write("allocate", move |conn| {
            let last = first(
                conn,
                "allocate",
                "INSERT INTO counters (name, value) VALUES (?1, ?2) \
                 ON CONFLICT (name) DO UPDATE SET value = value + ?2 RETURNING value",
                rusqlite::params![name, i64::from(count)],
                |r| r.get::<_, i64>(0),
            )?;
            let last = last.map_or(0, from_db);
            let end = last.saturating_add(1);
            Ok(end.saturating_sub(u64::from(count))..end)
        })
        .await
    }

    async fn merge(&self, id: MergeId) -> Result<Option<MergeRecord>> {
        self.read("merge", |conn| {
            first(
                conn,
                "merge",
                "SELECT record, unmerged_by, unmerged_at FROM merges WHERE id = ?",
                [id_text(id.0)],
                MergeRow::from_row,
            )?
            .map(MergeRow::into_record)
            .transpose()
        })
    }

    async fn merges_for(&self, patient: PatientId) -> Result<Vec<MergeRecord>> {
        self.read("merges_for", |conn| {
            rows(
                conn,
                "merges_for",
                "SELECT record, unmerged_by, unmerged_at FROM merges \
                 WHERE patient_id = ?1 OR merged_patient_id = ?1 ORDER BY id",
                [id_text(patient.0)],
                MergeRow::from_row,
            )?
            .into_iter()
            .map(MergeRow::into_record)
            .collect()
        })
    }
}

#[async_trait]
impl PatientWrites for Tx<'_> {
    async fn write_patient(&mut self, write: PatientWrite) -> Result<()> {
        let conn = &*self.0;
        let (patient, keys, expected) = match write {
            PatientWrite::Insert { patient, keys } => (patient, keys, None),
            PatientWrite::Update {
                patient,
                keys,
                expected_version,
            } => (patient, keys, Some(expected_version)),
        };
        let json = PatientJson {
            details: carebase::store::details_document(&patient)
                .map_err(|_| crate::failure::unencodable("sqlite", "patient details"))?,
            keys: keys_json(&patient, &keys)?,
        };
        let written = match expected {
            None => insert_patient(conn, &patient, &json),
            Some(v) => update_patient(conn, &patient, v, &json),
        };
        match written {
            Err(e) if is_unique_violation(&e, "patient_identifiers") => {
                Err(identifier_conflict(conn, &patient))
            }
            Err(e) if is_unique_violation(&e, "patients.id") => Err(already_exists("patient")),
            Err(e) => Err(db_error("write_patient")(e)),
            Ok(1) => Ok(()),
            Ok(_) => Err(stale_or_missing(conn, &patient, expected.unwrap_or(0))),
        }
    }

    async fn write_merge(&mut self, write: MergeWrite) -> Result<()> {
        let conn = &*self.0;
        match write {
            MergeWrite::Insert(m) => insert_merge(conn, &m)?,
            MergeWrite::Undo { id, by, at } => {
                let found = first(
                    conn,
                    "write_merge",
                    "SELECT unmerged_at FROM merges WHERE id = ?",
                    [id_text(id.0)],
                    |r| r.get::<_, Option<String>>(0),
                )?;
                match found {
                    None => return Err(Error::not_found("merge")),
                    Some(Some(_)) => return Err(Error::invalid_state("merge", "already undone")),
                    Some(None) => {}
                }
                // The columns are the truth for the undo; reads overlay them on
                // the record JSON.
                execute(
                    conn,
                    "UPDATE merges SET unmerged_by = ?, unmerged_at = ? WHERE id = ?",
                    [id_text(by.0), ts(&at), id_text(id.0)],
                )
                .map_err(db_error("write_merge"))?;
            }
        }
        Ok(())
    }
}
