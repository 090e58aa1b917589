//! The one retry policy for a write transaction the database aborted to
//! settle a race (a deadlock, a serialization failure: a
//! [`StorageKind::Retryable`](carebase::StorageKind) error). Such a
//! transaction wrote nothing, so running the whole change set again is
//! safe; the rules run again too, against what the winner committed.
//!
//! Bounded, because a conflict that keeps coming back (a hot row, a
//! misbehaving neighbour) must reach the host as `retryable` instead of
//! holding its caller forever; backing off exponentially, because the
//! winner needs a moment to commit; with jitter, because two writers that
//! collided and waited the same time would collide again in step.

use std::future::Future;
use std::time::Duration;

use carebase::Result;
use uuid::Uuid;

/// How often and how patiently a transaction is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included (at least 1).
    pub attempts: u32,
    /// The pause before the second try; each later pause doubles it.
    pub first_pause: Duration,
    /// Up to this much more, different for each racing writer.
    pub jitter: Duration,
}

/// The policy every PostgreSQL `apply` runs under: 5 tries, pauses of
/// 2, 4, 8 and 16 ms plus up to 8 ms of jitter (at most ~62 ms spent
/// waiting before a persistent conflict surfaces as `retryable`).
pub const TRANSACTION_RETRY: RetryPolicy = RetryPolicy {
    attempts: 5,
    first_pause: Duration::from_millis(2),
    jitter: Duration::from_millis(8),
};

impl RetryPolicy {
    /// The pause after `failed` tries failed (1 → `first_pause`, 2 → twice
    /// that…), without jitter.
    pub fn backoff(&self, failed: u32) -> Duration {
        let doublings = failed.saturating_sub(1).min(16);
        self.first_pause.saturating_mul(1 << doublings)
    }

    /// Runs `attempt` until it succeeds, fails with an error that is not
    /// retryable, or has been tried `attempts` times; answers its last
    /// result.
    pub async fn run<T, F, Fut>(&self, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut failed = 0;
        loop {
            match attempt().await {
                Err(e) if e.is_retryable() && failed + 1 < self.attempts => {
                    failed += 1;
                    tokio::time::sleep(self.backoff(failed) + self.jitter()).await;
                }
                done => return done,
            }
        }
    }

    /// A random share of `jitter` (the random tail of a fresh UUID v7).
    fn jitter(&self) -> Duration {
        let random = u32::from(Uuid::now_v7().as_bytes()[15]);
        self.jitter * random / 255
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::{AtomicU32, Ordering};

    use carebase::{Error, StorageKind};

    use super::*;

    fn storage(kind: StorageKind) -> Error {
        Error::Storage {
            kind,
            problem: "test".into(),
        }
    }

    const QUICK: RetryPolicy = RetryPolicy {
        attempts: 5,
        first_pause: Duration::from_millis(1),
        jitter: Duration::from_millis(1),
    };

    #[test]
    fn pauses_double_from_the_first() {
        let pauses: Vec<_> = (1..=4).map(|n| TRANSACTION_RETRY.backoff(n)).collect();
        assert_eq!(pauses, [2, 4, 8, 16].map(Duration::from_millis));
    }

    #[tokio::test]
    async fn a_conflict_that_persists_surfaces_as_retryable_after_every_attempt() {
        let tries = AtomicU32::new(0);
        let result: Result<()> = QUICK
            .run(|| async {
                tries.fetch_add(1, Ordering::SeqCst);
                Err(storage(StorageKind::Retryable))
            })
            .await;
        assert!(result.unwrap_err().is_retryable());
        assert_eq!(tries.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn a_conflict_that_clears_is_answered_by_the_next_attempt() {
        let tries = AtomicU32::new(0);
        let result = QUICK
            .run(|| async {
                match tries.fetch_add(1, Ordering::SeqCst) {
                    0 | 1 => Err(storage(StorageKind::Retryable)),
                    n => Ok(n),
                }
            })
            .await;
        assert_eq!(result.unwrap(), 2);
    }

    #[tokio::test]
    async fn other_failures_are_never_tried_again() {
        let tries = AtomicU32::new(0);
        let result: Result<()> = QUICK
            .run(|| async {
                tries.fetch_add(1, Ordering::SeqCst);
                Err(storage(StorageKind::Unavailable))
            })
            .await;
        assert!(!result.unwrap_err().is_retryable());
        assert_eq!(tries.load(Ordering::SeqCst), 1);
    }
}
