//! Reading the elements carebase models from a FHIR Patient (an import,
//! strictly) or from a kept resource (an export comparing it with the
//! record, leniently).

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use super::Object;
use crate::error::FieldError;
use crate::patient::{
    Address, AddressUse, ContactPoint, ContactSystem, ContactUse, EmergencyContact, Gender,
    HumanName, Identifier, NameUse,
};

/// Reads the modelled elements. `strict` reports wrong types and unknown
/// codes (an import); otherwise (reading a kept resource to compare with
/// the record) they read as nothing.
pub(super) struct Reader {
    /// Report wrong types and unknown codes (an import).
    pub(super) strict: bool,
}

/// A list entry reader: the value, its path, the errors.
pub(super) type Read<T> = fn(&Reader, &Value, &str, &mut Vec<FieldError>) -> Option<T>;

impl Reader {
    fn error(&self, errors: &mut Vec<FieldError>, field: String, code: &str, message: &str) {
        if self.strict {
            errors.push(FieldError::new(field, code, message));
        }
    }

    /// The entries of list `key` that carebase models, with their indexes.
    pub(super) fn list<T>(
        &self,
        obj: &Object,
        key: &str,
        errors: &mut Vec<FieldError>,
        read: Read<T>,
    ) -> (Vec<T>, Vec<usize>) {
        let entries = match obj.get(key) {
            None => return (Vec::new(), Vec::new()),
            Some(Value::Array(entries)) => entries,
            Some(_) => {
                self.error(errors, key.to_owned(), "invalid_type", "must be an array");
                return (Vec::new(), Vec::new());
            }
        };
        let mut out = Vec::new();
        let mut at = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            if let Some(item) = read(self, entry, &format!("{key}[{i}]"), errors) {
                out.push(item);
                at.push(i);
            }
        }
        (out, at)
    }

    /// An optional string element of `obj`.
    fn text(
        &self,
        obj: &Object,
        key: &str,
        at: &str,
        errors: &mut Vec<FieldError>,
    ) -> Option<String> {
        match obj.get(key)? {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.error(errors, path(at, key), "invalid_type", "must be a string");
                None
            }
        }
    }

    /// An optional list of strings of `obj`.
    fn texts(
        &self,
        obj: &Object,
        key: &str,
        at: &str,
        errors: &mut Vec<FieldError>,
    ) -> Vec<String> {
        match obj.get(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| match v {
                    Value::String(s) => Some(s.clone()),
                    _ => {
                        let field = format!("{}[{i}]", path(at, key));
                        self.error(errors, field, "invalid_type", "must be a string");
                        None
                    }
                })
                .collect(),
            Some(_) => {
                self.error(errors, path(at, key), "invalid_type", "must be an array");
                Vec::new()
            }
        }
    }

    /// An optional code of `obj`, read by `parse`.
    fn code<T>(
        &self,
        obj: &Object,
        key: &str,
        at: &str,
        errors: &mut Vec<FieldError>,
        parse: fn(&str) -> Option<T>,
    ) -> Option<T> {
        let text = self.text(obj, key, at, errors)?;
        let code = parse(&text);
        if code.is_none() {
            self.error(
                errors,
                path(at, key),
                "invalid_value",
                "not a code of its fhir value set",
            );
        }
        code
    }

    fn object<'a>(
        &self,
        value: &'a Value,
        at: &str,
        errors: &mut Vec<FieldError>,
    ) -> Option<&'a Object> {
        let obj = value.as_object();
        if obj.is_none() {
            self.error(
                errors,
                at.to_owned(),
                "invalid_type",
                "must be a json object",
            );
        }
        obj
    }

    /// An identifier with a system and a value.
    pub(super) fn identifier(
        &self,
        value: &Value,
        at: &str,
        errors: &mut Vec<FieldError>,
    ) -> Option<Identifier> {
        let obj = self.object(value, at, errors)?;
        let system = self.text(obj, "system", at, errors);
        let value = self.text(obj, "value", at, errors);
        Some(Identifier {
            system: system?,
            value: value?,
        })
    }

    /// A name with a family or a given name.
    pub(super) fn name(
        &self,
        value: &Value,
        at: &str,
        errors: &mut Vec<FieldError>,
    ) -> Option<HumanName> {
        let obj = self.object(value, at, errors)?;
        let name = HumanName {
            usage: self.code(obj, "use", at, errors, NameUse::parse),
            family: self.text(obj, "family", at, errors),
            given: self.texts(obj, "given", at, errors),
            prefix: self.texts(obj, "prefix", at, errors),
            suffix: self.texts(obj, "suffix", at, errors),
        };
        (name.family.is_some() || !name.given.is_empty()).then_some(name)
    }

    /// A phone (`phone`, `sms`… are phones only when `phone`) or an email.
    pub(super) fn contact_point(
        &self,
        value: &Value,
        at: &str,
        errors: &mut Vec<FieldError>,
    ) -> Option<ContactPoint> {
        let obj = self.object(value, at, errors)?;
        let system = match obj.get("system").and_then(Value::as_str) {
            Some("phone") => ContactSystem::Phone,
            Some("email") => ContactSystem::Email,
            _ => return None,
        };
        let usage = self.code(obj, "use", at, errors, ContactUse::parse);
        Some(ContactPoint {
            system,
            value: self.text(obj, "value", at, errors)?,
            usage,
        })
    }

    /// A postal address with at least one structured part.
    pub(super) fn address(
        &self,
        value: &Value,
        at: &str,
        errors: &mut Vec<FieldError>,
    ) -> Option<Address> {
        let obj = self.object(value, at, errors)?;
        let address = Address {
            usage: self.code(obj, "use", at, errors, AddressUse::parse),
            lines: self.texts(obj, "line", at, errors),
            city: self.text(obj, "city", at, errors),
            district: self.text(obj, "district", at, errors),
            state: self.text(obj, "state", at, errors),
            postal_code: self.text(obj, "postalCode", at, errors),
            country: self.text(obj, "country", at, errors),
        };
        let parts = [
            &address.city,
            &address.district,
            &address.state,
            &address.postal_code,
            &address.country,
        ];
        (!address.lines.is_empty() || parts.iter().any(|p| p.is_some())).then_some(address)
    }

    /// A contact with a modelled name and a relationship (its first
    /// coding's code, else its text), and the FHIR index of each of its
    /// modelled phones and emails.
    pub(super) fn contact(
        &self,
        value: &Value,
        at: &str,
        errors: &mut Vec<FieldError>,
    ) -> Option<(EmergencyContact, Vec<usize>)> {
        let obj = self.object(value, at, errors)?;
        let name = obj
            .get("name")
            .and_then(|n| self.name(n, &path(at, "name"), errors));
        let relationship = obj
            .get("relationship")
            .and_then(|r| r.get(0))
            .and_then(|r| {
                r.pointer("/coding/0/code")
                    .or_else(|| r.get("text"))
                    .and_then(Value::as_str)
            })
            .map(str::to_owned);
        let (telecom, positions) = self.list(obj, "telecom", errors, |r, v, p, e| {
            r.contact_point(v, p, e)
        });
        Some((
            EmergencyContact {
                relationship: relationship?,
                name: name?,
                telecom,
            },
            positions,
        ))
    }

    pub(super) fn gender(&self, obj: &Object, errors: &mut Vec<FieldError>) -> Option<Gender> {
        self.code(obj, "gender", "", errors, Gender::parse)
    }

    /// A full birth date (`YYYY-MM-DD`); a partial one (`1974`, `1974-12`)
    /// is kept as written but not modelled.
    pub(super) fn birth_date(
        &self,
        obj: &Object,
        errors: &mut Vec<FieldError>,
    ) -> Option<NaiveDate> {
        let text = self.text(obj, "birthDate", "", errors)?;
        crate::instant::parse_date(&text)
    }

    /// `deceasedBoolean`, or `deceasedDateTime` (deceased; the instant when
    /// it has a time and zone, a date alone is kept as written).
    pub(super) fn deceased(
        &self,
        obj: &Object,
        errors: &mut Vec<FieldError>,
    ) -> (bool, Option<DateTime<Utc>>) {
        if obj.contains_key("deceasedBoolean") && obj.contains_key("deceasedDateTime") {
            let message = "deceased[x] is one of deceasedBoolean and deceasedDateTime";
            self.error(errors, "deceasedDateTime".into(), "invalid_value", message);
        }
        if let Some(value) = obj.get("deceasedBoolean") {
            return match value {
                Value::Bool(b) => (*b, None),
                _ => {
                    let field = "deceasedBoolean".to_owned();
                    self.error(errors, field, "invalid_type", "must be true or false");
                    (false, None)
                }
            };
        }
        let Some(text) = self.text(obj, "deceasedDateTime", "", errors) else {
            return (false, None);
        };
        match crate::instant::parse_instant(&text) {
            Some(at) if crate::instant::is_representable(at) => (true, Some(at)),
            Some(_) => {
                if self.strict {
                    errors.push(crate::instant::out_of_range("deceasedDateTime"));
                }
                (true, None)
            }
            None if is_partial_date(&text) => (true, None),
            None => {
                let field = "deceasedDateTime".to_owned();
                let message = "must be a date, or a date-time with a time zone";
                self.error(errors, field, "invalid_format", message);
                (true, None)
            }
        }
    }

    /// The preferred `communication` (else the first): its language's
    /// first code.
    pub(super) fn language(&self, obj: &Object, _errors: &mut Vec<FieldError>) -> Option<String> {
        let list = obj.get("communication")?.as_array()?;
        list.get(language_index(obj)?)?
            .pointer("/language/coding/0/code")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    pub(super) fn active(&self, obj: &Object, errors: &mut Vec<FieldError>) -> bool {
        match obj.get("active") {
            None => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                let field = "active".to_owned();
                self.error(errors, field, "invalid_type", "must be true or false");
                true
            }
        }
    }
}

/// The index of the preferred `communication`, else the first.
pub(super) fn language_index(obj: &Object) -> Option<usize> {
    let list = obj.get("communication")?.as_array()?;
    let preferred = list
        .iter()
        .position(|c| c.get("preferred") == Some(&Value::Bool(true)));
    preferred.or((!list.is_empty()).then_some(0))
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`: a FHIR date of any precision.
fn is_partial_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [y] => digits(y, 4),
        [y, m] => digits(y, 4) && digits(m, 2),
        [y, m, d] => digits(y, 4) && digits(m, 2) && digits(d, 2),
        _ => false,
    }
}

/// `prefix.key`, or `key` at the top.
fn path(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}
