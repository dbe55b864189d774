// SPDX-License-Identifier: GPL-2.0
/*
 * kexec_handoff's hooks: the reboot notifier, and the kernel facts the Rust half
 * reads. C because 7.2's Rust has no notifier, KHO or utsname bindings, and
 * sysfs_notify() wants the component's kobject.
 *
 * Context: process, except where a function says otherwise.
 */

#include <linux/kexec_handover.h>
#include <linux/notifier.h>
#include <linux/reboot.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/utsname.h>

#include "hooks.h"

/* Context: any. */
bool kexec_handoff_kho_enabled(void)
{
	return kho_is_enabled();
}

/* Context: any. */
void kexec_handoff_release(char *buf)
{
	strscpy_pad(buf, init_uts_ns.name.release, 64);
}

/*
 * kernel_kexec() runs the reboot notifiers with SYS_RESTART and the command
 * "kexec reboot" (kernel_restart_prepare()), in process context, before devices
 * shut down: the last point where a module may still allocate, sleep and call KHO.
 */
static int kexec_handoff_reboot_cb(struct notifier_block *nb, unsigned long event,
				   void *cmd)
{
	bool kexec = event == SYS_RESTART && cmd && !strcmp(cmd, "kexec reboot");

	kexec_handoff_reboot(kexec);
	return NOTIFY_DONE;
}

static struct notifier_block kexec_handoff_reboot_nb = {
	.notifier_call = kexec_handoff_reboot_cb,
};

int kexec_handoff_hooks_start(void)
{
	return register_reboot_notifier(&kexec_handoff_reboot_nb);
}

/* The chain's rwsem: no callback runs once this returns. */
void kexec_handoff_hooks_stop(void)
{
	unregister_reboot_notifier(&kexec_handoff_reboot_nb);
}

void kexec_handoff_notify_state(struct kobject *kobj)
{
	if (kobj)
		sysfs_notify(kobj, NULL, "state");
}
