//! Specification of the patient registry through the Clinic.

mod common;

use carebase::audit::{AuditQuery, Outcome};
use carebase::patient::{ContactPoint, ContactSystem, Identifier, PatientField, PatientQuery};
use carebase::store::{AuditStore, OutboxStore, PatientStore};
use carebase::{ConflictDetail, Error, Role};
use carebase::{Count32, Count64};
use common::{actor, clinic, details, MRN_SYSTEM};

use carebase::clinic::NewPatient;

fn new(family: &str, given: &str) -> NewPatient {
    NewPatient {
        details: details(family, given, (1984, 7, 1)),
        mrn_facility: None,
    }
}

#[tokio::test]
async fn registration_reports_every_invalid_field_at_once() {
    let (clinic, _, _) = clinic();
    let mut bad = details("", "", (2999, 1, 1));
    bad.telecom.push(ContactPoint {
        system: ContactSystem::Email,
        value: "not-an-email".into(),
        usage: None,
    });
    let err = clinic
        .register_patient(
            &actor(Role::FrontDesk),
            NewPatient {
                details: bad,
                mrn_facility: None,
            },
        )
        .await
        .unwrap_err();
    let Error::Validation { fields } = &err else {
        panic!("expected validation, got {}", err.code())
    };
    let paths: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
    assert!(paths.iter().any(|p| p.starts_with("names")), "{paths:?}");
    assert!(paths.contains(&"birth_date"), "{paths:?}");
    assert!(
        paths.iter().any(|p| p.starts_with("telecom[1]")),
        "{paths:?}"
    );
    assert!(!err.to_string().contains("not-an-email"));
}

#[tokio::test]
async fn failed_registration_is_audited_without_writing_a_patient() {
    let (clinic, store, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let mut bad = details("X", "Y", (1990, 1, 1));
    bad.names.clear();
    let _ = clinic
        .register_patient(
            &desk,
            NewPatient {
                details: bad,
                mrn_facility: None,
            },
        )
        .await;
    let entries = store.audit_entries(&AuditQuery::default()).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].draft.outcome, Outcome::Failed);
    assert_eq!(entries[0].draft.reason, "validation");
    assert!(store.events_after(&[], 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn registration_assigns_a_check_digit_mrn_in_the_same_transaction() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let a = clinic
        .register_patient(
            &desk,
            NewPatient {
                mrn_facility: Some("north".into()),
                ..new("A", "A")
            },
        )
        .await
        .unwrap();
    let b = clinic
        .register_patient(
            &desk,
            NewPatient {
                mrn_facility: Some("north".into()),
                ..new("B", "B")
            },
        )
        .await
        .unwrap();
    let mrn = |p: &carebase::patient::Patient| p.details.identifiers[0].value.clone();
    assert_eq!(mrn(&a), "00000018");
    assert_eq!(mrn(&b), "00000026");
    assert!(carebase::patient::CheckDigit::Luhn.is_valid(&mrn(&b)));
}

#[tokio::test]
async fn generated_mrns_are_unique_under_concurrency() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let all = futures::future::join_all((0..20).map(|_| clinic.generate_mrn(&desk, "north"))).await;
    let mut values: Vec<_> = all.into_iter().map(|r| r.unwrap().value).collect();
    values.sort();
    values.dedup();
    assert_eq!(values.len(), 20);
}

#[tokio::test]
async fn identifier_with_a_wrong_check_digit_is_rejected() {
    let (clinic, _, _) = clinic();
    let mut p = new("A", "A");
    p.details.identifiers.push(Identifier {
        system: MRN_SYSTEM.into(),
        value: "00000019".into(),
    });
    let err = clinic
        .register_patient(&actor(Role::FrontDesk), p)
        .await
        .unwrap_err();
    let Error::Validation { fields } = err else {
        panic!("expected validation")
    };
    assert_eq!(fields[0].code, "check_digit");
}

#[tokio::test]
async fn duplicate_identifier_conflict_names_the_system_not_the_value() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let mut p = new("A", "A");
    p.details.identifiers.push(Identifier {
        system: "urn:ssn".into(),
        value: "123-45-6789".into(),
    });
    clinic.register_patient(&desk, p.clone()).await.unwrap();
    let err = clinic.register_patient(&desk, p).await.unwrap_err();
    assert_eq!(
        err,
        Error::Conflict {
            detail: ConflictDetail::DuplicateIdentifier {
                system: "urn:ssn".into()
            }
        }
    );
    assert!(!err.to_string().contains("123-45"));
}

