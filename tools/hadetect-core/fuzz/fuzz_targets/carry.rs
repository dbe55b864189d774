// SPDX-License-Identifier: GPL-2.0

//! Fuzz `carry::restore` with arbitrary items at an arbitrary clock.
//!
//! The first 8 bytes are the new kernel's clock, the rest whole items. Nothing may
//! panic; a refused blob leaves the engine as fresh as it was; a restored one has as
//! many entries as fault items, and sealed again at the same clock and restored into
//! another fresh engine, it gives the same table.

#![no_main]

use hadetect_core::abi;
use hadetect_core::carry::{self, Item, ITEM_SIZE};
use hadetect_core::engine::{default_rule, Engine, FREE};
use libfuzzer_sys::fuzz_target;
use zerocopy::FromBytes;

fuzz_target!(|data: &[u8]| {
    let Some((clock, rest)) = data.split_first_chunk::<8>() else {
        return;
    };
    let now = u64::from_le_bytes(*clock);
    let items: Vec<Item> = rest
        .chunks_exact(ITEM_SIZE)
        .filter_map(|c| Item::read_from_bytes(c).ok())
        .collect();
    let mut e = Engine::new(vec![FREE; 16]);
    match carry::restore(&mut e, items.iter().copied(), now) {
        Err(_) => {
            assert!(e.faults().next().is_none());
            assert!(!e.dry_run());
            for c in abi::HD_PAGE..abi::HD_CLASS_NR {
                assert_eq!(e.rule(c), default_rule(c));
            }
        }
        Ok(r) => {
            let faults = items.iter().filter(|i| i.kind == carry::KIND_FAULT).count();
            assert_eq!(r.faults as usize, faults);
            assert_eq!(e.faults().count(), faults);
            let again: Vec<Item> = carry::items(&e, r.overload_hold_ns, now).collect();
            let mut f = Engine::new(vec![FREE; 16]);
            let r2 = carry::restore(&mut f, again, now).expect("what restored restores");
            assert_eq!(r2.faults, r.faults);
            for (a, b) in e.faults().zip(f.faults()) {
                assert_eq!(a.snapshot(), b.snapshot());
            }
        }
    }
});
