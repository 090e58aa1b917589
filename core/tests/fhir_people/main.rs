//! FHIR R4 Patient import and export as specifications: every official
//! example Patient imports and exports as it came (its `id` becomes the
//! carebase id, the source id is kept in `fhir_extra.source_id`) or is
//! refused with the reason listed for it here; the Synthea patients do the
//! same; an import is a registration (its rules, its audit, its event) and
//! an export shows what the actor's sight shows.

#[path = "../common/mod.rs"]
mod common;
mod practitioners;

use carebase::Count32;
use carebase::Count64;
use std::path::{Path, PathBuf};

use carebase::audit::AuditQuery;
use carebase::patient::fhir::{patient_from_fhir, patient_source_id, patient_to_fhir};
use carebase::patient::{ContactPoint, ContactSystem, ContactUse, PatientField};
use carebase::{Error, Role};
use serde_json::{json, Value};

use common::{actor, clinic};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures");

/// Examples refused, with the field code and field of the (first) reason. Each
/// is a rule of carebase, not a gap of the mapping:
/// - a patient needs a name with a family or given name (`text`-only
///   names and nameless records are kept as written but do not register);
/// - identifiers are unique per system, also within one record.
const REFUSED_PATIENTS: &[(&str, &str, &str)] = &[
    ("Patient-ch-example.json", "required", "name"),
    ("Patient-f201.json", "duplicate", "identifier[1].value"),
    ("Patient-infant-fetal.json", "required", "name"),
    ("Patient-newborn.json", "required", "name"),
    ("Patient-proband.json", "required", "name"),
];

/// The floors of the counts: they only go up.
const MIN_PATIENT_ROUND_TRIPS: usize = 17;
const MIN_SYNTHEA_PATIENT_ROUND_TRIPS: usize = 9;

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap()
}

/// The official examples whose file name starts with `prefix-`, sorted.
fn examples(prefix: &str) -> Vec<(String, Value)> {
    let dir = PathBuf::from(FIXTURES).join("fhir/r4-examples");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!("{prefix}-")) && n.ends_with(".json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let value = read_json(&dir.join(&n));
            (n, value)
        })
        .collect()
}

fn example(name: &str) -> Value {
    read_json(&PathBuf::from(FIXTURES).join("fhir/r4-examples").join(name))
}

/// Every resource of `kind` in the Synthea bundles, with its file name.
fn synthea(kind: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for folder in ["smart-sample", "fhir-data-pipes"] {
        let dir = PathBuf::from(FIXTURES).join("synthea").join(folder);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let bundle = read_json(&file);
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            for entry in bundle["entry"].as_array().into_iter().flatten() {
                if entry["resource"]["resourceType"] == kind {
                    out.push((name.clone(), entry["resource"].clone()));
                }
            }
        }
    }
    out
}

fn with_id(mut resource: Value, id: impl ToString) -> Value {
    resource["id"] = json!(id.to_string());
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

/// Imports `resource` into a fresh clinic and exports it: `Ok(equal)` or
/// the refusal's (code, first field).
async fn round_trip(resource: &Value) -> Result<bool, (String, String)> {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    match clinic
        .import_patient_fhir(&desk, resource.clone(), None)
        .await
    {
        Ok(patient) => {
            let exported = clinic.export_patient_fhir(&desk, patient.id).await.unwrap();
            Ok(exported == with_id(resource.clone(), patient.id))
        }
        Err(e) => Err(match &e {
            Error::Validation { fields } => (fields[0].code.clone(), fields[0].field.clone()),
            other => (other.code().to_owned(), String::new()),
        }),
    }
}

#[tokio::test]
async fn every_example_patient_exports_as_imported_or_is_refused_as_listed() {
    let (mut imported, mut refused) = (0, 0);
    for (name, resource) in examples("Patient") {
        let listed = REFUSED_PATIENTS.iter().find(|(file, _, _)| *file == name);
        match (round_trip(&resource).await, listed) {
            (Ok(equal), None) => {
                assert!(equal, "{name}: the export differs from the import");
                imported += 1;
            }
            (Err((code, field)), Some((_, want_code, want_field))) => {
                assert_eq!(
                    (code.as_str(), field.as_str()),
                    (*want_code, *want_field),
                    "{name}"
                );
                refused += 1;
            }
            (outcome, listed) => panic!("{name}: {outcome:?}, listed as refused: {listed:?}"),
        }
    }
    println!("example patients: {imported} round-trip, {refused} refused as listed");
    assert_eq!(refused, REFUSED_PATIENTS.len());
    assert!(
        imported >= MIN_PATIENT_ROUND_TRIPS,
        "{imported} round trips"
    );
}

#[tokio::test]
async fn every_synthea_patient_exports_as_imported() {
    let patients = synthea("Patient");
    let mut equal = 0;
    for (file, resource) in &patients {
        match round_trip(resource).await {
            Ok(true) => equal += 1,
            outcome => println!("{file}: {outcome:?}"),
        }
    }
    println!("synthea patients: {equal} of {} round-trip", patients.len());
    assert!(
        equal >= MIN_SYNTHEA_PATIENT_ROUND_TRIPS,
        "{equal} round trips"
    );
}

#[tokio::test]
async fn an_import_is_a_registration_audited_and_announced() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let resource = example("Patient-example.json");
    let patient = clinic
        .import_patient_fhir(&desk, resource, Some("north"))
        .await
        .unwrap();
    assert_eq!(patient.version, 1);
    assert_eq!(patient_source_id(&patient), Some("example"));
    let mrn = patient.details.identifiers.last().unwrap();
    assert_eq!(mrn.system, common::MRN_SYSTEM, "an MRN of the facility");
    let system = actor(Role::System);
    let query = AuditQuery {
        patient: Some(patient.id),
        ..AuditQuery::default()
    };
    let audit = clinic.audit_log(&system, &query).await.unwrap();
    assert_eq!(audit[0].draft.action, "patient.register");
    let events = clinic
        .poll_events(&system, "relay", Count32::new(10))
        .await
        .unwrap();
    assert_eq!(events[0].draft.kind, "patient.registered");
    let found = clinic.get_patient(&desk, patient.id).await.unwrap();
    assert_eq!(found, patient, "the record reads back as answered");
}

