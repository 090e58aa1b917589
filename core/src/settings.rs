//! [`Settings`]: the clinic-wide configuration a host sets once, and the
//! rules it must follow. A clinic never runs on settings that failed them
//! ([`crate::Clinic::with_settings`] checks).

use std::collections::HashSet;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

use crate::limits::{
    MAX_BREAK_GLASS, MAX_FACILITY_CHARS, MAX_IDENTIFIER_SYSTEMS, MAX_LATE_CANCELLATION_WINDOW,
    MAX_MRN_NAMESPACES,
};
use crate::patient::{IdentifierSystem, MrnNamespace};
use crate::validation::{Errors, Findings};
use crate::Result;

/// Clinic-wide configuration a host sets once. In its serde form (what
/// hosts hand in) every field may be left out and keeps its default, and
/// the durations are whole minutes.
#[derive(Debug, Clone, PartialEq, Validate, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Settings {
    /// Identifier systems with their check-digit rules (each system once).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub identifier_systems: Vec<IdentifierSystem>,
    /// MRN generation per facility (each facility once, each system one of
    /// `identifier_systems`).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub mrn_namespaces: Vec<MrnNamespace>,
    /// How long a break-the-glass grant lasts when no duration is asked
    /// (positive, at most `break_glass_max`).
    #[validate(custom(function = "break_glass"))]
    #[serde(with = "crate::minutes::as_minutes")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::minutes::Minutes"))]
    pub break_glass_default: Duration,
    /// The longest break-the-glass grant that may be asked for (positive,
    /// at most [`MAX_BREAK_GLASS`]).
    #[validate(custom(function = "break_glass"))]
    #[serde(with = "crate::minutes::as_minutes")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::minutes::Minutes"))]
    pub break_glass_max: Duration,
    /// A cancellation this close to the start (or later) is flagged late
    /// (zero or more, at most [`MAX_LATE_CANCELLATION_WINDOW`]).
    #[validate(custom(function = "late_cancellation_window"))]
    #[serde(with = "crate::minutes::as_minutes")]
    #[cfg_attr(feature = "schema", schemars(with = "crate::minutes::Minutes"))]
    pub late_cancellation_window: Duration,
    /// Where the clinic is, as an ISO 3166 alpha-2 region libphonenumber
    /// knows (`US`, `GB`, `DE`…): phone numbers typed without a country code
    /// are read as numbers of that region. Without it only numbers in
    /// international form (`+44 …`) are read as such; a national number is
    /// then checked by its digits (4 to 20) and searched by them.
    #[validate(custom(function = "known_phone_region"))]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub phone_region: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            identifier_systems: Vec::new(),
            mrn_namespaces: Vec::new(),
            break_glass_default: Duration::hours(1),
            break_glass_max: Duration::hours(24),
            late_cancellation_window: Duration::hours(24),
            phone_region: None,
        }
    }
}

/// `out_of_range` with `message`.
fn out_of_range(message: String) -> ValidationError {
    ValidationError::new("out_of_range").with_message(message.into())
}

fn break_glass(d: &Duration) -> Result<(), ValidationError> {
    if *d > Duration::zero() && *d <= MAX_BREAK_GLASS {
        Ok(())
    } else {
        let days = MAX_BREAK_GLASS.num_days();
        Err(out_of_range(format!(
            "must be positive and at most {days} days"
        )))
    }
}

fn late_cancellation_window(d: &Duration) -> Result<(), ValidationError> {
    if *d >= Duration::zero() && *d <= MAX_LATE_CANCELLATION_WINDOW {
        Ok(())
    } else {
        let days = MAX_LATE_CANCELLATION_WINDOW.num_days();
        Err(out_of_range(format!(
            "must be zero or more and at most {days} days"
        )))
    }
}

fn known_phone_region(region: &str) -> Result<(), ValidationError> {
    let known = region.len() == 2
        && region.chars().all(|c| c.is_ascii_uppercase())
        && crate::patient::phone::is_known_region(region);
    if known {
        Ok(())
    } else {
        Err(ValidationError::new("invalid_value").with_message(
            "must be an iso 3166 alpha-2 region with phone numbering, e.g. US".into(),
        ))
    }
}

