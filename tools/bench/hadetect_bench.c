// SPDX-License-Identifier: GPL-2.0
/*
 * hadetect_bench: how long a part that keeps failing stays in use. For each class
 * hadetect isolates, the time from the error that makes N (the rule's threshold)
 * to the isolation confirmed, side by side with what users have today: a userspace
 * daemon like rasdaemon or mcelog, reading the kernel's trace events, counting
 * per part, and isolating through sysfs. Run in the test VM by `make bench` after
 * hwerr_bench; prints figures, never fails on them.
 *
 * The errors are real injections through the kernel's own paths, as
 * selftests/hadetect/policy does:
 *   page  two corrected DRAM errors (mce-inject) at a page of this process
 *         (hadetect: soft_offline, N = 2, its default; the daemon:
 *         madvise(MADV_SOFT_OFFLINE), confirmed by KPF_HWPOISON in
 *         /proc/kpageflags);
 *   cpu   18 corrected core errors on CPU 1 (hadetect: cpu_offline, N = 18, its
 *         default and rasdaemon's; the daemon writes 0 to cpu1/online, as
 *         rasdaemon's CPU isolation does);
 *   pci   two correctable AER errors (aer-inject) on the VM's e1000e endpoint
 *         (hadetect: pci_unbind, N = 2; the daemon writes the device to its
 *         driver's unbind file).
 * Each round injects N - 1 errors, waits until they are counted (by hadetect,
 * and by the daemon in its rounds), then injects the Nth and measures:
 *   kernel  from the Nth error's hwerr record (hdr.boottime_ns, captured in the
 *           MCE decode chain or at the AER tracepoint, before either hadetect or
 *           the daemon sees the error) to hadetect's ISOLATED record
 *           (hdr.boottime_ns: the action was taken and confirmed), or to the
 *           moment the daemon confirmed its own isolation (CLOCK_BOOTTIME);
 *   wall    from just before the write() that injected the Nth error to the
 *           bench reading the ISOLATED record from /dev/hwerr (poll), or to the
 *           daemon's confirmation: when userspace knows the part is isolated.
 * A hadetect round and a daemon round alternate. In a daemon round hadetect's
 * rule for the class has action none (it still counts and publishes); in a
 * hadetect round the daemon's tracefs instance is off, so it sleeps. The daemon
 * reads mce:mce_record and ras:aer_event from per-CPU trace_pipe_raw with
 * buffer_percent 0, as rasdaemon >= 0.8 does, and acts in its event loop; it
 * only counts (no window, no database), the cheapest daemon there is.
 *
 * Set up and restored at the end: hwerr loaded if it is not, hadetect loaded
 * fresh (default rules) and unloaded; the kernel's CEC out of the way
 * (action_threshold 1023, so only hadetect or the daemon offlines a page); hwerr's
 * storm coalescing off (storm/window_ms 0: 18 identical core errors are 18
 * records). Between rounds: `clear all`, the page unpoisoned (debugfs
 * hwpoison/unpoison-pfn), CPU 1 online, e1000e bound again. Every wait has a
 * timeout; a round that times out is reported as such, and a class stops after
 * MAX_TIMEOUTS of them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/hwerr.h>

#include "../../selftests/hwerr/hwerr_test.h"
#include "../../selftests/hadetect/hadetect_test.h"

#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif

#define CEC_THRESHOLD "/sys/kernel/debug/ras/cec/action_threshold"
#define UNPOISON "/sys/kernel/debug/hwpoison/unpoison-pfn"
#define CPU1_ONLINE "/sys/devices/system/cpu/cpu1/online"
#define AER_BDF "0000:01:00.0"
#define AER_DEV "/sys/bus/pci/devices/" AER_BDF
#define AER_OBJECT 0x100	/* hadetect's object: segment 0, bus 1, devfn 0 */
#define TRACEFS "/sys/kernel/tracing"
#define INSTANCE "hasys_hdbench"
#define INST TRACEFS "/instances/" INSTANCE
#define MAXCPU 64
#define MAXR 10
#define COUNT_WAIT_MS 5000	/* errors 1..N-1 counted */
#define ROUND_WAIT_MS 10000	/* the Nth error to the isolation confirmed */
#define RESTORE_WAIT_MS 10000	/* the driver bound again */
#define MAX_TIMEOUTS 3		/* a class stops after this many */

enum { C_PAGE, C_CPU, C_PCI, NCLASS };
enum { M_HD, M_DAEMON, NMODE };

struct bclass {
	const char *name;
	int hd_class;		/* enum hwerr_hd_class */
	const char *action;	/* hadetect's action in its rounds */
	int n, rounds;
	const char *skip;	/* why the class did not run, or NULL */
	int64_t k[NMODE][MAXR];	/* Nth record to confirmed, ns */
	int64_t w[NMODE][MAXR];	/* injecting write() to confirmed seen, ns */
	int ok[NMODE], timeouts[NMODE], failed[NMODE], mismatch;
};

