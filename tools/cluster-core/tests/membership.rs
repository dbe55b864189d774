// SPDX-License-Identifier: GPL-2.0

//! The membership state machine: joining, timeouts at their exact boundaries,
//! handoffs, leaves, gasps, dumping notices, reboots and clock skew, the retired ring, every rejection
//! counted, the epoch, round-trip times, and clocks that step back or are 0.

mod common;

use cluster_core::abi::{self, Cluster};
use cluster_core::membership::{
    ConfigError, LocalState, Membership, PeerView, RttStats, Timing, MAX_PEERS, RETIRED, RTT_MAX_NS,
};
use cluster_core::wire::{
    self, Header, Reject, F_SEES_YOU, KEY_SLOTS, T_DUMPING, T_GASP, T_HEARTBEAT, T_LEAVE,
};
use common::{keys, sealed, Keys};
use proptest::prelude::*;

const MS: u64 = 1_000_000;
const SEC: u64 = 1000 * MS;
const WALL: u64 = 1_700_000_000;
const CLUSTER: u32 = 7;

fn inc(b: u8) -> [u8; 16] {
    [b; 16]
}

/// Node `local` in incarnation `[b; 16]`, default timing, with `peers`.
fn member(local: u32, b: u8, peers: &[u32]) -> Membership {
    let mut m = Membership::new(local, CLUSTER, inc(b), Timing::default()).unwrap();
    for &p in peers {
        m.add_peer(p).unwrap();
    }
    m
}

fn seal(h: &Header) -> Vec<u8> {
    sealed(h, &[], &keys())
}

/// `from`'s next heartbeat to `to`, sealed.
fn hb(from: &mut Membership, to: u32, now: u64) -> Vec<u8> {
    seal(&from.heartbeat(to, 0, now, WALL).expect("heartbeat"))
}

/// `from`'s next heartbeat to `to`, with `F_SEES_YOU` forced to `sees`.
fn hb_flag(from: &mut Membership, to: u32, now: u64, sees: bool) -> Vec<u8> {
    let mut h = from.heartbeat(to, 0, now, WALL).expect("heartbeat");
    h.flags = if sees { F_SEES_YOU } else { 0 };
    seal(&h)
}

fn rx(m: &mut Membership, now: u64, pkt: &[u8]) -> Result<Option<Cluster>, Reject> {
    m.receive(now, WALL, pkt, &keys())
}

/// `rx` without the record, to compare.
fn rxe(m: &mut Membership, now: u64, pkt: &[u8]) -> Result<(), Reject> {
    rx(m, now, pkt).map(|_| ())
}

/// The record `rx` must give.
fn rx_change(m: &mut Membership, now: u64, pkt: &[u8]) -> Cluster {
    rx(m, now, pkt).expect("accepted").expect("a change")
}

fn rx_same(m: &mut Membership, now: u64, pkt: &[u8]) {
    let epoch = m.epoch();
    assert!(rx(m, now, pkt).expect("accepted").is_none());
    assert_eq!(m.epoch(), epoch);
}

fn state(m: &Membership, id: u32) -> u8 {
    m.peer(id).expect("configured").state
}

fn ticks(m: &mut Membership, now: u64) -> Vec<Cluster> {
    let mut out = Vec::new();
    m.tick(now, &mut |c| out.push(*c));
    out
}

/// A and B (nodes 1 and 2) up with each other at time `t`.
fn pair(t: u64) -> (Membership, Membership) {
    let mut a = member(1, 0xa, &[2]);
    let mut b = member(2, 0xb, &[1]);
    let p = hb(&mut a, 2, t);
    rx_change(&mut b, t, &p);
    let p = hb(&mut b, 1, t);
    rx_change(&mut a, t, &p);
    let p = hb(&mut a, 2, t);
    rx_change(&mut b, t, &p);
    assert_eq!(state(&a, 2), abi::CL_UP);
    assert_eq!(state(&b, 1), abi::CL_UP);
    (a, b)
}

#[test]
fn timing_bounds() {
    let d = Timing::default();
    assert_eq!(
        (d.interval_ms, d.suspect_ms, d.dead_ms, d.max_skew_s),
        (100, 250, 400, 30)
    );
    assert_eq!(d.validate(), Ok(()));
    let t = |interval_ms, suspect_ms, dead_ms, max_skew_s| {
        Timing {
            interval_ms,
            suspect_ms,
            dead_ms,
            max_skew_s,
        }
        .validate()
        .is_ok()
    };
    assert!(t(10, 11, 20, 1));
    assert!(!t(9, 11, 20, 1));
    assert!(!t(10, 11, 19, 1), "dead below twice the interval");
    assert!(t(10_000, 10_001, 20_000, 3600));
    assert!(!t(10_001, 10_002, 30_000, 30));
    assert!(!t(100, 100, 400, 30), "suspect not above interval");
    assert!(!t(100, 400, 400, 30), "dead not above suspect");
    assert!(!t(100, 300, 200, 30));
    assert!(t(100, 250, 60_000, 30));
    assert!(!t(100, 250, 60_001, 30));
    assert!(!t(100, 250, 400, 0));
    assert!(!t(100, 250, 400, 3601));
    assert!(!t(0, 0, 0, 0));
    assert!(!t(u32::MAX, u32::MAX, u32::MAX, u32::MAX));
    let bad = Timing { dead_ms: 100, ..d };
    assert_eq!(
        Membership::new(1, 0, inc(1), bad).unwrap_err(),
        ConfigError::BadTiming
    );
    assert_eq!(
        Membership::new(0, 0, inc(1), d).unwrap_err(),
        ConfigError::BadId
    );
    let mut m = member(1, 1, &[]);
    assert_eq!(m.set_timing(bad), Err(ConfigError::BadTiming));
    assert_eq!(m.timing(), d);
    let slow = Timing {
        interval_ms: 1000,
        suspect_ms: 3000,
        dead_ms: 5000,
        max_skew_s: 60,
    };
    assert_eq!(m.set_timing(slow), Ok(()));
    assert_eq!(m.timing(), slow);
}

#[test]
fn accessors() {
    let m = Membership::new(5, 99, inc(3), Timing::default()).unwrap();
    assert_eq!(m.local(), 5);
    assert_eq!(m.cluster(), 99);
    assert_eq!(m.incarnation(), inc(3));
    assert_eq!(m.epoch(), 0);
    assert_eq!(m.local_state(), LocalState::Active);
    assert_eq!(m.accepted(), 0);
    assert_eq!(m.rejected_total(), 0);
    assert_eq!(m.peers().count(), 0);
    assert_eq!(m.up_members(), 0);
}

#[test]
fn peer_configuration() {
    let mut m = member(1, 1, &[]);
    assert_eq!(m.add_peer(0), Err(ConfigError::BadId));
    assert_eq!(m.add_peer(1), Err(ConfigError::BadId));
    assert_eq!(m.remove_peer(2), Err(ConfigError::NotFound));
    // Added out of order, listed by id.
    let ids: Vec<u32> = (0..MAX_PEERS as u32)
        .map(|i| (i * 7919) % 101 + 2)
        .collect();
    for &id in &ids {
        assert_eq!(m.add_peer(id), Ok(()));
        assert_eq!(m.add_peer(id), Err(ConfigError::Exists));
    }
    assert_eq!(m.add_peer(500), Err(ConfigError::Full));
    assert_eq!(m.add_peer(u32::MAX), Err(ConfigError::Full));
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(m.peers().map(|p| p.id).collect::<Vec<_>>(), sorted);
    for p in m.peers() {
        assert_eq!(
            p,
            PeerView {
                id: p.id,
                state: abi::CL_DOWN,
                reason: abi::CL_R_NONE,
                arg: 0,
                incarnation: None,
                last_heard_ns: None,
                rtt: RttStats::default(),
                rx_packets: 0,
            }
        );
    }
    assert_eq!(m.remove_peer(sorted[5]), Ok(()));
    assert_eq!(m.peer(sorted[5]), None);
    assert_eq!(m.remove_peer(sorted[5]), Err(ConfigError::NotFound));
    assert_eq!(m.add_peer(u32::MAX), Ok(()));
    assert_eq!(m.peers().last().unwrap().id, u32::MAX);
    assert_eq!(m.peers().count(), MAX_PEERS);
    for id in sorted.iter().filter(|&&id| id != sorted[5]) {
        assert_eq!(m.remove_peer(*id), Ok(()));
    }
    assert_eq!(m.peers().map(|p| p.id).collect::<Vec<_>>(), vec![u32::MAX]);
    // Removing Down peers is no membership change.
    assert_eq!(m.epoch(), 0);
}

