//! Conformance of each store method, its preconditions and its atomicity.

use std::sync::Arc;

use futures::future::join_all;

use super::{at, audit_about, patient, with_contact, with_identifier};
use crate::access::{BreakGlassGrant, CareAssignment};
use crate::audit::{verify_chain, AuditQuery, ChainRules};
use crate::error::ConflictDetail;
use crate::events::EventDraft;
use crate::ids::{ActorId, GrantId, MergeId, PatientId, PractitionerId};
use crate::patient::normalize::search_keys;
use crate::patient::{ContactSystem, Gender, MergeRecord, Patient, PatientSearch};
use crate::store::{
    AckWrite, CareTeamWrite, ChangeSet, GrantWrite, MergeWrite, PatientWrite, Store,
};
use crate::Error;

const MRN: &str = "urn:carebase:mrn:test";

async fn insert(store: &Arc<dyn Store>, p: &Patient) {
    store
        .apply(ChangeSet {
            patients: vec![PatientWrite::insert(p.clone(), None)],
            ..ChangeSet::default()
        })
        .await
        .expect("insert");
}

fn update(p: &Patient) -> ChangeSet {
    update_with(p, |_| {})
}

/// An update of `p` to its next version after `change`, with the new keys.
fn update_with(p: &Patient, change: impl FnOnce(&mut Patient)) -> ChangeSet {
    let mut next = p.clone();
    next.version += 1;
    change(&mut next);
    ChangeSet {
        patients: vec![PatientWrite::update(next, p.version, None)],
        ..ChangeSet::default()
    }
}

fn search() -> PatientSearch {
    PatientSearch {
        limit: 100,
        ..PatientSearch::default()
    }
}

pub async fn insert_then_get_roundtrips_patient(store: Arc<dyn Store>) {
    let mut p = with_identifier(patient("Núñez", "José", (1980, 2, 29)), MRN, "123");
    p = with_contact(p, ContactSystem::Email, "jose@example.org");
    p.details.deceased_at = Some(at(5));
    p.details.language = Some("es-MX".into());
    insert(&store, &p).await;
    assert_eq!(store.patient(p.id).await.unwrap(), Some(p));
}

pub async fn get_missing_patient_is_none(store: Arc<dyn Store>) {
    assert_eq!(store.patient(PatientId::new()).await.unwrap(), None);
}

pub async fn update_with_expected_version_replaces_record(store: Arc<dyn Store>) {
    let p = patient("Smith", "Ann", (1970, 1, 1));
    insert(&store, &p).await;
    let changes = update_with(&p, |patient| {
        patient.details.gender = Some(Gender::Other);
        patient.active = false;
    });
    store.apply(changes).await.unwrap();
    let stored = store.patient(p.id).await.unwrap().unwrap();
    assert_eq!(stored.version, 2);
    assert_eq!(stored.details.gender, Some(Gender::Other));
    assert!(!stored.active);
}

pub async fn update_with_stale_version_conflicts_and_writes_nothing(store: Arc<dyn Store>) {
    let p = patient("Smith", "Ann", (1970, 1, 1));
    insert(&store, &p).await;
    store.apply(update(&p)).await.unwrap();
    let err = store.apply(update(&p)).await.unwrap_err();
    assert_eq!(err, Error::stale("patient", 1, 2));
    assert_eq!(store.patient(p.id).await.unwrap().unwrap().version, 2);
}

pub async fn update_of_missing_patient_is_not_found(store: Arc<dyn Store>) {
    let p = patient("Smith", "Ann", (1970, 1, 1));
    assert_eq!(
        store.apply(update(&p)).await.unwrap_err().code(),
        "not_found"
    );
}

