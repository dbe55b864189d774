// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! kexec_handoff: planned kexec handoff.
//!
//! kexec_handoff carries the error log, the health state and the cluster epoch into
//! the next kernel through Kexec HandOver (KHO) when an operator asks for a planned
//! kexec through sysfs.
//!
//! At this stage the module registers its directory `/sys/kernel/ha/kexec_handoff/` through
//! hwerr's API, which is also what makes it depend on `hwerr.ko`, and builds the pure
//! parts of the handoff: the KHO blob format (`blob.rs`) and the handoff's phases
//! (`phase.rs`), which `tools/handoff-core` builds and tests in userspace.
//! Documentation/hasys/kexec_handoff.rst describes them and what comes next.

use kernel::prelude::*;

#[path = "../include/hasys/hwerr.rs"]
mod hwerr;

// The record ABI, which hwerr's API (`hwerr::Consumer`) hands records in.
#[allow(dead_code, unreachable_pub)]
#[path = "../include/uapi/linux/hwerr.rs"]
mod abi;

// The pure parts, shared with userspace (tools/handoff-core), which uses all of their
// `pub` items. Nothing in the module calls them yet: the sysfs interface and the KHO
// glue of issue 12's next step will.
#[allow(dead_code, unreachable_pub)]
#[path = "../include/hasys/crc32.rs"]
mod crc32;

#[allow(dead_code, unreachable_pub)]
mod blob;

#[allow(dead_code, unreachable_pub)]
mod phase;

module! {
    type: KexecHandoffModule,
    name: "kexec_handoff",
    authors: ["The hasys authors"],
    description: "hasys planned kexec handoff",
    license: "GPL",
}

/// kexec_handoff's module state.
struct KexecHandoffModule {
    _component: hwerr::Component,
}

impl kernel::Module for KexecHandoffModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _component: hwerr::Component::new(c"kexec_handoff")?,
        })
    }
}
