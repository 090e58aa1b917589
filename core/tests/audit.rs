//! Specification of the audit trail's tamper evidence: keyed seals, signed
//! checkpoints over every chain head, and verification against them.

mod common;

use carebase::store::AuditStore;
use carebase::Count64;
use std::sync::Arc;

use carebase::audit::{
    AuditCheckpoint, AuditEntry, AuditKey, ChainHead, ProblemKind, GENESIS_HASH,
};
use carebase::clinic::NewPatient;
use carebase::patient::Patient;
use carebase::{Actor, ActorId, Clinic, MemoryStore, PatientId, PractitionerId, Role};
use common::{actor, clinic, details};
use sha2::{Digest, Sha256};

fn host_key() -> AuditKey {
    AuditKey::new(b"a host secret of at least 32 bytes, kept outside").unwrap()
}

fn keyed_clinic() -> (Clinic, Arc<MemoryStore>) {
    let (clinic, store, _) = clinic();
    (clinic.with_audit_key(host_key()), store)
}

async fn register(clinic: &Clinic, family: &str) -> Patient {
    clinic
        .register_patient(
            &actor(Role::FrontDesk),
            NewPatient {
                details: details(family, "Ann", (1980, 1, 2)),
                mrn_facility: None,
            },
        )
        .await
        .unwrap()
}

/// Two patients with reads and a denial on their chains.
async fn workload(clinic: &Clinic) -> (Patient, Patient) {
    let a = register(clinic, "Alpha").await;
    let b = register(clinic, "Beta").await;
    let desk = actor(Role::FrontDesk);
    clinic.get_patient(&desk, a.id).await.unwrap();
    clinic.get_patient(&desk, b.id).await.unwrap();
    let stranger = Actor::practitioner(ActorId::new(), PractitionerId::new());
    assert!(clinic.get_patient(&stranger, a.id).await.is_err());
    (a, b)
}

fn system() -> Actor {
    Actor::system()
}

/// A v1 (unkeyed SHA-256) entry after `prev`, as an attacker recomputes it.
fn v1_forgery(template: &AuditEntry, prev: &AuditEntry) -> AuditEntry {
    let mut e = template.clone();
    e.draft.id = carebase::AuditEntryId::new();
    e.draft.action = "patient.read".into();
    e.chain_seq = prev.chain_seq + 1;
    e.prev_hash = prev.hash.clone();
    // The v1 canonical form: anyone can read it off the source and recompute it.
    #[derive(serde::Serialize)]
    struct V1<'a> {
        v: u8,
        draft: &'a carebase::audit::AuditDraft,
        chain_seq: u64,
        prev_hash: &'a str,
    }
    let canonical = V1 {
        v: 1,
        draft: &e.draft,
        chain_seq: e.chain_seq.get(),
        prev_hash: &e.prev_hash,
    };
    e.hash = hex::encode(Sha256::digest(serde_json::to_vec(&canonical).unwrap()));
    e
}

#[tokio::test]
async fn a_keyed_clinic_seals_every_entry_with_its_key_and_says_so() {
    let (clinic, store) = keyed_clinic();
    let (a, _) = workload(&clinic).await;
    let entries = store.audit_chain(Some(a.id), 0, 100).await.unwrap();
    let prefix = format!("v2:{}:", host_key().key_id());
    assert!(entries.iter().all(|e| e.hash.starts_with(&prefix)));
    let report = clinic.verify_audit(&system(), None).await.unwrap();
    assert!(report.ok, "{report:?}");
    assert!(report.keyed);
    assert_eq!(report.key_id, host_key().key_id());
    assert_eq!(clinic.audit_key_id(), host_key().key_id());
}

#[tokio::test]
async fn a_clinic_without_a_key_uses_the_development_key_and_reports_unkeyed() {
    let (clinic, _, _) = clinic();
    workload(&clinic).await;
    let report = clinic.verify_audit(&system(), None).await.unwrap();
    assert!(report.ok);
    assert!(!report.keyed);
    assert_eq!(report.key_id, AuditKey::development().key_id());
}

#[tokio::test]
async fn a_checkpoint_pins_every_chain_head_and_exports_as_json() {
    let (clinic, store) = keyed_clinic();
    workload(&clinic).await;
    let cp = clinic.audit_checkpoint(&system()).await.unwrap();
    assert_eq!(
        (cp.seq.get(), cp.prev_signature.as_str()),
        (1, GENESIS_HASH)
    );
    assert_eq!(cp.key_id, host_key().key_id());
    let pinned = store.audit_checkpoint_heads().await.unwrap();
    assert_eq!(cp.chains, pinned.len() as u64);
    assert_eq!(cp.root, carebase::audit::merkle_root(&pinned));
    let exported = serde_json::to_string(&cp).unwrap();
    let imported: AuditCheckpoint = serde_json::from_str(&exported).unwrap();
    let report = clinic
        .verify_audit(&system(), Some(&imported))
        .await
        .unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(
        (report.anchor, report.trusted),
        (Some(Count64::new(1)), Some(Count64::new(1)))
    );
    assert_eq!(report.checkpoints_checked, 1);
    let second = clinic.audit_checkpoint(&system()).await.unwrap();
    assert_eq!(
        (second.seq.get(), &second.prev_signature),
        (2, &cp.signature)
    );
}

