// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! hwerr: the hasys hardware-error layer.
//!
//! hwerr puts every hardware error the kernel reports (MCE, EDAC, PCIe AER, NMI,
//! APEI/GHES, memory failure) and every software-detected error other modules report
//! into one log of versioned records, read through the pollable `/dev/hwerr`.
//! It also owns the sysfs tree `/sys/kernel/ha/` that every hasys module hangs its
//! directory from. See `Documentation/hasys/hwerr.rst`.
//!
//! - `percpu_capture.c`, `sources.c` (C): the hooks and the NMI-safe capture path;
//! - [`capture`]: starting and stopping them, the calls they make into Rust;
//! - [`ring`]: the record ring and cursors (pure logic, also built in userspace);
//! - [`coalesce`]: storm coalescing in front of the ring (pure logic, also userspace);
//! - [`log`]: the ring under an IRQ-safe lock, and its wait queue;
//! - [`consumer`]: in-kernel consumers, each with its own cursor and work item;
//! - [`chardev`]: `/dev/hwerr` and its ioctls;
//! - [`cper`]: CPER section decoding;
//! - [`severity`]: how each source's reports are graded (pure logic, also userspace);
//! - [`sync`]: the IRQ-safe spinlock and keyed wait queue 7.2 lacks;
//! - [`handoff`], `kho.c`: the log across a planned kexec handoff (KHO);
//! - `inject`: the debugfs test interface (`CONFIG_HASYS_HWERR_INJECT` only).

use kernel::{prelude::*, sync::Arc};

#[path = "../include/hasys/hwerr.rs"]
mod api;

// The ABI file is shared with userspace (tools/hwerr-abi), which uses all of its
// `pub` items; the module uses some of them.
#[allow(dead_code, unreachable_pub)]
#[path = "../include/uapi/linux/hwerr.rs"]
mod abi;

mod capture;
mod chardev;
// The shared CRC-32 and KHO blob format (also built in tools/handoff-core), and the
// KHO blobs (hwerr exports their C side to every module: kho.c).
#[allow(dead_code, unreachable_pub)]
#[path = "../include/hasys/crc32.rs"]
mod crc32;
mod handoff;
#[path = "../include/hasys/kho.rs"]
mod kho;
#[allow(dead_code, unreachable_pub)]
#[path = "../include/hasys/kho_blob.rs"]
mod kho_blob;
// Shared with userspace (tools/hwerr-core) as well.
#[allow(dead_code, unreachable_pub)]
mod coalesce;
mod consumer;
mod cper;
#[cfg(CONFIG_HASYS_HWERR_INJECT)]
mod inject;
mod log;
// Shared with userspace (tools/hwerr-core), which uses all of its `pub` items.
#[allow(dead_code, unreachable_pub)]
mod ring;
// Shared with userspace (tools/hwerr-core) as well.
#[allow(dead_code, unreachable_pub)]
mod severity;
mod sync;

module! {
    type: HwerrModule,
    name: "hwerr",
    authors: ["The hasys authors"],
    description: "hasys hardware-error layer",
    license: "GPL",
    params: {
        log_records: u32 {
            default: 4096,
            description: "records the log keeps (16-1048576; 256 bytes each)",
        },
        storm_window_ms: u32 {
            default: 1000,
            description: "storm coalescing window in ms (0: off); also /sys/kernel/ha/hwerr/storm/",
        },
        storm_burst: u32 {
            default: 2,
            description: "identical errors logged one by one per window before they are folded",
        },
        storm_rate: u32 {
            default: 1000,
            description: "records per source per window before the rest is folded (0: no bound)",
        },
    },
}

/// Declarations of hwerr's own C shim (`sysfs_tree.h`), not exported to other modules.
mod shim {
    use kernel::prelude::*;

    extern "C" {
        /// See `hasys_sysfs_init()` in `sysfs_tree.h`.
        pub(super) fn hasys_sysfs_init() -> c_int;
        /// See `hasys_sysfs_exit()` in `sysfs_tree.h`.
        pub(super) fn hasys_sysfs_exit();
    }
}

