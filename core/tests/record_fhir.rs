//! FHIR R4 in and out of the health record as specifications: every
//! official example of the record's nine resource types imports and
//! exports unchanged (its `id` becomes the carebase id), or is refused for
//! the reason listed for its file below; Synthea's patients round-trip
//! too, linked to their encounters; an import passes the same rules as
//! the named operations; an export shows what the reader may see.

mod common;

use carebase::Count32;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use carebase::record::fhir::FhirEntryImport;
use carebase::record::{Coding, Condition, ConditionStatus, EntryBody, VerificationStatus};
use carebase::{Actor, ActorId, Error, PatientId, PractitionerId, Role};
use common::record::RecordWorld;
use common::record::{note, vital, BODY_WEIGHT};
use serde_json::{json, Value};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures");

/// The nine resource types and the fewest of their official examples that
/// must import and export unchanged (the counts only go up: raise a floor
/// when a refusal goes away).
const FLOORS: [(&str, usize); 9] = [
    ("Encounter", 2),
    ("Observation", 24),
    ("DiagnosticReport", 5),
    ("Condition", 10),
    ("AllergyIntolerance", 6),
    ("MedicationRequest", 26),
    ("Procedure", 10),
    ("Immunization", 4),
    ("DocumentReference", 0),
];

/// The fewest Synthea resources of the nine types (smart-sample) that must
/// import and export unchanged.
const SYNTHEA_FLOOR: usize = 1204;

