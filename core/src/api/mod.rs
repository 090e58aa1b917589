//! The one door for hosts that cross as JSON (Python, and any host without
//! its own type bridge): a call is an operation name and a JSON object of
//! arguments, its answer the JSON of the result or of the [`Error`]
//! ([`Error::to_json`]).
//!
//! [`call`] is generated from the operation list
//! ([`clinic_operations!`](crate::clinic_operations)) and [`call_function`]
//! from [`host_functions!`](crate::host_functions), so a binding that uses
//! them has every operation by construction. Arguments are read by
//! [`Arguments`] (errors by category, never by message text); results are
//! core's own serde form. No clinic rule lives here.

pub(crate) mod arguments;
pub mod functions;
#[cfg(feature = "schema")]
pub mod schema;

pub use arguments::{Arguments, Mode};

use serde::Serialize;

use crate::clinic::operations::{types::*, Argument, ClinicOperations, Operation};
use crate::clinic::Clinic;
use crate::limits::MAX_ATTACHMENT_BYTES;
use crate::{Error, Result};

/// Hands every function a host needs besides `Clinic`'s operations (ids,
/// policies, event schemas, default settings, actors) to `$callback!`, in
/// the entry format of [`clinic_operations!`](crate::clinic_operations)
/// (without `&actor`). Each is a function of [`functions`].
#[macro_export]
macro_rules! host_functions {
    ($callback:path) => {
        $callback! {
            fn new_id() -> ActorId;
            fn default_settings() -> Settings;
            fn default_policy() -> Policy;
            fn default_policy_toml() -> String;
            fn policy_from_toml(text: String) -> Policy;
            fn policy_from_json(text: String) -> Policy;
            fn event_types() -> Vec<(String, Count32)>;
            fn event_schema(kind: String, version: Count32) -> Option<String>;
            fn actor_with_roles(roles: Vec<Role>) -> Actor;
            fn system_actor() -> Actor;
            fn practitioner_actor(practitioner: PractitionerId, id: Option<ActorId>) -> Actor;
            fn patient_actor(patient: PatientId, id: Option<ActorId>) -> Actor;
        }
    };
}

/// A call's answer through [`call_with_bytes`]: the result's JSON and, for
/// a result with a [`Bytes`] field (a document's content), those bytes
/// beside it (the field is left out of the JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The result's JSON text.
    pub json: String,
    /// The result's bytes, when it carries any.
    pub bytes: Option<Vec<u8>>,
}

/// How a result becomes a [`Reply`]: every serializable result as its JSON;
/// a result carrying bytes as the JSON of the rest and the bytes beside.
pub trait IntoReply {
    /// The reply of this result.
    fn into_reply(self) -> Result<Reply>;
}

impl<T: Serialize> IntoReply for T {
    fn into_reply(self) -> Result<Reply> {
        Ok(Reply {
            json: encode(&self)?,
            bytes: None,
        })
    }
}

impl IntoReply for DocumentContent {
    fn into_reply(self) -> Result<Reply> {
        Ok(Reply {
            json: encode(&serde_json::json!({ "entry": self.entry }))?,
            bytes: Some(self.bytes.into_vec()),
        })
    }
}

