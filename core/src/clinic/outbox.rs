//! Consuming the outbox: poll after the consumer's position, acknowledge
//! per partition. Unacknowledged events are delivered again (at least once);
//! within a partition they arrive in order with no gaps (see
//! [`crate::events::OUTBOX_PARTITIONS`]).

use super::Clinic;
use crate::actor::Actor;
use crate::events::OutboxEvent;
use crate::events::OUTBOX_PARTITIONS;
use crate::limits::MAX_CONSUMER_CHARS;
use crate::policy::Permission;
use crate::store::{AckWrite, ChangeSet};
use crate::{Count32, Count64};
use crate::{Error, FieldError, Result};

fn check_consumer(consumer: &str) -> Option<FieldError> {
    let ok = !consumer.is_empty()
        && consumer.len() <= MAX_CONSUMER_CHARS
        && consumer
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    (!ok).then(|| {
        FieldError::new(
            "consumer",
            "invalid_format",
            format!(
                "consumer names are 1-{MAX_CONSUMER_CHARS} characters of letters, digits, - _ . :"
            ),
        )
    })
}

fn check_limit(limit: u32) -> Option<FieldError> {
    (limit == 0 || limit > 1000)
        .then(|| FieldError::new("limit", "out_of_range", "limit must be between 1 and 1000"))
}

fn check_after(after: &[Count64]) -> Option<FieldError> {
    (after.len() > OUTBOX_PARTITIONS as usize).then(|| {
        FieldError::new(
            "after",
            "out_of_range",
            format!("a position has at most {OUTBOX_PARTITIONS} partitions"),
        )
    })
}

fn check_partition(partition: u32, partitions: u32) -> Option<FieldError> {
    (partition >= partitions).then(|| {
        FieldError::new(
            "partition",
            "out_of_range",
            format!(
                "this outbox has partitions 0 to {}",
                partitions.saturating_sub(1)
            ),
        )
    })
}

fn check(errors: [Option<FieldError>; 2]) -> Result<()> {
    let errors: Vec<_> = errors.into_iter().flatten().collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::validation(errors))
    }
}

impl Clinic {
    /// The next events for `consumer`: everything after its acknowledged
    /// position in each partition, in order within each partition and
    /// taken round robin across them. Polling again without acknowledging
    /// returns them again.
    pub async fn poll_events(
        &self,
        actor: &Actor,
        consumer: &str,
        limit: Count32,
    ) -> Result<Vec<OutboxEvent>> {
        let attempt = self.authorize(actor, Permission::OutboxRead, None).await?;
        self.audited(&attempt, async {
            check([check_consumer(consumer), check_limit(limit.get())])?;
            let position = self.store.consumer_position(consumer).await?;
            self.store.events_after(&position, limit.get()).await
        })
        .await
    }

    /// Events after a position, for consumers that keep their own:
    /// `after[p]` is the last sequence number seen in partition `p` (a
    /// partition past the end of `after` is read from its start, so `[]`
    /// reads everything).
    pub async fn events_after(
        &self,
        actor: &Actor,
        after: Vec<Count64>,
        limit: Count32,
    ) -> Result<Vec<OutboxEvent>> {
        let attempt = self.authorize(actor, Permission::OutboxRead, None).await?;
        self.audited(&attempt, async {
            check([check_after(&after), check_limit(limit.get())])?;
            let after: Vec<u64> = after.into_iter().map(Count64::get).collect();
            self.store.events_after(&after, limit.get()).await
        })
        .await
    }

    /// Acknowledges every event of `partition` up to `seq` for `consumer`
    /// (never moves back). Returns the consumer's new position in that
    /// partition.
    pub async fn ack_events(
        &self,
        actor: &Actor,
        consumer: &str,
        partition: Count32,
        seq: Count64,
    ) -> Result<Count64> {
        let attempt = self.authorize(actor, Permission::OutboxRead, None).await?;
        self.audited(&attempt, async {
            check([
                check_consumer(consumer),
                check_partition(partition.get(), self.store.outbox_partitions()),
            ])?;
            if seq > self.store.last_seq(partition.get()).await? {
                return Err(Error::invalid(
                    "seq",
                    "out_of_range",
                    "no event has this sequence number",
                ));
            }
            let audit = self.success(&attempt, Some(format!("consumer:{consumer}")));
            self.store
                .apply(
                    ChangeSet::default()
                        .ack(AckWrite {
                            consumer: consumer.to_owned(),
                            partition: partition.get(),
                            seq: seq.get(),
                        })
                        .audit(audit),
                )
                .await?;
            let position = self.store.consumer_position(consumer).await?;
            let position = position.get(usize::from(partition)).copied();
            Ok(position.map_or(seq, Count64::new))
        })
        .await
    }
}
