//! Invariants checked over generated inputs: paging, merge/unmerge, audit tamper.

mod common;

use carebase::{Count32, Count64};
use std::collections::HashSet;

use carebase::audit::{verify_chain, AuditDraft, AuditEntry, AuditKey, ChainRules, Outcome};
use carebase::clinic::NewPatient;
use carebase::patient::{
    ContactPoint, ContactSystem, Gender, HumanName, PatientDetails, PatientQuery,
};
use carebase::store::{AuditStore, ChangeSet};
use carebase::{Actor, ActorId, AuditEntryId, PatientId, Role, Store};
use chrono::NaiveDate;
use common::{actor, clinic, details};
use proptest::prelude::*;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn registration(i: usize) -> NewPatient {
    NewPatient {
        details: details("Paging", &format!("N{i}"), (1990, 1, 1)),
        mrn_facility: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A page never repeats or skips a record, even while others are inserted.
    #[test]
    fn paging_never_skips_or_repeats(initial in 0usize..40, page in 1u32..9, inserts in prop::collection::vec(0usize..4, 0..12)) {
        block_on(async {
            let (clinic, _, _) = clinic();
            let desk = actor(Role::FrontDesk);
            let mut present = Vec::new();
            for i in 0..initial {
                present.push(clinic.register_patient(&desk, registration(i)).await.unwrap().id);
            }
            let mut query = PatientQuery { name: Some("paging".into()), limit: Some(Count32::new(page)), ..PatientQuery::default() };
            let mut seen = Vec::new();
            let mut round = 0;
            loop {
                let result = clinic.search_patients(&desk, &query).await.unwrap();
                seen.extend(result.items.iter().map(|p| p.id));
                for _ in 0..inserts.get(round).copied().unwrap_or(0) {
                    clinic.register_patient(&desk, registration(1000 + round)).await.unwrap();
                }
                round += 1;
                match result.next_cursor {
                    Some(c) => query.cursor = Some(c),
                    None => break,
                }
            }
            let unique: HashSet<_> = seen.iter().collect();
            prop_assert_eq!(unique.len(), seen.len(), "a record was repeated");
            for id in &present {
                prop_assert!(unique.contains(id), "a record present from the start was skipped");
            }
            Ok(())
        })?;
    }

    /// Merge then unmerge gives back exactly the merged record's prior state.
    #[test]
    fn merge_then_unmerge_is_the_identity(
        family in "[A-Za-zÀ-ÿ]{1,12}",
        given in prop::collection::vec("[A-Za-z]{1,10}", 0..3),
        birth in prop::option::of((1900i32..2020, 1u32..13, 1u32..29)),
        gender in prop::option::of(prop_oneof![Just(Gender::Male), Just(Gender::Female), Just(Gender::Other), Just(Gender::Unknown)]),
        phone in prop::option::of("[0-9]{7,12}"),
        deactivate in any::<bool>(),
    ) {
        block_on(async {
            let (clinic, _, _) = clinic();
            let system = Actor::system();
            let d = PatientDetails {
                names: vec![HumanName { family: Some(family), given, ..HumanName::default() }],
                birth_date: birth.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
                gender,
                telecom: phone.into_iter().map(|value| ContactPoint { system: ContactSystem::Phone, value, usage: None }).collect(),
                ..PatientDetails::default()
            };
            let survivor = clinic.register_patient(&system, NewPatient { details: details("Keep", "Er", (1980, 1, 1)), mrn_facility: None }).await.unwrap();
            let mut merged = clinic.register_patient(&system, NewPatient { details: d, mrn_facility: None }).await.unwrap();
            if deactivate {
                merged = clinic.deactivate_patient(&system, merged.id, merged.version).await.unwrap();
            }
            let merge = clinic.merge_patients(&system, survivor.id, survivor.version, merged.id, merged.version).await.unwrap();
            let restored = clinic.unmerge_patients(&system, merge.id).await.unwrap();
            prop_assert_eq!(&restored.details, &merged.details);
            prop_assert_eq!(restored.active, merged.active);
            prop_assert_eq!(restored.merged_into, None);
            prop_assert_eq!(restored.created_at, merged.created_at);
            let read = clinic.get_patient(&system, merged.id).await.unwrap();
            prop_assert_eq!(read, restored);
            Ok(())
        })?;
    }

    /// Any single edit, deletion or swap of audit rows is detected, with
    /// the host's key as without one.
    #[test]
    fn any_single_tampering_of_the_audit_chain_is_detected(len in 2usize..16, pick in any::<prop::sample::Index>(), other in any::<prop::sample::Index>(), kind in 0u8..5, keyed in any::<bool>()) {
        let key = if keyed { AuditKey::new(&[7u8, 3, 5].repeat(11)).unwrap() } else { AuditKey::development() };
        let rules = ChainRules { key: &key, covered: 0 };
        let (entries, head, chain) = block_on(async {
            let store = carebase::MemoryStore::new();
            store.use_audit_key(key.clone());
            let patient = Some(PatientId::new());
            let drafts: Vec<_> = (0..len).map(|i| AuditDraft {
                id: AuditEntryId::new(),
                at: chrono::DateTime::UNIX_EPOCH,
                actor: ActorId::new(),
                roles: vec![Role::FrontDesk],
                action: format!("patient.read.{i}"),
                patient,
                outcome: Outcome::Success,
                reason: "rule x".into(),
                break_glass: None,
                subject: None,
            }).collect();
            store.apply(ChangeSet::audit_only(drafts)).await.unwrap();
            let head = store.audit_heads().await.unwrap().pop();
            (store.audit_chain(patient, 0, 1000).await.unwrap(), head, patient)
        });
        prop_assert_eq!(verify_chain(chain, &entries, head.as_ref(), &rules), None);
        let i = pick.index(len);
        let mut j = other.index(len);
        if j == i { j = (i + 1) % len; }
        let mut t: Vec<AuditEntry> = entries.clone();
        match kind {
            0 => t[i].draft.outcome = Outcome::Denied,
            1 => t[i].draft.actor = ActorId::new(),
            2 => { t.remove(i); }
            3 => {
                // swap two rows' positions, as a store ordering by chain_seq would show them
                let (si, sj) = (t[i].chain_seq, t[j].chain_seq);
                t[i].chain_seq = sj;
                t[j].chain_seq = si;
                t.sort_by_key(|e| e.chain_seq);
            }
            _ => {
                let mut forged = t[i].clone();
                forged.draft.id = AuditEntryId::new();
                t.insert(i, forged);
                for (n, e) in t.iter_mut().enumerate() { e.chain_seq = Count64::new(n as u64 + 1); }
            }
        }
        prop_assert!(verify_chain(chain, &t, head.as_ref(), &rules).is_some(), "tampering kind {} not detected", kind);
    }
}
