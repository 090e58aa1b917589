//! End-to-end flows through [`Clinic`] that every backend must support.

use std::sync::Arc;

use chrono::NaiveDate;

use crate::actor::{Actor, Role};
use crate::clinic::{Clinic, NewPatient};
use crate::ids::{ActorId, PractitionerId};
use crate::patient::{HumanName, PatientDetails, PatientQuery};
use crate::store::Store;

fn details(family: &str, given: &str) -> PatientDetails {
    PatientDetails {
        names: vec![HumanName {
            family: Some(family.into()),
            given: vec![given.into()],
            ..HumanName::default()
        }],
        birth_date: NaiveDate::from_ymd_opt(1984, 7, 1),
        ..PatientDetails::default()
    }
}

fn front_desk() -> Actor {
    Actor::new(ActorId::new(), vec![Role::FrontDesk])
}

pub async fn clinic_registers_searches_and_verifies(store: Arc<dyn Store>) {
    let clinic = Clinic::new(store);
    let desk = front_desk();
    let jose = clinic
        .register_patient(
            &desk,
            NewPatient {
                details: details("Núñez", "José"),
                mrn_facility: None,
            },
        )
        .await
        .unwrap();
    let query = PatientQuery {
        name: Some("jose".into()),
        ..PatientQuery::default()
    };
    let page = clinic.search_patients(&desk, &query).await.unwrap();
    assert_eq!(
        page.items.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![jose.id]
    );
    let system = Actor::system();
    let report = clinic.verify_audit(&system, None).await.unwrap();
    assert!(report.ok, "{report:?}");
    assert!(report.entries_checked >= 2);
}

pub async fn clinic_merge_then_unmerge_restores_the_record(store: Arc<dyn Store>) {
    let clinic = Clinic::new(store);
    let system = Actor::system();
    let keep = clinic
        .register_patient(
            &system,
            NewPatient {
                details: details("Okafor", "Chi"),
                mrn_facility: None,
            },
        )
        .await
        .unwrap();
    let gone = clinic
        .register_patient(
            &system,
            NewPatient {
                details: details("Okafor", "Chi"),
                mrn_facility: None,
            },
        )
        .await
        .unwrap();
    let dupes = clinic.find_duplicates(&system, keep.id, 5).await.unwrap();
    assert_eq!(dupes.first().map(|d| d.patient.id), Some(gone.id));
    let merge = clinic
        .merge_patients(&system, keep.id, keep.version, gone.id, gone.version)
        .await
        .unwrap();
    let merged = clinic.get_patient(&system, gone.id).await.unwrap();
    assert_eq!(merged.merged_into, Some(keep.id));
    assert!(!merged.active);
    let restored = clinic.unmerge_patients(&system, merge.id).await.unwrap();
    assert_eq!(
        (restored.details, restored.active, restored.merged_into),
        (gone.details, gone.active, gone.merged_into)
    );
    let log = clinic.merge_history(&system, keep.id).await.unwrap();
    assert!(log[0].unmerged_at.is_some());
    assert!(clinic.verify_audit(&system, None).await.unwrap().ok);
}

pub async fn clinic_outbox_redelivers_until_acknowledged(store: Arc<dyn Store>) {
    let clinic = Clinic::new(store);
    let system = Actor::system();
    clinic
        .register_patient(
            &system,
            NewPatient {
                details: details("Ev", "Ent"),
                mrn_facility: None,
            },
        )
        .await
        .unwrap();
    let first = clinic.poll_events(&system, "relay", 10).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(
        clinic.poll_events(&system, "relay", 10).await.unwrap(),
        first,
        "redelivered until acked"
    );
    clinic
        .ack_events(&system, "relay", first[0].partition, first[0].seq)
        .await
        .unwrap();
    assert!(clinic
        .poll_events(&system, "relay", 10)
        .await
        .unwrap()
        .is_empty());
}

pub async fn clinic_break_glass_access_is_flagged(store: Arc<dyn Store>) {
    let clinic = Clinic::new(store);
    let desk = front_desk();
    let p = clinic
        .register_patient(
            &desk,
            NewPatient {
                details: details("Er", "Case"),
                mrn_facility: None,
            },
        )
        .await
        .unwrap();
    let doctor = Actor::practitioner(ActorId::new(), PractitionerId::new());
    assert_eq!(
        clinic.get_patient(&doctor, p.id).await.unwrap_err().code(),
        "forbidden"
    );
    let grant = clinic
        .request_emergency_access(&doctor, p.id, "unresponsive patient in er", None)
        .await
        .unwrap();
    clinic.get_patient(&doctor, p.id).await.unwrap();
    let admin = Actor::new(ActorId::new(), vec![Role::Admin]);
    let log = clinic.who_accessed(&admin, p.id, None).await.unwrap();
    assert!(log
        .iter()
        .any(|r| r.actor == doctor.id && r.action == "patient.read" && r.break_glass));
    let pending = clinic.grants_awaiting_review(&admin, 10).await.unwrap();
    assert_eq!(
        pending.iter().map(|g| g.id).collect::<Vec<_>>(),
        vec![grant.id]
    );
    clinic
        .review_emergency_access(&admin, grant.id, Some("justified"))
        .await
        .unwrap();
    assert!(clinic
        .grants_awaiting_review(&admin, 10)
        .await
        .unwrap()
        .is_empty());
}
