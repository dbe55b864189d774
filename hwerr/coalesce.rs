// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! Storm coalescing: pure logic, no locking, no allocation.
//!
//! This file builds in `hwerr.ko` (the log runs it under its lock, before the ring)
//! and in the userspace crate `tools/hwerr-core` (property tests).
//!
//! Two errors are *identical* when they have the same source, severity and
//! identifying fields ([`identity`]): MCE bank, status and address; EDAC controller,
//! layers, type, address and syndrome; AER device, severity and status; GHES section
//! type, FRU, severity and decoded body; NMI type and reason; memory-failure pfn, page
//! type and result; software origin, code, data and message.
//!
//! Semantics, with `window` and `burst` ([`Config`]):
//!
//! - The first `burst` identical errors of a window are logged as they come (so an
//!   agent learns of the first at once). The window of an identity opens with its
//!   first logged error and lasts `window` ns.
//! - Further identical errors inside the window are *folded*: not logged, but counted
//!   in a pending summary that keeps the first folded error's fields.
//! - When the window has passed (checked on every offer, and by the caller's timer at
//!   [`Coalescer::deadline`]), the summary is logged: one record with `count` = the
//!   errors folded, flag `F_COALESCED`, `boottime_ns` the first folded error's and
//!   `last_boottime_ns` the last's. The next identical error opens a new window.
//! - Per source, at most `rate` records (logged errors, not folded ones) per window
//!   (0: no bound). Beyond it, errors of that source that no tracker holds are folded
//!   into one per-source summary with `F_COALESCED | F_MIXED`: its fields are the
//!   first such error's, its `count` covers errors whose fields differ.
//! - At most [`TRACKERS`] identities are tracked; a new identity takes a free tracker
//!   or the one whose window opened first, whose pending summary is logged first.
//!
//! Nothing is lost: the `count`s of all records logged plus the pending counts
//! ([`Coalescer::pending`]) always equal the errors offered, which the property
//! tests check. A storm of identical errors costs at most `burst + 1` records per
//! window; a storm of distinct errors at most `rate + 1` per source per window.

use crate::abi::{self, Record};
use core::mem::offset_of;

/// Identities tracked at once.
pub const TRACKERS: usize = 32;

/// Coalescing parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Window in ns; 0 turns coalescing off.
    pub window_ns: u64,
    /// Identical errors logged individually per window (at least 1).
    pub burst: u32,
    /// Records per source per window; 0 for no bound.
    pub rate: u32,
}

impl Config {
    /// hwerr's defaults: 1 s windows, the first 2 identical errors logged, at most
    /// 1000 records per source per second.
    pub const DEFAULT: Config = Config {
        window_ns: 1_000_000_000,
        burst: 2,
        rate: 1000,
    };
}

/// What to do with an offered record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Log it.
    Log,
    /// It was folded into a pending summary: do not log it.
    Fold,
}

/// The payload byte ranges that identify an error of `source`.
fn identity_ranges(source: u8) -> &'static [(usize, usize)] {
    use abi::{Aer, Cper, Edac, Mce, MemoryFailure, Nmi, Software};
    const fn r(start: usize, end: usize) -> (usize, usize) {
        (start, end)
    }
    const MCE: &[(usize, usize)] = &[
        r(offset_of!(Mce, status), offset_of!(Mce, misc)),
        r(offset_of!(Mce, bank), offset_of!(Mce, bank) + 1),
    ];
    const EDAC: &[(usize, usize)] = &[
        r(offset_of!(Edac, address), offset_of!(Edac, error_count)),
        r(offset_of!(Edac, err_type), offset_of!(Edac, grain_bits)),
    ];
    const AER: &[(usize, usize)] = &[
        r(offset_of!(Aer, segment), offset_of!(Aer, tlp_header_valid)),
        r(offset_of!(Aer, status), offset_of!(Aer, status) + 4),
    ];
    const NMI: &[(usize, usize)] = &[r(0, core::mem::size_of::<Nmi>())];
    const GHES: &[(usize, usize)] = &[
        r(0, offset_of!(Cper, reserved)),
        r(abi::CPER_U_OFFSET, abi::CPER_U_OFFSET + 64),
    ];
    const MF: &[(usize, usize)] = &[r(
        offset_of!(MemoryFailure, pfn),
        offset_of!(MemoryFailure, pid),
    )];
    const SW: &[(usize, usize)] = &[
        r(offset_of!(Software, code), offset_of!(Software, reserved)),
        r(offset_of!(Software, data), core::mem::size_of::<Software>()),
    ];
    match source {
        abi::SRC_MCE => MCE,
        abi::SRC_EDAC => EDAC,
        abi::SRC_AER => AER,
        abi::SRC_NMI => NMI,
        abi::SRC_GHES => GHES,
        abi::SRC_MEMORY_FAILURE => MF,
        abi::SRC_SOFTWARE => SW,
        _ => &[],
    }
}

