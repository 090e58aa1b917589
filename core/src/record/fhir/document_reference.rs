//! FHIR R4 DocumentReference ⇄ [`DocumentEntry`], with its bytes.
//!
//! An import takes the bytes inline (`content[0].attachment.data`, base64):
//! the reader decodes them and computes the size and SHA-256 the entry
//! records, and the clinic keeps them through the blob port before the
//! entry, as `attach_document` does. An attachment that only names a `url`
//! is refused: core does no I/O and carebase does not fetch. A `size` or
//! `hash` (FHIR's is the base64 SHA-1) the attachment states must agree
//! with the bytes.
//!
//! The bytes are never kept in the entry's `fhir` (they are in the blob
//! store already): the kept original of `content` leaves `data` out, and
//! the clinic's export puts it back, read from the blob port and checked,
//! for readers with `record.notes` only (the same rule as
//! `read_document`). Others get the attachment without `data` (and without
//! a title). carebase writes no `hash` of its own (the entry holds a
//! SHA-256, FHIR wants SHA-1); an imported one, checked on import, is kept.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};

use super::{instant_json, reference_json, Object, Reader};
use crate::bytes::Bytes;
use crate::ids::EntryId;
use crate::limits::MAX_ATTACHMENT_BYTES;
use crate::record::{ClinicalEntry, DocumentEntry, EntryBody, NewEntry};
use crate::store::BlobKey;

/// The modelled element groups.
pub(super) const MODELLED: &[&str] = &["status", "subject", "date", "content", "context"];

/// Where an import's bytes are, in the resource and in an export.
pub(super) const DATA_AT: &str = "content[0].attachment.data";

/// Reads a DocumentReference: status `current`, subject, `date` (the
/// clinical time, required), one content whose attachment has `data`
/// (base64), a `contentType` and optionally a `title`, and
/// `context.encounter[0]` linked when it resolves. Returns the entry and
/// the decoded bytes.
pub(super) fn read(r: &mut Reader<'_>) -> Option<(NewEntry, Bytes)> {
    r.subject("subject");
    let status = r.code(
        "status",
        |s| (s == "current").then_some(()),
        "current (a document is retracted in carebase, not imported retracted)",
    );
    let effective_at = r.effective(&["date"]);
    let encounter = r
        .lookup("context")
        .and_then(|c| c.get("encounter"))
        .and_then(Value::as_array)
        .and_then(|list| list.first())
        .and_then(|e| r.reference(Some(e), "context.encounter[0]", "Encounter"))
        .map(EntryId);
    r.from("encounter", "context.encounter[0].reference");
    let contents = r.list(r.get("content"), "content");
    let Some(content) = contents.first() else {
        r.required("content", "a document's attachment");
        return None;
    };
    if contents.len() > 1 {
        r.fail(
            "content",
            "too_many",
            "one attachment per document: import each as its own document",
        );
    }
    let at = "content[0].attachment";
    let attachment = content.get("attachment");
    let Some(data) = attachment.and_then(|a| a.get("data")) else {
        r.fail(
            format!("{at}.url"),
            "unsupported_value",
            "carebase keeps a document's bytes itself and does not fetch them",
        );
        return None;
    };
    let bytes = decode(r, data);
    // `attach_document`'s checks name `bytes` and `content_type`.
    r.from("bytes", DATA_AT);
    r.from("content_type", format!("{at}.contentType"));
    let content_type = r.text(
        attachment.and_then(|a| a.get("contentType")),
        &format!("{at}.contentType"),
    );
    if content_type.is_none() {
        r.required(&format!("{at}.contentType"), "the document's content type");
    }
    r.from("body.content_type", format!("{at}.contentType"));
    let title = r.text(
        attachment.and_then(|a| a.get("title")),
        &format!("{at}.title"),
    );
    r.from("body.title", format!("{at}.title"));
    if let Some(bytes) = &bytes {
        stated_agree(r, attachment, bytes);
    }
    let bytes = bytes?;
    let body = DocumentEntry {
        content_type: content_type?.to_owned(),
        size: crate::Count64::new(bytes.len() as u64),
        sha256: BlobKey::of(bytes.as_slice()).as_str().to_owned(),
        title: title.map(str::to_owned),
    };
    status?;
    Some((
        NewEntry {
            effective_at: effective_at?,
            encounter,
            body: EntryBody::Document(body),
        },
        bytes,
    ))
}

