// SPDX-License-Identifier: GPL-2.0

//! What the test files share: a real HMAC-SHA256 [`Mac`] and packet helpers.

#![allow(dead_code)]

use cluster_core::wire::{self, Header, Mac, Reject, MAX_PACKET, TAG_LEN};
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

/// The key slots, HMAC-SHA256 from the `hmac` and `sha2` crates (constant-time
/// verification with `verify_slice`).
#[derive(Clone, Debug, Default)]
pub struct Keys {
    pub slots: [Option<Vec<u8>>; 2],
}

impl Keys {
    /// Slot 0 holds `key`, slot 1 nothing.
    pub fn one(key: &[u8]) -> Self {
        Keys {
            slots: [Some(key.to_vec()), None],
        }
    }

    fn hmac(&self, key_id: u8) -> Option<Hmac<Sha256>> {
        let key = self.slots.get(usize::from(key_id))?.as_ref()?;
        Some(Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length"))
    }
}

impl Mac for Keys {
    fn sign(&self, key_id: u8, data: &[u8]) -> Option<[u8; TAG_LEN]> {
        let mut m = self.hmac(key_id)?;
        m.update(data);
        Some(m.finalize().into_bytes().into())
    }

    fn verify(&self, key_id: u8, data: &[u8], tag: &[u8; TAG_LEN]) -> Result<(), Reject> {
        let mut m = self.hmac(key_id).ok_or(Reject::NoKey)?;
        m.update(data);
        m.verify_slice(tag).map_err(|_| Reject::BadMac)
    }
}

/// The cluster's key in the tests.
pub const KEY: &[u8] = b"hasys cluster test key, 32 bytes";

/// The cluster's keys: [`KEY`] in slot 0.
pub fn keys() -> Keys {
    Keys::one(KEY)
}

/// `h` and `payload` sealed with `mac`.
pub fn sealed(h: &Header, payload: &[u8], mac: &impl Mac) -> Vec<u8> {
    let mut buf = [0u8; MAX_PACKET];
    let n = wire::seal(h, payload, mac, &mut buf).expect("seal");
    buf[..n].to_vec()
}

/// Parse and verify, as a receiver does before its state checks.
pub fn open(pkt: &[u8], mac: &impl Mac) -> Result<Header, Reject> {
    let p = wire::parse(pkt)?;
    mac.verify(p.header.key_id, p.signed, p.tag)?;
    Ok(p.header)
}

/// A valid heartbeat header from `sender` to `dest` in cluster 7.
pub fn heartbeat(sender: u32, dest: u32, seq: u64) -> Header {
    Header {
        msg_type: wire::T_HEARTBEAT,
        cluster_id: 7,
        sender,
        dest,
        incarnation: [sender as u8; 16],
        epoch: 3,
        seq,
        sent_ns: 1_000_000_000,
        wall_s: 1_700_000_000,
        ..Header::default()
    }
}
