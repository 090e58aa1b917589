//! Exact decimals across every host: a measured value, a dose, a reference
//! limit is written as text (`"72.50"`) and read back as the same digits,
//! never through a binary float (`0.1 + 0.2`), so what a clinician typed is
//! what the record keeps and what a unit conversion starts from.
//!
//! Fields use `#[serde(with = "crate::decimal::text")]` (or `text_opt`) and
//! `#[cfg_attr(feature = "schema", schemars(with = "crate::decimal::DecimalText"))]`;
//! Kotlin and Swift see a `String` (`ffi::ExactDecimal`), Python a
//! `decimal.Decimal`, TypeScript a `string`.

pub use rust_decimal::Decimal;

/// At most this many characters of decimal text are read (28 significant
/// digits, a sign, a point and a few leading zeros fit).
pub const MAX_DECIMAL_CHARS: usize = 40;

/// Reads decimal text: optional sign, digits, optional point and digits;
/// no exponent, no spaces, at most [`MAX_DECIMAL_CHARS`].
pub fn parse(text: &str) -> Option<Decimal> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let shaped = text.len() <= MAX_DECIMAL_CHARS
        && !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && (digits.len() == whole.len() || !fraction.is_empty())
        && fraction.bytes().all(|b| b.is_ascii_digit());
    if !shaped {
        return None;
    }
    text.strip_prefix('+')
        .unwrap_or(text)
        .parse::<Decimal>()
        .ok()
}

/// Serde of a [`Decimal`] as its text.
pub mod text {
    use serde::de::{self, Unexpected};
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Decimal;

    /// Writes the decimal's digits as given (`72.50` stays `72.50`).
    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    /// Reads decimal text; anything else is an invalid value.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse(&text)
            .ok_or_else(|| de::Error::invalid_value(Unexpected::Other("text"), &"a decimal number"))
    }
}

/// Serde of an optional [`Decimal`] as its text or `null`.
pub mod text_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Decimal;

    /// Writes the digits, or `null`.
    pub fn serialize<S: Serializer>(
        value: &Option<Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => super::text::serialize(value, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads decimal text or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        #[derive(Deserialize)]
        struct Text(#[serde(with = "super::text")] Decimal);
        Ok(Option::<Text>::deserialize(deserializer)?.map(|t| t.0))
    }
}

/// The JSON Schema of decimal text (`format: decimal`), so host generators
/// map it to their exact decimal type.
#[cfg(feature = "schema")]
pub struct DecimalText;

#[cfg(feature = "schema")]
impl schemars::JsonSchema for DecimalText {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Decimal".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An exact decimal number written as text, e.g. \"72.50\" (never a binary float).",
            "type": "string",
            "format": "decimal",
            "pattern": "^[+-]?[0-9]+(\\.[0-9]+)?$",
            "maxLength": MAX_DECIMAL_CHARS,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_reads_back_with_its_digits() {
        for text in ["72.50", "-0.001", "0", "120", "98.6"] {
            let value = parse(text).map(|d| d.to_string());
            assert_eq!(value.as_deref(), Some(text));
        }
    }

    #[test]
    fn decimal_text_refuses_exponents_spaces_and_empty_parts() {
        for text in [
            "1e3",
            " 1",
            "1.",
            ".5",
            "",
            "-",
            "1,5",
            "NaN",
            &"9".repeat(41),
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
