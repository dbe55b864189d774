// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! The policy engine: "N errors in T" rules per fault class, the fault table and each
//! fault's state machine. Pure logic: no locking, no allocation, no clock, no panic.
//!
//! This file builds in `hadetect.ko` (the glue runs it under its lock, with the time
//! of each error) and in the userspace crate `tools/hadetect-core` (unit and property
//! tests). It uses only `core` and the `HD_*` constants of `crate::abi`.
//!
//! # Objects and classes
//!
//! An error is charged to one object of one class, a [`Key`]: a page (`HD_PAGE`, the
//! pfn), a DIMM (`HD_DIMM`), a CPU's core (`HD_CPU`) or caches (`HD_CACHE`), a PCI
//! function (`HD_PCI`) or the node itself (`HD_NODE`). Keys of any other class (0,
//! `HD_CLASS_NR` and above) are ignored by every call: nothing is counted.
//!
//! # Rules
//!
//! Each class has one [`Rule`] `N/T`: threshold `n`, window `t_ns`, action, cap,
//! dry-run and `ue_immediate`.
//!
//! The window is sliding, event-aligned and closed. With an object's error times
//! `t_1 <= ... <= t_k`, the rule fires at `t_k`, on the event that makes `N` errors
//! whose first and last lie within `T`: when `k >= N` and `t_k - t_{k-N+1} <= T`.
//! So `N` errors spanning exactly `T` fire, spanning `T + 1` ns do not, and errors
//! spaced more than `T / (N - 1)` apart never fire however many there are. A rule is
//! only evaluated on an error: lowering `N` or raising `T` makes an object fire on its
//! next error, not at once. The engine keeps the last [`MAX_N`] error times of each
//! object whatever the rule's `N`, so a rule can change at any time.
//!
//! FMA's SERD engine `SERD(N, T)` fires on the `(N + 1)`th event, ours on the `N`th:
//! FMA's "3 in 72 h" for caches is our `N = 4`. mcelog's leaky buckets count like
//! ours: its "2 in 24 h" for pages is our `N = 2`.
//!
//! With `ue_immediate`, an uncorrected error (the caller says which) fires the rule at
//! once whatever `N` (rasdaemon's CPU rule); without it, an uncorrected error counts
//! as one error like any other. An uncorrected error that fires a `ue_immediate` rule
//! makes the fire *immediate* ([`Fired::immediate`]), even if the window fired too.
//!
//! A record may stand for several errors (a coalesced hwerr summary): `errors` errors
//! at the same time `now` (0 counts as 1; at most [`MAX_N`] times are kept).
//!
//! [`Rule::validate`] accepts `1 <= n <= MAX_N`, `MIN_T_NS <= t_ns <= MAX_T_NS` (1 ms
//! to 366 days), `cap <= MAX_CAP` and an action allowed for the class
//! ([`action_allowed`]): a page may be soft-offlined, a CPU offlined for core or cache
//! errors, a PCI function unbound or removed; DIMMs and the node have no action (no
//! kernel interface offlines a DIMM or a node). `HD_ACT_NONE` is always allowed.
//!
//! Defaults ([`default_rule`]):
//!
//! - page: 2 in 24 h, soft-offline, cap 512. mcelog's page threshold since 2024.
//!   Uncorrected memory errors are `memory_failure()`'s business, not ours, so no
//!   `ue_immediate`.
//! - dimm: 10 in 24 h, no action, report only (mcelog's DIMM corrected-error
//!   threshold; no kernel interface offlines a DIMM).
//! - cpu: 18 in 24 h, CPU offline, cap 1, `ue_immediate` (rasdaemon's CPU rule).
//! - cache: 4 in 72 h, CPU offline, cap 1, `ue_immediate` (FMA's SERD 3/72 h, which
//!   fires on the 4th error).
//! - pci: 5 in 1 h, unbind, cap 4. No public precedent: AER's own log ratelimit is 10
//!   per 5 s, so transient bursts are normal; 5 errors in an hour from one function,
//!   none of them absorbed by the link layer's replay, mean a part that keeps failing.
//!   Unbind, not remove, keeps the device visible for diagnosis and rebinding.
//! - node: 1 in 24 h, no action, `ue_immediate`: a fatal-class NMI or an uncorrected
//!   error nothing contained makes the node red at once.
//!
//! # The fault table
//!
//! The caller gives the storage ([`FREE`] entries, any number). Each object with
//! errors has one entry, a [`Fault`]. A new object takes a free entry, else evicts the
//! [`State::Suspect`] entry whose last error is the oldest ([`Engine::evicted`]
//! counts them), else is not tracked at all: [`Outcome::untracked`], and
//! [`Engine::untracked`] counts those errors. Entries in any other state are never
//! evicted: only [`Engine::clear`], [`Engine::clear_class`] and [`Engine::clear_all`]
//! free them; `clear_all` also resets both counters.
//!
//! # States
//!
//! An entry opens in `Suspect`: its errors are counted, its rule has not fired. When
//! the rule fires ([`Engine::record`] returns [`Fired`]), the entry becomes:
//!
//! - `Faulty` if the rule's action is `HD_ACT_NONE`;
//! - else `DryRun` if the engine ([`Engine::set_dry_run`]) or the rule is in dry-run;
//! - else `Capped` if the class already holds `cap` isolations (entries in
//!   `Isolating`, `Retrying` or `Isolated`);
//! - else `Isolating`, attempt 1: the caller runs the action and reports its result.
//!
//! A fired entry keeps counting its errors but never fires again: no duplicate action.
//! Changing a rule changes no entry's state; a `Capped` entry stays capped when the
//! cap frees up (clear it to let it fire again).
//!
//! The result of an action ([`Engine::action_result`], for an `Isolating` entry):
//! success makes it `Isolated`; a failure makes it `Retrying` until `retry_at =
//! now + backoff`, backoff 1 s doubling per attempt, at most 300 s (FMA's 1 s to
//! 5 min), so 1, 2, 4 and 8 s; the failure of attempt [`MAX_ATTEMPTS`] makes it
//! `GaveUp`. [`Engine::due`] turns a `Retrying` entry whose time has come back into
//! `Isolating` with the next attempt, for the caller to run the action again;
//! [`Engine::next_deadline`] tells when. [`Engine::refused`] marks an action that
//! cannot apply to the object (CPU 0, the last online CPU) `Refused`. `GaveUp` and
//! `Refused` entries no longer count against the cap. A result for an entry that is
//! not `Isolating` (cleared meanwhile, say) changes nothing.
//!
//! [`Engine::summary`] counts the entries for the node's health (`health.rs`): fired
//! but unisolated parts (`Faulty`, `DryRun`, `Refused`), isolations at their first
//! attempt, retries (`Retrying`, and `Isolating` past the first attempt), `GaveUp`,
//! `Capped`, isolated CPUs and PCI functions (an isolated page costs no capacity),
//! fired node-class entries (counted there only), and whether errors went untracked.
//!
//! # Carrying the table
//!
//! [`Fault::snapshot`] gives an entry as a [`Snapshot`] and [`Engine::restore`] opens
//! one from it in another engine: a planned kexec handoff carries the table to the
//! next kernel that way (`carry.rs`). A restored entry keeps its key, error times,
//! total, first error and trigger, and its state, except that an entry holding an
//! isolation (`Isolating`, `Retrying`, `Isolated`) comes back `Isolating` at attempt
//! 1: the new kernel has not isolated the part, so the caller runs the action again.
//! `restore` takes only a free entry (it never evicts) and refuses a class with no
//! rule, a key already in the table and inconsistent times ([`RestoreError`]).
//!
//! # Time and counts
//!
//! Every call that takes `now` (ns, `CLOCK_BOOTTIME`) uses the largest `now` it has
//! seen: time never runs backwards inside the engine, so an entry's error times never
//! decrease. Counts saturate and times saturate at `u64::MAX`: nothing overflows.

