// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note

// Copyright (C) 2026 The hasys authors.

//! Rust view of `include/uapi/linux/hwerr.h`, the `/dev/hwerr` ABI.
//!
//! One file for both sides: `hwerr.ko` includes it with `#[path]` and builds it against
//! the kernel's vendored zerocopy, and `tools/hwerr-abi` against zerocopy from crates.io
//! at the same version. It uses nothing but `core` and zerocopy so that it builds in both.
//!
//! The payload union of `struct hwerr_record` is a byte array here
//! ([`Record::payload`]); the per-source structs are read out of it with
//! [`FromBytes::read_from_prefix`]. `tools/hwerr-abi/tests/layout.rs` checks every size
//! and offset below against the C header.

use zerocopy_derive::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Bumped on any incompatible change of the record or ioctl layouts.
pub const ABI_VERSION: u32 = 1;
/// Size of every record `read()` returns.
pub const RECORD_SIZE: usize = 256;
/// Size of the per-source payload.
pub const PAYLOAD_SIZE: usize = 208;
/// Slots in per-source arrays.
pub const SRC_SLOTS: usize = 16;

/// No source.
pub const SRC_NONE: u8 = 0;
/// x86 machine check.
pub const SRC_MCE: u8 = 1;
/// EDAC memory controller.
pub const SRC_EDAC: u8 = 2;
/// PCIe AER.
pub const SRC_AER: u8 = 3;
/// SERR, IOCHK and unknown NMIs.
pub const SRC_NMI: u8 = 4;
/// ACPI APEI GHES (CPER).
pub const SRC_GHES: u8 = 5;
/// Memory failure handling.
pub const SRC_MEMORY_FAILURE: u8 = 6;
/// `hwerr_report()` from a kernel module.
pub const SRC_SOFTWARE: u8 = 7;
/// In-band lost-records notice.
pub const SRC_LOST: u8 = 8;
/// hadetect: a policy decision or health change.
pub const SRC_HADETECT: u8 = 9;
/// cluster_msg: a membership change.
pub const SRC_CLUSTER: u8 = 10;
/// crashdump: the crash record of the kernel that ran before this one.
pub const SRC_CRASH: u8 = 11;
/// kexec_handoff: a phase change of a planned kexec handoff.
pub const SRC_HANDOFF: u8 = 12;
/// Number of sources.
pub const SRC_NR: u8 = 13;

/// Source names, indexed by source number (sysfs directory names, hactl output).
pub const SOURCE_NAMES: [&str; SRC_NR as usize] = [
    "none",
    "mce",
    "edac",
    "aer",
    "nmi",
    "ghes",
    "memory_failure",
    "software",
    "lost",
    "hadetect",
    "cluster_msg",
    "crashdump",
    "kexec_handoff",
];

/// Informational.
pub const SEV_INFO: u8 = 0;
/// Corrected by hardware.
pub const SEV_CORRECTED: u8 = 1;
/// Uncorrected, not yet consumed.
pub const SEV_DEFERRED: u8 = 2;
/// Uncorrected, recoverable by the OS.
pub const SEV_RECOVERABLE: u8 = 3;
/// Uncorrected, context lost.
pub const SEV_FATAL: u8 = 4;
/// Number of severities.
pub const SEV_NR: u8 = 5;

/// Severity names, indexed by severity number.
pub const SEVERITY_NAMES: [&str; SEV_NR as usize] =
    ["info", "corrected", "deferred", "recoverable", "fatal"];

/// Recoverable, action required (SRAR).
pub const F_ACTION_REQUIRED: u16 = 1 << 0;
/// MCE counted by the kernel's CEC.
pub const F_CEC_ABSORBED: u16 = 1 << 1;
/// Made for one reader (overrun notice), not in the log.
pub const F_SYNTHETIC: u16 = 1 << 2;
/// Memory failure: `pid` and `comm` are set.
pub const F_TASK: u16 = 1 << 3;
/// A string or byte field was cut to fit.
pub const F_TRUNCATED: u16 = 1 << 4;
/// `HWERR_F_COALESCED`: a storm summary of `count` identical errors.
pub const F_COALESCED: u16 = 1 << 5;
/// `HWERR_F_MIXED`: with `F_COALESCED`, errors beyond the source's rate bound.
pub const F_MIXED: u16 = 1 << 6;
/// `HWERR_F_PREVIOUS_BOOT`: of the kernel that ran before this one, re-emitted by
/// crashdump; `seq` is this log's, the rest as that kernel captured it.
pub const F_PREVIOUS_BOOT: u16 = 1 << 7;

/// Unknown NMI.
pub const NMI_UNKNOWN: u32 = 0;
/// PCI SERR NMI.
pub const NMI_SERR: u32 = 1;
/// I/O check NMI.
pub const NMI_IO_CHECK: u32 = 2;

