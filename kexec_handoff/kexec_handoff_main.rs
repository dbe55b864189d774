// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! kexec_handoff: a planned kexec into a new kernel that keeps hasys's state.
//!
//! An operator (or `hactl handoff`) loads the new kernel with `kexec_file_load`,
//! writes `prepare` to `/sys/kernel/ha/kexec_handoff/request`, and once `state` is
//! `ready` runs the kexec: the reboot notifier on the kexec path commits the handoff
//! and hwerr's log, sealed into its Kexec HandOver (KHO) blob, goes with it. In the
//! new kernel hwerr restores its log at load, and this module, at its own load,
//! finds its blob again and reports the handoff (`report`, a record on
//! `/dev/hwerr`). A module cannot start a kexec itself (`kernel_kexec()` is not
//! exported).
//!
//! - `state.rs`: the handoff behind one mutex, sysfs, the commit and the report;
//! - `phase.rs`: the phases (pure logic, also built in `tools/handoff-core`);
//! - `hooks.c`, `sysfs.c` (C): the reboot notifier, KHO's and utsname's facts, and
//!   the sysfs table.
//!
//! Documentation/hasys/kexec_handoff.rst describes the protocol and what is kept.

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

// The record ABI, which hwerr's API (`hwerr::Consumer`) hands records in.
#[allow(dead_code, unreachable_pub)]
#[path = "../include/uapi/linux/hwerr.rs"]
mod abi;

// The pure parts, shared with userspace (tools/handoff-core), which uses all of their
// `pub` items.
#[allow(dead_code, unreachable_pub)]
#[path = "../include/hasys/crc32.rs"]
mod crc32;

#[allow(dead_code, unreachable_pub)]
#[path = "../include/hasys/kho_blob.rs"]
mod kho_blob;

#[allow(dead_code, unreachable_pub)]
mod phase;

mod state;
use state::{ffi, Kh, Published, Report};

module! {
    type: KexecHandoffModule,
    name: "kexec_handoff",
    authors: ["The hasys authors"],
    description: "hasys planned kexec handoff",
    license: "GPL",
}

/// kexec_handoff's module state. The fields drop in order: the reboot notifier (no
/// commit any more), the sysfs directory (no more requests), then the published
/// state, which releases a handoff still under way.
struct KexecHandoffModule {
    _hooks: Registered,
    _component: hwerr::Component,
    state: Published,
}

impl kernel::Module for KexecHandoffModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let report = Report::find();
        let kh = Arc::pin_init(Kh::new(report), GFP_KERNEL)?;
        // SAFETY: The hooks and the sysfs directory, the only callers of the C entry
        // points, are fields dropped before `state`.
        let state = unsafe { Published::new(kh) };
        // SAFETY: `kexec_handoff_sysfs_groups()` returns sysfs.c's static,
        // NULL-terminated table, never written; its callbacks answer `ENODEV` when
        // nothing is published.
        let groups = unsafe { hwerr::AttributeGroups::from_raw(ffi::kexec_handoff_sysfs_groups()) };
        let component = hwerr::Component::with_groups(c"kexec_handoff", &groups)?;
        state.get().set_kobj(component.as_raw());
        state.get().restored();
        // SAFETY: `kexec_handoff_hooks_stop()` undoes `kexec_handoff_hooks_start()`;
        // process context. The notifier finds the published state.
        let hooks = unsafe {
            Registered::new(
                ffi::kexec_handoff_hooks_start,
                ffi::kexec_handoff_hooks_stop,
            )?
        };
        Ok(Self {
            _hooks: hooks,
            _component: component,
            state,
        })
    }
}

impl Drop for KexecHandoffModule {
    fn drop(&mut self) {
        // The directory goes next: no `sysfs_notify()` on it from now on (a request
        // still running finishes before the directory is removed, and finds null).
        self.state.get().set_kobj(core::ptr::null_mut());
    }
}
