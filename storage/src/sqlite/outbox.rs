//! The outbox in SQLite: one partition (number 0), its events numbered by
//! the table's integer key (one writer at a time, so numbers become visible
//! in order), and consumer positions in it. Partitions exist so concurrent
//! writers need not wait for each other; SQLite has one writer.

use async_trait::async_trait;
use carebase::{Count32, Count64};

use carebase::events::{EventDraft, OutboxEvent};
use carebase::store::{OutboxStore, OutboxWrites};
use carebase::{Result, StorageKind};

use super::error::db_error;
use super::rows::{bound, from_db, id_text, to_db, to_json, ts, EventRow, EVENT_COLUMNS};
use super::{execute, first, rows, SqliteStore, Tx};
use crate::failure::detected;

/// The one partition: another is a caller's bug (core checks it first).
fn only_partition(partition: u32, operation: &'static str) -> Result<()> {
    if partition == 0 {
        Ok(())
    } else {
        Err(detected(
            "sqlite",
            operation,
            StorageKind::Other,
            "no such outbox partition",
        ))
    }
}

#[async_trait]
impl OutboxStore for SqliteStore {
    fn outbox_partitions(&self) -> u32 {
        1
    }

    async fn events_after(&self, after: &[u64], limit: u32) -> Result<Vec<OutboxEvent>> {
        let after = after.first().copied().unwrap_or(0);
        self.read("events_after", |conn| {
            rows(
                conn,
                "events_after",
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM outbox_events WHERE seq > ? ORDER BY seq LIMIT ?"
                ),
                (bound(after), i64::from(limit)),
                EventRow::from_row,
            )?
            .into_iter()
            .map(EventRow::into_event)
            .collect()
        })
    }

    async fn last_seq(&self, partition: u32) -> Result<u64> {
        if partition != 0 {
            return Ok(0);
        }
        self.read("last_seq", |conn| {
            let last = first(
                conn,
                "last_seq",
                "SELECT max(seq) FROM outbox_events",
                [],
                |r| r.get::<_, Option<i64>>(0),
            )?;
            Ok(last.flatten().map_or(0, from_db))
        })
    }

    async fn consumer_position(&self, consumer: &str) -> Result<Vec<u64>> {
        self.read("consumer_position", |conn| {
            let position = first(
                conn,
                "consumer_position",
                "SELECT position FROM outbox_consumers WHERE name = ?",
                [consumer],
                |r| r.get::<_, i64>(0),
            )?;
            Ok(vec![position.map_or(0, from_db)])
        })
    }
}

#[async_trait]
impl OutboxWrites for Tx<'_> {
    // Writers are serialized: what this reads holds until commit.
    async fn consumer_position_for_update(
        &mut self,
        consumer: &str,
        partition: u32,
    ) -> Result<u64> {
        only_partition(partition, "consumer_position_for_update")?;
        let current = first(
            self.0,
            "consumer_position_for_update",
            "SELECT position FROM outbox_consumers WHERE name = ?",
            [consumer],
            |r| r.get::<_, i64>(0),
        )?;
        Ok(current.map_or(0, from_db))
    }

    async fn set_consumer_position(
        &mut self,
        consumer: &str,
        partition: u32,
        seq: u64,
    ) -> Result<()> {
        only_partition(partition, "set_consumer_position")?;
        execute(
            self.0,
            "INSERT INTO outbox_consumers (name, position) VALUES (?, ?) \
             ON CONFLICT (name) DO UPDATE SET position = excluded.position",
            rusqlite::params![consumer, to_db(seq)],
        )
        .map_err(db_error("set_consumer_position"))?;
        Ok(())
    }

    async fn append_events(&mut self, drafts: Vec<EventDraft>) -> Result<Vec<OutboxEvent>> {
        let mut events = Vec::with_capacity(drafts.len());
        for draft in drafts {
            let seq = first(
                self.0,
                "append_events",
                "INSERT INTO outbox_events (id, kind, schema_version, patient_id, payload, \
                 idempotency_key, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                rusqlite::params![
                    id_text(draft.id.0),
                    draft.kind,
                    i64::from(draft.schema_version),
                    draft.patient.map(|p| id_text(p.0)),
                    to_json(&draft.payload, "event payload")?,
                    draft.idempotency_key,
                    ts(&draft.occurred_at),
                ],
                |r| r.get::<_, i64>(0),
            )?;
            let Some(seq) = seq else {
                return Err(crate::failure::detected(
                    "sqlite",
                    "append_events",
                    carebase::StorageKind::Other,
                    "an event insert returned no sequence number",
                ));
            };
            events.push(OutboxEvent {
                partition: Count32::new(0),
                seq: Count64::new(from_db(seq)),
                draft,
            });
        }
        Ok(events)
    }
}
