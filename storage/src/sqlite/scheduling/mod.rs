//! The schedule in SQLite. Reads (here) are single statements over the
//! scheduling indexes, with the reference `MemoryStore`'s filters and
//! order; writes are in `writes.rs`.

mod writes;

use async_trait::async_trait;
use carebase::{Count32, Count64};
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::Connection;

use carebase::schedule::{
    Appointment, AppointmentCount, AppointmentQuery, AppointmentStatus, Availability, BusyQuery,
    BusySpan, CountQuery, DueReminder, Practitioner, Reminder, Resource, VisitType,
};
use carebase::store::ScheduleStore;
use carebase::{AppointmentId, PractitionerId, ResourceId, Result, VisitTypeId};

use super::rows::{
    corrupt, from_db, from_json, id_text, parse_id, parse_opt_id, parse_ts, to_json, ts,
};
use super::{first, rows, text, SqliteStore, Values};
use crate::schedule::{lower_bound, parse_details, parse_kind, to_u32};

/// Default page of [`appointments`].
const APPOINTMENTS_DEFAULT_LIMIT: u32 = 100;

/// A `practitioners` row.
struct PractitionerRow {
    id: String,
    version: i64,
    name: String,
    time_zone: String,
    availability: String,
    active: bool,
    created_at: String,
    updated_at: String,
    fhir_extra: Option<String>,
}

super::rows::from_row!(PractitionerRow {
    id,
    version,
    name,
    time_zone,
    availability,
    active,
    created_at,
    updated_at,
    fhir_extra
});

impl PractitionerRow {
    fn into_practitioner(self) -> Result<Practitioner> {
        Ok(Practitioner {
            id: parse_id(&self.id, "practitioner id")?,
            version: Count64::new(from_db(self.version)),
            name: self.name,
            time_zone: self.time_zone,
            availability: from_json(&self.availability, "availability")?,
            active: self.active,
            created_at: parse_ts(&self.created_at)?,
            updated_at: parse_ts(&self.updated_at)?,
            fhir_extra: self
                .fhir_extra
                .map(|kept| from_json(&kept, "practitioner fhir_extra"))
                .transpose()?,
        })
    }
}

/// A `resources` row.
struct ResourceRow {
    id: String,
    version: i64,
    kind: String,
    name: String,
    time_zone: String,
    active: bool,
}

super::rows::from_row!(ResourceRow {
    id,
    version,
    kind,
    name,
    time_zone,
    active
});

impl ResourceRow {
    fn into_resource(self) -> Result<Resource> {
        Ok(Resource {
            id: parse_id(&self.id, "resource id")?,
            version: Count64::new(from_db(self.version)),
            kind: parse_kind(&self.kind)?,
            name: self.name,
            time_zone: self.time_zone,
            active: self.active,
        })
    }
}

/// A `visit_types` row.
struct VisitTypeRow {
    id: String,
    version: i64,
    code: String,
    name: String,
    duration_minutes: i64,
    buffer_before_minutes: i64,
    buffer_after_minutes: i64,
    min_notice_minutes: i64,
    horizon_days: i64,
    max_per_day: Option<i64>,
    reminder_offsets_minutes: String,
}

super::rows::from_row!(VisitTypeRow {
    id,
    version,
    code,
    name,
    duration_minutes,
    buffer_before_minutes,
    buffer_after_minutes,
    min_notice_minutes,
    horizon_days,
    max_per_day,
    reminder_offsets_minutes
});

impl VisitTypeRow {
    fn into_visit_type(self) -> Result<VisitType> {
        Ok(VisitType {
            id: parse_id(&self.id, "visit type id")?,
            version: Count64::new(from_db(self.version)),
            code: self.code,
            name: self.name,
            duration_minutes: Count32::new(to_u32(self.duration_minutes, "visit duration")?),
            buffer_before_minutes: Count32::new(to_u32(
                self.buffer_before_minutes,
                "visit buffer",
            )?),
            buffer_after_minutes: Count32::new(to_u32(self.buffer_after_minutes, "visit buffer")?),
            min_notice_minutes: Count32::new(to_u32(self.min_notice_minutes, "visit notice")?),
            horizon_days: Count32::new(to_u32(self.horizon_days, "visit horizon")?),
            max_per_day: (self
                .max_per_day
                .map(|m| to_u32(m, "visit limit"))
                .transpose()?)
            .map(Count32::new),
            reminder_offsets_minutes: from_json(
                &self.reminder_offsets_minutes,
                "reminder offsets",
            )?,
        })
    }
}

