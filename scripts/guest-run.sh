#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM (started by vmtest.py), as root. Never trusts its own exit
# code to reach the host: everything goes to files in the results directory $1, which
# the host reads and judges. `done` is written last.
#
#   guest-run.sh <results> test   KUnit suites, then the staged kselftests
#   guest-run.sh <results> demo   load hasys and show what it does
#   guest-run.sh <results> bench  the in-VM benchmark
#   guest-run.sh <results> boot   nothing: the boot's kernel log only
#   guest-run.sh <results> cluster one node of the two-node run (HASYS_NODE=A|B):
#                                 selftests/cluster_msg/node.sh; files go to
#                                 <results>/<node>/, the nodes meet in <results>/sync/
#   guest-run.sh <results> cluster-bench  the same pair, for the benchmark against
#                                 corosync: selftests/cluster_msg/bench.sh; figures
#                                 in <results>/<node>/bench.txt (B's has them all);
#                                 A's capture kernel runs it again after A's panic,
#                                 its files named *-capture.txt
#   guest-run.sh <results> crash  one crash scenario (HASYS_CRASH=sysrq|mce) in a VM
#                                 booted with crashkernel=: selftests/crashdump/crash.sh,
#                                 run again by the capture kernel (HASYS_KIMAGE is the
#                                 bzImage it loads)
#   guest-run.sh <results> handoff  the handoff scenario in a VM booted with kho=on:
#                                 selftests/kexec_handoff/handoff.sh, run again by each
#                                 kernel its kexecs start (HASYS_KIMAGE is the bzImage);
#                                 the VM is node A of the pair topology
#   guest-run.sh <results> handoff-peer  node B beside it: selftests/kexec_handoff/peer.sh
#                                 watches A through cluster_msg; files go to
#                                 <results>/peer, the two meet in <results>/sync
#   guest-run.sh <results> handoff-bench  make bench's P5: selftests/kexec_handoff/
#                                 blackout.sh, run again by each boot (cold, after
#                                 the host's reset, after the kexec)
#
# Environment: HASYS_MODDIR (built tree), HASYS_KSELFTEST (staged kselftests),
# HASYS_HACTL (hactl binary, optional), HASYS_SELFTEST_FAIL (passed to the tests),
# HASYS_KSELFTEST_ARGS (run_kselftest.sh options, e.g. "-c lifecycle"),
# HASYS_HOSTREQ (directory where tests ask the host for an NMI; see vmtest.py),
# HASYS_BENCH (the benchmark binary, bench mode), HASYS_HADETECT_BENCH (hadetect's,
# run after it if set).
set -u
res=$1
mode=$2
if [ "$mode" = cluster ] || [ "$mode" = cluster-bench ]; then
	sync=$res/sync
	res=$res/$HASYS_NODE
elif [ "$mode" = handoff-peer ]; then
	sync=$res/sync
	res=$res/peer
fi
export HASYS_MODDIR HASYS_SELFTEST_FAIL="${HASYS_SELFTEST_FAIL:-0}" HASYS_HOSTREQ
HASYS_KSELFTEST_ARGS=${HASYS_KSELFTEST_ARGS:-}
dbg=/sys/kernel/debug

# A capture kernel of the benchmark pair keeps the crashed kernel's files.
tag=
[ "$mode" = cluster-bench ] && [ -e /proc/vmcore ] && tag=-capture

mountpoint -q $dbg || mount -t debugfs none $dbg
dmesg >"$res/dmesg-boot$tag.txt"
dmesg -C
# The guest CPU's feature flags: make check-boot says whether LA57 was on.
grep -m1 '^flags' /proc/cpuinfo >"$res/cpu-flags.txt"

. "$HASYS_MODDIR/selftests/hasys_modules.sh"
mods=$(hasys_modules)

run_test() {
	# Forget what boot allocated, so kmemleak reports only what the tests leak.
	[ -w $dbg/kmemleak ] && echo clear >$dbg/kmemleak

	# KUnit: a module's suites run when it loads and report KTAP to the log.
	for m in $mods; do insmod "$(hasys_ko "$m")" || echo "insmod $m failed" >>"$res/kunit-load.txt"; done
	dmesg >"$res/kunit.log"
	for m in $(hasys_modules_rev); do rmmod "$m"; done

	# Through a pipe: the runner reopens /dev/stdout for nested output, which on a
	# plain file would write over the top-level lines.
	(cd "$HASYS_KSELFTEST" && ./run_kselftest.sh $HASYS_KSELFTEST_ARGS) 2>&1 | cat >"$res/kselftest.ktap"

	if [ -w $dbg/kmemleak ]; then
		# An object must stay unreferenced for 5 s and two scans to be reported.
		echo scan >$dbg/kmemleak
		sleep 6
		echo scan >$dbg/kmemleak
		# No kmemleak.txt unless the report was read: the host fails a missing one.
		cat $dbg/kmemleak >"$res/kmemleak.tmp" && mv "$res/kmemleak.tmp" "$res/kmemleak.txt"
	fi
}

# attrs <dir>: "name=value ..." for the readable files directly in <dir>.
attrs() {
	local f out=
	for f in "$1"/*; do
		[ -f "$f" ] && [ -r "$f" ] || continue
		out="$out $(basename "$f")=$(tr '\n' ' ' <"$f" | sed 's/ *$//')"
	done
	echo "${out# }"
}

# The /sys/kernel/ha tree as a reader wants it: per module its own attributes, then one
# line per subdirectory (hwerr: a source with enabled/captured/dropped).
show_ha_tree() {
	local m d
	for m in /sys/kernel/ha/*/; do
		printf '%s  %s\n' "${m%/}" "$(attrs "$m")"
		for d in "$m"*/; do
			[ -d "$d" ] || continue
			printf '  %-15s %s\n' "$(basename "$d")" "$(attrs "$d")"
		done
	done
}

