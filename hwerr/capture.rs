// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! Capture: from any context (NMI and #MC included) into the log.
//!
//! A capture takes a preallocated slot from this CPU's pool by atomically setting its
//! bit in the pool's `busy` word (a nested NMI on the same CPU simply takes another
//! slot) and fills it. At commit:
//!
//! - outside NMI, the record goes straight into the log ([`Log::append`], an IRQ-safe
//!   spinlock), which wakes readers and consumers at once, and the slot is free again
//!   before [`hwerr_capture_commit`] returns: no work item or irq_work stands between
//!   a hardware error and an agent's `poll()`;
//! - in NMI (and #MC), where no lock may be taken, the slot goes on a lock-free llist
//!   and an irq_work appends the batch right after the NMI returns, with one wake-up.
//!   It is a plain irq_work, not `IRQ_WORK_HARD_IRQ`: the log's lock and the wait
//!   queue's are `spinlock_t`, which a hard irq_work may not take (lockdep: "Invalid
//!   wait context"); on !PREEMPT_RT a plain irq_work runs in hard-IRQ context all the
//!   same.
//!
//! When a CPU's slots are all in flight (NMIs nested deeper than `capture_slots`, or an
//! NMI storm faster than the irq_work) the record is dropped and counted; the next
//! append logs one `SRC_LOST` record with the per-source counts, so a reader learns
//! what it missed in-band and in order. For an enabled source, `captured + dropped` is
//! every capture; a disabled source counts what it `ignored`.
//!
//! Everything here that runs at capture time is allocation-free and panic-free (no
//! indexing that can fail, wrapping counters): it runs in NMI. The per-CPU memory,
//! preemption, `in_nmi()`, the llist and the irq_work are C macros or inlines, so
//! `percpu_capture.c` wraps them (and keeps the sysfs tables and the exports).

use crate::abi::{self, Record, Software, Stats, SRC_SLOTS};
use crate::log::{Appended, Log};
use core::ptr;
use kernel::{
    bindings,
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Relaxed, Release},
        Arc,
    },
};
use zerocopy::FromBytes;

mod ffi {
    use kernel::{bindings, prelude::*};

    extern "C" {
        // percpu_capture.c: the C-only pieces of capture.
        pub(super) fn hwerr_capture_slots() -> c_uint;
        pub(super) fn hwerr_pcpu_alloc(size: usize, align: usize) -> *mut c_void;
        pub(super) fn hwerr_pcpu_free(pcpu: *mut c_void);
        pub(super) fn hwerr_pcpu_this(pcpu: *mut c_void) -> *mut c_void;
        pub(super) fn hwerr_pcpu_cpu(pcpu: *mut c_void, cpu: c_uint) -> *mut c_void;
        pub(super) fn hwerr_preempt_off();
        pub(super) fn hwerr_preempt_on();
        pub(super) fn hwerr_in_nmi() -> bool;
        pub(super) fn hwerr_pending_push(node: *mut bindings::llist_node);
        pub(super) fn hwerr_pending_take() -> *mut bindings::llist_node;
        pub(super) fn hwerr_pending_peek() -> *mut bindings::llist_node;
        pub(super) fn hwerr_mce_read_banks(out: *mut crate::abi::Record, max: c_uint) -> c_uint;
        pub(super) fn hwerr_kick();
        pub(super) fn hwerr_kick_sync();
        pub(super) fn hwerr_storm_arm(delay_ns: u64);
        pub(super) fn hwerr_storm_cancel_sync();
        pub(super) fn hwerr_sources_init() -> c_int;
        pub(super) fn hwerr_sources_exit();
        pub(super) fn hwerr_sysfs_groups() -> *mut *const bindings::attribute_group;
    }
}

/// Slots one CPU may have (one bit each in [`Pool::busy`]).
const SLOTS_MAX: u32 = 64;

/// One capture slot (`struct hwerr_slot` in no C file: only Rust touches it).
#[repr(C)]
struct Slot {
    node: bindings::llist_node,
    cpu: u32,
    idx: u32,
    rec: Record,
}

/// One CPU's pool: the busy bits, then `capture_slots` slots.
#[repr(C)]
struct Pool {
    busy: Atomic<u64>,
    slots: [Slot; 0],
}

/// Counters, per source.
type Counters = [Atomic<u64>; SRC_SLOTS];

/// Capture's global state. Written by [`Capture::start`] and [`Capture`]'s `drop`
/// only, read by the capture paths.
struct Global {
    /// 0 stopped, 1 starting or stopping, 2 running.
    state: Atomic<i32>,
    /// The log (`Capture` holds the `Arc`), valid while `state` is 2.
    log: Atomic<*const Log>,
    /// The per-CPU pools (a `__percpu` pointer), valid while `state` is not 0.
    pools: Atomic<*mut c_void>,
    /// `capture_slots`, fixed at start.
    slots: Atomic<u32>,
    /// Bit `1 << source` per enabled source.
    enabled: Atomic<u32>,
    captured: Counters,
    dropped: Counters,
    ignored: Counters,
    coalesced: Counters,
    /// Dropped since the last `SRC_LOST` record; `unreported_any` says "some".
    unreported: Counters,
    unreported_any: Atomic<bool>,
    /// `CLOCK_BOOTTIME` of the last fatal hardware error captured, 0 if none.
    last_fatal_hw_ns: Atomic<u64>,
}

static G: Global = Global {
    state: Atomic::new(0),
    log: Atomic::new(ptr::null()),
    pools: Atomic::new(ptr::null_mut()),
    slots: Atomic::new(0),
    // Every source but none and lost.
    enabled: Atomic::new(((1u32 << abi::SRC_NR) - 1) & !(1 | 1 << abi::SRC_LOST)),
    captured: [const { Atomic::new(0) }; SRC_SLOTS],
    dropped: [const { Atomic::new(0) }; SRC_SLOTS],
    ignored: [const { Atomic::new(0) }; SRC_SLOTS],
    coalesced: [const { Atomic::new(0) }; SRC_SLOTS],
    unreported: [const { Atomic::new(0) }; SRC_SLOTS],
    unreported_any: Atomic::new(false),
    last_fatal_hw_ns: Atomic::new(0),
};

