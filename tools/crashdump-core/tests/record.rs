// SPDX-License-Identifier: GPL-2.0

//! The crash record: layout, checksum, round trips, every rejection in its order, no
//! corruption or truncation that gets through, and no panic on any input.

mod common;

use common::{get_u32, meta, rec, reference_checksum, region, reseal, set_u16, set_u32};
use crashdump_core::record::{
    self, checksum, crc32, invalidate, parse, reason_name, state_name, Invalid, Meta, Sections,
    TooSmall, Writer, FLAG_NAMES, F_ALL, F_LOG_TRUNCATED, F_MSG_TRUNCATED, F_POST_NOTIFIERS,
    F_RECORDS_TRUNCATED, HEADER_SIZE, LOG_AREA, LOG_OFF, MAGIC, MAX_RECORDS, MAX_STATE, MIN_REGION,
    MSG_AREA, MSG_OFF, REASON_HW_FATAL, REASON_NONE, REASON_OOPS, REASON_PANIC, RECORDS_OFF,
    RECORD_SIZE, REGION_SIZE, STATE_CRASHED, STATE_LIVE, STATE_OFF, VERSION,
};
use proptest::prelude::*;

// Header offsets, as the format's table gives them.
const VERSION_OFF: usize = 4;
const HEADER_SIZE_OFF: usize = 6;
const TOTAL_OFF: usize = 8;
const CRC_OFF: usize = 12;
const STATE_FIELD: usize = 24;
const REASON_FIELD: usize = 28;
const FLAGS_FIELD: usize = 36;
const MSG_OFF_FIELD: usize = 72;
const MSG_LEN_FIELD: usize = 76;
const RECORDS_OFF_FIELD: usize = 80;
const RECORDS_NR_FIELD: usize = 84;
const STATE_OFF_FIELD: usize = 88;
const STATE_NR_FIELD: usize = 92;
const LOG_OFF_FIELD: usize = 96;
const LOG_LEN_FIELD: usize = 100;
const UNLOGGED_FIELD: usize = 104;
const RESERVED0_FIELD: usize = 108;
const RESERVED_FIELD: usize = 176;

#[test]
fn sizes() {
    assert_eq!(&MAGIC.to_le_bytes(), b"HSCR");
    assert_eq!(VERSION, 1);
    assert_eq!((HEADER_SIZE, RECORD_SIZE, MSG_AREA), (256, 256, 256));
    assert_eq!((REGION_SIZE, MAX_RECORDS, MAX_STATE), (65536, 48, 17));
    assert_eq!(
        (MSG_OFF, RECORDS_OFF, STATE_OFF, LOG_OFF),
        (256, 512, 12800, 17152)
    );
    assert_eq!(LOG_AREA, 65536 - 17152);
    const { assert!(MIN_REGION > LOG_OFF && MIN_REGION <= REGION_SIZE) };
    assert_eq!(F_ALL, 0x1ff);
    assert_eq!(FLAG_NAMES.iter().fold(0, |m, (f, _)| m | f), F_ALL);
    assert_eq!((STATE_LIVE, STATE_CRASHED), (1, 2));
    assert_eq!(
        (REASON_NONE, REASON_PANIC, REASON_OOPS, REASON_HW_FATAL),
        (0, 1, 2, 3)
    );
}

#[test]
fn names() {
    assert_eq!(
        [0, 1, 2, 3].map(state_name),
        ["unknown", "live", "crashed", "unknown"]
    );
    assert_eq!(
        [0, 1, 2, 3, 4].map(reason_name),
        ["none", "panic", "oops", "hw-fatal", "unknown"]
    );
    let names = Invalid::ALL.map(Invalid::name);
    assert_eq!(
        names,
        [
            "absent",
            "truncated",
            "bad-version",
            "bad-header-size",
            "bad-total-size",
            "bad-checksum",
            "bad-state",
            "bad-reason",
            "bad-flags",
            "bad-section"
        ]
    );
    for (i, e) in Invalid::ALL.into_iter().enumerate() {
        assert_eq!(e.code(), u32::try_from(i).unwrap() + 1);
        assert_eq!(Invalid::from_code(e.code()), Some(e));
    }
    assert_eq!(Invalid::from_code(0), None);
    assert_eq!(Invalid::from_code(11), None);
}

