// SPDX-License-Identifier: GPL-2.0

//! The wire format: layout, round trips, every structural rejection in its order,
//! sealing with real HMAC-SHA256, and no corruption that gets through.

mod common;

use cluster_core::abi;
use cluster_core::wire::{
    self, parse, reason_allowed, seal, EncodeError, Header, Mac, Reject, F_SEES_YOU, HEADER_LEN,
    KEY_SLOTS, MAGIC, MAX_PACKET, MAX_PAYLOAD, MIN_PACKET, TAG_LEN, T_DUMPING, T_GASP, T_HEARTBEAT,
    T_LEAVE, VERSION,
};
use common::{heartbeat, keys, open, sealed, Keys};
use proptest::prelude::*;
use std::collections::HashSet;

/// The reasons a leave or a gasp may carry.
const LEAVE_REASONS: [u8; 8] = [
    abi::CL_R_PANIC,
    abi::CL_R_OOPS,
    abi::CL_R_HW_FATAL,
    abi::CL_R_KEXEC,
    abi::CL_R_SHUTDOWN,
    abi::CL_R_OVERLOAD,
    abi::CL_R_HANDOFF,
    abi::CL_R_ADMIN,
];

#[test]
fn sizes() {
    assert_eq!(HEADER_LEN, 88);
    assert_eq!(TAG_LEN, 32);
    assert_eq!(MAX_PAYLOAD, 256);
    assert_eq!(MIN_PACKET, 120);
    assert_eq!(MAX_PACKET, 376);
    assert_eq!(&MAGIC.to_be_bytes(), b"HASY");
    assert_eq!(VERSION, 1);
    assert_eq!(
        (T_HEARTBEAT, T_LEAVE, T_GASP, T_DUMPING, F_SEES_YOU),
        (1, 2, 3, 4, 1)
    );
}

/// Every field at its offset, big-endian, as the format's table says.
#[test]
fn layout() {
    let h = Header {
        msg_type: T_LEAVE,
        reason: abi::CL_R_HANDOFF,
        key_id: 1,
        cluster_id: 0x0102_0304,
        sender: 0x1112_1314,
        dest: 0x2122_2324,
        incarnation: *b"0123456789abcdef",
        epoch: 0x3132_3334_3536_3738,
        seq: 0x4142_4344_4546_4748,
        sent_ns: 0x5152_5354_5556_5758,
        wall_s: 0x6162_6364_6566_6768,
        echo_sent_ns: 0x7172_7374_7576_7778,
        echo_hold_us: 0x8182_8384,
        flags: 0x9192,
        arg: 0xa1a2_a3a4,
    };
    let mut buf = [0u8; 100];
    assert_eq!(h.encode(&[0xee, 0xef], &mut buf), Ok(90));
    let mut want = Vec::new();
    want.extend_from_slice(b"HASY");
    want.extend_from_slice(&[1, 2, 7, 1]);
    want.extend_from_slice(&[1, 2, 3, 4, 0x11, 0x12, 0x13, 0x14, 0x21, 0x22, 0x23, 0x24]);
    want.extend_from_slice(b"0123456789abcdef");
    for b in [0x30u8, 0x40, 0x50, 0x60, 0x70] {
        want.extend((1..=8).map(|i| b + i));
    }
    want.extend_from_slice(&[0x81, 0x82, 0x83, 0x84, 0x91, 0x92, 0, 2]);
    want.extend_from_slice(&[0xa1, 0xa2, 0xa3, 0xa4, 0xee, 0xef]);
    assert_eq!(want.len(), 90);
    assert_eq!(&buf[..90], &want[..]);
    assert_eq!(&buf[90..], &[0u8; 10], "nothing written past the message");
}

fn arb_header() -> impl Strategy<Value = Header> {
    let ids = (
        T_HEARTBEAT..=T_DUMPING,
        any::<u8>(),
        0..KEY_SLOTS,
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<[u8; 16]>(),
    );
    let rest = (
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<u32>(),
        any::<bool>(),
        any::<u32>(),
    );
    (ids, rest).prop_map(
        |(
            (msg_type, r, key_id, cluster_id, sender, dest, incarnation),
            (epoch, seq, sent_ns, wall_s, echo_sent_ns, echo_hold_us, sees, arg),
        )| Header {
            msg_type,
            reason: match msg_type {
                T_HEARTBEAT => 0,
                T_DUMPING if r % 2 == 0 => abi::CL_R_KDUMP,
                T_DUMPING => abi::CL_R_DUMPED,
                _ => LEAVE_REASONS[usize::from(r) % LEAVE_REASONS.len()],
            },
            key_id,
            cluster_id,
            sender,
            dest,
            incarnation,
            epoch,
            seq,
            sent_ns,
            wall_s,
            echo_sent_ns,
            echo_hold_us,
            flags: if sees { F_SEES_YOU } else { 0 },
            arg,
        },
    )
}

