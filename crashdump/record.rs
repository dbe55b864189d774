// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! The crash record, version 1: encoding, checksum and validation.
//! Pure logic: no allocation, no clock, no panic on any input, bounded time.
//!
//! This file builds in `crashdump.ko` and in the userspace crate
//! `tools/crashdump-core` (tests, fuzzing, `hactl crash`). It uses only `core` and,
//! of the other files, only the shared CRC-32 (`include/hasys/crc32.rs`, included by
//! both as `crate::crc32`).
//!
//! A running kernel keeps a record in a physically contiguous region of
//! [`REGION_SIZE`] bytes and rewrites it when it panics or dies; a kdump capture kernel
//! finds the region, [`parse`]s what is there and publishes it.
//!
//! # Layout
//!
//! All integers are little-endian. The [`Writer`] lays a region out as: header
//! ([`HEADER_SIZE`]) | message area ([`MSG_AREA`]) | records area ([`MAX_RECORDS`]
//! slots of [`RECORD_SIZE`]) | state area ([`MAX_STATE`] slots of [`RECORD_SIZE`]) | log
//! area (the rest of the region). The header gives each section's offset and length,
//! and [`parse`] checks those rather than assuming this layout.
//!
//! ```text
//! off size field
//!   0   4  magic        MAGIC, the bytes "HSCR"
//!   4   2  version      VERSION
//!   6   2  header_size  HEADER_SIZE
//!   8   4  total_size   bytes from offset 0 the checksum covers:
//!                       header_size <= total_size <= the buffer's length
//!  12   4  crc          CRC-32 (zlib's) of bytes [0, total_size), this field as 0
//!  16   8  generation   the writer's count of writes
//!  24   4  state        STATE_LIVE, STATE_CRASHED
//!  28   4  reason       REASON_NONE (only with STATE_LIVE), REASON_PANIC,
//!                       REASON_OOPS, REASON_HW_FATAL
//!  32   4  cpu          the CPU that wrote it (the panicking CPU)
//!  36   4  flags        F_*; other bits 0
//!  40   8  realtime_ns  CLOCK_REALTIME when written
//!  48   8  boottime_ns  CLOCK_BOOTTIME when written
//!  56   8  taint        the kernel's taint mask
//!  64   8  last_seq     the last sequence number in the writer's hwerr log
//!  72   4  msg_off      the panic message: bytes, no NUL, at most MSG_AREA
//!  76   4  msg_len
//!  80   4  records_off  hwerr records, RECORD_SIZE bytes each, oldest first
//!  84   4  records_nr
//!  88   4  state_off    module state records, RECORD_SIZE bytes each: the last
//!  92   4  state_nr     hadetect record and the last cluster record per peer
//!  96   4  log_off      the kernel log's tail, text
//! 100   4  log_len
//! 104   4  unlogged     how many of the records came from hwerr's capture slots,
//!                       not its log: the last `unlogged` of them
//! 108   4  reserved0    0
//! 112  64  release      the kernel release (utsname), NUL-padded
//! 176  80  reserved     0
//! ```
//!
//! The checksum is CRC-32 as IEEE 802.3 and zlib compute it (reflected, polynomial
//! `0xEDB88320`, initial value and final XOR `0xFFFFFFFF`): [`crc32`].
//!
//! # Validation
//!
//! [`parse`] checks, in this order, the first failing check giving the [`Invalid`]:
//! `Absent` (shorter than 4 bytes, or not [`MAGIC`]: all-zero memory is absent),
//! `Truncated` (shorter than [`HEADER_SIZE`]), `BadVersion`, `BadHeaderSize`,
//! `BadTotalSize` (below `header_size` or beyond the buffer), `BadChecksum`,
//! `BadState` (unknown, or live with a reason, or crashed without one), `BadReason`,
//! `BadFlags` (bits version 1 does not know), `BadSection` (a section not inside
//! `[header_size, total_size)`, two non-empty sections overlapping, a records or state
//! offset not a multiple of 8, a byte count that overflows, a message longer than
//! [`MSG_AREA`], `unlogged` above `records_nr`, or a reserved field not 0). An empty
//! section's offset is checked like any other's: it may be `total_size`, not beyond.
//! The contents of the sections are not checked.
//!
//! # Writing
//!
//! [`Writer::new`] invalidates the region and zeroes its header, message, records
//! and state areas; the caller then adds the message, records, state records and the
//! log tail, and [`Writer::finish`] writes the header and the checksum, the magic
//! last. `total_size` is the end of the part of the log area used, so everything
//! before it is covered. A record torn mid-write has no magic, or a wrong checksum.

