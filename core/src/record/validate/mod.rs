//! The rules of each kind of entry's content, one module per kind; every
//! failing field is collected (paths under `body.`), never the first only.

mod clinical;
mod measures;

pub use measures::MAX_REPORT_RESULTS;

use super::{Coding, EntryBody};
use crate::limits::MAX_RECORD_TEXT_CHARS;
use crate::terminology::code_system::check_code;
use crate::validation::{line, Errors};

/// Checks a coding: its code against its system's format, and its system
/// a required bounded line (a code means nothing without the system that
/// defines it, so an unknown system is kept as given but a blank one is
/// refused).
pub(crate) fn check_coding(errors: &mut Errors, field: &str, coding: &Coding) {
    if let Err(problem) = check_code(&format!("{field}.code"), &coding.system, &coding.code) {
        errors.push(problem);
    }
    line(
        errors,
        &format!("{field}.system"),
        &coding.system,
        MAX_RECORD_TEXT_CHARS,
    );
}

/// Every problem of a body that depends on its entry's clinical time (a
/// procedure ending before it started), each on its field under `body.`.
pub(crate) fn timed_problems(
    errors: &mut Errors,
    effective_at: chrono::DateTime<chrono::Utc>,
    body: &EntryBody,
) {
    clinical::procedure_period(errors, effective_at, body);
}

/// Every problem of `body`, each on its field under `body.`.
pub(crate) fn check_body(errors: &mut Errors, body: &EntryBody) {
    match body {
        EntryBody::Encounter(e) => measures::encounter(errors, e),
        EntryBody::Observation(o) => measures::observation(errors, o),
        EntryBody::DiagnosticReport(r) => measures::report(errors, r),
        EntryBody::Condition(c) => clinical::condition(errors, c),
        EntryBody::Allergy(a) => clinical::allergy(errors, a),
        EntryBody::Prescription(p) => clinical::prescription(errors, p),
        EntryBody::Procedure(p) => clinical::procedure(errors, p),
        EntryBody::Immunization(i) => clinical::immunization(errors, i),
        EntryBody::Note(n) => clinical::note(errors, n),
        EntryBody::Document(d) => clinical::document(errors, d),
    }
}
