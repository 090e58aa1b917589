//! Documents from hosts (a FHIR resource, the JSON arguments of a binding
//! call) bounded before anything else reads them.
//!
//! The bounds are in [`crate::limits`]: depth, size in bytes, string length
//! and items per array or object. Every check here walks with an explicit
//! stack, never by recursion: a host can build a `serde_json::Value` of any
//! depth, and recursive code over a value 100,000 deep (a visitor, serde's
//! serializer, `Clone`, even `Drop`) overflows the stack and kills the host.
//! A value refused here may still be too deep for serde_json's recursive
//! `Drop`, so core drops the values it owns with [`dismantle`].
//!
//! Errors are `validation` errors with the shared codes: `too_deep` and
//! `too_large` name the document (e.g. `resource`), `too_long` and
//! `too_many` the path inside it (`extension[0].valueString`, member names
//! that do not look like element names shown as `*`). They never carry a
//! value.

use std::fmt::{self, Write as _};

use serde_json::Value;

use crate::error::FieldError;
use crate::limits::{
    MAX_DOCUMENT_BYTES, MAX_DOCUMENT_DEPTH, MAX_DOCUMENT_ERRORS, MAX_DOCUMENT_ITEMS,
    MAX_DOCUMENT_STRING_BYTES,
};
use crate::{Error, Result};

/// `field` nests deeper than [`MAX_DOCUMENT_DEPTH`].
pub fn too_deep(field: &str) -> FieldError {
    FieldError::new(
        field,
        "too_deep",
        format!("at most {MAX_DOCUMENT_DEPTH} levels of nesting"),
    )
}

/// `field` is larger than [`MAX_DOCUMENT_BYTES`].
pub fn too_large(field: &str) -> FieldError {
    FieldError::new(
        field,
        "too_large",
        format!("at most {MAX_DOCUMENT_BYTES} bytes"),
    )
}

fn too_long(path: String) -> FieldError {
    FieldError::new(
        path,
        "too_long",
        format!("strings and member names of at most {MAX_DOCUMENT_STRING_BYTES} bytes"),
    )
}

fn too_many(path: String) -> FieldError {
    FieldError::new(
        path,
        "too_many",
        format!("at most {MAX_DOCUMENT_ITEMS} items in an array or members in an object"),
    )
}

/// Checks a document a host built against every bound, without recursion.
/// `field` names the document in errors (`resource`); paths inside it are
/// relative to it.
pub fn check_value(value: &Value, field: &str) -> Result<()> {
    let errors = Walk::new(field).run(value).errors;
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::validation(errors))
    }
}

/// Parses a document a host handed in as JSON text: at most
/// [`MAX_DOCUMENT_BYTES`] long, nesting checked on the text before serde
/// builds anything, then [`check_value`]. Text that is not JSON is
/// `invalid_format` at `field`.
pub fn parse_text(text: &str, field: &str) -> Result<Value> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(Error::validation(vec![too_large(field)]));
    }
    if deeper_than(text, MAX_DOCUMENT_DEPTH).is_some() {
        return Err(Error::validation(vec![too_deep(field)]));
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|_| Error::invalid(field, "invalid_format", "not valid json text"))?;
    check_value(&value, field)?;
    Ok(value)
}

/// A document a host handed in, read for `field`: a JSON string is JSON
/// text (how Kotlin and Swift hand documents over, see `crate::ffi`),
/// parsed and bounded by [`parse_text`]; any other value is checked by
/// [`check_value`]. A refused value is dropped without recursion. (No
/// document carebase reads is a bare string, so the two never mix.)
pub fn read(value: Value, field: &str) -> Result<Value> {
    match value {
        Value::String(text) => parse_text(&text, field),
        value => match check_value(&value, field) {
            Ok(()) => Ok(value),
            Err(refused) => {
                dismantle(value);
                Err(refused)
            }
        },
    }
}

