// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/hwerr semantics: whole records, ordering and sequence numbers, poll
 * (EPOLLIN, EPOLLPRI), filters, seek, stats, the in-band lost records for capture
 * drops and reader overruns, bad input (sizes, ioctls, pointers), permissions,
 * and concurrent readers. rmmod while open is in unload.c, which runs last.
 *
 * Records come from the software-report path through the debugfs test interface
 * (/sys/kernel/debug/hwerr/inject), which goes through the same per-CPU capture
 * and drain as the hardware sources.
 */
#include <signal.h>
#include <sys/wait.h>

#include "hwerr_test.h"
#include "kselftest_harness.h"

#define MAXREC 8192

static struct hwerr_record recs[MAXREC];

FIXTURE(dev) {
	int fd;
	__u64 next0;
};

FIXTURE_SETUP(dev)
{
	struct hwerr_stats st;

	ASSERT_EQ(0, hwerr_load());
	/* Each injected record stands for itself unless a test turns coalescing on. */
	ASSERT_EQ(0, hwerr_storm_set(0, 2, 0));
	/* Start "now": every test sees only its own records. */
	self->fd = hwerr_open_at(O_RDONLY | O_NONBLOCK, HWERR_SEEK_NEWEST);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, hwerr_stats(self->fd, &st));
	self->next0 = st.next_seq;
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
	write_str(HWERR_SYSFS "/software/enabled", "1");
	hwerr_storm_defaults();
}

TEST_F(dev, abi_and_node)
{
	struct hwerr_stats st;
	struct stat sb;
	__u32 v = 0;

	ASSERT_EQ(0, ioctl(self->fd, HWERR_IOC_ABI_VERSION, &v));
	EXPECT_EQ(HWERR_ABI_VERSION, v);
	ASSERT_EQ(0, hwerr_stats(self->fd, &st));
	EXPECT_EQ(HWERR_ABI_VERSION, st.abi_version);
	EXPECT_EQ(HWERR_RECORD_SIZE, st.record_size);
	EXPECT_EQ(sizeof(struct hwerr_record), st.record_size);
	EXPECT_LE(16, st.log_capacity);
	ASSERT_EQ(0, stat(HWERR_DEV, &sb));
	EXPECT_TRUE(S_ISCHR(sb.st_mode));
	EXPECT_EQ(0600, sb.st_mode & 07777);
}

TEST_F(dev, empty_nonblocking_read_is_eagain)
{
	char buf[HWERR_RECORD_SIZE];

	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, hwerr_poll(self->fd, 0));
}

TEST_F(dev, short_reads_are_einval)
{
	char buf[HWERR_RECORD_SIZE];

	ASSERT_EQ(0, hwerr_inject(1, HWERR_SEV_INFO, 0, NULL));
	ASSERT_EQ(0, hwerr_wait_logged(self->fd, self->next0 + 1));
	EXPECT_EQ(-1, read(self->fd, buf, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf) - 1));
	EXPECT_EQ(EINVAL, errno);
	/* Nothing was consumed by the failed reads. */
	EXPECT_EQ(HWERR_RECORD_SIZE, read(self->fd, buf, sizeof(buf)));
}

TEST_F(dev, records_are_whole_ordered_and_numbered)
{
	struct inject_result res;
	__u64 t = 0;
	int i, n;

	ASSERT_EQ(0, hwerr_inject(5, HWERR_SEV_CORRECTED, 0, &res));
	ASSERT_EQ(5, res.captured);
	ASSERT_EQ(0, hwerr_wait_logged(self->fd, self->next0 + 5));
	/* An odd size returns the whole records that fit. */
	EXPECT_EQ(3 * HWERR_RECORD_SIZE, read(self->fd, recs, 3 * HWERR_RECORD_SIZE + 17));
	n = hwerr_read_all(self->fd, recs + 3, MAXREC - 3);
	ASSERT_EQ(2, n);
	for (i = 0; i < 5; i++) {
		struct hwerr_record *r = &recs[i];

		EXPECT_EQ(HWERR_RECORD_SIZE, r->hdr.size);
		EXPECT_EQ(HWERR_ABI_VERSION, r->hdr.version);
		EXPECT_EQ(HWERR_SRC_SOFTWARE, r->hdr.source);
		EXPECT_EQ(HWERR_SEV_CORRECTED, r->hdr.severity);
		EXPECT_EQ(1, r->hdr.count);
		EXPECT_EQ(self->next0 + i, r->hdr.seq);
		EXPECT_EQ(res.cpu, r->hdr.cpu);
		EXPECT_LE(t, r->hdr.boottime_ns);
		EXPECT_NE(0, r->hdr.realtime_ns);
		t = r->hdr.boottime_ns;
		EXPECT_EQ(0x1e57, r->u.sw.code);
		EXPECT_EQ(i, r->u.sw.data[0]);
		EXPECT_STREQ("hwerr-inject", r->u.sw.origin);
		EXPECT_STREQ("debugfs inject", r->u.sw.msg);
	}
}