use crate::abi;

/// The largest threshold `N`; the error times kept per object.
pub const MAX_N: u32 = 32;
/// The shortest window: 1 ms.
pub const MIN_T_NS: u64 = 1_000_000;
/// The longest window: 366 days.
pub const MAX_T_NS: u64 = 366 * DAY;
/// The largest cap.
pub const MAX_CAP: u32 = 1_000_000;
/// Attempts at an action before giving up.
pub const MAX_ATTEMPTS: u32 = 5;

const SEC: u64 = 1_000_000_000;
const HOUR: u64 = 3600 * SEC;
const DAY: u64 = 24 * HOUR;
/// The first retry's delay.
const BACKOFF_BASE_NS: u64 = SEC;
/// The longest retry delay.
const BACKOFF_MAX_NS: u64 = 300 * SEC;
// The two `as` below widen (u32 and u8 to usize) in const context, where `From` is
// not available.
/// Error times kept per entry: `MAX_N`.
const RING: usize = MAX_N as usize;
/// Classes with a rule: `HD_PAGE..HD_CLASS_NR`.
const RULES: usize = 6;
const _: () = assert!(RULES + 1 == abi::HD_CLASS_NR as usize);

/// One class's rule (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Errors that fire the rule, `1..=MAX_N`.
    pub n: u32,
    /// The window in ns, `MIN_T_NS..=MAX_T_NS`.
    pub t_ns: u64,
    /// `HD_ACT_*` run when the rule fires.
    pub action: u8,
    /// Isolations the class may hold at once, `0..=MAX_CAP`.
    pub cap: u32,
    /// Fire into `DryRun`, never act.
    pub dry_run: bool,
    /// An uncorrected error fires the rule at once.
    pub ue_immediate: bool,
}

