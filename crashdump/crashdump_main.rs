// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! crashdump: crash record.
//!
//! crashdump writes a readable crash record (reason, error log, dmesg tail) into
//! memory that survives into the capture kernel, which republishes it.
//!
//! At this stage the module registers its directory `/sys/kernel/ha/crashdump/` through
//! hwerr's API, which is also what makes it depend on `hwerr.ko`.

use kernel::prelude::*;

#[path = "../include/hasys/hwerr.rs"]
mod hwerr;

// The record ABI, which hwerr's API (`hwerr::Consumer`) hands records in.
#[allow(dead_code, unreachable_pub)]
#[path = "../include/uapi/linux/hwerr.rs"]
mod abi;

module! {
    type: CrashdumpModule,
    name: "crashdump",
    authors: ["The hasys authors"],
    description: "hasys crash record",
    license: "GPL",
}

/// crashdump's module state.
struct CrashdumpModule {
    _component: hwerr::Component,
}

impl kernel::Module for CrashdumpModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _component: hwerr::Component::new(c"crashdump")?,
        })
    }
}
