//! Error details and access decisions, as hosts see them.

use super::*;

/// One failing input field.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FieldError {
    /// Path of the field, e.g. `names[0].family`.
    pub field: String,
    /// Stable rule code, e.g. `required`.
    pub code: String,
    /// Explanation without the offending value.
    pub message: String,
}

impl From<cb::FieldError> for FieldError {
    fn from(f: cb::FieldError) -> Self {
        Self {
            field: f.field,
            code: f.code,
            message: f.message,
        }
    }
}

/// Why a write lost against the current state.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ConflictDetail {
    /// The caller's expected version is not the stored one.
    StaleVersion {
        /// Entity kind.
        entity: String,
        /// Version the caller expected.
        expected: u64,
        /// Version in the store.
        actual: u64,
    },
    /// Another patient already holds this value in the identifier system.
    DuplicateIdentifier {
        /// The identifier system.
        system: String,
    },
    /// The entity is in a state that forbids the change.
    InvalidState {
        /// Entity kind.
        entity: String,
        /// The state rule broken.
        rule: String,
    },
    /// The entity already exists.
    AlreadyExists {
        /// Entity kind.
        entity: String,
    },
}

impl From<cb::ConflictDetail> for ConflictDetail {
    fn from(d: cb::ConflictDetail) -> Self {
        use cb::ConflictDetail as C;
        match d {
            C::StaleVersion {
                entity,
                expected,
                actual,
            } => Self::StaleVersion {
                entity,
                expected,
                actual,
            },
            C::DuplicateIdentifier { system } => Self::DuplicateIdentifier { system },
            C::InvalidState { entity, rule } => Self::InvalidState { entity, rule },
            C::AlreadyExists { entity } => Self::AlreadyExists { entity },
        }
    }
}

/// One rule considered for a decision, and whether its relationship held.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReasonStep {
    /// The rule id.
    pub rule: String,
    /// Through which of the actor's roles.
    pub role: Role,
    /// The relationship it required.
    pub relationship: Relationship,
    /// Whether it held.
    pub held: bool,
}

impl From<cbpol::ReasonStep> for ReasonStep {
    fn from(s: cbpol::ReasonStep) -> Self {
        Self {
            rule: s.rule,
            role: s.role.into(),
            relationship: s.relationship.into(),
            held: s.held,
        }
    }
}

/// Why a request was denied.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DenyReason {
    /// The permission asked for.
    pub permission: Permission,
    /// Rules that matched role and permission but whose relationship failed.
    pub steps: Vec<ReasonStep>,
    /// Input fields refused because they touch a patient field the actor
    /// may not see (e.g. a search filter on `phone`); empty otherwise.
    pub fields: Vec<String>,
    /// Core's one-line explanation, e.g. `patient.read needs relationship care_team (…)`.
    pub summary: String,
}

impl From<cbpol::DenyReason> for DenyReason {
    fn from(r: cbpol::DenyReason) -> Self {
        let summary = r.to_string();
        Self {
            permission: r.permission.into(),
            steps: map(r.steps),
            fields: r.fields,
            summary,
        }
    }
}

/// The policy's answer to "may this actor do this?".
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Decision {
    /// Allowed or denied.
    pub allowed: bool,
    /// The permission asked for.
    pub permission: Permission,
    /// Every rule considered, in policy order.
    pub steps: Vec<ReasonStep>,
    /// Patient fields visible; empty when denied.
    pub visible_fields: Vec<PatientField>,
    /// Set when only a break-the-glass grant allowed.
    pub break_glass: Option<String>,
}

impl From<cbpol::Decision> for Decision {
    fn from(d: cbpol::Decision) -> Self {
        Self {
            allowed: d.allowed,
            permission: d.permission.into(),
            steps: map(d.steps),
            visible_fields: map(d.visible_fields),
            break_glass: ids(d.break_glass),
        }
    }
}
