// SPDX-License-Identifier: GPL-2.0
/*
 * cluster_bench: the timing helper of bench.sh (cluster_msg side by side with
 * corosync, in the two test VMs of `make bench`). Every time is CLOCK_BOOTTIME of
 * the node it runs on (hwerr's records carry the same clock); nothing compares the
 * two nodes' clocks. Figures only, never pass/fail: an exit status other than 0
 * means a measurement could not be made (a timeout, a missing file).
 *
 *   cluster_bench detect <sync-dir> <node> <peer-id> <peer-mac> <timeout-ms>
 *	Silent failure (run on B): asks the host to stop <node> (QEMU monitor, the
 *	file <sync-dir>/req-stop-<node>, as node.sh does), then waits until both
 *	cluster_msg (a down record for <peer-id> on /dev/hwerr) and corosync
 *	(runtime.members.<peer-id>.status no longer "joined") dropped it. The
 *	reference is the last frame this node received from <peer-mac> (its kernel
 *	receive timestamp): the stopped node's last word on the wire. Prints one line
 *	of key=value (ms).
 *   cluster_bench gasp <port> <peer-id> <peer-mac> <count> <ready-file> <ack-prefix> <timeout-ms> [cs]
 *	Dying gasps (run on B), <count> of them: an agent blocked in poll() on
 *	/dev/hwerr and on a UDP socket bound to <port>. For each sample the peer sends
 *	a "T0" datagram to <port> just before it makes itself die (cluster_bench send);
 *	the agent notes the datagram's receive time, then the peer's dying (or down)
 *	record: when hwerr captured it and when poll() woke the agent. With "cs", it
 *	then waits until corosync dropped the peer too. After each sample it waits
 *	until the peer is up again and creates <ack-prefix><n> (unless <ack-prefix>
 *	is "-"). <ready-file> is created once the agent is in poll(). Records
 *	captured before T0 arrived are ignored; a down record after T0 is noted and
 *	the dying record still waited for (GASP_WAIT_MS): without one, the sample is
 *	the down (state=down:timeout, down_ms). It also notes the last frame from
 *	<peer-mac> (how long the peer had been silent on the wire). One line per
 *	sample, and a note line for anything unusual.
 *   cluster_bench send <ip> <port>[,<port>...] <message> <file> <data>
 *	Opens <file>, sends <message> to <ip>:<port> over UDP (to each port in turn,
 *	when there are several: one T0 for each listener), waits until the kernel
 *	says the datagram was handed to the NIC's driver (a software transmit
 *	timestamp; at most 200 ms each), then writes <data> to <file>
 *	(/proc/sysrq-trigger "c", or hwerr's debugfs inject "1 4"): the T0 datagram
 *	leaves just before the trigger, with no fork or exec in between. Without the
 *	wait, a T0 held back in the qdisc (its queue stopped until the next transmit
 *	completion) would never leave a kernel that panics right after.
 *   cluster_bench cs-wait <peer-id> joined|gone <timeout-ms>
 *	Waits until corosync on this node has <peer-id> as a member (joined) or not
 *	(gone); prints the ms it took.
 *
 * corosync is read through its own client library, libcmap (what corosync-cmapctl
 * uses), loaded with dlopen() so that no development package is needed: the key
 * runtime.members.<id>.status, read every CS_POLL_MS.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/net_tstamp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/hwerr.h>

#define CS_POLL_MS	10
#define GASP_WAIT_MS	5000	/* after T0, for the dying record */
#define MAX_COUNT	1000

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double ms(int64_t ns)
{
	return ns / 1e6;
}

/* A kernel receive timestamp (CLOCK_REALTIME) on this node's CLOCK_BOOTTIME. */
static int64_t real_to_boot(const struct timespec *rt)
{
	struct timespec r, b;

	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_BOOTTIME, &b);
	return (rt->tv_sec - r.tv_sec + b.tv_sec) * 1000000000LL + rt->tv_nsec - r.tv_nsec +
	       b.tv_nsec;
}

