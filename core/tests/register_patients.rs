//! Specification of `register_patients`: many registrations in one call,
//! each following `register_patient`'s rules, answered one by one.

mod common;

use carebase::audit::{AuditQuery, Outcome};
use carebase::clinic::NewPatient;
use carebase::limits::{MAX_BATCH_CHANGE_SETS, MAX_BATCH_PATIENTS};
use carebase::patient::Identifier;
use carebase::store::{AuditStore, OutboxStore, PatientStore};
use carebase::{Error, Role};
use common::{actor, clinic, details, MRN_SYSTEM};
use proptest::prelude::*;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

/// The `i`th patient of a batch: valid unless `bad`, carrying card `card`.
fn new_patient(i: usize, bad: bool, card: u8) -> NewPatient {
    let born = if bad { (3000, 1, 1) } else { (1980, 5, 17) };
    let mut details = details("Batch", &format!("N{i}"), born);
    details.identifiers.push(Identifier {
        system: "urn:test:card".into(),
        value: format!("card-{card}"),
    });
    NewPatient {
        details,
        mrn_facility: None,
    }
}

#[tokio::test]
async fn an_actor_who_may_not_register_gets_one_forbidden_for_the_whole_batch() {
    let (clinic, store, _) = clinic();
    let batch = (0..3).map(|i| new_patient(i, false, i as u8)).collect();
    let err = clinic
        .register_patients(&actor(Role::Patient), batch)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let denied = store.audit_entries(&AuditQuery::default()).await.unwrap();
    assert_eq!(
        denied.len(),
        1,
        "one denial is audited, not one per patient"
    );
    assert_eq!(denied[0].draft.outcome, Outcome::Denied);
    assert!(store.events_after(&[], 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn more_patients_than_the_bound_is_a_validation_error_naming_patients_and_registers_none() {
    let (clinic, store, _) = clinic();
    let batch = (0..=MAX_BATCH_PATIENTS)
        .map(|i| new_patient(i, false, 0))
        .collect();
    let err = clinic
        .register_patients(&actor(Role::FrontDesk), batch)
        .await
        .unwrap_err();
    let Error::Validation { fields } = err else {
        panic!("expected validation, got {err:?}");
    };
    assert_eq!(
        (fields[0].field.as_str(), fields[0].code.as_str()),
        ("patients", "too_many")
    );
    assert!(store.events_after(&[], 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_empty_batch_answers_nothing() {
    let (clinic, _, _) = clinic();
    let answer = clinic
        .register_patients(&actor(Role::FrontDesk), Vec::new())
        .await
        .unwrap();
    assert!(answer.answers.is_empty());
    assert_eq!((answer.registered.get(), answer.refused.get()), (0, 0));
}

#[tokio::test]
async fn a_batch_larger_than_one_store_round_answers_in_input_order() {
    let (clinic, _, _) = clinic();
    let count = MAX_BATCH_CHANGE_SETS * 2 + 3;
    let batch = (0..count)
        .map(|i| NewPatient {
            details: details("Order", &format!("N{i}"), (1980, 5, 17)),
            mrn_facility: None,
        })
        .collect();
    let answer = clinic
        .register_patients(&actor(Role::FrontDesk), batch)
        .await
        .unwrap();
    let given: Vec<String> = answer
        .answers
        .iter()
        .map(|a| a.patient.as_ref().unwrap().details.names[0].given[0].clone())
        .collect();
    let expected: Vec<String> = (0..count).map(|i| format!("N{i}")).collect();
    assert_eq!(given, expected);
}

#[tokio::test]
async fn each_patient_of_a_batch_gets_its_own_mrn_from_the_facility() {
    let (clinic, _, _) = clinic();
    let batch = (0..3)
        .map(|i| NewPatient {
            details: details("Mrn", &format!("N{i}"), (1980, 5, 17)),
            mrn_facility: Some("north".into()),
        })
        .collect();
    let answer = clinic
        .register_patients(&actor(Role::FrontDesk), batch)
        .await
        .unwrap();
    let mut mrns: Vec<String> = answer
        .answers
        .iter()
        .flat_map(|a| a.patient.as_ref().unwrap().details.identifiers.clone())
        .filter(|id| id.system == MRN_SYSTEM)
        .map(|id| id.value)
        .collect();
    mrns.sort();
    mrns.dedup();
    assert_eq!(mrns.len(), 3);
}

#[tokio::test]
async fn a_batch_numbers_its_valid_patients_consecutively_in_input_order_and_skips_the_refused() {
    let (clinic, store, _) = clinic();
    // The second is born in the future: refused before any number is taken.
    let batch: Vec<NewPatient> = (0..4)
        .map(|i| NewPatient {
            details: details(
                "Mrn",
                &format!("N{i}"),
                if i == 1 { (3000, 1, 1) } else { (1980, 5, 17) },
            ),
            mrn_facility: Some("north".into()),
        })
        .collect();
    let answer = clinic
        .register_patients(&actor(Role::FrontDesk), batch)
        .await
        .unwrap();
    let numbers: Vec<Option<String>> = answer
        .answers
        .iter()
        .map(|a| {
            let patient = a.patient.as_ref()?;
            let mrn = patient
                .details
                .identifiers
                .iter()
                .find(|id| id.system == MRN_SYSTEM)?;
            Some(mrn.value[..7].to_owned())
        })
        .collect();
    let expected = [Some("0000001"), None, Some("0000002"), Some("0000003")];
    assert_eq!(numbers, expected.map(|n| n.map(str::to_owned)));
    assert_eq!(
        store.counter("mrn:north").await.unwrap(),
        3,
        "a refused patient takes no number"
    );
}

#[tokio::test]
async fn a_refused_patient_of_a_batch_is_audited_as_failed_with_its_code() {
    let (clinic, store, _) = clinic();
    let batch = vec![new_patient(0, true, 0)];
    let answer = clinic
        .register_patients(&actor(Role::FrontDesk), batch)
        .await
        .unwrap();
    assert_eq!(answer.refused, 1);
    let entries = store.audit_entries(&AuditQuery::default()).await.unwrap();
    assert!(entries
        .iter()
        .any(|e| e.draft.outcome == Outcome::Failed && e.draft.reason == "validation"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// For any batch (valid, invalid, clashing identifiers), every patient
    /// is answered once, and each registered one reads back as answered.
    #[test]
    fn every_patient_is_answered_once_and_each_registered_one_reads_back(
        items in prop::collection::vec((any::<bool>(), 0u8..6), 0..24)
    ) {
        block_on(async {
            let (clinic, store, _) = clinic();
            let batch: Vec<NewPatient> = items
                .iter()
                .enumerate()
                .map(|(i, (bad, card))| new_patient(i, *bad, *card))
                .collect();
            let answer = clinic
                .register_patients(&actor(Role::FrontDesk), batch)
                .await
                .unwrap();
            assert_eq!(answer.answers.len(), items.len());
            assert_eq!(usize::from(answer.registered + answer.refused.get()), items.len());
            let mut cards_taken = std::collections::HashSet::new();
            for (answer, (bad, card)) in answer.answers.iter().zip(&items) {
                assert!(answer.patient.is_some() != answer.refusal.is_some());
                // The first valid holder of a card wins it; later ones conflict.
                let expect_registered = !bad && cards_taken.insert(*card);
                assert_eq!(answer.patient.is_some(), expect_registered);
                if let Some(patient) = &answer.patient {
                    let stored = store.patient(patient.id).await.unwrap().unwrap();
                    assert_eq!(&stored, patient);
                }
                if let Some(refusal) = &answer.refusal {
                    let expected = if *bad { "validation" } else { "conflict" };
                    assert_eq!(refusal.code, expected);
                }
            }
            let events = store.events_after(&[], 100).await.unwrap();
            assert_eq!(events.len(), usize::from(answer.registered));
        });
    }
}
