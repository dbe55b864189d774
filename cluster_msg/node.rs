// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! The node: cluster_msg's configuration, its running membership and the entry
//! points that `net.c` and `sysfs.c` call.
//!
//! - [`cluster_msg_tick`] (the protocol workqueue, process context) times peers out
//!   (`membership.rs`), sends one heartbeat to each peer (or a LEAVE while this node
//!   has left), refreshes the prebuilt dying-gasp frames when the epoch changed or
//!   they are [`GASP_REFRESH_NS`] old, and re-arms itself.
//! - [`cluster_msg_rx`] (same workqueue, queued by the socket's softirq callback)
//!   reads every queued datagram and hands it to [`Membership::receive`], which
//!   parses, authenticates, checks the replay window and moves the peer's state.
//! - [`Node::notify`] (hwerr's consumer work, process context) turns a fatal hardware
//!   error into a dying gasp, and hadetect's overload into a leave (and its end into
//!   a rejoin).
//! - The sysfs files read and set the configuration and show the view.
//!
//! Everything runs in process context under the node's mutex, so the C objects
//! `net.c` keeps for the node (socket, peers' addresses, keys, standby gasp frames)
//! are only ever touched by one thread. Every membership change is a `SRC_CLUSTER`
//! record on `/dev/hwerr` and a `sysfs_notify()` of `state`, `epoch` and `members`.

use crate::abi::{self, Record};
use crate::handoff::{self, Restored};
use crate::hwerr::{self, HandoffPhase};
use crate::membership::{LocalState, Membership, PeerView, Timing, MAX_PEERS};
use crate::sysfs::{self, fmt, parse_bool, parse_num, text, SysfsBuf};
use crate::wire::{self, Header, Mac, Reject, TAG_LEN};
use crate::{kho, kho_blob};
use core::fmt::Write;
use core::marker::PhantomData;
use core::ptr;
use kernel::{
    bindings, new_mutex,
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Release},
        Mutex,
    },
};
use zerocopy::IntoBytes;

mod ffi {
    use kernel::{bindings, prelude::*};

    extern "C" {
        // net.c
        pub(super) fn cm_tick_arm(ms: u32);
        pub(super) fn cm_rx_kick();
        pub(super) fn cm_net_start(
            ifname: *const c_char,
            port: u16,
            repeats: u32,
            local_ip: *mut u32,
        ) -> c_int;
        pub(super) fn cm_net_stop();
        pub(super) fn cm_net_set_peer(idx: u32, ip: u32, mac: *const u8) -> c_int;
        pub(super) fn cm_net_send(idx: u32, buf: *const u8, len: usize) -> c_int;
        pub(super) fn cm_net_recv(buf: *mut u8, len: usize) -> c_int;
        pub(super) fn cm_gasp_store(reason: u8, idx: u32, payload: *const u8, len: usize) -> c_int;
        pub(super) fn cm_gasp_publish();
        pub(super) fn cm_gasp_set_pending(reason: u8);
        pub(super) fn cm_gasp_sent() -> u64;
        pub(super) fn cm_gasp_fired() -> u8;
        pub(super) fn cm_handoff_hold(held: bool);
        pub(super) fn cm_is_kdump_kernel() -> bool;
        pub(super) fn cm_key_set(slot: u32, key: *const u8, len: usize) -> c_int;
        pub(super) fn cm_key_clear(slot: u32);
        pub(super) fn cm_memzero(buf: *mut u8, len: usize);
        pub(super) fn cm_mac(slot: u32, data: *const u8, len: usize, out: *mut u8) -> c_int;
        pub(super) fn cm_mac_verify(
            slot: u32,
            data: *const u8,
            len: usize,
            tag: *const u8,
        ) -> c_int;
        // sysfs.c
        pub(super) fn cm_sysfs_notify(kobj: *mut bindings::kobject);
    }
}

/// How old the prebuilt gasp frames may get before they are rebuilt: their `wall_s`
/// must stay well inside a peer's `max_skew_s` for a peer that has to accept a new
/// incarnation from the gasp itself.
const GASP_REFRESH_NS: u64 = 5_000_000_000;
/// The reasons with prebuilt frames: `CL_R_PANIC` to `CL_R_SHUTDOWN` (`net.h`).
const GASP_REASONS: core::ops::RangeInclusive<u8> = abi::CL_R_PANIC..=abi::CL_R_SHUTDOWN;
/// Datagrams read per run of the receive work before it yields (and requeues).
const RX_BATCH: usize = 64;
/// A receive buffer longer than the longest valid packet, so that a longer datagram
/// is seen as such (`net.c` reports the full length of a cut one).
const RX_BUF: usize = 512;
/// `IFNAMSIZ`.
const IFNAMSIZ: usize = bindings::IFNAMSIZ as usize;
/// Key lengths accepted, in bytes (written as twice as many hex digits).
const KEY_MIN: usize = 16;
const KEY_MAX: usize = 64;

fn now_ns() -> u64 {
    // SAFETY: Any context.
    unsafe { bindings::ktime_get_mono_fast_ns() }
}

fn wall_s() -> u64 {
    // SAFETY: Any context but NMI.
    u64::try_from(unsafe { bindings::ktime_get_real_seconds() }).unwrap_or(0)
}

fn errno(e: c_int) -> Error {
    Error::from_errno(e)
}

/// A configured peer: its node id and where packets to it go.
#[derive(Clone, Copy)]
struct PeerAddr {
    id: u32,
    /// IPv4, network order bytes.
    ip: [u8; 4],
    /// The next hop's MAC: the dying gasp cannot ARP.
    mac: [u8; 6],
}

/// What sysfs configures.
struct Config {
    node_id: u32,
    cluster_id: u32,
    ifname: [u8; IFNAMSIZ],
    port: u16,
    timing: Timing,
    gasp_repeats: u32,
    tx_key: u8,
    peers: [Option<PeerAddr>; MAX_PEERS],
    /// The time a handoff's leave tells peers this node will be back within.
    handoff_ms: u32,
}

impl Config {
    fn ifname(&self) -> &str {
        let end = self.ifname.iter().position(|&b| b == 0).unwrap_or(IFNAMSIZ);
        core::str::from_utf8(self.ifname.get(..end).unwrap_or(&[])).unwrap_or("")
    }
}

