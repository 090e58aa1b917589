//! The outbox concern of the port: events appended by change sets and the
//! positions consumers acknowledged.

use async_trait::async_trait;

use super::ChangeSet;
use crate::events::{EventDraft, OutboxEvent};
use crate::Result;

/// Moves a consumer's acknowledged position forward (never backward).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckWrite {
    /// Consumer name.
    pub consumer: String,
    /// Last acknowledged event sequence.
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
    /// Outbox events with `seq > after`, at most `limit`, in order.
    async fn events_after(&self, after: u64, limit: u32) -> Result<Vec<OutboxEvent>>;
    /// A consumer's last acknowledged sequence (0 when new).
    async fn consumer_position(&self, consumer: &str) -> Result<u64>;
}

/// Outbox write primitives, inside a backend's transaction.
#[async_trait]
pub trait OutboxWrites: Send {
    /// A consumer's position (0 when new), held until commit so concurrent
    /// acknowledgements of one consumer serialize.
    async fn consumer_position_for_update(&mut self, consumer: &str) -> Result<u64>;
    /// Stores a consumer's position.
    async fn set_consumer_position(&mut self, consumer: &str, seq: u64) -> Result<()>;
    /// Appends events in order and returns them with their sequence
    /// numbers, which a consumer polling after its position must see in
    /// increasing order with no gap that fills in later.
    async fn append_events(&mut self, drafts: Vec<EventDraft>) -> Result<Vec<OutboxEvent>>;
}

/// Moves each consumer's position forward, never backward (compared here,
/// as `u64`, so huge positions keep their order in every backend).
pub(super) async fn acknowledge<T: OutboxWrites + ?Sized>(
    tx: &mut T,
    changes: OutboxChanges,
) -> Result<()> {
    for ack in changes.acks {
        let current = tx.consumer_position_for_update(&ack.consumer).await?;
        tx.set_consumer_position(&ack.consumer, current.max(ack.seq))
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
