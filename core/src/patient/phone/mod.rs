//! Phone numbers read from a table instead of libphonenumber's run-time
//! regex engine: the same reading the `phonenumber` crate (0.3.10, metadata
//! 9.0.33) gives carebase's inputs — text of digits, spaces and `+-().`
//! (see [`is_phone_text`](super::normalize::is_phone_text)) — step by step,
//! quirks included, so every number is accepted, refused and keyed exactly
//! as before. `metadata.rs` is generated from the crate's metadata by
//! `tools/phone-metadata`; the tests in `tests.rs` hold the reader to the
//! crate itself for every region.
//!
//! The one place the crate is not followed: where it panics (a national
//! number with a clinic region that has no numbering plan of its own, or a
//! prefix transform whose first group took no part), the reader reads no
//! number.

// Generated (tools/phone-metadata): kept as written, one entry a line.
#[rustfmt::skip]
mod metadata;
mod pattern;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use metadata::{CODES, IDS, REGIONS};
use pattern::Pattern;

/// Where a pattern of the table lies: its address and length. The table's
/// patterns are static text, so this names one pattern for the life of the
/// process, and hashing it does not read the text (some patterns are over a
/// thousand characters, and a registration looks up dozens of them).
type PatternAt = (usize, usize);

/// Each pattern of the table, compiled (`None`: syntax the matcher refuses).
type Compiled = HashMap<PatternAt, Option<Arc<Pattern>>>;

/// Patterns of the table, compiled once each: a registration reads its
/// phones through several of them, and compiling one costs more than
/// matching it. The table is static, so the cache holds at most its
/// patterns (one text the compiler placed twice is compiled twice); a
/// poisoned lock still holds whole entries (each is inserted in one step),
/// so it is used as is.
fn compiled(source: &'static str) -> Option<Arc<Pattern>> {
    static CACHE: OnceLock<RwLock<Compiled>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| RwLock::new(HashMap::new()));
    let at: PatternAt = (source.as_ptr() as usize, source.len());
    if let Some(found) = cache
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&at)
    {
        return found.clone();
    }
    let pattern = Pattern::new(source).map(Arc::new);
    cache
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(at, pattern.clone());
    pattern
}

/// A number kind's description: the lengths its numbers have (bit n:
/// length n; all bits when the metadata lists none) and the pattern a
/// number's start must match.
pub(super) struct Desc {
    lengths: u32,
    pattern: &'static str,
}

/// One metadata entry (a region, or a non-geographic `001` entry).
pub(super) struct Region {
    /// ISO 3166 alpha-2 id, `001` for a non-geographic entry.
    #[allow(dead_code)]
    id: &'static str,
    /// Country calling code.
    code: u16,
    /// The national prefix (`0` in GB).
    national_prefix: Option<&'static str>,
    /// The pattern of what to strip from a national number.
    prefix_for_parsing: Option<&'static str>,
    /// What replaces the stripped part (`$1` groups), if anything.
    transform: Option<&'static str>,
    /// The international (IDD) prefix pattern (`011` in the US).
    idd: Option<&'static str>,
    /// The region's general description.
    general: Desc,
    /// The general description's possible lengths (bit n: length n).
    general_lengths: u32,
    /// The general description's local-only lengths.
    general_local: u32,
    /// The first of the general description's possible lengths.
    general_min: u16,
    /// The pattern that picks this region among those sharing its code.
    leading_digits: Option<&'static str>,
    /// Its number kinds, when it shares its code and has no leading digits.
    kinds: &'static [Desc],
}

/// How the crate picks the entry of a number read without a region.
pub(super) enum Lookup {
    /// The code's only entry (`None`: one the crate has no id for).
    One(Option<u16>),
    /// The first of these whose leading digits or number kinds fit.
    Many(&'static [u16]),
}

/// One country calling code.
pub(super) struct Code {
    code: u16,
    /// The lengths (national and local-only) its numbers of any kind have.
    lengths: u32,
    lookup: Lookup,
}

/// A phone number read: its country calling code and its national
/// significant number (digits, an Italian leading zero kept). No `Debug`:
/// it is patient data.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PhoneNumber {
    code: u16,
    national: String,
}

impl PhoneNumber {
    /// The E.164 form (`+442079460000`).
    pub(crate) fn e164(&self) -> String {
        format!("+{}{}", self.code, self.national)
    }

    /// Whether its length is one its country's numbers have, of any kind,
    /// local-only lengths included.
    pub(crate) fn is_possible(&self) -> bool {
        code_of(self.code).is_some_and(|c| has_length(c.lengths, self.national.len()))
    }
}

/// Whether `region` is an id with a numbering plan (`US`, `GB`).
pub(crate) fn is_known_region(region: &str) -> bool {
    matches!(id_of(region), Some(Some(_)))
}

/// The entry an id reads to: `None` for an id the crate does not know,
/// `Some(None)` for one it knows with no numbering plan.
fn id_of(region: &str) -> Option<Option<&'static Region>> {
    let at = IDS.binary_search_by(|(id, _)| id.cmp(&region)).ok()?;
    let (_, entry) = IDS.get(at)?;
    Some(entry.and_then(|i| REGIONS.get(usize::from(i))))
}

