// SPDX-License-Identifier: GPL-2.0
/*
 * Capture: from any context (NMI and #MC included) into hwerr's log.
 *
 * A capture takes a preallocated slot from this CPU's pool by atomically setting its
 * bit (test_and_set_bit, so a nested NMI on the same CPU simply takes another slot)
 * and fills it. What happens at commit depends on the context:
 *
 *  - outside NMI, the record goes straight into the log (log.rs, an IRQ-safe
 *    spinlock), which wakes readers and consumers at once, and the slot is free again
 *    before hwerr_capture_commit() returns. No work item, no irq_work: an agent
 *    blocked in poll() is woken from the capturing context itself;
 *  - in NMI (and #MC), where no lock may be taken, the slot goes on a lock-free
 *    llist and an irq_work appends the batch right after the NMI returns, with one
 *    wake-up. It is a plain irq_work, not IRQ_WORK_HARD_IRQ: the log's lock and the
 *    wait queue's are spinlock_t, which a hard irq_work may not take (lockdep:
 *    "Invalid wait context"); on !PREEMPT_RT a plain irq_work runs in hard-IRQ
 *    context all the same, on PREEMPT_RT in the irq_work thread.
 *
 * When a CPU's slots are all in flight (only NMIs nested deeper than capture_slots,
 * or an NMI storm faster than the irq_work) the record is dropped and counted; the
 * next append logs one HWERR_SRC_LOST record with the per-source counts, so a reader
 * learns what it missed in-band and in order. captured + dropped counts every
 * capture of an enabled source exactly; a disabled source counts what it ignored.
 *
 * This is C because 7.2 has no Rust abstraction for per-CPU data, llist, irq_work,
 * preempt_disable_notrace() or in_nmi(), and because the sysfs attribute tables and
 * EXPORT_SYMBOL_GPL are C macros. The log, readers, consumers and the ABI are Rust.
 *
 * Memory: capture_slots * sizeof(struct hwerr_slot) (272 bytes) per possible CPU, in
 * per-CPU memory (alloc_percpu, safe to touch from NMI), allocated at load.
 */

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/hardirq.h>
#include <linux/irq_work.h>
#include <linux/kobject.h>
#include <linux/ktime.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>

#include <hasys/hwerr.h>

#include "percpu_capture.h"

/* One CPU's pool must fit one per-CPU allocation (PCPU_MIN_UNIT_SIZE, 32 KiB). */
#define HWERR_SLOTS_MAX 64

static unsigned int capture_slots = 32;
module_param(capture_slots, uint, 0444);
MODULE_PARM_DESC(capture_slots,
		 "records each CPU can hold between an NMI-context capture and the log (1-64, default 32)");

struct hwerr_slot {
	struct llist_node node;
	unsigned int cpu;
	unsigned int idx;
	struct hwerr_record rec;
};

/* One per CPU: which of that CPU's slots are in flight, and the slots. */
struct hwerr_pool {
	unsigned long busy[BITS_TO_LONGS(HWERR_SLOTS_MAX)];
	struct hwerr_slot slots[];
};

static struct hwerr_pool __percpu *hwerr_pools;
static const void *hwerr_log;
/* 0 stopped, 1 starting or stopping, 2 running; see hwerr_capture_init(). */
static atomic_t hwerr_state = ATOMIC_INIT(0);

static LLIST_HEAD(hwerr_pending);
static void hwerr_nmi_irq_work(struct irq_work *w);
static struct irq_work hwerr_nmi_iw = IRQ_WORK_INIT(hwerr_nmi_irq_work);

static atomic64_t hwerr_captured[HWERR_SRC_SLOTS];
static atomic64_t hwerr_dropped[HWERR_SRC_SLOTS];
static atomic64_t hwerr_ignored[HWERR_SRC_SLOTS];
/* Captured errors folded into a storm summary (a subset of captured). */
static atomic64_t hwerr_coalesced[HWERR_SRC_SLOTS];

/* Logs storm summaries when their window ends (coalesce.rs). */
static void hwerr_storm_work_fn(struct work_struct *w);
static DECLARE_DELAYED_WORK(hwerr_storm_work, hwerr_storm_work_fn);
/* Dropped since the last HWERR_SRC_LOST record; hwerr_unreported_any says "some". */
static atomic64_t hwerr_unreported[HWERR_SRC_SLOTS];
static atomic_t hwerr_unreported_any;

/* Sources on by default; /sys/kernel/ha/hwerr/<source>/enabled. */
static unsigned long hwerr_enabled = GENMASK(HWERR_SRC_SOFTWARE, HWERR_SRC_MCE);

static bool hwerr_is_running(void)
{
	return atomic_read_acquire(&hwerr_state) == 2;
}

