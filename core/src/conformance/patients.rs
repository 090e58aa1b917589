//! The register and the merge log, as every store must keep them:
//! versions, identifier uniqueness, search keys, sequences, concurrent writers.

use crate::Count64;
use std::sync::Arc;

use futures::future::join_all;

use super::{at, audit_about, patient, with_contact, with_identifier};
use crate::error::ConflictDetail;
use crate::ids::{ActorId, MergeId, PatientId};
use crate::patient::normalize::search_keys;
use crate::patient::{ContactSystem, Gender, MergeRecord, Patient, PatientSearch, SearchHit};
use crate::store::{ChangeSet, MergeWrite, PatientWrite, Store};
use crate::Error;

pub(super) const MRN: &str = "urn:carebase:mrn:test";

pub(super) async fn insert(store: &Arc<dyn Store>, p: &Patient) {
    store
        .apply(ChangeSet::default().patient(PatientWrite::insert(p.clone(), None)))
        .await
        .expect("insert");
}

pub(super) fn update(p: &Patient) -> ChangeSet {
    update_with(p, |_| {})
}

/// An update of `p` to its next version after `change`, with the new keys.
fn update_with(p: &Patient, change: impl FnOnce(&mut Patient)) -> ChangeSet {
    let mut next = p.clone();
    next.version += 1;
    change(&mut next);
    ChangeSet::default().patient(PatientWrite::update(next, p.version.get(), None))
}

