//! Appointments, mirroring core's `schedule` module: the record and its
//! history, booking (single and series), moving, cancelling, listing and
//! reminders.

use super::*;

mirror_enum!(
    /// The FHIR appointment life cycle (the subset carebase drives).
    AppointmentStatus <=> cbs::AppointmentStatus {
        Proposed, Booked, Arrived, Fulfilled, Cancelled, Noshow
    }
);

mirror_enum!(
    /// Why an appointment was called off: the FHIR R4 code system
    /// `http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason`
    /// (`PatMv` is `pat-mv`, the patient moved). A closed set, so events carry
    /// a code and never free text; the rest goes in the note.
    CancellationReason <=> cbs::CancellationReason {
        Pat, PatCrs, PatCpp, PatDec, PatFb, PatLt, PatMt, PatMv, PatPreg, PatSwl, PatUcp, Prov,
        ProvPers, ProvDch, ProvEdu, ProvHosp, ProvLabs, ProvMri, ProvOnc, Maint, MedsInc,
        Other, OthCms, OthErr, OthFin, OthIv, OthInt, OthMu, OthRoom, OthOerr, OthSwie,
        OthWeath
    }
);

/// Why and when an appointment was called off.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct Cancellation {
    /// Reason code (FHIR appointment-cancellation-reason).
    pub reason: CancellationReason,
    /// Free text; never copied into events or errors.
    pub note: Option<String>,
    /// Cancelled inside the clinic's late-cancellation window.
    pub late: bool,
    /// When.
    pub at: String,
    /// Who.
    pub by: String,
}

impl std::fmt::Debug for Cancellation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancellation")
            .field("reason", &self.reason)
            .field("late", &self.late)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

impl From<cbs::Cancellation> for Cancellation {
    fn from(c: cbs::Cancellation) -> Self {
        Self {
            reason: c.reason.into(),
            note: c.note,
            late: c.late,
            at: ts(c.at),
            by: c.by.to_string(),
        }
    }
}

/// One move of an appointment: where it was before.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Reschedule {
    /// Previous start.
    pub from_start: String,
    /// Previous end.
    pub from_end: String,
    /// Previous practitioner.
    pub from_practitioner: String,
    /// Previous room.
    pub from_room: Option<String>,
    /// When it moved.
    pub at: String,
    /// Who moved it.
    pub by: String,
}

impl From<cbs::Reschedule> for Reschedule {
    fn from(r: cbs::Reschedule) -> Self {
        Self {
            from_start: ts(r.from_start),
            from_end: ts(r.from_end),
            from_practitioner: r.from_practitioner.to_string(),
            from_room: ids(r.from_room),
            at: ts(r.at),
            by: r.by.to_string(),
        }
    }
}

/// A reminder due before an appointment; sent at most once.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Reminder {
    /// Minutes before the start.
    pub offset_minutes: u32,
    /// When it is due.
    pub due_at: String,
    /// When it was marked sent.
    pub sent_at: Option<String>,
}

impl From<cbs::Reminder> for Reminder {
    fn from(r: cbs::Reminder) -> Self {
        Self {
            offset_minutes: r.offset_minutes,
            due_at: ts(r.due_at),
            sent_at: r.sent_at.map(ts),
        }
    }
}

/// A patient's visit with a practitioner (and optionally a room).
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct Appointment {
    /// Id.
    pub id: String,
    /// Version.
    pub version: u64,
    /// The patient.
    pub patient: String,
    /// The practitioner.
    pub practitioner: String,
    /// The room or equipment, if any.
    pub room: Option<String>,
    /// The visit type.
    pub visit_type: String,
    /// Life-cycle status.
    pub status: AppointmentStatus,
    /// Start.
    pub start: String,
    /// End (exclusive).
    pub end: String,
    /// Start of the time it blocks for the practitioner and room (start − buffer before).
    pub blocked_from: String,
    /// End of the time it blocks (end + buffer after).
    pub blocked_until: String,
    /// The recurring series it belongs to.
    pub series: Option<String>,
    /// Set when cancelled.
    pub cancellation: Option<Cancellation>,
    /// Earlier times, oldest first.
    pub reschedules: Vec<Reschedule>,
    /// Reminders still relevant (none once it is cancelled or a no-show).
    pub reminders: Vec<Reminder>,
    /// Free text for staff; never copied into events or errors.
    pub note: Option<String>,
    /// FHIR elements carebase does not model (JSON text), kept so an export returns them.
    pub fhir_extra: Option<String>,
    /// Who booked it.
    pub booked_by: String,
    /// Created.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
}

impl std::fmt::Debug for Appointment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Appointment")
            .field("id", &self.id)
            .field("version", &self.version)
            .field("patient", &self.patient)
            .field("practitioner", &self.practitioner)
            .field("room", &self.room)
            .field("visit_type", &self.visit_type)
            .field("status", &self.status)
            .field("start", &self.start)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