/* Context: any. */
static void hwerr_count_drop(u8 source)
{
	atomic64_inc(&hwerr_dropped[source]);
	atomic64_inc(&hwerr_unreported[source]);
	atomic_set_release(&hwerr_unreported_any, 1);
}

/* Context: any. @force: capture even if @source is disabled (hwerr's own notices). */
static struct hwerr_record *__hwerr_capture_begin(u8 source, u8 severity, bool force)
{
	struct hwerr_pool *pool;
	struct hwerr_slot *slot;
	unsigned int cpu, idx;

	if (source >= HWERR_SRC_NR || source == HWERR_SRC_LOST || severity >= HWERR_SEV_NR)
		return NULL;
	/*
	 * Preemption goes off before the running check: hwerr_capture_exit() clears the
	 * state and then waits (synchronize_rcu()) for every preempt-off section, so a
	 * capture that saw "running" has committed before the slots are freed.
	 */
	preempt_disable_notrace();
	if (!hwerr_is_running())
		goto out;
	if (!force && !test_bit(source, &hwerr_enabled)) {
		atomic64_inc(&hwerr_ignored[source]);
		goto out;
	}
	cpu = smp_processor_id();
	pool = this_cpu_ptr(hwerr_pools);
	do {
		idx = find_first_zero_bit(pool->busy, capture_slots);
		if (idx >= capture_slots) {
			hwerr_count_drop(source);
			/* Logs the loss even if nothing else is in flight (any context). */
			irq_work_queue(&hwerr_nmi_iw);
			goto out;
		}
	} while (test_and_set_bit_lock(idx, pool->busy));

	slot = &pool->slots[idx];
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
out:
	preempt_enable_notrace();
	return NULL;
}

/* Context: any (see percpu_capture.h). */
struct hwerr_record *hwerr_capture_begin(u8 source, u8 severity)
{
	return __hwerr_capture_begin(source, severity, false);
}

/* Context: any but NMI; the log's IRQ-safe lock. Logs the captures dropped so far. */
static void hwerr_report_lost(void)
{
	u64 counts[HWERR_SRC_SLOTS];
	int src;

	if (!atomic_xchg(&hwerr_unreported_any, 0))
		return;
	for (src = 0; src < HWERR_SRC_SLOTS; src++)
		counts[src] = atomic64_xchg(&hwerr_unreported[src], 0);
	hwerr_log_append_lost(hwerr_log, counts);
}

/* Context: any but NMI. Runs the storm timer (again) in @delay_ns. */
static void hwerr_storm_arm(u64 delay_ns)
{
	queue_delayed_work(system_dfl_wq, &hwerr_storm_work,
			   nsecs_to_jiffies(delay_ns) + 1);
}

/* Context: process (system_dfl_wq). */
static void hwerr_storm_work_fn(struct work_struct *w)
{
	u64 next = hwerr_log_flush_storms(hwerr_log, false);
	u64 now = ktime_get_boot_fast_ns();

	if (next)
		hwerr_storm_arm(next > now ? next - now : 0);
}

/* Context: any but NMI. Appends @rec (no wake-up if !@wake) and frees its slot. */
static void hwerr_deliver(struct hwerr_slot *slot, bool wake)
{
	struct hwerr_pool *pool = per_cpu_ptr(hwerr_pools, slot->cpu);
	u8 source = slot->rec.hdr.source;
	s64 ret = hwerr_log_append(hwerr_log, &slot->rec, wake);

	if (ret < 0) {
		hwerr_count_drop(source);	/* cannot happen: begin checked the source */
	} else {
		atomic64_inc(&hwerr_captured[source]);
		if (!ret) {
			/* Folded: its summary is logged when the window ends. */
			atomic64_inc(&hwerr_coalesced[source]);
			if (!delayed_work_pending(&hwerr_storm_work))
				hwerr_storm_arm(0);
		}
	}
	clear_bit_unlock(slot->idx, pool->busy);
}

/* Context: that of the matching hwerr_capture_begin(); @defer: as if in NMI. */
static void __hwerr_capture_commit(struct hwerr_record *rec, bool defer)
{
	struct hwerr_slot *slot = container_of(rec, struct hwerr_slot, rec);

	if (defer || in_nmi()) {
		llist_add(&slot->node, &hwerr_pending);
		irq_work_queue(&hwerr_nmi_iw);
	} else {
		if (atomic_read_acquire(&hwerr_unreported_any))
			hwerr_report_lost();
		hwerr_deliver(slot, true);
	}
	preempt_enable_notrace();
}

/* Context: that of the matching hwerr_capture_begin(). */
void hwerr_capture_commit(struct hwerr_record *rec)
{
	__hwerr_capture_commit(rec, false);
}

