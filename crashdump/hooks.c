// SPDX-License-Identifier: GPL-2.0
/*
 * crashdump's C half: the region's memory, the crashed kernel's memory in a capture
 * kernel, the panic and die notifiers, and what a crash record says about the kernel
 * writing it. C because these are macros and inline functions that 7.2's Rust has
 * no binding for (alloc_pages_exact(), virt_to_phys(), is_kdump_kernel(),
 * ktime_get_*_fast_ns(), notifier blocks, kmsg_dump's iterator); the record itself
 * is written by state.rs. Each function says its context (hooks.h).
 */

#include <linux/crash_dump.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kdebug.h>
#include <linux/kexec.h>
#include <linux/kmsg_dump.h>
#include <linux/mm.h>
#include <linux/notifier.h>
#include <linux/panic.h>
#include <linux/panic_notifier.h>
#include <linux/preempt.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/utsname.h>

#include "hooks.h"

/* Context: process. */
void *crashdump_region_alloc(size_t size, u64 *phys)
{
	void *virt = alloc_pages_exact(size, GFP_KERNEL | __GFP_ZERO);

	if (virt)
		*phys = virt_to_phys(virt);
	return virt;
}

/* Context: process. */
void crashdump_region_free(void *virt, size_t size)
{
	free_pages_exact(virt, size);
}

/*
 * Context: process. A capture kernel's own RAM is the crashkernel= reservation; the
 * crashed kernel's memory is outside it and no resource here, so a range that is
 * (even in part) refers to this kernel or a device, not to the record.
 */
void *crashdump_oldmem_map(u64 phys, size_t size)
{
	void *virt;

	/*
	 * The live kernel's region is page-aligned. Any resource this kernel knows
	 * (its own RAM, device memory) is not the crashed kernel's RAM, which is a
	 * hole here: mapping device memory write-back would read registers.
	 */
	if (!phys || !PAGE_ALIGNED(phys) || phys + size < phys ||
	    region_intersects(phys, size, IORESOURCE_MEM, IORES_DESC_NONE) != REGION_DISJOINT)
		return ERR_PTR(-EINVAL);
	virt = memremap(phys, size, MEMREMAP_WB);
	return virt ?: ERR_PTR(-ENOMEM);
}

/* Context: process. */
void crashdump_oldmem_unmap(void *virt)
{
	memunmap(virt);
}

/* Context: any. */
bool crashdump_is_kdump_kernel(void)
{
	return is_kdump_kernel();
}

/* Context: any, panic included. get_taint() is not exported; test_taint() is. */
void crashdump_env(struct crashdump_env *env)
{
	unsigned int i;

	memset(env, 0, sizeof(*env));
	env->cpu = raw_smp_processor_id();
	env->kdump_loaded = kexec_crash_loaded();
	for (i = 0; i < TAINT_FLAGS_COUNT; i++)
		if (test_taint(i))
			env->taint |= BIT_ULL(i);
	env->realtime_ns = ktime_get_real_fast_ns();
	env->boottime_ns = ktime_get_boot_fast_ns();
	strscpy_pad(env->release, init_uts_ns.name.release, sizeof(env->release));
}

/* Context: process; the live writer's section (state.rs). */
void crashdump_preempt_off(void)
{
	preempt_disable();
}

void crashdump_preempt_on(void)
{
	preempt_enable();
}

/* Context: any: a busy-wait. */
void crashdump_relax_us(u32 us)
{
	udelay(us);
}

/* Context: panic and die. kmsg_dump's iterator reads the log without its locks. */
size_t crashdump_log_tail(u8 *buf, size_t len, bool *cut)
{
	struct kmsg_dump_iter iter;
	size_t got = 0;

	*cut = false;
	kmsg_dump_rewind(&iter);
	if (!kmsg_dump_get_buffer(&iter, false, buf, len, &got))
		return 0;
	*cut = iter.next_seq > iter.cur_seq;
	return min(got, len);
}

/* Context: panic (other CPUs stopped, interrupts off). */
static int crashdump_panic_cb(struct notifier_block *nb, unsigned long event, void *msg)
{
	crashdump_write_crash(CRASHDUMP_HOOK_PANIC, msg);
	return NOTIFY_DONE;
}

/* Context: die (an oops; interrupts off, other CPUs may run). */
static int crashdump_die_cb(struct notifier_block *nb, unsigned long event, void *data)
{
	struct die_args *args = data;

	if (event == DIE_OOPS)
		crashdump_write_crash(CRASHDUMP_HOOK_DIE, args ? args->str : NULL);
	return NOTIFY_DONE;
}

/* After cluster_msg's dying gasp (INT_MAX): the peers first, then the record. */
static struct notifier_block crashdump_panic_nb = {
	.notifier_call = crashdump_panic_cb,
	.priority = INT_MAX - 1,
};

static struct notifier_block crashdump_die_nb = {
	.notifier_call = crashdump_die_cb,
	.priority = INT_MAX - 1,
};

/* Context: process. */
int crashdump_hooks_start(void)
{
	int ret = register_die_notifier(&crashdump_die_nb);

	if (ret)
		return ret;
	ret = atomic_notifier_chain_register(&panic_notifier_list, &crashdump_panic_nb);
	if (ret)
		unregister_die_notifier(&crashdump_die_nb);
	return ret;
}

/*
 * Context: process. Both unregistrations wait for running callbacks (RCU), so no
 * crashdump_write_crash() runs once this returns.
 */
void crashdump_hooks_stop(void)
{
	atomic_notifier_chain_unregister(&panic_notifier_list, &crashdump_panic_nb);
	unregister_die_notifier(&crashdump_die_nb);
}
