// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! crashdump's state, in one of two modes.
//!
//! - **Live** (a normal kernel): a [`record::REGION_SIZE`] region of physically
//!   contiguous memory holds a valid crash record at all times. As a hwerr consumer,
//!   [`Live`] rewrites it (state `LIVE`) after every record: the newest hwerr records,
//!   hadetect's last record (the health after it) and cluster_msg's last record per
//!   node. The panic and die notifiers (`hooks.c`) call [`crashdump_write_crash`],
//!   which rewrites it once more (state `CRASHED`): the reason and message, hwerr's
//!   newest records including those captured but never logged, the same state
//!   records, and the kernel log's tail. A capture kernel finds the region through
//!   `crashdump.record_addr=` on its command line (sysfs `cmdline`).
//! - **Capture** (a kdump kernel loaded with `record_addr`): [`Found`] is the
//!   validated copy of the crashed kernel's record; it is published on sysfs and as a
//!   `SRC_CRASH` record followed by the records it holds, flagged `F_PREVIOUS_BOOT`.
//!
//! Who writes the region: the live writer (the consumer, process context, under
//! [`Live::inner`]) while [`Live::busy`] is 1; the crash writer (panic or die) while
//! [`Live::writing`] is 1, after setting [`Live::crashed`], which stops the live
//! writer for good. A crash writer waits at most [`BUSY_WAIT_US`] for a live write to
//! end: in a panic the other CPUs are stopped, and a live write they were in never
//! ends (it is overwritten). No lock is taken and nothing is allocated on the crash
//! path.

use crate::abi::{self, Record};
use crate::hwerr;
use crate::record::{self, Meta, Writer};
use crate::sysfs::{self, SysfsBuf};
use core::{cell::UnsafeCell, fmt::Write, ptr};
use kernel::{
    new_mutex,
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Full, Relaxed, Release},
        barrier::{smp_rmb, smp_wmb},
        Arc, Mutex,
    },
};
use zerocopy::{FromBytes, FromZeros, IntoBytes};

pub(crate) mod ffi {
    use kernel::prelude::*;

    /// `struct crashdump_env` (`hooks.h`).
    #[repr(C)]
    pub(crate) struct Env {
        pub(crate) cpu: u32,
        pub(crate) kdump_loaded: u32,
        pub(crate) taint: u64,
        pub(crate) realtime_ns: u64,
        pub(crate) boottime_ns: u64,
        pub(crate) release: [u8; 64],
    }

    extern "C" {
        // hooks.c; see hooks.h for each one's context.
        pub(crate) fn crashdump_region_alloc(size: usize, phys: *mut u64) -> *mut c_void;
        pub(crate) fn crashdump_region_free(virt: *mut c_void, size: usize);
        pub(crate) fn crashdump_oldmem_map(phys: u64, size: usize) -> *mut c_void;
        pub(crate) fn crashdump_oldmem_unmap(virt: *mut c_void);
        pub(crate) fn crashdump_is_kdump_kernel() -> bool;
        pub(crate) fn crashdump_env(env: *mut Env);
        pub(crate) fn crashdump_log_tail(buf: *mut u8, len: usize, cut: *mut bool) -> usize;
        pub(crate) fn crashdump_relax_us(us: u32);
        pub(crate) fn crashdump_preempt_off();
        pub(crate) fn crashdump_preempt_on();
    }
}

/// `CRASHDUMP_HOOK_PANIC` (`hooks.h`).
const HOOK_PANIC: u32 = 1;
/// `CRASHDUMP_HOOK_DIE` (`hooks.h`).
const HOOK_DIE: u32 = 2;

/// How long a crash writer waits for a live write to end, µs.
const BUSY_WAIT_US: u32 = 10_000;

/// `hwerr_crash.error` when the record's memory could not be read (crashdump.rst):
/// after the codec's codes 1..=10.
pub(crate) const ERROR_UNREADABLE: u32 = 11;

/// A record's 32 words, as the state shadow keeps it.
const WORDS: usize = abi::RECORD_SIZE / 8;

fn env() -> ffi::Env {
    let mut e = ffi::Env {
        cpu: 0,
        kdump_loaded: 0,
        taint: 0,
        realtime_ns: 0,
        boottime_ns: 0,
        release: [0; 64],
    };
    // SAFETY: `e` is writable; any context.
    unsafe { ffi::crashdump_env(&mut e) };
    e
}

