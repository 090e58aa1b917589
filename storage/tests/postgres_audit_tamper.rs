//! The audit tamper table's representative rows against PostgreSQL (the
//! full table runs on SQLite in `audit_tamper.rs`; the rules are core's and
//! shared, so this checks the PostgreSQL store keeps what they rely on:
//! heads advanced only by the store, the checkpoint history and pinned heads).
//! Needs `CAREBASE_PG_URL`; skipped locally without it, failing under `CI`.

mod postgres_support;

use carebase::store::AuditStore;
use std::sync::Arc;

use chrono::Duration;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use carebase::audit::{
    seal, AuditCheckpoint, AuditDraft, AuditEntry, AuditKey, ChainHead, ProblemKind,
};
use carebase::clinic::NewPatient;
use carebase::patient::{HumanName, PatientDetails};
use carebase::{Actor, ActorId, Clinic, PatientId, Role};

use postgres_support::{pg_test_store, PgTestStore};

fn host_key() -> AuditKey {
    AuditKey::new(b"the postgres host's audit key, 32 bytes or more").expect("key")
}

/// A keyed trail (two patients, reads, a denial) and the checkpoint the host kept.
async fn trail() -> Option<(Arc<PgTestStore>, Clinic, PatientId, AuditCheckpoint)> {
    let store = Arc::new(pg_test_store().await?);
    let clinic = Clinic::new(store.clone()).with_audit_key(host_key());
    let desk = Actor::new(ActorId::new(), vec![Role::FrontDesk]);
    let mut ids = Vec::new();
    for family in ["Alpha", "Beta"] {
        let details = PatientDetails {
            names: vec![HumanName {
                family: Some(family.into()),
                given: vec!["Ann".into()],
                ..HumanName::default()
            }],
            ..PatientDetails::default()
        };
        let new = NewPatient {
            details,
            mrn_facility: None,
        };
        ids.push(
            clinic
                .register_patient(&desk, new)
                .await
                .expect("register")
                .id,
        );
    }
    for p in [ids[0], ids[0], ids[1]] {
        clinic.get_patient(&desk, p).await.expect("read");
    }
    let billing = Actor::new(ActorId::new(), vec![Role::Patient]);
    assert!(clinic.get_patient(&billing, ids[0]).await.is_err());
    let kept = clinic
        .audit_checkpoint(&Actor::system())
        .await
        .expect("checkpoint");
    Some((store, clinic, ids[0], kept))
}

async fn exec(store: &PgTestStore, sql: &str) {
    sqlx::query(sql)
        .execute(store.store.pool())
        .await
        .expect(sql);
}

