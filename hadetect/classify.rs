// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! Which part of the machine a hwerr record accuses: pure functions, no kernel state.
//!
//! This file builds in `hadetect.ko` (its consumer runs every record through
//! [`classify`]) and in the userspace crate `tools/hadetect-core`, whose tests feed it
//! records of every source.
//!
//! | record | fault class, object |
//! |---|---|
//! | MCE, memory error with a valid address | page: `addr >> 12` |
//! | MCE, TLB or cache-hierarchy error code | cache: the CPU that saw it |
//! | MCE, any other error of a core bank | CPU: the CPU that saw it |
//! | EDAC | page (from the address, if any) and DIMM (controller and layers) |
//! | AER | PCI: `segment << 16 \| bus << 8 \| devfn` |
//! | GHES memory section with a physical address | page |
//! | GHES PCIe section with a device id | PCI |
//! | NMI SERR or IOCHK | node (fatal-class NMI) |
//! | any record graded fatal | node, in addition to the above |
//!
//! Memory errors are told apart per vendor as the kernel's `mce_is_memory_error()`
//! does: on Intel the compound error code `0000 0000 1MMM CCCC` (memory controller);
//! on AMD without SMCA bank 4 with extended error code 8; with SMCA a UMC bank
//! (`MCA_IPID` hardware id 0x96, type 0 UMC or 1 UMC_V2) with extended error code 0.
//! A memory error names a page only when its address is a usable physical address,
//! as `mce_usable_address()` decides: on Intel `MCi_MISC` must be valid, say
//! "physical address" and have a least significant bit at most 12; on AMD with SMCA
//! the UMC reports a normalized DRAM address, usable only for poison (bit 43), so
//! the page comes from the EDAC record amd64_edac translates it into. Hygon gets
//! the AMD rule (the kernel lets any Hygon ADDRV through, but its UMCs are
//! Zen-derived and report normalized addresses too).
//!
//! One DRAM error can reach hwerr twice: where an EDAC driver decodes MCEs
//! (skx_edac, i10nm_edac, amd64_edac) as an MCE and an EDAC record, and through
//! ghes_edac as a GHES and an EDAC record. [`SameError`] tells such a second report
//! of one page (another source, within [`SAME_ERROR_NS`]) from a new error, so a
//! page rule counts the error once.
//!
//! Not faults: unknown NMIs (watchdogs and the perf NMI share that path; the kernel
//! survives them), software records, lost-record notices, hadetect's own records, and
//! memory-failure records, which are the kernel's *outcome* of an uncorrected memory
//! error: one that names a process is reported as [`Verdict::Contained`] (so a VM
//! manager learns which guest was hit) and starts no action. Soft-offline, hadetect's
//! own page action, produces no memory-failure record at all.

use crate::abi::{self, Record};
use crate::severity::{mci, vendor};
use zerocopy::FromBytes;

/// One error charged to one part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    /// `abi::HD_*` class.
    pub class: u8,
    /// The object of the class (see `enum hwerr_hd_class` in the UAPI header).
    pub object: u64,
    /// An uncorrected error (severity deferred or worse): rules with
    /// `ue_immediate` fire at once.
    pub uncorrected: bool,
    /// Errors it stands for: `count` of a storm summary times EDAC's
    /// `error_count`, at least 1, saturating.
    pub weight: u32,
}

/// What a record means to hadetect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing to count.
    Ignore,
    /// Up to two parts accused (EDAC: the page and the DIMM; a fatal record: the part
    /// and the node).
    Hits([Option<Hit>; 2]),
    /// An uncorrected memory error the kernel contained by signalling a process.
    Contained {
        /// The page.
        pfn: u64,
        /// The first process signalled.
        pid: i32,
        /// Its cgroup v2 id (which container or VM), 0 if unknown.
        cgroup_id: u64,
    },
}

/// `PAGE_SHIFT` on the architectures hasys runs on (x86-64, arm64 with 4 KiB pages).
pub const PAGE_SHIFT: u32 = 12;

/// The compound MCA error code (`MCACOD`, `MCi_STATUS[15:0]`).
fn mcacod(status: u64) -> u16 {
    (status & 0xffff) as u16
}

/// AMD's extended error code (`MCi_STATUS[21:16]`), masked as the kernel's `XEC()`.
fn xec(status: u64, mask: u64) -> u64 {
    (status >> 16) & mask
}

