//! Internally tagged enums (`EntryBody` tagged by `kind`,
//! `ObservationValue` by `type`) read from a JSON object only; at the door,
//! through the door's own careful reading.
//!
//! serde's derive for an internally tagged enum buffers the object in a
//! private buffer and reads the variant from there, past [`Objects`]: a
//! struct inside would read from an array and an unknown member would be
//! dropped in silence. So these enums are not derived: each implements
//! [`Tagged`] and reads through [`deserialize_tagged`], which asks for a
//! map (a sequence is `invalid_type`), keeps its members as one JSON value
//! and reads the variant the tag names from it.
//!
//! How the variant's fields are read depends on who reads ([`Fields`]):
//! - At the door ([`at_door`]), the door's careful reading ([`read`]:
//!   [`Objects`], unknown members `unknown_field`, paths inside). A variant
//!   that fails or has a member it does not declare is refused with its
//!   field errors (paths from inside the object, `code`, `value.unit`) left
//!   in this thread's slot; the enclosing [`read`] takes them and puts them
//!   under the object's own path (`entry.body.code`).
//! - Elsewhere (a store's JSON, written by this or an older version),
//!   plainly from the JSON value, unknown members ignored as serde's
//!   derive does: only the door refuses them.
//!
//! Size: whatever deserializer the enum is met by, only the small loop
//! that keeps the members is generic over it; each variant's fields are
//! read by one concrete deserializer per reading (`serde_json::Value`
//! plainly, [`read`]'s at the door), not once per deserializer type. The
//! careful reading is reached only through the door ([`Careful`], a `dyn`
//! installed by [`at_door`]): a library that never links the door (the
//! device library reads bodies from its store only) does not carry it.
//!
//! [`Objects`]: super::objects::Objects
//! [`read`]: super::read

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};
use serde_value::DeserializerError;

use super::{field_error, join, read};
use crate::error::FieldError;
use crate::record::{EntryBody, ObservationValue};

/// An enum written as one JSON object: its tag member names the variant,
/// the other members are the variant's fields.
pub(crate) trait Tagged: Sized + 'static {
    /// The tag member's name (`kind`).
    const TAG: &'static str;
    /// What a reader expected, for errors (`an entry body`).
    const EXPECTING: &'static str;
    /// The variant the tag names `name`, read from `fields` (the other
    /// members); a name no variant has is refused at the tag
    /// ([`unknown_tag`]).
    fn variant<F: Fields>(name: &str, fields: F) -> Result<Self, Vec<FieldError>>;
    /// The door's careful reading of this enum (one method of
    /// [`Careful`]).
    fn carefully(door: &dyn Careful, tag: Option<Value>, fields: Value) -> Read<Self>;
}

/// A reading: the value, or the field errors at paths inside the object.
pub(crate) type Read<T> = Result<T, Vec<FieldError>>;

/// The members of a tagged object other than its tag, as one reader reads
/// them.
pub(crate) trait Fields {
    /// The members read as a `V` (a variant's fields).
    fn read<V: DeserializeOwned>(self) -> Read<V>;
}

/// The fields as a store's JSON reads: plainly, unknown members ignored.
struct Plain(Value);

impl Fields for Plain {
    fn read<V: DeserializeOwned>(self) -> Read<V> {
        // The error's text may quote the value: only its category is kept.
        V::deserialize(self.0).map_err(|_| {
            vec![FieldError::new(
                "(input)",
                "invalid_format",
                "does not read",
            )]
        })
    }
}

/// The fields as the door reads them: [`read`](super::read), a member the
/// variant does not declare refused (`unknown_field`).
struct Door(Value);

impl Fields for Door {
    fn read<V: DeserializeOwned>(self) -> Read<V> {
        // Any JSON value is a neutral value.
        let value = serde_value::to_value(self.0).unwrap_or(serde_value::Value::Unit);
        let (read, unknown) = read::<V>(value, "");
        match read {
            Ok(value) if unknown.is_empty() => Ok(value),
            Ok(_) => Err(unknown),
            Err(errors) => Err(unknown.into_iter().chain(errors).collect()),
        }
    }
}