/// A peer removed and added again starts afresh; removing one that is up bumps the
/// epoch.
#[test]
fn remove_up_peer() {
    let (mut a, mut b) = pair(SEC);
    let e = a.epoch();
    assert_eq!(a.up_members(), 1);
    a.remove_peer(2).unwrap();
    assert_eq!(a.epoch(), e + 1);
    assert_eq!(a.up_members(), 0);
    let p = hb(&mut b, 1, SEC);
    assert_eq!(rxe(&mut a, SEC, &p), Err(Reject::UnknownNode));
    a.add_peer(2).unwrap();
    assert_eq!(state(&a, 2), abi::CL_DOWN);
    assert_eq!(a.peer(2).unwrap().incarnation, None);
    assert_eq!(a.epoch(), e + 1);
    // Its windows are fresh too: the packet refused above is accepted now.
    let c = rx_change(&mut a, SEC, &p);
    assert_eq!((c.old_state, c.state), (abi::CL_DOWN, abi::CL_UP));
    // Any state but Down is part of the view: a peer that left, or is dying.
    b.leave(abi::CL_R_ADMIN, 0).unwrap();
    let p = seal(&b.leave_message(1, 0, SEC, WALL).unwrap());
    rx_change(&mut a, SEC, &p);
    let e = a.epoch();
    a.remove_peer(2).unwrap();
    assert_eq!(a.epoch(), e + 1);
}

#[test]
fn join() {
    let t = 5 * SEC;
    let mut a = member(1, 0xa, &[2]);
    let mut b = member(2, 0xb, &[1]);
    let h = a.heartbeat(2, 0, t, WALL).unwrap();
    assert_eq!(h.flags, 0, "A has not heard B");
    assert_eq!((h.echo_sent_ns, h.echo_hold_us), (0, 0));
    let c = rx_change(&mut b, t + MS, &seal(&h));
    assert_eq!(c.event, abi::CL_PEER);
    assert_eq!((c.node, c.local_node, c.cluster_id), (1, 2, CLUSTER));
    assert_eq!(
        (c.old_state, c.state, c.reason),
        (abi::CL_DOWN, abi::CL_JOINING, 0)
    );
    assert_eq!((c.epoch, c.up_members), (1, 0));
    assert_eq!(c.incarnation, inc(0xa));
    assert_eq!((c.silent_ms, c.arg, c.rtt_us, c.jitter_us), (0, 0, 0, 0));
    assert_eq!(b.epoch(), 1);
    // Another heartbeat that does not see B: no change.
    let p = hb(&mut a, 2, t + 100 * MS);
    rx_same(&mut b, t + 101 * MS, &p);

    // B heard A: its heartbeat sees A and echoes A's last one.
    let h = b.heartbeat(1, 0, t + 150 * MS, WALL).unwrap();
    assert_eq!(h.flags, F_SEES_YOU);
    assert_eq!(h.echo_sent_ns, t + 100 * MS);
    assert_eq!(h.echo_hold_us, 49_000);
    let c = rx_change(&mut a, t + 152 * MS, &seal(&h));
    assert_eq!(
        (c.node, c.old_state, c.state),
        (2, abi::CL_DOWN, abi::CL_UP)
    );
    assert_eq!((c.epoch, c.up_members), (1, 1));
    // A's round trip: sent at t+100, back at t+152, held 49 ms: 3 ms.
    assert_eq!(a.peer(2).unwrap().rtt.srtt_ns, 3 * MS);
    assert_eq!(c.rtt_us, 3000);

    let h = a.heartbeat(2, 0, t + 200 * MS, WALL).unwrap();
    assert_eq!(h.flags, F_SEES_YOU);
    assert_eq!(h.echo_sent_ns, t + 150 * MS);
    assert_eq!(h.echo_hold_us, 48_000);
    let c = rx_change(&mut b, t + 201 * MS, &seal(&h));
    assert_eq!(
        (c.old_state, c.state, c.epoch, c.up_members),
        (abi::CL_JOINING, abi::CL_UP, 2, 1)
    );
    assert_eq!(b.peer(1).unwrap().rtt.srtt_ns, 3 * MS);
    // Steady state: no records, epochs unchanged, packets counted.
    for i in 3..10 {
        let p = hb(&mut a, 2, t + i * 100 * MS);
        rx_same(&mut b, t + i * 100 * MS, &p);
        let p = hb(&mut b, 1, t + i * 100 * MS + 50 * MS);
        rx_same(&mut a, t + i * 100 * MS + 50 * MS, &p);
    }
    assert_eq!((a.epoch(), b.epoch()), (1, 2));
    assert_eq!(b.peer(1).unwrap().rx_packets, 10);
    assert_eq!(a.peer(2).unwrap().rx_packets, 8);
    assert_eq!(b.accepted(), 10);
    assert_eq!(a.peer(2).unwrap().last_heard_ns, Some(t + 950 * MS));
    // Up falls back to Joining when the peer stops seeing us.
    let p = hb_flag(&mut b, 1, t + SEC, false);
    let c = rx_change(&mut a, t + SEC, &p);
    assert_eq!(
        (c.old_state, c.state, c.up_members),
        (abi::CL_UP, abi::CL_JOINING, 0)
    );
}

#[test]
fn heartbeat_fields() {
    let mut a = member(1, 0xa, &[2, 3]);
    let mut b = member(2, 0xb, &[1]);
    assert_eq!(a.heartbeat(4, 0, 0, WALL), None, "not a peer");
    assert_eq!(a.heartbeat(1, 0, 0, WALL), None, "ourselves");
    assert_eq!(a.heartbeat(2, 2, 0, WALL), None, "no such key slot");
    let h = a.heartbeat(3, 1, 77, WALL + 5).unwrap();
    assert_eq!(
        h,
        Header {
            msg_type: T_HEARTBEAT,
            reason: 0,
            key_id: 1,
            cluster_id: CLUSTER,
            sender: 1,
            dest: 3,
            incarnation: inc(0xa),
            epoch: 0,
            seq: 1,
            sent_ns: 77,
            wall_s: WALL + 5,
            echo_sent_ns: 0,
            echo_hold_us: 0,
            flags: 0,
            arg: 0,
        }
    );
    // One normal stream for all peers; the gasp stream apart.
    assert_eq!(a.heartbeat(2, 0, 80, WALL).unwrap().seq, 2);
    assert_eq!(
        a.gasp_message(2, abi::CL_R_PANIC, 0, 81, WALL).unwrap().seq,
        1
    );
    assert_eq!(a.heartbeat(3, 0, 82, WALL).unwrap().seq, 3);
    assert_eq!(
        a.gasp_message(3, abi::CL_R_PANIC, 0, 83, WALL).unwrap().seq,
        2
    );

    // F_SEES_YOU and the echo last the dead time, to the ns.
    let t = 10 * SEC;
    let p = hb(&mut b, 1, t - 7 * MS);
    rx_change(&mut a, t, &p);
    let at = |a: &mut Membership, now| {
        let h = a.heartbeat(2, 0, now, WALL).unwrap();
        (h.flags, h.echo_sent_ns, h.echo_hold_us)
    };
    assert_eq!(at(&mut a, t), (F_SEES_YOU, t - 7 * MS, 0));
    assert_eq!(at(&mut a, t + 1999), (F_SEES_YOU, t - 7 * MS, 1));
    assert_eq!(at(&mut a, t + 400 * MS), (F_SEES_YOU, t - 7 * MS, 400_000));
    assert_eq!(at(&mut a, t + 400 * MS + 1), (0, 0, 0));
    // A clock behind the last reception: held 0, still seen.
    assert_eq!(at(&mut a, t - SEC), (F_SEES_YOU, t - 7 * MS, 0));
    // A leave from B: still heard, but no new echo.
    b.leave(abi::CL_R_ADMIN, 0).unwrap();
    let p = seal(&b.leave_message(1, 0, t + SEC, WALL).unwrap());
    rx_change(&mut a, t + SEC, &p);
    assert_eq!(at(&mut a, t + SEC), (F_SEES_YOU, 0, 0));
    // A gasp: B's incarnation is dying, A no longer sees it.
    let p = seal(&b.gasp_message(1, abi::CL_R_OOPS, 0, t + SEC, WALL).unwrap());
    rx_change(&mut a, t + SEC, &p);
    assert_eq!(at(&mut a, t + SEC), (0, 0, 0));
}

