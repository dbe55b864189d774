// SPDX-License-Identifier: GPL-2.0
/*
 * cluster_msg's kernel objects: the protocol workqueue, the UDP socket, the netpoll
 * and its prebuilt dying-gasp frames, the HMAC-SHA256 keys, and the panic, die and
 * reboot hooks. The protocol itself (wire format, replay windows, membership) is
 * Rust: node.rs drives everything here through net.h.
 *
 * C because 7.2 has no Rust abstraction for sockets, sk_buffs, netpoll, the
 * lib/crypto HMAC or the panic/die/reboot notifier chains, and they are reached
 * through inline helpers and macros (csum_*, skb_*, ether_addr_copy, ...).
 *
 * Contexts:
 *  - the workqueue's two works (receive, tick) call node.rs in process context, one
 *    at a time (an ordered, high-priority, memory-reclaim workqueue);
 *  - cm_data_ready() runs in softirq and only queues the receive work;
 *  - cm_gasp_fire() runs in the panic notifier (other CPUs stopped, interrupts off),
 *    the die notifier (any context, even NMI) and the reboot notifier (process): it
 *    takes no lock and allocates nothing; it copies published frames into skbs kept
 *    since cm_net_start() and hands them to netpoll_send_skb(), which only trylocks
 *    the device's transmit queue;
 *  - cm_handoff_cb() runs in process context, in kexec_handoff's request or reboot
 *    notifier, and calls node.rs (handoff.rs describes the phases).
 */

#include <crypto/sha2.h>
#include <linux/crash_dump.h>
#include <linux/etherdevice.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/kdebug.h>
#include <linux/netdevice.h>
#include <linux/netpoll.h>
#include <linux/notifier.h>
#include <linux/panic_notifier.h>
#include <linux/rcupdate.h>
#include <linux/reboot.h>
#include <linux/skbuff.h>
#include <linux/string.h>
#include <linux/udp.h>
#include <linux/workqueue.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/sock.h>

#include <hasys/hwerr.h>
#include <uapi/linux/hwerr.h>

#include "net.h"

/* ---- the protocol workqueue ---- */

static struct workqueue_struct *cm_wq;

static void cm_rx_fn(struct work_struct *work)
{
	cluster_msg_rx();
}

static void cm_tick_fn(struct work_struct *work)
{
	cluster_msg_tick();
}

static DECLARE_WORK(cm_rx_work, cm_rx_fn);
static DECLARE_DELAYED_WORK(cm_tick_work, cm_tick_fn);

int cm_wq_init(void)
{
	/*
	 * Ordered: receive and tick never run at once. HIGHPRI: heartbeats keep their
	 * period while userspace saturates the CPUs. MEM_RECLAIM: a rescuer runs them
	 * under memory pressure, when an OOM is exactly what peers must hear about.
	 */
	cm_wq = alloc_ordered_workqueue("cluster_msg", WQ_HIGHPRI | WQ_MEM_RECLAIM);
	return cm_wq ? 0 : -ENOMEM;
}

void cm_wq_exit(void)
{
	struct workqueue_struct *wq = cm_wq;

	WRITE_ONCE(cm_wq, NULL);
	/* Both works may requeue themselves; the _sync cancels handle that. */
	cancel_delayed_work_sync(&cm_tick_work);
	cancel_work_sync(&cm_rx_work);
	destroy_workqueue(wq);
}

void cm_tick_arm(u32 ms)
{
	struct workqueue_struct *wq = READ_ONCE(cm_wq);

	if (!ms)
		cancel_delayed_work(&cm_tick_work);
	else if (wq)
		mod_delayed_work(wq, &cm_tick_work, msecs_to_jiffies(ms));
}

void cm_rx_kick(void)
{
	struct workqueue_struct *wq = READ_ONCE(cm_wq);

	if (wq)
		queue_work(wq, &cm_rx_work);
}

/* ---- the socket and the netpoll ---- */

#define CM_FRAME_MAX (ETH_HLEN + sizeof(struct iphdr) + sizeof(struct udphdr) + \
		      CM_GASP_MAX_PAYLOAD)

struct cm_frame {
	u16 len;
	u8 data[CM_FRAME_MAX];
};