#[test]
fn crc_vectors() {
    assert_eq!(crc32(b""), 0);
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b"a"), 0xE8B7_BE43);
    assert_eq!(
        crc32(b"The quick brown fox jumps over the lazy dog"),
        0x414F_A339
    );
    assert_eq!(crc32(&[0u8; 32]), 0x190A_55AD);
    assert_eq!(crc32(&[0xffu8; 32]), 0xFF6C_AB0B);
}

proptest! {
    #[test]
    fn crc_matches_crc32fast(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        prop_assert_eq!(crc32(&data), crc32fast::hash(&data));
        prop_assert_eq!(checksum(&data), reference_checksum(&data));
    }
}

/// Every field where the table puts it, and the checksum is zlib's over the covered
/// bytes with the crc field as 0.
#[test]
fn layout() {
    let (buf, total) = region(3, 100);
    assert_eq!(total, LOG_OFF + 100);
    assert_eq!(&buf[0..4], b"HSCR");
    assert_eq!(&buf[4..8], &[1, 0, 0, 1]);
    assert_eq!(get_u32(&buf, TOTAL_OFF), u32::try_from(total).unwrap());
    assert_eq!(
        get_u32(&buf, CRC_OFF),
        reference_checksum(&buf[..total]),
        "zlib's CRC-32 with the field as 0"
    );
    let m = meta();
    assert_eq!(&buf[16..24], &m.generation.to_le_bytes());
    let u32s = [
        (24, STATE_CRASHED),
        (28, REASON_PANIC),
        (32, 3),
        (36, m.flags),
        (72, 256),
        (76, 49),
        (80, 512),
        (84, 3),
        (88, 12800),
        (92, 2),
        (96, 17152),
        (100, 100),
        (104, 1),
        (108, 0),
    ];
    for (off, v) in u32s {
        assert_eq!(get_u32(&buf, off), v, "field at {off}");
    }
    assert_eq!(&buf[40..48], &m.realtime_ns.to_le_bytes());
    assert_eq!(&buf[48..56], &m.boottime_ns.to_le_bytes());
    assert_eq!(&buf[56..64], &m.taint.to_le_bytes());
    assert_eq!(&buf[64..72], &m.last_seq.to_le_bytes());
    assert_eq!(&buf[112..123], b"7.2.0-hasys");
    assert!(buf[123..256].iter().all(|&b| b == 0));
    // The message, then zeros to the end of its area.
    assert_eq!(
        &buf[256..305],
        b"Kernel panic - not syncing: sysrq triggered crash"
    );
    assert!(buf[305..512].iter().all(|&b| b == 0));
    assert!(buf[512..768].iter().all(|&b| b == 0));
    assert!(buf[768..1024].iter().all(|&b| b == 1));
    // Unused slots zeroed.
    assert!(buf[RECORDS_OFF + 3 * 256..STATE_OFF]
        .iter()
        .all(|&b| b == 0));
    assert!(buf[STATE_OFF..STATE_OFF + 256].iter().all(|&b| b == 0xf0));
    assert!(buf[STATE_OFF + 512..LOG_OFF].iter().all(|&b| b == 0));
    assert_eq!(&buf[LOG_OFF..LOG_OFF + 11], b"abcdefghij\n");
    // The log area past the log is not the writer's business.
    assert!(buf[total..].iter().all(|&b| b == 0xa5));
}

#[test]
fn round_trip() {
    let (buf, total) = region(3, 100);
    let p = parse(&buf).expect("valid");
    assert_eq!(p.meta, meta());
    assert_eq!(p.covered(), total);
    assert_eq!(p.meta.release(), b"7.2.0-hasys");
    assert_eq!(
        p.message(),
        b"Kernel panic - not syncing: sysrq triggered crash"
    );
    let recs: Vec<_> = p.records().collect();
    assert_eq!(recs.len(), 3);
    assert_eq!(p.records().len(), 3);
    for (i, r) in recs.iter().enumerate() {
        assert_eq!(**r, rec(u8::try_from(i).unwrap()));
    }
    assert_eq!(p.state().collect::<Vec<_>>(), [&rec(0xf0), &rec(0xf1)]);
    assert_eq!(p.log().len(), 100);
    assert_eq!(
        p.sections,
        Sections {
            msg_off: 256,
            msg_len: 49,
            records_off: 512,
            records_nr: 3,
            state_off: 12800,
            state_nr: 2,
            log_off: 17152,
            log_len: 100,
        }
    );
    // A buffer longer than the record, as the sysfs file may be, parses the same.
    let mut longer = buf.clone();
    longer.extend_from_slice(&[0x5a; 1000]);
    assert_eq!(parse(&longer), Ok(p));
    // What is past total_size does not matter.
    assert_eq!(parse(&buf[..total]), Ok(p));
}

