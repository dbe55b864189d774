// SPDX-License-Identifier: GPL-2.0
/*
 * Capture: from any context (NMI and #MC included) into hwerr's log.
 *
 * A capture takes a preallocated slot from this CPU's pool by atomically setting
 * its bit (test_and_set_bit, so a nested NMI on the same CPU simply takes another
 * slot), fills it, and pushes it on a lock-free llist. irq_work then queues the
 * drain work (system_highpri_wq), which runs in process context, moves each record into the Rust log
 * (which assigns the sequence number), calls the in-kernel consumers and frees the
 * slot. When a CPU's slots are all in flight the record is dropped and counted;
 * the drain then logs one HWERR_SRC_LOST record with the per-source counts, so a
 * reader learns what it missed in-band and in order.
 *
 * This is C because 7.2 has no Rust abstraction for per-CPU data, llist, irq_work
 * or debugfs files with custom fops; the log, readers and ABI are Rust.
 *
 * Memory: capture_slots * nr_cpu_ids * sizeof(struct hwerr_slot) (272 bytes),
 * allocated at load; nothing is allocated after that.
 */

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/debugfs.h>
#include <linux/irq_work.h>
#include <linux/kobject.h>
#include <linux/ktime.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>

#include <hasys/hwerr.h>

#include "percpu_capture.h"

#define HWERR_SLOTS_MAX 256

static unsigned int capture_slots = 32;
module_param(capture_slots, uint, 0444);
MODULE_PARM_DESC(capture_slots,
		 "records each CPU can hold between capture and the log (1-256, default 32)");

struct hwerr_slot {
	struct llist_node node;
	unsigned int cpu;
	unsigned int idx;
	struct hwerr_record rec;
};

/* One per CPU: which of that CPU's slots are in flight. */
struct hwerr_pool {
	unsigned long busy[BITS_TO_LONGS(HWERR_SLOTS_MAX)];
};

static struct hwerr_pool __percpu *hwerr_pools;
static struct hwerr_slot *hwerr_slots;	/* nr_cpu_ids * capture_slots */
static const void *hwerr_log;
static bool hwerr_running;

static LLIST_HEAD(hwerr_pending);
static void hwerr_drain_irq_work(struct irq_work *w);
static void hwerr_drain_work_fn(struct work_struct *w);
static DEFINE_IRQ_WORK(hwerr_drain_iw, hwerr_drain_irq_work);
static DECLARE_WORK(hwerr_drain_work, hwerr_drain_work_fn);

static atomic64_t hwerr_captured[HWERR_SRC_SLOTS];
static atomic64_t hwerr_dropped[HWERR_SRC_SLOTS];
/* Dropped since the last HWERR_SRC_LOST record. */
static atomic64_t hwerr_unreported[HWERR_SRC_SLOTS];

/* Sources on by default; /sys/kernel/ha/hwerr/<source>/enabled. */
static unsigned long hwerr_enabled = GENMASK(HWERR_SRC_SOFTWARE, HWERR_SRC_MCE);

static LIST_HEAD(hwerr_consumers);
static DEFINE_MUTEX(hwerr_consumers_lock);

/* Context: any (see percpu_capture.h). */
struct hwerr_record *hwerr_capture_begin(u8 source, u8 severity)
{
	struct hwerr_pool *pool;
	struct hwerr_slot *slot;
	unsigned int cpu, idx;

	if (source >= HWERR_SRC_NR || severity >= HWERR_SEV_NR)
		return NULL;
	if (!READ_ONCE(hwerr_running) || !test_bit(source, &hwerr_enabled))
		return NULL;

	preempt_disable_notrace();
	cpu = smp_processor_id();
	pool = this_cpu_ptr(hwerr_pools);
	do {
		idx = find_first_zero_bit(pool->busy, capture_slots);
		if (idx >= capture_slots) {
			atomic64_inc(&hwerr_dropped[source]);
			atomic64_inc(&hwerr_unreported[source]);
			/* The drain logs the loss even if nothing else is in flight. */
			irq_work_queue(&hwerr_drain_iw);
			preempt_enable_notrace();
			return NULL;
		}
	} while (test_and_set_bit_lock(idx, pool->busy));

