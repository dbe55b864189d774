// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! Rust view of `include/hasys/hwerr.h`, the in-kernel API that `hwerr.ko` exports.
//!
//! Rust items cannot cross module boundaries, so hwerr's API is C ABI. Every hasys
//! module (hwerr included) pulls this file in with `#[path]`, which gives it the
//! `extern "C"` declarations and the safe wrappers around them. The declarations are
//! written by hand from the header, as binder does for its C half; keep them in step.
//!
//! The including crate must also include the record ABI as `crate::abi`
//! (`include/uapi/linux/hwerr.rs`). Not every module uses every wrapper.
#![allow(dead_code)]

use crate::abi::Record;
use core::{marker::PhantomPinned, ptr::NonNull};
use kernel::{
    bindings,
    error::{from_err_ptr, to_result},
    prelude::*,
    sync::Arc,
    types::Opaque, //
};

/// The hasys release these modules were built from (the tree's `VERSION` file).
pub(crate) const VERSION: &CStr = kernel::c_str!(env!("HASYS_VERSION"));

mod ffi {
    use crate::abi::Record;
    use kernel::{
        bindings,
        prelude::*, //
    };

    extern "C" {
        /// See `hasys_component_add()` in `include/hasys/hwerr.h`.
        pub(super) fn hasys_component_add(
            name: *const c_char,
            version: *const c_char,
            groups: *mut *const bindings::attribute_group,
        ) -> *mut bindings::kobject;

        /// See `hasys_component_del()` in `include/hasys/hwerr.h`.
        pub(super) fn hasys_component_del(kobj: *mut bindings::kobject);

        /// See `__hwerr_report()` in `include/hasys/hwerr.h`.
        pub(super) fn __hwerr_report(
            origin: *const c_char,
            severity: u8,
            code: u32,
            data: *const u64,
            msg: *const c_char,
        ) -> c_int;

        /// See `hwerr_report_event()` in `include/hasys/hwerr.h`.
        pub(super) fn hwerr_report_event(
            source: u8,
            severity: u8,
            payload: *const c_void,
            len: usize,
        ) -> c_int;

        /// See `hwerr_crash_snapshot()` in `include/hasys/hwerr.h`.
        pub(super) fn hwerr_crash_snapshot(
            out: *mut Record,
            max: c_uint,
            snap: *mut super::Snapshot,
        ) -> c_int;

        /// See `hwerr_panic_is_hw_fatal()` in `include/hasys/hwerr.h`.
        pub(super) fn hwerr_panic_is_hw_fatal(msg: *const c_char) -> bool;

        /// See `hwerr_report_previous()` in `include/hasys/hwerr.h`.
        pub(super) fn hwerr_report_previous(rec: *const Record) -> c_int;

        /// See `hwerr_handoff_preserve()` in `include/hasys/hwerr.h`.
        pub(super) fn hwerr_handoff_preserve() -> c_int;

        /// See `hwerr_handoff_seal()` in `include/hasys/hwerr.h`.
        pub(super) fn hwerr_handoff_seal() -> c_int;

        /// See `hwerr_handoff_release()` in `include/hasys/hwerr.h`.
        pub(super) fn hwerr_handoff_release();

        /// See `hwerr_handoff_restored()` in `include/hasys/hwerr.h`.
        pub(super) fn hwerr_handoff_restored(out: *mut super::HandoffRestored) -> c_int;

        /// See `hasys_handoff_call()` in `include/hasys/hwerr.h`.
        pub(super) fn hasys_handoff_call(phase: c_ulong) -> c_int;

        /// See `hwerr_consumer_register()` in `include/hasys/hwerr.h`.
        pub(super) fn hwerr_consumer_register(consumer: *mut super::RawConsumer) -> c_int;

        /// See `hwerr_consumer_release()` in `include/hasys/hwerr.h`.
        pub(super) fn hwerr_consumer_release(consumer: *mut super::RawConsumer);
    }
}

/// This module's name (`KBUILD_MODNAME`), as `hwerr_report()` names the origin.
fn module_name() -> &'static CStr {
    // SAFETY: `module!` makes `__LOG_PREFIX` the NUL-terminated module name.
    unsafe { CStr::from_bytes_with_nul_unchecked(crate::__LOG_PREFIX) }
}

