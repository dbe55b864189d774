// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! The record log: the ring (`ring.rs`) under an IRQ-safe spinlock, and the wait
//! queue its readers and consumers sleep on.
//!
//! Records are appended from the capturing context itself (any context but NMI; NMI
//! captures arrive through an irq_work), so a reader blocked in `poll()` or
//! `read()` is woken by the CPU that saw the error, with no work item in between.
//! Every walk done under the lock is bounded (see `ring.rs`); nothing here allocates
//! after [`Log::new`].

use crate::abi::{self, Filter, Lost, Record, Stats, SRC_SLOTS};
use crate::coalesce::{self, Coalescer, Tracker, Verdict};
use crate::consumer::Consumer;
use crate::ring::{self, checkpoints_for, Checkpoint, Cursor, Ring, RingError, Step};
use crate::sync::{new_irq_spinlock, IrqSpinLock, WaitQueue};
use kernel::{
    bindings, new_mutex,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc, Mutex,
    },
};

/// Records one lock hold of [`Log::next`] examines at most.
const WALK_BUDGET: usize = 64;

/// `EPOLLIN | EPOLLRDNORM`: a record is waiting.
pub(crate) const EV_IN: u32 = bindings::POLLIN | bindings::POLLRDNORM;
/// `EPOLLPRI`: a recoverable or fatal record is waiting.
pub(crate) const EV_PRI: u32 = bindings::POLLPRI;

type KRing = Ring<KVVec<Record>, KVVec<Checkpoint>>;

/// What the log's lock protects: the ring and the storm coalescer in front of it.
pub(crate) struct Inner {
    ring: KRing,
    storms: Coalescer<KVVec<Tracker>>,
}

/// What became of an appended record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Appended {
    /// Logged with this sequence number.
    Logged(u64),
    /// Folded into a pending storm summary (`coalesce.rs`).
    Folded,
}

impl From<RingError> for Error {
    fn from(e: RingError) -> Self {
        match e {
            // A handoff's seal froze the log: the ring counted the record late.
            RingError::Frozen => EROFS,
            RingError::Invalid | RingError::BadSource => EINVAL,
        }
    }
}

/// The log.
#[pin_data]
pub(crate) struct Log {
    #[pin]
    ring: IrqSpinLock<Inner>,
    /// Woken (keyed with `EV_*`) after appends: `poll()`, blocking `read()`, consumers.
    #[pin]
    pub(crate) wait: WaitQueue,
    /// The ring's `next_seq`, readable without the lock (blocking readers' condition).
    published: Atomic<u64>,
    /// Appended without a wake-up, for [`Log::wake_pending`]: any record, an urgent one.
    pending_in: Atomic<bool>,
    pending_pri: Atomic<bool>,
    /// The registered in-kernel consumers (`consumer.rs`); only register and
    /// unregister take this lock.
    #[pin]
    pub(crate) consumers: Mutex<KVec<Arc<Consumer>>>,
}

/// The current `(CLOCK_BOOTTIME, CLOCK_REALTIME)` in ns, readable in any context.
pub(crate) fn now() -> (u64, u64) {
    // SAFETY: Both fast clocks may be read from any context, NMI included.
    unsafe {
        (
            bindings::ktime_get_boot_fast_ns(),
            bindings::ktime_get_real_fast_ns(),
        )
    }
}

impl Log {
    /// Allocates a log of `capacity` records (all memory it will ever use), with
    /// storm coalescing off.
    ///
    /// Fails with `EINVAL` unless `capacity` is in `16..=1048576`, and `ENOMEM`.
    /// Context: process context, may sleep.
    pub(crate) fn new(capacity: usize) -> Result<impl PinInit<Self, Error>> {
        Self::with_storms(
            capacity,
            coalesce::Config {
                window_ns: 0,
                ..coalesce::Config::DEFAULT
            },
        )
    }

