/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-kernel API of hwerr.ko, used by the other hasys modules.
 *
 * hwerr owns /sys/kernel/ha/. Every hasys module hangs its own directory from it
 * through hasys_component_add(), which is also what makes modpost record
 * "depends: hwerr" for them. The Rust view of this header is hwerr.rs beside it;
 * keep the two in step.
 */
#ifndef _HASYS_HWERR_H
#define _HASYS_HWERR_H

#include <linux/list.h>
#include <linux/types.h>

struct attribute_group;
struct kobject;
struct hwerr_record;

/**
 * hasys_component_add - create /sys/kernel/ha/@name/
 * @name: directory name; non-empty, no '/', not "." or "..", at most 32 bytes.
 * @version: shown by the directory's read-only "version" attribute; must stay valid
 *	until hasys_component_del() returns (a string literal of the caller).
 * @groups: NULL-terminated extra attribute groups, or NULL.
 *
 * Context: process context, may sleep.
 * Return: the directory's kobject, or ERR_PTR(-EINVAL) for a bad name,
 * ERR_PTR(-EEXIST) if the name is taken, ERR_PTR(-ENOMEM).
 */
struct kobject *hasys_component_add(const char *name, const char *version,
				    const struct attribute_group **groups);

/**
 * hasys_component_del - remove a directory made by hasys_component_add()
 * @kobj: its kobject.
 *
 * The directory and its attributes are gone when this returns: no show() or store()
 * callback of the caller runs afterwards, so the caller's module may unload.
 *
 * Context: process context, may sleep.
 */
void hasys_component_del(struct kobject *kobj);

/**
 * __hwerr_report - put a software-detected error into the /dev/hwerr stream
 * @origin: the reporting module's name (hwerr_report() passes KBUILD_MODNAME).
 * @severity: enum hwerr_severity.
 * @code: reporter-defined code, shown in the record.
 * @data: four reporter-defined words, or NULL.
 * @msg: a short message, or NULL; cut to 63 bytes (the record says so).
 *
 * The record has source HWERR_SRC_SOFTWARE. It goes through the same per-CPU
 * capture storage as hardware errors, so it is counted, and counted as dropped when
 * that storage is full.
 *
 * Context: any, including NMI: lock-free, allocation-free, never sleeps.
 * Return: 0; -EINVAL for a bad severity; -ENODEV when the software source is
 * disabled (/sys/kernel/ha/hwerr/software/enabled); -ENOSPC when the record was
 * dropped (this CPU's capture slots are all in flight).
 */
int __hwerr_report(const char *origin, u8 severity, u32 code, const u64 *data,
		   const char *msg);

#define hwerr_report(severity, code, data, msg) \
	__hwerr_report(KBUILD_MODNAME, severity, code, data, msg)

/**
 * hwerr_report_event - log a record of a hasys module's own source
 * @source: the reporting module's enum hwerr_source (HWERR_SRC_HADETECT for
 *	hadetect): only these module sources are accepted.
 * @severity: enum hwerr_severity.
 * @payload: the source's payload (struct hwerr_hadetect for hadetect), or NULL.
 * @len: its size, at most HWERR_PAYLOAD_SIZE; the rest of the record is zero.
 *
 * Like __hwerr_report(), the record goes through the per-CPU capture storage and is
 * counted under its source in /sys/kernel/ha/hwerr/<source>/. A consumer whose name
 * is the source's name (SOURCE_NAMES in the Rust ABI, e.g. "hadetect") does not see
 * these records unless it sets HWERR_CONSUMER_OWN_REPORTS.
 *
 * Context: any, including NMI: lock-free, allocation-free, never sleeps.
 * Return: 0; -EINVAL for a source that is not a module source, a bad severity or
 * @len too long; -ENODEV when the source is disabled or hwerr is not capturing;
 * -ENOSPC when the record was dropped (counted in the source's dropped counter).
 */
int hwerr_report_event(u8 source, u8 severity, const void *payload, size_t len);

/**
 * struct hwerr_snapshot - what hwerr_crash_snapshot() copied
 * @logged: records from the log: its newest, oldest first, at the start of @out.
 * @unlogged: records after them that never reached the log: NMI-context captures
 *	waiting for hwerr's irq_work, then (x86) the errors this CPU's machine-check
 *	banks still hold, such as the fatal machine check a panic follows (it panics
 *	in #MC context, before the MCE core hands it to hwerr). Oldest first; their
 *	seq is 0.
 * @last_seq: the log's last sequence number (0 if it is empty, or @log_busy).
 * @log_busy: the log's lock was held (by a CPU the panic stopped, or by this one):
 *	nothing was copied from the log.
 */
