// SPDX-License-Identifier: GPL-2.0
/*
 * Each hardware-error source, driven by a real injection through the kernel's own
 * path, and the record it produces checked field by field:
 *
 *   MCE             mce-inject (debugfs, software injection into the decode chain)
 *   memory failure  madvise(MADV_HWPOISON) in a child process
 *   EDAC            samples/edac_testmc, a memory controller registered with the
 *                   EDAC core, raising errors through edac_mc_handle_error()
 *   NMI             QEMU's monitor "nmi" command, sent by the host harness
 *   AER             aer-inject on the q35 guest's PCIe root port
 *
 * GHES has no injection path on QEMU x86: its CPER decoding is tested by KUnit.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "hwerr_test.h"
#include "kselftest_harness.h"

#define MCE_INJ HASYS_MCE_INJ

static struct hwerr_record recs[256];

/* Waits up to @ms for records and reads them; returns how many. */
static int wait_records(int fd, int want, int ms)
{
	int got = 0, n;

	while (got < want && ms > 0) {
		if (hwerr_poll(fd, 100) > 0) {
			n = hwerr_read_all(fd, recs + got, 256 - got);
			if (n < 0)
				return n;
			got += n;
		}
		ms -= 100;
	}
	return got;
}

FIXTURE(src) {
	int fd;
};

FIXTURE_SETUP(src)
{
	ASSERT_EQ(0, hwerr_load());
	self->fd = -1;
	/* Repeated injections stand for themselves unless a test turns coalescing on. */
	ASSERT_EQ(0, hwerr_storm_set(0, 2, 0));
}

FIXTURE_TEARDOWN(src)
{
	if (self->fd >= 0)
		close(self->fd);
	/* Whatever a test did, leave every source on and the storm defaults. */
	write_str(HWERR_SYSFS "/mce/enabled", "1");
	hwerr_storm_defaults();
}

TEST_F(src, mce_corrected)
{
	unsigned long long status = MCI_STATUS_VAL | MCI_STATUS_EN | MCI_STATUS_ADDRV | 0x9f;

	if (access(MCE_INJ "bank", W_OK))
		SKIP(return, "no mce-inject (CONFIG_X86_MCE_INJECT)");
	self->fd = hwerr_open_source(HWERR_SRC_MCE);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, hasys_mce_inject(0, status, 0x1234000, 0, 1));
	ASSERT_EQ(1, wait_records(self->fd, 1, 10000));
	EXPECT_EQ(HWERR_SRC_MCE, recs[0].hdr.source);
	EXPECT_EQ(HWERR_SEV_CORRECTED, recs[0].hdr.severity);
	EXPECT_EQ(status, recs[0].u.mce.status);
	EXPECT_EQ(0x1234000, recs[0].u.mce.addr);
	EXPECT_EQ(1, recs[0].u.mce.bank);
	EXPECT_EQ(0, recs[0].u.mce.extcpu);
	EXPECT_FALSE(recs[0].hdr.flags & HWERR_F_ACTION_REQUIRED);
	EXPECT_LT(0, read_num(HWERR_SYSFS "/mce/captured"));
}

TEST_F(src, mce_corrected_dram_error_absorbed_by_the_cec_is_flagged)
{
	/*
	 * A corrected DRAM error with a usable address, which the kernel's CEC
	 * (RAS_CEC) counts per page: on AMD without SMCA, bank 4 with extended error
	 * code 8 (northbridge DRAM ECC); on Intel, a memory-controller MCACOD with a
	 * physical address in MISC.
	 */
	int amd = hasys_cpu_is_amd();
	unsigned long long status = MCI_STATUS_VAL | MCI_STATUS_EN | MCI_STATUS_ADDRV |
				    (amd ? (8ULL << 16) | 0x011b : MCI_STATUS_MISCV | 0x9f);
	unsigned long long misc = amd ? 0 : (2 << 6) | 12;

	if (access(MCE_INJ "bank", W_OK))
		SKIP(return, "no mce-inject (CONFIG_X86_MCE_INJECT)");
	self->fd = hwerr_open_source(HWERR_SRC_MCE);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, hasys_mce_inject(0, status, 0x7654000, misc, amd ? 4 : 1));
	ASSERT_EQ(1, wait_records(self->fd, 1, 10000));
	EXPECT_EQ(HWERR_SEV_CORRECTED, recs[0].hdr.severity);
	EXPECT_EQ(HWERR_F_CEC_ABSORBED, recs[0].hdr.flags & HWERR_F_CEC_ABSORBED)
		TH_LOG("vendor %s, status %#llx", amd ? "AMD" : "Intel", status);
}

