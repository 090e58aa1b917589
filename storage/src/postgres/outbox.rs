//! The outbox in PostgreSQL: events numbered per partition by a counter row
//! each (see [`Tx::append_events`]), read round robin across partitions,
//! and consumer positions per partition under row locks.

use async_trait::async_trait;
use carebase::{Count32, Count64};

use carebase::events::{partition_of, EventDraft, OutboxEvent, OUTBOX_PARTITIONS};
use carebase::store::{OutboxStore, OutboxWrites};
use carebase::{Result, StorageKind};

use super::error::db_error;
use super::rows::{bound, from_db, to_db, to_json, EventRow, EVENT_COLUMNS};
use super::{PostgresStore, Tx};
use crate::failure::detected;

/// A partition number as stored (`integer`).
fn partition_db(partition: u32) -> i32 {
    i32::try_from(partition).unwrap_or(i32::MAX)
}

#[async_trait]
impl OutboxStore for PostgresStore {
    fn outbox_partitions(&self) -> u32 {
        OUTBOX_PARTITIONS
    }

    /// One index range per partition (`LIMIT` each, so a long partition is
    /// never read past what can be returned), numbered within the
    /// partition and taken round robin: rank first, partition second.
    async fn events_after(&self, after: &[u64], limit: u32) -> Result<Vec<OutboxEvent>> {
        let pool = &self.pool;
        let positions: Vec<i64> = (0..OUTBOX_PARTITIONS as usize)
            .map(|p| bound(after.get(p).copied().unwrap_or(0)))
            .collect();
        let rows: Vec<EventRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM ( \
               SELECT e.*, row_number() OVER (PARTITION BY e.partition_id ORDER BY e.seq) AS turn \
               FROM UNNEST($1::bigint[]) WITH ORDINALITY AS p (after, n) \
               CROSS JOIN LATERAL ( \
                 SELECT * FROM outbox_events \
                 WHERE partition_id = p.n - 1 AND seq > p.after ORDER BY seq LIMIT $2 \
               ) e \
             ) t ORDER BY turn, partition_id LIMIT $2"
        ))
        .bind(&positions)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_error("events_after"))?;
        rows.into_iter().map(EventRow::into_event).collect()
    }

    async fn last_seq(&self, partition: u32) -> Result<u64> {
        let pool = &self.pool;
        let last: Option<i64> =
            sqlx::query_scalar("SELECT last_seq FROM outbox_partitions WHERE partition_id = $1")
                .bind(partition_db(partition))
                .fetch_optional(pool)
                .await
                .map_err(db_error("last_seq"))?;
        Ok(last.map_or(0, from_db))
    }

    async fn consumer_position(&self, consumer: &str) -> Result<Vec<u64>> {
        let pool = &self.pool;
        let rows: Vec<(i32, i64)> = sqlx::query_as(
            "SELECT partition_id, position FROM outbox_positions WHERE consumer = $1",
        )
        .bind(consumer)
        .fetch_all(pool)
        .await
        .map_err(db_error("consumer_position"))?;
        let mut position = vec![0; OUTBOX_PARTITIONS as usize];
        for (partition, seq) in rows {
            if let Some(slot) = usize::try_from(partition)
                .ok()
                .and_then(|p| position.get_mut(p))
            {
                *slot = from_db(seq);
            }
        }
        Ok(position)
    }
}

