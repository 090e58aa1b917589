//! Documents' bytes in memory: the reference [`BlobStore`] (tests, and
//! hosts that keep nothing between runs).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::store::{BlobKey, BlobStore};
use crate::Result;

/// Blobs kept in a map for the life of the value.
#[derive(Debug, Default)]
pub struct MemoryBlobs {
    blobs: Mutex<HashMap<BlobKey, Arc<[u8]>>>,
}

impl MemoryBlobs {
    /// An empty blob store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many distinct blobs are kept (same bytes are kept once).
    pub fn len(&self) -> usize {
        self.blobs.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl BlobStore for MemoryBlobs {
    async fn write_blob(&self, key: &BlobKey, bytes: &[u8]) -> Result<()> {
        self.blobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key.clone())
            .or_insert_with(|| Arc::from(bytes));
        Ok(())
    }

    async fn read_blob(&self, key: &BlobKey) -> Result<Option<Vec<u8>>> {
        let blobs = self.blobs.lock().unwrap_or_else(|e| e.into_inner());
        Ok(blobs.get(key).map(|bytes| bytes.to_vec()))
    }
}
