// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! The handoff in a running kernel: the phases (`phase.rs`) behind one mutex, what
//! each phase preserves, seals or releases, the records and `sysfs_notify()` of each
//! change, and the report of the handoff that started this kernel.
//!
//! One mutex serializes everything that changes the handoff: the `request` store
//! (a `prepare` holds it while it preserves, which allocates and sleeps), and the
//! reboot notifier. So a preparation is never under way while an `abort`, a second
//! `prepare` or the commit runs: each waits for it to end, and `prepared()` is never
//! [`phase::Stale`] here. `state` reads the phase without waiting: it may show
//! `preparing`.
//!
//! Context: process for everything here (sysfs, the reboot notifier, module init).

use crate::hwerr::{self, HandoffPhase};
use crate::phase::{self, AbortReason, Commit, Phase, Request, Transition};
use crate::sysfs::{self, SysfsBuf};
use crate::{abi, kho, kho_blob};
use core::{fmt::Write, ptr};
use kernel::{
    bindings, new_mutex,
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Relaxed, Release},
        Arc, Mutex,
    },
};
use zerocopy::IntoBytes;
use zerocopy_derive::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The KHO subtree of kexec_handoff's own blob (its report for the next kernel).
const NAME: &CStr = c"hasys-kexec_handoff";

/// Bytes of a release string (`utsname`'s 64 plus its NUL, cut to 64).
const RELEASE_LEN: usize = 64;

pub(crate) mod ffi {
    use kernel::{bindings, prelude::*};

    extern "C" {
        // hooks.c
        pub(crate) fn kexec_handoff_kho_enabled() -> bool;
        pub(crate) fn kexec_handoff_release(buf: *mut c_char);
        pub(crate) fn kexec_handoff_hooks_start() -> c_int;
        pub(crate) fn kexec_handoff_hooks_stop();
        pub(crate) fn kexec_handoff_notify_state(kobj: *mut bindings::kobject);
        // sysfs.c
        pub(crate) fn kexec_handoff_sysfs_groups() -> *mut *const bindings::attribute_group;
    }
}

/// The item of kexec_handoff's own blob: what the old kernel tells the new one about
/// the handoff. Native byte order: both kernels run on the same machine.
#[repr(C)]
#[derive(Clone, Copy, FromBytes, IntoBytes, Immutable, KnownLayout)]
struct Carried {
    /// The old kernel's release, NUL-padded.
    release: [u8; RELEASE_LEN],
    /// `CLOCK_REALTIME` at the commit (the reboot notifier), ns.
    committed_ns: u64,
    /// The preparation that was committed.
    attempt: u32,
    /// hwerr records the old kernel sealed.
    sealed: u32,
}

/// The handoff that started this kernel, as `report` shows it.
// One per module, inside its `Kh`: boxing the large variant would only add an
// allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy)]
pub(crate) enum Report {
    /// This kernel was not started by a handoff (or by one that carried nothing of
    /// kexec_handoff's).
    None,
    /// A blob of kexec_handoff's arrived but was refused (`kho_blob::Invalid` code, or
    /// [`REFUSED_ITEM`]).
    Refused(u32),
    /// A handoff arrived and was restored.
    Restored(Restored),
}

/// `Report::Refused`: the blob holds no single item of the right size.
const REFUSED_ITEM: u32 = 100;

/// What the handoff that started this kernel carried.
#[derive(Clone, Copy)]
pub(crate) struct Restored {
    handoffs: u32,
    old_release: [u8; RELEASE_LEN],
    new_release: [u8; RELEASE_LEN],
    attempt: u32,
    sealed: u32,
    log: Option<hwerr::HandoffRestored>,
    committed_ns: u64,
    restored_ns: u64,
}

impl Restored {
    /// From the old kernel's commit to this restore (realtime clocks of both).
    fn blackout_ns(&self) -> u64 {
        self.restored_ns.saturating_sub(self.committed_ns)
    }
}

/// This kernel's release.
fn this_release() -> [u8; RELEASE_LEN] {
    let mut r = [0u8; RELEASE_LEN];
    // SAFETY: `r` is 64 writable bytes.
    unsafe { ffi::kexec_handoff_release(r.as_mut_ptr().cast()) };
    r
}

/// A NUL-padded string field as text (`?` if not UTF-8).
fn text(field: &[u8]) -> &str {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    field
        .get(..end)
        .and_then(|b| core::str::from_utf8(b).ok())
        .unwrap_or("?")
}