    /// [`Log::new`] with storm coalescing as `storms` says.
    pub(crate) fn with_storms(
        capacity: usize,
        storms: coalesce::Config,
    ) -> Result<impl PinInit<Self, Error>> {
        if !(ring::CAPACITY_MIN..=ring::CAPACITY_MAX).contains(&capacity) {
            return Err(EINVAL);
        }
        let zero = Record {
            hdr: abi::Header::default(),
            payload: [0; abi::PAYLOAD_SIZE],
        };
        let slots = KVVec::from_elem(zero, capacity, GFP_KERNEL)?;
        let cps = KVVec::from_elem(Checkpoint::default(), checkpoints_for(capacity), GFP_KERNEL)?;
        let ring = Ring::new(slots, cps)?;
        let trackers = KVVec::from_elem(coalesce::FREE, coalesce::STORAGE, GFP_KERNEL)?;
        let storms = Coalescer::new(storms, trackers).ok_or(EINVAL)?;
        Ok(try_pin_init!(Self {
            ring <- new_irq_spinlock!(Inner { ring, storms }, "hwerr_log"),
            wait <- WaitQueue::new(kernel::c_str!("hwerr_wait"), kernel::static_lock_class!()),
            published: Atomic::new(1),
            pending_in: Atomic::new(false),
            pending_pri: Atomic::new(false),
            consumers <- new_mutex!(KVec::new(), "hwerr_consumers"),
        }? Error))
    }

    /// Appends a record through the storm coalescer: logs it (and assigns its sequence
    /// number) or folds it into a pending summary; a summary that is due is logged
    /// first. Wakes readers and consumers now if `wake`, else at the next
    /// [`Log::wake_pending`].
    ///
    /// Fails with `EINVAL` for a source or severity outside the log's tables.
    /// Context: any but NMI; takes the ring's IRQ-safe spinlock.
    pub(crate) fn append(&self, rec: &Record, wake: bool) -> Result<Appended> {
        if usize::from(rec.hdr.source) >= SRC_SLOTS
            || usize::from(rec.hdr.severity) >= ring::SEV_SLOTS
        {
            return Err(EINVAL);
        }
        let (appended, summaries) = {
            let mut guard = self.ring.lock();
            let Inner { ring, storms } = &mut *guard;
            let mut summaries = false;
            let verdict = storms.offer(rec, &mut |s| {
                summaries |= ring.append(&s).is_ok();
            });
            let appended = match verdict {
                Verdict::Log => Appended::Logged(ring.append(rec)?),
                Verdict::Fold => Appended::Folded,
            };
            self.published.store(ring.next_seq(), Relaxed);
            (appended, summaries)
        };
        if appended == Appended::Folded && !summaries {
            return Ok(appended);
        }
        let urgent = ring::is_urgent(rec.hdr.source, rec.hdr.severity);
        if wake {
            self.pending_in.store(false, Relaxed);
            let pri = urgent || self.pending_pri.xchg(false, Relaxed);
            self.wake(EV_IN | if pri { EV_PRI } else { 0 });
        } else {
            if urgent {
                self.pending_pri.store(true, Relaxed);
            }
            self.pending_in.store(true, Relaxed);
        }
        Ok(appended)
    }

    /// Logs the storm summaries whose window has passed and wakes for them. Returns
    /// when the next pending window ends (`CLOCK_BOOTTIME` ns), if one does.
    ///
    /// Context: any but NMI (the storm timer: process).
    pub(crate) fn flush_storms(&self, all: bool) -> Option<u64> {
        let (emitted, next) = {
            let mut guard = self.ring.lock();
            let Inner { ring, storms } = &mut *guard;
            let mut emitted = false;
            let mut emit = |s: Record| emitted |= ring.append(&s).is_ok();
            if all {
                storms.flush_all(&mut emit);
            } else {
                storms.flush_expired(now().0, &mut emit);
            }
            self.published.store(ring.next_seq(), Relaxed);
            (emitted, storms.deadline())
        };
        if emitted {
            self.wake(EV_IN);
        }
        next
    }

    /// The storm parameters in force.
    pub(crate) fn storm_config(&self) -> coalesce::Config {
        self.ring.lock().storms.config()
    }

