//! The access concern of the port: care teams and break-the-glass grants,
//! the facts the policy asks about before every patient operation.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::ChangeSet;
use crate::access::{BreakGlassGrant, CareAssignment};
use crate::ids::{ActorId, GrantId, PatientId, PractitionerId};
use crate::Result;

/// A care-team write.
#[derive(Debug, Clone, PartialEq)]
pub enum CareTeamWrite {
    /// Adds an assignment; an existing one is a conflict.
    Assign(CareAssignment),
    /// Removes an assignment; a missing one is not-found.
    Remove {
        /// The patient.
        patient: PatientId,
        /// The practitioner.
        practitioner: PractitionerId,
    },
}

/// A break-the-glass grant write.
#[derive(Debug, Clone, PartialEq)]
pub enum GrantWrite {
    /// Records a new grant.
    Insert(BreakGlassGrant),
    /// Marks a grant reviewed; an already reviewed one is a conflict.
    Review {
        /// The grant.
        id: GrantId,
        /// The reviewer.
        by: ActorId,
        /// When.
        at: DateTime<Utc>,
        /// The reviewer's note.
        note: Option<String>,
    },
}

/// What a change set writes to care teams and grants.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccessChanges {
    /// Care-team changes, in order.
    pub care_team: Vec<CareTeamWrite>,
    /// Break-the-glass grants, in order.
    pub grants: Vec<GrantWrite>,
}

impl ChangeSet {
    /// Adds a care-team change.
    pub fn care_team(mut self, write: CareTeamWrite) -> Self {
        self.access.care_team.push(write);
        self
    }

    /// Adds a grant write.
    pub fn grant(mut self, write: GrantWrite) -> Self {
        self.access.grants.push(write);
        self
    }
}

/// Reads of care teams and grants.
#[async_trait]
pub trait AccessStore: Send + Sync {
    /// A patient's care team.
    async fn care_team(&self, patient: PatientId) -> Result<Vec<CareAssignment>>;
    /// Whether `practitioner` is on `patient`'s care team.
    async fn is_on_care_team(
        &self,
        patient: PatientId,
        practitioner: PractitionerId,
    ) -> Result<bool>;
    /// Patients whose care team includes `practitioner`, by id, after the
    /// cursor `after`, at most `limit` of them (core asks for a page + 1);
    /// never a merged-away record, and an inactive one only when
    /// `include_inactive`.
    async fn patients_of_practitioner(
        &self,
        practitioner: PractitionerId,
        after: Option<PatientId>,
        limit: u32,
        include_inactive: bool,
    ) -> Result<Vec<PatientId>>;
    /// One grant by id.
    async fn grant(&self, id: GrantId) -> Result<Option<BreakGlassGrant>>;
    /// The actor's newest grant for the patient that is active at `now`.
    async fn active_grant(
        &self,
        actor: ActorId,
        patient: PatientId,
        now: DateTime<Utc>,
    ) -> Result<Option<BreakGlassGrant>>;
    /// Grants not yet reviewed, oldest first.
    async fn grants_awaiting_review(&self, limit: u32) -> Result<Vec<BreakGlassGrant>>;
}

/// Care-team and grant write primitives, inside a backend's transaction.
#[async_trait]
pub trait AccessWrites: Send {
    /// Adds (`already_exists` when present) or removes (`not_found` when
    /// absent) an assignment.
    async fn write_care_team(&mut self, write: CareTeamWrite) -> Result<()>;
    /// Records a grant, or marks one reviewed (`not_found` when missing,
    /// `already reviewed` when it was).
    async fn write_grant(&mut self, write: GrantWrite) -> Result<()>;
}

/// Care-team changes, then grants.
pub(super) async fn write<T: AccessWrites + ?Sized>(
    tx: &mut T,
    changes: AccessChanges,
) -> Result<()> {
    for write in changes.care_team {
        tx.write_care_team(write).await?;
    }
    for write in changes.grants {
        tx.write_grant(write).await?;
    }
    Ok(())
}
