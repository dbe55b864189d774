// SPDX-License-Identifier: GPL-2.0

//! The pure logic of `crashdump.ko`, compiled from the module's own source files so
//! that `cargo test` (`tests/`), the fuzz target (`fuzz/`) and `hactl crash` run it in
//! userspace: the record codec and the CRC-32 it uses (`include/hasys/crc32.rs`,
//! shared with `kexec_handoff.ko`). Each module here is the very file the kernel
//! builds; nothing is copied.
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

// The CRC-32, at the path the record codec expects (`crate::crc32`).
#[path = "../../../include/hasys/crc32.rs"]
pub mod crc32;

#[path = "../../../crashdump/record.rs"]
pub mod record;
