//! Specification of access: care teams, denials with reasons, break-the-glass.

mod common;

use carebase::audit::{AuditQuery, Outcome};
use carebase::clinic::NewPatient;
use carebase::policy::{Permission, Relationship};
use carebase::store::AuditStore;
use carebase::Count32;
use carebase::{Actor, ActorId, Error, PractitionerId, Role};
use chrono::Duration;
use common::{actor, clinic, details};

async fn registered(clinic: &carebase::Clinic) -> carebase::patient::Patient {
    clinic
        .register_patient(
            &actor(Role::FrontDesk),
            NewPatient {
                details: details("Care", "Ful", (1970, 3, 3)),
                mrn_facility: None,
            },
        )
        .await
        .unwrap()
}

fn doctor() -> Actor {
    Actor::practitioner(ActorId::new(), PractitionerId::new())
}

/// A doctor registered as a practitioner, so they can join care teams.
async fn registered_doctor(clinic: &carebase::Clinic) -> Actor {
    let practitioner = clinic
        .add_practitioner(
            &Actor::system(),
            carebase::schedule::NewPractitioner {
                id: None,
                name: "Dr Care".into(),
                time_zone: "UTC".into(),
                availability: Default::default(),
            },
        )
        .await
        .unwrap();
    Actor::practitioner(ActorId::new(), practitioner.id)
}

#[tokio::test]
async fn a_patient_reads_their_own_record_only() {
    let (clinic, _, _) = clinic();
    let mine = registered(&clinic).await;
    let other = registered(&clinic).await;
    let me = Actor::patient(ActorId::new(), mine.id);
    assert_eq!(clinic.get_patient(&me, mine.id).await.unwrap().id, mine.id);
    let err = clinic.get_patient(&me, other.id).await.unwrap_err();
    let Error::Forbidden { reason } = err else {
        panic!("expected forbidden")
    };
    assert_eq!(reason.steps[0].relationship, Relationship::OwnRecord);
}

#[tokio::test]
async fn a_denied_read_carries_its_reason_and_is_audited() {
    let (clinic, store, _) = clinic();
    let p = registered(&clinic).await;
    let doc = doctor();
    let err = clinic.get_patient(&doc, p.id).await.unwrap_err();
    assert_eq!(err.code(), "forbidden");
    assert!(err.to_string().contains("care_team"), "{err}");
    let entries = store
        .audit_entries(&AuditQuery {
            actor: Some(doc.id),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].draft.outcome, Outcome::Denied);
    assert_eq!(entries[0].draft.patient, Some(p.id));
}

#[tokio::test]
async fn a_clinician_on_the_care_team_reads_and_loses_access_when_removed() {
    let (clinic, _, _) = clinic();
    let p = registered(&clinic).await;
    let doc = registered_doctor(&clinic).await;
    let admin = actor(Role::Admin);
    let pr = doc.practitioner.unwrap();
    clinic.assign_care_team(&admin, p.id, pr).await.unwrap();
    assert_eq!(
        clinic.get_patient(&doc, p.id).await.unwrap().hidden_fields,
        vec![]
    );
    assert_eq!(clinic.care_team(&doc, p.id).await.unwrap().len(), 1);
    clinic.remove_care_team(&admin, p.id, pr).await.unwrap();
    assert_eq!(
        clinic.get_patient(&doc, p.id).await.unwrap_err().code(),
        "forbidden"
    );
}

#[tokio::test]
async fn assigning_the_same_practitioner_twice_is_a_conflict() {
    let (clinic, _, _) = clinic();
    let p = registered(&clinic).await;
    let admin = actor(Role::Admin);
    let pr = registered_doctor(&clinic).await.practitioner.unwrap();
    clinic.assign_care_team(&admin, p.id, pr).await.unwrap();
    assert_eq!(
        clinic
            .assign_care_team(&admin, p.id, pr)
            .await
            .unwrap_err()
            .code(),
        "conflict"
    );
}

#[tokio::test]
async fn an_admin_manages_care_teams_but_cannot_read_the_record() {
    let (clinic, _, _) = clinic();
    let p = registered(&clinic).await;
    let admin = actor(Role::Admin);
    assert_eq!(
        clinic.get_patient(&admin, p.id).await.unwrap_err().code(),
        "forbidden"
    );
    let decision = clinic
        .explain_access(&admin, Permission::CareTeamManage, Some(p.id))
        .await
        .unwrap();
    assert!(decision.allowed);
}

#[tokio::test]
async fn break_the_glass_needs_a_reason() {
    let (clinic, _, _) = clinic();
    let p = registered(&clinic).await;
    let err = clinic
        .request_emergency_access(&doctor(), p.id, "   ", None)
        .await
        .unwrap_err();
    let Error::Validation { fields } = err else {
        panic!("expected validation")
    };
    assert_eq!(fields[0].field, "reason");
}

#[tokio::test]
async fn break_the_glass_expires_after_an_hour_by_default() {
    let (clinic, _, clock) = clinic();
    let p = registered(&clinic).await;
    let doc = doctor();
    let grant = clinic
        .request_emergency_access(&doc, p.id, "cardiac arrest", None)
        .await
        .unwrap();
    assert_eq!(grant.expires_at - grant.granted_at, Duration::hours(1));
    clinic.get_patient(&doc, p.id).await.unwrap();
    clock.advance(Duration::minutes(61));
    assert_eq!(
        clinic.get_patient(&doc, p.id).await.unwrap_err().code(),
        "forbidden"
    );
}

