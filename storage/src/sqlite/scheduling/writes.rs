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
use rusqlite::types::Value;
use rusqlite::Connection;

use carebase::schedule::{
    Appointment, AppointmentCount, CountQuery, Practitioner, Resource, VisitType,
};
use carebase::store::{ReminderSent, ScheduleWrites, Versioned};
use carebase::{BookedResource, Error, Result};

use super::super::error::db_error;
use super::super::rows::{from_db, id_text, parse_id, parse_ts, to_db, to_json, ts};
use super::super::{
    already_exists, execute, first, is_unique_violation, opt_text, rows, text, Tx, Values,
};
use crate::schedule::StoredReminder;
use crate::schedule::{
    check_spans, details_json, kept_sent_at, lower_bound, split, to_u32, write_sql, APPOINTMENT,
    APPOINTMENT_COLUMNS, PRACTITIONER, PRACTITIONER_COLUMNS, REMINDER, RESOURCE, RESOURCE_COLUMNS,
    VISIT_TYPE, VISIT_TYPE_COLUMNS,
};

/// Runs a versioned write (`values` are the id and the columns; an
/// update's expected version is added here) and maps its outcome: an
/// existing id on insert is `AlreadyExists`, an update matching no row is
/// stale or not found.
fn finish_versioned(
    conn: &Connection,
    table: &str,
    entity: &str,
    columns: &[&str],
    expected: Option<u64>,
    mut values: Values,
) -> Result<()> {
    let sql = write_sql(table, "id", columns, expected.is_some(), '?');
    let id = match values.first() {
        Some(Value::Text(id)) => id.clone(),
        _ => String::new(),
    };
    if let Some(v) = expected {
        values.push(Value::Integer(to_db(v)));
    }
    match execute(conn, &sql, rusqlite::params_from_iter(values)) {
        Err(e) if is_unique_violation(&e, &format!("{table}.id")) => Err(already_exists(entity)),
        Err(e) => Err(db_error("finish_versioned")(e)),
        Ok(1) => Ok(()),
        Ok(_) => Err(stale_or_missing(
            conn,
            table,
            entity,
            &id,
            expected.unwrap_or(0),
        )),
    }
}

/// After an update matched no row: a stale version or a missing record.
fn stale_or_missing(
    conn: &Connection,
    table: &str,
    entity: &str,
    id: &str,
    expected: u64,
) -> Error {
    let stored = first(
        conn,
        "stale_or_missing",
        &format!("SELECT version FROM {table} WHERE id = ?"),
        [id],
        |r| r.get::<_, i64>(0),
    );
    match stored {
        Ok(Some(v)) => Error::stale(entity, expected, from_db(v)),
        Ok(None) => Error::not_found(entity),
        Err(e) => e,
    }
}

/// The active appointment (other than `a`) that `a` would overlap, as the
/// `double_booking` error: the practitioner's and the room's blocked spans
/// first, then the patient's visit times. Of several, the smallest id (the
/// reference store's choice).
fn collision(conn: &Connection, a: &Appointment) -> Result<Option<Error>> {
    let id = id_text(a.id.0);
    let blocked = |column: &str| {
        format!(
            "SELECT id FROM appointments WHERE {column} = ? AND active = 1 AND id <> ? \
             AND blocked_from < ? AND blocked_until > ? AND blocked_from > ?"
        )
    };
    let mut checks: Vec<(BookedResource, String, String, [String; 3])> = vec![(
        BookedResource::Practitioner,
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
            BookedResource::Room,
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
        BookedResource::Patient,
        "SELECT id FROM appointments WHERE patient_id = ? AND active = 1 AND id <> ? \
         AND start_at < ? AND end_at > ? AND start_at > ?"
            .to_owned(),
        id_text(a.patient.0),
        [ts(&a.end), ts(&a.start), ts(&lower_bound(a.start))],
    ));
    for (resource, sql, key, [to, from, lower]) in checks {
        let found = rows(
            conn,
            "collision",
            &sql,
            [&key, &id, &to, &from, &lower],
            |r| r.get::<_, String>(0),
        )?;
        if let Some(other) = found.into_iter().min() {
            let other = parse_id(&other, "appointment id")?;
            return Ok(Some(Error::double_booking(resource, other)));
        }
    }
    Ok(None)
}

/// Removes an appointment's stored reminders and returns them.
fn take_reminders(
    conn: &Connection,
    patient: &str,
    appointment: &str,
) -> Result<Vec<StoredReminder>> {
    rows(
        conn,
        "take_reminders",
        "DELETE FROM appointment_reminders WHERE patient_id = ? AND appointment_id = ? \
         RETURNING offset_minutes, due_at, sent_at",
        [patient, appointment],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        },
    )?
    .into_iter()
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
fn insert_reminders(conn: &Connection, a: &Appointment, previous: &[StoredReminder]) -> Result<()> {
    if a.reminders.is_empty() {
        return Ok(());
    }
    let (patient, id) = (id_text(a.patient.0), id_text(a.id.0));
    let mut params: Values = Vec::with_capacity(a.reminders.len() * 5);
    for r in &a.reminders {
        let sent = kept_sent_at(previous, r.offset_minutes.get(), r.due_at, r.sent_at);
        params.extend([
            text(patient.clone()),
            text(id.clone()),
            Value::Integer(i64::from(r.offset_minutes)),
            text(ts(&r.due_at)),
            opt_text(sent.as_ref().map(ts)),
        ]);
    }
    let sql = format!(
        "INSERT INTO appointment_reminders (patient_id, appointment_id, offset_minutes, due_at, \
         sent_at) VALUES {}",
        vec!["(?, ?, ?, ?, ?)"; a.reminders.len()].join(", ")
    );
    execute(conn, &sql, rusqlite::params_from_iter(params))
        .map_err(db_error("insert_reminders"))?;
    Ok(())
}

