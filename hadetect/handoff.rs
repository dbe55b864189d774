// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! hadetect across a planned kexec handoff (kexec_handoff, through hwerr's
//! `hasys_handoff_*()` chain; Documentation/hasys/kexec_handoff.rst). What is carried
//! and how is `carry.rs`; this is the KHO side.
//!
//! - Prepare: the policy preserves a blob (`hasys-hadetect`, owner `Hadetect`) sized
//!   for every rule, the settings and a full fault table.
//! - Abort: the blob is released.
//! - Commit (the reboot notifier on the kexec path): the rules, settings and fault
//!   table are sealed into it, under the policy mutex.
//! - In the next kernel, at load, before the policy takes any record: [`restore`]
//!   validates the blob, restores all of it or nothing, and frees it. Parts that were
//!   isolated are isolated again by the new kernel's runner.

use crate::carry::{self, Item};
use crate::engine::{Engine, Fault};
use crate::{kho, kho_blob};
use kernel::{alloc::KVVec, prelude::*};

/// The KHO subtree.
pub(crate) const NAME: &CStr = c"hasys-hadetect";

/// Bytes to preserve: every rule, the settings and `entries` faults.
pub(crate) fn blob_size(entries: usize) -> usize {
    kho_blob::size_for(carry::ITEM_SIZE, carry::items_for(entries)).unwrap_or(0)
}

/// What the previous kernel handed over and [`restore`] restored.
#[derive(Clone, Copy)]
pub(crate) struct Restored {
    pub(crate) carried: carry::Restored,
    /// Handoffs this state has been through.
    pub(crate) handoffs: u32,
}

/// Restores into `engine`, fresh, what the previous kernel handed over, its ages
/// taken back from `now` (the engine's clock); frees the blob. `None` when nothing
/// was handed over, or it was refused: then the reason goes to the kernel log and
/// `engine` stays fresh.
///
/// Context: module init, process.
pub(crate) fn restore(engine: &mut Engine<KVVec<Fault>>, now: u64) -> Option<Restored> {
    let owner = kho_blob::Owner::Hadetect;
    let restored = kho::Found::with_blob(NAME, owner, carry::ITEM_SIZE, |blob| {
        // Each item is `ITEM_SIZE` bytes: the read cannot fail, and a failure would
        // leave an item out, which `carry::restore` refuses as incomplete.
        let items = blob
            .items()
            .filter_map(|i| <Item as zerocopy::FromBytes>::read_from_bytes(i).ok());
        Ok::<_, carry::Bad>((carry::restore(engine, items, now)?, blob.meta()))
    });
    let why = match restored {
        Ok(None) => return None,
        Ok(Some(Ok((carried, meta)))) => {
            pr_info!(
                "handoff: restored the rules and {} faults ({} to isolate again), {} handoffs, {} lost\n",
                carried.faults,
                carried.isolating,
                meta.handoffs,
                meta.lost
            );
            return Some(Restored {
                carried,
                handoffs: meta.handoffs,
            });
        }
        Ok(Some(Err(bad))) => bad.name(),
        Err(kho::Refused::Broken(e)) => {
            pr_err!(
                "handoff: the blob is refused (broken-subtree, {:?}): nothing restored\n",
                e
            );
            return None;
        }
        Err(refused) => refused.name(),
    };
    pr_err!("handoff: the blob is refused ({}): nothing restored\n", why);
    None
}

/// Seals `engine`'s state at `now` into `blob` and gives it to the next kernel.
/// `handoffs`: those the state had been through before this one.
///
/// Context: process (the reboot notifier on the kexec path), the policy mutex held.
pub(crate) fn seal(
    blob: kho::Preserved,
    engine: &Engine<KVVec<Fault>>,
    overload_hold_ns: u64,
    handoffs: u32,
    now: u64,
) {
    let meta = kho_blob::Meta {
        handoffs: handoffs.saturating_add(1),
        lost: 0,
        // SAFETY: Any context.
        sealed_ns: unsafe { kernel::bindings::ktime_get_real_fast_ns() },
        boot_id: [0; kho_blob::BOOT_ID_LEN],
    };
    let items = carry::items(engine, overload_hold_ns, now);
    if let Err(e) = blob.seal_all(kho_blob::Owner::Hadetect, items, &meta) {
        pr_err!("handoff: the state was not sealed ({:?})\n", e);
    }
}