/// The region a live kernel keeps its record in.
///
/// # Invariants
///
/// `virt` points to [`record::REGION_SIZE`] bytes from `crashdump_region_alloc()`,
/// at physical address `phys`, owned by this and freed on drop.
struct Region {
    virt: *mut u8,
    phys: u64,
}

impl Region {
    /// Allocates a zeroed region. Context: process.
    fn new() -> Result<Self> {
        let mut phys = 0;
        // SAFETY: Process context; `phys` is writable.
        let virt = unsafe { ffi::crashdump_region_alloc(record::REGION_SIZE, &mut phys) };
        if virt.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: As allocated.
        Ok(Self {
            virt: virt.cast(),
            phys,
        })
    }

    /// The region's bytes, to write.
    ///
    /// # Safety
    ///
    /// Nothing else reads or writes the region while the slice lives (the writers'
    /// protocol in the module documentation).
    #[allow(clippy::mut_from_ref)]
    unsafe fn bytes_mut(&self) -> &mut [u8] {
        // SAFETY: By the type invariant and the safety requirements.
        unsafe { core::slice::from_raw_parts_mut(self.virt, record::REGION_SIZE) }
    }

    /// The region's bytes, to read.
    ///
    /// # Safety
    ///
    /// Nothing writes the region while the slice lives.
    unsafe fn bytes(&self) -> &[u8] {
        // SAFETY: By the type invariant and the safety requirements.
        unsafe { core::slice::from_raw_parts(self.virt, record::REGION_SIZE) }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: By the type invariant; process context (module unload).
        unsafe { ffi::crashdump_region_free(self.virt.cast(), record::REGION_SIZE) };
    }
}

/// The state records (hadetect's last, cluster_msg's last per node) for the crash
/// writer, which must not take the live writer's mutex: the live writer stores them
/// word by word between two increments of `seq` (odd while it writes), and the crash
/// writer sees from `seq` whether its copy may be torn.
struct Shadow {
    seq: Atomic<u32>,
    nr: Atomic<u32>,
    words: KVec<Atomic<u64>>,
}

impl Shadow {
    fn new() -> Result<Self> {
        let mut words = KVec::with_capacity(record::MAX_STATE * WORDS, GFP_KERNEL)?;
        for _ in 0..record::MAX_STATE * WORDS {
            words.push(Atomic::new(0), GFP_KERNEL)?;
        }
        Ok(Self {
            seq: Atomic::new(0),
            nr: Atomic::new(0),
            words,
        })
    }

    /// Stores `recs` (at most `MAX_STATE`), as `write_seqcount_begin()` and
    /// `_end()` would. Context: the live writer only.
    fn store<'a>(&self, recs: impl Iterator<Item = &'a Record>) {
        let s = self.seq.load(Relaxed);
        self.seq.store(s.wrapping_add(1), Relaxed);
        // The odd count is visible before any word changes.
        smp_wmb();
        let mut n = 0u32;
        for (rec, slot) in recs.zip(self.words.chunks_exact(WORDS)) {
            for (w, chunk) in slot.iter().zip(rec.as_bytes().chunks_exact(8)) {
                let mut b = [0u8; 8];
                b.copy_from_slice(chunk);
                w.store(u64::from_ne_bytes(b), Relaxed);
            }
            n += 1;
        }
        self.nr.store(n, Relaxed);
        self.seq.store(s.wrapping_add(2), Release);
    }

    /// Pushes the records to `w`; returns whether the copy may be torn (as
    /// `read_seqcount_retry()` would say; a crash writer does not retry: the writer
    /// may be a CPU the panic stopped). Context: any (the crash writer).
    fn push_to(&self, w: &mut Writer<'_>) -> bool {
        let before = self.seq.load(Acquire);
        let nr = (self.nr.load(Relaxed) as usize).min(record::MAX_STATE);
        let mut rec = [0u8; abi::RECORD_SIZE];
        for slot in self.words.chunks_exact(WORDS).take(nr) {
            for (chunk, word) in rec.chunks_exact_mut(8).zip(slot.iter()) {
                chunk.copy_from_slice(&word.load(Relaxed).to_ne_bytes());
            }
            w.push_state(&rec);
        }
        // Every word is read before the count is read again.
        smp_rmb();
        before % 2 == 1 || self.seq.load(Relaxed) != before
    }
}

