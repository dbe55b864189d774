// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! hwerr: the hasys hardware-error layer.
//!
//! hwerr is the module every other hasys module depends on. It owns the sysfs tree
//! `/sys/kernel/ha/` and exports, through the C-ABI API in `include/hasys/hwerr.h`,
//! the call the other modules use to hang their own directory from it.
//!
//! The error record stream (`/dev/hwerr`) and its capture paths build on this; see
//! `Documentation/hasys/hwerr.rst`.

use kernel::prelude::*;

#[path = "../include/hasys/hwerr.rs"]
mod api;

module! {
    type: HwerrModule,
    name: "hwerr",
    authors: ["The hasys authors"],
    description: "hasys hardware-error layer",
    license: "GPL",
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
    // Fields drop in declaration order: our directory first, then the tree holding it.
    _component: api::Component,
    _tree: SysfsTree,
}

impl kernel::Module for HwerrModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let tree = SysfsTree::new()?;
        let component = api::Component::new(c"hwerr")?;
        pr_info!("hasys {} loaded\n", api::VERSION);
        Ok(Self {
            _component: component,
            _tree: tree,
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
