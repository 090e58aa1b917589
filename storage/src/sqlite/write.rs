//! `apply`: one change set, one `BEGIN IMMEDIATE` transaction. Preconditions
//! are checked inside it, in the same order as the reference `MemoryStore`;
//! any failure rolls the whole transaction back.

use sqlx::{SqliteConnection, SqlitePool};

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
use super::rows::{date_text, from_db, id_text, to_db, to_json, ts};
use super::{audit, schedule};

/// Applies `changes` atomically.
pub(crate) async fn apply(
    pool: &SqlitePool,
    changes: ChangeSet,
    key: &AuditKey,
) -> Result<Applied> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(db_error)?;
    match apply_in(&mut tx, changes, key).await {
        Ok(applied) => {
            tx.commit().await.map_err(db_error)?;
            Ok(applied)
        }
        Err(e) => {
            // The rule's error is what the caller needs; a failing rollback
            // still leaves nothing committed.
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

async fn apply_in(
    conn: &mut SqliteConnection,
    changes: ChangeSet,
    key: &AuditKey,
) -> Result<Applied> {
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
    let mut events = Vec::with_capacity(changes.events.len());
    for draft in changes.events {
        events.push(append_event(conn, draft).await?);
    }
    Ok(Applied { audit, events })
}

/// Every referenced record must exist; writers are serialized and nothing
/// deletes these records, so the answer holds until commit.
async fn check_references(conn: &mut SqliteConnection, references: &[Reference]) -> Result<()> {
    for reference in references {
        let table = match reference.kind {
            ReferenceKind::Patient => "patients",
            ReferenceKind::Practitioner => "practitioners",
            ReferenceKind::Resource => "resources",
            ReferenceKind::VisitType => "visit_types",
        };
        let found: Option<i64> = sqlx::query_scalar(&format!("SELECT 1 FROM {table} WHERE id = ?"))
            .bind(id_text(reference.id))
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

async fn write_patient(conn: &mut SqliteConnection, write: PatientWrite) -> Result<()> {
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
        Err(e) => Err(db_error(e)),
        Ok(done) if done.rows_affected() == 1 => Ok(()),
        Ok(_) => Err(stale_or_missing(conn, &patient, expected.unwrap_or(0)).await),
    }
}

/// The serialized columns of a patient row.
struct PatientJson {
    details: String,
    keys: String,
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

pub(super) fn is_unique_violation(error: &sqlx::Error, table: &str) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            db.kind() == sqlx::error::ErrorKind::UniqueViolation && db.message().contains(table)
        }
        _ => false,
    }
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
            Err(e) => return db_error(e),
        }
    }
    Error::storage("identifier uniqueness failed without a holder")
}

/// The stored columns of a patient after its id, in one order for both
/// statements below.
const PATIENT_ROW: &str =
    "version, active, merged_into, created_at, updated_at, gender, birth_date, details, search_keys";

type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

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
        Err(e) => db_error(e),
    }
}

async fn write_care_team(conn: &mut SqliteConnection, write: CareTeamWrite) -> Result<()> {
    match write {
        CareTeamWrite::Assign(a) => {
            let done = sqlx::query(
                "INSERT INTO care_team (patient_id, practitioner_id, assigned_by, assigned_at) \
                 VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(id_text(a.patient.0))
            .bind(id_text(a.practitioner.0))
            .bind(id_text(a.assigned_by.0))
            .bind(ts(&a.assigned_at))
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
                sqlx::query("DELETE FROM care_team WHERE patient_id = ? AND practitioner_id = ?")
                    .bind(id_text(patient.0))
                    .bind(id_text(practitioner.0))
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

async fn write_grant(conn: &mut SqliteConnection, write: GrantWrite) -> Result<()> {
    match write {
        GrantWrite::Insert(g) => {
            sqlx::query(
                "INSERT OR REPLACE INTO break_glass_grants (id, patient_id, actor_id, reason, \
                 granted_at, expires_at, reviewed_by, reviewed_at, review_note) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id_text(g.id.0))
            .bind(id_text(g.patient.0))
            .bind(id_text(g.actor.0))
            .bind(&g.reason)
            .bind(ts(&g.granted_at))
            .bind(ts(&g.expires_at))
            .bind(g.reviewed_by.map(|a| id_text(a.0)))
            .bind(g.reviewed_at.as_ref().map(ts))
            .bind(&g.review_note)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
        }
        GrantWrite::Review { id, by, at, note } => {
            let found: Option<Option<String>> =
                sqlx::query_scalar("SELECT reviewed_at FROM break_glass_grants WHERE id = ?")
                    .bind(id_text(id.0))
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
                "UPDATE break_glass_grants SET reviewed_by = ?, reviewed_at = ?, review_note = ? \
                 WHERE id = ?",
            )
            .bind(id_text(by.0))
            .bind(ts(&at))
            .bind(note)
            .bind(id_text(id.0))
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
        }
    }
    Ok(())
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
    .map_err(db_error)?;
    Ok(())
}

async fn write_merge(conn: &mut SqliteConnection, write: MergeWrite) -> Result<()> {
    match write {
        MergeWrite::Insert(m) => insert_merge(conn, &m).await?,
        MergeWrite::Undo { id, by, at } => {
            let found: Option<Option<String>> =
                sqlx::query_scalar("SELECT unmerged_at FROM merges WHERE id = ?")
                    .bind(id_text(id.0))
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db_error)?;
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
                .map_err(db_error)?;
        }
    }
    Ok(())
}

/// Allocates the next number of a sequence in one atomic statement.
pub(crate) async fn allocate(pool: &SqlitePool, name: &str) -> Result<u64> {
    let value: i64 = sqlx::query_scalar(
        "INSERT INTO counters (name, value) VALUES (?, 1) \
         ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
    )
    .bind(name)
    .fetch_one(pool)
    .await
    .map_err(db_error)?;
    Ok(from_db(value))
}

async fn write_ack(conn: &mut SqliteConnection, write: AckWrite) -> Result<()> {
    let current: Option<i64> =
        sqlx::query_scalar("SELECT position FROM outbox_consumers WHERE name = ?")
            .bind(&write.consumer)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_error)?;
    // Compared as u64 here, not in SQL, so huge positions keep their order.
    let position = current.map_or(0, from_db).max(write.seq);
    sqlx::query(
        "INSERT INTO outbox_consumers (name, position) VALUES (?, ?) \
         ON CONFLICT (name) DO UPDATE SET position = excluded.position",
    )
    .bind(&write.consumer)
    .bind(to_db(position))
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

async fn append_event(conn: &mut SqliteConnection, draft: EventDraft) -> Result<OutboxEvent> {
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO outbox_events (id, kind, schema_version, patient_id, payload, \
         idempotency_key, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
    )
    .bind(id_text(draft.id.0))
    .bind(&draft.kind)
    .bind(i64::from(draft.schema_version))
    .bind(draft.patient.map(|p| id_text(p.0)))
    .bind(to_json(&draft.payload, "event payload")?)
    .bind(&draft.idempotency_key)
    .bind(ts(&draft.occurred_at))
    .fetch_one(&mut *conn)
    .await
    .map_err(db_error)?;
    Ok(OutboxEvent {
        seq: from_db(seq),
        draft,
    })
}
