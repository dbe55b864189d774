// SPDX-License-Identifier: GPL-2.0

//! Classification: which part each hwerr record accuses, row by row of the table in
//! `classify.rs`, and no panic or out-of-range hit on any record.

use hadetect_core::abi::{self, Aer, Cper, CperMem, CperPcie, Edac, Mce, MemoryFailure, Record};
use hadetect_core::classify::{
    classify, label, mce_is_cache, mce_is_memory, mce_usable_address, Hit, Verdict,
};
use hadetect_core::severity::{self, ghes_sev, mci, vendor};
use proptest::prelude::*;
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes};

/// A valid, enabled MCi_STATUS without UC.
const CE: u64 = mci::VAL | mci::EN;
/// Intel memory controller read error on channel 15 (`0000 0000 1001 1111`).
const MEM_READ: u64 = 0x009f;
/// `MCA_IPID` of an SMCA unified memory controller (hardware id 0x96, type 0).
const UMC_IPID: u64 = (0x96 << 32) | 0x0015_0000;
/// `MCA_IPID` of an SMCA HBM memory controller, UMC_V2 (hardware id 0x96, type 1).
const UMC_V2_IPID: u64 = (1 << 48) | (0x96 << 32) | 0x0015_0000;
/// AMD `MCi_STATUS[43]`, poison: on SMCA the only mark of a usable (system physical)
/// address in a UMC bank.
const POISON: u64 = 1 << 43;
/// `MCi_MISC` with address mode `mode` (bits 8:6) and least significant bit `lsb`.
const fn misc(mode: u64, lsb: u64) -> u64 {
    (mode << 6) | lsb
}
/// `MCA_IPID` of an SMCA load-store unit (hardware id 0xb0, type 0).
const LS_IPID: u64 = (0xb0 << 32) | 0x0001_0000;
/// `CPER_MEM_VALID_PA`, `CPER_MEM_VALID_ERROR_STATUS`, `CPER_PCIE_VALID_DEVICE_ID`.
const MEM_VALID_PA: u64 = 1 << 1;
const MEM_VALID_ERROR_STATUS: u64 = 1 << 0;
const PCIE_VALID_DEVICE_ID: u64 = 1 << 3;

/// A record of `source` graded `severity`, `count` 1, with `body` as its payload
/// (hwerr's own blank record, so the header is what hwerr stamps).
fn rec<T: IntoBytes + Immutable>(source: u8, severity: u8, body: &T) -> Record {
    let mut r = hwerr_core::ring::blank(source, severity);
    r.hdr.seq = 42;
    r.hdr.boottime_ns = 1_000_000;
    let b = body.as_bytes();
    r.payload[..b.len()].copy_from_slice(b);
    r
}

/// A storm summary of `count` such records.
fn coalesced(mut r: Record, count: u32) -> Record {
    r.hdr.flags |= abi::F_COALESCED;
    r.hdr.count = count;
    r.hdr.last_boottime_ns = r.hdr.boottime_ns + 1_000;
    r
}

fn mce(vendor: u8, bank: u8, status: u64, addr: u64, ipid: u64) -> Mce {
    Mce {
        status,
        addr,
        ipid,
        // A physical address with its least significant bit 12: usable on Intel
        // (with MISCV in the status).
        misc: misc(2, 12),
        bank,
        cpuvendor: vendor,
        extcpu: 17,
        apicid: 34,
        ..Mce::default()
    }
}

/// An MCE record graded as hwerr grades it.
fn mce_rec(m: &Mce) -> Record {
    let (sev, flags) = severity::mce(m.cpuvendor, m.status, m.mce_severity);
    let mut r = rec(abi::SRC_MCE, sev, m);
    r.hdr.flags = flags;
    r
}

fn hit(class: u8, object: u64, uncorrected: bool, weight: u32) -> Hit {
    Hit {
        class,
        object,
        uncorrected,
        weight,
    }
}

/// The verdict of exactly one hit.
fn one(h: Hit) -> Verdict {
    Verdict::Hits([Some(h), None])
}

/// The hits of a verdict, in class order (the slot order is not part of the contract).
fn hits(v: Verdict) -> Vec<Hit> {
    let Verdict::Hits(hs) = v else {
        panic!("not hits: {v:?}");
    };
    let mut hs: Vec<Hit> = hs.iter().flatten().copied().collect();
    hs.sort_by_key(|h| (h.class, h.object));
    hs
}

fn node(source: u8) -> Hit {
    hit(abi::HD_NODE, u64::from(source), true, 1)
}

fn cstr<const N: usize>(s: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a[..s.len()].copy_from_slice(s);
    a
}

// ---- MCE: memory errors, per vendor ----

#[test]
fn intel_memory_ce_with_address_charges_its_page() {
    let m = mce(
        vendor::INTEL,
        7,
        CE | mci::ADDRV | mci::MISCV | MEM_READ,
        0x12_3456_7abc,
        0,
    );
    let r = mce_rec(&m);
    assert_eq!(r.hdr.severity, abi::SEV_CORRECTED);
    assert!(mce_is_memory(&m));
    assert!(!mce_is_cache(&m));
    assert_eq!(
        classify(&r),
        one(hit(abi::HD_PAGE, 0x12_3456_7abc >> 12, false, 1))
    );
    assert_eq!(label(&r), b"");
}

#[test]
fn every_intel_memory_controller_code_is_memory() {
    // 0000 0000 1MMM CCCC, with and without the filter bit 12.
    for code in (0x0080..=0x00ff).chain(0x1080..=0x10ff) {
        let m = mce(
            vendor::INTEL,
            9,
            CE | mci::ADDRV | mci::MISCV | code,
            0x4000_1000,
            0,
        );
        assert!(mce_is_memory(&m), "{code:#06x}");
        assert_eq!(
            classify(&mce_rec(&m)),
            one(hit(abi::HD_PAGE, 0x40001, false, 1)),
            "{code:#06x}"
        );
    }
    // Bus/interconnect (bit 11) and other high bits make it something else.
    for code in [0x0880, 0x209f, 0x409f, 0x809f, 0x019f, 0x0e0f] {
        assert!(
            !mce_is_memory(&mce(vendor::INTEL, 9, CE | code, 0, 0)),
            "{code:#06x}"
        );
    }
}

