// SPDX-License-Identifier: GPL-2.0
/*
 * hadetect against real errors: corrected MCEs through mce-inject at a page of this
 * process or on a CPU, and what hadetect decides and does about them:
 *
 *   page   N errors at one page within T: soft-offlined (PG_hwpoison in
 *          /proc/kpageflags), the process keeps its data; N-1, or N spread over more
 *          than T: nothing
 *   cpu    a storm of core errors on CPU 1: CPU 1 goes offline; with the cap at 0 it
 *          stays online and health turns red; CPU 0 is never offlined
 *   dry-run  the same injections decide and publish, and touch nothing
 *   dimm   EDAC errors (samples/edac_testmc) on one DIMM: a faulty DIMM with its
 *          label, no action (none exists), yellow
 *   contained  an uncorrected error the kernel contained (MADV_HWPOISON in a
 *          child in a cgroup of its own): a record naming the process and its
 *          cgroup, no fault, no action
 *   pci    N correctable AER errors (aer-inject) on the e1000e endpoint: its driver is
 *          unbound and kept off (driver_override "none"), or the function removed;
 *          each comes back (drivers_probe, rescan)
 *   health   each change wakes poll() on /sys/kernel/ha/hadetect/health
 *   agents   /dev/hadetect: heartbeats on time keep the node green; a missed
 *            deadline turns it yellow, past the escalation red, a beat green again;
 *            an agent that closes without unregistering is lost (yellow) until
 *            another takes its name over
 *   bad input on every attribute and ioctl: a clear errno, nothing changed
 *
 * Each test loads hadetect fresh (default rules) and unloads it; the kernel's CEC
 * is set out of the way (action_threshold 1023) so only hadetect acts on a page.
 */
#include <poll.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <linux/hadetect.h>

#include "../hwerr/hwerr_test.h"
#include "hadetect_test.h"
#include "kselftest_harness.h"

#define MCE_INJ HASYS_MCE_INJ
#define CEC_THRESHOLD "/sys/kernel/debug/ras/cec/action_threshold"
#define UNPOISON "/sys/kernel/debug/hwpoison/unpoison-pfn"
#define CPU1_ONLINE "/sys/devices/system/cpu/cpu1/online"

static struct hwerr_record recs[512];

static int wait_health(const char *want);

static int health_is_green(void)
{
	char buf[32];

	return !read_str(HD "health", buf, sizeof(buf)) && !strcmp(buf, "green");
}

/* Waits up to 10 s until counter @name reaches @want. */
static int wait_counter(const char *name, long long want)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (counter(name) >= want)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/* Reads hadetect's records from @fd until one of @event arrives (10 s); returns its
 * index in recs[], or -1. *@n is the number of records read so far. */
static int wait_event(int fd, __u32 event, int *n)
{
	int i, ms;

	for (ms = 0; ms < 10000; ms += 100) {
		for (i = 0; i < *n; i++)
			if (recs[i].u.hd.event == event)
				return i;
		if (hwerr_poll(fd, 100) > 0) {
			int got = hwerr_read_all(fd, recs + *n, 512 - *n);

			if (got < 0)
				return -1;
			*n += got;
		}
	}
	for (i = 0; i < *n; i++)
		if (recs[i].u.hd.event == event)
			return i;
	return -1;
}

static int has_event(int n, __u32 event)
{
	int i;

	for (i = 0; i < n; i++)
		if (recs[i].u.hd.event == event)
			return 1;
	return 0;
}

FIXTURE(hd) {
	int fd;
	long long cec;
	unsigned long long pfn;
	char *page;
};

