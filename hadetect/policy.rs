// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! The kernel side of the policy engine: hwerr records in, decisions, actions and the
//! node's health out.
//!
//! - [`Policy::notify`] (hwerr's consumer work, process context) classifies each
//!   record (`classify.rs`), counts it in the engine (`engine.rs`) under the policy
//!   mutex and publishes what happened as `SRC_HADETECT` records. It never runs an
//!   action: it kicks the runner.
//! - [`hadetect_run_actions`] (hadetect's own ordered workqueue, process context) runs
//!   every action due, one at a time and without the mutex held, verifies its outcome
//!   and reports it to the engine; failures are retried with the engine's backoff.
//! - The sysfs files (`sysfs.c`) read and set rules, dry-run and faults through
//!   [`hadetect_sysfs_show`], [`hadetect_sysfs_store`] and [`hadetect_faults_read`].
//!
//! Every change of health is a record and a `sysfs_notify()` of `health`.

use crate::abi::{self, Hadetect, Record};
use crate::agents::{self, Agents};
use crate::carry;
use crate::classify::{self, Verdict};
use crate::engine::{self, Engine, Fault, Key, Rule, State};
use crate::health::{self, Health};
use crate::hwerr::{self, HandoffPhase};
use crate::sysfs::{self, parse_bool, parse_u64, text, SysfsBuf};
use crate::{handoff, kho};
use core::fmt::Write;
use core::ptr;
use kernel::{
    alloc::KVVec,
    bindings, new_mutex,
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Release},
        Mutex,
    },
    time::{delay::fsleep, Delta},
};

mod ffi {
    use kernel::prelude::*;

    extern "C" {
        // isolate.c
        pub(super) fn hadetect_page_soft_offline(pfn: u64) -> c_int;
        pub(super) fn hadetect_page_poisoned(pfn: u64) -> c_int;
        pub(super) fn hadetect_cpu_check(cpu: u32) -> c_int;
        pub(super) fn hadetect_cpu_offline(cpu: u32) -> c_int;
        pub(super) fn hadetect_cpu_online(cpu: u32) -> c_int;
        pub(super) fn hadetect_pci_isolate(bdf: u64, remove: bool) -> c_int;
        pub(super) fn hadetect_pci_isolated(bdf: u64, remove: bool) -> c_int;
        pub(super) fn hadetect_kick(delay_ns: u64);
        // overload.c
        pub(super) fn hadetect_oom_count() -> u64;
        // sysfs.c
        pub(super) fn hadetect_sysfs_notify(kobj: *mut kernel::bindings::kobject);
    }
}

/// Fault table entries: 256 objects (about 80 KiB, `kvmalloc`ed).
pub(crate) const TABLE: usize = 256;

/// How long a soft offline may take to show (`PageHWPoison`) before it counts as
/// failed: the kernel runs the queued offline on a workqueue, normally within a
/// millisecond. The checks start 100 us apart and back off to 20 ms.
const CONFIRM_US: i64 = 1_000_000;
const CONFIRM_FIRST_US: i64 = 100;
const CONFIRM_MAX_STEP_US: i64 = 20_000;

/// What hadetect did since load (sysfs `counters`).
#[derive(Default)]
struct Counters {
    records: u64,
    errors: u64,
    opened: u64,
    fired: u64,
    isolated: u64,
    failed: u64,
    gave_up: u64,
    refused: u64,
    dry_run: u64,
    capped: u64,
    contained: u64,
    missed: u64,
    unpublished: u64,
    repeats: u64,
}

struct Inner {
    engine: Engine<KVVec<Fault>>,
    /// Page reports seen lately: one error reported by two sources counts once.
    same: classify::SameError,
    agents: KBox<Agents>,
    /// Overload: global OOMs seen, the time of the last one, and whether the node is
    /// overloaded (until `overload_hold_ns` passes without one).
    ooms_seen: u64,
    last_oom_ns: u64,
    overload: bool,
    overload_hold_ns: u64,
    /// The health last published.
    health: Health,
    counters: Counters,
    /// The blob preserved for a planned kexec handoff, from its prepare to its
    /// commit or abort.
    ho_blob: Option<kho::Preserved>,
    /// Handoffs the state has been through (restored from the previous kernel).
    handoffs: u32,
}

/// How long the node stays overloaded after the last global OOM, by default.
const OVERLOAD_HOLD_NS: u64 = 10_000_000_000;
/// The longest hold (sysfs `overload_hold_ms`): an hour.
const OVERLOAD_HOLD_MAX_NS: u64 = 3_600_000_000_000;

/// `kobject` of `/sys/kernel/ha/hadetect/`, for `sysfs_notify()`.
struct Kobj(*mut bindings::kobject);

// SAFETY: The pointer is only passed to `sysfs_notify()`, which any thread may call.
unsafe impl Send for Kobj {}

/// The policy state: one per module instance.
#[pin_data]
pub(crate) struct Policy {
    #[pin]
    inner: Mutex<Inner>,
    /// Set while the directory exists (see [`Policy::set_kobj`]).
    #[pin]
    kobj: Mutex<Kobj>,
}

