// SPDX-License-Identifier: GPL-2.0

//! Fuzz `record::parse` with arbitrary bytes.
//!
//! The input is parsed as it is, and again with its checksum recomputed (the first
//! bytes made a header with the magic, the version and header_size, total_size kept
//! within the input), so that the fuzzer reaches the checks behind the checksum.
//! Nothing may panic; what parses has its sections inside `[256, total_size)` and
//! apart, and a record written again from what parsed parses to the same contents.

#![no_main]

use crashdump_core::record::{
    self, checksum, parse, Parsed, Writer, HEADER_SIZE, MAGIC, VERSION,
};
use libfuzzer_sys::fuzz_target;

fn check(buf: &[u8], p: &Parsed<'_>) {
    let total = p.covered();
    assert!(total >= HEADER_SIZE && total <= buf.len());
    let s = p.sections;
    let spans = [
        (u64::from(s.msg_off), u64::from(s.msg_len)),
        (u64::from(s.records_off), u64::from(s.records_nr) * 256),
        (u64::from(s.state_off), u64::from(s.state_nr) * 256),
        (u64::from(s.log_off), u64::from(s.log_len)),
    ];
    for (i, a) in spans.iter().enumerate() {
        assert!(a.0 >= 256 && a.0 + a.1 <= u64::from(p.total_size));
        for b in &spans[i + 1..] {
            assert!(a.1 == 0 || b.1 == 0 || a.0 + a.1 <= b.0 || b.0 + b.1 <= a.0);
        }
    }
    assert!(p.meta.unlogged <= s.records_nr);
    assert_eq!(p.records().len(), s.records_nr as usize);
    assert_eq!(p.state().len(), s.state_nr as usize);

    // Written again in the writer's layout, it parses to the same contents (the
    // writer may add truncation flags, and drops what does not fit).
    let mut region = vec![0u8; record::REGION_SIZE];
    let mut w = Writer::new(&mut region).expect("a whole region");
    w.set_message(p.message());
    let mut records = 0u32;
    for r in p.records() {
        records += u32::from(w.push_record(r));
    }
    for r in p.state() {
        w.push_state(r);
    }
    w.set_log(p.log());
    w.finish(&p.meta);
    let q = parse(&region).expect("the writer's record is valid");
    assert_eq!(q.meta.generation, p.meta.generation);
    assert_eq!(q.meta.release, p.meta.release);
    assert_eq!(q.meta.unlogged, p.meta.unlogged.min(records));
    assert_eq!(q.meta.flags & p.meta.flags, p.meta.flags);
    assert!(p.message().starts_with(q.message()));
    assert!(p.records().zip(q.records()).all(|(a, b)| a == b));
    assert!(p.log().ends_with(q.log()));
}

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = parse(data) {
        check(data, &p);
    }
    if data.len() < HEADER_SIZE || data.len() > 4 * record::REGION_SIZE {
        return;
    }
    let mut buf = data.to_vec();
    buf[..4].copy_from_slice(&MAGIC.to_le_bytes());
    buf[4..6].copy_from_slice(&VERSION.to_le_bytes());
    buf[6..8].copy_from_slice(&(HEADER_SIZE as u16).to_le_bytes());
    let total = HEADER_SIZE
        + u32::from_le_bytes(buf[8..12].try_into().unwrap()) as usize
            % (buf.len() - HEADER_SIZE + 1);
    buf[8..12].copy_from_slice(&(total as u32).to_le_bytes());
    let crc = checksum(&buf[..total]);
    buf[12..16].copy_from_slice(&crc.to_le_bytes());
    match parse(&buf) {
        Ok(p) => check(&buf, &p),
        Err(e) => assert!(e.code() > 6, "{e:?} after the checksum was fixed"),
    }
});
