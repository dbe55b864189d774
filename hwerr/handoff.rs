// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! hwerr's log across a planned kexec handoff (issue 12;
//! Documentation/hasys/kexec_handoff.rst, "What is kept").
//!
//! The log is hwerr's state, so hwerr hands it over itself, in a KHO blob of its own
//! (`include/hasys/kho_blob.rs`, owner `Hwerr`, one record per item), in the KHO
//! subtree `hasys-hwerr`. `kexec_handoff.ko` drives it through hwerr's exports
//! (`kho.c`): `hwerr_handoff_preserve()` at `prepare`, `hwerr_handoff_seal()` from
//! its reboot notifier on the kexec path, `hwerr_handoff_release()` at `abort`.
//!
//! The new kernel's hwerr restores the log at load, before capture starts
//! ([`restore`]): the records come back with their sequence numbers and the log
//! continues the numbering; each carries one more handoff in its header's `boot`.
//! A blob that fails validation, or holds one record that does, is refused whole:
//! nothing is restored, and the reason is logged. The blob's memory is given back
//! either way.

use crate::abi::{self, Lost, Record};
use crate::log::Log;
use crate::ring;
use crate::{kho, kho_blob};
#[cfg(CONFIG_HASYS_HWERR_INJECT)]
use kernel::sync::atomic::Relaxed;
use kernel::{bindings, prelude::*};
use zerocopy::{FromBytes, IntoBytes};

/// The KHO subtree of the log's blob.
const NAME: &CStr = c"hasys-hwerr";

/// The largest blob KHO allocates in one piece (`MAX_PAGE_ORDER` on x86: 4 MiB).
const BLOB_MAX: usize = 4 << 20;

/// Refusal codes above `kho_blob::Invalid`'s (1 to `Invalid::NR`), for `refused`.
const REFUSED_ITEM_SIZE: u32 = 100;
/// A record's header is not one this hwerr writes (size, version, source, severity).
const REFUSED_RECORD: u32 = 101;
/// The records' sequence numbers are not consecutive from a plausible first one.
const REFUSED_SEQ: u32 = 102;
/// The log did not take them.
const REFUSED_LOG: u32 = 103;

/// Test kernels only (`debugfs hwerr/handoff_corrupt`, `inject.rs`): the next seal
/// corrupts the blob it sealed, so that a test sees the next kernel refuse it.
#[cfg(CONFIG_HASYS_HWERR_INJECT)]
pub(crate) static CORRUPT_AT_SEAL: kernel::sync::atomic::Atomic<bool> =
    kernel::sync::atomic::Atomic::new(false);

/// Test kernels only (`debugfs hwerr/handoff_late`, `inject.rs`): software records
/// the next seal reports right after it froze the log, as records that arrive between
/// the seal and the kexec do, so that a test sees them counted in the next kernel.
#[cfg(CONFIG_HASYS_HWERR_INJECT)]
pub(crate) static LATE_AT_SEAL: kernel::sync::atomic::Atomic<u32> =
    kernel::sync::atomic::Atomic::new(0);

/// A byte of the blob header's `sealed_ns` (`kho_blob.rs`'s layout).
#[cfg(CONFIG_HASYS_HWERR_INJECT)]
const SEALED_NS_OFF: usize = 32;

/// Sequence numbers at or above this are refused: the log could not count on.
const SEQ_LIMIT: u64 = 1 << 62;

/// `struct hwerr_handoff_restored` (`include/hasys/hwerr.h`).
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Restored {
    handoffs: u32,
    carried: u32,
    lost: u32,
    refused: u32,
    first_seq: u64,
    last_seq: u64,
    sealed_ns: u64,
}

mod ffi {
    use super::Restored;

    extern "C" {
        /// See `hwerr_handoff_note()` in `percpu_capture.h`.
        pub(super) fn hwerr_handoff_note(r: *const Restored);
        /// See `hwerr_handoff_release()` in `include/hasys/hwerr.h`.
        pub(super) fn hwerr_handoff_release();
    }
}

/// At unload, a log still preserved (a handoff neither sealed nor released) is
/// released: nothing is left preserved for a kexec that no module would seal.
pub(crate) struct Unload;

impl Drop for Unload {
    fn drop(&mut self) {
        // SAFETY: Process context (module exit).
        unsafe { ffi::hwerr_handoff_release() };
    }
}

/// Records the log's blob has room for: the log's capacity, at most what
/// [`BLOB_MAX`] holds, and no more than fit the power-of-two pages the blob is
/// allocated in (a full default log of 4096 records carries 4095 in 1 MiB rather
/// than asking for 2 MiB of contiguous memory; the one left is counted lost).
fn blob_records(log: &Log) -> usize {
    let max = (BLOB_MAX - kho_blob::HEADER_SIZE) / abi::RECORD_SIZE;
    let n = usize::try_from(log.capacity()).map_or(max, |c| c.min(max));
    let alloc = (n * abi::RECORD_SIZE).next_power_of_two().max(4096);
    n.min((alloc - kho_blob::HEADER_SIZE) / abi::RECORD_SIZE)
}