static struct bclass cls[NCLASS] = {
	[C_PAGE] = { "page", HWERR_HD_PAGE, "soft_offline", 2, 10 },
	[C_CPU] = { "cpu", HWERR_HD_CPU, "cpu_offline", 18, 5 },
	[C_PCI] = { "pci", HWERR_HD_PCI, "pci_unbind", 2, 5 },
};

static struct hwerr_record recs[512];
static int errfd = -1, hdfd = -1;
static int amd;

/* The page of the current round. */
static char *page;
static unsigned long long page_pfn;

static int64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Writes @len bytes to @path, taking CLOCK_BOOTTIME into *@t just before write(). */
static int timed_write(const char *path, const void *buf, size_t len, int64_t *t)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (t)
		*t = boot_ns();
	n = write(fd, buf, len);
	if (n != (ssize_t)len)
		ret = n < 0 ? -errno : -EIO;
	close(fd);
	return ret;
}

static int wait_path(const char *path, int exists, int ms)
{
	int64_t end = boot_ns() + ms * 1000000LL;

	do {
		if ((access(path, F_OK) == 0) == exists)
			return 0;
		usleep(10000);
	} while (boot_ns() < end);
	return -ETIMEDOUT;
}

/*
 * One MCE through mce-inject (see hasys_mce_inject()); *@t: just before the write
 * of the bank, which injects.
 */
static int mce_inject_at(int cpu, unsigned long long status, unsigned long long addr,
			 unsigned long long misc, int bank, int64_t *t)
{
	char buf[16];
	int ret = hasys_write_str(HASYS_MCE_INJ "flags", "sw\n") ?:
		  hasys_mce_write("cpu", cpu) ?: hasys_mce_write("status", status) ?:
		  hasys_mce_write("addr", addr) ?: hasys_mce_write("misc", misc) ?:
		  hasys_mce_write("synd", 0) ?: hasys_mce_write("ipid", 0);

	if (ret)
		return ret;
	snprintf(buf, sizeof(buf), "%d", bank);
	return timed_write(HASYS_MCE_INJ "bank", buf, strlen(buf), t);
}

/* The Nth error of class @c (the current page, CPU 1, the e1000e endpoint). */
static int inject(int c, int64_t *t)
{
	struct aer_error_inj e = { .bus = 1, .cor_status = 0x1 };	/* receiver error */

	switch (c) {
	case C_PAGE:	/* a corrected DRAM error, as the vendor reports it */
		return mce_inject_at(0, MCI_STATUS_VAL | MCI_STATUS_EN | MCI_STATUS_ADDRV |
				     (amd ? (8ULL << 16) | 0x011b : MCI_STATUS_MISCV | 0x9f),
				     page_pfn << 12, amd ? 0 : (2 << 6) | 12, amd ? 4 : 1, t);
	case C_CPU:	/* a corrected core error: internal parity */
		return mce_inject_at(1, MCI_STATUS_VAL | MCI_STATUS_EN | 0x0005, 0, 0, 0, t);
	default:
		return timed_write("/dev/aer_inject", &e, sizeof(e), t);
	}
}

/* Whether @r is an error record of class @c's object this round. */
static int is_error(int c, const struct hwerr_record *r)
{
	switch (c) {
	case C_PAGE:
		return r->hdr.source == HWERR_SRC_MCE &&
		       (r->u.mce.status & MCI_STATUS_ADDRV) && r->u.mce.addr >> 12 == page_pfn;
	case C_CPU:
		return r->hdr.source == HWERR_SRC_MCE && r->u.mce.extcpu == 1 &&
		       !(r->u.mce.status & MCI_STATUS_ADDRV);
	default:
		return r->hdr.source == HWERR_SRC_AER && r->u.aer.bus == 1 &&
		       r->u.aer.devfn == 0;
	}
}

static unsigned long long hd_object(int c)
{
	return c == C_PAGE ? page_pfn : c == C_CPU ? 1 : AER_OBJECT;
}

static void drain(int fd)
{
	while (hwerr_read_all(fd, recs, 512) > 0)
		;
}

/* ---- the userspace daemon: trace events, a count per part, sysfs ---- */

struct field {
	unsigned int off, size;
};

static struct daemon {
	struct pollfd fds[MAXCPU];
	int nfds, efd;
	unsigned int commit_off, commit_size, data_off;	/* events/header_page */
	int mce_id, aer_id;
	struct field status, addr, cpu, dev_name;
	pthread_t th;
	int running;
	/* Shared with the main thread (atomics). */
	int stop, gen, armed, threshold, counted, result;
	int64_t done_ns;
	char *vaddr;
	unsigned long long pfn;
} dm = { .efd = -1 };

