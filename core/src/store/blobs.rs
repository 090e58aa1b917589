//! The blob port: where a document's bytes live, apart from the record.
//!
//! Bytes are addressed by their SHA-256 ([`BlobKey`]), so the same bytes
//! are kept once, a key can never point at other bytes without the read
//! noticing, and writing them twice is harmless. A backend implements two
//! primitives ([`BlobStore::write_blob`], [`BlobStore::read_blob`]); the
//! hashing, the size bound and the check on every read are the provided
//! [`BlobStore::put`] and [`BlobStore::get`], written once here so no
//! backend can skip them.
//!
//! Bytes are written BEFORE the entry that names them: an entry never
//! points at missing bytes. If the entry's write then fails, the bytes stay
//! as an orphan: harmless (nothing names them, nothing reads them, the same
//! bytes put again reuse them) and reclaimable by a later sweep of keys no
//! entry names.

use std::fmt;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use crate::error::{Error, StorageKind};
use crate::limits::MAX_ATTACHMENT_BYTES;
use crate::Result;

/// The key of a blob: the SHA-256 of its bytes, 64 lowercase hex digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobKey(String);

impl BlobKey {
    /// The key of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(hex::encode(Sha256::digest(bytes)))
    }

    /// A key as stored (an entry's `sha256`); anything but 64 lowercase hex
    /// digits is a `validation` error on `field`, so a backend never sees a
    /// key that could name a path or a row it should not.
    pub fn parse(field: &str, text: &str) -> Result<Self> {
        if is_sha256_hex(text) {
            Ok(Self(text.to_owned()))
        } else {
            Err(Error::invalid(
                field,
                "invalid_format",
                "must be 64 lowercase hexadecimal digits",
            ))
        }
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A hash says nothing about a patient; shown whole to trace a blob.
        write!(f, "BlobKey({})", self.0)
    }
}

/// True for a SHA-256 written as 64 lowercase hex digits.
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Where documents' bytes are kept. Implementations: `MemoryBlobs` here,
/// the filesystem beside the SQLite file and a table on PostgreSQL in
/// `carebase-storage`. Backends implement the two primitives only.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Keeps `bytes` under `key` (already their SHA-256, already within
    /// [`MAX_ATTACHMENT_BYTES`]). Durable when it returns. Writing a key
    /// that exists is a success that changes nothing (same key, same
    /// bytes).
    async fn write_blob(&self, key: &BlobKey, bytes: &[u8]) -> Result<()>;

    /// The bytes kept under `key`, as stored (unchecked), or `None`.
    async fn read_blob(&self, key: &BlobKey) -> Result<Option<Vec<u8>>>;

    /// Keeps `bytes` and answers their key. More than
    /// [`MAX_ATTACHMENT_BYTES`] is a `validation` error on `bytes` and
    /// nothing is written. Do not override.
    async fn put(&self, bytes: &[u8]) -> Result<BlobKey> {
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(Error::invalid(
                "bytes",
                "too_large",
                format!("at most {MAX_ATTACHMENT_BYTES} bytes"),
            ));
        }
        let key = BlobKey::of(bytes);
        self.write_blob(&key, bytes).await?;
        Ok(key)
    }

    /// The bytes of `key`, checked against it: absent is `not_found`
    /// (`document`), bytes that no longer hash to their key are a `storage`
    /// error of kind `corrupt` (restore from a backup), never wrong bytes
    /// handed to a host. Do not override.
    async fn get(&self, key: &BlobKey) -> Result<Vec<u8>> {
        let bytes = self
            .read_blob(key)
            .await?
            .ok_or_else(|| Error::not_found("document"))?;
        if bytes.len() > MAX_ATTACHMENT_BYTES || BlobKey::of(&bytes) != *key {
            return Err(Error::storage_of(
                StorageKind::Corrupt,
                "document bytes do not match their sha256",
            ));
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_the_lowercase_hex_sha256_of_the_bytes() {
        let key = BlobKey::of(b"abc");
        assert_eq!(
            key.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_sha256_hex(key.as_str()));
    }

    #[test]
    fn a_key_that_is_not_64_lowercase_hex_digits_is_refused() {
        for bad in [
            "",
            "../etc/passwd",
            &"A".repeat(64),
            &"a".repeat(63),
            &"g".repeat(64),
        ] {
            let err = BlobKey::parse("sha256", bad).unwrap_err();
            assert_eq!(err.code(), "validation", "{bad}");
        }
        assert!(BlobKey::parse("sha256", &"0".repeat(64)).is_ok());
    }
}
