//! Encounters, observations and lab reports (the record-core engineer's
//! part): SKELETON, codes checked only.

use super::check_coding;
use crate::record::{DiagnosticReport, Encounter, Observation};
use crate::validation::Errors;

pub(super) fn encounter(errors: &mut Errors, encounter: &Encounter) {
    for (i, reason) in encounter.reasons.iter().enumerate() {
        check_coding(errors, &format!("body.reasons[{i}]"), reason);
    }
}

pub(super) fn observation(errors: &mut Errors, observation: &Observation) {
    check_coding(errors, "body.code", &observation.code);
}

pub(super) fn report(errors: &mut Errors, report: &DiagnosticReport) {
    check_coding(errors, "body.code", &report.code);
}