pub(super) fn search() -> PatientSearch {
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

/// What a FHIR import kept reads back as written, through an update too,
/// and is never a search key.
pub async fn kept_fhir_elements_read_back_as_written(store: Arc<dyn Store>) {
    let mut p = patient("Kept", "Elements", (1970, 1, 1));
    p.fhir_extra = Some(serde_json::json!({
        "source_id": "example",
        "resource": {
            "text": {"div": "<div>Kept \"fhir_extra\" \u{1} é</div>"},
            "telecom": [{"system": "fax", "value": "+1 555 0199"}],
            "_birthDate": {"extension": [{"url": "x", "valueDecimal": 1.5}]},
            "multipleBirthInteger": 2
        }
    }));
    insert(&store, &p).await;
    assert_eq!(store.patient(p.id).await.unwrap().as_ref(), Some(&p));
    store.apply(update(&p)).await.unwrap();
    let read = store.patient(p.id).await.unwrap().unwrap();
    assert_eq!(read.fhir_extra, p.fhir_extra);
    let mut by_phone = search();
    by_phone.phone = Some("+15550199".into());
    assert!(store.search_patients(&by_phone).await.unwrap().is_empty());
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
        .apply(ChangeSet::default().patient(PatientWrite::insert(second.clone(), None)))
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
        found.iter().map(|h| h.patient.id).collect::<Vec<_>>(),
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
    let ids = |v: Vec<SearchHit>| v.into_iter().map(|h| h.patient.id).collect::<Vec<_>>();
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
        after = page.last().map(SearchHit::position);
        seen.extend(page.into_iter().map(|h| h.patient.id));
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

pub async fn a_block_of_numbers_follows_the_sequence_and_the_next_number_follows_the_block(
    store: Arc<dyn Store>,
) {
    assert_eq!(store.allocate_block("mrn:b", 3).await.unwrap(), 1..4);
    assert_eq!(store.allocate("mrn:b").await.unwrap(), 4);
    assert_eq!(store.allocate_block("mrn:b", 0).await.unwrap(), 5..5);
    assert_eq!(store.allocate_block("mrn:b", 2).await.unwrap(), 5..7);
    assert_eq!(store.counter("mrn:b").await.unwrap(), 6);
    let concurrent = join_all((0..10).map(|_| {
        let store = store.clone();
        async move { store.allocate_block("mrn:b", 5).await.unwrap() }
    }))
    .await;
    let mut numbers: Vec<u64> = concurrent.into_iter().flatten().collect();
    numbers.sort();
    assert_eq!(
        numbers,
        (7..57).collect::<Vec<u64>>(),
        "concurrent blocks share no number and skip none"
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
        merged_version_after: Count64::new(2),
        merged_by: ActorId::new(),
        merged_at: at(9),
        unmerged_by: None,
        unmerged_at: None,
    };
    let write = |w| ChangeSet::default().merge(w);
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

pub async fn concurrent_identifier_claims_have_one_winner(store: Arc<dyn Store>) {
    for round in 0..5 {
        let value = format!("R{round}");
        let attempts = (0..16).map(|i| {
            let store = store.clone();
            let p = with_identifier(patient("Race", &format!("N{i}"), (1990, 1, 1)), MRN, &value);
            async move {
                store
                    .apply(
                        ChangeSet::default()
                            .patient(PatientWrite::insert(p.clone(), None))
                            .audit(audit_about(Some(p.id), "patient.register")),
                    )
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

/// A name search's pages: by the smallest name token matching the driving
/// (first) prefix, then id; each patient once, even when two of its names
/// match; no repeats or skips across pages, with inserts between pages.
pub async fn search_by_name_pages_by_name_key_then_id_without_repeats_or_skips(
    store: Arc<dyn Store>,
) {
    let both = patient("Marsh", "Mara", (1990, 1, 1));
    insert(&store, &both).await;
    let mut all = vec![both.id];
    for family in [
        "Martin", "Marx", "Martin", "Mars", "Marx", "Marquez", "Martin",
    ] {
        let p = patient(family, "Ann", (1990, 1, 1));
        insert(&store, &p).await;
        all.push(p.id);
    }
    insert(&store, &patient("Moreau", "Ann", (1990, 1, 1))).await;
    let mut seen: Vec<(Option<String>, crate::ids::PatientId)> = Vec::new();
    let mut after = None;
    loop {
        let q = PatientSearch {
            name_prefixes: vec!["mar".into()],
            after: after.clone(),
            limit: 3,
            ..search()
        };
        let page = store.search_patients(&q).await.unwrap();
        if seen.len() < 3 {
            insert(&store, &patient("Marx", "Late", (1990, 1, 1))).await;
        }
        if page.is_empty() {
            break;
        }
        after = page.last().map(SearchHit::position);
        seen.extend(page.into_iter().map(|h| (h.name_key, h.patient.id)));
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted, seen,
        "pages are in (name key, id) order with no repeats"
    );
    let ids: Vec<_> = seen.iter().map(|(_, id)| *id).collect();
    assert!(all.iter().all(|id| ids.contains(id)), "nothing skipped");
    assert_eq!(
        seen.iter()
            .filter(|(_, id)| *id == both.id)
            .collect::<Vec<_>>(),
        vec![&(Some("mara".to_owned()), both.id)],
        "a patient with two matching names appears once, at the smaller"
    );
    assert!(
        seen.iter()
            .all(|(key, _)| key.as_deref().is_some_and(|k| k.starts_with("mar"))),
        "every key starts with the prefix"
    );
}

/// The other words of a name search filter the driving word's walk.
pub async fn search_by_two_names_keeps_patients_matching_both(store: Arc<dyn Store>) {
    let ann_martin = patient("Martin", "Ann", (1990, 1, 1));
    insert(&store, &ann_martin).await;
    insert(&store, &patient("Martin", "Bob", (1990, 1, 1))).await;
    insert(&store, &patient("Smith", "Ann", (1990, 1, 1))).await;
    let q = PatientSearch {
        name_prefixes: vec!["martin".into(), "an".into()],
        ..search()
    };
    let found = store.search_patients(&q).await.unwrap();
    assert_eq!(
        found
            .iter()
            .map(|h| (h.name_key.as_deref(), h.patient.id))
            .collect::<Vec<_>>(),
        vec![(Some("martin"), ann_martin.id)]
    );
}

/// A search by several words pages in the same order and finds the same
/// patients whichever word the store chooses to walk: here the second
/// word ("ke…") is rarer than the driving one ("mar…").
pub async fn search_by_several_words_pages_alike_when_another_word_is_rarer(store: Arc<dyn Store>) {
    let mut expected = Vec::new();
    for family in ["Martin", "Marx", "Mars", "Marquez", "Martin", "Marx"] {
        insert(&store, &patient(family, "Ann", (1990, 1, 1))).await;
    }
    for (family, given, key) in [
        ("Martin", "Keten", "martin"),
        ("Marx", "Kea", "marx"),
        ("Marsh", "Mara Keten", "mara"),
        ("Mars", "Keten Kea", "mars"),
        ("Martin", "Kea", "martin"),
    ] {
        let p = patient(family, given, (1990, 1, 1));
        insert(&store, &p).await;
        expected.push((Some(key.to_owned()), p.id));
    }
    insert(&store, &patient("Smith", "Keten", (1990, 1, 1))).await;
    expected.sort();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let q = PatientSearch {
            name_prefixes: vec!["mar".into(), "ke".into()],
            after: after.clone(),
            limit: 2,
            ..search()
        };
        let page = store.search_patients(&q).await.unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(SearchHit::position);
        seen.extend(page.into_iter().map(|h| (h.name_key, h.patient.id)));
    }
    assert_eq!(
        seen, expected,
        "every patient matching both words, once each, at its smallest \"mar\" token, in (name key, id) order"
    );
}
