//! Documents (a scanned letter, an image): the bytes go through the blob
//! port, the entry records what identifies and checks them.
//!
//! Attaching checks everything first (size, content type, the entry's
//! envelope, the patient's state), then writes the bytes, then the entry:
//! an entry never names bytes that are not kept (see the port's module
//! doc for the orphan a failed entry write leaves). Reading needs
//! `record.notes` (document content is hidden like note text), checks the
//! bytes against the entry's SHA-256 and is audited as a read.

use chrono::{DateTime, Utc};

use super::super::{Attempt, Clinic};
use super::subject;
use crate::actor::Actor;
use crate::bytes::Bytes;
use crate::ids::{EntryId, PatientId};
use crate::limits::MAX_ATTACHMENT_BYTES;
use crate::policy::Permission;
use crate::record::{
    ClinicalEntry, DocumentContent, DocumentEntry, EntryBody, EntryKind, NewEntry,
};
use crate::store::{BlobKey, BlobStore, ChangeSet};
use crate::validation::Errors;
use crate::{Count64, Error, Result, StorageKind};

/// The content types a document may have. An allow-list, not any
/// well-formed MIME type: hosts hand documents back to viewers (a portal,
/// a mobile app), and a type such as `text/html` or `image/svg+xml` would
/// let an uploaded file run script where it is shown. These are what a
/// practice scans, photographs or receives: PDF, the common image formats
/// and plain text.
pub const DOCUMENT_CONTENT_TYPES: [&str; 8] = [
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/tiff",
    "image/gif",
    "image/webp",
    "image/heic",
    "text/plain",
];

/// `type/subtype` of a content type, lowercased (parameters dropped).
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Problems of a document's bytes and content type before anything is
/// written; the content type's syntax and length are the body's own rules.
pub(super) fn attachment_problems(errors: &mut Errors, content_type: &str, bytes: &Bytes) {
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        errors.add(
            "bytes",
            "too_large",
            format!("at most {MAX_ATTACHMENT_BYTES} bytes"),
        );
    }
    let known = essence(content_type);
    if !known.is_empty() && known.contains('/') && !DOCUMENT_CONTENT_TYPES.contains(&known.as_str())
    {
        errors.add(
            "content_type",
            "not_allowed",
            format!("must be one of {}", DOCUMENT_CONTENT_TYPES.join(", ")),
        );
    }
}

/// An amendment of a document may retitle it; new content is a new
/// document (attach it, retract the old one), so the bytes an entry names
/// never change under it.
pub(super) fn amendment_problems(current: &ClinicalEntry, body: &EntryBody) -> Result<()> {
    let (EntryBody::Document(was), EntryBody::Document(now)) = (&current.body, body) else {
        return Ok(());
    };
    let mut errors = Errors::default();
    for (field, same) in [
        ("body.content_type", was.content_type == now.content_type),
        ("body.size", was.size == now.size),
        ("body.sha256", was.sha256 == now.sha256),
    ] {
        if !same {
            errors.add(field, "changed", "a document's content cannot be amended");
        }
    }
    errors.finish()
}

/// A document body handed to `record_entry` names bytes nobody kept:
/// documents are attached with their bytes.
pub(super) fn refuse_bare_document(entry: &NewEntry) -> Result<()> {
    match entry.body {
        EntryBody::Document(_) => Err(Error::invalid(
            "entry.body.kind",
            "use_attach_document",
            "a document is recorded with its bytes by attach_document",
        )),
        _ => Ok(()),
    }
}

impl Clinic {
    /// The blob store documents' bytes go to.
    pub(super) fn document_blobs(&self) -> Result<&std::sync::Arc<dyn BlobStore>> {
        self.blobs
            .as_ref()
            .ok_or_else(|| Error::storage("no blob store is configured for documents"))
    }

    /// Attaches a document (a scanned letter, an image) to `patient`'s
    /// record: `record.write`; at most `MAX_ATTACHMENT_BYTES` (20 MiB,
    /// `too_large` on `bytes`), a content type of the allow-list
    /// (`DOCUMENT_CONTENT_TYPES`). Core computes the size and SHA-256; the
    /// bytes are kept before the entry is written.
    #[allow(clippy::too_many_arguments)]
    pub async fn attach_document(
        &self,
        actor: &Actor,
        patient: PatientId,
        effective_at: DateTime<Utc>,
        encounter: Option<EntryId>,
        content_type: &str,
        title: Option<&str>,
        bytes: &Bytes,
    ) -> Result<ClinicalEntry> {
        let attempt = self
            .authorize(actor, Permission::RecordWrite, Some(patient))
            .await?;
        self.audited(&attempt, async {
            let mut errors = Errors::default();
            attachment_problems(&mut errors, content_type, bytes);
            errors.finish()?;
            let blobs = self.document_blobs()?;
            let entry = NewEntry {
                effective_at,
                encounter,
                body: EntryBody::Document(DocumentEntry {
                    content_type: content_type.to_owned(),
                    size: Count64::new(bytes.len() as u64),
                    sha256: BlobKey::of(bytes.as_slice()).as_str().to_owned(),
                    title: title.map(str::to_owned),
                }),
            };
            let stored = self.first_version(actor, patient, entry).await?;
            blobs.put(bytes.as_slice()).await?;
            self.store
                .apply(self.entry_changes(&attempt, &stored, None))
                .await?;
            Ok(stored)
        })
        .await
    }

    /// A document's bytes from the blob port, checked against its SHA-256
    /// (`storage` of kind `corrupt` when they no longer match).
    pub(super) async fn document_bytes(&self, document: &DocumentEntry) -> Result<Vec<u8>> {
        let key = BlobKey::parse("entry", &document.sha256).map_err(|_| {
            Error::storage_of(
                StorageKind::Corrupt,
                "a stored document entry does not decode",
            )
        })?;
        self.document_blobs()?.get(&key).await
    }

    /// A document's current version and its bytes, checked against its
    /// SHA-256 (bytes that no longer match are a `storage` error of kind
    /// `corrupt`, never handed over). Needs `record.read` and
    /// `record.notes` on the patient; audited as a read of the entry. A
    /// retracted document's bytes are not served (`not_found`).
    pub async fn read_document(
        &self,
        actor: &Actor,
        patient: PatientId,
        entry: EntryId,
    ) -> Result<DocumentContent> {
        let (reader, sight) = self.record_reader(actor, patient).await?;
        let decision = self
            .policy()
            .decide(actor, Permission::RecordNotes, &reader.facts);
        let attempt = Attempt {
            actor,
            permission: Permission::RecordNotes,
            patient: Some(patient),
            facts: reader.facts,
            decision,
        };
        if !sight.sees_notes() || !attempt.decision.allowed {
            let reason = attempt.decision.deny_reason();
            return Err(self.deny(&attempt, reason).await);
        }
        self.audited(&attempt, async {
            let current = self
                .store
                .entry(patient, entry)
                .await?
                .filter(|e| !e.is_retracted() && e.kind() == EntryKind::Document)
                .ok_or_else(|| Error::missing("document", "entry"))?;
            let EntryBody::Document(document) = &current.body else {
                return Err(Error::missing("document", "entry"));
            };
            let bytes = self.document_bytes(document).await?;
            self.store
                .apply(ChangeSet::audit_only(vec![
                    self.success(&attempt, subject(entry))
                ]))
                .await?;
            let entry = sight
                .show(current)
                .ok_or_else(|| Error::missing("document", "entry"))?;
            Ok(DocumentContent {
                entry,
                bytes: Bytes(bytes),
            })
        })
        .await
    }
}
