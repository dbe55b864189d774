// SPDX-License-Identifier: GPL-2.0
/*
 * The attribute table of /sys/kernel/ha/crashdump/ (Documentation/ABI/testing/
 * sysfs-kernel-ha-crashdump). C because __ATTR(), __BIN_ATTR() and attribute groups
 * are macros and static tables; every show and read is state.rs's
 * (crashdump_sysfs_show, crashdump_sysfs_read_record), whose show() matches on the
 * ids below.
 *
 * Context: process (sysfs).
 */

#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "hooks.h"

struct cd_attr {
	struct kobj_attribute attr;
	u32 id;
};

static ssize_t cd_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return crashdump_sysfs_show(container_of(attr, struct cd_attr, attr)->id, buf);
}

#define CD_ATTR(_name, _id)							\
	static struct cd_attr cd_##_name = {					\
		.attr = __ATTR(_name, 0444, cd_show, NULL),			\
		.id = _id,							\
	}

CD_ATTR(status, 0);
CD_ATTR(record_addr, 1);
CD_ATTR(record_size, 2);
CD_ATTR(cmdline, 3);
CD_ATTR(generation, 4);

static struct attribute *cd_attrs[] = {
	&cd_status.attr.attr,
	&cd_record_addr.attr.attr,
	&cd_record_size.attr.attr,
	&cd_cmdline.attr.attr,
	&cd_generation.attr.attr,
	NULL,
};

/* The record's bytes: root only (it holds the kernel log's tail). */
static ssize_t record_read(struct file *file, struct kobject *kobj,
			   const struct bin_attribute *attr, char *buf, loff_t off,
			   size_t count)
{
	return crashdump_sysfs_read_record(buf, off, count);
}

static const struct bin_attribute cd_record = __BIN_ATTR(record, 0400, record_read, NULL, 0);

static const struct bin_attribute *const cd_bin_attrs[] = {
	&cd_record,
	NULL,
};

static const struct attribute_group cd_group = {
	.attrs = cd_attrs,
	.bin_attrs = cd_bin_attrs,
};

static const struct attribute_group *cd_groups[] = { &cd_group, NULL };

const struct attribute_group **crashdump_sysfs_groups(void)
{
	return cd_groups;
}
