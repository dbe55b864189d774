// SPDX-License-Identifier: GPL-2.0

//! The policy engine: N-in-T windows, one action per fault, caps, retries, a bounded
//! table, a clock that never runs backwards, and no panic on any input.

use hadetect_core::abi;
use hadetect_core::engine::{
    action_allowed, default_rule, Engine, Fault, Fired, InvalidRule, Key, Outcome, Rule, State,
    Summary, FREE, MAX_ATTEMPTS, MAX_CAP, MAX_N, MAX_T_NS, MIN_T_NS,
};
use proptest::prelude::*;

const MS: u64 = 1_000_000;
const SEC: u64 = 1000 * MS;
const HOUR: u64 = 3600 * SEC;
const DAY: u64 = 24 * HOUR;

fn engine(entries: usize) -> Engine<Vec<Fault>> {
    Engine::new(vec![FREE; entries])
}

fn key(class: u8, object: u64) -> Key {
    Key { class, object }
}

fn cpu(object: u64) -> Key {
    key(abi::HD_CPU, object)
}

/// A CPU-offline rule N/T with a large cap.
fn rule(n: u32, t_ns: u64) -> Rule {
    Rule {
        n,
        t_ns,
        action: abi::HD_ACT_CPU_OFFLINE,
        cap: 1000,
        dry_run: false,
        ue_immediate: false,
    }
}

/// An engine whose CPU rule is N/T (cap 1000).
fn cpu_engine(n: u32, t_ns: u64) -> Engine<Vec<Fault>> {
    let mut e = engine(64);
    e.set_rule(abi::HD_CPU, rule(n, t_ns)).expect("valid rule");
    e
}

/// One corrected error.
fn ce(e: &mut Engine<Vec<Fault>>, k: Key, t: u64) -> Outcome {
    e.record(k, t, 1, false, t)
}

/// Records corrected errors at `times`; returns the index of each fire.
fn fires(e: &mut Engine<Vec<Fault>>, k: Key, times: &[u64]) -> Vec<usize> {
    times
        .iter()
        .enumerate()
        .filter(|&(_, &t)| ce(e, k, t).fired.is_some())
        .map(|(i, _)| i)
        .collect()
}

fn state(e: &Engine<Vec<Fault>>, k: Key) -> Option<State> {
    e.fault(k).map(Fault::state)
}

/// Isolations a class holds.
fn held(e: &Engine<Vec<Fault>>, class: u8) -> usize {
    e.faults()
        .filter(|f| {
            f.key().class == class
                && matches!(
                    f.state(),
                    State::Isolating | State::Retrying | State::Isolated
                )
        })
        .count()
}

// ---------------------------------------------------------------- rules

#[test]
fn defaults_are_the_documented_ones_and_validate() {
    let d = |c| default_rule(c).expect("class has a default");
    let p = d(abi::HD_PAGE);
    assert_eq!(
        (p.n, p.t_ns, p.action, p.cap, p.ue_immediate),
        (2, DAY, abi::HD_ACT_SOFT_OFFLINE, 512, false)
    );
    let m = d(abi::HD_DIMM);
    assert_eq!(
        (m.n, m.t_ns, m.action, m.cap, m.ue_immediate),
        (10, DAY, abi::HD_ACT_NONE, 0, false)
    );
    let c = d(abi::HD_CPU);
    assert_eq!(
        (c.n, c.t_ns, c.action, c.cap, c.ue_immediate),
        (18, DAY, abi::HD_ACT_CPU_OFFLINE, 1, true)
    );
    let k = d(abi::HD_CACHE);
    assert_eq!(
        (k.n, k.t_ns, k.action, k.cap, k.ue_immediate),
        (4, 3 * DAY, abi::HD_ACT_CPU_OFFLINE, 1, true)
    );
    let x = d(abi::HD_PCI);
    assert_eq!(
        (x.n, x.t_ns, x.action, x.cap, x.ue_immediate),
        (5, HOUR, abi::HD_ACT_PCI_UNBIND, 4, false)
    );
    let n = d(abi::HD_NODE);
    assert_eq!(
        (n.n, n.t_ns, n.action, n.cap, n.ue_immediate),
        (1, DAY, abi::HD_ACT_NONE, 0, true)
    );
    let e = engine(1);
    for class in abi::HD_PAGE..abi::HD_CLASS_NR {
        let r = d(class);
        assert!(!r.dry_run);
        assert_eq!(r.validate(class), Ok(()), "class {class}");
        assert_eq!(e.rule(class), Some(r));
    }
    for class in [abi::HD_NONE, abi::HD_CLASS_NR, 200, u8::MAX] {
        assert_eq!(default_rule(class), None);
        assert_eq!(e.rule(class), None);
    }
    assert!(!e.dry_run());
}

