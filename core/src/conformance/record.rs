//! The health record, as every store must keep it: append-only versions,
//! the current view, the timeline and its cursor, the latest value per
//! code, and one code across the patients a reader may see.

use crate::Count32;
use std::sync::Arc;

use serde_json::json;

use super::at;
use crate::access::CareAssignment;
use crate::ids::{ActorId, EntryId, PatientId, PractitionerId};
use crate::record::{
    ClinicalEntry, CodeQuery, EntryBody, EntryKind, EntryPosition, EntryQuery, PatientScope,
    Revision, RevisionKind,
};
use crate::store::{CareTeamWrite, ChangeSet, Store};

const LOINC: &str = "http://loinc.org";
const HEART_RATE: &str = "8867-4";
const BODY_WEIGHT: &str = "29463-7";

/// A body from its JSON (the wire form every host writes).
fn body(value: serde_json::Value) -> EntryBody {
    serde_json::from_value(value).unwrap()
}

/// A vital sign observation of `code` with a quantity value.
fn vital(code: &str, value: &str, unit: &str) -> EntryBody {
    body(json!({
        "kind": "observation",
        "code": {"system": LOINC, "code": code},
        "category": "vital-signs",
        "status": "final",
        "value": {"type": "quantity", "value": value, "unit": unit},
    }))
}

/// A first version of a new entry of `patient`, effective at `at(secs)`.
pub fn first_version(patient: PatientId, secs: i64, body: EntryBody) -> ClinicalEntry {
    ClinicalEntry {
        id: EntryId::new(),
        patient,
        version: Count32::new(1),
        effective_at: at(secs),
        recorded_at: at(secs + 1),
        recorded_by: ActorId::new(),
        encounter: None,
        revision: Revision {
            kind: RevisionKind::Recorded,
            reason: None,
        },
        fhir: None,
        body,
    }
}

/// The version after `entry`, of `kind`.
fn next_version(entry: &ClinicalEntry, kind: RevisionKind) -> ClinicalEntry {
    let mut next = entry.clone();
    next.version += 1;
    next.recorded_at = at(100 + i64::from(next.version));
    next.revision = Revision {
        kind,
        reason: Some("corrected reading".into()),
    };
    next
}

async fn append(store: &Arc<dyn Store>, entry: &ClinicalEntry) {
    store
        .apply(ChangeSet::default().entry(entry.clone()))
        .await
        .unwrap();
}

/// A timeline query of every current, unretracted entry of `patient`.
fn timeline(patient: PatientId, limit: u32) -> EntryQuery {
    EntryQuery {
        patient,
        kinds: vec![],
        code: None,
        from: None,
        to: None,
        include_retracted: false,
        after: None,
        limit,
    }
}

/// Entries of one code across patients.
fn by_code(code: &str, scope: PatientScope, limit: u32) -> CodeQuery {
    CodeQuery {
        kind: EntryKind::Observation,
        system: LOINC.into(),
        code: code.into(),
        from: None,
        to: None,
        scope,
        after: None,
        limit,
    }
}

fn ids(entries: &[ClinicalEntry]) -> Vec<EntryId> {
    entries.iter().map(|e| e.id).collect()
}

pub async fn an_entry_appends_version_after_version_and_reads_its_current_one(
    store: Arc<dyn Store>,
) {
    let patient = PatientId::new();
    let v1 = first_version(patient, 0, vital(HEART_RATE, "72", "/min"));
    append(&store, &v1).await;
    assert_eq!(store.entry(patient, v1.id).await.unwrap(), Some(v1.clone()));
    let mut v2 = next_version(&v1, RevisionKind::Amended);
    v2.body = vital(HEART_RATE, "74", "/min");
    append(&store, &v2).await;
    let v3 = next_version(&v2, RevisionKind::StatusChanged);
    append(&store, &v3).await;
    assert_eq!(store.entry(patient, v1.id).await.unwrap(), Some(v3.clone()));
    assert_eq!(store.entry(PatientId::new(), v1.id).await.unwrap(), None);
    assert_eq!(store.entry(patient, EntryId::new()).await.unwrap(), None);
}

