//! Invariants of the health record under random corrections and values.

mod common;

use carebase::Count32;
use std::str::FromStr;

use carebase::record::{EntryBody, RevisionKind, TimelineQuery};
use carebase::store::RecordStore;
use carebase::terminology::interpretation::{Interpretation, Quantity, ReferenceRange};
use common::record::{vital, RecordWorld, BODY_WEIGHT};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(f)
}

/// One correction: amend (with this weight), retract, or a stale amend.
#[derive(Debug, Clone)]
enum Step {
    Amend(u32),
    Retract,
    StaleAmend,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1u32..300).prop_map(Step::Amend),
        Just(Step::Retract),
        Just(Step::StaleAmend),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Every accepted correction adds exactly one version (1, 2, … no gaps,
    /// none lost), and the current view is the last version unless retracted.
    #[test]
    fn an_amendment_never_loses_a_version_and_the_current_view_is_the_last(steps in prop::collection::vec(step(), 0..8)) {
        block_on(async {
            let r = RecordWorld::new().await;
            let clinic = &r.world.clinic;
            let doctor = &r.world.doctor;
            let first = r.record(r.new_entry(vital(BODY_WEIGHT, "70", "kg"))).await;
            let mut accepted = 1u32;
            for s in steps {
                let result = match s {
                    Step::Amend(kg) => clinic
                        .amend_entry(doctor, r.patient.id, first.id, Count32::new(accepted), &vital(BODY_WEIGHT, &kg.to_string(), "kg"), "fix")
                        .await,
                    Step::Retract => clinic
                        .retract_entry(doctor, r.patient.id, first.id, Count32::new(accepted), "wrong patient")
                        .await,
                    Step::StaleAmend => clinic
                        .amend_entry(doctor, r.patient.id, first.id, Count32::new(accepted.saturating_sub(1)), &vital(BODY_WEIGHT, "1", "kg"), "stale")
                        .await,
                };
                if result.is_ok() {
                    accepted += 1;
                }
            }
            let versions = r.world.store.entry_versions(r.patient.id, first.id).await.unwrap();
            let numbers: Vec<u32> = versions.iter().map(|v| v.version.get()).collect();
            prop_assert_eq!(numbers, (1..=accepted).collect::<Vec<_>>());
            let last = versions.last().cloned().unwrap();
            let page = clinic
                .patient_timeline(doctor, r.patient.id, &TimelineQuery::default())
                .await
                .unwrap();
            if last.revision.kind == RevisionKind::Retracted {
                prop_assert!(page.items.is_empty());
            } else {
                prop_assert_eq!(page.items, vec![last]);
            }
            Ok(())
        })?;
    }

    /// The stored flag agrees with comparing the value to the range in a
    /// common unit, whatever units the two are given in.
    #[test]
    fn the_interpretation_agrees_with_the_range_across_units(grams in 1u32..200_000, low_kg in 1u32..100, width in 1u32..100, range_in_pounds in any::<bool>()) {
        block_on(async {
            let r = RecordWorld::new().await;
            let high_kg = low_kg + width;
            let (low, high, unit) = if range_in_pounds {
                // 1 [lb_av] = 0.45359237 kg: bounds written in pounds, compared in kg.
                let lb = |kg: u32| Decimal::from(kg) / Decimal::from_str("0.45359237").unwrap();
                (lb(low_kg).round_dp(6), lb(high_kg).round_dp(6), "[lb_av]")
            } else {
                (Decimal::from(low_kg), Decimal::from(high_kg), "kg")
            };
            let EntryBody::Observation(mut o) = vital(BODY_WEIGHT, &grams.to_string(), "g") else {
                unreachable!()
            };
            o.reference_ranges = vec![ReferenceRange {
                low: Some(Quantity::new(low, unit)),
                high: Some(Quantity::new(high, unit)),
                ..ReferenceRange::default()
            }];
            let entry = r.record(r.new_entry(EntryBody::Observation(o))).await;
            let EntryBody::Observation(stored) = entry.body else { unreachable!() };
            let factor = if range_in_pounds { Decimal::from_str("0.45359237").unwrap() } else { Decimal::ONE };
            let kg = Decimal::from(grams) / Decimal::from(1000);
            let expected = if kg < low * factor {
                Interpretation::Low
            } else if kg > high * factor {
                Interpretation::High
            } else {
                Interpretation::Normal
            };
            prop_assert_eq!(stored.interpretation, Some(expected));
            Ok(())
        })?;
    }
}
