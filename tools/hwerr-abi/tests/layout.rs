// SPDX-License-Identifier: GPL-2.0

//! The Rust ABI (`include/uapi/linux/hwerr.rs`) and the C headers
//! (`include/uapi/linux/hwerr.h`, `include/uapi/linux/hadetect.h`) agree: same size
//! and alignment for every struct, same offset and size for every field, same value
//! for every constant and ioctl number.
//!
//! The test writes a C program that prints `offsetof`/`sizeof` of the C spelling of
//! each field listed below, compiles it against the header with `$CC` (default
//! `cc`) and compares. A field missing from the header fails the compile. Every
//! struct's listed fields must also tile it exactly (no gaps, nothing left over),
//! so a field added to one side only cannot go unnoticed. Every `HWERR_*` and
//! `HADETECT_*` constant the headers define must be in the lists checked here.

use hwerr_abi::abi::*;
use std::fmt::Write as _;
use std::mem::{align_of, offset_of, size_of};
use std::path::PathBuf;
use std::process::Command;

struct Layout {
    c: &'static str,
    size: usize,
    align: usize,
    fields: Vec<(&'static str, usize, usize)>,
}

fn field_size<T, F>(_: fn(&T) -> &F) -> usize {
    size_of::<F>()
}

macro_rules! layout {
    ($c:literal, $t:ty, { $($cf:literal => $rf:ident),* $(,)? }) => {
        Layout {
            c: $c,
            size: size_of::<$t>(),
            align: align_of::<$t>(),
            fields: vec![$(($cf, offset_of!($t, $rf), field_size(|s: &$t| &s.$rf))),*],
        }
    };
}

fn layouts() -> Vec<Layout> {
    vec![
        layout!("hwerr_header", Header, {
            "size" => size, "version" => version, "source" => source,
            "severity" => severity, "boot" => boot, "flags" => flags,
            "cpu" => cpu, "count" => count, "seq" => seq, "boottime_ns" => boottime_ns,
            "realtime_ns" => realtime_ns, "last_boottime_ns" => last_boottime_ns,
        }),
        layout!("hwerr_record", Record, { "hdr" => hdr, "u" => payload }),
        layout!("hwerr_mce", Mce, {
            "status" => status, "addr" => addr, "misc" => misc, "mcgstatus" => mcgstatus,
            "synd" => synd, "ipid" => ipid, "ppin" => ppin, "ip" => ip, "cpuid" => cpuid,
            "apicid" => apicid, "socketid" => socketid, "extcpu" => extcpu,
            "microcode" => microcode, "bank" => bank, "cpuvendor" => cpuvendor,
            "mce_severity" => mce_severity, "cs" => cs,
        }),
        layout!("hwerr_edac", Edac, {
            "address" => address, "syndrome" => syndrome, "error_count" => error_count,
            "err_type" => err_type, "mc_index" => mc_index, "layer" => layer,
            "grain_bits" => grain_bits, "reserved" => reserved, "label" => label,
            "msg" => msg,
        }),
        layout!("hwerr_aer", Aer, {
            "segment" => segment, "bus" => bus, "devfn" => devfn,
            "aer_severity" => aer_severity, "tlp_header_valid" => tlp_header_valid,
            "reserved" => reserved, "status" => status, "reserved2" => reserved2,
            "tlp_header" => tlp_header, "dev_name" => dev_name, "bus_type" => bus_type,
        }),
        layout!("hwerr_nmi", Nmi, {
            "nmi_type" => nmi_type, "reason" => reason, "reserved" => reserved,
        }),
        layout!("hwerr_cper_mem", CperMem, {
            "validation_bits" => validation_bits, "error_status" => error_status,
            "physical_addr" => physical_addr, "physical_addr_mask" => physical_addr_mask,
            "node" => node, "card" => card, "module" => module, "bank" => bank,
            "row" => row, "column" => column, "error_type" => error_type,
            "reserved" => reserved,
        }),
        layout!("hwerr_cper_pcie", CperPcie, {
            "validation_bits" => validation_bits, "port_type" => port_type,
            "device_status" => device_status, "segment" => segment, "bus" => bus,
            "devfn" => devfn, "vendor_id" => vendor_id, "device_id" => device_id,
            "aer_uncor_status" => aer_uncor_status, "aer_cor_status" => aer_cor_status,
        }),
        layout!("hwerr_cper_proc", CperProc, {
            "validation_bits" => validation_bits, "proc_type" => proc_type,
            "proc_isa" => proc_isa, "proc_error_type" => proc_error_type,
            "operation" => operation, "flags" => flags, "level" => level,
            "reserved" => reserved, "proc_id" => proc_id, "target_addr" => target_addr,
            "ip" => ip,
        }),
        layout!("hwerr_cper", Cper, {
            "section_type" => section_type, "fru_id" => fru_id,
            "ghes_severity" => ghes_severity, "decoded" => decoded,
            "section_length" => section_length, "reserved" => reserved,
            "fru_text" => fru_text, "u" => u,
        }),
        layout!("hwerr_memory_failure", MemoryFailure, {
            "pfn" => pfn, "page_type" => page_type, "result" => result, "pid" => pid,
            "tasks" => tasks, "comm" => comm, "cgroup_id" => cgroup_id,
        }),
        layout!("hwerr_software", Software, {
            "code" => code, "reserved" => reserved, "data" => data, "origin" => origin,
            "msg" => msg,
        }),
        layout!("hwerr_lost", Lost, {
            "reason" => reason, "reserved" => reserved, "total" => total,
            "first_seq" => first_seq, "by_source" => by_source,
        }),
        layout!("hwerr_hadetect", Hadetect, {
            "event" => event, "fault_class" => fault_class, "action" => action,
            "health" => health, "flags" => flags, "object" => object, "result" => result,
            "attempt" => attempt, "count" => count, "threshold" => threshold,
            "window_ms" => window_ms, "trigger_seq" => trigger_seq, "score" => score,
            "reasons" => reasons, "pid" => pid, "reserved" => reserved, "label" => label,
            "cgroup_id" => cgroup_id,
        }),
        layout!("hwerr_cluster", Cluster, {
            "event" => event, "state" => state, "old_state" => old_state,
            "reason" => reason, "node" => node, "cluster_id" => cluster_id,
            "local_node" => local_node, "epoch" => epoch, "incarnation" => incarnation,
            "silent_ms" => silent_ms, "arg" => arg, "rtt_us" => rtt_us,
            "jitter_us" => jitter_us, "up_members" => up_members,
        }),
        layout!("hwerr_crash", Crash, {
            "status" => status, "error" => error, "state" => state, "reason" => reason,
            "cpu" => cpu, "flags" => flags, "addr" => addr, "generation" => generation,
            "realtime_ns" => realtime_ns, "taint" => taint, "last_seq" => last_seq,
            "records" => records, "log_len" => log_len, "message" => message,
        }),
        layout!("hwerr_handoff", Handoff, {
            "from" => from, "to" => to, "reason" => reason, "reserved" => reserved,
            "error" => error, "attempt" => attempt, "handoffs" => handoffs,
            "carried" => carried, "lost" => lost, "blackout_ns" => blackout_ns,
            "release" => release,
        }),
        layout!("hwerr_source_stats", SourceStats, {
            "captured" => captured, "dropped" => dropped,
        }),
        layout!("hwerr_stats", Stats, {
            "abi_version" => abi_version, "record_size" => record_size,
            "log_capacity" => log_capacity, "log_used" => log_used,
            "oldest_seq" => oldest_seq, "next_seq" => next_seq, "evicted" => evicted,
            "reader_cursor" => reader_cursor, "reader_missed" => reader_missed,
            "reader_read" => reader_read, "source" => source,
        }),
        layout!("hwerr_filter", Filter, {
            "source_mask" => source_mask, "severity_mask" => severity_mask,
        }),
        layout!("hwerr_seek", Seek, { "whence" => whence, "reserved" => reserved, "seq" => seq }),
        layout!("hadetect_agent", Agent, {
            "name" => name, "period_ms" => period_ms, "escalate_ms" => escalate_ms,
        }),
    ]
}

/// The C headers, as the test compiles them.
const HEADERS: [&str; 2] = ["linux/hwerr.h", "linux/hadetect.h"];

fn include_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../include/uapi")
}

