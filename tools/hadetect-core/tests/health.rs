// SPDX-License-Identifier: GPL-2.0

//! The node's health: reasons, level and score.

use hadetect_core::abi;
use hadetect_core::engine::{Engine, Key, Rule, Summary, FREE};
use hadetect_core::health::{health, reasons_text, Health, Inputs};
use proptest::prelude::*;

const SEC: u64 = 1_000_000_000;

fn text(reasons: u32) -> String {
    let mut s = String::new();
    reasons_text(reasons, &mut s).expect("String never fails");
    s
}

/// Inputs with one thing wrong, and the reason it must give.
fn one_each() -> Vec<(Inputs, u32)> {
    let s = |f: fn(&mut Summary)| {
        let mut summary = Summary::default();
        f(&mut summary);
        Inputs {
            summary,
            ..Inputs::default()
        }
    };
    vec![
        (s(|s| s.faulty_unisolated = 1), abi::HD_R_FAULT),
        (s(|s| s.isolating = 1), abi::HD_R_FAULT),
        (s(|s| s.isolated_capacity = 1), abi::HD_R_ISOLATED),
        (s(|s| s.retrying = 1), abi::HD_R_RETRYING),
        (s(|s| s.gave_up = 1), abi::HD_R_ISOLATION_FAILED),
        (s(|s| s.capped = 1), abi::HD_R_CAP_REACHED),
        (s(|s| s.node_faults = 1), abi::HD_R_FATAL),
        (s(|s| s.untracked = true), abi::HD_R_TABLE_FULL),
        (
            Inputs {
                overload: true,
                ..Inputs::default()
            },
            abi::HD_R_OVERLOAD,
        ),
        (
            Inputs {
                agents_late: 1,
                ..Inputs::default()
            },
            abi::HD_R_AGENT_LATE,
        ),
        (
            Inputs {
                agents_dead: 1,
                ..Inputs::default()
            },
            abi::HD_R_AGENT_DEAD,
        ),
    ]
}

#[test]
fn nothing_wrong_is_green_zero() {
    assert_eq!(
        health(&Inputs::default()),
        Health {
            level: abi::HD_GREEN,
            score: 0,
            reasons: 0,
        }
    );
}

#[test]
fn each_reason_maps_to_its_bit_and_level() {
    let mut seen = 0;
    for (i, bit) in one_each() {
        let h = health(&i);
        assert_eq!(h.reasons, bit, "{i:?}");
        let red = bit & abi::HD_R_RED != 0;
        assert_eq!(h.level, if red { abi::HD_RED } else { abi::HD_YELLOW });
        let parts = u32::from(!i.overload && !i.summary.untracked);
        assert_eq!(h.score, if red { 100 } else { 10 } + parts, "{i:?}");
        seen |= bit;
    }
    // Every reason has a cause.
    assert_eq!(seen, (1 << abi::HD_REASON_NAMES.len()) - 1);
    assert_eq!(
        abi::HD_R_RED,
        abi::HD_R_ISOLATION_FAILED
            | abi::HD_R_CAP_REACHED
            | abi::HD_R_FATAL
            | abi::HD_R_OVERLOAD
            | abi::HD_R_AGENT_DEAD
    );
}

#[test]
fn score_counts_reasons_and_parts() {
    let i = Inputs {
        summary: Summary {
            faulty_unisolated: 3,
            isolated_capacity: 2,
            gave_up: 1,
            ..Summary::default()
        },
        agents_late: 4,
        ..Inputs::default()
    };
    let h = health(&i);
    assert_eq!(
        h.reasons,
        abi::HD_R_FAULT | abi::HD_R_ISOLATED | abi::HD_R_ISOLATION_FAILED | abi::HD_R_AGENT_LATE
    );
    assert_eq!(h.level, abi::HD_RED);
    assert_eq!(h.score, 100 + 3 * 10 + 3 + 2 + 1 + 4);
    // Saturating.
    let i = Inputs {
        summary: Summary {
            faulty_unisolated: u32::MAX,
            capped: u32::MAX,
            ..Summary::default()
        },
        agents_dead: u32::MAX,
        ..Inputs::default()
    };
    assert_eq!(health(&i).score, u32::MAX);
}

#[test]
fn reasons_text_names_the_bits_in_order() {
    assert_eq!(text(0), "");
    assert_eq!(text(abi::HD_R_FAULT), "fault");
    assert_eq!(
        text(abi::HD_R_TABLE_FULL | abi::HD_R_FAULT | abi::HD_R_FATAL),
        "fault fatal table-full"
    );
    assert_eq!(
        text(abi::HD_R_RED),
        "isolation-failed cap-reached fatal overload agent-dead"
    );
    assert_eq!(text(u32::MAX), abi::HD_REASON_NAMES.join(" "));
    // Unknown bits are left out.
    assert_eq!(text(1 << 31 | abi::HD_R_RETRYING), "retrying");
}