/// CPER section not decoded; `raw` holds its first bytes.
pub const CPER_SEC_UNKNOWN: u32 = 0;
/// Platform memory error section.
pub const CPER_SEC_MEM: u32 = 1;
/// PCI Express error section.
pub const CPER_SEC_PCIE: u32 = 2;
/// Generic processor error section.
pub const CPER_SEC_PROC: u32 = 3;

/// Lost at capture: per-CPU storage was full.
pub const LOST_CAPTURE: u32 = 1;
/// Lost to this reader: it fell behind and the log wrapped.
pub const LOST_OVERRUN: u32 = 2;
/// Lost at a kexec handoff: the old kernel could not carry them (`by_source` is 0).
pub const LOST_HANDOFF: u32 = 3;

/// `HWERR_SEEK_OLDEST`.
pub const SEEK_OLDEST: u32 = 0;
/// `HWERR_SEEK_NEWEST`.
pub const SEEK_NEWEST: u32 = 1;
/// `HWERR_SEEK_SEQ`.
pub const SEEK_SEQ: u32 = 2;

/// `struct hwerr_header`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Header {
    /// Size of the whole record.
    pub size: u16,
    /// [`ABI_VERSION`].
    pub version: u8,
    /// `SRC_*`.
    pub source: u8,
    /// `SEV_*`.
    pub severity: u8,
    /// 0: captured by this kernel ([`F_PREVIOUS_BOOT`] records too); N: carried
    /// here through N kexec handoffs (saturates at 255).
    pub boot: u8,
    /// `F_*`.
    pub flags: u16,
    /// CPU that captured the record.
    pub cpu: u32,
    /// Occurrences the record stands for.
    pub count: u32,
    /// Log sequence number.
    pub seq: u64,
    /// `CLOCK_BOOTTIME` at capture.
    pub boottime_ns: u64,
    /// `CLOCK_REALTIME` at capture.
    pub realtime_ns: u64,
    /// With [`F_COALESCED`]: `CLOCK_BOOTTIME` of the last error; else 0.
    pub last_boottime_ns: u64,
}

/// `struct hwerr_record`: the header and the per-source payload bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Record {
    /// The common header.
    pub hdr: Header,
    /// The per-source payload (the C union `u`).
    pub payload: [u8; PAYLOAD_SIZE],
}

/// `struct hwerr_mce`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Mce {
    /// MCi_STATUS.
    pub status: u64,
    /// MCi_ADDR.
    pub addr: u64,
    /// MCi_MISC.
    pub misc: u64,
    /// MCG_STATUS.
    pub mcgstatus: u64,
    /// MCA_SYND.
    pub synd: u64,
    /// MCA_IPID.
    pub ipid: u64,
    /// PPIN.
    pub ppin: u64,
    /// Instruction pointer.
    pub ip: u64,
    /// CPUID 1 EAX.
    pub cpuid: u32,
    /// Initial APIC ID.
    pub apicid: u32,
    /// Socket.
    pub socketid: u32,
    /// Linux CPU number.
    pub extcpu: u32,
    /// Microcode revision.
    pub microcode: u32,
    /// Bank.
    pub bank: u8,
    /// The kernel's X86_VENDOR_*.
    pub cpuvendor: u8,
    /// The MCE core's severity grading.
    pub mce_severity: u8,
    /// Code segment.
    pub cs: u8,
}

/// `struct hwerr_edac`.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Edac {
    /// Physical address.
    pub address: u64,
    /// Syndrome.
    pub syndrome: u64,
    /// Error count.
    pub error_count: u32,
    /// `enum hw_event_mc_err_type`.
    pub err_type: u32,
    /// Memory controller index.
    pub mc_index: u8,
    /// Top, mid, low layer; -1 unknown.
    pub layer: [i8; 3],
    /// Grain bits.
    pub grain_bits: u8,
    /// Zero.
    pub reserved: [u8; 3],
    /// DIMM label(s).
    pub label: [u8; 64],
    /// EDAC's message.
    pub msg: [u8; 64],
}

/// `struct hwerr_aer`.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Aer {
    /// PCI domain.
    pub segment: u16,
    /// Bus.
    pub bus: u8,
    /// Device and function.
    pub devfn: u8,
    /// 0 non-fatal, 1 fatal, 2 correctable.
    pub aer_severity: u8,
    /// `tlp_header` is valid.
    pub tlp_header_valid: u8,
    /// Zero.
    pub reserved: u16,
    /// Unmasked status bits.
    pub status: u32,
    /// Zero.
    pub reserved2: u32,
    /// TLP header log.
    pub tlp_header: [u32; 4],
    /// Device name.
    pub dev_name: [u8; 32],
    /// Bus type.
    pub bus_type: [u8; 8],
}

/// `struct hwerr_nmi`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Nmi {
    /// `NMI_*`.
    pub nmi_type: u32,
    /// NMI reason port bits.
    pub reason: u8,
    /// Zero.
    pub reserved: [u8; 3],
}