#[tokio::test]
async fn update_with_a_stale_version_is_a_conflict() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let p = clinic.register_patient(&desk, new("A", "A")).await.unwrap();
    let v2 = clinic
        .update_patient(
            &desk,
            p.id,
            Count64::new(1),
            details("A", "Changed", (1984, 7, 1)),
        )
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    let err = clinic
        .update_patient(
            &desk,
            p.id,
            Count64::new(1),
            details("A", "Lost", (1984, 7, 1)),
        )
        .await
        .unwrap_err();
    assert_eq!(err, Error::stale("patient", 1, 2));
}

#[tokio::test]
async fn deactivate_then_reactivate_round_trips_the_active_flag() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let p = clinic.register_patient(&desk, new("A", "A")).await.unwrap();
    let off = clinic
        .deactivate_patient(&desk, p.id, Count64::new(1))
        .await
        .unwrap();
    assert!(!off.active);
    assert_eq!(
        clinic
            .deactivate_patient(&desk, p.id, Count64::new(2))
            .await
            .unwrap_err()
            .code(),
        "conflict"
    );
    let on = clinic
        .reactivate_patient(&desk, p.id, Count64::new(2))
        .await
        .unwrap();
    assert!(on.active);
    assert_eq!(on.version, 3);
}

#[tokio::test]
async fn search_finds_accented_names_from_plain_prefixes() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let jose = clinic
        .register_patient(&desk, new("Núñez", "José"))
        .await
        .unwrap();
    clinic
        .register_patient(&desk, new("Smith", "Ann"))
        .await
        .unwrap();
    let page = clinic
        .search_patients(
            &desk,
            &PatientQuery {
                name: Some("JOSE nun".into()),
                ..PatientQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        page.items.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![jose.id]
    );
}

#[tokio::test]
async fn each_search_result_is_audited_as_read() {
    let (clinic, store, _) = clinic();
    let desk = actor(Role::FrontDesk);
    for i in 0..3 {
        clinic
            .register_patient(&desk, new("Same", &format!("N{i}")))
            .await
            .unwrap();
    }
    let page = clinic
        .search_patients(
            &desk,
            &PatientQuery {
                name: Some("same".into()),
                ..PatientQuery::default()
            },
        )
        .await
        .unwrap();
    for p in &page.items {
        let q = AuditQuery {
            patient: Some(p.id),
            ..AuditQuery::default()
        };
        let actions: Vec<_> = store
            .audit_entries(&q)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.draft.action)
            .collect();
        assert_eq!(actions, vec!["patient.register", "patient.search"]);
    }
}

#[tokio::test]
async fn search_pages_follow_the_cursor_to_the_end() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    for i in 0..5 {
        clinic
            .register_patient(&desk, new("Page", &format!("N{i}")))
            .await
            .unwrap();
    }
    let mut query = PatientQuery {
        name: Some("page".into()),
        limit: Some(Count32::new(2)),
        ..PatientQuery::default()
    };
    let mut sizes = Vec::new();
    loop {
        let page = clinic.search_patients(&desk, &query).await.unwrap();
        sizes.push(page.items.len());
        match page.next_cursor {
            Some(c) => query.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(sizes, vec![2, 2, 1]);
}

#[tokio::test]
async fn a_name_search_pages_by_the_matching_name_then_by_registration() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let mut registered = Vec::new();
    for (family, given) in [
        ("Martin", "Ann"),
        ("Marx", "Bob"),
        ("Lee", "Mara"),
        ("Martin", "Cy"),
        ("Marsh", "Marco"),
    ] {
        let p = clinic
            .register_patient(&desk, new(family, given))
            .await
            .unwrap();
        registered.push(p.id);
    }
    let mut query = PatientQuery {
        name: Some("mar".into()),
        limit: Some(Count32::new(2)),
        ..PatientQuery::default()
    };
    let mut seen = Vec::new();
    loop {
        let page = clinic.search_patients(&desk, &query).await.unwrap();
        seen.extend(page.items.iter().map(|p| p.id));
        match page.next_cursor {
            Some(c) => query.cursor = Some(c),
            None => break,
        }
    }
    // mara (Lee), marco (Marsh, its smaller name), martin (Ann, then Cy), marx.
    let [ann, bob, lee, cy, marsh] = registered[..] else {
        panic!("five registered")
    };
    assert_eq!(seen, vec![lee, marsh, ann, cy, bob]);
}

