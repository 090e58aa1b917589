//! `api.json` is the contract host generators read: every operation and
//! host function, the error, and each type they reach, in the JSON Schema
//! forms the hosts map to their native types.

use std::collections::BTreeSet;
use std::path::PathBuf;

use carebase::api::FUNCTIONS;
use carebase::clinic::operations::OPERATIONS;
use carebase::{Error, Role, StorageKind};
use serde_json::Value;

fn document() -> Value {
    carebase::api::schema::document()
}

fn definition<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["$defs"]
        .get(name)
        .unwrap_or_else(|| panic!("{name} is not in $defs"))
}

/// The consts of a `oneOf` (a code enum's codes, or a tagged union's tags).
fn consts(schema: &Value, tag: Option<&str>) -> Vec<String> {
    schema["oneOf"]
        .as_array()
        .expect("a oneOf")
        .iter()
        .map(|v| match tag {
            Some(tag) => v["properties"][tag]["const"].as_str(),
            None => v["const"].as_str(),
        })
        .map(|c| c.expect("a const").to_owned())
        .collect()
}

fn refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.insert(r.clone());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn the_document_lists_every_operation_and_host_function_in_the_lists_order() {
    let doc = document();
    let names = |key: &str| -> Vec<String> {
        doc[key]
            .as_array()
            .expect("a list")
            .iter()
            .map(|o| o["name"].as_str().expect("a name").to_owned())
            .collect()
    };
    let operations: Vec<String> = OPERATIONS.iter().map(|o| o.name.to_owned()).collect();
    let functions: Vec<String> = FUNCTIONS.iter().map(|f| f.name.to_owned()).collect();
    assert_eq!(names("operations"), operations);
    assert_eq!(names("functions"), functions);
}

