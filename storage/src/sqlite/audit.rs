//! The audit trail in SQLite: appending sealed entries and advancing each
//! chain's head in the writer's transaction (no trigger moves a head, so a
//! row inserted behind the store's back extends nothing), and the signed
//! checkpoint history with the heads the newest checkpoint pinned.

use carebase::{Count32, Count64};
use std::collections::BTreeMap;

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::Connection;

use carebase::audit::{AuditCheckpoint, AuditEntry, AuditQuery, ChainHead};
use carebase::store::{AuditStore, AuditWrites, CheckpointWrite};
use carebase::{PatientId, Result};

use super::error::db_error;
use super::rows::{
    bound, chain_key, from_db, id_text, parse_chain, parse_ts, to_db, to_json, ts, AuditRow,
    AUDIT_COLUMNS,
};
use super::{execute, first, is_unique_violation, opt_text, rows, text, SqliteStore, Tx, Values};

/// Most rows per multi-row statement (13 parameters each, well under
/// SQLite's 32,766-parameter limit).
const AUDIT_ROWS_PER_STATEMENT: usize = 500;

/// Default page of [`audit_entries`].
const AUDIT_DEFAULT_LIMIT: u32 = 100;

/// Largest page of [`audit_entries`].
const AUDIT_MAX_LIMIT: u32 = 1000;

/// `INSERT … VALUES (?, …), (?, …)`: `rows` groups of `columns` parameters.
fn values_list(rows: usize, columns: usize) -> String {
    let one = format!("({})", vec!["?"; columns].join(", "));
    vec![one; rows].join(", ")
}

fn insert_entries(conn: &Connection, entries: &[AuditEntry]) -> Result<()> {
    for chunk in entries.chunks(AUDIT_ROWS_PER_STATEMENT) {
        let mut params: Values = Vec::with_capacity(chunk.len() * 13);
        for entry in chunk {
            let d = &entry.draft;
            params.extend([
                text(id_text(d.id.0)),
                text(chain_key(d.patient)),
                Value::Integer(to_db(entry.chain_seq.get())),
                text(ts(&d.at)),
                text(id_text(d.actor.0)),
                text(to_json(&d.roles, "audit roles")?),
                text(d.action.as_str()),
                text(d.outcome.as_str()),
                text(d.reason.as_str()),
                opt_text(d.break_glass.map(|g| id_text(g.0))),
                opt_text(d.subject.as_deref()),
                text(entry.prev_hash.as_str()),
                text(entry.hash.as_str()),
            ]);
        }
        let sql = format!(
            "INSERT INTO audit_entries (id, patient_id, chain_seq, at, actor_id, roles, action, \
             outcome, reason, break_glass, subject, prev_hash, hash) VALUES {}",
            values_list(chunk.len(), 13)
        );
        execute(conn, &sql, rusqlite::params_from_iter(params))
            .map_err(db_error("insert_entries"))?;
    }
    Ok(())
}

/// Sets `table`'s row (`audit_heads` or `audit_checkpoint_heads`) for each chain.
fn upsert_heads(conn: &Connection, table: &str, heads: &[(&String, &ChainHead)]) -> Result<()> {
    for chunk in heads.chunks(AUDIT_ROWS_PER_STATEMENT) {
        let mut params: Values = Vec::with_capacity(chunk.len() * 3);
        for (chain, head) in chunk {
            params.extend([
                text(chain.as_str()),
                Value::Integer(to_db(head.seq)),
                text(head.hash.as_str()),
            ]);
        }
        let sql = format!(
            "INSERT INTO {table} (chain, seq, hash) VALUES {} \
             ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            values_list(chunk.len(), 3)
        );
        execute(conn, &sql, rusqlite::params_from_iter(params))
            .map_err(db_error("upsert_heads"))?;
    }
    Ok(())
}

fn read_heads(conn: &Connection, sql: &str, params: Values) -> Result<Vec<ChainHead>> {
    rows(
        conn,
        "read_heads",
        sql,
        rusqlite::params_from_iter(params),
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        },
    )?
    .into_iter()
    .map(|(chain, seq, hash)| {
        Ok(ChainHead {
            chain: parse_chain(&chain)?,
            seq: from_db(seq),
            hash,
        })
    })
    .collect()
}