/// `CLOCK_REALTIME` in ns. Context: any.
fn realtime_ns() -> u64 {
    // SAFETY: Readable in any context.
    unsafe { bindings::ktime_get_real_fast_ns() }
}

impl Report {
    /// Finds kexec_handoff's blob a handoff carried, validates it and frees it; with
    /// what hwerr restored of its log. Context: module init.
    pub(crate) fn find() -> Self {
        let (c, meta) = match kho::Found::find_one::<Carried>(NAME, kho_blob::Owner::KexecHandoff) {
            Ok(Some(found)) => found,
            Ok(None) => return Report::None,
            Err(r) => {
                pr_err!(
                    "the handoff's blob is refused ({}): nothing restored\n",
                    r.name()
                );
                return Report::Refused(match r {
                    kho::Refused::Invalid(inv) => inv.code(),
                    kho::Refused::Broken(_) | kho::Refused::Item => REFUSED_ITEM,
                });
            }
        };
        Report::Restored(Restored {
            handoffs: meta.handoffs,
            old_release: c.release,
            new_release: this_release(),
            attempt: c.attempt,
            sealed: c.sealed,
            log: hwerr::handoff_restored(),
            committed_ns: c.committed_ns,
            restored_ns: realtime_ns(),
        })
    }

    /// Handoffs the state has been through so far (0 in a cold-booted kernel).
    fn handoffs(&self) -> u32 {
        match self {
            Report::Restored(r) => r.handoffs,
            _ => 0,
        }
    }
}

/// What the mutex protects.
struct Inner {
    ho: phase::Handoff,
    /// kexec_handoff's own blob, from a preparation until the commit or a release.
    own: Option<kho::Preserved>,
    /// hwerr's log is preserved (by the current preparation).
    log_held: bool,
    /// The other modules accepted the current preparation (`HandoffPhase::Prepare`).
    modules_held: bool,
}

/// The handoff of this kernel. One per module; published for the C entry points.
#[pin_data]
pub(crate) struct Kh {
    #[pin]
    inner: Mutex<Inner>,
    /// The phase and the last abort's reason, for `state` and `reason` without the
    /// mutex: `phase_code(..)` and the errno of a failed preservation.
    shown: Atomic<u32>,
    shown_err: Atomic<i32>,
    attempt: Atomic<u32>,
    report: Report,
    /// The directory's kobject for `sysfs_notify()`, null while there is none.
    kobj: Atomic<*mut bindings::kobject>,
}

// SAFETY: `kobj` is only handed to `sysfs_notify()`, which any thread may call on a
// live kobject; everything else is `Sync` by itself.
unsafe impl Send for Kh {}
// SAFETY: As above.
unsafe impl Sync for Kh {}

/// `abi::HO_*` of a phase.
fn phase_code(p: Phase) -> u8 {
    match p {
        Phase::Idle => abi::HO_IDLE,
        Phase::Preparing => abi::HO_PREPARING,
        Phase::Ready => abi::HO_READY,
        Phase::Committed => abi::HO_COMMITTED,
        Phase::Restored => abi::HO_RESTORED,
        Phase::Aborted(_) => abi::HO_ABORTED,
    }
}

/// `abi::HO_R_*` of an abort reason, and its errno (0 unless a preservation failed).
fn reason_code(r: AbortReason) -> (u8, i32) {
    match r {
        AbortReason::Requested => (abi::HO_R_REQUESTED, 0),
        AbortReason::KhoDisabled => (abi::HO_R_KHO_DISABLED, 0),
        AbortReason::PreserveFailed(e) => (abi::HO_R_PRESERVE_FAILED, e),
        AbortReason::Rebooted => (abi::HO_R_REBOOTED, 0),
    }
}

/// The phase `state` shows for a `phase_code`, and the reason `reason` shows.
fn shown_phase(code: u32) -> (&'static str, &'static str) {
    let reason = match (code >> 8) as u8 {
        abi::HO_R_REQUESTED => "requested",
        abi::HO_R_KHO_DISABLED => "kho-disabled",
        abi::HO_R_PRESERVE_FAILED => "preserve-failed",
        abi::HO_R_REBOOTED => "rebooted",
        _ => "none",
    };
    let phase = match code as u8 {
        abi::HO_IDLE => "idle",
        abi::HO_PREPARING => "preparing",
        abi::HO_READY => "ready",
        abi::HO_COMMITTED => "committed",
        abi::HO_RESTORED => "restored",
        _ => "aborted",
    };
    (phase, reason)
}

