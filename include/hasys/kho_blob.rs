// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! The KHO blob, format version 2: the state one hasys module hands to the next
//! kernel through Kexec HandOver (KHO), one blob per module's KHO subtree.
//! Pure logic: no allocation, no clock, no panic on any input, bounded time.
//!
//! This file builds in every hasys module that carries state through a handoff
//! (`hwerr.ko` its log, `kexec_handoff.ko` its report) and in the userspace crate
//! `tools/handoff-core` (tests, fuzzing). It uses only `core` and, of the other
//! files, only the shared CRC-32 (`include/hasys/crc32.rs`, included by both as
//! `crate::crc32`).
//!
//! A blob is a header and `count` items of `item_size` bytes each. What an item holds
//! is the owning module's business (an hwerr record, a fault state, a peer); this
//! file only frames, checksums and validates. The header names the owner, so that a
//! blob found under another module's subtree is refused, counts the handoffs the
//! state has been through, and counts the items that could not be carried, so that
//! readers are told of the loss in-band.
//!
//! The items' own layout is versioned too, per owner ([`Owner::item_version`]): a
//! module whose items changed refuses a blob its predecessor sealed instead of
//! misreading it, even when the item size stayed the same.
//!
//! # Layout
//!
//! All integers are little-endian.
//!
//! ```text
//! off size field
//!   0   8  magic        MAGIC, the bytes "HASYSKHO"
//!   8   2  version      VERSION
//!  10   2  header_size  HEADER_SIZE
//!  12   2  owner        Owner: 1 hwerr (its log), 2 hadetect, 3 cluster_msg,
//!                       4 kexec_handoff (its report)
//!  14   2  item_size    bytes per item, 1 to MAX_ITEM_SIZE
//!  16   4  count        number of items
//!  20   4  crc          CRC-32 (zlib's) of bytes [0, header_size + count * item_size),
//!                       this field as 0
//!  24   4  handoffs     handoffs this state has been through, this one included (>= 1)
//!  28   4  lost         items that could not be carried
//!  32   8  sealed_ns    CLOCK_REALTIME when sealed, ns
//!  40  16  boot_id      the sealing kernel's boot id
//!  56   2  item_version the owner's item format, Owner::item_version
//!  58   6  reserved     0
//!  64      count items of item_size bytes
//! ```
//!
//! # Validation
//!
//! [`parse`] checks, in this order, the first failing check giving the [`Invalid`]:
//! `TooShort` (shorter than [`HEADER_SIZE`]), `BadMagic`, `BadVersion`,
//! `BadHeaderSize`, `WrongOwner` (an unknown owner, or not the one expected),
//! `BadItemSize` (0 or above [`MAX_ITEM_SIZE`]), `Truncated` (the blob's size
//! overflows, or the buffer ends before the last item), `BadCrc`, `ReservedNotZero`,
//! `BadHandoffs` (0), `BadItemVersion` (not the owner's). Bytes past the last item
//! are ignored. The items' contents are not checked.
//!
//! # Writing
//!
//! [`Writer::new`] zeroes the header, so that what the buffer held is no longer a
//! blob; [`Writer::push`] adds the items, and [`Writer::seal`] writes the header and
//! the checksum, the magic last. A blob torn mid-write has no magic, or a wrong
//! checksum. An item pushed into a full buffer is refused and counted in `lost`.
//! [`add_lost`] counts, in a sealed blob, the items that came too late for it.

use crate::crc32::{crc32_zeroed, crc_update};

/// The bytes a blob starts with.
pub const MAGIC: [u8; 8] = *b"HASYSKHO";
/// The format version this file speaks.
pub const VERSION: u16 = 2;
/// Bytes of the header.
pub const HEADER_SIZE: usize = 64;
/// The largest item, in bytes.
pub const MAX_ITEM_SIZE: usize = 4096;
/// Bytes of the `boot_id` field.
pub const BOOT_ID_LEN: usize = 16;

