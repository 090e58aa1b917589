//! Patient search: the host's query, its normalized store form, and pages.

use crate::Count32;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ids::PatientId;
use crate::patient::{Gender, Patient};

/// Default page size.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page a caller may ask for.
pub const MAX_LIMIT: u32 = 500;

/// What a host searches by; every given criterion must match (AND).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = [])))]
pub struct PatientQuery {
    /// Name prefix(es), case- and accent-insensitive; each word must
    /// prefix-match one of the patient's name parts ("jose" finds "José").
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub name: Option<String>,
    /// Exact birth date.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[serde(deserialize_with = "crate::instant::strict::option_date")]
    pub birth_date: Option<NaiveDate>,
    /// Identifier system (optional) …
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub identifier_system: Option<String>,
    /// … and value (exact).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub identifier_value: Option<String>,
    /// Phone number; punctuation is ignored.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub phone: Option<String>,
    /// Email address; case is ignored.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub email: Option<String>,
    /// Administrative gender.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub gender: Option<Gender>,
    /// Active flag; `None` finds both.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub active: Option<bool>,
    /// Page size (default 50, at most 500).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub limit: Option<Count32>,
    /// Cursor from the previous page's `next_cursor`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub cursor: Option<String>,
}

/// One page of a practitioner's patients: how many, where the previous
/// page stopped, and whether inactive patients are listed too.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PageQuery {
    /// Page size (default 20, at most 500).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub limit: Option<Count32>,
    /// Cursor from the previous page's `next_cursor`.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub cursor: Option<String>,
    /// List inactive (deactivated) patients too; by default "my patients"
    /// are those cared for today. A merged-away record is never listed: its
    /// survivor is, when on the care team.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub include_inactive: bool,
}

/// Default size of a [`PageQuery`] page: a screenful of "my patients".
pub const DEFAULT_PAGE_LIMIT: u32 = 20;

/// A normalized search the store executes with its indexes.
/// Built by core from a [`PatientQuery`]; stores never normalize themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatientSearch {
    /// Folded name prefixes; each must prefix-match some folded name token.
    pub name_prefixes: Vec<String>,
    /// Exact birth date.
    pub birth_date: Option<NaiveDate>,
    /// Identifier system, when given.
    pub identifier_system: Option<String>,
    /// Identifier value (exact).
    pub identifier_value: Option<String>,
    /// Normalized phone key (see [`crate::patient::normalize::phone_key`]).
    pub phone: Option<String>,
    /// Normalized email key.
    pub email: Option<String>,
    /// Gender.
    pub gender: Option<Gender>,
    /// Active flag.
    pub active: Option<bool>,
    /// Keyset cursor: only rows strictly after it in the page order.
    pub after: Option<SearchPosition>,
    /// Maximum rows to return (core asks for page size + 1).
    pub limit: u32,
}

/// Where a row sits in a search's page order, and so where a page stops.
///
/// A search by name is ordered by `(name_key, id)`: the name key is the
/// smallest of the patient's stored name tokens that starts with
/// `name_prefixes[0]` (core puts the longest prefix first, the most
/// selective, so it drives the store's index). Every other search is
/// ordered by id. Either way a store walks its key index in page order and
/// stops after `limit` rows, so a page costs the page, never every match:
/// the common prefix "s" among a million patients reads 51 rows, not
/// 100,000 sorted ones.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SearchPosition {
    /// The name key (`None` when the search has no name).
    pub name_key: Option<String>,
    /// The patient's id (UUID v7, so ties follow registration order).
    pub id: PatientId,
}

/// How many name-token rows a store counts per typed word, at most, to
/// choose which word's range a search by several words walks
/// ([`word_to_walk`]). Counting is a short covering-index scan; walking a
/// word's range costs an index probe per row.
pub const NAME_WORD_COUNT_CAP: u64 = 2_000;

/// Which typed word a store walks for a search by several words, given
/// each word's count of matching name-token rows (capped at
/// [`NAME_WORD_COUNT_CAP`], in `name_prefixes` order): `0`, the driving
/// word, walked in page order and stopping at the page, unless another
/// word matches fewer rows than it. Then the rarest word is walked whole
/// (at most the cap, since it counted below the driver's count) and its
/// patients that match every word are sorted by name key: "Keten García"
/// reads the thousand "keten…" rows instead of walking a hundred thousand
/// "garcía…" rows for the few that are also a Keten.
pub fn word_to_walk(counts: &[u64]) -> usize {
    let Some((&driver, others)) = counts.split_first() else {
        return 0;
    };
    others
        .iter()
        .enumerate()
        .filter(|(_, &count)| count < driver)
        .min_by_key(|(_, &count)| count)
        .map_or(0, |(i, _)| i + 1)
}

/// A patient a search found, with its place in the page order.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// The stored record.
    pub patient: Patient,
    /// The name key it was found by (`None` when the search has no name).
    pub name_key: Option<String>,
}

impl SearchHit {
    /// Where this hit sits in the page order (a next page starts after it).
    pub fn position(&self) -> SearchPosition {
        SearchPosition {
            name_key: self.name_key.clone(),
            id: self.patient.id,
        }
    }
}

/// One page of patients: by name key then id when the search has a name,
/// by id otherwise (see [`SearchPosition`]); stable under concurrent
/// inserts, because a cursor names a position, not an offset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PatientPage {
    /// The patients of this page.
    pub items: Vec<Patient>,
    /// Pass back as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::{word_to_walk, NAME_WORD_COUNT_CAP};

    #[test]
    fn a_search_walks_its_driving_word_when_no_other_word_is_rarer() {
        assert_eq!(word_to_walk(&[]), 0);
        assert_eq!(word_to_walk(&[12]), 0);
        assert_eq!(word_to_walk(&[12, 12]), 0);
        assert_eq!(word_to_walk(&[12, 40]), 0);
    }

    #[test]
    fn a_search_walks_the_rarest_word_when_it_matches_fewer_rows_than_the_driver() {
        assert_eq!(word_to_walk(&[NAME_WORD_COUNT_CAP, 900, 30]), 2);
        assert_eq!(word_to_walk(&[NAME_WORD_COUNT_CAP, 30, 30]), 1);
    }

    #[test]
    fn words_that_all_reach_the_cap_walk_the_driver_in_page_order() {
        let cap = NAME_WORD_COUNT_CAP;
        assert_eq!(word_to_walk(&[cap, cap, cap]), 0);
    }
}
