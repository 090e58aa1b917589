//! FHIR R4 DocumentReference: refused for now, with the reason.
//!
//! A document entry holds the SHA-256 and size of bytes kept through the
//! blob port; an attachment by `url` names bytes carebase cannot fetch
//! (core does no I/O) and its `hash` is SHA-1, and inline `data` needs the
//! document operation that puts bytes through the blob port, which is not
//! on this branch's base yet.

use super::Reader;
use crate::record::NewEntry;

/// Refuses a DocumentReference, naming each attachment's `data` or `url`.
pub(super) fn read(r: &mut Reader<'_>) -> Option<NewEntry> {
    r.subject("subject");
    let contents = r.list(r.get("content"), "content");
    if contents.is_empty() {
        r.required("content", "a document's attachment");
    }
    for (i, content) in contents.iter().enumerate() {
        let at = format!("content[{i}].attachment");
        let attachment = content.get("attachment");
        if attachment.and_then(|a| a.get("data")).is_some() {
            r.fail(
                format!("{at}.data"),
                "unsupported_value",
                "a document's bytes come in through the document operation, not a fhir import",
            );
        } else {
            r.fail(
                format!("{at}.url"),
                "unsupported_value",
                "carebase keeps a document's bytes itself and does not fetch them",
            );
        }
    }
    None
}
