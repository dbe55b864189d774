// SPDX-License-Identifier: GPL-2.0

//! hadetect's state across a kexec handoff: what one engine seals, a fresh engine on
//! another clock restores, windows and all; a blob it cannot take whole is refused
//! whole.

use hadetect_core::abi;
use hadetect_core::carry::{self, Bad, Item, Restored, ITEM_SIZE, KIND_FAULT, KIND_SETTINGS};
use hadetect_core::engine::{
    default_rule, Engine, Fault, Key, RestoreError, Rule, State, FREE, MAX_N, MAX_T_NS,
};
use proptest::prelude::*;
use zerocopy::{FromBytes, IntoBytes};

const SEC: u64 = 1_000_000_000;
const HOUR: u64 = 3600 * SEC;
/// The kernel's engine clock at boot.
const BASE: u64 = carry::CLOCK_BASE_NS;

fn engine() -> Engine<Vec<Fault>> {
    Engine::new(vec![FREE; 64])
}

fn page(pfn: u64) -> Key {
    Key {
        class: abi::HD_PAGE,
        object: pfn,
    }
}

fn ce(e: &mut Engine<Vec<Fault>>, k: Key, t: u64, seq: u64) -> bool {
    e.record(k, t, 1, false, seq).fired.is_some()
}

/// The blob's items as bytes and back, as KHO carries them.
fn through_bytes(items: Vec<Item>) -> Vec<Item> {
    let bytes: Vec<u8> = items.iter().flat_map(|i| i.as_bytes().to_vec()).collect();
    bytes
        .chunks(ITEM_SIZE)
        .map(|c| Item::read_from_bytes(c).expect("one item"))
        .collect()
}

fn seal(e: &Engine<Vec<Fault>>, hold: u64, now: u64) -> Vec<Item> {
    through_bytes(carry::items(e, hold, now).collect())
}

fn restored(items: &[Item], now: u64) -> (Engine<Vec<Fault>>, Result<Restored, Bad>) {
    let mut e = engine();
    let r = carry::restore(&mut e, items.iter().copied(), now);
    (e, r)
}

fn is_fresh(e: &Engine<Vec<Fault>>) -> bool {
    e.faults().next().is_none()
        && !e.dry_run()
        && (abi::HD_PAGE..abi::HD_CLASS_NR).all(|c| e.rule(c) == default_rule(c))
}

#[test]
fn item_layout() {
    // 8 bytes of small fields, two u32s, five u64s, the ages.
    assert_eq!(ITEM_SIZE, 8 + 8 + 5 * 8 + 8 * MAX_N as usize);
}

#[test]
fn a_window_spans_the_handoff() {
    // One error on a page an hour before the seal; the page rule is 2 in 24 h.
    let mut old = engine();
    let t0 = BASE + 100 * HOUR;
    assert!(!ce(&mut old, page(0x1234), t0, 7));
    let items = seal(&old, 10 * SEC, t0 + HOUR);
    // The new kernel restores 30 s after its boot: a clock far behind the old one.
    let now = BASE + 30 * SEC;
    let (mut new, r) = restored(&items, now);
    assert_eq!(
        r,
        Ok(Restored {
            overload_hold_ns: 10 * SEC,
            faults: 1,
            isolating: 0
        })
    );
    let f = *new.fault(page(0x1234)).expect("carried");
    assert_eq!((f.state(), f.total()), (State::Suspect, 1));
    assert_eq!(f.last_ns(), now - HOUR);
    // The second error, 23 h after the first, fires the rule in the new kernel.
    let fired = new
        .record(page(0x1234), now + 22 * HOUR, 1, false, 9)
        .fired
        .expect("2 in 24 h across the handoff");
    assert_eq!((fired.state, fired.count), (State::Isolating, 2));
}

