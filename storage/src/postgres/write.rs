//! `apply`: one change set, one READ COMMITTED transaction. The guarantees
//! come from the database, not from this process (many processes may write
//! one database):
//!
//! - identifier uniqueness: the primary key of `patient_identifiers`
//!   (a unique violation is mapped to `DuplicateIdentifier{system}` after a
//!   re-check names the system);
//! - versions: `UPDATE … WHERE patient_id = $1 AND version = $2` (0 rows:
//!   stale or missing); once-only reviews/undos lock their row `FOR UPDATE`;
//! - audit chains: see `audit.rs` (heads locked `FOR UPDATE` in chain
//!   order, entries sealed with the clinic's key after them, the primary key
//!   (patient_id, chain_seq) makes a fork impossible; checkpoints extend the
//!   newest one or conflict);
//! - outbox order: see [`append_events`];
//! - scheduling (versions, no double booking, reminders sent once): see
//!   `schedule.rs`.
//!
//! Any error rolls the whole transaction back.

use std::collections::BTreeSet;

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use carebase::audit::AuditKey;
use carebase::events::{EventDraft, OutboxEvent};
use carebase::patient::normalize::SearchKeys;
use carebase::patient::{MergeRecord, Patient};
use carebase::store::{
    AckWrite, Applied, CareTeamWrite, ChangeSet, GrantWrite, MergeWrite, PatientWrite, Reference,
    ReferenceKind,
};
use carebase::{ConflictDetail, Error, Result};

use super::db_error;
use super::rows::{from_db, to_db, to_json};
use super::{audit, schedule};

use super::OUTBOX_LOCK;

/// How many times a change set is tried when PostgreSQL aborts it to
/// resolve a deadlock or a serialization failure (40P01, 40001).
const ATTEMPTS: u32 = 5;

/// Applies `changes` atomically. A transaction PostgreSQL aborted to break
/// a deadlock or a serialization conflict wrote nothing, so it is tried
/// again, a bounded number of times with a short growing pause: two
/// bookers inserting overlapping appointments at the same instant wait on
/// each other in the exclusion constraint, and the one PostgreSQL aborts
/// should then find the winner committed and answer `double_booking`.
pub(crate) async fn apply(pool: &PgPool, changes: ChangeSet, key: &AuditKey) -> Result<Applied> {
    let mut attempt = 1;
    loop {
        match apply_once(pool, changes.clone(), key).await {
            Err(e) if e.is_retryable() && attempt < ATTEMPTS => {
                let pause = 2u64.pow(attempt) + u64::from(jitter());
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                attempt += 1;
            }
            done => return done,
        }
    }
}

/// A few milliseconds that differ between racing writers, so they do not
/// collide again in step (the random tail of a fresh UUID v7).
fn jitter() -> u8 {
    Uuid::now_v7().as_bytes()[15] % 8
}