/// Counters of this node's own sending (receive counters are the membership's).
#[derive(Default)]
struct Counters {
    tx_heartbeats: u64,
    tx_leaves: u64,
    tx_gasps: u64,
    tx_dumping: u64,
    tx_errors: u64,
    rx_datagrams: u64,
    rx_errors: u64,
    gasp_refreshes: u64,
    gasp_errors: u64,
    records_dropped: u64,
}

/// A `kobject` pointer the node notifies.
struct Kobj(*mut bindings::kobject);

// SAFETY: A kobject may be notified from any thread; the pointer is only used under
// the node's mutex, as `Node::set_kobj` requires.
unsafe impl Send for Kobj {}

struct Inner {
    cfg: Config,
    keys: [bool; 2],
    /// The membership of the current (or last) enabled period; kept after disable
    /// so its view and counters stay readable.
    m: Option<KBox<Membership>>,
    running: bool,
    /// Module unload has begun: no more enabling.
    closing: bool,
    /// The epoch the published gasp frames were built in, and when.
    gasp_epoch: u64,
    gasp_ns: u64,
    counters: Counters,
    kobj: Kobj,
    /// The blob a prepared handoff preserved, until its commit or abort.
    ho_blob: Option<kho::Preserved>,
    /// What the handoff that started this kernel carried, until the node is enabled.
    restored: Option<Restored>,
    /// Handoffs the carried state has been through so far.
    handoffs: u32,
}

/// The node. One per module; published for the C entry points by the module.
#[pin_data]
pub(crate) struct Node {
    #[pin]
    inner: Mutex<Inner>,
}

/// The published node, for the C entry points.
///
/// # Invariants
///
/// Null, or a `Node` that stays alive until this is set back to null and every
/// caller that loaded it has returned (the module's drop order guarantees that: the
/// sysfs directory, the consumer and the workqueue are gone before the node).
static NODE: Atomic<*const Node> = Atomic::new(ptr::null());

fn node() -> Option<&'static Node> {
    let p = NODE.load(Acquire);
    // SAFETY: By the invariant of `NODE`, a non-null pointer is a live `Node`.
    (!p.is_null()).then(|| unsafe { &*p })
}

/// The keys `net.c` holds, usable while the node's mutex is held (which serializes
/// every key access), hence the borrow of the locked state.
struct Keys<'a>(PhantomData<&'a Inner>);

impl Mac for Keys<'_> {
    fn sign(&self, key_id: u8, data: &[u8]) -> Option<[u8; TAG_LEN]> {
        let mut out = [0u8; TAG_LEN];
        // SAFETY: `data` and `out` are valid for the call; the mutex is held.
        let r = unsafe { ffi::cm_mac(key_id.into(), data.as_ptr(), data.len(), out.as_mut_ptr()) };
        (r == 0).then_some(out)
    }

    fn verify(&self, key_id: u8, data: &[u8], tag: &[u8; TAG_LEN]) -> Result<(), Reject> {
        // SAFETY: As for `sign`; `tag` is `TAG_LEN` bytes.
        match unsafe { ffi::cm_mac_verify(key_id.into(), data.as_ptr(), data.len(), tag.as_ptr()) }
        {
            0 => Ok(()),
            e if e == -(bindings::ENOKEY as c_int) => Err(Reject::NoKey),
            _ => Err(Reject::BadMac),
        }
    }
}

/// The severity of a membership record: `RECOVERABLE` (agents woken with `EPOLLPRI`)
/// when a member is lost to the cluster (down, dying, left), else `INFO`.
fn severity(rec: &abi::Cluster) -> u8 {
    match rec.state {
        abi::CL_DOWN | abi::CL_DYING | abi::CL_LEFT => abi::SEV_RECOVERABLE,
        _ => abi::SEV_INFO,
    }
}

