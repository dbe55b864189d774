// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! In-kernel consumers (`struct hwerr_consumer`, `include/hasys/hwerr.h`): readers of
//! the log, each with its own cursor and its own work item.
//!
//! A consumer's wait-queue entry sits on the log's wait queue, so the append that
//! logs a record queues the consumer's work from the capturing context (the entry's
//! function runs under the queue's lock with interrupts off and only queues work).
//! The work, on `system_dfl_wq` (unbound), walks the consumer's cursor and calls `notify()`
//! with no hwerr lock held, at most [`BUDGET`] records per run before it re-queues
//! itself. A slow consumer falls behind alone and, when the ring wraps past it, gets
//! the same in-band overrun notice a `/dev/hwerr` reader gets.
//!
//! The registry (a `Mutex<KVec<Arc<Consumer>>>` in [`Log`]) is only taken by
//! register and unregister, never on the capture path and never while a `notify()`
//! runs, so a `notify()` that registers or unregisters cannot deadlock: it is told
//! `EDEADLK`.

use crate::abi::{self, Filter, Record, Software};
use crate::api::RawConsumer;
use crate::log::Log;
use crate::ring::{self, Cursor, Step};
use kernel::{
    bindings, new_mutex, new_work,
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Relaxed, Release},
        Arc, ArcBorrow, Mutex,
    },
    types::Opaque,
    workqueue::{self, Work, WorkItem},
};
use zerocopy::FromBytes;

/// `EDEADLK`, which 7.2's `kernel::error::code` does not name.
fn edeadlk() -> Error {
    Error::from_errno(-(bindings::EDEADLK as i32))
}

/// Records one run of a consumer's work delivers before it re-queues itself.
const BUDGET: usize = 64;

/// One registered consumer.
///
/// # Invariants
///
/// `raw` is the caller's `struct hwerr_consumer`, valid while `dead` is false, and
/// `log` the log this consumer is registered with, which outlives it (the module
/// cannot unload while a dependent module's consumer is registered). `entry` is on
/// `log`'s wait queue from registration until `dead` is set.
#[pin_data]
pub(crate) struct Consumer {
    raw: *mut RawConsumer,
    notify: unsafe extern "C" fn(*mut RawConsumer, *const Record),
    log: *const Log,
    /// The consumer's name, NUL-padded, to recognise its own software reports.
    name: [u8; 32],
    /// Deliver its own reports too (`HWERR_CONSUMER_OWN_REPORTS`).
    own: bool,
    /// Deliver the previous boot's records too (`HWERR_CONSUMER_PREVIOUS_BOOT`).
    previous: bool,
    #[pin]
    cursor: Mutex<Cursor>,
    #[pin]
    work: Work<Consumer>,
    #[pin]
    entry: Opaque<bindings::wait_queue_entry>,
    /// The task running this consumer's `notify()`, or null.
    running: Atomic<*mut bindings::task_struct>,
    /// Unregistered: deliver nothing more, never touch `raw` again.
    dead: Atomic<bool>,
}

// SAFETY: `raw` and `log` are only dereferenced under the invariant above, from any
// thread; the C consumer is required to be usable from hwerr's workqueue.
unsafe impl Send for Consumer {}
// SAFETY: As above; every mutable field is a lock or an atomic.
unsafe impl Sync for Consumer {}

kernel::impl_has_work! {
    impl HasWork<Self> for Consumer { self.work }
}

impl WorkItem for Consumer {
    type Pointer = Arc<Consumer>;

    fn run(this: Arc<Consumer>) {
        this.deliver();
    }
}

fn current() -> *mut bindings::task_struct {
    // SAFETY: `current` is always valid in process context.
    unsafe { bindings::get_current() }
}

impl Consumer {
    fn log(&self) -> &Log {
        // SAFETY: By the type invariant the log outlives every consumer.
        unsafe { &*self.log }
    }

    /// Whether `rec` is this consumer's own report, or a previous boot's record (one
    /// crashdump re-emitted, or one a kexec handoff carried), which it does not want.
    fn skips(&self, rec: &Record) -> bool {
        let previous = rec.hdr.flags & abi::F_PREVIOUS_BOOT != 0 || rec.hdr.boot != 0;
        if previous && !self.previous {
            return true;
        }
        if self.own {
            return false;
        }
        if crate::capture::is_module_source(rec.hdr.source) {
            let name = abi::SOURCE_NAMES
                .get(usize::from(rec.hdr.source))
                .map_or(&b""[..], |n| n.as_bytes());
            return self.name.get(..name.len()) == Some(name)
                && self.name.get(name.len()).is_none_or(|&b| b == 0);
        }
        if rec.hdr.source != abi::SRC_SOFTWARE {
            return false;
        }
        Software::ref_from_prefix(&rec.payload[..])
            .map(|(sw, _)| sw.origin == self.name)
            .unwrap_or(false)
    }