fn running() -> bool {
    G.state.load(Acquire) == 2
}

fn count(c: &Counters, src: u8) {
    if let Some(n) = c.get(usize::from(src)) {
        n.add(1, Relaxed);
    }
}

/// The log, if capture runs. Context: any.
fn log() -> Option<&'static Log> {
    let log = G.log.load(Acquire);
    if !running() || log.is_null() {
        return None;
    }
    // SAFETY: While capture runs the pointer is the `Log` that `Capture` holds an
    // `Arc` of; `Capture::drop` stops capture and waits for every capture path
    // before it lets go of the `Arc`.
    Some(unsafe { &*log })
}

fn count_drop(src: u8) {
    count(&G.dropped, src);
    count(&G.unreported, src);
    G.unreported_any.store(true, Release);
}

/// Takes a slot of this CPU and stamps its header. Context: any, preemption off.
///
/// # Safety
///
/// Preemption is off and capture runs (so `G.pools` is valid).
unsafe fn take_slot(source: u8, severity: u8) -> Option<*mut Slot> {
    let nslots = G.slots.load(Relaxed).min(SLOTS_MAX);
    // SAFETY: `pools` is a live per-CPU allocation and preemption is off.
    let pool = unsafe { ffi::hwerr_pcpu_this(G.pools.load(Relaxed)) }.cast::<Pool>();
    // SAFETY: `pool` is this CPU's pool.
    let busy = unsafe { &(*pool).busy };
    let mut cur = busy.load(Relaxed);
    let idx = loop {
        let free = !cur
            & if nslots >= 64 {
                u64::MAX
            } else {
                (1u64 << nslots) - 1
            };
        if free == 0 {
            return None;
        }
        let idx = free.trailing_zeros();
        match busy.cmpxchg(cur, cur | 1u64 << idx, Acquire) {
            Ok(_) => break idx,
            Err(now) => cur = now,
        }
    };
    // SAFETY: `idx < nslots`, and the pool holds `nslots` slots after `busy`.
    let slot = unsafe {
        ptr::addr_of_mut!((*pool).slots)
            .cast::<Slot>()
            .add(idx as usize)
    };
    // SAFETY: Preemption is off, so this is the CPU the pool belongs to.
    let cpu = unsafe { bindings::raw_smp_processor_id() };
    // SAFETY: The bit we set makes this slot ours until `free_slot`. The record is
    // zeroed and stamped in place: no 256-byte copy through the stack.
    unsafe {
        (*slot).cpu = cpu;
        (*slot).idx = idx;
        let rec = ptr::addr_of_mut!((*slot).rec);
        ptr::write_bytes(rec, 0, 1);
        let hdr = &mut (*rec).hdr;
        hdr.size = abi::RECORD_SIZE as u16;
        hdr.version = abi::ABI_VERSION as u8;
        hdr.source = source;
        hdr.severity = severity;
        hdr.cpu = cpu;
        hdr.count = 1;
        // The fast clocks may be read in any context, NMI included.
        hdr.boottime_ns = bindings::ktime_get_boot_fast_ns();
        hdr.realtime_ns = bindings::ktime_get_real_fast_ns();
    }
    Some(slot)
}

/// Frees a slot taken by [`take_slot`]. Context: any.
///
/// # Safety
///
/// `slot` was taken and not freed yet; capture's pools are live.
unsafe fn free_slot(slot: *mut Slot) {
    // SAFETY: By the safety requirements.
    let (cpu, idx) = unsafe { ((*slot).cpu, (*slot).idx) };
    // SAFETY: `cpu` is the CPU whose pool holds the slot.
    let pool = unsafe { ffi::hwerr_pcpu_cpu(G.pools.load(Relaxed), cpu) }.cast::<Pool>();
    // SAFETY: As above; `fetch_and` of the bit is what `clear_bit_unlock()` does.
    let busy = unsafe { &(*pool).busy };
    let mut cur = busy.load(Relaxed);
    while let Err(now) = busy.cmpxchg(cur, cur & !(1u64 << (idx % 64)), Release) {
        cur = now;
    }
}

/// Begins a capture; see `hwerr_capture_begin()` in `percpu_capture.h`. `force`:
/// even if the source is disabled (hwerr's own notices). Context: any.
fn begin(source: u8, severity: u8, force: bool) -> *mut Record {
    if source >= abi::SRC_NR || source == abi::SRC_LOST || severity >= abi::SEV_NR {
        return ptr::null_mut();
    }
    // Preemption goes off before the running check: `Capture::drop` clears the state
    // and then waits (`synchronize_rcu()`) for every preempt-off section, so a capture
    // that saw "running" has committed before the pools are freed.
    // SAFETY: Paired with `hwerr_preempt_on()` below or in `commit`.
    unsafe { ffi::hwerr_preempt_off() };
    if running() {
        if !force && G.enabled.load(Relaxed) & 1 << source == 0 {
            count(&G.ignored, source);
        } else {
            // SAFETY: Preemption is off and capture runs.
            match unsafe { take_slot(source, severity) } {
                // SAFETY: The slot is ours; preemption stays off until commit.
                Some(slot) => return unsafe { ptr::addr_of_mut!((*slot).rec) },
                None => {
                    count_drop(source);
                    // The irq_work logs the loss even if nothing else is in flight.
                    // SAFETY: Any context.
                    unsafe { ffi::hwerr_kick() };
                }
            }
        }
    }
    // SAFETY: Paired with the `hwerr_preempt_off()` above.
    unsafe { ffi::hwerr_preempt_on() };
    ptr::null_mut()
}

/// Takes the count of the captures dropped and not yet told in a lost record, as
/// [`report_lost`] does, without logging it: a handoff's last moment adds it to the
/// sealed blob's lost count. Context: any.
pub(crate) fn take_unreported() -> u64 {
    if !G.unreported_any.xchg(false, Acquire) {
        return 0;
    }
    G.unreported
        .iter()
        .fold(0u64, |a, n| a.saturating_add(n.xchg(0, Relaxed)))
}