/* Offset and size of field @name in the tracefs format file @path. */
static int format_field(const char *path, const char *name, struct field *f)
{
	char line[512];
	FILE *fp = fopen(path, "r");
	int found = 0;

	if (!fp)
		return -errno;
	while (!found && fgets(line, sizeof(line), fp)) {
		char *decl = strstr(line, "field:"), *semi, *end, *id;
		char *o, *s;

		if (!decl || !(semi = strchr(decl, ';')))
			continue;
		/* "u64 addr", "__data_loc char[] dev_name", "u32 tlp_header[4]" */
		end = semi;
		if (end > decl && end[-1] == ']')
			while (end > decl && *end != '[')
				end--;
		id = end;
		while (id > decl && (id[-1] == '_' || (id[-1] >= 'a' && id[-1] <= 'z') ||
				     (id[-1] >= 'A' && id[-1] <= 'Z') ||
				     (id[-1] >= '0' && id[-1] <= '9')))
			id--;
		if ((size_t)(end - id) != strlen(name) || strncmp(id, name, end - id))
			continue;
		o = strstr(semi, "offset:");
		s = strstr(semi, "size:");
		if (o && s) {
			f->off = strtoul(o + 7, NULL, 10);
			f->size = strtoul(s + 5, NULL, 10);
			found = 1;
		}
	}
	fclose(fp);
	return found ? 0 : -ENOENT;
}

static uint64_t get_u(const unsigned char *ev, unsigned int elen, const struct field *f)
{
	uint64_t v = 0;

	if (f->off + f->size <= elen && f->size <= 8)
		memcpy(&v, ev + f->off, f->size);	/* little endian */
	return v;
}

/* A part counted and, at the threshold, isolated: what rasdaemon does inline. */
static int daemon_act(int c, unsigned long long obj, const char *name)
{
	char path[160];
	int i, ret;

	switch (c) {
	case C_PAGE:
		if (obj != __atomic_load_n(&dm.pfn, __ATOMIC_ACQUIRE))
			return -ENOENT;	/* not a page of ours */
		if (madvise(__atomic_load_n(&dm.vaddr, __ATOMIC_ACQUIRE), 4096,
			    MADV_SOFT_OFFLINE))
			return -errno;
		for (i = 0; i < 1000; i++) {
			if (page_poisoned(obj) == 1)
				return 0;
			usleep(1000);
		}
		return -EIO;
	case C_CPU:
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%llu/online", obj);
		ret = write_str(path, "0");
		return ret ?: read_num(path) == 0 ? 0 : -EIO;
	default:
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", name);
		ret = write_str(path, name);
		if (ret)
			return ret;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", name);
		return access(path, F_OK) ? 0 : -EIO;
	}
}

#define DM_PARTS 64
static struct part {
	int cls;
	unsigned long long obj;
	int count;
} parts[DM_PARTS];
static int nparts, seen_gen;

static void daemon_event(const unsigned char *ev, unsigned int elen)
{
	unsigned int type;
	unsigned long long obj;
	char name[32] = "";
	int c, i, armed, gen;

	if (elen < 2)
		return;
	type = ev[0] | ev[1] << 8;	/* common_type */
	if ((int)type == dm.mce_id) {
		/* Memory error with an address: the page; else the CPU that saw it. */
		if (get_u(ev, elen, &dm.status) & MCI_STATUS_ADDRV) {
			c = C_PAGE;
			obj = get_u(ev, elen, &dm.addr) >> 12;
		} else {
			c = C_CPU;
			obj = get_u(ev, elen, &dm.cpu);
		}
	} else if ((int)type == dm.aer_id) {
		uint32_t loc = get_u(ev, elen, &dm.dev_name);
		unsigned int off = loc & 0xffff, len = loc >> 16;
		unsigned int seg, bus, dev, fn;

		if (off + len > elen || !len || len >= sizeof(name))
			return;
		memcpy(name, ev + off, len);
		name[len - 1] = '\0';
		if (sscanf(name, "%x:%x:%x.%x", &seg, &bus, &dev, &fn) != 4)
			return;
		c = C_PCI;
		obj = (unsigned long long)seg << 16 | bus << 8 | dev << 3 | fn;
	} else {
		return;
	}
	gen = __atomic_load_n(&dm.gen, __ATOMIC_ACQUIRE);
	if (gen != seen_gen) {
		nparts = 0;
		seen_gen = gen;
	}
	armed = __atomic_load_n(&dm.armed, __ATOMIC_ACQUIRE);
	if (armed != c + 1)
		return;
	for (i = 0; i < nparts; i++)
		if (parts[i].cls == c && parts[i].obj == obj)
			break;
	if (i == nparts) {
		if (nparts == DM_PARTS)
			return;
		parts[nparts++] = (struct part){ .cls = c, .obj = obj };
	}
	__atomic_add_fetch(&dm.counted, 1, __ATOMIC_RELEASE);
	if (++parts[i].count == __atomic_load_n(&dm.threshold, __ATOMIC_ACQUIRE)) {
		uint64_t one = 1;
		int ret = daemon_act(c, obj, name);

		__atomic_store_n(&dm.done_ns, boot_ns(), __ATOMIC_RELEASE);
		__atomic_store_n(&dm.result, ret, __ATOMIC_RELEASE);
		(void)!write(dm.efd, &one, sizeof(one));
	}
}

