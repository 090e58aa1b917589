//! The audit trail in SQLite: appending sealed entries and advancing each
//! chain's head in the writer's transaction (no trigger moves a head, so a
//! row inserted behind the store's back extends nothing), and the signed
//! checkpoint history with the heads the newest checkpoint pinned.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};

use carebase::audit::{
    seal, AuditCheckpoint, AuditDraft, AuditEntry, AuditKey, ChainHead, GENESIS_HASH,
};
use carebase::store::CheckpointWrite;
use carebase::{Error, Result};

use super::db_error;
use super::rows::{chain_key, from_db, id_text, parse_chain, parse_ts, to_db, to_json, ts};

/// Most rows per multi-row statement (13 parameters each, well under
/// SQLite's 32,766-parameter limit).
const AUDIT_ROWS_PER_STATEMENT: usize = 500;

/// Chains every draft after its chain's head and appends them all: one read
/// for the heads involved, one multi-row insert however many entries (a
/// search audits each patient it returns), one upsert of the heads moved.
pub(crate) async fn append_audit(
    conn: &mut SqliteConnection,
    drafts: Vec<AuditDraft>,
    key: &AuditKey,
) -> Result<Vec<AuditEntry>> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    let keys: BTreeSet<String> = drafts.iter().map(|d| chain_key(d.patient)).collect();
    let keys: Vec<String> = keys.into_iter().collect();
    let mut heads: HashMap<String, ChainHead> = HashMap::new();
    for chunk in keys.chunks(AUDIT_ROWS_PER_STATEMENT) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT chain, seq, hash FROM audit_heads WHERE chain IN (",
        );
        let mut list = q.separated(", ");
        for key in chunk {
            list.push_bind(key);
        }
        q.push(")");
        for h in read_heads(q, conn).await? {
            heads.insert(chain_key(h.chain), h);
        }
    }
    let mut entries = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let chain = chain_key(draft.patient);
        let entry = seal(draft, heads.get(&chain), key);
        heads.insert(
            chain,
            ChainHead {
                chain: entry.draft.patient,
                seq: entry.chain_seq,
                hash: entry.hash.clone(),
            },
        );
        entries.push(entry);
    }
    insert_entries(conn, &entries).await?;
    let moved: BTreeMap<&String, &ChainHead> = keys
        .iter()
        .filter_map(|k| heads.get(k).map(|h| (k, h)))
        .collect();
    let moved: Vec<(&String, &ChainHead)> = moved.into_iter().collect();
    upsert_heads(conn, "audit_heads", &moved).await?;
    Ok(entries)
}

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
        q.build().execute(&mut *conn).await.map_err(db_error)?;
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
        q.build().execute(&mut *conn).await.map_err(db_error)?;
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
        .map_err(db_error)?;
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

/// Appends a checkpoint if it extends the newest one, and stores the heads
/// it pinned that moved.
pub(crate) async fn write_checkpoint(
    conn: &mut SqliteConnection,
    write: CheckpointWrite,
) -> Result<()> {
    let newest: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_error)?;
    let (seq, signature) = newest
        .map(|(s, sig)| (from_db(s), sig))
        .unwrap_or((0, GENESIS_HASH.to_owned()));
    let cp = write.checkpoint;
    if cp.seq != seq + 1 || cp.prev_signature != signature {
        return Err(Error::stale(
            "audit checkpoint",
            cp.seq.saturating_sub(1),
            seq,
        ));
    }
    sqlx::query(
        "INSERT INTO audit_checkpoints (seq, at, chains, entries, root, prev_signature, key_id, \
         signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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
    .await
    .map_err(db_error)?;
    let keys: Vec<String> = write
        .changed_heads
        .iter()
        .map(|h| chain_key(h.chain))
        .collect();
    let heads: Vec<(&String, &ChainHead)> = keys.iter().zip(&write.changed_heads).collect();
    upsert_heads(conn, "audit_checkpoint_heads", &heads).await
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

pub(crate) async fn checkpoints(
    pool: &SqlitePool,
    after: u64,
    limit: u32,
) -> Result<Vec<AuditCheckpoint>> {
    let rows: Vec<CheckpointRow> = sqlx::query_as(&format!(
        "SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE seq > ? ORDER BY seq LIMIT ?"
    ))
    .bind(super::rows::bound(after))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    rows.into_iter()
        .map(CheckpointRow::into_checkpoint)
        .collect()
}

pub(crate) async fn latest_checkpoint(pool: &SqlitePool) -> Result<Option<AuditCheckpoint>> {
    let row: Option<CheckpointRow> = sqlx::query_as(&format!(
        "SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq DESC LIMIT 1"
    ))
    .fetch_optional(pool)
    .await
    .map_err(db_error)?;
    row.map(CheckpointRow::into_checkpoint).transpose()
}

pub(crate) async fn checkpoint_heads(pool: &SqlitePool) -> Result<Vec<ChainHead>> {
    let mut conn = pool.acquire().await.map_err(db_error)?;
    read_heads(
        QueryBuilder::new("SELECT chain, seq, hash FROM audit_checkpoint_heads ORDER BY chain"),
        &mut conn,
    )
    .await
}
