//! Index use: every search and record read walks an index in page order
//! and stops at the limit (EXPLAIN QUERY PLAN).

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn name_prefix_search_uses_an_index() {
    let t = temp_store().await;
    for i in 0..50 {
        let p = patient(&format!("Family{i}"), "Given", (1990, 1, 1));
        t.store
            .apply(ChangeSet::default().patient(PatientWrite::insert(p, None)))
            .await
            .unwrap();
    }
    let search = PatientSearch {
        name_prefixes: vec!["family1".into()],
        limit: 10,
        ..PatientSearch::default()
    };
    let plan = t.store.explain_search(&search).await.unwrap();
    let text = plan.join("\n");
    assert!(
        plan.iter()
            .any(|l| l.starts_with("SEARCH t USING PRIMARY KEY (token>? AND token<?)")),
        "the name-token key drives the search, plan:\n{text}"
    );
    assert!(
        !plan.iter().any(|l| l.starts_with("SCAN p")),
        "patients must not be scanned:\n{text}"
    );
    // 1, 10..19 → 11 tokens start with "family1".
    let found = t
        .store
        .search_patients(&PatientSearch {
            limit: 100,
            ..search
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 11);
}

/// A search by two words whose second word is rarer reads that word's
/// range (bounded by `NAME_WORD_COUNT_CAP`) and checks the driving word on
/// each row read, from the words the row carries, instead of walking the
/// driving word's range for the few patients that also match the rare word.
#[tokio::test(flavor = "multi_thread")]
async fn a_search_by_two_words_walks_the_rarer_word_and_reads_nothing_else_per_row() {
    let t = temp_store().await;
    for i in 0..30 {
        let given = if i % 10 == 0 { "Keten" } else { "Ann" };
        let p = patient("Garcia", given, (1990, 1, 1));
        t.store
            .apply(ChangeSet::default().patient(PatientWrite::insert(p, None)))
            .await
            .unwrap();
    }
    let search = PatientSearch {
        name_prefixes: vec!["garcia".into(), "keten".into()],
        limit: 21,
        ..PatientSearch::default()
    };
    let plan = t.store.explain_search(&search).await.unwrap().join("\n");
    assert!(
        plan.contains("SEARCH r USING PRIMARY KEY (token>? AND token<?)"),
        "the rarer word's range is read:\n{plan}"
    );
    assert!(
        !plan.contains("CORRELATED") && !plan.contains("patient_name_tokens_patient"),
        "no probe per row read:\n{plan}"
    );
    assert!(
        plan.lines()
            .filter(|l| l.starts_with("SCAN"))
            .all(|l| l == "SCAN c"),
        "no table is scanned, only the rare word's patients:\n{plan}"
    );
    let found = t.store.search_patients(&search).await.unwrap();
    assert_eq!(found.len(), 3);
}

/// A search by two words that both match about as many rows (a full name)
/// walks the driving word in page order and checks the other word, and
/// that the row's token is the patient's first for the driving word, on
/// the row walked: no probe of another row, no set to build, no sort.
#[tokio::test(flavor = "multi_thread")]
async fn a_full_name_search_walks_the_driving_word_in_page_order_without_a_probe_per_row() {
    let t = temp_store().await;
    for i in 0..30 {
        // Fewer Garcias than Marias: the driving word is walked.
        let family = if i % 3 == 0 { "Garcia" } else { "Keten" };
        let given = if i % 2 == 0 { "Maria" } else { "Ann" };
        let p = patient(family, given, (1990, 1, 1));
        t.store
            .apply(ChangeSet::default().patient(PatientWrite::insert(p, None)))
            .await
            .unwrap();
    }
    let search = PatientSearch {
        name_prefixes: vec!["garcia".into(), "maria".into()],
        limit: 21,
        ..PatientSearch::default()
    };
    let plan = t.store.explain_search(&search).await.unwrap().join("\n");
    assert!(
        !plan.contains("CORRELATED") && !plan.contains("LIST SUBQUERY"),
        "no probe and no set per search:\n{plan}"
    );
    assert!(!plan.contains("TEMP B-TREE"), "page order kept:\n{plan}");
    let found = t.store.search_patients(&search).await.unwrap();
    // Garcia: i % 3 == 0; Maria: i even → i % 6 == 0: 0, 6, 12, 18, 24.
    assert_eq!(found.len(), 5);
    let keys: Vec<_> = found.iter().map(|h| h.position()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

/// A patient with several tokens starting with the typed word ("Ann
/// Annabel Annette") is found once, at its smallest such token, whether
/// the driving word is walked or a rarer word is, and a cursor taken from
/// one page continues after it in both walks.
#[tokio::test(flavor = "multi_thread")]
async fn a_patient_with_several_tokens_for_a_word_is_found_once_at_the_smallest_in_both_walks() {
    let t = temp_store().await;
    let many = patient("Annette", "Ann Annabel", (1990, 1, 1));
    let many_id = many.id;
    t.store
        .apply(ChangeSet::default().patient(PatientWrite::insert(many, None)))
        .await
        .unwrap();
    for i in 0..12 {
        let family = if i == 0 { "Zimmer" } else { "Annick" };
        let p = patient(family, "Anna", (1990, 1, 1));
        t.store
            .apply(ChangeSet::default().patient(PatientWrite::insert(p, None)))
            .await
            .unwrap();
    }
    // One word: walked in page order.
    let one = PatientSearch {
        name_prefixes: vec!["ann".into()],
        limit: 50,
        ..PatientSearch::default()
    };
    let found = t.store.search_patients(&one).await.unwrap();
    assert_eq!(found.len(), 13, "every patient once");
    let hit = found.iter().find(|h| h.patient.id == many_id).unwrap();
    assert_eq!(hit.name_key.as_deref(), Some("ann"));
    // "ann" and "zimmer": zimmer is rarer, so its range is walked and the
    // name key comes from the patient's words.
    let rare = PatientSearch {
        name_prefixes: vec!["ann".into(), "zimmer".into()],
        limit: 50,
        ..PatientSearch::default()
    };
    let found = t.store.search_patients(&rare).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].name_key.as_deref(), Some("anna"));
    // Paging by one through the one-word walk reads every patient once.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = PatientSearch {
            name_prefixes: vec!["ann".into()],
            limit: 1,
            after: after.clone(),
            ..PatientSearch::default()
        };
        let found = t.store.search_patients(&page).await.unwrap();
        let Some(hit) = found.first() else { break };
        seen.push(hit.patient.id);
        after = Some(hit.position());
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 13);
}

