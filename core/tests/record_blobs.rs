//! The blob port: documents' bytes are kept by their SHA-256 and checked on
//! every read.

use async_trait::async_trait;
use carebase::limits::MAX_ATTACHMENT_BYTES;
use carebase::store::memory::MemoryBlobs;
use carebase::store::{BlobKey, BlobStore};
use carebase::{Error, Result, StorageKind};

#[tokio::test]
async fn bytes_put_are_read_back_under_their_sha256() {
    let blobs = MemoryBlobs::new();
    let key = blobs.put(b"%PDF-1.7 a scanned letter").await.unwrap();
    assert_eq!(key, BlobKey::of(b"%PDF-1.7 a scanned letter"));
    assert_eq!(blobs.get(&key).await.unwrap(), b"%PDF-1.7 a scanned letter");
}

#[tokio::test]
async fn the_same_bytes_put_twice_are_kept_once() {
    let blobs = MemoryBlobs::new();
    let first = blobs.put(b"same").await.unwrap();
    let second = blobs.put(b"same").await.unwrap();
    assert_eq!(first, second);
    assert_eq!(blobs.len(), 1);
}

#[tokio::test]
async fn empty_bytes_are_a_blob_like_any_other() {
    let blobs = MemoryBlobs::new();
    let key = blobs.put(b"").await.unwrap();
    assert_eq!(blobs.get(&key).await.unwrap(), Vec::<u8>::new());
}

#[tokio::test]
async fn bytes_over_the_attachment_limit_are_refused_and_nothing_is_kept() {
    let blobs = MemoryBlobs::new();
    let err = blobs
        .put(&vec![0u8; MAX_ATTACHMENT_BYTES + 1])
        .await
        .unwrap_err();
    match err {
        Error::Validation { fields } => {
            assert_eq!(fields[0].field, "bytes");
            assert_eq!(fields[0].code, "too_large");
        }
        other => panic!("expected validation, got {other:?}"),
    }
    assert!(blobs.is_empty());
}

#[tokio::test]
async fn a_key_with_no_bytes_is_not_found() {
    let blobs = MemoryBlobs::new();
    let err = blobs.get(&BlobKey::of(b"never put")).await.unwrap_err();
    assert_eq!(err.code(), "not_found");
}

/// A backend whose stored bytes were damaged after they were written.
struct Damaged;

#[async_trait]
impl BlobStore for Damaged {
    async fn write_blob(&self, _key: &BlobKey, _bytes: &[u8]) -> Result<()> {
        Ok(())
    }

    async fn read_blob(&self, _key: &BlobKey) -> Result<Option<Vec<u8>>> {
        Ok(Some(b"flipped bits".to_vec()))
    }
}

#[tokio::test]
async fn bytes_that_no_longer_match_their_key_are_a_corrupt_storage_error() {
    let err = Damaged.get(&BlobKey::of(b"original")).await.unwrap_err();
    match err {
        Error::Storage { kind, .. } => assert_eq!(kind, StorageKind::Corrupt),
        other => panic!("expected storage corrupt, got {other:?}"),
    }
}
