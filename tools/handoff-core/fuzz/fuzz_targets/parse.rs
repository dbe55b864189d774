// SPDX-License-Identifier: GPL-2.0

//! Fuzz `blob::parse` with arbitrary bytes.
//!
//! The input is parsed as it is, for every owner, and again with a valid header's
//! first fields and its checksum recomputed (the magic, the version and the header
//! size written, the owner, item size and count kept within range and the buffer,
//! and half the time the owner's item version),
//! so that the fuzzer reaches the checks behind the checksum. Nothing may panic; what
//! parses lies inside the input, sealed again by a `Writer` from what parsed it is
//! the very same bytes, and `add_lost` on it changes nothing but `lost`.

#![no_main]

use handoff_core::blob::{
    add_lost, checksum, parse, size_for, Blob, Owner, Writer, HEADER_SIZE, MAGIC, VERSION,
};
use libfuzzer_sys::fuzz_target;

fn check(buf: &[u8], b: &Blob<'_>) {
    let size = b.size();
    assert!(size <= buf.len());
    assert_eq!(Some(size), size_for(b.item_size(), b.count()));
    assert_eq!(b.items().len(), b.count());
    assert!(b.meta().handoffs >= 1);

    // Late items counted in: still the same blob but for `lost`.
    let mut late = buf.to_vec();
    let lost = b.meta().lost.saturating_add(2);
    assert_eq!(add_lost(&mut late, b.owner(), 2), Ok(lost));
    let l = parse(&late, b.owner()).expect("valid after add_lost");
    assert_eq!((l.meta().lost, l.count(), l.size()), (lost, b.count(), size));
    assert!(l.items().eq(b.items()));

    // Written again, the blob is byte for byte the one that parsed.
    let mut again = vec![0u8; size];
    let mut w = Writer::new(&mut again, b.owner(), b.item_size()).expect("a valid item size");
    assert_eq!(w.capacity(), b.count());
    for item in b.items() {
        w.push(item).expect("room for every item");
    }
    assert_eq!(w.seal(&b.meta()), size);
    assert_eq!(again, &buf[..size]);
}

fuzz_target!(|data: &[u8]| {
    for owner in Owner::ALL {
        if let Ok(b) = parse(data, owner) {
            assert_eq!(b.owner(), owner);
            check(data, &b);
        }
    }
    if data.len() < HEADER_SIZE || data.len() > 1 << 20 {
        return;
    }
    let mut buf = data.to_vec();
    buf[..8].copy_from_slice(&MAGIC);
    buf[8..10].copy_from_slice(&VERSION.to_le_bytes());
    buf[10..12].copy_from_slice(&(HEADER_SIZE as u16).to_le_bytes());
    let owner = Owner::ALL[usize::from(buf[12]) % Owner::NR];
    buf[12..14].copy_from_slice(&owner.code().to_le_bytes());
    let item_size = 1 + usize::from(u16::from_le_bytes([buf[14], buf[15]])) % 4096;
    buf[14..16].copy_from_slice(&(item_size as u16).to_le_bytes());
    let room = (buf.len() - HEADER_SIZE) / item_size;
    let count = u32::from_le_bytes(buf[16..20].try_into().unwrap()) as usize % (room + 1);
    buf[16..20].copy_from_slice(&(count as u32).to_le_bytes());
    // Half the time the owner's item version, so that valid blobs are common.
    if buf[56] & 1 == 0 {
        buf[56..58].copy_from_slice(&owner.item_version().to_le_bytes());
    }
    let size = size_for(item_size, count).expect("within the input");
    let crc = checksum(&buf[..size]);
    buf[20..24].copy_from_slice(&crc.to_le_bytes());
    match parse(&buf, owner) {
        Ok(b) => check(&buf, &b),
        Err(e) => assert!(e.code() > 8, "{e:?} after the checksum was fixed"),
    }
});