/// Logs one `SRC_LOST` record for the captures dropped so far. Context: any but NMI.
fn report_lost(log: &Log) {
    if !G.unreported_any.xchg(false, Acquire) {
        return;
    }
    let mut counts = [0u64; SRC_SLOTS];
    for (c, n) in counts.iter_mut().zip(G.unreported.iter()) {
        *c = n.xchg(0, Relaxed);
    }
    log.append_lost(&counts);
}

/// Appends a slot's record (no wake-up unless `wake`) and frees the slot.
/// Context: any but NMI.
///
/// # Safety
///
/// `slot` was taken by [`take_slot`] and not freed; capture's pools are live.
unsafe fn deliver(log: &Log, slot: *mut Slot, wake: bool) {
    // SAFETY: The slot is ours until `free_slot`.
    let rec = unsafe { &(*slot).rec };
    let src = rec.hdr.source;
    match log.append(rec, wake) {
        // A handoff's seal froze the log, which counted it late (for the next
        // kernel's lost count): a dropped capture, but no lost record of its own.
        Err(e) if e == EROFS => count(&G.dropped, src),
        Err(_) => count_drop(src), // cannot happen: `begin` checked the source
        Ok(appended) => {
            count(&G.captured, src);
            if appended == Appended::Folded {
                count(&G.coalesced, src);
                // Its summary is logged when the window ends.
                // SAFETY: Any context but NMI.
                unsafe { ffi::hwerr_storm_arm(0) };
            }
        }
    }
    // SAFETY: By the safety requirements.
    unsafe { free_slot(slot) };
}

/// Commits a record from [`begin`]; `defer` takes the NMI path outside NMI too.
///
/// # Safety
///
/// `rec` came from `begin` in this context and was not committed yet.
unsafe fn commit(rec: *mut Record, defer: bool) {
    // SAFETY: `rec` is the `rec` field of a slot (`begin`).
    let slot = unsafe { kernel::container_of!(rec, Slot, rec) };
    // SAFETY: The record is ours until it is delivered.
    let h = unsafe { &(*rec).hdr };
    if h.severity == abi::SEV_FATAL
        && is_hardware_source(h.source)
        && h.flags & abi::F_PREVIOUS_BOOT == 0
    {
        G.last_fatal_hw_ns.store(h.boottime_ns.max(1), Relaxed);
    }
    // SAFETY: Any context.
    if defer || unsafe { ffi::hwerr_in_nmi() } {
        // SAFETY: The slot is ours; the irq_work frees it after appending.
        unsafe { ffi::hwerr_pending_push(ptr::addr_of_mut!((*slot).node)) };
    } else if let Some(log) = log() {
        if G.unreported_any.load(Acquire) {
            report_lost(log);
        }
        // SAFETY: The slot is ours, capture runs.
        unsafe { deliver(log, slot, true) };
    } else {
        // SAFETY: Capture cannot stop while preemption is off: the pools are live.
        unsafe { free_slot(slot) };
    }
    // SAFETY: Paired with `begin`'s `hwerr_preempt_off()`.
    unsafe { ffi::hwerr_preempt_on() };
}

/// Appends what NMI-context captures queued, in order, with one wake-up.
/// Context: IRQ (the irq_work), or process at exit.
fn drain_pending(log: &Log) {
    report_lost(log);
    // SAFETY: Any context but NMI; the list is ours now.
    let mut node = unsafe { ffi::hwerr_pending_take() };
    while !node.is_null() {
        // SAFETY: Every node on the list is the `node` of a taken slot.
        let slot = unsafe { kernel::container_of!(node, Slot, node) };
        // SAFETY: Read `next` before the slot is freed.
        node = unsafe { (*node).next };
        // SAFETY: The slot was queued by `commit` and is ours.
        unsafe { deliver(log, slot, false) };
    }
    log.wake_pending();
}

/// Puts everything captured but not logged yet into `log`: the NMI captures the
/// irq_work has not delivered, the capture losses, and the pending storm summaries
/// (a handoff's seal, so that nothing captured before it stays behind).
///
/// Context: process, may sleep.
pub(crate) fn flush(log: &Log) {
    // SAFETY: Process context.
    unsafe { ffi::hwerr_kick_sync() };
    drain_pending(log);
    log.flush_storms(true);
}

/// See `hwerr_capture_begin()` in `percpu_capture.h`. Context: any.
#[no_mangle]
extern "C" fn hwerr_capture_begin(source: u8, severity: u8) -> *mut Record {
    begin(source, severity, false)
}

/// See `hwerr_capture_commit()` in `percpu_capture.h`.
///
/// # Safety
///
/// `rec` came from `hwerr_capture_begin()` in this context and was not committed.
#[no_mangle]
unsafe extern "C" fn hwerr_capture_commit(rec: *mut Record) {
    // SAFETY: By the safety requirements.
    unsafe { commit(rec, false) };
}

/// The irq_work (`percpu_capture.c`). Context: IRQ.
#[no_mangle]
extern "C" fn hwerr_capture_drain() {
    if let Some(log) = log() {
        drain_pending(log);
    }
}

/// The storm timer (`percpu_capture.c`). Context: process.
#[no_mangle]
extern "C" fn hwerr_capture_storm_tick() {
    let Some(log) = log() else {
        return;
    };
    if let Some(next) = log.flush_storms(false) {
        let now = crate::log::now().0;
        // SAFETY: Process context.
        unsafe { ffi::hwerr_storm_arm(next.saturating_sub(now)) };
    }
}

/// Copies a C string into `dst`, NUL-terminated; returns whether it was cut.
///
/// # Safety
///
/// `src` is null or a NUL-terminated string.
unsafe fn copy_cstr(dst: &mut [u8], src: *const c_char) -> bool {
    if src.is_null() {
        return false;
    }
    // SAFETY: By the safety requirements.
    let bytes = unsafe { CStr::from_char_ptr(src) }.to_bytes();
    let n = bytes.len().min(dst.len().saturating_sub(1));
    if let (Some(d), Some(s)) = (dst.get_mut(..n), bytes.get(..n)) {
        d.copy_from_slice(s);
    }
    n < bytes.len()
}