async fn insert(store: &PgTestStore, e: &AuditEntry, advance_head: bool) {
    let d = &e.draft;
    sqlx::query(
        "INSERT INTO audit_entries (id, patient_id, chain_seq, at, actor_id, roles, action, \
         outcome, reason, break_glass, subject, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(d.id.0)
    .bind(d.patient.map_or(Uuid::nil(), |p| p.0))
    .bind(e.chain_seq.get() as i64)
    .bind(d.at)
    .bind(d.actor.0)
    .bind(serde_json::to_string(&d.roles).expect("roles"))
    .bind(&d.action)
    .bind(d.outcome.as_str())
    .bind(&d.reason)
    .bind(d.break_glass.map(|g| g.0))
    .bind(&d.subject)
    .bind(&e.prev_hash)
    .bind(&e.hash)
    .execute(store.store.pool())
    .await
    .expect("insert");
    if advance_head {
        set_head(store, e).await;
    }
}

async fn set_head(store: &PgTestStore, e: &AuditEntry) {
    sqlx::query("UPDATE audit_heads SET seq = $2, hash = $3 WHERE patient_id = $1")
        .bind(e.draft.patient.map_or(Uuid::nil(), |p| p.0))
        .bind(e.chain_seq.get() as i64)
        .bind(&e.hash)
        .execute(store.store.pool())
        .await
        .expect("head");
}

fn next_draft(last: &AuditEntry) -> AuditDraft {
    let mut d = last.draft.clone();
    d.id = carebase::AuditEntryId::new();
    d.at += Duration::seconds(1);
    d
}

fn v1_after(last: &AuditEntry) -> AuditEntry {
    #[derive(serde::Serialize)]
    struct V1<'a> {
        v: u8,
        draft: &'a AuditDraft,
        chain_seq: u64,
        prev_hash: &'a str,
    }
    let draft = next_draft(last);
    let (seq, prev) = (last.chain_seq + 1, last.hash.clone());
    let canonical = V1 {
        v: 1,
        draft: &draft,
        chain_seq: seq.get(),
        prev_hash: &prev,
    };
    let hash = hex::encode(Sha256::digest(
        serde_json::to_vec(&canonical).expect("json"),
    ));
    AuditEntry {
        draft,
        chain_seq: seq,
        prev_hash: prev,
        hash,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn representative_tampers_are_detected_on_postgres() {
    let kinds = [
        "edit a field",
        "truncate the tail and fix the head",
        "delete a whole chain with its head",
        "forge a v1 tail row and advance the head",
        "forge a development-key tail row and advance the head",
        "delete the newest checkpoint",
        "edit the pinned heads",
        "empty the audit tables",
    ];
    for kind in kinds {
        let Some((store, clinic, alpha, kept)) = trail().await else {
            return;
        };
        let a = alpha.0;
        let entries = store
            .audit_chain(Some(alpha), 0, 1000)
            .await
            .expect("chain");
        let last = entries.last().expect("entries").clone();
        match kind {
            "edit a field" => {
                exec(&store, &format!("UPDATE audit_entries SET reason = 'x' WHERE patient_id = '{a}' AND chain_seq = 2")).await
            }
            "truncate the tail and fix the head" => {
                let keep = &entries[entries.len() - 2];
                exec(&store, &format!("DELETE FROM audit_entries WHERE patient_id = '{a}' AND chain_seq > {}", keep.chain_seq)).await;
                set_head(&store, keep).await;
            }
            "delete a whole chain with its head" => {
                exec(&store, &format!("DELETE FROM audit_entries WHERE patient_id = '{a}'")).await;
                exec(&store, &format!("DELETE FROM audit_heads WHERE patient_id = '{a}'")).await;
            }
            "forge a v1 tail row and advance the head" => {
                insert(&store, &v1_after(&last), true).await
            }
            "forge a development-key tail row and advance the head" => {
                let head = ChainHead {
                    chain: Some(alpha),
                    seq: last.chain_seq.get(),
                    hash: last.hash.clone(),
                };
                let forged = seal(next_draft(&last), Some(&head), &AuditKey::development());
                insert(&store, &forged, true).await;
            }
            "delete the newest checkpoint" => {
                exec(&store, "DELETE FROM audit_checkpoints WHERE seq = (SELECT MAX(seq) FROM audit_checkpoints)").await
            }
            "edit the pinned heads" => {
                exec(&store, &format!("UPDATE audit_checkpoint_heads SET seq = seq - 1 WHERE patient_id = '{a}'")).await
            }
            "empty the audit tables" => {
                for table in ["audit_entries", "audit_heads", "audit_checkpoints", "audit_checkpoint_heads"] {
                    exec(&store, &format!("DELETE FROM {table}")).await;
                }
            }
            other => unreachable!("{other}"),
        }
        let report = clinic
            .verify_audit(&Actor::system(), Some(&kept))
            .await
            .expect("verify");
        let found = report.problem.map(|p| p.kind);
        println!("postgres: {kind} -> {found:?}");
        assert!(!report.ok, "{kind}: undetected");
        if kind.starts_with("forge") {
            assert_eq!(found, Some(ProblemKind::Forged), "{kind}");
        }
    }
}
