//! Loading a policy document (TOML or JSON) with the line and field at fault.
//!
//! Both formats are first read into a neutral tree that remembers where each
//! key and value starts ([`tree`]); the tree is then converted into a
//! [`Policy`] and checked. Every error is an [`Error::InvalidPolicy`] whose
//! location reads `line L, column C (field.path)`.

mod tree;

use crate::Count32;
use std::collections::HashMap;

use super::{Permission, Policy, Relationship, Rule};
use crate::actor::Role;
use crate::limits::{MAX_DOCUMENT_BYTES, MAX_DOCUMENT_DEPTH};
use crate::patient::PatientField;
use crate::{Error, Result};
use tree::{Entry, Kind, Node};

/// The default policy shipped with carebase (explained rule by rule in its comments).
pub const DEFAULT_POLICY_TOML: &str = include_str!("default_policy.toml");

/// The only document format version.
const VERSION: u32 = 1;

impl Policy {
    /// The default policy ([`DEFAULT_POLICY_TOML`]). Should it ever fail to
    /// load (a bug, caught by the tests), the result denies everything.
    pub fn default_policy() -> Policy {
        Policy::from_toml(DEFAULT_POLICY_TOML).unwrap_or_else(|_| Policy {
            version: Count32::new(VERSION),
            rules: Vec::new(),
        })
    }

    /// Parses and checks a TOML document; errors name the line and field.
    /// At most [`MAX_DOCUMENT_BYTES`] long and [`MAX_DOCUMENT_DEPTH`] deep
    /// (the `toml` parser stops at its own, higher, nesting limit first).
    pub fn from_toml(text: &str) -> Result<Policy> {
        within_size(text)?;
        load(text, tree::parse_toml(text), "table")
    }

    /// Parses and checks a JSON document; errors name the line and field.
    /// At most [`MAX_DOCUMENT_BYTES`] long and [`MAX_DOCUMENT_DEPTH`] deep,
    /// checked on the text before anything parses it.
    pub fn from_json(text: &str) -> Result<Policy> {
        within_size(text)?;
        load(text, tree::parse_json(text), "object")
    }

    /// Checks a policy built in code: version 1, at least one rule, unique
    /// non-empty rule ids, no rule without roles or permissions, `fields`
    /// only on rules granting `patient.read` or `patient.search`. The error
    /// location is the field path.
    pub fn validate(&self) -> Result<()> {
        check(self).map_err(|(path, problem)| Error::InvalidPolicy {
            location: path,
            problem,
        })
    }
}

/// A policy text longer than [`MAX_DOCUMENT_BYTES`] is refused where it
/// crosses the limit.
fn within_size(text: &str) -> Result<()> {
    if text.len() <= MAX_DOCUMENT_BYTES {
        return Ok(());
    }
    let mut cut = MAX_DOCUMENT_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let (line, column) = tree::line_col(text, cut);
    Err(Error::InvalidPolicy {
        location: format!("line {line}, column {column}"),
        problem: format!("a policy document has at most {MAX_DOCUMENT_BYTES} bytes"),
    })
}

/// The error for a value at `offset` nested deeper than [`MAX_DOCUMENT_DEPTH`].
fn too_deep(text: &str, offset: usize) -> Error {
    let (line, column) = tree::line_col(text, offset);
    Error::InvalidPolicy {
        location: format!("line {line}, column {column}"),
        problem: format!("at most {MAX_DOCUMENT_DEPTH} levels of nesting"),
    }
}

/// Converts and checks a parsed document.
fn load(
    text: &str,
    parsed: std::result::Result<Node, tree::SyntaxError>,
    table_word: &'static str,
) -> Result<Policy> {
    let root = parsed.map_err(|e| Error::InvalidPolicy {
        location: format!("line {}, column {}", e.line, e.column),
        problem: e.message,
    })?;
    if let Some(offset) = tree::deeper_than(&root, MAX_DOCUMENT_DEPTH) {
        return Err(too_deep(text, offset));
    }
    let mut loader = Loader {
        text,
        table_word,
        offsets: HashMap::new(),
    };
    let policy = loader.policy(&root)?;
    check(&policy)
        .map_err(|(path, message)| loader.error(loader.offset_of(&path), &path, message))?;
    Ok(policy)
}

