// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! The handoff's phases: the state machine behind the `state` and `request`
//! attributes of `/sys/kernel/ha/kexec_handoff/`.
//! Pure logic: no allocation, no lock, no clock, no panic on any input.
//!
//! This file builds in `kexec_handoff.ko` and in the userspace crate
//! `tools/handoff-core` (tests). It uses only `core`.
//!
//! # Phases and inputs
//!
//! `state` shows the phase's [`Phase::name`]. A handoff starts `idle` (or `restored`
//! in a kernel a handoff arrived in); `prepare` preserves the modules' state and,
//! once it is preserved, the handoff is `ready`; the kexec then commits it. `abort`,
//! a failed preparation or a reboot that carries nothing ends it `aborted`, with an
//! [`AbortReason`]; a new `prepare` may follow.
//!
//! ```text
//!             prepare    abort      prepared   prepared   commit     rebooted
//!                                   Ok         Err(r)     (kexec)    (other)
//! idle        preparing  Busy       Stale      Stale      -          -
//! preparing   Busy       aborted Q  ready      aborted r  aborted B  aborted B
//! ready       Busy       aborted Q  Stale      Stale      committed  aborted B
//! committed   Busy       Busy       Stale      Stale      -          -
//! restored    preparing  Busy       Stale      Stale      -          -
//! aborted     preparing  Busy       Stale      Stale      -          -
//! ```
//!
//! Q is [`AbortReason::Requested`], B [`AbortReason::Rebooted`], r the reason
//! given; `-` changes nothing. `prepared` is also [`Stale`] in `preparing` when it
//! names another preparation than the current one. [`Handoff::restored`] moves `idle`
//! to `restored` and changes nothing in any other phase. Once [`Handoff::commit`] or
//! [`Handoff::rebooted`] has run, the kernel is going down: every request is refused
//! with [`Busy`] from then on, whatever the phase, so that nothing is preserved that
//! nobody would seal.
//!
//! Every accepted input returns the [`Transition`] it made, for the caller to report
//! (a record on `/dev/hwerr`, `sysfs_notify()` on `state`).
//!
//! # Who calls what
//!
//! The caller serializes the calls (one [`Handoff`] behind a mutex). kexec_handoff
//! holds that mutex across a whole preparation (`state.rs`), so there its
//! [`Handoff::prepared`] is never [`Stale`]; the table defines [`Stale`] for a caller
//! that would drop the lock while it preserves.
//!
//! - [`parse_request`] and [`Handoff::request`]: the `request` attribute's store,
//!   process context. `None` from [`parse_request`] is `-EINVAL`, [`Busy`] is
//!   `-EBUSY`.
//! - [`Handoff::prepared`]: the thread that accepted `prepare`, once it has preserved
//!   the state (or failed to), process context: KHO's preservation allocates and
//!   sleeps. It names its preparation by [`Transition::attempt`]; [`Stale`] means an
//!   `abort` or a reboot ended that preparation meanwhile, and the caller releases
//!   what it preserved.
//! - [`Handoff::commit`]: the reboot notifier on the kexec path (`"kexec reboot"`),
//!   process context, may sleep: other CPUs and userspace still run. It makes the
//!   final flush and seal when told to [`Commit::Carry`].
//! - [`Handoff::rebooted`]: the same notifier on any other reboot or power-off.
//! - [`Handoff::restored`]: module initialization in the new kernel, process
//!   context, when a valid blob of the handoff arrived.

/// Why a handoff ended `aborted`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AbortReason {
    /// An `abort` request.
    Requested,
    /// The preparation found KHO disabled (no `kho=on` at cold boot, or no scratch
    /// memory).
    KhoDisabled,
    /// The preparation failed to preserve the state: the kernel error code, a
    /// negative errno as `Error::to_errno()` gives it.
    PreserveFailed(i32),
    /// The machine rebooted before the handoff was committed: a reboot that is not a
    /// kexec while preparing or ready, or a kexec while still preparing. Nothing is
    /// carried.
    Rebooted,
}

impl AbortReason {
    /// The lowercase name (`kho-disabled`).
    pub fn name(self) -> &'static str {
        match self {
            AbortReason::Requested => "requested",
            AbortReason::KhoDisabled => "kho-disabled",
            AbortReason::PreserveFailed(_) => "preserve-failed",
            AbortReason::Rebooted => "rebooted",
        }
    }
}

/// A phase of the handoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// No handoff under way.
    Idle,
    /// `prepare` accepted: the state is being preserved.
    Preparing,
    /// The state is preserved: a kexec now carries it.
    Ready,
    /// The kexec is under way and carries the state. Final.
    Committed,
    /// This kernel was started by a handoff and restored its state.
    Restored,
    /// The handoff ended without a kexec, for the reason given; nothing is kept
    /// preserved.
    Aborted(AbortReason),
}

impl Phase {
    /// The name `state` shows (`preparing`); `aborted` whatever the reason.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Preparing => "preparing",
            Phase::Ready => "ready",
            Phase::Committed => "committed",
            Phase::Restored => "restored",
            Phase::Aborted(_) => "aborted",
        }
    }
}

/// A request written to `request`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Request {
    /// `prepare`: preserve the state for a kexec.
    Prepare,
    /// `abort`: give the handoff up and release what was preserved.
    Abort,
}