/// `struct hwerr_cper_mem`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct CperMem {
    /// Validation bits.
    pub validation_bits: u64,
    /// Error status.
    pub error_status: u64,
    /// Physical address.
    pub physical_addr: u64,
    /// Physical address mask.
    pub physical_addr_mask: u64,
    /// Node.
    pub node: u16,
    /// Card.
    pub card: u16,
    /// Module.
    pub module: u16,
    /// Bank.
    pub bank: u16,
    /// Row.
    pub row: u32,
    /// Column.
    pub column: u16,
    /// Memory error type.
    pub error_type: u8,
    /// Zero.
    pub reserved: u8,
}

/// `struct hwerr_cper_pcie`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct CperPcie {
    /// Validation bits.
    pub validation_bits: u64,
    /// Port type.
    pub port_type: u32,
    /// Device status (high half: secondary status).
    pub device_status: u32,
    /// Segment.
    pub segment: u16,
    /// Bus.
    pub bus: u8,
    /// Device and function.
    pub devfn: u8,
    /// Vendor ID.
    pub vendor_id: u16,
    /// Device ID.
    pub device_id: u16,
    /// AER uncorrectable status.
    pub aer_uncor_status: u32,
    /// AER correctable status.
    pub aer_cor_status: u32,
}

/// `struct hwerr_cper_proc`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct CperProc {
    /// Validation bits.
    pub validation_bits: u64,
    /// Processor type.
    pub proc_type: u8,
    /// ISA.
    pub proc_isa: u8,
    /// Error type.
    pub proc_error_type: u8,
    /// Operation.
    pub operation: u8,
    /// Flags.
    pub flags: u8,
    /// Level.
    pub level: u8,
    /// Zero.
    pub reserved: u16,
    /// Processor ID.
    pub proc_id: u64,
    /// Target address.
    pub target_addr: u64,
    /// Instruction pointer.
    pub ip: u64,
}

/// `struct hwerr_cper`: the fixed part; `u` follows at [`CPER_U_OFFSET`].
///
/// Aligned to 8 like the C union of 64-bit structs that `u` stands for.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Cper {
    /// Section type GUID.
    pub section_type: [u8; 16],
    /// FRU GUID.
    pub fru_id: [u8; 16],
    /// `GHES_SEV_*` the kernel graded the section as.
    pub ghes_severity: u32,
    /// `CPER_SEC_*`: which of `u` is valid.
    pub decoded: u32,
    /// Section length.
    pub section_length: u32,
    /// Zero.
    pub reserved: u32,
    /// FRU text.
    pub fru_text: [u8; 24],
    /// The decoded section or its first bytes (C union `u`).
    pub u: [u8; 64],
}

/// Offset of `hwerr_cper.u` within `struct hwerr_cper`.
pub const CPER_U_OFFSET: usize = 72;

/// `struct hwerr_memory_failure`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct MemoryFailure {
    /// Page frame number.
    pub pfn: u64,
    /// `enum mf_action_page_type`.
    pub page_type: u32,
    /// `enum mf_result`.
    pub result: u32,
    /// Task pid, with [`F_TASK`].
    pub pid: i32,
    /// With [`F_TASK`]: processes the kernel signalled for this page.
    pub tasks: u32,
    /// Task name, with [`F_TASK`].
    pub comm: [u8; 16],
    /// With [`F_TASK`]: the task's cgroup v2 id (0 without cgroups).
    pub cgroup_id: u64,
}

/// `HWERR_CODE_SOURCE_ENABLED`: hwerr's notice that a source was enabled.
pub const CODE_SOURCE_ENABLED: u32 = 1;
/// `HWERR_CODE_SOURCE_DISABLED`: hwerr's notice that a source was disabled.
pub const CODE_SOURCE_DISABLED: u32 = 2;

/// `struct hwerr_software`.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Software {
    /// Reporter-defined code.
    pub code: u32,
    /// Zero.
    pub reserved: u32,
    /// Reporter-defined data.
    pub data: [u64; 4],
    /// Reporting module.
    pub origin: [u8; 32],
    /// Message.
    pub msg: [u8; 64],
}

/// `struct hwerr_lost`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Lost {
    /// `LOST_*`.
    pub reason: u32,
    /// Zero.
    pub reserved: u32,
    /// Records lost, all sources.
    pub total: u64,
    /// Overrun: first missed sequence number.
    pub first_seq: u64,
    /// Records lost per source.
    pub by_source: [u64; SRC_SLOTS],
}

