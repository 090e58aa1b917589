//! Specification of "my patients": `patients_of_practitioner`, the patients
//! on a practitioner's care teams, paged, masked and audited per patient.

mod common;

use carebase::audit::{AuditQuery, Outcome};
use carebase::clinic::NewPatient;
use carebase::patient::{PageQuery, Patient, PatientField};
use carebase::store::AuditStore;
use carebase::Count32;
use carebase::{Actor, ActorId, Clinic, Error, PatientId, PractitionerId, Role};
use common::{actor, clinic, details};

async fn registered(clinic: &Clinic, family: &str) -> Patient {
    let new = NewPatient {
        details: details(family, "Ann", (1970, 3, 3)),
        mrn_facility: None,
    };
    let front_desk = actor(Role::FrontDesk);
    clinic.register_patient(&front_desk, new).await.unwrap()
}

/// A doctor registered as a practitioner, so they can join care teams.
async fn registered_doctor(clinic: &Clinic) -> Actor {
    let practitioner = clinic
        .add_practitioner(
            &Actor::system(),
            carebase::schedule::NewPractitioner {
                id: None,
                name: "Dr Care".into(),
                time_zone: "UTC".into(),
                availability: Default::default(),
            },
        )
        .await
        .unwrap();
    Actor::practitioner(ActorId::new(), practitioner.id)
}

/// `count` patients on `doc`'s care team and one on nobody's, ids sorted.
async fn with_patients(clinic: &Clinic, doc: &Actor, count: usize) -> Vec<PatientId> {
    let admin = actor(Role::Admin);
    let mut ids = Vec::new();
    for i in 0..count {
        let p = registered(clinic, &format!("Mine{i}")).await;
        let pr = doc.practitioner.unwrap();
        clinic.assign_care_team(&admin, p.id, pr).await.unwrap();
        ids.push(p.id);
    }
    registered(clinic, "Nobodys").await;
    ids.sort();
    ids
}

fn page(limit: u32, cursor: Option<String>) -> PageQuery {
    PageQuery {
        limit: Some(Count32::new(limit)),
        cursor,
        ..PageQuery::default()
    }
}

#[tokio::test]
async fn a_practitioner_lists_the_patients_on_their_care_teams() {
    let (clinic, _, _) = clinic();
    let doc = registered_doctor(&clinic).await;
    let mine = with_patients(&clinic, &doc, 3).await;
    let pr = doc.practitioner.unwrap();
    let listed = clinic
        .patients_of_practitioner(&doc, pr, &PageQuery::default())
        .await
        .unwrap();
    let ids: Vec<_> = listed.items.iter().map(|p| p.id).collect();
    assert_eq!(ids, mine);
    assert_eq!(listed.next_cursor, None);
}

#[tokio::test]
async fn pages_follow_the_cursor_without_repeats_or_skips() {
    let (clinic, _, _) = clinic();
    let doc = registered_doctor(&clinic).await;
    let mine = with_patients(&clinic, &doc, 5).await;
    let pr = doc.practitioner.unwrap();
    let (mut seen, mut cursor) = (Vec::new(), None);
    loop {
        let got = clinic
            .patients_of_practitioner(&doc, pr, &page(2, cursor))
            .await
            .unwrap();
        assert!(got.items.len() <= 2);
        seen.extend(got.items.iter().map(|p| p.id));
        cursor = got.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, mine);
}

#[tokio::test]
async fn the_practitioner_sees_their_patients_whole_and_an_admin_sees_only_who_they_are() {
    let (clinic, _, _) = clinic();
    let doc = registered_doctor(&clinic).await;
    with_patients(&clinic, &doc, 1).await;
    let pr = doc.practitioner.unwrap();
    let query = PageQuery::default();
    let own = clinic.patients_of_practitioner(&doc, pr, &query).await;
    assert!(own.unwrap().items[0].hidden_fields.is_empty());
    let admin = actor(Role::Admin);
    let by_admin = clinic.patients_of_practitioner(&admin, pr, &query).await;
    let seen = by_admin.unwrap().items.remove(0);
    assert!(seen.hidden_fields.contains(&PatientField::Telecom));
    assert!(seen.hidden_fields.contains(&PatientField::BirthDate));
    assert!(seen.details.telecom.is_empty());
    assert_eq!(seen.details.birth_date, None);
}

