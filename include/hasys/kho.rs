// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! Kexec HandOver (KHO) blobs for hasys modules: the Rust side of hwerr's exported
//! `hasys_kho_*()` (`include/hasys/hwerr.h`, `hwerr/kho.c`). A module that keeps state
//! across a planned kexec handoff preserves one blob ([`Preserved`]) and, in the next
//! kernel, finds it again ([`Found`]). What a blob holds is `kho_blob.rs`'s format.
//! A module includes this file with `#[path = "../include/hasys/kho.rs"] mod kho;`;
//! not every module uses every item.
#![allow(dead_code)]

use crate::kho_blob::{self, Meta, Owner};
use core::ptr::NonNull;
use kernel::{error::from_err_ptr, prelude::*};
use zerocopy::{FromBytes, Immutable, IntoBytes};

mod ffi {
    use kernel::prelude::*;

    extern "C" {
        /// See `hasys_kho_preserve()` in `include/hasys/hwerr.h`.
        pub(super) fn hasys_kho_preserve(
            name: *const c_char,
            size: usize,
            alloc_size: *mut usize,
        ) -> *mut c_void;
        /// See `hasys_kho_release()` in `include/hasys/hwerr.h`.
        pub(super) fn hasys_kho_release(blob: *mut c_void);
        /// See `hasys_kho_find()` in `include/hasys/hwerr.h`.
        pub(super) fn hasys_kho_find(name: *const c_char, size: *mut usize) -> *mut c_void;
        /// See `hasys_kho_free_found()` in `include/hasys/hwerr.h`.
        pub(super) fn hasys_kho_free_found(blob: *mut c_void);
    }
}

/// A blob preserved for the next kernel, under a KHO subtree of its own; released
/// (nothing carried) when dropped, unless [`Preserved::hand_over`] gave it away.
///
/// # Invariants
///
/// `ptr` was returned by a successful `hasys_kho_preserve()`, is `size` bytes of
/// direct-mapped memory that only this value touches, and was not released.
pub(crate) struct Preserved {
    ptr: NonNull<u8>,
    size: usize,
}

// SAFETY: The blob is plain memory owned by this value; KHO's calls may be made from
// any thread in process context.
unsafe impl Send for Preserved {}
// SAFETY: `&Preserved` gives only shared access to the bytes.
unsafe impl Sync for Preserved {}

impl Preserved {
    /// Preserves a zeroed blob of at least `size` bytes under the subtree `name`.
    ///
    /// Fails with `EOPNOTSUPP` when KHO is disabled, `EINVAL` for size 0, `E2BIG`
    /// above 4 MiB, `EEXIST` if the name is taken, and `ENOMEM`.
    ///
    /// Context: process context, may sleep.
    pub(crate) fn new(name: &CStr, size: usize) -> Result<Self> {
        let mut alloc = 0usize;
        // SAFETY: `name` is NUL-terminated (copied by KHO); `alloc` is writable.
        let p =
            from_err_ptr(unsafe { ffi::hasys_kho_preserve(name.as_char_ptr(), size, &mut alloc) })?;
        let ptr = NonNull::new(p.cast::<u8>()).ok_or(ENOMEM)?;
        // INVARIANT: Preserved just now, `alloc` bytes.
        Ok(Self { ptr, size: alloc })
    }

    /// The blob's bytes (the whole allocation, which the next kernel sees).
    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: By the type invariant, `size` bytes only `self` touches.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.size) }
    }

    /// Seals `item` as the blob's only item (`owner`'s, with `meta`) and gives the blob
    /// to the next kernel. Fails with `EINVAL`, releasing the blob, if `item` is empty,
    /// larger than `kho_blob::MAX_ITEM_SIZE` or does not fit.
    ///
    /// Context: process context (the commit of a handoff), may sleep.
    pub(crate) fn seal_one(mut self, owner: Owner, item: &[u8], meta: &Meta) -> Result {
        let mut w =
            kho_blob::Writer::new(self.as_mut_slice(), owner, item.len()).map_err(|_| EINVAL)?;
        w.push(item).map_err(|_| EINVAL)?;
        w.seal(meta);
        self.hand_over();
        Ok(())
    }

    /// Seals `items` (`owner`'s, with `meta`) and gives the blob to the next kernel.
    /// Items that do not fit are not written and are counted in the header's `lost`.
    /// Fails with `EINVAL`, releasing the blob, if a `T` is empty, larger than
    /// `kho_blob::MAX_ITEM_SIZE`, or the blob is smaller than its header.
    pub(crate) fn seal_all<T: IntoBytes + Immutable>(
        mut self,
        owner: Owner,
        items: impl IntoIterator<Item = T>,
        meta: &Meta,
    ) -> Result {
        let mut w = kho_blob::Writer::new(self.as_mut_slice(), owner, core::mem::size_of::<T>())
            .map_err(|_| EINVAL)?;
        for item in items {
            // A refused item is counted lost by the writer.
            let _ = w.push(item.as_bytes());
        }
        w.seal(meta);
        self.hand_over();
        Ok(())
    }

    /// Gives the blob to the next kernel: it stays preserved, never released here.
    /// For the commit of a handoff, once the blob is sealed.
    pub(crate) fn hand_over(self) {
        core::mem::forget(self);
    }
}