TEST_F(src, mce_uncorrected_recoverable_in_user_page)
{
	unsigned long long status = MCI_STATUS_VAL | MCI_STATUS_UC | MCI_STATUS_EN |
				    MCI_STATUS_ADDRV | MCI_STATUS_S | 0x9f;
	unsigned long long misc = (2 << 6) | 12;	/* physical address, LSB 12 */
	unsigned long long pa;
	char *page;

	if (access(MCE_INJ "bank", W_OK))
		SKIP(return, "no mce-inject (CONFIG_X86_MCE_INJECT)");
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	page[0] = 1;
	pa = hasys_phys_addr(page);
	ASSERT_NE(0, pa);
	self->fd = hwerr_open_source(HWERR_SRC_MCE);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, hasys_mce_inject(0, status, pa, misc, 2));
	ASSERT_EQ(1, wait_records(self->fd, 1, 10000));
	EXPECT_EQ(HWERR_SEV_RECOVERABLE, recs[0].hdr.severity);
	EXPECT_EQ(status | MCI_STATUS_MISCV, recs[0].u.mce.status);
	EXPECT_EQ(pa, recs[0].u.mce.addr);
	EXPECT_EQ(misc, recs[0].u.mce.misc);
	EXPECT_EQ(2, recs[0].u.mce.bank);
	/* S without AR: action optional (SRAO). */
	EXPECT_FALSE(recs[0].hdr.flags & HWERR_F_ACTION_REQUIRED);
	munmap(page, 4096);
}

TEST_F(src, mce_sequence_is_continuous)
{
	unsigned long long status = MCI_STATUS_VAL | MCI_STATUS_EN | 0x9f;
	int i;

	if (access(MCE_INJ "bank", W_OK))
		SKIP(return, "no mce-inject (CONFIG_X86_MCE_INJECT)");
	self->fd = hwerr_open_at(O_RDONLY | O_NONBLOCK, HWERR_SEEK_NEWEST);
	ASSERT_LE(0, self->fd);
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, hasys_mce_inject(0, status | i << 16, 0, 0, 3));
	ASSERT_EQ(5, wait_records(self->fd, 5, 10000));
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(recs[0].hdr.seq + i, recs[i].hdr.seq);
		EXPECT_EQ(status | i << 16, recs[i].u.mce.status);
	}
}