/* One ring-buffer page from trace_pipe_raw (see events/header_page, header_event). */
static void daemon_page(const unsigned char *p, size_t n)
{
	uint64_t commit = 0;
	size_t off = dm.data_off, end;

	if (n < dm.data_off || dm.commit_size > 8)
		return;
	memcpy(&commit, p + dm.commit_off, dm.commit_size);
	end = dm.data_off + (commit & ((1ULL << 30) - 1));	/* RB_MISSED_* cut */
	if (end > n)
		end = n;
	while (off + 4 <= end) {
		uint32_t h, len;
		unsigned int type_len;

		memcpy(&h, p + off, 4);
		type_len = h & 0x1f;
		switch (type_len) {
		case 29:	/* padding; time_delta 0: the rest of the page */
			if (!(h >> 5) || off + 8 > end)
				return;
			memcpy(&len, p + off + 4, 4);
			off += 4 + len;
			continue;
		case 30:	/* time extend */
		case 31:	/* time stamp */
			off += 8;
			continue;
		case 0:		/* length in array[0], data from array[1] */
			if (off + 8 > end)
				return;
			memcpy(&len, p + off + 4, 4);
			if (len < 4 || off + 4 + len > end)
				return;
			daemon_event(p + off + 8, len - 4);
			off += 4 + len;
			continue;
		default:	/* type_len words of data */
			if (off + 4 + type_len * 4 > end)
				return;
			daemon_event(p + off + 4, type_len * 4);
			off += 4 + type_len * 4;
		}
	}
}

static void *daemon_loop(void *arg)
{
	static unsigned char buf[1 << 16];
	int i;

	(void)arg;
	while (!__atomic_load_n(&dm.stop, __ATOMIC_ACQUIRE)) {
		if (poll(dm.fds, dm.nfds, 100) <= 0)
			continue;
		for (i = 0; i < dm.nfds; i++) {
			ssize_t n;

			if (!dm.fds[i].revents)
				continue;
			/* One sub-buffer per read(). */
			while ((n = read(dm.fds[i].fd, buf, sizeof(buf))) > 0)
				daemon_page(buf, n);
		}
	}
	return NULL;
}

static int daemon_start(char *why, size_t wlen)
{
	struct field f;
	char path[256];
	int cpu, ncpu = sysconf(_SC_NPROCESSORS_CONF);

	/* The page header: where the commit count and the data are. */
	dm.commit_off = 8;
	dm.commit_size = 8;
	dm.data_off = 16;
	if (!format_field(TRACEFS "/events/header_page", "commit", &f)) {
		dm.commit_off = f.off;
		dm.commit_size = f.size;
	}
	if (!format_field(TRACEFS "/events/header_page", "data", &f))
		dm.data_off = f.off;
	dm.mce_id = read_num(TRACEFS "/events/mce/mce_record/id");
	dm.aer_id = read_num(TRACEFS "/events/ras/aer_event/id");
	if (dm.mce_id < 0 ||
	    format_field(TRACEFS "/events/mce/mce_record/format", "status", &dm.status) ||
	    format_field(TRACEFS "/events/mce/mce_record/format", "addr", &dm.addr) ||
	    format_field(TRACEFS "/events/mce/mce_record/format", "cpu", &dm.cpu)) {
		snprintf(why, wlen, "no tracefs mce:mce_record in " TRACEFS);
		return -1;
	}
	if (dm.aer_id >= 0 &&
	    format_field(TRACEFS "/events/ras/aer_event/format", "dev_name", &dm.dev_name))
		dm.aer_id = -1;
	rmdir(INST);
	if (mkdir(INST, 0755)) {
		snprintf(why, wlen, "mkdir " INST ": %s", strerror(errno));
		return -1;
	}
	/* Off until a daemon round; woken by every event, as rasdaemon sets it. */
	if (write_str(INST "/tracing_on", "0") || write_str(INST "/buffer_percent", "0") ||
	    write_str(INST "/events/mce/mce_record/enable", "1") ||
	    (dm.aer_id >= 0 && write_str(INST "/events/ras/aer_event/enable", "1"))) {
		snprintf(why, wlen, "cannot set up " INST);
		return -1;
	}
	for (cpu = 0; cpu < ncpu && cpu < MAXCPU; cpu++) {
		snprintf(path, sizeof(path), INST "/per_cpu/cpu%d/trace_pipe_raw", cpu);
		dm.fds[dm.nfds].fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		dm.fds[dm.nfds].events = POLLIN;
		if (dm.fds[dm.nfds].fd >= 0)
			dm.nfds++;
	}
	dm.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!dm.nfds || dm.efd < 0) {
		snprintf(why, wlen, "no trace_pipe_raw or eventfd");
		return -1;
	}
	if (pthread_create(&dm.th, NULL, daemon_loop, NULL)) {
		snprintf(why, wlen, "pthread_create failed");
		return -1;
	}
	dm.running = 1;
	return 0;
}

