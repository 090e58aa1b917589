//! What is asked of the schedule and what it answers: free-slot searches
//! and their pages, the busy spans and per-day counts the slot rules read,
//! appointment listings and due reminders.

use crate::Count32;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Appointment;
use crate::ids::{AppointmentId, PatientId, PractitionerId, ResourceId, VisitTypeId};
use crate::schedule::slots::DayLimits;

/// A free slot: bookable as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Slot {
    /// The practitioner.
    pub practitioner: PractitionerId,
    /// The room asked for, if any.
    pub room: Option<ResourceId>,
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
}

/// A free-slot search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SlotQuery {
    /// The visit type (duration, buffers, notice, horizon, limits).
    pub visit_type: VisitTypeId,
    /// Practitioners to consider (at least one, at most
    /// [`MAX_SLOT_PRACTITIONERS`](crate::limits::MAX_SLOT_PRACTITIONERS)).
    pub practitioners: Vec<PractitionerId>,
    /// A room that must be free too.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub room: Option<ResourceId>,
    /// Slots starting at or after this instant…
    #[serde(deserialize_with = "crate::instant::strict::instant")]
    pub from: DateTime<Utc>,
    /// …and before this one (at most 92 days later).
    #[serde(deserialize_with = "crate::instant::strict::instant")]
    pub to: DateTime<Utc>,
    /// Page size (1–500, default 20).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub limit: Option<Count32>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub cursor: Option<String>,
}

/// One page of free slots, ordered by start then practitioner id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SlotPage {
    /// The slots.
    pub slots: Vec<Slot>,
    /// Pass back as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// The part of an active appointment the slot rules need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusySpan {
    /// The appointment.
    pub appointment: AppointmentId,
    /// Its patient.
    pub patient: PatientId,
    /// Its practitioner.
    pub practitioner: PractitionerId,
    /// Its room.
    pub room: Option<ResourceId>,
    /// Its visit type.
    pub visit_type: VisitTypeId,
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
    /// Blocked from (with buffer).
    pub blocked_from: DateTime<Utc>,
    /// Blocked until (with buffer).
    pub blocked_until: DateTime<Utc>,
}

impl From<&Appointment> for BusySpan {
    fn from(a: &Appointment) -> Self {
        Self {
            appointment: a.id,
            patient: a.patient,
            practitioner: a.practitioner,
            room: a.room,
            visit_type: a.visit_type,
            start: a.start,
            end: a.end,
            blocked_from: a.blocked_from,
            blocked_until: a.blocked_until,
        }
    }
}

/// Which active appointments to load: those of the practitioners or rooms
/// whose blocked time overlaps `[from, to)`, and those of the patients whose
/// visit time overlaps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusyQuery {
    /// Practitioners.
    pub practitioners: Vec<PractitionerId>,
    /// Rooms.
    pub rooms: Vec<ResourceId>,
    /// Patients.
    pub patients: Vec<PatientId>,
    /// From (inclusive).
    pub from: DateTime<Utc>,
    /// To (exclusive).
    pub to: DateTime<Utc>,
}

/// How many active appointments practitioners have starting in given
/// ranges: per-day limits need counts, not the bookings themselves, and a
/// count is cheap to read for every practitioner of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountQuery {
    /// Counted separately too ([`AppointmentCount::of_visit_type`]).
    pub visit_type: VisitTypeId,
    /// The ranges, each of one practitioner (a local day, say).
    pub ranges: Vec<CountRange>,
}

/// Appointments of one practitioner starting in `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountRange {
    /// The practitioner.
    pub practitioner: PractitionerId,
    /// From (inclusive).
    pub from: DateTime<Utc>,
    /// To (exclusive).
    pub to: DateTime<Utc>,
}

/// Active appointments starting in one [`CountRange`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppointmentCount {
    /// All of them.
    pub all: u32,
    /// Those of the query's visit type.
    pub of_visit_type: u32,
}

/// A per-day limit to hold after a change set's appointments are written:
/// the practitioner's active appointments starting in `range` (a local day,
/// computed by core) must stay within `limits`, those of `visit_type`
/// counted for its own limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayLimitCheck {
    /// The field a violation is reported on (`start`, `occurrences[2].start`).
    pub field: String,
    /// The practitioner's local day.
    pub range: CountRange,
    /// The visit type booked.
    pub visit_type: VisitTypeId,
    /// The limits.
    pub limits: DayLimits,
}

impl DayLimitCheck {
    /// `Ok` when `count` (read after the writes) is within the limits, else
    /// the validation error a pre-check would have given.
    pub fn verify(&self, count: AppointmentCount) -> crate::Result<()> {
        match self.limits.exceeded(count) {
            None => Ok(()),
            Some(why) => Err(crate::Error::invalid(
                self.field.clone(),
                why.code(),
                why.message(),
            )),
        }
    }
}

/// Appointments of one patient or one practitioner starting in a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AppointmentQuery {
    /// Only this patient's.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub patient: Option<PatientId>,
    /// Only this practitioner's.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub practitioner: Option<PractitionerId>,
    /// Starting at or after.
    #[serde(deserialize_with = "crate::instant::strict::instant")]
    pub from: DateTime<Utc>,
    /// Starting before.
    #[serde(deserialize_with = "crate::instant::strict::instant")]
    pub to: DateTime<Utc>,
    /// Include cancelled and no-show appointments.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub include_inactive: bool,
    /// At most this many (1–1000, default 100).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub limit: Option<Count32>,
}

/// A reminder that is due and not yet sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DueReminder {
    /// The appointment.
    pub appointment: AppointmentId,
    /// Its patient (to notify).
    pub patient: PatientId,
    /// Its practitioner.
    pub practitioner: PractitionerId,
    /// Its start.
    pub start: DateTime<Utc>,
    /// Minutes before the start.
    pub offset_minutes: Count32,
    /// When it is due.
    pub due_at: DateTime<Utc>,
}