TEST_F(dev, odd_read_sizes)
{
	int i, n;

	ASSERT_EQ(0, hwerr_inject_paced(self->fd, 64, HWERR_SEV_INFO));
	srand(42);
	for (i = 0, n = 0; i < 200 && n < 64; i++) {
		size_t len = rand() % (3 * HWERR_RECORD_SIZE);
		ssize_t got = read(self->fd, recs, len);

		if (len < HWERR_RECORD_SIZE) {
			EXPECT_EQ(-1, got);
			EXPECT_EQ(EINVAL, errno);
			continue;
		}
		ASSERT_LT(0, got);
		EXPECT_EQ(0, got % HWERR_RECORD_SIZE);
		EXPECT_GE(len, (size_t)got);
		EXPECT_EQ(self->next0 + n, recs[0].hdr.seq);
		n += got / HWERR_RECORD_SIZE;
	}
	EXPECT_EQ(64, n);
}

TEST_F(dev, poll_in_and_pri)
{
	int rev;

	EXPECT_EQ(0, hwerr_poll(self->fd, 0));
	ASSERT_EQ(0, hwerr_inject(1, HWERR_SEV_CORRECTED, 0, NULL));
	rev = hwerr_poll(self->fd, 10000);
	EXPECT_TRUE(rev & POLLIN);
	EXPECT_FALSE(rev & POLLPRI);
	ASSERT_EQ(1, hwerr_read_all(self->fd, recs, MAXREC));
	EXPECT_EQ(0, hwerr_poll(self->fd, 0));

	ASSERT_EQ(0, hwerr_inject(1, HWERR_SEV_FATAL, 0, NULL));
	rev = hwerr_poll(self->fd, 10000);
	EXPECT_TRUE(rev & POLLIN);
	EXPECT_TRUE(rev & POLLPRI);
	ASSERT_EQ(1, hwerr_read_all(self->fd, recs, MAXREC));
	EXPECT_EQ(HWERR_SEV_FATAL, recs[0].hdr.severity);

	ASSERT_EQ(0, hwerr_inject(1, HWERR_SEV_RECOVERABLE, 0, NULL));
	EXPECT_TRUE(hwerr_poll(self->fd, 10000) & POLLPRI);
}

TEST_F(dev, blocking_read_wakes_up)
{
	int fd = hwerr_open_at(O_RDONLY, HWERR_SEEK_NEWEST);
	pid_t pid;
	int st;

	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		usleep(200000);
		_exit(hwerr_inject(1, HWERR_SEV_DEFERRED, 0, NULL) ? 1 : 0);
	}
	EXPECT_EQ(HWERR_RECORD_SIZE, read(fd, recs, sizeof(recs[0])));
	EXPECT_EQ(HWERR_SEV_DEFERRED, recs[0].hdr.severity);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);
	close(fd);
}

