//! The scheduling records: who can be booked, when, for what, and the
//! appointments themselves.

mod queries;

use crate::{Count32, Count64};
use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use validator::Validate;

use super::validate::{MAX_BLOCK_MINUTES, MAX_SERIES};
use crate::codes::code_enum;
use crate::ids::{
    ActorId, AppointmentId, EntryId, PatientId, PractitionerId, ResourceId, SeriesId, VisitTypeId,
};
use crate::limits::{
    MAX_DISPLAY_NAME_CHARS, MAX_NOTE_CHARS, MAX_TIME_OFF_REASON_CHARS, MAX_TIME_ZONE_CHARS,
};
use crate::validation::{bound, not_blank, printable_text};

pub use queries::{
    AppointmentCount, AppointmentQuery, BusyQuery, BusySpan, CountQuery, CountRange, DayLimitCheck,
    DueReminder, Slot, SlotPage, SlotQuery,
};

code_enum! {
    /// A day of the week, in the practitioner's own calendar.
    #[derive(PartialOrd, Ord)]
    pub enum Weekday {
        /// Monday.
        Monday = "monday",
        /// Tuesday.
        Tuesday = "tuesday",
        /// Wednesday.
        Wednesday = "wednesday",
        /// Thursday.
        Thursday = "thursday",
        /// Friday.
        Friday = "friday",
        /// Saturday.
        Saturday = "saturday",
        /// Sunday.
        Sunday = "sunday",
    }
}

impl Weekday {
    /// chrono's weekday.
    pub fn to_chrono(self) -> chrono::Weekday {
        match self {
            Weekday::Monday => chrono::Weekday::Mon,
            Weekday::Tuesday => chrono::Weekday::Tue,
            Weekday::Wednesday => chrono::Weekday::Wed,
            Weekday::Thursday => chrono::Weekday::Thu,
            Weekday::Friday => chrono::Weekday::Fri,
            Weekday::Saturday => chrono::Weekday::Sat,
            Weekday::Sunday => chrono::Weekday::Sun,
        }
    }
}

/// A window of local wall-clock time within one day (`start < end`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TimeWindow {
    /// Local start.
    pub start: NaiveTime,
    /// Local end (exclusive).
    pub end: NaiveTime,
}

/// Recurring weekly hours: "Mondays 09:00–12:00 from 1 March".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WeeklyHours {
    /// The day.
    pub weekday: Weekday,
    /// Local start.
    pub start: NaiveTime,
    /// Local end (exclusive).
    pub end: NaiveTime,
    /// First local date the hours apply (inclusive).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[serde(deserialize_with = "crate::instant::strict::option_date")]
    pub valid_from: Option<NaiveDate>,
    /// Last local date the hours apply (inclusive).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[serde(deserialize_with = "crate::instant::strict::option_date")]
    pub valid_until: Option<NaiveDate>,
}

impl WeeklyHours {
    /// Whether these hours apply on local `date`: its weekday, inside the
    /// validity (day offs aside).
    pub(crate) fn applies_on(&self, date: NaiveDate) -> bool {
        use chrono::Datelike;
        self.weekday.to_chrono() == date.weekday()
            && self.valid_from.is_none_or(|from| from <= date)
            && self.valid_until.is_none_or(|until| date <= until)
    }
}

/// One date that differs from the weekly pattern: with no `extra_hours` the
/// weekly hours of that date are off; with them, the window is added. The
/// exceptions of one date combine, so a day off plus extra hours on the same
/// date replaces that date's weekly hours by the extra hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DateException {
    /// The local date.
    #[serde(deserialize_with = "crate::instant::strict::date")]
    pub date: NaiveDate,
    /// Extra hours on that date; `None` means a day off.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub extra_hours: Option<TimeWindow>,
}

/// An absence between two instants (holiday, conference, sick leave).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = ["start", "end"])))]
pub struct TimeOff {
    /// Start (inclusive).
    #[serde(deserialize_with = "crate::instant::strict::instant")]
    pub start: DateTime<Utc>,
    /// End (exclusive).
    #[serde(deserialize_with = "crate::instant::strict::instant")]
    pub end: DateTime<Utc>,
    /// Free text for staff; never copied into events or errors.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[validate(
        length(max = bound(MAX_TIME_OFF_REASON_CHARS), code = "too_long"),
        custom(function = "printable_text")
    )]
    pub reason: Option<String>,
}

impl fmt::Debug for TimeOff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimeOff")
            .field("start", &self.start)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

