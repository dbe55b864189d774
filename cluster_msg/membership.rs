// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! Cluster membership: each peer's state, from the datagrams it sends and the time
//! since it was last heard, and the messages this node sends. Pure logic: no locking,
//! no allocation, no clock, no panic on any input or clock value.
//!
//! This file builds in `cluster_msg.ko` (the glue runs it under its lock, with the
//! time of each datagram and tick) and in the userspace crate `tools/cluster-core`
//! (unit, property and mutation tests, fuzzing). It uses only `core`, the `CL_*`
//! items of `crate::abi`, [`crate::wire`] and [`crate::replay`].
//!
//! # Time
//!
//! `now_ns` is `CLOCK_MONOTONIC` in ns, `wall_s` `CLOCK_REALTIME` in seconds. Any
//! value is handled: a clock at 0, or one that steps back, makes every elapsed time
//! that would be negative 0 (nothing times out early, nothing panics). Counters and
//! times saturate.
//!
//! # Receiving
//!
//! [`Membership::receive`] takes each datagram through, in order: [`wire::parse`]; the
//! cluster id (`WrongCluster`); a sender that is this node (`FromSelf`); a `dest` that
//! is neither 0 nor this node (`WrongDest`); a sender that is not a configured peer
//! (`UnknownNode`); the tag, over [`wire::Parsed::signed`] ([`Mac::verify`]: `NoKey`,
//! `BadMac`); the incarnation and the replay window (below); then the state machine.
//! It counts each datagram, as accepted or under its [`Reject`]. A rejected datagram
//! changes nothing else.
//!
//! # Incarnations
//!
//! A peer's incarnation is its boot id, new each time its module is enabled. For each
//! peer this keeps the current incarnation, a replay window ([`Window`]) per stream
//! (heartbeats, leaves and dumping notices are the normal stream, gasps the gasp
//! stream: a gasp is
//! built ahead of time, so its sequence numbers cannot follow the heartbeats') and a
//! ring of the last [`RETIRED`] incarnations that died or were replaced.
//!
//! - An incarnation in the ring: `StaleIncarnation`, except an exact repeat of the gasp
//!   that retired it (the sender sends each gasp several times), `Duplicate`.
//! - An incarnation other than the current one (or the first one heard): accepted as
//!   the peer's new incarnation only if its `wall_s` is within
//!   [`Timing::max_skew_s`] of ours (`ClockSkew` otherwise: a datagram recorded long
//!   ago cannot revive a dead incarnation that has left the ring). The current one, if
//!   any, is retired; the windows start empty.
//! - A gasp or a dumping notice, in any incarnation: `ClockSkew` too if its `wall_s`
//!   is not within `max_skew_s` of ours. Held back on the way and delivered later, it
//!   cannot make a node look as if it had just died: fence agents count on that.
//! - Then the stream's window: `Replayed`, `TooOld`.
//!
//! # Peer states (`CL_*`)
//!
//! A configured peer starts `Down`. On an accepted datagram:
//!
//! - heartbeat: `Up` if it has [`wire::F_SEES_YOU`] (it hears us), else `Joining`;
//!   the echo for our next heartbeat is updated, and its own echo of ours gives a
//!   round-trip sample, `now - echo_sent_ns - echo_hold_us` ([`RttStats`]; none if
//!   `echo_sent_ns` is 0 or the result is negative or 10 s or more);
//! - leave: `Handoff` for reason `CL_R_HANDOFF` (`arg`: ms it will be back within),
//!   else `Left`; a heartbeat of the same incarnation later brings it back;
//! - gasp: `Dying`, and the incarnation is retired at once;
//! - dumping notice (normal stream, sent by the peer's capture kernel in its own
//!   incarnation, again at every tick): `Dying` with its reason, `CL_R_KDUMP` while the
//!   dump is being saved and `CL_R_DUMPED` once it is.
//!
//! `Dying` is terminal for an incarnation: once a peer is `Dying` in its current
//! incarnation, a datagram of that incarnation (sent before, or held back) changes
//! nothing but the replay windows, except a `CL_R_DUMPED` notice after `CL_R_KDUMP`;
//! and only dumping notices count as heard then.
//!
//! Any other accepted datagram counts as heard (`last_heard_ns`, `rx_packets`).
//!
//! [`Membership::tick`]: `Up` and `Joining` silent for more than `suspect_ms` become
//! `Suspect`; `Up`, `Joining` and `Suspect` silent for more than `dead_ms` become
//! `Down` (reason `CL_R_TIMEOUT`), at once if the tick comes late; `Handoff` becomes
//! `Down` (`CL_R_TIMEOUT`) more than `arg + dead_ms` ms after its last leave. `Down`,
//! `Dying` and `Left` stay. A tick every `interval_ms` detects a silent peer within
//! `dead_ms + interval_ms`.
//!
//! # Records and the epoch
//!
//! Every change of a peer's state, or of its incarnation (a peer that rebooted and
//! came back in the same state), bumps the epoch by one and gives an `abi::Cluster`
//! record (`CL_PEER`) with the epoch after the change and the peers `Up` after it.
//! Its reason is the leave's, the gasp's or the notice's for `Left`, `Handoff` and
//! `Dying` (a dying peer's new reason gives a record too: saving, then saved),
//! `CL_R_TIMEOUT` for `Down`, `CL_R_NONE` otherwise; `silent_ms` is set for `Suspect`
//! and `Down`. Updates that change neither state nor incarnation give no record and
//! leave the epoch alone. This node's own changes ([`Membership::leave`],
//! [`Membership::rejoin`], [`Membership::die`], [`Membership::dump`]) bump the epoch
//! too and give a `CL_LOCAL` record. Removing a peer that is not `Down` bumps the epoch (the view
//! changed), without a record.
//!
//! # Sending
//!
//! [`Membership::heartbeat`], [`Membership::leave_message`] and
//! [`Membership::dumping_message`] take the normal stream's next sequence number,
//! [`Membership::gasp_message`] the gasp stream's. A node that is dumping
//! ([`Membership::dump`]: a capture kernel saving this node's crash dump) sends only
//! dumping notices. A
//! heartbeat echoes the `sent_ns` of the last heartbeat heard from `dest` within the
//! dead time, with the time held, for `dest` to measure the round trip; it has
//! `F_SEES_YOU` if `dest` was heard, in its current incarnation, within the dead time.