fn name_of(names: &[&'static str], i: u8) -> &'static str {
    names.get(usize::from(i)).copied().unwrap_or("unknown")
}

impl Inner {
    fn keys(&self) -> Keys<'_> {
        Keys(PhantomData)
    }

    fn notify(&self) {
        if !self.kobj.0.is_null() {
            // SAFETY: By `Node::set_kobj`'s requirements the kobject is live while set,
            // and it cannot be cleared while the mutex is held.
            unsafe { ffi::cm_sysfs_notify(self.kobj.0) };
        }
    }

    /// Logs a membership record and wakes sysfs pollers.
    fn publish(&mut self, rec: &abi::Cluster) {
        if hwerr::report_event(abi::SRC_CLUSTER, severity(rec), rec).is_err() {
            self.counters.records_dropped = self.counters.records_dropped.saturating_add(1);
        }
        self.notify();
    }

    /// A `CL_LOCAL` record for a change the membership does not make itself
    /// (enabled, disabled).
    fn local_record(&self, old: u8, state: u8, reason: u8) -> abi::Cluster {
        let (epoch, inc, up) = self.m.as_ref().map_or((0, [0; 16], 0), |m| {
            let up = m.peers().filter(|p| p.state == abi::CL_UP).count();
            (m.epoch(), m.incarnation(), up as u64)
        });
        abi::Cluster {
            event: abi::CL_LOCAL,
            state,
            old_state: old,
            reason,
            node: self.cfg.node_id,
            cluster_id: self.cfg.cluster_id,
            local_node: self.cfg.node_id,
            epoch,
            incarnation: inc,
            up_members: up,
            ..Default::default()
        }
    }

    /// Seals `h` and sends it to peer slot `idx` through the socket, `times` times.
    fn send(&mut self, idx: u32, h: &Header, times: u32) -> Result {
        let mut buf = [0u8; wire::MIN_PACKET];
        let n = wire::seal(h, &[], &self.keys(), &mut buf).map_err(|_| EINVAL)?;
        let pkt = buf.get(..n).ok_or(EINVAL)?;
        for _ in 0..times {
            // SAFETY: `pkt` is valid for the call; the mutex serializes the socket.
            let r = unsafe { ffi::cm_net_send(idx, pkt.as_ptr(), pkt.len()) };
            if r < 0 {
                self.counters.tx_errors = self.counters.tx_errors.saturating_add(1);
                return Err(errno(r));
            }
        }
        Ok(())
    }

    /// Sends a message built by `build` to every configured peer.
    fn send_all(
        &mut self,
        times: u32,
        mut build: impl FnMut(&mut Membership, u32) -> Option<Header>,
    ) -> u64 {
        let mut sent = 0u64;
        for idx in 0..MAX_PEERS {
            let Some(Some(p)) = self.cfg.peers.get(idx).copied() else {
                continue;
            };
            let Some(h) = self.m.as_mut().and_then(|m| build(m, p.id)) else {
                continue;
            };
            // `idx < MAX_PEERS`.
            if self.send(idx as u32, &h, times).is_ok() {
                sent = sent.saturating_add(1);
            }
        }
        sent
    }

    /// Rebuilds the dying-gasp frames for the current epoch and publishes them.
    fn refresh_gasps(&mut self) {
        let (now, wall, key) = (now_ns(), wall_s(), self.cfg.tx_key);
        let mut failed = false;
        for reason in GASP_REASONS {
            for idx in 0..MAX_PEERS {
                let peer = self.cfg.peers.get(idx).copied().flatten();
                let h = peer.and_then(|p| {
                    self.m
                        .as_mut()
                        .and_then(|m| m.gasp_message(p.id, reason, key, now, wall))
                });
                let mut buf = [0u8; wire::MIN_PACKET];
                let n = match h.map(|h| wire::seal(&h, &[], &self.keys(), &mut buf)) {
                    Some(Ok(n)) => n,
                    Some(Err(_)) => {
                        failed = true;
                        0
                    }
                    None => 0,
                };
                // SAFETY: `buf` holds `n <= MIN_PACKET` bytes; the mutex serializes the
                // standby frames. `idx < MAX_PEERS`.
                if unsafe { ffi::cm_gasp_store(reason, idx as u32, buf.as_ptr(), n) } != 0 {
                    failed = true;
                }
            }
        }
        // SAFETY: The mutex is held; every standby frame is written.
        unsafe { ffi::cm_gasp_publish() };
        self.gasp_epoch = self.m.as_ref().map_or(0, |m| m.epoch());
        self.gasp_ns = now;
        self.counters.gasp_refreshes = self.counters.gasp_refreshes.saturating_add(1);
        if failed {
            self.counters.gasp_errors = self.counters.gasp_errors.saturating_add(1);
        }
    }

    fn epoch(&self) -> u64 {
        self.m.as_ref().map_or(0, |m| m.epoch())
    }

    /// Enables the node: a new incarnation, the socket and netpoll, the first tick.
    fn start(&mut self) -> Result {
        if self.running {
            return Ok(());
        }
        if self.closing {
            return Err(ENODEV);
        }
        let cfg = &self.cfg;
        if cfg.node_id == 0 || cfg.ifname[0] == 0 || cfg.peers.iter().all(Option::is_none) {
            pr_warn!("enable needs node_id, interface and at least one peer\n");
            return Err(EINVAL);
        }
        if !self
            .keys
            .get(usize::from(cfg.tx_key))
            .copied()
            .unwrap_or(false)
        {
            pr_warn!("enable needs a key in slot tx_key ({})\n", cfg.tx_key);
            return Err(errno(-(bindings::ENOKEY as c_int)));
        }
        let mut inc = [0u8; 16];
        // SAFETY: `inc` is valid for writes of its length.
        unsafe { bindings::get_random_bytes(inc.as_mut_ptr().cast(), inc.len()) };
        let mut m = KBox::new(
            Membership::new(cfg.node_id, cfg.cluster_id, inc, cfg.timing).map_err(|_| EINVAL)?,
            GFP_KERNEL,
        )?;
        for p in cfg.peers.iter().flatten() {
            m.add_peer(p.id).map_err(|_| EINVAL)?;
        }
        // After a handoff, the first enable goes on from the old kernel's epoch.
        let resume = self
            .restored
            .filter(|r| (r.carried.node_id, r.carried.cluster_id) == (cfg.node_id, cfg.cluster_id));
        let mut local_ip = 0u32;
        // SAFETY: `ifname` is NUL-terminated (at most `IFNAMSIZ - 1` bytes are ever
        // stored), `local_ip` valid for writes; process context.
        let r = unsafe {
            ffi::cm_net_start(
                cfg.ifname.as_ptr().cast(),
                cfg.port,
                cfg.gasp_repeats,
                &mut local_ip,
            )
        };
        if r != 0 {
            pr_warn!("cannot start on {}: error {}\n", cfg.ifname(), r);
            return Err(errno(r));
        }
        for (idx, p) in cfg.peers.iter().enumerate() {
            if let Some(p) = p {
                // SAFETY: `mac` is 6 bytes; `idx < MAX_PEERS`.
                unsafe {
                    ffi::cm_net_set_peer(idx as u32, u32::from_ne_bytes(p.ip), p.mac.as_ptr())
                };
            }
        }
        if let Some(r) = resume {
            m.resume_epoch(r.carried.epoch);
        }
        self.restored = None;
        self.m = Some(m);
        self.running = true;
        let rec = self.local_record(abi::CL_DOWN, abi::CL_UP, abi::CL_R_NONE);
        self.publish(&rec);
        // A capture kernel never is a member: it announces its dump from the start
        // (the first tick sends the notices), so its peers never see the crashed node
        // up again before its next boot.
        // SAFETY: Any context.
        if unsafe { ffi::cm_is_kdump_kernel() } {
            if let Some(rec) = self.m.as_mut().and_then(|m| m.dump(abi::CL_R_KDUMP)) {
                self.publish(&rec);
            }
        }
        self.refresh_gasps();
        // SAFETY: Any context but NMI.
        unsafe { ffi::cm_tick_arm(1) };
        Ok(())
    }

    /// Disables the node: a LEAVE (admin) to every peer, then the socket and netpoll
    /// go. Its membership stays readable.
    fn stop(&mut self) {
        if !self.running {
            return;
        }
        let key = self.cfg.tx_key;
        let (now, wall) = (now_ns(), wall_s());
        let old = self
            .m
            .as_ref()
            .map_or(abi::CL_UP, |m| m.local_state().code());
        if let Some(m) = self.m.as_mut() {
            m.leave(abi::CL_R_ADMIN, 0);
        }
        let n = self.send_all(1, |m, id| m.leave_message(id, key, now, wall));
        self.counters.tx_leaves = self.counters.tx_leaves.saturating_add(n);
        self.running = false;
        // SAFETY: Process context; the tick that may be running re-arms nothing once
        // `running` is false, which it reads under the mutex we hold.
        unsafe {
            ffi::cm_tick_arm(0);
            ffi::cm_net_stop();
        }
        let rec = self.local_record(old, abi::CL_DOWN, abi::CL_R_ADMIN);
        self.publish(&rec);
    }

    /// This node leaves (`reason`, and for `CL_R_HANDOFF` the ms it will be back
    /// within), telling every peer at once.
    fn leave(&mut self, reason: u8, arg: u32) -> Result {
        if !self.running {
            return Err(errno(-(bindings::ENOTCONN as c_int)));
        }
        let rec = self
            .m
            .as_mut()
            .and_then(|m| m.leave(reason, arg))
            .ok_or(EBUSY)?;
        self.publish(&rec);
        let (key, now, wall) = (self.cfg.tx_key, now_ns(), wall_s());
        let n = self.send_all(1, |m, id| m.leave_message(id, key, now, wall));
        self.counters.tx_leaves = self.counters.tx_leaves.saturating_add(n);
        Ok(())
    }

    /// This node comes back after a leave; heartbeats resume at the next tick, now.
    fn rejoin(&mut self) -> Result {
        if !self.running {
            return Err(errno(-(bindings::ENOTCONN as c_int)));
        }
        let rec = self.m.as_mut().and_then(|m| m.rejoin()).ok_or(EBUSY)?;
        self.publish(&rec);
        // SAFETY: Any context but NMI.
        unsafe { ffi::cm_tick_arm(1) };
        Ok(())
    }

    /// A phase of a planned kexec handoff (`handoff.rs`). Only `Prepare` can fail:
    /// when the blob cannot be preserved. A node that is not enabled keeps nothing and
    /// tells nobody. Context: process (kexec_handoff's request or reboot notifier),
    /// under the node's mutex; may sleep.
    fn handoff(&mut self, phase: HandoffPhase) -> Result {
        let ms = self.cfg.handoff_ms;
        let handing_over = |g: &Self| {
            g.m.as_ref().map(|m| m.local_state()) == Some(LocalState::Left(abi::CL_R_HANDOFF))
        };
        match phase {
            HandoffPhase::Prepare => {
                if !self.running {
                    return Ok(());
                }
                self.ho_blob = Some(kho::Preserved::new(handoff::NAME, handoff::blob_size())?);
                // SAFETY: Any context.
                unsafe { ffi::cm_handoff_hold(true) };
                // Already out (admin, overload): the blob still carries the epoch.
                let _ = self.leave(abi::CL_R_HANDOFF, ms);
            }
            HandoffPhase::Abort => {
                self.ho_blob = None;
                // SAFETY: Any context.
                unsafe { ffi::cm_handoff_hold(false) };
                if handing_over(self) {
                    let _ = self.rejoin();
                }
            }
            HandoffPhase::Commit => {
                let Some(blob) = self.ho_blob.take() else {
                    return Ok(());
                };
                let Some(m) = self.m.as_ref() else {
                    return Ok(());
                };
                let now = now_ns();
                let item = handoff::Carried {
                    epoch: m.epoch(),
                    node_id: self.cfg.node_id,
                    cluster_id: self.cfg.cluster_id,
                    incarnation: m.incarnation(),
                    up_members: u32::try_from(m.up_members()).unwrap_or(u32::MAX),
                    handoff_ms: ms,
                };
                let meta = kho_blob::Meta {
                    handoffs: self.handoffs.saturating_add(1),
                    lost: 0,
                    // SAFETY: Any context.
                    sealed_ns: unsafe { bindings::ktime_get_real_fast_ns() },
                    boot_id: [0; kho_blob::BOOT_ID_LEN],
                };
                if let Err(e) = blob.seal_one(kho_blob::Owner::ClusterMsg, item.as_bytes(), &meta) {
                    pr_err!("handoff: the epoch was not sealed ({:?})\n", e);
                }
                // The peers' time starts now, not at the prepare.
                if self.running && handing_over(self) {
                    let (key, wall) = (self.cfg.tx_key, wall_s());
                    let n = self.send_all(1, |m, id| m.leave_message(id, key, now, wall));
                    self.counters.tx_leaves = self.counters.tx_leaves.saturating_add(n);
                }
            }
        }
        Ok(())
    }

    /// This node is a capture kernel saving its dump (`CL_R_KDUMP`) or done saving it
    /// (`CL_R_DUMPED`): a dumping notice to every peer at once and at every tick
    /// instead of heartbeats.
    fn dump(&mut self, reason: u8) -> Result {
        // SAFETY: Any context.
        let capture = unsafe { ffi::cm_is_kdump_kernel() };
        if !capture && *crate::module_parameters::dumping_anywhere.value() == 0 {
            // A running kernel saying it is dumping would be fenced while it runs.
            return Err(EPERM);
        }
        if !self.running {
            return Err(errno(-(bindings::ENOTCONN as c_int)));
        }
        let rec = self.m.as_mut().and_then(|m| m.dump(reason)).ok_or(EBUSY)?;
        self.publish(&rec);
        let (key, now, wall) = (self.cfg.tx_key, now_ns(), wall_s());
        let n = self.send_all(1, |m, id| m.dumping_message(id, key, now, wall));
        self.counters.tx_dumping = self.counters.tx_dumping.saturating_add(n);
        Ok(())
    }

    /// This node is dying of `reason` without a panic yet (a fatal hardware error
    /// record): a gasp to every peer through the socket now, and the same reason for
    /// the netpoll gasp if a panic follows.
    fn die(&mut self, reason: u8) {
        // A capture kernel's notices say more than a gasp: it stays dumping.
        if matches!(
            self.m.as_ref().map(|m| m.local_state()),
            Some(LocalState::Dumping(_))
        ) {
            return;
        }
        // SAFETY: Any context.
        unsafe { ffi::cm_gasp_set_pending(reason) };
        if !self.running {
            return;
        }
        let Some(rec) = self.m.as_mut().and_then(|m| m.die(reason)) else {
            return;
        };
        self.publish(&rec);
        let (key, now, wall, times) = (self.cfg.tx_key, now_ns(), wall_s(), self.cfg.gasp_repeats);
        let n = self.send_all(times, |m, id| m.gasp_message(id, reason, key, now, wall));
        self.counters.tx_gasps = self.counters.tx_gasps.saturating_add(n);
    }

    /// One tick: timeouts, heartbeats (or leaves, or dumping notices), gasp refresh,
    /// re-arm.
    fn tick(&mut self) {
        if !self.running {
            return;
        }
        // An oops the node survived (panic_on_oops=0) sent a gasp from the die notifier:
        // peers count this incarnation dead, so it is, here too (no more heartbeats).
        // SAFETY: Any context.
        let fired = unsafe { ffi::cm_gasp_fired() };
        if fired != 0 {
            if let Some(rec) = self.m.as_mut().and_then(|m| m.die(fired)) {
                self.publish(&rec);
            }
        }
        let (now, wall, key) = (now_ns(), wall_s(), self.cfg.tx_key);
        let mut dropped = 0u64;
        let mut changed = false;
        if let Some(m) = self.m.as_mut() {
            m.tick(now, &mut |rec| {
                changed = true;
                if hwerr::report_event(abi::SRC_CLUSTER, severity(rec), rec).is_err() {
                    dropped += 1;
                }
            });
        }
        self.counters.records_dropped = self.counters.records_dropped.saturating_add(dropped);
        if changed {
            self.notify();
        }
        match self.m.as_ref().map(|m| m.local_state()) {
            Some(LocalState::Active) => {
                let n = self.send_all(1, |m, id| m.heartbeat(id, key, now, wall));
                self.counters.tx_heartbeats = self.counters.tx_heartbeats.saturating_add(n);
            }
            Some(LocalState::Left(_)) => {
                // Peers that missed the first LEAVE learn it from the next.
                let n = self.send_all(1, |m, id| m.leave_message(id, key, now, wall));
                self.counters.tx_leaves = self.counters.tx_leaves.saturating_add(n);
            }
            Some(LocalState::Dumping(_)) => {
                // Until the capture kernel reboots: peers that start watching late (a
                // fence agent) and a lost datagram both need the next one.
                let n = self.send_all(1, |m, id| m.dumping_message(id, key, now, wall));
                self.counters.tx_dumping = self.counters.tx_dumping.saturating_add(n);
            }
            _ => {}
        }
        if self.gasp_epoch != self.epoch() || now.saturating_sub(self.gasp_ns) >= GASP_REFRESH_NS {
            self.refresh_gasps();
        }
        // SAFETY: Any context but NMI.
        unsafe { ffi::cm_tick_arm(self.cfg.timing.interval_ms) };
    }

    /// Reads and handles every queued datagram, up to `RX_BATCH`.
    fn rx(&mut self) {
        if !self.running {
            return;
        }
        let mut buf = [0u8; RX_BUF];
        for _ in 0..RX_BATCH {
            // SAFETY: `buf` is valid for writes of its length; the mutex serializes the
            // socket.
            let r = unsafe { ffi::cm_net_recv(buf.as_mut_ptr(), buf.len()) };
            if r == -(bindings::EAGAIN as c_int) {
                return;
            }
            let Ok(len) = usize::try_from(r) else {
                self.counters.rx_errors = self.counters.rx_errors.saturating_add(1);
                return;
            };
            self.counters.rx_datagrams = self.counters.rx_datagrams.saturating_add(1);
            let pkt = buf.get(..len.min(RX_BUF)).unwrap_or(&[]);
            let keys = Keys(PhantomData);
            let (now, wall) = (now_ns(), wall_s());
            let Some(m) = self.m.as_mut() else {
                return;
            };
            if let Ok(Some(rec)) = m.receive(now, wall, pkt, &keys) {
                self.publish(&rec);
                // Peers' gasp frames carry the epoch: rebuild them now.
                self.refresh_gasps();
            }
        }
        // More may be queued: let the tick run first, then go on.
        // SAFETY: Any context but NMI.
        unsafe { ffi::cm_rx_kick() };
    }
}

impl Node {
    /// The node, with what the handoff that started this kernel carried (if any).
    pub(crate) fn new(restored: Option<Restored>) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            inner <- new_mutex!(Inner {
                cfg: Config {
                    node_id: 0,
                    cluster_id: 0,
                    ifname: [0; IFNAMSIZ],
                    port: DEFAULT_PORT,
                    timing: Timing::default(),
                    gasp_repeats: DEFAULT_REPEATS,
                    tx_key: 0,
                    peers: [None; MAX_PEERS],
                    handoff_ms: DEFAULT_HANDOFF_MS,
                },
                keys: [false; 2],
                m: None,
                running: false,
                closing: false,
                gasp_epoch: 0,
                gasp_ns: 0,
                counters: Counters::default(),
                kobj: Kobj(ptr::null_mut()),
                ho_blob: None,
                restored,
                handoffs: restored.map_or(0, |r| r.handoffs),
            }),
        }? Error)
    }

    /// Makes the node visible to the C entry points.
    ///
    /// # Safety
    ///
    /// `self` stays alive until [`Node::unpublish`] is called and every C entry point
    /// that may have loaded it has returned.
    pub(crate) unsafe fn publish_global(&self) {
        // INVARIANT: By the safety requirements.
        NODE.store(ptr::from_ref(self), Release);
    }

    /// Stops the C entry points from finding the node.
    pub(crate) fn unpublish(&self) {
        NODE.store(ptr::null(), Release);
    }

    /// Sets (or clears, with null) the directory whose files are notified.
    ///
    /// # Safety
    ///
    /// `kobj` is null or the live `kobject` of `/sys/kernel/ha/cluster_msg/`, and stays
    /// live until this is called again with null.
    pub(crate) unsafe fn set_kobj(&self, kobj: *mut bindings::kobject) {
        self.inner.lock().kobj = Kobj(kobj);
    }

    /// Module unload: leaves the cluster (if enabled) and refuses to be enabled again.
    /// Context: process.
    pub(crate) fn shutdown(&self) {
        let mut g = self.inner.lock();
        g.closing = true;
        g.stop();
        for slot in 0..2 {
            // SAFETY: The mutex serializes the keys.
            unsafe { ffi::cm_key_clear(slot) };
        }
        g.keys = [false; 2];
    }
}

