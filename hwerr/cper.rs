// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! Decoding of UEFI CPER section bodies (UEFI 2.10, appendix N) into `hwerr_cper`.
//!
//! The kernel hands GHES sections to hwerr as raw bytes in firmware layout: packed,
//! little-endian. The wire structs below spell that layout out with zerocopy's
//! unaligned little-endian integers, so decoding is a bounds-checked
//! `read_from_prefix`, never pointer arithmetic. A section shorter than its struct is
//! not decoded: its first bytes are kept raw.
//!
//! Context: any, including NMI. Nothing here locks, allocates or sleeps.

use crate::abi::{self, Cper, CperMem, CperPcie, CperProc};
use zerocopy::byteorder::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, IntoBytes};
use zerocopy_derive::{FromBytes, Immutable, KnownLayout, Unaligned};

/// A GUID in the byte order the CPER record stores it (`guid_t`).
type Guid = [u8; 16];

/// `GUID_INIT(a, b, c, d0..d7)` as stored bytes.
const fn guid(a: u32, b: u16, c: u16, d: [u8; 8]) -> Guid {
    let a = a.to_le_bytes();
    let b = b.to_le_bytes();
    let c = c.to_le_bytes();
    [
        a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d[0], d[1], d[2], d[3], d[4], d[5], d[6],
        d[7],
    ]
}

/// `CPER_SEC_PLATFORM_MEM`.
pub(crate) const SEC_PLATFORM_MEM: Guid = guid(
    0xA5BC1114,
    0x6F64,
    0x4EDE,
    [0xB8, 0x63, 0x3E, 0x83, 0xED, 0x7C, 0x83, 0xB1],
);
/// `CPER_SEC_PCIE`.
pub(crate) const SEC_PCIE: Guid = guid(
    0xD995E954,
    0xBBC1,
    0x430F,
    [0xAD, 0x91, 0xB4, 0x4D, 0xCB, 0x3C, 0x6F, 0x35],
);
/// `CPER_SEC_PROC_GENERIC`.
pub(crate) const SEC_PROC_GENERIC: Guid = guid(
    0x9876CCAD,
    0x47B4,
    0x4BDB,
    [0xB6, 0x5E, 0x16, 0xF1, 0x93, 0xC4, 0xF3, 0xDB],
);

/// `struct cper_sec_mem_err` (UEFI N.2.5), 80 bytes.
#[repr(C)]
#[derive(FromBytes, Immutable, KnownLayout, Unaligned)]
struct WireMem {
    validation_bits: U64,
    error_status: U64,
    physical_addr: U64,
    physical_addr_mask: U64,
    node: U16,
    card: U16,
    module: U16,
    bank: U16,
    device: U16,
    row: U16,
    column: U16,
    bit_pos: U16,
    requestor_id: U64,
    responder_id: U64,
    target_id: U64,
    error_type: u8,
    extended: u8,
    rank: U16,
    mem_array_handle: U16,
    mem_dev_handle: U16,
}

/// `CPER_MEM_VALID_ROW_EXT`: `extended` bits 0-1 are row bits 16-17.
const MEM_VALID_ROW_EXT: u64 = 1 << 18;

/// The device ID block of `struct cper_sec_pcie`.
#[repr(C)]
#[derive(FromBytes, Immutable, KnownLayout, Unaligned)]
struct WirePcieDevice {
    vendor_id: U16,
    device_id: U16,
    class_code: [u8; 3],
    function: u8,
    device: u8,
    segment: U16,
    bus: u8,
    secondary_bus: u8,
    slot: U16,
    reserved: u8,
}

/// `struct cper_sec_pcie` (UEFI N.2.7), 208 bytes.
#[repr(C)]
#[derive(FromBytes, Immutable, KnownLayout, Unaligned)]
struct WirePcie {
    validation_bits: U64,
    port_type: U32,
    version: U32,
    command: U16,
    status: U16,
    reserved: U32,
    device_id: WirePcieDevice,
    serial_lower: U32,
    serial_upper: U32,
    bridge_secondary_status: U16,
    bridge_control: U16,
    capability: [u8; 60],
    /// `struct aer_capability_regs` as the firmware captured it.
    aer_header: U32,
    aer_uncor_status: U32,
    aer_uncor_mask: U32,
    aer_uncor_severity: U32,
    aer_cor_status: U32,
    aer_rest: [u8; 76],
}

/// `CPER_PCIE_VALID_DEVICE_ID`.
const PCIE_VALID_DEVICE_ID: u64 = 1 << 3;
/// `CPER_PCIE_VALID_AER_INFO`.
const PCIE_VALID_AER_INFO: u64 = 1 << 7;