async fn apply_once(pool: &PgPool, changes: ChangeSet, key: &AuditKey) -> Result<Applied> {
    let mut tx = pool.begin().await.map_err(db_error)?;
    match apply_in(&mut tx, changes, key).await {
        Ok(applied) => {
            tx.commit().await.map_err(db_error)?;
            Ok(applied)
        }
        Err(e) => {
            // The rule's error is what the caller needs; a failing rollback
            // (e.g. a lost connection) still leaves nothing committed.
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

async fn apply_in(conn: &mut PgConnection, changes: ChangeSet, key: &AuditKey) -> Result<Applied> {
    check_references(conn, &changes.references).await?;
    for w in changes.patients {
        write_patient(conn, w).await?;
    }
    for w in changes.care_team {
        write_care_team(conn, w).await?;
    }
    for w in changes.grants {
        write_grant(conn, w).await?;
    }
    for w in changes.merges {
        write_merge(conn, w).await?;
    }
    for w in changes.acks {
        write_ack(conn, w).await?;
    }
    for w in changes.practitioners {
        schedule::write_practitioner(conn, w).await?;
    }
    for w in changes.resources {
        schedule::write_resource(conn, w).await?;
    }
    for w in changes.visit_types {
        schedule::write_visit_type(conn, w).await?;
    }
    schedule::lock_limited_days(conn, &changes.day_limits).await?;
    for w in changes.appointments {
        schedule::write_appointment(conn, w).await?;
    }
    schedule::check_day_limits(conn, &changes.day_limits).await?;
    for sent in changes.reminders_sent {
        schedule::mark_sent(conn, sent).await?;
    }
    if let Some(w) = changes.checkpoint {
        audit::write_checkpoint(conn, w).await?;
    }
    let audit = audit::append_audit(conn, changes.audit, key).await?;
    let events = append_events(conn, changes.events).await?;
    Ok(Applied { audit, events })
}

/// Every referenced record must exist. `FOR KEY SHARE` holds each row
/// against deletion (or a key change) until this transaction ends, the
/// lock a foreign key takes, so no concurrent writer can leave the stored
/// id dangling.
async fn check_references(conn: &mut PgConnection, references: &[Reference]) -> Result<()> {
    for reference in references {
        let (table, key) = match reference.kind {
            ReferenceKind::Patient => ("patients", "patient_id"),
            ReferenceKind::Practitioner => ("practitioners", "id"),
            ReferenceKind::Resource => ("resources", "id"),
            ReferenceKind::VisitType => ("visit_types", "id"),
        };
        let sql = format!("SELECT 1 FROM {table} WHERE {key} = $1 FOR KEY SHARE");
        let found: Option<i32> = sqlx::query_scalar(&sql)
            .bind(reference.id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_error)?;
        if found.is_none() {
            return Err(reference.missing());
        }
    }
    Ok(())
}

pub(super) fn already_exists(entity: &str) -> Error {
    Error::Conflict {
        detail: ConflictDetail::AlreadyExists {
            entity: entity.to_owned(),
        },
    }
}

pub(crate) fn is_unique_violation(error: &sqlx::Error, constraint: &str) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            db.kind() == sqlx::error::ErrorKind::UniqueViolation
                && db.constraint() == Some(constraint)
        }
        _ => false,
    }
}

async fn write_patient(conn: &mut PgConnection, write: PatientWrite) -> Result<()> {
    let (patient, keys, expected) = match write {
        PatientWrite::Insert { patient, keys } => (patient, keys, None),
        PatientWrite::Update {
            patient,
            keys,
            expected_version,
        } => (patient, keys, Some(expected_version)),
    };
    let details = to_json(&patient.details, "patient details")?;
    let written = match expected {
        None => insert_patient(conn, &patient, &details).await,
        Some(v) => update_patient(conn, &patient, v, &details).await,
    };
    match written {
        Err(e) if is_unique_violation(&e, "patients_pkey") => {
            return Err(already_exists("patient"))
        }
        Err(e) => return Err(db_error(e)),
        Ok(1) => {}
        Ok(_) => return Err(stale_or_missing(conn, &patient, expected.unwrap_or(0)).await),
    }
    replace_keys(conn, &patient, &keys, expected.is_some()).await
}

/// The stored columns of a patient after its id, in one order for both
/// statements below.
const PATIENT_ROW: &str =
    "version, active, merged_into, created_at, updated_at, gender, birth_date, details";

type Query<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

fn bind_row<'q>(query: Query<'q>, p: &'q Patient, details: &'q str) -> Query<'q> {
    query
        .bind(to_db(p.version))
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
        Err(e) => db_error(e),
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
                .map_err(db_error)?;
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
            Err(e) => return Err(db_error(e)),
        }
    }
    for (table, column, values) in [
        ("patient_name_tokens", "token", &keys.name_tokens),
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
        .map_err(db_error)?;
    }
    Ok(())
}

pub(super) async fn exec(conn: &mut PgConnection, sql: &str) -> Result<()> {
    sqlx::query(sql)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
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
            Err(e) => return db_error(e),
        }
    }
    // The same identifier twice in one record.
    if let Some(system) = repeated_system(p) {
        return Error::Conflict {
            detail: ConflictDetail::DuplicateIdentifier { system },
        };
    }
    Error::storage("identifier uniqueness failed without a holder")
}

