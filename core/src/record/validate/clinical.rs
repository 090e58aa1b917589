//! Conditions, allergies, prescriptions, procedures, immunizations, notes
//! and documents (the record-kinds engineer's part): SKELETON, codes
//! checked only.

use super::check_coding;
use crate::record::{
    Allergy, ClinicalNote, Condition, DocumentEntry, Immunization, Prescription, Procedure,
};
use crate::validation::Errors;

pub(super) fn condition(errors: &mut Errors, condition: &Condition) {
    check_coding(errors, "body.code", &condition.code);
}

pub(super) fn allergy(errors: &mut Errors, allergy: &Allergy) {
    check_coding(errors, "body.substance", &allergy.substance);
}

pub(super) fn prescription(errors: &mut Errors, prescription: &Prescription) {
    check_coding(errors, "body.medication", &prescription.medication);
}

pub(super) fn procedure(errors: &mut Errors, procedure: &Procedure) {
    check_coding(errors, "body.code", &procedure.code);
}

pub(super) fn immunization(errors: &mut Errors, immunization: &Immunization) {
    check_coding(errors, "body.vaccine", &immunization.vaccine);
}

pub(super) fn note(_errors: &mut Errors, _note: &ClinicalNote) {}

pub(super) fn document(_errors: &mut Errors, _document: &DocumentEntry) {}