/// Puts a software-detected error into the `/dev/hwerr` stream (`hwerr_report()`).
///
/// `severity` is an `abi::SEV_*`; `msg` is cut to 63 bytes (the record says so).
/// Fails with `EINVAL` for a bad severity, `ENODEV` when the software source is
/// disabled or hwerr is not capturing, `ENOSPC` when the record was dropped.
///
/// Context: any, including NMI: lock-free outside the log's IRQ-safe spinlock,
/// allocation-free, never sleeps.
pub(crate) fn report(severity: u8, code: u32, data: &[u64; 4], msg: &CStr) -> Result {
    // SAFETY: All pointers are valid for the call; hwerr copies what it keeps.
    to_result(unsafe {
        ffi::__hwerr_report(
            module_name().as_char_ptr(),
            severity,
            code,
            data.as_ptr(),
            msg.as_char_ptr(),
        )
    })
}

/// Logs a record of this module's own source (`hwerr_report_event()`): `source` is
/// the `abi::SRC_*` named after this module, `payload` its payload struct.
///
/// Fails with `EINVAL` for a source that is not a module source or a bad severity,
/// `ENODEV` when the source is disabled or hwerr is not capturing, `ENOSPC` when the
/// record was dropped (hwerr counts it).
///
/// Context: any, including NMI: allocation-free, never sleeps.
pub(crate) fn report_event<T: zerocopy::IntoBytes + zerocopy::Immutable>(
    source: u8,
    severity: u8,
    payload: &T,
) -> Result {
    let bytes = payload.as_bytes();
    // SAFETY: `bytes` is valid for the call; hwerr copies it (and checks the length).
    to_result(unsafe {
        ffi::hwerr_report_event(source, severity, bytes.as_ptr().cast(), bytes.len())
    })
}

/// `struct hwerr_snapshot` (`include/hasys/hwerr.h`): what [`crash_snapshot`] copied.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct Snapshot {
    /// Records from the log (its newest), oldest first, at the start of the output.
    pub(crate) logged: u32,
    /// Records after them that were captured but never logged; their `seq` is 0.
    pub(crate) unlogged: u32,
    /// The log's last sequence number (0 if empty or `log_busy`).
    pub(crate) last_seq: u64,
    /// The log's lock was held: nothing was copied from the log.
    pub(crate) log_busy: bool,
}

/// The newest records, for a dying kernel's crash record (`hwerr_crash_snapshot()`):
/// the log's newest, then the captures that never reached the log (the newest, which
/// come first when not all fit). Fails with `ENODEV` if hwerr is not capturing.
///
/// Context: any, NMI and panic included: no lock is waited for, nothing allocated.
/// When other CPUs still run (an oops the kernel survives), a record may be torn.
pub(crate) fn crash_snapshot(out: &mut [Record]) -> Result<Snapshot> {
    let mut snap = Snapshot::default();
    let max = u32::try_from(out.len()).unwrap_or(u32::MAX);
    // SAFETY: `out` holds at least `max` writable records; `snap` is writable.
    to_result(unsafe { ffi::hwerr_crash_snapshot(out.as_mut_ptr(), max, &mut snap) })?;
    Ok(snap)
}

/// Logs a record of the kernel that ran before this one (`hwerr_report_previous()`),
/// flagged `F_PREVIOUS_BOOT`. Fails with `EINVAL` for a record hwerr cannot log,
/// `ENODEV` if hwerr is not capturing, `ENOSPC` if it was dropped.
///
/// Context: any but NMI.
pub(crate) fn report_previous(rec: &Record) -> Result {
    // SAFETY: `rec` is valid for the call; hwerr copies it.
    to_result(unsafe { ffi::hwerr_report_previous(rec) })
}

/// Whether a panic is the kernel's answer to a fatal hardware error
/// (`hwerr_panic_is_hw_fatal()`): `msg` is the panic message.
///
/// Context: any, panic included.
pub(crate) fn panic_is_hw_fatal(msg: Option<&CStr>) -> bool {
    let p = msg.map_or(core::ptr::null(), |m| m.as_char_ptr());
    // SAFETY: `p` is null or a NUL-terminated string; any context.
    unsafe { ffi::hwerr_panic_is_hw_fatal(p) }
}

/// Preserves hwerr's log for a planned kexec handoff (`hwerr_handoff_preserve()`).
///
/// Fails with `EBUSY` if preserved already, `ENODEV` if hwerr is not capturing,
/// `EOPNOTSUPP` when KHO is disabled, `EEXIST`, `E2BIG` and `ENOMEM`.
/// Context: process context, may sleep.
pub(crate) fn handoff_preserve() -> Result {
    // SAFETY: Process context.
    to_result(unsafe { ffi::hwerr_handoff_preserve() })
}

