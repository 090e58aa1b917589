//! Care teams and break-the-glass grants in PostgreSQL; a review locks its
//! grant's row, so "review once" holds between concurrent reviewers.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use carebase::access::{BreakGlassGrant, CareAssignment};
use carebase::store::{AccessStore, AccessWrites, CareTeamWrite, GrantWrite};
use carebase::{ActorId, Error, GrantId, PatientId, PractitionerId, Result};

use super::error::db_error;
use super::rows::{CareRow, GrantRow, GRANT_COLUMNS};
use super::{already_exists, PostgresStore, Tx};

#[async_trait]
impl AccessStore for PostgresStore {
    async fn care_team(&self, patient: PatientId) -> Result<Vec<CareAssignment>> {
        let pool = &self.pool;
        let rows: Vec<CareRow> = sqlx::query_as(
            "SELECT patient_id, practitioner_id, assigned_by, assigned_at FROM care_team \
             WHERE patient_id = $1 ORDER BY practitioner_id",
        )
        .bind(patient.0)
        .fetch_all(pool)
        .await
        .map_err(db_error("care_team"))?;
        Ok(rows.into_iter().map(CareRow::into_assignment).collect())
    }

    async fn is_on_care_team(
        &self,
        patient: PatientId,
        practitioner: PractitionerId,
    ) -> Result<bool> {
        let pool = &self.pool;
        let found: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM care_team WHERE patient_id = $1 AND practitioner_id = $2",
        )
        .bind(patient.0)
        .bind(practitioner.0)
        .fetch_optional(pool)
        .await
        .map_err(db_error("is_on_care_team"))?;
        Ok(found.is_some())
    }

    async fn patients_of_practitioner(
        &self,
        practitioner: PractitionerId,
        after: Option<PatientId>,
        limit: u32,
        include_inactive: bool,
    ) -> Result<Vec<PatientId>> {
        let pool = &self.pool;
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar(
            "SELECT c.patient_id FROM care_team c JOIN patients p ON p.patient_id = c.patient_id \
             WHERE c.practitioner_id = $1 AND ($2::uuid IS NULL OR c.patient_id > $2) \
             AND p.merged_into IS NULL AND ($4 OR p.active) \
             ORDER BY c.patient_id LIMIT $3",
        )
        .bind(practitioner.0)
        .bind(after.map(|a| a.0))
        .bind(i64::from(limit))
        .bind(include_inactive)
        .fetch_all(pool)
        .await
        .map_err(db_error("patients_of_practitioner"))?;
        Ok(ids.into_iter().map(PatientId::from).collect())
    }

    async fn grant(&self, id: GrantId) -> Result<Option<BreakGlassGrant>> {
        let pool = &self.pool;
        let row: Option<GrantRow> = sqlx::query_as(&format!(
            "SELECT {GRANT_COLUMNS} FROM break_glass_grants WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .map_err(db_error("grant"))?;
        Ok(row.map(GrantRow::into_grant))
    }

    async fn active_grant(
        &self,
        actor: ActorId,
        patient: PatientId,
        now: DateTime<Utc>,
    ) -> Result<Option<BreakGlassGrant>> {
        let pool = &self.pool;
        // Newest grant (by id) that is active at `now`; activity is decided by
        // `BreakGlassGrant::is_active`, the rule's one definition.
        let rows: Vec<GrantRow> = sqlx::query_as(&format!(
            "SELECT {GRANT_COLUMNS} FROM break_glass_grants \
             WHERE actor_id = $1 AND patient_id = $2 ORDER BY id DESC"
        ))
        .bind(actor.0)
        .bind(patient.0)
        .fetch_all(pool)
        .await
        .map_err(db_error("active_grant"))?;
        Ok(rows
            .into_iter()
            .map(GrantRow::into_grant)
            .find(|g| g.is_active(now)))
    }

    async fn grants_awaiting_review(&self, limit: u32) -> Result<Vec<BreakGlassGrant>> {
        let pool = &self.pool;
        let rows: Vec<GrantRow> = sqlx::query_as(&format!(
            "SELECT {GRANT_COLUMNS} FROM break_glass_grants \
             WHERE reviewed_at IS NULL ORDER BY id LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_error("grants_awaiting_review"))?;
        Ok(rows.into_iter().map(GrantRow::into_grant).collect())
    }
}

#[async_trait]
impl AccessWrites for Tx<'_> {
    async fn write_care_team(&mut self, write: CareTeamWrite) -> Result<()> {
        let conn = &mut *self.0;
        match write {
            CareTeamWrite::Assign(a) => {
                let done = sqlx::query(
                    "INSERT INTO care_team (patient_id, practitioner_id, assigned_by, assigned_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(a.patient.0)
                .bind(a.practitioner.0)
                .bind(a.assigned_by.0)
                .bind(a.assigned_at)
                .execute(&mut *conn)
                .await
                .map_err(db_error("write_care_team"))?;
                if done.rows_affected() == 0 {
                    return Err(already_exists("care team assignment"));
                }
            }
            CareTeamWrite::Remove {
                patient,
                practitioner,
            } => {
                let done = sqlx::query(
                    "DELETE FROM care_team WHERE patient_id = $1 AND practitioner_id = $2",
                )
                .bind(patient.0)
                .bind(practitioner.0)
                .execute(&mut *conn)
                .await
                .map_err(db_error("write_care_team"))?;
                if done.rows_affected() == 0 {
                    return Err(Error::not_found("care team assignment"));
                }
            }
        }
        Ok(())
    }

    async fn write_grant(&mut self, write: GrantWrite) -> Result<()> {
        let conn = &mut *self.0;
        match write {
            GrantWrite::Insert(g) => {
                sqlx::query(
                    "INSERT INTO break_glass_grants (id, patient_id, actor_id, reason, \
                     granted_at, expires_at, reviewed_by, reviewed_at, review_note) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (patient_id, id) DO UPDATE SET actor_id = EXCLUDED.actor_id, \
                     reason = EXCLUDED.reason, granted_at = EXCLUDED.granted_at, \
                     expires_at = EXCLUDED.expires_at, reviewed_by = EXCLUDED.reviewed_by, \
                     reviewed_at = EXCLUDED.reviewed_at, review_note = EXCLUDED.review_note",
                )
                .bind(g.id.0)
                .bind(g.patient.0)
                .bind(g.actor.0)
                .bind(&g.reason)
                .bind(g.granted_at)
                .bind(g.expires_at)
                .bind(g.reviewed_by.map(|a| a.0))
                .bind(g.reviewed_at)
                .bind(&g.review_note)
                .execute(&mut *conn)
                .await
                .map_err(db_error("write_grant"))?;
            }
            GrantWrite::Review { id, by, at, note } => {
                // The row lock makes "review once" hold between concurrent reviewers.
                let found: Option<Option<chrono::DateTime<chrono::Utc>>> = sqlx::query_scalar(
                    "SELECT reviewed_at FROM break_glass_grants WHERE id = $1 FOR UPDATE",
                )
                .bind(id.0)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_error("write_grant"))?;
                match found {
                    None => return Err(Error::not_found("break-glass grant")),
                    Some(Some(_)) => {
                        return Err(Error::invalid_state(
                            "break-glass grant",
                            "already reviewed",
                        ))
                    }
                    Some(None) => {}
                }
                sqlx::query(
                    "UPDATE break_glass_grants SET reviewed_by = $1, reviewed_at = $2, \
                     review_note = $3 WHERE id = $4",
                )
                .bind(by.0)
                .bind(at)
                .bind(note)
                .bind(id.0)
                .execute(&mut *conn)
                .await
                .map_err(db_error("write_grant"))?;
            }
        }
        Ok(())
    }
}
