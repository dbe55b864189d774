// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! The record log: a ring of the newest `log_records` records, and reader cursors.
//!
//! Records arrive from the capture drain ([`Log::append`]) in process context and get
//! consecutive sequence numbers from 1. When the ring is full the oldest record is
//! overwritten. A reader whose cursor points at an overwritten record gets one
//! synthetic [`abi::SRC_LOST`] record saying how many records it missed and from which
//! sources. To know the sources exactly, the ring counts per source every record
//! it ever took and every record it overwrote, and each cursor counts, per source, the
//! records before it: the difference is what the reader missed.

use crate::abi::{self, Filter, Lost, Record, Stats, SRC_SLOTS};
use kernel::{
    bindings, new_poll_condvar, new_spinlock,
    prelude::*,
    sync::{poll::PollCondVar, SpinLock},
};
use zerocopy::IntoBytes;

/// Per-source record counts.
pub(crate) type PerSource = [u64; SRC_SLOTS];

/// The ring. Protected by [`Log::ring`].
pub(crate) struct Ring {
    /// `capacity` records; the record with sequence number `s` is at `s % capacity`.
    slots: KVVec<Record>,
    /// Sequence number the next record gets.
    next_seq: u64,
    /// Records in the ring: those with sequence numbers `next_seq - len..next_seq`.
    len: usize,
    /// Records overwritten since load.
    evicted: u64,
    /// Records overwritten since load, per source.
    evicted_by_source: PerSource,
    /// Records taken since load, per source.
    total_by_source: PerSource,
    /// Sequence number of the newest recoverable or fatal record; 0 if none.
    last_urgent: u64,
}

impl Ring {
    fn capacity(&self) -> u64 {
        self.slots.len() as u64
    }

    /// The oldest sequence number still in the ring (`next_seq` when empty).
    fn oldest(&self) -> u64 {
        self.next_seq - self.len as u64
    }

    fn get(&self, seq: u64) -> Option<&Record> {
        self.slots.get((seq % self.capacity()) as usize)
    }
}

/// Which records a reader wants; lost-record notices always pass.
pub(crate) fn passes(filter: &Filter, rec: &Record) -> bool {
    let src = u32::from(rec.hdr.source);
    let sev = u32::from(rec.hdr.severity);
    rec.hdr.source == abi::SRC_LOST
        || (src < 32 && sev < 32 && filter.source_mask & (1 << src) != 0)
            && filter.severity_mask & (1 << sev) != 0
}

/// The filter a new reader starts with: everything.
pub(crate) const ALL: Filter = Filter {
    source_mask: (1 << abi::SRC_NR) - 1,
    severity_mask: (1 << abi::SEV_NR) - 1,
};

/// Where one reader is.
#[derive(Clone)]
pub(crate) struct Cursor {
    /// Sequence number of the next record to read.
    pub(crate) next: u64,
    /// Records with a sequence number below `next`, per source.
    consumed: PerSource,
    /// What this reader wants.
    pub(crate) filter: Filter,
    /// Records this reader lost to overrun.
    pub(crate) missed: u64,
    /// Records `read()` returned to this reader.
    pub(crate) read: u64,
}

/// The log: the ring and the wait queue of its readers.
#[pin_data]
pub(crate) struct Log {
    #[pin]
    ring: SpinLock<Ring>,
    /// Woken on every append; `poll()` registers here.
    #[pin]
    pub(crate) wait: PollCondVar,
}

/// The records [`Log::collect`] found for a reader.
pub(crate) type Batch = KVec<Record>;

impl Log {
    /// Allocates a log of `capacity` records (all memory it will ever use).
    ///
    /// Context: process context, may sleep.
    pub(crate) fn new(capacity: usize) -> Result<impl PinInit<Self, Error>> {
        if !(16..=1 << 20).contains(&capacity) {
            return Err(EINVAL);
        }
        let zero = Record {
            hdr: abi::Header::default(),
            payload: [0; abi::PAYLOAD_SIZE],
        };
        let slots = KVVec::from_elem(zero, capacity, GFP_KERNEL)?;
        let ring = Ring {
            slots,
            next_seq: 1,
            len: 0,
            evicted: 0,
            evicted_by_source: [0; SRC_SLOTS],
            total_by_source: [0; SRC_SLOTS],
            last_urgent: 0,
        };
        Ok(try_pin_init!(Self {
            ring <- new_spinlock!(ring, "hwerr_log"),
            wait <- new_poll_condvar!("hwerr_wait"),
        }? Error))
    }