use crate::abi;
use crate::replay::Window;
use crate::wire::{self, Header, Mac, Reject};

/// The most peers (other nodes) a node knows.
pub const MAX_PEERS: usize = 16;
/// Dead or replaced incarnations remembered per peer.
pub const RETIRED: usize = 4;
/// Round-trip samples at or above this (10 s) are ignored.
pub const RTT_MAX_NS: u64 = 10_000_000_000;

const NS_PER_US: u64 = 1_000;
const NS_PER_MS: u64 = 1_000_000;

/// Heartbeat and failure detection times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// Between heartbeats (and ticks), `10..=10_000` ms.
    pub interval_ms: u32,
    /// Silent for more than this: `Suspect`. Above `interval_ms`.
    pub suspect_ms: u32,
    /// Silent for more than this: `Down`. Above `suspect_ms`, at least twice
    /// `interval_ms`, at most 60 s.
    pub dead_ms: u32,
    /// The largest difference of wall clocks, `1..=3600` s, for a new incarnation.
    pub max_skew_s: u32,
}

impl Default for Timing {
    /// 100 ms heartbeats, suspect after 250 ms, down after 400 ms (detected within
    /// 500 ms), 30 s of clock skew.
    fn default() -> Self {
        Self {
            interval_ms: 100,
            suspect_ms: 250,
            dead_ms: 400,
            max_skew_s: 30,
        }
    }
}

impl Timing {
    /// Checks the bounds given with each field: `BadTiming` if one is out.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let ok = (10..=10_000).contains(&self.interval_ms)
            && self.interval_ms < self.suspect_ms
            && self.suspect_ms < self.dead_ms
            && self.dead_ms <= 60_000
            && u64::from(self.dead_ms) >= u64::from(self.interval_ms).saturating_mul(2)
            && (1..=3600).contains(&self.max_skew_s);
        if ok {
            Ok(())
        } else {
            Err(ConfigError::BadTiming)
        }
    }

    fn suspect_ns(&self) -> u64 {
        ms_to_ns(self.suspect_ms)
    }

    fn dead_ns(&self) -> u64 {
        ms_to_ns(self.dead_ms)
    }
}

fn ms_to_ns(ms: u32) -> u64 {
    u64::from(ms).saturating_mul(NS_PER_MS)
}

fn ns_to_ms(ns: u64) -> u32 {
    u32::try_from(ns / NS_PER_MS).unwrap_or(u32::MAX)
}

fn ns_to_us(ns: u64) -> u32 {
    u32::try_from(ns / NS_PER_US).unwrap_or(u32::MAX)
}

/// Why a configuration call was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// [`Timing::validate`] failed.
    BadTiming,
    /// A node id of 0, or this node's as a peer.
    BadId,
    /// The peer is already configured.
    Exists,
    /// The peer is not configured.
    NotFound,
    /// [`MAX_PEERS`] peers are configured.
    Full,
}

/// Round-trip times to a peer, measured from the echoes in its heartbeats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RttStats {
    /// Smoothed: `srtt += (rtt - srtt) / 8`, the first sample sets it.
    pub srtt_ns: u64,
    /// RFC 3550's: `jitter += (|rtt - last| - jitter) / 16`, 0 after the first sample.
    pub jitter_ns: u64,
    /// The smallest sample.
    pub min_ns: u64,
    /// The largest sample.
    pub max_ns: u64,
    /// The last sample.
    pub last_ns: u64,
    /// Samples taken.
    pub samples: u64,
}

