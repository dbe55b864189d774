// SPDX-License-Identifier: GPL-2.0
/*
 * The attribute tables of /sys/kernel/ha/hadetect/ (Documentation/ABI/testing/
 * sysfs-kernel-ha-hadetect). C because __ATTR(), attribute groups and binary
 * attributes are macros and static tables; every show and store is policy.rs's
 * (hadetect_sysfs_show/_store), which parses, validates and answers.
 *
 *   health, score, reasons, counters, agents  read-only; health is pollable
 *   dry_run                                   0 or 1
 *   overload_hold_ms                          how long an OOM keeps health red
 *   clear                                     write-only: all | <class> [<object>] |
 *                                             agents | agent <name>
 *   faults                                    binary (text of any length): the faults
 *   <class>/{threshold,window_ms,action,cap,dry_run,ue_immediate}   the class's rule
 *
 * Context: process (sysfs).
 */

#include <linux/kobject.h>
#include <linux/sysfs.h>

#include <hasys/hwerr.h>

#include "isolate.h"
#include "sysfs.h"

struct hadetect_attr {
	struct kobj_attribute attr;
	u32 class;
	u32 id;
};

#define to_hd(a) container_of(a, struct hadetect_attr, attr)

static ssize_t hd_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return hadetect_sysfs_show(to_hd(attr)->class, to_hd(attr)->id, buf);
}

static ssize_t hd_store(struct kobject *kobj, struct kobj_attribute *attr,
			const char *buf, size_t len)
{
	return hadetect_sysfs_store(to_hd(attr)->class, to_hd(attr)->id, buf, len);
}

#define HD_ATTR(_var, _name, _mode, _class, _id)				\
	static struct hadetect_attr _var = {					\
		.attr = __ATTR(_name, _mode, hd_show, hd_store),		\
		.class = _class,						\
		.id = _id,							\
	}

HD_ATTR(hd_health, health, 0444, 0, HD_SYSFS_HEALTH);
HD_ATTR(hd_score, score, 0444, 0, HD_SYSFS_SCORE);
HD_ATTR(hd_reasons, reasons, 0444, 0, HD_SYSFS_REASONS);
HD_ATTR(hd_counters, counters, 0444, 0, HD_SYSFS_COUNTERS);
HD_ATTR(hd_dry_run, dry_run, 0644, 0, HD_SYSFS_DRY_RUN);
HD_ATTR(hd_clear, clear, 0200, 0, HD_SYSFS_CLEAR);
HD_ATTR(hd_agents, agents, 0444, 0, HD_SYSFS_AGENTS);
HD_ATTR(hd_overload_hold, overload_hold_ms, 0644, 0, HD_SYSFS_OVERLOAD_HOLD_MS);

static ssize_t faults_read(struct file *file, struct kobject *kobj,
			   const struct bin_attribute *attr, char *buf, loff_t off,
			   size_t count)
{
	return hadetect_faults_read(buf, off, count);
}

/* Size 0: no limit; the text is as long as the fault table needs. */
static const struct bin_attribute hd_faults = __BIN_ATTR(faults, 0444, faults_read, NULL, 0);

static struct attribute *hd_attrs[] = {
	&hd_health.attr.attr,
	&hd_score.attr.attr,
	&hd_reasons.attr.attr,
	&hd_counters.attr.attr,
	&hd_dry_run.attr.attr,
	&hd_clear.attr.attr,
	&hd_agents.attr.attr,
	&hd_overload_hold.attr.attr,
	NULL,
};

static const struct bin_attribute *const hd_bin_attrs[] = {
	&hd_faults,
	NULL,
};

static const struct attribute_group hd_group = {
	.attrs = hd_attrs,
	.bin_attrs = hd_bin_attrs,
};

#define HD_RULE_GROUP(_name, _class)						\
	HD_ATTR(_name##_threshold, threshold, 0644, _class, HD_SYSFS_THRESHOLD); \
	HD_ATTR(_name##_window_ms, window_ms, 0644, _class, HD_SYSFS_WINDOW_MS); \
	HD_ATTR(_name##_action, action, 0644, _class, HD_SYSFS_ACTION);	\
	HD_ATTR(_name##_cap, cap, 0644, _class, HD_SYSFS_CAP);		\
	HD_ATTR(_name##_dry_run, dry_run, 0644, _class, HD_SYSFS_RULE_DRY_RUN); \
	HD_ATTR(_name##_ue, ue_immediate, 0644, _class, HD_SYSFS_UE_IMMEDIATE); \
	static struct attribute *_name##_attrs[] = {				\
		&_name##_threshold.attr.attr,					\
		&_name##_window_ms.attr.attr,					\
		&_name##_action.attr.attr,					\
		&_name##_cap.attr.attr,						\
		&_name##_dry_run.attr.attr,					\
		&_name##_ue.attr.attr,						\
		NULL,								\
	};									\
	static const struct attribute_group _name##_group = {			\
		.name = #_name,							\
		.attrs = _name##_attrs,						\
	}

/* The class numbers are enum hwerr_hd_class (UAPI). */
HD_RULE_GROUP(page, 1);
HD_RULE_GROUP(dimm, 2);
HD_RULE_GROUP(cpu, 3);
HD_RULE_GROUP(cache, 4);
HD_RULE_GROUP(pci, 5);
HD_RULE_GROUP(node, 6);

static const struct attribute_group *hd_groups[] = {
	&hd_group, &page_group, &dimm_group, &cpu_group, &cache_group, &pci_group,
	&node_group, NULL,
};

const struct attribute_group **hadetect_sysfs_groups(void)
{
	return hd_groups;
}

/* Wakes pollers of health (sysfs_notify()). Context: process. */
void hadetect_sysfs_notify(struct kobject *kobj)
{
	sysfs_notify(kobj, NULL, "health");
}