/// Columns selected for an appointment (see [`AppointmentRow`]): the row
/// and its reminders as one JSON array of `[offset, due_at, sent_at]`.
const APPOINTMENT_COLUMNS: &str = "a.id, a.patient_id, a.practitioner_id, a.room_id, \
     a.visit_type_id, a.status, a.start_at, a.end_at, a.blocked_from, a.blocked_until, \
     a.version, a.booked_by, a.created_at, a.updated_at, a.details, \
     (SELECT json_group_array(json_array(r.offset_minutes, r.due_at, r.sent_at)) \
      FROM appointment_reminders r \
      WHERE r.patient_id = a.patient_id AND r.appointment_id = a.id) AS reminders";

/// An `appointments` row with its reminders.
struct AppointmentRow {
    id: String,
    patient_id: String,
    practitioner_id: String,
    room_id: Option<String>,
    visit_type_id: String,
    status: String,
    start_at: String,
    end_at: String,
    blocked_from: String,
    blocked_until: String,
    version: i64,
    booked_by: String,
    created_at: String,
    updated_at: String,
    details: String,
    reminders: String,
}

super::rows::from_row!(AppointmentRow {
    id,
    patient_id,
    practitioner_id,
    room_id,
    visit_type_id,
    status,
    start_at,
    end_at,
    blocked_from,
    blocked_until,
    version,
    booked_by,
    created_at,
    updated_at,
    details,
    reminders
});