#[test]
fn empty_sections() {
    let mut buf = vec![0u8; REGION_SIZE];
    let m = Meta {
        state: STATE_LIVE,
        ..Meta::ZERO
    };
    let total = Writer::new(&mut buf).unwrap().finish(&m);
    assert_eq!(usize::try_from(total).unwrap(), LOG_OFF);
    let p = parse(&buf).expect("valid");
    assert_eq!(p.meta, m);
    assert!(p.message().is_empty() && p.log().is_empty());
    assert_eq!((p.records().len(), p.state().len()), (0, 0));
    assert_eq!(p.meta.release(), b"");
}

#[test]
fn full_areas() {
    let mut buf = vec![0u8; REGION_SIZE];
    let mut w = Writer::new(&mut buf).unwrap();
    for i in 0..MAX_RECORDS {
        assert_eq!(w.records_free(), MAX_RECORDS - i);
        assert!(w.push_record(&rec(u8::try_from(i).unwrap())));
    }
    assert_eq!(w.records_free(), 0);
    for i in 0..MAX_STATE {
        assert!(w.push_state(&rec(0x80 + u8::try_from(i).unwrap())));
    }
    assert_eq!(w.state_free(), 0);
    assert!(!w.push_state(&rec(0xff)), "the state area is full");
    // The log fills the rest of the region, to its last byte.
    let log: Vec<u8> = (0..LOG_AREA).map(|i| b'a' + (i % 26) as u8).collect();
    w.set_log(&log);
    let mut m = meta();
    m.unlogged = 48;
    let total = w.finish(&m);
    assert_eq!(usize::try_from(total).unwrap(), REGION_SIZE);
    let p = parse(&buf).expect("valid");
    assert_eq!(p.meta, m, "no truncation flag: all of it fitted");
    assert_eq!(p.records().len(), MAX_RECORDS);
    assert_eq!(p.state().len(), MAX_STATE);
    assert!(p
        .records()
        .enumerate()
        .all(|(i, r)| *r == rec(u8::try_from(i).unwrap())));
    assert_eq!(p.state().last(), Some(&rec(0x80 + 16)));
    assert_eq!(p.log(), &log[..]);
}

#[test]
fn truncation_flags() {
    let mut buf = vec![0u8; REGION_SIZE];
    let mut w = Writer::new(&mut buf).unwrap();
    let long = [b'x'; MSG_AREA + 1];
    w.set_message(&long);
    for i in 0..MAX_RECORDS {
        assert!(w.push_record(&rec(u8::try_from(i).unwrap())));
    }
    assert!(!w.push_record(&rec(0xee)), "the records area is full");
    let log: Vec<u8> = (0..LOG_AREA + 10)
        .map(|i| u8::try_from(i % 251).unwrap())
        .collect();
    w.set_log(&log);
    let mut m = meta();
    m.unlogged = 1000;
    w.finish(&m);
    let p = parse(&buf).expect("valid");
    assert_eq!(
        p.meta.flags,
        meta().flags | F_MSG_TRUNCATED | F_RECORDS_TRUNCATED | F_LOG_TRUNCATED
    );
    assert_eq!(p.meta.unlogged, 48, "at most the records added");
    assert_eq!(p.message(), &long[..MSG_AREA]);
    assert_eq!(p.log(), &log[10..], "the log's tail, cut at its start");
}

