//! The arguments of a call from JavaScript (an object whose members are
//! the arguments, FHIR resources and policies included) as JSON text,
//! read without recursion.
//!
//! napi's own conversion recurses (up to 128 levels) and answers a deeper
//! object with an argument error that names nothing. This one walks with an
//! explicit stack and builds nothing past one step beyond each of core's
//! document bounds ([`carebase::limits`]): a container nested deeper becomes
//! an empty one at that level, a longer array or object keeps one item more
//! than the maximum, and after more values than the document may have bytes
//! the rest become `null`. Core's check ([`carebase::document`]) then refuses
//! the value with its own error (`too_deep`, `too_many`, `too_large`), the
//! same one every binding gives; no bound is decided here, and a cyclic or
//! exponentially shared object costs bounded work. Values JSON cannot hold
//! follow `JSON.stringify`: skipped as a member, `null` as an item;
//! a `BigInt` is refused.

use std::ptr;

use carebase::limits::{MAX_DOCUMENT_BYTES, MAX_DOCUMENT_DEPTH, MAX_DOCUMENT_ITEMS};
use napi::bindgen_prelude::{FromNapiValue, TypeName};
use napi::{sys, Status, ValueType};
use serde_json::{Map, Number, Value};

/// A call's arguments handed in by JavaScript (see the module
/// documentation). Each member counts its depth like a document of its own.
pub struct CallArguments(Value);

impl CallArguments {
    /// The JSON text core reads; the value is dropped without recursion.
    pub fn into_text(self) -> String {
        let text = self.0.to_string();
        carebase::document::dismantle(self.0);
        text
    }
}

/// A container being filled.
enum Filling {
    Array(Vec<Value>),
    Object(Map<String, Value>),
}

/// A JavaScript array or object being walked.
struct Frame {
    js: sys::napi_value,
    /// The property names of an object.
    names: Option<sys::napi_value>,
    /// How many children to read (at most one past the maximum).
    len: u32,
    next: u32,
    filling: Filling,
    /// The member name in the parent object.
    key: Option<String>,
}

/// What one JavaScript value becomes.
enum Converted {
    Leaf(Value),
    /// Not representable: skipped as a member, `null` as an item.
    Skip,
    Container(Frame),
}

fn failed(status: sys::napi_status, what: &str) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(
            Status::InvalidArg,
            format!("cannot read the document: {what}"),
        ))
    }
}

/// At most one more than the maximum number of items.
fn capped(len: u32) -> u32 {
    let most = u32::try_from(MAX_DOCUMENT_ITEMS + 1).unwrap_or(u32::MAX);
    len.min(most)
}

/// Converts the leaves of `value` and prepares its containers, which at
/// `depth` past core's bound become empty.
///
/// A JS number as JSON: every integer a JS number holds exactly (up to
/// 2^53) is a JSON integer, so core reads sequence numbers and counts past
/// `u32::MAX` as integers (napi's own conversion turns those into floats).
/// NaN and infinities have no JSON form.
fn number(n: f64) -> napi::Result<Value> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    let number = if n.trunc() == n && n.abs() <= EXACT {
        if n >= 0.0 {
            Some(Number::from(n as u64))
        } else {
            Some(Number::from(n as i64))
        }
    } else {
        Number::from_f64(n)
    };
    number.map(Value::Number).ok_or_else(|| {
        napi::Error::new(
            napi::Status::InvalidArg,
            "a number that is not finite has no JSON form",
        )
    })
}

