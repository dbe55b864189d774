// SPDX-License-Identifier: GPL-2.0

// Copyright (C) 2026 The hasys authors.

//! How hwerr grades what each source reports: pure functions, no kernel state.
//!
//! This file builds in `hwerr.ko` (the `hwerr_*_grade` functions `sources.c` calls)
//! and in the userspace crate `tools/hwerr-core`, whose tests run the MCE grading over
//! real `MCi_STATUS` values of Intel and AMD machines.

use crate::abi;

/// `MCi_STATUS` bits (`arch/x86/include/asm/mce.h`).
pub mod mci {
    /// Valid error.
    pub const VAL: u64 = 1 << 63;
    /// Uncorrected error.
    pub const UC: u64 = 1 << 61;
    /// Error reporting enabled.
    pub const EN: u64 = 1 << 60;
    /// MCi_MISC valid.
    pub const MISCV: u64 = 1 << 59;
    /// MCi_ADDR valid.
    pub const ADDRV: u64 = 1 << 58;
    /// Processor context corrupt.
    pub const PCC: u64 = 1 << 57;
    /// Intel: signalled as a machine check (not CMCI / poll).
    pub const S: u64 = 1 << 56;
    /// Intel: action required (SRAR). On AMD this bit is TCC, task context corrupt.
    pub const AR: u64 = 1 << 55;
    /// AMD and Hygon: deferred error. On Intel this bit belongs to the corrected
    /// error count (bits 38-52).
    pub const DEFERRED: u64 = 1 << 44;
}

/// The kernel's `X86_VENDOR_*` numbers (`struct mce.cpuvendor`).
pub mod vendor {
    /// `X86_VENDOR_INTEL`.
    pub const INTEL: u8 = 0;
    /// `X86_VENDOR_AMD`.
    pub const AMD: u8 = 2;
    /// `X86_VENDOR_HYGON`.
    pub const HYGON: u8 = 9;
}

/// The MCE core's own grading (`enum severity_level`, `struct mce.severity`).
pub mod kernel_sev {
    /// `MCE_NO_SEVERITY`: not graded (or nothing to grade).
    pub const NO: u8 = 0;
    /// `MCE_DEFERRED_SEVERITY` / `MCE_UCNA_SEVERITY`.
    pub const DEFERRED: u8 = 1;
    /// `MCE_KEEP_SEVERITY`.
    pub const KEEP: u8 = 2;
    /// `MCE_SOME_SEVERITY`.
    pub const SOME: u8 = 3;
    /// `MCE_AO_SEVERITY`: action optional (SRAO).
    pub const AO: u8 = 4;
    /// `MCE_UC_SEVERITY`: uncorrected, not recoverable.
    pub const UC: u8 = 5;
    /// `MCE_AR_SEVERITY`: action required (SRAR).
    pub const AR: u8 = 6;
    /// `MCE_PANIC_SEVERITY`.
    pub const PANIC: u8 = 7;
}

/// Grades a machine check: `(SEV_*, F_*)`.
///
/// The MCE core's own grade (`kernel_sev`, `struct mce.severity`) wins when it says
/// something definite (deferred, AO, UC, AR, panic). Otherwise the status bits decide,
/// read per vendor as the kernel's `mce_is_correctable()` does: bit 44 means
/// "deferred" only on AMD and Hygon; on Intel it is part of the corrected-error count.
pub fn mce(vendor: u8, status: u64, kernel_sev: u8) -> (u8, u16) {
    match kernel_sev {
        kernel_sev::DEFERRED => return (abi::SEV_DEFERRED, 0),
        kernel_sev::AO => return (abi::SEV_RECOVERABLE, 0),
        kernel_sev::UC | kernel_sev::PANIC => return (abi::SEV_FATAL, 0),
        kernel_sev::AR => return (abi::SEV_RECOVERABLE, abi::F_ACTION_REQUIRED),
        _ => {}
    }
    let amd = vendor == vendor::AMD || vendor == vendor::HYGON;
    if status & mci::PCC != 0 {
        return (abi::SEV_FATAL, 0);
    }
    if status & mci::UC != 0 {
        if amd {
            // AMD has no S/AR: a UC error without PCC was contained; TCC (bit 55)
            // says the interrupted task's context is corrupt.
            let flags = if status & mci::AR != 0 {
                abi::F_ACTION_REQUIRED
            } else {
                0
            };
            if status & mci::DEFERRED != 0 {
                return (abi::SEV_DEFERRED, 0);
            }
            return (abi::SEV_RECOVERABLE, flags);
        }
        if status & mci::S == 0 {
            // UCNA: uncorrected, no action needed yet (nothing consumed it).
            return (abi::SEV_DEFERRED, 0);
        }
        if status & mci::AR != 0 {
            return (abi::SEV_RECOVERABLE, abi::F_ACTION_REQUIRED);
        }
        return (abi::SEV_RECOVERABLE, 0);
    }
    if amd && status & mci::DEFERRED != 0 {
        return (abi::SEV_DEFERRED, 0);
    }
    (abi::SEV_CORRECTED, 0)
}

/// `ghes_severity()` values (`GHES_SEV_*`, `include/acpi/ghes.h`).
pub mod ghes_sev {
    /// `GHES_SEV_NO`.
    pub const NO: u32 = 0;
    /// `GHES_SEV_CORRECTED`.
    pub const CORRECTED: u32 = 1;
    /// `GHES_SEV_RECOVERABLE`.
    pub const RECOVERABLE: u32 = 2;
    /// `GHES_SEV_PANIC`.
    pub const PANIC: u32 = 3;
}

/// Grades a GHES/CPER section by the severity the kernel gave it.
pub fn ghes(sev: u32) -> u8 {
    match sev {
        ghes_sev::NO => abi::SEV_INFO,
        ghes_sev::CORRECTED => abi::SEV_CORRECTED,
        ghes_sev::RECOVERABLE => abi::SEV_RECOVERABLE,
        _ => abi::SEV_FATAL,
    }
}

/// Grades an EDAC event by its `enum hw_event_mc_err_type`.
pub fn edac(err_type: u32) -> u8 {
    match err_type {
        0 => abi::SEV_CORRECTED,   // HW_EVENT_ERR_CORRECTED
        1 => abi::SEV_RECOVERABLE, // HW_EVENT_ERR_UNCORRECTED
        2 => abi::SEV_DEFERRED,    // HW_EVENT_ERR_DEFERRED
        4 => abi::SEV_INFO,        // HW_EVENT_ERR_INFO
        _ => abi::SEV_FATAL,       // HW_EVENT_ERR_FATAL, unknown
    }
}

/// Grades an AER event by its `aer_severity` (`AER_NONFATAL` 0, `AER_FATAL` 1,
/// `AER_CORRECTABLE` 2).
pub fn aer(aer_severity: u32) -> u8 {
    match aer_severity {
        2 => abi::SEV_CORRECTED,
        0 => abi::SEV_RECOVERABLE,
        _ => abi::SEV_FATAL,
    }
}

/// Grades a memory-failure outcome by its `enum mf_result` (`MF_IGNORED` 0,
/// `MF_FAILED` 1, `MF_DELAYED` 2, `MF_RECOVERED` 3).
pub fn memory_failure(result: u32) -> u8 {
    match result {
        2 | 3 => abi::SEV_RECOVERABLE,
        _ => abi::SEV_FATAL,
    }
}