struct hwerr_snapshot {
	u32 logged;
	u32 unlogged;
	u64 last_seq;
	bool log_busy;
};

/**
 * hwerr_crash_snapshot - the newest records, for a dying kernel's crash record
 * @out: room for @max records.
 * @max: how many fit; the unlogged records (the newest) come first when not all do,
 *	the banks' first of all.
 * @snap: filled with what was copied.
 *
 * For crashdump's panic and die paths. A capture that another CPU starts meanwhile
 * is not seen; one it is filling when the panic stops it is not seen either (its
 * slot is not committed); storm summaries not yet due are not seen; other CPUs'
 * machine-check banks are not read.
 *
 * Context: any, NMI and panic included: no lock is waited for (the log's is only
 * tried), nothing is allocated, every walk is bounded by @max. When other CPUs still
 * run (an oops the kernel survives), a record the irq_work frees meanwhile may be
 * copied torn.
 * Return: 0; -EINVAL if @snap is NULL; -ENODEV if hwerr is not capturing.
 */
int hwerr_crash_snapshot(struct hwerr_record *out, unsigned int max,
			 struct hwerr_snapshot *snap);

/**
 * hwerr_report_previous - log a record of the kernel that ran before this one
 * @rec: the record as that kernel logged it (crashdump: from its crash record).
 *
 * The copy gets HWERR_F_PREVIOUS_BOOT and this log's next sequence number; its source,
 * severity, flags, CPU, count, times and payload are kept. It is counted under its
 * source, whether the source is enabled or not, and never folded into a storm
 * summary. In-kernel consumers see it only with HWERR_CONSUMER_PREVIOUS_BOOT, so that
 * no policy acts on a previous boot's errors.
 *
 * Context: any but NMI.
 * Return: 0; -EINVAL for a record of another size or ABI version, of source none,
 * lost or unknown, or of an unknown severity; -ENODEV if hwerr is not capturing;
 * -ENOSPC when it was dropped (this CPU's capture slots are all in flight).
 */
int hwerr_report_previous(const struct hwerr_record *rec);

/**
 * hwerr_panic_is_hw_fatal - whether a panic is the kernel's answer to a fatal
 *	hardware error
 * @msg: the panic message (the panic notifier's data), or NULL.
 *
 * True for x86 mce_panic()'s messages ("... machine check ...") and GHES's ("Fatal
 * hardware error"), and for any panic within 5 s of a fatal hardware error that
 * hwerr captured (a fatal MCE, GHES, AER, EDAC, NMI or memory-failure record, logged
 * or still waiting for hwerr's irq_work). cluster_msg's gasp and crashdump's record
 * name such a panic "hw-fatal".
 *
 * Context: any, panic included: no lock, no allocation.
 */
bool hwerr_panic_is_hw_fatal(const char *msg);

/* struct hwerr_consumer.flags */
#define HWERR_CONSUMER_OWN_REPORTS	(1U << 0) /* also deliver this module's own reports */
#define HWERR_CONSUMER_FROM_OLDEST	(1U << 1) /* start at the oldest logged record */
#define HWERR_CONSUMER_PREVIOUS_BOOT	(1U << 2) /* also deliver HWERR_F_PREVIOUS_BOOT
						   * records, and records a kexec
						   * handoff carried (hdr.boot != 0) */

/**
 * struct hwerr_consumer - an in-kernel reader of the hwerr log
 * @notify: called once per record, in log order. Context: process, on hwerr's
 *	consumer workqueue (unbound), one call at a time per consumer, no hwerr lock
 *	held: it may sleep and take its own locks. A slow notify() delays only this
 *	consumer: capture and every other reader go on, and when the log wraps past this
 *	consumer it gets, in order, one HWERR_SRC_LOST record (reason OVERRUN, flag
 *	SYNTHETIC) with the per-source counts it missed, exactly as a /dev/hwerr reader.
 *	From inside notify(), hwerr_consumer_register() and _unregister() fail with
 *	-EDEADLK; hwerr_report() works, and the consumer does not see its own report
 *	unless @flags has HWERR_CONSUMER_OWN_REPORTS.
 * @name: the consumer's name: software records whose origin equals it, and records
 *	of the module source of that name (hwerr_report_event()), are its own reports
 *	(hwerr_report() uses KBUILD_MODNAME; so does hwerr_consumer_init()).
 * @flags: HWERR_CONSUMER_*.
 * @source_mask: bit (1 << enum hwerr_source) per source wanted; 0 for all.
 * @severity_mask: bit (1 << enum hwerr_severity) per severity wanted; 0 for all.
 *	Lost-record notices are always delivered.
 * @hwerr_private: hwerr's; NULL before registration.
 *
 * Records reach a consumer through its own cursor in the log: the first is the next
 * record logged after registration (or the oldest in the log with
 * HWERR_CONSUMER_FROM_OLDEST). The work item that calls notify() is queued from the
 * context that appended the record, so delivery starts at once.
 */
