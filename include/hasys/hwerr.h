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
 * struct hwerr_consumer - a kernel-side observer of every logged record
 * @notify: called once per record, in log order, after the record is in the log.
 *	Runs in process context (hwerr's drain work) with the consumer list's mutex
 *	held: it may sleep briefly, but must not (un)register consumers and must not
 *	wait for other records, as it delays every reader.
 * @node: private to hwerr.
 */
struct hwerr_consumer {
	void (*notify)(struct hwerr_consumer *consumer, const struct hwerr_record *rec);
	struct list_head node;
};

/**
 * hwerr_consumer_register - start calling @consumer->notify for new records
 * @consumer: caller-owned; must stay valid until hwerr_consumer_unregister().
 *
 * Context: process context, may sleep. Return: 0, or -EINVAL if notify is NULL.
 */
int hwerr_consumer_register(struct hwerr_consumer *consumer);

/**
 * hwerr_consumer_unregister - stop calling @consumer
 * @consumer: a registered consumer.
 *
 * No call to @consumer->notify is running or will start once this returns.
 * Context: process context, may sleep; not from inside a notify callback.
 */
void hwerr_consumer_unregister(struct hwerr_consumer *consumer);

#endif /* _HASYS_HWERR_H */
