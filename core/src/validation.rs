//! Field rules shared by every input, and the ONE place the `validator`
//! crate's findings become carebase [`FieldError`]s.
//!
//! Input types derive [`validator::Validate`] for the rules of their own
//! scalar fields: text lengths (`too_long`), ranges (`out_of_range`), and
//! the custom rules below (`required`, `invalid_format`). Each validation
//! function then walks the input in field order with a [`Findings`] per
//! struct and adds what `validator` cannot do without losing behaviour:
//!
//! - list counts (`too_many`, [`Errors::count`]), checked before anything
//!   looks at the items, so a hostile list of a million items costs one
//!   comparison. `validator` would copy the whole list into its error
//!   (`params["value"]`) only for it to be dropped here, and its `nested`
//!   walks every item whatever the count: neither is used on lists;
//! - the items of a list, with their index in the path (`names[0].given[2]`);
//!   `validator` has no per-item rule for a list of strings;
//! - rules across fields or needing the clinic's settings (duplicates, check
//!   digits, phone formats, dates against today).
//!
//! Every path carries one error at most: a blank value is `required`
//! whatever else is wrong with it, otherwise the first rule broken wins.
//! Messages never carry the value: `validator` puts it in its error
//! parameters, which are dropped here.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use validator::{Validate, ValidationError, ValidationErrors, ValidationErrorsKind};

use crate::error::FieldError;
use crate::{Error, Result};

/// A limit as the `u64` `validator`'s `length` rule compares with.
pub(crate) const fn bound(limit: usize) -> u64 {
    limit as u64
}

/// Collects field errors, one per path, in the order the rules ran.
#[derive(Default)]
pub(crate) struct Errors {
    fields: Vec<FieldError>,
    seen: HashSet<String>,
}

impl Errors {
    /// Adds an error unless `field` already has one.
    pub fn add(&mut self, field: impl Into<String>, code: &str, message: impl Into<String>) {
        self.push(FieldError::new(field, code, message));
    }

    /// Adds a built error unless its field already has one.
    pub fn push(&mut self, error: FieldError) {
        if self.seen.insert(error.field.clone()) {
            self.fields.push(error);
        }
    }

    /// `too_many` on `field` when `count` is over `max`; true when within
    /// (the caller then checks the items).
    pub fn count(&mut self, field: &str, count: usize, max: usize, items: &str) -> bool {
        if count <= max {
            return true;
        }
        self.add(field, "too_many", format!("at most {max} {items}"));
        false
    }

    /// `Ok` when nothing failed, else one (capped) validation error.
    pub fn finish(self) -> Result<()> {
        if self.fields.is_empty() {
            Ok(())
        } else {
            Err(Error::validation(self.fields))
        }
    }

    /// The collected errors, for callers that merge them with others.
    pub fn into_vec(self) -> Vec<FieldError> {
        self.fields
    }
}

/// What `validator` found on one struct, field by field, waiting to be taken
/// in the walker's order.
pub(crate) struct Findings {
    prefix: String,
    found: HashMap<Cow<'static, str>, ValidationErrorsKind>,
}

impl Findings {
    /// Runs `value`'s declared rules; paths start with `prefix` (`""` for
    /// the top level, `names[0]` for an item).
    pub fn of<T: Validate>(prefix: &str, value: &T) -> Self {
        let found = value
            .validate()
            .err()
            .map(ValidationErrors::into_errors)
            .unwrap_or_default();
        Self {
            prefix: prefix.to_owned(),
            found,
        }
    }

    /// Moves the findings on field `key` into `errors`; true when there were
    /// any (the caller then skips that field's items).
    pub fn take(&mut self, errors: &mut Errors, key: &str) -> bool {
        match self.found.remove(key) {
            Some(kind) => {
                into_field_errors(&join(&self.prefix, key), kind, errors);
                true
            }
            None => false,
        }
    }

    /// Moves every finding left into `errors`, by field name.
    pub fn rest(self, errors: &mut Errors) {
        let mut rest: Vec<_> = self.found.into_iter().collect();
        rest.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, kind) in rest {
            into_field_errors(&join(&self.prefix, &key), kind, errors);
        }
    }
}

