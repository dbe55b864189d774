// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! Agent liveness: HA agents register with a name and a period, then heartbeat; a
//! missed deadline is noticed. Pure logic: no locking, no allocation, no clock.
//!
//! This file builds in `hadetect.ko` (`/dev/hadetect`'s ioctls and the runner call it
//! under the policy mutex) and in the userspace crate `tools/hadetect-core`.
//!
//! An agent promises a heartbeat at least every `period`. Its *deadline* is its last
//! heartbeat (or registration) plus `period`:
//!
//! - at `now > deadline` it is **late** (a yellow reason); systemd's advice for its
//!   watchdog holds here too: beat every `period / 2`;
//! - with `escalate` non-zero, at `now > deadline + escalate` it is **dead** (red);
//! - a heartbeat of a late or dead agent makes it **ok** again (`Back`);
//! - an agent that unregisters leaves (`Left`): nothing is held against it;
//! - an agent whose file is closed without unregistering (it died, or forgot) is
//!   **lost**: late at once, dead once `escalate` has passed since its deadline, until
//!   an agent registers under the same name (it took over) or an admin clears it.
//!
//! Names are unique among attached agents (`Busy` otherwise); a lost agent's name may
//! be taken over. The table holds [`MAX_AGENTS`]. Time never runs backwards inside
//! the table (the largest `now` seen is used), and nothing overflows.

/// Agents the table holds.
pub const MAX_AGENTS: usize = 32;
/// Bytes of a name, NUL included.
pub const NAME_LEN: usize = 32;
/// The shortest period: 10 ms.
pub const MIN_PERIOD_NS: u64 = 10_000_000;
/// The longest period and escalation: an hour and a day.
pub const MAX_PERIOD_NS: u64 = 3_600_000_000_000;
/// The longest escalation.
pub const MAX_ESCALATE_NS: u64 = 86_400_000_000_000;

/// An agent's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Heartbeats on time.
    Ok,
    /// Past its deadline, or lost.
    Late,
    /// Past its deadline by more than its escalation.
    Dead,
}

impl Status {
    /// The state's name (sysfs, hactl).
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Late => "late",
            Status::Dead => "dead",
        }
    }
}

/// What happened to an agent (`enum hwerr_hd_agent` in the UAPI header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Registered (or took over a lost agent's name).
    Registered = 1,
    /// Missed its deadline.
    Late = 2,
    /// Missed it by more than its escalation.
    Dead = 3,
    /// Beat again after being late or dead.
    Back = 4,
    /// Unregistered.
    Left = 5,
    /// Its file was closed without unregistering.
    Lost = 6,
}

/// Why a registration was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Bad name (empty, not NUL-terminated, or outside `[A-Za-z0-9_.:-]`), period
    /// or escalation out of range.
    Invalid,
    /// An attached agent has the name.
    Busy,
    /// The table is full.
    Full,
}

/// One agent. Storage for [`Agents`].
#[derive(Clone, Copy, Debug)]
pub struct Agent {
    used: bool,
    id: u64,
    name: [u8; NAME_LEN],
    pid: i32,
    period_ns: u64,
    escalate_ns: u64,
    last_ns: u64,
    status: Status,
    attached: bool,
}

/// An unused entry.
pub const FREE: Agent = Agent {
    used: false,
    id: 0,
    name: [0; NAME_LEN],
    pid: 0,
    period_ns: 0,
    escalate_ns: 0,
    last_ns: 0,
    status: Status::Ok,
    attached: false,
};

impl Agent {
    /// The id [`Agents::register`] returned for it.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The name, without its NUL padding.
    pub fn name(&self) -> &[u8] {
        let end = self.name.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
        self.name.get(..end).unwrap_or(&[])
    }

    /// The registering process.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The period in ns.
    pub fn period_ns(&self) -> u64 {
        self.period_ns
    }

    /// The escalation in ns (0: never dead).
    pub fn escalate_ns(&self) -> u64 {
        self.escalate_ns
    }

    /// The last heartbeat (or registration).
    pub fn last_ns(&self) -> u64 {
        self.last_ns
    }

    /// The state.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Whether its file is open (not lost).
    pub fn attached(&self) -> bool {
        self.attached
    }

    fn deadline(&self) -> u64 {
        self.last_ns.saturating_add(self.period_ns)
    }

    fn dead_line(&self) -> Option<u64> {
        (self.escalate_ns != 0).then(|| self.deadline().saturating_add(self.escalate_ns))
    }
}

