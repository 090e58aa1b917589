//! Specification of prescriptions: the allergy check and its override,
//! renewal in one change set, their own status moves.

mod common;

use carebase::audit::AuditQuery;
use carebase::ids::{EntryId, PractitionerId};
use carebase::record::{
    Allergy, AllergyOverride, AllergyStatus, ClinicalEntry, Coding, EntryBody, Prescription,
    PrescriptionStatus, RevisionKind,
};
use carebase::store::{AuditStore, RecordStore};
use carebase::Count32;
use carebase::Error;
use common::record::RecordWorld;

const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
const PENICILLIN_V: &str = "7980";

fn rxnorm(code: &str) -> Coding {
    Coding {
        system: RXNORM.into(),
        code: code.into(),
        display: Some("a medication".into()),
    }
}

fn prescription(prescriber: PractitionerId, code: &str) -> Prescription {
    Prescription {
        medication: rxnorm(code),
        instructions: None,
        dose: None,
        route: None,
        frequency: None,
        duration: None,
        refills: Count32::new(0),
        prescriber,
        status: PrescriptionStatus::Active,
        replaces: None,
        allergy_overrides: vec![],
    }
}

async fn allergy(r: &RecordWorld, code: &str) -> ClinicalEntry {
    let allergy = Allergy {
        substance: rxnorm(code),
        categories: vec![],
        criticality: None,
        clinical_status: AllergyStatus::Active,
        verification_status: None,
        reactions: vec![],
    };
    r.world
        .clinic
        .record_allergy(&r.world.doctor, r.patient.id, r.now(), None, &allergy)
        .await
        .unwrap()
}

async fn prescribe(r: &RecordWorld, p: &Prescription) -> carebase::Result<ClinicalEntry> {
    r.world
        .clinic
        .prescribe(&r.world.doctor, r.patient.id, r.now(), None, p)
        .await
}