/// Offset of `magic`.
const MAGIC_OFF: usize = 0;
/// Offset of `version`.
const VERSION_OFF: usize = 8;
/// Offset of `header_size`.
const HEADER_SIZE_OFF: usize = 10;
/// Offset of `owner`.
const OWNER_OFF: usize = 12;
/// Offset of `item_size`.
const ITEM_SIZE_OFF: usize = 14;
/// Offset of `count`.
const COUNT_OFF: usize = 16;
/// Offset of `crc`.
const CRC_OFF: usize = 20;
/// Offset of `handoffs`.
const HANDOFFS_OFF: usize = 24;
/// Offset of `lost`.
const LOST_OFF: usize = 28;
/// Offset of `sealed_ns`.
const SEALED_NS_OFF: usize = 32;
/// Offset of `boot_id`.
const BOOT_ID_OFF: usize = 40;
/// Offset of `item_version`.
const ITEM_VERSION_OFF: usize = 56;
/// Offset of `reserved`.
const RESERVED_OFF: usize = 58;
/// Bytes of `reserved`.
const RESERVED_LEN: usize = 6;

/// The module a blob belongs to: the one whose state it holds and whose subtree
/// carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Owner {
    /// `hwerr.ko`: its log.
    Hwerr,
    /// `hadetect.ko`: its rules, faults and health.
    Hadetect,
    /// `cluster_msg.ko`: its epoch and membership.
    ClusterMsg,
    /// `kexec_handoff.ko`: its report of the handoff.
    KexecHandoff,
}

impl Owner {
    /// The number of owners.
    pub const NR: usize = 4;

    /// Every owner, in [`Owner::code`] order.
    pub const ALL: [Owner; Self::NR] = [
        Owner::Hwerr,
        Owner::Hadetect,
        Owner::ClusterMsg,
        Owner::KexecHandoff,
    ];

    /// The owner's code in the header, 1 to [`Owner::NR`].
    pub fn code(self) -> u16 {
        match self {
            Owner::Hwerr => 1,
            Owner::Hadetect => 2,
            Owner::ClusterMsg => 3,
            Owner::KexecHandoff => 4,
        }
    }

    /// The owner with code `code`; `None` for unknown codes.
    pub fn from_u16(code: u16) -> Option<Owner> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }

    /// The format of the owner's items that this build speaks, written into every
    /// blob it seals and required of every blob it parses. Raise it with any change
    /// to what an item holds or means (`hwerr`: a record of `include/hasys/hwerr.h`;
    /// `hadetect`: `carry::Item`; `cluster_msg` and `kexec_handoff`: their `Carried`),
    /// so that a kernel running another hasys refuses the blob
    /// ([`Invalid::BadItemVersion`]) and restores nothing, rather than misreading it.
    pub const fn item_version(self) -> u16 {
        match self {
            Owner::Hwerr => 1,
            Owner::Hadetect => 1,
            Owner::ClusterMsg => 1,
            Owner::KexecHandoff => 1,
        }
    }

    /// The owning module's name (`cluster_msg`).
    pub fn name(self) -> &'static str {
        match self {
            Owner::Hwerr => "hwerr",
            Owner::Hadetect => "hadetect",
            Owner::ClusterMsg => "cluster_msg",
            Owner::KexecHandoff => "kexec_handoff",
        }
    }
}

/// The header fields a writer chooses; [`Writer::seal`] computes the others (owner,
/// item size, count, checksum), and [`Blob::meta`] gives them back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    /// Handoffs this state has been through, this one included: 1 for state the
    /// first kernel sealed. [`parse`] refuses 0.
    pub handoffs: u32,
    /// Items that could not be carried. [`Writer::seal`] adds those it refused.
    pub lost: u32,
    /// `CLOCK_REALTIME` when sealed, ns.
    pub sealed_ns: u64,
    /// The sealing kernel's boot id: 16 bytes that name that boot, so that a reader
    /// can tell which boot the items come from. This file does not interpret them.
    pub boot_id: [u8; BOOT_ID_LEN],
}

/// Bytes of a blob of `count` items of `item_size` bytes: what the buffer of a
/// [`Writer`] must hold for all of them. `None` if `item_size` is not 1 to
/// [`MAX_ITEM_SIZE`], `count` does not fit the header's 32 bits, or the size
/// overflows.
pub fn size_for(item_size: usize, count: usize) -> Option<usize> {
    if !(1..=MAX_ITEM_SIZE).contains(&item_size) || u32::try_from(count).is_err() {
        return None;
    }
    item_size.checked_mul(count)?.checked_add(HEADER_SIZE)
}