/// `avg + (x - avg) / N` in signed arithmetic, the division truncating toward 0.
fn ewma<const N: u64>(avg: u64, x: u64) -> u64 {
    let step = x.abs_diff(avg).checked_div(N).unwrap_or(0);
    if x >= avg {
        avg.saturating_add(step)
    } else {
        avg.saturating_sub(step)
    }
}

impl RttStats {
    /// Adds a sample of `rtt_ns`; ignores it (returns false) if not below
    /// [`RTT_MAX_NS`].
    pub fn sample(&mut self, rtt_ns: u64) -> bool {
        if rtt_ns >= RTT_MAX_NS {
            return false;
        }
        if self.samples == 0 {
            self.srtt_ns = rtt_ns;
            self.jitter_ns = 0;
            self.min_ns = rtt_ns;
            self.max_ns = rtt_ns;
        } else {
            self.srtt_ns = ewma::<8>(self.srtt_ns, rtt_ns);
            self.jitter_ns = ewma::<16>(self.jitter_ns, rtt_ns.abs_diff(self.last_ns));
            self.min_ns = self.min_ns.min(rtt_ns);
            self.max_ns = self.max_ns.max(rtt_ns);
        }
        self.last_ns = rtt_ns;
        self.samples = self.samples.saturating_add(1);
        true
    }
}

/// What is known of a peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerView {
    /// Its node id.
    pub id: u32,
    /// `CL_*` state.
    pub state: u8,
    /// `CL_R_*`: why it left, is dying or is down.
    pub reason: u8,
    /// `Handoff`: ms it said it would be back within.
    pub arg: u32,
    /// Its current (or dying) incarnation, `None` before it was first heard.
    pub incarnation: Option<[u8; 16]>,
    /// When it was last heard (`now_ns` of the datagram), `None` if never.
    pub last_heard_ns: Option<u64>,
    /// Round-trip times.
    pub rtt: RttStats,
    /// Datagrams accepted from it.
    pub rx_packets: u64,
}

/// This node's own state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalState {
    /// A member: it sends heartbeats.
    Active,
    /// It left, for the reason given (`CL_R_*`): no heartbeats until it rejoins.
    Left(u8),
    /// It is dying, for the reason given: terminal.
    Dead(u8),
    /// A capture kernel saving this node's dump (`CL_R_KDUMP`) or done saving it
    /// (`CL_R_DUMPED`): it sends dumping notices instead of heartbeats.
    Dumping(u8),
}

impl LocalState {
    /// The `CL_*` state it shows as in `CL_LOCAL` records.
    pub fn code(self) -> u8 {
        match self {
            LocalState::Active => abi::CL_UP,
            LocalState::Left(_) => abi::CL_LEFT,
            LocalState::Dead(_) | LocalState::Dumping(_) => abi::CL_DYING,
        }
    }
}

/// The last heartbeat heard from a peer, echoed back to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Echo {
    /// Its `sent_ns`.
    sent_ns: u64,
    /// Our `now_ns` when it arrived.
    rx_ns: u64,
}

/// The message types, as the state machine sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Msg {
    Heartbeat,
    Leave,
    Gasp,
    Dumping,
}

/// A configured peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Peer {
    id: u32,
    state: u8,
    reason: u8,
    arg: u32,
    incarnation: Option<[u8; 16]>,
    /// The current incarnation was retired by a gasp (the gasp window holds its seq).
    gasped: bool,
    normal: Window,
    gasp: Window,
    retired: [Option<[u8; 16]>; RETIRED],
    /// The ring slot the next retired incarnation goes to.
    retired_next: usize,
    last_heard_ns: Option<u64>,
    echo: Option<Echo>,
    rtt: RttStats,
    rx_packets: u64,
}

impl Peer {
    const EMPTY: Peer = Peer {
        id: 0,
        state: abi::CL_DOWN,
        reason: abi::CL_R_NONE,
        arg: 0,
        incarnation: None,
        gasped: false,
        normal: Window::EMPTY,
        gasp: Window::EMPTY,
        retired: [None; RETIRED],
        retired_next: 0,
        last_heard_ns: None,
        echo: None,
        rtt: RttStats {
            srtt_ns: 0,
            jitter_ns: 0,
            min_ns: 0,
            max_ns: 0,
            last_ns: 0,
            samples: 0,
        },
        rx_packets: 0,
    };

    fn new(id: u32) -> Self {
        Peer { id, ..Self::EMPTY }
    }

