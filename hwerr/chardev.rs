// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! `/dev/hwerr`: the misc device, its hand-built `file_operations` and the ioctls.
//!
//! 7.2's `MiscDevice` has no `poll` and does not set `.owner`, so an open file would
//! not pin the module. The `file_operations` here are built by hand, as binder does,
//! with `.owner = THIS_MODULE`: while a file is open, `rmmod hwerr` fails with
//! `EWOULDBLOCK` instead of unloading code the file still points at.
//!
//! All the callbacks run in process context and may sleep.

use crate::abi::{self, Filter, Seek, Stats};
use crate::capture;
use crate::log::{Batch, Cursor, Log};
use core::mem::size_of;
use kernel::{
    bindings,
    fs::File,
    new_mutex,
    prelude::*,
    sync::{poll::PollTable, Arc, ArcBorrow, Mutex},
    types::{ForeignOwnable, Opaque},
    uaccess::{UserPtr, UserSlice},
};
use zerocopy::{FromBytes, IntoBytes};

/// Records one `read()` moves at most; bounds its kernel buffer to 4 KiB.
const READ_BATCH: usize = 16;

/// One open file of `/dev/hwerr`.
#[pin_data]
struct Reader {
    log: Arc<Log>,
    #[pin]
    cursor: Mutex<Cursor>,
}

impl Reader {
    fn read(&self, file: &File, buf: UserPtr, len: usize) -> Result<usize> {
        let max = (len / abi::RECORD_SIZE).min(READ_BATCH);
        if max == 0 {
            return Err(EINVAL);
        }
        let mut batch = Batch::with_capacity(max, GFP_KERNEL)?;
        loop {
            let seen = {
                let mut cursor = self.cursor.lock();
                // Work on a copy: the cursor only moves once the records are copied
                // out, so a bad buffer (EFAULT) loses nothing.
                let mut next = cursor.clone();
                let seen = self.log.collect(&mut next, &mut batch, max);
                if !batch.is_empty() {
                    let mut writer = UserSlice::new(buf, len).writer();
                    for rec in batch.iter() {
                        writer.write_slice(rec.as_bytes())?;
                    }
                    next.read += batch.len() as u64;
                    *cursor = next;
                    return Ok(batch.len() * abi::RECORD_SIZE);
                }
                // Nothing that passes the filter; skipping the rest is not a loss.
                *cursor = next;
                seen
            };
            if file.flags() & bindings::O_NONBLOCK != 0 {
                return Err(EAGAIN);
            }
            self.log.wait_past(seen)?;
        }
    }

    fn ioctl(&self, cmd: u32, arg: usize) -> Result<isize> {
        let ptr = UserPtr::from_addr(arg);
        match cmd {
            abi::IOC_ABI_VERSION => {
                UserSlice::new(ptr, size_of::<u32>())
                    .writer()
                    .write_slice(abi::ABI_VERSION.as_bytes())?;
            }
            abi::IOC_GET_STATS => {
                let mut st = Stats::default();
                capture::stats(&mut st);
                self.log.stats(&self.cursor.lock(), &mut st);
                UserSlice::new(ptr, size_of::<Stats>())
                    .writer()
                    .write_slice(st.as_bytes())?;
            }
            abi::IOC_SET_FILTER => {
                let filter: Filter = read_arg(ptr)?;
                if filter.source_mask & !crate::log::ALL.source_mask != 0
                    || filter.severity_mask & !crate::log::ALL.severity_mask != 0
                {
                    return Err(EINVAL);
                }
                self.cursor.lock().filter = filter;
            }
            abi::IOC_GET_FILTER => {
                let filter = self.cursor.lock().filter;
                UserSlice::new(ptr, size_of::<Filter>())
                    .writer()
                    .write_slice(filter.as_bytes())?;
            }
            abi::IOC_SEEK => {
                let seek: Seek = read_arg(ptr)?;
                if seek.reserved != 0 {
                    return Err(EINVAL);
                }
                let mut cursor = self.cursor.lock();
                self.log.seek(&mut cursor, seek.whence, seek.seq)?;
            }
            _ => return Err(ENOTTY),
        }
        Ok(0)
    }

    fn poll(&self, file: &File, table: PollTable<'_>) -> u32 {
        table.register_wait(file, &self.log.wait);
        self.log.readiness(&self.cursor.lock())
    }
}

/// Reads an ioctl argument struct from userspace.
fn read_arg<T: FromBytes>(ptr: UserPtr) -> Result<T> {
    let mut buf = [0u8; 64];
    let bytes = buf.get_mut(..size_of::<T>()).ok_or(EINVAL)?;
    UserSlice::new(ptr, bytes.len())
        .reader()
        .read_slice(bytes)?;
    T::read_from_bytes(bytes).map_err(|_| EINVAL)
}

/// The registered misc device and the log its files read.
///
/// # Invariants
///
/// `misc` is registered with `misc_register()` from [`Device::new`] until `drop`, and
/// its `fops` are [`HWERR_FOPS`].
#[pin_data(PinnedDrop)]
pub(crate) struct Device {
    #[pin]
    misc: Opaque<bindings::miscdevice>,
    log: Arc<Log>,
}

// SAFETY: `misc_register()`/`misc_deregister()` may run on any thread, and the
// `miscdevice` is only touched by them and by `misc_open()`, which serialises itself.
unsafe impl Send for Device {}
// SAFETY: `&Device` only gives `open` a shared reference to the `Arc<Log>`.
unsafe impl Sync for Device {}

