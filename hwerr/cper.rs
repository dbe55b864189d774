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

#[cfg(CONFIG_HASYS_KUNIT_TEST)]
#[kernel::prelude::kunit_tests(hasys_cper)]
mod tests {
    //! Section bodies laid out byte by byte as UEFI 2.10 appendix N specifies them,
    //! the way firmware hands them to GHES.
    use super::*;
    use crate::abi::{Cper, CperMem, CperPcie, CperProc, CPER_U_OFFSET, PAYLOAD_SIZE};
    use kernel::prelude::*;

    fn put(buf: &mut [u8], off: usize, bytes: &[u8]) {
        buf[off..off + bytes.len()].copy_from_slice(bytes);
    }

    fn decoded(payload: &[u8; PAYLOAD_SIZE]) -> Result<Cper> {
        Ok(Cper::read_from_prefix(&payload[..]).map_err(|_| EINVAL)?.0)
    }

    fn mem_section() -> [u8; 80] {
        let mut b = [0u8; 80];
        // PA, PA mask, node, card, module, bank, row, column, error type, row ext.
        let valid: u64 = (1 << 1)
            | (1 << 2)
            | (1 << 3)
            | (1 << 4)
            | (1 << 5)
            | (1 << 6)
            | (1 << 10)
            | (1 << 11)
            | (1 << 14)
            | (1 << 18);
        put(&mut b, 0, &valid.to_le_bytes());
        put(&mut b, 16, &0x1_2345_6000u64.to_le_bytes());
        put(&mut b, 24, &0xffff_ffff_ffff_f000u64.to_le_bytes());
        put(&mut b, 32, &1u16.to_le_bytes()); // node
        put(&mut b, 34, &2u16.to_le_bytes()); // card
        put(&mut b, 36, &3u16.to_le_bytes()); // module
        put(&mut b, 38, &4u16.to_le_bytes()); // bank
        put(&mut b, 42, &0x1234u16.to_le_bytes()); // row bits 0-15
        put(&mut b, 44, &0x56u16.to_le_bytes()); // column
        b[72] = 2; // error type: single-bit ECC
        b[73] = 0x2; // extended: row bits 16-17
        b
    }

    #[test]
    fn memory_section_is_decoded() -> Result {
        let mut payload = [0u8; PAYLOAD_SIZE];
        decode(&mut payload, &SEC_PLATFORM_MEM, &mem_section());
        let cper = decoded(&payload)?;
        assert_eq!(cper.decoded, abi::CPER_SEC_MEM);
        assert_eq!(cper.section_type, SEC_PLATFORM_MEM);
        assert_eq!(cper.section_length, 80);
        let m = CperMem::read_from_prefix(&cper.u[..])
            .map_err(|_| EINVAL)?
            .0;
        assert_eq!(m.physical_addr, 0x1_2345_6000);
        assert_eq!(m.physical_addr_mask, 0xffff_ffff_ffff_f000);
        assert_eq!((m.node, m.card, m.module, m.bank), (1, 2, 3, 4));
        assert_eq!(m.row, 0x2_1234);
        assert_eq!(m.column, 0x56);
        assert_eq!(m.error_type, 2);
        Ok(())
    }

    #[test]
    fn guid_bytes_match_the_kernel() {
        // guid_t of CPER_SEC_PLATFORM_MEM as it sits in memory (include/linux/cper.h).
        assert_eq!(
            SEC_PLATFORM_MEM,
            [
                0x14, 0x11, 0xBC, 0xA5, 0x64, 0x6F, 0xDE, 0x4E, 0xB8, 0x63, 0x3E, 0x83, 0xED, 0x7C,
                0x83, 0xB1
            ]
        );
    }

    #[test]
    fn short_section_is_kept_raw() -> Result {
        let mut payload = [0u8; PAYLOAD_SIZE];
        let body = mem_section();
        decode(&mut payload, &SEC_PLATFORM_MEM, &body[..40]);
        let cper = decoded(&payload)?;
        assert_eq!(cper.decoded, abi::CPER_SEC_UNKNOWN);
        assert_eq!(cper.section_length, 40);
        assert_eq!(&cper.u[..40], &body[..40]);
        assert!(cper.u[40..].iter().all(|b| *b == 0));
        Ok(())
    }

