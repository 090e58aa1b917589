//! How core's types cross into Kotlin and Swift (feature `uniffi`).
//!
//! The records, enums and the error derive `uniffi::Record`/`Enum`/`Error`
//! where they are declared; this module declares, once, how the foreign
//! types they hold cross: each as a uniffi custom type over a builtin, which
//! `bindings-mobile/uniffi.toml` maps to the host's own type where it has
//! one. Ids are UUID text (Kotlin `java.util.UUID`, Swift `UUID`), instants
//! uniffi's timestamp (`java.time.Instant`, `Date`), dates and wall-clock
//! times ISO text (`java.time.LocalDate`/`LocalTime`, Swift `String`),
//! lengths of time whole minutes as in every host (`java.time.Duration`,
//! Swift `TimeInterval`), JSON documents text.
//!
//! Reading a value a host handed in never loses a field's name: a host
//! value past chrono's range reads as chrono's limit, which the rule of that
//! field then refuses naming it (`out_of_range`); JSON text reaches core as
//! a string that core parses where it reads the document, bounded and named
//! ([`crate::document::read`]). What can still fail here (text that is no
//! date, from a host whose type is text) is a `validation` error, never an
//! internal one: uniffi hands an error of the call's own error type through.
//!
//! Counts ([`Count32`], [`Count64`]) cross as Kotlin `Int`/`Long`, Swift
//! `Int32`/`Int64`: a negative one is refused here as `validation`
//! (`invalid_value`, what the JSON door answers for it), so `-1` never
//! reaches core as a huge number. A custom type cannot know which field it
//! fills: its error names the field `count`, and the mobile `Clinic` names
//! the argument that held it instead. A count core hands out past the
//! host's largest signed value (none does: they are bounded far below)
//! would read as that largest value.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use chrono::{DateTime, Datelike, DurationRound, NaiveDate, NaiveTime, Timelike, Utc};
use serde_json::Value;

use crate::bytes::Bytes;
use crate::count::{Count32, Count64};
use crate::minutes::Minutes;
use crate::policy::{DenyReason, Policy};
use crate::Error;

/// An instant: Kotlin `java.time.Instant`, Swift `Date`.
pub type Instant = DateTime<Utc>;

/// A calendar date with no time zone (a birth date, a local date of a
/// schedule): Kotlin `java.time.LocalDate`, Swift ISO text `yyyy-mm-dd`.
pub type LocalDate = NaiveDate;

/// A wall-clock time of day in a practitioner's zone: Kotlin
/// `java.time.LocalTime`, Swift ISO text `HH:MM` (`HH:MM:SS` when the
/// seconds are not zero).
pub type LocalTime = NaiveTime;

/// A length of time (a window of the settings): Kotlin
/// `java.time.Duration`, Swift `TimeInterval`; whole minutes across, the
/// unit of every host ([`Minutes`]).
pub type TimeSpan = chrono::Duration;

/// A JSON document (a FHIR resource, an event payload), as JSON text.
pub type Json = Value;

/// An exact decimal (a measured value, a dose) as its text, e.g. `"72.50"`.
pub type ExactDecimal = rust_decimal::Decimal;

/// Text keyed by text (the reference map of a FHIR import).
pub type TextMap = BTreeMap<String, String>;

uniffi::custom_type!(Instant, SystemTime, {
    remote,
    lower: |at| SystemTime::from(at),
    try_lift: |at| Ok(instant(at)),
});

uniffi::custom_type!(LocalDate, String, {
    remote,
    lower: |date| date.format("%Y-%m-%d").to_string(),
    try_lift: |text| local_date(&text),
});

uniffi::custom_type!(LocalTime, String, {
    remote,
    lower: |time| wall_clock(time),
    try_lift: |text| local_time(&text),
});

uniffi::custom_type!(TimeSpan, i64, {
    remote,
    lower: |span| Minutes::from_duration(span).get(),
    try_lift: |minutes| Ok(minutes_of(minutes).to_duration()),
});

// A length of time an operation takes (a grant's duration): the same
// host types as [`TimeSpan`].
uniffi::custom_type!(Minutes, i64, {
    lower: |minutes| minutes.get(),
    try_lift: |minutes| Ok(minutes_of(minutes)),
});

uniffi::custom_type!(Count32, i32, {
    lower: |count| i32::try_from(count.get()).unwrap_or(i32::MAX),
    try_lift: |value| u32::try_from(value).map(Count32::new).map_err(|_| negative_count()),
});