/// Runs a C program against the headers; returns its output lines.
fn run_c(body: &str) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("layout.c");
    let exe = dir.path().join("layout");
    let inc = include_dir();
    let includes: String = HEADERS
        .iter()
        .map(|h| format!("#include <{h}>\n"))
        .collect();
    let prog = format!(
        "#include <stddef.h>\n#include <stdio.h>\n{includes}\
         int main(void) {{\n{body}\treturn 0;\n}}\n"
    );
    std::fs::write(&src, prog).expect("write layout.c");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Werror", "-I"])
        .arg(&inc)
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("run the C compiler");
    assert!(
        out.status.success(),
        "{cc} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(&exe).output().expect("run layout");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_struct_and_field_agrees_with_the_c_header() {
    let layouts = layouts();
    let mut body = String::new();
    let mut want = Vec::new();
    for l in &layouts {
        let t = format!("struct {}", l.c);
        writeln!(
            body,
            "\tprintf(\"{t} %zu %zu\\n\", sizeof({t}), _Alignof({t}));"
        )
        .unwrap();
        want.push(format!("{t} {} {}", l.size, l.align));
        for (f, off, size) in &l.fields {
            writeln!(
                body,
                "\tprintf(\"{t}.{f} %zu %zu\\n\", offsetof({t}, {f}), sizeof((({t} *)0)->{f}));"
            )
            .unwrap();
            want.push(format!("{t}.{f} {off} {size}"));
        }
    }
    let got = run_c(&body);
    let diff: Vec<String> = want
        .iter()
        .zip(got.iter())
        .filter(|(w, g)| w != g)
        .map(|(w, g)| format!("rust: {w}\n   c: {g}"))
        .collect();
    assert!(diff.is_empty(), "layouts differ:\n{}", diff.join("\n"));
    assert_eq!(got.len(), want.len());
}

