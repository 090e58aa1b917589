//! Documents' bytes, as every blob store must keep them.

use std::sync::Arc;

use crate::limits::MAX_ATTACHMENT_BYTES;
use crate::store::{BlobKey, BlobStore};

pub async fn put_bytes_read_back_equal_under_their_sha256(blobs: Arc<dyn BlobStore>) {
    let bytes = b"%PDF-1.7 a scanned letter\x00\xff".to_vec();
    let key = blobs.put(&bytes).await.unwrap();
    assert_eq!(key, BlobKey::of(&bytes));
    assert_eq!(blobs.get(&key).await.unwrap(), bytes);
    let empty = blobs.put(b"").await.unwrap();
    assert_eq!(blobs.get(&empty).await.unwrap(), Vec::<u8>::new());
}

pub async fn the_same_bytes_put_twice_keep_one_key(blobs: Arc<dyn BlobStore>) {
    let first = blobs.put(b"same").await.unwrap();
    let again = blobs.put(b"same").await.unwrap();
    assert_eq!(first, again);
    assert_eq!(blobs.get(&again).await.unwrap(), b"same");
}

pub async fn a_missing_blob_is_not_found(blobs: Arc<dyn BlobStore>) {
    let key = BlobKey::of(b"never stored");
    assert_eq!(blobs.get(&key).await.unwrap_err().code(), "not_found");
}

pub async fn bytes_over_the_bound_are_refused_and_nothing_is_kept(blobs: Arc<dyn BlobStore>) {
    let big = vec![7u8; MAX_ATTACHMENT_BYTES + 1];
    assert_eq!(blobs.put(&big).await.unwrap_err().code(), "validation");
    let key = BlobKey::of(&big);
    assert_eq!(blobs.read_blob(&key).await.unwrap(), None);
    let largest = vec![7u8; MAX_ATTACHMENT_BYTES];
    let key = blobs.put(&largest).await.unwrap();
    assert_eq!(blobs.get(&key).await.unwrap().len(), MAX_ATTACHMENT_BYTES);
}
