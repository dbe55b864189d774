#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What both halves of a two-node run share: the test (node.sh) and the benchmark
# against corosync (bench.sh). Sourced, after the script has defined
# pair_msg <text> (how it reports a wait that ran out: a KTAP comment, a line).
#
#   pair_role A|B      sets me, peer, peer_role, my_ip, peer_ip, peer_mac
#   pair_net           eth0 up with this node's address, the peer's MAC fixed
#   signal/await       the halves meet through files in $SYNC
#   barrier            both halves got here
#   host stop|cont N   the host runs that QEMU monitor command on node N's VM
#
# The topology is scripts/vmtest.py's boot_pair(): MACs 52:54:00:4b:00:0{1,2},
# QEMU datagram sockets on 127.0.0.1 and nothing else; the addresses are link-local.

KEY=5ea1ed0fc0ffee00112233445566778899aabbccddeeff000102030405060708
IP_A=169.254.77.1
IP_B=169.254.77.2
MAC_A=52:54:00:4b:00:01
MAC_B=52:54:00:4b:00:02

pair_role() {
	case $1 in
	A) me=1 peer=2 peer_role=B my_ip=$IP_A peer_ip=$IP_B peer_mac=$MAC_B ;;
	B) me=2 peer=1 peer_role=A my_ip=$IP_B peer_ip=$IP_A peer_mac=$MAC_A ;;
	*) echo "$(basename "$0"): role must be A or B" >&2; return 2 ;;
	esac
	role=$1
}

# The other node's address without ARP: the dying gasp cannot ARP either.
pair_net() {
	ip link set eth0 up && ip addr add "$my_ip/24" dev eth0 &&
		ip neigh replace "$peer_ip" lladdr "$peer_mac" dev eth0 nud permanent
}

# signal <name>: tell the other half. await <name> <seconds>: wait for it (bounded).
signal() { : >"$SYNC/$1"; }
await() {
	local end=$((SECONDS + $2))
	while [ ! -e "$SYNC/$1" ]; do
		[ $SECONDS -ge $end ] && { pair_msg "no '$1' from the other node in $2 s"; return 1; }
		sleep 0.05
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