#[test]
fn listed_fields_tile_every_struct() {
    for l in layouts() {
        let mut at = 0;
        for (f, off, size) in &l.fields {
            assert_eq!(*off, at, "{}.{f}: gap or overlap", l.c);
            at += size;
        }
        assert_eq!(at, l.size, "{}: bytes not covered by a listed field", l.c);
    }
}

/// A non-negative `int` constant, as the C program prints it.
fn signed(v: i32) -> u64 {
    u64::try_from(v).expect("non-negative")
}

/// Constants: the C spelling and the Rust value.
fn consts() -> Vec<(&'static str, u64)> {
    vec![
        ("HWERR_ABI_VERSION", u64::from(ABI_VERSION)),
        ("HWERR_RECORD_SIZE", RECORD_SIZE as u64),
        ("HWERR_PAYLOAD_SIZE", PAYLOAD_SIZE as u64),
        ("HWERR_SRC_SLOTS", SRC_SLOTS as u64),
        ("HWERR_SRC_MCE", u64::from(SRC_MCE)),
        ("HWERR_SRC_EDAC", u64::from(SRC_EDAC)),
        ("HWERR_SRC_AER", u64::from(SRC_AER)),
        ("HWERR_SRC_NMI", u64::from(SRC_NMI)),
        ("HWERR_SRC_GHES", u64::from(SRC_GHES)),
        ("HWERR_SRC_MEMORY_FAILURE", u64::from(SRC_MEMORY_FAILURE)),
        ("HWERR_SRC_SOFTWARE", u64::from(SRC_SOFTWARE)),
        ("HWERR_SRC_LOST", u64::from(SRC_LOST)),
        ("HWERR_SRC_NR", u64::from(SRC_NR)),
        ("HWERR_SEV_INFO", u64::from(SEV_INFO)),
        ("HWERR_SEV_CORRECTED", u64::from(SEV_CORRECTED)),
        ("HWERR_SEV_DEFERRED", u64::from(SEV_DEFERRED)),
        ("HWERR_SEV_RECOVERABLE", u64::from(SEV_RECOVERABLE)),
        ("HWERR_SEV_FATAL", u64::from(SEV_FATAL)),
        ("HWERR_SEV_NR", u64::from(SEV_NR)),
        ("HWERR_F_ACTION_REQUIRED", u64::from(F_ACTION_REQUIRED)),
        ("HWERR_F_CEC_ABSORBED", u64::from(F_CEC_ABSORBED)),
        ("HWERR_F_SYNTHETIC", u64::from(F_SYNTHETIC)),
        ("HWERR_F_TASK", u64::from(F_TASK)),
        ("HWERR_F_TRUNCATED", u64::from(F_TRUNCATED)),
        ("HWERR_F_COALESCED", u64::from(F_COALESCED)),
        ("HWERR_F_MIXED", u64::from(F_MIXED)),
        ("HWERR_F_PREVIOUS_BOOT", u64::from(F_PREVIOUS_BOOT)),
        ("HWERR_NMI_UNKNOWN", u64::from(NMI_UNKNOWN)),
        ("HWERR_NMI_SERR", u64::from(NMI_SERR)),
        ("HWERR_NMI_IO_CHECK", u64::from(NMI_IO_CHECK)),
        ("HWERR_CPER_SEC_UNKNOWN", u64::from(CPER_SEC_UNKNOWN)),
        ("HWERR_CPER_SEC_MEM", u64::from(CPER_SEC_MEM)),
        ("HWERR_CPER_SEC_PCIE", u64::from(CPER_SEC_PCIE)),
        ("HWERR_CPER_SEC_PROC", u64::from(CPER_SEC_PROC)),
        ("HWERR_CODE_SOURCE_ENABLED", u64::from(CODE_SOURCE_ENABLED)),
        (
            "HWERR_CODE_SOURCE_DISABLED",
            u64::from(CODE_SOURCE_DISABLED),
        ),
        ("HWERR_LOST_CAPTURE", u64::from(LOST_CAPTURE)),
        ("HWERR_LOST_OVERRUN", u64::from(LOST_OVERRUN)),
        ("HWERR_LOST_HANDOFF", u64::from(LOST_HANDOFF)),
        ("HWERR_SEEK_OLDEST", u64::from(SEEK_OLDEST)),
        ("HWERR_SEEK_NEWEST", u64::from(SEEK_NEWEST)),
        ("HWERR_SEEK_SEQ", u64::from(SEEK_SEQ)),
        ("HWERR_IOC_MAGIC", u64::from(IOC_MAGIC)),
        ("HWERR_IOC_ABI_VERSION", u64::from(IOC_ABI_VERSION)),
        ("HWERR_IOC_GET_STATS", u64::from(IOC_GET_STATS)),
        ("HWERR_IOC_SET_FILTER", u64::from(IOC_SET_FILTER)),
        ("HWERR_IOC_GET_FILTER", u64::from(IOC_GET_FILTER)),
        ("HWERR_IOC_SEEK", u64::from(IOC_SEEK)),
        ("offsetof(struct hwerr_cper, u)", CPER_U_OFFSET as u64),
        ("HWERR_SRC_NONE", u64::from(SRC_NONE)),
        ("HWERR_SRC_HADETECT", u64::from(SRC_HADETECT)),
        ("HWERR_HD_OPENED", u64::from(HD_OPENED)),
        ("HWERR_HD_FIRED", u64::from(HD_FIRED)),
        ("HWERR_HD_ISOLATED", u64::from(HD_ISOLATED)),
        ("HWERR_HD_FAILED", u64::from(HD_FAILED)),
        ("HWERR_HD_GAVE_UP", u64::from(HD_GAVE_UP)),
        ("HWERR_HD_DRY_RUN", u64::from(HD_DRY_RUN)),
        ("HWERR_HD_CAPPED", u64::from(HD_CAPPED)),
        ("HWERR_HD_REFUSED", u64::from(HD_REFUSED)),
        ("HWERR_HD_CONTAINED", u64::from(HD_CONTAINED)),
        ("HWERR_HD_HEALTH", u64::from(HD_HEALTH)),
        ("HWERR_HD_AGENT", u64::from(HD_AGENT)),
        ("HWERR_HD_CLEARED", u64::from(HD_CLEARED)),
        ("HWERR_HD_OVERLOAD", u64::from(HD_OVERLOAD)),
        ("HWERR_HD_NONE", u64::from(HD_NONE)),
        ("HWERR_HD_PAGE", u64::from(HD_PAGE)),
        ("HWERR_HD_DIMM", u64::from(HD_DIMM)),
        ("HWERR_HD_CPU", u64::from(HD_CPU)),
        ("HWERR_HD_CACHE", u64::from(HD_CACHE)),
        ("HWERR_HD_PCI", u64::from(HD_PCI)),
        ("HWERR_HD_NODE", u64::from(HD_NODE)),
        ("HWERR_HD_CLASS_NR", u64::from(HD_CLASS_NR)),
        ("HWERR_HD_ACT_NONE", u64::from(HD_ACT_NONE)),
        ("HWERR_HD_ACT_SOFT_OFFLINE", u64::from(HD_ACT_SOFT_OFFLINE)),
        ("HWERR_HD_ACT_CPU_OFFLINE", u64::from(HD_ACT_CPU_OFFLINE)),
        ("HWERR_HD_ACT_PCI_UNBIND", u64::from(HD_ACT_PCI_UNBIND)),
        ("HWERR_HD_ACT_PCI_REMOVE", u64::from(HD_ACT_PCI_REMOVE)),
        ("HWERR_HD_ACT_NR", u64::from(HD_ACT_NR)),
        ("HWERR_HD_GREEN", u64::from(HD_GREEN)),
        ("HWERR_HD_YELLOW", u64::from(HD_YELLOW)),
        ("HWERR_HD_RED", u64::from(HD_RED)),
        ("HWERR_HD_R_FAULT", u64::from(HD_R_FAULT)),
        ("HWERR_HD_R_ISOLATED", u64::from(HD_R_ISOLATED)),
        ("HWERR_HD_R_RETRYING", u64::from(HD_R_RETRYING)),
        (
            "HWERR_HD_R_ISOLATION_FAILED",
            u64::from(HD_R_ISOLATION_FAILED),
        ),
        ("HWERR_HD_R_CAP_REACHED", u64::from(HD_R_CAP_REACHED)),
        ("HWERR_HD_R_FATAL", u64::from(HD_R_FATAL)),
        ("HWERR_HD_R_OVERLOAD", u64::from(HD_R_OVERLOAD)),
        ("HWERR_HD_R_AGENT_LATE", u64::from(HD_R_AGENT_LATE)),
        ("HWERR_HD_R_AGENT_DEAD", u64::from(HD_R_AGENT_DEAD)),
        ("HWERR_HD_R_TABLE_FULL", u64::from(HD_R_TABLE_FULL)),
        ("HWERR_HD_AGENT_REGISTERED", signed(HD_AGENT_REGISTERED)),
        ("HWERR_HD_AGENT_LATE", signed(HD_AGENT_LATE)),
        ("HWERR_HD_AGENT_DEAD", signed(HD_AGENT_DEAD)),
        ("HWERR_HD_AGENT_BACK", signed(HD_AGENT_BACK)),
        ("HWERR_HD_AGENT_LEFT", signed(HD_AGENT_LEFT)),
        ("HWERR_HD_AGENT_LOST", signed(HD_AGENT_LOST)),
        ("HWERR_HD_F_DRY_RUN", u64::from(HD_F_DRY_RUN)),
        ("HWERR_HD_F_IMMEDIATE", u64::from(HD_F_IMMEDIATE)),
        ("HWERR_SRC_CLUSTER", u64::from(SRC_CLUSTER)),
        ("HWERR_SRC_CRASH", u64::from(SRC_CRASH)),
        ("HWERR_SRC_HANDOFF", u64::from(SRC_HANDOFF)),
        ("HWERR_CL_PEER", u64::from(CL_PEER)),
        ("HWERR_CL_LOCAL", u64::from(CL_LOCAL)),
        ("HWERR_CL_DOWN", u64::from(CL_DOWN)),
        ("HWERR_CL_JOINING", u64::from(CL_JOINING)),
        ("HWERR_CL_UP", u64::from(CL_UP)),
        ("HWERR_CL_SUSPECT", u64::from(CL_SUSPECT)),
        ("HWERR_CL_DYING", u64::from(CL_DYING)),
        ("HWERR_CL_LEFT", u64::from(CL_LEFT)),
        ("HWERR_CL_HANDOFF", u64::from(CL_HANDOFF)),
        ("HWERR_CL_STATE_NR", u64::from(CL_STATE_NR)),
        ("HWERR_CL_R_NONE", u64::from(CL_R_NONE)),
        ("HWERR_CL_R_PANIC", u64::from(CL_R_PANIC)),
        ("HWERR_CL_R_OOPS", u64::from(CL_R_OOPS)),
        ("HWERR_CL_R_HW_FATAL", u64::from(CL_R_HW_FATAL)),
        ("HWERR_CL_R_KEXEC", u64::from(CL_R_KEXEC)),
        ("HWERR_CL_R_SHUTDOWN", u64::from(CL_R_SHUTDOWN)),
        ("HWERR_CL_R_OVERLOAD", u64::from(CL_R_OVERLOAD)),
        ("HWERR_CL_R_HANDOFF", u64::from(CL_R_HANDOFF)),
        ("HWERR_CL_R_TIMEOUT", u64::from(CL_R_TIMEOUT)),
        ("HWERR_CL_R_ADMIN", u64::from(CL_R_ADMIN)),
        ("HWERR_CL_R_KDUMP", u64::from(CL_R_KDUMP)),
        ("HWERR_CL_R_DUMPED", u64::from(CL_R_DUMPED)),
        ("HWERR_CL_R_NR", u64::from(CL_R_NR)),
        ("HWERR_CRASH_VALID", u64::from(CRASH_VALID)),
        ("HWERR_CRASH_NONE", u64::from(CRASH_NONE)),
        ("HWERR_CRASH_INVALID", u64::from(CRASH_INVALID)),
        ("HWERR_CRASH_LIVE", u64::from(CRASH_LIVE)),
        ("HWERR_CRASH_CRASHED", u64::from(CRASH_CRASHED)),
        ("HWERR_CRASH_R_NONE", u64::from(CRASH_R_NONE)),
        ("HWERR_CRASH_R_PANIC", u64::from(CRASH_R_PANIC)),
        ("HWERR_CRASH_R_OOPS", u64::from(CRASH_R_OOPS)),
        ("HWERR_CRASH_R_HW_FATAL", u64::from(CRASH_R_HW_FATAL)),
        ("HWERR_CRASH_R_NR", u64::from(CRASH_R_NR)),
        ("HWERR_HO_IDLE", u64::from(HO_IDLE)),
        ("HWERR_HO_PREPARING", u64::from(HO_PREPARING)),
        ("HWERR_HO_READY", u64::from(HO_READY)),
        ("HWERR_HO_COMMITTED", u64::from(HO_COMMITTED)),
        ("HWERR_HO_RESTORED", u64::from(HO_RESTORED)),
        ("HWERR_HO_ABORTED", u64::from(HO_ABORTED)),
        ("HWERR_HO_PHASE_NR", u64::from(HO_PHASE_NR)),
        ("HWERR_HO_R_NONE", u64::from(HO_R_NONE)),
        ("HWERR_HO_R_REQUESTED", u64::from(HO_R_REQUESTED)),
        ("HWERR_HO_R_KHO_DISABLED", u64::from(HO_R_KHO_DISABLED)),
        (
            "HWERR_HO_R_PRESERVE_FAILED",
            u64::from(HO_R_PRESERVE_FAILED),
        ),
        ("HWERR_HO_R_REBOOTED", u64::from(HO_R_REBOOTED)),
        ("HWERR_HO_R_NR", u64::from(HO_R_NR)),
        ("HADETECT_AGENT_NAME_LEN", AGENT_NAME_LEN as u64),
        ("HADETECT_IOC_MAGIC", u64::from(HADETECT_IOC_MAGIC)),
    ]
}

