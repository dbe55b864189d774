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
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include <hasys/hwerr.h>

#include "sysfs_tree.h"

#define HASYS_NAME_MAX 32

/*
 * A component directory. The kobject is the kernel's own dynamic kobject
 * (kobject_create_and_add()), so its release function is kernel text: with
 * CONFIG_DEBUG_KOBJECT_RELEASE (or any late kobject_put() by another holder) it may
 * run seconds after hasys_component_del(), when hwerr may already be unloaded. What
 * hwerr itself allocates per component is this entry, freed in
 * hasys_component_del() once kobject_del() has drained every show() call.
 */
struct hasys_component {
	struct list_head node;
	struct kobject *kobj;
	const char *version;
};

/* /sys/kernel/ha; set by hasys_sysfs_init() before any other module can link to us. */
static struct kobject *hasys_root;
/*
 * Serialises the name check and the add, so a duplicate is -EEXIST, not a sysfs
 * splat, and protects hasys_components.
 */
static DEFINE_MUTEX(hasys_tree_lock);
static LIST_HEAD(hasys_components);

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct hasys_component *c;
	ssize_t ret = -ENODEV;

	mutex_lock(&hasys_tree_lock);
	list_for_each_entry(c, &hasys_components, node) {
		if (c->kobj == kobj) {
			ret = sysfs_emit(buf, "%s\n", c->version);
			break;
		}
	}
	mutex_unlock(&hasys_tree_lock);
	return ret;
}
static struct kobj_attribute version_attr = __ATTR_RO(version);

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

	mutex_lock(&hasys_tree_lock);
	kn = kernfs_find_and_get(hasys_root->sd, name);
	if (kn) {
		kernfs_put(kn);
		err = -EEXIST;
		goto err_unlock;
	}
	c->kobj = kobject_create_and_add(name, hasys_root);
	if (!c->kobj) {
		err = -ENOMEM;
		goto err_unlock;
	}
	/* Listed before the files exist, so version_show() always finds it. */
	list_add(&c->node, &hasys_components);
	err = sysfs_create_file(c->kobj, &version_attr.attr);
	if (!err && groups)
		err = sysfs_create_groups(c->kobj, groups);
	if (err) {
		list_del(&c->node);
		mutex_unlock(&hasys_tree_lock);
		kobject_del(c->kobj);
		kobject_put(c->kobj);
		kfree(c);
		return ERR_PTR(err);
	}
	mutex_unlock(&hasys_tree_lock);
	kobject_uevent(c->kobj, KOBJ_ADD);
	return c->kobj;

err_unlock:
	mutex_unlock(&hasys_tree_lock);
	kfree(c);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_GPL(hasys_component_add);

void hasys_component_del(struct kobject *kobj)
{
	struct hasys_component *c, *found = NULL;

	/*
	 * kobject_del() removes the directory and drains running show()/store() calls
	 * now, whoever else still holds a reference to the kobject; from then on no
	 * callback in hwerr or in the component's module can run for it. Not under
	 * hasys_tree_lock: a draining version_show() takes it.
	 */
	kobject_del(kobj);
	mutex_lock(&hasys_tree_lock);
	list_for_each_entry(c, &hasys_components, node) {
		if (c->kobj == kobj) {
			found = c;
			list_del(&c->node);
			break;
		}
	}
	mutex_unlock(&hasys_tree_lock);
	kfree(found);
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
	/*
	 * Out of sysfs now: the release may come seconds later (another holder, or
	 * CONFIG_DEBUG_KOBJECT_RELEASE), and a reload must be able to create it again.
	 */
	kobject_del(hasys_root);
	kobject_put(hasys_root);
	hasys_root = NULL;
}
