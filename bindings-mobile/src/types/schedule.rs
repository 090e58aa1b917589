//! Scheduling set-up, mirroring core's `schedule` module: practitioners and
//! their availability (local times in the practitioner's zone), rooms and
//! devices, visit types, and the free-slot search.
//! Appointments themselves are in `appointment.rs`.

use super::*;

mirror_enum!(
    /// A day of the week, in the practitioner's own calendar.
    Weekday <=> cbs::Weekday { Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday }
);
mirror_enum!(
    /// What kind of thing a bookable resource is.
    ResourceKind <=> cbs::ResourceKind { Room, Equipment }
);

/// Every item of `items` converted, or `None` once any failed (all are
/// converted first, so every bad field is recorded).
fn all<T>(items: Vec<Option<T>>) -> Option<Vec<T>> {
    items.into_iter().collect()
}

/// A window of local wall-clock time within one day (`start < end`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TimeWindow {
    /// Local start `HH:MM`.
    pub start: String,
    /// Local end `HH:MM` (exclusive).
    pub end: String,
}

impl From<cbs::TimeWindow> for TimeWindow {
    fn from(w: cbs::TimeWindow) -> Self {
        Self {
            start: hhmm(w.start),
            end: hhmm(w.end),
        }
    }
}

impl TimeWindow {
    fn into_core(self, f: &mut Fields, at: &str) -> Option<cbs::TimeWindow> {
        let start = f.take(local_time(&format!("{at}start"), &self.start));
        let end = f.take(local_time(&format!("{at}end"), &self.end));
        Some(cbs::TimeWindow {
            start: start?,
            end: end?,
        })
    }
}

/// Recurring weekly hours: "Mondays 09:00–12:00 from 1 March".
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WeeklyHours {
    /// The day.
    pub weekday: Weekday,
    /// Local start `HH:MM`.
    pub start: String,
    /// Local end `HH:MM` (exclusive).
    pub end: String,
    /// First local date the hours apply (`yyyy-mm-dd`, inclusive).
    #[uniffi(default)]
    pub valid_from: Option<String>,
    /// Last local date the hours apply (`yyyy-mm-dd`, inclusive).
    #[uniffi(default)]
    pub valid_until: Option<String>,
}

impl From<cbs::WeeklyHours> for WeeklyHours {
    fn from(w: cbs::WeeklyHours) -> Self {
        Self {
            weekday: w.weekday.into(),
            start: hhmm(w.start),
            end: hhmm(w.end),
            valid_from: w.valid_from.map(ymd),
            valid_until: w.valid_until.map(ymd),
        }
    }
}

impl WeeklyHours {
    fn into_core(self, f: &mut Fields, at: &str) -> Option<cbs::WeeklyHours> {
        let start = f.take(local_time(&format!("{at}start"), &self.start));
        let end = f.take(local_time(&format!("{at}end"), &self.end));
        let valid_from =
            f.opt((self.valid_from.as_deref()).map(|d| date(&format!("{at}valid_from"), d)));
        let valid_until =
            f.opt((self.valid_until.as_deref()).map(|d| date(&format!("{at}valid_until"), d)));
        Some(cbs::WeeklyHours {
            weekday: self.weekday.into(),
            start: start?,
            end: end?,
            valid_from,
            valid_until,
        })
    }
}

/// One date that differs from the weekly pattern: with no `extra_hours` the
/// weekly hours of that date are off; with them, the window is added. The
/// exceptions of one date combine, so a day off plus extra hours on the same
/// date replaces that date's weekly hours by the extra hours.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DateException {
    /// The local date `yyyy-mm-dd`.
    pub date: String,
    /// Extra hours on that date; `null` means a day off.
    #[uniffi(default)]
    pub extra_hours: Option<TimeWindow>,
}

impl From<cbs::DateException> for DateException {
    fn from(e: cbs::DateException) -> Self {
        Self {
            date: ymd(e.date),
            extra_hours: e.extra_hours.map(Into::into),
        }
    }
}

impl DateException {
    fn into_core(self, f: &mut Fields, at: &str) -> Option<cbs::DateException> {
        let day = f.take(date(&format!("{at}date"), &self.date));
        // A window that fails to parse is recorded in `f`, which fails the whole.
        let extra_hours =
            (self.extra_hours).and_then(|w| w.into_core(f, &format!("{at}extra_hours.")));
        Some(cbs::DateException {
            date: day?,
            extra_hours,
        })
    }
}

/// An absence between two instants (holiday, conference, sick leave).
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct TimeOff {
    /// Start (RFC 3339, inclusive).
    pub start: String,
    /// End (RFC 3339, exclusive).
    pub end: String,
    /// Free text for staff; never copied into events or errors.
    #[uniffi(default)]
    pub reason: Option<String>,
}

impl std::fmt::Debug for TimeOff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimeOff")
            .field("start", &self.start)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

impl From<cbs::TimeOff> for TimeOff {
    fn from(t: cbs::TimeOff) -> Self {
        Self {
            start: ts(t.start),
            end: ts(t.end),
            reason: t.reason,
        }
    }
}

