// SPDX-License-Identifier: GPL-2.0

//! The record ring against a model: every record ever appended is remembered, and a
//! reader's view (records, overrun notices, readiness, seeks) must agree with it.

use hwerr_core::abi::{self, Filter, Lost, Record};
use hwerr_core::ring::{self, checkpoints_for, Checkpoint, Cursor, Ring, RingError, Step};
use proptest::prelude::*;
use zerocopy::FromBytes;

type TestRing = Ring<Vec<Record>, Vec<Checkpoint>>;

fn ring(cap: usize) -> TestRing {
    Ring::new(
        vec![record(0, 0); cap],
        vec![Checkpoint::default(); checkpoints_for(cap)],
    )
    .expect("valid ring")
}

use hwerr_core::ring::blank as record;

/// An overrun notice made for this reader (not a record appended to the ring).
fn synthetic(rec: &Record) -> bool {
    rec.hdr.source == abi::SRC_LOST && rec.hdr.flags & abi::F_SYNTHETIC != 0
}

fn lost(rec: &Record) -> Lost {
    Lost::read_from_prefix(&rec.payload[..]).expect("payload").0
}

/// Reads everything `cur` can get now, with a budget of `budget` per step.
fn drain(r: &TestRing, cur: &mut Cursor, budget: usize) -> Vec<Record> {
    let mut out = Vec::new();
    loop {
        match r.next(cur, budget, (0, 0)) {
            Step::Record(rec) => out.push(rec),
            Step::Budget => {}
            Step::Empty { next_seq } => {
                assert_eq!(next_seq, r.next_seq());
                return out;
            }
        }
    }
}

#[test]
fn copy_newest_is_the_newest_oldest_first() {
    let mut r = ring(16);
    let mut out = vec![record(0, 0); 5];
    assert_eq!(r.copy_newest(&mut out), 0);
    for i in 0..40u8 {
        r.append(&record(i % abi::SRC_NR, 0)).expect("append");
    }
    assert_eq!(r.copy_newest(&mut out), 5);
    let seqs: Vec<u64> = out.iter().map(|r| r.hdr.seq).collect();
    assert_eq!(seqs, [36, 37, 38, 39, 40]);
    // More room than records: only what the ring holds (the last 16).
    let mut out = vec![record(0, 0); 100];
    assert_eq!(r.copy_newest(&mut out), 16);
    assert_eq!((out[0].hdr.seq, out[15].hdr.seq), (25, 40));
    assert_eq!(r.copy_newest(&mut []), 0);
}

#[test]
fn bad_storage_is_invalid() {
    let cps = |n| vec![Checkpoint::default(); n];
    assert_eq!(
        Ring::new(vec![record(0, 0); 15], cps(checkpoints_for(15))).err(),
        Some(RingError::Invalid)
    );
    assert_eq!(
        Ring::new(vec![record(0, 0); 16], cps(1)).err(),
        Some(RingError::Invalid)
    );
    let mut r = ring(16);
    assert_eq!(r.append(&record(16, 0)), Err(RingError::BadSource));
    assert_eq!(r.append(&record(1, 8)), Err(RingError::BadSource));
    assert_eq!(r.next_seq(), 1);
}

#[test]
fn overrun_counts_each_source_exactly() {
    let mut r = ring(16);
    let mut cur = r.cursor();
    for i in 0..40 {
        let src = if i % 4 == 3 {
            abi::SRC_EDAC
        } else {
            abi::SRC_MCE
        };
        r.append(&record(src, abi::SEV_CORRECTED)).expect("append");
    }
    let out = drain(&r, &mut cur, 4);
    assert_eq!(out.len(), 17);
    let first = lost(&out[0]);
    assert_eq!(out[0].hdr.source, abi::SRC_LOST);
    assert_eq!(out[0].hdr.flags & abi::F_SYNTHETIC, abi::F_SYNTHETIC);
    assert_eq!(
        (first.reason, first.first_seq, first.total),
        (abi::LOST_OVERRUN, 1, 24)
    );
    assert_eq!(first.by_source[usize::from(abi::SRC_MCE)], 18);
    assert_eq!(first.by_source[usize::from(abi::SRC_EDAC)], 6);
    for (i, rec) in out.iter().skip(1).enumerate() {
        assert_eq!(rec.hdr.seq, 25 + i as u64);
    }
    assert_eq!((cur.missed, cur.next), (24, 41));
}