/// Copies the log into its preserved blob and seals it for the next kernel
/// (`hwerr_handoff_seal()`); the records sealed. Fails with `ENOENT` if nothing is
/// preserved and `ENODEV` if hwerr is not capturing.
/// Context: process context (the reboot notifier on the kexec path), may sleep.
pub(crate) fn handoff_seal() -> Result<u32> {
    // SAFETY: Process context.
    let n = unsafe { ffi::hwerr_handoff_seal() };
    to_result(n.min(0))?;
    Ok(n.unsigned_abs())
}

/// A phase of a planned kexec handoff, as every hasys module is told it
/// (`HASYS_HANDOFF_*` in `include/hasys/hwerr.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HandoffPhase {
    /// Preserve your state; a module may refuse.
    Prepare = 1,
    /// The old kernel goes on: release it.
    Abort = 2,
    /// The kexec is under way: seal it.
    Commit = 3,
}

impl HandoffPhase {
    /// The phase of a `HASYS_HANDOFF_*` code.
    pub(crate) fn from_code(code: usize) -> Option<Self> {
        match code {
            1 => Some(Self::Prepare),
            2 => Some(Self::Abort),
            3 => Some(Self::Commit),
            _ => None,
        }
    }
}

/// Tells every module registered with `hasys_handoff_register()` a phase
/// (`hasys_handoff_call()`). For kexec_handoff only, under its mutex. A refused
/// `Prepare` has been rolled back (`Abort` told to those that had accepted it) and
/// fails with the refusal's error.
/// Context: process context, may sleep.
pub(crate) fn handoff_call(phase: HandoffPhase) -> Result {
    // SAFETY: Process context; the phase is one of the three codes.
    to_result(unsafe { ffi::hasys_handoff_call(phase as c_ulong) })
}

/// Gives up the preserved log (`hwerr_handoff_release()`); nothing if none is.
/// Context: process context, may sleep.
pub(crate) fn handoff_release() {
    // SAFETY: Process context.
    unsafe { ffi::hwerr_handoff_release() }
}

/// `struct hwerr_handoff_restored` (`include/hasys/hwerr.h`): what hwerr restored at
/// load from a handoff.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct HandoffRestored {
    /// Handoffs the log has been through.
    pub(crate) handoffs: u32,
    /// Records restored.
    pub(crate) carried: u32,
    /// Records the old kernel could not carry.
    pub(crate) lost: u32,
    /// 0, or why the log handed over was refused.
    pub(crate) refused: u32,
    /// The first restored record's sequence number.
    pub(crate) first_seq: u64,
    /// The last one's.
    pub(crate) last_seq: u64,
    /// `CLOCK_REALTIME` of the old kernel's seal.
    pub(crate) sealed_ns: u64,
}

/// What hwerr restored from a handoff at load (`hwerr_handoff_restored()`), `None`
/// when it found no log handed over. Context: any.
pub(crate) fn handoff_restored() -> Option<HandoffRestored> {
    let mut out = HandoffRestored::default();
    // SAFETY: `out` is writable for the call.
    (unsafe { ffi::hwerr_handoff_restored(&mut out) } == 0).then_some(out)
}

/// `struct hwerr_consumer` (`include/hasys/hwerr.h`).
#[repr(C)]
pub(crate) struct RawConsumer {
    /// `notify`.
    pub(crate) notify: Option<unsafe extern "C" fn(*mut RawConsumer, *const Record)>,
    /// `name`.
    pub(crate) name: *const c_char,
    /// `flags`: `CONSUMER_*`.
    pub(crate) flags: u32,
    /// `source_mask`.
    pub(crate) source_mask: u32,
    /// `severity_mask`.
    pub(crate) severity_mask: u32,
    /// `hwerr_private`.
    pub(crate) hwerr_private: *mut c_void,
}

/// `HWERR_CONSUMER_OWN_REPORTS`: also deliver this module's own reports.
pub(crate) const CONSUMER_OWN_REPORTS: u32 = 1 << 0;
/// `HWERR_CONSUMER_FROM_OLDEST`: start at the oldest record in the log.
pub(crate) const CONSUMER_FROM_OLDEST: u32 = 1 << 1;
/// `HWERR_CONSUMER_PREVIOUS_BOOT`: also deliver the previous boot's records.
pub(crate) const CONSUMER_PREVIOUS_BOOT: u32 = 1 << 2;

