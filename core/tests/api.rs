//! The JSON door (`carebase::api`): every listed operation and host function
//! answers by name, and a bad argument is a `validation` error naming the
//! argument's path with a code chosen by category, never by message text.

mod common;

use std::sync::Arc;

use carebase::api::{call, call_function, FUNCTIONS};
use carebase::clinic::OPERATIONS;
use carebase::{Clinic, Error, FieldError, MemoryStore};
use serde_json::{json, Value};

fn clinic() -> Clinic {
    Clinic::new(Arc::new(MemoryStore::new()))
}

fn run(clinic: &Clinic, op: &str, args: Value) -> Result<Value, Error> {
    let text = futures::executor::block_on(call(clinic, op, &args.to_string()))?;
    Ok(serde_json::from_str(&text).unwrap_or_default())
}

fn function(name: &str, args: Value) -> Result<Value, Error> {
    let text = call_function(name, &args.to_string())?;
    Ok(serde_json::from_str(&text).unwrap_or_default())
}

/// `(field, code)` of a validation error, else the error's code.
fn fields(result: Result<Value, Error>) -> Vec<(String, String)> {
    match result {
        Err(Error::Validation { fields }) => fields
            .into_iter()
            .map(|FieldError { field, code, .. }| (field, code))
            .collect(),
        Err(other) => vec![(String::new(), other.code().to_owned())],
        Ok(_) => Vec::new(),
    }
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(f, c)| ((*f).to_owned(), (*c).to_owned()))
        .collect()
}

fn desk() -> Value {
    json!({ "id": "0190a000-0000-7000-8000-000000000001", "roles": ["front_desk"] })
}

fn ann() -> Value {
    json!({ "names": [{ "family": "Ann", "given": ["Lee"] }], "birth_date": "1984-07-01" })
}

#[test]
fn a_call_by_name_runs_the_operation_and_answers_its_json() {
    let c = clinic();
    let registered = run(
        &c,
        "register_patient",
        json!({ "actor": desk(), "details": ann() }),
    );
    let registered = registered.unwrap_or_default();
    assert_eq!(registered["version"], 1);
    let read = run(
        &c,
        "get_patient",
        json!({ "actor": desk(), "id": registered["id"] }),
    );
    assert_eq!(read.unwrap_or_default(), registered);
}

#[test]
fn a_defaulted_argument_may_be_left_out_or_null() {
    let c = clinic();
    let _ = run(
        &c,
        "register_patient",
        json!({ "actor": desk(), "details": ann() }),
    );
    for args in [
        json!({ "actor": desk() }),
        json!({ "actor": desk(), "query": null }),
    ] {
        let page = run(&c, "search_patients", args).unwrap_or_default();
        assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    }
}

#[test]
fn a_flattened_argument_reads_its_fields_from_the_call() {
    let c = clinic();
    let missing = run(
        &c,
        "register_patient",
        json!({ "actor": desk(), "mrn_facility": "x" }),
    );
    assert_eq!(fields(missing), pairs(&[("details", "required")]));
}

#[test]
fn a_missing_or_null_argument_is_required_naming_it() {
    let c = clinic();
    assert_eq!(
        fields(run(&c, "get_patient", json!({ "actor": desk() }))),
        pairs(&[("id", "required")])
    );
    assert_eq!(
        fields(run(
            &c,
            "get_patient",
            json!({ "actor": desk(), "id": null })
        )),
        pairs(&[("id", "required")])
    );
    assert_eq!(
        fields(run(
            &c,
            "get_patient",
            json!({ "id": "0190a000-0000-7000-8000-000000000002" })
        )),
        pairs(&[("actor", "required")])
    );
}

#[test]
fn a_required_member_left_out_is_required_at_its_path() {
    let c = clinic();
    let contact = json!({ "names": [{ "family": "A" }], "telecom": [{ "value": "1" }] });
    assert_eq!(
        fields(run(
            &c,
            "register_patient",
            json!({ "actor": desk(), "details": contact })
        )),
        pairs(&[("details.telecom[0].system", "required")])
    );
}

#[test]
fn a_bad_id_is_invalid_format_naming_the_argument() {
    let c = clinic();
    let bad = run(
        &c,
        "get_patient",
        json!({ "actor": desk(), "id": "not-a-uuid" }),
    );
    assert_eq!(fields(bad), pairs(&[("id", "invalid_format")]));
}