#[test]
fn rule_validation_boundaries() {
    let ok = rule(3, HOUR);
    let v = |r: Rule| r.validate(abi::HD_CPU);
    assert_eq!(v(ok), Ok(()));
    assert_eq!(v(Rule { n: 0, ..ok }), Err(InvalidRule::Threshold));
    assert_eq!(v(Rule { n: 1, ..ok }), Ok(()));
    assert_eq!(v(Rule { n: MAX_N, ..ok }), Ok(()));
    assert_eq!(v(Rule { n: MAX_N + 1, ..ok }), Err(InvalidRule::Threshold));
    assert_eq!(v(Rule { n: u32::MAX, ..ok }), Err(InvalidRule::Threshold));
    assert_eq!(v(Rule { t_ns: 0, ..ok }), Err(InvalidRule::Window));
    assert_eq!(
        v(Rule {
            t_ns: MIN_T_NS - 1,
            ..ok
        }),
        Err(InvalidRule::Window)
    );
    assert_eq!(MIN_T_NS, MS);
    assert_eq!(
        v(Rule {
            t_ns: MIN_T_NS,
            ..ok
        }),
        Ok(())
    );
    assert_eq!(MAX_T_NS, 366 * DAY);
    assert_eq!(
        v(Rule {
            t_ns: MAX_T_NS,
            ..ok
        }),
        Ok(())
    );
    assert_eq!(
        v(Rule {
            t_ns: MAX_T_NS + 1,
            ..ok
        }),
        Err(InvalidRule::Window)
    );
    assert_eq!(v(Rule { cap: MAX_CAP, ..ok }), Ok(()));
    assert_eq!(
        v(Rule {
            cap: MAX_CAP + 1,
            ..ok
        }),
        Err(InvalidRule::Cap)
    );
    assert_eq!(
        v(Rule {
            action: abi::HD_ACT_NR,
            ..ok
        }),
        Err(InvalidRule::Action)
    );
    assert_eq!(
        v(Rule {
            action: abi::HD_ACT_SOFT_OFFLINE,
            ..ok
        }),
        Err(InvalidRule::Action)
    );
    assert_eq!(ok.validate(abi::HD_NONE), Err(InvalidRule::Class));
    assert_eq!(ok.validate(abi::HD_CLASS_NR), Err(InvalidRule::Class));

    // set_rule validates and leaves the old rule on error.
    let mut e = engine(1);
    let before = e.rule(abi::HD_CPU);
    assert_eq!(
        e.set_rule(abi::HD_CPU, Rule { n: 0, ..ok }),
        Err(InvalidRule::Threshold)
    );
    assert_eq!(e.set_rule(abi::HD_NONE, ok), Err(InvalidRule::Class));
    assert_eq!(e.set_rule(7, ok), Err(InvalidRule::Class));
    assert_eq!(e.rule(abi::HD_CPU), before);
    assert_eq!(e.set_rule(abi::HD_CPU, ok), Ok(()));
    assert_eq!(e.rule(abi::HD_CPU), Some(ok));
}

#[test]
fn actions_allowed_per_class() {
    use abi::*;
    let allowed: &[(u8, &[u8])] = &[
        (HD_NONE, &[]),
        (HD_PAGE, &[HD_ACT_NONE, HD_ACT_SOFT_OFFLINE]),
        (HD_DIMM, &[HD_ACT_NONE]),
        (HD_CPU, &[HD_ACT_NONE, HD_ACT_CPU_OFFLINE]),
        (HD_CACHE, &[HD_ACT_NONE, HD_ACT_CPU_OFFLINE]),
        (HD_PCI, &[HD_ACT_NONE, HD_ACT_PCI_UNBIND, HD_ACT_PCI_REMOVE]),
        (HD_NODE, &[HD_ACT_NONE]),
        (HD_CLASS_NR, &[]),
    ];
    for &(class, acts) in allowed {
        for action in 0..=u8::MAX {
            assert_eq!(
                action_allowed(class, action),
                acts.contains(&action),
                "class {class} action {action}"
            );
        }
    }
}

// ---------------------------------------------------------------- windows

#[test]
fn exactly_n_within_t_fires_and_n_minus_1_does_not() {
    let mut e = cpu_engine(3, HOUR);
    assert_eq!(fires(&mut e, cpu(1), &[0, 10 * SEC]), Vec::<usize>::new());
    assert_eq!(state(&e, cpu(1)), Some(State::Suspect));
    let out = ce(&mut e, cpu(1), 20 * SEC);
    assert_eq!(
        out.fired,
        Some(Fired {
            state: State::Isolating,
            action: abi::HD_ACT_CPU_OFFLINE,
            count: 3,
            immediate: false,
        })
    );
    assert!(!out.opened && !out.untracked);
    let f = e.fault(cpu(1)).expect("entry");
    assert_eq!((f.attempt(), f.trigger_seq()), (1, 20 * SEC));
}