/// Suspect and down at their exact boundaries: silent for more than the time.
#[test]
fn timeouts_exact() {
    for start in [SEC, 3, 0] {
        let (mut a, mut b) = pair(start);
        let t = start + 100 * MS;
        let p = hb(&mut b, 1, t);
        rx_same(&mut a, t, &p);
        let e = a.epoch();
        assert!(ticks(&mut a, t).is_empty());
        assert!(ticks(&mut a, t + 250 * MS).is_empty());
        let c = ticks(&mut a, t + 250 * MS + 1);
        assert_eq!(c.len(), 1);
        let c = c[0];
        assert_eq!(
            (c.node, c.old_state, c.state),
            (2, abi::CL_UP, abi::CL_SUSPECT)
        );
        assert_eq!(
            (c.reason, c.silent_ms, c.epoch, c.up_members),
            (0, 250, e + 1, 0)
        );
        assert!(ticks(&mut a, t + 300 * MS).is_empty());
        assert!(ticks(&mut a, t + 400 * MS).is_empty());
        let c = ticks(&mut a, t + 400 * MS + 1);
        assert_eq!(c.len(), 1);
        let c = c[0];
        assert_eq!((c.old_state, c.state), (abi::CL_SUSPECT, abi::CL_DOWN));
        assert_eq!(
            (c.reason, c.silent_ms, c.epoch),
            (abi::CL_R_TIMEOUT, 400, e + 2)
        );
        assert_eq!(a.peer(2).unwrap().reason, abi::CL_R_TIMEOUT);
        assert!(ticks(&mut a, t + 100 * SEC).is_empty());
        assert!(ticks(&mut a, u64::MAX).is_empty());
        assert_eq!(a.epoch(), e + 2);
        // Heard again: back, reason cleared.
        let p = hb_flag(&mut b, 1, t + 101 * SEC, true);
        let c = rx_change(&mut a, t + 101 * SEC, &p);
        assert_eq!(
            (c.old_state, c.state, c.reason),
            (abi::CL_DOWN, abi::CL_UP, 0)
        );
        // From Suspect too.
        ticks(&mut a, t + 101 * SEC + 300 * MS);
        assert_eq!(state(&a, 2), abi::CL_SUSPECT);
        let p = hb_flag(&mut b, 1, t + 101 * SEC + 300 * MS, true);
        let c = rx_change(&mut a, t + 101 * SEC + 300 * MS, &p);
        assert_eq!((c.old_state, c.state), (abi::CL_SUSPECT, abi::CL_UP));
    }
}

/// A late tick goes straight to Down; Joining times out like Up.
#[test]
fn late_tick_and_joining() {
    let (mut a, _b) = pair(SEC);
    let c = ticks(&mut a, SEC + 400 * MS + 1);
    assert_eq!(c.len(), 1);
    assert_eq!(
        (c[0].old_state, c[0].state, c[0].reason),
        (abi::CL_UP, abi::CL_DOWN, 8)
    );
    assert_eq!(c[0].silent_ms, 400);
    let mut a = member(1, 1, &[2]);
    let mut b = member(2, 2, &[1]);
    let p = hb(&mut b, 1, 0);
    rx_change(&mut a, 0, &p);
    assert_eq!(state(&a, 2), abi::CL_JOINING);
    assert_eq!(ticks(&mut a, 250 * MS + 1)[0].state, abi::CL_SUSPECT);
    assert_eq!(ticks(&mut a, 400 * MS + 1)[0].state, abi::CL_DOWN);
    // A silent time too long for u32 ms saturates.
    let p = hb(&mut b, 1, 0);
    rx_change(&mut a, 0, &p);
    let c = ticks(&mut a, u64::MAX);
    assert_eq!((c[0].state, c[0].silent_ms), (abi::CL_DOWN, u32::MAX));
}

/// With a tick every interval, whatever their phase, a silent peer is down within
/// dead time + one interval of its last heartbeat.
#[test]
fn detection_time() {
    for phase in (0..100 * MS).step_by(7 * MS as usize + 13) {
        let (mut a, mut b) = pair(SEC);
        let last = SEC + 3 * 100 * MS + phase;
        let p = hb(&mut b, 1, last);
        rx(&mut a, last, &p).unwrap();
        let down = (1..100)
            .map(|i| SEC + i * 100 * MS)
            .find(|&now| ticks(&mut a, now).iter().any(|c| c.state == abi::CL_DOWN))
            .expect("never down");
        assert!(down > last + 400 * MS && down <= last + 500 * MS, "{phase}");
    }
}

#[test]
fn tick_without_peers() {
    let mut m = member(1, 1, &[]);
    for now in [0, 1, SEC, u64::MAX, 0] {
        assert!(ticks(&mut m, now).is_empty());
    }
    assert_eq!(m.epoch(), 0);
    // Configured but never heard: Down stays Down, silently.
    let mut m = member(1, 1, &[2, 3]);
    assert!(ticks(&mut m, u64::MAX).is_empty());
    assert_eq!(m.epoch(), 0);
}

/// Ticks report in peer order, each with its own epoch and the members after it.
#[test]
fn tick_order() {
    let mut a = member(1, 1, &[4, 2, 3]);
    let mut peers: Vec<Membership> = [2, 3, 4]
        .iter()
        .map(|&id| member(id, id as u8, &[1]))
        .collect();
    for p in &mut peers {
        let pkt = hb_flag(p, 1, SEC, true);
        rx_change(&mut a, SEC, &pkt);
    }
    assert_eq!(a.up_members(), 3);
    let c = ticks(&mut a, SEC + 400 * MS + 1);
    let got: Vec<_> = c.iter().map(|c| (c.node, c.epoch, c.up_members)).collect();
    assert_eq!(got, vec![(2, 4, 2), (3, 5, 1), (4, 6, 0)]);
}

#[test]
fn handoff() {
    let (mut a, mut b) = pair(SEC);
    let t = 2 * SEC;
    let e = a.epoch();
    let c = b.leave(abi::CL_R_HANDOFF, 2000).unwrap();
    assert_eq!(
        (c.event, c.state, c.reason, c.arg),
        (abi::CL_LOCAL, abi::CL_LEFT, 7, 2000)
    );
    let h = b.leave_message(1, 0, t, WALL).unwrap();
    assert_eq!(
        (h.msg_type, h.reason, h.arg),
        (T_LEAVE, abi::CL_R_HANDOFF, 2000)
    );
    let c = rx_change(&mut a, t, &seal(&h));
    assert_eq!(
        (c.old_state, c.state, c.reason, c.arg),
        (abi::CL_UP, abi::CL_HANDOFF, 7, 2000)
    );
    assert_eq!((c.epoch, c.up_members), (e + 1, 0));
    // Not suspect, not down, until arg + dead time past the leave.
    assert!(ticks(&mut a, t + 1000 * MS).is_empty());
    assert!(ticks(&mut a, t + 2400 * MS).is_empty());
    let c = ticks(&mut a, t + 2400 * MS + 1);
    assert_eq!(c.len(), 1);
    assert_eq!(
        (c[0].old_state, c[0].state, c[0].reason),
        (abi::CL_HANDOFF, abi::CL_DOWN, 8)
    );
    assert_eq!((c[0].arg, c[0].silent_ms, c[0].epoch), (2000, 2400, e + 2));

    // Back in time, in the same incarnation (an aborted handoff).
    let (mut a, mut b) = pair(SEC);
    b.leave(abi::CL_R_HANDOFF, 2000).unwrap();
    let p = seal(&b.leave_message(1, 0, t, WALL).unwrap());
    rx_change(&mut a, t, &p);
    b.rejoin().unwrap();
    let p = hb(&mut b, 1, t + SEC);
    let c = rx_change(&mut a, t + SEC, &p);
    assert_eq!(
        (c.old_state, c.state, c.arg, c.reason),
        (abi::CL_HANDOFF, abi::CL_JOINING, 0, 0)
    );

    // The new kernel: a new incarnation, the old one retired.
    let (mut a, mut b) = pair(SEC);
    let old_hb = hb(&mut b, 1, t);
    b.leave(abi::CL_R_HANDOFF, 2000).unwrap();
    let p = seal(&b.leave_message(1, 0, t, WALL).unwrap());
    rx_change(&mut a, t, &p);
    let mut b2 = member(2, 0xbb, &[1]);
    let p = hb(&mut b2, 1, t + SEC);
    let c = rx_change(&mut a, t + SEC, &p);
    assert_eq!((c.old_state, c.state), (abi::CL_HANDOFF, abi::CL_JOINING));
    assert_eq!(c.incarnation, inc(0xbb));
    assert_eq!(rxe(&mut a, t + SEC, &old_hb), Err(Reject::StaleIncarnation));
    // A second leave in Handoff restarts its clock and takes the new arg.
    let (mut a, mut b) = pair(SEC);
    b.leave(abi::CL_R_HANDOFF, 1000).unwrap();
    let p = seal(&b.leave_message(1, 0, t, WALL).unwrap());
    rx_change(&mut a, t, &p);
    let mut h = b.leave_message(1, 0, t + SEC, WALL).unwrap();
    h.arg = 5000;
    rx_same(&mut a, t + SEC, &seal(&h));
    assert_eq!(a.peer(2).unwrap().arg, 5000);
    assert!(ticks(&mut a, t + SEC + 5400 * MS).is_empty());
    assert_eq!(ticks(&mut a, t + SEC + 5400 * MS + 1).len(), 1);
}