/// When a practitioner can be booked, in their own time zone. Every field
/// may be left out and keeps its default (no hours, a 15-minute grid).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct Availability {
    /// Weekly hours (several windows a day allowed; they must not overlap
    /// on any date both apply; at most
    /// [`MAX_WEEKLY_HOURS`](crate::limits::MAX_WEEKLY_HOURS)).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub weekly: Vec<WeeklyHours>,
    /// Days off and extra hours on given dates (at most
    /// [`MAX_DATE_EXCEPTIONS`](crate::limits::MAX_DATE_EXCEPTIONS)). A date's
    /// extra hours must not overlap each other nor the weekly hours they are
    /// added to; a day off plus extra hours on one date means only the extra
    /// hours.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub exceptions: Vec<DateException>,
    /// Absences (at most [`MAX_TIME_OFF`](crate::limits::MAX_TIME_OFF)).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub time_off: Vec<TimeOff>,
    /// The slot grid: starts fall every `slot_minutes` from a window's start
    /// (every [`DEFAULT_SLOT_MINUTES`] unless given).
    #[serde(default = "default_slot_minutes")]
    #[cfg_attr(feature = "uniffi", uniffi(default = 15))]
    #[validate(range(min = Count32::new(1), max = Count32::new(240), code = "out_of_range"))]
    pub slot_minutes: Count32,
    /// At most this many active appointments per local day (any visit type).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[validate(range(min = Count32::new(1), max = Count32::new(1000), code = "out_of_range"))]
    pub max_per_day: Option<Count32>,
}

/// The slot grid when none is given, in every host (the Kotlin/Swift
/// default of `slot_minutes` is this literal; a core test ties them).
pub const DEFAULT_SLOT_MINUTES: u32 = 15;

fn default_slot_minutes() -> Count32 {
    Count32::new(DEFAULT_SLOT_MINUTES)
}

impl Default for Availability {
    fn default() -> Self {
        Self {
            weekly: Vec::new(),
            exceptions: Vec::new(),
            time_off: Vec::new(),
            slot_minutes: Count32::new(DEFAULT_SLOT_MINUTES),
            max_per_day: None,
        }
    }
}

/// A person who sees patients. Actors are linked through `Actor::practitioner`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Practitioner {
    /// Id (the one `Actor::practitioner` carries).
    pub id: PractitionerId,
    /// Optimistic-concurrency version, 1 on creation.
    pub version: Count64,
    /// Display name (staff data, not patient data).
    pub name: String,
    /// IANA time zone the availability is written in, e.g. `Europe/Berlin`.
    pub time_zone: String,
    /// When they can be booked.
    pub availability: Availability,
    /// Inactive practitioners cannot be booked.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// What a FHIR import kept that carebase does not model (identifiers,
    /// qualifications, telecom…), so an export gives back what came in (see
    /// [`crate::schedule::fhir::practitioner`]). Staff data, not patient data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub fhir_extra: Option<Value>,
}

/// What adding a practitioner takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NewPractitioner {
    /// An id the host already uses for this person (e.g. in actors and care
    /// teams); a fresh one when `None`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub id: Option<PractitionerId>,
    /// Display name.
    #[validate(
        length(max = bound(MAX_DISPLAY_NAME_CHARS), code = "too_long"),
        non_control_character(code = "invalid_format", message = "must not contain control characters"),
        custom(function = "not_blank")
    )]
    pub name: String,
    /// IANA time zone.
    #[validate(
        length(max = bound(MAX_TIME_ZONE_CHARS), code = "unknown_time_zone", message = "not an iana time zone name"),
        custom(function = "super::validate::iana_zone")
    )]
    pub time_zone: String,
    /// Initial availability.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub availability: Availability,
}

code_enum! {
    /// What kind of thing a bookable resource is.
    pub enum ResourceKind {
        /// A consulting or treatment room.
        Room = "room",
        /// A device (ultrasound, ECG…).
        Equipment = "equipment",
    }
}

/// A room or piece of equipment that can be booked with an appointment.
/// It has no hours of its own: it is free whenever it is not booked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Resource {
    /// Id.
    pub id: ResourceId,
    /// Version.
    pub version: Count64,
    /// Room or equipment.
    pub kind: ResourceKind,
    /// Display name.
    pub name: String,
    /// IANA time zone of where it is.
    pub time_zone: String,
    /// Inactive resources cannot be booked.
    pub active: bool,
}

