// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! crashdump: a readable crash record that survives into the capture kernel.
//!
//! In a normal kernel the module keeps a crash record in a region of its own memory,
//! up to date with hwerr's newest records, hadetect's health and cluster_msg's view,
//! and rewrites it from the panic and die notifiers with the reason, the message and
//! the kernel log's tail (`state.rs`, `hooks.c`). `hactl crash arm` loads a capture
//! kernel whose command line names the region (`crashdump.record_addr=`); in that
//! kernel the module, given the address, validates the record and publishes it:
//! `/sys/kernel/ha/crashdump/record`, and records on `/dev/hwerr`.
//!
//! The record format (`record.rs`) is pure: `tools/crashdump-core` builds and tests
//! it in userspace, and `hactl crash show` decodes it. Documentation/hasys/crashdump.rst
//! describes the record, where it is found, and what each crash path keeps.

use kernel::{prelude::*, sync::Arc};

#[path = "../include/hasys/hwerr.rs"]
mod hwerr;

#[path = "../include/hasys/registered.rs"]
mod registered;
use registered::Registered;

#[path = "../include/hasys/sysfs.rs"]
mod sysfs;

// The record ABI, which hwerr's API (`hwerr::Consumer`) hands records in.
#[allow(dead_code, unreachable_pub)]
#[path = "../include/uapi/linux/hwerr.rs"]
mod abi;

// The CRC-32 the record codec checksums with, shared with kexec_handoff and
// userspace (tools/crashdump-core, tools/handoff-core).
#[allow(dead_code, unreachable_pub)]
#[path = "../include/hasys/crc32.rs"]
mod crc32;

// The pure record codec, shared with userspace (tools/crashdump-core), which uses
// all of its `pub` items.
#[allow(dead_code, unreachable_pub)]
mod record;

mod state;
use state::{Crashdump, Found, Live, Mode, Published};

module! {
    type: CrashdumpModule,
    name: "crashdump",
    authors: ["The hasys authors"],
    description: "hasys crash record",
    license: "GPL",
    params: {
        record_addr: u64 {
            default: 0,
            description: "capture kernel only: physical address of the crashed kernel's record (hactl crash arm puts it on the command line)",
        },
    },
}

mod ffi {
    use kernel::{bindings, prelude::*};

    extern "C" {
        // hooks.c
        pub(super) fn crashdump_hooks_start() -> c_int;
        pub(super) fn crashdump_hooks_stop();
        // sysfs.c
        pub(super) fn crashdump_sysfs_groups() -> *mut *const bindings::attribute_group;
    }
}

/// crashdump's module state. The fields drop in order: the sysfs directory (no more
/// reads), the hooks (no more crash records), then the published state they use.
struct CrashdumpModule {
    _component: hwerr::Component,
    _hooks: Option<Registered>,
    _state: Published,
}

impl kernel::Module for CrashdumpModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let addr = *module_parameters::record_addr.value();
        let capture = state::is_kdump_kernel();
        if addr != 0 && !capture {
            // In a normal kernel that address is this kernel's memory, not a record.
            pr_err!("record_addr is for a capture kernel only\n");
            return Err(EINVAL);
        }
        let mode = if capture {
            let found = Found::read(addr)?;
            found.log();
            Mode::Capture(found)
        } else {
            let live = KBox::pin_init(
                hwerr::ConsumerRegistration::new(Live::new()?, hwerr::ConsumerOptions::default()),
                GFP_KERNEL,
            )?;
            live.data().start();
            Mode::Live(live)
        };
        // SAFETY: The hooks and the sysfs directory, the only callers of the C entry
        // points, are fields dropped before `_state`.
        let published = unsafe { Published::new(Arc::new(Crashdump { mode }, GFP_KERNEL)?) };
        let hooks = match published.get().mode {
            // SAFETY: `crashdump_hooks_stop()` undoes `crashdump_hooks_start()`; process
            // context. The callbacks find the published state.
            Mode::Live(_) => Some(unsafe {
                Registered::new(ffi::crashdump_hooks_start, ffi::crashdump_hooks_stop)?
            }),
            Mode::Capture(_) => None,
        };
        // SAFETY: `crashdump_sysfs_groups()` returns sysfs.c's static, NULL-terminated
        // table, never written; its callbacks answer `ENODEV` when nothing is published.
        let groups = unsafe { hwerr::AttributeGroups::from_raw(ffi::crashdump_sysfs_groups()) };
        let component = hwerr::Component::with_groups(c"crashdump", &groups)?;
        match &published.get().mode {
            Mode::Live(l) => pr_info!(
                "crash record at {:#x} ({} bytes); a capture kernel needs crashdump.record_addr={:#x}\n",
                l.data().phys(),
                record::REGION_SIZE,
                l.data().phys()
            ),
            Mode::Capture(f) => {
                let refused = f.publish();
                if refused != 0 {
                    pr_warn!("{refused} records of the crash record were not logged\n");
                }
            }
        }
        Ok(Self {
            _component: component,
            _hooks: hooks,
            _state: published,
        })
    }
}
