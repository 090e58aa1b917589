//! Reads. Each one is a single statement over the indexes of the schema;
//! ordering and filters follow the reference `MemoryStore` exactly.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use carebase::access::{BreakGlassGrant, CareAssignment};
use carebase::audit::{AuditEntry, AuditQuery, ChainHead};
use carebase::events::OutboxEvent;
use carebase::patient::normalize::SearchKeys;
use carebase::patient::{MergeRecord, Patient, PatientSearch};
use carebase::{ActorId, GrantId, MergeId, PatientId, PractitionerId, Result};

use super::db_error;
use super::rows::{
    bound, chain_key, from_db, parse_chain, AuditRow, CareRow, EventRow, GrantRow, MergeRow,
    PatientRow, AUDIT_COLUMNS, EVENT_COLUMNS, GRANT_COLUMNS, PATIENT_COLUMNS,
};

/// Default page of [`audit_entries`].
const AUDIT_DEFAULT_LIMIT: u32 = 100;
/// Largest page of [`audit_entries`].
const AUDIT_MAX_LIMIT: u32 = 1000;

/// Upper bound of a prefix range: under `COLLATE "C"` (byte order) every
/// string starting with `prefix` sorts below `prefix` + U+10FFFF.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

fn into_patients(rows: Vec<PatientRow>) -> Result<Vec<Patient>> {
    rows.into_iter().map(PatientRow::into_patient).collect()
}

pub(crate) async fn patient(pool: &PgPool, id: PatientId) -> Result<Option<Patient>> {
    let row: Option<PatientRow> = sqlx::query_as(&format!(
        "SELECT {PATIENT_COLUMNS} FROM patients p WHERE p.patient_id = $1"
    ))
    .bind(id.0)
    .fetch_optional(pool)
    .await
    .map_err(db_error)?;
    row.map(PatientRow::into_patient).transpose()
}

/// The statement behind [`search_patients`], with its arguments bound.
pub(crate) fn search_query(search: &PatientSearch) -> QueryBuilder<'static, Postgres> {
    let mut q = QueryBuilder::new(format!(
        "SELECT {PATIENT_COLUMNS} FROM patients p WHERE TRUE"
    ));
    for prefix in &search.name_prefixes {
        q.push(" AND p.patient_id IN (SELECT patient_id FROM patient_name_tokens WHERE token >= ")
            .push_bind(prefix.clone())
            .push(" AND token < ")
            .push_bind(prefix_end(prefix))
            .push(")");
    }
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
    if let Some(after) = search.after {
        q.push(" AND p.patient_id > ").push_bind(after.0);
    }
    q.push(" ORDER BY p.patient_id LIMIT ")
        .push_bind(i64::from(search.limit));
    q
}

pub(crate) async fn search_patients(pool: &PgPool, search: &PatientSearch) -> Result<Vec<Patient>> {
    let mut q = search_query(search);
    let rows: Vec<PatientRow> = q.build_query_as().fetch_all(pool).await.map_err(db_error)?;
    into_patients(rows)
}

pub(crate) async fn duplicate_candidates(
    pool: &PgPool,
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
        .map_err(db_error)?;
    into_patients(rows)
}

pub(crate) async fn counter(pool: &PgPool, name: &str) -> Result<u64> {
    let value: Option<i64> = sqlx::query_scalar("SELECT value FROM counters WHERE name = $1")
        .bind(name)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?;
    Ok(value.map_or(0, from_db))
}

pub(crate) async fn care_team(pool: &PgPool, patient: PatientId) -> Result<Vec<CareAssignment>> {
    let rows: Vec<CareRow> = sqlx::query_as(
        "SELECT patient_id, practitioner_id, assigned_by, assigned_at FROM care_team \
         WHERE patient_id = $1 ORDER BY practitioner_id",
    )
    .bind(patient.0)
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    Ok(rows.into_iter().map(CareRow::into_assignment).collect())
}

pub(crate) async fn is_on_care_team(
    pool: &PgPool,
    patient: PatientId,
    practitioner: PractitionerId,
) -> Result<bool> {
    let found: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM care_team WHERE patient_id = $1 AND practitioner_id = $2",
    )
    .bind(patient.0)
    .bind(practitioner.0)
    .fetch_optional(pool)
    .await
    .map_err(db_error)?;
    Ok(found.is_some())
}

