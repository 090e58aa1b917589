//! Care teams and break-the-glass: the relationships the policy relies on.

use crate::Count32;
use chrono::Duration;

use super::patients::{id_cursor, parse_id_cursor};
use super::Clinic;
use crate::access::{BreakGlassGrant, CareAssignment};
use crate::actor::Actor;
use crate::audit::Outcome;
use crate::ids::{GrantId, PatientId, PractitionerId};
use crate::limits::MAX_REASON_CHARS;
use crate::patient::search::{DEFAULT_PAGE_LIMIT, MAX_LIMIT};
use crate::patient::{PageQuery, PatientPage, PatientUse};
use crate::policy::Permission;
use crate::store::{CareTeamWrite, ChangeSet, GrantWrite, Reference};
use crate::validation::{free_text, Errors};
use crate::{Error, FieldError, Result};

/// A break-the-glass reason (required) or review note: free text of at
/// most [`MAX_REASON_CHARS`], no control characters but line breaks.
fn check_text(field: &str, text: &str, required: bool) -> Vec<FieldError> {
    let mut errors = Errors::default();
    free_text(&mut errors, field, text, MAX_REASON_CHARS, required);
    errors.into_vec()
}

/// A [`PageQuery`]'s cursor and size, every invalid field collected.
fn page_bounds(query: &PageQuery) -> Result<(Option<PatientId>, u32)> {
    let mut errors = Errors::default();
    let limit = query.limit.unwrap_or(Count32::new(DEFAULT_PAGE_LIMIT));
    if limit == 0 || limit > MAX_LIMIT {
        errors.add(
            "limit",
            "out_of_range",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        );
    }
    let after = match query.cursor.as_deref().map(parse_id_cursor) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(Error::Validation { fields })) => {
            fields.into_iter().for_each(|f| errors.push(f));
            None
        }
        Some(Err(other)) => return Err(other),
    };
    errors.finish()?;
    Ok((after, limit.get()))
}

impl Clinic {
    /// The patient must exist and, in its state, accept `use_`.
    pub(super) async fn require_patient(&self, id: PatientId, use_: PatientUse) -> Result<()> {
        match self.store.patient(id).await? {
            Some(patient) => patient.accepts(use_, "patient"),
            None => Err(Error::missing("patient", "patient")),
        }
    }

    /// Puts a practitioner (or nurse) on a patient's care team. Both must
    /// exist (`not_found` naming the field otherwise: a nurse is added as a
    /// practitioner first); a merged record takes no new team members.
    pub async fn assign_care_team(
        &self,
        actor: &Actor,
        patient: PatientId,
        practitioner: PractitionerId,
    ) -> Result<CareAssignment> {
        let attempt = self
            .authorize(actor, Permission::CareTeamManage, Some(patient))
            .await?;
        self.audited(&attempt, async {
            self.require_patient(patient, PatientUse::OpenAccess)
                .await?;
            let assignment = CareAssignment {
                patient,
                practitioner,
                assigned_by: actor.id,
                assigned_at: self.now(),
            };
            let audit = self.success(&attempt, Some(format!("practitioner:{practitioner}")));
            self.store
                .apply(
                    ChangeSet::default()
                        .references(vec![
                            Reference::patient(patient, "patient"),
                            Reference::practitioner(practitioner, "practitioner"),
                        ])
                        .care_team(CareTeamWrite::Assign(assignment.clone()))
                        .audit(audit),
                )
                .await?;
            Ok(assignment)
        })
        .await
    }

    /// Takes a practitioner off a patient's care team.
    pub async fn remove_care_team(
        &self,
        actor: &Actor,
        patient: PatientId,
        practitioner: PractitionerId,
    ) -> Result<()> {
        let attempt = self
            .authorize(actor, Permission::CareTeamManage, Some(patient))
            .await?;
        self.audited(&attempt, async {
            let audit = self.success(&attempt, Some(format!("practitioner:{practitioner}")));
            self.store
                .apply(
                    ChangeSet::default()
                        .care_team(CareTeamWrite::Remove {
                            patient,
                            practitioner,
                        })
                        .audit(audit),
                )
                .await?;
            Ok(())
        })
        .await
    }

    /// A patient's care team.
    pub async fn care_team(
        &self,
        actor: &Actor,
        patient: PatientId,
    ) -> Result<Vec<CareAssignment>> {
        let attempt = self
            .authorize(actor, Permission::CareTeamRead, Some(patient))
            .await?;
        self.audited(&attempt, async {
            let team = self.store.care_team(patient).await?;
            self.store
                .apply(ChangeSet::audit_only(vec![self.success(&attempt, None)]))
                .await?;
            Ok(team)
        })
        .await
    }