struct cm_peer {
	__be32 ip;
	u8 mac[ETH_ALEN];
	bool set;
};

static struct socket *cm_sock;
static void (*cm_saved_data_ready)(struct sock *sk);
static struct netpoll cm_np;
static struct cm_peer cm_peers[CM_MAX_PEERS];
static __be32 cm_local_ip;
static u8 cm_local_mac[ETH_ALEN];
static u16 cm_port;
static u32 cm_repeats;

/*
 * Gasp state. cm_armed is read under rcu_read_lock() by cm_gasp_fire();
 * cm_net_stop() clears it and waits for a grace period before freeing what fire uses.
 * cm_frames[cm_live] is the published set, the other the standby one.
 */
static bool cm_armed;
static atomic_t cm_fired;
static atomic_t cm_live;
static atomic64_t cm_sent;
static u8 cm_pending;
static struct cm_frame cm_frames[2][CM_GASP_REASONS][CM_MAX_PEERS];
static struct sk_buff *cm_skbs[CM_MAX_REPEATS * CM_MAX_PEERS];

/* Context: softirq, or process with BH disabled (the socket's receive path). */
static void cm_data_ready(struct sock *sk)
{
	cm_rx_kick();
}

static void cm_skbs_free(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(cm_skbs); i++) {
		kfree_skb(cm_skbs[i]);
		cm_skbs[i] = NULL;
	}
}

static int cm_sock_open(int ifindex, u16 port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	struct socket *sock;
	int err;

	err = sock_create_kern(&init_net, PF_INET, SOCK_DGRAM, IPPROTO_UDP, &sock);
	if (err)
		return err;
	err = sock_bindtoindex(sock->sk, ifindex, true);
	if (!err)
		err = kernel_bind(sock, (struct sockaddr_unsized *)&sin, sizeof(sin));
	if (err) {
		sock_release(sock);
		return err;
	}
	write_lock_bh(&sock->sk->sk_callback_lock);
	cm_saved_data_ready = sock->sk->sk_data_ready;
	sock->sk->sk_data_ready = cm_data_ready;
	write_unlock_bh(&sock->sk->sk_callback_lock);
	cm_sock = sock;
	return 0;
}

static void cm_sock_close(void)
{
	struct socket *sock = cm_sock;

	if (!sock)
		return;
	write_lock_bh(&sock->sk->sk_callback_lock);
	sock->sk->sk_data_ready = cm_saved_data_ready;
	write_unlock_bh(&sock->sk->sk_callback_lock);
	cm_sock = NULL;
	sock_release(sock);
}

