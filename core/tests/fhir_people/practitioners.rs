//! FHIR R4 Practitioner import and export: every official example and
//! every Synthea practitioner reads and writes back as it came (the
//! carebase id in place of its own), or is refused as listed, in the pure
//! mapping and through the clinic; an import is an addition under
//! scheduling's permissions.

use carebase::audit::AuditQuery;
use carebase::schedule::fhir::{practitioner_from_fhir, practitioner_to_fhir};
use carebase::schedule::{Availability, NewPractitioner, Practitioner};
use carebase::{Count64, Error, PractitionerId, Role};
use chrono::Utc;
use serde_json::{json, Value};

use super::common::{actor, clinic};
use super::{example, examples, field_codes, synthea, with_id};

/// Examples refused, with the field code and field. None so far.
const REFUSED_PRACTITIONERS: &[(&str, &str, &str)] = &[];

/// The floors of the counts: they only go up.
const MIN_PRACTITIONER_ROUND_TRIPS: usize = 14;
const MIN_SYNTHEA_PRACTITIONER_ROUND_TRIPS: usize = 1302;

/// Reads `resource` and writes it back for a practitioner as carebase
/// would store the import.
fn round_trip(resource: &Value) -> carebase::Result<(Practitioner, Value)> {
    let imported = practitioner_from_fhir(resource)?;
    let now = Utc::now();
    let practitioner = Practitioner {
        id: PractitionerId::new(),
        version: Count64::new(1),
        name: imported.name,
        time_zone: "UTC".into(),
        availability: Availability::default(),
        active: imported.active,
        created_at: now,
        updated_at: now,
        fhir_extra: None,
    };
    let exported = practitioner_to_fhir(&practitioner, Some(&imported.fhir_extra));
    Ok((practitioner, exported))
}

#[test]
fn every_example_practitioner_writes_back_as_read_or_is_refused_as_listed() {
    let (mut equal, mut refused) = (0, 0);
    for (name, resource) in examples("Practitioner") {
        let listed = REFUSED_PRACTITIONERS.iter().find(|(f, _, _)| *f == name);
        match (round_trip(&resource), listed) {
            (Ok((p, exported)), None) => {
                assert_eq!(exported, with_id(resource, p.id), "{name}");
                equal += 1;
            }
            (Err(e), Some((_, code, field))) => {
                assert_eq!(field_codes(&e)[0], (field.to_string(), code.to_string()));
                refused += 1;
            }
            (outcome, listed) => panic!("{name}: {:?}, listed: {listed:?}", outcome.err()),
        }
    }
    println!("example practitioners: {equal} round-trip, {refused} refused as listed");
    assert!(equal >= MIN_PRACTITIONER_ROUND_TRIPS, "{equal} round trips");
}

#[test]
fn every_synthea_practitioner_writes_back_as_read() {
    let all = synthea("Practitioner");
    let equal = all
        .iter()
        .filter(
            |(_, r)| matches!(round_trip(r), Ok((p, out)) if out == with_id((*r).clone(), p.id)),
        )
        .count();
    println!("synthea practitioners: {equal} of {} round-trip", all.len());
    assert!(
        equal >= MIN_SYNTHEA_PRACTITIONER_ROUND_TRIPS,
        "{equal} round trips"
    );
}

#[test]
fn the_display_name_is_the_text_else_the_parts_of_the_first_name() {
    let read = |name: Value| {
        practitioner_from_fhir(&json!({"resourceType": "Practitioner", "name": name}))
            .unwrap()
            .name
    };
    assert_eq!(
        read(json!([{"text": "Dokter Bronsig", "family": "B"}])),
        "Dokter Bronsig"
    );
    let parts =
        json!([{"prefix": ["Dr"], "given": ["Adam"], "family": "Careful", "suffix": ["MD"]}]);
    assert_eq!(read(parts), "Dr Adam Careful MD");
}