#[test]
fn n_spanning_exactly_t_fires_and_t_plus_1_does_not() {
    for (n, t) in [(1, MS), (2, HOUR), (3, HOUR), (18, DAY), (MAX_N, MAX_T_NS)] {
        let step = t / u64::from(n.max(2) - 1);
        // The last error exactly T after the N-th newest.
        let mut times: Vec<u64> = (0..u64::from(n)).map(|i| 1000 + i * step).collect();
        if let Some(last) = times.last_mut() {
            *last = 1000 + if n == 1 { 0 } else { t };
        }
        let mut e = cpu_engine(n, t);
        assert_eq!(
            fires(&mut e, cpu(0), &times),
            vec![times.len() - 1],
            "n {n}"
        );
        if n == 1 {
            continue;
        }
        if let Some(last) = times.last_mut() {
            *last += 1;
        }
        let mut e = cpu_engine(n, t);
        assert_eq!(fires(&mut e, cpu(0), &times), Vec::<usize>::new(), "n {n}");
    }
}

#[test]
fn no_duplicate_action_after_firing() {
    let mut e = cpu_engine(2, HOUR);
    let times: Vec<u64> = (0..100).map(|i| i * SEC).collect();
    assert_eq!(fires(&mut e, cpu(5), &times), vec![1]);
    let f = e.fault(cpu(5)).expect("entry");
    assert_eq!((f.total(), f.first_ns(), f.last_ns()), (100, 0, 99 * SEC));
    assert_eq!(f.state(), State::Isolating);
    assert_eq!(f.trigger_seq(), SEC);
    // Nor after the action: isolated stays isolated.
    assert_eq!(
        e.action_result(cpu(5), 100 * SEC, true),
        Some(State::Isolated)
    );
    assert_eq!(ce(&mut e, cpu(5), 101 * SEC).fired, None);
    assert_eq!(state(&e, cpu(5)), Some(State::Isolated));
}

#[test]
fn count_is_errors_within_t_and_at_most_max_n() {
    let mut e = cpu_engine(3, 10 * SEC);
    // Two old errors, then three within T.
    for t in [0, SEC, 100 * SEC, 101 * SEC] {
        assert_eq!(ce(&mut e, cpu(1), t).fired, None);
    }
    let fired = ce(&mut e, cpu(1), 102 * SEC).fired.expect("fires");
    assert_eq!(fired.count, 3);
    let f = e.fault(cpu(1)).expect("entry");
    assert_eq!(f.count_within(10 * SEC, 102 * SEC), 3);
    assert_eq!(f.count_within(u64::MAX, 102 * SEC), 5);
    assert_eq!(f.count_within(10 * SEC, 112 * SEC), 1);
    assert_eq!(f.count_within(10 * SEC, 200 * SEC), 0);

    // A record standing for many errors.
    let mut e = cpu_engine(MAX_N, SEC);
    let out = e.record(cpu(2), 5, 1000, false, 7);
    assert!(out.opened);
    assert_eq!(out.fired.map(|f| f.count), Some(MAX_N));
    assert_eq!(e.fault(cpu(2)).map(Fault::total), Some(1000));
    // Zero errors count as one.
    let mut e = cpu_engine(2, SEC);
    assert_eq!(e.record(cpu(3), 5, 0, false, 1).fired, None);
    assert!(e.record(cpu(3), 6, 0, false, 2).fired.is_some());
    assert_eq!(e.fault(cpu(3)).map(Fault::total), Some(2));
}

#[test]
fn changing_a_rule_at_runtime() {
    let mut e = cpu_engine(MAX_N, HOUR);
    for i in 0..10 {
        assert_eq!(ce(&mut e, cpu(0), i * SEC).fired, None);
    }
    // Lowering N fires on the next error, not at once.
    e.set_rule(abi::HD_CPU, rule(5, HOUR)).expect("valid");
    assert_eq!(state(&e, cpu(0)), Some(State::Suspect));
    assert!(ce(&mut e, cpu(0), 10 * SEC).fired.is_some());
    // Changing a rule leaves fired entries alone.
    e.set_rule(
        abi::HD_CPU,
        Rule {
            cap: 0,
            ..rule(5, HOUR)
        },
    )
    .expect("valid");
    assert_eq!(state(&e, cpu(0)), Some(State::Isolating));
}

#[test]
fn ue_immediate_fires_on_the_first_uncorrected_error() {
    let mut e = engine(8);
    let out = e.record(cpu(3), SEC, 1, true, 42);
    assert!(out.opened);
    assert_eq!(
        out.fired,
        Some(Fired {
            state: State::Isolating,
            action: abi::HD_ACT_CPU_OFFLINE,
            count: 1,
            immediate: true,
        })
    );
    assert_eq!(e.fault(cpu(3)).map(Fault::trigger_seq), Some(42));
    // The node: red at once, no action.
    let out = e.record(key(abi::HD_NODE, 2), SEC, 1, true, 43);
    assert_eq!(
        out.fired.map(|f| (f.state, f.immediate)),
        Some((State::Faulty, true))
    );
    // A corrected error does not fire the CPU rule at once.
    assert_eq!(ce(&mut e, cpu(4), SEC).fired, None);
}

