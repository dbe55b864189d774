// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! cluster_msg: cluster messaging.
//!
//! cluster_msg tells cluster peers at once: authenticated heartbeats and membership
//! over a kernel UDP socket, and a prebuilt "dying gasp" frame sent with netpoll from
//! panic or NMI context.
//!
//! At this stage the module registers its directory `/sys/kernel/ha/cluster_msg/` through
//! hwerr's API, which is also what makes it depend on `hwerr.ko`.

use kernel::prelude::*;

#[path = "../include/hasys/hwerr.rs"]
mod hwerr;

// The record ABI, which hwerr's API (`hwerr::Consumer`) hands records in.
#[allow(dead_code, unreachable_pub)]
#[path = "../include/uapi/linux/hwerr.rs"]
mod abi;

module! {
    type: ClusterMsgModule,
    name: "cluster_msg",
    authors: ["The hasys authors"],
    description: "hasys cluster messaging",
    license: "GPL",
}

/// cluster_msg's module state.
struct ClusterMsgModule {
    _component: hwerr::Component,
}

impl kernel::Module for ClusterMsgModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _component: hwerr::Component::new(c"cluster_msg")?,
        })
    }
}
