//! The shared store conformance suite, run against SQLite in a temporary
//! file and in memory.

mod common;

mod sqlite_file {
    carebase::store_conformance_tests!(crate::common::file_store());
}

mod sqlite_memory {
    carebase::store_conformance_tests!(async {
        carebase_storage::open("sqlite::memory:")
            .await
            .expect("open sqlite::memory:")
    });
}