/// The loaded module's policy, for the C callbacks (sysfs, the runner).
///
/// # Invariants
///
/// Null, or a `Policy` that stays valid until [`Policy::unpublish`] has cleared it and
/// every caller that loaded it has returned (the module's drop order guarantees that:
/// the sysfs directory and the runner are gone before the `Policy` is freed).
static POLICY: Atomic<*const Policy> = Atomic::new(ptr::null());

fn policy() -> Option<&'static Policy> {
    let p = POLICY.load(Acquire);
    // SAFETY: By the invariant of `POLICY`, a non-null pointer is a live `Policy`.
    (!p.is_null()).then(|| unsafe { &*p })
}

/// The engine's clock: `CLOCK_BOOTTIME` plus `carry::CLOCK_BASE_NS`, so that the
/// faults a kexec handoff carried keep their times before this boot.
fn now_ns() -> u64 {
    // SAFETY: Any context.
    clock_ns(unsafe { bindings::ktime_get_boot_fast_ns() })
}

/// A `CLOCK_BOOTTIME` time (a record's) on the engine's clock.
fn clock_ns(boottime_ns: u64) -> u64 {
    boottime_ns.saturating_add(carry::CLOCK_BASE_NS)
}

/// An engine time as `CLOCK_BOOTTIME` ns, negative before this boot (sysfs).
fn boottime_ns(t: u64) -> i64 {
    let base = i64::try_from(carry::CLOCK_BASE_NS).unwrap_or(i64::MAX);
    i64::try_from(t).unwrap_or(i64::MAX).saturating_sub(base)
}

/// Runs the action runner after `delay_ns` (at once for 0). Context: any but NMI.
pub(crate) fn kick(delay_ns: u64) {
    // SAFETY: Any context but NMI; a no-op once the runner is stopped.
    unsafe { ffi::hadetect_kick(delay_ns) }
}

/// The severity of a hadetect record: urgent (wakes `EPOLLPRI` readers) when an HA
/// agent should act, informational otherwise.
fn severity(event: u32, health: &Health) -> u8 {
    let urgent = match event {
        abi::HD_HEALTH => health.level != abi::HD_GREEN,
        abi::HD_FIRED | abi::HD_CAPPED | abi::HD_GAVE_UP => true,
        _ => false,
    };
    if urgent {
        abi::SEV_RECOVERABLE
    } else {
        abi::SEV_INFO
    }
}

/// A record about `key` (or the node, for `None`).
struct Event {
    event: u32,
    key: Option<Key>,
    action: u8,
    result: i32,
    attempt: u32,
    count: u32,
    flags: u8,
    seq: u64,
    pid: i32,
    label: [u8; 64],
    cgroup_id: u64,
}

impl Event {
    fn new(event: u32, key: Option<Key>) -> Self {
        Self {
            event,
            key,
            action: abi::HD_ACT_NONE,
            result: 0,
            attempt: 0,
            count: 0,
            flags: 0,
            seq: 0,
            pid: 0,
            label: [0; 64],
            cgroup_id: 0,
        }
    }

    fn label(mut self, s: &[u8]) -> Self {
        let n = s.len().min(self.label.len() - 1);
        if let (Some(d), Some(s)) = (self.label.get_mut(..n), s.get(..n)) {
            d.copy_from_slice(s);
        }
        self
    }
}

impl Inner {
    /// The node's health now.
    fn current_health(&self) -> Health {
        let (agents_late, agents_dead) = self.agents.counts();
        health::health(&health::Inputs {
            summary: self.engine.summary(),
            overload: self.overload,
            agents_late,
            agents_dead,
        })
    }

    /// Publishes an agent's event.
    fn agent_event(&mut self, name: &[u8], pid: i32, ev: agents::Event) {
        let mut e = Event::new(abi::HD_AGENT, None).label(name);
        e.result = ev as i32;
        e.pid = pid;
        self.publish(e);
    }

    /// Moves agents past their deadlines and the overload state on. Context:
    /// process (the runner), the mutex held.
    fn tick(&mut self, now: u64) {
        // One check may move an agent twice (late, then dead).
        let mut moved =
            [(agents::Event::Late, [0u8; agents::NAME_LEN], 0i32); 2 * agents::MAX_AGENTS];
        let mut n = 0usize;
        self.agents.check(now, |a, ev| {
            if let Some(slot) = moved.get_mut(n) {
                let mut name = [0u8; agents::NAME_LEN];
                if let Some(d) = name.get_mut(..a.name().len()) {
                    d.copy_from_slice(a.name());
                }
                *slot = (ev, name, a.pid());
                n += 1;
            }
        });
        for (ev, name, pid) in moved.iter().take(n) {
            let len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            self.agent_event(name.get(..len).unwrap_or(&[]), *pid, *ev);
        }
        // SAFETY: Any context.
        let ooms = unsafe { ffi::hadetect_oom_count() };
        if ooms != self.ooms_seen {
            self.ooms_seen = ooms;
            self.last_oom_ns = now;
            if !self.overload {
                self.overload = true;
                let mut e = Event::new(abi::HD_OVERLOAD, None);
                e.result = 1;
                e.count = u32::try_from(ooms).unwrap_or(u32::MAX);
                self.publish(e);
            }
        } else if self.overload && now > self.last_oom_ns.saturating_add(self.overload_hold_ns) {
            self.overload = false;
            let mut e = Event::new(abi::HD_OVERLOAD, None);
            e.count = u32::try_from(ooms).unwrap_or(u32::MAX);
            self.publish(e);
        }
    }