static void daemon_stop(void)
{
	int i;

	if (dm.running) {
		struct timespec ts;

		__atomic_store_n(&dm.stop, 1, __ATOMIC_RELEASE);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 5;
		/* An isolation that never returns must not hang the bench. */
		if (pthread_timedjoin_np(dm.th, NULL, &ts)) {
			printf("the daemon thread is stuck in an isolation; left behind\n");
			return;
		}
	}
	for (i = 0; i < dm.nfds; i++)
		close(dm.fds[i].fd);
	if (dm.efd >= 0)
		close(dm.efd);
	write_str(INST "/tracing_on", "0");
	write_str(INST "/events/enable", "0");
	rmdir(INST);
}

static void daemon_arm(int c, int n)
{
	uint64_t v;

	(void)!read(dm.efd, &v, sizeof(v));
	__atomic_store_n(&dm.vaddr, c == C_PAGE ? page : NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&dm.pfn, c == C_PAGE ? page_pfn : 0, __ATOMIC_RELEASE);
	__atomic_store_n(&dm.threshold, n, __ATOMIC_RELEASE);
	__atomic_store_n(&dm.counted, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&dm.done_ns, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&dm.result, 0, __ATOMIC_RELEASE);
	__atomic_add_fetch(&dm.gen, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&dm.armed, c + 1, __ATOMIC_RELEASE);
	write_str(INST "/tracing_on", "1");
}

static void daemon_disarm(void)
{
	write_str(INST "/tracing_on", "0");
	__atomic_store_n(&dm.armed, 0, __ATOMIC_RELEASE);
}

/* ---- rounds ---- */

static int set_rule(const char *class, const char *file, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), HD "%s/%s", class, file);
	return write_str(path, value);
}

/* Makes the round's object: a fresh page of this process. */
static int setup_round(int c)
{
	if (c != C_PAGE)
		return 0;
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		page = NULL;
		return -errno;
	}
	memset(page, 0x5a, 4096);
	page_pfn = hasys_phys_addr(page) >> 12;
	return page_pfn ? 0 : -ENXIO;
}

/* Undoes the isolation (whoever made it); 0, or -errno if the class cannot go on. */
static int undo_round(int c)
{
	char buf[32];
	int ret = 0;

	switch (c) {
	case C_PAGE:
		if (page_pfn && page_poisoned(page_pfn) == 1) {
			snprintf(buf, sizeof(buf), "%llu", page_pfn);
			if (write_str(UNPOISON, buf))
				printf("  (pfn %#llx stays offline: no %s)\n", page_pfn, UNPOISON);
		}
		if (page)
			munmap(page, 4096);
		page = NULL;
		page_pfn = 0;
		break;
	case C_CPU:
		if (read_num(CPU1_ONLINE) != 1)
			write_str(CPU1_ONLINE, "1");
		ret = read_num(CPU1_ONLINE) == 1 ? 0 : -EIO;
		break;
	default:
		if (access(AER_DEV "/driver", F_OK)) {
			write_str(AER_DEV "/driver_override", "\n");
			write_str("/sys/bus/pci/drivers_probe", AER_BDF);
			ret = wait_path(AER_DEV "/driver", 1, RESTORE_WAIT_MS);
		}
	}
	usleep(100000);	/* let the system settle: nothing here is measured */
	return ret;
}

/* Waits until hadetect (and, in a daemon round, the daemon) counted @want errors. */
static int wait_counted(long long base, int want, int mode)
{
	int64_t end = boot_ns() + COUNT_WAIT_MS * 1000000LL;

	do {
		if (counter("errors") >= base + want &&
		    (mode != M_DAEMON || __atomic_load_n(&dm.counted, __ATOMIC_ACQUIRE) >= want))
			return 0;
		usleep(2000);
	} while (boot_ns() < end);
	return -ETIMEDOUT;
}

