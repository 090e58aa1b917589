//! The schedule in PostgreSQL. Reads (here) are single statements over
//! the scheduling indexes, with the reference `MemoryStore`'s filters and
//! order; writes are in `writes.rs`.

mod writes;

use async_trait::async_trait;
use carebase::{Count32, Count64};
use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use carebase::schedule::{
    Appointment, AppointmentCount, AppointmentQuery, AppointmentStatus, BusyQuery, BusySpan,
    CountQuery, DueReminder, Practitioner, Reminder, Resource, VisitType,
};
use carebase::store::ScheduleStore;
use carebase::{AppointmentId, PractitionerId, ResourceId, Result, VisitTypeId};

use super::error::db_error;
use super::rows::{corrupt, from_db, from_json};
use super::PostgresStore;
use crate::schedule::{lower_bound, parse_details, parse_kind, to_u32};

/// Default page of [`appointments`].
const APPOINTMENTS_DEFAULT_LIMIT: u32 = 100;

/// A `practitioners` row.
#[derive(sqlx::FromRow)]
struct PractitionerRow {
    id: Uuid,
    version: i64,
    name: String,
    time_zone: String,
    availability: String,
    active: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    fhir_extra: Option<String>,
}

impl PractitionerRow {
    fn into_practitioner(self) -> Result<Practitioner> {
        Ok(Practitioner {
            id: self.id.into(),
            version: Count64::new(from_db(self.version)),
            name: self.name,
            time_zone: self.time_zone,
            availability: from_json(&self.availability, "availability")?,
            active: self.active,
            created_at: self.created_at,
            updated_at: self.updated_at,
            fhir_extra: self
                .fhir_extra
                .map(|kept| from_json(&kept, "practitioner fhir_extra"))
                .transpose()?,
        })
    }
}

/// A `resources` row.
#[derive(sqlx::FromRow)]
struct ResourceRow {
    id: Uuid,
    version: i64,
    kind: String,
    name: String,
    time_zone: String,
    active: bool,
}

impl ResourceRow {
    fn into_resource(self) -> Result<Resource> {
        Ok(Resource {
            id: self.id.into(),
            version: Count64::new(from_db(self.version)),
            kind: parse_kind(&self.kind)?,
            name: self.name,
            time_zone: self.time_zone,
            active: self.active,
        })
    }
}

