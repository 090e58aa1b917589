//! Closed sets of codes (permissions, roles, statuses…) declared once.
//!
//! [`code_enum!`] takes one list of `Variant = "code"` and derives from it
//! everything that used to be written by hand four times: the enum, its
//! serde form, `as_str`, `parse`, `ALL` and `CODES`. A variant added to the
//! list is therefore in `ALL` (what policy documents, masks and tests
//! iterate) and speaks the same code everywhere; nothing can be forgotten.
//! Serde sees the same enum its derive would: a unit variant per code, so
//! every format keeps the representation it had.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, EnumAccess, VariantAccess, Visitor};
use serde::Deserializer;

/// What [`code_enum!`] derives, for the code shared by every code enum.
pub(crate) trait Code: Copy + Sized + 'static {
    /// The enum's name, as serde reports it.
    const NAME: &'static str;
    /// Every value, in declaration order.
    const ALL: &'static [Self];
    /// Every code, in the order of [`Code::ALL`].
    const CODES: &'static [&'static str];
    /// The value a code names.
    fn parse(code: &str) -> Option<Self>;
    /// The value's code (`as_str`, for generic tests).
    #[cfg(test)]
    fn code(&self) -> &'static str;
}

/// Declares a code enum from one list of `Variant = "code"`: the enum (with
/// `Debug, Clone, Copy, PartialEq, Eq, Hash` and any derives given), `ALL`,
/// `CODES`, `as_str`, `parse`, `Display`, serde as a unit variant per code,
/// with the `schema` feature a JSON Schema of the codes (a string, one of
/// the codes, each with its variant's doc) and with feature `uniffi` a
/// Kotlin/Swift enum of the same variants.
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident = $code:literal
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "uniffi", derive(::uniffi::Enum))]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        pub enum $name {
            $(
                $(#[$variant_meta])*
                #[cfg_attr(
                    feature = "schema",
                    schemars(rename = $code, extend("x-name" = stringify!($variant)))
                )]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in declaration order (derived from the one list
            /// of codes, so none can be left out).
            pub const ALL: [$name; [$($code),+].len()] = [$($name::$variant),+];

            /// Every code, in the order of `ALL`.
            pub const CODES: [&'static str; [$($code),+].len()] = [$($code),+];

            /// The stable code, as documents, stores and events spell it.
            pub const fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            /// The value a code names; `None` for anything else (codes are
            /// exact: no trimming, no case folding).
            pub fn parse(code: &str) -> Option<Self> {
                match code {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl $crate::codes::Code for $name {
            const NAME: &'static str = stringify!($name);
            const ALL: &'static [Self] = &$name::ALL;
            const CODES: &'static [&'static str] = &$name::CODES;
            fn parse(code: &str) -> Option<Self> {
                $name::parse(code)
            }
            #[cfg(test)]
            fn code(&self) -> &'static str {
                self.as_str()
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_unit_variant(stringify!($name), *self as u32, self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::codes::deserialize(deserializer)
            }
        }
    };
}

pub(crate) use code_enum;

/// Deserializes a code enum the way serde's derive does: as an enum whose
/// unit variants are the codes.
pub(crate) fn deserialize<'de, T: Code, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_enum(T::NAME, T::CODES, EnumVisitor(PhantomData))
}

/// Accepts a unit variant named by its code.
struct EnumVisitor<T>(PhantomData<T>);

impl<'de, T: Code> Visitor<'de> for EnumVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "enum {}", T::NAME)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<T, A::Error> {
        let (Variant(value), access) = data.variant::<Variant<T>>()?;
        access.unit_variant()?;
        Ok(value)
    }
}

/// A variant identifier: its code, or its index in `ALL` (compact formats).
struct Variant<T>(T);

impl<'de, T: Code> de::Deserialize<'de> for Variant<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_identifier(IdentifierVisitor(PhantomData))
            .map(Variant)
    }
}

struct IdentifierVisitor<T>(PhantomData<T>);

impl<T: Code> IdentifierVisitor<T> {
    fn code<E: de::Error>(code: &str) -> Result<T, E> {
        T::parse(code).ok_or_else(|| E::unknown_variant(code, T::CODES))
    }
}