    fn view(&self) -> PeerView {
        PeerView {
            id: self.id,
            state: self.state,
            reason: self.reason,
            arg: self.arg,
            incarnation: self.incarnation,
            last_heard_ns: self.last_heard_ns,
            rtt: self.rtt,
            rx_packets: self.rx_packets,
        }
    }

    fn is_retired(&self, inc: &[u8; 16]) -> bool {
        self.retired.iter().any(|r| r.as_ref() == Some(inc))
    }

    fn retire(&mut self, inc: [u8; 16]) {
        if self.is_retired(&inc) {
            return;
        }
        if let Some(slot) = self.retired.get_mut(self.retired_next) {
            *slot = Some(inc);
        }
        self.retired_next = match self.retired_next.checked_add(1) {
            Some(n) if n < RETIRED => n,
            _ => 0,
        };
    }

    /// ns since last heard, 0 if never or if the clock stepped back.
    fn silent_ns(&self, now_ns: u64) -> u64 {
        self.last_heard_ns.map_or(0, |t| now_ns.saturating_sub(t))
    }

    /// Heard in its current incarnation (not dying) within the dead time.
    fn sees(&self, now_ns: u64, timing: &Timing) -> bool {
        self.incarnation.is_some()
            && !self.gasped
            && self.last_heard_ns.is_some()
            && self.silent_ns(now_ns) <= timing.dead_ns()
    }

    /// The echo fields for a heartbeat to this peer: the last heartbeat's `sent_ns`
    /// and the µs held, if it arrived within the dead time; else zeros.
    fn echo_fields(&self, now_ns: u64, timing: &Timing) -> (u64, u32) {
        match self.echo {
            Some(e) if now_ns.saturating_sub(e.rx_ns) <= timing.dead_ns() => {
                (e.sent_ns, ns_to_us(now_ns.saturating_sub(e.rx_ns)))
            }
            _ => (0, 0),
        }
    }

    /// The incarnation and replay checks, then the state machine, for an
    /// authenticated message. `Ok(Some(old state))` if the state or the incarnation
    /// changed.
    fn receive(
        &mut self,
        h: &Header,
        now_ns: u64,
        wall_s: u64,
        timing: &Timing,
    ) -> Result<Option<u8>, Reject> {
        let msg = match h.msg_type {
            wire::T_HEARTBEAT => Msg::Heartbeat,
            wire::T_LEAVE => Msg::Leave,
            wire::T_GASP => Msg::Gasp,
            wire::T_DUMPING => Msg::Dumping,
            _ => return Err(Reject::BadType),
        };
        if self.is_retired(&h.incarnation) {
            let repeat = msg == Msg::Gasp
                && self.gasped
                && self.incarnation == Some(h.incarnation)
                && self.gasp.check(h.seq) == Err(Reject::Replayed);
            return Err(if repeat {
                Reject::Duplicate
            } else {
                Reject::StaleIncarnation
            });
        }
        let new = self.incarnation != Some(h.incarnation);
        // A gasp or a dumping notice is fresh too, or it is refused: one held back on
        // the way cannot make a node look dying long after it said so.
        let announces = matches!(msg, Msg::Gasp | Msg::Dumping);
        if (new || announces) && wall_s.abs_diff(h.wall_s) > u64::from(timing.max_skew_s) {
            return Err(Reject::ClockSkew);
        }
        let (mut normal, mut gasp) = if new {
            (Window::EMPTY, Window::EMPTY)
        } else {
            (self.normal, self.gasp)
        };
        match msg {
            Msg::Gasp => gasp.check_and_update(h.seq)?,
            Msg::Heartbeat | Msg::Leave | Msg::Dumping => normal.check_and_update(h.seq)?,
        }

        // Accepted: nothing below fails.
        if new {
            if let Some(old) = self.incarnation {
                self.retire(old);
            }
            self.incarnation = Some(h.incarnation);
            self.gasped = false;
            self.echo = None;
        }
        self.normal = normal;
        self.gasp = gasp;
        self.rx_packets = self.rx_packets.saturating_add(1);
        let (old, old_reason) = (self.state, self.reason);
        if !new && old == abi::CL_DYING {
            // Dying is terminal for an incarnation (one that gasped is retired and
            // never gets here): a datagram sent before, or held back, neither brings it
            // back nor changes why, except a dumping notice saying the dump is saved.
            // Only dumping notices count as heard.
            if msg == Msg::Dumping {
                self.last_heard_ns = Some(now_ns);
                if h.reason == abi::CL_R_DUMPED {
                    self.reason = abi::CL_R_DUMPED;
                }
            }
            return Ok((self.reason != old_reason).then_some(old));
        }
        self.last_heard_ns = Some(now_ns);
        match msg {
            Msg::Heartbeat => {
                self.state = if h.flags & wire::F_SEES_YOU != 0 {
                    abi::CL_UP
                } else {
                    abi::CL_JOINING
                };
                self.reason = abi::CL_R_NONE;
                self.arg = 0;
                self.echo = Some(Echo {
                    sent_ns: h.sent_ns,
                    rx_ns: now_ns,
                });
                if h.echo_sent_ns != 0 {
                    let held = u64::from(h.echo_hold_us).saturating_mul(NS_PER_US);
                    if let Some(rtt) = now_ns
                        .checked_sub(h.echo_sent_ns)
                        .and_then(|d| d.checked_sub(held))
                    {
                        self.rtt.sample(rtt);
                    }
                }
            }
            Msg::Leave => {
                if h.reason == abi::CL_R_HANDOFF {
                    self.state = abi::CL_HANDOFF;
                    self.arg = h.arg;
                } else {
                    self.state = abi::CL_LEFT;
                    self.arg = 0;
                }
                self.reason = h.reason;
            }
            Msg::Gasp => {
                self.state = abi::CL_DYING;
                self.reason = h.reason;
                self.arg = 0;
                self.retire(h.incarnation);
                self.gasped = true;
            }
            Msg::Dumping => {
                self.state = abi::CL_DYING;
                self.reason = h.reason;
                self.arg = 0;
            }
        }
        // Dying for another reason (a dumping notice after a gasp of the old kernel).
        let reason_changed = self.state == abi::CL_DYING && old_reason != self.reason;
        Ok((new || old != self.state || reason_changed).then_some(old))
    }