    /// Changes the storm parameters; pending summaries are logged first.
    pub(crate) fn set_storm_config(&self, cfg: coalesce::Config) {
        let emitted = {
            let mut guard = self.ring.lock();
            let Inner { ring, storms } = &mut *guard;
            let mut emitted = false;
            storms.set_config(cfg, &mut |s| emitted |= ring.append(&s).is_ok());
            self.published.store(ring.next_seq(), Relaxed);
            emitted
        };
        if emitted {
            self.wake(EV_IN);
        }
    }

    /// Errors folded into storm summaries not logged yet, per source.
    pub(crate) fn storms_pending(&self) -> [u64; SRC_SLOTS] {
        self.ring.lock().storms.pending()
    }

    /// Logs one `SRC_LOST` record (reason `LOST_CAPTURE`) for `counts` captures
    /// dropped per source, without a wake-up. Does nothing if all are zero.
    ///
    /// Context: any but NMI.
    pub(crate) fn append_lost(&self, counts: &[u64; SRC_SLOTS]) {
        let mut lost = Lost {
            reason: abi::LOST_CAPTURE,
            by_source: *counts,
            ..Lost::default()
        };
        lost.total = counts.iter().fold(0u64, |a, n| a.saturating_add(*n));
        if lost.total == 0 {
            return;
        }
        let mut rec = ring::lost_record(&lost, 0, 0, now());
        // SAFETY: Reading the CPU number is always allowed; it may be stale at once.
        rec.hdr.cpu = unsafe { bindings::raw_smp_processor_id() } as u32;
        // A LOST record has a valid source and severity: this cannot fail.
        let _ = self.append(&rec, false);
    }

    /// Wakes waiters for everything appended without a wake-up.
    ///
    /// Context: any but NMI.
    pub(crate) fn wake_pending(&self) {
        let pri = self.pending_pri.xchg(false, Relaxed);
        if self.pending_in.xchg(false, Relaxed) || pri {
            self.wake(EV_IN | if pri { EV_PRI } else { 0 });
        }
    }

    fn wake(&self, events: u32) {
        if self.wait.has_waiters() {
            self.wait.wake(events);
        }
    }

    /// Copies the newest records into `out`, oldest first (see [`Ring::copy_newest`]);
    /// returns how many and the last sequence number, or `None` when the lock is held.
    ///
    /// Context: any, panic included: the lock is only tried, never waited for (a CPU
    /// stopped by a panic may hold it).
    pub(crate) fn try_copy_newest(&self, out: &mut [Record]) -> Option<(usize, u64)> {
        let guard = self.ring.try_lock()?;
        let n = guard.ring.copy_newest(out);
        Some((n, guard.ring.next_seq() - 1))
    }

    /// A handoff's seal: calls `f` on the newest records, at most `max`, oldest
    /// first, then freezes the log (`Ring::freeze`), in one hold of the lock, so that
    /// no record slips between the copy and the freeze (`f` must not sleep or take
    /// the log). Returns how many it copied and how many the log held.
    ///
    /// Context: any but NMI.
    pub(crate) fn seal(&self, max: usize, f: impl FnMut(&Record)) -> (usize, u64) {
        let mut guard = self.ring.lock();
        let Inner { ring, storms } = &mut *guard;
        // Summaries folded since the caller's flush are carried too.
        storms.flush_all(&mut |s| {
            let _ = ring.append(&s);
        });
        self.published.store(ring.next_seq(), Relaxed);
        let n = ring.for_newest(max, f);
        ring.freeze();
        (n, ring.len())
    }

    /// Errors the log refused since a handoff's seal froze it (`Ring::late`), or
    /// `None` when the lock is held. The storm summaries still pending are offered
    /// to the frozen ring first, so that the errors folded since the seal count too.
    ///
    /// Context: any, the kexec's last moment included: the lock is only tried, and
    /// nothing is allocated.
    pub(crate) fn try_late(&self) -> Option<u64> {
        let mut guard = self.ring.try_lock()?;
        let Inner { ring, storms } = &mut *guard;
        storms.flush_all(&mut |s| {
            let _ = ring.append(&s);
        });
        Some(ring.late())
    }

