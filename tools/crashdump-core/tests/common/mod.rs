// SPDX-License-Identifier: GPL-2.0

//! Records for the tests: built with the `Writer`, and patched then resealed.

#![allow(dead_code)]

use crashdump_core::record::{
    checksum, Meta, Writer, F_KDUMP_LOADED, F_PANIC_NOTIFIER, REASON_PANIC, RECORD_SIZE,
    REGION_SIZE, STATE_CRASHED,
};

/// A crashed record's meta data.
pub fn meta() -> Meta {
    let mut m = Meta {
        generation: 7,
        state: STATE_CRASHED,
        reason: REASON_PANIC,
        cpu: 3,
        flags: F_PANIC_NOTIFIER | F_KDUMP_LOADED,
        realtime_ns: 1_780_000_000_123_456_789,
        boottime_ns: 12_345_678_901,
        taint: 0x1001,
        last_seq: 42,
        unlogged: 1,
        ..Meta::ZERO
    };
    m.set_release(b"7.2.0-hasys");
    m
}

/// A record of `RECORD_SIZE` bytes, every byte `b`.
pub fn rec(b: u8) -> [u8; RECORD_SIZE] {
    [b; RECORD_SIZE]
}

/// A region holding a record with a message, `records` hwerr records, 2 state records
/// and a log of `log` bytes; and its total size.
pub fn region(records: usize, log: usize) -> (Vec<u8>, usize) {
    let mut buf = vec![0xa5u8; REGION_SIZE];
    let mut w = Writer::new(&mut buf).expect("a whole region");
    w.set_message(b"Kernel panic - not syncing: sysrq triggered crash");
    for i in 0..records {
        assert!(w.push_record(&rec(u8::try_from(i).expect("small"))));
    }
    assert!(w.push_state(&rec(0xf0)));
    assert!(w.push_state(&rec(0xf1)));
    let text: Vec<u8> = (0..log).map(|i| b"abcdefghij\n"[i % 11]).collect();
    w.set_log(&text);
    let total = w.finish(&meta());
    (buf, usize::try_from(total).expect("fits"))
}

/// Reads a header field.
pub fn get_u32(buf: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(buf[off..off + 4].try_into().expect("4 bytes"))
}

/// Writes a header field.
pub fn set_u32(buf: &mut [u8], off: usize, v: u32) {
    buf[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

/// Writes a 16-bit header field.
pub fn set_u16(buf: &mut [u8], off: usize, v: u16) {
    buf[off..off + 2].copy_from_slice(&v.to_le_bytes());
}

/// Recomputes the checksum over `[0, total_size)` as the header says (clamped to the
/// buffer).
pub fn reseal(buf: &mut [u8]) {
    let total = usize::try_from(get_u32(buf, 8))
        .expect("fits")
        .min(buf.len());
    let crc = checksum(&buf[..total]);
    set_u32(buf, 12, crc);
}

/// The independent CRC: crc32fast over the bytes with the crc field as 0.
pub fn reference_checksum(covered: &[u8]) -> u32 {
    let mut c = covered.to_vec();
    let n = c.len().min(16);
    if n > 12 {
        c[12..n].fill(0);
    }
    crc32fast::hash(&c)
}
