//! UCUM's grammar: a term is components joined by `.` (times) and `/`
//! (divided by), read left to right; a component is a unit with an optional
//! prefix and exponent (`cm2`, `10*-3`), an integer factor (`8`), an
//! annotation (`{cells}`, worth 1) or a parenthesized term.
//!
//! Each function answers the reason a text is not a unit; the caller turns
//! it into `invalid_unit` on its field.

use std::collections::HashMap;
use std::str::FromStr;

use rust_decimal::Decimal;

use super::atoms::PREFIXES;
use super::canonical::Canonical;
use super::magnitude::Magnitude;
use crate::limits::{MAX_UNIT_EXPONENT, MAX_UNIT_NESTING};

/// A known unit, reduced.
pub(super) struct Resolved {
    pub metric: bool,
    pub canonical: Canonical,
}

/// The known units by code.
pub(super) type Atoms = HashMap<&'static str, Resolved>;

/// Why a text is not a unit (a static text: never the input).
pub(super) type Reason = &'static str;

const OUT_OF_RANGE: Reason = "its factor or exponents are out of range";

/// Reduces `text` (already checked to be printable ASCII and bounded).
pub(super) fn parse(text: &str, atoms: &Atoms) -> Result<Canonical, Reason> {
    let mut parser = Parser {
        text: text.as_bytes(),
        pos: 0,
        depth: 0,
        atoms,
    };
    let unit = parser.term()?;
    if parser.pos < parser.text.len() {
        return Err("a closing parenthesis has no opening one");
    }
    Ok(unit)
}

struct Parser<'t> {
    text: &'t [u8],
    pos: usize,
    depth: usize,
    atoms: &'t Atoms,
}

impl<'t> Parser<'t> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    /// `['/'] component (('.' | '/') component)*`
    fn term(&mut self) -> Result<Canonical, Reason> {
        let mut unit = if self.peek() == Some(b'/') {
            self.pos += 1;
            self.component()?.powi(-1).ok_or(OUT_OF_RANGE)?
        } else {
            self.component()?
        };
        while let Some(operator) = self.peek() {
            let next = match operator {
                b'.' => {
                    self.pos += 1;
                    self.component()?
                }
                b'/' => {
                    self.pos += 1;
                    self.component()?.powi(-1).ok_or(OUT_OF_RANGE)?
                }
                _ => break,
            };
            unit = unit.times(&next).ok_or(OUT_OF_RANGE)?;
        }
        Ok(unit)
    }

    fn component(&mut self) -> Result<Canonical, Reason> {
        match self.peek() {
            None | Some(b'.' | b'/' | b')') => Err("an operator must be followed by a unit"),
            Some(b'(') => {
                if self.depth >= MAX_UNIT_NESTING {
                    return Err("parentheses nest too deep");
                }
                self.depth += 1;
                self.pos += 1;
                let inner = self.term()?;
                if self.peek() != Some(b')') {
                    return Err("a parenthesis is not closed");
                }
                self.pos += 1;
                self.depth -= 1;
                self.end_of_component()?;
                Ok(inner)
            }
            Some(b'{') => {
                self.annotation()?;
                self.end_of_component()?;
                Ok(Canonical::one())
            }
            Some(_) => {
                let symbol = self.symbol()?;
                let unit = self.simple_unit(symbol)?;
                if self.peek() == Some(b'{') {
                    self.annotation()?;
                }
                self.end_of_component()?;
                Ok(unit)
            }
        }
    }

    /// After a component comes an operator, a closing parenthesis or the end.
    fn end_of_component(&self) -> Result<(), Reason> {
        match self.peek() {
            None | Some(b'.' | b'/' | b')') => Ok(()),
            Some(b'(') => Err("a parenthesis must follow an operator"),
            Some(b'{') => Err("a unit carries one annotation at most"),
            Some(b'}') => Err("a closing brace has no opening one"),
            Some(_) => Err("a unit must follow an operator"),
        }
    }

    /// `{…}`: printable ASCII other than braces.
    fn annotation(&mut self) -> Result<(), Reason> {
        self.pos += 1;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                b'}' => return Ok(()),
                b'{' => return Err("annotations do not nest"),
                _ => {}
            }
        }
        Err("an annotation is not closed")
    }

    /// The run of characters up to the next operator, parenthesis or
    /// brace; square brackets are taken whole (`B[10.nV]`).
    fn symbol(&mut self) -> Result<&'t str, Reason> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            match c {
                b'.' | b'/' | b'(' | b')' | b'{' | b'}' => break,
                b'[' => {
                    self.pos += 1;
                    loop {
                        match self.peek() {
                            None => return Err("a square bracket is not closed"),
                            Some(b']') => break,
                            Some(b'[') => return Err("square brackets do not nest"),
                            Some(_) => self.pos += 1,
                        }
                    }
                    self.pos += 1;
                }
                b']' => return Err("a closing square bracket has no opening one"),
                _ => self.pos += 1,
            }
        }
        // The text is ASCII (checked by the caller), so any cut is a char
        // boundary.
        let text: &'t [u8] = self.text;
        std::str::from_utf8(&text[start..self.pos]).map_err(|_| "not ASCII")
    }

    /// An integer factor, or a unit with optional prefix and exponent.
    fn simple_unit(&self, symbol: &str) -> Result<Canonical, Reason> {
        if symbol.bytes().all(|b| b.is_ascii_digit()) {
            let factor = Decimal::from_str(symbol).map_err(|_| OUT_OF_RANGE)?;
            return Ok(Canonical::number(Magnitude::from_decimal(factor)));
        }
        let (code, exponent) = split_exponent(symbol)?;
        let unit = self.resolve(code)?;
        unit.powi(exponent).ok_or(OUT_OF_RANGE)
    }

    /// A unit code, exactly or as a metric prefix on a metric unit.
    fn resolve(&self, code: &str) -> Result<Canonical, Reason> {
        if let Some(atom) = self.atoms.get(code) {
            return Ok(atom.canonical.clone());
        }
        for (prefix, power) in PREFIXES {
            let Some(rest) = code.strip_prefix(prefix) else {
                continue;
            };
            match self.atoms.get(rest) {
                Some(atom) if atom.metric => {
                    let mut unit = atom.canonical.clone();
                    unit.factor = unit
                        .factor
                        .times(Magnitude::power_of_ten(*power))
                        .ok_or(OUT_OF_RANGE)?;
                    return Ok(unit);
                }
                Some(_) => return Err("this unit takes no prefix"),
                None => {}
            }
        }
        Err("not a known unit")
    }
}

/// `cm2` → (`cm`, 2), `10*-3` → (`10*`, -3), `m` → (`m`, 1).
fn split_exponent(symbol: &str) -> Result<(&str, i32), Reason> {
    let bytes = symbol.as_bytes();
    let mut start = bytes.len();
    while start > 0 && bytes[start - 1].is_ascii_digit() {
        start -= 1;
    }
    if start == bytes.len() {
        return Ok((symbol, 1));
    }
    if start > 0 && matches!(bytes[start - 1], b'+' | b'-') {
        start -= 1;
    }
    let (code, exponent) = symbol.split_at(start);
    if code.is_empty() {
        return Err("an exponent must follow a unit");
    }
    let exponent: i32 = exponent
        .parse()
        .map_err(|_| "an exponent is out of range")?;
    if exponent.unsigned_abs() > MAX_UNIT_EXPONENT.unsigned_abs() {
        return Err("an exponent is out of range");
    }
    Ok((code, exponent))
}