#[test]
fn memory_error_without_address_is_ignored() {
    // Everything but ADDRV that would make the address usable is there.
    for m in [
        mce(vendor::INTEL, 7, CE | mci::MISCV | MEM_READ, 0x1234_5000, 0),
        mce(vendor::AMD, 4, CE | (8 << 16), 0x1234_5000, 0),
        mce(vendor::AMD, 15, CE | POISON, 0x1234_5000, UMC_IPID),
        mce(vendor::HYGON, 15, CE | POISON, 0x1234_5000, UMC_V2_IPID),
    ] {
        assert!(mce_is_memory(&m));
        assert!(!mce_usable_address(&m), "{m:?}");
        assert_eq!(classify(&mce_rec(&m)), Verdict::Ignore, "{m:?}");
    }
}

#[test]
fn uncorrected_memory_error_is_memory_failures_business() {
    // SRAO (UC|S, not AR), SRAR and UCNA: no page hit; memory_failure() reports the
    // outcome.
    for status in [
        mci::UC | mci::S,
        mci::UC | mci::S | mci::AR,
        mci::UC,
        mci::UC | mci::MISCV,
    ] {
        let m = mce(
            vendor::INTEL,
            7,
            CE | mci::ADDRV | mci::MISCV | status | MEM_READ,
            0x9_8765_4000,
            0,
        );
        assert!(mce_usable_address(&m));
        let r = mce_rec(&m);
        assert!(r.hdr.severity >= abi::SEV_DEFERRED && r.hdr.severity < abi::SEV_FATAL);
        assert_eq!(classify(&r), Verdict::Ignore, "{status:#x}");
    }
    // Explicitly graded: every uncorrected non-fatal severity.
    for sev in [abi::SEV_DEFERRED, abi::SEV_RECOVERABLE] {
        let m = mce(
            vendor::INTEL,
            7,
            CE | mci::ADDRV | mci::MISCV | MEM_READ,
            0x9_8765_4000,
            0,
        );
        assert!(mce_usable_address(&m));
        assert_eq!(classify(&rec(abi::SRC_MCE, sev, &m)), Verdict::Ignore);
    }
    // AMD deferred (bit 44) in a UMC: deferred, no page.
    let m = mce(
        vendor::AMD,
        15,
        CE | mci::ADDRV | POISON | mci::DEFERRED,
        0x9_8765_4000,
        UMC_IPID,
    );
    assert!(mce_usable_address(&m));
    let r = mce_rec(&m);
    assert_eq!(r.hdr.severity, abi::SEV_DEFERRED);
    assert_eq!(classify(&r), Verdict::Ignore);
}

#[test]
fn fatal_memory_error_accuses_the_node_only() {
    let m = mce(
        vendor::INTEL,
        7,
        CE | mci::UC | mci::PCC | mci::ADDRV | mci::MISCV | MEM_READ,
        0x9_8765_4000,
        0,
    );
    assert!(mce_usable_address(&m));
    let r = mce_rec(&m);
    assert_eq!(r.hdr.severity, abi::SEV_FATAL);
    assert_eq!(hits(classify(&r)), [node(abi::SRC_MCE)]);
}

#[test]
fn amd_legacy_bank_4_xec_8_is_memory() {
    for v in [vendor::AMD, vendor::HYGON] {
        // NB DRAM ECC: extended error code 8.
        let m = mce(v, 4, CE | mci::ADDRV | (8 << 16) | 0x0813, 0x7_0000_1040, 0);
        assert!(mce_is_memory(&m));
        assert_eq!(
            classify(&mce_rec(&m)),
            one(hit(abi::HD_PAGE, 0x70_0001, false, 1))
        );
        // Only the low 5 bits of the extended code count (the kernel's XEC(.., 0x1f)).
        let m = mce(v, 4, CE | mci::ADDRV | (0x28 << 16), 0x7_0000_1040, 0);
        assert!(mce_is_memory(&m));
    }
}

#[test]
fn amd_legacy_bank_4_other_xec_is_not_memory() {
    for xec in (0..0x20u64).filter(|&x| x != 8) {
        // Compound code 0x0005: not a cache code either, so the CPU.
        let m = mce(
            vendor::AMD,
            4,
            CE | mci::ADDRV | (xec << 16) | 0x0005,
            0x1000,
            0,
        );
        assert!(!mce_is_memory(&m), "xec {xec:#x}");
        assert_eq!(
            classify(&mce_rec(&m)),
            one(hit(abi::HD_CPU, 17, false, 1)),
            "xec {xec:#x}"
        );
    }
    // xec 8 outside bank 4 is not memory either.
    let m = mce(
        vendor::AMD,
        3,
        CE | mci::ADDRV | (8 << 16) | 0x0005,
        0x1000,
        0,
    );
    assert!(!mce_is_memory(&m));
    assert_eq!(classify(&mce_rec(&m)), one(hit(abi::HD_CPU, 17, false, 1)));
}

#[test]
fn amd_smca_umc_xec_0_is_memory() {
    for v in [vendor::AMD, vendor::HYGON] {
        let m = mce(
            v,
            16,
            CE | mci::ADDRV | POISON | 0x009f,
            0x2_0000_3000,
            UMC_IPID,
        );
        assert!(mce_is_memory(&m));
        assert_eq!(
            classify(&mce_rec(&m)),
            one(hit(abi::HD_PAGE, 0x20_0003, false, 1))
        );
    }
}

#[test]
fn amd_smca_other_banks_and_codes_are_not_memory() {
    // A UMC error with another extended code (e.g. 1, data poison; 0x20, bit 21).
    for xec in [1u64, 2, 0x1f, 0x20] {
        let m = mce(
            vendor::AMD,
            16,
            CE | mci::ADDRV | (xec << 16),
            0x1000,
            UMC_IPID,
        );
        assert!(!mce_is_memory(&m), "xec {xec:#x}");
    }
    // Not a UMC: a load-store unit, and a 0x96 hardware id of another type.
    let m = mce(vendor::AMD, 0, CE | mci::ADDRV | 0x0005, 0x1000, LS_IPID);
    assert!(!mce_is_memory(&m));
    assert_eq!(classify(&mce_rec(&m)), one(hit(abi::HD_CPU, 17, false, 1)));
    let m = mce(
        vendor::AMD,
        16,
        CE | mci::ADDRV,
        0x1000,
        (5 << 48) | (0x96 << 32),
    );
    assert!(!mce_is_memory(&m));
    // With SMCA (ipid != 0) bank 4 and xec 8 mean nothing special.
    let m = mce(vendor::AMD, 4, CE | mci::ADDRV | (8 << 16), 0x1000, LS_IPID);
    assert!(!mce_is_memory(&m));
}

