//! The audit trail in PostgreSQL: appending sealed entries under row locks
//! on their chains' heads, and the signed checkpoint history with the heads
//! the newest checkpoint pinned.

use async_trait::async_trait;
use carebase::{Count32, Count64};
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use carebase::audit::{AuditCheckpoint, AuditEntry, AuditQuery, ChainHead};
use carebase::store::{AuditStore, AuditWrites, CheckpointWrite};
use carebase::{PatientId, Result};

use super::error::db_error;
use super::rows::{
    bound, chain_key, from_db, parse_chain, to_db, to_json, AuditRow, AUDIT_COLUMNS,
};
use super::{is_unique_violation, PostgresStore, Tx};

/// Default page of [`audit_entries`].
const AUDIT_DEFAULT_LIMIT: u32 = 100;

/// Largest page of [`audit_entries`].
const AUDIT_MAX_LIMIT: u32 = 1000;

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
            seq: Count64::new(from_db(r.seq)),
            at: r.at,
            chains: Count64::new(from_db(r.chains)),
            entries: Count64::new(from_db(r.entries)),
            root: r.root,
            prev_signature: r.prev_signature,
            key_id: r.key_id,
            signature: r.signature,
        }
    }
}

/// The statement of [`AuditStore::audit_entries`]. A patient's entries
/// walk the primary key `(patient_id, chain_seq)` from the cursor's
/// position, resolved through the unique `id` (no row when the cursor is
/// not an entry of that chain: the caller tells an empty page from a
/// foreign cursor). Other listings walk `id` (or `audit_entries_actor`).
/// `prefix` goes before the `SELECT` (`EXPLAIN ` for the plan tests).
fn entries_query(query: &AuditQuery, prefix: &str) -> QueryBuilder<'static, Postgres> {
    let limit = query
        .limit
        .unwrap_or(Count32::new(AUDIT_DEFAULT_LIMIT))
        .min(Count32::new(AUDIT_MAX_LIMIT));
    let mut q: QueryBuilder<'static, Postgres> = QueryBuilder::new(format!(
        "{prefix}SELECT {AUDIT_COLUMNS} FROM audit_entries WHERE "
    ));
    if let Some(patient) = query.patient {
        q.push("patient_id = ").push_bind(patient.0);
        if let Some(actor) = query.actor {
            q.push(" AND actor_id = ").push_bind(actor.0);
        }
        if let Some(after) = query.after {
            q.push(" AND chain_seq > (SELECT c.chain_seq FROM audit_entries c WHERE c.id = ")
                .push_bind(after.0)
                .push(" AND c.patient_id = ")
                .push_bind(patient.0)
                .push(")");
        }
        q.push(" ORDER BY chain_seq");
    } else {
        q.push("TRUE");
        if let Some(actor) = query.actor {
            q.push(" AND actor_id = ").push_bind(actor.0);
        }
        if let Some(after) = query.after {
            q.push(" AND id > ").push_bind(after.0);
        }
        q.push(" ORDER BY id");
    }
    q.push(" LIMIT ").push_bind(i64::from(limit));
    q
}

impl PostgresStore {
    /// The `EXPLAIN` lines of the statement `audit_entries` runs for
    /// `query` (for tests that a listing walks a key in page order).
    #[doc(hidden)]
    pub async fn explain_audit_entries(&self, query: &AuditQuery) -> Result<Vec<String>> {
        let lines: Vec<String> = entries_query(query, "EXPLAIN ")
            .build_query_scalar()
            .fetch_all(&self.pool)
            .await
            .map_err(db_error("explain_audit_entries"))?;
        Ok(lines)
    }
}