static int fail(const char *what)
{
	fprintf(stderr, "cluster_bench: %s: %s\n", what, strerror(errno));
	return 1;
}

/* --- corosync, through libcmap ------------------------------------------------ */

typedef uint64_t cmap_handle_t;
#define CS_OK		 1
#define CS_ERR_TRY_AGAIN 6
#define CS_ERR_NOT_EXIST 12

static int (*cmap_init)(cmap_handle_t *);
static int (*cmap_get_str)(cmap_handle_t, const char *, char **);
static cmap_handle_t cmap;
static int cmap_ok;

/* Connects to corosync; @quiet: say nothing if it is not there (yet). */
static int cs_open(int quiet)
{
	static void *lib;
	int r;

	if (!lib) {
		lib = dlopen("libcmap.so.4", RTLD_NOW);
		if (!lib) {
			fprintf(stderr, "cluster_bench: %s\n", dlerror());
			return -1;
		}
		cmap_init = (int (*)(cmap_handle_t *))dlsym(lib, "cmap_initialize");
		cmap_get_str = (int (*)(cmap_handle_t, const char *, char **))dlsym(lib,
										"cmap_get_string");
	}
	if (!cmap_init || !cmap_get_str) {
		fprintf(stderr, "cluster_bench: libcmap: no cmap_initialize/cmap_get_string\n");
		return -1;
	}
	r = cmap_init(&cmap);
	if (r != CS_OK) {
		if (!quiet)
			fprintf(stderr, "cluster_bench: cmap_initialize: error %d (is corosync running?)\n", r);
		return -1;
	}
	cmap_ok = 1;
	return 0;
}

/* 1: corosync has @id as a member, 0: it does not, -1: no answer this time. */
static int cs_member(unsigned int id)
{
	char key[64], *s = NULL;
	int r, joined;

	if (!cmap_ok)
		return -1;
	snprintf(key, sizeof(key), "runtime.members.%u.status", id);
	r = cmap_get_str(cmap, key, &s);
	if (r == CS_ERR_NOT_EXIST)
		return 0;
	if (r != CS_OK)
		return -1;
	joined = !strcmp(s, "joined");
	free(s);
	return joined;
}

/* --- /dev/hwerr ---------------------------------------------------------------- */

