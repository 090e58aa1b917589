//! The outbox in PostgreSQL: events numbered by a sequence, visible in
//! order to consumers polling after their position (see
//! [`Tx::append_events`]), and consumer positions under row locks.

use async_trait::async_trait;

use carebase::events::{EventDraft, OutboxEvent};
use carebase::store::{OutboxStore, OutboxWrites};
use carebase::{Result, StorageKind};

use super::error::db_error;
use super::rows::{bound, from_db, to_db, to_json, EventRow, EVENT_COLUMNS};
use super::{PostgresStore, Tx, OUTBOX_LOCK};
use crate::failure::detected;

#[async_trait]
impl OutboxStore for PostgresStore {
    async fn events_after(&self, after: u64, limit: u32) -> Result<Vec<OutboxEvent>> {
        let pool = &self.pool;
        let rows: Vec<EventRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM outbox_events WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(bound(after))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_error("events_after"))?;
        rows.into_iter().map(EventRow::into_event).collect()
    }

    async fn consumer_position(&self, consumer: &str) -> Result<u64> {
        let pool = &self.pool;
        let position: Option<i64> =
            sqlx::query_scalar("SELECT position FROM outbox_consumers WHERE name = $1")
                .bind(consumer)
                .fetch_optional(pool)
                .await
                .map_err(db_error("consumer_position"))?;
        Ok(position.map_or(0, from_db))
    }
}

#[async_trait]
impl OutboxWrites for Tx<'_> {
    /// Makes sure there is a row to lock, then locks it: concurrent acks of
    /// one consumer serialize and the position never moves backward.
    async fn consumer_position_for_update(&mut self, consumer: &str) -> Result<u64> {
        let conn = &mut *self.0;
        sqlx::query(
            "INSERT INTO outbox_consumers (name, position) VALUES ($1, 0) ON CONFLICT DO NOTHING",
        )
        .bind(consumer)
        .execute(&mut *conn)
        .await
        .map_err(db_error("consumer_position_for_update"))?;
        let current: i64 =
            sqlx::query_scalar("SELECT position FROM outbox_consumers WHERE name = $1 FOR UPDATE")
                .bind(consumer)
                .fetch_one(&mut *conn)
                .await
                .map_err(db_error("consumer_position_for_update"))?;
        Ok(from_db(current))
    }

    async fn set_consumer_position(&mut self, consumer: &str, seq: u64) -> Result<()> {
        sqlx::query("UPDATE outbox_consumers SET position = $2 WHERE name = $1")
            .bind(consumer)
            .bind(to_db(seq))
            .execute(&mut *self.0)
            .await
            .map_err(db_error("set_consumer_position"))?;
        Ok(())
    }

    /// Appends the events, last thing in the transaction.
    ///
    /// Why the advisory lock: a `bigserial` value is taken when a row is
    /// inserted, but becomes visible when its transaction commits. Two writers
    /// could take 7 and 8 and commit 8 first; a relay polling `seq > 6` would
    /// then see 8, acknowledge it, and never ask for 7 again — a lost event.
    /// `pg_advisory_xact_lock(OUTBOX_LOCK)` is held from just before the insert
    /// until commit (or rollback), so outbox writers take sequence numbers and
    /// commit one at a time: numbers become visible in increasing order and a
    /// poller never sees a gap that fills in later. Taking it at the very end
    /// keeps the serialized section to one insert and the commit. (Gaps left by
    /// rolled-back transactions stay gaps forever, which pollers handle.)
    async fn append_events(&mut self, drafts: Vec<EventDraft>) -> Result<Vec<OutboxEvent>> {
        let conn = &mut *self.0;
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        let mut id = Vec::with_capacity(drafts.len());
        let mut kind = Vec::with_capacity(drafts.len());
        let mut schema = Vec::with_capacity(drafts.len());
        let mut patient = Vec::with_capacity(drafts.len());
        let mut payload = Vec::with_capacity(drafts.len());
        let mut key = Vec::with_capacity(drafts.len());
        let mut occurred = Vec::with_capacity(drafts.len());
        for d in &drafts {
            id.push(d.id.0);
            kind.push(d.kind.clone());
            schema.push(i32::try_from(d.schema_version).map_err(|_| {
                detected(
                    "postgres",
                    "append_events",
                    StorageKind::Other,
                    "event schema version out of range",
                )
            })?);
            patient.push(d.patient.map(|p| p.0));
            payload.push(to_json(&d.payload, "event payload")?);
            key.push(d.idempotency_key.clone());
            occurred.push(d.occurred_at);
        }
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(OUTBOX_LOCK)
            .execute(&mut *conn)
            .await
            .map_err(db_error("append_events"))?;
        // WITH ORDINALITY + ORDER BY: sequence numbers follow the drafts' order.
        let seqs: Vec<i64> = sqlx::query_scalar(
            "INSERT INTO outbox_events (id, kind, schema_version, patient_id, payload, \
             idempotency_key, occurred_at) \
             SELECT i, k, s, p, b, ik, o FROM UNNEST($1::uuid[], $2::text[], $3::int[], \
             $4::uuid[], $5::text[], $6::text[], $7::timestamptz[]) WITH ORDINALITY \
             AS d (i, k, s, p, b, ik, o, n) ORDER BY n RETURNING seq",
        )
        .bind(&id)
        .bind(&kind)
        .bind(&schema)
        .bind(&patient)
        .bind(&payload)
        .bind(&key)
        .bind(&occurred)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error("append_events"))?;
        if seqs.len() != drafts.len() {
            return Err(detected(
                "postgres",
                "append_events",
                StorageKind::Other,
                "outbox insert returned the wrong number of rows",
            ));
        }
        let mut seqs = seqs;
        // RETURNING order is not guaranteed; the values were taken in draft order.
        seqs.sort_unstable();
        Ok(drafts
            .into_iter()
            .zip(seqs)
            .map(|(draft, seq)| OutboxEvent {
                seq: from_db(seq),
                draft,
            })
            .collect())
    }
}
