// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! hadetect's state across a planned kexec handoff: the items of its KHO blob
//! (`include/hasys/kho_blob.rs`'s format, owner `Hadetect`). Pure logic: no locking,
//! no allocation, no clock. Builds in `hadetect.ko` (`handoff.rs` preserves, seals
//! and restores the blob) and in `tools/hadetect-core` (tests).
//!
//! The blob carries what an administrator set (every class's rule, the engine's
//! dry-run, the overload hold) and the fault table, each entry with its error times
//! as ages: ns before the seal, since the next kernel's clock starts again. The
//! node's health is computed from the table, so it comes back with it; an entry that
//! held an isolation comes back `Isolating` and the part is isolated again by the new
//! kernel (`engine.rs`, "Carrying the table"). Not carried: the agents (they register
//! with the new kernel), the overload state and the counters (they describe the old
//! kernel).
//!
//! Every item has the size and layout of [`Item`]; its `kind` says which fields hold
//! what. A blob holds one `KIND_RULE` item per class, one `KIND_SETTINGS` item and
//! one `KIND_FAULT` item per entry. [`restore`] takes all of it or nothing.

use crate::abi;
use crate::engine::{self, Engine, Fault, InvalidRule, Key, RestoreError, Rule, Snapshot, State};
use zerocopy_derive::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// An item with a class's rule.
pub const KIND_RULE: u8 = 1;
/// The item with the engine's settings.
pub const KIND_SETTINGS: u8 = 2;
/// An item with an entry of the fault table.
pub const KIND_FAULT: u8 = 3;

/// Rule flag: the rule fires into dry-run. Settings flag: the engine's dry-run.
pub const F_DRY_RUN: u8 = 1 << 0;
/// Rule flag: an uncorrected error fires the rule at once.
pub const F_UE_IMMEDIATE: u8 = 1 << 1;

/// The engine's clock in the kernel (`policy.rs`) is `CLOCK_BOOTTIME` plus this: the
/// longest window and a second. A new kernel's clock starts near 0; with this base,
/// an age up to the longest window still maps to a time after 0, and a longer one,
/// saturated to 0, lies outside every window.
pub const CLOCK_BASE_NS: u64 = engine::MAX_T_NS + 1_000_000_000;

/// Classes with a rule: `HD_PAGE..HD_CLASS_NR`.
pub const RULES: usize = abi::HD_CLASS_NR as usize - 1;
/// Error times an entry keeps.
const TIMES: usize = engine::MAX_N as usize;

/// One item of the blob. Native byte order: both kernels run on the same machine.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Item {
    /// `KIND_*`.
    pub kind: u8,
    /// Rule, fault: the `HD_*` class.
    pub class: u8,
    /// Fault: its state ([`State::code`]).
    pub state: u8,
    /// Rule: its `HD_ACT_*`.
    pub action: u8,
    /// Rule, settings: `F_*`.
    pub flags: u8,
    /// Zero.
    pub reserved: [u8; 3],
    /// Rule: its threshold. Fault: the error times kept.
    pub n: u32,
    /// Rule: its cap. Fault: the actions tried.
    pub cap: u32,
    /// Fault: the object. Settings: the overload hold, ns.
    pub object: u64,
    /// Rule: its window, ns.
    pub t_ns: u64,
    /// Fault: the errors since the entry opened.
    pub total: u64,
    /// Fault: ns from its first error to the seal.
    pub first_age_ns: u64,
    /// Fault: the sequence number of the record that fired its rule (hwerr's log
    /// keeps its numbering through the handoff), 0 before.
    pub trigger_seq: u64,
    /// Fault: ns from each error time kept to the seal, newest first; `n` of them,
    /// the rest 0.
    pub ages_ns: [u64; TIMES],
}

/// Bytes of an item.
pub const ITEM_SIZE: usize = core::mem::size_of::<Item>();

/// Items of a blob that carries `entries` fault entries.
pub fn items_for(entries: usize) -> usize {
    entries.saturating_add(RULES + 1)
}

