//! Input rules for scheduling: every failing field is collected. The rules
//! of each struct's own fields are declared on the model (`validator`);
//! these walk the lists (only within their count) and add the rules across
//! fields.

use chrono::NaiveDate;
use validator::ValidationError;

use super::model::{
    AppointmentStatus, Availability, BookAppointment, CancelAppointment, NewPractitioner,
    NewResource, NewVisitType, Recurrence, SlotQuery, TimeWindow, WeeklyHours,
};
use super::slots::zone;
use crate::error::FieldError;
use crate::instant;
use crate::limits::{
    MAX_CODE_CHARS, MAX_DATE_EXCEPTIONS, MAX_REMINDERS, MAX_SLOT_PRACTITIONERS, MAX_TIME_OFF,
    MAX_WEEKLY_HOURS,
};
use crate::validation::{Errors, Findings};

/// The longest visit including buffers: a day. Keeps overlap queries bounded.
pub const MAX_BLOCK_MINUTES: u32 = 24 * 60;
/// Most occurrences one series may book.
pub const MAX_SERIES: u32 = 104;

/// A code: 1–64 of `a-z 0-9 - _ .`.
pub(crate) fn code_format(value: &str) -> Result<(), ValidationError> {
    let ok = !value.is_empty()
        && value.len() <= MAX_CODE_CHARS
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("invalid_format")
            .with_message(format!("1 to {MAX_CODE_CHARS} of a-z, 0-9, '-', '_', '.'").into()))
    }
}

/// An IANA zone name.
pub(crate) fn iana_zone(value: &str) -> Result<(), ValidationError> {
    match zone(value) {
        Some(_) => Ok(()),
        None => Err(ValidationError::new("unknown_time_zone")
            .with_message("not an iana time zone name".into())),
    }
}

/// The practitioners of a free-slot search: at least one, at most
/// [`MAX_SLOT_PRACTITIONERS`].
pub fn slot_practitioners(errors: &mut Vec<FieldError>, q: &SlotQuery) {
    let mut out = Errors::default();
    let count = q.practitioners.len();
    if count == 0 {
        out.add(
            "practitioners",
            "required",
            "give at least one practitioner",
        );
    }
    out.count(
        "practitioners",
        count,
        MAX_SLOT_PRACTITIONERS,
        "practitioners",
    );
    errors.extend(out.into_vec());
}

/// An IANA zone name on `field`.
pub fn time_zone(errors: &mut Vec<FieldError>, field: &str, value: &str) {
    if let Err(e) = iana_zone(value) {
        errors.push(FieldError::new(
            field,
            &e.code,
            "not an iana time zone name",
        ));
    }
}

/// A new practitioner's name and zone, and its availability.
pub fn new_practitioner(errors: &mut Vec<FieldError>, p: &NewPractitioner) {
    let mut found = Errors::default();
    Findings::of("", p).rest(&mut found);
    errors.extend(found.into_vec());
    availability(errors, "availability.", &p.availability);
}

