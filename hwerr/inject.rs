// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! `/sys/kernel/debug/hwerr/inject`: a test and benchmark interface, built only with
//! `CONFIG_HASYS_HWERR_INJECT` (off by default; the out-of-tree build turns it on when
//! the kernel has KUnit built in, as the test and bench kernels do). Mode 0600.
//!
//! Writing `N [severity [burst [same]]]` reports `N` (1 to 10000000) software records
//! back to back from one CPU, as fast as `__hwerr_report()` goes. Each report is
//! distinct (`data[0]` its index in this write, `data[1]` a serial number over all
//! writes) unless `same` is 1, which makes them identical: a storm for the coalescer.
//! With `burst` 0 each report takes the direct path (straight into the log); with
//! `burst` 1 (`N` at most 100000) each takes the NMI path (per-CPU slot, llist,
//! irq_work) with local interrupts off, as in an NMI storm: the irq_work cannot run on
//! this CPU until the loop ends, so exactly the free slots are captured and the rest
//! is dropped and counted. Reading shows the last run: requested, captured, dropped,
//! the index of the first drop (-1 if none), the nanoseconds the loop took and the CPU.
//!
//! `/sys/kernel/debug/hwerr/handoff_corrupt` (mode 0200): `1` makes the next kexec
//! handoff's seal corrupt the log's blob, for the test of the next kernel's refusal.
//! `/sys/kernel/debug/hwerr/handoff_late` (mode 0200): `N` (0 to 1000) makes the next
//! seal report N identical software records right after it froze the log (past the
//! storm burst they fold), for the test that errors arriving after the seal are
//! counted lost in the next kernel.
//!
//! Context: process (the debugfs callbacks).

use core::fmt;
use kernel::{bindings, debugfs, new_mutex, prelude::*, sync::Mutex, uaccess::UserSliceReader};

mod ffi {
    use kernel::prelude::*;

    extern "C" {
        /// See `sync_helpers.c`.
        pub(super) fn hwerr_pin(irqs_off: bool) -> c_ulong;
        /// See `sync_helpers.c`.
        pub(super) fn hwerr_unpin(irqs_off: bool, flags: c_ulong);
    }
}

use crate::capture::{hwerr_report_flags, REPORT_DEFER};
/// The software code of injected records.
const CODE: u32 = 0x1e57;

/// The last run, as reading the file shows it.
#[derive(Clone, Copy, Default)]
struct Run {
    requested: u64,
    captured: u64,
    dropped: u64,
    first_drop: i64,
    ns: u64,
    cpu: u32,
}

/// What the file keeps: the last run and the serial number of distinct reports.
struct State {
    last: Run,
    serial: u64,
}

/// The inject file's data.
#[pin_data]
pub(crate) struct Inject {
    #[pin]
    state: Mutex<State>,
}

/// A parsed write: `N [severity [burst [same]]]`.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    n: u64,
    severity: u8,
    burst: bool,
    same: bool,
}

fn parse(text: &str) -> Result<Request> {
    let mut words = text.split_ascii_whitespace();
    let mut num = |default: Option<u64>| -> Result<u64> {
        match words.next() {
            Some(w) => w.parse::<u64>().map_err(|_| EINVAL),
            None => default.ok_or(EINVAL),
        }
    };
    let n = num(None)?;
    let severity = num(Some(0))?;
    let burst = num(Some(0))?;
    let same = num(Some(0))?;
    if words.next().is_some()
        || !(1..=10_000_000).contains(&n)
        || severity >= u64::from(crate::abi::SEV_NR)
        || burst > 1
        || same > 1
        || (burst == 1 && n > 100_000)
    {
        return Err(EINVAL);
    }
    Ok(Request {
        n,
        severity: severity as u8,
        burst: burst == 1,
        same: same == 1,
    })
}

fn now_ns() -> u64 {
    // SAFETY: `ktime_get()` may be called from any non-NMI context.
    unsafe { bindings::ktime_get() as u64 }
}

fn show(data: &Inject, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let r = data.state.lock().last;
    writeln!(
        f,
        "requested {} captured {} dropped {} first_drop {} ns {} cpu {}",
        r.requested, r.captured, r.dropped, r.first_drop, r.ns, r.cpu
    )
}

