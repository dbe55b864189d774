// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! The Rust side of capture: starting and stopping the C half (`percpu_capture.c`,
//! `sources.c`) and the two calls it makes into Rust.

use crate::abi::{self, Record, Stats, SRC_SLOTS};
use crate::log::Log;
use kernel::{prelude::*, sync::Arc};

mod ffi {
    use kernel::{bindings, prelude::*};

    extern "C" {
        pub(super) fn hwerr_capture_init(log: *const c_void) -> c_int;
        pub(super) fn hwerr_capture_exit();
        pub(super) fn hwerr_capture_stats(captured: *mut u64, dropped: *mut u64);
        pub(super) fn hwerr_sources_init() -> c_int;
        pub(super) fn hwerr_sources_exit();
        pub(super) fn hwerr_sysfs_groups() -> *mut *const bindings::attribute_group;
    }
}

/// Capture running into a log: per-CPU slots allocated, every source hooked.
///
/// # Invariants
///
/// `hwerr_capture_init()` and `hwerr_sources_init()` succeeded with `log`, and
/// neither exit function has run. There is at most one: `hwerr_capture_init()`
/// fails with `EBUSY` while capture runs.
pub(crate) struct Capture {
    log: Arc<Log>,
}

impl Capture {
    /// Starts capture into `log`.
    ///
    /// Fails with `EBUSY` if capture is already running (it exists once), `EINVAL`
    /// for a bad `capture_slots`, `ENOMEM`, or an error hooking a source.
    ///
    /// Context: process context, may sleep.
    pub(crate) fn start(log: Arc<Log>) -> Result<Self> {
        // SAFETY: `log` outlives capture: `Self` holds a reference and `drop` stops
        // capture before releasing it. A second start fails with `EBUSY` and touches
        // nothing, so any caller is sound.
        kernel::error::to_result(unsafe { ffi::hwerr_capture_init(Arc::as_ptr(&log).cast()) })?;
        // SAFETY: This call started capture, so the sources are not hooked yet.
        if let Err(e) = kernel::error::to_result(unsafe { ffi::hwerr_sources_init() }) {
            // SAFETY: `hwerr_capture_init()` succeeded and no source is hooked.
            unsafe { ffi::hwerr_capture_exit() };
            return Err(e);
        }
        // INVARIANT: both init functions succeeded.
        Ok(Self { log })
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        // SAFETY: By the type invariant capture is running: unhook the sources
        // first, then drain and free.
        unsafe {
            ffi::hwerr_sources_exit();
            ffi::hwerr_capture_exit();
        }
        // `self.log` is released after this: the drain has delivered everything.
        let _ = &self.log;
    }
}

/// The attribute groups of `/sys/kernel/ha/hwerr/` (one per source, and `storm`).
pub(crate) fn sysfs_groups() -> crate::api::AttributeGroups {
    // SAFETY: `hwerr_sysfs_groups()` returns a static, NULL-terminated array that is
    // never written; its callbacks read static counters, or check that capture runs
    // before they touch the log.
    unsafe { crate::api::AttributeGroups::from_raw(ffi::hwerr_sysfs_groups()) }
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

/// See `hwerr_grade_mce()` in `percpu_capture.h`.
///
/// # Safety
///
/// `flags` points to a writable `u16`.
#[no_mangle]
unsafe extern "C" fn hwerr_grade_mce(
    vendor: u8,
    status: u64,
    kernel_sev: u8,
    flags: *mut u16,
) -> u8 {
    let (sev, f) = crate::severity::mce(vendor, status, kernel_sev);
    // SAFETY: By the safety requirements.
    unsafe { *flags |= f };
    sev
}

/// See `percpu_capture.h`.
#[no_mangle]
extern "C" fn hwerr_grade_ghes(sev: u32) -> u8 {
    crate::severity::ghes(sev)
}

/// See `percpu_capture.h`.
#[no_mangle]
extern "C" fn hwerr_grade_edac(err_type: u32) -> u8 {
    crate::severity::edac(err_type)
}

/// See `percpu_capture.h`.
#[no_mangle]
extern "C" fn hwerr_grade_aer(aer_severity: u32) -> u8 {
    crate::severity::aer(aer_severity)
}

/// See `percpu_capture.h`.
#[no_mangle]
extern "C" fn hwerr_grade_mf(result: u32) -> u8 {
    crate::severity::memory_failure(result)
}

const _: () = assert!(core::mem::size_of::<Record>() == abi::RECORD_SIZE);