#[async_trait]
impl AuditStore for PostgresStore {
    async fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let pool = &self.pool;
        let rows: Vec<AuditRow> = entries_query(query, "")
            .build_query_as()
            .fetch_all(pool)
            .await
            .map_err(db_error("audit_entries"))?;
        if let (Some(patient), Some(after), true) = (query.patient, query.after, rows.is_empty()) {
            // An empty page: the end of the chain, or a cursor that is not
            // an entry of it.
            let found: Option<i32> =
                sqlx::query_scalar("SELECT 1 FROM audit_entries WHERE id = $1 AND patient_id = $2")
                    .bind(after.0)
                    .bind(patient.0)
                    .fetch_optional(pool)
                    .await
                    .map_err(db_error("audit_entries"))?;
            if found.is_none() {
                return Err(AuditQuery::foreign_cursor());
            }
        }
        rows.into_iter().map(AuditRow::into_entry).collect()
    }

    async fn audit_heads(&self) -> Result<Vec<ChainHead>> {
        let pool = &self.pool;
        // seq 0 rows are placeholders of uncommitted writers; never visible
        // committed, but filtered for safety.
        let rows: Vec<(Uuid, i64, String)> = sqlx::query_as(
            "SELECT patient_id, seq, hash FROM audit_heads WHERE seq > 0 ORDER BY patient_id",
        )
        .fetch_all(pool)
        .await
        .map_err(db_error("audit_heads"))?;
        Ok(rows
            .into_iter()
            .map(|(chain, seq, hash)| ChainHead {
                chain: parse_chain(chain),
                seq: from_db(seq),
                hash,
            })
            .collect())
    }

    async fn audit_chains(&self) -> Result<Vec<Option<PatientId>>> {
        let pool = &self.pool;
        // The nil uuid (no patient) sorts first, like `None` does.
        let rows: Vec<Uuid> = sqlx::query_scalar(
            "SELECT patient_id FROM audit_entries \
             UNION SELECT patient_id FROM audit_heads WHERE seq > 0 ORDER BY 1",
        )
        .fetch_all(pool)
        .await
        .map_err(db_error("audit_chains"))?;
        Ok(rows.into_iter().map(parse_chain).collect())
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
             WHERE patient_id = $1 AND chain_seq >= $2 ORDER BY chain_seq LIMIT $3"
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
            "SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(bound(after))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_error("audit_checkpoints"))?;
        Ok(rows.into_iter().map(AuditCheckpoint::from).collect())
    }

    async fn latest_audit_checkpoint(&self) -> Result<Option<AuditCheckpoint>> {
        let pool = &self.pool;
        let row: Option<CheckpointRow> = sqlx::query_as(&format!(
            "SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq DESC LIMIT 1"
        ))
        .fetch_optional(pool)
        .await
        .map_err(db_error("latest_audit_checkpoint"))?;
        Ok(row.map(AuditCheckpoint::from))
    }

    async fn audit_checkpoint_heads(&self) -> Result<Vec<ChainHead>> {
        let pool = &self.pool;
        let rows: Vec<(Uuid, i64, String)> = sqlx::query_as(
            "SELECT patient_id, seq, hash FROM audit_checkpoint_heads ORDER BY patient_id",
        )
        .fetch_all(pool)
        .await
        .map_err(db_error("audit_checkpoint_heads"))?;
        Ok(rows
            .into_iter()
            .map(|(chain, seq, hash)| ChainHead {
                chain: parse_chain(chain),
                seq: from_db(seq),
                hash,
            })
            .collect())
    }
}

