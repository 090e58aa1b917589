//! The audit trail in PostgreSQL: appending sealed entries under row locks
//! on their chains' heads, and the signed checkpoint history with the heads
//! the newest checkpoint pinned.

use std::collections::{BTreeSet, HashMap};

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use carebase::audit::{
    seal, AuditCheckpoint, AuditDraft, AuditEntry, AuditKey, ChainHead, GENESIS_HASH,
};
use carebase::store::CheckpointWrite;
use carebase::{Error, Result};

use super::db_error;
use super::rows::{bound, chain_key, from_db, parse_chain, to_db, to_json};
use super::write::is_unique_violation;

/// Chains every draft after its chain's head and appends them all.
///
/// 1. A head row is inserted for every chain involved that has none yet
///    (`seq = 0`, a placeholder that this transaction overwrites; a
///    concurrent inserter of the same head waits for us on the primary key).
/// 2. The heads are locked `FOR UPDATE` in chain order, so two writers that
///    share chains lock them in the same order and never deadlock, and a
///    writer to another patient's chain does not wait at all.
/// 3. Entries are sealed with the clinic's key after the locked heads,
///    inserted in one statement, and the heads advanced in one statement
///    (by the store: nothing in the database moves a head on its own).
pub(crate) async fn append_audit(
    conn: &mut PgConnection,
    drafts: Vec<AuditDraft>,
    key: &AuditKey,
) -> Result<Vec<AuditEntry>> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    let chains: Vec<Uuid> = drafts
        .iter()
        .map(|d| chain_key(d.patient))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    sqlx::query(
        "INSERT INTO audit_heads (patient_id, seq, hash) \
         SELECT c, 0, '' FROM UNNEST($1::uuid[]) WITH ORDINALITY AS k (c, n) ORDER BY n \
         ON CONFLICT DO NOTHING",
    )
    .bind(&chains)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    let rows: Vec<(Uuid, i64, String)> = sqlx::query_as(
        "SELECT patient_id, seq, hash FROM audit_heads WHERE patient_id = ANY($1) \
         ORDER BY patient_id FOR UPDATE",
    )
    .bind(&chains)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?;
    let mut heads: HashMap<Uuid, ChainHead> = HashMap::new();
    for (key, seq, hash) in rows {
        // seq 0 is this transaction's placeholder: the chain is empty.
        if seq != 0 {
            heads.insert(
                key,
                ChainHead {
                    chain: parse_chain(key),
                    seq: from_db(seq),
                    hash,
                },
            );
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
    let mut cols = AuditColumns::default();
    for e in &entries {
        let d = &e.draft;
        cols.id.push(d.id.0);
        cols.patient.push(chain_key(d.patient));
        cols.seq.push(to_db(e.chain_seq));
        cols.at.push(d.at);
        cols.actor.push(d.actor.0);
        cols.roles.push(to_json(&d.roles, "audit roles")?);
        cols.action.push(d.action.clone());
        cols.outcome.push(d.outcome.as_str().to_owned());
        cols.reason.push(d.reason.clone());
        cols.break_glass.push(d.break_glass.map(|g| g.0));
        cols.subject.push(d.subject.clone());
        cols.prev_hash.push(e.prev_hash.clone());
        cols.hash.push(e.hash.clone());
    }
    sqlx::query(
        "INSERT INTO audit_entries (id, patient_id, chain_seq, at, actor_id, roles, action, \
         outcome, reason, break_glass, subject, prev_hash, hash) \
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::bigint[], $4::timestamptz[], \
         $5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[], $10::uuid[], $11::text[], \
         $12::text[], $13::text[])",
    )
    .bind(&cols.id)
    .bind(&cols.patient)
    .bind(&cols.seq)
    .bind(&cols.at)
    .bind(&cols.actor)
    .bind(&cols.roles)
    .bind(&cols.action)
    .bind(&cols.outcome)
    .bind(&cols.reason)
    .bind(&cols.break_glass)
    .bind(&cols.subject)
    .bind(&cols.prev_hash)
    .bind(&cols.hash)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    let (mut head_chain, mut head_seq, mut head_hash) = (Vec::new(), Vec::new(), Vec::new());
    for key in &chains {
        if let Some(h) = heads.get(key) {
            head_chain.push(*key);
            head_seq.push(to_db(h.seq));
            head_hash.push(h.hash.clone());
        }
    }
    sqlx::query(
        "UPDATE audit_heads h SET seq = k.seq, hash = k.hash \
         FROM UNNEST($1::uuid[], $2::bigint[], $3::text[]) AS k (chain, seq, hash) \
         WHERE h.patient_id = k.chain",
    )
    .bind(&head_chain)
    .bind(&head_seq)
    .bind(&head_hash)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    Ok(entries)
}

/// Column arrays of a multi-row audit insert.
#[derive(Default)]
struct AuditColumns {
    id: Vec<Uuid>,
    patient: Vec<Uuid>,
    seq: Vec<i64>,
    at: Vec<chrono::DateTime<chrono::Utc>>,
    actor: Vec<Uuid>,
    roles: Vec<String>,
    action: Vec<String>,
    outcome: Vec<String>,
    reason: Vec<String>,
    break_glass: Vec<Option<Uuid>>,
    subject: Vec<Option<String>>,
    prev_hash: Vec<String>,
    hash: Vec<String>,
}

/// Appends a checkpoint if it extends the newest one, and stores the heads
/// it pinned that moved. The newest row is locked so two checkpoints
/// serialize; two first checkpoints meet at the primary key.
pub(crate) async fn write_checkpoint(
    conn: &mut PgConnection,
    write: CheckpointWrite,
) -> Result<()> {
    let newest: Option<(i64, String)> = sqlx::query_as(
        "SELECT seq, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1 FOR UPDATE",
    )
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_error)?;
    let (seq, signature) = newest
        .map(|(s, sig)| (from_db(s), sig))
        .unwrap_or((0, GENESIS_HASH.to_owned()));
    let cp = write.checkpoint;
    let stale = || Error::stale("audit checkpoint", cp.seq.saturating_sub(1), seq);
    if cp.seq != seq + 1 || cp.prev_signature != signature {
        return Err(stale());
    }
    let inserted = sqlx::query(
        "INSERT INTO audit_checkpoints (seq, at, chains, entries, root, prev_signature, key_id, \
         signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(to_db(cp.seq))
    .bind(cp.at)
    .bind(to_db(cp.chains))
    .bind(to_db(cp.entries))
    .bind(&cp.root)
    .bind(&cp.prev_signature)
    .bind(&cp.key_id)
    .bind(&cp.signature)
    .execute(&mut *conn)
    .await;
    match inserted {
        Err(e) if is_unique_violation(&e, "audit_checkpoints_pkey") => return Err(stale()),
        Err(e) => return Err(db_error(e)),
        Ok(_) => {}
    }
    let chains: Vec<Uuid> = write
        .changed_heads
        .iter()
        .map(|h| chain_key(h.chain))
        .collect();
    let seqs: Vec<i64> = write.changed_heads.iter().map(|h| to_db(h.seq)).collect();
    let hashes: Vec<&str> = write
        .changed_heads
        .iter()
        .map(|h| h.hash.as_str())
        .collect();
    sqlx::query(
        "INSERT INTO audit_checkpoint_heads (patient_id, seq, hash) \
         SELECT * FROM UNNEST($1::uuid[], $2::bigint[], $3::text[]) \
         ON CONFLICT (patient_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )
    .bind(&chains)
    .bind(&seqs)
    .bind(&hashes)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Columns selected for a checkpoint (see [`CheckpointRow`]).
const CHECKPOINT_COLUMNS: &str =
    "seq, at, chains, entries, root, prev_signature, key_id, signature";

/// An `audit_checkpoints` row.
#[derive(sqlx::FromRow)]
struct CheckpointRow {
    seq: i64,
    at: chrono::DateTime<chrono::Utc>,
    chains: i64,
    entries: i64,
    root: String,
    prev_signature: String,
    key_id: String,
    signature: String,
}

impl From<CheckpointRow> for AuditCheckpoint {
    fn from(r: CheckpointRow) -> Self {
        AuditCheckpoint {
            seq: from_db(r.seq),
            at: r.at,
            chains: from_db(r.chains),
            entries: from_db(r.entries),
            root: r.root,
            prev_signature: r.prev_signature,
            key_id: r.key_id,
            signature: r.signature,
        }
    }
}

pub(crate) async fn checkpoints(
    pool: &PgPool,
    after: u64,
    limit: u32,
) -> Result<Vec<AuditCheckpoint>> {
    let rows: Vec<CheckpointRow> = sqlx::query_as(&format!(
        "SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE seq > $1 ORDER BY seq LIMIT $2"
    ))
    .bind(bound(after))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    Ok(rows.into_iter().map(AuditCheckpoint::from).collect())
}

pub(crate) async fn latest_checkpoint(pool: &PgPool) -> Result<Option<AuditCheckpoint>> {
    let row: Option<CheckpointRow> = sqlx::query_as(&format!(
        "SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq DESC LIMIT 1"
    ))
    .fetch_optional(pool)
    .await
    .map_err(db_error)?;
    Ok(row.map(AuditCheckpoint::from))
}

pub(crate) async fn checkpoint_heads(pool: &PgPool) -> Result<Vec<ChainHead>> {
    let rows: Vec<(Uuid, i64, String)> = sqlx::query_as(
        "SELECT patient_id, seq, hash FROM audit_checkpoint_heads ORDER BY patient_id",
    )
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    Ok(rows
        .into_iter()
        .map(|(chain, seq, hash)| ChainHead {
            chain: parse_chain(chain),
            seq: from_db(seq),
            hash,
        })
        .collect())
}