#[test]
fn an_old_error_stays_out_of_the_window() {
    let mut old = engine();
    let t0 = BASE + 100 * HOUR;
    ce(&mut old, page(1), t0, 1);
    let items = seal(&old, 10 * SEC, t0 + 25 * HOUR);
    let (mut new, r) = restored(&items, BASE + 30 * SEC);
    assert_eq!(r.map(|r| r.faults), Ok(1));
    assert!(
        !ce(&mut new, page(1), BASE + 31 * SEC, 2),
        "25 h apart: no fire"
    );
}

#[test]
fn isolations_are_run_again() {
    let mut old = engine();
    let t = BASE + HOUR;
    ce(&mut old, page(5), t, 1);
    assert!(ce(&mut old, page(5), t + SEC, 2));
    assert_eq!(
        old.action_result(page(5), t + 2 * SEC, true),
        Some(State::Isolated)
    );
    // A CPU rule in dry-run: its fired entry is carried as it is.
    let mut r = default_rule(abi::HD_CPU).expect("cpu");
    r.dry_run = true;
    old.set_rule(abi::HD_CPU, r).expect("valid");
    let cpu = Key {
        class: abi::HD_CPU,
        object: 1,
    };
    assert!(old.record(cpu, t + 3 * SEC, 1, true, 3).fired.is_some());
    let items = seal(&old, SEC, t + 4 * SEC);
    let (new, res) = restored(&items, BASE + 40 * SEC);
    assert_eq!(res.map(|r| (r.faults, r.isolating)), Ok((2, 1)));
    let f = new.fault(page(5)).expect("page");
    assert_eq!(
        (f.state(), f.attempt(), f.trigger_seq()),
        (State::Isolating, 1, 2)
    );
    assert_eq!(new.fault(cpu).map(Fault::state), Some(State::DryRun));
    assert_eq!(new.rule(abi::HD_CPU), Some(r));
}

#[test]
fn settings_are_carried() {
    let mut old = engine();
    old.set_dry_run(true);
    let rule = Rule {
        n: 3,
        t_ns: HOUR,
        action: abi::HD_ACT_PCI_REMOVE,
        cap: 2,
        dry_run: false,
        ue_immediate: true,
    };
    old.set_rule(abi::HD_PCI, rule).expect("valid");
    let (new, r) = restored(&seal(&old, 42 * SEC, BASE), BASE);
    assert_eq!(r.map(|r| r.overload_hold_ns), Ok(42 * SEC));
    assert!(new.dry_run());
    assert_eq!(new.rule(abi::HD_PCI), Some(rule));
}

#[test]
fn incomplete_or_bad_blobs_are_refused_whole() {
    let mut old = engine();
    ce(&mut old, page(1), BASE + SEC, 1);
    ce(&mut old, page(2), BASE + SEC, 2);
    let items = seal(&old, SEC, BASE + 2 * SEC);
    let now = BASE + SEC;
    let refused = |items: &[Item], want: Bad| {
        let (e, r) = restored(items, now);
        assert_eq!(r, Err(want));
        assert!(is_fresh(&e), "nothing restored for {want:?}");
    };
    // A rule missing, the settings missing, a rule twice, the settings twice.
    refused(&items[1..], Bad::Rules);
    let no_settings: Vec<Item> = items
        .iter()
        .filter(|i| i.kind != KIND_SETTINGS)
        .copied()
        .collect();
    refused(&no_settings, Bad::Settings);
    let mut twice = items.clone();
    twice.insert(1, items[0]);
    refused(&twice, Bad::Rules);
    let mut twice = items.clone();
    twice.push(items[6]);
    refused(&twice, Bad::Settings);
    // A fault twice, a bad state, bad times, an unknown kind, flags, reserved bytes.
    let mut dup = items.clone();
    dup.push(items[7]);
    refused(&dup, Bad::Fault(Some(RestoreError::Duplicate)));
    let mut bad = items.clone();
    bad[7].state = 99;
    refused(&bad, Bad::Fault(None));
    let mut bad = items.clone();
    bad[7].n = 0;
    refused(&bad, Bad::Fault(Some(RestoreError::Times)));
    let mut bad = items.clone();
    bad[7].n = MAX_N + 1;
    refused(&bad, Bad::Fault(Some(RestoreError::Times)));
    let mut bad = items.clone();
    bad[7].total = 0;
    refused(&bad, Bad::Fault(Some(RestoreError::Times)));
    let mut bad = items.clone();
    bad[7].class = abi::HD_CLASS_NR;
    refused(&bad, Bad::Fault(Some(RestoreError::Class)));
    let mut bad = items.clone();
    bad[0].n = 0;
    refused(
        &bad,
        Bad::Rule(hadetect_core::engine::InvalidRule::Threshold),
    );
    let mut bad = items.clone();
    bad[8].kind = 9;
    refused(&bad, Bad::Kind);
    let mut bad = items.clone();
    bad[8].reserved[2] = 1;
    refused(&bad, Bad::Kind);
    let mut bad = items.clone();
    bad[0].flags = 0x80;
    refused(&bad, Bad::Flags);
    // A table too small for what was carried.
    let mut small = Engine::new(vec![FREE; 1]);
    assert_eq!(
        carry::restore(&mut small, items.iter().copied(), now),
        Err(Bad::Fault(Some(RestoreError::Full)))
    );
    assert!(is_fresh(&small));
}