#[test]
fn resume_epoch() {
    // The new kernel continues the old one's epoch: its first change is the next one.
    let mut b2 = member(2, 0xbb, &[1]);
    assert!(b2.resume_epoch(41));
    assert_eq!(b2.epoch(), 41);
    let c = b2.leave(abi::CL_R_ADMIN, 0).unwrap();
    assert_eq!(c.epoch, 42);
    // Only before the first change: the epoch never goes back, nor jumps.
    assert!(!b2.resume_epoch(7));
    assert!(!b2.resume_epoch(1000));
    assert_eq!(b2.epoch(), 42);
    // Resuming 0 is a no-op that still counts as done.
    let mut b3 = member(2, 0xcc, &[1]);
    assert!(b3.resume_epoch(0));
    assert_eq!(b3.epoch(), 0);
}

#[test]
fn leave_and_rejoin() {
    let (mut a, mut b) = pair(SEC);
    let t = 2 * SEC;
    let e = b.epoch();
    for bad in [abi::CL_R_NONE, abi::CL_R_TIMEOUT, abi::CL_R_NR, 255] {
        assert!(b.leave(bad, 0).is_none(), "{bad}");
    }
    assert!(b.rejoin().is_none(), "not left");
    assert_eq!(b.epoch(), e);
    assert_eq!(b.leave_message(1, 0, t, WALL), None, "not left");
    let c = b.leave(abi::CL_R_ADMIN, 1234).unwrap();
    assert_eq!(
        (c.event, c.node, c.local_node, c.cluster_id),
        (abi::CL_LOCAL, 2, 2, CLUSTER)
    );
    assert_eq!(
        (c.old_state, c.state, c.reason, c.arg),
        (abi::CL_UP, abi::CL_LEFT, 9, 0)
    );
    assert_eq!((c.epoch, c.up_members, c.incarnation), (e + 1, 1, inc(0xb)));
    assert_eq!(b.local_state(), LocalState::Left(abi::CL_R_ADMIN));
    assert!(b.leave(abi::CL_R_SHUTDOWN, 0).is_none(), "already left");
    assert_eq!(b.heartbeat(1, 0, t, WALL), None);
    assert_eq!(b.leave_message(3, 0, t, WALL), None, "not a peer");
    assert_eq!(b.leave_message(1, 5, t, WALL), None, "no such slot");
    let h = b.leave_message(1, 0, t, WALL).unwrap();
    assert_eq!(
        (h.msg_type, h.reason, h.arg, h.epoch),
        (T_LEAVE, abi::CL_R_ADMIN, 0, e + 1)
    );
    let c = rx_change(&mut a, t, &seal(&h));
    assert_eq!(
        (c.old_state, c.state, c.reason, c.up_members),
        (abi::CL_UP, abi::CL_LEFT, 9, 0)
    );
    // A repeat (new seq) changes nothing; Left never times out.
    let p = seal(&b.leave_message(1, 0, t, WALL).unwrap());
    rx_same(&mut a, t, &p);
    assert!(ticks(&mut a, t + 1000 * SEC).is_empty());
    assert_eq!(state(&a, 2), abi::CL_LEFT);

    let c = b.rejoin().unwrap();
    assert_eq!(
        (c.old_state, c.state, c.reason, c.epoch),
        (abi::CL_LEFT, abi::CL_UP, 0, e + 2)
    );
    assert_eq!(b.local_state(), LocalState::Active);
    assert!(b.rejoin().is_none());
    // B still hears A within the dead time? No: 1000 s passed. Joining, then up.
    let now = t + 1000 * SEC;
    let h = b.heartbeat(1, 0, now, WALL).unwrap();
    assert_eq!(h.seq, 4, "the normal stream goes on");
    let c = rx_change(&mut a, now, &seal(&h));
    assert_eq!(
        (c.old_state, c.state, c.reason),
        (abi::CL_LEFT, abi::CL_JOINING, 0)
    );
    let p = hb(&mut a, 2, now);
    rx(&mut b, now, &p).unwrap();
    let p = hb(&mut b, 1, now);
    assert_eq!(rx_change(&mut a, now, &p).state, abi::CL_UP);

    // A handoff leave keeps its arg.
    let c = b.leave(abi::CL_R_HANDOFF, 1234).unwrap();
    assert_eq!(c.arg, 1234);
    assert_eq!(b.leave_message(1, 0, now, WALL).unwrap().arg, 1234);
    assert_eq!(b.rejoin().unwrap().arg, 0);
}

#[test]
fn die() {
    let mut b = member(2, 0xb, &[1]);
    b.leave(abi::CL_R_SHUTDOWN, 0).unwrap();
    let c = b.die(abi::CL_R_PANIC).unwrap();
    assert_eq!(
        (c.event, c.old_state, c.state, c.reason),
        (abi::CL_LOCAL, abi::CL_LEFT, abi::CL_DYING, 1)
    );
    assert_eq!(c.epoch, 2);
    assert_eq!(b.local_state(), LocalState::Dead(abi::CL_R_PANIC));
    assert!(b.die(abi::CL_R_OOPS).is_none());
    assert!(b.leave(abi::CL_R_ADMIN, 0).is_none());
    assert!(b.rejoin().is_none());
    assert_eq!(b.heartbeat(1, 0, 0, WALL), None);
    assert_eq!(b.leave_message(1, 0, 0, WALL), None);
    assert!(b.gasp_message(1, abi::CL_R_PANIC, 0, 0, WALL).is_some());
    assert_eq!(b.epoch(), 2);
    let mut a = member(1, 0xa, &[]);
    let c = a.die(abi::CL_R_HW_FATAL).unwrap();
    assert_eq!(
        (c.old_state, c.state, c.epoch),
        (abi::CL_UP, abi::CL_DYING, 1)
    );
}

#[test]
fn gasp() {
    let (mut a, mut b) = pair(SEC);
    let t = 2 * SEC;
    // Prebuilt a while ago, sent at panic time.
    assert_eq!(
        b.gasp_message(3, abi::CL_R_PANIC, 0, t, WALL),
        None,
        "not a peer"
    );
    assert_eq!(b.gasp_message(1, abi::CL_R_NONE, 0, t, WALL), None);
    assert_eq!(b.gasp_message(1, abi::CL_R_TIMEOUT, 0, t, WALL), None);
    assert_eq!(b.gasp_message(1, abi::CL_R_PANIC, 2, t, WALL), None);
    let h = b
        .gasp_message(1, abi::CL_R_PANIC, 0, t - SEC / 2, WALL)
        .unwrap();
    assert_eq!(
        (h.msg_type, h.reason, h.seq, h.sent_ns),
        (T_GASP, 1, 1, t - SEC / 2)
    );
    let hb_before = hb(&mut b, 1, t - 10 * MS);
    let gasp = seal(&h);
    let e = a.epoch();
    let c = rx_change(&mut a, t, &gasp);
    assert_eq!(
        (c.old_state, c.state, c.reason, c.epoch),
        (abi::CL_UP, abi::CL_DYING, 1, e + 1)
    );
    assert_eq!((c.up_members, c.incarnation), (0, inc(0xb)));
    // Its repeats.
    for _ in 0..3 {
        assert_eq!(rxe(&mut a, t, &gasp), Err(Reject::Duplicate));
    }
    assert_eq!(a.rejected(Reject::Duplicate), 3);
    // Anything else from the dying incarnation, even sent before the gasp.
    assert_eq!(rxe(&mut a, t, &hb_before), Err(Reject::StaleIncarnation));
    let p = hb(&mut b, 1, t);
    assert_eq!(rxe(&mut a, t, &p), Err(Reject::StaleIncarnation));
    b.leave(abi::CL_R_ADMIN, 0).unwrap();
    let p = seal(&b.leave_message(1, 0, t, WALL).unwrap());
    assert_eq!(rxe(&mut a, t, &p), Err(Reject::StaleIncarnation));
    let p = seal(&b.gasp_message(1, abi::CL_R_OOPS, 0, t, WALL).unwrap());
    assert_eq!(rxe(&mut a, t, &p), Err(Reject::StaleIncarnation));
    assert_eq!(a.rejected(Reject::StaleIncarnation), 4);
    assert_eq!(a.epoch(), e + 1);
    // Dying stays.
    assert!(ticks(&mut a, t + 1000 * SEC).is_empty());
    let v = a.peer(2).unwrap();
    assert_eq!(
        (v.state, v.reason, v.incarnation),
        (abi::CL_DYING, 1, Some(inc(0xb)))
    );

    // Rebooted: a new incarnation comes back.
    let mut b2 = member(2, 0xb2, &[1]);
    let p = hb(&mut b2, 1, t + 1000 * SEC);
    let c = rx_change(&mut a, t + 1000 * SEC, &p);
    assert_eq!(
        (c.old_state, c.state, c.reason),
        (abi::CL_DYING, abi::CL_JOINING, 0)
    );
    assert_eq!(c.incarnation, inc(0xb2));
    // The old gasp is stale now, not a duplicate.
    assert_eq!(rxe(&mut a, t, &gasp), Err(Reject::StaleIncarnation));
    assert_eq!(a.rejected(Reject::Duplicate), 3);
}