impl From<cbs::Appointment> for Appointment {
    fn from(a: cbs::Appointment) -> Self {
        Self {
            id: a.id.to_string(),
            version: a.version,
            patient: a.patient.to_string(),
            practitioner: a.practitioner.to_string(),
            room: ids(a.room),
            visit_type: a.visit_type.to_string(),
            status: a.status.into(),
            start: ts(a.start),
            end: ts(a.end),
            blocked_from: ts(a.blocked_from),
            blocked_until: ts(a.blocked_until),
            series: ids(a.series),
            cancellation: a.cancellation.map(Into::into),
            reschedules: map(a.reschedules),
            reminders: map(a.reminders),
            note: a.note,
            fhir_extra: a.fhir_extra.map(|v| v.to_string()),
            booked_by: a.booked_by.to_string(),
            created_at: ts(a.created_at),
            updated_at: ts(a.updated_at),
        }
    }
}

/// What booking takes.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct BookAppointment {
    /// The patient.
    pub patient: String,
    /// The practitioner.
    pub practitioner: String,
    /// The visit type.
    pub visit_type: String,
    /// A start the free-slot search would return (RFC 3339).
    pub start: String,
    /// The room, if any.
    #[uniffi(default)]
    pub room: Option<String>,
    /// `Booked` (when `null`) or `Proposed`.
    #[uniffi(default)]
    pub status: Option<AppointmentStatus>,
    /// Free text for staff.
    #[uniffi(default)]
    pub note: Option<String>,
}

impl std::fmt::Debug for BookAppointment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BookAppointment")
            .field("patient", &self.patient)
            .field("practitioner", &self.practitioner)
            .field("room", &self.room)
            .field("visit_type", &self.visit_type)
            .field("start", &self.start)
            .finish_non_exhaustive()
    }
}

impl BookAppointment {
    fn into_core(self, f: &mut Fields) -> Option<cbs::BookAppointment> {
        let patient = f.take(patient_id("patient", &self.patient));
        let practitioner = f.take(practitioner_id("practitioner", &self.practitioner));
        let room = f.opt(self.room.as_deref().map(|r| resource_id("room", r)));
        let visit_type = f.take(visit_type_id("visit_type", &self.visit_type));
        let start = f.take(instant("start", &self.start));
        Some(cbs::BookAppointment {
            patient: patient?,
            practitioner: practitioner?,
            room,
            visit_type: visit_type?,
            start: start?,
            status: self.status.map(Into::into),
            note: self.note,
        })
    }
}

impl TryFrom<BookAppointment> for cbs::BookAppointment {
    type Error = cb::Error;
    fn try_from(b: BookAppointment) -> cb::Result<Self> {
        let mut f = Fields::default();
        let booking = b.into_core(&mut f);
        f.done(|| booking)
    }
}

/// How a series repeats: every `every_weeks` weeks at the same local time,
/// until a local date or for a count (at least one of them).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Recurrence {
    /// 1 = weekly, 2 = fortnightly…
    pub every_weeks: u32,
    /// Last local date (`yyyy-mm-dd`) an occurrence may fall on (inclusive).
    #[uniffi(default)]
    pub until: Option<String>,
    /// Number of occurrences, the first included.
    #[uniffi(default)]
    pub count: Option<u32>,
}

/// A recurring series: the first booking and how it repeats.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BookSeries {
    /// The first occurrence.
    pub first: BookAppointment,
    /// How it repeats.
    pub recurrence: Recurrence,
}

impl TryFrom<BookSeries> for cb::clinic::BookSeries {
    type Error = cb::Error;
    fn try_from(s: BookSeries) -> cb::Result<Self> {
        let mut f = Fields::default();
        // Core reports the first booking's fields without a prefix.
        let first = s.first.into_core(&mut f);
        let r = s.recurrence;
        let until = f.opt(r.until.as_deref().map(|u| date("recurrence.until", u)));
        f.done(|| {
            Some(cb::clinic::BookSeries {
                first: first?,
                recurrence: cbs::Recurrence {
                    every_weeks: r.every_weeks,
                    until,
                    count: r.count,
                },
            })
        })
    }
}

/// Where an appointment moves to.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RescheduleAppointment {
    /// The new start (RFC 3339).
    pub start: String,
    /// Another practitioner, or the same when `null`.
    #[uniffi(default)]
    pub practitioner: Option<String>,
    /// Another room, or the same when `null`.
    #[uniffi(default)]
    pub room: Option<String>,
}

impl TryFrom<RescheduleAppointment> for cbs::RescheduleAppointment {
    type Error = cb::Error;
    fn try_from(r: RescheduleAppointment) -> cb::Result<Self> {
        let mut f = Fields::default();
        let start = f.take(instant("start", &r.start));
        let practitioner =
            f.opt((r.practitioner.as_deref()).map(|p| practitioner_id("practitioner", p)));
        let room = f.opt(r.room.as_deref().map(|x| resource_id("room", x)));
        f.done(|| {
            Some(cbs::RescheduleAppointment {
                start: start?,
                practitioner,
                room,
            })
        })
    }
}