    /// When the runner must run next: a retry, an agent's deadline, the end of an
    /// overload.
    fn next_deadline(&self) -> Option<u64> {
        let overload = self.overload.then(|| {
            self.last_oom_ns
                .saturating_add(self.overload_hold_ns)
                .saturating_add(1)
        });
        [
            self.engine.next_deadline(),
            self.agents.next_deadline(),
            overload,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The payload of `ev`, with the rule of its class and `health`.
    fn payload(&self, ev: &Event, health: &Health) -> Hadetect {
        let class = ev.key.map_or(abi::HD_NONE, |k| k.class);
        let rule = self.engine.rule(class);
        Hadetect {
            event: ev.event,
            fault_class: class,
            action: ev.action,
            health: health.level,
            flags: ev.flags,
            object: ev.key.map_or(0, |k| k.object),
            result: ev.result,
            attempt: ev.attempt,
            count: ev.count,
            threshold: rule.map_or(0, |r| r.n),
            window_ms: rule.map_or(0, |r| r.t_ns / 1_000_000),
            trigger_seq: ev.seq,
            score: health.score,
            reasons: health.reasons,
            pid: ev.pid,
            reserved: 0,
            label: ev.label,
            cgroup_id: ev.cgroup_id,
        }
    }

    /// Logs `ev` on `/dev/hwerr`. Context: any but NMI; the mutex is held, which is
    /// fine: `report_event` never sleeps.
    fn publish(&mut self, ev: Event) {
        let health = self.current_health();
        let p = self.payload(&ev, &health);
        if hwerr::report_event(abi::SRC_HADETECT, severity(ev.event, &health), &p).is_err() {
            // hwerr counts the drop too; this says the decision itself still stands.
            self.counters.unpublished = self.counters.unpublished.saturating_add(1);
        }
    }

    /// Publishes the health change, if any; returns whether there was one.
    fn publish_health(&mut self, seq: u64) -> bool {
        let h = self.current_health();
        if h == self.health {
            return false;
        }
        self.health = h;
        let mut ev = Event::new(abi::HD_HEALTH, None);
        ev.seq = seq;
        self.publish(ev);
        true
    }

    /// Counts one classified error; returns whether the runner has work.
    fn hit(&mut self, rec: &Record, h: &classify::Hit) -> bool {
        let key = Key {
            class: h.class,
            object: h.object,
        };
        let seq = rec.hdr.seq;
        // The error's own capture time: a storm summary's errors end at its last.
        let t = clock_ns(if rec.hdr.flags & abi::F_COALESCED != 0 {
            rec.hdr.last_boottime_ns
        } else {
            rec.hdr.boottime_ns
        });
        if h.class == abi::HD_PAGE && self.same.is_repeat(h.object, rec.hdr.source, t) {
            self.counters.repeats = self.counters.repeats.saturating_add(1);
            return false;
        }
        self.counters.errors = self.counters.errors.saturating_add(u64::from(h.weight));
        let out = self
            .engine
            .record(key, t, u64::from(h.weight), h.uncorrected, seq);
        let label = classify::label(rec);
        if out.opened {
            self.counters.opened = self.counters.opened.saturating_add(1);
            let mut ev = Event::new(abi::HD_OPENED, Some(key)).label(label);
            ev.seq = seq;
            ev.count = 1;
            self.publish(ev);
        }
        let Some(f) = out.fired else {
            return false;
        };
        self.counters.fired = self.counters.fired.saturating_add(1);
        let event = match f.state {
            State::DryRun => {
                self.counters.dry_run = self.counters.dry_run.saturating_add(1);
                abi::HD_DRY_RUN
            }
            State::Capped => {
                self.counters.capped = self.counters.capped.saturating_add(1);
                abi::HD_CAPPED
            }
            _ => abi::HD_FIRED,
        };
        let mut ev = Event::new(event, Some(key)).label(label);
        ev.seq = seq;
        ev.count = f.count;
        ev.action = f.action;
        if f.state == State::DryRun {
            ev.flags |= abi::HD_F_DRY_RUN;
        }
        if f.immediate {
            ev.flags |= abi::HD_F_IMMEDIATE;
        }
        self.publish(ev);
        f.state == State::Isolating
    }
}

impl Policy {
    /// A policy with the default rules.
    ///
    /// Context: process (allocates the fault table).
    pub(crate) fn new() -> Result<impl PinInit<Self, Error>> {
        let mut table = KVVec::with_capacity(TABLE, GFP_KERNEL)?;
        table.extend_with(TABLE, engine::FREE, GFP_KERNEL)?;
        let mut engine = Engine::new(table);
        // What a kexec handoff carried, before any record is counted.
        let restored = handoff::restore(&mut engine, now_ns());
        let overload_hold_ns = match restored.map(|r| r.carried.overload_hold_ns) {
            Some(ns) if ns != 0 && ns <= OVERLOAD_HOLD_MAX_NS => ns,
            Some(ns) => {
                pr_warn!(
                    "handoff: overload hold {} ns out of range: the default kept\n",
                    ns
                );
                OVERLOAD_HOLD_NS
            }
            None => OVERLOAD_HOLD_NS,
        };
        let health = health::health(&health::Inputs {
            summary: engine.summary(),
            overload: false,
            agents_late: 0,
            agents_dead: 0,
        });
        let agents = KBox::new(Agents::new(), GFP_KERNEL)?;
        // SAFETY: Any context.
        let ooms_seen = unsafe { ffi::hadetect_oom_count() };
        Ok(try_pin_init!(Self {
            inner <- new_mutex!(Inner {
                engine,
                same: classify::SameError::default(),
                agents,
                ooms_seen,
                last_oom_ns: 0,
                overload: false,
                overload_hold_ns,
                health,
                counters: Counters::default(),
                ho_blob: None,
                handoffs: restored.map_or(0, |r| r.handoffs),
            }, "hadetect_policy"),
            kobj <- new_mutex!(Kobj(ptr::null_mut()), "hadetect_kobj"),
        }? Error))
    }

    /// Makes `self` the policy the C callbacks use.
    ///
    /// # Safety
    ///
    /// `self` stays valid until [`Policy::unpublish`] has returned and the sysfs
    /// directory and the runner are gone.
    pub(crate) unsafe fn publish_global(&self) {
        // INVARIANT: By the safety requirements.
        POLICY.store(ptr::from_ref(self), Release);
    }

    /// Stops the C callbacks from finding the policy.
    pub(crate) fn unpublish(&self) {
        POLICY.store(ptr::null(), Release);
    }

    /// Sets (or clears, with null) the directory whose `health` file is notified.
    ///
    /// # Safety
    ///
    /// `kobj` is null or the live `kobject` of `/sys/kernel/ha/hadetect/`, and stays
    /// live until this is called again with null.
    pub(crate) unsafe fn set_kobj(&self, kobj: *mut bindings::kobject) {
        *self.kobj.lock() = Kobj(kobj);
    }

    fn notify_health(&self) {
        let k = self.kobj.lock();
        if !k.0.is_null() {
            // SAFETY: By `set_kobj`'s safety requirements the kobject is live while
            // set, and it cannot be cleared while we hold the lock.
            unsafe { ffi::hadetect_sysfs_notify(k.0) };
        }
    }

    /// Runs one action on `key`. Context: process, the runner, no lock held.
    fn act(key: Key, action: u8) -> Act {
        match action {
            abi::HD_ACT_SOFT_OFFLINE => soft_offline(key.object),
            abi::HD_ACT_CPU_OFFLINE => cpu_offline(key.object),
            abi::HD_ACT_PCI_UNBIND | abi::HD_ACT_PCI_REMOVE => {
                pci_isolate(key.object, action == abi::HD_ACT_PCI_REMOVE)
            }
            _ => Act::Refused(EINVAL.to_errno()),
        }
    }

    /// A phase of a planned kexec handoff (`handoff.rs`). Context: process
    /// (kexec_handoff's request or reboot notifier, through hwerr's chain); takes the
    /// policy mutex, may sleep.
    fn handoff(&self, phase: HandoffPhase) -> Result {
        let mut g = self.inner.lock();
        match phase {
            HandoffPhase::Prepare => {
                // Replaces (releases) a blob a prepare without its end left.
                g.ho_blob = Some(kho::Preserved::new(
                    handoff::NAME,
                    handoff::blob_size(TABLE),
                )?);
            }
            HandoffPhase::Abort => g.ho_blob = None,
            HandoffPhase::Commit => {
                if let Some(blob) = g.ho_blob.take() {
                    handoff::seal(blob, &g.engine, g.overload_hold_ns, g.handoffs, now_ns());
                }
            }
        }
        Ok(())
    }

    /// Moves the timers on (agents, overload) and publishes a health change.
    fn tick(&self) {
        let mut g = self.inner.lock();
        g.tick(now_ns());
        let changed = g.publish_health(0);
        drop(g);
        if changed {
            self.notify_health();
        }
    }

    /// Runs every action due and moves the timers on; then sleeps until the next
    /// deadline (the runner). Context: process.
    fn run(&self) {
        self.tick();
        self.run_actions();
        self.tick();
        let g = self.inner.lock();
        if let Some(at) = g.next_deadline() {
            kick(at.saturating_sub(now_ns()).max(1));
        }
    }

    /// Runs every action due; returns when none is. Context: process.
    fn run_actions(&self) {
        // Bounded: each pass moves one entry out of `Isolating`.
        for _ in 0..TABLE * engine::MAX_ATTEMPTS as usize {
            let (key, action, attempt) = {
                let mut g = self.inner.lock();
                let now = now_ns();
                let isolating = g
                    .engine
                    .faults()
                    .find(|f| f.state() == State::Isolating)
                    .map(Fault::key);
                let next = match isolating {
                    Some(key) => Some(key),
                    None => g.engine.due(now),
                };
                let Some(key) = next else {
                    return;
                };
                let action = g
                    .engine
                    .rule(key.class)
                    .map_or(abi::HD_ACT_NONE, |r| r.action);
                let attempt = g.engine.fault(key).map_or(0, Fault::attempt);
                (key, action, attempt)
            };
            let result = Self::act(key, action);
            let mut g = self.inner.lock();
            let now = now_ns();
            let seq = g.engine.fault(key).map_or(0, Fault::trigger_seq);
            // A fault cleared while its action ran is gone: nothing to report.
            let (event, errno) = match result {
                Act::Done if g.engine.action_result(key, now, true).is_some() => {
                    g.counters.isolated = g.counters.isolated.saturating_add(1);
                    (abi::HD_ISOLATED, 0)
                }
                Act::Refused(e) if g.engine.refused(key) => {
                    g.counters.refused = g.counters.refused.saturating_add(1);
                    (abi::HD_REFUSED, e)
                }
                Act::Failed(e) => match g.engine.action_result(key, now, false) {
                    Some(State::GaveUp) => {
                        g.counters.gave_up = g.counters.gave_up.saturating_add(1);
                        (abi::HD_GAVE_UP, e)
                    }
                    Some(_) => {
                        g.counters.failed = g.counters.failed.saturating_add(1);
                        (abi::HD_FAILED, e)
                    }
                    None => continue,
                },
                _ => continue,
            };
            let mut ev = Event::new(event, Some(key));
            ev.action = action;
            ev.attempt = attempt;
            ev.result = errno;
            ev.seq = seq;
            g.publish(ev);
            let changed = g.publish_health(seq);
            drop(g);
            if changed {
                self.notify_health();
            }
        }
        // Not reached in practice; come back rather than spin.
        kick(1_000_000_000);
    }
}

/// How an action went.
enum Act {
    /// Done and confirmed.
    Done,
    /// Failed (`-errno`): retried with backoff.
    Failed(i32),
    /// Cannot apply to this object (`-errno`): not retried.
    Refused(i32),
}

fn soft_offline(pfn: u64) -> Act {
    // SAFETY: Process context.
    match unsafe { ffi::hadetect_page_poisoned(pfn) } {
        1 => return Act::Done,
        0 => {}
        e => return Act::Refused(e),
    }
    // SAFETY: Process context. One offline in flight at a time (this runner is the
    // only caller and waits below), far from the kernel's per-CPU queue of 16.
    let rc = unsafe { ffi::hadetect_page_soft_offline(pfn) };
    if rc != 0 {
        return Act::Refused(rc);
    }
    let (mut waited, mut step) = (0, CONFIRM_FIRST_US);
    while waited < CONFIRM_US {
        fsleep(Delta::from_micros(step));
        waited += step;
        // SAFETY: Process context.
        if unsafe { ffi::hadetect_page_poisoned(pfn) } == 1 {
            return Act::Done;
        }
        step = (step * 2).min(CONFIRM_MAX_STEP_US);
    }
    // The kernel does not say why (vm.enable_soft_offline=0, a kernel page, a failed
    // migration): only that the page is still in use.
    Act::Failed(EIO.to_errno())
}

fn cpu_offline(cpu: u64) -> Act {
    let Ok(cpu) = u32::try_from(cpu) else {
        return Act::Refused(EINVAL.to_errno());
    };
    // What the CPU is decides whether the action may apply at all: no such CPU, not
    // hotpluggable (CPU 0 on x86) or the last one online are refusals, for good.
    // SAFETY: Any context.
    match unsafe { ffi::hadetect_cpu_check(cpu) } {
        0 => {}
        e if e == -(bindings::EALREADY as i32) => return Act::Done,
        e => return Act::Refused(e),
    }
    // Whatever remove_cpu() says (hotplug disabled for a while, a notifier's veto)
    // may pass: a failure, retried with backoff. It returns 1 when the CPU went
    // offline by other hands meanwhile: the check below sees that.
    // SAFETY: Process context, no lock held (remove_cpu() takes the hotplug locks).
    let rc = unsafe { ffi::hadetect_cpu_offline(cpu) };
    // SAFETY: Any context.
    if unsafe { ffi::hadetect_cpu_online(cpu) } == 0 {
        Act::Done
    } else if rc < 0 {
        Act::Failed(rc)
    } else {
        Act::Failed(EIO.to_errno())
    }
}

fn pci_isolate(bdf: u64, remove: bool) -> Act {
    // SAFETY: Process context, no device lock held.
    match unsafe { ffi::hadetect_pci_isolate(bdf, remove) } {
        0 => {}
        // Already gone is what removal wants.
        e if e == ENODEV.to_errno() && remove => return Act::Done,
        e if e == ENODEV.to_errno() => return Act::Refused(e),
        e => return Act::Failed(e),
    }
    // SAFETY: Process context.
    if unsafe { ffi::hadetect_pci_isolated(bdf, remove) } == 1 {
        Act::Done
    } else {
        Act::Failed(EIO.to_errno())
    }
}

impl hwerr::Consumer for Policy {
    fn notify(&self, rec: &Record) {
        let (work, changed) = {
            let mut g = self.inner.lock();
            g.counters.records = g.counters.records.saturating_add(1);
            let mut work = false;
            match classify::classify(rec) {
                Verdict::Ignore => {
                    if rec.hdr.source == abi::SRC_LOST {
                        if let Ok((l, _)) =
                            <abi::Lost as zerocopy::FromBytes>::read_from_prefix(&rec.payload[..])
                        {
                            g.counters.missed = g.counters.missed.saturating_add(l.total);
                        }
                    }
                }
                Verdict::Contained {
                    pfn,
                    pid,
                    cgroup_id,
                } => {
                    g.counters.contained = g.counters.contained.saturating_add(1);
                    let mut ev = Event::new(
                        abi::HD_CONTAINED,
                        Some(Key {
                            class: abi::HD_PAGE,
                            object: pfn,
                        }),
                    )
                    .label(classify::label(rec));
                    ev.pid = pid;
                    ev.cgroup_id = cgroup_id;
                    ev.seq = rec.hdr.seq;
                    g.publish(ev);
                }
                Verdict::Hits(hits) => {
                    for h in hits.iter().flatten() {
                        work |= g.hit(rec, h);
                    }
                }
            }
            (work, g.publish_health(rec.hdr.seq))
        };
        if changed {
            self.notify_health();
        }
        if work {
            kick(0);
        }
    }
}

/// Runs `f` on the policy under its mutex, then publishes a health change.
fn with_inner<R>(f: impl FnOnce(&mut Inner) -> Result<R>) -> Result<R> {
    let p = policy().ok_or(ENODEV)?;
    let mut g = p.inner.lock();
    let r = f(&mut g);
    let changed = g.publish_health(0);
    drop(g);
    if changed {
        p.notify_health();
    }
    r
}

fn errno(r: Result) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `HADETECT_IOC_REGISTER` (`agent_dev.c`). Context: process.
///
/// # Safety
///
/// `name` points to `agents::NAME_LEN` readable bytes; `id` is valid for writes.
#[no_mangle]
unsafe extern "C" fn hadetect_agent_register(
    name: *const u8,
    period_ms: u32,
    escalate_ms: u32,
    pid: i32,
    id: *mut u64,
) -> c_int {
    // SAFETY: By the safety requirements.
    let name = unsafe { &*name.cast::<[u8; agents::NAME_LEN]>() };
    let r = with_inner(|g| {
        let now = now_ns();
        let new = g
            .agents
            .register(
                name,
                pid,
                u64::from(period_ms) * 1_000_000,
                u64::from(escalate_ms) * 1_000_000,
                now,
            )
            .map_err(|e| match e {
                agents::Refusal::Invalid => EINVAL,
                agents::Refusal::Busy => EBUSY,
                agents::Refusal::Full => ENOSPC,
            })?;
        let len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        g.agent_event(
            name.get(..len).unwrap_or(&[]),
            pid,
            agents::Event::Registered,
        );
        // SAFETY: By the safety requirements.
        unsafe { *id = new };
        Ok(())
    });
    if r.is_ok() {
        // Its deadline may be the earliest now.
        kick(0);
    }
    errno(r)
}

/// Publishes `ev` for agent `id` (looked up before `op` may free it).
fn agent_op(id: u64, op: impl FnOnce(&mut Agents) -> Option<Option<agents::Event>>) -> Result {
    with_inner(|g| {
        let who = g.agents.iter().find(|a| a.id() == id).map(|a| {
            let mut name = [0u8; agents::NAME_LEN];
            if let Some(d) = name.get_mut(..a.name().len()) {
                d.copy_from_slice(a.name());
            }
            (name, a.name().len(), a.pid())
        });
        match op(&mut g.agents) {
            None => Err(ENOENT),
            Some(None) => Ok(()),
            Some(Some(ev)) => {
                if let Some((name, len, pid)) = who {
                    g.agent_event(name.get(..len).unwrap_or(&[]), pid, ev);
                }
                Ok(())
            }
        }
    })
}

/// `HADETECT_IOC_HEARTBEAT`. Context: process.
#[no_mangle]
extern "C" fn hadetect_agent_heartbeat(id: u64) -> c_int {
    errno(agent_op(id, |t| t.heartbeat(id, now_ns())))
}

/// `HADETECT_IOC_UNREGISTER`. Context: process.
#[no_mangle]
extern "C" fn hadetect_agent_unregister(id: u64) -> c_int {
    errno(agent_op(id, |t| t.unregister(id).map(Some)))
}

/// The agent's file was closed while registered. Context: process.
#[no_mangle]
extern "C" fn hadetect_agent_detach(id: u64) {
    let _ = agent_op(id, |t| t.detach(id, now_ns()).map(Some));
}

/// The runner (`isolate.c`'s work item). Context: process, hadetect's ordered queue.
#[no_mangle]
extern "C" fn hadetect_run_actions() {
    if let Some(p) = policy() {
        p.run();
    }
}

/// The sysfs attribute ids (`sysfs.h`).
mod id {
    pub(super) const HEALTH: u32 = 0;
    pub(super) const SCORE: u32 = 1;
    pub(super) const REASONS: u32 = 2;
    pub(super) const COUNTERS: u32 = 3;
    pub(super) const DRY_RUN: u32 = 4;
    pub(super) const CLEAR: u32 = 5;
    pub(super) const AGENTS: u32 = 6;
    pub(super) const OVERLOAD_HOLD_MS: u32 = 7;
    pub(super) const THRESHOLD: u32 = 10;
    pub(super) const WINDOW_MS: u32 = 11;
    pub(super) const ACTION: u32 = 12;
    pub(super) const CAP: u32 = 13;
    pub(super) const RULE_DRY_RUN: u32 = 14;
    pub(super) const UE_IMMEDIATE: u32 = 15;
}

fn name_of(names: &[&'static str], i: u8) -> &'static str {
    names.get(usize::from(i)).copied().unwrap_or("unknown")
}

fn show(class: u32, attr: u32, out: &mut SysfsBuf<'_>) -> Result {
    let p = policy().ok_or(ENODEV)?;
    let g = p.inner.lock();
    let fmt = |_| EINVAL;
    match attr {
        id::HEALTH => writeln!(out, "{}", name_of(&abi::HD_HEALTH_NAMES, g.health.level)),
        id::SCORE => writeln!(out, "{}", g.health.score),
        id::REASONS => {
            health::reasons_text(g.health.reasons, out).map_err(fmt)?;
            writeln!(out)
        }
        id::DRY_RUN => writeln!(out, "{}", u8::from(g.engine.dry_run())),
        id::OVERLOAD_HOLD_MS => writeln!(out, "{}", g.overload_hold_ns / 1_000_000),
        id::AGENTS => {
            let now = now_ns();
            for a in g.agents.iter() {
                writeln!(
                    out,
                    "{} pid {} period_ms {} escalate_ms {} {} {} since_beat_ms {}",
                    core::str::from_utf8(a.name()).unwrap_or("?"),
                    a.pid(),
                    a.period_ns() / 1_000_000,
                    a.escalate_ns() / 1_000_000,
                    a.status().name(),
                    if a.attached() { "attached" } else { "lost" },
                    now.saturating_sub(a.last_ns()) / 1_000_000
                )
                .map_err(fmt)?;
            }
            Ok(())
        }
        id::COUNTERS => {
            let c = &g.counters;
            writeln!(
                out,
                "records {}\nerrors {}\nopened {}\nfired {}\nisolated {}\nfailed {}\n\
                 gave_up {}\nrefused {}\ndry_run {}\ncapped {}\ncontained {}\nmissed {}\n\
                 unpublished {}\nrepeats {}\nevicted {}\nuntracked {}",
                c.records,
                c.errors,
                c.opened,
                c.fired,
                c.isolated,
                c.failed,
                c.gave_up,
                c.refused,
                c.dry_run,
                c.capped,
                c.contained,
                c.missed,
                c.unpublished,
                c.repeats,
                g.engine.evicted(),
                g.engine.untracked()
            )
        }
        _ => {
            let class = u8::try_from(class).map_err(|_| EINVAL)?;
            let r = g.engine.rule(class).ok_or(EINVAL)?;
            match attr {
                id::THRESHOLD => writeln!(out, "{}", r.n),
                id::WINDOW_MS => writeln!(out, "{}", r.t_ns / 1_000_000),
                id::ACTION => writeln!(out, "{}", name_of(&abi::HD_ACT_NAMES, r.action)),
                id::CAP => writeln!(out, "{}", r.cap),
                id::RULE_DRY_RUN => writeln!(out, "{}", u8::from(r.dry_run)),
                id::UE_IMMEDIATE => writeln!(out, "{}", u8::from(r.ue_immediate)),
                _ => return Err(EINVAL),
            }
        }
    }
    .map_err(fmt)
}

/// `show` of every text attribute. Context: process (sysfs).
///
/// # Safety
///
/// `buf` is sysfs's `PAGE_SIZE` buffer.
#[no_mangle]
unsafe extern "C" fn hadetect_sysfs_show(class: u32, attr: u32, buf: *mut u8) -> isize {
    // SAFETY: sysfs gives a writable buffer of `PAGE_SIZE` bytes.
    unsafe { sysfs::show(buf, |out| show(class, attr, out)) }
}

fn class_by_name(s: &str) -> Result<u8> {
    abi::HD_CLASS_NAMES
        .iter()
        .position(|&n| n == s)
        .and_then(|i| u8::try_from(i).ok())
        .filter(|&c| c != abi::HD_NONE)
        .ok_or(EINVAL)
}

fn store(class: u32, attr: u32, input: &[u8]) -> Result {
    let p = policy().ok_or(ENODEV)?;
    let s = text(input)?;
    let mut g = p.inner.lock();
    match attr {
        id::DRY_RUN => g.engine.set_dry_run(parse_bool(s)?),
        id::OVERLOAD_HOLD_MS => {
            let ns = parse_u64(s)?.checked_mul(1_000_000).ok_or(ERANGE)?;
            if ns == 0 || ns > OVERLOAD_HOLD_MAX_NS {
                return Err(ERANGE);
            }
            g.overload_hold_ns = ns;
            drop(g);
            // The overload may end sooner now.
            kick(0);
            return Ok(());
        }
        id::CLEAR => {
            let mut words = s.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some("agents"), None, None) => {
                    g.agents.clear_lost(None);
                }
                (Some("agent"), Some(name), None) => {
                    if g.agents.clear_lost(Some(name.as_bytes())) == 0 {
                        return Err(ENOENT);
                    }
                }
                (Some("all"), None, None) => {
                    let mut ev = Event::new(abi::HD_CLEARED, None);
                    ev.count = g.engine.clear_all();
                    g.publish(ev);
                }
                (Some(c), None, None) => {
                    let class = class_by_name(c)?;
                    // Class-wide: the object is 0 and `count` says how many went.
                    let mut ev = Event::new(abi::HD_CLEARED, Some(Key { class, object: 0 }));
                    ev.count = g.engine.clear_class(class);
                    g.publish(ev);
                }
                (Some(c), Some(o), None) => {
                    let class = class_by_name(c)?;
                    let object = match o.strip_prefix("0x") {
                        Some(hex) => u64::from_str_radix(hex, 16).map_err(|_| EINVAL)?,
                        None => parse_u64(o)?,
                    };
                    let key = Key { class, object };
                    if !g.engine.clear(key) {
                        return Err(ENOENT);
                    }
                    g.publish(Event::new(abi::HD_CLEARED, Some(key)));
                }
                _ => return Err(EINVAL),
            }
        }
        _ => {
            let class = u8::try_from(class).map_err(|_| EINVAL)?;
            let mut r: Rule = g.engine.rule(class).ok_or(EINVAL)?;
            match attr {
                id::THRESHOLD => r.n = u32::try_from(parse_u64(s)?).map_err(|_| ERANGE)?,
                id::WINDOW_MS => {
                    r.t_ns = parse_u64(s)?.checked_mul(1_000_000).ok_or(ERANGE)?;
                }
                id::ACTION => {
                    r.action = abi::HD_ACT_NAMES
                        .iter()
                        .position(|&n| n == s.trim())
                        .and_then(|i| u8::try_from(i).ok())
                        .ok_or(EINVAL)?;
                }
                id::CAP => r.cap = u32::try_from(parse_u64(s)?).map_err(|_| ERANGE)?,
                id::RULE_DRY_RUN => r.dry_run = parse_bool(s)?,
                id::UE_IMMEDIATE => r.ue_immediate = parse_bool(s)?,
                _ => return Err(EINVAL),
            }
            g.engine.set_rule(class, r).map_err(|e| match e {
                engine::InvalidRule::Threshold
                | engine::InvalidRule::Window
                | engine::InvalidRule::Cap => ERANGE,
                _ => EINVAL,
            })?;
        }
    }
    let changed = g.publish_health(0);
    drop(g);
    if changed {
        p.notify_health();
    }
    Ok(())
}

/// `store` of every writable attribute. Context: process (sysfs).
///
/// # Safety
///
/// `buf` points to `len` readable bytes.
#[no_mangle]
unsafe extern "C" fn hadetect_sysfs_store(
    class: u32,
    attr: u32,
    buf: *const u8,
    len: usize,
) -> isize {
    // SAFETY: sysfs gives `len` readable bytes.
    unsafe { sysfs::store(buf, len, |input| store(class, attr, input)) }
}

/// One line of `faults`.
fn fault_line(f: &Fault, rule: Option<Rule>, now: u64, out: &mut impl Write) -> core::fmt::Result {
    let k = f.key();
    writeln!(
        out,
        "{} {:#x} {} total {} window {} attempt {} first_ns {} last_ns {} seq {} retry_ns {}",
        name_of(&abi::HD_CLASS_NAMES, k.class),
        k.object,
        f.state().name(),
        f.total(),
        rule.map_or(0, |r| f.count_within(r.t_ns, now)),
        f.attempt(),
        boottime_ns(f.first_ns()),
        boottime_ns(f.last_ns()),
        f.trigger_seq(),
        if f.state() == State::Retrying {
            boottime_ns(f.retry_at_ns())
        } else {
            0
        }
    )
}

/// Copies the part of a text at `[off, off + count)` into a buffer while the text is
/// written.
struct Window<'a> {
    dst: &'a mut [u8],
    off: usize,
    pos: usize,
    copied: usize,
}

impl Write for Window<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            if self.pos >= self.off {
                match self.dst.get_mut(self.copied) {
                    Some(d) => {
                        *d = b;
                        self.copied += 1;
                    }
                    None => return Err(core::fmt::Error), // full: stop early
                }
            }
            self.pos += 1;
        }
        Ok(())
    }
}

