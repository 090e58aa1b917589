//! Documents from hosts as specifications: policies (TOML, JSON), FHIR
//! resources (a value a host built, or JSON text) and call arguments are
//! bounded in depth, size, string length and list length before anything
//! recursive reads them; past a bound the answer is a typed error naming
//! where, never a crash (issue 10, defects 1, 2 and 11).

mod common;

use carebase::Count32;
use std::collections::BTreeMap;

use carebase::clinic::NewPatient;
use carebase::document::{check_arguments, dismantle, parse_text};
use carebase::limits::{
    MAX_DOCUMENT_BYTES, MAX_DOCUMENT_DEPTH, MAX_DOCUMENT_ITEMS, MAX_DOCUMENT_STRING_BYTES,
};
use carebase::policy::Policy;
use carebase::schedule::fhir::{
    appointment_from_fhir, FhirAppointment, FhirAppointmentImport, FhirRefs, FhirSchedule, FhirSlot,
};
use carebase::schedule::{AppointmentQuery, NewPractitioner, NewVisitType};
use carebase::{Actor, Error, PatientId, PractitionerId, Role};
use chrono::{Duration, TimeZone, Utc};
use serde_json::{json, Value};

/// `levels` arrays around `leaf`, built without recursion.
fn nested(levels: usize, leaf: Value) -> Value {
    let mut value = leaf;
    for _ in 0..levels {
        value = Value::Array(vec![value]);
    }
    value
}

/// A small, valid Appointment with `extension` set to `extension` (moved
/// in: `json!` would serialize it, recursively).
fn appointment(extension: Value) -> Value {
    let mut resource = json!({
        "resourceType": "Appointment",
        "status": "booked",
        "start": "2030-01-07T09:00:00Z",
        "end": "2030-01-07T09:30:00Z",
        "participant": [
            {"actor": {"reference": format!("Patient/{}", PatientId::new())}},
            {"actor": {"reference": format!("Practitioner/{}", PractitionerId::new())}},
        ],
    });
    resource["extension"] = extension;
    resource
}