fn code_of(code: u16) -> Option<&'static Code> {
    let at = CODES.binary_search_by_key(&code, |c| c.code).ok()?;
    CODES.get(at)
}

fn has_length(lengths: u32, length: usize) -> bool {
    length < 32 && lengths & (1 << length) != 0
}

/// Whether a match of `pattern` starts at the start of `digits`.
fn starts(pattern: &'static str, digits: &str) -> bool {
    compiled(pattern).is_some_and(|p| p.starts(digits.as_bytes()))
}

impl Desc {
    /// The crate's `Descriptor::is_match`: a possible length and a pattern
    /// match at the start.
    fn is_match(&self, digits: &str) -> bool {
        (self.lengths == u32::MAX || has_length(self.lengths, digits.len()))
            && starts(self.pattern, digits)
    }
}

impl Region {
    /// The crate's `validator::length(meta, number, Unknown) == TooShort`.
    fn too_short(&self, length: usize) -> bool {
        if self.general_lengths == 0 || has_length(self.general_local, length) {
            return false;
        }
        length < usize::from(self.general_min)
    }

    /// The crate's `length(…).is_possible()`.
    fn possible_length(&self, length: usize) -> bool {
        self.general_lengths != 0
            && (has_length(self.general_local, length) || has_length(self.general_lengths, length))
    }

    /// The crate's `number_type(meta, digits) != Unknown`.
    fn has_kind(&self, digits: &str) -> bool {
        self.general.is_match(digits) && self.kinds.iter().any(|k| k.is_match(digits))
    }
}

/// Where the country calling code came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// A leading `+`.
    Plus,
    /// The clinic region's international prefix.
    Idd,
    /// The clinic's region.
    Default,
}

/// The text's number as the crate's parsers leave it: the raw national
/// part, and a country code an RFC 3966 reading took after its `+`.
struct Raw<'a> {
    national: &'a str,
    prefix: Option<&'a str>,
}

fn rfc3966_separator(c: char) -> bool {
    matches!(c, '-' | '.' | '(' | ')')
}

/// The crate's RFC 3966 reading (tried first): no spaces; an optional
/// `+code` up to the first separator, then digits and separators to the end.
fn rfc3966(text: &str) -> Option<Raw<'_>> {
    if text.contains(' ') {
        return None;
    }
    let mut national = text;
    let mut prefix = None;
    if let Some(rest) = text.strip_prefix('+') {
        let end = rest.find(rfc3966_separator).unwrap_or(rest.len());
        if end > 0 {
            prefix = Some(&rest[..end]);
            national = &rest[end..];
        }
    }
    let all_number = national
        .chars()
        .all(|c| c.is_ascii_hexdigit() || rfc3966_separator(c));
    (!national.is_empty() && all_number).then_some(Raw { national, prefix })
}

/// The crate's natural-language reading: from the first `+` or digit to the
/// last letter or digit (no extension can be written in carebase's text).
fn natural(text: &str) -> Option<Raw<'_>> {
    let start = text.find(|c: char| c == '+' || c.is_ascii_digit())?;
    let from = &text[start..];
    let end = from
        .rfind(|c: char| c.is_alphanumeric() || c == '#')
        .map_or(0, |i| i + 1);
    let national = &from[..end];
    (!national.is_empty()).then_some(Raw {
        national,
        prefix: None,
    })
}

/// The crate's `is_viable`: two digits alone, or three digits or more among
/// punctuation after leading `+`s.
fn is_viable(national: &str) -> bool {
    if national.len() < 2 {
        return false;
    }
    let short = national.len() == 2 && national.chars().all(|c| c.is_ascii_digit());
    let body = national.trim_start_matches('+');
    let punctuation = |c: char| " -().".contains(c);
    let long = body.chars().filter(char::is_ascii_digit).count() >= 3
        && body.chars().all(|c| c.is_ascii_digit() || punctuation(c));
    short || long
}