#[tokio::test]
async fn a_cursor_from_a_search_without_a_name_is_refused_by_a_name_search() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    for given in ["A", "B"] {
        clinic
            .register_patient(&desk, new("Cursor", given))
            .await
            .unwrap();
    }
    let by_id = PatientQuery {
        limit: Some(Count32::new(1)),
        ..PatientQuery::default()
    };
    let cursor = clinic
        .search_patients(&desk, &by_id)
        .await
        .unwrap()
        .next_cursor;
    let by_name = PatientQuery {
        name: Some("cursor".into()),
        cursor,
        ..PatientQuery::default()
    };
    let Error::Validation { fields } = clinic.search_patients(&desk, &by_name).await.unwrap_err()
    else {
        panic!("expected validation")
    };
    assert_eq!(
        fields.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(),
        ["invalid_cursor"]
    );
}

#[tokio::test]
async fn a_forged_cursor_and_a_zero_limit_are_both_reported() {
    let (clinic, _, _) = clinic();
    let query = PatientQuery {
        cursor: Some("garbage".into()),
        limit: Some(Count32::new(0)),
        ..PatientQuery::default()
    };
    let Error::Validation { fields } = clinic
        .search_patients(&actor(Role::FrontDesk), &query)
        .await
        .unwrap_err()
    else {
        panic!("expected validation")
    };
    let mut names: Vec<_> = fields.into_iter().map(|f| f.field).collect();
    names.sort();
    assert_eq!(names, vec!["cursor", "limit"]);
}

#[tokio::test]
async fn billing_sees_claim_fields_but_not_contacts() {
    let (clinic, _, _) = clinic();
    let p = clinic
        .register_patient(&actor(Role::FrontDesk), new("Bill", "Able"))
        .await
        .unwrap();
    let seen = clinic
        .get_patient(&actor(Role::Billing), p.id)
        .await
        .unwrap();
    assert!(seen.details.telecom.is_empty());
    assert!(seen.hidden_fields.contains(&PatientField::Telecom));
    assert_eq!(seen.details.names, p.details.names);
}

#[tokio::test]
async fn an_update_through_a_masked_view_keeps_the_hidden_fields() {
    let (clinic, store, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let p = clinic
        .register_patient(&desk, new("Mask", "Keep"))
        .await
        .unwrap();
    let system = carebase::Actor::system();
    let nurse_policy = carebase::policy::Policy::from_toml(
        r#"
version = 1
[[rules]]
id = "desk-names-only"
roles = ["front_desk"]
permissions = ["patient.read", "patient.update"]
relationship = "any"
fields = ["names"]
[[rules]]
id = "system"
roles = ["system"]
permissions = ["policy.manage"]
relationship = "any"
"#,
    )
    .unwrap();
    clinic.replace_policy(&system, nurse_policy).await.unwrap();
    let seen = clinic.get_patient(&desk, p.id).await.unwrap();
    assert!(seen.details.telecom.is_empty());
    let mut edit = seen.details.clone();
    edit.names[0].given = vec!["Renamed".into()];
    clinic
        .update_patient(&desk, p.id, seen.version, edit)
        .await
        .unwrap();
    let stored = store.patient(p.id).await.unwrap().unwrap();
    assert_eq!(
        stored.details.telecom, p.details.telecom,
        "hidden telecom kept"
    );
    assert_eq!(stored.details.names[0].given, vec!["Renamed".to_string()]);
}

#[tokio::test]
async fn reading_a_missing_patient_is_not_found() {
    let (clinic, _, _) = clinic();
    let err = clinic
        .get_patient(&actor(Role::FrontDesk), carebase::PatientId::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
}

#[tokio::test]
async fn debug_output_never_shows_demographics() {
    let (clinic, _, _) = clinic();
    let p = clinic
        .register_patient(&actor(Role::FrontDesk), new("Secretname", "Hidden"))
        .await
        .unwrap();
    let text = format!("{p:?} {:?}", p.details);
    assert!(
        !text.contains("Secretname") && !text.contains("Hidden") && !text.contains("1984"),
        "{text}"
    );
}

#[tokio::test]
async fn an_unknown_mrn_facility_is_reported_with_the_other_invalid_fields() {
    let (clinic, _, _) = clinic();
    let mut bad = new("", "");
    bad.mrn_facility = Some("south".into());
    let Error::Validation { fields } = clinic
        .register_patient(&actor(Role::FrontDesk), bad)
        .await
        .unwrap_err()
    else {
        panic!("expected validation")
    };
    let paths: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
    assert!(paths.contains(&"mrn_facility"), "{paths:?}");
    assert!(paths.iter().any(|p| p.starts_with("names")), "{paths:?}");
}
