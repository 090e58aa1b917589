//! A format-neutral view of a policy document: every value and key with the
//! byte offset where it starts, so errors can name the line and column.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

use crate::limits::MAX_DOCUMENT_DEPTH;

/// A value and where it starts in the text.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    /// Byte offset of the value.
    pub offset: usize,
    /// The value.
    pub kind: Kind,
}

/// The shapes a document value can take (only strings, integers, arrays and
/// tables are meaningful in a policy; the rest keep only their type name).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// Any other scalar: its type name.
    Other(&'static str),
    /// An array.
    Array(Vec<Node>),
    /// A table (JSON object), entries in document order.
    Table(Vec<Entry>),
}

/// One key of a table with its value.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Entry {
    /// The key.
    pub key: String,
    /// Byte offset of the key.
    pub key_offset: usize,
    /// The value.
    pub value: Node,
}

/// A document that is not even well-formed TOML or JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The parser's message, lowercased, without location or final period.
    pub message: String,
}

/// 1-based line and column (in characters) of a byte offset in `text`.
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut column = 1;
    for (i, c) in text.char_indices() {
        if i >= offset {
            break;
        }
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

/// Lowercases the first letter, keeps the first line, drops a final period.
fn tidy(message: &str) -> String {
    let first = message.lines().next().unwrap_or_default().trim();
    let first = first.strip_suffix('.').unwrap_or(first);
    let mut chars = first.chars();
    match (chars.next(), chars.clone().next()) {
        (None, _) => "malformed document".to_owned(),
        // Keep acronyms such as `EOF` intact.
        (Some(c), Some(next)) if next.is_uppercase() => format!("{c}{}", chars.as_str()),
        (Some(c), _) => c.to_lowercase().chain(chars).collect(),
    }
}

/// The offset of the first array or table nested deeper than `max` (the
/// root is level 1), found without recursion.
pub(super) fn deeper_than(root: &Node, max: usize) -> Option<usize> {
    let mut stack = vec![(root, 1usize)];
    while let Some((node, depth)) = stack.pop() {
        let children: Vec<&Node> = match &node.kind {
            Kind::Array(items) => items.iter().collect(),
            Kind::Table(entries) => entries.iter().map(|e| &e.value).collect(),
            _ => continue,
        };
        if depth > max {
            return Some(node.offset);
        }
        // Reversed, so the first child in the document is looked at first.
        stack.extend(children.into_iter().rev().map(|c| (c, depth + 1)));
    }
    None
}

/// Parses TOML, keeping the span of every key and value.
pub(super) fn parse_toml(text: &str) -> Result<Node, SyntaxError> {
    toml::from_str::<Node>(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let (line, column) = line_col(text, offset);
        // Datetimes reach the visitor as a private marker table whose key
        // cannot carry a span: report them plainly.
        let message = if e.message().contains("$__toml_private_datetime") {
            "dates and times are not allowed in a policy".to_owned()
        } else {
            tidy(e.message())
        };
        SyntaxError {
            line,
            column,
            message,
        }
    })
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Kind>::deserialize(deserializer)?;
        Ok(Node {
            offset: spanned.span().start,
            kind: spanned.into_inner(),
        })
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(KindVisitor)
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = Kind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a policy document value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Kind, E> {
        Ok(Kind::Other("boolean"))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Kind, E> {
        Ok(Kind::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Kind, E> {
        Ok(i64::try_from(v).map_or(Kind::Other("integer"), Kind::Int))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Kind, E> {
        Ok(Kind::Other("float"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Kind, E> {
        Ok(Kind::Str(v.to_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Kind::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<Spanned<String>, Node>()? {
            entries.push(Entry {
                key_offset: key.span().start,
                key: key.into_inner(),
                value,
            });
        }
        Ok(Kind::Table(entries))
    }
}

/// Parses JSON: the nesting is bounded first (serde_json's syntax check
/// below does not bound it, and the scan recurses once per level), then
/// serde_json checks the syntax (and reports its own line and column), then
/// a scan of the now well-formed text records offsets.
pub(super) fn parse_json(text: &str) -> Result<Node, SyntaxError> {
    if let Some(offset) = crate::document::deeper_than(text, MAX_DOCUMENT_DEPTH) {
        let (line, column) = line_col(text, offset);
        return Err(SyntaxError {
            line,
            column,
            message: format!("at most {MAX_DOCUMENT_DEPTH} levels of nesting"),
        });
    }
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full);
        return Err(SyntaxError {
            line: e.line().max(1),
            column: e.column().max(1),
            message: tidy(message),
        });
    }
    let mut scan = Scan { text, pos: 0 };
    scan.value().ok_or_else(|| {
        let (line, column) = line_col(text, scan.pos);
        SyntaxError {
            line,
            column,
            message: "malformed json".to_owned(),
        }
    })
}

/// A cursor over JSON text already known to be well-formed and at most
/// [`MAX_DOCUMENT_DEPTH`] deep (it recurses once per level); leaves are
/// decoded by serde_json so escapes and numbers follow the standard.
struct Scan<'a> {
    text: &'a str,
    pos: usize,
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
    }

    /// Consumes `byte` (after whitespace) if it is next.
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_ws();
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn value(&mut self) -> Option<Node> {
        self.skip_ws();
        let offset = self.pos;
        let kind = match self.peek()? {
            b'{' => {
                self.pos += 1;
                let mut entries = Vec::new();
                while !self.eat(b'}') {
                    self.eat(b',');
                    self.skip_ws();
                    let key_offset = self.pos;
                    let key = self.string()?;
                    if !self.eat(b':') {
                        return None;
                    }
                    let value = self.value()?;
                    entries.push(Entry {
                        key,
                        key_offset,
                        value,
                    });
                }
                Kind::Table(entries)
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                while !self.eat(b']') {
                    self.eat(b',');
                    items.push(self.value()?);
                }
                Kind::Array(items)
            }
            b'"' => Kind::Str(self.string()?),
            _ => {
                while !matches!(
                    self.peek(),
                    None | Some(b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n')
                ) {
                    self.pos += 1;
                }
                let literal = self.text.get(offset..self.pos)?;
                match serde_json::from_str::<serde_json::Value>(literal).ok()? {
                    serde_json::Value::Number(n) => {
                        n.as_i64().map_or(Kind::Other("number"), Kind::Int)
                    }
                    serde_json::Value::Bool(_) => Kind::Other("boolean"),
                    _ => Kind::Other("null"),
                }
            }
        };
        Some(Node { offset, kind })
    }

    /// Consumes a string literal and decodes it.
    fn string(&mut self) -> Option<String> {
        let start = self.pos;
        if self.peek()? != b'"' {
            return None;
        }
        self.pos += 1;
        loop {
            match self.peek()? {
                b'\\' => self.pos += 2,
                b'"' => break,
                _ => self.pos += 1,
            }
        }
        self.pos += 1;
        serde_json::from_str(self.text.get(start..self.pos)?).ok()
    }
}
