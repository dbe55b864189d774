// SPDX-License-Identifier: GPL-2.0
/*
 * hwerr_bench: how fast an HA agent learns of a hardware error, and what
 * capture costs. Run in the test VM by `make bench`; prints figures, never fails
 * on them.
 *
 * 1. Error-to-agent latency. The same software-injected MCE (mce-inject debugfs)
 *    is watched at the same time through
 *      - /dev/hwerr (poll),
 *      - /dev/mcelog (poll; the legacy interface),
 *      - tracefs trace_pipe_raw of mce:mce_record, as rasdaemon reads it, once with
 *        the default buffer_percent (50) and once with buffer_percent 0 (what
 *        rasdaemon >= 0.8 writes),
 *    one thread each, all polling before the injection. Latency is from just
 *    before the injecting write() to the watcher's wake-up (CLOCK_MONOTONIC).
 *    The floor: an eventfd wake-up between two processes in the same VM.
 *    hwerr's own share: from the capture timestamp in the record to the reader
 *    running, printed as one line that can be compared across runs.
 * 2. Capture cost and throughput through the software-report path, from one CPU
 *    (debugfs hwerr/inject): the direct path (outside NMI) at full speed, and the
 *    NMI path (interrupts off until the slots run out); then whether the drop
 *    counters equal what a reader was told it missed.
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/hwerr.h>

#include "../../selftests/hwerr/hwerr_test.h"

#define SAMPLES 40
#define WAIT_NS 1000000000LL	/* give up on a channel after 1 s */
#define TRACEFS "/sys/kernel/tracing"
#define MAXCPU 64

enum { CH_HWERR, CH_MCELOG, CH_TRACE0, CH_TRACE50, NCH };
static const char *ch_name[NCH] = {
	"/dev/hwerr (poll)",
	"/dev/mcelog (poll)",
	"tracefs trace_pipe_raw, buffer_percent=0",
	"tracefs trace_pipe_raw, buffer_percent=50 (default)",
};

struct channel {
	struct pollfd fds[MAXCPU];
	int nfds;
	int64_t wake[SAMPLES];	/* ns, CLOCK_MONOTONIC; 0 = not seen */
	int64_t own[SAMPLES];	/* hwerr: record's capture time to wake-up, ns; 0 = none */
	volatile int cur;	/* sample index being waited for */
	int ok;
};

static struct channel ch[NCH];
static volatile int stop;
static char mcelog_buf[1 << 20];

static int64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/*
 * hwerr's own share of a sample: from the capture timestamp in the record
 * (hdr.boottime_ns, taken when hwerr's MCE notifier ran) to the reader running
 * (CLOCK_BOOTTIME right after poll() returned).
 */
static void drain_hwerr(struct channel *c, int fd, int64_t woke_boot)
{
	struct hwerr_record recs[16];
	ssize_t n;

	while ((n = read(fd, recs, sizeof(recs))) > 0) {
		if (c->cur >= 0 && c->cur < SAMPLES && !c->own[c->cur] &&
		    recs[0].hdr.source == HWERR_SRC_MCE)
			c->own[c->cur] = woke_boot - (int64_t)recs[0].hdr.boottime_ns;
	}
}

