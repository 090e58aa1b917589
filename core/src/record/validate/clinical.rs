//! Conditions, allergies, prescriptions, procedures, immunizations, notes
//! and documents: every failing field is collected, each on its path under
//! `body.`. Codes are checked per system (`check_code`); text is bounded
//! (`crate::limits`) and free of control characters (line breaks allowed
//! only where a text may span lines); times are in order.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::check_coding;
use crate::limits::{
    MAX_ATTACHMENT_BYTES, MAX_CLINICAL_NOTE_CHARS, MAX_CONTENT_TYPE_CHARS, MAX_INSTRUCTIONS_CHARS,
    MAX_RECORD_ITEMS, MAX_RECORD_TEXT_CHARS, MAX_REFILLS,
};
use crate::record::{
    Allergy, ClinicalNote, Coding, Condition, DocumentEntry, EntryBody, Immunization, Prescription,
    Procedure,
};
use crate::store::is_sha256_hex;
use crate::terminology::ucum::Unit;
use crate::validation::{free_text, line, Errors};

/// A coding: its code per system and its system ([`check_coding`]), its
/// display a bounded line.
fn coding(errors: &mut Errors, field: &str, coding: &Coding) {
    check_coding(errors, field, coding);
    if let Some(display) = &coding.display {
        line(
            errors,
            &format!("{field}.display"),
            display,
            MAX_RECORD_TEXT_CHARS,
        );
    }
}

/// An optional one-line text.
fn optional_line(errors: &mut Errors, field: &str, value: &Option<String>) {
    if let Some(value) = value {
        line(errors, field, value, MAX_RECORD_TEXT_CHARS);
    }
}

/// `later` must not be before `earlier`; the error sits on `field`.
fn in_order(
    errors: &mut Errors,
    field: &str,
    earlier: Option<DateTime<Utc>>,
    later: Option<DateTime<Utc>>,
) {
    if let (Some(earlier), Some(later)) = (earlier, later) {
        if later < earlier {
            errors.add(field, "before_start", "must not be before the start");
        }
    }
}

pub(super) fn condition(errors: &mut Errors, condition: &Condition) {
    coding(errors, "body.code", &condition.code);
    in_order(
        errors,
        "body.abated_at",
        condition.onset_at,
        condition.abated_at,
    );
}

pub(super) fn allergy(errors: &mut Errors, allergy: &Allergy) {
    coding(errors, "body.substance", &allergy.substance);
    errors.count("body.categories", allergy.categories.len(), 4, "categories");
    if errors.count(
        "body.reactions",
        allergy.reactions.len(),
        MAX_RECORD_ITEMS,
        "reactions",
    ) {
        for (i, reaction) in allergy.reactions.iter().enumerate() {
            let field = format!("body.reactions[{i}].manifestations");
            if errors.count(
                &field,
                reaction.manifestations.len(),
                MAX_RECORD_ITEMS,
                "codes",
            ) {
                for (j, manifestation) in reaction.manifestations.iter().enumerate() {
                    coding(errors, &format!("{field}[{j}]"), manifestation);
                }
            }
        }
    }
}

pub(super) fn prescription(errors: &mut Errors, prescription: &Prescription) {
    coding(errors, "body.medication", &prescription.medication);
    if let Some(instructions) = &prescription.instructions {
        free_text(
            errors,
            "body.instructions",
            instructions,
            MAX_INSTRUCTIONS_CHARS,
            false,
        );
    }
    if let Some(dose) = &prescription.dose {
        if let Err(problem) = Unit::parse("body.dose.unit", &dose.unit) {
            errors.push(problem);
        }
        if dose.value <= Decimal::ZERO {
            errors.add("body.dose.value", "out_of_range", "must be more than 0");
        }
    }
    if let Some(route) = &prescription.route {
        coding(errors, "body.route", route);
    }
    if let Some(frequency) = &prescription.frequency {
        if frequency.times == 0 {
            errors.add("body.frequency.times", "out_of_range", "must be at least 1");
        }
        if frequency.period.get() <= 0 {
            errors.add(
                "body.frequency.period",
                "out_of_range",
                "must be more than 0",
            );
        }
    }
    if let Some(duration) = prescription.duration {
        if duration.get() <= 0 {
            errors.add("body.duration", "out_of_range", "must be more than 0");
        }
    }
    if prescription.refills > MAX_REFILLS {
        errors.add(
            "body.refills",
            "out_of_range",
            format!("at most {MAX_REFILLS}"),
        );
    }
    let overrides = &prescription.allergy_overrides;
    if errors.count(
        "body.allergy_overrides",
        overrides.len(),
        MAX_RECORD_ITEMS,
        "overrides",
    ) {
        for (i, allergy_override) in overrides.iter().enumerate() {
            line(
                errors,
                &format!("body.allergy_overrides[{i}].reason"),
                &allergy_override.reason,
                MAX_RECORD_TEXT_CHARS,
            );
        }
    }
}

pub(super) fn procedure(errors: &mut Errors, procedure: &Procedure) {
    coding(errors, "body.code", &procedure.code);
    errors.count(
        "body.performers",
        procedure.performers.len(),
        MAX_RECORD_ITEMS,
        "performers",
    );
}

/// A procedure starts at its entry's `effective_at` (the body alone has no
/// start): its end may not come before it.
pub(crate) fn procedure_period(errors: &mut Errors, started_at: DateTime<Utc>, body: &EntryBody) {
    if let EntryBody::Procedure(procedure) = body {
        in_order(
            errors,
            "body.ended_at",
            Some(started_at),
            procedure.ended_at,
        );
    }
}

pub(super) fn immunization(errors: &mut Errors, immunization: &Immunization) {
    coding(errors, "body.vaccine", &immunization.vaccine);
    optional_line(errors, "body.lot", &immunization.lot);
}

pub(super) fn note(errors: &mut Errors, note: &ClinicalNote) {
    optional_line(errors, "body.title", &note.title);
    free_text(
        errors,
        "body.text",
        &note.text,
        MAX_CLINICAL_NOTE_CHARS,
        true,
    );
}

pub(super) fn document(errors: &mut Errors, document: &DocumentEntry) {
    if line(
        errors,
        "body.content_type",
        &document.content_type,
        MAX_CONTENT_TYPE_CHARS,
    ) && !is_media_type(&document.content_type)
    {
        errors.add(
            "body.content_type",
            "invalid_format",
            "must be a media type: type/subtype",
        );
    }
    if document.size > MAX_ATTACHMENT_BYTES as u64 {
        errors.add(
            "body.size",
            "too_large",
            format!("at most {MAX_ATTACHMENT_BYTES} bytes"),
        );
    }
    if !is_sha256_hex(&document.sha256) {
        errors.add(
            "body.sha256",
            "invalid_format",
            "must be 64 lowercase hexadecimal digits",
        );
    }
    optional_line(errors, "body.title", &document.title);
}

/// `type/subtype` with RFC 6838's restricted name characters in each part,
/// optionally followed by `;` parameters (kept as given, bounded by the
/// line).
fn is_media_type(text: &str) -> bool {
    let essence = text.split(';').next().unwrap_or_default().trim();
    let restricted = |part: &str| {
        !part.is_empty()
            && part.len() <= 127
            && part
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric())
            && part.bytes().all(|b| {
                b.is_ascii_alphanumeric()
                    || matches!(
                        b,
                        b'!' | b'#' | b'$' | b'&' | b'-' | b'^' | b'_' | b'.' | b'+'
                    )
            })
    };
    match essence.split_once('/') {
        Some((kind, subtype)) => restricted(kind) && restricted(subtype),
        None => false,
    }
}
