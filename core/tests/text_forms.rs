//! Dates and instants in one text form, as specifications: a date is
//! `YYYY-MM-DD`, an instant RFC 3339 with `T`, seconds and an offset or `Z`.
//! Anything else is `invalid_format` at its path, never read leniently into
//! a value that would not read back as the host wrote it, and never a local
//! time (rule 5).

use std::sync::Arc;

use carebase::api::call;
use carebase::instant::{parse_date, parse_instant};
use carebase::{Clinic, Error, MemoryStore};
use chrono::{NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{json, Value};

fn run(clinic: &Clinic, op: &str, args: Value) -> Result<Value, Error> {
    let text = futures::executor::block_on(call(clinic, op, &args.to_string()))?;
    Ok(serde_json::from_str(&text).unwrap_or_default())
}

fn fields(result: Result<Value, Error>) -> Vec<(String, String)> {
    match result {
        Err(Error::Validation { fields }) => {
            fields.into_iter().map(|f| (f.field, f.code)).collect()
        }
        Err(other) => vec![(String::new(), other.code().to_owned())],
        Ok(_) => Vec::new(),
    }
}

fn desk() -> Value {
    json!({ "id": "0190a000-0000-7000-8000-000000000001", "roles": ["front_desk"] })
}

fn system() -> Value {
    json!({ "id": "0190a000-0000-7000-8000-000000000002", "roles": ["system"] })
}

fn register(clinic: &Clinic, birth_date: &str) -> Result<Value, Error> {
    let details = json!({ "names": [{ "family": "Form" }], "birth_date": birth_date });
    run(
        clinic,
        "register_patient",
        json!({ "actor": desk(), "details": details }),
    )
}

#[test]
fn a_birth_date_not_written_yyyy_mm_dd_is_invalid_format() {
    let c = Clinic::new(Arc::new(MemoryStore::new()));
    for text in [
        "1990-1-1",
        "19900101",
        "1990-01-01T00:00:00Z",
        " 1990-01-01",
        "+1990-01-01",
        "1990-02-30",
    ] {
        assert_eq!(
            fields(register(&c, text)),
            vec![("details.birth_date".to_owned(), "invalid_format".to_owned())],
            "{text}"
        );
    }
}

#[test]
fn a_birth_date_written_yyyy_mm_dd_reads_back_as_written() {
    let c = Clinic::new(Arc::new(MemoryStore::new()));
    let patient = register(&c, "1990-01-01").unwrap_or_default();
    assert_eq!(patient["details"]["birth_date"], "1990-01-01");
}

#[test]
fn an_instant_without_an_offset_or_in_another_shape_is_invalid_format() {
    let c = Clinic::new(Arc::new(MemoryStore::new()));
    let id = "0190a000-0000-7000-8000-0000000000aa";
    for text in [
        "2036-03-31T09:00:00",
        "2036-03-31 09:00:00Z",
        "2036-03-31t09:00:00z",
        "2036-03-31T09:00Z",
        "2036-3-31T09:00:00Z",
        "2036-03-31T09:00:00+0100",
        "2036-03-31T09:00:00.Z",
    ] {
        let booking = json!({ "patient": id, "practitioner": id, "visit_type": id, "start": text });
        assert_eq!(
            fields(run(
                &c,
                "book_appointment",
                json!({ "actor": desk(), "booking": booking })
            )),
            vec![("booking.start".to_owned(), "invalid_format".to_owned())],
            "{text}"
        );
    }
}

#[test]
fn an_instant_handed_as_an_argument_of_its_own_is_held_to_the_same_form() {
    let c = Clinic::new(Arc::new(MemoryStore::new()));
    let args = json!({ "actor": system(), "from": "2036-01-01T00:00:00", "to": "2036-01-02", "limit": 10 });
    assert_eq!(
        fields(run(&c, "due_reminders", args)),
        vec![
            ("from".to_owned(), "invalid_format".to_owned()),
            ("to".to_owned(), "invalid_format".to_owned())
        ]
    );
    let args = json!({ "actor": system(), "from": "2036-01-01T00:00:00+01:00", "to": "2036-01-02T00:00:00.5Z", "limit": 10 });
    assert_eq!(run(&c, "due_reminders", args).ok(), Some(json!([])));
}

#[test]
fn an_instant_with_an_offset_is_the_same_moment_in_utc() {
    assert_eq!(
        parse_instant("2036-03-31T10:30:00+01:30"),
        Utc.with_ymd_and_hms(2036, 3, 31, 9, 0, 0).single()
    );
}

proptest! {
    #[test]
    fn every_date_carebase_writes_reads_back_strictly(days in 0i64..3_652_058) {
        let date = NaiveDate::from_ymd_opt(1, 1, 1).unwrap() + chrono::Duration::days(days);
        let written = serde_json::to_value(date).unwrap();
        prop_assert_eq!(parse_date(written.as_str().unwrap()), Some(date));
    }

    #[test]
    fn every_instant_carebase_writes_reads_back_strictly(secs in -62_135_596_800i64..253_402_300_799, micros in 0u32..1_000_000) {
        let at = chrono::DateTime::from_timestamp(secs, micros * 1000).unwrap();
        let written = serde_json::to_value(at).unwrap();
        prop_assert_eq!(parse_instant(written.as_str().unwrap()), Some(at));
    }
}