use crate::crc32::{crc32_zeroed, crc_update};

// Where the codec's users found the CRC before it moved to include/hasys/crc32.rs;
// unused in `crashdump.ko`, whose `record` module is private.
/// CRC-32 (zlib's), from `include/hasys/crc32.rs`.
#[allow(unused_imports)]
pub use crate::crc32::crc32;

/// `"HSCR"` as bytes in memory.
pub const MAGIC: u32 = 0x5243_5348;
/// The record format version this file speaks.
pub const VERSION: u16 = 1;
/// Bytes of the header.
pub const HEADER_SIZE: usize = 256;
/// Bytes of one hwerr record (`struct hwerr_record`) or one module state record.
pub const RECORD_SIZE: usize = 256;
/// Bytes of the region the record lives in.
pub const REGION_SIZE: usize = 65536;
/// Bytes of the message area.
pub const MSG_AREA: usize = 256;
/// Slots of the records area.
pub const MAX_RECORDS: usize = 48;
/// Slots of the state area.
pub const MAX_STATE: usize = 17;
/// Bytes of the `release` field.
pub const RELEASE_LEN: usize = 64;

/// Where the [`Writer`] puts the message.
pub const MSG_OFF: usize = HEADER_SIZE;
/// Where the [`Writer`] puts the records.
pub const RECORDS_OFF: usize = MSG_OFF + MSG_AREA;
/// Where the [`Writer`] puts the state records.
pub const STATE_OFF: usize = RECORDS_OFF + MAX_RECORDS * RECORD_SIZE;
/// Where the [`Writer`] puts the log tail.
pub const LOG_OFF: usize = STATE_OFF + MAX_STATE * RECORD_SIZE;
/// Bytes of the log area in a region of [`REGION_SIZE`].
pub const LOG_AREA: usize = REGION_SIZE - LOG_OFF;
/// The least log area a [`Writer`] accepts.
pub const MIN_LOG_AREA: usize = 4096;
/// The shortest buffer a [`Writer`] accepts.
pub const MIN_REGION: usize = LOG_OFF + MIN_LOG_AREA;

/// Kept up to date by a running kernel; no crash seen.
pub const STATE_LIVE: u32 = 1;
/// Written from the panic or die path.
pub const STATE_CRASHED: u32 = 2;

/// No crash (only with [`STATE_LIVE`]).
pub const REASON_NONE: u32 = 0;
/// A panic.
pub const REASON_PANIC: u32 = 1;
/// An oops (the die path).
pub const REASON_OOPS: u32 = 2;
/// A fatal hardware error.
pub const REASON_HW_FATAL: u32 = 3;

/// Written by the panic notifier.
pub const F_PANIC_NOTIFIER: u32 = 1 << 0;
/// Written by the die notifier.
pub const F_DIE_NOTIFIER: u32 = 1 << 1;
/// hwerr's log could not be read: its lock was held.
pub const F_LOG_BUSY: u32 = 1 << 2;
/// Module state changed while it was copied.
pub const F_STATE_TORN: u32 = 1 << 3;
/// The message was cut to [`MSG_AREA`].
pub const F_MSG_TRUNCATED: u32 = 1 << 4;
/// More hwerr records than fit: the oldest were left out.
pub const F_RECORDS_TRUNCATED: u32 = 1 << 5;
/// The kernel log tail was cut at its start.
pub const F_LOG_TRUNCATED: u32 = 1 << 6;
/// A capture kernel was loaded.
pub const F_KDUMP_LOADED: u32 = 1 << 7;
/// `crash_kexec_post_notifiers` was set.
pub const F_POST_NOTIFIERS: u32 = 1 << 8;
/// The flags version 1 knows.
pub const F_ALL: u32 = (1 << 9) - 1;

/// Every flag and its name, lowest bit first.
pub const FLAG_NAMES: [(u32, &str); 9] = [
    (F_PANIC_NOTIFIER, "panic-notifier"),
    (F_DIE_NOTIFIER, "die-notifier"),
    (F_LOG_BUSY, "log-busy"),
    (F_STATE_TORN, "state-torn"),
    (F_MSG_TRUNCATED, "msg-truncated"),
    (F_RECORDS_TRUNCATED, "records-truncated"),
    (F_LOG_TRUNCATED, "log-truncated"),
    (F_KDUMP_LOADED, "kdump-loaded"),
    (F_POST_NOTIFIERS, "post-notifiers"),
];