fn field_codes(err: &Error) -> Vec<(String, String)> {
    match err {
        Error::Validation { fields } => fields
            .iter()
            .map(|f| (f.field.clone(), f.code.clone()))
            .collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn pair(field: &str, code: &str) -> Vec<(String, String)> {
    vec![(field.to_owned(), code.to_owned())]
}

fn policy_error(result: carebase::Result<Policy>) -> (String, String) {
    match result {
        Err(Error::InvalidPolicy { location, problem }) => (location, problem),
        other => panic!("expected invalid_policy, got {other:?}"),
    }
}

// ------------------------------------------------------------- policies ---

#[test]
fn a_json_policy_nested_ten_thousand_deep_is_an_invalid_policy_not_a_crash() {
    for depth in [5_000, 10_000, 100_000] {
        let text = format!(
            "{{\"version\": 1, \"rules\": {}{}}}",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let (location, message) = policy_error(Policy::from_json(&text));
        // The 63rd `[` opens level 65 (the root object is level 1).
        let column = "{\"version\": 1, \"rules\": ".len() + 64;
        assert_eq!(location, format!("line 1, column {column}"));
        assert_eq!(
            message,
            format!("at most {MAX_DOCUMENT_DEPTH} levels of nesting")
        );
    }
}

#[test]
fn a_toml_policy_nested_a_hundred_thousand_deep_is_an_invalid_policy_not_a_crash() {
    for depth in [10_000, 100_000] {
        let documents = [
            format!("rules = {}1{}", "[".repeat(depth), "]".repeat(depth)),
            format!("rules = {}1{}", "{a=".repeat(depth), "}".repeat(depth)),
            format!("{} = 1", vec!["a"; depth].join(".")),
            format!("[{}]\nx = 1", vec!["a"; depth].join(".")),
        ];
        for text in documents {
            policy_error(Policy::from_toml(&text));
        }
    }
}

#[test]
fn a_policy_one_level_past_the_depth_limit_names_the_line_and_column() {
    let json = |levels: usize| {
        format!(
            "{{\"version\": 1,\n\"rules\": {}{}}}",
            "[".repeat(levels),
            "]".repeat(levels)
        )
    };
    let (location, message) = policy_error(Policy::from_json(&json(MAX_DOCUMENT_DEPTH)));
    assert_eq!(location, format!("line 2, column {}", 10 + 63));
    assert_eq!(
        message,
        format!("at most {MAX_DOCUMENT_DEPTH} levels of nesting")
    );
    // At the limit the document is read, and found wrong for other reasons.
    let (_, message) = policy_error(Policy::from_json(&json(MAX_DOCUMENT_DEPTH - 1)));
    assert!(!message.contains("nesting"), "{message}");

    let toml = |levels: usize| {
        format!(
            "version = 1\nx = {}1{}",
            "[".repeat(levels),
            "]".repeat(levels)
        )
    };
    let (location, message) = policy_error(Policy::from_toml(&toml(MAX_DOCUMENT_DEPTH)));
    assert_eq!(location, format!("line 2, column {}", 5 + 63));
    assert_eq!(
        message,
        format!("at most {MAX_DOCUMENT_DEPTH} levels of nesting")
    );
    let (_, message) = policy_error(Policy::from_toml(&toml(MAX_DOCUMENT_DEPTH - 1)));
    assert!(!message.contains("nesting"), "{message}");
}

#[test]
fn a_policy_over_the_size_limit_is_refused_where_it_crosses_it() {
    let line = "# a comment line of sixty-four bytes, repeated past the limit..\n";
    let text = line.repeat(MAX_DOCUMENT_BYTES / line.len() + 1);
    let crossing = MAX_DOCUMENT_BYTES / line.len() + 1;
    for result in [Policy::from_toml(&text), Policy::from_json(&text)] {
        let (location, message) = policy_error(result);
        assert_eq!(location, format!("line {crossing}, column 1"));
        assert_eq!(
            message,
            format!("a policy document has at most {MAX_DOCUMENT_BYTES} bytes")
        );
    }
    assert!(Policy::from_toml(carebase::policy::DEFAULT_POLICY_TOML).is_ok());
}

// ------------------------------------------------------- FHIR resources ---

#[test]
fn a_fhir_resource_a_host_built_a_hundred_thousand_deep_is_too_deep_not_a_crash() {
    let resource = appointment(nested(100_000, json!({})));
    let refs = FhirRefs::new();
    assert_eq!(
        field_codes(&appointment_from_fhir(&resource, &refs).unwrap_err()),
        pair("resource", "too_deep")
    );
    assert_eq!(
        field_codes(&FhirAppointment::from_fhir(&resource).unwrap_err()),
        pair("resource", "too_deep")
    );
    assert_eq!(
        field_codes(&FhirSchedule::from_fhir(&resource).unwrap_err()),
        pair("resource", "too_deep")
    );
    assert_eq!(
        field_codes(&FhirSlot::from_fhir(&resource).unwrap_err()),
        pair("resource", "too_deep")
    );
    // serde_json's own `Drop` would recurse once per level.
    dismantle(resource);
}

#[test]
fn a_fhir_resource_at_the_depth_limit_is_read() {
    // The resource is level 1 and `extension` level 2.
    let resource = appointment(nested(MAX_DOCUMENT_DEPTH - 1, json!("leaf")));
    assert!(appointment_from_fhir(&resource, &FhirRefs::new()).is_ok());
    let resource = appointment(nested(MAX_DOCUMENT_DEPTH, json!("leaf")));
    assert_eq!(
        field_codes(&appointment_from_fhir(&resource, &FhirRefs::new()).unwrap_err()),
        pair("resource", "too_deep")
    );
}

#[test]
fn a_forty_megabyte_fhir_string_is_too_long_naming_its_path() {
    let mut resource = appointment(json!([]));
    resource["text"] = json!({"status": "generated", "div": "x".repeat(40 << 20)});
    let err = appointment_from_fhir(&resource, &FhirRefs::new()).unwrap_err();
    assert_eq!(
        field_codes(&err),
        vec![
            ("text.div".to_owned(), "too_long".to_owned()),
            ("resource".to_owned(), "too_large".to_owned()),
        ]
    );
    let Error::Validation { fields } = err else {
        unreachable!()
    };
    assert_eq!(
        fields[0].message,
        format!("strings and member names of at most {MAX_DOCUMENT_STRING_BYTES} bytes")
    );
}

#[test]
fn a_million_item_fhir_array_is_too_many_naming_its_path() {
    let resource = appointment(Value::Array(vec![json!(1); 1_000_000]));
    assert_eq!(
        field_codes(&appointment_from_fhir(&resource, &FhirRefs::new()).unwrap_err()),
        pair("extension", "too_many")
    );
    let fits = appointment(Value::Array(vec![json!(1); MAX_DOCUMENT_ITEMS]));
    assert!(appointment_from_fhir(&fits, &FhirRefs::new()).is_ok());
}

#[test]
fn member_names_that_are_not_element_names_never_appear_in_a_path() {
    let mut resource = appointment(json!([]));
    resource["contained"] = json!([{"Jane Doe, 1984-07-01": vec![0; MAX_DOCUMENT_ITEMS + 1]}]);
    assert_eq!(
        field_codes(&appointment_from_fhir(&resource, &FhirRefs::new()).unwrap_err()),
        pair("contained[0].*", "too_many")
    );
}

#[test]
fn fhir_json_text_is_bounded_before_it_is_parsed() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(
        field_codes(&parse_text(&deep, "resource").unwrap_err()),
        pair("resource", "too_deep")
    );
    let large = format!("{{\"div\": \"{}\"}}", "x".repeat(MAX_DOCUMENT_BYTES));
    assert_eq!(
        field_codes(&parse_text(&large, "resource").unwrap_err()),
        pair("resource", "too_large")
    );
    let resource = appointment(json!([]));
    assert_eq!(
        parse_text(&resource.to_string(), "resource").unwrap(),
        resource
    );
}

#[test]
fn call_arguments_nested_too_deep_name_the_argument() {
    let deep = format!("{}{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let args = format!("{{\"actor\": {{\"id\": \"x\", \"roles\": []}}, \"resource\": {deep}}}");
    assert_eq!(
        field_codes(&check_arguments(&args).unwrap_err()),
        pair("resource", "too_deep")
    );
}

#[tokio::test]
async fn an_import_with_too_many_or_too_long_references_names_references() {
    let (clinic, _, _) = common::clinic();
    let import = |references: BTreeMap<String, String>| FhirAppointmentImport {
        resource: appointment(json!([])),
        visit_type: None,
        references,
        migration: false,
    };
    let many = (0..=MAX_DOCUMENT_ITEMS)
        .map(|i| (format!("Patient/{i}"), PatientId::new().to_string()))
        .collect();
    let err = clinic
        .import_appointment_fhir(&Actor::system(), import(many))
        .await
        .unwrap_err();
    assert_eq!(field_codes(&err), pair("references", "too_many"));
    let long = [(
        "x".repeat(MAX_DOCUMENT_STRING_BYTES + 1),
        PatientId::new().to_string(),
    )]
    .into_iter()
    .collect();
    let err = clinic
        .import_appointment_fhir(&Actor::system(), import(long))
        .await
        .unwrap_err();
    assert_eq!(field_codes(&err), pair("references", "too_long"));
}

#[tokio::test]
async fn importing_a_resource_nested_a_hundred_thousand_deep_is_too_deep_and_writes_nothing() {
    let (clinic, store, _) = common::clinic();
    let system = Actor::system();
    let desk = common::actor(Role::FrontDesk);
    let patient = clinic
        .register_patient(
            &desk,
            NewPatient {
                details: common::details("Deep", "Dora", (1970, 1, 1)),
                mrn_facility: None,
            },
        )
        .await
        .unwrap();
    let practitioner = clinic
        .add_practitioner(
            &system,
            NewPractitioner {
                id: None,
                name: "Dr Deep".into(),
                time_zone: "Europe/Berlin".into(),
                availability: Default::default(),
            },
        )
        .await
        .unwrap();
    let visit = clinic
        .add_visit_type(
            &system,
            NewVisitType {
                code: "consult".into(),
                name: "Consultation".into(),
                duration_minutes: Count32::new(30),
                buffer_before_minutes: Count32::new(0),
                buffer_after_minutes: Count32::new(0),
                min_notice_minutes: Count32::new(0),
                horizon_days: Count32::new(365),
                max_per_day: None,
                reminder_offsets_minutes: vec![],
            },
        )
        .await
        .unwrap();
    let mut resource = appointment(nested(100_000, json!({})));
    resource["participant"] = json!([
        {"actor": {"reference": format!("Patient/{}", patient.id)}},
        {"actor": {"reference": format!("Practitioner/{}", practitioner.id)}},
    ]);
    let events_before = carebase::store::OutboxStore::events_after(&*store, &[], 1000)
        .await
        .unwrap()
        .len();
    // The value moves into core, which must drop it without recursion too.
    let err = clinic
        .import_appointment_fhir(
            &system,
            FhirAppointmentImport {
                resource,
                visit_type: Some(visit.id),
                references: BTreeMap::new(),
                migration: false,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(field_codes(&err), pair("resource", "too_deep"));
    let start = Utc.with_ymd_and_hms(2030, 1, 7, 9, 0, 0).single().unwrap();
    let listed = clinic
        .list_appointments(
            &system,
            AppointmentQuery {
                patient: Some(patient.id),
                practitioner: None,
                from: start - Duration::days(1),
                to: start + Duration::days(1),
                include_inactive: true,
                limit: None,
            },
        )
        .await
        .unwrap();
    assert!(listed.is_empty());
    let events_after = carebase::store::OutboxStore::events_after(&*store, &[], 1000)
        .await
        .unwrap()
        .len();
    assert_eq!(events_after, events_before);
}