/// The checksum of a blob whose bytes (header and items) are `blob`: CRC-32 with the
/// `crc` field taken as 0. What [`Writer::seal`] stores and [`parse`] compares.
pub fn checksum(blob: &[u8]) -> u32 {
    crc32_zeroed(blob, CRC_OFF, 4)
}

/// Why [`parse`] refused a buffer, in the order it checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Invalid {
    /// Shorter than [`HEADER_SIZE`].
    TooShort,
    /// Not [`MAGIC`].
    BadMagic,
    /// Not [`VERSION`].
    BadVersion,
    /// `header_size` is not [`HEADER_SIZE`].
    BadHeaderSize,
    /// An unknown owner, or not the owner expected.
    WrongOwner,
    /// `item_size` is 0 or above [`MAX_ITEM_SIZE`].
    BadItemSize,
    /// The blob's size overflows, or the buffer ends before its last item.
    Truncated,
    /// The CRC-32 does not match.
    BadCrc,
    /// `reserved` is not 0.
    ReservedNotZero,
    /// `handoffs` is 0.
    BadHandoffs,
    /// `item_version` is not the owner's [`Owner::item_version`]: its items are in a
    /// format this build does not speak.
    BadItemVersion,
}

impl Invalid {
    /// The number of reasons.
    pub const NR: usize = 11;

    /// Every reason, in [`Invalid::code`] order.
    pub const ALL: [Invalid; Self::NR] = [
        Invalid::TooShort,
        Invalid::BadMagic,
        Invalid::BadVersion,
        Invalid::BadHeaderSize,
        Invalid::WrongOwner,
        Invalid::BadItemSize,
        Invalid::Truncated,
        Invalid::BadCrc,
        Invalid::ReservedNotZero,
        Invalid::BadHandoffs,
        Invalid::BadItemVersion,
    ];

    /// The reason's code, 1 to [`Invalid::NR`] in the order [`parse`] checks; 0 is
    /// kept for "valid".
    pub fn code(self) -> u32 {
        match self {
            Invalid::TooShort => 1,
            Invalid::BadMagic => 2,
            Invalid::BadVersion => 3,
            Invalid::BadHeaderSize => 4,
            Invalid::WrongOwner => 5,
            Invalid::BadItemSize => 6,
            Invalid::Truncated => 7,
            Invalid::BadCrc => 8,
            Invalid::ReservedNotZero => 9,
            Invalid::BadHandoffs => 10,
            Invalid::BadItemVersion => 11,
        }
    }

    /// The reason with code `code`; `None` for 0 (valid) and unknown codes.
    pub fn from_code(code: u32) -> Option<Invalid> {
        Self::ALL.into_iter().find(|i| i.code() == code)
    }

    /// The lowercase name, as the kernel log and `hactl` show it (`bad-crc`).
    pub fn name(self) -> &'static str {
        match self {
            Invalid::TooShort => "too-short",
            Invalid::BadMagic => "bad-magic",
            Invalid::BadVersion => "bad-version",
            Invalid::BadHeaderSize => "bad-header-size",
            Invalid::WrongOwner => "wrong-owner",
            Invalid::BadItemSize => "bad-item-size",
            Invalid::Truncated => "truncated",
            Invalid::BadCrc => "bad-crc",
            Invalid::ReservedNotZero => "reserved-not-zero",
            Invalid::BadHandoffs => "bad-handoffs",
            Invalid::BadItemVersion => "bad-item-version",
        }
    }
}

/// The `N` bytes of the header field at `off`.
fn field<const N: usize>(head: &[u8; HEADER_SIZE], off: usize) -> [u8; N] {
    // Every field lies inside the header (checked at compile time, below), so the
    // fallback is never taken.
    head.get(off..)
        .and_then(<[u8]>::first_chunk::<N>)
        .copied()
        .unwrap_or([0; N])
}

/// Sets the header field at `off` to `bytes`.
fn set_field<const N: usize>(head: &mut [u8; HEADER_SIZE], off: usize, bytes: [u8; N]) {
    if let Some(dst) = head.get_mut(off..).and_then(<[u8]>::first_chunk_mut::<N>) {
        *dst = bytes;
    }
}

