//! Input rules for scheduling: every failing field is collected. The rules
//! of each struct's own fields are declared on the model (`validator`);
//! these walk the lists (only within their count) and add the rules across
//! fields.

use validator::ValidationError;

use super::model::{
    AppointmentStatus, Availability, BookAppointment, CancelAppointment, NewPractitioner,
    NewResource, NewVisitType, Recurrence, SlotQuery,
};
use super::slots::zone;
use crate::error::FieldError;
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
    if count(
        &mut out,
        "weekly",
        a.weekly.len(),
        MAX_WEEKLY_HOURS,
        "weekly windows",
    ) {
        for (i, w) in a.weekly.iter().enumerate() {
            if w.start >= w.end {
                out.add(
                    format!("{prefix}weekly[{i}].end"),
                    "before_start",
                    "end must be after start on the same day",
                );
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
    let exceptions = a.exceptions.len();
    if count(
        &mut out,
        "exceptions",
        exceptions,
        MAX_DATE_EXCEPTIONS,
        "date exceptions",
    ) {
        for (i, e) in a.exceptions.iter().enumerate() {
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
        .saturating_add(v.buffer_before_minutes)
        .saturating_add(v.buffer_after_minutes);
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

/// A cancellation.
pub fn cancellation(errors: &mut Vec<FieldError>, c: &CancelAppointment) {
    let mut out = Errors::default();
    Findings::of("", c).rest(&mut out);
    errors.extend(out.into_vec());
}
