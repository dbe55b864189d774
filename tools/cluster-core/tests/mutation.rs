// SPDX-License-Identifier: GPL-2.0

//! Deterministic mutation test: valid sealed datagrams, mutated a million ways (bit
//! flips, byte changes, truncations, extensions, splices, shifts, length fixes, tag
//! swaps), through `Membership::receive` with real HMAC-SHA256. Nothing panics, every
//! mutation is rejected without changing the membership, and the rejection counters
//! add up to the number rejected.

mod common;

use cluster_core::abi;
use cluster_core::membership::{Membership, PeerView, Timing};
use cluster_core::wire::{Header, Reject, F_SEES_YOU, HEADER_LEN, MAX_PACKET, TAG_LEN};
use common::{keys, sealed};

const MS: u64 = 1_000_000;
const WALL: u64 = 1_700_000_000;

/// xorshift64*: a fixed-seed generator, the same run every time.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform enough in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

fn member(local: u32, b: u8, peers: &[u32]) -> Membership {
    let mut m = Membership::new(local, 7, [b; 16], Timing::default()).unwrap();
    for &p in peers {
        m.add_peer(p).unwrap();
    }
    m
}

/// Node 1 after a conversation with nodes 2 to 5, and every datagram of it (each one
/// accepted once, in order).
fn conversation(rng: &mut Rng) -> (Membership, Vec<Vec<u8>>) {
    let mac = keys();
    let mut a = member(1, 1, &[2, 3, 4, 5]);
    let mut peers: Vec<Membership> = (2..=5).map(|id| member(id, id as u8 * 17, &[1])).collect();
    let mut base = Vec::new();
    let mut now = 1_000 * MS;
    let mut deliver = |a: &mut Membership, h: Header, payload: &[u8], now: u64| {
        let pkt = sealed(&h, payload, &mac);
        a.receive(now, WALL, &pkt, &mac)
            .unwrap_or_else(|r| panic!("base datagram rejected: {r:?} {h:?}"));
        base.push(pkt);
    };
    for round in 0..12u64 {
        now += 100 * MS;
        for (i, p) in peers.iter_mut().enumerate() {
            let Some(mut h) = p.heartbeat(1, 0, now, WALL) else {
                continue;
            };
            h.flags = if (round + i as u64) % 3 == 0 {
                0
            } else {
                F_SEES_YOU
            };
            h.echo_sent_ns = now - 3 * MS;
            h.echo_hold_us = 1000;
            if round % 4 == 1 {
                h.dest = 0;
            }
            let payload: Vec<u8> = (0..rng.below(40)).map(|_| rng.byte()).collect();
            deliver(&mut a, h, &payload, now + MS);
        }
        if round == 5 {
            peers[2].leave(abi::CL_R_HANDOFF, 3000).unwrap();
            let h = peers[2].leave_message(1, 0, now, WALL).unwrap();
            deliver(&mut a, h, &[], now + 2 * MS);
        }
        if round == 8 {
            peers[2].rejoin().unwrap();
            peers[1].leave(abi::CL_R_ADMIN, 0).unwrap();
            let h = peers[1].leave_message(1, 0, now, WALL).unwrap();
            deliver(&mut a, h, &[], now + 2 * MS);
        }
    }
    let h = peers[3]
        .gasp_message(1, abi::CL_R_PANIC, 0, now, WALL)
        .unwrap();
    deliver(&mut a, h, &[], now + 3 * MS);
    // Its repeats are rejected (Duplicate) and kept among the bases.
    let g = base.last().unwrap().clone();
    assert_eq!(
        a.receive(now, WALL, &g, &mac).err(),
        Some(Reject::Duplicate)
    );
    let states: Vec<u8> = a.peers().map(|p| p.state).collect();
    assert_eq!(
        states,
        vec![abi::CL_UP, abi::CL_LEFT, abi::CL_UP, abi::CL_DYING],
        "the conversation reaches every kind of state"
    );
    (a, base)
}