/// Whether an MCE is a DRAM error, per vendor.
pub fn mce_is_memory(m: &abi::Mce) -> bool {
    match m.cpuvendor {
        vendor::AMD | vendor::HYGON => {
            let hwid = (m.ipid >> 32) & 0xfff;
            let mcatype = m.ipid >> 48;
            if m.ipid != 0 {
                // SMCA: a unified memory controller bank, UMC (type 0) or UMC_V2
                // (type 1, HBM), as `smca_mce_is_memory_error()`.
                hwid == 0x96 && mcatype <= 1 && xec(m.status, 0x3f) == 0
            } else {
                m.bank == 4 && xec(m.status, 0x1f) == 8
            }
        }
        // Intel and others: memory controller compound code 0000 0000 1MMM CCCC.
        _ => mcacod(m.status) & 0xef80 == 0x0080,
    }
}

/// `MCI_MISC_ADDR_PHYS`: `MCi_MISC[8:6]`, the address mode, says "physical".
const MISC_ADDR_PHYS: u64 = 2;
/// AMD `MCi_STATUS[43]`: the error is poison (SMCA UMC: the address is usable).
const AMD_POISON: u64 = 1 << 43;

/// Whether a memory error's `MCi_ADDR` is a physical address a page can be found
/// by, per vendor, as the kernel's `mce_usable_address()`.
pub fn mce_usable_address(m: &abi::Mce) -> bool {
    if m.status & mci::ADDRV == 0 {
        return false;
    }
    match m.cpuvendor {
        vendor::AMD | vendor::HYGON => m.ipid == 0 || m.status & AMD_POISON != 0,
        _ => {
            m.status & mci::MISCV != 0
                && (m.misc >> 6) & 7 == MISC_ADDR_PHYS
                && m.misc & 0x3f <= u64::from(PAGE_SHIFT)
        }
    }
}

/// Whether an MCE is a TLB (`0000 0000 0001 TTLL`) or cache-hierarchy
/// (`0000 0001 RRRR TTLL`) error: the compound codes are the same on both vendors.
pub fn mce_is_cache(m: &abi::Mce) -> bool {
    let c = mcacod(m.status);
    c & 0xeff0 == 0x0010 || c & 0xef00 == 0x0100
}

fn hit(class: u8, object: u64, uncorrected: bool, weight: u32) -> Option<Hit> {
    Some(Hit {
        class,
        object,
        uncorrected,
        weight,
    })
}

/// What `rec` accuses. Context: any (pure).
pub fn classify(rec: &Record) -> Verdict {
    let h = &rec.hdr;
    let uncorrected = h.severity >= abi::SEV_DEFERRED && h.severity < abi::SEV_NR;
    let mut weight = h.count.max(1);
    let part = match h.source {
        abi::SRC_MCE => match abi::Mce::read_from_prefix(&rec.payload[..]) {
            Ok((m, _)) if mce_is_memory(&m) => {
                // A memory error without an address names no page; an uncorrected one
                // is memory_failure()'s business, which reports its outcome.
                (mce_usable_address(&m) && !uncorrected)
                    .then(|| hit(abi::HD_PAGE, m.addr >> PAGE_SHIFT, false, weight))
                    .flatten()
            }
            Ok((m, _)) if mce_is_cache(&m) => {
                hit(abi::HD_CACHE, u64::from(m.extcpu), uncorrected, weight)
            }
            Ok((m, _)) => hit(abi::HD_CPU, u64::from(m.extcpu), uncorrected, weight),
            Err(_) => None,
        },
        abi::SRC_EDAC => match abi::Edac::read_from_prefix(&rec.payload[..]) {
            Ok((e, _)) => {
                weight = weight.saturating_mul(e.error_count.max(1));
                let dimm = (u64::from(e.mc_index) << 24)
                    | (u64::from(e.layer[0] as u8) << 16)
                    | (u64::from(e.layer[1] as u8) << 8)
                    | u64::from(e.layer[2] as u8);
                let page = (e.address != 0 && !uncorrected)
                    .then(|| hit(abi::HD_PAGE, e.address >> PAGE_SHIFT, false, weight))
                    .flatten();
                return finish(
                    h.severity,
                    h.source,
                    [page, hit(abi::HD_DIMM, dimm, uncorrected, weight)],
                );
            }
            Err(_) => None,
        },
        abi::SRC_AER => match abi::Aer::read_from_prefix(&rec.payload[..]) {
            Ok((a, _)) => {
                let bdf =
                    (u64::from(a.segment) << 16) | (u64::from(a.bus) << 8) | u64::from(a.devfn);
                // aer_severity 2 is correctable; 0 non-fatal and 1 fatal are not.
                hit(abi::HD_PCI, bdf, a.aer_severity != 2, weight)
            }
            Err(_) => None,
        },
        abi::SRC_GHES => match abi::Cper::read_from_prefix(&rec.payload[..]) {
            Ok((c, _)) => ghes(&c, uncorrected, weight),
            Err(_) => None,
        },
        abi::SRC_NMI => match abi::Nmi::read_from_prefix(&rec.payload[..]) {
            Ok((n, _)) if n.nmi_type == abi::NMI_SERR || n.nmi_type == abi::NMI_IO_CHECK => {
                hit(abi::HD_NODE, u64::from(abi::SRC_NMI), true, weight)
            }
            _ => None,
        },
        abi::SRC_MEMORY_FAILURE => {
            return match abi::MemoryFailure::read_from_prefix(&rec.payload[..]) {
                Ok((m, _)) if h.flags & abi::F_TASK != 0 => Verdict::Contained {
                    pfn: m.pfn,
                    pid: m.pid,
                    cgroup_id: m.cgroup_id,
                },
                _ => Verdict::Ignore,
            };
        }
        _ => return Verdict::Ignore,
    };
    finish(h.severity, h.source, [part, None])
}

