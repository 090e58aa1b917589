//! Many change sets in one PostgreSQL transaction, each in its own
//! savepoint: what [`Store::apply_each`](carebase::Store::apply_each) does
//! here, so a batch operation pays one commit per round instead of one per
//! item, and one failing change set rolls back alone.
//!
//! Why the round's events are appended at its end, in one statement: an
//! append raises (and so locks until commit) the counter row of every
//! outbox partition it touches. Appended change set by change set, a round
//! of 250 registrations held nearly all 16 partitions from its first
//! savepoint to its commit, so concurrent rounds (and every single writer)
//! queued behind it. Appended last, the partitions are locked — in
//! partition order, so rounds never deadlock on them — for the one insert
//! and the commit only. Numbers still follow the change sets' order within
//! each partition and become visible in commit order without gaps.

use sqlx::{Acquire, PgPool};

use carebase::audit::AuditKey;
use carebase::events::EventDraft;
use carebase::store::{apply_changes, Applied, ChangeSet, OutboxWrites};
use carebase::Result;

use super::error::db_error;
use super::Tx;

/// Applies each change set inside a savepoint of one transaction, appends
/// the events of those that succeeded, and commits once. `None` when the
/// transaction itself could not be opened, kept or committed: nothing of
/// it is written and the caller applies the change sets one by one instead
/// (with their retries), so a lost commit never answers `Ok`.
pub(super) async fn apply_in_savepoints(
    pool: &PgPool,
    change_sets: &[ChangeSet],
    key: &AuditKey,
) -> Option<Vec<Result<Applied>>> {
    let mut tx = pool.begin().await.map_err(db_error("apply_each")).ok()?;
    let mut answers = Vec::with_capacity(change_sets.len());
    let mut events: Vec<EventDraft> = Vec::new();
    for changes in change_sets {
        let mut savepoint = (&mut tx)
            .begin()
            .await
            .map_err(db_error("apply_each"))
            .ok()?;
        let mut drafts = Vec::new();
        let outcome = apply_changes(
            &mut Tx::deferring_events(&mut savepoint, &mut drafts),
            changes.clone(),
            key,
        )
        .await;
        match outcome {
            Ok(applied) => {
                savepoint
                    .commit()
                    .await
                    .map_err(db_error("apply_each"))
                    .ok()?;
                events.extend(drafts);
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
    let numbered = Tx::new(&mut tx).append_events(events).await.ok()?;
    number_events(&mut answers, numbered)?;
    tx.commit().await.map_err(db_error("apply_each")).ok()?;
    Some(answers)
}

/// Gives each applied change set its events as the round's append numbered
/// them: `numbered` holds them in the change sets' order, as many for each
/// as its placeholders. `None` when the counts disagree (never expected).
fn number_events(
    answers: &mut [Result<Applied>],
    numbered: Vec<carebase::events::OutboxEvent>,
) -> Option<()> {
    let mut numbered = numbered.into_iter();
    for applied in answers.iter_mut().flatten() {
        for event in &mut applied.events {
            *event = numbered.next()?;
        }
    }
    numbered.next().is_none().then_some(())
}