/* One round of class @c with hadetect (M_HD) or the daemon isolating. */
static int one_round(int c, int mode, int r)
{
	static const char *const mname[NMODE] = { "hadetect", "daemon" };
	struct bclass *b = &cls[c];
	struct hwerr_stats st;
	struct pollfd p[2];
	int64_t t_write = 0, t_read, nth_boot = 0, end_boot = 0, end_wall = 0, deadline;
	unsigned long long nth_seq = 0, trig = 0, obj;
	long long base;
	int i, ret, have_nth = 0, have_end = 0, fail = 0, attempt = 0, timed_out = 0;
	char nbuf[16];

	write_str(HD "clear", "all");
	snprintf(nbuf, sizeof(nbuf), "%d", b->n);
	ret = set_rule(b->name, "threshold", nbuf) ?:
	      set_rule(b->name, "action", mode == M_HD ? b->action : "none") ?:
	      setup_round(c);
	if (ret) {
		printf("  %-4s round %2d %-8s: cannot set up: %s\n", b->name, r + 1, mname[mode],
		       strerror(-ret));
		b->failed[mode]++;
		return undo_round(c);
	}
	obj = hd_object(c);
	if (mode == M_DAEMON)
		daemon_arm(c, b->n);
	drain(errfd);
	drain(hdfd);
	base = counter("errors");
	for (i = 0; i < b->n - 1 && !ret; i++)
		ret = inject(c, NULL);
	if (!ret)
		ret = wait_counted(base, b->n - 1, mode);
	if (ret) {
		printf("  %-4s round %2d %-8s: errors 1..%d: %s\n", b->name, r + 1, mname[mode],
		       b->n - 1, ret == -ETIMEDOUT ? "not counted within 5 s" : strerror(-ret));
		if (ret == -ETIMEDOUT)
			b->timeouts[mode]++;
		else
			b->failed[mode]++;
		goto out;
	}
	drain(errfd);
	drain(hdfd);
	if (hwerr_stats(errfd, &st)) {
		b->failed[mode]++;
		goto out;
	}
	ret = inject(c, &t_write);
	if (ret) {
		printf("  %-4s round %2d %-8s: injecting error %d: %s\n", b->name, r + 1,
		       mname[mode], b->n, strerror(-ret));
		b->failed[mode]++;
		goto out;
	}
	deadline = t_write + ROUND_WAIT_MS * 1000000LL;
	p[0] = (struct pollfd){ .fd = errfd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = mode == M_HD ? hdfd : dm.efd, .events = POLLIN };
	while (!(have_nth && have_end) && !fail) {
		int64_t left = deadline - boot_ns();
		int n;

		if (left <= 0) {
			timed_out = 1;
			break;
		}
		if (poll(p, 2, left / 1000000 + 1) <= 0)
			continue;
		if (p[0].revents) {
			n = hwerr_read_all(errfd, recs, 512);
			for (i = 0; i < n && !have_nth; i++) {
				if (recs[i].hdr.seq >= st.next_seq && is_error(c, &recs[i])) {
					nth_boot = recs[i].hdr.boottime_ns;
					nth_seq = recs[i].hdr.seq;
					have_nth = 1;
				}
			}
		}
		if (!p[1].revents)
			continue;
		if (mode == M_DAEMON) {
			uint64_t v;

			(void)!read(dm.efd, &v, sizeof(v));
			end_boot = end_wall = __atomic_load_n(&dm.done_ns, __ATOMIC_ACQUIRE);
			fail = __atomic_load_n(&dm.result, __ATOMIC_ACQUIRE);
			have_end = !fail;
			continue;
		}
		n = hwerr_read_all(hdfd, recs, 512);
		t_read = boot_ns();
		for (i = 0; i < n && !have_end; i++) {
			const struct hwerr_hadetect *h = &recs[i].u.hd;

			if (recs[i].hdr.source != HWERR_SRC_HADETECT ||
			    h->fault_class != b->hd_class || h->object != obj)
				continue;
			if (h->event == HWERR_HD_ISOLATED) {
				end_boot = recs[i].hdr.boottime_ns;
				end_wall = t_read;
				trig = h->trigger_seq;
				attempt = h->attempt;
				have_end = 1;
			} else if (h->event == HWERR_HD_REFUSED || h->event == HWERR_HD_GAVE_UP ||
				   h->event == HWERR_HD_CAPPED || h->event == HWERR_HD_DRY_RUN) {
				fail = h->result ? h->result : -EPERM;
			}
		}
	}
	if (fail) {
		printf("  %-4s round %2d %-8s: isolation failed: %s\n", b->name, r + 1,
		       mname[mode], strerror(-fail));
		b->failed[mode]++;
		goto out;
	}
	if (timed_out || !have_nth || !have_end) {
		printf("  %-4s round %2d %-8s: timed out after %d s (Nth error record %s, "
		       "isolation %s)\n", b->name, r + 1, mname[mode], ROUND_WAIT_MS / 1000,
		       have_nth ? "seen" : "not seen", have_end ? "confirmed" : "not confirmed");
		b->timeouts[mode]++;
		goto out;
	}
	b->k[mode][b->ok[mode]] = end_boot - nth_boot;
	b->w[mode][b->ok[mode]] = end_wall - t_write;
	printf("  %-4s round %2d %-8s: record -> confirmed %8.0f us, write -> seen %8.0f us",
	       b->name, r + 1, mname[mode], (end_boot - nth_boot) / 1000.0,
	       (end_wall - t_write) / 1000.0);
	if (mode == M_HD && attempt > 1)
		printf(" (attempt %d)", attempt);
	if (mode == M_HD && trig != nth_seq) {
		printf(" (ISOLATED's trigger_seq %llu is not the Nth record's %llu)", trig,
		       nth_seq);
		b->mismatch++;
	}
	printf("\n");
	b->ok[mode]++;
out:
	if (mode == M_DAEMON)
		daemon_disarm();
	return undo_round(c);
}