#[tokio::test]
async fn taking_a_checkpoint_needs_its_own_permission() {
    let (clinic, _) = keyed_clinic();
    let err = clinic
        .audit_checkpoint(&actor(Role::FrontDesk))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    assert!(clinic.audit_checkpoint(&actor(Role::Admin)).await.is_ok());
}

#[tokio::test]
async fn deleting_a_whole_chain_with_its_head_is_found_against_the_checkpoint() {
    let (clinic, store) = keyed_clinic();
    let (a, _) = workload(&clinic).await;
    clinic.audit_checkpoint(&system()).await.unwrap();
    store.tamper_audit_chain(Some(a.id), |entries| entries.clear());
    store.tamper_audit_heads(|heads| heads.retain(|h| h.chain != Some(a.id)));
    let problem = clinic.verify_audit(&system(), None).await.unwrap().problem;
    let problem = problem.expect("a deleted chain is found");
    assert_eq!(
        (problem.kind, problem.chain),
        (ProblemKind::MissingChain, Some(a.id))
    );
    assert_eq!(problem.checkpoint, Some(Count64::new(1)));
}

#[tokio::test]
async fn truncating_a_tail_and_moving_the_head_back_is_found_against_the_checkpoint() {
    let (clinic, store) = keyed_clinic();
    let (a, _) = workload(&clinic).await;
    clinic.audit_checkpoint(&system()).await.unwrap();
    let mut new_head = None;
    store.tamper_audit_chain(Some(a.id), |entries| {
        entries.pop();
        new_head = entries.last().map(|e| ChainHead {
            chain: Some(a.id),
            seq: e.chain_seq.get(),
            hash: e.hash.clone(),
        });
    });
    store.tamper_audit_heads(|heads| {
        heads.retain(|h| h.chain != Some(a.id));
        heads.extend(new_head);
    });
    let problem = clinic.verify_audit(&system(), None).await.unwrap().problem;
    assert_eq!(
        problem.map(|p| p.kind),
        Some(ProblemKind::CheckpointMismatch)
    );
}

#[tokio::test]
async fn an_unkeyed_tail_forged_with_its_head_moved_is_forged() {
    let (clinic, store) = keyed_clinic();
    let (a, _) = workload(&clinic).await;
    clinic.audit_checkpoint(&system()).await.unwrap();
    let mut forged = None;
    store.tamper_audit_chain(Some(a.id), |entries| {
        let f = v1_forgery(&entries[0], entries.last().unwrap());
        forged = Some(f.clone());
        entries.push(f);
    });
    let forged = forged.unwrap();
    store.tamper_audit_heads(|heads| {
        for h in heads.iter_mut().filter(|h| h.chain == Some(a.id)) {
            h.seq = forged.chain_seq.get();
            h.hash = forged.hash.clone();
        }
    });
    let problem = clinic.verify_audit(&system(), None).await.unwrap().problem;
    let problem = problem.expect("a forged entry is found");
    assert_eq!(problem.kind, ProblemKind::Forged);
    assert_eq!(problem.entry, Some(forged.draft.id));
}

#[tokio::test]
async fn deleting_the_newest_checkpoint_is_found_with_the_one_the_host_kept() {
    let (clinic, store) = keyed_clinic();
    workload(&clinic).await;
    clinic.audit_checkpoint(&system()).await.unwrap();
    let kept = clinic.audit_checkpoint(&system()).await.unwrap();
    store.tamper_audit_checkpoints(|cps| {
        cps.pop();
    });
    let report = clinic.verify_audit(&system(), Some(&kept)).await.unwrap();
    let problem = report.problem.expect("the missing checkpoint is found");
    assert_eq!(
        (problem.kind, problem.checkpoint),
        (ProblemKind::CheckpointMissing, Some(Count64::new(2)))
    );
}

#[tokio::test]
async fn an_edited_checkpoint_no_longer_verifies() {
    let (clinic, store) = keyed_clinic();
    workload(&clinic).await;
    clinic.audit_checkpoint(&system()).await.unwrap();
    store.tamper_audit_checkpoints(|cps| cps[0].entries -= 1);
    let problem = clinic.verify_audit(&system(), None).await.unwrap().problem;
    assert_eq!(problem.map(|p| p.kind), Some(ProblemKind::CheckpointEdited));
}

