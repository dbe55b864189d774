#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cluster_msg side by side with corosync, in the two VMs of `make bench`: one node's
# half. scripts/vmtest.py --mode cluster-bench boots nodes A and B as for the
# two-node test (node.sh: NICs joined by QEMU datagram sockets on 127.0.0.1, nothing
# else; host stop/cont through files in the shared directory) and runs this script
# on each (scripts/guest-run.sh, mode cluster-bench). Both nodes run cluster_msg
# with its defaults and corosync 3 (the host's /usr/sbin/corosync: knet, crypto off,
# its default timing) on the same link. Figures only, never pass/fail; B prints them.
#
#   bench.sh A|B <sync-dir> <out-dir>
#
# In order:
#   P4a  silent failure, DETECT_RUNS times: the host stops A (QEMU monitor), B times
#        cluster_msg's down record and corosync's membership dropping A, both from
#        the last frame B received from A; then A is resumed and both stacks must
#        show it again.
#   P4b  false positives: STRESS_S seconds of CPU hogs and a UDP flood on both nodes
#        (as node.sh's stress phase), with cluster_msg at dead 1000 ms (node.sh's
#        TCG setting) and then at its defaults; membership changes counted on both
#        nodes, for both stacks.
#   P3   dying gasp to an agent on B blocked in poll() on /dev/hwerr, timed from a
#        "T0" datagram A sends just before the trigger (B's clock only; A waits
#        until T0 reached its NIC's driver, so that it cannot be held back in a
#        kernel that panics right after: see cluster_bench.c): GASPS
#        normal-path gasps (a fatal hwerr record on A: the gasp goes through the
#        socket, not netpoll; A is disabled and enabled again after each), then one
#        real panic (sysrq c: the netpoll gasp from the panic notifier), after
#        which B also times corosync dropping A. A saves its kernel log and its
#        done marker first.
#   P6   the same panic, with A armed for kdump (`hactl crash arm`; vmtest.py boots
#        A with crashkernel=): its capture kernel runs this script again (stage
#        "capture": /proc/vmcore exists), brings eth0 up, starts fence_kdump_send
#        (fence-agents, its defaults) and cluster_msg (dumping notices), publishes
#        the crash record, saves the dump (`hactl crash save`: makedumpfile -d 31),
#        then reads the whole unfiltered vmcore once; it sends its milestones to B
#        (crash_watch.py send). B (crash_watch.py watch) times them from A's T0,
#        and three fence agents started before the panic: fence_hasys with its
#        defaults (the gasp counts), fence_hasys counting only the capture kernel's
#        notices (reasons kdump,dumped), and fence_kdump (fence-agents, its
#        defaults but the timeout). A's VM ends after the capture stage.
#
# Every wait is bounded. Needs HASYS_MODDIR and HASYS_HACTL; for P6 HASYS_KIMAGE
# (the bzImage A's capture kernel boots) and HASYS_FENCE_AGENTS (fence_kdump and
# fence_kdump_send, from `make setup`).

. "$(dirname "$0")/hasys_modules.sh"
say() { echo "$*"; }
pair_msg() { say "  ($*)"; }
. "$(dirname "$0")/pair_lib.sh"

role=${1:?usage: bench.sh A|B <sync-dir> <out-dir>}
SYNC=${2:?}
OUT=${3:?}
HACTL=${HASYS_HACTL:-}
HERE=$(dirname "$0")
CB=$HERE/cluster_bench
PKT=$HERE/cluster_pkt
CM=/sys/kernel/ha/cluster_msg
DBG=/sys/kernel/debug
T0_PORT=5999
WATCH_PORT=5998
WATCH=$HERE/crash_watch.py
FENCE=$HASYS_MODDIR/tools/pacemaker/fence_hasys
FA=${HASYS_FENCE_AGENTS:-}
DETECT_RUNS=5
STRESS_S=30
GASPS=50
# P6: how long B's watcher and fence agents wait for A's capture kernel (TCG: its
# boot, the save and the unfiltered read take minutes).
P6_TIMEOUT=900
CSLOG=/tmp/corosync.log

