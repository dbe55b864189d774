// SPDX-License-Identifier: GPL-2.0
/*
 * The attribute table of /sys/kernel/ha/kexec_handoff/ (Documentation/ABI/testing/
 * sysfs-kernel-ha-kexec_handoff). C because __ATTR() and attribute groups are macros
 * and static tables; every show and store is state.rs's (kexec_handoff_sysfs_show and
 * _store), whose ids are state.rs's `Attr`.
 *
 * Context: process (sysfs).
 */

#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "hooks.h"

struct kh_attr {
	struct kobj_attribute attr;
	u32 id;
};

static ssize_t kh_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return kexec_handoff_sysfs_show(container_of(attr, struct kh_attr, attr)->id, buf);
}

static ssize_t kh_store(struct kobject *kobj, struct kobj_attribute *attr,
			const char *buf, size_t len)
{
	return kexec_handoff_sysfs_store(container_of(attr, struct kh_attr, attr)->id,
					 buf, len);
}

#define KH_ATTR(_name, _mode, _id)						\
	static struct kh_attr kh_##_name = {					\
		.attr = __ATTR(_name, _mode, kh_show, kh_store),		\
		.id = _id,							\
	}

KH_ATTR(state, 0444, 0);
KH_ATTR(reason, 0444, 1);
KH_ATTR(attempt, 0444, 2);
KH_ATTR(report, 0444, 3);
/* Root only: a prepare preserves memory, an abort ends a handoff. */
KH_ATTR(request, 0200, 10);

static struct attribute *kh_attrs[] = {
	&kh_state.attr.attr,
	&kh_reason.attr.attr,
	&kh_attempt.attr.attr,
	&kh_report.attr.attr,
	&kh_request.attr.attr,
	NULL,
};

static const struct attribute_group kh_group = {
	.attrs = kh_attrs,
};

static const struct attribute_group *kh_groups[] = { &kh_group, NULL };

const struct attribute_group **kexec_handoff_sysfs_groups(void)
{
	return kh_groups;
}