#[test]
fn vendor_decides_how_the_status_is_read() {
    // The Intel memory code on AMD (not bank 4, no SMCA) is not memory ...
    let m = mce(vendor::AMD, 2, CE | mci::ADDRV | MEM_READ, 0x1000, 0);
    assert!(!mce_is_memory(&m));
    // ... and AMD's bank 4 / xec 8 on Intel is not either.
    let m = mce(
        vendor::INTEL,
        4,
        CE | mci::ADDRV | (8 << 16) | 0x0005,
        0x1000,
        0,
    );
    assert!(!mce_is_memory(&m));
}

/// SMCA_UMC_V2 (`HWID_MCATYPE(0x96, 0x1)`, the HBM memory controllers of MI300-class
/// parts) is a memory bank, as for the kernel's `smca_mce_is_memory_error()`: a DRAM
/// ECC error there is not charged to the CPU that logged it.
#[test]
fn amd_smca_umc_v2_xec_0_is_memory() {
    for v in [vendor::AMD, vendor::HYGON] {
        let m = mce(
            v,
            16,
            CE | mci::ADDRV | POISON | 0x009f,
            0x2_0000_3000,
            UMC_V2_IPID,
        );
        assert!(mce_is_memory(&m));
        assert_eq!(
            classify(&mce_rec(&m)),
            one(hit(abi::HD_PAGE, 0x20_0003, false, 1))
        );
        // Without POISON it is still memory, so not the CPU's: nothing.
        let m = Mce {
            status: m.status & !POISON,
            ..m
        };
        assert!(mce_is_memory(&m));
        assert_eq!(classify(&mce_rec(&m)), Verdict::Ignore);
    }
    // Types above UMC_V2 with the UMC hardware id are not memory.
    for mcatype in [2u64, 3, 0xffff] {
        let m = mce(
            vendor::AMD,
            16,
            CE | mci::ADDRV | POISON,
            0x1000,
            (mcatype << 48) | (0x96 << 32),
        );
        assert!(!mce_is_memory(&m), "type {mcatype}");
    }
}

// ---- MCE: which memory errors name a page (`mce_usable_address`) ----

/// The address of the memory errors below, and its page.
const UADDR: u64 = 0x3_4567_8abc;
const UPAGE: u64 = UADDR >> 12;

/// The address rule of the kernel's `mce_usable_address()`, written from its spec
/// for memory errors: ADDRV, and on Intel MISCV with a physical address mode and a
/// least significant bit at most 12; on AMD and Hygon without SMCA (the bank 4 DRAM
/// error) nothing more, with SMCA the poison bit.
fn usable_per_spec(m: &Mce) -> bool {
    if m.status & mci::ADDRV == 0 {
        return false;
    }
    if m.cpuvendor == vendor::AMD || m.cpuvendor == vendor::HYGON {
        return m.ipid == 0 || m.status & POISON != 0;
    }
    let mode = (m.misc >> 6) & 0x7;
    let lsb = m.misc & 0x3f;
    m.status & mci::MISCV != 0 && mode == 2 && lsb <= 12
}

/// An Intel corrected memory read error with ADDRV, `extra` status bits and `misc`.
fn intel_mem(extra: u64, misc: u64) -> Mce {
    Mce {
        misc,
        ..mce(
            vendor::INTEL,
            7,
            CE | mci::ADDRV | MEM_READ | extra,
            UADDR,
            0,
        )
    }
}

/// The verdict on a memory error with or without a usable address: its page, or
/// nothing (a memory error is never the CPU's or the cache's).
fn page_if(usable: bool) -> Verdict {
    if usable {
        one(hit(abi::HD_PAGE, UPAGE, false, 1))
    } else {
        Verdict::Ignore
    }
}

#[test]
fn intel_memory_error_without_miscv_names_no_page() {
    for misc in [misc(2, 12), misc(2, 0), 0, u64::MAX] {
        let m = intel_mem(0, misc);
        assert!(mce_is_memory(&m));
        assert!(!mce_usable_address(&m), "misc {misc:#x}");
        assert_eq!(classify(&mce_rec(&m)), Verdict::Ignore, "misc {misc:#x}");
    }
    // AMD's poison bit does not stand in for MISCV on Intel.
    let m = intel_mem(POISON, misc(2, 12));
    assert!(!mce_usable_address(&m));
    assert_eq!(classify(&mce_rec(&m)), Verdict::Ignore);
    // The same record with MISCV names its page.
    let m = intel_mem(mci::MISCV, misc(2, 12));
    assert!(mce_usable_address(&m));
    assert_eq!(classify(&mce_rec(&m)), page_if(true));
}

#[test]
fn intel_address_mode_must_be_physical() {
    // 0 segment offset, 1 linear, 2 physical, 3 memory, 7 generic, others reserved.
    for mode in 0..8 {
        let m = intel_mem(mci::MISCV, misc(mode, 12));
        assert_eq!(mce_usable_address(&m), mode == 2, "mode {mode}");
        assert_eq!(classify(&mce_rec(&m)), page_if(mode == 2), "mode {mode}");
    }
    // A linear address is no page, whatever its least significant bit.
    for lsb in [0, 6, 12] {
        let m = intel_mem(mci::MISCV, misc(1, lsb));
        assert!(!mce_usable_address(&m), "lsb {lsb}");
        assert_eq!(classify(&mce_rec(&m)), Verdict::Ignore, "lsb {lsb}");
    }
}

#[test]
fn intel_address_lsb_must_be_at_most_the_page_shift() {
    assert_eq!(
        classify(&mce_rec(&intel_mem(mci::MISCV, misc(2, 12)))),
        page_if(true)
    );
    assert_eq!(
        classify(&mce_rec(&intel_mem(mci::MISCV, misc(2, 13)))),
        Verdict::Ignore
    );
    for lsb in 0..0x40 {
        let m = intel_mem(mci::MISCV, misc(2, lsb));
        assert_eq!(mce_usable_address(&m), lsb <= 12, "lsb {lsb}");
        assert_eq!(classify(&mce_rec(&m)), page_if(lsb <= 12), "lsb {lsb}");
    }
    // Only MCi_MISC[8:0] is read: bits above the address mode do not count.
    let high = !0x1ffu64;
    let m = intel_mem(mci::MISCV, high | misc(2, 12));
    assert_eq!(classify(&mce_rec(&m)), page_if(true));
    let m = intel_mem(mci::MISCV, high | misc(2, 13));
    assert_eq!(classify(&mce_rec(&m)), Verdict::Ignore);
    let m = intel_mem(mci::MISCV, high | misc(1, 12));
    assert_eq!(classify(&mce_rec(&m)), Verdict::Ignore);
}

