// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! The cluster_msg wire format, version 1: encoding, sealing and structural parsing.
//! Pure logic: no allocation, no clock, no panic on any input.
//!
//! This file builds in `cluster_msg.ko` and in the userspace crate
//! `tools/cluster-core` (tests, fuzzing). It uses only `core` and the `CL_R_*`
//! constants of `crate::abi`.
//!
//! # Layout
//!
//! One UDP datagram is one message: an 88-byte header, a payload of `payload_len`
//! bytes ([`MAX_PAYLOAD`] at most) and a 32-byte tag. All integers are big-endian.
//!
//! ```text
//! off  size field
//!   0   4   magic         MAGIC, "HASY"
//!   4   1   version       VERSION
//!   5   1   msg_type      T_HEARTBEAT, T_LEAVE, T_GASP, T_DUMPING
//!   6   1   reason        CL_R_*: 0 for a heartbeat; a leave or a gasp: 1..CL_R_NR,
//!                         not CL_R_TIMEOUT, CL_R_KDUMP or CL_R_DUMPED; a dumping
//!                         notice: CL_R_KDUMP (saving) or CL_R_DUMPED (saved)
//!   7   1   key_id        the key slot that signed, 0..KEY_SLOTS
//!   8   4   cluster_id
//!  12   4   sender        node id, not 0
//!  16   4   dest          node id the message is for, 0 for any
//!  20  16   incarnation   the sender's boot id, new each time its module is enabled
//!  36   8   epoch         the sender's membership epoch
//!  44   8   seq           per incarnation and stream, from 1
//!  52   8   sent_ns       the sender's CLOCK_MONOTONIC when sent (a gasp: when built)
//!  60   8   wall_s        the sender's CLOCK_REALTIME in seconds
//!  68   8   echo_sent_ns  sent_ns of the last heartbeat the sender had from dest, or 0
//!  76   4   echo_hold_us  µs between receiving that heartbeat and sending this one
//!  80   2   flags         F_SEES_YOU; other bits 0
//!  82   2   payload_len   bytes after the header; version 1 sends 0
//!  84   4   arg           a leave for a handoff: ms the sender will be back within
//!  88   N   payload       ignored by version 1
//! 88+N 32   tag           HMAC-SHA256(key[key_id], bytes 0..88+N)
//! ```
//!
//! # Sealing and parsing
//!
//! [`Header::encode`] writes the header and the payload as they are: it does not check
//! the field values, so that tests can build any packet. [`seal`] appends the tag,
//! computed by a [`Mac`] (the kernel's HMAC-SHA256 in the module).
//!
//! [`parse`] makes the structural checks only, in this order, the first failing one
//! giving the [`Reject`]: `Truncated` (shorter than [`MIN_PACKET`]), `Oversized`
//! (longer than [`MAX_PACKET`]), `BadMagic`, `BadVersion`, `BadType` (the reserved
//! type 5, handoff, too), `BadLength` (`88 + payload_len + 32` is
//! not the datagram's length), `BadReason`, `BadFlags`, `BadKeyId`. It does not
//! verify the tag: the caller does that with the key, over [`Parsed::signed`]. The
//! `arg` field and the payload are not checked: a later version may use them.

/// `"HASY"`.
pub const MAGIC: u32 = 0x4841_5359;
/// The wire format version this file speaks.
pub const VERSION: u8 = 1;
/// Bytes before the payload.
pub const HEADER_LEN: usize = 88;
/// Bytes of the HMAC-SHA256 tag.
pub const TAG_LEN: usize = 32;
/// The longest payload.
pub const MAX_PAYLOAD: usize = 256;
/// The shortest datagram: a header and a tag.
pub const MIN_PACKET: usize = HEADER_LEN + TAG_LEN;
/// The longest datagram: a header, the longest payload and a tag.
pub const MAX_PACKET: usize = HEADER_LEN + MAX_PAYLOAD + TAG_LEN;
/// Key slots: `key_id` is below this.
pub const KEY_SLOTS: u8 = 2;

/// A heartbeat (normal stream).
pub const T_HEARTBEAT: u8 = 1;
/// The sender leaves (normal stream): `reason`, and `arg` for a handoff.
pub const T_LEAVE: u8 = 2;
/// The sender is dying (gasp stream): `reason`.
pub const T_GASP: u8 = 3;
/// A capture kernel is saving the sender's crash dump, or saved it (normal stream):
/// `reason` `CL_R_KDUMP` or `CL_R_DUMPED`.
pub const T_DUMPING: u8 = 4;
/// Reserved: a handoff's new kernel. Rejected (`BadType`) by version 1.
pub const T_HANDOFF: u8 = 5;

