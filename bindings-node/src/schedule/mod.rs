//! Scheduling, mirroring `carebase::schedule`: the JavaScript shapes
//! (`types.rs`), their conversions (`convert.rs`) and the scheduling methods
//! of the `Clinic` class (`clinic.rs`).

mod clinic;
mod convert;
pub mod types;
