/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/hwerr: the hasys hardware-error record stream.
 *
 * Every hardware error the kernel reports (x86 MCE, EDAC, PCIe AER, NMI, ACPI
 * APEI/GHES, memory failure) and every error another kernel module reports through
 * hwerr_report() becomes one struct hwerr_record in one log. Readers of /dev/hwerr
 * each have their own cursor; read() returns whole records; poll() says EPOLLIN when
 * a record is waiting and EPOLLPRI when one of them is recoverable or fatal.
 *
 * Layout rules: every field is naturally aligned and there is no implicit padding,
 * so the layout is the same for every compiler and for the Rust view of this header
 * (tools/hwerr-abi/src/abi.rs). A test compares the two field by field.
 *
 * Documentation/hasys/hwerr.rst describes the semantics; Documentation/userspace-api
 * style examples are in samples/hwerr/.
 */
#ifndef _UAPI_LINUX_HWERR_H
#define _UAPI_LINUX_HWERR_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Bumped on any incompatible change of the record or ioctl layouts. */
#define HWERR_ABI_VERSION	1
/* Every record read() returns is this long; hdr.size says so too. */
#define HWERR_RECORD_SIZE	256
#define HWERR_PAYLOAD_SIZE	208
/* Per-source arrays (stats, lost records) have this many slots. */
#define HWERR_SRC_SLOTS		16

/* Where a record came from: hdr.source. */
enum hwerr_source {
	HWERR_SRC_NONE = 0,
	HWERR_SRC_MCE = 1,		/* x86 machine check (decode chain) */
	HWERR_SRC_EDAC = 2,		/* EDAC memory controller (ras:mc_event) */
	HWERR_SRC_AER = 3,		/* PCIe AER (ras:aer_event) */
	HWERR_SRC_NMI = 4,		/* SERR, IOCHK and unknown NMIs */
	HWERR_SRC_GHES = 5,		/* ACPI APEI GHES / CPER sections */
	HWERR_SRC_MEMORY_FAILURE = 6,	/* mm/memory-failure.c outcome */
	HWERR_SRC_SOFTWARE = 7,		/* hwerr_report() from a kernel module */
	HWERR_SRC_LOST = 8,		/* in-band: records were lost, see hwerr_lost */
	HWERR_SRC_HADETECT = 9,		/* hadetect: a policy decision or health change */
	HWERR_SRC_CLUSTER = 10,		/* cluster_msg: a membership change */
	HWERR_SRC_CRASH = 11,		/* crashdump: the crash record of the kernel
					 * that ran before this one */
	HWERR_SRC_HANDOFF = 12,		/* kexec_handoff: a phase change of a
					 * planned kexec handoff */
	HWERR_SRC_NR = 13,
};

/* What HA logic can act on: hdr.severity. */
enum hwerr_severity {
	HWERR_SEV_INFO = 0,		/* informational, no data was harmed */
	HWERR_SEV_CORRECTED = 1,	/* corrected by hardware */
	HWERR_SEV_DEFERRED = 2,		/* uncorrected, not yet consumed (AMD deferred) */
	HWERR_SEV_RECOVERABLE = 3,	/* uncorrected, the OS can recover (SRAO/SRAR) */
	HWERR_SEV_FATAL = 4,		/* uncorrected, the context is lost */
	HWERR_SEV_NR = 5,
};

/* hdr.flags */
#define HWERR_F_ACTION_REQUIRED	(1U << 0) /* recoverable, action required (SRAR) */
#define HWERR_F_CEC_ABSORBED	(1U << 1) /* MCE counted by the kernel's CEC (RAS_CEC) */
#define HWERR_F_SYNTHETIC	(1U << 2) /* made for this reader (overrun), not in the log */
#define HWERR_F_TASK		(1U << 3) /* memory_failure: pid/tasks/comm are set */
#define HWERR_F_TRUNCATED	(1U << 4) /* a string or byte field was cut to fit */
#define HWERR_F_COALESCED	(1U << 5) /* a storm summary: count identical errors, the
					   * first at boottime_ns, the last at
					   * last_boottime_ns (see hwerr.rst) */
#define HWERR_F_MIXED		(1U << 6) /* with COALESCED: count errors of this source
					   * beyond its rate bound; their fields differ,
					   * the record shows the first one's */
#define HWERR_F_PREVIOUS_BOOT	(1U << 7) /* of the kernel that ran before this one,
					   * re-emitted here by crashdump: seq is this
					   * log's, the rest (times included) as that
					   * kernel captured it */

