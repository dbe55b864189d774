/* SPDX-License-Identifier: GPL-2.0 */
/* hwerr-internal half of sysfs_tree.c; the exported half is <hasys/hwerr.h>. */
#ifndef _HWERR_SYSFS_TREE_H
#define _HWERR_SYSFS_TREE_H

/**
 * hasys_sysfs_init - create /sys/kernel/ha/
 *
 * Context: module init, process context.
 * Return: 0 or -ENOMEM.
 */
int hasys_sysfs_init(void);

/**
 * hasys_sysfs_exit - remove /sys/kernel/ha/
 *
 * Context: module exit, after every component directory is gone.
 */
void hasys_sysfs_exit(void);

#endif /* _HWERR_SYSFS_TREE_H */