/// An identifier system URI: no spaces or control characters.
pub(crate) fn system_uri(system: &str) -> Result<(), ValidationError> {
    if system.is_empty() {
        return Err(ValidationError::new("required").with_message("must not be blank".into()));
    }
    if system.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ValidationError::new("invalid_format")
            .with_message("must not contain spaces or control characters".into()));
    }
    Ok(())
}

/// A facility code: 1 to [`MAX_FACILITY_CHARS`] of letters, digits, `-`,
/// `_`, `.` (it names the facility's MRN counter in the store).
pub(crate) fn facility_code(facility: &str) -> Result<(), ValidationError> {
    let ok = !facility.is_empty()
        && facility.len() <= MAX_FACILITY_CHARS
        && facility
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("invalid_format").with_message(
            format!("1 to {MAX_FACILITY_CHARS} of letters, digits, '-', '_', '.'").into(),
        ))
    }
}

/// An MRN prefix: letters, digits, `-`, `_`, `.`, `/` only.
pub(crate) fn mrn_prefix(prefix: &str) -> Result<(), ValidationError> {
    if prefix
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
    {
        Ok(())
    } else {
        Err(ValidationError::new("invalid_format")
            .with_message("letters, digits, '-', '_', '.', '/' only".into()))
    }
}

impl Settings {
    /// Checks every setting, collecting every failing one, on paths such as
    /// `settings.break_glass_max` or `settings.mrn_namespaces[0].digits`.
    pub fn validate(&self) -> Result<()> {
        let mut errors = Errors::default();
        let mut found = Findings::of("settings", self);
        let mut systems = HashSet::new();
        let (count, max) = (self.identifier_systems.len(), MAX_IDENTIFIER_SYSTEMS);
        if errors.count(
            "settings.identifier_systems",
            count,
            max,
            "identifier systems",
        ) {
            for (i, s) in self.identifier_systems.iter().enumerate() {
                let path = format!("settings.identifier_systems[{i}]");
                Findings::of(&path, s).rest(&mut errors);
                if !systems.insert(s.system.as_str()) {
                    errors.add(
                        format!("{path}.system"),
                        "duplicate",
                        "repeats an earlier identifier system",
                    );
                }
            }
        }
        let (count, max) = (self.mrn_namespaces.len(), MAX_MRN_NAMESPACES);
        if errors.count("settings.mrn_namespaces", count, max, "mrn namespaces") {
            self.namespaces(&mut errors);
        }
        found.take(&mut errors, "break_glass_default");
        found.take(&mut errors, "break_glass_max");
        if self.break_glass_default > self.break_glass_max {
            errors.add(
                "settings.break_glass_default",
                "out_of_range",
                "must not be longer than break_glass_max",
            );
        }
        found.rest(&mut errors);
        errors.finish()
    }

    /// Each namespace's own rules, then: one namespace per facility, its
    /// system declared, and MRNs that pass their system's check digit.
    fn namespaces(&self, errors: &mut Errors) {
        let mut facilities = HashSet::new();
        for (i, ns) in self.mrn_namespaces.iter().enumerate() {
            let path = format!("settings.mrn_namespaces[{i}]");
            Findings::of(&path, ns).rest(errors);
            if !facilities.insert(ns.facility.as_str()) {
                errors.add(
                    format!("{path}.facility"),
                    "duplicate",
                    "repeats an earlier facility",
                );
            }
            let Some(system) = self
                .identifier_systems
                .iter()
                .find(|s| s.system == ns.system)
            else {
                errors.add(
                    format!("{path}.system"),
                    "unknown",
                    "not one of the identifier systems",
                );
                continue;
            };
            // The system checks the whole value, so an MRN it requires a
            // check digit of must carry that digit and nothing but digits.
            if system.check_digit.is_some() && ns.check_digit != system.check_digit {
                errors.add(
                    format!("{path}.check_digit"),
                    "inconsistent",
                    "must be the check digit its identifier system requires",
                );
            }
            if system.check_digit.is_some() && !ns.prefix.is_empty() {
                errors.add(
                    format!("{path}.prefix"),
                    "inconsistent",
                    "must be empty when its identifier system requires a check digit",
                );
            }
        }
    }
}
