//! The blob conformance suite against the in-memory blob store.

carebase::blob_store_tests!(async {
    std::sync::Arc::new(carebase::store::memory::MemoryBlobs::new())
});