/// A `visit_types` row.
#[derive(sqlx::FromRow)]
struct VisitTypeRow {
    id: Uuid,
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

impl VisitTypeRow {
    fn into_visit_type(self) -> Result<VisitType> {
        Ok(VisitType {
            id: self.id.into(),
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

/// Selects an appointment (see [`AppointmentRow`]) from `appointments a`
/// with its reminders as three arrays in (due_at, offset) order; the
/// caller appends its WHERE clause.
const APPOINTMENT_SELECT: &str = "SELECT a.id, a.patient_id, a.practitioner_id, a.room_id, \
     a.visit_type_id, a.status, a.start_at, a.end_at, a.blocked_from, a.blocked_until, \
     a.version, a.booked_by, a.created_at, a.updated_at, a.details, \
     r.offsets, r.dues, r.sents \
     FROM appointments a CROSS JOIN LATERAL ( \
       SELECT array_agg(x.offset_minutes ORDER BY x.due_at, x.offset_minutes) AS offsets, \
              array_agg(x.due_at ORDER BY x.due_at, x.offset_minutes) AS dues, \
              array_agg(x.sent_at ORDER BY x.due_at, x.offset_minutes) AS sents \
       FROM appointment_reminders x \
       WHERE x.patient_id = a.patient_id AND x.appointment_id = a.id) r";

/// An `appointments` row with its reminders.
#[derive(sqlx::FromRow)]
struct AppointmentRow {
    id: Uuid,
    patient_id: Uuid,
    practitioner_id: Uuid,
    room_id: Option<Uuid>,
    visit_type_id: Uuid,
    status: String,
    start_at: DateTime<Utc>,
    end_at: DateTime<Utc>,
    blocked_from: DateTime<Utc>,
    blocked_until: DateTime<Utc>,
    version: i64,
    booked_by: Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    details: String,
    offsets: Option<Vec<i64>>,
    dues: Option<Vec<DateTime<Utc>>>,
    sents: Option<Vec<Option<DateTime<Utc>>>>,
}

impl AppointmentRow {
    fn into_appointment(self) -> Result<Appointment> {
        let details = parse_details(&self.details)?;
        let (offsets, dues, sents) = (
            self.offsets.unwrap_or_default(),
            self.dues.unwrap_or_default(),
            self.sents.unwrap_or_default(),
        );
        if offsets.len() != dues.len() || offsets.len() != sents.len() {
            return Err(corrupt("appointment reminders"));
        }
        let reminders = offsets
            .into_iter()
            .zip(dues)
            .zip(sents)
            .map(|((offset, due_at), sent_at)| {
                Ok(Reminder {
                    offset_minutes: Count32::new(to_u32(offset, "reminder offset")?),
                    due_at,
                    sent_at,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Appointment {
            id: self.id.into(),
            version: Count64::new(from_db(self.version)),
            patient: self.patient_id.into(),
            practitioner: self.practitioner_id.into(),
            room: self.room_id.map(Into::into),
            visit_type: self.visit_type_id.into(),
            status: AppointmentStatus::parse(&self.status)
                .ok_or_else(|| corrupt("appointment status"))?,
            start: self.start_at,
            end: self.end_at,
            blocked_from: self.blocked_from,
            blocked_until: self.blocked_until,
            series: details.series,
            cancellation: details.cancellation,
            reschedules: details.reschedules,
            reminders,
            note: details.note,
            fhir_extra: details.fhir_extra,
            encounter: details.encounter,
            booked_by: self.booked_by.into(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// Columns selected for a busy span (see [`SpanRow`]).
const SPAN_COLUMNS: &str = "id, patient_id, practitioner_id, room_id, visit_type_id, \
     start_at, end_at, blocked_from, blocked_until";

/// The busy-span columns of an `appointments` row.
#[derive(sqlx::FromRow)]
struct SpanRow {
    id: Uuid,
    patient_id: Uuid,
    practitioner_id: Uuid,
    room_id: Option<Uuid>,
    visit_type_id: Uuid,
    start_at: DateTime<Utc>,
    end_at: DateTime<Utc>,
    blocked_from: DateTime<Utc>,
    blocked_until: DateTime<Utc>,
}

impl SpanRow {
    fn into_span(self) -> BusySpan {
        BusySpan {
            appointment: self.id.into(),
            patient: self.patient_id.into(),
            practitioner: self.practitioner_id.into(),
            room: self.room_id.map(Into::into),
            visit_type: self.visit_type_id.into(),
            start: self.start_at,
            end: self.end_at,
            blocked_from: self.blocked_from,
            blocked_until: self.blocked_until,
        }
    }
}

/// Active appointments per range, counted from the
/// `appointments_practitioner_active_start` index: one statement for all
/// ranges, a row per range in the query's order. The count is a LATERAL
/// subquery so each range is an index range whatever the statistics say
/// (a plain join was planned as a hash join over the whole table).
pub(super) async fn appointment_counts(
    db: impl sqlx::PgExecutor<'_>,
    query: &CountQuery,
) -> Result<Vec<AppointmentCount>> {
    if query.ranges.is_empty() {
        return Ok(Vec::new());
    }
    let practitioners: Vec<Uuid> = query.ranges.iter().map(|r| r.practitioner.0).collect();
    let froms: Vec<DateTime<Utc>> = query.ranges.iter().map(|r| r.from).collect();
    let tos: Vec<DateTime<Utc>> = query.ranges.iter().map(|r| r.to).collect();
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT c.n_all, c.n_of_type \
         FROM unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[]) \
           WITH ORDINALITY AS r (practitioner_id, from_at, to_at, n) \
         CROSS JOIN LATERAL ( \
           SELECT count(*) AS n_all, count(*) FILTER (WHERE a.visit_type_id = $1) AS n_of_type \
           FROM appointments a WHERE a.active AND a.practitioner_id = r.practitioner_id \
           AND a.start_at >= r.from_at AND a.start_at < r.to_at) c \
         ORDER BY r.n",
    )
    .bind(query.visit_type.0)
    .bind(practitioners)
    .bind(froms)
    .bind(tos)
    .fetch_all(db)
    .await
    .map_err(db_error("appointment_counts"))?;
    rows.into_iter()
        .map(|(all, of_visit_type)| {
            Ok(AppointmentCount {
                all: to_u32(all, "appointment count")?,
                of_visit_type: to_u32(of_visit_type, "appointment count")?,
            })
        })
        .collect()
}

#[async_trait]
impl ScheduleStore for PostgresStore {
    async fn practitioner(&self, id: PractitionerId) -> Result<Option<Practitioner>> {
        let pool = &self.pool;
        let row: Option<PractitionerRow> =
            sqlx::query_as("SELECT * FROM practitioners WHERE id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await
                .map_err(db_error("practitioner"))?;
        row.map(PractitionerRow::into_practitioner).transpose()
    }

    /// Every practitioner, by id: from `cache` while every stored version is
    /// the cached one (their availability documents are not read or parsed).
    async fn practitioners(&self) -> Result<Vec<Practitioner>> {
        let pool = &self.pool;
        let cache = &self.practitioners;
        let stored: Vec<(Uuid, i64)> =
            sqlx::query_as("SELECT id, version FROM practitioners ORDER BY id")
                .fetch_all(pool)
                .await
                .map_err(db_error("practitioners"))?;
        let versions: Vec<(PractitionerId, u64)> = stored
            .into_iter()
            .map(|(id, version)| (PractitionerId(id), from_db(version)))
            .collect();
        if let Some(cached) = cache.lookup(&versions) {
            return Ok(cached);
        }
        let rows: Vec<PractitionerRow> = sqlx::query_as("SELECT * FROM practitioners ORDER BY id")
            .fetch_all(pool)
            .await
            .map_err(db_error("practitioners"))?;
        let all = rows
            .into_iter()
            .map(PractitionerRow::into_practitioner)
            .collect::<Result<Vec<_>>>()?;
        cache.remember(&all);
        Ok(all)
    }

    async fn resource(&self, id: ResourceId) -> Result<Option<Resource>> {
        let pool = &self.pool;
        let row: Option<ResourceRow> = sqlx::query_as("SELECT * FROM resources WHERE id = $1")
            .bind(id.0)
            .fetch_optional(pool)
            .await
            .map_err(db_error("resource"))?;
        row.map(ResourceRow::into_resource).transpose()
    }

    async fn resources(&self) -> Result<Vec<Resource>> {
        let pool = &self.pool;
        let rows: Vec<ResourceRow> = sqlx::query_as("SELECT * FROM resources ORDER BY id")
            .fetch_all(pool)
            .await
            .map_err(db_error("resources"))?;
        rows.into_iter().map(ResourceRow::into_resource).collect()
    }

    async fn visit_type(&self, id: VisitTypeId) -> Result<Option<VisitType>> {
        let pool = &self.pool;
        let row: Option<VisitTypeRow> = sqlx::query_as("SELECT * FROM visit_types WHERE id = $1")
            .bind(id.0)
            .fetch_optional(pool)
            .await
            .map_err(db_error("visit_type"))?;
        row.map(VisitTypeRow::into_visit_type).transpose()
    }

    async fn visit_types(&self) -> Result<Vec<VisitType>> {
        let pool = &self.pool;
        let rows: Vec<VisitTypeRow> = sqlx::query_as("SELECT * FROM visit_types ORDER BY id")
            .fetch_all(pool)
            .await
            .map_err(db_error("visit_types"))?;
        rows.into_iter()
            .map(VisitTypeRow::into_visit_type)
            .collect()
    }

    async fn appointment(&self, id: AppointmentId) -> Result<Option<Appointment>> {
        let pool = &self.pool;
        let row: Option<AppointmentRow> =
            sqlx::query_as(&format!("{APPOINTMENT_SELECT} WHERE a.id = $1"))
                .bind(id.0)
                .fetch_optional(pool)
                .await
                .map_err(db_error("appointment"))?;
        row.map(AppointmentRow::into_appointment).transpose()
    }

    async fn appointments(&self, query: &AppointmentQuery) -> Result<Vec<Appointment>> {
        let pool = &self.pool;
        let mut q: QueryBuilder<'_, Postgres> =
            QueryBuilder::new(format!("{APPOINTMENT_SELECT} WHERE a.start_at >= "));
        q.push_bind(query.from)
            .push(" AND a.start_at < ")
            .push_bind(query.to);
        if let Some(patient) = query.patient {
            q.push(" AND a.patient_id = ").push_bind(patient.0);
        }
        if let Some(practitioner) = query.practitioner {
            q.push(" AND a.practitioner_id = ")
                .push_bind(practitioner.0);
        }
        if !query.include_inactive {
            q.push(" AND a.active");
        }
        q.push(" ORDER BY a.start_at, a.id LIMIT ")
            .push_bind(i64::from(
                query
                    .limit
                    .unwrap_or(Count32::new(APPOINTMENTS_DEFAULT_LIMIT)),
            ));
        let rows: Vec<AppointmentRow> = q
            .build_query_as()
            .fetch_all(pool)
            .await
            .map_err(db_error("appointments"))?;
        rows.into_iter()
            .map(AppointmentRow::into_appointment)
            .collect()
    }

    /// Active appointments whose practitioner or room is asked for and whose
    /// blocked span overlaps `[from, to)`, and those whose patient is asked for
    /// and whose visit overlaps it; each arm reads a btree range bounded below
    /// by the longest span.
    async fn busy(&self, query: &BusyQuery) -> Result<Vec<BusySpan>> {
        let pool = &self.pool;
        let blocked = ("blocked_from", "blocked_until");
        let visit = ("start_at", "end_at");
        let arms: [(&str, (&str, &str), Vec<Uuid>); 3] = [
            (
                "practitioner_id",
                blocked,
                query.practitioners.iter().map(|p| p.0).collect(),
            ),
            (
                "room_id",
                blocked,
                query.rooms.iter().map(|r| r.0).collect(),
            ),
            (
                "patient_id",
                visit,
                query.patients.iter().map(|p| p.0).collect(),
            ),
        ];
        let mut q: QueryBuilder<'_, Postgres> = QueryBuilder::new("");
        let mut first = true;
        for (column, (start, end), ids) in arms {
            if ids.is_empty() {
                continue;
            }
            if !first {
                q.push(" UNION ");
            }
            first = false;
            q.push(format!(
                "SELECT {SPAN_COLUMNS} FROM appointments WHERE active AND {column} = ANY("
            ))
            .push_bind(ids)
            .push(format!(") AND {start} < "))
            .push_bind(query.to)
            .push(format!(" AND {end} > "))
            .push_bind(query.from)
            .push(format!(" AND {start} > "))
            .push_bind(lower_bound(query.from));
        }
        if first {
            return Ok(Vec::new());
        }
        q.push(" ORDER BY blocked_from, id");
        let rows: Vec<SpanRow> = q
            .build_query_as()
            .fetch_all(pool)
            .await
            .map_err(db_error("busy"))?;
        Ok(rows.into_iter().map(SpanRow::into_span).collect())
    }

    async fn appointment_counts(&self, query: &CountQuery) -> Result<Vec<AppointmentCount>> {
        appointment_counts(&self.pool, query).await
    }

    async fn due_reminders(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueReminder>> {
        let pool = &self.pool;
        type Row = (Uuid, Uuid, Uuid, DateTime<Utc>, i64, DateTime<Utc>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT r.appointment_id, a.patient_id, a.practitioner_id, a.start_at, \
             r.offset_minutes, r.due_at \
             FROM appointment_reminders r \
             JOIN appointments a ON a.patient_id = r.patient_id AND a.id = r.appointment_id \
             WHERE r.sent_at IS NULL AND r.due_at >= $1 AND r.due_at < $2 AND a.active \
             ORDER BY r.due_at, r.appointment_id, r.offset_minutes LIMIT $3",
        )
        .bind(from)
        .bind(to)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_error("due_reminders"))?;
        rows.into_iter()
            .map(
                |(appointment, patient, practitioner, start, offset, due_at)| {
                    Ok(DueReminder {
                        appointment: appointment.into(),
                        patient: patient.into(),
                        practitioner: practitioner.into(),
                        start,
                        offset_minutes: Count32::new(to_u32(offset, "reminder offset")?),
                        due_at,
                    })
                },
            )
            .collect()
    }
}