/// A blob that passed [`parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blob<'a> {
    owner: Owner,
    meta: Meta,
    item_size: usize,
    count: usize,
    items: &'a [u8],
}

impl<'a> Blob<'a> {
    /// The module whose state this is.
    pub fn owner(&self) -> Owner {
        self.owner
    }

    /// The header fields the writer chose.
    pub fn meta(&self) -> Meta {
        self.meta
    }

    /// Bytes per item, 1 to [`MAX_ITEM_SIZE`].
    pub fn item_size(&self) -> usize {
        self.item_size
    }

    /// The number of items.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Bytes of the blob, header and items: where a buffer holding it may end.
    pub fn size(&self) -> usize {
        HEADER_SIZE.saturating_add(self.items.len())
    }

    /// The items, in the order they were pushed, each [`Blob::item_size`] bytes.
    pub fn items(&self) -> Items<'a> {
        Items {
            rest: self.items,
            item_size: self.item_size,
        }
    }
}

/// The items of a [`Blob`], from [`Blob::items`].
#[derive(Clone, Debug)]
pub struct Items<'a> {
    /// The items not yet returned, a multiple of `item_size` bytes.
    rest: &'a [u8],
    /// At least 1 ([`parse`] checked it).
    item_size: usize,
}

impl<'a> Iterator for Items<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<Self::Item> {
        if self.item_size == 0 {
            return None;
        }
        let (item, rest) = self.rest.split_at_checked(self.item_size)?;
        self.rest = rest;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.rest.len().checked_div(self.item_size).unwrap_or(0);
        (n, Some(n))
    }
}

impl ExactSizeIterator for Items<'_> {}

/// Checks a blob that `owner` expects (see the module documentation), in order; on
/// success its header's fields and its items. Time linear in the blob's size, at
/// most the buffer's.
pub fn parse(buf: &[u8], owner: Owner) -> Result<Blob<'_>, Invalid> {
    let head: &[u8; HEADER_SIZE] = buf.first_chunk().ok_or(Invalid::TooShort)?;
    if field::<8>(head, MAGIC_OFF) != MAGIC {
        return Err(Invalid::BadMagic);
    }
    if u16::from_le_bytes(field(head, VERSION_OFF)) != VERSION {
        return Err(Invalid::BadVersion);
    }
    if usize::from(u16::from_le_bytes(field(head, HEADER_SIZE_OFF))) != HEADER_SIZE {
        return Err(Invalid::BadHeaderSize);
    }
    if Owner::from_u16(u16::from_le_bytes(field(head, OWNER_OFF))) != Some(owner) {
        return Err(Invalid::WrongOwner);
    }
    let item_size = usize::from(u16::from_le_bytes(field(head, ITEM_SIZE_OFF)));
    if !(1..=MAX_ITEM_SIZE).contains(&item_size) {
        return Err(Invalid::BadItemSize);
    }
    let count = usize::try_from(u32::from_le_bytes(field(head, COUNT_OFF)))
        .map_err(|_| Invalid::Truncated)?;
    let size = size_for(item_size, count).ok_or(Invalid::Truncated)?;
    let blob = buf.get(..size).ok_or(Invalid::Truncated)?;
    if checksum(blob) != u32::from_le_bytes(field(head, CRC_OFF)) {
        return Err(Invalid::BadCrc);
    }
    if field::<RESERVED_LEN>(head, RESERVED_OFF) != [0; RESERVED_LEN] {
        return Err(Invalid::ReservedNotZero);
    }
    let meta = Meta {
        handoffs: u32::from_le_bytes(field(head, HANDOFFS_OFF)),
        lost: u32::from_le_bytes(field(head, LOST_OFF)),
        sealed_ns: u64::from_le_bytes(field(head, SEALED_NS_OFF)),
        boot_id: field(head, BOOT_ID_OFF),
    };
    if meta.handoffs == 0 {
        return Err(Invalid::BadHandoffs);
    }
    if u16::from_le_bytes(field(head, ITEM_VERSION_OFF)) != owner.item_version() {
        return Err(Invalid::BadItemVersion);
    }
    let items = blob.get(HEADER_SIZE..).unwrap_or_default();
    Ok(Blob {
        owner,
        meta,
        item_size,
        count,
        items,
    })
}

