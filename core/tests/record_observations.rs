//! Specification of observations and lab reports: vital-sign units, UCUM
//! validity, blood pressure components, computed interpretation, reports
//! grouping observations of the same patient.

mod common;

use carebase::Count32;
use std::str::FromStr;

use carebase::record::{
    Coding, DiagnosticReport, EntryBody, ObservationComponent, ObservationValue, ReportStatus,
};
use carebase::terminology::interpretation::{Interpretation, Quantity, ReferenceRange};
use carebase::Error;
use common::record::{loinc, vital, RecordWorld, BODY_WEIGHT};
use rust_decimal::Decimal;

fn fields(err: &Error) -> Vec<(String, String)> {
    match err {
        Error::Validation { fields } => fields
            .iter()
            .map(|f| (f.field.clone(), f.code.clone()))
            .collect(),
        other => panic!("expected validation, got {other:?}"),
    }
}

fn q(value: &str, unit: &str) -> Quantity {
    Quantity::new(Decimal::from_str(value).unwrap(), unit)
}

fn glucose(value: &str, flag: Option<Interpretation>) -> EntryBody {
    let EntryBody::Observation(mut o) = vital("2345-7", value, "mg/dL") else {
        unreachable!()
    };
    o.category = carebase::record::ObservationCategory::Laboratory;
    o.reference_ranges = vec![ReferenceRange {
        low: Some(q("70", "mg/dL")),
        high: Some(q("99", "mg/dL")),
        critical_high: Some(q("400", "mg/dL")),
        ..ReferenceRange::default()
    }];
    o.interpretation = flag;
    EntryBody::Observation(o)
}

fn interpretation(body: &EntryBody) -> Option<Interpretation> {
    match body {
        EntryBody::Observation(o) => o.interpretation,
        _ => None,
    }
}

async fn refused(r: &RecordWorld, body: EntryBody) -> Vec<(String, String)> {
    let err = r
        .world
        .clinic
        .record_entry(&r.world.doctor, r.patient.id, &r.new_entry(body))
        .await
        .unwrap_err();
    fields(&err)
}

#[tokio::test]
async fn a_body_weight_in_centimetres_is_a_validation_error_naming_the_unit() {
    let r = RecordWorld::new().await;
    assert_eq!(
        refused(&r, vital(BODY_WEIGHT, "70", "cm")).await,
        vec![("body.value.unit".into(), "invalid_unit".into())]
    );
}

#[tokio::test]
async fn a_unit_that_is_not_ucum_is_a_validation_error_naming_the_unit() {
    let r = RecordWorld::new().await;
    let problems = refused(&r, vital("2345-7", "90", "milligrams")).await;
    assert_eq!(problems[0].0, "body.value.unit");
}

#[tokio::test]
async fn an_observation_code_with_a_blank_system_is_a_validation_error_naming_the_system() {
    let r = RecordWorld::new().await;
    let EntryBody::Observation(mut o) = vital("2345-7", "90", "mg/dL") else {
        unreachable!()
    };
    o.code.system = " ".into();
    assert_eq!(
        refused(&r, EntryBody::Observation(o)).await,
        vec![("body.code.system".into(), "required".into())]
    );
}

#[tokio::test]
async fn a_blood_pressure_without_its_components_is_a_validation_error() {
    let r = RecordWorld::new().await;
    let EntryBody::Observation(mut bp) = vital("85354-9", "1", "1") else {
        unreachable!()
    };
    bp.value = None;
    assert_eq!(
        refused(&r, EntryBody::Observation(bp)).await,
        vec![("body.components".into(), "required".into())]
    );
}

