// SPDX-License-Identifier: GPL-2.0
/*
 * cluster_pkt: bad input and load for cluster_msg, from a peer's userspace.
 *
 *   cluster_pkt bad <dst-ip> <port> <mutations> <rate-pps>
 *	Captures two of this node's own kernel heartbeats to <dst-ip>:<port> (an
 *	AF_PACKET socket sees outgoing frames), then sends to that address from a
 *	UDP socket: truncated, oversized, bad magic, bad version, wrong cluster and
 *	forged (tag changed) variants of them, the two captured packets again in
 *	reverse order (replayed and reordered), and <mutations> randomly mutated
 *	copies (byte flips, cuts, extensions, splices) at <rate-pps>. Every one of
 *	them must be rejected by the receiver. Prints "sent N" and per-class lines.
 *   cluster_pkt flood <dst-ip> <port> <seconds>
 *	Sends 1200-byte datagrams to <dst-ip>:<port> as fast as it can for
 *	<seconds> (network load for the no-false-positive test). Prints "sent N".
 *   cluster_pkt gasp-capture <dst-ip> <port> <file>
 *	Prints "ready" once it listens, then captures the first dying gasp this
 *	node's kernel sends to <dst-ip>:<port> and writes its UDP payload to <file>
 *	(for gasp-fake's replay).
 *   cluster_pkt gasp-fake <dst-ip> <port> <file>
 *	Notices a fence agent must not believe, sent to <dst-ip>:<port> three times
 *	each: forged gasps and forged dumping notices (one of this node's current
 *	heartbeats made a panic gasp, or a kdump notice, with the next sequence
 *	numbers; the tag cannot be right) and the gasp in <file> replayed. Prints
 *	"forged N", "replayed N" and "sent N".
 *
 * Bounded in time: the capture waits at most 10 s, every loop has a count or a
 * deadline. Exit 0 on success, 1 on error (with a message on stderr).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HDR_LEN		88	/* wire.rs HEADER_LEN */
#define TAG_LEN		32
#define MAX_PACKET	376
#define PKT_BUF		2048
#define T_HEARTBEAT	1	/* wire.rs message types */
#define T_GASP		3
#define T_DUMPING	4
#define R_PANIC		1	/* CL_R_PANIC */
#define R_KDUMP		10	/* CL_R_KDUMP */

struct pkt {
	size_t len;
	unsigned char b[PKT_BUF];
};

static uint64_t xs = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	xs ^= xs << 13;
	xs ^= xs >> 7;
	xs ^= xs << 17;
	return xs;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int die(const char *what)
{
	fprintf(stderr, "cluster_pkt: %s: %s\n", what, strerror(errno));
	return 1;
}

/* capture() prints "ready" once its socket sees frames (gasp-capture's caller waits). */
static int announce_ready;

/* The first n UDP payloads of msg_type this node sends to dst:port, as they leave. */
static int capture(struct in_addr dst, int port, unsigned char msg_type, struct pkt *out, int n)
{
	unsigned char frame[PKT_BUF];
	double end = now() + 10;
	int fd, got = 0;

	/* ETH_P_ALL: taps for one protocol do not see outgoing frames. */
	fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL));
	if (fd < 0)
		return die("AF_PACKET socket");
	if (announce_ready) {
		printf("ready\n");
		fflush(stdout);
	}
	while (got < n && now() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		struct iphdr *ip = (struct iphdr *)frame;
		struct udphdr *uh;
		ssize_t len;

		if (poll(&p, 1, 200) <= 0)
			continue;
		len = recvfrom(fd, frame, sizeof(frame), 0, (struct sockaddr *)&sll, &sl);
		if (len < (ssize_t)(sizeof(*ip) + sizeof(*uh)) || sll.sll_pkttype != PACKET_OUTGOING ||
		    sll.sll_protocol != htons(ETH_P_IP))
			continue;
		if (ip->protocol != IPPROTO_UDP || ip->daddr != dst.s_addr)
			continue;
		uh = (struct udphdr *)(frame + ip->ihl * 4);
		if (ntohs(uh->dest) != port)
			continue;
		len -= ip->ihl * 4 + sizeof(*uh);
		if (len < HDR_LEN + TAG_LEN || len > MAX_PACKET)
			continue;
		/* Only the type asked for: a LEAVE among heartbeats would be another test. */
		if (((unsigned char *)(uh + 1))[5] != msg_type)
			continue;
		memcpy(out[got].b, uh + 1, len);
		out[got].len = len;
		got++;
	}
	close(fd);
	if (got < n) {
		fprintf(stderr, "cluster_pkt: captured %d of %d packets of type %u in 10 s\n", got,
			n, msg_type);
		return 1;
	}
	return 0;
}

