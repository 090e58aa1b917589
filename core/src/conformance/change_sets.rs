//! Change sets as a whole: all or nothing, and a change set that names a
//! record which does not exist fails inside the transaction with
//! `not_found` naming the field, writing nothing.

use crate::{Count32, Count64};
use std::sync::Arc;

use super::patients::{insert, update};
use super::{at, audit_about, patient};
use crate::access::CareAssignment;
use crate::audit::AuditQuery;
use crate::events::EventDraft;
use crate::ids::{ActorId, PatientId, PractitionerId, ResourceId, VisitTypeId};
use crate::schedule::{Availability, Practitioner, Resource, ResourceKind, VisitType};
use crate::store::{AckWrite, CareTeamWrite, ChangeSet, PatientWrite, Reference, Store, Versioned};
use crate::Error;

pub async fn a_change_set_naming_a_missing_record_fails_naming_the_field(store: Arc<dyn Store>) {
    let p = patient("Ref", "Erence", (1990, 1, 1));
    let practitioner = Practitioner {
        id: PractitionerId::new(),
        version: Count64::new(1),
        name: "Dr Exists".into(),
        time_zone: "UTC".into(),
        availability: Availability::default(),
        active: true,
        created_at: at(0),
        updated_at: at(0),
        fhir_extra: None,
    };
    let room = Resource {
        id: ResourceId::new(),
        version: Count64::new(1),
        kind: ResourceKind::Room,
        name: "Room".into(),
        time_zone: "UTC".into(),
        active: true,
    };
    let visit = VisitType {
        id: VisitTypeId::new(),
        version: Count64::new(1),
        code: "v".into(),
        name: "Visit".into(),
        duration_minutes: Count32::new(30),
        buffer_before_minutes: Count32::new(0),
        buffer_after_minutes: Count32::new(0),
        min_notice_minutes: Count32::new(0),
        horizon_days: Count32::new(30),
        max_per_day: None,
        reminder_offsets_minutes: vec![],
    };
    store
        .apply(
            ChangeSet::default()
                .patient(PatientWrite::insert(p.clone(), None))
                .practitioner(Versioned::Insert(practitioner.clone()))
                .resource(Versioned::Insert(room.clone()))
                .visit_type(Versioned::Insert(visit.clone())),
        )
        .await
        .unwrap();
    let existing = [
        Reference::patient(p.id, "patient"),
        Reference::practitioner(practitioner.id, "practitioner"),
        Reference::resource(room.id, "room"),
        Reference::visit_type(visit.id, "visit_type"),
    ];
    let assign = |practitioner| {
        ChangeSet::default()
            .references(
                existing
                    .iter()
                    .cloned()
                    .chain([Reference::practitioner(practitioner, "practitioner")]),
            )
            .care_team(CareTeamWrite::Assign(CareAssignment {
                patient: p.id,
                practitioner,
                assigned_by: ActorId::new(),
                assigned_at: at(1),
            }))
            .audit(audit_about(Some(p.id), "care_team.manage"))
    };
    let nobody = PractitionerId::new();
    let err = store.apply(assign(nobody)).await.unwrap_err();
    assert_eq!(
        err,
        Error::NotFound {
            entity: "practitioner".into(),
            field: Some("practitioner".into()),
        }
    );
    assert!(store.care_team(p.id).await.unwrap().is_empty());
    let audit = store
        .audit_entries(&AuditQuery {
            patient: Some(p.id),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert!(audit.is_empty(), "nothing of the change set was written");
    // One missing alone, or several among found ones: the first missing in
    // the change set's order is named, whichever table each is in.
    for (references, entity, field) in [
        (
            vec![Reference::patient(PatientId::new(), "patient")],
            "patient",
            "patient",
        ),
        (
            vec![Reference::resource(ResourceId::new(), "room")],
            "resource",
            "room",
        ),
        (
            vec![Reference::visit_type(VisitTypeId::new(), "visit_type")],
            "visit type",
            "visit_type",
        ),
        (
            vec![
                existing[0].clone(),
                Reference::visit_type(VisitTypeId::new(), "visit_type"),
                existing[1].clone(),
                Reference::resource(ResourceId::new(), "room"),
            ],
            "visit type",
            "visit_type",
        ),
        (
            vec![
                Reference::patient(PatientId::new(), "patient"),
                existing[3].clone(),
                Reference::practitioner(PractitionerId::new(), "practitioner"),
            ],
            "patient",
            "patient",
        ),
    ] {
        let err = store
            .apply(ChangeSet::default().references(references))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            Error::NotFound {
                entity: entity.into(),
                field: Some(field.into()),
            }
        );
    }
    store.apply(assign(practitioner.id)).await.unwrap();
    assert!(store.is_on_care_team(p.id, practitioner.id).await.unwrap());
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
    } = &mut stale.patients.records[0]
    {
        *expected_version = 9;
        patient.version = Count64::new(10);
    }
    let changes = ChangeSet::default()
        .patient(PatientWrite::insert(fresh.clone(), None))
        .patient(stale.patients.records.remove(0))
        .ack(AckWrite {
            consumer: "c".into(),
            partition: 0,
            seq: 1,
        })
        .audit(audit_about(Some(p.id), "patient.update"))
        .audit(audit_about(None, "x"))
        .event(EventDraft::new(
            "patient.updated",
            Some(p.id),
            "x",
            2,
            serde_json::json!({}),
            at(1),
        ));
    assert_eq!(store.apply(changes).await.unwrap_err().code(), "conflict");
    assert_eq!(store.patient(fresh.id).await.unwrap(), None);
    assert!(store
        .consumer_position("c")
        .await
        .unwrap()
        .iter()
        .all(|p| *p == 0));
    assert!(store
        .audit_entries(&AuditQuery::default())
        .await
        .unwrap()
        .is_empty());
    assert!(store.audit_heads().await.unwrap().is_empty());
    assert!(store.events_after(&[], 10).await.unwrap().is_empty());
}

/// Many change sets in one call: each is answered on its own, in order; a
/// failing one (a missing reference, a taken identifier) writes nothing and
/// the others are stored.
pub async fn apply_each_answers_per_change_set_and_a_failure_stays_alone(store: Arc<dyn Store>) {
    let patients: Vec<_> = (0..5)
        .map(|i| patient("Each", &format!("Item{i}"), (1990, 1, 1 + i)))
        .collect();
    let mut change_sets: Vec<ChangeSet> = patients
        .iter()
        .map(|p| {
            ChangeSet::default()
                .patient(PatientWrite::insert(p.clone(), None))
                .audit(audit_about(Some(p.id), "patient.register"))
        })
        .collect();
    change_sets[2] = change_sets[2]
        .clone()
        .references([Reference::patient(PatientId::new(), "merged_into")]);

    let answers = store.apply_each(change_sets).await;

    assert_eq!(answers.len(), 5);
    for (i, (answer, p)) in answers.iter().zip(&patients).enumerate() {
        let stored = store.patient(p.id).await.unwrap();
        if i == 2 {
            assert_eq!(answer.as_ref().map(|_| ()).unwrap_err().code(), "not_found");
            assert!(stored.is_none(), "the failing change set wrote its patient");
        } else {
            assert_eq!(answer.as_ref().map(|a| a.audit.len()), Ok(1), "item {i}");
            assert!(stored.is_some(), "item {i} was not stored");
        }
    }
    assert!(store.apply_each(Vec::new()).await.is_empty());
}