	slot = &hwerr_slots[cpu * capture_slots + idx];
	slot->cpu = cpu;
	slot->idx = idx;
	memset(&slot->rec, 0, sizeof(slot->rec));
	slot->rec.hdr.size = sizeof(struct hwerr_record);
	slot->rec.hdr.version = HWERR_ABI_VERSION;
	slot->rec.hdr.source = source;
	slot->rec.hdr.severity = severity;
	slot->rec.hdr.cpu = cpu;
	slot->rec.hdr.count = 1;
	/* The _fast_ clocks are the NMI-safe ones. */
	slot->rec.hdr.boottime_ns = ktime_get_boot_fast_ns();
	slot->rec.hdr.realtime_ns = ktime_get_real_fast_ns();
	return &slot->rec;
}

/* Context: that of the matching hwerr_capture_begin(). */
void hwerr_capture_commit(struct hwerr_record *rec)
{
	struct hwerr_slot *slot = container_of(rec, struct hwerr_slot, rec);

	atomic64_inc(&hwerr_captured[rec->hdr.source]);
	llist_add(&slot->node, &hwerr_pending);
	irq_work_queue(&hwerr_drain_iw);
	preempt_enable_notrace();
}

/* Context: hard IRQ (irq_work). High priority: this is an agent's wake-up latency. */
static void hwerr_drain_irq_work(struct irq_work *w)
{
	queue_work(system_highpri_wq, &hwerr_drain_work);
}

/* Context: process; the log and the consumers. */
static void hwerr_deliver(const struct hwerr_record *rec)
{
	struct hwerr_consumer *c;

	hwerr_log_append(hwerr_log, rec);
	mutex_lock(&hwerr_consumers_lock);
	list_for_each_entry(c, &hwerr_consumers, node)
		c->notify(c, rec);
	mutex_unlock(&hwerr_consumers_lock);
}

/* Context: process. Logs one HWERR_SRC_LOST record if captures were dropped. */
static void hwerr_report_lost(void)
{
	struct hwerr_record *rec;
	u64 total = 0;
	int src;

	for (src = 0; src < HWERR_SRC_NR; src++)
		total += atomic64_read(&hwerr_unreported[src]);
	if (!total)
		return;
	rec = kzalloc(sizeof(*rec), GFP_KERNEL);
	if (!rec)
		return;	/* the counts stay in hwerr_unreported for the next drain */
	total = 0;
	for (src = 0; src < HWERR_SRC_NR; src++) {
		u64 n = atomic64_xchg(&hwerr_unreported[src], 0);

		rec->u.lost.by_source[src] = n;
		total += n;
	}
	rec->hdr.size = sizeof(*rec);
	rec->hdr.version = HWERR_ABI_VERSION;
	rec->hdr.source = HWERR_SRC_LOST;
	rec->hdr.severity = HWERR_SEV_INFO;
	rec->hdr.cpu = raw_smp_processor_id();
	rec->hdr.count = 1;
	rec->hdr.boottime_ns = ktime_get_boottime_ns();
	rec->hdr.realtime_ns = ktime_get_real_ns();
	rec->u.lost.reason = HWERR_LOST_CAPTURE;
	rec->u.lost.total = total;
	hwerr_deliver(rec);
	kfree(rec);
}

/* Context: process (system_highpri_wq); also called from hwerr_capture_exit(). */
static void hwerr_drain_work_fn(struct work_struct *w)
{
	struct hwerr_record *rec;
	struct llist_node *list;
	struct hwerr_slot *slot, *next;

	rec = kmalloc(sizeof(*rec), GFP_KERNEL);
	list = llist_reverse_order(llist_del_all(&hwerr_pending));
	llist_for_each_entry_safe(slot, next, list, node) {
		struct hwerr_pool *pool = per_cpu_ptr(hwerr_pools, slot->cpu);

		if (rec) {
			/* Copy out first so the slot is free again while we deliver. */
			*rec = slot->rec;
			clear_bit_unlock(slot->idx, pool->busy);
			hwerr_deliver(rec);
		} else {
			hwerr_deliver(&slot->rec);
			clear_bit_unlock(slot->idx, pool->busy);
		}
	}
	kfree(rec);
	hwerr_report_lost();
}

int hwerr_capture_init(const void *log)
{
	if (!capture_slots || capture_slots > HWERR_SLOTS_MAX)
		return -EINVAL;
	hwerr_pools = alloc_percpu(struct hwerr_pool);
	if (!hwerr_pools)
		return -ENOMEM;
	hwerr_slots = kvcalloc(array_size(nr_cpu_ids, capture_slots),
			       sizeof(*hwerr_slots), GFP_KERNEL);
	if (!hwerr_slots) {
		free_percpu(hwerr_pools);
		return -ENOMEM;
	}
	hwerr_log = log;
	/* Pairs with READ_ONCE() in hwerr_capture_begin(). */
	smp_store_release(&hwerr_running, true);
	return 0;
}

