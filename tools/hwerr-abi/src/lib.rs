// SPDX-License-Identifier: GPL-2.0

//! The `/dev/hwerr` ABI of hasys, for userspace.
//!
//! [`abi`] is the very file `hwerr.ko` compiles (`include/uapi/linux/hwerr.rs`): the
//! record and ioctl layouts with zerocopy derives. `tests/layout.rs` proves it agrees
//! with the C header `include/uapi/linux/hwerr.h`, field by field. [`Device`] is a
//! small client: open, filter, seek, stats, read whole records. [`decode`] turns a
//! record into a serializable, human-meaningful form.

#[path = "../../../include/uapi/linux/hwerr.rs"]
pub mod abi;

pub mod decode;
mod device;

pub use device::Device;