fn two_keys() -> Keys {
    Keys {
        slots: [Some(b"slot zero".to_vec()), Some(b"slot one".to_vec())],
    }
}

proptest! {
    /// encode then parse gives back every field and the payload.
    #[test]
    fn round_trip(
        h in arb_header(),
        payload in prop::collection::vec(any::<u8>(), 0..=MAX_PAYLOAD),
    ) {
        let mut buf = [0u8; MAX_PACKET];
        let n = h.encode(&payload, &mut buf).unwrap();
        prop_assert_eq!(n, HEADER_LEN + payload.len());
        let mac = two_keys();
        let pkt = sealed(&h, &payload, &mac);
        prop_assert_eq!(pkt.len(), n + TAG_LEN);
        prop_assert_eq!(&pkt[..n], &buf[..n]);
        let p = parse(&pkt).unwrap();
        prop_assert_eq!(p.header, h);
        prop_assert_eq!(p.payload, &payload[..]);
        prop_assert_eq!(p.signed, &pkt[..n]);
        prop_assert_eq!(&p.tag[..], &pkt[n..]);
        prop_assert_eq!(open(&pkt, &mac), Ok(h));
        // The other slot's key does not verify it.
        let mut other = h;
        other.key_id ^= 1;
        prop_assert_eq!(mac.verify(other.key_id, p.signed, p.tag), Err(Reject::BadMac));
    }

    /// No single bit flip of a sealed packet opens.
    #[test]
    fn bit_flips(
        h in arb_header(),
        payload in prop::collection::vec(any::<u8>(), 0..=40),
        bit in any::<prop::sample::Index>(),
    ) {
        let mac = two_keys();
        let mut pkt = sealed(&h, &payload, &mac);
        let bit = bit.index(pkt.len() * 8);
        pkt[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(open(&pkt, &mac).is_err());
    }
}

/// Every flip of every bit of one packet with a payload, exhaustively.
#[test]
fn every_bit_flip() {
    let mac = keys();
    let pkt = sealed(&heartbeat(2, 1, 9), &[1, 2, 3, 4, 5], &mac);
    assert!(open(&pkt, &mac).is_ok());
    for bit in 0..pkt.len() * 8 {
        let mut p = pkt.clone();
        p[bit / 8] ^= 1 << (bit % 8);
        assert!(open(&p, &mac).is_err(), "bit {bit} flipped and opened");
    }
}

/// Every truncation and extension is rejected: `Truncated` below the minimum,
/// `BadLength` above it, `Oversized` above the maximum.
#[test]
fn truncation_and_extension() {
    let mac = keys();
    for payload_len in [0, 1, 40, MAX_PAYLOAD] {
        let payload = vec![0x5a; payload_len];
        let pkt = sealed(&heartbeat(2, 1, 1), &payload, &mac);
        assert!(open(&pkt, &mac).is_ok());
        for len in 0..pkt.len() {
            let want = if len < MIN_PACKET {
                Reject::Truncated
            } else {
                Reject::BadLength
            };
            assert_eq!(
                open(&pkt[..len], &mac),
                Err(want),
                "payload {payload_len}, len {len}"
            );
        }
        for extra in 1..=MAX_PACKET + 1 - pkt.len() {
            let mut p = pkt.clone();
            p.resize(pkt.len() + extra, 0);
            let want = if p.len() > MAX_PACKET {
                Reject::Oversized
            } else {
                Reject::BadLength
            };
            assert_eq!(open(&p, &mac), Err(want), "payload {payload_len}, +{extra}");
        }
    }
}

/// A sealed heartbeat with bytes `at..` replaced by `with` (not resealed: parse does
/// not look at the tag).
fn patched(at: usize, with: &[u8]) -> Vec<u8> {
    let mut p = sealed(&heartbeat(2, 1, 1), &[], &keys());
    p[at..at + with.len()].copy_from_slice(with);
    p
}

fn with_type(msg_type: u8, reason: u8) -> Vec<u8> {
    patched(5, &[msg_type, reason])
}

#[test]
fn every_parse_reject() {
    let ok = patched(0, b"HASY");
    assert!(parse(&ok).is_ok());
    let cases: Vec<(Vec<u8>, Reject)> = vec![
        (vec![], Reject::Truncated),
        (ok[..MIN_PACKET - 1].to_vec(), Reject::Truncated),
        (vec![0; MAX_PACKET + 1], Reject::Oversized),
        (vec![0; 65536], Reject::Oversized),
        (patched(0, b"HASZ"), Reject::BadMagic),
        (patched(0, b"YSAH"), Reject::BadMagic),
        (patched(4, &[0]), Reject::BadVersion),
        (patched(4, &[2]), Reject::BadVersion),
        (with_type(0, 0), Reject::BadType),
        (with_type(T_DUMPING, 0), Reject::BadReason),
        (with_type(T_DUMPING, abi::CL_R_PANIC), Reject::BadReason),
        (with_type(T_GASP, abi::CL_R_KDUMP), Reject::BadReason),
        (with_type(T_LEAVE, abi::CL_R_DUMPED), Reject::BadReason),
        (with_type(5, 0), Reject::BadType),
        (with_type(255, 0), Reject::BadType),
        (patched(82, &[0, 1]), Reject::BadLength),
        (patched(82, &[0xff, 0xff]), Reject::BadLength),
        (with_type(T_HEARTBEAT, abi::CL_R_PANIC), Reject::BadReason),
        (with_type(T_LEAVE, abi::CL_R_NONE), Reject::BadReason),
        (with_type(T_LEAVE, abi::CL_R_TIMEOUT), Reject::BadReason),
        (with_type(T_LEAVE, abi::CL_R_NR), Reject::BadReason),
        (with_type(T_GASP, abi::CL_R_NONE), Reject::BadReason),
        (with_type(T_GASP, abi::CL_R_TIMEOUT), Reject::BadReason),
        (with_type(T_GASP, 255), Reject::BadReason),
        (patched(80, &[0, 2]), Reject::BadFlags),
        (patched(80, &[0x80, 0]), Reject::BadFlags),
        (patched(7, &[2]), Reject::BadKeyId),
        (patched(7, &[255]), Reject::BadKeyId),
    ];
    for (i, (pkt, want)) in cases.iter().enumerate() {
        assert_eq!(parse(pkt).map(|p| p.header), Err(*want), "case {i}");
    }
    // The fields parse does not check.
    for (at, bytes) in [(8, &[9u8; 4][..]), (20, &[0; 16]), (84, &[1, 2, 3, 4])] {
        assert!(parse(&patched(at, bytes)).is_ok(), "offset {at}");
    }
}

/// The first failing check decides, in the documented order.
#[test]
fn parse_order() {
    let mut all_bad = patched(0, b"XXXX");
    all_bad[4] = 9; // version
    all_bad[5] = 9; // type
    all_bad[6] = 99; // reason
    all_bad[7] = 9; // key id
    all_bad[80] = 0xff; // flags
    all_bad[82] = 0xff; // payload length
    let order = [
        (0, b"HASY"[..].to_vec(), Reject::BadMagic),
        (4, vec![VERSION], Reject::BadVersion),
        (5, vec![T_HEARTBEAT], Reject::BadType),
        (82, vec![0], Reject::BadLength),
        (6, vec![0], Reject::BadReason),
        (80, vec![0], Reject::BadFlags),
        (7, vec![1], Reject::BadKeyId),
    ];
    let mut p = all_bad.clone();
    for (at, fix, want) in order {
        assert_eq!(parse(&p).map(|p| p.header), Err(want));
        p[at..at + fix.len()].copy_from_slice(&fix);
    }
    assert!(parse(&p).is_ok());
    // Length checks come before the content.
    assert_eq!(
        parse(&all_bad[..119]).map(|p| p.header),
        Err(Reject::Truncated)
    );
    let mut long = all_bad.clone();
    long.resize(MAX_PACKET + 1, 0);
    assert_eq!(parse(&long).map(|p| p.header), Err(Reject::Oversized));
}

#[test]
fn reasons() {
    for r in 0..=255u8 {
        assert_eq!(reason_allowed(T_HEARTBEAT, r), r == 0);
        let leave = LEAVE_REASONS.contains(&r);
        assert_eq!(reason_allowed(T_LEAVE, r), leave, "{r}");
        assert_eq!(reason_allowed(T_GASP, r), leave, "{r}");
        assert_eq!(
            reason_allowed(T_DUMPING, r),
            r == abi::CL_R_KDUMP || r == abi::CL_R_DUMPED,
            "{r}"
        );
        for t in [0, 5, 255] {
            assert!(!reason_allowed(t, r));
        }
    }
}

#[test]
fn encode_errors() {
    let h = heartbeat(2, 1, 1);
    let mut big = [0u8; 1024];
    assert_eq!(h.encode(&[0; 256], &mut big), Ok(344));
    assert_eq!(
        h.encode(&[0; 257], &mut big),
        Err(EncodeError::PayloadTooLong)
    );
    assert_eq!(
        h.encode(&[0; 70000], &mut big),
        Err(EncodeError::PayloadTooLong)
    );
    assert_eq!(
        h.encode(&[], &mut [0; 87]),
        Err(EncodeError::BufferTooSmall)
    );
    assert_eq!(
        h.encode(&[1], &mut [0; 88]),
        Err(EncodeError::BufferTooSmall)
    );
    assert_eq!(h.encode(&[], &mut []), Err(EncodeError::BufferTooSmall));
    let mac = keys();
    assert_eq!(
        seal(&h, &[], &mac, &mut [0; 119]),
        Err(EncodeError::BufferTooSmall)
    );
    assert_eq!(seal(&h, &[], &mac, &mut [0; 120]), Ok(120));
    assert_eq!(
        seal(&h, &[0; 257], &mac, &mut big),
        Err(EncodeError::PayloadTooLong)
    );
    let slot1 = Header { key_id: 1, ..h };
    assert_eq!(seal(&slot1, &[], &mac, &mut big), Err(EncodeError::NoKey));
    let slot9 = Header { key_id: 9, ..h };
    assert_eq!(seal(&slot9, &[], &mac, &mut big), Err(EncodeError::NoKey));
}

/// RFC 4231 test case 2 through the test `Mac`: the HMAC the tests use is real.
#[test]
fn rfc4231_case2() {
    let mac = Keys::one(b"Jefe");
    let data = b"what do ya want for nothing?";
    let want: [u8; 32] = [
        0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75,
        0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec,
        0x38, 0x43,
    ];
    assert_eq!(mac.sign(0, data), Some(want));
    assert_eq!(mac.verify(0, data, &want), Ok(()));
    let mut bad = want;
    bad[31] ^= 1;
    assert_eq!(mac.verify(0, data, &bad), Err(Reject::BadMac));
    assert_eq!(
        mac.verify(0, b"what do ya want for nothing!", &want),
        Err(Reject::BadMac)
    );
    assert_eq!(mac.sign(1, data), None);
    assert_eq!(mac.verify(1, data, &want), Err(Reject::NoKey));
}

/// A sealed packet's tag is the HMAC of its first bytes, and a packet sealed with
/// another key does not open.
#[test]
fn seal_signs_header_and_payload() {
    let mac = keys();
    let pkt = sealed(&heartbeat(2, 1, 5), b"xyz", &mac);
    let n = HEADER_LEN + 3;
    assert_eq!(mac.sign(0, &pkt[..n]).unwrap(), pkt[n..]);
    assert_eq!(open(&pkt, &Keys::one(b"another key")), Err(Reject::BadMac));
}

#[test]
fn reject_names() {
    assert_eq!(Reject::ALL.len(), Reject::NR);
    let mut names = HashSet::new();
    for (i, r) in Reject::ALL.iter().enumerate() {
        assert_eq!(r.index(), i);
        let name = r.name();
        assert!(names.insert(name), "{name} twice");
        assert!(!name.is_empty());
        assert!(
            name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "{name}"
        );
        // The name is the variant's in snake_case.
        let snake: String = format!("{r:?}")
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                let sep = (i > 0 && c.is_ascii_uppercase()).then_some('_');
                sep.into_iter()
                    .chain(std::iter::once(c.to_ascii_lowercase()))
            })
            .collect();
        assert_eq!(name, snake);
    }
    assert_eq!(Reject::BadMac.name(), "bad_mac");
    assert_eq!(Reject::StaleIncarnation.name(), "stale_incarnation");
}

/// Parse never panics, and what it accepts re-encodes to the same bytes.
#[test]
fn parse_then_encode_is_identity() {
    let mac = keys();
    let pkt = sealed(&heartbeat(2, 1, 5), b"payload", &mac);
    let p = parse(&pkt).unwrap();
    let mut buf = [0u8; MAX_PACKET];
    let n = p.header.encode(p.payload, &mut buf).unwrap();
    assert_eq!(&buf[..n], p.signed);
    let _ = wire::parse(&[0xff; MIN_PACKET]);
}

proptest! {
    /// Random bytes: no panic, and whatever parses re-encodes to its signed bytes.
    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(p) = parse(&bytes) {
            let mut buf = [0u8; MAX_PACKET];
            let n = p.header.encode(p.payload, &mut buf).unwrap();
            prop_assert_eq!(&buf[..n], p.signed);
        }
    }
}
