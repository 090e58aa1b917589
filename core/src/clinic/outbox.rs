//! Consuming the outbox: poll after the consumer's position, acknowledge.
//! Unacknowledged events are delivered again (at least once).

use super::Clinic;
use crate::actor::Actor;
use crate::events::OutboxEvent;
use crate::limits::MAX_CONSUMER_CHARS;
use crate::policy::Permission;
use crate::store::{AckWrite, ChangeSet};
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
    /// position. Polling again without acknowledging returns them again.
    pub async fn poll_events(
        &self,
        actor: &Actor,
        consumer: &str,
        limit: u32,
    ) -> Result<Vec<OutboxEvent>> {
        let attempt = self.authorize(actor, Permission::OutboxRead, None).await?;
        self.audited(&attempt, async {
            check([check_consumer(consumer), check_limit(limit)])?;
            let position = self.store.consumer_position(consumer).await?;
            self.store.events_after(position, limit).await
        })
        .await
    }

    /// Events after a sequence number, for consumers that keep their own position.
    pub async fn events_after(
        &self,
        actor: &Actor,
        after: u64,
        limit: u32,
    ) -> Result<Vec<OutboxEvent>> {
        let attempt = self.authorize(actor, Permission::OutboxRead, None).await?;
        self.audited(&attempt, async {
            check([check_limit(limit), None])?;
            self.store.events_after(after, limit).await
        })
        .await
    }

    /// Acknowledges every event up to `seq` for `consumer` (never moves back).
    /// Returns the consumer's new position.
    pub async fn ack_events(&self, actor: &Actor, consumer: &str, seq: u64) -> Result<u64> {
        let attempt = self.authorize(actor, Permission::OutboxRead, None).await?;
        self.audited(&attempt, async {
            check([check_consumer(consumer), None])?;
            let exists = seq == 0 || !self.store.events_after(seq - 1, 1).await?.is_empty();
            if !exists {
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
                            seq,
                        })
                        .audit(audit),
                )
                .await?;
            self.store.consumer_position(consumer).await
        })
        .await
    }
}