/// Whether `a` and `b` are the same error (see the module documentation).
pub fn identical(a: &Record, b: &Record) -> bool {
    a.hdr.source == b.hdr.source
        && a.hdr.severity == b.hdr.severity
        && identity_ranges(a.hdr.source)
            .iter()
            .all(|&(s, e)| a.payload.get(s..e) == b.payload.get(s..e))
}

/// Whether records of `source` are ever coalesced (lost-record notices are not).
pub fn coalescable(source: u8) -> bool {
    !identity_ranges(source).is_empty()
}

/// One tracked identity (or one source's overflow). Storage for [`Coalescer`].
#[derive(Clone, Copy)]
pub struct Tracker {
    used: bool,
    /// The identity (the first logged error of the window), or for a per-source
    /// overflow summary, the first folded error.
    key: Record,
    /// When the window opened.
    start_ns: u64,
    /// Errors logged individually in this window.
    logged: u32,
    /// Errors folded since the last summary.
    folded: u32,
    /// The first folded error (its fields go into the summary).
    first: Record,
    /// Time of the last folded error.
    last_ns: u64,
}

const EMPTY: Record = Record {
    hdr: abi::Header {
        size: 0,
        version: 0,
        source: 0,
        severity: 0,
        boot: 0,
        flags: 0,
        cpu: 0,
        count: 0,
        seq: 0,
        boottime_ns: 0,
        realtime_ns: 0,
        last_boottime_ns: 0,
    },
    payload: [0; abi::PAYLOAD_SIZE],
};

/// An unused tracker, to fill the storage with.
pub const FREE: Tracker = Tracker {
    used: false,
    key: EMPTY,
    start_ns: 0,
    logged: 0,
    folded: 0,
    first: EMPTY,
    last_ns: 0,
};

/// Per-source rate window.
#[derive(Clone, Copy, Default)]
struct SourceWindow {
    start_ns: u64,
    logged: u32,
}

/// Trackers a [`Coalescer`]'s storage holds: the identities, then one overflow
/// tracker per source.
pub const STORAGE: usize = TRACKERS + abi::SRC_SLOTS;

/// The coalescer's state over storage `S` of [`STORAGE`] trackers (about 17 KiB:
/// the kernel keeps it on the heap, never on the stack).
pub struct Coalescer<S> {
    cfg: Config,
    storage: S,
    sources: [SourceWindow; abi::SRC_SLOTS],
}

fn sane(mut cfg: Config) -> Config {
    if cfg.burst == 0 {
        cfg.burst = 1;
    }
    cfg
}

impl<S: core::ops::DerefMut<Target = [Tracker]>> Coalescer<S> {
    /// A coalescer with `cfg` (burst raised to at least 1) over `storage`, which must
    /// hold [`STORAGE`] trackers (else `None`); every tracker is reset.
    pub fn new(cfg: Config, mut storage: S) -> Option<Self> {
        if storage.len() != STORAGE {
            return None;
        }
        storage.iter_mut().for_each(|t| *t = FREE);
        Some(Self {
            cfg: sane(cfg),
            storage,
            sources: [SourceWindow::default(); abi::SRC_SLOTS],
        })
    }

    /// The parameters in force.
    pub fn config(&self) -> Config {
        self.cfg
    }

    /// Changes the parameters; pending summaries are emitted first.
    pub fn set_config(&mut self, cfg: Config, emit: &mut impl FnMut(Record)) {
        self.flush_all(emit);
        self.cfg = sane(cfg);
        self.sources = [SourceWindow::default(); abi::SRC_SLOTS];
    }

    fn trackers(&self) -> &[Tracker] {
        self.storage.get(..TRACKERS).unwrap_or(&[])
    }

    fn trackers_mut(&mut self) -> &mut [Tracker] {
        self.storage.get_mut(..TRACKERS).unwrap_or(&mut [])
    }

    fn overflow_mut(&mut self) -> &mut [Tracker] {
        self.storage.get_mut(TRACKERS..).unwrap_or(&mut [])
    }

    /// The summary of `t`'s folded errors, if any; `t` keeps its window.
    fn take_summary(t: &mut Tracker, mixed: bool) -> Option<Record> {
        if t.folded == 0 {
            return None;
        }
        let mut rec = t.first;
        rec.hdr.count = t.folded;
        rec.hdr.flags |= abi::F_COALESCED | if mixed { abi::F_MIXED } else { 0 };
        rec.hdr.last_boottime_ns = t.last_ns;
        t.folded = 0;
        Some(rec)
    }