#[tokio::test]
async fn an_exported_import_carries_a_new_mrn_and_keeps_the_original_identifiers_as_written() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let resource = example("Patient-example.json");
    let patient = clinic
        .import_patient_fhir(&desk, resource.clone(), Some("north"))
        .await
        .unwrap();
    let exported = clinic.export_patient_fhir(&desk, patient.id).await.unwrap();
    let identifiers = exported["identifier"].as_array().unwrap();
    assert_eq!(identifiers[0], resource["identifier"][0], "as written");
    assert_eq!(identifiers[1]["system"], common::MRN_SYSTEM);
    assert_eq!(identifiers.len(), 2);
}

#[tokio::test]
async fn an_updated_patient_exports_the_change_and_keeps_every_untouched_element() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let resource = example("Patient-example.json");
    let patient = clinic
        .import_patient_fhir(&desk, resource.clone(), None)
        .await
        .unwrap();
    let mut details = patient.details.clone();
    details.telecom.push(ContactPoint {
        system: ContactSystem::Email,
        value: "jim@example.org".into(),
        usage: Some(ContactUse::Home),
    });
    let updated = clinic
        .update_patient(&desk, patient.id, Count64::new(1), details)
        .await
        .unwrap();
    assert_eq!(updated.fhir_extra, patient.fhir_extra, "an update keeps it");
    let exported = clinic.export_patient_fhir(&desk, patient.id).await.unwrap();
    let telecom = exported["telecom"].as_array().unwrap();
    let before = resource["telecom"].as_array().unwrap();
    assert_eq!(&telecom[..3], &before[1..4], "the phones as written");
    assert_eq!(
        telecom[3],
        json!({"system": "email", "value": "jim@example.org", "use": "home"})
    );
    assert_eq!(
        telecom[4], before[0],
        "the entry carebase does not model last"
    );
    for key in [
        "name",
        "address",
        "contact",
        "_birthDate",
        "text",
        "identifier",
    ] {
        assert_eq!(exported[key], resource[key], "{key} untouched");
    }
}

#[tokio::test]
async fn an_inactive_resource_registers_an_inactive_patient() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let mut resource = example("Patient-example.json");
    resource["active"] = json!(false);
    let patient = clinic
        .import_patient_fhir(&desk, resource.clone(), None)
        .await
        .unwrap();
    assert!(!patient.active);
    let exported = clinic.export_patient_fhir(&desk, patient.id).await.unwrap();
    assert_eq!(exported, with_id(resource, patient.id));
}

#[tokio::test]
async fn an_export_leaves_out_what_the_actor_does_not_see_and_the_kept_resource() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let resource = example("Patient-example.json");
    let patient = clinic
        .import_patient_fhir(&desk, resource.clone(), None)
        .await
        .unwrap();
    let billing = actor(Role::Billing);
    let exported = clinic
        .export_patient_fhir(&billing, patient.id)
        .await
        .unwrap();
    for hidden in [
        "telecom",
        "contact",
        "text",
        "managingOrganization",
        "_birthDate",
    ] {
        assert!(exported.get(hidden).is_none(), "{hidden} is not shown");
    }
    assert_eq!(exported["birthDate"], "1974-12-25");
    assert_eq!(exported["name"][0]["family"], "Chalmers");
    let read = clinic.get_patient(&billing, patient.id).await.unwrap();
    assert!(read.hidden_fields.contains(&PatientField::Telecom));
    assert_eq!(read.fhir_extra, None, "partial sight: no kept resource");
}

#[tokio::test]
async fn an_actor_who_may_not_read_the_patient_cannot_export_it() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let resource = example("Patient-example.json");
    let patient = clinic
        .import_patient_fhir(&desk, resource, None)
        .await
        .unwrap();
    let stranger = actor(Role::Patient);
    let err = clinic
        .export_patient_fhir(&stranger, patient.id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
}

