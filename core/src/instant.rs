//! Which instants and dates carebase accepts and stores: those every host
//! can represent.
//!
//! chrono goes beyond what hosts hold: year 0 and earlier, years past 9999,
//! and a leap second (a nanosecond field of a second or more, which is how
//! `2030-01-07T09:59:60Z` parses). Stored, such an instant would fail in the
//! host on every later read, after the write had succeeded. So every instant
//! a host hands in and every instant core derives from one (an end, a
//! blocked span, an expiry, a series occurrence, a reminder) passes here
//! before it is written, and arithmetic on instants is checked, never
//! panicking at chrono's own limits.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};

use crate::error::FieldError;
use crate::limits::{MAX_YEAR, MIN_YEAR};
use crate::{Error, Result};

/// What an instant must be, as the error message says it.
const INSTANT_RULE: &str =
    "an instant from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z, without a leap second";

/// What a date must be, as the error message says it.
const DATE_RULE: &str = "a date from 0001-01-01 to 9999-12-31";

/// Whether every host can represent `at`: a year from [`MIN_YEAR`] to
/// [`MAX_YEAR`] and no leap second.
pub fn is_representable(at: DateTime<Utc>) -> bool {
    (MIN_YEAR..=MAX_YEAR).contains(&at.year()) && at.nanosecond() < 1_000_000_000
}

/// Whether every host can represent `date`: a year from [`MIN_YEAR`] to
/// [`MAX_YEAR`].
pub fn is_representable_date(date: NaiveDate) -> bool {
    (MIN_YEAR..=MAX_YEAR).contains(&date.year())
}

/// The `out_of_range` error for an instant at `field` that is not
/// representable.
pub fn out_of_range(field: impl Into<String>) -> FieldError {
    FieldError::new(field, "out_of_range", INSTANT_RULE)
}

/// Records an `out_of_range` error at `field` unless `at` is representable.
pub fn check(errors: &mut Vec<FieldError>, field: &str, at: DateTime<Utc>) {
    if !is_representable(at) {
        errors.push(out_of_range(field));
    }
}

/// The `out_of_range` error for a date at `field` that is not representable.
pub fn date_out_of_range(field: impl Into<String>) -> FieldError {
    FieldError::new(field, "out_of_range", DATE_RULE)
}

/// Records an `out_of_range` error at `field` unless `date` is representable.
pub fn check_date(errors: &mut Vec<FieldError>, field: &str, date: NaiveDate) {
    if !is_representable_date(date) {
        errors.push(date_out_of_range(field));
    }
}

/// `at`, or the `out_of_range` validation error at `field`.
pub fn require(field: &str, at: DateTime<Utc>) -> Result<DateTime<Utc>> {
    if is_representable(at) {
        Ok(at)
    } else {
        Err(Error::validation(vec![out_of_range(field)]))
    }
}

/// `at + by` when both `at` and the sum are representable; otherwise the
/// `out_of_range` validation error at `field` (the input that led there).
pub fn add(field: &str, at: DateTime<Utc>, by: Duration) -> Result<DateTime<Utc>> {
    at.checked_add_signed(by)
        .filter(|sum| is_representable(at) && is_representable(*sum))
        .ok_or_else(|| Error::validation(vec![out_of_range(field)]))
}

/// `at + by`, or chrono's last (first) instant when that overflows: for
/// bounds that are compared with, never stored or shown.
pub(crate) fn saturating_add(at: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    at.checked_add_signed(by)
        .unwrap_or(if by < Duration::zero() {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
}

/// The latest representable instant at or before `at` (for bounds that are
/// shown to a host, such as a planning horizon).
pub(crate) fn clamp(at: DateTime<Utc>) -> DateTime<Utc> {
    let last = NaiveDate::from_ymd_opt(MAX_YEAR, 12, 31)
        .and_then(|d| d.and_hms_micro_opt(23, 59, 59, 999_999))
        .map(|t| t.and_utc());
    let first = NaiveDate::from_ymd_opt(MIN_YEAR, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc());
    match (first, last) {
        (_, Some(last)) if at > last => last,
        (Some(first), _) if at < first => first,
        _ if at.nanosecond() >= 1_000_000_000 => at.with_nanosecond(999_999_999).unwrap_or(at),
        _ => at,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).single().unwrap()
    }

    #[test]
    fn years_one_to_9999_are_representable() {
        assert!(is_representable(utc(1, 1, 1, 0, 0, 0)));
        assert!(is_representable(utc(9999, 12, 31, 23, 59, 59)));
        assert!(!is_representable(utc(0, 12, 31, 23, 59, 59)));
        assert!(!is_representable(utc(10000, 1, 1, 0, 0, 0)));
    }

    #[test]
    fn a_leap_second_is_not_representable() {
        let leap = DateTime::parse_from_rfc3339("2030-01-07T09:59:60Z").unwrap();
        assert!(!is_representable(leap.with_timezone(&Utc)));
    }

    #[test]
    fn adding_past_the_last_year_names_the_field() {
        let late = utc(9999, 12, 31, 23, 0, 0);
        let err = add("duration", late, Duration::hours(2)).unwrap_err();
        let Error::Validation { fields } = err else {
            panic!("expected a validation error");
        };
        assert_eq!(fields[0].field, "duration");
        assert_eq!(fields[0].code, "out_of_range");
        assert!(add("duration", late, Duration::minutes(30)).is_ok());
    }

    #[test]
    fn adding_at_chronos_limits_is_an_error_not_a_panic() {
        assert!(add("x", DateTime::<Utc>::MAX_UTC, Duration::days(1)).is_err());
        assert_eq!(
            saturating_add(DateTime::<Utc>::MAX_UTC, Duration::days(1)),
            DateTime::<Utc>::MAX_UTC
        );
    }

    #[test]
    fn clamping_keeps_representable_instants_and_caps_the_rest() {
        let at = utc(2030, 1, 7, 9, 0, 0);
        assert_eq!(clamp(at), at);
        assert!(is_representable(clamp(DateTime::<Utc>::MAX_UTC)));
        assert!(is_representable(clamp(DateTime::<Utc>::MIN_UTC)));
    }
}
