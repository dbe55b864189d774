// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! `/dev/hwerr`: the misc device, its hand-built `file_operations` and the ioctls.
//!
//! 7.2's `MiscDevice` has no `poll` and does not set `.owner`, so an open file would
//! not pin the module. The `file_operations` here are built by hand, as binder does,
//! with `.owner = THIS_MODULE`: while a file is open, `rmmod hwerr` fails with
//! `EWOULDBLOCK` instead of unloading code the file still points at.
//!
//! All the callbacks run in process context and may sleep. `read` is `read_iter`, so
//! `readv()` and io_uring work; `poll()` takes no mutex (see [`Reader`]).

use crate::abi::{self, Filter, Seek, Stats};
use crate::capture;
use crate::log::Log;
use crate::ring::{self, Cursor, Step};
use core::mem::size_of;
use kernel::{
    bindings,
    iov::IovIterDest,
    new_mutex,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc, ArcBorrow, Mutex,
    },
    types::{ForeignOwnable, Opaque},
    uaccess::{UserPtr, UserSlice},
};
use zerocopy::{FromBytes, IntoBytes};

/// `IOCB_NOWAIT` (`RWF_NOWAIT`, uapi `linux/fs.h`), which bindgen does not see
/// through its `__force` cast.
const IOCB_NOWAIT: c_int = 0x8;

// The ioctl numbers, made with the kernel's own `_IOR`/`_IOW` (the ABI file, shared
// with userspace, encodes them by hand; the build fails if the two ever differ).
const IOC_ABI_VERSION: u32 = kernel::ioctl::_IOR::<u32>(abi::IOC_MAGIC, 0x00);
const IOC_GET_STATS: u32 = kernel::ioctl::_IOR::<Stats>(abi::IOC_MAGIC, 0x01);
const IOC_SET_FILTER: u32 = kernel::ioctl::_IOW::<Filter>(abi::IOC_MAGIC, 0x02);
const IOC_GET_FILTER: u32 = kernel::ioctl::_IOR::<Filter>(abi::IOC_MAGIC, 0x03);
const IOC_SEEK: u32 = kernel::ioctl::_IOW::<Seek>(abi::IOC_MAGIC, 0x04);
const _: () = assert!(
    IOC_ABI_VERSION == abi::IOC_ABI_VERSION
        && IOC_GET_STATS == abi::IOC_GET_STATS
        && IOC_SET_FILTER == abi::IOC_SET_FILTER
        && IOC_GET_FILTER == abi::IOC_GET_FILTER
        && IOC_SEEK == abi::IOC_SEEK
);

/// Records one `read()` returns at most, so one call holds the cursor briefly.
const READ_BATCH: usize = 16;

/// One open file of `/dev/hwerr`.
///
/// `cursor` serialises `read()`, seeks and filter changes of this file; `poll()` never
/// takes it: it reads the cursor's position and filter from `poll_next`/`poll_filter`,
/// which every cursor change updates.
#[pin_data]
struct Reader {
    log: Arc<Log>,
    #[pin]
    cursor: Mutex<Cursor>,
    poll_next: Atomic<u64>,
    /// The filter, `source_mask << 32 | severity_mask`.
    poll_filter: Atomic<u64>,
}

impl Reader {
    /// Makes `cur`'s position and filter visible to `poll()`.
    fn publish(&self, cur: &Cursor) {
        self.poll_filter.store(
            u64::from(cur.filter.source_mask) << 32 | u64::from(cur.filter.severity_mask),
            Relaxed,
        );
        self.poll_next.store(cur.next, Relaxed);
    }

    /// Copies whole records into `iov`: at least one, blocking unless `nonblock`.
    ///
    /// The cursor moves past a record only once it is fully copied: a bad buffer
    /// (`EFAULT` on the first record) loses nothing, and a buffer that faults after
    /// some records returns their bytes.
    fn read(&self, iov: &mut IovIterDest<'_>, nonblock: bool) -> Result<usize> {
        let max = (iov.len() / abi::RECORD_SIZE).min(READ_BATCH);
        if max == 0 {
            return Err(EINVAL);
        }
        let mut copied = 0;
        loop {
            let mut cursor = self.cursor.lock();
            let seen = loop {
                let mut next = cursor.clone();
                match self.log.next(&mut next) {
                    Step::Record(rec) => {
                        if iov.copy_to_iter(rec.as_bytes()) < abi::RECORD_SIZE {
                            self.publish(&cursor);
                            return if copied == 0 {
                                Err(EFAULT)
                            } else {
                                Ok(copied * abi::RECORD_SIZE)
                            };
                        }
                        *cursor = next;
                        copied += 1;
                        if copied == max {
                            break None;
                        }
                    }
                    // Only filtered-out records so far: skipping them is not a loss.
                    Step::Budget => *cursor = next,
                    Step::Empty { next_seq } => {
                        *cursor = next;
                        break Some(next_seq);
                    }
                }
            };
            self.publish(&cursor);
            drop(cursor);
            match seen {
                Some(next_seq) if copied == 0 => {
                    if nonblock {
                        return Err(EAGAIN);
                    }
                    self.log
                        .wait
                        .wait_until(|| self.log.next_seq() != next_seq)?;
                }
                _ => return Ok(copied * abi::RECORD_SIZE),
            }
        }
    }

