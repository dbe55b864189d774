// SPDX-License-Identifier: GPL-2.0
/*
 * Kexec HandOver (KHO) for every hasys module, and hwerr's own handed-over log.
 *
 * C because <linux/kexec_handover.h> has no Rust bindings in 7.2, phys_to_virt() is
 * an inline, and only C can EXPORT_SYMBOL_GPL. The blob format and the log's copy
 * are Rust (include/hasys/kho_blob.rs, handoff.rs); this file holds the KHO calls,
 * their traps (Documentation/hasys/kexec_handoff.rst, "Traps") and the preserved
 * log's blob under a mutex.
 *
 * Context: process (every function here may sleep), except hwerr_handoff_restored()
 * and the kmsg dumper (hwerr_ho_dump()).
 */

#include <linux/err.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kmsg_dump.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/random.h>

#include <hasys/hwerr.h>

#include "percpu_capture.h"

void *hasys_kho_preserve(const char *name, size_t size, size_t *alloc_size)
{
	void *blob;
	int err;

	/* With KHO off, kho_add_subtree() dereferences a NULL FDT. */
	if (!kho_is_enabled())
		return ERR_PTR(-EOPNOTSUPP);
	if (!name || !alloc_size)
		return ERR_PTR(-EINVAL);
	blob = kho_alloc_preserve(size);
	if (IS_ERR(blob))
		return blob;
	/* The whole allocation: kho_alloc_preserve() rounds up to a page order. */
	*alloc_size = PAGE_SIZE << get_order(size);
	err = kho_add_subtree(name, blob, *alloc_size);
	if (err) {
		kho_unpreserve_free(blob);
		return ERR_PTR(err);
	}
	return blob;
}
EXPORT_SYMBOL_GPL(hasys_kho_preserve);

void hasys_kho_release(void *blob)
{
	if (IS_ERR_OR_NULL(blob))
		return;
	kho_remove_subtree(blob);
	kho_unpreserve_free(blob);
}
EXPORT_SYMBOL_GPL(hasys_kho_release);

/*
 * KHO's mark on a preserved page that was not restored yet (kexec_handover.c in 7.2:
 * union kho_page_info, the magic 'KHOP' in the upper half of page->private, the
 * order in the lower). KHO clears it when the page is restored, and its restore
 * WARNs on a page without it. A module reloaded in the kernel a handoff started finds
 * its subtree again in the FDT, but its blob was restored and freed by the first
 * load: this check tells the two apart without touching that memory. Kernel
 * pointers never have these upper bits, so a page reused since is not mistaken for
 * one. Keep in step with KHO's format ("kho-v4").
 */
#define HASYS_KHO_PAGE_MAGIC 0x4b484f50U

static bool hasys_kho_unrestored(phys_addr_t phys)
{
	struct page *page = pfn_to_online_page(PHYS_PFN(phys));

	return page && (u32)(READ_ONCE(page->private) >> 32) == HASYS_KHO_PAGE_MAGIC;
}

void *hasys_kho_find(const char *name, size_t *size)
{
	struct folio *folio;
	phys_addr_t phys;
	size_t len = 0;
	int err;

	if (!name || !size)
		return ERR_PTR(-EINVAL);
	if (!is_kho_boot())
		return ERR_PTR(-ENOENT);
	err = kho_retrieve_subtree(name, &phys, &len);
	if (err)
		return ERR_PTR(err);
	/* hasys blobs are whole folios: anything else was not written by hasys. */
	if (!PAGE_ALIGNED(phys) || !len)
		return ERR_PTR(-EINVAL);
	/* Restored (and freed) by an earlier load of the module in this kernel. */
	if (!hasys_kho_unrestored(phys))
		return ERR_PTR(-ENOENT);
	/* Claimed before it is read: from here the folio is this kernel's, and ours. */
	folio = kho_restore_folio(phys);
	if (!folio)
		return ERR_PTR(-EINVAL);
	/* The subtree's size is the old kernel's word: never past the folio. */
	if (len > folio_size(folio)) {
		folio_put(folio);
		return ERR_PTR(-EINVAL);
	}
	*size = len;
	return folio_address(folio);
}
EXPORT_SYMBOL_GPL(hasys_kho_find);

void hasys_kho_free_found(void *blob)
{
	if (!IS_ERR_OR_NULL(blob))
		folio_put(virt_to_folio(blob));
}
EXPORT_SYMBOL_GPL(hasys_kho_free_found);

/* The modules told of a handoff's phases (include/hasys/hwerr.h). */
static BLOCKING_NOTIFIER_HEAD(hasys_handoff_chain);

int hasys_handoff_register(struct notifier_block *nb)
{
	return blocking_notifier_chain_register(&hasys_handoff_chain, nb);
}
EXPORT_SYMBOL_GPL(hasys_handoff_register);

int hasys_handoff_unregister(struct notifier_block *nb)
{
	return blocking_notifier_chain_unregister(&hasys_handoff_chain, nb);
}
EXPORT_SYMBOL_GPL(hasys_handoff_unregister);

int hasys_handoff_call(unsigned long phase)
{
	switch (phase) {
	case HASYS_HANDOFF_PREPARE:
		/* A refusal tells ABORT to those that had accepted it before. */
		return notifier_to_errno(blocking_notifier_call_chain_robust(
			&hasys_handoff_chain, HASYS_HANDOFF_PREPARE, HASYS_HANDOFF_ABORT,
			NULL));
	case HASYS_HANDOFF_ABORT:
	case HASYS_HANDOFF_COMMIT:
		blocking_notifier_call_chain(&hasys_handoff_chain, phase, NULL);
		return 0;
	default:
		return -EINVAL;
	}
}
EXPORT_SYMBOL_GPL(hasys_handoff_call);