#[test]
fn without_ue_immediate_an_uncorrected_error_counts_as_one() {
    let mut e = engine(8);
    let page = key(abi::HD_PAGE, 0x1234);
    let out = e.record(page, SEC, 1, true, 1);
    assert!(out.opened);
    assert_eq!(out.fired, None);
    let fired = e.record(page, 2 * SEC, 1, true, 2).fired.expect("2/24h");
    assert_eq!(
        (fired.state, fired.action, fired.count, fired.immediate),
        (State::Isolating, abi::HD_ACT_SOFT_OFFLINE, 2, false)
    );
}

// ---------------------------------------------------------------- states

#[test]
fn action_none_is_faulty_even_in_dry_run() {
    let mut e = engine(8);
    e.set_dry_run(true);
    let dimm = key(abi::HD_DIMM, 0x0100_0000);
    let times: Vec<u64> = (0..10).map(|i| i * HOUR).collect();
    assert_eq!(fires(&mut e, dimm, &times), vec![9]);
    assert_eq!(state(&e, dimm), Some(State::Faulty));
}

#[test]
fn dry_run_global_and_per_rule() {
    let mut e = cpu_engine(1, SEC);
    e.set_dry_run(true);
    assert!(e.dry_run());
    let f = ce(&mut e, cpu(1), 0).fired.expect("fires");
    assert_eq!(
        (f.state, f.action),
        (State::DryRun, abi::HD_ACT_CPU_OFFLINE)
    );
    e.set_dry_run(false);
    assert!(ce(&mut e, cpu(2), 0).fired.map(|f| f.state) == Some(State::Isolating));
    e.set_rule(
        abi::HD_CPU,
        Rule {
            dry_run: true,
            ..rule(1, SEC)
        },
    )
    .expect("valid");
    assert_eq!(
        ce(&mut e, cpu(3), 0).fired.map(|f| f.state),
        Some(State::DryRun)
    );
    // Dry-run does not hold the cap, and no action result applies to it.
    assert_eq!(e.action_result(cpu(3), 0, true), None);
    assert!(!e.refused(cpu(3)));
    assert_eq!(state(&e, cpu(3)), Some(State::DryRun));
    assert_eq!(held(&e, abi::HD_CPU), 1);
}

#[test]
fn cap_is_released_by_gave_up_refused_and_clear() {
    let mut e = engine(16);
    e.set_rule(
        abi::HD_CPU,
        Rule {
            cap: 1,
            ..rule(1, SEC)
        },
    )
    .expect("valid");
    let fire = |e: &mut Engine<Vec<Fault>>, c| ce(e, cpu(c), 0).fired.map(|f| f.state);
    assert_eq!(fire(&mut e, 1), Some(State::Isolating));
    assert_eq!(fire(&mut e, 2), Some(State::Capped));
    // Retrying still holds it.
    assert_eq!(e.action_result(cpu(1), 0, false), Some(State::Retrying));
    assert_eq!(fire(&mut e, 3), Some(State::Capped));
    // Giving up releases it.
    for i in 1..MAX_ATTEMPTS {
        let now = u64::from(i) * HOUR;
        assert_eq!(e.due(now), Some(cpu(1)));
        let _ = e.action_result(cpu(1), now, false);
    }
    assert_eq!(state(&e, cpu(1)), Some(State::GaveUp));
    assert_eq!(fire(&mut e, 4), Some(State::Isolating));
    // Refused releases it.
    assert!(e.refused(cpu(4)));
    assert!(!e.refused(cpu(4)));
    assert_eq!(state(&e, cpu(4)), Some(State::Refused));
    assert_eq!(fire(&mut e, 5), Some(State::Isolating));
    assert_eq!(e.action_result(cpu(5), 0, true), Some(State::Isolated));
    assert_eq!(fire(&mut e, 6), Some(State::Capped));
    // Clear releases it; a capped entry stays capped.
    assert!(e.clear(cpu(5)));
    assert!(!e.clear(cpu(5)));
    assert_eq!(state(&e, cpu(2)), Some(State::Capped));
    assert_eq!(fire(&mut e, 7), Some(State::Isolating));
    // Caps are per class.
    e.set_rule(
        abi::HD_CACHE,
        Rule {
            cap: 1,
            ..rule(1, SEC)
        },
    )
    .expect("valid");
    let f = ce(&mut e, key(abi::HD_CACHE, 0), 0).fired;
    assert_eq!(f.map(|f| f.state), Some(State::Isolating));
    // Cap 0 caps every action.
    e.set_rule(
        abi::HD_PCI,
        Rule {
            action: abi::HD_ACT_PCI_REMOVE,
            cap: 0,
            ..rule(1, SEC)
        },
    )
    .expect("valid");
    let f = ce(&mut e, key(abi::HD_PCI, 0x100), 0).fired;
    assert_eq!(f.map(|f| f.state), Some(State::Capped));
}

