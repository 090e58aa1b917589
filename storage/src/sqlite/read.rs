//! Reads. Each one is a single statement over the indexes of the schema;
//! ordering and filters follow the reference `MemoryStore` exactly.

use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use carebase::access::{BreakGlassGrant, CareAssignment};
use carebase::audit::{AuditEntry, AuditQuery, ChainHead};
use carebase::events::OutboxEvent;
use carebase::patient::normalize::SearchKeys;
use carebase::patient::{MergeRecord, Patient, PatientSearch};
use carebase::{ActorId, GrantId, MergeId, PatientId, PractitionerId, Result};

use super::db_error;
use super::rows::{
    bound, chain_key, date_text, from_db, id_text, parse_chain, to_json, AuditRow, CareRow,
    EventRow, GrantRow, MergeRow, PatientRow, AUDIT_COLUMNS, EVENT_COLUMNS, GRANT_COLUMNS,
    PATIENT_COLUMNS,
};

/// Default page of [`audit_entries`].
const AUDIT_DEFAULT_LIMIT: u32 = 100;
/// Largest page of [`audit_entries`].
const AUDIT_MAX_LIMIT: u32 = 1000;

/// Upper bound of a prefix range: every string starting with `prefix` sorts
/// below `prefix` + U+10FFFF (folded tokens hold letters and digits only).
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

fn into_patients(rows: Vec<PatientRow>) -> Result<Vec<Patient>> {
    rows.into_iter().map(PatientRow::into_patient).collect()
}

pub(crate) async fn patient(pool: &SqlitePool, id: PatientId) -> Result<Option<Patient>> {
    let row: Option<PatientRow> = sqlx::query_as(&format!(
        "SELECT {PATIENT_COLUMNS} FROM patients p WHERE p.id = ?"
    ))
    .bind(id_text(id.0))
    .fetch_optional(pool)
    .await
    .map_err(db_error)?;
    row.map(PatientRow::into_patient).transpose()
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

pub(crate) async fn search_patients(
    pool: &SqlitePool,
    search: &PatientSearch,
) -> Result<Vec<Patient>> {
    let mut q = search_query(search, false);
    let rows: Vec<PatientRow> = q.build_query_as().fetch_all(pool).await.map_err(db_error)?;
    into_patients(rows)
}

pub(crate) async fn duplicate_candidates(
    pool: &SqlitePool,
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
        .map_err(db_error)?;
    into_patients(rows)
}

pub(crate) async fn counter(pool: &SqlitePool, name: &str) -> Result<u64> {
    let value: Option<i64> = sqlx::query_scalar("SELECT value FROM counters WHERE name = ?")
        .bind(name)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    Ok(value.map_or(0, from_db))
}

pub(crate) async fn care_team(
    pool: &SqlitePool,
    patient: PatientId,
) -> Result<Vec<CareAssignment>> {
    let rows: Vec<CareRow> = sqlx::query_as(
        "SELECT patient_id, practitioner_id, assigned_by, assigned_at FROM care_team \
         WHERE patient_id = ? ORDER BY practitioner_id",
    )
    .bind(id_text(patient.0))
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    rows.into_iter().map(CareRow::into_assignment).collect()
}

pub(crate) async fn is_on_care_team(
    pool: &SqlitePool,
    patient: PatientId,
    practitioner: PractitionerId,
) -> Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM care_team WHERE patient_id = ? AND practitioner_id = ?")
            .bind(id_text(patient.0))
            .bind(id_text(practitioner.0))
            .fetch_optional(pool)
            .await
            .map_err(db_error)?;
    Ok(found.is_some())
}

pub(crate) async fn grant(pool: &SqlitePool, id: GrantId) -> Result<Option<BreakGlassGrant>> {
    let row: Option<GrantRow> = sqlx::query_as(&format!(
        "SELECT {GRANT_COLUMNS} FROM break_glass_grants WHERE id = ?"
    ))
    .bind(id_text(id.0))
    .fetch_optional(pool)
    .await
    .map_err(db_error)?;
    row.map(GrantRow::into_grant).transpose()
}

pub(crate) async fn active_grant(
    pool: &SqlitePool,
    actor: ActorId,
    patient: PatientId,
    now: DateTime<Utc>,
) -> Result<Option<BreakGlassGrant>> {
    // Newest grant (by id) that is active at `now`; activity is decided by
    // `BreakGlassGrant::is_active`, the rule's one definition.
    let rows: Vec<GrantRow> = sqlx::query_as(&format!(
        "SELECT {GRANT_COLUMNS} FROM break_glass_grants \
         WHERE actor_id = ? AND patient_id = ? ORDER BY id DESC"
    ))
    .bind(id_text(actor.0))
    .bind(id_text(patient.0))
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    for row in rows {
        let grant = row.into_grant()?;
        if grant.is_active(now) {
            return Ok(Some(grant));
        }
    }
    Ok(None)
}

