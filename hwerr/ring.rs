// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! The record ring and its cursors: pure logic, no locking, no allocation.
//!
//! This file builds twice: in `hwerr.ko` (`log.rs` wraps it in an IRQ-safe lock and a
//! wait queue) and in the userspace crate `tools/hwerr-core`, where `cargo test` and
//! property tests exercise it. It uses nothing but `core` and the ABI (`crate::abi`).
//!
//! Records get consecutive sequence numbers from 1. The record with sequence number `s`
//! is in slot `s % capacity`; when the ring is full the oldest is overwritten. A cursor
//! pointing at an overwritten record gets one synthetic `SRC_LOST` record (reason
//! `LOST_OVERRUN`) saying how many records it missed, from which sources.
//!
//! Every operation is bounded, because the kernel runs it under a spinlock with
//! interrupts off:
//!
//! - readiness (`poll()`) is O(sources x severities): the ring keeps, per source and
//!   severity, the sequence number of the newest such record;
//! - [`Ring::next`] examines at most `budget` records and reports [`Step::Budget`] so
//!   the caller can drop the lock and call again; when no record at or after the
//!   cursor passes its filter it jumps to the end in O(1);
//! - seeking to a sequence number walks fewer than [`CHECKPOINT_EVERY`] records: the
//!   ring keeps the per-source totals at every multiple of it.

use crate::abi::{self, Filter, Lost, Record, SRC_SLOTS};

/// Per-source record counts.
pub type PerSource = [u64; SRC_SLOTS];

/// Severity slots of the per-(source, severity) tables.
pub const SEV_SLOTS: usize = 8;

/// A checkpoint of per-source totals every this many sequence numbers.
pub const CHECKPOINT_EVERY: u64 = 256;

/// The smallest and largest ring the module accepts (`log_records`).
pub const CAPACITY_MIN: usize = 16;
/// See [`CAPACITY_MIN`].
pub const CAPACITY_MAX: usize = 1 << 20;

/// Which records a reader wants; lost-record notices always pass.
pub fn passes(filter: &Filter, rec: &Record) -> bool {
    passes_class(filter, rec.hdr.source, rec.hdr.severity)
}

fn passes_class(filter: &Filter, source: u8, severity: u8) -> bool {
    let (src, sev) = (u32::from(source), u32::from(severity));
    source == abi::SRC_LOST
        || (src < 32
            && sev < 32
            && filter.source_mask & (1 << src) != 0
            && filter.severity_mask & (1 << sev) != 0)
}

/// Whether a record of this class wakes `POLLPRI` waiters.
pub fn is_urgent(source: u8, severity: u8) -> bool {
    severity >= abi::SEV_RECOVERABLE && source != abi::SRC_LOST
}

/// The filter a new reader starts with: everything.
pub const ALL: Filter = Filter {
    source_mask: (1 << abi::SRC_NR) - 1,
    severity_mask: (1 << abi::SEV_NR) - 1,
};

/// Whether `filter` only names sources and severities that exist.
pub fn filter_is_valid(filter: &Filter) -> bool {
    filter.source_mask & !ALL.source_mask == 0 && filter.severity_mask & !ALL.severity_mask == 0
}

/// How many errors a record refused by a frozen ring stands for: a storm summary
/// (`F_COALESCED`) the errors it folded, a lost-record notice the captures it counts
/// (captures the capture path dropped; one the frozen ring refused is counted here
/// already, and the kernel gives it no notice of its own), any other record one.
pub fn late_weight(rec: &Record) -> u64 {
    use zerocopy::FromBytes;

    if rec.hdr.source == abi::SRC_LOST {
        return Lost::read_from_prefix(&rec.payload[..]).map_or(1, |(l, _)| l.total);
    }
    if rec.hdr.flags & abi::F_COALESCED != 0 {
        return u64::from(rec.hdr.count).max(1);
    }
    1
}

/// Errors of the ring's fallible operations; the kernel maps [`RingError::Frozen`]
/// to `EROFS`, the others to `EINVAL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingError {
    /// A sequence number, `whence` or storage size out of range.
    Invalid,
    /// A record whose source has no slot in the per-source tables.
    BadSource,
    /// An append after [`Ring::freeze`]: the record is counted in [`Ring::late`].
    Frozen,
}

/// Where one reader is.
#[derive(Clone, Debug)]
pub struct Cursor {
    /// Sequence number of the next record to read.
    pub next: u64,
    /// Records with a sequence number below `next`, per source.
    consumed: PerSource,
    /// What this reader wants.
    pub filter: Filter,
    /// Records this reader lost to overrun.
    pub missed: u64,
    /// Records handed to this reader.
    pub read: u64,
}

