//! Counts as every host expects them: never negative in core, a signed
//! integer in the hosts whose integers are signed.
//!
//! Every count, limit, version, sequence number, offset and size a public
//! type carries or an operation takes is a [`Count32`] or a [`Count64`].
//! In core they are unsigned (a count cannot be negative, by its type); on
//! the JSON door they are plain numbers, read as `u32`/`u64` (a negative
//! number is `invalid_value` on its field); in Kotlin and Swift they are
//! `Int`/`Long` and `Int32`/`Int64` (uniffi custom types, `crate::ffi`),
//! where a negative value is refused as `validation` before core sees it.
//! Public types use these and never a bare unsigned integer:
//! `core/tests/counts.rs` fails naming any that does.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! count_type {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name($inner);

        // The schema of the number itself, inline: `api.json` and the
        // hosts generated from it see the plain integer they saw before.
        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                <$inner as schemars::JsonSchema>::schema_name()
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                <$inner as schemars::JsonSchema>::json_schema(generator)
            }
        }

        impl $name {
            /// Zero.
            pub const ZERO: Self = Self(0);

            /// The count `value`.
            pub const fn new(value: $inner) -> Self {
                Self(value)
            }

            /// The number itself.
            pub const fn get(self) -> $inner {
                self.0
            }
        }

        impl From<$inner> for $name {
            fn from(value: $inner) -> Self {
                Self(value)
            }
        }

        impl From<$name> for $inner {
            fn from(count: $name) -> Self {
                count.0
            }
        }

        impl PartialEq<$inner> for $name {
            fn eq(&self, other: &$inner) -> bool {
                self.0 == *other
            }
        }

        impl PartialOrd<$inner> for $name {
            fn partial_cmp(&self, other: &$inner) -> Option<std::cmp::Ordering> {
                self.0.partial_cmp(other)
            }
        }

        impl PartialEq<$name> for $inner {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialOrd<$name> for $inner {
            fn partial_cmp(&self, other: &$name) -> Option<std::cmp::Ordering> {
                self.partial_cmp(&other.0)
            }
        }

        // A count's bounds in a JSON Schema (`#[validate(range)]`, read by
        // schemars).
        impl From<$name> for serde_json::Value {
            fn from(count: $name) -> Self {
                count.0.into()
            }
        }

        // `version + 1`: a count plus a number is a count (overflow is
        // the same error as the integer's).
        impl std::ops::Add<$inner> for $name {
            type Output = Self;

            fn add(self, more: $inner) -> Self {
                Self(self.0 + more)
            }
        }

        impl std::ops::Sub<$inner> for $name {
            type Output = Self;

            fn sub(self, less: $inner) -> Self {
                Self(self.0 - less)
            }
        }

        impl std::ops::SubAssign<$inner> for $name {
            fn sub_assign(&mut self, less: $inner) {
                self.0 -= less;
            }
        }

        impl std::ops::AddAssign<$inner> for $name {
            fn add_assign(&mut self, more: $inner) {
                self.0 += more;
            }
        }

        impl std::iter::Sum<$name> for $name {
            fn sum<I: Iterator<Item = $name>>(counts: I) -> Self {
                Self(counts.map(|count| count.0).sum())
            }
        }

        // A count is no patient data: `Debug` shows the number, as the
        // bare integer it replaces did.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        // `#[validate(range(min = Count32::new(1), …))]` on a count field.
        impl validator::ValidateRange<$name> for $name {
            fn greater_than(&self, max: $name) -> Option<bool> {
                Some(*self > max)
            }

            fn less_than(&self, min: $name) -> Option<bool> {
                Some(*self < min)
            }
        }

        impl validator::ValidateRange<$name> for Option<$name> {
            fn greater_than(&self, max: $name) -> Option<bool> {
                self.map(|count| count > max)
            }

            fn less_than(&self, min: $name) -> Option<bool> {
                self.map(|count| count < min)
            }
        }
    };
}

count_type! {
    /// A count, limit, offset or size that fits 32 bits (Kotlin `Int`,
    /// Swift `Int32`): page limits, minutes and days of a schedule,
    /// refills, schema versions, outbox partitions.
    Count32(u32)
}

count_type! {
    /// A count that may grow past 32 bits (Kotlin `Long`, Swift `Int64`):
    /// versions, sequence numbers, totals, byte sizes.
    Count64(u64)
}

impl From<Count32> for u64 {
    fn from(count: Count32) -> Self {
        u64::from(count.0)
    }
}

impl From<Count32> for i64 {
    fn from(count: Count32) -> Self {
        i64::from(count.0)
    }
}

impl From<Count32> for usize {
    fn from(count: Count32) -> Self {
        // carebase builds for 32- and 64-bit targets only.
        count.0 as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_is_a_plain_json_number() {
        assert_eq!(
            serde_json::to_string(&Count32::new(7)).ok().as_deref(),
            Some("7")
        );
        assert_eq!(
            serde_json::from_str::<Count64>("42").ok(),
            Some(Count64::new(42))
        );
    }

    #[test]
    fn a_negative_json_number_is_no_count() {
        assert!(serde_json::from_str::<Count32>("-1").is_err());
        assert!(serde_json::from_str::<Count64>("-1").is_err());
    }

    #[test]
    fn a_count_compares_with_its_number() {
        assert!(Count32::new(3) < 4);
        assert_eq!(Count64::new(5), 5);
    }
}
