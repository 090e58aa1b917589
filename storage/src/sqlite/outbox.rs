//! The outbox in SQLite: one partition (number 0), its events numbered by
//! the table's integer key (one writer at a time, so numbers become visible
//! in order), and consumer positions in it. Partitions exist so concurrent
//! writers need not wait for each other; SQLite has one writer.

use async_trait::async_trait;

use carebase::events::{EventDraft, OutboxEvent};
use carebase::store::{OutboxStore, OutboxWrites};
use carebase::{Result, StorageKind};

use super::error::db_error;
use super::rows::{bound, from_db, id_text, to_db, to_json, ts, EventRow, EVENT_COLUMNS};
use super::{SqliteStore, Tx};
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
        let pool = &self.pool;
        let rows: Vec<EventRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM outbox_events WHERE seq > ? ORDER BY seq LIMIT ?"
        ))
        .bind(bound(after))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_error("events_after"))?;
        rows.into_iter().map(EventRow::into_event).collect()
    }

    async fn last_seq(&self, partition: u32) -> Result<u64> {
        if partition != 0 {
            return Ok(0);
        }
        let pool = &self.pool;
        let last: Option<i64> = sqlx::query_scalar("SELECT max(seq) FROM outbox_events")
            .fetch_one(pool)
            .await
            .map_err(db_error("last_seq"))?;
        Ok(last.map_or(0, from_db))
    }

    async fn consumer_position(&self, consumer: &str) -> Result<Vec<u64>> {
        let pool = &self.pool;
        let position: Option<i64> =
            sqlx::query_scalar("SELECT position FROM outbox_consumers WHERE name = ?")
                .bind(consumer)
                .fetch_optional(pool)
                .await
                .map_err(db_error("consumer_position"))?;
        Ok(vec![position.map_or(0, from_db)])
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
        let current: Option<i64> =
            sqlx::query_scalar("SELECT position FROM outbox_consumers WHERE name = ?")
                .bind(consumer)
                .fetch_optional(&mut *self.0)
                .await
                .map_err(db_error("consumer_position_for_update"))?;
        Ok(current.map_or(0, from_db))
    }

    async fn set_consumer_position(
        &mut self,
        consumer: &str,
        partition: u32,
        seq: u64,
    ) -> Result<()> {
        only_partition(partition, "set_consumer_position")?;
        sqlx::query(
            "INSERT INTO outbox_consumers (name, position) VALUES (?, ?) \
             ON CONFLICT (name) DO UPDATE SET position = excluded.position",
        )
        .bind(consumer)
        .bind(to_db(seq))
        .execute(&mut *self.0)
        .await
        .map_err(db_error("set_consumer_position"))?;
        Ok(())
    }

    async fn append_events(&mut self, drafts: Vec<EventDraft>) -> Result<Vec<OutboxEvent>> {
        let mut events = Vec::with_capacity(drafts.len());
        for draft in drafts {
            let seq: i64 = sqlx::query_scalar(
                "INSERT INTO outbox_events (id, kind, schema_version, patient_id, payload, \
                 idempotency_key, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
            )
            .bind(id_text(draft.id.0))
            .bind(&draft.kind)
            .bind(i64::from(draft.schema_version))
            .bind(draft.patient.map(|p| id_text(p.0)))
            .bind(to_json(&draft.payload, "event payload")?)
            .bind(&draft.idempotency_key)
            .bind(ts(&draft.occurred_at))
            .fetch_one(&mut *self.0)
            .await
            .map_err(db_error("append_events"))?;
            events.push(OutboxEvent {
                partition: 0,
                seq: from_db(seq),
                draft,
            });
        }
        Ok(events)
    }
}
