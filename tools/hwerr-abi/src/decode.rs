// SPDX-License-Identifier: GPL-2.0

//! Records in a form people and JSON consumers can read.

use crate::abi::{self, Record};
use serde::Serialize;
use std::fmt;
use zerocopy::FromBytes;

/// One record, decoded.
#[derive(Debug, Serialize)]
pub struct Event {
    /// Log sequence number.
    pub seq: u64,
    /// Source name (`SOURCE_NAMES`).
    pub source: &'static str,
    /// Severity name (`SEVERITY_NAMES`).
    pub severity: &'static str,
    /// Names of the set `F_*` flags.
    pub flags: Vec<&'static str>,
    /// CPU that captured it.
    pub cpu: u32,
    /// Carried here through this many kexec handoffs (the header's `boot`); absent
    /// for a record this kernel captured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boot: Option<u8>,
    /// Occurrences.
    pub count: u32,
    /// `CLOCK_BOOTTIME` at capture, ns.
    pub boottime_ns: u64,
    /// `CLOCK_REALTIME` at capture, ns.
    pub realtime_ns: u64,
    /// A storm summary (`coalesced` flag): `CLOCK_BOOTTIME` of the last error, ns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_boottime_ns: Option<u64>,
    /// The per-source fields.
    pub detail: Detail,
}

