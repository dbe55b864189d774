// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel calls behind hadetect's actions, and its work queue. This is C because
 * Rust cannot make these calls in 7.2: pfn_to_online_page() (a macro without
 * MEMORY_HOTPLUG), PageHWPoison(), cpu_online() and num_online_cpus() are inline,
 * MF_SOFT_OFFLINE is an enum of <linux/mm.h> bindgen does not carry as a constant
 * users may rely on, alloc_ordered_workqueue() is a macro, and 7.2's Rust workqueue
 * API can neither create a queue nor cancel a work item (unload must do both).
 *
 * Every function runs in process context on hadetect's ordered workqueue (the
 * actions), or at load and unload; none is called from the hwerr consumer callback.
 * policy.rs calls them; each returns 0 or -errno as documented.
 */

#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/device.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/page-flags.h>
#include <linux/pci.h>
#include <linux/workqueue.h>

#include "isolate.h"

/*
 * Queues a soft offline of @pfn: the kernel migrates the page's contents and takes
 * the page out of use. The result comes later; see hadetect_page_poisoned().
 * -ENXIO: not an online page; -EOPNOTSUPP: the kernel has no MEMORY_FAILURE.
 */
int hadetect_page_soft_offline(u64 pfn)
{
	if (!IS_ENABLED(CONFIG_MEMORY_FAILURE))
		return -EOPNOTSUPP;
	if (pfn > ULONG_MAX || !pfn_to_online_page(pfn))
		return -ENXIO;
	memory_failure_queue(pfn, MF_SOFT_OFFLINE);
	return 0;
}

/* 1 when @pfn is poisoned (offlined), 0 when not, -ENXIO for no online page. */
int hadetect_page_poisoned(u64 pfn)
{
	struct page *page;

	if (pfn > ULONG_MAX)
		return -ENXIO;
	page = pfn_to_online_page(pfn);
	if (!page)
		return -ENXIO;
	return PageHWPoison(page) ? 1 : 0;
}

/*
 * Whether hadetect may offline @cpu: -EINVAL for no such CPU, -EALREADY when it is
 * offline, -EPERM when it is not hotpluggable (CPU 0 on x86), -EBUSY when it is the
 * last online CPU.
 */
int hadetect_cpu_check(u32 cpu)
{
	if (cpu >= nr_cpu_ids || !cpu_present(cpu))
		return -EINVAL;
	if (!cpu_online(cpu))
		return -EALREADY;
	if (!cpu_is_hotpluggable(cpu))
		return -EPERM;
	if (num_online_cpus() <= 1)
		return -EBUSY;
	return 0;
}

/* Offlines @cpu (remove_cpu(); -EPERM without CPU hotplug), after hadetect_cpu_check(). */
int hadetect_cpu_offline(u32 cpu)
{
	int ret = hadetect_cpu_check(cpu);

	return ret ? ret : remove_cpu(cpu);
}

/* 1 when @cpu is online, else 0. */
int hadetect_cpu_online(u32 cpu)
{
	return cpu < nr_cpu_ids && cpu_online(cpu);
}

#ifdef CONFIG_PCI
static struct pci_dev *hadetect_pci_get(u64 bdf)
{
	return pci_get_domain_bus_and_slot((int)(bdf >> 16 & 0xffff), bdf >> 8 & 0xff,
					   bdf & 0xff);
}

/*
 * Isolates the PCI function @bdf (segment << 16 | bus << 8 | devfn): @remove stops and
 * removes it (a rescan brings it back); otherwise its driver_override becomes "none",
 * so no driver matches it again, and its driver is released. No lock is held here:
 * both calls take the device lock themselves. -ENODEV: no such device.
 */
int hadetect_pci_isolate(u64 bdf, bool remove)
{
	struct pci_dev *pdev = hadetect_pci_get(bdf);
	int ret = 0;

	if (!pdev)
		return -ENODEV;
	if (remove) {
		pci_stop_and_remove_bus_device_locked(pdev);
	} else {
		ret = device_set_driver_override(&pdev->dev, "none");
		if (!ret)
			device_release_driver(&pdev->dev);
	}
	pci_dev_put(pdev);
	return ret;
}

/* 1 when @bdf is isolated as @remove says (gone, or without a driver), else 0. */
int hadetect_pci_isolated(u64 bdf, bool remove)
{
	struct pci_dev *pdev = hadetect_pci_get(bdf);
	int ret;

	if (!pdev)
		return remove ? 1 : 0;
	ret = !remove && !READ_ONCE(pdev->dev.driver);
	pci_dev_put(pdev);
	return ret;
}
#else /* !CONFIG_PCI: no PCI function exists to isolate. */
int hadetect_pci_isolate(u64 bdf, bool remove)
{
	return -ENODEV;
}

int hadetect_pci_isolated(u64 bdf, bool remove)
{
	return remove;
}
#endif /* CONFIG_PCI */

/* The action runner: one delayed work on an ordered queue of hadetect's own. */
static struct workqueue_struct *hadetect_wq;
static bool hadetect_wq_dying;
static DEFINE_SPINLOCK(hadetect_wq_lock);

static void hadetect_run_fn(struct work_struct *work)
{
	hadetect_run_actions();
}

static DECLARE_DELAYED_WORK(hadetect_run_work, hadetect_run_fn);

int hadetect_wq_init(void)
{
	hadetect_wq = alloc_ordered_workqueue("hadetect", WQ_MEM_RECLAIM);
	if (!hadetect_wq)
		return -ENOMEM;
	WRITE_ONCE(hadetect_wq_dying, false);
	return 0;
}

/*
 * Runs the action runner at once (@delay_ns 0), or after @delay_ns unless a run is
 * already pending (the runner computes the next deadline each time it ends). Context: any but NMI; a no-op once hadetect_wq_exit() began.
 */
void hadetect_kick(u64 delay_ns)
{
	unsigned long flags;

	spin_lock_irqsave(&hadetect_wq_lock, flags);
	if (!hadetect_wq_dying) {
		/* Now: pull a pending run forward. Later: only if none is pending. */
		if (!delay_ns)
			mod_delayed_work(hadetect_wq, &hadetect_run_work, 0);
		else
			queue_delayed_work(hadetect_wq, &hadetect_run_work,
					   nsecs_to_jiffies(delay_ns) + 1);
	}
	spin_unlock_irqrestore(&hadetect_wq_lock, flags);
}

/* Stops the runner for good and frees the queue. Context: process. */
void hadetect_wq_exit(void)
{
	unsigned long flags;

	spin_lock_irqsave(&hadetect_wq_lock, flags);
	hadetect_wq_dying = true;
	spin_unlock_irqrestore(&hadetect_wq_lock, flags);
	/* The runner may kick itself: cancel_delayed_work_sync() handles that. */
	cancel_delayed_work_sync(&hadetect_run_work);
	destroy_workqueue(hadetect_wq);
	hadetect_wq = NULL;
}
