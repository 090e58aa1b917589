//! The JSON arguments of a host call, read into core types with errors that
//! are data, not text.
//!
//! The text is bounded first ([`check_arguments`]), parsed once into a
//! neutral value, and each argument is then deserialized on its own from
//! that value by a deserializer whose error type keeps serde's categories
//! (`serde_value`): a missing or `null` required value is `required`, a
//! value of the wrong JSON type `invalid_type`, an unknown code or a number
//! out of range `invalid_value`, a string that does not parse (an id, a
//! date) `invalid_format`. A member no argument or type declares is
//! `unknown_field` at its path (a misspelt setting, `use` for `usage`):
//! what core accepts must read back, so nothing is dropped in silence, and
//! every unknown member is listed with the other failing fields. The field
//! is the argument's path (`details.names[0].family`); messages never echo
//! the value. Every host gets the same answer for the same bad value
//! because every host goes through here.
//!
//! Most calls are well formed, so each argument is first read straight
//! from its text (serde_json, with `serde_ignored` watching for unknown
//! members): when that succeeds and ignores nothing, the careful reading
//! would give the same value and no error, so it is skipped. Any failure or
//! ignored member sends the argument down the careful path, which alone
//! decides the errors.
//!
//! Both readings go through [`Objects`]: a struct is read from a JSON
//! object only, never from an array of its fields in order (`invalid_type`
//! at the struct's path), so an argument never takes a positional meaning.
//! An internally tagged enum (an entry's body) is read by [`tagged`]: the
//! variant's fields through the same careful reading, its errors under the
//! object's path (`entry.body.code`).

mod objects;
pub(crate) mod tagged;

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::value::RawValue;
use serde_value::{DeserializerError, Unexpected, Value, ValueDeserializer};

use self::objects::Objects;
use crate::document::check_arguments;
use crate::error::FieldError;
use crate::{Error, Result};

/// The arguments of one call, taken one by one; [`Arguments::finish`]
/// reports every argument that could not be read.
pub struct Arguments {
    /// Each top-level member's JSON text, by name.
    members: BTreeMap<String, Box<RawValue>>,
    errors: Vec<FieldError>,
    /// A `#[flatten]` argument was read: it saw the members left at the
    /// top and reported those its type does not declare.
    flattened: bool,
    /// The bytes handed beside the JSON text, until the call's `Bytes`
    /// argument takes them.
    bytes: Option<Vec<u8>>,
}

/// How an argument is read from the call's object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Its own member; absent is `null`.
    Member,
    /// Its own member; absent or `null` is an empty object (`#[default]`).
    Default,
    /// Its fields are members of the call's object (`#[flatten]`).
    Flatten,
}

impl Mode {
    /// The mode the operation list's argument attributes name.
    pub fn of(attributes: &[&str]) -> Self {
        if attributes.contains(&"flatten") {
            Mode::Flatten
        } else if attributes.contains(&"default") {
            Mode::Default
        } else {
            Mode::Member
        }
    }
}

impl Arguments {
    /// Parses the JSON object of a call's arguments (bounded first).
    pub fn parse(json: &str) -> Result<Self> {
        check_arguments(json)?;
        match serde_json::from_str(json) {
            Ok(members) => Ok(Self {
                members,
                errors: Vec::new(),
                flattened: false,
                bytes: None,
            }),
            Err(_) if serde_json::from_str::<IgnoredAny>(json).is_ok() => Err(Error::invalid(
                "(input)",
                "invalid_type",
                "the arguments must be a json object",
            )),
            Err(_) => Err(Error::invalid(
                "(input)",
                "invalid_format",
                "not valid json text",
            )),
        }
    }

    /// Hands over the bytes passed beside the JSON text (a document's
    /// content), for the call's one argument of type `Bytes`; bytes given
    /// to a call that takes none are `unknown_field` on `(bytes)`.
    pub fn with_bytes(mut self, bytes: Option<Vec<u8>>) -> Self {
        self.bytes = bytes;
        self
    }