/// Why [`Rule::validate`] refused a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvalidRule {
    /// The class has no rule.
    Class,
    /// `n` is 0 or above [`MAX_N`].
    Threshold,
    /// `t_ns` is outside `MIN_T_NS..=MAX_T_NS`.
    Window,
    /// The action does not exist or does not apply to the class.
    Action,
    /// `cap` is above [`MAX_CAP`].
    Cap,
}

impl Rule {
    /// Checks the rule for `class` (see the module documentation).
    pub fn validate(&self, class: u8) -> Result<(), InvalidRule> {
        if slot(class).is_none() {
            Err(InvalidRule::Class)
        } else if !(1..=MAX_N).contains(&self.n) {
            Err(InvalidRule::Threshold)
        } else if !(MIN_T_NS..=MAX_T_NS).contains(&self.t_ns) {
            Err(InvalidRule::Window)
        } else if !action_allowed(class, self.action) {
            Err(InvalidRule::Action)
        } else if self.cap > MAX_CAP {
            Err(InvalidRule::Cap)
        } else {
            Ok(())
        }
    }
}

/// Whether `action` applies to objects of `class`.
pub fn action_allowed(class: u8, action: u8) -> bool {
    match class {
        abi::HD_PAGE => matches!(action, abi::HD_ACT_NONE | abi::HD_ACT_SOFT_OFFLINE),
        abi::HD_CPU | abi::HD_CACHE => {
            matches!(action, abi::HD_ACT_NONE | abi::HD_ACT_CPU_OFFLINE)
        }
        abi::HD_PCI => matches!(
            action,
            abi::HD_ACT_NONE | abi::HD_ACT_PCI_UNBIND | abi::HD_ACT_PCI_REMOVE
        ),
        abi::HD_DIMM | abi::HD_NODE => action == abi::HD_ACT_NONE,
        _ => false,
    }
}

/// The default rule of `class`, `None` for no class (see the module documentation).
pub fn default_rule(class: u8) -> Option<Rule> {
    let rule = |n, t_ns, action, cap, ue_immediate| Rule {
        n,
        t_ns,
        action,
        cap,
        dry_run: false,
        ue_immediate,
    };
    Some(match class {
        abi::HD_PAGE => rule(2, DAY, abi::HD_ACT_SOFT_OFFLINE, 512, false),
        abi::HD_DIMM => rule(10, DAY, abi::HD_ACT_NONE, 0, false),
        abi::HD_CPU => rule(18, DAY, abi::HD_ACT_CPU_OFFLINE, 1, true),
        abi::HD_CACHE => rule(4, 3 * DAY, abi::HD_ACT_CPU_OFFLINE, 1, true),
        abi::HD_PCI => rule(5, HOUR, abi::HD_ACT_PCI_UNBIND, 4, false),
        abi::HD_NODE => rule(1, DAY, abi::HD_ACT_NONE, 0, true),
        _ => return None,
    })
}