#[test]
fn smca_umc_address_is_usable_only_for_poison() {
    for v in [vendor::AMD, vendor::HYGON] {
        for ipid in [UMC_IPID, UMC_V2_IPID] {
            // ADDRV, and an MCi_MISC Intel would take: still a normalized DRAM
            // address, no page; and, being memory, not the CPU's either.
            let m = mce(v, 16, CE | mci::ADDRV | mci::MISCV | 0x009f, UADDR, ipid);
            assert!(mce_is_memory(&m));
            assert!(!mce_usable_address(&m), "vendor {v} ipid {ipid:#x}");
            assert_eq!(
                classify(&mce_rec(&m)),
                Verdict::Ignore,
                "vendor {v} ipid {ipid:#x}"
            );
            // With POISON: the page, whatever MCi_MISC says.
            for misc in [misc(2, 12), 0, misc(1, 13), u64::MAX] {
                let m = Mce {
                    status: m.status | POISON,
                    misc,
                    ..m
                };
                assert!(mce_usable_address(&m));
                assert_eq!(
                    classify(&mce_rec(&m)),
                    page_if(true),
                    "vendor {v} ipid {ipid:#x} misc {misc:#x}"
                );
            }
            // POISON does not stand in for ADDRV.
            let m = mce(v, 16, CE | POISON | 0x009f, UADDR, ipid);
            assert!(!mce_usable_address(&m));
            assert_eq!(classify(&mce_rec(&m)), Verdict::Ignore);
        }
    }
}

#[test]
fn amd_legacy_dram_error_address_is_usable_whatever_misc_says() {
    for v in [vendor::AMD, vendor::HYGON] {
        for miscv in [0, mci::MISCV] {
            for misc in [0, misc(2, 12), misc(1, 12), misc(2, 13), u64::MAX] {
                let m = Mce {
                    misc,
                    ..mce(v, 4, CE | mci::ADDRV | miscv | (8 << 16) | 0x0813, UADDR, 0)
                };
                assert!(mce_is_memory(&m));
                assert!(mce_usable_address(&m), "vendor {v} misc {misc:#x}");
                assert_eq!(
                    classify(&mce_rec(&m)),
                    page_if(true),
                    "vendor {v} miscv {miscv:#x} misc {misc:#x}"
                );
                // ADDRV is still needed.
                let m = Mce {
                    status: m.status & !mci::ADDRV,
                    ..m
                };
                assert!(!mce_usable_address(&m));
                assert_eq!(classify(&mce_rec(&m)), Verdict::Ignore);
            }
        }
    }
}

// ---- MCE: cache, TLB and the rest of the core ----

fn cache_codes() -> impl Iterator<Item = u64> {
    // TLB 0000 0000 0001 TTLL and cache hierarchy 0000 0001 RRRR TTLL, with and
    // without the filter bit 12.
    (0x0010..=0x001f)
        .chain(0x0100..=0x01ff)
        .flat_map(|c| [c, c | 0x1000])
}

#[test]
fn tlb_and_cache_codes_accuse_the_cache_of_the_cpu() {
    for v in [vendor::INTEL, vendor::AMD] {
        for code in cache_codes() {
            let ipid = if v == vendor::AMD { LS_IPID } else { 0 };
            let m = mce(v, 1, CE | mci::ADDRV | code, 0x5000, ipid);
            assert!(mce_is_cache(&m), "{code:#06x}");
            assert!(!mce_is_memory(&m), "{code:#06x}");
            assert_eq!(
                classify(&mce_rec(&m)),
                one(hit(abi::HD_CACHE, 17, false, 1)),
                "vendor {v} {code:#06x}"
            );
        }
    }
}

#[test]
fn other_codes_accuse_the_cpu() {
    // Internal parity, internal timer, internal unclassified, bus/interconnect, generic.
    for code in [
        0x0000, 0x0001, 0x0005, 0x0400, 0x0401, 0x0402, 0x0e0b, 0x0800,
    ] {
        let m = mce(vendor::INTEL, 0, CE | code, 0, 0);
        assert!(!mce_is_cache(&m), "{code:#06x}");
        assert!(!mce_is_memory(&m), "{code:#06x}");
        assert_eq!(
            classify(&mce_rec(&m)),
            one(hit(abi::HD_CPU, 17, false, 1)),
            "{code:#06x}"
        );
    }
    // Near misses of the cache patterns.
    for code in [0x0020, 0x0200, 0x2010, 0x4100, 0x8110, 0x0910] {
        assert!(
            !mce_is_cache(&mce(vendor::INTEL, 0, CE | code, 0, 0)),
            "{code:#06x}"
        );
    }
}

#[test]
fn cpu_and_cache_hits_are_uncorrected_from_deferred_up() {
    for (code, class) in [
        (0x0135, abi::HD_CACHE),
        (0x0005, abi::HD_CPU),
        (0x0014, abi::HD_CACHE),
    ] {
        for sev in abi::SEV_INFO..abi::SEV_NR {
            let m = mce(vendor::INTEL, 1, CE | code, 0, 0);
            let v = classify(&rec(abi::SRC_MCE, sev, &m));
            let part = hit(class, 17, sev >= abi::SEV_DEFERRED, 1);
            if sev == abi::SEV_FATAL {
                let mut want = vec![part, node(abi::SRC_MCE)];
                want.sort_by_key(|h| h.class);
                assert_eq!(hits(v), want);
            } else {
                assert_eq!(v, one(part), "sev {sev}");
            }
        }
    }
    // As hwerr grades them: a UCNA cache error, an SRAR instruction fetch error.
    let r = mce_rec(&mce(vendor::INTEL, 1, CE | mci::UC | 0x0135, 0, 0));
    assert_eq!(r.hdr.severity, abi::SEV_DEFERRED);
    assert_eq!(classify(&r), one(hit(abi::HD_CACHE, 17, true, 1)));
    let r = mce_rec(&mce(
        vendor::INTEL,
        0,
        CE | mci::UC | mci::S | mci::AR | 0x0150,
        0,
        0,
    ));
    assert_eq!(r.hdr.severity, abi::SEV_RECOVERABLE);
    assert_eq!(classify(&r), one(hit(abi::HD_CACHE, 17, true, 1)));
}