/// `HWERR_HD_OPENED`: first error on a component, a suspect fault.
pub const HD_OPENED: u32 = 1;
/// `HWERR_HD_FIRED`: the rule fired; faulty, the action is queued.
pub const HD_FIRED: u32 = 2;
/// `HWERR_HD_ISOLATED`: the action was taken and confirmed.
pub const HD_ISOLATED: u32 = 3;
/// `HWERR_HD_FAILED`: the action failed; it is retried.
pub const HD_FAILED: u32 = 4;
/// `HWERR_HD_GAVE_UP`: the action failed its last attempt.
pub const HD_GAVE_UP: u32 = 5;
/// `HWERR_HD_DRY_RUN`: the rule fired in dry-run.
pub const HD_DRY_RUN: u32 = 6;
/// `HWERR_HD_CAPPED`: the rule fired, the class's cap is reached.
pub const HD_CAPPED: u32 = 7;
/// `HWERR_HD_REFUSED`: the action cannot apply to this object.
pub const HD_REFUSED: u32 = 8;
/// `HWERR_HD_CONTAINED`: an uncorrected error the kernel contained.
pub const HD_CONTAINED: u32 = 9;
/// `HWERR_HD_HEALTH`: the node's health changed.
pub const HD_HEALTH: u32 = 10;
/// `HWERR_HD_AGENT`: an agent registered, missed, came back or left.
pub const HD_AGENT: u32 = 11;
/// `HWERR_HD_CLEARED`: an admin cleared faults (one, a class or all; `count` of them).
pub const HD_CLEARED: u32 = 12;
/// `HWERR_HD_OVERLOAD`: a global OOM began (result 1) or memory recovered (0).
pub const HD_OVERLOAD: u32 = 13;

/// `HWERR_HD_NONE`: node-wide events.
pub const HD_NONE: u8 = 0;
/// `HWERR_HD_PAGE`: object is a pfn.
pub const HD_PAGE: u8 = 1;
/// `HWERR_HD_DIMM`: object is `mc << 24 | layer0 << 16 | layer1 << 8 | layer2`.
pub const HD_DIMM: u8 = 2;
/// `HWERR_HD_CPU`: object is a CPU (core-internal errors).
pub const HD_CPU: u8 = 3;
/// `HWERR_HD_CACHE`: object is a CPU (cache and TLB errors).
pub const HD_CACHE: u8 = 4;
/// `HWERR_HD_PCI`: object is `segment << 16 | bus << 8 | devfn`.
pub const HD_PCI: u8 = 5;
/// `HWERR_HD_NODE`: object is the source of a fatal-class error.
pub const HD_NODE: u8 = 6;
/// Number of fault classes.
pub const HD_CLASS_NR: u8 = 7;
/// Fault class names, indexed by class (sysfs directory names, hactl output).
pub const HD_CLASS_NAMES: [&str; HD_CLASS_NR as usize] =
    ["none", "page", "dimm", "cpu", "cache", "pci", "node"];

/// `HWERR_HD_ACT_NONE`: count and publish only.
pub const HD_ACT_NONE: u8 = 0;
/// `HWERR_HD_ACT_SOFT_OFFLINE`.
pub const HD_ACT_SOFT_OFFLINE: u8 = 1;
/// `HWERR_HD_ACT_CPU_OFFLINE`.
pub const HD_ACT_CPU_OFFLINE: u8 = 2;
/// `HWERR_HD_ACT_PCI_UNBIND`.
pub const HD_ACT_PCI_UNBIND: u8 = 3;
/// `HWERR_HD_ACT_PCI_REMOVE`.
pub const HD_ACT_PCI_REMOVE: u8 = 4;
/// Number of actions.
pub const HD_ACT_NR: u8 = 5;
/// Action names, indexed by action (sysfs values, hactl output).
pub const HD_ACT_NAMES: [&str; HD_ACT_NR as usize] = [
    "none",
    "soft_offline",
    "cpu_offline",
    "pci_unbind",
    "pci_remove",
];

/// `HWERR_HD_GREEN`.
pub const HD_GREEN: u8 = 0;
/// `HWERR_HD_YELLOW`.
pub const HD_YELLOW: u8 = 1;
/// `HWERR_HD_RED`.
pub const HD_RED: u8 = 2;
/// Health names, indexed by level.
pub const HD_HEALTH_NAMES: [&str; 3] = ["green", "yellow", "red"];

/// Yellow: a faulty part, not isolated.
pub const HD_R_FAULT: u32 = 1 << 0;
/// Yellow: a CPU or PCI device is isolated.
pub const HD_R_ISOLATED: u32 = 1 << 1;
/// Yellow: an isolation failed and is retried.
pub const HD_R_RETRYING: u32 = 1 << 2;
/// Red: an isolation gave up.
pub const HD_R_ISOLATION_FAILED: u32 = 1 << 3;
/// Red: a faulty part beyond its class's cap.
pub const HD_R_CAP_REACHED: u32 = 1 << 4;
/// Red: a node-class fault.
pub const HD_R_FATAL: u32 = 1 << 5;
/// Red: global OOM, memory not recovered.
pub const HD_R_OVERLOAD: u32 = 1 << 6;
/// Yellow: an agent missed its deadline.
pub const HD_R_AGENT_LATE: u32 = 1 << 7;
/// Red: an agent missed its deadline for longer than the escalation time.
pub const HD_R_AGENT_DEAD: u32 = 1 << 8;
/// Yellow: faults were not tracked (table full).
pub const HD_R_TABLE_FULL: u32 = 1 << 9;
/// Reason names, bit by bit (sysfs `reasons`, hactl output).
pub const HD_REASON_NAMES: [&str; 10] = [
    "fault",
    "isolated",
    "retrying",
    "isolation-failed",
    "cap-reached",
    "fatal",
    "overload",
    "agent-late",
    "agent-dead",
    "table-full",
];
/// The red reasons; the others are yellow.
pub const HD_R_RED: u32 =
    HD_R_ISOLATION_FAILED | HD_R_CAP_REACHED | HD_R_FATAL | HD_R_OVERLOAD | HD_R_AGENT_DEAD;