TEST_F(src, source_can_be_disabled)
{
	unsigned long long status = MCI_STATUS_VAL | MCI_STATUS_EN | 0x9f;

	if (access(MCE_INJ "bank", W_OK))
		SKIP(return, "no mce-inject (CONFIG_X86_MCE_INJECT)");
	long long ignored0 = read_num(HWERR_SYSFS "/mce/ignored");
	int i, n, sw = hwerr_open_source(HWERR_SRC_SOFTWARE), off = -1, on = -1;

	ASSERT_LE(0, sw);
	self->fd = hwerr_open_source(HWERR_SRC_MCE);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, write_str(HWERR_SYSFS "/mce/enabled", "0"));
	EXPECT_EQ(0, read_num(HWERR_SYSFS "/mce/enabled"));
	EXPECT_EQ(0, hasys_mce_inject(0, status, 0, 0, 1));
	EXPECT_EQ(0, wait_records(self->fd, 1, 1000));
	/* Not logged, but counted. */
	EXPECT_EQ(ignored0 + 1, read_num(HWERR_SYSFS "/mce/ignored"));
	ASSERT_EQ(0, write_str(HWERR_SYSFS "/mce/enabled", "1"));
	EXPECT_EQ(0, hasys_mce_inject(0, status, 0, 0, 1));
	EXPECT_EQ(1, wait_records(self->fd, 1, 10000));
	EXPECT_EQ(-EINVAL, write_str(HWERR_SYSFS "/mce/enabled", "maybe"));
	/* Both changes left a trace in the log: hwerr's own software records. */
	n = wait_records(sw, 2, 5000);
	close(sw);
	for (i = 0; i < n; i++) {
		struct hwerr_record *r = &recs[i];

		if (strcmp(r->u.sw.origin, "hwerr") || r->u.sw.data[0] != HWERR_SRC_MCE)
			continue;
		if (r->u.sw.code == HWERR_CODE_SOURCE_DISABLED)
			off = i;
		else if (r->u.sw.code == HWERR_CODE_SOURCE_ENABLED && off >= 0)
			on = i;
	}
	ASSERT_LE(0, off);
	ASSERT_LT(off, on);
	EXPECT_EQ(ignored0, (long long)recs[off].u.sw.data[1]);
	EXPECT_EQ(ignored0 + 1, (long long)recs[on].u.sw.data[1]);
}

TEST_F(src, mce_storm_is_coalesced_exactly)
{
	unsigned long long status = MCI_STATUS_VAL | MCI_STATUS_EN | MCI_STATUS_ADDRV | 0x9e;
	unsigned long long sum = 0;
	int i;

	if (access(MCE_INJ "bank", W_OK))
		SKIP(return, "no mce-inject (CONFIG_X86_MCE_INJECT)");
	self->fd = hwerr_open_source(HWERR_SRC_MCE);
	ASSERT_LE(0, self->fd);
	/* A long window: the parameter change below logs the pending summary. */
	ASSERT_EQ(0, hwerr_storm_set(60000, 2, 0));
	for (i = 0; i < 30; i++)
		ASSERT_EQ(0, hasys_mce_inject(0, status, 0x5000, 0, 4));
	/* The first two are logged as they come; the rest wait in a summary. */
	ASSERT_EQ(2, wait_records(self->fd, 2, 10000));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(status, recs[i].u.mce.status);
		EXPECT_EQ(0, recs[i].hdr.flags & HWERR_F_COALESCED);
		sum += recs[i].hdr.count;
	}
	EXPECT_EQ(0, wait_records(self->fd, 1, 500));
	ASSERT_EQ(0, hwerr_storm_set(0, 2, 0));
	ASSERT_EQ(1, wait_records(self->fd, 1, 10000));
	EXPECT_EQ(status, recs[0].u.mce.status);
	EXPECT_EQ(0x5000, recs[0].u.mce.addr);
	EXPECT_EQ(HWERR_F_COALESCED, recs[0].hdr.flags & HWERR_F_COALESCED);
	EXPECT_EQ(28, recs[0].hdr.count);
	EXPECT_LE(recs[0].hdr.boottime_ns, recs[0].hdr.last_boottime_ns);
	sum += recs[0].hdr.count;
	EXPECT_EQ(30, sum);
}

