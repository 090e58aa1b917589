//! Scheduling write primitives, inside `apply`'s READ COMMITTED
//! transaction, called by core's driver in its order: versioned practitioners, resources and visit
//! types; appointments (version, then no overlap, then reminders); reminders
//! marked sent.
//!
//! The guarantees come from the database:
//!
//! - versions: `UPDATE … WHERE id = $1 AND version = $n` for practitioners,
//!   resources and visit types; an appointment's row is locked `FOR UPDATE`
//!   before its version is checked (its reminders are rewritten after);
//! - no double booking: the EXCLUDE constraints of `appointments` (see the
//!   migration). Before writing, a SELECT looks for an overlapping active
//!   appointment (this transaction's earlier writes included), which names
//!   the conflicting one in the common case. A concurrent booker that
//!   commits between that check and our write makes the write fail with
//!   SQLSTATE 23P01; the write runs under a savepoint, so the transaction
//!   is rolled back to it and fresh statements (which see the winner's
//!   commit) name the winner;
//! - reminders go out once: `UPDATE … SET sent_at WHERE sent_at IS NULL`;
//! - day limits: writers of one practitioner serialize on an advisory lock
//!   taken before the appointments are written (`lock_day_limits`), so the
//!   counts after the writes see every committed booking.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use carebase::schedule::{
    Appointment, AppointmentCount, CountQuery, DayLimitCheck, Practitioner, Resource, VisitType,
};
use carebase::store::{ReminderSent, ScheduleWrites, Versioned};
use carebase::{BookedResource, Error, Result, StorageKind};

use super::super::error::db_error;
use super::super::rows::{from_db, to_db, to_json};
use super::super::{already_exists, exec, is_unique_violation, Tx};
use crate::failure::detected;
use crate::schedule::StoredReminder;
use crate::schedule::{
    check_spans, details_json, kept_sent_at, lower_bound, split, to_u32, write_sql, APPOINTMENT,
    APPOINTMENT_COLUMNS, PRACTITIONER, PRACTITIONER_COLUMNS, REMINDER, RESOURCE, RESOURCE_COLUMNS,
    VISIT_TYPE, VISIT_TYPE_COLUMNS,
};

type Query<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// The exclusion constraints of `appointments` and the resource each guards.
const OVERLAP_CONSTRAINTS: [(&str, BookedResource); 3] = [
    (
        "appointments_practitioner_overlap",
        BookedResource::Practitioner,
    ),
    ("appointments_room_overlap", BookedResource::Room),
    ("appointments_patient_overlap", BookedResource::Patient),
];

/// The resource whose exclusion constraint `error` violated, if it is one.
fn overlap_violation(error: &sqlx::Error) -> Option<BookedResource> {
    match error {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("23P01") => OVERLAP_CONSTRAINTS
            .iter()
            .find(|(name, _)| db.constraint() == Some(*name))
            .map(|(_, resource)| *resource),
        _ => None,
    }
}

/// Runs a versioned write (`query` has the id and columns bound; an
/// update's expected version is bound here) and maps its outcome: an
/// existing id on insert is `AlreadyExists`, an update matching no row is
/// stale or not found.
async fn finish_versioned(
    conn: &mut PgConnection,
    table: &str,
    entity: &str,
    id: Uuid,
    expected: Option<u64>,
    query: Query<'_>,
) -> Result<()> {
    let query = match expected {
        Some(v) => query.bind(to_db(v)),
        None => query,
    };
    match query.execute(&mut *conn).await {
        Err(e) if is_unique_violation(&e, &format!("{table}_pkey")) => Err(already_exists(entity)),
        Err(e) => Err(db_error("finish_versioned")(e)),
        Ok(done) if done.rows_affected() == 1 => Ok(()),
        Ok(_) => Err(stale_or_missing(conn, table, entity, id, expected.unwrap_or(0)).await),
    }
}

