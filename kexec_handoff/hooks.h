/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kexec_handoff-internal: the calls between the C half (hooks.c, sysfs.c) and the
 * Rust half (kexec_handoff_main.rs, state.rs). The Rust declarations are in state.rs;
 * keep them in step. Documentation/hasys/kexec_handoff.rst describes the module.
 */
#ifndef _KEXEC_HANDOFF_HOOKS_H
#define _KEXEC_HANDOFF_HOOKS_H

#include <linux/types.h>

struct attribute_group;
struct kobject;

/* ---- Provided by C (hooks.c) ---- */

/* Whether KHO is enabled (kho_is_enabled()). Context: any. */
bool kexec_handoff_kho_enabled(void);

/* This kernel's release (init_uts_ns), NUL-padded into @buf (64 bytes). Context: any. */
void kexec_handoff_release(char *buf);

/*
 * The reboot notifier: on the kexec path (SYS_RESTART, "kexec reboot") it calls
 * kexec_handoff_reboot(true), on any other reboot, halt or power-off
 * kexec_handoff_reboot(false). Context: process.
 */
int kexec_handoff_hooks_start(void);
void kexec_handoff_hooks_stop(void);

/* sysfs_notify() on @kobj's "state". Context: process. */
void kexec_handoff_notify_state(struct kobject *kobj);

/* The attribute groups of /sys/kernel/ha/kexec_handoff/ (sysfs.c). */
const struct attribute_group **kexec_handoff_sysfs_groups(void);

/* ---- Provided by Rust (state.rs) ---- */

/*
 * The reboot notifier's work: commit a ready handoff (@kexec) or abort one that is
 * under way. Context: process (the reboot notifier chain), may sleep.
 */
void kexec_handoff_reboot(bool kexec);

/* sysfs: the text attribute @id into @buf (PAGE_SIZE). Context: process. */
ssize_t kexec_handoff_sysfs_show(u32 id, char *buf);
/* sysfs: a write of @len bytes to attribute @id. Context: process. */
ssize_t kexec_handoff_sysfs_store(u32 id, const char *buf, size_t len);

#endif /* _KEXEC_HANDOFF_HOOKS_H */