impl TimeOff {
    fn into_core(self, f: &mut Fields, at: &str) -> Option<cbs::TimeOff> {
        let start = f.take(instant(&format!("{at}start"), &self.start));
        let end = f.take(instant(&format!("{at}end"), &self.end));
        Some(cbs::TimeOff {
            start: start?,
            end: end?,
            reason: self.reason,
        })
    }
}

/// When a practitioner can be booked, in their own time zone.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Availability {
    /// Weekly hours (several windows a day allowed; windows that apply on
    /// the same date must not overlap: `overlaps` on the later one).
    #[uniffi(default)]
    pub weekly: Vec<WeeklyHours>,
    /// Days off and extra hours on given dates. A date's extra hours must
    /// not overlap each other nor the weekly hours they are added to.
    #[uniffi(default)]
    pub exceptions: Vec<DateException>,
    /// Absences.
    #[uniffi(default)]
    pub time_off: Vec<TimeOff>,
    /// The slot grid: starts fall every `slot_minutes` from a window's start.
    #[uniffi(default = 15)]
    pub slot_minutes: u32,
    /// At most this many active appointments per local day (any visit type).
    #[uniffi(default)]
    pub max_per_day: Option<u32>,
}

impl From<cbs::Availability> for Availability {
    fn from(a: cbs::Availability) -> Self {
        Self {
            weekly: map(a.weekly),
            exceptions: map(a.exceptions),
            time_off: map(a.time_off),
            slot_minutes: a.slot_minutes,
            max_per_day: a.max_per_day,
        }
    }
}

impl Availability {
    /// Core availability; unparseable times and dates are recorded in `f`
    /// under `prefix` (core's own field paths).
    pub(crate) fn into_core(self, f: &mut Fields, prefix: &str) -> Option<cbs::Availability> {
        let weekly: Vec<_> = (self.weekly.into_iter().enumerate())
            .map(|(i, w)| w.into_core(f, &format!("{prefix}weekly[{i}].")))
            .collect();
        let exceptions: Vec<_> = (self.exceptions.into_iter().enumerate())
            .map(|(i, e)| e.into_core(f, &format!("{prefix}exceptions[{i}].")))
            .collect();
        let time_off: Vec<_> = (self.time_off.into_iter().enumerate())
            .map(|(i, t)| t.into_core(f, &format!("{prefix}time_off[{i}].")))
            .collect();
        Some(cbs::Availability {
            weekly: all(weekly)?,
            exceptions: all(exceptions)?,
            time_off: all(time_off)?,
            slot_minutes: self.slot_minutes,
            max_per_day: self.max_per_day,
        })
    }
}

impl TryFrom<Availability> for cbs::Availability {
    type Error = cb::Error;
    fn try_from(a: Availability) -> cb::Result<Self> {
        let mut f = Fields::default();
        let availability = a.into_core(&mut f, "");
        f.done(|| availability)
    }
}

/// A person who sees patients. Actors are linked through `Actor.practitioner`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Practitioner {
    /// Id (the one `Actor.practitioner` carries).
    pub id: String,
    /// Optimistic-concurrency version, 1 on creation.
    pub version: u64,
    /// Display name (staff data, not patient data).
    pub name: String,
    /// IANA time zone the availability is written in, e.g. `Europe/Berlin`.
    pub time_zone: String,
    /// When they can be booked.
    pub availability: Availability,
    /// Inactive practitioners cannot be booked.
    pub active: bool,
    /// Created.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
}

impl From<cbs::Practitioner> for Practitioner {
    fn from(p: cbs::Practitioner) -> Self {
        Self {
            id: p.id.to_string(),
            version: p.version,
            name: p.name,
            time_zone: p.time_zone,
            availability: p.availability.into(),
            active: p.active,
            created_at: ts(p.created_at),
            updated_at: ts(p.updated_at),
        }
    }
}

/// What adding a practitioner takes.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NewPractitioner {
    /// Display name.
    pub name: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Initial availability.
    #[uniffi(default)]
    pub availability: Availability,
    /// An id the host already uses for this person (actors, care teams);
    /// a fresh one when `null`.
    #[uniffi(default)]
    pub id: Option<String>,
}

impl TryFrom<NewPractitioner> for cbs::NewPractitioner {
    type Error = cb::Error;
    fn try_from(n: NewPractitioner) -> cb::Result<Self> {
        let mut f = Fields::default();
        let id = f.opt(n.id.as_deref().map(|i| practitioner_id("id", i)));
        let availability = n.availability.into_core(&mut f, "availability.");
        f.done(|| {
            Some(cbs::NewPractitioner {
                id,
                name: n.name,
                time_zone: n.time_zone,
                availability: availability?,
            })
        })
    }
}

/// A room or piece of equipment that can be booked with an appointment.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Resource {
    /// Id.
    pub id: String,
    /// Version.
    pub version: u64,
    /// Room or equipment.
    pub kind: ResourceKind,
    /// Display name.
    pub name: String,
    /// IANA time zone of where it is.
    pub time_zone: String,
    /// Inactive resources cannot be booked.
    pub active: bool,
}