const EMPTY: Item = Item {
    kind: 0,
    class: 0,
    state: 0,
    action: 0,
    flags: 0,
    reserved: [0; 3],
    n: 0,
    cap: 0,
    object: 0,
    t_ns: 0,
    total: 0,
    first_age_ns: 0,
    trigger_seq: 0,
    ages_ns: [0; TIMES],
};

/// The item of `class`'s rule.
pub fn rule_item(class: u8, r: &Rule) -> Item {
    let mut flags = 0;
    if r.dry_run {
        flags |= F_DRY_RUN;
    }
    if r.ue_immediate {
        flags |= F_UE_IMMEDIATE;
    }
    Item {
        kind: KIND_RULE,
        class,
        action: r.action,
        flags,
        n: r.n,
        cap: r.cap,
        t_ns: r.t_ns,
        ..EMPTY
    }
}

/// The settings item.
pub fn settings_item(dry_run: bool, overload_hold_ns: u64) -> Item {
    Item {
        kind: KIND_SETTINGS,
        flags: if dry_run { F_DRY_RUN } else { 0 },
        object: overload_hold_ns,
        ..EMPTY
    }
}

/// The item of entry `f`, its times as ages at `now` (an entry's times are never
/// after the engine's clock; a later one would count as age 0).
pub fn fault_item(f: &Fault, now: u64) -> Item {
    let s = f.snapshot();
    let mut ages_ns = [0; TIMES];
    for (a, t) in ages_ns.iter_mut().zip(s.times.iter().take(s.len)) {
        *a = now.saturating_sub(*t);
    }
    Item {
        kind: KIND_FAULT,
        class: s.key.class,
        state: s.state.code(),
        n: u32::try_from(s.len).unwrap_or(0),
        cap: s.attempt,
        object: s.key.object,
        total: s.total,
        first_age_ns: now.saturating_sub(s.first_ns),
        trigger_seq: s.trigger_seq,
        ages_ns,
        ..EMPTY
    }
}

/// Why [`restore`] refused a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bad {
    /// An unknown kind, or `reserved` not 0.
    Kind,
    /// Unknown flags.
    Flags,
    /// A rule the engine refuses.
    Rule(InvalidRule),
    /// A class's rule twice, or a class without one.
    Rules,
    /// No settings item, or two.
    Settings,
    /// A fault with an unknown state, or the engine refused it.
    Fault(Option<RestoreError>),
}

impl Bad {
    /// A short name for the kernel log.
    pub fn name(self) -> &'static str {
        match self {
            Bad::Kind => "bad-kind",
            Bad::Flags => "bad-flags",
            Bad::Rule(_) => "bad-rule",
            Bad::Rules => "rules-incomplete",
            Bad::Settings => "bad-settings",
            Bad::Fault(None) => "bad-state",
            Bad::Fault(Some(RestoreError::Class)) => "bad-class",
            Bad::Fault(Some(RestoreError::Duplicate)) => "duplicate-fault",
            Bad::Fault(Some(RestoreError::Full)) => "table-full",
            Bad::Fault(Some(RestoreError::Times)) => "bad-times",
        }
    }
}

/// What [`restore`] restored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Restored {
    /// The overload hold, ns, for the caller to check and apply.
    pub overload_hold_ns: u64,
    /// Fault entries restored.
    pub faults: u32,
    /// Of them, entries whose part is to be isolated again (`Isolating`).
    pub isolating: u32,
}

/// The snapshot of a fault item, its ages turned into times before `now`.
fn snapshot(it: &Item, now: u64) -> Result<Snapshot, Bad> {
    let state = State::from_code(it.state).ok_or(Bad::Fault(None))?;
    let len = usize::try_from(it.n).map_err(|_| Bad::Fault(Some(RestoreError::Times)))?;
    let mut times = [0; TIMES];
    for (t, a) in times.iter_mut().zip(it.ages_ns.iter()).take(len) {
        *t = now.saturating_sub(*a);
    }
    Ok(Snapshot {
        key: Key {
            class: it.class,
            object: it.object,
        },
        state,
        times,
        len,
        total: it.total,
        first_ns: now.saturating_sub(it.first_age_ns),
        attempt: it.cap,
        trigger_seq: it.trigger_seq,
    })
}

