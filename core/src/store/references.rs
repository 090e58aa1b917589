//! Ids a change set stores, which must name records that exist: the driver
//! checks them first, inside the transaction, so no write leaves a
//! dangling id.

use uuid::Uuid;

use crate::ids::{PatientId, PractitionerId, ResourceId, VisitTypeId};
use crate::Error;

/// The kind of record a stored id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceKind {
    /// A patient.
    Patient,
    /// A practitioner.
    Practitioner,
    /// A room or piece of equipment.
    Resource,
    /// A visit type.
    VisitType,
}

impl ReferenceKind {
    /// The entity a `not_found` error names.
    pub fn entity(self) -> &'static str {
        match self {
            ReferenceKind::Patient => "patient",
            ReferenceKind::Practitioner => "practitioner",
            ReferenceKind::Resource => "resource",
            ReferenceKind::VisitType => "visit type",
        }
    }
}

/// An id a change set stores, which must name a record that exists: the
/// store checks inside the transaction so no write leaves a dangling id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// What it names.
    pub kind: ReferenceKind,
    /// The id.
    pub id: Uuid,
    /// The input field it came from, named by the `not_found` error.
    pub field: String,
}

impl Reference {
    /// A patient id stored from `field`.
    pub fn patient(id: PatientId, field: &str) -> Self {
        Self::to(ReferenceKind::Patient, id.0, field)
    }

    /// A practitioner id stored from `field`.
    pub fn practitioner(id: PractitionerId, field: &str) -> Self {
        Self::to(ReferenceKind::Practitioner, id.0, field)
    }

    /// A room or equipment id stored from `field`.
    pub fn resource(id: ResourceId, field: &str) -> Self {
        Self::to(ReferenceKind::Resource, id.0, field)
    }

    /// A visit type id stored from `field`.
    pub fn visit_type(id: VisitTypeId, field: &str) -> Self {
        Self::to(ReferenceKind::VisitType, id.0, field)
    }

    fn to(kind: ReferenceKind, id: Uuid, field: &str) -> Self {
        Self {
            kind,
            id,
            field: field.to_owned(),
        }
    }

    /// The error when the record does not exist.
    pub fn missing(&self) -> Error {
        Error::missing(self.kind.entity(), &self.field)
    }
}
