// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! cluster_msg: authenticated in-kernel heartbeats, membership and a dying gasp.
//!
//! The node keeps a membership of configured peers with HMAC-SHA256-authenticated
//! UDP heartbeats sent and read by a kernel workqueue (`node.rs`, `net.c`), so no
//! userspace daemon has to be scheduled for the node to stay a member. When the node
//! is about to go (panic, oops, fatal hardware error, kexec, shutdown) it sends prebuilt,
//! pre-authenticated frames with netpoll from that very context; on memory overload
//! (hadetect's health) it leaves and rejoins on recovery. Peers change their view at
//! once, and every change is a `SRC_CLUSTER` record on `/dev/hwerr`.
//!
//! The wire format (`wire.rs`), the replay window (`replay.rs`) and the membership
//! state machine (`membership.rs`) are pure: `tools/cluster-core` builds and tests
//! them in userspace. Documentation/hasys/cluster_msg.rst describes the protocol, the
//! configuration and the security model.

use kernel::{prelude::*, sync::Arc};

#[path = "../include/hasys/hwerr.rs"]
mod hwerr;

#[path = "../include/hasys/registered.rs"]
mod registered;
use registered::Registered;

#[path = "../include/hasys/sysfs.rs"]
mod sysfs;

#[path = "../include/hasys/kho.rs"]
mod kho;

#[allow(dead_code, unreachable_pub)]
#[path = "../include/hasys/crc32.rs"]
mod crc32;

#[allow(dead_code, unreachable_pub)]
#[path = "../include/hasys/kho_blob.rs"]
mod kho_blob;

// The record ABI, which hwerr's API (`hwerr::Consumer`) hands records in.
#[allow(dead_code, unreachable_pub)]
#[path = "../include/uapi/linux/hwerr.rs"]
mod abi;

// The pure files, shared with userspace (tools/cluster-core), which uses all of their
// `pub` items.
#[allow(dead_code, unreachable_pub)]
mod membership;
#[allow(dead_code, unreachable_pub)]
mod replay;
#[allow(dead_code, unreachable_pub)]
mod wire;

mod handoff;
mod node;

module! {
    type: ClusterMsgModule,
    name: "cluster_msg",
    authors: ["The hasys authors"],
    description: "hasys cluster messaging: heartbeats, membership, dying gasp",
    license: "GPL",
    params: {
        dumping_anywhere: u32 {
            default: 0,
            description: "tests only: 1 accepts request dumping and dumped in a kernel that is not a kdump capture kernel",
        },
    },
}

mod ffi {
    use kernel::{bindings, prelude::*};

    extern "C" {
        // net.c
        pub(super) fn cm_wq_init() -> c_int;
        pub(super) fn cm_wq_exit();
        pub(super) fn cm_hooks_init() -> c_int;
        pub(super) fn cm_hooks_exit();
        // sysfs.c
        pub(super) fn cm_sysfs_groups() -> *mut *const bindings::attribute_group;
    }
}

/// The node, published to the C entry points (`node::NODE`) for as long as this
/// lives.
struct Published(Arc<node::Node>);

impl Published {
    fn new(node: Arc<node::Node>) -> Self {
        // SAFETY: `Published` holds a reference, and unpublishes before dropping it.
        // The module drops it last, after everything that calls into the node.
        unsafe { node.publish_global() };
        Self(node)
    }
}

impl Drop for Published {
    fn drop(&mut self) {
        self.0.unpublish();
    }
}

/// cluster_msg's module state. `drop` first leaves the cluster (and refuses to be
/// enabled again); then the fields drop in order: the sysfs directory (no more reads
/// and writes), the consumer (no more records), the hooks (no more gasps), the
/// workqueue (no more receive or tick), and last the node they all use.
struct ClusterMsgModule {
    _component: hwerr::Component,
    _consumer: Pin<KBox<hwerr::ConsumerRegistration<node::Node>>>,
    _hooks: Registered,
    _wq: Registered,
    node: Published,
}

impl kernel::Module for ClusterMsgModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: `cm_wq_exit()` destroys what `cm_wq_init()` made; process context.
        let wq = unsafe { Registered::new(ffi::cm_wq_init, ffi::cm_wq_exit)? };
        // Fatal hardware errors (all sources) and hadetect's health.
        let consumer = KBox::pin_init(
            hwerr::ConsumerRegistration::new(
                node::Node::new(handoff::find()),
                hwerr::ConsumerOptions::default(),
            ),
            GFP_KERNEL,
        )?;
        let node = Published::new(consumer.data_arc());
        // SAFETY: As above, for the panic, die and reboot notifiers; their callbacks
        // send nothing until a node is enabled.
        let hooks = unsafe { Registered::new(ffi::cm_hooks_init, ffi::cm_hooks_exit)? };
        // SAFETY: `cm_sysfs_groups()` returns sysfs.c's static, NULL-terminated table,
        // never written; its callbacks answer `ENODEV` whenever no node is published.
        let groups = unsafe { hwerr::AttributeGroups::from_raw(ffi::cm_sysfs_groups()) };
        let component = hwerr::Component::with_groups(c"cluster_msg", &groups)?;
        // SAFETY: The kobject lives as long as `component`; `drop` clears it first.
        unsafe { node.0.set_kobj(component.as_raw()) };
        Ok(Self {
            _component: component,
            _consumer: consumer,
            _hooks: hooks,
            _wq: wq,
            node,
        })
    }
}

impl Drop for ClusterMsgModule {
    fn drop(&mut self) {
        self.node.0.shutdown();
        // SAFETY: Null is always allowed (the directory is still live here).
        unsafe { self.node.0.set_kobj(core::ptr::null_mut()) };
    }
}