/// `HWERR_REPORT_FORCE` (`percpu_capture.h`).
pub(crate) const REPORT_FORCE: c_uint = 1 << 0;
/// `HWERR_REPORT_DEFER` (`percpu_capture.h`).
pub(crate) const REPORT_DEFER: c_uint = 1 << 1;

/// See `hwerr_report_flags()` in `percpu_capture.h`. Context: any.
///
/// # Safety
///
/// `origin` and `msg` are null or NUL-terminated strings; `data` is null or points to
/// four `u64`s.
#[no_mangle]
pub(crate) unsafe extern "C" fn hwerr_report_flags(
    flags: c_uint,
    origin: *const c_char,
    severity: u8,
    code: u32,
    data: *const u64,
    msg: *const c_char,
) -> c_int {
    let force = flags & REPORT_FORCE != 0;
    if severity >= abi::SEV_NR {
        return EINVAL.to_errno();
    }
    if !force && G.enabled.load(Relaxed) & 1 << abi::SRC_SOFTWARE == 0 {
        count(&G.ignored, abi::SRC_SOFTWARE);
        return ENODEV.to_errno();
    }
    let rec = begin(abi::SRC_SOFTWARE, severity, force);
    if rec.is_null() {
        return if running() { ENOSPC } else { ENODEV }.to_errno();
    }
    // SAFETY: `begin` gave us this record until commit.
    let r = unsafe { &mut *rec };
    if let Ok((sw, _)) = Software::mut_from_prefix(&mut r.payload[..]) {
        sw.code = code;
        if !data.is_null() {
            // SAFETY: By the safety requirements `data` points to four `u64`s.
            sw.data = unsafe { ptr::read_unaligned(data.cast::<[u64; 4]>()) };
        }
        // SAFETY: By the safety requirements.
        unsafe { copy_cstr(&mut sw.origin, origin) };
        // SAFETY: As above.
        if unsafe { copy_cstr(&mut sw.msg, msg) } {
            r.hdr.flags |= abi::F_TRUNCATED;
        }
    }
    // SAFETY: `rec` came from `begin` here.
    unsafe { commit(rec, flags & REPORT_DEFER != 0) };
    0
}

/// Whether `source` is a hardware error source (not software, lost or a module's).
fn is_hardware_source(source: u8) -> bool {
    (abi::SRC_MCE..=abi::SRC_MEMORY_FAILURE).contains(&source)
}

/// `CLOCK_BOOTTIME` of the last fatal hardware error captured, 0 if none; for
/// `hwerr_panic_is_hw_fatal()` (`sources.c`). Context: any, panic included.
#[no_mangle]
extern "C" fn hwerr_capture_last_fatal_hw_ns() -> u64 {
    G.last_fatal_hw_ns.load(Relaxed)
}

/// Whether `source` is a module's own source (`SOURCE_NAMES[source]` is the module
/// that reports it), which `hwerr_report_event()` takes.
pub(crate) fn is_module_source(source: u8) -> bool {
    (abi::SRC_HADETECT..abi::SRC_NR).contains(&source)
}

/// See `hwerr_report_event()` in `include/hasys/hwerr.h`. Context: any.
///
/// # Safety
///
/// `payload` is null or points to `len` readable bytes.
#[no_mangle]
pub(crate) unsafe extern "C" fn hwerr_report_event_rs(
    source: u8,
    severity: u8,
    payload: *const c_void,
    len: usize,
) -> c_int {
    if !is_module_source(source) || severity >= abi::SEV_NR || len > abi::PAYLOAD_SIZE {
        return EINVAL.to_errno();
    }
    if payload.is_null() && len != 0 {
        return EINVAL.to_errno();
    }
    if G.enabled.load(Relaxed) & 1 << source == 0 {
        count(&G.ignored, source);
        return ENODEV.to_errno();
    }
    let rec = begin(source, severity, false);
    if rec.is_null() {
        return if running() { ENOSPC } else { ENODEV }.to_errno();
    }
    if len != 0 {
        // SAFETY: `begin` gave us this record until commit; `payload` has `len <=
        // PAYLOAD_SIZE` bytes by the safety requirements, and cannot overlap a slot.
        unsafe {
            ptr::copy_nonoverlapping(
                payload.cast::<u8>(),
                ptr::addr_of_mut!((*rec).payload).cast::<u8>(),
                len,
            )
        };
    }
    // SAFETY: `rec` came from `begin` here.
    unsafe { commit(rec, false) };
    0
}

/// `struct hwerr_snapshot` (`include/hasys/hwerr.h`).
#[repr(C)]
#[derive(Default)]
pub(crate) struct Snapshot {
    logged: u32,
    unlogged: u32,
    last_seq: u64,
    log_busy: bool,
}

