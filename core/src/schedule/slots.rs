//! The slot rules, as pure functions of loaded state: availability windows
//! in the practitioner's zone (DST-correct), the slot grid, time off, notice,
//! horizon, per-day limits and existing bookings.
//!
//! Local times become instants one at a time through the zone's rules:
//! 09:00 stays 09:00 local across a change; a start in a skipped hour does
//! not exist; a start in a repeated hour is taken once (its first instance).

use crate::Count32;
use std::collections::HashMap;

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use super::model::{
    AppointmentCount, Availability, BusySpan, CountRange, Practitioner, TimeWindow, VisitType,
};
use super::zone::Zone;
use crate::ids::{AppointmentId, PractitionerId, ResourceId};
use crate::BookedResource;

/// The zone of an IANA name, if known.
pub fn zone(name: &str) -> Option<Zone> {
    Zone::named(name)
}

/// The instant a local slot start means: `None` in a skipped hour, the first
/// instance in a repeated hour.
pub fn local_start(tz: &Zone, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// The instant a window boundary means: when the wall clock first shows
/// `local` (a start), or stops showing times before `local` for the last
/// time (an end). In a repeated hour a start takes the first instance; an
/// end takes the second, unless `local` is where the repeat begins (the
/// clock then never shows a time before it again after the first); in a
/// skipped hour both become the instant the clock jumps past `local`.
fn boundary(tz: &Zone, local: NaiveDateTime, is_end: bool) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, second) => {
            let (first, second) = (first.with_timezone(&Utc), second.with_timezone(&Utc));
            let shows_before = |at: DateTime<Utc>| {
                at.checked_sub_signed(Duration::seconds(1))
                    .is_some_and(|t| t.with_timezone(tz).naive_local() < local)
            };
            Some(if is_end && shows_before(second) {
                second
            } else {
                first
            })
        }
        LocalResult::None => Some(jump_past(tz, local)),
    }
}

