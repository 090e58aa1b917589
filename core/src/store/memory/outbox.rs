//! MemoryStore's outbox: events numbered from 1 and consumer positions.

use async_trait::async_trait;

use super::{MemoryStore, State};
use crate::events::{EventDraft, OutboxEvent};
use crate::store::{OutboxStore, OutboxWrites};
use crate::Result;

#[async_trait]
impl OutboxWrites for State {
    async fn consumer_position_for_update(&mut self, consumer: &str) -> Result<u64> {
        Ok(self.consumers.get(consumer).copied().unwrap_or(0))
    }

    async fn set_consumer_position(&mut self, consumer: &str, seq: u64) -> Result<()> {
        self.consumers.insert(consumer.to_owned(), seq);
        Ok(())
    }

    async fn append_events(&mut self, drafts: Vec<EventDraft>) -> Result<Vec<OutboxEvent>> {
        let mut appended = Vec::with_capacity(drafts.len());
        for draft in drafts {
            let seq = self.events.last().map_or(1, |e| e.seq + 1);
            let event = OutboxEvent { seq, draft };
            self.events.push_back(event.clone());
            appended.push(event);
        }
        Ok(appended)
    }
}

#[async_trait]
impl OutboxStore for MemoryStore {
    async fn events_after(&self, after: u64, limit: u32) -> Result<Vec<OutboxEvent>> {
        Ok(self
            .lock()
            .events
            .iter()
            .filter(|e| e.seq > after)
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn consumer_position(&self, consumer: &str) -> Result<u64> {
        Ok(self.lock().consumers.get(consumer).copied().unwrap_or(0))
    }
}
