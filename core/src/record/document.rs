//! What reading a document answers: the entry and its bytes, checked
//! against the entry's SHA-256 (the bytes travel beside the JSON text in
//! the JSON door, see [`crate::bytes`]).

use super::ClinicalEntry;
use crate::bytes::Bytes;

/// A document entry with its content, as `read_document` answers it.
/// Deliberately without a JSON form: the door writes `entry` as JSON and
/// hands `bytes` beside it.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DocumentContent {
    /// The document's current version (content type, size, SHA-256, title).
    pub entry: ClinicalEntry,
    /// The bytes, identical to those attached (their SHA-256 was checked).
    pub bytes: Bytes,
}