#[test]
fn engine_summary_drives_health() {
    let mut e = Engine::new(vec![FREE; 8]);
    let cpu = Key {
        class: abi::HD_CPU,
        object: 2,
    };
    let at = |e: &Engine<_>| {
        health(&Inputs {
            summary: e.summary(),
            ..Inputs::default()
        })
    };
    assert_eq!(at(&e).level, abi::HD_GREEN);
    // A suspect is no reason.
    let _ = e.record(cpu, 0, 1, false, 1);
    assert_eq!(at(&e).reasons, 0);
    // The CPU rule fires on an uncorrected error: a fault being isolated.
    let _ = e.record(cpu, 1, 1, true, 2);
    assert_eq!(at(&e).reasons, abi::HD_R_FAULT);
    assert_eq!(
        e.action_result(cpu, 2, false).map(|s| s.name()),
        Some("retrying")
    );
    assert_eq!(at(&e).reasons, abi::HD_R_RETRYING);
    // Retrying stays retrying while the action runs again.
    assert_eq!(e.due(2 + SEC), Some(cpu));
    assert_eq!(at(&e).reasons, abi::HD_R_RETRYING);
    assert!(e.action_result(cpu, 3 * SEC, true).is_some());
    let h = at(&e);
    assert_eq!(
        (h.level, h.reasons, h.score),
        (abi::HD_YELLOW, abi::HD_R_ISOLATED, 11)
    );
    // A second CPU is capped (cap 1): red.
    let other = Key { object: 3, ..cpu };
    let _ = e.record(other, 4 * SEC, 1, true, 3);
    let h = at(&e);
    assert_eq!(h.level, abi::HD_RED);
    assert_eq!(h.reasons, abi::HD_R_ISOLATED | abi::HD_R_CAP_REACHED);
    // Isolated pages cost no capacity: no reason, but the fault while isolating is.
    let page = Key {
        class: abi::HD_PAGE,
        object: 0x42,
    };
    assert!(e.clear_all() > 0);
    e.set_rule(
        abi::HD_PAGE,
        Rule {
            n: 1,
            ..e.rule(abi::HD_PAGE).expect("page rule")
        },
    )
    .expect("valid");
    let _ = e.record(page, 5 * SEC, 1, false, 4);
    assert_eq!(at(&e).reasons, abi::HD_R_FAULT);
    let _ = e.action_result(page, 5 * SEC, true);
    assert_eq!(at(&e), Health::default());
}

fn summary() -> impl Strategy<Value = Summary> {
    (proptest::array::uniform7(0u32..4), any::<bool>()).prop_map(|(c, untracked)| Summary {
        faulty_unisolated: c[0],
        isolated_capacity: c[1],
        isolating: c[2],
        retrying: c[3],
        gave_up: c[4],
        capped: c[5],
        node_faults: c[6],
        untracked,
    })
}

fn inputs() -> impl Strategy<Value = Inputs> {
    (summary(), any::<bool>(), 0u32..4, 0u32..4).prop_map(
        |(summary, overload, agents_late, agents_dead)| Inputs {
            summary,
            overload,
            agents_late,
            agents_dead,
        },
    )
}

/// Affected parts and agents.
fn parts(i: &Inputs) -> u32 {
    let s = &i.summary;
    s.faulty_unisolated
        + s.isolated_capacity
        + s.isolating
        + s.retrying
        + s.gave_up
        + s.capped
        + s.node_faults
        + i.agents_late
        + i.agents_dead
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Red iff a red reason, yellow iff reasons but no red one, green iff none; the
    /// score is 0 exactly when green.
    #[test]
    fn level_follows_the_reasons(i in inputs()) {
        let h = health(&i);
        let want = if h.reasons & abi::HD_R_RED != 0 {
            abi::HD_RED
        } else if h.reasons != 0 {
            abi::HD_YELLOW
        } else {
            abi::HD_GREEN
        };
        prop_assert_eq!(h.level, want);
        prop_assert_eq!(h.score == 0, h.level == abi::HD_GREEN);
        prop_assert_eq!(h.reasons >> abi::HD_REASON_NAMES.len(), 0);
        let red = (h.reasons & abi::HD_R_RED).count_ones();
        let yellow = (h.reasons & !abi::HD_R_RED).count_ones();
        prop_assert_eq!(h.score, 100 * red + 10 * yellow + parts(&i));
    }

    /// A red node outscores a yellow node with fewer than 10 parts; more red reasons
    /// outscore fewer when the parts are few.
    #[test]
    fn red_outscores_yellow(a in inputs(), b in inputs()) {
        let (ha, hb) = (health(&a), health(&b));
        if ha.level == abi::HD_RED && hb.level == abi::HD_YELLOW && parts(&b) < 10 {
            prop_assert!(ha.score > hb.score);
        }
        let red = |h: &Health| (h.reasons & abi::HD_R_RED).count_ones();
        if red(&ha) > red(&hb) {
            prop_assert!(ha.score > hb.score);
        }
    }
}
