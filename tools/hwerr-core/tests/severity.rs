// SPDX-License-Identifier: GPL-2.0

//! MCE grading over real `MCi_STATUS` values, per vendor.

use hwerr_core::abi;
use hwerr_core::severity::{self, kernel_sev, mci, vendor};

const INTEL: u8 = vendor::INTEL;
const AMD: u8 = vendor::AMD;

#[test]
fn intel_corrected_with_count_bit_44_is_corrected() {
    // A DRAM corrected error whose corrected-error count (bits 38-52) is 64: bit 44
    // is set, and on Intel it is only part of the count.
    let status = 0x8c00_1000_0001_0090;
    assert_ne!(status & mci::DEFERRED, 0);
    assert_eq!(
        severity::mce(INTEL, status, kernel_sev::NO),
        (abi::SEV_CORRECTED, 0)
    );
    assert_eq!(
        severity::mce(INTEL, status, kernel_sev::KEEP),
        (abi::SEV_CORRECTED, 0)
    );
}

#[test]
fn amd_deferred_is_deferred() {
    // SMCA UMC deferred error: VAL | MISCV | ADDRV | SYNDV | DEFERRED.
    let status = 0x9c20_1000_0000_0000 | 0x0813;
    assert_eq!(
        severity::mce(AMD, status, kernel_sev::NO),
        (abi::SEV_DEFERRED, 0)
    );
    assert_eq!(
        severity::mce(vendor::HYGON, status, 0),
        (abi::SEV_DEFERRED, 0)
    );
    // The same bits on Intel: a corrected error.
    assert_eq!(
        severity::mce(INTEL, status, kernel_sev::NO),
        (abi::SEV_CORRECTED, 0)
    );
}

#[test]
fn intel_srar_srao_ucna_pcc() {
    // SRAR data load (Documentation example): VAL|UC|EN|MISCV|ADDRV|S|AR, MCACOD 0x134.
    let srar = 0xbd80_0000_0010_0134;
    assert_eq!(
        severity::mce(INTEL, srar, kernel_sev::NO),
        (abi::SEV_RECOVERABLE, abi::F_ACTION_REQUIRED)
    );
    // SRAO patrol scrub: VAL|UC|EN|MISCV|ADDRV|S, MCACOD 0xc0.
    let srao = 0xbd00_0000_0000_00c0;
    assert_eq!(
        severity::mce(INTEL, srao, kernel_sev::NO),
        (abi::SEV_RECOVERABLE, 0)
    );
    // UCNA: VAL|UC|EN|MISCV|ADDRV, not signalled.
    let ucna = 0xbc00_0000_0001_0090;
    assert_eq!(
        severity::mce(INTEL, ucna, kernel_sev::NO),
        (abi::SEV_DEFERRED, 0)
    );
    // PCC: the context is lost.
    let pcc = 0xb200_0000_0000_0150;
    assert_eq!(
        severity::mce(INTEL, pcc, kernel_sev::NO),
        (abi::SEV_FATAL, 0)
    );
}

#[test]
fn amd_uncorrected_with_tcc_needs_action() {
    // VAL|UC|EN|ADDRV|TCC: poison consumed by a task.
    let status = 0xb480_0000_0000_0000 | 0x0135;
    assert_eq!(
        severity::mce(AMD, status, kernel_sev::NO),
        (abi::SEV_RECOVERABLE, abi::F_ACTION_REQUIRED)
    );
    assert_eq!(
        severity::mce(AMD, status | mci::PCC, 0),
        (abi::SEV_FATAL, 0)
    );
}

#[test]
fn kernel_grade_wins_when_definite() {
    let ce = 0x8c00_0040_0001_0090;
    assert_eq!(
        severity::mce(INTEL, ce, kernel_sev::PANIC),
        (abi::SEV_FATAL, 0)
    );
    assert_eq!(
        severity::mce(INTEL, ce, kernel_sev::UC),
        (abi::SEV_FATAL, 0)
    );
    assert_eq!(
        severity::mce(INTEL, ce, kernel_sev::AR),
        (abi::SEV_RECOVERABLE, abi::F_ACTION_REQUIRED)
    );
    assert_eq!(
        severity::mce(INTEL, ce, kernel_sev::AO),
        (abi::SEV_RECOVERABLE, 0)
    );
    assert_eq!(
        severity::mce(INTEL, ce, kernel_sev::DEFERRED),
        (abi::SEV_DEFERRED, 0)
    );
    // KEEP and SOME say nothing definite: the status decides.
    assert_eq!(
        severity::mce(INTEL, ce, kernel_sev::SOME),
        (abi::SEV_CORRECTED, 0)
    );
}

#[test]
fn other_sources() {
    assert_eq!(severity::ghes(0), abi::SEV_INFO);
    assert_eq!(severity::ghes(1), abi::SEV_CORRECTED);
    assert_eq!(severity::ghes(2), abi::SEV_RECOVERABLE);
    assert_eq!(severity::ghes(3), abi::SEV_FATAL);
    assert_eq!(severity::ghes(99), abi::SEV_FATAL);
    assert_eq!(severity::edac(0), abi::SEV_CORRECTED);
    assert_eq!(severity::edac(1), abi::SEV_RECOVERABLE);
    assert_eq!(severity::edac(2), abi::SEV_DEFERRED);
    assert_eq!(severity::edac(3), abi::SEV_FATAL);
    assert_eq!(severity::edac(4), abi::SEV_INFO);
    assert_eq!(severity::edac(5), abi::SEV_FATAL);
    assert_eq!(severity::aer(2), abi::SEV_CORRECTED);
    assert_eq!(severity::aer(0), abi::SEV_RECOVERABLE);
    assert_eq!(severity::aer(1), abi::SEV_FATAL);
    assert_eq!(severity::memory_failure(3), abi::SEV_RECOVERABLE);
    assert_eq!(severity::memory_failure(2), abi::SEV_RECOVERABLE);
    assert_eq!(severity::memory_failure(1), abi::SEV_FATAL);
    assert_eq!(severity::memory_failure(0), abi::SEV_FATAL);
}
