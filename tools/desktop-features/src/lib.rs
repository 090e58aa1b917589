//! No code: the dependencies of this crate are the one feature set of the
//! core shared by the wheel, the npm module and the JVM JAR (see its
//! `Cargo.toml`), so one cargo build of the core serves the three.
#![no_std]