/// `HWERR_HD_AGENT_REGISTERED` (an `HD_AGENT` record's `result`).
pub const HD_AGENT_REGISTERED: i32 = 1;
/// `HWERR_HD_AGENT_LATE`.
pub const HD_AGENT_LATE: i32 = 2;
/// `HWERR_HD_AGENT_DEAD`.
pub const HD_AGENT_DEAD: i32 = 3;
/// `HWERR_HD_AGENT_BACK`.
pub const HD_AGENT_BACK: i32 = 4;
/// `HWERR_HD_AGENT_LEFT`.
pub const HD_AGENT_LEFT: i32 = 5;
/// `HWERR_HD_AGENT_LOST`.
pub const HD_AGENT_LOST: i32 = 6;
/// Agent event names, indexed by `HD_AGENT_*`.
pub const HD_AGENT_NAMES: [&str; 7] = [
    "unknown",
    "registered",
    "late",
    "dead",
    "back",
    "left",
    "lost",
];

/// `HWERR_HD_F_DRY_RUN`: decided in dry-run.
pub const HD_F_DRY_RUN: u8 = 1 << 0;
/// `HWERR_HD_F_IMMEDIATE`: fired at once on an uncorrected error.
pub const HD_F_IMMEDIATE: u8 = 1 << 1;

/// `struct hwerr_hadetect`.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Hadetect {
    /// `HD_*` event.
    pub event: u32,
    /// `HD_*` class.
    pub fault_class: u8,
    /// `HD_ACT_*`.
    pub action: u8,
    /// `HD_GREEN`/`HD_YELLOW`/`HD_RED` after this event.
    pub health: u8,
    /// `HD_F_*`.
    pub flags: u8,
    /// The object of the class (pfn, CPU, BDF, DIMM).
    pub object: u64,
    /// `-errno` for a failed, given-up or refused action; overload: 1 begins, 0 ends.
    pub result: i32,
    /// Actions tried on this fault so far.
    pub attempt: u32,
    /// Errors on this part within the rule's window.
    pub count: u32,
    /// The rule's N.
    pub threshold: u32,
    /// The rule's T in ms.
    pub window_ms: u64,
    /// Sequence number of the record that caused this, or 0.
    pub trigger_seq: u64,
    /// Node health score after this event.
    pub score: u32,
    /// `HD_R_*` after this event.
    pub reasons: u32,
    /// Contained: the process signalled; agent: the agent's pid.
    pub pid: i32,
    /// Zero.
    pub reserved: u32,
    /// DIMM label, device name, agent or process name (NUL-terminated).
    pub label: [u8; 64],
    /// Contained: the process's cgroup v2 id, or 0.
    pub cgroup_id: u64,
}

/// `HWERR_CL_PEER`: a peer's state changed.
pub const CL_PEER: u8 = 1;
/// `HWERR_CL_LOCAL`: this node's own state changed.
pub const CL_LOCAL: u8 = 2;

/// `HWERR_CL_DOWN`: not heard within the dead time (or never).
pub const CL_DOWN: u8 = 0;
/// `HWERR_CL_JOINING`: heard, but it has not heard us yet.
pub const CL_JOINING: u8 = 1;
/// `HWERR_CL_UP`: heartbeats both ways.
pub const CL_UP: u8 = 2;
/// `HWERR_CL_SUSPECT`: silent for more than the suspect time.
pub const CL_SUSPECT: u8 = 3;
/// `HWERR_CL_DYING`: it announced it is dying.
pub const CL_DYING: u8 = 4;
/// `HWERR_CL_LEFT`: it announced it leaves.
pub const CL_LEFT: u8 = 5;
/// `HWERR_CL_HANDOFF`: it announced a kexec handoff.
pub const CL_HANDOFF: u8 = 6;
/// `HWERR_CL_STATE_NR`.
pub const CL_STATE_NR: u8 = 7;
/// State names, indexed by `CL_*` state.
pub const CL_STATE_NAMES: [&str; CL_STATE_NR as usize] = [
    "down", "joining", "up", "suspect", "dying", "left", "handoff",
];