/// The first instant whose wall time is at or after `local`, for a `local`
/// inside a skipped span (offsets are within ±15 h of UTC, so the instant
/// lies within that distance of `local` read as UTC).
fn jump_past(tz: &Zone, local: NaiveDateTime) -> DateTime<Utc> {
    // Whole seconds: zone transitions fall on them.
    let centre = local.and_utc().timestamp();
    let (mut lo, mut hi) = (centre - 15 * 3600, centre + 15 * 3600);
    let at = |secs: i64| DateTime::from_timestamp(secs, 0).unwrap_or_default();
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if at(mid).with_timezone(tz).naive_local() >= local {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    at(hi)
}

/// The instant local day `date` begins in `tz`: when the wall clock first
/// shows its midnight, or jumps past it when midnight is skipped.
pub fn day_start(tz: &Zone, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    boundary(tz, midnight, false).unwrap_or_else(|| jump_past(tz, midnight))
}

/// `practitioner`'s local day `date` as a range of instants to count in:
/// `[its start, the next day's start)`.
pub fn day_range(practitioner: PractitionerId, tz: &Zone, date: NaiveDate) -> CountRange {
    let to = date
        .succ_opt()
        .map_or(DateTime::<Utc>::MAX_UTC, |next| day_start(tz, next));
    CountRange {
        practitioner,
        from: day_start(tz, date),
        to,
    }
}

/// The local day `at` falls in: the last day begun by then. This is the
/// wall-clock date except inside a repeated hour that crosses midnight,
/// where the clock shows the day before again; days stay contiguous spans
/// of instants, so a store can count a day's appointments by range.
pub fn local_day(tz: &Zone, at: DateTime<Utc>) -> NaiveDate {
    let date = at.with_timezone(tz).date_naive();
    match date.succ_opt() {
        Some(next) if day_start(tz, next) <= at => next,
        _ => date,
    }
}

/// The first and last wall-clock dates shown at some instant of
/// `[from, to)`: the dates whose windows can hold a start in the range.
/// Not simply the dates of `from` and `to`: where the clock goes back across
/// midnight, `to` can show the previous date again after the new day has
/// begun, and an instant after `from` can show an earlier date than `from`.
/// An instant's wall date is its [`local_day`] or the day before, and
/// `local_day` never goes back, so the dates lie between the day before
/// `local_day(from)` and `local_day(to)`.
fn dates_shown(tz: &Zone, from: DateTime<Utc>, to: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
    let first = local_day(tz, from);
    (first.pred_opt().unwrap_or(first), local_day(tz, to))
}

/// One availability window of a local date, as instants, with the local
/// wall time the slot grid counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    local_start: NaiveDateTime,
    local_end: NaiveDateTime,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// The local windows of `date`: weekly hours valid that day unless it is a
/// day off, plus extra hours.
pub fn local_windows(availability: &Availability, date: NaiveDate) -> Vec<TimeWindow> {
    let exceptions: Vec<_> = availability
        .exceptions
        .iter()
        .filter(|e| e.date == date)
        .collect();
    let day_off = exceptions.iter().any(|e| e.extra_hours.is_none());
    let mut windows: Vec<TimeWindow> = Vec::new();
    if !day_off {
        windows.extend(
            availability
                .weekly
                .iter()
                .filter(|w| w.applies_on(date))
                .map(|w| TimeWindow {
                    start: w.start,
                    end: w.end,
                }),
        );
    }
    windows.extend(exceptions.iter().filter_map(|e| e.extra_hours));
    windows.sort_by_key(|w| (w.start, w.end));
    windows.dedup();
    windows
}

fn windows(availability: &Availability, tz: &Zone, date: NaiveDate) -> Vec<Window> {
    local_windows(availability, date)
        .into_iter()
        .filter_map(|w| {
            let local_start = date.and_time(w.start);
            let local_end = date.and_time(w.end);
            Some(Window {
                local_start,
                local_end,
                start: boundary(tz, local_start, false)?,
                end: boundary(tz, local_end, true)?,
            })
        })
        .collect()
}

/// Every start in `[from, to)` where a visit of `duration` fits a window of
/// `practitioner`'s availability on the slot grid and touches no time off,
/// ascending and without duplicates. Bookings, notice and limits are not
/// applied here.
pub fn grid_starts(
    practitioner: &Practitioner,
    tz: &Zone,
    duration: Duration,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let availability = &practitioner.availability;
    let step = Duration::minutes(i64::from(availability.slot_minutes.max(Count32::new(1))));
    let (first, last) = dates_shown(tz, from, to);
    let mut starts = Vec::new();
    let mut date = first;
    while date <= last {
        for w in windows(availability, tz, date) {
            if w.end <= from || w.start >= to {
                continue;
            }
            let mut local = w.local_start;
            while local < w.local_end {
                if let Some(start) = local_start(tz, local) {
                    // Later wall times are never earlier instants.
                    if start >= to {
                        break;
                    }
                    let end = start + duration;
                    if start >= from && start >= w.start && end <= w.end {
                        starts.push(start);
                    }
                }
                local += step;
            }
        }
        match date.succ_opt() {
            Some(next) => date = next,
            None => break,
        }
    }
    starts.sort();
    starts.dedup();
    starts.retain(|s| {
        let end = *s + duration;
        !availability
            .time_off
            .iter()
            .any(|off| off.start < end && *s < off.end)
    });
    starts
}

/// The span `[start - before, end + after)` a visit of `visit` starting at
/// `start` blocks for its practitioner and room.
pub fn blocked(visit: &VisitType, start: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let end = start + minutes(visit.duration_minutes.get());
    (
        start - minutes(visit.buffer_before_minutes.get()),
        end + minutes(visit.buffer_after_minutes.get()),
    )
}

/// Whether a visit of `visit` starting at `start` stays, with its end and
/// its buffers, within the instants every host represents
/// ([`crate::instant`]). Only such a visit is offered or written, and for
/// one the plain arithmetic of [`blocked`] cannot overflow.
pub fn fits_calendar(visit: &VisitType, start: DateTime<Utc>) -> bool {
    use crate::instant::is_representable;
    let end = start.checked_add_signed(minutes(visit.duration_minutes.get()));
    let from = start.checked_sub_signed(minutes(visit.buffer_before_minutes.get()));
    let until = end.and_then(|e| e.checked_add_signed(minutes(visit.buffer_after_minutes.get())));
    is_representable(start)
        && [end, from, until]
            .into_iter()
            .all(|at| at.is_some_and(is_representable))
}

/// Minutes as a duration.
pub fn minutes(m: u32) -> Duration {
    Duration::minutes(i64::from(m))
}

/// Why a start is not bookable (the first rule it breaks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// Not on the grid of an availability window, or inside time off.
    OutsideHours,
    /// Sooner than the visit type's minimum notice.
    TooSoon,
    /// Further ahead than the visit type's horizon.
    BeyondHorizon,
    /// The practitioner's per-day limit is reached.
    DailyLimit,
    /// The visit type's per-day limit for the practitioner is reached.
    VisitTypeDailyLimit,
    /// Overlaps an active appointment of the practitioner, room or patient.
    Taken {
        /// The practitioner, room or patient.
        resource: BookedResource,
        /// The appointment in the way.
        appointment: AppointmentId,
    },
}