#[test]
fn writer_edges() {
    // Too small, and the least it takes.
    let mut small = vec![0u8; MIN_REGION - 1];
    assert_eq!(Writer::new(&mut small).err(), Some(TooSmall));
    let mut least = vec![0u8; MIN_REGION];
    let mut w = Writer::new(&mut least).unwrap();
    assert_eq!(w.log_area().len(), MIN_REGION - LOG_OFF);
    assert_eq!(w.set_log_len(usize::MAX), MIN_REGION - LOG_OFF);
    w.log_area().fill(b'z');
    let total = w.finish(&meta());
    assert_eq!(usize::try_from(total).unwrap(), MIN_REGION);
    assert!(parse(&least).unwrap().log().iter().all(|&b| b == b'z'));

    // A larger buffer: only the region is used.
    let mut big = vec![0x11u8; REGION_SIZE + 4096];
    let mut w = Writer::new(&mut big).unwrap();
    assert_eq!(w.log_area().len(), LOG_AREA);
    assert_eq!(w.set_log_len(usize::MAX), LOG_AREA);
    w.finish(&meta());
    assert!(big[REGION_SIZE..].iter().all(|&b| b == 0x11));
    assert_eq!(parse(&big).unwrap().log().len(), LOG_AREA);

    // Wrong sizes are refused and change nothing.
    let mut buf = vec![0u8; REGION_SIZE];
    let mut w = Writer::new(&mut buf).unwrap();
    assert!(!w.push_record(&[0; 255]));
    assert!(!w.push_record(&[0; 257]));
    assert!(!w.push_state(&[]));
    // The message stops at a NUL; a second message replaces the first.
    w.set_message(b"first message, a long one");
    w.set_message(b"second\0hidden");
    // The log written in place.
    w.log_area()[..5].copy_from_slice(b"hello");
    assert_eq!(w.set_log_len(5), 5);
    w.finish(&meta());
    let p = parse(&buf).unwrap();
    assert_eq!(p.meta.flags, meta().flags);
    assert_eq!((p.records().len(), p.state().len()), (0, 0));
    assert_eq!(p.meta.unlogged, 0);
    assert_eq!(p.message(), b"second");
    assert!(buf[MSG_OFF + 6..RECORDS_OFF].iter().all(|&b| b == 0));
    assert_eq!(p.log(), b"hello");
}

#[test]
fn new_writer_invalidates() {
    let (mut buf, _) = region(2, 10);
    assert!(parse(&buf).is_ok());
    Writer::new(&mut buf).unwrap();
    assert_eq!(parse(&buf), Err(Invalid::Absent));
    assert!(buf[..LOG_OFF].iter().all(|&b| b == 0));
    let (mut buf, _) = region(2, 10);
    invalidate(&mut buf);
    assert_eq!(&buf[..4], &[0; 4]);
    assert_eq!(parse(&buf), Err(Invalid::Absent));
    // Short buffers.
    let mut tiny = [1u8, 2];
    invalidate(&mut tiny);
    assert_eq!(tiny, [0, 0]);
    invalidate(&mut []);
}

#[test]
fn release() {
    let mut m = Meta::ZERO;
    m.set_release(b"6.12.0-1-amd64\0junk");
    assert_eq!(m.release(), b"6.12.0-1-amd64");
    let long = [b'r'; 80];
    m.set_release(&long);
    assert_eq!(m.release(), &long[..64]);
    m.set_release(b"");
    assert_eq!(m.release(), b"");
    assert_eq!(Meta::default(), Meta::ZERO);
}

/// Every single-bit flip in `[0, total_size)` is caught (by the checksum, or by an
/// earlier check when it hits the magic, the version, header_size or total_size); a
/// flip past total_size changes nothing.
#[test]
fn every_bit_flip_is_caught() {
    let (mut buf, total) = region(1, 40);
    let good = parse(&buf).unwrap();
    let (meta, sections) = (good.meta, good.sections);
    for byte in 0..total {
        for bit in 0..8 {
            buf[byte] ^= 1 << bit;
            let r = parse(&buf);
            let ok = match byte {
                0..=3 => r == Err(Invalid::Absent),
                4..=5 => r == Err(Invalid::BadVersion),
                6..=7 => r == Err(Invalid::BadHeaderSize),
                // A smaller total_size still at least HEADER_SIZE is a checksum error,
                // a larger one past the buffer a total size error.
                8..=11 => matches!(r, Err(Invalid::BadChecksum | Invalid::BadTotalSize)),
                _ => r == Err(Invalid::BadChecksum),
            };
            assert!(ok, "flip of bit {bit} of byte {byte}: {r:?}");
            buf[byte] ^= 1 << bit;
        }
    }
    for byte in (total..buf.len()).step_by(97).chain([total, buf.len() - 1]) {
        buf[byte] ^= 0x10;
        let p = parse(&buf).expect("past total_size");
        assert_eq!((p.meta, p.sections), (meta, sections));
        buf[byte] ^= 0x10;
    }
}

