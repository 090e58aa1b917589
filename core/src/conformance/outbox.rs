//! The outbox and consumer positions, as every store must keep them:
//! events numbered per partition (1, 2, 3… in commit order, no gaps), read
//! round robin across partitions, positions acknowledged per partition.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::task::Poll;

use futures::future::join_all;
use futures::FutureExt;

use super::at;
use crate::events::{partition_of, EventDraft, OutboxEvent};
use crate::ids::PatientId;
use crate::store::{AckWrite, ChangeSet, Reference, Store};

fn updated(patient: Option<PatientId>, version: u64) -> EventDraft {
    let aggregate = patient.map_or_else(|| "clinic".to_owned(), |p| p.to_string());
    EventDraft::new(
        "patient.updated",
        patient,
        &aggregate,
        version,
        serde_json::json!({"v": version}),
        at(2),
    )
}

fn events(drafts: Vec<EventDraft>) -> ChangeSet {
    ChangeSet {
        events: drafts,
        ..ChangeSet::default()
    }
}

fn ack(partition: u32, seq: u64) -> ChangeSet {
    ChangeSet::default().ack(AckWrite {
        consumer: "relay".into(),
        partition,
        seq,
    })
}

/// Patients until one lands in each of two different partitions (the
/// first two when the store has one partition).
fn patients_in_two_partitions(partitions: u32) -> (PatientId, PatientId) {
    let first = PatientId::new();
    let mut second = PatientId::new();
    for _ in 0..1000 {
        if partitions == 1
            || partition_of(Some(second), partitions) != partition_of(Some(first), partitions)
        {
            break;
        }
        second = PatientId::new();
    }
    (first, second)
}

/// Every event read with `events_after` from the start, `limit` at a time,
/// advancing the position per partition.
async fn read_all(store: &dyn Store) -> Vec<OutboxEvent> {
    let mut position = vec![0; store.outbox_partitions() as usize];
    let mut all = Vec::new();
    loop {
        let batch = store.events_after(&position, 7).await.unwrap();
        if batch.is_empty() {
            return all;
        }
        for event in &batch {
            position[usize::from(event.partition)] = event.seq.get();
        }
        all.extend(batch);
    }
}

/// Checks that each partition's events are numbered 1, 2, 3… in the order
/// given; returns how many each partition holds.
fn assert_gap_free(events: &[OutboxEvent]) -> BTreeMap<u32, u64> {
    let mut last = BTreeMap::new();
    for event in events {
        let seen = last.entry(event.partition.get()).or_insert(0);
        assert_eq!(
            event.seq,
            *seen + 1,
            "partition {} goes from {} to {}",
            event.partition,
            seen,
            event.seq
        );
        *seen = event.seq.get();
    }
    last
}

pub async fn outbox_sequences_and_consumer_positions(store: Arc<dyn Store>) {
    let p = PatientId::new();
    let partition = partition_of(Some(p), store.outbox_partitions());
    let applied = store
        .apply(events((1..=3).map(|v| updated(Some(p), v)).collect()))
        .await
        .unwrap();
    let seqs: Vec<_> = applied.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3], "numbered from 1 in the partition");
    assert!(applied.events.iter().all(|e| e.partition == partition));
    assert_eq!(store.events_after(&[], 10).await.unwrap(), applied.events);
    let mut after = vec![0; store.outbox_partitions() as usize];
    after[partition as usize] = 1;
    assert_eq!(
        store.events_after(&after, 1).await.unwrap(),
        vec![applied.events[1].clone()]
    );
    assert_eq!(store.last_seq(partition).await.unwrap(), 3);
    let fresh = store.consumer_position("relay").await.unwrap();
    assert_eq!(fresh, vec![0; store.outbox_partitions() as usize]);
    store.apply(ack(partition, 2)).await.unwrap();
    store.apply(ack(partition, 1)).await.unwrap();
    let position = store.consumer_position("relay").await.unwrap();
    assert_eq!(position[partition as usize], 2, "never moves back");
    assert_eq!(
        position.iter().filter(|p| **p != 0).count(),
        1,
        "an ack moves one partition"
    );
}

pub async fn a_patients_events_stay_in_its_partition_in_order(store: Arc<dyn Store>) {
    let partitions = store.outbox_partitions();
    let (a, b) = patients_in_two_partitions(partitions);
    store
        .apply(events(vec![
            updated(Some(a), 1),
            updated(Some(b), 1),
            updated(None, 1),
        ]))
        .await
        .unwrap();
    store
        .apply(events(vec![updated(Some(b), 2), updated(Some(a), 2)]))
        .await
        .unwrap();
    let all = read_all(&*store).await;
    assert_eq!(all.len(), 5);
    for event in &all {
        assert_eq!(
            event.partition,
            partition_of(event.draft.patient, partitions)
        );
    }
    for patient in [a, b] {
        let versions: Vec<_> = all
            .iter()
            .filter(|e| e.draft.patient == Some(patient))
            .map(|e| e.draft.payload["v"].clone())
            .collect();
        assert_eq!(versions, [1, 2], "a patient's events in the order written");
    }
    assert_gap_free(&all);
}

