//! Clinical terminology: the units, code systems and reference ranges the
//! health record's entries are checked against.
//!
//! A module of its own, beside the record rather than inside it, because
//! more than the record speaks it: observations take UCUM quantities and
//! LOINC codes, conditions and procedures SNOMED CT or ICD-10-CM,
//! prescriptions RxNorm, immunizations CVX, and billing will take CPT codes.
//! Everything here is a pure function over text and decimals (no store, no
//! clinic state); failures are [`FieldError`](crate::FieldError)s on the
//! field the caller names, so a validator collects them with its others.

pub mod code_system;
pub mod interpretation;
pub mod ucum;
pub mod vital_signs;