#[test]
fn retries_back_off_1_2_4_8_s_then_give_up() {
    let mut e = cpu_engine(1, SEC);
    let t0 = 1000 * SEC;
    assert!(ce(&mut e, cpu(1), t0).fired.is_some());
    assert_eq!(e.next_deadline(), None);
    let mut now = t0;
    for (attempt, delay) in [(1, SEC), (2, 2 * SEC), (3, 4 * SEC), (4, 8 * SEC)] {
        assert_eq!(e.fault(cpu(1)).map(Fault::attempt), Some(attempt));
        assert_eq!(e.action_result(cpu(1), now, false), Some(State::Retrying));
        let retry_at = now + delay;
        assert_eq!(e.fault(cpu(1)).map(Fault::retry_at_ns), Some(retry_at));
        assert_eq!(e.next_deadline(), Some(retry_at));
        assert_eq!(e.due(retry_at - 1), None);
        assert_eq!(state(&e, cpu(1)), Some(State::Retrying));
        // Not while retrying: only an isolating entry takes a result.
        assert_eq!(e.action_result(cpu(1), retry_at - 1, true), None);
        assert_eq!(e.due(retry_at), Some(cpu(1)));
        assert_eq!(e.due(retry_at), None);
        assert_eq!(state(&e, cpu(1)), Some(State::Isolating));
        now = retry_at;
    }
    assert_eq!(e.fault(cpu(1)).map(Fault::attempt), Some(MAX_ATTEMPTS));
    assert_eq!(e.action_result(cpu(1), now, false), Some(State::GaveUp));
    assert_eq!(e.next_deadline(), None);
    assert_eq!(e.due(u64::MAX), None);
    assert_eq!(e.action_result(cpu(1), now, true), None);
    assert_eq!(state(&e, cpu(1)), Some(State::GaveUp));
}

#[test]
fn due_takes_the_earliest_and_next_deadline_is_the_min() {
    let mut e = cpu_engine(1, SEC);
    for c in 0..3 {
        assert!(ce(&mut e, cpu(c), 0).fired.is_some());
    }
    // cpu 1 fails twice (retry at 1 + 2 s), cpu 2 once at 1 s (retry at 2 s), cpu 0
    // once at 2.5 s (retry at 3.5 s).
    assert_eq!(e.action_result(cpu(1), 0, false), Some(State::Retrying));
    assert_eq!(e.due(SEC), Some(cpu(1)));
    assert_eq!(e.action_result(cpu(2), SEC, false), Some(State::Retrying));
    assert_eq!(e.action_result(cpu(1), SEC, false), Some(State::Retrying));
    assert_eq!(
        e.action_result(cpu(0), 5 * SEC / 2, false),
        Some(State::Retrying)
    );
    // Retries at: cpu 2 at 2 s, cpu 1 at 3 s, cpu 0 at 3.5 s.
    assert_eq!(e.next_deadline(), Some(2 * SEC));
    assert_eq!(e.due(10 * SEC), Some(cpu(2)));
    assert_eq!(e.next_deadline(), Some(3 * SEC));
    assert_eq!(e.due(10 * SEC), Some(cpu(1)));
    assert_eq!(e.due(10 * SEC), Some(cpu(0)));
    assert_eq!(e.due(10 * SEC), None);
    assert_eq!(e.next_deadline(), None);
}

#[test]
fn table_full_evicts_the_oldest_suspect_then_goes_untracked() {
    let mut e = engine(3);
    e.set_rule(abi::HD_CPU, rule(3, HOUR)).expect("valid");
    for (c, t) in [(1, 10), (2, 20), (3, 30)] {
        assert!(ce(&mut e, cpu(c), t).opened);
    }
    // cpu 1's first error is the oldest, but its last is not: cpu 2 goes.
    assert!(!ce(&mut e, cpu(1), 40).opened);
    let out = ce(&mut e, cpu(4), 50);
    assert!(out.opened && !out.untracked);
    assert_eq!(e.evicted(), 1);
    assert!(e.fault(cpu(2)).is_none());
    assert!(e.fault(cpu(1)).is_some() && e.fault(cpu(3)).is_some());
    // Fire them all: nothing can be evicted any more.
    for c in [1, 3, 4] {
        let _ = ce(&mut e, cpu(c), 60);
        let _ = ce(&mut e, cpu(c), 61);
    }
    assert_eq!(e.faults().count(), 3);
    assert!(e.faults().all(|f| f.state() != State::Suspect));
    assert!(!e.summary().untracked);
    let out = ce(&mut e, cpu(5), 70);
    assert_eq!(
        out,
        Outcome {
            opened: false,
            fired: None,
            untracked: true,
        }
    );
    let _ = e.record(cpu(5), 71, 1, true, 0);
    assert_eq!((e.untracked(), e.evicted()), (2, 1));
    assert!(e.summary().untracked);
    assert!(e.fault(cpu(5)).is_none());
    // A tracked object still counts.
    assert!(!ce(&mut e, cpu(1), 72).untracked);
    assert_eq!(e.fault(cpu(1)).map(Fault::total), Some(5));
    // clear_all frees all and resets the counters.
    assert_eq!(e.clear_all(), 3);
    assert_eq!((e.untracked(), e.evicted(), e.faults().count()), (0, 0, 0));
    assert!(!e.summary().untracked);
}