#[tokio::test]
async fn break_the_glass_longer_than_the_maximum_is_rejected() {
    let (clinic, _, _) = clinic();
    let p = registered(&clinic).await;
    let err = clinic
        .request_emergency_access(&doctor(), p.id, "transfer", Some(Duration::hours(48)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "validation");
}

#[tokio::test]
async fn every_access_under_break_the_glass_is_flagged_and_reviewable() {
    let (clinic, store, _) = clinic();
    let p = registered(&clinic).await;
    let doc = doctor();
    let grant = clinic
        .request_emergency_access(&doc, p.id, "unconscious", None)
        .await
        .unwrap();
    clinic.get_patient(&doc, p.id).await.unwrap();
    clinic.get_patient(&doc, p.id).await.unwrap();
    let reads: Vec<_> = store
        .audit_entries(&AuditQuery {
            actor: Some(doc.id),
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.draft.action == "patient.read")
        .collect();
    assert_eq!(reads.len(), 2);
    assert!(reads.iter().all(|e| e.draft.break_glass == Some(grant.id)));
    let admin = actor(Role::Admin);
    let reviewed = clinic
        .review_emergency_access(&admin, grant.id, Some("appropriate"))
        .await
        .unwrap();
    assert_eq!(reviewed.reviewed_by, Some(admin.id));
    assert_eq!(
        clinic
            .review_emergency_access(&admin, grant.id, None)
            .await
            .unwrap_err()
            .code(),
        "conflict"
    );
}

#[tokio::test]
async fn a_patient_sees_who_accessed_their_record_and_that_query_is_audited() {
    let (clinic, store, _) = clinic();
    let p = registered(&clinic).await;
    let desk = actor(Role::FrontDesk);
    clinic.get_patient(&desk, p.id).await.unwrap();
    let me = Actor::patient(ActorId::new(), p.id);
    let log = clinic.who_accessed(&me, p.id, None).await.unwrap();
    assert!(log
        .iter()
        .any(|r| r.actor == desk.id && r.action == "patient.read"));
    let mine = store
        .audit_entries(&AuditQuery {
            actor: Some(me.id),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        mine.iter()
            .map(|e| e.draft.action.as_str())
            .collect::<Vec<_>>(),
        vec!["audit.access_log"]
    );
    let other = registered(&clinic).await;
    assert_eq!(
        clinic
            .who_accessed(&me, other.id, None)
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
}

#[tokio::test]
async fn audit_entries_carry_ids_and_codes_but_no_demographics() {
    let (clinic, store, _) = clinic();
    let p = registered(&clinic).await;
    clinic
        .get_patient(&actor(Role::FrontDesk), p.id)
        .await
        .unwrap();
    let all = store.audit_entries(&AuditQuery::default()).await.unwrap();
    let text = serde_json::to_string(&all).unwrap();
    // Whole values: a short digit run could occur in a hash or an id.
    for secret in ["Care", "Ful", "1970-03-03", "555 0100"] {
        assert!(!text.contains(secret), "audit leaked {secret}");
    }
}

#[tokio::test]
async fn verify_reports_the_first_edited_entry() {
    let (clinic, store, _) = clinic();
    let p = registered(&clinic).await;
    let desk = actor(Role::FrontDesk);
    clinic.get_patient(&desk, p.id).await.unwrap();
    let system = Actor::system();
    assert!(clinic.verify_audit(&system, None).await.unwrap().ok);
    let mut target = None;
    store.tamper_audit_chain(Some(p.id), |entries| {
        entries[1].draft.outcome = Outcome::Denied;
        target = Some(entries[1].draft.id);
    });
    let report = clinic.verify_audit(&system, None).await.unwrap();
    assert!(!report.ok);
    let problem = report.problem.unwrap();
    assert_eq!(problem.entry, target);
    assert_eq!(problem.kind, carebase::audit::ProblemKind::Edited);
}

#[tokio::test]
async fn a_replaced_policy_takes_effect_and_the_change_is_audited() {
    let (clinic, store, _) = clinic();
    let p = registered(&clinic).await;
    let billing = actor(Role::Billing);
    clinic.get_patient(&billing, p.id).await.unwrap();
    let strict = carebase::policy::Policy::from_json(
        r#"{"version": 1, "rules": [{"id": "system", "roles": ["system"], "permissions": ["policy.manage"], "relationship": "any"}]}"#,
    )
    .unwrap();
    let system = Actor::system();
    clinic.replace_policy(&system, strict).await.unwrap();
    assert_eq!(
        clinic.get_patient(&billing, p.id).await.unwrap_err().code(),
        "forbidden"
    );
    let changes = store
        .audit_entries(&AuditQuery {
            actor: Some(system.id),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(changes[0].draft.action, "policy.manage");
}

#[tokio::test]
async fn a_front_desk_actor_cannot_replace_the_policy() {
    let (clinic, _, _) = clinic();
    let err = clinic
        .replace_policy(
            &actor(Role::FrontDesk),
            carebase::policy::Policy::default_policy(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
}

#[tokio::test]
async fn a_break_the_glass_duration_past_the_calendar_is_rejected_not_a_panic() {
    let (clinic, _, _) = clinic();
    let p = registered(&clinic).await;
    let err = clinic
        .request_emergency_access(&doctor(), p.id, "transfer", Some(Duration::MAX))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "validation");
}

#[tokio::test]
async fn a_policy_built_in_code_is_checked_before_it_replaces_the_old_one() {
    let (clinic, _, _) = clinic();
    let broken = carebase::policy::Policy {
        version: Count32::new(1),
        rules: vec![],
    };
    let err = clinic
        .replace_policy(&Actor::system(), broken)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_policy");
    assert!(clinic
        .get_patient(&actor(Role::FrontDesk), registered(&clinic).await.id)
        .await
        .is_ok());
}