/// The name of a state: `live`, `crashed`, or `unknown`.
pub fn state_name(state: u32) -> &'static str {
    match state {
        STATE_LIVE => "live",
        STATE_CRASHED => "crashed",
        _ => "unknown",
    }
}

/// The name of a reason: `none`, `panic`, `oops`, `hw-fatal`, or `unknown`.
pub fn reason_name(reason: u32) -> &'static str {
    match reason {
        REASON_NONE => "none",
        REASON_PANIC => "panic",
        REASON_OOPS => "oops",
        REASON_HW_FATAL => "hw-fatal",
        _ => "unknown",
    }
}

/// Why [`parse`] found no valid record, in the order it checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Invalid {
    /// Shorter than 4 bytes, or not [`MAGIC`].
    Absent,
    /// Shorter than [`HEADER_SIZE`].
    Truncated,
    /// Not [`VERSION`].
    BadVersion,
    /// `header_size` is not [`HEADER_SIZE`].
    BadHeaderSize,
    /// `total_size` below `header_size`, or beyond the buffer.
    BadTotalSize,
    /// The CRC-32 does not match.
    BadChecksum,
    /// An unknown state, a live record with a reason, or a crashed one without.
    BadState,
    /// An unknown reason.
    BadReason,
    /// Flags version 1 does not know.
    BadFlags,
    /// A section out of bounds, misaligned or overlapping another; `unlogged` above
    /// `records_nr`; or a reserved field not 0.
    BadSection,
}

impl Invalid {
    /// The number of reasons.
    pub const NR: usize = 10;

    /// Every reason, in [`Invalid::code`] order.
    pub const ALL: [Invalid; Self::NR] = [
        Invalid::Absent,
        Invalid::Truncated,
        Invalid::BadVersion,
        Invalid::BadHeaderSize,
        Invalid::BadTotalSize,
        Invalid::BadChecksum,
        Invalid::BadState,
        Invalid::BadReason,
        Invalid::BadFlags,
        Invalid::BadSection,
    ];

    /// The reason's code, 1 to [`Invalid::NR`] in the order [`parse`] checks; 0 is
    /// kept for "valid".
    pub fn code(self) -> u32 {
        match self {
            Invalid::Absent => 1,
            Invalid::Truncated => 2,
            Invalid::BadVersion => 3,
            Invalid::BadHeaderSize => 4,
            Invalid::BadTotalSize => 5,
            Invalid::BadChecksum => 6,
            Invalid::BadState => 7,
            Invalid::BadReason => 8,
            Invalid::BadFlags => 9,
            Invalid::BadSection => 10,
        }
    }

    /// The reason with code `code`; `None` for 0 (valid) and unknown codes.
    pub fn from_code(code: u32) -> Option<Invalid> {
        Self::ALL.into_iter().find(|i| i.code() == code)
    }

    /// The lowercase name, as sysfs shows it (`bad-checksum`).
    pub fn name(self) -> &'static str {
        match self {
            Invalid::Absent => "absent",
            Invalid::Truncated => "truncated",
            Invalid::BadVersion => "bad-version",
            Invalid::BadHeaderSize => "bad-header-size",
            Invalid::BadTotalSize => "bad-total-size",
            Invalid::BadChecksum => "bad-checksum",
            Invalid::BadState => "bad-state",
            Invalid::BadReason => "bad-reason",
            Invalid::BadFlags => "bad-flags",
            Invalid::BadSection => "bad-section",
        }
    }
}

/// Offset of `total_size`.
const TOTAL_SIZE_OFF: usize = 8;
/// Offset of `crc`.
const CRC_OFF: usize = 12;
/// Offset of `reserved0`.
const RESERVED0_OFF: usize = 108;
/// Offset of `release`.
const RELEASE_OFF: usize = 112;
/// Offset of `reserved`.
const RESERVED_OFF: usize = RELEASE_OFF + RELEASE_LEN;

