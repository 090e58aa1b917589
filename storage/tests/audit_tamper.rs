//! The audit tamper table (issue 10, "audit forgery by anyone who can write
//! the database file"): a keyed clinic writes a realistic trail into a
//! SQLite file and takes two checkpoints (the host exports the second);
//! then, for every kind of tampering, a copy of the file is changed with raw
//! SQL through a connection of its own — an attacker with full write access
//! but without the key — and `verify_audit` must report a problem.
//!
//! The table is printed (`cargo test -p carebase-storage --test
//! audit_tamper -- --nocapture`) with two columns: detected from what the
//! database holds alone, and detected against the checkpoint the host kept.

use carebase::store::AuditStore;
use carebase::{Count32, Count64};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Duration, SecondsFormat};
use sha2::{Digest, Sha256};
use sqlx::{Connection, SqliteConnection};

use carebase::audit::{
    seal, AuditCheckpoint, AuditDraft, AuditEntry, AuditKey, AuditVerification, ChainHead,
};
use carebase::clinic::NewPatient;
use carebase::patient::{HumanName, PatientDetails, PatientQuery};
use carebase::{Actor, ActorId, Clinic, PatientId, PractitionerId, Role};
use carebase_storage::SqliteStore;

const SECRET: &[u8] = b"the host's audit key: kept in a vault, never in the database";

fn host_key() -> AuditKey {
    AuditKey::new(SECRET).expect("a valid key")
}

fn url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

async fn keyed_clinic(path: &Path) -> (Clinic, Arc<SqliteStore>) {
    let store = Arc::new(SqliteStore::open(&url(path)).await.expect("open"));
    let clinic = Clinic::new(store.clone()).with_audit_key(host_key());
    (clinic, store)
}

/// Copies a closed database file with its write-ahead log, if one was left,
/// so the copy holds every committed write.
fn copy_db(from: &Path, to: &Path) {
    let wal = |p: &Path| PathBuf::from(format!("{}-wal", p.display()));
    std::fs::copy(from, to).expect("copy");
    if wal(from).exists() {
        std::fs::copy(wal(from), wal(to)).expect("copy wal");
    }
}

fn details(family: &str, given: &str) -> PatientDetails {
    PatientDetails {
        names: vec![HumanName {
            family: Some(family.into()),
            given: vec![given.into()],
            ..HumanName::default()
        }],
        birth_date: chrono::NaiveDate::from_ymd_opt(1975, 5, 17),
        ..PatientDetails::default()
    }
}

/// The database every tamper starts from, and what the host kept.
struct Base {
    _dir: tempfile::TempDir,
    file: PathBuf,
    /// A copy of the file taken after the first checkpoint (for the roll-back).
    older: PathBuf,
    /// The second checkpoint, exported as JSON when it was taken and read back.
    kept: AuditCheckpoint,
    /// A patient with a long chain (reads, an update, a denial).
    alpha: PatientId,
    /// Another patient, deleted entirely by one tamper.
    beta: PatientId,
}