static void drain(int id, int fd)
{
	static __thread char buf[1 << 16];

	if (id == CH_MCELOG) {
		/* dev-mcelog wants one read of the whole buffer. */
		(void)!read(fd, mcelog_buf, sizeof(mcelog_buf));
		return;
	}
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void *watcher(void *arg)
{
	int id = (int)(intptr_t)arg, i;
	struct channel *c = &ch[id];

	while (!stop) {
		int n = poll(c->fds, c->nfds, 100);
		int64_t t = now_ns(), tb = clock_ns(CLOCK_BOOTTIME);

		if (n <= 0)
			continue;
		if (c->cur >= 0 && c->cur < SAMPLES && !c->wake[c->cur])
			c->wake[c->cur] = t;
		for (i = 0; i < c->nfds; i++) {
			if (!c->fds[i].revents)
				continue;
			if (id == CH_HWERR)
				drain_hwerr(c, c->fds[i].fd, tb);
			else
				drain(id, c->fds[i].fd);
		}
	}
	return NULL;
}

static int setup_trace(struct channel *c, const char *inst, const char *percent)
{
	char path[256];
	int cpu, ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	snprintf(path, sizeof(path), TRACEFS "/instances/%s", inst);
	rmdir(path);
	if (mkdir(path, 0755))
		return -errno;
	snprintf(path, sizeof(path), TRACEFS "/instances/%s/buffer_percent", inst);
	if (percent && write_str(path, percent))
		return -1;
	snprintf(path, sizeof(path), TRACEFS "/instances/%s/events/mce/mce_record/enable", inst);
	if (write_str(path, "1"))
		return -1;
	for (cpu = 0; cpu < ncpu && cpu < MAXCPU; cpu++) {
		snprintf(path, sizeof(path),
			 TRACEFS "/instances/%s/per_cpu/cpu%d/trace_pipe_raw", inst, cpu);
		c->fds[c->nfds].fd = open(path, O_RDONLY | O_NONBLOCK);
		c->fds[c->nfds].events = POLLIN;
		if (c->fds[c->nfds].fd < 0)
			return -errno;
		c->nfds++;
	}
	return 0;
}

static int mce_inject_one(int i)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "0x%llx", (1ULL << 63) | (1ULL << 60) | 0x9f | (unsigned long long)i << 16);
	return write_str("/sys/kernel/debug/mce-inject/flags", "sw\n") ?:
	       write_str("/sys/kernel/debug/mce-inject/cpu", "0") ?:
	       write_str("/sys/kernel/debug/mce-inject/status", buf) ?:
	       write_str("/sys/kernel/debug/mce-inject/addr", "0") ?:
	       write_str("/sys/kernel/debug/mce-inject/misc", "0") ?:
	       write_str("/sys/kernel/debug/mce-inject/bank", "1");
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* p50/p99 of @n samples (sorted in place), in microseconds. */
static void pct(int64_t *v, int n, double *p50, double *p99)
{
	qsort(v, n, sizeof(*v), cmp64);
	*p50 = n ? v[n / 2] / 1000.0 : 0;
	*p99 = n ? v[(n * 99 + 99) / 100 - 1] / 1000.0 : 0;
}