impl From<cbs::Resource> for Resource {
    fn from(r: cbs::Resource) -> Self {
        Self {
            id: r.id.to_string(),
            version: r.version,
            kind: r.kind.into(),
            name: r.name,
            time_zone: r.time_zone,
            active: r.active,
        }
    }
}

/// What adding a resource takes.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NewResource {
    /// Room or equipment.
    pub kind: ResourceKind,
    /// Display name.
    pub name: String,
    /// IANA time zone.
    pub time_zone: String,
}

impl From<NewResource> for cbs::NewResource {
    fn from(n: NewResource) -> Self {
        Self {
            kind: n.kind.into(),
            name: n.name,
            time_zone: n.time_zone,
        }
    }
}

/// A kind of visit: how long it takes and the rules for booking it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct VisitType {
    /// Id.
    pub id: String,
    /// Version.
    pub version: u64,
    /// Short code, e.g. `new-patient`.
    pub code: String,
    /// Display name, e.g. "New patient".
    pub name: String,
    /// Length of the visit.
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

impl From<cbs::VisitType> for VisitType {
    fn from(v: cbs::VisitType) -> Self {
        Self {
            id: v.id.to_string(),
            version: v.version,
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

/// What defining a visit type takes (every rule of [`VisitType`] but its id).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NewVisitType {
    /// Short code, unique in the clinic by convention.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Length of the visit.
    pub duration_minutes: u32,
    /// Booking horizon.
    pub horizon_days: u32,
    /// Buffer before.
    #[uniffi(default = 0)]
    pub buffer_before_minutes: u32,
    /// Buffer after.
    #[uniffi(default = 0)]
    pub buffer_after_minutes: u32,
    /// Minimum notice.
    #[uniffi(default = 0)]
    pub min_notice_minutes: u32,
    /// Per-day limit.
    #[uniffi(default)]
    pub max_per_day: Option<u32>,
    /// Reminder offsets.
    #[uniffi(default)]
    pub reminder_offsets_minutes: Vec<u32>,
}

impl From<NewVisitType> for cbs::NewVisitType {
    fn from(n: NewVisitType) -> Self {
        Self {
            code: n.code,
            name: n.name,
            duration_minutes: n.duration_minutes,
            buffer_before_minutes: n.buffer_before_minutes,
            buffer_after_minutes: n.buffer_after_minutes,
            min_notice_minutes: n.min_notice_minutes,
            horizon_days: n.horizon_days,
            max_per_day: n.max_per_day,
            reminder_offsets_minutes: n.reminder_offsets_minutes,
        }
    }
}

/// A free slot: bookable as is.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Slot {
    /// The practitioner.
    pub practitioner: String,
    /// The room asked for, if any.
    pub room: Option<String>,
    /// Start.
    pub start: String,
    /// End.
    pub end: String,
}

impl From<cbs::Slot> for Slot {
    fn from(s: cbs::Slot) -> Self {
        Self {
            practitioner: s.practitioner.to_string(),
            room: ids(s.room),
            start: ts(s.start),
            end: ts(s.end),
        }
    }
}

/// A free-slot search.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SlotQuery {
    /// The visit type (duration, buffers, notice, horizon, limits).
    pub visit_type: String,
    /// Practitioners to consider (at least one).
    pub practitioners: Vec<String>,
    /// Slots starting at or after this instant…
    pub from: String,
    /// …and before this one (at most 92 days later).
    pub to: String,
    /// A room that must be free too.
    #[uniffi(default)]
    pub room: Option<String>,
    /// Page size (1–500, default 20).
    #[uniffi(default)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[uniffi(default)]
    pub cursor: Option<String>,
}

impl TryFrom<SlotQuery> for cbs::SlotQuery {
    type Error = cb::Error;
    fn try_from(q: SlotQuery) -> cb::Result<Self> {
        let mut f = Fields::default();
        let visit_type = f.take(visit_type_id("visit_type", &q.visit_type));
        let practitioners: Vec<_> = (q.practitioners.iter().enumerate())
            .map(|(i, p)| f.take(practitioner_id(&format!("practitioners[{i}]"), p)))
            .collect();
        let room = f.opt(q.room.as_deref().map(|r| resource_id("room", r)));
        let from = f.take(instant("from", &q.from));
        let to = f.take(instant("to", &q.to));
        f.done(|| {
            Some(cbs::SlotQuery {
                visit_type: visit_type?,
                practitioners: all(practitioners)?,
                room,
                from: from?,
                to: to?,
                limit: q.limit,
                cursor: q.cursor,
            })
        })
    }
}

/// One page of free slots, ordered by start then practitioner id.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SlotPage {
    /// The slots.
    pub slots: Vec<Slot>,
    /// Pass back as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl From<cbs::SlotPage> for SlotPage {
    fn from(p: cbs::SlotPage) -> Self {
        Self {
            slots: map(p.slots),
            next_cursor: p.next_cursor,
        }
    }
}