async fn base() -> Base {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("clinic.db");
    let (clinic, store) = keyed_clinic(&file).await;
    let desk = Actor::new(ActorId::new(), vec![Role::FrontDesk]);
    let admin = Actor::new(ActorId::new(), vec![Role::Admin]);
    let stranger = Actor::practitioner(ActorId::new(), PractitionerId::new());
    let system = Actor::system();
    let register = |family: &'static str, given: &'static str| {
        let (clinic, desk) = (clinic.clone(), desk.clone());
        async move {
            let new = NewPatient {
                details: details(family, given),
                mrn_facility: None,
            };
            clinic.register_patient(&desk, new).await.expect("register")
        }
    };
    let alpha = register("Alpha", "Ann").await;
    let beta = register("Beta", "Bob").await;
    let twin = register("Gamma", "Gil").await;
    let twin_copy = register("Gamma", "Gil").await;
    let delta = register("Delta", "Dee").await;
    for p in [alpha.id, alpha.id, beta.id, delta.id] {
        clinic.get_patient(&desk, p).await.expect("read");
    }
    assert!(clinic.get_patient(&stranger, alpha.id).await.is_err());
    let query = PatientQuery {
        name: Some("gamma".into()),
        ..PatientQuery::default()
    };
    clinic.search_patients(&desk, &query).await.expect("search");
    clinic
        .update_patient(&desk, alpha.id, Count64::new(1), details("Alpha", "Anne"))
        .await
        .expect("update");
    let candidates = clinic
        .find_duplicates(&admin, twin.id, Count32::new(10))
        .await;
    assert!(!candidates.expect("duplicates").is_empty());
    clinic
        .merge_patients(
            &admin,
            twin.id,
            Count64::new(1),
            twin_copy.id,
            Count64::new(1),
        )
        .await
        .expect("merge");
    clinic
        .audit_checkpoint(&system)
        .await
        .expect("checkpoint 1");
    store.close().await;
    let older = dir.path().join("older.db");
    copy_db(&file, &older);

    let (clinic, store) = keyed_clinic(&file).await;
    for p in [alpha.id, beta.id, alpha.id] {
        clinic.get_patient(&desk, p).await.expect("read");
    }
    assert!(clinic.get_patient(&stranger, beta.id).await.is_err());
    let second = clinic
        .audit_checkpoint(&system)
        .await
        .expect("checkpoint 2");
    let exported = serde_json::to_string(&second).expect("export");
    let report = clinic.verify_audit(&system, Some(&second)).await.unwrap();
    assert!(
        report.ok && report.keyed,
        "the untouched trail verifies: {report:?}"
    );
    store.close().await;
    Base {
        _dir: dir,
        file,
        older,
        kept: serde_json::from_str(&exported).expect("import"),
        alpha: alpha.id,
        beta: beta.id,
    }
}

/// Everything an attacker does, one row of the table each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tamper {
    EditAction,
    EditOutcome,
    EditActor,
    EditTime,
    EditReason,
    EditPatient,
    DeleteFirst,
    DeleteMiddle,
    DeleteTail,
    TruncateTailAndFixHead,
    DeleteChainWithHead,
    DeletePatientEntirely,
    ForgeTailV1,
    ForgeTailDevelopmentKey,
    ForgeTailV1AndAdvanceHead,
    ForgeTailDevelopmentKeyAndAdvanceHead,
    ForgeTailMadeUpMacAndAdvanceHead,
    ForgeMiddleAndRechain,
    EditAndRechain,
    ReorderTwo,
    DuplicateEntry,
    MoveEntryToAnotherChain,
    EditHead,
    DeleteHead,
    DeleteNewestCheckpoint,
    DeleteMiddleCheckpoint,
    EditCheckpoint,
    EditPinnedHeads,
    ForgeDevelopmentCheckpoint,
    RollBackToOlderCopy,
    EmptyAuditTables,
}

const TABLE: [Tamper; 31] = {
    use Tamper::*;
    [
        EditAction,
        EditOutcome,
        EditActor,
        EditTime,
        EditReason,
        EditPatient,
        DeleteFirst,
        DeleteMiddle,
        DeleteTail,
        TruncateTailAndFixHead,
        DeleteChainWithHead,
        DeletePatientEntirely,
        ForgeTailV1,
        ForgeTailDevelopmentKey,
        ForgeTailV1AndAdvanceHead,
        ForgeTailDevelopmentKeyAndAdvanceHead,
        ForgeTailMadeUpMacAndAdvanceHead,
        ForgeMiddleAndRechain,
        EditAndRechain,
        ReorderTwo,
        DuplicateEntry,
        MoveEntryToAnotherChain,
        EditHead,
        DeleteHead,
        DeleteNewestCheckpoint,
        DeleteMiddleCheckpoint,
        EditCheckpoint,
        EditPinnedHeads,
        ForgeDevelopmentCheckpoint,
        RollBackToOlderCopy,
        EmptyAuditTables,
    ]
};

/// Tampers that only a checkpoint kept outside the database can reveal:
/// the database alone is consistent with a fresh or older trail.
const NEEDS_THE_EXPORTED_CHECKPOINT: [Tamper; 2] =
    [Tamper::RollBackToOlderCopy, Tamper::EmptyAuditTables];

fn chain_text(p: PatientId) -> String {
    p.0.to_string()
}

/// The attacker reads rows with the library (the format is public).
async fn chain_of(file: &Path, chain: Option<PatientId>) -> Vec<AuditEntry> {
    let store = SqliteStore::open(&url(file)).await.expect("open");
    let entries = store.audit_chain(chain, 0, 10_000).await.expect("chain");
    store.close().await;
    entries
}

