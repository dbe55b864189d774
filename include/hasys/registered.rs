// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! A C registration held by a Rust module: `start` at creation, `stop` on drop. For
//! the small C halves of hasys modules (workqueues, notifiers, misc devices), whose
//! start and stop functions take no argument. A module includes this file with
//! `#[path = "../include/hasys/registered.rs"] mod registered;`.

use kernel::prelude::*;

/// A C registration (`start` returned 0) undone by `stop` on drop.
pub(crate) struct Registered(unsafe extern "C" fn());

impl Registered {
    /// Calls `start`; on success, `stop` runs on drop.
    ///
    /// # Safety
    ///
    /// `start` may be called in process context; `stop` undoes a successful `start`,
    /// and may be called in process context once, whenever this is dropped.
    pub(crate) unsafe fn new(
        start: unsafe extern "C" fn() -> c_int,
        stop: unsafe extern "C" fn(),
    ) -> Result<Self> {
        // SAFETY: By the safety requirements.
        kernel::error::to_result(unsafe { start() })?;
        Ok(Self(stop))
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        // SAFETY: `new`'s `start` succeeded; this is the only `stop`.
        unsafe { (self.0)() };
    }
}
