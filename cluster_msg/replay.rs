// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! The anti-replay window of one stream of one peer's incarnation. Pure logic: no
//! allocation, no panic on any input.
//!
//! This file builds in `cluster_msg.ko` and in the userspace crate
//! `tools/cluster-core` (tests). It uses only `core` and [`crate::wire::Reject`].
//!
//! A sliding window as in WireGuard and IPsec (RFC 6479 without the ring), of
//! [`Window::SIZE`] sequence numbers: the highest accepted one, `top`, and a bitmap of
//! the `SIZE - 1` below it. A sequence number is accepted when it is above `top`
//! (however far: the tag is verified before the window is consulted), or at most
//! `SIZE - 1` below it and not accepted before, so that datagrams reordered by the
//! network within the window still count. 0 is never accepted (sequence numbers start
//! at 1), nor is anything `SIZE` or more below `top` (`TooOld`). An accepted number
//! seen again is `Replayed`.
//!
//! [`Window::check`] only looks; [`Window::update`] records a number that `check`
//! accepted, after whatever else decides about the datagram (the receiver updates the
//! window only for datagrams it accepts).

use crate::wire::Reject;

/// A stream's window (see the module documentation). `Default` is empty: nothing
/// accepted yet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    /// The highest accepted sequence number, 0 for none.
    top: u64,
    /// Bit `i`: `top - i` was accepted (bit 0 is `top` itself).
    seen: u64,
}

impl Window {
    /// Sequence numbers the window spans: `top` and the `SIZE - 1` below it.
    pub const SIZE: u64 = 64;

    /// The empty window, as `Default` gives (usable in `const` context).
    pub const EMPTY: Window = Window { top: 0, seen: 0 };

    /// The bit of `seq` in `seen`, if `seq` is within the window at or below `top`.
    fn bit(&self, seq: u64) -> Option<u64> {
        let behind = self.top.checked_sub(seq)?;
        if behind >= Self::SIZE {
            return None;
        }
        u32::try_from(behind).ok().and_then(|b| 1u64.checked_shl(b))
    }

    /// Whether `seq` would be accepted: `TooOld` for 0 and for `SIZE` or more below
    /// the top, `Replayed` if already accepted.
    pub fn check(&self, seq: u64) -> Result<(), Reject> {
        if seq == 0 {
            return Err(Reject::TooOld);
        }
        if seq > self.top {
            return Ok(());
        }
        match self.bit(seq) {
            None => Err(Reject::TooOld),
            Some(m) if self.seen & m != 0 => Err(Reject::Replayed),
            Some(_) => Ok(()),
        }
    }

    /// Records `seq` as accepted. Does nothing for 0 or a number below the window.
    pub fn update(&mut self, seq: u64) {
        if seq == 0 {
            return;
        }
        match seq.checked_sub(self.top) {
            Some(ahead) if ahead > 0 => {
                let shifted = u32::try_from(ahead)
                    .ok()
                    .and_then(|a| self.seen.checked_shl(a))
                    .unwrap_or(0);
                self.seen = shifted | 1;
                self.top = seq;
            }
            _ => {
                if let Some(m) = self.bit(seq) {
                    self.seen |= m;
                }
            }
        }
    }

    /// [`Window::check`], and [`Window::update`] if accepted.
    pub fn check_and_update(&mut self, seq: u64) -> Result<(), Reject> {
        self.check(seq)?;
        self.update(seq);
        Ok(())
    }

    /// Empties the window (a new incarnation).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// The highest accepted sequence number, 0 if none.
    pub fn top(&self) -> u64 {
        self.top
    }
}