impl Unavailable {
    /// The field-error rule code.
    pub fn code(&self) -> &'static str {
        match self {
            Unavailable::OutsideHours => "outside_hours",
            Unavailable::TooSoon => "too_soon",
            Unavailable::BeyondHorizon => "beyond_horizon",
            Unavailable::DailyLimit => "daily_limit",
            Unavailable::VisitTypeDailyLimit => "visit_type_daily_limit",
            Unavailable::Taken { .. } => "taken",
        }
    }

    /// The field-error message (no patient data).
    pub fn message(&self) -> &'static str {
        match self {
            Unavailable::OutsideHours => "the practitioner is not available at this start",
            Unavailable::TooSoon => "the start is sooner than the visit type's minimum notice",
            Unavailable::BeyondHorizon => "the start is beyond the visit type's booking horizon",
            Unavailable::DailyLimit => "the practitioner's appointments per day are used up",
            Unavailable::VisitTypeDailyLimit => {
                "the visit type's appointments per day are used up for this practitioner"
            }
            Unavailable::Taken { .. } => "the time is already booked",
        }
    }
}

/// Whether `start` obeys notice and horizon at `now`.
pub fn timing(visit: &VisitType, now: DateTime<Utc>, start: DateTime<Utc>) -> Option<Unavailable> {
    use crate::instant::saturating_add;
    if start < saturating_add(now, minutes(visit.min_notice_minutes.get())) {
        return Some(Unavailable::TooSoon);
    }
    if start > saturating_add(now, Duration::days(i64::from(visit.horizon_days))) {
        return Some(Unavailable::BeyondHorizon);
    }
    None
}

/// Active appointments around a search, indexed for the checks.
#[derive(Debug, Default)]
pub struct Occupancy {
    by_practitioner: HashMap<PractitionerId, Vec<BusySpan>>,
    by_room: HashMap<ResourceId, Vec<BusySpan>>,
}

impl Occupancy {
    /// Indexes `spans` (any order).
    pub fn new(spans: &[BusySpan]) -> Self {
        let mut occupancy = Occupancy::default();
        for span in spans {
            occupancy
                .by_practitioner
                .entry(span.practitioner)
                .or_default()
                .push(*span);
            if let Some(room) = span.room {
                occupancy.by_room.entry(room).or_default().push(*span);
            }
        }
        for list in occupancy
            .by_practitioner
            .values_mut()
            .chain(occupancy.by_room.values_mut())
        {
            list.sort_by_key(|s| (s.blocked_from, s.appointment));
        }
        occupancy
    }

    /// The first appointment of the practitioner or room whose blocked time
    /// overlaps `[from, until)`, ignoring `except` (a rescheduled one).
    pub fn taken(
        &self,
        practitioner: PractitionerId,
        room: Option<ResourceId>,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        except: Option<AppointmentId>,
    ) -> Option<Unavailable> {
        let hit = |list: Option<&Vec<BusySpan>>| {
            list.into_iter()
                .flatten()
                .find(|s| {
                    Some(s.appointment) != except
                        && s.blocked_from < until
                        && from < s.blocked_until
                })
                .map(|s| s.appointment)
        };
        if let Some(appointment) = hit(self.by_practitioner.get(&practitioner)) {
            return Some(Unavailable::Taken {
                resource: BookedResource::Practitioner,
                appointment,
            });
        }
        let room_hit = room.and_then(|r| hit(self.by_room.get(&r)));
        room_hit.map(|appointment| Unavailable::Taken {
            resource: BookedResource::Room,
            appointment,
        })
    }

    /// Active appointments per local day (in `tz`) of the practitioner:
    /// all of them, and those of `visit`. Empty when no limit applies.
    pub fn day_counts(
        &self,
        practitioner: &Practitioner,
        tz: &Zone,
        visit: &VisitType,
        except: Option<AppointmentId>,
    ) -> DayCounts {
        let limits = DayLimits::of(practitioner, visit);
        let mut counts: HashMap<NaiveDate, AppointmentCount> = HashMap::new();
        if !limits.apply() {
            return DayCounts { limits, counts };
        }
        for span in self
            .by_practitioner
            .get(&practitioner.id)
            .into_iter()
            .flatten()
            .filter(|s| Some(s.appointment) != except)
        {
            let count = counts.entry(local_day(tz, span.start)).or_default();
            count.all += 1;
            count.of_visit_type += u32::from(span.visit_type == visit.id);
        }
        DayCounts { limits, counts }
    }
}