impl Device {
    /// Registers `/dev/hwerr` (mode 0600) reading from `log`.
    ///
    /// Context: module init, may sleep.
    pub(crate) fn new(log: Arc<Log>) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            misc <- Opaque::try_ffi_init(|slot: *mut bindings::miscdevice| {
                let mut misc: bindings::miscdevice = pin_init::zeroed();
                misc.minor = bindings::MISC_DYNAMIC_MINOR as c_int;
                misc.name = c"hwerr".as_char_ptr();
                misc.fops = &HWERR_FOPS.0;
                misc.mode = 0o600;
                // SAFETY: `slot` is valid for writes; it is pinned, and `drop`
                // deregisters the device before the memory goes away.
                unsafe { slot.write(misc) };
                // SAFETY: `slot` holds an initialised `miscdevice`.
                // INVARIANT: on success `misc` is registered with our fops.
                kernel::error::to_result(unsafe { bindings::misc_register(slot) })
            }),
            log,
        })
    }
}

#[pinned_drop]
impl PinnedDrop for Device {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant the device is registered.
        unsafe { bindings::misc_deregister(self.misc.get()) };
    }
}

/// Makes the `file_operations` table usable in a `static`.
#[repr(transparent)]
struct Fops(bindings::file_operations);

// SAFETY: The table is never written after initialisation.
unsafe impl Sync for Fops {}

static HWERR_FOPS: Fops = Fops(bindings::file_operations {
    owner: crate::THIS_MODULE.as_ptr(),
    open: Some(hwerr_open),
    release: Some(hwerr_release),
    read: Some(hwerr_read),
    poll: Some(hwerr_poll),
    unlocked_ioctl: Some(hwerr_ioctl),
    // Every argument struct has one layout on 32 and 64 bit; `arg` is a pointer
    // (None without CONFIG_COMPAT).
    compat_ioctl: bindings::compat_ptr_ioctl,
    llseek: Some(bindings::noop_llseek),
    ..pin_init::zeroed()
});

/// # Safety
///
/// Called by `misc_open()` with a file being opened whose `private_data` points at
/// the `miscdevice` of a registered [`Device`].
unsafe extern "C" fn hwerr_open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // The device node is 0600; this keeps a chmod from widening access.
    // SAFETY: Just a capability check of the current task.
    if !unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as c_int) } {
        return EPERM.to_errno();
    }
    // SAFETY: `misc_open()` set `private_data` to our `miscdevice`, which is the `misc`
    // field of a live `Device` (misc_open holds misc_mtx, so it cannot deregister).
    let dev = unsafe {
        let misc = (*file).private_data.cast::<Opaque<bindings::miscdevice>>();
        &*kernel::container_of!(misc, Device, misc)
    };
    // SAFETY: `inode` and `file` are the ones being opened.
    let ret = unsafe { bindings::stream_open(inode, file) };
    if ret != 0 {
        return ret;
    }
    let cursor = dev.log.cursor();
    let reader = match Arc::pin_init(
        pin_init!(Reader {
            log: dev.log.clone(),
            cursor <- new_mutex!(cursor, "hwerr_reader"),
        }),
        GFP_KERNEL,
    ) {
        Ok(r) => r,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: From now on `private_data` is ours; release() takes it back.
    unsafe { (*file).private_data = reader.into_foreign().cast() };
    0
}

/// # Safety
///
/// Called once per file opened by [`hwerr_open`], when its last reference goes.
unsafe extern "C" fn hwerr_release(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `private_data` holds the `Arc<Reader>` that open stored; this is the
    // last use of the file, so we take it back.
    drop(unsafe { Arc::<Reader>::from_foreign((*file).private_data.cast()) });
    0
}

/// Borrows the reader of an open file.
///
/// # Safety
///
/// `file` must be a file opened by [`hwerr_open`] and not yet released.
unsafe fn reader<'a>(file: *mut bindings::file) -> ArcBorrow<'a, Reader> {
    // SAFETY: By the function's safety requirement `private_data` is our `Arc<Reader>`,
    // which lives until release, after every other file operation has returned.
    unsafe { Arc::<Reader>::borrow((*file).private_data.cast()) }
}

/// # Safety
///
/// Called by the VFS on a file opened by [`hwerr_open`]; `buf` is a user pointer.
unsafe extern "C" fn hwerr_read(
    file: *mut bindings::file,
    buf: *mut c_char,
    len: usize,
    _ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: `file` is one of ours and open for this call.
    let r = unsafe { reader(file) };
    // SAFETY: The VFS holds a reference to `file` for the duration of this call.
    let f = unsafe { File::from_raw_file(file) };
    match r.read(f, UserPtr::from_ptr(buf.cast()), len) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// # Safety
///
/// Called by the VFS on a file opened by [`hwerr_open`].
unsafe extern "C" fn hwerr_poll(
    file: *mut bindings::file,
    wait: *mut bindings::poll_table_struct,
) -> bindings::__poll_t {
    // SAFETY: `file` is one of ours and open for this call.
    let r = unsafe { reader(file) };
    // SAFETY: The VFS holds a reference to `file` for the duration of this call.
    let f = unsafe { File::from_raw_file(file) };
    // SAFETY: `wait` is null or a poll table valid for this call.
    let table = unsafe { PollTable::from_raw(wait) };
    r.poll(f, table)
}

/// # Safety
///
/// Called by the VFS on a file opened by [`hwerr_open`]; `arg` is a user pointer.
unsafe extern "C" fn hwerr_ioctl(file: *mut bindings::file, cmd: c_uint, arg: c_ulong) -> c_long {
    // SAFETY: `file` is one of ours and open for this call.
    let r = unsafe { reader(file) };
    match r.ioctl(cmd, arg) {
        Ok(v) => v as c_long,
        Err(e) => e.to_errno() as c_long,
    }
}
