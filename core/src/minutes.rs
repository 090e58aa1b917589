//! Lengths of time as they cross to and from a host: whole minutes.
//!
//! Every duration carebase takes or returns (a break-the-glass grant, the
//! settings' windows) is one integer of minutes on the wire, so no host has
//! to guess a unit; each host shows it as its own duration type. Fields that
//! already carry their unit in their name (`duration_minutes`,
//! `offset_minutes`, `horizon_days`) are plain integers.

use std::fmt;

use chrono::Duration;
use serde::de::{self, Unexpected, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A length of time in whole minutes, as hosts hand it in. It may be
/// negative (the rules that use it say what they accept) and is bounded by
/// what a [`Duration`] holds, so converting never fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Minutes(i64);

impl Minutes {
    /// The most minutes a [`Duration`] holds (about 292 million years).
    pub const MAX: i64 = i64::MAX / 60_000;

    /// `minutes`, or `None` past ±[`Minutes::MAX`].
    pub const fn new(minutes: i64) -> Option<Self> {
        if minutes > Self::MAX || minutes < -Self::MAX {
            None
        } else {
            Some(Self(minutes))
        }
    }

    /// The number of minutes.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// The same length as a [`Duration`].
    pub fn to_duration(self) -> Duration {
        Duration::try_minutes(self.0).unwrap_or(Duration::MAX)
    }

    /// A [`Duration`] in whole minutes (seconds dropped, toward zero).
    pub fn from_duration(duration: Duration) -> Self {
        Self(duration.num_minutes())
    }
}

impl From<Minutes> for Duration {
    fn from(minutes: Minutes) -> Self {
        minutes.to_duration()
    }
}

impl fmt::Display for Minutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} min", self.0)
    }
}

impl Serialize for Minutes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.0)
    }
}

impl<'de> Deserialize<'de> for Minutes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_i64(MinutesVisitor)
    }
}

/// Reads an integer of minutes; a whole float (what a JavaScript number
/// may arrive as) is accepted, a fraction or an out-of-range count is an
/// invalid value.
struct MinutesVisitor;

const EXPECTED: &str = "whole minutes within ±153722867280912";

impl Visitor<'_> for MinutesVisitor {
    type Value = Minutes;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Minutes, E> {
        Minutes::new(v).ok_or_else(|| E::invalid_value(Unexpected::Signed(v), &EXPECTED))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Minutes, E> {
        i64::try_from(v)
            .ok()
            .and_then(Minutes::new)
            .ok_or_else(|| E::invalid_value(Unexpected::Unsigned(v), &EXPECTED))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Minutes, E> {
        let limit = Minutes::MAX as f64;
        if v.fract() == 0.0 && v.abs() <= limit {
            // Whole and within ±MAX (exactly representable well past it).
            Ok(Minutes(v as i64))
        } else {
            Err(E::invalid_value(Unexpected::Float(v), &EXPECTED))
        }
    }
}

/// A named schema, so host generators map it to their duration type.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Minutes {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Minutes".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A length of time in whole minutes (each host shows its own duration type).",
            "type": "integer",
            "format": "int64",
            "minimum": -Minutes::MAX,
            "maximum": Minutes::MAX,
        })
    }
}

/// Serde for a [`Duration`] field as whole [`Minutes`]
/// (`#[serde(with = "crate::minutes::as_minutes")]`).
pub mod as_minutes {
    use chrono::Duration;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Minutes;

    /// Writes the duration's whole minutes.
    pub fn serialize<S: Serializer>(d: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        Minutes::from_duration(*d).serialize(serializer)
    }

    /// Reads whole minutes.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        Minutes::deserialize(deserializer).map(Minutes::to_duration)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(v: serde_json::Value) -> Option<Minutes> {
        serde_json::from_value(v).ok()
    }

    #[test]
    fn minutes_read_whole_numbers_and_refuse_fractions_and_overflow() {
        assert_eq!(read(json!(90)), Minutes::new(90));
        assert_eq!(read(json!(-5)), Minutes::new(-5));
        assert_eq!(read(json!(30.0)), Minutes::new(30));
        assert_eq!(read(json!(1.5)), None);
        assert_eq!(read(json!(Minutes::MAX)), Minutes::new(Minutes::MAX));
        assert_eq!(read(json!(Minutes::MAX + 1)), None);
        assert_eq!(read(json!(u64::MAX)), None);
        assert_eq!(read(json!(1e300)), None);
        assert_eq!(read(json!("5")), None);
    }

    #[test]
    fn every_minutes_value_converts_to_a_duration_and_back() {
        for m in [0, 1, -1, 60, Minutes::MAX, -Minutes::MAX] {
            let minutes = Minutes::new(m).unwrap_or_default();
            assert_eq!(Minutes::from_duration(minutes.to_duration()), minutes);
        }
    }
}