/// A gasp is the first thing heard from a peer.
#[test]
fn gasp_first() {
    let mut a = member(1, 1, &[2]);
    let mut b = member(2, 2, &[1]);
    // Dumping reasons are for dumping notices only.
    assert!(b.gasp_message(1, abi::CL_R_KDUMP, 0, 0, WALL).is_none());
    assert!(b.gasp_message(1, abi::CL_R_DUMPED, 0, 0, WALL).is_none());
    let g = seal(&b.gasp_message(1, abi::CL_R_SHUTDOWN, 0, 0, WALL).unwrap());
    let c = rx_change(&mut a, 0, &g);
    assert_eq!(
        (c.old_state, c.state, c.reason),
        (abi::CL_DOWN, abi::CL_DYING, abi::CL_R_SHUTDOWN)
    );
    assert_eq!(rxe(&mut a, 0, &g), Err(Reject::Duplicate));
    // Gasp sequence numbers: each call a fresh one, the window accepts reordering
    // within the stream of a live incarnation (several gasps built, the latest sent).
    let mut c1 = member(3, 3, &[1]);
    a.add_peer(3).unwrap();
    let g1 = seal(&c1.gasp_message(1, abi::CL_R_OOPS, 0, 0, WALL).unwrap());
    let g2 = seal(&c1.gasp_message(1, abi::CL_R_PANIC, 0, 0, WALL).unwrap());
    let c = rx_change(&mut a, 0, &g2);
    assert_eq!(c.reason, abi::CL_R_PANIC);
    // The older one, never accepted, is not a repeat of the fatal one.
    assert_eq!(rxe(&mut a, 0, &g1), Err(Reject::StaleIncarnation));
    assert_eq!(rxe(&mut a, 0, &g2), Err(Reject::Duplicate));
}

/// A peer rebooted: its new incarnation is accepted only with a wall clock near ours.
#[test]
fn new_incarnation_and_skew() {
    for first_contact in [true, false] {
        let mut a = member(1, 1, &[2]);
        if !first_contact {
            let mut b = member(2, 0x20, &[1]);
            let p = hb_flag(&mut b, 1, SEC, true);
            rx_change(&mut a, SEC, &p);
        }
        let before: Vec<PeerView> = a.peers().collect();
        let e = a.epoch();
        let mut b = member(2, 0x21, &[1]);
        for wall in [WALL - 31, WALL + 31, 0, u64::MAX] {
            let h = b.heartbeat(1, 0, 2 * SEC, wall).unwrap();
            assert_eq!(
                rxe(&mut a, 2 * SEC, &seal(&h)),
                Err(Reject::ClockSkew),
                "{wall}"
            );
        }
        assert_eq!(a.peers().collect::<Vec<_>>(), before);
        assert_eq!(a.epoch(), e);
        assert_eq!(a.rejected(Reject::ClockSkew), 4);
        let h = b.heartbeat(1, 0, 2 * SEC, WALL + 30).unwrap();
        let c = rx_change(&mut a, 2 * SEC, &seal(&h));
        assert_eq!(
            (c.state, c.incarnation, c.epoch),
            (abi::CL_JOINING, inc(0x21), e + 1)
        );
        let mut b3 = member(2, 0x22, &[1]);
        let h = b3.heartbeat(1, 0, 3 * SEC, WALL - 30).unwrap();
        assert_eq!(rx_change(&mut a, 3 * SEC, &seal(&h)).incarnation, inc(0x22));
        // The current incarnation's wall clock is not checked again.
        let h = b3.heartbeat(1, 0, 4 * SEC, 5).unwrap();
        rx_same(&mut a, 4 * SEC, &seal(&h));
        // The replaced ones are stale.
        let p = hb(&mut b, 1, 5 * SEC);
        assert_eq!(rxe(&mut a, 5 * SEC, &p), Err(Reject::StaleIncarnation));
    }
}

/// A new incarnation heard first through a leave or a gasp: the old incarnation's
/// heartbeat is not echoed to it.
#[test]
fn echo_is_per_incarnation() {
    for gasp in [false, true] {
        let (mut a, _b) = pair(SEC);
        assert_ne!(a.heartbeat(2, 0, SEC, WALL).unwrap().echo_sent_ns, 0);
        let mut b2 = member(2, 0xb2, &[1]);
        let h = if gasp {
            b2.gasp_message(1, abi::CL_R_PANIC, 0, SEC, WALL).unwrap()
        } else {
            b2.leave(abi::CL_R_SHUTDOWN, 0).unwrap();
            b2.leave_message(1, 0, SEC, WALL).unwrap()
        };
        rx_change(&mut a, SEC, &seal(&h));
        let h = a.heartbeat(2, 0, SEC, WALL).unwrap();
        assert_eq!((h.echo_sent_ns, h.echo_hold_us), (0, 0));
        assert_eq!(h.flags, if gasp { 0 } else { F_SEES_YOU });
    }
}

/// A reboot in the same state (up before, up at once after) still is a change.
#[test]
fn reboot_same_state() {
    let (mut a, _b) = pair(SEC);
    let e = a.epoch();
    let mut b2 = member(2, 0xb2, &[1]);
    let p = hb_flag(&mut b2, 1, 2 * SEC, true);
    let c = rx_change(&mut a, 2 * SEC, &p);
    assert_eq!(
        (c.old_state, c.state, c.incarnation, c.epoch),
        (abi::CL_UP, abi::CL_UP, inc(0xb2), e + 1)
    );
    assert_eq!(a.peer(2).unwrap().incarnation, Some(inc(0xb2)));
    // The new incarnation's seq starts at 1 again, below the old one's: accepted.
    assert_eq!(a.peer(2).unwrap().rx_packets, 2);
}

/// The ring remembers the last RETIRED incarnations.
#[test]
fn retired_ring() {
    let mut a = member(1, 1, &[2]);
    let mut bs: Vec<Membership> = (0..=RETIRED as u8 + 1)
        .map(|i| member(2, 0x40 + i, &[1]))
        .collect();
    let mut old = Vec::new();
    for (i, b) in bs.iter_mut().enumerate() {
        let now = i as u64 * SEC;
        let p = hb(b, 1, now);
        let c = rx_change(&mut a, now, &p);
        assert_eq!(c.incarnation, inc(0x40 + i as u8));
        old.push(hb(b, 1, now));
    }
    let n = old.len();
    // The current one is fine; the RETIRED before it stale.
    rx_same(&mut a, 10 * SEC, &old[n - 1]);
    for p in &old[n - 1 - RETIRED..n - 1] {
        assert_eq!(rxe(&mut a, 10 * SEC, p), Err(Reject::StaleIncarnation));
    }
    // The oldest fell out of the ring: a live-looking new incarnation again (the wall
    // clock check is what keeps a replay from long ago out).
    assert_eq!(rx_change(&mut a, 10 * SEC, &old[0]).incarnation, inc(0x40));
}