pub async fn history_keeps_every_version_oldest_first(store: Arc<dyn Store>) {
    let patient = PatientId::new();
    let v1 = first_version(patient, 0, vital(HEART_RATE, "72", "/min"));
    let v2 = next_version(&v1, RevisionKind::Amended);
    let v3 = next_version(&v2, RevisionKind::Retracted);
    for v in [&v1, &v2, &v3] {
        append(&store, v).await;
    }
    let history = store.entry_versions(patient, v1.id).await.unwrap();
    assert_eq!(history, vec![v1.clone(), v2, v3]);
    let none = store.entry_versions(patient, EntryId::new()).await.unwrap();
    assert!(none.is_empty());
}

pub async fn a_first_version_of_a_taken_entry_id_is_already_exists_and_writes_nothing(
    store: Arc<dyn Store>,
) {
    let patient = PatientId::new();
    let v1 = first_version(patient, 0, vital(HEART_RATE, "72", "/min"));
    append(&store, &v1).await;
    let other = first_version(patient, 5, vital(HEART_RATE, "80", "/min"));
    let mut again = v1.clone();
    again.body = vital(HEART_RATE, "90", "/min");
    let err = store
        .apply(ChangeSet::default().entry(other.clone()).entry(again))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
    assert!(format!("{err:?}").contains("AlreadyExists"), "{err:?}");
    assert_eq!(store.entry(patient, other.id).await.unwrap(), None);
    assert_eq!(
        store.entry_versions(patient, v1.id).await.unwrap(),
        vec![v1]
    );
}

pub async fn a_version_that_does_not_follow_the_current_one_is_stale_and_writes_nothing(
    store: Arc<dyn Store>,
) {
    let patient = PatientId::new();
    let v1 = first_version(patient, 0, vital(HEART_RATE, "72", "/min"));
    let v2 = next_version(&v1, RevisionKind::Amended);
    append(&store, &v1).await;
    append(&store, &v2).await;
    let other = first_version(patient, 5, vital(HEART_RATE, "80", "/min"));
    let mut gap = next_version(&v2, RevisionKind::Amended);
    gap.version += 1;
    for stale in [v2.clone(), gap] {
        let err = store
            .apply(ChangeSet::default().entry(other.clone()).entry(stale))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "conflict");
        assert!(format!("{err:?}").contains("Stale"), "{err:?}");
    }
    let of_missing = next_version(
        &first_version(patient, 9, vital(HEART_RATE, "1", "/min")),
        RevisionKind::Amended,
    );
    let err = store
        .apply(ChangeSet::default().entry(of_missing))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
    assert_eq!(store.entry(patient, other.id).await.unwrap(), None);
    assert_eq!(
        store.entry_versions(patient, v1.id).await.unwrap(),
        vec![v1, v2]
    );
}

pub async fn the_timeline_lists_current_versions_in_time_then_id_order(store: Arc<dyn Store>) {
    let patient = PatientId::new();
    let late = first_version(patient, 50, vital(HEART_RATE, "70", "/min"));
    let early = first_version(patient, 10, vital(BODY_WEIGHT, "70.5", "kg"));
    let tie_a = first_version(patient, 30, vital(HEART_RATE, "71", "/min"));
    let tie_b = first_version(patient, 30, vital(HEART_RATE, "72", "/min"));
    for e in [&late, &early, &tie_a, &tie_b] {
        append(&store, e).await;
    }
    let amended = next_version(&early, RevisionKind::Amended);
    append(&store, &amended).await;
    let mut ties = [tie_a.clone(), tie_b.clone()];
    ties.sort_by_key(|e| e.id);
    let expected = vec![amended, ties[0].clone(), ties[1].clone(), late];
    assert_eq!(
        store.entries(&timeline(patient, 10)).await.unwrap(),
        expected
    );
}

pub async fn the_timeline_filters_by_kind_code_and_time_range(store: Arc<dyn Store>) {
    let patient = PatientId::new();
    let pulse = first_version(patient, 10, vital(HEART_RATE, "70", "/min"));
    let weight = first_version(patient, 20, vital(BODY_WEIGHT, "70.5", "kg"));
    let note = first_version(
        patient,
        30,
        body(json!({"kind": "note", "author": PractitionerId::new(), "text": "well"})),
    );
    let later_pulse = first_version(patient, 40, vital(HEART_RATE, "75", "/min"));
    for e in [&pulse, &weight, &note, &later_pulse] {
        append(&store, e).await;
    }
    let query = |f: &dyn Fn(&mut EntryQuery)| {
        let mut q = timeline(patient, 10);
        f(&mut q);
        q
    };
    let notes = store
        .entries(&query(&|q| q.kinds = vec![EntryKind::Note]))
        .await
        .unwrap();
    assert_eq!(ids(&notes), vec![note.id]);
    let both = query(&|q| q.kinds = vec![EntryKind::Note, EntryKind::Observation]);
    assert_eq!(store.entries(&both).await.unwrap().len(), 4);
    let pulses = query(&|q| q.code = Some((LOINC.into(), HEART_RATE.into())));
    assert_eq!(
        ids(&store.entries(&pulses).await.unwrap()),
        vec![pulse.id, later_pulse.id]
    );
    let range = query(&|q| {
        q.from = Some(at(20));
        q.to = Some(at(40));
    });
    assert_eq!(
        ids(&store.entries(&range).await.unwrap()),
        vec![weight.id, note.id]
    );
}

