//! Audit sealing and checkpoints, as every store must keep them.

use crate::{Count32, Count64};
use std::sync::Arc;

use futures::future::join_all;

use super::at;
use super::audit_about;
use crate::actor::{Actor, Role};
use crate::audit::{
    verify_chain, AuditCheckpoint, AuditDraft, AuditKey, AuditQuery, ChainHead, ChainRules,
    ProblemKind,
};
use crate::clinic::{Clinic, NewPatient};
use crate::ids::{ActorId, AuditEntryId, PatientId};
use crate::patient::{HumanName, PatientDetails};
use crate::store::{ChangeSet, CheckpointWrite, Store};
use crate::{Error, FieldError};

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
        .apply(
            ChangeSet::default()
                .checkpoint(CheckpointWrite {
                    checkpoint: first.clone(),
                    changed_heads: first_heads.clone(),
                })
                .audit(audit_about(None, "audit.checkpoint")),
        )
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
        .apply(ChangeSet::default().checkpoint(CheckpointWrite {
            checkpoint: second.clone(),
            changed_heads: moved,
        }))
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
    let write = |cp: &AuditCheckpoint, audit| {
        ChangeSet::audit_only(audit).checkpoint(CheckpointWrite {
            checkpoint: cp.clone(),
            changed_heads: vec![head(None, 9, "other")],
        })
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
    assert_eq!(
        (report.anchor, report.trusted),
        (Some(Count64::new(1)), Some(Count64::new(1)))
    );
    clinic.get_patient(&desk, p.id).await.unwrap();
    let next = clinic.audit_checkpoint(&system).await.unwrap();
    assert_eq!(next.prev_signature, cp.signature);
    let report = clinic.verify_audit(&system, Some(&cp)).await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(
        (report.anchor, report.trusted),
        (Some(Count64::new(2)), Some(Count64::new(1)))
    );
    // Another key sees nothing it can vouch for.
    let other = AuditKey::new(b"some other host key, 32 bytes or more").unwrap();
    let wrong = Clinic::new(store).with_audit_key(other);
    let problem = wrong.verify_audit(&system, None).await.unwrap().problem;
    assert_eq!(problem.map(|p| p.kind), Some(ProblemKind::WrongKey));
}

pub async fn audit_is_chained_per_patient(store: Arc<dyn Store>) {
    let (p, q) = (PatientId::new(), PatientId::new());
    let drafts = vec![
        audit_about(Some(p), "a"),
        audit_about(Some(q), "b"),
        audit_about(Some(p), "c"),
        audit_about(None, "d"),
    ];
    let applied = store.apply(ChangeSet::audit_only(drafts)).await.unwrap();
    let seqs: Vec<_> = applied.audit.iter().map(|e| e.chain_seq).collect();
    assert_eq!(seqs, vec![1, 1, 2, 1]);
    assert_eq!(applied.audit[2].prev_hash, applied.audit[0].hash);
    let heads = store.audit_heads().await.unwrap();
    assert_eq!(heads.len(), 3);
    let mut chains = store.audit_chains().await.unwrap();
    chains.sort();
    let mut expected = vec![None, Some(p), Some(q)];
    expected.sort();
    assert_eq!(chains, expected);
    for chain in chains {
        let entries = store.audit_chain(chain, 0, 100).await.unwrap();
        let head = heads.iter().find(|h| h.chain == chain);
        assert_eq!(
            verify_chain(chain, &entries, head, &ChainRules::unkeyed()),
            None
        );
    }
    let tail = store.audit_chain(Some(p), 2, 100).await.unwrap();
    assert_eq!(
        tail.iter()
            .map(|e| e.draft.action.as_str())
            .collect::<Vec<_>>(),
        vec!["c"]
    );
    assert_eq!(
        store.audit_chain(Some(p), 0, 100).await.unwrap(),
        vec![applied.audit[0].clone(), applied.audit[2].clone()]
    );
}

pub async fn a_large_change_set_chains_every_entry(store: Arc<dyn Store>) {
    let chains = [Some(PatientId::new()), Some(PatientId::new()), None];
    let drafts: Vec<_> = (0..1200)
        .map(|i| audit_about(chains[i % 3], "bulk"))
        .collect();
    let applied = store.apply(ChangeSet::audit_only(drafts)).await.unwrap();
    assert_eq!(applied.audit.len(), 1200);
    assert_eq!(applied.audit.last().map(|e| e.chain_seq.get()), Some(400));
    let heads = store.audit_heads().await.unwrap();
    for chain in chains {
        let entries = store.audit_chain(chain, 0, 1000).await.unwrap();
        assert_eq!(entries.len(), 400);
        let head = heads.iter().find(|h| h.chain == chain);
        assert_eq!(head.map(|h| h.seq), Some(400));
        assert_eq!(
            verify_chain(chain, &entries, head, &ChainRules::unkeyed()),
            None
        );
    }
}

