//! The arguments of a call from JavaScript (an object whose members are
//! the arguments, FHIR resources and policies included) written as the JSON
//! text core reads, without recursion and without a value tree between.
//!
//! napi's own conversion recurses (up to 128 levels) and answers a deeper
//! object with an argument error that names nothing. This one walks with an
//! explicit stack and writes nothing past one step beyond each of core's
//! document bounds ([`carebase::limits`]): a container nested deeper is
//! written empty, a longer array or object keeps one item more than the
//! maximum, and after more values than the document may have bytes the rest
//! are `null`. Core's check ([`carebase::document`]) then refuses the text
//! with its own error (`too_deep`, `too_many`, `too_large`), the same one
//! every binding gives; no bound is decided here, and a cyclic or
//! exponentially shared object costs bounded work. Values JSON cannot hold
//! follow `JSON.stringify`: skipped as a member, `null` as an item; a
//! `BigInt` is refused.

use std::ptr;

use carebase::limits::{MAX_DOCUMENT_BYTES, MAX_DOCUMENT_DEPTH, MAX_DOCUMENT_ITEMS};
use napi::bindgen_prelude::{FromNapiValue, TypeName};
use napi::{sys, Status, ValueType};
use serde_json::Number;

/// A call's arguments handed in by JavaScript, as JSON text (see the module
/// documentation). Each member counts its depth like a document of its own.
pub struct CallArguments(pub String);

/// What writing one value did.
enum Written {
    /// A leaf, or a container written empty past core's depth bound.
    Whole,
    /// Nothing: JSON has no form for it (skipped as a member, `null` as an item).
    Nothing,
    /// A container's opening; its children come next.
    Opened(Frame),
}

/// A JavaScript array or object being written.
struct Frame {
    js: sys::napi_value,
    /// The property names of an object.
    names: Option<sys::napi_value>,
    /// How many children to read (at most one past the maximum).
    len: u32,
    next: u32,
    /// A child was written (the next one needs a comma).
    wrote: bool,
}

fn check(status: sys::napi_status, what: &str) -> napi::Result<()> {
    let message = || format!("cannot read the document: {what}");
    let ok = status == sys::Status::napi_ok;
    ok.then_some(())
        .ok_or_else(|| napi::Error::new(Status::InvalidArg, message()))
}

/// A JS number as JSON: every integer a JS number holds exactly (up to
/// 2^53) is a JSON integer, so core reads sequence numbers and counts past
/// `u32::MAX` as integers. NaN and infinities have no JSON form.
fn number(n: f64) -> napi::Result<Number> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    let number = match n {
        n if n.trunc() != n || n.abs() > EXACT => Number::from_f64(n),
        n if n >= 0.0 => Some(Number::from(n as u64)),
        n => Some(Number::from(n as i64)),
    };
    let message = "a number that is not finite has no JSON form";
    number.ok_or_else(|| napi::Error::new(Status::InvalidArg, message))
}

/// Writes `value`, met at `depth`: a leaf whole, a container its opening
/// (written empty past core's bound). Writing to memory cannot fail.
///
/// # Safety
/// `env` and `value` must be valid for the current napi call (all blocks).
unsafe fn write(
    env: sys::napi_env,
    value: sys::napi_value,
    depth: usize,
    out: &mut Vec<u8>,
) -> napi::Result<Written> {
    let mut kind = 0;
    check(unsafe { sys::napi_typeof(env, value, &mut kind) }, "type")?;
    match ValueType::from(kind) {
        ValueType::Null => out.extend_from_slice(b"null"),
        ValueType::Boolean => {
            let yes = unsafe { bool::from_napi_value(env, value)? };
            out.extend_from_slice(if yes { b"true" } else { b"false" });
        }
        ValueType::Number => {
            let n = number(unsafe { f64::from_napi_value(env, value)? })?;
            let _ = serde_json::to_writer(out, &n);
        }
        ValueType::String => {
            let text = unsafe { String::from_napi_value(env, value)? };
            let _ = serde_json::to_writer(out, &text);
        }
        ValueType::Object => {
            let (mut array, mut names, mut len) = (false, None, 0);
            let status = unsafe { sys::napi_is_array(env, value, &mut array) };
            check(status, "array")?;
            if depth > MAX_DOCUMENT_DEPTH {
                out.extend_from_slice(if array { b"[]" } else { b"{}" });
                return Ok(Written::Whole);
            }
            let mut listed = value;
            if !array {
                let status = unsafe { sys::napi_get_property_names(env, value, &mut listed) };
                check(status, "member names")?;
                names = Some(listed);
            }
            let status = unsafe { sys::napi_get_array_length(env, listed, &mut len) };
            check(status, "length")?;
            out.push(if array { b'[' } else { b'{' });
            let most = u32::try_from(MAX_DOCUMENT_ITEMS + 1).unwrap_or(u32::MAX);
            let (js, len, next, wrote) = (value, len.min(most), 0, false);
            let frame = Frame {
                js,
                names,
                len,
                next,
                wrote,
            };
            return Ok(Written::Opened(frame));
        }
        ValueType::Undefined | ValueType::Function | ValueType::Symbol => {
            return Ok(Written::Nothing)
        }
        _ => {
            let message = "a document holds JSON values only";
            return Err(napi::Error::new(Status::InvalidArg, message));
        }
    }
    Ok(Written::Whole)
}

