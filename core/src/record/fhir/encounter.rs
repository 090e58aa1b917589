//! FHIR R4 Encounter ⇄ [`Encounter`].

use serde_json::{json, Value};

use super::{concept_json, instant_json, reference_json, write_envelope, Object, Reader};
use crate::record::{
    ClinicalEntry, Encounter, EncounterClass, EncounterStatus, EntryBody, NewEntry,
};

/// The modelled element groups.
pub(super) const MODELLED: &[&str] = &[
    "status",
    "class",
    "subject",
    "participant",
    "period",
    "reasonCode",
    "location",
];

/// The v3 ActCode system of `Encounter.class`.
const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

/// The class of a v3 ActCode code.
fn class_of(code: &str) -> Option<EncounterClass> {
    Some(match code {
        "AMB" => EncounterClass::Ambulatory,
        "EMER" => EncounterClass::Emergency,
        "IMP" | "ACUTE" | "NONAC" => EncounterClass::Inpatient,
        "VR" => EncounterClass::Virtual,
        _ => return None,
    })
}

/// The ActCode code carebase writes for a class.
fn code_of(class: EncounterClass) -> &'static str {
    match class {
        EncounterClass::Ambulatory => "AMB",
        EncounterClass::Emergency => "EMER",
        EncounterClass::Inpatient => "IMP",
        EncounterClass::Virtual => "VR",
    }
}

/// Reads an Encounter: status, class (AMB, EMER, IMP/ACUTE/NONAC, VR),
/// `period.start` (the clinical time, required), practitioners, reasons and
/// the first location's display.
pub(super) fn read(r: &mut Reader<'_>) -> Option<NewEntry> {
    r.subject("subject");
    let status = r.code(
        "status",
        EncounterStatus::parse,
        "planned, arrived, in-progress, finished, cancelled",
    );
    let class = match r.get("class") {
        Some(class) => {
            let code = r.text(class.get("code"), "class.code");
            let found = code.and_then(class_of);
            if code.is_some() && found.is_none() {
                r.fail(
                    "class.code",
                    "unsupported_value",
                    "must be AMB, EMER, IMP, ACUTE, NONAC or VR",
                );
            }
            found
        }
        None => {
            r.required("class", "the setting of the encounter");
            None
        }
    };
    let effective_at = r.effective(&["period.start"]);
    let ended_at = r
        .lookup("period.end")
        .and_then(|v| r.date_time(Some(v), "period.end"));
    r.from("body.ended_at", "period.end");
    let mut practitioners = Vec::new();
    for (i, p) in r
        .list(r.get("participant"), "participant")
        .iter()
        .enumerate()
    {
        let at = format!("participant[{i}].individual");
        if let Some(id) = r.reference(p.get("individual"), &at, "Practitioner") {
            practitioners.push(crate::ids::PractitionerId(id));
        }
    }
    r.from("body.practitioners", "participant");
    let mut reasons = Vec::new();
    for (i, c) in r.list(r.get("reasonCode"), "reasonCode").iter().enumerate() {
        if c.get("coding").is_some() {
            let at = format!("reasonCode[{i}]");
            let body = format!("body.reasons[{}]", reasons.len());
            if let Some(coding) = r.concept(Some(c), &at, &body, None) {
                reasons.push(coding);
            }
        }
    }
    r.from("body.location", "location[0].location.display");
    let location = r
        .lookup("location")
        .and_then(|l| l.pointer("/0/location/display"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let body = Encounter {
        class: class?,
        status: status?,
        practitioners,
        started_at: effective_at,
        ended_at,
        reasons,
        location,
        appointment: None,
    };
    Some(NewEntry {
        effective_at: effective_at?,
        encounter: None,
        body: EntryBody::Encounter(body),
    })
}

/// Writes an encounter's modelled elements.
pub(super) fn write(entry: &ClinicalEntry, e: &Encounter, out: &mut Object) {
    write_envelope(entry, "subject", out);
    out.remove("encounter");
    out.insert("status".into(), json!(e.status.as_str()));
    out.insert(
        "class".into(),
        json!({ "system": ACT_CODE, "code": code_of(e.class) }),
    );
    if !e.practitioners.is_empty() {
        let list: Vec<Value> = e
            .practitioners
            .iter()
            .map(|p| json!({ "individual": reference_json("Practitioner", p) }))
            .collect();
        out.insert("participant".into(), Value::Array(list));
    }
    let mut period = Object::new();
    period.insert(
        "start".into(),
        instant_json(e.started_at.unwrap_or(entry.effective_at)),
    );
    if let Some(end) = e.ended_at {
        period.insert("end".into(), instant_json(end));
    }
    out.insert("period".into(), Value::Object(period));
    if !e.reasons.is_empty() {
        out.insert(
            "reasonCode".into(),
            Value::Array(e.reasons.iter().map(concept_json).collect()),
        );
    }
    if let Some(location) = &e.location {
        out.insert(
            "location".into(),
            json!([{ "location": { "display": location } }]),
        );
    }
}
