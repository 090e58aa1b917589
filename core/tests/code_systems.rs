//! Every coding of a system carebase checks, in the Synthea bundles of the
//! fixtures, passes its system's format; so does every UCUM quantity code,
//! except the codings listed in [`known_invalid`], which are not codes of
//! their system and must be refused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use carebase::terminology::code_system::{check_code, CodeSystem};
use carebase::terminology::ucum;
use serde_json::Value;

const SYNTHEA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/synthea");
const UCUM_SYSTEM: &str = "http://unitsofmeasure.org";

/// Codings in the fixtures that are not codes of their system, and why.
fn known_invalid(system: &str, code: &str) -> Option<&'static str> {
    let digits = code.trim_end_matches('A');
    if code.len() == 36 && digits.len() < code.len() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(
            "fhir-data-pipes replaces some codes by digits padded with 'A' to 36 characters",
        );
    }
    if system == UCUM_SYSTEM && matches!(code, "mmHg" | "beats/minute") {
        return Some("Synthea's own spellings; UCUM's are mm[Hg] and /min");
    }
    None
}

fn bundles(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir:?}: {e}")) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            bundles(&path, found);
        } else if path.extension().is_some_and(|e| e == "json") {
            found.push(path);
        }
    }
}

/// Every object holding a string `system` and a string `code`.
fn codings(value: &Value, found: &mut Vec<(String, String)>) {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                if let (Some(Value::String(system)), Some(Value::String(code))) =
                    (map.get("system"), map.get("code"))
                {
                    found.push((system.clone(), code.clone()));
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
}

#[test]
fn every_coding_of_a_checked_system_in_the_synthea_bundles_passes() {
    let mut files = Vec::new();
    bundles(Path::new(SYNTHEA), &mut files);
    assert!(!files.is_empty(), "no bundles under {SYNTHEA}");
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut refused: BTreeMap<&str, usize> = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let bundle: Value = serde_json::from_str(&text).unwrap();
        let mut found = Vec::new();
        codings(&bundle, &mut found);
        for (system, code) in found {
            let checked = if system == UCUM_SYSTEM {
                ucum::Unit::parse("code", &code).err()
            } else if CodeSystem::parse(&system).is_some() {
                check_code("code", &system, &code).err()
            } else {
                continue;
            };
            *counts.entry(system.clone()).or_default() += 1;
            match (checked, known_invalid(&system, &code)) {
                (None, None) => {}
                (Some(_), Some(why)) => *refused.entry(why).or_default() += 1,
                (Some(error), None) => failures.push(format!(
                    "{system} {code:?}: {} ({})",
                    error.code, error.message
                )),
                (None, Some(why)) => failures.push(format!("{system} {code:?} passed: {why}")),
            }
        }
    }
    println!("codings checked in {} bundles:", files.len());
    for (system, count) in &counts {
        println!("  {system}: {count}");
    }
    for (why, count) in &refused {
        println!("  refused as expected: {count} ({why})");
    }
    failures.sort();
    failures.dedup();
    assert!(failures.is_empty(), "{failures:#?}");
    for system in [
        CodeSystem::Loinc,
        CodeSystem::SnomedCt,
        CodeSystem::RxNorm,
        CodeSystem::Cvx,
    ] {
        assert!(
            counts.get(system.as_str()).is_some_and(|n| *n > 0),
            "{system:?}"
        );
    }
    assert!(counts.get(UCUM_SYSTEM).is_some_and(|n| *n > 0));
}
