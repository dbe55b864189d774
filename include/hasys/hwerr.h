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

struct attribute_group;
struct kobject;

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

#endif /* _HASYS_HWERR_H */
