//! The PostgreSQL baseline that runs carebase's exact statements on
//! carebase's own schema, with no domain logic: what sqlx and the server
//! cost for a registration, the physical limit `PostgresStore` is measured
//! against (issue 12, "honest benches").
//!
//! [`REGISTER_STATEMENTS`] is written once, each line naming the
//! carebase-storage function that runs it; the test
//! `benches/tests/pg_register_statements.rs` captures what carebase really
//! executes (through [`crate::pg_capture`]) and what this baseline executes,
//! and holds both equal to the list, so they cannot drift. The rows have
//! carebase's shapes: UUIDv7 ids, the details as the same serde JSON, the
//! search keys computed by carebase's own `search_keys`, a `v2:key:hex`
//! audit hash of the same length (a SHA-256 here, an HMAC in carebase), the
//! event in its patient's outbox partition, numbered by the partition's
//! counter row.

use carebase::events::{partition_of, OUTBOX_PARTITIONS, PATIENT_REGISTERED};
use carebase::patient::normalize::search_keys;
use carebase::patient::PatientDetails;
use carebase::PatientId;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use crate::Result;

/// `Pool::begin`: sent by sqlx as a simple query, which its statement log
/// does not report (so a capture starts after it).
pub const BEGIN: &str = "BEGIN";
/// patients.rs `insert_patient`.
const INSERT_PATIENT: &str = "INSERT INTO patients (patient_id, version, active, merged_into, created_at, updated_at, gender, birth_date, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
/// patients.rs `replace_keys`: the identifier insert under a savepoint.
const SAVEPOINT_IDENTIFIERS: &str = "SAVEPOINT carebase_identifiers";
/// patients.rs `replace_keys`.
const INSERT_IDENTIFIERS: &str = "INSERT INTO patient_identifiers (system, value, patient_id) SELECT s, v, $3 FROM UNNEST($1::text[], $2::text[]) AS k (s, v)";
/// patients.rs `replace_keys`: no identifier was taken.
const RELEASE_IDENTIFIERS: &str = "RELEASE SAVEPOINT carebase_identifiers";
/// patients.rs `replace_keys`.
const INSERT_TOKENS: &str = "INSERT INTO patient_name_tokens (token, patient_id, words) SELECT DISTINCT k, $2, $3 FROM UNNEST($1::text[]) AS k ON CONFLICT DO NOTHING";
/// patients.rs `replace_keys`.
const INSERT_PHONES: &str = "INSERT INTO patient_phones (phone, patient_id) SELECT DISTINCT k, $2 FROM UNNEST($1::text[]) AS k ON CONFLICT DO NOTHING";
/// patients.rs `replace_keys`.
const INSERT_EMAILS: &str = "INSERT INTO patient_emails (email, patient_id) SELECT DISTINCT k, $2 FROM UNNEST($1::text[]) AS k ON CONFLICT DO NOTHING";
/// audit.rs `chain_heads`: a placeholder head for a new chain, the others
/// locked and returned, in chain order.
const TAKE_HEADS: &str = "INSERT INTO audit_heads (patient_id, seq, hash) SELECT c, 0, '' FROM UNNEST($1::uuid[]) WITH ORDINALITY AS k (c, n) ORDER BY n ON CONFLICT (patient_id) DO UPDATE SET seq = audit_heads.seq RETURNING patient_id, seq, hash";
/// audit.rs `append_audit`: the entries inserted and the heads moved.
const APPEND_AUDIT: &str = "WITH appended AS (INSERT INTO audit_entries (id, patient_id, chain_seq, at, actor_id, roles, action, outcome, reason, break_glass, subject, prev_hash, hash) SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::bigint[], $4::timestamptz[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[], $10::uuid[], $11::text[], $12::text[], $13::text[])) UPDATE audit_heads h SET seq = k.seq, hash = k.hash FROM UNNEST($14::uuid[], $15::bigint[], $16::text[]) AS k (chain, seq, hash) WHERE h.patient_id = k.chain";
/// outbox.rs `append_events`: the partitions' counter rows raised.
const RAISE_PARTITIONS: &str = "INSERT INTO outbox_partitions (partition_id, last_seq) SELECT p, n FROM UNNEST($1::int[], $2::bigint[]) AS c (p, n) ORDER BY p ON CONFLICT (partition_id) DO UPDATE SET last_seq = outbox_partitions.last_seq + excluded.last_seq RETURNING partition_id, last_seq";
/// outbox.rs `append_events`.
const INSERT_EVENTS: &str = "INSERT INTO outbox_events (partition_id, seq, id, kind, schema_version, patient_id, payload, idempotency_key, occurred_at) SELECT * FROM UNNEST($1::int[], $2::bigint[], $3::uuid[], $4::text[], $5::int[], $6::uuid[], $7::text[], $8::text[], $9::timestamptz[])";
/// postgres/mod.rs `apply_once`.
const COMMIT: &str = "COMMIT";

/// What `register_patient` executes on PostgreSQL after [`BEGIN`], in order.
pub const REGISTER_STATEMENTS: &[&str] = &[
    INSERT_PATIENT,
    SAVEPOINT_IDENTIFIERS,
    INSERT_IDENTIFIERS,
    RELEASE_IDENTIFIERS,
    INSERT_TOKENS,
    INSERT_PHONES,
    INSERT_EMAILS,
    TAKE_HEADS,
    APPEND_AUDIT,
    RAISE_PARTITIONS,
    INSERT_EVENTS,
    COMMIT,
];