int cm_net_start(const char *ifname, u16 port, u32 repeats, __be32 *local_ip)
{
	struct net_device *dev;
	unsigned int room;
	int ifindex, err, i;
	bool up;

	if (!port || !repeats || repeats > CM_MAX_REPEATS || !ifname[0] ||
	    strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	if (cm_sock)
		return -EBUSY;

	dev = dev_get_by_name(&init_net, ifname);
	if (!dev)
		return -ENODEV;
	ifindex = dev->ifindex;
	up = dev->flags & IFF_UP;
	dev_put(dev);
	/* netpoll_setup() would open a closed interface; an admin's choice wins. */
	if (!up)
		return -ENETDOWN;

	memset(&cm_np, 0, sizeof(cm_np));
	strscpy(cm_np.dev_name, ifname, sizeof(cm_np.dev_name));
	cm_np.name = "cluster_msg";
	cm_np.local_port = port;
	cm_np.remote_port = port;
	eth_broadcast_addr(cm_np.remote_mac);
	err = netpoll_setup(&cm_np);
	if (err)
		return err == -EDESTADDRREQ ? -EADDRNOTAVAIL : err;

	err = cm_sock_open(ifindex, port);
	if (err)
		goto out_netpoll;

	room = LL_RESERVED_SPACE(cm_np.dev) + CM_FRAME_MAX + cm_np.dev->needed_tailroom;
	for (i = 0; i < repeats * CM_MAX_PEERS; i++) {
		cm_skbs[i] = alloc_skb(room, GFP_KERNEL);
		if (!cm_skbs[i]) {
			err = -ENOMEM;
			goto out_skbs;
		}
		skb_reserve(cm_skbs[i], LL_RESERVED_SPACE(cm_np.dev));
	}

	cm_local_ip = cm_np.local_ip.ip;
	ether_addr_copy(cm_local_mac, cm_np.dev->dev_addr);
	cm_port = port;
	cm_repeats = repeats;
	memset(cm_peers, 0, sizeof(cm_peers));
	memset(cm_frames, 0, sizeof(cm_frames));
	atomic_set(&cm_fired, 0);
	WRITE_ONCE(cm_pending, 0);
	WRITE_ONCE(cm_armed, true);
	*local_ip = cm_local_ip;
	/* Datagrams may have arrived before the callback was set. */
	cm_rx_kick();
	return 0;

out_skbs:
	cm_skbs_free();
	cm_sock_close();
out_netpoll:
	netpoll_cleanup(&cm_np);
	return err;
}

void cm_net_stop(void)
{
	if (!cm_sock)
		return;
	WRITE_ONCE(cm_armed, false);
	/* A gasp being sent (reboot notifier on another CPU) finishes first. */
	synchronize_rcu();
	cm_sock_close();
	cm_skbs_free();
	netpoll_cleanup(&cm_np);
}

int cm_net_set_peer(u32 idx, __be32 ip, const u8 *mac)
{
	if (idx >= CM_MAX_PEERS)
		return -EINVAL;
	cm_peers[idx].ip = ip;
	if (mac)
		ether_addr_copy(cm_peers[idx].mac, mac);
	cm_peers[idx].set = ip != 0;
	return 0;
}

int cm_net_send(u32 idx, const void *buf, size_t len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct msghdr msg = {
		.msg_name = &sin,
		.msg_namelen = sizeof(sin),
		.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL,
	};
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };

	if (idx >= CM_MAX_PEERS || !cm_peers[idx].set)
		return -EINVAL;
	if (!cm_sock)
		return -ENOTCONN;
	sin.sin_port = htons(cm_port);
	sin.sin_addr.s_addr = cm_peers[idx].ip;
	return kernel_sendmsg(cm_sock, &msg, &iov, 1, len);
}

int cm_net_recv(void *buf, size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct kvec iov = { .iov_base = buf, .iov_len = len };

	if (!cm_sock)
		return -ENOTCONN;
	/* MSG_TRUNC: the full length of a datagram longer than @buf. */
	return kernel_recvmsg(cm_sock, &msg, &iov, 1, len, MSG_DONTWAIT | MSG_TRUNC);
}

/* ---- dying gasps ---- */

int cm_gasp_store(u8 reason, u32 idx, const void *payload, size_t len)
{
	struct cm_frame *f;
	struct ethhdr *eth;
	struct iphdr *iph;
	struct udphdr *uh;
	size_t ulen;

	if (!reason || reason >= CM_GASP_REASONS || idx >= CM_MAX_PEERS ||
	    len > CM_GASP_MAX_PAYLOAD)
		return -EINVAL;
	f = &cm_frames[!atomic_read(&cm_live)][reason][idx];
	if (!len || !cm_peers[idx].set) {
		f->len = 0;
		return 0;
	}
	eth = (struct ethhdr *)f->data;
	iph = (struct iphdr *)(eth + 1);
	uh = (struct udphdr *)(iph + 1);
	ulen = sizeof(*uh) + len;

	memcpy(uh + 1, payload, len);
	uh->source = htons(cm_port);
	uh->dest = htons(cm_port);
	uh->len = htons(ulen);
	uh->check = 0;
	uh->check = csum_tcpudp_magic(cm_local_ip, cm_peers[idx].ip, ulen, IPPROTO_UDP,
				      csum_partial(uh, ulen, 0));
	if (!uh->check)
		uh->check = CSUM_MANGLED_0;

	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->tot_len = htons(sizeof(*iph) + ulen);
	iph->frag_off = htons(IP_DF);
	iph->ttl = 64;
	iph->protocol = IPPROTO_UDP;
	iph->saddr = cm_local_ip;
	iph->daddr = cm_peers[idx].ip;
	iph->check = ip_fast_csum((unsigned char *)iph, iph->ihl);

	ether_addr_copy(eth->h_source, cm_local_mac);
	ether_addr_copy(eth->h_dest, cm_peers[idx].mac);
	eth->h_proto = htons(ETH_P_IP);
	f->len = ETH_HLEN + sizeof(*iph) + ulen;
	return 0;
}