/// `HWERR_CL_R_NONE`.
pub const CL_R_NONE: u8 = 0;
/// `HWERR_CL_R_PANIC`: `panic()`.
pub const CL_R_PANIC: u8 = 1;
/// `HWERR_CL_R_OOPS`: an oops.
pub const CL_R_OOPS: u8 = 2;
/// `HWERR_CL_R_HW_FATAL`: a fatal hardware error record.
pub const CL_R_HW_FATAL: u8 = 3;
/// `HWERR_CL_R_KEXEC`: kexec reboot.
pub const CL_R_KEXEC: u8 = 4;
/// `HWERR_CL_R_SHUTDOWN`: restart, halt or power off.
pub const CL_R_SHUTDOWN: u8 = 5;
/// `HWERR_CL_R_OVERLOAD`: memory overload.
pub const CL_R_OVERLOAD: u8 = 6;
/// `HWERR_CL_R_HANDOFF`: planned kexec handoff.
pub const CL_R_HANDOFF: u8 = 7;
/// `HWERR_CL_R_TIMEOUT`: silent past the dead time.
pub const CL_R_TIMEOUT: u8 = 8;
/// `HWERR_CL_R_ADMIN`: disabled or unloaded by an administrator.
pub const CL_R_ADMIN: u8 = 9;
/// `HWERR_CL_R_KDUMP`: a capture kernel is saving a crash dump.
pub const CL_R_KDUMP: u8 = 10;
/// `HWERR_CL_R_DUMPED`: the capture kernel saved the dump.
pub const CL_R_DUMPED: u8 = 11;
/// `HWERR_CL_R_NR`.
pub const CL_R_NR: u8 = 12;
/// Reason names, indexed by `CL_R_*`.
pub const CL_REASON_NAMES: [&str; CL_R_NR as usize] = [
    "none", "panic", "oops", "hw-fatal", "kexec", "shutdown", "overload", "handoff", "timeout",
    "admin", "kdump", "dumped",
];

/// `struct hwerr_cluster`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Cluster {
    /// `CL_PEER` or `CL_LOCAL`.
    pub event: u8,
    /// `CL_*` state after this change.
    pub state: u8,
    /// `CL_*` state before it.
    pub old_state: u8,
    /// `CL_R_*`.
    pub reason: u8,
    /// The peer's node id (local: this node's).
    pub node: u32,
    /// The cluster id.
    pub cluster_id: u32,
    /// This node's id.
    pub local_node: u32,
    /// This node's membership epoch after the change.
    pub epoch: u64,
    /// The peer's boot id (local: this node's).
    pub incarnation: [u8; 16],
    /// Since the peer was last heard (suspect, down), in ms.
    pub silent_ms: u32,
    /// Handoff: ms the peer said it would be back within.
    pub arg: u32,
    /// Smoothed round-trip time to the peer in µs, 0 if unknown.
    pub rtt_us: u32,
    /// Round-trip jitter in µs, 0 if unknown.
    pub jitter_us: u32,
    /// Members up after the change, this node excluded.
    pub up_members: u64,
}

/// `HWERR_CRASH_VALID`: a crash record was found and is valid.
pub const CRASH_VALID: u32 = 0;
/// `HWERR_CRASH_NONE`: no record address was given.
pub const CRASH_NONE: u32 = 1;
/// `HWERR_CRASH_INVALID`: no valid record at the address (`error` says why).
pub const CRASH_INVALID: u32 = 2;
/// Status names, indexed by `CRASH_*` status.
pub const CRASH_STATUS_NAMES: [&str; 3] = ["valid", "none", "invalid"];
/// `HWERR_CRASH_LIVE`: the record a running kernel kept; its crash wrote none.
pub const CRASH_LIVE: u32 = 1;
/// `HWERR_CRASH_CRASHED`: written by the panic or die path.
pub const CRASH_CRASHED: u32 = 2;
/// `HWERR_CRASH_R_NONE`.
pub const CRASH_R_NONE: u32 = 0;
/// `HWERR_CRASH_R_PANIC`: `panic()`.
pub const CRASH_R_PANIC: u32 = 1;
/// `HWERR_CRASH_R_OOPS`: an oops.
pub const CRASH_R_OOPS: u32 = 2;
/// `HWERR_CRASH_R_HW_FATAL`: `panic()` on a fatal hardware error.
pub const CRASH_R_HW_FATAL: u32 = 3;
/// `HWERR_CRASH_R_NR`.
pub const CRASH_R_NR: u32 = 4;
/// Reason names, indexed by `CRASH_R_*`.
pub const CRASH_REASON_NAMES: [&str; CRASH_R_NR as usize] = ["none", "panic", "oops", "hw-fatal"];

