//! FHIR R4 Patient ⇄ carebase [`Patient`]. Pure functions over
//! `serde_json::Value`: no I/O, no store.
//!
//! An import reads the elements carebase models into [`PatientDetails`]
//! (identifiers with a system and a value, names with a family or given
//! name, phones and emails, postal addresses, gender, a full birth date,
//! deceased, the preferred language and contacts with a name and a
//! relationship) and keeps the whole resource in [`Patient::fhir_extra`]:
//!
//! ```json
//! { "source_id": "example", "resource": { "name": [ … ], "text": …, … } }
//! ```
//!
//! - `source_id`: the `id` the resource had where it came from (the export
//!   uses the carebase id); absent when it had none.
//! - `resource`: every element but `resourceType` and `id`, as written.
//!
//! [`patient_to_fhir`] starts from the kept resource and rebuilds only what
//! changed since: an element whose value carebase reads from the kept one
//! still equals the record is written back exactly as it came (original
//! phone text, a birth date with its `_birthDate` extension, a name's
//! period…); one that changed is written from the record, each list entry
//! that still matches an entry of the record kept as it came, and entries
//! carebase does not model (a fax number, a text-only name) kept after the
//! record's. So `patient_to_fhir(import(x))` is `x` with the carebase id.
//!
//! What an actor does not see is not exported: a hidden field's elements are
//! left out, and the kept resource (narrative, contacts, photos: patient
//! data of every kind) goes only to an actor who sees every field
//! ([`Patient::masked`] drops it otherwise).
//!
//! Field errors name FHIR paths (`name[1].family`, `telecom[2].value`) and
//! never carry the values read.

use std::collections::BTreeMap;

use chrono::SecondsFormat;
use serde_json::{json, Map, Value};

use super::{
    Address, ContactPoint, EmergencyContact, HumanName, Patient, PatientDetails, PatientField,
};
use crate::error::FieldError;
use crate::{Error, Result};

mod reader;

use reader::{language_index, Reader};

/// A JSON object: the elements of a FHIR resource or data type.
type Object = Map<String, Value>;

/// The code system `communication.language` is written in.
const LANGUAGE_SYSTEM: &str = "urn:ietf:bcp:47";

/// Patient elements in FHIR R4 order.
const PATIENT_ORDER: &str = "resourceType id meta implicitRules language text contained \
    extension modifierExtension identifier active name telecom gender birthDate \
    deceasedBoolean deceasedDateTime address maritalStatus multipleBirthBoolean \
    multipleBirthInteger photo contact communication generalPractitioner \
    managingOrganization link";

/// A Patient read for import: the record's details, whether it is active,
/// and what to keep in [`Patient::fhir_extra`].
#[derive(Clone, PartialEq)]
pub struct ImportedPatient {
    /// The resource's own `id`, if it had one (also kept in `fhir_extra`).
    pub source_id: Option<String>,
    /// What carebase models, to register through the usual rules.
    pub details: PatientDetails,
    /// `active` (true when absent, as FHIR reads it).
    pub active: bool,
    /// The resource as written (see the module documentation).
    pub fhir_extra: Value,
    /// For each list of `details`, the FHIR index of each of its entries,
    /// so registration errors name FHIR paths.
    positions: BTreeMap<String, Vec<usize>>,
    /// The FHIR index of the `communication` the language was read from.
    language_at: Option<usize>,
}

impl std::fmt::Debug for ImportedPatient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportedPatient")
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

impl ImportedPatient {
    /// `error` with each field of `details` renamed to its FHIR path
    /// (`names[0].family` → `name[1].family`); other errors unchanged.
    pub fn fhir_error(&self, error: Error) -> Error {
        match error {
            Error::Validation { fields } => Error::Validation {
                fields: fields
                    .into_iter()
                    .map(|mut f| {
                        f.field = self.fhir_path(&f.field);
                        f
                    })
                    .collect(),
            },
            other => other,
        }
    }

