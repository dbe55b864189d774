/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for hadetect's selftests and tools/bench/hadetect_bench.c: its sysfs
 * files, the errors that drive its rules, and the state of a page.
 */
#ifndef _HADETECT_TEST_H
#define _HADETECT_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../hasys_inject.h"

#define HD "/sys/kernel/ha/hadetect/"
#define KPF_HWPOISON		19

/* Reads a sysfs file into @buf (NUL-terminated, trailing newline cut). */
static inline int read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

/* The value of @name in hadetect's counters file, or -1. */
static inline long long counter(const char *name)
{
	char buf[1024], *p;
	size_t len = strlen(name);

	if (read_str(HD "counters", buf, sizeof(buf)))
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, len) && p[len] == ' ')
			return strtoll(p + len + 1, NULL, 10);
	return -1;
}

/* Whether @pfn is poisoned (offlined): KPF_HWPOISON in /proc/kpageflags. */
static inline int page_poisoned(unsigned long long pfn)
{
	unsigned long long flags = 0;
	int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (pread(fd, &flags, 8, pfn * 8) != 8)
		flags = 0;
	close(fd);
	return !!(flags & (1ULL << KPF_HWPOISON));
}

/* A corrected DRAM error at physical address @pa, as the CPU's vendor reports it:
 * AMD without SMCA, bank 4 with extended error code 8; Intel, a memory-controller
 * MCACOD with a physical address in MISC. */
static inline int inject_dram_ce(unsigned long long pa)
{
	int amd = hasys_cpu_is_amd();

	return hasys_mce_inject(0, MCI_STATUS_VAL | MCI_STATUS_EN | MCI_STATUS_ADDRV |
				(amd ? (8ULL << 16) | 0x011b : MCI_STATUS_MISCV | 0x9f),
				pa, amd ? 0 : (2 << 6) | 12, amd ? 4 : 1);
}

/* A corrected core error (internal parity, neither memory nor cache) on @cpu. */
static inline int inject_core_ce(int cpu)
{
	return hasys_mce_inject(cpu, MCI_STATUS_VAL | MCI_STATUS_EN | 0x0005, 0, 0, 0);
}

#endif /* _HADETECT_TEST_H */
