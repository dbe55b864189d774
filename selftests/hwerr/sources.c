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

#define MCE_INJ "/sys/kernel/debug/mce-inject/"
#define MCI_STATUS_VAL		(1ULL << 63)
#define MCI_STATUS_UC		(1ULL << 61)
#define MCI_STATUS_EN		(1ULL << 60)
#define MCI_STATUS_MISCV	(1ULL << 59)
#define MCI_STATUS_ADDRV	(1ULL << 58)
#define MCI_STATUS_S		(1ULL << 56)

static struct hwerr_record recs[256];

/* Opens /dev/hwerr at "now", filtered to one source. */
static int open_source(int source)
{
	struct hwerr_filter f = {
		.source_mask = 1U << source,
		.severity_mask = (1U << HWERR_SEV_NR) - 1,
	};
	int fd = hwerr_open_at(O_RDONLY | O_NONBLOCK, HWERR_SEEK_NEWEST);

	if (fd >= 0 && ioctl(fd, HWERR_IOC_SET_FILTER, &f)) {
		close(fd);
		return -errno;
	}
	return fd;
}

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

static int mce_write(const char *file, unsigned long long v)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), MCE_INJ "%s", file);
	snprintf(buf, sizeof(buf), "0x%llx", v);
	return write_str(path, buf);
}

static int mce_inject(unsigned long long status, unsigned long long addr,
		      unsigned long long misc, int bank)
{
	return write_str(MCE_INJ "flags", "sw\n") ?:
	       mce_write("cpu", 0) ?: mce_write("status", status) ?:
	       mce_write("addr", addr) ?: mce_write("misc", misc) ?:
	       mce_write("synd", 0) ?: mce_write("ipid", 0) ?:
	       mce_write("bank", bank);	/* writing the bank injects */
}

/* Physical address of a resident page of this process (root sees PFNs). */
static unsigned long long phys_addr(void *p)
{
	long psz = sysconf(_SC_PAGESIZE);
	unsigned long long ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, 8, ((unsigned long)p / psz) * 8) != 8)
		ent = 0;
	close(fd);
	if (!(ent & (1ULL << 63)))
		return 0;
	return (ent & ((1ULL << 55) - 1)) * psz;
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
	self->fd = open_source(HWERR_SRC_MCE);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, mce_inject(status, 0x1234000, 0, 1));
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

/* Whether the CPU is AMD (or Hygon): their MCA reads some status bits differently. */
static int cpu_is_amd(void)
{
	char line[256];
	int amd = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "vendor_id", 9)) {
			amd = strstr(line, "AuthenticAMD") || strstr(line, "HygonGenuine");
			break;
		}
	}
	if (f)
		fclose(f);
	return amd;
}

TEST_F(src, mce_corrected_dram_error_absorbed_by_the_cec_is_flagged)
{
	/*
	 * A corrected DRAM error with a usable address, which the kernel's CEC
	 * (RAS_CEC) counts per page: on AMD without SMCA, bank 4 with extended error
	 * code 8 (northbridge DRAM ECC); on Intel, a memory-controller MCACOD with a
	 * physical address in MISC.
	 */
	int amd = cpu_is_amd();
	unsigned long long status = MCI_STATUS_VAL | MCI_STATUS_EN | MCI_STATUS_ADDRV |
				    (amd ? (8ULL << 16) | 0x011b : MCI_STATUS_MISCV | 0x9f);
	unsigned long long misc = amd ? 0 : (2 << 6) | 12;

	if (access(MCE_INJ "bank", W_OK))
		SKIP(return, "no mce-inject (CONFIG_X86_MCE_INJECT)");
	self->fd = open_source(HWERR_SRC_MCE);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, mce_inject(status, 0x7654000, misc, amd ? 4 : 1));
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
	pa = phys_addr(page);
	ASSERT_NE(0, pa);
	self->fd = open_source(HWERR_SRC_MCE);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, mce_inject(status, pa, misc, 2));
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
		ASSERT_EQ(0, mce_inject(status | i << 16, 0, 0, 3));
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
	int i, n, sw = open_source(HWERR_SRC_SOFTWARE), off = -1, on = -1;

	ASSERT_LE(0, sw);
	self->fd = open_source(HWERR_SRC_MCE);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, write_str(HWERR_SYSFS "/mce/enabled", "0"));
	EXPECT_EQ(0, read_num(HWERR_SYSFS "/mce/enabled"));
	EXPECT_EQ(0, mce_inject(status, 0, 0, 1));
	EXPECT_EQ(0, wait_records(self->fd, 1, 1000));
	/* Not logged, but counted. */
	EXPECT_EQ(ignored0 + 1, read_num(HWERR_SYSFS "/mce/ignored"));
	ASSERT_EQ(0, write_str(HWERR_SYSFS "/mce/enabled", "1"));
	EXPECT_EQ(0, mce_inject(status, 0, 0, 1));
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
	self->fd = open_source(HWERR_SRC_MCE);
	ASSERT_LE(0, self->fd);
	/* A long window: the parameter change below logs the pending summary. */
	ASSERT_EQ(0, hwerr_storm_set(60000, 2, 0));
	for (i = 0; i < 30; i++)
		ASSERT_EQ(0, mce_inject(status, 0x5000, 0, 4));
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
	int pfd[2], st;
	unsigned long long pa = 0;
	pid_t pid;

	self->fd = open_source(HWERR_SRC_MEMORY_FAILURE);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		unsigned long long a;

		if (p == MAP_FAILED)
			_exit(2);
		p[0] = 1;
		a = phys_addr(p);
		if (write(pfd[1], &a, sizeof(a)) != sizeof(a))
			_exit(3);
		/* The kernel handles the failure for this task and may SIGBUS it. */
		_exit(madvise(p, 4096, MADV_HWPOISON) ? 100 + errno : 0);
	}
	ASSERT_EQ(sizeof(pa), read(pfd[0], &pa, sizeof(pa)));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	if (WIFEXITED(st) && WEXITSTATUS(st) > 100)
		TH_LOG("madvise(MADV_HWPOISON): %s", strerror(WEXITSTATUS(st) - 100));
	ASSERT_FALSE(WIFEXITED(st) && WEXITSTATUS(st));
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
}

