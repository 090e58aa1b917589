//! Who is asking: an [`Actor`] with roles and the person it stands for.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::codes::code_enum;
use crate::ids::{ActorId, PatientId, PractitionerId};
use crate::{Error, Result};

code_enum! {
    /// A role the access policy grants permissions to.
    #[derive(PartialOrd, Ord)]
    pub enum Role {
        /// A patient acting for themself.
        Patient = "patient",
        /// A doctor or other licensed clinician.
        Practitioner = "practitioner",
        /// A nurse.
        Nurse = "nurse",
        /// Reception: registration and demographics.
        FrontDesk = "front_desk",
        /// Billing staff: codes and amounts, not clinical notes.
        Billing = "billing",
        /// Administrator: care teams, policy, audit review.
        Admin = "admin",
        /// A trusted system process.
        System = "system",
    }
}

impl FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Role::parse(s).ok_or_else(|| Error::invalid("role", "unknown_role", "unknown role"))
    }
}

/// Who is asking. Hosts build it from their own authentication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Actor {
    /// Stable id of the login or process.
    pub id: ActorId,
    /// Roles held; permissions are the union over roles.
    pub roles: Vec<Role>,
    /// The practitioner this actor is, for care-team relationships.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub practitioner: Option<PractitionerId>,
    /// The patient this actor is, for "own record" access.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub patient: Option<PatientId>,
}

impl Actor {
    /// An actor with roles and no linked person.
    pub fn new(id: ActorId, roles: Vec<Role>) -> Self {
        Self {
            id,
            roles,
            practitioner: None,
            patient: None,
        }
    }

    /// A trusted system process with a fresh id.
    pub fn system() -> Self {
        Self::new(ActorId::new(), vec![Role::System])
    }

    /// A practitioner login linked to a practitioner id.
    pub fn practitioner(id: ActorId, practitioner: PractitionerId) -> Self {
        Self {
            practitioner: Some(practitioner),
            ..Self::new(id, vec![Role::Practitioner])
        }
    }

    /// A patient login linked to their own record.
    pub fn patient(id: ActorId, patient: PatientId) -> Self {
        Self {
            patient: Some(patient),
            ..Self::new(id, vec![Role::Patient])
        }
    }

    /// Whether the actor holds `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}
