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
	HWERR_SRC_NR = 9,
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

struct hwerr_header {
	__u16 size;		/* of the whole record: HWERR_RECORD_SIZE */
	__u8 version;		/* HWERR_ABI_VERSION */
	__u8 source;		/* enum hwerr_source */
	__u8 severity;		/* enum hwerr_severity */
	__u8 reserved0;
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
};

struct hwerr_lost {
	__u32 reason;		/* enum hwerr_lost_reason */
	__u32 reserved;
	__u64 total;		/* records lost, all sources */
	__u64 first_seq;	/* OVERRUN: first missed sequence number */
	__u64 by_source[HWERR_SRC_SLOTS]; /* records lost, per enum hwerr_source */
};

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