pub async fn the_timeline_leaves_out_retracted_entries_unless_asked(store: Arc<dyn Store>) {
    let patient = PatientId::new();
    let kept = first_version(patient, 10, vital(HEART_RATE, "70", "/min"));
    let wrong = first_version(patient, 20, vital(HEART_RATE, "700", "/min"));
    append(&store, &kept).await;
    append(&store, &wrong).await;
    let retracted = next_version(&wrong, RevisionKind::Retracted);
    append(&store, &retracted).await;
    let current = store.entries(&timeline(patient, 10)).await.unwrap();
    assert_eq!(current, vec![kept.clone()]);
    let mut all = timeline(patient, 10);
    all.include_retracted = true;
    assert_eq!(store.entries(&all).await.unwrap(), vec![kept, retracted]);
}

pub async fn the_timeline_pages_by_cursor_without_repeats_or_skips(store: Arc<dyn Store>) {
    let patient = PatientId::new();
    let mut expected = Vec::new();
    for i in 0..11 {
        // Pairs share an effective time: the id breaks the tie.
        let e = first_version(patient, i / 2, vital(HEART_RATE, "70", "/min"));
        append(&store, &e).await;
        expected.push(e);
    }
    expected.sort_by_key(ClinicalEntry::position);
    let mut seen = Vec::new();
    let mut after: Option<EntryPosition> = None;
    loop {
        let mut q = timeline(patient, 3);
        q.after = after;
        let page = store.entries(&q).await.unwrap();
        assert!(page.len() <= 3);
        let Some(last) = page.last() else { break };
        after = Some(last.position());
        seen.extend(page);
    }
    assert_eq!(seen, expected);
}

pub async fn latest_entries_give_the_newest_current_unretracted_entry_per_code(
    store: Arc<dyn Store>,
) {
    let patient = PatientId::new();
    let old_pulse = first_version(patient, 10, vital(HEART_RATE, "70", "/min"));
    let new_pulse = first_version(patient, 20, vital(HEART_RATE, "75", "/min"));
    let wrong_pulse = first_version(patient, 30, vital(HEART_RATE, "750", "/min"));
    let weight = first_version(patient, 5, vital(BODY_WEIGHT, "70.5", "kg"));
    let other = first_version(PatientId::new(), 40, vital(HEART_RATE, "60", "/min"));
    for e in [&old_pulse, &new_pulse, &wrong_pulse, &weight, &other] {
        append(&store, e).await;
    }
    append(&store, &next_version(&wrong_pulse, RevisionKind::Retracted)).await;
    let mut weight_v2 = next_version(&weight, RevisionKind::Amended);
    weight_v2.body = vital(BODY_WEIGHT, "71.0", "kg");
    append(&store, &weight_v2).await;
    let latest = store
        .latest_entries(patient, EntryKind::Observation, &[])
        .await
        .unwrap();
    assert_eq!(latest, vec![weight_v2, new_pulse.clone()]);
    let only_pulse = [(LOINC.to_string(), HEART_RATE.to_string())];
    let pulse = store
        .latest_entries(patient, EntryKind::Observation, &only_pulse)
        .await
        .unwrap();
    assert_eq!(pulse, vec![new_pulse]);
    let conditions = store
        .latest_entries(patient, EntryKind::Condition, &[])
        .await
        .unwrap();
    assert!(conditions.is_empty());
}

