// SPDX-License-Identifier: GPL-2.0
/*
 * hwerr_watch: the smallest useful /dev/hwerr agent, in C.
 *
 * Checks the ABI version, keeps only recoverable and fatal errors, starts at new
 * records, and prints each one as it arrives; poll() wakes it at once, and
 * POLLPRI says an urgent record is waiting. A lost-records notice is always
 * delivered, whatever the filter.
 *
 * Build: cc -std=gnu11 -I include/uapi samples/hwerr/hwerr_watch.c -o hwerr_watch
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/hwerr.h>

int main(void)
{
	struct hwerr_filter filter = {
		.source_mask = ~0U >> (32 - HWERR_SRC_NR),
		.severity_mask = 1U << HWERR_SEV_RECOVERABLE | 1U << HWERR_SEV_FATAL,
	};
	struct hwerr_seek seek = { .whence = HWERR_SEEK_NEWEST };
	struct hwerr_record recs[16];
	__u32 version;
	int fd;

	fd = open("/dev/hwerr", O_RDONLY | O_CLOEXEC);	/* root only: 0600 + CAP_SYS_ADMIN */
	if (fd < 0) {
		perror("/dev/hwerr");
		return 1;
	}
	if (ioctl(fd, HWERR_IOC_ABI_VERSION, &version) || version != HWERR_ABI_VERSION) {
		fprintf(stderr, "unsupported hwerr ABI\n");
		return 1;
	}
	if (ioctl(fd, HWERR_IOC_SET_FILTER, &filter) || ioctl(fd, HWERR_IOC_SEEK, &seek)) {
		perror("hwerr ioctl");
		return 1;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN | POLLPRI };
		ssize_t n;
		int i;

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return 1;
		/* read() returns whole records; a buffer under one record is EINVAL. */
		n = read(fd, recs, sizeof(recs));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("read");
			return 1;
		}
		for (i = 0; i < n / (ssize_t)sizeof(recs[0]); i++) {
			const struct hwerr_record *r = &recs[i];

			if (r->hdr.source == HWERR_SRC_LOST) {
				printf("seq %llu: %llu records lost\n",
				       (unsigned long long)r->hdr.seq,
				       (unsigned long long)r->u.lost.total);
				continue;
			}
			printf("seq %llu: source %u severity %u cpu %u%s\n",
			       (unsigned long long)r->hdr.seq, r->hdr.source, r->hdr.severity,
			       r->hdr.cpu, p.revents & POLLPRI ? " (urgent)" : "");
			if (r->hdr.source == HWERR_SRC_MCE)
				printf("  bank %u status %#llx addr %#llx\n", r->u.mce.bank,
				       (unsigned long long)r->u.mce.status,
				       (unsigned long long)r->u.mce.addr);
		}
		fflush(stdout);
	}
}
