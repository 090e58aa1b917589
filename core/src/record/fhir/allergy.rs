//! FHIR R4 AllergyIntolerance ⇄ [`Allergy`].

use serde_json::{json, Value};

use super::{code_concept, concept_json, instant_json, write_envelope, Object, Reader};
use crate::record::{
    Allergy, AllergyCategory, AllergyCriticality, AllergyStatus, ClinicalEntry, EntryBody,
    NewEntry, Reaction, ReactionSeverity, VerificationStatus,
};

/// The modelled element groups.
pub(super) const MODELLED: &[&str] = &[
    "clinicalStatus",
    "verificationStatus",
    "category",
    "criticality",
    "code",
    "patient",
    "encounter",
    "recordedDate",
    "reaction",
];

/// FHIR's allergyintolerance-clinical code system.
const CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";

/// FHIR's allergyintolerance-verification code system.
const VERIFICATION: &str = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";

/// Reads an AllergyIntolerance: the substance (`code`), clinical status
/// (required), verification status, categories, criticality, reactions
/// (coded manifestations, severity) and the clinical time: `recordedDate`,
/// else `onsetDateTime`.
pub(super) fn read(r: &mut Reader<'_>) -> Option<NewEntry> {
    r.subject("patient");
    if r.get("clinicalStatus").is_none() {
        r.required("clinicalStatus", "whether the allergy is current");
    }
    let clinical_status = r.concept_code(
        "clinicalStatus",
        AllergyStatus::parse,
        "active, inactive, resolved",
    );
    r.from("body.clinical_status", "clinicalStatus");
    let verification_status = match r.get("verificationStatus") {
        None => None,
        Some(_) => r.concept_code(
            "verificationStatus",
            VerificationStatus::parse,
            "unconfirmed, confirmed, refuted",
        ),
    };
    let substance = r.concept(r.get("code"), "code", "body.substance", None);
    let mut categories = Vec::new();
    for (i, c) in r.list(r.get("category"), "category").iter().enumerate() {
        let at = format!("category[{i}]");
        match r.text(Some(c), &at).map(AllergyCategory::parse) {
            Some(Some(category)) => categories.push(category),
            Some(None) => r.fail(
                at,
                "unsupported_value",
                "must be food, medication, environment or biologic",
            ),
            None => {}
        }
    }
    r.from("body.categories", "category");
    let criticality = match r.get("criticality") {
        None => None,
        Some(_) => r.code(
            "criticality",
            AllergyCriticality::parse,
            "low, high, unable-to-assess",
        ),
    };
    let mut reactions = Vec::new();
    for (i, reaction) in r.list(r.get("reaction"), "reaction").iter().enumerate() {
        let at = format!("reaction[{i}]");
        let body = format!("body.reactions[{i}]");
        r.from(body.clone(), at.clone());
        let mut manifestations = Vec::new();
        let listed = r.list(
            reaction.get("manifestation"),
            &format!("{at}.manifestation"),
        );
        for (j, m) in listed.iter().enumerate() {
            let path = format!("{at}.manifestation[{j}]");
            let field = format!("{body}.manifestations[{}]", manifestations.len());
            if let Some(coding) = r.concept(Some(m), &path, &field, None) {
                manifestations.push(coding);
            }
        }
        let severity = match reaction.get("severity") {
            None => None,
            Some(v) => {
                let at = format!("{at}.severity");
                let parsed = r.text(Some(v), &at).and_then(ReactionSeverity::parse);
                if parsed.is_none() {
                    r.fail(at, "unsupported_value", "must be mild, moderate or severe");
                }
                parsed
            }
        };
        reactions.push(Reaction {
            manifestations,
            severity,
        });
    }
    let effective_at = r.effective(&["recordedDate", "onsetDateTime"]);
    let encounter = r.encounter();
    let body = Allergy {
        substance: substance?,
        categories,
        criticality,
        clinical_status: clinical_status?,
        verification_status,
        reactions,
    };
    Some(NewEntry {
        effective_at: effective_at?,
        encounter,
        body: EntryBody::Allergy(body),
    })
}

/// Writes an allergy's modelled elements.
pub(super) fn write(entry: &ClinicalEntry, a: &Allergy, out: &mut Object) {
    write_envelope(entry, "patient", out);
    out.insert(
        "clinicalStatus".into(),
        code_concept(CLINICAL, a.clinical_status.as_str()),
    );
    if let Some(v) = a.verification_status {
        out.insert(
            "verificationStatus".into(),
            code_concept(VERIFICATION, v.as_str()),
        );
    }
    if !a.categories.is_empty() {
        let list = a.categories.iter().map(|c| json!(c.as_str()));
        out.insert("category".into(), Value::Array(list.collect()));
    }
    if let Some(c) = a.criticality {
        out.insert("criticality".into(), json!(c.as_str()));
    }
    out.insert("code".into(), concept_json(&a.substance));
    out.insert("recordedDate".into(), instant_json(entry.effective_at));
    if !a.reactions.is_empty() {
        let list = a.reactions.iter().map(|reaction| {
            let mut one = Object::new();
            let manifestations = reaction.manifestations.iter().map(concept_json);
            one.insert(
                "manifestation".into(),
                Value::Array(manifestations.collect()),
            );
            if let Some(s) = reaction.severity {
                one.insert("severity".into(), json!(s.as_str()));
            }
            Value::Object(one)
        });
        out.insert("reaction".into(), Value::Array(list.collect()));
    }
}