struct hwerr_header {
	__u16 size;		/* of the whole record: HWERR_RECORD_SIZE */
	__u8 version;		/* HWERR_ABI_VERSION */
	__u8 source;		/* enum hwerr_source */
	__u8 severity;		/* enum hwerr_severity */
	__u8 boot;		/* 0: captured by this kernel (HWERR_F_PREVIOUS_BOOT
				 * records too); N: carried here through N kexec
				 * handoffs (saturates at 255) */
	__u16 flags;		/* HWERR_F_* */
	__u32 cpu;		/* CPU that captured it */
	__u32 count;		/* occurrences this record stands for (>= 1) */
	__u64 seq;		/* log sequence number: consecutive, from 1 */
	__u64 boottime_ns;	/* CLOCK_BOOTTIME at capture */
	__u64 realtime_ns;	/* CLOCK_REALTIME at capture */
	__u64 last_boottime_ns;	/* HWERR_F_COALESCED: CLOCK_BOOTTIME of the last; else 0 */
};

/* HWERR_SRC_MCE: the bank registers of struct mce. */
struct hwerr_mce {
	__u64 status;		/* MCi_STATUS */
	__u64 addr;		/* MCi_ADDR */
	__u64 misc;		/* MCi_MISC */
	__u64 mcgstatus;	/* MCG_STATUS */
	__u64 synd;		/* MCA_SYND (SMCA) */
	__u64 ipid;		/* MCA_IPID (SMCA) */
	__u64 ppin;		/* protected processor inventory number */
	__u64 ip;		/* instruction pointer, if MCG_STATUS.EIPV */
	__u32 cpuid;		/* CPUID 1 EAX */
	__u32 apicid;
	__u32 socketid;
	__u32 extcpu;		/* Linux CPU number that detected it */
	__u32 microcode;
	__u8 bank;
	__u8 cpuvendor;		/* the kernel's X86_VENDOR_* */
	__u8 mce_severity;	/* the MCE core's own grading */
	__u8 cs;
};

/* HWERR_SRC_EDAC: the fields of the ras:mc_event tracepoint. */
struct hwerr_edac {
	__u64 address;		/* physical address (page << PAGE_SHIFT | offset) */
	__u64 syndrome;
	__u32 error_count;
	__u32 err_type;		/* enum hw_event_mc_err_type */
	__u8 mc_index;
	__s8 layer[3];		/* top, mid, low; -1 = unknown */
	__u8 grain_bits;
	__u8 reserved[3];
	char label[64];		/* DIMM label(s), NUL-terminated */
	char msg[64];		/* EDAC's error message, NUL-terminated */
};

/* HWERR_SRC_AER: the fields of the ras:aer_event tracepoint. */
struct hwerr_aer {
	__u16 segment;		/* PCI domain */
	__u8 bus;
	__u8 devfn;
	__u8 aer_severity;	/* 0 uncorrectable non-fatal, 1 fatal, 2 correctable */
	__u8 tlp_header_valid;
	__u16 reserved;
	__u32 status;		/* (un)correctable error status, unmasked bits */
	__u32 reserved2;
	__u32 tlp_header[4];
	char dev_name[32];	/* e.g. "0000:01:00.0" */
	char bus_type[8];	/* "PCIe" or "CXL" */
};

/* HWERR_SRC_NMI */
enum hwerr_nmi_type {
	HWERR_NMI_UNKNOWN = 0,
	HWERR_NMI_SERR = 1,
	HWERR_NMI_IO_CHECK = 2,
};

struct hwerr_nmi {
	__u32 nmi_type;		/* enum hwerr_nmi_type */
	__u8 reason;		/* NMI reason port (0x61): bit 7 SERR, bit 6 IOCHK */
	__u8 reserved[3];
};

/* HWERR_SRC_GHES: one CPER section, with the common sections decoded. */
#define HWERR_CPER_SEC_UNKNOWN	0
#define HWERR_CPER_SEC_MEM	1	/* platform memory error section */
#define HWERR_CPER_SEC_PCIE	2	/* PCI Express error section */
#define HWERR_CPER_SEC_PROC	3	/* generic processor error section */