void hwerr_capture_exit(void)
{
	WRITE_ONCE(hwerr_running, false);
	/* A capture that saw hwerr_running has committed once preemption is back on. */
	synchronize_rcu();
	irq_work_sync(&hwerr_drain_iw);
	flush_work(&hwerr_drain_work);
	hwerr_drain_work_fn(NULL);
	kvfree(hwerr_slots);
	free_percpu(hwerr_pools);
}

void hwerr_capture_stats(u64 *captured, u64 *dropped)
{
	int i;

	for (i = 0; i < HWERR_SRC_SLOTS; i++) {
		captured[i] = atomic64_read(&hwerr_captured[i]);
		dropped[i] = atomic64_read(&hwerr_dropped[i]);
	}
}

/* Context: any (see <hasys/hwerr.h>). */
int __hwerr_report(const char *origin, u8 severity, u32 code, const u64 *data,
		   const char *msg)
{
	struct hwerr_record *rec;

	if (severity >= HWERR_SEV_NR)
		return -EINVAL;
	if (!test_bit(HWERR_SRC_SOFTWARE, &hwerr_enabled))
		return -ENODEV;
	rec = hwerr_capture_begin(HWERR_SRC_SOFTWARE, severity);
	if (!rec)
		return READ_ONCE(hwerr_running) ? -ENOSPC : -ENODEV;
	rec->u.sw.code = code;
	if (data)
		memcpy(rec->u.sw.data, data, sizeof(rec->u.sw.data));
	if (origin)
		strscpy(rec->u.sw.origin, origin);
	if (msg && strscpy(rec->u.sw.msg, msg) < 0)
		rec->hdr.flags |= HWERR_F_TRUNCATED;
	hwerr_capture_commit(rec);
	return 0;
}
EXPORT_SYMBOL_GPL(__hwerr_report);

int hwerr_consumer_register(struct hwerr_consumer *consumer)
{
	if (!consumer || !consumer->notify)
		return -EINVAL;
	mutex_lock(&hwerr_consumers_lock);
	list_add_tail(&consumer->node, &hwerr_consumers);
	mutex_unlock(&hwerr_consumers_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(hwerr_consumer_register);

void hwerr_consumer_unregister(struct hwerr_consumer *consumer)
{
	mutex_lock(&hwerr_consumers_lock);
	list_del(&consumer->node);
	mutex_unlock(&hwerr_consumers_lock);
}
EXPORT_SYMBOL_GPL(hwerr_consumer_unregister);

/*
 * /sys/kernel/ha/hwerr/<source>/{enabled,captured,dropped}. Context: process.
 */
struct hwerr_src_attr {
	struct kobj_attribute attr;
	unsigned int src;
};

#define to_src(a) container_of(a, struct hwerr_src_attr, attr)->src

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", test_bit(to_src(attr), &hwerr_enabled));
}

static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	bool on;
	int ret = kstrtobool(buf, &on);

	if (ret)
		return ret;
	assign_bit(to_src(attr), &hwerr_enabled, on);
	return count;
}

static ssize_t captured_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", atomic64_read(&hwerr_captured[to_src(attr)]));
}

static ssize_t dropped_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", atomic64_read(&hwerr_dropped[to_src(attr)]));
}

#define HWERR_SRC_GROUP(_name, _src)						\
	static struct hwerr_src_attr _name##_enabled = {			\
		.attr = __ATTR(enabled, 0644, enabled_show, enabled_store),	\
		.src = _src,							\
	};									\
	static struct hwerr_src_attr _name##_captured = {			\
		.attr = __ATTR(captured, 0444, captured_show, NULL),		\
		.src = _src,							\
	};									\
	static struct hwerr_src_attr _name##_dropped = {			\
		.attr = __ATTR(dropped, 0444, dropped_show, NULL),		\
		.src = _src,							\
	};									\
	static struct attribute *_name##_attrs[] = {				\
		&_name##_enabled.attr.attr,					\
		&_name##_captured.attr.attr,					\
		&_name##_dropped.attr.attr,					\
		NULL,								\
	};									\
	static const struct attribute_group _name##_group = {			\
		.name = #_name,							\
		.attrs = _name##_attrs,						\
	}

