//! The access policy: data (a TOML or JSON document) mapping roles to
//! permissions, narrowed by the actor's relationship to the patient.
//! Deny by default; every decision carries its reasons.

mod decide;
mod document;
#[cfg(test)]
mod tests;

pub use document::DEFAULT_POLICY_TOML;

use crate::Count32;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::actor::Role;
use crate::codes::code_enum;
use crate::ids::GrantId;
use crate::patient::PatientField;

code_enum! {
    /// Something an actor can be allowed to do. Codes are `resource.action`.
    #[derive(PartialOrd, Ord)]
    pub enum Permission {
        /// `patient.read`: read one record.
        PatientRead = "patient.read",
        /// `patient.search`: search records (each result is audited).
        PatientSearch = "patient.search",
        /// `patient.register`: register a new patient.
        PatientRegister = "patient.register",
        /// `patient.update`: change demographics.
        PatientUpdate = "patient.update",
        /// `patient.deactivate`: deactivate or reactivate.
        PatientDeactivate = "patient.deactivate",
        /// `patient.merge`: find duplicates, merge, unmerge, read the merge log.
        PatientMerge = "patient.merge",
        /// `mrn.generate`: allocate a medical record number.
        MrnGenerate = "mrn.generate",
        /// `care_team.read`: see a patient's care team.
        CareTeamRead = "care_team.read",
        /// `care_team.manage`: assign and remove care-team members.
        CareTeamManage = "care_team.manage",
        /// `care_team.patients`: list the patients on a practitioner's care
        /// teams ("my patients": `own_schedule` for the practitioner).
        CareTeamPatients = "care_team.patients",
        /// `break_glass.request`: ask for emergency access.
        BreakGlassRequest = "break_glass.request",
        /// `break_glass.review`: list and review emergency grants.
        BreakGlassReview = "break_glass.review",
        /// `audit.read`: list audit entries.
        AuditRead = "audit.read",
        /// `audit.verify`: verify the hash chains.
        AuditVerify = "audit.verify",
        /// `audit.access_log`: who accessed a patient's record.
        AccessLogRead = "audit.access_log",
        /// `audit.checkpoint`: verify the trail and sign a checkpoint of every chain head.
        AuditCheckpoint = "audit.checkpoint",
        /// `outbox.read`: poll and acknowledge events.
        OutboxRead = "outbox.read",
        /// `policy.manage`: replace the access policy.
        PolicyManage = "policy.manage",
        /// `schedule.read`: see practitioners, rooms, visit types and free slots.
        ScheduleRead = "schedule.read",
        /// `schedule.manage`: add practitioners, rooms and visit types; set availability.
        ScheduleManage = "schedule.manage",
        /// `calendar.read`: a practitioner's appointments (their schedule).
        CalendarRead = "calendar.read",
        /// `appointment.read`: one appointment, or a patient's appointments; FHIR export.
        AppointmentRead = "appointment.read",
        /// `appointment.book`: book an appointment or a series; FHIR import
        /// under the booking rules.
        AppointmentBook = "appointment.book",
        /// `appointment.migrate`: FHIR import of records from a system being
        /// replaced, kept as they were (no hours, grid, notice, horizon or
        /// duration rules); flagged in the audit.
        AppointmentMigrate = "appointment.migrate",
        /// `appointment.reschedule`: move an appointment.
        AppointmentReschedule = "appointment.reschedule",
        /// `appointment.cancel`: cancel an appointment.
        AppointmentCancel = "appointment.cancel",
        /// `appointment.status`: mark arrived, fulfilled, no-show or confirm a proposal.
        AppointmentStatus = "appointment.status",
        /// `reminder.send`: list due reminders and mark them sent.
        ReminderSend = "reminder.send",
        /// `record.read`: a patient's health record in full (timeline,
        /// entries and their versions, latest values), except note text and
        /// document content, which need `record.notes` too.
        RecordRead = "record.read",
        /// `record.codes`: what a claim needs of the health record, the
        /// codes, statuses and dates of encounters, conditions and
        /// procedures; never values, note text or documents.
        RecordCodes = "record.codes",
        /// `record.notes`: the text of clinical notes and the content of
        /// documents, with `record.read`.
        RecordNotes = "record.notes",
        /// `record.write`: record clinical entries, move them along their
        /// life cycle, amend and retract them.
        RecordWrite = "record.write",
        /// `record.check_in`: with `appointment.status`, check a booked
        /// appointment in and so start its administrative encounter (class,
        /// practitioner, place, no clinical content); reads nothing of the
        /// record and writes nothing else to it.
        RecordCheckIn = "record.check_in",
    }
}

code_enum! {
    /// How the actor must be related to the patient for a rule to apply.
    pub enum Relationship {
        /// No relationship needed.
        Any = "any",
        /// The actor is the patient (`actor.patient == target`).
        OwnRecord = "self",
        /// The actor's practitioner is on the patient's care team.
        CareTeam = "care_team",
        /// The actor holds an active break-the-glass grant for the patient.
        BreakGlass = "break_glass",
        /// The actor is the practitioner whose schedule or appointment it is.
        OwnSchedule = "own_schedule",
    }
}

impl Relationship {
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

/// One row of the policy table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Rule {
    /// Unique rule id, quoted in reasons and audit entries.
    pub id: String,
    /// Roles the rule applies to.
    pub roles: Vec<Role>,
    /// Permissions it grants.
    pub permissions: Vec<Permission>,
    /// Relationship required.
    pub relationship: Relationship,
    /// Patient fields visible under this rule (`None`: all). Meaningful for
    /// `patient.read` and `patient.search` (what an actor sees of a patient
    /// on every path, see `Clinic::sight`) and for `patient.update` (what
    /// an update may change, within what the actor sees).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub fields: Option<Vec<PatientField>>,
}

/// The access policy: a list of allow rules; anything not listed is denied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Policy {
    /// Document format version (1).
    pub version: Count32,
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
            fields: Vec::new(),
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Display))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DenyReason {
    /// The permission asked for.
    pub permission: Permission,
    /// Rules that matched role and permission but whose relationship failed;
    /// empty when no rule grants the permission to any of the actor's roles.
    pub steps: Vec<ReasonStep>,
    /// Input fields refused although the permission was granted, because
    /// they name a patient field the actor may not see (a search filter on
    /// a hidden field would confirm its value). Empty for other denials.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub fields: Vec<String>,
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.fields.is_empty() {
            return write!(
                f,
                "{} may not use {}: fields the actor may not see",
                self.permission,
                self.fields.join(", ")
            );
        }
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
