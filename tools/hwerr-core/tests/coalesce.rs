// SPDX-License-Identifier: GPL-2.0

//! Storm coalescing: bounded records, and no error ever uncounted.

use hwerr_core::abi::{self, Mce, Record};
use hwerr_core::coalesce::{Coalescer, Config, Tracker, Verdict, FREE, STORAGE};
use proptest::prelude::*;
use zerocopy::{FromBytes, IntoBytes};

const MS: u64 = 1_000_000;

fn coalescer(cfg: Config) -> Coalescer<Vec<Tracker>> {
    Coalescer::new(cfg, vec![FREE; STORAGE]).expect("storage")
}

/// An MCE with this bank/address, captured at `t` ns.
fn mce(bank: u8, addr: u64, t: u64) -> Record {
    let mut rec = Record {
        hdr: abi::Header {
            size: abi::RECORD_SIZE as u16,
            source: abi::SRC_MCE,
            severity: abi::SEV_CORRECTED,
            count: 1,
            boottime_ns: t,
            ..abi::Header::default()
        },
        payload: [0; abi::PAYLOAD_SIZE],
    };
    let m = Mce {
        status: 0x8c00_0040_0001_0090,
        addr,
        bank,
        ..Mce::read_from_bytes(&[0u8; core::mem::size_of::<Mce>()][..]).expect("zeroed")
    };
    rec.payload[..core::mem::size_of::<Mce>()].copy_from_slice(m.as_bytes());
    rec
}

/// Offers every record; returns what would be logged (records and summaries).
fn run(c: &mut Coalescer<Vec<Tracker>>, recs: &[Record]) -> Vec<Record> {
    let mut logged = Vec::new();
    for r in recs {
        let mut out = Vec::new();
        if c.offer(r, &mut |s| out.push(s)) == Verdict::Log {
            out.push(*r);
        }
        logged.extend(out);
    }
    logged
}

#[test]
fn bad_storage_is_refused() {
    assert!(Coalescer::new(Config::DEFAULT, vec![FREE; STORAGE - 1]).is_none());
}

#[test]
fn identical_storm_is_burst_plus_one_summary_per_window() {
    let mut c = coalescer(Config::DEFAULT);
    // 100000 identical errors, 10 us apart: 1 s, one window.
    let recs: Vec<_> = (0..100_000).map(|i| mce(3, 0x1000, i * 10_000)).collect();
    let mut logged = run(&mut c, &recs);
    assert_eq!(logged.len(), 2);
    assert_eq!(c.pending()[usize::from(abi::SRC_MCE)], 99_998);
    c.flush_all(&mut |s| logged.push(s));
    assert_eq!(logged.len(), 3);
    let s = &logged[2];
    assert_eq!(s.hdr.flags & abi::F_COALESCED, abi::F_COALESCED);
    assert_eq!(s.hdr.flags & abi::F_MIXED, 0);
    assert_eq!(s.hdr.count, 99_998);
    assert_eq!(
        (s.hdr.boottime_ns, s.hdr.last_boottime_ns),
        (20_000, 999_990_000)
    );
    assert_eq!(c.pending(), [0; abi::SRC_SLOTS]);
}

#[test]
fn previous_boot_records_are_logged_as_they_are() {
    let mut c = coalescer(Config::DEFAULT);
    // A crash record's 1000 identical errors, re-emitted: none folded, no summary,
    // and this boot's storm state untouched.
    let recs: Vec<_> = (0..1000)
        .map(|i| {
            let mut r = mce(3, 0x1000, 5_000_000_000_000 + i);
            r.hdr.flags |= abi::F_PREVIOUS_BOOT;
            r
        })
        .collect();
    assert_eq!(run(&mut c, &recs).len(), 1000);
    assert_eq!(c.pending(), [0; abi::SRC_SLOTS]);
    let now: Vec<_> = (0..4).map(|i| mce(3, 0x1000, i * 10)).collect();
    assert_eq!(run(&mut c, &now).len(), 2);
}