#[test]
fn object_is_the_cpu_that_saw_the_error() {
    for cpu in [0u32, 1, 255, 4095, u32::MAX] {
        let m = Mce {
            extcpu: cpu,
            ..mce(vendor::INTEL, 0, CE | 0x0005, 0, 0)
        };
        assert_eq!(
            classify(&mce_rec(&m)),
            one(hit(abi::HD_CPU, u64::from(cpu), false, 1))
        );
    }
}

// ---- Fatal records: the node too ----

#[test]
fn fatal_record_adds_the_node() {
    let m = mce(vendor::INTEL, 0, CE | mci::UC | mci::PCC | 0x0005, 0, 0);
    let r = mce_rec(&m);
    assert_eq!(r.hdr.severity, abi::SEV_FATAL);
    assert_eq!(
        hits(classify(&r)),
        [hit(abi::HD_CPU, 17, true, 1), node(abi::SRC_MCE)]
    );

    let a = aer(0, 0x3b, 0, 1);
    let r = rec(abi::SRC_AER, severity::aer(1), &a);
    assert_eq!(r.hdr.severity, abi::SEV_FATAL);
    assert_eq!(
        hits(classify(&r)),
        [hit(abi::HD_PCI, 0x3b00, true, 1), node(abi::SRC_AER)]
    );

    // A fatal GHES section classify cannot place still accuses the node.
    let c = cper(abi::CPER_SEC_UNKNOWN, ghes_sev::PANIC, &[0xffu8; 64]);
    let r = rec(abi::SRC_GHES, severity::ghes(ghes_sev::PANIC), &c);
    assert_eq!(hits(classify(&r)), [node(abi::SRC_GHES)]);

    // EDAC: a fatal error has no page hit (uncorrected), so DIMM and node.
    let e = edac(0x1000_0000, 1, 2, [0, 1, -1]);
    let r = rec(abi::SRC_EDAC, abi::SEV_FATAL, &e);
    assert_eq!(
        hits(classify(&r)),
        [hit(abi::HD_DIMM, 0x0200_01ff, true, 1), node(abi::SRC_EDAC)]
    );
}

#[test]
fn fatal_nmi_is_one_node_hit() {
    for t in [abi::NMI_SERR, abi::NMI_IO_CHECK] {
        let r = rec(abi::SRC_NMI, abi::SEV_FATAL, &nmi(t));
        assert_eq!(classify(&r), one(node(abi::SRC_NMI)));
    }
}

#[test]
fn fatal_records_of_non_fault_sources_stay_ignored() {
    for src in [
        abi::SRC_NONE,
        abi::SRC_SOFTWARE,
        abi::SRC_LOST,
        abi::SRC_HADETECT,
        abi::SRC_MEMORY_FAILURE,
        abi::SRC_NR,
        255,
    ] {
        let r = rec(src, abi::SEV_FATAL, &[0x5au8; abi::PAYLOAD_SIZE]);
        assert_eq!(classify(&r), Verdict::Ignore, "source {src}");
    }
}

// ---- EDAC ----

fn edac(address: u64, error_count: u32, mc: u8, layer: [i8; 3]) -> Edac {
    let mut e = Edac::new_zeroed();
    e.address = address;
    e.error_count = error_count;
    e.mc_index = mc;
    e.layer = layer;
    e.label = cstr(b"CPU_SrcID#0_MC#1_Chan#2_DIMM#0");
    e.msg = cstr(b"memory read error");
    e
}

#[test]
fn edac_accuses_page_and_dimm() {
    let e = edac(0x3_2100_0a40, 1, 1, [2, 0, -1]);
    let r = rec(abi::SRC_EDAC, severity::edac(0), &e);
    assert_eq!(r.hdr.severity, abi::SEV_CORRECTED);
    let dimm = (1 << 24) | (2 << 16) | 0xff;
    assert_eq!(
        classify(&r),
        Verdict::Hits([
            Some(hit(abi::HD_PAGE, 0x3_2100_0a40 >> 12, false, 1)),
            Some(hit(abi::HD_DIMM, dimm, false, 1)),
        ])
    );
    assert_eq!(label(&r), b"CPU_SrcID#0_MC#1_Chan#2_DIMM#0");
}

#[test]
fn edac_dimm_object_packs_controller_and_layers() {
    for (mc, layer, want) in [
        (0u8, [0i8, 0, 0], 0u64),
        (3, [1, 2, 3], 0x0301_0203),
        (255, [-1, -1, -1], 0xffff_ffff),
        (7, [-128, 127, -2], 0x0780_7ffe),
    ] {
        let r = rec(abi::SRC_EDAC, abi::SEV_CORRECTED, &edac(0, 1, mc, layer));
        assert_eq!(
            classify(&r),
            Verdict::Hits([None, Some(hit(abi::HD_DIMM, want, false, 1))]),
            "mc {mc} layers {layer:?}"
        );
    }
}

#[test]
fn edac_without_address_is_the_dimm_only() {
    let r = rec(abi::SRC_EDAC, abi::SEV_CORRECTED, &edac(0, 4, 0, [1, 1, 0]));
    assert_eq!(
        classify(&r),
        Verdict::Hits([None, Some(hit(abi::HD_DIMM, 0x0001_0100, false, 4))])
    );
}

#[test]
fn edac_uncorrected_is_the_dimm_only() {
    for (err_type, sev) in [(1, abi::SEV_RECOVERABLE), (2, abi::SEV_DEFERRED)] {
        let r = rec(
            abi::SRC_EDAC,
            severity::edac(err_type),
            &edac(0x1000, 1, 0, [0, 0, 0]),
        );
        assert_eq!(r.hdr.severity, sev);
        assert_eq!(
            classify(&r),
            Verdict::Hits([None, Some(hit(abi::HD_DIMM, 0, true, 1))])
        );
    }
}

#[test]
fn edac_weight_is_count_times_error_count() {
    for (count, error_count, want) in [
        (1u32, 1u32, 1u32),
        (5, 7, 35),
        (0, 0, 1),
        (0, 9, 9),
        (9, 0, 9),
        (u32::MAX, 2, u32::MAX),
        (65_536, 65_536, u32::MAX),
        (u32::MAX, u32::MAX, u32::MAX),
    ] {
        let mut r = rec(
            abi::SRC_EDAC,
            abi::SEV_CORRECTED,
            &edac(0x5000, error_count, 1, [0, 0, 0]),
        );
        r.hdr.count = count;
        let hs = hits(classify(&r));
        assert_eq!(hs.len(), 2);
        for h in hs {
            assert_eq!(h.weight, want, "count {count} error_count {error_count}");
        }
    }
}

// ---- AER ----