/// What an in-kernel consumer does with each record.
///
/// `notify` runs in process context on hwerr's consumer workqueue, one call at a time,
/// with no hwerr lock held: it may sleep. See `struct hwerr_consumer` for what it is
/// guaranteed (order, in-band overrun notices). Inside `notify`, registering another
/// consumer fails with `EDEADLK`; dropping a registration works: its own returns at
/// once (that `notify` is its last), another's waits for that consumer's running
/// `notify` (two consumers dropping each other from their `notify` deadlock, as two
/// work items flushing each other do).
pub(crate) trait Consumer: Send + Sync {
    /// Called once per record, in log order.
    fn notify(&self, rec: &Record);
}

/// Which records a consumer wants and where it starts.
#[derive(Clone, Copy, Default)]
pub(crate) struct ConsumerOptions {
    /// `CONSUMER_*` flags.
    pub(crate) flags: u32,
    /// Bit `1 << SRC_*` per source wanted; 0 for all.
    pub(crate) source_mask: u32,
    /// Bit `1 << SEV_*` per severity wanted; 0 for all.
    pub(crate) severity_mask: u32,
}

/// A registered consumer: `T::notify` is called for every new record until this is
/// dropped.
///
/// # Invariants
///
/// `raw` was registered with `hwerr_consumer_register()` when `Self` was initialised
/// and is released in `drop`; its `notify` is [`Self::trampoline`].
#[pin_data(PinnedDrop)]
pub(crate) struct ConsumerRegistration<T: Consumer> {
    /// Shared with every running `notify` (the trampoline holds a reference for the
    /// call), so dropping the registration inside its own `notify` is sound.
    data: Arc<T>,
    #[pin]
    raw: Opaque<RawConsumer>,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: hwerr may call `notify` from any thread; `T: Send + Sync`.
unsafe impl<T: Consumer> Send for ConsumerRegistration<T> {}
// SAFETY: `&Self` only gives out `&T`, and `T: Sync`.
unsafe impl<T: Consumer> Sync for ConsumerRegistration<T> {}

impl<T: Consumer> ConsumerRegistration<T> {
    /// Registers a consumer that hands every record to `data`.
    ///
    /// Fails with `EINVAL` for a mask naming an unknown source or severity, `EDEADLK`
    /// inside a `notify()`, `ENODEV` if hwerr is not capturing, and `ENOMEM`.
    ///
    /// Context: process context, may sleep.
    pub(crate) fn new(
        data: impl PinInit<T, Error>,
        opts: ConsumerOptions,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            data: Arc::pin_init(data, GFP_KERNEL)?,
            raw <- Opaque::try_ffi_init(move |slot: *mut RawConsumer| {
                // SAFETY: `slot` is valid for writes and pinned; `drop` releases the
                // registration before the memory goes away.
                unsafe {
                    slot.write(RawConsumer {
                        notify: Some(Self::trampoline),
                        name: module_name().as_char_ptr(),
                        flags: opts.flags,
                        source_mask: opts.source_mask,
                        severity_mask: opts.severity_mask,
                        hwerr_private: core::ptr::null_mut(),
                    })
                };
                // SAFETY: `slot` is an initialised consumer. `data` is initialised
                // before this field (declaration order), so `notify` may run at once.
                // INVARIANT: registered on success.
                to_result(unsafe { ffi::hwerr_consumer_register(slot) })
            }),
            _pin: PhantomPinned,
        }? Error)
    }

    /// The consumer's data.
    pub(crate) fn data(&self) -> &T {
        &self.data
    }

    /// A reference of the consumer's data that outlives the registration.
    pub(crate) fn data_arc(&self) -> Arc<T> {
        self.data.clone()
    }

    /// `notify` of the C consumer.
    ///
    /// # Safety
    ///
    /// `raw` is the `raw` field of a live, registered `Self`, `rec` a valid record.
    unsafe extern "C" fn trampoline(raw: *mut RawConsumer, rec: *const Record) {
        // SAFETY: `Opaque<RawConsumer>` is `repr(transparent)`, so `raw` is the address
        // of the `raw` field of a live `Self` (safety requirements).
        let this = unsafe { &*kernel::container_of!(raw.cast::<Opaque<RawConsumer>>(), Self, raw) };
        // Hold `data` for the call: `notify` may drop the registration (`this`), after
        // which neither hwerr nor this function touches `this` again.
        let data = this.data.clone();
        // SAFETY: hwerr passes a record valid for the duration of the call.
        data.notify(unsafe { &*rec });
    }
}

