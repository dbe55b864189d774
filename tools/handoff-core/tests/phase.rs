// SPDX-License-Identifier: GPL-2.0

//! The handoff's phases: the request words, the whole transition table (every phase,
//! every input), and random sequences of inputs against a model built from that
//! table.

use handoff_core::phase::{
    parse_request, AbortReason, Busy, Commit, Handoff, Phase, Request, Stale, Transition,
};
use proptest::prelude::*;

#[test]
fn names() {
    let phases = [
        Phase::Idle,
        Phase::Preparing,
        Phase::Ready,
        Phase::Committed,
        Phase::Restored,
        Phase::Aborted(AbortReason::Requested),
        Phase::Aborted(AbortReason::PreserveFailed(-12)),
    ];
    assert_eq!(
        phases.map(Phase::name),
        [
            "idle",
            "preparing",
            "ready",
            "committed",
            "restored",
            "aborted",
            "aborted"
        ]
    );
    let reasons = [
        AbortReason::Requested,
        AbortReason::KhoDisabled,
        AbortReason::PreserveFailed(-95),
        AbortReason::Rebooted,
    ];
    assert_eq!(
        reasons.map(AbortReason::name),
        ["requested", "kho-disabled", "preserve-failed", "rebooted"]
    );
    assert_eq!(
        [Request::Prepare, Request::Abort].map(Request::name),
        ["prepare", "abort"]
    );
}