#[test]
fn ages_out_of_order_are_refused() {
    let mut old = engine();
    ce(&mut old, page(1), BASE + SEC, 1);
    ce(&mut old, page(1), BASE + 2 * SEC, 2);
    let mut items = seal(&old, SEC, BASE + 3 * SEC);
    let f = items
        .iter_mut()
        .find(|i| i.kind == KIND_FAULT)
        .expect("fault");
    f.ages_ns.swap(0, 1);
    let (e, r) = restored(&items, BASE);
    assert_eq!(r, Err(Bad::Fault(Some(RestoreError::Times))));
    assert!(is_fresh(&e));
}

proptest! {
    /// Whatever the errors and the clocks, a sealed table restores whole, with the
    /// same entries, totals, states (isolations to run again) and windows.
    #[test]
    fn round_trip(
        errors in prop::collection::vec((0u64..6, 0u64..(48 * HOUR), any::<bool>()), 0..80),
        gap in 0u64..(400 * 24 * HOUR),
        boot in 0u64..HOUR,
    ) {
        let mut old = engine();
        let mut sorted = errors.clone();
        sorted.sort_by_key(|e| e.1);
        for (i, (obj, t, ue)) in sorted.iter().enumerate() {
            let class = abi::HD_PAGE + u8::try_from(obj % 6).expect("small");
            let k = Key { class, object: *obj };
            old.record(k, BASE + t, 1, *ue, i as u64 + 1);
        }
        let sealed_at = BASE + 48 * HOUR + gap;
        let items = seal(&old, SEC, sealed_at);
        let now = BASE + boot;
        let (new, r) = restored(&items, now);
        let r = r.expect("restored");
        prop_assert_eq!(r.faults as usize, old.faults().count());
        for f in old.faults() {
            let g = new.fault(f.key()).expect("carried");
            prop_assert_eq!(g.total(), f.total());
            prop_assert_eq!(g.trigger_seq(), f.trigger_seq());
            let want = match f.state() {
                State::Isolating | State::Retrying | State::Isolated => State::Isolating,
                s => s,
            };
            prop_assert_eq!(g.state(), want);
            // The same errors lie within any window, measured from the seal.
            for w in [SEC, HOUR, 24 * HOUR, MAX_T_NS] {
                prop_assert_eq!(g.count_within(w, now), f.count_within(w, sealed_at));
            }
        }
    }

    /// Random bytes never panic and are refused whole or restored whole.
    #[test]
    fn random_items(raw in prop::collection::vec(any::<u8>(), 0..(ITEM_SIZE * 10))) {
        let items: Vec<Item> = raw
            .chunks_exact(ITEM_SIZE)
            .map(|c| Item::read_from_bytes(c).expect("one item"))
            .collect();
        let (e, r) = restored(&items, BASE);
        if r.is_err() {
            prop_assert!(is_fresh(&e));
        }
    }
}