/// `flags`: the sender heard `dest`, in `dest`'s current incarnation, within the dead
/// time.
pub const F_SEES_YOU: u16 = 1;
/// The flags version 1 knows.
pub const F_ALL: u16 = F_SEES_YOU;

/// Why a datagram was rejected, by [`parse`] or by the receiver's later checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reject {
    /// Shorter than [`MIN_PACKET`].
    Truncated,
    /// Longer than [`MAX_PACKET`].
    Oversized,
    /// Not [`MAGIC`].
    BadMagic,
    /// Not [`VERSION`].
    BadVersion,
    /// Not a message type version 1 knows.
    BadType,
    /// `payload_len` does not match the datagram's length.
    BadLength,
    /// A reason the message type does not allow.
    BadReason,
    /// Flags version 1 does not know.
    BadFlags,
    /// A key slot at or above [`KEY_SLOTS`].
    BadKeyId,
    /// Another cluster's.
    WrongCluster,
    /// Sent by this node (a loop, or a forgery).
    FromSelf,
    /// For another node.
    WrongDest,
    /// The sender is not a configured peer.
    UnknownNode,
    /// The key slot it names holds no key here.
    NoKey,
    /// The tag does not verify.
    BadMac,
    /// Its sequence number was already accepted.
    Replayed,
    /// Its sequence number is 0, or too far behind the window.
    TooOld,
    /// From an incarnation of the sender that is dead or was replaced.
    StaleIncarnation,
    /// A new incarnation whose wall clock is too far from ours.
    ClockSkew,
    /// A repeat of the gasp that ended the sender's incarnation.
    Duplicate,
}

impl Reject {
    /// The number of reasons.
    pub const NR: usize = 20;

    /// Every reason, in [`Reject::index`] order.
    pub const ALL: [Reject; Self::NR] = [
        Reject::Truncated,
        Reject::Oversized,
        Reject::BadMagic,
        Reject::BadVersion,
        Reject::BadType,
        Reject::BadLength,
        Reject::BadReason,
        Reject::BadFlags,
        Reject::BadKeyId,
        Reject::WrongCluster,
        Reject::FromSelf,
        Reject::WrongDest,
        Reject::UnknownNode,
        Reject::NoKey,
        Reject::BadMac,
        Reject::Replayed,
        Reject::TooOld,
        Reject::StaleIncarnation,
        Reject::ClockSkew,
        Reject::Duplicate,
    ];

    /// The position of this reason in [`Reject::ALL`], below [`Reject::NR`].
    pub fn index(self) -> usize {
        match self {
            Reject::Truncated => 0,
            Reject::Oversized => 1,
            Reject::BadMagic => 2,
            Reject::BadVersion => 3,
            Reject::BadType => 4,
            Reject::BadLength => 5,
            Reject::BadReason => 6,
            Reject::BadFlags => 7,
            Reject::BadKeyId => 8,
            Reject::WrongCluster => 9,
            Reject::FromSelf => 10,
            Reject::WrongDest => 11,
            Reject::UnknownNode => 12,
            Reject::NoKey => 13,
            Reject::BadMac => 14,
            Reject::Replayed => 15,
            Reject::TooOld => 16,
            Reject::StaleIncarnation => 17,
            Reject::ClockSkew => 18,
            Reject::Duplicate => 19,
        }
    }

    /// The snake_case name (sysfs counter `rx_<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Reject::Truncated => "truncated",
            Reject::Oversized => "oversized",
            Reject::BadMagic => "bad_magic",
            Reject::BadVersion => "bad_version",
            Reject::BadType => "bad_type",
            Reject::BadLength => "bad_length",
            Reject::BadReason => "bad_reason",
            Reject::BadFlags => "bad_flags",
            Reject::BadKeyId => "bad_key_id",
            Reject::WrongCluster => "wrong_cluster",
            Reject::FromSelf => "from_self",
            Reject::WrongDest => "wrong_dest",
            Reject::UnknownNode => "unknown_node",
            Reject::NoKey => "no_key",
            Reject::BadMac => "bad_mac",
            Reject::Replayed => "replayed",
            Reject::TooOld => "too_old",
            Reject::StaleIncarnation => "stale_incarnation",
            Reject::ClockSkew => "clock_skew",
            Reject::Duplicate => "duplicate",
        }
    }
}

/// Computes and verifies tags. The module implements it with the kernel's HMAC-SHA256
/// and a constant-time compare (`net.c`), the tests with the `hmac` and `sha2` crates.
pub trait Mac {
    /// HMAC-SHA256 of `data` with key slot `key_id`; `None` if that slot has no key.
    fn sign(&self, key_id: u8, data: &[u8]) -> Option<[u8; TAG_LEN]>;
    /// Constant-time verification: `Err(Reject::NoKey)` if the slot is empty,
    /// `Err(Reject::BadMac)` on mismatch.
    fn verify(&self, key_id: u8, data: &[u8], tag: &[u8; TAG_LEN]) -> Result<(), Reject>;
}

