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
//!
//! Text is read in one form only ([`strict`]): a date as `YYYY-MM-DD`, an
//! instant as RFC 3339 with `T`, seconds and an offset or `Z` (no local
//! times). chrono's own readers are lenient (`1990-1-1` reads as
//! `1990-01-01`), which would accept a text that does not read back as
//! written.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};

use crate::error::FieldError;
use crate::limits::{MAX_YEAR, MIN_YEAR};
use crate::{Error, Result};

/// `text` as a date if it is written `YYYY-MM-DD` (four-digit year,
/// two-digit month and day) and names a day of the calendar.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| b[i].is_ascii_digit());
    shaped
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

/// `text` as an instant if it is RFC 3339 in its one strict form:
/// `YYYY-MM-DDTHH:MM:SS`, an optional fraction of 1 to 9 digits, then `Z`
/// or an offset `±HH:MM` (a local time without one is refused, rule 5).
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    let digits = |from: usize, to: usize| {
        b.get(from..to)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let clock = b.len() >= 20
        && parse_date(text.get(..10)?).is_some()
        && b[10] == b'T'
        && digits(11, 13)
        && b[13] == b':'
        && digits(14, 16)
        && b[16] == b':'
        && digits(17, 19);
    if !clock {
        return None;
    }
    let mut at = 19;
    if b[at] == b'.' {
        let fraction = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if !(1..=9).contains(&fraction) {
            return None;
        }
        at += 1 + fraction;
    }
    let zone = &b[at..];
    let offset = zone == b"Z"
        || (zone.len() == 6
            && (zone[0] == b'+' || zone[0] == b'-')
            && digits(at + 1, at + 3)
            && zone[3] == b':'
            && digits(at + 4, at + 6));
    offset
        .then(|| DateTime::parse_from_rfc3339(text).ok())
        .flatten()
        .map(|t| t.with_timezone(&Utc))
}

/// serde readers for the fields a host fills with a date or an instant
/// (`#[serde(deserialize_with = "crate::instant::strict::date")]`): the
/// text in its one form or `invalid_format` (a custom error, which the JSON
/// door reports as that code). Serialization stays chrono's, which writes
/// exactly these forms.
pub mod strict {
    use chrono::{DateTime, NaiveDate, Utc};
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer};

    /// A date written `YYYY-MM-DD`.
    pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_date(&text).ok_or_else(|| D::Error::custom("not a date written YYYY-MM-DD"))
    }

    /// An absent or `null` date, or one written `YYYY-MM-DD`.
    pub fn option_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| {
                super::parse_date(&text)
                    .ok_or_else(|| D::Error::custom("not a date written YYYY-MM-DD"))
            })
            .transpose()
    }

    /// An instant in RFC 3339 with an offset or `Z`.
    pub fn instant<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_instant(&text)
            .ok_or_else(|| D::Error::custom("not an RFC 3339 instant with an offset"))
    }

    /// An absent or `null` instant, or one in RFC 3339 with an offset or `Z`.
    pub fn option_instant<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| {
                super::parse_instant(&text)
                    .ok_or_else(|| D::Error::custom("not an RFC 3339 instant with an offset"))
            })
            .transpose()
    }
}

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