#[test]
fn a_renamed_or_deactivated_practitioner_exports_the_change_and_keeps_the_rest() {
    let resource = example("Practitioner-f201.json");
    let imported = practitioner_from_fhir(&resource).unwrap();
    let now = Utc::now();
    let practitioner = Practitioner {
        id: PractitionerId::new(),
        version: Count64::new(2),
        name: "Dr A. Bronsig".into(),
        time_zone: "Europe/Amsterdam".into(),
        availability: Availability::default(),
        active: false,
        created_at: now,
        updated_at: now,
        fhir_extra: None,
    };
    let out = practitioner_to_fhir(&practitioner, Some(&imported.fhir_extra));
    assert_eq!(out["name"], json!([{"text": "Dr A. Bronsig"}]));
    assert_eq!(out["active"], false);
    assert_eq!(out["qualification"], resource["qualification"]);
    assert_eq!(out["telecom"], resource["telecom"]);
}

#[test]
fn a_practitioner_without_a_name_is_refused_naming_the_element() {
    let err = practitioner_from_fhir(&json!({"resourceType": "Practitioner", "active": "yes"}))
        .unwrap_err();
    let mut fields = field_codes(&err);
    fields.sort();
    assert_eq!(
        fields,
        [
            ("active".to_owned(), "invalid_type".to_owned()),
            ("name".to_owned(), "required".to_owned())
        ]
    );
}

/// Imports `resource` into a fresh clinic and exports it: `Ok(equal)` or
/// the refusal's (code, first field).
async fn clinic_round_trip(resource: &Value) -> Result<bool, (String, String)> {
    let (clinic, _, _) = clinic();
    let admin = actor(Role::Admin);
    match clinic
        .import_practitioner_fhir(&admin, resource.clone(), "Europe/Amsterdam")
        .await
    {
        Ok(p) => {
            let exported = clinic.export_practitioner_fhir(&admin, p.id).await.unwrap();
            Ok(exported == with_id(resource.clone(), p.id))
        }
        Err(e) => Err(match &e {
            Error::Validation { fields } => (fields[0].code.clone(), fields[0].field.clone()),
            other => (other.code().to_owned(), String::new()),
        }),
    }
}

#[tokio::test]
async fn every_example_practitioner_exports_as_imported_through_the_clinic_or_is_refused_as_listed()
{
    let (mut equal, mut refused) = (0, 0);
    for (name, resource) in examples("Practitioner") {
        let listed = REFUSED_PRACTITIONERS.iter().find(|(f, _, _)| *f == name);
        match (clinic_round_trip(&resource).await, listed) {
            (Ok(true), None) => equal += 1,
            (Err((code, field)), Some((_, c, f))) if code == *c && field == *f => refused += 1,
            (outcome, listed) => panic!("{name}: {outcome:?}, listed: {listed:?}"),
        }
    }
    println!("example practitioners through the clinic: {equal} round-trip, {refused} refused");
    assert!(equal >= MIN_PRACTITIONER_ROUND_TRIPS, "{equal} round trips");
}

#[tokio::test]
async fn an_import_adds_a_practitioner_in_the_given_zone_with_its_audit_entry() {
    let (clinic, _, _) = clinic();
    let admin = actor(Role::Admin);
    let resource = example("Practitioner-f201.json");
    let added = clinic
        .import_practitioner_fhir(&admin, resource, "Europe/Amsterdam")
        .await
        .unwrap();
    assert_eq!(
        (added.version, added.time_zone.as_str(), added.active),
        (Count64::new(1), "Europe/Amsterdam", true)
    );
    assert_eq!(added.availability, Availability::default());
    assert_eq!(added.fhir_extra.as_ref().unwrap()["source_id"], "f201");
    let found = clinic.get_practitioner(&admin, added.id).await.unwrap();
    assert_eq!(found, added, "the practitioner reads back as answered");
    let system = actor(Role::System);
    let audit = clinic
        .audit_log(&system, &AuditQuery::default())
        .await
        .unwrap();
    let subject = format!("practitioner:{}", added.id);
    let entry = audit
        .iter()
        .find(|e| e.draft.subject.as_deref() == Some(subject.as_str()))
        .unwrap();
    assert_eq!(entry.draft.action, "schedule.manage");
}