/// The index of `class`'s rule, `None` for no class.
fn slot(class: u8) -> Option<usize> {
    if class < abi::HD_CLASS_NR {
        usize::from(class).checked_sub(1)
    } else {
        None
    }
}

/// An object of a class: what errors are charged to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    /// `HD_*` class.
    pub class: u8,
    /// The object (pfn, DIMM, CPU, PCI function; see `HD_*`).
    pub object: u64,
}

/// A fault's state (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Errors counted, the rule has not fired.
    Suspect,
    /// Fired, the rule has no action.
    Faulty,
    /// Fired, the action is being run.
    Isolating,
    /// The action succeeded.
    Isolated,
    /// The action failed, it is run again at [`Fault::retry_at_ns`].
    Retrying,
    /// The action failed [`MAX_ATTEMPTS`] times.
    GaveUp,
    /// Fired in dry-run: the action was not run.
    DryRun,
    /// Fired with the class's cap reached: the action was not run.
    Capped,
    /// The action cannot apply to this object.
    Refused,
}

impl State {
    /// The state's name (sysfs, hactl).
    pub fn name(self) -> &'static str {
        match self {
            State::Suspect => "suspect",
            State::Faulty => "faulty",
            State::Isolating => "isolating",
            State::Isolated => "isolated",
            State::Retrying => "retrying",
            State::GaveUp => "gave-up",
            State::DryRun => "dry-run",
            State::Capped => "capped",
            State::Refused => "refused",
        }
    }

    /// Every state, in [`State::code`] order.
    pub const ALL: [State; 9] = [
        State::Suspect,
        State::Faulty,
        State::Isolating,
        State::Isolated,
        State::Retrying,
        State::GaveUp,
        State::DryRun,
        State::Capped,
        State::Refused,
    ];

    /// The state's number, its index in [`State::ALL`] (`carry.rs`).
    pub fn code(self) -> u8 {
        // ALL holds every state: the fallback is not reached.
        State::ALL
            .iter()
            .position(|&s| s == self)
            .and_then(|i| u8::try_from(i).ok())
            .unwrap_or(0)
    }

    /// The state numbered `code`, `None` for no state.
    pub fn from_code(code: u8) -> Option<State> {
        State::ALL.get(usize::from(code)).copied()
    }

    /// Whether the state holds one of the class's capped isolations.
    fn holds_cap(self) -> bool {
        matches!(self, State::Isolating | State::Retrying | State::Isolated)
    }
}

/// One entry of the fault table: an object with errors. Storage for [`Engine`].
#[derive(Clone, Copy, Debug)]
pub struct Fault {
    used: bool,
    key: Key,
    state: State,
    /// The last `len` error times; the newest at `head - 1` (mod `RING`).
    ring: [u64; RING],
    head: usize,
    len: usize,
    total: u64,
    first_ns: u64,
    last_ns: u64,
    attempt: u32,
    retry_at_ns: u64,
    trigger_seq: u64,
}

/// An entry as [`Fault::snapshot`] gives it and [`Engine::restore`] takes it (see
/// "Carrying the table").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The object.
    pub key: Key,
    /// Its state.
    pub state: State,
    /// The error times kept, newest first: `times[..len]`.
    pub times: [u64; RING],
    /// Error times kept, `1..=MAX_N`.
    pub len: usize,
    /// Errors since the entry opened, at least `len`.
    pub total: u64,
    /// Time of the first error, not after the oldest time kept.
    pub first_ns: u64,
    /// Actions tried.
    pub attempt: u32,
    /// The sequence number of the error that fired the rule, 0 before.
    pub trigger_seq: u64,
}

/// Why [`Engine::restore`] refused a snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestoreError {
    /// The class has no rule.
    Class,
    /// The key already has an entry.
    Duplicate,
    /// No entry is free.
    Full,
    /// No time kept, more than [`MAX_N`], fewer errors than times, times not newest
    /// first, or a first error after the oldest time kept.
    Times,
}