FIXTURE_SETUP(hd)
{
	self->fd = -1;
	self->page = NULL;
	self->pfn = 0;
	ASSERT_EQ(0, hwerr_load());
	ASSERT_EQ(0, hwerr_storm_set(0, 2, 0));
	ASSERT_EQ(0, hasys_insmod("hadetect/hadetect.ko", ""));
	self->cec = read_num(CEC_THRESHOLD);
	if (self->cec >= 0)
		ASSERT_EQ(0, write_str(CEC_THRESHOLD, "1023"));
	if (access(MCE_INJ "bank", W_OK))
		SKIP(return, "no mce-inject (CONFIG_X86_MCE_INJECT)");
	self->fd = hwerr_open_source(HWERR_SRC_HADETECT);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(hd)
{
	char buf[32];

	if (self->fd >= 0)
		close(self->fd);
	if (self->pfn && page_poisoned(self->pfn) == 1) {
		snprintf(buf, sizeof(buf), "%llu", self->pfn);
		write_str(UNPOISON, buf);
	}
	if (self->page)
		munmap(self->page, 4096);
	write_str(CPU1_ONLINE, "1");
	if (self->cec >= 0) {
		snprintf(buf, sizeof(buf), "%lld", self->cec);
		write_str(CEC_THRESHOLD, buf);
	}
	EXPECT_EQ(0, syscall(__NR_delete_module, "hadetect", 0));
	hwerr_storm_defaults();
}

/* Maps a page of this process, fills it, and returns its physical address. */
static unsigned long long user_page(FIXTURE_DATA(hd) *self)
{
	unsigned long long pa;

	self->page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (self->page == MAP_FAILED) {
		self->page = NULL;
		return 0;
	}
	memset(self->page, 0x5a, 4096);
	pa = hasys_phys_addr(self->page);
	self->pfn = pa >> 12;
	return pa;
}

TEST_F(hd, page_is_soft_offlined_at_the_second_error_in_a_day)
{
	unsigned long long pa = user_page(self);
	char health[32];
	int n = 0, i;

	ASSERT_NE(0, pa);
	/* N-1 = 1 error: a suspect, nothing done. */
	ASSERT_EQ(0, inject_dram_ce(pa));
	i = wait_event(self->fd, HWERR_HD_OPENED, &n);
	ASSERT_LE(0, i);
	EXPECT_EQ(HWERR_HD_PAGE, recs[i].u.hd.fault_class);
	EXPECT_EQ(self->pfn, recs[i].u.hd.object);
	EXPECT_EQ(2, recs[i].u.hd.threshold);
	EXPECT_EQ(86400000, recs[i].u.hd.window_ms);
	ASSERT_EQ(0, wait_counter("errors", 1));
	EXPECT_EQ(0, page_poisoned(self->pfn));
	EXPECT_FALSE(has_event(n, HWERR_HD_FIRED));
	/* The Nth: fired, soft-offlined, confirmed. */
	ASSERT_EQ(0, inject_dram_ce(pa));
	i = wait_event(self->fd, HWERR_HD_FIRED, &n);
	ASSERT_LE(0, i);
	EXPECT_EQ(HWERR_HD_ACT_SOFT_OFFLINE, recs[i].u.hd.action);
	EXPECT_EQ(2, recs[i].u.hd.count);
	i = wait_event(self->fd, HWERR_HD_ISOLATED, &n);
	ASSERT_LE(0, i) TH_LOG("no isolated record; counters: failed %lld refused %lld",
			       counter("failed"), counter("refused"));
	EXPECT_EQ(self->pfn, recs[i].u.hd.object);
	EXPECT_EQ(1, page_poisoned(self->pfn));
	/* The process keeps its data: the page was migrated, not lost. */
	for (i = 0; i < 4096; i++)
		if (self->page[i] != 0x5a)
			break;
	EXPECT_EQ(4096, i);
	/* An isolated page costs no capacity: the node stays green. */
	ASSERT_EQ(0, read_str(HD "health", health, sizeof(health)));
	EXPECT_STREQ("green", health);
	EXPECT_EQ(1, counter("isolated"));
}

TEST_F(hd, errors_spread_over_more_than_the_window_do_nothing)
{
	unsigned long long pa = user_page(self);
	int n = 0;

	ASSERT_NE(0, pa);
	ASSERT_EQ(0, write_str(HD "page/window_ms", "500"));
	ASSERT_EQ(0, inject_dram_ce(pa));
	ASSERT_EQ(0, wait_counter("errors", 1));
	usleep(700 * 1000);
	ASSERT_EQ(0, inject_dram_ce(pa));
	ASSERT_EQ(0, wait_counter("errors", 2));
	usleep(300 * 1000);
	ASSERT_LE(0, wait_event(self->fd, HWERR_HD_OPENED, &n));
	EXPECT_FALSE(has_event(n, HWERR_HD_FIRED));
	EXPECT_EQ(0, counter("fired"));
	EXPECT_EQ(0, page_poisoned(self->pfn));
}

TEST_F(hd, dry_run_decides_publishes_and_touches_nothing)
{
	unsigned long long pa = user_page(self);
	char health[32], reasons[128];
	struct pollfd p;
	int n = 0, i;

	ASSERT_NE(0, pa);
	ASSERT_EQ(0, write_str(HD "dry_run", "1"));
	/* Health is pollable: open and read it now, then expect a change. */
	p.fd = open(HD "health", O_RDONLY);
	ASSERT_LE(0, p.fd);
	p.events = POLLPRI | POLLERR;
	ASSERT_LT(0, read(p.fd, health, sizeof(health)));
	ASSERT_EQ(0, inject_dram_ce(pa));
	ASSERT_EQ(0, inject_dram_ce(pa));
	i = wait_event(self->fd, HWERR_HD_DRY_RUN, &n);
	ASSERT_LE(0, i);
	EXPECT_EQ(HWERR_HD_F_DRY_RUN, recs[i].u.hd.flags & HWERR_HD_F_DRY_RUN);
	EXPECT_EQ(HWERR_HD_ACT_SOFT_OFFLINE, recs[i].u.hd.action);
	EXPECT_EQ(1, poll(&p, 1, 10000));
	close(p.fd);
	i = wait_event(self->fd, HWERR_HD_HEALTH, &n);
	ASSERT_LE(0, i);
	EXPECT_EQ(HWERR_HD_YELLOW, recs[i].u.hd.health);
	EXPECT_EQ(HWERR_HD_R_FAULT, recs[i].u.hd.reasons);
	ASSERT_EQ(0, read_str(HD "health", health, sizeof(health)));
	EXPECT_STREQ("yellow", health);
	ASSERT_EQ(0, read_str(HD "reasons", reasons, sizeof(reasons)));
	EXPECT_STREQ("fault", reasons);
	/* Nothing touched, no action ever started. */
	usleep(300 * 1000);
	EXPECT_EQ(0, page_poisoned(self->pfn));
	EXPECT_FALSE(has_event(n, HWERR_HD_ISOLATED));
	EXPECT_EQ(0, counter("isolated") + counter("failed"));
	/* Clearing the fault makes the node green again. */
	ASSERT_EQ(0, write_str(HD "clear", "page"));
	ASSERT_EQ(0, read_str(HD "health", health, sizeof(health)));
	EXPECT_STREQ("green", health);
}

static int cpu1_online(void)
{
	return (int)read_num(CPU1_ONLINE);
}

/* Injects @k core errors on @cpu; waits until hadetect counted them all. */
static int core_storm(int cpu, int k)
{
	long long base = counter("errors");
	int i, ret;

	for (i = 0; i < k; i++) {
		ret = inject_core_ce(cpu);
		if (ret)
			return ret;
	}
	return wait_counter("errors", base + k);
}

TEST_F(hd, core_error_storm_offlines_cpu1_never_cpu0)
{
	char health[32];
	int n = 0, i;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || access(CPU1_ONLINE, W_OK))
		SKIP(return, "needs a hotpluggable CPU 1");
	/* 17 of the default 18 in 24 h: nothing. */
	ASSERT_EQ(0, core_storm(1, 17));
	EXPECT_EQ(0, counter("fired"));
	EXPECT_EQ(1, cpu1_online());
	ASSERT_EQ(0, core_storm(1, 1));
	i = wait_event(self->fd, HWERR_HD_ISOLATED, &n);
	ASSERT_LE(0, i) TH_LOG("no isolated record; counters: failed %lld refused %lld",
			       counter("failed"), counter("refused"));
	EXPECT_EQ(HWERR_HD_CPU, recs[i].u.hd.fault_class);
	EXPECT_EQ(1, recs[i].u.hd.object);
	EXPECT_EQ(HWERR_HD_ACT_CPU_OFFLINE, recs[i].u.hd.action);
	EXPECT_EQ(0, cpu1_online());
	/* A CPU is capacity: yellow, "isolated". */
	ASSERT_EQ(0, read_str(HD "health", health, sizeof(health)));
	EXPECT_STREQ("yellow", health);
	/* With room under the cap, CPU 0 fires too and is refused: never offlined. */
	ASSERT_EQ(0, write_str(HD "cpu/cap", "2"));
	ASSERT_EQ(0, core_storm(0, 18));
	i = wait_event(self->fd, HWERR_HD_REFUSED, &n);
	ASSERT_LE(0, i);
	EXPECT_EQ(0, recs[i].u.hd.object);
	EXPECT_TRUE(recs[i].u.hd.result == -EPERM || recs[i].u.hd.result == -EBUSY);
	EXPECT_EQ(1, read_num("/sys/devices/system/cpu/cpu0/online") != 0);
}