/// One mutation of `base[i]`; `others` for splices and tag swaps.
fn mutate(rng: &mut Rng, pkt: &[u8], other: &[u8]) -> Vec<u8> {
    let mut p = pkt.to_vec();
    match rng.below(10) {
        0 => {
            // Flip 1 to 8 bits.
            for _ in 0..1 + rng.below(8) {
                let bit = rng.below(p.len() * 8);
                p[bit / 8] ^= 1 << (bit % 8);
            }
        }
        1 => {
            // Set 1 to 4 bytes (perhaps to the same value).
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(p.len());
                p[i] = rng.byte();
            }
        }
        2 => p.truncate(rng.below(p.len())),
        3 => {
            let n = 1 + rng.below(MAX_PACKET + 64 - p.len());
            p.extend((0..n).map(|_| rng.byte()));
        }
        4 => {
            // A prefix of one, the suffix of another.
            let i = rng.below(p.len() + 1);
            let j = rng.below(other.len() + 1);
            p.truncate(i);
            p.extend_from_slice(&other[j..]);
        }
        5 => {
            // A byte inserted or removed.
            let i = rng.below(p.len());
            if rng.next() & 1 == 0 {
                p.remove(i);
            } else {
                p.insert(i, rng.byte());
            }
        }
        6 => {
            // A random header field value over 8 aligned bytes.
            let at = rng.below(HEADER_LEN - 8);
            p[at..at + 8].copy_from_slice(&rng.next().to_be_bytes());
        }
        7 => {
            // Payload length and datagram length made to agree: parse passes.
            let body = p.len() - TAG_LEN;
            let payload = rng.below(257);
            let mut q = p[..HEADER_LEN.min(body)].to_vec();
            q[82..84].copy_from_slice(&(payload as u16).to_be_bytes());
            q.extend((0..payload).map(|_| rng.byte()));
            q.extend_from_slice(&p[body..]);
            p = q;
        }
        8 => {
            // Another datagram's tag.
            let n = p.len();
            let tag = &other[other.len() - TAG_LEN..];
            p[n - TAG_LEN..].copy_from_slice(tag);
        }
        _ => {
            // The tag of the right bytes, recomputed with a wrong key.
            let n = p.len() - TAG_LEN;
            let wrong = common::Keys::one(b"not the cluster key");
            use cluster_core::wire::Mac;
            let tag = wrong.sign(0, &p[..n]).unwrap();
            p[n..].copy_from_slice(&tag);
        }
    }
    p
}

#[test]
fn million_mutations() {
    let count: usize = if cfg!(debug_assertions) {
        300_000
    } else {
        1_000_000
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut a, base) = conversation(&mut rng);
    let mac = keys();
    let epoch = a.epoch();
    let peers: Vec<PeerView> = a.peers().collect();
    let local = a.local_state();
    let accepted = a.accepted();
    let rejected = a.rejected_total();
    let now = 10_000 * MS;
    let mut identical = 0u64;
    for n in 0..count {
        let i = rng.below(base.len());
        let j = rng.below(base.len());
        let pkt = mutate(&mut rng, &base[i], &base[j]);
        if base.contains(&pkt) {
            identical += 1;
        }
        let r = a.receive(now, WALL, &pkt, &mac);
        assert!(r.is_err(), "mutation {n} of base {i} accepted: {pkt:02x?}");
        assert_eq!(a.epoch(), epoch, "mutation {n}");
        assert!(
            a.peers().eq(peers.iter().copied()),
            "mutation {n} changed a peer"
        );
        assert_eq!(a.local_state(), local);
    }
    assert_eq!(a.accepted(), accepted);
    assert_eq!(a.rejected_total() - rejected, count as u64);
    println!(
        "{count} mutations of {} datagrams rejected ({identical} identical to a sent one)",
        base.len()
    );
    for r in Reject::ALL {
        println!("  rx_{}: {}", r.name(), a.rejected(r));
    }
    // The mutations reach the checks behind the tag, and the structural ones.
    for r in [
        Reject::Truncated,
        Reject::Oversized,
        Reject::BadMagic,
        Reject::BadLength,
        Reject::BadMac,
        Reject::Replayed,
        Reject::StaleIncarnation,
        Reject::Duplicate,
    ] {
        assert!(a.rejected(r) > 0, "{r:?} never hit");
    }
}