/// Whether `name` (its bytes up to the first NUL) is a valid agent name.
pub fn valid_name(name: &[u8; NAME_LEN]) -> bool {
    let Some(end) = name.iter().position(|&b| b == 0) else {
        return false;
    };
    end > 0
        && name
            .iter()
            .take(end)
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

/// The agent table.
pub struct Agents {
    table: [Agent; MAX_AGENTS],
    next_id: u64,
    clock: u64,
}

impl Default for Agents {
    fn default() -> Self {
        Self::new()
    }
}

impl Agents {
    /// An empty table.
    pub const fn new() -> Self {
        Self {
            table: [FREE; MAX_AGENTS],
            next_id: 1,
            clock: 0,
        }
    }

    fn clock(&mut self, now: u64) -> u64 {
        self.clock = self.clock.max(now);
        self.clock
    }

    /// The agents in use.
    pub fn iter(&self) -> impl Iterator<Item = &Agent> + '_ {
        self.table.iter().filter(|a| a.used)
    }

    fn by_id(&mut self, id: u64) -> Option<&mut Agent> {
        self.table.iter_mut().find(|a| a.used && a.id == id)
    }

    /// Registers `name` for the calling file: returns the agent's id (never 0), for
    /// the file's later calls.
    pub fn register(
        &mut self,
        name: &[u8; NAME_LEN],
        pid: i32,
        period_ns: u64,
        escalate_ns: u64,
        now: u64,
    ) -> Result<u64, Refusal> {
        if !valid_name(name)
            || !(MIN_PERIOD_NS..=MAX_PERIOD_NS).contains(&period_ns)
            || escalate_ns > MAX_ESCALATE_NS
        {
            return Err(Refusal::Invalid);
        }
        // The bytes after the NUL are not part of the name: zero them, so that two
        // spellings of one name are one name.
        let mut name = *name;
        let len = name.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
        name.iter_mut().skip(len).for_each(|b| *b = 0);
        let now = self.clock(now);
        let taken = self.table.iter().position(|a| a.used && a.name == name);
        let slot = match taken {
            Some(i) if self.table.get(i).is_some_and(|a| a.attached) => return Err(Refusal::Busy),
            Some(i) => i,
            None => self
                .table
                .iter()
                .position(|a| !a.used)
                .ok_or(Refusal::Full)?,
        };
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        let a = self.table.get_mut(slot).ok_or(Refusal::Full)?;
        *a = Agent {
            used: true,
            id,
            name,
            pid,
            period_ns,
            escalate_ns,
            last_ns: now,
            status: Status::Ok,
            attached: true,
        };
        Ok(id)
    }

    /// A heartbeat of agent `id`: `Some(Some(Back))` if it was late or dead,
    /// `Some(None)` if it was ok, `None` for an unknown id.
    pub fn heartbeat(&mut self, id: u64, now: u64) -> Option<Option<Event>> {
        let now = self.clock(now);
        let a = self.by_id(id)?;
        a.last_ns = now;
        let back = a.status != Status::Ok;
        a.status = Status::Ok;
        Some(back.then_some(Event::Back))
    }

    /// Agent `id` unregisters: it is gone, `Left`. `None` for an unknown id.
    pub fn unregister(&mut self, id: u64) -> Option<Event> {
        let a = self.by_id(id)?;
        *a = FREE;
        Some(Event::Left)
    }

    /// Agent `id`'s file was closed without unregistering: `Lost`, late at once.
    pub fn detach(&mut self, id: u64, now: u64) -> Option<Event> {
        let now = self.clock(now);
        let a = self.by_id(id)?;
        a.attached = false;
        if a.dead_line().is_some_and(|d| now > d) {
            a.status = Status::Dead;
        } else if a.status == Status::Ok {
            a.status = Status::Late;
        }
        Some(Event::Lost)
    }

    /// Moves every agent whose deadline passed at `now` on (ok to late, late to
    /// dead), calling `event` for each move.
    pub fn check(&mut self, now: u64, mut event: impl FnMut(&Agent, Event)) {
        let now = self.clock(now);
        for a in self.table.iter_mut().filter(|a| a.used) {
            if a.status == Status::Ok && now > a.deadline() {
                a.status = Status::Late;
                event(a, Event::Late);
            }
            if a.status == Status::Late && a.dead_line().is_some_and(|d| now > d) {
                a.status = Status::Dead;
                event(a, Event::Dead);
            }
        }
    }

    /// When [`Agents::check`] next has something to do, if ever.
    pub fn next_deadline(&self) -> Option<u64> {
        self.iter()
            .filter_map(|a| match a.status {
                Status::Ok => Some(a.deadline().saturating_add(1)),
                Status::Late => a.dead_line().map(|d| d.saturating_add(1)),
                Status::Dead => None,
            })
            .min()
    }

    /// Agents late and dead, for the node's health.
    pub fn counts(&self) -> (u32, u32) {
        self.iter().fold((0u32, 0u32), |(l, d), a| match a.status {
            Status::Ok => (l, d),
            Status::Late => (l.saturating_add(1), d),
            Status::Dead => (l, d.saturating_add(1)),
        })
    }

    /// Forgets the lost (detached) agent `name`, or every lost agent for `None`;
    /// returns how many. Attached agents stay: their files own them.
    pub fn clear_lost(&mut self, name: Option<&[u8]>) -> u32 {
        let mut n = 0u32;
        for a in self.table.iter_mut().filter(|a| a.used && !a.attached) {
            if name.is_none_or(|want| a.name() == want) {
                *a = FREE;
                n = n.saturating_add(1);
            }
        }
        n
    }
}