static void run_class(int c)
{
	struct bclass *b = &cls[c];
	int r, mode;

	printf("%s: N = %d, %d rounds each\n", b->name, b->n, b->rounds);
	for (r = 0; r < b->rounds; r++) {
		for (mode = 0; mode < NMODE; mode++) {
			if (one_round(c, mode, r)) {
				printf("  %s: cannot undo the isolation; the class stops here\n",
				       b->name);
				return;
			}
			if (b->timeouts[M_HD] + b->timeouts[M_DAEMON] >= MAX_TIMEOUTS) {
				printf("  %s: %d rounds timed out; the class stops here\n",
				       b->name, MAX_TIMEOUTS);
				return;
			}
		}
	}
}

/* ---- report ---- */

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * "p50/max" of @n samples in microseconds into @out, with how many rounds completed
 * if not all of @rounds did; p50 in *@p50 (0 if none).
 */
static void p50max(int64_t *v, int n, int rounds, char *out, size_t len, double *p50)
{
	qsort(v, n, sizeof(*v), cmp64);
	*p50 = n ? v[n / 2] / 1000.0 : 0;
	if (!n)
		snprintf(out, len, "- (none completed)");
	else if (n < rounds)
		snprintf(out, len, "%.0f/%.0f (%d rounds)", *p50, v[n - 1] / 1000.0, n);
	else
		snprintf(out, len, "%.0f/%.0f", *p50, v[n - 1] / 1000.0);
}

static void table(int wall)
{
	int c;

	printf("%-5s %2s %6s  %-48s %-26s %s\n", "class", "N", "rounds",
	       wall ? "hadetect p50/max (wall: write to ISOLATED read)" :
		      "hadetect p50/max (kernel: record to record)",
	       "userspace daemon p50/max", "ratio daemon/hadetect p50");
	for (c = 0; c < NCLASS; c++) {
		struct bclass *b = &cls[c];
		char hd[48], d[48];
		double h50, d50;

		if (b->skip) {
			printf("%-5s %2d %6s  skipped: %s\n", b->name, b->n, "-", b->skip);
			continue;
		}
		p50max(wall ? b->w[M_HD] : b->k[M_HD], b->ok[M_HD], b->rounds, hd, sizeof(hd),
		       &h50);
		p50max(wall ? b->w[M_DAEMON] : b->k[M_DAEMON], b->ok[M_DAEMON], b->rounds, d,
		       sizeof(d), &d50);
		printf("%-5s %2d %6d  %-48s %-26s ", b->name, b->n, b->rounds, hd, d);
		if (h50 > 0 && d50 > 0)
			printf("%.2f\n", d50 / h50);
		else
			printf("-\n");
	}
}

static void report(void)
{
	int c, problems = 0;

	printf("\n== hadetect: time from the Nth error to the isolation confirmed (us)\n");
	printf("kernel: from the Nth error's hwerr record (hdr.boottime_ns) to hadetect's "
	       "ISOLATED record (hdr.boottime_ns; record to record), or to the daemon's "
	       "confirmation (CLOCK_BOOTTIME)\n");
	table(0);
	printf("wall: from the write() that injected the Nth error to the bench reading "
	       "ISOLATED from /dev/hwerr (poll), or to the daemon's confirmation\n");
	table(1);
	printf("(daemon: a userspace loop like rasdaemon: tracefs mce:mce_record and "
	       "ras:aer_event, trace_pipe_raw, buffer_percent 0; page: madvise("
	       "MADV_SOFT_OFFLINE) + /proc/kpageflags; cpu: cpu1/online <- 0; pci: "
	       "driver/unbind)\n");
	for (c = 0; c < NCLASS; c++) {
		struct bclass *b = &cls[c];

		if (b->skip || !(b->timeouts[M_HD] || b->timeouts[M_DAEMON] || b->failed[M_HD] ||
				 b->failed[M_DAEMON] || b->mismatch))
			continue;
		printf("%s: hadetect %d timed out, %d failed; daemon %d timed out, %d failed; "
		       "%d ISOLATED records not triggered by the Nth error\n", b->name,
		       b->timeouts[M_HD], b->failed[M_HD], b->timeouts[M_DAEMON],
		       b->failed[M_DAEMON], b->mismatch);
		problems++;
	}
	if (!problems)
		printf("no round timed out or failed\n");
}

/* ---- set-up and restore ---- */

static struct {
	long long cec, window_ms;
	int loaded_hwerr, loaded_hadetect;
} saved = { -1, -1, 0, 0 };