fn repeated_system(p: &Patient) -> Option<String> {
    let mut seen = BTreeSet::new();
    p.details
        .identifiers
        .iter()
        .find(|i| !seen.insert((i.system.as_str(), i.value.as_str())))
        .map(|i| i.system.clone())
}

async fn write_care_team(conn: &mut PgConnection, write: CareTeamWrite) -> Result<()> {
    match write {
        CareTeamWrite::Assign(a) => {
            let done = sqlx::query(
                "INSERT INTO care_team (patient_id, practitioner_id, assigned_by, assigned_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(a.patient.0)
            .bind(a.practitioner.0)
            .bind(a.assigned_by.0)
            .bind(a.assigned_at)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
            if done.rows_affected() == 0 {
                return Err(already_exists("care team assignment"));
            }
        }
        CareTeamWrite::Remove {
            patient,
            practitioner,
        } => {
            let done =
                sqlx::query("DELETE FROM care_team WHERE patient_id = $1 AND practitioner_id = $2")
                    .bind(patient.0)
                    .bind(practitioner.0)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_error)?;
            if done.rows_affected() == 0 {
                return Err(Error::not_found("care team assignment"));
            }
        }
    }
    Ok(())
}

async fn write_grant(conn: &mut PgConnection, write: GrantWrite) -> Result<()> {
    match write {
        GrantWrite::Insert(g) => {
            sqlx::query(
                "INSERT INTO break_glass_grants (id, patient_id, actor_id, reason, \
                 granted_at, expires_at, reviewed_by, reviewed_at, review_note) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (patient_id, id) DO UPDATE SET actor_id = EXCLUDED.actor_id, \
                 reason = EXCLUDED.reason, granted_at = EXCLUDED.granted_at, \
                 expires_at = EXCLUDED.expires_at, reviewed_by = EXCLUDED.reviewed_by, \
                 reviewed_at = EXCLUDED.reviewed_at, review_note = EXCLUDED.review_note",
            )
            .bind(g.id.0)
            .bind(g.patient.0)
            .bind(g.actor.0)
            .bind(&g.reason)
            .bind(g.granted_at)
            .bind(g.expires_at)
            .bind(g.reviewed_by.map(|a| a.0))
            .bind(g.reviewed_at)
            .bind(&g.review_note)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
        }
        GrantWrite::Review { id, by, at, note } => {
            // The row lock makes "review once" hold between concurrent reviewers.
            let found: Option<Option<chrono::DateTime<chrono::Utc>>> = sqlx::query_scalar(
                "SELECT reviewed_at FROM break_glass_grants WHERE id = $1 FOR UPDATE",
            )
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_error)?;
            match found {
                None => return Err(Error::not_found("break-glass grant")),
                Some(Some(_)) => {
                    return Err(Error::invalid_state(
                        "break-glass grant",
                        "already reviewed",
                    ))
                }
                Some(None) => {}
            }
            sqlx::query(
                "UPDATE break_glass_grants SET reviewed_by = $1, reviewed_at = $2, \
                 review_note = $3 WHERE id = $4",
            )
            .bind(by.0)
            .bind(at)
            .bind(note)
            .bind(id.0)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
        }
    }
    Ok(())
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
    .map_err(db_error)?;
    Ok(())
}

async fn write_merge(conn: &mut PgConnection, write: MergeWrite) -> Result<()> {
    match write {
        MergeWrite::Insert(m) => insert_merge(conn, &m).await?,
        MergeWrite::Undo { id, by, at } => {
            let found: Option<Option<chrono::DateTime<chrono::Utc>>> =
                sqlx::query_scalar("SELECT unmerged_at FROM merges WHERE id = $1 FOR UPDATE")
                    .bind(id.0)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db_error)?;
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
                .map_err(db_error)?;
        }
    }
    Ok(())
}

/// Allocates the next number of a sequence in one atomic statement (its own
/// transaction): concurrent callers serialize on the counter row.
pub(crate) async fn allocate(pool: &PgPool, name: &str) -> Result<u64> {
    let value: i64 = sqlx::query_scalar(
        "INSERT INTO counters (name, value) VALUES ($1, 1) \
         ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
    )
    .bind(name)
    .fetch_one(pool)
    .await
    .map_err(db_error)?;
    Ok(from_db(value))
}