/// Every prefix of a record is rejected, with the error its length calls for.
#[test]
fn every_truncation_is_caught() {
    let (buf, total) = region(2, 300);
    for len in 0..total {
        let want = match len {
            0..=3 => Invalid::Absent,
            4..=255 => Invalid::Truncated,
            _ => Invalid::BadTotalSize,
        };
        assert_eq!(parse(&buf[..len]), Err(want), "{len} bytes");
    }
    assert!(parse(&buf[..total]).is_ok());
    assert_eq!(parse(&[]), Err(Invalid::Absent));
    assert_eq!(parse(&vec![0; REGION_SIZE]), Err(Invalid::Absent));
}

/// A valid record, then `f`, then the checksum recomputed.
fn patched(f: impl FnOnce(&mut [u8])) -> Vec<u8> {
    let (mut buf, _) = region(3, 100);
    f(&mut buf);
    reseal(&mut buf);
    buf
}

/// One record per rejection; each also breaks every later check it can, so the
/// error is the earliest in the documented order.
#[test]
fn validation_order() {
    // Breaks every check from BadState on (the checksum is recomputed).
    fn break_later(b: &mut [u8]) {
        set_u32(b, STATE_FIELD, 9);
        set_u32(b, REASON_FIELD, 9);
        set_u32(b, FLAGS_FIELD, u32::MAX);
        set_u32(b, MSG_OFF_FIELD, 0);
        set_u32(b, RESERVED0_FIELD, 1);
    }
    let cases: Vec<(Invalid, Vec<u8>)> = vec![
        (Invalid::Absent, {
            let mut b = patched(break_later);
            b[0] = b'X';
            set_u16(&mut b, VERSION_OFF, 2);
            b
        }),
        (Invalid::Truncated, {
            let b = patched(break_later);
            b[..255].to_vec()
        }),
        (Invalid::BadVersion, {
            let mut b = patched(break_later);
            set_u16(&mut b, VERSION_OFF, 2);
            set_u16(&mut b, HEADER_SIZE_OFF, 128);
            set_u32(&mut b, TOTAL_OFF, 10);
            b
        }),
        (Invalid::BadHeaderSize, {
            let mut b = patched(break_later);
            set_u16(&mut b, HEADER_SIZE_OFF, 255);
            set_u32(&mut b, TOTAL_OFF, 10);
            b
        }),
        (Invalid::BadTotalSize, {
            let mut b = patched(break_later);
            set_u32(&mut b, TOTAL_OFF, 255);
            b
        }),
        (Invalid::BadTotalSize, {
            let mut b = patched(break_later);
            set_u32(&mut b, TOTAL_OFF, u32::try_from(REGION_SIZE + 1).unwrap());
            b
        }),
        (Invalid::BadChecksum, {
            let mut b = patched(break_later);
            b[CRC_OFF] ^= 1;
            b
        }),
        (
            Invalid::BadState,
            patched(|b| {
                break_later(b);
                set_u32(b, REASON_FIELD, REASON_PANIC);
            }),
        ),
        (
            Invalid::BadState,
            patched(|b| {
                break_later(b);
                set_u32(b, STATE_FIELD, STATE_LIVE);
            }),
        ),
        (
            Invalid::BadState,
            patched(|b| {
                break_later(b);
                set_u32(b, STATE_FIELD, STATE_CRASHED);
                set_u32(b, REASON_FIELD, REASON_NONE);
            }),
        ),
        (
            Invalid::BadState,
            patched(|b| {
                break_later(b);
                set_u32(b, STATE_FIELD, 0);
                set_u32(b, REASON_FIELD, REASON_NONE);
            }),
        ),
        (
            Invalid::BadReason,
            patched(|b| {
                break_later(b);
                set_u32(b, STATE_FIELD, STATE_CRASHED);
            }),
        ),
        (
            Invalid::BadFlags,
            patched(|b| {
                break_later(b);
                set_u32(b, STATE_FIELD, STATE_CRASHED);
                set_u32(b, REASON_FIELD, REASON_HW_FATAL);
                set_u32(b, FLAGS_FIELD, F_POST_NOTIFIERS << 1);
            }),
        ),
        (
            Invalid::BadSection,
            patched(|b| {
                break_later(b);
                set_u32(b, STATE_FIELD, STATE_LIVE);
                set_u32(b, REASON_FIELD, REASON_NONE);
                set_u32(b, FLAGS_FIELD, F_ALL);
            }),
        ),
    ];
    for (want, buf) in &cases {
        assert_eq!(parse(buf), Err(*want), "case {}", want.name());
    }
    let seen: std::collections::HashSet<_> = cases.iter().map(|(e, _)| *e).collect();
    assert_eq!(seen.len(), Invalid::NR, "every rejection has a case");
    // And the fields broken by break_later each alone, with the rest valid.
    assert!(parse(&patched(|_| ())).is_ok());
}

