//! The outbox concern of the port: events appended by change sets, numbered
//! per partition, and the position each consumer acknowledged in each
//! partition (see [`crate::events::OUTBOX_PARTITIONS`] for why partitions).

use async_trait::async_trait;

use super::ChangeSet;
use crate::events::{EventDraft, OutboxEvent};
use crate::Result;

/// Moves a consumer's acknowledged position in one partition forward
/// (never backward).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckWrite {
    /// Consumer name.
    pub consumer: String,
    /// The partition acknowledged.
    pub partition: u32,
    /// Last acknowledged event sequence in that partition.
    pub seq: u64,
}

/// What a change set writes to consumer positions (its events are
/// [`ChangeSet::events`], appended last).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutboxChanges {
    /// Consumer acknowledgements, in order.
    pub acks: Vec<AckWrite>,
}

impl ChangeSet {
    /// Adds a consumer acknowledgement.
    pub fn ack(mut self, write: AckWrite) -> Self {
        self.outbox.acks.push(write);
        self
    }

    /// Adds an event to append to the outbox (in the order given).
    pub fn event(mut self, draft: EventDraft) -> Self {
        self.events.push(draft);
        self
    }
}

/// Reads of the outbox.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// How many partitions this outbox numbers events in: 1 for a single
    /// writer (SQLite), [`crate::events::OUTBOX_PARTITIONS`] otherwise.
    /// Every event's partition is [`crate::events::partition_of`] its
    /// patient and this count.
    fn outbox_partitions(&self) -> u32;
    /// At most `limit` events with `seq > after[partition]` (a partition
    /// past the end of `after` reads from its start), in `seq` order within
    /// each partition and taken round robin across partitions (the first
    /// of each partition, then the second of each…), so a busy partition
    /// never starves the others.
    async fn events_after(&self, after: &[u64], limit: u32) -> Result<Vec<OutboxEvent>>;
    /// The newest sequence number of a partition (0 when empty or absent).
    async fn last_seq(&self, partition: u32) -> Result<u64>;
    /// A consumer's acknowledged position, one entry per partition (0 when
    /// new), `outbox_partitions()` long.
    async fn consumer_position(&self, consumer: &str) -> Result<Vec<u64>>;
}

/// Takes events round robin across partitions, each partition's in order
/// (the order [`OutboxStore::events_after`] promises), at most `limit`.
pub fn round_robin(partitions: Vec<Vec<OutboxEvent>>, limit: u32) -> Vec<OutboxEvent> {
    let limit = limit as usize;
    let mut queues: Vec<_> = partitions.into_iter().map(Vec::into_iter).collect();
    let mut taken = Vec::new();
    loop {
        let before = taken.len();
        for queue in &mut queues {
            if taken.len() == limit {
                return taken;
            }
            if let Some(event) = queue.next() {
                taken.push(event);
            }
        }
        if taken.len() == before {
            return taken;
        }
    }
}

/// Outbox write primitives, inside a backend's transaction.
#[async_trait]
pub trait OutboxWrites: Send {
    /// A consumer's position in a partition (0 when new), held until
    /// commit so concurrent acknowledgements of one consumer serialize.
    async fn consumer_position_for_update(&mut self, consumer: &str, partition: u32)
        -> Result<u64>;
    /// Stores a consumer's position in a partition.
    async fn set_consumer_position(
        &mut self,
        consumer: &str,
        partition: u32,
        seq: u64,
    ) -> Result<()>;
    /// Appends events in order, each to the partition of its patient, and
    /// returns them with their partitions and sequence numbers. Within a
    /// partition, numbers follow the drafts' order and become visible in
    /// commit order, each one more than the last: a consumer polling after
    /// its position never sees a gap that fills in later. Writers to
    /// different partitions must not wait for each other.
    async fn append_events(&mut self, drafts: Vec<EventDraft>) -> Result<Vec<OutboxEvent>>;
}

/// Moves each consumer's position forward, never backward (compared here,
/// as `u64`, so huge positions keep their order in every backend).
pub(super) async fn acknowledge<T: OutboxWrites + ?Sized>(
    tx: &mut T,
    changes: OutboxChanges,
) -> Result<()> {
    for ack in changes.acks {
        let current = tx
            .consumer_position_for_update(&ack.consumer, ack.partition)
            .await?;
        tx.set_consumer_position(&ack.consumer, ack.partition, current.max(ack.seq))
            .await?;
    }
    Ok(())
}

/// Appends the events, the last write of a change set.
pub(super) async fn append<T: OutboxWrites + ?Sized>(
    tx: &mut T,
    drafts: Vec<EventDraft>,
) -> Result<Vec<OutboxEvent>> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    tx.append_events(drafts).await
}
