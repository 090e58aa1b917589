//! The outbox in SQLite: events numbered by the table's integer key (one
//! writer at a time, so numbers become visible in order) and consumer
//! positions.

use async_trait::async_trait;

use carebase::events::{EventDraft, OutboxEvent};
use carebase::store::{OutboxStore, OutboxWrites};
use carebase::Result;

use super::error::db_error;
use super::rows::{bound, from_db, id_text, to_db, to_json, ts, EventRow, EVENT_COLUMNS};
use super::{execute, first, rows, SqliteStore, Tx};

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn events_after(&self, after: u64, limit: u32) -> Result<Vec<OutboxEvent>> {
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

    async fn consumer_position(&self, consumer: &str) -> Result<u64> {
        self.read("consumer_position", |conn| {
            let position = first(
                conn,
                "consumer_position",
                "SELECT position FROM outbox_consumers WHERE name = ?",
                [consumer],
                |r| r.get::<_, i64>(0),
            )?;
            Ok(position.map_or(0, from_db))
        })
    }
}

#[async_trait]
impl OutboxWrites for Tx<'_> {
    // Writers are serialized: what this reads holds until commit.
    async fn consumer_position_for_update(&mut self, consumer: &str) -> Result<u64> {
        let current = first(
            self.0,
            "consumer_position_for_update",
            "SELECT position FROM outbox_consumers WHERE name = ?",
            [consumer],
            |r| r.get::<_, i64>(0),
        )?;
        Ok(current.map_or(0, from_db))
    }

    async fn set_consumer_position(&mut self, consumer: &str, seq: u64) -> Result<()> {
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
                seq: from_db(seq),
                draft,
            });
        }
        Ok(events)
    }
}