/// Why a [`Writer`] refused a buffer or an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WriteError {
    /// The buffer is shorter than [`HEADER_SIZE`].
    TooSmall,
    /// The item size is not 1 to [`MAX_ITEM_SIZE`].
    BadItemSize,
    /// The item is not the writer's item size: refused, not counted as lost.
    WrongItemSize,
    /// The buffer has no room for another item: refused and counted as lost.
    Full,
}

/// Writes a blob into a buffer: no allocation, no panic, time bounded by the
/// buffer's size. See the module documentation.
pub struct Writer<'a> {
    /// The buffer, at least [`HEADER_SIZE`] bytes.
    buf: &'a mut [u8],
    owner: Owner,
    /// 1 to [`MAX_ITEM_SIZE`].
    item_size: usize,
    /// Items the buffer holds; at most `u32::MAX`.
    capacity: usize,
    /// Items pushed.
    count: usize,
    /// Items refused because the buffer was full.
    lost: u32,
}

impl<'a> Writer<'a> {
    /// A writer of `owner`'s blob of items of `item_size` bytes over `buf`, which
    /// must hold the header at least ([`size_for`] tells how much `count` items
    /// take). Zeroes the header, so that `buf` no longer holds a blob.
    pub fn new(buf: &'a mut [u8], owner: Owner, item_size: usize) -> Result<Self, WriteError> {
        if !(1..=MAX_ITEM_SIZE).contains(&item_size) {
            return Err(WriteError::BadItemSize);
        }
        let (head, items) = buf
            .split_first_chunk_mut::<HEADER_SIZE>()
            .ok_or(WriteError::TooSmall)?;
        head.fill(0);
        let max_count = usize::try_from(u32::MAX).unwrap_or(usize::MAX);
        let capacity = items
            .len()
            .checked_div(item_size)
            .unwrap_or(0)
            .min(max_count);
        Ok(Writer {
            buf,
            owner,
            item_size,
            capacity,
            count: 0,
            lost: 0,
        })
    }

    /// Adds `item` after those pushed before. An item that is not the writer's item
    /// size is refused ([`WriteError::WrongItemSize`]); one that does not fit is
    /// refused and counted as lost ([`WriteError::Full`]).
    pub fn push(&mut self, item: &[u8]) -> Result<(), WriteError> {
        if item.len() != self.item_size {
            return Err(WriteError::WrongItemSize);
        }
        let Some(slot) = self.slot(self.count) else {
            self.lost = self.lost.saturating_add(1);
            return Err(WriteError::Full);
        };
        slot.copy_from_slice(item);
        self.count = self.count.saturating_add(1);
        Ok(())
    }

    /// The bytes of item `index`, if the buffer holds that many items.
    fn slot(&mut self, index: usize) -> Option<&mut [u8]> {
        if index >= self.capacity {
            return None;
        }
        let start = index
            .checked_mul(self.item_size)?
            .checked_add(HEADER_SIZE)?;
        let end = start.checked_add(self.item_size)?;
        self.buf.get_mut(start..end)
    }

    /// The number of items the buffer holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The number of items pushed.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The number of items refused because the buffer was full.
    pub fn lost(&self) -> u32 {
        self.lost
    }