#[test]
fn an_empty_table_tracks_nothing() {
    let mut e = engine(0);
    assert!(ce(&mut e, cpu(1), 0).untracked);
    assert_eq!(e.untracked(), 1);
    assert_eq!(e.faults().count(), 0);
}

#[test]
fn clear_class_and_clear_all() {
    let mut e = engine(16);
    for c in 0..3 {
        let _ = ce(&mut e, cpu(c), 0);
        let _ = ce(&mut e, key(abi::HD_PAGE, c), 0);
    }
    assert_eq!(e.clear_class(abi::HD_CPU), 3);
    assert_eq!(e.clear_class(abi::HD_CPU), 0);
    assert!(e.faults().all(|f| f.key().class == abi::HD_PAGE));
    assert_eq!(e.clear_all(), 3);
    assert_eq!(e.clear_all(), 0);
    // A cleared object starts over.
    assert!(ce(&mut e, cpu(0), 5).opened);
    assert_eq!(
        e.fault(cpu(0)).map(|f| (f.total(), f.first_ns())),
        Some((1, 5))
    );
}

#[test]
fn keys_of_no_class_are_ignored() {
    let mut e = engine(4);
    for class in [abi::HD_NONE, abi::HD_CLASS_NR, u8::MAX] {
        let k = key(class, 1);
        assert_eq!(e.record(k, 1, 1, true, 1), Outcome::default());
        assert_eq!(e.action_result(k, 1, false), None);
        assert!(!e.refused(k));
        assert!(!e.clear(k));
        assert_eq!(e.clear_class(class), 0);
    }
    assert_eq!(e.faults().count(), 0);
    assert_eq!(e.untracked(), 0);
}

#[test]
fn time_never_runs_backwards() {
    let mut e = cpu_engine(3, 10 * SEC);
    let _ = ce(&mut e, cpu(1), 100 * SEC);
    // Earlier times count as the latest seen.
    let _ = ce(&mut e, cpu(1), 0);
    assert_eq!(e.fault(cpu(1)).map(Fault::last_ns), Some(100 * SEC));
    let _ = ce(&mut e, cpu(2), 50 * SEC);
    assert_eq!(e.fault(cpu(2)).map(Fault::first_ns), Some(100 * SEC));
    // Three errors "at" 100 s: they fire.
    assert!(ce(&mut e, cpu(1), 1).fired.is_some());
    // The retry time is from the latest time seen too.
    let _ = ce(&mut e, cpu(3), 200 * SEC);
    assert_eq!(e.action_result(cpu(1), 0, false), Some(State::Retrying));
    assert_eq!(e.next_deadline(), Some(201 * SEC));
    assert_eq!(e.due(0), None);
}

#[test]
fn counts_and_times_saturate() {
    let mut e = cpu_engine(2, SEC);
    let _ = e.record(cpu(1), u64::MAX - 1, u64::MAX, false, u64::MAX);
    let _ = e.record(cpu(1), u64::MAX, u64::MAX, true, u64::MAX);
    let f = e.fault(cpu(1)).expect("entry");
    assert_eq!(f.total(), u64::MAX);
    assert_eq!(f.count_within(u64::MAX, u64::MAX), MAX_N);
    assert_eq!(f.state(), State::Isolating);
    assert_eq!(f.trigger_seq(), u64::MAX);
    // The backoff addition saturates.
    assert_eq!(
        e.action_result(cpu(1), u64::MAX, false),
        Some(State::Retrying)
    );
    assert_eq!(e.next_deadline(), Some(u64::MAX));
    assert_eq!(e.due(0), Some(cpu(1)));
    // Many records of huge counts.
    for _ in 0..100 {
        let _ = e.record(cpu(2), u64::MAX, u64::MAX, false, 0);
    }
    assert_eq!(e.fault(cpu(2)).map(Fault::total), Some(u64::MAX));
}