    /// Puts the records a handoff carried into a log nothing was appended to yet: the
    /// log continues at `first_seq`, and each record keeps the sequence number it had
    /// (the caller checked that they are consecutive from `first_seq`). No wake-up:
    /// nobody reads the log yet.
    ///
    /// Fails with `EINVAL` once a record was appended, or for a record the log's
    /// tables have no slot for (the records before it stay).
    /// Context: module init.
    pub(crate) fn restore(&self, first_seq: u64, recs: impl Iterator<Item = Record>) -> Result {
        let mut guard = self.ring.lock();
        let ring = &mut guard.ring;
        ring.resume(first_seq)?;
        for rec in recs {
            ring.append(&rec)?;
        }
        self.published.store(ring.next_seq(), Relaxed);
        Ok(())
    }

    /// Records the log holds at most.
    pub(crate) fn capacity(&self) -> u64 {
        self.ring.lock().ring.capacity()
    }

    /// The ring's next sequence number, without the lock.
    pub(crate) fn next_seq(&self) -> u64 {
        self.published.load(Relaxed)
    }

    /// A cursor at the oldest record in the log.
    pub(crate) fn cursor(&self) -> Cursor {
        self.ring.lock().ring.cursor()
    }

    /// Moves `cur` as `HWERR_IOC_SEEK` asks; `EINVAL` for a bad `whence` or a
    /// sequence number outside `oldest_seq..=next_seq`.
    pub(crate) fn seek(&self, cur: &mut Cursor, whence: u32, seq: u64) -> Result {
        Ok(self.ring.lock().ring.seek(cur, whence, seq)?)
    }

    /// The next record for `cur` (see [`Ring::next`]); one bounded lock hold.
    ///
    /// Context: any but NMI.
    pub(crate) fn next(&self, cur: &mut Cursor) -> Step {
        let now = now();
        self.ring.lock().ring.next(cur, WALK_BUDGET, now)
    }

    /// `poll()` readiness of a reader at `next` with `filter`: `EV_IN` if a read would
    /// return a record, plus `EV_PRI` if one of them is recoverable or fatal.
    pub(crate) fn readiness(&self, next: u64, filter: &Filter) -> u32 {
        let (readable, urgent) = self.ring.lock().ring.readiness(next, filter);
        (if readable { EV_IN } else { 0 }) | (if urgent { EV_PRI } else { 0 })
    }

    /// Fills the log and reader parts of `HWERR_IOC_GET_STATS`.
    pub(crate) fn stats(&self, cur: &Cursor, st: &mut Stats) {
        let guard = self.ring.lock();
        let ring = &guard.ring;
        st.abi_version = abi::ABI_VERSION;
        st.record_size = abi::RECORD_SIZE as u32;
        st.log_capacity = ring.capacity() as u32;
        st.log_used = ring.len() as u32;
        st.oldest_seq = if ring.is_empty() { 0 } else { ring.oldest() };
        st.next_seq = ring.next_seq();
        st.evicted = ring.evicted();
        st.reader_cursor = cur.next;
        st.reader_missed = cur.missed;
        st.reader_read = cur.read;
    }
}

/// Reads (`set` false) or changes the storm parameters. See `percpu_capture.h`.
///
/// # Safety
///
/// `log` is the running log (`hwerr_capture_log()`); `cfg` points to three writable
/// `u32`s: window in ms, burst, rate.
#[no_mangle]
unsafe extern "C" fn hwerr_log_storm_config(log: *const c_void, cfg: *mut u32, set: bool) {
    // SAFETY: By the safety requirements.
    let (log, cfg) = unsafe { (&*log.cast::<Log>(), &mut *cfg.cast::<[u32; 3]>()) };
    if set {
        log.set_storm_config(coalesce::Config {
            window_ns: u64::from(cfg[0]) * 1_000_000,
            burst: cfg[1],
            rate: cfg[2],
        });
    }
    let c = log.storm_config();
    *cfg = [(c.window_ns / 1_000_000) as u32, c.burst, c.rate];
}

#[cfg(CONFIG_HASYS_KUNIT_TEST)]
#[kernel::prelude::kunit_tests(hasys_log)]
mod tests {
    use super::*;
    use kernel::sync::Arc;

    use crate::ring::blank as record;

