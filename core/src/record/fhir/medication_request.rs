//! FHIR R4 MedicationRequest ⇄ [`Prescription`].

use serde_json::{json, Value};

use super::{
    concept_json, instant_json, quantity_json, reference_json, write_envelope, Object, Reader,
    UCUM_SYSTEM,
};
use crate::minutes::Minutes;
use crate::record::{
    ClinicalEntry, Coding, EntryBody, Frequency, NewEntry, Prescription, PrescriptionStatus,
};
use crate::Count32;

/// The modelled element groups.
pub(super) const MODELLED: &[&str] = &[
    "status",
    "intent",
    "medicationCodeableConcept medicationReference",
    "subject",
    "encounter",
    "authoredOn",
    "requester",
    "dosageInstruction",
    "dispenseRequest",
];

/// RxNorm's system URI (preferred for the medication).
const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";

/// Minutes in one unit of a FHIR `Timing.repeat.periodUnit` carebase reads.
fn unit_minutes(unit: &str) -> Option<i64> {
    Some(match unit {
        "min" => 1,
        "h" => 60,
        "d" => 1440,
        "wk" => 10_080,
        _ => return None,
    })
}

/// The medication: `medicationCodeableConcept`, or a `medicationReference`
/// to a contained Medication (`#id`) and its `code`.
fn medication(r: &mut Reader<'_>) -> Option<Coding> {
    if let Some(concept) = r.get("medicationCodeableConcept") {
        return r.concept(
            Some(concept),
            "medicationCodeableConcept",
            "body.medication",
            Some(RXNORM),
        );
    }
    let at = "medicationReference.reference";
    let Some(reference) = r.text(
        r.get("medicationReference")
            .and_then(|m| m.get("reference")),
        at,
    ) else {
        r.required("medicationCodeableConcept", "the medication, coded");
        return None;
    };
    let contained = r.list(r.get("contained"), "contained");
    let found = reference.strip_prefix('#').and_then(|id| {
        contained.iter().position(|c| {
            c.get("resourceType").and_then(Value::as_str) == Some("Medication")
                && c.get("id").and_then(Value::as_str) == Some(id)
        })
    });
    match found {
        Some(i) => r.concept(
            contained[i].get("code"),
            &format!("contained[{i}].code"),
            "body.medication",
            Some(RXNORM),
        ),
        None => {
            r.fail(
                at,
                "unsupported_value",
                "a contained Medication (#id) with a code",
            );
            None
        }
    }
}

/// Reads a MedicationRequest: status (active, on-hold, completed, stopped,
/// cancelled), the medication, the prescriber (`requester`, a
/// Practitioner, required), `authoredOn` (the clinical time), the first
/// dosage instruction's text, route, dose (in UCUM) and frequency, and the
/// refills allowed.
pub(super) fn read(r: &mut Reader<'_>) -> Option<NewEntry> {
    r.subject("subject");
    let status = r.code(
        "status",
        PrescriptionStatus::parse,
        "active, on-hold, completed, stopped, cancelled",
    );
    let medication = medication(r);
    let prescriber = r.practitioner(r.get("requester"), "requester", "body.prescriber");
    let effective_at = r.effective(&["authoredOn"]);
    let encounter = r.encounter();
    let dosage = r.get("dosageInstruction").and_then(|d| d.get(0));
    let at = "dosageInstruction[0]";
    let instructions = dosage
        .and_then(|d| r.text(d.get("text"), &format!("{at}.text")))
        .map(str::to_owned);
    r.from("body.instructions", format!("{at}.text"));
    let route = match dosage.and_then(|d| d.get("route")) {
        Some(route) => r.concept(Some(route), &format!("{at}.route"), "body.route", None),
        None => None,
    };
    let dose_at = format!("{at}.doseAndRate[0].doseQuantity");
    let dose = match dosage.and_then(|d| d.pointer("/doseAndRate/0/doseQuantity")) {
        Some(q) if q.get("system").and_then(Value::as_str) == Some(UCUM_SYSTEM) => {
            r.quantity(q, &dose_at, "body.dose")
        }
        _ => None,
    };
    let repeat = dosage.and_then(|d| d.pointer("/timing/repeat"));
    let frequency = repeat.and_then(|rep| {
        let times = u32::try_from(rep.get("frequency")?.as_u64()?).ok()?;
        let period = rep
            .get("period")?
            .as_u64()
            .and_then(|p| i64::try_from(p).ok())?;
        let unit = unit_minutes(rep.get("periodUnit")?.as_str()?)?;
        Some(Frequency {
            times: Count32::new(times),
            period: Minutes::new(period.checked_mul(unit)?)?,
        })
    });
    r.from("body.frequency", format!("{at}.timing.repeat"));
    let refills = r
        .lookup("dispenseRequest.numberOfRepeatsAllowed")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .map_or(Count32::ZERO, Count32::new);
    r.from("body.refills", "dispenseRequest.numberOfRepeatsAllowed");
    let body = Prescription {
        medication: medication?,
        instructions,
        dose,
        route,
        frequency,
        duration: None,
        refills,
        prescriber: prescriber?,
        status: status?,
        replaces: None,
        allergy_overrides: Vec::new(),
    };
    Some(NewEntry {
        effective_at: effective_at?,
        encounter,
        body: EntryBody::Prescription(body),
    })
}

/// A frequency as a FHIR `Timing.repeat` in the largest whole unit.
fn repeat_json(f: &Frequency) -> Value {
    let minutes = f.period.get();
    let (period, unit) = [(10_080, "wk"), (1440, "d"), (60, "h")]
        .into_iter()
        .find(|(size, _)| minutes % size == 0)
        .map_or((minutes, "min"), |(size, unit)| (minutes / size, unit));
    json!({ "frequency": f.times, "period": period, "periodUnit": unit })
}

/// Writes a prescription's modelled elements.
pub(super) fn write(entry: &ClinicalEntry, p: &Prescription, out: &mut Object) {
    write_envelope(entry, "subject", out);
    out.insert("status".into(), json!(p.status.as_str()));
    out.insert("intent".into(), json!("order"));
    out.insert(
        "medicationCodeableConcept".into(),
        concept_json(&p.medication),
    );
    out.insert("authoredOn".into(), instant_json(entry.effective_at));
    out.insert(
        "requester".into(),
        reference_json("Practitioner", p.prescriber),
    );
    let mut dosage = Object::new();
    if let Some(text) = &p.instructions {
        dosage.insert("text".into(), json!(text));
    }
    if let Some(f) = &p.frequency {
        dosage.insert("timing".into(), json!({ "repeat": repeat_json(f) }));
    }
    if let Some(route) = &p.route {
        dosage.insert("route".into(), concept_json(route));
    }
    if let Some(dose) = &p.dose {
        dosage.insert(
            "doseAndRate".into(),
            json!([{ "doseQuantity": quantity_json(dose) }]),
        );
    }
    if !dosage.is_empty() {
        out.insert("dosageInstruction".into(), json!([dosage]));
    }
    if p.refills > 0 {
        out.insert(
            "dispenseRequest".into(),
            json!({ "numberOfRepeatsAllowed": p.refills }),
        );
    }
}