#[test]
fn filtered_reader_skips_in_one_step_and_polls_in_constant_time() {
    let mut r = ring(1024);
    let mut cur = r.cursor();
    cur.filter = Filter {
        source_mask: 1 << abi::SRC_MCE,
        severity_mask: ring::ALL.severity_mask,
    };
    for _ in 0..1000 {
        r.append(&record(abi::SRC_EDAC, abi::SEV_FATAL))
            .expect("append");
    }
    assert_eq!(r.readiness(cur.next, &cur.filter), (false, false));
    // One step, however many records it skips, and nothing is lost.
    assert!(matches!(
        r.next(&mut cur, 1, (0, 0)),
        Step::Empty { next_seq: 1001 }
    ));
    assert_eq!((cur.next, cur.missed), (1001, 0));
    r.append(&record(abi::SRC_MCE, abi::SEV_CORRECTED))
        .expect("append");
    assert_eq!(r.readiness(cur.next, &cur.filter), (true, false));
    r.append(&record(abi::SRC_MCE, abi::SEV_FATAL))
        .expect("append");
    assert_eq!(r.readiness(cur.next, &cur.filter), (true, true));
    let out = drain(&r, &mut cur, 1);
    assert_eq!(
        out.iter().map(|r| r.hdr.seq).collect::<Vec<_>>(),
        vec![1001, 1002]
    );
    assert_eq!(r.readiness(cur.next, &cur.filter), (false, false));
}

#[test]
fn budget_bounds_each_step() {
    let mut r = ring(64);
    let mut cur = r.cursor();
    cur.filter.source_mask = 1 << abi::SRC_AER;
    for _ in 0..40 {
        r.append(&record(abi::SRC_EDAC, abi::SEV_INFO))
            .expect("append");
    }
    r.append(&record(abi::SRC_AER, abi::SEV_INFO))
        .expect("append");
    let mut steps = 0;
    let rec = loop {
        steps += 1;
        match r.next(&mut cur, 8, (0, 0)) {
            Step::Budget => continue,
            Step::Record(rec) => break rec,
            Step::Empty { .. } => panic!("record missing"),
        }
    };
    assert_eq!((rec.hdr.seq, steps), (41, 6));
}

#[test]
fn seek_bounds_and_overrun_after_seek() {
    let mut r = ring(16);
    for _ in 0..10 {
        r.append(&record(abi::SRC_AER, abi::SEV_CORRECTED))
            .expect("append");
    }
    let mut cur = r.cursor();
    r.seek(&mut cur, abi::SEEK_SEQ, 4).expect("seek");
    for _ in 0..20 {
        r.append(&record(abi::SRC_EDAC, abi::SEV_INFO))
            .expect("append");
    }
    let out = drain(&r, &mut cur, 64);
    let l = lost(&out[0]);
    assert_eq!(l.by_source[usize::from(abi::SRC_AER)], 7);
    assert_eq!(l.by_source[usize::from(abi::SRC_EDAC)], 4);
    assert_eq!((l.total, l.first_seq), (11, 4));
    assert_eq!(r.seek(&mut cur, abi::SEEK_SEQ, 14), Err(RingError::Invalid));
    assert_eq!(r.seek(&mut cur, abi::SEEK_SEQ, 32), Err(RingError::Invalid));
    assert_eq!(r.seek(&mut cur, 7, 0), Err(RingError::Invalid));
    assert!(r.seek(&mut cur, abi::SEEK_SEQ, 31).is_ok());
}

/// One read of everything: checks order, classes, filter, readiness and overrun
/// notices, and adds what the notices say was missed to `seen`.
fn read_and_count(
    r: &TestRing,
    cur: &mut Cursor,
    budget: usize,
    start: u64,
    all: &[(u8, u8)],
    seen: &mut [u64; abi::SRC_SLOTS],
) -> Result<(), TestCaseError> {
    let (readable, urgent) = r.readiness(cur.next, &cur.filter);
    let from = cur.next;
    let out = drain(r, cur, budget);
    prop_assert_eq!(readable, !out.is_empty());
    let real: Vec<_> = out.iter().filter(|x| !synthetic(x)).collect();
    prop_assert_eq!(
        urgent,
        real.iter()
            .any(|x| ring::is_urgent(x.hdr.source, x.hdr.severity))
    );
    let mut last = 0;
    for rec in &out {
        if synthetic(rec) {
            let l = lost(rec);
            prop_assert_eq!(l.first_seq, from.max(start));
            for (s, n) in l.by_source.iter().enumerate() {
                seen[s] += n;
            }
        } else {
            prop_assert!(rec.hdr.seq > last);
            last = rec.hdr.seq;
            let (s, v) = all[rec.hdr.seq as usize - 1];
            prop_assert_eq!((rec.hdr.source, rec.hdr.severity), (s, v));
            prop_assert!(ring::passes(&cur.filter, rec));
        }
    }
    prop_assert_eq!(cur.next, r.next_seq());
    Ok(())
}

