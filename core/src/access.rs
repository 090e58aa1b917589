//! Care relationships and break-the-glass grants: the facts the access
//! policy's relationships are decided on.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{ActorId, GrantId, PatientId, PractitionerId};

/// A practitioner or nurse on a patient's care team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CareAssignment {
    /// The patient.
    pub patient: PatientId,
    /// The practitioner.
    pub practitioner: PractitionerId,
    /// Who assigned them.
    pub assigned_by: ActorId,
    /// When.
    pub assigned_at: DateTime<Utc>,
}

/// Emergency access to one patient for a bounded time, reviewed afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(extend("x-shown" = ["id", "patient", "expires_at"])))]
pub struct BreakGlassGrant {
    /// Grant id.
    pub id: GrantId,
    /// Who asked (and may use it).
    pub actor: ActorId,
    /// For which patient.
    pub patient: PatientId,
    /// Why (mandatory; staff text, kept out of logs and events).
    pub reason: String,
    /// When it was granted.
    pub granted_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// The admin who reviewed it.
    pub reviewed_by: Option<ActorId>,
    /// When it was reviewed.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// The reviewer's note.
    pub review_note: Option<String>,
}

impl BreakGlassGrant {
    /// Whether the grant is usable at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.granted_at <= now && now < self.expires_at
    }
}