    /// The timeouts. `Some((old state, silent ms))` if the state changed.
    fn tick(&mut self, now_ns: u64, timing: &Timing) -> Option<(u8, u32)> {
        let silent = self.silent_ns(now_ns);
        let next = match self.state {
            abi::CL_UP | abi::CL_JOINING | abi::CL_SUSPECT if silent > timing.dead_ns() => {
                abi::CL_DOWN
            }
            abi::CL_UP | abi::CL_JOINING if silent > timing.suspect_ns() => abi::CL_SUSPECT,
            // Silent since its last leave (anything else heard leaves Handoff).
            abi::CL_HANDOFF if silent > ms_to_ns(self.arg).saturating_add(timing.dead_ns()) => {
                abi::CL_DOWN
            }
            _ => return None,
        };
        let old = self.state;
        self.state = next;
        if next == abi::CL_DOWN {
            self.reason = abi::CL_R_TIMEOUT;
        }
        Some((old, ns_to_ms(silent)))
    }
}

/// The membership of one node (see the module documentation).
#[derive(Clone, Debug)]
pub struct Membership {
    local: u32,
    cluster: u32,
    incarnation: [u8; 16],
    timing: Timing,
    local_state: LocalState,
    /// The arg of our leave (a handoff's ms).
    leave_arg: u32,
    epoch: u64,
    /// The last sequence number sent on the normal stream.
    seq: u64,
    /// The last sequence number sent on the gasp stream.
    gasp_seq: u64,
    /// `peers[..npeers]`, by increasing id.
    peers: [Peer; MAX_PEERS],
    npeers: usize,
    rejected: [u64; Reject::NR],
    accepted: u64,
}

impl Membership {
    /// Node `local` (not 0) of cluster `cluster`, in incarnation `incarnation`, with
    /// no peers, active, at epoch 0.
    pub fn new(
        local: u32,
        cluster: u32,
        incarnation: [u8; 16],
        timing: Timing,
    ) -> Result<Self, ConfigError> {
        if local == 0 {
            return Err(ConfigError::BadId);
        }
        timing.validate()?;
        Ok(Self {
            local,
            cluster,
            incarnation,
            timing,
            local_state: LocalState::Active,
            leave_arg: 0,
            epoch: 0,
            seq: 0,
            gasp_seq: 0,
            peers: [Peer::EMPTY; MAX_PEERS],
            npeers: 0,
            rejected: [0; Reject::NR],
            accepted: 0,
        })
    }

    fn active(&self) -> &[Peer] {
        self.peers.get(..self.npeers).unwrap_or(&[])
    }

    fn position(&self, id: u32) -> Option<usize> {
        self.active().iter().position(|p| p.id == id)
    }

    /// Configures peer `id`, `Down`. `BadId` for 0 or this node, `Exists`, `Full`.
    pub fn add_peer(&mut self, id: u32) -> Result<(), ConfigError> {
        if id == 0 || id == self.local {
            return Err(ConfigError::BadId);
        }
        if self.position(id).is_some() {
            return Err(ConfigError::Exists);
        }
        let n = self.npeers;
        let at = self.active().iter().position(|p| p.id > id).unwrap_or(n);
        let grown = n.checked_add(1).filter(|&g| g <= MAX_PEERS);
        let (Some(grown), Some(slot)) = (grown, self.peers.get_mut(n)) else {
            return Err(ConfigError::Full);
        };
        *slot = Peer::new(id);
        if let Some(moved) = self.peers.get_mut(at..grown).filter(|m| !m.is_empty()) {
            moved.rotate_right(1);
        }
        self.npeers = grown;
        Ok(())
    }

