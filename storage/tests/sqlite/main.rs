//! SQLite-specific behaviour: data kept across reopening, concurrency
//! across connections, atomicity and agreement with the MemoryStore;
//! tamper evidence under raw SQL (`tamper.rs`) and index use (`plans.rs`).
//! Files and URLs: sqlite_files.rs; several handles: sqlite_handles.rs.

#[path = "../common/mod.rs"]
mod common;
mod plans;
#[path = "../shipped_migrations/mod.rs"]
mod shipped_migrations;
mod tamper;

use carebase::store::{AccessStore, AuditStore, OutboxStore, PatientStore};
use carebase::{Count32, Count64};
use std::sync::Arc;

use futures::future::join_all;

use carebase::audit::{verify_chain, AuditQuery, ChainProblem, ChainRules, ProblemKind};
use carebase::conformance::{at, audit_about, patient, with_identifier};
use carebase::events::EventDraft;
use carebase::patient::normalize::search_keys;
use carebase::patient::{PatientSearch, SearchHit, SearchPosition};
use carebase::store::{ChangeSet, PatientWrite};
use carebase::{PatientId, Store};
use carebase_storage::SqliteStore;
use common::{count, db_path, path_of, temp_store, url_of, TempStore};

const MRN: &str = "urn:carebase:mrn:test";