/// The default UDP port (corosync uses 5405 and 5404; 5407 is near and unassigned
/// by IANA).
const DEFAULT_PORT: u16 = 5407;
/// How long a handoff's leave tells peers to wait by default: a kexec into a new
/// kernel and its userspace, up to the agent that enables cluster_msg again.
const DEFAULT_HANDOFF_MS: u32 = 120_000;
/// At most a day.
const MAX_HANDOFF_MS: u32 = 86_400_000;
/// Each gasp is sent this many times by default: UDP has no retransmission, and a
/// panicking node has no time for one.
const DEFAULT_REPEATS: u32 = 3;

fn is_fatal_hw(rec: &Record) -> bool {
    rec.hdr.severity == abi::SEV_FATAL
        && !matches!(
            rec.hdr.source,
            abi::SRC_LOST
                | abi::SRC_HADETECT
                | abi::SRC_CLUSTER
                | abi::SRC_CRASH
                | abi::SRC_HANDOFF
        )
}

impl hwerr::Consumer for Node {
    fn notify(&self, rec: &Record) {
        if is_fatal_hw(rec) {
            self.inner.lock().die(abi::CL_R_HW_FATAL);
            return;
        }
        if rec.hdr.source != abi::SRC_HADETECT {
            return;
        }
        // Every hadetect record carries the health after it (an overload's own
        // HD_OVERLOAD record comes before any HD_HEALTH one).
        let Ok((hd, _)) =
            <abi::Hadetect as zerocopy::FromBytes>::read_from_prefix(&rec.payload[..])
        else {
            return;
        };
        let overload = hd.reasons & abi::HD_R_OVERLOAD != 0;
        let mut g = self.inner.lock();
        let state = g.m.as_ref().map(|m| m.local_state());
        // Errors mean "not enabled" or "not in that state": nothing to do.
        if overload && state == Some(LocalState::Active) {
            let _ = g.leave(abi::CL_R_OVERLOAD, 0);
        } else if !overload && state == Some(LocalState::Left(abi::CL_R_OVERLOAD)) {
            let _ = g.rejoin();
        }
    }
}