fn boolean(value: bool) -> Value {
    Value::Integer(i64::from(value))
}

#[async_trait]
impl ScheduleWrites for Tx<'_> {
    async fn write_practitioner(&mut self, write: Versioned<Practitioner>) -> Result<()> {
        let (p, expected) = split(write);
        let values = vec![
            text(id_text(p.id.0)),
            Value::Integer(to_db(p.version.get())),
            text(p.name),
            text(p.time_zone),
            text(to_json(&p.availability, "availability")?),
            boolean(p.active),
            text(ts(&p.created_at)),
            text(ts(&p.updated_at)),
            match &p.fhir_extra {
                Some(kept) => text(to_json(kept, "practitioner fhir_extra")?),
                None => Value::Null,
            },
        ];
        finish_versioned(
            self.0,
            "practitioners",
            PRACTITIONER,
            &PRACTITIONER_COLUMNS,
            expected,
            values,
        )
    }

    async fn write_resource(&mut self, write: Versioned<Resource>) -> Result<()> {
        let (r, expected) = split(write);
        let values = vec![
            text(id_text(r.id.0)),
            Value::Integer(to_db(r.version.get())),
            text(r.kind.as_str()),
            text(r.name),
            text(r.time_zone),
            boolean(r.active),
        ];
        finish_versioned(
            self.0,
            "resources",
            RESOURCE,
            &RESOURCE_COLUMNS,
            expected,
            values,
        )
    }

    async fn write_visit_type(&mut self, write: Versioned<VisitType>) -> Result<()> {
        let (v, expected) = split(write);
        let values = vec![
            text(id_text(v.id.0)),
            Value::Integer(to_db(v.version.get())),
            text(v.code.clone()),
            text(v.name.clone()),
            Value::Integer(i64::from(v.duration_minutes)),
            Value::Integer(i64::from(v.buffer_before_minutes)),
            Value::Integer(i64::from(v.buffer_after_minutes)),
            Value::Integer(i64::from(v.min_notice_minutes)),
            Value::Integer(i64::from(v.horizon_days)),
            v.max_per_day
                .map_or(Value::Null, |m| Value::Integer(i64::from(m))),
            text(to_json(&v.reminder_offsets_minutes, "reminder offsets")?),
        ];
        finish_versioned(
            self.0,
            "visit_types",
            VISIT_TYPE,
            &VISIT_TYPE_COLUMNS,
            expected,
            values,
        )
    }

    /// Writes an appointment: its version, then (when it is active) no overlap
    /// with another active appointment, then its reminders, which keep the sent
    /// mark of every stored reminder with the same offset and due time.
    async fn write_appointment(&mut self, write: Versioned<Appointment>) -> Result<()> {
        let conn = &*self.0;
        let (a, expected) = split(write);
        check_spans(&a)?;
        let id = id_text(a.id.0);
        let stored = first(
            conn,
            "write_appointment",
            "SELECT patient_id, version FROM appointments WHERE id = ?",
            [&id],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )?;
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
            if let Some(taken) = collision(conn, &a)? {
                return Err(taken);
            }
        }
        let previous = match &previous_patient {
            Some(patient) => take_reminders(conn, patient, &id)?,
            None => Vec::new(),
        };
        let values = vec![
            text(id.clone()),
            text(id_text(a.patient.0)),
            text(id_text(a.practitioner.0)),
            opt_text(a.room.map(|r| id_text(r.0))),
            text(id_text(a.visit_type.0)),
            text(a.status.as_str()),
            boolean(a.status.is_active()),
            text(ts(&a.start)),
            text(ts(&a.end)),
            text(ts(&a.blocked_from)),
            text(ts(&a.blocked_until)),
            Value::Integer(to_db(a.version.get())),
            text(id_text(a.booked_by.0)),
            text(ts(&a.created_at)),
            text(ts(&a.updated_at)),
            text(details_json(&a)?),
        ];
        finish_versioned(
            conn,
            "appointments",
            APPOINTMENT,
            &APPOINTMENT_COLUMNS,
            expected,
            values,
        )?;
        insert_reminders(conn, &a, &previous)
    }

    async fn count_appointments(&mut self, query: &CountQuery) -> Result<Vec<AppointmentCount>> {
        super::appointment_counts(self.0, query)
    }

    /// Marks one reminder sent; one already sent is a conflict.
    async fn mark_reminder_sent(&mut self, sent: ReminderSent) -> Result<()> {
        let conn = &*self.0;
        const OF_REMINDER: &str = "WHERE patient_id = (SELECT patient_id FROM appointments \
             WHERE id = ?1) AND appointment_id = ?1 AND offset_minutes = ?2";
        let id = id_text(sent.appointment.0);
        let done = execute(
            conn,
            &format!(
                "UPDATE appointment_reminders SET sent_at = ?3 {OF_REMINDER} AND sent_at IS NULL"
            ),
            rusqlite::params![id, i64::from(sent.offset_minutes), ts(&sent.at)],
        )
        .map_err(db_error("mark_reminder_sent"))?;
        if done == 1 {
            return Ok(());
        }
        let found = first(
            conn,
            "mark_reminder_sent",
            &format!("SELECT sent_at IS NOT NULL FROM appointment_reminders {OF_REMINDER}"),
            rusqlite::params![id, i64::from(sent.offset_minutes)],
            |r| r.get::<_, bool>(0),
        )?;
        match found {
            None => Err(Error::not_found(REMINDER)),
            Some(_) => Err(Error::invalid_state(REMINDER, "already sent")),
        }
    }
}
