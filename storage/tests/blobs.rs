//! Documents' bytes on the filesystem beside a SQLite file: the blob
//! conformance suite, plus what only a filesystem can get wrong.

use std::sync::Arc;

use async_trait::async_trait;
use carebase::store::{BlobKey, BlobStore};
use carebase::Result;
use carebase_storage::FileBlobs;

/// A blob directory removed when the test ends.
struct Scratch {
    _dir: tempfile::TempDir,
    blobs: FileBlobs,
}

#[async_trait]
impl BlobStore for Scratch {
    async fn write_blob(&self, key: &BlobKey, bytes: &[u8]) -> Result<()> {
        self.blobs.write_blob(key, bytes).await
    }

    async fn read_blob(&self, key: &BlobKey) -> Result<Option<Vec<u8>>> {
        self.blobs.read_blob(key).await
    }
}

fn scratch() -> Scratch {
    let dir = tempfile::tempdir().expect("temp dir");
    let blobs = FileBlobs::beside(&dir.path().join("clinic.db"));
    Scratch { _dir: dir, blobs }
}

mod filesystem {
    carebase::blob_store_tests!(async {
        std::sync::Arc::new(crate::scratch()) as std::sync::Arc<dyn carebase::store::BlobStore>
    });
}

#[tokio::test]
async fn blobs_live_in_a_folder_beside_the_database_file_named_by_their_hash() {
    let s = scratch();
    let key = s.put(b"letter").await.unwrap();
    let hex = key.as_str();
    let file = s
        ._dir
        .path()
        .join("clinic.db.blobs")
        .join(&hex[..2])
        .join(hex);
    assert_eq!(std::fs::read(file).unwrap(), b"letter");
}

#[tokio::test]
async fn a_file_whose_bytes_changed_is_reported_corrupt_never_handed_back() {
    let s = Arc::new(scratch());
    let key = s.put(b"original").await.unwrap();
    let hex = key.as_str();
    let file = s.blobs.dir().join(&hex[..2]).join(hex);
    std::fs::write(&file, b"tampered").unwrap();
    let err = s.get(&key).await.unwrap_err();
    assert_eq!(err.code(), "storage");
    assert!(format!("{err:?}").contains("Corrupt"), "{err:?}");
}

#[tokio::test]
async fn a_write_leaves_no_temporary_file_behind() {
    let s = scratch();
    let key = s.put(b"once").await.unwrap();
    let folder = s.blobs.dir().join(&key.as_str()[..2]);
    let names: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from(key.as_str())]);
}

/// A device library has no async runtime: Kotlin's coroutines and Swift's
/// tasks poll carebase's futures themselves, so keeping and reading a
/// document's bytes must not need tokio.
#[test]
fn blobs_are_kept_and_read_back_without_an_async_runtime() {
    let s = scratch();
    let key = futures::executor::block_on(s.put(b"scan")).unwrap();
    let back = futures::executor::block_on(s.get(&key)).unwrap();
    assert_eq!(back, b"scan");
}