#[tokio::test]
async fn every_returned_patient_is_audited_under_its_own_chain() {
    let (clinic, store, _) = clinic();
    let doc = registered_doctor(&clinic).await;
    let mine = with_patients(&clinic, &doc, 3).await;
    let pr = doc.practitioner.unwrap();
    clinic
        .patients_of_practitioner(&doc, pr, &page(2, None))
        .await
        .unwrap();
    let entries = store
        .audit_entries(&AuditQuery {
            actor: Some(doc.id),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let mut audited: Vec<_> = entries.iter().filter_map(|e| e.draft.patient).collect();
    audited.sort();
    assert_eq!(audited, mine[..2]);
    assert!(entries.iter().all(|e| e.draft.outcome == Outcome::Success));
    assert!(
        clinic
            .verify_audit(&Actor::system(), None)
            .await
            .unwrap()
            .ok
    );
}

#[tokio::test]
async fn another_practitioners_list_is_forbidden_and_the_denial_audited() {
    let (clinic, store, _) = clinic();
    let doc = registered_doctor(&clinic).await;
    let other = registered_doctor(&clinic).await;
    let pr = other.practitioner.unwrap();
    let err = clinic
        .patients_of_practitioner(&doc, pr, &PageQuery::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err}");
    let entries = store
        .audit_entries(&AuditQuery {
            actor: Some(doc.id),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].draft.outcome, Outcome::Denied);
}

#[tokio::test]
async fn a_nurse_or_front_desk_may_not_list_anyones_patients() {
    let (clinic, _, _) = clinic();
    let doc = registered_doctor(&clinic).await;
    let pr = doc.practitioner.unwrap();
    for role in [Role::Nurse, Role::FrontDesk, Role::Billing] {
        let err = clinic
            .patients_of_practitioner(&actor(role), pr, &PageQuery::default())
            .await
            .unwrap_err();
        assert_eq!(err.code(), "forbidden");
    }
}

#[tokio::test]
async fn an_unknown_practitioner_is_not_found_naming_practitioner() {
    let (clinic, _, _) = clinic();
    let unknown = PractitionerId::new();
    let err = clinic
        .patients_of_practitioner(&actor(Role::Admin), unknown, &PageQuery::default())
        .await
        .unwrap_err();
    let Error::NotFound { entity, field } = err else {
        panic!("expected not_found, got {err}")
    };
    assert_eq!(entity, "practitioner");
    assert_eq!(field.as_deref(), Some("practitioner"));
}

#[tokio::test]
async fn a_bad_cursor_and_limit_are_refused_naming_both_fields() {
    let (clinic, _, _) = clinic();
    let doc = registered_doctor(&clinic).await;
    let pr = doc.practitioner.unwrap();
    let query = page(0, Some("not-a-cursor".into()));
    let err = clinic
        .patients_of_practitioner(&doc, pr, &query)
        .await
        .unwrap_err();
    let Error::Validation { fields } = err else {
        panic!("expected validation, got {err}")
    };
    let mut named: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
    named.sort();
    assert_eq!(named, ["cursor", "limit"]);
}

#[tokio::test]
async fn the_default_page_holds_twenty_patients() {
    let (clinic, _, _) = clinic();
    let doc = registered_doctor(&clinic).await;
    with_patients(&clinic, &doc, 21).await;
    let pr = doc.practitioner.unwrap();
    let first = clinic
        .patients_of_practitioner(&doc, pr, &PageQuery::default())
        .await
        .unwrap();
    assert_eq!(first.items.len(), 20);
    assert!(first.next_cursor.is_some());
}

#[tokio::test]
async fn merged_away_patients_are_never_listed_and_inactive_ones_only_on_request() {
    let (c, _, _) = clinic();
    let doc = registered_doctor(&c).await;
    let mine = with_patients(&c, &doc, 3).await;
    let system = Actor::system();
    let mut patients = Vec::new();
    for id in &mine {
        patients.push(c.get_patient(&system, *id).await.unwrap());
    }
    let (kept, gone, quiet) = (&patients[0], &patients[1], &patients[2]);
    c.merge_patients(&system, kept.id, kept.version, gone.id, gone.version)
        .await
        .unwrap();
    c.deactivate_patient(&system, quiet.id, quiet.version)
        .await
        .unwrap();
    let pr = doc.practitioner.unwrap();
    let today = c
        .patients_of_practitioner(&doc, pr, &PageQuery::default())
        .await
        .unwrap();
    let today: Vec<_> = today.items.iter().map(|p| p.id).collect();
    assert_eq!(today, vec![kept.id]);
    let everyone = PageQuery {
        include_inactive: true,
        ..PageQuery::default()
    };
    let everyone = c
        .patients_of_practitioner(&doc, pr, &everyone)
        .await
        .unwrap();
    let mut expected = vec![kept.id, quiet.id];
    expected.sort();
    assert_eq!(
        everyone.items.iter().map(|p| p.id).collect::<Vec<_>>(),
        expected
    );
}
