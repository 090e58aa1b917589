//! The 13 vital-sign LOINC codes of FHIR R4 and the UCUM units their
//! profiles allow: a body weight in `cm` is refused, naming the field.
//!
//! The table restates facts of FHIR R4's vital-signs profiles (CC0 data,
//! `vital-signs-r4.derived.json`); a test compares it with that file so the
//! two cannot drift. Units are matched exactly, as the profiles bind them:
//! `mg` is a mass but not a body weight's unit.

use super::ucum::INVALID_UNIT;
use crate::error::FieldError;

/// What a vital-sign observation carries as its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VitalValue {
    /// A quantity in one of these UCUM units (the profile's order).
    Quantity(&'static [&'static str]),
    /// No value of its own: its members (by LOINC code) carry them, as the
    /// systolic and diastolic components of a blood pressure.
    Panel(&'static [&'static str]),
}

/// One vital sign: its LOINC code, its name in the clinic's words and its
/// value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VitalSign {
    /// The LOINC code.
    pub code: &'static str,
    /// What clinicians call it (for messages; never patient data).
    pub name: &'static str,
    /// What it carries.
    pub value: VitalValue,
}

const fn quantity(
    code: &'static str,
    name: &'static str,
    units: &'static [&'static str],
) -> VitalSign {
    VitalSign {
        code,
        name,
        value: VitalValue::Quantity(units),
    }
}

const fn panel(
    code: &'static str,
    name: &'static str,
    members: &'static [&'static str],
) -> VitalSign {
    VitalSign {
        code,
        name,
        value: VitalValue::Panel(members),
    }
}

/// Systolic blood pressure.
pub const SYSTOLIC_BLOOD_PRESSURE: &str = "8480-6";
/// Diastolic blood pressure.
pub const DIASTOLIC_BLOOD_PRESSURE: &str = "8462-4";

/// The vital signs of FHIR R4 (ValueSet observation-vitalsignresult).
pub const VITAL_SIGNS: [VitalSign; 13] = [
    panel("85353-1", "vital signs panel", &[]),
    quantity("9279-1", "respiratory rate", &["/min"]),
    quantity("8867-4", "heart rate", &["/min"]),
    quantity("2708-6", "oxygen saturation", &["%"]),
    quantity("8310-5", "body temperature", &["Cel", "[degF]"]),
    quantity("8302-2", "body height", &["cm", "[in_i]"]),
    quantity("9843-4", "head circumference", &["cm", "[in_i]"]),
    quantity("29463-7", "body weight", &["kg", "[lb_av]", "g"]),
    quantity("39156-5", "body mass index", &["kg/m2"]),
    panel(
        "85354-9",
        "blood pressure panel",
        &[SYSTOLIC_BLOOD_PRESSURE, DIASTOLIC_BLOOD_PRESSURE],
    ),
    quantity(
        SYSTOLIC_BLOOD_PRESSURE,
        "systolic blood pressure",
        &["mm[Hg]"],
    ),
    quantity(
        DIASTOLIC_BLOOD_PRESSURE,
        "diastolic blood pressure",
        &["mm[Hg]"],
    ),
    // No R4 profile of its own names a unit: that of its siblings, the
    // systolic and diastolic pressures.
    quantity("8478-0", "mean blood pressure", &["mm[Hg]"]),
];

/// The vital sign a LOINC code names, if it is one.
pub fn vital_sign(code: &str) -> Option<&'static VitalSign> {
    VITAL_SIGNS.iter().find(|v| v.code == code)
}

/// Checks the unit of a quantity recorded under LOINC `code`: nothing for a
/// code that is no vital sign; [`INVALID_UNIT`] on `field` for a unit the
/// vital sign's profile does not allow (the message lists those it does);
/// `invalid_value` for a panel, which has no value of its own.
pub fn check_vital_sign_unit(field: &str, code: &str, unit: &str) -> Result<(), FieldError> {
    let Some(vital) = vital_sign(code) else {
        return Ok(());
    };
    match vital.value {
        VitalValue::Quantity(units) if units.contains(&unit) => Ok(()),
        VitalValue::Quantity(units) => Err(FieldError::new(
            field,
            INVALID_UNIT,
            format!("{} takes {}", vital.name, listed(units)),
        )),
        VitalValue::Panel(_) => Err(FieldError::new(
            field,
            "invalid_value",
            format!(
                "a {} has no value of its own: its members carry them",
                vital.name
            ),
        )),
    }
}

/// `a`, `a or b`, `a, b or c`.
fn listed(units: &[&str]) -> String {
    match units.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_weight_in_centimetres_is_an_invalid_unit_naming_the_field() {
        let error = check_vital_sign_unit("value_quantity.unit", "29463-7", "cm").unwrap_err();
        assert_eq!(error.field, "value_quantity.unit");
        assert_eq!(error.code, INVALID_UNIT);
        assert_eq!(error.message, "body weight takes kg, [lb_av] or g");
    }

    #[test]
    fn a_body_weight_in_pounds_is_accepted() {
        assert!(check_vital_sign_unit("unit", "29463-7", "[lb_av]").is_ok());
    }

    #[test]
    fn a_body_temperature_takes_celsius_or_fahrenheit_but_not_kelvin() {
        assert!(check_vital_sign_unit("unit", "8310-5", "Cel").is_ok());
        assert!(check_vital_sign_unit("unit", "8310-5", "[degF]").is_ok());
        assert_eq!(
            check_vital_sign_unit("unit", "8310-5", "K")
                .unwrap_err()
                .message,
            "body temperature takes Cel or [degF]"
        );
    }

    #[test]
    fn a_code_that_is_no_vital_sign_is_left_to_other_rules() {
        assert!(check_vital_sign_unit("unit", "2339-0", "mg/dL").is_ok());
    }

    #[test]
    fn a_blood_pressure_panel_has_no_value_of_its_own() {
        let error = check_vital_sign_unit("value_quantity", "85354-9", "mm[Hg]").unwrap_err();
        assert_eq!(error.code, "invalid_value");
        assert!(check_vital_sign_unit("component[0]", SYSTOLIC_BLOOD_PRESSURE, "mm[Hg]").is_ok());
    }

    #[test]
    fn every_allowed_unit_is_valid_ucum() {
        for vital in VITAL_SIGNS {
            if let VitalValue::Quantity(units) = vital.value {
                for unit in units {
                    assert!(super::super::ucum::is_valid(unit), "{unit}");
                }
            }
        }
    }
}