pub(crate) async fn grant(pool: &PgPool, id: GrantId) -> Result<Option<BreakGlassGrant>> {
    let row: Option<GrantRow> = sqlx::query_as(&format!(
        "SELECT {GRANT_COLUMNS} FROM break_glass_grants WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(pool)
    .await
    .map_err(db_error)?;
    Ok(row.map(GrantRow::into_grant))
}

pub(crate) async fn active_grant(
    pool: &PgPool,
    actor: ActorId,
    patient: PatientId,
    now: DateTime<Utc>,
) -> Result<Option<BreakGlassGrant>> {
    // Newest grant (by id) that is active at `now`; activity is decided by
    // `BreakGlassGrant::is_active`, the rule's one definition.
    let rows: Vec<GrantRow> = sqlx::query_as(&format!(
        "SELECT {GRANT_COLUMNS} FROM break_glass_grants \
         WHERE actor_id = $1 AND patient_id = $2 ORDER BY id DESC"
    ))
    .bind(actor.0)
    .bind(patient.0)
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    Ok(rows
        .into_iter()
        .map(GrantRow::into_grant)
        .find(|g| g.is_active(now)))
}

pub(crate) async fn grants_awaiting_review(
    pool: &PgPool,
    limit: u32,
) -> Result<Vec<BreakGlassGrant>> {
    let rows: Vec<GrantRow> = sqlx::query_as(&format!(
        "SELECT {GRANT_COLUMNS} FROM break_glass_grants \
         WHERE reviewed_at IS NULL ORDER BY id LIMIT $1"
    ))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    Ok(rows.into_iter().map(GrantRow::into_grant).collect())
}

pub(crate) async fn merge(pool: &PgPool, id: MergeId) -> Result<Option<MergeRecord>> {
    let row: Option<MergeRow> =
        sqlx::query_as("SELECT record, unmerged_by, unmerged_at FROM merges WHERE id = $1")
            .bind(id.0)
            .fetch_optional(pool)
            .await
            .map_err(db_error)?;
    row.map(MergeRow::into_record).transpose()
}

pub(crate) async fn merges_for(pool: &PgPool, patient: PatientId) -> Result<Vec<MergeRecord>> {
    let rows: Vec<MergeRow> = sqlx::query_as(
        "SELECT record, unmerged_by, unmerged_at FROM merges \
         WHERE patient_id = $1 OR merged_patient_id = $1 ORDER BY id",
    )
    .bind(patient.0)
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    rows.into_iter().map(MergeRow::into_record).collect()
}

pub(crate) async fn audit_entries(pool: &PgPool, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
    let limit = query
        .limit
        .unwrap_or(AUDIT_DEFAULT_LIMIT)
        .min(AUDIT_MAX_LIMIT);
    let mut q: QueryBuilder<'_, Postgres> = QueryBuilder::new(format!(
        "SELECT {AUDIT_COLUMNS} FROM audit_entries WHERE TRUE"
    ));
    if let Some(patient) = query.patient {
        q.push(" AND patient_id = ").push_bind(patient.0);
    }
    if let Some(actor) = query.actor {
        q.push(" AND actor_id = ").push_bind(actor.0);
    }
    if let Some(after) = query.after {
        q.push(" AND id > ").push_bind(after.0);
    }
    q.push(" ORDER BY id LIMIT ").push_bind(i64::from(limit));
    let rows: Vec<AuditRow> = q.build_query_as().fetch_all(pool).await.map_err(db_error)?;
    rows.into_iter().map(AuditRow::into_entry).collect()
}

pub(crate) async fn audit_heads(pool: &PgPool) -> Result<Vec<ChainHead>> {
    // seq 0 rows are placeholders of uncommitted writers; never visible
    // committed, but filtered for safety.
    let rows: Vec<(Uuid, i64, String)> = sqlx::query_as(
        "SELECT patient_id, seq, hash FROM audit_heads WHERE seq > 0 ORDER BY patient_id",
    )
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    Ok(rows
        .into_iter()
        .map(|(chain, seq, hash)| ChainHead {
            chain: parse_chain(chain),
            seq: from_db(seq),
            hash,
        })
        .collect())
}

pub(crate) async fn audit_chains(pool: &PgPool) -> Result<Vec<Option<PatientId>>> {
    // The nil uuid (no patient) sorts first, like `None` does.
    let rows: Vec<Uuid> = sqlx::query_scalar(
        "SELECT patient_id FROM audit_entries \
         UNION SELECT patient_id FROM audit_heads WHERE seq > 0 ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    Ok(rows.into_iter().map(parse_chain).collect())
}

pub(crate) async fn audit_chain(
    pool: &PgPool,
    chain: Option<PatientId>,
    from_seq: u64,
    limit: u32,
) -> Result<Vec<AuditEntry>> {
    let rows: Vec<AuditRow> = sqlx::query_as(&format!(
        "SELECT {AUDIT_COLUMNS} FROM audit_entries \
         WHERE patient_id = $1 AND chain_seq >= $2 ORDER BY chain_seq LIMIT $3"
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
    pool: &PgPool,
    after: u64,
    limit: u32,
) -> Result<Vec<OutboxEvent>> {
    let rows: Vec<EventRow> = sqlx::query_as(&format!(
        "SELECT {EVENT_COLUMNS} FROM outbox_events WHERE seq > $1 ORDER BY seq LIMIT $2"
    ))
    .bind(bound(after))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    rows.into_iter().map(EventRow::into_event).collect()
}

pub(crate) async fn consumer_position(pool: &PgPool, consumer: &str) -> Result<u64> {
    let position: Option<i64> =
        sqlx::query_scalar("SELECT position FROM outbox_consumers WHERE name = $1")
            .bind(consumer)
            .fetch_optional(pool)
            .await
            .map_err(db_error)?;
    Ok(position.map_or(0, from_db))
}