/// A v1 (unkeyed SHA-256) seal, recomputed as anyone can from the source.
fn v1_seal(draft: &AuditDraft, chain_seq: u64, prev_hash: &str) -> String {
    #[derive(serde::Serialize)]
    struct V1<'a> {
        v: u8,
        draft: &'a AuditDraft,
        chain_seq: u64,
        prev_hash: &'a str,
    }
    let canonical = V1 {
        v: 1,
        draft,
        chain_seq,
        prev_hash,
    };
    hex::encode(Sha256::digest(
        serde_json::to_vec(&canonical).expect("json"),
    ))
}

/// A plausible new entry after `last` on its chain.
fn next_draft(last: &AuditEntry) -> AuditDraft {
    let mut d = last.draft.clone();
    d.id = carebase::AuditEntryId::new();
    d.at += Duration::seconds(1);
    d.action = "patient.read".into();
    d
}

fn v1_after(last: &AuditEntry) -> AuditEntry {
    let draft = next_draft(last);
    let (seq, prev) = (last.chain_seq + 1, last.hash.clone());
    AuditEntry {
        hash: v1_seal(&draft, seq.get(), &prev),
        draft,
        chain_seq: seq,
        prev_hash: prev,
    }
}

fn head_of(e: &AuditEntry) -> ChainHead {
    ChainHead {
        chain: e.draft.patient,
        seq: e.chain_seq.get(),
        hash: e.hash.clone(),
    }
}

async fn exec(db: &mut SqliteConnection, sql: &str) {
    sqlx::query(sql).execute(&mut *db).await.expect(sql);
}

