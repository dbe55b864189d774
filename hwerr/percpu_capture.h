/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hwerr-internal: capture (capture.rs, with the C-only pieces in percpu_capture.c),
 * the sources that feed it (sources.c), and the calls between C and Rust. The Rust
 * declarations of these are in capture.rs, log.rs and consumer.rs; keep them in step.
 */
#ifndef _HWERR_PERCPU_CAPTURE_H
#define _HWERR_PERCPU_CAPTURE_H

#include <linux/types.h>
#include <uapi/linux/hwerr.h>

struct attribute_group;
struct hwerr_consumer;
struct hwerr_snapshot;
struct llist_node;

/* ---- Provided by Rust (capture.rs) ---- */

/**
 * hwerr_capture_begin - take a free per-CPU record slot and stamp its header
 * @source: enum hwerr_source.
 * @severity: enum hwerr_severity.
 *
 * On success preemption stays disabled until hwerr_capture_commit(): fill the
 * payload and commit without sleeping. Returns NULL and counts a drop when this
 * CPU's slots are all in flight, NULL and counts it as ignored when the source is
 * disabled, and NULL when capture is stopped or @source/@severity is out of range.
 *
 * Context: any, including NMI and #MC. Lock-free, allocation-free, never sleeps.
 */
struct hwerr_record *hwerr_capture_begin(u8 source, u8 severity);

/**
 * hwerr_capture_commit - hand a filled record to the log
 * @rec: from hwerr_capture_begin().
 *
 * Outside NMI the record is in the log, and readers and consumers are woken, when
 * this returns; in NMI it is queued for the irq_work.
 *
 * Context: the one hwerr_capture_begin() ran in. Takes the log's IRQ-safe spinlock
 * outside NMI; lock-free in NMI (llist + irq_work).
 */
void hwerr_capture_commit(struct hwerr_record *rec);

#define HWERR_REPORT_FORCE	(1U << 0)	/* even if the software source is disabled */
#define HWERR_REPORT_DEFER	(1U << 1)	/* take the NMI path (debugfs burst test) */

/**
 * hwerr_report_flags - __hwerr_report() with HWERR_REPORT_* flags
 *
 * Context: any, as __hwerr_report().
 */
int hwerr_report_flags(unsigned int flags, const char *origin, u8 severity, u32 code,
		       const u64 *data, const char *msg);

/* The Rust half of hwerr_report_event() (capture.rs). Context: any. */
int hwerr_report_event_rs(u8 source, u8 severity, const void *payload, size_t len);

/* The irq_work: appends the NMI-context captures. Context: IRQ. */
void hwerr_capture_drain(void);

/* The storm timer: logs the summaries that are due. Context: process. */
void hwerr_capture_storm_tick(void);

/* hwerr_crash_snapshot() and hwerr_report_previous() (<hasys/hwerr.h>). */
int hwerr_crash_snapshot_rs(struct hwerr_record *out, unsigned int max,
			    struct hwerr_snapshot *snap);
int hwerr_report_previous_rs(const struct hwerr_record *rec);

/*
 * This CPU's machine-check banks that hold a valid error, as unlogged MCE records
 * into @out (at most @max); returns how many (sources.c). Context: panic or die.
 */
unsigned int hwerr_mce_read_banks(struct hwerr_record *out, unsigned int max);

/* CLOCK_BOOTTIME of the last fatal hardware error captured, 0 if none. Any context. */
u64 hwerr_capture_last_fatal_hw_ns(void);

/* Per-source counter @kind: 0 captured, 1 dropped, 2 ignored, 3 coalesced. Any context. */
u64 hwerr_capture_counter(unsigned int kind, unsigned int src);

/* Whether @src is enabled. Context: any. */
bool hwerr_capture_enabled(unsigned int src);

/* Enables or disables @src, logging the change. Context: process. */
void hwerr_capture_set_enabled(unsigned int src, bool on);

/* The running log (for hwerr_consumers_*() and the storm files), or NULL. Any context. */
const void *hwerr_capture_log(void);

/* ---- Provided by C (percpu_capture.c) for capture.rs; see each one's context ---- */

unsigned int hwerr_capture_slots(void);
void __percpu *hwerr_pcpu_alloc(size_t size, size_t align);
void hwerr_pcpu_free(void __percpu *pcpu);
void *hwerr_pcpu_this(void __percpu *pcpu);
void *hwerr_pcpu_cpu(void __percpu *pcpu, unsigned int cpu);
void hwerr_preempt_off(void);
void hwerr_preempt_on(void);
bool hwerr_in_nmi(void);
void hwerr_pending_push(struct llist_node *node);
struct llist_node *hwerr_pending_take(void);
struct llist_node *hwerr_pending_peek(void);
void hwerr_kick(void);
void hwerr_kick_sync(void);
void hwerr_storm_arm(u64 delay_ns);
void hwerr_storm_cancel_sync(void);

/**
 * hwerr_sysfs_groups - attribute groups of /sys/kernel/ha/hwerr/
 *
 * One group (subdirectory) per source: enabled, captured, dropped, ignored,
 * coalesced; and storm/.
 */
