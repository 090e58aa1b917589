//! The repository README's Rust examples, compiled and run as this crate's
//! doctests (`cargo test -p carebase-examples --doc`), so the README cannot
//! drift from the API. The runnable programs are this crate's binaries.
#![doc = include_str!("../../README.md")]
