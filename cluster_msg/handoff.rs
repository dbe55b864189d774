// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! cluster_msg across a planned kexec handoff (kexec_handoff, through hwerr's
//! `hasys_handoff_*()` chain; Documentation/hasys/kexec_handoff.rst).
//!
//! - Prepare: the node preserves a blob (`hasys-cluster_msg`, owner `ClusterMsg`) and
//!   leaves with reason `CL_R_HANDOFF` and `handoff_ms`, so that its peers show it as
//!   `handoff`, not `down`, until it is back or that time (plus their dead time) has
//!   passed. The kexec that follows sends no dying gasp (`cm_handoff_hold()`).
//! - Abort: the blob is released and the node rejoins: its peers see it stay.
//! - Commit (the reboot notifier on the kexec path): the blob gets [`Carried`] and is
//!   sealed; one more leave restarts the peers' clock.
//! - In the next kernel, at load, [`find`] validates and frees the blob; the node
//!   continues the old epoch when it is enabled again with the same node and cluster
//!   ids ([`Membership::resume_epoch`](crate::membership::Membership::resume_epoch)).
//!   Peers are learnt again from their heartbeats; keys and configuration are never
//!   carried (the agent that configured the old kernel configures the new one).

use crate::{kho, kho_blob};
use kernel::prelude::*;
use zerocopy_derive::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The KHO subtree.
pub(crate) const NAME: &CStr = c"hasys-cluster_msg";

/// The blob's only item. Native byte order: both kernels run on the same machine.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub(crate) struct Carried {
    /// The epoch at the commit.
    pub(crate) epoch: u64,
    /// This node's id and cluster then: the epoch is only continued for the same.
    pub(crate) node_id: u32,
    pub(crate) cluster_id: u32,
    /// The incarnation that handed over (for the kernel log).
    pub(crate) incarnation: [u8; 16],
    /// Peers `up` at the commit.
    pub(crate) up_members: u32,
    /// The `handoff_ms` the peers were told.
    pub(crate) handoff_ms: u32,
}

/// What the previous kernel handed over, validated.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Restored {
    pub(crate) carried: Carried,
    /// Handoffs this state has been through.
    pub(crate) handoffs: u32,
}

/// Bytes to preserve for the blob.
pub(crate) fn blob_size() -> usize {
    kho_blob::size_for(core::mem::size_of::<Carried>(), 1).unwrap_or(0)
}

/// The blob the previous kernel handed over, validated, then freed: `None` when there
/// is none, or it was refused (the reason goes to the kernel log, nothing restored).
/// Context: module init, process.
pub(crate) fn find() -> Option<Restored> {
    match kho::Found::find_one::<Carried>(NAME, kho_blob::Owner::ClusterMsg) {
        Ok(Some((carried, meta))) => {
            pr_info!(
                "handoff: epoch {} of node {} carried ({} handoffs)\n",
                carried.epoch,
                carried.node_id,
                meta.handoffs
            );
            Some(Restored {
                carried,
                handoffs: meta.handoffs,
            })
        }
        Ok(None) => None,
        Err(r) => {
            pr_err!(
                "handoff: the blob is refused ({}): nothing restored\n",
                r.name()
            );
            None
        }
    }
}