/// `struct hwerr_crash`.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Crash {
    /// `CRASH_VALID`, `CRASH_NONE` or `CRASH_INVALID`.
    pub status: u32,
    /// `CRASH_INVALID`: why, 1..11 (crashdump.rst); else 0.
    pub error: u32,
    /// `CRASH_LIVE` or `CRASH_CRASHED` (valid only).
    pub state: u32,
    /// `CRASH_R_*`.
    pub reason: u32,
    /// The CPU that wrote the record.
    pub cpu: u32,
    /// The record's flags (crashdump.rst).
    pub flags: u32,
    /// Physical address the record was looked for at.
    pub addr: u64,
    /// The record's write count.
    pub generation: u64,
    /// The crashed kernel's `CLOCK_REALTIME` when the record was written.
    pub realtime_ns: u64,
    /// The crashed kernel's taint mask.
    pub taint: u64,
    /// Its last hwerr sequence number.
    pub last_seq: u64,
    /// hwerr records the crash record holds.
    pub records: u32,
    /// Bytes of kernel log tail it holds.
    pub log_len: u32,
    /// The panic message's start, NUL-terminated.
    pub message: [u8; 128],
}

/// `HWERR_HO_IDLE`: no handoff under way.
pub const HO_IDLE: u8 = 0;
/// `HWERR_HO_PREPARING`: the state is being preserved.
pub const HO_PREPARING: u8 = 1;
/// `HWERR_HO_READY`: preserved; the kexec may go.
pub const HO_READY: u8 = 2;
/// `HWERR_HO_COMMITTED`: the kexec is under way; the state is sealed.
pub const HO_COMMITTED: u8 = 3;
/// `HWERR_HO_RESTORED`: this kernel restored the state a handoff carried.
pub const HO_RESTORED: u8 = 4;
/// `HWERR_HO_ABORTED`: the handoff was given up (`reason` says why).
pub const HO_ABORTED: u8 = 5;
/// `HWERR_HO_PHASE_NR`.
pub const HO_PHASE_NR: u8 = 6;
/// Phase names, indexed by `HO_*` phase (kexec_handoff's sysfs `state`).
pub const HO_PHASE_NAMES: [&str; HO_PHASE_NR as usize] = [
    "idle",
    "preparing",
    "ready",
    "committed",
    "restored",
    "aborted",
];

/// `HWERR_HO_R_NONE`: not aborted.
pub const HO_R_NONE: u8 = 0;
/// `HWERR_HO_R_REQUESTED`: `abort` was written to `request`.
pub const HO_R_REQUESTED: u8 = 1;
/// `HWERR_HO_R_KHO_DISABLED`: KHO is off (no `kho=on`, or no scratch memory).
pub const HO_R_KHO_DISABLED: u8 = 2;
/// `HWERR_HO_R_PRESERVE_FAILED`: preserving the state failed (`error`).
pub const HO_R_PRESERVE_FAILED: u8 = 3;
/// `HWERR_HO_R_REBOOTED`: a reboot came before the commit.
pub const HO_R_REBOOTED: u8 = 4;
/// `HWERR_HO_R_NR`.
pub const HO_R_NR: u8 = 5;
/// Reason names, indexed by `HO_R_*` (kexec_handoff's sysfs `reason`).
pub const HO_REASON_NAMES: [&str; HO_R_NR as usize] = [
    "none",
    "requested",
    "kho-disabled",
    "preserve-failed",
    "rebooted",
];

/// `struct hwerr_handoff`.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Handoff {
    /// `HO_*` phase before the change.
    pub from: u8,
    /// `HO_*` phase after it.
    pub to: u8,
    /// `HO_R_*` when `to` is [`HO_ABORTED`], else 0.
    pub reason: u8,
    /// Zero.
    pub reserved: u8,
    /// [`HO_R_PRESERVE_FAILED`]: the negative errno; else 0.
    pub error: i32,
    /// The preparation number (prepare requests accepted).
    pub attempt: u32,
    /// Handoffs the state has been through ([`HO_RESTORED`]).
    pub handoffs: u32,
    /// [`HO_RESTORED`]: hwerr records restored; else 0 (the [`HO_COMMITTED`] record is
    /// logged before the seal, so that it is carried).
    pub carried: u32,
    /// Records that could not be carried.
    pub lost: u32,
    /// [`HO_RESTORED`]: the old kernel's commit to this restore (`CLOCK_REALTIME`
    /// difference), ns; else 0.
    pub blackout_ns: u64,
    /// [`HO_RESTORED`]: the old kernel's release; else this kernel's; NUL-padded.
    pub release: [u8; 64],
}

/// `struct hwerr_source_stats`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct SourceStats {
    /// Records that reached the log.
    pub captured: u64,
    /// Records lost at capture.
    pub dropped: u64,
}

/// `struct hwerr_stats`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Stats {
    /// [`ABI_VERSION`].
    pub abi_version: u32,
    /// [`RECORD_SIZE`].
    pub record_size: u32,
    /// Records the log holds.
    pub log_capacity: u32,
    /// Records in the log now.
    pub log_used: u32,
    /// Oldest sequence number in the log, 0 if empty.
    pub oldest_seq: u64,
    /// Sequence number of the next record.
    pub next_seq: u64,
    /// Records overwritten since load.
    pub evicted: u64,
    /// This reader's next sequence number.
    pub reader_cursor: u64,
    /// This reader's overrun losses.
    pub reader_missed: u64,
    /// Records this reader has read.
    pub reader_read: u64,
    /// Per-source counters.
    pub source: [SourceStats; SRC_SLOTS],
}

