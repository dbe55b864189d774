/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Real error injection for the hasys selftests (and make bench), through the
 * kernel's own paths:
 *
 *   hasys_mce_inject()    mce-inject (debugfs), software injection into the MCE
 *                         decode chain, on a chosen CPU
 *   hasys_phys_addr()     the physical address of a page of this process
 *   hasys_aer_inject()    aer-inject (/dev/aer_inject) on the VM's PCIe endpoint
 *   hasys_madv_hwpoison() memory_failure() on a child's page (MADV_HWPOISON)
 */
#ifndef _HASYS_INJECT_H
#define _HASYS_INJECT_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/types.h>

#define HASYS_MCE_INJ "/sys/kernel/debug/mce-inject/"
#define MCI_STATUS_VAL		(1ULL << 63)
#define MCI_STATUS_UC		(1ULL << 61)
#define MCI_STATUS_EN		(1ULL << 60)
#define MCI_STATUS_MISCV	(1ULL << 59)
#define MCI_STATUS_ADDRV	(1ULL << 58)
#define MCI_STATUS_S		(1ULL << 56)

/* Writes a string to a file; returns 0 or -errno. */
static inline int hasys_write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

/* Whether the CPU is AMD (or Hygon): their MCA reads some status bits differently. */
static inline int hasys_cpu_is_amd(void)
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

static inline int hasys_mce_write(const char *file, unsigned long long v)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), HASYS_MCE_INJ "%s", file);
	snprintf(buf, sizeof(buf), "0x%llx", v);
	return hasys_write_str(path, buf);
}

/* One machine check on @cpu, as if bank @bank reported it; 0 or -errno. */
static inline int hasys_mce_inject(int cpu, unsigned long long status,
				   unsigned long long addr, unsigned long long misc, int bank)
{
	return hasys_write_str(HASYS_MCE_INJ "flags", "sw\n") ?:
	       hasys_mce_write("cpu", cpu) ?: hasys_mce_write("status", status) ?:
	       hasys_mce_write("addr", addr) ?: hasys_mce_write("misc", misc) ?:
	       hasys_mce_write("synd", 0) ?: hasys_mce_write("ipid", 0) ?:
	       hasys_mce_write("bank", bank);	/* writing the bank injects */
}

/* Physical address of a resident page of this process (root sees PFNs), or 0. */
static inline unsigned long long hasys_phys_addr(void *p)
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

/* drivers/pci/pcie/aer_inject.c's write() format. */
struct aer_error_inj {
	__u8 bus, dev, fn;
	__u32 uncor_status, cor_status;
	__u32 header_log0, header_log1, header_log2, header_log3;
	__u32 domain;
};

/* Injects AER status bits on bus 1 device 0 (the VM's endpoint); 0 or -errno. */
static inline int hasys_aer_inject(__u32 uncor, __u32 cor)
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
 * A child maps a page and poisons it with madvise(MADV_HWPOISON): the kernel's
 * memory_failure(MF_SW_SIMULATED) contains the error and signals the child. With
 * @cgroup (a cgroup v2 directory) the child first moves itself there. Returns the
 * child's pid (reaped) and its page's physical address in *@pa; -errno if the child
 * could not do it (a madvise() errno is reported through *@madv_errno).
 */
static inline int hasys_madv_hwpoison(const char *cgroup, unsigned long long *pa,
				      int *madv_errno)
{
	int pfd[2], st;
	pid_t pid;

	*pa = 0;
	*madv_errno = 0;
	if (pipe(pfd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		unsigned long long a;

		if (p == MAP_FAILED)
			_exit(2);
		if (cgroup) {
			char procs[256];

			snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup);
			if (hasys_write_str(procs, "0"))
				_exit(4);
		}
		p[0] = 1;
		a = hasys_phys_addr(p);
		if (write(pfd[1], &a, sizeof(a)) != sizeof(a))
			_exit(3);
		/* The kernel handles the failure for this task and may SIGBUS it. */
		_exit(madvise(p, 4096, MADV_HWPOISON) ? 100 + errno : 0);
	}
	close(pfd[1]);
	if (read(pfd[0], pa, sizeof(*pa)) != sizeof(*pa))
		*pa = 0;
	close(pfd[0]);
	if (waitpid(pid, &st, 0) != pid)
		return -errno;
	if (WIFEXITED(st) && WEXITSTATUS(st) > 100)
		*madv_errno = WEXITSTATUS(st) - 100;
	if ((WIFEXITED(st) && WEXITSTATUS(st)) || !*pa)
		return -EIO;
	return pid;
}

#endif /* _HASYS_INJECT_H */
