//! The straight reading of an argument is a shortcut, never a second rule:
//! whatever it accepts, the careful reading accepts with the same value and
//! no error, and whatever it refuses goes the careful way.

use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value as Json};

use super::{read, straight, Arguments, Mode};
use crate::patient::PatientQuery;
use crate::{Actor, PatientId, Settings};

/// The careful reading of `text` as a `T`, as JSON, when it has no error.
fn careful<T: DeserializeOwned + Serialize>(text: &str) -> Option<Json> {
    let value = serde_json::from_str(text).ok()?;
    match read::<T>(value, "x") {
        (Ok(v), unknown) if unknown.is_empty() => serde_json::to_value(v).ok(),
        _ => None,
    }
}

/// The straight reading of `text` as a `T`, as JSON.
fn quick<T: DeserializeOwned + Serialize>(text: &str) -> Option<Json> {
    straight::<T>(text).and_then(|v| serde_json::to_value(v).ok())
}

/// Each straight success is a careful success with the same value.
fn agrees<T: DeserializeOwned + Serialize>(text: &str) -> bool {
    quick::<T>(text).is_none_or(|v| careful::<T>(text) == Some(v))
}

#[test]
fn a_well_formed_argument_reads_to_the_same_value_straight_and_carefully() {
    let actor = r#"{"id":"0190a000-0000-7000-8000-000000000001","roles":["front_desk"]}"#;
    let query = r#"{"name":"Ok\u00e1for","birth_date":"1990-03-04","limit":20,"active":null}"#;
    let settings = r#"{"break_glass_default":60,"phone_region":"US"}"#;
    let opaque = r#"{"b":[1,-0,1e3,1.5,18446744073709551616],"a":{"x":"\"q\""},"a":null}"#;
    assert_eq!(quick::<Actor>(actor), careful::<Actor>(actor));
    assert_eq!(quick::<PatientQuery>(query), careful::<PatientQuery>(query));
    assert_eq!(quick::<Settings>(settings), careful::<Settings>(settings));
    assert_eq!(quick::<Json>(opaque), careful::<Json>(opaque));
    assert_eq!(quick::<Option<PatientId>>("null"), Some(Json::Null));
    assert!(quick::<Actor>(actor).is_some());
}

#[test]
fn a_member_no_type_declares_is_unknown_field_though_everything_else_reads() {
    let text = json!({
        "actor": { "id": "0190a000-0000-7000-8000-000000000001", "roles": [], "nickname": "x" },
    });
    let mut args = Arguments::parse(&text.to_string()).expect("an object");
    let actor: Option<Actor> = args.take("actor", Mode::Member);
    assert!(actor.is_some());
    let fields = match args.finish() {
        Err(crate::Error::Validation { fields }) => fields,
        other => panic!("expected validation, got {other:?}"),
    };
    assert_eq!(fields.len(), 1);
    assert_eq!(
        (fields[0].field.as_str(), fields[0].code.as_str()),
        ("actor.nickname", "unknown_field")
    );
}

#[test]
fn a_struct_given_as_an_array_of_its_fields_reads_neither_straight_nor_carefully() {
    let positional = r#"["0190a000-0000-7000-8000-000000000001",["front_desk"]]"#;
    assert_eq!(quick::<Actor>(positional), None);
    assert_eq!(careful::<Actor>(positional), None);
    assert_eq!(quick::<PatientQuery>("[]"), None);
    assert_eq!(careful::<PatientQuery>("[]"), None);
    assert_eq!(quick::<Vec<Actor>>("[]"), Some(Json::Array(Vec::new())));
}

#[test]
fn a_member_given_twice_reads_as_its_last_value() {
    let text = r#"{"id":"0190a000-0000-7000-8000-000000000001","roles":[],
        "id":"0190a000-0000-7000-8000-000000000002"}"#;
    assert_eq!(quick::<Actor>(text), None);
    let actor = careful::<Actor>(text).expect("read carefully");
    assert_eq!(actor["id"], "0190a000-0000-7000-8000-000000000002");
}

#[test]
fn a_flattened_argument_sees_the_members_left_at_the_top() {
    let text = json!({ "actor": { "roles": [] }, "name": "Okafor", "limit": 5 });
    let mut args = Arguments::parse(&text.to_string()).expect("an object");
    let _: Option<Json> = args.take("actor", Mode::Member);
    let query: Option<PatientQuery> = args.take("", Mode::Flatten);
    assert!(args.finish().is_ok());
    let query = serde_json::to_value(query).expect("serializes");
    assert_eq!(
        (query["name"].clone(), query["limit"].clone()),
        (json!("Okafor"), json!(5))
    );
}

/// JSON values built from the members and codes these types declare, so
/// many of them read.
fn documents() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        any::<i64>().prop_map(Json::from),
        any::<u32>().prop_map(Json::from),
        (-1e6f64..1e6).prop_map(Json::from),
        prop::sample::select(vec![
            "0190a000-0000-7000-8000-000000000001",
            "front_desk",
            "physician",
            "1990-03-04",
            "1990-3-4",
            "2027-03-01T08:00:00Z",
            "US",
            "Okafor",
            "",
        ])
        .prop_map(Json::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        let names = prop::sample::select(vec![
            "id",
            "roles",
            "practitioner",
            "patient",
            "name",
            "birth_date",
            "limit",
            "active",
            "cursor",
            "gender",
            "phone_region",
            "break_glass_default",
            "other",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::from),
            prop::collection::btree_map(names, inner, 0..6).prop_map(|m| Json::Object(
                m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

proptest! {
    #[test]
    fn whatever_reads_straight_reads_carefully_with_the_same_value(doc in documents()) {
        let text = doc.to_string();
        prop_assert!(agrees::<Actor>(&text));
        prop_assert!(agrees::<PatientQuery>(&text));
        prop_assert!(agrees::<Settings>(&text));
        prop_assert!(agrees::<Option<PatientId>>(&text));
        prop_assert!(agrees::<Json>(&text));
    }
}