uniffi::custom_type!(Count64, i64, {
    lower: |count| i64::try_from(count.get()).unwrap_or(i64::MAX),
    try_lift: |value| u64::try_from(value).map(Count64::new).map_err(|_| negative_count()),
});

uniffi::custom_type!(Json, String, {
    remote,
    lower: |value| value.to_string(),
    try_lift: |text| Ok(Value::String(text)),
});

uniffi::custom_type!(ExactDecimal, String, {
    remote,
    lower: |value| value.to_string(),
    try_lift: |text| crate::decimal::parse(&text)
        .ok_or_else(|| Error::invalid("value", "invalid_format", "not a decimal number").into()),
});

uniffi::custom_type!(TextMap, HashMap<String, String>, {
    remote,
    lower: |map| map.into_iter().collect(),
    try_lift: |map| Ok(map.into_iter().collect()),
});

// What Rust callers get from `Display` or a field walk, as methods Kotlin
// and Swift call on the records themselves.
#[uniffi::export]
impl DenyReason {
    /// The denial in one line (which permission, which rules, why none
    /// allowed): the text the error message carries.
    pub fn summary(&self) -> String {
        self.to_string()
    }
}

#[uniffi::export]
impl Policy {
    /// The ids of the rules, in order.
    pub fn rule_ids(&self) -> Vec<String> {
        self.rules.iter().map(|rule| rule.id.clone()).collect()
    }
}

/// The field a custom type's refusal names: the value's own kind, which
/// the mobile `Clinic` replaces with the argument that held it.
pub const LIFTED_FIELD: &str = "count";

/// A negative count from a host: what the JSON door answers for one.
fn negative_count() -> uniffi::deps::anyhow::Error {
    Error::invalid(
        LIFTED_FIELD,
        "invalid_value",
        "a count must not be negative",
    )
    .into()
}

/// `minutes`, or the nearest a [`Minutes`] holds (which every rule on a
/// length of time refuses, naming its field).
fn minutes_of(minutes: i64) -> Minutes {
    let held = minutes.clamp(-Minutes::MAX, Minutes::MAX);
    Minutes::new(held).unwrap_or_default()
}

/// The instant a host's timestamp names, to the nearest microsecond (what
/// carebase keeps: Swift's `Date` is a floating-point count of seconds, so
/// an instant carebase handed out comes back a few nanoseconds off, and a
/// signed checkpoint would no longer verify), or chrono's first or last
/// one when it lies beyond them (which every instant rule refuses, naming
/// its field).
fn instant(at: SystemTime) -> Instant {
    let exact = exact_instant(at);
    exact
        .duration_round(chrono::TimeDelta::microseconds(1))
        .unwrap_or(exact)
}

fn exact_instant(at: SystemTime) -> Instant {
    let (after, offset) = match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(offset) => (true, offset),
        Err(before) => (false, before.duration()),
    };
    let exact = i64::try_from(offset.as_secs()).ok().and_then(|secs| {
        if after {
            DateTime::from_timestamp(secs, offset.subsec_nanos())
        } else {
            // Before the epoch: back whole seconds, then forward the rest.
            let back = secs.checked_add(i64::from(offset.subsec_nanos() > 0))?;
            let nanos = (1_000_000_000 - offset.subsec_nanos()) % 1_000_000_000;
            DateTime::from_timestamp(back.checked_neg()?, nanos)
        }
    });
    exact.unwrap_or(if after {
        DateTime::<Utc>::MAX_UTC
    } else {
        DateTime::<Utc>::MIN_UTC
    })
}

