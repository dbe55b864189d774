// SPDX-License-Identifier: GPL-2.0
/*
 * hadetect's handoff notifier: its part in a planned kexec handoff, on hwerr's
 * chain (hasys_handoff_register()). C because a notifier_block has no Rust
 * abstraction in 7.2 (overload.c's OOM notifier is C for the same reason).
 *
 * hadetect_handoff_cb() runs in process context, in kexec_handoff's request or its
 * reboot notifier, and calls policy.rs (handoff.rs describes the phases).
 */

#include <linux/notifier.h>

#include <hasys/hwerr.h>

#include "isolate.h"

/* Context: process (kexec_handoff, through hwerr's chain); may sleep. */
static int hadetect_handoff_cb(struct notifier_block *nb, unsigned long phase, void *data)
{
	return notifier_from_errno(hadetect_handoff(phase));
}

static struct notifier_block hadetect_handoff_nb = {
	.notifier_call = hadetect_handoff_cb,
};

/* Context: process. */
int hadetect_handoff_init(void)
{
	return hasys_handoff_register(&hadetect_handoff_nb);
}

/* Context: process. Once this returns no call is running. */
void hadetect_handoff_exit(void)
{
	hasys_handoff_unregister(&hadetect_handoff_nb);
}