pub async fn entries_by_code_span_every_patient_in_time_order(store: Arc<dyn Store>) {
    let (a, b) = (PatientId::new(), PatientId::new());
    let mut expected = Vec::new();
    for (i, patient) in [a, b, a, b, a].into_iter().enumerate() {
        let e = first_version(patient, 10 * i as i64, vital(HEART_RATE, "70", "/min"));
        append(&store, &e).await;
        expected.push(e);
    }
    let weight = first_version(a, 15, vital(BODY_WEIGHT, "70.5", "kg"));
    append(&store, &weight).await;
    append(&store, &next_version(&expected[4], RevisionKind::Retracted)).await;
    expected.pop();
    let mut seen = Vec::new();
    let mut q = by_code(HEART_RATE, PatientScope::All, 2);
    loop {
        let page = store.entries_by_code(&q).await.unwrap();
        let Some(last) = page.last() else { break };
        q.after = Some(last.position());
        seen.extend(page);
    }
    assert_eq!(seen, expected);
    let mut ranged = by_code(HEART_RATE, PatientScope::All, 10);
    ranged.from = Some(at(10));
    ranged.to = Some(at(30));
    let found = store.entries_by_code(&ranged).await.unwrap();
    assert_eq!(ids(&found), ids(&expected[1..3]));
}

pub async fn entries_by_code_for_a_care_team_hold_only_its_patients(store: Arc<dyn Store>) {
    let practitioner = PractitionerId::new();
    let (mine, theirs) = (PatientId::new(), PatientId::new());
    let assign = CareAssignment {
        patient: mine,
        practitioner,
        assigned_by: ActorId::new(),
        assigned_at: at(0),
    };
    store
        .apply(ChangeSet::default().care_team(CareTeamWrite::Assign(assign)))
        .await
        .unwrap_or_else(|_| panic!("care team"));
    let own = first_version(mine, 10, vital(HEART_RATE, "70", "/min"));
    let other = first_version(theirs, 5, vital(HEART_RATE, "70", "/min"));
    append(&store, &own).await;
    append(&store, &other).await;
    let q = by_code(HEART_RATE, PatientScope::CareTeamOf(practitioner), 10);
    assert_eq!(store.entries_by_code(&q).await.unwrap(), vec![own]);
    let nobody = by_code(
        HEART_RATE,
        PatientScope::CareTeamOf(PractitionerId::new()),
        10,
    );
    assert!(store.entries_by_code(&nobody).await.unwrap().is_empty());
}

pub async fn another_patients_entries_never_appear(store: Arc<dyn Store>) {
    let (mine, theirs) = (PatientId::new(), PatientId::new());
    let own = first_version(mine, 10, vital(HEART_RATE, "70", "/min"));
    let other = first_version(theirs, 10, vital(HEART_RATE, "70", "/min"));
    append(&store, &own).await;
    append(&store, &other).await;
    assert_eq!(
        store.entries(&timeline(mine, 10)).await.unwrap(),
        vec![own.clone()]
    );
    let latest = store
        .latest_entries(mine, EntryKind::Observation, &[])
        .await
        .unwrap();
    assert_eq!(latest, vec![own]);
    assert_eq!(store.entry(mine, other.id).await.unwrap(), None);
    assert!(store
        .entry_versions(mine, other.id)
        .await
        .unwrap()
        .is_empty());
}