static long sent;

static void send_pkt(int fd, const struct sockaddr_in *to, const struct pkt *p)
{
	if (sendto(fd, p->b, p->len, 0, (const struct sockaddr *)to, sizeof(*to)) >= 0)
		sent++;
	else if (errno != ENOBUFS && errno != EAGAIN)
		die("sendto");
}

static void mutate(struct pkt *p, const struct pkt *orig, const struct pkt *other)
{
	int k, flips;

	*p = *orig;
	switch (rnd() % 5) {
	case 0: /* cut */
		p->len = rnd() % orig->len;
		break;
	case 1: /* extend */
		p->len = orig->len + 1 + rnd() % 600;
		for (k = orig->len; k < p->len; k++)
			p->b[k] = rnd();
		break;
	case 2: /* splice the other packet's tail in */
		k = rnd() % orig->len;
		memcpy(p->b + k, other->b + k, other->len > k ? other->len - k : 0);
		p->len = other->len;
		break;
	default: /* flip 1 to 4 bytes */
		flips = 1 + rnd() % 4;
		for (k = 0; k < flips; k++)
			p->b[rnd() % p->len] ^= 1 + rnd() % 255;
		break;
	}
}

static int bad(struct in_addr dst, int port, long mutations, long rate)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = dst };
	struct pkt cap[2], p;
	long classes[8] = { 0 };
	double t0;
	int fd, i;

	if (capture(dst, port, T_HEARTBEAT, cap, 2))
		return 1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return die("UDP socket");

	/* 0: truncated, at several lengths below the minimum. */
	for (i = 0; i < 4; i++) {
		p = cap[0];
		p.len = (size_t[]){ 0, 1, HDR_LEN, HDR_LEN + TAG_LEN - 1 }[i];
		send_pkt(fd, &to, &p), classes[0]++;
	}
	/* 1: oversized. */
	p = cap[0];
	memset(p.b + p.len, 0, 700);
	p.len += 700;
	send_pkt(fd, &to, &p), classes[1]++;
	/* 2: bad magic, 3: bad version. */
	p = cap[0];
	p.b[0] ^= 0xff;
	send_pkt(fd, &to, &p), classes[2]++;
	p = cap[0];
	p.b[4] = 2;
	send_pkt(fd, &to, &p), classes[3]++;
	/* 4: wrong cluster (bytes 8..11). */
	p = cap[0];
	p.b[8] ^= 0x5a;
	send_pkt(fd, &to, &p), classes[4]++;
	/* 5: forged: a fresh sequence number, and a tag that is not the key's. */
	p = cap[1];
	p.b[51]++;
	send_pkt(fd, &to, &p), classes[5]++;
	p = cap[1];
	for (i = 0; i < TAG_LEN; i++)
		p.b[p.len - TAG_LEN + i] = rnd();
	send_pkt(fd, &to, &p), classes[5]++;
	/* 6: replayed, newest first (also reordered). */
	send_pkt(fd, &to, &cap[1]), classes[6]++;
	send_pkt(fd, &to, &cap[0]), classes[6]++;
	/* 7: mutations, paced. */
	t0 = now();
	for (i = 0; i < mutations; i++) {
		mutate(&p, &cap[i & 1], &cap[!(i & 1)]);
		send_pkt(fd, &to, &p), classes[7]++;
		while (now() < t0 + (double)(i + 1) / rate)
			usleep(200);
	}
	close(fd);
	printf("truncated %ld\noversized %ld\nbad_magic %ld\nbad_version %ld\n"
	       "wrong_cluster %ld\nforged %ld\nreplayed %ld\nmutated %ld\nsent %ld\n",
	       classes[0], classes[1], classes[2], classes[3], classes[4], classes[5],
	       classes[6], classes[7], sent);
	return 0;
}

