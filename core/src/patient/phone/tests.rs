//! The reader against its oracle, the `phonenumber` crate it replaces:
//! for every region and for no region, numbers built from each kind's
//! example in international, IDD and national form (with and without the
//! national prefix, with separators, cut short and run long), and random
//! typed text, must be accepted, refused and keyed alike.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::str::FromStr;

use phonenumber::metadata::DATABASE;
use phonenumber::{country, Mode};
use proptest::prelude::*;

use super::*;
use crate::patient::normalize::is_phone_text;

/// What carebase took from the crate: the E.164 key and whether the length
/// is possible; `Err` where the crate panics.
fn oracle(text: &str, region: Option<&str>) -> Result<Option<(String, bool)>, ()> {
    if !is_phone_text(text) {
        return Ok(None);
    }
    let region = region.and_then(|r| country::Id::from_str(r).ok());
    let run = || {
        phonenumber::parse(region, text).ok().map(|number| {
            let length = number.national().to_string().len();
            let possible = u16::try_from(length).is_ok_and(|length| {
                DATABASE
                    .by_code(&number.code().value())
                    .is_some_and(|regions| {
                        regions.iter().any(|meta| {
                            let d = meta.descriptors();
                            [
                                d.fixed_line(),
                                d.mobile(),
                                d.toll_free(),
                                d.premium_rate(),
                                d.shared_cost(),
                                d.personal_number(),
                                d.voip(),
                                d.pager(),
                                d.uan(),
                                d.voicemail(),
                            ]
                            .into_iter()
                            .flatten()
                            .any(|kind| {
                                kind.possible_length().contains(&length)
                                    || kind.possible_local_length().contains(&length)
                            })
                        })
                    })
            });
            (number.format().mode(Mode::E164).to_string(), possible)
        })
    };
    catch_unwind(AssertUnwindSafe(run)).map_err(|_| ())
}

fn reader(text: &str, region: Option<&str>) -> Option<(String, bool)> {
    if !is_phone_text(text) {
        return None;
    }
    parse(text, region).map(|n| (n.e164(), n.is_possible()))
}

/// The reader's answer where the crate panics is no number.
fn agree(text: &str, region: Option<&str>) -> Result<(), String> {
    let expected = oracle(text, region).unwrap_or(None);
    let got = reader(text, region);
    if expected == got {
        Ok(())
    } else {
        Err(format!(
            "{text:?} in {region:?}: crate {expected:?}, reader {got:?}"
        ))
    }
}

/// The regions a clinic may set, and no region.
fn regions() -> Vec<Option<&'static str>> {
    let mut all: Vec<Option<&str>> = IDS
        .iter()
        .filter(|(_, entry)| entry.is_some())
        .map(|(id, _)| Some(*id))
        .collect();
    all.push(None);
    all
}

/// Spellings of the national number `n` of `meta`.
fn spellings(meta: &phonenumber::Metadata, n: &str) -> Vec<String> {
    let code = meta.country_code();
    let mut out = vec![
        n.to_owned(),
        format!("+{code}{n}"),
        format!("+{code} {n}"),
        format!("+{code}-{n}"),
        format!("{code}{n}"),
        format!("00{code}{n}"),
        format!("011 {code} {n}"),
        format!("+00{code}{n}"),
    ];
    if let Some(prefix) = meta.national_prefix() {
        out.push(format!("{prefix}{n}"));
        out.push(format!(
            "({prefix}{}) {}",
            &n[..n.len().min(3)],
            &n[n.len().min(3)..]
        ));
        out.push(format!("+{code} ({prefix}){n}"));
    }
    if let Some(idd) = meta.preferred_international_prefix() {
        out.push(format!("{idd}{code}{n}"));
    }
    // Separated, cut short, run long.
    let dotted: String = n
        .chars()
        .enumerate()
        .flat_map(|(i, c)| (i > 0 && i % 3 == 0).then_some('.').into_iter().chain([c]))
        .collect();
    out.push(dotted.clone());
    out.push(format!("+{code}.{dotted}"));
    for cut in 1..=3 {
        if n.len() > cut {
            out.push(n[..n.len() - cut].to_owned());
            out.push(format!("+{code} {}", &n[..n.len() - cut]));
        }
        out.push(format!("{n}{}", &"987"[..cut]));
        out.push(format!("+{code}{n}{}", &"987"[..cut]));
    }
    out
}