/// A phase of a planned kexec handoff (`HASYS_HANDOFF_*`): 0 or a negative errno.
/// Context: process (kexec_handoff's request or reboot notifier, through hwerr's
/// chain), may sleep.
#[no_mangle]
extern "C" fn cluster_msg_handoff(phase: c_ulong) -> c_int {
    let (Some(n), Some(phase)) = (node(), HandoffPhase::from_code(phase)) else {
        return 0;
    };
    match n.inner.lock().handoff(phase) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Runs the receive work. Context: process (the protocol workqueue).
#[no_mangle]
extern "C" fn cluster_msg_rx() {
    if let Some(n) = node() {
        n.inner.lock().rx();
    }
}

/// Runs the tick. Context: process (the protocol workqueue).
#[no_mangle]
extern "C" fn cluster_msg_tick() {
    if let Some(n) = node() {
        n.inner.lock().tick();
    }
}

/// The sysfs attribute ids (`sysfs.c`).
mod id {
    pub(super) const ENABLED: u32 = 0;
    pub(super) const NODE_ID: u32 = 1;
    pub(super) const CLUSTER_ID: u32 = 2;
    pub(super) const INTERFACE: u32 = 3;
    pub(super) const PORT: u32 = 4;
    pub(super) const INTERVAL_MS: u32 = 5;
    pub(super) const SUSPECT_MS: u32 = 6;
    pub(super) const DEAD_MS: u32 = 7;
    pub(super) const MAX_SKEW_S: u32 = 8;
    pub(super) const GASP_REPEATS: u32 = 9;
    pub(super) const TX_KEY: u32 = 10;
    pub(super) const KEY0: u32 = 11;
    pub(super) const KEY1: u32 = 12;
    pub(super) const PEERS: u32 = 13;
    pub(super) const REQUEST: u32 = 14;
    pub(super) const HANDOFF_MS: u32 = 15;
    pub(super) const KEYS: u32 = 20;
    pub(super) const STATE: u32 = 21;
    pub(super) const EPOCH: u32 = 22;
    pub(super) const INCARNATION: u32 = 23;
    pub(super) const MEMBERS: u32 = 24;
    pub(super) const COUNTERS: u32 = 25;
}

fn write_ip(out: &mut impl Write, ip: [u8; 4]) -> core::fmt::Result {
    write!(out, "{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])
}

fn write_mac(out: &mut impl Write, mac: [u8; 6]) -> core::fmt::Result {
    write!(
        out,
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]
    )
}

fn member_line(out: &mut impl Write, id: u32, v: Option<PeerView>, now: u64) -> core::fmt::Result {
    let Some(v) = v else {
        return writeln!(out, "{id} down none - 0 0 0 0 0 0");
    };
    write!(
        out,
        "{} {} {} ",
        id,
        name_of(&abi::CL_STATE_NAMES, v.state),
        name_of(&abi::CL_REASON_NAMES, v.reason)
    )?;
    match v.last_heard_ns {
        Some(t) => write!(out, "{}", now.saturating_sub(t) / 1_000_000)?,
        None => out.write_str("-")?,
    }
    writeln!(
        out,
        " {} {} {} {} {} {}",
        v.rtt.srtt_ns / 1000,
        v.rtt.jitter_ns / 1000,
        v.rtt.min_ns / 1000,
        v.rtt.max_ns / 1000,
        v.rtt.samples,
        v.rx_packets
    )
}

fn show(attr: u32, out: &mut SysfsBuf<'_>) -> Result {
    let n = node().ok_or(ENODEV)?;
    let g = n.inner.lock();
    let c = &g.cfg;
    match attr {
        id::ENABLED => writeln!(out, "{}", u8::from(g.running)),
        id::NODE_ID => writeln!(out, "{}", c.node_id),
        id::CLUSTER_ID => writeln!(out, "{}", c.cluster_id),
        id::INTERFACE => writeln!(out, "{}", c.ifname()),
        id::PORT => writeln!(out, "{}", c.port),
        id::INTERVAL_MS => writeln!(out, "{}", c.timing.interval_ms),
        id::SUSPECT_MS => writeln!(out, "{}", c.timing.suspect_ms),
        id::DEAD_MS => writeln!(out, "{}", c.timing.dead_ms),
        id::MAX_SKEW_S => writeln!(out, "{}", c.timing.max_skew_s),
        id::GASP_REPEATS => writeln!(out, "{}", c.gasp_repeats),
        id::HANDOFF_MS => writeln!(out, "{}", c.handoff_ms),
        id::TX_KEY => writeln!(out, "{}", c.tx_key),
        id::PEERS => {
            for p in c.peers.iter().flatten() {
                write!(out, "{} ", p.id).map_err(fmt)?;
                write_ip(out, p.ip).map_err(fmt)?;
                out.write_char(' ').map_err(fmt)?;
                write_mac(out, p.mac).map_err(fmt)?;
                out.write_char('\n').map_err(fmt)?;
            }
            Ok(())
        }
        id::KEYS => {
            let k0 = if g.keys[0] { "0" } else { "" };
            let sep = if g.keys[0] && g.keys[1] { " " } else { "" };
            let k1 = if g.keys[1] { "1" } else { "" };
            writeln!(out, "{k0}{sep}{k1}")
        }
        id::STATE => match (g.running, g.m.as_ref().map(|m| m.local_state())) {
            (false, _) | (true, None) => writeln!(out, "disabled"),
            (true, Some(LocalState::Active)) => writeln!(out, "active"),
            (true, Some(LocalState::Left(r))) => {
                writeln!(out, "left:{}", name_of(&abi::CL_REASON_NAMES, r))
            }
            (true, Some(LocalState::Dead(r))) => {
                writeln!(out, "dead:{}", name_of(&abi::CL_REASON_NAMES, r))
            }
            (true, Some(LocalState::Dumping(r))) => {
                writeln!(out, "dumping:{}", name_of(&abi::CL_REASON_NAMES, r))
            }
        },
        id::EPOCH => writeln!(out, "{}", g.epoch()),
        id::INCARNATION => {
            if let Some(m) = g.m.as_ref().filter(|_| g.running) {
                for b in m.incarnation() {
                    write!(out, "{b:02x}").map_err(fmt)?;
                }
            }
            writeln!(out)
        }
        id::MEMBERS => {
            let now = now_ns();
            for p in c.peers.iter().flatten() {
                let v = g.m.as_ref().and_then(|m| m.peer(p.id));
                member_line(out, p.id, v, now).map_err(fmt)?;
            }
            Ok(())
        }
        id::COUNTERS => {
            let k = &g.counters;
            // SAFETY: Any context.
            let netpoll = unsafe { ffi::cm_gasp_sent() };
            let accepted = g.m.as_ref().map_or(0, |m| m.accepted());
            writeln!(
                out,
                "tx_heartbeats {}\ntx_leaves {}\ntx_gasps {}\ntx_dumping {}\ntx_errors {}\n\
                 gasp_frames_sent {}\ngasp_refreshes {}\ngasp_errors {}\n\
                 records_dropped {}\nrx_datagrams {}\nrx_errors {}\nrx_accepted {}",
                k.tx_heartbeats,
                k.tx_leaves,
                k.tx_gasps,
                k.tx_dumping,
                k.tx_errors,
                netpoll,
                k.gasp_refreshes,
                k.gasp_errors,
                k.records_dropped,
                k.rx_datagrams,
                k.rx_errors,
                accepted
            )
            .map_err(fmt)?;
            for r in Reject::ALL {
                let v = g.m.as_ref().map_or(0, |m| m.rejected(r));
                writeln!(out, "rx_{} {}", r.name(), v).map_err(fmt)?;
            }
            Ok(())
        }
        _ => return Err(EINVAL),
    }
    .map_err(fmt)
}

/// `show` of every attribute. Context: process (sysfs).
///
/// # Safety
///
/// `buf` is sysfs's `PAGE_SIZE` buffer.
#[no_mangle]
unsafe extern "C" fn cluster_msg_sysfs_show(attr: u32, buf: *mut u8) -> isize {
    // SAFETY: sysfs gives a writable buffer of `PAGE_SIZE` bytes.
    unsafe { sysfs::show(buf, |out| show(attr, out)) }
}

fn parse_ip(s: &str) -> Result<[u8; 4]> {
    let mut ip = [0u8; 4];
    let mut parts = s.split('.');
    for b in ip.iter_mut() {
        let p = parts.next().ok_or(EINVAL)?;
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|c| c.is_ascii_digit()) {
            return Err(EINVAL);
        }
        *b = p.parse().map_err(|_| EINVAL)?;
    }
    if parts.next().is_some() || ip == [0; 4] || ip[0] >= 224 || ip == [255; 4] {
        return Err(EINVAL);
    }
    Ok(ip)
}

