// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! hadetect: policy engine.
//!
//! hadetect turns the hwerr record stream into decisions: SERD-style "N in T"
//! thresholds per component, fault isolation (soft-offline a page, offline a CPU,
//! isolate a PCI device) and the node health state HA stacks consume.
//!
//! At this stage the module registers its directory `/sys/kernel/ha/hadetect/` through
//! hwerr's API, which is also what makes it depend on `hwerr.ko`.

use kernel::prelude::*;

#[path = "../include/hasys/hwerr.rs"]
mod hwerr;

// The record ABI, which hwerr's API (`hwerr::Consumer`) hands records in.
#[allow(dead_code, unreachable_pub)]
#[path = "../include/uapi/linux/hwerr.rs"]
mod abi;

module! {
    type: HadetectModule,
    name: "hadetect",
    authors: ["The hasys authors"],
    description: "hasys policy engine",
    license: "GPL",
}

/// hadetect's module state.
struct HadetectModule {
    _component: hwerr::Component,
}

impl kernel::Module for HadetectModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _component: hwerr::Component::new(c"hadetect")?,
        })
    }
}