fn aer(segment: u16, bus: u8, devfn: u8, aer_severity: u8) -> Aer {
    let mut a = Aer::new_zeroed();
    a.segment = segment;
    a.bus = bus;
    a.devfn = devfn;
    a.aer_severity = aer_severity;
    a.status = 0x40;
    a.dev_name = cstr(b"0001:5e:03.1");
    a.bus_type = cstr(b"PCIe");
    a
}

#[test]
fn aer_accuses_the_pci_function() {
    for (sev, uncorrected) in [(2u8, false), (0, true), (1, true)] {
        let a = aer(1, 0x5e, (3 << 3) | 1, sev);
        let r = rec(abi::SRC_AER, severity::aer(u32::from(sev)), &a);
        let want = hit(abi::HD_PCI, 0x1_5e19, uncorrected, 1);
        let hs = hits(classify(&r));
        assert_eq!(hs[0], want, "aer_severity {sev}");
        // Fatal (1) also accuses the node.
        assert_eq!(hs.len(), if sev == 1 { 2 } else { 1 });
        assert_eq!(label(&r), b"0001:5e:03.1");
    }
}

#[test]
fn aer_uncorrected_follows_aer_severity_not_the_grade() {
    // Even if graded otherwise, only aer_severity 2 is correctable.
    let r = rec(abi::SRC_AER, abi::SEV_CORRECTED, &aer(0, 0, 0, 0));
    assert_eq!(classify(&r), one(hit(abi::HD_PCI, 0, true, 1)));
    let r = rec(
        abi::SRC_AER,
        abi::SEV_RECOVERABLE,
        &aer(0xffff, 0xff, 0xff, 2),
    );
    assert_eq!(classify(&r), one(hit(abi::HD_PCI, 0xffff_ffff, false, 1)));
}

#[test]
fn aer_label_is_cut_at_nul_or_field_end() {
    let mut a = aer(0, 1, 0, 2);
    a.dev_name = [b'x'; 32];
    let r = rec(abi::SRC_AER, abi::SEV_CORRECTED, &a);
    assert_eq!(label(&r), [b'x'; 32]);
    a.dev_name = [0; 32];
    let r = rec(abi::SRC_AER, abi::SEV_CORRECTED, &a);
    assert_eq!(label(&r), b"");
}

// ---- GHES ----

/// A CPER record with `section` as its union `u`.
fn cper(decoded: u32, ghes_severity: u32, section: &[u8]) -> Cper {
    let mut c = Cper::new_zeroed();
    c.ghes_severity = ghes_severity;
    c.decoded = decoded;
    c.section_length = 80;
    c.fru_text = cstr(b"DIMM_A1");
    c.u[..section.len()].copy_from_slice(section);
    c
}

fn ghes_rec(decoded: u32, sev: u32, section: &[u8]) -> Record {
    let r = rec(
        abi::SRC_GHES,
        severity::ghes(sev),
        &cper(decoded, sev, section),
    );
    // The section sits at CPER_U_OFFSET in the payload.
    assert_eq!(
        &r.payload[abi::CPER_U_OFFSET..abi::CPER_U_OFFSET + section.len()],
        section
    );
    r
}

fn cper_mem(validation_bits: u64, physical_addr: u64) -> CperMem {
    CperMem {
        validation_bits,
        physical_addr,
        physical_addr_mask: !0xfff,
        node: 1,
        module: 3,
        ..CperMem::default()
    }
}

fn cper_pcie(validation_bits: u64) -> CperPcie {
    CperPcie {
        validation_bits,
        segment: 2,
        bus: 0x81,
        devfn: 2, // device 0, function 2
        vendor_id: 0x8086,
        device_id: 0x1234,
        ..CperPcie::default()
    }
}

#[test]
fn ghes_memory_section_with_address_charges_its_page() {
    let s = cper_mem(MEM_VALID_ERROR_STATUS | MEM_VALID_PA, 0x8_7654_3210);
    let r = ghes_rec(abi::CPER_SEC_MEM, ghes_sev::CORRECTED, s.as_bytes());
    assert_eq!(
        classify(&r),
        one(hit(abi::HD_PAGE, 0x8_7654_3210 >> 12, false, 1))
    );
    assert_eq!(label(&r), b"");
}

#[test]
fn ghes_memory_section_without_address_is_ignored() {
    for bits in [0, MEM_VALID_ERROR_STATUS, !MEM_VALID_PA] {
        let s = cper_mem(bits, 0x8_7654_3210);
        let r = ghes_rec(abi::CPER_SEC_MEM, ghes_sev::CORRECTED, s.as_bytes());
        assert_eq!(classify(&r), Verdict::Ignore, "{bits:#x}");
    }
}

#[test]
fn ghes_uncorrected_memory_section_is_memory_failures_business() {
    let s = cper_mem(MEM_VALID_PA, 0x8_7654_3210);
    let r = ghes_rec(abi::CPER_SEC_MEM, ghes_sev::RECOVERABLE, s.as_bytes());
    assert_eq!(r.hdr.severity, abi::SEV_RECOVERABLE);
    assert_eq!(classify(&r), Verdict::Ignore);
    let r = ghes_rec(abi::CPER_SEC_MEM, ghes_sev::PANIC, s.as_bytes());
    assert_eq!(hits(classify(&r)), [node(abi::SRC_GHES)]);
}

#[test]
fn ghes_pcie_section_with_device_id_accuses_the_function() {
    let bdf = (2 << 16) | (0x81 << 8) | 2;
    let r = ghes_rec(
        abi::CPER_SEC_PCIE,
        ghes_sev::CORRECTED,
        cper_pcie(PCIE_VALID_DEVICE_ID).as_bytes(),
    );
    assert_eq!(classify(&r), one(hit(abi::HD_PCI, bdf, false, 1)));
    let r = ghes_rec(
        abi::CPER_SEC_PCIE,
        ghes_sev::RECOVERABLE,
        cper_pcie(0x0f).as_bytes(),
    );
    assert_eq!(classify(&r), one(hit(abi::HD_PCI, bdf, true, 1)));
    // Without the device id: nothing to accuse.
    let r = ghes_rec(
        abi::CPER_SEC_PCIE,
        ghes_sev::CORRECTED,
        cper_pcie(!PCIE_VALID_DEVICE_ID).as_bytes(),
    );
    assert_eq!(classify(&r), Verdict::Ignore);
}

