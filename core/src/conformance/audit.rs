//! Audit sealing and checkpoints, as every store must keep them.

use std::sync::Arc;

use super::at;
use super::audit_about;
use crate::actor::{Actor, Role};
use crate::audit::{verify_chain, AuditCheckpoint, AuditKey, ChainHead, ChainRules, ProblemKind};
use crate::clinic::{Clinic, NewPatient};
use crate::ids::{ActorId, PatientId};
use crate::patient::{HumanName, PatientDetails};
use crate::store::{ChangeSet, CheckpointWrite, Store};

fn host_key() -> AuditKey {
    AuditKey::new(b"conformance host key: 32 bytes or more").unwrap()
}

fn head(chain: Option<PatientId>, seq: u64, hash: &str) -> ChainHead {
    ChainHead {
        chain,
        seq,
        hash: hash.into(),
    }
}

pub async fn audit_entries_are_sealed_with_the_key_the_store_was_given(store: Arc<dyn Store>) {
    let key = host_key();
    store.use_audit_key(key.clone());
    let p = Some(PatientId::new());
    let drafts = vec![
        audit_about(p, "a"),
        audit_about(p, "b"),
        audit_about(None, "c"),
    ];
    let applied = store.apply(ChangeSet::audit_only(drafts)).await.unwrap();
    let prefix = format!("v2:{}:", key.key_id());
    assert!(applied.audit.iter().all(|e| e.hash.starts_with(&prefix)));
    let rules = ChainRules {
        key: &key,
        covered: 0,
    };
    let heads = store.audit_heads().await.unwrap();
    for chain in [p, None] {
        let entries = store.audit_chain(chain, 0, 100).await.unwrap();
        let head = heads.iter().find(|h| h.chain == chain);
        assert_eq!(verify_chain(chain, &entries, head, &rules), None);
    }
    // The head is the store's own doing: it moved with the entries.
    let ph = heads.iter().find(|h| h.chain == p).unwrap();
    assert_eq!((ph.seq, &ph.hash), (2, &applied.audit[1].hash));
}

pub async fn audit_checkpoints_append_in_order_with_their_pinned_heads(store: Arc<dyn Store>) {
    let key = host_key();
    assert_eq!(store.latest_audit_checkpoint().await.unwrap(), None);
    assert!(store.audit_checkpoint_heads().await.unwrap().is_empty());
    let (p, q) = (Some(PatientId::new()), Some(PatientId::new()));
    let first_heads = vec![head(p, 3, "h-p3"), head(None, 1, "h-n1")];
    let first = AuditCheckpoint::sign(at(1), &first_heads, None, &key);
    store
        .apply(ChangeSet {
            checkpoint: Some(CheckpointWrite {
                checkpoint: first.clone(),
                changed_heads: first_heads.clone(),
            }),
            audit: vec![audit_about(None, "audit.checkpoint")],
            ..ChangeSet::default()
        })
        .await
        .unwrap();
    assert_eq!(
        store.latest_audit_checkpoint().await.unwrap(),
        Some(first.clone())
    );
    // Only the heads that moved are written; the others are kept.
    let moved = vec![head(p, 5, "h-p5"), head(q, 1, "h-q1")];
    let all = vec![moved[0].clone(), first_heads[1].clone(), moved[1].clone()];
    let second = AuditCheckpoint::sign(at(2), &all, Some(&first), &key);
    store
        .apply(ChangeSet {
            checkpoint: Some(CheckpointWrite {
                checkpoint: second.clone(),
                changed_heads: moved,
            }),
            ..ChangeSet::default()
        })
        .await
        .unwrap();
    assert_eq!(
        store.audit_checkpoints(0, 10).await.unwrap(),
        vec![first.clone(), second.clone()]
    );
    assert_eq!(
        store.audit_checkpoints(1, 10).await.unwrap(),
        vec![second.clone()]
    );
    assert_eq!(
        store.audit_checkpoints(0, 1).await.unwrap(),
        vec![first.clone()]
    );
    let mut pinned = store.audit_checkpoint_heads().await.unwrap();
    pinned.sort_by_key(|h| h.chain);
    let mut expected = all;
    expected.sort_by_key(|h| h.chain);
    assert_eq!(pinned, expected);
}

pub async fn a_checkpoint_that_does_not_extend_the_newest_conflicts_and_writes_nothing(
    store: Arc<dyn Store>,
) {
    let key = host_key();
    let heads = vec![head(None, 1, "h")];
    let first = AuditCheckpoint::sign(at(1), &heads, None, &key);
    let write = |cp: &AuditCheckpoint, audit| ChangeSet {
        checkpoint: Some(CheckpointWrite {
            checkpoint: cp.clone(),
            changed_heads: vec![head(None, 9, "other")],
        }),
        audit,
        ..ChangeSet::default()
    };
    store.apply(write(&first, vec![])).await.unwrap();
    // A racing writer that also signed "checkpoint 1".
    let rival = AuditCheckpoint::sign(at(2), &heads, None, &key);
    let err = store
        .apply(write(&rival, vec![audit_about(None, "x")]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
    // A "checkpoint 2" that does not link to the stored first one.
    let mut unlinked = AuditCheckpoint::sign(at(3), &heads, Some(&first), &key);
    unlinked.prev_signature = rival.signature.clone();
    let err = store.apply(write(&unlinked, vec![])).await.unwrap_err();
    assert_eq!(err.code(), "conflict");
    assert_eq!(store.audit_checkpoints(0, 10).await.unwrap(), vec![first]);
    assert_eq!(
        store.audit_checkpoint_heads().await.unwrap(),
        vec![head(None, 9, "other")]
    );
    assert!(store.audit_chain(None, 0, 10).await.unwrap().is_empty());
}

pub async fn clinic_checkpoints_and_verifies_against_the_checkpoint(store: Arc<dyn Store>) {
    let clinic = Clinic::new(store.clone()).with_audit_key(host_key());
    let desk = Actor::new(ActorId::new(), vec![Role::FrontDesk]);
    let details = PatientDetails {
        names: vec![HumanName {
            family: Some("Check".into()),
            given: vec!["Point".into()],
            ..HumanName::default()
        }],
        ..PatientDetails::default()
    };
    let p = clinic
        .register_patient(
            &desk,
            NewPatient {
                details,
                mrn_facility: None,
            },
        )
        .await
        .unwrap();
    clinic.get_patient(&desk, p.id).await.unwrap();
    let system = Actor::system();
    let cp = clinic.audit_checkpoint(&system).await.unwrap();
    let report = clinic.verify_audit(&system, Some(&cp)).await.unwrap();
    assert!(report.ok, "{report:?}");
    assert!(report.keyed);
    assert_eq!((report.anchor, report.trusted), (Some(1), Some(1)));
    clinic.get_patient(&desk, p.id).await.unwrap();
    let next = clinic.audit_checkpoint(&system).await.unwrap();
    assert_eq!(next.prev_signature, cp.signature);
    let report = clinic.verify_audit(&system, Some(&cp)).await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!((report.anchor, report.trusted), (Some(2), Some(1)));
    // Another key sees nothing it can vouch for.
    let other = AuditKey::new(b"some other host key, 32 bytes or more").unwrap();
    let wrong = Clinic::new(store).with_audit_key(other);
    let problem = wrong.verify_audit(&system, None).await.unwrap().problem;
    assert_eq!(problem.map(|p| p.kind), Some(ProblemKind::WrongKey));
}