#[test]
fn an_id_parsed_from_text_outside_the_door_is_invalid_format_as_through_it() {
    let parsed = carebase::PatientId::parse("patient", "not-a-uuid").map(|_| Value::Null);
    assert_eq!(fields(parsed), pairs(&[("patient", "invalid_format")]));
}

#[test]
fn a_value_of_the_wrong_json_type_is_invalid_type_at_its_path() {
    let c = clinic();
    let details = json!({ "names": [{ "family": 5 }] });
    let bad = run(
        &c,
        "register_patient",
        json!({ "actor": desk(), "details": details }),
    );
    assert_eq!(
        fields(bad),
        pairs(&[("details.names[0].family", "invalid_type")])
    );
}

#[test]
fn an_unknown_code_or_a_number_out_of_range_is_invalid_value() {
    let c = clinic();
    let robot = json!({ "names": [{ "family": "A" }], "gender": "robot" });
    let bad = run(
        &c,
        "register_patient",
        json!({ "actor": desk(), "details": robot }),
    );
    assert_eq!(fields(bad), pairs(&[("details.gender", "invalid_value")]));
    let id = "0190a000-0000-7000-8000-000000000002";
    let big = json!({ "actor": desk(), "id": id, "limit": 1u64 << 40 });
    assert_eq!(
        fields(run(&c, "find_duplicates", big)),
        pairs(&[("limit", "invalid_value")])
    );
    let negative = json!({ "actor": desk(), "id": id, "limit": -1 });
    assert_eq!(
        fields(run(&c, "find_duplicates", negative)),
        pairs(&[("limit", "invalid_value")])
    );
}

#[test]
fn a_fraction_of_a_minute_is_invalid_value() {
    let c = clinic();
    let args = json!({
        "actor": desk(), "patient": "0190a000-0000-7000-8000-000000000002",
        "reason": "arrest", "duration": 1.5,
    });
    assert_eq!(
        fields(run(&c, "request_emergency_access", args)),
        pairs(&[("duration", "invalid_value")])
    );
}

#[test]
fn every_bad_argument_is_reported_at_once() {
    let c = clinic();
    let args = json!({ "actor": desk(), "id": 7, "expected_version": "one" });
    assert_eq!(
        fields(run(&c, "deactivate_patient", args)),
        pairs(&[("id", "invalid_type"), ("expected_version", "invalid_type")])
    );
}

#[test]
fn arguments_that_are_not_an_object_are_invalid_type() {
    let c = clinic();
    let text = futures::executor::block_on(call(&c, "list_resources", "[1]"));
    let fields = match text {
        Err(Error::Validation { fields }) => fields,
        _ => Vec::new(),
    };
    assert_eq!(fields.len(), 1);
    assert_eq!(
        (fields[0].field.as_str(), fields[0].code.as_str()),
        ("(input)", "invalid_type")
    );
}

#[test]
fn a_struct_argument_given_as_an_array_of_its_fields_is_invalid_type_naming_it() {
    let c = clinic();
    let positional = json!(["0190a000-0000-7000-8000-000000000001", ["front_desk"]]);
    let args = json!({ "actor": positional, "id": "0190a000-0000-7000-8000-000000000002" });
    assert_eq!(
        fields(run(&c, "get_patient", args)),
        pairs(&[("actor", "invalid_type")])
    );
}

#[test]
fn an_empty_array_is_not_a_query_left_empty() {
    let c = clinic();
    let args = json!({ "actor": desk(), "query": [] });
    assert_eq!(
        fields(run(&c, "search_patients", args)),
        pairs(&[("query", "invalid_type")])
    );
}

#[test]
fn a_struct_inside_an_argument_given_as_an_array_is_invalid_type_at_its_path() {
    let c = clinic();
    let details = json!({ "names": [[null, "Secret", ["Lee"]]] });
    let bad = run(
        &c,
        "register_patient",
        json!({ "actor": desk(), "details": details }),
    );
    let text = bad.as_ref().err().map(Error::to_json).unwrap_or_default();
    assert!(!text.contains("Secret"), "{text}");
    assert_eq!(fields(bad), pairs(&[("details.names[0]", "invalid_type")]));
    let everyone = run(&c, "search_patients", json!({ "actor": desk() }));
    assert_eq!(everyone.unwrap_or_default()["items"], json!([]));
}

