// SPDX-License-Identifier: GPL-2.0

//! The KHO blob: layout, checksum, round trips, every rejection in its order, no
//! corruption or truncation that gets through, and no panic on any input.

use handoff_core::blob::{
    add_lost, checksum, parse, size_for, Blob, Invalid, Meta, Owner, WriteError, Writer,
    BOOT_ID_LEN, HEADER_SIZE, MAGIC, MAX_ITEM_SIZE, VERSION,
};
use handoff_core::crc32::{crc32, crc32_zeroed, crc_update};
use proptest::prelude::*;

// Header offsets, as the format's table gives them.
const VERSION_OFF: usize = 8;
const HEADER_SIZE_OFF: usize = 10;
const OWNER_OFF: usize = 12;
const ITEM_SIZE_OFF: usize = 14;
const COUNT_OFF: usize = 16;
const CRC_OFF: usize = 20;
const HANDOFFS_OFF: usize = 24;
const LOST_OFF: usize = 28;
const SEALED_NS_OFF: usize = 32;
const BOOT_ID_OFF: usize = 40;
const ITEM_VERSION_OFF: usize = 56;
const RESERVED_OFF: usize = 58;

/// The meta data of the tests' blobs.
fn meta() -> Meta {
    Meta {
        handoffs: 3,
        lost: 5,
        sealed_ns: 1_780_000_000_123_456_789,
        boot_id: *b"0123456789abcdef",
    }
}

/// Item `i` of `item_size` bytes: its index, then a pattern.
fn item(i: usize, item_size: usize) -> Vec<u8> {
    (0..item_size)
        .map(|j| u8::try_from((i * 31 + j * 7) % 251).unwrap())
        .collect()
}

/// A blob of `count` items of `item_size` bytes, owned by hwerr, in a buffer of
/// exactly its size; and that size.
fn blob(item_size: usize, count: usize) -> (Vec<u8>, usize) {
    let size = size_for(item_size, count).unwrap();
    let mut buf = vec![0xa5; size];
    let mut w = Writer::new(&mut buf, Owner::Hwerr, item_size).unwrap();
    assert_eq!(w.capacity(), count);
    for i in 0..count {
        w.push(&item(i, item_size)).unwrap();
    }
    assert_eq!(w.seal(&meta()), size);
    (buf, size)
}

fn get_u16(buf: &[u8], off: usize) -> u16 {
    u16::from_le_bytes(buf[off..off + 2].try_into().unwrap())
}

fn get_u32(buf: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(buf[off..off + 4].try_into().unwrap())
}

fn set_u16(buf: &mut [u8], off: usize, v: u16) {
    buf[off..off + 2].copy_from_slice(&v.to_le_bytes());
}

