//! MemoryStore's outbox: [`OUTBOX_PARTITIONS`] partitions, each numbered
//! from 1, and consumer positions per partition.

use crate::{Count32, Count64};
use async_trait::async_trait;

use super::{MemoryStore, State};
use crate::events::{partition_of, EventDraft, OutboxEvent, OUTBOX_PARTITIONS};
use crate::store::{round_robin, OutboxStore, OutboxWrites};
use crate::Result;

/// How many partitions the outbox has ([`OUTBOX_PARTITIONS`] unless set).
#[derive(Clone, Copy)]
pub(super) struct Partitions(u32);

impl Partitions {
    pub(super) fn new(partitions: u32) -> Self {
        Self(partitions.clamp(1, OUTBOX_PARTITIONS))
    }
}

impl Default for Partitions {
    fn default() -> Self {
        Self(OUTBOX_PARTITIONS)
    }
}

#[async_trait]
impl OutboxWrites for State {
    async fn consumer_position_for_update(
        &mut self,
        consumer: &str,
        partition: u32,
    ) -> Result<u64> {
        Ok(self
            .consumers
            .get(&(consumer.to_owned(), partition))
            .copied()
            .unwrap_or(0))
    }

    async fn set_consumer_position(
        &mut self,
        consumer: &str,
        partition: u32,
        seq: u64,
    ) -> Result<()> {
        self.consumers.insert((consumer.to_owned(), partition), seq);
        Ok(())
    }

    async fn append_events(&mut self, drafts: Vec<EventDraft>) -> Result<Vec<OutboxEvent>> {
        let mut appended = Vec::with_capacity(drafts.len());
        for draft in drafts {
            let partition = partition_of(draft.patient, self.outbox_partitions.0);
            let events = self.partitions.entry(partition).or_default();
            let seq = events.last().map_or(1, |e| (e.seq + 1).get());
            let event = OutboxEvent {
                partition: Count32::new(partition),
                seq: Count64::new(seq),
                draft,
            };
            events.push_back(event.clone());
            appended.push(event);
        }
        Ok(appended)
    }
}

#[async_trait]
impl OutboxStore for MemoryStore {
    fn outbox_partitions(&self) -> u32 {
        self.lock().outbox_partitions.0
    }

    async fn events_after(&self, after: &[u64], limit: u32) -> Result<Vec<OutboxEvent>> {
        let state = self.lock();
        let partitions = (0..state.outbox_partitions.0)
            .map(|partition| {
                let from = after.get(partition as usize).copied().unwrap_or(0);
                state
                    .partitions
                    .get(&partition)
                    .map(|events| {
                        // Numbered 1, 2, 3…: the events after `from` start at index `from`.
                        events
                            .iter()
                            .skip(usize::try_from(from).unwrap_or(usize::MAX))
                            .take(limit as usize)
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        Ok(round_robin(partitions, limit))
    }

    async fn last_seq(&self, partition: u32) -> Result<u64> {
        Ok(self
            .lock()
            .partitions
            .get(&partition)
            .and_then(|events| events.last())
            .map_or(0, |e| e.seq.get()))
    }

    async fn consumer_position(&self, consumer: &str) -> Result<Vec<u64>> {
        let state = self.lock();
        Ok((0..state.outbox_partitions.0)
            .map(|partition| {
                state
                    .consumers
                    .get(&(consumer.to_owned(), partition))
                    .copied()
                    .unwrap_or(0)
            })
            .collect())
    }
}
