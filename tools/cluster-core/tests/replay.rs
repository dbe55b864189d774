// SPDX-License-Identifier: GPL-2.0

//! The anti-replay window, against a model that remembers everything.

use cluster_core::replay::Window;
use cluster_core::wire::Reject;
use proptest::prelude::*;
use std::collections::HashSet;

/// What the window must decide: accept `seq` iff it is not 0, was never accepted, and
/// is less than 64 below the highest accepted.
#[derive(Default)]
struct Model {
    seen: HashSet<u64>,
    top: u64,
}

impl Model {
    fn check(&self, seq: u64) -> Result<(), Reject> {
        if seq == 0 || u128::from(seq) + 64 <= u128::from(self.top) {
            Err(Reject::TooOld)
        } else if self.seen.contains(&seq) {
            Err(Reject::Replayed)
        } else {
            Ok(())
        }
    }

    fn accept(&mut self, seq: u64) {
        self.seen.insert(seq);
        self.top = self.top.max(seq);
    }
}

/// Sequence numbers as a stream makes them: mostly forward, some reordered, some
/// repeated, some far behind or far ahead, a few at the extremes.
fn seqs() -> impl Strategy<Value = Vec<u64>> {
    let step = prop_oneof![
        6 => 0i64..=3,
        4 => -70i64..=70,
        1 => -1000i64..=1000,
        1 => Just(i64::MAX),
        1 => Just(i64::MIN),
    ];
    (0u64..200, prop::collection::vec(step, 0..300)).prop_map(|(start, steps)| {
        let mut s = start;
        steps
            .into_iter()
            .map(|d| {
                s = match d {
                    i64::MAX => u64::MAX - (s % 3),
                    i64::MIN => s % 3,
                    d => s.saturating_add_signed(d),
                };
                s
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn matches_model(seqs in seqs()) {
        let mut w = Window::default();
        let mut m = Model::default();
        for seq in seqs {
            let want = m.check(seq);
            prop_assert_eq!(w.check(seq), want, "check {} top {}", seq, m.top);
            prop_assert_eq!(w.check_and_update(seq), want, "seq {} top {}", seq, m.top);
            if want.is_ok() {
                m.accept(seq);
                // Accepted once, replayed ever after.
                prop_assert_eq!(w.check(seq), Err(Reject::Replayed));
            }
            prop_assert_eq!(w.top(), m.top);
        }
    }

    /// `update` alone, on anything, never panics and keeps `top` the largest update.
    #[test]
    fn update_anything(seqs in prop::collection::vec(any::<u64>(), 0..50)) {
        let mut w = Window::default();
        let mut top = 0;
        for seq in seqs {
            w.update(seq);
            top = top.max(seq);
            prop_assert_eq!(w.top(), top);
            if seq != 0 && seq.saturating_add(63) >= top {
                prop_assert_eq!(w.check(seq), Err(Reject::Replayed));
            }
        }
    }
}

#[test]
fn edges() {
    let mut w = Window::default();
    assert_eq!(w, Window::EMPTY);
    assert_eq!(w.top(), 0);
    assert_eq!(w.check(0), Err(Reject::TooOld));
    assert_eq!(w.check_and_update(1), Ok(()));
    assert_eq!(w.check_and_update(1), Err(Reject::Replayed));
    assert_eq!(w.check_and_update(100), Ok(()));
    // 100 - 63 is the oldest still in the window.
    assert_eq!(w.check(36), Err(Reject::TooOld));
    assert_eq!(w.check_and_update(37), Ok(()));
    assert_eq!(w.check_and_update(37), Err(Reject::Replayed));
    for s in 38..100 {
        assert_eq!(w.check_and_update(s), Ok(()), "{s}");
    }
    for s in 37..=100 {
        assert_eq!(w.check(s), Err(Reject::Replayed), "{s}");
    }
    // One step forward pushes 37 out.
    assert_eq!(w.check_and_update(101), Ok(()));
    assert_eq!(w.check(37), Err(Reject::TooOld));
    assert_eq!(w.check(38), Err(Reject::Replayed));
    // A huge jump is accepted and forgets the past.
    assert_eq!(w.check_and_update(u64::MAX), Ok(()));
    assert_eq!(w.top(), u64::MAX);
    assert_eq!(w.check(u64::MAX), Err(Reject::Replayed));
    assert_eq!(w.check(u64::MAX - 63), Ok(()));
    assert_eq!(w.check(u64::MAX - 64), Err(Reject::TooOld));
    assert_eq!(w.check(101), Err(Reject::TooOld));
    w.update(0);
    assert_eq!(w.top(), u64::MAX);
    w.reset();
    assert_eq!(w, Window::default());
    assert_eq!(w.check(101), Ok(()));
    assert_eq!(Window::SIZE, 64);
}