/// After an update matched no row: a stale version or a missing record.
async fn stale_or_missing(
    conn: &mut PgConnection,
    table: &str,
    entity: &str,
    id: Uuid,
    expected: u64,
) -> Error {
    let stored: std::result::Result<Option<i64>, sqlx::Error> =
        sqlx::query_scalar(&format!("SELECT version FROM {table} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await;
    match stored {
        Ok(Some(v)) => Error::stale(entity, expected, from_db(v)),
        Ok(None) => Error::not_found(entity),
        Err(e) => db_error("stale_or_missing")(e),
    }
}

/// After an exclusion constraint refused the write: another transaction
/// committed an overlapping active appointment after our check. Fresh
/// statements (READ COMMITTED: each sees every commit before it started)
/// name it, in the usual resource order. Looked up twice, since the winner
/// may have been cancelled or moved meanwhile; when neither lookup finds
/// it, the caller should simply retry.
async fn lost_race(conn: &mut PgConnection, a: &Appointment) -> Error {
    for _ in 0..2 {
        match collision(conn, a).await {
            Ok(Some(taken)) => return taken,
            Ok(None) => {}
            Err(e) => return e,
        }
    }
    // Retryable: the store's retry runs the change set again, and then the
    // winner is found and named (double_booking).
    detected(
        "postgres",
        "write_appointment",
        StorageKind::Retryable,
        "booking lost a race; retry",
    )
}

/// The active appointment (other than `a`) that `a` would overlap, as the
/// `double_booking` error: the practitioner's and the room's blocked spans
/// first, then the patient's visit times. Of several, the smallest id (the
/// reference store's choice). Each query reads a btree range bounded below
/// by the longest span.
async fn collision(conn: &mut PgConnection, a: &Appointment) -> Result<Option<Error>> {
    let blocked = |column: &str| {
        format!(
            "SELECT id FROM appointments WHERE {column} = $1 AND active AND id <> $2 \
             AND blocked_from < $3 AND blocked_until > $4 AND blocked_from > $5"
        )
    };
    let blocked_span = [a.blocked_until, a.blocked_from, lower_bound(a.blocked_from)];
    let mut checks: Vec<(BookedResource, String, Uuid, [DateTime<Utc>; 3])> = vec![(
        BookedResource::Practitioner,
        blocked("practitioner_id"),
        a.practitioner.0,
        blocked_span,
    )];
    if let Some(room) = a.room {
        checks.push((
            BookedResource::Room,
            blocked("room_id IS NOT NULL AND room_id"),
            room.0,
            blocked_span,
        ));
    }
    checks.push((
        BookedResource::Patient,
        "SELECT id FROM appointments WHERE patient_id = $1 AND active AND id <> $2 \
         AND start_at < $3 AND end_at > $4 AND start_at > $5"
            .to_owned(),
        a.patient.0,
        [a.end, a.start, lower_bound(a.start)],
    ));
    for (resource, sql, key, [to, from, lower]) in checks {
        let found: Option<Uuid> = sqlx::query_scalar(&format!("{sql} ORDER BY id LIMIT 1"))
            .bind(key)
            .bind(a.id.0)
            .bind(to)
            .bind(from)
            .bind(lower)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_error("collision"))?;
        if let Some(other) = found {
            return Ok(Some(Error::double_booking(resource, other.into())));
        }
    }
    Ok(None)
}

/// Removes an appointment's stored reminders and returns them. The DELETE
/// locks them: a concurrent sender either committed first (its mark is
/// returned here and kept) or waits and then finds the rewritten row.
async fn take_reminders(
    conn: &mut PgConnection,
    patient: Uuid,
    appointment: Uuid,
) -> Result<Vec<StoredReminder>> {
    let rows: Vec<(i64, DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
        "DELETE FROM appointment_reminders WHERE patient_id = $1 AND appointment_id = $2 \
         RETURNING offset_minutes, due_at, sent_at",
    )
    .bind(patient)
    .bind(appointment)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error("take_reminders"))?;
    rows.into_iter()
        .map(|(offset, due, sent)| Ok((to_u32(offset, "reminder offset")?, due, sent)))
        .collect()
}

/// Stores `a`'s reminders, keeping the sent marks of `previous`.
async fn insert_reminders(
    conn: &mut PgConnection,
    a: &Appointment,
    previous: &[StoredReminder],
) -> Result<()> {
    if a.reminders.is_empty() {
        return Ok(());
    }
    let offsets: Vec<i64> = a
        .reminders
        .iter()
        .map(|r| i64::from(r.offset_minutes))
        .collect();
    let dues: Vec<DateTime<Utc>> = a.reminders.iter().map(|r| r.due_at).collect();
    let sents: Vec<Option<DateTime<Utc>>> = a
        .reminders
        .iter()
        .map(|r| kept_sent_at(previous, r.offset_minutes.get(), r.due_at, r.sent_at))
        .collect();
    sqlx::query(
        "INSERT INTO appointment_reminders (patient_id, appointment_id, offset_minutes, due_at, \
         sent_at) SELECT $1, $2, o, d, s \
         FROM UNNEST($3::bigint[], $4::timestamptz[], $5::timestamptz[]) AS r (o, d, s)",
    )
    .bind(a.patient.0)
    .bind(a.id.0)
    .bind(&offsets)
    .bind(&dues)
    .bind(&sents)
    .execute(&mut *conn)
    .await
    .map_err(db_error("insert_reminders"))?;
    Ok(())
}