TEST_F(dev, filters)
{
	struct hwerr_filter f = {
		.source_mask = 1U << HWERR_SRC_SOFTWARE,
		.severity_mask = 1U << HWERR_SEV_FATAL,
	}, g = {};
	int i;

	ASSERT_EQ(0, ioctl(self->fd, HWERR_IOC_SET_FILTER, &f));
	ASSERT_EQ(0, ioctl(self->fd, HWERR_IOC_GET_FILTER, &g));
	EXPECT_EQ(f.source_mask, g.source_mask);
	EXPECT_EQ(f.severity_mask, g.severity_mask);
	ASSERT_EQ(0, hwerr_inject(3, HWERR_SEV_INFO, 0, NULL));
	ASSERT_EQ(0, hwerr_inject(2, HWERR_SEV_FATAL, 0, NULL));
	ASSERT_EQ(0, hwerr_wait_logged(self->fd, self->next0 + 5));
	ASSERT_EQ(2, hwerr_read_all(self->fd, recs, MAXREC));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(HWERR_SEV_FATAL, recs[i].hdr.severity);
		EXPECT_EQ(self->next0 + 3 + i, recs[i].hdr.seq);
	}

	f.source_mask = 1U << HWERR_SRC_MCE;
	f.severity_mask = ~0U >> (32 - HWERR_SEV_NR);
	ASSERT_EQ(0, ioctl(self->fd, HWERR_IOC_SET_FILTER, &f));
	ASSERT_EQ(0, hwerr_inject(2, HWERR_SEV_FATAL, 0, NULL));
	ASSERT_EQ(0, hwerr_wait_logged(self->fd, self->next0 + 7));
	EXPECT_EQ(0, hwerr_poll(self->fd, 0));
	EXPECT_EQ(0, hwerr_read_all(self->fd, recs, MAXREC));

	f.source_mask = 1U << HWERR_SRC_NR;
	EXPECT_EQ(-1, ioctl(self->fd, HWERR_IOC_SET_FILTER, &f));
	EXPECT_EQ(EINVAL, errno);
	f.source_mask = 1U << HWERR_SRC_MCE;
	f.severity_mask = 1U << HWERR_SEV_NR;
	EXPECT_EQ(-1, ioctl(self->fd, HWERR_IOC_SET_FILTER, &f));
	EXPECT_EQ(EINVAL, errno);
	/* The rejected filter did not replace the old one. */
	ASSERT_EQ(0, ioctl(self->fd, HWERR_IOC_GET_FILTER, &g));
	EXPECT_EQ(1U << HWERR_SRC_MCE, g.source_mask);
}

TEST_F(dev, seek)
{
	struct hwerr_seek s = {};
	struct hwerr_stats st;

	ASSERT_EQ(0, hwerr_inject(4, HWERR_SEV_INFO, 0, NULL));
	ASSERT_EQ(0, hwerr_wait_logged(self->fd, self->next0 + 4));
	s.whence = HWERR_SEEK_SEQ;
	s.seq = self->next0 + 2;
	ASSERT_EQ(0, ioctl(self->fd, HWERR_IOC_SEEK, &s));
	ASSERT_EQ(2, hwerr_read_all(self->fd, recs, MAXREC));
	EXPECT_EQ(self->next0 + 2, recs[0].hdr.seq);
	EXPECT_EQ(self->next0 + 3, recs[1].hdr.seq);

	s.whence = HWERR_SEEK_OLDEST;
	ASSERT_EQ(0, ioctl(self->fd, HWERR_IOC_SEEK, &s));
	ASSERT_EQ(0, hwerr_stats(self->fd, &st));
	EXPECT_EQ(st.oldest_seq, st.reader_cursor);
	ASSERT_EQ(1, read(self->fd, recs, sizeof(recs[0])) / HWERR_RECORD_SIZE);
	EXPECT_EQ(st.oldest_seq, recs[0].hdr.seq);

	s.whence = HWERR_SEEK_SEQ;
	s.seq = st.next_seq + 1;
	EXPECT_EQ(-1, ioctl(self->fd, HWERR_IOC_SEEK, &s));
	EXPECT_EQ(EINVAL, errno);
	s.seq = 0;
	EXPECT_EQ(-1, ioctl(self->fd, HWERR_IOC_SEEK, &s));
	EXPECT_EQ(EINVAL, errno);
	s.whence = 3;
	EXPECT_EQ(-1, ioctl(self->fd, HWERR_IOC_SEEK, &s));
	EXPECT_EQ(EINVAL, errno);
	s.whence = HWERR_SEEK_NEWEST;
	s.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, HWERR_IOC_SEEK, &s));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, bad_ioctls_and_pointers)
{
	static const unsigned long good[] = {
		HWERR_IOC_ABI_VERSION, HWERR_IOC_GET_STATS, HWERR_IOC_SET_FILTER,
		HWERR_IOC_GET_FILTER, HWERR_IOC_SEEK,
	};
	struct hwerr_stats st;
	char buf[512];
	int i, j;

	srand(7);
	for (i = 0; i < 5000; i++) {
		unsigned long cmd = ((unsigned long)rand() << 16) ^ rand();
		int known = 0;

		if (i < 256)	/* every number of our type, with a wrong size or direction */
			cmd = _IOC(i & 3, HWERR_IOC_MAGIC, i >> 2, 12);
		for (j = 0; j < 5; j++)
			known |= cmd == good[j];
		if (known)
			continue;
		EXPECT_EQ(-1, ioctl(self->fd, cmd, buf));
		EXPECT_EQ(ENOTTY, errno);
	}
	for (j = 0; j < 5; j++) {
		EXPECT_EQ(-1, ioctl(self->fd, good[j], (void *)1));
		EXPECT_EQ(EFAULT, errno);
		EXPECT_EQ(-1, ioctl(self->fd, good[j], NULL));
		EXPECT_EQ(EFAULT, errno);
	}
	/* A bad read buffer loses nothing. */
	ASSERT_EQ(0, hwerr_inject(2, HWERR_SEV_INFO, 0, NULL));
	ASSERT_EQ(0, hwerr_wait_logged(self->fd, self->next0 + 2));
	EXPECT_EQ(-1, syscall(SYS_read, self->fd, (void *)1, sizeof(buf)));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(2, hwerr_read_all(self->fd, recs, MAXREC));
	EXPECT_EQ(self->next0, recs[0].hdr.seq);
	/* Writes are not supported at all. */
	EXPECT_EQ(-1, write(self->fd, buf, sizeof(buf)));
	ASSERT_EQ(0, hwerr_stats(self->fd, &st));
	EXPECT_EQ(2, st.reader_read);
}