#[async_trait]
impl OutboxWrites for Tx<'_> {
    /// Makes sure there is a row to lock, then locks it: concurrent acks of
    /// one consumer in one partition serialize and the position never
    /// moves backward.
    async fn consumer_position_for_update(
        &mut self,
        consumer: &str,
        partition: u32,
    ) -> Result<u64> {
        let conn = &mut *self.0;
        sqlx::query(
            "INSERT INTO outbox_positions (consumer, partition_id, position) VALUES ($1, $2, 0) \
             ON CONFLICT DO NOTHING",
        )
        .bind(consumer)
        .bind(partition_db(partition))
        .execute(&mut *conn)
        .await
        .map_err(db_error("consumer_position_for_update"))?;
        let current: i64 = sqlx::query_scalar(
            "SELECT position FROM outbox_positions WHERE consumer = $1 AND partition_id = $2 \
             FOR UPDATE",
        )
        .bind(consumer)
        .bind(partition_db(partition))
        .fetch_one(&mut *conn)
        .await
        .map_err(db_error("consumer_position_for_update"))?;
        Ok(from_db(current))
    }

    async fn set_consumer_position(
        &mut self,
        consumer: &str,
        partition: u32,
        seq: u64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE outbox_positions SET position = $3 WHERE consumer = $1 AND partition_id = $2",
        )
        .bind(consumer)
        .bind(partition_db(partition))
        .bind(to_db(seq))
        .execute(&mut *self.0)
        .await
        .map_err(db_error("set_consumer_position"))?;
        Ok(())
    }

    /// Appends the events, last thing in the transaction.
    ///
    /// Why a counter row per partition: a number taken from a sequence
    /// becomes visible when its transaction commits, so two writers could
    /// take 7 and 8 and commit 8 first; a relay reading after 6 would see 8,
    /// acknowledge it and never ask for 7 again — a lost event. Here each
    /// partition's `last_seq` is raised by the number of its events
    /// (`INSERT … ON CONFLICT DO UPDATE … RETURNING`), which row-locks the
    /// partition until commit or rollback: the partition's next writer
    /// waits, then reads the committed value, so numbers become visible in
    /// order, one more than the last (a rollback gives its numbers back).
    /// Writers to other partitions take other rows and do not wait. Rows
    /// are locked in partition order, so two change sets sharing partitions
    /// never deadlock on them. Taking them at the very end keeps each
    /// partition's serialized section to the inserts and the commit.
    async fn append_events(&mut self, drafts: Vec<EventDraft>) -> Result<Vec<OutboxEvent>> {
        if let Some(deferred) = self.1.as_deref_mut() {
            // A batch round: numbered when the round appends them all.
            let placeholders = drafts
                .iter()
                .map(|draft| OutboxEvent {
                    partition: Count32::new(partition_of(draft.patient, OUTBOX_PARTITIONS)),
                    seq: Count64::new(0),
                    draft: draft.clone(),
                })
                .collect();
            deferred.extend(drafts);
            return Ok(placeholders);
        }
        let conn = &mut *self.0;
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        let partitions: Vec<u32> = drafts
            .iter()
            .map(|d| partition_of(d.patient, OUTBOX_PARTITIONS))
            .collect();
        let mut counts: Vec<(u32, i64)> = Vec::new();
        for partition in &partitions {
            match counts.iter_mut().find(|(p, _)| p == partition) {
                Some((_, n)) => *n += 1,
                None => counts.push((*partition, 1)),
            }
        }
        counts.sort_unstable();
        let (count_partitions, count_sizes): (Vec<i32>, Vec<i64>) =
            counts.iter().map(|(p, n)| (partition_db(*p), *n)).unzip();
        let raised: Vec<(i32, i64)> = sqlx::query_as(
            "INSERT INTO outbox_partitions (partition_id, last_seq) \
             SELECT p, n FROM UNNEST($1::int[], $2::bigint[]) AS c (p, n) ORDER BY p \
             ON CONFLICT (partition_id) \
             DO UPDATE SET last_seq = outbox_partitions.last_seq + excluded.last_seq \
             RETURNING partition_id, last_seq",
        )
        .bind(&count_partitions)
        .bind(&count_sizes)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error("append_events"))?;
        // The next number of each partition: its new last minus its count.
        let mut next: Vec<(u32, u64)> = Vec::with_capacity(counts.len());
        for (partition, n) in &counts {
            let last = raised
                .iter()
                .find(|(p, _)| *p == partition_db(*partition))
                .map(|(_, last)| *last)
                .ok_or_else(|| {
                    detected(
                        "postgres",
                        "append_events",
                        StorageKind::Other,
                        "outbox partition counter missing",
                    )
                })?;
            next.push((*partition, from_db(last - n + 1)));
        }
        let mut events = Vec::with_capacity(drafts.len());
        for (draft, partition) in drafts.into_iter().zip(partitions) {
            let Some((_, seq)) = next.iter_mut().find(|(p, _)| *p == partition) else {
                return Err(detected(
                    "postgres",
                    "append_events",
                    StorageKind::Other,
                    "outbox partition counter missing",
                ));
            };
            events.push(OutboxEvent {
                partition: Count32::new(partition),
                seq: Count64::new(*seq),
                draft,
            });
            *seq += 1;
        }
        let mut part = Vec::with_capacity(events.len());
        let mut seq = Vec::with_capacity(events.len());
        let mut id = Vec::with_capacity(events.len());
        let mut kind = Vec::with_capacity(events.len());
        let mut schema = Vec::with_capacity(events.len());
        let mut patient = Vec::with_capacity(events.len());
        let mut payload = Vec::with_capacity(events.len());
        let mut key = Vec::with_capacity(events.len());
        let mut occurred = Vec::with_capacity(events.len());
        for e in &events {
            let d = &e.draft;
            part.push(partition_db(e.partition.get()));
            seq.push(to_db(e.seq.get()));
            id.push(d.id.0);
            kind.push(d.kind.clone());
            schema.push(i32::try_from(d.schema_version.get()).map_err(|_| {
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
        sqlx::query(
            "INSERT INTO outbox_events (partition_id, seq, id, kind, schema_version, patient_id, \
             payload, idempotency_key, occurred_at) \
             SELECT * FROM UNNEST($1::int[], $2::bigint[], $3::uuid[], $4::text[], $5::int[], \
             $6::uuid[], $7::text[], $8::text[], $9::timestamptz[])",
        )
        .bind(&part)
        .bind(&seq)
        .bind(&id)
        .bind(&kind)
        .bind(&schema)
        .bind(&patient)
        .bind(&payload)
        .bind(&key)
        .bind(&occurred)
        .execute(&mut *conn)
        .await
        .map_err(db_error("append_events"))?;
        Ok(events)
    }
}