/// Adds the node as accused by a fatal record.
fn finish(severity: u8, source: u8, mut hits: [Option<Hit>; 2]) -> Verdict {
    if severity == abi::SEV_FATAL && !hits.iter().flatten().any(|h| h.class == abi::HD_NODE) {
        let node = hit(abi::HD_NODE, u64::from(source), true, 1);
        match hits.iter_mut().find(|h| h.is_none()) {
            Some(slot) => *slot = node,
            None => {
                if let Some(last) = hits.last_mut() {
                    *last = node;
                }
            }
        }
    }
    if hits.iter().all(Option::is_none) {
        Verdict::Ignore
    } else {
        Verdict::Hits(hits)
    }
}

/// `CPER_MEM_VALID_PA` and `CPER_PCIE_VALID_DEVICE_ID` (`include/linux/cper.h`).
const CPER_MEM_VALID_PA: u64 = 1 << 1;
const CPER_PCIE_VALID_DEVICE_ID: u64 = 1 << 3;

fn ghes(c: &abi::Cper, uncorrected: bool, weight: u32) -> Option<Hit> {
    match c.decoded {
        abi::CPER_SEC_MEM => {
            let (m, _) = abi::CperMem::read_from_prefix(&c.u[..]).ok()?;
            (m.validation_bits & CPER_MEM_VALID_PA != 0 && !uncorrected)
                .then(|| hit(abi::HD_PAGE, m.physical_addr >> PAGE_SHIFT, false, weight))
                .flatten()
        }
        abi::CPER_SEC_PCIE => {
            let (p, _) = abi::CperPcie::read_from_prefix(&c.u[..]).ok()?;
            (p.validation_bits & CPER_PCIE_VALID_DEVICE_ID != 0)
                .then(|| {
                    let bdf =
                        (u64::from(p.segment) << 16) | (u64::from(p.bus) << 8) | u64::from(p.devfn);
                    hit(abi::HD_PCI, bdf, uncorrected, weight)
                })
                .flatten()
        }
        _ => None,
    }
}

/// The name a record gives its part, for hadetect's records: the EDAC DIMM label or
/// the AER device name; empty otherwise.
pub fn label(rec: &Record) -> &[u8] {
    let field = match rec.hdr.source {
        abi::SRC_EDAC => abi::Edac::ref_from_prefix(&rec.payload[..])
            .ok()
            .map(|(e, _)| &e.label[..]),
        abi::SRC_AER => abi::Aer::ref_from_prefix(&rec.payload[..])
            .ok()
            .map(|(a, _)| &a.dev_name[..]),
        abi::SRC_MEMORY_FAILURE => abi::MemoryFailure::ref_from_prefix(&rec.payload[..])
            .ok()
            .map(|(m, _)| &m.comm[..]),
        _ => None,
    };
    let field = field.unwrap_or(&[]);
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    field.get(..end).unwrap_or(&[])
}

/// Two reports of one page from different sources this close (ns) are one error.
pub const SAME_ERROR_NS: u64 = 10_000_000;

/// Page reports seen recently, to count an error reported by two sources once.
#[derive(Clone, Copy, Debug, Default)]
pub struct SameError {
    /// `(pfn, source, boottime_ns)` of the last reports; `source` 0: empty.
    recent: [(u64, u8, u64); 16],
    next: usize,
}

impl SameError {
    /// Whether the page report `(pfn, source, t)` is another source's report of an
    /// error already counted (within [`SAME_ERROR_NS`]); if not, it is remembered.
    pub fn is_repeat(&mut self, pfn: u64, source: u8, t: u64) -> bool {
        let repeat = self.recent.iter().any(|&(p, s, when)| {
            s != 0 && s != source && p == pfn && t.abs_diff(when) <= SAME_ERROR_NS
        });
        if !repeat {
            if let Some(slot) = self.recent.get_mut(self.next) {
                *slot = (pfn, source, t);
            }
            self.next = (self.next + 1) % self.recent.len();
        }
        repeat
    }
}