impl Kh {
    /// The handoff of a kernel whose start `report` describes.
    pub(crate) fn new(report: Report) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            inner <- new_mutex!(Inner {
                ho: phase::Handoff::new(),
                own: None,
                log_held: false,
                modules_held: false,
            }, "kexec_handoff"),
            shown: Atomic::new(u32::from(abi::HO_IDLE)),
            shown_err: Atomic::new(0),
            attempt: Atomic::new(0),
            report,
            kobj: Atomic::new(ptr::null_mut()),
        }? Error)
    }

    /// Sets (or clears, with null) the directory `sysfs_notify()` wakes pollers of.
    pub(crate) fn set_kobj(&self, kobj: *mut bindings::kobject) {
        self.kobj.store(kobj, Release);
    }

    /// In a kernel a handoff started: `idle` becomes `restored`, with its record.
    pub(crate) fn restored(&self) {
        let Report::Restored(r) = self.report else {
            return;
        };
        let mut g = self.inner.lock();
        if let Some(t) = g.ho.restored() {
            let carried = r.log.map_or(0, |l| l.carried);
            let lost = r.log.map_or(0, |l| l.lost);
            self.emit(&t, carried, lost, r.blackout_ns(), &r.old_release);
        }
    }

    /// Reports a transition: the phase `state` shows, a record on `/dev/hwerr`, and a
    /// `sysfs_notify()` of `state`. Called with the mutex held.
    fn emit(&self, t: &Transition, carried: u32, lost: u32, blackout_ns: u64, release: &[u8; 64]) {
        let (reason, error) = match t.to {
            Phase::Aborted(r) => reason_code(r),
            _ => (abi::HO_R_NONE, 0),
        };
        let to = phase_code(t.to);
        self.shown
            .store(u32::from(to) | u32::from(reason) << 8, Relaxed);
        if matches!(t.to, Phase::Aborted(_)) {
            self.shown_err.store(error, Relaxed);
        }
        self.attempt.store(t.attempt, Relaxed);
        let payload = abi::Handoff {
            from: phase_code(t.from),
            to,
            reason,
            reserved: 0,
            error,
            attempt: t.attempt,
            handoffs: self.report.handoffs(),
            carried,
            lost,
            blackout_ns,
            release: *release,
        };
        if let Err(e) = hwerr::report_event(abi::SRC_HANDOFF, abi::SEV_INFO, &payload) {
            pr_warn!(
                "the {} -> {} record was not logged ({:?})\n",
                t.from.name(),
                t.to.name(),
                e
            );
        }
        let kobj = self.kobj.load(Acquire);
        // SAFETY: Null, or the live directory (cleared before it is removed).
        unsafe { ffi::kexec_handoff_notify_state(kobj) };
    }

    /// Ends what the current preparation preserved: nothing is carried.
    fn release(g: &mut Inner) {
        if core::mem::take(&mut g.modules_held) {
            // Never fails for `Abort`.
            let _ = hwerr::handoff_call(HandoffPhase::Abort);
        }
        g.own = None;
        if core::mem::take(&mut g.log_held) {
            hwerr::handoff_release();
        }
    }

    /// Preserves the state for a kexec: hwerr's log, then kexec_handoff's own blob.
    fn preserve(g: &mut Inner) -> Result<(), AbortReason> {
        // SAFETY: Any context.
        if !unsafe { ffi::kexec_handoff_kho_enabled() } {
            return Err(AbortReason::KhoDisabled);
        }
        hwerr::handoff_preserve().map_err(|e| AbortReason::PreserveFailed(e.to_errno()))?;
        g.log_held = true;
        let size = kho_blob::size_for(core::mem::size_of::<Carried>(), 1).unwrap_or(0);
        let res = kho::Preserved::new(NAME, size).and_then(|p| {
            g.own = Some(p);
            // The other modules' state (cluster_msg's, ...), and their notices.
            hwerr::handoff_call(HandoffPhase::Prepare)
        });
        match res {
            Ok(()) => {
                g.modules_held = true;
                Ok(())
            }
            Err(e) => {
                Self::release(g);
                Err(AbortReason::PreserveFailed(e.to_errno()))
            }
        }
    }

    /// A write to `request`: `prepare` (synchronous: returns once the state is
    /// preserved, or fails as the preparation did) or `abort`.
    fn request(&self, input: &[u8]) -> Result {
        let req = phase::parse_request(input).ok_or(EINVAL)?;
        let mut g = self.inner.lock();
        let t = g.ho.request(req).map_err(|_| EBUSY)?;
        let release = this_release();
        self.emit(&t, 0, 0, 0, &release);
        if req == Request::Abort {
            Self::release(&mut g);
            return Ok(());
        }
        let res = Self::preserve(&mut g);
        // The mutex was held throughout: the preparation is the current one.
        let t = g.ho.prepared(t.attempt, res).map_err(|_| EBUSY)?;
        self.emit(&t, 0, 0, 0, &release);
        match res {
            Ok(()) => Ok(()),
            // EOPNOTSUPP ("Operation not supported"), not the kernel-internal ENOTSUPP.
            Err(AbortReason::KhoDisabled) => Err(Error::from_errno(-(bindings::EOPNOTSUPP as i32))),
            Err(AbortReason::PreserveFailed(e)) => Err(Error::from_errno(e)),
            Err(_) => Err(EIO),
        }
    }

    /// The reboot notifier: a kexec commits a `ready` handoff, anything else ends
    /// one under way.
    fn reboot(&self, kexec: bool) {
        let mut g = self.inner.lock();
        let release = this_release();
        if !kexec {
            if let Some(t) = g.ho.rebooted() {
                Self::release(&mut g);
                self.emit(&t, 0, 0, 0, &release);
            }
            return;
        }
        match g.ho.commit() {
            Commit::Carry(t) => {
                // Logged before the seal, so that the next kernel has it too.
                self.emit(&t, 0, 0, 0, &release);
                self.seal(&mut g, t.attempt, release);
            }
            Commit::Abandon(t) => {
                Self::release(&mut g);
                self.emit(&t, 0, 0, 0, &release);
            }
            Commit::Nothing => {}
        }
    }

    /// The commit: seals hwerr's log, then kexec_handoff's blob, and hands both to
    /// the next kernel.
    fn seal(&self, g: &mut Inner, attempt: u32, release: [u8; RELEASE_LEN]) {
        // The other modules first: what they log now is carried with the log.
        if core::mem::take(&mut g.modules_held) {
            // Never fails for `Commit`.
            let _ = hwerr::handoff_call(HandoffPhase::Commit);
        }
        g.log_held = false;
        let sealed = match hwerr::handoff_seal() {
            Ok(n) => n,
            Err(e) => {
                pr_err!("hwerr's log was not sealed ({:?}): it is not carried\n", e);
                0
            }
        };
        let Some(own) = g.own.take() else {
            return;
        };
        let now = realtime_ns();
        let item = Carried {
            release,
            committed_ns: now,
            attempt,
            sealed,
        };
        let meta = kho_blob::Meta {
            handoffs: self.report.handoffs().saturating_add(1),
            lost: 0,
            sealed_ns: now,
            boot_id: [0; kho_blob::BOOT_ID_LEN],
        };
        if let Err(e) = own.seal_one(kho_blob::Owner::KexecHandoff, item.as_bytes(), &meta) {
            pr_err!("the handoff's report was not sealed ({:?})\n", e);
            return;
        }
        pr_info!("handoff committed: {} records of the log sealed\n", sealed);
    }

    /// At unload: a handoff still under way is given up; nothing stays preserved.
    pub(crate) fn unload(&self) {
        let mut g = self.inner.lock();
        Self::release(&mut g);
    }
}