fn hex_digit(c: u8) -> Result<u8> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => Err(EINVAL),
    }
}

fn parse_mac(s: &str) -> Result<[u8; 6]> {
    let mut mac = [0u8; 6];
    let b = s.as_bytes();
    if b.len() != 17 {
        return Err(EINVAL);
    }
    for (i, m) in mac.iter_mut().enumerate() {
        let o = i * 3;
        if i < 5 && b.get(o + 2) != Some(&b':') {
            return Err(EINVAL);
        }
        let hi = hex_digit(*b.get(o).ok_or(EINVAL)?)?;
        let lo = hex_digit(*b.get(o + 1).ok_or(EINVAL)?)?;
        *m = hi << 4 | lo;
    }
    // A multicast next hop (broadcast included) would reach every host on the link.
    if mac[0] & 1 != 0 || mac == [0; 6] {
        return Err(EINVAL);
    }
    Ok(mac)
}

/// `+<id> <ipv4> <mac>` adds a peer, `-<id>` removes one.
fn store_peers(g: &mut Inner, s: &str) -> Result {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('-') {
        let id: u32 = parse_num(rest)?;
        let slot = g
            .cfg
            .peers
            .iter_mut()
            .find(|p| p.is_some_and(|p| p.id == id));
        *slot.ok_or(ENOENT)? = None;
        return Ok(());
    }
    let rest = s.strip_prefix('+').ok_or(EINVAL)?;
    let mut it = rest.split_whitespace();
    let (Some(id), Some(ip), Some(mac), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err(EINVAL);
    };
    let id: u32 = parse_num(id)?;
    let (ip, mac) = (parse_ip(ip)?, parse_mac(mac)?);
    if id == 0 || id == g.cfg.node_id {
        return Err(EINVAL);
    }
    if g.cfg
        .peers
        .iter()
        .flatten()
        .any(|p| p.id == id || p.ip == ip)
    {
        return Err(EEXIST);
    }
    let free = g.cfg.peers.iter_mut().find(|p| p.is_none()).ok_or(ENOSPC)?;
    *free = Some(PeerAddr { id, ip, mac });
    Ok(())
}