fn set_u32(buf: &mut [u8], off: usize, v: u32) {
    buf[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

/// The size the header claims, if it is one.
fn claimed_size(buf: &[u8]) -> Option<usize> {
    let item_size = usize::from(get_u16(buf, ITEM_SIZE_OFF));
    let count = usize::try_from(get_u32(buf, COUNT_OFF)).unwrap();
    size_for(item_size, count)
}

/// Recomputes the checksum over the size the header claims (clamped to the buffer).
fn reseal(buf: &mut [u8]) {
    let size = claimed_size(buf).unwrap_or(buf.len()).min(buf.len());
    let crc = checksum(&buf[..size]);
    set_u32(buf, CRC_OFF, crc);
}

/// The independent CRC: crc32fast over the bytes with the crc field as 0.
fn reference_checksum(blob: &[u8]) -> u32 {
    let mut c = blob.to_vec();
    let n = c.len().min(CRC_OFF + 4);
    if n > CRC_OFF {
        c[CRC_OFF..n].fill(0);
    }
    crc32fast::hash(&c)
}

#[test]
fn sizes() {
    assert_eq!(&MAGIC, b"HASYSKHO");
    assert_eq!(VERSION, 2);
    assert_eq!((HEADER_SIZE, MAX_ITEM_SIZE, BOOT_ID_LEN), (64, 4096, 16));
    assert_eq!(size_for(1, 0), Some(64));
    assert_eq!(size_for(256, 3), Some(64 + 768));
    assert_eq!(size_for(MAX_ITEM_SIZE, 1), Some(64 + 4096));
    assert_eq!(size_for(0, 1), None);
    assert_eq!(size_for(MAX_ITEM_SIZE + 1, 1), None);
    let max_count = usize::try_from(u32::MAX).unwrap();
    assert_eq!(size_for(1, max_count), Some(64 + max_count));
    assert_eq!(size_for(1, max_count + 1), None);
    assert_eq!(
        size_for(MAX_ITEM_SIZE, max_count),
        4096usize
            .checked_mul(max_count)
            .and_then(|n| n.checked_add(64))
    );
}

#[test]
fn names() {
    assert_eq!(
        Invalid::ALL.map(Invalid::name),
        [
            "too-short",
            "bad-magic",
            "bad-version",
            "bad-header-size",
            "wrong-owner",
            "bad-item-size",
            "truncated",
            "bad-crc",
            "reserved-not-zero",
            "bad-handoffs",
            "bad-item-version",
        ]
    );
    for (i, e) in Invalid::ALL.into_iter().enumerate() {
        assert_eq!(e.code(), u32::try_from(i).unwrap() + 1);
        assert_eq!(Invalid::from_code(e.code()), Some(e));
    }
    assert_eq!(Invalid::ALL.len(), Invalid::NR);
    assert_eq!(Invalid::from_code(0), None);
    assert_eq!(Invalid::from_code(12), None);

    assert_eq!(
        Owner::ALL.map(Owner::name),
        ["hwerr", "hadetect", "cluster_msg", "kexec_handoff"]
    );
    assert_eq!(Owner::ALL.map(Owner::code), [1, 2, 3, 4]);
    assert_eq!(Owner::ALL.map(Owner::item_version), [1, 1, 1, 1]);
    for o in Owner::ALL {
        assert_eq!(Owner::from_u16(o.code()), Some(o));
    }
    assert_eq!(Owner::from_u16(0), None);
    assert_eq!(Owner::from_u16(5), None);
    assert_eq!(Owner::from_u16(u16::MAX), None);
}

#[test]
fn crc_vectors() {
    assert_eq!(crc32(b""), 0);
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(
        crc32(b"The quick brown fox jumps over the lazy dog"),
        0x414F_A339
    );
    // In pieces, through one register.
    assert_eq!(!crc_update(crc_update(!0, b"1234"), b"56789"), 0xCBF4_3926);
    // A field taken as 0, whole, in part, or not there at all.
    assert_eq!(crc32_zeroed(b"12__56789", 2, 2), crc32(b"12\x00\x0056789"));
    assert_eq!(crc32_zeroed(b"123", 2, 4), crc32(b"12\0"));
    assert_eq!(crc32_zeroed(b"123", 5, 4), crc32(b"123"));
    assert_eq!(crc32_zeroed(b"123", 0, 0), crc32(b"123"));
}

proptest! {
    #[test]
    fn crc_matches_crc32fast(
        data in proptest::collection::vec(any::<u8>(), 0..2048),
        off in 0usize..2100,
        len in 0usize..64,
    ) {
        prop_assert_eq!(crc32(&data), crc32fast::hash(&data));
        prop_assert_eq!(checksum(&data), reference_checksum(&data));
        let mut zeroed = data.clone();
        let end = (off + len).min(zeroed.len());
        if off < end {
            zeroed[off..end].fill(0);
        }
        prop_assert_eq!(crc32_zeroed(&data, off, len), crc32fast::hash(&zeroed));
    }
}

/// Every field where the table puts it, and the checksum is zlib's over the blob with
/// the crc field as 0.
#[test]
fn layout() {
    let (buf, size) = blob(24, 3);
    assert_eq!(size, 64 + 72);
    assert_eq!(&buf[..8], b"HASYSKHO");
    assert_eq!(get_u16(&buf, VERSION_OFF), 2);
    assert_eq!(get_u16(&buf, HEADER_SIZE_OFF), 64);
    assert_eq!(get_u16(&buf, OWNER_OFF), 1);
    assert_eq!(get_u16(&buf, ITEM_SIZE_OFF), 24);
    assert_eq!(get_u32(&buf, COUNT_OFF), 3);
    assert_eq!(get_u32(&buf, CRC_OFF), reference_checksum(&buf));
    assert_eq!(get_u32(&buf, HANDOFFS_OFF), 3);
    assert_eq!(get_u32(&buf, LOST_OFF), 5);
    assert_eq!(
        &buf[SEALED_NS_OFF..SEALED_NS_OFF + 8],
        &meta().sealed_ns.to_le_bytes()
    );
    assert_eq!(&buf[BOOT_ID_OFF..BOOT_ID_OFF + 16], b"0123456789abcdef");
    assert_eq!(get_u16(&buf, ITEM_VERSION_OFF), Owner::Hwerr.item_version());
    assert_eq!(&buf[RESERVED_OFF..64], &[0; 6]);
    for i in 0..3 {
        assert_eq!(&buf[64 + 24 * i..64 + 24 * (i + 1)], &item(i, 24)[..]);
    }
}

#[test]
fn round_trip() {
    let (buf, size) = blob(24, 3);
    let b = parse(&buf, Owner::Hwerr).expect("valid");
    assert_eq!(b.owner(), Owner::Hwerr);
    assert_eq!(b.meta(), meta());
    assert_eq!((b.item_size(), b.count(), b.size()), (24, 3, size));
    assert_eq!(b.items().len(), 3);
    let items: Vec<&[u8]> = b.items().collect();
    assert_eq!(items, [&item(0, 24)[..], &item(1, 24), &item(2, 24)]);
    // A buffer longer than the blob, as a KHO subtree's may be, parses the same,
    // whatever follows the blob.
    let mut longer = buf.clone();
    longer.extend_from_slice(&[0x5a; 1000]);
    assert_eq!(parse(&longer, Owner::Hwerr), Ok(b));
    longer[size..].fill(0);
    assert_eq!(parse(&longer, Owner::Hwerr), Ok(b));
    // Another module's blob is not this one's.
    for o in [Owner::Hadetect, Owner::ClusterMsg, Owner::KexecHandoff] {
        assert_eq!(parse(&buf, o), Err(Invalid::WrongOwner));
    }
}

#[test]
fn every_owner_and_empty_blobs() {
    for o in Owner::ALL {
        let mut buf = vec![0u8; 200];
        let w = Writer::new(&mut buf, o, MAX_ITEM_SIZE).unwrap();
        assert_eq!(w.capacity(), 0);
        let m = Meta {
            handoffs: 1,
            ..Meta::default()
        };
        assert_eq!(w.seal(&m), HEADER_SIZE);
        let b = parse(&buf, o).expect("valid");
        assert_eq!((b.owner(), b.meta(), b.count()), (o, m, 0));
        assert_eq!(b.item_size(), MAX_ITEM_SIZE);
        assert_eq!(b.items().next(), None);
        assert!(buf[HEADER_SIZE..].iter().all(|&x| x == 0));
    }
}

#[test]
fn writer_edges() {
    let mut buf = vec![0u8; 1000];
    for bad in [0, MAX_ITEM_SIZE + 1, usize::MAX] {
        assert_eq!(
            Writer::new(&mut buf, Owner::Hwerr, bad).err(),
            Some(WriteError::BadItemSize)
        );
    }
    let mut short = [0u8; HEADER_SIZE - 1];
    assert_eq!(
        Writer::new(&mut short, Owner::Hwerr, 8).err(),
        Some(WriteError::TooSmall)
    );
    // The header alone: room for nothing.
    let mut head = [0u8; HEADER_SIZE];
    let mut w = Writer::new(&mut head, Owner::Hadetect, 1).unwrap();
    assert_eq!(w.capacity(), 0);
    assert_eq!(w.push(&[7]), Err(WriteError::Full));
    assert_eq!(w.seal(&meta()), HEADER_SIZE);
    let b = parse(&head, Owner::Hadetect).unwrap();
    assert_eq!((b.count(), b.meta().lost), (0, meta().lost + 1));

    // Wrong sizes are refused, not counted, and change nothing.
    let mut buf = vec![0x11u8; HEADER_SIZE + 2 * 16 + 15];
    let mut w = Writer::new(&mut buf, Owner::ClusterMsg, 16).unwrap();
    assert_eq!(w.capacity(), 2);
    assert_eq!(w.push(&[1; 15]), Err(WriteError::WrongItemSize));
    assert_eq!(w.push(&[1; 17]), Err(WriteError::WrongItemSize));
    assert_eq!(w.push(&[]), Err(WriteError::WrongItemSize));
    assert_eq!((w.count(), w.lost()), (0, 0));
    w.push(&[2; 16]).unwrap();
    assert_eq!(w.count(), 1);
    let size = w.seal(&meta());
    assert_eq!(size, HEADER_SIZE + 16);
    assert!(buf[size..].iter().all(|&x| x == 0x11), "past the blob");
    let b = parse(&buf, Owner::ClusterMsg).unwrap();
    assert_eq!(b.meta(), meta());
    assert_eq!(b.items().collect::<Vec<_>>(), [&[2u8; 16][..]]);
}

/// A full writer refuses and counts each item it cannot hold; seal adds them to the
/// caller's count, saturating.
#[test]
fn full_writer_counts_lost() {
    let mut buf = vec![0u8; size_for(8, 4).unwrap()];
    let mut w = Writer::new(&mut buf, Owner::Hwerr, 8).unwrap();
    for i in 0..4u8 {
        assert_eq!(w.push(&[i; 8]), Ok(()));
    }
    for _ in 0..3 {
        assert_eq!(w.push(&[0xff; 8]), Err(WriteError::Full));
    }
    assert_eq!(w.push(&[0xff; 9]), Err(WriteError::WrongItemSize));
    assert_eq!((w.count(), w.lost()), (4, 3));
    w.seal(&meta());
    let b = parse(&buf, Owner::Hwerr).unwrap();
    assert_eq!(b.meta().lost, meta().lost + 3);
    assert_eq!(b.count(), 4);
    assert!(b
        .items()
        .enumerate()
        .all(|(i, it)| it == [u8::try_from(i).unwrap(); 8]));

    let mut w = Writer::new(&mut buf, Owner::Hwerr, 8).unwrap();
    for _ in 0..6 {
        let _ = w.push(&[0; 8]);
    }
    let m = Meta {
        lost: u32::MAX - 1,
        ..meta()
    };
    w.seal(&m);
    assert_eq!(parse(&buf, Owner::Hwerr).unwrap().meta().lost, u32::MAX);
}

/// add_lost counts late items into a sealed blob: only `lost` and the checksum change,
/// saturating; anything that is not the owner's valid blob is refused and untouched.
#[test]
fn add_lost_counts_late_items() {
    let (mut buf, size) = blob(24, 3);
    buf.extend_from_slice(&[0x5a; 40]);
    let before = buf.clone();
    assert_eq!(add_lost(&mut buf, Owner::Hwerr, 7), Ok(meta().lost + 7));
    let b = parse(&buf, Owner::Hwerr).unwrap();
    assert_eq!(
        b.meta(),
        Meta {
            lost: meta().lost + 7,
            ..meta()
        }
    );
    assert_eq!(get_u32(&buf, CRC_OFF), reference_checksum(&buf[..size]));
    let changed: Vec<usize> = (0..buf.len()).filter(|&i| buf[i] != before[i]).collect();
    assert!(
        changed
            .iter()
            .all(|i| (CRC_OFF..CRC_OFF + 4).contains(i) || (LOST_OFF..LOST_OFF + 4).contains(i)),
        "{changed:?}"
    );
    assert_eq!(add_lost(&mut buf, Owner::Hwerr, 0), Ok(meta().lost + 7));
    assert_eq!(add_lost(&mut buf, Owner::Hwerr, u32::MAX), Ok(u32::MAX));
    assert_eq!(parse(&buf, Owner::Hwerr).unwrap().meta().lost, u32::MAX);

    let (good, _) = blob(24, 3);
    for (owner, f, why) in [
        (Owner::Hadetect, None, Invalid::WrongOwner),
        (Owner::Hwerr, Some(BOOT_ID_OFF), Invalid::BadCrc),
        (Owner::Hwerr, Some(0), Invalid::BadMagic),
    ] {
        let mut bad = good.clone();
        if let Some(off) = f {
            bad[off] ^= 1;
        }
        let kept = bad.clone();
        assert_eq!(add_lost(&mut bad, owner, 1), Err(why));
        assert_eq!(bad, kept);
    }
    let mut short = good[..HEADER_SIZE + 10].to_vec();
    assert_eq!(
        add_lost(&mut short, Owner::Hwerr, 1),
        Err(Invalid::Truncated)
    );
}

/// A new writer makes what the buffer held no blob, before anything is pushed.
#[test]
fn new_writer_invalidates() {
    let (mut buf, _) = blob(24, 3);
    Writer::new(&mut buf, Owner::Hwerr, 24).unwrap();
    assert!(buf[..HEADER_SIZE].iter().all(|&b| b == 0));
    assert_eq!(parse(&buf, Owner::Hwerr), Err(Invalid::BadMagic));
}

/// A blob whose items are in another format than its owner's in this build (a kernel
/// running another hasys sealed it) is refused whole, checksum and all else intact;
/// so is a blob of format version 1, which had no item version.
#[test]
fn other_item_versions_are_refused() {
    for o in Owner::ALL {
        let mut buf = vec![0u8; size_for(8, 2).unwrap()];
        let mut w = Writer::new(&mut buf, o, 8).unwrap();
        w.push(&[1; 8]).unwrap();
        w.push(&[2; 8]).unwrap();
        w.seal(&meta());
        assert!(parse(&buf, o).is_ok());
        for v in [0, o.item_version() - 1, o.item_version() + 1, u16::MAX] {
            if v == o.item_version() {
                continue;
            }
            let mut other = buf.clone();
            set_u16(&mut other, ITEM_VERSION_OFF, v);
            reseal(&mut other);
            assert_eq!(parse(&other, o), Err(Invalid::BadItemVersion), "{o:?} {v}");
            let mut extra = other.clone();
            assert_eq!(add_lost(&mut extra, o, 1), Err(Invalid::BadItemVersion));
            assert_eq!(extra, other, "a refused blob is left as it was");
        }
        let mut v1 = buf.clone();
        set_u16(&mut v1, VERSION_OFF, 1);
        set_u16(&mut v1, ITEM_VERSION_OFF, 0);
        reseal(&mut v1);
        assert_eq!(parse(&v1, o), Err(Invalid::BadVersion));
    }
}

/// What a single-bit flip at `byte` of a blob in `buf` must be refused with.
fn flip_error(buf: &[u8], byte: usize) -> Invalid {
    match byte {
        0..=7 => Invalid::BadMagic,
        8..=9 => Invalid::BadVersion,
        10..=11 => Invalid::BadHeaderSize,
        12..=13 => Invalid::WrongOwner,
        14..=19 => {
            let item_size = usize::from(get_u16(buf, ITEM_SIZE_OFF));
            if !(1..=MAX_ITEM_SIZE).contains(&item_size) {
                Invalid::BadItemSize
            } else if claimed_size(buf).is_none_or(|s| s > buf.len()) {
                Invalid::Truncated
            } else {
                Invalid::BadCrc
            }
        }
        _ => Invalid::BadCrc,
    }
}

/// Every single-bit flip of a sealed blob is refused, with the error of the first
/// check it breaks; a flip past the blob changes nothing.
#[test]
fn every_bit_flip_is_caught() {
    for (item_size, count, slack) in [(24, 5, 0), (24, 5, 4096), (256, 16, 0), (1, 0, 0)] {
        let (mut buf, size) = blob(item_size, count);
        buf.resize(size + slack, 0x3c);
        let good = parse(&buf, Owner::Hwerr).unwrap();
        let (m, items): (Meta, Vec<Vec<u8>>) =
            (good.meta(), good.items().map(<[u8]>::to_vec).collect());
        for byte in 0..size {
            for bit in 0..8 {
                buf[byte] ^= 1 << bit;
                let want = flip_error(&buf, byte);
                assert_eq!(
                    parse(&buf, Owner::Hwerr).map(|b| b.meta()),
                    Err(want),
                    "flip of bit {bit} of byte {byte} ({item_size} x {count} + {slack})"
                );
                buf[byte] ^= 1 << bit;
            }
        }
        for byte in (size..buf.len()).step_by(97) {
            buf[byte] ^= 0x10;
            let b = parse(&buf, Owner::Hwerr).expect("past the blob");
            assert_eq!(b.meta(), m);
            assert!(b.items().map(<[u8]>::to_vec).eq(items.iter().cloned()));
            buf[byte] ^= 0x10;
        }
    }
}

/// Every prefix of a blob is refused, with the error its length calls for.
#[test]
fn every_truncation_is_caught() {
    let (buf, size) = blob(40, 7);
    for len in 0..size {
        let want = if len < HEADER_SIZE {
            Invalid::TooShort
        } else {
            Invalid::Truncated
        };
        assert_eq!(parse(&buf[..len], Owner::Hwerr), Err(want), "{len} bytes");
    }
    assert!(parse(&buf[..size], Owner::Hwerr).is_ok());
    assert_eq!(parse(&[], Owner::Hwerr), Err(Invalid::TooShort));
    assert_eq!(parse(&[0; 4096], Owner::Hwerr), Err(Invalid::BadMagic));
}

/// A valid blob, then `f`, then the checksum recomputed.
fn patched(f: impl FnOnce(&mut [u8])) -> Vec<u8> {
    let (mut buf, _) = blob(24, 3);
    f(&mut buf);
    reseal(&mut buf);
    buf
}

/// Breaks the checks behind the checksum (which `patched` recomputes).
fn break_after_crc(b: &mut [u8]) {
    b[RESERVED_OFF + 5] = 1;
    set_u32(b, HANDOFFS_OFF, 0);
    set_u16(b, ITEM_VERSION_OFF, 0);
}

/// Breaks every check from `item_size` on; the checksum stays wrong.
fn break_from_item_size(b: &mut [u8]) {
    break_after_crc(b);
    set_u16(b, ITEM_SIZE_OFF, 0);
    set_u32(b, COUNT_OFF, u32::MAX);
    b[CRC_OFF] ^= 1;
}

/// One blob per rejection; each also breaks every later check it can, so the error
/// is the earliest in the documented order.
#[test]
fn validation_order() {
    let cases: Vec<(Invalid, Vec<u8>)> = vec![
        (Invalid::TooShort, {
            let mut b = patched(break_after_crc);
            break_from_item_size(&mut b);
            b[0] = b'X';
            b[..HEADER_SIZE - 1].to_vec()
        }),
        (Invalid::BadMagic, {
            let mut b = patched(break_after_crc);
            break_from_item_size(&mut b);
            b[7] = b'x';
            set_u16(&mut b, VERSION_OFF, 2);
            set_u16(&mut b, HEADER_SIZE_OFF, 128);
            set_u16(&mut b, OWNER_OFF, 9);
            b
        }),
        (Invalid::BadVersion, {
            let mut b = patched(break_after_crc);
            break_from_item_size(&mut b);
            set_u16(&mut b, VERSION_OFF, 0);
            set_u16(&mut b, HEADER_SIZE_OFF, 128);
            set_u16(&mut b, OWNER_OFF, 0);
            b
        }),
        (Invalid::BadHeaderSize, {
            let mut b = patched(break_after_crc);
            break_from_item_size(&mut b);
            set_u16(&mut b, HEADER_SIZE_OFF, 63);
            set_u16(&mut b, OWNER_OFF, 2);
            b
        }),
        (Invalid::WrongOwner, {
            let mut b = patched(break_after_crc);
            break_from_item_size(&mut b);
            set_u16(&mut b, OWNER_OFF, 0);
            b
        }),
        (Invalid::WrongOwner, {
            let mut b = patched(break_after_crc);
            break_from_item_size(&mut b);
            set_u16(&mut b, OWNER_OFF, Owner::KexecHandoff.code());
            b
        }),
        (Invalid::BadItemSize, {
            let mut b = patched(break_after_crc);
            break_from_item_size(&mut b);
            b
        }),
        (Invalid::BadItemSize, {
            let mut b = patched(break_after_crc);
            break_from_item_size(&mut b);
            set_u16(&mut b, ITEM_SIZE_OFF, 4097);
            b
        }),
        (Invalid::Truncated, {
            let mut b = patched(break_after_crc);
            break_from_item_size(&mut b);
            set_u16(&mut b, ITEM_SIZE_OFF, 24);
            set_u32(&mut b, COUNT_OFF, 4);
            b
        }),
        (Invalid::Truncated, {
            let mut b = patched(break_after_crc);
            break_from_item_size(&mut b);
            set_u16(&mut b, ITEM_SIZE_OFF, 4096);
            b
        }),
        (Invalid::BadCrc, {
            let mut b = patched(break_after_crc);
            b[CRC_OFF] ^= 1;
            b
        }),
        (Invalid::BadCrc, {
            // Fewer items than the checksum was computed over.
            let mut b = patched(break_after_crc);
            set_u32(&mut b, COUNT_OFF, 2);
            b
        }),
        (Invalid::ReservedNotZero, patched(break_after_crc)),
        (
            Invalid::ReservedNotZero,
            patched(|b| {
                break_after_crc(b);
                b[RESERVED_OFF + 5] = 0;
                b[RESERVED_OFF] = 0x80;
            }),
        ),
        (
            Invalid::BadHandoffs,
            patched(|b| {
                set_u32(b, HANDOFFS_OFF, 0);
                set_u16(b, ITEM_VERSION_OFF, 0);
            }),
        ),
        (
            Invalid::BadItemVersion,
            patched(|b| set_u16(b, ITEM_VERSION_OFF, 0)),
        ),
        (
            Invalid::BadItemVersion,
            patched(|b| set_u16(b, ITEM_VERSION_OFF, Owner::Hwerr.item_version() + 1)),
        ),
    ];
    for (want, buf) in &cases {
        assert_eq!(parse(buf, Owner::Hwerr), Err(*want), "case {}", want.name());
    }
    let seen: std::collections::HashSet<_> = cases.iter().map(|(e, _)| *e).collect();
    assert_eq!(seen.len(), Invalid::NR, "every rejection has a case");
    // Resealed without a change, the blob is valid: the cases' checksums are right
    // where they should be.
    assert!(parse(&patched(|_| ()), Owner::Hwerr).is_ok());
}

/// `b` sealed again by a writer: the very bytes it was parsed from.
fn reencode(b: &Blob<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; b.size()];
    let mut w = Writer::new(&mut buf, b.owner(), b.item_size()).unwrap();
    for item in b.items() {
        w.push(item).unwrap();
    }
    assert_eq!(w.seal(&b.meta()), b.size());
    buf
}

fn arb_meta() -> impl Strategy<Value = Meta> {
    (
        1u32..,
        any::<u32>(),
        any::<u64>(),
        any::<[u8; BOOT_ID_LEN]>(),
    )
        .prop_map(|(handoffs, lost, sealed_ns, boot_id)| Meta {
            handoffs,
            lost,
            sealed_ns,
            boot_id,
        })
}

fn arb_owner() -> impl Strategy<Value = Owner> {
    proptest::sample::select(Owner::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever a writer is given comes back from parse: the items that fitted, in
    /// order, the meta data with the others counted lost, and nothing written past
    /// the blob.
    #[test]
    fn writer_round_trip(
        owner in arb_owner(),
        item_size in prop_oneof![1usize..=64, 1usize..=MAX_ITEM_SIZE],
        items in 0usize..24,
        room in 0usize..28,
        slack in 0usize..MAX_ITEM_SIZE,
        seed in any::<u8>(),
        meta in arb_meta(),
    ) {
        let slack = slack % item_size;
        let size = size_for(item_size, room).unwrap() + slack;
        let mut buf = vec![0xc3u8; size];
        let mut w = Writer::new(&mut buf, owner, item_size).unwrap();
        prop_assert_eq!(w.capacity(), room);
        let item = |i: usize| -> Vec<u8> {
            (0..item_size).map(|j| seed ^ u8::try_from((i * 13 + j) % 256).unwrap()).collect()
        };
        for i in 0..items {
            let want = if i < room { Ok(()) } else { Err(WriteError::Full) };
            prop_assert_eq!(w.push(&item(i)), want);
        }
        let kept = items.min(room);
        let lost = u32::try_from(items - kept).unwrap();
        prop_assert_eq!((w.count(), w.lost()), (kept, lost));
        let sealed = w.seal(&meta);
        prop_assert_eq!(sealed, size_for(item_size, kept).unwrap());
        prop_assert!(buf[sealed..].iter().all(|&b| b == 0xc3));
        prop_assert_eq!(get_u32(&buf, CRC_OFF), reference_checksum(&buf[..sealed]));
        let b = parse(&buf, owner).expect("what the writer sealed is valid");
        prop_assert_eq!(b.owner(), owner);
        prop_assert_eq!(b.meta(), Meta { lost: meta.lost.saturating_add(lost), ..meta });
        prop_assert_eq!((b.item_size(), b.count(), b.size()), (item_size, kept, sealed));
        prop_assert_eq!(b.items().len(), kept);
        for (i, it) in b.items().enumerate() {
            prop_assert_eq!(it, &item(i)[..]);
        }
        // Cut at its end, the blob is the same; sealed again, it is the same bytes.
        prop_assert_eq!(parse(&buf[..sealed], owner), Ok(b));
        prop_assert_eq!(&reencode(&b), &buf[..sealed]);
    }

    /// Late items added to any sealed blob: it still parses, with the same items
    /// and meta data but `lost`, which grew by them (saturating).
    #[test]
    fn add_lost_round_trip(
        owner in arb_owner(),
        item_size in 1usize..=64,
        items in 0usize..24,
        meta in arb_meta(),
        extra in prop_oneof![0u32..10, any::<u32>()],
    ) {
        let size = size_for(item_size, items).unwrap();
        let mut buf = vec![0u8; size];
        let mut w = Writer::new(&mut buf, owner, item_size).unwrap();
        for i in 0..items {
            w.push(&item(i, item_size)).unwrap();
        }
        w.seal(&meta);
        let want = meta.lost.saturating_add(extra);
        prop_assert_eq!(add_lost(&mut buf, owner, extra), Ok(want));
        let b = parse(&buf, owner).expect("still valid");
        prop_assert_eq!(b.meta(), Meta { lost: want, ..meta });
        prop_assert_eq!(b.count(), items);
        for (i, it) in b.items().enumerate() {
            prop_assert_eq!(it, &item(i, item_size)[..]);
        }
    }

    /// No input makes add_lost panic, and it changes only what parses.
    #[test]
    fn add_lost_never_panics(data in proptest::collection::vec(any::<u8>(), 0..1024)) {
        for o in Owner::ALL {
            let mut buf = data.clone();
            match add_lost(&mut buf, o, 3) {
                Ok(_) => prop_assert!(parse(&buf, o).is_ok()),
                Err(e) => {
                    prop_assert_eq!(parse(&data, o).err(), Some(e));
                    prop_assert_eq!(&buf, &data);
                }
            }
        }
    }

    /// No input makes parse panic.
    #[test]
    fn parse_never_panics(data in proptest::collection::vec(any::<u8>(), 0..1024)) {
        for o in Owner::ALL {
            let _ = parse(&data, o);
        }
        let mut with_magic = data.clone();
        if with_magic.len() >= 8 {
            with_magic[..8].copy_from_slice(&MAGIC);
        }
        let _ = parse(&with_magic, Owner::Hwerr);
    }

    /// A valid header with arbitrary values in its fields, resealed so that parse
    /// reaches the later checks: no panic, and what parses lies inside the buffer
    /// and is what the header says.
    #[test]
    fn arbitrary_headers(
        fields in proptest::collection::vec((0usize..16, any::<u32>(), 0u32..4), 1..6),
        len in 64usize..2000,
    ) {
        let (mut buf, _) = blob(24, 3);
        buf.resize(len, 0x77);
        for (slot, value, kind) in fields {
            let off = 4 * slot;
            let v = match kind {
                0 => value % 8,
                1 => value % 5000,
                2 => u32::MAX - value % 8,
                _ => value,
            };
            set_u32(&mut buf, off, v);
        }
        reseal(&mut buf);
        if let Ok(b) = parse(&buf, Owner::Hwerr) {
            prop_assert_eq!(&buf[..8], &MAGIC);
            prop_assert!(b.size() <= buf.len());
            prop_assert_eq!(Some(b.size()), size_for(b.item_size(), b.count()));
            prop_assert_eq!(b.items().len(), b.count());
            prop_assert!(b.meta().handoffs >= 1);
            prop_assert_eq!(&reencode(&b), &buf[..b.size()]);
        }
    }
}