/// What the live writer keeps, under [`Live::inner`].
struct LiveInner {
    /// The newest hwerr records, a ring of `MAX_RECORDS`: `recent[(head + i) % len]`
    /// is the i-th oldest once full.
    recent: KVec<Record>,
    head: usize,
    /// hadetect's last record: the health after it.
    health: Option<Record>,
    /// cluster_msg's last record per node id (its own node's too).
    nodes: KVec<Record>,
    /// The last sequence number seen.
    last_seq: u64,
    /// Records seen since load: more than `MAX_RECORDS`, and the oldest are gone.
    seen: u64,
}

impl LiveInner {
    fn remember(&mut self, rec: &Record) -> Result {
        self.last_seq = rec.hdr.seq;
        self.seen = self.seen.saturating_add(1);
        match rec.hdr.source {
            abi::SRC_HADETECT => self.health = Some(*rec),
            abi::SRC_CLUSTER => {
                let node =
                    abi::Cluster::read_from_prefix(&rec.payload[..]).map_or(0, |(c, _)| c.node);
                let same = |r: &Record| {
                    abi::Cluster::read_from_prefix(&r.payload[..])
                        .is_ok_and(|(c, _)| c.node == node)
                };
                if let Some(r) = self.nodes.iter_mut().find(|r| same(r)) {
                    *r = *rec;
                } else if self.nodes.len() < record::MAX_STATE - 1 {
                    self.nodes.push(*rec, GFP_KERNEL)?;
                }
            }
            _ => {}
        }
        if self.recent.len() < record::MAX_RECORDS {
            self.recent.push(*rec, GFP_KERNEL)?;
        } else if let Some(slot) = self.recent.get_mut(self.head) {
            *slot = *rec;
            self.head = (self.head + 1) % record::MAX_RECORDS;
        }
        Ok(())
    }

    fn recent(&self) -> impl Iterator<Item = &Record> {
        let (new, old) = self.recent.split_at(self.head.min(self.recent.len()));
        Iterator::chain(old.iter(), new.iter())
    }

    fn state(&self) -> impl Iterator<Item = &Record> {
        Iterator::chain(self.health.iter(), self.nodes.iter())
    }
}

/// A normal kernel's record: see the module documentation.
#[pin_data]
pub(crate) struct Live {
    region: Region,
    shadow: Shadow,
    /// The crash writer's copy of hwerr's newest records; only the crash writer (one
    /// at a time, `writing`) touches it.
    scratch: UnsafeCell<KVec<Record>>,
    /// 1 while the live writer writes the region.
    busy: Atomic<u32>,
    /// The hook that took the region for a crash record (`HOOK_*`), 0 before.
    crashed: Atomic<u32>,
    /// 1 while a crash writer runs.
    writing: Atomic<u32>,
    generation: Atomic<u64>,
    #[pin]
    inner: Mutex<LiveInner>,
}

// SAFETY: `region` and `scratch` are only written under the writers' protocol (the
// module documentation): `busy` for the live writer, which `inner` serializes;
// `writing` for the crash writer. Everything else is atomic or under `inner`.
unsafe impl Send for Live {}
// SAFETY: As above.
unsafe impl Sync for Live {}

impl Live {
    /// A region holding an empty live record. Context: process.
    pub(crate) fn new() -> Result<impl PinInit<Self, Error>> {
        let mut scratch = KVec::with_capacity(record::MAX_RECORDS, GFP_KERNEL)?;
        let blank = Record::new_zeroed();
        for _ in 0..record::MAX_RECORDS {
            scratch.push(blank, GFP_KERNEL)?;
        }
        let region = Region::new()?;
        let shadow = Shadow::new()?;
        let recent = KVec::with_capacity(record::MAX_RECORDS, GFP_KERNEL)?;
        let nodes = KVec::with_capacity(record::MAX_STATE, GFP_KERNEL)?;
        Ok(try_pin_init!(Self {
            region,
            shadow,
            scratch: UnsafeCell::new(scratch),
            busy: Atomic::new(0),
            crashed: Atomic::new(0),
            writing: Atomic::new(0),
            generation: Atomic::new(0),
            inner <- new_mutex!(LiveInner {
                recent,
                head: 0,
                health: None,
                nodes,
                last_seq: 0,
                seen: 0,
            }),
        }? Error))
    }

    /// The region's physical address.
    pub(crate) fn phys(&self) -> u64 {
        self.region.phys
    }

