//! Reading one FHIR resource: every problem collected with its FHIR path
//! (never a value), and where each body field came from.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::UCUM_SYSTEM;
use crate::decimal::Decimal;
use crate::error::FieldError;
use crate::fhir::{parse_instant, reference_parts, FhirRefs, Object};
use crate::ids::{EntryId, PatientId, PractitionerId};
use crate::record::Coding;
use crate::terminology::interpretation::Quantity;

/// Reads one resource's elements, collecting every problem with its FHIR
/// path and where each body field came from.
pub(crate) struct Reader<'a> {
    pub(super) obj: &'a Object,
    patient: PatientId,
    refs: &'a FhirRefs,
    pub(super) errors: Vec<FieldError>,
    pub(super) paths: Vec<(String, String)>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(obj: &'a Object, patient: PatientId, refs: &'a FhirRefs) -> Self {
        Self {
            obj,
            patient,
            refs,
            errors: Vec::new(),
            paths: Vec::new(),
        }
    }

    /// The top-level element `key`.
    pub(super) fn get(&self, key: &str) -> Option<&'a Value> {
        self.obj.get(key)
    }

    /// Records that `field` broke `code`.
    pub(super) fn fail(
        &mut self,
        field: impl Into<String>,
        code: &str,
        message: impl Into<String>,
    ) {
        self.errors.push(FieldError::new(field, code, message));
    }

    /// Records that body field `body` was read from FHIR path `fhir`.
    pub(super) fn from(&mut self, body: impl Into<String>, fhir: impl Into<String>) {
        self.paths.push((body.into(), fhir.into()));
    }

    /// A required element is missing.
    pub(super) fn required(&mut self, field: &str, message: &str) {
        self.fail(field, "required", message);
    }

    /// A string at `at`, or an error when it is something else.
    pub(super) fn text<'v>(&mut self, value: Option<&'v Value>, at: &str) -> Option<&'v str> {
        match value? {
            Value::String(s) => Some(s),
            _ => {
                self.fail(at, "invalid_type", "must be a string");
                None
            }
        }
    }

    /// A code element read with `parse`; `None` (with `unsupported_value`)
    /// when it is not one carebase takes.
    pub(super) fn code<T>(
        &mut self,
        key: &str,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
    ) -> Option<T> {
        let text = self.text(self.get(key), key)?;
        let parsed = parse(text);
        if parsed.is_none() {
            self.fail(
                key,
                "unsupported_value",
                format!("must be one of {expected}"),
            );
        }
        parsed
    }

    /// An array at `at` (empty when absent).
    pub(super) fn list<'v>(&mut self, value: Option<&'v Value>, at: &str) -> &'v [Value] {
        match value {
            None => &[],
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.fail(at, "invalid_type", "must be an array");
                &[]
            }
        }
    }

    /// A Coding at `at` with a system and a code.
    pub(super) fn coding(&mut self, value: &Value, at: &str) -> Option<Coding> {
        let system = self.text(value.get("system"), &format!("{at}.system"));
        let code = self.text(value.get("code"), &format!("{at}.code"));
        let display = self.text(value.get("display"), &format!("{at}.display"));
        Some(Coding {
            system: system?.to_owned(),
            code: code?.to_owned(),
            display: display.map(str::to_owned),
        })
    }

    /// The coding a CodeableConcept at `at` is recorded by: the first with
    /// a system and a code (of `prefer`'s system when it has one), read
    /// into body field `body`. `None` with `required` when it has none.
    pub(super) fn concept(
        &mut self,
        value: Option<&Value>,
        at: &str,
        body: &str,
        prefer: Option<&str>,
    ) -> Option<Coding> {
        let Some(value) = value else {
            self.required(at, "a coded concept");
            return None;
        };
        let codings = self.list(value.get("coding"), &format!("{at}.coding"));
        let usable = |c: &&Value| {
            c.get("system").is_some_and(Value::is_string)
                && c.get("code").is_some_and(Value::is_string)
        };
        let preferred = prefer.and_then(|system| {
            codings
                .iter()
                .position(|c| usable(&c) && c.get("system").and_then(Value::as_str) == Some(system))
        });
        let Some(index) = preferred.or_else(|| codings.iter().position(|c| usable(&c))) else {
            self.fail(
                format!("{at}.coding"),
                "required",
                "a coding with a system and a code",
            );
            return None;
        };
        let path = format!("{at}.coding[{index}]");
        self.from(body, path.clone());
        self.coding(&codings[index], &path)
    }

    /// The code of a CodeableConcept's first coding, read with `parse`.
    pub(super) fn concept_code<T>(
        &mut self,
        key: &str,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
    ) -> Option<T> {
        let value = self.get(key)?;
        let at = format!("{key}.coding[0].code");
        let Some(code) = self.text(value.pointer("/coding/0/code"), &at) else {
            self.fail(at, "required", format!("one of {expected}"));
            return None;
        };
        let parsed = parse(code);
        if parsed.is_none() {
            self.fail(
                at,
                "unsupported_value",
                format!("must be one of {expected}"),
            );
        }
        parsed
    }

    /// A FHIR dateTime or instant at `at`: a full date-time with a zone, or
    /// a date (`2013`, `2013-04`, `2013-04-02`) read as its first instant
    /// in UTC (the original text is kept by the import).
    pub(super) fn date_time(&mut self, value: Option<&Value>, at: &str) -> Option<DateTime<Utc>> {
        let text = self.text(value, at)?;
        let Some(instant) = date_time(text) else {
            self.fail(at, "invalid_format", "must be a fhir date or date-time");
            return None;
        };
        if !crate::instant::is_representable(instant) {
            self.errors.push(crate::instant::out_of_range(at));
            return None;
        }
        Some(instant)
    }

    /// The clinical time: the first of `keys` present (paths such as
    /// `effectivePeriod.start`), required.
    pub(super) fn effective(&mut self, keys: &[&str]) -> Option<DateTime<Utc>> {
        for key in keys {
            if let Some(value) = self.lookup(key) {
                self.from("effective_at", *key);
                return self.date_time(Some(value), key);
            }
        }
        self.required(keys[0], "carebase needs the clinical time");
        None
    }

    /// The element at a dotted path of object keys (`effectivePeriod.start`).
    pub(super) fn lookup(&self, path: &str) -> Option<&'a Value> {
        let mut parts = path.split('.');
        let mut value = self.obj.get(parts.next()?)?;
        for part in parts {
            value = value.get(part)?;
        }
        Some(value)
    }

    /// A JSON number as an exact decimal.
    pub(super) fn decimal(&mut self, value: Option<&Value>, at: &str) -> Option<Decimal> {
        let parsed = match value? {
            Value::Number(n) => crate::decimal::parse(&n.to_string()),
            _ => None,
        };
        if parsed.is_none() {
            self.fail(at, "invalid_type", "must be a decimal number");
        }
        parsed
    }

    /// A Quantity at `at` as value and UCUM unit, read into `body`.
    pub(super) fn quantity(&mut self, value: &Value, at: &str, body: &str) -> Option<Quantity> {
        self.from(body, at);
        self.from(format!("{body}.value"), format!("{at}.value"));
        self.from(format!("{body}.unit"), format!("{at}.code"));
        let number = self.decimal(value.get("value"), &format!("{at}.value"));
        if value.get("value").is_none() {
            self.required(&format!("{at}.value"), "a quantity needs a value");
        }
        let system = value.get("system").and_then(Value::as_str);
        let code = self.text(value.get("code"), &format!("{at}.code"));
        if system != Some(UCUM_SYSTEM) || code.is_none() {
            self.fail(
                format!("{at}.code"),
                "required",
                "a ucum unit code (system http://unitsofmeasure.org)",
            );
            return None;
        }
        Some(Quantity::new(number?, code?))
    }

    /// The subject reference at `key`: it must stand for the patient.
    pub(super) fn subject(&mut self, key: &str) {
        let at = format!("{key}.reference");
        let Some(reference) = self.text(self.get(key).and_then(|s| s.get("reference")), &at) else {
            self.required(&at, "the patient the entry is about");
            return;
        };
        match self.refs.resolve(reference) {
            Ok(id) if id == self.patient.as_uuid() => {}
            Ok(_) => self.fail(
                at,
                "wrong_patient",
                "must stand for the patient imported into",
            ),
            Err(code) => self.fail(at, code, "map it to the patient in the references"),
        }
    }

    /// The id a Reference at `at` of resource type `kind` stands for, when
    /// it resolves; `None` when it is another type or does not resolve.
    pub(super) fn reference(
        &mut self,
        value: Option<&Value>,
        at: &str,
        kind: &str,
    ) -> Option<Uuid> {
        let reference = self.text(value?.get("reference"), &format!("{at}.reference"))?;
        // A mapped reference stands for what the map says (`urn:uuid:` ones
        // name no type); an unmapped one must name the type.
        let typed = reference_parts(reference).map(|(found, _)| found == kind);
        let mapped = self.refs.0.contains_key(reference);
        if typed == Some(false) || (typed.is_none() && !mapped) {
            return None;
        }
        self.refs.resolve(reference).ok()
    }

    /// A practitioner reference that must resolve, read into `body`.
    pub(super) fn practitioner(
        &mut self,
        value: Option<&Value>,
        at: &str,
        body: &str,
    ) -> Option<PractitionerId> {
        self.from(body, format!("{at}.reference"));
        let found = self.reference(value, at, "Practitioner");
        if found.is_none() {
            self.fail(
                format!("{at}.reference"),
                "unresolved_reference",
                "a Practitioner mapped to a carebase id in the references",
            );
        }
        found.map(PractitionerId)
    }

    /// The `encounter` reference, linked when it resolves.
    pub(super) fn encounter(&mut self) -> Option<EntryId> {
        self.from("encounter", "encounter.reference");
        self.reference(self.get("encounter"), "encounter", "Encounter")
            .map(EntryId)
    }
}

/// Reads a FHIR date or date-time (see [`Reader::date_time`]).
pub(super) fn date_time(text: &str) -> Option<DateTime<Utc>> {
    if text.contains('T') {
        return parse_instant(text);
    }
    let day = match text.len() {
        4 => format!("{text}-01-01"),
        7 => format!("{text}-01"),
        10 => text.to_owned(),
        _ => return None,
    };
    let date = NaiveDate::parse_from_str(&day, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}
