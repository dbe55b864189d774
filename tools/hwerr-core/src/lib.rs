// SPDX-License-Identifier: GPL-2.0

//! The pure logic of `hwerr.ko`, compiled from the module's own source files so that
//! `cargo test` (unit and property tests, `tests/`) runs it in userspace. Each module
//! here is the very file the kernel builds; nothing is copied.

/// The ABI, at the path the kernel files expect (`crate::abi`).
pub use hwerr_abi::abi;

#[path = "../../../hwerr/ring.rs"]
pub mod ring;

#[path = "../../../hwerr/severity.rs"]
pub mod severity;

#[path = "../../../hwerr/coalesce.rs"]
pub mod coalesce;
