// SPDX-License-Identifier: GPL-2.0

//! Fuzz `wire::parse` and `Membership::receive` with arbitrary bytes.
//!
//! The whole input is parsed as one datagram (what parses must encode back to the
//! same bytes); then it is cut into datagrams, each preceded by a 3-byte frame (length,
//! big-endian, and a time step), and fed to a node with four peers, with ticks and
//! outgoing messages in between. The [`Mac`] here accepts every tag of slot 0, so
//! that the fuzzer reaches the incarnation, replay and state checks behind the tag.
//! Nothing may panic, the epoch moves exactly when a record is given, and every
//! datagram is counted once.

#![no_main]

use cluster_core::membership::{Membership, Timing};
use cluster_core::wire::{self, Mac, Reject, MAX_PACKET, TAG_LEN};
use libfuzzer_sys::fuzz_target;

/// Slot 0 verifies anything, slot 1 holds no key.
struct Open;

impl Mac for Open {
    fn sign(&self, key_id: u8, _data: &[u8]) -> Option<[u8; TAG_LEN]> {
        (key_id == 0).then_some([0; TAG_LEN])
    }

    fn verify(&self, key_id: u8, _data: &[u8], _tag: &[u8; TAG_LEN]) -> Result<(), Reject> {
        if key_id == 0 {
            Ok(())
        } else {
            Err(Reject::NoKey)
        }
    }
}

const WALL: u64 = 1_700_000_000;

fn parse_round_trip(data: &[u8]) {
    if let Ok(p) = wire::parse(data) {
        let mut buf = [0u8; MAX_PACKET];
        let n = p
            .header
            .encode(p.payload, &mut buf)
            .expect("a parsed datagram encodes");
        assert_eq!(&buf[..n], p.signed);
        assert_eq!(n + TAG_LEN, data.len());
    }
}

fn membership(data: &[u8]) {
    let Ok(mut m) = Membership::new(1, 0, [1; 16], Timing::default()) else {
        return;
    };
    for id in 2..=5 {
        let _ = m.add_peer(id);
    }
    let mut now = 0u64;
    let mut received = 0u64;
    let mut rest = data;
    while let [hi, lo, step, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])) % (MAX_PACKET + 8);
        let (pkt, tail) = tail.split_at(len.min(tail.len()));
        rest = tail;
        // Time goes forward by up to 2.55 s, or steps back.
        now = if step & 0x80 != 0 && step & 0x40 != 0 {
            now.saturating_sub(u64::from(*step) * 1_000_000)
        } else {
            now.saturating_add(u64::from(*step) * 10_000_000)
        };
        let wall = WALL.wrapping_add(u64::from(*step & 0x3f));
        let epoch = m.epoch();
        let peers: Vec<_> = m.peers().collect();
        match m.receive(now, wall, pkt, &Open) {
            Ok(Some(rec)) => assert_eq!(rec.epoch, epoch + 1),
            Ok(None) => assert_eq!(m.epoch(), epoch),
            Err(_) => {
                assert_eq!(m.epoch(), epoch);
                assert!(m.peers().eq(peers.iter().copied()));
            }
        }
        received += 1;
        if step & 1 != 0 {
            let before = m.epoch();
            let mut changes = 0;
            m.tick(now, &mut |_| changes += 1);
            assert_eq!(m.epoch(), before + changes);
        }
        if step & 2 != 0 {
            let _ = m.heartbeat(2, 0, now, wall);
            let _ = m.gasp_message(3, 1, 0, now, wall);
        }
    }
    assert_eq!(m.accepted() + m.rejected_total(), received);
}

fuzz_target!(|data: &[u8]| {
    parse_round_trip(data);
    membership(data);
});