TEST_F(src, memory_failure_madv_hwpoison)
{
	unsigned long long pa;
	int pid, err;

	self->fd = hwerr_open_source(HWERR_SRC_MEMORY_FAILURE);
	ASSERT_LE(0, self->fd);
	pid = hasys_madv_hwpoison(NULL, &pa, &err);
	ASSERT_LT(0, pid) TH_LOG("madvise(MADV_HWPOISON): %s", strerror(err));
	ASSERT_NE(0, pa);
	ASSERT_EQ(1, wait_records(self->fd, 1, 10000));
	EXPECT_EQ(HWERR_SRC_MEMORY_FAILURE, recs[0].hdr.source);
	EXPECT_EQ(pa / 4096, recs[0].u.mf.pfn);
	/* MF_DELAYED (2) or MF_RECOVERED (3): the page was isolated. */
	EXPECT_LE(2, recs[0].u.mf.result);
	EXPECT_EQ(HWERR_SEV_RECOVERABLE, recs[0].hdr.severity);
	/* The process the kernel signalled for the page, not whoever ran the handler. */
	EXPECT_TRUE(recs[0].hdr.flags & HWERR_F_TASK);
	EXPECT_EQ(pid, recs[0].u.mf.pid);
	EXPECT_EQ(1, recs[0].u.mf.tasks);
	EXPECT_STREQ("sources", recs[0].u.mf.comm);
	/* Its cgroup v2 id: the root cgroup's is 1, never 0. */
	EXPECT_NE(0, recs[0].u.mf.cgroup_id);
}


TEST_F(src, edac_corrected_and_uncorrected)
{
	char line[128];
	int mc;

	ASSERT_EQ(0, edac_testmc_load());
	mc = read_num("/sys/kernel/debug/hasys_edac_testmc/mc");
	ASSERT_LE(0, mc);
	self->fd = hwerr_open_source(HWERR_SRC_EDAC);
	ASSERT_LE(0, self->fd);
	/* type page offset syndrome channel */
	ASSERT_EQ(0, write_str(EDAC_INJ, "0 0x1234 0x40 0xbeef 1"));
	ASSERT_EQ(0, write_str(EDAC_INJ, "1 0x2000 0x0 0x0 0"));
	ASSERT_EQ(2, wait_records(self->fd, 2, 10000));

	EXPECT_EQ(HWERR_SEV_CORRECTED, recs[0].hdr.severity);
	EXPECT_EQ(0, recs[0].u.edac.err_type);
	EXPECT_EQ(mc, recs[0].u.edac.mc_index);
	EXPECT_EQ((0x1234ULL << 12) | 0x40, recs[0].u.edac.address);
	EXPECT_EQ(0xbeef, recs[0].u.edac.syndrome);
	EXPECT_EQ(1, recs[0].u.edac.error_count);
	EXPECT_EQ(1, recs[0].u.edac.layer[0]);
	EXPECT_EQ(-1, recs[0].u.edac.layer[1]);
	snprintf(line, sizeof(line), "%s", recs[0].u.edac.label);
	EXPECT_STREQ("hasys-DIMM1", line);

	EXPECT_EQ(HWERR_SEV_RECOVERABLE, recs[1].hdr.severity);
	EXPECT_EQ(1, recs[1].u.edac.err_type);
	EXPECT_EQ(0x2000ULL << 12, recs[1].u.edac.address);
	EXPECT_EQ(0, recs[1].u.edac.layer[0]);
	EXPECT_EQ(recs[0].hdr.seq + 1, recs[1].hdr.seq);
	EXPECT_EQ(-EINVAL, write_str(EDAC_INJ, "9 0 0 0 0"));
	EXPECT_EQ(0, syscall(__NR_delete_module, "hasys_edac_testmc", O_NONBLOCK));
}

TEST_F(src, nmi_from_qemu_monitor)
{
	const char *req = getenv("HASYS_HOSTREQ");
	char path[PATH_MAX];
	int i, n;

	if (!req)
		SKIP(return, "no host request channel (HASYS_HOSTREQ): run under make vmtest");
	self->fd = hwerr_open_source(HWERR_SRC_NMI);
	ASSERT_LE(0, self->fd);
	snprintf(path, sizeof(path), "%s/nmi-request", req);
	ASSERT_EQ(0, close(open(path, O_CREAT | O_WRONLY, 0644)));
	/* QEMU delivers the NMI to every CPU; each one records it. */
	n = wait_records(self->fd, 1, 60000);
	ASSERT_LE(1, n);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(HWERR_SRC_NMI, recs[i].hdr.source);
		EXPECT_EQ(HWERR_NMI_UNKNOWN, recs[i].u.nmi.nmi_type);
		EXPECT_EQ(HWERR_SEV_INFO, recs[i].hdr.severity);
	}
}