/// The published state.
///
/// # Invariants
///
/// Null, or a `Kh` that stays alive until this is set back to null and every caller
/// that loaded it has returned: the module unpublishes it after removing the hooks
/// and the sysfs directory, whose callbacks are the only callers.
static STATE: Atomic<*const Kh> = Atomic::new(ptr::null());

fn state() -> Option<&'static Kh> {
    let p = STATE.load(Acquire);
    // SAFETY: By the invariant of `STATE`, a non-null pointer is a live `Kh`.
    (!p.is_null()).then(|| unsafe { &*p })
}

/// The state published for the C entry points for as long as this lives.
pub(crate) struct Published(Arc<Kh>);

impl Published {
    /// Publishes `kh`.
    ///
    /// # Safety
    ///
    /// Everything that calls the C entry points (the reboot notifier, the sysfs
    /// directory) is gone before this is dropped.
    pub(crate) unsafe fn new(kh: Arc<Kh>) -> Self {
        STATE.store(ptr::from_ref(&*kh), Release);
        Self(kh)
    }

    /// The published state.
    pub(crate) fn get(&self) -> &Kh {
        &self.0
    }
}

impl Drop for Published {
    fn drop(&mut self) {
        STATE.store(ptr::null(), Release);
        self.0.unload();
    }
}