struct hwerr_cper_mem {
	__u64 validation_bits;
	__u64 error_status;
	__u64 physical_addr;
	__u64 physical_addr_mask;
	__u16 node;
	__u16 card;
	__u16 module;
	__u16 bank;
	__u32 row;
	__u16 column;
	__u8 error_type;
	__u8 reserved;
};

struct hwerr_cper_pcie {
	__u64 validation_bits;
	__u32 port_type;
	__u32 device_status;	/* device status register (high 16 bits: secondary) */
	__u16 segment;
	__u8 bus;
	__u8 devfn;
	__u16 vendor_id;
	__u16 device_id;
	__u32 aer_uncor_status;	/* from the section's AER info, if present */
	__u32 aer_cor_status;
};

struct hwerr_cper_proc {
	__u64 validation_bits;
	__u8 proc_type;
	__u8 proc_isa;
	__u8 proc_error_type;
	__u8 operation;
	__u8 flags;
	__u8 level;
	__u16 reserved;
	__u64 proc_id;
	__u64 target_addr;
	__u64 ip;
};

struct hwerr_cper {
	__u8 section_type[16];	/* CPER section type GUID, as in the record */
	__u8 fru_id[16];	/* FRU GUID, all zero if not valid */
	__u32 ghes_severity;	/* GHES_SEV_* the kernel graded the section as */
	__u32 decoded;		/* HWERR_CPER_SEC_* */
	__u32 section_length;
	__u32 reserved;
	char fru_text[24];
	union {
		struct hwerr_cper_mem mem;
		struct hwerr_cper_pcie pcie;
		struct hwerr_cper_proc proc;
		__u8 raw[64];	/* first bytes of an undecoded section */
	} u;
};

/* HWERR_SRC_MEMORY_FAILURE: the outcome of memory_failure() on a page. */
struct hwerr_memory_failure {
	__u64 pfn;
	__u32 page_type;	/* enum mf_action_page_type */
	__u32 result;		/* enum mf_result: 0 ignored, 1 failed, 2 delayed, 3 recovered */
	__s32 pid;		/* with HWERR_F_TASK: the first process the kernel
				 * signalled for this page (SIGBUS); never a kthread */
	__u32 tasks;		/* with HWERR_F_TASK: processes signalled */
	char comm[16];		/* with HWERR_F_TASK: the first one's name */
	__u64 cgroup_id;	/* with HWERR_F_TASK: the first one's cgroup v2 id
				 * (the inode number of its cgroup directory); 0
				 * without CONFIG_CGROUPS */
};

/*
 * HWERR_SRC_SOFTWARE: reported by a kernel module through hwerr_report(). Codes of
 * records whose origin is "hwerr" (hwerr's own notices, severity INFO):
 */
#define HWERR_CODE_SOURCE_ENABLED	1 /* data[0] source, data[1] captures it ignored */
#define HWERR_CODE_SOURCE_DISABLED	2 /* data[0] source, data[1] captures it ignored */

struct hwerr_software {
	__u32 code;		/* reporter-defined */
	__u32 reserved;
	__u64 data[4];		/* reporter-defined */
	char origin[32];	/* reporting module, NUL-terminated */
	char msg[64];		/* NUL-terminated */
};

/* HWERR_SRC_LOST: records that readers will never see, and why. */
enum hwerr_lost_reason {
	HWERR_LOST_CAPTURE = 1,	/* per-CPU capture storage was full: never logged */
	HWERR_LOST_OVERRUN = 2,	/* this reader fell behind and the log wrapped */
	HWERR_LOST_HANDOFF = 3,	/* a kexec handoff could not carry them (the old
				 * kernel's; by_source is all 0: not known) */
};

struct hwerr_lost {
	__u32 reason;		/* enum hwerr_lost_reason */
	__u32 reserved;
	__u64 total;		/* records lost, all sources */
	__u64 first_seq;	/* OVERRUN: first missed sequence number */
	__u64 by_source[HWERR_SRC_SLOTS]; /* records lost, per enum hwerr_source */
};

/*
 * HWERR_SRC_HADETECT: one decision of the policy engine or one change of the node's
 * health (Documentation/hasys/hadetect.rst). Severity RECOVERABLE (so EPOLLPRI wakes
 * agents) for what an HA agent should act on: a rule fired, a cap reached, an
 * isolation given up, health turned or stayed non-green; INFO for the rest.
 */
