//! The API as data (feature `schema`): every operation and host function
//! with the JSON Schema of each argument and result, the error's schema and
//! every type they reach, in one JSON document. `tools/codegen` writes it to
//! `api.json` and generates host code from it; nothing at run time reads it.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{json, Value};

use crate::clinic::operations::types::*;
use crate::Error;

/// The document's format version (bumped when its shape changes).
pub const FORMAT: u32 = 1;

/// `{"name", "type", "schema", "flatten", "default"}` of one argument.
fn argument<T: JsonSchema>(
    generator: &mut SchemaGenerator,
    name: &str,
    ty: &str,
    attributes: &[&str],
) -> Value {
    json!({
        "name": name,
        "type": ty.replace(' ', ""),
        "schema": generator.subschema_for::<T>(),
        "flatten": attributes.contains(&"flatten"),
        "default": attributes.contains(&"default"),
    })
}

/// `{"type", "schema"}` of a result.
fn result<T: JsonSchema>(generator: &mut SchemaGenerator, ty: &str) -> Value {
    json!({ "type": ty.replace(' ', ""), "schema": generator.subschema_for::<T>() })
}

macro_rules! describe_operations {
    ($(
        fn $name:ident ( $(&$actor:ident $(,)?)? $( $(#[$attr:ident])* $arg:ident : $ty:ty ),* ) -> $ret:ty ;
    )*) => {
        /// One entry per operation of the list.
        fn operations(generator: &mut SchemaGenerator) -> Vec<Value> {
            vec![$({
                let takes_actor = false $(|| stringify!($actor) == "actor")?;
                let args: Vec<Value> = vec![$(argument::<$ty>(
                    generator,
                    stringify!($arg),
                    stringify!($ty),
                    &[$(stringify!($attr)),*],
                )),*];
                let returns = result::<$ret>(generator, stringify!($ret));
                json!({
                    "name": stringify!($name),
                    "takes_actor": takes_actor,
                    "args": args,
                    "returns": returns,
                })
            }),*]
        }
    };
}

crate::clinic_operations!(describe_operations);

macro_rules! describe_functions {
    ($(
        fn $name:ident ( $( $(#[$attr:ident])* $arg:ident : $ty:ty ),* ) -> $ret:ty ;
    )*) => {
        /// One entry per host function.
        fn functions(generator: &mut SchemaGenerator) -> Vec<Value> {
            vec![$({
                let args: Vec<Value> = vec![$(argument::<$ty>(
                    generator,
                    stringify!($arg),
                    stringify!($ty),
                    &[$(stringify!($attr)),*],
                )),*];
                let returns = result::<$ret>(generator, stringify!($ret));
                json!({
                    "name": stringify!($name),
                    "takes_actor": false,
                    "args": args,
                    "returns": returns,
                })
            }),*]
        }
    };
}

crate::host_functions!(describe_functions);

/// The API document: `operations`, `functions`, `error` (the schema of
/// [`Error`]'s serde form, one variant per `code`), `settings` and `$defs`
/// (every named type, referenced as `#/$defs/Name`).
pub fn document() -> Value {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let operations = operations(&mut generator);
    let functions = functions(&mut generator);
    let error = generator.subschema_for::<Error>();
    let settings = generator.subschema_for::<Settings>();
    let definitions = generator.take_definitions(true);
    json!({
        "format": FORMAT,
        "operations": operations,
        "functions": functions,
        "error": error,
        "settings": settings,
        "$defs": definitions,
    })
}