/// Each thing BadSection stands for, alone.
#[test]
fn bad_sections() {
    let bad = |f: &dyn Fn(&mut [u8])| {
        let b = patched(|b| f(b));
        assert_eq!(parse(&b), Err(Invalid::BadSection));
    };
    let total = u32::try_from(LOG_OFF + 100).unwrap();
    // Inside [header_size, total_size).
    bad(&|b| set_u32(b, MSG_OFF_FIELD, 255));
    bad(&|b| set_u32(b, MSG_OFF_FIELD, total - 48));
    bad(&|b| set_u32(b, MSG_OFF_FIELD, u32::MAX));
    bad(&|b| set_u32(b, LOG_LEN_FIELD, 101));
    bad(&|b| set_u32(b, LOG_LEN_FIELD, u32::MAX));
    bad(&|b| set_u32(b, LOG_OFF_FIELD, total + 1));
    bad(&|b| set_u32(b, LOG_OFF_FIELD, 0));
    bad(&|b| set_u32(b, RECORDS_OFF_FIELD, 0));
    bad(&|b| set_u32(b, STATE_NR_FIELD, 1000));
    // An empty section beyond total_size.
    bad(&|b| {
        set_u32(b, STATE_NR_FIELD, 0);
        set_u32(b, STATE_OFF_FIELD, total + 8);
    });
    // Counts whose byte count overflows.
    bad(&|b| set_u32(b, RECORDS_NR_FIELD, u32::MAX / 256 + 1));
    bad(&|b| set_u32(b, STATE_NR_FIELD, u32::MAX));
    // Misaligned.
    bad(&|b| set_u32(b, RECORDS_OFF_FIELD, 516));
    bad(&|b| set_u32(b, STATE_OFF_FIELD, 12801));
    // Overlapping: each pair.
    bad(&|b| set_u32(b, MSG_OFF_FIELD, 512));
    bad(&|b| set_u32(b, RECORDS_OFF_FIELD, 256));
    bad(&|b| set_u32(b, STATE_OFF_FIELD, 512 + 2 * 256));
    bad(&|b| set_u32(b, LOG_OFF_FIELD, 12800 + 256));
    bad(&|b| set_u32(b, LOG_OFF_FIELD, 512));
    bad(&|b| set_u32(b, MSG_OFF_FIELD, 12800 + 10));
    // A message longer than its area.
    bad(&|b| set_u32(b, MSG_LEN_FIELD, 257));
    // unlogged above records_nr.
    bad(&|b| set_u32(b, UNLOGGED_FIELD, 4));
    // Reserved fields.
    bad(&|b| set_u32(b, RESERVED0_FIELD, 1));
    bad(&|b| b[RESERVED_FIELD] = 1);
    bad(&|b| b[255] = 0x80);

    let good = |f: &dyn Fn(&mut [u8])| {
        let b = patched(|b| f(b));
        assert!(parse(&b).is_ok(), "{:?}", parse(&b));
    };
    good(&|_| ());
    good(&|b| set_u32(b, UNLOGGED_FIELD, 3));
    // Empty sections may sit anywhere in [header_size, total_size], even on another.
    good(&|b| {
        set_u32(b, MSG_LEN_FIELD, 0);
        set_u32(b, MSG_OFF_FIELD, total);
    });
    good(&|b| {
        set_u32(b, STATE_NR_FIELD, 0);
        set_u32(b, STATE_OFF_FIELD, total - 4);
    });
    good(&|b| {
        set_u32(b, MSG_LEN_FIELD, 0);
        set_u32(b, MSG_OFF_FIELD, 520);
    });
    good(&|b| {
        set_u32(b, RECORDS_NR_FIELD, 0);
        set_u32(b, UNLOGGED_FIELD, 0);
        set_u32(b, RECORDS_OFF_FIELD, 256);
    });
    // The release and the contents of the sections are not checked.
    good(&|b| b[112..176].fill(0xff));
}