/// One body of every kind, each with its optional parts filled.
pub fn a_body_of_every_kind() -> Vec<EntryBody> {
    let pr = PractitionerId::new();
    let coding =
        |system: &str, code: &str| json!({"system": system, "code": code, "display": "Ünïcode ✓"});
    let snomed = "http://snomed.info/sct";
    vec![
        body(
            json!({"kind": "encounter", "class": "ambulatory", "status": "in-progress",
            "practitioners": [pr], "started_at": at(1), "reasons": [coding(snomed, "185345009")],
            "location": "Room 2"}),
        ),
        body(
            json!({"kind": "observation", "code": coding(LOINC, "85354-9"),
            "category": "vital-signs", "status": "final",
            "components": [
                {"code": coding(LOINC, "8480-6"), "value": {"type": "quantity", "value": "120.50", "unit": "mm[Hg]"},
                 "reference_ranges": [{"low": {"value": "90", "unit": "mm[Hg]"}, "high": {"value": "139.99", "unit": "mm[Hg]"}}],
                 "interpretation": "N"},
                {"code": coding(LOINC, "8462-4"), "value": {"type": "quantity", "value": "0.000000000000000001", "unit": "mm[Hg]"}}]}),
        ),
        body(
            json!({"kind": "observation", "code": coding(LOINC, "2345-7"),
            "category": "laboratory", "status": "preliminary",
            "value": {"type": "coded", "coding": coding(snomed, "260385009")}}),
        ),
        body(
            json!({"kind": "observation", "code": coding(LOINC, "72166-2"),
            "category": "social-history", "status": "final", "value": {"type": "text", "text": "never"}}),
        ),
        body(
            json!({"kind": "observation", "code": coding(LOINC, "11331-6"),
            "category": "exam", "status": "final", "value": {"type": "boolean", "answer": true}}),
        ),
        body(
            json!({"kind": "diagnostic_report", "code": coding(LOINC, "58410-2"), "status": "final",
            "results": [EntryId::new()], "issued_at": at(2), "conclusion": "normal"}),
        ),
        body(
            json!({"kind": "condition", "code": coding(snomed, "44054006"), "clinical_status": "active",
            "verification_status": "confirmed", "onset_at": at(-100), "abated_at": null}),
        ),
        body(
            json!({"kind": "allergy", "substance": coding("http://www.nlm.nih.gov/research/umls/rxnorm", "7980"),
            "categories": ["medication"], "criticality": "high", "clinical_status": "active",
            "verification_status": "confirmed",
            "reactions": [{"manifestations": [coding(snomed, "247472004")], "severity": "moderate"}]}),
        ),
        body(
            json!({"kind": "prescription", "medication": coding("http://www.nlm.nih.gov/research/umls/rxnorm", "197361"),
            "instructions": "with food", "dose": {"value": "2.5", "unit": "mg"},
            "route": coding(snomed, "26643006"), "frequency": {"times": 2, "period": 1440},
            "duration": 10080, "refills": 3, "prescriber": pr, "status": "active",
            "replaces": EntryId::new(),
            "allergy_overrides": [{"allergy": EntryId::new(), "reason": "benefit outweighs"}]}),
        ),
        body(
            json!({"kind": "procedure", "code": coding(snomed, "80146002"), "status": "completed",
            "ended_at": at(3), "performers": [pr]}),
        ),
        body(
            json!({"kind": "immunization", "vaccine": coding("http://hl7.org/fhir/sid/cvx", "140"),
            "status": "completed", "lot": "AB-12", "performer": pr}),
        ),
        body(
            json!({"kind": "note", "author": pr, "title": "Visit", "text": "line one\nline \"two\" ✓"}),
        ),
        body(
            json!({"kind": "document", "content_type": "application/pdf", "size": 1234,
            "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "title": "Letter"}),
        ),
    ]
}

pub async fn a_body_of_every_kind_reads_back_equal(store: Arc<dyn Store>) {
    let patient = PatientId::new();
    let mut written = Vec::new();
    for (i, body) in a_body_of_every_kind().into_iter().enumerate() {
        let mut e = first_version(patient, i as i64, body);
        e.encounter = Some(EntryId::new());
        e.fhir = Some(json!({"meta": {"versionId": "7"}, "extension": [{"valueDecimal": 1.50}]}));
        append(&store, &e).await;
        written.push(e);
    }
    for e in &written {
        assert_eq!(store.entry(patient, e.id).await.unwrap().as_ref(), Some(e));
    }
    let all = store.entries(&timeline(patient, 100)).await.unwrap();
    assert_eq!(all, written);
}

pub async fn concurrent_appends_of_one_version_have_one_winner(store: Arc<dyn Store>) {
    let patient = PatientId::new();
    let v1 = first_version(patient, 0, vital(HEART_RATE, "72", "/min"));
    append(&store, &v1).await;
    let writers = (0..6).map(|i| {
        let store = store.clone();
        let mut v2 = next_version(&v1, RevisionKind::Amended);
        v2.body = vital(HEART_RATE, &format!("{}", 80 + i), "/min");
        async move { store.apply(ChangeSet::default().entry(v2)).await }
    });
    let outcomes: Vec<_> = futures::future::join_all(writers).await;
    let mut won = 0;
    for outcome in outcomes {
        match outcome {
            Ok(_) => won += 1,
            Err(e) => {
                assert_eq!(e.code(), "conflict");
                assert!(format!("{e:?}").contains("Stale"), "{e:?}");
            }
        }
    }
    assert_eq!(won, 1);
    assert_eq!(store.entry_versions(patient, v1.id).await.unwrap().len(), 2);
}