/// `record_entry`'s arguments for the record world's doctor and patient,
/// with `body` as the entry's body.
fn entry_args(r: &common::record::RecordWorld, body: Value) -> Value {
    let at = r.now() - chrono::Duration::hours(1);
    json!({
        "actor": r.world.doctor,
        "patient": r.patient.id,
        "entry": { "effective_at": at, "body": body },
    })
}

/// The entries on the record world's patient's timeline.
fn timeline(r: &common::record::RecordWorld) -> Value {
    let args = json!({ "actor": r.world.doctor, "patient": r.patient.id });
    run(&r.world.clinic, "patient_timeline", args).unwrap_or_default()["items"].clone()
}

/// A weight observation's body as a host writes it, `kind` first.
fn weight() -> Value {
    json!({
        "kind": "observation",
        "code": { "system": "http://loinc.org", "code": "29463-7" },
        "category": "vital-signs",
        "status": "final",
        "value": { "type": "quantity", "value": "70", "unit": "kg" },
    })
}

#[tokio::test]
async fn an_entry_body_read_through_the_door_is_recorded() {
    let r = common::record::RecordWorld::new().await;
    let recorded = run(&r.world.clinic, "record_entry", entry_args(&r, weight()));
    let body = recorded.unwrap_or_default()["body"].clone();
    assert_eq!(
        (&body["kind"], &body["value"]),
        (&weight()["kind"], &weight()["value"])
    );
    assert_eq!(timeline(&r).as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_code_inside_an_entry_body_given_as_an_array_is_invalid_type_at_its_path() {
    let r = common::record::RecordWorld::new().await;
    let mut body = weight();
    body["code"] = json!(["http://loinc.org", "29463-7"]);
    let refused = run(&r.world.clinic, "record_entry", entry_args(&r, body));
    assert_eq!(
        fields(refused),
        pairs(&[("entry.body.code", "invalid_type")])
    );
    assert_eq!(timeline(&r), json!([]));
}

#[tokio::test]
async fn an_entry_body_given_as_an_array_of_its_kind_and_fields_is_invalid_type_naming_it() {
    let r = common::record::RecordWorld::new().await;
    let body = json!([
        "observation",
        { "system": "http://loinc.org", "code": "29463-7" },
        "vital-signs",
        "final",
        { "type": "quantity", "value": "70", "unit": "kg" },
    ]);
    let refused = run(&r.world.clinic, "record_entry", entry_args(&r, body));
    assert_eq!(fields(refused), pairs(&[("entry.body", "invalid_type")]));
    assert_eq!(timeline(&r), json!([]));
}

#[tokio::test]
async fn an_observation_value_given_as_an_array_is_invalid_type_at_its_path() {
    let r = common::record::RecordWorld::new().await;
    let mut body = weight();
    body["value"] = json!(["quantity", "70", "kg"]);
    let refused = run(&r.world.clinic, "record_entry", entry_args(&r, body));
    assert_eq!(
        fields(refused),
        pairs(&[("entry.body.value", "invalid_type")])
    );
    assert_eq!(timeline(&r), json!([]));
}

#[tokio::test]
async fn an_entry_body_without_its_kind_is_required_at_kind() {
    let r = common::record::RecordWorld::new().await;
    let mut body = weight();
    body.as_object_mut().map(|b| b.remove("kind"));
    let refused = run(&r.world.clinic, "record_entry", entry_args(&r, body));
    assert_eq!(fields(refused), pairs(&[("entry.body.kind", "required")]));
}

#[tokio::test]
async fn an_entry_body_of_an_unknown_kind_is_invalid_value_at_kind() {
    let r = common::record::RecordWorld::new().await;
    let mut body = weight();
    body["kind"] = json!("x-ray");
    let refused = run(&r.world.clinic, "record_entry", entry_args(&r, body));
    assert_eq!(
        fields(refused),
        pairs(&[("entry.body.kind", "invalid_value")])
    );
}

#[tokio::test]
async fn a_member_no_entry_body_declares_is_unknown_field_at_its_path() {
    let r = common::record::RecordWorld::new().await;
    let mut body = weight();
    body["value"]["colour"] = json!("blue");
    let refused = run(&r.world.clinic, "record_entry", entry_args(&r, body));
    assert_eq!(
        fields(refused),
        pairs(&[("entry.body.value.colour", "unknown_field")])
    );
    assert_eq!(timeline(&r), json!([]));
}

#[test]
fn a_message_never_echoes_the_bad_value() {
    let c = clinic();
    let details = json!({ "names": [{ "family": "A" }], "birth_date": "Secret-Date" });
    let bad = run(
        &c,
        "register_patient",
        json!({ "actor": desk(), "details": details }),
    );
    let text = bad.err().map(|e| e.to_json()).unwrap_or_default();
    assert!(text.contains("details.birth_date"), "{text}");
    assert!(!text.contains("Secret"), "{text}");
}

#[test]
fn every_listed_operation_and_function_answers_by_name() {
    let c = clinic();
    for op in OPERATIONS {
        let answer = run(&c, op.name, json!({}));
        assert!(
            !matches!(&answer, Err(Error::NotFound { entity, .. }) if entity == "operation"),
            "{}",
            op.name
        );
    }
    for f in FUNCTIONS {
        let answer = function(f.name, json!({}));
        assert!(
            !matches!(&answer, Err(Error::NotFound { entity, .. }) if entity == "function"),
            "{}",
            f.name
        );
    }
    assert_eq!(
        fields(run(&c, "fly", json!({}))),
        pairs(&[("", "not_found")])
    );
    assert_eq!(
        fields(function("fly", json!({}))),
        pairs(&[("", "not_found")])
    );
}

#[test]
fn default_settings_cross_as_whole_minutes() {
    let settings = function("default_settings", json!({})).unwrap_or_default();
    assert_eq!(settings["break_glass_default"], 60);
    assert_eq!(settings["break_glass_max"], 1440);
    assert_eq!(settings["late_cancellation_window"], 1440);
}

#[test]
fn host_functions_build_actors_and_read_policies() {
    let practitioner = "0190a000-0000-7000-8000-000000000009";
    let actor = function(
        "practitioner_actor",
        json!({ "practitioner": practitioner }),
    );
    let actor = actor.unwrap_or_default();
    assert_eq!(actor["roles"], json!(["practitioner"]));
    assert_eq!(actor["practitioner"], practitioner);
    let bad = function("policy_from_toml", json!({ "text": "version = 2" }));
    assert!(matches!(bad, Err(Error::InvalidPolicy { .. })));
    let toml = function("default_policy_toml", json!({})).unwrap_or_default();
    let text = toml.as_str().unwrap_or_default();
    assert_eq!(
        function("policy_from_toml", json!({ "text": text })).ok(),
        function("default_policy", json!({})).ok()
    );
}

#[test]
fn an_availability_left_without_a_grid_gets_the_fifteen_minute_default() {
    let c = clinic();
    let admin = json!({ "id": "0190a000-0000-7000-8000-000000000003", "roles": ["admin"] });
    let new = json!({ "name": "Dr Grid", "time_zone": "UTC", "availability": { "weekly": [] } });
    let added = run(
        &c,
        "add_practitioner",
        json!({ "actor": admin, "practitioner": new }),
    );
    assert_eq!(
        added.unwrap_or_default()["availability"]["slot_minutes"],
        15
    );
}

#[test]
fn a_member_no_type_declares_is_unknown_field_at_its_path() {
    let c = clinic();
    let details = json!({ "names": [{ "family": "A", "use": "official" }] });
    assert_eq!(
        fields(run(
            &c,
            "register_patient",
            json!({ "actor": desk(), "details": details })
        )),
        pairs(&[("details.names[0].use", "unknown_field")])
    );
}

#[test]
fn an_unknown_member_writes_nothing() {
    let c = clinic();
    let details = json!({ "names": [{ "family": "A" }], "nickname": "Al" });
    let refused = run(
        &c,
        "register_patient",
        json!({ "actor": desk(), "details": details }),
    );
    assert_eq!(
        fields(refused),
        pairs(&[("details.nickname", "unknown_field")])
    );
    let page = run(&c, "search_patients", json!({ "actor": desk() })).unwrap_or_default();
    assert_eq!(page["items"], json!([]));
}

#[test]
fn an_argument_the_operation_does_not_take_is_unknown_field() {
    let c = clinic();
    let id = "0190a000-0000-7000-8000-000000000002";
    assert_eq!(
        fields(run(
            &c,
            "get_patient",
            json!({ "actor": desk(), "id": id, "version": 1 })
        )),
        pairs(&[("version", "unknown_field")])
    );
    assert_eq!(
        fields(function("system_actor", json!({ "roles": [] }))),
        pairs(&[("roles", "unknown_field")])
    );
}

#[test]
fn a_member_beside_a_flattened_argument_is_unknown_field() {
    let c = clinic();
    assert_eq!(
        fields(run(
            &c,
            "register_patient",
            json!({ "actor": desk(), "details": ann(), "mrn": "x" })
        )),
        pairs(&[("mrn", "unknown_field")])
    );
}

#[test]
fn every_unknown_member_is_listed_with_the_arguments_that_cannot_be_read() {
    let c = clinic();
    let details = json!({ "names": [{ "family": "A", "use": "official" }], "nickname": "Al" });
    let args = json!({
        "actor": desk(), "id": 7, "expected_version": 1, "details": details, "note": "x"
    });
    assert_eq!(
        fields(run(&c, "update_patient", args)),
        pairs(&[
            ("id", "invalid_type"),
            ("details.names[0].use", "unknown_field"),
            ("details.nickname", "unknown_field"),
            ("note", "unknown_field"),
        ])
    );
}

#[test]
fn an_unknown_member_of_the_actor_is_unknown_field() {
    let c = clinic();
    let actor =
        json!({ "id": "0190a000-0000-7000-8000-000000000001", "roles": ["admin"], "role": "x" });
    assert_eq!(
        fields(run(&c, "list_resources", json!({ "actor": actor }))),
        pairs(&[("actor.role", "unknown_field")])
    );
}

#[test]
fn a_patient_handed_where_its_details_are_wanted_is_refused_naming_each_extra_member() {
    let c = clinic();
    let patient = run(
        &c,
        "register_patient",
        json!({ "actor": desk(), "details": ann() }),
    )
    .unwrap_or_default();
    let refused = fields(run(
        &c,
        "update_patient",
        json!({ "actor": desk(), "id": patient["id"], "expected_version": 1, "details": patient }),
    ));
    assert!(
        refused.contains(&("details.id".to_owned(), "unknown_field".to_owned())),
        "{refused:?}"
    );
    assert!(
        refused.contains(&("details.details".to_owned(), "unknown_field".to_owned())),
        "{refused:?}"
    );
}

#[test]
fn records_a_host_read_are_accepted_back_unchanged() {
    let c = clinic();
    let admin = json!({ "id": "0190a000-0000-7000-8000-000000000003", "roles": ["admin"] });
    let patient = run(
        &c,
        "register_patient",
        json!({ "actor": desk(), "details": ann() }),
    )
    .unwrap_or_default();
    let updated = run(
        &c,
        "update_patient",
        json!({ "actor": desk(), "id": patient["id"], "expected_version": 1, "details": patient["details"] }),
    );
    assert_eq!(updated.map(|p| p["version"].clone()).ok(), Some(json!(2)));
    let new = json!({ "name": "Dr Back", "time_zone": "UTC", "availability": { "weekly": [] } });
    let dr = run(
        &c,
        "add_practitioner",
        json!({ "actor": admin, "practitioner": new }),
    )
    .unwrap_or_default();
    let again = run(
        &c,
        "set_availability",
        json!({ "actor": admin, "practitioner": dr["id"], "expected_version": dr["version"], "availability": dr["availability"] }),
    );
    assert!(again.is_ok(), "{again:?}");
    let checkpoint = run(&c, "audit_checkpoint", json!({ "actor": admin })).unwrap_or_default();
    let verified = run(
        &c,
        "verify_audit",
        json!({ "actor": admin, "trusted": checkpoint }),
    );
    assert!(verified.is_ok(), "{verified:?}");
    let policy = function("default_policy", json!({})).unwrap_or_default();
    let replaced = run(
        &c,
        "replace_policy",
        json!({ "actor": admin, "policy": policy }),
    );
    assert!(replaced.is_ok(), "{replaced:?}");
}