#define HWERR_KHO_NAME "hasys-hwerr"

/* The preserved log's blob, between preserve and seal or release. */
static DEFINE_MUTEX(hwerr_ho_lock);
static void *hwerr_ho_blob;
static size_t hwerr_ho_size;

/* Written once, at load (hwerr_handoff_found_rs() through hwerr_handoff_note()). */
static struct hwerr_handoff_restored hwerr_ho_restored;
static bool hwerr_ho_was_restored;

int hwerr_handoff_preserve(void)
{
	const void *log = hwerr_capture_log();
	size_t alloc;
	void *blob;

	if (!log)
		return -ENODEV;
	guard(mutex)(&hwerr_ho_lock);
	if (hwerr_ho_blob)
		return -EBUSY;
	blob = hasys_kho_preserve(HWERR_KHO_NAME, hwerr_handoff_blob_size_rs(log), &alloc);
	if (IS_ERR(blob))
		return PTR_ERR(blob);
	hwerr_ho_blob = blob;
	hwerr_ho_size = alloc;
	return 0;
}
EXPORT_SYMBOL_GPL(hwerr_handoff_preserve);

/*
 * The sealed blob, for the records that come too late for it: the log refuses
 * them from the seal on (they must not take a sequence number the next kernel
 * gives again), and this dumper counts them into the blob's lost count at the
 * last moment a module runs. kernel_kexec() calls kmsg_dump(KMSG_DUMP_SHUTDOWN)
 * after device shutdown and machine_shutdown() (the other CPUs stopped), just
 * before machine_kexec(). What arrives after that is not counted.
 */
static void *hwerr_ho_sealed;
static size_t hwerr_ho_sealed_size;
/* The dumper below is registered (under hwerr_ho_lock). */
static bool hwerr_ho_dumping;

/*
 * Context: kmsg_dump()'s, for every reason up to SHUTDOWN: any context, an oops
 * or a panic included. Acts on SHUTDOWN only, once; never sleeps or waits for a
 * lock.
 */
static void hwerr_ho_dump(struct kmsg_dumper *dumper, struct kmsg_dump_detail *detail)
{
	const void *log;
	void *blob;
	int lost;

	if (detail->reason != KMSG_DUMP_SHUTDOWN)
		return;
	/*
	 * The log outlives this call: kmsg_dump() runs dumpers in an RCU read-side
	 * section, and capture stops (the log freed) only after a synchronize_rcu(),
	 * at unload, which unregisters this dumper first (hwerr_handoff_release()).
	 */
	log = hwerr_capture_log();
	blob = xchg(&hwerr_ho_sealed, NULL);
	if (!blob || !log)
		return;
	lost = hwerr_handoff_late_rs(log, blob, hwerr_ho_sealed_size);
	if (lost < 0)
		pr_warn("hwerr: handoff: the records refused since the seal are not counted (%d)\n",
			lost);
	else if (lost)
		pr_info("hwerr: handoff: the log's blob counts %d records lost\n", lost);
}

static struct kmsg_dumper hwerr_ho_dumper = {
	.dump = hwerr_ho_dump,
	.max_reason = KMSG_DUMP_SHUTDOWN,
};

int hwerr_handoff_seal(void)
{
	const void *log = hwerr_capture_log();
	u8 boot_id[16];
	int ret;

	if (!log)
		return -ENODEV;
	guard(mutex)(&hwerr_ho_lock);
	if (!hwerr_ho_blob)
		return -ENOENT;
	get_random_bytes(boot_id, sizeof(boot_id));
	ret = hwerr_handoff_seal_rs(log, hwerr_ho_blob, hwerr_ho_size,
				    hwerr_ho_restored.handoffs == U32_MAX ? U32_MAX :
				    hwerr_ho_restored.handoffs + 1, boot_id);
	/* Sealed: the blob is the next kernel's, never released here. */
	if (ret >= 0) {
		hwerr_ho_sealed_size = hwerr_ho_size;
		/* Ordered after the size: the dumper reads it once it has the blob. */
		smp_store_release(&hwerr_ho_sealed, hwerr_ho_blob);
		hwerr_ho_blob = NULL;
		if (!hwerr_ho_dumping)
			hwerr_ho_dumping = !kmsg_dump_register(&hwerr_ho_dumper);
	}
	return ret;
}
EXPORT_SYMBOL_GPL(hwerr_handoff_seal);

void hwerr_handoff_release(void)
{
	guard(mutex)(&hwerr_ho_lock);
	hasys_kho_release(hwerr_ho_blob);
	hwerr_ho_blob = NULL;
	if (hwerr_ho_dumping) {
		/* Waits for a dump that is running (RCU). */
		kmsg_dump_unregister(&hwerr_ho_dumper);
		hwerr_ho_dumping = false;
	}
	WRITE_ONCE(hwerr_ho_sealed, NULL);
}
EXPORT_SYMBOL_GPL(hwerr_handoff_release);

/* Context: any. */
int hwerr_handoff_restored(struct hwerr_handoff_restored *out)
{
	if (!out)
		return -EINVAL;
	/* Pairs with the release in hwerr_handoff_note(). */
	if (!smp_load_acquire(&hwerr_ho_was_restored))
		return -ENOENT;
	*out = hwerr_ho_restored;
	return 0;
}
EXPORT_SYMBOL_GPL(hwerr_handoff_restored);

/* Module init, before capture starts and before any other module can ask. */
void hwerr_handoff_note(const struct hwerr_handoff_restored *r)
{
	hwerr_ho_restored = *r;
	smp_store_release(&hwerr_ho_was_restored, true);
}
