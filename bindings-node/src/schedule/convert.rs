//! Conversions between the scheduling shapes (`schedule/types.rs`) and
//! `carebase::schedule`. Inputs go through [`Check`], which collects every
//! malformed field under core's snake_case paths. No clinic rule lives here.

use carebase as cb;
use cb::schedule as cs;

use super::types::*;
use crate::convert::{instant_out, list, opt_instant, opt_str, same_variants, Check};

/// A local date as `YYYY-MM-DD`.
fn date_out(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl Check {
    pub fn practitioner_id(&mut self, field: &str, text: &str) -> cb::PractitionerId {
        cb::PractitionerId(self.uuid(field, text))
    }

    pub fn appointment_id(&mut self, field: &str, text: &str) -> cb::AppointmentId {
        cb::AppointmentId(self.uuid(field, text))
    }

    fn resource_id(&mut self, field: &str, text: Option<&str>) -> Option<cb::ResourceId> {
        self.opt_uuid(field, text).map(cb::ResourceId)
    }

    fn opt_small(&mut self, field: &str, n: Option<f64>) -> Option<u32> {
        n.map(|n| self.small(field, n))
    }

    fn window(&mut self, field: &str, w: TimeWindow) -> cs::TimeWindow {
        cs::TimeWindow {
            start: self.time(&format!("{field}.start"), &w.start),
            end: self.time(&format!("{field}.end"), &w.end),
        }
    }

    /// `prefix` is `availability.` inside a new practitioner, empty on its own.
    pub fn availability(&mut self, prefix: &str, a: Availability) -> cs::Availability {
        cs::Availability {
            weekly: a
                .weekly
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(i, w)| {
                    let at = format!("{prefix}weekly[{i}]");
                    cs::WeeklyHours {
                        weekday: w.weekday.into(),
                        start: self.time(&format!("{at}.start"), &w.start),
                        end: self.time(&format!("{at}.end"), &w.end),
                        valid_from: w
                            .valid_from
                            .map(|d| self.date(&format!("{at}.valid_from"), &d)),
                        valid_until: w
                            .valid_until
                            .map(|d| self.date(&format!("{at}.valid_until"), &d)),
                    }
                })
                .collect(),
            exceptions: a
                .exceptions
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(i, e)| {
                    let at = format!("{prefix}exceptions[{i}]");
                    cs::DateException {
                        date: self.date(&format!("{at}.date"), &e.date),
                        extra_hours: e
                            .extra_hours
                            .map(|w| self.window(&format!("{at}.extra_hours"), w)),
                    }
                })
                .collect(),
            time_off: a
                .time_off
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(i, t)| {
                    let at = format!("{prefix}time_off[{i}]");
                    cs::TimeOff {
                        start: self.instant(&format!("{at}.start"), &t.start),
                        end: self.instant(&format!("{at}.end"), &t.end),
                        reason: t.reason,
                    }
                })
                .collect(),
            slot_minutes: self.small(&format!("{prefix}slot_minutes"), a.slot_minutes),
            max_per_day: self.opt_small(&format!("{prefix}max_per_day"), a.max_per_day),
        }
    }

    pub fn new_practitioner(&mut self, p: NewPractitioner) -> cs::NewPractitioner {
        cs::NewPractitioner {
            id: self.opt_uuid("id", p.id.as_deref()).map(cb::PractitionerId),
            name: p.name,
            time_zone: p.time_zone,
            availability: p
                .availability
                .map(|a| self.availability("availability.", a))
                .unwrap_or_default(),
        }
    }

    pub fn new_visit_type(&mut self, v: NewVisitType) -> cs::NewVisitType {
        cs::NewVisitType {
            code: v.code,
            name: v.name,
            duration_minutes: self.small("duration_minutes", v.duration_minutes),
            buffer_before_minutes: self
                .opt_small("buffer_before_minutes", v.buffer_before_minutes)
                .unwrap_or_default(),
            buffer_after_minutes: self
                .opt_small("buffer_after_minutes", v.buffer_after_minutes)
                .unwrap_or_default(),
            min_notice_minutes: self
                .opt_small("min_notice_minutes", v.min_notice_minutes)
                .unwrap_or_default(),
            horizon_days: self.small("horizon_days", v.horizon_days),
            max_per_day: self.opt_small("max_per_day", v.max_per_day),
            reminder_offsets_minutes: v
                .reminder_offsets_minutes
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(i, m)| self.small(&format!("reminder_offsets_minutes[{i}]"), m))
                .collect(),
        }
    }

    /// `prefix` is `first.` inside a series, empty on its own.
    pub fn booking(&mut self, prefix: &str, b: BookAppointment) -> cs::BookAppointment {
        cs::BookAppointment {
            patient: self.patient_id(&format!("{prefix}patient"), &b.patient),
            practitioner: self.practitioner_id(&format!("{prefix}practitioner"), &b.practitioner),
            room: self.resource_id(&format!("{prefix}room"), b.room.as_deref()),
            visit_type: cb::VisitTypeId(self.uuid(&format!("{prefix}visit_type"), &b.visit_type)),
            start: self.instant(&format!("{prefix}start"), &b.start),
            status: b.status.map(Into::into),
            note: b.note,
        }
    }

    pub fn series(&mut self, s: BookSeries) -> cb::clinic::BookSeries {
        let r = s.recurrence;
        cb::clinic::BookSeries {
            first: self.booking("first.", s.first),
            recurrence: cs::Recurrence {
                every_weeks: self.small("recurrence.every_weeks", r.every_weeks),
                until: r.until.map(|d| self.date("recurrence.until", &d)),
                count: self.opt_small("recurrence.count", r.count),
            },
        }
    }

    pub fn reschedule(&mut self, r: RescheduleAppointment) -> cs::RescheduleAppointment {
        cs::RescheduleAppointment {
            start: self.instant("start", &r.start),
            practitioner: self
                .opt_uuid("practitioner", r.practitioner.as_deref())
                .map(cb::PractitionerId),
            room: self.resource_id("room", r.room.as_deref()),
        }
    }

    pub fn slot_query(&mut self, q: SlotQuery) -> cs::SlotQuery {
        cs::SlotQuery {
            visit_type: cb::VisitTypeId(self.uuid("visit_type", &q.visit_type)),
            practitioners: q
                .practitioners
                .iter()
                .enumerate()
                .map(|(i, p)| self.practitioner_id(&format!("practitioners[{i}]"), p))
                .collect(),
            room: self.resource_id("room", q.room.as_deref()),
            from: self.instant("from", &q.from),
            to: self.instant("to", &q.to),
            limit: self.opt_small("limit", q.limit),
            cursor: q.cursor,
        }
    }

    pub fn fhir_import(&mut self, i: FhirAppointmentImport) -> cs::fhir::FhirAppointmentImport {
        cs::fhir::FhirAppointmentImport {
            resource: i.resource.0,
            visit_type: self
                .opt_uuid("visit_type", i.visit_type.as_deref())
                .map(cb::VisitTypeId),
            references: i.references.unwrap_or_default(),
            migration: i.migration.unwrap_or(false),
        }
    }

    pub fn appointment_query(&mut self, q: AppointmentQuery) -> cs::AppointmentQuery {
        cs::AppointmentQuery {
            patient: self
                .opt_uuid("patient", q.patient.as_deref())
                .map(cb::PatientId),
            practitioner: self
                .opt_uuid("practitioner", q.practitioner.as_deref())
                .map(cb::PractitionerId),
            from: self.instant("from", &q.from),
            to: self.instant("to", &q.to),
            include_inactive: q.include_inactive.unwrap_or(false),
            limit: self.opt_small("limit", q.limit),
        }
    }
}