TEST_F(dev, capture_drops_are_counted_in_band)
{
	struct hwerr_stats before, after;
	struct inject_result res;
	int i, n, nlost = 0, nsw = 0;
	char path[128];

	ASSERT_EQ(0, hwerr_stats(self->fd, &before));
	/*
	 * The NMI path with interrupts off: only the free slots of one CPU take records
	 * until the irq_work runs. However many that is, every report is either logged
	 * or dropped, and every drop is told.
	 */
	ASSERT_EQ(0, hwerr_inject(5000, HWERR_SEV_CORRECTED, 1, &res));
	EXPECT_EQ(5000, res.captured + res.dropped);
	ASSERT_LT(0, res.dropped);
	ASSERT_LE(0, res.first_drop);
	EXPECT_GE((long long)res.captured, res.first_drop);
	/* The captured records plus one lost notice. */
	ASSERT_EQ(0, hwerr_wait_logged(self->fd, self->next0 + res.captured + 1));
	n = hwerr_read_all(self->fd, recs, MAXREC);
	ASSERT_EQ(res.captured + 1, n);
	for (i = 0; i < n; i++) {
		struct hwerr_record *r = &recs[i];

		EXPECT_EQ(self->next0 + i, r->hdr.seq);
		if (r->hdr.source == HWERR_SRC_LOST) {
			nlost++;
			EXPECT_EQ(HWERR_LOST_CAPTURE, r->u.lost.reason);
			EXPECT_EQ(res.dropped, r->u.lost.total);
			EXPECT_EQ(res.dropped, r->u.lost.by_source[HWERR_SRC_SOFTWARE]);
			EXPECT_FALSE(r->hdr.flags & HWERR_F_SYNTHETIC);
		} else {
			EXPECT_EQ(HWERR_SRC_SOFTWARE, r->hdr.source);
			EXPECT_EQ(nsw, r->u.sw.data[0]);
			nsw++;
		}
	}
	EXPECT_EQ(1, nlost);
	EXPECT_EQ(res.captured, nsw);
	ASSERT_EQ(0, hwerr_stats(self->fd, &after));
	EXPECT_EQ(res.dropped, after.source[HWERR_SRC_SOFTWARE].dropped -
			       before.source[HWERR_SRC_SOFTWARE].dropped);
	EXPECT_EQ(res.captured, after.source[HWERR_SRC_SOFTWARE].captured -
				before.source[HWERR_SRC_SOFTWARE].captured);
	snprintf(path, sizeof(path), HWERR_SYSFS "/software/dropped");
	EXPECT_EQ((long long)after.source[HWERR_SRC_SOFTWARE].dropped, read_num(path));
	snprintf(path, sizeof(path), HWERR_SYSFS "/software/captured");
	EXPECT_EQ((long long)after.source[HWERR_SRC_SOFTWARE].captured, read_num(path));
}