    /// A record's header values from `e`, with the next generation. Context: any.
    fn meta(&self, e: &ffi::Env, state: u32, reason: u32, flags: u32) -> Meta {
        let mut meta = Meta {
            generation: self.generation.fetch_add(1, Relaxed).wrapping_add(1),
            state,
            reason,
            cpu: e.cpu,
            flags,
            realtime_ns: e.realtime_ns,
            boottime_ns: e.boottime_ns,
            taint: e.taint,
            ..Meta::ZERO
        };
        meta.set_release(&e.release);
        meta
    }

    /// Rewrites the live record from `g`. Context: process, `g` held; the region is
    /// written with preemption off (a bounded copy and checksum), so that a crash
    /// writer's bounded wait for `busy` covers it.
    fn write_live(&self, g: &LiveInner) {
        self.shadow.store(g.state());
        // Each side stores its flag, then reads the other's: fully ordered, so that
        // a live writer and a crash writer never both go ahead.
        if self.busy.cmpxchg(0, 1, Full).is_err() {
            return;
        }
        // SAFETY: Paired with `crashdump_preempt_on()` below; process context.
        unsafe { ffi::crashdump_preempt_off() };
        if self.crashed.load(Relaxed) == 0 {
            // SAFETY: `busy` is ours and no crash writer has started: it sets
            // `crashed` first, then waits for `busy` (10 ms, far longer than this
            // preemption-off section). sysfs readers hold `inner`, as we do.
            let buf = unsafe { self.region.bytes_mut() };
            if let Ok(mut w) = Writer::new(buf) {
                for rec in g.recent() {
                    w.push_record(rec.as_bytes());
                }
                for rec in g.state() {
                    w.push_state(rec.as_bytes());
                }
                let e = env();
                let mut flags = 0;
                if e.kdump_loaded != 0 {
                    flags |= record::F_KDUMP_LOADED;
                }
                if g.seen > record::MAX_RECORDS as u64 {
                    flags |= record::F_RECORDS_TRUNCATED;
                }
                let meta = self.meta(&e, record::STATE_LIVE, record::REASON_NONE, flags);
                w.finish(&Meta {
                    last_seq: g.last_seq,
                    ..meta
                });
            }
        }
        // SAFETY: Paired with `crashdump_preempt_off()` above.
        unsafe { ffi::crashdump_preempt_on() };
        self.busy.store(0, Release);
    }

    /// Writes the first live record. Context: process.
    pub(crate) fn start(&self) {
        let g = self.inner.lock();
        self.write_live(&g);
    }

