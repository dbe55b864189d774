// SPDX-License-Identifier: GPL-2.0

//! Agent liveness: name and range validation, unique names among attached agents,
//! takeover of a lost agent's name, a bounded table, deadlines to the nanosecond, late
//! then dead, back, lost, clearing, a clock that never runs backwards, and no panic
//! on any sequence of calls.

use hadetect_core::abi;
use hadetect_core::agents::{
    valid_name, Agent, Agents, Event, Refusal, Status, FREE, MAX_AGENTS, MAX_ESCALATE_NS,
    MAX_PERIOD_NS, MIN_PERIOD_NS, NAME_LEN,
};
use proptest::prelude::*;
use std::collections::{BTreeMap, HashSet};

const MS: u64 = 1_000_000;
const SEC: u64 = 1000 * MS;

/// `s` as a NUL-padded name (at most `NAME_LEN` bytes).
fn name(s: &[u8]) -> [u8; NAME_LEN] {
    let mut n = [0u8; NAME_LEN];
    n[..s.len()].copy_from_slice(s);
    n
}

/// Registers `s` (pid 1), which must succeed.
fn reg(t: &mut Agents, s: &str, period: u64, escalate: u64, now: u64) -> u64 {
    t.register(&name(s.as_bytes()), 1, period, escalate, now)
        .unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

fn get(t: &Agents, id: u64) -> Agent {
    *t.iter().find(|a| a.id() == id).expect("agent in the table")
}

fn status(t: &Agents, id: u64) -> Status {
    get(t, id).status()
}

/// The events one `check` gives, as (id, event).
fn check(t: &mut Agents, now: u64) -> Vec<(u64, Event)> {
    let mut v = Vec::new();
    t.check(now, |a, ev| v.push((a.id(), ev)));
    v
}

// ------------------------------------------------------------------ names

#[test]
fn name_validation() {
    // Empty: a NUL first.
    assert!(!valid_name(&[0; NAME_LEN]));
    // No NUL at all: 32 good bytes.
    assert!(!valid_name(&[b'a'; NAME_LEN]));
    // 31 bytes and the NUL: the longest.
    let long = name(&[b'x'; NAME_LEN - 1]);
    assert!(valid_name(&long));
    // Every allowed byte, in 31-byte pieces.
    let allowed: Vec<u8> = (b'a'..=b'z')
        .chain(b'A'..=b'Z')
        .chain(b'0'..=b'9')
        .chain(*b"_.:-")
        .collect();
    for piece in allowed.chunks(NAME_LEN - 1) {
        assert!(
            valid_name(&name(piece)),
            "{:?}",
            String::from_utf8_lossy(piece)
        );
    }
    for good in [&b"a"[..], b"-", b".", b":", b"_", b"ha-agent.1:x_Y"] {
        assert!(valid_name(&name(good)));
    }
    // A bad byte anywhere before the NUL.
    for bad in [
        b' ', b'/', b'\\', b'\n', b'\t', b'@', b'*', b',', b'=', b'+', b'~', 0x01, 0x7f, 0x80, 0xff,
    ] {
        for at in [0, 1, 30] {
            let mut n = long;
            n[at] = bad;
            assert!(!valid_name(&n), "byte {bad:#x} at {at}");
        }
    }
    // Bytes after the first NUL are not the name's.
    let mut n = name(b"ab");
    n[3] = b'/';
    n[NAME_LEN - 1] = 0xff;
    assert!(valid_name(&n));
}

#[test]
fn register_refuses_bad_names_and_takes_the_longest() {
    let mut t = Agents::new();
    for bad in [
        [0u8; NAME_LEN],
        [b'a'; NAME_LEN],
        name(b"a b"),
        name(b"a/b"),
    ] {
        assert_eq!(
            t.register(&bad, 1, SEC, 0, 0),
            Err(Refusal::Invalid),
            "{bad:?}"
        );
    }
    assert_eq!(t.iter().count(), 0);
    let long = "L".repeat(NAME_LEN - 1);
    let id = reg(&mut t, &long, SEC, 0, 0);
    assert_eq!(get(&t, id).name(), long.as_bytes());
}

#[test]
fn period_and_escalation_bounds() {
    let cases = [
        (0, 0, false),
        (1, 0, false),
        (MIN_PERIOD_NS - 1, 0, false),
        (MIN_PERIOD_NS, 0, true),
        (MIN_PERIOD_NS + 1, 0, true),
        (MAX_PERIOD_NS - 1, 0, true),
        (MAX_PERIOD_NS, 0, true),
        (MAX_PERIOD_NS + 1, 0, false),
        (u64::MAX, 0, false),
        (SEC, 1, true),
        (SEC, MAX_ESCALATE_NS - 1, true),
        (SEC, MAX_ESCALATE_NS, true),
        (SEC, MAX_ESCALATE_NS + 1, false),
        (SEC, u64::MAX, false),
        (MAX_PERIOD_NS, MAX_ESCALATE_NS, true),
        (MAX_PERIOD_NS + 1, MAX_ESCALATE_NS + 1, false),
    ];
    for (i, (period, escalate, ok)) in cases.into_iter().enumerate() {
        let mut t = Agents::new();
        let r = t.register(&name(format!("a{i}").as_bytes()), 1, period, escalate, 0);
        if ok {
            let id = r.unwrap_or_else(|e| panic!("{period} {escalate}: {e:?}"));
            let a = get(&t, id);
            assert_eq!((a.period_ns(), a.escalate_ns()), (period, escalate));
        } else {
            assert_eq!(r, Err(Refusal::Invalid), "{period} {escalate}");
            assert_eq!(t.iter().count(), 0);
        }
    }
}

#[test]
fn limits_are_the_uapi_ones() {
    assert_eq!(NAME_LEN, abi::AGENT_NAME_LEN);
    assert_eq!(core::mem::size_of::<abi::Agent>(), NAME_LEN + 8);
    // hadetect.h: 10 .. 3600000 ms, escalate at most 86400000 ms, 32 agents.
    assert_eq!(MIN_PERIOD_NS, 10 * MS);
    assert_eq!(MAX_PERIOD_NS, 3_600_000 * MS);
    assert_eq!(MAX_ESCALATE_NS, 86_400_000 * MS);
    assert_eq!(MAX_AGENTS, 32);
    // Any u32 of ms converts to ns without overflow.
    assert!(u64::from(u32::MAX).checked_mul(MS).is_some());
}

#[test]
fn events_are_the_uapi_values_and_names() {
    let events = [
        (Event::Registered, abi::HD_AGENT_REGISTERED),
        (Event::Late, abi::HD_AGENT_LATE),
        (Event::Dead, abi::HD_AGENT_DEAD),
        (Event::Back, abi::HD_AGENT_BACK),
        (Event::Left, abi::HD_AGENT_LEFT),
        (Event::Lost, abi::HD_AGENT_LOST),
    ];
    for (ev, v) in events {
        assert_eq!(ev as i32, v, "{ev:?}");
    }
    let names: Vec<&str> = events
        .iter()
        .map(|&(_, v)| abi::HD_AGENT_NAMES[v as usize])
        .collect();
    assert_eq!(
        names,
        ["registered", "late", "dead", "back", "left", "lost"]
    );
    assert_eq!(abi::HD_AGENT_NAMES[0], "unknown");
    assert_eq!(Status::Ok.name(), "ok");
    assert_eq!(Status::Late.name(), "late");
    assert_eq!(Status::Dead.name(), "dead");
}

#[test]
fn a_free_entry_is_empty() {
    assert_eq!(FREE.id(), 0);
    assert_eq!(FREE.name(), b"");
    assert!(!FREE.attached());
    let t = Agents::default();
    assert_eq!(t.iter().count(), 0);
    assert_eq!(t.counts(), (0, 0));
    assert_eq!(t.next_deadline(), None);
}

// ------------------------------------------------------------------ ids, names, table

#[test]
fn ids_are_never_zero_and_unique() {
    let mut t = Agents::new();
    let mut seen = HashSet::new();
    for round in 0..200u64 {
        let ids: Vec<u64> = (0..MAX_AGENTS)
            .map(|i| reg(&mut t, &format!("a{i}"), SEC, 0, round))
            .collect();
        for id in ids {
            assert_ne!(id, 0);
            assert!(seen.insert(id), "id {id} twice");
            // Alternate: unregister, or detach and take over next round.
            if id % 2 == 0 {
                assert_eq!(t.unregister(id), Some(Event::Left));
            } else {
                assert_eq!(t.detach(id, round), Some(Event::Lost));
            }
        }
    }
    // Refusals use no id and change nothing.
    let before: Vec<u64> = t.iter().map(Agent::id).collect();
    let _ = t.register(&name(b""), 1, SEC, 0, 0);
    assert_eq!(t.iter().map(Agent::id).collect::<Vec<_>>(), before);
}

#[test]
fn a_name_held_by_an_attached_agent_is_busy() {
    let mut t = Agents::new();
    let a = reg(&mut t, "a", SEC, SEC, 0);
    assert_eq!(
        t.register(&name(b"a"), 2, 2 * SEC, 0, 1),
        Err(Refusal::Busy)
    );
    // Late, then dead: still attached, still holds its name.
    assert_eq!(check(&mut t, 3 * SEC), [(a, Event::Late), (a, Event::Dead)]);
    assert_eq!(
        t.register(&name(b"a"), 2, SEC, 0, 3 * SEC),
        Err(Refusal::Busy)
    );
    assert_eq!(t.iter().count(), 1);
    assert_eq!(get(&t, a).pid(), 1);
    // Names are case-sensitive; another name is fine.
    let b = reg(&mut t, "A", SEC, 0, 3 * SEC);
    assert_ne!(a, b);
    // Unregistered: the name is free again, under a new id.
    assert_eq!(t.unregister(a), Some(Event::Left));
    let a2 = reg(&mut t, "a", SEC, 0, 4 * SEC);
    assert_ne!(a2, a);
    assert_eq!(status(&t, a2), Status::Ok);
    assert_eq!(t.iter().count(), 2);
}

#[test]
fn a_lost_agents_name_is_taken_over() {
    for dead in [false, true] {
        let mut t = Agents::new();
        let old = reg(&mut t, "svc", SEC, SEC, 0);
        assert_eq!(t.detach(old, 100 * MS), Some(Event::Lost));
        if dead {
            assert_eq!(check(&mut t, 3 * SEC), [(old, Event::Dead)]);
        }
        assert_eq!(t.counts(), if dead { (0, 1) } else { (1, 0) });
        let now = 5 * SEC;
        let new = t
            .register(&name(b"svc"), 7, 2 * SEC, 0, now)
            .expect("takes over");
        assert_ne!(new, old);
        assert_eq!(t.iter().count(), 1);
        let a = get(&t, new);
        assert_eq!(a.name(), b"svc");
        assert_eq!(a.status(), Status::Ok);
        assert!(a.attached());
        assert_eq!(a.pid(), 7);
        assert_eq!(a.period_ns(), 2 * SEC);
        assert_eq!(a.escalate_ns(), 0);
        assert_eq!(a.last_ns(), now);
        assert_eq!(t.counts(), (0, 0));
        // The old id is gone.
        assert_eq!(t.heartbeat(old, now), None);
        assert_eq!(t.unregister(old), None);
        assert_eq!(t.detach(old, now), None);
        // The new agent holds the name.
        assert_eq!(
            t.register(&name(b"svc"), 8, SEC, 0, now),
            Err(Refusal::Busy)
        );
    }
}

#[test]
fn full_at_max_agents() {
    let mut t = Agents::new();
    let ids: Vec<u64> = (0..MAX_AGENTS)
        .map(|i| reg(&mut t, &format!("a{i}"), SEC, 0, 0))
        .collect();
    assert_eq!(t.iter().count(), MAX_AGENTS);
    assert_eq!(
        t.register(&name(b"extra"), 1, SEC, 0, 0),
        Err(Refusal::Full)
    );
    // A held name is busy before the table is full; a bad one invalid.
    assert_eq!(t.register(&name(b"a3"), 1, SEC, 0, 0), Err(Refusal::Busy));
    assert_eq!(
        t.register(&name(b"extra"), 1, 0, 0, 0),
        Err(Refusal::Invalid)
    );
    // A lost agent still takes a slot, but its name can be taken over.
    assert_eq!(t.detach(ids[5], 0), Some(Event::Lost));
    assert_eq!(
        t.register(&name(b"extra"), 1, SEC, 0, 0),
        Err(Refusal::Full)
    );
    let over = reg(&mut t, "a5", SEC, 0, 0);
    assert_eq!(t.iter().count(), MAX_AGENTS);
    // Clearing a lost agent or an unregistration frees a slot.
    assert_eq!(t.detach(over, 0), Some(Event::Lost));
    assert_eq!(t.clear_lost(Some(b"a5")), 1);
    let extra = reg(&mut t, "extra", SEC, 0, 0);
    assert_eq!(
        t.register(&name(b"extra2"), 1, SEC, 0, 0),
        Err(Refusal::Full)
    );
    assert_eq!(t.unregister(ids[0]), Some(Event::Left));
    let _ = reg(&mut t, "extra2", SEC, 0, 0);
    assert_eq!(t.iter().count(), MAX_AGENTS);
    assert!(t.iter().any(|a| a.id() == extra));
}

// ------------------------------------------------------------------ deadlines

#[test]
fn heartbeats_keep_an_agent_ok() {
    let mut t = Agents::new();
    let p = 100 * MS;
    let id = reg(&mut t, "beat", p, 0, 0);
    let mut now = 0;
    for i in 0..1000u64 {
        // Every period exactly, or half a period, or just after the last.
        now += match i % 3 {
            0 => p,
            1 => p / 2,
            _ => 1,
        };
        assert_eq!(check(&mut t, now), []);
        assert_eq!(t.heartbeat(id, now), Some(None));
        let a = get(&t, id);
        assert_eq!((a.status(), a.last_ns()), (Status::Ok, now));
        assert_eq!(t.next_deadline(), Some(now + p + 1));
    }
    assert_eq!(t.counts(), (0, 0));
}

#[test]
fn late_exactly_one_ns_after_the_deadline() {
    let mut t = Agents::new();
    let (start, p) = (1000, 250 * MS);
    let id = reg(&mut t, "edge", p, 0, start);
    assert_eq!(t.next_deadline(), Some(start + p + 1));
    // Exactly at the deadline: on time.
    assert_eq!(check(&mut t, start + p), []);
    assert_eq!(status(&t, id), Status::Ok);
    // One ns after: late, once.
    assert_eq!(check(&mut t, start + p + 1), [(id, Event::Late)]);
    assert_eq!(status(&t, id), Status::Late);
    assert_eq!(check(&mut t, start + p + 1), []);
    assert_eq!(check(&mut t, start + p + 2), []);
    // No escalation: never dead, nothing more to do.
    assert_eq!(t.next_deadline(), None);
    assert_eq!(check(&mut t, u64::MAX), []);
    assert_eq!(status(&t, id), Status::Late);
    assert_eq!(t.counts(), (1, 0));
}

#[test]
fn dead_only_with_escalation_and_after_it() {
    let mut t = Agents::new();
    let (start, p, e) = (5 * SEC, SEC, 3 * SEC);
    let id = reg(&mut t, "esc", p, e, start);
    let never = reg(&mut t, "never", p, 0, start);
    assert_eq!(
        check(&mut t, start + p + 1),
        [(id, Event::Late), (never, Event::Late)]
    );
    assert_eq!(t.next_deadline(), Some(start + p + e + 1));
    // Exactly at deadline + escalate: still late.
    assert_eq!(check(&mut t, start + p + e), []);
    assert_eq!(status(&t, id), Status::Late);
    // One ns after: dead, once.
    assert_eq!(check(&mut t, start + p + e + 1), [(id, Event::Dead)]);
    assert_eq!(status(&t, id), Status::Dead);
    assert_eq!(check(&mut t, start + p + e + 2), []);
    assert_eq!(check(&mut t, u64::MAX), []);
    assert_eq!(status(&t, never), Status::Late);
    assert_eq!(t.counts(), (1, 1));
    assert_eq!(t.next_deadline(), None);
}

#[test]
fn one_check_far_ahead_gives_late_then_dead() {
    let mut t = Agents::new();
    let a = reg(&mut t, "a", SEC, SEC, 0);
    let b = reg(&mut t, "b", 2 * SEC, SEC, 0);
    let c = reg(&mut t, "c", SEC, 0, 0);
    let d = reg(&mut t, "d", MAX_PERIOD_NS, MAX_ESCALATE_NS, 0);
    let evs = check(&mut t, 10 * SEC);
    assert_eq!(
        evs,
        [
            (a, Event::Late),
            (a, Event::Dead),
            (b, Event::Late),
            (b, Event::Dead),
            (c, Event::Late),
        ]
    );
    assert_eq!(status(&t, d), Status::Ok);
    assert_eq!(t.counts(), (1, 2));
    // Exactly one ns past the dead line, from ok.
    let mut t = Agents::new();
    let id = reg(&mut t, "x", SEC, 2 * SEC, 0);
    assert_eq!(check(&mut t, 3 * SEC), [(id, Event::Late)]);
    let mut t = Agents::new();
    let id = reg(&mut t, "x", SEC, 2 * SEC, 0);
    assert_eq!(
        check(&mut t, 3 * SEC + 1),
        [(id, Event::Late), (id, Event::Dead)]
    );
}

#[test]
fn a_heartbeat_brings_a_late_or_dead_agent_back() {
    let mut t = Agents::new();
    let p = SEC;
    let id = reg(&mut t, "back", p, SEC, 0);
    // Late, back.
    assert_eq!(check(&mut t, p + 1), [(id, Event::Late)]);
    assert_eq!(t.heartbeat(id, p + 2), Some(Some(Event::Back)));
    let a = get(&t, id);
    assert_eq!((a.status(), a.last_ns()), (Status::Ok, p + 2));
    assert_eq!(t.counts(), (0, 0));
    // The deadline starts again from the heartbeat.
    assert_eq!(check(&mut t, 2 * p + 2), []);
    assert_eq!(t.heartbeat(id, 2 * p + 2), Some(None));
    // Dead, back.
    let now = 100 * SEC;
    assert_eq!(check(&mut t, now), [(id, Event::Late), (id, Event::Dead)]);
    assert_eq!(t.heartbeat(id, now + 1), Some(Some(Event::Back)));
    assert_eq!(status(&t, id), Status::Ok);
    assert_eq!(t.heartbeat(id, now + 2), Some(None));
    assert_eq!(t.counts(), (0, 0));
    assert_eq!(t.next_deadline(), Some(now + 2 + p + 1));
}

#[test]
fn unknown_ids() {
    let mut t = Agents::new();
    for id in [0, 1, 2, u64::MAX] {
        assert_eq!(t.heartbeat(id, 0), None);
        assert_eq!(t.unregister(id), None);
        assert_eq!(t.detach(id, 0), None);
    }
    let id = reg(&mut t, "a", SEC, 0, 0);
    assert_ne!(id, 0);
    for other in [0, id + 1, u64::MAX] {
        assert_eq!(t.heartbeat(other, 0), None);
        assert_eq!(t.unregister(other), None);
        assert_eq!(t.detach(other, 0), None);
    }
    assert_eq!(get(&t, id).status(), Status::Ok);
    assert!(get(&t, id).attached());
    // Unregistered: unknown from then on.
    assert_eq!(t.unregister(id), Some(Event::Left));
    assert_eq!(t.heartbeat(id, 0), None);
    assert_eq!(t.unregister(id), None);
    assert_eq!(t.detach(id, 0), None);
    assert_eq!(t.iter().count(), 0);
}

#[test]
fn detach_makes_an_agent_lost_and_late_at_once() {
    let (p, e) = (SEC, 2 * SEC);
    // Ok, before its deadline: late at once, no Late event from check after.
    let mut t = Agents::new();
    let id = reg(&mut t, "lost", p, e, 0);
    assert_eq!(t.detach(id, 10), Some(Event::Lost));
    let a = get(&t, id);
    assert_eq!((a.status(), a.attached()), (Status::Late, false));
    assert_eq!(a.last_ns(), 0);
    assert_eq!(t.counts(), (1, 0));
    assert_eq!(t.next_deadline(), Some(p + e + 1));
    assert_eq!(check(&mut t, p + 1), []);
    assert_eq!(check(&mut t, p + e), []);
    // Dead once escalate has passed since its deadline.
    assert_eq!(check(&mut t, p + e + 1), [(id, Event::Dead)]);
    assert_eq!(t.counts(), (0, 1));
    assert_eq!(t.next_deadline(), None);

    // Detached exactly at the dead line: late; one ns after: dead at once.
    for (at, want) in [(p + e, Status::Late), (p + e + 1, Status::Dead)] {
        let mut t = Agents::new();
        let id = reg(&mut t, "lost", p, e, 0);
        assert_eq!(t.detach(id, at), Some(Event::Lost));
        assert_eq!(status(&t, id), want, "detached at {at}");
        assert!(!get(&t, id).attached());
        assert_eq!(check(&mut t, at), []);
    }

    // Without escalation: late forever.
    let mut t = Agents::new();
    let id = reg(&mut t, "lost", p, 0, 0);
    assert_eq!(t.detach(id, 1000 * SEC), Some(Event::Lost));
    assert_eq!(status(&t, id), Status::Late);
    assert_eq!(check(&mut t, u64::MAX), []);
    assert_eq!(t.next_deadline(), None);

    // Already late or dead when detached: it stays so.
    let mut t = Agents::new();
    let late = reg(&mut t, "late", p, e, 0);
    let noesc = reg(&mut t, "noesc", p, 0, 0);
    let _ = check(&mut t, p + 1);
    let dead = reg(&mut t, "dead", p, 1, p + 1);
    let _ = check(&mut t, 10 * SEC);
    assert_eq!(t.detach(dead, 10 * SEC), Some(Event::Lost));
    assert_eq!(status(&t, dead), Status::Dead);
    assert_eq!(t.detach(noesc, 10 * SEC), Some(Event::Lost));
    assert_eq!(status(&t, noesc), Status::Late);
    assert_eq!(status(&t, late), Status::Dead);
    assert_eq!(t.detach(late, 10 * SEC), Some(Event::Lost));
    assert_eq!(status(&t, late), Status::Dead);
    assert!(t.iter().all(|a| !a.attached()));
}

#[test]
fn clear_lost_removes_only_detached_agents() {
    let mut t = Agents::new();
    let a = reg(&mut t, "a", SEC, 0, 0);
    let b = reg(&mut t, "b", SEC, 0, 0);
    let c = reg(&mut t, "c", SEC, SEC, 0);
    let d = reg(&mut t, "d", SEC, 0, 0);
    let late = reg(&mut t, "late", SEC, 0, 0);
    for id in [b, c, d] {
        assert_eq!(t.detach(id, 0), Some(Event::Lost));
    }
    let _ = check(&mut t, 10 * SEC);
    assert_eq!(status(&t, c), Status::Dead);
    assert_eq!(status(&t, late), Status::Late);
    // One by name; attached ones, unknown names and prefixes are not cleared.
    assert_eq!(t.clear_lost(Some(b"b")), 1);
    assert!(t.iter().all(|x| x.id() != b));
    for keep in [&b"a"[..], b"late", b"zz", b"", b"dd", b"\0"] {
        assert_eq!(t.clear_lost(Some(keep)), 0, "{keep:?}");
    }
    assert_eq!(t.clear_lost(Some(b"b")), 0);
    assert_eq!(t.iter().count(), 4);
    // All the rest of the lost ones.
    assert_eq!(t.clear_lost(None), 2);
    let left: Vec<u64> = t.iter().map(Agent::id).collect();
    assert_eq!(left, [a, late]);
    assert_eq!(t.clear_lost(None), 0);
    assert_eq!(t.counts(), (2, 0));
    // A cleared name registers afresh.
    let _ = reg(&mut t, "c", SEC, 0, 10 * SEC);
}

#[test]
fn next_deadline_is_the_min() {
    let mut t = Agents::new();
    assert_eq!(t.next_deadline(), None);
    let a = reg(&mut t, "a", 5 * SEC, 0, 0); // ok: 5 s + 1
    assert_eq!(t.next_deadline(), Some(5 * SEC + 1));
    let _b = reg(&mut t, "b", 3 * SEC, 4 * SEC, 0); // ok: 3 s + 1
    assert_eq!(t.next_deadline(), Some(3 * SEC + 1));
    let c = reg(&mut t, "c", SEC, 0, 0); // ok: 1 s + 1
    assert_eq!(t.next_deadline(), Some(SEC + 1));
    // c late, no escalation: nothing more for it; b ok.
    assert_eq!(check(&mut t, SEC + 1), [(c, Event::Late)]);
    assert_eq!(t.next_deadline(), Some(3 * SEC + 1));
    // b late with escalation: its dead line + 1; a ok.
    let _ = check(&mut t, 3 * SEC + 1);
    assert_eq!(t.next_deadline(), Some(5 * SEC + 1));
    let _ = check(&mut t, 5 * SEC + 1);
    assert_eq!(status(&t, a), Status::Late);
    assert_eq!(t.next_deadline(), Some(7 * SEC + 1));
    // b dead: nothing left to do.
    let _ = check(&mut t, 7 * SEC + 1);
    assert_eq!(t.counts(), (2, 1));
    assert_eq!(t.next_deadline(), None);
    // A lost agent with escalation: its dead line + 1.
    let d = reg(&mut t, "d", 2 * SEC, SEC, 8 * SEC);
    assert_eq!(t.next_deadline(), Some(10 * SEC + 1));
    assert_eq!(t.detach(d, 8 * SEC), Some(Event::Lost));
    assert_eq!(t.next_deadline(), Some(11 * SEC + 1));
    // A heartbeat moves it on.
    assert_eq!(t.heartbeat(c, 9 * SEC), Some(Some(Event::Back)));
    assert_eq!(t.next_deadline(), Some(10 * SEC + 1));
}

#[test]
fn counts_are_late_and_dead() {
    let mut t = Agents::new();
    let _ok = reg(&mut t, "ok", 100 * SEC, 0, 0);
    let _late = reg(&mut t, "late", SEC, 0, 0);
    let _dead = reg(&mut t, "dead", SEC, SEC, 0);
    let lost = reg(&mut t, "lost", 100 * SEC, 0, 0);
    assert_eq!(t.counts(), (0, 0));
    let _ = check(&mut t, 3 * SEC);
    assert_eq!(t.counts(), (1, 1));
    assert_eq!(t.detach(lost, 3 * SEC), Some(Event::Lost));
    assert_eq!(t.counts(), (2, 1));
    assert_eq!(t.clear_lost(None), 1);
    assert_eq!(t.counts(), (1, 1));
}

#[test]
fn time_never_runs_backwards() {
    let mut t = Agents::new();
    let a = reg(&mut t, "a", SEC, 0, 100 * SEC);
    // Earlier times count as the latest seen.
    let b = reg(&mut t, "b", SEC, 0, 50 * SEC);
    assert_eq!(get(&t, b).last_ns(), 100 * SEC);
    assert_eq!(t.heartbeat(a, 0), Some(None));
    assert_eq!(get(&t, a).last_ns(), 100 * SEC);
    assert_eq!(check(&mut t, 0), []);
    // A check far ahead, then one in the past: the past one is "now".
    assert_eq!(
        check(&mut t, 200 * SEC),
        [(a, Event::Late), (b, Event::Late)]
    );
    assert_eq!(t.heartbeat(a, 150 * SEC), Some(Some(Event::Back)));
    assert_eq!(get(&t, a).last_ns(), 200 * SEC);
    assert_eq!(check(&mut t, 0), []);
    assert_eq!(status(&t, a), Status::Ok);
    // A detach in the past is at the latest time too.
    let c = reg(&mut t, "c", SEC, SEC, 200 * SEC);
    assert_eq!(t.detach(c, 0), Some(Event::Lost));
    assert_eq!(status(&t, c), Status::Late);
    assert_eq!(t.next_deadline(), Some(201 * SEC + 1));
}

#[test]
fn times_saturate() {
    let mut t = Agents::new();
    let a = reg(&mut t, "a", MAX_PERIOD_NS, MAX_ESCALATE_NS, u64::MAX - 1);
    assert_eq!(t.next_deadline(), Some(u64::MAX));
    assert_eq!(check(&mut t, u64::MAX), []);
    assert_eq!(status(&t, a), Status::Ok);
    assert_eq!(t.heartbeat(a, u64::MAX), Some(None));
    assert_eq!(t.detach(a, u64::MAX), Some(Event::Lost));
    assert_eq!(status(&t, a), Status::Late);
    assert_eq!(t.next_deadline(), Some(u64::MAX));
    let b = reg(&mut t, "b", MIN_PERIOD_NS, 0, 0);
    assert_eq!(get(&t, b).last_ns(), u64::MAX);
    assert_eq!(check(&mut t, u64::MAX), []);
}

/// Bytes after the name's NUL are not part of it (`valid_name`, `Agent::name`): an
/// agent whose buffer has garbage after the NUL (a C `strcpy` into an uninitialised
/// `struct hadetect_agent`) is the same name, busy while held, a takeover when lost.
#[test]
fn bytes_after_the_nul_do_not_make_another_name() {
    let mut garbage = name(b"svc");
    garbage[10] = b'x';
    garbage[NAME_LEN - 1] = 0xff;
    assert!(valid_name(&garbage));

    // Held by an attached agent: busy.
    let mut t = Agents::new();
    let _ = reg(&mut t, "svc", SEC, 0, 0);
    assert_eq!(t.register(&garbage, 2, SEC, 0, 0), Err(Refusal::Busy));

    // Held by a lost agent: taken over, one entry.
    let mut t = Agents::new();
    let old = reg(&mut t, "svc", SEC, 0, 0);
    assert_eq!(t.detach(old, 0), Some(Event::Lost));
    let new = t.register(&garbage, 2, SEC, 0, 0).expect("takes over");
    assert_eq!(t.iter().count(), 1);
    assert_eq!(get(&t, new).name(), b"svc");
    assert!(get(&t, new).attached());
    assert_eq!(t.clear_lost(None), 0);
    // And held again by the garbage spelling: the clean one is busy.
    assert_eq!(t.register(&name(b"svc"), 3, SEC, 0, 0), Err(Refusal::Busy));
}

// ------------------------------------------------------------------ properties

/// One call on the table; names from a small pool so that they collide, times as
/// steps from the latest time seen (negative: into the past).
#[derive(Clone, Debug)]
enum Op {
    Register {
        name: usize,
        /// A byte after the NUL (position, value): not part of the name.
        junk: (usize, u8),
        pid: i32,
        period: u64,
        escalate: u64,
        dt: i64,
    },
    Heartbeat {
        who: usize,
        dt: i64,
    },
    Unregister {
        who: usize,
    },
    Detach {
        who: usize,
        dt: i64,
    },
    Check {
        dt: i64,
    },
    ClearLost {
        name: Option<usize>,
    },
    Unknown {
        which: u8,
        dt: i64,
    },
}

const POOL: usize = 40;

fn pool_name(i: usize) -> Vec<u8> {
    format!("agent-{i}").into_bytes()
}

fn op() -> impl Strategy<Value = Op> {
    let dt = prop_oneof![
        4 => -50i64 * MS as i64..400 * MS as i64,
        1 => Just(0i64),
        1 => -10 * SEC as i64..10 * SEC as i64,
    ];
    let period = prop_oneof![
        8 => MIN_PERIOD_NS..=20 * MIN_PERIOD_NS,
        1 => Just(MIN_PERIOD_NS - 1),
        1 => Just(MAX_PERIOD_NS + 1),
    ];
    let escalate = prop_oneof![
        3 => Just(0u64),
        6 => 1..=30 * MIN_PERIOD_NS,
        1 => Just(MAX_ESCALATE_NS + 1),
    ];
    prop_oneof![
        4 => (0..POOL, (any::<usize>(), any::<u8>()), any::<i32>(), period, escalate, dt.clone())
            .prop_map(|(name, junk, pid, period, escalate, dt)| Op::Register {
                name,
                junk,
                pid,
                period,
                escalate,
                dt,
            }),
        4 => (any::<usize>(), dt.clone()).prop_map(|(who, dt)| Op::Heartbeat { who, dt }),
        1 => any::<usize>().prop_map(|who| Op::Unregister { who }),
        1 => (any::<usize>(), dt.clone()).prop_map(|(who, dt)| Op::Detach { who, dt }),
        4 => dt.clone().prop_map(|dt| Op::Check { dt }),
        1 => proptest::option::of(0..POOL).prop_map(|name| Op::ClearLost { name }),
        1 => (any::<u8>(), dt).prop_map(|(which, dt)| Op::Unknown { which, dt }),
    ]
}

/// The reference: one agent.
#[derive(Clone, Debug, PartialEq, Eq)]
struct M {
    id: u64,
    name: Vec<u8>,
    pid: i32,
    period: u64,
    escalate: u64,
    last: u64,
    status: Status,
    attached: bool,
}

impl M {
    fn of(a: &Agent) -> Self {
        Self {
            id: a.id(),
            name: a.name().to_vec(),
            pid: a.pid(),
            period: a.period_ns(),
            escalate: a.escalate_ns(),
            last: a.last_ns(),
            status: a.status(),
            attached: a.attached(),
        }
    }
}

/// The reference table, written from the file's documentation.
#[derive(Default)]
struct Model {
    agents: BTreeMap<u64, M>,
    clock: u64,
    gone: Vec<u64>,
}

impl Model {
    fn at(&self, dt: i64) -> u64 {
        self.clock.saturating_add_signed(dt)
    }

    fn tick(&mut self, now: u64) -> u64 {
        self.clock = self.clock.max(now);
        self.clock
    }

    /// The `who`-th attached agent.
    fn attached(&self, who: usize) -> Option<u64> {
        let ids: Vec<u64> = self
            .agents
            .values()
            .filter(|m| m.attached)
            .map(|m| m.id)
            .collect();
        (!ids.is_empty()).then(|| ids[who % ids.len()])
    }

    fn counts(&self) -> (u32, u32) {
        let n = |s| self.agents.values().filter(|m| m.status == s).count() as u32;
        (n(Status::Late), n(Status::Dead))
    }

    fn next_deadline(&self) -> Option<u64> {
        self.agents
            .values()
            .filter_map(|m| match m.status {
                Status::Ok => Some(m.last + m.period + 1),
                Status::Late if m.escalate > 0 => Some(m.last + m.period + m.escalate + 1),
                _ => None,
            })
            .min()
    }
}

fn snapshot(t: &Agents) -> BTreeMap<u64, M> {
    t.iter().map(|a| (a.id(), M::of(a))).collect()
}

fn counts_of(t: &Agents) -> (u32, u32) {
    let n = |s| t.iter().filter(|a| a.status() == s).count() as u32;
    (n(Status::Late), n(Status::Dead))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// A name is valid iff its bytes before a first NUL are 1 to 31 of
    /// `[A-Za-z0-9_.:-]`.
    #[test]
    fn valid_name_is_the_documented_rule(
        bytes in proptest::collection::vec(
            prop_oneof![
                4 => prop::sample::select(b"abzAZ09_.:-".to_vec()),
                1 => Just(0u8),
                1 => any::<u8>(),
            ],
            NAME_LEN,
        ),
    ) {
        let mut n = [0u8; NAME_LEN];
        n.copy_from_slice(&bytes);
        let want = match n.iter().position(|&b| b == 0) {
            None | Some(0) => false,
            Some(end) => n[..end]
                .iter()
                .all(|&b| b"_.:-".contains(&b) || b.is_ascii_digit() || b.is_ascii_alphabetic()),
        };
        prop_assert_eq!(valid_name(&n), want);
    }

    /// Any times, in any order (decreasing ones included): no panic, the clock is the
    /// largest time seen, and after each check every status is the one the clamped
    /// clock gives.
    #[test]
    fn time_never_runs_backwards_random(
        steps in proptest::collection::vec(
            (
                0u8..5,
                prop_oneof![3 => 0u64..20 * SEC, 1 => any::<u64>()],
                MIN_PERIOD_NS..=SEC,
                prop_oneof![Just(0u64), 1u64..=2 * SEC],
                any::<usize>(),
            ),
            1..80,
        ),
        decreasing in any::<bool>(),
    ) {
        let mut steps = steps;
        if decreasing {
            steps.sort_by_key(|s| std::cmp::Reverse(s.1));
        }
        let mut t = Agents::new();
        let mut clock = 0u64;
        for (i, (kind, now, period, escalate, who)) in steps.into_iter().enumerate() {
            let ids: Vec<u64> = t.iter().filter(|a| a.attached()).map(Agent::id).collect();
            let pick = (!ids.is_empty()).then(|| ids[who % ids.len()]);
            match kind {
                0 => {
                    let n = name(format!("t{}", i % 40).as_bytes());
                    clock = clock.max(now);
                    if let Ok(id) = t.register(&n, 1, period, escalate, now) {
                        prop_assert_eq!(get(&t, id).last_ns(), clock);
                    }
                }
                1 => {
                    if let Some(id) = pick {
                        clock = clock.max(now);
                        prop_assert!(t.heartbeat(id, now).is_some());
                        prop_assert_eq!(get(&t, id).last_ns(), clock);
                        prop_assert_eq!(status(&t, id), Status::Ok);
                    }
                }
                2 => {
                    if let Some(id) = pick {
                        clock = clock.max(now);
                        prop_assert_eq!(t.detach(id, now), Some(Event::Lost));
                    }
                }
                _ => {
                    clock = clock.max(now);
                    t.check(now, |_, _| {});
                    for a in t.iter() {
                        let deadline = a.last_ns().saturating_add(a.period_ns());
                        let dead = a.escalate_ns() != 0
                            && clock > deadline.saturating_add(a.escalate_ns());
                        let want = if dead {
                            Status::Dead
                        } else if clock > deadline || !a.attached() {
                            Status::Late
                        } else {
                            Status::Ok
                        };
                        prop_assert_eq!(a.status(), want, "{:?} at {}", a, clock);
                    }
                }
            }
            for a in t.iter() {
                prop_assert!(a.last_ns() <= clock);
            }
            prop_assert_eq!(t.counts(), counts_of(&t));
            let _ = t.next_deadline();
        }
    }

    /// Any sequence of calls: no panic, and the table agrees with the reference after
    /// every call (agents, events, refusals, counts, next deadline).
    #[test]
    fn random_operations_match_the_reference(
        ops in proptest::collection::vec(op(), 1..300),
    ) {
        let mut t = Agents::new();
        let mut m = Model::default();
        let mut ids = HashSet::new();
        for op in ops {
            match op {
                Op::Register { name: i, junk, pid, period, escalate, dt } => {
                    let now = m.at(dt);
                    let n = pool_name(i);
                    let mut raw = name(&n);
                    raw[n.len() + 1 + junk.0 % (NAME_LEN - n.len() - 1)] = junk.1;
                    let got = t.register(&raw, pid, period, escalate, now);
                    let valid = (MIN_PERIOD_NS..=MAX_PERIOD_NS).contains(&period)
                        && escalate <= MAX_ESCALATE_NS;
                    let want = if !valid {
                        Err(Refusal::Invalid)
                    } else {
                        let now = m.tick(now);
                        let held = m.agents.values().find(|a| a.name == n).cloned();
                        match held {
                            Some(h) if h.attached => Err(Refusal::Busy),
                            None if m.agents.len() == MAX_AGENTS => Err(Refusal::Full),
                            held => {
                                let id = *got.as_ref().map_err(|e| {
                                    TestCaseError::fail(format!("refused: {e:?}"))
                                })?;
                                if let Some(h) = held {
                                    m.agents.remove(&h.id);
                                    m.gone.push(h.id);
                                }
                                m.agents.insert(id, M {
                                    id,
                                    name: n,
                                    pid,
                                    period,
                                    escalate,
                                    last: now,
                                    status: Status::Ok,
                                    attached: true,
                                });
                                Ok(id)
                            }
                        }
                    };
                    prop_assert_eq!(got, want);
                    if let Ok(id) = got {
                        prop_assert_ne!(id, 0);
                        prop_assert!(ids.insert(id), "id {} given twice", id);
                    }
                }
                Op::Heartbeat { who, dt } => {
                    let now = m.at(dt);
                    let Some(id) = m.attached(who) else { continue };
                    let got = t.heartbeat(id, now);
                    let now = m.tick(now);
                    let a = m.agents.get_mut(&id).expect("model agent");
                    let back = a.status != Status::Ok;
                    a.status = Status::Ok;
                    a.last = now;
                    prop_assert_eq!(got, Some(back.then_some(Event::Back)));
                }
                Op::Unregister { who } => {
                    let Some(id) = m.attached(who) else { continue };
                    prop_assert_eq!(t.unregister(id), Some(Event::Left));
                    m.agents.remove(&id);
                    m.gone.push(id);
                }
                Op::Detach { who, dt } => {
                    let now = m.at(dt);
                    let Some(id) = m.attached(who) else { continue };
                    prop_assert_eq!(t.detach(id, now), Some(Event::Lost));
                    let now = m.tick(now);
                    let a = m.agents.get_mut(&id).expect("model agent");
                    a.attached = false;
                    if a.escalate > 0 && now > a.last + a.period + a.escalate {
                        a.status = Status::Dead;
                    } else if a.status == Status::Ok {
                        a.status = Status::Late;
                    }
                }
                Op::Check { dt } => {
                    let now = m.at(dt);
                    let got = check(&mut t, now);
                    let now = m.tick(now);
                    let mut want = Vec::new();
                    for a in m.agents.values_mut() {
                        let deadline = a.last + a.period;
                        if a.status == Status::Ok && now > deadline {
                            a.status = Status::Late;
                            want.push((a.id, Event::Late));
                        }
                        if a.status == Status::Late
                            && a.escalate > 0
                            && now > deadline + a.escalate
                        {
                            a.status = Status::Dead;
                            want.push((a.id, Event::Dead));
                        }
                    }
                    // Per agent, Late before Dead; across agents, table order.
                    for (i, &(id, ev)) in got.iter().enumerate() {
                        if ev == Event::Dead {
                            prop_assert!(
                                !got[i + 1..].contains(&(id, Event::Late)),
                                "Dead before Late: {:?}", got
                            );
                        }
                    }
                    let mut sorted = got.clone();
                    sorted.sort_by_key(|&(id, ev)| (id, ev as u8));
                    prop_assert_eq!(sorted, want);
                }
                Op::ClearLost { name: i } => {
                    let n = i.map(pool_name);
                    let got = t.clear_lost(n.as_deref());
                    let gone: Vec<u64> = m
                        .agents
                        .values()
                        .filter(|a| !a.attached && n.as_ref().is_none_or(|n| *n == a.name))
                        .map(|a| a.id)
                        .collect();
                    for id in &gone {
                        m.agents.remove(id);
                    }
                    m.gone.extend(&gone);
                    prop_assert_eq!(got as usize, gone.len());
                }
                Op::Unknown { which, dt } => {
                    let now = m.at(dt);
                    let id = match which % 3 {
                        0 => 0,
                        1 => u64::MAX,
                        _ if m.gone.is_empty() => 0,
                        _ => m.gone[usize::from(which) % m.gone.len()],
                    };
                    prop_assert!(!m.agents.contains_key(&id));
                    match which % 4 {
                        0 => prop_assert_eq!(t.heartbeat(id, now), None),
                        1 => prop_assert_eq!(t.unregister(id), None),
                        _ => prop_assert_eq!(t.detach(id, now), None),
                    }
                    if which % 4 != 1 {
                        m.tick(now);
                    }
                }
            }
            // The whole table, after every call.
            prop_assert_eq!(&snapshot(&t), &m.agents);
            prop_assert!(t.iter().count() <= MAX_AGENTS);
            prop_assert_eq!(t.counts(), counts_of(&t));
            prop_assert_eq!(t.counts(), m.counts());
            prop_assert_eq!(t.next_deadline(), m.next_deadline());
            let mut names = HashSet::new();
            for a in t.iter() {
                prop_assert!(valid_name(&name(a.name())));
                prop_assert!(names.insert(a.name().to_vec()), "two agents named {:?}", a.name());
                prop_assert_ne!(a.id(), 0);
                prop_assert!(a.attached() || a.status() != Status::Ok);
            }
        }
    }
}
