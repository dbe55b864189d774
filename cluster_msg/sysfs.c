// SPDX-License-Identifier: GPL-2.0
/*
 * The attribute table of /sys/kernel/ha/cluster_msg/ (Documentation/ABI/testing/
 * sysfs-kernel-ha-cluster_msg). C because __ATTR() and attribute groups are macros
 * and static tables; every show and store is node.rs's (cluster_msg_sysfs_show and
 * _store), which parses, validates and answers. The ids are node.rs's `Attr`.
 *
 * Context: process (sysfs).
 */

#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "net.h"

struct cm_attr {
	struct kobj_attribute attr;
	u32 id;
};

static ssize_t cm_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return cluster_msg_sysfs_show(container_of(attr, struct cm_attr, attr)->id, buf);
}

static ssize_t cm_store(struct kobject *kobj, struct kobj_attribute *attr,
			const char *buf, size_t len)
{
	return cluster_msg_sysfs_store(container_of(attr, struct cm_attr, attr)->id, buf,
				       len);
}

#define CM_ATTR(_name, _mode, _id)						\
	static struct cm_attr cm_##_name = {					\
		.attr = __ATTR(_name, _mode, cm_show, cm_store),		\
		.id = _id,							\
	}

/* Configuration: root writes, everyone reads (keys: root writes, nobody reads). */
CM_ATTR(enabled, 0644, 0);
CM_ATTR(node_id, 0644, 1);
CM_ATTR(cluster_id, 0644, 2);
CM_ATTR(interface, 0644, 3);
CM_ATTR(port, 0644, 4);
CM_ATTR(interval_ms, 0644, 5);
CM_ATTR(suspect_ms, 0644, 6);
CM_ATTR(dead_ms, 0644, 7);
CM_ATTR(max_skew_s, 0644, 8);
CM_ATTR(gasp_repeats, 0644, 9);
CM_ATTR(tx_key, 0644, 10);
CM_ATTR(key0, 0200, 11);
CM_ATTR(key1, 0200, 12);
CM_ATTR(peers, 0644, 13);
CM_ATTR(request, 0200, 14);
CM_ATTR(handoff_ms, 0644, 15);
/* The view. */
CM_ATTR(keys, 0444, 20);
CM_ATTR(state, 0444, 21);
CM_ATTR(epoch, 0444, 22);
CM_ATTR(incarnation, 0444, 23);
CM_ATTR(members, 0444, 24);
CM_ATTR(counters, 0444, 25);

static struct attribute *cm_attrs[] = {
	&cm_enabled.attr.attr,
	&cm_node_id.attr.attr,
	&cm_cluster_id.attr.attr,
	&cm_interface.attr.attr,
	&cm_port.attr.attr,
	&cm_interval_ms.attr.attr,
	&cm_suspect_ms.attr.attr,
	&cm_dead_ms.attr.attr,
	&cm_max_skew_s.attr.attr,
	&cm_gasp_repeats.attr.attr,
	&cm_tx_key.attr.attr,
	&cm_key0.attr.attr,
	&cm_key1.attr.attr,
	&cm_peers.attr.attr,
	&cm_request.attr.attr,
	&cm_handoff_ms.attr.attr,
	&cm_keys.attr.attr,
	&cm_state.attr.attr,
	&cm_epoch.attr.attr,
	&cm_incarnation.attr.attr,
	&cm_members.attr.attr,
	&cm_counters.attr.attr,
	NULL,
};

static const struct attribute_group cm_group = {
	.attrs = cm_attrs,
};

static const struct attribute_group *cm_groups[] = { &cm_group, NULL };

const struct attribute_group **cm_sysfs_groups(void)
{
	return cm_groups;
}

/* Wakes pollers of state, epoch and members. Context: process. */
void cm_sysfs_notify(struct kobject *kobj)
{
	sysfs_notify(kobj, NULL, "state");
	sysfs_notify(kobj, NULL, "epoch");
	sysfs_notify(kobj, NULL, "members");
}
