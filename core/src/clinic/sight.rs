//! What an actor sees of a patient, decided in ONE place.
//!
//! Every path that hands patient data back — get, register, update,
//! (de)activate, search, duplicates and their scores, merge, unmerge, the
//! merge log, appointments and their FHIR export — shows it through a
//! [`Sight`] made here. A sight is the fields the policy's `patient.read`
//! rules show the actor of that patient, together with those its
//! `patient.search` rules show of anyone (who can find a patient sees that
//! much anyway). The permission of the operation itself (`patient.merge`,
//! `appointment.read`, …) grants the operation, never a wider view.
//!
//! Search filters pass through the same sight: a filter on a field the
//! actor may not see would confirm its value, so it is refused. And a
//! double booking names the appointment in the way only to an actor the
//! policy lets read it.

use serde_json::Value;

use super::{Attempt, Clinic};
use crate::actor::Actor;
use crate::ids::PatientId;
use crate::patient::{Patient, PatientField, PatientQuery};
use crate::policy::{AccessFacts, Permission, Policy};
use crate::schedule::Appointment;
use crate::{Error, Result};

/// The patient fields one actor sees of one patient (or of any patient).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Sight {
    visible: Vec<PatientField>,
}

impl Sight {
    /// What `policy` lets `actor` see given `facts` about the patient.
    fn of(policy: &Policy, actor: &Actor, facts: &AccessFacts) -> Self {
        let read = policy.decide(actor, Permission::PatientRead, facts);
        let search = policy.decide(actor, Permission::PatientSearch, &AccessFacts::default());
        let visible = PatientField::ALL
            .into_iter()
            .filter(|f| read.visible_fields.contains(f) || search.visible_fields.contains(f))
            .collect();
        Self { visible }
    }

    /// Whether the actor sees `field`.
    pub fn sees(&self, field: PatientField) -> bool {
        self.visible.contains(&field)
    }

    /// Every field the actor does not see.
    pub fn hidden(&self) -> Vec<PatientField> {
        PatientField::ALL
            .into_iter()
            .filter(|f| !self.sees(*f))
            .collect()
    }

    /// `patient` with what the actor does not see emptied and listed.
    pub fn patient(&self, patient: Patient) -> Patient {
        patient.masked(&self.hidden())
    }

    /// `appointment` without the patient data an import kept in
    /// `fhir_extra` that the actor does not see: the patient participant's
    /// `display` (a name) and `identifier`.
    pub fn appointment(&self, mut appointment: Appointment) -> Appointment {
        let patient_ref = format!("Patient/{}", appointment.patient);
        let drop: Vec<&str> = [
            (PatientField::Names, "display"),
            (PatientField::Identifiers, "identifier"),
        ]
        .into_iter()
        .filter(|(field, _)| !self.sees(*field))
        .map(|(_, key)| key)
        .collect();
        if drop.is_empty() {
            return appointment;
        }
        for actor in patient_actors(&mut appointment, &patient_ref) {
            for key in &drop {
                actor.remove(*key);
            }
        }
        appointment
    }

    /// The query fields that filter on a patient field the actor does not
    /// see, in query order.
    pub fn refused_filters(&self, query: &PatientQuery) -> Vec<String> {
        let filters = [
            ("name", query.name.is_some(), PatientField::Names),
            (
                "birth_date",
                query.birth_date.is_some(),
                PatientField::BirthDate,
            ),
            (
                "identifier_system",
                query.identifier_system.is_some(),
                PatientField::Identifiers,
            ),
            (
                "identifier_value",
                query.identifier_value.is_some(),
                PatientField::Identifiers,
            ),
            ("phone", query.phone.is_some(), PatientField::Telecom),
            ("email", query.email.is_some(), PatientField::Telecom),
            ("gender", query.gender.is_some(), PatientField::Gender),
        ];
        filters
            .into_iter()
            .filter(|(_, given, field)| *given && !self.sees(*field))
            .map(|(name, _, _)| name.to_owned())
            .collect()
    }
}

