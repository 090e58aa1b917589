//! Scheduling write primitives, inside `apply`'s `BEGIN IMMEDIATE`
//! transaction, called by core's driver in its order: versioned practitioners, resources and visit
//! types; appointments (version, then no overlap, then reminders); reminders
//! marked sent.
//!
//! No double booking, day limits: writers are serialized (the write lock
//! is taken at `BEGIN IMMEDIATE`, and within one process writers also
//! queue on the store's mutex), so nothing can commit between the overlap
//! check below and the write that follows it, nor between the writes and
//! the day-limit counts (no `lock_day_limits` hook is needed). Earlier writes of the same change set are
//! visible to the check, so a series that collides with itself fails whole.

use async_trait::async_trait;
use sqlx::sqlite::SqliteQueryResult;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use carebase::schedule::{
    Appointment, AppointmentCount, CountQuery, Practitioner, Resource, VisitType,
};
use carebase::store::{ReminderSent, ScheduleWrites, Versioned};
use carebase::{Error, Result};

use super::super::error::db_error;
use super::super::rows::{from_db, id_text, parse_id, parse_ts, to_db, to_json, ts};
use super::super::{already_exists, is_unique_violation, Tx};
use crate::schedule::StoredReminder;
use crate::schedule::{
    check_spans, details_json, kept_sent_at, lower_bound, split, to_u32, write_sql, APPOINTMENT,
    APPOINTMENT_COLUMNS, PRACTITIONER, PRACTITIONER_COLUMNS, REMINDER, RESOURCE, RESOURCE_COLUMNS,
    VISIT_TYPE, VISIT_TYPE_COLUMNS,
};

type Query<'q> = sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

/// Runs a versioned write (`query` has the id and columns bound; an
/// update's expected version is bound here) and maps its outcome: an
/// existing id on insert is `AlreadyExists`, an update matching no row is
/// stale or not found.
async fn finish_versioned(
    conn: &mut SqliteConnection,
    table: &str,
    entity: &str,
    id: &str,
    expected: Option<u64>,
    query: Query<'_>,
) -> Result<()> {
    let query = match expected {
        Some(v) => query.bind(to_db(v)),
        None => query,
    };
    let written: std::result::Result<SqliteQueryResult, sqlx::Error> =
        query.execute(&mut *conn).await;
    match written {
        Err(e) if is_unique_violation(&e, &format!("{table}.id")) => Err(already_exists(entity)),
        Err(e) => Err(db_error("finish_versioned")(e)),
        Ok(done) if done.rows_affected() == 1 => Ok(()),
        Ok(_) => Err(stale_or_missing(conn, table, entity, id, expected.unwrap_or(0)).await),
    }
}