/// The bytes of `data`: base64 of at most `MAX_ATTACHMENT_BYTES` bytes.
fn decode(r: &mut Reader<'_>, data: &Value) -> Option<Bytes> {
    let text = r.text(Some(data), DATA_AT)?;
    // Every 4 characters of base64 are 3 bytes: refuse before decoding.
    if text.len() / 4 * 3 > MAX_ATTACHMENT_BYTES + 3 {
        r.fail(
            DATA_AT,
            "too_large",
            format!("at most {MAX_ATTACHMENT_BYTES} bytes"),
        );
        return None;
    }
    match STANDARD.decode(text) {
        Ok(bytes) => Some(Bytes(bytes)),
        Err(_) => {
            r.fail(DATA_AT, "invalid_format", "must be base64");
            None
        }
    }
}

/// Checks the `size` and `hash` an attachment states against its bytes.
fn stated_agree(r: &mut Reader<'_>, attachment: Option<&Value>, bytes: &Bytes) {
    let at = "content[0].attachment";
    if let Some(size) = attachment.and_then(|a| a.get("size")) {
        if size.as_u64() != Some(bytes.len() as u64) {
            r.fail(
                format!("{at}.size"),
                "mismatch",
                "must be the number of bytes in data",
            );
        }
    }
    if let Some(hash) = attachment.and_then(|a| a.get("hash")) {
        if hash.as_str() != Some(sha1_of(bytes).as_str()) {
            r.fail(
                format!("{at}.hash"),
                "mismatch",
                "must be the base64 sha-1 of the bytes in data",
            );
        }
    }
}

/// FHIR's `Attachment.hash`: the base64 SHA-1 of the bytes.
fn sha1_of(bytes: &Bytes) -> String {
    STANDARD.encode(Sha1::digest(bytes.as_slice()))
}

/// `resource` without the bytes of its first attachment (what an import
/// keeps of it: the bytes are in the blob store).
pub(super) fn without_data(resource: &Value) -> Value {
    let mut out = resource.clone();
    if let Some(attachment) = out
        .get_mut("content")
        .and_then(|c| c.get_mut(0))
        .and_then(|c| c.get_mut("attachment"))
        .and_then(Value::as_object_mut)
    {
        attachment.remove("data");
    }
    out
}

/// Puts `bytes` back as the first attachment's `data` of an exported
/// DocumentReference.
pub fn with_data(resource: &mut Value, bytes: &[u8]) {
    if let Some(attachment) = resource
        .get_mut("content")
        .and_then(|c| c.get_mut(0))
        .and_then(|c| c.get_mut("attachment"))
        .and_then(Value::as_object_mut)
    {
        attachment.insert("data".into(), json!(STANDARD.encode(bytes)));
    }
}

/// Writes a document's modelled elements (never its bytes).
pub(super) fn write(entry: &ClinicalEntry, d: &DocumentEntry, out: &mut Object) {
    let status = if entry.is_retracted() {
        "entered-in-error"
    } else {
        "current"
    };
    out.insert("status".into(), json!(status));
    out.insert("subject".into(), reference_json("Patient", entry.patient));
    out.insert("date".into(), instant_json(entry.effective_at));
    let mut attachment = Object::new();
    attachment.insert("contentType".into(), json!(d.content_type));
    attachment.insert("size".into(), json!(d.size));
    if let Some(title) = &d.title {
        attachment.insert("title".into(), json!(title));
    }
    out.insert("content".into(), json!([{ "attachment": attachment }]));
    if let Some(encounter) = entry.encounter {
        let context = json!({ "encounter": [reference_json("Encounter", encounter)] });
        out.insert("context".into(), context);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attachment_hash_is_the_base64_sha1_fhir_states() {
        // The hash of no bytes, as FHIR's own example writes it.
        assert_eq!(sha1_of(&Bytes(Vec::new())), "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
    }
}