pair_role "$role" || exit 2

# cm_wait <spec> <ms>: cluster_msg's states (hactl); prints the ms it took.
cm_wait() { "$HACTL" cluster --wait-state "$1" --timeout-ms "$2" 2>&1; }
# cs_wait <id> joined|gone <ms>: corosync's membership on this node; prints the ms.
cs_wait() {
	[ -n "$COROSYNC" ] || { echo "no corosync"; return 1; }
	"$CB" cs-wait "$1" "$2" "$3" 2>&1
}

# --- setup ---------------------------------------------------------------------------

# cluster_msg with its timing defaults. max_skew_s 3600: A's wall clock stands still
# while the host has it stopped (P4a), and A takes new incarnations after that (P3),
# which the default 30 s of skew would refuse after a few stops.
setup_cm() {
	local m
	for m in hwerr cluster_msg; do
		[ -d /sys/module/$m ] || insmod "$(hasys_ko $m)" || return 1
	done
	echo $me >$CM/node_id && echo 7 >$CM/cluster_id && echo eth0 >$CM/interface &&
		echo $KEY >$CM/key0 && echo "+$peer $peer_ip $peer_mac" >$CM/peers &&
		echo 3600 >$CM/max_skew_s && echo 1 >$CM/enabled
}

# cm_timing <suspect> <dead>: disable, set, enable; peers see left:admin, then up.
cm_timing() {
	echo 0 >$CM/enabled || return 1
	if [ "$2" -gt "$(cat $CM/dead_ms)" ]; then
		echo "$2" >$CM/dead_ms && echo "$1" >$CM/suspect_ms
	else
		echo "$1" >$CM/suspect_ms && echo "$2" >$CM/dead_ms
	fi || return 1
	echo 1 >$CM/enabled
}

cm_timing_text() {
	echo "heartbeat $(cat $CM/interval_ms) ms, suspect $(cat $CM/suspect_ms) ms, down $(cat $CM/dead_ms) ms"
}

# corosync: two nodes on eth0's link-local addresses, knet, crypto off, and nothing
# else set: token, consensus and every other timing are corosync's defaults. The
# guest's /etc and /var are its own (in RAM), the binaries the host's.
COROSYNC=
setup_cs() {
	command -v corosync >/dev/null && [ -x /usr/sbin/corosync-cmapctl ] || return 1
	mkdir -p /etc/corosync /var/lib/corosync /var/log/corosync /run || return 1
	cat >/etc/corosync/corosync.conf <<-EOF
	totem {
		version: 2
		cluster_name: hasys-bench
		transport: knet
		crypto_cipher: none
		crypto_hash: none
	}
	logging {
		to_stderr: yes
		to_logfile: no
		to_syslog: no
		timestamp: hires
	}
	quorum {
		provider: corosync_votequorum
		two_node: 1
	}
	nodelist {
		node {
			name: A
			nodeid: 1
			ring0_addr: $IP_A
		}
		node {
			name: B
			nodeid: 2
			ring0_addr: $IP_B
		}
	}
	EOF
	corosync -f >"$CSLOG" 2>&1 &
	COROSYNC=$!
}

cs_stop() {
	local i
	[ -n "$COROSYNC" ] || return 0
	kill "$COROSYNC" 2>/dev/null
	for i in $(seq 100); do kill -0 "$COROSYNC" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$COROSYNC" 2>/dev/null
	wait "$COROSYNC" 2>/dev/null
	COROSYNC=
}

cs_key() { /usr/sbin/corosync-cmapctl "$@" 2>/dev/null | awk '{ print $NF }'; }

# What guest-run.sh does after a run, done here because A never returns.
finish() {
	[ -f "$CSLOG" ] && cp "$CSLOG" "$OUT/corosync.log"
	dmesg >"$OUT/dmesg.txt"
	echo done >"$OUT/done"
}

