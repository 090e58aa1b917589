//! FHIR R4 Procedure ⇄ [`Procedure`].

use serde_json::{json, Value};

use super::{concept_json, instant_json, reference_json, write_envelope, Object, Reader};
use crate::ids::PractitionerId;
use crate::record::{ClinicalEntry, EntryBody, NewEntry, Procedure, ProcedureStatus};

/// The modelled element groups.
pub(super) const MODELLED: &[&str] = &[
    "status",
    "code",
    "subject",
    "encounter",
    "performedDateTime performedPeriod performedString performedAge performedRange",
    "performer",
];

/// Reads a Procedure: status (preparation, in-progress, not-done, stopped,
/// completed), code, when it was performed (`performedDateTime` or
/// `performedPeriod`, required) and the performers that resolve to
/// practitioners (others are kept as written).
pub(super) fn read(r: &mut Reader<'_>) -> Option<NewEntry> {
    r.subject("subject");
    let status = r.code(
        "status",
        ProcedureStatus::parse,
        "preparation, in-progress, not-done, stopped, completed",
    );
    let code = r.concept(r.get("code"), "code", "body.code", None);
    let effective_at = r.effective(&["performedDateTime", "performedPeriod.start"]);
    let ended_at = r
        .lookup("performedPeriod.end")
        .and_then(|v| r.date_time(Some(v), "performedPeriod.end"));
    r.from("body.ended_at", "performedPeriod.end");
    let encounter = r.encounter();
    let mut performers = Vec::new();
    for (i, p) in r.list(r.get("performer"), "performer").iter().enumerate() {
        if let Some(id) = r.reference(
            p.get("actor"),
            &format!("performer[{i}].actor"),
            "Practitioner",
        ) {
            performers.push(PractitionerId(id));
        }
    }
    r.from("body.performers", "performer");
    let body = Procedure {
        code: code?,
        status: status?,
        ended_at,
        performers,
    };
    Some(NewEntry {
        effective_at: effective_at?,
        encounter,
        body: EntryBody::Procedure(body),
    })
}

/// Writes a procedure's modelled elements.
pub(super) fn write(entry: &ClinicalEntry, p: &Procedure, out: &mut Object) {
    write_envelope(entry, "subject", out);
    out.insert("status".into(), json!(p.status.as_str()));
    out.insert("code".into(), concept_json(&p.code));
    match p.ended_at {
        Some(end) => {
            let period =
                json!({ "start": instant_json(entry.effective_at), "end": instant_json(end) });
            out.insert("performedPeriod".into(), period);
        }
        None => {
            out.insert("performedDateTime".into(), instant_json(entry.effective_at));
        }
    }
    if !p.performers.is_empty() {
        let list = p
            .performers
            .iter()
            .map(|id| json!({ "actor": reference_json("Practitioner", id) }));
        out.insert("performer".into(), Value::Array(list.collect()));
    }
}