impl AppointmentRow {
    fn into_appointment(self) -> Result<Appointment> {
        let details = parse_details(&self.details)?;
        let stored: Vec<(i64, String, Option<String>)> =
            from_json(&self.reminders, "appointment reminders")?;
        let mut reminders = stored
            .into_iter()
            .map(|(offset, due, sent)| {
                Ok(Reminder {
                    offset_minutes: Count32::new(to_u32(offset, "reminder offset")?),
                    due_at: parse_ts(&due)?,
                    sent_at: sent.as_deref().map(parse_ts).transpose()?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        reminders.sort_by_key(|r| (r.due_at, r.offset_minutes));
        Ok(Appointment {
            id: parse_id(&self.id, "appointment id")?,
            version: Count64::new(from_db(self.version)),
            patient: parse_id(&self.patient_id, "patient id")?,
            practitioner: parse_id(&self.practitioner_id, "practitioner id")?,
            room: parse_opt_id(self.room_id.as_deref(), "resource id")?,
            visit_type: parse_id(&self.visit_type_id, "visit type id")?,
            status: AppointmentStatus::parse(&self.status)
                .ok_or_else(|| corrupt("appointment status"))?,
            start: parse_ts(&self.start_at)?,
            end: parse_ts(&self.end_at)?,
            blocked_from: parse_ts(&self.blocked_from)?,
            blocked_until: parse_ts(&self.blocked_until)?,
            series: details.series,
            cancellation: details.cancellation,
            reschedules: details.reschedules,
            reminders,
            note: details.note,
            fhir_extra: details.fhir_extra,
            encounter: details.encounter,
            booked_by: parse_id(&self.booked_by, "actor id")?,
            created_at: parse_ts(&self.created_at)?,
            updated_at: parse_ts(&self.updated_at)?,
        })
    }
}

/// Columns selected for a busy span (see [`span_of`]).
const SPAN_COLUMNS: &str = "id, patient_id, practitioner_id, room_id, visit_type_id, \
     start_at, end_at, blocked_from, blocked_until";

/// The busy-span columns of an `appointments` row, borrowed from the JSON
/// result.
type SpanFields<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
);

fn span_of(fields: SpanFields<'_>) -> Result<BusySpan> {
    let (id, patient, practitioner, room, visit_type, start, end, from, until) = fields;
    Ok(BusySpan {
        appointment: parse_id(id, "appointment id")?,
        patient: parse_id(patient, "patient id")?,
        practitioner: parse_id(practitioner, "practitioner id")?,
        room: parse_opt_id(room, "resource id")?,
        visit_type: parse_id(visit_type, "visit type id")?,
        start: parse_ts(start)?,
        end: parse_ts(end)?,
        blocked_from: parse_ts(from)?,
        blocked_until: parse_ts(until)?,
    })
}

/// Active appointments per range, counted from the
/// `appointments_practitioner_active_start` index (covering): one statement for all
/// ranges, a row per range in the query's order.
pub(super) fn appointment_counts(
    conn: &Connection,
    query: &CountQuery,
) -> Result<Vec<AppointmentCount>> {
    if query.ranges.is_empty() {
        return Ok(Vec::new());
    }
    let ranges: Vec<(String, String, String)> = query
        .ranges
        .iter()
        .map(|r| (id_text(r.practitioner.0), ts(&r.from), ts(&r.to)))
        .collect();
    rows(
        conn,
        "appointment_counts",
        "SELECT COUNT(a.start_at), COALESCE(SUM(a.visit_type_id = ?), 0) \
         FROM json_each(?) r \
         LEFT JOIN appointments a ON a.active = 1 \
         AND a.practitioner_id = json_extract(r.value, '$[0]') \
         AND a.start_at >= json_extract(r.value, '$[1]') \
         AND a.start_at < json_extract(r.value, '$[2]') \
         GROUP BY r.key ORDER BY r.key",
        [
            id_text(query.visit_type.0),
            to_json(&ranges, "count query ranges")?,
        ],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
    )?
    .into_iter()
    .map(|(all, of_visit_type)| {
        Ok(AppointmentCount {
            all: to_u32(all, "appointment count")?,
            of_visit_type: to_u32(of_visit_type, "appointment count")?,
        })
    })
    .collect()
}

/// One JSON value a statement returns.
fn json_of(
    conn: &Connection,
    operation: &'static str,
    sql: &str,
    params: Values,
) -> Result<String> {
    let json = first(
        conn,
        operation,
        sql,
        rusqlite::params_from_iter(params),
        |r| r.get::<_, String>(0),
    )?;
    json.ok_or_else(|| corrupt("json result"))
}

const PRACTITIONER_SELECT: &str = "SELECT id, version, name, time_zone, availability, active, \
     created_at, updated_at, fhir_extra FROM practitioners";
const RESOURCE_SELECT: &str = "SELECT id, version, kind, name, time_zone, active FROM resources";
const VISIT_TYPE_SELECT: &str = "SELECT id, version, code, name, duration_minutes, \
     buffer_before_minutes, buffer_after_minutes, min_notice_minutes, horizon_days, max_per_day, \
     reminder_offsets_minutes FROM visit_types";

#[async_trait]
impl ScheduleStore for SqliteStore {
    async fn practitioner(&self, id: PractitionerId) -> Result<Option<Practitioner>> {
        self.read("practitioner", |conn| {
            first(
                conn,
                "practitioner",
                &format!("{PRACTITIONER_SELECT} WHERE id = ?"),
                [id_text(id.0)],
                PractitionerRow::from_row,
            )?
            .map(PractitionerRow::into_practitioner)
            .transpose()
        })
    }

    /// Every practitioner, by id: from `cache` while every stored version is
    /// the cached one, else as ONE JSON value with the availability
    /// documents nested.
    async fn practitioners(&self) -> Result<Vec<Practitioner>> {
        let cache = &self.practitioners;
        self.read("practitioners", |conn| {
            let json = json_of(
                conn,
                "practitioners",
                "SELECT json_group_array(json_array(id, version) ORDER BY id) FROM practitioners",
                Vec::new(),
            )?;
            let stored: Vec<(&str, i64)> =
                serde_json::from_str(&json).map_err(|_| corrupt("practitioner versions"))?;
            let versions = stored
                .into_iter()
                .map(|(id, version)| Ok((parse_id(id, "practitioner id")?, from_db(version))))
                .collect::<Result<Vec<_>>>()?;
            if let Some(cached) = cache.lookup(&versions) {
                return Ok(cached);
            }
            type Fields<'a> = (
                &'a str,
                i64,
                String,
                String,
                Availability,
                i64,
                &'a str,
                &'a str,
                Option<serde_json::Value>,
            );
            let json = json_of(
                conn,
                "practitioners",
                "SELECT json_group_array(json_array(id, version, name, time_zone, json(availability), \
                 active, created_at, updated_at, json(fhir_extra)) ORDER BY id) FROM practitioners",
                Vec::new(),
            )?;
            let rows: Vec<Fields<'_>> =
                serde_json::from_str(&json).map_err(|_| corrupt("practitioners"))?;
            let all = rows
                .into_iter()
                .map(
                    |(
                        id,
                        version,
                        name,
                        time_zone,
                        availability,
                        active,
                        created_at,
                        updated_at,
                        fhir_extra,
                    )| {
                        Ok(Practitioner {
                            id: parse_id(id, "practitioner id")?,
                            version: Count64::new(from_db(version)),
                            name,
                            time_zone,
                            availability,
                            active: active != 0,
                            created_at: parse_ts(created_at)?,
                            updated_at: parse_ts(updated_at)?,
                            fhir_extra,
                        })
                    },
                )
                .collect::<Result<Vec<_>>>()?;
            cache.remember(&all);
            Ok(all)
        })
    }

    async fn resource(&self, id: ResourceId) -> Result<Option<Resource>> {
        self.read("resource", |conn| {
            first(
                conn,
                "resource",
                &format!("{RESOURCE_SELECT} WHERE id = ?"),
                [id_text(id.0)],
                ResourceRow::from_row,
            )?
            .map(ResourceRow::into_resource)
            .transpose()
        })
    }

    async fn resources(&self) -> Result<Vec<Resource>> {
        self.read("resources", |conn| {
            rows(
                conn,
                "resources",
                &format!("{RESOURCE_SELECT} ORDER BY id"),
                [],
                ResourceRow::from_row,
            )?
            .into_iter()
            .map(ResourceRow::into_resource)
            .collect()
        })
    }

    async fn visit_type(&self, id: VisitTypeId) -> Result<Option<VisitType>> {
        self.read("visit_type", |conn| {
            first(
                conn,
                "visit_type",
                &format!("{VISIT_TYPE_SELECT} WHERE id = ?"),
                [id_text(id.0)],
                VisitTypeRow::from_row,
            )?
            .map(VisitTypeRow::into_visit_type)
            .transpose()
        })
    }

    async fn visit_types(&self) -> Result<Vec<VisitType>> {
        self.read("visit_types", |conn| {
            rows(
                conn,
                "visit_types",
                &format!("{VISIT_TYPE_SELECT} ORDER BY id"),
                [],
                VisitTypeRow::from_row,
            )?
            .into_iter()
            .map(VisitTypeRow::into_visit_type)
            .collect()
        })
    }

    async fn appointment(&self, id: AppointmentId) -> Result<Option<Appointment>> {
        self.read("appointment", |conn| {
            first(
                conn,
                "appointment",
                &format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments a WHERE a.id = ?"),
                [id_text(id.0)],
                AppointmentRow::from_row,
            )?
            .map(AppointmentRow::into_appointment)
            .transpose()
        })
    }

    async fn appointments(&self, query: &AppointmentQuery) -> Result<Vec<Appointment>> {
        let mut sql = format!(
            "SELECT {APPOINTMENT_COLUMNS} FROM appointments a WHERE a.start_at >= ? AND a.start_at < ?"
        );
        let mut params: Values = vec![text(ts(&query.from)), text(ts(&query.to))];
        if let Some(patient) = query.patient {
            sql.push_str(" AND a.patient_id = ?");
            params.push(text(id_text(patient.0)));
        }
        if let Some(practitioner) = query.practitioner {
            sql.push_str(" AND a.practitioner_id = ?");
            params.push(text(id_text(practitioner.0)));
        }
        if !query.include_inactive {
            sql.push_str(" AND a.active = 1");
        }
        sql.push_str(" ORDER BY a.start_at, a.id LIMIT ?");
        params.push(Value::Integer(i64::from(
            query
                .limit
                .unwrap_or(Count32::new(APPOINTMENTS_DEFAULT_LIMIT)),
        )));
        self.read("appointments", |conn| {
            rows(
                conn,
                "appointments",
                &sql,
                rusqlite::params_from_iter(params),
                AppointmentRow::from_row,
            )?
            .into_iter()
            .map(AppointmentRow::into_appointment)
            .collect()
        })
    }

    /// Active appointments whose practitioner or room is asked for and whose
    /// blocked span overlaps `[from, to)`, and those whose patient is asked for
    /// and whose visit overlaps it; each arm reads an index range bounded
    /// below by the longest span. The spans come back as ONE JSON value
    /// (one value to copy out of SQLite instead of hundreds).
    async fn busy(&self, query: &BusyQuery) -> Result<Vec<BusySpan>> {
        let arms: [(&str, &str, Vec<String>); 3] = [
            (
                "practitioner_id",
                "blocked",
                query.practitioners.iter().map(|p| id_text(p.0)).collect(),
            ),
            (
                "room_id",
                "blocked",
                query.rooms.iter().map(|r| id_text(r.0)).collect(),
            ),
            (
                "patient_id",
                "visit",
                query.patients.iter().map(|p| id_text(p.0)).collect(),
            ),
        ];
        let mut sql = format!(
            "SELECT json_group_array(json_array({SPAN_COLUMNS}) \
                ORDER BY blocked_from, id) FROM ("
        );
        let mut params: Values = Vec::new();
        let mut first_arm = true;
        for (column, span, list) in arms {
            if list.is_empty() {
                continue;
            }
            let (start, end) = if span == "blocked" {
                ("blocked_from", "blocked_until")
            } else {
                ("start_at", "end_at")
            };
            if !first_arm {
                sql.push_str(" UNION ");
            }
            first_arm = false;
            sql.push_str(&format!(
                "SELECT {SPAN_COLUMNS} FROM appointments WHERE active = 1 AND {column} IN \
                 (SELECT value FROM json_each(?)) AND {start} < ? AND {end} > ? AND {start} > ?"
            ));
            params.extend([
                text(to_json(&list, "busy query ids")?),
                text(ts(&query.to)),
                text(ts(&query.from)),
                text(ts(&lower_bound(query.from))),
            ]);
        }
        if first_arm {
            return Ok(Vec::new());
        }
        sql.push(')');
        self.read("busy", |conn| {
            let json = json_of(conn, "busy", &sql, params)?;
            let spans: Vec<SpanFields<'_>> =
                serde_json::from_str(&json).map_err(|_| corrupt("busy spans"))?;
            spans.into_iter().map(span_of).collect()
        })
    }

    async fn appointment_counts(&self, query: &CountQuery) -> Result<Vec<AppointmentCount>> {
        self.read("appointment_counts", |conn| appointment_counts(conn, query))
    }

    async fn due_reminders(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueReminder>> {
        self.read("due_reminders", |conn| {
            rows(
                conn,
                "due_reminders",
                "SELECT r.appointment_id, a.patient_id, a.practitioner_id, a.start_at, \
                 r.offset_minutes, r.due_at \
                 FROM appointment_reminders r JOIN appointments a ON a.id = r.appointment_id \
                 WHERE r.sent_at IS NULL AND r.due_at >= ? AND r.due_at < ? AND a.active = 1 \
                 ORDER BY r.due_at, r.appointment_id, r.offset_minutes LIMIT ?",
                rusqlite::params![ts(&from), ts(&to), i64::from(limit)],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                },
            )?
            .into_iter()
            .map(|(appointment, patient, practitioner, start, offset, due)| {
                Ok(DueReminder {
                    appointment: parse_id(&appointment, "appointment id")?,
                    patient: parse_id(&patient, "patient id")?,
                    practitioner: parse_id(&practitioner, "practitioner id")?,
                    start: parse_ts(&start)?,
                    offset_minutes: Count32::new(to_u32(offset, "reminder offset")?),
                    due_at: parse_ts(&due)?,
                })
            })
            .collect()
        })
    }
}