#[test]
fn ghes_undecoded_and_processor_sections_are_ignored() {
    for decoded in [abi::CPER_SEC_UNKNOWN, abi::CPER_SEC_PROC, 4, u32::MAX] {
        for sev in [ghes_sev::NO, ghes_sev::CORRECTED, ghes_sev::RECOVERABLE] {
            // Bytes that would be an address / device id if read as another section.
            let r = ghes_rec(decoded, sev, &[0xffu8; 64]);
            assert_eq!(classify(&r), Verdict::Ignore, "decoded {decoded} sev {sev}");
        }
    }
}

// ---- NMI ----

fn nmi(nmi_type: u32) -> abi::Nmi {
    abi::Nmi {
        nmi_type,
        reason: 0x80,
        ..abi::Nmi::default()
    }
}

#[test]
fn serr_and_iochk_accuse_the_node() {
    for t in [abi::NMI_SERR, abi::NMI_IO_CHECK] {
        for sev in abi::SEV_INFO..abi::SEV_NR {
            let r = rec(abi::SRC_NMI, sev, &nmi(t));
            assert_eq!(
                classify(&r),
                one(hit(abi::HD_NODE, u64::from(abi::SRC_NMI), true, 1)),
                "type {t} sev {sev}"
            );
        }
    }
}

#[test]
fn unknown_nmi_is_ignored() {
    for t in [abi::NMI_UNKNOWN, 3, u32::MAX] {
        let r = rec(abi::SRC_NMI, abi::SEV_INFO, &nmi(t));
        assert_eq!(classify(&r), Verdict::Ignore, "type {t}");
    }
}

// ---- memory_failure ----

fn mf() -> MemoryFailure {
    MemoryFailure {
        pfn: 0x12_3456,
        page_type: 2,
        result: 3,
        pid: 4242,
        tasks: 1,
        comm: cstr(b"qemu-kvm"),
        cgroup_id: 0x1f2e,
    }
}

#[test]
fn memory_failure_with_a_task_is_contained() {
    for result in [0u32, 1, 2, 3] {
        let m = MemoryFailure { result, ..mf() };
        let mut r = rec(
            abi::SRC_MEMORY_FAILURE,
            severity::memory_failure(result),
            &m,
        );
        r.hdr.flags = abi::F_TASK;
        assert_eq!(
            classify(&r),
            Verdict::Contained {
                pfn: 0x12_3456,
                pid: 4242,
                cgroup_id: 0x1f2e,
            }
        );
        assert_eq!(label(&r), b"qemu-kvm");
    }
}

#[test]
fn memory_failure_without_a_task_is_ignored() {
    let r = rec(abi::SRC_MEMORY_FAILURE, abi::SEV_RECOVERABLE, &mf());
    assert_eq!(classify(&r), Verdict::Ignore);
    let mut r = r;
    r.hdr.flags = !abi::F_TASK;
    assert_eq!(classify(&r), Verdict::Ignore);
}

// ---- Not faults ----

#[test]
fn software_lost_and_hadetect_records_are_ignored() {
    let mut lost = abi::Lost {
        reason: abi::LOST_CAPTURE,
        total: 7,
        ..abi::Lost::default()
    };
    lost.by_source[usize::from(abi::SRC_MCE)] = 7;
    let mut sw = abi::Software::new_zeroed();
    sw.code = abi::CODE_SOURCE_ENABLED;
    sw.msg = cstr(b"mce enabled");
    let mut hd = abi::Hadetect::new_zeroed();
    hd.event = abi::HD_FIRED;
    hd.fault_class = abi::HD_PAGE;
    hd.object = 0x1234;
    for sev in abi::SEV_INFO..abi::SEV_NR {
        for r in [
            rec(abi::SRC_LOST, sev, &lost),
            rec(abi::SRC_SOFTWARE, sev, &sw),
            rec(abi::SRC_HADETECT, sev, &hd),
        ] {
            assert_eq!(classify(&r), Verdict::Ignore, "{:?}", r.hdr);
            assert_eq!(label(&r), b"");
        }
    }
}

// ---- Weight of storm summaries ----

#[test]
fn weight_of_a_summary_is_its_count() {
    let recs = [
        mce_rec(&mce(vendor::INTEL, 0, CE | 0x0005, 0, 0)),
        mce_rec(&mce(vendor::INTEL, 1, CE | 0x0135, 0, 0)),
        mce_rec(&mce(
            vendor::INTEL,
            7,
            CE | mci::ADDRV | mci::MISCV | MEM_READ,
            0x5000,
            0,
        )),
        rec(abi::SRC_AER, abi::SEV_CORRECTED, &aer(0, 3, 0, 2)),
        rec(abi::SRC_NMI, abi::SEV_FATAL, &nmi(abi::NMI_SERR)),
        ghes_rec(
            abi::CPER_SEC_PCIE,
            ghes_sev::CORRECTED,
            cper_pcie(PCIE_VALID_DEVICE_ID).as_bytes(),
        ),
        ghes_rec(
            abi::CPER_SEC_MEM,
            ghes_sev::CORRECTED,
            cper_mem(MEM_VALID_PA, 0x9000).as_bytes(),
        ),
    ];
    for r in recs {
        for (count, want) in [(0u32, 1u32), (1, 1), (1000, 1000), (u32::MAX, u32::MAX)] {
            let s = coalesced(r, count);
            let hs = hits(classify(&s));
            assert_eq!(hs.len(), 1, "{:?}", s.hdr);
            assert_eq!(hs[0].weight, want, "source {} count {count}", s.hdr.source);
        }
    }
}

// ---- Any record ----

const FAULT_SOURCES: [u8; 5] = [
    abi::SRC_MCE,
    abi::SRC_EDAC,
    abi::SRC_AER,
    abi::SRC_NMI,
    abi::SRC_GHES,
];

