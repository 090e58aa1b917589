//! Encounters, observations and lab reports: codes against their systems,
//! every quantity's unit valid UCUM, a vital sign's unit one its FHIR R4
//! profile allows (a body weight in `cm` is refused on its field), a blood
//! pressure with its systolic and diastolic components, sound reference
//! ranges, and bounded counts and text.

use super::check_coding;
use crate::limits::{MAX_NOTE_CHARS, MAX_TEXT_CHARS};
use crate::record::{
    DiagnosticReport, Encounter, Observation, ObservationComponent, ObservationValue,
};
use crate::terminology::interpretation::{range_problems, ReferenceRange};
use crate::terminology::ucum::Unit;
use crate::terminology::vital_signs::{check_vital_sign_unit, vital_sign, VitalValue};
use crate::validation::{free_text, Errors};

/// LOINC's system URI: vital-sign rules apply to LOINC codes only.
const LOINC: &str = "http://loinc.org";

/// Most parts of one observation (a panel's members).
pub const MAX_COMPONENTS: usize = 50;

/// Most reference ranges of one value (per sex and age band).
pub const MAX_REFERENCE_RANGES: usize = 20;

/// Most results one lab report groups.
pub const MAX_REPORT_RESULTS: usize = 200;

/// Most reasons and practitioners of one encounter.
pub const MAX_ENCOUNTER_ITEMS: usize = 50;

pub(super) fn encounter(errors: &mut Errors, encounter: &Encounter) {
    if encounter.reasons.len() > MAX_ENCOUNTER_ITEMS {
        errors.add(
            "body.reasons",
            "too_many",
            format!("at most {MAX_ENCOUNTER_ITEMS}"),
        );
    }
    if encounter.practitioners.len() > MAX_ENCOUNTER_ITEMS {
        errors.add(
            "body.practitioners",
            "too_many",
            format!("at most {MAX_ENCOUNTER_ITEMS}"),
        );
    }
    for (i, reason) in encounter
        .reasons
        .iter()
        .enumerate()
        .take(MAX_ENCOUNTER_ITEMS)
    {
        check_coding(errors, &format!("body.reasons[{i}]"), reason);
    }
    if let Some(location) = &encounter.location {
        free_text(errors, "body.location", location, MAX_TEXT_CHARS, false);
    }
    if let (Some(start), Some(end)) = (encounter.started_at, encounter.ended_at) {
        if end < start {
            errors.add(
                "body.ended_at",
                "out_of_range",
                "must not be before started_at",
            );
        }
    }
}

/// A value's problems on `field`: a quantity's unit valid UCUM and, under
/// a vital-sign LOINC `code`, one the profile allows; text bounded.
fn value(errors: &mut Errors, field: &str, system: &str, code: &str, value: &ObservationValue) {
    match value {
        ObservationValue::Quantity { unit, .. } => {
            let unit_field = format!("{field}.unit");
            if let Err(problem) = Unit::parse(&unit_field, unit) {
                errors.push(problem);
            } else if system == LOINC {
                if let Err(problem) = check_vital_sign_unit(&unit_field, code, unit) {
                    errors.push(problem);
                }
            }
        }
        ObservationValue::Coded { coding } => {
            check_coding(errors, &format!("{field}.coding"), coding)
        }
        ObservationValue::Text { text } => {
            free_text(errors, &format!("{field}.text"), text, MAX_NOTE_CHARS, true);
        }
        ObservationValue::Boolean { .. } => {}
    }
}

fn ranges(errors: &mut Errors, field: &str, ranges: &[ReferenceRange]) {
    if ranges.len() > MAX_REFERENCE_RANGES {
        errors.add(field, "too_many", format!("at most {MAX_REFERENCE_RANGES}"));
    }
    for (i, range) in ranges.iter().enumerate().take(MAX_REFERENCE_RANGES) {
        range_problems(&format!("{field}[{i}]"), range)
            .into_iter()
            .for_each(|p| errors.push(p));
    }
}

fn component(errors: &mut Errors, field: &str, part: &ObservationComponent) {
    check_coding(errors, &format!("{field}.code"), &part.code);
    if let Some(v) = &part.value {
        value(
            errors,
            &format!("{field}.value"),
            &part.code.system,
            &part.code.code,
            v,
        );
    }
    ranges(
        errors,
        &format!("{field}.reference_ranges"),
        &part.reference_ranges,
    );
}

pub(super) fn observation(errors: &mut Errors, observation: &Observation) {
    let code = &observation.code;
    check_coding(errors, "body.code", code);
    if let Some(v) = &observation.value {
        value(errors, "body.value", &code.system, &code.code, v);
    }
    ranges(
        errors,
        "body.reference_ranges",
        &observation.reference_ranges,
    );
    if observation.components.len() > MAX_COMPONENTS {
        errors.add(
            "body.components",
            "too_many",
            format!("at most {MAX_COMPONENTS}"),
        );
    }
    for (i, part) in observation
        .components
        .iter()
        .enumerate()
        .take(MAX_COMPONENTS)
    {
        component(errors, &format!("body.components[{i}]"), part);
    }
    let panel = (code.system == LOINC)
        .then(|| vital_sign(&code.code))
        .flatten();
    if let Some(VitalValue::Panel(members)) = panel.map(|v| v.value) {
        let missing: Vec<&str> = members
            .iter()
            .copied()
            .filter(|m| {
                !observation
                    .components
                    .iter()
                    .any(|c| c.code.system == LOINC && c.code.code == *m)
            })
            .collect();
        if !missing.is_empty() {
            errors.add(
                "body.components",
                "required",
                format!("needs components {}", missing.join(" and ")),
            );
        }
    }
}

pub(super) fn report(errors: &mut Errors, report: &DiagnosticReport) {
    check_coding(errors, "body.code", &report.code);
    if report.results.len() > MAX_REPORT_RESULTS {
        errors.add(
            "body.results",
            "too_many",
            format!("at most {MAX_REPORT_RESULTS}"),
        );
    }
    if let Some(conclusion) = &report.conclusion {
        free_text(errors, "body.conclusion", conclusion, MAX_NOTE_CHARS, false);
    }
}
