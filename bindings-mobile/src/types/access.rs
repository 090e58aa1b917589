//! Care-team assignments and break-the-glass grants.

use super::*;

/// A practitioner on a patient's care team.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CareAssignment {
    /// The patient.
    pub patient: String,
    /// The practitioner.
    pub practitioner: String,
    /// Who assigned them.
    pub assigned_by: String,
    /// When.
    pub assigned_at: String,
}

impl From<cb::access::CareAssignment> for CareAssignment {
    fn from(c: cb::access::CareAssignment) -> Self {
        Self {
            patient: c.patient.to_string(),
            practitioner: c.practitioner.to_string(),
            assigned_by: c.assigned_by.to_string(),
            assigned_at: ts(c.assigned_at),
        }
    }
}

/// Emergency (break-the-glass) access to one patient for a bounded time.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct BreakGlassGrant {
    /// Grant id.
    pub id: String,
    /// Who asked.
    pub actor: String,
    /// For which patient.
    pub patient: String,
    /// Why (staff text).
    pub reason: String,
    /// When granted.
    pub granted_at: String,
    /// When it stops working.
    pub expires_at: String,
    /// The reviewing admin.
    pub reviewed_by: Option<String>,
    /// When reviewed.
    pub reviewed_at: Option<String>,
    /// The reviewer's note.
    pub review_note: Option<String>,
}
redacted_debug!(BreakGlassGrant);

impl From<cb::access::BreakGlassGrant> for BreakGlassGrant {
    fn from(g: cb::access::BreakGlassGrant) -> Self {
        Self {
            id: g.id.to_string(),
            actor: g.actor.to_string(),
            patient: g.patient.to_string(),
            reason: g.reason,
            granted_at: ts(g.granted_at),
            expires_at: ts(g.expires_at),
            reviewed_by: ids(g.reviewed_by),
            reviewed_at: g.reviewed_at.map(ts),
            review_note: g.review_note,
        }
    }
}