/// The door's careful reading of each tagged enum a host can send: a
/// `dyn`, so that only a library that links the door carries it.
pub(crate) trait Careful {
    /// An [`EntryBody`], read at the door.
    fn entry_body(&self, tag: Option<Value>, fields: Value) -> Read<EntryBody>;
    /// An [`ObservationValue`], read at the door.
    fn observation_value(&self, tag: Option<Value>, fields: Value) -> Read<ObservationValue>;
}

/// The door's [`Careful`] reading.
struct AtTheDoor;

impl Careful for AtTheDoor {
    fn entry_body(&self, tag: Option<Value>, fields: Value) -> Read<EntryBody> {
        variant(tag, Door(fields))
    }

    fn observation_value(&self, tag: Option<Value>, fields: Value) -> Read<ObservationValue> {
        variant(tag, Door(fields))
    }
}

/// The refusal of a tag that names no variant (`invalid_value` at the
/// tag, listing the names there are).
pub(crate) fn unknown_tag(
    tag: &str,
    name: &str,
    names: &'static [&'static str],
) -> Vec<FieldError> {
    let error = DeserializerError::UnknownVariant(name.to_owned(), names);
    vec![field_error(tag.to_owned(), error)]
}

/// Reads a [`Tagged`] enum: a map whose tag names the variant (missing:
/// `required` at the tag; not a string: `invalid_type` at the tag, never a
/// variant's position), never a sequence.
pub(crate) fn deserialize_tagged<'de, T: Tagged, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_map(TaggedVisitor(PhantomData))
}

/// Reads the map of a [`Tagged`] enum.
struct TaggedVisitor<T>(PhantomData<T>);

impl<'de, T: Tagged> Visitor<'de> for TaggedVisitor<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(T::EXPECTING)
    }

    // The one part generic over the deserializer: kept small.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut tag = None;
        let mut fields = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            let value = map.next_value::<Value>()?;
            if name == T::TAG {
                tag = Some(value);
            } else {
                fields.insert(name, value);
            }
        }
        read_tagged::<T>(tag, Value::Object(fields)).map_err(refuse)
    }
}

/// The tagged object `tag` and `fields`: read carefully at the door,
/// plainly elsewhere.
fn read_tagged<T: Tagged>(tag: Option<Value>, fields: Value) -> Read<T> {
    match DOOR.with(|door| door.borrow().careful) {
        Some(careful) => T::carefully(careful, tag, fields),
        None => variant(tag, Plain(fields)),
    }
}

/// The variant `tag` names, read from `fields`.
fn variant<T: Tagged, F: Fields>(tag: Option<Value>, fields: F) -> Read<T> {
    match tag {
        Some(Value::String(name)) => T::variant(&name, fields),
        None | Some(Value::Null) => Err(vec![FieldError::new(T::TAG, "required", "is required")]),
        Some(_) => Err(vec![FieldError::new(
            T::TAG,
            "invalid_type",
            "has the wrong type: expected a string",
        )]),
    }
}

/// The error of a tagged object refused with `errors` (paths inside it):
/// at the door they are left for the enclosing [`read`](super::read).
fn refuse<E: de::Error>(errors: Vec<FieldError>) -> E {
    let first = errors.first().map(|e| e.code.clone()).unwrap_or_default();
    DOOR.with(|door| {
        let mut door = door.borrow_mut();
        if door.careful.is_some() {
            door.refused = Some(errors);
        }
    });
    E::custom(format_args!("a tagged object is refused ({first})"))
}

/// This thread's door.
struct DoorState {
    /// The careful reading, while the door reads an argument.
    careful: Option<&'static dyn Careful>,
    /// The field errors of the tagged object refused last, not yet taken.
    refused: Option<Vec<FieldError>>,
}

