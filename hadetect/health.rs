// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! The node's health: green, yellow or red, the reasons, and a score. Pure logic.
//!
//! This file builds in `hadetect.ko` and in the userspace crate
//! `tools/hadetect-core` (tests). It uses only `core`, `crate::abi` and the engine's
//! [`Summary`].
//!
//! Reasons (`HD_R_*` bits), from the engine's [`Summary`] and the caller's inputs:
//!
//! - `fault`: a fired part is neither isolated nor being isolated (`Faulty`,
//!   `DryRun`, `Refused`), or an isolation is in flight at its first attempt (the
//!   part is faulty and not isolated yet);
//! - `isolated`: a CPU or a PCI function is isolated (lost capacity; isolated pages
//!   are not a reason);
//! - `retrying`: an isolation failed and is retried (`Retrying`, and `Isolating`
//!   past the first attempt, so that a retry does not flap between `fault` and
//!   `retrying`);
//! - `isolation-failed`: an isolation gave up;
//! - `cap-reached`: a part fired with its class's cap reached;
//! - `fatal`: a node-class fault;
//! - `overload`: a global OOM, memory not recovered;
//! - `agent-late`, `agent-dead`: an agent missed its deadline, or missed it for
//!   longer than the escalation time;
//! - `table-full`: errors went untracked, the fault table being full.
//!
//! The level is red if a reason is red (`HD_R_RED`: isolation-failed, cap-reached,
//! fatal, overload, agent-dead), else yellow if there is a reason, else green.
//!
//! The score orders nodes by how unhealthy they are: 100 per red reason, 10 per
//! yellow reason, plus 1 per part or agent concerned (the summary's counts but
//! isolated pages, and the late and dead agents), saturating. It is 0 exactly when
//! the node is green. A red node outscores every yellow node with fewer than 50 parts
//! and agents concerned (there are at most 5 yellow reasons).

use crate::abi;
use crate::engine::Summary;

/// What the health is computed from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Inputs {
    /// The fault table's counts ([`crate::engine::Engine::summary`]).
    pub summary: Summary,
    /// A global OOM began and memory has not recovered.
    pub overload: bool,
    /// Agents past their deadline, not yet dead.
    pub agents_late: u32,
    /// Agents past their deadline for longer than the escalation time.
    pub agents_dead: u32,
}

/// The node's health (see the module documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Health {
    /// `HD_GREEN`, `HD_YELLOW` or `HD_RED`.
    pub level: u8,
    /// How unhealthy: comparable between nodes.
    pub score: u32,
    /// `HD_R_*` bits.
    pub reasons: u32,
}

/// The health of a node in state `i`.
pub fn health(i: &Inputs) -> Health {
    let s = &i.summary;
    let bits = [
        (s.faulty_unisolated > 0 || s.isolating > 0, abi::HD_R_FAULT),
        (s.isolated_capacity > 0, abi::HD_R_ISOLATED),
        (s.retrying > 0, abi::HD_R_RETRYING),
        (s.gave_up > 0, abi::HD_R_ISOLATION_FAILED),
        (s.capped > 0, abi::HD_R_CAP_REACHED),
        (s.node_faults > 0, abi::HD_R_FATAL),
        (i.overload, abi::HD_R_OVERLOAD),
        (i.agents_late > 0, abi::HD_R_AGENT_LATE),
        (i.agents_dead > 0, abi::HD_R_AGENT_DEAD),
        (s.untracked, abi::HD_R_TABLE_FULL),
    ];
    let reasons = bits
        .iter()
        .filter(|(on, _)| *on)
        .fold(0u32, |r, (_, bit)| r | bit);
    let level = if reasons & abi::HD_R_RED != 0 {
        abi::HD_RED
    } else if reasons != 0 {
        abi::HD_YELLOW
    } else {
        abi::HD_GREEN
    };
    let parts = [
        s.faulty_unisolated,
        s.isolated_capacity,
        s.isolating,
        s.retrying,
        s.gave_up,
        s.capped,
        s.node_faults,
        i.agents_late,
        i.agents_dead,
    ];
    let red = (reasons & abi::HD_R_RED).count_ones();
    let yellow = (reasons & !abi::HD_R_RED).count_ones();
    let score = parts
        .iter()
        .fold(0u32, |n, &p| n.saturating_add(p))
        .saturating_add(red.saturating_mul(100))
        .saturating_add(yellow.saturating_mul(10));
    Health {
        level,
        score,
        reasons,
    }
}

/// Writes the names of the `HD_R_*` bits set in `reasons` (`HD_REASON_NAMES`), in
/// bit order, separated by spaces; nothing for none. Unknown bits are left out.
pub fn reasons_text(reasons: u32, out: &mut impl core::fmt::Write) -> core::fmt::Result {
    let mut sep = "";
    for (bit, name) in abi::HD_REASON_NAMES.iter().enumerate() {
        let set = u32::try_from(bit)
            .ok()
            .and_then(|b| 1u32.checked_shl(b))
            .is_some_and(|m| reasons & m != 0);
        if set {
            out.write_str(sep)?;
            out.write_str(name)?;
            sep = " ";
        }
    }
    Ok(())
}