void cm_gasp_publish(void)
{
	atomic_set_release(&cm_live, !atomic_read(&cm_live));
}

void cm_gasp_set_pending(u8 reason)
{
	WRITE_ONCE(cm_pending, reason);
}

u8 cm_gasp_fired(void)
{
	return atomic_read(&cm_fired);
}

u64 cm_gasp_sent(void)
{
	return atomic64_read(&cm_sent);
}

bool cm_is_kdump_kernel(void)
{
	return is_kdump_kernel();
}

int cm_gasp_fire(u8 reason)
{
	int live, r, i, sent = 0;

	if (!reason || reason >= CM_GASP_REASONS)
		return -EINVAL;
	/* One gasp per life: an oops that ends in panic announces the oops. */
	if (atomic_cmpxchg(&cm_fired, 0, reason))
		return -EALREADY;
	rcu_read_lock();
	if (!READ_ONCE(cm_armed)) {
		rcu_read_unlock();
		return -ENODEV;
	}
	live = atomic_read_acquire(&cm_live);
	for (r = 0; r < cm_repeats; r++) {
		/*
		 * Reap what the NIC finished first (a full TX ring would refuse the
		 * frames), and between repeats give it a moment: each repeat is
		 * another chance on a link or a queue that was busy.
		 */
		netpoll_poll_dev(cm_np.dev);
		if (r)
			mdelay(1);
		for (i = 0; i < CM_MAX_PEERS; i++) {
			const struct cm_frame *f = &cm_frames[live][reason][i];
			struct sk_buff *skb;

			if (!f->len)
				continue;
			skb = xchg(&cm_skbs[r * CM_MAX_PEERS + i], NULL);
			if (!skb)
				continue;
			skb_put_data(skb, f->data, f->len);
			skb_reset_mac_header(skb);
			skb_set_network_header(skb, ETH_HLEN);
			skb_set_transport_header(skb, ETH_HLEN + sizeof(struct iphdr));
			skb->protocol = htons(ETH_P_IP);
			if (netpoll_send_skb(&cm_np, skb) == NETDEV_TX_OK)
				sent++;
		}
	}
	rcu_read_unlock();
	atomic64_add(sent, &cm_sent);
	/* The log says it went out: the last thing an admin reads of this kernel. */
	pr_emerg("cluster_msg: dying gasp (reason %u): %d frames handed to %s\n", reason,
		 sent, cm_np.dev_name);
	return sent;
}

/* ---- hooks ---- */

/*
 * The reason a panic announces: the kernel's answer to a fatal hardware error
 * (hwerr_panic_is_hw_fatal(): x86 mce_panic(), GHES, or a panic right after a fatal
 * hardware record) says HW_FATAL, else what node.rs set (a fatal hwerr record), else
 * PANIC.
 */
static u8 cm_panic_reason(const char *msg)
{
	u8 pending = READ_ONCE(cm_pending);

	if (hwerr_panic_is_hw_fatal(msg))
		return HWERR_CL_R_HW_FATAL;
	return pending ?: HWERR_CL_R_PANIC;
}

/* Context: panic (other CPUs stopped, interrupts off). */
static int cm_panic_cb(struct notifier_block *nb, unsigned long event, void *msg)
{
	cm_gasp_fire(cm_panic_reason(msg));
	return NOTIFY_DONE;
}

/* Context: the oops path; any, including NMI. */
static int cm_die_cb(struct notifier_block *nb, unsigned long val, void *data)
{
	if (val == DIE_OOPS)
		cm_gasp_fire(HWERR_CL_R_OOPS);
	return NOTIFY_DONE;
}

static bool cm_handoff_held;

void cm_handoff_hold(bool held)
{
	WRITE_ONCE(cm_handoff_held, held);
}