    fn ioctl(&self, cmd: u32, arg: usize) -> Result<isize> {
        let ptr = UserPtr::from_addr(arg);
        match cmd {
            IOC_ABI_VERSION => {
                UserSlice::new(ptr, size_of::<u32>())
                    .writer()
                    .write_slice(abi::ABI_VERSION.as_bytes())?;
            }
            IOC_GET_STATS => {
                let mut st = Stats::default();
                capture::stats(&mut st);
                self.log.stats(&self.cursor.lock(), &mut st);
                UserSlice::new(ptr, size_of::<Stats>())
                    .writer()
                    .write_slice(st.as_bytes())?;
            }
            IOC_SET_FILTER => {
                let filter: Filter = read_arg(ptr)?;
                if !ring::filter_is_valid(&filter) {
                    return Err(EINVAL);
                }
                let mut cursor = self.cursor.lock();
                cursor.filter = filter;
                self.publish(&cursor);
            }
            IOC_GET_FILTER => {
                let filter = self.cursor.lock().filter;
                UserSlice::new(ptr, size_of::<Filter>())
                    .writer()
                    .write_slice(filter.as_bytes())?;
            }
            IOC_SEEK => {
                let seek: Seek = read_arg(ptr)?;
                if seek.reserved != 0 {
                    return Err(EINVAL);
                }
                let mut cursor = self.cursor.lock();
                self.log.seek(&mut cursor, seek.whence, seek.seq)?;
                self.publish(&cursor);
            }
            _ => return Err(ENOTTY),
        }
        Ok(0)
    }

    /// # Safety
    ///
    /// `file` is this reader's open file and `table` the poll table of this call.
    unsafe fn poll(&self, file: *mut bindings::file, table: *mut bindings::poll_table) -> u32 {
        // SAFETY: By the safety requirements; the log outlives the file (the file
        // holds a reference to it until release).
        unsafe { self.log.wait.poll_wait(file, table) };
        let f = self.poll_filter.load(Relaxed);
        let filter = Filter {
            source_mask: (f >> 32) as u32,
            severity_mask: f as u32,
        };
        self.log.readiness(self.poll_next.load(Relaxed), &filter)
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
    read_iter: Some(hwerr_read_iter),
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
    let next = cursor.next;
    let reader = match Arc::pin_init(
        pin_init!(Reader {
            log: dev.log.clone(),
            cursor <- new_mutex!(cursor, "hwerr_reader"),
            poll_next: Atomic::new(next),
            poll_filter: Atomic::new(
                u64::from(ring::ALL.source_mask) << 32 | u64::from(ring::ALL.severity_mask),
            ),
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
/// Called by the VFS with a kiocb of a file opened by [`hwerr_open`] and the
/// destination iterator of this read.
unsafe extern "C" fn hwerr_read_iter(
    kiocb: *mut bindings::kiocb,
    iter: *mut bindings::iov_iter,
) -> isize {
    // SAFETY: `kiocb` is valid for this call and its file is one of ours.
    let (file, kflags) = unsafe { ((*kiocb).ki_filp, (*kiocb).ki_flags) };
    // SAFETY: As above.
    let r = unsafe { reader(file) };
    // SAFETY: `file` is valid for this call.
    let fflags = unsafe { (*file).f_flags };
    let nonblock = fflags & bindings::O_NONBLOCK != 0 || kflags & IOCB_NOWAIT != 0;
    // SAFETY: `iter` is the ITER_DEST iterator of this read, valid for this call.
    let iov = unsafe { IovIterDest::from_raw(iter) };
    match r.read(iov, nonblock) {
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
    // SAFETY: `file` is this reader's and `wait` the poll table of this call.
    unsafe { r.poll(file, wait) }
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