/// A `yyyy-mm-dd` date; a year beyond chrono's reads as chrono's limit (the
/// date rules refuse it, naming the field). Years may carry a sign and more
/// than four digits, as `java.time.LocalDate` writes them.
fn local_date(text: &str) -> uniffi::Result<LocalDate> {
    let invalid = || Error::invalid("date", "invalid_date", "not a yyyy-mm-dd date");
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'+') => (1, &text[1..]),
        Some(b'-') => (-1, &text[1..]),
        _ => (1, text),
    };
    let mut parts = rest.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid().into());
    };
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(y, 4, 10) || !digits(m, 2, 2) || !digits(d, 2, 2) {
        return Err(invalid().into());
    }
    let (Ok(year), Ok(month), Ok(day)) = (y.parse::<i64>(), m.parse::<u32>(), d.parse::<u32>())
    else {
        return Err(invalid().into());
    };
    let year = sign * year;
    let in_chrono =
        (i64::from(NaiveDate::MIN.year())..=i64::from(NaiveDate::MAX.year())).contains(&year);
    if !in_chrono && (1..=12).contains(&month) && (1..=31).contains(&day) {
        return Ok(if year < 0 {
            NaiveDate::MIN
        } else {
            NaiveDate::MAX
        });
    }
    i32::try_from(year)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, month, day))
        .ok_or_else(|| invalid().into())
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fraction`.
fn local_time(text: &str) -> uniffi::Result<LocalTime> {
    NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S%.f"))
        .map_err(|_| Error::invalid("time", "invalid_time", "not an HH:MM local time").into())
}

/// `HH:MM`, with the seconds (and their fraction) only when not zero.
fn wall_clock(time: LocalTime) -> String {
    if time.second() == 0 && time.nanosecond() == 0 {
        time.format("%H:%M").to_string()
    } else if time.nanosecond() == 0 {
        time.format("%H:%M:%S").to_string()
    } else {
        time.format("%H:%M:%S%.f").to_string()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration as StdDuration;

    use chrono::TimeZone;

    use super::*;

    #[test]
    fn an_instant_before_the_epoch_keeps_its_fraction() {
        let at = Utc.with_ymd_and_hms(1969, 12, 31, 23, 59, 58).unwrap()
            + chrono::Duration::milliseconds(250);
        assert_eq!(instant(SystemTime::from(at)), at);
    }

    #[test]
    fn an_instant_a_few_nanoseconds_off_reads_as_the_microsecond_it_was() {
        let at = Utc.with_ymd_and_hms(2030, 1, 7, 8, 0, 0).unwrap()
            + chrono::Duration::microseconds(123_456);
        let off = SystemTime::from(at) - StdDuration::from_nanos(1);
        assert_eq!(instant(off), at);
    }

    #[test]
    fn an_instant_past_chronos_range_reads_as_its_limit() {
        let far = SystemTime::UNIX_EPOCH + StdDuration::from_secs(i64::MAX as u64 / 2);
        assert_eq!(instant(far), DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn a_date_reads_as_java_writes_it() {
        assert_eq!(
            local_date("2024-02-29").ok(),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        assert_eq!(local_date("+1000000000-01-01").ok(), Some(NaiveDate::MAX));
        assert_eq!(local_date("-1000000000-01-01").ok(), Some(NaiveDate::MIN));
        assert_eq!(
            local_date("-0001-01-01").ok(),
            NaiveDate::from_ymd_opt(-1, 1, 1)
        );
    }

    #[test]
    fn text_that_is_no_date_is_a_validation_error() {
        for text in ["", "2024-02-30", "2024-2-3", "01/02/2024", "2024-13-01"] {
            let err = local_date(text)
                .err()
                .and_then(|e| e.downcast::<Error>().ok());
            assert_eq!(err.map(|e| e.code()), Some("validation"), "{text}");
        }
    }

    #[test]
    fn a_negative_count_from_a_host_is_a_validation_error() {
        use uniffi::FfiConverter;
        let err = <Count32 as FfiConverter<crate::UniFfiTag>>::try_lift(-1)
            .err()
            .and_then(|e| e.downcast::<Error>().ok());
        assert_eq!(err.map(|e| e.code()), Some("validation"));
        let err = <Count64 as FfiConverter<crate::UniFfiTag>>::try_lift(-1)
            .err()
            .and_then(|e| e.downcast::<Error>().ok());
        assert_eq!(err.map(|e| e.code()), Some("validation"));
    }

    #[test]
    fn a_count_past_a_hosts_largest_reads_as_that_largest() {
        use uniffi::FfiConverter;
        let lowered = <Count32 as FfiConverter<crate::UniFfiTag>>::lower(Count32::new(u32::MAX));
        assert_eq!(lowered, i32::MAX);
    }

    #[test]
    fn a_time_keeps_its_seconds_only_when_it_has_them() {
        for text in ["09:00", "09:00:30", "23:59:59.500"] {
            let time = local_time(text).ok();
            assert_eq!(time.map(wall_clock).as_deref(), Some(text));
        }
    }
}

// A document's content: Kotlin `ByteArray`, Swift `Data`.
uniffi::custom_type!(Bytes, Vec<u8>, {
    lower: |bytes| bytes.into_vec(),
    try_lift: |bytes| Ok(Bytes(bytes)),
});
