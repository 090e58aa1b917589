//! Specification of documents in the health record: a scanned letter or an
//! image attached with its bytes (kept through the blob port before the
//! entry), read back identical only by those who may read note text,
//! checked against its SHA-256 on every read, audited.

mod common;

use carebase::Count32;
use carebase::Count64;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use carebase::audit::{AuditQuery, Outcome};
use carebase::bytes::Bytes;
use carebase::limits::MAX_ATTACHMENT_BYTES;
use carebase::policy::{Policy, DEFAULT_POLICY_TOML};
use carebase::record::{DocumentEntry, EntryBody, EntryKind, NewEntry, TimelineQuery};
use carebase::store::memory::MemoryBlobs;
use carebase::store::{AuditStore, BlobKey, BlobStore};
use carebase::{Actor, ActorId, Error, Result, Role, StorageKind};
use common::record::RecordWorld;

const LETTER: &[u8] = b"%PDF-1.7\n a referral letter \x00\xff\x10";

async fn attach(
    r: &RecordWorld,
    actor: &Actor,
    content_type: &str,
    bytes: &[u8],
) -> Result<carebase::record::ClinicalEntry> {
    r.world
        .clinic
        .attach_document(
            actor,
            r.patient.id,
            r.now(),
            None,
            content_type,
            Some("Referral letter"),
            &Bytes(bytes.to_vec()),
        )
        .await
}

fn document_of(entry: &carebase::record::ClinicalEntry) -> DocumentEntry {
    match &entry.body {
        EntryBody::Document(d) => d.clone(),
        other => panic!("expected a document, got {:?}", other.kind()),
    }
}

/// A blob store that counts its writes and can damage what it keeps.
#[derive(Default)]
struct Watched {
    inner: MemoryBlobs,
    writes: AtomicUsize,
    damaged: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl BlobStore for Watched {
    async fn write_blob(&self, key: &BlobKey, bytes: &[u8]) -> Result<()> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.write_blob(key, bytes).await
    }

    async fn read_blob(&self, key: &BlobKey) -> Result<Option<Vec<u8>>> {
        let read = self.inner.read_blob(key).await?;
        if self.damaged.load(Ordering::SeqCst) {
            return Ok(read.map(|mut b| {
                b.push(0);
                b
            }));
        }
        Ok(read)
    }
}

async fn watched_world() -> (RecordWorld, Arc<Watched>) {
    let mut r = RecordWorld::new().await;
    let blobs = Arc::new(Watched::default());
    r.world.clinic = r.world.clinic.clone().with_blobs(blobs.clone());
    (r, blobs)
}

#[tokio::test]
async fn an_attached_document_reads_back_identical_bytes_with_its_entry() {
    let r = RecordWorld::new().await;
    let entry = attach(&r, &r.world.doctor, "application/pdf", LETTER)
        .await
        .unwrap();
    let read = r
        .world
        .clinic
        .read_document(&r.world.doctor, r.patient.id, entry.id)
        .await
        .unwrap();
    assert_eq!(read.bytes.as_slice(), LETTER);
    assert_eq!(read.entry, entry);
}

#[tokio::test]
async fn core_computes_the_size_and_sha256_of_the_bytes() {
    let r = RecordWorld::new().await;
    let entry = attach(&r, &r.world.doctor, "image/png", LETTER)
        .await
        .unwrap();
    let document = document_of(&entry);
    assert_eq!(document.size, LETTER.len() as u64);
    assert_eq!(document.sha256, BlobKey::of(LETTER).as_str());
    assert_eq!(document.content_type, "image/png");
    assert_eq!(entry.kind(), EntryKind::Document);
}

#[tokio::test]
async fn a_document_over_the_limit_is_too_large_on_bytes_before_any_byte_is_written() {
    let (r, blobs) = watched_world().await;
    let big = vec![1u8; MAX_ATTACHMENT_BYTES + 1];
    let err = attach(&r, &r.world.doctor, "application/pdf", &big)
        .await
        .unwrap_err();
    match err {
        Error::Validation { fields } => {
            assert_eq!(fields[0].field, "bytes");
            assert_eq!(fields[0].code, "too_large");
        }
        other => panic!("expected validation, got {other:?}"),
    }
    assert_eq!(blobs.writes.load(Ordering::SeqCst), 0);
    let page = r
        .world
        .clinic
        .patient_timeline(&r.world.doctor, r.patient.id, &TimelineQuery::default())
        .await
        .unwrap();
    assert!(page.items.is_empty());
}

