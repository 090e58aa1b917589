//! Tamper evidence: audit rows edited, deleted or swapped with raw SQL are
//! found by verification.

use super::*;

/// A store with one patient chain of three entries ("a", "b", "c").
async fn chain_of_three() -> (TempStore, PatientId) {
    let t = temp_store().await;
    let p = PatientId::new();
    let drafts = ["a", "b", "c"].map(|a| audit_about(Some(p), a)).to_vec();
    t.store.apply(ChangeSet::audit_only(drafts)).await.unwrap();
    assert!(problems(&t.store).await.is_empty());
    (t, p)
}

#[tokio::test(flavor = "multi_thread")]
async fn edited_audit_row_is_detected() {
    let (t, p) = chain_of_three().await;
    common::exec(
        &t.store,
        "UPDATE audit_entries SET action = 'patient.nothing' WHERE chain_seq = 2",
    )
    .await;
    let found = problems(&t.store).await;
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].chain, found[0].seq.get(), found[0].kind),
        (Some(p), 2, ProblemKind::Edited)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deleted_audit_row_is_detected() {
    let (t, p) = chain_of_three().await;
    common::exec(&t.store, "DELETE FROM audit_entries WHERE chain_seq = 2").await;
    let found = problems(&t.store).await;
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].chain, found[0].seq.get(), found[0].kind),
        (Some(p), 2, ProblemKind::Deleted)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deleted_tail_and_whole_chain_are_detected() {
    let (t, p) = chain_of_three().await;
    common::exec(&t.store, "DELETE FROM audit_entries WHERE chain_seq = 3").await;
    let found = problems(&t.store).await;
    assert_eq!(
        (found[0].chain, found[0].seq.get(), found[0].kind),
        (Some(p), 3, ProblemKind::Deleted)
    );
    common::exec(&t.store, "DELETE FROM audit_entries").await;
    // The head outlives its chain, so the chain is still walked.
    let found = problems(&t.store).await;
    assert_eq!(
        (found[0].chain, found[0].kind),
        (Some(p), ProblemKind::Deleted)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn swapped_audit_rows_are_detected() {
    let (t, p) = chain_of_three().await;
    // Three steps because (patient_id, chain_seq) is unique.
    for sql in [
        "UPDATE audit_entries SET chain_seq = -1 WHERE chain_seq = 2",
        "UPDATE audit_entries SET chain_seq = 2 WHERE chain_seq = 3",
        "UPDATE audit_entries SET chain_seq = 3 WHERE chain_seq = -1",
    ] {
        common::exec(&t.store, sql).await;
    }
    let found = problems(&t.store).await;
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].chain, found[0].seq.get()), (Some(p), 2));
    assert_ne!(found[0].kind, ProblemKind::Inserted);
}