/// `read` of the binary attribute `faults`: one line per fault, any length.
/// Context: process (sysfs).
///
/// # Safety
///
/// `buf` points to `count` writable bytes.
#[no_mangle]
unsafe extern "C" fn hadetect_faults_read(buf: *mut u8, off: i64, count: usize) -> isize {
    let Some(p) = policy() else {
        return ENODEV.to_errno() as isize;
    };
    let Ok(off) = usize::try_from(off) else {
        return EINVAL.to_errno() as isize;
    };
    // SAFETY: sysfs gives `count` writable bytes.
    let dst = unsafe { core::slice::from_raw_parts_mut(buf, count) };
    let mut w = Window {
        dst,
        off,
        pos: 0,
        copied: 0,
    };
    let g = p.inner.lock();
    let now = now_ns();
    for f in g.engine.faults() {
        if fault_line(f, g.engine.rule(f.key().class), now, &mut w).is_err() {
            break;
        }
    }
    w.copied as isize
}

/// A phase of a planned kexec handoff (`HASYS_HANDOFF_*`): 0 or a negative errno.
/// Context: process (kexec_handoff's request or reboot notifier, through hwerr's
/// chain), may sleep.
#[no_mangle]
extern "C" fn hadetect_handoff(phase: c_ulong) -> c_int {
    let (Some(p), Some(phase)) = (policy(), HandoffPhase::from_code(phase)) else {
        return 0;
    };
    match p.handoff(phase) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}