/// A page costs the page: every kind of search walks an index in page
/// order and stops at the limit, never sorting all its matches.
#[tokio::test(flavor = "multi_thread")]
async fn every_kind_of_search_reads_its_index_in_page_order_without_sorting() {
    let t = temp_store().await;
    let base = PatientSearch {
        limit: 21,
        ..PatientSearch::default()
    };
    let after = SearchPosition {
        name_key: Some("smith".into()),
        id: carebase::PatientId::new(),
    };
    let kinds = [
        PatientSearch {
            name_prefixes: vec!["s".into()],
            ..base.clone()
        },
        PatientSearch {
            name_prefixes: vec!["smith".into(), "jo".into()],
            after: Some(after),
            ..base.clone()
        },
        PatientSearch {
            birth_date: chrono::NaiveDate::from_ymd_opt(1990, 1, 1),
            ..base.clone()
        },
        PatientSearch {
            identifier_value: Some("V1".into()),
            identifier_system: Some("urn:x".into()),
            ..base.clone()
        },
        PatientSearch {
            phone: Some("+15550100".into()),
            ..base.clone()
        },
        PatientSearch {
            email: Some("a@example.org".into()),
            ..base.clone()
        },
    ];
    for search in &kinds {
        let plan = t.store.explain_search(search).await.unwrap().join("\n");
        assert!(!plan.contains("TEMP B-TREE"), "{search:?}:\n{plan}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_record_read_walks_an_index_in_page_order_without_sorting() {
    use carebase::record::{CodeQuery, EntryKind, EntryPosition, EntryQuery, PatientScope};
    let t = temp_store().await;
    let after = EntryPosition {
        effective_at: at(5),
        id: carebase::ids::EntryId::new(),
    };
    let timeline = EntryQuery {
        patient: carebase::PatientId::new(),
        kinds: vec![],
        code: None,
        from: Some(at(0)),
        to: Some(at(100)),
        include_retracted: false,
        after: Some(after),
        limit: 50,
    };
    let by_code = |scope| CodeQuery {
        kind: EntryKind::Observation,
        system: "http://loinc.org".into(),
        code: "8867-4".into(),
        from: Some(at(0)),
        to: Some(at(100)),
        scope,
        after: Some(after),
        limit: 50,
    };
    let scopes = [
        PatientScope::All,
        PatientScope::CareTeamOf(carebase::ids::PractitionerId::new()),
    ];
    for scope in scopes {
        let plans = t
            .store
            .explain_record_reads(&timeline, &by_code(scope))
            .await
            .unwrap();
        assert_eq!(plans.len(), 5);
        for plan in plans {
            assert!(!plan.contains("TEMP B-TREE"), "{plan}");
            assert!(
                plan.lines().all(|l| !l.trim_start().starts_with("SCAN")),
                "{plan}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timeline_filtered_by_code_seeks_that_code_whatever_kinds_are_asked() {
    use carebase::record::{CodeQuery, EntryKind, EntryPosition, EntryQuery, PatientScope};
    let t = temp_store().await;
    let after = EntryPosition {
        effective_at: at(5),
        id: carebase::ids::EntryId::new(),
    };
    let code = Some(("http://loinc.org".to_owned(), "8867-4".to_owned()));
    let by_code = CodeQuery {
        kind: EntryKind::Observation,
        system: "http://loinc.org".into(),
        code: "8867-4".into(),
        from: None,
        to: None,
        scope: PatientScope::All,
        after: None,
        limit: 50,
    };
    // No kind (a full reader), several kinds (a codes-only reader), one
    // kind; current views and full histories; first and later pages.
    let kind_lists = [
        vec![],
        vec![
            EntryKind::Encounter,
            EntryKind::Condition,
            EntryKind::Procedure,
        ],
        vec![EntryKind::Observation],
    ];
    for kinds in kind_lists {
        for include_retracted in [false, true] {
            for page_after in [None, Some(after)] {
                let timeline = EntryQuery {
                    patient: carebase::PatientId::new(),
                    kinds: kinds.clone(),
                    code: code.clone(),
                    from: Some(at(0)),
                    to: Some(at(100)),
                    include_retracted,
                    after: page_after,
                    limit: 50,
                };
                let plans = t
                    .store
                    .explain_record_reads(&timeline, &by_code)
                    .await
                    .unwrap();
                let plan = &plans[0];
                let case = format!("{kinds:?} retracted {include_retracted}:\n{plan}");
                assert!(!plan.contains("TEMP B-TREE"), "{case}");
                assert!(
                    plan.lines().all(|l| !l.trim_start().starts_with("SCAN")),
                    "{case}"
                );
                assert!(plan.contains("code_system=? AND code=?"), "{case}");
            }
        }
    }
}

/// A patient's audit listing walks the primary key `(patient_id,
/// chain_seq)` in chain order from the cursor, which it finds through the
/// unique `id`, whatever the filters: no sort, no scan, no other index.
#[tokio::test(flavor = "multi_thread")]
async fn a_patients_audit_listing_walks_the_chain_key_from_its_cursor_without_sorting() {
    let t = temp_store().await;
    let p = PatientId::new();
    let drafts: Vec<_> = (0..5)
        .map(|i| audit_about(Some(p), &format!("x{i}")))
        .collect();
    let actor = drafts[0].actor;
    let after = drafts[1].id;
    t.store.apply(ChangeSet::audit_only(drafts)).await.unwrap();
    for (actor, after) in [
        (None, None),
        (None, Some(after)),
        (Some(actor), None),
        (Some(actor), Some(after)),
    ] {
        let query = AuditQuery {
            patient: Some(p),
            actor,
            after,
            limit: Some(Count32::new(20)),
        };
        let plan = t.store.explain_audit_entries(&query).await.unwrap();
        let text = plan.join("\n");
        assert!(
            plan.iter()
                .any(|l| l.starts_with("SEARCH audit_entries USING PRIMARY KEY (patient_id=?")),
            "the chain key drives the listing, plan:\n{text}"
        );
        assert!(
            !text.contains("TEMP B-TREE") && !text.contains("SCAN"),
            "no sort, no scan:\n{text}"
        );
        assert!(
            !text.contains("audit_entries_actor"),
            "the actor is checked on the chain's rows:\n{text}"
        );
        if after.is_some() {
            assert!(
                plan.iter()
                    .any(|l| l.starts_with("SEARCH c USING INDEX sqlite_autoindex_audit_entries")),
                "the cursor is found through the unique id:\n{text}"
            );
        }
    }
}
