// SPDX-License-Identifier: GPL-2.0
/*
 * hasys_edac_testmc: a test EDAC memory controller.
 *
 * It registers a memory controller with the real EDAC core (edac_mc_alloc() and
 * edac_mc_add_mc()): one layer of two channels, one DIMM each, labelled
 * "hasys-DIMM0" and "hasys-DIMM1". Writing "type page offset syndrome channel" to
 * /sys/kernel/debug/hasys_edac_testmc/inject raises that error through
 * edac_mc_handle_error(), exactly as a hardware EDAC driver does on an ECC
 * interrupt: EDAC's counters move, and the ras:mc_event tracepoint fires, which is
 * what hwerr captures. type is enum hw_event_mc_err_type (0 corrected,
 * 1 uncorrected, 2 deferred, 3 fatal, 4 info). "mc" in the same directory shows
 * the controller's index.
 *
 * This is C: 7.2 has no Rust EDAC abstraction, and edac_mc.h is a driver-internal
 * header.
 */
#include <linux/debugfs.h>
#include <linux/device/faux.h>
#include <linux/edac.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "edac_mc.h"

#define NR_CHANNELS 2

static struct faux_device *testmc_fdev;
static struct mem_ctl_info *testmc_mci;
static struct dentry *testmc_dir;
static u32 testmc_idx;

static unsigned int mc_num;
module_param(mc_num, uint, 0444);
MODULE_PARM_DESC(mc_num, "EDAC memory controller index to register as (default 0)");

/* Context: process (debugfs write). */
static ssize_t inject_write(struct file *file, const char __user *ubuf, size_t count,
			    loff_t *ppos)
{
	unsigned long page, offset, syndrome;
	unsigned int type;
	int channel;
	char buf[96];

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (sscanf(buf, "%u %lx %lx %lx %d", &type, &page, &offset, &syndrome, &channel) != 5)
		return -EINVAL;
	if (type > HW_EVENT_ERR_INFO || channel < 0 || channel >= NR_CHANNELS ||
	    offset >= PAGE_SIZE)
		return -EINVAL;
	edac_mc_handle_error(type, testmc_mci, 1, page, offset, syndrome, channel, -1, -1,
			     "hasys test error", "hasys_edac_testmc");
	return count;
}

static const struct file_operations inject_fops = {
	.owner = THIS_MODULE,
	.write = inject_write,
};

static int __init testmc_init(void)
{
	struct edac_mc_layer layer = {
		.type = EDAC_MC_LAYER_CHANNEL,
		.size = NR_CHANNELS,
		.is_virt_csrow = false,
	};
	struct dimm_info *dimm;
	int ret;

	testmc_fdev = faux_device_create("hasys_edac_testmc", NULL, NULL);
	if (!testmc_fdev)
		return -ENODEV;
	testmc_mci = edac_mc_alloc(mc_num, 1, &layer, 0);
	if (!testmc_mci) {
		ret = -ENOMEM;
		goto out_fdev;
	}
	testmc_mci->pdev = &testmc_fdev->dev;
	testmc_mci->mod_name = KBUILD_MODNAME;
	testmc_mci->ctl_name = "hasys_testmc";
	testmc_mci->dev_name = "hasys_edac_testmc";
	testmc_mci->mtype_cap = MEM_FLAG_DDR4;
	testmc_mci->edac_ctl_cap = EDAC_FLAG_SECDED;
	testmc_mci->edac_cap = EDAC_FLAG_SECDED;
	mci_for_each_dimm(testmc_mci, dimm) {
		dimm->nr_pages = 1024;
		dimm->grain = 64;
		dimm->mtype = MEM_DDR4;
		dimm->dtype = DEV_X8;
		dimm->edac_mode = EDAC_SECDED;
		snprintf(dimm->label, sizeof(dimm->label), "hasys-DIMM%u", dimm->idx);
	}
	ret = edac_mc_add_mc(testmc_mci);
	if (ret)
		goto out_free;
	testmc_dir = debugfs_create_dir("hasys_edac_testmc", NULL);
	testmc_idx = testmc_mci->mc_idx;
	debugfs_create_u32("mc", 0444, testmc_dir, &testmc_idx);
	debugfs_create_file("inject", 0200, testmc_dir, NULL, &inject_fops);
	return 0;

out_free:
	edac_mc_free(testmc_mci);
out_fdev:
	faux_device_destroy(testmc_fdev);
	return ret;
}

/*
 * Waits for each DIMM device's delayed release under CONFIG_DEBUG_KOBJECT_RELEASE.
 *
 * A lifetime bug of the 7.2 EDAC core, not of this module: a DIMM's struct device
 * lives inside its dimm_info, which mci_release() frees, but device_unregister() of
 * the DIMM (kobject_del()) has already dropped its reference on the mci device, its
 * parent, so nothing orders the DIMM's release before mci_release(). Normally the
 * DIMM's release runs at once inside edac_mc_del_mc(). With
 * CONFIG_DEBUG_KOBJECT_RELEASE it runs 1-4 s later from a delayed work embedded in
 * that dimm_info, and edac_mc_free() right away frees it first: KASAN reports a
 * use-after-free in assign_work() and kmemleak the DIMM's name. Every EDAC driver's
 * unload does this on such a kernel; the test module waits, so the test kernel's
 * reports stay about hasys. A zero reference count means kobject_release() has
 * initialised and queued the release work.
 *
 * Context: process (module exit), after edac_mc_del_mc().
 */
static void testmc_wait_dimm_releases(struct mem_ctl_info *mci)
{
#ifdef CONFIG_DEBUG_KOBJECT_RELEASE
	unsigned int i;

	for (i = 0; i < mci->tot_dimms; i++) {
		struct kobject *kobj = &mci->dimms[i]->dev.kobj;

		if (!kref_read(&kobj->kref))
			flush_delayed_work(&kobj->release);
	}
#endif
}

static void __exit testmc_exit(void)
{
	debugfs_remove_recursive(testmc_dir);
	edac_mc_del_mc(&testmc_fdev->dev);
	testmc_wait_dimm_releases(testmc_mci);
	edac_mc_free(testmc_mci);
	faux_device_destroy(testmc_fdev);
}

module_init(testmc_init);
module_exit(testmc_exit);
MODULE_DESCRIPTION("hasys test EDAC memory controller (error injection)");
MODULE_LICENSE("GPL");