/// See `hwerr_handoff_blob_size_rs()` in `percpu_capture.h`.
///
/// # Safety
///
/// `log` is `hwerr_capture_log()`, non-null.
#[no_mangle]
unsafe extern "C" fn hwerr_handoff_blob_size_rs(log: *const c_void) -> usize {
    // SAFETY: By the safety requirements, a live log.
    let log = unsafe { &*log.cast::<Log>() };
    kho_blob::size_for(abi::RECORD_SIZE, blob_records(log)).unwrap_or(BLOB_MAX)
}

/// See `hwerr_handoff_seal_rs()` in `percpu_capture.h`. Context: process.
///
/// # Safety
///
/// `log` is `hwerr_capture_log()`, non-null; `blob` is writable for `size` bytes and
/// nothing else touches it during the call; `boot_id` points to 16 readable bytes.
#[no_mangle]
unsafe extern "C" fn hwerr_handoff_seal_rs(
    log: *const c_void,
    blob: *mut u8,
    size: usize,
    handoffs: u32,
    boot_id: *const u8,
) -> c_int {
    // SAFETY: By the safety requirements.
    let (log, buf, boot_id) = unsafe {
        (
            &*log.cast::<Log>(),
            core::slice::from_raw_parts_mut(blob, size),
            *boot_id.cast::<[u8; kho_blob::BOOT_ID_LEN]>(),
        )
    };
    crate::capture::flush(log);
    let Ok(mut w) = kho_blob::Writer::new(buf, kho_blob::Owner::Hwerr, abi::RECORD_SIZE) else {
        return EINVAL.to_errno();
    };
    let room = w.capacity();
    // The newest that fit, oldest first: the blob's items are consecutive. From
    // here the log takes nothing more, so no sequence number is given twice.
    let (_, held) = log.seal(room, |rec| {
        // Room for `room` records: cannot fail.
        let _ = w.push(rec.as_bytes());
    });
    // Identical records: past the storm burst (2 by default) they fold into a
    // summary, which only the last moment's flush offers to the frozen log.
    #[cfg(CONFIG_HASYS_HWERR_INJECT)]
    for _ in 0..LATE_AT_SEAL.xchg(0, Relaxed) {
        let data = [0u64; 4];
        // SAFETY: Every pointer is valid for the call. The frozen log refuses the
        // record and counts it late, which is what is tested; forced, so that it does
        // not depend on the software source being enabled.
        let _ = unsafe {
            crate::capture::hwerr_report_flags(
                crate::capture::REPORT_FORCE,
                c"hwerr-inject".as_char_ptr(),
                abi::SEV_INFO,
                0x1a7e,
                data.as_ptr(),
                c"after the seal".as_char_ptr(),
            )
        };
    }
    let carried = w.count();
    // The log's older records that did not fit.
    let lost = held.saturating_sub(carried as u64);
    w.seal(&kho_blob::Meta {
        handoffs,
        lost: u32::try_from(lost).unwrap_or(u32::MAX),
        sealed_ns: crate::log::now().1,
        boot_id,
    });
    #[cfg(CONFIG_HASYS_HWERR_INJECT)]
    if CORRUPT_AT_SEAL.load(Relaxed) {
        // SAFETY: As above; the writer that borrowed the blob is gone.
        let buf = unsafe { core::slice::from_raw_parts_mut(blob, size) };
        // The seal time: checksummed, so the next kernel refuses it (`bad-crc`).
        if let Some(b) = buf.get_mut(SEALED_NS_OFF) {
            *b ^= 0xff;
        }
    }
    c_int::try_from(carried).unwrap_or(c_int::MAX)
}

/// See `hwerr_handoff_late_rs()` in `percpu_capture.h`.
///
/// Context: any, IRQs off included (kmsg_dump at the kexec's last moment): never
/// sleeps, and the log's lock is only tried.
///
/// # Safety
///
/// `log` is `hwerr_capture_log()`, non-null; `blob` is the blob
/// `hwerr_handoff_seal_rs()` sealed, writable for `size` bytes, and nothing else
/// touches it during the call.
#[no_mangle]
unsafe extern "C" fn hwerr_handoff_late_rs(
    log: *const c_void,
    blob: *mut u8,
    size: usize,
) -> c_int {
    // SAFETY: By the safety requirements.
    let (log, buf) = unsafe {
        (
            &*log.cast::<Log>(),
            core::slice::from_raw_parts_mut(blob, size),
        )
    };
    let Some(late) = log.try_late() else {
        return EBUSY.to_errno();
    };
    // Captures dropped whose lost record was never logged. Captures an NMI queued
    // whose irq_work has not run are not counted (Documentation/hasys/kexec_handoff.rst).
    let late = late.saturating_add(crate::capture::take_unreported());
    if late == 0 {
        return 0;
    }
    let late = u32::try_from(late).unwrap_or(u32::MAX);
    match kho_blob::add_lost(buf, kho_blob::Owner::Hwerr, late) {
        Ok(lost) => c_int::try_from(lost).unwrap_or(c_int::MAX),
        Err(_) => EINVAL.to_errno(),
    }
}

