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

/**
 * hwerr_capture_begin - take a free per-CPU record slot and stamp its header
 * @source: enum hwerr_source.
 * @severity: enum hwerr_severity.
 *
 * On success preemption stays disabled until hwerr_capture_commit(): fill the
 * payload and commit without sleeping. Returns NULL (and counts a drop) when this
 * CPU's slots are all in flight, and NULL without counting when the source is
 * disabled or capture is stopped.
 *
 * Context: any, including NMI and #MC. Lock-free, allocation-free, never sleeps.
 */
struct hwerr_record *hwerr_capture_begin(u8 source, u8 severity);

/**
 * hwerr_capture_commit - hand a filled record to the log
 * @rec: from hwerr_capture_begin().
 *
 * Context: the one hwerr_capture_begin() ran in. Lock-free (llist + irq_work).
 */
void hwerr_capture_commit(struct hwerr_record *rec);

/**
 * hwerr_capture_init - allocate the per-CPU slots and start capture
 * @log: the Rust log, passed back to hwerr_log_append().
 *
 * Context: module init. Return: 0, -EINVAL (bad capture_slots), -ENOMEM.
 */
int hwerr_capture_init(const void *log);

/**
 * hwerr_capture_exit - stop capture, deliver what is in flight, free the slots
 *
 * Call after hwerr_sources_exit(): no capture may start once this runs.
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
 * hwerr_inject_init - create /sys/kernel/debug/hwerr/ (test interface)
 *
 * Context: module init. Failure to create debugfs files is not an error.
 */
void hwerr_inject_init(void);

/** hwerr_inject_exit - remove /sys/kernel/debug/hwerr/ */
void hwerr_inject_exit(void);

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
 * hwerr_log_append - append a record to the log and wake readers
 * @log: as given to hwerr_capture_init().
 * @rec: the record; its seq is assigned by the log.
 *
 * Context: process context (the drain work); takes the log's spinlock.
 */
void hwerr_log_append(const void *log, const struct hwerr_record *rec);

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