/// The advisory-lock namespace (first key of the two-key form) of a
/// practitioner's day limits.
const DAY_LIMIT_LOCK: i32 = 0x6364_6c31;

#[async_trait]
impl ScheduleWrites for Tx<'_> {
    async fn write_practitioner(&mut self, write: Versioned<Practitioner>) -> Result<()> {
        let conn = &mut *self.0;
        let (p, expected) = split(write);
        let sql = write_sql(
            "practitioners",
            "id",
            &PRACTITIONER_COLUMNS,
            expected.is_some(),
            '$',
        );
        let query = sqlx::query(&sql)
            .bind(p.id.0)
            .bind(to_db(p.version.get()))
            .bind(&p.name)
            .bind(&p.time_zone)
            .bind(to_json(&p.availability, "availability")?)
            .bind(p.active)
            .bind(p.created_at)
            .bind(p.updated_at)
            .bind(
                p.fhir_extra
                    .as_ref()
                    .map(|kept| to_json(kept, "practitioner fhir_extra"))
                    .transpose()?,
            );
        finish_versioned(conn, "practitioners", PRACTITIONER, p.id.0, expected, query).await
    }

    async fn write_resource(&mut self, write: Versioned<Resource>) -> Result<()> {
        let conn = &mut *self.0;
        let (r, expected) = split(write);
        let sql = write_sql(
            "resources",
            "id",
            &RESOURCE_COLUMNS,
            expected.is_some(),
            '$',
        );
        let query = sqlx::query(&sql)
            .bind(r.id.0)
            .bind(to_db(r.version.get()))
            .bind(r.kind.as_str())
            .bind(&r.name)
            .bind(&r.time_zone)
            .bind(r.active);
        finish_versioned(conn, "resources", RESOURCE, r.id.0, expected, query).await
    }

    async fn write_visit_type(&mut self, write: Versioned<VisitType>) -> Result<()> {
        let conn = &mut *self.0;
        let (v, expected) = split(write);
        let sql = write_sql(
            "visit_types",
            "id",
            &VISIT_TYPE_COLUMNS,
            expected.is_some(),
            '$',
        );
        let query = sqlx::query(&sql)
            .bind(v.id.0)
            .bind(to_db(v.version.get()))
            .bind(&v.code)
            .bind(&v.name)
            .bind(i64::from(v.duration_minutes))
            .bind(i64::from(v.buffer_before_minutes))
            .bind(i64::from(v.buffer_after_minutes))
            .bind(i64::from(v.min_notice_minutes))
            .bind(i64::from(v.horizon_days))
            .bind(v.max_per_day.map(i64::from))
            .bind(to_json(&v.reminder_offsets_minutes, "reminder offsets")?);
        finish_versioned(conn, "visit_types", VISIT_TYPE, v.id.0, expected, query).await
    }

    /// Writes an appointment: its version (under its row lock), then (when it
    /// is active) no overlap with another active appointment, then its
    /// reminders, which keep the sent mark of every stored reminder with the
    /// same offset and due time.
    async fn write_appointment(&mut self, write: Versioned<Appointment>) -> Result<()> {
        let conn = &mut *self.0;
        let (a, expected) = split(write);
        check_spans(&a)?;
        let stored: Option<(Uuid, i64)> =
            sqlx::query_as("SELECT patient_id, version FROM appointments WHERE id = $1 FOR UPDATE")
                .bind(a.id.0)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_error("write_appointment"))?;
        let previous_patient = match (expected, stored) {
            (None, None) => None,
            (None, Some(_)) => return Err(already_exists(APPOINTMENT)),
            (Some(_), None) => return Err(Error::not_found(APPOINTMENT)),
            (Some(e), Some((_, v))) if from_db(v) != e => {
                return Err(Error::stale(APPOINTMENT, e, from_db(v)))
            }
            (Some(_), Some((patient, _))) => Some(patient),
        };
        if a.status.is_active() {
            if let Some(taken) = collision(conn, &a).await? {
                return Err(taken);
            }
        }
        let previous = match previous_patient {
            Some(patient) => take_reminders(conn, patient, a.id.0).await?,
            None => Vec::new(),
        };
        let sql = write_sql(
            "appointments",
            "id",
            &APPOINTMENT_COLUMNS,
            expected.is_some(),
            '$',
        );
        let query = sqlx::query(&sql)
            .bind(a.id.0)
            .bind(a.patient.0)
            .bind(a.practitioner.0)
            .bind(a.room.map(|r| r.0))
            .bind(a.visit_type.0)
            .bind(a.status.as_str())
            .bind(a.status.is_active())
            .bind(a.start)
            .bind(a.end)
            .bind(a.blocked_from)
            .bind(a.blocked_until)
            .bind(to_db(a.version.get()))
            .bind(a.booked_by.0)
            .bind(a.created_at)
            .bind(a.updated_at)
            .bind(details_json(&a)?);
        let query = match expected {
            Some(v) => query.bind(to_db(v)),
            None => query,
        };
        exec(conn, "SAVEPOINT carebase_appointment").await?;
        match query.execute(&mut *conn).await {
            Ok(done) if done.rows_affected() == 1 => {
                exec(conn, "RELEASE SAVEPOINT carebase_appointment").await?;
            }
            // Not reached: the row is locked and its version was checked.
            Ok(_) => {
                let id = a.id.0;
                let expected = expected.unwrap_or(0);
                return Err(
                    stale_or_missing(conn, "appointments", APPOINTMENT, id, expected).await,
                );
            }
            Err(e) if overlap_violation(&e).is_some() => {
                exec(conn, "ROLLBACK TO SAVEPOINT carebase_appointment").await?;
                return Err(lost_race(conn, &a).await);
            }
            Err(e)
                if is_unique_violation(&e, "appointments_pkey")
                    || is_unique_violation(&e, "appointments_id") =>
            {
                return Err(already_exists(APPOINTMENT));
            }
            Err(e) => return Err(db_error("write_appointment")(e)),
        }
        insert_reminders(conn, &a, &previous).await
    }

    /// Serializes writers that re-check a practitioner's per-day limits: a
    /// transaction-scoped advisory lock per practitioner, taken in id order
    /// (no deadlock between two such writers) before the appointments are
    /// written. Under READ COMMITTED the second writer's count, taken after
    /// the first committed, then sees the first's appointment.
    async fn lock_day_limits(&mut self, checks: &[DayLimitCheck]) -> Result<()> {
        let conn = &mut *self.0;
        let mut practitioners: Vec<Uuid> = checks.iter().map(|c| c.range.practitioner.0).collect();
        practitioners.sort();
        practitioners.dedup();
        for practitioner in practitioners {
            sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2::text))")
                .bind(DAY_LIMIT_LOCK)
                .bind(practitioner)
                .execute(&mut *conn)
                .await
                .map_err(db_error("lock_day_limits"))?;
        }
        Ok(())
    }

    async fn count_appointments(&mut self, query: &CountQuery) -> Result<Vec<AppointmentCount>> {
        super::appointment_counts(&mut *self.0, query).await
    }

    /// Marks one reminder sent, once: the conditional UPDATE succeeds for one
    /// of two concurrent senders; the other finds it sent.
    async fn mark_reminder_sent(&mut self, sent: ReminderSent) -> Result<()> {
        let conn = &mut *self.0;
        const OF_REMINDER: &str = "WHERE patient_id = (SELECT patient_id FROM appointments \
             WHERE id = $1) AND appointment_id = $1 AND offset_minutes = $2";
        let offset = i64::from(sent.offset_minutes);
        let update = format!(
            "UPDATE appointment_reminders SET sent_at = $3 {OF_REMINDER} AND sent_at IS NULL"
        );
        let done = sqlx::query(&update)
            .bind(sent.appointment.0)
            .bind(offset)
            .bind(sent.at)
            .execute(&mut *conn)
            .await
            .map_err(db_error("mark_reminder_sent"))?;
        if done.rows_affected() == 1 {
            return Ok(());
        }
        // Locked, so the answer holds until commit. An unsent row here was
        // rewritten by a concurrent appointment update after our UPDATE looked.
        let found: Option<Option<DateTime<Utc>>> = sqlx::query_scalar(&format!(
            "SELECT sent_at FROM appointment_reminders {OF_REMINDER} FOR UPDATE"
        ))
        .bind(sent.appointment.0)
        .bind(offset)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_error("mark_reminder_sent"))?;
        match found {
            None => Err(Error::not_found(REMINDER)),
            Some(Some(_)) => Err(Error::invalid_state(REMINDER, "already sent")),
            Some(None) => {
                sqlx::query(&update)
                    .bind(sent.appointment.0)
                    .bind(offset)
                    .bind(sent.at)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_error("mark_reminder_sent"))?;
                Ok(())
            }
        }
    }
}