impl<T: Code> Visitor<'_> for IdentifierVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("variant identifier")
    }

    fn visit_u64<E: de::Error>(self, index: u64) -> Result<T, E> {
        usize::try_from(index)
            .ok()
            .and_then(|i| T::ALL.get(i).copied())
            .ok_or_else(|| {
                E::invalid_value(
                    de::Unexpected::Unsigned(index),
                    &format!("variant index 0 <= i < {}", T::ALL.len()).as_str(),
                )
            })
    }

    fn visit_str<E: de::Error>(self, code: &str) -> Result<T, E> {
        Self::code(code)
    }

    fn visit_bytes<E: de::Error>(self, code: &[u8]) -> Result<T, E> {
        match std::str::from_utf8(code) {
            Ok(code) => Self::code(code),
            Err(_) => Err(E::invalid_value(de::Unexpected::Bytes(code), &self)),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::fmt::{Debug, Display};

    use serde::de::value::Error as DeError;
    use serde::de::{DeserializeOwned, Error as _, Visitor};
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    use super::Code;
    use crate::actor::Role;
    use crate::audit::{Outcome, ProblemKind};
    use crate::patient::{
        AddressUse, CheckDigit, ContactSystem, ContactUse, Gender, NameUse, PatientField,
    };
    use crate::policy::{Permission, Relationship};
    use crate::schedule::fhir::FhirSlotStatus;
    use crate::schedule::{AppointmentStatus, CancellationReason, ResourceKind, Weekday};

    /// The codes serde knows for `T`: the variant names its `Deserialize`
    /// hands a format, read by a deserializer that only records them. An
    /// enum whose serde is derived by hand gives its own list here, which is
    /// how a value missing from a hand-kept `ALL` shows up.
    pub(crate) fn serde_codes<T: DeserializeOwned>() -> Vec<&'static str> {
        struct Recorder<'a>(&'a mut Vec<&'static str>);
        impl<'de> serde::Deserializer<'de> for Recorder<'_> {
            type Error = DeError;
            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, DeError> {
                Err(DeError::custom("not an enum"))
            }
            fn deserialize_enum<V: Visitor<'de>>(
                self,
                _name: &'static str,
                variants: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, DeError> {
                self.0.extend_from_slice(variants);
                Err(DeError::custom("recorded"))
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
                bytes byte_buf option unit unit_struct newtype_struct seq tuple
                tuple_struct map struct identifier ignored_any
            }
        }
        let mut codes = Vec::new();
        let _ = T::deserialize(Recorder(&mut codes));
        codes
    }

    /// A one-key TOML document, to check a second format.
    #[derive(Serialize, Deserialize)]
    struct Doc<T> {
        code: T,
    }

    /// One set of codes for `T`: serde (JSON and TOML), `as_str`, `Display`,
    /// `parse`, `CODES` and the list serde itself knows all agree, and `ALL`
    /// holds each value and code once.
    fn speaks_one_set_of_codes<T>()
    where
        T: Code + Serialize + DeserializeOwned + Display + Debug + PartialEq,
    {
        let name = T::NAME;
        assert_eq!(serde_codes::<T>(), T::CODES, "{name}: serde's codes");
        assert_eq!(T::ALL.len(), T::CODES.len(), "{name}");
        for (i, (value, code)) in T::ALL.iter().zip(T::CODES).enumerate() {
            assert_eq!(value.code(), *code, "{name}");
            assert_eq!(value.to_string(), *code, "{name}");
            assert_eq!(T::parse(code), Some(*value), "{name}");
            assert_eq!(serde_json::to_value(value).ok(), Some(json!(code)));
            let read: Option<T> = serde_json::from_value(json!(code)).ok();
            assert_eq!(read, Some(*value), "{name}");
            let toml = format!("code = \"{code}\"\n");
            assert_eq!(
                toml::to_string(&Doc { code: *value }).ok(),
                Some(toml.clone())
            );
            let read: Option<Doc<T>> = toml::from_str(&toml).ok();
            assert_eq!(read.map(|d| d.code), Some(*value), "{name}");
            assert!(!T::ALL[..i].contains(value), "{name}: {code} twice");
            assert!(!T::CODES[..i].contains(code), "{name}: {code} twice");
        }
        for stranger in ["", "not a code", "PATIENT", " patient"] {
            assert_eq!(T::parse(stranger), None, "{name}");
            assert!(serde_json::from_value::<T>(json!(stranger)).is_err());
        }
    }

    #[test]
    fn every_code_enum_speaks_one_set_of_codes() {
        speaks_one_set_of_codes::<Permission>();
        speaks_one_set_of_codes::<Relationship>();
        speaks_one_set_of_codes::<Role>();
        speaks_one_set_of_codes::<PatientField>();
        speaks_one_set_of_codes::<Gender>();
        speaks_one_set_of_codes::<NameUse>();
        speaks_one_set_of_codes::<ContactSystem>();
        speaks_one_set_of_codes::<ContactUse>();
        speaks_one_set_of_codes::<AddressUse>();
        speaks_one_set_of_codes::<CheckDigit>();
        speaks_one_set_of_codes::<Outcome>();
        speaks_one_set_of_codes::<ProblemKind>();
        speaks_one_set_of_codes::<Weekday>();
        speaks_one_set_of_codes::<AppointmentStatus>();
        speaks_one_set_of_codes::<ResourceKind>();
        speaks_one_set_of_codes::<FhirSlotStatus>();
        speaks_one_set_of_codes::<CancellationReason>();
        speaks_one_set_of_codes::<crate::StorageKind>();
        speaks_one_set_of_codes::<crate::terminology::code_system::CodeSystem>();
        speaks_one_set_of_codes::<crate::terminology::interpretation::Interpretation>();
    }
}