    /// Emits the summaries of every window that has passed at `now_ns`, and frees
    /// their trackers. Walks `TRACKERS + SRC_SLOTS` entries.
    pub fn flush_expired(&mut self, now_ns: u64, emit: &mut impl FnMut(Record)) {
        let window = self.cfg.window_ns;
        let passed = |start: u64| now_ns.saturating_sub(start) >= window;
        for (i, t) in self.storage.iter_mut().enumerate() {
            if t.used && passed(t.start_ns) {
                if let Some(r) = Self::take_summary(t, i >= TRACKERS) {
                    emit(r);
                }
                t.used = false;
            }
        }
    }

    /// Emits every pending summary now (unload, configuration change).
    pub fn flush_all(&mut self, emit: &mut impl FnMut(Record)) {
        for (i, t) in self.storage.iter_mut().enumerate() {
            if t.used {
                if let Some(r) = Self::take_summary(t, i >= TRACKERS) {
                    emit(r);
                }
                t.used = false;
            }
        }
    }

    /// Errors folded and not yet emitted, per source.
    pub fn pending(&self) -> [u64; abi::SRC_SLOTS] {
        let mut p = [0u64; abi::SRC_SLOTS];
        for t in self.storage.iter().filter(|t| t.used) {
            if let Some(n) = p.get_mut(usize::from(t.first.hdr.source)) {
                *n += u64::from(t.folded);
            }
        }
        p
    }

    /// When the earliest window with a pending summary ends, if any.
    pub fn deadline(&self) -> Option<u64> {
        self.storage
            .iter()
            .filter(|t| t.used && t.folded > 0)
            .map(|t| t.start_ns.saturating_add(self.cfg.window_ns))
            .min()
    }

    /// Folds `rec` into `t`; a summary about to overflow `count` is emitted first.
    fn fold(
        t: &mut Tracker,
        rec: &Record,
        now_ns: u64,
        mixed: bool,
        emit: &mut impl FnMut(Record),
    ) {
        if t.folded == u32::MAX {
            if let Some(r) = Self::take_summary(t, mixed) {
                emit(r);
            }
        }
        if t.folded == 0 {
            t.first = *rec;
        }
        t.folded += 1;
        t.last_ns = now_ns;
    }

    /// Offers a record captured at `rec.hdr.boottime_ns`: emits any summary that is
    /// due (through `emit`, before the record), then says whether to log `rec`.
    /// Bounded: walks at most `TRACKERS + SRC_SLOTS` entries.
    pub fn offer(&mut self, rec: &Record, emit: &mut impl FnMut(Record)) -> Verdict {
        let now = rec.hdr.boottime_ns;
        // A previous boot's record (crashdump) carries that kernel's clock: it is
        // logged as it is, never folded with this boot's.
        if self.cfg.window_ns == 0
            || !coalescable(rec.hdr.source)
            || rec.hdr.flags & abi::F_PREVIOUS_BOOT != 0
        {
            return Verdict::Log;
        }
        self.flush_expired(now, emit);
        let src = usize::from(rec.hdr.source);
        let burst = self.cfg.burst;
        if let Some(t) = self
            .trackers_mut()
            .iter_mut()
            .find(|t| t.used && identical(&t.key, rec))
        {
            if t.logged < burst {
                t.logged += 1;
                return Verdict::Log;
            }
            Self::fold(t, rec, now, false, emit);
            return Verdict::Fold;
        }
        // A new identity: first the source's rate bound.
        let (window, rate) = (self.cfg.window_ns, self.cfg.rate);
        let mut over = None;
        if let Some(sw) = self.sources.get_mut(src) {
            if now.saturating_sub(sw.start_ns) >= window || sw.logged == 0 {
                *sw = SourceWindow {
                    start_ns: now,
                    logged: 0,
                };
            }
            if rate != 0 && sw.logged >= rate {
                over = Some(sw.start_ns);
            } else {
                sw.logged += 1;
            }
        }
        if let Some(start_ns) = over {
            if let Some(t) = self.overflow_mut().get_mut(src) {
                if !t.used {
                    *t = Tracker {
                        used: true,
                        key: *rec,
                        start_ns,
                        ..FREE
                    };
                }
                Self::fold(t, rec, now, true, emit);
                return Verdict::Fold;
            }
        }
        // Track it: a free tracker, or the oldest window's (its summary goes first).
        let idx = match self.trackers().iter().position(|t| !t.used) {
            Some(i) => i,
            None => {
                let i = self
                    .trackers()
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, t)| t.start_ns)
                    .map_or(0, |(i, _)| i);
                if let Some(t) = self.trackers_mut().get_mut(i) {
                    if let Some(r) = Self::take_summary(t, false) {
                        emit(r);
                    }
                }
                i
            }
        };
        if let Some(t) = self.trackers_mut().get_mut(idx) {
            *t = Tracker {
                used: true,
                key: *rec,
                start_ns: now,
                logged: 1,
                ..FREE
            };
        }
        Verdict::Log
    }
}