#[tokio::test]
async fn a_trail_that_fails_verification_is_not_checkpointed_and_the_refusal_is_audited() {
    let (clinic, store) = keyed_clinic();
    let (a, _) = workload(&clinic).await;
    store.tamper_audit_chain(Some(a.id), |entries| entries[0].draft.reason = "x".into());
    let err = clinic.audit_checkpoint(&system()).await.unwrap_err();
    assert_eq!(err.code(), "conflict");
    assert!(err.to_string().contains("edited"), "{err}");
    assert!(store.latest_audit_checkpoint().await.unwrap().is_none());
    let refusals = store
        .audit_chain(None, 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.draft.action == "audit.checkpoint")
        .count();
    assert_eq!(refusals, 1);
}

#[tokio::test]
async fn the_first_keyed_checkpoint_adopts_a_trail_written_without_a_key() {
    let store = Arc::new(MemoryStore::new());
    let before = Clinic::new(store.clone());
    let (a, _) = workload(&before).await;
    let keyed = Clinic::new(store.clone()).with_audit_key(host_key());
    // Until a keyed checkpoint vouches for them, unkeyed entries prove nothing.
    let problem = keyed.verify_audit(&system(), None).await.unwrap().problem;
    assert_eq!(problem.map(|p| p.kind), Some(ProblemKind::Forged));
    keyed.audit_checkpoint(&system()).await.unwrap();
    keyed
        .get_patient(&actor(Role::FrontDesk), a.id)
        .await
        .unwrap();
    let report = keyed.verify_audit(&system(), None).await.unwrap();
    assert!(report.ok, "{report:?}");
    // After it, an unkeyed entry can no longer slip in.
    store.tamper_audit_chain(Some(a.id), |entries| {
        let f = v1_forgery(&entries[0], entries.last().unwrap());
        entries.push(f);
    });
    let problem = keyed.verify_audit(&system(), None).await.unwrap().problem;
    assert_eq!(problem.map(|p| p.kind), Some(ProblemKind::Forged));
    assert!(keyed.audit_checkpoint(&system()).await.is_err());
}

#[tokio::test]
async fn a_clinic_opened_with_another_key_reports_a_wrong_key() {
    let store = Arc::new(MemoryStore::new());
    let clinic = Clinic::new(store.clone()).with_audit_key(host_key());
    workload(&clinic).await;
    let other = AuditKey::new(b"another secret of at least 32 bytes!!").unwrap();
    let reopened = Clinic::new(store.clone()).with_audit_key(other);
    let problem = reopened
        .verify_audit(&system(), None)
        .await
        .unwrap()
        .problem;
    assert_eq!(problem.map(|p| p.kind), Some(ProblemKind::WrongKey));
    let unkeyed = Clinic::new(store);
    let problem = unkeyed.verify_audit(&system(), None).await.unwrap().problem;
    assert_eq!(problem.map(|p| p.kind), Some(ProblemKind::WrongKey));
}

#[tokio::test]
async fn a_malformed_host_checkpoint_is_a_validation_error_naming_each_field() {
    let (clinic, _) = keyed_clinic();
    let mut cp = clinic.audit_checkpoint(&system()).await.unwrap();
    cp.root = "not hex".into();
    cp.key_id = "x".repeat(100_000);
    let err = clinic.verify_audit(&system(), Some(&cp)).await.unwrap_err();
    let carebase::Error::Validation { fields } = err else {
        panic!("validation expected")
    };
    let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(names, ["trusted.root", "trusted.key_id"]);
}

#[tokio::test]
async fn a_host_checkpoint_signed_with_another_key_is_a_wrong_key() {
    let (clinic, _) = keyed_clinic();
    let foreign = {
        let (other, _, _) = clinic_with_key(b"yet another secret of 32 bytes or more");
        other.audit_checkpoint(&system()).await.unwrap()
    };
    let problem = clinic
        .verify_audit(&system(), Some(&foreign))
        .await
        .unwrap()
        .problem;
    assert_eq!(problem.map(|p| p.kind), Some(ProblemKind::WrongKey));
}

fn clinic_with_key(secret: &[u8]) -> (Clinic, Arc<MemoryStore>, PatientId) {
    let (clinic, store, _) = clinic();
    (
        clinic.with_audit_key(AuditKey::new(secret).unwrap()),
        store,
        PatientId::new(),
    )
}

#[tokio::test]
async fn verification_never_shows_the_key() {
    let secret = b"a host secret of at least 32 bytes, kept outside";
    let (clinic, _) = keyed_clinic();
    workload(&clinic).await;
    let cp = clinic.audit_checkpoint(&system()).await.unwrap();
    let report = clinic.verify_audit(&system(), Some(&cp)).await.unwrap();
    let shown = format!("{report:?} {cp:?} {:?}", host_key());
    assert!(!shown.contains(std::str::from_utf8(secret).unwrap()));
    assert!(!shown.contains(&hex::encode(secret)));
}