    /// Appends a record, assigns its sequence number and wakes readers.
    ///
    /// Context: process context (the capture drain); takes the ring's spinlock.
    pub(crate) fn append(&self, rec: &Record) {
        let src = usize::from(rec.hdr.source);
        if src >= SRC_SLOTS {
            return;
        }
        {
            let mut ring = self.ring.lock();
            let seq = ring.next_seq;
            let cap = ring.capacity();
            let idx = (seq % cap) as usize;
            if ring.len as u64 == cap {
                let old = ring.slots.get(idx).map_or(0, |r| usize::from(r.hdr.source));
                if let Some(n) = ring.evicted_by_source.get_mut(old) {
                    *n += 1;
                }
                ring.evicted += 1;
            } else {
                ring.len += 1;
            }
            if let Some(slot) = ring.slots.get_mut(idx) {
                *slot = *rec;
                slot.hdr.seq = seq;
            }
            ring.next_seq = seq + 1;
            ring.total_by_source[src] += 1;
            if rec.hdr.severity >= abi::SEV_RECOVERABLE && rec.hdr.source != abi::SRC_LOST {
                ring.last_urgent = seq;
            }
        }
        self.wait.notify_all();
    }

    /// A cursor at the oldest record in the log.
    pub(crate) fn cursor(&self) -> Cursor {
        let ring = self.ring.lock();
        Cursor {
            next: ring.oldest(),
            consumed: ring.evicted_by_source,
            filter: ALL,
            missed: 0,
            read: 0,
        }
    }

