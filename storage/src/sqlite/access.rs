//! Care teams and break-the-glass grants in SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use carebase::access::{BreakGlassGrant, CareAssignment};
use carebase::store::{AccessStore, AccessWrites, CareTeamWrite, GrantWrite};
use carebase::{ActorId, Error, GrantId, PatientId, PractitionerId, Result};

use super::error::db_error;
use super::rows::{id_text, parse_id, ts, CareRow, GrantRow, GRANT_COLUMNS};
use super::{already_exists, SqliteStore, Tx};

#[async_trait]
impl AccessStore for SqliteStore {
    async fn care_team(&self, patient: PatientId) -> Result<Vec<CareAssignment>> {
        let pool = &self.pool;
        let rows: Vec<CareRow> = sqlx::query_as(
            "SELECT patient_id, practitioner_id, assigned_by, assigned_at FROM care_team \
             WHERE patient_id = ? ORDER BY practitioner_id",
        )
        .bind(id_text(patient.0))
        .fetch_all(pool)
        .await
        .map_err(db_error("care_team"))?;
        rows.into_iter().map(CareRow::into_assignment).collect()
    }

    async fn is_on_care_team(
        &self,
        patient: PatientId,
        practitioner: PractitionerId,
    ) -> Result<bool> {
        let pool = &self.pool;
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM care_team WHERE patient_id = ? AND practitioner_id = ?",
        )
        .bind(id_text(patient.0))
        .bind(id_text(practitioner.0))
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
    ) -> Result<Vec<PatientId>> {
        let pool = &self.pool;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT patient_id FROM care_team WHERE practitioner_id = ? \
             AND (? IS NULL OR patient_id > ?) ORDER BY patient_id LIMIT ?",
        )
        .bind(id_text(practitioner.0))
        .bind(after.map(|a| id_text(a.0)))
        .bind(after.map(|a| id_text(a.0)))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_error("patients_of_practitioner"))?;
        ids.iter().map(|id| parse_id(id, "patient id")).collect()
    }

    async fn grant(&self, id: GrantId) -> Result<Option<BreakGlassGrant>> {
        let pool = &self.pool;
        let row: Option<GrantRow> = sqlx::query_as(&format!(
            "SELECT {GRANT_COLUMNS} FROM break_glass_grants WHERE id = ?"
        ))
        .bind(id_text(id.0))
        .fetch_optional(pool)
        .await
        .map_err(db_error("grant"))?;
        row.map(GrantRow::into_grant).transpose()
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
             WHERE actor_id = ? AND patient_id = ? ORDER BY id DESC"
        ))
        .bind(id_text(actor.0))
        .bind(id_text(patient.0))
        .fetch_all(pool)
        .await
        .map_err(db_error("active_grant"))?;
        for row in rows {
            let grant = row.into_grant()?;
            if grant.is_active(now) {
                return Ok(Some(grant));
            }
        }
        Ok(None)
    }

    async fn grants_awaiting_review(&self, limit: u32) -> Result<Vec<BreakGlassGrant>> {
        let pool = &self.pool;
        let rows: Vec<GrantRow> = sqlx::query_as(&format!(
            "SELECT {GRANT_COLUMNS} FROM break_glass_grants \
             WHERE reviewed_at IS NULL ORDER BY id LIMIT ?"
        ))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_error("grants_awaiting_review"))?;
        rows.into_iter().map(GrantRow::into_grant).collect()
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
                     VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                )
                .bind(id_text(a.patient.0))
                .bind(id_text(a.practitioner.0))
                .bind(id_text(a.assigned_by.0))
                .bind(ts(&a.assigned_at))
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
                    "DELETE FROM care_team WHERE patient_id = ? AND practitioner_id = ?",
                )
                .bind(id_text(patient.0))
                .bind(id_text(practitioner.0))
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
                    "INSERT OR REPLACE INTO break_glass_grants (id, patient_id, actor_id, reason, \
                     granted_at, expires_at, reviewed_by, reviewed_at, review_note) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(id_text(g.id.0))
                .bind(id_text(g.patient.0))
                .bind(id_text(g.actor.0))
                .bind(&g.reason)
                .bind(ts(&g.granted_at))
                .bind(ts(&g.expires_at))
                .bind(g.reviewed_by.map(|a| id_text(a.0)))
                .bind(g.reviewed_at.as_ref().map(ts))
                .bind(&g.review_note)
                .execute(&mut *conn)
                .await
                .map_err(db_error("write_grant"))?;
            }
            GrantWrite::Review { id, by, at, note } => {
                let found: Option<Option<String>> =
                    sqlx::query_scalar("SELECT reviewed_at FROM break_glass_grants WHERE id = ?")
                        .bind(id_text(id.0))
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
                    "UPDATE break_glass_grants SET reviewed_by = ?, reviewed_at = ?, review_note = ? \
                     WHERE id = ?",
                )
                .bind(id_text(by.0))
                .bind(ts(&at))
                .bind(note)
                .bind(id_text(id.0))
                .execute(&mut *conn)
                .await
                .map_err(db_error("write_grant"))?;
            }
        }
        Ok(())
    }
}
