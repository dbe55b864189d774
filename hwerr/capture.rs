// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! The Rust side of capture: starting and stopping the C half (`percpu_capture.c`,
//! `sources.c`) and the two calls it makes into Rust.

use crate::abi::{self, Record, Stats, SRC_SLOTS};
use crate::log::Log;
use kernel::{bindings, prelude::*, sync::Arc};

mod ffi {
    use kernel::{bindings, prelude::*};

    extern "C" {
        pub(super) fn hwerr_capture_init(log: *const c_void) -> c_int;
        pub(super) fn hwerr_capture_exit();
        pub(super) fn hwerr_capture_stats(captured: *mut u64, dropped: *mut u64);
        pub(super) fn hwerr_sources_init() -> c_int;
        pub(super) fn hwerr_sources_exit();
        pub(super) fn hwerr_inject_init();
        pub(super) fn hwerr_inject_exit();
        pub(super) fn hwerr_sysfs_groups() -> *mut *const bindings::attribute_group;
    }
}

/// Capture running into a log: per-CPU slots allocated, every source hooked.
///
/// # Invariants
///
/// `hwerr_capture_init()` and `hwerr_sources_init()` succeeded with `log`, and
/// neither exit function has run. There is at most one (module init makes it).
pub(crate) struct Capture {
    log: Arc<Log>,
}

impl Capture {
    /// Starts capture into `log`.
    ///
    /// Context: module init, may sleep.
    pub(crate) fn start(log: Arc<Log>) -> Result<Self> {
        // SAFETY: `log` outlives capture: `Self` holds a reference and `drop` stops
        // capture before releasing it.
        kernel::error::to_result(unsafe { ffi::hwerr_capture_init(Arc::as_ptr(&log).cast()) })?;
        // SAFETY: Capture is initialised; called once.
        if let Err(e) = kernel::error::to_result(unsafe { ffi::hwerr_sources_init() }) {
            // SAFETY: `hwerr_capture_init()` succeeded and no source is hooked.
            unsafe { ffi::hwerr_capture_exit() };
            return Err(e);
        }
        // SAFETY: Capture is running; the debugfs files only report into it.
        unsafe { ffi::hwerr_inject_init() };
        // INVARIANT: both init functions succeeded.
        Ok(Self { log })
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        // SAFETY: By the type invariant capture is running: unhook the test
        // interface and the sources first, then drain and free.
        unsafe {
            ffi::hwerr_inject_exit();
            ffi::hwerr_sources_exit();
            ffi::hwerr_capture_exit();
        }
        // `self.log` is released after this: the drain has delivered everything.
        let _ = &self.log;
    }
}

/// The attribute groups of `/sys/kernel/ha/hwerr/` (one per source).
pub(crate) fn sysfs_groups() -> *mut *const bindings::attribute_group {
    // SAFETY: Returns a pointer to a static, NULL-terminated array.
    unsafe { ffi::hwerr_sysfs_groups() }
}

/// Fills the per-source counters of `HWERR_IOC_GET_STATS`.
pub(crate) fn stats(st: &mut Stats) {
    let mut captured = [0u64; SRC_SLOTS];
    let mut dropped = [0u64; SRC_SLOTS];
    // SAFETY: Both arrays have the `HWERR_SRC_SLOTS` entries the C side writes.
    unsafe { ffi::hwerr_capture_stats(captured.as_mut_ptr(), dropped.as_mut_ptr()) };
    for (s, (c, d)) in st
        .source
        .iter_mut()
        .zip(captured.iter().zip(dropped.iter()))
    {
        s.captured = *c;
        s.dropped = *d;
    }
}

/// Appends a drained record to the log. See `percpu_capture.h`.
///
/// # Safety
///
/// `log` is the pointer given to `hwerr_capture_init()` while capture runs, and `rec`
/// points to a valid `struct hwerr_record`.
///
/// Context: process context (the drain work).
#[no_mangle]
unsafe extern "C" fn hwerr_log_append(log: *const c_void, rec: *const Record) {
    // SAFETY: By the safety requirements `log` is the live `Log` that `Capture` holds
    // and `rec` is a valid record; the C and Rust layouts agree (tools/hwerr-abi test).
    let (log, rec) = unsafe { (&*log.cast::<Log>(), &*rec) };
    log.append(rec);
}

/// Decodes a CPER section into a GHES record. See `percpu_capture.h`.
///
/// # Safety
///
/// `rec` points to a record being filled, `section_type` to 16 readable bytes and
/// `data` to `len` readable bytes (or is null with `len` 0).
///
/// Context: any, including NMI; no locks, no allocation.
#[no_mangle]
unsafe extern "C" fn hwerr_cper_decode(
    rec: *mut Record,
    section_type: *const u8,
    data: *const u8,
    len: usize,
) {
    // SAFETY: By the safety requirements all three are valid for these lengths.
    let (rec, guid, body) = unsafe {
        (
            &mut *rec,
            &*section_type.cast::<[u8; 16]>(),
            if data.is_null() {
                &[][..]
            } else {
                core::slice::from_raw_parts(data, len)
            },
        )
    };
    crate::cper::decode(&mut rec.payload, guid, body);
}

const _: () = assert!(core::mem::size_of::<Record>() == abi::RECORD_SIZE);
