//! FHIR R4 Immunization ⇄ [`Immunization`].

use serde_json::json;

use super::{concept_json, instant_json, reference_json, write_envelope, Object, Reader};
use crate::ids::PractitionerId;
use crate::record::{ClinicalEntry, EntryBody, Immunization, ImmunizationStatus, NewEntry};

/// The modelled element groups.
pub(super) const MODELLED: &[&str] = &[
    "status",
    "vaccineCode",
    "patient",
    "encounter",
    "occurrenceDateTime occurrenceString",
    "lotNumber",
    "performer",
];

/// CVX's system URI (preferred for the vaccine).
const CVX: &str = "http://hl7.org/fhir/sid/cvx";

/// Reads an Immunization: status (completed, not-done), the vaccine (CVX
/// preferred), `occurrenceDateTime` (the clinical time, required), the lot
/// and the first performer when it resolves to a practitioner.
pub(super) fn read(r: &mut Reader<'_>) -> Option<NewEntry> {
    r.subject("patient");
    let status = r.code("status", ImmunizationStatus::parse, "completed, not-done");
    let vaccine = r.concept(
        r.get("vaccineCode"),
        "vaccineCode",
        "body.vaccine",
        Some(CVX),
    );
    if r.get("occurrenceString").is_some() {
        r.fail(
            "occurrenceString",
            "unsupported_value",
            "carebase needs occurrenceDateTime",
        );
    }
    let effective_at = r.effective(&["occurrenceDateTime"]);
    let lot = r.text(r.get("lotNumber"), "lotNumber").map(str::to_owned);
    r.from("body.lot", "lotNumber");
    let encounter = r.encounter();
    let performer = r
        .get("performer")
        .and_then(|p| p.get(0))
        .and_then(|p| r.reference(p.get("actor"), "performer[0].actor", "Practitioner"))
        .map(PractitionerId);
    let body = Immunization {
        vaccine: vaccine?,
        status: status?,
        lot,
        performer,
    };
    Some(NewEntry {
        effective_at: effective_at?,
        encounter,
        body: EntryBody::Immunization(body),
    })
}

/// Writes an immunization's modelled elements.
pub(super) fn write(entry: &ClinicalEntry, i: &Immunization, out: &mut Object) {
    write_envelope(entry, "patient", out);
    out.insert("status".into(), json!(i.status.as_str()));
    out.insert("vaccineCode".into(), concept_json(&i.vaccine));
    out.insert(
        "occurrenceDateTime".into(),
        instant_json(entry.effective_at),
    );
    if let Some(lot) = &i.lot {
        out.insert("lotNumber".into(), json!(lot));
    }
    if let Some(p) = i.performer {
        out.insert(
            "performer".into(),
            json!([{ "actor": reference_json("Practitioner", p) }]),
        );
    }
}
