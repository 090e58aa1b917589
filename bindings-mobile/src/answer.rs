//! What a `Clinic` method answers across uniffi: core's `Result`, plus the
//! name of the argument a host value could not be read into.
//!
//! uniffi reads (lifts) each argument before the method runs; a custom
//! type's refusal (a negative count, text that is no date: `carebase::ffi`)
//! is core's `validation` error, which uniffi hands through as the typed
//! exception, but a custom type cannot know which field it fills. uniffi
//! knows the argument: it passes its name to the return type's
//! `handle_failed_lift`, which for a plain `Result` drops it. [`Answer`]
//! keeps it: the refusal names the argument (`seq`, `query`), so a Kotlin
//! `ackEvents(…, seq = -1)` gets `CarebaseException.Validation` on `seq`,
//! never uniffi's internal error.

use carebase::Error;
use uniffi::{LiftArgsError, LowerReturn, MetadataBuffer, RustCallError, TypeId};

use crate::UniFfiTag;

/// Core's result for a method; the host sees `Result<T, CarebaseError>`.
pub struct Answer<T>(pub Result<T, Error>);

impl<T> From<Result<T, Error>> for Answer<T> {
    fn from(result: Result<T, Error>) -> Self {
        Self(result)
    }
}

/// `error` with each failing field named after the argument that held it.
fn named(error: Error, arg_name: &str) -> Error {
    match error {
        Error::Validation { mut fields } => {
            for field in &mut fields {
                field.field = arg_name.to_owned();
            }
            Error::Validation { fields }
        }
        other => other,
    }
}

// SAFETY: every item delegates to `Result<T, Error>`'s own implementation,
// whose foreign code the bindings are generated for (`TYPE_ID_META` below
// is that type's), so the lowered values are exactly what it would give.
unsafe impl<T> LowerReturn<UniFfiTag> for Answer<T>
where
    Result<T, Error>: LowerReturn<UniFfiTag>,
{
    type ReturnType = <Result<T, Error> as LowerReturn<UniFfiTag>>::ReturnType;

    fn lower_return(answer: Self) -> Result<Self::ReturnType, RustCallError> {
        <Result<T, Error> as LowerReturn<UniFfiTag>>::lower_return(answer.0)
    }

    fn handle_failed_lift(failure: LiftArgsError) -> Result<Self::ReturnType, RustCallError> {
        let LiftArgsError { arg_name, error } = failure;
        match error.downcast::<Error>() {
            Ok(refusal) => Self::lower_return(Answer(Err(named(refusal, arg_name)))),
            Err(error) => {
                <Result<T, Error> as LowerReturn<UniFfiTag>>::handle_failed_lift(LiftArgsError {
                    arg_name,
                    error,
                })
            }
        }
    }
}

impl<T> TypeId<UniFfiTag> for Answer<T>
where
    Result<T, Error>: TypeId<UniFfiTag>,
{
    const TYPE_ID_META: MetadataBuffer = <Result<T, Error> as TypeId<UniFfiTag>>::TYPE_ID_META;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_host_value_names_the_argument() {
        let refusal = Error::invalid("count", "invalid_value", "a count must not be negative");
        let Error::Validation { fields } = named(refusal, "seq") else {
            panic!("not a validation error");
        };
        assert_eq!(fields[0].field, "seq");
        assert_eq!(fields[0].code, "invalid_value");
    }
}