#[tokio::test]
async fn registration_errors_name_fhir_paths_and_never_values() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let mut resource = example("Patient-example.json");
    resource["telecom"][2]["value"] = json!("not a phone 7");
    resource["name"][0]["family"] = json!("   ");
    resource["birthDate"] = json!("2999-01-01");
    let err = clinic
        .import_patient_fhir(&desk, resource, None)
        .await
        .unwrap_err();
    let mut fields = field_codes(&err);
    fields.sort();
    assert_eq!(
        fields,
        [
            ("birthDate".to_owned(), "in_future".to_owned()),
            ("name[0].family".to_owned(), "required".to_owned()),
            ("telecom[2].value".to_owned(), "invalid_format".to_owned()),
        ]
    );
    let shown = err.to_json().to_string();
    assert!(
        !shown.contains("not a phone") && !shown.contains("2999"),
        "{shown}"
    );
}

#[tokio::test]
async fn wrong_types_and_codes_are_refused_at_their_fhir_paths() {
    let resource = json!({
        "resourceType": "Patient",
        "name": [{"family": 7, "use": "nick"}],
        "telecom": [{"system": "phone", "value": "+1 555 0100", "use": "pager"}],
        "gender": "f",
        "active": "yes",
        "deceasedDateTime": "yesterday"
    });
    let mut fields = field_codes(&patient_from_fhir(&resource).unwrap_err());
    fields.sort();
    let want: Vec<(String, String)> = [
        ("active", "invalid_type"),
        ("deceasedDateTime", "invalid_format"),
        ("gender", "invalid_value"),
        ("name[0].family", "invalid_type"),
        ("name[0].use", "invalid_value"),
        ("telecom[0].use", "invalid_value"),
    ]
    .iter()
    .map(|(f, c)| (f.to_string(), c.to_string()))
    .collect();
    assert_eq!(fields, want);
}

#[test]
fn deceased_given_both_as_a_flag_and_a_date_is_refused() {
    let resource = json!({
        "resourceType": "Patient",
        "name": [{"family": "A"}],
        "deceasedBoolean": false,
        "deceasedDateTime": "2020-01-02T03:04:05Z"
    });
    let err = patient_from_fhir(&resource).unwrap_err();
    assert_eq!(
        field_codes(&err),
        [("deceasedDateTime".to_owned(), "invalid_value".to_owned())]
    );
}

#[tokio::test]
async fn a_resource_of_another_type_is_refused() {
    let resource = json!({"resourceType": "Practitioner", "name": [{"family": "A"}]});
    let err = patient_from_fhir(&resource).unwrap_err();
    assert_eq!(
        field_codes(&err),
        [("resourceType".to_owned(), "wrong_resource_type".to_owned())]
    );
}

#[tokio::test]
async fn a_resource_whose_identifier_another_patient_holds_is_a_conflict_and_writes_nothing() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let resource = example("Patient-example.json");
    clinic
        .import_patient_fhir(&desk, resource.clone(), None)
        .await
        .unwrap();
    let err = clinic
        .import_patient_fhir(&desk, resource, None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
    let all = clinic
        .search_patients(&desk, &Default::default())
        .await
        .unwrap();
    assert_eq!(all.items.len(), 1);
}

#[tokio::test]
async fn a_resource_past_the_document_bounds_is_refused() {
    let (clinic, _, _) = clinic();
    let mut deep = json!("leaf");
    for _ in 0..200 {
        deep = json!([deep]);
    }
    let resource = json!({"resourceType": "Patient", "extension": deep});
    let err = clinic
        .import_patient_fhir(&actor(Role::FrontDesk), resource, None)
        .await
        .unwrap_err();
    assert_eq!(field_codes(&err)[0].1, "too_deep");
}

#[test]
fn a_patient_without_kept_elements_exports_what_carebase_models() {
    let resource = json!({
        "resourceType": "Patient",
        "name": [{"use": "official", "family": "Abara", "given": ["Ann"]}],
        "telecom": [{"system": "phone", "value": "+1 555 0100", "use": "mobile"}],
        "gender": "female",
        "birthDate": "1980-01-02",
        "deceasedDateTime": "2020-01-02T03:04:05Z",
        "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "fr-CA"}]}, "preferred": true}]
    });
    let imported = patient_from_fhir(&resource).unwrap();
    let patient = carebase::patient::Patient {
        id: carebase::PatientId::new(),
        version: Count64::new(1),
        details: imported.details,
        active: true,
        merged_into: None,
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
        hidden_fields: Vec::new(),
        fhir_extra: None,
    };
    assert_eq!(patient_to_fhir(&patient), with_id(resource, patient.id));
}

#[test]
fn debug_never_shows_the_kept_resource() {
    let resource = example("Patient-example.json");
    let imported = patient_from_fhir(&resource).unwrap();
    let shown = format!("{imported:?}");
    assert!(
        !shown.contains("Chalmers") && !shown.contains("Erewhon"),
        "{shown}"
    );
}
