//! Input rules for scheduling: every failing field is collected.

use chrono::NaiveDate;

use super::model::{
    AppointmentStatus, Availability, BookAppointment, CancelAppointment, NewResource, NewVisitType,
    Recurrence, TimeWindow, WeeklyHours,
};
use super::slots::zone;
use crate::error::FieldError;
use crate::instant;

/// The longest visit including buffers: a day. Keeps overlap queries bounded.
pub const MAX_BLOCK_MINUTES: u32 = 24 * 60;
/// Most occurrences one series may book.
pub const MAX_SERIES: u32 = 104;

fn text(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    if value.trim().is_empty() {
        errors.push(FieldError::new(field, "required", "must not be empty"));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("at most {max} characters"),
        ));
    }
}

fn optional_text(errors: &mut Vec<FieldError>, field: &str, value: &Option<String>, max: usize) {
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("at most {max} characters"),
        ));
    }
}

/// A code: 1–64 of `a-z 0-9 - _ .`.
fn code(errors: &mut Vec<FieldError>, field: &str, value: &str) {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
    if !ok {
        errors.push(FieldError::new(
            field,
            "invalid_format",
            "1 to 64 of a-z, 0-9, '-', '_', '.'",
        ));
    }
}

fn range(errors: &mut Vec<FieldError>, field: &str, value: u32, min: u32, max: u32) {
    if value < min || value > max {
        errors.push(FieldError::new(
            field,
            "out_of_range",
            format!("must be between {min} and {max}"),
        ));
    }
}

/// An IANA zone name.
pub fn time_zone(errors: &mut Vec<FieldError>, field: &str, value: &str) {
    if zone(value).is_none() {
        errors.push(FieldError::new(
            field,
            "unknown_time_zone",
            "not an iana time zone name",
        ));
    }
}

/// A display name and zone (practitioners and resources).
pub fn name_and_zone(errors: &mut Vec<FieldError>, name: &str, tz: &str) {
    text(errors, "name", name, 200);
    time_zone(errors, "time_zone", tz);
}

/// Weekly hours, exceptions, time off and limits, with `prefix` on each field.
pub fn availability(errors: &mut Vec<FieldError>, prefix: &str, a: &Availability) {
    range(
        errors,
        &format!("{prefix}slot_minutes"),
        a.slot_minutes,
        1,
        240,
    );
    if let Some(max) = a.max_per_day {
        range(errors, &format!("{prefix}max_per_day"), max, 1, 1000);
    }
    let limits = [
        ("weekly", a.weekly.len(), 100),
        ("exceptions", a.exceptions.len(), 1000),
        ("time_off", a.time_off.len(), 1000),
    ];
    let mut short_lists = true;
    for (field, len, max) in limits {
        if len > max {
            short_lists = false;
            errors.push(FieldError::new(
                format!("{prefix}{field}"),
                "too_many",
                format!("at most {max} entries"),
            ));
        }
    }
    for (i, w) in a.weekly.iter().enumerate() {
        if w.start >= w.end {
            errors.push(FieldError::new(
                format!("{prefix}weekly[{i}].end"),
                "before_start",
                "end must be after start on the same day",
            ));
        }
        for (field, date) in [("valid_from", w.valid_from), ("valid_until", w.valid_until)] {
            if let Some(date) = date {
                instant::check_date(errors, &format!("{prefix}weekly[{i}].{field}"), date);
            }
        }
        if let (Some(from), Some(until)) = (w.valid_from, w.valid_until) {
            if until < from {
                errors.push(FieldError::new(
                    format!("{prefix}weekly[{i}].valid_until"),
                    "before_start",
                    "valid_until must not be before valid_from",
                ));
            }
        }
    }
    for (i, e) in a.exceptions.iter().enumerate() {
        instant::check_date(errors, &format!("{prefix}exceptions[{i}].date"), e.date);
        if let Some(w) = e.extra_hours {
            if w.start >= w.end {
                errors.push(FieldError::new(
                    format!("{prefix}exceptions[{i}].extra_hours.end"),
                    "before_start",
                    "end must be after start on the same day",
                ));
            }
        }
    }
    for (i, off) in a.time_off.iter().enumerate() {
        instant::check(errors, &format!("{prefix}time_off[{i}].start"), off.start);
        instant::check(errors, &format!("{prefix}time_off[{i}].end"), off.end);
        if off.start >= off.end {
            errors.push(FieldError::new(
                format!("{prefix}time_off[{i}].end"),
                "before_start",
                "end must be after start",
            ));
        }
        optional_text(
            errors,
            &format!("{prefix}time_off[{i}].reason"),
            &off.reason,
            500,
        );
    }
    // Pairwise, so only once the lists are known to be short.
    if short_lists {
        no_overlaps(errors, prefix, a);
    }
}

/// Whether two well-formed windows share an instant (touching is fine).
fn overlap(a: TimeWindow, b: TimeWindow) -> bool {
    a.start < b.end && b.start < a.end
}

/// Whether two weekly hours can apply on the same date.
fn same_dates(a: &WeeklyHours, b: &WeeklyHours) -> bool {
    let before = |from: Option<NaiveDate>, until: Option<NaiveDate>| {
        from.zip(until).is_some_and(|(from, until)| until < from)
    };
    a.weekday == b.weekday
        && !before(a.valid_from, b.valid_until)
        && !before(b.valid_from, a.valid_until)
}