static void latency(void)
{
	int64_t t0[SAMPLES], lat[SAMPLES], floor_lat[SAMPLES];
	double p50[NCH], p99[NCH], f50, f99;
	pthread_t th[NCH];
	int id, i, n, efd, *shm;
	struct hwerr_filter f = { 1U << HWERR_SRC_MCE, (1U << HWERR_SEV_NR) - 1 };
	struct hwerr_seek s = { .whence = HWERR_SEEK_NEWEST };
	pid_t pid;

	ch[CH_HWERR].fds[0].fd = open(HWERR_DEV, O_RDONLY | O_NONBLOCK);
	ch[CH_HWERR].fds[0].events = POLLIN;
	ch[CH_HWERR].nfds = 1;
	ioctl(ch[CH_HWERR].fds[0].fd, HWERR_IOC_SET_FILTER, &f);
	ioctl(ch[CH_HWERR].fds[0].fd, HWERR_IOC_SEEK, &s);
	ch[CH_MCELOG].fds[0].fd = open("/dev/mcelog", O_RDONLY | O_NONBLOCK);
	ch[CH_MCELOG].fds[0].events = POLLIN;
	ch[CH_MCELOG].nfds = 1;
	ch[CH_TRACE0].ok = !setup_trace(&ch[CH_TRACE0], "hasys_bench0", "0");
	ch[CH_TRACE50].ok = !setup_trace(&ch[CH_TRACE50], "hasys_bench50", NULL);
	ch[CH_HWERR].ok = ch[CH_HWERR].fds[0].fd >= 0;
	ch[CH_MCELOG].ok = ch[CH_MCELOG].fds[0].fd >= 0;
	drain(CH_MCELOG, ch[CH_MCELOG].fds[0].fd);

	for (id = 0; id < NCH; id++) {
		ch[id].cur = -1;
		if (ch[id].ok)
			pthread_create(&th[id], NULL, watcher, (void *)(intptr_t)id);
	}
	usleep(200000);
	for (i = 0; i < SAMPLES; i++) {
		int64_t deadline;

		for (id = 0; id < NCH; id++)
			ch[id].cur = i;
		usleep(20000);	/* watchers back in poll() */
		t0[i] = now_ns();
		if (mce_inject_one(i)) {
			printf("mce-inject failed: %s\n", strerror(errno));
			break;
		}
		deadline = t0[i] + WAIT_NS;
		for (;;) {
			int all = 1;

			for (id = 0; id < NCH; id++)
				if (ch[id].ok && !ch[id].wake[i] && id != CH_TRACE50)
					all = 0;
			if ((all && (ch[CH_TRACE50].wake[i] || now_ns() > t0[i] + 200000000LL)) ||
			    now_ns() > deadline)
				break;
			usleep(1000);
		}
	}
	stop = 1;
	for (id = 0; id < NCH; id++)
		if (ch[id].ok)
			pthread_join(th[id], NULL);

	/* The floor: eventfd wake-up between two processes. */
	efd = eventfd(0, 0);
	shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid = fork();
	if (!pid) {
		for (i = 0; i < SAMPLES; i++) {
			uint64_t v;
			struct pollfd p = { .fd = efd, .events = POLLIN };

			poll(&p, 1, -1);
			((int64_t *)shm)[1 + i] = now_ns();
			(void)!read(efd, &v, 8);
		}
		_exit(0);
	}
	for (i = 0; i < SAMPLES; i++) {
		uint64_t one = 1;

		usleep(20000);
		((int64_t *)shm)[0] = now_ns();
		floor_lat[i] = ((int64_t *)shm)[0];
		(void)!write(efd, &one, 8);
		usleep(20000);
		floor_lat[i] = ((int64_t *)shm)[1 + i] - floor_lat[i];
	}
	waitpid(pid, NULL, 0);
	pct(floor_lat, SAMPLES, &f50, &f99);

	printf("== error-to-agent latency: %d software-injected MCEs (mce-inject), all watchers at once\n",
	       SAMPLES);
	printf("%-52s %8s %10s %10s %8s\n", "channel", "woken", "p50 (us)", "p99 (us)", "p50/hwerr");
	for (id = 0; id < NCH; id++) {
		for (i = 0, n = 0; i < SAMPLES; i++)
			if (ch[id].wake[i])
				lat[n++] = ch[id].wake[i] - t0[i];
		pct(lat, n, &p50[id], &p99[id]);
		if (!ch[id].ok)
			printf("%-52s unavailable\n", ch_name[id]);
		else if (!n)
			printf("%-52s %4d/%-3d %10s %10s %8s\n", ch_name[id], n, SAMPLES,
			       "never", "never", "-");
		else
			printf("%-52s %4d/%-3d %10.1f %10.1f %8.2f\n", ch_name[id], n, SAMPLES,
			       p50[id], p99[id], p50[CH_HWERR] ? p50[id] / p50[CH_HWERR] : 0);
	}
	printf("%-52s %4d/%-3d %10.1f %10.1f %8.2f\n", "floor: eventfd wake-up, two processes",
	       SAMPLES, SAMPLES, f50, f99, p50[CH_HWERR] ? f50 / p50[CH_HWERR] : 0);
	printf("(a watcher that is not woken within 1 s counts as never for that sample)\n");
	for (i = 0, n = 0; i < SAMPLES; i++)
		if (ch[CH_HWERR].own[i] > 0)
			lat[n++] = ch[CH_HWERR].own[i];
	pct(lat, n, &p50[CH_HWERR], &p99[CH_HWERR]);
	printf("hwerr own share (capture -> reader awake): p50 %.0f us, p99 %.0f us, "
	       "floor p50 %.0f us\n", p50[CH_HWERR], p99[CH_HWERR], f50);
	printf("(%d samples; own share / floor at p50: %.2f)\n\n", n,
	       f50 > 0 ? p50[CH_HWERR] / f50 : 0);
}