/// An unused entry, to fill the storage with.
pub const FREE: Fault = Fault {
    used: false,
    key: Key {
        class: 0,
        object: 0,
    },
    state: State::Suspect,
    ring: [0; RING],
    head: 0,
    len: 0,
    total: 0,
    first_ns: 0,
    last_ns: 0,
    attempt: 0,
    retry_at_ns: 0,
    trigger_seq: 0,
};

impl Fault {
    /// The object.
    pub fn key(&self) -> Key {
        self.key
    }

    /// The state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Errors since the entry opened (saturating).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Errors within `t_ns` before `now` (`now - time <= t_ns`), at most [`MAX_N`].
    pub fn count_within(&self, t_ns: u64, now: u64) -> u32 {
        let n = (0..self.len)
            .filter_map(|i| self.nth_newest(i))
            .take_while(|&t| now.saturating_sub(t) <= t_ns)
            .count();
        u32::try_from(n).unwrap_or(MAX_N)
    }

    /// Actions tried so far (0 until the first).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Time of the first error.
    pub fn first_ns(&self) -> u64 {
        self.first_ns
    }

    /// Time of the last error.
    pub fn last_ns(&self) -> u64 {
        self.last_ns
    }

    /// `Retrying`: when the action is run again.
    pub fn retry_at_ns(&self) -> u64 {
        self.retry_at_ns
    }

    /// The caller's sequence number of the error that fired the rule, 0 before.
    pub fn trigger_seq(&self) -> u64 {
        self.trigger_seq
    }

    /// The entry as [`Engine::restore`] takes it.
    pub fn snapshot(&self) -> Snapshot {
        let mut times = [0; RING];
        for (i, t) in times.iter_mut().enumerate().take(self.len) {
            *t = self.nth_newest(i).unwrap_or(0);
        }
        Snapshot {
            key: self.key,
            state: self.state,
            times,
            len: self.len,
            total: self.total,
            first_ns: self.first_ns,
            attempt: self.attempt,
            trigger_seq: self.trigger_seq,
        }
    }

    /// The `i`th newest error time kept (0: the newest).
    fn nth_newest(&self, i: usize) -> Option<u64> {
        if i >= self.len {
            return None;
        }
        // head < RING and i < len <= RING: no overflow, no underflow.
        let idx = self
            .head
            .checked_add(RING)?
            .checked_sub(i.checked_add(1)?)?
            % RING;
        self.ring.get(idx).copied()
    }

    /// Adds `errors` errors at `now` (not earlier than the last).
    fn push(&mut self, now: u64, errors: u64) {
        let kept = usize::try_from(errors).map_or(RING, |e| e.clamp(1, RING));
        for _ in 0..kept {
            if let Some(t) = self.ring.get_mut(self.head) {
                *t = now;
            }
            self.head = self.head.saturating_add(1) % RING;
        }
        self.len = self.len.saturating_add(kept).min(RING);
        self.total = self.total.saturating_add(errors.max(1));
        self.last_ns = now;
    }
}

/// A rule that fired (see [`Engine::record`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fired {
    /// The entry's new state: `Faulty`, `DryRun`, `Capped` or `Isolating` (then the
    /// caller runs `action` and reports with [`Engine::action_result`] or
    /// [`Engine::refused`]).
    pub state: State,
    /// The rule's `HD_ACT_*` (the one not run, in `DryRun` and `Capped`).
    pub action: u8,
    /// Errors within the rule's window at the fire, at most [`MAX_N`].
    pub count: u32,
    /// Fired by an uncorrected error under `ue_immediate`.
    pub immediate: bool,
}

/// What an error did (see [`Engine::record`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The first error of a new entry (a suspect fault).
    pub opened: bool,
    /// The rule fired on this error.
    pub fired: Option<Fired>,
    /// The table was full of fired entries: the error was not tracked.
    pub untracked: bool,
}

/// Entry counts for the node's health (see `health.rs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Fired, not isolated, not retried: `Faulty`, `DryRun` and `Refused` entries,
    /// node class aside.
    pub faulty_unisolated: u32,
    /// `Isolated` CPUs, caches and PCI functions (an isolated page costs no
    /// capacity).
    pub isolated_capacity: u32,
    /// `Isolating` entries at their first attempt.
    pub isolating: u32,
    /// `Retrying` entries, and `Isolating` ones past their first attempt.
    pub retrying: u32,
    /// `GaveUp` entries.
    pub gave_up: u32,
    /// `Capped` entries.
    pub capped: u32,
    /// Fired entries of the node class.
    pub node_faults: u32,
    /// Errors went untracked since load or the last [`Engine::clear_all`].
    pub untracked: bool,
}

