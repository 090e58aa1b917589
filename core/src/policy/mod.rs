//! The access policy: data (a TOML or JSON document) mapping roles to
//! permissions, narrowed by the actor's relationship to the patient.
//! Deny by default; every decision carries its reasons.

mod decide;
mod document;
#[cfg(test)]
mod tests;

pub use document::DEFAULT_POLICY_TOML;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::actor::Role;
use crate::ids::GrantId;
use crate::patient::PatientField;

/// Something an actor can be allowed to do. Codes are `resource.action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Permission {
    /// `patient.read`: read one record.
    #[serde(rename = "patient.read")]
    PatientRead,
    /// `patient.search`: search records (each result is audited).
    #[serde(rename = "patient.search")]
    PatientSearch,
    /// `patient.register`: register a new patient.
    #[serde(rename = "patient.register")]
    PatientRegister,
    /// `patient.update`: change demographics.
    #[serde(rename = "patient.update")]
    PatientUpdate,
    /// `patient.deactivate`: deactivate or reactivate.
    #[serde(rename = "patient.deactivate")]
    PatientDeactivate,
    /// `patient.merge`: find duplicates, merge, unmerge, read the merge log.
    #[serde(rename = "patient.merge")]
    PatientMerge,
    /// `mrn.generate`: allocate a medical record number.
    #[serde(rename = "mrn.generate")]
    MrnGenerate,
    /// `care_team.read`: see a patient's care team.
    #[serde(rename = "care_team.read")]
    CareTeamRead,
    /// `care_team.manage`: assign and remove care-team members.
    #[serde(rename = "care_team.manage")]
    CareTeamManage,
    /// `break_glass.request`: ask for emergency access.
    #[serde(rename = "break_glass.request")]
    BreakGlassRequest,
    /// `break_glass.review`: list and review emergency grants.
    #[serde(rename = "break_glass.review")]
    BreakGlassReview,
    /// `audit.read`: list audit entries.
    #[serde(rename = "audit.read")]
    AuditRead,
    /// `audit.verify`: verify the hash chains.
    #[serde(rename = "audit.verify")]
    AuditVerify,
    /// `audit.access_log`: who accessed a patient's record.
    #[serde(rename = "audit.access_log")]
    AccessLogRead,
    /// `audit.checkpoint`: verify the trail and sign a checkpoint of every chain head.
    #[serde(rename = "audit.checkpoint")]
    AuditCheckpoint,
    /// `outbox.read`: poll and acknowledge events.
    #[serde(rename = "outbox.read")]
    OutboxRead,
    /// `policy.manage`: replace the access policy.
    #[serde(rename = "policy.manage")]
    PolicyManage,
    /// `schedule.read`: see practitioners, rooms, visit types and free slots.
    #[serde(rename = "schedule.read")]
    ScheduleRead,
    /// `schedule.manage`: add practitioners, rooms and visit types; set availability.
    #[serde(rename = "schedule.manage")]
    ScheduleManage,
    /// `calendar.read`: a practitioner's appointments (their schedule).
    #[serde(rename = "calendar.read")]
    CalendarRead,
    /// `appointment.read`: one appointment, or a patient's appointments; FHIR export.
    #[serde(rename = "appointment.read")]
    AppointmentRead,
    /// `appointment.book`: book an appointment or a series; FHIR import.
    #[serde(rename = "appointment.book")]
    AppointmentBook,
    /// `appointment.reschedule`: move an appointment.
    #[serde(rename = "appointment.reschedule")]
    AppointmentReschedule,
    /// `appointment.cancel`: cancel an appointment.
    #[serde(rename = "appointment.cancel")]
    AppointmentCancel,
    /// `appointment.status`: mark arrived, fulfilled, no-show or confirm a proposal.
    #[serde(rename = "appointment.status")]
    AppointmentStatus,
    /// `reminder.send`: list due reminders and mark them sent.
    #[serde(rename = "reminder.send")]
    ReminderSend,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 26] = [
        Permission::PatientRead,
        Permission::PatientSearch,
        Permission::PatientRegister,
        Permission::PatientUpdate,
        Permission::PatientDeactivate,
        Permission::PatientMerge,
        Permission::MrnGenerate,
        Permission::CareTeamRead,
        Permission::CareTeamManage,
        Permission::BreakGlassRequest,
        Permission::BreakGlassReview,
        Permission::AuditRead,
        Permission::AuditVerify,
        Permission::AccessLogRead,
        Permission::AuditCheckpoint,
        Permission::OutboxRead,
        Permission::PolicyManage,
        Permission::ScheduleRead,
        Permission::ScheduleManage,
        Permission::CalendarRead,
        Permission::AppointmentRead,
        Permission::AppointmentBook,
        Permission::AppointmentReschedule,
        Permission::AppointmentCancel,
        Permission::AppointmentStatus,
        Permission::ReminderSend,
    ];

    /// The code, e.g. `patient.read`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Permission::PatientRead => "patient.read",
            Permission::PatientSearch => "patient.search",
            Permission::PatientRegister => "patient.register",
            Permission::PatientUpdate => "patient.update",
            Permission::PatientDeactivate => "patient.deactivate",
            Permission::PatientMerge => "patient.merge",
            Permission::MrnGenerate => "mrn.generate",
            Permission::CareTeamRead => "care_team.read",
            Permission::CareTeamManage => "care_team.manage",
            Permission::BreakGlassRequest => "break_glass.request",
            Permission::BreakGlassReview => "break_glass.review",
            Permission::AuditRead => "audit.read",
            Permission::AuditVerify => "audit.verify",
            Permission::AccessLogRead => "audit.access_log",
            Permission::AuditCheckpoint => "audit.checkpoint",
            Permission::OutboxRead => "outbox.read",
            Permission::PolicyManage => "policy.manage",
            Permission::ScheduleRead => "schedule.read",
            Permission::ScheduleManage => "schedule.manage",
            Permission::CalendarRead => "calendar.read",
            Permission::AppointmentRead => "appointment.read",
            Permission::AppointmentBook => "appointment.book",
            Permission::AppointmentReschedule => "appointment.reschedule",
            Permission::AppointmentCancel => "appointment.cancel",
            Permission::AppointmentStatus => "appointment.status",
            Permission::ReminderSend => "reminder.send",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == code)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the actor must be related to the patient for a rule to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    /// No relationship needed.
    Any,
    /// The actor is the patient (`actor.patient == target`).
    #[serde(rename = "self")]
    OwnRecord,
    /// The actor's practitioner is on the patient's care team.
    CareTeam,
    /// The actor holds an active break-the-glass grant for the patient.
    BreakGlass,
    /// The actor is the practitioner whose schedule or appointment it is.
    OwnSchedule,
}