pub async fn events_after_takes_the_partitions_in_turn(store: Arc<dyn Store>) {
    let partitions = store.outbox_partitions();
    let (a, b) = patients_in_two_partitions(partitions);
    store
        .apply(events((1..=3).map(|v| updated(Some(a), v)).collect()))
        .await
        .unwrap();
    store
        .apply(events((1..=3).map(|v| updated(Some(b), v)).collect()))
        .await
        .unwrap();
    let first = store.events_after(&[], 4).await.unwrap();
    assert_eq!(first.len(), 4);
    if partitions > 1 {
        let of = |p| first.iter().filter(|e| e.draft.patient == Some(p)).count();
        assert_eq!(
            (of(a), of(b)),
            (2, 2),
            "a busy partition does not starve another"
        );
    }
}

pub async fn a_failed_change_set_leaves_no_gap_in_any_partition(store: Arc<dyn Store>) {
    let p = PatientId::new();
    let failing = events(vec![updated(Some(p), 1), updated(None, 1)])
        .references(vec![Reference::patient(PatientId::new(), "patient")]);
    assert!(store.apply(failing).await.is_err());
    let applied = store
        .apply(events(vec![updated(Some(p), 2), updated(None, 2)]))
        .await
        .unwrap();
    // Each partition starts at 1: the failed change set used no number up.
    assert_gap_free(&applied.events);
}

pub async fn concurrent_writers_leave_every_partition_gap_free_and_ordered(store: Arc<dyn Store>) {
    const WRITERS: usize = 8;
    const EACH: u64 = 6;
    let writers = join_all((0..WRITERS).map(|_| {
        let store = store.clone();
        async move {
            let (a, b) = (PatientId::new(), PatientId::new());
            for v in 1..=EACH {
                store
                    .apply(events(vec![updated(Some(a), v), updated(Some(b), v)]))
                    .await
                    .unwrap();
            }
        }
    }));
    // A relay polling while they write never sees a number before the
    // ones below it: it would acknowledge past an event still to commit.
    let relay = async {
        let mut position = vec![0; store.outbox_partitions() as usize];
        let mut seen = Vec::new();
        while seen.len() < WRITERS * 2 * EACH as usize {
            let batch = store.events_after(&position, 50).await.unwrap();
            for event in &batch {
                position[usize::from(event.partition)] = event.seq.get();
            }
            seen.extend(batch);
            yield_now().await;
        }
        seen
    };
    let ((), seen) = futures::join!(writers.map(|_| ()), relay);
    assert_gap_free(&seen);
    let counts = assert_gap_free(&read_all(&*store).await);
    assert_eq!(counts.values().sum::<u64>(), WRITERS as u64 * 2 * EACH);
    for (partition, count) in counts {
        assert_eq!(store.last_seq(partition).await.unwrap(), count);
    }
}

/// Lets the other futures of a `join!` run once.
async fn yield_now() {
    let mut yielded = false;
    futures::future::poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

pub async fn a_consumer_that_crashes_before_acking_gets_the_events_again(store: Arc<dyn Store>) {
    let partitions = store.outbox_partitions();
    let (a, b) = patients_in_two_partitions(partitions);
    store
        .apply(events(vec![
            updated(Some(a), 1),
            updated(Some(b), 1),
            updated(Some(a), 2),
        ]))
        .await
        .unwrap();
    let poll = || async {
        let position = store.consumer_position("relay").await.unwrap();
        store.events_after(&position, 100).await.unwrap()
    };
    let delivered = poll().await;
    assert_eq!(delivered.len(), 3);
    // The relay publishes, then dies before it acknowledges: everything again.
    assert_eq!(poll().await, delivered);
    // It acknowledges only the first event of a's partition, then dies.
    let first_of_a = delivered
        .iter()
        .find(|e| e.draft.patient == Some(a))
        .unwrap();
    store
        .apply(ack(first_of_a.partition.get(), first_of_a.seq.get()))
        .await
        .unwrap();
    let again = poll().await;
    let expected: Vec<_> = delivered
        .iter()
        .filter(|e| (e.partition, e.seq) != (first_of_a.partition, first_of_a.seq))
        .cloned()
        .collect();
    assert_eq!(again.len(), expected.len());
    for event in &expected {
        assert!(
            again.contains(event),
            "what was not acknowledged comes again"
        );
    }
}
