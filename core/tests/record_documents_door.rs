//! Specification of a document's bytes through the JSON door: they travel
//! BESIDE the JSON text, in and out, never inside it, bounded at the door.

mod common;

use carebase::api::{call, call_with_bytes, check_bytes};
use carebase::limits::MAX_ATTACHMENT_BYTES;
use carebase::Error;
use common::record::RecordWorld;
use serde_json::{json, Value};

const SCAN: &[u8] = b"\x89PNG\r\n\x1a\n not really an image \x00";

fn attach_args(r: &RecordWorld) -> String {
    json!({
        "actor": r.world.doctor,
        "patient": r.patient.id,
        "effective_at": r.now(),
        "encounter": null,
        "content_type": "image/png",
        "title": "Rash, left arm",
    })
    .to_string()
}

fn fields(err: Error) -> Vec<(String, String)> {
    match err {
        Error::Validation { fields } => fields.into_iter().map(|f| (f.field, f.code)).collect(),
        other => panic!("expected validation, got {other:?}"),
    }
}

#[tokio::test]
async fn bytes_attached_beside_the_json_read_back_beside_it_identical() {
    let r = RecordWorld::new().await;
    let clinic = &r.world.clinic;
    let attached = call_with_bytes(
        clinic,
        "attach_document",
        &attach_args(&r),
        Some(SCAN.to_vec()),
    )
    .await
    .unwrap();
    assert_eq!(attached.bytes, None);
    let entry: Value = serde_json::from_str(&attached.json).unwrap();
    let args = json!({"actor": r.world.doctor, "patient": r.patient.id, "entry": entry["id"]});
    let read = call_with_bytes(clinic, "read_document", &args.to_string(), None)
        .await
        .unwrap();
    assert_eq!(read.bytes.as_deref(), Some(SCAN));
    let answer: Value = serde_json::from_str(&read.json).unwrap();
    assert_eq!(answer["entry"], entry);
    assert!(answer.get("bytes").is_none());
}

#[tokio::test]
async fn bytes_inside_the_json_text_are_the_wrong_type() {
    let r = RecordWorld::new().await;
    let mut args: Value = serde_json::from_str(&attach_args(&r)).unwrap();
    args["bytes"] = json!("iVBORw0KGgo=");
    let err = call(&r.world.clinic, "attach_document", &args.to_string())
        .await
        .unwrap_err();
    assert_eq!(
        fields(err),
        vec![("bytes".to_owned(), "invalid_type".to_owned())]
    );
}

#[tokio::test]
async fn an_attachment_without_bytes_is_required() {
    let r = RecordWorld::new().await;
    let err = call(&r.world.clinic, "attach_document", &attach_args(&r))
        .await
        .unwrap_err();
    assert_eq!(
        fields(err),
        vec![("bytes".to_owned(), "required".to_owned())]
    );
}

#[tokio::test]
async fn bytes_handed_to_an_operation_that_takes_none_are_an_unknown_field() {
    let r = RecordWorld::new().await;
    let args = json!({"actor": r.world.doctor, "id": r.patient.id});
    let err = call_with_bytes(
        &r.world.clinic,
        "get_patient",
        &args.to_string(),
        Some(vec![1]),
    )
    .await
    .unwrap_err();
    assert_eq!(
        fields(err),
        vec![("(bytes)".to_owned(), "unknown_field".to_owned())]
    );
}

#[tokio::test]
async fn bytes_over_the_limit_are_too_large_at_the_door() {
    let r = RecordWorld::new().await;
    assert!(check_bytes(MAX_ATTACHMENT_BYTES).is_ok());
    let err = call_with_bytes(
        &r.world.clinic,
        "attach_document",
        &attach_args(&r),
        Some(vec![0; MAX_ATTACHMENT_BYTES + 1]),
    )
    .await
    .unwrap_err();
    assert_eq!(
        fields(err),
        vec![("bytes".to_owned(), "too_large".to_owned())]
    );
}