HWERR_SRC_GROUP(mce, HWERR_SRC_MCE);
HWERR_SRC_GROUP(edac, HWERR_SRC_EDAC);
HWERR_SRC_GROUP(aer, HWERR_SRC_AER);
HWERR_SRC_GROUP(nmi, HWERR_SRC_NMI);
HWERR_SRC_GROUP(ghes, HWERR_SRC_GHES);
HWERR_SRC_GROUP(memory_failure, HWERR_SRC_MEMORY_FAILURE);
HWERR_SRC_GROUP(software, HWERR_SRC_SOFTWARE);

static const struct attribute_group *hwerr_groups[] = {
	&mce_group, &edac_group, &aer_group, &nmi_group, &ghes_group,
	&memory_failure_group, &software_group, NULL,
};

const struct attribute_group **hwerr_sysfs_groups(void)
{
	return hwerr_groups;
}

/*
 * /sys/kernel/debug/hwerr/inject: a test and benchmark interface (root only).
 * Writing "N [severity [burst]]" reports N software records back to back from one
 * CPU, as fast as __hwerr_report() goes. With burst=0 (default) preemption stays
 * on, so the drain can run in between: the sustained rate. With burst=1 (N at most
 * 100000) preemption is off, as in an NMI storm: the drain cannot run on this CPU,
 * so exactly the free slots are captured and the rest is dropped and counted.
 * Reading shows the last run: requested, captured, dropped, the index of the first
 * drop (-1 if none), the nanoseconds the loop took and the CPU.
 * Context: process.
 */
static struct dentry *hwerr_debugfs;
static DEFINE_MUTEX(hwerr_inject_lock);
static struct {
	u64 requested, captured, dropped, ns;
	s64 first_drop;
	int cpu;
} hwerr_inject_last;

static ssize_t inject_write(struct file *file, const char __user *ubuf, size_t count,
			    loff_t *ppos)
{
	char buf[32];
	unsigned int n, sev = HWERR_SEV_INFO, burst = 0;
	u64 i, data[4] = {}, t0, captured = 0, dropped = 0;
	s64 first_drop = -1;
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	ret = sscanf(buf, "%u %u %u", &n, &sev, &burst);
	if (ret < 1 || n == 0 || n > 10000000 || sev >= HWERR_SEV_NR || burst > 1 ||
	    (burst && n > 100000))
		return -EINVAL;

	mutex_lock(&hwerr_inject_lock);
	migrate_disable();
	if (burst)
		preempt_disable();
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		data[0] = i;
		ret = __hwerr_report("hwerr-inject", sev, 0x1e57, data, "debugfs inject");
		if (!ret) {
			captured++;
		} else if (ret == -ENOSPC) {
			if (first_drop < 0)
				first_drop = i;
			dropped++;
		} else {
			break;
		}
	}
	hwerr_inject_last.ns = ktime_get_ns() - t0;
	hwerr_inject_last.cpu = smp_processor_id();
	if (burst)
		preempt_enable();
	migrate_enable();
	hwerr_inject_last.requested = n;
	hwerr_inject_last.captured = captured;
	hwerr_inject_last.dropped = dropped;
	hwerr_inject_last.first_drop = first_drop;
	mutex_unlock(&hwerr_inject_lock);
	return ret && ret != -ENOSPC ? ret : count;
}

static ssize_t inject_read(struct file *file, char __user *ubuf, size_t count,
			   loff_t *ppos)
{
	char buf[160];
	int len;

	mutex_lock(&hwerr_inject_lock);
	len = scnprintf(buf, sizeof(buf),
			"requested %llu captured %llu dropped %llu first_drop %lld ns %llu cpu %d\n",
			hwerr_inject_last.requested, hwerr_inject_last.captured,
			hwerr_inject_last.dropped, hwerr_inject_last.first_drop,
			hwerr_inject_last.ns, hwerr_inject_last.cpu);
	mutex_unlock(&hwerr_inject_lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations hwerr_inject_fops = {
	.owner = THIS_MODULE,
	.read = inject_read,
	.write = inject_write,
	.llseek = default_llseek,
};

void hwerr_inject_init(void)
{
	hwerr_debugfs = debugfs_create_dir("hwerr", NULL);
	debugfs_create_file("inject", 0600, hwerr_debugfs, NULL, &hwerr_inject_fops);
}

void hwerr_inject_exit(void)
{
	debugfs_remove_recursive(hwerr_debugfs);
}
