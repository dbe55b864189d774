// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! Rust view of `include/hasys/hwerr.h`, the in-kernel API that `hwerr.ko` exports.
//!
//! Rust items cannot cross module boundaries, so hwerr's API is C ABI. Every hasys
//! module (hwerr included) pulls this file in with `#[path]`, which gives it the
//! `extern "C"` declarations and the safe wrappers around them. The declarations are
//! written by hand from the header, as binder does for its C half; keep them in step.

use core::ptr::NonNull;
use kernel::{
    bindings,
    error::from_err_ptr,
    prelude::*, //
};

/// The hasys release these modules were built from (the tree's `VERSION` file).
pub(crate) const VERSION: &CStr = kernel::c_str!(env!("HASYS_VERSION"));

mod ffi {
    use kernel::{
        bindings,
        prelude::*, //
    };

    extern "C" {
        /// See `hasys_component_add()` in `include/hasys/hwerr.h`.
        pub(super) fn hasys_component_add(
            name: *const c_char,
            version: *const c_char,
            groups: *mut *const bindings::attribute_group,
        ) -> *mut bindings::kobject;

        /// See `hasys_component_del()` in `include/hasys/hwerr.h`.
        pub(super) fn hasys_component_del(kobj: *mut bindings::kobject);
    }
}

/// A component's directory, `/sys/kernel/ha/<name>/`, with a read-only `version` file.
///
/// The directory goes away when this is dropped.
///
/// # Invariants
///
/// `self.0` was returned by a successful `hasys_component_add()` and has not been
/// passed to `hasys_component_del()` yet.
pub(crate) struct Component(NonNull<bindings::kobject>);

impl Component {
    /// Creates `/sys/kernel/ha/<name>/`.
    ///
    /// Fails with `EINVAL` for a bad name (empty, containing `/`, `.`, `..` or longer
    /// than 32 bytes), `EEXIST` if the name is taken and `ENOMEM`.
    ///
    /// Context: process context, may sleep.
    pub(crate) fn new(name: &CStr) -> Result<Self> {
        // No extra groups.
        Self::with_groups(name, core::ptr::null_mut())
    }

    /// Like [`Component::new`], with extra attribute groups.
    ///
    /// `groups` is null or a NULL-terminated array of groups that are `'static` in the
    /// calling module (the directory, and so every callback, is gone after `drop`).
    ///
    /// Context: process context, may sleep.
    #[allow(dead_code)] // Only modules with their own attributes use this.
    pub(crate) fn with_groups(
        name: &CStr,
        groups: *mut *const bindings::attribute_group,
    ) -> Result<Self> {
        // SAFETY: `name` is a NUL-terminated string, which `kobject_add()` copies.
        // `VERSION` is a `'static` string of this module, and the directory is removed
        // in `Drop`, before this module's memory can go away. `groups` is null or
        // static, as documented above.
        let kobj =
            unsafe { ffi::hasys_component_add(name.as_char_ptr(), VERSION.as_char_ptr(), groups) };
        let kobj = from_err_ptr(kobj)?;
        // INVARIANT: `hasys_component_add()` succeeded, so `kobj` is a live directory.
        Ok(Self(NonNull::new(kobj).ok_or(ENOMEM)?))
    }
}

impl Drop for Component {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the directory exists and was not deleted yet;
        // `self` is going away, so it is deleted exactly once.
        unsafe { ffi::hasys_component_del(self.0.as_ptr()) };
    }
}

// SAFETY: A sysfs directory may be created and removed from any thread; `Component`
// holds no thread-affine state.
unsafe impl Send for Component {}

// SAFETY: `Component` has no `&self` methods that touch the kobject.
unsafe impl Sync for Component {}