/// One operation of the property test.
#[derive(Clone, Debug)]
enum Op {
    Append(u8, u8),
    Read(usize),
    Seek(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..abi::SRC_NR, 0u8..abi::SEV_NR).prop_map(|(s, v)| Op::Append(s, v)),
        2 => (1usize..300).prop_map(Op::Read),
        1 => any::<u64>().prop_map(Op::Seek),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever a filtered reader does, what it reads plus what it was told it missed
    /// plus what its filter skipped is exactly what was appended, per source; records
    /// come in increasing order; readiness agrees with what a read returns.
    #[test]
    fn reader_accounts_for_every_record(
        cap in 16usize..600,
        source_mask in 0u32..(1 << abi::SRC_NR),
        severity_mask in 0u32..(1 << abi::SEV_NR),
        ops in proptest::collection::vec(op(), 1..2500),
    ) {
        let mut r = ring(cap);
        let mut cur = r.cursor();
        cur.filter = Filter { source_mask, severity_mask };
        // Model: the class of every record ever appended, by sequence number - 1.
        let mut all: Vec<(u8, u8)> = Vec::new();
        // Per source: read, told missed, skipped by the filter (by the model).
        let mut seen = [0u64; abi::SRC_SLOTS];
        let mut last_seq = 0u64;
        let mut start = 1u64; // where the reader started counting (after seeks)
        let mut before_start = [0u64; abi::SRC_SLOTS];
        for op in ops {
            match op {
                Op::Append(s, v) => {
                    let seq = r.append(&record(s, v)).expect("append");
                    all.push((s, v));
                    prop_assert_eq!(seq, all.len() as u64);
                }
                Op::Read(budget) => {
                    let (lo, hi) = (cur.next.max(r.oldest()), r.next_seq());
                    read_and_count(&r, &mut cur, budget, start, &all, &mut seen)?;
                    // The walk consumed (read or skipped) every record in lo..hi.
                    for &(s, _) in &all[(lo - 1) as usize..(hi - 1) as usize] {
                        seen[usize::from(s)] += 1;
                    }
                    last_seq = hi - 1;
                }
                Op::Seek(x) => {
                    let seq = r.oldest() + x % (r.next_seq() - r.oldest() + 1);
                    r.seek(&mut cur, abi::SEEK_SEQ, seq).expect("in range");
                    // Restart the accounting at the seek target.
                    start = seq;
                    last_seq = seq - 1;
                    seen = [0; abi::SRC_SLOTS];
                    before_start = [0; abi::SRC_SLOTS];
                    for &(s, _) in &all[..(seq - 1) as usize] {
                        before_start[usize::from(s)] += 1;
                    }
                }
            }
        }
        // A final read, then the books must balance: for every source, what the reader
        // consumed plus what it was told it missed is what was appended since `start`.
        let (lo, hi) = (cur.next.max(r.oldest()), r.next_seq());
        read_and_count(&r, &mut cur, 7, start, &all, &mut seen)?;
        for &(s, _) in &all[(lo - 1) as usize..(hi - 1) as usize] {
            seen[usize::from(s)] += 1;
        }
        let _ = last_seq;
        for (s, n) in seen.iter().enumerate() {
            let appended = all.iter().filter(|&&(x, _)| usize::from(x) == s).count() as u64;
            prop_assert_eq!(*n, appended - before_start[s], "source {}", s);
        }
    }

    /// Seeking to any sequence number in the ring gives the same per-source counts
    /// whether it uses a checkpoint or not: an overrun after it reports exactly the
    /// records between the seek target and the new oldest record.
    #[test]
    fn seek_counts_match_model(
        cap in 16usize..1200,
        srcs in proptest::collection::vec(0u8..abi::SRC_NR, 1..3000),
        pick in any::<u64>(),
        more in 0usize..3000,
    ) {
        let mut r = ring(cap);
        for &s in &srcs {
            r.append(&record(s, 0)).expect("append");
        }
        let seq = r.oldest() + pick % (r.next_seq() - r.oldest() + 1);
        let mut cur = r.cursor();
        r.seek(&mut cur, abi::SEEK_SEQ, seq).expect("seek");
        let mut all = srcs.clone();
        for i in 0..more {
            let s = (i % abi::SRC_NR as usize) as u8;
            r.append(&record(s, 0)).expect("append");
            all.push(s);
        }
        if let Step::Record(rec) = r.next(&mut cur, 1, (0, 0)) {
            if synthetic(&rec) {
                let l = lost(&rec);
                let mut want = [0u64; abi::SRC_SLOTS];
                for &s in &all[(seq - 1) as usize..(r.oldest() - 1) as usize] {
                    want[usize::from(s)] += 1;
                }
                prop_assert_eq!(l.by_source, want);
            } else {
                prop_assert_eq!(rec.hdr.seq, seq);
            }
        }
    }
}

