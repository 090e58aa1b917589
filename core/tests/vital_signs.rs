//! The vital-sign table in core against FHIR R4's vital-signs profiles
//! (`vital-signs-r4.derived.json`): they cannot drift apart.

use carebase::terminology::vital_signs::{vital_sign, VitalValue, VITAL_SIGNS};
use serde_json::Value;

const DERIVED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/fhir/terminology/vital-signs-r4.derived.json"
);

/// Codes of the value set no R4 profile gives a unit, with the table's
/// choice for them.
const NOT_IN_A_PROFILE: &[&str] = &["8478-0"];

fn derived() -> Value {
    let text = std::fs::read_to_string(DERIVED).unwrap_or_else(|e| panic!("{DERIVED}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn texts(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn quantity_units(value: VitalValue) -> Option<Vec<&'static str>> {
    match value {
        VitalValue::Quantity(units) => Some(units.to_vec()),
        VitalValue::Panel(_) => None,
    }
}

fn panel_members(value: VitalValue) -> Option<Vec<&'static str>> {
    match value {
        VitalValue::Panel(members) => Some(members.to_vec()),
        VitalValue::Quantity(_) => None,
    }
}

#[test]
fn the_table_holds_exactly_the_thirteen_codes_of_the_value_set() {
    let file = derived();
    let mut listed: Vec<&str> = file["observation_vitalsignresult_codes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["code"].as_str())
        .collect();
    let mut table: Vec<&str> = VITAL_SIGNS.iter().map(|v| v.code).collect();
    listed.sort_unstable();
    table.sort_unstable();
    assert_eq!(table, listed);
    assert_eq!(table.len(), 13);
}

#[test]
fn every_profile_allows_the_units_and_members_the_table_allows() {
    let file = derived();
    let mut covered = Vec::new();
    for profile in file["profiles"].as_array().unwrap() {
        let Some(code) = profile["code"].as_str() else {
            continue;
        };
        let vital = vital_sign(code).unwrap_or_else(|| panic!("{code} missing"));
        let units = texts(&profile["units"]);
        let components = profile["components"].as_array().unwrap();
        if !units.is_empty() {
            assert_eq!(quantity_units(vital.value), Some(units), "{code}");
        } else {
            let members: Vec<&str> = components
                .iter()
                .filter_map(|c| c["code"].as_str())
                .collect();
            assert_eq!(panel_members(vital.value), Some(members), "{code}");
        }
        covered.push(code);
        for component in components {
            let member = component["code"].as_str().unwrap();
            let vital = vital_sign(member).unwrap_or_else(|| panic!("{member} missing"));
            let units = texts(&component["units"]);
            assert_eq!(quantity_units(vital.value), Some(units), "{member}");
            covered.push(member);
        }
    }
    let uncovered: Vec<&str> = VITAL_SIGNS
        .iter()
        .map(|v| v.code)
        .filter(|c| !covered.contains(c))
        .collect();
    assert_eq!(uncovered, NOT_IN_A_PROFILE);
}