impl Frame {
    /// The next child, with its member name for an object.
    ///
    /// # Safety
    /// `env` must be valid for the napi call this frame was made in (all blocks).
    unsafe fn next_child(
        &mut self,
        env: sys::napi_env,
    ) -> napi::Result<Option<(sys::napi_value, Option<String>)>> {
        if self.next >= self.len {
            return Ok(None);
        }
        let (index, mut child) = (self.next, ptr::null_mut());
        self.next += 1;
        let Some(names) = self.names else {
            let status = unsafe { sys::napi_get_element(env, self.js, index, &mut child) };
            check(status, "item")?;
            return Ok(Some((child, None)));
        };
        let mut name = ptr::null_mut();
        let status = unsafe { sys::napi_get_element(env, names, index, &mut name) };
        check(status, "member name")?;
        let key = unsafe { String::from_napi_value(env, name)? };
        let status = unsafe { sys::napi_get_property(env, self.js, name, &mut child) };
        check(status, "member")?;
        Ok(Some((child, Some(key))))
    }
}

impl FromNapiValue for CallArguments {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let mut out = Vec::new();
        let mut stack = Vec::new();
        // SAFETY (all blocks): napi hands `env` and `value` for this call,
        // and every frame and child is a value of this call.
        match unsafe { write(env, value, 0, &mut out)? } {
            Written::Whole => {}
            Written::Nothing => out.extend_from_slice(b"null"),
            Written::Opened(root) => stack.push(root),
        }
        // Past this many values the document is over its size in bytes.
        let mut budget = MAX_DOCUMENT_BYTES;
        loop {
            // The arguments object is depth 0: each argument is at depth 1.
            let depth = stack.len();
            let Some(frame) = stack.last_mut() else { break };
            let Some((child, key)) = (unsafe { frame.next_child(env)? }) else {
                out.push(if frame.names.is_some() { b'}' } else { b']' });
                stack.pop();
                continue;
            };
            let mark = out.len();
            if frame.wrote {
                out.push(b',');
            }
            if let Some(key) = &key {
                let _ = serde_json::to_writer(&mut out, key);
                out.push(b':');
            }
            // Past the size bound every value is `null`, a member's too.
            let written = match budget.checked_sub(1) {
                Some(left) => {
                    budget = left;
                    Some(unsafe { write(env, child, depth, &mut out)? })
                }
                None => None,
            };
            if matches!(written, Some(Written::Nothing)) && key.is_some() {
                out.truncate(mark);
                continue;
            }
            frame.wrote = true;
            match written {
                Some(Written::Whole) => {}
                Some(Written::Opened(inner)) => stack.push(inner),
                Some(Written::Nothing) | None => out.extend_from_slice(b"null"),
            }
        }
        let message = "a document holds text only";
        String::from_utf8(out)
            .map(CallArguments)
            .map_err(|_| napi::Error::new(Status::InvalidArg, message))
    }
}

impl TypeName for CallArguments {
    fn type_name() -> &'static str {
        "Record<string, unknown>"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}