/// The checksum of a record whose covered bytes (`[0, total_size)`) are `covered`:
/// CRC-32 with the `crc` field taken as 0. What [`Writer::finish`] stores and
/// [`parse`] compares; `covered` shorter than the header is taken as it is.
pub fn checksum(covered: &[u8]) -> u32 {
    crc32_zeroed(covered, CRC_OFF, 4)
}

/// Zeroes the magic at the start of `buf` (as much of it as `buf` holds): what is
/// there is no longer a record. A writer calls it before rewriting a record, so that
/// a record torn mid-write is never valid.
pub fn invalidate(buf: &mut [u8]) {
    for b in buf.iter_mut().take(4) {
        *b = 0;
    }
}

/// The header fields a writer chooses; [`Writer::finish`] computes the others
/// (sizes, offsets, lengths, checksum), [`parse`] returns all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Meta {
    /// Incremented by the writer at every write.
    pub generation: u64,
    /// `STATE_*`.
    pub state: u32,
    /// `REASON_*`.
    pub reason: u32,
    /// The CPU that wrote the record.
    pub cpu: u32,
    /// `F_*`.
    pub flags: u32,
    /// `CLOCK_REALTIME` when written, ns.
    pub realtime_ns: u64,
    /// `CLOCK_BOOTTIME` when written, ns.
    pub boottime_ns: u64,
    /// The kernel's taint mask.
    pub taint: u64,
    /// The last sequence number in the writer's hwerr log.
    pub last_seq: u64,
    /// How many of the records (the last ones) came from hwerr's capture slots, not
    /// its log.
    pub unlogged: u32,
    /// The kernel release, NUL-padded.
    pub release: [u8; RELEASE_LEN],
}

impl Meta {
    /// All fields 0 (a state that is not valid: set it).
    pub const ZERO: Meta = Meta {
        generation: 0,
        state: 0,
        reason: 0,
        cpu: 0,
        flags: 0,
        realtime_ns: 0,
        boottime_ns: 0,
        taint: 0,
        last_seq: 0,
        unlogged: 0,
        release: [0; RELEASE_LEN],
    };

    /// Sets `release` to `release` up to its first NUL, cut to [`RELEASE_LEN`] bytes,
    /// NUL-padded.
    pub fn set_release(&mut self, release: &[u8]) {
        self.release = [0; RELEASE_LEN];
        for (d, &s) in self
            .release
            .iter_mut()
            .zip(release.iter().take_while(|&&b| b != 0))
        {
            *d = s;
        }
    }

    /// The release bytes, up to the first NUL.
    pub fn release(&self) -> &[u8] {
        let n = self
            .release
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(RELEASE_LEN);
        self.release.get(..n).unwrap_or(&[])
    }
}

impl Default for Meta {
    fn default() -> Self {
        Self::ZERO
    }
}

/// Where the sections are: offsets and lengths as the header gives them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sections {
    /// Offset of the message.
    pub msg_off: u32,
    /// Bytes of the message.
    pub msg_len: u32,
    /// Offset of the hwerr records.
    pub records_off: u32,
    /// Number of hwerr records.
    pub records_nr: u32,
    /// Offset of the state records.
    pub state_off: u32,
    /// Number of state records.
    pub state_nr: u32,
    /// Offset of the log tail.
    pub log_off: u32,
    /// Bytes of the log tail.
    pub log_len: u32,
}

/// Writes consecutive fields into a buffer.
struct Put<'a>(&'a mut [u8]);

impl Put<'_> {
    fn put<const N: usize>(&mut self, bytes: [u8; N]) -> Option<()> {
        let (head, tail) = core::mem::take(&mut self.0).split_first_chunk_mut::<N>()?;
        *head = bytes;
        self.0 = tail;
        Some(())
    }
}

/// Reads consecutive fields from a buffer.
struct Take<'a>(&'a [u8]);

impl Take<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, tail) = self.0.split_first_chunk::<N>()?;
        self.0 = tail;
        Some(*head)
    }
    fn u16(&mut self) -> Option<u16> {
        self.take().map(u16::from_le_bytes)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }
}

/// Every header field, as stored.
struct Header {
    magic: u32,
    version: u16,
    header_size: u16,
    total_size: u32,
    crc: u32,
    meta: Meta,
    sections: Sections,
    reserved0: u32,
    reserved: [u8; HEADER_SIZE - RESERVED_OFF],
}