/// Why a message could not be encoded or sealed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// The buffer cannot hold the message.
    BufferTooSmall,
    /// The payload is longer than [`MAX_PAYLOAD`].
    PayloadTooLong,
    /// The key slot has no key.
    NoKey,
}

/// A message header: every field but the magic, the version and `payload_len`, which
/// [`Header::encode`] and [`parse`] handle (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Header {
    /// `T_*`.
    pub msg_type: u8,
    /// `CL_R_*`.
    pub reason: u8,
    /// The key slot that signs.
    pub key_id: u8,
    /// The cluster id.
    pub cluster_id: u32,
    /// The sender's node id.
    pub sender: u32,
    /// The node id this is for, 0 for any.
    pub dest: u32,
    /// The sender's boot id.
    pub incarnation: [u8; 16],
    /// The sender's membership epoch.
    pub epoch: u64,
    /// Sequence number in the sender's incarnation and stream.
    pub seq: u64,
    /// The sender's `CLOCK_MONOTONIC` in ns when sent (a gasp: when built).
    pub sent_ns: u64,
    /// The sender's `CLOCK_REALTIME` in seconds.
    pub wall_s: u64,
    /// `sent_ns` of the last heartbeat the sender had from `dest`, 0 if none.
    pub echo_sent_ns: u64,
    /// µs between receiving that heartbeat and sending this message.
    pub echo_hold_us: u32,
    /// `F_*`.
    pub flags: u16,
    /// A leave for a handoff: ms the sender will be back within; else 0.
    pub arg: u32,
}

/// Writes consecutive fields into a buffer.
struct Writer<'a>(&'a mut [u8]);

impl Writer<'_> {
    fn put<const N: usize>(&mut self, bytes: [u8; N]) -> Option<()> {
        let (head, tail) = core::mem::take(&mut self.0).split_first_chunk_mut::<N>()?;
        *head = bytes;
        self.0 = tail;
        Some(())
    }
}

/// Reads consecutive fields from a buffer.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, tail) = self.0.split_first_chunk::<N>()?;
        self.0 = tail;
        Some(*head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(u8::from_be_bytes)
    }
    fn u16(&mut self) -> Option<u16> {
        self.take().map(u16::from_be_bytes)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_be_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_be_bytes)
    }
}

impl Header {
    /// Writes the header (with [`MAGIC`], [`VERSION`] and `payload_len`) and `payload`
    /// at the start of `buf`; returns the bytes written, `HEADER_LEN + payload.len()`.
    /// The field values are not checked.
    pub fn encode(&self, payload: &[u8], buf: &mut [u8]) -> Result<usize, EncodeError> {
        let (len, payload_len) = body_len(payload)?;
        let out = buf.get_mut(..len).ok_or(EncodeError::BufferTooSmall)?;
        let (head, body) = out
            .split_first_chunk_mut::<HEADER_LEN>()
            .ok_or(EncodeError::BufferTooSmall)?;
        self.write(payload_len, head)
            .ok_or(EncodeError::BufferTooSmall)?;
        body.copy_from_slice(payload);
        Ok(len)
    }

    fn write(&self, payload_len: u16, head: &mut [u8; HEADER_LEN]) -> Option<()> {
        let mut w = Writer(head);
        w.put(MAGIC.to_be_bytes())?;
        w.put([VERSION, self.msg_type, self.reason, self.key_id])?;
        w.put(self.cluster_id.to_be_bytes())?;
        w.put(self.sender.to_be_bytes())?;
        w.put(self.dest.to_be_bytes())?;
        w.put(self.incarnation)?;
        w.put(self.epoch.to_be_bytes())?;
        w.put(self.seq.to_be_bytes())?;
        w.put(self.sent_ns.to_be_bytes())?;
        w.put(self.wall_s.to_be_bytes())?;
        w.put(self.echo_sent_ns.to_be_bytes())?;
        w.put(self.echo_hold_us.to_be_bytes())?;
        w.put(self.flags.to_be_bytes())?;
        w.put(payload_len.to_be_bytes())?;
        w.put(self.arg.to_be_bytes())?;
        // Every byte written: the layout adds up to HEADER_LEN.
        w.0.is_empty().then_some(())
    }

