//! [`Bytes`]: a document's content as it crosses a host boundary.
//!
//! Up to [`MAX_ATTACHMENT_BYTES`](crate::limits::MAX_ATTACHMENT_BYTES) of
//! bytes do not belong in JSON text (base64 grows them by a third and every
//! host would parse and copy them twice), so the JSON door
//! ([`crate::api::call_with_bytes`]) carries a call's one `Bytes` argument
//! and a result's one `Bytes` field BESIDE the JSON text. The type says so
//! in every form it has: it reads only from raw bytes (never from JSON
//! text: a host that puts bytes in the JSON gets `invalid_type`), it has no
//! JSON form to write, `api.json` names it `Bytes` (`format: bytes`), and
//! uniffi hands it over as the host's byte type (Kotlin `ByteArray`, Swift
//! `Data`).

use std::fmt;

use serde::de::{Deserialize, Deserializer, Visitor};

/// Raw bytes (a scanned letter, an image). `Debug` shows the length only:
/// the content is patient data.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// How many bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The owned bytes.
    pub fn into_vec(self) -> Vec<u8> {
        self.0
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bytes({} bytes)", self.0.len())
    }
}

/// Reads raw bytes only: the door hands them over as such; JSON text (a
/// string, an array of numbers) is refused as the wrong type.
impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Raw;
        impl<'de> Visitor<'de> for Raw {
            type Value = Bytes;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("bytes passed beside the json text")
            }

            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }

            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }

            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Bytes, E> {
                Err(E::invalid_type(serde::de::Unexpected::Other("text"), &self))
            }
        }
        // `any`, not `byte_buf`: serde_json hands a string's bytes to a
        // byte visitor, and bytes in JSON text are what this type refuses.
        deserializer.deserialize_any(Raw)
    }
}

/// A named schema (`format: bytes`), so host generators map it to their
/// byte type and pass it beside the JSON text.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Bytes {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Bytes".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Raw bytes, passed beside the JSON text of a call or a result (never inside it).",
            "type": "string",
            "format": "bytes",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_never_read_from_json_text() {
        assert!(serde_json::from_str::<Bytes>("\"aGVsbG8=\"").is_err());
        assert!(serde_json::from_str::<Bytes>("[1, 2, 3]").is_err());
    }

    #[test]
    fn debug_shows_the_length_and_never_the_content() {
        assert_eq!(format!("{:?}", Bytes(b"secret".to_vec())), "Bytes(6 bytes)");
    }
}