    /// Forgets peer `id` (`NotFound` if it is not configured). The epoch is bumped if
    /// it was not `Down`.
    pub fn remove_peer(&mut self, id: u32) -> Result<(), ConfigError> {
        let at = self.position(id).ok_or(ConfigError::NotFound)?;
        let n = self.npeers;
        let was = self.peers.get(at).map_or(abi::CL_DOWN, |p| p.state);
        if let Some(moved) = self.peers.get_mut(at..n).filter(|m| !m.is_empty()) {
            moved.rotate_left(1);
        }
        let last = n.saturating_sub(1);
        if let Some(slot) = self.peers.get_mut(last) {
            *slot = Peer::EMPTY;
        }
        self.npeers = last;
        if was != abi::CL_DOWN {
            self.bump();
        }
        Ok(())
    }

    /// The configured peers, by increasing id.
    pub fn peers(&self) -> impl Iterator<Item = PeerView> + '_ {
        self.active().iter().map(Peer::view)
    }

    /// Peer `id`, if configured.
    pub fn peer(&self, id: u32) -> Option<PeerView> {
        self.active().iter().find(|p| p.id == id).map(Peer::view)
    }

    /// The membership epoch: bumped by every change (see the module documentation).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// This node's id.
    pub fn local(&self) -> u32 {
        self.local
    }

    /// The cluster id.
    pub fn cluster(&self) -> u32 {
        self.cluster
    }

    /// This node's incarnation.
    pub fn incarnation(&self) -> [u8; 16] {
        self.incarnation
    }

    /// The times in force.
    pub fn timing(&self) -> Timing {
        self.timing
    }

    /// Changes the times (validated: `BadTiming`). They apply from the next call.
    pub fn set_timing(&mut self, timing: Timing) -> Result<(), ConfigError> {
        timing.validate()?;
        self.timing = timing;
        Ok(())
    }

    /// This node's own state.
    pub fn local_state(&self) -> LocalState {
        self.local_state
    }

    /// Datagrams rejected for `r`.
    pub fn rejected(&self, r: Reject) -> u64 {
        self.rejected.get(r.index()).copied().unwrap_or(0)
    }

    /// Datagrams rejected, all reasons.
    pub fn rejected_total(&self) -> u64 {
        self.rejected
            .iter()
            .fold(0u64, |sum, &n| sum.saturating_add(n))
    }

    /// Datagrams accepted.
    pub fn accepted(&self) -> u64 {
        self.accepted
    }

    /// Peers `Up`.
    pub fn up_members(&self) -> u64 {
        self.active()
            .iter()
            .filter(|p| p.state == abi::CL_UP)
            .fold(0u64, |n, _| n.saturating_add(1))
    }

    /// Continues the epoch of the kernel this one took over from in a kexec handoff
    /// (the next change is `epoch + 1`), so that the epoch never goes back. Only while
    /// nothing has changed yet (epoch 0): `false` otherwise, the epoch unchanged.
    pub fn resume_epoch(&mut self, epoch: u64) -> bool {
        if self.epoch != 0 {
            return false;
        }
        self.epoch = epoch;
        true
    }

    fn bump(&mut self) {
        self.epoch = self.epoch.saturating_add(1);
    }

    /// Everything a received datagram goes through (see the module documentation).
    /// `Ok(Some(record))` if the sender's state or incarnation changed: a `CL_PEER`
    /// record with the epoch after the change.
    pub fn receive(
        &mut self,
        now_ns: u64,
        wall_s: u64,
        pkt: &[u8],
        mac: &impl Mac,
    ) -> Result<Option<abi::Cluster>, Reject> {
        let result = self.receive_checked(now_ns, wall_s, pkt, mac);
        match result {
            Ok(_) => self.accepted = self.accepted.saturating_add(1),
            Err(r) => {
                if let Some(n) = self.rejected.get_mut(r.index()) {
                    *n = n.saturating_add(1);
                }
            }
        }
        result
    }

    fn receive_checked(
        &mut self,
        now_ns: u64,
        wall_s: u64,
        pkt: &[u8],
        mac: &impl Mac,
    ) -> Result<Option<abi::Cluster>, Reject> {
        let p = wire::parse(pkt)?;
        let h = p.header;
        if h.cluster_id != self.cluster {
            return Err(Reject::WrongCluster);
        }
        if h.sender == self.local {
            return Err(Reject::FromSelf);
        }
        if h.dest != 0 && h.dest != self.local {
            return Err(Reject::WrongDest);
        }
        let at = self.position(h.sender).ok_or(Reject::UnknownNode)?;
        mac.verify(h.key_id, p.signed, p.tag)?;
        let timing = self.timing;
        let peer = self.peers.get_mut(at).ok_or(Reject::UnknownNode)?;
        let Some(old) = peer.receive(&h, now_ns, wall_s, &timing)? else {
            return Ok(None);
        };
        self.bump();
        Ok(self.peer_record(at, old, 0))
    }

    /// The `CL_PEER` record of peer `peers[at]`'s change from `old`.
    fn peer_record(&self, at: usize, old: u8, silent_ms: u32) -> Option<abi::Cluster> {
        let p = self.active().get(at)?;
        Some(abi::Cluster {
            event: abi::CL_PEER,
            state: p.state,
            old_state: old,
            reason: p.reason,
            node: p.id,
            cluster_id: self.cluster,
            local_node: self.local,
            epoch: self.epoch,
            incarnation: p.incarnation.unwrap_or_default(),
            silent_ms,
            arg: p.arg,
            rtt_us: ns_to_us(p.rtt.srtt_ns),
            jitter_us: ns_to_us(p.rtt.jitter_ns),
            up_members: self.up_members(),
        })
    }

    /// The timeouts (see the module documentation); calls `out` with the record of each
    /// change, by increasing peer id.
    pub fn tick(&mut self, now_ns: u64, out: &mut dyn FnMut(&abi::Cluster)) {
        let timing = self.timing;
        for at in 0..self.npeers {
            let Some(peer) = self.peers.get_mut(at) else {
                break;
            };
            let Some((old, silent_ms)) = peer.tick(now_ns, &timing) else {
                continue;
            };
            self.bump();
            if let Some(rec) = self.peer_record(at, old, silent_ms) {
                out(&rec);
            }
        }
    }

    /// Takes the normal stream's next sequence number.
    fn next_seq(&mut self) -> Option<u64> {
        self.seq = self.seq.checked_add(1)?;
        Some(self.seq)
    }

    /// A header to `dest` with the fields every message has; `seq` 0, and the echo,
    /// flags and arg for the caller to fill.
    fn header(&self, msg_type: u8, reason: u8, dest: u32, key_id: u8, now: (u64, u64)) -> Header {
        Header {
            msg_type,
            reason,
            key_id,
            cluster_id: self.cluster,
            sender: self.local,
            dest,
            incarnation: self.incarnation,
            epoch: self.epoch,
            seq: 0,
            sent_ns: now.0,
            wall_s: now.1,
            echo_sent_ns: 0,
            echo_hold_us: 0,
            flags: 0,
            arg: 0,
        }
    }

    /// The next heartbeat to peer `dest`, `None` if `dest` is not configured, `key_id`
    /// is not a key slot, or this node is not active. Takes a normal sequence number.
    pub fn heartbeat(&mut self, dest: u32, key_id: u8, now_ns: u64, wall_s: u64) -> Option<Header> {
        if self.local_state != LocalState::Active || key_id >= wire::KEY_SLOTS {
            return None;
        }
        let peer = self.active().get(self.position(dest)?)?;
        let (echo_sent_ns, echo_hold_us) = peer.echo_fields(now_ns, &self.timing);
        let sees = peer.sees(now_ns, &self.timing);
        let now = (now_ns, wall_s);
        let mut h = self.header(wire::T_HEARTBEAT, abi::CL_R_NONE, dest, key_id, now);
        h.echo_sent_ns = echo_sent_ns;
        h.echo_hold_us = echo_hold_us;
        h.flags = if sees { wire::F_SEES_YOU } else { 0 };
        h.seq = self.next_seq()?;
        Some(h)
    }

    /// A leave to peer `dest` (the caller sends one to every peer after
    /// [`Membership::leave`]), with our leave's reason and arg; `None` if `dest` is not
    /// configured, `key_id` is not a key slot, or this node has not left. Takes a normal
    /// sequence number.
    pub fn leave_message(
        &mut self,
        dest: u32,
        key_id: u8,
        now_ns: u64,
        wall_s: u64,
    ) -> Option<Header> {
        let LocalState::Left(reason) = self.local_state else {
            return None;
        };
        let mut h = self.normal_message(wire::T_LEAVE, reason, dest, key_id, (now_ns, wall_s))?;
        h.arg = self.leave_arg;
        Some(h)
    }

    /// A message of the normal stream to peer `dest`, with its sequence number; `None`
    /// if `dest` is not configured or `key_id` is not a key slot.
    fn normal_message(
        &mut self,
        msg_type: u8,
        reason: u8,
        dest: u32,
        key_id: u8,
        now: (u64, u64),
    ) -> Option<Header> {
        if key_id >= wire::KEY_SLOTS {
            return None;
        }
        self.position(dest)?;
        let mut h = self.header(msg_type, reason, dest, key_id, now);
        h.seq = self.next_seq()?;
        Some(h)
    }

    /// A gasp to peer `dest` for `reason`, whatever the local state (built ahead of time
    /// and sent from panic context); `None` if `dest` is not configured, `key_id` is not
    /// a key slot, or `reason` is not one a gasp may carry
    /// ([`wire::reason_allowed`]). Each call takes a gasp sequence number.
    pub fn gasp_message(
        &mut self,
        dest: u32,
        reason: u8,
        key_id: u8,
        now_ns: u64,
        wall_s: u64,
    ) -> Option<Header> {
        if !wire::reason_allowed(wire::T_GASP, reason) || key_id >= wire::KEY_SLOTS {
            return None;
        }
        self.position(dest)?;
        let mut h = self.header(wire::T_GASP, reason, dest, key_id, (now_ns, wall_s));
        self.gasp_seq = self.gasp_seq.checked_add(1)?;
        h.seq = self.gasp_seq;
        Some(h)
    }

    /// A dumping notice to peer `dest` with our dumping reason; `None` if `dest` is not
    /// configured, `key_id` is not a key slot, or this node is not dumping. Takes a
    /// normal sequence number.
    pub fn dumping_message(
        &mut self,
        dest: u32,
        key_id: u8,
        now_ns: u64,
        wall_s: u64,
    ) -> Option<Header> {
        let LocalState::Dumping(reason) = self.local_state else {
            return None;
        };
        self.normal_message(wire::T_DUMPING, reason, dest, key_id, (now_ns, wall_s))
    }

    /// The `CL_LOCAL` record of a change of our state from `old`, after the bump.
    fn local_change(&mut self, next: LocalState, reason: u8) -> abi::Cluster {
        let old = self.local_state.code();
        self.local_state = next;
        self.bump();
        abi::Cluster {
            event: abi::CL_LOCAL,
            state: next.code(),
            old_state: old,
            reason,
            node: self.local,
            cluster_id: self.cluster,
            local_node: self.local,
            epoch: self.epoch,
            incarnation: self.incarnation,
            silent_ms: 0,
            arg: self.leave_arg,
            rtt_us: 0,
            jitter_us: 0,
            up_members: self.up_members(),
        }
    }

    /// Active to `Left(reason)`, `arg` kept for a handoff (`CL_R_HANDOFF`: ms we will
    /// be back within; 0 for other reasons). `None` if not active, or if `reason` is not
    /// one a leave may carry ([`wire::reason_allowed`]).
    pub fn leave(&mut self, reason: u8, arg: u32) -> Option<abi::Cluster> {
        if self.local_state != LocalState::Active || !wire::reason_allowed(wire::T_LEAVE, reason) {
            return None;
        }
        self.leave_arg = if reason == abi::CL_R_HANDOFF { arg } else { 0 };
        Some(self.local_change(LocalState::Left(reason), reason))
    }

    /// `Left` back to active, in the same incarnation (peers hear heartbeats again,
    /// whose sequence numbers go on). `None` if not `Left`.
    pub fn rejoin(&mut self) -> Option<abi::Cluster> {
        if !matches!(self.local_state, LocalState::Left(_)) {
            return None;
        }
        self.leave_arg = 0;
        Some(self.local_change(LocalState::Active, abi::CL_R_NONE))
    }

    /// To `Dumping(reason)`: `CL_R_KDUMP` (saving) from any state but `Dead` and
    /// `Dumping`, `CL_R_DUMPED` (saved) from any state but `Dead` and
    /// `Dumping(CL_R_DUMPED)`. `None` otherwise, or for another reason.
    pub fn dump(&mut self, reason: u8) -> Option<abi::Cluster> {
        let allowed = match (self.local_state, reason) {
            (LocalState::Dead(_), _) => false,
            (LocalState::Dumping(_), abi::CL_R_KDUMP) => false,
            (LocalState::Dumping(r), abi::CL_R_DUMPED) => r != abi::CL_R_DUMPED,
            (_, r) => matches!(r, abi::CL_R_KDUMP | abi::CL_R_DUMPED),
        };
        if !allowed {
            return None;
        }
        self.leave_arg = 0;
        Some(self.local_change(LocalState::Dumping(reason), reason))
    }

    /// To `Dead(reason)`, terminal: no heartbeat or leave afterwards (gasps still).
    /// `None` if already dead, or dumping: a capture kernel's notices say more than a
    /// gasp would, and peers trust them.
    pub fn die(&mut self, reason: u8) -> Option<abi::Cluster> {
        if matches!(
            self.local_state,
            LocalState::Dead(_) | LocalState::Dumping(_)
        ) {
            return None;
        }
        self.leave_arg = 0;
        Some(self.local_change(LocalState::Dead(reason), reason))
    }
}