struct hwerr_consumer {
	void (*notify)(struct hwerr_consumer *consumer, const struct hwerr_record *rec);
	const char *name;
	u32 flags;
	u32 source_mask;
	u32 severity_mask;
	void *hwerr_private;
};

/**
 * hwerr_consumer_register - start delivering records to @consumer
 * @consumer: caller-owned; must stay valid until hwerr_consumer_unregister() or
 *	hwerr_consumer_release() returns.
 *
 * Context: process context, may sleep (allocates the consumer's cursor).
 * Return: 0; -EINVAL if notify or name is NULL or a mask names an unknown source or
 * severity; -EBUSY if @consumer is already registered; -EDEADLK from inside a
 * notify(); -ENODEV if hwerr is not capturing; -ENOMEM.
 */
int hwerr_consumer_register(struct hwerr_consumer *consumer);

/**
 * hwerr_consumer_unregister - stop delivering records to @consumer
 * @consumer: a registered consumer.
 *
 * Once this returns 0, no notify() of @consumer is running or will start.
 * Context: process context, may sleep.
 * Return: 0; -EDEADLK from inside any consumer's notify() (nothing changes);
 * -ENOENT if @consumer is not registered.
 */
int __must_check hwerr_consumer_unregister(struct hwerr_consumer *consumer);

/**
 * hwerr_consumer_release - hwerr_consumer_unregister() that cannot fail
 * @consumer: a registered consumer (anything else is ignored).
 *
 * For owners that must let go wherever they are (Rust's Drop). Outside a notify()
 * it is hwerr_consumer_unregister(). Inside @consumer's own notify() it detaches
 * without waiting: that notify() is the last, and hwerr does not touch @consumer
 * after it returns. Inside another consumer's notify() it waits for that one's
 * notify() to return (two consumers releasing each other from their notify()
 * deadlock, as two work items flushing each other do).
 *
 * Context: process context, may sleep.
 */
void hwerr_consumer_release(struct hwerr_consumer *consumer);

/*
 * Kexec HandOver (KHO) for every hasys module (hwerr/kho.c): each module that keeps
 * state across a planned kexec handoff hands it over in one blob of its own
 * (include/hasys/kho_blob.rs), in a KHO subtree named after it. hwerr exports these
 * so that the KHO calls, and their traps, are in one place:
 * Documentation/hasys/kexec_handoff.rst.
 */

/**
 * hasys_kho_preserve - a zeroed blob of @size bytes that a kexec carries
 * @name: the KHO subtree's name ("hasys-<module>"); copied.
 * @size: bytes, at most 4 MiB (the buddy allocator's largest block).
 * @alloc_size: set to the bytes really allocated (a power-of-two number of pages),
 *	all of which the subtree names and the next kernel may read.
 *
 * Checks kho_is_enabled() first: with KHO off, KHO's calls oops or WARN.
 * Context: process context, may sleep.
 * Return: the blob (direct-mapped, physically contiguous); ERR_PTR(-EOPNOTSUPP)
 * when KHO is disabled, -EINVAL for size 0, -E2BIG above 4 MiB, -EEXIST if the name
 * is taken, -ENOMEM.
 */
void *hasys_kho_preserve(const char *name, size_t size, size_t *alloc_size);

/**
 * hasys_kho_release - undo hasys_kho_preserve(): nothing is carried any more
 * @blob: what hasys_kho_preserve() returned.
 *
 * Context: process context, may sleep.
 */
void hasys_kho_release(void *blob);

/**
 * hasys_kho_find - the blob the previous kernel handed over under @name
 * @name: the subtree's name.
 * @size: set to the subtree's size in bytes.
 *
 * Claims the blob's folio from KHO before anything reads it, so that the blob is
 * this kernel's memory until hasys_kho_free_found(). A blob is found once per
 * kernel: a module loaded again finds nothing. Nothing in it is trusted: the caller
 * validates it (kho_blob.rs's parse()) before it uses any of it.
 * Context: process context.
 * Return: the blob (direct-mapped), at most the folio's size; ERR_PTR(-ENOENT) when
 * this kernel was not started by a KHO kexec, has no such subtree or restored it
 * already, -EINVAL for a broken subtree.
 */
void *hasys_kho_find(const char *name, size_t *size);