    fn enqueue(self: Arc<Self>) {
        // SAFETY: `system_dfl_wq` (unbound; 7.2 deprecates `system_unbound_wq` for
        // new users and has no Rust accessor for it yet) lives as long as the kernel.
        let wq = unsafe { workqueue::Queue::from_raw(bindings::system_dfl_wq) };
        // Already queued: the queued run will see the new records too.
        let _ = wq.enqueue(self);
    }

    /// One run of the work item. Context: process (workqueue), sleeps in `notify()`.
    fn deliver(self: Arc<Self>) {
        let mut delivered = 0;
        self.running.store(current(), Release);
        while !self.dead.load(Acquire) {
            let step = {
                let mut cur = self.cursor.lock();
                self.log().next(&mut cur)
            };
            match step {
                Step::Record(rec) => {
                    if !self.skips(&rec) {
                        // SAFETY: Not dead, so `raw` is valid (type invariant); `notify`
                        // is the consumer's callback and `rec` lives across the call.
                        unsafe { (self.notify)(self.raw, &rec) };
                    }
                }
                Step::Budget => {}
                Step::Empty { .. } => break,
            }
            // Every step counts, delivered or skipped, so one run stays bounded.
            delivered += 1;
            if delivered >= BUDGET {
                // Let other work run; the rest is delivered by the next run.
                self.running.store(core::ptr::null_mut(), Release);
                self.enqueue();
                return;
            }
        }
        self.running.store(core::ptr::null_mut(), Release);
    }
}

/// The wait-queue function: queues the consumer's work. Context: any but NMI, under
/// the log's wait-queue lock with interrupts off.
///
/// # Safety
///
/// `entry` is the `entry` field of a live `Consumer` inside an `Arc`.
unsafe extern "C" fn consumer_wake(
    entry: *mut bindings::wait_queue_entry,
    _mode: c_uint,
    _flags: c_int,
    _key: *mut c_void,
) -> c_int {
    // SAFETY: By the safety requirements `entry` is inside a `Consumer` in an `Arc`
    // that the registry keeps alive while the entry is on the queue.
    let c = unsafe {
        let ptr = kernel::container_of!(
            entry.cast::<Opaque<bindings::wait_queue_entry>>(),
            Consumer,
            entry
        );
        ArcBorrow::from_raw(ptr)
    };
    Arc::<Consumer>::from(c).enqueue();
    0
}

/// Which records a consumer's masks ask for (0: everything).
fn filter_of(raw: &RawConsumer) -> Result<Filter> {
    let f = Filter {
        source_mask: if raw.source_mask == 0 {
            ring::ALL.source_mask
        } else {
            raw.source_mask
        },
        severity_mask: if raw.severity_mask == 0 {
            ring::ALL.severity_mask
        } else {
            raw.severity_mask
        },
    };
    if ring::filter_is_valid(&f) {
        Ok(f)
    } else {
        Err(EINVAL)
    }
}

/// Registers `raw` with `log`. See `hwerr_consumer_register()`.
fn add(log: &Log, raw: *mut RawConsumer) -> Result {
    // SAFETY: The caller (the C wrapper) checked `raw` is non-null; it is the caller's
    // consumer, valid until it is unregistered.
    let r = unsafe { &*raw };
    let notify = r.notify.ok_or(EINVAL)?;
    if r.name.is_null() {
        return Err(EINVAL);
    }
    let filter = filter_of(r)?;
    let mut name = [0u8; 32];
    // SAFETY: `name` is a NUL-terminated string (documented in the header).
    let given = unsafe { CStr::from_char_ptr(r.name) }.to_bytes();
    let n = given.len().min(name.len() - 1);
    name[..n].copy_from_slice(&given[..n]);

    let mut list = log.consumers.lock();
    if list.iter().any(|c| c.running.load(Relaxed) == current()) {
        return Err(edeadlk());
    }
    if list.iter().any(|c| c.raw == raw) {
        return Err(EBUSY);
    }
    let mut cursor = log.cursor();
    if r.flags & crate::api::CONSUMER_FROM_OLDEST == 0 {
        log.seek(&mut cursor, abi::SEEK_NEWEST, 0)?;
    }
    cursor.filter = filter;
    let c = Arc::pin_init(
        pin_init!(Consumer {
            raw,
            notify,
            log: core::ptr::from_ref(log),
            name,
            own: r.flags & crate::api::CONSUMER_OWN_REPORTS != 0,
            previous: r.flags & crate::api::CONSUMER_PREVIOUS_BOOT != 0,
            cursor <- new_mutex!(cursor, "hwerr_consumer_cursor"),
            work <- new_work!("hwerr_consumer"),
            // SAFETY: A zeroed entry with `func` set is what
            // `init_waitqueue_func_entry()` makes; `add_wait_queue()` links it.
            entry <- Opaque::ffi_init(|slot: *mut bindings::wait_queue_entry| unsafe {
                slot.write(pin_init::zeroed());
                (*slot).func = Some(consumer_wake);
            }),
            running: Atomic::new(core::ptr::null_mut()),
            dead: Atomic::new(false),
        }),
        GFP_KERNEL,
    )?;
    list.push(c.clone(), GFP_KERNEL)?;
    // SAFETY: The entry is initialised with a function that only queues work, is on
    // no queue, and the registry keeps it alive until `remove` takes it off.
    unsafe { log.wait.add(c.entry.get()) };
    drop(list);
    if r.flags & crate::api::CONSUMER_FROM_OLDEST != 0 {
        // Records already in the log are delivered now.
        c.enqueue();
    }
    Ok(())
}