/// `struct cper_sec_proc_generic` (UEFI N.2.4.1), 192 bytes.
#[repr(C)]
#[derive(FromBytes, Immutable, KnownLayout, Unaligned)]
struct WireProc {
    validation_bits: U64,
    proc_type: u8,
    proc_isa: u8,
    proc_error_type: u8,
    operation: u8,
    flags: u8,
    level: u8,
    reserved: U16,
    cpu_version: U64,
    cpu_brand: [u8; 128],
    proc_id: U64,
    target_addr: U64,
    requestor_id: U64,
    responder_id: U64,
    ip: U64,
}

const _: () = {
    assert!(core::mem::size_of::<WireMem>() == 80);
    assert!(core::mem::size_of::<WirePcie>() == 208);
    assert!(core::mem::size_of::<WireProc>() == 192);
};

fn mem(w: &WireMem) -> CperMem {
    let mut row = u32::from(w.row.get());
    if w.validation_bits.get() & MEM_VALID_ROW_EXT != 0 {
        row |= u32::from(w.extended & 0x3) << 16;
    }
    CperMem {
        validation_bits: w.validation_bits.get(),
        error_status: w.error_status.get(),
        physical_addr: w.physical_addr.get(),
        physical_addr_mask: w.physical_addr_mask.get(),
        node: w.node.get(),
        card: w.card.get(),
        module: w.module.get(),
        bank: w.bank.get(),
        row,
        column: w.column.get(),
        error_type: w.error_type,
        reserved: 0,
    }
}

fn pcie(w: &WirePcie) -> CperPcie {
    let valid = w.validation_bits.get();
    let mut out = CperPcie {
        validation_bits: valid,
        port_type: w.port_type.get(),
        device_status: u32::from(w.status.get()) | u32::from(w.bridge_secondary_status.get()) << 16,
        ..CperPcie::default()
    };
    if valid & PCIE_VALID_DEVICE_ID != 0 {
        let d = &w.device_id;
        out.segment = d.segment.get();
        out.bus = d.bus;
        out.devfn = ((d.device & 0x1f) << 3) | (d.function & 0x7);
        out.vendor_id = d.vendor_id.get();
        out.device_id = d.device_id.get();
    }
    if valid & PCIE_VALID_AER_INFO != 0 {
        out.aer_uncor_status = w.aer_uncor_status.get();
        out.aer_cor_status = w.aer_cor_status.get();
    }
    out
}

fn proc_generic(w: &WireProc) -> CperProc {
    CperProc {
        validation_bits: w.validation_bits.get(),
        proc_type: w.proc_type,
        proc_isa: w.proc_isa,
        proc_error_type: w.proc_error_type,
        operation: w.operation,
        flags: w.flags,
        level: w.level,
        reserved: 0,
        proc_id: w.proc_id.get(),
        target_addr: w.target_addr.get(),
        ip: w.ip.get(),
    }
}

/// Decodes the section `body` of type `section_type` into the `hwerr_cper` payload.
///
/// Keeps what the caller already set (severity, FRU id and text).
pub(crate) fn decode(payload: &mut [u8; abi::PAYLOAD_SIZE], section_type: &Guid, body: &[u8]) {
    let Ok((mut cper, _)) = Cper::read_from_prefix(&payload[..]) else {
        return;
    };
    cper.section_type = *section_type;
    cper.section_length = u32::try_from(body.len()).unwrap_or(u32::MAX);
    cper.u = [0; 64];
    let u = &mut cper.u;
    cper.decoded = match *section_type {
        SEC_PLATFORM_MEM => match WireMem::ref_from_prefix(body) {
            Ok((w, _)) => put(u, mem(w).as_bytes(), abi::CPER_SEC_MEM),
            Err(_) => raw(u, body),
        },
        SEC_PCIE => match WirePcie::ref_from_prefix(body) {
            Ok((w, _)) => put(u, pcie(w).as_bytes(), abi::CPER_SEC_PCIE),
            Err(_) => raw(u, body),
        },
        SEC_PROC_GENERIC => match WireProc::ref_from_prefix(body) {
            Ok((w, _)) => put(u, proc_generic(w).as_bytes(), abi::CPER_SEC_PROC),
            Err(_) => raw(u, body),
        },
        _ => raw(u, body),
    };
    let out = cper.as_bytes();
    if let Some(dst) = payload.get_mut(..out.len()) {
        dst.copy_from_slice(out);
    }
}

/// Stores a decoded section struct in `hwerr_cper.u` (at [`abi::CPER_U_OFFSET`]).
fn put(u: &mut [u8; 64], decoded: &[u8], kind: u32) -> u32 {
    match u.get_mut(..decoded.len()) {
        Some(dst) => {
            dst.copy_from_slice(decoded);
            kind
        }
        None => abi::CPER_SEC_UNKNOWN,
    }
}

/// Keeps the first bytes of a section that is not decoded.
fn raw(u: &mut [u8; 64], body: &[u8]) -> u32 {
    let n = body.len().min(u.len());
    u[..n].copy_from_slice(&body[..n]);
    abi::CPER_SEC_UNKNOWN
}
