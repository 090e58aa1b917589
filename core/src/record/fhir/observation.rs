//! FHIR R4 Observation ⇄ [`Observation`]: vital signs, lab results, other
//! measurements, with components (blood pressure) and reference ranges.

use serde_json::{json, Value};

use super::{concept_json, instant_json, quantity_json, write_envelope, Object, Reader};
use crate::record::{
    ClinicalEntry, EntryBody, NewEntry, Observation, ObservationCategory, ObservationComponent,
    ObservationStatus, ObservationValue,
};
use crate::terminology::interpretation::{Interpretation, ReferenceRange};
use crate::terminology::vital_signs::VITAL_SIGNS;

/// The modelled element groups.
pub(super) const MODELLED: &[&str] = &[
    "status",
    "category",
    "code",
    "subject",
    "encounter",
    EFFECTIVE,
    VALUE,
    "interpretation",
    "referenceRange",
    "component",
];

/// `Observation.effective[x]`.
const EFFECTIVE: &str = "effectiveDateTime effectivePeriod effectiveTiming effectiveInstant";

/// `Observation.value[x]` (and `component.value[x]`).
const VALUE: &str = "valueQuantity valueCodeableConcept valueString valueBoolean valueInteger \
    valueRange valueRatio valueSampledData valueTime valueDateTime valuePeriod";

/// FHIR's observation-category code system.
const CATEGORY_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/observation-category";

/// The v3 ObservationInterpretation code system.
const INTERPRETATION_SYSTEM: &str =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";

/// LOINC's system URI.
const LOINC: &str = "http://loinc.org";

/// The value[x] of `obj` at `at` (`""` or `component[1]`) read into `body`.
fn value(r: &mut Reader<'_>, obj: &Value, at: &str, body: &str) -> Option<ObservationValue> {
    let prefix = if at.is_empty() {
        String::new()
    } else {
        format!("{at}.")
    };
    let key = VALUE.split_whitespace().find(|k| obj.get(*k).is_some())?;
    let path = format!("{prefix}{key}");
    let found = obj.get(key)?;
    r.from(body, path.clone());
    match key {
        "valueQuantity" => r
            .quantity(found, &path, body)
            .map(|q| ObservationValue::Quantity {
                value: q.value,
                unit: q.unit,
            }),
        "valueCodeableConcept" => r
            .concept(Some(found), &path, &format!("{body}.coding"), None)
            .map(|coding| ObservationValue::Coded { coding }),
        "valueString" => r
            .text(Some(found), &path)
            .map(|t| ObservationValue::Text { text: t.to_owned() }),
        "valueBoolean" => match found {
            Value::Bool(answer) => Some(ObservationValue::Boolean { answer: *answer }),
            _ => {
                r.fail(path, "invalid_type", "must be true or false");
                None
            }
        },
        _ => {
            r.fail(
                path,
                "unsupported_value",
                "carebase records valueQuantity, valueCodeableConcept, valueString or valueBoolean",
            );
            None
        }
    }
}

/// The reference ranges of `obj` (their low and high limits).
fn ranges(r: &mut Reader<'_>, obj: &Value, at: &str, body: &str) -> Vec<ReferenceRange> {
    let key = if at.is_empty() {
        "referenceRange".to_owned()
    } else {
        format!("{at}.referenceRange")
    };
    let mut out = Vec::new();
    for (i, range) in r.list(obj.get("referenceRange"), &key).iter().enumerate() {
        let path = format!("{key}[{i}]");
        let field = format!("{body}.reference_ranges[{}]", out.len());
        r.from(field.clone(), path.clone());
        let mut read = ReferenceRange::default();
        if let Some(low) = range.get("low") {
            read.low = r.quantity(low, &format!("{path}.low"), &format!("{field}.low"));
        }
        if let Some(high) = range.get("high") {
            read.high = r.quantity(high, &format!("{path}.high"), &format!("{field}.high"));
        }
        if read.low.is_some() || read.high.is_some() {
            out.push(read);
        }
    }
    out
}

/// The category: the first `observation-category` code carebase knows; a
/// vital-sign LOINC code is `vital-signs` when none is given.
fn category(
    r: &mut Reader<'_>,
    code: Option<&crate::record::Coding>,
) -> Option<ObservationCategory> {
    let listed = r.list(r.get("category"), "category");
    let found = listed
        .iter()
        .filter_map(|c| c.get("coding").and_then(Value::as_array))
        .flatten()
        .filter(|c| c.get("system").and_then(Value::as_str) == Some(CATEGORY_SYSTEM))
        .find_map(|c| {
            c.get("code")
                .and_then(Value::as_str)
                .and_then(ObservationCategory::parse)
        });
    r.from("body.category", "category");
    let vital =
        code.is_some_and(|c| c.system == LOINC && VITAL_SIGNS.iter().any(|v| v.code == c.code));
    match found {
        Some(category) => Some(category),
        None if listed.is_empty() && vital => Some(ObservationCategory::VitalSigns),
        None => {
            r.fail(
                "category",
                "required",
                "a category of http://terminology.hl7.org/CodeSystem/observation-category",
            );
            None
        }
    }
}