impl Request {
    /// The word written to `request`.
    pub fn name(self) -> &'static str {
        match self {
            Request::Prepare => "prepare",
            Request::Abort => "abort",
        }
    }
}

/// The request `input` (what was written to `request`) names: a word, followed by at
/// most one `'\n'`. `None` for anything else.
pub fn parse_request(input: &[u8]) -> Option<Request> {
    let word = input.strip_suffix(b"\n").unwrap_or(input);
    [Request::Prepare, Request::Abort]
        .into_iter()
        .find(|r| r.name().as_bytes() == word)
}

/// A change of phase, for the caller to report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Transition {
    /// The phase before.
    pub from: Phase,
    /// The phase after.
    pub to: Phase,
    /// The preparation the handoff is at: how many `prepare` requests were accepted
    /// (wrapping), the one that began this preparation included.
    pub attempt: u32,
}

/// A request the phase does not allow (`-EBUSY`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Busy;

/// [`Handoff::prepared`] for a preparation that is no longer under way: nothing
/// changed, and the caller releases what it preserved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stale;

/// What [`Handoff::commit`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Commit {
    /// `ready` became `committed`: the state is carried; flush and seal it.
    Carry(Transition),
    /// A preparation was still under way: `preparing` became `aborted (rebooted)`
    /// and nothing is carried. The preparation's [`Handoff::prepared`] gets
    /// [`Stale`].
    Abandon(Transition),
    /// No handoff was prepared, or it was already committed: nothing changed.
    Nothing,
}

impl Commit {
    /// Whether the state is carried into the next kernel.
    pub fn carries(self) -> bool {
        matches!(self, Commit::Carry(_))
    }
}

/// The handoff: its phase and the preparation it is at. See the module
/// documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handoff {
    phase: Phase,
    /// [`Transition::attempt`].
    attempt: u32,
    /// A reboot notifier ran: the kernel is going down.
    going_down: bool,
}

impl Default for Handoff {
    fn default() -> Self {
        Self::new()
    }
}

impl Handoff {
    /// An `idle` handoff.
    pub const fn new() -> Self {
        Handoff {
            phase: Phase::Idle,
            attempt: 0,
            going_down: false,
        }
    }

    /// The phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// How many `prepare` requests were accepted (wrapping).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Moves to `to`; the transition made.
    fn go(&mut self, to: Phase) -> Transition {
        let from = self.phase;
        self.phase = to;
        Transition {
            from,
            to,
            attempt: self.attempt,
        }
    }

    /// A request written to `request`: `prepare` from `idle`, `aborted` or
    /// `restored` begins a preparation (`preparing`, the next attempt); `abort` from
    /// `preparing` or `ready` ends the handoff `aborted (requested)`. [`Busy`] in any
    /// other phase, and once the kernel is going down.
    pub fn request(&mut self, req: Request) -> Result<Transition, Busy> {
        if self.going_down {
            return Err(Busy);
        }
        match (req, self.phase) {
            (Request::Prepare, Phase::Idle | Phase::Aborted(_) | Phase::Restored) => {
                self.attempt = self.attempt.wrapping_add(1);
                Ok(self.go(Phase::Preparing))
            }
            (Request::Abort, Phase::Preparing | Phase::Ready) => {
                Ok(self.go(Phase::Aborted(AbortReason::Requested)))
            }
            _ => Err(Busy),
        }
    }

    /// The end of preparation `attempt`: `Ok` once the state is preserved
    /// (`ready`), or the reason it failed (`aborted`). [`Stale`] if the handoff is not
    /// `preparing` that attempt any more (an `abort` or a reboot came first): nothing
    /// changes, and the caller releases what it preserved.
    pub fn prepared(
        &mut self,
        attempt: u32,
        result: Result<(), AbortReason>,
    ) -> Result<Transition, Stale> {
        if self.phase != Phase::Preparing || attempt != self.attempt {
            return Err(Stale);
        }
        Ok(match result {
            Ok(()) => self.go(Phase::Ready),
            Err(reason) => self.go(Phase::Aborted(reason)),
        })
    }

    /// The kexec is under way (the reboot notifier, `"kexec reboot"`): `ready`
    /// becomes `committed` and the state is carried; a preparation still under way is
    /// abandoned. From now on every request is refused.
    pub fn commit(&mut self) -> Commit {
        self.going_down = true;
        match self.phase {
            Phase::Ready => Commit::Carry(self.go(Phase::Committed)),
            Phase::Preparing => Commit::Abandon(self.go(Phase::Aborted(AbortReason::Rebooted))),
            _ => Commit::Nothing,
        }
    }

    /// A reboot or power-off that is not a kexec (the reboot notifier): a handoff
    /// `preparing` or `ready` ends `aborted (rebooted)`, nothing carried; `None` in
    /// other phases. From now on every request is refused.
    pub fn rebooted(&mut self) -> Option<Transition> {
        self.going_down = true;
        matches!(self.phase, Phase::Preparing | Phase::Ready)
            .then(|| self.go(Phase::Aborted(AbortReason::Rebooted)))
    }

    /// A handoff arrived in this kernel and its state was restored (module
    /// initialization): `idle` becomes `restored`; `None` in other phases.
    pub fn restored(&mut self) -> Option<Transition> {
        (self.phase == Phase::Idle && !self.going_down).then(|| self.go(Phase::Restored))
    }
}
