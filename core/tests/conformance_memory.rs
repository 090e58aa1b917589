//! The store conformance suite against the in-memory reference backend.

use std::sync::Arc;

use carebase::{MemoryStore, Store};

async fn fresh() -> Arc<dyn Store> {
    Arc::new(MemoryStore::new())
}

carebase::store_conformance_tests!(fresh());
