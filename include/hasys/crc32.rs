// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! CRC-32 as IEEE 802.3 and zlib's `crc32()` compute it: reflected, polynomial
//! `0xEDB88320`, initial value and final XOR `0xFFFFFFFF`. `crc32(b"123456789")` is
//! `0xCBF43926`.
//!
//! Pure logic: `core` only, no allocation, no panic on any input, time linear in the
//! input. The byte-at-a-time table is built at compile time.
//!
//! The checksummed formats of hasys use it: the crash record (`crashdump/record.rs`)
//! and the KHO blob (`include/hasys/kho_blob.rs`). Each reaches it as `crate::crc32`: the
//! modules `crashdump.ko` and `kexec_handoff.ko` include this file with
//! `#[path = "../include/hasys/crc32.rs"] mod crc32;`, and so do the userspace crates
//! that build those formats, `tools/crashdump-core` and `tools/handoff-core`.

/// The reflected CRC-32 polynomial (IEEE 802.3).
const CRC_POLY: u32 = 0xEDB8_8320;

/// The byte-at-a-time table, built at compile time.
static CRC_TABLE: [u32; 256] = crc_table();

// Evaluated at compile time only (`CRC_TABLE`): an overflow or an index out of
// bounds here fails the build, it cannot panic at run time.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0usize;
    let mut n = 0u32;
    while i < 256 {
        let mut c = n;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                CRC_POLY ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
        n += 1;
    }
    table
}

/// Runs the CRC register `crc` over `data` and returns the register. The register
/// starts at `!0` and the CRC is the register inverted: `crc32(data)` is
/// `!crc_update(!0, data)`, and data in pieces goes through one register piece by
/// piece.
pub fn crc_update(mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        let [low, ..] = crc.to_le_bytes();
        let t = CRC_TABLE.get(usize::from(low ^ b)).copied().unwrap_or(0);
        crc = t ^ (crc >> 8);
    }
    crc
}

/// CRC-32 of `data`, as zlib's `crc32()` computes it: `crc32(b"123456789")` is
/// `0xCBF43926`.
pub fn crc32(data: &[u8]) -> u32 {
    !crc_update(!0, data)
}

/// CRC-32 of `data` with the `len` bytes at `off` taken as 0 (those of them `data`
/// holds): the checksum of a header that stores its own CRC at `off`.
pub fn crc32_zeroed(data: &[u8], off: usize, len: usize) -> u32 {
    let (head, rest) = data.split_at_checked(off).unwrap_or((data, &[]));
    let (field, tail) = rest.split_at_checked(len).unwrap_or((rest, &[]));
    let crc = field
        .iter()
        .fold(crc_update(!0, head), |crc, _| crc_update(crc, &[0]));
    !crc_update(crc, tail)
}
