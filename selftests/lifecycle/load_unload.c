// SPDX-License-Identifier: GPL-2.0
/*
 * Load and unload every hasys module HASYS_LOAD_CYCLES times (default 4), in
 * dependency order, with the same syscalls kmod uses (finit_module, delete_module),
 * checking after each step that the kernel agrees.
 *
 * Four cycles, not more: the test kernel has CONFIG_DEBUG_KOBJECT_RELEASE, which
 * delays every kobject release by 1-4 s, and delete_module() waits for the module's
 * own kobject (after its holders/ child): about 5 s per rmmod, 25 s per cycle of five
 * modules. A cycle under that option proves more than many without it (any release
 * or sysfs file that outlives rmmod shows up), and kmemleak catches a leak from one.
 *
 * C rather than shell: in the test VM (TCG, KASAN, lockdep) every exec costs ~0.3 s,
 * which would be most of the run; this way the cycles measure module load and unload.
 *
 * HASYS_MODDIR is the built tree; modules.order gives the modules and their order.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define MAX_MODS 16

FIXTURE(modules) {
	char path[MAX_MODS][PATH_MAX];
	char name[MAX_MODS][64];
	int n;
};

static int load_with(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret, err;

	if (fd < 0)
		return -errno;
	ret = syscall(__NR_finit_module, fd, params, 0);
	err = errno;
	close(fd);
	return ret ? -err : 0;
}

static int load(const char *path)
{
	return load_with(path, "");
}

static int unload(const char *name)
{
	return syscall(__NR_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

/* The module's /sys/module/<name>/initstate, or "" if it is not loaded. */
static const char *mod_state(const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "";
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

FIXTURE_SETUP(modules)
{
	const char *dir = getenv("HASYS_MODDIR");
	char line[PATH_MAX], order[PATH_MAX];
	FILE *f;

	if (!dir)
		SKIP(return, "HASYS_MODDIR is not set");
	snprintf(order, sizeof(order), "%s/modules.order", dir);
	f = fopen(order, "r");
	ASSERT_NE(NULL, f) TH_LOG("cannot open %s", order);
	self->n = 0;
	while (fgets(line, sizeof(line), f) && self->n < MAX_MODS) {
		char *dot, *base;

		line[strcspn(line, "\n")] = '\0';
		dot = strrchr(line, '.');
		if (!dot)
			continue;
		*dot = '\0';
		base = strrchr(line, '/');
		snprintf(self->path[self->n], PATH_MAX, "%s/%s.ko", dir, line);
		snprintf(self->name[self->n], 64, "%s", base ? base + 1 : line);
		self->n++;
	}
	fclose(f);
	ASSERT_GT(self->n, 1);
	ASSERT_STREQ("hwerr", self->name[0]);
	/* Start from nothing loaded. */
	for (int i = self->n - 1; i >= 0; i--)
		unload(self->name[i]);
}

FIXTURE_TEARDOWN(modules)
{
	for (int i = self->n - 1; i >= 0; i--)
		unload(self->name[i]);
}

static double elapsed_s(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

TEST_F_TIMEOUT(modules, load_unload_cycles, 1800)
{
	const char *env = getenv("HASYS_LOAD_CYCLES");
	int cycles = env ? atoi(env) : 4;
	struct timespec start;
	char buf[32];

	clock_gettime(CLOCK_MONOTONIC, &start);
	ASSERT_GT(cycles, 0);
	for (int c = 1; c <= cycles; c++) {
		for (int i = 0; i < self->n; i++) {
			ASSERT_EQ(0, load(self->path[i]))
				TH_LOG("cycle %d: load %s", c, self->name[i]);
			ASSERT_STREQ("live", mod_state(self->name[i], buf, sizeof(buf)))
				TH_LOG("cycle %d: %s", c, self->name[i]);
		}
		for (int i = self->n - 1; i >= 0; i--) {
			ASSERT_EQ(0, unload(self->name[i]))
				TH_LOG("cycle %d: unload %s", c, self->name[i]);
			ASSERT_STREQ("", mod_state(self->name[i], buf, sizeof(buf)))
				TH_LOG("cycle %d: %s still loaded", c, self->name[i]);
		}
		ASSERT_NE(0, access("/sys/kernel/ha", F_OK))
			TH_LOG("cycle %d: /sys/kernel/ha outlived hwerr", c);
	}
	TH_LOG("%d cycles of %d modules in %.1f s", cycles, self->n, elapsed_s(&start));
}

TEST_F(modules, second_load_is_eexist)
{
	ASSERT_EQ(0, load(self->path[0]));
	EXPECT_EQ(-EEXIST, load(self->path[0]));
	EXPECT_EQ(0, access("/sys/kernel/ha/hwerr/version", R_OK));
	ASSERT_EQ(0, unload(self->name[0]));
}

TEST_F(modules, dependent_without_hwerr_is_refused)
{
	char buf[32];

	for (int i = 1; i < self->n; i++) {
		EXPECT_EQ(-ENOENT, load(self->path[i])) TH_LOG("%s", self->name[i]);
		EXPECT_STREQ("", mod_state(self->name[i], buf, sizeof(buf)));
	}
}

TEST_F(modules, hwerr_busy_under_dependents)
{
	ASSERT_EQ(0, load(self->path[0]));
	ASSERT_EQ(0, load(self->path[1]));
	EXPECT_EQ(-EWOULDBLOCK, unload(self->name[0]));
	EXPECT_EQ(0, access("/sys/kernel/ha/hwerr", F_OK));
	ASSERT_EQ(0, unload(self->name[1]));
	ASSERT_EQ(0, unload(self->name[0]));
}

TEST_F_TIMEOUT(modules, bad_parameters_are_einval, 600)
{
	static const char *const bad[] = {
		"capture_slots=0", "capture_slots=65", "log_records=15", "log_records=1048577",
	};
	char buf[32];

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, load_with(self->path[0], bad[i])) TH_LOG("%s", bad[i]);
		EXPECT_STREQ("", mod_state(self->name[0], buf, sizeof(buf)));
	}
	/* The bounds themselves load. */
	ASSERT_EQ(0, load_with(self->path[0], "capture_slots=64 log_records=16"));
	ASSERT_EQ(0, unload(self->name[0]));
	ASSERT_EQ(0, load_with(self->path[0], "capture_slots=1"));
	ASSERT_EQ(0, unload(self->name[0]));
}

TEST_HARNESS_MAIN