/// What adding a resource takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NewResource {
    /// Room or equipment.
    pub kind: ResourceKind,
    /// Display name.
    #[validate(
        length(max = bound(MAX_DISPLAY_NAME_CHARS), code = "too_long"),
        non_control_character(code = "invalid_format", message = "must not contain control characters"),
        custom(function = "not_blank")
    )]
    pub name: String,
    /// IANA time zone.
    #[validate(
        length(max = bound(MAX_TIME_ZONE_CHARS), code = "unknown_time_zone", message = "not an iana time zone name"),
        custom(function = "super::validate::iana_zone")
    )]
    pub time_zone: String,
}

/// A kind of visit: how long it takes and the rules for booking it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct VisitType {
    /// Id.
    pub id: VisitTypeId,
    /// Version.
    pub version: Count64,
    /// Short code, e.g. `new-patient`.
    pub code: String,
    /// Display name, e.g. "New patient".
    pub name: String,
    /// Length of the visit.
    pub duration_minutes: Count32,
    /// Time the practitioner (and room) needs free before the visit.
    pub buffer_before_minutes: Count32,
    /// Time the practitioner (and room) needs free after the visit.
    pub buffer_after_minutes: Count32,
    /// A visit cannot be booked to start sooner than this after now.
    pub min_notice_minutes: Count32,
    /// A visit cannot be booked further ahead than this.
    pub horizon_days: Count32,
    /// At most this many active visits of this type per practitioner per local day.
    pub max_per_day: Option<Count32>,
    /// Reminders go out this many minutes before the start (e.g. 2880, 120).
    pub reminder_offsets_minutes: Vec<Count32>,
}

/// What defining a visit type takes (every rule of [`VisitType`] but its id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NewVisitType {
    /// Short code, unique in the clinic by convention.
    #[validate(custom(function = "super::validate::code_format"))]
    pub code: String,
    /// Display name.
    #[validate(
        length(max = bound(MAX_DISPLAY_NAME_CHARS), code = "too_long"),
        non_control_character(code = "invalid_format", message = "must not contain control characters"),
        custom(function = "not_blank")
    )]
    pub name: String,
    /// Length of the visit (1 minute to a day).
    #[validate(range(min = Count32::new(1), max = Count32::new(MAX_BLOCK_MINUTES), code = "out_of_range"))]
    pub duration_minutes: Count32,
    /// Buffer before (at most 4 hours).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[validate(range(min = Count32::new(0), max = Count32::new(240), code = "out_of_range"))]
    pub buffer_before_minutes: Count32,
    /// Buffer after (at most 4 hours).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[validate(range(min = Count32::new(0), max = Count32::new(240), code = "out_of_range"))]
    pub buffer_after_minutes: Count32,
    /// Minimum notice (at most a year).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[validate(range(min = Count32::new(0), max = Count32::new(525_600), code = "out_of_range"))]
    pub min_notice_minutes: Count32,
    /// Booking horizon (1 day to 10 years).
    #[validate(range(min = Count32::new(1), max = Count32::new(3650), code = "out_of_range"))]
    pub horizon_days: Count32,
    /// Per-day limit.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[validate(range(min = Count32::new(1), max = Count32::new(1000), code = "out_of_range"))]
    pub max_per_day: Option<Count32>,
    /// Reminder offsets (at most [`MAX_REMINDERS`](crate::limits::MAX_REMINDERS), each once, 1 minute to
    /// 30 days).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub reminder_offsets_minutes: Vec<Count32>,
}

code_enum! {
    /// The FHIR appointment life cycle (the subset carebase drives).
    pub enum AppointmentStatus {
        /// Held but not confirmed.
        Proposed = "proposed",
        /// Confirmed.
        Booked = "booked",
        /// The patient is here.
        Arrived = "arrived",
        /// The visit took place.
        Fulfilled = "fulfilled",
        /// Called off.
        Cancelled = "cancelled",
        /// The patient did not come.
        Noshow = "noshow",
    }
}

impl AppointmentStatus {
    /// Whether an appointment in this status holds its time: proposed,
    /// booked, arrived and fulfilled do; cancelled and no-show free it.
    pub fn is_active(&self) -> bool {
        !matches!(
            self,
            AppointmentStatus::Cancelled | AppointmentStatus::Noshow
        )
    }

    /// Whether `self → next` is an allowed move.
    pub fn can_become(&self, next: AppointmentStatus) -> bool {
        use AppointmentStatus::*;
        matches!(
            (self, next),
            (Proposed, Booked)
                | (Proposed, Cancelled)
                | (Booked, Arrived)
                | (Booked, Cancelled)
                | (Booked, Noshow)
                | (Arrived, Fulfilled)
        )
    }
}