TEST_F(hd, cap_zero_keeps_cpu1_online_and_turns_health_red)
{
	char health[32], reasons[128];
	int n = 0, i;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || access(CPU1_ONLINE, W_OK))
		SKIP(return, "needs a hotpluggable CPU 1");
	ASSERT_EQ(0, write_str(HD "cpu/cap", "0"));
	ASSERT_EQ(0, write_str(HD "cpu/threshold", "3"));
	ASSERT_EQ(0, core_storm(1, 3));
	i = wait_event(self->fd, HWERR_HD_CAPPED, &n);
	ASSERT_LE(0, i);
	EXPECT_EQ(HWERR_SEV_RECOVERABLE, recs[i].hdr.severity);
	EXPECT_EQ(1, cpu1_online());
	ASSERT_EQ(0, read_str(HD "health", health, sizeof(health)));
	EXPECT_STREQ("red", health);
	ASSERT_EQ(0, read_str(HD "reasons", reasons, sizeof(reasons)));
	EXPECT_STREQ("cap-reached", reasons);
}

struct bad_write {
	const char *file, *value;
	int err;
};

TEST_F(hd, bad_input_is_refused_and_changes_nothing)
{
	static const struct bad_write bad[] = {
		{ "page/threshold", "0", -ERANGE },
		{ "page/threshold", "33", -ERANGE },
		{ "page/threshold", "two", -EINVAL },
		{ "page/threshold", "-1", -EINVAL },
		{ "page/threshold", "99999999999999999999", -EINVAL },
		{ "page/window_ms", "0", -ERANGE },
		{ "page/window_ms", "18446744073709551615", -ERANGE },
		{ "page/action", "cpu_offline", -EINVAL },
		{ "page/action", "explode", -EINVAL },
		{ "dimm/action", "soft_offline", -EINVAL },
		{ "node/action", "pci_remove", -EINVAL },
		{ "cpu/cap", "1000001", -ERANGE },
		{ "cpu/dry_run", "2", -EINVAL },
		{ "cpu/ue_immediate", "maybe", -EINVAL },
		{ "dry_run", "yes please", -EINVAL },
		{ "clear", "bogus", -EINVAL },
		{ "clear", "page 0x12345", -ENOENT },
		{ "clear", "page 1 2", -EINVAL },
		{ "health", "green", -EACCES },	/* mode 0444 */
	};
	static const char *const files[] = {
		"page/threshold", "page/window_ms", "page/action", "cpu/cap",
		"cpu/dry_run", "cpu/ue_immediate", "dry_run", "health",
	};
	char before[8][64], after[64];
	unsigned int i;

	for (i = 0; i < 8; i++) {
		char path[128];

		snprintf(path, sizeof(path), HD "%s", files[i]);
		ASSERT_EQ(0, read_str(path, before[i], sizeof(before[i])));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char path[128];

		snprintf(path, sizeof(path), HD "%s", bad[i].file);
		EXPECT_EQ(bad[i].err, write_str(path, bad[i].value))
			TH_LOG("%s <- \"%s\"", bad[i].file, bad[i].value);
	}
	for (i = 0; i < 8; i++) {
		char path[128];

		snprintf(path, sizeof(path), HD "%s", files[i]);
		ASSERT_EQ(0, read_str(path, after, sizeof(after)));
		EXPECT_STREQ(before[i], after) TH_LOG("%s changed", files[i]);
	}
	/* And good input takes. */
	EXPECT_EQ(0, write_str(HD "page/action", "none"));
	ASSERT_EQ(0, read_str(HD "page/action", after, sizeof(after)));
	EXPECT_STREQ("none", after);
}

