//! Observations and lab reports as named operations. An observation's
//! interpretation is computed on write (`measures`); a lab report and its
//! result observations are written in ONE change set, the results first
//! (each in the report's encounter, at its clinical time, announcing
//! `observation.recorded`), the report naming them by id. A bad result
//! refuses the whole report, its field named under `results[i]`.

use chrono::{DateTime, Utc};

use super::{joined, rebased, Clinic};
use crate::actor::Actor;
use crate::ids::{EntryId, PatientId};
use crate::policy::Permission;
use crate::record::{
    ClinicalEntry, DiagnosticReport, EntryBody, LabReport, NewEntry, NewLabReport, Observation,
    ReportStatus, MAX_REPORT_RESULTS,
};
use crate::validation::Errors;
use crate::{Error, Result};

impl Clinic {
    /// Records a vital sign, a lab result or another measurement
    /// (`observation.recorded`). Its `interpretation` is computed from the
    /// value and the first reference range that applies to the patient
    /// (never taken from the caller); a vital sign's unit must be one its
    /// profile allows. Fields are named under `observation.`.
    pub async fn record_observation(
        &self,
        actor: &Actor,
        patient: PatientId,
        effective_at: DateTime<Utc>,
        encounter: Option<EntryId>,
        observation: &Observation,
    ) -> Result<ClinicalEntry> {
        let entry = NewEntry {
            effective_at,
            encounter,
            body: EntryBody::Observation(observation.clone()),
        };
        self.record_entry(actor, patient, &entry)
            .await
            .map_err(|e| rebased(e, "observation", "effective_at"))
    }

    /// Records a lab report (`preliminary` or `final`) and its result
    /// observations in ONE change set: each result is an entry of its own,
    /// in the report's encounter and at its clinical time, and the report
    /// names them in order. Every problem of the report and of every
    /// result is listed (`results[2].value`); any one refuses it all.
    /// Made final later with `change_entry_status`; a final report
    /// corrected with `amend_entry` becomes `amended`, both versions kept.
    pub async fn record_lab_report(
        &self,
        actor: &Actor,
        patient: PatientId,
        effective_at: DateTime<Utc>,
        encounter: Option<EntryId>,
        report: &NewLabReport,
    ) -> Result<LabReport> {
        let attempt = self
            .authorize(actor, Permission::RecordWrite, Some(patient))
            .await?;
        self.audited(&attempt, async {
            let mut errors = Errors::default();
            if !matches!(
                report.status,
                ReportStatus::Preliminary | ReportStatus::Final
            ) {
                errors.add("status", "out_of_range", "must be preliminary or final");
            }
            if !errors.count(
                "results",
                report.results.len(),
                MAX_REPORT_RESULTS,
                "results",
            ) {
                return Err(Error::validation(errors.into_vec()));
            }
            let new = |body| NewEntry {
                effective_at,
                encounter,
                body,
            };
            let mut results = Vec::with_capacity(report.results.len());
            for (i, result) in report.results.iter().enumerate() {
                let body = EntryBody::Observation(result.clone());
                match self.first_version(actor, patient, new(body)).await {
                    Ok(stored) => results.push(stored),
                    Err(err) => collect(
                        &mut errors,
                        rebased(err, &format!("results[{i}]"), "effective_at"),
                    )?,
                }
            }
            let body = EntryBody::DiagnosticReport(DiagnosticReport {
                code: report.code.clone(),
                status: report.status,
                results: Vec::new(),
                issued_at: report.issued_at,
                conclusion: report.conclusion.clone(),
            });
            let built = match self.first_version(actor, patient, new(body)).await {
                Ok(stored) => Some(stored),
                Err(err) => {
                    collect(&mut errors, rebased(err, "", "effective_at"))?;
                    None
                }
            };
            errors.finish()?;
            // A refused report always left a field in `errors`.
            let Some(mut stored) = built else {
                return Err(Error::storage("a refused report named no field"));
            };
            if let EntryBody::DiagnosticReport(r) = &mut stored.body {
                r.results = results.iter().map(|e| e.id).collect();
            }
            let mut parts: Vec<_> = results
                .iter()
                .map(|r| self.entry_changes(&attempt, r, None))
                .collect();
            parts.push(self.entry_changes(&attempt, &stored, None));
            self.store.apply(joined(parts)).await?;
            Ok(LabReport {
                report: stored,
                results,
            })
        })
        .await
    }
}

/// Keeps a validation error's fields in `errors` (so every result's
/// problems are listed); any other error ends the operation.
fn collect(errors: &mut Errors, err: Error) -> Result<()> {
    match err {
        Error::Validation { fields } => {
            fields.into_iter().for_each(|f| errors.push(f));
            Ok(())
        }
        other => Err(other),
    }
}
