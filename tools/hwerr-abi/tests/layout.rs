// SPDX-License-Identifier: GPL-2.0

//! The Rust ABI (`include/uapi/linux/hwerr.rs`) and the C header
//! (`include/uapi/linux/hwerr.h`) agree: same size and alignment for every struct,
//! same offset and size for every field.
//!
//! The test writes a C program that prints `offsetof`/`sizeof` of the C spelling of
//! each field listed below, compiles it against the header with `$CC` (default
//! `cc`) and compares. A field missing from the header fails the compile. Every
//! struct's listed fields must also tile it exactly (no gaps, nothing left over),
//! so a field added to one side only cannot go unnoticed.

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
            "severity" => severity, "reserved0" => reserved0, "flags" => flags,
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
            "tasks" => tasks, "comm" => comm,
        }),
        layout!("hwerr_software", Software, {
            "code" => code, "reserved" => reserved, "data" => data, "origin" => origin,
            "msg" => msg,
        }),
        layout!("hwerr_lost", Lost, {
            "reason" => reason, "reserved" => reserved, "total" => total,
            "first_seq" => first_seq, "by_source" => by_source,
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
    ]
}

/// Runs a C program against the header; returns its output lines.
fn run_c(body: &str) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("layout.c");
    let exe = dir.path().join("layout");
    let inc = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../include/uapi");
    let prog = format!(
        "#include <stddef.h>\n#include <stdio.h>\n#include <linux/hwerr.h>\n\
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

#[test]
fn constants_agree_with_the_c_header() {
    let consts = [
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
    ];
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