/// Every official example refused, with why: the error code and each
/// failing `field code` (FHIR paths), as the import answers.
const REFUSED: &[(&str, &str)] = &[
    ("Encounter-example.json", "validation: period.start required"),
    ("Encounter-f001.json", "validation: period.start required"),
    ("Encounter-f002.json", "validation: period.start required"),
    ("Encounter-f003.json", "validation: period.start required"),
    ("Encounter-f201.json", "validation: period.start required"),
    ("Encounter-f202.json", "validation: period.start required"),
    ("Encounter-home.json", "validation: class.code unsupported_value"),
    ("Encounter-xcda.json", "validation: period.start required"),
    ("Observation-10minute-apgar-score.json", "validation: subject.reference unresolved_reference"),
    ("Observation-1minute-apgar-score.json", "validation: subject.reference unresolved_reference"),
    ("Observation-20minute-apgar-score.json", "validation: subject.reference unresolved_reference"),
    ("Observation-2minute-apgar-score.json", "validation: subject.reference unresolved_reference"),
    ("Observation-5minute-apgar-score.json", "validation: subject.reference unresolved_reference"),
    ("Observation-656.json", "validation: category required; valueQuantity.code required"),
    ("Observation-bmd.json", "validation: category required; effectiveDateTime required"),
    ("Observation-date-lastmp.json", "validation: valueDateTime unsupported_value"),
    ("Observation-decimal.json", "validation: subject.reference required; code.coding required; category required; effectiveDateTime required; component[0].code.coding required; component[0].valueQuantity.code required; component[1].code.coding required; component[1].valueQuantity.code required; component[2].code.coding required; component[2].valueQuantity.code required; component[3].code.coding required; component[3].valueQuantity.value invalid_type; component[3].valueQuantity.code required; component[4].code.coding required; component[4].valueQuantity.code required; component[5].code.coding required; component[5].valueQuantity.value invalid_type; component[5].valueQuantity.code required; component[6].code.coding required; component[6].valueQuantity.value invalid_type; component[6].valueQuantity.code required"),
    ("Observation-ekg.json", "validation: component[0].valueSampledData unsupported_value; component[1].valueSampledData unsupported_value; component[2].valueSampledData unsupported_value"),
    ("Observation-example-TPMT-diplotype.json", "validation: category required"),
    ("Observation-example-TPMT-haplotype-one.json", "validation: status unsupported_value; category required"),
    ("Observation-example-TPMT-haplotype-two.json", "validation: status unsupported_value; category required"),
    ("Observation-example-diplotype1.json", "validation: category required"),
    ("Observation-example-genetics-1.json", "validation: category required"),
    ("Observation-example-genetics-2.json", "validation: category required; component[1].valueCodeableConcept.coding required"),
    ("Observation-example-genetics-3.json", "validation: code.coding required; category required"),
    ("Observation-example-genetics-4.json", "validation: code.coding required; category required"),
    ("Observation-example-genetics-5.json", "validation: code.coding required; category required"),
    ("Observation-example-genetics-brcapat.json", "validation: category required; effectiveDateTime required"),
    ("Observation-example-haplotype1.json", "validation: status unsupported_value; category required"),
    ("Observation-example-haplotype2.json", "validation: status unsupported_value; category required"),
    ("Observation-example-phenotype.json", "validation: category required"),
    ("Observation-eye-color.json", "validation: code.coding required; category required"),
    ("Observation-f001.json", "validation: category required"),
    ("Observation-f002.json", "validation: category required"),
    ("Observation-f003.json", "validation: category required"),
    ("Observation-f004.json", "validation: category required"),
    ("Observation-f005.json", "validation: category required"),
    ("Observation-f202.json", "validation: status unsupported_value; referenceRange[0].high.code required"),
    ("Observation-f203.json", "validation: category required; valueQuantity.code required; referenceRange[0].low.code required; referenceRange[0].high.code required"),
    ("Observation-f204.json", "validation: category required; valueQuantity.code required; referenceRange[0].low.code required; referenceRange[0].high.code required"),
    ("Observation-f205.json", "validation: category required"),
    ("Observation-f206.json", "validation: category required"),
    ("Observation-gcs-qa.json", "validation: category required"),
    ("Observation-glasgow.json", "validation: category required"),
    ("Observation-herd1.json", "validation: subject.reference unresolved_reference"),
    ("Observation-unsat.json", "validation: category required"),
    ("Observation-vomiting.json", "validation: category required"),
    ("Observation-vp-oyster.json", "validation: subject.reference required; category required"),
    ("DiagnosticReport-gingival-mass.json", "validation: presentedForm[0].data too_long"),
    ("Condition-example2.json", "validation: code.coding required; recordedDate required"),
    ("Condition-family-history.json", "validation: recordedDate required"),
    ("MedicationRequest-medrx002.json", "validation: medicationReference.reference unsupported_value"),
    ("MedicationRequest-medrx0304.json", "validation: dosageInstruction[0].doseAndRate[0].doseQuantity.code invalid_unit"),
    ("MedicationRequest-medrx0314.json", "validation: dosageInstruction[0].doseAndRate[0].doseQuantity.code invalid_unit"),
    ("MedicationRequest-medrx0322.json", "validation: contained[0].code required"),
    ("MedicationRequest-medrx0323.json", "validation: contained[0].code required"),
    ("MedicationRequest-medrx0325.json", "validation: dosageInstruction[0].doseAndRate[0].doseQuantity.code invalid_unit"),
    ("MedicationRequest-medrx0326.json", "validation: dosageInstruction[0].doseAndRate[0].doseQuantity.code invalid_unit"),
    ("MedicationRequest-medrx0328.json", "validation: dosageInstruction[0].doseAndRate[0].doseQuantity.code invalid_unit"),
    ("MedicationRequest-medrx0329.json", "validation: contained[0].code required"),
    ("MedicationRequest-medrx0334.json", "validation: dosageInstruction[0].doseAndRate[0].doseQuantity.code invalid_unit"),
    ("MedicationRequest-medrx0335.json", "validation: dosageInstruction[0].doseAndRate[0].doseQuantity.code invalid_unit"),
    ("MedicationRequest-medrx0336.json", "validation: contained[0].code required"),
    ("MedicationRequest-medrx0337.json", "validation: contained[0].code required"),
    ("MedicationRequest-medrx0338.json", "validation: contained[0].code required"),
    ("Procedure-ambulation.json", "validation: performedDateTime required"),
    ("Procedure-appendectomy-narrative.json", "validation: code required; performedDateTime required"),
    ("Procedure-colon-biopsy.json", "validation: performedDateTime required"),
    ("Procedure-colonoscopy.json", "validation: performedDateTime required"),
    ("Procedure-education.json", "validation: subject.reference required"),
    ("Procedure-ob.json", "validation: subject.reference required"),
    ("Immunization-historical.json", "validation: occurrenceString unsupported_value; occurrenceDateTime required"),
    ("DocumentReference-example.json", "validation: content[0].attachment.url unsupported_value"),
];