/// Every chain's first problem, as `verify` would report them.
async fn problems(store: &dyn Store) -> Vec<ChainProblem> {
    let heads = store.audit_heads().await.unwrap();
    let mut found = Vec::new();
    for chain in store.audit_chains().await.unwrap() {
        let entries = store.audit_chain(chain, 0, 10_000).await.unwrap();
        let head = heads.iter().find(|h| h.chain == chain);
        found.extend(verify_chain(chain, &entries, head, &ChainRules::unkeyed()));
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn reopening_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let url = url_of(&db_path(&dir));
    let p = with_identifier(patient("Kept", "Data", (1980, 2, 29)), MRN, "K1");
    let event = EventDraft::new(
        "patient.registered",
        Some(p.id),
        "x",
        1,
        serde_json::json!({"v": 1}),
        at(1),
    );
    {
        let store = SqliteStore::open(&url).await.unwrap();
        store
            .apply(
                ChangeSet::default()
                    .patient(PatientWrite::insert(p.clone(), None))
                    .audit(audit_about(Some(p.id), "patient.register"))
                    .event(event.clone()),
            )
            .await
            .unwrap();
        store.close().await;
    }
    let store = SqliteStore::open(&url).await.unwrap();
    assert_eq!(store.patient(p.id).await.unwrap(), Some(p.clone()));
    assert_eq!(store.events_after(&[], 10).await.unwrap()[0].draft, event);
    assert_eq!(store.audit_chain(Some(p.id), 0, 10).await.unwrap().len(), 1);
    assert!(problems(&store).await.is_empty());
    let mut q = PatientSearch {
        limit: 10,
        ..PatientSearch::default()
    };
    q.name_prefixes = vec!["kep".into()];
    assert_eq!(store.search_patients(&q).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_applies_on_one_file_all_succeed() {
    let t = temp_store().await;
    // A second store on the same file stands in for a second process: its
    // writers meet the first store's at SQLite's lock, not at our mutex.
    let other = Arc::new(SqliteStore::open(&url_of(&path_of(&t))).await.unwrap());
    let first: Arc<dyn Store> = Arc::new(t);
    let second: Arc<dyn Store> = other;
    let shared = PatientId::new();
    const PER_TASK: usize = 10;
    let tasks = (0..8).map(|task| {
        let store = if task % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tokio::spawn(async move {
            for i in 0..PER_TASK {
                let p = with_identifier(
                    patient("Busy", "Writer", (1990, 1, 1)),
                    MRN,
                    &format!("T{task}-{i}"),
                );
                let event = EventDraft::new(
                    "patient.registered",
                    Some(p.id),
                    &p.id.to_string(),
                    1,
                    serde_json::json!({}),
                    at(1),
                );
                store
                    .apply(
                        ChangeSet::default()
                            .patient(PatientWrite::insert(p.clone(), None))
                            .audit(audit_about(Some(p.id), "patient.register"))
                            .audit(audit_about(Some(shared), "shared"))
                            .audit(audit_about(None, "none"))
                            .event(event),
                    )
                    .await
                    .expect("every apply succeeds");
            }
        })
    });
    for result in join_all(tasks).await {
        result.unwrap();
    }
    let total = 8 * PER_TASK;
    for chain in [Some(shared), None] {
        let entries = first.audit_chain(chain, 0, 10_000).await.unwrap();
        let seqs: Vec<u64> = entries.iter().map(|e| e.chain_seq.get()).collect();
        assert_eq!(seqs, (1..=total as u64).collect::<Vec<_>>(), "gapless");
    }
    assert!(problems(first.as_ref()).await.is_empty());
    let events = first.events_after(&[], 1000).await.unwrap();
    assert_eq!(events.len(), total);
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_apply_leaves_no_audit_entry_or_event() {
    let t = temp_store().await;
    let first = with_identifier(patient("First", "One", (1990, 1, 1)), MRN, "D1");
    t.store
        .apply(
            ChangeSet::default()
                .patient(PatientWrite::insert(first.clone(), None))
                .audit(audit_about(Some(first.id), "patient.register")),
        )
        .await
        .unwrap();
    let before = (
        count(&t.store, "audit_entries").await,
        count(&t.store, "audit_heads").await,
        count(&t.store, "outbox_events").await,
        count(&t.store, "patients").await,
        count(&t.store, "patient_name_tokens").await,
    );
    let dup = with_identifier(patient("Second", "Two", (1990, 1, 1)), MRN, "D1");
    let err = t
        .store
        .apply(
            ChangeSet::default()
                .patient(PatientWrite::insert(dup.clone(), None))
                .audit(audit_about(Some(dup.id), "patient.register"))
                .audit(audit_about(None, "x"))
                .event(EventDraft::new(
                    "patient.registered",
                    Some(dup.id),
                    "x",
                    1,
                    serde_json::json!({}),
                    at(1),
                )),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
    assert!(!err.to_string().contains("D1"));
    let after = (
        count(&t.store, "audit_entries").await,
        count(&t.store, "audit_heads").await,
        count(&t.store, "outbox_events").await,
        count(&t.store, "patients").await,
        count(&t.store, "patient_name_tokens").await,
    );
    assert_eq!(before, after);
    assert_eq!(
        t.store
            .audit_entries(&AuditQuery::default())
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(t.store.events_after(&[], 10).await.unwrap().is_empty());
    // The next apply still works and numbers continue without a gap.
    let applied = t
        .store
        .apply(ChangeSet::audit_only(vec![audit_about(
            Some(first.id),
            "patient.read",
        )]))
        .await
        .unwrap();
    assert_eq!(applied.audit[0].chain_seq, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn instants_round_trip_to_the_nanosecond() {
    let t = temp_store().await;
    let mut p = patient("Exact", "Time", (1990, 1, 1));
    p.created_at = chrono::DateTime::from_timestamp(1_780_000_000, 123_456_789).unwrap();
    p.updated_at = p.created_at;
    let mut draft = audit_about(Some(p.id), "patient.register");
    draft.at = p.created_at;
    let applied = t
        .store
        .apply(
            ChangeSet::default()
                .patient(PatientWrite::insert(p.clone(), None))
                .audit(draft),
        )
        .await
        .unwrap();
    assert_eq!(t.store.patient(p.id).await.unwrap(), Some(p.clone()));
    assert_eq!(
        t.store.audit_chain(Some(p.id), 0, 10).await.unwrap(),
        applied.audit
    );
}

/// Applies the same change sets to a `MemoryStore` (the reference) and a
/// SQLite file and compares every read.
#[tokio::test(flavor = "multi_thread")]
async fn answers_like_the_memory_store() {
    use carebase::access::{BreakGlassGrant, CareAssignment};
    use carebase::conformance::with_contact;
    use carebase::patient::{ContactSystem, Gender, MergeRecord};
    use carebase::store::{CareTeamWrite, GrantWrite, MergeWrite};
    use carebase::{ActorId, GrantId, MemoryStore, MergeId, PractitionerId};

    let t = temp_store().await;
    let memory = MemoryStore::with_outbox_partitions(1);
    let stores: [&dyn Store; 2] = [&memory, &t.store];
    let apply_both = |changes: ChangeSet| async move {
        let a = stores[0].apply(changes.clone()).await;
        let b = stores[1].apply(changes).await;
        assert_eq!(
            a.as_ref().map(|x| x.audit.clone()),
            b.as_ref().map(|x| x.audit.clone())
        );
        assert_eq!(a.map(|x| x.events.len()), b.map(|x| x.events.len()));
    };

    let families = ["Núñez", "Nunes", "O'Brien", "Smith-Jones", "Åberg", "Li"];
    let givens = ["José", "Ann Marie", "Zoë", "Bob", "Jo"];
    let mut patients: Vec<carebase::patient::Patient> = Vec::new();
    for i in 0..30usize {
        let mut p = patient(
            families[i % families.len()],
            givens[i % givens.len()],
            (1980 + (i % 4) as i32, 1 + (i % 3) as u32, 1),
        );
        p.details.gender = Some([Gender::Female, Gender::Male, Gender::Other][i % 3]);
        p.active = i % 7 != 0;
        if i % 2 == 0 {
            p = with_contact(p, ContactSystem::Phone, &format!("+1 555 01{:02}", i % 5));
        }
        if i % 3 == 0 {
            p = with_contact(p, ContactSystem::Email, &format!("P{}@Example.org", i % 4));
        }
        p = with_identifier(
            p,
            if i % 2 == 0 { MRN } else { "urn:other" },
            &format!("V{}", i % 20),
        );
        if i == 29 {
            p.merged_into = Some(patients[0].id);
        }
        let changes = ChangeSet::default()
            .patient(PatientWrite::insert(p.clone(), None))
            .audit(audit_about(Some(p.id), "patient.register"));
        apply_both(changes).await; // some fail on duplicate identifiers, in both
        patients.push(p);
    }

    let anchor = patients[1].id;
    let actor = ActorId::new();
    let mut changes = ChangeSet::default();
    for minute in [5, 1, 3, 2, 4] {
        changes
            .access
            .care_team
            .push(CareTeamWrite::Assign(CareAssignment {
                patient: anchor,
                practitioner: PractitionerId::new(),
                assigned_by: actor,
                assigned_at: at(minute * 60),
            }));
    }
    for (start, end) in [(0, 100), (50, 200), (300, 400)] {
        changes
            .access
            .grants
            .push(GrantWrite::Insert(BreakGlassGrant {
                id: GrantId::new(),
                actor,
                patient: anchor,
                reason: "er".into(),
                granted_at: at(start),
                expires_at: at(end),
                reviewed_by: None,
                reviewed_at: None,
                review_note: None,
            }));
    }
    for (i, merged_at) in [30, 10, 20].into_iter().enumerate() {
        changes
            .patients
            .merges
            .push(MergeWrite::Insert(MergeRecord {
                id: MergeId::new(),
                survivor: if i == 1 { patients[2].id } else { anchor },
                merged: if i == 1 { anchor } else { patients[3 + i].id },
                merged_before: patients[3 + i].clone(),
                merged_version_after: Count64::new(2),
                merged_by: actor,
                merged_at: at(merged_at),
                unmerged_by: None,
                unmerged_at: None,
            }));
    }
    for v in 1..=4 {
        changes.events.push(EventDraft::new(
            "patient.updated",
            Some(anchor),
            "a",
            v,
            serde_json::json!({"v": v, "nested": {"b": [1, 2.5, null, "x"]}}),
            at(v as i64),
        ));
    }
    changes.audit.push(audit_about(None, "system.start"));
    apply_both(changes).await;

    let same = |a: &dyn std::fmt::Debug, b: &dyn std::fmt::Debug, what: &str| {
        assert_eq!(format!("{a:?}"), format!("{b:?}"), "{what}");
    };
    let base = PatientSearch {
        limit: 100,
        ..PatientSearch::default()
    };
    let mut searches = vec![base.clone()];
    for prefixes in [
        vec!["jo"],
        vec!["nu"],
        vec!["j", "n"],
        vec!["zoe"],
        vec!["obrien"],
        vec![""],
        vec!["x"],
    ] {
        searches.push(PatientSearch {
            name_prefixes: prefixes.into_iter().map(String::from).collect(),
            ..base.clone()
        });
    }
    searches.push(PatientSearch {
        gender: Some(Gender::Male),
        active: Some(true),
        ..base.clone()
    });
    searches.push(PatientSearch {
        birth_date: patients[5].details.birth_date,
        ..base.clone()
    });
    searches.push(PatientSearch {
        identifier_value: Some("V2".into()),
        ..base.clone()
    });
    searches.push(PatientSearch {
        identifier_system: Some("urn:other".into()),
        ..base.clone()
    });
    searches.push(PatientSearch {
        phone: Some("+15550102".into()),
        ..base.clone()
    });
    searches.push(PatientSearch {
        email: Some("p1@example.org".into()),
        ..base.clone()
    });
    searches.push(PatientSearch {
        after: Some(SearchPosition {
            name_key: None,
            id: patients[10].id,
        }),
        limit: 5,
        ..base.clone()
    });
    searches.push(PatientSearch {
        limit: 0,
        ..base.clone()
    });
    let mut hits = 0;
    for s in &searches {
        let a = memory.search_patients(s).await.unwrap();
        let b = t.store.search_patients(s).await.unwrap();
        assert_eq!(a, b, "{s:?}");
        hits += usize::from(!a.is_empty());
    }
    assert_eq!(memory.search_patients(&base).await.unwrap().len(), 20);
    // A name search pages alike on both, page after page.
    let mut pages = 0;
    for prefixes in [vec!["j"], vec!["n", "j"]] {
        let mut after = None;
        loop {
            let s = PatientSearch {
                name_prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
                after: after.clone(),
                limit: 2,
                ..base.clone()
            };
            let a = memory.search_patients(&s).await.unwrap();
            let b = t.store.search_patients(&s).await.unwrap();
            assert_eq!(a, b, "{s:?}");
            if a.is_empty() {
                break;
            }
            after = a.last().map(SearchHit::position);
            pages += 1;
        }
    }
    assert!(pages >= 3, "the name searches need several pages: {pages}");
    assert!(hits >= 12, "the searches must find something: {hits}");
    for p in &patients {
        let keys = search_keys(&p.details, None);
        for limit in [50, 2] {
            let a = memory.duplicate_candidates(p, &keys, limit).await.unwrap();
            let b = t.store.duplicate_candidates(p, &keys, limit).await.unwrap();
            assert_eq!(a, b, "duplicates");
        }
        assert_eq!(
            memory.patient(p.id).await.unwrap(),
            t.store.patient(p.id).await.unwrap()
        );
        assert_eq!(
            memory.merges_for(p.id).await.unwrap(),
            t.store.merges_for(p.id).await.unwrap()
        );
    }
    assert_eq!(
        memory.care_team(anchor).await.unwrap(),
        t.store.care_team(anchor).await.unwrap()
    );
    for now in [0, 60, 120, 350, 500] {
        same(
            &memory.active_grant(actor, anchor, at(now)).await.unwrap(),
            &t.store.active_grant(actor, anchor, at(now)).await.unwrap(),
            "active grant",
        );
    }
    for limit in [0, 2, 10] {
        assert_eq!(
            memory.grants_awaiting_review(limit).await.unwrap(),
            t.store.grants_awaiting_review(limit).await.unwrap()
        );
    }
    let mut queries = vec![
        AuditQuery::default(),
        AuditQuery {
            limit: Some(Count32::new(0)),
            ..AuditQuery::default()
        },
    ];
    queries.push(AuditQuery {
        patient: Some(anchor),
        ..AuditQuery::default()
    });
    queries.push(AuditQuery {
        actor: Some(ActorId::new()),
        ..AuditQuery::default()
    });
    let all = memory.audit_entries(&AuditQuery::default()).await.unwrap();
    queries.push(AuditQuery {
        after: Some(all[all.len() / 2].draft.id),
        limit: Some(Count32::new(4)),
        ..AuditQuery::default()
    });
    for q in &queries {
        assert_eq!(
            memory.audit_entries(q).await.unwrap(),
            t.store.audit_entries(q).await.unwrap(),
            "{q:?}"
        );
    }
    assert_eq!(
        memory.audit_chains().await.unwrap(),
        t.store.audit_chains().await.unwrap()
    );
    let mut heads = [
        memory.audit_heads().await.unwrap(),
        t.store.audit_heads().await.unwrap(),
    ];
    for h in &mut heads {
        h.sort_by_key(|h| h.chain);
    }
    assert_eq!(heads[0], heads[1]);
    for chain in memory.audit_chains().await.unwrap() {
        assert_eq!(
            memory.audit_chain(chain, 1, 2).await.unwrap(),
            t.store.audit_chain(chain, 1, 2).await.unwrap()
        );
    }
    for (after, limit) in [(0, 10), (2, 1), (4, 10), (u64::MAX, 10)] {
        let a: Vec<_> = memory.events_after(&[after], limit).await.unwrap();
        let b: Vec<_> = t.store.events_after(&[after], limit).await.unwrap();
        assert_eq!(a, b);
    }
}