    /// The crash record. Context: panic or die; see [`crashdump_write_crash`].
    fn write_crash(&self, hook: u32, msg: &[u8], hw_fatal: bool) {
        // One crash writer at a time. A panic takes over after a bounded wait from a
        // die writer that another CPU was running: the panic stopped that CPU (or it
        // faulted in the writer), and its record would stay half written.
        let mut waited = 0;
        while self.writing.cmpxchg(0, 1, Acquire).is_err() {
            if hook != HOOK_PANIC {
                return; // another CPU is writing one
            }
            if waited >= BUSY_WAIT_US {
                break;
            }
            // SAFETY: Any context.
            unsafe { ffi::crashdump_relax_us(10) };
            waited += 10;
        }
        let before = self.crashed.xchg(hook, Full);
        waited = 0;
        while self.busy.load(Acquire) != 0 && waited < BUSY_WAIT_US {
            // SAFETY: Any context.
            unsafe { ffi::crashdump_relax_us(10) };
            waited += 10;
        }
        // SAFETY: `writing` is ours (or its owner is a CPU the panic stopped),
        // `crashed` stops the live writer, and a live write still running now is on a
        // CPU the panic stopped: it never resumes. (An oops whose live writer is
        // still in its preemption-off section after 10 ms would race with this one:
        // only a CPU held for that long, by NMIs or a hypervisor, could be.)
        let buf = unsafe { self.region.bytes_mut() };
        // SAFETY: As above: only the crash writer touches `scratch`.
        let scratch = unsafe { &mut *self.scratch.get() };
        let snap = hwerr::crash_snapshot(scratch).unwrap_or_default();
        let taken = (snap.logged + snap.unlogged) as usize;
        let Ok(mut w) = Writer::new(buf) else {
            self.writing.store(0, Release);
            return;
        };
        w.set_message(msg);
        for rec in scratch.iter().take(taken) {
            w.push_record(rec.as_bytes());
        }
        let torn = self.shadow.push_to(&mut w);
        let mut cut = false;
        let area = w.log_area();
        // SAFETY: `area` is writable for its length; panic or die context.
        let n = unsafe { ffi::crashdump_log_tail(area.as_mut_ptr(), area.len(), &mut cut) };
        w.set_log_len(n);
        let e = env();
        let oops = hook == HOOK_DIE || before == HOOK_DIE;
        let reason = if oops {
            record::REASON_OOPS
        } else if hw_fatal {
            record::REASON_HW_FATAL
        } else {
            record::REASON_PANIC
        };
        let mut flags = match hook {
            HOOK_DIE => record::F_DIE_NOTIFIER,
            _ => record::F_PANIC_NOTIFIER,
        };
        if before == HOOK_DIE {
            flags |= record::F_DIE_NOTIFIER;
        }
        if snap.log_busy {
            flags |= record::F_LOG_BUSY;
        }
        if torn {
            flags |= record::F_STATE_TORN;
        }
        if cut {
            flags |= record::F_LOG_TRUNCATED;
        }
        // The log held older records than the ones copied.
        if snap.last_seq > u64::from(snap.logged) {
            flags |= record::F_RECORDS_TRUNCATED;
        }
        if e.kdump_loaded != 0 {
            flags |= record::F_KDUMP_LOADED;
            // The notifiers run before the capture kernel only with this option.
            if hook == HOOK_PANIC {
                flags |= record::F_POST_NOTIFIERS;
            }
        }
        let meta = self.meta(&e, record::STATE_CRASHED, reason, flags);
        w.finish(&Meta {
            last_seq: snap.last_seq,
            unlogged: snap.unlogged,
            ..meta
        });
        self.writing.store(0, Release);
    }

    /// Copies the record's bytes from `off` into `out` (sysfs `record`); returns how
    /// many. Context: process.
    fn read(&self, off: usize, out: &mut [u8]) -> usize {
        let _g = self.inner.lock();
        // SAFETY: The live writer is excluded by `inner`; a crash writer runs only in
        // an oops on another CPU (the copy may then be torn: the kernel is broken).
        let bytes = unsafe { self.region.bytes() };
        let total = record::parse(bytes).map_or(0, |p| p.covered());
        copy_from(bytes.get(..total).unwrap_or(&[]), off, out)
    }
}

impl hwerr::Consumer for Live {
    fn notify(&self, rec: &Record) {
        let mut g = self.inner.lock();
        if g.remember(rec).is_ok() {
            self.write_live(&g);
        }
    }
}

/// Copies `src[off..]` into `out`; returns how many bytes.
fn copy_from(src: &[u8], off: usize, out: &mut [u8]) -> usize {
    let Some(rest) = src.get(off..) else {
        return 0;
    };
    let n = rest.len().min(out.len());
    if let (Some(d), Some(s)) = (out.get_mut(..n), rest.get(..n)) {
        d.copy_from_slice(s);
    }
    n
}

/// What a capture kernel found at `record_addr`.
pub(crate) struct Found {
    addr: u64,
    /// `abi::CRASH_*` status.
    status: u32,
    /// With `CRASH_INVALID`: the codec's code, or [`ERROR_UNREADABLE`].
    error: u32,
    /// The valid record's bytes (its `total_size`), else empty.
    bytes: KVec<u8>,
}

impl Found {
    /// Reads and validates the record at `addr` (0: none given). Context: process.
    pub(crate) fn read(addr: u64) -> Result<Self> {
        let mut found = Self {
            addr,
            status: abi::CRASH_NONE,
            error: 0,
            bytes: KVec::new(),
        };
        if addr == 0 {
            return Ok(found);
        }
        found.status = abi::CRASH_INVALID;
        // SAFETY: Process context.
        let virt = unsafe { ffi::crashdump_oldmem_map(addr, record::REGION_SIZE) };
        if kernel::error::from_err_ptr(virt).is_err() {
            found.error = ERROR_UNREADABLE;
            return Ok(found);
        }
        let mut bytes = KVec::with_capacity(record::REGION_SIZE, GFP_KERNEL)?;
        // SAFETY: `virt` maps `REGION_SIZE` readable bytes; `bytes` has room for them.
        unsafe {
            ptr::copy_nonoverlapping(virt.cast::<u8>(), bytes.as_mut_ptr(), record::REGION_SIZE);
            bytes.inc_len(record::REGION_SIZE);
            ffi::crashdump_oldmem_unmap(virt);
        }
        match record::parse(&bytes) {
            Ok(p) => {
                let n = p.covered();
                bytes.truncate(n);
                found.status = abi::CRASH_VALID;
                found.bytes = bytes;
            }
            Err(inv) => found.error = inv.code(),
        }
        Ok(found)
    }