pub async fn duplicate_identifier_in_one_system_conflicts_naming_the_system(store: Arc<dyn Store>) {
    insert(
        &store,
        &with_identifier(patient("A", "A", (1990, 1, 1)), MRN, "42"),
    )
    .await;
    let second = with_identifier(patient("B", "B", (1991, 1, 1)), MRN, "42");
    let err = store
        .apply(ChangeSet {
            patients: vec![PatientWrite::insert(second.clone(), None)],
            ..ChangeSet::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::Conflict {
            detail: ConflictDetail::DuplicateIdentifier { system: MRN.into() }
        }
    );
    assert!(!err.to_string().contains("42"), "the value must not leak");
    assert_eq!(store.patient(second.id).await.unwrap(), None);
}

pub async fn same_identifier_value_in_another_system_is_allowed(store: Arc<dyn Store>) {
    insert(
        &store,
        &with_identifier(patient("A", "A", (1990, 1, 1)), MRN, "42"),
    )
    .await;
    insert(
        &store,
        &with_identifier(patient("B", "B", (1990, 1, 1)), "urn:other", "42"),
    )
    .await;
}

pub async fn update_releases_identifiers_it_drops(store: Arc<dyn Store>) {
    let p = with_identifier(patient("A", "A", (1990, 1, 1)), MRN, "7");
    insert(&store, &p).await;
    let changes = update_with(&p, |patient| patient.details.identifiers.clear());
    store.apply(changes).await.unwrap();
    insert(
        &store,
        &with_identifier(patient("B", "B", (1990, 1, 1)), MRN, "7"),
    )
    .await;
    let mut q = search();
    q.identifier_value = Some("7".into());
    assert_eq!(store.search_patients(&q).await.unwrap().len(), 1);
}

pub async fn update_replaces_every_search_key(store: Arc<dyn Store>) {
    let p = with_contact(
        patient("Before", "Old", (1990, 1, 1)),
        ContactSystem::Email,
        "old@example.org",
    );
    insert(&store, &p).await;
    let changes = update_with(&p, |patient| {
        patient.details.names[0].family = Some("After".into());
        patient.details.telecom[0].value = "new@example.org".into();
    });
    store.apply(changes).await.unwrap();
    let by_name = |name: &str| PatientSearch {
        name_prefixes: vec![name.into()],
        ..search()
    };
    let by_email = |email: &str| PatientSearch {
        email: Some(email.into()),
        ..search()
    };
    assert!(store
        .search_patients(&by_name("before"))
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .search_patients(&by_email("old@example.org"))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .search_patients(&by_name("after"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .search_patients(&by_email("new@example.org"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store.search_patients(&by_name("old")).await.unwrap().len(),
        1,
        "unchanged keys stay"
    );
}

pub async fn search_by_name_prefix_ignores_case_and_accents(store: Arc<dyn Store>) {
    let jose = patient("Núñez", "José", (1980, 1, 1));
    insert(&store, &jose).await;
    insert(&store, &patient("Josephs", "Ann", (1980, 1, 1))).await;
    insert(&store, &patient("Smith", "Bob", (1980, 1, 1))).await;
    let mut q = search();
    q.name_prefixes = vec!["jose".into()];
    assert_eq!(store.search_patients(&q).await.unwrap().len(), 2);
    q.name_prefixes = vec!["jose".into(), "nun".into()];
    let found = store.search_patients(&q).await.unwrap();
    assert_eq!(
        found.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![jose.id]
    );
}

pub async fn search_filters_combine(store: Arc<dyn Store>) {
    let mut a = with_identifier(patient("Lee", "Kim", (2001, 5, 6)), MRN, "A1");
    a = with_contact(a, ContactSystem::Phone, "+1 (555) 010-2000");
    a = with_contact(a, ContactSystem::Email, "Kim.Lee@Example.org");
    let mut b = patient("Lee", "Sam", (2001, 5, 6));
    b.details.gender = Some(Gender::Male);
    b.active = false;
    insert(&store, &a).await;
    insert(&store, &b).await;
    let ids = |v: Vec<Patient>| v.into_iter().map(|p| p.id).collect::<Vec<_>>();
    let run = |q: PatientSearch| {
        let store = store.clone();
        async move { ids(store.search_patients(&q).await.unwrap()) }
    };
    let base = search();
    let birth = chrono::NaiveDate::from_ymd_opt(2001, 5, 6);
    assert_eq!(
        run(PatientSearch {
            birth_date: birth,
            ..base.clone()
        })
        .await
        .len(),
        2
    );
    assert_eq!(
        run(PatientSearch {
            gender: Some(Gender::Male),
            ..base.clone()
        })
        .await,
        vec![b.id]
    );
    assert_eq!(
        run(PatientSearch {
            active: Some(true),
            ..base.clone()
        })
        .await,
        vec![a.id]
    );
    let phone = crate::patient::normalize::phone_key("+1 555 010 2000", None);
    assert_eq!(
        run(PatientSearch {
            phone,
            ..base.clone()
        })
        .await,
        vec![a.id]
    );
    let email = crate::patient::normalize::email_key("kim.lee@example.ORG");
    assert_eq!(
        run(PatientSearch {
            email,
            ..base.clone()
        })
        .await,
        vec![a.id]
    );
    let by_ident = PatientSearch {
        identifier_system: Some(MRN.into()),
        identifier_value: Some("A1".into()),
        ..base.clone()
    };
    assert_eq!(run(by_ident).await, vec![a.id]);
    let wrong_system = PatientSearch {
        identifier_system: Some("urn:other".into()),
        identifier_value: Some("A1".into()),
        ..base.clone()
    };
    assert!(run(wrong_system).await.is_empty());
    let none = PatientSearch {
        birth_date: birth,
        gender: Some(Gender::Male),
        active: Some(true),
        ..base
    };
    assert!(run(none).await.is_empty());
}

pub async fn search_pages_in_id_order_without_repeats_or_skips(store: Arc<dyn Store>) {
    let mut all = Vec::new();
    for i in 0..25 {
        let p = patient("Page", &format!("P{i}"), (1990, 1, 1));
        insert(&store, &p).await;
        all.push(p.id);
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let q = PatientSearch {
            after,
            limit: 7,
            ..search()
        };
        let page = store.search_patients(&q).await.unwrap();
        // Inserts while paging (on the first pages) land after the cursor.
        if seen.len() < 14 {
            insert(&store, &patient("Page", "Late", (1990, 1, 1))).await;
        }
        if page.is_empty() {
            break;
        }
        after = page.last().map(|p| p.id);
        seen.extend(page.into_iter().map(|p| p.id));
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "pages are in id order with no repeats");
    assert!(
        all.iter().all(|id| seen.contains(id)),
        "no record present from the start is skipped"
    );
}

pub async fn duplicate_candidates_share_a_blocking_key(store: Arc<dyn Store>) {
    let probe = with_contact(
        patient("Okafor", "Chi", (1985, 3, 4)),
        ContactSystem::Phone,
        "555-0101",
    );
    let same_name = patient("Okafor", "Ada", (1950, 1, 1));
    let same_birth = patient("Zed", "Zed", (1985, 3, 4));
    let same_phone = with_contact(
        patient("Q", "Q", (1960, 1, 1)),
        ContactSystem::Phone,
        "5550101",
    );
    let unrelated = patient("Other", "Person", (1999, 9, 9));
    let mut merged = patient("Okafor", "Old", (1985, 3, 4));
    merged.merged_into = Some(probe.id);
    for p in [
        &probe,
        &same_name,
        &same_birth,
        &same_phone,
        &unrelated,
        &merged,
    ] {
        insert(&store, p).await;
    }
    let mut found: Vec<_> = store
        .duplicate_candidates(&probe, &search_keys(&probe.details, None), 50)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    found.sort();
    let mut expected = vec![same_name.id, same_birth.id, same_phone.id];
    expected.sort();
    assert_eq!(found, expected);
}

pub async fn sequences_allocate_each_number_once(store: Arc<dyn Store>) {
    assert_eq!(store.counter("mrn:x").await.unwrap(), 0);
    assert_eq!(store.allocate("mrn:x").await.unwrap(), 1);
    let concurrent = join_all((0..50).map(|_| {
        let store = store.clone();
        async move { store.allocate("mrn:x").await.unwrap() }
    }))
    .await;
    let mut numbers = concurrent.clone();
    numbers.sort();
    assert_eq!(
        numbers,
        (2..=51).collect::<Vec<u64>>(),
        "no number twice, none skipped"
    );
    assert_eq!(
        store.allocate("mrn:y").await.unwrap(),
        1,
        "sequences are independent"
    );
    assert_eq!(store.counter("mrn:x").await.unwrap(), 51);
}

pub async fn care_team_assign_and_remove(store: Arc<dyn Store>) {
    let p = patient("Care", "Team", (1990, 1, 1));
    insert(&store, &p).await;
    let pr = PractitionerId::new();
    let assign = CareAssignment {
        patient: p.id,
        practitioner: pr,
        assigned_by: ActorId::new(),
        assigned_at: at(3),
    };
    let write = |w| ChangeSet {
        care_team: vec![w],
        ..ChangeSet::default()
    };
    store
        .apply(write(CareTeamWrite::Assign(assign.clone())))
        .await
        .unwrap();
    assert!(store.is_on_care_team(p.id, pr).await.unwrap());
    assert_eq!(store.care_team(p.id).await.unwrap(), vec![assign.clone()]);
    let again = store
        .apply(write(CareTeamWrite::Assign(assign)))
        .await
        .unwrap_err();
    assert_eq!(again.code(), "conflict");
    let remove = || {
        write(CareTeamWrite::Remove {
            patient: p.id,
            practitioner: pr,
        })
    };
    store.apply(remove()).await.unwrap();
    assert!(!store.is_on_care_team(p.id, pr).await.unwrap());
    assert_eq!(store.apply(remove()).await.unwrap_err().code(), "not_found");
}

pub async fn break_glass_grants_window_and_single_review(store: Arc<dyn Store>) {
    let p = patient("Glass", "Break", (1990, 1, 1));
    insert(&store, &p).await;
    let actor = ActorId::new();
    let grant = BreakGlassGrant {
        id: GrantId::new(),
        actor,
        patient: p.id,
        reason: "unconscious in er".into(),
        granted_at: at(0),
        expires_at: at(3600),
        reviewed_by: None,
        reviewed_at: None,
        review_note: None,
    };
    let write = |w| ChangeSet {
        grants: vec![w],
        ..ChangeSet::default()
    };
    store
        .apply(write(GrantWrite::Insert(grant.clone())))
        .await
        .unwrap();
    assert_eq!(store.grant(grant.id).await.unwrap(), Some(grant.clone()));
    assert_eq!(
        store
            .active_grant(actor, p.id, at(10))
            .await
            .unwrap()
            .map(|g| g.id),
        Some(grant.id)
    );
    assert_eq!(
        store.active_grant(actor, p.id, at(3600)).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .active_grant(ActorId::new(), p.id, at(10))
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.grants_awaiting_review(10).await.unwrap().len(), 1);
    let review = || {
        write(GrantWrite::Review {
            id: grant.id,
            by: ActorId::new(),
            at: at(7200),
            note: Some("ok".into()),
        })
    };
    store.apply(review()).await.unwrap();
    assert_eq!(store.apply(review()).await.unwrap_err().code(), "conflict");
    assert!(store.grants_awaiting_review(10).await.unwrap().is_empty());
    assert_eq!(
        store
            .grant(grant.id)
            .await
            .unwrap()
            .unwrap()
            .review_note
            .as_deref(),
        Some("ok")
    );
}

pub async fn merge_log_insert_undo_once_and_list(store: Arc<dyn Store>) {
    let a = patient("Keep", "A", (1990, 1, 1));
    let b = patient("Gone", "B", (1990, 1, 1));
    insert(&store, &a).await;
    insert(&store, &b).await;
    let record = MergeRecord {
        id: MergeId::new(),
        survivor: a.id,
        merged: b.id,
        merged_before: b.clone(),
        merged_version_after: 2,
        merged_by: ActorId::new(),
        merged_at: at(9),
        unmerged_by: None,
        unmerged_at: None,
    };
    let write = |w| ChangeSet {
        merges: vec![w],
        ..ChangeSet::default()
    };
    store
        .apply(write(MergeWrite::Insert(record.clone())))
        .await
        .unwrap();
    assert_eq!(store.merge(record.id).await.unwrap(), Some(record.clone()));
    assert_eq!(store.merges_for(a.id).await.unwrap(), vec![record.clone()]);
    assert_eq!(store.merges_for(b.id).await.unwrap(), vec![record.clone()]);
    let undo = || {
        write(MergeWrite::Undo {
            id: record.id,
            by: ActorId::new(),
            at: at(10),
        })
    };
    store.apply(undo()).await.unwrap();
    assert_eq!(store.apply(undo()).await.unwrap_err().code(), "conflict");
    assert_eq!(
        store.merge(record.id).await.unwrap().unwrap().unmerged_at,
        Some(at(10))
    );
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
    assert_eq!(applied.audit.last().map(|e| e.chain_seq), Some(400));
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
        limit: Some(3),
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

pub async fn outbox_sequences_and_consumer_positions(store: Arc<dyn Store>) {
    let p = PatientId::new();
    let events: Vec<_> = (1..=3)
        .map(|v| {
            EventDraft::new(
                "patient.updated",
                Some(p),
                &p.to_string(),
                v,
                serde_json::json!({"v": v}),
                at(2),
            )
        })
        .collect();
    let applied = store
        .apply(ChangeSet {
            events: events.clone(),
            ..ChangeSet::default()
        })
        .await
        .unwrap();
    let seqs: Vec<_> = applied.events.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
    assert_eq!(store.events_after(0, 10).await.unwrap(), applied.events);
    assert_eq!(
        store.events_after(seqs[0], 1).await.unwrap(),
        vec![applied.events[1].clone()]
    );
    assert_eq!(store.consumer_position("relay").await.unwrap(), 0);
    let ack = |seq| ChangeSet {
        acks: vec![AckWrite {
            consumer: "relay".into(),
            seq,
        }],
        ..ChangeSet::default()
    };
    store.apply(ack(seqs[1])).await.unwrap();
    store.apply(ack(seqs[0])).await.unwrap();
    assert_eq!(
        store.consumer_position("relay").await.unwrap(),
        seqs[1],
        "never moves back"
    );
}

pub async fn failed_apply_writes_nothing_at_all(store: Arc<dyn Store>) {
    let p = patient("Atomic", "A", (1990, 1, 1));
    insert(&store, &p).await;
    let fresh = patient("Fresh", "F", (1990, 1, 1));
    let mut stale = update(&p);
    if let PatientWrite::Update {
        expected_version,
        patient,
        ..
    } = &mut stale.patients[0]
    {
        *expected_version = 9;
        patient.version = 10;
    }
    let changes = ChangeSet {
        patients: vec![
            PatientWrite::insert(fresh.clone(), None),
            stale.patients.remove(0),
        ],
        acks: vec![AckWrite {
            consumer: "c".into(),
            seq: 1,
        }],
        audit: vec![
            audit_about(Some(p.id), "patient.update"),
            audit_about(None, "x"),
        ],
        events: vec![EventDraft::new(
            "patient.updated",
            Some(p.id),
            "x",
            2,
            serde_json::json!({}),
            at(1),
        )],
        ..ChangeSet::default()
    };
    assert_eq!(store.apply(changes).await.unwrap_err().code(), "conflict");
    assert_eq!(store.patient(fresh.id).await.unwrap(), None);
    assert_eq!(store.consumer_position("c").await.unwrap(), 0);
    assert!(store
        .audit_entries(&AuditQuery::default())
        .await
        .unwrap()
        .is_empty());
    assert!(store.audit_heads().await.unwrap().is_empty());
    assert!(store.events_after(0, 10).await.unwrap().is_empty());
}

pub async fn concurrent_identifier_claims_have_one_winner(store: Arc<dyn Store>) {
    for round in 0..5 {
        let value = format!("R{round}");
        let attempts = (0..16).map(|i| {
            let store = store.clone();
            let p = with_identifier(patient("Race", &format!("N{i}"), (1990, 1, 1)), MRN, &value);
            async move {
                store
                    .apply(ChangeSet {
                        patients: vec![PatientWrite::insert(p.clone(), None)],
                        audit: vec![audit_about(Some(p.id), "patient.register")],
                        ..ChangeSet::default()
                    })
                    .await
            }
        });
        let results = join_all(attempts).await;
        let wins = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "round {round}");
        assert!(results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| e.code() == "conflict"));
    }
}

pub async fn concurrent_updates_of_one_version_have_one_winner(store: Arc<dyn Store>) {
    let p = patient("Race", "Update", (1990, 1, 1));
    insert(&store, &p).await;
    let results = join_all((0..16).map(|_| {
        let store = store.clone();
        let changes = update(&p);
        async move { store.apply(changes).await }
    }))
    .await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert_eq!(store.patient(p.id).await.unwrap().unwrap().version, 2);
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
