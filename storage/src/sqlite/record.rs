//! The health record in SQLite: `clinical_entries` keeps every version
//! (inserted only), `clinical_entry_heads` names each entry's current one
//! with the columns the reads select on (`migrations/sqlite/0008_record.sql`).
//! Every read starts on one index of the heads in its page order and joins
//! the versions it names by primary key, so no read sorts or scans a
//! patient's whole record (see `every_record_read_walks_an_index_in_page_order_without_sorting`
//! in `tests/sqlite.rs`).

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::Connection;

use carebase::ids::{EntryId, PatientId};
use carebase::record::{ClinicalEntry, CodeQuery, EntryKind, EntryQuery, PatientScope};
use carebase::store::{RecordStore, RecordWrites};
use carebase::{Error, Result};

use super::rows::{corrupt, from_json, id_text, to_json, ts};
use super::{
    already_exists, db_error, execute, first, is_unique_violation, rows, text, SqliteStore, Tx,
    Values,
};

/// The version a head names, joined by primary key.
const FROM_HEADS: &str = "FROM clinical_entry_heads h JOIN clinical_entries e \
     ON e.patient_id = h.patient_id AND e.entry_id = h.entry_id AND e.version = h.version";

/// The next code after `?4` in system `?3` a patient has current entries
/// of `?2` under: one step of a walk over the distinct codes on the
/// per-patient code index (one seek, whatever the number of entries).
pub(crate) const NEXT_CODE_IN_SYSTEM: &str = "SELECT code_system, code FROM clinical_entry_heads \
     WHERE patient_id = ?1 AND kind = ?2 AND retracted = 0 AND code_system = ?3 AND code > ?4 \
     ORDER BY code LIMIT 1";

/// The first code of the next system after `?3`: the walk's step when a
/// system's codes are done.
pub(crate) const FIRST_CODE_AFTER_SYSTEM: &str = "SELECT code_system, code \
     FROM clinical_entry_heads \
     WHERE patient_id = ?1 AND kind = ?2 AND retracted = 0 AND code_system > ?3 \
     ORDER BY code_system, code LIMIT 1";

/// The newest current, unretracted entry of one code of a patient: the
/// last index entry of that code.
pub(crate) fn latest_of_code() -> String {
    format!(
        "SELECT e.body {FROM_HEADS} WHERE h.patient_id = ?1 AND h.kind = ?2 AND h.retracted = 0 \
         AND h.code_system = ?3 AND h.code = ?4 \
         ORDER BY h.effective_at DESC, h.entry_id DESC LIMIT 1"
    )
}

/// Decodes a stored version.
fn entry_of(body: &str) -> Result<ClinicalEntry> {
    from_json(body, "clinical entry")
}

/// Appends the time-range and cursor conditions shared by both paged reads.
fn range_and_cursor(
    sql: &mut String,
    params: &mut Values,
    from: Option<&chrono::DateTime<chrono::Utc>>,
    to: Option<&chrono::DateTime<chrono::Utc>>,
    after: Option<&carebase::record::EntryPosition>,
) {
    if let Some(from) = from {
        sql.push_str(" AND h.effective_at >= ?");
        params.push(text(ts(from)));
    }
    if let Some(to) = to {
        sql.push_str(" AND h.effective_at < ?");
        params.push(text(ts(to)));
    }
    if let Some(after) = after {
        sql.push_str(" AND (h.effective_at, h.entry_id) > (?, ?)");
        params.push(text(ts(&after.effective_at)));
        params.push(text(id_text(after.id.0)));
    }
}

/// The statement and parameters of a timeline page.
pub(crate) fn timeline_query(query: &EntryQuery) -> (String, Values) {
    let mut sql = format!("SELECT e.body {FROM_HEADS} WHERE h.patient_id = ?");
    let mut params: Values = vec![text(id_text(query.patient.0))];
    if !query.include_retracted {
        sql.push_str(" AND h.retracted = 0");
    }
    if !query.kinds.is_empty() {
        let marks = vec!["?"; query.kinds.len()].join(", ");
        sql.push_str(&format!(" AND h.kind IN ({marks})"));
        params.extend(query.kinds.iter().map(|k| text(k.as_str())));
    }
    if let Some((system, code)) = &query.code {
        sql.push_str(" AND h.code_system = ? AND h.code = ?");
        params.push(text(system.as_str()));
        params.push(text(code.as_str()));
    }
    range_and_cursor(
        &mut sql,
        &mut params,
        query.from.as_ref(),
        query.to.as_ref(),
        query.after.as_ref(),
    );
    sql.push_str(" ORDER BY h.effective_at, h.entry_id LIMIT ?");
    params.push(Value::Integer(i64::from(query.limit)));
    (sql, params)
}

