// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! hadetect: the policy engine.
//!
//! hadetect reads every hwerr record (an in-kernel consumer), charges each error to
//! the part it accuses (`classify.rs`), keeps "N errors in T" rules per fault class
//! (`engine.rs`), isolates the failing part instead of letting the node degrade or
//! die (soft-offline a page, offline a CPU, unbind or remove a PCI function;
//! `policy.rs`, `isolate.c`) and publishes the node's health (`health.rs`) in
//! `/sys/kernel/ha/hadetect/` (`sysfs.c`) and as records on `/dev/hwerr`.
//!
//! Documentation/hasys/hadetect.rst describes the policy model.

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

// hwerr's MCE status bits and vendor numbers, which `classify.rs` reads records by.
#[allow(dead_code, unreachable_pub)]
#[path = "../hwerr/severity.rs"]
mod severity;

// The pure files, shared with userspace (tools/hadetect-core), which uses all of their
// `pub` items.
#[allow(unreachable_pub)]
mod agents;
#[allow(unreachable_pub)]
mod carry;
#[allow(unreachable_pub)]
mod classify;
#[allow(unreachable_pub)]
mod engine;
#[allow(unreachable_pub)]
mod health;

mod handoff;
mod policy;

module! {
    type: HadetectModule,
    name: "hadetect",
    authors: ["The hasys authors"],
    description: "hasys policy engine: thresholds, fault isolation, node health",
    license: "GPL",
}

mod ffi {
    use kernel::{bindings, prelude::*};

    extern "C" {
        // isolate.c
        pub(super) fn hadetect_wq_init() -> c_int;
        pub(super) fn hadetect_wq_exit();
        // overload.c
        pub(super) fn hadetect_oom_init() -> c_int;
        pub(super) fn hadetect_oom_exit();
        // handoff_nb.c
        pub(super) fn hadetect_handoff_init() -> c_int;
        pub(super) fn hadetect_handoff_exit();
        // agent_dev.c
        pub(super) fn hadetect_dev_init() -> c_int;
        pub(super) fn hadetect_dev_exit();
        // sysfs.c
        pub(super) fn hadetect_sysfs_groups() -> *mut *const bindings::attribute_group;
    }
}

/// hadetect's module state. Fields drop in order: the handoff notifier (no more
/// handoff phases; a blob still preserved is released with the policy),
/// `/dev/hadetect` (no agent calls; an open file pins the module, so none is open
/// here), the OOM notifier (no more kicks), the consumer (no more records), the
/// runner (no more actions), the sysfs directory (no more reads and writes), and last
/// the policy they all use.
struct HadetectModule {
    _handoff: Registered,
    _dev: Registered,
    _oom: Registered,
    _consumer: Pin<KBox<hwerr::ConsumerRegistration<policy::Policy>>>,
    _runner: Registered,
    _component: hwerr::Component,
    policy: Published,
}

/// The policy, published to the C callbacks (`policy::POLICY`) for as long as this
/// lives.
struct Published(Arc<policy::Policy>);

impl Published {
    fn new(policy: Arc<policy::Policy>) -> Self {
        // SAFETY: `Published` holds a reference, and unpublishes before dropping it.
        // The module drops it last, after everything that calls into the policy.
        unsafe { policy.publish_global() };
        Self(policy)
    }
}

impl Drop for Published {
    fn drop(&mut self) {
        self.0.unpublish();
    }
}

impl kernel::Module for HadetectModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // The queue first: the consumer may kick it at once.
        // SAFETY: `hadetect_wq_exit()` stops and frees the action runner's queue
        // (`isolate.c`) that `hadetect_wq_init()` created; both in process context.
        let runner = unsafe { Registered::new(ffi::hadetect_wq_init, ffi::hadetect_wq_exit)? };
        let consumer = KBox::pin_init(
            hwerr::ConsumerRegistration::new(
                policy::Policy::new()?,
                hwerr::ConsumerOptions::default(),
            ),
            GFP_KERNEL,
        )?;
        let policy = Published::new(consumer.data_arc());
        // SAFETY: `hadetect_oom_exit()` unregisters what `hadetect_oom_init()`
        // registered; both in process context.
        let oom = unsafe { Registered::new(ffi::hadetect_oom_init, ffi::hadetect_oom_exit)? };
        // SAFETY: As above, for the misc device; its callbacks answer `ENODEV` while
        // no policy is published.
        let dev = unsafe { Registered::new(ffi::hadetect_dev_init, ffi::hadetect_dev_exit)? };
        // SAFETY: `hadetect_handoff_exit()` unregisters what `hadetect_handoff_init()`
        // registered; both in process context. The callback answers 0 while no
        // policy is published.
        let handoff =
            unsafe { Registered::new(ffi::hadetect_handoff_init, ffi::hadetect_handoff_exit)? };
        // The directory last: once `health` is notified through its kobject, nothing
        // after it may fail (a failure would drop the directory first).
        // SAFETY: `hadetect_sysfs_groups()` returns sysfs.c's static, NULL-terminated
        // table, never written; its callbacks answer `ENODEV` whenever no policy is
        // published, so they are sound at any time.
        let groups = unsafe { hwerr::AttributeGroups::from_raw(ffi::hadetect_sysfs_groups()) };
        let component = hwerr::Component::with_groups(c"hadetect", &groups)?;
        // SAFETY: The kobject lives as long as `component`; `drop` clears it first.
        unsafe { policy.0.set_kobj(component.as_raw()) };
        // A rule that fired before the policy was published kicked a runner that
        // found none, and parts isolated before a handoff are isolated again: run
        // once now.
        policy::kick(0);
        Ok(Self {
            _handoff: handoff,
            _dev: dev,
            _oom: oom,
            _consumer: consumer,
            _runner: runner,
            _component: component,
            policy,
        })
    }
}

impl Drop for HadetectModule {
    fn drop(&mut self) {
        // SAFETY: Null is always allowed (the directory is still live here).
        unsafe { self.policy.0.set_kobj(core::ptr::null_mut()) };
    }
}