/// Per-source totals before one sequence number.
#[derive(Clone, Copy, Debug, Default)]
pub struct Checkpoint {
    /// The sequence number (a multiple of [`CHECKPOINT_EVERY`]), 0 if unused.
    seq: u64,
    /// Records with a smaller sequence number, per source.
    before: PerSource,
}

/// One step of a reader through the ring ([`Ring::next`]).
// The record is returned by value on purpose: boxing it would allocate under the lock.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Step {
    /// The next record for this reader (possibly a synthetic overrun notice).
    Record(Record),
    /// Nothing more for this reader; `next_seq` is the ring's, for waiting.
    Empty {
        /// The ring's next sequence number when it was looked at.
        next_seq: u64,
    },
    /// The walk budget ran out before a record passed the filter: call again.
    Budget,
}

/// The ring over storage `S` (records) and `C` (checkpoints).
pub struct Ring<S, C> {
    /// `capacity` records; the record with sequence number `s` is at `s % capacity`.
    slots: S,
    /// `checkpoints_for(capacity)` checkpoints, indexed by `(seq / EVERY) % len`.
    checkpoints: C,
    /// Sequence number the next record gets.
    next_seq: u64,
    /// Records in the ring: those with sequence numbers `next_seq - len..next_seq`.
    len: u64,
    /// Records overwritten since load.
    evicted: u64,
    /// Records overwritten since load, per source.
    evicted_by_source: PerSource,
    /// Records taken since load, per source.
    total_by_source: PerSource,
    /// Per source and severity: sequence number of the newest such record, 0 if none.
    newest: [[u64; SEV_SLOTS]; SRC_SLOTS],
    /// Frozen by a handoff's seal: no record gets a sequence number any more.
    frozen: bool,
    /// Appends refused since the freeze.
    late: u64,
}

/// How many checkpoints a ring of `capacity` records needs: enough that every
/// checkpoint at or after the oldest record is kept.
pub const fn checkpoints_for(capacity: usize) -> usize {
    capacity / CHECKPOINT_EVERY as usize + 2
}

