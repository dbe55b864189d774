// SPDX-License-Identifier: GPL-2.0

//! The pure logic of `kexec_handoff.ko`, compiled from the module's own source files
//! so that `cargo test` (`tests/`) and the fuzz target (`fuzz/`) run it in userspace:
//! the KHO blob format (`include/hasys/kho_blob.rs`), the CRC-32 it uses (`include/hasys/crc32.rs`,
//! shared with `crashdump.ko`) and the handoff's phases (`phase.rs`). Each module here
//! is the very file the kernel builds; nothing is copied.
//!
//! The kernel builds these files with `core` only: no `std`, no `alloc`, no floating
//! point, and overflow checks on (an overflow panics). This crate holds them to that:
//! it is `no_std` (outside its own tests), so `std` or `alloc` would not compile, and
//! the lints below reject, as errors, what could panic or use floating point:
//! indexing, `unwrap`/`expect`, `panic!`, unchecked arithmetic and `as` conversions.
//! The kernel adds its own lints (`missing_docs`, `clippy::cast_lossless`, ...).

#![cfg_attr(not(test), no_std)]
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented,
    clippy::arithmetic_side_effects,
    clippy::as_conversions,
    clippy::float_arithmetic,
    clippy::cast_lossless
)]

// The CRC-32, at the path the blob codec expects (`crate::crc32`).
#[path = "../../../include/hasys/crc32.rs"]
pub mod crc32;

#[path = "../../../include/hasys/kho_blob.rs"]
pub mod blob;

#[path = "../../../kexec_handoff/phase.rs"]
pub mod phase;