TEST_F(hd, dimm_errors_make_a_faulty_dimm_with_its_label)
{
	char reasons[128];
	int n = 0, i, mc;

	ASSERT_EQ(0, edac_testmc_load());
	mc = read_num("/sys/kernel/debug/hasys_edac_testmc/mc");
	ASSERT_LE(0, mc);
	ASSERT_EQ(0, write_str(HD "dimm/threshold", "2"));
	/* type page offset syndrome channel: two pages (so no page rule fires), DIMM 1 */
	ASSERT_EQ(0, write_str(EDAC_INJ, "0 0x1234 0x40 0xbeef 1"));
	ASSERT_EQ(0, write_str(EDAC_INJ, "0 0x1236 0x80 0xbeef 1"));
	i = wait_event(self->fd, HWERR_HD_FIRED, &n);
	ASSERT_LE(0, i);
	EXPECT_EQ(HWERR_HD_DIMM, recs[i].u.hd.fault_class);
	/* mc << 24 | layer0 << 16 | layer1 << 8 | layer2, unknown layers -1 (0xff) */
	EXPECT_EQ(((__u64)mc << 24) | (1 << 16) | 0xffff, recs[i].u.hd.object);
	EXPECT_STREQ("hasys-DIMM1", recs[i].u.hd.label);
	EXPECT_EQ(HWERR_HD_ACT_NONE, recs[i].u.hd.action);
	/* No kernel interface offlines a DIMM: a faulty part to replace, yellow. */
	EXPECT_EQ(0, wait_health("yellow"));
	ASSERT_EQ(0, read_str(HD "reasons", reasons, sizeof(reasons)));
	EXPECT_STREQ("fault", reasons);
	EXPECT_EQ(1, counter("fired"));
	EXPECT_EQ(0, syscall(__NR_delete_module, "hasys_edac_testmc", O_NONBLOCK));
}

