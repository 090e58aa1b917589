//! The functions of [`host_functions!`](crate::host_functions): what a host
//! needs besides `Clinic`'s operations, each answering like an operation.

use crate::actor::{Actor, Role};
use crate::events::{schema, EVENT_TYPES};
use crate::ids::{ActorId, PatientId, PractitionerId};
use crate::policy::{Policy, DEFAULT_POLICY_TOML};
use crate::settings::Settings;
use crate::{Count32, Result};

/// A fresh time-ordered (v7) id, for actors and practitioners a host names.
pub fn new_id() -> Result<ActorId> {
    Ok(ActorId::new())
}

/// The settings a clinic runs on when the host gives none.
pub fn default_settings() -> Result<Settings> {
    Ok(Settings::default())
}

/// The default access policy.
pub fn default_policy() -> Result<Policy> {
    Ok(Policy::default_policy())
}

/// The default access policy's document (TOML), to start a host's own from.
pub fn default_policy_toml() -> Result<String> {
    Ok(DEFAULT_POLICY_TOML.to_owned())
}

/// Parses and checks a TOML policy document (`invalid_policy` naming the line).
pub fn policy_from_toml(text: String) -> Result<Policy> {
    Policy::from_toml(&text)
}

/// Parses and checks a JSON policy document (`invalid_policy` naming the line).
pub fn policy_from_json(text: String) -> Result<Policy> {
    Policy::from_json(&text)
}

/// Every event type this version emits, with its schema version.
pub fn event_types() -> Result<Vec<(String, Count32)>> {
    Ok(EVENT_TYPES
        .iter()
        .map(|(kind, version)| ((*kind).to_owned(), Count32::new(*version)))
        .collect())
}

/// The JSON Schema (text) of an event type's payload, if there is one.
pub fn event_schema(kind: String, version: Count32) -> Result<Option<String>> {
    Ok(schema(&kind, version.get()).map(str::to_owned))
}

/// An actor with a fresh id and these roles.
pub fn actor_with_roles(roles: Vec<Role>) -> Result<Actor> {
    Ok(Actor::new(ActorId::new(), roles))
}

/// A trusted system process with a fresh id.
pub fn system_actor() -> Result<Actor> {
    Ok(Actor::system())
}

/// A practitioner's login (a fresh id unless `id` is given).
pub fn practitioner_actor(practitioner: PractitionerId, id: Option<ActorId>) -> Result<Actor> {
    Ok(Actor::practitioner(id.unwrap_or_default(), practitioner))
}

/// A patient's login to their own record (a fresh id unless `id` is given).
pub fn patient_actor(patient: PatientId, id: Option<ActorId>) -> Result<Actor> {
    Ok(Actor::patient(id.unwrap_or_default(), patient))
}
