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

mod arguments;
pub mod functions;
#[cfg(feature = "schema")]
pub mod schema;

pub use arguments::{Arguments, Mode};

use serde::Serialize;

use crate::clinic::operations::{types::*, Argument, ClinicOperations, Operation};
use crate::clinic::Clinic;
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
            match operation {
                $(stringify!($name) => {
                    let mut args = Arguments::parse(arguments)?;
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
                    encode(&value)
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
