//! Whether a medication meets an allergy the patient has: a pure rule, so
//! `prescribe` and any host-side preview give the same answer.
//!
//! Kept deliberately simple, and exact: an allergy conflicts with a
//! medication when its substance has the SAME system and code as the
//! medication's coding. Allergies to drugs are recorded in RxNorm
//! (the ingredient's RxNorm code, as Synthea and US records do), and a
//! prescription names its medication in RxNorm, so an allergy recorded as
//! the RxNorm ingredient code matches a prescription of that ingredient.
//! No ingredient lookup is made (carebase ships no drug database): an
//! allergy to an ingredient does not match a combination product's own
//! RxNorm code, and a SNOMED CT substance never matches an RxNorm drug.
//! Hosts with a drug database can record the ingredient codes they care
//! about as allergies.

use super::{ClinicalEntry, Coding, EntryBody, VerificationStatus};
use crate::ids::EntryId;
use crate::record::AllergyStatus;

/// True for an allergy that still stands: not retracted, clinically
/// active and not refuted (unconfirmed allergies count: a possible
/// anaphylaxis is reason enough to stop and ask).
pub fn is_standing_allergy(entry: &ClinicalEntry) -> bool {
    match &entry.body {
        EntryBody::Allergy(allergy) => {
            !entry.is_retracted()
                && allergy.clinical_status == AllergyStatus::Active
                && allergy.verification_status != Some(VerificationStatus::Refuted)
        }
        _ => false,
    }
}

/// The ids of the standing allergies among `entries` (the current versions
/// of a patient's entries; other kinds are ignored) whose substance is the
/// medication, in the order given, each once.
pub fn allergy_conflicts(medication: &Coding, entries: &[ClinicalEntry]) -> Vec<EntryId> {
    let mut ids: Vec<EntryId> = Vec::new();
    for entry in entries {
        let EntryBody::Allergy(allergy) = &entry.body else {
            continue;
        };
        let same = allergy.substance.system == medication.system
            && allergy.substance.code == medication.code;
        if same && is_standing_allergy(entry) && !ids.contains(&entry.id) {
            ids.push(entry.id);
        }
    }
    ids
}
