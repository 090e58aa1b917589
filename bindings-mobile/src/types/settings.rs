//! Who asks, and the clinic's configuration.

use super::*;

/// Who is asking. Hosts build it from their own authentication.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Actor {
    /// Stable id of the login or process.
    pub id: String,
    /// Roles held.
    pub roles: Vec<Role>,
    /// The practitioner this actor is (care-team relationships).
    #[uniffi(default)]
    pub practitioner: Option<String>,
    /// The patient this actor is (own-record access).
    #[uniffi(default)]
    pub patient: Option<String>,
}

impl TryFrom<Actor> for cb::Actor {
    type Error = cb::Error;
    fn try_from(a: Actor) -> cb::Result<Self> {
        let mut f = Fields::default();
        let id = f.take(actor_id("actor.id", &a.id));
        let practitioner = f.opt(
            a.practitioner
                .as_deref()
                .map(|p| practitioner_id("actor.practitioner", p)),
        );
        let patient = f.opt(a.patient.as_deref().map(|p| patient_id("actor.patient", p)));
        f.done(|| {
            Some(cb::Actor {
                id: id?,
                roles: map(a.roles),
                practitioner,
                patient,
            })
        })
    }
}

/// Rules for one identifier system.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IdentifierSystem {
    /// The system URI.
    pub system: String,
    /// Check digit every value must carry, if any.
    #[uniffi(default)]
    pub check_digit: Option<CheckDigit>,
}

/// MRN generation for one facility: prefix + zero-padded counter (+ check digit).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MrnNamespace {
    /// Facility code, e.g. `north`.
    pub facility: String,
    /// Identifier system the MRNs belong to.
    pub system: String,
    /// Text before the number.
    #[uniffi(default)]
    pub prefix: String,
    /// Minimum number of digits.
    pub digits: u32,
    /// Check digit appended, if any.
    #[uniffi(default)]
    pub check_digit: Option<CheckDigit>,
}

/// Clinic-wide configuration a host sets once.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Settings {
    /// Identifier systems with their check-digit rules.
    #[uniffi(default)]
    pub identifier_systems: Vec<IdentifierSystem>,
    /// MRN generation per facility.
    #[uniffi(default)]
    pub mrn_namespaces: Vec<MrnNamespace>,
    /// Break-the-glass grant length when none is asked, in seconds.
    #[uniffi(default = 3600)]
    pub break_glass_default_secs: u64,
    /// Longest break-the-glass grant that may be asked for, in seconds.
    #[uniffi(default = 86400)]
    pub break_glass_max_secs: u64,
    /// A cancellation this close to the start (or later) is flagged late, in seconds.
    #[uniffi(default = 86400)]
    pub late_cancellation_secs: u64,
    /// ISO 3166 alpha-2 region (`US`, `GB`…) phone numbers typed without a
    /// country code are read in; without it only `+…` numbers are.
    #[uniffi(default)]
    pub phone_region: Option<String>,
}

impl From<cb::Settings> for Settings {
    fn from(s: cb::Settings) -> Self {
        Self {
            identifier_systems: s
                .identifier_systems
                .into_iter()
                .map(|i| IdentifierSystem {
                    system: i.system,
                    check_digit: i.check_digit.map(Into::into),
                })
                .collect(),
            mrn_namespaces: s
                .mrn_namespaces
                .into_iter()
                .map(|n| MrnNamespace {
                    facility: n.facility,
                    system: n.system,
                    prefix: n.prefix,
                    digits: n.digits,
                    check_digit: n.check_digit.map(Into::into),
                })
                .collect(),
            break_glass_default_secs: secs_of(s.break_glass_default),
            break_glass_max_secs: secs_of(s.break_glass_max),
            late_cancellation_secs: secs_of(s.late_cancellation_window),
            phone_region: s.phone_region,
        }
    }
}

impl TryFrom<Settings> for cb::Settings {
    type Error = cb::Error;
    fn try_from(s: Settings) -> cb::Result<Self> {
        let mut f = Fields::default();
        let default = f.take(seconds(
            "break_glass_default_secs",
            s.break_glass_default_secs,
        ));
        let max = f.take(seconds("break_glass_max_secs", s.break_glass_max_secs));
        let late = f.take(seconds("late_cancellation_secs", s.late_cancellation_secs));
        f.done(|| {
            Some(cb::Settings {
                identifier_systems: s
                    .identifier_systems
                    .into_iter()
                    .map(|i| cbp::IdentifierSystem {
                        system: i.system,
                        check_digit: i.check_digit.map(Into::into),
                    })
                    .collect(),
                mrn_namespaces: s
                    .mrn_namespaces
                    .into_iter()
                    .map(|n| cbp::MrnNamespace {
                        facility: n.facility,
                        system: n.system,
                        prefix: n.prefix,
                        digits: n.digits,
                        check_digit: n.check_digit.map(Into::into),
                    })
                    .collect(),
                break_glass_default: default?,
                break_glass_max: max?,
                late_cancellation_window: late?,
                phone_region: s.phone_region,
            })
        })
    }
}