/// # Safety
/// `env` and `value` must be valid for the current napi call.
unsafe fn convert(
    env: sys::napi_env,
    value: sys::napi_value,
    depth: usize,
    key: Option<String>,
) -> napi::Result<Converted> {
    let mut kind = 0;
    // SAFETY: `env` and `value` are valid for this call (caller contract).
    failed(unsafe { sys::napi_typeof(env, value, &mut kind) }, "type")?;
    // SAFETY (all blocks below): as above; out-pointers are local.
    let leaf = match ValueType::from(kind) {
        ValueType::Null => Value::Null,
        ValueType::Boolean => Value::Bool(unsafe { bool::from_napi_value(env, value)? }),
        ValueType::Number => number(unsafe { f64::from_napi_value(env, value)? })?,
        ValueType::String => Value::String(unsafe { String::from_napi_value(env, value)? }),
        ValueType::Object => {
            let mut is_array = false;
            failed(
                unsafe { sys::napi_is_array(env, value, &mut is_array) },
                "array",
            )?;
            let (names, len, filling) = if is_array {
                let mut len = 0;
                failed(
                    unsafe { sys::napi_get_array_length(env, value, &mut len) },
                    "array length",
                )?;
                (None, len, Filling::Array(Vec::new()))
            } else {
                let mut names = ptr::null_mut();
                failed(
                    unsafe { sys::napi_get_property_names(env, value, &mut names) },
                    "member names",
                )?;
                let mut len = 0;
                failed(
                    unsafe { sys::napi_get_array_length(env, names, &mut len) },
                    "member names",
                )?;
                (Some(names), len, Filling::Object(Map::new()))
            };
            if depth > MAX_DOCUMENT_DEPTH {
                return Ok(Converted::Leaf(match filling {
                    Filling::Array(items) => Value::Array(items),
                    Filling::Object(members) => Value::Object(members),
                }));
            }
            return Ok(Converted::Container(Frame {
                js: value,
                names,
                len: capped(len),
                next: 0,
                filling,
                key,
            }));
        }
        ValueType::Undefined | ValueType::Function | ValueType::Symbol => {
            return Ok(Converted::Skip)
        }
        _ => {
            return Err(napi::Error::new(
                Status::InvalidArg,
                "a document holds JSON values only".to_owned(),
            ))
        }
    };
    Ok(Converted::Leaf(leaf))
}

impl Frame {
    /// The next child, with its member name for an object.
    ///
    /// # Safety
    /// `env` must be valid for the napi call this frame was made in.
    unsafe fn next_child(
        &mut self,
        env: sys::napi_env,
    ) -> napi::Result<Option<(sys::napi_value, Option<String>)>> {
        if self.next >= self.len {
            return Ok(None);
        }
        let index = self.next;
        self.next += 1;
        let mut child = ptr::null_mut();
        match self.names {
            None => {
                // SAFETY: `self.js` is an array of this call; out-pointer is local.
                failed(
                    unsafe { sys::napi_get_element(env, self.js, index, &mut child) },
                    "item",
                )?;
                Ok(Some((child, None)))
            }
            Some(names) => {
                let mut name = ptr::null_mut();
                // SAFETY: `names` and `self.js` belong to this call.
                failed(
                    unsafe { sys::napi_get_element(env, names, index, &mut name) },
                    "member name",
                )?;
                let key = unsafe { String::from_napi_value(env, name)? };
                failed(
                    unsafe { sys::napi_get_property(env, self.js, name, &mut child) },
                    "member",
                )?;
                Ok(Some((child, Some(key))))
            }
        }
    }

    fn put(&mut self, key: Option<String>, value: Option<Value>) {
        match &mut self.filling {
            Filling::Array(items) => items.push(value.unwrap_or(Value::Null)),
            Filling::Object(members) => {
                if let (Some(key), Some(value)) = (key, value) {
                    members.insert(key, value);
                }
            }
        }
    }

    fn finish(self) -> (Option<String>, Value) {
        let value = match self.filling {
            Filling::Array(items) => Value::Array(items),
            Filling::Object(members) => Value::Object(members),
        };
        (self.key, value)
    }
}

impl FromNapiValue for CallArguments {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        // SAFETY: napi hands `env` and `value` for this call.
        let root = match unsafe { convert(env, value, 0, None)? } {
            Converted::Leaf(leaf) => return Ok(CallArguments(leaf)),
            Converted::Skip => return Ok(CallArguments(Value::Null)),
            Converted::Container(frame) => frame,
        };
        let mut stack = vec![root];
        // Past this many values the document is over its size in bytes.
        let mut budget = MAX_DOCUMENT_BYTES;
        loop {
            // The arguments object is depth 0: each argument is at depth 1.
            let depth = stack.len();
            let Some(frame) = stack.last_mut() else {
                return Ok(CallArguments(Value::Null));
            };
            // SAFETY: every frame was made from values of this call.
            match unsafe { frame.next_child(env)? } {
                Some((child, key)) => {
                    if budget == 0 {
                        frame.put(key, Some(Value::Null));
                        continue;
                    }
                    budget -= 1;
                    // SAFETY: `child` was just read in this call.
                    match unsafe { convert(env, child, depth, key.clone())? } {
                        Converted::Leaf(leaf) => frame.put(key, Some(leaf)),
                        Converted::Skip => frame.put(key, None),
                        Converted::Container(inner) => stack.push(inner),
                    }
                }
                None => {
                    let Some(done) = stack.pop() else {
                        return Ok(CallArguments(Value::Null));
                    };
                    let (key, value) = done.finish();
                    match stack.last_mut() {
                        Some(parent) => parent.put(key, Some(value)),
                        None => return Ok(CallArguments(value)),
                    }
                }
            }
        }
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
