/* SPDX-License-Identifier: GPL-2.0 */
/* sysfs.c: /sys/kernel/ha/hadetect/ attribute tables; the ids policy.rs answers. */
#ifndef HADETECT_SYSFS_H
#define HADETECT_SYSFS_H

#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/types.h>

enum {
	HD_SYSFS_HEALTH = 0,
	HD_SYSFS_SCORE = 1,
	HD_SYSFS_REASONS = 2,
	HD_SYSFS_COUNTERS = 3,
	HD_SYSFS_DRY_RUN = 4,
	HD_SYSFS_CLEAR = 5,
	HD_SYSFS_AGENTS = 6,
	HD_SYSFS_OVERLOAD_HOLD_MS = 7,
	HD_SYSFS_THRESHOLD = 10,
	HD_SYSFS_WINDOW_MS = 11,
	HD_SYSFS_ACTION = 12,
	HD_SYSFS_CAP = 13,
	HD_SYSFS_RULE_DRY_RUN = 14,
	HD_SYSFS_UE_IMMEDIATE = 15,
};

const struct attribute_group **hadetect_sysfs_groups(void);
void hadetect_sysfs_notify(struct kobject *kobj);

/* policy.rs */
ssize_t hadetect_sysfs_show(u32 class, u32 id, char *buf);
ssize_t hadetect_sysfs_store(u32 class, u32 id, const char *buf, size_t len);
ssize_t hadetect_faults_read(char *buf, loff_t off, size_t count);

#endif /* HADETECT_SYSFS_H */
