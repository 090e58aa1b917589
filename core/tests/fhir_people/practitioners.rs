//! FHIR R4 Practitioner mapping: every official example and every Synthea
//! practitioner reads and writes back as it came (the carebase id in place
//! of its own), or is refused as listed.

use carebase::schedule::fhir::{practitioner_from_fhir, practitioner_to_fhir};
use carebase::schedule::{Availability, Practitioner};
use carebase::Count64;
use carebase::PractitionerId;
use chrono::Utc;
use serde_json::{json, Value};

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