/// See `hwerr_crash_snapshot()` in `include/hasys/hwerr.h`. Context: any, panic and
/// NMI included: no lock is waited for, nothing is allocated, every walk is bounded
/// by `max`.
///
/// # Safety
///
/// `out` points to `max` writable records and `snap` to a writable snapshot; other
/// CPUs are stopped or not capturing (a panic), or the caller accepts a record torn
/// by a capture that runs meanwhile (an oops the kernel survives).
#[no_mangle]
pub(crate) unsafe extern "C" fn hwerr_crash_snapshot_rs(
    out: *mut Record,
    max: c_uint,
    snap: *mut Snapshot,
) -> c_int {
    // SAFETY: By the safety requirements.
    let snap = unsafe { &mut *snap };
    *snap = Snapshot::default();
    let Some(log) = log() else {
        return ENODEV.to_errno();
    };
    let max = max as usize;
    if out.is_null() || max == 0 {
        return 0;
    }
    // SAFETY: By the safety requirements `out` holds `max` records.
    let out = unsafe { core::slice::from_raw_parts_mut(out, max) };
    // Newest of all: the errors this CPU's machine-check banks still hold (a fatal
    // one panics before the decode chain hands it to hwerr). Read to the front, kept
    // at the back meanwhile.
    // SAFETY: `out` holds `max` writable records; panic or die context.
    let banks =
        (unsafe { ffi::hwerr_mce_read_banks(out.as_mut_ptr(), max as c_uint) } as usize).min(max);
    out.copy_within(..banks, max - banks);
    let room = max - banks;
    // Then the captures waiting for the irq_work (an NMI's), newest first: the
    // newest `room` of them.
    let mut pending = 0usize;
    // SAFETY: Any context; the nodes are those of taken slots, which stay taken
    // while they are on the list (by the safety requirements nobody drains it now).
    let first = unsafe { ffi::hwerr_pending_peek() };
    let mut node = first;
    while !node.is_null() && pending < room {
        pending += 1;
        // SAFETY: As above; volatile, as the list may change under a survived oops.
        node = unsafe { ptr::read_volatile(ptr::addr_of!((*node).next)) };
    }
    // The log's newest before them, oldest first.
    let logged = match out.get_mut(..room - pending) {
        Some(room) => match log.try_copy_newest(room) {
            Some((n, last)) => {
                snap.last_seq = last;
                n
            }
            None => {
                snap.log_busy = true;
                0
            }
        },
        None => 0,
    };
    // Newest first from the end of their room; if the list got shorter meanwhile
    // (an oops the kernel survives: the irq_work drained it), the ones copied are
    // moved down to follow the log's.
    node = first;
    let mut copied = 0;
    for i in (logged..logged + pending).rev() {
        if node.is_null() {
            break;
        }
        // SAFETY: Every node on the list is the `node` of a taken slot (as above).
        let slot = unsafe { kernel::container_of!(node, Slot, node) };
        if let Some(o) = out.get_mut(i) {
            // SAFETY: The slot's record was committed before its node was queued. A
            // volatile read: with other CPUs running, the irq_work may free and reuse
            // the slot meanwhile (a torn copy; the caller accepts that).
            *o = unsafe { ptr::read_volatile(ptr::addr_of!((*slot).rec)) };
            copied += 1;
        }
        // SAFETY: As above.
        node = unsafe { ptr::read_volatile(ptr::addr_of!((*node).next)) };
    }
    out.copy_within(logged + pending - copied..logged + pending, logged);
    let pending = copied;
    out.copy_within(max - banks.., logged + pending);
    snap.logged = logged as u32;
    snap.unlogged = (pending + banks) as u32;
    0
}

/// See `hwerr_report_previous()` in `include/hasys/hwerr.h`. Context: any but NMI.
///
/// # Safety
///
/// `rec` points to a readable record.
#[no_mangle]
pub(crate) unsafe extern "C" fn hwerr_report_previous_rs(rec: *const Record) -> c_int {
    // SAFETY: By the safety requirements.
    let old = unsafe { &*rec };
    let h = &old.hdr;
    if usize::from(h.size) != abi::RECORD_SIZE
        || h.version != abi::ABI_VERSION as u8
        || h.source == abi::SRC_NONE
        || h.source == abi::SRC_LOST
    {
        return EINVAL.to_errno();
    }
    // SAFETY: Any context but NMI, by the safety requirements of the caller's API.
    if unsafe { ffi::hwerr_in_nmi() } {
        return EINVAL.to_errno();
    }
    // Forced: the source's switch is about this boot's errors.
    let new = begin(h.source, h.severity, true);
    if new.is_null() {
        return if h.source >= abi::SRC_NR || h.severity >= abi::SEV_NR {
            EINVAL
        } else if running() {
            ENOSPC
        } else {
            ENODEV
        }
        .to_errno();
    }
    // SAFETY: `begin` gave us this record until commit.
    let r = unsafe { &mut *new };
    r.payload = old.payload;
    r.hdr.flags = h.flags | abi::F_PREVIOUS_BOOT;
    r.hdr.cpu = h.cpu;
    r.hdr.count = h.count;
    r.hdr.boottime_ns = h.boottime_ns;
    r.hdr.realtime_ns = h.realtime_ns;
    r.hdr.last_boottime_ns = h.last_boottime_ns;
    // SAFETY: `new` came from `begin` here.
    unsafe { commit(new, false) };
    0
}

/// The counters the sysfs files show (`percpu_capture.c`): `kind` 0 captured, 1
/// dropped, 2 ignored, 3 coalesced. Context: any.
#[no_mangle]
extern "C" fn hwerr_capture_counter(kind: c_uint, src: c_uint) -> u64 {
    let c = match kind {
        0 => &G.captured,
        1 => &G.dropped,
        2 => &G.ignored,
        _ => &G.coalesced,
    };
    c.get(src as usize).map_or(0, |n| n.load(Relaxed))
}

/// Whether `src` is enabled. Context: any.
#[no_mangle]
extern "C" fn hwerr_capture_enabled(src: c_uint) -> bool {
    src < 32 && G.enabled.load(Relaxed) & 1 << src != 0
}

/// Enables or disables `src`; a change is logged as hwerr's own software record.
/// Context: process.
#[no_mangle]
extern "C" fn hwerr_capture_set_enabled(src: c_uint, on: bool) {
    if src >= u32::from(abi::SRC_NR) || hwerr_capture_enabled(src) == on {
        return;
    }
    let bit = 1u32 << src;
    let mut cur = G.enabled.load(Relaxed);
    loop {
        let new = if on { cur | bit } else { cur & !bit };
        match G.enabled.cmpxchg(cur, new, Relaxed) {
            Ok(_) => break,
            Err(now) => cur = now,
        }
    }
    let data = [u64::from(src), hwerr_capture_counter(2, src), 0, 0];
    let (code, msg) = if on {
        (abi::CODE_SOURCE_ENABLED, c"source enabled")
    } else {
        (abi::CODE_SOURCE_DISABLED, c"source disabled")
    };
    // SAFETY: Valid strings and data for the call.
    unsafe {
        hwerr_report_flags(
            REPORT_FORCE,
            c"hwerr".as_char_ptr(),
            abi::SEV_INFO,
            code,
            data.as_ptr(),
            msg.as_char_ptr(),
        )
    };
}