static int flood(struct in_addr dst, int port, double seconds)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = dst };
	double end = now() + seconds;
	struct pkt p = { .len = 1200 };
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return die("UDP socket");
	while (now() < end)
		send_pkt(fd, &to, &p);
	close(fd);
	printf("sent %ld\n", sent);
	return 0;
}

static int gasp_capture(struct in_addr dst, int port, const char *file)
{
	struct pkt g;
	FILE *f;

	announce_ready = 1;
	if (capture(dst, port, T_GASP, &g, 1))
		return 1;
	f = fopen(file, "w");
	if (!f)
		return die(file);
	if (fwrite(g.b, 1, g.len, f) != g.len) {
		fclose(f);
		return die(file);
	}
	if (fclose(f))
		return die(file);
	printf("captured %zu\n", g.len);
	return 0;
}

static int gasp_fake(struct in_addr dst, int port, const char *file)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = dst };
	static const unsigned char kinds[2][2] = { { T_GASP, R_PANIC }, { T_DUMPING, R_KDUMP } };
	struct pkt hb, forged, old = { 0 };
	long n_forged = 0, n_replayed = 0;
	FILE *f;
	int fd, i;

	f = fopen(file, "r");
	if (!f)
		return die(file);
	old.len = fread(old.b, 1, MAX_PACKET + 1, f);
	fclose(f);
	if (old.len < HDR_LEN + TAG_LEN || old.len > MAX_PACKET || old.b[5] != T_GASP) {
		fprintf(stderr, "cluster_pkt: %s does not hold a gasp\n", file);
		return 1;
	}
	if (capture(dst, port, T_HEARTBEAT, &hb, 1))
		return 1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return die("UDP socket");
	/*
	 * The current incarnation's next sequence numbers, as a gasp for a panic and
	 * as a kdump notice: everything they need but the key.
	 */
	for (int kind = 0; kind < 2; kind++) {
		forged = hb;
		forged.b[5] = kinds[kind][0];
		forged.b[6] = kinds[kind][1];
		forged.b[80] = forged.b[81] = 0; /* flags */
		for (i = 0; i < 3; i++) {
			forged.b[51] += 1 + i;
			for (int k = 0; k < TAG_LEN; k++)
				forged.b[forged.len - TAG_LEN + k] = rnd();
			send_pkt(fd, &to, &forged), n_forged++;
		}
	}
	for (i = 0; i < 3; i++)
		send_pkt(fd, &to, &old), n_replayed++;
	close(fd);
	printf("forged %ld\nreplayed %ld\nsent %ld\n", n_forged, n_replayed, sent);
	return 0;
}

int main(int argc, char **argv)
{
	struct in_addr dst;

	if (argc < 5 || !inet_aton(argv[2], &dst)) {
		fprintf(stderr, "usage: cluster_pkt bad <ip> <port> <mutations> <rate-pps>\n"
				"       cluster_pkt flood <ip> <port> <seconds>\n"
				"       cluster_pkt gasp-capture <ip> <port> <file>\n"
				"       cluster_pkt gasp-fake <ip> <port> <file>\n");
		return 2;
	}
	xs ^= (uint64_t)getpid() << 32 | (uint64_t)time(NULL);
	if (!strcmp(argv[1], "bad") && argc == 6 && atol(argv[5]) > 0)
		return bad(dst, atoi(argv[3]), atol(argv[4]), atol(argv[5]));
	if (!strcmp(argv[1], "flood"))
		return flood(dst, atoi(argv[3]), atof(argv[4]));
	if (!strcmp(argv[1], "gasp-capture"))
		return gasp_capture(dst, atoi(argv[3]), argv[4]);
	if (!strcmp(argv[1], "gasp-fake"))
		return gasp_fake(dst, atoi(argv[3]), argv[4]);
	fprintf(stderr, "cluster_pkt: bad arguments\n");
	return 2;
}