enum hwerr_hd_event {
	HWERR_HD_OPENED = 1,	/* first error on a component: a suspect fault */
	HWERR_HD_FIRED = 2,	/* its rule fired: faulty, the action is queued */
	HWERR_HD_ISOLATED = 3,	/* the action was taken and confirmed */
	HWERR_HD_FAILED = 4,	/* the action failed (result); it is retried */
	HWERR_HD_GAVE_UP = 5,	/* the action failed its last attempt */
	HWERR_HD_DRY_RUN = 6,	/* the rule fired in dry-run: decided, nothing touched */
	HWERR_HD_CAPPED = 7,	/* the rule fired, the class's cap is reached */
	HWERR_HD_REFUSED = 8,	/* the action cannot apply (result), e.g. CPU 0 */
	HWERR_HD_CONTAINED = 9,	/* an uncorrected error the kernel contained: pid, label */
	HWERR_HD_HEALTH = 10,	/* the node's health changed */
	HWERR_HD_AGENT = 11,	/* an agent registered, missed, came back or left */
	HWERR_HD_CLEARED = 12,	/* an admin cleared faults: one, or count of a class (object 0) or all */
	HWERR_HD_OVERLOAD = 13,	/* a global OOM began (result 1) or memory recovered (0) */
};

/* What failed (struct hwerr_hadetect.fault_class) and the object it names. */
enum hwerr_hd_class {
	HWERR_HD_NONE = 0,	/* node-wide events: health, agents, overload */
	HWERR_HD_PAGE = 1,	/* object: pfn */
	HWERR_HD_DIMM = 2,	/* object: mc << 24 | layer0 << 16 | layer1 << 8 | layer2 */
	HWERR_HD_CPU = 3,	/* object: Linux CPU number (core-internal errors) */
	HWERR_HD_CACHE = 4,	/* object: Linux CPU number (cache and TLB errors) */
	HWERR_HD_PCI = 5,	/* object: segment << 16 | bus << 8 | devfn */
	HWERR_HD_NODE = 6,	/* object: the source of a fatal-class error */
	HWERR_HD_CLASS_NR = 7,
};

enum hwerr_hd_action {
	HWERR_HD_ACT_NONE = 0,		/* count and publish only */
	HWERR_HD_ACT_SOFT_OFFLINE = 1,	/* memory_failure_queue(pfn, MF_SOFT_OFFLINE) */
	HWERR_HD_ACT_CPU_OFFLINE = 2,	/* remove_cpu() */
	HWERR_HD_ACT_PCI_UNBIND = 3,	/* driver_override, then release the driver */
	HWERR_HD_ACT_PCI_REMOVE = 4,	/* stop and remove the device */
	HWERR_HD_ACT_NR = 5,
};

enum hwerr_hd_health {
	HWERR_HD_GREEN = 0,
	HWERR_HD_YELLOW = 1,
	HWERR_HD_RED = 2,
};

/* Why health is not green (struct hwerr_hadetect.reasons); Y = yellow, R = red. */
#define HWERR_HD_R_FAULT		(1U << 0) /* Y: a faulty part, not isolated */
#define HWERR_HD_R_ISOLATED		(1U << 1) /* Y: a CPU or PCI device is isolated */
#define HWERR_HD_R_RETRYING		(1U << 2) /* Y: an isolation failed, retrying */
#define HWERR_HD_R_ISOLATION_FAILED	(1U << 3) /* R: an isolation gave up */
#define HWERR_HD_R_CAP_REACHED		(1U << 4) /* R: a faulty part beyond the cap */
#define HWERR_HD_R_FATAL		(1U << 5) /* R: a node-class fault */
#define HWERR_HD_R_OVERLOAD		(1U << 6) /* R: global OOM, memory not recovered */
#define HWERR_HD_R_AGENT_LATE		(1U << 7) /* Y: an agent missed its deadline */
#define HWERR_HD_R_AGENT_DEAD		(1U << 8) /* R: ... for longer than escalation */
#define HWERR_HD_R_TABLE_FULL		(1U << 9) /* Y: faults were not tracked */

/* struct hwerr_hadetect.result of a HWERR_HD_AGENT record (label: the agent's name). */
enum hwerr_hd_agent {
	HWERR_HD_AGENT_REGISTERED = 1,	/* registered, or took over a lost agent's name */
	HWERR_HD_AGENT_LATE = 2,	/* missed its deadline */
	HWERR_HD_AGENT_DEAD = 3,	/* ... by more than its escalation */
	HWERR_HD_AGENT_BACK = 4,	/* beat again after late or dead */
	HWERR_HD_AGENT_LEFT = 5,	/* unregistered */
	HWERR_HD_AGENT_LOST = 6,	/* its file closed without unregistering */
};