/// A key: `KEY_MIN..=KEY_MAX` bytes as hex digits, or `clear`.
fn store_key(g: &mut Inner, slot: u8, s: &str) -> Result {
    let s = s.trim();
    let i = usize::from(slot);
    if s == "clear" {
        if g.running && g.cfg.tx_key == slot {
            return Err(EBUSY);
        }
        // SAFETY: The mutex serializes the keys.
        unsafe { ffi::cm_key_clear(slot.into()) };
        if let Some(k) = g.keys.get_mut(i) {
            *k = false;
        }
        return Ok(());
    }
    let b = s.as_bytes();
    if b.len() % 2 != 0 || b.len() < 2 * KEY_MIN || b.len() > 2 * KEY_MAX {
        return Err(EINVAL);
    }
    let mut key = [0u8; KEY_MAX];
    let len = b.len() / 2;
    for (k, pair) in key.iter_mut().zip(b.chunks_exact(2)) {
        *k = hex_digit(pair[0])? << 4 | hex_digit(pair[1])?;
    }
    // SAFETY: `key` holds `len <= KEY_MAX` bytes; the mutex serializes the keys.
    let r = unsafe { ffi::cm_key_set(slot.into(), key.as_ptr(), len) };
    // The key's bytes must not linger on the stack.
    // SAFETY: `key` is a valid, writable array.
    unsafe { ffi::cm_memzero(key.as_mut_ptr(), key.len()) };
    if r != 0 {
        return Err(errno(r));
    }
    if let Some(k) = g.keys.get_mut(i) {
        *k = true;
    }
    if g.running {
        // The gasps are signed with the tx key: rebuild them if it changed.
        g.refresh_gasps();
    }
    Ok(())
}