impl Header {
    fn write(&self, head: &mut [u8; HEADER_SIZE]) -> Option<()> {
        let m = &self.meta;
        let s = &self.sections;
        let mut w = Put(head);
        w.put(self.magic.to_le_bytes())?;
        w.put(self.version.to_le_bytes())?;
        w.put(self.header_size.to_le_bytes())?;
        w.put(self.total_size.to_le_bytes())?;
        w.put(self.crc.to_le_bytes())?;
        w.put(m.generation.to_le_bytes())?;
        w.put(m.state.to_le_bytes())?;
        w.put(m.reason.to_le_bytes())?;
        w.put(m.cpu.to_le_bytes())?;
        w.put(m.flags.to_le_bytes())?;
        w.put(m.realtime_ns.to_le_bytes())?;
        w.put(m.boottime_ns.to_le_bytes())?;
        w.put(m.taint.to_le_bytes())?;
        w.put(m.last_seq.to_le_bytes())?;
        w.put(s.msg_off.to_le_bytes())?;
        w.put(s.msg_len.to_le_bytes())?;
        w.put(s.records_off.to_le_bytes())?;
        w.put(s.records_nr.to_le_bytes())?;
        w.put(s.state_off.to_le_bytes())?;
        w.put(s.state_nr.to_le_bytes())?;
        w.put(s.log_off.to_le_bytes())?;
        w.put(s.log_len.to_le_bytes())?;
        w.put(m.unlogged.to_le_bytes())?;
        w.put(self.reserved0.to_le_bytes())?;
        w.put(m.release)?;
        w.put(self.reserved)?;
        // Every byte written: the layout adds up to HEADER_SIZE.
        w.0.is_empty().then_some(())
    }

    fn read(head: &[u8]) -> Option<Header> {
        let mut r = Take(head);
        let magic = r.u32()?;
        let version = r.u16()?;
        let header_size = r.u16()?;
        let total_size = r.u32()?;
        let crc = r.u32()?;
        let mut meta = Meta {
            generation: r.u64()?,
            state: r.u32()?,
            reason: r.u32()?,
            cpu: r.u32()?,
            flags: r.u32()?,
            realtime_ns: r.u64()?,
            boottime_ns: r.u64()?,
            taint: r.u64()?,
            last_seq: r.u64()?,
            ..Meta::ZERO
        };
        let sections = Sections {
            msg_off: r.u32()?,
            msg_len: r.u32()?,
            records_off: r.u32()?,
            records_nr: r.u32()?,
            state_off: r.u32()?,
            state_nr: r.u32()?,
            log_off: r.u32()?,
            log_len: r.u32()?,
        };
        meta.unlogged = r.u32()?;
        let reserved0 = r.u32()?;
        meta.release = r.take()?;
        let reserved = r.take()?;
        r.0.is_empty().then_some(Header {
            magic,
            version,
            header_size,
            total_size,
            crc,
            meta,
            sections,
            reserved0,
            reserved,
        })
    }
}

/// A record that passed [`parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parsed<'a> {
    /// The header fields a writer chooses.
    pub meta: Meta,
    /// The header's section offsets and lengths.
    pub sections: Sections,
    /// Bytes from offset 0 the checksum covers.
    pub total_size: u32,
    message: &'a [u8],
    records: &'a [u8],
    state: &'a [u8],
    log: &'a [u8],
}

impl<'a> Parsed<'a> {
    /// The panic message (bytes, as the writer gave them).
    pub fn message(&self) -> &'a [u8] {
        self.message
    }

    /// The hwerr records, oldest first: each is a `struct hwerr_record`.
    pub fn records(&self) -> Records<'a> {
        Records(self.records.chunks_exact(RECORD_SIZE))
    }

    /// The module state records: the last hadetect record and the last cluster
    /// record per peer, each a `struct hwerr_record`.
    pub fn state(&self) -> Records<'a> {
        Records(self.state.chunks_exact(RECORD_SIZE))
    }

    /// The kernel log's tail (text, as the writer gave it).
    pub fn log(&self) -> &'a [u8] {
        self.log
    }

    /// The bytes the checksum covers, `[0, total_size)`.
    pub fn covered(&self) -> usize {
        usize::try_from(self.total_size).unwrap_or(usize::MAX)
    }
}

/// Records of [`RECORD_SIZE`] bytes, from [`Parsed::records`] or [`Parsed::state`].
#[derive(Clone, Debug)]
pub struct Records<'a>(core::slice::ChunksExact<'a, u8>);