/* struct hwerr_hadetect.flags */
#define HWERR_HD_F_DRY_RUN	(1U << 0) /* decided in dry-run */
#define HWERR_HD_F_IMMEDIATE	(1U << 1) /* fired at once: uncorrected error */

struct hwerr_hadetect {
	__u32 event;		/* enum hwerr_hd_event */
	__u8 fault_class;	/* enum hwerr_hd_class */
	__u8 action;		/* enum hwerr_hd_action */
	__u8 health;		/* enum hwerr_hd_health, after this event */
	__u8 flags;		/* HWERR_HD_F_* */
	__u64 object;		/* see enum hwerr_hd_class */
	__s32 result;		/* FAILED, GAVE_UP, REFUSED: -errno; OVERLOAD: 1/0;
				 * AGENT: enum hwerr_hd_agent */
	__u32 attempt;		/* actions tried on this fault so far */
	__u32 count;		/* errors on this part within the rule's window */
	__u32 threshold;	/* the rule's N */
	__u64 window_ms;	/* the rule's T */
	__u64 trigger_seq;	/* sequence number of the record that caused this, or 0 */
	__u32 score;		/* node health score after this event */
	__u32 reasons;		/* HWERR_HD_R_* after this event */
	__s32 pid;		/* CONTAINED: process signalled; AGENT: the agent's */
	__u32 reserved;
	char label[64];		/* DIMM label, device name, agent or process name */
	__u64 cgroup_id;	/* CONTAINED: the process's cgroup v2 id, or 0 */
};

/*
 * HWERR_SRC_CLUSTER: one change of cluster_msg's membership view, or of this node's
 * own part in it (Documentation/hasys/cluster_msg.rst). Severity RECOVERABLE (so
 * EPOLLPRI wakes agents) when a peer goes down, dies or leaves, or this node leaves
 * or dies; INFO for the rest.
 */
enum hwerr_cl_event {
	HWERR_CL_PEER = 1,	/* a peer's state changed (node, old_state -> state) */
	HWERR_CL_LOCAL = 2,	/* this node's own state changed (node = this node) */
};

/* A member's state (struct hwerr_cluster.state, .old_state). */
enum hwerr_cl_state {
	HWERR_CL_DOWN = 0,	/* configured, not heard within the dead time (or never) */
	HWERR_CL_JOINING = 1,	/* heard, but it has not heard us yet */
	HWERR_CL_UP = 2,	/* heartbeats both ways */
	HWERR_CL_SUSPECT = 3,	/* silent for more than the suspect time */
	HWERR_CL_DYING = 4,	/* it announced it is dying (reason): a dying gasp */
	HWERR_CL_LEFT = 5,	/* it announced it leaves (reason); it may come back */
	HWERR_CL_HANDOFF = 6,	/* it announced a kexec handoff, back within arg ms */
	HWERR_CL_STATE_NR = 7,
};

/* Why (struct hwerr_cluster.reason); also the wire protocol's reason codes. */
enum hwerr_cl_reason {
	HWERR_CL_R_NONE = 0,
	HWERR_CL_R_PANIC = 1,		/* panic() */
	HWERR_CL_R_OOPS = 2,		/* an oops (die notifier) */
	HWERR_CL_R_HW_FATAL = 3,	/* a fatal hardware error record */
	HWERR_CL_R_KEXEC = 4,		/* kexec reboot (not a planned handoff) */
	HWERR_CL_R_SHUTDOWN = 5,	/* restart, halt or power off */
	HWERR_CL_R_OVERLOAD = 6,	/* memory overload (OOM); it rejoins on recovery */
	HWERR_CL_R_HANDOFF = 7,		/* planned kexec handoff */
	HWERR_CL_R_TIMEOUT = 8,		/* silent past the dead time */
	HWERR_CL_R_ADMIN = 9,		/* disabled or unloaded by an administrator */
	HWERR_CL_R_KDUMP = 10,		/* a capture kernel is saving a crash dump */
	HWERR_CL_R_DUMPED = 11,		/* the capture kernel saved the dump */
	HWERR_CL_R_NR = 12,
};