# --- P6: A's capture kernel ----------------------------------------------------------

# This kernel's CLOCK_BOOTTIME in ms (/proc/uptime: 10 ms steps).
uptime_ms() { local u; read -r u _ </proc/uptime; echo $((10#${u/./} * 10)); }

# What a kdump initramfs does, each step's time noted: the network, fence_kdump_send
# (first: the incumbent gets the earlier start), cluster_msg (its dumping notices),
# the crash record, the dump; then one read of the whole unfiltered vmcore (the cost
# of `cp /proc/vmcore`). The milestones go to B, the sizes to the sync directory.
capture() {
	local user net= fks= cm= rec= saved= sender= addr d t save_ms=- copy_ms=- filtered full
	user=$(uptime_ms)
	say "== P6: node A's capture kernel $(uname -r), $(awk '/MemTotal/ { print $2 " kB" }' /proc/meminfo)"
	pair_net && net=$(uptime_ms) || say "  network setup failed"
	if [ -x "$FA/fence_kdump_send" ]; then
		"$FA/fence_kdump_send" -v "$IP_B" >"$OUT/fence_kdump_send.txt" 2>&1 &
		sender=$! fks=$(uptime_ms)
	else
		say "  no fence_kdump_send (HASYS_FENCE_AGENTS: make setup fetches it)"
	fi
	setup_cm && cm=$(uptime_ms) || say "  cluster_msg setup failed"
	say "  cluster_msg: $(cat $CM/state 2>/dev/null)"
	addr=$(hasys_record_addr)
	insmod "$(hasys_ko crashdump)" record_addr="$addr" &&
		[ "$(cat /sys/kernel/ha/crashdump/status)" = valid ] && rec=$(uptime_ms)
	say "  crash record at ${addr:-none}: $(cat /sys/kernel/ha/crashdump/status 2>/dev/null)"
	t=$(uptime_ms)
	if "$HACTL" crash save "$OUT/saved" --json >"$OUT/save.json" 2>&1; then
		saved=$(uptime_ms) save_ms=$((saved - t))
	else
		say "  hactl crash save failed: $(tail -c 300 "$OUT/save.json")"
	fi
	d=$(ls -d "$OUT"/saved/*/ 2>/dev/null | head -n 1)
	filtered=$(stat -c %s "$d/vmcore" 2>/dev/null) full=$(stat -c %s /proc/vmcore)
	say "  cluster_msg after the save: $(cat $CM/state 2>/dev/null)"
	t=$(uptime_ms)
	timeout 900 dd if=/proc/vmcore of=/dev/null bs=1M 2>/dev/null && copy_ms=$(($(uptime_ms) - t))
	echo "save_ms=$save_ms filtered=${filtered:--} full=$full copy_ms=$copy_ms" >"$SYNC/p6-sizes"
	say "  $(cat "$SYNC/p6-sizes")"
	[ -n "$sender" ] && kill "$sender"
	set -- kernel=0 userspace=$user
	[ -n "$net" ] && set -- "$@" network=$net
	[ -n "$fks" ] && set -- "$@" fence_kdump_send=$fks
	[ -n "$cm" ] && set -- "$@" cluster_msg=$cm
	[ -n "$rec" ] && set -- "$@" record=$rec
	[ -n "$saved" ] && set -- "$@" saved=$saved
	say "  milestones (ms of this kernel's clock): $*"
	"$WATCH" send "$IP_B" $WATCH_PORT "$@"
	echo 0 >$CM/enabled
}

if [ -e /proc/vmcore ]; then
	[ "$role" = A ] && capture
	exit 0
fi

say "== cluster_msg and corosync, two VMs: this is node $role (id $me)"
say "kernel: $(uname -r) $(uname -v)"
[ -x "$HACTL" ] || { say "HASYS_HACTL is not set to the hactl binary: no figures"; exit 1; }
pair_net || { say "network setup failed: no figures"; exit 1; }
setup_cm || { say "cluster_msg setup failed: no figures"; exit 1; }
# Storm coalescing off: the fatal records of P3 are one each, whatever their pace.
echo 0 >/sys/kernel/ha/hwerr/storm/window_ms 2>/dev/null
if setup_cs; then
	say "corosync: $(corosync -v | head -n 1), started (pid $COROSYNC)"
else
	say "corosync: not found (make setup installs it): cluster_msg figures only"
fi
# P6: A armed for kdump (its VM has the crashkernel= reservation). The sync
# directory is new for every run (vmtest.py), so no kdump-armed is left from before.
if [ "$role" = A ]; then
	if [ -z "${HASYS_KIMAGE:-}" ]; then
		say "kdump: HASYS_KIMAGE not set: P6 has the dying gasp only"
	elif insmod "$(hasys_ko crashdump)" &&
		"$HACTL" crash arm --kernel "$HASYS_KIMAGE" >"$OUT/arm.txt" 2>&1; then
		say "kdump: armed (hactl crash arm), crashkernel: $(cat /sys/kernel/kexec/crash_size) bytes"
		signal kdump-armed
	else
		say "kdump: not armed, P6 has the dying gasp only: $(tail -c 300 "$OUT/arm.txt" 2>/dev/null)"
	fi
fi
barrier started 180 || { finish; exit 1; }
say "cluster_msg: node $peer up after $(cm_wait $peer=up 60000) ms"
[ -n "$COROSYNC" ] && say "corosync: node $peer joined after $(cs_wait $peer joined 120000) ms"
say "cluster_msg timing: $(cm_timing_text) (its defaults), max clock skew $(cat $CM/max_skew_s) s"
if [ -n "$COROSYNC" ]; then
	say "corosync timing: token $(cs_key -g runtime.config.totem.token) ms," \
		"consensus $(cs_key -g runtime.config.totem.consensus) ms (its defaults), knet, crypto off"
fi
barrier joined 300 || { finish; exit 1; }

# --- P4a: silent failure ---------------------------------------------------------------

say
say "== P4a: silent failure (the host stops A), $DETECT_RUNS runs"
if [ "$role" = B ]; then
	say "  ms from the last frame B received from A, on B's clock (cluster_msg: its down"
	say "  record's capture and the agent waking; corosync: runtime.members.1.status no"
	say "  longer \"joined\", read through libcmap every 10 ms)"
	: >"$OUT/p4a.txt"
	for i in $(seq $DETECT_RUNS); do
		cm_wait 1=up 30000 >/dev/null || { say "  run $i: cluster_msg: $(cm_wait 1=up 1)"; break; }
		if [ -n "$COROSYNC" ]; then
			cs_wait 1 joined 90000 >/dev/null || { say "  run $i: corosync: node 1 not joined"; break; }
		fi
		sleep 2
		line=$("$CB" detect "$SYNC" A 1 $MAC_A 30000 2>&1)
		echo "$line" >>"$OUT/p4a.txt"
		say "  run $i: $line"
		host cont A || break
		cm=$(cm_wait 1=up 60000) cs=-
		[ -n "$COROSYNC" ] && cs=$(cs_wait 1 joined 120000)
		say "  run $i: A resumed: cluster_msg up after $cm ms, corosync joined after $cs ms"
	done
	signal p4a-done
else
	await p4a-done $((DETECT_RUNS * 300))
	# The stops left this node's clock behind (pair_lib.sh's clock_sync says why).
	say "  (B measures; this node was stopped and resumed; its clock, $(clock_offset) s" \
		"off the host's, stepped back)"
	clock_sync
fi

# --- P4b: false positives under load ----------------------------------------------------

count_lines() { grep -c "$1" "$2" 2>/dev/null || true; }
# The counts stress_phase compares: cluster_msg's epoch, its down and suspect records
# for the peer; corosync's new memberships (stats.srp.operational_entered), drops of
# the peer ("Members left:" in its log) and knet link downs.
p4b_counts() {
	local recs
	recs=$("$HACTL" watch --from-oldest --source cluster_msg --timeout-ms 300)
	echo "epoch=$(cat $CM/epoch)" \
		"down=$(echo "$recs" | grep -c "cluster node $peer: .*-> down")" \
		"suspect=$(echo "$recs" | grep -c "cluster node $peer: .*-> suspect")"
	if [ -n "$COROSYNC" ]; then
		echo "cs_memberships=$(cs_key -m stats -g stats.srp.operational_entered)" \
			"cs_left=$(count_lines 'Members left:' "$CSLOG")" \
			"cs_link_down=$(count_lines 'link: 0 is down' "$CSLOG")"
	fi
}
field() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }
delta() { echo $(($(field "$2" "$3") - $(field "$1" "$3"))); }

# stress_phase <label>: STRESS_S s of load on both nodes, then 5 s to settle; this
# node's changes go to $SYNC/p4b-<label>-<role>.
stress_phase() {
	local before after hogs= i d
	barrier "stress-$1" 120 || return 1
	before=$(p4b_counts)
	for i in 1 2; do (while :; do :; done) & hogs="$hogs $!"; done
	"$PKT" flood "$peer_ip" 9 $STRESS_S >"$OUT/flood-$1.txt" 2>&1
	kill $hogs
	wait $hogs 2>/dev/null
	sleep 5
	after=$(p4b_counts)
	d="cm_epoch=$(delta "$before" "$after" epoch) cm_down=$(delta "$before" "$after" down)"
	d="$d cm_suspect=$(delta "$before" "$after" suspect)"
	if [ -n "$COROSYNC" ]; then
		d="$d cs_memberships=$(delta "$before" "$after" cs_memberships)"
		d="$d cs_left=$(delta "$before" "$after" cs_left)"
		d="$d cs_link_down=$(delta "$before" "$after" cs_link_down)"
	fi
	d="$d flood_$(tr -d '\n' <"$OUT/flood-$1.txt" | tr ' ' '_')"
	echo "$d" >"$SYNC/p4b-$1-$role.tmp" && mv "$SYNC/p4b-$1-$role.tmp" "$SYNC/p4b-$1-$role"
	say "  $1: this node: $d"
	barrier "stressed-$1" 120
}

# p4b_phase <label> <suspect> <dead>: both nodes retime cluster_msg, see each other
# up again, and run the stress.
p4b_phase() {
	barrier "retime-$1" 120 || return 1
	cm_timing "$2" "$3" || { say "  could not set suspect $2, dead $3"; return 1; }
	say "  $1: cluster_msg $(cm_timing_text): node $peer up after $(cm_wait $peer=up 60000) ms"
	[ -n "$COROSYNC" ] && cs_wait $peer joined 120000 >/dev/null
	stress_phase "$1"
}

say
say "== P4b: false positives, $STRESS_S s of CPU hogs (2 per node) and a UDP flood both ways"
[ "$role" = A ] && cm_wait 2=up 60000 >/dev/null && [ -n "$COROSYNC" ] && cs_wait 2 joined 120000 >/dev/null
p4b_phase dead1000 500 1000
p4b_phase defaults 250 400

# --- P3: dying gasp --------------------------------------------------------------------

# both_up: cluster_msg and corosync both show the other node (bounded).
both_up() {
	cm_wait $peer=up 60000 >/dev/null || say "  (cluster_msg: $(cm_wait $peer=up 1))"
	[ -z "$COROSYNC" ] || cs_wait $peer joined 120000 >/dev/null ||
		say "  (corosync: node $peer not joined)"
}

say
say "== P3: dying gasp, A -> an agent on B in poll() on /dev/hwerr"
# The stress may have left a false down behind: start from both up.
both_up
barrier p3 300
if [ "$role" = B ]; then
	say "  ms from A's T0 datagram (sent just before the trigger) reaching B, on B's clock:"
	say "  record = hwerr's capture on B, woke = the agent back from poll() with it"
	timeout $((GASPS * 60 + 60)) "$CB" gasp $T0_PORT 1 $MAC_A $GASPS "$SYNC/gasp-ready" \
		"$SYNC/gasp-ack-" 30000 >"$OUT/gasp-normal.txt" 2>&1
	signal gasp-done
	say "  normal-path gasp (fatal record), not netpoll: $(grep -c 'record_ms=' "$OUT/gasp-normal.txt") of $GASPS samples"
	grep -v 'record_ms=' "$OUT/gasp-normal.txt" | sed 's/^/  /'
	# The real panic: both stacks see A, the agent is armed and has settled (2 s),
	# then A goes.
	both_up
	barrier panic-prep 300
	# P6's watcher and its fence agents first, then P3's agent for the gasp.
	p6_timeout=120
	[ -e "$SYNC/kdump-armed" ] && p6_timeout=$P6_TIMEOUT
	set -- "fence_hasys=$FENCE -o off -n 1 --timeout $p6_timeout --hactl $HACTL" \
		"fence_hasys_kdump=$FENCE -o off -n 1 --timeout $p6_timeout --reasons kdump,dumped --hactl $HACTL"
	if [ -x "$FA/fence_kdump" ]; then
		set -- "$@" "fence_kdump=$FA/fence_kdump -v -n $IP_A -t $p6_timeout"
	else
		say "  no fence_kdump (HASYS_FENCE_AGENTS: make setup fetches it)"
	fi
	timeout $((p6_timeout + 60)) "$WATCH" watch $WATCH_PORT "$SYNC/crash-ready" \
		$p6_timeout "$OUT" "$@" >"$OUT/p6.txt" 2>&1 &
	watcher=$!
	timeout 150 "$CB" gasp $T0_PORT 1 $MAC_A 1 "$SYNC/panic-ready" - 120000 \
		$([ -n "$COROSYNC" ] && echo cs) >"$OUT/gasp-panic.txt" 2>&1 &
	agent=$!
	if await panic-ready 60; then
		await crash-ready 60 || say "  (P6: the fence agents' watcher is not ready: $(head -c 300 "$OUT/p6.txt"))"
		sleep 2
		signal panic-go
	fi
	wait $agent
	say "  real panic (netpoll gasp from the panic notifier):"
	sed 's/^/    /' "$OUT/gasp-panic.txt"
	say
	say "== P6: the same panic, $([ -e "$SYNC/kdump-armed" ] || echo "not ")armed for kdump: A's capture kernel and the fence agents"
	wait $watcher
	sed 's/^/    /' "$OUT/p6.txt"
else
	if await gasp-ready 60; then
		sent=0
		for i in $(seq $GASPS); do
			"$CB" send $IP_B $T0_PORT "T0-normal-$i" $DBG/hwerr/inject "1 4" || break
			for j in $(seq 200); do
				[ "$(cat $CM/state)" = dead:hw-fatal ] && break
				sleep 0.05
			done
			[ "$(cat $CM/state)" = dead:hw-fatal ] || { say "  gasp $i: state $(cat $CM/state)"; break; }
			# Back in with a new incarnation; B acknowledges once it sees A up.
			echo 0 >$CM/enabled && echo 1 >$CM/enabled || break
			await "gasp-ack-$i" 60 || break
			sent=$i
		done
		say "  $sent of $GASPS normal-path gasps sent (each: a fatal record, then disabled and enabled)"
	fi
	await gasp-done $((GASPS * 60 + 120))
	both_up
	barrier panic-prep 300
	# A precaution: reset 1 s after the panic, not at once (vng boots with panic=-1),
	# so that frames already handed to the NIC leave QEMU before it exits at the reset
	# (-no-reboot). The gasp leaves from the panic notifiers, before that second.
	echo 1 >/proc/sys/kernel/panic
	q=/sys/class/net/eth0/queues/tx-0/byte_queue_limits
	say "  eth0 before the panic: $(ip -s -o link show eth0 | awk '{ for (i = 1; i <= NF; i++) if ($i == "TX:") print "tx", $(i + 8), "bytes", $(i + 9), "packets" }')," \
		"BQL inflight $(cat $q/inflight 2>/dev/null) limit $(cat $q/limit 2>/dev/null)"
	say "  cluster_msg: $(cat $CM/state), peer $(awk -v id=$peer '$1 == id { print $2 }' $CM/members)"
	finish
	await panic-go 180
	say "  A panics now (sysrq c), after a T0 datagram to B (kernel.panic=1)"
	"$CB" send $IP_B $T0_PORT,$WATCH_PORT T0-panic /proc/sysrq-trigger c
	sleep 30
	exit 1 # not reached: the capture kernel runs this script again (P6)
fi

# --- B: the figures --------------------------------------------------------------------

# pstat <file> <key>: "p50 max n" (nearest rank) of the non-negative <key>=<ms> values.
pstat() {
	grep -o " $2=[0-9.]*" "$1" | cut -d= -f2 | sort -n |
		awk '{ v[NR] = $1 } END { if (!NR) print "- - 0"; else printf "%.1f %.1f %d\n", v[int((NR + 1) / 2)], v[NR], NR }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.1fx", a / b; else print "-" }'; }
row() { printf '  %-52s %s\n' "$1" "$2"; }

cs_stop
say
say "== Figures (TCG: two 1-vCPU guests on the 2-core host; ms on B's clock; p50 / max)"
set -- $(pstat "$OUT/p4a.txt" cm_down_ms); cm50=$1 cmmax=$2 n=$3
set -- $(pstat "$OUT/p4a.txt" cm_woke_ms); cw50=$1 cwmax=$2
set -- $(pstat "$OUT/p4a.txt" cs_ms); cs50=$1 csmax=$2 csn=$3
say "P4a silent failure, host stops A, from A's last frame at B ($n runs):"
row "cluster_msg defaults, down record" "$cm50 / $cmmax"
row "cluster_msg defaults, agent woke" "$cw50 / $cwmax"
row "corosync defaults, A no longer a member ($csn runs)" "$cs50 / $csmax"
row "ratio corosync / cluster_msg (down record)" "$(ratio "$cs50" "$cm50") / $(ratio "$csmax" "$cmmax")"
say "P4b false positives, $STRESS_S s of load (+5 s), changes on B | on A:"
for phase in dead1000 defaults; do
	b=$(cat "$SYNC/p4b-$phase-B" 2>/dev/null) a=$(cat "$SYNC/p4b-$phase-A" 2>/dev/null)
	case $phase in
	dead1000) t="suspect 500, dead 1000" ;;
	defaults) t="defaults: suspect 250, dead 400" ;;
	esac
	row "cluster_msg $t: epoch" "$(field "$b" cm_epoch) | $(field "$a" cm_epoch)   (down $(field "$b" cm_down) | $(field "$a" cm_down), suspect $(field "$b" cm_suspect) | $(field "$a" cm_suspect))"
	if [ -n "$(field "$b" cs_memberships)" ]; then
		row "corosync defaults, same $STRESS_S s: new memberships" "$(field "$b" cs_memberships) | $(field "$a" cs_memberships)   (peer left $(field "$b" cs_left) | $(field "$a" cs_left), knet link down $(field "$b" cs_link_down) | $(field "$a" cs_link_down))"
	fi
done
say "P3 dying gasp, from A's T0 datagram at B:"
set -- $(pstat "$OUT/gasp-normal.txt" record_ms); r50=$1 rmax=$2 n=$3
set -- $(pstat "$OUT/gasp-normal.txt" woke_ms); w50=$1 wmax=$2
lost=$(grep -c 'state=down:timeout' "$OUT/gasp-normal.txt") extra=
[ "$lost" -gt 0 ] && extra=" ($lost more without a gasp: down by timeout)"
row "normal-path gasp (fatal record), not netpoll, $n samples" "record $r50 / $rmax, woke $w50 / $wmax$extra"
set -- $(pstat "$OUT/gasp-panic.txt" record_ms); pr=$1
set -- $(pstat "$OUT/gasp-panic.txt" woke_ms); pw=$1
set -- $(pstat "$OUT/gasp-panic.txt" cs_ms); pc=$1
state=$(grep -o 'state=[a-z:-]*' "$OUT/gasp-panic.txt" | cut -d= -f2)
if [ "$state" = down:timeout ]; then
	row "real panic, 1 sample: no gasp, down by timeout" "$(pstat "$OUT/gasp-panic.txt" down_ms | cut -d' ' -f1)"
else
	row "real panic, netpoll gasp, 1 sample (${state:-none})" "record $pr, woke $pw"
fi
row "real panic, corosync drops A" "$pc"
row "ratio corosync / cluster_msg (agent woke)" "$(ratio "$pc" "$pw")"
# mark <name>, agent_ms <name>: P6's times (ms from T0) in crash_watch.py's lines;
# agent <name>: the time and the agent's exit status.
mark() { awk -v n="$1" '$1 == "mark" && $2 == n { sub("ms=", "", $3); print $3 }' "$OUT/p6.txt"; }
agent_ms() { awk -v n="$1" '$1 == "agent" && $2 == n { sub("ms=", "", $3); print $3 }' "$OUT/p6.txt"; }
agent() { echo "$(agent_ms "$1") ms (exit $(awk -v n="$1" '$1 == "agent" && $2 == n { sub("rc=", "", $4); print $4 }' "$OUT/p6.txt"))"; }
secs() { awk -v v="$1" 'BEGIN { if (v ~ /^[0-9.]+$/) printf "%.1f s", v / 1000; else print "-" }'; }
mb() { awk -v v="$1" 'BEGIN { if (v ~ /^[0-9]+$/) printf "%.1f MB", v / 1048576; else print "-" }'; }
say "P6 kdump, the same panic, from A's T0 at B:"
if [ -e "$SYNC/kdump-armed" ]; then
	row "capture kernel's clock starts" "$(secs "$(mark kernel)")"
	row "capture kernel's userspace" "$(secs "$(mark userspace)")"
	row "its network up (then fence_kdump_send, cluster_msg)" "$(secs "$(mark network)")"
	row "crash record published (crashdump status valid)" "$(secs "$(mark record)")"
	row "vmcore saved (hactl crash save, makedumpfile -d 31)" "$(secs "$(mark saved)")"
	sizes=$(cat "$SYNC/p6-sizes" 2>/dev/null)
	row "vmcore: filtered (saved) / unfiltered (/proc/vmcore)" "$(mb "$(field "$sizes" filtered)") / $(mb "$(field "$sizes" full)") ($(ratio "$(field "$sizes" full)" "$(field "$sizes" filtered)") smaller)"
	row "save time: filtered / one read of the unfiltered" "$(secs "$(field "$sizes" save_ms)") / $(secs "$(field "$sizes" copy_ms)")"
fi
row "fenced: fence_hasys, defaults (the gasp counts)" "$(agent fence_hasys)"
row "fenced: fence_hasys, reasons kdump,dumped" "$(agent fence_hasys_kdump)"
row "fenced: fence_kdump (fence_kdump_send, -i 10)" "$(agent fence_kdump)"
row "ratio fence_kdump / fence_hasys defaults" "$(ratio "$(agent_ms fence_kdump)" "$(agent_ms fence_hasys)")"
row "ratio fence_kdump / fence_hasys kdump,dumped" "$(ratio "$(agent_ms fence_kdump)" "$(agent_ms fence_hasys_kdump)")"

echo 0 >$CM/enabled
for m in cluster_msg hwerr; do rmmod $m 2>/dev/null; done
[ -f "$CSLOG" ] && cp "$CSLOG" "$OUT/corosync.log"
exit 0