/// The statement and parameters of [`AuditStore::audit_entries`]. A
/// patient's entries walk the primary key `(patient_id, chain_seq)` from
/// the cursor's position, resolved through the unique `id` (no row when
/// the cursor is not an entry of that chain: the caller tells an empty
/// page from a foreign cursor); the actor is checked on the rows walked
/// (`+actor_id` keeps SQLite off the actor index, whose order is not the
/// chain's). Other listings walk `id` (or `audit_entries_actor`).
fn entries_query(query: &AuditQuery) -> (String, Values) {
    let limit = query
        .limit
        .unwrap_or(Count32::new(AUDIT_DEFAULT_LIMIT))
        .min(Count32::new(AUDIT_MAX_LIMIT));
    let mut sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_entries WHERE ");
    let mut params: Values = Vec::new();
    if let Some(patient) = query.patient {
        sql.push_str("patient_id = ?");
        params.push(text(id_text(patient.0)));
        if let Some(actor) = query.actor {
            sql.push_str(" AND +actor_id = ?");
            params.push(text(id_text(actor.0)));
        }
        if let Some(after) = query.after {
            sql.push_str(
                " AND chain_seq > (SELECT c.chain_seq FROM audit_entries c \
                 WHERE c.id = ? AND c.patient_id = ?)",
            );
            params.extend([text(id_text(after.0)), text(id_text(patient.0))]);
        }
        sql.push_str(" ORDER BY chain_seq");
    } else {
        sql.push_str("1 = 1");
        if let Some(actor) = query.actor {
            sql.push_str(" AND actor_id = ?");
            params.push(text(id_text(actor.0)));
        }
        if let Some(after) = query.after {
            sql.push_str(" AND id > ?");
            params.push(text(id_text(after.0)));
        }
        sql.push_str(" ORDER BY id");
    }
    sql.push_str(" LIMIT ?");
    params.push(Value::Integer(i64::from(limit)));
    (sql, params)
}

impl SqliteStore {
    /// The `EXPLAIN QUERY PLAN` lines of the statement `audit_entries` runs
    /// for `query` (for tests that a listing walks a key in page order).
    #[doc(hidden)]
    pub async fn explain_audit_entries(&self, query: &AuditQuery) -> Result<Vec<String>> {
        let (sql, params) = entries_query(query);
        self.read("explain_audit_entries", |conn| {
            rows(
                conn,
                "explain_audit_entries",
                &format!("EXPLAIN QUERY PLAN {sql}"),
                rusqlite::params_from_iter(params),
                |r| r.get::<_, String>("detail"),
            )
        })
    }
}

/// Columns selected for a checkpoint (see [`CheckpointRow`]).
const CHECKPOINT_COLUMNS: &str =
    "seq, at, chains, entries, root, prev_signature, key_id, signature";

/// An `audit_checkpoints` row.
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

super::rows::from_row!(CheckpointRow {
    seq,
    at,
    chains,
    entries,
    root,
    prev_signature,
    key_id,
    signature
});

