//! Specification of who sees what of the health record: clinicians on the
//! care team, the patient (without note text), billing (codes only), the
//! front desk (nothing), break-the-glass.

mod common;

use carebase::record::{EncounterStatus, EntryBody, EntryKind, TimelineQuery};
use carebase::{Actor, ActorId, PractitionerId, Role};
use common::record::{condition, encounter, note, vital, RecordWorld, BODY_WEIGHT};

async fn charted() -> RecordWorld {
    let r = RecordWorld::new().await;
    r.record(r.new_entry(encounter(EncounterStatus::Arrived)))
        .await;
    r.record(r.new_entry(vital(BODY_WEIGHT, "70", "kg"))).await;
    r.record(r.new_entry(condition())).await;
    r.record(r.new_entry(note(r.world.practitioner.id, "worried about work")))
        .await;
    r
}

async fn timeline(r: &RecordWorld, actor: &Actor) -> carebase::Result<Vec<EntryBody>> {
    r.world
        .clinic
        .patient_timeline(actor, r.patient.id, &TimelineQuery::default())
        .await
        .map(|page| page.items.into_iter().map(|e| e.body).collect())
}

fn note_text(bodies: &[EntryBody]) -> Option<String> {
    bodies.iter().find_map(|b| match b {
        EntryBody::Note(n) => Some(n.text.clone()),
        _ => None,
    })
}

#[tokio::test]
async fn a_clinician_on_the_care_team_reads_the_whole_record_with_note_text() {
    let r = charted().await;
    let bodies = timeline(&r, &r.world.doctor).await.unwrap();
    assert_eq!(bodies.len(), 4);
    assert_eq!(note_text(&bodies).as_deref(), Some("worried about work"));
}

#[tokio::test]
async fn the_patient_reads_their_own_record_without_note_text() {
    let r = charted().await;
    let me = Actor::patient(ActorId::new(), r.patient.id);
    let bodies = timeline(&r, &me).await.unwrap();
    assert_eq!(bodies.len(), 4);
    assert_eq!(note_text(&bodies).as_deref(), Some(""));
}

#[tokio::test]
async fn billing_sees_encounters_and_conditions_but_no_observations_or_notes() {
    let r = charted().await;
    let billing = Actor::new(ActorId::new(), vec![Role::Billing]);
    let kinds: Vec<EntryKind> = timeline(&r, &billing)
        .await
        .unwrap()
        .iter()
        .map(EntryBody::kind)
        .collect();
    assert_eq!(kinds, vec![EntryKind::Encounter, EntryKind::Condition]);
}

#[tokio::test]
async fn billing_may_not_read_latest_vitals() {
    let r = charted().await;
    let billing = Actor::new(ActorId::new(), vec![Role::Billing]);
    let err = r
        .world
        .clinic
        .latest_vitals(&billing, r.patient.id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
}

#[tokio::test]
async fn the_front_desk_sees_nothing_of_the_record() {
    let r = charted().await;
    let err = timeline(&r, &r.world.desk).await.unwrap_err();
    assert_eq!(err.code(), "forbidden");
}

#[tokio::test]
async fn a_clinician_off_the_care_team_reads_only_after_breaking_the_glass() {
    let r = charted().await;
    let stranger = Actor::practitioner(ActorId::new(), PractitionerId::new());
    assert_eq!(
        timeline(&r, &stranger).await.unwrap_err().code(),
        "forbidden"
    );
    r.world
        .clinic
        .request_emergency_access(&stranger, r.patient.id, "unconscious in the ER", None)
        .await
        .unwrap();
    assert_eq!(timeline(&r, &stranger).await.unwrap().len(), 4);
}
