//! A prescription meets the patient's standing allergies to its medication:
//! same system and code, allergy active, not refuted, not retracted.

use carebase::ids::{ActorId, EntryId, PatientId};
use carebase::record::{
    allergy_conflicts, Allergy, AllergyStatus, ClinicalEntry, Coding, EntryBody, Revision,
    RevisionKind, VerificationStatus,
};
use carebase::Count32;
use chrono::{TimeZone, Utc};
use proptest::prelude::*;

const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
const SNOMED: &str = "http://snomed.info/sct";

fn coding(system: &str, code: &str) -> Coding {
    Coding {
        system: system.into(),
        code: code.into(),
        display: None,
    }
}

fn allergy_entry(
    substance: Coding,
    status: AllergyStatus,
    verification: Option<VerificationStatus>,
    retracted: bool,
) -> ClinicalEntry {
    let at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    ClinicalEntry {
        id: EntryId::new(),
        patient: PatientId::new(),
        version: if retracted {
            Count32::new(2)
        } else {
            Count32::new(1)
        },
        effective_at: at,
        recorded_at: at,
        recorded_by: ActorId::new(),
        encounter: None,
        revision: Revision {
            kind: if retracted {
                RevisionKind::Retracted
            } else {
                RevisionKind::Recorded
            },
            reason: None,
        },
        fhir: None,
        body: EntryBody::Allergy(Allergy {
            substance,
            categories: vec![],
            criticality: None,
            clinical_status: status,
            verification_status: verification,
            reactions: vec![],
        }),
    }
}

#[test]
fn an_active_allergy_to_the_same_rxnorm_code_conflicts() {
    let penicillin = allergy_entry(coding(RXNORM, "7980"), AllergyStatus::Active, None, false);
    let id = penicillin.id;
    assert_eq!(
        allergy_conflicts(&coding(RXNORM, "7980"), &[penicillin]),
        vec![id]
    );
}

#[test]
fn the_same_code_in_another_system_does_not_conflict() {
    let other = allergy_entry(coding(SNOMED, "7980"), AllergyStatus::Active, None, false);
    assert!(allergy_conflicts(&coding(RXNORM, "7980"), &[other]).is_empty());
}

#[test]
fn a_refuted_allergy_does_not_conflict_but_an_unconfirmed_one_does() {
    let refuted = allergy_entry(
        coding(RXNORM, "7980"),
        AllergyStatus::Active,
        Some(VerificationStatus::Refuted),
        false,
    );
    let unconfirmed = allergy_entry(
        coding(RXNORM, "7980"),
        AllergyStatus::Active,
        Some(VerificationStatus::Unconfirmed),
        false,
    );
    let id = unconfirmed.id;
    assert_eq!(
        allergy_conflicts(&coding(RXNORM, "7980"), &[refuted, unconfirmed]),
        vec![id]
    );
}

fn status() -> impl Strategy<Value = AllergyStatus> {
    prop_oneof![
        Just(AllergyStatus::Active),
        Just(AllergyStatus::Inactive),
        Just(AllergyStatus::Resolved),
    ]
}

fn verification() -> impl Strategy<Value = Option<VerificationStatus>> {
    prop_oneof![
        Just(None),
        Just(Some(VerificationStatus::Unconfirmed)),
        Just(Some(VerificationStatus::Provisional)),
        Just(Some(VerificationStatus::Differential)),
        Just(Some(VerificationStatus::Confirmed)),
        Just(Some(VerificationStatus::Refuted)),
    ]
}

fn allergy() -> impl Strategy<Value = ClinicalEntry> {
    (
        prop_oneof![Just(RXNORM), Just(SNOMED)],
        prop_oneof![Just("7980"), Just("1191"), Just("161")],
        status(),
        verification(),
        any::<bool>(),
    )
        .prop_map(|(system, code, status, verification, retracted)| {
            allergy_entry(coding(system, code), status, verification, retracted)
        })
}

proptest! {
    #[test]
    fn a_conflict_is_found_for_every_matching_standing_allergy_and_never_for_a_retracted_or_resolved_one(
        allergies in prop::collection::vec(allergy(), 0..12),
        code in prop_oneof![Just("7980"), Just("1191"), Just("161")],
    ) {
        let medication = coding(RXNORM, code);
        let found = allergy_conflicts(&medication, &allergies);
        for entry in &allergies {
            let EntryBody::Allergy(a) = &entry.body else { unreachable!() };
            let matches = a.substance == medication;
            let standing = !entry.is_retracted()
                && a.clinical_status == AllergyStatus::Active
                && a.verification_status != Some(VerificationStatus::Refuted);
            prop_assert_eq!(found.contains(&entry.id), matches && standing);
            if entry.is_retracted() || a.clinical_status == AllergyStatus::Resolved {
                prop_assert!(!found.contains(&entry.id));
            }
        }
    }
}