#[test]
fn request_words() {
    for (input, want) in [
        (&b"prepare"[..], Some(Request::Prepare)),
        (b"prepare\n", Some(Request::Prepare)),
        (b"abort", Some(Request::Abort)),
        (b"abort\n", Some(Request::Abort)),
        (b"", None),
        (b"\n", None),
        (b"prepare\n\n", None),
        (b"abort\r\n", None),
        (b"prepare ", None),
        (b" prepare", None),
        (b"Prepare", None),
        (b"ABORT", None),
        (b"prep", None),
        (b"prepareabort", None),
        (b"prepare\0", None),
        (b"\nprepare", None),
        (b"commit", None),
        (b"idle", None),
    ] {
        assert_eq!(
            parse_request(input),
            want,
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

proptest! {
    /// Only the two words, each with or without one newline, name a request.
    #[test]
    fn other_input_is_no_request(input in proptest::collection::vec(any::<u8>(), 0..12)) {
        let known: [&[u8]; 4] = [b"prepare", b"prepare\n", b"abort", b"abort\n"];
        prop_assert_eq!(parse_request(&input).is_some(), known.contains(&&input[..]));
    }
}

/// An input to the handoff.
#[derive(Clone, Copy, Debug)]
enum Input {
    Prepare,
    Abort,
    /// `prepared` for the current attempt plus the offset (0: the current one).
    Prepared(u32, Result<(), AbortReason>),
    Commit,
    Rebooted,
    Restored,
}

/// What an input did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// A transition to this phase (from a request, `prepared`, `rebooted` or
    /// `restored`).
    To(Phase),
    Busy,
    Stale,
    Carry,
    Abandon,
    Nothing,
}

/// Applies `input` to `h` and checks that the transition returned tells the change
/// as it happened.
fn apply(h: &mut Handoff, input: Input) -> Outcome {
    let before = *h;
    let check = |h: &Handoff, t: Transition| {
        assert_eq!(t.from, before.phase(), "{input:?}");
        assert_eq!(t.to, h.phase(), "{input:?}");
        assert_eq!(t.attempt, h.attempt(), "{input:?}");
    };
    let outcome = match input {
        Input::Prepare | Input::Abort => {
            let req = match input {
                Input::Prepare => Request::Prepare,
                _ => Request::Abort,
            };
            match h.request(req) {
                Ok(t) => {
                    check(h, t);
                    Outcome::To(t.to)
                }
                Err(Busy) => Outcome::Busy,
            }
        }
        Input::Prepared(offset, result) => {
            match h.prepared(h.attempt().wrapping_add(offset), result) {
                Ok(t) => {
                    check(h, t);
                    Outcome::To(t.to)
                }
                Err(Stale) => Outcome::Stale,
            }
        }
        Input::Commit => {
            let c = h.commit();
            assert_eq!(c.carries(), matches!(c, Commit::Carry(_)));
            match c {
                Commit::Carry(t) => {
                    check(h, t);
                    assert_eq!(t.to, Phase::Committed);
                    Outcome::Carry
                }
                Commit::Abandon(t) => {
                    check(h, t);
                    assert_eq!(t.to, Phase::Aborted(AbortReason::Rebooted));
                    Outcome::Abandon
                }
                Commit::Nothing => Outcome::Nothing,
            }
        }
        Input::Rebooted | Input::Restored => {
            let t = match input {
                Input::Rebooted => h.rebooted(),
                _ => h.restored(),
            };
            match t {
                Some(t) => {
                    check(h, t);
                    Outcome::To(t.to)
                }
                None => Outcome::Nothing,
            }
        }
    };
    // Nothing changes without a transition to tell it.
    if matches!(outcome, Outcome::Busy | Outcome::Stale | Outcome::Nothing) {
        assert_eq!(h.phase(), before.phase(), "{input:?}");
        assert_eq!(h.attempt(), before.attempt(), "{input:?}");
    }
    outcome
}

/// The inputs of the table, in its column order.
const INPUTS: [Input; 9] = [
    Input::Prepare,
    Input::Abort,
    Input::Prepared(0, Ok(())),
    Input::Prepared(0, Err(AbortReason::KhoDisabled)),
    Input::Prepared(0, Err(AbortReason::PreserveFailed(-12))),
    Input::Prepared(1, Ok(())),
    Input::Commit,
    Input::Rebooted,
    Input::Restored,
];

/// The table of the module documentation: what each input does in `phase`, the
/// kernel going down or not.
fn row(phase: Phase, going_down: bool) -> [Outcome; 9] {
    use AbortReason::*;
    use Outcome::*;
    use Phase::*;
    let after_reboot = [
        Busy, Busy, Stale, Stale, Stale, Stale, Nothing, Nothing, Nothing,
    ];
    match phase {
        Idle if going_down => after_reboot,
        Idle => [
            To(Preparing),
            Busy,
            Stale,
            Stale,
            Stale,
            Stale,
            Nothing,
            Nothing,
            To(Restored),
        ],
        Preparing => [
            Busy,
            To(Aborted(Requested)),
            To(Ready),
            To(Aborted(KhoDisabled)),
            To(Aborted(PreserveFailed(-12))),
            Stale,
            Abandon,
            To(Aborted(Rebooted)),
            Nothing,
        ],
        Ready => [
            Busy,
            To(Aborted(Requested)),
            Stale,
            Stale,
            Stale,
            Stale,
            Carry,
            To(Aborted(Rebooted)),
            Nothing,
        ],
        Committed => after_reboot,
        Restored | Aborted(_) if going_down => after_reboot,
        Restored | Aborted(_) => [
            To(Preparing),
            Busy,
            Stale,
            Stale,
            Stale,
            Stale,
            Nothing,
            Nothing,
            Nothing,
        ],
    }
}

/// The phase after `outcome` in `phase`.
fn next_phase(phase: Phase, outcome: Outcome) -> Phase {
    match outcome {
        Outcome::To(p) => p,
        Outcome::Carry => Phase::Committed,
        Outcome::Abandon => Phase::Aborted(AbortReason::Rebooted),
        Outcome::Busy | Outcome::Stale | Outcome::Nothing => phase,
    }
}

/// A handoff driven through `inputs`, each of which must be accepted.
fn reach(inputs: &[Input]) -> Handoff {
    let mut h = Handoff::new();
    for &i in inputs {
        let o = apply(&mut h, i);
        assert!(
            !matches!(o, Outcome::Busy | Outcome::Stale),
            "{i:?} in {:?}",
            h.phase()
        );
    }
    h
}

/// Every phase (each way there, the kernel going down or not) against every input.
#[test]
fn transition_table() {
    use Input::*;
    let ok = Prepared(0, Ok(()));
    let starts: Vec<(&str, Vec<Input>, bool)> = vec![
        ("idle", vec![], false),
        ("idle, after a reboot notifier", vec![Rebooted], true),
        ("idle, after a kexec notifier", vec![Commit], true),
        ("preparing", vec![Prepare], false),
        (
            "preparing, second attempt",
            vec![Prepare, Abort, Prepare],
            false,
        ),
        ("ready", vec![Prepare, ok], false),
        ("committed", vec![Prepare, ok, Commit], true),
        ("restored", vec![Restored], false),
        ("preparing after restored", vec![Restored, Prepare], false),
        (
            "aborted (requested) from preparing",
            vec![Prepare, Abort],
            false,
        ),
        (
            "aborted (requested) from ready",
            vec![Prepare, ok, Abort],
            false,
        ),
        (
            "aborted (kho-disabled)",
            vec![Prepare, Prepared(0, Err(AbortReason::KhoDisabled))],
            false,
        ),
        (
            "aborted (preserve-failed)",
            vec![Prepare, Prepared(0, Err(AbortReason::PreserveFailed(-12)))],
            false,
        ),
        (
            "aborted (rebooted) from ready",
            vec![Prepare, ok, Rebooted],
            true,
        ),
        (
            "aborted (rebooted) from preparing",
            vec![Prepare, Rebooted],
            true,
        ),
        ("aborted (rebooted) by a kexec", vec![Prepare, Commit], true),
        (
            "restored, after a reboot notifier",
            vec![Restored, Rebooted],
            true,
        ),
    ];
    for (name, path, going_down) in starts {
        let start = reach(&path);
        let want = row(start.phase(), going_down);
        for (input, want) in INPUTS.into_iter().zip(want) {
            let mut h = start;
            let got = apply(&mut h, input);
            assert_eq!(got, want, "{input:?} in {name}");
            assert_eq!(
                h.phase(),
                next_phase(start.phase(), got),
                "{input:?} in {name}"
            );
            let attempt = match got {
                Outcome::To(Phase::Preparing) => start.attempt() + 1,
                _ => start.attempt(),
            };
            assert_eq!(h.attempt(), attempt, "{input:?} in {name}");
        }
    }
}

/// The race the attempt number is for: a preparation aborted, and a new one begun,
/// before the first one finished.
#[test]
fn stale_preparation() {
    let mut h = Handoff::new();
    let first = h.request(Request::Prepare).unwrap().attempt;
    h.request(Request::Abort).unwrap();
    let second = h.request(Request::Prepare).unwrap().attempt;
    assert_ne!(first, second);
    // The first preparation ends: it is told to release what it preserved, and the
    // second one is still under way.
    assert_eq!(h.prepared(first, Ok(())), Err(Stale));
    assert_eq!(h.phase(), Phase::Preparing);
    let t = h.prepared(second, Ok(())).unwrap();
    assert_eq!(
        t,
        Transition {
            from: Phase::Preparing,
            to: Phase::Ready,
            attempt: second
        }
    );
    // Once ready, a late word from either is stale too.
    assert_eq!(h.prepared(second, Ok(())), Err(Stale));
    assert_eq!(
        h.commit(),
        Commit::Carry(Transition {
            from: Phase::Ready,
            to: Phase::Committed,
            attempt: second
        })
    );
    assert_eq!(h.request(Request::Prepare), Err(Busy));
}

#[test]
fn attempts_wrap() {
    let mut h = Handoff::default();
    assert_eq!((h.phase(), h.attempt()), (Phase::Idle, 0));
    for _ in 0..3 {
        h.request(Request::Prepare).unwrap();
        h.request(Request::Abort).unwrap();
    }
    assert_eq!(h.attempt(), 3);
    assert_eq!(Handoff::new(), Handoff::default());
}

fn arb_input() -> impl Strategy<Value = Input> {
    let reason = prop_oneof![
        Just(AbortReason::Requested),
        Just(AbortReason::KhoDisabled),
        any::<i32>().prop_map(AbortReason::PreserveFailed),
        Just(AbortReason::Rebooted),
    ];
    prop_oneof![
        4 => Just(Input::Prepare),
        2 => Just(Input::Abort),
        4 => (prop_oneof![3 => Just(0u32), 1 => Just(1u32), 1 => Just(u32::MAX)],
              proptest::option::of(reason))
            .prop_map(|(offset, err)| Input::Prepared(offset, err.map_or(Ok(()), Err))),
        1 => Just(Input::Commit),
        1 => Just(Input::Rebooted),
        1 => Just(Input::Restored),
    ]
}

/// The model: the table, a count of accepted prepares, and whether a reboot notifier
/// ran.
struct Model {
    phase: Phase,
    attempt: u32,
    going_down: bool,
}

impl Model {
    fn step(&mut self, input: Input) -> Outcome {
        let outcome = match input {
            // Any other attempt than the current one is stale, in every phase.
            Input::Prepared(offset, _) if offset != 0 => Outcome::Stale,
            Input::Prepared(0, Err(r)) if self.phase == Phase::Preparing => {
                Outcome::To(Phase::Aborted(r))
            }
            _ => {
                let column = match input {
                    Input::Prepare => 0,
                    Input::Abort => 1,
                    Input::Prepared(_, Ok(())) => 2,
                    Input::Prepared(..) => 3,
                    Input::Commit => 6,
                    Input::Rebooted => 7,
                    Input::Restored => 8,
                };
                row(self.phase, self.going_down)[column]
            }
        };
        if outcome == Outcome::To(Phase::Preparing) {
            self.attempt = self.attempt.wrapping_add(1);
        }
        if matches!(input, Input::Commit | Input::Rebooted) {
            self.going_down = true;
        }
        self.phase = next_phase(self.phase, outcome);
        outcome
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Random inputs, the handoff against the model, step by step; and committed is
    /// final, and no request is accepted once the kernel is going down.
    #[test]
    fn against_the_model(inputs in proptest::collection::vec(arb_input(), 1..60)) {
        let mut h = Handoff::new();
        let mut m = Model { phase: Phase::Idle, attempt: 0, going_down: false };
        for input in inputs {
            let was_committed = h.phase() == Phase::Committed;
            let going_down = m.going_down;
            let got = apply(&mut h, input);
            let want = m.step(input);
            prop_assert_eq!(got, want, "{:?}", input);
            prop_assert_eq!(h.phase(), m.phase);
            prop_assert_eq!(h.attempt(), m.attempt);
            if was_committed {
                prop_assert_eq!(h.phase(), Phase::Committed);
            }
            if going_down && matches!(input, Input::Prepare | Input::Abort) {
                prop_assert_eq!(got, Outcome::Busy);
            }
        }
    }
}