impl From<CancelAppointment> for cs::CancelAppointment {
    fn from(c: CancelAppointment) -> Self {
        Self {
            reason: c.reason.into(),
            note: c.note,
        }
    }
}

// ---- outputs ---------------------------------------------------------------

/// A local wall-clock time as `HH:MM` (`HH:MM:SS` when it has seconds).
fn time_out(t: chrono::NaiveTime) -> String {
    use chrono::Timelike;
    if t.second() == 0 && t.nanosecond() == 0 {
        t.format("%H:%M").to_string()
    } else {
        t.format("%H:%M:%S").to_string()
    }
}

impl From<cs::TimeWindow> for TimeWindow {
    fn from(w: cs::TimeWindow) -> Self {
        Self {
            start: time_out(w.start),
            end: time_out(w.end),
        }
    }
}

impl From<cs::WeeklyHours> for WeeklyHours {
    fn from(w: cs::WeeklyHours) -> Self {
        Self {
            weekday: w.weekday.into(),
            start: time_out(w.start),
            end: time_out(w.end),
            valid_from: w.valid_from.map(date_out),
            valid_until: w.valid_until.map(date_out),
        }
    }
}

impl From<cs::DateException> for DateException {
    fn from(e: cs::DateException) -> Self {
        Self {
            date: date_out(e.date),
            extra_hours: e.extra_hours.map(Into::into),
        }
    }
}

impl From<cs::TimeOff> for TimeOff {
    fn from(t: cs::TimeOff) -> Self {
        Self {
            start: instant_out(t.start),
            end: instant_out(t.end),
            reason: t.reason,
        }
    }
}

impl From<cs::Availability> for Availability {
    fn from(a: cs::Availability) -> Self {
        Self {
            weekly: Some(list(a.weekly)),
            exceptions: Some(list(a.exceptions)),
            time_off: Some(list(a.time_off)),
            slot_minutes: a.slot_minutes.into(),
            max_per_day: a.max_per_day.map(Into::into),
        }
    }
}

