// SPDX-License-Identifier: GPL-2.0
/*
 * The C side of capture (capture.rs has the logic): what Rust cannot express in 7.2.
 *
 *  - per-CPU memory (__alloc_percpu(), this_cpu_ptr(), per_cpu_ptr() are macros),
 *    preempt_disable_notrace() and in_nmi() (inline), the llist of NMI-context
 *    captures and the irq_work that drains it, the storm timer (a delayed work);
 *  - the capture_slots module parameter (Rust module parameters do not appear in
 *    /sys/module/hwerr/parameters/);
 *  - EXPORT_SYMBOL_GPL wrappers of the in-kernel API (<hasys/hwerr.h>);
 *  - the sysfs attribute tables of /sys/kernel/ha/hwerr/ (C macros).
 *
 * Each helper says its context; the capture-time ones are NMI-safe.
 */

#include <linux/hardirq.h>
#include <linux/irq_work.h>
#include <linux/kobject.h>
#include <linux/ktime.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>

#include <hasys/hwerr.h>

#include "nmi_claim.h"
#include "percpu_capture.h"

static unsigned int capture_slots = 32;
module_param(capture_slots, uint, 0444);
MODULE_PARM_DESC(capture_slots,
		 "records each CPU can hold between an NMI-context capture and the log (1-64, default 32)");

/* Context: any. */
unsigned int hwerr_capture_slots(void)
{
	return capture_slots;
}

/* Context: process. */
void __percpu *hwerr_pcpu_alloc(size_t size, size_t align)
{
	return __alloc_percpu(size, align);
}

/* Context: process. */
void hwerr_pcpu_free(void __percpu *pcpu)
{
	free_percpu(pcpu);
}

/* Context: any, preemption off. */
void *hwerr_pcpu_this(void __percpu *pcpu)
{
	return this_cpu_ptr(pcpu);
}

/* Context: any. */
void *hwerr_pcpu_cpu(void __percpu *pcpu, unsigned int cpu)
{
	return per_cpu_ptr(pcpu, cpu);
}

/* Context: any, NMI included (the _notrace variants: no tracing recursion). */
void hwerr_preempt_off(void)
{
	preempt_disable_notrace();
}

void hwerr_preempt_on(void)
{
	preempt_enable_notrace();
}

/* Context: any. */
bool hwerr_in_nmi(void)
{
	return in_nmi();
}

/*
 * NMI-context captures wait on this list for the irq_work. It is a plain irq_work,
 * not IRQ_WORK_HARD_IRQ: the log's lock and the wait queue's are spinlock_t, which a
 * hard irq_work may not take.
 */
static LLIST_HEAD(hwerr_pending);

static void hwerr_irq_work_fn(struct irq_work *w)
{
	hwerr_capture_drain();
}

static struct irq_work hwerr_iw = IRQ_WORK_INIT(hwerr_irq_work_fn);

/* Context: any, NMI included. */
void hwerr_pending_push(struct llist_node *node)
{
	llist_add(node, &hwerr_pending);
	irq_work_queue(&hwerr_iw);
}

/* Context: any, NMI included: the irq_work logs what was dropped. */
void hwerr_kick(void)
{
	irq_work_queue(&hwerr_iw);
}

/* Context: process. */
void hwerr_kick_sync(void)
{
	irq_work_sync(&hwerr_iw);
}

/* Context: any but NMI. The queued captures, oldest first. */
struct llist_node *hwerr_pending_take(void)
{
	return llist_reverse_order(llist_del_all(&hwerr_pending));
}

/*
 * Context: any, panic included. The queued captures, newest first, left on the list
 * (hwerr_crash_snapshot()).
 */
struct llist_node *hwerr_pending_peek(void)
{
	return READ_ONCE(hwerr_pending.first);
}

/* Logs storm summaries when their window ends (coalesce.rs). */
static void hwerr_storm_work_fn(struct work_struct *w)
{
	hwerr_capture_storm_tick();
}

static DECLARE_DELAYED_WORK(hwerr_storm_work, hwerr_storm_work_fn);

/* Context: any but NMI. Runs the storm timer in @delay_ns unless it is pending. */
void hwerr_storm_arm(u64 delay_ns)
{
	queue_delayed_work(system_dfl_wq, &hwerr_storm_work, nsecs_to_jiffies(delay_ns) + 1);
}

/* Context: process. */
void hwerr_storm_cancel_sync(void)
{
	cancel_delayed_work_sync(&hwerr_storm_work);
}

/* Context: any (see <hasys/hwerr.h>). */
int __hwerr_report(const char *origin, u8 severity, u32 code, const u64 *data,
		   const char *msg)
{
	return hwerr_report_flags(0, origin, severity, code, data, msg);
}
EXPORT_SYMBOL_GPL(__hwerr_report);

/* Context: any (see <hasys/hwerr.h>). */
int hwerr_report_event(u8 source, u8 severity, const void *payload, size_t len)
{
	return hwerr_report_event_rs(source, severity, payload, len);
}
EXPORT_SYMBOL_GPL(hwerr_report_event);

/* Context: any, panic included (see <hasys/hwerr.h>). */
int hwerr_crash_snapshot(struct hwerr_record *out, unsigned int max,
			 struct hwerr_snapshot *snap)
{
	if (!snap)
		return -EINVAL;
	return hwerr_crash_snapshot_rs(out, max, snap);
}
EXPORT_SYMBOL_GPL(hwerr_crash_snapshot);

/* Context: any but NMI (see <hasys/hwerr.h>). */
int hwerr_report_previous(const struct hwerr_record *rec)
{
	if (!rec)
		return -EINVAL;
	return hwerr_report_previous_rs(rec);
}
EXPORT_SYMBOL_GPL(hwerr_report_previous);

