//! Typed UUID v7 identifiers: time-ordered, so keyset paging follows creation.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $entity:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered (v7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// Parses the canonical text form; bad input is a field error
            /// with the code the JSON door gives an id that does not
            /// parse (`invalid_format`), so every host gets one answer.
            pub fn parse(field: &str, text: &str) -> crate::Result<Self> {
                Uuid::parse_str(text).map(Self).map_err(|_| {
                    crate::Error::invalid(field, "invalid_format", concat!("not a valid ", $entity, " id"))
                })
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl FromStr for $name {
            type Err = crate::Error;
            fn from_str(s: &str) -> crate::Result<Self> {
                Self::parse($entity, s)
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }

        // Kotlin `java.util.UUID`, Swift `UUID` (bindings-mobile/uniffi.toml);
        // canonical text across. Text that is no id is the same field
        // error as everywhere (only a host with text ids can send it).
        #[cfg(feature = "uniffi")]
        uniffi::custom_type!($name, String, {
            lower: |id| id.0.to_string(),
            try_lift: |text| Ok($name::parse($entity, &text)?),
        });
    };
}

uuid_id!(
    /// A patient record.
    PatientId, "patient"
);
uuid_id!(
    /// Whoever acts: a person's login or a system process.
    ActorId, "actor"
);
uuid_id!(
    /// A practitioner (doctor, nurse) who can be on a care team.
    PractitionerId, "practitioner"
);
uuid_id!(
    /// One audit entry.
    AuditEntryId, "audit entry"
);
uuid_id!(
    /// One outbox event.
    EventId, "event"
);
uuid_id!(
    /// One break-the-glass grant.
    GrantId, "grant"
);
uuid_id!(
    /// One merge in the merge log.
    MergeId, "merge"
);
uuid_id!(
    /// A bookable room or piece of equipment.
    ResourceId, "resource"
);
uuid_id!(
    /// A kind of visit (duration, buffers, notice, reminders).
    VisitTypeId, "visit type"
);
uuid_id!(
    /// One appointment.
    AppointmentId, "appointment"
);
uuid_id!(
    /// A recurring series of appointments booked together.
    SeriesId, "series"
);
uuid_id!(
    /// One entry of the health record (an encounter, an observation, a
    /// prescription…); every version of the entry shares it.
    EntryId, "entry"
);
