//! `{:?}` of the record never carries patient data into a log: a body's
//! codes, values and text, and a revision's reason, are left out.

use carebase::record::{ClinicalEntry, ClinicalNote, EntryBody, Revision, RevisionKind};
use carebase::{Count32, EntryId, PatientId, PractitionerId};
use chrono::Utc;

fn note_entry() -> ClinicalEntry {
    ClinicalEntry {
        id: EntryId::new(),
        patient: PatientId::new(),
        version: Count32::new(2),
        effective_at: Utc::now(),
        recorded_at: Utc::now(),
        recorded_by: carebase::ActorId::new(),
        encounter: None,
        revision: Revision {
            kind: RevisionKind::Amended,
            reason: Some("Okafor asked to remove the HIV result".into()),
        },
        fhir: None,
        body: EntryBody::Note(ClinicalNote {
            author: PractitionerId::new(),
            title: Some("Secret title".into()),
            text: "Amara reports chest pain since Tuesday".into(),
        }),
    }
}

#[test]
fn an_entry_s_debug_shows_neither_its_text_nor_its_title_nor_the_reason_for_its_revision() {
    let shown = format!("{:?}", note_entry());
    for secret in ["Amara", "chest pain", "Secret title", "Okafor", "HIV"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("Note"), "{shown}");
}

#[test]
fn a_body_s_debug_names_its_kind_only() {
    let entry = note_entry();
    let shown = format!("{:?}", entry.body);
    assert_eq!(shown, "Note(ClinicalNote(<redacted>))");
}