    /// Says in the kernel log what was found. Context: process.
    pub(crate) fn log(&self) {
        match (self.status, record::parse(&self.bytes)) {
            (abi::CRASH_VALID, Ok(p)) => pr_info!(
                "crash record at {:#x}: valid, {} ({}), {} records, {} bytes of log\n",
                self.addr,
                record::state_name(p.meta.state),
                record::reason_name(p.meta.reason),
                p.sections.records_nr,
                p.sections.log_len
            ),
            (abi::CRASH_NONE, _) => {
                pr_info!("no crash record address given (crashdump.record_addr=)\n")
            }
            _ => pr_warn!(
                "no valid crash record at {:#x}: {}\n",
                self.addr,
                error_name(self.error)
            ),
        }
    }

    /// The `SRC_CRASH` record, then every record the crash record holds, flagged
    /// `F_PREVIOUS_BOOT`. Returns how many of those hwerr refused. Context: process.
    pub(crate) fn publish(&self) -> u32 {
        let mut c = abi::Crash::new_zeroed();
        c.status = self.status;
        c.error = self.error;
        c.addr = self.addr;
        let mut severity = abi::SEV_INFO;
        let parsed = record::parse(&self.bytes).ok();
        if let Some(p) = &parsed {
            c.state = p.meta.state;
            c.reason = p.meta.reason;
            c.cpu = p.meta.cpu;
            c.flags = p.meta.flags;
            c.generation = p.meta.generation;
            c.realtime_ns = p.meta.realtime_ns;
            c.taint = p.meta.taint;
            c.last_seq = p.meta.last_seq;
            c.records = p.sections.records_nr;
            c.log_len = p.sections.log_len;
            let msg = p.message();
            let n = msg.len().min(c.message.len() - 1);
            c.message[..n].copy_from_slice(&msg[..n]);
            if p.meta.state == record::STATE_CRASHED {
                severity = abi::SEV_FATAL;
            }
        }
        if hwerr::report_event(abi::SRC_CRASH, severity, &c).is_err() {
            pr_warn!("could not log the crash record's summary on /dev/hwerr\n");
        }
        let mut refused = 0;
        if let Some(p) = &parsed {
            for bytes in Iterator::chain(p.records(), p.state()) {
                let ok = Record::read_from_bytes(bytes)
                    .ok()
                    .is_some_and(|r| hwerr::report_previous(&r).is_ok());
                refused += u32::from(!ok);
            }
        }
        refused
    }
}

/// The module's state, in its mode.
pub(crate) enum Mode {
    /// A normal kernel.
    Live(Pin<KBox<hwerr::ConsumerRegistration<Live>>>),
    /// A capture kernel.
    Capture(Found),
}

/// One per module; published for the C entry points while the module runs.
pub(crate) struct Crashdump {
    pub(crate) mode: Mode,
}

/// The published state, for the C entry points.
///
/// # Invariants
///
/// Null, or a `Crashdump` that stays alive until this is set back to null and every
/// caller that loaded it has returned: the module unpublishes it after removing the
/// hooks and the sysfs directory, whose callbacks are the only callers.
static STATE: Atomic<*const Crashdump> = Atomic::new(ptr::null());

fn state() -> Option<&'static Crashdump> {
    let p = STATE.load(Acquire);
    // SAFETY: By the invariant of `STATE`, a non-null pointer is a live `Crashdump`.
    (!p.is_null()).then(|| unsafe { &*p })
}

/// The state published for the C entry points for as long as this lives.
pub(crate) struct Published(Arc<Crashdump>);

impl Published {
    /// Publishes `cd`.
    ///
    /// # Safety
    ///
    /// Everything that calls the C entry points (the hooks, the sysfs directory) is
    /// gone before this is dropped.
    pub(crate) unsafe fn new(cd: Arc<Crashdump>) -> Self {
        STATE.store(ptr::from_ref(&*cd), Release);
        Self(cd)
    }