    /// A practitioner's "my patients": those whose care team includes
    /// `practitioner`, in id order, paged with a keyset cursor; active ones
    /// unless `query.include_inactive`, never a merged-away record. A practitioner lists their
    /// own (`own_schedule`), the policy lets others (admin, system) list
    /// anyone's. Each patient is shown as the actor may see that patient and
    /// audited as read under its own chain.
    pub async fn patients_of_practitioner(
        &self,
        actor: &Actor,
        practitioner: PractitionerId,
        query: &PageQuery,
    ) -> Result<PatientPage> {
        let attempt = self
            .authorize_for(
                actor,
                Permission::CareTeamPatients,
                None,
                Some(practitioner),
            )
            .await?;
        self.audited(&attempt, async {
            let (after, limit) = page_bounds(query)?;
            if self.store.practitioner(practitioner).await?.is_none() {
                return Err(Error::missing("practitioner", "practitioner"));
            }
            let mut ids = self
                .store
                .patients_of_practitioner(practitioner, after, limit + 1, query.include_inactive)
                .await?;
            let next_cursor = if ids.len() > limit as usize {
                ids.truncate(limit as usize);
                ids.last().map(|id| id_cursor(*id))
            } else {
                None
            };
            let mut found = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(patient) = self.store.patient(id).await? {
                    found.push(patient);
                }
            }
            let reason = attempt.decision.audit_reason();
            let mut audit: Vec<_> = found
                .iter()
                .map(|p| {
                    self.draft_for(&attempt, Some(p.id), Outcome::Success, reason.clone(), None)
                })
                .collect();
            if audit.is_empty() {
                audit.push(self.success(&attempt, None));
            }
            self.store.apply(ChangeSet::audit_only(audit)).await?;
            let mut items = Vec::with_capacity(found.len());
            for patient in found {
                items.push(self.sight(actor, Some(patient.id)).await?.patient(patient));
            }
            Ok(PatientPage { items, next_cursor })
        })
        .await
    }

    /// Emergency access to one patient without a care relationship: needs a
    /// reason, lasts `duration` (default from settings, bounded by the
    /// maximum), and every access under it is flagged in the audit. A
    /// merged record is opened through its survivor.
    pub async fn request_emergency_access(
        &self,
        actor: &Actor,
        patient: PatientId,
        reason: &str,
        duration: Option<Duration>,
    ) -> Result<BreakGlassGrant> {
        let attempt = self
            .authorize(actor, Permission::BreakGlassRequest, Some(patient))
            .await?;
        self.audited(&attempt, async {
            let mut errors = check_text("reason", reason, true);
            let duration = duration.unwrap_or(self.settings.break_glass_default);
            if duration <= Duration::zero() || duration > self.settings.break_glass_max {
                errors.push(FieldError::new(
                    "duration",
                    "out_of_range",
                    "duration must be positive and within the configured maximum",
                ));
            }
            let now = self.now();
            // The expiry is stored and shown: an instant every host represents.
            let expires_at = crate::instant::add("duration", now, duration).ok();
            if expires_at.is_none() && errors.iter().all(|e| e.field != "duration") {
                errors.push(crate::instant::out_of_range("duration"));
            }
            let (Some(expires_at), true) = (expires_at, errors.is_empty()) else {
                return Err(Error::validation(errors));
            };
            self.require_patient(patient, PatientUse::OpenAccess)
                .await?;
            let grant = BreakGlassGrant {
                id: GrantId::new(),
                actor: actor.id,
                patient,
                reason: reason.trim().to_owned(),
                granted_at: now,
                expires_at,
                reviewed_by: None,
                reviewed_at: None,
                review_note: None,
            };
            let mut audit = self.success(&attempt, Some(format!("grant:{}", grant.id)));
            audit.break_glass = Some(grant.id);
            self.store
                .apply(
                    ChangeSet::default()
                        .references(vec![Reference::patient(patient, "patient")])
                        .grant(GrantWrite::Insert(grant.clone()))
                        .audit(audit),
                )
                .await?;
            Ok(grant)
        })
        .await
    }

    /// Break-the-glass grants no admin has reviewed yet, oldest first.
    pub async fn grants_awaiting_review(
        &self,
        actor: &Actor,
        limit: Count32,
    ) -> Result<Vec<BreakGlassGrant>> {
        let attempt = self
            .authorize(actor, Permission::BreakGlassReview, None)
            .await?;
        self.audited(&attempt, async {
            if limit == 0 || limit > 1000 {
                return Err(Error::invalid(
                    "limit",
                    "out_of_range",
                    "limit must be between 1 and 1000",
                ));
            }
            let grants = self.store.grants_awaiting_review(limit.get()).await?;
            self.store
                .apply(ChangeSet::audit_only(vec![
                    self.success(&attempt, Some("grants-awaiting-review".into()))
                ]))
                .await?;
            Ok(grants)
        })
        .await
    }

    /// Marks a grant reviewed, with an optional note.
    pub async fn review_emergency_access(
        &self,
        actor: &Actor,
        grant: GrantId,
        note: Option<&str>,
    ) -> Result<BreakGlassGrant> {
        let found = self
            .store
            .grant(grant)
            .await?
            .ok_or_else(|| Error::not_found("break-glass grant"))?;
        let attempt = self
            .authorize(actor, Permission::BreakGlassReview, Some(found.patient))
            .await?;
        self.audited(&attempt, async {
            let errors = note.map(|n| check_text("note", n, false));
            if let Some(errors) = errors.filter(|e| !e.is_empty()) {
                return Err(Error::validation(errors));
            }
            let now = self.now();
            let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
            let mut audit = self.success(&attempt, Some(format!("grant:{grant}")));
            audit.break_glass = Some(grant);
            self.store
                .apply(
                    ChangeSet::default()
                        .grant(GrantWrite::Review {
                            id: grant,
                            by: actor.id,
                            at: now,
                            note: note.clone(),
                        })
                        .audit(audit),
                )
                .await?;
            Ok(BreakGlassGrant {
                reviewed_by: Some(actor.id),
                reviewed_at: Some(now),
                review_note: note,
                ..found
            })
        })
        .await
    }
}