/* Context: process (kernel_restart_prepare() and friends). */
static int cm_reboot_cb(struct notifier_block *nb, unsigned long code, void *cmd)
{
	/* kernel_kexec() calls kernel_restart_prepare("kexec reboot"). */
	bool kexec = cmd && !strcmp(cmd, "kexec reboot");

	/* A prepared handoff's kexec: peers were told "handoff", not "dying". */
	if (kexec && READ_ONCE(cm_handoff_held))
		return NOTIFY_DONE;
	cm_gasp_fire(kexec ? HWERR_CL_R_KEXEC : HWERR_CL_R_SHUTDOWN);
	return NOTIFY_DONE;
}

/* Context: process (kexec_handoff, through hwerr's chain). */
static int cm_handoff_cb(struct notifier_block *nb, unsigned long phase, void *data)
{
	return notifier_from_errno(cluster_msg_handoff(phase));
}

/* Before kmsg dumpers and pvpanic (INT_MAX): peers first, logs after. */
static struct notifier_block cm_panic_nb = {
	.notifier_call = cm_panic_cb,
	.priority = INT_MAX,
};

static struct notifier_block cm_die_nb = {
	.notifier_call = cm_die_cb,
	.priority = INT_MAX,
};

static struct notifier_block cm_reboot_nb = {
	.notifier_call = cm_reboot_cb,
	.priority = INT_MAX,
};

static struct notifier_block cm_handoff_nb = {
	.notifier_call = cm_handoff_cb,
};

int cm_hooks_init(void)
{
	int err;

	err = register_die_notifier(&cm_die_nb);
	if (err)
		return err;
	err = register_reboot_notifier(&cm_reboot_nb);
	if (err) {
		unregister_die_notifier(&cm_die_nb);
		return err;
	}
	atomic_notifier_chain_register(&panic_notifier_list, &cm_panic_nb);
	hasys_handoff_register(&cm_handoff_nb);
	return 0;
}

void cm_hooks_exit(void)
{
	hasys_handoff_unregister(&cm_handoff_nb);
	atomic_notifier_chain_unregister(&panic_notifier_list, &cm_panic_nb);
	unregister_reboot_notifier(&cm_reboot_nb);
	unregister_die_notifier(&cm_die_nb);
}

/* ---- keys ---- */

static struct hmac_sha256_key cm_keys[2];
static bool cm_key_ok[2];

int cm_key_set(u32 slot, const u8 *key, size_t len)
{
	if (slot >= ARRAY_SIZE(cm_keys) || !len)
		return -EINVAL;
	hmac_sha256_preparekey(&cm_keys[slot], key, len);
	cm_key_ok[slot] = true;
	return 0;
}

void cm_key_clear(u32 slot)
{
	if (slot >= ARRAY_SIZE(cm_keys))
		return;
	cm_key_ok[slot] = false;
	memzero_explicit(&cm_keys[slot], sizeof(cm_keys[slot]));
}

/* memzero_explicit() is inline: not reachable from Rust. */
void cm_memzero(void *buf, size_t len)
{
	memzero_explicit(buf, len);
}

int cm_mac(u32 slot, const void *data, size_t len, u8 *out)
{
	if (slot >= ARRAY_SIZE(cm_keys) || !cm_key_ok[slot])
		return -ENOKEY;
	hmac_sha256(&cm_keys[slot], data, len, out);
	return 0;
}

/*
 * Compares in time independent of where the tags differ. crypto_memneq() is in
 * lib/crypto/utils, which this kernel's configuration may leave out (the test
 * kernel does); this is the same accumulate-then-test loop, with the accumulator
 * hidden from the optimizer so that no early exit can be compiled in.
 */
static bool cm_tag_differs(const u8 *a, const u8 *b, size_t len)
{
	u8 acc = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		acc |= a[i] ^ b[i];
		OPTIMIZER_HIDE_VAR(acc);
	}
	return acc != 0;
}

int cm_mac_verify(u32 slot, const void *data, size_t len, const u8 *tag)
{
	u8 mac[SHA256_DIGEST_SIZE];
	int err;

	err = cm_mac(slot, data, len, mac);
	if (err)
		return err;
	err = cm_tag_differs(mac, tag, sizeof(mac)) ? -EBADMSG : 0;
	memzero_explicit(mac, sizeof(mac));
	return err;
}