/// The windows that apply on one date never overlap, so every start has
/// one grid: weekly hours of a weekday whose validity periods meet, and a
/// date's extra hours with each other and with the weekly hours they are
/// added to (none on a day off). The later entry of an overlapping pair is
/// named; windows already refused for ending before they start are skipped.
fn no_overlaps(errors: &mut Vec<FieldError>, prefix: &str, a: &Availability) {
    let window = |w: &WeeklyHours| TimeWindow {
        start: w.start,
        end: w.end,
    };
    let weekly: Vec<(usize, &WeeklyHours)> = a
        .weekly
        .iter()
        .enumerate()
        .filter(|(_, w)| w.start < w.end)
        .collect();
    for (k, (j, w)) in weekly.iter().enumerate() {
        let earlier = weekly[..k]
            .iter()
            .find(|(_, v)| same_dates(v, w) && overlap(window(v), window(w)));
        if let Some((i, _)) = earlier {
            errors.push(FieldError::new(
                format!("{prefix}weekly[{j}]"),
                "overlaps",
                format!("overlaps weekly[{i}] on the dates both apply"),
            ));
        }
    }
    let extras: Vec<(usize, NaiveDate, TimeWindow)> = a
        .exceptions
        .iter()
        .enumerate()
        .filter_map(|(i, e)| Some((i, e.date, e.extra_hours?)))
        .filter(|(_, _, w)| w.start < w.end)
        .collect();
    for (k, (j, date, w)) in extras.iter().enumerate() {
        let day_off = a
            .exceptions
            .iter()
            .any(|e| e.date == *date && e.extra_hours.is_none());
        let weekly_hit = !day_off
            && weekly
                .iter()
                .any(|(_, v)| v.applies_on(*date) && overlap(window(v), *w));
        let extra_hit = extras[..k]
            .iter()
            .any(|(_, d, v)| d == date && overlap(*v, *w));
        if weekly_hit || extra_hit {
            errors.push(FieldError::new(
                format!("{prefix}exceptions[{j}].extra_hours"),
                "overlaps",
                "overlaps other hours of the same date",
            ));
        }
    }
}

/// A new room or device.
pub fn new_resource(errors: &mut Vec<FieldError>, r: &NewResource) {
    name_and_zone(errors, &r.name, &r.time_zone);
}

/// A visit type's rules.
pub fn visit_type(errors: &mut Vec<FieldError>, v: &NewVisitType) {
    code(errors, "code", &v.code);
    text(errors, "name", &v.name, 200);
    range(
        errors,
        "duration_minutes",
        v.duration_minutes,
        1,
        MAX_BLOCK_MINUTES,
    );
    range(
        errors,
        "buffer_before_minutes",
        v.buffer_before_minutes,
        0,
        240,
    );
    range(
        errors,
        "buffer_after_minutes",
        v.buffer_after_minutes,
        0,
        240,
    );
    let total = v
        .duration_minutes
        .saturating_add(v.buffer_before_minutes)
        .saturating_add(v.buffer_after_minutes);
    if total > MAX_BLOCK_MINUTES {
        errors.push(FieldError::new(
            "duration_minutes",
            "out_of_range",
            "duration plus buffers must fit in a day",
        ));
    }
    range(
        errors,
        "min_notice_minutes",
        v.min_notice_minutes,
        0,
        525_600,
    );
    range(errors, "horizon_days", v.horizon_days, 1, 3650);
    if let Some(max) = v.max_per_day {
        range(errors, "max_per_day", max, 1, 1000);
    }
    if v.reminder_offsets_minutes.len() > 10 {
        errors.push(FieldError::new(
            "reminder_offsets_minutes",
            "too_many",
            "at most 10 reminders",
        ));
    }
    for (i, offset) in v.reminder_offsets_minutes.iter().enumerate() {
        range(
            errors,
            &format!("reminder_offsets_minutes[{i}]"),
            *offset,
            1,
            43_200,
        );
        if v.reminder_offsets_minutes[..i].contains(offset) {
            errors.push(FieldError::new(
                format!("reminder_offsets_minutes[{i}]"),
                "duplicate",
                "each offset once",
            ));
        }
    }
}

/// A booking request's own fields.
pub fn booking(errors: &mut Vec<FieldError>, prefix: &str, b: &BookAppointment) {
    if let Some(status) = b.status {
        if !matches!(
            status,
            AppointmentStatus::Proposed | AppointmentStatus::Booked
        ) {
            errors.push(FieldError::new(
                format!("{prefix}status"),
                "invalid_status",
                "a new appointment is proposed or booked",
            ));
        }
    }
    optional_text(errors, &format!("{prefix}note"), &b.note, 2000);
    instant::check(errors, &format!("{prefix}start"), b.start);
}

/// A recurrence.
pub fn recurrence(errors: &mut Vec<FieldError>, r: &Recurrence) {
    range(errors, "recurrence.every_weeks", r.every_weeks, 1, 52);
    if r.until.is_none() && r.count.is_none() {
        errors.push(FieldError::new(
            "recurrence",
            "required",
            "give an until date or a count",
        ));
    }
    if let Some(count) = r.count {
        range(errors, "recurrence.count", count, 1, MAX_SERIES);
    }
}

/// A cancellation (its reason is a closed set, checked by its type).
pub fn cancellation(errors: &mut Vec<FieldError>, c: &CancelAppointment) {
    optional_text(errors, "note", &c.note, 2000);
}