static void throughput(void)
{
	struct inject_result burst, sus, one;
	struct hwerr_stats before, after;
	unsigned long long lost = 0, sw = 0;
	int fd, n, i;
	static struct hwerr_record recs[4096];

	fd = hwerr_open_at(O_RDONLY | O_NONBLOCK, HWERR_SEEK_NEWEST);
	if (fd < 0 || hwerr_stats(fd, &before))
		return;
	/* Exactly one CPU's worth of slots, nothing dropped: the cost of an NMI capture. */
	hwerr_inject(read_num("/sys/module/hwerr/parameters/capture_slots"), HWERR_SEV_INFO, 1,
		     &one);
	usleep(300000);
	hwerr_inject(100000, HWERR_SEV_INFO, 1, &burst);
	usleep(300000);
	hwerr_inject(200000, HWERR_SEV_INFO, 0, &sus);
	usleep(300000);
	/* Read everything that is still in the log and count the lost notices. */
	hwerr_wait_logged(fd, before.next_seq + one.captured + burst.captured + sus.captured);
	usleep(200000);
	while ((n = hwerr_read_all(fd, recs, 4096)) > 0) {
		for (i = 0; i < n; i++) {
			if (recs[i].hdr.source == HWERR_SRC_LOST)
				lost += recs[i].u.lost.by_source[HWERR_SRC_SOFTWARE];
			else
				sw++;
		}
	}
	hwerr_stats(fd, &after);
	printf("== capture through the software-report path, one CPU (debugfs hwerr/inject)\n");
	printf("capture cost, direct path (outside NMI: straight into the log, readers woken): "
	       "%.0f ns per record, %.0f records/s\n",
	       sus.requested ? (double)sus.ns / sus.requested : 0.0,
	       sus.requested / (sus.ns / 1e9));
	printf("capture cost, NMI path (slot + llist, interrupts off): %llu reports, %llu "
	       "captured, %.0f ns per captured record\n", one.requested, one.captured,
	       one.captured ? (double)one.ns / one.captured : 0.0);
	printf("NMI storm, interrupts off: %llu captured before the first drop (index %lld), "
	       "%.0f ns per report, drops included (%llu reports in %.3f ms)\n",
	       burst.captured, burst.first_drop,
	       (double)burst.ns / burst.requested, burst.requested, burst.ns / 1e6);
	printf("sustained, direct path: %llu reports in %.3f ms: %.0f reports/s, "
	       "%llu captured (%.0f/s), %llu dropped, first drop at report %lld (%.3f ms in)\n",
	       sus.requested, sus.ns / 1e6, sus.requested / (sus.ns / 1e9), sus.captured,
	       sus.captured / (sus.ns / 1e9), sus.dropped, sus.first_drop,
	       sus.first_drop >= 0 ? (double)sus.ns * sus.first_drop / sus.requested / 1e6 : 0.0);
	{
		unsigned long long dropped = after.source[HWERR_SRC_SOFTWARE].dropped -
					     before.source[HWERR_SRC_SOFTWARE].dropped;
		unsigned long long injected_dropped = one.dropped + burst.dropped + sus.dropped;
		unsigned long long captured = one.captured + burst.captured + sus.captured;

		printf("drop accounting: injector saw %llu dropped, counters say %llu, a reader "
		       "was told in-band of %llu lost and read %llu of %llu captured "
		       "(overrun %llu): %s\n",
		       injected_dropped, dropped, lost, sw, captured,
		       (unsigned long long)after.reader_missed,
		       dropped == injected_dropped && lost == dropped &&
		       sw == captured ? "exact" : "MISMATCH");
	}
	close(fd);
}

/*
 * Loads hwerr with a log that keeps every record the benchmark makes, and storm
 * coalescing off: every injected report is distinct anyway, and the throughput
 * figures are those of the capture path itself, not of the rate bound.
 */
static int load_big(void)
{
	hwerr_unload();
	return hasys_insmod("hwerr/hwerr.ko", "log_records=524288 storm_window_ms=0");
}

int main(void)
{
	int ret = load_big();

	if (ret) {
		printf("cannot load hwerr: %s\n", strerror(-ret));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	latency();
	throughput();
	return 0;
}
