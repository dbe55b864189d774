// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/ha/: the hasys sysfs tree, one directory per component.
 *
 * This is C because Linux 7.2 has no Rust abstraction for kobjects or sysfs
 * attributes: kobj_type, the attribute tables and their show() callbacks are built
 * from C macros. Everything here runs in process context and may sleep.
 */

#include <linux/err.h>
#include <linux/kobject.h>
#include <linux/kernfs.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include <hasys/hwerr.h>

#include "sysfs_tree.h"

#define HASYS_NAME_MAX 32

/* A component directory: the kobject and what its "version" file shows. */
struct hasys_component {
	struct kobject kobj;
	const char *version;
};

/* /sys/kernel/ha; set by hasys_sysfs_init() before any other module can link to us. */
static struct kobject *hasys_root;
/* Serialises the name check and the add, so a duplicate is -EEXIST, not a sysfs splat. */
static DEFINE_MUTEX(hasys_tree_lock);

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct hasys_component *c = container_of(kobj, struct hasys_component, kobj);

	return sysfs_emit(buf, "%s\n", c->version);
}
static struct kobj_attribute version_attr = __ATTR_RO(version);

static struct attribute *component_attrs[] = {
	&version_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(component);

static void component_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct hasys_component, kobj));
}

static const struct kobj_type component_ktype = {
	.release = component_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = component_groups,
};

static bool name_valid(const char *name)
{
	size_t len = strnlen(name, HASYS_NAME_MAX + 1);

	return len > 0 && len <= HASYS_NAME_MAX && !strchr(name, '/') &&
	       strcmp(name, ".") && strcmp(name, "..");
}

struct kobject *hasys_component_add(const char *name, const char *version,
				    const struct attribute_group **groups)
{
	struct hasys_component *c;
	struct kernfs_node *kn;
	int err;

	if (!name || !version || !name_valid(name))
		return ERR_PTR(-EINVAL);

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return ERR_PTR(-ENOMEM);
	c->version = version;
	kobject_init(&c->kobj, &component_ktype);

	mutex_lock(&hasys_tree_lock);
	kn = kernfs_find_and_get(hasys_root->sd, name);
	if (kn) {
		kernfs_put(kn);
		err = -EEXIST;
		goto err_unlock;
	}
	err = kobject_add(&c->kobj, hasys_root, "%s", name);
	if (err)
		goto err_unlock;
	if (groups) {
		err = sysfs_create_groups(&c->kobj, groups);
		if (err) {
			kobject_del(&c->kobj);
			goto err_unlock;
		}
	}
	mutex_unlock(&hasys_tree_lock);
	kobject_uevent(&c->kobj, KOBJ_ADD);
	return &c->kobj;

err_unlock:
	mutex_unlock(&hasys_tree_lock);
	kobject_put(&c->kobj);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_GPL(hasys_component_add);

void hasys_component_del(struct kobject *kobj)
{
	/*
	 * kobject_del() removes the directory and drains running show()/store() calls
	 * now, whoever else still holds a reference to the kobject.
	 */
	kobject_del(kobj);
	kobject_put(kobj);
}
EXPORT_SYMBOL_GPL(hasys_component_del);

int hasys_sysfs_init(void)
{
	hasys_root = kobject_create_and_add("ha", kernel_kobj);
	return hasys_root ? 0 : -ENOMEM;
}

void hasys_sysfs_exit(void)
{
	kobject_put(hasys_root);
	hasys_root = NULL;
}