    #[test]
    fn bad_capacity_is_einval() {
        assert_eq!(Log::new(15).err(), Some(EINVAL));
        assert_eq!(Log::new((1 << 20) + 1).err(), Some(EINVAL));
        assert!(Log::new(16).is_ok());
    }

    #[test]
    fn irq_lock_try_lock_fails_while_held() -> Result {
        let log = Arc::pin_init(Log::new(16)?, GFP_KERNEL)?;
        let held = log.ring.lock();
        assert!(log.ring.try_lock().is_none());
        drop(held);
        assert!(log.ring.try_lock().is_some());
        Ok(())
    }

    #[test]
    fn bad_source_is_einval_and_not_logged() -> Result {
        let log = Arc::pin_init(Log::new(16)?, GFP_KERNEL)?;
        assert_eq!(log.append(&record(16, 0), true).err(), Some(EINVAL));
        assert_eq!(log.next_seq(), 1);
        assert_eq!(
            log.append(&record(abi::SRC_MCE, 0), true)?,
            Appended::Logged(1)
        );
        Ok(())
    }

    #[test]
    fn storm_is_folded_and_flushed_under_the_lock() -> Result {
        let cfg = coalesce::Config {
            window_ns: 1_000_000_000,
            burst: 2,
            rate: 0,
        };
        let log = Arc::pin_init(Log::with_storms(64, cfg)?, GFP_KERNEL)?;
        let mut rec = record(abi::SRC_MCE, abi::SEV_CORRECTED);
        rec.hdr.boottime_ns = now().0;
        for _ in 0..1000 {
            log.append(&rec, true)?;
        }
        assert_eq!(log.next_seq(), 3);
        assert_eq!(log.storms_pending()[usize::from(abi::SRC_MCE)], 998);
        // Not due yet; then flushed at once (as at unload).
        assert!(log.flush_storms(false).is_some());
        assert_eq!(log.next_seq(), 3);
        assert_eq!(log.flush_storms(true), None);
        assert_eq!(log.next_seq(), 4);
        let mut cur = log.cursor();
        log.seek(&mut cur, abi::SEEK_SEQ, 3)?;
        let Step::Record(s) = log.next(&mut cur) else {
            return Err(EINVAL);
        };
        assert_eq!(
            (s.hdr.count, s.hdr.flags & abi::F_COALESCED),
            (998, abi::F_COALESCED)
        );
        Ok(())
    }

    #[test]
    fn readiness_under_irq_lock() -> Result {
        let log = Arc::pin_init(Log::new(16)?, GFP_KERNEL)?;
        let filter = Filter {
            source_mask: 1 << abi::SRC_MCE,
            severity_mask: ring::ALL.severity_mask,
        };
        let cur = log.cursor();
        log.append(&record(abi::SRC_EDAC, abi::SEV_FATAL), true)?;
        assert_eq!(log.readiness(cur.next, &filter), 0);
        log.append(&record(abi::SRC_MCE, abi::SEV_FATAL), true)?;
        assert_eq!(log.readiness(cur.next, &filter), EV_IN | EV_PRI);
        Ok(())
    }

    #[test]
    fn capture_loss_is_one_record_with_counts() -> Result {
        let log = Arc::pin_init(Log::new(16)?, GFP_KERNEL)?;
        let mut counts = [0u64; SRC_SLOTS];
        log.append_lost(&counts);
        assert_eq!(log.next_seq(), 1);
        counts[usize::from(abi::SRC_NMI)] = 5;
        counts[usize::from(abi::SRC_SOFTWARE)] = 2;
        log.append_lost(&counts);
        let mut cur = log.cursor();
        let Step::Record(rec) = log.next(&mut cur) else {
            return Err(EINVAL);
        };
        let (lost, _) = <Lost as zerocopy::FromBytes>::read_from_prefix(&rec.payload[..])
            .map_err(|_| EINVAL)?;
        assert_eq!((rec.hdr.source, rec.hdr.flags), (abi::SRC_LOST, 0));
        assert_eq!((lost.reason, lost.total), (abi::LOST_CAPTURE, 7));
        assert_eq!(lost.by_source, counts);
        Ok(())
    }
}
