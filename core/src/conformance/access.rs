//! Care teams and break-the-glass grants, as every store must keep them.

use std::sync::Arc;

use super::patients::insert;
use super::{at, patient};
use crate::access::{BreakGlassGrant, CareAssignment};
use crate::ids::{ActorId, GrantId, PractitionerId};
use crate::store::{CareTeamWrite, ChangeSet, GrantWrite, Store};

pub async fn care_team_assign_and_remove(store: Arc<dyn Store>) {
    let p = patient("Care", "Team", (1990, 1, 1));
    insert(&store, &p).await;
    let pr = PractitionerId::new();
    let assign = CareAssignment {
        patient: p.id,
        practitioner: pr,
        assigned_by: ActorId::new(),
        assigned_at: at(3),
    };
    let write = |w| ChangeSet::default().care_team(w);
    store
        .apply(write(CareTeamWrite::Assign(assign.clone())))
        .await
        .unwrap();
    assert!(store.is_on_care_team(p.id, pr).await.unwrap());
    assert_eq!(store.care_team(p.id).await.unwrap(), vec![assign.clone()]);
    let again = store
        .apply(write(CareTeamWrite::Assign(assign)))
        .await
        .unwrap_err();
    assert_eq!(again.code(), "conflict");
    let remove = || {
        write(CareTeamWrite::Remove {
            patient: p.id,
            practitioner: pr,
        })
    };
    store.apply(remove()).await.unwrap();
    assert!(!store.is_on_care_team(p.id, pr).await.unwrap());
    assert_eq!(store.apply(remove()).await.unwrap_err().code(), "not_found");
}

pub async fn a_practitioners_patients_page_in_id_order_without_others(store: Arc<dyn Store>) {
    let (mine, theirs) = (PractitionerId::new(), PractitionerId::new());
    let mut own = Vec::new();
    for i in 0..5 {
        let p = patient("Mine", &format!("Patient{i}"), (1980, 1, 1 + i));
        insert(&store, &p).await;
        let practitioner = if i == 2 { theirs } else { mine };
        if practitioner == mine {
            own.push(p.id);
        }
        let assign = CareAssignment {
            patient: p.id,
            practitioner,
            assigned_by: ActorId::new(),
            assigned_at: at(3),
        };
        store
            .apply(ChangeSet::default().care_team(CareTeamWrite::Assign(assign)))
            .await
            .unwrap();
    }
    own.sort();
    let first = store
        .patients_of_practitioner(mine, None, 3, false)
        .await
        .unwrap();
    assert_eq!(first, own[..3]);
    let rest = store
        .patients_of_practitioner(mine, Some(first[2]), 3, false)
        .await
        .unwrap();
    assert_eq!(rest, own[3..]);
    let none = store.patients_of_practitioner(PractitionerId::new(), None, 3, false);
    assert!(none.await.unwrap().is_empty());
}

pub async fn a_practitioners_patients_leave_out_merged_away_and_inactive_unless_asked(
    store: Arc<dyn Store>,
) {
    let mine = PractitionerId::new();
    let active = patient("Still", "Here", (1980, 1, 1));
    let mut inactive = patient("Gone", "Quiet", (1980, 1, 2));
    inactive.active = false;
    let mut merged = patient("Merged", "Away", (1980, 1, 3));
    merged.merged_into = Some(active.id);
    merged.active = false;
    for p in [&active, &inactive, &merged] {
        insert(&store, p).await;
        let assign = CareAssignment {
            patient: p.id,
            practitioner: mine,
            assigned_by: ActorId::new(),
            assigned_at: at(3),
        };
        store
            .apply(ChangeSet::default().care_team(CareTeamWrite::Assign(assign)))
            .await
            .unwrap();
    }
    let today = store.patients_of_practitioner(mine, None, 10, false);
    assert_eq!(today.await.unwrap(), vec![active.id]);
    let mut all = vec![active.id, inactive.id];
    all.sort();
    let with_inactive = store.patients_of_practitioner(mine, None, 10, true);
    assert_eq!(with_inactive.await.unwrap(), all);
}

pub async fn break_glass_grants_window_and_single_review(store: Arc<dyn Store>) {
    let p = patient("Glass", "Break", (1990, 1, 1));
    insert(&store, &p).await;
    let actor = ActorId::new();
    let grant = BreakGlassGrant {
        id: GrantId::new(),
        actor,
        patient: p.id,
        reason: "unconscious in er".into(),
        granted_at: at(0),
        expires_at: at(3600),
        reviewed_by: None,
        reviewed_at: None,
        review_note: None,
    };
    let write = |w| ChangeSet::default().grant(w);
    store
        .apply(write(GrantWrite::Insert(grant.clone())))
        .await
        .unwrap();
    assert_eq!(store.grant(grant.id).await.unwrap(), Some(grant.clone()));
    assert_eq!(
        store
            .active_grant(actor, p.id, at(10))
            .await
            .unwrap()
            .map(|g| g.id),
        Some(grant.id)
    );
    assert_eq!(
        store.active_grant(actor, p.id, at(3600)).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .active_grant(ActorId::new(), p.id, at(10))
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.grants_awaiting_review(10).await.unwrap().len(), 1);
    let review = || {
        write(GrantWrite::Review {
            id: grant.id,
            by: ActorId::new(),
            at: at(7200),
            note: Some("ok".into()),
        })
    };
    store.apply(review()).await.unwrap();
    assert_eq!(store.apply(review()).await.unwrap_err().code(), "conflict");
    assert!(store.grants_awaiting_review(10).await.unwrap().is_empty());
    assert_eq!(
        store
            .grant(grant.id)
            .await
            .unwrap()
            .unwrap()
            .review_note
            .as_deref(),
        Some("ok")
    );
}