#[test]
fn summary_counts_states_and_classes() {
    let mut e = engine(32);
    let one = |action| Rule {
        action,
        cap: 100,
        ..rule(1, SEC)
    };
    e.set_rule(abi::HD_PAGE, one(abi::HD_ACT_SOFT_OFFLINE))
        .expect("valid");
    e.set_rule(abi::HD_CPU, one(abi::HD_ACT_CPU_OFFLINE))
        .expect("valid");
    e.set_rule(abi::HD_PCI, one(abi::HD_ACT_PCI_UNBIND))
        .expect("valid");
    e.set_rule(abi::HD_DIMM, one(abi::HD_ACT_NONE))
        .expect("valid");
    let page = |o| key(abi::HD_PAGE, o);
    let pci = |o| key(abi::HD_PCI, o);
    for k in [
        page(1),
        page(2),
        cpu(1),
        cpu(2),
        cpu(3),
        cpu(4),
        pci(1),
        pci(2),
    ] {
        let _ = ce(&mut e, k, 0);
    }
    // Isolated: a page (no capacity), a CPU, a PCI function.
    for k in [page(1), cpu(1), pci(1)] {
        assert_eq!(e.action_result(k, 0, true), Some(State::Isolated));
    }
    // Retrying, and isolating again after a failure.
    let _ = e.action_result(cpu(3), 0, false);
    assert_eq!(e.due(SEC), Some(cpu(3)));
    let _ = e.action_result(cpu(2), SEC, false);
    // Refused; cpu 4 and pci 2 and page 2 stay isolating at their first attempt.
    assert!(e.refused(pci(2)));
    // Faulty (a DIMM), a suspect DIMM, node faults.
    let _ = ce(&mut e, key(abi::HD_DIMM, 1), 0);
    let _ = ce(&mut e, key(abi::HD_NODE, 1), 0);
    let _ = e.record(key(abi::HD_NODE, 2), 0, 1, true, 0);
    let s = e.summary();
    assert_eq!(
        s,
        Summary {
            faulty_unisolated: 2,
            isolated_capacity: 2,
            isolating: 2,
            retrying: 2,
            gave_up: 0,
            capped: 0,
            node_faults: 2,
            untracked: false,
        }
    );
    assert_eq!(e.fault(page(2)).map(Fault::state), Some(State::Isolating));
}

#[test]
fn state_names() {
    let names = [
        (State::Suspect, "suspect"),
        (State::Faulty, "faulty"),
        (State::Isolating, "isolating"),
        (State::Isolated, "isolated"),
        (State::Retrying, "retrying"),
        (State::GaveUp, "gave-up"),
        (State::DryRun, "dry-run"),
        (State::Capped, "capped"),
        (State::Refused, "refused"),
    ];
    for (s, n) in names {
        assert_eq!(s.name(), n);
    }
}

// ---------------------------------------------------------------- properties

/// The reference: the index of the first error at which `n` errors lie within `t`.
fn model_fire(times: &[u64], n: usize, t: u64) -> Option<usize> {
    (n - 1..times.len()).find(|&k| times[k] - times[k + 1 - n] <= t)
}