/// `prefix.key`, or `key` at the top level.
fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// THE mapping from `validator`'s findings to carebase field errors: nested
/// structs and lists become `a.b` and `a[3]` paths, codes are kept, messages
/// come from the code and its bound (never the value).
fn into_field_errors(path: &str, kind: ValidationErrorsKind, errors: &mut Errors) {
    match kind {
        ValidationErrorsKind::Field(found) => {
            let first = found
                .iter()
                .find(|e| e.code == "required")
                .or_else(|| found.first());
            if let Some(e) = first {
                errors.add(path, &e.code, message(e));
            }
        }
        ValidationErrorsKind::Struct(inner) => {
            let mut fields: Vec<_> = inner.into_errors().into_iter().collect();
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            for (key, kind) in fields {
                into_field_errors(&join(path, &key), kind, errors);
            }
        }
        ValidationErrorsKind::List(items) => {
            for (i, inner) in items {
                into_field_errors(
                    &format!("{path}[{i}]"),
                    ValidationErrorsKind::Struct(inner),
                    errors,
                );
            }
        }
    }
}

/// The message of one finding: the rule's own, or the bound speaks for
/// itself.
fn message(e: &ValidationError) -> String {
    let bound = |name: &str| e.params.get(name).and_then(serde_json::Value::as_u64);
    let text = e.message.as_deref();
    match (e.code.as_ref(), bound("min"), bound("max")) {
        ("too_long", _, Some(max)) => format!("at most {max} characters"),
        ("out_of_range", Some(min), Some(max)) => format!("must be between {min} and {max}"),
        _ => text.unwrap_or("is not valid").to_owned(),
    }
}

/// A rule failure with a code and a message (for `custom` rules).
fn broken(code: &'static str, message: &'static str) -> ValidationError {
    ValidationError::new(code).with_message(Cow::Borrowed(message))
}

/// Characters that print as nothing: Unicode's default-ignorable code
/// points (zero-width spaces and joiners, soft hyphen, bidi marks, variation
/// selectors, fillers). A name made only of them and spaces is blank.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Nothing a person could read: empty, spaces, or invisible characters only.
pub(crate) fn is_blank(value: &str) -> bool {
    value.chars().all(|c| c.is_whitespace() || is_invisible(c))
}

/// `required` when blank (see [`is_blank`]).
pub(crate) fn not_blank(value: &str) -> Result<(), ValidationError> {
    if is_blank(value) {
        Err(broken("required", "must not be blank"))
    } else {
        Ok(())
    }
}

/// `invalid_format` on any control character other than a line break or
/// tab: free text may span lines, but a NUL byte or an escape sequence is
/// never meant.
pub(crate) fn printable_text(value: &str) -> Result<(), ValidationError> {
    let allowed = |c: char| matches!(c, '\n' | '\r' | '\t');
    if value.chars().any(|c| c.is_control() && !allowed(c)) {
        Err(broken(
            "invalid_format",
            "must not contain control characters other than line breaks and tabs",
        ))
    } else {
        Ok(())
    }
}

/// Checks one required line of text (no control characters at all) on
/// `field`, with a length bound; true when it passed.
pub(crate) fn line(errors: &mut Errors, field: &str, value: &str, max: usize) -> bool {
    if is_blank(value) {
        errors.add(field, "required", "must not be blank");
    } else if value.chars().count() > max {
        errors.add(field, "too_long", format!("at most {max} characters"));
    } else if value.chars().any(char::is_control) {
        errors.add(
            field,
            "invalid_format",
            "must not contain control characters",
        );
    } else {
        return true;
    }
    false
}

/// Checks every item of a list of lines, each on `path[i]`.
pub(crate) fn lines(errors: &mut Errors, path: &str, values: &[String], max: usize) {
    for (i, value) in values.iter().enumerate() {
        line(errors, &format!("{path}[{i}]"), value, max);
    }
}

/// Checks free text (line breaks allowed) on `field`: `required` when
/// `required` and blank, `too_long`, `invalid_format` on control characters.
pub(crate) fn free_text(errors: &mut Errors, field: &str, value: &str, max: usize, required: bool) {
    if required && is_blank(value) {
        errors.add(field, "required", "must not be blank");
    } else if value.chars().count() > max {
        errors.add(field, "too_long", format!("at most {max} characters"));
    } else if let Err(e) = printable_text(value) {
        errors.add(field, &e.code, message(&e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_width_and_other_invisible_characters_are_blank() {
        assert!(is_blank("\u{200B}\u{200C}\u{200D}\u{FEFF} \u{2060}"));
        assert!(is_blank(""));
        assert!(!is_blank("\u{200B}a"));
    }

    #[test]
    fn line_breaks_and_tabs_are_printable_but_nul_is_not() {
        assert!(printable_text("first line\nsecond\tline\r\n").is_ok());
        assert!(printable_text("a\u{0}b").is_err());
        assert!(printable_text("\u{1b}[31m").is_err());
    }

    #[test]
    fn one_error_per_path_the_first_wins() {
        let mut errors = Errors::default();
        errors.add("a", "too_long", "x");
        errors.add("a", "required", "y");
        let fields = errors.into_vec();
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].code, "too_long");
    }
}