/// Sets `engine`, which must be fresh (as [`Engine::new`] left it), to the state
/// `items` carry, their ages taken back from `now`. An item the engine refuses, or
/// a blob without every rule and its settings, is refused whole: the engine is left
/// fresh again and nothing is restored.
pub fn restore<S, I>(engine: &mut Engine<S>, items: I, now: u64) -> Result<Restored, Bad>
where
    S: core::ops::DerefMut<Target = [Fault]>,
    I: IntoIterator<Item = Item>,
{
    let r = apply(engine, items, now);
    if r.is_err() {
        engine.clear_all();
        engine.set_dry_run(false);
        for class in abi::HD_PAGE..abi::HD_CLASS_NR {
            if let Some(rule) = engine::default_rule(class) {
                let _ = engine.set_rule(class, rule);
            }
        }
    }
    r
}

fn apply<S, I>(engine: &mut Engine<S>, items: I, now: u64) -> Result<Restored, Bad>
where
    S: core::ops::DerefMut<Target = [Fault]>,
    I: IntoIterator<Item = Item>,
{
    let mut out = Restored::default();
    let mut rules = [false; RULES];
    let mut settings = false;
    for it in items {
        if it.reserved != [0; 3] {
            return Err(Bad::Kind);
        }
        match it.kind {
            KIND_RULE => {
                if it.flags & !(F_DRY_RUN | F_UE_IMMEDIATE) != 0 {
                    return Err(Bad::Flags);
                }
                let rule = Rule {
                    n: it.n,
                    t_ns: it.t_ns,
                    action: it.action,
                    cap: it.cap,
                    dry_run: it.flags & F_DRY_RUN != 0,
                    ue_immediate: it.flags & F_UE_IMMEDIATE != 0,
                };
                let seen = usize::from(it.class)
                    .checked_sub(1)
                    .and_then(|i| rules.get_mut(i))
                    .ok_or(Bad::Rule(InvalidRule::Class))?;
                if *seen {
                    return Err(Bad::Rules);
                }
                engine.set_rule(it.class, rule).map_err(Bad::Rule)?;
                *seen = true;
            }
            KIND_SETTINGS => {
                if it.flags & !F_DRY_RUN != 0 {
                    return Err(Bad::Flags);
                }
                if settings {
                    return Err(Bad::Settings);
                }
                engine.set_dry_run(it.flags & F_DRY_RUN != 0);
                out.overload_hold_ns = it.object;
                settings = true;
            }
            KIND_FAULT => {
                let snap = snapshot(&it, now)?;
                let state = engine.restore(&snap).map_err(|e| Bad::Fault(Some(e)))?;
                out.faults = out.faults.saturating_add(1);
                if state == State::Isolating {
                    out.isolating = out.isolating.saturating_add(1);
                }
            }
            _ => return Err(Bad::Kind),
        }
    }
    if !rules.iter().all(|&r| r) {
        return Err(Bad::Rules);
    }
    if !settings {
        return Err(Bad::Settings);
    }
    Ok(out)
}

/// Every item of `engine`'s state at `now`, in the order [`restore`] takes them:
/// the rules, the settings, the entries.
pub fn items<S>(
    engine: &Engine<S>,
    overload_hold_ns: u64,
    now: u64,
) -> impl Iterator<Item = Item> + '_
where
    S: core::ops::DerefMut<Target = [Fault]>,
{
    let rules = (abi::HD_PAGE..abi::HD_CLASS_NR)
        .filter_map(move |c| engine.rule(c).map(|r| rule_item(c, &r)));
    rules
        .chain(core::iter::once(settings_item(
            engine.dry_run(),
            overload_hold_ns,
        )))
        .chain(engine.faults().map(move |f| fault_item(f, now)))
}
