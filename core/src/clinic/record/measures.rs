//! What core adds to observations and lab reports before they are stored:
//! the interpretation flag, computed from the value and the first
//! reference range that applies to the patient's sex and age at the
//! effective time (never the caller's), and a report's results checked to
//! be standing observations of the same patient.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::super::Clinic;
use crate::ids::PatientId;
use crate::patient::Patient;
use crate::record::{DiagnosticReport, EntryKind, Observation, ObservationValue};
use crate::terminology::interpretation::{
    interpret, Interpretation, Quantity, ReferenceRange, Subject,
};
use crate::validation::Errors;
use crate::Result;

/// Whole years from `born` to `on` (`None` before birth).
fn age_years(born: NaiveDate, on: NaiveDate) -> Option<u32> {
    let mut years = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// Who a range is chosen for: the patient's sex and age when measured.
fn subject(patient: &Patient, effective_at: DateTime<Utc>) -> Subject {
    Subject {
        sex: patient.details.gender,
        age_years: patient
            .details
            .birth_date
            .and_then(|born| age_years(born, effective_at.date_naive())),
    }
}

/// The flag of `value` against `ranges`; a unit problem is collected.
fn flag(
    errors: &mut Errors,
    field: &str,
    value: Option<&ObservationValue>,
    ranges: &[ReferenceRange],
    subject: &Subject,
) -> Option<Interpretation> {
    let Some(ObservationValue::Quantity { value, unit }) = value else {
        return None;
    };
    let quantity = Quantity::new(*value, unit.clone());
    let ranges_field = field.replace("value", "reference_ranges");
    match interpret(field, &quantity, &ranges_field, ranges, subject) {
        Ok(flag) => flag,
        Err(problem) => {
            errors.push(problem);
            None
        }
    }
}

/// `observation` with its flags (and its components') computed.
pub(super) fn interpreted(
    patient: &Patient,
    effective_at: DateTime<Utc>,
    mut observation: Observation,
) -> Result<Observation> {
    let subject = subject(patient, effective_at);
    let mut errors = Errors::default();
    observation.interpretation = flag(
        &mut errors,
        "body.value",
        observation.value.as_ref(),
        &observation.reference_ranges,
        &subject,
    );
    for (i, part) in observation.components.iter_mut().enumerate() {
        part.interpretation = flag(
            &mut errors,
            &format!("body.components[{i}].value"),
            part.value.as_ref(),
            &part.reference_ranges,
            &subject,
        );
    }
    errors.finish()?;
    Ok(observation)
}

impl Clinic {
    /// A report's results must be standing observations of its patient
    /// (`validation` `not_an_observation` on `body.results[i]`).
    pub(super) async fn check_results(
        &self,
        patient: PatientId,
        report: &DiagnosticReport,
    ) -> Result<()> {
        let mut errors = Errors::default();
        for (i, id) in report.results.iter().enumerate() {
            let found = self.store.entry(patient, *id).await?;
            let standing =
                found.is_some_and(|e| !e.is_retracted() && e.kind() == EntryKind::Observation);
            if !standing {
                errors.add(
                    format!("body.results[{i}]"),
                    "not_an_observation",
                    "must name an observation of the same patient",
                );
            }
        }
        errors.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_counts_whole_years_turning_on_the_birthday() {
        let born = NaiveDate::from_ymd_opt(2000, 6, 15).unwrap_or_default();
        let day = |m, d| NaiveDate::from_ymd_opt(2030, m, d).unwrap_or_default();
        assert_eq!(age_years(born, day(6, 14)), Some(29));
        assert_eq!(age_years(born, day(6, 15)), Some(30));
    }
}
