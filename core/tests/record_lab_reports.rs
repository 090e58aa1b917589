//! Specification of observations and lab reports as named operations: an
//! observation's flag computed on write; a report and its results written
//! together or not at all; preliminary → final → amended.

mod common;

use carebase::Count32;
use std::str::FromStr;

use carebase::record::{
    Coding, EntryBody, NewLabReport, Observation, ObservationCategory, ObservationStatus,
    ObservationValue, ReportStatus, RevisionKind,
};
use carebase::terminology::interpretation::{Interpretation, ReferenceRange};
use carebase::Error;
use chrono::Duration;
use common::record::{encounter, loinc, RecordWorld};
use rust_decimal::Decimal;

/// Glucose [Mass/volume] in blood.
const GLUCOSE: &str = "2339-0";
/// Basic metabolic panel.
const PANEL: &str = "51990-0";

fn fields(err: &Error) -> Vec<(String, String)> {
    match err {
        Error::Validation { fields } => fields
            .iter()
            .map(|f| (f.field.clone(), f.code.clone()))
            .collect(),
        other => panic!("expected validation, got {other:?}"),
    }
}

/// A final lab result of glucose in `unit`, normal 70–100 mg/dL.
fn glucose(value: &str, unit: &str) -> Observation {
    Observation {
        code: loinc(GLUCOSE),
        category: ObservationCategory::Laboratory,
        status: ObservationStatus::Final,
        value: Some(ObservationValue::Quantity {
            value: Decimal::from_str(value).unwrap(),
            unit: unit.into(),
        }),
        components: vec![],
        reference_ranges: vec![serde_json::from_value::<ReferenceRange>(serde_json::json!({
            "low": {"value": "70", "unit": "mg/dL"},
            "high": {"value": "100", "unit": "mg/dL"},
        }))
        .unwrap()],
        interpretation: None,
    }
}

fn panel(status: ReportStatus, results: Vec<Observation>) -> NewLabReport {
    NewLabReport {
        code: loinc(PANEL),
        status,
        results,
        issued_at: None,
        conclusion: None,
    }
}

#[tokio::test]
async fn recording_an_observation_computes_its_flag_from_the_range() {
    let r = RecordWorld::new().await;
    let entry = r
        .world
        .clinic
        .record_observation(
            &r.world.doctor,
            r.patient.id,
            r.now(),
            None,
            &glucose("130", "mg/dL"),
        )
        .await
        .unwrap();
    let EntryBody::Observation(o) = &entry.body else {
        panic!("expected an observation");
    };
    assert_eq!(o.interpretation, Some(Interpretation::High));
}

#[tokio::test]
async fn a_bad_observation_names_its_fields_under_observation() {
    let r = RecordWorld::new().await;
    let err = r
        .world
        .clinic
        .record_observation(
            &r.world.doctor,
            r.patient.id,
            r.now(),
            None,
            &glucose("90", "not a unit"),
        )
        .await
        .unwrap_err();
    assert_eq!(fields(&err)[0].0, "observation.value.unit");
}

#[tokio::test]
async fn a_lab_report_and_its_results_are_written_together_the_report_naming_them() {
    let r = RecordWorld::new().await;
    let written = r
        .world
        .clinic
        .record_lab_report(
            &r.world.doctor,
            r.patient.id,
            r.now() - Duration::hours(1),
            None,
            &panel(
                ReportStatus::Preliminary,
                vec![glucose("90", "mg/dL"), glucose("60", "mg/dL")],
            ),
        )
        .await
        .unwrap();
    assert_eq!(written.results.len(), 2);
    let EntryBody::DiagnosticReport(report) = &written.report.body else {
        panic!("expected a report");
    };
    let ids: Vec<_> = written.results.iter().map(|e| e.id).collect();
    assert_eq!(report.results, ids);
    let timeline = r
        .world
        .clinic
        .patient_timeline(&r.world.doctor, r.patient.id, &Default::default())
        .await
        .unwrap();
    assert_eq!(timeline.items.len(), 3);
}

#[tokio::test]
async fn each_result_takes_the_reports_encounter_and_clinical_time() {
    let r = RecordWorld::new().await;
    let visit = r
        .record(r.new_entry(encounter(carebase::record::EncounterStatus::InProgress)))
        .await;
    let at = r.now() - Duration::minutes(20);
    let written = r
        .world
        .clinic
        .record_lab_report(
            &r.world.doctor,
            r.patient.id,
            at,
            Some(visit.id),
            &panel(ReportStatus::Final, vec![glucose("90", "mg/dL")]),
        )
        .await
        .unwrap();
    assert_eq!(written.report.encounter, Some(visit.id));
    assert_eq!(written.results[0].encounter, Some(visit.id));
    assert_eq!(written.results[0].effective_at, at);
}