/// `/dev/hadetect`'s ioctl numbers: the C macro and the Rust value.
fn hadetect_ioctls() -> [(&'static str, u32); 3] {
    [
        ("HADETECT_IOC_REGISTER", HADETECT_IOC_REGISTER),
        ("HADETECT_IOC_HEARTBEAT", HADETECT_IOC_HEARTBEAT),
        ("HADETECT_IOC_UNREGISTER", HADETECT_IOC_UNREGISTER),
    ]
}

#[test]
fn constants_agree_with_the_c_header() {
    let consts = consts();
    let mut body = String::new();
    for (c, _) in &consts {
        writeln!(body, "\tprintf(\"%llu\\n\", (unsigned long long)({c}));").unwrap();
    }
    let got = run_c(&body);
    for ((c, v), g) in consts.iter().zip(got.iter()) {
        assert_eq!(g, &v.to_string(), "{c}");
    }
    assert_eq!(got.len(), consts.len());
}

#[test]
fn hadetect_ioctl_numbers_agree_with_the_c_header() {
    let ioctls = hadetect_ioctls();
    let mut body = String::new();
    for (c, _) in &ioctls {
        writeln!(body, "\tprintf(\"%lu\\n\", (unsigned long)({c}));").unwrap();
    }
    let got = run_c(&body);
    for ((c, v), g) in ioctls.iter().zip(got.iter()) {
        assert_eq!(g, &v.to_string(), "{c}: C {g}, Rust {v} ({v:#x})");
    }
    assert_eq!(got.len(), ioctls.len());
    // Distinct, and _IOW/_IO as documented: direction, size, type, number.
    assert_eq!(HADETECT_IOC_REGISTER >> 30, 1, "_IOW");
    assert_eq!(
        (HADETECT_IOC_REGISTER >> 16) & 0x3fff,
        std::mem::size_of::<Agent>() as u32
    );
    for (i, (c, v)) in ioctls.iter().enumerate() {
        assert_eq!((v >> 8) & 0xff, HADETECT_IOC_MAGIC, "{c}");
        assert_eq!(v & 0xff, i as u32, "{c}");
    }
    assert_eq!(HADETECT_IOC_HEARTBEAT >> 16, 0, "_IO");
    assert_eq!(HADETECT_IOC_UNREGISTER >> 16, 0, "_IO");
}

/// Every object-like `HWERR_*`/`HADETECT_*` macro and enum member the headers
/// define is compared above: a constant added to a header without its Rust twin (or
/// without a line here) fails.
#[test]
fn every_header_constant_is_checked() {
    let checked: Vec<&str> = consts()
        .iter()
        .map(|&(c, _)| c)
        .chain(hadetect_ioctls().iter().map(|&(c, _)| c))
        .collect();
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for h in HEADERS {
        let text = std::fs::read_to_string(include_dir().join(h)).expect("read header");
        for line in text.lines() {
            let name = if let Some(rest) = line.strip_prefix("#define") {
                rest.split_whitespace().next()
            } else if line.starts_with('\t') && line.contains('=') {
                line.split(|c: char| c.is_whitespace() || c == '=')
                    .find(|w| !w.is_empty())
            } else {
                None
            };
            let Some(name) = name else { continue };
            if (name.starts_with("HWERR_") || name.starts_with("HADETECT_"))
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            {
                found.push(name.to_owned());
                if !checked.contains(&name) {
                    missing.push(format!("{h}: {name}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "not checked:\n{}", missing.join("\n"));
    // The parse sees #defines and enum members of both headers.
    for want in [
        "HWERR_ABI_VERSION",
        "HWERR_SRC_HADETECT",
        "HWERR_HD_R_TABLE_FULL",
        "HWERR_HD_AGENT_LOST",
        "HWERR_SRC_CLUSTER",
        "HWERR_CL_R_KDUMP",
        "HWERR_CRASH_R_HW_FATAL",
        "HWERR_CRASH_LIVE",
        "HWERR_SRC_HANDOFF",
        "HWERR_HO_R_PRESERVE_FAILED",
        "HADETECT_AGENT_NAME_LEN",
        "HADETECT_IOC_REGISTER",
    ] {
        assert!(found.iter().any(|f| f == want), "{want} not parsed");
    }
}