/* /dev/hwerr from now on, cluster_msg's records only, non-blocking. */
static int hwerr_open_cluster(void)
{
	struct hwerr_seek seek = { .whence = HWERR_SEEK_NEWEST };
	struct hwerr_filter f = {
		.source_mask = 1U << HWERR_SRC_CLUSTER,
		.severity_mask = (1U << HWERR_SEV_NR) - 1,
	};
	int fd = open("/dev/hwerr", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (ioctl(fd, HWERR_IOC_SEEK, &seek) || ioctl(fd, HWERR_IOC_SET_FILTER, &f)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The next record about peer @peer (read up to it), or 0 if none is waiting. */
static int next_peer_record(int fd, unsigned int peer, struct hwerr_record *out)
{
	struct hwerr_record r;

	while (read(fd, &r, sizeof(r)) == sizeof(r)) {
		if (r.hdr.source == HWERR_SRC_CLUSTER && r.u.cl.event == HWERR_CL_PEER &&
		    r.u.cl.node == peer) {
			*out = r;
			return 1;
		}
	}
	return 0;
}

static const char *const state_names[] = {
	[HWERR_CL_DOWN] = "down", [HWERR_CL_JOINING] = "joining", [HWERR_CL_UP] = "up",
	[HWERR_CL_SUSPECT] = "suspect", [HWERR_CL_DYING] = "dying", [HWERR_CL_LEFT] = "left",
	[HWERR_CL_HANDOFF] = "handoff",
};

static const char *const reason_names[] = {
	[HWERR_CL_R_NONE] = "none", [HWERR_CL_R_PANIC] = "panic", [HWERR_CL_R_OOPS] = "oops",
	[HWERR_CL_R_HW_FATAL] = "hw-fatal", [HWERR_CL_R_KEXEC] = "kexec",
	[HWERR_CL_R_SHUTDOWN] = "shutdown", [HWERR_CL_R_OVERLOAD] = "overload",
	[HWERR_CL_R_HANDOFF] = "handoff", [HWERR_CL_R_TIMEOUT] = "timeout",
	[HWERR_CL_R_ADMIN] = "admin", [HWERR_CL_R_KDUMP] = "kdump",
	[HWERR_CL_R_DUMPED] = "dumped",
};

static const char *state_name(unsigned int s)
{
	return s < HWERR_CL_STATE_NR ? state_names[s] : "?";
}

static const char *reason_name(unsigned int r)
{
	return r < HWERR_CL_R_NR ? reason_names[r] : "?";
}

/* --- detect ---------------------------------------------------------------------- */

static int parse_mac(const char *s, unsigned char mac[6])
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
		      &mac[4], &mac[5]) == 6 ? 0 : -1;
}

/* Reads every waiting frame; *@last: receive time of the last one from @mac. */
static void drain_frames(int fd, const unsigned char mac[6], int64_t *last)
{
	unsigned char buf[2048], cbuf[256];

	for (;;) {
		struct sockaddr_ll sll;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = {
			.msg_name = &sll, .msg_namelen = sizeof(sll), .msg_iov = &iov,
			.msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		struct cmsghdr *c;
		int64_t t = 0;

		if (recvmsg(fd, &m, MSG_DONTWAIT) < 0)
			return;
		if (sll.sll_pkttype == PACKET_OUTGOING || sll.sll_halen != 6 ||
		    memcmp(sll.sll_addr, mac, 6))
			continue;
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS)
				t = real_to_boot((struct timespec *)CMSG_DATA(c));
		*last = t ? t : now_ns();
	}
}

static int cmd_detect(int argc, char **argv)
{
	const char *sync = argv[2], *node = argv[3];
	unsigned int peer = strtoul(argv[4], NULL, 0);
	int64_t timeout = strtoll(argv[6], NULL, 0) * 1000000LL;
	int64_t t_req, t_done = 0, t_last = 0, t_suspect = 0, t_cm = 0, t_cm_rec = 0, t_cs = 0;
	int64_t next_cs = 0, ref;
	unsigned int silent = 0;
	char req[512], done[512], failed[512];
	unsigned char mac[6];
	int pfd, hfd, one = 1, cs_start;
	struct hwerr_record r;

	if (argc != 7 || parse_mac(argv[5], mac))
		return fprintf(stderr, "usage: detect <sync> <node> <peer-id> <peer-mac> <timeout-ms>\n"), 2;
	pfd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK, htons(ETH_P_ALL));
	if (pfd < 0)
		return fail("AF_PACKET socket");
	if (setsockopt(pfd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)))
		return fail("SO_TIMESTAMPNS");
	hfd = hwerr_open_cluster();
	if (hfd < 0)
		return fail("/dev/hwerr");
	cs_open(0);
	cs_start = cs_member(peer);
	snprintf(req, sizeof(req), "%s/req-stop-%s", sync, node);
	snprintf(done, sizeof(done), "%s/done-stop-%s", sync, node);
	snprintf(failed, sizeof(failed), "%s/failed-stop-%s", sync, node);
	unlink(done);
	drain_frames(pfd, mac, &t_last);
	t_req = now_ns();
	close(open(req, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
	while ((!t_cm || (!t_cs && cmap_ok)) && now_ns() - t_req < timeout) {
		struct pollfd p[2] = { { pfd, POLLIN, 0 }, { hfd, POLLIN | POLLPRI, 0 } };

		poll(p, 2, CS_POLL_MS);
		drain_frames(pfd, mac, &t_last);
		while (next_peer_record(hfd, peer, &r)) {
			if (r.u.cl.state == HWERR_CL_SUSPECT && !t_suspect) {
				t_suspect = r.hdr.boottime_ns;
			} else if (r.u.cl.state == HWERR_CL_DOWN && !t_cm) {
				t_cm = now_ns();
				t_cm_rec = r.hdr.boottime_ns;
				silent = r.u.cl.silent_ms;
			}
		}
		if (!t_done) {
			struct stat st;

			if (!stat(done, &st))
				t_done = now_ns();
			else if (!stat(failed, &st))
				return fprintf(stderr, "cluster_bench: the host could not stop %s\n", node), 1;
		}
		if (!t_cs && cmap_ok && now_ns() >= next_cs) {
			next_cs = now_ns() + CS_POLL_MS * 1000000LL;
			if (cs_member(peer) == 0)
				t_cs = now_ns();
		}
	}
	/* The stopped node's last frame; without one, the host's confirmation. */
	ref = t_last > t_req - 2000000000LL ? t_last : t_done;
	printf("detect ref=%s req_to_stopped_ms=%.1f last_frame_to_stopped_ms=%.1f",
	       ref == t_last ? "last-frame" : "host-stopped", t_done ? ms(t_done - t_req) : -1.0,
	       t_done && t_last ? ms(t_done - t_last) : -1.0);
	printf(" cm_suspect_ms=%.1f cm_down_ms=%.1f cm_woke_ms=%.1f cm_silent_ms=%u",
	       t_suspect ? ms(t_suspect - ref) : -1.0, t_cm ? ms(t_cm_rec - ref) : -1.0,
	       t_cm ? ms(t_cm - ref) : -1.0, silent);
	printf(" cs_ms=%.1f cs_member_before=%d\n", t_cs ? ms(t_cs - ref) : -1.0, cs_start);
	return t_cm && t_done && (t_cs || !cmap_ok) ? 0 : 1;
}

/* --- gasp ---------------------------------------------------------------------- */

/* The receive time of one waiting datagram on @fd (0 if none); its text in @msg. */
static int64_t recv_t0(int fd, char *msg, size_t len)
{
	char cbuf[256];
	struct iovec iov = { msg, len - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);
	int64_t t = 0;

	if (n < 0)
		return 0;
	msg[n] = 0;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS)
			t = real_to_boot((struct timespec *)CMSG_DATA(c));
	return t ? t : now_ns();
}