/// Why a record handed over is not one this hwerr could have logged.
fn record_ok(rec: &Record) -> bool {
    usize::from(rec.hdr.size) == abi::RECORD_SIZE
        && u32::from(rec.hdr.version) == abi::ABI_VERSION
        && rec.hdr.source != abi::SRC_NONE
        && rec.hdr.source < abi::SRC_NR
        && rec.hdr.severity < abi::SEV_NR
        && usize::from(rec.hdr.severity) < ring::SEV_SLOTS
}

/// Checks every record of `blob`: `Ok((first_seq, last_seq))` when all are records
/// this hwerr could log, numbered consecutively; else the refusal code.
fn check_records(blob: &kho_blob::Blob<'_>) -> Result<(u64, u64), u32> {
    if blob.item_size() != abi::RECORD_SIZE {
        return Err(REFUSED_ITEM_SIZE);
    }
    let mut first = 0;
    let mut expect = 0u64;
    for item in blob.items() {
        let rec = Record::read_from_bytes(item).map_err(|_| REFUSED_ITEM_SIZE)?;
        if !record_ok(&rec) {
            return Err(REFUSED_RECORD);
        }
        if expect == 0 {
            if rec.hdr.seq == 0 {
                return Err(REFUSED_SEQ);
            }
            first = rec.hdr.seq;
        } else if rec.hdr.seq != expect {
            return Err(REFUSED_SEQ);
        }
        if rec.hdr.seq >= SEQ_LIMIT {
            return Err(REFUSED_SEQ);
        }
        expect = rec.hdr.seq + 1;
    }
    Ok((first, expect.saturating_sub(1)))
}

/// Restores the log a handoff carried, if this kernel was started by one that
/// carried it, into `log`, which nothing was appended to yet; gives the blob's
/// memory back either way. Logs what it did.
///
/// Context: module init, before capture starts (nothing else uses the log yet).
pub(crate) fn restore(log: &Log) {
    let found = match kho::Found::find(NAME) {
        Ok(Some(f)) => f,
        Ok(None) => return,
        Err(e) => {
            pr_err!(
                "handoff: the log's KHO subtree is broken ({:?}): nothing restored\n",
                e
            );
            return;
        }
    };
    let mut r = Restored::default();
    match kho_blob::parse(found.as_slice(), kho_blob::Owner::Hwerr) {
        Err(inv) => {
            r.refused = inv.code();
            pr_err!(
                "handoff: the log handed over is refused ({}): nothing restored\n",
                inv.name()
            );
        }
        Ok(blob) => {
            let meta = blob.meta();
            (r.handoffs, r.lost, r.sealed_ns) = (meta.handoffs, meta.lost, meta.sealed_ns);
            match check_records(&blob) {
                Err(code) => {
                    r.refused = code;
                    pr_err!(
                        "handoff: a record of the log handed over is refused ({}): nothing restored\n",
                        code
                    );
                }
                Ok((first, last)) => restore_records(log, &blob, first, last, &mut r),
            }
        }
    }
    // SAFETY: `r` is valid for the call, which copies it; module init, once.
    unsafe { ffi::hwerr_handoff_note(&r) };
}

/// Appends the checked records of `blob` (`first..=last`) to `log`, each with one
/// more handoff in its `boot`, then one `SRC_LOST` record for what the old kernel
/// could not carry. Context: module init.
fn restore_records(log: &Log, blob: &kho_blob::Blob<'_>, first: u64, last: u64, r: &mut Restored) {
    // Checked by `check_records`: every item reads as a record.
    let handed = blob.items().filter_map(|item| {
        let mut rec = Record::read_from_bytes(item).ok()?;
        rec.hdr.boot = rec.hdr.boot.saturating_add(1);
        Some(rec)
    });
    // An empty blob restores nothing but still counts the handoff.
    if blob.count() != 0 {
        if let Err(e) = log.restore(first, handed) {
            r.refused = REFUSED_LOG;
            pr_err!(
                "handoff: the log refused the records handed over ({:?})\n",
                e
            );
            return;
        }
    }
    r.carried = u32::try_from(blob.count()).unwrap_or(u32::MAX);
    (r.first_seq, r.last_seq) = (first, last);
    if r.lost != 0 {
        let lost = Lost {
            reason: abi::LOST_HANDOFF,
            total: u64::from(r.lost),
            ..Lost::default()
        };
        let mut rec = ring::lost_record(&lost, 0, 0, crate::log::now());
        // SAFETY: Reading the CPU number is always allowed.
        rec.hdr.cpu = unsafe { bindings::raw_smp_processor_id() } as u32;
        // A LOST record has a valid source and severity.
        let _ = log.append(&rec, false);
    }
    pr_info!(
        "handoff: restored {} records ({}..={}) of the log, {} handoffs, {} lost\n",
        r.carried,
        first,
        last,
        r.handoffs,
        r.lost
    );
}