/// One datagram for each rejection, each counted once, and nothing changed by any.
#[test]
fn every_reject_counted() {
    let (mut a, mut b) = pair(SEC);
    a.add_peer(3).unwrap();
    let t = 2 * SEC;
    let good = b.heartbeat(1, 0, t, WALL).unwrap();
    let good_pkt = seal(&good);
    rx(&mut a, t, &good_pkt).unwrap();
    let accepted = a.accepted();
    let patch = |at: usize, bytes: &[u8]| {
        let mut p = good_pkt.clone();
        p[at..at + bytes.len()].copy_from_slice(bytes);
        p
    };
    let with = |f: &dyn Fn(&mut Header)| {
        let mut h = good;
        h.seq += 100;
        f(&mut h);
        seal(&h)
    };
    let mut seen = Vec::new();
    let mut check = |a: &mut Membership, pkt: &[u8], want: Reject| {
        let before: Vec<PeerView> = a.peers().collect();
        let e = a.epoch();
        let counted = a.rejected(want);
        let total = a.rejected_total();
        assert_eq!(rxe(a, t, pkt), Err(want));
        assert_eq!(a.rejected(want), counted + 1, "{want:?}");
        assert_eq!(a.rejected_total(), total + 1, "{want:?}");
        assert_eq!(a.peers().collect::<Vec<_>>(), before, "{want:?}");
        assert_eq!(a.epoch(), e);
        seen.push(want);
    };
    check(&mut a, &good_pkt[..50], Reject::Truncated);
    check(&mut a, &[0; 1000], Reject::Oversized);
    check(&mut a, &patch(0, b"HASX"), Reject::BadMagic);
    check(&mut a, &patch(4, &[2]), Reject::BadVersion);
    check(&mut a, &patch(5, &[5]), Reject::BadType);
    check(&mut a, &patch(82, &[0, 9]), Reject::BadLength);
    check(&mut a, &patch(6, &[3]), Reject::BadReason);
    check(&mut a, &patch(80, &[0, 4]), Reject::BadFlags);
    check(&mut a, &patch(7, &[2]), Reject::BadKeyId);
    check(&mut a, &with(&|h| h.cluster_id = 8), Reject::WrongCluster);
    check(&mut a, &with(&|h| h.sender = 1), Reject::FromSelf);
    check(&mut a, &with(&|h| h.dest = 3), Reject::WrongDest);
    check(&mut a, &with(&|h| h.sender = 4), Reject::UnknownNode);
    let two = Keys {
        slots: [Some(common::KEY.to_vec()), Some(b"slot 1".to_vec())],
    };
    let slot1 = sealed(
        &Header {
            key_id: 1,
            seq: 150,
            ..good
        },
        &[],
        &two,
    );
    check(&mut a, &slot1, Reject::NoKey);
    let other_key = sealed(&Header { seq: 200, ..good }, &[], &Keys::one(b"x"));
    check(&mut a, &other_key, Reject::BadMac);
    check(&mut a, &patch(30, &[0xff]), Reject::BadMac);
    check(&mut a, &good_pkt, Reject::Replayed);
    check(&mut a, &with(&|h| h.seq = 0), Reject::TooOld);
    let far = with(&|h| h.seq = 1000);
    rx(&mut a, t, &far).unwrap();
    check(&mut a, &with(&|h| h.seq = 1000 - 64), Reject::TooOld);
    let skewed = with(&|h| {
        h.incarnation = inc(0x77);
        h.wall_s = WALL + 31;
    });
    check(&mut a, &skewed, Reject::ClockSkew);
    // B reboots (0x99): its old incarnation is retired.
    let mut b2 = member(2, 0x99, &[1]);
    let p = hb(&mut b2, 1, t);
    rx_change(&mut a, t, &p);
    check(&mut a, &hb(&mut b, 1, t), Reject::StaleIncarnation);
    let mut c = member(3, 3, &[1]);
    let gasp = seal(&c.gasp_message(1, abi::CL_R_PANIC, 0, t, WALL).unwrap());
    rx_change(&mut a, t, &gasp);
    check(&mut a, &gasp, Reject::Duplicate);
    assert_eq!(a.accepted(), accepted + 3);
    assert_eq!(a.rejected_total(), seen.len() as u64);
    for r in Reject::ALL {
        assert!(seen.contains(&r), "{r:?} not tested");
        let n = seen.iter().filter(|&&x| x == r).count() as u64;
        assert_eq!(a.rejected(r), n, "{r:?}");
    }
}

/// dest 0 is for anyone.
#[test]
fn broadcast_dest() {
    let mut a = member(1, 1, &[2]);
    let mut b = member(2, 2, &[1]);
    let mut h = b.heartbeat(1, 0, 0, WALL).unwrap();
    h.dest = 0;
    rx_change(&mut a, 0, &seal(&h));
}

/// The model of the round-trip statistics: signed arithmetic as specified.
#[derive(Default)]
struct RttModel {
    srtt: i64,
    jitter: i64,
    last: i64,
    min: i64,
    max: i64,
    n: u64,
}

impl RttModel {
    fn add(&mut self, rtt: i64) {
        if self.n == 0 {
            (self.srtt, self.jitter, self.min, self.max) = (rtt, 0, rtt, rtt);
        } else {
            self.srtt += (rtt - self.srtt) / 8;
            self.jitter += ((rtt - self.last).abs() - self.jitter) / 16;
            self.min = self.min.min(rtt);
            self.max = self.max.max(rtt);
        }
        self.last = rtt;
        self.n += 1;
    }

    fn stats(&self) -> RttStats {
        RttStats {
            srtt_ns: self.srtt as u64,
            jitter_ns: self.jitter as u64,
            min_ns: self.min as u64,
            max_ns: self.max as u64,
            last_ns: self.last as u64,
            samples: self.n,
        }
    }
}

#[test]
fn rtt_arithmetic() {
    let mut a = member(1, 1, &[2]);
    let mut b = member(2, 2, &[1]);
    let mut model = RttModel::default();
    let mut now = 100 * SEC;
    // (echo_sent_ns offset back from now, hold µs, sample expected)
    let cases: [(u64, u32, Option<i64>); 12] = [
        (1_000_000, 0, Some(1_000_000)),
        (53_000_123, 50_000, Some(3_000_123)),
        (2_000_000, 0, Some(2_000_000)),
        (2_500_000, 0, Some(2_500_000)),
        (0, 0, None),                                 // echo_sent_ns 0: none
        (1_000, 2, None),                             // held longer than the round trip
        (10 * SEC, 0, None),                          // 10 s: out of range
        (10 * SEC - 1, 0, Some(10 * SEC as i64 - 1)), // just in range
        (5_000, 5, Some(0)),                          // 0 is a sample
        (u64::MAX, 0, None),                          // echo after now (below)
        (7_777_777, 1, Some(7_776_777)),
        (900_000, 0, Some(900_000)),
    ];
    for (i, &(back, hold, want)) in cases.iter().enumerate() {
        now += 100 * MS;
        let mut h = b.heartbeat(1, 0, now, WALL).unwrap();
        h.echo_sent_ns = match back {
            0 => 0,
            u64::MAX => now + 1,
            b => now - b,
        };
        h.echo_hold_us = hold;
        rx(&mut a, now, &seal(&h)).unwrap();
        if let Some(s) = want {
            model.add(s);
        }
        assert_eq!(a.peer(2).unwrap().rtt, model.stats(), "case {i}");
    }
    // Records carry µs.
    let h = Header {
        flags: F_SEES_YOU,
        ..b.heartbeat(1, 0, now, WALL).unwrap()
    };
    let c = rx_change(&mut a, now, &seal(&h));
    assert_eq!(c.rtt_us as i64, model.srtt / 1000);
    assert_eq!(c.jitter_us as i64, model.jitter / 1000);
    assert!(c.rtt_us > 0 && c.jitter_us > 0);
}

fn rtt_sample() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..20 * SEC,
        Just(RTT_MAX_NS),
        Just(RTT_MAX_NS - 1),
        Just(0)
    ]
}

proptest! {
    #[test]
    fn rtt_model(samples in prop::collection::vec(rtt_sample(), 0..100)) {
        let mut s = RttStats::default();
        let mut m = RttModel::default();
        for x in samples {
            let ok = x < RTT_MAX_NS;
            prop_assert_eq!(s.sample(x), ok);
            if ok {
                m.add(x as i64);
            }
            prop_assert_eq!(s, m.stats());
        }
    }
}