static int cmd_gasp(int argc, char **argv)
{
	int port = atoi(argv[2]), count = atoi(argv[5]), one = 1, ufd, hfd, pfd, i, ok = 0;
	unsigned int peer = strtoul(argv[3], NULL, 0);
	const char *ready = argv[6], *ack = argv[7];
	int64_t timeout = strtoll(argv[8], NULL, 0) * 1000000LL;
	int with_cs = argc > 9 && !strcmp(argv[9], "cs");
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct hwerr_record r;
	unsigned char mac[6];

	if (argc < 9 || count < 1 || count > MAX_COUNT || parse_mac(argv[4], mac))
		return fprintf(stderr, "usage: gasp <port> <peer-id> <peer-mac> <count> <ready> <ack-prefix> <timeout-ms> [cs]\n"), 2;
	ufd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ufd < 0 || setsockopt(ufd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) ||
	    bind(ufd, (struct sockaddr *)&a, sizeof(a)))
		return fail("UDP socket");
	pfd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK, htons(ETH_P_ALL));
	if (pfd < 0 || setsockopt(pfd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)))
		return fail("AF_PACKET socket");
	hfd = hwerr_open_cluster();
	if (hfd < 0)
		return fail("/dev/hwerr");
	if (with_cs && cs_open(0))
		with_cs = 0;
	close(open(ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
	for (i = 1; i <= count; i++) {
		int64_t t0 = 0, t_rec = 0, t_woke = 0, t_cs = 0, t_frame = 0, t_down = 0;
		int64_t start = now_ns();
		char msg[64] = "";
		unsigned int state = 0, reason = 0, silent = 0, stale = 0;

		/*
		 * The T0 datagram, then the peer's dying record. Records captured before
		 * T0 arrived are not this sample's (a false down under load, say). A down
		 * after T0 is noted, and the dying record still waited for, GASP_WAIT_MS
		 * after T0 at most: then the sample is that down (the gasp was lost).
		 */
		while (!t_rec && now_ns() - start < timeout &&
		       !(t0 && now_ns() - t0 > GASP_WAIT_MS * 1000000LL)) {
			struct pollfd p[3] = { { ufd, POLLIN, 0 }, { hfd, POLLIN | POLLPRI, 0 },
					       { pfd, POLLIN, 0 } };

			if (poll(p, 3, 100) < 0)
				continue;
			if (!t0)
				t0 = recv_t0(ufd, msg, sizeof(msg));
			else
				recv_t0(ufd, (char[64]){ 0 }, 64); /* a stray repeat */
			while (!t_rec && next_peer_record(hfd, peer, &r)) {
				if (!t0) /* T0 may be right behind, read in the same wake-up */
					t0 = recv_t0(ufd, msg, sizeof(msg));
				if (!t0 || (int64_t)r.hdr.boottime_ns < t0) {
					stale++;
					continue;
				}
				if (r.u.cl.state == HWERR_CL_DOWN && !t_down) {
					t_down = r.hdr.boottime_ns;
					silent = r.u.cl.silent_ms;
				}
				if (r.u.cl.state != HWERR_CL_DYING)
					continue;
				t_woke = now_ns();
				t_rec = r.hdr.boottime_ns;
				state = r.u.cl.state;
				reason = r.u.cl.reason;
			}
			if (!t_rec)
				drain_frames(pfd, mac, &t_frame);
		}
		drain_frames(pfd, mac, &(int64_t){ 0 });
		if (!t0 || (!t_rec && !t_down)) {
			printf("gasp sample=%d timeout t0=%s no dying or down record after it"
			       " (%u before it; last frame from the peer %.1f ms before the end)\n",
			       i, t0 ? "yes" : "no", stale, t_frame ? ms(now_ns() - t_frame) : -1.0);
			fflush(stdout);
			break;
		}
		if (!t_rec)
			printf("gasp sample=%d no gasp within %d ms of T0: down after %.1f ms (silent %u ms)"
			       "; last frame from the peer %.1f ms after T0\n", i, GASP_WAIT_MS,
			       ms(t_down - t0), silent, t_frame ? ms(t_frame - t0) : -1.0);
		if (stale || t_down)
			printf("gasp sample=%d note: %u record(s) from before T0 ignored%s\n", i, stale,
			       t_down ? "; a down record came between T0 and the gasp" : "");
		while (with_cs && !t_cs && now_ns() - start < timeout) {
			if (cs_member(peer) == 0)
				t_cs = now_ns();
			else
				usleep(CS_POLL_MS * 1000);
		}
		if (t_rec) {
			printf("gasp sample=%d msg=%s state=%s:%s record_ms=%.2f woke_ms=%.2f cs_ms=%.1f\n",
			       i, msg, state_name(state), reason_name(reason), ms(t_rec - t0),
			       ms(t_woke - t0), t_cs ? ms(t_cs - t0) : -1.0);
			ok++;
		} else {
			printf("gasp sample=%d msg=%s state=down:timeout down_ms=%.2f cs_ms=%.1f\n", i,
			       msg, ms(t_down - t0), t_cs ? ms(t_cs - t0) : -1.0);
		}
		fflush(stdout);
		if (!strcmp(ack, "-"))
			continue;
		/* Back up before the next sample: then acknowledge it to the peer. */
		start = now_ns();
		state = HWERR_CL_DOWN;
		while (state != HWERR_CL_UP && now_ns() - start < timeout) {
			struct pollfd p = { hfd, POLLIN | POLLPRI, 0 };

			poll(&p, 1, 1000);
			while (state != HWERR_CL_UP && next_peer_record(hfd, peer, &r))
				state = r.u.cl.state;
		}
		drain_frames(pfd, mac, &(int64_t){ 0 });
		if (state != HWERR_CL_UP) {
			printf("gasp sample=%d peer not up again within %lld ms\n", i,
			       (long long)(timeout / 1000000));
			break;
		}
		{
			char path[512];

			snprintf(path, sizeof(path), "%s%d", ack, i);
			close(open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
		}
	}
	return ok == count ? 0 : 1;
}

/* --- send ---------------------------------------------------------------------- */

/* Waits until @s's last datagram was handed to the driver (its TX timestamp). */
static int64_t wait_tx_stamp(int s, int ms)
{
	int64_t start = now_ns();

	while (now_ns() - start < ms * 1000000LL) {
		struct pollfd p = { s, 0, 0 };	/* POLLERR: the error queue */
		char data[64], cbuf[512];
		struct iovec iov = { data, sizeof(data) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };

		if (poll(&p, 1, 1) > 0 && recvmsg(s, &m, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0)
			return now_ns() - start;
	}
	return -1;
}

static int cmd_send(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
		    SOF_TIMESTAMPING_OPT_TSONLY;
	const char *port;
	int s, fd;
	size_t len;

	if (argc != 7 || inet_pton(AF_INET, argv[2], &a.sin_addr) != 1)
		return fprintf(stderr, "usage: send <ip> <port>[,<port>...] <message> <file> <data>\n"), 2;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)))
		return fail("UDP socket");
	fd = open(argv[5], O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(argv[5]);
	for (port = argv[3]; port; port = strchr(port, ',') ? strchr(port, ',') + 1 : NULL) {
		int64_t waited;
		int p = atoi(port);

		if (p <= 0 || p > 65535)
			return fprintf(stderr, "cluster_bench: bad port in %s\n", argv[3]), 2;
		a.sin_port = htons(p);
		if (sendto(s, argv[4], strlen(argv[4]), 0, (struct sockaddr *)&a, sizeof(a)) < 0)
			return fail("sendto");
		waited = wait_tx_stamp(s, 200);
		if (waited < 0 || waited > 1000000)
			fprintf(stderr, "cluster_bench: %s to port %d reached the driver %s%.1f ms\n",
				argv[4], p, waited < 0 ? "not within " : "after ",
				waited < 0 ? 200.0 : ms(waited));
	}
	len = strlen(argv[6]);
	if (write(fd, argv[6], len) != (ssize_t)len)
		return fail(argv[5]);
	close(fd);
	close(s);
	return 0;
}

/* --- cs-wait --------------------------------------------------------------------- */

static int cmd_cs_wait(int argc, char **argv)
{
	unsigned int peer = strtoul(argv[2], NULL, 0);
	int want = !strcmp(argv[3], "joined");
	int64_t timeout = strtoll(argv[4], NULL, 0) * 1000000LL, start = now_ns();
	int last = -1;

	if (argc != 5 || (!want && strcmp(argv[3], "gone")))
		return fprintf(stderr, "usage: cs-wait <peer-id> joined|gone <timeout-ms>\n"), 2;
	while (now_ns() - start < timeout) {
		if (!cmap_ok)
			cs_open(1); /* corosync may still be starting */
		last = cs_member(peer);
		if (last == want) {
			printf("%.0f\n", ms(now_ns() - start));
			return 0;
		}
		usleep(cmap_ok ? 20000 : 500000);
	}
	fprintf(stderr, "cluster_bench: corosync: node %u not %s within %lld ms (%s)\n", peer,
		argv[3], (long long)(timeout / 1000000),
		last < 0 ? "no answer from corosync" : last ? "a member" : "not a member");
	return 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 7 && !strcmp(argv[1], "detect"))
		return cmd_detect(argc, argv);
	if (argc >= 9 && !strcmp(argv[1], "gasp"))
		return cmd_gasp(argc, argv);
	if (argc >= 7 && !strcmp(argv[1], "send"))
		return cmd_send(argc, argv);
	if (argc >= 5 && !strcmp(argv[1], "cs-wait"))
		return cmd_cs_wait(argc, argv);
	fprintf(stderr, "usage: cluster_bench detect|gasp|send|cs-wait ... (see the source)\n");
	return 2;
}