#[test]
fn every_operation_argument_is_described_with_its_name_and_whether_it_takes_an_actor() {
    let doc = document();
    for (listed, described) in OPERATIONS.iter().zip(doc["operations"].as_array().unwrap()) {
        assert_eq!(
            described["takes_actor"], listed.takes_actor,
            "{}",
            listed.name
        );
        let args: Vec<&str> = described["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        let expected: Vec<&str> = listed.args.iter().map(|a| a.name).collect();
        assert_eq!(args, expected, "{}", listed.name);
    }
}

#[test]
fn every_reference_names_a_described_type() {
    let doc = document();
    let mut found = BTreeSet::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for r in found {
        let name = r.strip_prefix("#/$defs/").expect("a local reference");
        definition(&doc, name);
    }
}

#[test]
fn ids_are_uuid_strings() {
    let doc = document();
    for id in [
        "PatientId",
        "PractitionerId",
        "AppointmentId",
        "ActorId",
        "EventId",
    ] {
        let schema = definition(&doc, id);
        assert_eq!(schema["type"], "string", "{id}");
        assert_eq!(schema["format"], "uuid", "{id}");
    }
}

#[test]
fn instants_are_date_times_and_civil_dates_are_dates() {
    let doc = document();
    let patient = definition(&doc, "Patient");
    assert_eq!(patient["properties"]["created_at"]["format"], "date-time");
    let details = definition(&doc, "PatientDetails");
    assert_eq!(details["properties"]["birth_date"]["format"], "date");
}

#[test]
fn code_enums_are_string_enums_of_their_codes() {
    let doc = document();
    assert_eq!(consts(definition(&doc, "Role"), None), Role::CODES);
    assert_eq!(
        consts(definition(&doc, "StorageKind"), None),
        StorageKind::CODES
    );
}

#[test]
fn every_duration_is_whole_minutes() {
    let doc = document();
    let settings = definition(&doc, "Settings");
    for field in [
        "break_glass_default",
        "break_glass_max",
        "late_cancellation_window",
    ] {
        assert_eq!(
            settings["properties"][field]["$ref"], "#/$defs/Minutes",
            "{field}"
        );
    }
    assert_eq!(definition(&doc, "Minutes")["type"], "integer");
    assert!(doc["$defs"].get("Duration").is_none());
}

#[test]
fn the_error_has_one_variant_per_code_tagged_with_it() {
    let doc = document();
    let samples = [
        Error::invalid("f", "required", "required"),
        Error::not_found("patient"),
        Error::stale("patient", 1, 2),
        Error::storage("x"),
    ];
    let tags = consts(definition(&doc, "Error"), Some("code"));
    for sample in &samples {
        assert!(tags.iter().any(|t| t == sample.code()), "{}", sample.code());
    }
    let unique: BTreeSet<&String> = tags.iter().collect();
    assert_eq!(unique.len(), tags.len());
    assert_eq!(
        tags,
        [
            "validation",
            "not_found",
            "conflict",
            "double_booking",
            "allergy_conflict",
            "forbidden",
            "invalid_policy",
            "unsupported_store",
            "storage"
        ]
    );
}

#[test]
fn a_double_bookings_resource_is_the_closed_set_of_what_can_be_taken() {
    let doc = document();
    let variant = definition(&doc, "Error")["oneOf"]
        .as_array()
        .and_then(|v| {
            v.iter()
                .find(|v| v["properties"]["code"]["const"] == "double_booking")
        })
        .cloned()
        .unwrap_or_default();
    let resource = &variant["properties"]["resource"]["$ref"];
    assert_eq!(resource, "#/$defs/BookedResource");
    assert_eq!(
        consts(definition(&doc, "BookedResource"), None),
        ["practitioner", "room", "patient"]
    );
}

#[test]
fn a_defaulted_member_is_optional_with_its_default() {
    let doc = document();
    let namespace = definition(&doc, "MrnNamespace");
    let required = namespace["required"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!required.contains(&Value::from("prefix")), "{required:?}");
    assert_eq!(namespace["properties"]["prefix"]["default"], "");
}

#[test]
fn fhir_resources_stay_opaque_json() {
    let doc = document();
    let import = definition(&doc, "FhirAppointmentImport");
    let resource = &import["properties"]["resource"];
    assert!(resource.get("type").is_none() && resource.get("$ref").is_none());
}

#[test]
fn every_committed_generated_file_is_what_the_generator_writes() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files = carebase_codegen::generated_files(&root).expect("the files generate");
    assert!(files.len() >= 2, "api.json and the Python operations");
    for (path, fresh) in files {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "{} is stale: run `cargo run -p carebase-codegen` and commit it",
            path.display()
        );
        assert!(fresh.lines().take(5).any(|l| l.contains("generated")));
    }
}

#[test]
fn every_operation_becomes_a_typed_python_method_with_its_docstring() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files = carebase_codegen::generated_files(&root).expect("the files generate");
    let (_, python) = files
        .iter()
        .find(|(p, _)| p.ends_with("_operations.py"))
        .expect("_operations.py");
    for op in OPERATIONS {
        assert!(
            python.contains(&format!("    def {}(\n", op.name)),
            "{}",
            op.name
        );
    }
    assert!(python.contains("        id: IdLike,\n    ) -> Patient:"));
    assert!(python.contains("duration: Optional[timedelta] = None"));
    assert!(python.contains("from_: datetime"));
}

#[test]
fn every_code_enum_becomes_a_python_str_enum_with_its_codes() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files = carebase_codegen::generated_files(&root).expect("the files generate");
    let (_, python) = files
        .iter()
        .find(|(p, _)| p.ends_with("_enums.py"))
        .expect("_enums.py");
    assert!(python.contains("class Role(str, enum.Enum):"));
    assert!(python.contains("    FRONT_DESK = \"front_desk\"\n"));
    assert!(python.contains("class StorageKind(str, enum.Enum):"));
    assert!(python.contains("    SCHEMA_TOO_NEW = \"schema_too_new\"\n"));
    assert!(python.contains("    PAT_CRS = \"pat-crs\"\n"));
}