fn digits_of(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// Reads `text` as `phonenumber::parse(region, text)` does; `region` is an
/// id as typed (one the crate does not know counts as none).
pub(crate) fn parse(text: &str, region: Option<&str>) -> Option<PhoneNumber> {
    // `Some(entry)` when the crate knows the id.
    let region = region.and_then(id_of);
    let raw = rfc3966(text).or_else(|| natural(text))?;
    if !is_viable(raw.national) {
        return None;
    }
    let (national, code) = country_code(&raw, region)?;
    let meta = match region {
        Some(entry) => entry,
        None => entry_for(code, national.trim_start_matches('0')),
    };
    let mut national = national;
    if let Some(meta) = meta {
        let mut potential = national_number(meta, &national)?;
        if let Some(prefix) = meta.national_prefix {
            if let Some(rest) = potential.strip_prefix(prefix) {
                potential = rest.to_owned();
            }
        }
        if !meta.too_short(potential.len()) {
            national = potential;
        }
    }
    if !(2..=17).contains(&national.len()) {
        return None;
    }
    // `NationalNumber`: leading zeros, then a value under 2^56.
    let value = national.trim_start_matches('0');
    let value: u64 = value.parse().ok()?;
    if value >= 1 << 56 {
        return None;
    }
    Some(PhoneNumber { code, national })
}

/// The crate's `international_prefix` and `country_code`: the country code
/// and the national digits after it: the national digits and the code.
fn country_code(raw: &Raw<'_>, region: Option<Option<&Region>>) -> Option<(String, u16)> {
    let idd = region.flatten().and_then(|r| r.idd);
    let (mut source, mut national) = if raw.prefix.is_some() {
        (Source::Plus, digits_of(raw.national))
    } else if let Some(rest) = raw.national.strip_prefix('+') {
        (Source::Plus, digits_of(rest))
    } else {
        (Source::Default, digits_of(raw.national))
    };
    if raw.prefix.is_none() {
        let found = idd
            .and_then(compiled)
            .and_then(|p| p.at_start(national.as_bytes()));
        if let Some(found) = found {
            if !national[found.end..].starts_with('0') {
                if source != Source::Plus {
                    source = Source::Idd;
                }
                national = national[found.end..].to_owned();
            }
        }
    }
    match source {
        Source::Plus | Source::Idd => {
            if national.len() <= 2 {
                return None;
            }
            if let Some(prefix) = raw.prefix {
                let code: u16 = digits_only(prefix)?.parse().ok()?;
                code_of(code)?;
                return Some((national, code));
            }
            if national.starts_with('0') {
                return None;
            }
            for len in 1..=3 {
                let code: u16 = national.get(..len)?.parse().ok()?;
                if code_of(code).is_some() {
                    return Some((national[len..].to_owned(), code));
                }
            }
            None
        }
        Source::Default => {
            // The crate panics on an id it knows without a numbering plan.
            let meta = region??;
            let code = meta.code.to_string();
            if national.starts_with(&code)
                && (!meta.general.is_match(&national) || !meta.possible_length(national.len()))
            {
                national = national[code.len()..].to_owned();
            }
            Some((national, meta.code))
        }
    }
}

/// `prefix` when it is all ASCII digits (what `u16::from_str` reads).
fn digits_only(prefix: &str) -> Option<&str> {
    prefix.chars().all(|c| c.is_ascii_digit()).then_some(prefix)
}

/// The crate's `validator::source_for`: the entry a number read without a
/// region is read by.
fn entry_for(code: u16, national: &str) -> Option<&'static Region> {
    match code_of(code)?.lookup {
        Lookup::One(entry) => entry.and_then(|i| REGIONS.get(usize::from(i))),
        Lookup::Many(entries) => entries
            .iter()
            .filter_map(|&i| REGIONS.get(usize::from(i)))
            .find(|r| match r.leading_digits {
                Some(leading) => starts(leading, national),
                None => r.has_kind(national),
            }),
    }
}

/// The crate's `national_number`: strips the national prefix (and a
/// carrier code) as the region's prefix-for-parsing pattern says, or
/// rewrites the number by its transform rule. `None` where the crate panics.
fn national_number(meta: &Region, national: &str) -> Option<String> {
    let Some(parsing) = meta.prefix_for_parsing else {
        if let Some(rest) = meta.national_prefix.and_then(|p| national.strip_prefix(p)) {
            return Some(rest.to_owned());
        }
        return Some(national.to_owned());
    };
    let Some(pattern) = compiled(parsing) else {
        return Some(national.to_owned());
    };
    let Some(found) = pattern.at_start(national.as_bytes()) else {
        return Some(national.to_owned());
    };
    // The crate's `c.get(c.len() - 1)`: the last group, or the whole match
    // when the pattern has none.
    let last = match found.groups.last() {
        Some(group) => *group,
        None => Some((0, found.end)),
    };
    match (meta.transform, last) {
        (Some(transform), Some(_)) => {
            let viable = meta.general.is_match(national);
            let mut transformed = expand(transform, national, &found);
            transformed.push_str(&national[found.end..]);
            if viable && !meta.general.is_match(&transformed) {
                return Some(national.to_owned());
            }
            // The crate unwraps the first group here.
            found.groups.first().copied().flatten()?;
            Some(transformed)
        }
        _ => Some(national[found.end..].to_owned()),
    }
}

/// The regex crate's `Captures::expand` of a replacement: `$n`, `${n}` and
/// `$$`; a name is the longest run of letters, digits and `_`; a group that
/// took no part or does not exist gives nothing.
fn expand(template: &str, text: &str, found: &pattern::Found) -> String {
    let group = |name: &str| -> &str {
        let Ok(n) = name.parse::<usize>() else {
            return "";
        };
        let span = if n == 0 {
            Some((0, found.end))
        } else {
            found.groups.get(n - 1).copied().flatten()
        };
        span.and_then(|(s, e)| text.get(s..e)).unwrap_or("")
    };
    let mut out = String::new();
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(close) = after.strip_prefix('{').and_then(|b| b.find('}')) {
            out.push_str(group(&after[1..=close]));
            rest = &after[close + 2..];
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if len == 0 {
                out.push('$');
            } else {
                out.push_str(group(&after[..len]));
            }
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    out
}