/// Semantic checks shared by documents and [`Policy::validate`]; the error
/// is `(field path, message)`.
fn check(policy: &Policy) -> std::result::Result<(), (String, String)> {
    if policy.version != VERSION {
        return Err((
            "version".to_owned(),
            format!(
                "unsupported policy version {}, expected {VERSION}",
                policy.version
            ),
        ));
    }
    if policy.rules.is_empty() {
        return Err(("rules".to_owned(), "policy has no rules".to_owned()));
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, rule) in policy.rules.iter().enumerate() {
        let at = |field: &str| format!("rules[{i}].{field}");
        if rule.id.trim().is_empty() {
            return Err((at("id"), "rule id is empty".to_owned()));
        }
        if let Some(first) = seen.insert(&rule.id, i) {
            return Err((
                at("id"),
                format!("duplicate rule id \"{}\" (also rules[{first}])", rule.id),
            ));
        }
        if rule.roles.is_empty() {
            return Err((at("roles"), "rule has no roles".to_owned()));
        }
        if rule.permissions.is_empty() {
            return Err((at("permissions"), "rule has no permissions".to_owned()));
        }
        let reads = rule
            .permissions
            .iter()
            .any(|p| matches!(p, Permission::PatientRead | Permission::PatientSearch));
        if rule.fields.is_some() && !reads {
            return Err((
                at("fields"),
                "fields only narrow patient.read and patient.search, which this rule does not grant"
                    .to_owned(),
            ));
        }
    }
    Ok(())
}

/// Builds a [`Policy`] from a tree, remembering where each path starts.
struct Loader<'a> {
    text: &'a str,
    /// `table` for TOML, `object` for JSON.
    table_word: &'static str,
    offsets: HashMap<String, usize>,
}

/// Result of one conversion step.
type Step<T> = Result<T>;

