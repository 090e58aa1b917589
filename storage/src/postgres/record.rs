//! The health record in PostgreSQL: the same two tables as SQLite
//! (`migrations/postgres/0008_record.sql`): `clinical_entries` keeps every
//! version (inserted only), `clinical_entry_heads` names each entry's
//! current one with the columns the reads select on. Two writers of the
//! same version race on the versions' primary key: the second waits for
//! the first, then fails with `stale_version` (`already_exists` for a
//! first version).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder};

use carebase::ids::{EntryId, PatientId};
use carebase::record::{
    ClinicalEntry, CodeQuery, EntryKind, EntryPosition, EntryQuery, PatientScope,
};
use carebase::store::{RecordStore, RecordWrites};
use carebase::{Error, Result};

use super::error::db_error;
use super::rows::{corrupt, from_json, to_json};
use super::{already_exists, is_unique_violation, PostgresStore, Tx};

/// The version a head names, joined by primary key.
const FROM_HEADS: &str = "FROM clinical_entry_heads h JOIN clinical_entries e \
     ON e.patient_id = h.patient_id AND e.entry_id = h.entry_id AND e.version = h.version";

/// The newest unretracted entry of each code in `codes` (a relation of
/// `code_system, code` built before it), one backward index seek per code.
fn latest_per_code(codes: &str) -> String {
    format!(
        "{codes} SELECT l.body FROM codes c CROSS JOIN LATERAL (\
         SELECT e.body {FROM_HEADS} WHERE h.patient_id = $1 AND h.kind = $2 AND NOT h.retracted \
         AND h.code_system = c.code_system AND h.code = c.code \
         ORDER BY h.effective_at DESC, h.entry_id DESC LIMIT 1) l \
         ORDER BY c.code_system, c.code"
    )
}

/// Every code a patient has unretracted entries of a kind under, walked
/// one index seek per distinct code (a loose index scan).
const EVERY_CODE: &str = "WITH RECURSIVE codes (code_system, code) AS (\
     (SELECT code_system, code FROM clinical_entry_heads \
      WHERE patient_id = $1 AND kind = $2 AND NOT retracted AND code_system IS NOT NULL \
      ORDER BY code_system, code LIMIT 1) \
     UNION ALL \
     SELECT n.code_system, n.code FROM codes c CROSS JOIN LATERAL (\
      SELECT code_system, code FROM clinical_entry_heads \
      WHERE patient_id = $1 AND kind = $2 AND NOT retracted \
      AND (code_system, code) > (c.code_system, c.code) \
      ORDER BY code_system, code LIMIT 1) n)";

/// The codes asked for.
const GIVEN_CODES: &str = "WITH codes (code_system, code) AS (\
     SELECT DISTINCT s, c FROM unnest($3::text[], $4::text[]) AS given (s, c))";

/// Decodes stored versions.
fn entries_of(bodies: Vec<String>) -> Result<Vec<ClinicalEntry>> {
    bodies
        .iter()
        .map(|b| from_json(b, "clinical entry"))
        .collect()
}

/// Appends the time-range and cursor conditions and the page order.
fn range_cursor_and_order(
    q: &mut QueryBuilder<'_, Postgres>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    after: Option<EntryPosition>,
    limit: u32,
) {
    if let Some(from) = from {
        q.push(" AND h.effective_at >= ").push_bind(from);
    }
    if let Some(to) = to {
        q.push(" AND h.effective_at < ").push_bind(to);
    }
    if let Some(after) = after {
        q.push(" AND (h.effective_at, h.entry_id) > (")
            .push_bind(after.effective_at)
            .push(", ")
            .push_bind(after.id.0)
            .push(")");
    }
    q.push(" ORDER BY h.effective_at, h.entry_id LIMIT ")
        .push_bind(i64::from(limit));
}