/// Checks the nesting of the JSON arguments of a binding call, an object
/// whose members are the arguments, before serde reads it (serde_json stops
/// at 128 levels with an error that names no field). Each argument may nest
/// [`MAX_DOCUMENT_DEPTH`] levels, like any document; deeper is `too_deep`
/// naming the argument. Everything else is left to the parse and to the
/// rules of the operation.
pub fn check_arguments(text: &str) -> Result<()> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut expect_key = false;
    let mut key: Option<&str> = None;
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'"' => {
                let end = string_end(bytes, i);
                if depth == 1 && expect_key {
                    key = text.get(i + 1..end.saturating_sub(1));
                    expect_key = false;
                }
                i = end;
                continue;
            }
            b'{' | b'[' => {
                depth += 1;
                if depth == 1 {
                    expect_key = byte == b'{';
                }
                if depth > MAX_DOCUMENT_DEPTH + 1 {
                    let field = key.filter(|k| is_element_name(k)).unwrap_or("(input)");
                    return Err(Error::validation(vec![too_deep(field)]));
                }
            }
            b',' if depth == 1 => expect_key = true,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Drops a value of any depth without recursion (serde_json's own `Drop`
/// recurses once per level).
pub fn dismantle(value: Value) {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Array(items) => stack.extend(items),
            Value::Object(members) => stack.extend(members.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

/// The byte offset of the first `[` or `{` of a JSON text that opens a
/// level deeper than `max`, looking only at brackets outside strings (the
/// text need not be well-formed).
pub(crate) fn deeper_than(text: &str, max: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'"' => {
                i = string_end(bytes, i);
                continue;
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return Some(i);
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The offset just past the string literal opening at `start`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Whether a member name may appear in an error path: a FHIR element name
/// such as `valueString` or `_start`, never free text.
fn is_element_name(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Where a value sits in its parent.
#[derive(Clone, Copy)]
enum Segment<'a> {
    Root,
    Index(usize),
    Key(&'a str),
}

/// The children of a container still to visit.
enum Children<'a> {
    Array(std::iter::Enumerate<std::slice::Iter<'a, Value>>),
    Object(serde_json::map::Iter<'a>),
}

/// A container being visited: where it sits and what is left of it.
struct Frame<'a> {
    segment: Segment<'a>,
    children: Children<'a>,
}

/// One pass over a value: an explicit stack of containers, the compact
/// JSON size so far, the errors so far.
struct Walk<'a> {
    field: &'a str,
    stack: Vec<Frame<'a>>,
    bytes: usize,
    errors: Vec<FieldError>,
    reported_depth: bool,
}

impl<'a> Walk<'a> {
    fn new(field: &'a str) -> Self {
        Self {
            field,
            stack: Vec::new(),
            bytes: 0,
            errors: Vec::new(),
            reported_depth: false,
        }
    }

    /// Walks `root`; the walk stops early past the size or error bounds.
    fn run(mut self, root: &'a Value) -> Self {
        let mut next = Some((Segment::Root, root));
        loop {
            if let Some((segment, value)) = next.take() {
                self.visit(segment, value);
                if self.bytes > MAX_DOCUMENT_BYTES {
                    self.errors.push(too_large(self.field));
                    break;
                }
                if self.errors.len() >= MAX_DOCUMENT_ERRORS {
                    break;
                }
            }
            let Some(frame) = self.stack.last_mut() else {
                break;
            };
            match &mut frame.children {
                Children::Array(items) => match items.next() {
                    Some((i, item)) => next = Some((Segment::Index(i), item)),
                    None => {
                        self.stack.pop();
                    }
                },
                Children::Object(members) => match members.next() {
                    Some((key, member)) => {
                        // `"key":` (the comma is counted with the object).
                        self.bytes = self.bytes.saturating_add(escaped_len(key) + 3);
                        if key.len() > MAX_DOCUMENT_STRING_BYTES {
                            let at = self.path(None);
                            self.errors.push(too_long(at));
                        }
                        next = Some((Segment::Key(key), member));
                    }
                    None => {
                        self.stack.pop();
                    }
                },
            }
        }
        self.errors.truncate(MAX_DOCUMENT_ERRORS);
        self
    }

    /// Counts one value and, for a container within the bounds, stacks it.
    fn visit(&mut self, segment: Segment<'a>, value: &'a Value) {
        let (len, children) = match value {
            Value::Null | Value::Bool(true) => (4, None),
            Value::Bool(false) => (5, None),
            Value::Number(n) => (display_len(n), None),
            Value::String(s) => {
                if s.len() > MAX_DOCUMENT_STRING_BYTES {
                    let at = self.path(Some(segment));
                    self.errors.push(too_long(at));
                    (s.len().saturating_add(2), None)
                } else {
                    (escaped_len(s) + 2, None)
                }
            }
            Value::Array(items) => (
                2 + items.len().saturating_sub(1),
                Some((items.len(), Children::Array(items.iter().enumerate()))),
            ),
            Value::Object(members) => (
                2 + members.len().saturating_sub(1),
                Some((members.len(), Children::Object(members.iter()))),
            ),
        };
        self.bytes = self.bytes.saturating_add(len);
        let Some((count, children)) = children else {
            return;
        };
        if self.stack.len() >= MAX_DOCUMENT_DEPTH {
            if !self.reported_depth {
                self.reported_depth = true;
                self.errors.push(too_deep(self.field));
            }
        } else if count > MAX_DOCUMENT_ITEMS {
            let at = self.path(Some(segment));
            self.errors.push(too_many(at));
        } else {
            self.stack.push(Frame { segment, children });
        }
    }

    /// The path of the stacked containers, then `last`; the document's
    /// name when that is empty.
    fn path(&self, last: Option<Segment<'_>>) -> String {
        let mut out = String::new();
        let segments = self.stack.iter().map(|f| f.segment).chain(last);
        for segment in segments {
            match segment {
                Segment::Root => {}
                Segment::Index(i) => {
                    let _ = write!(out, "[{i}]");
                }
                Segment::Key(key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(if is_element_name(key) { key } else { "*" });
                }
            }
        }
        if out.is_empty() {
            self.field.to_owned()
        } else {
            out
        }
    }
}

/// Bytes of `s` as a JSON string body, escapes included (as serde_json
/// writes it).
fn escaped_len(s: &str) -> usize {
    s.bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0x00..=0x1f => 6,
            _ => 1,
        })
        .sum()
}

/// Bytes of a number as JSON.
fn display_len(n: &serde_json::Number) -> usize {
    struct Count(usize);
    impl fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = write!(count, "{n}");
    count.0
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// `[[…[leaf]…]]` with `depth` levels, built without recursion.
    fn nested(depth: usize, leaf: Value) -> Value {
        let mut value = leaf;
        for _ in 0..depth {
            value = Value::Array(vec![value]);
        }
        value
    }

    fn codes(result: Result<()>) -> Vec<(String, String)> {
        match result {
            Ok(()) => Vec::new(),
            Err(Error::Validation { fields }) => {
                fields.into_iter().map(|f| (f.field, f.code)).collect()
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn the_compact_size_counts_what_serde_json_writes() {
        let value = json!({
            "a": [1, -2.5, 1e300, true, false, null, "q\"\\\n\u{1}\u{7f}é"],
            "b": {"c": {}, "d": [], "e\t": [[]]},
        });
        let walk = Walk::new("doc").run(&value);
        assert!(walk.errors.is_empty());
        assert_eq!(walk.bytes, serde_json::to_string(&value).unwrap().len());
    }

    #[test]
    fn depth_is_counted_from_the_document_itself() {
        assert!(check_value(&nested(MAX_DOCUMENT_DEPTH, json!(1)), "doc").is_ok());
        assert_eq!(
            codes(check_value(
                &nested(MAX_DOCUMENT_DEPTH + 1, json!(1)),
                "doc"
            )),
            vec![("doc".to_owned(), "too_deep".to_owned())]
        );
    }

    #[test]
    fn a_value_far_too_deep_is_refused_and_dropped_without_recursion() {
        let deep = nested(100_000, json!({}));
        assert_eq!(
            codes(check_value(&deep, "resource")),
            vec![("resource".to_owned(), "too_deep".to_owned())]
        );
        dismantle(deep);
    }

    #[test]
    fn long_strings_and_long_lists_name_their_path() {
        let value = json!({
            "text": {"div": "x".repeat(MAX_DOCUMENT_STRING_BYTES + 1)},
            "extension": vec![0; MAX_DOCUMENT_ITEMS + 1],
            "contained": [{"free text key": "y".repeat(MAX_DOCUMENT_STRING_BYTES + 1)}],
        });
        let mut found = codes(check_value(&value, "resource"));
        found.sort();
        assert_eq!(
            found,
            vec![
                ("contained[0].*".to_owned(), "too_long".to_owned()),
                ("extension".to_owned(), "too_many".to_owned()),
                ("text.div".to_owned(), "too_long".to_owned()),
            ]
        );
    }

    #[test]
    fn a_document_over_the_size_is_too_large() {
        let strings = MAX_DOCUMENT_BYTES / MAX_DOCUMENT_STRING_BYTES + 1;
        let value = json!({"a": vec!["z".repeat(MAX_DOCUMENT_STRING_BYTES); strings]});
        assert_eq!(
            codes(check_value(&value, "resource")),
            vec![("resource".to_owned(), "too_large".to_owned())]
        );
    }

    #[test]
    fn text_is_bounded_before_serde_reads_it() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(
            codes(parse_text(&deep, "resource").map(|_| ())),
            vec![("resource".to_owned(), "too_deep".to_owned())]
        );
        let large = format!("\"{}\"", "a".repeat(MAX_DOCUMENT_BYTES));
        assert_eq!(
            codes(parse_text(&large, "resource").map(|_| ())),
            vec![("resource".to_owned(), "too_large".to_owned())]
        );
        assert_eq!(
            codes(parse_text("{\"a\": ", "resource").map(|_| ())),
            vec![("resource".to_owned(), "invalid_format".to_owned())]
        );
        // Brackets inside strings are text, not nesting.
        let quoted = format!("{{\"a\": \"{}\\\"\"}}", "[".repeat(1000));
        assert!(parse_text(&quoted, "resource").is_ok());
    }

    #[test]
    fn arguments_name_the_argument_that_nests_too_deep() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let args = format!("{{\"actor\": {{\"id\": \"x\"}}, \"resource\": {deep}}}");
        assert_eq!(
            codes(check_arguments(&args)),
            vec![("resource".to_owned(), "too_deep".to_owned())]
        );
        let fits = nested(MAX_DOCUMENT_DEPTH, json!(1)).to_string();
        assert!(check_arguments(&format!("{{\"resource\": {fits}}}")).is_ok());
        let odd = format!("{{\"not a name\": {deep}}}");
        assert_eq!(
            codes(check_arguments(&odd)),
            vec![("(input)".to_owned(), "too_deep".to_owned())]
        );
    }
}