#[tokio::test]
async fn a_content_type_outside_the_allow_list_is_refused_before_any_byte_is_written() {
    let (r, blobs) = watched_world().await;
    let err = attach(&r, &r.world.doctor, "text/html", b"<script>")
        .await
        .unwrap_err();
    match err {
        Error::Validation { fields } => {
            assert_eq!(fields[0].field, "content_type");
            assert_eq!(fields[0].code, "not_allowed");
        }
        other => panic!("expected validation, got {other:?}"),
    }
    let err = attach(&r, &r.world.doctor, "not a type", b"x")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "validation");
    assert_eq!(blobs.writes.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn the_bytes_are_kept_before_the_entry_that_names_them() {
    let (r, blobs) = watched_world().await;
    let entry = attach(&r, &r.world.doctor, "image/jpeg", LETTER)
        .await
        .unwrap();
    assert_eq!(blobs.writes.load(Ordering::SeqCst), 1);
    let key = BlobKey::parse("sha256", &document_of(&entry).sha256).unwrap();
    assert_eq!(blobs.get(&key).await.unwrap(), LETTER);
}

#[tokio::test]
async fn billing_cannot_read_a_document() {
    let r = RecordWorld::new().await;
    let entry = attach(&r, &r.world.doctor, "application/pdf", LETTER)
        .await
        .unwrap();
    let billing = Actor::new(ActorId::new(), vec![Role::Billing]);
    let err = r
        .world
        .clinic
        .read_document(&billing, r.patient.id, entry.id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
}

#[tokio::test]
async fn the_front_desk_cannot_read_a_document() {
    let r = RecordWorld::new().await;
    let entry = attach(&r, &r.world.doctor, "application/pdf", LETTER)
        .await
        .unwrap();
    let err = r
        .world
        .clinic
        .read_document(&r.world.desk, r.patient.id, entry.id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
}

#[tokio::test]
async fn the_front_desk_cannot_attach_a_document() {
    let r = RecordWorld::new().await;
    let err = attach(&r, &r.world.desk, "application/pdf", LETTER)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
}

#[tokio::test]
async fn the_patient_reads_a_document_only_when_the_policy_grants_note_text() {
    let r = RecordWorld::new().await;
    let entry = attach(&r, &r.world.doctor, "application/pdf", LETTER)
        .await
        .unwrap();
    let me = Actor::patient(ActorId::new(), r.patient.id);
    let err = r
        .world
        .clinic
        .read_document(&me, r.patient.id, entry.id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");

    let granted = DEFAULT_POLICY_TOML.replace(
        "permissions = [\"record.read\"]\nrelationship = \"self\"",
        "permissions = [\"record.read\", \"record.notes\"]\nrelationship = \"self\"",
    );
    assert_ne!(granted, DEFAULT_POLICY_TOML);
    let clinic = r
        .world
        .clinic
        .clone()
        .with_policy(Policy::from_toml(&granted).unwrap());
    let read = clinic
        .read_document(&me, r.patient.id, entry.id)
        .await
        .unwrap();
    assert_eq!(read.bytes.as_slice(), LETTER);
}

#[tokio::test]
async fn a_reader_without_note_text_sees_a_document_entry_without_its_title() {
    let r = RecordWorld::new().await;
    attach(&r, &r.world.doctor, "application/pdf", LETTER)
        .await
        .unwrap();
    let me = Actor::patient(ActorId::new(), r.patient.id);
    let page = r
        .world
        .clinic
        .patient_timeline(&me, r.patient.id, &TimelineQuery::default())
        .await
        .unwrap();
    let document = document_of(&page.items[0]);
    assert_eq!(document.title, None);
    assert_eq!(document.size, LETTER.len() as u64);
}

#[tokio::test]
async fn reading_a_document_is_audited_as_a_read_of_the_entry() {
    let r = RecordWorld::new().await;
    let entry = attach(&r, &r.world.doctor, "application/pdf", LETTER)
        .await
        .unwrap();
    r.world
        .clinic
        .read_document(&r.world.doctor, r.patient.id, entry.id)
        .await
        .unwrap();
    let subject = format!("entry:{}", entry.id);
    let reads: Vec<_> = r
        .world
        .store
        .audit_entries(&AuditQuery {
            patient: Some(r.patient.id),
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.draft.subject.as_deref() == Some(subject.as_str()))
        .filter(|e| e.draft.action == "record.notes")
        .collect();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].draft.outcome, Outcome::Success);
    assert_eq!(reads[0].draft.actor, r.world.doctor.id);
}

#[tokio::test]
async fn a_denied_read_of_a_document_is_audited_as_denied() {
    let r = RecordWorld::new().await;
    let entry = attach(&r, &r.world.doctor, "application/pdf", LETTER)
        .await
        .unwrap();
    let billing = Actor::new(ActorId::new(), vec![Role::Billing]);
    let _ = r
        .world
        .clinic
        .read_document(&billing, r.patient.id, entry.id)
        .await;
    let denied = r
        .world
        .store
        .audit_entries(&AuditQuery {
            actor: Some(billing.id),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].draft.outcome, Outcome::Denied);
}

#[tokio::test]
async fn bytes_that_no_longer_match_their_sha256_are_a_corrupt_storage_error() {
    let (r, blobs) = watched_world().await;
    let entry = attach(&r, &r.world.doctor, "application/pdf", LETTER)
        .await
        .unwrap();
    blobs.damaged.store(true, Ordering::SeqCst);
    let err = r
        .world
        .clinic
        .read_document(&r.world.doctor, r.patient.id, entry.id)
        .await
        .unwrap_err();
    match err {
        Error::Storage { kind, .. } => assert_eq!(kind, StorageKind::Corrupt),
        other => panic!("expected storage corrupt, got {other:?}"),
    }
}

#[tokio::test]
async fn a_retracted_document_is_not_served() {
    let r = RecordWorld::new().await;
    let entry = attach(&r, &r.world.doctor, "application/pdf", LETTER)
        .await
        .unwrap();
    r.world
        .clinic
        .retract_entry(
            &r.world.doctor,
            r.patient.id,
            entry.id,
            Count32::new(1),
            "wrong patient",
        )
        .await
        .unwrap();
    let err = r
        .world
        .clinic
        .read_document(&r.world.doctor, r.patient.id, entry.id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
}

#[tokio::test]
async fn an_entry_that_is_not_a_document_is_not_found_as_one() {
    let r = RecordWorld::new().await;
    let note = r
        .record(r.new_entry(common::record::note(r.world.practitioner.id, "text")))
        .await;
    let err = r
        .world
        .clinic
        .read_document(&r.world.doctor, r.patient.id, note.id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
}

#[tokio::test]
async fn record_entry_refuses_a_document_body_without_its_bytes() {
    let r = RecordWorld::new().await;
    let body = EntryBody::Document(DocumentEntry {
        content_type: "application/pdf".into(),
        size: Count64::new(3),
        sha256: BlobKey::of(b"abc").as_str().to_owned(),
        title: None,
    });
    let err = r
        .world
        .clinic
        .record_entry(
            &r.world.doctor,
            r.patient.id,
            &NewEntry {
                effective_at: r.now(),
                encounter: None,
                body,
            },
        )
        .await
        .unwrap_err();
    match err {
        Error::Validation { fields } => assert_eq!(fields[0].code, "use_attach_document"),
        other => panic!("expected validation, got {other:?}"),
    }
}

#[tokio::test]
async fn an_amendment_retitles_a_document_but_never_changes_its_content() {
    let r = RecordWorld::new().await;
    let entry = attach(&r, &r.world.doctor, "application/pdf", LETTER)
        .await
        .unwrap();
    let mut retitled = document_of(&entry);
    retitled.title = Some("Discharge letter".into());
    let amended = r
        .world
        .clinic
        .amend_entry(
            &r.world.doctor,
            r.patient.id,
            entry.id,
            Count32::new(1),
            &EntryBody::Document(retitled.clone()),
            "wrong title",
        )
        .await
        .unwrap();
    assert_eq!(
        document_of(&amended).title.as_deref(),
        Some("Discharge letter")
    );
    let mut swapped = retitled;
    swapped.sha256 = BlobKey::of(b"other bytes").as_str().to_owned();
    let err = r
        .world
        .clinic
        .amend_entry(
            &r.world.doctor,
            r.patient.id,
            entry.id,
            Count32::new(2),
            &EntryBody::Document(swapped),
            "swap",
        )
        .await
        .unwrap_err();
    match err {
        Error::Validation { fields } => {
            assert_eq!(fields[0].field, "body.sha256");
            assert_eq!(fields[0].code, "changed");
        }
        other => panic!("expected validation, got {other:?}"),
    }
}

#[tokio::test]
async fn the_same_bytes_attached_twice_are_two_entries_over_one_blob() {
    let r = RecordWorld::new().await;
    let first = attach(&r, &r.world.doctor, "application/pdf", LETTER)
        .await
        .unwrap();
    let second = attach(&r, &r.world.doctor, "application/pdf", LETTER)
        .await
        .unwrap();
    assert_ne!(first.id, second.id);
    assert_eq!(document_of(&first).sha256, document_of(&second).sha256);
}
