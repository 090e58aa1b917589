//! The outbox and consumer positions, as every store must keep them.

use std::sync::Arc;

use super::at;
use crate::events::EventDraft;
use crate::ids::PatientId;
use crate::store::{AckWrite, ChangeSet, Store};

pub async fn outbox_sequences_and_consumer_positions(store: Arc<dyn Store>) {
    let p = PatientId::new();
    let events: Vec<_> = (1..=3)
        .map(|v| {
            EventDraft::new(
                "patient.updated",
                Some(p),
                &p.to_string(),
                v,
                serde_json::json!({"v": v}),
                at(2),
            )
        })
        .collect();
    let applied = store
        .apply(ChangeSet {
            events: events.clone(),
            ..ChangeSet::default()
        })
        .await
        .unwrap();
    let seqs: Vec<_> = applied.events.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
    assert_eq!(store.events_after(0, 10).await.unwrap(), applied.events);
    assert_eq!(
        store.events_after(seqs[0], 1).await.unwrap(),
        vec![applied.events[1].clone()]
    );
    assert_eq!(store.consumer_position("relay").await.unwrap(), 0);
    let ack = |seq| {
        ChangeSet::default().ack(AckWrite {
            consumer: "relay".into(),
            seq,
        })
    };
    store.apply(ack(seqs[1])).await.unwrap();
    store.apply(ack(seqs[0])).await.unwrap();
    assert_eq!(
        store.consumer_position("relay").await.unwrap(),
        seqs[1],
        "never moves back"
    );
}