/// After an update matched no row: a stale version or a missing record.
async fn stale_or_missing(
    conn: &mut SqliteConnection,
    table: &str,
    entity: &str,
    id: &str,
    expected: u64,
) -> Error {
    let stored: std::result::Result<Option<i64>, sqlx::Error> =
        sqlx::query_scalar(&format!("SELECT version FROM {table} WHERE id = ?"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await;
    match stored {
        Ok(Some(v)) => Error::stale(entity, expected, from_db(v)),
        Ok(None) => Error::not_found(entity),
        Err(e) => db_error("stale_or_missing")(e),
    }
}

/// The active appointment (other than `a`) that `a` would overlap, as the
/// `double_booking` error: the practitioner's and the room's blocked spans
/// first, then the patient's visit times. Of several, the smallest id (the
/// reference store's choice).
async fn collision(conn: &mut SqliteConnection, a: &Appointment) -> Result<Option<Error>> {
    let id = id_text(a.id.0);
    let blocked = |column: &str| {
        format!(
            "SELECT id FROM appointments WHERE {column} = ? AND active = 1 AND id <> ? \
             AND blocked_from < ? AND blocked_until > ? AND blocked_from > ?"
        )
    };
    let mut checks: Vec<(&str, String, String, [String; 3])> = vec![(
        "practitioner",
        blocked("practitioner_id"),
        id_text(a.practitioner.0),
        [
            ts(&a.blocked_until),
            ts(&a.blocked_from),
            ts(&lower_bound(a.blocked_from)),
        ],
    )];
    if let Some(room) = a.room {
        checks.push((
            "room",
            blocked("room_id IS NOT NULL AND room_id"),
            id_text(room.0),
            [
                ts(&a.blocked_until),
                ts(&a.blocked_from),
                ts(&lower_bound(a.blocked_from)),
            ],
        ));
    }
    checks.push((
        "patient",
        "SELECT id FROM appointments WHERE patient_id = ? AND active = 1 AND id <> ? \
         AND start_at < ? AND end_at > ? AND start_at > ?"
            .to_owned(),
        id_text(a.patient.0),
        [ts(&a.end), ts(&a.start), ts(&lower_bound(a.start))],
    ));
    for (resource, sql, key, [to, from, lower]) in checks {
        let found: Vec<String> = sqlx::query_scalar(&sql)
            .bind(key)
            .bind(&id)
            .bind(to)
            .bind(from)
            .bind(lower)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_error("collision"))?;
        if let Some(other) = found.into_iter().min() {
            let other = parse_id(&other, "appointment id")?;
            return Ok(Some(Error::double_booking(resource, other)));
        }
    }
    Ok(None)
}

/// Removes an appointment's stored reminders and returns them.
async fn take_reminders(
    conn: &mut SqliteConnection,
    patient: &str,
    appointment: &str,
) -> Result<Vec<StoredReminder>> {
    let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "DELETE FROM appointment_reminders WHERE patient_id = ? AND appointment_id = ? \
         RETURNING offset_minutes, due_at, sent_at",
    )
    .bind(patient)
    .bind(appointment)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error("take_reminders"))?;
    rows.into_iter()
        .map(|(offset, due, sent)| {
            Ok((
                to_u32(offset, "reminder offset")?,
                parse_ts(&due)?,
                sent.as_deref().map(parse_ts).transpose()?,
            ))
        })
        .collect()
}