#[test]
fn every_pattern_in_the_table_compiles() {
    for r in REGIONS {
        let patterns = [
            r.prefix_for_parsing,
            r.idd,
            Some(r.general.pattern),
            r.leading_digits,
        ];
        for p in patterns
            .into_iter()
            .flatten()
            .chain(r.kinds.iter().map(|k| k.pattern))
        {
            assert!(Pattern::new(p).is_some(), "{}: {p}", r.id);
        }
    }
}

#[test]
fn every_region_the_settings_accept_is_in_the_table() {
    for a in 'A'..='Z' {
        for b in 'A'..='Z' {
            let id = format!("{a}{b}");
            let crate_knows =
                country::Id::from_str(&id).is_ok() && DATABASE.by_id(id.as_str()).is_some();
            assert_eq!(is_known_region(&id), crate_knows, "{id}");
        }
    }
}

/// Clinic regions whose metadata rewrites or strips national numbers in
/// ways worth asking about every example (transform rules, carrier codes,
/// IDDs that are patterns, the Italian leading zero, shared codes).
const RULED: [&str; 14] = [
    "US", "GB", "DE", "IT", "BR", "AR", "MX", "FR", "RU", "AU", "JP", "IN", "NZ", "SM",
];

#[test]
fn every_kind_example_reads_as_the_crate_reads_it_in_every_region() {
    let all = regions();
    let mut differences = Vec::new();
    let mut asked = 0usize;
    for meta in DATABASE.iter() {
        let d = meta.descriptors();
        // The kinds a clinic writes down most; the rest share their rules.
        let kinds = [Some(d.general()), d.fixed_line(), d.mobile(), d.toll_free()];
        for example in kinds.into_iter().flatten().filter_map(|k| k.example()) {
            for text in spellings(meta, example) {
                // No region, the number's own, the ruled ones, and every
                // region in turn across the spellings.
                asked += 1;
                let turn = all[asked % all.len()];
                let own = Some(meta.id()).filter(|id| id.len() == 2);
                let ruled = RULED.iter().map(|r| Some(*r));
                for region in [None, own, turn].into_iter().chain(ruled) {
                    if let Err(e) = agree(&text, region) {
                        differences.push(e);
                    }
                }
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{} differences, first: {:#?}",
        differences.len(),
        &differences[..differences.len().min(20)]
    );
}

/// Typed text: an optional `+`, digits with separators.
fn typed() -> impl Strategy<Value = String> {
    (
        prop::option::of(prop::sample::select(vec!["+", " +", "+ "])),
        prop::collection::vec(
            (
                "[0-9]{1,4}",
                prop::sample::select(vec!["", " ", "-", ".", "(", ")", " (", ") "]),
            ),
            1..7,
        ),
    )
        .prop_map(|(plus, groups)| {
            let mut text = plus.unwrap_or("").to_owned();
            for (digits, separator) in groups {
                text.push_str(&digits);
                text.push_str(separator);
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn random_typed_text_reads_as_the_crate_reads_it(
        text in typed(),
        region in prop::sample::select(regions()),
    ) {
        prop_assert_eq!(agree(&text, region), Ok(()));
    }

    #[test]
    fn a_number_after_a_country_code_reads_as_the_crate_reads_it(
        code in prop::sample::select(CODES.iter().map(|c| c.code).collect::<Vec<_>>()),
        rest in "[0-9]{2,15}",
        region in prop::sample::select(regions()),
        spaced in any::<bool>(),
    ) {
        let text = if spaced { format!("+{code} {rest}") } else { format!("+{code}{rest}") };
        prop_assert_eq!(agree(&text, region), Ok(()));
        prop_assert_eq!(agree(&format!("00{code}{rest}"), region), Ok(()));
        prop_assert_eq!(agree(&rest, region), Ok(()));
        prop_assert_eq!(agree(&format!("0{rest}"), region), Ok(()));
    }
}