/// The per-day limits a booking of a visit type with a practitioner obeys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayLimits {
    /// The practitioner's appointments per day.
    pub overall: Option<u32>,
    /// The visit type's appointments per day with one practitioner.
    pub of_visit_type: Option<u32>,
}

impl DayLimits {
    /// The limits of `practitioner` booking `visit`.
    pub fn of(practitioner: &Practitioner, visit: &VisitType) -> Self {
        Self {
            overall: practitioner.availability.max_per_day.map(Count32::get),
            of_visit_type: visit.max_per_day.map(Count32::get),
        }
    }

    /// Whether any limit is set (if not, nothing needs counting).
    pub fn apply(&self) -> bool {
        self.overall.is_some() || self.of_visit_type.is_some()
    }

    /// Whether a day that already holds `count` is full: one more would
    /// exceed a limit.
    pub fn full(&self, count: AppointmentCount) -> Option<Unavailable> {
        self.exceeded(AppointmentCount {
            all: count.all + 1,
            of_visit_type: count.of_visit_type + 1,
        })
    }

    /// Whether a day holding `count` (the new appointment included) is
    /// over a limit.
    pub fn exceeded(&self, count: AppointmentCount) -> Option<Unavailable> {
        if self.overall.is_some_and(|max| count.all > max) {
            return Some(Unavailable::DailyLimit);
        }
        if self
            .of_visit_type
            .is_some_and(|max| count.of_visit_type > max)
        {
            return Some(Unavailable::VisitTypeDailyLimit);
        }
        None
    }
}

/// Appointments per local day, counted once for a practitioner and visit type.
pub struct DayCounts {
    limits: DayLimits,
    counts: HashMap<NaiveDate, AppointmentCount>,
}

impl DayCounts {
    /// Whether the local day of `start` is full, overall or for the visit type.
    pub fn full(&self, tz: &Zone, start: DateTime<Utc>) -> Option<Unavailable> {
        if !self.limits.apply() {
            return None;
        }
        let day = local_day(tz, start);
        self.limits
            .full(self.counts.get(&day).copied().unwrap_or_default())
    }
}

/// Everything a slot decision needs, loaded.
pub struct SlotRules<'a> {
    /// The visit type.
    pub visit: &'a VisitType,
    /// Now.
    pub now: DateTime<Utc>,
    /// The room that must be free too.
    pub room: Option<ResourceId>,
    /// Active appointments around the range.
    pub occupancy: &'a Occupancy,
    /// An appointment being moved (its own time does not count as taken).
    pub except: Option<AppointmentId>,
}

impl SlotRules<'_> {
    /// The starts of `practitioner` in `[from, to)` on the grid and free of
    /// bookings, notice and horizon, whose visit [fits the
    /// calendar](fits_calendar), ascending. Per-day limits are left to the
    /// caller, which counts only the days of the starts it keeps.
    pub fn free_starts(
        &self,
        practitioner: &Practitioner,
        tz: &Zone,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<DateTime<Utc>> {
        let duration = minutes(self.visit.duration_minutes.get());
        grid_starts(practitioner, tz, duration, from, to)
            .into_iter()
            .filter(|start| fits_calendar(self.visit, *start))
            .filter(|start| self.check_booked_time(practitioner, *start).is_none())
            .collect()
    }

    /// Why `start` (already known to be on the grid) cannot be booked,
    /// limits aside, if so.
    fn check_booked_time(
        &self,
        practitioner: &Practitioner,
        start: DateTime<Utc>,
    ) -> Option<Unavailable> {
        if let Some(why) = timing(self.visit, self.now, start) {
            return Some(why);
        }
        let (from, until) = blocked(self.visit, start);
        self.occupancy
            .taken(practitioner.id, self.room, from, until, self.except)
    }

    /// Why `start` cannot be booked with `practitioner`, if so.
    pub fn check(
        &self,
        practitioner: &Practitioner,
        tz: &Zone,
        start: DateTime<Utc>,
    ) -> Option<Unavailable> {
        let duration = minutes(self.visit.duration_minutes.get());
        let on_grid = grid_starts(
            practitioner,
            tz,
            duration,
            start,
            start + Duration::microseconds(1),
        );
        if on_grid.first() != Some(&start) {
            return Some(Unavailable::OutsideHours);
        }
        self.check_booked_time(practitioner, start).or_else(|| {
            self.occupancy
                .day_counts(practitioner, tz, self.visit, self.except)
                .full(tz, start)
        })
    }
}