    /// Reads a header; `None` if `head` is not exactly [`HEADER_LEN`] long. Returns the
    /// header, the magic, the version and `payload_len`, unchecked.
    fn read(head: &[u8]) -> Option<(Header, u32, u8, u16)> {
        let mut r = Reader(head);
        let magic = r.u32()?;
        let version = r.u8()?;
        let mut h = Header {
            msg_type: r.u8()?,
            reason: r.u8()?,
            key_id: r.u8()?,
            cluster_id: r.u32()?,
            sender: r.u32()?,
            dest: r.u32()?,
            incarnation: r.take()?,
            epoch: r.u64()?,
            seq: r.u64()?,
            sent_ns: r.u64()?,
            wall_s: r.u64()?,
            echo_sent_ns: r.u64()?,
            echo_hold_us: r.u32()?,
            flags: r.u16()?,
            arg: 0,
        };
        let payload_len = r.u16()?;
        h.arg = r.u32()?;
        r.0.is_empty().then_some((h, magic, version, payload_len))
    }
}

/// The length of header and payload, and `payload_len`.
fn body_len(payload: &[u8]) -> Result<(usize, u16), EncodeError> {
    let payload_len = u16::try_from(payload.len()).map_err(|_| EncodeError::PayloadTooLong)?;
    if payload.len() > MAX_PAYLOAD {
        return Err(EncodeError::PayloadTooLong);
    }
    let len = HEADER_LEN
        .checked_add(payload.len())
        .ok_or(EncodeError::PayloadTooLong)?;
    Ok((len, payload_len))
}

/// Writes header, payload and tag (over header and payload, with `h.key_id`'s key) at
/// the start of `buf`; returns the datagram's length.
pub fn seal(
    h: &Header,
    payload: &[u8],
    mac: &impl Mac,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    let (len, _) = body_len(payload)?;
    let total = len
        .checked_add(TAG_LEN)
        .ok_or(EncodeError::PayloadTooLong)?;
    let out = buf.get_mut(..total).ok_or(EncodeError::BufferTooSmall)?;
    let (signed, tag) = out
        .split_at_mut_checked(len)
        .ok_or(EncodeError::BufferTooSmall)?;
    h.encode(payload, signed)?;
    let t = mac.sign(h.key_id, signed).ok_or(EncodeError::NoKey)?;
    tag.copy_from_slice(&t);
    Ok(total)
}

/// A datagram that passed [`parse`]: its tag is not verified yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parsed<'a> {
    /// The header.
    pub header: Header,
    /// The payload (ignored by version 1).
    pub payload: &'a [u8],
    /// The bytes the tag covers: header and payload.
    pub signed: &'a [u8],
    /// The tag.
    pub tag: &'a [u8; TAG_LEN],
}

/// Whether message type `msg_type` allows `reason` (see the module documentation).
/// False for a type version 1 does not know.
pub fn reason_allowed(msg_type: u8, reason: u8) -> bool {
    use crate::abi;
    match msg_type {
        T_HEARTBEAT => reason == abi::CL_R_NONE,
        T_LEAVE | T_GASP => {
            (1..abi::CL_R_NR).contains(&reason)
                && !matches!(
                    reason,
                    abi::CL_R_TIMEOUT | abi::CL_R_KDUMP | abi::CL_R_DUMPED
                )
        }
        T_DUMPING => matches!(reason, abi::CL_R_KDUMP | abi::CL_R_DUMPED),
        _ => false,
    }
}

/// The structural checks of a datagram (see the module documentation), in order.
pub fn parse(pkt: &[u8]) -> Result<Parsed<'_>, Reject> {
    if pkt.len() < MIN_PACKET {
        return Err(Reject::Truncated);
    }
    if pkt.len() > MAX_PACKET {
        return Err(Reject::Oversized);
    }
    let head = pkt.get(..HEADER_LEN).ok_or(Reject::Truncated)?;
    let (header, magic, version, payload_len) = Header::read(head).ok_or(Reject::Truncated)?;
    if magic != MAGIC {
        return Err(Reject::BadMagic);
    }
    if version != VERSION {
        return Err(Reject::BadVersion);
    }
    if !matches!(header.msg_type, T_HEARTBEAT | T_LEAVE | T_GASP | T_DUMPING) {
        return Err(Reject::BadType);
    }
    let signed_len = HEADER_LEN
        .checked_add(usize::from(payload_len))
        .ok_or(Reject::BadLength)?;
    if signed_len.checked_add(TAG_LEN) != Some(pkt.len()) {
        return Err(Reject::BadLength);
    }
    if !reason_allowed(header.msg_type, header.reason) {
        return Err(Reject::BadReason);
    }
    if header.flags & !F_ALL != 0 {
        return Err(Reject::BadFlags);
    }
    if header.key_id >= KEY_SLOTS {
        return Err(Reject::BadKeyId);
    }
    let (signed, tag) = pkt.split_at_checked(signed_len).ok_or(Reject::BadLength)?;
    let payload = signed.get(HEADER_LEN..).ok_or(Reject::BadLength)?;
    let tag = <&[u8; TAG_LEN]>::try_from(tag).map_err(|_| Reject::BadLength)?;
    Ok(Parsed {
        header,
        payload,
        signed,
        tag,
    })
}