#define EDAC_INJ "/sys/kernel/debug/hasys_edac_testmc/inject"

static int edac_testmc_load(void)
{
	if (access("/sys/module/hasys_edac_testmc", F_OK) == 0)
		return 0;
	return hasys_insmod("samples/edac_testmc/hasys_edac_testmc.ko", "");
}

TEST_F(src, edac_corrected_and_uncorrected)
{
	char line[128];
	int mc;

	ASSERT_EQ(0, edac_testmc_load());
	mc = read_num("/sys/kernel/debug/hasys_edac_testmc/mc");
	ASSERT_LE(0, mc);
	self->fd = open_source(HWERR_SRC_EDAC);
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
	self->fd = open_source(HWERR_SRC_NMI);
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

/* drivers/pci/pcie/aer_inject.c's write() format. */
struct aer_error_inj {
	__u8 bus, dev, fn;
	__u32 uncor_status, cor_status;
	__u32 header_log0, header_log1, header_log2, header_log3;
	__u32 domain;
};

/* The VM's endpoint behind the PCIe root port (vmtest.py adds both). */
#define AER_BDF "0000:01:00.0"

static int aer_inject(__u32 uncor, __u32 cor)
{
	struct aer_error_inj e = { .bus = 1, .uncor_status = uncor, .cor_status = cor };
	int fd = open("/dev/aer_inject", O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, &e, sizeof(e)) != sizeof(e))
		ret = -errno;
	close(fd);
	return ret;
}

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
	self->fd = open_source(HWERR_SRC_AER);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, aer_inject(0, 0x1));		/* correctable: receiver error */
	ASSERT_EQ(1, wait_records(self->fd, 1, 20000));
	EXPECT_EQ(HWERR_SEV_CORRECTED, recs[0].hdr.severity);
	EXPECT_EQ(2, recs[0].u.aer.aer_severity);	/* AER_CORRECTABLE */
	EXPECT_EQ(0x1, recs[0].u.aer.status);
	EXPECT_STREQ(AER_BDF, recs[0].u.aer.dev_name);
	EXPECT_EQ(0, recs[0].u.aer.segment);
	EXPECT_EQ(1, recs[0].u.aer.bus);
	EXPECT_EQ(0, recs[0].u.aer.devfn);

	ASSERT_EQ(0, aer_inject(1U << 20, 0));	/* unsupported request: non-fatal */
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
	ASSERT_EQ(0, aer_inject(1U << 20, 0));
	n = wait_records(self->fd, 1, 20000);
	ASSERT_LE(1, n);
	EXPECT_EQ(HWERR_SEV_RECOVERABLE, recs[n - 1].hdr.severity);
	EXPECT_EQ(0, recs[n - 1].u.aer.aer_severity);	/* AER_NONFATAL */
	EXPECT_EQ(1U << 20, recs[n - 1].u.aer.status);
	EXPECT_STREQ(AER_BDF, recs[n - 1].u.aer.dev_name);
}

TEST_HARNESS_MAIN