/* Context: process (see <hasys/hwerr.h>); the registry is Rust (consumer.rs). */
int hwerr_consumer_register(struct hwerr_consumer *consumer)
{
	const void *log = hwerr_capture_log();

	if (!consumer || !consumer->notify || !consumer->name)
		return -EINVAL;
	if (!log)
		return -ENODEV;
	return hwerr_consumers_add(log, consumer);
}
EXPORT_SYMBOL_GPL(hwerr_consumer_register);

int hwerr_consumer_unregister(struct hwerr_consumer *consumer)
{
	const void *log = hwerr_capture_log();

	if (!consumer || !log)
		return -EINVAL;
	return hwerr_consumers_remove(log, consumer, false);
}
EXPORT_SYMBOL_GPL(hwerr_consumer_unregister);

void hwerr_consumer_release(struct hwerr_consumer *consumer)
{
	const void *log = hwerr_capture_log();

	if (consumer && log)
		hwerr_consumers_remove(log, consumer, true);
}
EXPORT_SYMBOL_GPL(hwerr_consumer_release);

/*
 * /sys/kernel/ha/hwerr/<source>/{enabled,captured,dropped,ignored,coalesced}, and
 * nmi/{claimed_serr,claimed_io_check}. Context: process.
 */
struct hwerr_src_attr {
	struct kobj_attribute attr;
	unsigned int src;
};

#define to_src(a) container_of(a, struct hwerr_src_attr, attr)->src

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", hwerr_capture_enabled(to_src(attr)));
}

static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	bool on;
	int ret = kstrtobool(buf, &on);

	if (ret)
		return ret;
	/* A change leaves a trace in the log: a software record from hwerr itself. */
	hwerr_capture_set_enabled(to_src(attr), on);
	return count;
}

static ssize_t captured_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", hwerr_capture_counter(0, to_src(attr)));
}

static ssize_t dropped_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", hwerr_capture_counter(1, to_src(attr)));
}

static ssize_t ignored_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", hwerr_capture_counter(2, to_src(attr)));
}

static ssize_t coalesced_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", hwerr_capture_counter(3, to_src(attr)));
}

/* NMIs of one type that hwerr claimed (nmi_claim, sources.c). */
struct hwerr_nmi_attr {
	struct kobj_attribute attr;
	u32 nmi_type;
};

static ssize_t claimed_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	u32 nmi_type = container_of(attr, struct hwerr_nmi_attr, attr)->nmi_type;

	return sysfs_emit(buf, "%lu\n", hwerr_nmi_claimed(nmi_type));
}

static struct hwerr_nmi_attr nmi_claimed_serr = {
	.attr = __ATTR(claimed_serr, 0444, claimed_show, NULL),
	.nmi_type = HWERR_NMI_SERR,
};

static struct hwerr_nmi_attr nmi_claimed_io_check = {
	.attr = __ATTR(claimed_io_check, 0444, claimed_show, NULL),
	.nmi_type = HWERR_NMI_IO_CHECK,
};

/* The source's files, then its own (the varargs: struct attribute pointers). */
#define HWERR_SRC_GROUP(_name, _src, ...)					\
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
		##__VA_ARGS__,							\
		NULL,								\
	};									\
	static const struct attribute_group _name##_group = {			\
		.name = #_name,							\
		.attrs = _name##_attrs,						\
	}

HWERR_SRC_GROUP(mce, HWERR_SRC_MCE);
HWERR_SRC_GROUP(edac, HWERR_SRC_EDAC);
HWERR_SRC_GROUP(aer, HWERR_SRC_AER);
HWERR_SRC_GROUP(nmi, HWERR_SRC_NMI, &nmi_claimed_serr.attr.attr,
		&nmi_claimed_io_check.attr.attr);
HWERR_SRC_GROUP(ghes, HWERR_SRC_GHES);
HWERR_SRC_GROUP(memory_failure, HWERR_SRC_MEMORY_FAILURE);
HWERR_SRC_GROUP(software, HWERR_SRC_SOFTWARE);
HWERR_SRC_GROUP(hadetect, HWERR_SRC_HADETECT);
HWERR_SRC_GROUP(cluster_msg, HWERR_SRC_CLUSTER);
HWERR_SRC_GROUP(crashdump, HWERR_SRC_CRASH);
HWERR_SRC_GROUP(kexec_handoff, HWERR_SRC_HANDOFF);

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
	const void *log = hwerr_capture_log();
	u32 cfg[3];

	if (!log)
		return -ENODEV;
	hwerr_log_storm_config(log, cfg, false);
	return sysfs_emit(buf, "%u\n", cfg[to_storm(attr)]);
}

static ssize_t storm_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	const void *log = hwerr_capture_log();
	unsigned int idx = to_storm(attr);
	u32 cfg[3], val;
	int ret = kstrtou32(buf, 0, &val);

	if (ret)
		return ret;
	if (val > hwerr_storm_max[idx])
		return -ERANGE;
	if (!log)
		return -ENODEV;
	mutex_lock(&hwerr_storm_lock);
	hwerr_log_storm_config(log, cfg, false);
	cfg[idx] = val;
	hwerr_log_storm_config(log, cfg, true);
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
	&memory_failure_group, &software_group, &hadetect_group, &cluster_msg_group,
	&crashdump_group, &kexec_handoff_group,
	&storm_group, NULL,
};

const struct attribute_group **hwerr_sysfs_groups(void)
{
	return hwerr_groups;
}