/// What cancelling takes.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct CancelAppointment {
    /// Reason code (FHIR appointment-cancellation-reason, e.g. `Pat`).
    pub reason: CancellationReason,
    /// Free text for staff; never copied into events or errors.
    #[uniffi(default)]
    pub note: Option<String>,
}

impl std::fmt::Debug for CancelAppointment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancelAppointment")
            .field("reason", &self.reason)
            .finish_non_exhaustive()
    }
}

impl From<CancelAppointment> for cbs::CancelAppointment {
    fn from(c: CancelAppointment) -> Self {
        Self {
            reason: c.reason.into(),
            note: c.note,
        }
    }
}

/// Appointments of one patient or one practitioner starting in a range.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AppointmentQuery {
    /// Starting at or after (RFC 3339).
    pub from: String,
    /// Starting before (RFC 3339).
    pub to: String,
    /// Only this patient's.
    #[uniffi(default)]
    pub patient: Option<String>,
    /// Only this practitioner's.
    #[uniffi(default)]
    pub practitioner: Option<String>,
    /// Include cancelled and no-show appointments.
    #[uniffi(default)]
    pub include_inactive: bool,
    /// At most this many (1–1000, default 100).
    #[uniffi(default)]
    pub limit: Option<u32>,
}

impl TryFrom<AppointmentQuery> for cbs::AppointmentQuery {
    type Error = cb::Error;
    fn try_from(q: AppointmentQuery) -> cb::Result<Self> {
        let mut f = Fields::default();
        let patient = f.opt(q.patient.as_deref().map(|p| patient_id("patient", p)));
        let practitioner =
            f.opt((q.practitioner.as_deref()).map(|p| practitioner_id("practitioner", p)));
        let from = f.take(instant("from", &q.from));
        let to = f.take(instant("to", &q.to));
        f.done(|| {
            Some(cbs::AppointmentQuery {
                patient,
                practitioner,
                from: from?,
                to: to?,
                include_inactive: q.include_inactive,
                limit: q.limit,
            })
        })
    }
}

/// A reminder that is due and not yet sent.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DueReminder {
    /// The appointment.
    pub appointment: String,
    /// Its patient (to notify).
    pub patient: String,
    /// Its practitioner.
    pub practitioner: String,
    /// Its start.
    pub start: String,
    /// Minutes before the start.
    pub offset_minutes: u32,
    /// When it is due.
    pub due_at: String,
}

impl From<cbs::DueReminder> for DueReminder {
    fn from(r: cbs::DueReminder) -> Self {
        Self {
            appointment: r.appointment.to_string(),
            patient: r.patient.to_string(),
            practitioner: r.practitioner.to_string(),
            start: ts(r.start),
            offset_minutes: r.offset_minutes,
            due_at: ts(r.due_at),
        }
    }
}

/// A FHIR R4 Appointment to import as a new appointment.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct FhirAppointmentImport {
    /// The FHIR R4 Appointment resource as JSON text (a document within
    /// core's bounds: deeper, larger or longer is a validation error naming
    /// `resource` or the path inside it).
    pub resource: String,
    /// The visit type; when `null`, the one whose `code` equals a code of
    /// `appointmentType.coding` (ignoring case).
    #[uniffi(default)]
    pub visit_type: Option<String>,
    /// Reference text used in the resource (e.g. `Patient/example`) → carebase
    /// id. A reference whose id part is a UUID needs no entry.
    #[uniffi(default)]
    pub references: std::collections::HashMap<String, String>,
    /// A migration import: the record of a system being replaced, kept as it
    /// was instead of passing the booking rules; needs `appointment.migrate`
    /// and is flagged in the audit.
    #[uniffi(default)]
    pub migration: bool,
}

impl std::fmt::Debug for FhirAppointmentImport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FhirAppointmentImport")
            .field("visit_type", &self.visit_type)
            .field("references", &self.references.len())
            .field("migration", &self.migration)
            .finish_non_exhaustive()
    }
}

/// Parses a JSON document handed over by the host as text: core bounds its
/// size and nesting before anything parses it (`too_large`, `too_deep`,
/// `invalid_format` naming `field`), then its strings and lists. Errors
/// never carry the text.
pub(crate) fn json_text(field: &str, text: &str) -> cb::Result<serde_json::Value> {
    cb::document::parse_text(text, field)
}

impl TryFrom<FhirAppointmentImport> for cbs::fhir::FhirAppointmentImport {
    type Error = cb::Error;
    fn try_from(i: FhirAppointmentImport) -> cb::Result<Self> {
        let mut f = Fields::default();
        let resource = f.take(json_text("resource", &i.resource));
        let visit_type = f.opt(
            i.visit_type
                .as_deref()
                .map(|v| visit_type_id("visit_type", v)),
        );
        f.done(|| {
            Some(cbs::fhir::FhirAppointmentImport {
                resource: resource?,
                visit_type,
                references: i.references.into_iter().collect(),
                migration: i.migration,
            })
        })
    }
}