#[test]
fn summary_is_logged_when_the_window_passes() {
    let mut c = coalescer(Config {
        window_ns: 100 * MS,
        burst: 1,
        rate: 0,
    });
    let mut recs: Vec<_> = (0..10).map(|i| mce(1, 0x2000, i * MS)).collect();
    assert_eq!(c.deadline(), None);
    let logged = run(&mut c, &recs);
    assert_eq!(logged.len(), 1);
    assert_eq!(c.deadline(), Some(100 * MS));
    // The same error after the window: the summary first, then it opens a new window.
    recs = vec![mce(1, 0x2000, 150 * MS)];
    let logged = run(&mut c, &recs);
    assert_eq!(logged.len(), 2);
    assert_eq!(logged[0].hdr.count, 9);
    assert_eq!(logged[1].hdr.count, 1);
    assert_eq!(logged[1].hdr.flags & abi::F_COALESCED, 0);
    // A timer at the deadline flushes a summary nobody else triggers.
    let logged = run(
        &mut c,
        &[mce(1, 0x2000, 151 * MS), mce(1, 0x2000, 152 * MS)],
    );
    assert!(logged.is_empty());
    assert_eq!(c.deadline(), Some(250 * MS));
    let mut out = Vec::new();
    c.flush_expired(250 * MS, &mut |s| out.push(s));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].hdr.count, 2);
}

#[test]
fn distinct_errors_beyond_the_rate_fold_into_one_mixed_summary() {
    let mut c = coalescer(Config {
        window_ns: 1000 * MS,
        burst: 2,
        rate: 100,
    });
    let recs: Vec<_> = (0..5000).map(|i| mce(2, 0x1000 * i, i * 1000)).collect();
    let mut logged = run(&mut c, &recs);
    c.flush_all(&mut |s| logged.push(s));
    let mixed: Vec<_> = logged
        .iter()
        .filter(|r| r.hdr.flags & abi::F_MIXED != 0)
        .collect();
    assert_eq!(mixed.len(), 1);
    assert_eq!(mixed[0].hdr.count, 4900);
    assert_eq!(logged.len(), 101);
    assert_eq!(
        logged.iter().map(|r| u64::from(r.hdr.count)).sum::<u64>(),
        5000
    );
}

#[test]
fn off_and_uncoalescable_records_are_always_logged() {
    let mut c = coalescer(Config {
        window_ns: 0,
        ..Config::DEFAULT
    });
    let recs: Vec<_> = (0..10).map(|i| mce(3, 0x1000, i)).collect();
    assert_eq!(run(&mut c, &recs).len(), 10);
    let mut c = coalescer(Config::DEFAULT);
    let mut lost = mce(3, 0x1000, 0);
    lost.hdr.source = abi::SRC_LOST;
    assert_eq!(run(&mut c, &[lost; 10]).len(), 10);
}

#[test]
fn fields_that_do_not_identify_an_error_do_not_split_it() {
    let mut c = coalescer(Config {
        burst: 1,
        ..Config::DEFAULT
    });
    let a = mce(4, 0x3000, 0);
    let mut b = mce(4, 0x3000, 5);
    b.hdr.cpu = 1; // another CPU, same bank/status/address
    b.payload[16] = 0xff; // misc differs
    let mut d = mce(4, 0x3000, 6);
    d.hdr.severity = abi::SEV_RECOVERABLE; // another severity: another error
    let logged = run(&mut c, &[a, b, d]);
    assert_eq!(logged.len(), 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// For any stream, any configuration and any clock (even one that steps back):
    /// the counts of what is logged plus what is pending equal what was offered, per
    /// source; records per window stay bounded; a flush leaves nothing pending.
    #[test]
    fn every_error_is_counted_exactly_once(
        window_ms in 0u64..50,
        burst in 0u32..4,
        rate in 0u32..20,
        ops in proptest::collection::vec((0u8..3, 0u8..6, 0u64..3 * MS, any::<bool>()), 1..3000),
    ) {
        let mut c = coalescer(Config { window_ns: window_ms * MS, burst, rate });
        let mut offered = [0u64; abi::SRC_SLOTS];
        let mut counted = [0u64; abi::SRC_SLOTS];
        let mut t = 10 * MS;
        for (kind, id, dt, back) in ops {
            t = if back { t.saturating_sub(dt / 4) } else { t + dt };
            let mut rec = mce(id, u64::from(id) << 12, t);
            match kind {
                0 => {}
                1 => rec.hdr.source = abi::SRC_EDAC,
                _ => rec.hdr.source = abi::SRC_LOST,
            }
            offered[usize::from(rec.hdr.source)] += 1;
            let mut add = |r: Record| counted[usize::from(r.hdr.source)] += u64::from(r.hdr.count);
            if c.offer(&rec, &mut add) == Verdict::Log {
                counted[usize::from(rec.hdr.source)] += 1;
            }
            let pending = c.pending();
            for s in 0..abi::SRC_SLOTS {
                prop_assert_eq!(counted[s] + pending[s], offered[s], "source {}", s);
            }
        }
        c.flush_all(&mut |r| counted[usize::from(r.hdr.source)] += u64::from(r.hdr.count));
        prop_assert_eq!(c.pending(), [0; abi::SRC_SLOTS]);
        prop_assert_eq!(counted, offered);
    }
}