struct hwerr_cluster {
	__u8 event;		/* enum hwerr_cl_event */
	__u8 state;		/* enum hwerr_cl_state, after this change */
	__u8 old_state;		/* enum hwerr_cl_state, before it */
	__u8 reason;		/* enum hwerr_cl_reason */
	__u32 node;		/* the peer's node id (LOCAL: this node's) */
	__u32 cluster_id;
	__u32 local_node;	/* this node's id */
	__u64 epoch;		/* this node's membership epoch after the change */
	__u8 incarnation[16];	/* the peer's boot id (LOCAL: this node's) */
	__u32 silent_ms;	/* since the peer was last heard (SUSPECT, DOWN) */
	__u32 arg;		/* HANDOFF: ms the peer said it would be back within */
	__u32 rtt_us;		/* smoothed round-trip time to the peer, 0 if unknown */
	__u32 jitter_us;	/* round-trip jitter (RFC 3550 style), 0 if unknown */
	__u64 up_members;	/* members up (both ways) after the change, this node excluded */
};

/*
 * HWERR_SRC_CRASH: what crashdump found of the previous kernel's crash record, in a
 * capture kernel: Documentation/hasys/crashdump.rst. Severity FATAL for a valid
 * record the crashing kernel wrote (state CRASHED), INFO otherwise. The hwerr records
 * the crash record holds follow it in the log, re-emitted with
 * HWERR_F_PREVIOUS_BOOT.
 */
enum hwerr_crash_status {
	HWERR_CRASH_VALID = 0,		/* a record was found and is valid */
	HWERR_CRASH_NONE = 1,		/* no record address was given */
	HWERR_CRASH_INVALID = 2,	/* no valid record at the address: see error */
};

/* The record's state (struct hwerr_crash.state). */
#define HWERR_CRASH_LIVE	1	/* kept by a running kernel; its crash wrote none */
#define HWERR_CRASH_CRASHED	2	/* written by the panic or die path */

/* Why the kernel went down (struct hwerr_crash.reason). */
enum hwerr_crash_reason {
	HWERR_CRASH_R_NONE = 0,		/* with HWERR_CRASH_LIVE */
	HWERR_CRASH_R_PANIC = 1,	/* panic() */
	HWERR_CRASH_R_OOPS = 2,		/* an oops (die notifier) */
	HWERR_CRASH_R_HW_FATAL = 3,	/* panic() on a fatal hardware error */
	HWERR_CRASH_R_NR = 4,
};

struct hwerr_crash {
	__u32 status;		/* enum hwerr_crash_status */
	__u32 error;		/* INVALID: why, 1..11 (crashdump.rst); else 0 */
	__u32 state;		/* HWERR_CRASH_LIVE or _CRASHED (VALID only) */
	__u32 reason;		/* enum hwerr_crash_reason */
	__u32 cpu;		/* the CPU that wrote the record */
	__u32 flags;		/* the record's flags (crashdump.rst) */
	__u64 addr;		/* physical address the record was looked for at */
	__u64 generation;	/* the record's write count */
	__u64 realtime_ns;	/* the crashed kernel's CLOCK_REALTIME when written */
	__u64 taint;		/* the crashed kernel's taint mask */
	__u64 last_seq;		/* its last hwerr sequence number */
	__u32 records;		/* hwerr records the crash record holds */
	__u32 log_len;		/* bytes of kernel log tail it holds */
	char message[128];	/* the panic message's start, NUL-terminated */
};

/*
 * HWERR_SRC_HANDOFF: kexec_handoff, one record per phase change of a planned kexec
 * handoff (Documentation/hasys/kexec_handoff.rst). Severity INFO, except
 * WARNING-like outcomes use HWERR_SEV_INFO too (nothing was harmed).
 */
enum hwerr_ho_phase {
	HWERR_HO_IDLE = 0,
	HWERR_HO_PREPARING = 1,
	HWERR_HO_READY = 2,
	HWERR_HO_COMMITTED = 3,
	HWERR_HO_RESTORED = 4,
	HWERR_HO_ABORTED = 5,
	HWERR_HO_PHASE_NR = 6,
};

enum hwerr_ho_reason {		/* why a handoff ended ABORTED */
	HWERR_HO_R_NONE = 0,		/* not aborted */
	HWERR_HO_R_REQUESTED = 1,	/* "abort" was written to request */
	HWERR_HO_R_KHO_DISABLED = 2,	/* KHO is off (no kho=on, or no scratch memory) */
	HWERR_HO_R_PRESERVE_FAILED = 3,	/* preserving the state failed: error */
	HWERR_HO_R_REBOOTED = 4,	/* a reboot came before the commit */
	HWERR_HO_R_NR = 5,
};