    /// Moves `cur` as `HWERR_IOC_SEEK` asks.
    ///
    /// Fails with `EINVAL` for an unknown `whence` or a sequence number outside
    /// `oldest_seq..=next_seq`.
    pub(crate) fn seek(&self, cur: &mut Cursor, whence: u32, seq: u64) -> Result {
        let ring = self.ring.lock();
        match whence {
            abi::SEEK_OLDEST => {
                cur.next = ring.oldest();
                cur.consumed = ring.evicted_by_source;
            }
            abi::SEEK_NEWEST => {
                cur.next = ring.next_seq;
                cur.consumed = ring.total_by_source;
            }
            abi::SEEK_SEQ => {
                if seq < ring.oldest() || seq > ring.next_seq {
                    return Err(EINVAL);
                }
                let mut consumed = ring.evicted_by_source;
                for s in ring.oldest()..seq {
                    let src = ring.get(s).map_or(0, |r| usize::from(r.hdr.source));
                    if let Some(n) = consumed.get_mut(src) {
                        *n += 1;
                    }
                }
                cur.next = seq;
                cur.consumed = consumed;
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }

    /// Moves up to `max` records that pass `cur`'s filter into `out` and advances
    /// `cur` past them, starting with an overrun notice if `cur` fell behind.
    ///
    /// `out` must have room for `max` records. Returns the `next_seq` it saw, for
    /// [`Log::wait_past`].
    ///
    /// Context: process context; takes the ring's spinlock, does not allocate.
    pub(crate) fn collect(&self, cur: &mut Cursor, out: &mut Batch, max: usize) -> u64 {
        let ring = self.ring.lock();
        let oldest = ring.oldest();
        if cur.next < oldest {
            let mut lost = Lost {
                reason: abi::LOST_OVERRUN,
                first_seq: cur.next,
                ..Lost::default()
            };
            for (s, (ev, seen)) in ring
                .evicted_by_source
                .iter()
                .zip(cur.consumed.iter())
                .enumerate()
            {
                let n = ev.saturating_sub(*seen);
                lost.by_source[s] = n;
                lost.total += n;
            }
            cur.consumed = ring.evicted_by_source;
            cur.missed += lost.total;
            cur.next = oldest;
            let _ = out.push_within_capacity(lost_record(&lost, lost.first_seq));
        }
        while cur.next < ring.next_seq && out.len() < max {
            let Some(rec) = ring.get(cur.next) else {
                break;
            };
            if let Some(n) = cur.consumed.get_mut(usize::from(rec.hdr.source)) {
                *n += 1;
            }
            cur.next += 1;
            if passes(&cur.filter, rec) {
                let _ = out.push_within_capacity(*rec);
            }
        }
        ring.next_seq
    }

    /// Sleeps until a record with sequence number `seen` or later is in the log.
    ///
    /// Fails with `ERESTARTSYS` if a signal arrives first.
    /// Context: process context, sleeps.
    pub(crate) fn wait_past(&self, seen: u64) -> Result {
        let mut ring = self.ring.lock();
        while ring.next_seq == seen {
            if self.wait.wait_interruptible(&mut ring) {
                return Err(ERESTARTSYS);
            }
        }
        Ok(())
    }

    /// `poll()` readiness of `cur`: `POLLIN | POLLRDNORM` if `read()` would return a
    /// record, plus `POLLPRI` if one of them is recoverable or fatal.
    pub(crate) fn readiness(&self, cur: &Cursor) -> u32 {
        let ring = self.ring.lock();
        let mut mask = 0;
        let mut start = cur.next;
        if start < ring.oldest() {
            mask |= bindings::POLLIN | bindings::POLLRDNORM;
            start = ring.oldest();
        }
        let want_pri = ring.last_urgent >= start;
        for seq in start..ring.next_seq {
            let Some(rec) = ring.get(seq) else {
                break;
            };
            if !passes(&cur.filter, rec) {
                continue;
            }
            mask |= bindings::POLLIN | bindings::POLLRDNORM;
            if rec.hdr.severity >= abi::SEV_RECOVERABLE && rec.hdr.source != abi::SRC_LOST {
                mask |= bindings::POLLPRI;
            }
            if !want_pri || mask & bindings::POLLPRI != 0 || seq >= ring.last_urgent {
                break;
            }
        }
        mask
    }

    /// Fills the log and reader parts of `HWERR_IOC_GET_STATS`.
    pub(crate) fn stats(&self, cur: &Cursor, st: &mut Stats) {
        let ring = self.ring.lock();
        st.abi_version = abi::ABI_VERSION;
        st.record_size = abi::RECORD_SIZE as u32;
        st.log_capacity = ring.slots.len() as u32;
        st.log_used = ring.len as u32;
        st.oldest_seq = if ring.len == 0 { 0 } else { ring.oldest() };
        st.next_seq = ring.next_seq;
        st.evicted = ring.evicted;
        st.reader_cursor = cur.next;
        st.reader_missed = cur.missed;
        st.reader_read = cur.read;
    }
}

/// A synthetic lost-records notice for one reader.
fn lost_record(lost: &Lost, seq: u64) -> Record {
    let mut rec = Record {
        hdr: abi::Header {
            size: abi::RECORD_SIZE as u16,
            version: abi::ABI_VERSION as u8,
            source: abi::SRC_LOST,
            severity: abi::SEV_INFO,
            flags: abi::F_SYNTHETIC,
            count: 1,
            seq,
            // SAFETY: Both clocks may be read from any context.
            boottime_ns: unsafe { bindings::ktime_get_boot_fast_ns() },
            // SAFETY: As above.
            realtime_ns: unsafe { bindings::ktime_get_real_fast_ns() },
            ..abi::Header::default()
        },
        payload: [0; abi::PAYLOAD_SIZE],
    };
    let bytes = lost.as_bytes();
    if let Some(dst) = rec.payload.get_mut(..bytes.len()) {
        dst.copy_from_slice(bytes);
    }
    rec
}

#[cfg(CONFIG_HASYS_KUNIT_TEST)]
#[kernel::prelude::kunit_tests(hasys_log)]
mod tests {
    use super::*;
    use kernel::sync::Arc;
    use zerocopy::FromBytes;

    fn record(source: u8, severity: u8) -> Record {
        Record {
            hdr: abi::Header {
                size: abi::RECORD_SIZE as u16,
                source,
                severity,
                count: 1,
                ..abi::Header::default()
            },
            payload: [0; abi::PAYLOAD_SIZE],
        }
    }

    fn log(capacity: usize) -> Result<Arc<Log>> {
        Arc::pin_init(Log::new(capacity)?, GFP_KERNEL)
    }

    fn lost(rec: &Record) -> Lost {
        Lost::read_from_prefix(&rec.payload[..]).map_or(Lost::default(), |(l, _)| l)
    }

    #[test]
    fn bad_capacity_is_einval() {
        assert!(Log::new(15).is_err());
        assert!(Log::new((1 << 20) + 1).is_err());
    }

    #[test]
    fn overrun_counts_each_source_exactly() -> Result {
        let log = log(16)?;
        let mut cur = log.cursor();
        // 40 records, MCE:EDAC = 3:1; the first 24 are overwritten.
        for i in 0..40 {
            let src = if i % 4 == 3 {
                abi::SRC_EDAC
            } else {
                abi::SRC_MCE
            };
            log.append(&record(src, abi::SEV_CORRECTED));
        }
        let mut out = Batch::with_capacity(32, GFP_KERNEL)?;
        log.collect(&mut cur, &mut out, 32);
        assert_eq!(out.len(), 17);
        let first = lost(&out[0]);
        assert_eq!(out[0].hdr.source, abi::SRC_LOST);
        assert_eq!(out[0].hdr.flags & abi::F_SYNTHETIC, abi::F_SYNTHETIC);
        assert_eq!(first.reason, abi::LOST_OVERRUN);
        assert_eq!(first.first_seq, 1);
        assert_eq!(first.total, 24);
        assert_eq!(first.by_source[usize::from(abi::SRC_MCE)], 18);
        assert_eq!(first.by_source[usize::from(abi::SRC_EDAC)], 6);
        for (i, rec) in out.iter().skip(1).enumerate() {
            assert_eq!(rec.hdr.seq, 25 + i as u64);
        }
        assert_eq!(cur.missed, 24);
        assert_eq!(cur.next, 41);
        Ok(())
    }

    #[test]
    fn overrun_after_partial_read_and_seek_is_exact() -> Result {
        let log = log(16)?;
        for _ in 0..10 {
            log.append(&record(abi::SRC_AER, abi::SEV_CORRECTED));
        }
        let mut cur = log.cursor();
        log.seek(&mut cur, abi::SEEK_SEQ, 4)?;
        // 20 more EDAC records overwrite AER 1..=10 and EDAC 11..=14.
        for _ in 0..20 {
            log.append(&record(abi::SRC_EDAC, abi::SEV_INFO));
        }
        let mut out = Batch::with_capacity(1, GFP_KERNEL)?;
        log.collect(&mut cur, &mut out, 1);
        let l = lost(&out[0]);
        // Missed: AER 4..=10 and EDAC 11..=14.
        assert_eq!(l.by_source[usize::from(abi::SRC_AER)], 7);
        assert_eq!(l.by_source[usize::from(abi::SRC_EDAC)], 4);
        assert_eq!(l.total, 11);
        assert_eq!(l.first_seq, 4);
        assert!(log.seek(&mut cur, abi::SEEK_SEQ, 3).is_err());
        assert!(log.seek(&mut cur, abi::SEEK_SEQ, 32).is_err());
        assert!(log.seek(&mut cur, 7, 0).is_err());
        Ok(())
    }

    #[test]
    fn filter_and_readiness() -> Result {
        let log = log(16)?;
        let mut cur = log.cursor();
        cur.filter = Filter {
            source_mask: 1 << abi::SRC_MCE,
            severity_mask: ALL.severity_mask,
        };
        assert_eq!(log.readiness(&cur), 0);
        log.append(&record(abi::SRC_EDAC, abi::SEV_FATAL));
        assert_eq!(log.readiness(&cur), 0);
        log.append(&record(abi::SRC_MCE, abi::SEV_CORRECTED));
        assert_eq!(log.readiness(&cur), bindings::POLLIN | bindings::POLLRDNORM);
        log.append(&record(abi::SRC_MCE, abi::SEV_FATAL));
        assert_eq!(log.readiness(&cur) & bindings::POLLPRI, bindings::POLLPRI);
        let mut out = Batch::with_capacity(8, GFP_KERNEL)?;
        log.collect(&mut cur, &mut out, 8);
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].hdr.seq, out[1].hdr.seq), (2, 3));
        assert_eq!(log.readiness(&cur), 0);
        Ok(())
    }
}