/// `struct hwerr_filter`.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Filter {
    /// Bit `1 << source`.
    pub source_mask: u32,
    /// Bit `1 << severity`.
    pub severity_mask: u32,
}

/// `struct hwerr_seek`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Seek {
    /// `SEEK_*`.
    pub whence: u32,
    /// Must be zero.
    pub reserved: u32,
    /// `SEEK_SEQ`: the sequence number.
    pub seq: u64,
}

/// `HADETECT_AGENT_NAME_LEN` (`include/uapi/linux/hadetect.h`).
pub const AGENT_NAME_LEN: usize = 32;

/// `struct hadetect_agent` (`include/uapi/linux/hadetect.h`): `/dev/hadetect`'s
/// registration.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Agent {
    /// NUL-terminated name, `[A-Za-z0-9_.:-]`.
    pub name: [u8; AGENT_NAME_LEN],
    /// Heartbeat at least this often, ms.
    pub period_ms: u32,
    /// Late this long past the deadline: dead; 0 never.
    pub escalate_ms: u32,
}

/// `HADETECT_IOC_MAGIC`.
pub const HADETECT_IOC_MAGIC: u32 = 0xBA;
/// `HADETECT_IOC_REGISTER`.
pub const HADETECT_IOC_REGISTER: u32 =
    (IOC_WRITE << 30) | ((core::mem::size_of::<Agent>() as u32) << 16) | (HADETECT_IOC_MAGIC << 8);
/// `HADETECT_IOC_HEARTBEAT`.
pub const HADETECT_IOC_HEARTBEAT: u32 = (HADETECT_IOC_MAGIC << 8) | 0x01;
/// `HADETECT_IOC_UNREGISTER`.
pub const HADETECT_IOC_UNREGISTER: u32 = (HADETECT_IOC_MAGIC << 8) | 0x02;

/// The ioctl type byte.
pub const IOC_MAGIC: u32 = 0xB9;

/// `_IOC(dir, HWERR_IOC_MAGIC, nr, size)` for the asm-generic encoding (x86, arm64).
const fn ioc(dir: u32, nr: u32, size: usize) -> u32 {
    (dir << 30) | ((size as u32) << 16) | (IOC_MAGIC << 8) | nr
}
const IOC_WRITE: u32 = 1;
const IOC_READ: u32 = 2;

/// `HWERR_IOC_ABI_VERSION`.
pub const IOC_ABI_VERSION: u32 = ioc(IOC_READ, 0x00, core::mem::size_of::<u32>());
/// `HWERR_IOC_GET_STATS`.
pub const IOC_GET_STATS: u32 = ioc(IOC_READ, 0x01, core::mem::size_of::<Stats>());
/// `HWERR_IOC_SET_FILTER`.
pub const IOC_SET_FILTER: u32 = ioc(IOC_WRITE, 0x02, core::mem::size_of::<Filter>());
/// `HWERR_IOC_GET_FILTER`.
pub const IOC_GET_FILTER: u32 = ioc(IOC_READ, 0x03, core::mem::size_of::<Filter>());
/// `HWERR_IOC_SEEK`.
pub const IOC_SEEK: u32 = ioc(IOC_WRITE, 0x04, core::mem::size_of::<Seek>());

const _: () = {
    assert!(core::mem::size_of::<Header>() == 48);
    assert!(core::mem::size_of::<Record>() == RECORD_SIZE);
    assert!(core::mem::size_of::<Header>() + PAYLOAD_SIZE == RECORD_SIZE);
    assert!(core::mem::size_of::<Mce>() <= PAYLOAD_SIZE);
    assert!(core::mem::size_of::<Edac>() <= PAYLOAD_SIZE);
    assert!(core::mem::size_of::<Aer>() <= PAYLOAD_SIZE);
    assert!(core::mem::size_of::<Cper>() <= PAYLOAD_SIZE);
    assert!(core::mem::size_of::<Lost>() <= PAYLOAD_SIZE);
    assert!(core::mem::size_of::<Software>() <= PAYLOAD_SIZE);
    assert!(core::mem::size_of::<Hadetect>() == 136);
    assert!(core::mem::size_of::<Cluster>() == 64);
    assert!(core::mem::size_of::<Crash>() == 200);
    assert!(core::mem::size_of::<Handoff>() == 96);
    assert!(core::mem::size_of::<Agent>() == 40);
    assert!(SOURCE_NAMES.len() <= SRC_SLOTS);
    assert!(core::mem::offset_of!(Cper, u) == CPER_U_OFFSET);
    assert!(core::mem::size_of::<CperMem>() <= 64);
    assert!(core::mem::size_of::<CperPcie>() <= 64);
    assert!(core::mem::size_of::<CperProc>() <= 64);
};