/// The running log for the exported consumer calls and the sysfs files, or null.
/// Context: any.
#[no_mangle]
extern "C" fn hwerr_capture_log() -> *const c_void {
    log().map_or(ptr::null(), |l| ptr::from_ref(l).cast())
}

/// Capture running into a log: per-CPU slots allocated, every source hooked.
///
/// # Invariants
///
/// `G` is running with `log`'s pointer, and the sources are hooked. There is at most
/// one: [`Capture::start`] fails with `EBUSY` while capture runs.
pub(crate) struct Capture {
    log: Arc<Log>,
}

impl Capture {
    /// Starts capture into `log`.
    ///
    /// Fails with `EBUSY` if capture is already running (it exists once), `EINVAL`
    /// for a bad `capture_slots` (1 to 64), `ENOMEM`, or an error hooking a source.
    ///
    /// Context: process context, may sleep.
    pub(crate) fn start(log: Arc<Log>) -> Result<Self> {
        // SAFETY: Reads a module parameter.
        let nslots = unsafe { ffi::hwerr_capture_slots() };
        if !(1..=SLOTS_MAX).contains(&nslots) {
            return Err(EINVAL);
        }
        // Capture exists once: a second start fails instead of clobbering the first.
        G.state.cmpxchg(0, 1, Acquire).map_err(|_| EBUSY)?;
        let size = core::mem::size_of::<Pool>() + nslots as usize * core::mem::size_of::<Slot>();
        // SAFETY: Any size up to the per-CPU limit; the result is checked.
        let pools = unsafe { ffi::hwerr_pcpu_alloc(size, core::mem::align_of::<Pool>()) };
        if pools.is_null() {
            G.state.store(0, Release);
            return Err(ENOMEM);
        }
        G.slots.store(nslots, Relaxed);
        G.pools.store(pools, Relaxed);
        G.log.store(Arc::as_ptr(&log), Relaxed);
        // Pairs with the `Acquire` in `running()`.
        G.state.store(2, Release);
        // SAFETY: Capture runs, the sources are not hooked yet.
        if let Err(e) = kernel::error::to_result(unsafe { ffi::hwerr_sources_init() }) {
            Self::stop(&log);
            return Err(e);
        }
        // INVARIANT: running, sources hooked.
        Ok(Self { log })
    }

