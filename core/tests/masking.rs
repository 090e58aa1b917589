//! Specification of masking: what an actor sees of a patient is decided in
//! one place and holds on every path that returns patient data, and a
//! search may not filter on a field the actor does not see.

mod common;

use carebase::audit::{AuditQuery, Outcome};
use carebase::clinic::NewPatient;
use carebase::patient::{DuplicateScore, Patient, PatientField, PatientQuery};
use carebase::policy::{Permission, Policy, Relationship, Rule};
use carebase::schedule::AppointmentQuery;
use carebase::store::{AuditStore, PatientStore};
use carebase::Count32;
use carebase::{Actor, ActorId, Error, PractitionerId, Role};
use common::world::{full_details, monday, World};

use PatientField::*;

/// What each role of the default policy sees of a patient it has no
/// relationship with (its `any` read and search rules).
fn sees_of_anyone(role: Role) -> Vec<PatientField> {
    match role {
        Role::Patient => vec![],
        Role::Practitioner | Role::Nurse => vec![Identifiers, Names, Gender, BirthDate],
        Role::Billing => vec![Identifiers, Names, Gender, BirthDate, Addresses],
        Role::Admin => vec![Identifiers, Names],
        Role::FrontDesk | Role::System => PatientField::ALL.to_vec(),
    }
}

/// The fields of `p` that carry a value but are not in `allowed`, or are
/// empty without being listed as hidden.
fn leaks(p: &Patient, allowed: &[PatientField]) -> Vec<PatientField> {
    let d = &p.details;
    PatientField::ALL
        .into_iter()
        .filter(|f| !allowed.contains(f))
        .filter(|f| {
            let shown = match f {
                Identifiers => !d.identifiers.is_empty(),
                Names => !d.names.is_empty(),
                Gender => d.gender.is_some(),
                BirthDate => d.birth_date.is_some(),
                Telecom => !d.telecom.is_empty(),
                Addresses => !d.addresses.is_empty(),
                Language => d.language.is_some(),
                EmergencyContacts => !d.emergency_contacts.is_empty(),
                Deceased => d.deceased || d.deceased_at.is_some(),
            };
            shown || !p.hidden_fields.contains(f)
        })
        .collect()
}

/// The per-field scores that are given although their field is hidden.
fn score_leaks(s: &DuplicateScore, allowed: &[PatientField]) -> Vec<&'static str> {
    [
        ("name", Names, &s.name),
        ("birth_date", BirthDate, &s.birth_date),
        ("phone", Telecom, &s.phone),
        ("email", Telecom, &s.email),
        ("identifier", Identifiers, &s.identifier),
    ]
    .into_iter()
    .filter(|(_, field, score)| !allowed.contains(field) && score.similarity.is_some())
    .map(|(name, _, _)| name)
    .collect()
}

/// Whether an appointment's kept FHIR elements show its patient's name.
fn kept_display(a: &carebase::schedule::Appointment) -> bool {
    a.fhir_extra
        .as_ref()
        .and_then(|x| x["resource"]["participant"][0]["actor"].get("display"))
        .is_some()
}

fn actor_for(role: Role) -> Actor {
    match role {
        Role::Practitioner => Actor::practitioner(ActorId::new(), PractitionerId::new()),
        Role::Patient => Actor::patient(ActorId::new(), carebase::PatientId::new()),
        Role::System => Actor::system(),
        other => Actor::new(ActorId::new(), vec![other]),
    }
}

const ROLES: [Role; 7] = [
    Role::Patient,
    Role::Practitioner,
    Role::Nurse,
    Role::FrontDesk,
    Role::Billing,
    Role::Admin,
    Role::System,
];