/// What a test scenario can do to node 1.
#[derive(Clone, Debug)]
enum Op {
    /// A heartbeat from peer `p` (2..=4), seeing us or not.
    Heartbeat(usize, bool),
    /// A leave from peer `p`, handoff or not.
    Leave(usize, bool),
    /// A gasp from peer `p`.
    Gasp(usize),
    /// A dumping notice from peer `p`: saving, or saved.
    Dump(usize, bool),
    /// Peer `p` reboots (a new incarnation, its clock `skew` s off).
    Reboot(usize, i8),
    /// An old datagram again (index into those sent).
    Replay(usize),
    /// Time passes (ns, can be 0), or steps back.
    Time(u64, bool),
    Tick,
    LocalLeave,
    Rejoin,
    Die,
    /// This node is (a capture kernel) saving its dump, or saved it.
    LocalDump(bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..3, any::<bool>()).prop_map(|(p, s)| Op::Heartbeat(p, s)),
        1 => (0usize..3, any::<bool>()).prop_map(|(p, h)| Op::Leave(p, h)),
        1 => (0usize..3).prop_map(Op::Gasp),
        1 => (0usize..3, any::<bool>()).prop_map(|(p, d)| Op::Dump(p, d)),
        1 => (0usize..3, -40i8..40).prop_map(|(p, s)| Op::Reboot(p, s)),
        2 => any::<usize>().prop_map(Op::Replay),
        4 => (prop_oneof![0u64..500 * MS, 0u64..10 * SEC], prop::bool::weighted(0.1))
            .prop_map(|(d, back)| Op::Time(d, back)),
        4 => Just(Op::Tick),
        1 => Just(Op::LocalLeave),
        1 => Just(Op::Rejoin),
        1 => Just(Op::Die),
        1 => any::<bool>().prop_map(Op::LocalDump),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The epoch moves by exactly one per record, records carry it, and a record is
    /// given exactly when a peer's state or incarnation (or ours) changed. Any clock,
    /// stepping back or at 0, and nothing panics.
    #[test]
    fn epoch_and_records(
        ops in prop::collection::vec(op(), 1..120),
        start in prop_oneof![Just(0u64), any::<u64>()],
    ) {
        let mut a = member(1, 1, &[2, 3, 4]);
        let mut peers: Vec<Membership> = (2..=4).map(|id| member(id, id as u8, &[1])).collect();
        let mut incs = [2u8, 3, 4];
        let mut sent: Vec<Vec<u8>> = Vec::new();
        let mut now = start;
        for op in ops {
            let before: Vec<PeerView> = a.peers().collect();
            let local_before = a.local_state();
            let e = a.epoch();
            let mut records = Vec::new();
            let mut pkt = None;
            match op {
                Op::Heartbeat(p, sees) => {
                    peers[p].rejoin();
                    if let Some(mut h) = peers[p].heartbeat(1, 0, now, WALL) {
                        h.flags = if sees { F_SEES_YOU } else { 0 };
                        pkt = Some(seal(&h));
                    }
                }
                Op::Leave(p, handoff) => {
                    let b = &mut peers[p];
                    b.rejoin();
                    let r = if handoff { abi::CL_R_HANDOFF } else { abi::CL_R_SHUTDOWN };
                    b.leave(r, 300);
                    pkt = b.leave_message(1, 0, now, WALL).map(|h| seal(&h));
                }
                Op::Gasp(p) => {
                    pkt = peers[p].gasp_message(1, abi::CL_R_PANIC, 0, now, WALL).map(|h| seal(&h));
                }
                Op::Dump(p, saved) => {
                    let b = &mut peers[p];
                    b.dump(if saved { abi::CL_R_DUMPED } else { abi::CL_R_KDUMP });
                    pkt = b.dumping_message(1, 0, now, WALL).map(|h| seal(&h));
                }
                Op::Reboot(p, skew) => {
                    incs[p] = incs[p].wrapping_add(16);
                    peers[p] = member(p as u32 + 2, incs[p], &[1]);
                    let mut h = peers[p].heartbeat(1, 0, now, WALL).unwrap();
                    h.wall_s = WALL.wrapping_add_signed(i64::from(skew));
                    pkt = Some(seal(&h));
                }
                Op::Replay(i) => {
                    if !sent.is_empty() {
                        pkt = Some(sent[i % sent.len()].clone());
                    }
                }
                Op::Time(d, back) => {
                    now = if back { now.saturating_sub(d) } else { now.saturating_add(d) };
                }
                Op::Tick => a.tick(now, &mut |c| records.push(*c)),
                Op::LocalLeave => records.extend(a.leave(abi::CL_R_ADMIN, 0)),
                Op::Rejoin => records.extend(a.rejoin()),
                Op::Die => records.extend(a.die(abi::CL_R_PANIC)),
                Op::LocalDump(saved) => records.extend(
                    a.dump(if saved { abi::CL_R_DUMPED } else { abi::CL_R_KDUMP }),
                ),
            }
            let mut rejected = false;
            if let Some(p) = pkt {
                match rx(&mut a, now, &p) {
                    Ok(r) => records.extend(r),
                    Err(_) => rejected = true,
                }
                sent.push(p);
            }
            let after: Vec<PeerView> = a.peers().collect();
            prop_assert_eq!(a.epoch(), e + records.len() as u64);
            for (i, c) in records.iter().enumerate() {
                prop_assert_eq!(c.epoch, e + 1 + i as u64);
                prop_assert_eq!(c.local_node, 1);
                prop_assert_eq!(c.cluster_id, CLUSTER);
            }
            if rejected {
                prop_assert_eq!(&after, &before);
            }
            let peer_records: Vec<&Cluster> =
                records.iter().filter(|c| c.event == abi::CL_PEER).collect();
            let changed: Vec<u32> = before
                .iter()
                .zip(&after)
                // A dying peer's new reason is a change too (a dumping notice).
                .filter(|(x, y)| {
                    x.state != y.state
                        || x.incarnation != y.incarnation
                        || (y.state == abi::CL_DYING && x.reason != y.reason)
                })
                .map(|(x, _)| x.id)
                .collect();
            prop_assert_eq!(peer_records.iter().map(|c| c.node).collect::<Vec<_>>(), changed);
            for c in &peer_records {
                let x = before.iter().find(|p| p.id == c.node).unwrap();
                let y = after.iter().find(|p| p.id == c.node).unwrap();
                prop_assert_eq!((c.old_state, c.state), (x.state, y.state));
                prop_assert_eq!(Some(c.incarnation), y.incarnation);
            }
            if let Some(c) = records.last() {
                prop_assert_eq!(c.up_members, a.up_members());
            }
            let local_records = records.iter().filter(|c| c.event == abi::CL_LOCAL).count();
            prop_assert_eq!(local_records, usize::from(a.local_state() != local_before));
            prop_assert!(after.iter().all(|p| p.state < abi::CL_STATE_NR));
        }
    }

    /// Arbitrary clocks on both sides of a pair: nothing panics, and a heartbeat heard
    /// keeps a peer from timing out before the dead time whatever the clock did.
    #[test]
    fn any_clock(
        times in prop::collection::vec(
            prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>(), 0u64..SEC],
            1..40,
        ),
        walls in prop::collection::vec(any::<u64>(), 1..40),
    ) {
        let mut a = member(1, 1, &[2]);
        let mut b = member(2, 2, &[1]);
        for (i, &t) in times.iter().enumerate() {
            let w = walls[i % walls.len()];
            if let Some(h) = b.heartbeat(1, 0, t, w) {
                let _ = a.receive(t, w, &seal(&h), &keys());
            }
            if let Some(h) = a.heartbeat(2, 0, t, w) {
                let _ = b.receive(t, WALL, &seal(&h), &keys());
            }
            if let Some(h) = b.gasp_message(1, abi::CL_R_PANIC, 0, t, w) {
                if i % 7 == 6 {
                    let _ = a.receive(t, w, &seal(&h), &keys());
                }
            }
            ticks(&mut a, t);
            ticks(&mut b, t.wrapping_mul(3));
            let v = a.peer(2).unwrap();
            if let Some(heard) = v.last_heard_ns {
                if matches!(v.state, abi::CL_UP | abi::CL_JOINING) {
                    prop_assert!(t.saturating_sub(heard) <= 250 * MS);
                }
                if v.state == abi::CL_SUSPECT {
                    prop_assert!(t.saturating_sub(heard) <= 400 * MS);
                }
            }
        }
    }
}

/// Clock 0 everywhere, and a clock that steps back: Up peers do not time out early.
#[test]
fn clock_zero_and_back() {
    let (mut a, mut b) = pair(0);
    assert!(ticks(&mut a, 0).is_empty());
    let p = hb(&mut b, 1, 0);
    rx_same(&mut a, 0, &p);
    let p = hb(&mut b, 1, 10 * SEC);
    rx_change(&mut a, 10 * SEC, &p);
    // Stepped back 10 s: not silent at all.
    assert!(ticks(&mut a, 0).is_empty());
    assert!(ticks(&mut a, 10 * SEC + 250 * MS).is_empty());
    assert_eq!(ticks(&mut a, 10 * SEC + 250 * MS + 1).len(), 1);
    let h = a.heartbeat(2, 0, 0, 0).unwrap();
    assert_eq!((h.sent_ns, h.echo_hold_us), (0, 0));
}

/// The messages carry what the receiver needs, and types map to streams.
#[test]
fn message_streams() {
    let (mut a, mut b) = pair(SEC);
    // A gasp does not consume normal seqs, and the normal window ignores gasps.
    let g = seal(&b.gasp_message(1, abi::CL_R_OOPS, 0, SEC, WALL).unwrap());
    let h1 = b.heartbeat(1, 0, SEC, WALL).unwrap();
    assert_eq!(h1.seq, 2);
    rx_same(&mut a, SEC, &seal(&h1));
    let c = rx_change(&mut a, SEC, &g);
    assert_eq!(c.state, abi::CL_DYING);
    assert_eq!(wire::parse(&g).unwrap().header.seq, 1);
}

