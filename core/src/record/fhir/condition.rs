//! FHIR R4 Condition ⇄ [`Condition`].

use serde_json::json;

use super::{code_concept, concept_json, instant_json, write_envelope, Object, Reader};
use crate::record::{
    ClinicalEntry, Condition, ConditionStatus, EntryBody, NewEntry, VerificationStatus,
};

/// The modelled element groups.
pub(super) const MODELLED: &[&str] = &[
    "clinicalStatus",
    "verificationStatus",
    "code",
    "subject",
    "encounter",
    "onsetDateTime onsetAge onsetPeriod onsetRange onsetString",
    "abatementDateTime abatementAge abatementPeriod abatementRange abatementString",
    "recordedDate",
];

/// FHIR's condition-clinical code system.
const CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";

/// FHIR's condition-ver-status code system.
const VERIFICATION: &str = "http://terminology.hl7.org/CodeSystem/condition-ver-status";

/// Reads a Condition: code, clinical status (required), verification
/// status (`unconfirmed` when not given), onset and abatement as
/// date-times (other forms are kept as written), and the clinical time:
/// `recordedDate`, else the onset.
pub(super) fn read(r: &mut Reader<'_>) -> Option<NewEntry> {
    r.subject("subject");
    let clinical_status = r.concept_code(
        "clinicalStatus",
        ConditionStatus::parse,
        "active, recurrence, relapse, inactive, remission, resolved",
    );
    if r.get("clinicalStatus").is_none() {
        r.required("clinicalStatus", "whether the condition is current");
    }
    r.from("body.clinical_status", "clinicalStatus");
    let verification_status = match r.get("verificationStatus") {
        None => Some(VerificationStatus::Unconfirmed),
        Some(_) => r.concept_code(
            "verificationStatus",
            VerificationStatus::parse,
            "unconfirmed, provisional, differential, confirmed, refuted",
        ),
    };
    let code = r.concept(r.get("code"), "code", "body.code", None);
    let onset_at = match r
        .lookup("onsetDateTime")
        .or_else(|| r.lookup("onsetPeriod.start"))
    {
        Some(v) => r.date_time(Some(v), "onsetDateTime"),
        None => None,
    };
    r.from("body.onset_at", "onsetDateTime");
    let abated_at = match r
        .lookup("abatementDateTime")
        .or_else(|| r.lookup("abatementPeriod.end"))
    {
        Some(v) => r.date_time(Some(v), "abatementDateTime"),
        None => None,
    };
    r.from("body.abated_at", "abatementDateTime");
    let effective_at = r.effective(&["recordedDate", "onsetDateTime", "onsetPeriod.start"]);
    let encounter = r.encounter();
    let body = Condition {
        code: code?,
        clinical_status: clinical_status?,
        verification_status: verification_status?,
        onset_at,
        abated_at,
    };
    Some(NewEntry {
        effective_at: effective_at?,
        encounter,
        body: EntryBody::Condition(body),
    })
}

/// Writes a condition's modelled elements.
pub(super) fn write(entry: &ClinicalEntry, c: &Condition, out: &mut Object) {
    write_envelope(entry, "subject", out);
    out.insert(
        "clinicalStatus".into(),
        code_concept(CLINICAL, c.clinical_status.as_str()),
    );
    out.insert(
        "verificationStatus".into(),
        code_concept(VERIFICATION, c.verification_status.as_str()),
    );
    out.insert("code".into(), concept_json(&c.code));
    if let Some(onset) = c.onset_at {
        out.insert("onsetDateTime".into(), instant_json(onset));
    }
    if let Some(abated) = c.abated_at {
        out.insert("abatementDateTime".into(), instant_json(abated));
    }
    out.insert(
        "recordedDate".into(),
        json!(crate::fhir::format_instant(entry.effective_at)),
    );
}