/// Bytes handed beside a call's JSON are bounded at the door, before
/// anything is read: at most [`MAX_ATTACHMENT_BYTES`], else `validation`
/// `too_large` on `bytes`. Hosts call it before they copy the bytes.
pub fn check_bytes(len: usize) -> Result<()> {
    if len > MAX_ATTACHMENT_BYTES {
        return Err(Error::invalid(
            "bytes",
            "too_large",
            format!("at most {MAX_ATTACHMENT_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// The JSON of a result. Core's types always serialize; should one ever
/// not, the call answers a storage error of kind `other` (a bug).
fn encode<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|_| Error::storage("a result could not be encoded"))
}

/// Unwraps what [`Arguments::finish`] vouched for.
fn vouched<T>(value: Option<T>) -> Result<T> {
    value.ok_or_else(|| Error::storage("an argument read without error is missing"))
}

/// The operation list as a JSON dispatch, and [`OPERATIONS`](crate::clinic::OPERATIONS)'s twin check.
macro_rules! clinic_dispatch {
    ($(
        fn $name:ident ( $(&$actor:ident $(,)?)? $( $(#[$attr:ident])* $arg:ident : $ty:ty ),* ) -> $ret:ty ;
    )*) => {
        /// Runs the `Clinic` operation named `operation` with its JSON
        /// `arguments` (an object: `actor` and the listed names) and returns
        /// the JSON of its result. Bad arguments are one `validation` error
        /// naming each; an unknown operation is `not_found`.
        pub async fn call(clinic: &Clinic, operation: &str, arguments: &str) -> Result<String> {
            call_with_bytes(clinic, operation, arguments, None)
                .await
                .map(|reply| reply.json)
        }

        /// [`call`] with bytes beside the JSON text: the operation's one
        /// argument of type [`Bytes`] (a document's content, never inside
        /// the JSON) in, a result's bytes out ([`Reply`]). Up to
        /// [`MAX_ATTACHMENT_BYTES`] ([`check_bytes`]); bytes given to an
        /// operation that takes none are `unknown_field` on `(bytes)`.
        pub async fn call_with_bytes(
            clinic: &Clinic,
            operation: &str,
            arguments: &str,
            bytes: Option<Vec<u8>>,
        ) -> Result<Reply> {
            if let Some(bytes) = &bytes {
                check_bytes(bytes.len())?;
            }
            match operation {
                $(stringify!($name) => {
                    let mut args = Arguments::parse(arguments)?.with_bytes(bytes);
                    $(let $actor: Option<Actor> = args.take(stringify!($actor), Mode::Member);)?
                    $(let $arg: Option<$ty> = args.take_typed(
                        stringify!($arg),
                        Mode::of(&[$(stringify!($attr)),*]),
                        stringify!($ty),
                    );)*
                    args.finish()?;
                    let value = ClinicOperations::$name(
                        clinic,
                        $(vouched($actor)?,)?
                        $(vouched($arg)?),*
                    )
                    .await?;
                    value.into_reply()
                })*
                _ => Err(Error::not_found("operation")),
            }
        }
    };
}

crate::clinic_operations!(clinic_dispatch);

/// [`host_functions!`](crate::host_functions) as a JSON dispatch and a list.
macro_rules! function_dispatch {
    ($(
        fn $name:ident ( $( $(#[$attr:ident])* $arg:ident : $ty:ty ),* ) -> $ret:ty ;
    )*) => {
        /// Every host function, in the order of `host_functions!`
        /// (`takes_actor` is always false).
        pub const FUNCTIONS: &[Operation] = &[$(
            Operation {
                name: stringify!($name),
                takes_actor: false,
                args: &[$(Argument {
                    name: stringify!($arg),
                    ty: stringify!($ty),
                    flatten: false,
                    default: false,
                }),*],
                returns: stringify!($ret),
            },
        )*];

        /// Runs the host function named `function` with its JSON `arguments`
        /// and returns the JSON of its result (errors as [`call`]'s).
        pub fn call_function(function: &str, arguments: &str) -> Result<String> {
            match function {
                $(stringify!($name) => {
                    #[allow(unused_mut)] // functions without arguments
                    let mut args = Arguments::parse(arguments)?;
                    $(let $arg: Option<$ty> =
                        args.take_typed(stringify!($arg), Mode::Member, stringify!($ty));)*
                    args.finish()?;
                    let value: $ret = functions::$name($(vouched($arg)?),*)?;
                    encode(&value)
                })*
                _ => Err(Error::not_found("function")),
            }
        }
    };
}

crate::host_functions!(function_dispatch);
