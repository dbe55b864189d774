// SPDX-License-Identifier: GPL-2.0
/*
 * Overload: the kernel's OOM notifier. C because a notifier_block and
 * register_oom_notifier() (<linux/oom.h>) have no Rust abstraction in 7.2.
 *
 * The notifier runs at the start of every global OOM (never for a memcg OOM), in
 * the allocating task, with oom_lock held: it only counts and kicks the runner
 * (hadetect_kick(): a spinlock and mod_delayed_work(), no allocation, no sleep),
 * which turns health red with reason "overload" (policy.rs).
 */

#include <linux/atomic.h>
#include <linux/notifier.h>
#include <linux/oom.h>

#include "isolate.h"

static atomic64_t hadetect_ooms = ATOMIC64_INIT(0);

/* Context: the OOM path, oom_lock held. Frees nothing: *freed stays. */
static int hadetect_oom_notify(struct notifier_block *nb, unsigned long unused,
			       void *freed)
{
	atomic64_inc(&hadetect_ooms);
	hadetect_kick(0);
	return NOTIFY_OK;
}

static struct notifier_block hadetect_oom_nb = {
	.notifier_call = hadetect_oom_notify,
};

/* Context: process. */
int hadetect_oom_init(void)
{
	return register_oom_notifier(&hadetect_oom_nb);
}

/* Context: process. Once this returns the notifier is not running. */
void hadetect_oom_exit(void)
{
	unregister_oom_notifier(&hadetect_oom_nb);
}

/* Global OOMs since load. Context: any. */
u64 hadetect_oom_count(void)
{
	return atomic64_read(&hadetect_ooms);
}