code_enum! {
    /// Why an appointment was called off: the FHIR R4 code system
    /// `http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason`,
    /// with its codes as written there.
    /// A closed set, so the `appointment.cancelled` event carries a code and
    /// never free text; say the rest in the cancellation's note.
    pub enum CancellationReason {
        /// Patient.
        Pat = "pat",
        /// Patient: cancelled via the automated reminder system.
        PatCrs = "pat-crs",
        /// Patient: cancelled via the patient portal.
        PatCpp = "pat-cpp",
        /// Patient: deceased.
        PatDec = "pat-dec",
        /// Patient: feeling better.
        PatFb = "pat-fb",
        /// Patient: lack of transportation.
        PatLt = "pat-lt",
        /// Patient: member terminated (no longer covered).
        PatMt = "pat-mt",
        /// Patient: moved.
        PatMv = "pat-mv",
        /// Patient: pregnant.
        PatPreg = "pat-preg",
        /// Patient: scheduled from the wait list.
        PatSwl = "pat-swl",
        /// Patient: unhappy, changed provider.
        PatUcp = "pat-ucp",
        /// Provider.
        Prov = "prov",
        /// Provider: personal.
        ProvPers = "prov-pers",
        /// Provider: discharged.
        ProvDch = "prov-dch",
        /// Provider: education or meeting.
        ProvEdu = "prov-edu",
        /// Provider: hospitalized.
        ProvHosp = "prov-hosp",
        /// Provider: labs out of acceptable range.
        ProvLabs = "prov-labs",
        /// Provider: MRI screening form marked do not proceed.
        ProvMri = "prov-mri",
        /// Provider: oncology treatment plan changes.
        ProvOnc = "prov-onc",
        /// Equipment maintenance or repair.
        Maint = "maint",
        /// Preparation or medication incomplete.
        MedsInc = "meds-inc",
        /// Other.
        Other = "other",
        /// Other: therapy cap service not authorized.
        OthCms = "oth-cms",
        /// Other: error.
        OthErr = "oth-err",
        /// Other: financial.
        OthFin = "oth-fin",
        /// Other: improper IV access or infiltrated IV.
        OthIv = "oth-iv",
        /// Other: no interpreter available.
        OthInt = "oth-int",
        /// Other: preparation, medication or results unavailable.
        OthMu = "oth-mu",
        /// Other: room or resource maintenance.
        OthRoom = "oth-room",
        /// Other: schedule order error.
        OthOerr = "oth-oerr",
        /// Other: silent walk-in error.
        OthSwie = "oth-swie",
        /// Other: weather.
        OthWeath = "oth-weath",
    }
}

impl CancellationReason {
    /// A reason as stored before reasons were a closed set: a known code
    /// reads as itself, anything else as `other` (the old text stays out
    /// of every event and export, as free text must).
    fn read_stored<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Ok(Self::parse(&code).unwrap_or(Self::Other))
    }
}

/// Why and when an appointment was called off.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = ["reason", "late", "at"])))]
pub struct Cancellation {
    /// Reason code (FHIR appointment-cancellation-reason).
    #[serde(deserialize_with = "CancellationReason::read_stored")]
    pub reason: CancellationReason,
    /// Free text; never copied into events or errors.
    pub note: Option<String>,
    /// Cancelled inside the clinic's late-cancellation window.
    pub late: bool,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub by: ActorId,
}

impl fmt::Debug for Cancellation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cancellation")
            .field("reason", &self.reason)
            .field("late", &self.late)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

/// One move of an appointment: where it was before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Reschedule {
    /// Previous start.
    pub from_start: DateTime<Utc>,
    /// Previous end.
    pub from_end: DateTime<Utc>,
    /// Previous practitioner.
    pub from_practitioner: PractitionerId,
    /// Previous room.
    pub from_room: Option<ResourceId>,
    /// When it moved.
    pub at: DateTime<Utc>,
    /// Who moved it.
    pub by: ActorId,
}

/// A reminder due before an appointment; sent at most once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Reminder {
    /// Minutes before the start.
    pub offset_minutes: Count32,
    /// When it is due.
    pub due_at: DateTime<Utc>,
    /// When it was marked sent.
    pub sent_at: Option<DateTime<Utc>>,
}