/// The statement and parameters of a page of one code across patients;
/// the care team is a correlated lookup, so the code index drives the
/// page order.
pub(crate) fn by_code_query(query: &CodeQuery) -> (String, Values) {
    let mut sql = format!(
        "SELECT e.body {FROM_HEADS} WHERE h.kind = ? AND h.code_system = ? AND h.code = ? \
         AND h.retracted = 0"
    );
    let mut params: Values = vec![
        text(query.kind.as_str()),
        text(query.system.as_str()),
        text(query.code.as_str()),
    ];
    if let PatientScope::CareTeamOf(practitioner) = &query.scope {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM care_team ct \
             WHERE ct.patient_id = h.patient_id AND ct.practitioner_id = ?)",
        );
        params.push(text(id_text(practitioner.0)));
    }
    range_and_cursor(
        &mut sql,
        &mut params,
        query.from.as_ref(),
        query.to.as_ref(),
        query.after.as_ref(),
    );
    sql.push_str(" ORDER BY h.effective_at, h.entry_id LIMIT ?");
    params.push(Value::Integer(i64::from(query.limit)));
    (sql, params)
}

/// Runs a paged read and decodes its versions.
fn page(
    conn: &Connection,
    operation: &'static str,
    sql: &str,
    params: Values,
) -> Result<Vec<ClinicalEntry>> {
    let bodies = rows(
        conn,
        operation,
        sql,
        rusqlite::params_from_iter(params),
        |r| r.get::<_, String>(0),
    )?;
    bodies.iter().map(|b| entry_of(b)).collect()
}

/// The distinct codes a patient has current entries of `kind` under, in
/// order, each found by one index seek.
fn codes_of(conn: &Connection, patient: &str, kind: &str) -> Result<Vec<(String, String)>> {
    let read = |r: &rusqlite::Row<'_>| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?));
    let mut codes: Vec<(String, String)> = Vec::new();
    loop {
        let next = match codes.last() {
            Some((system, code)) => {
                let same = first(
                    conn,
                    "latest_entries",
                    NEXT_CODE_IN_SYSTEM,
                    [patient, kind, system.as_str(), code.as_str()],
                    read,
                )?;
                match same {
                    Some(found) => Some(found),
                    None => first(
                        conn,
                        "latest_entries",
                        FIRST_CODE_AFTER_SYSTEM,
                        [patient, kind, system.as_str()],
                        read,
                    )?,
                }
            }
            None => first(
                conn,
                "latest_entries",
                FIRST_CODE_AFTER_SYSTEM,
                [patient, kind, ""],
                read,
            )?,
        };
        match next {
            Some(found) => codes.push(found),
            None => return Ok(codes),
        }
    }
}

#[async_trait]
impl RecordStore for SqliteStore {
    async fn entry(&self, patient: PatientId, id: EntryId) -> Result<Option<ClinicalEntry>> {
        let sql = format!("SELECT e.body {FROM_HEADS} WHERE h.patient_id = ? AND h.entry_id = ?");
        let body = self.read("entry", |conn| {
            first(
                conn,
                "entry",
                &sql,
                [id_text(patient.0), id_text(id.0)],
                |r| r.get::<_, String>(0),
            )
        })?;
        body.as_deref().map(entry_of).transpose()
    }

    async fn entry_versions(&self, patient: PatientId, id: EntryId) -> Result<Vec<ClinicalEntry>> {
        let bodies = self.read("entry_versions", |conn| {
            rows(
                conn,
                "entry_versions",
                "SELECT body FROM clinical_entries WHERE patient_id = ? AND entry_id = ? \
                 ORDER BY version",
                [id_text(patient.0), id_text(id.0)],
                |r| r.get::<_, String>(0),
            )
        })?;
        bodies.iter().map(|b| entry_of(b)).collect()
    }

    async fn entries(&self, query: &EntryQuery) -> Result<Vec<ClinicalEntry>> {
        let (sql, params) = timeline_query(query);
        self.read("entries", |conn| page(conn, "entries", &sql, params))
    }

    async fn latest_entries(
        &self,
        patient: PatientId,
        kind: EntryKind,
        codes: &[(String, String)],
    ) -> Result<Vec<ClinicalEntry>> {
        let patient = id_text(patient.0);
        let kind = kind.as_str();
        let mut wanted = codes.to_vec();
        wanted.sort();
        wanted.dedup();
        let latest = latest_of_code();
        let bodies = self.read("latest_entries", |conn| {
            let codes = if wanted.is_empty() {
                codes_of(conn, &patient, kind)?
            } else {
                wanted
            };
            let mut bodies = Vec::with_capacity(codes.len());
            for (system, code) in &codes {
                let params = [patient.as_str(), kind, system.as_str(), code.as_str()];
                if let Some(body) = first(conn, "latest_entries", &latest, params, |r| {
                    r.get::<_, String>(0)
                })? {
                    bodies.push(body);
                }
            }
            Ok(bodies)
        })?;
        bodies.iter().map(|b| entry_of(b)).collect()
    }