/// The engine: rules, dry-run and the fault table over storage `S` (see the module
/// documentation).
pub struct Engine<S> {
    storage: S,
    rules: [Rule; RULES],
    dry_run: bool,
    clock: u64,
    evicted: u64,
    untracked: u64,
}

/// The placeholder of a class with no default (there is none).
const NO_RULE: Rule = Rule {
    n: 1,
    t_ns: DAY,
    action: abi::HD_ACT_NONE,
    cap: 0,
    dry_run: false,
    ue_immediate: false,
};

impl<S: core::ops::DerefMut<Target = [Fault]>> Engine<S> {
    /// An engine with the default rules, not in dry-run, over `storage` (any number
    /// of entries, all freed).
    pub fn new(mut storage: S) -> Self {
        storage.iter_mut().for_each(|f| *f = FREE);
        let mut rules = [NO_RULE; RULES];
        for (class, r) in (abi::HD_PAGE..abi::HD_CLASS_NR).zip(rules.iter_mut()) {
            *r = default_rule(class).unwrap_or(NO_RULE);
        }
        Self {
            storage,
            rules,
            dry_run: false,
            clock: 0,
            evicted: 0,
            untracked: 0,
        }
    }

    /// The rule of `class`, `None` for no class.
    pub fn rule(&self, class: u8) -> Option<Rule> {
        self.rules.get(slot(class)?).copied()
    }

    /// Sets the rule of `class` if it is valid ([`Rule::validate`]). Entries keep
    /// their states.
    pub fn set_rule(&mut self, class: u8, rule: Rule) -> Result<(), InvalidRule> {
        rule.validate(class)?;
        let r = slot(class)
            .and_then(|i| self.rules.get_mut(i))
            .ok_or(InvalidRule::Class)?;
        *r = rule;
        Ok(())
    }

    /// Whether every rule fires into `DryRun`.
    pub fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// Makes every rule fire into `DryRun` (`true`) or as its own `dry_run` says.
    pub fn set_dry_run(&mut self, on: bool) {
        self.dry_run = on;
    }

    /// Suspect entries evicted for new objects since load or the last
    /// [`Engine::clear_all`].
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Errors not tracked (table full) since load or the last [`Engine::clear_all`].
    pub fn untracked(&self) -> u64 {
        self.untracked
    }