/// Weekly hours, exceptions, time off and limits, with `prefix` on each
/// field (`""` or `"availability."`). A list over its count is reported
/// once and its items are not looked at.
pub fn availability(errors: &mut Vec<FieldError>, prefix: &str, a: &Availability) {
    let mut out = Errors::default();
    let mut found = Findings::of(prefix.trim_end_matches('.'), a);
    found.take(&mut out, "slot_minutes");
    found.take(&mut out, "max_per_day");
    let count = |out: &mut Errors, field: &str, len: usize, max: usize, items: &str| {
        out.count(&format!("{prefix}{field}"), len, max, items)
    };
    let weekly_counted = count(
        &mut out,
        "weekly",
        a.weekly.len(),
        MAX_WEEKLY_HOURS,
        "weekly windows",
    );
    if weekly_counted {
        for (i, w) in a.weekly.iter().enumerate() {
            if w.start >= w.end {
                out.add(
                    format!("{prefix}weekly[{i}].end"),
                    "before_start",
                    "end must be after start on the same day",
                );
            }
            for (field, date) in [("valid_from", w.valid_from), ("valid_until", w.valid_until)] {
                if date.is_some_and(|d| !instant::is_representable_date(d)) {
                    out.push(instant::date_out_of_range(format!(
                        "{prefix}weekly[{i}].{field}"
                    )));
                }
            }
            if let (Some(from), Some(until)) = (w.valid_from, w.valid_until) {
                if until < from {
                    out.add(
                        format!("{prefix}weekly[{i}].valid_until"),
                        "before_start",
                        "valid_until must not be before valid_from",
                    );
                }
            }
        }
    }
    let exceptions_counted = count(
        &mut out,
        "exceptions",
        a.exceptions.len(),
        MAX_DATE_EXCEPTIONS,
        "date exceptions",
    );
    if exceptions_counted {
        for (i, e) in a.exceptions.iter().enumerate() {
            if !instant::is_representable_date(e.date) {
                out.push(instant::date_out_of_range(format!(
                    "{prefix}exceptions[{i}].date"
                )));
            }
            if let Some(w) = e.extra_hours {
                if w.start >= w.end {
                    out.add(
                        format!("{prefix}exceptions[{i}].extra_hours.end"),
                        "before_start",
                        "end must be after start on the same day",
                    );
                }
            }
        }
    }
    if count(
        &mut out,
        "time_off",
        a.time_off.len(),
        MAX_TIME_OFF,
        "absences",
    ) {
        for (i, off) in a.time_off.iter().enumerate() {
            for (field, at) in [("start", off.start), ("end", off.end)] {
                if !instant::is_representable(at) {
                    out.push(instant::out_of_range(format!(
                        "{prefix}time_off[{i}].{field}"
                    )));
                }
            }
            if off.start >= off.end {
                out.add(
                    format!("{prefix}time_off[{i}].end"),
                    "before_start",
                    "end must be after start",
                );
            }
            Findings::of(&format!("{prefix}time_off[{i}]"), off).rest(&mut out);
        }
    }
    found.rest(&mut out);
    errors.extend(out.into_vec());
    // Pairwise, so only once the lists are known to be short.
    if weekly_counted && exceptions_counted {
        no_overlaps(errors, prefix, a);
    }
}

/// A new room or device.
pub fn new_resource(errors: &mut Vec<FieldError>, r: &NewResource) {
    let mut out = Errors::default();
    Findings::of("", r).rest(&mut out);
    errors.extend(out.into_vec());
}

/// A visit type's rules. The reminder offsets are only looked at once there
/// are at most 10 of them.
pub fn visit_type(errors: &mut Vec<FieldError>, v: &NewVisitType) {
    let mut out = Errors::default();
    let mut found = Findings::of("", v);
    for field in [
        "code",
        "name",
        "duration_minutes",
        "buffer_before_minutes",
        "buffer_after_minutes",
    ] {
        found.take(&mut out, field);
    }
    let total = v
        .duration_minutes
        .get()
        .saturating_add(v.buffer_before_minutes.get())
        .saturating_add(v.buffer_after_minutes.get());
    if total > MAX_BLOCK_MINUTES {
        out.add(
            "duration_minutes",
            "out_of_range",
            "duration plus buffers must fit in a day",
        );
    }
    for field in ["min_notice_minutes", "horizon_days", "max_per_day"] {
        found.take(&mut out, field);
    }
    let offsets = &v.reminder_offsets_minutes;
    if out.count(
        "reminder_offsets_minutes",
        offsets.len(),
        MAX_REMINDERS,
        "reminders",
    ) {
        for (i, offset) in offsets.iter().enumerate() {
            let field = format!("reminder_offsets_minutes[{i}]");
            if !(1..=43_200).contains(offset) {
                out.add(field, "out_of_range", "must be between 1 and 43200");
            } else if offsets[..i].contains(offset) {
                out.add(field, "duplicate", "each offset once");
            }
        }
    }
    found.rest(&mut out);
    errors.extend(out.into_vec());
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
    let mut out = Errors::default();
    Findings::of(prefix.trim_end_matches('.'), b).rest(&mut out);
    errors.extend(out.into_vec());
    instant::check(errors, &format!("{prefix}start"), b.start);
}

/// A recurrence.
pub fn recurrence(errors: &mut Vec<FieldError>, r: &Recurrence) {
    let mut out = Errors::default();
    let mut found = Findings::of("recurrence", r);
    found.take(&mut out, "every_weeks");
    if r.until.is_none() && r.count.is_none() {
        out.add("recurrence", "required", "give an until date or a count");
    }
    found.rest(&mut out);
    errors.extend(out.into_vec());
}

/// A cancellation (its reason is a closed set, checked by its type).
pub fn cancellation(errors: &mut Vec<FieldError>, c: &CancelAppointment) {
    let mut out = Errors::default();
    Findings::of("", c).rest(&mut out);
    errors.extend(out.into_vec());
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