impl From<cs::Practitioner> for Practitioner {
    fn from(p: cs::Practitioner) -> Self {
        Self {
            id: p.id.to_string(),
            version: p.version as f64,
            name: p.name,
            time_zone: p.time_zone,
            availability: p.availability.into(),
            active: p.active,
            created_at: instant_out(p.created_at),
            updated_at: instant_out(p.updated_at),
        }
    }
}

impl From<cs::Resource> for Resource {
    fn from(r: cs::Resource) -> Self {
        Self {
            id: r.id.to_string(),
            version: r.version as f64,
            kind: r.kind.into(),
            name: r.name,
            time_zone: r.time_zone,
            active: r.active,
        }
    }
}

impl From<cs::VisitType> for VisitType {
    fn from(v: cs::VisitType) -> Self {
        Self {
            id: v.id.to_string(),
            version: v.version as f64,
            code: v.code,
            name: v.name,
            duration_minutes: v.duration_minutes,
            buffer_before_minutes: v.buffer_before_minutes,
            buffer_after_minutes: v.buffer_after_minutes,
            min_notice_minutes: v.min_notice_minutes,
            horizon_days: v.horizon_days,
            max_per_day: v.max_per_day,
            reminder_offsets_minutes: v.reminder_offsets_minutes,
        }
    }
}

impl From<cs::Cancellation> for Cancellation {
    fn from(c: cs::Cancellation) -> Self {
        Self {
            reason: c.reason.into(),
            note: c.note,
            late: c.late,
            at: instant_out(c.at),
            by: c.by.to_string(),
        }
    }
}

impl From<cs::Reschedule> for Reschedule {
    fn from(r: cs::Reschedule) -> Self {
        Self {
            from_start: instant_out(r.from_start),
            from_end: instant_out(r.from_end),
            from_practitioner: r.from_practitioner.to_string(),
            from_room: opt_str(r.from_room),
            at: instant_out(r.at),
            by: r.by.to_string(),
        }
    }
}

impl From<cs::Reminder> for Reminder {
    fn from(r: cs::Reminder) -> Self {
        Self {
            offset_minutes: r.offset_minutes,
            due_at: instant_out(r.due_at),
            sent_at: opt_instant(r.sent_at),
        }
    }
}

impl From<cs::Appointment> for Appointment {
    fn from(a: cs::Appointment) -> Self {
        Self {
            id: a.id.to_string(),
            version: a.version as f64,
            patient: a.patient.to_string(),
            practitioner: a.practitioner.to_string(),
            room: opt_str(a.room),
            visit_type: a.visit_type.to_string(),
            status: a.status.into(),
            start: instant_out(a.start),
            end: instant_out(a.end),
            blocked_from: instant_out(a.blocked_from),
            blocked_until: instant_out(a.blocked_until),
            series: opt_str(a.series),
            cancellation: a.cancellation.map(Into::into),
            reschedules: list(a.reschedules),
            reminders: list(a.reminders),
            note: a.note,
            fhir_extra: a.fhir_extra,
            booked_by: a.booked_by.to_string(),
            created_at: instant_out(a.created_at),
            updated_at: instant_out(a.updated_at),
        }
    }
}

impl From<cs::Slot> for Slot {
    fn from(s: cs::Slot) -> Self {
        Self {
            practitioner: s.practitioner.to_string(),
            room: opt_str(s.room),
            start: instant_out(s.start),
            end: instant_out(s.end),
        }
    }
}

impl From<cs::SlotPage> for SlotPage {
    fn from(p: cs::SlotPage) -> Self {
        Self {
            slots: list(p.slots),
            next_cursor: p.next_cursor,
        }
    }
}

impl From<cs::DueReminder> for DueReminder {
    fn from(r: cs::DueReminder) -> Self {
        Self {
            appointment: r.appointment.to_string(),
            patient: r.patient.to_string(),
            practitioner: r.practitioner.to_string(),
            start: instant_out(r.start),
            offset_minutes: r.offset_minutes,
            due_at: instant_out(r.due_at),
        }
    }
}

same_variants!(Weekday <=> cs::Weekday {
    Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday
});
same_variants!(ResourceKind <=> cs::ResourceKind { Room, Equipment });
same_variants!(CancellationReason <=> cs::CancellationReason {
    Pat, PatCrs, PatCpp, PatDec, PatFb, PatLt, PatMt, PatMv, PatPreg, PatSwl, PatUcp, Prov, ProvPers, ProvDch, ProvEdu, ProvHosp, ProvLabs, ProvMri, ProvOnc, Maint, MedsInc, Other, OthCms, OthErr, OthFin, OthIv, OthInt, OthMu, OthRoom, OthOerr, OthSwie, OthWeath
});
same_variants!(AppointmentStatus <=> cs::AppointmentStatus {
    Proposed, Booked, Arrived, Fulfilled, Cancelled, Noshow
});
