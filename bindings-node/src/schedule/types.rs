//! The JavaScript shapes of scheduling (`carebase::schedule`): practitioners,
//! rooms, visit types, availability, slots, appointments and reminders.
//! Local wall-clock times are `HH:MM` strings (`HH:MM:SS` accepted), local
//! dates `YYYY-MM-DD`, instants RFC 3339 UTC strings. Conversions live in
//! `schedule/convert.rs`.

use napi_derive::napi;

/// A day of the week, in the practitioner's own calendar.
#[napi(string_enum = "snake_case")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

/// What kind of thing a bookable resource is.
#[napi(string_enum = "snake_case")]
pub enum ResourceKind {
    Room,
    Equipment,
}

/// The FHIR appointment life cycle (the subset carebase drives).
#[napi(string_enum = "snake_case")]
pub enum AppointmentStatus {
    Proposed,
    Booked,
    Arrived,
    Fulfilled,
    Cancelled,
    Noshow,
}

/// Why an appointment was called off: the FHIR R4 code system
/// `http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason`
/// (`'pat-mv'`: the patient moved). A closed set, so events carry a code
/// and never free text; the rest goes in the note.
#[napi(string_enum = "kebab-case")]
pub enum CancellationReason {
    Pat,
    PatCrs,
    PatCpp,
    PatDec,
    PatFb,
    PatLt,
    PatMt,
    PatMv,
    PatPreg,
    PatSwl,
    PatUcp,
    Prov,
    ProvPers,
    ProvDch,
    ProvEdu,
    ProvHosp,
    ProvLabs,
    ProvMri,
    ProvOnc,
    Maint,
    MedsInc,
    Other,
    OthCms,
    OthErr,
    OthFin,
    OthIv,
    OthInt,
    OthMu,
    OthRoom,
    OthOerr,
    OthSwie,
    OthWeath,
}

/// A window of local wall-clock time within one day (`start < end`).
#[napi(object)]
pub struct TimeWindow {
    /// Local start, `HH:MM`.
    pub start: String,
    /// Local end (exclusive), `HH:MM`.
    pub end: String,
}

/// Recurring weekly hours: "Mondays 09:00–12:00 from 1 March".
#[napi(object)]
pub struct WeeklyHours {
    pub weekday: Weekday,
    /// Local start, `HH:MM`.
    pub start: String,
    /// Local end (exclusive), `HH:MM`.
    pub end: String,
    /// First local date the hours apply (inclusive), `YYYY-MM-DD`.
    pub valid_from: Option<String>,
    /// Last local date the hours apply (inclusive), `YYYY-MM-DD`.
    pub valid_until: Option<String>,
}

/// One date that differs from the weekly pattern: without `extraHours` the
/// weekly hours of that date are off; with them, the window is added. The
/// exceptions of one date combine, so a day off plus extra hours on the same
/// date replaces that date's weekly hours by the extra hours.
#[napi(object)]
pub struct DateException {
    /// The local date, `YYYY-MM-DD`.
    pub date: String,
    pub extra_hours: Option<TimeWindow>,
}

/// An absence between two instants (holiday, conference, sick leave).
#[napi(object)]
pub struct TimeOff {
    /// Start (inclusive), RFC 3339.
    pub start: String,
    /// End (exclusive), RFC 3339.
    pub end: String,
    /// Free text for staff; never copied into events or errors.
    pub reason: Option<String>,
}

/// When a practitioner can be booked, in their own time zone.
#[napi(object)]
pub struct Availability {
    /// Weekly hours (several windows a day allowed; windows that apply on
    /// the same date must not overlap: `overlaps` on the later one).
    pub weekly: Option<Vec<WeeklyHours>>,
    /// Days off and extra hours on given dates. A date's extra hours must
    /// not overlap each other nor the weekly hours they are added to.
    pub exceptions: Option<Vec<DateException>>,
    /// Absences.
    pub time_off: Option<Vec<TimeOff>>,
    /// The slot grid: starts fall every `slotMinutes` from a window's start.
    pub slot_minutes: f64,
    /// At most this many active appointments per local day, whatever the visit type.
    pub max_per_day: Option<f64>,
}

