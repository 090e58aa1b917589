//! The audit trail in SQLite: appending sealed entries and advancing each
//! chain's head in the writer's transaction (no trigger moves a head, so a
//! row inserted behind the store's back extends nothing), and the signed
//! checkpoint history with the heads the newest checkpoint pinned.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use carebase::audit::{AuditCheckpoint, AuditEntry, AuditQuery, ChainHead};
use carebase::store::{AuditStore, AuditWrites, CheckpointWrite};
use carebase::{PatientId, Result};

use super::error::db_error;
use super::rows::{
    bound, chain_key, from_db, id_text, parse_chain, parse_ts, to_db, to_json, ts, AuditRow,
    AUDIT_COLUMNS,
};
use super::{is_unique_violation, SqliteStore, Tx};

/// Most rows per multi-row statement (13 parameters each, well under
/// SQLite's 32,766-parameter limit).
const AUDIT_ROWS_PER_STATEMENT: usize = 500;

/// Default page of [`audit_entries`].
const AUDIT_DEFAULT_LIMIT: u32 = 100;

/// Largest page of [`audit_entries`].
const AUDIT_MAX_LIMIT: u32 = 1000;

async fn insert_entries(conn: &mut SqliteConnection, entries: &[AuditEntry]) -> Result<()> {
    let roles: Vec<String> = entries
        .iter()
        .map(|e| to_json(&e.draft.roles, "audit roles"))
        .collect::<Result<_>>()?;
    let rows: Vec<(&AuditEntry, &String)> = entries.iter().zip(&roles).collect();
    for chunk in rows.chunks(AUDIT_ROWS_PER_STATEMENT) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO audit_entries (id, patient_id, chain_seq, at, actor_id, roles, action, \
             outcome, reason, break_glass, subject, prev_hash, hash) ",
        );
        q.push_values(chunk, |mut row, (entry, roles)| {
            let d = &entry.draft;
            row.push_bind(id_text(d.id.0))
                .push_bind(chain_key(d.patient))
                .push_bind(to_db(entry.chain_seq))
                .push_bind(ts(&d.at))
                .push_bind(id_text(d.actor.0))
                .push_bind(roles.as_str())
                .push_bind(d.action.as_str())
                .push_bind(d.outcome.as_str())
                .push_bind(d.reason.as_str())
                .push_bind(d.break_glass.map(|g| id_text(g.0)))
                .push_bind(d.subject.as_deref())
                .push_bind(entry.prev_hash.as_str())
                .push_bind(entry.hash.as_str());
        });
        q.build()
            .execute(&mut *conn)
            .await
            .map_err(db_error("insert_entries"))?;
    }
    Ok(())
}

/// Sets `table`'s row (`audit_heads` or `audit_checkpoint_heads`) for each chain.
async fn upsert_heads(
    conn: &mut SqliteConnection,
    table: &str,
    heads: &[(&String, &ChainHead)],
) -> Result<()> {
    for chunk in heads.chunks(AUDIT_ROWS_PER_STATEMENT) {
        let mut q = QueryBuilder::<Sqlite>::new(format!("INSERT INTO {table} (chain, seq, hash) "));
        q.push_values(chunk, |mut row, (chain, head)| {
            row.push_bind(chain.as_str())
                .push_bind(to_db(head.seq))
                .push_bind(head.hash.as_str());
        });
        q.push(" ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash");
        q.build()
            .execute(&mut *conn)
            .await
            .map_err(db_error("upsert_heads"))?;
    }
    Ok(())
}

async fn read_heads<'q>(
    mut q: QueryBuilder<'q, Sqlite>,
    conn: &mut SqliteConnection,
) -> Result<Vec<ChainHead>> {
    let rows: Vec<(String, i64, String)> = q
        .build_query_as()
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error("read_heads"))?;
    rows.into_iter()
        .map(|(chain, seq, hash)| {
            Ok(ChainHead {
                chain: parse_chain(&chain)?,
                seq: from_db(seq),
                hash,
            })
        })
        .collect()
}