/* cgroup v2, mounted here if the system has not mounted it. */
#define CGROUP2 "/sys/fs/cgroup"
#define VICTIM_CGROUP CGROUP2 "/hasys-contained"

TEST_F(hd, contained_uncorrected_error_names_the_process_and_opens_no_fault)
{
	unsigned long long pa;
	int n = 0, i, pid, err;
	struct stat st;

	/* The victim runs in a cgroup of its own, as a guest or container would. */
	if (access(CGROUP2 "/cgroup.procs", F_OK))
		ASSERT_EQ(0, mount("none", CGROUP2, "cgroup2", 0, NULL));
	ASSERT_EQ(0, mkdir(VICTIM_CGROUP, 0755) && errno != EEXIST ? -errno : 0);
	ASSERT_EQ(0, stat(VICTIM_CGROUP, &st));
	pid = hasys_madv_hwpoison(VICTIM_CGROUP, &pa, &err);
	rmdir(VICTIM_CGROUP);
	ASSERT_LT(0, pid) TH_LOG("madvise(MADV_HWPOISON): %s", strerror(err));
	ASSERT_NE(0, pa);
	self->pfn = pa >> 12;	/* the teardown unpoisons it */
	i = wait_event(self->fd, HWERR_HD_CONTAINED, &n);
	ASSERT_LE(0, i);
	EXPECT_EQ(HWERR_HD_PAGE, recs[i].u.hd.fault_class);
	EXPECT_EQ(self->pfn, recs[i].u.hd.object);
	EXPECT_EQ(pid, recs[i].u.hd.pid);
	EXPECT_STREQ("policy", recs[i].u.hd.label);
	/* The cgroup v2 id is its directory's inode number. */
	EXPECT_EQ(st.st_ino, recs[i].u.hd.cgroup_id);
	/* A result the kernel already handled: no fault, no action, still green. */
	EXPECT_EQ(1, counter("contained"));
	EXPECT_EQ(0, counter("opened"));
	EXPECT_FALSE(has_event(n, HWERR_HD_OPENED));
	EXPECT_TRUE(health_is_green());
}