/// The `actor` objects of the participants in an appointment's kept FHIR
/// elements that stand for its patient.
fn patient_actors<'a>(
    appointment: &'a mut Appointment,
    patient_ref: &'a str,
) -> impl Iterator<Item = &'a mut serde_json::Map<String, Value>> + 'a {
    appointment
        .fhir_extra
        .as_mut()
        .and_then(|extra| extra.pointer_mut("/resource/participant"))
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get_mut("actor").and_then(Value::as_object_mut))
        .filter(move |actor| actor.get("reference").and_then(Value::as_str) == Some(patient_ref))
}

/// Whether `appointment` carries patient data a sight may hide.
fn carries_patient_data(appointment: &Appointment) -> bool {
    let patient_ref = format!("Patient/{}", appointment.patient);
    appointment
        .fhir_extra
        .as_ref()
        .and_then(|extra| extra.pointer("/resource/participant"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("actor").and_then(Value::as_object))
        .filter(|actor| actor.get("reference").and_then(Value::as_str) == Some(&patient_ref))
        .any(|actor| actor.contains_key("display") || actor.contains_key("identifier"))
}

impl Clinic {
    /// What `actor` sees of `patient`, or of any patient (search results,
    /// duplicate candidates) when `None`.
    pub(super) async fn sight(&self, actor: &Actor, patient: Option<PatientId>) -> Result<Sight> {
        let facts = self.facts(actor, patient).await?;
        Ok(Sight::of(&self.policy(), actor, &facts))
    }

    /// What the actor of `attempt` sees of its patient, from the facts the
    /// attempt was decided on.
    pub(super) fn sight_of(&self, attempt: &Attempt<'_>) -> Sight {
        Sight::of(&self.policy(), attempt.actor, &attempt.facts)
    }

    /// What `actor` sees of a record it has just registered (no care team,
    /// no grant yet).
    pub(super) fn sight_of_new(&self, actor: &Actor, patient: PatientId) -> Sight {
        let facts = AccessFacts {
            has_target: true,
            own_record: actor.patient == Some(patient),
            ..AccessFacts::default()
        };
        Sight::of(&self.policy(), actor, &facts)
    }

    /// `result`, with the appointment in the way of a double booking named
    /// only when `actor` may read it (`appointment.read` on its patient and
    /// practitioner, as the policy decides): otherwise the actor learns
    /// that the time is taken, not whose appointment holds it.
    pub(super) async fn disclosed<T>(&self, actor: &Actor, result: Result<T>) -> Result<T> {
        let Err(Error::DoubleBooking {
            resource,
            appointment: Some(id),
        }) = &result
        else {
            return result;
        };
        let readable = match self.store.appointment(*id).await {
            Ok(Some(other)) => self
                .facts(actor, Some(other.patient))
                .await
                .map(|mut facts| {
                    facts.own_schedule = actor.practitioner == Some(other.practitioner);
                    let policy = self.policy();
                    policy
                        .decide(actor, Permission::AppointmentRead, &facts)
                        .allowed
                })
                .unwrap_or(false),
            _ => false,
        };
        if readable {
            return result;
        }
        Err(Error::DoubleBooking {
            resource: *resource,
            appointment: None,
        })
    }

    /// `appointments` as `actor` may see them. Only an imported one can
    /// carry patient data, so only those cost a look at the policy facts.
    pub(super) async fn shown_appointments(
        &self,
        actor: &Actor,
        appointments: Vec<Appointment>,
    ) -> Result<Vec<Appointment>> {
        let mut sights: Vec<(PatientId, Sight)> = Vec::new();
        let mut shown = Vec::with_capacity(appointments.len());
        for a in appointments {
            if !carries_patient_data(&a) {
                shown.push(a);
                continue;
            }
            let known = sights.iter().position(|(p, _)| *p == a.patient);
            let index = match known {
                Some(i) => i,
                None => {
                    sights.push((a.patient, self.sight(actor, Some(a.patient)).await?));
                    sights.len() - 1
                }
            };
            shown.push(sights[index].1.appointment(a));
        }
        Ok(shown)
    }

    /// One appointment as `actor` may see it.
    pub(super) async fn shown_appointment(
        &self,
        actor: &Actor,
        appointment: Appointment,
    ) -> Result<Appointment> {
        let mut shown = self.shown_appointments(actor, vec![appointment]).await?;
        shown
            .pop()
            .ok_or_else(|| Error::storage("an appointment went missing while shown"))
    }
}