/// All-zero previous hash of a chain's first entry.
const ZERO_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Audit hash prefix with a key id of carebase's length.
const HASH_PREFIX: &str = "v2:0000000000000000:";
/// Roles of the front-desk actor, as carebase stores them.
const ROLES: &str = r#"["front_desk"]"#;
/// Reason the policy gives front desk, as carebase stores it.
const REASON: &str = "rule front-desk-demographics";

/// sqlx running [`REGISTER_STATEMENTS`] on a schema carebase migrated.
pub struct PgSameStatements {
    pool: PgPool,
    actor: Uuid,
}

/// A chain's next entry: its seq and hash after the head that was read.
fn seal(
    id: Uuid,
    patient: Uuid,
    at: DateTime<Utc>,
    actor: Uuid,
    head: Option<(i64, String)>,
) -> (i64, String, String) {
    let (seq, prev_hash) = match head {
        Some((seq, hash)) if seq > 0 => (seq + 1, hash),
        _ => (1, ZERO_HASH.to_owned()),
    };
    let mut hasher = Sha256::new();
    let at = at.to_rfc3339();
    for field in [
        id.to_string().as_str(),
        &patient.to_string(),
        &at,
        &actor.to_string(),
        ROLES,
        "patient.register",
        REASON,
        &prev_hash,
    ] {
        hasher.update(field.as_bytes());
        hasher.update([0]);
    }
    hasher.update(seq.to_be_bytes());
    let hash = format!("{HASH_PREFIX}{}", hex::encode(hasher.finalize()));
    (seq, prev_hash, hash)
}

impl PgSameStatements {
    /// The baseline on `pool`, whose schema carebase's migrations built.
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            actor: Uuid::now_v7(),
        }
    }

    /// Registers one patient in one transaction, statement for statement
    /// as `register_patient`; answers its id.
    pub async fn register(&self, details: &PatientDetails) -> Result<Uuid> {
        let id = Uuid::now_v7();
        // carebase's clock keeps microseconds, what `timestamptz` stores.
        let now =
            DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap_or_else(Utc::now);
        let details_json = serde_json::to_string(details)?;
        let keys = search_keys(details, None);
        let (systems, values): (Vec<String>, Vec<String>) = details
            .identifiers
            .iter()
            .map(|i| (i.system.clone(), i.value.clone()))
            .unzip();
        let mut tx = self.pool.begin().await?;
        sqlx::query(INSERT_PATIENT)
            .bind(id)
            .bind(1_i64)
            .bind(true)
            .bind(None::<Uuid>)
            .bind(now)
            .bind(now)
            .bind(details.gender.map(|g| g.as_str()))
            .bind(details.birth_date)
            .bind(&details_json)
            .execute(&mut *tx)
            .await?;
        sqlx::query(SAVEPOINT_IDENTIFIERS).execute(&mut *tx).await?;
        sqlx::query(INSERT_IDENTIFIERS)
            .bind(&systems)
            .bind(&values)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(RELEASE_IDENTIFIERS).execute(&mut *tx).await?;
        // Every token row carries the patient's words, as the store writes them.
        let mut words = keys.name_tokens.clone();
        words.sort();
        words.dedup();
        sqlx::query(INSERT_TOKENS)
            .bind(&keys.name_tokens)
            .bind(id)
            .bind(words.join(" "))
            .execute(&mut *tx)
            .await?;
        for (sql, keys) in [(INSERT_PHONES, &keys.phones), (INSERT_EMAILS, &keys.emails)] {
            sqlx::query(sql)
                .bind(keys)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let chains = vec![id];
        let heads: Vec<(Uuid, i64, String)> = sqlx::query_as(TAKE_HEADS)
            .bind(&chains)
            .fetch_all(&mut *tx)
            .await?;
        // seq 0 is the placeholder of a chain without entries.
        let head = heads
            .into_iter()
            .find(|(_, seq, _)| *seq != 0)
            .map(|(_, seq, hash)| (seq, hash));
        let audit_id = Uuid::now_v7();
        let (seq, prev_hash, hash) = seal(audit_id, id, now, self.actor, head);
        sqlx::query(APPEND_AUDIT)
            .bind(vec![audit_id])
            .bind(&chains)
            .bind(vec![seq])
            .bind(vec![now])
            .bind(vec![self.actor])
            .bind(vec![ROLES])
            .bind(vec!["patient.register"])
            .bind(vec!["success"])
            .bind(vec![REASON])
            .bind(vec![None::<Uuid>])
            .bind(vec![None::<String>])
            .bind(vec![prev_hash])
            .bind(vec![hash.clone()])
            .bind(&chains)
            .bind(vec![seq])
            .bind(vec![hash])
            .execute(&mut *tx)
            .await?;
        let partition = i32::try_from(partition_of(Some(PatientId(id)), OUTBOX_PARTITIONS))?;
        let raised: Vec<(i32, i64)> = sqlx::query_as(RAISE_PARTITIONS)
            .bind(vec![partition])
            .bind(vec![1_i64])
            .fetch_all(&mut *tx)
            .await?;
        let event_seq = raised.first().map_or(1, |(_, last)| *last);
        let payload =
            serde_json::json!({ "patient_id": id, "version": 1, "registered_at": now }).to_string();
        sqlx::query(INSERT_EVENTS)
            .bind(vec![partition])
            .bind(vec![event_seq])
            .bind(vec![Uuid::now_v7()])
            .bind(vec![PATIENT_REGISTERED])
            .bind(vec![1_i32])
            .bind(vec![Some(id)])
            .bind(vec![payload])
            .bind(vec![format!("{PATIENT_REGISTERED}:{id}:1")])
            .bind(vec![now])
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The pool the baseline writes through.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}