/// Reads a JSON file (a byte-order mark is allowed).
fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// The official examples of `kind`, sorted by file name.
fn examples(kind: &str) -> Vec<(String, Value)> {
    let dir = PathBuf::from(FIXTURES).join("fhir/r4-examples");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!("{kind}-")) && n.ends_with(".json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| (n.clone(), read_json(&dir.join(&n))))
        .collect()
}

/// Every `reference` text in `value`.
fn references_in(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(obj) => {
            for (k, v) in obj {
                match (k.as_str(), v) {
                    ("reference", Value::String(text)) => found.push(text.clone()),
                    _ => references_in(v, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references_in(v, found)),
        _ => {}
    }
}

/// The import of `resource`: its Patient references mapped to `patient`,
/// its Practitioner references to `practitioner`.
fn import_of(
    resource: &Value,
    patient: PatientId,
    practitioner: PractitionerId,
) -> FhirEntryImport {
    let mut found = Vec::new();
    references_in(resource, &mut found);
    let mut references = BTreeMap::new();
    for reference in found {
        if reference.starts_with("Patient/") {
            references.insert(reference, patient.to_string());
        } else if reference.starts_with("Practitioner/") {
            references.insert(reference, practitioner.to_string());
        }
    }
    FhirEntryImport {
        resource: resource.clone(),
        references,
    }
}

/// How a refusal reads in the table: the code, then each `field code`.
fn reason(err: &Error) -> String {
    match err {
        Error::Validation { fields } => {
            let list: Vec<String> = fields
                .iter()
                .map(|f| format!("{} {}", f.field, f.code))
                .collect();
            format!("validation: {}", list.join("; "))
        }
        other => other.code().to_owned(),
    }
}

/// The resource with the carebase id, as an export writes it.
fn with_id(mut resource: Value, id: impl ToString) -> Value {
    resource["id"] = json!(id.to_string());
    resource
}

/// Imports `resource` into a fresh patient's record as the doctor: the
/// exported entry, or the refusal.
async fn round_trip(resource: &Value) -> Result<(Value, Value), Error> {
    let r = RecordWorld::new().await;
    let import = import_of(resource, r.patient.id, r.world.practitioner.id);
    let clinic = &r.world.clinic;
    let entry = clinic
        .import_entry_fhir(&r.world.doctor, r.patient.id, import)
        .await?;
    let exported = clinic
        .export_entry_fhir(&r.world.doctor, r.patient.id, entry.id)
        .await
        .unwrap();
    Ok((exported, with_id(resource.clone(), entry.id)))
}

#[tokio::test]
async fn every_official_example_round_trips_exactly_or_is_refused_for_its_listed_reason() {
    let listed: BTreeMap<&str, &str> = REFUSED.iter().copied().collect();
    let mut unlisted = Vec::new();
    let mut summary = Vec::new();
    for (kind, floor) in FLOORS {
        let (mut imported, mut refused) = (0, 0);
        for (name, resource) in examples(kind) {
            match round_trip(&resource).await {
                Ok((exported, expected)) => {
                    assert_eq!(exported, expected, "{name} exports as imported");
                    assert!(
                        !listed.contains_key(name.as_str()),
                        "{name} imports now: take it off REFUSED"
                    );
                    imported += 1;
                }
                Err(err) => {
                    let why = reason(&err);
                    match listed.get(name.as_str()) {
                        Some(expected) => assert_eq!(&why, expected, "{name}"),
                        None => unlisted.push(format!("    (\"{name}\", \"{why}\"),")),
                    }
                    refused += 1;
                }
            }
        }
        summary.push(format!("{kind}: imported {imported}, refused {refused}"));
        assert!(
            imported >= floor,
            "{kind}: {imported} imported, the floor is {floor}"
        );
    }
    println!("{}", summary.join("\n"));
    assert!(
        unlisted.is_empty(),
        "refusals not listed:\n{}",
        unlisted.join("\n")
    );
}

/// The resources of one Synthea bundle, with their `fullUrl`s.
fn bundle_entries(path: &Path) -> Vec<(String, Value)> {
    let bundle = read_json(path);
    let entries = bundle["entry"].as_array().cloned().unwrap_or_default();
    entries
        .into_iter()
        .map(|e| {
            (
                e["fullUrl"].as_str().unwrap_or_default().to_owned(),
                e["resource"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn synthea_patients_round_trip_with_their_entries_linked_to_their_encounters() {
    let dir = PathBuf::from(FIXTURES).join("synthea/smart-sample");
    let practitioners = bundle_entries(&dir.join("practitionerInformation1559319163815.json"));
    let mut bundles: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            !p.file_name()
                .unwrap()
                .to_string_lossy()
                .contains("Information")
        })
        .collect();
    bundles.sort();
    let (mut imported, mut linked) = (BTreeMap::<String, usize>::new(), 0);
    let mut refused = BTreeMap::<String, usize>::new();
    for path in bundles {
        let r = RecordWorld::new().await;
        let clinic = &r.world.clinic;
        let mut references = BTreeMap::new();
        for (url, _) in &practitioners {
            references.insert(url.clone(), r.world.practitioner.id.to_string());
        }
        for (url, resource) in bundle_entries(&path) {
            let kind = resource["resourceType"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if kind == "Patient" {
                references.insert(url, r.patient.id.to_string());
                continue;
            }
            if !FLOORS.iter().any(|(k, _)| *k == kind) {
                continue;
            }
            let import = FhirEntryImport {
                resource: resource.clone(),
                references: references.clone(),
            };
            match clinic
                .import_entry_fhir(&r.world.doctor, r.patient.id, import)
                .await
            {
                Ok(entry) => {
                    linked += usize::from(entry.encounter.is_some());
                    references.insert(url, entry.id.to_string());
                    let exported = clinic
                        .export_entry_fhir(&r.world.doctor, r.patient.id, entry.id)
                        .await
                        .unwrap();
                    assert_eq!(exported, with_id(resource, entry.id), "{path:?}");
                    *imported.entry(kind).or_default() += 1;
                }
                Err(err) => {
                    *refused
                        .entry(format!("{kind} {}", reason(&err)))
                        .or_default() += 1
                }
            }
        }
    }
    println!("imported {imported:?}\nlinked to their encounter {linked}\nrefused {refused:#?}");
    let total: usize = imported.values().sum();
    assert!(
        total >= SYNTHEA_FLOOR,
        "{total} Synthea resources imported, the floor is {SYNTHEA_FLOOR}"
    );
    assert!(linked > 0);
}

/// The official example `name`.
fn example(name: &str) -> Value {
    read_json(&PathBuf::from(FIXTURES).join("fhir/r4-examples").join(name))
}

/// A body weight observation of `patient` in `unit`.
fn weight(unit: &str) -> Value {
    json!({
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": BODY_WEIGHT}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2029-12-01T09:30:00Z",
        "valueQuantity": {"value": 72.5, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}
    })
}

/// Imports `resource` as the doctor, `Patient/p1` standing for the patient.
async fn import(
    r: &RecordWorld,
    resource: Value,
) -> Result<carebase::record::ClinicalEntry, Error> {
    let references = BTreeMap::from([("Patient/p1".to_owned(), r.patient.id.to_string())]);
    let mut import = import_of(&resource, r.patient.id, r.world.practitioner.id);
    import.references.extend(references);
    r.world
        .clinic
        .import_entry_fhir(&r.world.doctor, r.patient.id, import)
        .await
}

fn fields(err: &Error) -> Vec<(String, String)> {
    match err {
        Error::Validation { fields } => fields
            .iter()
            .map(|f| (f.field.clone(), f.code.clone()))
            .collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_imported_body_weight_in_cm_is_refused_on_its_fhir_path_with_the_code_record_entry_gives(
) {
    let r = RecordWorld::new().await;
    let typed = r
        .world
        .clinic
        .record_entry(
            &r.world.doctor,
            r.patient.id,
            &r.new_entry(vital(BODY_WEIGHT, "72.5", "cm")),
        )
        .await
        .unwrap_err();
    let imported = import(&r, weight("cm")).await.unwrap_err();
    let code = |f: &[(String, String)], field: &str| {
        f.iter().find(|(k, _)| k == field).map(|(_, c)| c.clone())
    };
    let typed_code = code(&fields(&typed), "body.value.unit").expect("record_entry names the unit");
    assert_eq!(
        code(&fields(&imported), "valueQuantity.code"),
        Some(typed_code)
    );
}

#[tokio::test]
async fn an_imported_body_weight_in_kg_keeps_its_exact_value_and_exports_unchanged() {
    let r = RecordWorld::new().await;
    let entry = import(&r, weight("kg")).await.unwrap();
    let EntryBody::Observation(o) = &entry.body else {
        panic!("an observation")
    };
    let value = serde_json::to_value(&o.value).unwrap();
    assert_eq!(value["value"], json!("72.5"));
    let exported = r
        .world
        .clinic
        .export_entry_fhir(&r.world.doctor, r.patient.id, entry.id)
        .await
        .unwrap();
    assert_eq!(exported, with_id(weight("kg"), entry.id));
}

#[tokio::test]
async fn a_resource_about_another_patient_is_refused_on_its_subject() {
    let r = RecordWorld::new().await;
    let other = r.world.patient("Other", "Olga").await;
    let mut resource = weight("kg");
    resource["subject"]["reference"] = json!(format!("Patient/{}", other.id));
    let import = FhirEntryImport {
        resource,
        references: BTreeMap::new(),
    };
    let err = r
        .world
        .clinic
        .import_entry_fhir(&r.world.doctor, r.patient.id, import)
        .await
        .unwrap_err();
    assert_eq!(
        fields(&err),
        vec![("subject.reference".to_owned(), "wrong_patient".to_owned())]
    );
}

#[tokio::test]
async fn a_resource_of_a_type_the_record_does_not_hold_is_refused_on_resource_type() {
    let r = RecordWorld::new().await;
    let err = import(&r, json!({"resourceType": "Claim"}))
        .await
        .unwrap_err();
    assert_eq!(
        fields(&err),
        vec![("resourceType".to_owned(), "wrong_resource_type".to_owned())]
    );
}

#[tokio::test]
async fn an_amended_entry_exports_its_new_code_and_keeps_the_elements_it_does_not_model() {
    let r = RecordWorld::new().await;
    let original = example("Condition-example.json");
    let entry = import(&r, original.clone()).await.unwrap();
    let amended = EntryBody::Condition(Condition {
        code: Coding {
            system: "http://snomed.info/sct".into(),
            code: "44054006".into(),
            display: None,
        },
        clinical_status: ConditionStatus::Active,
        verification_status: VerificationStatus::Confirmed,
        onset_at: None,
        abated_at: None,
    });
    let clinic = &r.world.clinic;
    clinic
        .amend_entry(
            &r.world.doctor,
            r.patient.id,
            entry.id,
            Count32::new(1),
            &amended,
            "wrong code",
        )
        .await
        .unwrap();
    let exported = clinic
        .export_entry_fhir(&r.world.doctor, r.patient.id, entry.id)
        .await
        .unwrap();
    assert_eq!(
        exported["code"],
        json!({"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]})
    );
    assert_eq!(exported["severity"], original["severity"]);
    assert_eq!(exported["text"], original["text"]);
    assert!(
        exported.get("onsetDateTime").is_none(),
        "the amendment has no onset"
    );
}

#[tokio::test]
async fn billing_exports_a_condition_with_its_codes_and_nothing_the_import_kept() {
    let r = RecordWorld::new().await;
    let entry = import(&r, example("Condition-example.json")).await.unwrap();
    let billing = Actor::new(ActorId::new(), vec![Role::Billing]);
    let exported = r
        .world
        .clinic
        .export_entry_fhir(&billing, r.patient.id, entry.id)
        .await
        .unwrap();
    assert_eq!(exported["code"]["coding"][0]["code"], json!("39065001"));
    for kept in ["text", "severity", "bodySite", "evidence", "note"] {
        assert!(exported.get(kept).is_none(), "billing sees no {kept}");
    }
}

#[tokio::test]
async fn billing_may_not_export_an_observation() {
    let r = RecordWorld::new().await;
    let entry = import(&r, weight("kg")).await.unwrap();
    let billing = Actor::new(ActorId::new(), vec![Role::Billing]);
    let err = r
        .world
        .clinic
        .export_entry_fhir(&billing, r.patient.id, entry.id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
}

#[tokio::test]
async fn an_import_is_written_with_its_audit_entry_and_its_kind_s_event() {
    let r = RecordWorld::new().await;
    let entry = import(&r, weight("kg")).await.unwrap();
    let events = r
        .world
        .clinic
        .events_after(&r.world.system, vec![], Count32::new(1000))
        .await
        .unwrap();
    assert!(events.iter().any(|e| e.draft.kind == "observation.recorded"
        && e.draft.payload["entry_id"] == entry.id.to_string()));
    let history = r
        .world
        .clinic
        .entry_history(&r.world.doctor, r.patient.id, entry.id)
        .await
        .unwrap();
    assert_eq!(history, vec![entry]);
}

#[tokio::test]
async fn a_note_has_no_fhir_form_here() {
    let r = RecordWorld::new().await;
    let written = r
        .record(r.new_entry(note(r.world.practitioner.id, "seen")))
        .await;
    let err = r
        .world
        .clinic
        .export_entry_fhir(&r.world.doctor, r.patient.id, written.id)
        .await
        .unwrap_err();
    assert_eq!(
        fields(&err),
        vec![("entry".to_owned(), "unsupported_kind".to_owned())]
    );
}

#[tokio::test]
async fn a_front_desk_actor_may_not_import_into_the_record() {
    let r = RecordWorld::new().await;
    let import = import_of(&weight("kg"), r.patient.id, r.world.practitioner.id);
    let err = r
        .world
        .clinic
        .import_entry_fhir(&r.world.desk, r.patient.id, import)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
}

#[tokio::test]
async fn an_imported_entry_s_debug_leaves_out_the_narrative_it_kept() {
    let r = RecordWorld::new().await;
    let entry = import(&r, example("Condition-example.json")).await.unwrap();
    let shown = format!("{entry:?}");
    assert!(
        !shown.contains("Burnt Ear") && !shown.contains("div"),
        "{shown}"
    );
}

/// A small scanned letter's bytes.
const LETTER: &[u8] = b"%PDF-1.7\n a referral letter \x00\xff\x10";

/// A DocumentReference of `Patient/p1` carrying `bytes` inline, with the
/// size and hash (base64 SHA-1) FHIR states and elements carebase does
/// not model.
fn letter(bytes: &[u8]) -> Value {
    use base64::Engine;
    use sha1::Digest;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    json!({
        "resourceType": "DocumentReference",
        "id": "letter",
        "status": "current",
        "docStatus": "final",
        "type": {"coding": [{"system": "http://loinc.org", "code": "57133-1", "display": "Referral note"}]},
        "subject": {"reference": "Patient/p1"},
        "date": "2029-12-01T09:30:00+01:00",
        "description": "Referral to cardiology",
        "content": [{
            "attachment": {
                "contentType": "application/pdf",
                "language": "en",
                "data": b64(bytes),
                "size": bytes.len(),
                "hash": b64(&sha1::Sha1::digest(bytes)),
                "title": "Referral letter",
                "creation": "2029-11-30T16:00:00Z"
            },
            "format": {"system": "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode", "code": "urn:ihe:iti:xds:2017:mimeTypeSufficient"}
        }]
    })
}

#[tokio::test]
async fn a_document_reference_with_its_bytes_exports_unchanged_with_its_data_for_a_clinician() {
    let r = RecordWorld::new().await;
    let resource = letter(LETTER);
    let entry = import(&r, resource.clone()).await.unwrap();
    let EntryBody::Document(document) = &entry.body else {
        panic!("a document")
    };
    assert_eq!(document.size, LETTER.len() as u64);
    let exported = r
        .world
        .clinic
        .export_entry_fhir(&r.world.doctor, r.patient.id, entry.id)
        .await
        .unwrap();
    assert_eq!(exported, with_id(resource, entry.id));
}

#[tokio::test]
async fn an_imported_document_s_bytes_read_back_identical_through_read_document() {
    let r = RecordWorld::new().await;
    let entry = import(&r, letter(LETTER)).await.unwrap();
    let read = r
        .world
        .clinic
        .read_document(&r.world.doctor, r.patient.id, entry.id)
        .await
        .unwrap();
    assert_eq!(read.bytes.as_slice(), LETTER);
}

#[tokio::test]
async fn a_document_reference_whose_hash_or_size_disagrees_with_its_bytes_is_refused_writing_nothing(
) {
    let r = RecordWorld::new().await;
    let mut wrong = letter(LETTER);
    wrong["content"][0]["attachment"]["size"] = json!(LETTER.len() + 1);
    wrong["content"][0]["attachment"]["hash"] =
        letter(b"another letter")["content"][0]["attachment"]["hash"].clone();
    let err = import(&r, wrong).await.unwrap_err();
    assert_eq!(
        fields(&err),
        vec![
            (
                "content[0].attachment.size".to_owned(),
                "mismatch".to_owned()
            ),
            (
                "content[0].attachment.hash".to_owned(),
                "mismatch".to_owned()
            ),
        ]
    );
    let page = r
        .world
        .clinic
        .patient_timeline(
            &r.world.doctor,
            r.patient.id,
            &carebase::record::TimelineQuery::default(),
        )
        .await
        .unwrap();
    assert!(page.items.is_empty());
}

#[tokio::test]
async fn a_document_reference_of_a_content_type_off_the_allow_list_is_refused_on_its_fhir_path() {
    let r = RecordWorld::new().await;
    let mut html = letter(LETTER);
    html["content"][0]["attachment"]["contentType"] = json!("text/html");
    let err = import(&r, html).await.unwrap_err();
    assert_eq!(
        fields(&err),
        vec![(
            "content[0].attachment.contentType".to_owned(),
            "not_allowed".to_owned()
        )]
    );
}

#[tokio::test]
async fn a_document_reference_with_data_that_is_not_base64_is_refused_on_its_data() {
    let r = RecordWorld::new().await;
    let mut garbled = letter(LETTER);
    garbled["content"][0]["attachment"]["data"] = json!("not base64!");
    let err = import(&r, garbled).await.unwrap_err();
    assert_eq!(
        fields(&err),
        vec![(
            "content[0].attachment.data".to_owned(),
            "invalid_format".to_owned()
        )]
    );
}

#[tokio::test]
async fn billing_may_not_export_a_document_so_gets_none_of_its_content() {
    let r = RecordWorld::new().await;
    let entry = import(&r, letter(LETTER)).await.unwrap();
    let billing = Actor::new(ActorId::new(), vec![Role::Billing]);
    let err = r
        .world
        .clinic
        .export_entry_fhir(&billing, r.patient.id, entry.id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
}

#[tokio::test]
async fn a_reader_without_note_text_exports_a_document_without_its_bytes_title_or_kept_elements() {
    let r = RecordWorld::new().await;
    let entry = import(&r, letter(LETTER)).await.unwrap();
    let me = Actor::patient(ActorId::new(), r.patient.id);
    let exported = r
        .world
        .clinic
        .export_entry_fhir(&me, r.patient.id, entry.id)
        .await
        .unwrap();
    let attachment = &exported["content"][0]["attachment"];
    assert_eq!(attachment["contentType"], json!("application/pdf"));
    assert_eq!(attachment["size"], json!(LETTER.len()));
    for hidden in ["data", "title", "hash"] {
        assert!(attachment.get(hidden).is_none(), "no {hidden}");
    }
    assert!(exported.get("description").is_none());
    assert_eq!(exported["status"], json!("current"));
}