TEST_F(dev, overrun_is_reported_exactly)
{
	struct hwerr_stats st;
	__u64 lost_sum = 0, missed, logged = 0;
	int i, n;

	ASSERT_EQ(0, hwerr_stats(self->fd, &st));
	/* Overfill the log while this reader reads nothing. */
	while (logged < st.log_capacity + 100) {
		struct inject_result res;

		ASSERT_EQ(0, hwerr_inject(1000, HWERR_SEV_INFO, 0, &res));
		logged += res.captured;
	}
	ASSERT_EQ(0, hwerr_wait_logged(self->fd, self->next0 + logged));
	ASSERT_EQ(0, hwerr_stats(self->fd, &st));
	/* Only our injections were logged, and the ring holds its newest records. */
	ASSERT_EQ(logged, st.next_seq - self->next0);
	missed = st.oldest_seq - self->next0;
	ASSERT_LT(0, missed);
	/* What this reader missed is what was injected minus what the ring still has. */
	ASSERT_EQ(logged - (st.next_seq - st.oldest_seq), missed);
	ASSERT_EQ(1, read(self->fd, recs, sizeof(recs[0])) / HWERR_RECORD_SIZE);
	EXPECT_EQ(HWERR_SRC_LOST, recs[0].hdr.source);
	EXPECT_TRUE(recs[0].hdr.flags & HWERR_F_SYNTHETIC);
	EXPECT_EQ(HWERR_LOST_OVERRUN, recs[0].u.lost.reason);
	EXPECT_EQ(self->next0, recs[0].u.lost.first_seq);
	EXPECT_EQ(missed, recs[0].u.lost.total);
	for (i = 0; i < HWERR_SRC_SLOTS; i++)
		lost_sum += recs[0].u.lost.by_source[i];
	EXPECT_EQ(missed, lost_sum);
	EXPECT_EQ(missed, recs[0].u.lost.by_source[HWERR_SRC_SOFTWARE]);
	/* Then the reader continues at the oldest record, without gaps. */
	n = hwerr_read_all(self->fd, recs, 64);
	ASSERT_EQ(64, n);
	for (i = 0; i < n; i++)
		EXPECT_EQ(st.oldest_seq + i, recs[i].hdr.seq);
	ASSERT_EQ(0, hwerr_stats(self->fd, &st));
	EXPECT_EQ(missed, st.reader_missed);
}

/* Sums the counts of @n records; *@summaries gets the number of storm summaries. */
static unsigned long long count_sum(struct hwerr_record *r, int n, int *summaries,
				    int *mixed)
{
	unsigned long long sum = 0;
	int i;

	*summaries = *mixed = 0;
	for (i = 0; i < n; i++) {
		sum += r[i].hdr.count;
		if (r[i].hdr.flags & HWERR_F_COALESCED) {
			(*summaries)++;
			if (r[i].hdr.flags & HWERR_F_MIXED)
				(*mixed)++;
			if (r[i].hdr.last_boottime_ns < r[i].hdr.boottime_ns)
				return 0;
		} else if (r[i].hdr.count != 1) {
			return 0;
		}
	}
	return sum;
}

TEST_F(dev, storm_of_identical_reports_is_bounded_and_counted_exactly)
{
	long long coalesced0 = read_num(HWERR_SYSFS "/software/coalesced");
	struct inject_result res;
	unsigned long long windows;
	int n, summaries, mixed;

	ASSERT_EQ(0, hwerr_storm_set(200, 2, 0));
	ASSERT_EQ(0, hwerr_inject_ex(20000, HWERR_SEV_CORRECTED, 0, 1, &res));
	ASSERT_EQ(20000, res.captured);
	/* The storm timer logs the last summary when its window ends. */
	usleep(600 * 1000);
	n = hwerr_read_all(self->fd, recs, MAXREC);
	ASSERT_LT(0, n);
	EXPECT_EQ(20000, count_sum(recs, n, &summaries, &mixed));
	EXPECT_LE(1, summaries);
	EXPECT_EQ(0, mixed);
	/* At most burst + 1 records per window the injection spanned. */
	windows = res.ns / (200 * 1000000ULL) + 2;
	EXPECT_GE(windows * 3, (unsigned long long)n);
	EXPECT_EQ(20000 - (n - summaries), read_num(HWERR_SYSFS "/software/coalesced") - coalesced0);
}