/// The decoder reads the layout from the header: sections moved and reordered,
/// with gaps, still parse.
#[test]
fn other_layouts_parse() {
    let mut buf = vec![0u8; 4096];
    // log at 264 (8 bytes), state (1) at 512, message at 1000 (4 bytes), records (2)
    // at 2048; total_size 2600 with a gap at the end.
    buf[264..272].copy_from_slice(b"log text");
    buf[512..768].fill(0x51);
    buf[1000..1004].copy_from_slice(b"oops");
    buf[2048..2304].fill(0x61);
    buf[2304..2560].fill(0x62);
    buf[..4].copy_from_slice(b"HSCR");
    set_u16(&mut buf, VERSION_OFF, 1);
    set_u16(&mut buf, HEADER_SIZE_OFF, 256);
    set_u32(&mut buf, TOTAL_OFF, 2600);
    set_u32(&mut buf, STATE_FIELD, STATE_CRASHED);
    set_u32(&mut buf, REASON_FIELD, REASON_OOPS);
    set_u32(&mut buf, MSG_OFF_FIELD, 1000);
    set_u32(&mut buf, MSG_LEN_FIELD, 4);
    set_u32(&mut buf, RECORDS_OFF_FIELD, 2048);
    set_u32(&mut buf, RECORDS_NR_FIELD, 2);
    set_u32(&mut buf, STATE_OFF_FIELD, 512);
    set_u32(&mut buf, STATE_NR_FIELD, 1);
    set_u32(&mut buf, LOG_OFF_FIELD, 264);
    set_u32(&mut buf, LOG_LEN_FIELD, 8);
    set_u32(&mut buf, UNLOGGED_FIELD, 1);
    reseal(&mut buf);
    let p = parse(&buf).expect("valid");
    assert_eq!(p.message(), b"oops");
    assert_eq!(p.log(), b"log text");
    assert_eq!(
        p.records().collect::<Vec<_>>(),
        [&[0x61; 256], &[0x62; 256]]
    );
    assert_eq!(p.state().collect::<Vec<_>>(), [&[0x51; 256]]);
    assert_eq!(p.total_size, 2600);
    assert_eq!(p.meta.reason, REASON_OOPS);
    assert_eq!(p.meta.unlogged, 1);
}

