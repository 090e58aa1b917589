//! MemoryStore's care teams and break-the-glass grants.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{MemoryStore, State};
use crate::access::{BreakGlassGrant, CareAssignment};
use crate::error::ConflictDetail;
use crate::ids::{ActorId, GrantId, PatientId, PractitionerId};
use crate::store::{AccessStore, AccessWrites, CareTeamWrite, GrantWrite};
use crate::{Error, Result};

#[async_trait]
impl AccessWrites for State {
    async fn write_care_team(&mut self, write: CareTeamWrite) -> Result<()> {
        match write {
            CareTeamWrite::Assign(a) => {
                let key = (a.patient, a.practitioner);
                if self.care_team.contains_key(&key) {
                    return Err(Error::Conflict {
                        detail: ConflictDetail::AlreadyExists {
                            entity: "care team assignment".into(),
                        },
                    });
                }
                self.care_team.insert(key, a);
            }
            CareTeamWrite::Remove {
                patient,
                practitioner,
            } => {
                self.care_team
                    .remove(&(patient, practitioner))
                    .ok_or_else(|| Error::not_found("care team assignment"))?;
            }
        }
        Ok(())
    }

    async fn write_grant(&mut self, write: GrantWrite) -> Result<()> {
        match write {
            GrantWrite::Insert(g) => {
                self.grants.insert(g.id, g);
            }
            GrantWrite::Review { id, by, at, note } => {
                let g = self
                    .grants
                    .get_mut(&id)
                    .ok_or_else(|| Error::not_found("break-glass grant"))?;
                if g.reviewed_at.is_some() {
                    return Err(Error::invalid_state(
                        "break-glass grant",
                        "already reviewed",
                    ));
                }
                g.reviewed_by = Some(by);
                g.reviewed_at = Some(at);
                g.review_note = note;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl AccessStore for MemoryStore {
    async fn care_team(&self, patient: PatientId) -> Result<Vec<CareAssignment>> {
        Ok(self
            .lock()
            .care_team
            .values()
            .filter(|a| a.patient == patient)
            .cloned()
            .collect())
    }

    async fn is_on_care_team(
        &self,
        patient: PatientId,
        practitioner: PractitionerId,
    ) -> Result<bool> {
        Ok(self.lock().care_team.contains_key(&(patient, practitioner)))
    }

    async fn patients_of_practitioner(
        &self,
        practitioner: PractitionerId,
        after: Option<PatientId>,
        limit: u32,
        include_inactive: bool,
    ) -> Result<Vec<PatientId>> {
        let state = self.lock();
        let cared_for = |id: &PatientId| {
            state
                .patients
                .get(id)
                .is_some_and(|p| p.merged_into.is_none() && (include_inactive || p.active))
        };
        let mut ids: Vec<PatientId> = state
            .care_team
            .keys()
            .filter(|(patient, pr)| *pr == practitioner && after.is_none_or(|a| *patient > a))
            .map(|(patient, _)| *patient)
            .filter(cared_for)
            .collect();
        ids.sort();
        ids.truncate(limit as usize);
        Ok(ids)
    }

    async fn grant(&self, id: GrantId) -> Result<Option<BreakGlassGrant>> {
        Ok(self.lock().grants.get(&id).cloned())
    }

    async fn active_grant(
        &self,
        actor: ActorId,
        patient: PatientId,
        now: DateTime<Utc>,
    ) -> Result<Option<BreakGlassGrant>> {
        Ok(self
            .lock()
            .grants
            .values()
            .rev()
            .find(|g| g.actor == actor && g.patient == patient && g.is_active(now))
            .cloned())
    }

    async fn grants_awaiting_review(&self, limit: u32) -> Result<Vec<BreakGlassGrant>> {
        Ok(self
            .lock()
            .grants
            .values()
            .filter(|g| g.reviewed_at.is_none())
            .take(limit as usize)
            .cloned()
            .collect())
    }
}