impl Drop for Preserved {
    fn drop(&mut self) {
        // SAFETY: By the type invariant, preserved and not released; released once.
        unsafe { ffi::hasys_kho_release(self.ptr.as_ptr().cast()) };
    }
}

/// A blob the previous kernel handed over; given back to the page allocator when
/// dropped. Its bytes are untrusted until validated.
///
/// # Invariants
///
/// `ptr` was returned by a successful `hasys_kho_find()`, is `size` readable bytes,
/// and was not freed.
pub(crate) struct Found {
    ptr: NonNull<u8>,
    size: usize,
}

// SAFETY: As for `Preserved`.
unsafe impl Send for Found {}
// SAFETY: Only shared access to the bytes is given out.
unsafe impl Sync for Found {}

impl Found {
    /// The blob handed over under `name`: `None` when this kernel was not started by
    /// a KHO kexec, or the previous kernel handed nothing over under that name.
    ///
    /// Fails with `EINVAL` for a broken subtree.
    ///
    /// Context: process context.
    pub(crate) fn find(name: &CStr) -> Result<Option<Self>> {
        let mut size = 0usize;
        // SAFETY: `name` is NUL-terminated; `size` is writable.
        let p = unsafe { ffi::hasys_kho_find(name.as_char_ptr(), &mut size) };
        match from_err_ptr(p) {
            Ok(p) => {
                let ptr = NonNull::new(p.cast::<u8>()).ok_or(EINVAL)?;
                // INVARIANT: Found just now, `size` bytes.
                Ok(Some(Self { ptr, size }))
            }
            Err(e) if e == ENOENT => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The blob's bytes, as the subtree's size says.
    pub(crate) fn as_slice(&self) -> &[u8] {
        // SAFETY: By the type invariant.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.size) }
    }
}

/// Why a blob handed over was not restored ([`Found::find_one`]).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Refused {
    /// KHO's subtree is broken (`hasys_kho_find()`'s error).
    Broken(Error),
    /// The blob failed validation.
    Invalid(kho_blob::Invalid),
    /// A valid blob, but not exactly one item of the expected size.
    Item,
}

impl Refused {
    /// For the kernel log.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Refused::Broken(_) => "broken-subtree",
            Refused::Invalid(inv) => inv.name(),
            Refused::Item => "bad-item",
        }
    }
}

impl Found {
    /// The blob handed over under `name`, validated as `owner`'s with items of
    /// `item_size` bytes, given to `f`; `f`'s result. `Ok(None)` when nothing was
    /// handed over under `name`. The blob is freed either way, after `f`.
    ///
    /// Context: process context.
    pub(crate) fn with_blob<R>(
        name: &CStr,
        owner: Owner,
        item_size: usize,
        f: impl FnOnce(&kho_blob::Blob<'_>) -> R,
    ) -> core::result::Result<Option<R>, Refused> {
        let Some(found) = Self::find(name).map_err(Refused::Broken)? else {
            return Ok(None);
        };
        let blob = kho_blob::parse(found.as_slice(), owner).map_err(Refused::Invalid)?;
        if blob.item_size() != item_size {
            return Err(Refused::Item);
        }
        Ok(Some(f(&blob)))
    }

    /// The blob handed over under `name`, validated as `owner`'s with exactly one item
    /// of type `T`: a copy of the item and the blob's meta. `Ok(None)` when nothing was
    /// handed over under `name`. The blob is freed either way.
    ///
    /// Context: process context.
    pub(crate) fn find_one<T: FromBytes>(
        name: &CStr,
        owner: Owner,
    ) -> core::result::Result<Option<(T, Meta)>, Refused> {
        let one = Self::with_blob(name, owner, size_of::<T>(), |blob| {
            let item = blob.items().next().filter(|_| blob.count() == 1);
            Some((T::read_from_bytes(item?).ok()?, blob.meta()))
        })?;
        one.map(|one| one.ok_or(Refused::Item)).transpose()
    }
}

impl Drop for Found {
    fn drop(&mut self) {
        // SAFETY: By the type invariant, found and not freed; freed once.
        unsafe { ffi::hasys_kho_free_found(self.ptr.as_ptr().cast()) };
    }
}