async fn write_ack(conn: &mut PgConnection, write: AckWrite) -> Result<()> {
    // Make sure there is a row to lock, then lock it: concurrent acks of one
    // consumer serialize and the position never moves backward.
    sqlx::query(
        "INSERT INTO outbox_consumers (name, position) VALUES ($1, 0) ON CONFLICT DO NOTHING",
    )
    .bind(&write.consumer)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    let current: i64 =
        sqlx::query_scalar("SELECT position FROM outbox_consumers WHERE name = $1 FOR UPDATE")
            .bind(&write.consumer)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_error)?;
    // Compared as u64 here, not in SQL, so huge positions keep their order.
    let position = from_db(current).max(write.seq);
    sqlx::query("UPDATE outbox_consumers SET position = $2 WHERE name = $1")
        .bind(&write.consumer)
        .bind(to_db(position))
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Appends the events, last thing in the transaction.
///
/// Why the advisory lock: a `bigserial` value is taken when a row is
/// inserted, but becomes visible when its transaction commits. Two writers
/// could take 7 and 8 and commit 8 first; a relay polling `seq > 6` would
/// then see 8, acknowledge it, and never ask for 7 again — a lost event.
/// `pg_advisory_xact_lock(OUTBOX_LOCK)` is held from just before the insert
/// until commit (or rollback), so outbox writers take sequence numbers and
/// commit one at a time: numbers become visible in increasing order and a
/// poller never sees a gap that fills in later. Taking it at the very end
/// keeps the serialized section to one insert and the commit. (Gaps left by
/// rolled-back transactions stay gaps forever, which pollers handle.)
async fn append_events(
    conn: &mut PgConnection,
    drafts: Vec<EventDraft>,
) -> Result<Vec<OutboxEvent>> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    let mut id = Vec::with_capacity(drafts.len());
    let mut kind = Vec::with_capacity(drafts.len());
    let mut schema = Vec::with_capacity(drafts.len());
    let mut patient = Vec::with_capacity(drafts.len());
    let mut payload = Vec::with_capacity(drafts.len());
    let mut key = Vec::with_capacity(drafts.len());
    let mut occurred = Vec::with_capacity(drafts.len());
    for d in &drafts {
        id.push(d.id.0);
        kind.push(d.kind.clone());
        schema.push(
            i32::try_from(d.schema_version)
                .map_err(|_| Error::storage("event schema version out of range"))?,
        );
        patient.push(d.patient.map(|p| p.0));
        payload.push(to_json(&d.payload, "event payload")?);
        key.push(d.idempotency_key.clone());
        occurred.push(d.occurred_at);
    }
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(OUTBOX_LOCK)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    // WITH ORDINALITY + ORDER BY: sequence numbers follow the drafts' order.
    let seqs: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO outbox_events (id, kind, schema_version, patient_id, payload, \
         idempotency_key, occurred_at) \
         SELECT i, k, s, p, b, ik, o FROM UNNEST($1::uuid[], $2::text[], $3::int[], \
         $4::uuid[], $5::text[], $6::text[], $7::timestamptz[]) WITH ORDINALITY \
         AS d (i, k, s, p, b, ik, o, n) ORDER BY n RETURNING seq",
    )
    .bind(&id)
    .bind(&kind)
    .bind(&schema)
    .bind(&patient)
    .bind(&payload)
    .bind(&key)
    .bind(&occurred)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?;
    if seqs.len() != drafts.len() {
        return Err(Error::storage(
            "outbox insert returned the wrong number of rows",
        ));
    }
    let mut seqs = seqs;
    // RETURNING order is not guaranteed; the values were taken in draft order.
    seqs.sort_unstable();
    Ok(drafts
        .into_iter()
        .zip(seqs)
        .map(|(draft, seq)| OutboxEvent {
            seq: from_db(seq),
            draft,
        })
        .collect())
}