impl<S, C> Ring<S, C>
where
    S: core::ops::DerefMut<Target = [Record]>,
    C: core::ops::DerefMut<Target = [Checkpoint]>,
{
    /// A ring over `slots`; `checkpoints` must hold `checkpoints_for(slots.len())`.
    pub fn new(slots: S, checkpoints: C) -> Result<Self, RingError> {
        let cap = slots.len();
        if !(CAPACITY_MIN..=CAPACITY_MAX).contains(&cap)
            || checkpoints.len() != checkpoints_for(cap)
        {
            return Err(RingError::Invalid);
        }
        Ok(Self {
            slots,
            checkpoints,
            next_seq: 1,
            len: 0,
            evicted: 0,
            evicted_by_source: [0; SRC_SLOTS],
            total_by_source: [0; SRC_SLOTS],
            newest: [[0; SEV_SLOTS]; SRC_SLOTS],
            frozen: false,
            late: 0,
        })
    }

    /// Records the ring holds.
    pub fn capacity(&self) -> u64 {
        self.slots.len() as u64
    }

    /// Records in the ring now.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no record was ever appended (records stay until overwritten).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The sequence number the next record gets.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The oldest sequence number still in the ring (`next_seq` when empty).
    pub fn oldest(&self) -> u64 {
        self.next_seq - self.len
    }

    /// Records overwritten since the ring was made.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Records appended since the ring was made, per source.
    pub fn total_by_source(&self) -> &PerSource {
        &self.total_by_source
    }

    /// Copies the newest records into `out`, oldest first, as many as fit; returns how
    /// many it copied. Walks at most `out.len()` records (crashdump's panic path).
    pub fn copy_newest(&self, out: &mut [Record]) -> usize {
        let n = self.len.min(out.len() as u64);
        let mut copied = 0;
        for (seq, o) in (self.next_seq - n..self.next_seq).zip(out.iter_mut()) {
            if let Some(r) = self.get(seq) {
                *o = *r;
                copied += 1;
            }
        }
        copied
    }

    /// Calls `f` on the newest records, at most `max`, oldest first (a handoff's
    /// seal copies them into the blob); returns how many. Walks at most `max`
    /// records.
    pub fn for_newest(&self, max: usize, mut f: impl FnMut(&Record)) -> usize {
        let n = self.len.min(max as u64);
        let mut seen = 0;
        for seq in self.next_seq - n..self.next_seq {
            if let Some(r) = self.get(seq) {
                f(r);
                seen += 1;
            }
        }
        seen
    }

    /// Freezes the ring: every later [`Ring::append`] is refused and counted in
    /// [`Ring::late`]. A handoff's seal freezes the log it copied, so that no record
    /// after it takes a sequence number the next kernel's log gives again. Readers
    /// still read what the ring holds.
    pub fn freeze(&mut self) {
        self.frozen = true;
    }

    /// Errors refused since [`Ring::freeze`] (see [`late_weight`]).
    pub fn late(&self) -> u64 {
        self.late
    }

    /// Makes an empty ring that was never appended to continue another log's
    /// numbering: the next record gets `next_seq` (a handoff's restore, before the
    /// records handed over are appended with [`Ring::append`]). Fails (and changes
    /// nothing) once a record was appended, or for sequence number 0.
    pub fn resume(&mut self, next_seq: u64) -> Result<(), RingError> {
        if self.next_seq != 1 || self.len != 0 || next_seq == 0 {
            return Err(RingError::Invalid);
        }
        self.next_seq = next_seq;
        Ok(())
    }

    fn slot_of(&self, seq: u64) -> usize {
        // `new` guarantees a non-empty ring; `checked_rem` keeps a panic path out.
        seq.checked_rem(self.capacity()).unwrap_or(0) as usize
    }

    fn get(&self, seq: u64) -> Option<&Record> {
        if seq < self.oldest() || seq >= self.next_seq {
            return None;
        }
        self.slots.get(self.slot_of(seq))
    }

    fn checkpoint_slot(&self, seq: u64) -> usize {
        (seq / CHECKPOINT_EVERY)
            .checked_rem(self.checkpoints.len() as u64)
            .unwrap_or(0) as usize
    }

    /// Appends a copy of `rec`, assigns and returns its sequence number.
    ///
    /// Fails (and changes nothing) for a source outside the per-source tables or a
    /// severity outside the severity slots; fails once the ring is frozen (and counts
    /// the record in [`Ring::late`]).
    pub fn append(&mut self, rec: &Record) -> Result<u64, RingError> {
        let src = usize::from(rec.hdr.source);
        let sev = usize::from(rec.hdr.severity);
        if src >= SRC_SLOTS || sev >= SEV_SLOTS {
            return Err(RingError::BadSource);
        }
        if self.frozen {
            self.late = self.late.saturating_add(late_weight(rec));
            return Err(RingError::Frozen);
        }
        let seq = self.next_seq;
        if seq % CHECKPOINT_EVERY == 0 {
            let idx = self.checkpoint_slot(seq);
            if let Some(cp) = self.checkpoints.get_mut(idx) {
                *cp = Checkpoint {
                    seq,
                    before: self.total_by_source,
                };
            }
        }
        let idx = self.slot_of(seq);
        if self.len == self.capacity() {
            let old = self.slots.get(idx).map_or(0, |r| usize::from(r.hdr.source));
            if let Some(n) = self.evicted_by_source.get_mut(old) {
                *n += 1;
            }
            self.evicted += 1;
        } else {
            self.len += 1;
        }
        if let Some(slot) = self.slots.get_mut(idx) {
            *slot = *rec;
            slot.hdr.seq = seq;
        }
        self.next_seq = seq + 1;
        self.total_by_source[src] += 1;
        self.newest[src][sev] = seq;
        Ok(seq)
    }

    /// Records with a sequence number below `seq`, per source; `seq` in
    /// `oldest()..=next_seq`. Walks fewer than [`CHECKPOINT_EVERY`] records.
    fn counts_before(&self, seq: u64) -> PerSource {
        let cp_seq = seq - seq % CHECKPOINT_EVERY;
        let (mut counts, from) = match self.checkpoints.get(self.checkpoint_slot(cp_seq)) {
            Some(cp) if cp_seq != 0 && cp.seq == cp_seq && cp_seq >= self.oldest() => {
                (cp.before, cp_seq)
            }
            // The checkpoint is older than the ring: start from its oldest record.
            _ => (self.evicted_by_source, self.oldest()),
        };
        for s in from..seq {
            if let Some(n) = self
                .get(s)
                .and_then(|r| counts.get_mut(usize::from(r.hdr.source)))
            {
                *n += 1;
            }
        }
        counts
    }

    /// A cursor at the oldest record in the ring, wanting everything.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            next: self.oldest(),
            consumed: self.evicted_by_source,
            filter: ALL,
            missed: 0,
            read: 0,
        }
    }

    /// Moves `cur` as `HWERR_IOC_SEEK` asks: `SEEK_OLDEST`, `SEEK_NEWEST`, or
    /// `SEEK_SEQ` to a sequence number in `oldest()..=next_seq()`.
    pub fn seek(&self, cur: &mut Cursor, whence: u32, seq: u64) -> Result<(), RingError> {
        match whence {
            abi::SEEK_OLDEST => {
                cur.next = self.oldest();
                cur.consumed = self.evicted_by_source;
            }
            abi::SEEK_NEWEST => {
                cur.next = self.next_seq;
                cur.consumed = self.total_by_source;
            }
            abi::SEEK_SEQ => {
                if seq < self.oldest() || seq > self.next_seq {
                    return Err(RingError::Invalid);
                }
                cur.consumed = self.counts_before(seq);
                cur.next = seq;
            }
            _ => return Err(RingError::Invalid),
        }
        Ok(())
    }

    /// Whether a record at or after `from` passes `filter` (and, with `urgent`, wakes
    /// `POLLPRI` waiters). O(sources x severities).
    fn any_since(&self, filter: &Filter, from: u64, urgent: bool) -> bool {
        self.newest.iter().enumerate().any(|(src, sevs)| {
            sevs.iter().enumerate().any(|(sev, &seq)| {
                let (src, sev) = (src as u8, sev as u8);
                seq != 0
                    && seq >= from
                    && passes_class(filter, src, sev)
                    && (!urgent || is_urgent(src, sev))
            })
        })
    }

    /// `poll()` readiness of a reader at `next` with `filter`: (readable, urgent).
    /// A reader that fell behind is readable (its overrun notice is waiting).
    pub fn readiness(&self, next: u64, filter: &Filter) -> (bool, bool) {
        let behind = next < self.oldest();
        let from = next.max(self.oldest());
        (
            behind || self.any_since(filter, from, false),
            self.any_since(filter, from, true),
        )
    }

    /// The next record for `cur`, advancing it: first an overrun notice if it fell
    /// behind, then the next record that passes its filter. Examines at most `budget`
    /// records. `now` gives the timestamps of an overrun notice.
    pub fn next(&self, cur: &mut Cursor, budget: usize, now: (u64, u64)) -> Step {
        let oldest = self.oldest();
        if cur.next < oldest {
            let mut lost = Lost {
                reason: abi::LOST_OVERRUN,
                first_seq: cur.next,
                ..Lost::default()
            };
            for (s, (ev, seen)) in self
                .evicted_by_source
                .iter()
                .zip(cur.consumed.iter())
                .enumerate()
            {
                let n = ev.saturating_sub(*seen);
                lost.by_source[s] = n;
                lost.total = lost.total.saturating_add(n);
            }
            cur.consumed = self.evicted_by_source;
            cur.missed = cur.missed.saturating_add(lost.total);
            cur.next = oldest;
            cur.read += 1;
            return Step::Record(lost_record(&lost, lost.first_seq, abi::F_SYNTHETIC, now));
        }
        if !self.any_since(&cur.filter, cur.next, false) {
            // Nothing left passes: skip the rest in O(1).
            cur.next = self.next_seq;
            cur.consumed = self.total_by_source;
            return Step::Empty {
                next_seq: self.next_seq,
            };
        }
        for _ in 0..budget.max(1) {
            let Some(rec) = self.get(cur.next) else {
                return Step::Empty {
                    next_seq: self.next_seq,
                };
            };
            if let Some(n) = cur.consumed.get_mut(usize::from(rec.hdr.source)) {
                *n += 1;
            }
            cur.next += 1;
            if passes(&cur.filter, rec) {
                cur.read += 1;
                return Step::Record(*rec);
            }
        }
        Step::Budget
    }
}

/// A record of `source` and `severity` standing for one error, every other field 0.
pub fn blank(source: u8, severity: u8) -> Record {
    Record {
        hdr: abi::Header {
            size: abi::RECORD_SIZE as u16,
            version: abi::ABI_VERSION as u8,
            source,
            severity,
            count: 1,
            ..abi::Header::default()
        },
        payload: [0; abi::PAYLOAD_SIZE],
    }
}

/// A lost-records notice with sequence number `seq`, flags `flags` and timestamps
/// `now` (boottime, realtime).
pub fn lost_record(lost: &Lost, seq: u64, flags: u16, now: (u64, u64)) -> Record {
    use zerocopy::IntoBytes;

    let mut rec = blank(abi::SRC_LOST, abi::SEV_INFO);
    rec.hdr.flags = flags;
    rec.hdr.seq = seq;
    rec.hdr.boottime_ns = now.0;
    rec.hdr.realtime_ns = now.1;
    let bytes = lost.as_bytes();
    if let Some(dst) = rec.payload.get_mut(..bytes.len()) {
        dst.copy_from_slice(bytes);
    }
    rec
}