async fn insert(db: &mut SqliteConnection, e: &AuditEntry) {
    let d = &e.draft;
    sqlx::query(
        "INSERT INTO audit_entries (id, patient_id, chain_seq, at, actor_id, roles, action, \
         outcome, reason, break_glass, subject, prev_hash, hash) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(d.id.0.to_string())
    .bind(d.patient.map(chain_text).unwrap_or_default())
    .bind(e.chain_seq.get() as i64)
    .bind(d.at.to_rfc3339_opts(SecondsFormat::Nanos, true))
    .bind(d.actor.0.to_string())
    .bind(serde_json::to_string(&d.roles).expect("roles"))
    .bind(&d.action)
    .bind(d.outcome.as_str())
    .bind(&d.reason)
    .bind(d.break_glass.map(|g| g.0.to_string()))
    .bind(&d.subject)
    .bind(&e.prev_hash)
    .bind(&e.hash)
    .execute(&mut *db)
    .await
    .expect("insert");
}

async fn set_head(db: &mut SqliteConnection, head: &ChainHead) {
    sqlx::query(
        "INSERT INTO audit_heads (chain, seq, hash) VALUES (?, ?, ?) \
         ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )
    .bind(head.chain.map(chain_text).unwrap_or_default())
    .bind(head.seq as i64)
    .bind(&head.hash)
    .execute(&mut *db)
    .await
    .expect("head");
}

/// Replaces a chain from position `from` with `entries` (already sealed).
async fn rewrite_from(
    db: &mut SqliteConnection,
    chain: PatientId,
    from: u64,
    entries: &[AuditEntry],
) {
    sqlx::query("DELETE FROM audit_entries WHERE patient_id = ? AND chain_seq >= ?")
        .bind(chain_text(chain))
        .bind(from as i64)
        .execute(&mut *db)
        .await
        .expect("delete");
    for e in entries {
        insert(db, e).await;
    }
    if let Some(last) = entries.last() {
        set_head(db, &head_of(last)).await;
    }
}

/// Re-chains `entries` (positions from 1) with v1 seals, as an attacker
/// without the key must.
fn rechained_v1(mut entries: Vec<AuditEntry>) -> Vec<AuditEntry> {
    let mut prev = carebase::audit::GENESIS_HASH.to_owned();
    for (i, e) in entries.iter_mut().enumerate() {
        e.chain_seq = Count64::new(i as u64 + 1);
        e.prev_hash = prev.clone();
        e.hash = v1_seal(&e.draft, e.chain_seq.get(), &e.prev_hash);
        prev = e.hash.clone();
    }
    entries
}

async fn apply(t: Tamper, base: &Base, file: &Path) {
    match t {
        Tamper::DeleteMiddleCheckpoint => {
            // Take a third, then drop the second: each links to its predecessor.
            let (clinic, store) = keyed_clinic(file).await;
            let third = clinic.audit_checkpoint(&Actor::system()).await;
            assert_eq!(third.expect("checkpoint 3").seq, 3);
            store.close().await;
            let mut db = SqliteConnection::connect(&url(file))
                .await
                .expect("attacker");
            exec(&mut db, "DELETE FROM audit_checkpoints WHERE seq = 2").await;
            return;
        }
        Tamper::RollBackToOlderCopy => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
            copy_db(&base.older, file);
            return;
        }
        _ => {}
    }
    let alpha_entries = chain_of(file, Some(base.alpha)).await;
    assert!(alpha_entries.len() >= 6, "a long chain to tamper with");
    let a = chain_text(base.alpha);
    let b = chain_text(base.beta);
    let mid = alpha_entries.len() as u64 / 2;
    let last = alpha_entries.last().expect("entries").clone();
    let mut db = SqliteConnection::connect(&url(file))
        .await
        .expect("attacker");
    let db = &mut db;
    use Tamper::*;
    match t {
        EditAction => {
            exec(db, &format!("UPDATE audit_entries SET action = 'patient.search' WHERE patient_id = '{a}' AND chain_seq = 2")).await
        }
        EditOutcome => {
            exec(db, "UPDATE audit_entries SET outcome = 'success' WHERE outcome = 'denied'").await
        }
        EditActor => {
            let other = ActorId::new().0;
            exec(db, &format!("UPDATE audit_entries SET actor_id = '{other}' WHERE patient_id = '{a}' AND chain_seq = 3")).await
        }
        EditTime => {
            exec(db, &format!("UPDATE audit_entries SET at = '2020-01-01T00:00:00.000000000Z' WHERE patient_id = '{a}' AND chain_seq = 2")).await
        }
        EditReason => {
            exec(db, &format!("UPDATE audit_entries SET reason = 'front-desk-demographics' WHERE patient_id = '{a}' AND outcome = 'denied'")).await
        }
        EditPatient => {
            exec(db, &format!("UPDATE audit_entries SET patient_id = '{b}', chain_seq = 1000 WHERE patient_id = '{a}' AND chain_seq = 2")).await
        }
        DeleteFirst => {
            exec(db, &format!("DELETE FROM audit_entries WHERE patient_id = '{a}' AND chain_seq = 1")).await
        }
        DeleteMiddle => {
            exec(db, &format!("DELETE FROM audit_entries WHERE patient_id = '{a}' AND chain_seq = {mid}")).await
        }
        DeleteTail => {
            exec(db, &format!("DELETE FROM audit_entries WHERE patient_id = '{a}' AND chain_seq = {}", last.chain_seq)).await
        }
        TruncateTailAndFixHead => {
            let keep = &alpha_entries[alpha_entries.len() - 3];
            exec(db, &format!("DELETE FROM audit_entries WHERE patient_id = '{a}' AND chain_seq > {}", keep.chain_seq)).await;
            set_head(db, &head_of(keep)).await;
        }
        DeleteChainWithHead => {
            exec(db, &format!("DELETE FROM audit_entries WHERE patient_id = '{a}'")).await;
            exec(db, &format!("DELETE FROM audit_heads WHERE chain = '{a}'")).await;
        }
        DeletePatientEntirely => {
            for table in [
                "appointment_reminders",
                "appointments",
                "patient_identifiers",
                "patient_name_tokens",
                "patient_phones",
                "patient_emails",
                "care_team",
                "break_glass_grants",
                "outbox_events",
                "audit_entries",
            ] {
                exec(db, &format!("DELETE FROM {table} WHERE patient_id = '{b}'")).await;
            }
            exec(db, &format!("DELETE FROM merges WHERE patient_id = '{b}' OR merged_patient_id = '{b}'")).await;
            exec(db, &format!("DELETE FROM audit_heads WHERE chain = '{b}'")).await;
            exec(db, &format!("DELETE FROM audit_checkpoint_heads WHERE chain = '{b}'")).await;
            exec(db, &format!("DELETE FROM patients WHERE id = '{b}'")).await;
        }
        ForgeTailV1 => insert(db, &v1_after(&last)).await,
        ForgeTailDevelopmentKey => {
            let forged = seal(next_draft(&last), Some(&head_of(&last)), &AuditKey::development());
            insert(db, &forged).await;
        }
        ForgeTailV1AndAdvanceHead => {
            let forged = v1_after(&last);
            insert(db, &forged).await;
            set_head(db, &head_of(&forged)).await;
        }
        ForgeTailDevelopmentKeyAndAdvanceHead => {
            let forged = seal(next_draft(&last), Some(&head_of(&last)), &AuditKey::development());
            insert(db, &forged).await;
            set_head(db, &head_of(&forged)).await;
        }
        ForgeTailMadeUpMacAndAdvanceHead => {
            // The key id is public (it is in every seal); the MAC is not computable.
            let mut forged = seal(next_draft(&last), Some(&head_of(&last)), &AuditKey::development());
            forged.hash = format!("v2:{}:{}", host_key().key_id(), "ab".repeat(32));
            insert(db, &forged).await;
            set_head(db, &head_of(&forged)).await;
        }
        ForgeMiddleAndRechain => {
            let mut entries = alpha_entries.clone();
            let forged = v1_after(&entries[mid as usize - 1]);
            entries.insert(mid as usize, forged);
            rewrite_from(db, base.alpha, 1, &rechained_v1(entries)).await;
        }
        EditAndRechain => {
            let mut entries = alpha_entries.clone();
            entries[mid as usize].draft.action = "patient.search".into();
            rewrite_from(db, base.alpha, 1, &rechained_v1(entries)).await;
        }
        ReorderTwo => {
            for sql in [
                format!("UPDATE audit_entries SET chain_seq = -1 WHERE patient_id = '{a}' AND chain_seq = 2"),
                format!("UPDATE audit_entries SET chain_seq = 2 WHERE patient_id = '{a}' AND chain_seq = 3"),
                format!("UPDATE audit_entries SET chain_seq = 3 WHERE patient_id = '{a}' AND chain_seq = -1"),
            ] {
                exec(db, &sql).await;
            }
        }
        DuplicateEntry => {
            let mut copy = alpha_entries[1].clone();
            copy.draft.id = carebase::AuditEntryId::new();
            copy.chain_seq = last.chain_seq + 1;
            insert(db, &copy).await;
            set_head(db, &head_of(&copy)).await;
        }
        MoveEntryToAnotherChain => {
            let beta_last = chain_of(file, Some(base.beta)).await.pop().expect("beta");
            let mut moved = alpha_entries[2].clone();
            moved.draft.patient = Some(base.beta);
            moved.chain_seq = beta_last.chain_seq + 1;
            moved.prev_hash = beta_last.hash.clone();
            exec(db, &format!("DELETE FROM audit_entries WHERE patient_id = '{a}' AND chain_seq = 3")).await;
            insert(db, &moved).await;
            set_head(db, &head_of(&moved)).await;
        }
        EditHead => {
            let mut head = head_of(&last);
            head.hash = alpha_entries[1].hash.clone();
            set_head(db, &head).await;
        }
        DeleteHead => exec(db, &format!("DELETE FROM audit_heads WHERE chain = '{a}'")).await,
        DeleteNewestCheckpoint => {
            exec(db, "DELETE FROM audit_checkpoints WHERE seq = (SELECT MAX(seq) FROM audit_checkpoints)").await
        }
        EditCheckpoint => {
            exec(db, "UPDATE audit_checkpoints SET entries = entries - 1 WHERE seq = 2").await
        }
        EditPinnedHeads => {
            exec(db, &format!("UPDATE audit_checkpoint_heads SET seq = seq - 1 WHERE chain = '{a}'")).await
        }
        ForgeDevelopmentCheckpoint => {
            // A checkpoint anyone can sign, over a trail the attacker shortened.
            let keep = &alpha_entries[alpha_entries.len() - 3];
            exec(db, &format!("DELETE FROM audit_entries WHERE patient_id = '{a}' AND chain_seq > {}", keep.chain_seq)).await;
            set_head(db, &head_of(keep)).await;
            exec(db, &format!("UPDATE audit_checkpoint_heads SET seq = {}, hash = '{}' WHERE chain = '{a}'", keep.chain_seq, keep.hash)).await;
            let rows: Vec<(String, i64, String)> =
                sqlx::query_as("SELECT chain, seq, hash FROM audit_checkpoint_heads")
                    .fetch_all(&mut *db)
                    .await
                    .expect("pinned");
            let heads: Vec<ChainHead> = rows
                .into_iter()
                .map(|(c, seq, hash)| ChainHead {
                    chain: (!c.is_empty()).then(|| PatientId(c.parse().expect("uuid"))),
                    seq: seq as u64,
                    hash,
                })
                .collect();
            let forged = AuditCheckpoint::sign(
                base.kept.at + Duration::seconds(1),
                &heads,
                Some(&base.kept),
                &AuditKey::development(),
            );
            sqlx::query(
                "INSERT INTO audit_checkpoints (seq, at, chains, entries, root, prev_signature, \
                 key_id, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(forged.seq.get() as i64)
            .bind(forged.at.to_rfc3339_opts(SecondsFormat::Nanos, true))
            .bind(forged.chains.get() as i64)
            .bind(forged.entries.get() as i64)
            .bind(&forged.root)
            .bind(&forged.prev_signature)
            .bind(&forged.key_id)
            .bind(&forged.signature)
            .execute(&mut *db)
            .await
            .expect("forged checkpoint");
        }
        DeleteMiddleCheckpoint | RollBackToOlderCopy => unreachable!("handled above"),
        EmptyAuditTables => {
            for table in ["audit_entries", "audit_heads", "audit_checkpoints", "audit_checkpoint_heads"] {
                exec(db, &format!("DELETE FROM {table}")).await;
            }
        }
    }
}

/// Verifies the tampered file: from the database alone, then against the
/// checkpoint the host kept.
async fn verify(file: &Path, kept: &AuditCheckpoint) -> (AuditVerification, AuditVerification) {
    let (clinic, store) = keyed_clinic(file).await;
    let system = Actor::system();
    let alone = clinic.verify_audit(&system, None).await.expect("verify");
    let anchored = clinic
        .verify_audit(&system, Some(kept))
        .await
        .expect("verify");
    store.close().await;
    (alone, anchored)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_of_tampering_is_detected_against_the_kept_checkpoint() {
    let base = base().await;
    let mut rows = Vec::new();
    for (i, t) in TABLE.iter().enumerate() {
        let file = base.file.with_file_name(format!("tampered-{i}.db"));
        copy_db(&base.file, &file);
        apply(*t, &base, &file).await;
        let (alone, anchored) = verify(&file, &base.kept).await;
        rows.push((*t, alone, anchored));
    }
    let kind = |v: &AuditVerification| v.problem.as_ref().map_or("-", |p| p.kind.as_str());
    println!("\n| # | tamper | detected (database alone) | detected (with exported checkpoint) |");
    println!("|---|---|---|---|");
    for (i, (t, alone, anchored)) in rows.iter().enumerate() {
        println!(
            "| {} | {t:?} | {} ({}) | {} ({}) |",
            i + 1,
            if alone.ok { "no" } else { "yes" },
            kind(alone),
            if anchored.ok { "no" } else { "yes" },
            kind(anchored),
        );
    }
    let detected = rows.iter().filter(|(_, _, anchored)| !anchored.ok).count();
    let alone = rows.iter().filter(|(_, alone, _)| !alone.ok).count();
    println!(
        "\ndetected: {detected} of {} with the exported checkpoint, {alone} from the database alone\n",
        rows.len()
    );
    let missed: Vec<_> = rows
        .iter()
        .filter(|(_, _, a)| a.ok)
        .map(|(t, _, _)| t)
        .collect();
    assert!(missed.is_empty(), "undetected: {missed:?}");
    let missed_alone: Vec<_> = rows
        .iter()
        .filter(|(t, a, _)| a.ok && !NEEDS_THE_EXPORTED_CHECKPOINT.contains(t))
        .map(|(t, _, _)| t)
        .collect();
    assert!(
        missed_alone.is_empty(),
        "undetected without the export: {missed_alone:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_insert_no_longer_moves_a_chain_head() {
    let base = base().await;
    let file = base.file.with_file_name("insert.db");
    copy_db(&base.file, &file);
    let last = chain_of(&file, Some(base.alpha))
        .await
        .pop()
        .expect("entries");
    let mut db = SqliteConnection::connect(&url(&file))
        .await
        .expect("attacker");
    insert(&mut db, &v1_after(&last)).await;
    let (seq, hash): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE chain = ?")
            .bind(chain_text(base.alpha))
            .fetch_one(&mut db)
            .await
            .expect("head");
    assert_eq!((seq as u64, hash), (last.chain_seq.get(), last.hash));
}