    /// Writes the header: `meta`, with `lost` plus the items this writer refused
    /// (saturating), the owner and its item version, the item size, the count and
    /// the checksum; the magic last. Returns the blob's size, the header and the
    /// items pushed. `meta` is written as it is: [`parse`] refuses a `handoffs` of 0.
    pub fn seal(self, meta: &Meta) -> usize {
        // The items pushed lie inside the buffer (`push`), so neither fallback is
        // taken.
        let items_len = self.count.saturating_mul(self.item_size);
        let size = HEADER_SIZE.saturating_add(items_len);
        let mut head = [0u8; HEADER_SIZE];
        set_field(&mut head, MAGIC_OFF, MAGIC);
        set_field(&mut head, VERSION_OFF, VERSION.to_le_bytes());
        let header_size = u16::try_from(HEADER_SIZE).unwrap_or(u16::MAX);
        set_field(&mut head, HEADER_SIZE_OFF, header_size.to_le_bytes());
        set_field(&mut head, OWNER_OFF, self.owner.code().to_le_bytes());
        let item_size = u16::try_from(self.item_size).unwrap_or(u16::MAX);
        set_field(&mut head, ITEM_SIZE_OFF, item_size.to_le_bytes());
        let count = u32::try_from(self.count).unwrap_or(u32::MAX);
        set_field(&mut head, COUNT_OFF, count.to_le_bytes());
        set_field(&mut head, HANDOFFS_OFF, meta.handoffs.to_le_bytes());
        let lost = meta.lost.saturating_add(self.lost);
        set_field(&mut head, LOST_OFF, lost.to_le_bytes());
        set_field(&mut head, SEALED_NS_OFF, meta.sealed_ns.to_le_bytes());
        set_field(&mut head, BOOT_ID_OFF, meta.boot_id);
        set_field(
            &mut head,
            ITEM_VERSION_OFF,
            self.owner.item_version().to_le_bytes(),
        );
        let items = self.buf.get(HEADER_SIZE..size).unwrap_or_default();
        let crc = !crc_update(crc_update(!0, &head), items);
        set_field(&mut head, CRC_OFF, crc.to_le_bytes());
        let (Some((dst_magic, dst_rest)), Some((src_magic, src_rest))) = (
            self.buf
                .first_chunk_mut::<HEADER_SIZE>()
                .and_then(|h| h.split_first_chunk_mut::<{ MAGIC.len() }>()),
            head.split_first_chunk::<{ MAGIC.len() }>(),
        ) else {
            return 0;
        };
        dst_rest.copy_from_slice(src_rest);
        *dst_magic = *src_magic;
        size
    }
}

/// Adds `extra` to the `lost` of the blob sealed in `buf` (saturating) and updates its
/// checksum: items that reached the owner after the seal and so could not be carried.
/// Checks the blob first, as [`parse`] does (as `owner`'s); a buffer that is not one
/// is left as it is, and the reason returned. Returns the new `lost`.
///
/// Writes `lost`, then the checksum: a blob torn between the two fails [`parse`]
/// (`BadCrc`). Reads the whole blob twice: [`parse`] checks its checksum, then the
/// new one is computed.
pub fn add_lost(buf: &mut [u8], owner: Owner, extra: u32) -> Result<u32, Invalid> {
    let (size, lost) = {
        let blob = parse(buf, owner)?;
        // The header and the items lie inside `buf` (`parse`).
        let size = HEADER_SIZE.saturating_add(blob.items.len());
        (size, blob.meta.lost.saturating_add(extra))
    };
    let blob = buf.get_mut(..size).ok_or(Invalid::Truncated)?;
    let head = blob
        .first_chunk_mut::<HEADER_SIZE>()
        .ok_or(Invalid::TooShort)?;
    set_field(head, LOST_OFF, lost.to_le_bytes());
    let crc = checksum(blob);
    if let Some(head) = blob.first_chunk_mut::<HEADER_SIZE>() {
        set_field(head, CRC_OFF, crc.to_le_bytes());
    }
    Ok(lost)
}

/// The layout the module documentation gives.
const _: () = {
    assert!(MAGIC_OFF + MAGIC.len() == VERSION_OFF);
    assert!(VERSION_OFF + 2 == HEADER_SIZE_OFF && HEADER_SIZE_OFF + 2 == OWNER_OFF);
    assert!(OWNER_OFF + 2 == ITEM_SIZE_OFF && ITEM_SIZE_OFF + 2 == COUNT_OFF);
    assert!(COUNT_OFF + 4 == CRC_OFF && CRC_OFF + 4 == HANDOFFS_OFF);
    assert!(HANDOFFS_OFF + 4 == LOST_OFF && LOST_OFF + 4 == SEALED_NS_OFF);
    assert!(SEALED_NS_OFF + 8 == BOOT_ID_OFF && BOOT_ID_OFF + BOOT_ID_LEN == ITEM_VERSION_OFF);
    assert!(ITEM_VERSION_OFF + 2 == RESERVED_OFF);
    assert!(RESERVED_OFF + RESERVED_LEN == HEADER_SIZE && HEADER_SIZE == 64);
    assert!(MAX_ITEM_SIZE <= 65535);
};