impl Loader<'_> {
    fn error(&self, offset: usize, path: &str, message: impl Into<String>) -> Error {
        let (line, column) = tree::line_col(self.text, offset);
        let location = if path.is_empty() {
            format!("line {line}, column {column}")
        } else {
            format!("line {line}, column {column} ({path})")
        };
        Error::InvalidPolicy {
            location,
            problem: message.into(),
        }
    }

    /// Offset of `path`, or of its nearest recorded parent, or the start.
    fn offset_of(&self, path: &str) -> usize {
        let mut path = path;
        loop {
            if let Some(offset) = self.offsets.get(path) {
                return *offset;
            }
            match path.rfind(['.', '[']) {
                Some(cut) => path = &path[..cut],
                None => return 0,
            }
        }
    }

    fn type_name(&self, kind: &Kind) -> &'static str {
        match kind {
            Kind::Str(_) => "string",
            Kind::Int(_) => "integer",
            Kind::Other(name) => name,
            Kind::Array(_) => "array",
            Kind::Table(_) => self.table_word,
        }
    }

    fn wrong_type(&self, node: &Node, path: &str, expected: &str) -> Error {
        let found = self.type_name(&node.kind);
        self.error(
            node.offset,
            path,
            format!("expected {expected}, found {found}"),
        )
    }

    /// The entries of a table, rejecting duplicate and unknown keys.
    fn table<'n>(&mut self, node: &'n Node, path: &str, known: &[&str]) -> Step<&'n [Entry]> {
        self.offsets.insert(path.to_owned(), node.offset);
        let Kind::Table(entries) = &node.kind else {
            let article = if self.table_word.starts_with('o') {
                "an"
            } else {
                "a"
            };
            let expected = format!("{article} {}", self.table_word);
            return Err(self.wrong_type(node, path, &expected));
        };
        for (i, entry) in entries.iter().enumerate() {
            let entry_path = join(path, &entry.key);
            if !known.contains(&entry.key.as_str()) {
                return Err(self.error(
                    entry.key_offset,
                    &entry_path,
                    format!(
                        "unknown key \"{}\" (expected one of: {})",
                        entry.key,
                        known.join(", ")
                    ),
                ));
            }
            if entries[..i].iter().any(|e| e.key == entry.key) {
                let message = format!("duplicate key \"{}\"", entry.key);
                return Err(self.error(entry.key_offset, &entry_path, message));
            }
            self.offsets.insert(entry_path, entry.value.offset);
        }
        Ok(entries)
    }

    fn string(&self, node: &Node, path: &str) -> Step<String> {
        match &node.kind {
            Kind::Str(s) => Ok(s.clone()),
            _ => Err(self.wrong_type(node, path, "a string")),
        }
    }

    /// An array of codes, each parsed by `parse`.
    fn codes<T>(
        &mut self,
        node: &Node,
        path: &str,
        what: &str,
        all: &[&str],
        parse: impl Fn(&str) -> Option<T>,
    ) -> Step<Vec<T>> {
        let Kind::Array(items) = &node.kind else {
            return Err(self.wrong_type(node, path, "an array"));
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            self.offsets.insert(item_path.clone(), item.offset);
            let code = self.string(item, &item_path)?;
            match parse(&code) {
                Some(value) => out.push(value),
                None => {
                    let message = format!(
                        "unknown {what} \"{code}\" (expected one of: {})",
                        all.join(", ")
                    );
                    return Err(self.error(item.offset, &item_path, message));
                }
            }
        }
        Ok(out)
    }

    fn policy(&mut self, root: &Node) -> Step<Policy> {
        let entries = self.table(root, "", &["version", "rules"])?;
        let version = match find(entries, "version") {
            None => return Err(self.error(root.offset, "version", "missing key \"version\"")),
            Some(node) => match node.kind {
                Kind::Int(v) => u32::try_from(v).map_err(|_| {
                    self.error(
                        node.offset,
                        "version",
                        format!("unsupported policy version {v}, expected {VERSION}"),
                    )
                })?,
                _ => return Err(self.wrong_type(node, "version", "an integer")),
            },
        };
        let mut rules = Vec::new();
        if let Some(node) = find(entries, "rules") {
            let Kind::Array(items) = &node.kind else {
                return Err(self.wrong_type(node, "rules", "an array"));
            };
            for (i, item) in items.iter().enumerate() {
                rules.push(self.rule(item, &format!("rules[{i}]"))?);
            }
        }
        Ok(Policy {
            version: Count32::new(version),
            rules,
        })
    }

    fn rule(&mut self, node: &Node, path: &str) -> Step<Rule> {
        const KEYS: [&str; 5] = ["id", "roles", "permissions", "relationship", "fields"];
        let entries = self.table(node, path, &KEYS)?;
        let required = |key: &str| {
            find(entries, key).ok_or_else(|| {
                self.error(
                    node.offset,
                    &join(path, key),
                    format!("missing key \"{key}\""),
                )
            })
        };
        let (id, roles, permissions, relationship) = (
            required("id")?,
            required("roles")?,
            required("permissions")?,
            required("relationship")?,
        );
        let id = self.string(id, &join(path, "id"))?;
        let roles = self.codes(
            roles,
            &join(path, "roles"),
            "role",
            &Role::CODES,
            Role::parse,
        )?;
        let permissions = self.codes(
            permissions,
            &join(path, "permissions"),
            "permission",
            &Permission::CODES,
            Permission::parse,
        )?;
        let relationship_path = join(path, "relationship");
        let code = self.string(relationship, &relationship_path)?;
        let relationship = Relationship::parse(&code).ok_or_else(|| {
            let all = Relationship::CODES.join(", ");
            self.error(
                relationship.offset,
                &relationship_path,
                format!("unknown relationship \"{code}\" (expected one of: {all})"),
            )
        })?;
        let fields = match find(entries, "fields") {
            None => None,
            Some(node) => Some(self.codes(
                node,
                &join(path, "fields"),
                "patient field",
                &PatientField::CODES,
                PatientField::parse,
            )?),
        };
        Ok(Rule {
            id,
            roles,
            permissions,
            relationship,
            fields,
        })
    }
}

/// The value under `key`.
fn find<'n>(entries: &'n [Entry], key: &str) -> Option<&'n Node> {
    entries.iter().find(|e| e.key == key).map(|e| &e.value)
}

/// `parent.key`, or `key` at the top level.
fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}