/// Columns selected for a checkpoint (see [`CheckpointRow`]).
const CHECKPOINT_COLUMNS: &str =
    "seq, at, chains, entries, root, prev_signature, key_id, signature";

/// An `audit_checkpoints` row.
#[derive(sqlx::FromRow)]
struct CheckpointRow {
    seq: i64,
    at: String,
    chains: i64,
    entries: i64,
    root: String,
    prev_signature: String,
    key_id: String,
    signature: String,
}

impl CheckpointRow {
    fn into_checkpoint(self) -> Result<AuditCheckpoint> {
        Ok(AuditCheckpoint {
            seq: from_db(self.seq),
            at: parse_ts(&self.at)?,
            chains: from_db(self.chains),
            entries: from_db(self.entries),
            root: self.root,
            prev_signature: self.prev_signature,
            key_id: self.key_id,
            signature: self.signature,
        })
    }
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let pool = &self.pool;
        let limit = query
            .limit
            .unwrap_or(AUDIT_DEFAULT_LIMIT)
            .min(AUDIT_MAX_LIMIT);
        let mut q: QueryBuilder<'_, Sqlite> = QueryBuilder::new(format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_entries WHERE 1 = 1"
        ));
        if let Some(patient) = query.patient {
            q.push(" AND patient_id = ").push_bind(id_text(patient.0));
        }
        if let Some(actor) = query.actor {
            q.push(" AND actor_id = ").push_bind(id_text(actor.0));
        }
        if let Some(after) = query.after {
            q.push(" AND id > ").push_bind(id_text(after.0));
        }
        q.push(" ORDER BY id LIMIT ").push_bind(i64::from(limit));
        let rows: Vec<AuditRow> = q
            .build_query_as()
            .fetch_all(pool)
            .await
            .map_err(db_error("audit_entries"))?;
        rows.into_iter().map(AuditRow::into_entry).collect()
    }

    async fn audit_heads(&self) -> Result<Vec<ChainHead>> {
        let pool = &self.pool;
        let rows: Vec<(String, i64, String)> =
            sqlx::query_as("SELECT chain, seq, hash FROM audit_heads ORDER BY chain")
                .fetch_all(pool)
                .await
                .map_err(db_error("audit_heads"))?;
        rows.into_iter()
            .map(|(chain, seq, hash)| {
                Ok(ChainHead {
                    chain: parse_chain(&chain)?,
                    seq: from_db(seq),
                    hash,
                })
            })
            .collect()
    }

    async fn audit_chains(&self) -> Result<Vec<Option<PatientId>>> {
        let pool = &self.pool;
        // '' (no patient) sorts first, like `None` does.
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT patient_id FROM audit_entries UNION SELECT chain FROM audit_heads ORDER BY 1",
        )
        .fetch_all(pool)
        .await
        .map_err(db_error("audit_chains"))?;
        rows.iter().map(|c| parse_chain(c)).collect()
    }

    async fn audit_chain(
        &self,
        chain: Option<PatientId>,
        from_seq: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        let pool = &self.pool;
        let rows: Vec<AuditRow> = sqlx::query_as(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_entries \
             WHERE patient_id = ? AND chain_seq >= ? ORDER BY chain_seq LIMIT ?"
        ))
        .bind(chain_key(chain))
        .bind(bound(from_seq))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_error("audit_chain"))?;
        rows.into_iter().map(AuditRow::into_entry).collect()
    }

    async fn audit_checkpoints(&self, after: u64, limit: u32) -> Result<Vec<AuditCheckpoint>> {
        let pool = &self.pool;
        let rows: Vec<CheckpointRow> = sqlx::query_as(&format!(
            "SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE seq > ? ORDER BY seq LIMIT ?"
        ))
        .bind(super::rows::bound(after))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_error("audit_checkpoints"))?;
        rows.into_iter()
            .map(CheckpointRow::into_checkpoint)
            .collect()
    }

    async fn latest_audit_checkpoint(&self) -> Result<Option<AuditCheckpoint>> {
        let pool = &self.pool;
        let row: Option<CheckpointRow> = sqlx::query_as(&format!(
            "SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq DESC LIMIT 1"
        ))
        .fetch_optional(pool)
        .await
        .map_err(db_error("latest_audit_checkpoint"))?;
        row.map(CheckpointRow::into_checkpoint).transpose()
    }

    async fn audit_checkpoint_heads(&self) -> Result<Vec<ChainHead>> {
        let pool = &self.pool;
        let mut conn = pool
            .acquire()
            .await
            .map_err(db_error("audit_checkpoint_heads"))?;
        read_heads(
            QueryBuilder::new("SELECT chain, seq, hash FROM audit_checkpoint_heads ORDER BY chain"),
            &mut conn,
        )
        .await
    }
}

