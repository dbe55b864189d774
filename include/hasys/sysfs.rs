// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! Text sysfs attributes answered from Rust: the `show` buffer, the `store` input and
//! the value parsers every hasys module's attributes share. A module includes this
//! file with `#[path = "../include/hasys/sysfs.rs"] mod sysfs;`; not every module
//! uses every helper.
#![allow(dead_code)]

use core::fmt::Write;
use kernel::{bindings, prelude::*};

/// A `PAGE_SIZE` sysfs `show` buffer being filled.
pub(crate) struct SysfsBuf<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl Write for SysfsBuf<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(core::fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(core::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Runs `f` on sysfs's `show` buffer; returns what `show` returns: the length written
/// or `-errno`. A text that does not fit in the page is `EFBIG`.
///
/// # Safety
///
/// `buf` is sysfs's writable `PAGE_SIZE` buffer.
pub(crate) unsafe fn show(buf: *mut u8, f: impl FnOnce(&mut SysfsBuf<'_>) -> Result) -> isize {
    // SAFETY: By the safety requirements.
    let buf = unsafe { core::slice::from_raw_parts_mut(buf, bindings::PAGE_SIZE) };
    let mut out = SysfsBuf { buf, len: 0 };
    match f(&mut out) {
        // A page is at most 64 KiB: `len` fits.
        Ok(()) => out.len as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// Runs `f` on a `store`'s input; returns what `store` returns: `len` or `-errno`.
///
/// # Safety
///
/// `buf` points to `len` readable bytes.
pub(crate) unsafe fn store(buf: *const u8, len: usize, f: impl FnOnce(&[u8]) -> Result) -> isize {
    // SAFETY: By the safety requirements.
    let input = unsafe { core::slice::from_raw_parts(buf, len) };
    match f(input) {
        // sysfs writes are at most a page.
        Ok(()) => len as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// Maps a formatting failure (the page is full) to `EFBIG`.
pub(crate) fn fmt(_: core::fmt::Error) -> Error {
    EFBIG
}

/// A written value: UTF-8, one trailing newline allowed.
pub(crate) fn text(input: &[u8]) -> Result<&str> {
    let s = core::str::from_utf8(input).map_err(|_| EINVAL)?;
    Ok(s.strip_suffix('\n').unwrap_or(s))
}

/// A decimal `u64`, blanks around it allowed.
pub(crate) fn parse_u64(s: &str) -> Result<u64> {
    s.trim().parse::<u64>().map_err(|_| EINVAL)
}

/// A decimal that must fit `T`: `EINVAL` if it is not a number, `ERANGE` if too big.
pub(crate) fn parse_num<T: TryFrom<u64>>(s: &str) -> Result<T> {
    T::try_from(parse_u64(s)?).map_err(|_| ERANGE)
}

/// `0`/`n`/`N`/`off` or `1`/`y`/`Y`/`on`.
pub(crate) fn parse_bool(s: &str) -> Result<bool> {
    match s.trim() {
        "0" | "n" | "N" | "off" => Ok(false),
        "1" | "y" | "Y" | "on" => Ok(true),
        _ => Err(EINVAL),
    }
}