    async fn entries_by_code(&self, query: &CodeQuery) -> Result<Vec<ClinicalEntry>> {
        let (sql, params) = by_code_query(query);
        self.read("entries_by_code", |conn| {
            page(conn, "entries_by_code", &sql, params)
        })
    }
}

#[async_trait]
impl RecordWrites for Tx<'_> {
    async fn current_entry_version(&mut self, patient: PatientId, id: EntryId) -> Result<u32> {
        let version = first(
            &*self.0,
            "current_entry_version",
            "SELECT version FROM clinical_entry_heads WHERE patient_id = ? AND entry_id = ?",
            [id_text(patient.0), id_text(id.0)],
            |r| r.get::<_, i64>(0),
        )?;
        version.map_or(Ok(0), |v| {
            u32::try_from(v).map_err(|_| corrupt("entry version"))
        })
    }

    async fn append_entry(&mut self, entry: &ClinicalEntry) -> Result<()> {
        let conn = &*self.0;
        let patient = id_text(entry.patient.0);
        let id = id_text(entry.id.0);
        let (system, code) = entry.body.code().map_or((None, None), |c| {
            (Some(c.system.as_str()), Some(c.code.as_str()))
        });
        let effective_at = ts(&entry.effective_at);
        let inserted = execute(
            conn,
            "INSERT INTO clinical_entries (patient_id, entry_id, version, kind, code_system, code, \
             effective_at, status, recorded_at, recorded_by, body) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rusqlite::params![
                patient,
                id,
                entry.version.get(),
                entry.kind().as_str(),
                system,
                code,
                effective_at,
                entry.status(),
                ts(&entry.recorded_at),
                id_text(entry.recorded_by.0),
                to_json(entry, "clinical entry")?,
            ],
        );
        match inserted {
            Ok(_) => {}
            // The driver checked the version first; only a concurrent
            // writer (another process) gets here.
            Err(e) if is_unique_violation(&e, "clinical_entries") => {
                return Err(if entry.version == 1 {
                    already_exists("entry")
                } else {
                    Error::stale(
                        "entry",
                        u64::from(entry.version - 1),
                        u64::from(entry.version),
                    )
                });
            }
            Err(e) => return Err(db_error("append_entry")(e)),
        }
        execute(
            conn,
            "INSERT INTO clinical_entry_heads (patient_id, entry_id, version, kind, code_system, \
             code, effective_at, status, retracted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (patient_id, entry_id) DO UPDATE SET version = excluded.version, \
             kind = excluded.kind, code_system = excluded.code_system, code = excluded.code, \
             effective_at = excluded.effective_at, status = excluded.status, \
             retracted = excluded.retracted",
            rusqlite::params![
                patient,
                id,
                entry.version.get(),
                entry.kind().as_str(),
                system,
                code,
                effective_at,
                entry.status(),
                entry.is_retracted(),
            ],
        )
        .map_err(db_error("append_entry"))?;
        Ok(())
    }
}

impl SqliteStore {
    /// The `EXPLAIN QUERY PLAN` lines of every statement the record's reads
    /// run for `timeline` and `by_code` (the timeline page, the steps of
    /// the latest values, the page of one code), each joined into one
    /// text: for tests that every read walks an index in page order.
    #[doc(hidden)]
    pub async fn explain_record_reads(
        &self,
        timeline: &EntryQuery,
        by_code: &CodeQuery,
    ) -> Result<Vec<String>> {
        let (timeline_sql, timeline_params) = timeline_query(timeline);
        let (code_sql, code_params) = by_code_query(by_code);
        let patient = text(id_text(timeline.patient.0));
        let step = vec![
            patient,
            text("observation"),
            text("http://loinc.org"),
            text("8867-4"),
        ];
        let statements = [
            (timeline_sql, timeline_params),
            (NEXT_CODE_IN_SYSTEM.to_owned(), step.clone()),
            (FIRST_CODE_AFTER_SYSTEM.to_owned(), step[..3].to_vec()),
            (latest_of_code(), step),
            (code_sql, code_params),
        ];
        self.read("explain_record_reads", |conn| {
            statements
                .into_iter()
                .map(|(sql, params)| {
                    let lines = rows(
                        conn,
                        "explain_record_reads",
                        &format!("EXPLAIN QUERY PLAN {sql}"),
                        rusqlite::params_from_iter(params),
                        |r| r.get::<_, String>("detail"),
                    )?;
                    Ok(lines.join("\n"))
                })
                .collect()
        })
    }
}