#[test]
fn for_newest_walks_the_newest_oldest_first() {
    let mut r = ring(16);
    let mut seqs = Vec::new();
    assert_eq!(r.for_newest(5, |rec| seqs.push(rec.hdr.seq)), 0);
    for i in 0..40u8 {
        r.append(&record(i % abi::SRC_NR, 0)).expect("append");
    }
    assert_eq!(r.for_newest(5, |rec| seqs.push(rec.hdr.seq)), 5);
    assert_eq!(seqs, [36, 37, 38, 39, 40]);
    seqs.clear();
    // More asked than held: what the ring holds.
    assert_eq!(r.for_newest(100, |rec| seqs.push(rec.hdr.seq)), 16);
    assert_eq!(seqs, (25..=40).collect::<Vec<u64>>());
}

#[test]
fn resume_continues_another_logs_numbering() {
    let mut r = ring(16);
    assert_eq!(r.resume(0), Err(RingError::Invalid));
    r.resume(1000).expect("resume an empty ring");
    assert_eq!((r.next_seq(), r.oldest(), r.len()), (1000, 1000, 0));
    // Records handed over keep their numbers, new ones follow.
    for _ in 0..3 {
        r.append(&record(abi::SRC_MCE, 0)).expect("append");
    }
    assert_eq!((r.oldest(), r.next_seq()), (1000, 1003));
    let mut cur = r.cursor();
    let seqs: Vec<u64> = drain(&r, &mut cur, 64).iter().map(|x| x.hdr.seq).collect();
    assert_eq!(seqs, [1000, 1001, 1002]);
    // Seeking below the first handed-over record is refused, to it works.
    assert!(r.seek(&mut cur, abi::SEEK_SEQ, 999).is_err());
    r.seek(&mut cur, abi::SEEK_SEQ, 1000).expect("seek");
    assert_eq!(drain(&r, &mut cur, 64).len(), 3);
    // Only once, and never after an append.
    assert_eq!(r.resume(5000), Err(RingError::Invalid));
    let mut fresh = ring(16);
    fresh.append(&record(abi::SRC_MCE, 0)).expect("append");
    assert_eq!(fresh.resume(5000), Err(RingError::Invalid));
}

#[test]
fn resumed_ring_wraps_and_counts_overruns_like_any() {
    let mut r = ring(16);
    r.resume(300).expect("resume");
    let mut cur = r.cursor();
    for i in 0..40u8 {
        r.append(&record(i % abi::SRC_NR, 0)).expect("append");
    }
    assert_eq!((r.oldest(), r.next_seq(), r.evicted()), (324, 340, 24));
    let got = drain(&r, &mut cur, 64);
    assert!(synthetic(&got[0]));
    assert_eq!(lost(&got[0]).total, 24);
    assert_eq!(got.len(), 17);
}

#[test]
fn frozen_ring_refuses_and_counts_but_still_reads() {
    let mut r = ring(16);
    for _ in 0..3 {
        r.append(&record(abi::SRC_MCE, 0)).expect("append");
    }
    r.freeze();
    assert_eq!(r.append(&record(abi::SRC_MCE, 0)), Err(RingError::Frozen));
    assert_eq!(r.append(&record(abi::SRC_EDAC, 1)), Err(RingError::Frozen));
    // A bad source is still a bad source, and is not counted as late.
    assert_eq!(r.append(&record(16, 0)), Err(RingError::BadSource));
    assert_eq!((r.late(), r.next_seq(), r.len()), (2, 4, 3));
    let mut cur = r.cursor();
    assert_eq!(drain(&r, &mut cur, 64).len(), 3);
}

/// What a refused record counts as late: one error; a storm summary the errors it
/// folded; a lost-record notice the captures it stands for.
#[test]
fn frozen_ring_counts_what_each_record_stands_for() {
    let mut r = ring(16);
    r.freeze();
    let mut summary = record(abi::SRC_EDAC, 1);
    summary.hdr.flags = abi::F_COALESCED;
    summary.hdr.count = 7;
    let notice = ring::lost_record(
        &Lost {
            reason: abi::LOST_CAPTURE,
            total: 5,
            ..Lost::default()
        },
        0,
        0,
        (1, 2),
    );
    assert_eq!(ring::late_weight(&record(abi::SRC_MCE, 0)), 1);
    assert_eq!(ring::late_weight(&summary), 7);
    assert_eq!(ring::late_weight(&notice), 5);
    for (rec, late) in [(record(abi::SRC_MCE, 0), 1), (summary, 8), (notice, 13)] {
        assert_eq!(r.append(&rec), Err(RingError::Frozen));
        assert_eq!(r.late(), late);
    }
    // A summary that folded nothing still stands for one error.
    summary.hdr.count = 0;
    assert_eq!(ring::late_weight(&summary), 1);
}
