//! Several `SqliteStore` handles on one file, standing in for several
//! processes: their writers meet at SQLite's write lock, not at one store's
//! mutex, and each keeps its own caches.

mod booking_race;
mod common;
mod practitioner_cache;

use std::sync::Arc;

use carebase::Store;
use carebase_storage::SqliteStore;
use common::{path_of, temp_store, url_of};

/// Bookers on three handles of one file, eight at a time on one slot: the
/// check inside the `BEGIN IMMEDIATE` transaction lets exactly one win.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_bookers_on_several_handles_of_one_file_have_one_winner() {
    let t = temp_store().await;
    let url = url_of(&path_of(&t));
    let second = SqliteStore::open(&url).await.unwrap();
    let third = SqliteStore::open(&url).await.unwrap();
    let stores: Vec<Arc<dyn Store>> = vec![Arc::new(t), Arc::new(second), Arc::new(third)];
    booking_race::one_winner_per_slot(stores, 4, 8).await;
}

/// A practitioner changed through one handle is read fresh through another
/// that had it cached.
#[tokio::test(flavor = "multi_thread")]
async fn practitioner_changes_through_one_handle_reach_another() {
    let t = temp_store().await;
    let url = url_of(&path_of(&t));
    let other = SqliteStore::open(&url).await.unwrap();
    practitioner_cache::changes_through_one_handle_reach_another(Arc::new(t), Arc::new(other))
        .await;
}
