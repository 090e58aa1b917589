//! The content rules of conditions, allergies, prescriptions, procedures,
//! immunizations, notes and documents: every failing field is named under
//! `body.`, never the first only.

use carebase::decimal::Decimal;
use carebase::ids::{EntryId, PractitionerId};
use carebase::record::{
    body_problems, Allergy, AllergyOverride, AllergyStatus, ClinicalNote, Coding, Condition,
    ConditionStatus, DocumentEntry, EntryBody, Frequency, Immunization, ImmunizationStatus,
    Prescription, PrescriptionStatus, Procedure, ProcedureStatus, Reaction, VerificationStatus,
};
use carebase::terminology::interpretation::Quantity;
use carebase::Minutes;
use carebase::{Count32, Count64};
use chrono::{TimeZone, Utc};

const SNOMED: &str = "http://snomed.info/sct";
const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
const CVX: &str = "http://hl7.org/fhir/sid/cvx";

fn coding(system: &str, code: &str) -> Coding {
    Coding {
        system: system.into(),
        code: code.into(),
        display: None,
    }
}

/// The failing fields with their codes, sorted.
fn problems(body: EntryBody) -> Vec<(String, String)> {
    let mut found: Vec<_> = body_problems(&body)
        .into_iter()
        .map(|e| (e.field, e.code))
        .collect();
    found.sort();
    found
}

fn pair(field: &str, code: &str) -> (String, String) {
    (field.to_owned(), code.to_owned())
}

fn condition() -> Condition {
    Condition {
        code: coding(SNOMED, "44054006"),
        clinical_status: ConditionStatus::Active,
        verification_status: VerificationStatus::Confirmed,
        onset_at: None,
        abated_at: None,
    }
}

fn prescription() -> Prescription {
    Prescription {
        medication: coding(RXNORM, "314076"),
        instructions: Some("one tablet in the morning\nwith water".into()),
        dose: Some(Quantity::new(Decimal::new(10, 0), "mg")),
        route: None,
        frequency: Some(Frequency {
            times: Count32::new(1),
            period: Minutes::new(1440).unwrap(),
        }),
        duration: Minutes::new(30 * 1440),
        refills: Count32::new(2),
        prescriber: PractitionerId::new(),
        status: PrescriptionStatus::Active,
        replaces: None,
        allergy_overrides: vec![],
    }
}

fn document() -> DocumentEntry {
    DocumentEntry {
        content_type: "application/pdf".into(),
        size: Count64::new(1024),
        sha256: "a".repeat(64),
        title: Some("Referral letter".into()),
    }
}

#[test]
fn a_well_formed_condition_prescription_and_document_pass() {
    assert!(problems(EntryBody::Condition(condition())).is_empty());
    assert!(problems(EntryBody::Prescription(prescription())).is_empty());
    assert!(problems(EntryBody::Document(document())).is_empty());
}

#[test]
fn a_condition_abated_before_its_onset_is_refused_on_abated_at() {
    let mut c = condition();
    c.onset_at = Some(Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap());
    c.abated_at = Some(Utc.with_ymd_and_hms(2024, 4, 1, 0, 0, 0).unwrap());
    assert_eq!(
        problems(EntryBody::Condition(c)),
        vec![pair("body.abated_at", "before_start")]
    );
}

#[test]
fn a_snomed_code_with_a_wrong_check_digit_is_refused_on_its_code() {
    let mut c = condition();
    c.code = coding(SNOMED, "44054007");
    assert_eq!(
        problems(EntryBody::Condition(c)),
        vec![pair("body.code.code", "check_digit")]
    );
}

#[test]
fn a_code_of_an_unknown_system_is_kept_as_given() {
    let mut c = condition();
    c.code = coding("urn:oid:1.2.3.4", "whatever-42");
    assert!(problems(EntryBody::Condition(c)).is_empty());
}

