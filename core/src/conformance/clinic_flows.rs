//! End-to-end flows through [`Clinic`] that every backend must support.

use crate::Count32;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::actor::{Actor, Role};
use crate::audit::AuditQuery;
use crate::clinic::{Clinic, NewPatient};
use crate::events::{partition_of, OutboxEvent, PATIENT_MERGED, PATIENT_UNMERGED};
use crate::ids::{ActorId, PatientId, PractitionerId};
use crate::patient::{HumanName, Identifier, MergeRecord, Patient, PatientDetails, PatientQuery};
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
    let dupes = clinic
        .find_duplicates(&system, keep.id, Count32::new(5))
        .await
        .unwrap();
    assert_eq!(dupes.first().map(|d| d.patient.id), Some(gone.id));
    let merge = merge_into(&clinic, &keep, &gone).await;
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

/// A patient registered by the system actor.
async fn registered(clinic: &Clinic, family: &str, given: &str) -> Patient {
    clinic
        .register_patient(
            &Actor::system(),
            NewPatient {
                details: details(family, given),
                mrn_facility: None,
            },
        )
        .await
        .unwrap()
}

/// Everything a relay polls from the start.
async fn polled(clinic: &Clinic) -> Vec<OutboxEvent> {
    clinic
        .poll_events(&Actor::system(), "relay", Count32::new(1000))
        .await
        .unwrap()
}

/// One patient's stream as its consumer reads it: the events about the
/// patient, each checked to be in the patient's partition, in order.
fn stream_of(events: &[OutboxEvent], patient: PatientId, partitions: u32) -> Vec<&OutboxEvent> {
    let own: Vec<_> = events
        .iter()
        .filter(|e| e.draft.patient == Some(patient))
        .collect();
    for event in &own {
        assert_eq!(
            event.partition,
            partition_of(Some(patient), partitions),
            "{} is outside its patient's partition",
            event.draft.kind
        );
    }
    own
}

fn kinds(stream: &[&OutboxEvent]) -> Vec<String> {
    stream.iter().map(|e| e.draft.kind.clone()).collect()
}

/// `gone` merged into `keep` by the system.
async fn merge_into(clinic: &Clinic, keep: &Patient, gone: &Patient) -> MergeRecord {
    clinic
        .merge_patients(
            &Actor::system(),
            keep.id,
            keep.version,
            gone.id,
            gone.version,
        )
        .await
        .unwrap()
}

pub async fn a_merge_tells_the_survivors_stream_and_the_merged_patients_stream(
    store: Arc<dyn Store>,
) {
    let partitions = store.outbox_partitions();
    let clinic = Clinic::new(store);
    let keep = registered(&clinic, "Okafor", "Chi").await;
    let gone = registered(&clinic, "Okafor", "Chi").await;
    let merge = merge_into(&clinic, &keep, &gone).await;

    let events = polled(&clinic).await;
    let survivors = stream_of(&events, keep.id, partitions);
    let merged = stream_of(&events, gone.id, partitions);
    let told = ["patient.registered", PATIENT_MERGED].map(String::from);
    assert_eq!(kinds(&survivors), told, "the survivor's stream");
    assert_eq!(kinds(&merged), told, "the merged patient's stream");
    let (to_survivor, to_merged) = (&survivors[1].draft, &merged[1].draft);
    assert_eq!(
        to_survivor.payload, to_merged.payload,
        "one merge, one payload"
    );
    assert_eq!(to_merged.payload["merge_id"], serde_json::json!(merge.id));
    assert_eq!(to_merged.payload["merged_id"], serde_json::json!(gone.id));
    assert_ne!(to_survivor.idempotency_key, to_merged.idempotency_key);
}

pub async fn an_unmerge_tells_the_survivors_stream_and_the_merged_patients_stream(
    store: Arc<dyn Store>,
) {
    let partitions = store.outbox_partitions();
    let clinic = Clinic::new(store);
    let system = Actor::system();
    let keep = registered(&clinic, "Okafor", "Chi").await;
    let gone = registered(&clinic, "Okafor", "Chi").await;
    let merge = merge_into(&clinic, &keep, &gone).await;
    clinic.unmerge_patients(&system, merge.id).await.unwrap();

    let events = polled(&clinic).await;
    let survivors = stream_of(&events, keep.id, partitions);
    let merged = stream_of(&events, gone.id, partitions);
    let told = ["patient.registered", PATIENT_MERGED, PATIENT_UNMERGED].map(String::from);
    assert_eq!(kinds(&survivors), told, "the survivor's stream");
    assert_eq!(kinds(&merged), told, "the merged patient's stream");
    let (to_survivor, to_merged) = (&survivors[2].draft, &merged[2].draft);
    assert_eq!(
        to_survivor.payload, to_merged.payload,
        "one unmerge, one payload"
    );
    assert_eq!(to_merged.payload["merge_id"], serde_json::json!(merge.id));
    assert_ne!(to_survivor.idempotency_key, to_merged.idempotency_key);
}