    /// The FHIR path of a field of [`PatientDetails`].
    fn fhir_path(&self, field: &str) -> String {
        let mut out = Vec::new();
        let mut carebase = String::new();
        for segment in field.split('.') {
            let (key, index) = match segment.split_once('[') {
                Some((key, rest)) => (key, rest.trim_end_matches(']').parse::<usize>().ok()),
                None => (segment, None),
            };
            let list = if carebase.is_empty() {
                key.to_owned()
            } else {
                format!("{carebase}.{key}")
            };
            let renamed = match (carebase.is_empty(), key) {
                (true, "identifiers") => "identifier",
                (true, "names") => "name",
                (true, "addresses") => "address",
                (true, "emergency_contacts") => "contact",
                (true, "birth_date") => "birthDate",
                (true, "deceased_at") => "deceasedDateTime",
                (true, "language") => {
                    let at = self.language_at.unwrap_or(0);
                    out.push(format!("communication[{at}].language.coding[0].code"));
                    carebase = list;
                    continue;
                }
                (_, "usage") => "use",
                (_, "lines") => "line",
                (_, "postal_code") => "postalCode",
                (false, "relationship") => "relationship[0]",
                (_, other) => other,
            };
            match index {
                Some(i) => {
                    let at = self
                        .positions
                        .get(&list)
                        .and_then(|p| p.get(i))
                        .copied()
                        .unwrap_or(i);
                    out.push(format!("{renamed}[{at}]"));
                    carebase = format!("{list}[{i}]");
                }
                None => {
                    out.push(renamed.to_owned());
                    carebase = list;
                }
            }
        }
        out.join(".")
    }
}

/// Reads a FHIR R4 Patient for import. The resource is a document within
/// [`crate::document`]'s bounds; `resourceType` must be `Patient`; modelled
/// elements of the wrong JSON type are `invalid_type`, unknown codes
/// `invalid_value`, an unreadable `deceasedDateTime` `invalid_format`, each
/// at its FHIR path. The details still go through registration's rules
/// (see [`ImportedPatient::fhir_error`]).
pub fn patient_from_fhir(resource: &Value) -> Result<ImportedPatient> {
    crate::document::check_value(resource, "resource")?;
    let mut errors = Vec::new();
    let Some(obj) = resource.as_object() else {
        return Err(Error::invalid(
            "resource",
            "invalid_type",
            "must be a json object",
        ));
    };
    if obj.get("resourceType").and_then(Value::as_str) != Some("Patient") {
        fail(
            &mut errors,
            "resourceType",
            "wrong_resource_type",
            "must be Patient",
        );
    }
    let source_id = match obj.get("id") {
        None => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(_) => {
            fail(&mut errors, "id", "invalid_type", "must be a string");
            None
        }
    };
    let read = Reader { strict: true };
    let mut positions = BTreeMap::new();
    let e = &mut errors;
    let (identifiers, at) = read.list(obj, "identifier", e, |r, v, p, e| r.identifier(v, p, e));
    positions.insert("identifiers".to_owned(), at);
    let (names, at) = read.list(obj, "name", e, |r, v, p, e| r.name(v, p, e));
    positions.insert("names".to_owned(), at);
    let (telecom, at) = read.list(obj, "telecom", e, |r, v, p, e| r.contact_point(v, p, e));
    positions.insert("telecom".to_owned(), at);
    let (addresses, at) = read.list(obj, "address", e, |r, v, p, e| r.address(v, p, e));
    positions.insert("addresses".to_owned(), at);
    let (contacts, at) = read.list(obj, "contact", e, |r, v, p, e| r.contact(v, p, e));
    for (i, (_, telecom_at)) in contacts.iter().enumerate() {
        positions.insert(
            format!("emergency_contacts[{i}].telecom"),
            telecom_at.clone(),
        );
    }
    positions.insert("emergency_contacts".to_owned(), at);
    let (deceased, deceased_at) = read.deceased(obj, e);
    let details = PatientDetails {
        identifiers,
        names,
        gender: read.gender(obj, e),
        birth_date: read.birth_date(obj, e),
        telecom,
        addresses,
        language: read.language(obj, e),
        emergency_contacts: contacts.into_iter().map(|(c, _)| c).collect(),
        deceased,
        deceased_at,
    };
    let active = read.active(obj, e);
    if !errors.is_empty() {
        return Err(Error::validation(errors));
    }
    let mut extra = Object::new();
    if let Some(id) = &source_id {
        extra.insert("source_id".into(), json!(id));
    }
    let kept: Object = obj
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "resourceType" | "id"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    extra.insert("resource".into(), Value::Object(kept));
    Ok(ImportedPatient {
        source_id,
        details,
        active,
        fhir_extra: Value::Object(extra),
        positions,
        language_at: language_index(obj),
    })
}