    #[test]
    fn pcie_section_is_decoded() -> Result {
        let mut b = [0u8; 208];
        // Port type, device ID, AER info valid.
        put(
            &mut b,
            0,
            &((1u64 << 0) | (1 << 3) | (1 << 7)).to_le_bytes(),
        );
        put(&mut b, 8, &4u32.to_le_bytes()); // root port
        put(&mut b, 18, &0x0010u16.to_le_bytes()); // status
        put(&mut b, 24, &0x8086u16.to_le_bytes()); // vendor
        put(&mut b, 26, &0x1234u16.to_le_bytes()); // device
        b[31] = 1; // function
        b[32] = 3; // device
        put(&mut b, 33, &0u16.to_le_bytes()); // segment
        b[35] = 0x5e; // bus
        put(&mut b, 48, &0x4000u16.to_le_bytes()); // bridge secondary status
        put(&mut b, 116, &0x0010_0000u32.to_le_bytes()); // AER uncorrectable status
        put(&mut b, 128, &0x1u32.to_le_bytes()); // AER correctable status
        let mut payload = [0u8; PAYLOAD_SIZE];
        decode(&mut payload, &SEC_PCIE, &b);
        let cper = decoded(&payload)?;
        assert_eq!(cper.decoded, abi::CPER_SEC_PCIE);
        let p = CperPcie::read_from_prefix(&cper.u[..])
            .map_err(|_| EINVAL)?
            .0;
        assert_eq!(p.port_type, 4);
        assert_eq!((p.segment, p.bus, p.devfn), (0, 0x5e, (3 << 3) | 1));
        assert_eq!((p.vendor_id, p.device_id), (0x8086, 0x1234));
        assert_eq!(p.device_status, 0x4000_0010);
        assert_eq!(p.aer_uncor_status, 0x0010_0000);
        assert_eq!(p.aer_cor_status, 1);
        Ok(())
    }

    #[test]
    fn processor_section_is_decoded() -> Result {
        let mut b = [0u8; 192];
        put(&mut b, 0, &0x3fffu64.to_le_bytes());
        b[8] = 0; // IA32/X64
        b[10] = 0x1; // cache error
        put(&mut b, 160, &0xdead_b000u64.to_le_bytes()); // target address
        put(&mut b, 184, &0xffff_ffff_8100_0000u64.to_le_bytes()); // IP
        let mut payload = [0u8; PAYLOAD_SIZE];
        decode(&mut payload, &SEC_PROC_GENERIC, &b);
        let cper = decoded(&payload)?;
        assert_eq!(cper.decoded, abi::CPER_SEC_PROC);
        let p = CperProc::read_from_prefix(&cper.u[..])
            .map_err(|_| EINVAL)?
            .0;
        assert_eq!(p.proc_error_type, 1);
        assert_eq!(p.target_addr, 0xdead_b000);
        assert_eq!(p.ip, 0xffff_ffff_8100_0000);
        Ok(())
    }

    #[test]
    fn unknown_section_and_caller_fields_are_kept() -> Result {
        let mut payload = [0u8; PAYLOAD_SIZE];
        // What the C side fills in before decoding: severity and FRU text.
        payload[32..36].copy_from_slice(&2u32.to_le_bytes());
        payload[48..52].copy_from_slice(b"DIMM");
        let vendor = [0x42u8; 16];
        let body = [0xa5u8; 100];
        decode(&mut payload, &vendor, &body);
        let cper = decoded(&payload)?;
        assert_eq!(cper.ghes_severity, 2);
        assert_eq!(&cper.fru_text[..4], b"DIMM");
        assert_eq!(cper.section_type, vendor);
        assert_eq!(cper.decoded, abi::CPER_SEC_UNKNOWN);
        assert_eq!(cper.section_length, 100);
        assert!(cper.u.iter().all(|b| *b == 0xa5));
        assert_eq!(CPER_U_OFFSET, 72);
        Ok(())
    }
}