/// The `/sys/kernel/ha/` directory; removed on drop.
///
/// # Invariants
///
/// `hasys_sysfs_init()` succeeded and `hasys_sysfs_exit()` has not run yet. There is
/// only ever one: it is created once, in module init.
struct SysfsTree(());

impl SysfsTree {
    /// Creates `/sys/kernel/ha/`.
    ///
    /// Context: module init.
    fn new() -> Result<Self> {
        // SAFETY: Called once, from module init, before anything else uses the tree.
        kernel::error::to_result(unsafe { shim::hasys_sysfs_init() })?;
        // INVARIANT: `hasys_sysfs_init()` succeeded.
        Ok(Self(()))
    }
}

impl Drop for SysfsTree {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the tree exists. It is dropped after this
        // module's own component (field order of `HwerrModule`), and other modules'
        // components are gone because they depend on hwerr and are unloaded first.
        unsafe { shim::hasys_sysfs_exit() };
    }
}

/// hwerr's module state.
struct HwerrModule {
    // Fields drop in declaration order: no new opens of /dev/hwerr (none is open:
    // an open file pins the module), then our directory, the tree holding it, and
    // capture (sources unhooked, in-flight records drained) before the log goes.
    _dev: Pin<KBox<chardev::Device>>,
    #[cfg(CONFIG_HASYS_HWERR_INJECT)]
    _inject: inject::InjectFs,
    _component: api::Component,
    _tree: SysfsTree,
    _capture: capture::Capture,
    _handoff: handoff::Unload,
}

impl kernel::Module for HwerrModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let records = *module_parameters::log_records.value();
        let storms = coalesce::Config {
            window_ns: u64::from(*module_parameters::storm_window_ms.value()) * 1_000_000,
            burst: *module_parameters::storm_burst.value(),
            rate: *module_parameters::storm_rate.value(),
        };
        let log = Arc::pin_init(log::Log::with_storms(records as usize, storms)?, GFP_KERNEL)?;
        // The log a kexec handoff carried, before anything new is logged.
        handoff::restore(&log);
        let capture = capture::Capture::start(log.clone())?;
        let tree = SysfsTree::new()?;
        let component = api::Component::with_groups(c"hwerr", &capture::sysfs_groups())?;
        let dev = KBox::pin_init(chardev::Device::new(log), GFP_KERNEL)?;
        #[cfg(CONFIG_HASYS_HWERR_INJECT)]
        let inject = inject::InjectFs::new()?;
        pr_info!(
            "hasys {} loaded: /dev/hwerr, {} records\n",
            api::VERSION,
            records
        );
        Ok(Self {
            _dev: dev,
            #[cfg(CONFIG_HASYS_HWERR_INJECT)]
            _inject: inject,
            _component: component,
            _tree: tree,
            _capture: capture,
            _handoff: handoff::Unload,
        })
    }
}

#[cfg(CONFIG_HASYS_KUNIT_TEST)]
#[kunit_tests(hasys_component)]
mod tests {
    use super::api::Component;
    use kernel::prelude::*;

    #[test]
    fn bad_names_are_einval() {
        for name in [
            c"",
            c"a/b",
            c"/",
            c".",
            c"..",
            c"name_that_is_33_bytes_long_xxxxxx",
        ] {
            assert_eq!(Component::new(name).err(), Some(EINVAL));
        }
    }

    #[test]
    fn longest_name_is_accepted() {
        assert!(Component::new(c"name_that_is_32_bytes_long_xxxxx").is_ok());
    }

    #[test]
    fn duplicate_is_eexist_until_dropped() -> Result {
        let first = Component::new(c"kunit_dup")?;
        assert_eq!(Component::new(c"kunit_dup").err(), Some(EEXIST));
        drop(first);
        Component::new(c"kunit_dup")?;
        Ok(())
    }

    #[test]
    fn own_directory_exists() {
        // KUnit runs a module's suites once its init has returned.
        assert_eq!(Component::new(c"hwerr").err(), Some(EEXIST));
    }
}
