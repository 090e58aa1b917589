//! The store conformance suite: every backend must pass ALL of these.
//!
//! Each test is an async fn over a fresh, empty store, in the module of
//! the concern it checks. One macro per store trait turns a concern's tests
//! into `#[tokio::test]`s in the backend's crate (`patient_store_tests!`,
//! `access_store_tests!`, `audit_store_tests!`, `schedule_store_tests!`,
//! `outbox_store_tests!`, `record_store_tests!`, and `change_set_tests!` for `apply` as a whole);
//! [`store_conformance_tests!`](crate::store_conformance_tests) runs them
//! all, one line per backend:
//!
//! ```ignore
//! carebase::store_conformance_tests!(async { fresh_store().await });
//! ```
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access;
mod audit;
mod blobs;
mod change_sets;
mod check_in;
mod clinic_flows;
mod documents;
mod guarded;
mod outbox;
mod patients;
mod record;
mod schedule;

pub use access::*;
pub use audit::*;
pub use blobs::*;
pub use change_sets::*;
pub use check_in::*;
pub use clinic_flows::*;
pub use documents::*;
pub use guarded::Guarded;
pub use outbox::*;
pub use patients::*;
pub use record::*;
pub use schedule::*;

use crate::Count64;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use crate::audit::{AuditDraft, Outcome};
use crate::ids::{ActorId, AuditEntryId, PatientId};
use crate::patient::{
    ContactPoint, ContactSystem, Gender, HumanName, Identifier, Patient, PatientDetails,
};

/// Every conformance test, one module per concern (`patients::…`,
/// `access::…`, `audit::…`, `scheduling::…`, `outbox::…`, `change_sets::…`).
/// `$make` is an expression evaluating to a future of `Arc<dyn Store>` (a
/// fresh store); it is evaluated inside each module, which sees everything
/// the calling module sees.
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:expr) => {
        mod patients {
            #[allow(unused_imports)]
            use super::*;
            $crate::patient_store_tests!($make);
        }
        mod access {
            #[allow(unused_imports)]
            use super::*;
            $crate::access_store_tests!($make);
        }
        mod audit {
            #[allow(unused_imports)]
            use super::*;
            $crate::audit_store_tests!($make);
        }
        mod scheduling {
            #[allow(unused_imports)]
            use super::*;
            $crate::schedule_store_tests!($make);
        }
        mod outbox {
            #[allow(unused_imports)]
            use super::*;
            $crate::outbox_store_tests!($make);
        }
        mod change_sets {
            #[allow(unused_imports)]
            use super::*;
            $crate::change_set_tests!($make);
        }
        mod record {
            #[allow(unused_imports)]
            use super::*;
            $crate::record_store_tests!($make);
        }
    };
}

/// The conformance tests of [`PatientStore`](crate::store::PatientStore): the register and the merge log.
/// One `#[tokio::test]` each; `$make` is as for
/// [`store_conformance_tests!`](crate::store_conformance_tests).
#[macro_export]
macro_rules! patient_store_tests {
    ($make:expr) => {
        $crate::conformance_tests!($make;
            insert_then_get_roundtrips_patient,
            kept_fhir_elements_read_back_as_written,
            get_missing_patient_is_none,
            update_with_expected_version_replaces_record,
            update_with_stale_version_conflicts_and_writes_nothing,
            update_of_missing_patient_is_not_found,
            duplicate_identifier_in_one_system_conflicts_naming_the_system,
            same_identifier_value_in_another_system_is_allowed,
            update_releases_identifiers_it_drops,
            update_replaces_every_search_key,
            search_by_name_prefix_ignores_case_and_accents,
            search_filters_combine,
            search_pages_in_id_order_without_repeats_or_skips,
            search_by_name_pages_by_name_key_then_id_without_repeats_or_skips,
            search_by_two_names_keeps_patients_matching_both,
            search_by_several_words_pages_alike_when_another_word_is_rarer,
            duplicate_candidates_share_a_blocking_key,
            sequences_allocate_each_number_once,
            a_block_of_numbers_follows_the_sequence_and_the_next_number_follows_the_block,
            merge_log_insert_undo_once_and_list,
            concurrent_identifier_claims_have_one_winner,
            concurrent_updates_of_one_version_have_one_winner,
        );
    };
}