/* The VM's endpoint behind the PCIe root port (vmtest.py adds both); e1000e. */
#define AER_BDF "0000:01:00.0"
#define AER_DEV "/sys/bus/pci/devices/" AER_BDF
#define AER_OBJECT 0x100	/* segment 0, bus 1, devfn 0 */

static int wait_path(const char *path, int exists)
{
	int i;

	for (i = 0; i < 300; i++) {
		if ((access(path, F_OK) == 0) == exists)
			return 0;
		usleep(100000);
	}
	return -ETIMEDOUT;
}

/*
 * Correctable errors only: they take no recovery path, so e1000e is not involved
 * (a non-fatal error makes it disable the device; two in a row WARN, see
 * hwerr/sources.c).
 */
static int pci_isolation(struct __test_metadata *_metadata, FIXTURE_DATA(hd) *self,
			 const char *action)
{
	int n = 0, i;

	if (access(AER_DEV, F_OK))
		SKIP(return 1, "no PCIe endpoint " AER_BDF " (run under make vmtest)");
	if (access("/dev/aer_inject", W_OK))
		SKIP(return 1, "no /dev/aer_inject (CONFIG_PCIEAER_INJECT)");
	ASSERT_EQ(0, wait_path(AER_DEV "/driver", 1)) TH_LOG("e1000e did not bind " AER_BDF);
	ASSERT_EQ(0, write_str(HD "pci/threshold", "2"));
	ASSERT_EQ(0, write_str(HD "pci/action", action));
	ASSERT_EQ(0, hasys_aer_inject(0, 0x1));
	ASSERT_EQ(0, wait_counter("errors", 1));
	EXPECT_FALSE(has_event(n, HWERR_HD_FIRED));
	ASSERT_EQ(0, hasys_aer_inject(0, 0x1));
	i = wait_event(self->fd, HWERR_HD_ISOLATED, &n);
	ASSERT_LE(0, i) TH_LOG("no isolated record; counters: failed %lld refused %lld",
			       counter("failed"), counter("refused"));
	EXPECT_EQ(HWERR_HD_PCI, recs[i].u.hd.fault_class);
	EXPECT_EQ(AER_OBJECT, recs[i].u.hd.object);
	return 0;
}

TEST_F(hd, pci_errors_unbind_the_driver_and_keep_it_off)
{
	char buf[32];

	if (pci_isolation(_metadata, self, "pci_unbind"))
		return;
	EXPECT_NE(0, access(AER_DEV "/driver", F_OK));
	ASSERT_EQ(0, read_str(AER_DEV "/driver_override", buf, sizeof(buf)));
	EXPECT_STREQ("none", buf);
	/* Asking the bus to probe does not bring it back while the override holds. */
	write_str("/sys/bus/pci/drivers_probe", AER_BDF);
	EXPECT_NE(0, access(AER_DEV "/driver", F_OK));
	/* The admin's way back: clear the override, probe. */
	ASSERT_EQ(0, write_str(AER_DEV "/driver_override", "\n"));
	ASSERT_EQ(0, write_str("/sys/bus/pci/drivers_probe", AER_BDF));
	EXPECT_EQ(0, wait_path(AER_DEV "/driver", 1));
}