fn write(data: &Inject, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; 48];
    let len = reader.len();
    let bytes = buf.get_mut(..len).ok_or(EINVAL)?;
    reader.read_slice(bytes)?;
    let req = parse(core::str::from_utf8(bytes).map_err(|_| EINVAL)?)?;

    let mut state = data.state.lock();
    let mut run = Run {
        requested: req.n,
        first_drop: -1,
        ..Run::default()
    };
    let flags = if req.burst { REPORT_DEFER } else { 0 };
    let mut err = 0;
    let mut words = [0u64; 4];
    // SAFETY: Pins this task to its CPU and, for a burst, turns local interrupts off
    // until the matching restore below; nothing in the loop sleeps.
    let irq = unsafe { ffi::hwerr_pin(req.burst) };
    let t0 = now_ns();
    for i in 0..req.n {
        if !req.same {
            state.serial = state.serial.wrapping_add(1);
            words = [i, state.serial, 0, 0];
        }
        // SAFETY: Every pointer is valid for the call; hwerr copies what it keeps.
        let ret = unsafe {
            hwerr_report_flags(
                flags,
                c"hwerr-inject".as_char_ptr(),
                req.severity,
                CODE,
                words.as_ptr(),
                c"debugfs inject".as_char_ptr(),
            )
        };
        if ret == 0 {
            run.captured += 1;
        } else if ret == ENOSPC.to_errno() {
            if run.first_drop < 0 {
                run.first_drop = i as i64;
            }
            run.dropped += 1;
        } else {
            err = ret;
            break;
        }
    }
    run.ns = now_ns().saturating_sub(t0);
    // SAFETY: Reading the CPU number is always allowed; this task is pinned to it.
    run.cpu = unsafe { bindings::raw_smp_processor_id() } as u32;
    // SAFETY: Undoes `hwerr_pin()` with its arguments, in this task, on this CPU.
    unsafe { ffi::hwerr_unpin(req.burst, irq) };
    state.last = run;
    if err != 0 {
        return Err(Error::from_errno(err));
    }
    Ok(())
}

/// `handoff_corrupt`: writing `1` makes the next handoff's seal corrupt the log's
/// blob after sealing it (`handoff.rs`), `0` undoes it: the test of a corrupted
/// subtree across a real kexec (`selftests/kexec_handoff/handoff.sh`).
fn corrupt(_: &(), reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; 4];
    let len = reader.len();
    let bytes = buf.get_mut(..len).ok_or(EINVAL)?;
    reader.read_slice(bytes)?;
    let on = match &*bytes {
        b"1" | b"1\n" => true,
        b"0" | b"0\n" => false,
        _ => return Err(EINVAL),
    };
    crate::handoff::CORRUPT_AT_SEAL.store(on, kernel::sync::atomic::Relaxed);
    Ok(())
}

/// `handoff_late`: writing `N` (0 to 1000) makes the next handoff's seal report `N`
/// records after it froze the log (`handoff.rs`).
fn late(_: &(), reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; 8];
    let len = reader.len();
    let bytes = buf.get_mut(..len).ok_or(EINVAL)?;
    reader.read_slice(bytes)?;
    let n: u32 = core::str::from_utf8(bytes)
        .map_err(|_| EINVAL)?
        .trim_end_matches('\n')
        .parse()
        .map_err(|_| EINVAL)?;
    if n > 1000 {
        return Err(EINVAL);
    }
    crate::handoff::LATE_AT_SEAL.store(n, kernel::sync::atomic::Relaxed);
    Ok(())
}

/// The `hwerr` debugfs directory and its `inject`, `handoff_corrupt` and
/// `handoff_late` files; removed on drop.
pub(crate) struct InjectFs {
    // Dropped before `_dir`: no callback runs once the files are gone.
    _file: Pin<KBox<debugfs::File<Inject>>>,
    _corrupt: Pin<KBox<debugfs::File<()>>>,
    _late: Pin<KBox<debugfs::File<()>>>,
    _dir: debugfs::Dir,
}

impl InjectFs {
    /// Creates `/sys/kernel/debug/hwerr/inject`.
    ///
    /// Context: module init, may sleep.
    pub(crate) fn new() -> Result<Self> {
        let dir = debugfs::Dir::new(c"hwerr");
        let file = KBox::pin_init(
            dir.read_write_callback_file(
                c"inject",
                pin_init!(Inject {
                    state <- new_mutex!(State {
                        last: Run {
                            first_drop: -1,
                            ..Run::default()
                        },
                        serial: 0,
                    }),
                }),
                &show,
                &write,
            ),
            GFP_KERNEL,
        )?;
        let corrupt = KBox::pin_init(
            dir.write_callback_file(c"handoff_corrupt", (), &corrupt),
            GFP_KERNEL,
        )?;
        let late = KBox::pin_init(
            dir.write_callback_file(c"handoff_late", (), &late),
            GFP_KERNEL,
        )?;
        Ok(Self {
            _file: file,
            _corrupt: corrupt,
            _late: late,
            _dir: dir,
        })
    }
}

#[cfg(CONFIG_HASYS_KUNIT_TEST)]
#[kernel::prelude::kunit_tests(hasys_inject)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_and_bad_ones_are_einval() {
        assert_eq!(
            parse("5").ok(),
            Some(Request {
                n: 5,
                severity: 0,
                burst: false,
                same: false
            })
        );
        assert_eq!(
            parse("100000 4 1 1\n").ok(),
            Some(Request {
                n: 100_000,
                severity: 4,
                burst: true,
                same: true
            })
        );
        for bad in [
            "",
            "0",
            "x",
            "1 5",
            "1 0 2",
            "1 0 0 2",
            "100001 0 1",
            "10000001",
            "1 0 0 0 0",
            "-1",
        ] {
            assert_eq!(parse(bad).err(), Some(EINVAL));
        }
    }
}
