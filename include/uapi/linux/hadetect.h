/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/hadetect: HA agents tell hadetect they are alive.
 *
 * An agent opens /dev/hadetect, registers a name and a period with
 * HADETECT_IOC_REGISTER, then calls HADETECT_IOC_HEARTBEAT at least once per period
 * (every half period is the safe rhythm). A missed deadline makes the node's health
 * yellow (reason agent-late); late by more than escalate_ms (if non-zero) makes it
 * red (agent-dead). HADETECT_IOC_UNREGISTER, then close(), is a clean exit. Closing
 * the file without unregistering (the agent died) is noticed at once: the agent is
 * "lost" and counts as late until an agent registers under the same name or an admin
 * clears it. Every change is a HWERR_HD_AGENT record on /dev/hwerr.
 *
 * The Rust view of these definitions is in include/uapi/linux/hwerr.rs; a test
 * compares the two. Documentation/hasys/hadetect.rst describes the semantics.
 */
#ifndef _UAPI_LINUX_HADETECT_H
#define _UAPI_LINUX_HADETECT_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define HADETECT_AGENT_NAME_LEN	32

struct hadetect_agent {
	char name[HADETECT_AGENT_NAME_LEN];	/* NUL-terminated, [A-Za-z0-9_.:-] */
	__u32 period_ms;	/* heartbeat at least this often: 10 .. 3600000 */
	__u32 escalate_ms;	/* late this long past the deadline: dead; 0 never;
				 * at most 86400000 */
};

#define HADETECT_IOC_MAGIC	0xBA
/* 0; EINVAL bad name or range; EBUSY name held, or this file already registered;
 * ENOSPC the table (32 agents) is full; EFAULT. */
#define HADETECT_IOC_REGISTER	_IOW(HADETECT_IOC_MAGIC, 0x00, struct hadetect_agent)
/* 0; ENOENT if this file has not registered. */
#define HADETECT_IOC_HEARTBEAT	_IO(HADETECT_IOC_MAGIC, 0x01)
/* 0; ENOENT if this file has not registered. */
#define HADETECT_IOC_UNREGISTER	_IO(HADETECT_IOC_MAGIC, 0x02)

#endif /* _UAPI_LINUX_HADETECT_H */