fn store(attr: u32, input: &[u8]) -> Result {
    let n = node().ok_or(ENODEV)?;
    let s = text(input)?;
    let mut g = n.inner.lock();
    // Keys rotate, and requests act, while the node runs; the rest is configured
    // while it is disabled.
    let live = matches!(
        attr,
        id::ENABLED | id::KEY0 | id::KEY1 | id::TX_KEY | id::REQUEST | id::HANDOFF_MS
    );
    if g.running && !live {
        return Err(EBUSY);
    }
    let c = &mut g.cfg;
    match attr {
        id::ENABLED => {
            return if parse_bool(s)? {
                g.start()
            } else {
                g.stop();
                Ok(())
            };
        }
        id::NODE_ID => {
            let v: u32 = parse_num(s)?;
            if v == 0 || c.peers.iter().flatten().any(|p| p.id == v) {
                return Err(EINVAL);
            }
            c.node_id = v;
        }
        id::CLUSTER_ID => c.cluster_id = parse_num(s)?,
        id::INTERFACE => {
            let s = s.trim();
            if s.is_empty() || s.len() >= IFNAMSIZ || s.contains('/') || s.contains(':') {
                return Err(EINVAL);
            }
            c.ifname = [0; IFNAMSIZ];
            c.ifname[..s.len()].copy_from_slice(s.as_bytes());
        }
        id::PORT => {
            let v: u16 = parse_num(s)?;
            if v == 0 {
                return Err(EINVAL);
            }
            c.port = v;
        }
        id::INTERVAL_MS | id::SUSPECT_MS | id::DEAD_MS | id::MAX_SKEW_S => {
            let v: u32 = parse_num(s)?;
            let mut t = c.timing;
            match attr {
                id::INTERVAL_MS => t.interval_ms = v,
                id::SUSPECT_MS => t.suspect_ms = v,
                id::DEAD_MS => t.dead_ms = v,
                _ => t.max_skew_s = v,
            }
            t.validate().map_err(|_| EINVAL)?;
            c.timing = t;
        }
        id::GASP_REPEATS => {
            let v: u32 = parse_num(s)?;
            if v == 0 || v > 8 {
                return Err(EINVAL);
            }
            c.gasp_repeats = v;
        }
        id::HANDOFF_MS => {
            let v: u32 = parse_num(s)?;
            if v == 0 || v > MAX_HANDOFF_MS {
                return Err(EINVAL);
            }
            c.handoff_ms = v;
        }
        id::TX_KEY => {
            let v: u8 = parse_num(s)?;
            if v > 1 {
                return Err(EINVAL);
            }
            if g.running && !g.keys[usize::from(v)] {
                return Err(errno(-(bindings::ENOKEY as c_int)));
            }
            g.cfg.tx_key = v;
            if g.running {
                g.refresh_gasps();
            }
        }
        id::KEY0 => return store_key(&mut g, 0, s),
        id::KEY1 => return store_key(&mut g, 1, s),
        id::PEERS => return store_peers(&mut g, s),
        id::REQUEST => {
            return match s.trim() {
                "leave" => g.leave(abi::CL_R_ADMIN, 0),
                "rejoin" => g.rejoin(),
                "dumping" => g.dump(abi::CL_R_KDUMP),
                "dumped" => g.dump(abi::CL_R_DUMPED),
                _ => Err(EINVAL),
            };
        }
        _ => return Err(EINVAL),
    }
    Ok(())
}

/// `store` of every writable attribute. Context: process (sysfs).
///
/// # Safety
///
/// `buf` points to `len` readable bytes.
#[no_mangle]
unsafe extern "C" fn cluster_msg_sysfs_store(attr: u32, buf: *const u8, len: usize) -> isize {
    // SAFETY: sysfs gives `len` readable bytes.
    unsafe { sysfs::store(buf, len, |input| store(attr, input)) }
}