#[tokio::test]
async fn a_prescription_meeting_an_active_allergy_is_refused_naming_the_allergy() {
    let r = RecordWorld::new().await;
    let penicillin = allergy(&r, PENICILLIN_V).await;
    let err = prescribe(&r, &prescription(r.world.practitioner.id, PENICILLIN_V))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "allergy_conflict");
    match &err {
        Error::AllergyConflict { allergies } => assert_eq!(allergies, &vec![penicillin.id]),
        other => panic!("expected allergy_conflict, got {other:?}"),
    }
    assert!(!err.to_string().contains("a medication"));
    let written = r
        .world
        .store
        .entries(&carebase::record::EntryQuery {
            patient: r.patient.id,
            kinds: vec![carebase::record::EntryKind::Prescription],
            code: None,
            from: None,
            to: None,
            include_retracted: true,
            after: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert!(written.is_empty());
}

#[tokio::test]
async fn a_prescription_of_another_medication_is_issued() {
    let r = RecordWorld::new().await;
    allergy(&r, PENICILLIN_V).await;
    let issued = prescribe(&r, &prescription(r.world.practitioner.id, "161"))
        .await
        .unwrap();
    assert_eq!(issued.status(), "active");
}

#[tokio::test]
async fn an_override_with_a_reason_issues_the_prescription_and_is_recorded_and_audited() {
    let r = RecordWorld::new().await;
    let penicillin = allergy(&r, PENICILLIN_V).await;
    let mut p = prescription(r.world.practitioner.id, PENICILLIN_V);
    p.allergy_overrides = vec![AllergyOverride {
        allergy: penicillin.id,
        reason: "desensitised under supervision".into(),
    }];
    let issued = prescribe(&r, &p).await.unwrap();
    let EntryBody::Prescription(stored) = &issued.body else {
        panic!("a prescription")
    };
    assert_eq!(stored.allergy_overrides, p.allergy_overrides);
    let audit = r
        .world
        .store
        .audit_entries(&AuditQuery {
            patient: Some(r.patient.id),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let entry = audit
        .iter()
        .find(|a| a.draft.subject.as_deref() == Some(&format!("entry:{}", issued.id)))
        .unwrap();
    assert!(entry
        .draft
        .reason
        .contains(&format!("allergy override: {}", penicillin.id)));
}

#[tokio::test]
async fn an_override_naming_no_conflicting_allergy_is_refused() {
    let r = RecordWorld::new().await;
    let mut p = prescription(r.world.practitioner.id, PENICILLIN_V);
    p.allergy_overrides = vec![AllergyOverride {
        allergy: EntryId::new(),
        reason: "just in case".into(),
    }];
    let err = prescribe(&r, &p).await.unwrap_err();
    match err {
        Error::Validation { fields } => {
            assert_eq!(fields[0].field, "body.allergy_overrides[0].allergy");
            assert_eq!(fields[0].code, "not_a_conflict");
        }
        other => panic!("expected validation, got {other:?}"),
    }
}

#[tokio::test]
async fn a_retracted_allergy_no_longer_refuses_a_prescription() {
    let r = RecordWorld::new().await;
    let penicillin = allergy(&r, PENICILLIN_V).await;
    r.world
        .clinic
        .retract_entry(
            &r.world.doctor,
            r.patient.id,
            penicillin.id,
            Count32::new(1),
            "wrong patient",
        )
        .await
        .unwrap();
    prescribe(&r, &prescription(r.world.practitioner.id, PENICILLIN_V))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_resolved_allergy_no_longer_refuses_a_prescription() {
    let r = RecordWorld::new().await;
    let penicillin = allergy(&r, PENICILLIN_V).await;
    r.world
        .clinic
        .change_entry_status(
            &r.world.doctor,
            r.patient.id,
            penicillin.id,
            Count32::new(1),
            "resolved",
        )
        .await
        .unwrap();
    prescribe(&r, &prescription(r.world.practitioner.id, PENICILLIN_V))
        .await
        .unwrap();
}

#[tokio::test]
async fn recording_a_prescription_through_record_entry_meets_the_same_allergy_check() {
    let r = RecordWorld::new().await;
    allergy(&r, PENICILLIN_V).await;
    let entry = r.new_entry(EntryBody::Prescription(prescription(
        r.world.practitioner.id,
        PENICILLIN_V,
    )));
    let err = r
        .world
        .clinic
        .record_entry(&r.world.doctor, r.patient.id, &entry)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "allergy_conflict");
}

#[tokio::test]
async fn renewing_writes_a_new_prescription_replacing_the_old_and_completes_the_old_in_one_change()
{
    let r = RecordWorld::new().await;
    let old = prescribe(&r, &prescription(r.world.practitioner.id, "161"))
        .await
        .unwrap();
    let renewed = r
        .world
        .clinic
        .renew_prescription(
            &r.world.doctor,
            r.patient.id,
            old.id,
            Count32::new(1),
            PrescriptionStatus::Completed,
            &prescription(r.world.practitioner.id, "161"),
        )
        .await
        .unwrap();
    let EntryBody::Prescription(body) = &renewed.body else {
        panic!("a prescription")
    };
    assert_eq!(body.replaces, Some(old.id));
    let closed = r
        .world
        .store
        .entry(r.patient.id, old.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(closed.version, 2);
    assert_eq!(closed.status(), "completed");
    assert_eq!(closed.revision.kind, RevisionKind::StatusChanged);
}

#[tokio::test]
async fn renewing_a_prescription_that_moved_on_writes_nothing() {
    let r = RecordWorld::new().await;
    let old = prescribe(&r, &prescription(r.world.practitioner.id, "161"))
        .await
        .unwrap();
    let err = r
        .world
        .clinic
        .renew_prescription(
            &r.world.doctor,
            r.patient.id,
            old.id,
            Count32::new(2),
            PrescriptionStatus::Stopped,
            &prescription(r.world.practitioner.id, "161"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
    let versions = r
        .world
        .store
        .entry_versions(r.patient.id, old.id)
        .await
        .unwrap();
    assert_eq!(versions.len(), 1);
}

#[tokio::test]
async fn a_prescription_is_put_on_hold_and_back_to_active() {
    let r = RecordWorld::new().await;
    let issued = prescribe(&r, &prescription(r.world.practitioner.id, "161"))
        .await
        .unwrap();
    let held = r
        .world
        .clinic
        .change_prescription_status(
            &r.world.doctor,
            r.patient.id,
            issued.id,
            Count32::new(1),
            PrescriptionStatus::OnHold,
        )
        .await
        .unwrap();
    assert_eq!(held.status(), "on-hold");
    let active = r
        .world
        .clinic
        .change_prescription_status(
            &r.world.doctor,
            r.patient.id,
            issued.id,
            Count32::new(2),
            PrescriptionStatus::Active,
        )
        .await
        .unwrap();
    assert_eq!(active.status(), "active");
}

#[tokio::test]
async fn a_completed_prescription_cannot_become_active_again() {
    let r = RecordWorld::new().await;
    let issued = prescribe(&r, &prescription(r.world.practitioner.id, "161"))
        .await
        .unwrap();
    let clinic = &r.world.clinic;
    clinic
        .change_prescription_status(
            &r.world.doctor,
            r.patient.id,
            issued.id,
            Count32::new(1),
            PrescriptionStatus::Completed,
        )
        .await
        .unwrap();
    let err = clinic
        .change_prescription_status(
            &r.world.doctor,
            r.patient.id,
            issued.id,
            Count32::new(2),
            PrescriptionStatus::Active,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
}