/// The `id` an imported patient had where it came from.
pub fn patient_source_id(patient: &Patient) -> Option<&str> {
    patient.fhir_extra.as_ref()?.get("source_id")?.as_str()
}

/// The FHIR R4 Patient for `patient` as the caller may see it: `id` is the
/// carebase id, the modelled elements come from the record (fields in
/// `hidden_fields` are left out) and what an import kept is written back
/// where it still matches (see the module documentation).
pub fn patient_to_fhir(patient: &Patient) -> Value {
    let kept = patient
        .fhir_extra
        .as_ref()
        .and_then(|e| e.get("resource"))
        .and_then(Value::as_object);
    let mut out = kept.cloned().unwrap_or_default();
    let empty = Object::new();
    let kept = kept.unwrap_or(&empty);
    let d = &patient.details;
    let shows = |field| !patient.hidden_fields.contains(&field);
    let read = Reader { strict: false };
    let none = &mut Vec::new();

    out.insert("resourceType".into(), json!("Patient"));
    out.insert("id".into(), json!(patient.id.to_string()));
    if read.active(kept, none) != patient.active {
        out.insert("active".into(), json!(patient.active));
        out.remove("_active");
    }
    let lists: [(&str, PatientField, Value); 5] = [
        (
            "identifier",
            PatientField::Identifiers,
            merge_list(
                kept,
                "identifier",
                &d.identifiers,
                Reader::identifier,
                |i| json!({"system": i.system, "value": i.value}),
            ),
        ),
        (
            "name",
            PatientField::Names,
            merge_list(kept, "name", &d.names, Reader::name, name_to_fhir),
        ),
        (
            "telecom",
            PatientField::Telecom,
            merge_list(
                kept,
                "telecom",
                &d.telecom,
                Reader::contact_point,
                contact_point_to_fhir,
            ),
        ),
        (
            "address",
            PatientField::Addresses,
            merge_list(
                kept,
                "address",
                &d.addresses,
                Reader::address,
                address_to_fhir,
            ),
        ),
        (
            "contact",
            PatientField::EmergencyContacts,
            merge_list(
                kept,
                "contact",
                &d.emergency_contacts,
                |r, v, p, e| r.contact(v, p, e).map(|(c, _)| c),
                contact_to_fhir,
            ),
        ),
    ];
    for (key, field, value) in lists {
        match value {
            Value::Array(list) if list.is_empty() || !shows(field) => {
                out.remove(key);
            }
            value => {
                out.insert(key.into(), value);
            }
        }
    }
    let gender = d.gender.map(|g| json!(g.as_str()));
    let birth = d
        .birth_date
        .map(|b| json!(b.format("%Y-%m-%d").to_string()));
    let scalar = [
        (
            "gender",
            PatientField::Gender,
            read.gender(kept, none) != d.gender,
            gender,
        ),
        (
            "birthDate",
            PatientField::BirthDate,
            read.birth_date(kept, none) != d.birth_date,
            birth,
        ),
    ];
    for (key, field, changed, value) in scalar {
        if changed || !shows(field) {
            out.remove(&format!("_{key}"));
            match value.filter(|_| shows(field)) {
                Some(value) => out.insert(key.into(), value),
                None => out.remove(key),
            };
        }
    }
    let deceased = (d.deceased, d.deceased_at);
    if read.deceased(kept, none) != deceased || !shows(PatientField::Deceased) {
        for key in [
            "deceasedBoolean",
            "_deceasedBoolean",
            "deceasedDateTime",
            "_deceasedDateTime",
        ] {
            out.remove(key);
        }
        match deceased {
            _ if !shows(PatientField::Deceased) => {}
            (_, Some(at)) => {
                let text = at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
                out.insert("deceasedDateTime".into(), json!(text));
            }
            (true, None) => {
                out.insert("deceasedBoolean".into(), json!(true));
            }
            (false, None) => {}
        }
    }
    if read.language(kept, none) != d.language || !shows(PatientField::Language) {
        out.remove("communication");
        if let Some(tag) = d
            .language
            .as_ref()
            .filter(|_| shows(PatientField::Language))
        {
            let entry = json!({
                "language": {"coding": [{"system": LANGUAGE_SYSTEM, "code": tag}]},
                "preferred": true
            });
            out.insert("communication".into(), json!([entry]));
        }
    }
    Value::Object(ordered(out, PATIENT_ORDER))
}