/// The per-source part of an [`Event`].
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Detail {
    /// x86 machine check.
    Mce {
        /// Bank.
        bank: u8,
        /// MCi_STATUS.
        status: u64,
        /// MCi_ADDR.
        addr: u64,
        /// MCi_MISC.
        misc: u64,
        /// MCG_STATUS.
        mcgstatus: u64,
        /// Linux CPU that detected it.
        extcpu: u32,
        /// Socket.
        socketid: u32,
    },
    /// EDAC memory controller.
    Edac {
        /// Controller index.
        mc: u8,
        /// Physical address.
        address: u64,
        /// Syndrome.
        syndrome: u64,
        /// Error count.
        error_count: u32,
        /// Layer positions (-1 unknown).
        layer: [i8; 3],
        /// DIMM label.
        label: String,
        /// EDAC's message.
        msg: String,
    },
    /// PCIe AER.
    Aer {
        /// Device name.
        dev: String,
        /// 0 non-fatal, 1 fatal, 2 correctable.
        aer_severity: u8,
        /// Status bits.
        status: u32,
        /// TLP header, if valid.
        tlp_header: Option<[u32; 4]>,
    },
    /// NMI.
    Nmi {
        /// "unknown", "serr" or "io_check".
        nmi_type: &'static str,
        /// Reason port bits.
        reason: u8,
    },
    /// GHES / CPER section.
    Ghes {
        /// Section type GUID.
        section_type: String,
        /// `CPER_SEC_*` decoded kind.
        decoded: u32,
        /// GHES severity.
        ghes_severity: u32,
        /// Section length.
        section_length: u32,
    },
    /// Memory failure handling.
    MemoryFailure {
        /// Page frame.
        pfn: u64,
        /// Page type.
        page_type: u32,
        /// 0 ignored, 1 failed, 2 delayed, 3 recovered.
        result: u32,
        /// The first process the kernel signalled for the page, if any.
        pid: Option<i32>,
        /// Its name.
        comm: Option<String>,
        /// Processes signalled.
        tasks: Option<u32>,
        /// The first one's cgroup v2 id.
        cgroup_id: Option<u64>,
    },
    /// Reported by a kernel module.
    Software {
        /// Reporting module.
        origin: String,
        /// Reporter's code.
        code: u32,
        /// Reporter's data.
        data: [u64; 4],
        /// Message.
        msg: String,
    },
    /// Records lost.
    Lost {
        /// "capture", "overrun" or "handoff".
        reason: &'static str,
        /// Records lost.
        total: u64,
        /// First missed sequence number (overrun).
        first_seq: u64,
        /// Per source name, where non-zero.
        by_source: Vec<(&'static str, u64)>,
    },
    /// A decision of hadetect or a change of the node's health.
    Hadetect {
        /// Event name (`HD_EVENT_NAMES`).
        event: &'static str,
        /// Fault class name (`HD_CLASS_NAMES`).
        class: &'static str,
        /// The object of the class: pfn, CPU, BDF or DIMM (see the UAPI header).
        object: u64,
        /// The object in the form an admin knows: `pfn 0x…`, `cpu1`, `0000:01:00.0`.
        component: String,
        /// Action name (`HD_ACT_NAMES`).
        action: &'static str,
        /// `-errno` of a failed action; overload: 1 begins, 0 ends.
        result: i32,
        /// Actions tried so far.
        attempt: u32,
        /// Errors within the rule's window.
        count: u32,
        /// The rule's N.
        threshold: u32,
        /// The rule's T in ms.
        window_ms: u64,
        /// Sequence number of the record that caused it.
        trigger_seq: u64,
        /// Health after the event.
        health: &'static str,
        /// Health score after the event.
        score: u32,
        /// Reason names after the event.
        reasons: Vec<&'static str>,
        /// Decided in dry-run.
        dry_run: bool,
        /// Fired at once on an uncorrected error.
        immediate: bool,
        /// Contained error or agent: the process.
        pid: i32,
        /// DIMM label, device, agent or process name.
        label: String,
        /// Contained: the process's cgroup v2 id (0 unknown).
        cgroup_id: u64,
    },
    /// A change of cluster_msg's membership view, or of this node's own part in it.
    Cluster {
        /// "peer" (a peer's state changed), "local" (this node's) or "unknown".
        event: &'static str,
        /// The peer's node id; for a local event, this node's.
        node: u32,
        /// This node's id.
        local_node: u32,
        /// The cluster id.
        cluster_id: u32,
        /// State before the change (`CL_STATE_NAMES`).
        old_state: &'static str,
        /// State after the change (`CL_STATE_NAMES`).
        state: &'static str,
        /// Why (`CL_REASON_NAMES`); "none" when no reason applies.
        reason: &'static str,
        /// This node's membership epoch after the change.
        epoch: u64,
        /// The peer's boot id (local: this node's), 32 hex digits.
        incarnation: String,
        /// Since the peer was last heard (suspect, down), ms.
        silent_ms: u32,
        /// Handoff: ms the peer said it would be back within; else 0.
        arg: u32,
        /// Smoothed round-trip time to the peer, µs; 0 if unknown.
        rtt_us: u32,
        /// Round-trip jitter, µs; 0 if unknown.
        jitter_us: u32,
        /// Members up (heartbeats both ways) after the change, this node excluded.
        up_members: u64,
    },
    /// What crashdump found of the previous kernel's crash record.
    Crash {
        /// "valid", "none" (no record address given) or "invalid".
        status: &'static str,
        /// Invalid: why, 1..11 (Documentation/hasys/crashdump.rst); else 0.
        error: u32,
        /// "live" (its crash wrote none), "crashed", or "unknown".
        state: &'static str,
        /// Why it went down (`CRASH_REASON_NAMES`).
        reason: &'static str,
        /// The CPU that wrote the record.
        cpu: u32,
        /// The record's flags.
        flags: u32,
        /// Physical address of the record.
        addr: u64,
        /// The record's write count.
        generation: u64,
        /// The crashed kernel's `CLOCK_REALTIME` when the record was written.
        realtime_ns: u64,
        /// Its taint mask.
        taint: u64,
        /// Its last hwerr sequence number.
        last_seq: u64,
        /// hwerr records the crash record holds.
        records: u32,
        /// Bytes of kernel log tail it holds.
        log_len: u32,
        /// The panic message's start.
        message: String,
    },
    /// A phase change of a planned kexec handoff (kexec_handoff).
    Handoff {
        /// Phase before the change (`HO_PHASE_NAMES`).
        from: &'static str,
        /// Phase after it (`HO_PHASE_NAMES`).
        to: &'static str,
        /// Why it ended aborted (`HO_REASON_NAMES`); "none" otherwise.
        reason: &'static str,
        /// Preserve-failed: the negative errno; else 0.
        error: i32,
        /// The preparation number.
        attempt: u32,
        /// Handoffs the state has been through (restored).
        handoffs: u32,
        /// Restored: hwerr records restored; else 0.
        carried: u32,
        /// Records that could not be carried.
        lost: u32,
        /// Restored: the old kernel's commit to this restore, ns; else 0.
        blackout_ns: u64,
        /// Restored: the old kernel's release; else this kernel's.
        release: String,
    },
    /// A source this tool does not know.
    Unknown,
}

fn name(names: &[&'static str], i: u8) -> &'static str {
    names.get(usize::from(i)).copied().unwrap_or("unknown")
}

fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

fn payload<T: FromBytes>(rec: &Record) -> Option<T> {
    T::read_from_prefix(&rec.payload[..]).ok().map(|(t, _)| t)
}

fn guid(b: &[u8; 16]) -> String {
    format!(
        "{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{}",
        u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_le_bytes([b[4], b[5]]),
        u16::from_le_bytes([b[6], b[7]]),
        b[8],
        b[9],
        b[10..]
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<String>()
    )
}

const FLAG_NAMES: [(u16, &str); 8] = [
    (abi::F_ACTION_REQUIRED, "action_required"),
    (abi::F_CEC_ABSORBED, "cec_absorbed"),
    (abi::F_SYNTHETIC, "synthetic"),
    (abi::F_TASK, "task"),
    (abi::F_TRUNCATED, "truncated"),
    (abi::F_COALESCED, "coalesced"),
    (abi::F_MIXED, "mixed"),
    (abi::F_PREVIOUS_BOOT, "previous_boot"),
];

/// Decodes one record.
pub fn decode(rec: &Record) -> Event {
    let h = &rec.hdr;
    let detail = match h.source {
        abi::SRC_MCE => payload::<abi::Mce>(rec).map(|m| Detail::Mce {
            bank: m.bank,
            status: m.status,
            addr: m.addr,
            misc: m.misc,
            mcgstatus: m.mcgstatus,
            extcpu: m.extcpu,
            socketid: m.socketid,
        }),
        abi::SRC_EDAC => payload::<abi::Edac>(rec).map(|e| Detail::Edac {
            mc: e.mc_index,
            address: e.address,
            syndrome: e.syndrome,
            error_count: e.error_count,
            layer: e.layer,
            label: cstr(&e.label),
            msg: cstr(&e.msg),
        }),
        abi::SRC_AER => payload::<abi::Aer>(rec).map(|a| Detail::Aer {
            dev: cstr(&a.dev_name),
            aer_severity: a.aer_severity,
            status: a.status,
            tlp_header: (a.tlp_header_valid != 0).then_some(a.tlp_header),
        }),
        abi::SRC_NMI => payload::<abi::Nmi>(rec).map(|n| Detail::Nmi {
            nmi_type: match n.nmi_type {
                abi::NMI_SERR => "serr",
                abi::NMI_IO_CHECK => "io_check",
                _ => "unknown",
            },
            reason: n.reason,
        }),
        abi::SRC_GHES => payload::<abi::Cper>(rec).map(|c| Detail::Ghes {
            section_type: guid(&c.section_type),
            decoded: c.decoded,
            ghes_severity: c.ghes_severity,
            section_length: c.section_length,
        }),
        abi::SRC_MEMORY_FAILURE => payload::<abi::MemoryFailure>(rec).map(|m| {
            let task = h.flags & abi::F_TASK != 0;
            Detail::MemoryFailure {
                pfn: m.pfn,
                page_type: m.page_type,
                result: m.result,
                pid: task.then_some(m.pid),
                comm: task.then(|| cstr(&m.comm)),
                tasks: task.then_some(m.tasks),
                cgroup_id: task.then_some(m.cgroup_id),
            }
        }),
        abi::SRC_SOFTWARE => payload::<abi::Software>(rec).map(|s| Detail::Software {
            origin: cstr(&s.origin),
            code: s.code,
            data: s.data,
            msg: cstr(&s.msg),
        }),
        abi::SRC_LOST => payload::<abi::Lost>(rec).map(|l| Detail::Lost {
            reason: match l.reason {
                abi::LOST_OVERRUN => "overrun",
                abi::LOST_HANDOFF => "handoff",
                _ => "capture",
            },
            total: l.total,
            first_seq: l.first_seq,
            by_source: l
                .by_source
                .iter()
                .enumerate()
                .filter(|(_, n)| **n != 0)
                .map(|(i, n)| (abi::SOURCE_NAMES.get(i).copied().unwrap_or("unknown"), *n))
                .collect(),
        }),
        abi::SRC_HADETECT => payload::<abi::Hadetect>(rec).map(|d| Detail::Hadetect {
            event: hd_event_name(d.event),
            class: name(&abi::HD_CLASS_NAMES, d.fault_class),
            object: d.object,
            component: component(d.fault_class, d.object),
            action: name(&abi::HD_ACT_NAMES, d.action),
            result: d.result,
            attempt: d.attempt,
            count: d.count,
            threshold: d.threshold,
            window_ms: d.window_ms,
            trigger_seq: d.trigger_seq,
            health: name(&abi::HD_HEALTH_NAMES, d.health),
            score: d.score,
            reasons: reason_names(d.reasons),
            dry_run: d.flags & abi::HD_F_DRY_RUN != 0,
            immediate: d.flags & abi::HD_F_IMMEDIATE != 0,
            pid: d.pid,
            label: cstr(&d.label),
            cgroup_id: d.cgroup_id,
        }),
        abi::SRC_CLUSTER => payload::<abi::Cluster>(rec).map(|c| Detail::Cluster {
            event: match c.event {
                abi::CL_PEER => "peer",
                abi::CL_LOCAL => "local",
                _ => "unknown",
            },
            node: c.node,
            local_node: c.local_node,
            cluster_id: c.cluster_id,
            old_state: cl_state_name(c.old_state),
            state: cl_state_name(c.state),
            reason: cl_reason_name(c.reason),
            epoch: c.epoch,
            incarnation: hex(&c.incarnation),
            silent_ms: c.silent_ms,
            arg: c.arg,
            rtt_us: c.rtt_us,
            jitter_us: c.jitter_us,
            up_members: c.up_members,
        }),
        abi::SRC_CRASH => payload::<abi::Crash>(rec).map(|c| Detail::Crash {
            status: abi::CRASH_STATUS_NAMES
                .get(c.status as usize)
                .copied()
                .unwrap_or("unknown"),
            error: c.error,
            state: match c.state {
                abi::CRASH_LIVE => "live",
                abi::CRASH_CRASHED => "crashed",
                _ => "unknown",
            },
            reason: abi::CRASH_REASON_NAMES
                .get(c.reason as usize)
                .copied()
                .unwrap_or("unknown"),
            cpu: c.cpu,
            flags: c.flags,
            addr: c.addr,
            generation: c.generation,
            realtime_ns: c.realtime_ns,
            taint: c.taint,
            last_seq: c.last_seq,
            records: c.records,
            log_len: c.log_len,
            message: cstr(&c.message),
        }),
        abi::SRC_HANDOFF => payload::<abi::Handoff>(rec).map(|ho| Detail::Handoff {
            from: name(&abi::HO_PHASE_NAMES, ho.from),
            to: name(&abi::HO_PHASE_NAMES, ho.to),
            reason: name(&abi::HO_REASON_NAMES, ho.reason),
            error: ho.error,
            attempt: ho.attempt,
            handoffs: ho.handoffs,
            carried: ho.carried,
            lost: ho.lost,
            blackout_ns: ho.blackout_ns,
            release: cstr(&ho.release),
        }),
        _ => None,
    };
    Event {
        seq: h.seq,
        source: name(&abi::SOURCE_NAMES, h.source),
        severity: name(&abi::SEVERITY_NAMES, h.severity),
        flags: FLAG_NAMES
            .iter()
            .filter(|(f, _)| h.flags & f != 0)
            .map(|(_, n)| *n)
            .collect(),
        cpu: h.cpu,
        boot: (h.boot != 0).then_some(h.boot),
        count: h.count,
        boottime_ns: h.boottime_ns,
        realtime_ns: h.realtime_ns,
        last_boottime_ns: (h.flags & abi::F_COALESCED != 0).then_some(h.last_boottime_ns),
        detail: detail.unwrap_or(Detail::Unknown),
    }
}

/// hadetect's event names, indexed by `HD_*` event number.
pub const HD_EVENT_NAMES: [&str; 14] = [
    "unknown",
    "opened",
    "fired",
    "isolated",
    "failed",
    "gave-up",
    "dry-run",
    "capped",
    "refused",
    "contained",
    "health",
    "agent",
    "cleared",
    "overload",
];

fn hd_event_name(event: u32) -> &'static str {
    usize::try_from(event)
        .ok()
        .and_then(|i| HD_EVENT_NAMES.get(i))
        .copied()
        .unwrap_or("unknown")
}

/// The names of the `HD_R_*` bits set in `reasons`.
pub fn reason_names(reasons: u32) -> Vec<&'static str> {
    abi::HD_REASON_NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| reasons & (1 << i) != 0)
        .map(|(_, n)| *n)
        .collect()
}