/// The conformance tests of [`AccessStore`](crate::store::AccessStore): care teams and grants.
/// One `#[tokio::test]` each; `$make` is as for
/// [`store_conformance_tests!`](crate::store_conformance_tests).
#[macro_export]
macro_rules! access_store_tests {
    ($make:expr) => {
        $crate::conformance_tests!($make;
            care_team_assign_and_remove,
            a_practitioners_patients_page_in_id_order_without_others,
            a_practitioners_patients_leave_out_merged_away_and_inactive_unless_asked,
            break_glass_grants_window_and_single_review,
        );
    };
}

/// The conformance tests of [`AuditStore`](crate::store::AuditStore): chains, heads, sealing and checkpoints.
/// One `#[tokio::test]` each; `$make` is as for
/// [`store_conformance_tests!`](crate::store_conformance_tests).
#[macro_export]
macro_rules! audit_store_tests {
    ($make:expr) => {
        $crate::conformance_tests!($make;
            audit_is_chained_per_patient,
            a_large_change_set_chains_every_entry,
            audit_entries_filter_and_page,
            a_patients_audit_entries_list_in_chain_order_whatever_their_ids,
            an_after_that_is_not_an_entry_of_the_patients_chain_is_an_invalid_cursor,
            concurrent_audit_writers_keep_every_chain_whole,
            audit_entries_are_sealed_with_the_key_the_store_was_given,
            audit_checkpoints_append_in_order_with_their_pinned_heads,
            a_checkpoint_that_does_not_extend_the_newest_conflicts_and_writes_nothing,
            clinic_checkpoints_and_verifies_against_the_checkpoint,
        );
    };
}

/// The conformance tests of [`ScheduleStore`](crate::store::ScheduleStore): records, appointments, no overlap, day limits, reminders.
/// One `#[tokio::test]` each; `$make` is as for
/// [`store_conformance_tests!`](crate::store_conformance_tests).
#[macro_export]
macro_rules! schedule_store_tests {
    ($make:expr) => {
        $crate::conformance_tests!($make;
            scheduling_records_roundtrip_with_versions,
            a_practitioners_kept_fhir_elements_read_back_as_written,
            appointment_roundtrips_with_history_and_reminders,
            overlapping_active_appointments_are_double_bookings,
            a_series_change_set_is_all_or_nothing,
            busy_and_appointment_queries_filter_and_order,
            appointment_counts_are_per_range_by_start_and_active_only,
            reminders_are_due_until_marked_sent_once,
            concurrent_bookers_of_one_slot_have_one_winner,
            day_limits_are_rechecked_inside_the_change_set,
            concurrent_bookers_cannot_exceed_a_daily_limit,
            clinic_books_moves_and_cancels_through_the_store,
            the_largest_accepted_fhir_appointment_reads_back_everywhere,
            a_fhir_appointment_one_level_too_deep_is_refused_and_writes_nothing,
        );
    };
}

/// The conformance tests of [`OutboxStore`](crate::store::OutboxStore): event order and consumer positions.
/// One `#[tokio::test]` each; `$make` is as for
/// [`store_conformance_tests!`](crate::store_conformance_tests).
#[macro_export]
macro_rules! outbox_store_tests {
    ($make:expr) => {
        $crate::conformance_tests!($make;
            outbox_sequences_and_consumer_positions,
            a_patients_events_stay_in_its_partition_in_order,
            events_after_takes_the_partitions_in_turn,
            a_failed_change_set_leaves_no_gap_in_any_partition,
            concurrent_writers_leave_every_partition_gap_free_and_ordered,
            a_consumer_that_crashes_before_acking_gets_the_events_again,
            clinic_outbox_redelivers_until_acknowledged,
            a_merge_tells_the_survivors_stream_and_the_merged_patients_stream,
            an_unmerge_tells_the_survivors_stream_and_the_merged_patients_stream,
            a_merge_within_one_partition_tells_the_survivor_first,
        );
    };
}

/// The conformance tests of [`Store::apply`](crate::store::Store::apply) as a whole: atomicity, references, clinic flows across concerns.
/// One `#[tokio::test]` each; `$make` is as for
/// [`store_conformance_tests!`](crate::store_conformance_tests).
#[macro_export]
macro_rules! change_set_tests {
    ($make:expr) => {
        $crate::conformance_tests!($make;
            failed_apply_writes_nothing_at_all,
            a_change_set_naming_a_missing_record_fails_naming_the_field,
            apply_each_answers_per_change_set_and_a_failure_stays_alone,
            clinic_registers_searches_and_verifies,
            clinic_merge_then_unmerge_restores_the_record,
            clinic_break_glass_access_is_flagged,
            a_batch_registers_every_good_patient_and_refuses_each_bad_one_alone,
        );
    };
}