/// The list `key` for `model`: the kept list when it still reads as
/// `model`; else each entry of `model` as a kept entry that reads as it
/// (first unused one) or written fresh, then the kept entries carebase
/// does not model.
fn merge_list<T: PartialEq>(
    kept: &Object,
    key: &str,
    model: &[T],
    read: impl Fn(&Reader, &Value, &str, &mut Vec<FieldError>) -> Option<T>,
    write: impl Fn(&T) -> Value,
) -> Value {
    let reader = Reader { strict: false };
    let none = &mut Vec::new();
    let entries = match kept.get(key) {
        Some(Value::Array(entries)) => entries.as_slice(),
        _ => &[],
    };
    let derived: Vec<Option<T>> = entries.iter().map(|v| read(&reader, v, "", none)).collect();
    let same = derived.iter().flatten().eq(model.iter());
    if same {
        return Value::Array(entries.to_vec());
    }
    let mut used = vec![false; entries.len()];
    let mut out = Vec::with_capacity(model.len() + entries.len());
    for item in model {
        let found = (0..entries.len()).find(|&i| !used[i] && derived[i].as_ref() == Some(item));
        match found {
            Some(i) => {
                used[i] = true;
                out.push(entries[i].clone());
            }
            None => out.push(write(item)),
        }
    }
    out.extend(
        entries
            .iter()
            .zip(&derived)
            .filter(|(_, d)| d.is_none())
            .map(|(v, _)| v.clone()),
    );
    Value::Array(out)
}

fn name_to_fhir(n: &HumanName) -> Value {
    let mut out = Object::new();
    put(&mut out, "use", n.usage.map(|u| json!(u.as_str())));
    put(&mut out, "family", n.family.as_ref().map(|f| json!(f)));
    for (key, list) in [
        ("given", &n.given),
        ("prefix", &n.prefix),
        ("suffix", &n.suffix),
    ] {
        if !list.is_empty() {
            out.insert(key.into(), json!(list));
        }
    }
    Value::Object(out)
}

fn contact_point_to_fhir(c: &ContactPoint) -> Value {
    let mut out = Object::new();
    out.insert("system".into(), json!(c.system.as_str()));
    out.insert("value".into(), json!(c.value));
    put(&mut out, "use", c.usage.map(|u| json!(u.as_str())));
    Value::Object(out)
}

fn address_to_fhir(a: &Address) -> Value {
    let mut out = Object::new();
    put(&mut out, "use", a.usage.map(|u| json!(u.as_str())));
    if !a.lines.is_empty() {
        out.insert("line".into(), json!(a.lines));
    }
    for (key, value) in [
        ("city", &a.city),
        ("district", &a.district),
        ("state", &a.state),
        ("postalCode", &a.postal_code),
        ("country", &a.country),
    ] {
        put(&mut out, key, value.as_ref().map(|v| json!(v)));
    }
    Value::Object(out)
}

fn contact_to_fhir(c: &EmergencyContact) -> Value {
    let mut out = Object::new();
    out.insert("relationship".into(), json!([{ "text": c.relationship }]));
    out.insert("name".into(), name_to_fhir(&c.name));
    if !c.telecom.is_empty() {
        let list: Vec<Value> = c.telecom.iter().map(contact_point_to_fhir).collect();
        out.insert("telecom".into(), Value::Array(list));
    }
    Value::Object(out)
}

fn put(out: &mut Object, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        out.insert(key.to_owned(), value);
    }
}

fn fail(errors: &mut Vec<FieldError>, field: &str, code: &str, message: &str) {
    errors.push(FieldError::new(field, code, message));
}

/// The elements in FHIR's order (each followed by its `_element` primitive
/// extension), then any others.
fn ordered(mut obj: Object, order: &str) -> Object {
    let mut out = Object::new();
    for key in order.split_whitespace() {
        if let Some(v) = obj.remove(key) {
            out.insert(key.to_owned(), v);
        }
        let shadow = format!("_{key}");
        if let Some(v) = obj.remove(&shadow) {
            out.insert(shadow, v);
        }
    }
    out.extend(obj);
    out
}