/// A fault's object as an admin names it: `pfn 0x1234`, `cpu1`, `0000:01:00.0`,
/// `mc0 1.2.3`.
pub fn component(class: u8, object: u64) -> String {
    match class {
        abi::HD_PAGE => format!("pfn {object:#x}"),
        abi::HD_CPU | abi::HD_CACHE => format!("cpu{object}"),
        abi::HD_PCI => format!(
            "{:04x}:{:02x}:{:02x}.{}",
            object >> 16 & 0xffff,
            object >> 8 & 0xff,
            object >> 3 & 0x1f,
            object & 7
        ),
        abi::HD_DIMM => {
            let l = |s: u32| (object >> s & 0xff) as u8 as i8;
            format!("mc{} {}.{}.{}", object >> 24 & 0xff, l(16), l(8), l(0))
        }
        abi::HD_NODE => format!("source {}", name(&abi::SOURCE_NAMES, object as u8)),
        _ => String::new(),
    }
}

/// A cluster member state's name (`CL_STATE_NAMES`), "unknown" if out of range.
pub fn cl_state_name(state: u8) -> &'static str {
    name(&abi::CL_STATE_NAMES, state)
}

/// A cluster reason's name (`CL_REASON_NAMES`), "unknown" if out of range.
pub fn cl_reason_name(reason: u8) -> &'static str {
    name(&abi::CL_REASON_NAMES, reason)
}

