//! Care teams and break-the-glass grants in SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use carebase::access::{BreakGlassGrant, CareAssignment};
use carebase::store::{AccessStore, AccessWrites, CareTeamWrite, GrantWrite};
use carebase::{ActorId, Error, GrantId, PatientId, PractitionerId, Result};

use super::error::db_error;
use super::rows::{id_text, parse_id, ts, CareRow, GrantRow, GRANT_COLUMNS};
use super::{already_exists, execute, first, rows, SqliteStore, Tx};

#[async_trait]
impl AccessStore for SqliteStore {
    async fn care_team(&self, patient: PatientId) -> Result<Vec<CareAssignment>> {
        self.read("care_team", |conn| {
            rows(
                conn,
                "care_team",
                "SELECT patient_id, practitioner_id, assigned_by, assigned_at FROM care_team \
                 WHERE patient_id = ? ORDER BY practitioner_id",
                [id_text(patient.0)],
                CareRow::from_row,
            )?
            .into_iter()
            .map(CareRow::into_assignment)
            .collect()
        })
    }

    async fn is_on_care_team(
        &self,
        patient: PatientId,
        practitioner: PractitionerId,
    ) -> Result<bool> {
        self.read("is_on_care_team", |conn| {
            let found = first(
                conn,
                "is_on_care_team",
                "SELECT 1 FROM care_team WHERE patient_id = ? AND practitioner_id = ?",
                [id_text(patient.0), id_text(practitioner.0)],
                |r| r.get::<_, i64>(0),
            )?;
            Ok(found.is_some())
        })
    }

    async fn patients_of_practitioner(
        &self,
        practitioner: PractitionerId,
        after: Option<PatientId>,
        limit: u32,
        include_inactive: bool,
    ) -> Result<Vec<PatientId>> {
        self.read("patients_of_practitioner", |conn| {
            let after = after.map(|a| id_text(a.0));
            let ids = rows(
                conn,
                "patients_of_practitioner",
                "SELECT c.patient_id FROM care_team c JOIN patients p ON p.id = c.patient_id \
                 WHERE c.practitioner_id = ?1 AND (?2 IS NULL OR c.patient_id > ?2) \
                 AND p.merged_into IS NULL AND (?4 OR p.active = 1) \
                 ORDER BY c.patient_id LIMIT ?3",
                rusqlite::params![
                    id_text(practitioner.0),
                    after,
                    i64::from(limit),
                    include_inactive
                ],
                |r| r.get::<_, String>(0),
            )?;
            ids.iter().map(|id| parse_id(id, "patient id")).collect()
        })
    }

    async fn grant(&self, id: GrantId) -> Result<Option<BreakGlassGrant>> {
        self.read("grant", |conn| {
            first(
                conn,
                "grant",
                &format!("SELECT {GRANT_COLUMNS} FROM break_glass_grants WHERE id = ?"),
                [id_text(id.0)],
                GrantRow::from_row,
            )?
            .map(GrantRow::into_grant)
            .transpose()
        })
    }

    async fn active_grant(
        &self,
        actor: ActorId,
        patient: PatientId,
        now: DateTime<Utc>,
    ) -> Result<Option<BreakGlassGrant>> {
        // Newest grant (by id) that is active at `now`; activity is decided by
        // `BreakGlassGrant::is_active`, the rule's one definition.
        self.read("active_grant", |conn| {
            let found = rows(
                conn,
                "active_grant",
                &format!(
                    "SELECT {GRANT_COLUMNS} FROM break_glass_grants \
                     WHERE actor_id = ? AND patient_id = ? ORDER BY id DESC"
                ),
                [id_text(actor.0), id_text(patient.0)],
                GrantRow::from_row,
            )?;
            for row in found {
                let grant = row.into_grant()?;
                if grant.is_active(now) {
                    return Ok(Some(grant));
                }
            }
            Ok(None)
        })
    }

    async fn grants_awaiting_review(&self, limit: u32) -> Result<Vec<BreakGlassGrant>> {
        self.read("grants_awaiting_review", |conn| {
            rows(
                conn,
                "grants_awaiting_review",
                &format!(
                    "SELECT {GRANT_COLUMNS} FROM break_glass_grants \
                     WHERE reviewed_at IS NULL ORDER BY id LIMIT ?"
                ),
                [i64::from(limit)],
                GrantRow::from_row,
            )?
            .into_iter()
            .map(GrantRow::into_grant)
            .collect()
        })
    }
}

#[async_trait]
impl AccessWrites for Tx<'_> {
    async fn write_care_team(&mut self, write: CareTeamWrite) -> Result<()> {
        let conn = &*self.0;
        match write {
            CareTeamWrite::Assign(a) => {
                let done = execute(
                    conn,
                    "INSERT INTO care_team (patient_id, practitioner_id, assigned_by, assigned_at) \
                     VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [
                        id_text(a.patient.0),
                        id_text(a.practitioner.0),
                        id_text(a.assigned_by.0),
                        ts(&a.assigned_at),
                    ],
                )
                .map_err(db_error("write_care_team"))?;
                if done == 0 {
                    return Err(already_exists("care team assignment"));
                }
            }
            CareTeamWrite::Remove {
                patient,
                practitioner,
            } => {
                let done = execute(
                    conn,
                    "DELETE FROM care_team WHERE patient_id = ? AND practitioner_id = ?",
                    [id_text(patient.0), id_text(practitioner.0)],
                )
                .map_err(db_error("write_care_team"))?;
                if done == 0 {
                    return Err(Error::not_found("care team assignment"));
                }
            }
        }
        Ok(())
    }

    async fn write_grant(&mut self, write: GrantWrite) -> Result<()> {
        let conn = &*self.0;
        match write {
            GrantWrite::Insert(g) => {
                execute(
                    conn,
                    "INSERT OR REPLACE INTO break_glass_grants (id, patient_id, actor_id, reason, \
                     granted_at, expires_at, reviewed_by, reviewed_at, review_note) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rusqlite::params![
                        id_text(g.id.0),
                        id_text(g.patient.0),
                        id_text(g.actor.0),
                        g.reason,
                        ts(&g.granted_at),
                        ts(&g.expires_at),
                        g.reviewed_by.map(|a| id_text(a.0)),
                        g.reviewed_at.as_ref().map(ts),
                        g.review_note,
                    ],
                )
                .map_err(db_error("write_grant"))?;
            }
            GrantWrite::Review { id, by, at, note } => {
                let found = first(
                    conn,
                    "write_grant",
                    "SELECT reviewed_at FROM break_glass_grants WHERE id = ?",
                    [id_text(id.0)],
                    |r| r.get::<_, Option<String>>(0),
                )?;
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
                execute(
                    conn,
                    "UPDATE break_glass_grants SET reviewed_by = ?, reviewed_at = ?, review_note = ? \
                     WHERE id = ?",
                    rusqlite::params![id_text(by.0), ts(&at), note, id_text(id.0)],
                )
                .map_err(db_error("write_grant"))?;
            }
        }
        Ok(())
    }
}