/// Checks what holds for every record.
fn check_any(r: &Record) {
    let v = classify(r);
    let l = label(r);
    assert!(l.len() <= 64 && !l.contains(&0));
    match v {
        Verdict::Ignore => {
            // A fatal record of a fault source always accuses at least the node.
            assert!(
                !(r.hdr.severity == abi::SEV_FATAL && FAULT_SOURCES.contains(&r.hdr.source)),
                "fatal {:?} ignored",
                r.hdr
            );
        }
        Verdict::Contained {
            pfn,
            pid,
            cgroup_id,
        } => {
            assert_eq!(r.hdr.source, abi::SRC_MEMORY_FAILURE);
            assert_ne!(r.hdr.flags & abi::F_TASK, 0);
            let (m, _) = MemoryFailure::read_from_prefix(&r.payload[..]).expect("fits");
            assert_eq!((pfn, pid, cgroup_id), (m.pfn, m.pid, m.cgroup_id));
        }
        Verdict::Hits(hs) => {
            assert!(FAULT_SOURCES.contains(&r.hdr.source), "{:?}", r.hdr);
            let hs: Vec<Hit> = hs.iter().flatten().copied().collect();
            assert!(!hs.is_empty() && hs.len() <= 2);
            for h in &hs {
                assert!((1..=6).contains(&h.class), "{h:?}");
                assert!(h.weight >= 1, "{h:?}");
                if h.class == abi::HD_PAGE {
                    assert!(!h.uncorrected, "{h:?}");
                }
                if h.class == abi::HD_NODE {
                    assert!(h.uncorrected, "{h:?}");
                }
            }
            if hs.len() == 2 {
                assert_ne!(hs[0], hs[1]);
            }
            if r.hdr.severity == abi::SEV_FATAL {
                assert!(hs.iter().any(|h| h.class == abi::HD_NODE));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// Any 256 bytes: no panic, classes in range, at most two hits, weight at least 1.
    #[test]
    fn any_bytes_classify_sanely(bytes in proptest::collection::vec(any::<u8>(), abi::RECORD_SIZE)) {
        let r = Record::read_from_bytes(&bytes[..]).expect("256 bytes");
        check_any(&r);
    }

    /// The same with the header's source and severity in and around their ranges, so
    /// every source's arm is taken.
    #[test]
    fn any_payload_of_any_source_classifies_sanely(
        source in 0u8..=abi::SRC_NR + 1,
        severity in 0u8..=abi::SEV_NR + 1,
        flags in any::<u16>(),
        count in prop_oneof![Just(0u32), Just(1u32), any::<u32>()],
        payload in proptest::collection::vec(any::<u8>(), abi::PAYLOAD_SIZE),
    ) {
        let mut r = Record::new_zeroed();
        r.hdr.source = source;
        r.hdr.severity = severity;
        r.hdr.flags = flags;
        r.hdr.count = count;
        r.payload.copy_from_slice(&payload);
        check_any(&r);
    }

    /// MCEs with vendor, bank, ipid and the decisive status bits drawn from the values
    /// that matter: the class is always memory-page, cache, CPU or none, as the
    /// predicates say.
    #[test]
    fn mce_class_follows_the_predicates(
        v in prop_oneof![Just(vendor::INTEL), Just(vendor::AMD), Just(vendor::HYGON), any::<u8>()],
        bank in prop_oneof![Just(4u8), any::<u8>()],
        code in prop_oneof![0x0080u64..0x0100, 0x0010u64..0x0020, 0x0100u64..0x0200, 0u64..0x10000],
        xec in prop_oneof![Just(0u64), Just(8u64), 0u64..0x40],
        ipid in prop_oneof![Just(0u64), Just(UMC_IPID), Just(UMC_V2_IPID), Just(LS_IPID), any::<u64>()],
        high in any::<u64>(),
        misc_reg in prop_oneof![
            Just(misc(2, 12)),
            Just(misc(2, 13)),
            Just(misc(1, 12)),
            0u64..0x200,
            any::<u64>(),
        ],
        severity in 0u8..abi::SEV_NR,
        addr in any::<u64>(),
        extcpu in any::<u32>(),
    ) {
        let status = (high & !0x3f_ffff) | (xec << 16) | code;
        let m = Mce { extcpu, misc: misc_reg, ..mce(v, bank, status, addr, ipid) };
        let r = rec(abi::SRC_MCE, severity, &m);
        check_any(&r);
        let uncorrected = severity >= abi::SEV_DEFERRED;
        let want = if mce_is_memory(&m) {
            prop_assert_eq!(mce_usable_address(&m), usable_per_spec(&m));
            (mce_usable_address(&m) && !uncorrected).then(|| hit(abi::HD_PAGE, addr >> 12, false, 1))
        } else if mce_is_cache(&m) {
            Some(hit(abi::HD_CACHE, u64::from(extcpu), uncorrected, 1))
        } else {
            Some(hit(abi::HD_CPU, u64::from(extcpu), uncorrected, 1))
        };
        let mut want: Vec<Hit> = want.into_iter().collect();
        if severity == abi::SEV_FATAL {
            want.push(node(abi::SRC_MCE));
        }
        want.sort_by_key(|h| (h.class, h.object));
        if want.is_empty() {
            prop_assert_eq!(classify(&r), Verdict::Ignore);
        } else {
            prop_assert_eq!(hits(classify(&r)), want);
        }
    }
}

// ---- One error reported by two sources ----

#[test]
fn same_page_from_another_source_within_10_ms_is_one_error() {
    use hadetect_core::classify::{SameError, SAME_ERROR_NS};
    let mut s = SameError::default();
    assert!(!s.is_repeat(0x1234, abi::SRC_MCE, 1_000));
    // The EDAC record of the same error, a little later: a repeat.
    assert!(s.is_repeat(0x1234, abi::SRC_EDAC, 1_000 + SAME_ERROR_NS));
    // Just outside the window: a new error.
    assert!(!s.is_repeat(0x1234, abi::SRC_EDAC, 1_001 + SAME_ERROR_NS + SAME_ERROR_NS));
    // The same source again is a new error however close.
    assert!(!s.is_repeat(0x1234, abi::SRC_MCE, 1_002));
    // Another page is another error.
    assert!(!s.is_repeat(0x1235, abi::SRC_EDAC, 1_003));
    // A report earlier than the one remembered (records of two sources are not
    // ordered by time) is a repeat too.
    assert!(s.is_repeat(0x1235, abi::SRC_GHES, 1_000));
}

#[test]
fn same_error_memory_is_bounded() {
    use hadetect_core::classify::SameError;
    let mut s = SameError::default();
    assert!(!s.is_repeat(7, abi::SRC_MCE, 0));
    // Sixteen other pages push page 7 out: its EDAC report is then counted.
    for pfn in 100..116 {
        assert!(!s.is_repeat(pfn, abi::SRC_MCE, 0));
    }
    assert!(!s.is_repeat(7, abi::SRC_EDAC, 0));
}

proptest! {
    #[test]
    fn a_source_never_repeats_itself(pfns in proptest::collection::vec(0u64..4, 1..64),
                                     times in proptest::collection::vec(0u64..30_000_000, 1..64)) {
        use hadetect_core::classify::SameError;
        let mut s = SameError::default();
        for (pfn, t) in pfns.iter().zip(times.iter()) {
            prop_assert!(!s.is_repeat(*pfn, abi::SRC_MCE, *t));
        }
    }
}