#[tokio::test]
async fn no_path_shows_any_role_a_field_it_may_not_see() {
    let w = World::new().await;
    let mut problems = Vec::new();
    for (index, role) in ROLES.into_iter().enumerate() {
        let who = actor_for(role);
        let allowed = sees_of_anyone(role);
        let mut shown: Vec<(&str, Patient)> = Vec::new();
        let mut scores = Vec::new();
        // Two records of one person, and a third to register, update and
        // (de)activate; nobody here has a relationship with them.
        let a = w.patient("Twin", "Alma").await;
        let b = w.patient("Twin", "Alma").await;

        if let Ok(p) = w
            .clinic
            .register_patient(
                &who,
                NewPatient {
                    details: full_details("Fresh", "Fay"),
                    mrn_facility: None,
                },
            )
            .await
        {
            shown.push(("register_patient", p));
        }
        if let Ok(p) = w.clinic.get_patient(&who, a.id).await {
            shown.push(("get_patient", p));
        }
        let query = PatientQuery {
            active: Some(true),
            ..PatientQuery::default()
        };
        if let Ok(page) = w.clinic.search_patients(&who, &query).await {
            shown.extend(page.items.into_iter().map(|p| ("search_patients", p)));
        }
        if let Ok(p) = w
            .clinic
            .update_patient(&who, a.id, a.version, full_details("Twin", "Alma"))
            .await
        {
            shown.push(("update_patient", p));
        }
        let current = w.store.patient(a.id).await.unwrap().unwrap();
        if let Ok(p) = w
            .clinic
            .deactivate_patient(&who, a.id, current.version)
            .await
        {
            shown.push(("deactivate_patient", p.clone()));
            if let Ok(p) = w.clinic.reactivate_patient(&who, a.id, p.version).await {
                shown.push(("reactivate_patient", p));
            }
        }
        // An imported appointment whose patient participant carries a name.
        let day = monday(9, 0) + chrono::Duration::days(index as i64);
        let imported = w
            .clinic
            .import_appointment_fhir(
                &w.desk,
                w.fhir(a.id, day, day + chrono::Duration::minutes(30)),
            )
            .await
            .unwrap();
        let mut displays: Vec<(&str, bool)> = Vec::new();
        if let Ok(read) = w.clinic.get_appointment(&who, imported.id).await {
            displays.push(("get_appointment", kept_display(&read)));
        }
        if let Ok(list) = w
            .clinic
            .list_appointments(
                &who,
                AppointmentQuery {
                    patient: Some(a.id),
                    practitioner: None,
                    from: day,
                    to: day + chrono::Duration::hours(1),
                    include_inactive: true,
                    limit: None,
                },
            )
            .await
        {
            displays.extend(list.iter().map(|r| ("list_appointments", kept_display(r))));
        }
        if let Ok(fhir) = w.clinic.export_appointment_fhir(&who, imported.id).await {
            let shown = fhir["participant"][0]["actor"].get("display").is_some();
            displays.push(("export_appointment_fhir", shown));
        }
        for (path, name_shown) in displays {
            if name_shown && !allowed.contains(&Names) {
                problems.push(format!("{role} {path}: the patient's name"));
            }
        }
        if let Ok(found) = w.clinic.find_duplicates(&who, b.id, Count32::new(10)).await {
            for c in found {
                scores.push(c.score.clone());
                shown.push(("find_duplicates", c.patient));
            }
        }
        let a_now = w.store.patient(a.id).await.unwrap().unwrap();
        if let Ok(merge) = w
            .clinic
            .merge_patients(&who, b.id, b.version, a.id, a_now.version)
            .await
        {
            shown.push(("merge_patients", merge.merged_before));
            if let Ok(log) = w.clinic.merge_history(&who, b.id).await {
                shown.extend(log.into_iter().map(|m| ("merge_history", m.merged_before)));
            }
            if let Ok(p) = w.clinic.unmerge_patients(&who, merge.id).await {
                shown.push(("unmerge_patients", p));
            }
        }
        for (path, p) in &shown {
            let leaked = leaks(p, &allowed);
            if !leaked.is_empty() {
                problems.push(format!("{role} {path}: {leaked:?}"));
            }
        }
        for s in &scores {
            let leaked = score_leaks(s, &allowed);
            if !leaked.is_empty() {
                problems.push(format!("{role} find_duplicates scores: {leaked:?}"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[tokio::test]
async fn an_admin_finds_and_merges_duplicates_by_names_and_identifiers_only() {
    let w = World::new().await;
    let a = w.patient("Rowan", "Ada").await;
    let twin = w.patient("Rowan", "Ada").await;
    // Shares only hidden fields with `a`: birth date, phone.
    let stranger = w.patient("Quill", "Zed").await;
    let seen_by = |who: &Actor| {
        let clinic = w.clinic.clone();
        let who = who.clone();
        async move {
            clinic
                .find_duplicates(&who, a.id, Count32::new(10))
                .await
                .unwrap()
                .into_iter()
                .map(|c| (c.patient.id, c.score))
                .collect::<Vec<_>>()
        }
    };
    let system_sees = seen_by(&w.system).await;
    assert!(system_sees.iter().any(|(id, _)| *id == stranger.id));
    let admin_sees = seen_by(&w.admin).await;
    assert_eq!(
        admin_sees.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        vec![twin.id],
        "a match on hidden fields alone is not shown"
    );
    let score = &admin_sees[0].1;
    assert_eq!(score.name.similarity, Some(1.0));
    assert_eq!(score.birth_date.similarity, None);
    assert_eq!(score.phone.similarity, None);
    assert_eq!(score.email.similarity, None);
    assert_eq!(
        score.total, 0.35,
        "the total counts only what the admin sees"
    );
    let merge = w
        .clinic
        .merge_patients(&w.admin, twin.id, twin.version, a.id, a.version)
        .await
        .unwrap();
    assert_eq!(merge.merged_before.details.birth_date, None);
    assert!(merge.merged_before.details.telecom.is_empty());
    assert!(!merge.merged_before.details.names.is_empty());
}

#[tokio::test]
async fn a_search_filter_on_a_field_the_actor_may_not_see_is_forbidden_and_audited() {
    let w = World::new().await;
    w.patient("Filter", "Fran").await;
    let phone = || PatientQuery {
        phone: Some("+1 555 0100".into()),
        ..PatientQuery::default()
    };
    let email = || PatientQuery {
        email: Some("fran@example.org".into()),
        ..PatientQuery::default()
    };
    let birth = || PatientQuery {
        birth_date: chrono::NaiveDate::from_ymd_opt(1980, 5, 5),
        ..PatientQuery::default()
    };
    let cases = [
        (Role::Billing, phone(), "phone"),
        (Role::Billing, email(), "email"),
        (Role::Admin, phone(), "phone"),
        (Role::Admin, email(), "email"),
        (Role::Admin, birth(), "birth_date"),
        (Role::Nurse, phone(), "phone"),
        (Role::Nurse, email(), "email"),
        (Role::Practitioner, phone(), "phone"),
        (Role::Practitioner, email(), "email"),
    ];
    for (role, query, field) in cases {
        let who = actor_for(role);
        let err = w.clinic.search_patients(&who, &query).await.unwrap_err();
        let Error::Forbidden { reason } = &err else {
            panic!("{role} {field}: expected forbidden, got {err:?}");
        };
        assert_eq!(reason.permission, Permission::PatientSearch);
        assert_eq!(reason.fields, vec![field.to_owned()], "{role}");
        assert!(err.to_string().contains(field), "{err}");
        let audit = w
            .store
            .audit_entries(&AuditQuery {
                actor: Some(who.id),
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(audit.len(), 1, "{role} {field}");
        assert_eq!(audit[0].draft.outcome, Outcome::Denied);
        assert!(audit[0].draft.reason.contains(field));
    }
    // Filters on fields the actor sees still work.
    for (role, query) in [
        (Role::FrontDesk, phone()),
        (Role::FrontDesk, email()),
        (Role::Billing, birth()),
        (Role::Nurse, birth()),
    ] {
        let page = w
            .clinic
            .search_patients(&actor_for(role), &query)
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1, "{role}");
    }
}

#[tokio::test]
async fn an_imported_patient_name_is_shown_only_to_actors_who_see_names() {
    let w = World::new().await;
    let p = w.patient("Named", "Nell").await;
    let imported = w
        .clinic
        .import_appointment_fhir(&w.desk, w.fhir(p.id, monday(9, 0), monday(9, 30)))
        .await
        .unwrap();
    let display = |v: &serde_json::Value| v["participant"][0]["actor"]["display"].clone();
    let desk_view = w
        .clinic
        .export_appointment_fhir(&w.desk, imported.id)
        .await
        .unwrap();
    assert_eq!(display(&desk_view), "Pat Imported");
    // A policy that lets patients read any appointment (but not records).
    let mut policy = Policy::default_policy();
    policy.rules.push(Rule {
        id: "patients-read-any-appointment".into(),
        roles: vec![Role::Patient],
        permissions: vec![Permission::AppointmentRead],
        relationship: Relationship::Any,
        fields: None,
    });
    let clinic = w.clinic.clone().with_policy(policy);
    let stranger = Actor::patient(ActorId::new(), w.patient("Other", "Otto").await.id);
    let exported = clinic
        .export_appointment_fhir(&stranger, imported.id)
        .await
        .unwrap();
    assert_eq!(display(&exported), serde_json::Value::Null);
    let read = clinic
        .get_appointment(&stranger, imported.id)
        .await
        .unwrap();
    let kept = read.fhir_extra.unwrap();
    assert_eq!(
        kept["resource"]["participant"][0]["actor"].get("display"),
        None
    );
    let calendar = clinic
        .list_appointments(
            &w.desk,
            AppointmentQuery {
                patient: Some(p.id),
                practitioner: None,
                from: monday(0, 0),
                to: monday(23, 0),
                include_inactive: true,
                limit: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        calendar[0].fhir_extra.as_ref().unwrap()["resource"]["participant"][0]["actor"]["display"],
        "Pat Imported",
        "who sees names still sees it"
    );
}