/// A patient's visit with a practitioner (and optionally a room).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = ["id", "version", "status", "start", "end"])))]
pub struct Appointment {
    /// Id.
    pub id: AppointmentId,
    /// Version.
    pub version: Count64,
    /// The patient.
    pub patient: PatientId,
    /// The practitioner.
    pub practitioner: PractitionerId,
    /// The room or equipment, if any.
    pub room: Option<ResourceId>,
    /// The visit type.
    pub visit_type: VisitTypeId,
    /// Life-cycle status.
    pub status: AppointmentStatus,
    /// Start.
    pub start: DateTime<Utc>,
    /// End (exclusive).
    pub end: DateTime<Utc>,
    /// Start of the time it blocks for the practitioner and room (start − buffer before).
    pub blocked_from: DateTime<Utc>,
    /// End of the time it blocks (end + buffer after).
    pub blocked_until: DateTime<Utc>,
    /// The recurring series it belongs to.
    pub series: Option<SeriesId>,
    /// Set when cancelled.
    pub cancellation: Option<Cancellation>,
    /// Earlier times, oldest first.
    pub reschedules: Vec<Reschedule>,
    /// Reminders still relevant (none once it is cancelled or a no-show).
    pub reminders: Vec<Reminder>,
    /// Free text for staff; never copied into events or errors.
    pub note: Option<String>,
    /// FHIR elements carebase does not model, kept so an export returns them.
    pub fhir_extra: Option<Value>,
    /// The encounter its check-in started (an entry of the patient's
    /// record, whose `appointment` links back).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub encounter: Option<EntryId>,
    /// Who booked it.
    pub booked_by: ActorId,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl fmt::Debug for Appointment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

/// What booking takes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = ["practitioner", "visit_type", "start"])))]
pub struct BookAppointment {
    /// The patient.
    pub patient: PatientId,
    /// The practitioner.
    pub practitioner: PractitionerId,
    /// The room, if any.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub room: Option<ResourceId>,
    /// The visit type.
    pub visit_type: VisitTypeId,
    /// A start the free-slot search would return.
    #[serde(deserialize_with = "crate::instant::strict::instant")]
    pub start: DateTime<Utc>,
    /// `booked` (default) or `proposed`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub status: Option<AppointmentStatus>,
    /// Free text for staff (line breaks allowed, at most [`MAX_NOTE_CHARS`]).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[validate(
        length(max = bound(MAX_NOTE_CHARS), code = "too_long"),
        custom(function = "printable_text")
    )]
    pub note: Option<String>,
}

impl fmt::Debug for BookAppointment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BookAppointment")
            .field("patient", &self.patient)
            .field("practitioner", &self.practitioner)
            .field("room", &self.room)
            .field("visit_type", &self.visit_type)
            .field("start", &self.start)
            .finish_non_exhaustive()
    }
}

/// How a series repeats: every `every_weeks` weeks at the same local time,
/// until a local date or for a count (at least one of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Recurrence {
    /// 1 = weekly, 2 = fortnightly… (at most 52).
    #[validate(range(min = Count32::new(1), max = Count32::new(52), code = "out_of_range"))]
    pub every_weeks: Count32,
    /// Last local date an occurrence may fall on (inclusive).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[serde(deserialize_with = "crate::instant::strict::option_date")]
    pub until: Option<NaiveDate>,
    /// Number of occurrences, the first included.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[validate(range(min = Count32::new(1), max = Count32::new(MAX_SERIES), code = "out_of_range"))]
    pub count: Option<Count32>,
}

/// Where an appointment moves to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RescheduleAppointment {
    /// The new start.
    #[serde(deserialize_with = "crate::instant::strict::instant")]
    pub start: DateTime<Utc>,
    /// Another practitioner, or the same when `None`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub practitioner: Option<PractitionerId>,
    /// Another room, or the same when `None`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub room: Option<ResourceId>,
}

/// What cancelling takes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = ["reason"])))]
pub struct CancelAppointment {
    /// Reason code (FHIR appointment-cancellation-reason, e.g. `pat`).
    pub reason: CancellationReason,
    /// Free text for staff (line breaks allowed, at most [`MAX_NOTE_CHARS`]);
    /// never copied into events or errors.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[validate(
        length(max = bound(MAX_NOTE_CHARS), code = "too_long"),
        custom(function = "printable_text")
    )]
    pub note: Option<String>,
}

impl fmt::Debug for CancelAppointment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelAppointment")
            .field("reason", &self.reason)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_foreign_default_of_the_slot_grid_is_cores() {
        // Kotlin and Swift take the literal of the `uniffi(default)` attribute.
        let declared = format!("uniffi(default = {DEFAULT_SLOT_MINUTES})");
        assert!(include_str!("mod.rs").contains(&declared));
        assert_eq!(Availability::default().slot_minutes, DEFAULT_SLOT_MINUTES);
    }
}