impl<'a> Iterator for Records<'a> {
    type Item = &'a [u8; RECORD_SIZE];

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().and_then(|c| c.try_into().ok())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for Records<'_> {}

/// `[off, off + len)` of `covered`, where `covered` is `[0, total_size)` and the
/// section must start at or after `header_size`.
fn section(covered: &[u8], off: u32, len: u32, header_size: usize) -> Result<&[u8], Invalid> {
    let start = usize::try_from(off).map_err(|_| Invalid::BadSection)?;
    let len = usize::try_from(len).map_err(|_| Invalid::BadSection)?;
    let end = start.checked_add(len).ok_or(Invalid::BadSection)?;
    if start < header_size {
        return Err(Invalid::BadSection);
    }
    covered.get(start..end).ok_or(Invalid::BadSection)
}

/// Bytes of `nr` records.
fn slots_len(nr: u32) -> Result<u32, Invalid> {
    nr.checked_mul(RECORD_SIZE_U32).ok_or(Invalid::BadSection)
}

/// [`RECORD_SIZE`] as the header's integer type.
const RECORD_SIZE_U32: u32 = 256;

/// Whether two sections share a byte (an empty section shares none).
fn overlap(a: (u32, u32), b: (u32, u32)) -> bool {
    let (a_off, a_len) = a;
    let (b_off, b_len) = b;
    if a_len == 0 || b_len == 0 {
        return false;
    }
    // Offsets and lengths were checked not to overflow (`section`), in usize; in u64
    // they cannot overflow at all.
    let a_end = u64::from(a_off).saturating_add(u64::from(a_len));
    let b_end = u64::from(b_off).saturating_add(u64::from(b_len));
    u64::from(a_off) < b_end && u64::from(b_off) < a_end
}

/// Checks a record (see the module documentation), in order; on success the
/// header's fields and the sections.
pub fn parse(buf: &[u8]) -> Result<Parsed<'_>, Invalid> {
    let magic = buf
        .first_chunk::<4>()
        .map(|m| u32::from_le_bytes(*m))
        .ok_or(Invalid::Absent)?;
    if magic != MAGIC {
        return Err(Invalid::Absent);
    }
    let head = buf.get(..HEADER_SIZE).ok_or(Invalid::Truncated)?;
    let h = Header::read(head).ok_or(Invalid::Truncated)?;
    if h.version != VERSION {
        return Err(Invalid::BadVersion);
    }
    if usize::from(h.header_size) != HEADER_SIZE {
        return Err(Invalid::BadHeaderSize);
    }
    let total = usize::try_from(h.total_size).map_err(|_| Invalid::BadTotalSize)?;
    if total < HEADER_SIZE {
        return Err(Invalid::BadTotalSize);
    }
    let covered = buf.get(..total).ok_or(Invalid::BadTotalSize)?;
    if checksum(covered) != h.crc {
        return Err(Invalid::BadChecksum);
    }
    let m = &h.meta;
    let state_ok = match m.state {
        STATE_LIVE => m.reason == REASON_NONE,
        STATE_CRASHED => m.reason != REASON_NONE,
        _ => false,
    };
    if !state_ok {
        return Err(Invalid::BadState);
    }
    if !matches!(
        m.reason,
        REASON_NONE | REASON_PANIC | REASON_OOPS | REASON_HW_FATAL
    ) {
        return Err(Invalid::BadReason);
    }
    if m.flags & !F_ALL != 0 {
        return Err(Invalid::BadFlags);
    }
    let s = &h.sections;
    let records_len = slots_len(s.records_nr)?;
    let state_len = slots_len(s.state_nr)?;
    let message = section(covered, s.msg_off, s.msg_len, HEADER_SIZE)?;
    let records = section(covered, s.records_off, records_len, HEADER_SIZE)?;
    let state = section(covered, s.state_off, state_len, HEADER_SIZE)?;
    let log = section(covered, s.log_off, s.log_len, HEADER_SIZE)?;
    if message.len() > MSG_AREA || s.records_off % 8 != 0 || s.state_off % 8 != 0 {
        return Err(Invalid::BadSection);
    }
    let all = [
        (s.msg_off, s.msg_len),
        (s.records_off, records_len),
        (s.state_off, state_len),
        (s.log_off, s.log_len),
    ];
    for (i, &a) in all.iter().enumerate() {
        if all.iter().skip(i.saturating_add(1)).any(|&b| overlap(a, b)) {
            return Err(Invalid::BadSection);
        }
    }
    if m.unlogged > s.records_nr || h.reserved0 != 0 || h.reserved.iter().any(|&b| b != 0) {
        return Err(Invalid::BadSection);
    }
    Ok(Parsed {
        meta: h.meta,
        sections: h.sections,
        total_size: h.total_size,
        message,
        records,
        state,
        log,
    })
}