#[async_trait]
impl RecordStore for PostgresStore {
    async fn entry(&self, patient: PatientId, id: EntryId) -> Result<Option<ClinicalEntry>> {
        let body: Option<String> = sqlx::query_scalar(&format!(
            "SELECT e.body {FROM_HEADS} WHERE h.patient_id = $1 AND h.entry_id = $2"
        ))
        .bind(patient.0)
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error("entry"))?;
        body.map(|b| from_json(&b, "clinical entry")).transpose()
    }

    async fn entry_versions(&self, patient: PatientId, id: EntryId) -> Result<Vec<ClinicalEntry>> {
        let bodies: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM clinical_entries WHERE patient_id = $1 AND entry_id = $2 \
             ORDER BY version",
        )
        .bind(patient.0)
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error("entry_versions"))?;
        entries_of(bodies)
    }

    async fn entries(&self, query: &EntryQuery) -> Result<Vec<ClinicalEntry>> {
        let mut q: QueryBuilder<'_, Postgres> =
            QueryBuilder::new(format!("SELECT e.body {FROM_HEADS} WHERE h.patient_id = "));
        q.push_bind(query.patient.0);
        if !query.include_retracted {
            q.push(" AND NOT h.retracted");
        }
        if !query.kinds.is_empty() {
            let kinds: Vec<String> = query.kinds.iter().map(|k| k.as_str().to_owned()).collect();
            q.push(" AND h.kind = ANY(").push_bind(kinds).push(")");
        }
        if let Some((system, code)) = &query.code {
            q.push(" AND h.code_system = ")
                .push_bind(system.clone())
                .push(" AND h.code = ")
                .push_bind(code.clone());
        }
        range_cursor_and_order(&mut q, query.from, query.to, query.after, query.limit);
        let bodies: Vec<String> = q
            .build_query_scalar()
            .fetch_all(&self.pool)
            .await
            .map_err(db_error("entries"))?;
        entries_of(bodies)
    }

    async fn latest_entries(
        &self,
        patient: PatientId,
        kind: EntryKind,
        codes: &[(String, String)],
    ) -> Result<Vec<ClinicalEntry>> {
        let bodies: Vec<String> = if codes.is_empty() {
            sqlx::query_scalar(&latest_per_code(EVERY_CODE))
                .bind(patient.0)
                .bind(kind.as_str())
                .fetch_all(&self.pool)
                .await
        } else {
            let (systems, codes): (Vec<String>, Vec<String>) = codes.iter().cloned().unzip();
            sqlx::query_scalar(&latest_per_code(GIVEN_CODES))
                .bind(patient.0)
                .bind(kind.as_str())
                .bind(systems)
                .bind(codes)
                .fetch_all(&self.pool)
                .await
        }
        .map_err(db_error("latest_entries"))?;
        entries_of(bodies)
    }

    async fn entries_by_code(&self, query: &CodeQuery) -> Result<Vec<ClinicalEntry>> {
        let mut q: QueryBuilder<'_, Postgres> =
            QueryBuilder::new(format!("SELECT e.body {FROM_HEADS} WHERE h.kind = "));
        q.push_bind(query.kind.as_str())
            .push(" AND h.code_system = ")
            .push_bind(query.system.clone())
            .push(" AND h.code = ")
            .push_bind(query.code.clone())
            .push(" AND NOT h.retracted");
        if let PatientScope::CareTeamOf(practitioner) = &query.scope {
            q.push(
                " AND EXISTS (SELECT 1 FROM care_team ct \
                 WHERE ct.patient_id = h.patient_id AND ct.practitioner_id = ",
            )
            .push_bind(practitioner.0)
            .push(")");
        }
        range_cursor_and_order(&mut q, query.from, query.to, query.after, query.limit);
        let bodies: Vec<String> = q
            .build_query_scalar()
            .fetch_all(&self.pool)
            .await
            .map_err(db_error("entries_by_code"))?;
        entries_of(bodies)
    }
}

#[async_trait]
impl RecordWrites for Tx<'_> {
    async fn current_entry_version(&mut self, patient: PatientId, id: EntryId) -> Result<u32> {
        let version: Option<i32> = sqlx::query_scalar(
            "SELECT version FROM clinical_entry_heads WHERE patient_id = $1 AND entry_id = $2",
        )
        .bind(patient.0)
        .bind(id.0)
        .fetch_optional(&mut *self.0)
        .await
        .map_err(db_error("current_entry_version"))?;
        version.map_or(Ok(0), |v| {
            u32::try_from(v).map_err(|_| corrupt("entry version"))
        })
    }

    async fn append_entry(&mut self, entry: &ClinicalEntry) -> Result<()> {
        let version = i32::try_from(entry.version.get())
            .map_err(|_| Error::storage("entry version out of range"))?;
        let (system, code) = entry.body.code().map_or((None, None), |c| {
            (Some(c.system.clone()), Some(c.code.clone()))
        });
        let inserted = sqlx::query(
            "INSERT INTO clinical_entries (patient_id, entry_id, version, kind, code_system, code, \
             effective_at, status, recorded_at, recorded_by, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(entry.patient.0)
        .bind(entry.id.0)
        .bind(version)
        .bind(entry.kind().as_str())
        .bind(system.clone())
        .bind(code.clone())
        .bind(entry.effective_at)
        .bind(entry.status())
        .bind(entry.recorded_at)
        .bind(entry.recorded_by.0)
        .bind(to_json(entry, "clinical entry")?)
        .execute(&mut *self.0)
        .await;
        match inserted {
            Ok(_) => {}
            // Another transaction appended this version since the driver
            // read the current one.
            Err(e) if is_unique_violation(&e, "clinical_entries_pkey") => {
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
        sqlx::query(
            "INSERT INTO clinical_entry_heads (patient_id, entry_id, version, kind, code_system, \
             code, effective_at, status, retracted) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (patient_id, entry_id) DO UPDATE SET version = excluded.version, \
             kind = excluded.kind, code_system = excluded.code_system, code = excluded.code, \
             effective_at = excluded.effective_at, status = excluded.status, \
             retracted = excluded.retracted",
        )
        .bind(entry.patient.0)
        .bind(entry.id.0)
        .bind(version)
        .bind(entry.kind().as_str())
        .bind(system)
        .bind(code)
        .bind(entry.effective_at)
        .bind(entry.status())
        .bind(entry.is_retracted())
        .execute(&mut *self.0)
        .await
        .map_err(db_error("append_entry"))?;
        Ok(())
    }
}
