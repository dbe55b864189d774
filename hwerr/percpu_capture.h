/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hwerr-internal: the capture half of the error layer (percpu_capture.c), the
 * sources that feed it (sources.c) and the two calls the Rust half provides.
 * The Rust declarations of these are in capture.rs; keep them in step.
 */
#ifndef _HWERR_PERCPU_CAPTURE_H
#define _HWERR_PERCPU_CAPTURE_H

#include <linux/types.h>
#include <uapi/linux/hwerr.h>

struct attribute_group;
struct hwerr_consumer;

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
 * this returns; in NMI it is queued for an irq_work.
 *
 * Context: the one hwerr_capture_begin() ran in. Takes the log's IRQ-safe spinlock
 * outside NMI; lock-free in NMI (llist + irq_work).
 */
void hwerr_capture_commit(struct hwerr_record *rec);

#define HWERR_REPORT_FORCE	(1U << 0)	/* even if the software source is disabled */
#define HWERR_REPORT_DEFER	(1U << 1)	/* take the NMI path (debugfs burst test) */

/**
 * hwerr_report_flags - __hwerr_report() with HWERR_REPORT_* flags (hwerr-internal)
 *
 * Context: any, as __hwerr_report().
 */
int hwerr_report_flags(unsigned int flags, const char *origin, u8 severity, u32 code,
		       const u64 *data, const char *msg);

/**
 * hwerr_capture_init - allocate the per-CPU slots and start capture
 * @log: the Rust log, passed back to hwerr_log_append().
 *
 * Context: module init. Return: 0, -EINVAL (bad capture_slots or @log), -EBUSY
 * (capture is already running: it exists once), -ENOMEM.
 */
int hwerr_capture_init(const void *log);

/**
 * hwerr_capture_exit - stop capture, deliver what is in flight, free the slots
 *
 * Call after hwerr_sources_exit(). Does nothing if capture is not running.
 * Context: module exit, may sleep.
 */
void hwerr_capture_exit(void);

/**
 * hwerr_capture_stats - copy the per-source counters
 * @captured: HWERR_SRC_SLOTS entries: records that reached the log.
 * @dropped: HWERR_SRC_SLOTS entries: records lost at capture.
 *
 * Context: any.
 */
void hwerr_capture_stats(u64 *captured, u64 *dropped);

/**
 * hwerr_sysfs_groups - attribute groups of /sys/kernel/ha/hwerr/
 *
 * One group (subdirectory) per source: enabled, captured, dropped.
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

/* Provided by the Rust half (capture.rs). */

/**
 * hwerr_log_append - append a record to the log
 * @log: as given to hwerr_capture_init().
 * @rec: the record; its seq is assigned by the log.
 * @wake: wake readers and consumers now; else they are woken by hwerr_log_wake().
 *
 * The record goes through storm coalescing first (coalesce.rs): it may be folded into
 * a pending summary instead of logged.
 *
 * Context: any but NMI; takes the log's IRQ-safe spinlock, allocates nothing.
 * Return: the sequence number; 0 if the record was folded into a storm summary;
 * -EINVAL for a source or severity out of range.
 */
s64 hwerr_log_append(const void *log, const struct hwerr_record *rec, bool wake);

/**
 * hwerr_log_flush_storms - log the storm summaries that are due
 * @log: as given to hwerr_capture_init().
 * @all: log every pending summary now (unload), not only those whose window passed.
 *
 * Context: any but NMI.
 * Return: CLOCK_BOOTTIME (ns) at which the next pending window ends, 0 if none.
 */
u64 hwerr_log_flush_storms(const void *log, bool all);

/**
 * hwerr_log_storm_config - read or change the storm parameters
 * @log: as given to hwerr_capture_init().
 * @cfg: window in ms, burst, rate; read back after a change.
 * @set: apply @cfg first (pending summaries are logged before the change).
 *
 * Context: any but NMI.
 */
void hwerr_log_storm_config(const void *log, u32 *cfg, bool set);

/**
 * hwerr_log_append_lost - log one HWERR_SRC_LOST record (reason CAPTURE)
 * @log: as given to hwerr_capture_init().
 * @counts: HWERR_SRC_SLOTS entries: captures dropped per source.
 *
 * Context: any but NMI; does not wake (the append that follows does).
 */
void hwerr_log_append_lost(const void *log, const u64 *counts);

/**
 * hwerr_log_wake - one wake-up for everything appended with @wake false
 * @log: as given to hwerr_capture_init().
 *
 * Context: any but NMI.
 */
void hwerr_log_wake(const void *log);

/**
 * hwerr_consumers_add - hwerr_consumer_register() (consumer.rs)
 * @log: the running log.
 * @consumer: as passed to hwerr_consumer_register().
 *
 * Context: process.
 */
int hwerr_consumers_add(const void *log, struct hwerr_consumer *consumer);

/**
 * hwerr_consumers_remove - hwerr_consumer_unregister() and _release() (consumer.rs)
 * @log: the running log.
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

#endif /* _HWERR_PERCPU_CAPTURE_H */