    pub(crate) fn get(&self) -> &Crashdump {
        &self.0
    }
}

impl Drop for Published {
    fn drop(&mut self) {
        STATE.store(ptr::null(), Release);
    }
}

/// See `crashdump_write_crash()` in `hooks.h`. Context: panic (other CPUs stopped,
/// interrupts off) or die (an oops): lock-free, allocation-free, bounded.
///
/// # Safety
///
/// `msg` is null or a NUL-terminated string.
#[no_mangle]
unsafe extern "C" fn crashdump_write_crash(hook: u32, msg: *const c_char) {
    let Some(Crashdump {
        mode: Mode::Live(live),
    }) = state()
    else {
        return;
    };
    // SAFETY: By the safety requirements.
    let msg = (!msg.is_null()).then(|| unsafe { CStr::from_char_ptr(msg) });
    let hw_fatal = hook == HOOK_PANIC && hwerr::panic_is_hw_fatal(msg);
    let text = msg.map_or(&[][..], |m| m.to_bytes());
    live.data().write_crash(hook, text, hw_fatal);
}

/// `/sys/kernel/ha/crashdump/` attributes (`sysfs.c` ids).
fn show(id: u32, out: &mut SysfsBuf<'_>) -> Result {
    let cd = state().ok_or(ENODEV)?;
    match (id, &cd.mode) {
        (0, Mode::Live(_)) => writeln!(out, "live"),
        (0, Mode::Capture(f)) => match f.status {
            abi::CRASH_VALID => writeln!(out, "valid"),
            abi::CRASH_NONE => writeln!(out, "none"),
            _ => writeln!(out, "invalid {}", error_name(f.error)),
        },
        (1, Mode::Live(l)) => writeln!(out, "{:#x}", l.data().phys()),
        (1, Mode::Capture(f)) => writeln!(out, "{:#x}", f.addr),
        (2, _) => writeln!(out, "{}", record::REGION_SIZE),
        (3, Mode::Live(l)) => writeln!(out, "crashdump.record_addr={:#x}", l.data().phys()),
        (3, Mode::Capture(f)) => writeln!(out, "crashdump.record_addr={:#x}", f.addr),
        (4, Mode::Live(l)) => writeln!(out, "{}", l.data().generation.load(Relaxed)),
        (4, Mode::Capture(f)) => writeln!(
            out,
            "{}",
            record::parse(&f.bytes).map_or(0, |p| p.meta.generation)
        ),
        _ => return Err(EINVAL),
    }
    .map_err(sysfs::fmt)
}

/// The name of a `hwerr_crash.error` code.
pub(crate) fn error_name(code: u32) -> &'static str {
    match record::Invalid::from_code(code) {
        Some(inv) => inv.name(),
        None if code == ERROR_UNREADABLE => "unreadable",
        None => "unknown",
    }
}

/// See `crashdump_sysfs_show()` in `hooks.h`.
///
/// # Safety
///
/// `buf` is sysfs's writable `PAGE_SIZE` buffer.
#[no_mangle]
unsafe extern "C" fn crashdump_sysfs_show(id: u32, buf: *mut u8) -> isize {
    // SAFETY: By the safety requirements.
    unsafe { sysfs::show(buf, |out| show(id, out)) }
}

/// See `crashdump_sysfs_read_record()` in `hooks.h`.
///
/// # Safety
///
/// `buf` is writable for `count` bytes.
#[no_mangle]
unsafe extern "C" fn crashdump_sysfs_read_record(buf: *mut u8, off: i64, count: usize) -> isize {
    let Some(cd) = state() else {
        return ENODEV.to_errno() as isize;
    };
    let Ok(off) = usize::try_from(off) else {
        return EINVAL.to_errno() as isize;
    };
    // SAFETY: By the safety requirements.
    let out = unsafe { core::slice::from_raw_parts_mut(buf, count) };
    let n = match &cd.mode {
        Mode::Live(l) => l.data().read(off, out),
        Mode::Capture(f) => copy_from(&f.bytes, off, out),
    };
    // At most `count`, which sysfs bounds by a page.
    n as isize
}

/// Whether this kernel is a capture kernel. Context: any.
pub(crate) fn is_kdump_kernel() -> bool {
    // SAFETY: Any context.
    unsafe { ffi::crashdump_is_kdump_kernel() }
}