#[async_trait]
impl AuditWrites for Tx<'_> {
    /// One statement: a head row is inserted for every chain that has none
    /// yet (`seq = 0`, a placeholder this transaction overwrites), and a
    /// chain that has one takes `ON CONFLICT DO UPDATE`, which locks its
    /// row until commit and returns its newest committed head, even one
    /// committed after this statement began (a plain `SELECT … FOR UPDATE`
    /// in the same statement would not see it). Rows are taken in the
    /// given (chain) order, so two writers that share chains lock them in
    /// the same order and never deadlock, and a writer to another patient's
    /// chain does not wait at all. A concurrent inserter of the same new
    /// head waits for us on the primary key.
    ///
    /// Why one statement: every audited change set takes its heads, and
    /// each round trip to the server is a large part of a short
    /// transaction.
    async fn chain_heads(&mut self, chains: &[Option<PatientId>]) -> Result<Vec<ChainHead>> {
        let conn = &mut *self.0;
        let chains: Vec<Uuid> = chains.iter().map(|c| chain_key(*c)).collect();
        // `SET seq = audit_heads.seq` changes nothing but is an update:
        // only updated or inserted rows are returned (and locked rows
        // that a `WHERE` skips are not).
        let rows: Vec<(Uuid, i64, String)> = sqlx::query_as(
            "INSERT INTO audit_heads (patient_id, seq, hash) \
             SELECT c, 0, '' FROM UNNEST($1::uuid[]) WITH ORDINALITY AS k (c, n) ORDER BY n \
             ON CONFLICT (patient_id) DO UPDATE SET seq = audit_heads.seq \
             RETURNING patient_id, seq, hash",
        )
        .bind(&chains)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error("chain_heads"))?;
        // seq 0 is this transaction's placeholder: the chain is empty.
        Ok(rows
            .into_iter()
            .filter(|(_, seq, _)| *seq != 0)
            .map(|(key, seq, hash)| ChainHead {
                chain: parse_chain(key),
                seq: from_db(seq),
                hash,
            })
            .collect())
    }

    /// The entries, sealed by core after the locked heads, are inserted and
    /// the heads advanced in one statement (a data-modifying `WITH`): one
    /// round trip.
    async fn append_audit(&mut self, entries: &[AuditEntry], heads: &[ChainHead]) -> Result<()> {
        let conn = &mut *self.0;
        let mut cols = AuditColumns::default();
        for e in entries {
            let d = &e.draft;
            cols.id.push(d.id.0);
            cols.patient.push(chain_key(d.patient));
            cols.seq.push(to_db(e.chain_seq.get()));
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
        let head_chain: Vec<Uuid> = heads.iter().map(|h| chain_key(h.chain)).collect();
        let head_seq: Vec<i64> = heads.iter().map(|h| to_db(h.seq)).collect();
        let head_hash: Vec<&str> = heads.iter().map(|h| h.hash.as_str()).collect();
        sqlx::query(
            "WITH appended AS (\
             INSERT INTO audit_entries (id, patient_id, chain_seq, at, actor_id, roles, action, \
             outcome, reason, break_glass, subject, prev_hash, hash) \
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::bigint[], $4::timestamptz[], \
             $5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[], $10::uuid[], $11::text[], \
             $12::text[], $13::text[])) \
             UPDATE audit_heads h SET seq = k.seq, hash = k.hash \
             FROM UNNEST($14::uuid[], $15::bigint[], $16::text[]) AS k (chain, seq, hash) \
             WHERE h.patient_id = k.chain",
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
        .bind(&head_chain)
        .bind(&head_seq)
        .bind(&head_hash)
        .execute(&mut *conn)
        .await
        .map_err(db_error("append_audit"))?;
        Ok(())
    }

    /// The newest row is locked so two checkpoints serialize; two first
    /// checkpoints meet at the primary key.
    async fn newest_checkpoint(&mut self) -> Result<Option<AuditCheckpoint>> {
        let row: Option<CheckpointRow> = sqlx::query_as(&format!(
            "SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq DESC LIMIT 1 \
             FOR UPDATE"
        ))
        .fetch_optional(&mut *self.0)
        .await
        .map_err(db_error("newest_checkpoint"))?;
        Ok(row.map(AuditCheckpoint::from))
    }

    async fn insert_checkpoint(&mut self, write: &CheckpointWrite) -> Result<bool> {
        let conn = &mut *self.0;
        let cp = &write.checkpoint;
        let inserted = sqlx::query(
            "INSERT INTO audit_checkpoints (seq, at, chains, entries, root, prev_signature, \
             key_id, signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(to_db(cp.seq.get()))
        .bind(cp.at)
        .bind(to_db(cp.chains.get()))
        .bind(to_db(cp.entries.get()))
        .bind(&cp.root)
        .bind(&cp.prev_signature)
        .bind(&cp.key_id)
        .bind(&cp.signature)
        .execute(&mut *conn)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e, "audit_checkpoints_pkey") => return Ok(false),
            Err(e) => return Err(db_error("insert_checkpoint")(e)),
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
        .map_err(db_error("insert_checkpoint"))?;
        Ok(true)
    }
}