    /// Stops capture: no new capture, the in-flight ones appended, storm summaries
    /// logged, the pools freed. Context: process, sleeps.
    fn stop(log: &Log) {
        if G.state.cmpxchg(2, 1, Acquire).is_err() {
            return;
        }
        // Every capture that saw "running" committed once its preempt-off section ended.
        // SAFETY: Just an FFI call; process context.
        unsafe { bindings::synchronize_rcu() };
        // SAFETY: Process context.
        unsafe { ffi::hwerr_kick_sync() };
        drain_pending(log);
        // SAFETY: Process context; the timer's work checks `running()`.
        unsafe { ffi::hwerr_storm_cancel_sync() };
        // No folded error goes uncounted, even at unload.
        log.flush_storms(true);
        let pools = G.pools.xchg(ptr::null_mut(), Relaxed);
        // SAFETY: Nothing uses the pools any more (above).
        unsafe { ffi::hwerr_pcpu_free(pools) };
        G.log.store(ptr::null(), Relaxed);
        G.state.store(0, Release);
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the sources are hooked: unhook them first.
        unsafe { ffi::hwerr_sources_exit() };
        Self::stop(&self.log);
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
    for (i, s) in st.source.iter_mut().enumerate() {
        s.captured = hwerr_capture_counter(0, i as c_uint);
        s.dropped = hwerr_capture_counter(1, i as c_uint);
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

#[cfg(CONFIG_HASYS_KUNIT_TEST)]
#[kernel::prelude::kunit_tests(hasys_capture)]
mod tests {
    use super::*;
    use crate::ring::Step;

    extern "C" {
        // sync_helpers.c.
        fn hwerr_pin(irqs_off: bool) -> c_ulong;
        fn hwerr_unpin(irqs_off: bool, flags: c_ulong);
    }

    const CODE: u32 = 0x4b43;

    /// One NMI-path software capture (`data[0]` = `i`); its return code.
    fn deferred(i: u32) -> c_int {
        let data = [u64::from(i), 0, 0, 0];
        // SAFETY: Valid strings and data for the call.
        unsafe {
            hwerr_report_flags(
                REPORT_FORCE | REPORT_DEFER,
                c"kunit".as_char_ptr(),
                abi::SEV_INFO,
                CODE,
                data.as_ptr(),
                ptr::null(),
            )
        }
    }

    /// NMI-path captures (the deferred path, with interrupts off so the irq_work
    /// cannot run first) are appended in capture order by `drain_pending()`, the
    /// function `Capture::drop` runs at unload, and their slots come back.
    #[test]
    fn deferred_captures_drain_in_order() -> Result {
        assert!(running());
        let log = Arc::pin_init(Log::new(16)?, GFP_KERNEL)?;
        // Every slot of this CPU once `capture_slots` is small (the reload tests use 1).
        let n = G.slots.load(Relaxed).min(5);
        let mut rcs = [0; 5];
        // SAFETY: Undone below in this task, on this CPU, with the same argument.
        let irq = unsafe { hwerr_pin(true) };
        for (i, rc) in (0..n).zip(rcs.iter_mut()) {
            *rc = deferred(i);
        }
        drain_pending(&log);
        // SAFETY: Undoes `hwerr_pin(true)` above.
        unsafe { hwerr_unpin(true, irq) };
        assert_eq!(rcs, [0; 5]);
        let mut cur = log.cursor();
        let mut seen = 0u32;
        while let Step::Record(rec) = log.next(&mut cur) {
            let Ok((sw, _)) = Software::read_from_prefix(&rec.payload[..]) else {
                continue;
            };
            // Another CPU's NMI-path capture may have been drained here too.
            if rec.hdr.source == abi::SRC_SOFTWARE && sw.code == CODE {
                assert_eq!(sw.data[0], u64::from(seen));
                seen += 1;
            }
        }
        assert_eq!(seen, n);
        // The slots are free again: as many deferred captures fit once more.
        // SAFETY: As above.
        let irq = unsafe { hwerr_pin(true) };
        let mut again = 0;
        for i in 0..n {
            again += u32::from(deferred(i) == 0);
        }
        drain_pending(&log);
        // SAFETY: As above.
        unsafe { hwerr_unpin(true, irq) };
        assert_eq!(again, n);
        Ok(())
    }

    /// A crash snapshot holds the captures that never reached the log, newest last,
    /// after the log's newest; when room is short, the newest captures win.
    #[test]
    fn crash_snapshot_sees_unlogged_captures() -> Result {
        let live = log().ok_or(ENODEV)?;
        let mut out = KVec::with_capacity(8, GFP_KERNEL)?;
        for _ in 0..8 {
            out.push(crate::ring::blank(0, 0), GFP_KERNEL)?;
        }
        let n = G.slots.load(Relaxed).min(2);
        // SAFETY: Undone below in this task, on this CPU, with the same argument.
        let irq = unsafe { hwerr_pin(true) };
        for i in 0..n {
            deferred(i);
        }
        let mut snap = Snapshot::default();
        // SAFETY: `out` holds 8 records; the pending list is not drained meanwhile
        // (interrupts are off on this CPU, and only this CPU queued).
        let rc = unsafe { hwerr_crash_snapshot_rs(out.as_mut_ptr(), 8, &mut snap) };
        let mut small = [crate::ring::blank(0, 0)];
        // Filled in whatever it held.
        let mut snap1 = Snapshot {
            logged: 9,
            log_busy: true,
            ..Snapshot::default()
        };
        // SAFETY: As above, one record.
        let rc1 = unsafe { hwerr_crash_snapshot_rs(small.as_mut_ptr(), 1, &mut snap1) };
        drain_pending(live);
        // SAFETY: Undoes `hwerr_pin(true)` above.
        unsafe { hwerr_unpin(true, irq) };
        assert_eq!((rc, rc1), (0, 0));
        assert!(!snap.log_busy);
        // After ours: the errors this CPU's machine-check banks hold (none in a VM
        // that had no real #MC).
        let banks = snap.unlogged - n;
        assert!(snap.unlogged >= n);
        assert!(snap.logged <= 8 - n && (snap.logged > 0 || snap.last_seq == 0));
        let ours = &out[(snap.logged as usize)..((snap.logged + n) as usize)];
        for (i, rec) in ours.iter().enumerate() {
            let (sw, _) = Software::read_from_prefix(&rec.payload[..]).map_err(|_| EINVAL)?;
            assert_eq!((rec.hdr.seq, sw.code, sw.data[0]), (0, CODE, i as u64));
        }
        if snap.logged > 0 {
            assert_eq!(out[snap.logged as usize - 1].hdr.seq, snap.last_seq);
        }
        assert_eq!((snap1.logged, snap1.unlogged), (0, 1));
        if banks == 0 {
            let (sw, _) = Software::read_from_prefix(&small[0].payload[..]).map_err(|_| EINVAL)?;
            assert_eq!(sw.data[0], u64::from(n - 1));
        }
        Ok(())
    }

    /// A previous boot's record is logged with its times and the flag; records hwerr
    /// cannot log are refused.
    #[test]
    fn report_previous_keeps_the_record() -> Result {
        let live = log().ok_or(ENODEV)?;
        // Corrected: no consumer of the live log should act on a test record.
        let mut rec = crate::ring::blank(abi::SRC_MCE, abi::SEV_CORRECTED);
        rec.hdr.boottime_ns = 123_456_789;
        rec.hdr.realtime_ns = 42;
        rec.hdr.cpu = 3;
        rec.hdr.seq = 77;
        rec.payload[0] = 0x5a;
        let before = live.next_seq();
        // SAFETY: `rec` is a valid record.
        assert_eq!(unsafe { hwerr_report_previous_rs(&rec) }, 0);
        let mut cur = live.cursor();
        live.seek(&mut cur, abi::SEEK_SEQ, before)?;
        let mut found = None;
        while let Step::Record(r) = live.next(&mut cur) {
            if r.hdr.flags & abi::F_PREVIOUS_BOOT != 0 && r.hdr.realtime_ns == 42 {
                found = Some(r);
            }
        }
        let r = found.ok_or(ENOENT)?;
        assert!(r.hdr.seq >= before);
        assert_eq!(
            (r.hdr.boottime_ns, r.hdr.cpu, r.payload[0]),
            (123_456_789, 3, 0x5a)
        );
        let einval = EINVAL.to_errno();
        for (src, size) in [
            (abi::SRC_NONE, abi::RECORD_SIZE),
            (abi::SRC_LOST, abi::RECORD_SIZE),
            (abi::SRC_NR, abi::RECORD_SIZE),
            (abi::SRC_MCE, 128),
        ] {
            let mut bad = crate::ring::blank(src, abi::SEV_INFO);
            bad.hdr.size = size as u16;
            // SAFETY: `bad` is a valid record.
            assert_eq!(unsafe { hwerr_report_previous_rs(&bad) }, einval);
        }
        Ok(())
    }

    /// `hwerr_report_event()` takes only module sources and payloads that fit.
    #[test]
    fn report_event_checks_source_and_length() {
        let payload = [0u8; abi::PAYLOAD_SIZE + 1];
        let p = payload.as_ptr().cast::<c_void>();
        let einval = EINVAL.to_errno();
        for src in [
            abi::SRC_NONE,
            abi::SRC_MCE,
            abi::SRC_SOFTWARE,
            abi::SRC_LOST,
            abi::SRC_NR,
        ] {
            // SAFETY: `p` has `PAYLOAD_SIZE` readable bytes.
            let rc = unsafe { hwerr_report_event_rs(src, abi::SEV_INFO, p, 8) };
            assert_eq!(rc, einval);
        }
        // SAFETY: As above; the lengths and severity are refused before any read.
        unsafe {
            assert_eq!(
                hwerr_report_event_rs(abi::SRC_HADETECT, abi::SEV_NR, p, 8),
                einval
            );
            assert_eq!(
                hwerr_report_event_rs(abi::SRC_HADETECT, abi::SEV_INFO, p, payload.len()),
                einval
            );
            assert_eq!(
                hwerr_report_event_rs(abi::SRC_HADETECT, abi::SEV_INFO, ptr::null(), 8),
                einval
            );
        }
    }
}

/// The claim of SERR and IOCHK NMIs (`nmi_claim`, `sources.c`): QEMU raises neither,
/// so the decision the NMI handler acts on is tested here, port writes included.
#[cfg(all(CONFIG_HASYS_KUNIT_TEST, CONFIG_X86))]
#[kernel::prelude::kunit_tests(hasys_nmi)]
mod nmi_tests {
    use crate::abi;
    use kernel::prelude::*;

    extern "C" {
        // sources.c; see `nmi_claim.h`.
        fn hwerr_nmi_decide(nmi_type: u32, reason: u8, claim: bool, ack: *mut u8) -> c_int;
    }

    // asm/nmi.h (sources.c asserts these values).
    const NMI_DONE: c_int = 0;
    const NMI_HANDLED: c_int = 1;
    // asm/mach_traps.h: the NMI reason port (0x61).
    const REASON_SERR: u8 = 0x80;
    const REASON_IOCHK: u8 = 0x40;
    const REASON_CLEAR_SERR: u8 = 0x04;
    const REASON_CLEAR_IOCHK: u8 = 0x08;
    const REASON_CLEAR_MASK: u8 = 0x0f;

    /// What `ack` holds when `hwerr_nmi_decide()` did not write it.
    const UNTOUCHED: u8 = 0xa5;

    /// Types no handler of hwerr's is called with as a SERR or IOCHK one.
    const NOT_CLAIMABLE: [u32; 3] = [abi::NMI_UNKNOWN, 3, u32::MAX];
    const EVERY_TYPE: [u32; 5] = [
        abi::NMI_SERR,
        abi::NMI_IO_CHECK,
        abi::NMI_UNKNOWN,
        3,
        u32::MAX,
    ];

    fn decide(nmi_type: u32, reason: u8, claim: bool) -> (c_int, [u8; 2]) {
        let mut ack = [UNTOUCHED; 2];
        // SAFETY: `ack` has the two bytes `hwerr_nmi_decide()` may write; the call has
        // no other effect.
        let ret = unsafe { hwerr_nmi_decide(nmi_type, reason, claim, ack.as_mut_ptr()) };
        (ret, ack)
    }

    /// drivers/edac/igen6_edac.c, `ecclog_nmi_handler()`: the SERR acknowledgement.
    fn igen6_serr_ack(port: u8) -> [u8; 2] {
        let mut reason = port & REASON_CLEAR_MASK;
        reason |= REASON_CLEAR_SERR;
        let first = reason;
        reason &= !REASON_CLEAR_SERR;
        [first, reason]
    }

    /// arch/x86/kernel/nmi.c, `io_check_error()`: the IOCHK clear and re-enable,
    /// without the 2 s between them.
    fn kernel_iochk_ack(port: u8) -> [u8; 2] {
        let mut reason = (port & REASON_CLEAR_MASK) | REASON_CLEAR_IOCHK;
        let first = reason;
        reason &= !REASON_CLEAR_IOCHK;
        [first, reason]
    }

    /// With `nmi_claim` off nothing is claimed and nothing written, whatever the type
    /// and the port say.
    #[test]
    fn claim_off_leaves_every_nmi_to_the_kernel() {
        for nmi_type in EVERY_TYPE {
            for reason in 0..=u8::MAX {
                assert_eq!(decide(nmi_type, reason, false), (NMI_DONE, [UNTOUCHED; 2]));
            }
        }
    }

    /// A claimed SERR NMI clears and re-enables the line exactly as igen6_edac does,
    /// keeping the port's other writable bits (PIT gate, speaker).
    #[test]
    fn serr_is_claimed_with_igen6_ack() {
        assert_eq!(
            decide(abi::NMI_SERR, 0x80, true),
            (NMI_HANDLED, [0x04, 0x00])
        );
        assert_eq!(
            decide(abi::NMI_SERR, 0x83, true),
            (NMI_HANDLED, [0x07, 0x03])
        );
        // A CLEAR_SERR bit still set (by an earlier, unclaimed SERR) ends cleared.
        assert_eq!(
            decide(abi::NMI_SERR, 0xa4, true),
            (NMI_HANDLED, [0x04, 0x00])
        );
        for reason in 0..=u8::MAX {
            let got = decide(abi::NMI_SERR, reason, true);
            if reason & REASON_SERR != 0 {
                assert_eq!(got, (NMI_HANDLED, igen6_serr_ack(reason)));
            } else {
                assert_eq!(got, (NMI_DONE, [UNTOUCHED; 2]));
            }
        }
    }

    /// A claimed IOCHK NMI clears and re-enables the line as `io_check_error()` does.
    #[test]
    fn iochk_is_claimed_with_kernel_ack() {
        assert_eq!(
            decide(abi::NMI_IO_CHECK, 0x40, true),
            (NMI_HANDLED, [0x08, 0x00])
        );
        assert_eq!(
            decide(abi::NMI_IO_CHECK, 0x4b, true),
            (NMI_HANDLED, [0x0b, 0x03])
        );
        for reason in 0..=u8::MAX {
            let got = decide(abi::NMI_IO_CHECK, reason, true);
            if reason & REASON_IOCHK != 0 {
                assert_eq!(got, (NMI_HANDLED, kernel_iochk_ack(reason)));
            } else {
                assert_eq!(got, (NMI_DONE, [UNTOUCHED; 2]));
            }
        }
    }

    /// Unknown NMIs (the watchdogs and perf share that path) are never claimed.
    #[test]
    fn unknown_is_never_claimed() {
        for nmi_type in NOT_CLAIMABLE {
            for reason in 0..=u8::MAX {
                assert_eq!(decide(nmi_type, reason, true), (NMI_DONE, [UNTOUCHED; 2]));
            }
        }
    }
}