static void restore(void)
{
	char buf[32];

	daemon_stop();
	if (errfd >= 0)
		close(errfd);
	if (hdfd >= 0)
		close(hdfd);
	if (page)
		undo_round(C_PAGE);
	if (access(CPU1_ONLINE, W_OK) == 0 && read_num(CPU1_ONLINE) == 0)
		write_str(CPU1_ONLINE, "1");
	if (access(AER_DEV, F_OK) == 0 && access(AER_DEV "/driver", F_OK)) {
		write_str(AER_DEV "/driver_override", "\n");
		write_str("/sys/bus/pci/drivers_probe", AER_BDF);
	}
	if (saved.cec >= 0) {
		snprintf(buf, sizeof(buf), "%lld", saved.cec);
		write_str(CEC_THRESHOLD, buf);
	}
	if (saved.window_ms >= 0) {
		snprintf(buf, sizeof(buf), "%lld", saved.window_ms);
		write_str(HWERR_STORM "window_ms", buf);
	}
	if (saved.loaded_hadetect && syscall(__NR_delete_module, "hadetect", 0))
		printf("cannot unload hadetect: %s\n", strerror(errno));
	if (saved.loaded_hwerr) {
		int ret = hwerr_unload();

		if (ret)
			printf("cannot unload hwerr: %s\n", strerror(-ret));
	}
}

static int open_filtered(__u32 mask)
{
	struct hwerr_filter f = { .source_mask = mask,
				  .severity_mask = (1U << HWERR_SEV_NR) - 1 };
	int fd = hwerr_open_at(O_RDONLY | O_NONBLOCK, HWERR_SEEK_NEWEST);

	if (fd >= 0 && ioctl(fd, HWERR_IOC_SET_FILTER, &f)) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(void)
{
	static char why[160];
	int ret, c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("== hadetect: error to isolation, against a userspace daemon\n");
	saved.loaded_hwerr = access("/sys/module/hwerr", F_OK) != 0;
	ret = hwerr_load();
	if (ret) {
		printf("cannot load hwerr: %s\n", strerror(-ret));
		return 1;
	}
	/* Fresh, with the default rules. */
	if (access("/sys/module/hadetect", F_OK) == 0)
		syscall(__NR_delete_module, "hadetect", 0);
	ret = hasys_insmod("hadetect/hadetect.ko", "");
	if (ret) {
		printf("cannot load hadetect: %s\n", strerror(-ret));
		saved.loaded_hadetect = 0;
		restore();
		return 1;
	}
	saved.loaded_hadetect = 1;
	saved.cec = read_num(CEC_THRESHOLD);
	if (saved.cec >= 0 && write_str(CEC_THRESHOLD, "1023"))
		printf("cannot set the CEC's action_threshold: a page may be offlined by it\n");
	saved.window_ms = read_num(HWERR_STORM "window_ms");
	if (saved.window_ms >= 0 && write_str(HWERR_STORM "window_ms", "0"))
		printf("cannot turn hwerr's storm coalescing off\n");
	amd = hasys_cpu_is_amd();
	errfd = open_filtered(1U << HWERR_SRC_MCE | 1U << HWERR_SRC_AER);
	hdfd = open_filtered(1U << HWERR_SRC_HADETECT);
	if (errfd < 0 || hdfd < 0) {
		printf("cannot open " HWERR_DEV ": %s\n", strerror(errno));
		restore();
		return 1;
	}
	if (daemon_start(why, sizeof(why))) {
		printf("no userspace daemon to compare with: %s\n", why);
		restore();
		return 1;
	}
	if (access(HASYS_MCE_INJ "bank", W_OK))
		cls[C_PAGE].skip = cls[C_CPU].skip = "no mce-inject (CONFIG_X86_MCE_INJECT)";
	if (access(UNPOISON, W_OK))
		printf("no %s: every page offlined stays offline\n", UNPOISON);
	if (!cls[C_CPU].skip &&
	    (sysconf(_SC_NPROCESSORS_ONLN) < 2 || access(CPU1_ONLINE, W_OK)))
		cls[C_CPU].skip = "needs a hotpluggable CPU 1";
	if (access(AER_DEV, F_OK))
		cls[C_PCI].skip = "no PCIe endpoint " AER_BDF;
	else if (access("/dev/aer_inject", W_OK))
		cls[C_PCI].skip = "no /dev/aer_inject (CONFIG_PCIEAER_INJECT)";
	else if (dm.aer_id < 0)
		cls[C_PCI].skip = "no tracefs ras:aer_event";
	else if (undo_round(C_PCI))
		cls[C_PCI].skip = "no driver bound to " AER_BDF;
	for (c = 0; c < NCLASS; c++)
		if (!cls[c].skip)
			run_class(c);
	write_str(HD "clear", "all");
	report();
	restore();
	return 0;
}