impl CheckpointRow {
    fn into_checkpoint(self) -> Result<AuditCheckpoint> {
        Ok(AuditCheckpoint {
            seq: Count64::new(from_db(self.seq)),
            at: parse_ts(&self.at)?,
            chains: Count64::new(from_db(self.chains)),
            entries: Count64::new(from_db(self.entries)),
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
        let (sql, params) = entries_query(query);
        self.read("audit_entries", |conn| {
            let entries = rows(
                conn,
                "audit_entries",
                &sql,
                rusqlite::params_from_iter(params),
                AuditRow::from_row,
            )?
            .into_iter()
            .map(AuditRow::into_entry)
            .collect::<Result<Vec<_>>>()?;
            if let (Some(patient), Some(after), true) =
                (query.patient, query.after, entries.is_empty())
            {
                // An empty page: the end of the chain, or a cursor that is
                // not an entry of it.
                let found = first(
                    conn,
                    "audit_entries",
                    "SELECT 1 FROM audit_entries WHERE id = ? AND patient_id = ?",
                    [id_text(after.0), id_text(patient.0)],
                    |r| r.get::<_, i64>(0),
                )?;
                if found.is_none() {
                    return Err(AuditQuery::foreign_cursor());
                }
            }
            Ok(entries)
        })
    }

    async fn audit_heads(&self) -> Result<Vec<ChainHead>> {
        self.read("audit_heads", |conn| {
            read_heads(
                conn,
                "SELECT chain, seq, hash FROM audit_heads ORDER BY chain",
                Vec::new(),
            )
        })
    }

    async fn audit_chains(&self) -> Result<Vec<Option<PatientId>>> {
        // '' (no patient) sorts first, like `None` does.
        self.read("audit_chains", |conn| {
            rows(
                conn,
                "audit_chains",
                "SELECT patient_id FROM audit_entries UNION SELECT chain FROM audit_heads ORDER BY 1",
                [],
                |r| r.get::<_, String>(0),
            )?
            .iter()
            .map(|c| parse_chain(c))
            .collect()
        })
    }

    async fn audit_chain(
        &self,
        chain: Option<PatientId>,
        from_seq: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        self.read("audit_chain", |conn| {
            rows(
                conn,
                "audit_chain",
                &format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_entries \
                     WHERE patient_id = ? AND chain_seq >= ? ORDER BY chain_seq LIMIT ?"
                ),
                rusqlite::params![chain_key(chain), bound(from_seq), i64::from(limit)],
                AuditRow::from_row,
            )?
            .into_iter()
            .map(AuditRow::into_entry)
            .collect()
        })
    }

    async fn audit_checkpoints(&self, after: u64, limit: u32) -> Result<Vec<AuditCheckpoint>> {
        self.read("audit_checkpoints", |conn| {
            rows(
                conn,
                "audit_checkpoints",
                &format!(
                    "SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE seq > ? ORDER BY seq LIMIT ?"
                ),
                (bound(after), i64::from(limit)),
                CheckpointRow::from_row,
            )?
            .into_iter()
            .map(CheckpointRow::into_checkpoint)
            .collect()
        })
    }

    async fn latest_audit_checkpoint(&self) -> Result<Option<AuditCheckpoint>> {
        self.read("latest_audit_checkpoint", newest)
    }

    async fn audit_checkpoint_heads(&self) -> Result<Vec<ChainHead>> {
        self.read("audit_checkpoint_heads", |conn| {
            read_heads(
                conn,
                "SELECT chain, seq, hash FROM audit_checkpoint_heads ORDER BY chain",
                Vec::new(),
            )
        })
    }
}

/// The newest checkpoint, if any.
fn newest(conn: &Connection) -> Result<Option<AuditCheckpoint>> {
    first(
        conn,
        "newest_checkpoint",
        &format!("SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq DESC LIMIT 1"),
        [],
        CheckpointRow::from_row,
    )?
    .map(CheckpointRow::into_checkpoint)
    .transpose()
}

#[async_trait]
impl AuditWrites for Tx<'_> {
    /// One read for every head involved (writers are serialized, so
    /// nothing needs holding).
    async fn chain_heads(&mut self, chains: &[Option<PatientId>]) -> Result<Vec<ChainHead>> {
        let keys: Vec<String> = chains.iter().map(|c| chain_key(*c)).collect();
        let mut heads = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(AUDIT_ROWS_PER_STATEMENT) {
            let sql = format!(
                "SELECT chain, seq, hash FROM audit_heads WHERE chain IN ({})",
                vec!["?"; chunk.len()].join(", ")
            );
            heads.extend(read_heads(
                self.0,
                &sql,
                chunk.iter().map(|k| text(k.as_str())).collect(),
            )?);
        }
        Ok(heads)
    }

    /// One multi-row insert however many entries (a search audits each
    /// patient it returns), one upsert of the heads moved.
    async fn append_audit(&mut self, entries: &[AuditEntry], heads: &[ChainHead]) -> Result<()> {
        insert_entries(self.0, entries)?;
        let keys: Vec<String> = heads.iter().map(|h| chain_key(h.chain)).collect();
        let moved: BTreeMap<&String, &ChainHead> = keys.iter().zip(heads).collect();
        let moved: Vec<(&String, &ChainHead)> = moved.into_iter().collect();
        upsert_heads(self.0, "audit_heads", &moved)
    }

    async fn newest_checkpoint(&mut self) -> Result<Option<AuditCheckpoint>> {
        newest(self.0)
    }

    async fn insert_checkpoint(&mut self, write: &CheckpointWrite) -> Result<bool> {
        let cp = &write.checkpoint;
        let inserted = execute(
            self.0,
            "INSERT INTO audit_checkpoints (seq, at, chains, entries, root, prev_signature, \
             key_id, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rusqlite::params![
                to_db(cp.seq.get()),
                ts(&cp.at),
                to_db(cp.chains.get()),
                to_db(cp.entries.get()),
                cp.root,
                cp.prev_signature,
                cp.key_id,
                cp.signature,
            ],
        );
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
        upsert_heads(self.0, "audit_checkpoint_heads", &heads)?;
        Ok(true)
    }
}