/**
 * hasys_kho_free_found - give a found blob back to the page allocator
 * @blob: what hasys_kho_find() returned, valid or not.
 *
 * Context: process context.
 */
void hasys_kho_free_found(void *blob);

/**
 * hwerr_handoff_preserve - preserve hwerr's log for a planned kexec handoff
 *
 * Allocates the log's blob (subtree "hasys-hwerr"), room for the log's capacity of
 * records (at most 16383: 4 MiB). The records are copied in at the seal.
 * Context: process context, may sleep.
 * Return: 0; -EBUSY if preserved already; -ENODEV if hwerr is not capturing;
 * hasys_kho_preserve()'s errors.
 */
int hwerr_handoff_preserve(void);

/**
 * hwerr_handoff_seal - copy the log into its preserved blob and seal it
 *
 * Drains the captures not logged yet, then copies the log's newest records, as many
 * as the blob holds, oldest first, and seals the blob: the next kernel's hwerr
 * restores them with their sequence numbers. The blob is then the next kernel's.
 * From here the log refuses records (no sequence number is given twice); those it
 * refuses until the kexec's kmsg_dump(KMSG_DUMP_SHUTDOWN) are counted into the
 * blob's lost count there, and the next kernel tells them in-band.
 * Context: process context (the reboot notifier on the kexec path), may sleep.
 * Return: the records sealed; -ENOENT if nothing is preserved; -ENODEV if hwerr is
 * not capturing.
 */
int hwerr_handoff_seal(void);

/**
 * hwerr_handoff_release - give up the preserved log (an aborted handoff)
 *
 * Also stops a sealed blob's late count (module unload).
 * Context: process context, may sleep. Does nothing when nothing is preserved.
 */
void hwerr_handoff_release(void);

/*
 * The phases of a planned kexec handoff, told to every hasys module that keeps state
 * across it or tells others about it (hasys_handoff_register()). kexec_handoff, the
 * only caller of hasys_handoff_call(), runs them under its own mutex, in this order:
 * PREPARE, then ABORT or COMMIT.
 */
#define HASYS_HANDOFF_PREPARE	1	/* preserve your state (hasys_kho_preserve());
					 * return notifier_from_errno() to refuse */
#define HASYS_HANDOFF_ABORT	2	/* the old kernel goes on: release it */
#define HASYS_HANDOFF_COMMIT	3	/* the kexec is under way (from the reboot
					 * notifier, before hwerr seals its log): seal it */

struct notifier_block;

/**
 * hasys_handoff_register - be told the phases of a planned kexec handoff
 * @nb: its notifier_call gets HASYS_HANDOFF_* and a NULL pointer, in process
 *	context (it may sleep), never while hwerr's log or ring locks are held.
 *
 * Context: process context, may sleep.
 * Return: 0.
 */
int hasys_handoff_register(struct notifier_block *nb);

/**
 * hasys_handoff_unregister - undo hasys_handoff_register()
 * @nb: as registered. No call is running on it once this returns.
 *
 * Context: process context, may sleep.
 * Return: 0, or -ENOENT if @nb was not registered.
 */
int hasys_handoff_unregister(struct notifier_block *nb);

/**
 * hasys_handoff_call - tell every registered module a phase (kexec_handoff only)
 * @phase: HASYS_HANDOFF_PREPARE, _ABORT or _COMMIT.
 *
 * A PREPARE that a module refuses is rolled back: the modules that had accepted it
 * are told ABORT, and the refusal's errno is returned.
 *
 * Context: process context, may sleep.
 * Return: 0; for PREPARE, the first refusal's negative errno; -EINVAL for another
 * @phase.
 */
int hasys_handoff_call(unsigned long phase);

/* What hwerr restored at load from a handoff (hwerr_handoff_restored()). */
struct hwerr_handoff_restored {
	u32 handoffs;		/* handoffs the log has been through */
	u32 carried;		/* records restored */
	u32 lost;		/* records the old kernel could not carry */
	u32 refused;		/* 0, or why the blob was refused (kho_blob.rs's codes;
				 * 100 and up: its records were refused) */
	u64 first_seq;		/* the first restored record's sequence number */
	u64 last_seq;		/* the last one's */
	u64 sealed_ns;		/* CLOCK_REALTIME of the old kernel's seal */
};

/**
 * hwerr_handoff_restored - what hwerr restored from a handoff at load
 * @out: filled on success.
 *
 * Context: any.
 * Return: 0; -ENOENT when this kernel's hwerr found no log handed over.
 */
int hwerr_handoff_restored(struct hwerr_handoff_restored *out);

#endif /* _HASYS_HWERR_H */