/* Context: IRQ (irq_work), or process at exit. The NMI-context captures, in order. */
static void hwerr_drain_pending(void)
{
	struct llist_node *list;
	struct hwerr_slot *slot, *next;

	hwerr_report_lost();
	list = llist_reverse_order(llist_del_all(&hwerr_pending));
	llist_for_each_entry_safe(slot, next, list, node)
		hwerr_deliver(slot, false);
	hwerr_log_wake(hwerr_log);
}

static void hwerr_nmi_irq_work(struct irq_work *w)
{
	hwerr_drain_pending();
}

int hwerr_capture_init(const void *log)
{
	if (!log || !capture_slots || capture_slots > HWERR_SLOTS_MAX)
		return -EINVAL;
	/* Capture exists once: a second start fails instead of clobbering the first. */
	if (atomic_cmpxchg(&hwerr_state, 0, 1) != 0)
		return -EBUSY;
	hwerr_pools = __alloc_percpu(struct_size_t(struct hwerr_pool, slots, capture_slots),
				     __alignof__(struct hwerr_pool));
	if (!hwerr_pools) {
		atomic_set(&hwerr_state, 0);
		return -ENOMEM;
	}
	hwerr_log = log;
	/* Pairs with atomic_read_acquire() in hwerr_is_running(). */
	atomic_set_release(&hwerr_state, 2);
	return 0;
}

void hwerr_capture_exit(void)
{
	if (atomic_cmpxchg(&hwerr_state, 2, 1) != 2)
		return;
	/* Every capture that saw "running" has committed once its preempt-off ends. */
	synchronize_rcu();
	irq_work_sync(&hwerr_nmi_iw);
	hwerr_drain_pending();
	cancel_delayed_work_sync(&hwerr_storm_work);
	/* No folded error goes uncounted in the log, even at unload. */
	hwerr_log_flush_storms(hwerr_log, true);
	free_percpu(hwerr_pools);
	hwerr_pools = NULL;
	hwerr_log = NULL;
	atomic_set_release(&hwerr_state, 0);
}

void hwerr_capture_stats(u64 *captured, u64 *dropped)
{
	int i;

	for (i = 0; i < HWERR_SRC_SLOTS; i++) {
		captured[i] = atomic64_read(&hwerr_captured[i]);
		dropped[i] = atomic64_read(&hwerr_dropped[i]);
	}
}

/* Context: any (see percpu_capture.h). */
int hwerr_report_flags(unsigned int flags, const char *origin, u8 severity, u32 code,
		       const u64 *data, const char *msg)
{
	bool force = flags & HWERR_REPORT_FORCE;
	struct hwerr_record *rec;

	if (severity >= HWERR_SEV_NR)
		return -EINVAL;
	if (!force && !test_bit(HWERR_SRC_SOFTWARE, &hwerr_enabled)) {
		atomic64_inc(&hwerr_ignored[HWERR_SRC_SOFTWARE]);
		return -ENODEV;
	}
	rec = __hwerr_capture_begin(HWERR_SRC_SOFTWARE, severity, force);
	if (!rec)
		return hwerr_is_running() ? -ENOSPC : -ENODEV;
	rec->u.sw.code = code;
	if (data)
		memcpy(rec->u.sw.data, data, sizeof(rec->u.sw.data));
	if (origin)
		strscpy(rec->u.sw.origin, origin);
	if (msg && strscpy(rec->u.sw.msg, msg) < 0)
		rec->hdr.flags |= HWERR_F_TRUNCATED;
	__hwerr_capture_commit(rec, flags & HWERR_REPORT_DEFER);
	return 0;
}

/* Context: any (see <hasys/hwerr.h>). */
int __hwerr_report(const char *origin, u8 severity, u32 code, const u64 *data,
		   const char *msg)
{
	return hwerr_report_flags(0, origin, severity, code, data, msg);
}
EXPORT_SYMBOL_GPL(__hwerr_report);

/* Context: process (see <hasys/hwerr.h>); the registry is Rust (consumer.rs). */
int hwerr_consumer_register(struct hwerr_consumer *consumer)
{
	if (!consumer || !consumer->notify || !consumer->name)
		return -EINVAL;
	if (!hwerr_is_running())
		return -ENODEV;
	return hwerr_consumers_add(hwerr_log, consumer);
}
EXPORT_SYMBOL_GPL(hwerr_consumer_register);

int hwerr_consumer_unregister(struct hwerr_consumer *consumer)
{
	if (!consumer || !hwerr_is_running())
		return -EINVAL;
	return hwerr_consumers_remove(hwerr_log, consumer, false);
}
EXPORT_SYMBOL_GPL(hwerr_consumer_unregister);