/// A capture kernel tells peers it is saving the node's dump, then that it saved it:
/// dumping notices in its own incarnation, on the normal stream, repeated.
#[test]
fn dumping() {
    let t = SEC;
    let (mut a, mut b) = pair(t);
    // The node panics; its gasp arrives.
    let g = seal(&b.gasp_message(1, abi::CL_R_PANIC, 0, t, WALL).unwrap());
    rx_change(&mut a, t, &g);
    // Its capture kernel: a new incarnation that only sends dumping notices.
    let mut k = member(2, 0xd, &[1]);
    assert!(
        k.dumping_message(1, 0, t, WALL).is_none(),
        "not dumping yet"
    );
    let c = k.dump(abi::CL_R_KDUMP).unwrap();
    assert_eq!(
        (c.event, c.old_state, c.state, c.reason),
        (abi::CL_LOCAL, abi::CL_UP, abi::CL_DYING, abi::CL_R_KDUMP)
    );
    assert_eq!(k.local_state(), LocalState::Dumping(abi::CL_R_KDUMP));
    assert!(k.dump(abi::CL_R_KDUMP).is_none());
    assert!(k.heartbeat(1, 0, t, WALL).is_none());
    assert!(k.dumping_message(3, 0, t, WALL).is_none(), "not a peer");
    assert!(k.dumping_message(1, KEY_SLOTS, t, WALL).is_none());
    let h1 = k.dumping_message(1, 0, t, WALL).unwrap();
    assert_eq!(
        (h1.msg_type, h1.reason, h1.seq, h1.dest),
        (T_DUMPING, abi::CL_R_KDUMP, 1, 1)
    );
    let p1 = seal(&h1);
    let c = rx_change(&mut a, 2 * t, &p1);
    assert_eq!(
        (c.old_state, c.state, c.reason, c.incarnation),
        (abi::CL_DYING, abi::CL_DYING, abi::CL_R_KDUMP, inc(0xd))
    );
    // Repeats change nothing; a replay is refused.
    let p2 = seal(&k.dumping_message(1, 0, 3 * t, WALL).unwrap());
    rx_same(&mut a, 3 * t, &p2);
    assert_eq!(rxe(&mut a, 3 * t, &p1), Err(Reject::Replayed));
    // The old kernel's gasp is stale now.
    assert_eq!(rxe(&mut a, 3 * t, &g), Err(Reject::StaleIncarnation));
    // No timeout for a dying peer, however long the dump takes.
    assert!(ticks(&mut a, 600 * SEC).is_empty());
    assert_eq!(state(&a, 2), abi::CL_DYING);
    // Saved: a record with the new reason, once.
    let c = k.dump(abi::CL_R_DUMPED).unwrap();
    assert_eq!(
        (c.old_state, c.state, c.reason),
        (abi::CL_DYING, abi::CL_DYING, abi::CL_R_DUMPED)
    );
    assert!(k.dump(abi::CL_R_DUMPED).is_none());
    assert!(
        k.dump(abi::CL_R_KDUMP).is_none(),
        "saved is not saving again"
    );
    let d1 = seal(&k.dumping_message(1, 0, 601 * SEC, WALL).unwrap());
    let c = rx_change(&mut a, 601 * SEC, &d1);
    assert_eq!(
        (c.old_state, c.state, c.reason),
        (abi::CL_DYING, abi::CL_DYING, abi::CL_R_DUMPED)
    );
    let d2 = seal(&k.dumping_message(1, 0, 601 * SEC, WALL).unwrap());
    rx_same(&mut a, 601 * SEC, &d2);
    // The node reboots into a normal kernel: a new incarnation joins.
    let mut n = member(2, 0xe, &[1]);
    let c = rx_change(&mut a, 700 * SEC, &hb(&mut n, 1, 700 * SEC));
    assert_eq!((c.old_state, c.state), (abi::CL_DYING, abi::CL_JOINING));
    // Other reasons are not dumping reasons; a dead node does not dump.
    let mut x = member(3, 0xf, &[1]);
    assert!(x.dump(abi::CL_R_PANIC).is_none());
    assert!(x.dump(abi::CL_R_NONE).is_none());
    x.die(abi::CL_R_PANIC).unwrap();
    assert!(x.dump(abi::CL_R_KDUMP).is_none());
    // Saved may be the first thing said; a dumping node does not turn dead (its
    // notices say more than a gasp would).
    let mut y = member(4, 0x10, &[1]);
    assert!(y.dump(abi::CL_R_DUMPED).is_some());
    assert!(y.die(abi::CL_R_PANIC).is_none());
    assert_eq!(y.local_state(), LocalState::Dumping(abi::CL_R_DUMPED));
    assert!(y.dumping_message(1, 0, 0, WALL).is_some());
}

/// Dying is terminal for an incarnation: datagrams of a dumping incarnation sent
/// before (or held back) change nothing, a late `kdump` does not undo `dumped`, and
/// only notices count as heard.
#[test]
fn dying_is_terminal_for_an_incarnation() {
    let t = SEC;
    let mut a = member(1, 1, &[2]);
    let mut k = member(2, 0xd, &[1]);
    // A heartbeat, then the node dumps; the heartbeat is delivered after.
    let late_hb = hb(&mut k, 1, t);
    k.dump(abi::CL_R_KDUMP).unwrap();
    let n1 = seal(&k.dumping_message(1, 0, t, WALL).unwrap());
    let n2 = seal(&k.dumping_message(1, 0, t, WALL).unwrap());
    rx_change(&mut a, t, &n1);
    let heard = a.peer(2).unwrap().last_heard_ns;
    rx_same(&mut a, 2 * t, &late_hb);
    assert_eq!(state(&a, 2), abi::CL_DYING);
    assert_eq!(
        a.peer(2).unwrap().last_heard_ns,
        heard,
        "not heard by a heartbeat"
    );
    // Saved, then a notice from before it arrives: still saved.
    k.dump(abi::CL_R_DUMPED).unwrap();
    let d = seal(&k.dumping_message(1, 0, t, WALL).unwrap());
    let c = rx_change(&mut a, 3 * t, &d);
    assert_eq!(c.reason, abi::CL_R_DUMPED);
    rx_same(&mut a, 4 * t, &n2);
    let v = a.peer(2).unwrap();
    assert_eq!((v.state, v.reason), (abi::CL_DYING, abi::CL_R_DUMPED));
    assert_eq!(v.last_heard_ns, Some(4 * t), "a notice is heard");
    // The capture kernel's shutdown gasp at its reboot changes nothing either.
    let g = seal(
        &k.gasp_message(1, abi::CL_R_SHUTDOWN, 0, 5 * t, WALL)
            .unwrap(),
    );
    rx_same(&mut a, 5 * t, &g);
    assert_eq!(a.peer(2).unwrap().reason, abi::CL_R_DUMPED);
}

/// A gasp or a dumping notice held back on the way is refused once its wall clock is
/// more than max_skew_s old, even in the current incarnation.
#[test]
fn held_back_announcements_are_refused() {
    let (mut a, mut b) = pair(SEC);
    let mut g = b.gasp_message(1, abi::CL_R_PANIC, 0, SEC, WALL).unwrap();
    g.wall_s = WALL - 31;
    assert_eq!(rxe(&mut a, 60 * SEC, &seal(&g)), Err(Reject::ClockSkew));
    g.wall_s = WALL + 31;
    assert_eq!(rxe(&mut a, 60 * SEC, &seal(&g)), Err(Reject::ClockSkew));
    assert_eq!(a.rejected(Reject::ClockSkew), 2);
    let mut k = member(3, 3, &[1]);
    a.add_peer(3).unwrap();
    k.dump(abi::CL_R_KDUMP).unwrap();
    let fresh = k.dumping_message(1, 0, SEC, WALL).unwrap();
    rx_change(&mut a, SEC, &seal(&fresh));
    let mut old = k.dumping_message(1, 0, SEC, WALL).unwrap();
    old.wall_s = WALL - 31;
    assert_eq!(rxe(&mut a, 2 * SEC, &seal(&old)), Err(Reject::ClockSkew));
    assert_eq!(a.peer(3).unwrap().last_heard_ns, Some(SEC));
    // A heartbeat is not an announcement: its clock is checked for a new
    // incarnation only.
    let mut h = b.heartbeat(1, 0, 2 * SEC, WALL).unwrap();
    h.wall_s = WALL - 1000;
    assert!(rx(&mut a, 2 * SEC, &seal(&h)).is_ok());
}

/// A dumping notice whose wall clock is far from ours cannot start an incarnation.
#[test]
fn dumping_needs_a_near_clock() {
    let mut a = member(1, 1, &[2]);
    let mut k = member(2, 2, &[1]);
    k.dump(abi::CL_R_KDUMP).unwrap();
    let mut h = k.dumping_message(1, 0, SEC, WALL).unwrap();
    h.wall_s = WALL - 31;
    assert_eq!(rxe(&mut a, SEC, &seal(&h)), Err(Reject::ClockSkew));
    h.wall_s = WALL - 30;
    let c = rx_change(&mut a, SEC, &seal(&h));
    assert_eq!((c.state, c.reason), (abi::CL_DYING, abi::CL_R_KDUMP));
}