pub async fn a_merge_within_one_partition_tells_the_survivor_first(store: Arc<dyn Store>) {
    let partitions = store.outbox_partitions();
    let clinic = Clinic::new(store);
    // Registered until two patients share a partition (at most one more
    // than there are partitions; the first two when there is one).
    let mut seen: Vec<Patient> = Vec::new();
    let (keep, gone) = loop {
        const GIVEN: [&str; 6] = ["Ada", "Bea", "Cy", "Dee", "Eve", "Fay"];
        let given = GIVEN[seen.len() % GIVEN.len()];
        let next = registered(&clinic, "Share", given).await;
        let partition = partition_of(Some(next.id), partitions);
        if let Some(first) = seen
            .iter()
            .find(|p| partition_of(Some(p.id), partitions) == partition)
        {
            break (first.clone(), next);
        }
        seen.push(next);
    };
    merge_into(&clinic, &keep, &gone).await;

    let partition = partition_of(Some(keep.id), partitions);
    let events = polled(&clinic).await;
    let shared: Vec<_> = events
        .iter()
        .filter(|e| e.partition == partition)
        .map(|e| (e.draft.kind.as_str(), e.draft.patient))
        .collect();
    assert_eq!(
        shared[shared.len() - 2..],
        [
            (PATIENT_MERGED, Some(keep.id)),
            (PATIENT_MERGED, Some(gone.id))
        ]
    );
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
    let first = clinic
        .poll_events(&system, "relay", Count32::new(10))
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(
        clinic
            .poll_events(&system, "relay", Count32::new(10))
            .await
            .unwrap(),
        first,
        "redelivered until acked"
    );
    clinic
        .ack_events(&system, "relay", first[0].partition, first[0].seq)
        .await
        .unwrap();
    assert!(clinic
        .poll_events(&system, "relay", Count32::new(10))
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
    let pending = clinic
        .grants_awaiting_review(&admin, Count32::new(10))
        .await
        .unwrap();
    assert_eq!(
        pending.iter().map(|g| g.id).collect::<Vec<_>>(),
        vec![grant.id]
    );
    clinic
        .review_emergency_access(&admin, grant.id, Some("justified"))
        .await
        .unwrap();
    assert!(clinic
        .grants_awaiting_review(&admin, Count32::new(10))
        .await
        .unwrap()
        .is_empty());
}

fn with_identifier(family: &str, value: &str) -> NewPatient {
    let mut details = details(family, "Ada");
    details.identifiers.push(Identifier {
        system: "urn:batch-card".into(),
        value: value.into(),
    });
    NewPatient {
        details,
        mrn_facility: None,
    }
}

pub async fn a_batch_registers_every_good_patient_and_refuses_each_bad_one_alone(
    store: Arc<dyn Store>,
) {
    let clinic = Clinic::new(store.clone());
    let desk = front_desk();
    let mut unborn = with_identifier("Later", "C-3");
    unborn.details.birth_date = NaiveDate::from_ymd_opt(9000, 1, 1);
    let batch = vec![
        with_identifier("Abara", "C-1"),
        unborn,
        with_identifier("Bello", "C-2"),
        with_identifier("Copy", "C-1"),
        with_identifier("Dube", "C-4"),
    ];
    let answer = clinic.register_patients(&desk, batch).await.unwrap();

    assert_eq!((answer.registered.get(), answer.refused.get()), (3, 2));
    let codes: Vec<_> = answer
        .answers
        .iter()
        .map(|a| a.refusal.as_ref().map(|r| r.code.as_str()))
        .collect();
    assert_eq!(
        codes,
        vec![None, Some("validation"), None, Some("conflict"), None]
    );
    let invalid = answer.answers[1].refusal.as_ref().unwrap();
    assert_eq!(invalid.fields[0].field, "birth_date");
    assert_eq!(invalid.error["code"], "validation");
    let registered: Vec<_> = answer
        .answers
        .iter()
        .filter_map(|a| a.patient.as_ref().map(|p| p.id))
        .collect();
    let events = store.events_after(&[], 100).await.unwrap();
    for id in &registered {
        assert!(store.patient(*id).await.unwrap().is_some());
        let audit = store
            .audit_entries(&AuditQuery {
                patient: Some(*id),
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(audit.len(), 1, "one audit entry per registered patient");
        assert_eq!(audit[0].draft.action, "patient.register");
        assert!(events
            .iter()
            .any(|e| e.draft.kind == "patient.registered" && e.draft.patient == Some(*id)));
    }
    assert_eq!(
        events.len(),
        registered.len(),
        "no event for a refused patient"
    );
    let report = clinic.verify_audit(&Actor::system(), None).await.unwrap();
    assert!(report.ok, "{report:?}");
}