/// Reads an Observation: code (LOINC preferred), category, status, the
/// clinical time (effective[x], else `issued`), value, reference ranges
/// and components. The interpretation is core's, computed from the range.
pub(super) fn read(r: &mut Reader<'_>) -> Option<NewEntry> {
    r.subject("subject");
    let status = r.code(
        "status",
        ObservationStatus::parse,
        "registered, preliminary, final, amended, cancelled",
    );
    let code = r.concept(r.get("code"), "code", "body.code", Some(LOINC));
    let category = category(r, code.as_ref());
    let effective_at = r.effective(&[
        "effectiveDateTime",
        "effectiveInstant",
        "effectivePeriod.start",
        "issued",
    ]);
    let encounter = r.encounter();
    let top = Value::Object(r.obj.clone());
    let read_value = value(r, &top, "", "body.value");
    let reference_ranges = ranges(r, &top, "", "body");
    let mut components = Vec::new();
    for (i, part) in r.list(r.get("component"), "component").iter().enumerate() {
        let at = format!("component[{i}]");
        let body = format!("body.components[{i}]");
        r.from(body.clone(), at.clone());
        let code = r.concept(
            part.get("code"),
            &format!("{at}.code"),
            &format!("{body}.code"),
            Some(LOINC),
        );
        let value = value(r, part, &at, &format!("{body}.value"));
        let reference_ranges = ranges(r, part, &at, &body);
        if let Some(code) = code {
            components.push(ObservationComponent {
                code,
                value,
                reference_ranges,
                interpretation: None,
            });
        }
    }
    let body = Observation {
        code: code?,
        category: category?,
        status: status?,
        value: read_value,
        components,
        reference_ranges,
        interpretation: None,
    };
    Some(NewEntry {
        effective_at: effective_at?,
        encounter,
        body: EntryBody::Observation(body),
    })
}

/// A value[x] as FHIR JSON, with its key.
fn value_json(v: &ObservationValue) -> (&'static str, Value) {
    match v {
        ObservationValue::Quantity { value, unit } => (
            "valueQuantity",
            quantity_json(&crate::terminology::interpretation::Quantity::new(
                *value,
                unit.clone(),
            )),
        ),
        ObservationValue::Coded { coding } => ("valueCodeableConcept", concept_json(coding)),
        ObservationValue::Text { text } => ("valueString", json!(text)),
        ObservationValue::Boolean { answer } => ("valueBoolean", json!(answer)),
    }
}

/// Reference ranges as FHIR JSON (their low and high limits).
fn ranges_json(ranges: &[ReferenceRange]) -> Value {
    let list = ranges.iter().map(|range| {
        let mut out = Object::new();
        if let Some(low) = &range.low {
            out.insert("low".into(), quantity_json(low));
        }
        if let Some(high) = &range.high {
            out.insert("high".into(), quantity_json(high));
        }
        Value::Object(out)
    });
    Value::Array(list.collect())
}

/// An interpretation flag as FHIR JSON.
fn interpretation_json(flag: Interpretation) -> Value {
    json!([{ "coding": [{ "system": INTERPRETATION_SYSTEM, "code": flag.as_str() }] }])
}

/// Writes the value, ranges and flag shared by observations and components.
fn write_measure(
    value: Option<&ObservationValue>,
    ranges: &[ReferenceRange],
    flag: Option<Interpretation>,
    out: &mut Object,
) {
    if let Some(v) = value {
        let (key, json) = value_json(v);
        out.insert(key.into(), json);
    }
    if let Some(flag) = flag {
        out.insert("interpretation".into(), interpretation_json(flag));
    }
    if !ranges.is_empty() {
        out.insert("referenceRange".into(), ranges_json(ranges));
    }
}

/// Writes an observation's modelled elements.
pub(super) fn write(entry: &ClinicalEntry, o: &Observation, out: &mut Object) {
    write_envelope(entry, "subject", out);
    out.insert("status".into(), json!(o.status.as_str()));
    let category =
        json!([{ "coding": [{ "system": CATEGORY_SYSTEM, "code": o.category.as_str() }] }]);
    out.insert("category".into(), category);
    out.insert("code".into(), concept_json(&o.code));
    out.insert("effectiveDateTime".into(), instant_json(entry.effective_at));
    write_measure(o.value.as_ref(), &o.reference_ranges, o.interpretation, out);
    if !o.components.is_empty() {
        let parts = o.components.iter().map(|c| {
            let mut part = Object::new();
            part.insert("code".into(), concept_json(&c.code));
            write_measure(
                c.value.as_ref(),
                &c.reference_ranges,
                c.interpretation,
                &mut part,
            );
            Value::Object(part)
        });
        out.insert("component".into(), Value::Array(parts.collect()));
    }
}