/// Unregisters `raw`. See `hwerr_consumer_unregister()`/`_release()`.
fn remove(log: &Log, raw: *mut RawConsumer, reentrant_ok: bool) -> Result {
    let me = current();
    let c = {
        let mut list = log.consumers.lock();
        if !reentrant_ok && list.iter().any(|c| c.running.load(Relaxed) == me) {
            return Err(edeadlk());
        }
        let idx = list.iter().position(|c| c.raw == raw).ok_or(ENOENT)?;
        list.remove(idx)?
    };
    // SAFETY: The entry was added at registration and only this call removes it;
    // after this no wake-up queues the work.
    unsafe { log.wait.remove(c.entry.get()) };
    c.dead.store(true, Release);
    if c.running.load(Acquire) != me {
        // Wait for a queued or running delivery; it sees `dead` and stops. (From
        // inside this consumer's own notify() there is nothing to wait for: the
        // running delivery checks `dead` before it touches `raw` again.)
        // SAFETY: `c.work` is an initialised work item that lives as long as `c`.
        unsafe { bindings::flush_work(Work::raw_get(core::ptr::addr_of!(c.work))) };
    }
    Ok(())
}

/// See `percpu_capture.h`.
///
/// # Safety
///
/// `log` is the running log (`hwerr_capture_init()`), `raw` a non-null consumer
/// valid until it is unregistered.
#[no_mangle]
unsafe extern "C" fn hwerr_consumers_add(log: *const c_void, raw: *mut RawConsumer) -> c_int {
    // SAFETY: By the safety requirements.
    let log = unsafe { &*log.cast::<Log>() };
    match add(log, raw) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// See `percpu_capture.h`.
///
/// # Safety
///
/// As [`hwerr_consumers_add`].
#[no_mangle]
unsafe extern "C" fn hwerr_consumers_remove(
    log: *const c_void,
    raw: *mut RawConsumer,
    reentrant_ok: bool,
) -> c_int {
    // SAFETY: By the safety requirements.
    let log = unsafe { &*log.cast::<Log>() };
    match remove(log, raw, reentrant_ok) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

#[cfg(CONFIG_HASYS_KUNIT_TEST)]
#[kernel::prelude::kunit_tests(hasys_consumer)]
mod tests {
    use super::*;
    use crate::abi::Lost;
    use crate::api::{self, ConsumerOptions, ConsumerRegistration};
    use kernel::sync::atomic::Relaxed;

    /// A C-style consumer that records what it is given.
    #[repr(C)]
    struct Probe {
        raw: RawConsumer,
        log: *const Log,
        seqs: [Atomic<u64>; 8],
        sources: [Atomic<u32>; 8],
        lost_total: Atomic<u64>,
        count: Atomic<u32>,
        reentry: [Atomic<i32>; 3],
        /// Release itself (as Rust's `Drop` does) from inside its first `notify`.
        release_self: bool,
    }

    /// # Safety
    ///
    /// `raw` is the `raw` field of a live [`Probe`], `rec` a valid record.
    unsafe extern "C" fn probe_notify(raw: *mut RawConsumer, rec: *const Record) {
        // SAFETY: `raw` is the first field of a live `Probe` (`repr(C)`), `rec` valid.
        let (p, rec) = unsafe { (&*raw.cast::<Probe>(), &*rec) };
        let i = p.count.load(Relaxed) as usize;
        if let (Some(s), Some(src)) = (p.seqs.get(i), p.sources.get(i)) {
            s.store(rec.hdr.seq, Relaxed);
            src.store(u32::from(rec.hdr.source), Relaxed);
        }
        if rec.hdr.flags & abi::F_SYNTHETIC != 0 {
            if let Ok((l, _)) = Lost::read_from_prefix(&rec.payload[..]) {
                p.lost_total.store(l.total, Relaxed);
            }
        }
        if i == 0 {
            // Re-entrant calls fail instead of hanging.
            // SAFETY: `log` is the live test log.
            let log = unsafe { &*p.log };
            let errno = |r: Result| r.err().map_or(0, |e| e.to_errno());
            p.reentry[0].store(errno(add(log, raw)), Relaxed);
            p.reentry[1].store(errno(remove(log, raw, false)), Relaxed);
            if p.release_self {
                p.reentry[2].store(errno(remove(log, raw, true)), Relaxed);
            }
        }
        p.count.store(i as u32 + 1, Relaxed);
    }

    fn probe(log: &Log, flags: u32) -> Result<KBox<Probe>> {
        Ok(KBox::new(
            Probe {
                raw: RawConsumer {
                    notify: Some(probe_notify),
                    name: c"kunit_probe".as_char_ptr(),
                    flags,
                    source_mask: 0,
                    severity_mask: 0,
                    hwerr_private: core::ptr::null_mut(),
                },
                log: core::ptr::from_ref(log),
                seqs: [const { Atomic::new(0) }; 8],
                sources: [const { Atomic::new(0) }; 8],
                lost_total: Atomic::new(0),
                count: Atomic::new(0),
                reentry: [const { Atomic::new(0) }; 3],
                release_self: false,
            },
            GFP_KERNEL,
        )?)
    }

    fn record(source: u8, origin: &[u8]) -> Record {
        let mut rec = ring::blank(source, abi::SEV_CORRECTED);
        if let Ok((sw, _)) = Software::mut_from_prefix(&mut rec.payload[..]) {
            sw.origin[..origin.len()].copy_from_slice(origin);
        }
        rec
    }

    /// Waits (at most 2 s) until `p` has seen `n` records.
    fn wait_for(p: &Probe, n: u32) -> bool {
        for _ in 0..200 {
            if p.count.load(Relaxed) >= n {
                return true;
            }
            // SAFETY: Sleeping is allowed in a KUnit test.
            unsafe { bindings::msleep(10) };
        }
        false
    }

    #[test]
    fn records_in_order_without_own_reports_and_no_reentry() -> Result {
        let log = Arc::pin_init(Log::new(64)?, GFP_KERNEL)?;
        log.append(&record(abi::SRC_MCE, b""), true)?; // before registration: not seen
        let mut p = probe(&log, 0)?;
        let raw = core::ptr::addr_of_mut!(p.raw);
        add(&log, raw)?;
        assert_eq!(add(&log, raw).err(), Some(EBUSY));
        log.append(&record(abi::SRC_MCE, b""), true)?;
        log.append(&record(abi::SRC_SOFTWARE, b"kunit_probe"), true)?; // its own
        log.append(&record(abi::SRC_SOFTWARE, b"other"), true)?;
        log.append(&record(abi::SRC_EDAC, b""), true)?;
        assert!(wait_for(&p, 3));
        remove(&log, raw, false)?;
        assert_eq!(p.count.load(Relaxed), 3);
        let seqs: [u64; 3] = core::array::from_fn(|i| p.seqs[i].load(Relaxed));
        assert_eq!(seqs, [2, 4, 5]);
        let edeadlk = -(bindings::EDEADLK as i32);
        assert_eq!(p.reentry[0].load(Relaxed), edeadlk);
        assert_eq!(p.reentry[1].load(Relaxed), edeadlk);
        assert_eq!(remove(&log, raw, false).err(), Some(ENOENT));
        Ok(())
    }

    #[test]
    fn previous_boot_records_only_when_asked() -> Result {
        let log = Arc::pin_init(Log::new(64)?, GFP_KERNEL)?;
        let mut old = record(abi::SRC_MCE, b"");
        old.hdr.flags = abi::F_PREVIOUS_BOOT;
        let mut plain = probe(&log, 0)?;
        let mut asks = probe(&log, crate::api::CONSUMER_PREVIOUS_BOOT)?;
        let (p1, p2) = (
            core::ptr::addr_of_mut!(plain.raw),
            core::ptr::addr_of_mut!(asks.raw),
        );
        add(&log, p1)?;
        add(&log, p2)?;
        log.append(&old, true)?;
        log.append(&record(abi::SRC_EDAC, b""), true)?;
        assert!(wait_for(&asks, 2) && wait_for(&plain, 1));
        remove(&log, p1, false)?;
        remove(&log, p2, false)?;
        assert_eq!(plain.count.load(Relaxed), 1);
        assert_eq!(plain.seqs[0].load(Relaxed), 2);
        assert_eq!(asks.count.load(Relaxed), 2);
        assert_eq!(asks.sources[0].load(Relaxed), u32::from(abi::SRC_MCE));
        Ok(())
    }

    #[test]
    fn slow_consumer_gets_exact_overrun_notice() -> Result {
        let log = Arc::pin_init(Log::new(16)?, GFP_KERNEL)?;
        let mut p = probe(&log, crate::api::CONSUMER_OWN_REPORTS)?;
        let raw = core::ptr::addr_of_mut!(p.raw);
        add(&log, raw)?;
        // 40 appends before the consumer can run: it falls 24 records behind.
        for _ in 0..40 {
            log.append(&record(abi::SRC_AER, b""), false)?;
        }
        log.wake_pending();
        assert!(wait_for(&p, 17));
        remove(&log, raw, false)?;
        assert_eq!(p.sources[0].load(Relaxed), u32::from(abi::SRC_LOST));
        assert_eq!(p.lost_total.load(Relaxed), 24);
        assert_eq!(p.seqs[1].load(Relaxed), 25);
        assert_eq!(p.count.load(Relaxed), 17);
        Ok(())
    }

    #[test]
    fn release_from_its_own_notify_is_its_last_call() -> Result {
        let log = Arc::pin_init(Log::new(64)?, GFP_KERNEL)?;
        let mut p = probe(&log, 0)?;
        p.release_self = true;
        let raw = core::ptr::addr_of_mut!(p.raw);
        add(&log, raw)?;
        for _ in 0..5 {
            log.append(&record(abi::SRC_MCE, b""), true)?;
        }
        assert!(wait_for(&p, 1));
        // Give a wrongly continuing delivery time to show itself.
        // SAFETY: Sleeping is allowed in a KUnit test.
        unsafe { bindings::msleep(100) };
        assert_eq!(p.count.load(Relaxed), 1);
        assert_eq!(p.reentry[2].load(Relaxed), 0);
        assert_eq!(remove(&log, raw, false).err(), Some(ENOENT));
        assert!(log.consumers.lock().is_empty());
        Ok(())
    }

    #[test]
    fn bad_masks_are_einval() -> Result {
        let log = Arc::pin_init(Log::new(16)?, GFP_KERNEL)?;
        let mut p = probe(&log, 0)?;
        p.raw.source_mask = 1 << 20;
        assert_eq!(
            add(&log, core::ptr::addr_of_mut!(p.raw)).err(),
            Some(EINVAL)
        );
        p.raw.source_mask = 0;
        p.raw.severity_mask = 1 << 9;
        assert_eq!(
            add(&log, core::ptr::addr_of_mut!(p.raw)).err(),
            Some(EINVAL)
        );
        Ok(())
    }

    /// The Rust wrapper on the module's own log: a software report reaches it.
    struct Counter(Atomic<u32>, Atomic<u32>);

    impl api::Consumer for Counter {
        fn notify(&self, rec: &Record) {
            if let Ok((sw, _)) = Software::ref_from_prefix(&rec.payload[..]) {
                if rec.hdr.source == abi::SRC_SOFTWARE && sw.code == 0x4b55 {
                    self.0.store(self.0.load(Relaxed) + 1, Relaxed);
                }
            }
            self.1.store(self.1.load(Relaxed) + 1, Relaxed);
        }
    }

    #[test]
    fn rust_registration_sees_reports_until_dropped() -> Result {
        let opts = ConsumerOptions {
            flags: crate::api::CONSUMER_OWN_REPORTS,
            source_mask: 1 << abi::SRC_SOFTWARE,
            severity_mask: 0,
        };
        let reg = KBox::pin_init(
            ConsumerRegistration::new(
                Ok::<_, Error>(Counter(Atomic::new(0), Atomic::new(0))),
                opts,
            ),
            GFP_KERNEL,
        )?;
        api::report(abi::SEV_INFO, 0x4b55, &[1, 2, 3, 4], c"kunit consumer")?;
        let mut ok = false;
        for _ in 0..200 {
            if reg.data().0.load(Relaxed) == 1 {
                ok = true;
                break;
            }
            // SAFETY: Sleeping is allowed in a KUnit test.
            unsafe { bindings::msleep(10) };
        }
        assert!(ok);
        drop(reg);
        Ok(())
    }
}