run_demo() {
	local m
	echo "== insmod the hasys modules, hwerr first (modules.order)"
	for m in $mods; do echo "# insmod $m.ko"; insmod "$(hasys_ko "$m")" || return 1; done
	echo
	echo "== lsmod | grep hasys modules"
	lsmod | grep -E "^($(echo $mods | tr ' ' '|'))\b"
	echo
	echo "== modinfo: every module depends on hwerr"
	for m in $mods; do printf '%-14s depends: %s\n' "$m" "$(modinfo -F depends "$(hasys_ko "$m")")"; done
	echo
	echo "== /sys/kernel/ha (each module's attributes; one line per subdirectory)"
	show_ha_tree
	if [ -x "${HASYS_HACTL:-}" ]; then
		echo
		echo "== hactl status"
		"$HASYS_HACTL" status
		echo
		echo "== an MCE (mce-inject) and two software reports, then hactl watch and stats"
		echo sw >$dbg/mce-inject/flags
		echo 0 >$dbg/mce-inject/cpu
		echo 0x9000000000001234 >$dbg/mce-inject/status
		echo 1 >$dbg/mce-inject/bank
		echo "2 1" >$dbg/hwerr/inject
		"$HASYS_HACTL" watch --from-oldest --timeout-ms 3000
		"$HASYS_HACTL" watch --from-oldest --json --source mce --timeout-ms 1000
		"$HASYS_HACTL" stats
		echo "# hactl stats --prom (for node_exporter's textfile collector)"
		"$HASYS_HACTL" stats --prom | grep -E '^hasys_hwerr_(records_captured_total|log_)'
	fi
	echo
	echo "== rmmod hwerr while the others use it (refused)"
	rmmod hwerr
	echo
	echo "== rmmod in reverse order"
	for m in $(hasys_modules_rev); do echo "# rmmod $m"; rmmod "$m"; done
	echo
	echo "== dmesg (hasys lines; the KUnit suites' KTAP is left out)"
	dmesg | grep -E "\] ($(echo $mods | tr ' ' '|')):"
}

run_bench() {
	# The benchmark loads hwerr itself (with a log large enough to keep every
	# record it injects); figures only, no pass/fail.
	"$HASYS_BENCH"
	# hadetect: from the Nth error to the isolation, against a userspace daemon.
	if [ -n "${HASYS_HADETECT_BENCH:-}" ]; then
		echo
		"$HASYS_HADETECT_BENCH"
	fi
}

run_cluster() {
	[ -w $dbg/kmemleak ] && echo clear >$dbg/kmemleak
	# Node A panics at the end: node.sh saves its kernel log and kmemleak report first.
	"$HASYS_KSELFTEST/cluster_msg/node.sh" "$HASYS_NODE" "$sync" "$res" 2>&1 |
		cat >"$res/cluster.ktap"
}

run_crash() {
	# The capture kernel runs this script again: the boot log of each kernel is kept.
	if [ -e /proc/vmcore ]; then
		cp "$res/dmesg-boot.txt" "$res/dmesg-boot-2.txt"
	else
		cp "$res/dmesg-boot.txt" "$res/dmesg-boot-1.txt"
		[ -w $dbg/kmemleak ] && echo clear >$dbg/kmemleak
	fi
	"$HASYS_KSELFTEST/crashdump/crash.sh" "$res" "$HASYS_CRASH" "$HASYS_KIMAGE"
}

run_handoff() {
	# Each kernel a handoff starts runs this script again: each boot log is kept.
	if [ -e "$res/stage2-kexec" ]; then
		cp "$res/dmesg-boot.txt" "$res/dmesg-boot-3.txt"
	elif [ -e "$res/stage1-kexec" ]; then
		cp "$res/dmesg-boot.txt" "$res/dmesg-boot-2.txt"
	else
		cp "$res/dmesg-boot.txt" "$res/dmesg-boot-1.txt"
	fi
	[ -w $dbg/kmemleak ] && echo clear >$dbg/kmemleak
	"$HASYS_KSELFTEST/kexec_handoff/handoff.sh" "$res" "$HASYS_KIMAGE"
}

run_handoff_bench() {
	# P5: each boot (cold, after the reset, after the kexec) runs it again.
	"$HASYS_KSELFTEST/kexec_handoff/blackout.sh" "$res" "$HASYS_KIMAGE"
}

run_handoff_peer() {
	[ -w $dbg/kmemleak ] && echo clear >$dbg/kmemleak
	"$HASYS_KSELFTEST/kexec_handoff/peer.sh" "$res" "$sync" >"$res/peer.ktap" 2>&1
}

run_cluster_bench() {
	# Node A panics at the end: bench.sh saves its kernel log and done marker first.
	"$HASYS_KSELFTEST/cluster_msg/bench.sh" "$HASYS_NODE" "$sync" "$res" 2>&1 |
		cat >"$res/bench$tag.txt"
}

case $mode in
test) run_test ;;
cluster) run_cluster ;;
cluster-bench) run_cluster_bench ;;
crash) run_crash ;;
handoff) run_handoff ;;
handoff-peer) run_handoff_peer ;;
handoff-bench) run_handoff_bench >>"$res/blackout.log" 2>&1 ;;
demo) run_demo >"$res/demo.log" 2>&1 ;;
bench) run_bench >"$res/bench.txt" 2>&1 ;;
boot) ;; # only the kernel log: make check-boot counts boots with a report
*) echo "unknown mode $mode" >"$res/error.txt" ;;
esac
dmesg >"$res/dmesg$tag.txt"
echo done >"$res/done"