thread_local! {
    static DOOR: RefCell<DoorState> = const {
        RefCell::new(DoorState {
            careful: None,
            refused: None,
        })
    };
}

/// Runs `reading` with the door open: tagged objects are read carefully,
/// refuse unknown members and leave their errors for
/// [`read`](super::read).
pub(super) fn at_door<R>(reading: impl FnOnce() -> R) -> R {
    /// Restores the door as it was, however `reading` ends.
    struct Close(Option<&'static dyn Careful>);
    impl Drop for Close {
        fn drop(&mut self) {
            DOOR.with(|door| {
                let mut door = door.borrow_mut();
                door.careful = self.0;
                door.refused = None;
            });
        }
    }
    let was = DOOR.with(|door| door.borrow_mut().careful.replace(&AtTheDoor));
    let _close = Close(was);
    reading()
}

/// Forgets errors left by an earlier reading (before a new one starts).
pub(super) fn forget_refused() {
    DOOR.with(|door| door.borrow_mut().refused = None);
}

/// `error` (at the path of a value the reading failed on), or, when that
/// value was a tagged object refused at the door, its field errors under
/// that path.
pub(super) fn under(error: FieldError) -> Vec<FieldError> {
    let Some(refused) = DOOR.with(|door| door.borrow_mut().refused.take()) else {
        return vec![error];
    };
    let at = error.field;
    refused
        .into_iter()
        .map(|mut inside| {
            inside.field = match (at.as_str(), inside.field.as_str()) {
                (_, "(input)") => at.clone(),
                ("(input)", _) => inside.field,
                (at, field) => join(at, field),
            };
            inside
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ObservationValue;

    /// A quantity as a store may hold it: its tag last, a member this
    /// version does not declare (written by another version) first.
    const STORED: &str = r#"{"colour":"blue","value":"70","unit":"kg","type":"quantity"}"#;

    /// The field errors a door reading of `text` as an observation value
    /// leaves, under `value`.
    fn refused_at_door(text: &str) -> Vec<(String, String)> {
        at_door(|| {
            let read = serde_json::from_str::<ObservationValue>(text);
            let marker = FieldError::new("value", "invalid_format", "");
            let errors = if read.is_err() {
                under(marker)
            } else {
                Vec::new()
            };
            errors.into_iter().map(|e| (e.field, e.code)).collect()
        })
    }

    #[test]
    fn a_value_read_outside_the_door_ignores_a_member_it_does_not_declare() {
        let read = serde_json::from_str::<ObservationValue>(STORED);
        let unit = read.ok().and_then(|v| match v {
            ObservationValue::Quantity { unit, .. } => Some(unit),
            _ => None,
        });
        assert_eq!(unit.as_deref(), Some("kg"));
    }

    #[test]
    fn a_value_read_at_the_door_refuses_a_member_it_does_not_declare_at_its_path() {
        let refused = refused_at_door(STORED);
        assert_eq!(
            refused,
            [("value.colour".to_owned(), "unknown_field".to_owned())]
        );
    }

    #[test]
    fn a_tag_given_as_a_number_is_invalid_type_at_the_tag_never_a_position() {
        let refused = refused_at_door(r#"{"type":0,"value":"70","unit":"kg"}"#);
        assert_eq!(
            refused,
            [("value.type".to_owned(), "invalid_type".to_owned())]
        );
    }

    #[test]
    fn a_value_given_as_an_array_is_refused_outside_the_door_too() {
        let read = serde_json::from_str::<ObservationValue>(r#"["quantity","70","kg"]"#);
        assert!(read.is_err());
    }

    #[test]
    fn nothing_is_left_for_a_reading_after_the_door_closes() {
        let refused = at_door(|| serde_json::from_str::<ObservationValue>(STORED).is_err());
        assert!(refused);
        assert!(DOOR.with(|door| door.borrow().refused.is_none()));
        assert!(DOOR.with(|door| door.borrow().careful.is_none()));
    }
}
