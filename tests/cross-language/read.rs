//! Cross-language proof, Rust reader.
//!
//! Usage: `cargo run -q -p carebase-examples --bin cross-language-read -- <clinic.db> <expected.json>`
//!
//! Opens the SQLite file the Python writer produced, reads every patient by id
//! (system actor), runs the same searches, counts outbox events, verifies the
//! audit chain, and compares with expected.json. Prints every difference and
//! exits 1 on any.

use carebase::{Count32, Count64};
use std::path::Path;
use std::process::ExitCode;

use carebase::audit::{AuditCheckpoint, AuditKey};
use carebase::patient::{CheckDigit, IdentifierSystem, MrnNamespace, PatientQuery};
use carebase::{Actor, Clinic, PatientId, Settings};
use chrono::NaiveDate;
use serde_json::{json, Value as Json};

const MRN: &str = "urn:carebase:mrn:north";

fn settings() -> Settings {
    Settings {
        identifier_systems: vec![IdentifierSystem {
            system: MRN.into(),
            check_digit: Some(CheckDigit::Luhn),
        }],
        mrn_namespaces: vec![MrnNamespace {
            facility: "north".into(),
            system: MRN.into(),
            prefix: String::new(),
            digits: Count32::new(7),
            check_digit: Some(CheckDigit::Luhn),
        }],
        ..Settings::default()
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, expected_path] = args.as_slice() else {
        eprintln!("usage: cross-language-read <clinic.db> <expected.json>");
        return ExitCode::from(2);
    };
    match run(Path::new(db), Path::new(expected_path)).await {
        Ok(diffs) if diffs.is_empty() => ExitCode::SUCCESS,
        Ok(diffs) => {
            for d in diffs {
                println!("rust: DIFF {d}");
            }
            ExitCode::FAILURE
        }
        Err(e) => {
            println!("rust: ERROR {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(db: &Path, expected_path: &Path) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(expected_path)?;
    let expected: Json = serde_json::from_str(&text)?;
    let mut diffs = Vec::new();
    let mut same = |what: String, want: &Json, got: &Json| {
        if want != got {
            diffs.push(format!("{what}: expected {want}, got {got}"));
        }
    };

    // Opening a missing file would create an empty clinic: refuse instead.
    let abs =
        std::fs::canonicalize(db).map_err(|e| format!("no database at {}: {e}", db.display()))?;
    let store = carebase_storage::open(&format!("sqlite://{}", abs.display())).await?;
    let key_hex =
        std::env::var("CAREBASE_AUDIT_KEY").map_err(|_| "CAREBASE_AUDIT_KEY is not set")?;
    let key = AuditKey::new(&from_hex(&key_hex).ok_or("CAREBASE_AUDIT_KEY is not hex")?)?;
    let clinic = Clinic::new(store)
        .with_settings(settings())?
        .with_audit_key(key);
    let system = Actor::system();

    let empty = Vec::new();
    let patients = expected["patients"].as_array().unwrap_or(&empty);
    for want in patients {
        let id_text = want["id"].as_str().unwrap_or_default();
        let id: PatientId = id_text.parse().map_err(|_| format!("bad id {id_text}"))?;
        let got = match clinic.get_patient(&system, id).await {
            Ok(p) => {
                let name = p.details.names.first();
                let identifiers: Vec<[&str; 2]> = p
                    .details
                    .identifiers
                    .iter()
                    .map(|i| [i.system.as_str(), i.value.as_str()])
                    .collect();
                json!({
                    "id": p.id.to_string(),
                    "version": p.version,
                    "active": p.active,
                    "merged_into": p.merged_into.map(|m| m.to_string()),
                    "family": name.and_then(|n| n.family.clone()),
                    "given": name.map(|n| n.given.clone()).unwrap_or_default(),
                    "identifiers": identifiers,
                })
            }
            Err(e) => Json::String(format!("error [{}] {e}", e.code())),
        };
        same(format!("patient {id_text}"), want, &got);
    }

    let searches = expected["searches"].as_array().unwrap_or(&empty);
    for s in searches {
        let q = &s["query"];
        let text = |k: &str| q[k].as_str().map(str::to_owned);
        let birth_date = match text("birth_date") {
            Some(d) => Some(NaiveDate::parse_from_str(&d, "%Y-%m-%d")?),
            None => None,
        };
        let mut query = PatientQuery {
            name: text("name"),
            birth_date,
            identifier_system: text("identifier_system"),
            identifier_value: text("identifier_value"),
            phone: text("phone"),
            email: text("email"),
            limit: Some(Count32::new(3)),
            ..PatientQuery::default()
        };
        let mut ids = Vec::new();
        loop {
            let page = clinic.search_patients(&system, &query).await?;
            ids.extend(page.items.iter().map(|p| Json::String(p.id.to_string())));
            match page.next_cursor {
                Some(c) => query.cursor = Some(c),
                None => break,
            }
        }
        same(format!("search {q}"), &s["ids"], &Json::Array(ids));
    }

    let mut events = 0usize;
    // The position a relay keeps: the last sequence number per partition.
    let mut after: Vec<Count64> = Vec::new();
    loop {
        let batch = clinic
            .events_after(&system, after.clone(), Count32::new(1000))
            .await?;
        if batch.is_empty() {
            break;
        }
        for e in &batch {
            let p = usize::from(e.partition);
            if after.len() <= p {
                after.resize(p + 1, Count64::new(0));
            }
            after[p] = Count64::new(e.seq.get());
        }
        events += batch.len();
    }
    same("outbox events".into(), &expected["events"], &json!(events));

    let audit = &expected["audit"];
    let kept: AuditCheckpoint = serde_json::from_value(audit["checkpoint"].clone())?;
    let v = clinic.verify_audit(&system, Some(&kept)).await?;
    same("audit ok".into(), &audit["ok"], &Json::Bool(v.ok));
    same("audit keyed".into(), &audit["keyed"], &Json::Bool(v.keyed));
    same("audit trusted".into(), &json!(kept.seq), &json!(v.trusted));
    let Some(want_chains) = audit["chains_checked"].as_u64() else {
        return Err(format!("bad chains_checked {}", audit["chains_checked"]).into());
    };
    if v.chains_checked < want_chains {
        diffs.push(format!(
            "audit chains_checked: expected >= {want_chains}, got {}",
            v.chains_checked
        ));
    }
    if diffs.is_empty() {
        println!(
            "rust: {} patients, {} searches, {events} events, audit ok ({} chains, {} entries)",
            patients.len(),
            searches.len(),
            v.chains_checked,
            v.entries_checked
        );
    }
    Ok(diffs)
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
