//! FHIR R4 DiagnosticReport ⇄ [`DiagnosticReport`]: a lab panel grouping
//! result observations already in the record.

use serde_json::{json, Value};

use super::{concept_json, instant_json, reference_json, write_envelope, Object, Reader};
use crate::ids::EntryId;
use crate::record::{ClinicalEntry, DiagnosticReport, EntryBody, NewEntry, ReportStatus};

/// The modelled element groups.
pub(super) const MODELLED: &[&str] = &[
    "status",
    "code",
    "subject",
    "encounter",
    "effectiveDateTime effectivePeriod",
    "issued",
    "result",
    "conclusion",
];

/// Reads a DiagnosticReport: status (preliminary, final, amended,
/// cancelled), code (LOINC preferred), the clinical time (effective[x],
/// else `issued`), `issued`, the conclusion and the results that resolve
/// to observations of the record (others are kept as written).
pub(super) fn read(r: &mut Reader<'_>) -> Option<NewEntry> {
    r.subject("subject");
    let status = r.code(
        "status",
        ReportStatus::parse,
        "preliminary, final, amended, cancelled",
    );
    let code = r.concept(r.get("code"), "code", "body.code", Some("http://loinc.org"));
    let effective_at = r.effective(&["effectiveDateTime", "effectivePeriod.start", "issued"]);
    let issued_at = r.get("issued").and_then(|v| r.date_time(Some(v), "issued"));
    r.from("body.issued_at", "issued");
    let conclusion = r.text(r.get("conclusion"), "conclusion").map(str::to_owned);
    r.from("body.conclusion", "conclusion");
    let encounter = r.encounter();
    let mut results = Vec::new();
    for (i, result) in r.list(r.get("result"), "result").iter().enumerate() {
        let at = format!("result[{i}]");
        if let Some(id) = r.reference(Some(result), &at, "Observation") {
            r.from(
                format!("body.results[{}]", results.len()),
                format!("{at}.reference"),
            );
            results.push(EntryId(id));
        }
    }
    let body = DiagnosticReport {
        code: code?,
        status: status?,
        results,
        issued_at,
        conclusion,
    };
    Some(NewEntry {
        effective_at: effective_at?,
        encounter,
        body: EntryBody::DiagnosticReport(body),
    })
}

/// Writes a report's modelled elements.
pub(super) fn write(entry: &ClinicalEntry, d: &DiagnosticReport, out: &mut Object) {
    write_envelope(entry, "subject", out);
    out.insert("status".into(), json!(d.status.as_str()));
    out.insert("code".into(), concept_json(&d.code));
    out.insert("effectiveDateTime".into(), instant_json(entry.effective_at));
    if let Some(issued) = d.issued_at {
        out.insert("issued".into(), instant_json(issued));
    }
    if !d.results.is_empty() {
        let list = d.results.iter().map(|id| reference_json("Observation", id));
        out.insert("result".into(), Value::Array(list.collect()));
    }
    if let Some(conclusion) = &d.conclusion {
        out.insert("conclusion".into(), json!(conclusion));
    }
}
