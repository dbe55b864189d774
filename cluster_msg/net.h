/* SPDX-License-Identifier: GPL-2.0 */
/*
 * net.c: cluster_msg's kernel objects, driven by the Rust side (node.rs). Names
 * cm_*; one instance per module (the module is the cluster node).
 */
#ifndef CLUSTER_MSG_NET_H
#define CLUSTER_MSG_NET_H

#include <linux/types.h>

#define CM_MAX_PEERS		16	/* membership.rs MAX_PEERS */
#define CM_MAX_REPEATS		8	/* gasp_repeats upper bound */
#define CM_GASP_MAX_PAYLOAD	376	/* wire.rs MAX_PACKET */

/*
 * Dying-gasp reasons with prebuilt frames, as enum hwerr_cl_reason; the frame table
 * index is the reason number (index 0, NONE, unused).
 */
#define CM_GASP_REASONS		6	/* PANIC .. SHUTDOWN: 1..5 */

struct kobject;

/* The workqueue and its two works. Context: process. */
int cm_wq_init(void);
void cm_wq_exit(void);
/* (Re)arms the tick to run after @ms; 0 stops it. Context: any but NMI. */
void cm_tick_arm(u32 ms);
/* Queues the receive work. Context: any but NMI. */
void cm_rx_kick(void);

/* Hooks: panic, die and reboot notifiers. Context: process. */
int cm_hooks_init(void);
void cm_hooks_exit(void);

/*
 * The node's network objects: a UDP socket bound to @port on @ifname, and a netpoll
 * on the same interface with @repeats * CM_MAX_PEERS skbs kept for dying gasps.
 * @local_ip receives the interface's IPv4 address (network order).
 * Context: process; takes RTNL. Return: 0 or -errno (-ENODEV: no such interface,
 * -EADDRNOTAVAIL: it has no IPv4 address, -EADDRINUSE: port taken, ...).
 */
int cm_net_start(const char *ifname, u16 port, u32 repeats, __be32 *local_ip);
/* Undoes cm_net_start(); no gasp is sent after it returns. Context: process. */
void cm_net_stop(void);
/* The destination of peer slot @idx: IPv4 (network order) and next-hop MAC. */
int cm_net_set_peer(u32 idx, __be32 ip, const u8 *mac);
/* Sends @len bytes to peer slot @idx through the socket. Context: process. */
int cm_net_send(u32 idx, const void *buf, size_t len);
/*
 * Receives one datagram into @buf without blocking. Return: its full length (more
 * than @len if it was cut), -EAGAIN when none is queued, or -errno.
 * Context: process.
 */
int cm_net_recv(void *buf, size_t len);

/*
 * Dying-gasp frames, double-buffered: cm_gasp_store() writes the UDP payload of
 * (@reason, @idx) into the standby set (an empty @len clears it), cm_gasp_publish()
 * makes the standby set the one sent. Context: process, serialized by the caller.
 */
int cm_gasp_store(u8 reason, u32 idx, const void *payload, size_t len);
void cm_gasp_publish(void);
/* The reason a later panic announces instead of PANIC (0: none). Context: any. */
void cm_gasp_set_pending(u8 reason);
/* Sends the published gasp of @reason once per repeat to every peer. Context: any. */
int cm_gasp_fire(u8 reason);
/* The reason of the gasp sent by the hooks since cm_net_start(), or 0. */
u8 cm_gasp_fired(void);
/* Gasp frames handed to netpoll so far. */
u64 cm_gasp_sent(void);
/*
 * A handoff is prepared (@held) or over: while held, a kexec is that handoff's commit,
 * which peers were told of with a leave, so the reboot hook sends no kexec gasp.
 * Context: any.
 */
void cm_handoff_hold(bool held);
/* This is a kdump capture kernel (is_kdump_kernel(), an inline). Context: any. */
bool cm_is_kdump_kernel(void);

/* HMAC-SHA256 keys (slot 0 or 1). The caller serializes all four. */
int cm_key_set(u32 slot, const u8 *key, size_t len);
void cm_key_clear(u32 slot);
/* Wipes secrets off the caller's stack. */
void cm_memzero(void *buf, size_t len);
int cm_mac(u32 slot, const void *data, size_t len, u8 *out);
/* 0, -ENOKEY (empty slot) or -EBADMSG (constant-time mismatch). */
int cm_mac_verify(u32 slot, const void *data, size_t len, const u8 *tag);

/* sysfs.c */
const struct attribute_group **cm_sysfs_groups(void);
void cm_sysfs_notify(struct kobject *kobj);

/* node.rs */
void cluster_msg_rx(void);
void cluster_msg_tick(void);
/* A phase of a kexec handoff (HASYS_HANDOFF_*): 0 or -errno. Context: process. */
int cluster_msg_handoff(unsigned long phase);
ssize_t cluster_msg_sysfs_show(u32 id, char *buf);
ssize_t cluster_msg_sysfs_store(u32 id, const char *buf, size_t len);

#endif /* CLUSTER_MSG_NET_H */