/// Bytes as lowercase hex digits, two per byte.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A time in µs as ms for people: `1.2` from 1 ms up, `0.412` below.
pub fn us_as_ms(us: u64) -> String {
    if us >= 1000 {
        format!("{:.1}", us as f64 / 1000.0)
    } else {
        format!("0.{us:03}")
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{:>5}.{:06}] #{} {} {} cpu{}",
            self.boottime_ns / 1_000_000_000,
            self.boottime_ns % 1_000_000_000 / 1000,
            self.seq,
            self.source,
            self.severity,
            self.cpu
        )?;
        if let Some(boot) = self.boot {
            write!(f, " boot -{boot}")?;
        }
        if self.count > 1 {
            write!(f, " x{}", self.count)?;
        }
        if let Some(last) = self.last_boottime_ns {
            write!(
                f,
                " until {}.{:06}",
                last / 1_000_000_000,
                last % 1_000_000_000 / 1000
            )?;
        }
        for flag in &self.flags {
            write!(f, " +{flag}")?;
        }
        match &self.detail {
            Detail::Mce {
                bank,
                status,
                addr,
                misc,
                ..
            } => {
                write!(
                    f,
                    ": bank {bank} status {status:#018x} addr {addr:#x} misc {misc:#x}"
                )
            }
            Detail::Edac {
                mc,
                address,
                syndrome,
                label,
                msg,
                ..
            } => write!(
                f,
                ": mc{mc} addr {address:#x} syndrome {syndrome:#x} label \"{label}\" {msg}"
            ),
            Detail::Aer {
                dev,
                aer_severity,
                status,
                ..
            } => {
                write!(
                    f,
                    ": {dev} aer_severity {aer_severity} status {status:#010x}"
                )
            }
            Detail::Nmi { nmi_type, reason } => write!(f, ": {nmi_type} reason {reason:#04x}"),
            Detail::Ghes {
                section_type,
                section_length,
                ..
            } => {
                write!(f, ": section {section_type} ({section_length} bytes)")
            }
            Detail::MemoryFailure {
                pfn,
                result,
                pid,
                comm,
                tasks,
                cgroup_id,
                ..
            } => {
                write!(f, ": pfn {pfn:#x} result {result}")?;
                if let (Some(pid), Some(comm)) = (pid, comm) {
                    write!(f, " task {comm}[{pid}]")?;
                }
                if let Some(n) = tasks.filter(|n| *n > 1) {
                    write!(f, " (+{} more)", n - 1)?;
                }
                if let Some(id) = cgroup_id.filter(|id| *id != 0) {
                    write!(f, " cgroup {id}")?;
                }
                Ok(())
            }
            Detail::Software {
                origin, code, msg, ..
            } => {
                write!(f, ": {origin} code {code:#x} {msg}")
            }
            Detail::Lost {
                reason,
                total,
                by_source,
                ..
            } => {
                write!(f, ": {total} records lost ({reason})")?;
                for (s, n) in by_source {
                    write!(f, " {s}={n}")?;
                }
                Ok(())
            }
            Detail::Hadetect {
                event,
                class,
                component,
                action,
                result,
                attempt,
                count,
                threshold,
                window_ms,
                health,
                score,
                reasons,
                dry_run,
                pid,
                label,
                cgroup_id,
                ..
            } => {
                write!(f, ": {event}")?;
                if !class.is_empty() && *class != "none" {
                    write!(f, " {class} {component}")?;
                }
                if *event == "health" {
                    write!(f, " {health} score {score}")?;
                    if !reasons.is_empty() {
                        write!(f, " ({})", reasons.join(" "))?;
                    }
                } else if *count > 0 {
                    write!(f, " {count}/{threshold} in {window_ms} ms")?;
                }
                if *action != "none" {
                    write!(f, " action {action}")?;
                }
                if *attempt > 0 {
                    write!(f, " attempt {attempt}")?;
                }
                if *result != 0 {
                    write!(f, " result {result}")?;
                }
                if *dry_run {
                    write!(f, " (dry-run)")?;
                }
                if !label.is_empty() {
                    write!(f, " \"{label}\"")?;
                }
                if *pid > 0 {
                    write!(f, " pid {pid}")?;
                }
                if *cgroup_id != 0 {
                    write!(f, " cgroup {cgroup_id}")?;
                }
                Ok(())
            }
            Detail::Cluster {
                event,
                node,
                old_state,
                state,
                reason,
                epoch,
                silent_ms,
                arg,
                rtt_us,
                jitter_us,
                up_members,
                ..
            } => {
                match *event {
                    "peer" => write!(f, ": cluster node {node}: ")?,
                    "local" => write!(f, ": cluster this node ({node}): ")?,
                    _ => write!(f, ": cluster event ? node {node}: ")?,
                }
                write!(f, "{old_state} -> {state}")?;
                let mut why = Vec::new();
                if *reason != "none" {
                    why.push((*reason).to_owned());
                }
                if *silent_ms != 0 {
                    why.push(format!("silent {silent_ms} ms"));
                }
                if *state == "handoff" && *arg != 0 {
                    why.push(format!("back within {arg} ms"));
                }
                if !why.is_empty() {
                    write!(f, " ({})", why.join(", "))?;
                }
                write!(f, " epoch {epoch}")?;
                if *rtt_us != 0 {
                    write!(f, " rtt {} ms", us_as_ms(u64::from(*rtt_us)))?;
                }
                if *jitter_us != 0 {
                    write!(f, " jitter {} ms", us_as_ms(u64::from(*jitter_us)))?;
                }
                if *event == "peer" {
                    let s = if *up_members == 1 { "" } else { "s" };
                    write!(f, ", {up_members} peer{s} up")?;
                }
                Ok(())
            }
            Detail::Crash {
                status,
                error,
                state,
                reason,
                cpu,
                addr,
                records,
                log_len,
                message,
                ..
            } => {
                write!(f, ": crash record at {addr:#x}: {status}")?;
                if *status == "invalid" {
                    return write!(f, " (error {error})");
                }
                if *status != "valid" {
                    return Ok(());
                }
                write!(f, ", {state}")?;
                if *reason != "none" {
                    write!(f, " ({reason}) on cpu{cpu}")?;
                }
                write!(f, ", {records} records, {log_len} bytes of log")?;
                if !message.is_empty() {
                    write!(f, ": \"{message}\"")?;
                }
                Ok(())
            }
            Detail::Handoff {
                from,
                to,
                reason,
                error,
                attempt,
                handoffs,
                carried,
                lost,
                blackout_ns,
                release,
            } => {
                write!(f, ": handoff {from} -> {to}")?;
                if *reason != "none" {
                    write!(f, " ({reason}")?;
                    if *error != 0 {
                        write!(f, " {error}")?;
                    }
                    write!(f, ")")?;
                }
                if *attempt != 0 {
                    write!(f, " attempt {attempt}")?;
                }
                match *to {
                    "committed" => write!(f, ", {carried} records sealed")?,
                    "restored" => {
                        write!(f, ", handoff {handoffs}")?;
                        if !release.is_empty() {
                            write!(f, " from {release}")?;
                        }
                        write!(
                            f,
                            ", {carried} records restored, blackout {} ms",
                            blackout_ns / 1_000_000
                        )?;
                    }
                    _ => {}
                }
                if *lost != 0 {
                    write!(f, ", {lost} lost")?;
                }
                Ok(())
            }
            Detail::Unknown => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::IntoBytes;

    fn record(source: u8, severity: u8, payload: &[u8]) -> Record {
        let mut rec = Record {
            hdr: abi::Header {
                size: abi::RECORD_SIZE as u16,
                version: 1,
                source,
                severity,
                count: 1,
                seq: 42,
                boottime_ns: 3_500_000_000,
                ..abi::Header::default()
            },
            payload: [0; abi::PAYLOAD_SIZE],
        };
        rec.payload[..payload.len()].copy_from_slice(payload);
        rec
    }

    #[test]
    fn mce_line_and_json() {
        let mce = abi::Mce {
            status: 0x9000_0000_0000_1234,
            addr: 0x1000,
            bank: 4,
            ..abi::Mce::default()
        };
        let ev = decode(&record(abi::SRC_MCE, abi::SEV_CORRECTED, mce.as_bytes()));
        assert_eq!(
            ev.to_string(),
            "[    3.500000] #42 mce corrected cpu0: bank 4 status 0x9000000000001234 addr 0x1000 misc 0x0"
        );
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["detail"]["kind"], "mce");
        assert_eq!(json["detail"]["bank"], 4);
        assert_eq!(json["severity"], "corrected");
    }

    #[test]
    fn lost_lists_sources() {
        let mut lost = abi::Lost {
            reason: abi::LOST_OVERRUN,
            total: 5,
            first_seq: 7,
            ..abi::Lost::default()
        };
        lost.by_source[usize::from(abi::SRC_EDAC)] = 5;
        let mut rec = record(abi::SRC_LOST, abi::SEV_INFO, lost.as_bytes());
        rec.hdr.flags = abi::F_SYNTHETIC;
        let ev = decode(&rec);
        assert_eq!(ev.flags, vec!["synthetic"]);
        assert!(ev
            .to_string()
            .ends_with(": 5 records lost (overrun) edac=5"));
        let lost = abi::Lost {
            reason: abi::LOST_HANDOFF,
            total: 3,
            ..abi::Lost::default()
        };
        let ev = decode(&record(abi::SRC_LOST, abi::SEV_INFO, lost.as_bytes()));
        assert!(
            ev.to_string().ends_with(": 3 records lost (handoff)"),
            "{ev}"
        );
    }

    #[test]
    fn hadetect_isolation_and_health() {
        let mut hd = abi::Hadetect {
            event: abi::HD_ISOLATED,
            fault_class: abi::HD_PAGE,
            action: abi::HD_ACT_SOFT_OFFLINE,
            health: abi::HD_GREEN,
            flags: 0,
            object: 0x1234,
            result: 0,
            attempt: 1,
            count: 2,
            threshold: 2,
            window_ms: 86_400_000,
            trigger_seq: 7,
            score: 0,
            reasons: 0,
            pid: 0,
            reserved: 0,
            label: [0; 64],
            cgroup_id: 0,
        };
        let ev = decode(&record(abi::SRC_HADETECT, abi::SEV_INFO, hd.as_bytes()));
        assert!(ev.to_string().ends_with(
            "hadetect info cpu0: isolated page pfn 0x1234 2/2 in 86400000 ms action soft_offline attempt 1"
        ));
        hd.event = abi::HD_HEALTH;
        hd.fault_class = abi::HD_NONE;
        hd.health = abi::HD_RED;
        hd.reasons = abi::HD_R_FATAL | abi::HD_R_FAULT;
        hd.score = 110;
        hd.count = 0;
        hd.action = abi::HD_ACT_NONE;
        hd.attempt = 0;
        let ev = decode(&record(abi::SRC_HADETECT, abi::SEV_FATAL, hd.as_bytes()));
        assert!(ev
            .to_string()
            .ends_with(": health red score 110 (fault fatal)"));
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["detail"]["kind"], "hadetect");
        assert_eq!(json["detail"]["reasons"][1], "fatal");
        assert_eq!(component(abi::HD_PCI, 0x108), "0000:01:01.0");
        assert_eq!(component(abi::HD_DIMM, 0x0100_ffff), "mc1 0.-1.-1");
    }

    fn cluster(event: u8, old_state: u8, state: u8, reason: u8) -> abi::Cluster {
        abi::Cluster {
            event,
            state,
            old_state,
            reason,
            node: 2,
            cluster_id: 77,
            local_node: 1,
            epoch: 7,
            incarnation: [
                0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
                0x66, 0xff,
            ],
            silent_ms: 0,
            arg: 0,
            rtt_us: 0,
            jitter_us: 0,
            up_members: 0,
        }
    }

    #[test]
    fn cluster_peer_down() {
        let mut cl = cluster(abi::CL_PEER, abi::CL_UP, abi::CL_DOWN, abi::CL_R_TIMEOUT);
        cl.silent_ms = 412;
        cl.rtt_us = 1234;
        let ev = decode(&record(
            abi::SRC_CLUSTER,
            abi::SEV_RECOVERABLE,
            cl.as_bytes(),
        ));
        assert_eq!(
            ev.to_string(),
            "[    3.500000] #42 cluster_msg recoverable cpu0: cluster node 2: up -> down \
             (timeout, silent 412 ms) epoch 7 rtt 1.2 ms, 0 peers up"
        );
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["source"], "cluster_msg");
        let d = &json["detail"];
        assert_eq!(d["kind"], "cluster");
        assert_eq!(d["event"], "peer");
        assert_eq!(d["node"], 2);
        assert_eq!(d["local_node"], 1);
        assert_eq!(d["cluster_id"], 77);
        assert_eq!(d["old_state"], "up");
        assert_eq!(d["state"], "down");
        assert_eq!(d["reason"], "timeout");
        assert_eq!(d["epoch"], 7);
        assert_eq!(d["incarnation"], "0123456789abcdef00112233445566ff");
        assert_eq!(d["silent_ms"], 412);
        assert_eq!(d["rtt_us"], 1234);
        assert_eq!(d["up_members"], 0);
    }

    #[test]
    fn cluster_peer_join_and_handoff() {
        let mut cl = cluster(abi::CL_PEER, abi::CL_JOINING, abi::CL_UP, abi::CL_R_NONE);
        cl.epoch = 3;
        cl.rtt_us = 412;
        cl.jitter_us = 35;
        cl.up_members = 1;
        let ev = decode(&record(abi::SRC_CLUSTER, abi::SEV_INFO, cl.as_bytes()));
        assert!(
            ev.to_string().ends_with(
                "cluster_msg info cpu0: cluster node 2: joining -> up epoch 3 \
                 rtt 0.412 ms jitter 0.035 ms, 1 peer up"
            ),
            "{ev}"
        );
        let mut cl = cluster(abi::CL_PEER, abi::CL_UP, abi::CL_HANDOFF, abi::CL_R_HANDOFF);
        cl.arg = 5000;
        cl.up_members = 2;
        let ev = decode(&record(abi::SRC_CLUSTER, abi::SEV_INFO, cl.as_bytes()));
        assert!(
            ev.to_string().ends_with(
                ": cluster node 2: up -> handoff (handoff, back within 5000 ms) epoch 7, \
                 2 peers up"
            ),
            "{ev}"
        );
        assert_eq!(serde_json::to_value(&ev).unwrap()["detail"]["arg"], 5000);
    }

    #[test]
    fn cluster_local_event() {
        let mut cl = cluster(abi::CL_LOCAL, abi::CL_UP, abi::CL_LEFT, abi::CL_R_OVERLOAD);
        cl.node = 1;
        cl.epoch = 9;
        let ev = decode(&record(
            abi::SRC_CLUSTER,
            abi::SEV_RECOVERABLE,
            cl.as_bytes(),
        ));
        assert!(
            ev.to_string()
                .ends_with("cpu0: cluster this node (1): up -> left (overload) epoch 9"),
            "{ev}"
        );
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["detail"]["event"], "local");
        assert_eq!(json["detail"]["reason"], "overload");
    }

    #[test]
    fn cluster_names_out_of_range_are_unknown() {
        let cl = cluster(9, abi::CL_STATE_NR, 200, abi::CL_R_NR);
        let ev = decode(&record(abi::SRC_CLUSTER, abi::SEV_INFO, cl.as_bytes()));
        let Detail::Cluster {
            event,
            state,
            old_state,
            reason,
            ..
        } = &ev.detail
        else {
            panic!("not a cluster record: {:?}", ev.detail);
        };
        assert_eq!(
            (*event, *state, *old_state, *reason),
            ("unknown", "unknown", "unknown", "unknown")
        );
        assert!(ev
            .to_string()
            .contains(": cluster event ? node 2: unknown -> unknown (unknown)"));
        assert_eq!(cl_state_name(abi::CL_DYING), "dying");
        assert_eq!(cl_reason_name(abi::CL_R_HW_FATAL), "hw-fatal");
        assert_eq!(us_as_ms(0), "0.000");
        assert_eq!(us_as_ms(7), "0.007");
        assert_eq!(us_as_ms(999), "0.999");
        assert_eq!(us_as_ms(1000), "1.0");
        assert_eq!(us_as_ms(12_345), "12.3");
    }

    #[test]
    fn unknown_source_is_not_an_error() {
        let ev = decode(&record(200, 9, &[]));
        assert_eq!((ev.source, ev.severity), ("unknown", "unknown"));
        assert!(matches!(ev.detail, Detail::Unknown));
    }

    #[test]
    fn crash_record_valid_and_invalid() {
        let mut c = abi::Crash {
            status: abi::CRASH_VALID,
            error: 0,
            state: abi::CRASH_CRASHED,
            reason: abi::CRASH_R_HW_FATAL,
            cpu: 1,
            flags: 1,
            addr: 0x3f2a_0000,
            generation: 9,
            realtime_ns: 1_700_000_000_000_000_000,
            taint: 0,
            last_seq: 17,
            records: 5,
            log_len: 30000,
            message: [0; 128],
        };
        c.message[..22].copy_from_slice(b"Fatal machine check on");
        let mut rec = record(abi::SRC_CRASH, abi::SEV_FATAL, c.as_bytes());
        rec.hdr.flags = abi::F_PREVIOUS_BOOT;
        let ev = decode(&rec);
        assert_eq!(
            ev.to_string(),
            "[    3.500000] #42 crashdump fatal cpu0 +previous_boot: crash record at \
             0x3f2a0000: valid, crashed (hw-fatal) on cpu1, 5 records, 30000 bytes of log: \
             \"Fatal machine check on\""
        );
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["flags"][0], "previous_boot");
        assert_eq!(json["detail"]["kind"], "crash");
        assert_eq!(json["detail"]["reason"], "hw-fatal");
        assert_eq!(json["detail"]["last_seq"], 17);
        c.status = abi::CRASH_INVALID;
        c.error = 6;
        let ev = decode(&record(abi::SRC_CRASH, abi::SEV_INFO, c.as_bytes()));
        assert!(
            ev.to_string()
                .ends_with(": crash record at 0x3f2a0000: invalid (error 6)"),
            "{ev}"
        );
    }

    fn handoff(from: u8, to: u8, reason: u8) -> abi::Handoff {
        let mut ho = abi::Handoff {
            from,
            to,
            reason,
            reserved: 0,
            error: 0,
            attempt: 2,
            handoffs: 0,
            carried: 0,
            lost: 0,
            blackout_ns: 0,
            release: [0; 64],
        };
        ho.release[..6].copy_from_slice(b"7.2.13");
        ho
    }

    #[test]
    fn handoff_phase_changes() {
        let ho = handoff(abi::HO_PREPARING, abi::HO_READY, abi::HO_R_NONE);
        let ev = decode(&record(abi::SRC_HANDOFF, abi::SEV_INFO, ho.as_bytes()));
        assert_eq!(
            ev.to_string(),
            "[    3.500000] #42 kexec_handoff info cpu0: handoff preparing -> ready attempt 2"
        );
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["source"], "kexec_handoff");
        let d = &json["detail"];
        assert_eq!(d["kind"], "handoff");
        assert_eq!(d["from"], "preparing");
        assert_eq!(d["to"], "ready");
        assert_eq!(d["reason"], "none");
        assert_eq!(d["attempt"], 2);
        assert_eq!(d["release"], "7.2.13");

        let mut ho = handoff(abi::HO_READY, abi::HO_COMMITTED, abi::HO_R_NONE);
        ho.carried = 12;
        let ev = decode(&record(abi::SRC_HANDOFF, abi::SEV_INFO, ho.as_bytes()));
        assert!(
            ev.to_string()
                .ends_with(": handoff ready -> committed attempt 2, 12 records sealed"),
            "{ev}"
        );

        let mut ho = handoff(abi::HO_IDLE, abi::HO_RESTORED, abi::HO_R_NONE);
        ho.attempt = 0;
        ho.handoffs = 1;
        ho.carried = 12;
        ho.lost = 3;
        ho.blackout_ns = 1_234_567_890;
        let ev = decode(&record(abi::SRC_HANDOFF, abi::SEV_INFO, ho.as_bytes()));
        assert!(
            ev.to_string().ends_with(
                ": handoff idle -> restored, handoff 1 from 7.2.13, 12 records restored, \
                 blackout 1234 ms, 3 lost"
            ),
            "{ev}"
        );
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["detail"]["handoffs"], 1);
        assert_eq!(json["detail"]["carried"], 12);
        assert_eq!(json["detail"]["lost"], 3);
        assert_eq!(json["detail"]["blackout_ns"], 1_234_567_890u64);
    }

    #[test]
    fn handoff_aborted_and_unknown_names() {
        let mut ho = handoff(
            abi::HO_PREPARING,
            abi::HO_ABORTED,
            abi::HO_R_PRESERVE_FAILED,
        );
        ho.error = -12;
        let ev = decode(&record(abi::SRC_HANDOFF, abi::SEV_INFO, ho.as_bytes()));
        assert!(
            ev.to_string()
                .ends_with(": handoff preparing -> aborted (preserve-failed -12) attempt 2"),
            "{ev}"
        );
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["detail"]["reason"], "preserve-failed");
        assert_eq!(json["detail"]["error"], -12);
        let ho = handoff(abi::HO_READY, abi::HO_ABORTED, abi::HO_R_KHO_DISABLED);
        let ev = decode(&record(abi::SRC_HANDOFF, abi::SEV_INFO, ho.as_bytes()));
        assert!(
            ev.to_string()
                .ends_with(": handoff ready -> aborted (kho-disabled) attempt 2"),
            "{ev}"
        );
        let names: Vec<_> = (0..abi::HO_R_NR)
            .map(|r| name(&abi::HO_REASON_NAMES, r))
            .collect();
        assert_eq!(
            names,
            [
                "none",
                "requested",
                "kho-disabled",
                "preserve-failed",
                "rebooted"
            ]
        );
        let phases: Vec<_> = (0..abi::HO_PHASE_NR)
            .map(|p| name(&abi::HO_PHASE_NAMES, p))
            .collect();
        assert_eq!(
            phases,
            [
                "idle",
                "preparing",
                "ready",
                "committed",
                "restored",
                "aborted"
            ]
        );
        let ho = handoff(abi::HO_PHASE_NR, 200, abi::HO_R_NR);
        let ev = decode(&record(abi::SRC_HANDOFF, abi::SEV_INFO, ho.as_bytes()));
        assert!(
            ev.to_string()
                .ends_with(": handoff unknown -> unknown (unknown) attempt 2"),
            "{ev}"
        );
    }

    #[test]
    fn boot_shown_only_when_carried() {
        let mce = abi::Mce {
            bank: 4,
            ..abi::Mce::default()
        };
        let mut rec = record(abi::SRC_MCE, abi::SEV_CORRECTED, mce.as_bytes());
        let ev = decode(&rec);
        assert_eq!(ev.boot, None);
        assert!(!ev.to_string().contains("boot"), "{ev}");
        assert!(serde_json::to_value(&ev).unwrap().get("boot").is_none());
        rec.hdr.boot = 2;
        rec.hdr.count = 3;
        let ev = decode(&rec);
        assert_eq!(ev.boot, Some(2));
        assert!(
            ev.to_string()
                .starts_with("[    3.500000] #42 mce corrected cpu0 boot -2 x3: bank 4"),
            "{ev}"
        );
        assert_eq!(serde_json::to_value(&ev).unwrap()["boot"], 2);
    }
}
