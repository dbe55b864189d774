// SPDX-License-Identifier: GPL-2.0
/*
 * rmmod hwerr while /dev/hwerr is open: the open file pins the module (the
 * file_operations' owner), so delete_module() fails with EWOULDBLOCK and the file
 * keeps working; after close the module unloads and the node is gone.
 *
 * Its own program, listed last in the Makefile: it leaves hwerr unloaded, as the
 * next collections expect.
 */
#include "hwerr_test.h"
#include "kselftest_harness.h"

TEST(rmmod_while_open)
{
	struct hwerr_record r;
	int fd;

	ASSERT_EQ(0, hwerr_load());
	fd = hwerr_open_at(O_RDONLY, HWERR_SEEK_NEWEST);
	ASSERT_LE(0, fd);
	/* The open file pins the module (fops.owner). */
	EXPECT_EQ(-EWOULDBLOCK, hwerr_unload());
	ASSERT_EQ(0, hwerr_inject(1, HWERR_SEV_INFO, 0, NULL));
	EXPECT_TRUE(hwerr_poll(fd, 10000) & POLLIN);
	EXPECT_EQ(sizeof(r), read(fd, &r, sizeof(r)));
	close(fd);
	EXPECT_EQ(0, hwerr_unload());
	EXPECT_EQ(-1, open(HWERR_DEV, O_RDONLY));
	EXPECT_EQ(ENOENT, errno);
}

TEST_HARNESS_MAIN