/// A person who sees patients. Actors are linked through `Actor.practitioner`.
#[napi(object)]
pub struct Practitioner {
    pub id: String,
    pub version: f64,
    /// Display name (staff data, not patient data).
    pub name: String,
    /// IANA time zone the availability is written in, e.g. `Europe/Berlin`.
    pub time_zone: String,
    pub availability: Availability,
    /// Inactive practitioners cannot be booked.
    pub active: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// What adding a practitioner takes.
#[napi(object)]
pub struct NewPractitioner {
    /// An id the host already uses for this person (e.g. in actors and care
    /// teams); a fresh one when absent.
    pub id: Option<String>,
    pub name: String,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub time_zone: String,
    /// Initial availability (none when absent).
    pub availability: Option<Availability>,
}

/// A room or piece of equipment that can be booked with an appointment.
#[napi(object)]
pub struct Resource {
    pub id: String,
    pub version: f64,
    pub kind: ResourceKind,
    pub name: String,
    /// IANA time zone of where it is.
    pub time_zone: String,
    /// Inactive resources cannot be booked.
    pub active: bool,
}

/// What adding a resource takes.
#[napi(object)]
pub struct NewResource {
    pub kind: ResourceKind,
    pub name: String,
    /// IANA time zone.
    pub time_zone: String,
}

/// A kind of visit: how long it takes and the rules for booking it.
#[napi(object)]
pub struct VisitType {
    pub id: String,
    pub version: f64,
    /// Short code, e.g. `new-patient`.
    pub code: String,
    pub name: String,
    pub duration_minutes: u32,
    /// Time the practitioner (and room) needs free before the visit.
    pub buffer_before_minutes: u32,
    /// Time the practitioner (and room) needs free after the visit.
    pub buffer_after_minutes: u32,
    /// A visit cannot be booked to start sooner than this after now.
    pub min_notice_minutes: u32,
    /// A visit cannot be booked further ahead than this.
    pub horizon_days: u32,
    /// At most this many active visits of this type per practitioner per local day.
    pub max_per_day: Option<u32>,
    /// Reminders go out this many minutes before the start (e.g. 2880, 120).
    pub reminder_offsets_minutes: Vec<u32>,
}

/// What defining a visit type takes (absent minutes are 0).
#[napi(object)]
pub struct NewVisitType {
    pub code: String,
    pub name: String,
    pub duration_minutes: f64,
    pub buffer_before_minutes: Option<f64>,
    pub buffer_after_minutes: Option<f64>,
    pub min_notice_minutes: Option<f64>,
    pub horizon_days: f64,
    pub max_per_day: Option<f64>,
    pub reminder_offsets_minutes: Option<Vec<f64>>,
}

/// Why and when an appointment was called off.
#[napi(object)]
pub struct Cancellation {
    /// Reason code (FHIR appointment-cancellation-reason, e.g. `pat`, `prov`).
    pub reason: CancellationReason,
    pub note: Option<String>,
    /// Cancelled inside the clinic's late-cancellation window.
    pub late: bool,
    pub at: String,
    /// The actor who cancelled.
    pub by: String,
}

/// One move of an appointment: where it was before.
#[napi(object)]
pub struct Reschedule {
    pub from_start: String,
    pub from_end: String,
    pub from_practitioner: String,
    pub from_room: Option<String>,
    /// When it moved.
    pub at: String,
    /// The actor who moved it.
    pub by: String,
}

/// A reminder due before an appointment; sent at most once.
#[napi(object)]
pub struct Reminder {
    /// Minutes before the start.
    pub offset_minutes: u32,
    pub due_at: String,
    pub sent_at: Option<String>,
}

/// A patient's visit with a practitioner (and optionally a room).
#[napi(object)]
pub struct Appointment {
    pub id: String,
    pub version: f64,
    pub patient: String,
    pub practitioner: String,
    pub room: Option<String>,
    pub visit_type: String,
    pub status: AppointmentStatus,
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
    /// FHIR elements carebase does not model, kept so an export returns them.
    #[napi(ts_type = "Record<string, unknown>")]
    pub fhir_extra: Option<serde_json::Value>,
    /// The actor who booked it.
    pub booked_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// What booking takes.
#[napi(object)]
pub struct BookAppointment {
    pub patient: String,
    pub practitioner: String,
    pub room: Option<String>,
    pub visit_type: String,
    /// A start the free-slot search would return, RFC 3339.
    pub start: String,
    /// `booked` (default) or `proposed`.
    pub status: Option<AppointmentStatus>,
    /// Free text for staff.
    pub note: Option<String>,
}

/// How a series repeats: every `everyWeeks` weeks at the same local time,
/// until a local date or for a count (at least one of them).
#[napi(object)]
pub struct Recurrence {
    /// 1 = weekly, 2 = fortnightly…
    pub every_weeks: f64,
    /// Last local date an occurrence may fall on (inclusive), `YYYY-MM-DD`.
    pub until: Option<String>,
    /// Number of occurrences, the first included.
    pub count: Option<f64>,
}

/// A recurring series: the first booking and how it repeats.
#[napi(object)]
pub struct BookSeries {
    pub first: BookAppointment,
    pub recurrence: Recurrence,
}

/// Where an appointment moves to.
#[napi(object)]
pub struct RescheduleAppointment {
    /// The new start, RFC 3339.
    pub start: String,
    /// Another practitioner, or the same when absent.
    pub practitioner: Option<String>,
    /// Another room, or the same when absent.
    pub room: Option<String>,
}

/// What cancelling takes.
#[napi(object)]
pub struct CancelAppointment {
    /// Reason code (FHIR appointment-cancellation-reason, e.g. `pat`).
    pub reason: CancellationReason,
    /// Free text for staff; never copied into events or errors.
    pub note: Option<String>,
}

/// A free slot: bookable as is.
#[napi(object)]
pub struct Slot {
    pub practitioner: String,
    /// The room asked for, if any.
    pub room: Option<String>,
    pub start: String,
    pub end: String,
}

/// A free-slot search.
#[napi(object)]
pub struct SlotQuery {
    /// The visit type (duration, buffers, notice, horizon, limits).
    pub visit_type: String,
    /// Practitioners to consider (at least one).
    pub practitioners: Vec<String>,
    /// A room that must be free too.
    pub room: Option<String>,
    /// Slots starting at or after this instant…
    pub from: String,
    /// …and before this one (at most 92 days later).
    pub to: String,
    /// Page size (1–500, default 20).
    pub limit: Option<f64>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of free slots, ordered by start then practitioner id.
#[napi(object)]
pub struct SlotPage {
    pub slots: Vec<Slot>,
    /// Pass back as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Appointments of one patient or one practitioner starting in a range.
#[napi(object)]
pub struct AppointmentQuery {
    /// Only this patient's.
    pub patient: Option<String>,
    /// Only this practitioner's (their schedule, when no patient is given).
    pub practitioner: Option<String>,
    /// Starting at or after.
    pub from: String,
    /// Starting before.
    pub to: String,
    /// Include cancelled and no-show appointments.
    pub include_inactive: Option<bool>,
    /// At most this many (1–1000, default 100).
    pub limit: Option<f64>,
}

/// A reminder that is due and not yet sent.
#[napi(object)]
pub struct DueReminder {
    pub appointment: String,
    /// Its patient (to notify).
    pub patient: String,
    pub practitioner: String,
    /// The appointment's start.
    pub start: String,
    /// Minutes before the start.
    pub offset_minutes: u32,
    pub due_at: String,
}

/// What importing a FHIR R4 Appointment kept elsewhere takes.
#[napi(object)]
pub struct FhirAppointmentImport {
    /// The FHIR R4 Appointment resource, as parsed JSON (bounded by core as
    /// a document: nested too deep, too large or too long is a validation
    /// error naming `resource` or the path inside it).
    #[napi(ts_type = "Record<string, unknown>")]
    pub resource: crate::document::JsonDocument,
    /// The visit type; when absent, the one whose `code` equals a code of
    /// `appointmentType.coding` (ignoring case).
    pub visit_type: Option<String>,
    /// Reference text used in the resource (e.g. `Patient/example`) → carebase
    /// id; `Type/<uuid>` references resolve without an entry.
    pub references: Option<std::collections::BTreeMap<String, String>>,
    /// A migration import: the record of a system being replaced, kept as it
    /// was instead of passing the booking rules; needs `appointment.migrate`
    /// and is flagged in the audit.
    pub migration: Option<bool>,
}