#[async_trait]
impl AuditWrites for Tx<'_> {
    /// One read for every head involved (writers are serialized, so
    /// nothing needs holding).
    async fn chain_heads(&mut self, chains: &[Option<PatientId>]) -> Result<Vec<ChainHead>> {
        let conn = &mut *self.0;
        let keys: Vec<String> = chains.iter().map(|c| chain_key(*c)).collect();
        let mut heads = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(AUDIT_ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT chain, seq, hash FROM audit_heads WHERE chain IN (",
            );
            let mut list = q.separated(", ");
            for key in chunk {
                list.push_bind(key);
            }
            q.push(")");
            heads.extend(read_heads(q, conn).await?);
        }
        Ok(heads)
    }

    /// One multi-row insert however many entries (a search audits each
    /// patient it returns), one upsert of the heads moved.
    async fn append_audit(&mut self, entries: &[AuditEntry], heads: &[ChainHead]) -> Result<()> {
        let conn = &mut *self.0;
        insert_entries(conn, entries).await?;
        let keys: Vec<String> = heads.iter().map(|h| chain_key(h.chain)).collect();
        let moved: BTreeMap<&String, &ChainHead> = keys.iter().zip(heads).collect();
        let moved: Vec<(&String, &ChainHead)> = moved.into_iter().collect();
        upsert_heads(conn, "audit_heads", &moved).await
    }

    async fn newest_checkpoint(&mut self) -> Result<Option<AuditCheckpoint>> {
        let row: Option<CheckpointRow> = sqlx::query_as(&format!(
            "SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq DESC LIMIT 1"
        ))
        .fetch_optional(&mut *self.0)
        .await
        .map_err(db_error("newest_checkpoint"))?;
        row.map(CheckpointRow::into_checkpoint).transpose()
    }

    async fn insert_checkpoint(&mut self, write: &CheckpointWrite) -> Result<bool> {
        let conn = &mut *self.0;
        let cp = &write.checkpoint;
        let inserted = sqlx::query(
            "INSERT INTO audit_checkpoints (seq, at, chains, entries, root, prev_signature, \
             key_id, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(to_db(cp.seq))
        .bind(ts(&cp.at))
        .bind(to_db(cp.chains))
        .bind(to_db(cp.entries))
        .bind(&cp.root)
        .bind(&cp.prev_signature)
        .bind(&cp.key_id)
        .bind(&cp.signature)
        .execute(&mut *conn)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e, "audit_checkpoints.seq") => return Ok(false),
            Err(e) => return Err(db_error("insert_checkpoint")(e)),
            Ok(_) => {}
        }
        let keys: Vec<String> = write
            .changed_heads
            .iter()
            .map(|h| chain_key(h.chain))
            .collect();
        let heads: Vec<(&String, &ChainHead)> = keys.iter().zip(&write.changed_heads).collect();
        upsert_heads(conn, "audit_checkpoint_heads", &heads).await?;
        Ok(true)
    }
}