    /// The entries in use.
    pub fn faults(&self) -> impl Iterator<Item = &Fault> + '_ {
        self.storage.iter().filter(|f| f.used)
    }

    /// The entry of `key`, if any.
    pub fn fault(&self, key: Key) -> Option<&Fault> {
        self.storage.iter().find(|f| f.used && f.key == key)
    }

    /// `now`, or the latest time seen if that is later; remembers it.
    fn clock(&mut self, now: u64) -> u64 {
        self.clock = self.clock.max(now);
        self.clock
    }

    fn find(&self, key: Key) -> Option<usize> {
        self.storage.iter().position(|f| f.used && f.key == key)
    }

    /// Isolations `class` holds (entries in `Isolating`, `Retrying`, `Isolated`).
    fn held(&self, class: u8) -> u32 {
        self.faults()
            .filter(|f| f.key.class == class && f.state.holds_cap())
            .fold(0u32, |n, _| n.saturating_add(1))
    }

    /// An entry for a new object: a free one, else the oldest suspect's.
    fn allocate(&mut self) -> Option<usize> {
        if let Some(i) = self.storage.iter().position(|f| !f.used) {
            return Some(i);
        }
        let i = self
            .storage
            .iter()
            .enumerate()
            .filter(|(_, f)| f.state == State::Suspect)
            .min_by_key(|(_, f)| f.last_ns)
            .map(|(i, _)| i)?;
        self.evicted = self.evicted.saturating_add(1);
        Some(i)
    }

    /// Records `errors` errors (0 counts as 1) on `key` at `now`, `uncorrected` or
    /// not, the caller's sequence number `seq`: opens the entry if new and fires its
    /// rule if it is due (see the module documentation). Keys of no class are
    /// ignored (the default [`Outcome`]).
    pub fn record(
        &mut self,
        key: Key,
        now: u64,
        errors: u64,
        uncorrected: bool,
        seq: u64,
    ) -> Outcome {
        let Some(rule) = self.rule(key.class) else {
            return Outcome::default();
        };
        let now = self.clock(now);
        let mut out = Outcome::default();
        let idx = match self.find(key) {
            Some(i) => i,
            None => match self.allocate() {
                Some(i) => {
                    out.opened = true;
                    i
                }
                None => {
                    self.untracked = self.untracked.saturating_add(1);
                    out.untracked = true;
                    return out;
                }
            },
        };
        let held = self.held(key.class);
        let dry_run = self.dry_run || rule.dry_run;
        let Some(f) = self.storage.get_mut(idx) else {
            return Outcome::default();
        };
        if out.opened {
            *f = Fault {
                used: true,
                key,
                first_ns: now,
                ..FREE
            };
        }
        f.push(now, errors);
        if f.state != State::Suspect {
            return out;
        }
        let window = rule
            .n
            .checked_sub(1)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| f.nth_newest(i))
            .is_some_and(|oldest| now.saturating_sub(oldest) <= rule.t_ns);
        let immediate = uncorrected && rule.ue_immediate;
        if !window && !immediate {
            return out;
        }
        let state = if rule.action == abi::HD_ACT_NONE {
            State::Faulty
        } else if dry_run {
            State::DryRun
        } else if held >= rule.cap {
            State::Capped
        } else {
            f.attempt = 1;
            State::Isolating
        };
        f.state = state;
        f.trigger_seq = seq;
        out.fired = Some(Fired {
            state,
            action: rule.action,
            count: f.count_within(rule.t_ns, now),
            immediate,
        });
        out
    }

    /// The result of the action on `key`, an `Isolating` entry: `ok` makes it
    /// `Isolated`, a failure `Retrying` or, after [`MAX_ATTEMPTS`], `GaveUp`.
    /// Returns the new state; `None` (nothing done) if `key` is not `Isolating`.
    pub fn action_result(&mut self, key: Key, now: u64, ok: bool) -> Option<State> {
        let now = self.clock(now);
        let f = self
            .storage
            .iter_mut()
            .find(|f| f.used && f.key == key && f.state == State::Isolating)?;
        f.state = if ok {
            State::Isolated
        } else if f.attempt < MAX_ATTEMPTS {
            f.retry_at_ns = now.saturating_add(backoff(f.attempt));
            State::Retrying
        } else {
            State::GaveUp
        };
        Some(f.state)
    }

    /// The action cannot apply to `key`, an `Isolating` entry: it becomes `Refused`.
    /// Returns whether it did.
    pub fn refused(&mut self, key: Key) -> bool {
        match self
            .storage
            .iter_mut()
            .find(|f| f.used && f.key == key && f.state == State::Isolating)
        {
            Some(f) => {
                f.state = State::Refused;
                true
            }
            None => false,
        }
    }

    /// Takes the `Retrying` entry whose retry time is the earliest if it has come at
    /// `now`: it becomes `Isolating` with the next attempt, and the caller runs the
    /// action again. `None` if no retry is due.
    pub fn due(&mut self, now: u64) -> Option<Key> {
        let now = self.clock(now);
        let f = self
            .storage
            .iter_mut()
            .filter(|f| f.used && f.state == State::Retrying && f.retry_at_ns <= now)
            .min_by_key(|f| f.retry_at_ns)?;
        f.state = State::Isolating;
        f.attempt = f.attempt.saturating_add(1);
        Some(f.key)
    }

    /// The earliest retry time, if an entry is `Retrying`.
    pub fn next_deadline(&self) -> Option<u64> {
        self.faults()
            .filter(|f| f.state == State::Retrying)
            .map(|f| f.retry_at_ns)
            .min()
    }

    /// Frees the entry of `key` (an administrator's clear, or the part came back).
    /// Returns whether there was one.
    pub fn clear(&mut self, key: Key) -> bool {
        match self.storage.iter_mut().find(|f| f.used && f.key == key) {
            Some(f) => {
                *f = FREE;
                true
            }
            None => false,
        }
    }

    /// Frees every entry of `class`; returns how many.
    pub fn clear_class(&mut self, class: u8) -> u32 {
        let mut n = 0u32;
        for f in self
            .storage
            .iter_mut()
            .filter(|f| f.used && f.key.class == class)
        {
            *f = FREE;
            n = n.saturating_add(1);
        }
        n
    }

    /// Frees every entry and resets [`Engine::evicted`] and [`Engine::untracked`];
    /// rules and dry-run stay. Returns the entries freed.
    pub fn clear_all(&mut self) -> u32 {
        let n = self.faults().fold(0u32, |n, _| n.saturating_add(1));
        self.storage.iter_mut().for_each(|f| *f = FREE);
        self.evicted = 0;
        self.untracked = 0;
        n
    }

    /// Opens an entry from `snap`, taken from another engine (see "Carrying the
    /// table"). Returns the entry's state: `Isolating` asks the caller to run the
    /// action, as for a rule that fired.
    pub fn restore(&mut self, snap: &Snapshot) -> Result<State, RestoreError> {
        self.rule(snap.key.class).ok_or(RestoreError::Class)?;
        let times = snap
            .times
            .get(..snap.len)
            .filter(|t| !t.is_empty())
            .ok_or(RestoreError::Times)?;
        let ordered = times.windows(2).all(|w| matches!(w, [a, b] if a >= b));
        let (newest, oldest) = match (times.first(), times.last()) {
            (Some(&n), Some(&o)) => (n, o),
            _ => return Err(RestoreError::Times),
        };
        if !ordered
            || u64::try_from(snap.len).map_or(true, |n| snap.total < n)
            || snap.first_ns > oldest
        {
            return Err(RestoreError::Times);
        }
        if self.find(snap.key).is_some() {
            return Err(RestoreError::Duplicate);
        }
        let i = self
            .storage
            .iter()
            .position(|f| !f.used)
            .ok_or(RestoreError::Full)?;
        self.clock(newest);
        let (state, attempt) = if snap.state.holds_cap() {
            (State::Isolating, 1)
        } else {
            (snap.state, snap.attempt)
        };
        let mut f = Fault {
            used: true,
            key: snap.key,
            state,
            first_ns: snap.first_ns,
            attempt,
            trigger_seq: snap.trigger_seq,
            ..FREE
        };
        times.iter().rev().for_each(|&t| f.push(t, 1));
        f.total = snap.total;
        let slot = self.storage.get_mut(i).ok_or(RestoreError::Full)?;
        *slot = f;
        Ok(state)
    }

    /// The entry counts the node's health is computed from.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            untracked: self.untracked > 0,
            ..Summary::default()
        };
        let inc = |n: &mut u32| *n = n.saturating_add(1);
        for f in self.faults() {
            if f.key.class == abi::HD_NODE {
                if f.state != State::Suspect {
                    inc(&mut s.node_faults);
                }
                continue;
            }
            match f.state {
                State::Suspect => {}
                State::Faulty | State::DryRun | State::Refused => inc(&mut s.faulty_unisolated),
                State::Isolating if f.attempt <= 1 => inc(&mut s.isolating),
                State::Isolating | State::Retrying => inc(&mut s.retrying),
                State::Isolated => {
                    if matches!(f.key.class, abi::HD_CPU | abi::HD_CACHE | abi::HD_PCI) {
                        inc(&mut s.isolated_capacity);
                    }
                }
                State::GaveUp => inc(&mut s.gave_up),
                State::Capped => inc(&mut s.capped),
            }
        }
        s
    }
}

/// The delay before retrying after attempt `attempt` failed: 1 s doubling per
/// attempt, at most 300 s.
fn backoff(attempt: u32) -> u64 {
    // 1 s << 9 is already past the bound: clamp the shift before shifting.
    let shift = attempt.saturating_sub(1).min(9);
    BACKOFF_BASE_NS
        .checked_shl(shift)
        .map_or(BACKOFF_MAX_NS, |d| d.min(BACKOFF_MAX_NS))
}