#[tokio::test]
async fn a_blood_pressure_with_systolic_and_diastolic_components_is_recorded_with_their_flags() {
    let r = RecordWorld::new().await;
    let part = |code: &str, value: &str, high: &str| ObservationComponent {
        code: loinc(code),
        value: Some(ObservationValue::Quantity {
            value: Decimal::from_str(value).unwrap(),
            unit: "mm[Hg]".into(),
        }),
        reference_ranges: vec![ReferenceRange {
            high: Some(q(high, "mm[Hg]")),
            ..ReferenceRange::default()
        }],
        interpretation: None,
    };
    let EntryBody::Observation(mut bp) = vital("85354-9", "1", "1") else {
        unreachable!()
    };
    bp.value = None;
    bp.components = vec![part("8480-6", "150", "120"), part("8462-4", "70", "80")];
    let entry = r.record(r.new_entry(EntryBody::Observation(bp))).await;
    let EntryBody::Observation(stored) = entry.body else {
        panic!("an observation")
    };
    let flags: Vec<_> = stored.components.iter().map(|c| c.interpretation).collect();
    assert_eq!(
        flags,
        vec![Some(Interpretation::High), Some(Interpretation::Normal)]
    );
}

#[tokio::test]
async fn the_interpretation_is_computed_from_the_range_not_taken_from_the_caller() {
    let r = RecordWorld::new().await;
    let entry = r
        .record(r.new_entry(glucose("150", Some(Interpretation::Normal))))
        .await;
    assert_eq!(interpretation(&entry.body), Some(Interpretation::High));
}

#[tokio::test]
async fn a_value_beyond_the_critical_limit_is_flagged_critical() {
    let r = RecordWorld::new().await;
    let entry = r.record(r.new_entry(glucose("450", None))).await;
    assert_eq!(
        interpretation(&entry.body),
        Some(Interpretation::CriticalHigh)
    );
}

#[tokio::test]
async fn a_range_for_the_other_sex_does_not_flag_the_value() {
    let r = RecordWorld::new().await;
    let EntryBody::Observation(mut o) = glucose("150", None) else {
        unreachable!()
    };
    let other = if r.patient.details.gender == Some(carebase::patient::Gender::Male) {
        carebase::patient::Gender::Female
    } else {
        carebase::patient::Gender::Male
    };
    o.reference_ranges[0].sex = Some(other);
    let entry = r.record(r.new_entry(EntryBody::Observation(o))).await;
    assert_eq!(interpretation(&entry.body), None);
}

#[tokio::test]
async fn a_range_in_a_unit_that_does_not_convert_is_a_validation_error_on_the_range() {
    let r = RecordWorld::new().await;
    let EntryBody::Observation(mut o) = glucose("150", None) else {
        unreachable!()
    };
    o.reference_ranges[0].low = Some(q("3.9", "mmol/L"));
    o.reference_ranges[0].high = Some(q("5.5", "mmol/L"));
    o.reference_ranges[0].critical_high = None;
    let problems = refused(&r, EntryBody::Observation(o)).await;
    assert!(
        problems[0].0.starts_with("body.reference_ranges[0]"),
        "{problems:?}"
    );
}

fn panel(results: Vec<carebase::EntryId>) -> EntryBody {
    EntryBody::DiagnosticReport(DiagnosticReport {
        code: Coding {
            system: "http://loinc.org".into(),
            code: "24323-8".into(),
            display: None,
        },
        status: ReportStatus::Preliminary,
        results,
        issued_at: None,
        conclusion: None,
    })
}

#[tokio::test]
async fn a_lab_report_groups_observations_of_its_patient_and_moves_preliminary_final_amended() {
    let r = RecordWorld::new().await;
    let result = r.record(r.new_entry(glucose("90", None))).await;
    let report = r.record(r.new_entry(panel(vec![result.id]))).await;
    let clinic = &r.world.clinic;
    let doctor = &r.world.doctor;
    let fin = clinic
        .change_entry_status(doctor, r.patient.id, report.id, Count32::new(1), "final")
        .await
        .unwrap();
    assert_eq!(fin.status(), "final");
    let amended = clinic
        .change_entry_status(doctor, r.patient.id, report.id, Count32::new(2), "amended")
        .await
        .unwrap();
    assert_eq!(amended.status(), "amended");
}

#[tokio::test]
async fn a_lab_report_naming_an_entry_that_is_no_observation_of_the_patient_is_refused() {
    let r = RecordWorld::new().await;
    assert_eq!(
        refused(&r, panel(vec![carebase::EntryId::new()])).await,
        vec![("body.results[0]".into(), "not_an_observation".into())]
    );
}