const struct attribute_group **hwerr_sysfs_groups(void);

/**
 * hwerr_sources_init - hook every hardware-error source
 *
 * Context: module init. Return: 0 or -errno; nothing stays hooked on error.
 */
int hwerr_sources_init(void);

/**
 * hwerr_sources_exit - unhook every source; no probe runs once this returns
 *
 * Context: module exit, may sleep.
 */
void hwerr_sources_exit(void);

/* ---- Provided by Rust (log.rs, consumer.rs, severity.rs, cper.rs) ---- */

/**
 * hwerr_log_storm_config - read or change the storm parameters
 * @log: hwerr_capture_log().
 * @cfg: window in ms, burst, rate; read back after a change.
 * @set: apply @cfg first (pending summaries are logged before the change).
 *
 * Context: any but NMI.
 */
void hwerr_log_storm_config(const void *log, u32 *cfg, bool set);

/**
 * hwerr_consumers_add - hwerr_consumer_register() (consumer.rs)
 * @log: hwerr_capture_log().
 * @consumer: as passed to hwerr_consumer_register().
 *
 * Context: process.
 */
int hwerr_consumers_add(const void *log, struct hwerr_consumer *consumer);

/**
 * hwerr_consumers_remove - hwerr_consumer_unregister() and _release() (consumer.rs)
 * @log: hwerr_capture_log().
 * @consumer: a registered consumer.
 * @reentrant_ok: detach even from inside a notify() (hwerr_consumer_release()).
 *
 * Context: process.
 */
int hwerr_consumers_remove(const void *log, struct hwerr_consumer *consumer,
			   bool reentrant_ok);

/*
 * Severity grading (severity.rs): each returns an enum hwerr_severity.
 * Context: any, including NMI.
 */
/* @vendor: struct mce.cpuvendor; @kernel_sev: struct mce.severity; sets HWERR_F_*. */
u8 hwerr_grade_mce(u8 vendor, u64 status, u8 kernel_sev, u16 *flags);
/* @sev: GHES_SEV_*. */
u8 hwerr_grade_ghes(u32 sev);
/* @err_type: enum hw_event_mc_err_type. */
u8 hwerr_grade_edac(u32 err_type);
/* @aer_severity: AER_NONFATAL, AER_FATAL or AER_CORRECTABLE. */
u8 hwerr_grade_aer(u32 aer_severity);
/* @result: enum mf_result. */
u8 hwerr_grade_mf(u32 result);

/**
 * hwerr_cper_decode - decode a CPER section into @rec->u.cper.u
 * @rec: a GHES record being filled.
 * @section_type: the section's 16-byte GUID.
 * @data: the section body.
 * @len: its length in bytes.
 *
 * Sets u.cper.decoded, section_type and section_length. Reads at most @len bytes.
 * Context: any, including NMI: no locks, no allocation.
 */
void hwerr_cper_decode(struct hwerr_record *rec, const u8 *section_type,
		       const u8 *data, size_t len);

/* ---- The handed-over log (kho.c calls handoff.rs; handoff.rs calls kho.c) ---- */

struct hwerr_handoff_restored;

/**
 * hwerr_handoff_blob_size_rs - bytes the log's blob needs (handoff.rs)
 * @log: hwerr_capture_log().
 *
 * Room for the log's capacity of records, at most what 4 MiB holds.
 * Context: any.
 */
size_t hwerr_handoff_blob_size_rs(const void *log);

/**
 * hwerr_handoff_seal_rs - fill and seal the log's blob (handoff.rs)
 * @log: hwerr_capture_log().
 * @blob: the preserved blob, @size bytes.
 * @handoffs: handoffs the log has been through, this one included.
 * @boot_id: 16 bytes naming this boot.
 *
 * Drains the captures not logged yet and the pending storm summaries, then copies
 * the newest records that fit. Context: process, may sleep.
 * Return: the records sealed, or -EINVAL for a blob too small for its header.
 */
int hwerr_handoff_seal_rs(const void *log, void *blob, size_t size, u32 handoffs,
			  const u8 *boot_id);

/**
 * hwerr_handoff_late_rs - count the records refused since the seal (handoff.rs)
 * @log: hwerr_capture_log().
 * @blob: the blob hwerr_handoff_seal_rs() sealed, @size bytes.
 *
 * Adds the errors the frozen log refused since the seal (storm summaries still
 * pending offered first) and the captures dropped without a lost record to the
 * blob's lost count, and checksums it again, so that the next kernel tells them
 * in-band. Context: any, IRQs off included; never sleeps, only tries the log's lock.
 * Return: 0 when there was nothing to add (the blob untouched), else the blob's
 * lost count; -EBUSY if the log's lock was held, -EINVAL if @blob is not a sealed
 * log blob.
 */
int hwerr_handoff_late_rs(const void *log, void *blob, size_t size);

/*
 * hwerr_handoff_note - keep what the log's restore at load found, for
 * hwerr_handoff_restored() (kho.c). Context: module init, once.
 */
void hwerr_handoff_note(const struct hwerr_handoff_restored *r);

#endif /* _HWERR_PERCPU_CAPTURE_H */