TEST_F(dev, distinct_reports_beyond_the_rate_fold_into_mixed_summaries)
{
	struct inject_result res;
	int n, summaries, mixed;

	/* A long window: the parameter change below logs the pending summary. */
	ASSERT_EQ(0, hwerr_storm_set(60000, 2, 100));
	ASSERT_EQ(0, hwerr_inject_ex(2000, HWERR_SEV_CORRECTED, 0, 0, &res));
	ASSERT_EQ(2000, res.captured);
	n = hwerr_read_all(self->fd, recs, MAXREC);
	EXPECT_EQ(100, n);
	ASSERT_EQ(0, hwerr_storm_set(0, 2, 0));
	n = hwerr_read_all(self->fd, recs, MAXREC);
	ASSERT_EQ(1, n);
	EXPECT_EQ(1900, count_sum(recs, n, &summaries, &mixed));
	EXPECT_EQ(1, mixed);
}

TEST_F(dev, disabled_software_source_is_enodev_and_counted)
{
	long long ignored0 = read_num(HWERR_SYSFS "/software/ignored");

	ASSERT_EQ(0, write_str(HWERR_SYSFS "/software/enabled", "0"));
	EXPECT_EQ(-ENODEV, hwerr_inject(3, HWERR_SEV_INFO, 0, NULL));
	/* The first report fails: the injector stops there. */
	EXPECT_EQ(ignored0 + 1, read_num(HWERR_SYSFS "/software/ignored"));
	ASSERT_EQ(0, write_str(HWERR_SYSFS "/software/enabled", "1"));
	EXPECT_EQ(0, hwerr_inject(1, HWERR_SEV_INFO, 0, NULL));
}

TEST_F(dev, storm_parameters_are_validated)
{
	EXPECT_EQ(-EINVAL, write_str(HWERR_STORM "burst", "x"));
	EXPECT_EQ(-ERANGE, write_str(HWERR_STORM "window_ms", "3600001"));
	EXPECT_EQ(0, write_str(HWERR_STORM "rate", "0"));
	EXPECT_EQ(0, read_num(HWERR_STORM "rate"));
}

TEST(permissions)
{
	pid_t pid;
	int st;

	ASSERT_EQ(0, hwerr_load());
	/* Widen the node: the capability check must still refuse. */
	ASSERT_EQ(0, chmod(HWERR_DEV, 0666));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(open(HWERR_DEV, O_RDONLY) < 0 && errno == EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, chmod(HWERR_DEV, 0600));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

#define NREADERS 8
#define NRECS 200

TEST(concurrent_readers)
{
	int ready[2], i, st, fd;
	pid_t pids[NREADERS];
	struct hwerr_stats s0;
	char c;

	ASSERT_EQ(0, hwerr_load());
	fd = hwerr_open_at(O_RDONLY, HWERR_SEEK_NEWEST);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, hwerr_stats(fd, &s0));
	ASSERT_EQ(0, pipe(ready));
	for (i = 0; i < NREADERS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i]) {
			/* Half start at "now", half at the sequence number. */
			int rfd = hwerr_open_at(O_RDONLY, HWERR_SEEK_NEWEST), got = 0, k;
			struct hwerr_seek s = { .whence = HWERR_SEEK_SEQ, .seq = s0.next_seq };

			if (rfd < 0 || (i & 1 && ioctl(rfd, HWERR_IOC_SEEK, &s)))
				_exit(10);
			if (write(ready[1], "r", 1) != 1)
				_exit(11);
			while (got < NRECS) {
				ssize_t n;

				if (hwerr_poll(rfd, 20000) <= 0)
					_exit(12);
				n = read(rfd, &recs[got], sizeof(recs[0]) * (NRECS - got));
				if (n <= 0 || n % HWERR_RECORD_SIZE)
					_exit(13);
				got += n / HWERR_RECORD_SIZE;
			}
			for (k = 0; k < NRECS; k++)
				if (recs[k].hdr.seq != s0.next_seq + k ||
				    recs[k].u.sw.data[0] != (__u64)k % 16)
					_exit(14);
			_exit(0);
		}
	}
	for (i = 0; i < NREADERS; i++)
		ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(0, hwerr_inject_paced(fd, NRECS, HWERR_SEV_INFO));
	for (i = 0; i < NREADERS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &st, 0));
		EXPECT_TRUE(WIFEXITED(st));
		EXPECT_EQ(0, WEXITSTATUS(st));
	}
	close(fd);
}

TEST_HARNESS_MAIN