/// Running maximum.
fn clamped(times: &[u64]) -> Vec<u64> {
    times
        .iter()
        .scan(0u64, |m, &t| {
            *m = (*m).max(t);
            Some(*m)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The engine fires exactly when the reference says, once.
    #[test]
    fn fires_exactly_as_the_model(
        n in 1u32..=MAX_N,
        t_ms in 1u64..1000,
        gaps in proptest::collection::vec(0u64..300 * MS, 1..100),
    ) {
        let t = t_ms * MS;
        let times: Vec<u64> = gaps
            .iter()
            .scan(0u64, |acc, g| {
                *acc += g;
                Some(*acc)
            })
            .collect();
        let mut e = cpu_engine(n, t);
        let got = fires(&mut e, cpu(9), &times);
        let want: Vec<usize> = model_fire(&times, n as usize, t).into_iter().collect();
        prop_assert_eq!(got, want);
        prop_assert_eq!(e.fault(cpu(9)).map(Fault::total), Some(times.len() as u64));
    }

    /// Errors spaced more than T / (N - 1) apart never fire, however many.
    #[test]
    fn spread_over_more_than_t_never_fires(
        n in 2u32..=MAX_N,
        t_ms in 1u64..100_000,
        extra in proptest::collection::vec(0u64..1000 * MS, 1..200),
    ) {
        let t = t_ms * MS;
        let min_gap = t / u64::from(n - 1) + 1;
        let mut e = cpu_engine(n, t);
        let mut now = 0u64;
        for x in extra {
            now += min_gap + x;
            prop_assert_eq!(ce(&mut e, cpu(0), now).fired, None);
        }
    }

    /// With random, possibly decreasing times: each entry's last time never
    /// decreases, and the engine does exactly what it does on the clamped times.
    #[test]
    fn clock_is_clamped(
        n in 1u32..8,
        t_ms in 1u64..100,
        ops in proptest::collection::vec((0u64..3, 0u64..200 * MS, any::<bool>()), 1..200),
    ) {
        let raw: Vec<u64> = ops.iter().map(|&(_, t, _)| t).collect();
        let clamp = clamped(&raw);
        let mut a = cpu_engine(n, t_ms * MS);
        let mut b = cpu_engine(n, t_ms * MS);
        let mut last = [0u64; 3];
        for (i, &(obj, _, ue)) in ops.iter().enumerate() {
            let oa = a.record(cpu(obj), raw[i], 1, ue, i as u64);
            let ob = b.record(cpu(obj), clamp[i], 1, ue, i as u64);
            prop_assert_eq!(oa, ob);
            let l = a.fault(cpu(obj)).map(Fault::last_ns).unwrap_or(0);
            prop_assert!(l >= last[obj as usize]);
            prop_assert_eq!(l, clamp[i]);
            last[obj as usize] = l;
        }
    }

    /// With cap c, a class never holds more than c isolations, whatever the records,
    /// results, retries and clears; `due` only returns what is due.
    #[test]
    fn cap_always_holds(
        cap in 0u32..4,
        ops in proptest::collection::vec((0u8..7, 0u64..8, 0u64..3 * SEC, any::<bool>()), 1..400),
    ) {
        let mut e = engine(6);
        e.set_rule(abi::HD_CPU, Rule { cap, ue_immediate: true, ..rule(2, SEC) })
            .expect("valid");
        let mut now = 0u64;
        for (op, obj, dt, flag) in ops {
            now += dt;
            let k = cpu(obj);
            match op {
                0 | 1 => {
                    let _ = e.record(k, now, 1, flag, 0);
                }
                2 => {
                    let _ = e.action_result(k, now, flag);
                }
                3 => {
                    let _ = e.refused(k);
                }
                4 => {
                    let deadline = e.next_deadline();
                    let before: Vec<(Key, State, u64)> = e
                        .faults()
                        .map(|f| (f.key(), f.state(), f.retry_at_ns()))
                        .collect();
                    match e.due(now) {
                        Some(k) => {
                            prop_assert!(deadline.is_some_and(|d| d <= now));
                            let (_, s, at) = before
                                .iter()
                                .find(|(b, _, _)| *b == k)
                                .copied()
                                .expect("due key was an entry");
                            prop_assert_eq!(s, State::Retrying);
                            prop_assert!(at <= now);
                            prop_assert_eq!(Some(at), deadline);
                            prop_assert_eq!(state(&e, k), Some(State::Isolating));
                        }
                        None => prop_assert!(deadline.is_none_or(|d| d > now)),
                    }
                }
                5 => {
                    let _ = e.clear(k);
                }
                _ => {
                    if flag {
                        let _ = e.clear_class(abi::HD_CPU);
                    }
                }
            }
            prop_assert!(held(&e, abi::HD_CPU) <= cap as usize);
            for f in e.faults() {
                prop_assert!(f.attempt() <= MAX_ATTEMPTS);
            }
        }
    }

    /// Anything at all: no panic, and the table's invariants hold.
    #[test]
    fn never_panics(
        entries in 0usize..6,
        ops in proptest::collection::vec(
            (
                0u8..8,
                prop_oneof![3 => 0u8..8, 1 => any::<u8>()],
                0u64..6,
                prop_oneof![0u64..10 * SEC, any::<u64>()],
                prop_oneof![0u64..40, 0u64..2 * SEC, any::<u64>()],
                any::<bool>(),
                any::<u32>(),
            ),
            1..300,
        ),
    ) {
        let mut e = engine(entries);
        for (op, class, obj, t, x, flag, r) in ops {
            let k = key(class, obj);
            match op {
                0 | 1 => {
                    let out = e.record(k, t, x, flag, x);
                    if !(abi::HD_PAGE..abi::HD_CLASS_NR).contains(&class) {
                        prop_assert_eq!(out, Outcome::default());
                    }
                    if let Some(f) = out.fired {
                        prop_assert!(f.count >= 1 && f.count <= MAX_N);
                    }
                }
                2 => {
                    let _ = e.action_result(k, t, flag);
                }
                3 => {
                    let _ = e.refused(k);
                }
                4 => {
                    let _ = e.due(t);
                    let _ = e.next_deadline();
                }
                5 => {
                    let _ = e.clear(k);
                }
                6 => {
                    let rule = Rule {
                        n: r % (MAX_N + 2),
                        t_ns: x,
                        action: (r >> 8) as u8 % 6,
                        cap: r >> 16,
                        dry_run: flag,
                        ue_immediate: r & 1 == 1,
                    };
                    let res = e.set_rule(class, rule);
                    prop_assert_eq!(res, rule.validate(class));
                    if res.is_ok() {
                        prop_assert_eq!(e.rule(class), Some(rule));
                    }
                    e.set_dry_run(r & 2 == 2);
                }
                _ => {
                    if flag {
                        let _ = e.clear_all();
                    } else {
                        let _ = e.clear_class(class);
                    }
                }
            }
            let _ = e.summary();
            prop_assert!(e.faults().count() <= entries);
            for f in e.faults() {
                prop_assert!(f.first_ns() <= f.last_ns());
                prop_assert!((abi::HD_PAGE..abi::HD_CLASS_NR).contains(&f.key().class));
            }
        }
    }
}