pub(crate) async fn grants_awaiting_review(
    pool: &SqlitePool,
    limit: u32,
) -> Result<Vec<BreakGlassGrant>> {
    let rows: Vec<GrantRow> = sqlx::query_as(&format!(
        "SELECT {GRANT_COLUMNS} FROM break_glass_grants \
         WHERE reviewed_at IS NULL ORDER BY id LIMIT ?"
    ))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    rows.into_iter().map(GrantRow::into_grant).collect()
}

pub(crate) async fn merge(pool: &SqlitePool, id: MergeId) -> Result<Option<MergeRecord>> {
    let row: Option<MergeRow> =
        sqlx::query_as("SELECT record, unmerged_by, unmerged_at FROM merges WHERE id = ?")
            .bind(id_text(id.0))
            .fetch_optional(pool)
            .await
            .map_err(db_error)?;
    row.map(MergeRow::into_record).transpose()
}

pub(crate) async fn merges_for(pool: &SqlitePool, patient: PatientId) -> Result<Vec<MergeRecord>> {
    let id = id_text(patient.0);
    let rows: Vec<MergeRow> = sqlx::query_as(
        "SELECT record, unmerged_by, unmerged_at FROM merges \
         WHERE patient_id = ? OR merged_patient_id = ? ORDER BY id",
    )
    .bind(&id)
    .bind(&id)
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    rows.into_iter().map(MergeRow::into_record).collect()
}

pub(crate) async fn audit_entries(
    pool: &SqlitePool,
    query: &AuditQuery,
) -> Result<Vec<AuditEntry>> {
    let limit = query
        .limit
        .unwrap_or(AUDIT_DEFAULT_LIMIT)
        .min(AUDIT_MAX_LIMIT);
    let mut q: QueryBuilder<'_, Sqlite> = QueryBuilder::new(format!(
        "SELECT {AUDIT_COLUMNS} FROM audit_entries WHERE 1 = 1"
    ));
    if let Some(patient) = query.patient {
        q.push(" AND patient_id = ").push_bind(id_text(patient.0));
    }
    if let Some(actor) = query.actor {
        q.push(" AND actor_id = ").push_bind(id_text(actor.0));
    }
    if let Some(after) = query.after {
        q.push(" AND id > ").push_bind(id_text(after.0));
    }
    q.push(" ORDER BY id LIMIT ").push_bind(i64::from(limit));
    let rows: Vec<AuditRow> = q.build_query_as().fetch_all(pool).await.map_err(db_error)?;
    rows.into_iter().map(AuditRow::into_entry).collect()
}

pub(crate) async fn audit_heads(pool: &SqlitePool) -> Result<Vec<ChainHead>> {
    let rows: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT chain, seq, hash FROM audit_heads ORDER BY chain")
            .fetch_all(pool)
            .await
            .map_err(db_error)?;
    rows.into_iter()
        .map(|(chain, seq, hash)| {
            Ok(ChainHead {
                chain: parse_chain(&chain)?,
                seq: from_db(seq),
                hash,
            })
        })
        .collect()
}

pub(crate) async fn audit_chains(pool: &SqlitePool) -> Result<Vec<Option<PatientId>>> {
    // '' (no patient) sorts first, like `None` does.
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT patient_id FROM audit_entries UNION SELECT chain FROM audit_heads ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    rows.iter().map(|c| parse_chain(c)).collect()
}

pub(crate) async fn audit_chain(
    pool: &SqlitePool,
    chain: Option<PatientId>,
    from_seq: u64,
    limit: u32,
) -> Result<Vec<AuditEntry>> {
    let rows: Vec<AuditRow> = sqlx::query_as(&format!(
        "SELECT {AUDIT_COLUMNS} FROM audit_entries \
         WHERE patient_id = ? AND chain_seq >= ? ORDER BY chain_seq LIMIT ?"
    ))
    .bind(chain_key(chain))
    .bind(bound(from_seq))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    rows.into_iter().map(AuditRow::into_entry).collect()
}

pub(crate) async fn events_after(
    pool: &SqlitePool,
    after: u64,
    limit: u32,
) -> Result<Vec<OutboxEvent>> {
    let rows: Vec<EventRow> = sqlx::query_as(&format!(
        "SELECT {EVENT_COLUMNS} FROM outbox_events WHERE seq > ? ORDER BY seq LIMIT ?"
    ))
    .bind(bound(after))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    rows.into_iter().map(EventRow::into_event).collect()
}

pub(crate) async fn consumer_position(pool: &SqlitePool, consumer: &str) -> Result<u64> {
    let position: Option<i64> =
        sqlx::query_scalar("SELECT position FROM outbox_consumers WHERE name = ?")
            .bind(consumer)
            .fetch_optional(pool)
            .await
            .map_err(db_error)?;
    Ok(position.map_or(0, from_db))
}