    /// Reads argument `name` as a `T`; on failure records the errors and
    /// returns `None` (so every argument is checked before [`finish`](Self::finish)).
    /// Members `T` does not declare are errors too (`unknown_field`).
    pub fn take<T: DeserializeOwned>(&mut self, name: &str, mode: Mode) -> Option<T> {
        let member = match mode {
            Mode::Flatten => None,
            Mode::Member | Mode::Default => self.members.remove(name),
        };
        let (text, prefix) = match (mode, member.as_deref().map(RawValue::get)) {
            (Mode::Flatten, _) => {
                self.flattened = true;
                (Cow::Owned(object_text(&self.members)), "")
            }
            (Mode::Default, None | Some("null")) => (Cow::Borrowed("{}"), name),
            (_, Some(text)) => (Cow::Borrowed(text), name),
            (_, None) => (Cow::Borrowed("null"), name),
        };
        tagged::at_door(|| {
            if let Some(value) = straight(&text) {
                return Some(value);
            }
            // Valid JSON (a member of parsed text), so this reads.
            let value = serde_json::from_str(&text).unwrap_or(Value::Unit);
            let (read, unknown) = read(value, prefix);
            self.errors.extend(unknown);
            match read {
                Ok(v) => Some(v),
                Err(errors) => {
                    self.errors.extend(errors);
                    None
                }
            }
        })
    }

    /// [`take`](Self::take) for an argument of the operation list's type
    /// `ty` (its text, as in `OPERATIONS`): a date or an instant handed as
    /// an argument of its own is held to its one text form
    /// ([`crate::instant::parse_date`], [`crate::instant::parse_instant`]),
    /// as the fields of records are by their readers.
    pub fn take_typed<T: DeserializeOwned>(
        &mut self,
        name: &str,
        mode: Mode,
        ty: &str,
    ) -> Option<T> {
        if ty == "Bytes" {
            return self.take_bytes(name);
        }
        let strict: Option<fn(&str) -> bool> = match ty {
            "NaiveDate" | "Option<NaiveDate>" => Some(|t| crate::instant::parse_date(t).is_some()),
            "DateTime<Utc>" | "Option<DateTime<Utc>>" => {
                Some(|t| crate::instant::parse_instant(t).is_some())
            }
            _ => None,
        };
        if let Some(strict) = strict {
            let text = self.members.get(name).map(|raw| raw.get());
            let text = text.and_then(|raw| serde_json::from_str::<String>(raw).ok());
            if text.is_some_and(|text| !strict(&text)) {
                self.members.remove(name);
                self.errors.push(FieldError::new(
                    name,
                    "invalid_format",
                    "is not in the expected format",
                ));
                return None;
            }
        }
        self.take(name, mode)
    }

    /// The `Bytes` argument `name`, from the bytes beside the JSON text:
    /// the same bytes inside the JSON (a member `name`) are `invalid_type`,
    /// none at all `required`.
    fn take_bytes<T: DeserializeOwned>(&mut self, name: &str) -> Option<T> {
        if self.members.remove(name).is_some() {
            self.errors.push(FieldError::new(
                name,
                "invalid_type",
                "has the wrong type: bytes are passed beside the json text",
            ));
            return None;
        }
        let Some(bytes) = self.bytes.take() else {
            self.errors
                .push(FieldError::new(name, "required", "is required"));
            return None;
        };
        let deserializer = ValueDeserializer::<DeserializerError>::new(Value::Bytes(bytes));
        match T::deserialize(deserializer) {
            Ok(value) => Some(value),
            Err(e) => {
                self.errors.push(field_error(name.to_owned(), e));
                None
            }
        }
    }

    /// `Ok` when every argument was read and no member is left over, else
    /// one `validation` error naming each argument that was not read and
    /// each member no argument names (`unknown_field`).
    pub fn finish(mut self) -> Result<()> {
        if !self.flattened {
            for name in self.members.keys() {
                self.errors.push(unknown_field(name.clone()));
            }
        }
        if self.bytes.is_some() {
            self.errors.push(unknown_field("(bytes)".to_owned()));
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Error::validation(self.errors))
        }
    }
}