TEST_F(hd, pci_errors_remove_the_function_and_rescan_brings_it_back)
{
	if (pci_isolation(_metadata, self, "pci_remove"))
		return;
	EXPECT_NE(0, access(AER_DEV, F_OK));
	ASSERT_EQ(0, write_str("/sys/bus/pci/rescan", "1"));
	ASSERT_EQ(0, wait_path(AER_DEV, 1));
	EXPECT_EQ(0, wait_path(AER_DEV "/driver", 1));
}

/* Opens /dev/hadetect and registers @name; returns the fd or -errno. */
static int agent_open(const char *name, __u32 period_ms, __u32 escalate_ms)
{
	struct hadetect_agent a = { .period_ms = period_ms, .escalate_ms = escalate_ms };
	int fd = open("/dev/hadetect", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	snprintf(a.name, sizeof(a.name), "%s", name);
	if (ioctl(fd, HADETECT_IOC_REGISTER, &a)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int health_is(const char *want)
{
	char buf[32];

	return !read_str(HD "health", buf, sizeof(buf)) && !strcmp(buf, want);
}

/* Waits up to 5 s for health @want. */
static int wait_health(const char *want)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (health_is(want))
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/* The result (enum hwerr_hd_agent) of the next agent record, or -1 after 10 s. */
static int next_agent_event(int fd, int *seen, int *n)
{
	int i, ms;

	for (ms = 0; ms <= 10000; ms += 100) {
		for (i = *seen; i < *n; i++) {
			if (recs[i].u.hd.event == HWERR_HD_AGENT) {
				*seen = i + 1;
				return recs[i].u.hd.result;
			}
		}
		*seen = *n;
		if (hwerr_poll(fd, 100) > 0) {
			int got = hwerr_read_all(fd, recs + *n, 512 - *n);

			if (got < 0)
				return -1;
			*n += got;
		}
	}
	return -1;
}

TEST_F(hd, agent_late_then_dead_then_back)
{
	int fd, i, n = 0, seen = 0;
	char reasons[128];

	/* Periods far above a loaded TCG guest's scheduling hiccups. */
	fd = agent_open("kselftest-agent", 1000, 1000);
	ASSERT_LE(0, fd);
	EXPECT_EQ(HWERR_HD_AGENT_REGISTERED, next_agent_event(self->fd, &seen, &n));
	EXPECT_STREQ("kselftest-agent", recs[seen - 1].u.hd.label);
	EXPECT_EQ(getpid(), recs[seen - 1].u.hd.pid);
	/* On time (every 200 ms for 2.4 s, over two periods): green throughout. */
	for (i = 0; i < 12; i++) {
		ASSERT_EQ(0, ioctl(fd, HADETECT_IOC_HEARTBEAT));
		EXPECT_TRUE(health_is("green"));
		usleep(200000);
	}
	/* Silent: late (yellow) after the period, dead (red) after the escalation. */
	EXPECT_EQ(HWERR_HD_AGENT_LATE, next_agent_event(self->fd, &seen, &n));
	EXPECT_EQ(HWERR_HD_YELLOW, recs[seen - 1].u.hd.health);
	EXPECT_EQ(HWERR_HD_AGENT_DEAD, next_agent_event(self->fd, &seen, &n));
	EXPECT_EQ(0, wait_health("red"));
	ASSERT_EQ(0, read_str(HD "reasons", reasons, sizeof(reasons)));
	EXPECT_STREQ("agent-dead", reasons);
	/* A beat: back, green. */
	ASSERT_EQ(0, ioctl(fd, HADETECT_IOC_HEARTBEAT));
	EXPECT_EQ(HWERR_HD_AGENT_BACK, next_agent_event(self->fd, &seen, &n));
	EXPECT_TRUE(health_is("green"));
	/* A clean exit leaves nothing behind. */
	ASSERT_EQ(0, ioctl(fd, HADETECT_IOC_UNREGISTER));
	EXPECT_EQ(HWERR_HD_AGENT_LEFT, next_agent_event(self->fd, &seen, &n));
	close(fd);
	usleep(300000);
	EXPECT_TRUE(health_is("green"));
}

TEST_F(hd, agent_that_dies_is_noticed_and_can_be_taken_over)
{
	char agents[512];
	int fd, n = 0, seen = 0;

	fd = agent_open("kselftest-mortal", 60000, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(HWERR_HD_AGENT_REGISTERED, next_agent_event(self->fd, &seen, &n));
	/* Its file goes without an unregister: what a crash looks like. */
	close(fd);
	EXPECT_EQ(HWERR_HD_AGENT_LOST, next_agent_event(self->fd, &seen, &n));
	EXPECT_EQ(0, wait_health("yellow"));
	ASSERT_EQ(0, read_str(HD "agents", agents, sizeof(agents)));
	EXPECT_NE(NULL, strstr(agents, "kselftest-mortal")) TH_LOG("%s", agents);
	EXPECT_NE(NULL, strstr(agents, " late lost ")) TH_LOG("%s", agents);
	/* Its successor takes the name over: green. */
	fd = agent_open("kselftest-mortal", 60000, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(HWERR_HD_AGENT_REGISTERED, next_agent_event(self->fd, &seen, &n));
	EXPECT_EQ(0, wait_health("green"));
	ASSERT_EQ(0, ioctl(fd, HADETECT_IOC_UNREGISTER));
	close(fd);
	/* A lost agent an admin clears. */
	fd = agent_open("kselftest-mortal", 60000, 0);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(0, wait_health("yellow"));
	EXPECT_EQ(-ENOENT, write_str(HD "clear", "agent nobody"));
	ASSERT_EQ(0, write_str(HD "clear", "agent kselftest-mortal"));
	EXPECT_TRUE(health_is("green"));
}

TEST_F(hd, agent_bad_input_is_refused)
{
	struct hadetect_agent a = { .name = "ok", .period_ms = 1000 };
	int fd, fd2;

	fd = open("/dev/hadetect", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, HADETECT_IOC_HEARTBEAT));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, ioctl(fd, HADETECT_IOC_UNREGISTER));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, ioctl(fd, _IO(HADETECT_IOC_MAGIC, 0x7f)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(fd, HADETECT_IOC_REGISTER, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	a.period_ms = 0;
	EXPECT_EQ(-1, ioctl(fd, HADETECT_IOC_REGISTER, &a));
	EXPECT_EQ(EINVAL, errno);
	a.period_ms = 3600001;
	EXPECT_EQ(-1, ioctl(fd, HADETECT_IOC_REGISTER, &a));
	EXPECT_EQ(EINVAL, errno);
	a.period_ms = 1000;
	a.escalate_ms = 86400001;
	EXPECT_EQ(-1, ioctl(fd, HADETECT_IOC_REGISTER, &a));
	EXPECT_EQ(EINVAL, errno);
	a.escalate_ms = 0;
	snprintf(a.name, sizeof(a.name), "two words");
	EXPECT_EQ(-1, ioctl(fd, HADETECT_IOC_REGISTER, &a));
	EXPECT_EQ(EINVAL, errno);
	memset(a.name, 'x', sizeof(a.name));	/* no NUL */
	EXPECT_EQ(-1, ioctl(fd, HADETECT_IOC_REGISTER, &a));
	EXPECT_EQ(EINVAL, errno);
	snprintf(a.name, sizeof(a.name), "kselftest-once");
	ASSERT_EQ(0, ioctl(fd, HADETECT_IOC_REGISTER, &a));
	EXPECT_EQ(-1, ioctl(fd, HADETECT_IOC_REGISTER, &a));
	EXPECT_EQ(EBUSY, errno);
	/* The same name from another file (bytes after the NUL do not count). */
	fd2 = agent_open("kselftest-once", 1000, 0);
	EXPECT_EQ(-EBUSY, fd2);
	if (fd2 >= 0)
		close(fd2);
	ASSERT_EQ(0, ioctl(fd, HADETECT_IOC_UNREGISTER));
	close(fd);
	EXPECT_TRUE(health_is("green"));
}

TEST_HARNESS_MAIN
