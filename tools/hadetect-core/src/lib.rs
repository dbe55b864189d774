// SPDX-License-Identifier: GPL-2.0

//! The pure logic of `hadetect.ko`, compiled from the module's own source files so
//! that `cargo test` (unit and property tests, `tests/`) runs it in userspace. Each
//! module here is the very file the kernel builds; nothing is copied.

/// The ABI, at the path the kernel files expect (`crate::abi`).
pub use hwerr_abi::abi;

/// hwerr's severity grading, for its MCE status bits and vendor numbers
/// (`crate::severity`, which `classify.rs` reads records by).
#[path = "../../../hwerr/severity.rs"]
pub mod severity;

#[path = "../../../hadetect/classify.rs"]
pub mod classify;

#[path = "../../../hadetect/engine.rs"]
pub mod engine;

#[path = "../../../hadetect/health.rs"]
pub mod health;

#[path = "../../../hadetect/agents.rs"]
pub mod agents;

#[path = "../../../hadetect/carry.rs"]
pub mod carry;