#[tokio::test]
async fn importing_twice_adds_two_practitioners_and_changes_neither() {
    let (clinic, _, _) = clinic();
    let admin = actor(Role::Admin);
    let resource = example("Practitioner-example.json");
    let first = clinic
        .import_practitioner_fhir(&admin, resource.clone(), "UTC")
        .await
        .unwrap();
    let second = clinic
        .import_practitioner_fhir(&admin, resource, "UTC")
        .await
        .unwrap();
    assert_ne!(first.id, second.id);
    let all = clinic.list_practitioners(&admin).await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.contains(&first) && all.contains(&second));
}

#[tokio::test]
async fn an_actor_without_scheduling_rights_cannot_import_and_nothing_is_added() {
    let (clinic, _, _) = clinic();
    let desk = actor(Role::FrontDesk);
    let err = clinic
        .import_practitioner_fhir(&desk, example("Practitioner-example.json"), "UTC")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let all = clinic.list_practitioners(&desk).await.unwrap();
    assert!(all.is_empty());
}

#[tokio::test]
async fn a_nameless_resource_and_an_unknown_zone_are_reported_together() {
    let (clinic, _, _) = clinic();
    let resource = json!({"resourceType": "Practitioner", "active": true});
    let err = clinic
        .import_practitioner_fhir(&actor(Role::Admin), resource, "Mars/Olympus")
        .await
        .unwrap_err();
    let mut fields = field_codes(&err);
    fields.sort();
    assert_eq!(
        fields,
        [
            ("name".to_owned(), "required".to_owned()),
            ("time_zone".to_owned(), "unknown_time_zone".to_owned())
        ]
    );
}

#[tokio::test]
async fn a_display_name_past_the_bound_is_refused_at_name() {
    let (clinic, _, _) = clinic();
    let long = "x".repeat(10_000);
    let resource = json!({"resourceType": "Practitioner", "name": [{"text": long}]});
    let err = clinic
        .import_practitioner_fhir(&actor(Role::Admin), resource, "UTC")
        .await
        .unwrap_err();
    assert_eq!(
        field_codes(&err),
        [("name".to_owned(), "too_long".to_owned())]
    );
}

#[tokio::test]
async fn a_practitioner_resource_past_the_document_bounds_is_refused() {
    let (clinic, _, _) = clinic();
    let mut deep = json!("leaf");
    for _ in 0..200 {
        deep = json!([deep]);
    }
    let resource = json!({"resourceType": "Practitioner", "extension": deep});
    let err = clinic
        .import_practitioner_fhir(&actor(Role::Admin), resource, "UTC")
        .await
        .unwrap_err();
    assert_eq!(field_codes(&err)[0].1, "too_deep");
}

#[tokio::test]
async fn a_practitioner_added_without_fhir_exports_what_carebase_models() {
    let (clinic, _, _) = clinic();
    let admin = actor(Role::Admin);
    let added = clinic
        .add_practitioner(
            &admin,
            NewPractitioner {
                id: None,
                name: "Dr Ada Okafor".into(),
                time_zone: "UTC".into(),
                availability: Availability::default(),
            },
        )
        .await
        .unwrap();
    let exported = clinic
        .export_practitioner_fhir(&actor(Role::Nurse), added.id)
        .await
        .unwrap();
    assert_eq!(
        exported,
        json!({
            "resourceType": "Practitioner",
            "id": added.id.to_string(),
            "name": [{"text": "Dr Ada Okafor"}]
        })
    );
}

#[tokio::test]
async fn exporting_an_unknown_practitioner_is_not_found() {
    let (clinic, _, _) = clinic();
    let err = clinic
        .export_practitioner_fhir(&actor(Role::Admin), PractitionerId::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
}