#[test]
fn every_failing_field_of_a_prescription_is_named() {
    let mut p = prescription();
    p.medication = coding(RXNORM, "31A");
    p.dose = Some(Quantity::new(Decimal::ZERO, "not a unit(("));
    p.frequency = Some(Frequency {
        times: Count32::new(0),
        period: Minutes::new(0).unwrap(),
    });
    p.duration = Minutes::new(-5);
    p.refills = Count32::new(1_000);
    p.instructions = Some("bad\u{0}text".into());
    p.allergy_overrides = vec![AllergyOverride {
        allergy: EntryId::new(),
        reason: " ".into(),
    }];
    assert_eq!(
        problems(EntryBody::Prescription(p)),
        vec![
            pair("body.allergy_overrides[0].reason", "required"),
            pair("body.dose.unit", "invalid_unit"),
            pair("body.dose.value", "out_of_range"),
            pair("body.duration", "out_of_range"),
            pair("body.frequency.period", "out_of_range"),
            pair("body.frequency.times", "out_of_range"),
            pair("body.instructions", "invalid_format"),
            pair("body.medication.code", "invalid_format"),
            pair("body.refills", "out_of_range"),
        ]
    );
}

#[test]
fn a_negative_dose_is_refused() {
    let mut p = prescription();
    p.dose = Some(Quantity::new(Decimal::new(-5, 0), "mg"));
    assert_eq!(
        problems(EntryBody::Prescription(p)),
        vec![pair("body.dose.value", "out_of_range")]
    );
}

#[test]
fn an_allergy_with_too_many_reactions_is_refused_without_reading_them_all() {
    let allergy = Allergy {
        substance: coding(RXNORM, "7980"),
        categories: vec![],
        criticality: None,
        clinical_status: AllergyStatus::Active,
        verification_status: None,
        reactions: vec![
            Reaction {
                manifestations: vec![],
                severity: None
            };
            51
        ],
    };
    assert_eq!(
        problems(EntryBody::Allergy(allergy)),
        vec![pair("body.reactions", "too_many")]
    );
}

#[test]
fn an_allergys_reaction_manifestations_are_checked_as_codes() {
    let allergy = Allergy {
        substance: coding(RXNORM, "7980"),
        categories: vec![],
        criticality: None,
        clinical_status: AllergyStatus::Active,
        verification_status: None,
        reactions: vec![Reaction {
            manifestations: vec![coding(SNOMED, "39579001"), coding(SNOMED, "12")],
            severity: None,
        }],
    };
    let found = problems(EntryBody::Allergy(allergy));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "body.reactions[0].manifestations[1].code");
}

#[test]
fn a_procedure_and_an_immunization_have_their_codes_checked() {
    let procedure = Procedure {
        code: coding(SNOMED, "not digits"),
        status: ProcedureStatus::Completed,
        ended_at: None,
        performers: vec![],
    };
    assert_eq!(
        problems(EntryBody::Procedure(procedure)),
        vec![pair("body.code.code", "invalid_format")]
    );
    let immunization = Immunization {
        vaccine: coding(CVX, "140"),
        status: ImmunizationStatus::Completed,
        lot: Some("lot\u{1b}[31m".into()),
        performer: None,
    };
    assert_eq!(
        problems(EntryBody::Immunization(immunization)),
        vec![pair("body.lot", "invalid_format")]
    );
}

#[test]
fn a_note_may_span_lines_but_not_exceed_its_limit_or_be_blank() {
    let note = |text: String| {
        EntryBody::Note(ClinicalNote {
            author: PractitionerId::new(),
            title: None,
            text,
        })
    };
    assert!(problems(note("Seen today.\nPlan: rest.".into())).is_empty());
    assert_eq!(
        problems(note("\u{200B} ".into())),
        vec![pair("body.text", "required")]
    );
    assert_eq!(
        problems(note(
            "x".repeat(carebase::limits::MAX_CLINICAL_NOTE_CHARS + 1)
        )),
        vec![pair("body.text", "too_long")]
    );
}

#[test]
fn a_document_needs_a_media_type_a_bounded_size_and_a_lowercase_sha256() {
    let bad = DocumentEntry {
        content_type: "pdf".into(),
        size: Count64::new(carebase::limits::MAX_ATTACHMENT_BYTES as u64 + 1),
        sha256: "A".repeat(64),
        title: None,
    };
    assert_eq!(
        problems(EntryBody::Document(bad)),
        vec![
            pair("body.content_type", "invalid_format"),
            pair("body.sha256", "invalid_format"),
            pair("body.size", "too_large"),
        ]
    );
}

#[test]
fn a_media_type_may_carry_parameters() {
    let mut d = document();
    d.content_type = "text/plain; charset=utf-8".into();
    assert!(problems(EntryBody::Document(d)).is_empty());
}
