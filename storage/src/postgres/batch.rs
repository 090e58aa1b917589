//! Many change sets in one PostgreSQL transaction, each in its own
//! savepoint: what [`Store::apply_each`](carebase::Store::apply_each) does
//! here, so a batch operation pays one commit per round instead of one per
//! item, and one failing change set rolls back alone.

use sqlx::{Acquire, PgPool};

use carebase::audit::AuditKey;
use carebase::store::{apply_changes, Applied, ChangeSet};
use carebase::Result;

use super::error::db_error;
use super::Tx;

/// Applies each change set inside a savepoint of one transaction and
/// commits once. `None` when the transaction itself could not be opened,
/// kept or committed: nothing of it is written and the caller applies the
/// change sets one by one instead (with their retries), so a lost commit
/// never answers `Ok`.
pub(super) async fn apply_in_savepoints(
    pool: &PgPool,
    change_sets: &[ChangeSet],
    key: &AuditKey,
) -> Option<Vec<Result<Applied>>> {
    let mut tx = pool.begin().await.map_err(db_error("apply_each")).ok()?;
    let mut answers = Vec::with_capacity(change_sets.len());
    for changes in change_sets {
        let mut savepoint = (&mut tx)
            .begin()
            .await
            .map_err(db_error("apply_each"))
            .ok()?;
        match apply_changes(&mut Tx(&mut savepoint), changes.clone(), key).await {
            Ok(applied) => {
                savepoint
                    .commit()
                    .await
                    .map_err(db_error("apply_each"))
                    .ok()?;
                answers.push(Ok(applied));
            }
            // A lost race is retried on its own, outside this transaction.
            Err(e) if e.is_retryable() => return None,
            Err(e) => {
                savepoint
                    .rollback()
                    .await
                    .map_err(db_error("apply_each"))
                    .ok()?;
                answers.push(Err(e));
            }
        }
    }
    tx.commit().await.map_err(db_error("apply_each")).ok()?;
    Some(answers)
}
