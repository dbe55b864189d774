/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the /dev/hwerr selftests: load hwerr.ko, inject software
 * records through debugfs, read records.
 */
#ifndef _HWERR_TEST_H
#define _HWERR_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/hwerr.h>

#include "../hasys_inject.h"

#define HWERR_DEV "/dev/hwerr"
#define HWERR_INJECT "/sys/kernel/debug/hwerr/inject"
#define HWERR_SYSFS "/sys/kernel/ha/hwerr"

/* finit_module() of $HASYS_MODDIR/@relpath with @params; 0 or -errno. */
static inline int hasys_insmod(const char *relpath, const char *params)
{
	const char *dir = getenv("HASYS_MODDIR");
	char path[PATH_MAX];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : ".", relpath);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(__NR_finit_module, fd, params, 0))
		ret = -errno;
	close(fd);
	return ret;
}

/* Loads hwerr.ko unless it is loaded. Returns 0 or -errno. */
static inline int hwerr_load(void)
{
	int ret;

	if (access("/sys/module/hwerr", F_OK) == 0)
		return 0;
	ret = hasys_insmod("hwerr/hwerr.ko", "");
	return ret == -EEXIST ? 0 : ret;
}

static inline int hwerr_unload(void)
{
	return syscall(__NR_delete_module, "hwerr", O_NONBLOCK) ? -errno : 0;
}

/* samples/edac_testmc: a memory controller registered with the EDAC core whose
 * debugfs file raises errors through edac_mc_handle_error(). */
#define EDAC_INJ "/sys/kernel/debug/hasys_edac_testmc/inject"

static inline int edac_testmc_load(void)
{
	if (access("/sys/module/hasys_edac_testmc", F_OK) == 0)
		return 0;
	return hasys_insmod("samples/edac_testmc/hasys_edac_testmc.ko", "");
}

/* Writes a string to a file; returns 0 or -errno. */
static inline int write_str(const char *path, const char *s)
{
	return hasys_write_str(path, s);
}

/* Reads a number from a sysfs/debugfs file; -1 on error. */
static inline long long read_num(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtoll(buf, NULL, 0) : -1;
}

struct inject_result {
	unsigned long long requested, captured, dropped, ns;
	long long first_drop;
	int cpu;
};

/*
 * Reports @n software records of @sev from one CPU (see hwerr/inject.c): on the NMI
 * path with interrupts off if @burst; all identical (a storm) if @same, else each
 * distinct.
 */
static inline int hwerr_inject_ex(unsigned int n, unsigned int sev, int burst, int same,
				  struct inject_result *res)
{
	char buf[192];
	int fd, ret;
	ssize_t len;

	snprintf(buf, sizeof(buf), "%u %u %d %d", n, sev, burst, same);
	ret = write_str(HWERR_INJECT, buf);
	if (ret || !res)
		return ret;
	fd = open(HWERR_INJECT, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -EIO;
	buf[len] = '\0';
	if (sscanf(buf, "requested %llu captured %llu dropped %llu first_drop %lld ns %llu cpu %d",
		   &res->requested, &res->captured, &res->dropped, &res->first_drop,
		   &res->ns, &res->cpu) != 6)
		return -EIO;
	return 0;
}

static inline int hwerr_inject(unsigned int n, unsigned int sev, int burst,
			       struct inject_result *res)
{
	return hwerr_inject_ex(n, sev, burst, 0, res);
}

#define HWERR_STORM HWERR_SYSFS "/storm/"

/* Sets the storm coalescing parameters (window_ms 0 turns coalescing off). */
static inline int hwerr_storm_set(unsigned int window_ms, unsigned int burst,
				  unsigned int rate)
{
	char v[3][16];

	snprintf(v[0], sizeof(v[0]), "%u", window_ms);
	snprintf(v[1], sizeof(v[1]), "%u", burst);
	snprintf(v[2], sizeof(v[2]), "%u", rate);
	return write_str(HWERR_STORM "burst", v[1]) ?: write_str(HWERR_STORM "rate", v[2]) ?:
	       write_str(HWERR_STORM "window_ms", v[0]);
}

/* hwerr's defaults (module parameters storm_window_ms, storm_burst, storm_rate). */
static inline int hwerr_storm_defaults(void)
{
	return hwerr_storm_set(1000, 2, 1000);
}

static inline int hwerr_open_at(int flags, __u32 whence)
{
	struct hwerr_seek seek = { .whence = whence };
	int fd = open(HWERR_DEV, flags | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, HWERR_IOC_SEEK, &seek)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Opens /dev/hwerr at "now" (O_NONBLOCK), filtered to one source; fd or -errno. */
static inline int hwerr_open_source(int source)
{
	struct hwerr_filter f = {
		.source_mask = 1U << source,
		.severity_mask = (1U << HWERR_SEV_NR) - 1,
	};
	int fd = hwerr_open_at(O_RDONLY | O_NONBLOCK, HWERR_SEEK_NEWEST);

	if (fd >= 0 && ioctl(fd, HWERR_IOC_SET_FILTER, &f)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * Reads records until @max are read or read() would block (the fd must be
 * O_NONBLOCK). Returns the number read, or -errno.
 */
static inline int hwerr_read_all(int fd, struct hwerr_record *recs, int max)
{
	int got = 0;

	while (got < max) {
		ssize_t n = read(fd, &recs[got], (size_t)(max - got) * sizeof(*recs));

		if (n < 0)
			return errno == EAGAIN ? got : -errno;
		if (n == 0 || n % sizeof(*recs))
			return -EIO;
		got += n / sizeof(*recs);
	}
	return got;
}

/* poll() @fd for @timeout_ms; returns revents, 0 on timeout, or -errno. */
static inline int hwerr_poll(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLPRI };
	int n = poll(&p, 1, timeout_ms);

	return n < 0 ? -errno : n ? p.revents : 0;
}

static inline int hwerr_stats(int fd, struct hwerr_stats *st)
{
	return ioctl(fd, HWERR_IOC_GET_STATS, st) ? -errno : 0;
}

/*
 * Captures reach the log from a workqueue: waits (up to 10 s) until the log's
 * next sequence number is at least @next. Returns 0 or -ETIMEDOUT.
 */
static inline int hwerr_wait_logged(int fd, __u64 next)
{
	struct hwerr_stats st;
	int i;

	for (i = 0; i < 1000; i++) {
		if (hwerr_stats(fd, &st))
			return -errno;
		if (st.next_seq >= next)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/*
 * Reports @n software records in chunks of 16, waiting for each chunk to reach
 * the log: one CPU's capture slots (capture_slots, default 32) are never all in
 * flight, so nothing is dropped. Record data[0] counts 0..15 within each chunk.
 * Returns 0, or -ENOSPC if a record was dropped anyway.
 */
static inline int hwerr_inject_paced(int fd, unsigned int n, unsigned int sev)
{
	struct inject_result res;
	struct hwerr_stats st;
	int ret;

	while (n) {
		unsigned int k = n < 16 ? n : 16;

		ret = hwerr_stats(fd, &st) ?: hwerr_inject(k, sev, 0, &res);
		if (ret)
			return ret;
		if (res.dropped)
			return -ENOSPC;
		ret = hwerr_wait_logged(fd, st.next_seq + k);
		if (ret)
			return ret;
		n -= k;
	}
	return 0;
}

#endif /* _HWERR_TEST_H */