pub async fn audit_entries_filter_and_page(store: Arc<dyn Store>) {
    let p = PatientId::new();
    let mut drafts: Vec<_> = (0..5)
        .map(|i| audit_about(Some(p), &format!("x{i}")))
        .collect();
    let other = audit_about(None, "y");
    drafts.push(other.clone());
    store.apply(ChangeSet::audit_only(drafts)).await.unwrap();
    let mine = AuditQuery {
        patient: Some(p),
        limit: Some(Count32::new(3)),
        ..AuditQuery::default()
    };
    let first = store.audit_entries(&mine).await.unwrap();
    assert_eq!(
        first
            .iter()
            .map(|e| e.draft.action.as_str())
            .collect::<Vec<_>>(),
        vec!["x0", "x1", "x2"]
    );
    let next = AuditQuery {
        after: first.last().map(|e| e.draft.id),
        ..mine
    };
    let second = store.audit_entries(&next).await.unwrap();
    assert_eq!(
        second
            .iter()
            .map(|e| e.draft.action.as_str())
            .collect::<Vec<_>>(),
        vec!["x3", "x4"]
    );
    let by_actor = AuditQuery {
        actor: Some(other.actor),
        ..AuditQuery::default()
    };
    assert_eq!(store.audit_entries(&by_actor).await.unwrap().len(), 1);
}

/// A patient's listing follows the chain, not the ids: here each entry's
/// id sorts before its predecessor's (a writer whose clock went back), and
/// the pages still come in chain order, the cursor walking the chain.
pub async fn a_patients_audit_entries_list_in_chain_order_whatever_their_ids(
    store: Arc<dyn Store>,
) {
    let p = PatientId::new();
    let mut ids: Vec<AuditEntryId> = (0..5).map(|_| AuditEntryId::new()).collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    let drafts = ids
        .iter()
        .enumerate()
        .map(|(i, id)| AuditDraft {
            id: *id,
            ..audit_about(Some(p), &format!("x{i}"))
        })
        .collect();
    store.apply(ChangeSet::audit_only(drafts)).await.unwrap();
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .audit_entries(&AuditQuery {
                patient: Some(p),
                after,
                limit: Some(Count32::new(2)),
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        let Some(last) = page.last() else {
            break;
        };
        after = Some(last.draft.id);
        pages.push(
            page.iter()
                .map(|e| e.draft.action.clone())
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(pages, vec![vec!["x0", "x1"], vec!["x2", "x3"], vec!["x4"]]);
}

/// A patient's listing pages along that patient's chain, so its cursor must
/// be an entry of that chain: another patient's entry, an entry about no
/// patient or an unknown id is `validation` `invalid_cursor` on `after`,
/// with or without an actor filter.
pub async fn an_after_that_is_not_an_entry_of_the_patients_chain_is_an_invalid_cursor(
    store: Arc<dyn Store>,
) {
    let (p, q) = (PatientId::new(), PatientId::new());
    let mine = audit_about(Some(p), "mine");
    let theirs = audit_about(Some(q), "theirs");
    let nobodys = audit_about(None, "nobody's");
    store
        .apply(ChangeSet::audit_only(vec![
            mine.clone(),
            theirs.clone(),
            nobodys.clone(),
        ]))
        .await
        .unwrap();
    let expected = Error::Validation {
        fields: vec![FieldError::new(
            "after",
            "invalid_cursor",
            "after is not an entry of this patient's audit trail",
        )],
    };
    for after in [theirs.id, nobodys.id, AuditEntryId::new()] {
        for actor in [None, Some(mine.actor)] {
            let listing = AuditQuery {
                patient: Some(p),
                actor,
                after: Some(after),
                ..AuditQuery::default()
            };
            assert_eq!(
                store.audit_entries(&listing).await,
                Err(expected.clone()),
                "{listing:?}"
            );
        }
    }
    // The chain's own last entry is a cursor: an empty page, no error.
    let past_the_end = AuditQuery {
        patient: Some(p),
        after: Some(mine.id),
        ..AuditQuery::default()
    };
    assert_eq!(store.audit_entries(&past_the_end).await, Ok(vec![]));
}

pub async fn concurrent_audit_writers_keep_every_chain_whole(store: Arc<dyn Store>) {
    let patients: Vec<_> = (0..4).map(|_| PatientId::new()).collect();
    join_all((0..32).map(|i| {
        let store = store.clone();
        let p = patients[i % 4];
        async move {
            store
                .apply(ChangeSet::audit_only(vec![
                    audit_about(Some(p), "r"),
                    audit_about(None, "n"),
                ]))
                .await
                .unwrap()
        }
    }))
    .await;
    let heads = store.audit_heads().await.unwrap();
    for chain in store.audit_chains().await.unwrap() {
        let entries = store.audit_chain(chain, 0, 1000).await.unwrap();
        let head = heads.iter().find(|h| h.chain == chain);
        assert_eq!(
            verify_chain(chain, &entries, head, &ChainRules::unkeyed()),
            None
        );
    }
    assert_eq!(store.audit_chain(None, 0, 1000).await.unwrap().len(), 32);
}