/// `text` read straight as a `T`, when that fails nowhere and ignores no
/// member: the careful [`read`] of the same text then gives the same value
/// and no error (it reads the same JSON values with the same visitors).
fn straight<T: DeserializeOwned>(text: &str) -> Option<T> {
    let mut ignored = false;
    let mut tokens = serde_json::Deserializer::from_str(text);
    let value = serde_ignored::deserialize(Objects(&mut tokens), |_| ignored = true).ok()?;
    tokens.end().ok()?;
    (!ignored).then_some(value)
}

/// The members left, as the text of one JSON object.
fn object_text(members: &BTreeMap<String, Box<RawValue>>) -> String {
    let mut text = String::from("{");
    for (i, (name, value)) in members.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        // A name that came out of JSON text goes back into it.
        text.push_str(&serde_json::to_string(name).unwrap_or_default());
        text.push(':');
        text.push_str(value.get());
    }
    text.push('}');
    text
}

/// `value` as a `T`, or the field error at `prefix` + the path inside (a
/// tagged object refused at the door: its errors, under its path, see
/// [`tagged`]); beside it an `unknown_field` error for each member `T` does
/// not declare (met before a failure stopped the reading).
fn read<T: DeserializeOwned>(
    value: Value,
    prefix: &str,
) -> (Result<T, Vec<FieldError>>, Vec<FieldError>) {
    tagged::forget_refused();
    let mut unknown = Vec::new();
    let deserializer = Objects(ValueDeserializer::<DeserializerError>::new(value));
    let mut note = |path: serde_ignored::Path<'_>| {
        unknown.push(unknown_field(join(prefix, &path_text(&path))));
    };
    let watched = serde_ignored::Deserializer::new(deserializer, &mut note);
    let read = serde_path_to_error::deserialize(watched).map_err(|e| {
        let inside = e.path().to_string();
        let inside = if inside == "." { String::new() } else { inside };
        tagged::under(field_error(join(prefix, &inside), e.into_inner()))
    });
    (read, unknown)
}

/// `inside` under `prefix`, each possibly empty (both empty: the input).
fn join(prefix: &str, inside: &str) -> String {
    match (prefix.is_empty(), inside.is_empty()) {
        (true, true) => "(input)".to_owned(),
        (true, false) => inside.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) if inside.starts_with('[') => format!("{prefix}{inside}"),
        (false, false) => format!("{prefix}.{inside}"),
    }
}

/// A path of an ignored member in the form of every other field path
/// (`names[0].use`).
fn path_text(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path as P;
    match path {
        P::Root => String::new(),
        P::Seq { parent, index } => format!("{}[{index}]", path_text(parent)),
        P::Map { parent, key } => join(&path_text(parent), key),
        P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
            path_text(parent)
        }
    }
}

/// A member no argument or type declares: refused, so nothing a host
/// hands in is dropped in silence.
fn unknown_field(at: String) -> FieldError {
    FieldError::new(at, "unknown_field", "is not a known member")
}

/// The field error for a deserializer error, by its category alone.
fn field_error(at: String, error: DeserializerError) -> FieldError {
    use DeserializerError as E;
    match error {
        E::MissingField(name) => {
            let field = if at == "(input)" {
                name.to_owned()
            } else {
                format!("{at}.{name}")
            };
            FieldError::new(field, "required", "is required")
        }
        E::InvalidType(Unexpected::Unit, _) => FieldError::new(at, "required", "is required"),
        E::InvalidType(_, expected) => FieldError::new(
            at,
            "invalid_type",
            format!("has the wrong type: expected {expected}"),
        ),
        E::InvalidValue(_, expected) | E::InvalidLength(_, expected) => FieldError::new(
            at,
            "invalid_value",
            format!("is not an allowed value: expected {expected}"),
        ),
        E::UnknownVariant(_, codes) => FieldError::new(
            at,
            "invalid_value",
            format!("is not one of the allowed values ({})", codes.join(", ")),
        ),
        E::UnknownField(_, _) | E::DuplicateField(_) => {
            FieldError::new(at, "invalid_value", "has a member that is not allowed")
        }
        E::Custom(_) => FieldError::new(at, "invalid_format", "is not in the expected format"),
    }
}

#[cfg(test)]
mod tests;