/// [`Writer::new`] was given a buffer shorter than [`MIN_REGION`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooSmall;

/// Writes a record into a region, from any context: no allocation, no panic, time
/// bounded by the region's size. See the module documentation.
///
/// The writer uses the first [`REGION_SIZE`] bytes of its buffer at most. The log
/// area is what follows the state area, to the end of those.
pub struct Writer<'a> {
    /// The region, at most [`REGION_SIZE`] bytes, at least [`MIN_REGION`].
    buf: &'a mut [u8],
    msg_len: usize,
    records_nr: usize,
    state_nr: usize,
    log_len: usize,
    /// The truncation flags the writer set.
    flags: u32,
}

impl<'a> Writer<'a> {
    /// A writer over `buf`, which must be at least [`MIN_REGION`] bytes. Invalidates
    /// what `buf` holds and zeroes its header, message, records and state areas (not
    /// the log area).
    pub fn new(buf: &'a mut [u8]) -> Result<Self, TooSmall> {
        if buf.len() < MIN_REGION {
            return Err(TooSmall);
        }
        let len = buf.len().min(REGION_SIZE);
        let buf = buf.get_mut(..len).ok_or(TooSmall)?;
        invalidate(buf);
        buf.get_mut(..LOG_OFF).ok_or(TooSmall)?.fill(0);
        Ok(Writer {
            buf,
            msg_len: 0,
            records_nr: 0,
            state_nr: 0,
            log_len: 0,
            flags: 0,
        })
    }

    /// Sets the message to `msg` up to its first NUL; a longer message than
    /// [`MSG_AREA`] is cut, and the record gets [`F_MSG_TRUNCATED`].
    pub fn set_message(&mut self, msg: &[u8]) {
        let msg = msg.split(|&b| b == 0).next().unwrap_or(&[]);
        let n = msg.len().min(MSG_AREA);
        if n < msg.len() {
            self.flags |= F_MSG_TRUNCATED;
        }
        let Some(area) = self.buf.get_mut(MSG_OFF..RECORDS_OFF) else {
            return;
        };
        let Some((dst, rest)) = area.split_at_mut_checked(n) else {
            return;
        };
        dst.copy_from_slice(msg.get(..n).unwrap_or(&[]));
        rest.fill(0);
        self.msg_len = n;
    }

    /// Adds an hwerr record (exactly [`RECORD_SIZE`] bytes) after those added
    /// before. False if `rec` is not [`RECORD_SIZE`] bytes, or the area is full:
    /// then the record gets [`F_RECORDS_TRUNCATED`]. Records go oldest first, so a
    /// caller with more than [`Writer::records_free`] skips its oldest ones.
    pub fn push_record(&mut self, rec: &[u8]) -> bool {
        if rec.len() != RECORD_SIZE {
            return false;
        }
        if self.records_nr >= MAX_RECORDS {
            self.flags |= F_RECORDS_TRUNCATED;
            return false;
        }
        if !put_slot(self.buf, RECORDS_OFF, self.records_nr, rec) {
            return false;
        }
        self.records_nr = self.records_nr.saturating_add(1);
        true
    }

    /// Adds a module state record (exactly [`RECORD_SIZE`] bytes). False if `rec` is
    /// not [`RECORD_SIZE`] bytes, or the area is full.
    pub fn push_state(&mut self, rec: &[u8]) -> bool {
        if rec.len() != RECORD_SIZE || self.state_nr >= MAX_STATE {
            return false;
        }
        if !put_slot(self.buf, STATE_OFF, self.state_nr, rec) {
            return false;
        }
        self.state_nr = self.state_nr.saturating_add(1);
        true
    }

    /// Free slots in the records area.
    pub fn records_free(&self) -> usize {
        MAX_RECORDS.saturating_sub(self.records_nr)
    }

    /// Free slots in the state area.
    pub fn state_free(&self) -> usize {
        MAX_STATE.saturating_sub(self.state_nr)
    }