fn arb_meta() -> impl Strategy<Value = Meta> {
    (
        (
            any::<u64>(),
            prop_oneof![Just(0u32), 1u32..=3],
            any::<u32>(),
        ),
        (any::<u32>(), any::<u64>(), any::<u64>(), any::<u64>()),
        (
            any::<u64>(),
            any::<u32>(),
            proptest::collection::vec(1u8..=255, 0..70),
        ),
    )
        .prop_map(
            |(
                (generation, reason, cpu),
                (flags, realtime_ns, boottime_ns, taint),
                (last_seq, unlogged, rel),
            )| {
                let mut m = Meta {
                    generation,
                    state: if reason == REASON_NONE {
                        STATE_LIVE
                    } else {
                        STATE_CRASHED
                    },
                    reason,
                    cpu,
                    flags: flags & F_ALL,
                    realtime_ns,
                    boottime_ns,
                    taint,
                    last_seq,
                    unlogged,
                    ..Meta::ZERO
                };
                m.set_release(&rel);
                m
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Whatever a writer is given comes back from parse, with the truncation flags
    /// set exactly when something was cut.
    #[test]
    fn writer_round_trip(
        meta in arb_meta(),
        msg in proptest::collection::vec(1u8..=255, 0..300),
        records in proptest::collection::vec(any::<u8>(), 0..52),
        state in proptest::collection::vec(any::<u8>(), 0..20),
        log in proptest::collection::vec(any::<u8>(), 0..3000),
        log_huge in any::<bool>(),
        region_len in MIN_REGION..=REGION_SIZE + 100,
    ) {
        let mut buf = vec![0x3cu8; region_len];
        let mut w = Writer::new(&mut buf).unwrap();
        w.set_message(&msg);
        for (i, &r) in records.iter().enumerate() {
            prop_assert_eq!(w.push_record(&rec(r)), i < MAX_RECORDS);
        }
        for &s in &state {
            w.push_state(&rec(s));
        }
        let area = region_len.min(REGION_SIZE) - LOG_OFF;
        let log = if log_huge {
            log.iter().cycle().take(area + 1).copied().collect::<Vec<_>>()
        } else {
            log
        };
        w.set_log(&log);
        let total = w.finish(&meta);
        let p = parse(&buf).expect("what the writer wrote is valid");
        prop_assert_eq!(usize::try_from(total).unwrap(), LOG_OFF + log.len().min(area));
        prop_assert_eq!(p.total_size, total);
        let n_records = records.len().min(MAX_RECORDS);
        let mut want = meta;
        want.unlogged = meta.unlogged.min(u32::try_from(n_records).unwrap());
        if msg.len() > MSG_AREA {
            want.flags |= F_MSG_TRUNCATED;
        }
        if records.len() > MAX_RECORDS {
            want.flags |= F_RECORDS_TRUNCATED;
        }
        if log.len() > area {
            want.flags |= F_LOG_TRUNCATED;
        }
        prop_assert_eq!(p.meta, want);
        prop_assert_eq!(p.message(), &msg[..msg.len().min(MSG_AREA)]);
        let got: Vec<u8> = p.records().map(|r| r[0]).collect();
        prop_assert_eq!(&got[..], &records[..n_records]);
        prop_assert!(p.records().all(|r| r.iter().all(|&b| b == r[0])));
        let got: Vec<u8> = p.state().map(|r| r[0]).collect();
        prop_assert_eq!(&got[..], &state[..state.len().min(MAX_STATE)]);
        prop_assert_eq!(p.log(), &log[log.len() - log.len().min(area)..]);
        prop_assert_eq!(get_u32(&buf, CRC_OFF), reference_checksum(&buf[..p.covered()]));
    }

    /// No input makes parse panic.
    #[test]
    fn parse_never_panics(data in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = parse(&data);
        let mut with_magic = data.clone();
        if with_magic.len() >= 4 {
            with_magic[..4].copy_from_slice(b"HSCR");
        }
        let _ = parse(&with_magic);
    }

    /// A valid header with arbitrary values in its fields, resealed so that parse
    /// reaches the later checks: no panic, and what parses has its sections in
    /// bounds and apart.
    #[test]
    fn arbitrary_headers(
        fields in proptest::collection::vec((0usize..64, any::<u32>(), 0u32..4), 1..8),
        len in 256usize..20000,
    ) {
        let (mut buf, _) = region(3, 100);
        buf.truncate(len.clamp(LOG_OFF + 100, REGION_SIZE));
        for (slot, value, kind) in fields {
            let off = 4 * slot;
            // Small values, values near the real ones, and anything.
            let v = match kind {
                0 => value % 8,
                1 => 256 + value % 20000,
                2 => u32::MAX - value % 8,
                _ => value,
            };
            set_u32(&mut buf, off, v);
        }
        reseal(&mut buf);
        if let Ok(p) = parse(&buf) {
            prop_assert!(p.covered() <= buf.len());
            let s = p.sections;
            let spans = [
                (s.msg_off, s.msg_len),
                (s.records_off, s.records_nr * 256),
                (s.state_off, s.state_nr * 256),
                (s.log_off, s.log_len),
            ];
            for (i, a) in spans.iter().enumerate() {
                prop_assert!(a.0 >= 256 && a.0 + a.1 <= p.total_size);
                for b in &spans[i + 1..] {
                    prop_assert!(a.1 == 0 || b.1 == 0 || a.0 + a.1 <= b.0 || b.0 + b.1 <= a.0);
                }
            }
            prop_assert!(p.meta.unlogged <= s.records_nr);
            prop_assert_eq!(p.records().len(), usize::try_from(s.records_nr).unwrap());
        }
    }
}

#[test]
fn module_path() {
    // The crate exposes the file as `record`.
    assert_eq!(record::HEADER_SIZE, 256);
}