/* The VM's endpoint behind the PCIe root port (vmtest.py adds both). */
#define AER_BDF "0000:01:00.0"

/*
 * Unbinds the endpoint's driver (e1000e binds it in the VM), so AER recovery takes
 * the same path on every run: "can't recover (no error_detected callback)", no
 * reset. With e1000e bound, a non-fatal error makes it pci_disable_device() the
 * endpoint and ask for a reset; when the reset does not re-enable it, the next
 * non-fatal error disables it again and the PCI core WARNs ("disabling
 * already-disabled device"), a driver's report that would fail the run. The
 * driver is not rebound: after a failed recovery the endpoint stays offline
 * (pci_channel_io_perm_failure) until the next boot.
 */
static int unbind_driver(const char *bdf)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;	/* no driver bound */
	if (write(fd, bdf, strlen(bdf)) != (ssize_t)strlen(bdf))
		ret = -errno;
	close(fd);
	return ret;
}

TEST_F(src, aer_correctable_and_nonfatal)
{
	int n;

	if (access("/sys/bus/pci/devices/" AER_BDF, F_OK))
		SKIP(return, "no PCIe endpoint " AER_BDF " (run under make vmtest)");
	if (access("/dev/aer_inject", W_OK))
		SKIP(return, "no /dev/aer_inject (CONFIG_PCIEAER_INJECT)");
	ASSERT_EQ(0, unbind_driver(AER_BDF));
	ASSERT_NE(0, access("/sys/bus/pci/devices/" AER_BDF "/driver", F_OK));
	self->fd = hwerr_open_source(HWERR_SRC_AER);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, hasys_aer_inject(0, 0x1));		/* correctable: receiver error */
	ASSERT_EQ(1, wait_records(self->fd, 1, 20000));
	EXPECT_EQ(HWERR_SEV_CORRECTED, recs[0].hdr.severity);
	EXPECT_EQ(2, recs[0].u.aer.aer_severity);	/* AER_CORRECTABLE */
	EXPECT_EQ(0x1, recs[0].u.aer.status);
	EXPECT_STREQ(AER_BDF, recs[0].u.aer.dev_name);
	EXPECT_EQ(0, recs[0].u.aer.segment);
	EXPECT_EQ(1, recs[0].u.aer.bus);
	EXPECT_EQ(0, recs[0].u.aer.devfn);

	ASSERT_EQ(0, hasys_aer_inject(1U << 20, 0));	/* unsupported request: non-fatal */
	ASSERT_LE(1, wait_records(self->fd, 1, 20000));
	EXPECT_EQ(HWERR_SEV_RECOVERABLE, recs[0].hdr.severity);
	EXPECT_EQ(0, recs[0].u.aer.aer_severity);	/* AER_NONFATAL */
	EXPECT_EQ(1U << 20, recs[0].u.aer.status);
	EXPECT_STREQ(AER_BDF, recs[0].u.aer.dev_name);

	/*
	 * A second non-fatal error in a row: recorded, and no driver WARN (see above).
	 * The first error's records are read out first, so this one is the last read.
	 */
	while (wait_records(self->fd, 1, 500) > 0)
		;
	ASSERT_EQ(0, hasys_aer_inject(1U << 20, 0));
	n = wait_records(self->fd, 1, 20000);
	ASSERT_LE(1, n);
	EXPECT_EQ(HWERR_SEV_RECOVERABLE, recs[n - 1].hdr.severity);
	EXPECT_EQ(0, recs[n - 1].u.aer.aer_severity);	/* AER_NONFATAL */
	EXPECT_EQ(1U << 20, recs[n - 1].u.aer.status);
	EXPECT_STREQ(AER_BDF, recs[n - 1].u.aer.dev_name);
}

TEST_HARNESS_MAIN