#[tokio::test]
async fn each_result_is_announced_as_observation_recorded() {
    let r = RecordWorld::new().await;
    r.world
        .clinic
        .record_lab_report(
            &r.world.doctor,
            r.patient.id,
            r.now(),
            None,
            &panel(
                ReportStatus::Final,
                vec![glucose("90", "mg/dL"), glucose("91", "mg/dL")],
            ),
        )
        .await
        .unwrap();
    let recorded = r
        .world
        .clinic
        .events_after(&r.world.system, vec![], Count32::new(1000))
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.draft.kind == "observation.recorded")
        .count();
    assert_eq!(recorded, 2);
}

#[tokio::test]
async fn a_bad_result_refuses_the_whole_report_naming_the_results_field() {
    let r = RecordWorld::new().await;
    let results = vec![
        glucose("90", "mg/dL"),
        glucose("91", "mg/dL"),
        glucose("92", "furlongs"),
    ];
    let err = r
        .world
        .clinic
        .record_lab_report(
            &r.world.doctor,
            r.patient.id,
            r.now(),
            None,
            &panel(ReportStatus::Final, results),
        )
        .await
        .unwrap_err();
    let named: Vec<String> = fields(&err).into_iter().map(|(f, _)| f).collect();
    assert!(
        named.iter().all(|f| f.starts_with("results[2].value")),
        "{named:?}"
    );
    let timeline = r
        .world
        .clinic
        .patient_timeline(&r.world.doctor, r.patient.id, &Default::default())
        .await
        .unwrap();
    assert!(
        timeline.items.is_empty(),
        "nothing of the report was written"
    );
}

#[tokio::test]
async fn every_bad_result_and_the_reports_own_problems_are_listed_together() {
    let r = RecordWorld::new().await;
    let mut report = panel(
        ReportStatus::Final,
        vec![
            glucose("90", "furlongs"),
            glucose("91", "mg/dL"),
            glucose("92", "parsecs"),
        ],
    );
    report.code = Coding {
        system: "http://loinc.org".into(),
        code: "12345-6".into(),
        display: None,
    };
    let err = r
        .world
        .clinic
        .record_lab_report(&r.world.doctor, r.patient.id, r.now(), None, &report)
        .await
        .unwrap_err();
    let named: Vec<String> = fields(&err).into_iter().map(|(f, _)| f).collect();
    assert!(
        named.iter().any(|f| f.starts_with("results[0].")),
        "{named:?}"
    );
    assert!(
        named.iter().any(|f| f.starts_with("results[2].")),
        "{named:?}"
    );
    assert!(named.contains(&"code.code".to_owned()), "{named:?}");
}

#[tokio::test]
async fn a_report_is_recorded_preliminary_or_final_only() {
    let r = RecordWorld::new().await;
    let err = r
        .world
        .clinic
        .record_lab_report(
            &r.world.doctor,
            r.patient.id,
            r.now(),
            None,
            &panel(ReportStatus::Amended, vec![glucose("90", "mg/dL")]),
        )
        .await
        .unwrap_err();
    assert_eq!(
        fields(&err),
        vec![("status".to_owned(), "out_of_range".to_owned())]
    );
}

#[tokio::test]
async fn a_preliminary_report_made_final_then_corrected_is_amended_keeping_every_version() {
    let r = RecordWorld::new().await;
    let clinic = &r.world.clinic;
    let doctor = &r.world.doctor;
    let written = clinic
        .record_lab_report(
            doctor,
            r.patient.id,
            r.now(),
            None,
            &panel(ReportStatus::Preliminary, vec![glucose("90", "mg/dL")]),
        )
        .await
        .unwrap();
    let id = written.report.id;
    let made_final = clinic
        .change_entry_status(doctor, r.patient.id, id, Count32::new(1), "final")
        .await
        .unwrap();
    assert_eq!(made_final.status(), "final");
    let mut corrected = made_final.body.clone();
    if let EntryBody::DiagnosticReport(report) = &mut corrected {
        report.conclusion = Some("fasting sample".into());
    }
    let amended = clinic
        .amend_entry(
            doctor,
            r.patient.id,
            id,
            Count32::new(2),
            &corrected,
            "conclusion added",
        )
        .await
        .unwrap();
    assert_eq!(amended.status(), "amended");
    assert_eq!(amended.revision.kind, RevisionKind::Amended);
    let history = clinic
        .entry_history(doctor, r.patient.id, id)
        .await
        .unwrap();
    let statuses: Vec<_> = history.iter().map(|e| e.status()).collect();
    assert_eq!(statuses, vec!["preliminary", "final", "amended"]);
}