/// The conformance tests of [`RecordStore`](crate::store::RecordStore): append-only versions, the timeline, latest values, one code across patients.
/// One `#[tokio::test]` each; `$make` is as for
/// [`store_conformance_tests!`](crate::store_conformance_tests).
#[macro_export]
macro_rules! record_store_tests {
    ($make:expr) => {
        $crate::conformance_tests!($make;
            an_entry_appends_version_after_version_and_reads_its_current_one,
            history_keeps_every_version_oldest_first,
            a_first_version_of_a_taken_entry_id_is_already_exists_and_writes_nothing,
            a_version_that_does_not_follow_the_current_one_is_stale_and_writes_nothing,
            the_timeline_lists_current_versions_in_time_then_id_order,
            the_timeline_filters_by_kind_code_and_time_range,
            the_timeline_leaves_out_retracted_entries_unless_asked,
            the_timeline_pages_by_cursor_without_repeats_or_skips,
            latest_entries_give_the_newest_current_unretracted_entry_per_code,
            entries_by_code_span_every_patient_in_time_order,
            entries_by_code_for_a_care_team_hold_only_its_patients,
            another_patients_entries_never_appear,
            a_body_of_every_kind_reads_back_equal,
            concurrent_appends_of_one_version_have_one_winner,
            a_checked_in_appointment_reads_back_its_encounter,
            concurrent_check_ins_of_one_appointment_have_one_winner,
        );
    };
}

/// The conformance tests of a [`BlobStore`](crate::store::BlobStore): documents' bytes by their SHA-256.
/// `$make` evaluates to a future of a fresh `Arc<dyn BlobStore>`.
#[macro_export]
macro_rules! blob_store_tests {
    ($make:expr) => {
        $crate::blob_conformance_tests!($make;
            put_bytes_read_back_equal_under_their_sha256,
            the_same_bytes_put_twice_keep_one_key,
            a_missing_blob_is_not_found,
            bytes_over_the_bound_are_refused_and_nothing_is_kept,
        );
    };
}

/// One `#[tokio::test]` per named blob conformance test.
#[doc(hidden)]
#[macro_export]
macro_rules! blob_conformance_tests {
    ($make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let blobs: ::std::sync::Arc<dyn $crate::store::BlobStore> = $make.await;
                $crate::conformance::$name(blobs).await;
            }
        )*
    };
}

/// One `#[tokio::test]` per named conformance test, each over a fresh
/// store from `$make`.
#[doc(hidden)]
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let store: ::std::sync::Arc<dyn $crate::Store> = $make.await;
                $crate::conformance::$name(store).await;
            }
        )*
    };
}

/// A fixed instant with microsecond precision.
pub fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_780_000_000 + secs, 123_456_000)
        .single()
        .unwrap()
}

/// A patient record as a store would receive it.
pub fn patient(family: &str, given: &str, birth: (i32, u32, u32)) -> Patient {
    Patient {
        id: PatientId::new(),
        version: Count64::new(1),
        details: PatientDetails {
            names: vec![HumanName {
                family: Some(family.into()),
                given: vec![given.into()],
                ..HumanName::default()
            }],
            birth_date: NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2),
            gender: Some(Gender::Female),
            ..PatientDetails::default()
        },
        active: true,
        merged_into: None,
        created_at: at(0),
        updated_at: at(0),
        hidden_fields: vec![],
        fhir_extra: None,
    }
}

/// Adds an identifier.
pub fn with_identifier(mut p: Patient, system: &str, value: &str) -> Patient {
    p.details.identifiers.push(Identifier {
        system: system.into(),
        value: value.into(),
    });
    p
}

/// Adds a phone or email.
pub fn with_contact(mut p: Patient, system: ContactSystem, value: &str) -> Patient {
    p.details.telecom.push(ContactPoint {
        system,
        value: value.into(),
        usage: None,
    });
    p
}

/// An audit draft about `patient`.
pub fn audit_about(patient: Option<PatientId>, action: &str) -> AuditDraft {
    AuditDraft {
        id: AuditEntryId::new(),
        at: at(1),
        actor: ActorId::new(),
        roles: vec![crate::Role::System],
        action: action.into(),
        patient,
        outcome: Outcome::Success,
        reason: "rule test".into(),
        break_glass: None,
        subject: None,
    }
}