struct hwerr_handoff {
	__u8 from;		/* enum hwerr_ho_phase before the change */
	__u8 to;		/* enum hwerr_ho_phase after it */
	__u8 reason;		/* enum hwerr_ho_reason (to == ABORTED), else 0 */
	__u8 reserved;		/* 0 */
	__s32 error;		/* PRESERVE_FAILED: the negative errno; else 0 */
	__u32 attempt;		/* the preparation number (prepare requests accepted) */
	__u32 handoffs;		/* handoffs the state has been through (RESTORED) */
	__u32 carried;		/* RESTORED: hwerr records restored; else 0 (the COMMITTED
				 * record is logged before the seal, to be carried) */
	__u32 lost;		/* records that could not be carried */
	__u64 blackout_ns;	/* RESTORED: the old kernel's commit to this restore
				 * (CLOCK_REALTIME difference), else 0 */
	char release[64];	/* RESTORED: the old kernel's release; else this kernel's;
				 * NUL-padded */
};	/* 96 bytes */

struct hwerr_record {
	struct hwerr_header hdr;
	union {
		struct hwerr_mce mce;
		struct hwerr_edac edac;
		struct hwerr_aer aer;
		struct hwerr_nmi nmi;
		struct hwerr_cper cper;
		struct hwerr_memory_failure mf;
		struct hwerr_software sw;
		struct hwerr_lost lost;
		struct hwerr_hadetect hd;
		struct hwerr_cluster cl;
		struct hwerr_crash crash;
		struct hwerr_handoff handoff;
		__u8 raw[HWERR_PAYLOAD_SIZE];
	} u;
};

/* HWERR_IOC_GET_STATS */
struct hwerr_source_stats {
	__u64 captured;		/* errors that reached the log (as records or in
				 * storm summaries) */
	__u64 dropped;		/* records lost at capture (storage full) */
};

struct hwerr_stats {
	__u32 abi_version;
	__u32 record_size;
	__u32 log_capacity;	/* records the log holds (module parameter log_records) */
	__u32 log_used;
	__u64 oldest_seq;	/* oldest record still in the log; 0 if empty */
	__u64 next_seq;		/* sequence number the next record will get */
	__u64 evicted;		/* records the log overwrote since load */
	__u64 reader_cursor;	/* this reader: next sequence number it will read */
	__u64 reader_missed;	/* this reader: records lost to overrun so far */
	__u64 reader_read;	/* this reader: records returned by read() so far */
	struct hwerr_source_stats source[HWERR_SRC_SLOTS];
};

/* HWERR_IOC_SET_FILTER / HWERR_IOC_GET_FILTER. Lost records always pass. */
struct hwerr_filter {
	__u32 source_mask;	/* bit (1 << enum hwerr_source) */
	__u32 severity_mask;	/* bit (1 << enum hwerr_severity) */
};

/* HWERR_IOC_SEEK */
enum hwerr_whence {
	HWERR_SEEK_OLDEST = 0,	/* the oldest record still in the log (open's default) */
	HWERR_SEEK_NEWEST = 1,	/* after the newest: only records logged from now on */
	HWERR_SEEK_SEQ = 2,	/* the record with sequence number seq */
};

struct hwerr_seek {
	__u32 whence;		/* enum hwerr_whence */
	__u32 reserved;		/* must be 0 */
	__u64 seq;		/* HWERR_SEEK_SEQ: oldest_seq <= seq <= next_seq */
};

#define HWERR_IOC_MAGIC		0xB9
#define HWERR_IOC_ABI_VERSION	_IOR(HWERR_IOC_MAGIC, 0x00, __u32)
#define HWERR_IOC_GET_STATS	_IOR(HWERR_IOC_MAGIC, 0x01, struct hwerr_stats)
#define HWERR_IOC_SET_FILTER	_IOW(HWERR_IOC_MAGIC, 0x02, struct hwerr_filter)
#define HWERR_IOC_GET_FILTER	_IOR(HWERR_IOC_MAGIC, 0x03, struct hwerr_filter)
#define HWERR_IOC_SEEK		_IOW(HWERR_IOC_MAGIC, 0x04, struct hwerr_seek)

#endif /* _UAPI_LINUX_HWERR_H */
