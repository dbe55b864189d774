#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What both halves of a two-node run share: the test (node.sh) and the benchmark
# against corosync (bench.sh). Sourced, after the script has defined
# pair_msg <text> (how it reports a wait that ran out: a KTAP comment, a line).
#
#   pair_role A|B      sets me, peer, peer_role, my_ip, my_mac, peer_ip, peer_mac
#   pair_net           sets IFACE, the NIC with this node's MAC (eth0 in the pair;
#                      the handoff VM has another NIC too), and brings it up with
#                      this node's address, the peer's MAC fixed
#   pair_enable I S D [attr=value...]
#                      cluster_msg configured as this node (timings I/S/D ms, the
#                      attributes given) and enabled
#   signal/await       the halves meet through files in $SYNC
#   barrier            both halves got here
#   host stop|cont N   the host runs that QEMU monitor command on node N's VM
#   clock_offset       this node's clock minus its RTC's, in s
#   clock_sync         this node's clock set from its RTC
#
# The topology is scripts/vmtest.py's boot_pair(): MACs 52:54:00:4b:00:0{1,2},
# QEMU datagram sockets on 127.0.0.1 and nothing else; the addresses are link-local.

KEY=5ea1ed0fc0ffee00112233445566778899aabbccddeeff000102030405060708
IP_A=169.254.77.1
IP_B=169.254.77.2
MAC_A=52:54:00:4b:00:01
MAC_B=52:54:00:4b:00:02
# The handoff pair (selftests/kexec_handoff): timings that ride out a TCG guest's
# kmemleak scans, and the time A's handoff leave gives (three KASAN kernels boot
# while B waits).
HANDOFF_TIMING="200 3000 6000"
HANDOFF_MS=900000

pair_role() {
	case $1 in
	A) me=1 peer=2 peer_role=B my_ip=$IP_A my_mac=$MAC_A peer_ip=$IP_B peer_mac=$MAC_B ;;
	B) me=2 peer=1 peer_role=A my_ip=$IP_B my_mac=$MAC_B peer_ip=$IP_A peer_mac=$MAC_A ;;
	*) echo "$(basename "$0"): role must be A or B" >&2; return 2 ;;
	esac
	role=$1
}

# The other node's address without ARP: the dying gasp cannot ARP either.
pair_net() {
	local f
	IFACE=
	for f in /sys/class/net/*/address; do
		[ "$(cat "$f")" = "$my_mac" ] && IFACE=$(basename "$(dirname "$f")")
	done
	[ -n "$IFACE" ] || { pair_msg "no NIC with MAC $my_mac"; return 1; }
	ip link set "$IFACE" up && ip addr add "$my_ip/24" dev "$IFACE" &&
		ip neigh replace "$peer_ip" lladdr "$peer_mac" dev "$IFACE" nud permanent
}

pair_enable() {
	local cm=/sys/kernel/ha/cluster_msg kv
	# dead, suspect, interval: each write keeps interval < suspect < dead.
	echo "$3" >$cm/dead_ms && echo "$2" >$cm/suspect_ms && echo "$1" >$cm/interval_ms &&
		echo "$me" >$cm/node_id && echo 7 >$cm/cluster_id && echo "$IFACE" >$cm/interface &&
		echo $KEY >$cm/key0 && echo "+$peer $peer_ip $peer_mac" >$cm/peers || return 1
	shift 3
	for kv; do
		echo "${kv#*=}" >"$cm/${kv%%=*}" || return 1
	done
	echo 1 >$cm/enabled
}

# signal <name>: tell the other half. await <name> <seconds> [<period>]: wait for it
# (bounded), looking every <period> s (0.05 by default; a wait of minutes should look
# less often: each look forks sleep, which costs a TCG guest with KASAN dearly).
signal() { : >"$SYNC/$1"; }
await() {
	local end=$((SECONDS + $2))
	while [ ! -e "$SYNC/$1" ]; do
		[ $SECONDS -ge $end ] && { pair_msg "no '$1' from the other node in $2 s"; return 1; }
		sleep "${3:-0.05}"
	done
}
# barrier <name> <seconds>: both halves got here.
barrier() { signal "$1-$role"; await "$1-$peer_role" "$2"; }

# host <stop|cont> <node>: the host answers req-<cmd>-<node> with done-<cmd>-<node>
# (failed-<cmd>-<node> if QEMU refused); the answer is consumed, so a later request
# of the same command waits for its own.
host() {
	local end=$((SECONDS + 20))
	: >"$SYNC/req-$1-$2"
	while [ ! -e "$SYNC/done-$1-$2" ]; do
		if [ -e "$SYNC/failed-$1-$2" ] || [ $SECONDS -ge $end ]; then
			rm -f "$SYNC/failed-$1-$2"
			pair_msg "the host did not $1 $2"
			return 1
		fi
		sleep 0.02
	done
	rm -f "$SYNC/done-$1-$2"
}

# QEMU keeps the guest's RTC on the host's clock (its default, -rtc clock=host), even
# while the VM is stopped; the guest's own clock stops with the VM. A node the host
# stopped (host stop, then cont) comes back with its clock behind by the pause, as a
# paused VM does on a real host until NTP steps it. cluster_msg refuses a new
# incarnation, a gasp or a dumping notice whose wall clock is more than max_skew_s
# (30 s) off its own, so the stopped node steps its clock back from the RTC, as NTP
# would, before anything it sends depends on it.
clock_offset() { echo $(($(date +%s) - $(cat /sys/class/rtc/rtc0/since_epoch))); }
clock_sync() { date -s "@$(cat /sys/class/rtc/rtc0/since_epoch)" >/dev/null; }
