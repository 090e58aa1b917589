//! What a host asks of the record and gets back: a timeline query, a
//! query of one code across patients, and pages of entries with a stable
//! cursor. Every field is bounded here before a store sees it.

use crate::Count32;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::{ClinicalEntry, Coding, EntryKind, EntryPosition};
use crate::ids::EntryId;
use crate::limits::{MAX_CODE_CHARS, MAX_CURSOR_CHARS, MAX_TEXT_CHARS};
use crate::validation::Errors;
use crate::{Error, Result};

/// Default size of a page of entries: a screenful of a timeline.
pub const DEFAULT_ENTRY_LIMIT: u32 = 50;

/// Largest page of entries a host may ask for.
pub const MAX_ENTRY_LIMIT: u32 = 500;

/// Most codes one "latest observations" read may name.
pub const MAX_LATEST_CODES: usize = 100;

/// One patient's timeline: filters and a page. Current versions only
/// unless `include_retracted`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TimelineQuery {
    /// Only these kinds (empty: every kind the actor sees).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub kinds: Vec<EntryKind>,
    /// Only entries with this code (its `display` is ignored).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub code: Option<Coding>,
    /// Effective at or after.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub from: Option<DateTime<Utc>>,
    /// Effective before.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub to: Option<DateTime<Utc>>,
    /// List retracted entries too (as their retracting version).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub include_retracted: bool,
    /// Cursor from the previous page's `next_cursor`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub cursor: Option<String>,
    /// Page size (default 50, at most 500).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub limit: Option<Count32>,
}

/// Observations of one code across the patients the actor may see, in a
/// time range, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ObservationQuery {
    /// The observation code (its `display` is ignored).
    pub code: Coding,
    /// Effective at or after.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub from: Option<DateTime<Utc>>,
    /// Effective before.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub to: Option<DateTime<Utc>>,
    /// Cursor from the previous page's `next_cursor`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub cursor: Option<String>,
    /// Page size (default 50, at most 500).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub limit: Option<Count32>,
}

/// A page of entries, in time order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EntryPage {
    /// The entries, as the actor may see them.
    pub items: Vec<ClinicalEntry>,
    /// Pass back as `cursor` for the next page; `None` on the last page.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub next_cursor: Option<String>,
}

/// The cursor after `position`: `e1:<effective>:<id>`, base64url so hosts
/// treat it as opaque.
pub fn entry_cursor(position: &EntryPosition) -> String {
    let text = format!(
        "e1:{}:{}",
        position
            .effective_at
            .to_rfc3339_opts(SecondsFormat::Micros, true),
        position.id
    );
    URL_SAFE_NO_PAD.encode(text)
}

/// Reads a cursor [`entry_cursor`] wrote; anything else is `validation`
/// `invalid_cursor` on `cursor`.
pub fn parse_entry_cursor(cursor: &str) -> Result<EntryPosition> {
    let bad = || {
        Error::invalid(
            "cursor",
            "invalid_cursor",
            "cursor is not one this api returned",
        )
    };
    if cursor.len() > MAX_CURSOR_CHARS {
        return Err(bad());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let rest = text.strip_prefix("e1:").ok_or_else(bad)?;
    let (at, id) = rest.rsplit_once(':').ok_or_else(bad)?;
    let effective_at = DateTime::parse_from_rfc3339(at)
        .map_err(|_| bad())?
        .with_timezone(&Utc);
    let id: EntryId = id.parse().map_err(|_| bad())?;
    Ok(EntryPosition { effective_at, id })
}

/// A page's limit, or the default (`out_of_range` on `limit`).
pub(crate) fn page_limit(errors: &mut Errors, limit: Option<u32>) -> u32 {
    let limit = limit.unwrap_or(DEFAULT_ENTRY_LIMIT);
    if limit == 0 || limit > MAX_ENTRY_LIMIT {
        errors.add(
            "limit",
            "out_of_range",
            format!("limit must be between 1 and {MAX_ENTRY_LIMIT}"),
        );
    }
    limit
}

/// A cursor's position, its problem collected.
pub(crate) fn page_after(errors: &mut Errors, cursor: Option<&str>) -> Option<EntryPosition> {
    match cursor.map(parse_entry_cursor) {
        None => None,
        Some(Ok(position)) => Some(position),
        Some(Err(Error::Validation { fields })) => {
            fields.into_iter().for_each(|f| errors.push(f));
            None
        }
        Some(Err(_)) => None,
    }
}

/// A code a read filters on, bounded: `(system, code)`.
pub(crate) fn code_filter(errors: &mut Errors, field: &str, coding: &Coding) -> (String, String) {
    if coding.system.is_empty() || coding.system.chars().count() > MAX_TEXT_CHARS {
        errors.add(
            format!("{field}.system"),
            "out_of_range",
            format!("must have 1 to {MAX_TEXT_CHARS} characters"),
        );
    }
    if coding.code.is_empty() || coding.code.chars().count() > MAX_CODE_CHARS {
        errors.add(
            format!("{field}.code"),
            "out_of_range",
            format!("must have 1 to {MAX_CODE_CHARS} characters"),
        );
    }
    (coding.system.clone(), coding.code.clone())
}

/// A time range's problem: `to` not after `from`.
pub(crate) fn range_check(
    errors: &mut Errors,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) {
    if let (Some(from), Some(to)) = (from, to) {
        if to <= from {
            errors.add("to", "out_of_range", "must be after from");
        }
    }
}

/// The next cursor of a page read with one extra entry: trims `found` to
/// `limit` and names the last position when there was more.
pub(crate) fn paged(
    mut found: Vec<ClinicalEntry>,
    limit: u32,
) -> (Vec<ClinicalEntry>, Option<String>) {
    if found.len() > limit as usize {
        found.truncate(limit as usize);
        let next = found.last().map(|e| entry_cursor(&e.position()));
        (found, next)
    } else {
        (found, None)
    }
}