    /// The whole log area, for the caller to write the log tail into, from its
    /// start; then [`Writer::set_log_len`].
    pub fn log_area(&mut self) -> &mut [u8] {
        self.buf.get_mut(LOG_OFF..).unwrap_or_default()
    }

    /// Sets how many bytes of the log area hold the log tail, at most the area's
    /// size; returns the length set.
    pub fn set_log_len(&mut self, len: usize) -> usize {
        self.log_len = len.min(self.log_area().len());
        self.log_len
    }

    /// Copies `text`'s tail into the log area: as much of its end as fits; if not all
    /// of it fits, the record gets [`F_LOG_TRUNCATED`].
    pub fn set_log(&mut self, text: &[u8]) {
        let area = self.log_area();
        let n = text.len().min(area.len());
        let tail = text.get(text.len().saturating_sub(n)..).unwrap_or(&[]);
        if let Some(dst) = area.get_mut(..n) {
            dst.copy_from_slice(tail);
        }
        if n < text.len() {
            self.flags |= F_LOG_TRUNCATED;
        }
        self.set_log_len(n);
    }

    /// Writes the header: `meta`, with `flags` OR the truncation flags this writer
    /// set and `unlogged` at most the records added; the sections as added; the
    /// checksum; and last the magic. Returns `total_size`, the end of the log tail.
    /// `meta`'s state, reason and flags are written as they are: [`parse`] rejects
    /// wrong ones.
    pub fn finish(self, meta: &Meta) -> u32 {
        let total = LOG_OFF.saturating_add(self.log_len);
        let records_nr = u32_of(self.records_nr);
        let mut h = Header {
            magic: MAGIC,
            version: VERSION,
            header_size: u16::try_from(HEADER_SIZE).unwrap_or(u16::MAX),
            total_size: u32_of(total),
            crc: 0,
            meta: *meta,
            sections: Sections {
                msg_off: u32_of(MSG_OFF),
                msg_len: u32_of(self.msg_len),
                records_off: u32_of(RECORDS_OFF),
                records_nr,
                state_off: u32_of(STATE_OFF),
                state_nr: u32_of(self.state_nr),
                log_off: u32_of(LOG_OFF),
                log_len: u32_of(self.log_len),
            },
            reserved0: 0,
            reserved: [0; HEADER_SIZE - RESERVED_OFF],
        };
        h.meta.flags |= self.flags;
        h.meta.unlogged = h.meta.unlogged.min(records_nr);
        let mut head = [0u8; HEADER_SIZE];
        if h.write(&mut head).is_none() {
            return 0;
        }
        let Some(body) = self.buf.get(HEADER_SIZE..total) else {
            return 0;
        };
        h.crc = !crc_update(crc_update(!0, &head), body);
        if h.write(&mut head).is_none() {
            return 0;
        }
        let (Some(src), Some(dst)) = (head.get(4..), self.buf.get_mut(4..HEADER_SIZE)) else {
            return 0;
        };
        dst.copy_from_slice(src);
        let (Some(src), Some(dst)) = (head.get(..4), self.buf.get_mut(..4)) else {
            return 0;
        };
        dst.copy_from_slice(src);
        h.total_size
    }
}

/// Copies `rec` into slot `slot` of the area at `area_off`.
fn put_slot(buf: &mut [u8], area_off: usize, slot: usize, rec: &[u8]) -> bool {
    let Some(start) = slot
        .checked_mul(RECORD_SIZE)
        .and_then(|o| o.checked_add(area_off))
    else {
        return false;
    };
    let Some(end) = start.checked_add(RECORD_SIZE) else {
        return false;
    };
    match buf.get_mut(start..end) {
        Some(dst) => {
            dst.copy_from_slice(rec);
            true
        }
        None => false,
    }
}

/// `n` as the header's integer type (the region's sizes always fit).
fn u32_of(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Offsets the module documentation gives.
const _: () = {
    assert!(TOTAL_SIZE_OFF == 8 && CRC_OFF == 12);
    assert!(RESERVED0_OFF == 108 && RELEASE_OFF == 112 && RESERVED_OFF == 176);
    assert!(LOG_OFF == 17152 && MIN_REGION <= REGION_SIZE);
    assert!(RECORD_SIZE_U32 == 256 && RECORD_SIZE == 256);
};