/// Stores `a`'s reminders, keeping the sent marks of `previous`.
async fn insert_reminders(
    conn: &mut SqliteConnection,
    a: &Appointment,
    previous: &[StoredReminder],
) -> Result<()> {
    if a.reminders.is_empty() {
        return Ok(());
    }
    let (patient, id) = (id_text(a.patient.0), id_text(a.id.0));
    let mut q = QueryBuilder::<Sqlite>::new(
        "INSERT INTO appointment_reminders (patient_id, appointment_id, offset_minutes, due_at, \
         sent_at) ",
    );
    q.push_values(&a.reminders, |mut row, r| {
        let sent = kept_sent_at(previous, r.offset_minutes, r.due_at, r.sent_at);
        row.push_bind(patient.clone())
            .push_bind(id.clone())
            .push_bind(i64::from(r.offset_minutes))
            .push_bind(ts(&r.due_at))
            .push_bind(sent.as_ref().map(ts));
    });
    q.build()
        .execute(&mut *conn)
        .await
        .map_err(db_error("insert_reminders"))?;
    Ok(())
}

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
            '?',
        );
        let id = id_text(p.id.0);
        let query = sqlx::query(&sql)
            .bind(&id)
            .bind(to_db(p.version))
            .bind(&p.name)
            .bind(&p.time_zone)
            .bind(to_json(&p.availability, "availability")?)
            .bind(p.active)
            .bind(ts(&p.created_at))
            .bind(ts(&p.updated_at));
        finish_versioned(conn, "practitioners", PRACTITIONER, &id, expected, query).await
    }

    async fn write_resource(&mut self, write: Versioned<Resource>) -> Result<()> {
        let conn = &mut *self.0;
        let (r, expected) = split(write);
        let sql = write_sql(
            "resources",
            "id",
            &RESOURCE_COLUMNS,
            expected.is_some(),
            '?',
        );
        let id = id_text(r.id.0);
        let query = sqlx::query(&sql)
            .bind(&id)
            .bind(to_db(r.version))
            .bind(r.kind.as_str())
            .bind(&r.name)
            .bind(&r.time_zone)
            .bind(r.active);
        finish_versioned(conn, "resources", RESOURCE, &id, expected, query).await
    }

    async fn write_visit_type(&mut self, write: Versioned<VisitType>) -> Result<()> {
        let conn = &mut *self.0;
        let (v, expected) = split(write);
        let sql = write_sql(
            "visit_types",
            "id",
            &VISIT_TYPE_COLUMNS,
            expected.is_some(),
            '?',
        );
        let id = id_text(v.id.0);
        let query = sqlx::query(&sql)
            .bind(&id)
            .bind(to_db(v.version))
            .bind(&v.code)
            .bind(&v.name)
            .bind(i64::from(v.duration_minutes))
            .bind(i64::from(v.buffer_before_minutes))
            .bind(i64::from(v.buffer_after_minutes))
            .bind(i64::from(v.min_notice_minutes))
            .bind(i64::from(v.horizon_days))
            .bind(v.max_per_day.map(i64::from))
            .bind(to_json(&v.reminder_offsets_minutes, "reminder offsets")?);
        finish_versioned(conn, "visit_types", VISIT_TYPE, &id, expected, query).await
    }

    /// Writes an appointment: its version, then (when it is active) no overlap
    /// with another active appointment, then its reminders, which keep the sent
    /// mark of every stored reminder with the same offset and due time.
    async fn write_appointment(&mut self, write: Versioned<Appointment>) -> Result<()> {
        let conn = &mut *self.0;
        let (a, expected) = split(write);
        check_spans(&a)?;
        let id = id_text(a.id.0);
        let stored: Option<(String, i64)> =
            sqlx::query_as("SELECT patient_id, version FROM appointments WHERE id = ?")
                .bind(&id)
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
        let previous = match &previous_patient {
            Some(patient) => take_reminders(conn, patient, &id).await?,
            None => Vec::new(),
        };
        let sql = write_sql(
            "appointments",
            "id",
            &APPOINTMENT_COLUMNS,
            expected.is_some(),
            '?',
        );
        let query = sqlx::query(&sql)
            .bind(&id)
            .bind(id_text(a.patient.0))
            .bind(id_text(a.practitioner.0))
            .bind(a.room.map(|r| id_text(r.0)))
            .bind(id_text(a.visit_type.0))
            .bind(a.status.as_str())
            .bind(a.status.is_active())
            .bind(ts(&a.start))
            .bind(ts(&a.end))
            .bind(ts(&a.blocked_from))
            .bind(ts(&a.blocked_until))
            .bind(to_db(a.version))
            .bind(id_text(a.booked_by.0))
            .bind(ts(&a.created_at))
            .bind(ts(&a.updated_at))
            .bind(details_json(&a)?);
        finish_versioned(conn, "appointments", APPOINTMENT, &id, expected, query).await?;
        insert_reminders(conn, &a, &previous).await
    }

    async fn count_appointments(&mut self, query: &CountQuery) -> Result<Vec<AppointmentCount>> {
        super::appointment_counts(&mut *self.0, query).await
    }

    /// Marks one reminder sent; one already sent is a conflict.
    async fn mark_reminder_sent(&mut self, sent: ReminderSent) -> Result<()> {
        let conn = &mut *self.0;
        const OF_REMINDER: &str = "WHERE patient_id = (SELECT patient_id FROM appointments \
             WHERE id = ?1) AND appointment_id = ?1 AND offset_minutes = ?2";
        let id = id_text(sent.appointment.0);
        let done = sqlx::query(&format!(
            "UPDATE appointment_reminders SET sent_at = ?3 {OF_REMINDER} AND sent_at IS NULL"
        ))
        .bind(&id)
        .bind(i64::from(sent.offset_minutes))
        .bind(ts(&sent.at))
        .execute(&mut *conn)
        .await
        .map_err(db_error("mark_reminder_sent"))?;
        if done.rows_affected() == 1 {
            return Ok(());
        }
        let found: Option<bool> = sqlx::query_scalar(&format!(
            "SELECT sent_at IS NOT NULL FROM appointment_reminders {OF_REMINDER}"
        ))
        .bind(&id)
        .bind(i64::from(sent.offset_minutes))
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_error("mark_reminder_sent"))?;
        match found {
            None => Err(Error::not_found(REMINDER)),
            Some(_) => Err(Error::invalid_state(REMINDER, "already sent")),
        }
    }
}