void hwerr_consumer_release(struct hwerr_consumer *consumer)
{
	if (consumer && hwerr_is_running())
		hwerr_consumers_remove(hwerr_log, consumer, true);
}
EXPORT_SYMBOL_GPL(hwerr_consumer_release);

/*
 * /sys/kernel/ha/hwerr/<source>/{enabled,captured,dropped,ignored}. Context: process.
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
	/* A change leaves a trace in the log: a software record from hwerr itself. */
	if (on != test_bit(to_src(attr), &hwerr_enabled)) {
		u64 data[4] = { to_src(attr), atomic64_read(&hwerr_ignored[to_src(attr)]) };

		assign_bit(to_src(attr), &hwerr_enabled, on);
		hwerr_report_flags(HWERR_REPORT_FORCE, "hwerr", HWERR_SEV_INFO,
				on ? HWERR_CODE_SOURCE_ENABLED : HWERR_CODE_SOURCE_DISABLED, data,
				on ? "source enabled" : "source disabled");
	}
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

static ssize_t ignored_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", atomic64_read(&hwerr_ignored[to_src(attr)]));
}

static ssize_t coalesced_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", atomic64_read(&hwerr_coalesced[to_src(attr)]));
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
	static struct hwerr_src_attr _name##_ignored = {			\
		.attr = __ATTR(ignored, 0444, ignored_show, NULL),		\
		.src = _src,							\
	};									\
	static struct hwerr_src_attr _name##_coalesced = {			\
		.attr = __ATTR(coalesced, 0444, coalesced_show, NULL),		\
		.src = _src,							\
	};									\
	static struct attribute *_name##_attrs[] = {				\
		&_name##_enabled.attr.attr,					\
		&_name##_captured.attr.attr,					\
		&_name##_dropped.attr.attr,					\
		&_name##_ignored.attr.attr,					\
		&_name##_coalesced.attr.attr,					\
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

/*
 * /sys/kernel/ha/hwerr/storm/{window_ms,burst,rate}: the storm coalescing
 * parameters (module parameters storm_* at load). Context: process.
 */
enum { HWERR_STORM_WINDOW, HWERR_STORM_BURST, HWERR_STORM_RATE };

static const u32 hwerr_storm_max[] = {
	[HWERR_STORM_WINDOW] = 3600 * 1000,	/* an hour */
	[HWERR_STORM_BURST] = 1000000,
	[HWERR_STORM_RATE] = 100000000,
};

struct hwerr_storm_attr {
	struct kobj_attribute attr;
	unsigned int idx;
};

#define to_storm(a) container_of(a, struct hwerr_storm_attr, attr)->idx

static DEFINE_MUTEX(hwerr_storm_lock);

static ssize_t storm_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	u32 cfg[3];

	if (!hwerr_is_running())
		return -ENODEV;
	hwerr_log_storm_config(hwerr_log, cfg, false);
	return sysfs_emit(buf, "%u\n", cfg[to_storm(attr)]);
}

static ssize_t storm_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	unsigned int idx = to_storm(attr);
	u32 cfg[3], val;
	int ret = kstrtou32(buf, 0, &val);

	if (ret)
		return ret;
	if (val > hwerr_storm_max[idx])
		return -ERANGE;
	if (!hwerr_is_running())
		return -ENODEV;
	mutex_lock(&hwerr_storm_lock);
	hwerr_log_storm_config(hwerr_log, cfg, false);
	cfg[idx] = val;
	hwerr_log_storm_config(hwerr_log, cfg, true);
	mutex_unlock(&hwerr_storm_lock);
	return count;
}

#define HWERR_STORM_ATTR(_name, _idx)						\
	static struct hwerr_storm_attr storm_##_name = {			\
		.attr = __ATTR(_name, 0644, storm_show, storm_store),		\
		.idx = _idx,							\
	}

HWERR_STORM_ATTR(window_ms, HWERR_STORM_WINDOW);
HWERR_STORM_ATTR(burst, HWERR_STORM_BURST);
HWERR_STORM_ATTR(rate, HWERR_STORM_RATE);

static struct attribute *storm_attrs[] = {
	&storm_window_ms.attr.attr,
	&storm_burst.attr.attr,
	&storm_rate.attr.attr,
	NULL,
};

static const struct attribute_group storm_group = {
	.name = "storm",
	.attrs = storm_attrs,
};

static const struct attribute_group *hwerr_groups[] = {
	&mce_group, &edac_group, &aer_group, &nmi_group, &ghes_group,
	&memory_failure_group, &software_group, &storm_group, NULL,
};

const struct attribute_group **hwerr_sysfs_groups(void)
{
	return hwerr_groups;
}