#[pinned_drop]
impl<T: Consumer> PinnedDrop for ConsumerRegistration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant `raw` is registered. `release` cannot fail:
        // once it returns, hwerr neither runs nor will run `notify`, and does not
        // touch `raw` (even when this runs inside its own `notify`).
        unsafe { ffi::hwerr_consumer_release(self.raw.get()) };
    }
}

/// A component's directory, `/sys/kernel/ha/<name>/`, with a read-only `version` file.
///
/// The directory goes away when this is dropped.
///
/// # Invariants
///
/// `self.0` was returned by a successful `hasys_component_add()` and has not been
/// passed to `hasys_component_del()` yet.
pub(crate) struct Component(NonNull<bindings::kobject>);

impl Component {
    /// Creates `/sys/kernel/ha/<name>/`.
    ///
    /// Fails with `EINVAL` for a bad name (empty, containing `/`, `.`, `..` or longer
    /// than 32 bytes), `EEXIST` if the name is taken and `ENOMEM`.
    ///
    /// Context: process context, may sleep.
    pub(crate) fn new(name: &CStr) -> Result<Self> {
        Self::create(name, core::ptr::null_mut())
    }

    /// Like [`Component::new`], with extra attribute groups.
    ///
    /// Context: process context, may sleep.
    pub(crate) fn with_groups(name: &CStr, groups: &AttributeGroups) -> Result<Self> {
        Self::create(name, groups.0)
    }

    /// The directory's `kobject`, for `sysfs_notify()` on its files; live as long as
    /// `self`.
    pub(crate) fn as_raw(&self) -> *mut bindings::kobject {
        self.0.as_ptr()
    }

    /// `groups` is null or comes from an [`AttributeGroups`].
    fn create(name: &CStr, groups: *mut *const bindings::attribute_group) -> Result<Self> {
        // SAFETY: `name` is a NUL-terminated string, which `kobject_add()` copies.
        // `VERSION` is a `'static` string of this module, and the directory is removed
        // in `Drop`, before this module's memory can go away. `groups` is null or, by
        // the invariant of `AttributeGroups`, a static NULL-terminated array.
        let kobj =
            unsafe { ffi::hasys_component_add(name.as_char_ptr(), VERSION.as_char_ptr(), groups) };
        let kobj = from_err_ptr(kobj)?;
        // INVARIANT: `hasys_component_add()` succeeded, so `kobj` is a live directory.
        Ok(Self(NonNull::new(kobj).ok_or(ENOMEM)?))
    }
}

impl Drop for Component {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the directory exists and was not deleted yet;
        // `self` is going away, so it is deleted exactly once.
        unsafe { ffi::hasys_component_del(self.0.as_ptr()) };
    }
}

/// A NULL-terminated array of sysfs attribute groups (C `struct attribute_group *[]`)
/// for [`Component::with_groups`].
///
/// # Invariants
///
/// The pointer is to a NULL-terminated array of valid attribute groups with static
/// storage in this module, never written after initialisation; their callbacks are
/// sound for as long as the directory exists.
pub(crate) struct AttributeGroups(*mut *const bindings::attribute_group);

impl AttributeGroups {
    /// Wraps a C array of attribute groups.
    ///
    /// # Safety
    ///
    /// `groups` points to a NULL-terminated array of valid `struct attribute_group`
    /// pointers with static storage in the calling module, never written afterwards,
    /// whose `show`/`store` callbacks are sound to call from sysfs at any time while the
    /// directory exists.
    pub(crate) const unsafe fn from_raw(groups: *mut *const bindings::attribute_group) -> Self {
        // INVARIANT: By the safety requirements.
        Self(groups)
    }
}

// SAFETY: The array is static and never written, so it may be shared between threads.
unsafe impl Sync for AttributeGroups {}
// SAFETY: As above.
unsafe impl Send for AttributeGroups {}

// SAFETY: A sysfs directory may be created and removed from any thread; `Component`
// holds no thread-affine state.
unsafe impl Send for Component {}

// SAFETY: `Component` has no `&self` methods that touch the kobject.
unsafe impl Sync for Component {}