impl Relationship {
    /// The code used in policy documents.
    pub fn as_str(&self) -> &'static str {
        match self {
            Relationship::Any => "any",
            Relationship::OwnRecord => "self",
            Relationship::CareTeam => "care_team",
            Relationship::BreakGlass => "break_glass",
            Relationship::OwnSchedule => "own_schedule",
        }
    }

    /// Every relationship, in document order.
    pub const ALL: [Relationship; 5] = [
        Relationship::Any,
        Relationship::OwnRecord,
        Relationship::CareTeam,
        Relationship::BreakGlass,
        Relationship::OwnSchedule,
    ];

    /// Parses a document code (`any`, `self`, `care_team`, `break_glass`,
    /// `own_schedule`).
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == code)
    }

    /// Whether the relationship holds for `facts`. `Any` needs nothing and
    /// `OwnSchedule` a target practitioner; the others need a target patient.
    pub fn holds(&self, facts: &AccessFacts) -> bool {
        match self {
            Relationship::Any => true,
            Relationship::OwnRecord => facts.has_target && facts.own_record,
            Relationship::CareTeam => facts.has_target && facts.on_care_team,
            Relationship::BreakGlass => facts.has_target && facts.break_glass.is_some(),
            Relationship::OwnSchedule => facts.own_schedule,
        }
    }
}

impl fmt::Display for Relationship {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the policy table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Unique rule id, quoted in reasons and audit entries.
    pub id: String,
    /// Roles the rule applies to.
    pub roles: Vec<Role>,
    /// Permissions it grants.
    pub permissions: Vec<Permission>,
    /// Relationship required.
    pub relationship: Relationship,
    /// Patient fields visible under this rule (`None`: all). Only meaningful
    /// for `patient.read` / `patient.search`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<PatientField>>,
}

/// The access policy: a list of allow rules; anything not listed is denied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Document format version (1).
    pub version: u32,
    /// The rules.
    pub rules: Vec<Rule>,
}

/// Facts about the actor and the target patient, loaded by the clinic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccessFacts {
    /// Whether the request concerns one patient.
    pub has_target: bool,
    /// The actor is that patient.
    pub own_record: bool,
    /// The actor's practitioner is on that patient's care team.
    pub on_care_team: bool,
    /// The actor's active break-the-glass grant for that patient.
    pub break_glass: Option<GrantId>,
    /// The actor is the practitioner whose schedule (or appointment) it is.
    pub own_schedule: bool,
}

/// One rule considered for a decision, and whether it held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonStep {
    /// The rule id.
    pub rule: String,
    /// Through which of the actor's roles.
    pub role: Role,
    /// The relationship it required.
    pub relationship: Relationship,
    /// Whether the relationship held.
    pub held: bool,
}

/// The policy's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Allowed or denied.
    pub allowed: bool,
    /// The permission asked for.
    pub permission: Permission,
    /// Every rule considered (matching role and permission), in policy order.
    pub steps: Vec<ReasonStep>,
    /// Patient fields visible (union over allowing rules); empty when denied.
    pub visible_fields: Vec<PatientField>,
    /// Set when ONLY a break-the-glass rule allowed: the access is flagged.
    pub break_glass: Option<GrantId>,
}

impl Decision {
    /// Id of the first allowing rule, or why nothing allowed, for audit entries.
    pub fn audit_reason(&self) -> String {
        match self.steps.iter().find(|s| s.held) {
            Some(step) => format!("rule {}", step.rule),
            None => self.deny_reason().to_string(),
        }
    }

    /// The reason as carried by a `forbidden` error.
    pub fn deny_reason(&self) -> DenyReason {
        DenyReason {
            permission: self.permission,
            steps: self.steps.clone(),
        }
    }

    /// Fields hidden from the actor.
    pub fn hidden_fields(&self) -> Vec<PatientField> {
        PatientField::ALL
            .into_iter()
            .filter(|f| !self.visible_fields.contains(f))
            .collect()
    }
}

/// Why a request was denied: the permission and each rule considered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DenyReason {
    /// The permission asked for.
    pub permission: Permission,
    /// Rules that matched role and permission but whose relationship failed;
    /// empty when no rule grants the permission to any of the actor's roles.
    pub steps: Vec<ReasonStep>,
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.steps.is_empty() {
            return write!(f, "no rule grants {} to the actor's roles", self.permission);
        }
        write!(f, "{} needs", self.permission)?;
        for (i, step) in self.steps.iter().enumerate() {
            let sep = if i == 0 { " " } else { " or " };
            write!(
                f,
                "{sep}relationship {} (rule {} for role {})",
                step.relationship.as_str(),
                step.rule,
                step.role
            )?;
        }
        Ok(())
    }
}