/// See `kexec_handoff_reboot()` in `hooks.h`. Context: process, may sleep.
#[no_mangle]
extern "C" fn kexec_handoff_reboot(kexec: bool) {
    if let Some(kh) = state() {
        kh.reboot(kexec);
    }
}

/// The attributes of `/sys/kernel/ha/kexec_handoff/` (`sysfs.c`'s ids).
#[repr(u32)]
enum Attr {
    State = 0,
    Reason = 1,
    Attempt = 2,
    Report = 3,
    Request = 10,
}

fn show(id: u32, out: &mut SysfsBuf<'_>) -> Result {
    let kh = state().ok_or(ENODEV)?;
    let (phase, reason) = shown_phase(kh.shown.load(Relaxed));
    match id {
        x if x == Attr::State as u32 => writeln!(out, "{phase}"),
        x if x == Attr::Reason as u32 && reason == "preserve-failed" => {
            writeln!(out, "{reason} {}", kh.shown_err.load(Relaxed))
        }
        x if x == Attr::Reason as u32 => writeln!(out, "{reason}"),
        x if x == Attr::Attempt as u32 => writeln!(out, "{}", kh.attempt.load(Relaxed)),
        x if x == Attr::Report as u32 => show_report(&kh.report, out),
        _ => return Err(EINVAL),
    }
    .map_err(sysfs::fmt)
}

fn show_report(report: &Report, out: &mut SysfsBuf<'_>) -> core::fmt::Result {
    let r = match report {
        Report::None => return writeln!(out, "none"),
        Report::Refused(code) => {
            let name = kho_blob::Invalid::from_code(*code).map_or("no-report", |i| i.name());
            return writeln!(out, "refused {name}");
        }
        Report::Restored(r) => r,
    };
    writeln!(out, "handoffs {}", r.handoffs)?;
    writeln!(out, "old_release {}", text(&r.old_release))?;
    writeln!(out, "new_release {}", text(&r.new_release))?;
    writeln!(out, "attempt {}", r.attempt)?;
    writeln!(out, "records_sealed {}", r.sealed)?;
    let log = r.log.unwrap_or_default();
    writeln!(out, "records_carried {}", log.carried)?;
    writeln!(out, "records_lost {}", log.lost)?;
    writeln!(out, "log_refused {}", log.refused)?;
    writeln!(out, "first_seq {}", log.first_seq)?;
    writeln!(out, "last_seq {}", log.last_seq)?;
    writeln!(out, "committed_ns {}", r.committed_ns)?;
    writeln!(out, "restored_ns {}", r.restored_ns)?;
    writeln!(out, "blackout_ms {}", r.blackout_ns() / 1_000_000)
}

/// See `kexec_handoff_sysfs_show()` in `hooks.h`.
///
/// # Safety
///
/// `buf` is sysfs's writable `PAGE_SIZE` buffer.
#[no_mangle]
unsafe extern "C" fn kexec_handoff_sysfs_show(id: u32, buf: *mut u8) -> isize {
    // SAFETY: By the safety requirements.
    unsafe { sysfs::show(buf, |out| show(id, out)) }
}

/// See `kexec_handoff_sysfs_store()` in `hooks.h`.
///
/// # Safety
///
/// `buf` points to `len` readable bytes.
#[no_mangle]
unsafe extern "C" fn kexec_handoff_sysfs_store(id: u32, buf: *const u8, len: usize) -> isize {
    // SAFETY: By the safety requirements.
    unsafe {
        sysfs::store(buf, len, |input| {
            let kh = state().ok_or(ENODEV)?;
            if id != Attr::Request as u32 {
                return Err(EINVAL);
            }
            kh.request(input)
        })
    }
}
