#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, P5: the blackout of a kexec handoff against a firmware reboot of the
# same VM, both to the same point: userspace with hasys loaded (and, after the
# handoff, restored). scripts/vmtest.py --mode handoff-bench boots one VM (bench
# kernel, kho=on) whose boots each run this script again (the markers in <out-dir>
# say which):
#
#   1. cold boot: hasys loaded, then `reset-request`: the host resets the VM
#      (QEMU system_reset: the firmware, then the kernel QEMU loads, from scratch);
#   2. after the reset: hasys loaded, `up-2`; `hactl handoff --no-exec` loads the
#      same kernel and prepares the handoff, then `kexec-request`: once the host
#      answers `kexec-go`, kexec -e;
#   3. after the kexec: hasys loaded, kexec_handoff `restored`, `up-3`.
#
# The host times both on its own clock, from the reset it sends and from its
# `kexec-go`, to the `up-*` marker; this script only writes markers, the kernel's
# uptime at each `up-*`, and what went wrong. Every wait is bounded.
#
#   blackout.sh <out-dir> <bzImage>
#
# Needs HASYS_MODDIR and HASYS_HACTL.

. "$(dirname "$0")/hasys_lib.sh"

OUT=${1:?usage: blackout.sh <out-dir> <bzImage>}
KIMG=${2:?}
HACTL=${HASYS_HACTL:-}
KH=/sys/kernel/ha/kexec_handoff

fail() {
	echo "$*" >>"$OUT/error.txt"
	exit 1
}

# up <n>: the kernel's uptime, then the marker the host times.
up() {
	cut -d' ' -f1 /proc/uptime >"$OUT/uptime-$1"
	: >"$OUT/up-$1"
	sync
}

# request <name> <seconds>: <name>-request, then wait for the host's <name>-go.
request() {
	local end=$((SECONDS + $2))
	: >"$OUT/$1-request"
	sync
	while [ ! -e "$OUT/$1-go" ]; do
		[ $SECONDS -ge $end ] && fail "no $1-go from the host in $2 s"
		sleep 0.01
	done
}

[ -x "$HACTL" ] || fail "HASYS_HACTL is not set to the hactl binary"
hasys_load_all >>"$OUT/load.txt" 2>&1 || fail "cannot load the hasys modules"

if [ -e "$OUT/up-2" ]; then
	# 3. The kernel the handoff started.
	up 3
	cp "$OUT/dmesg-boot.txt" "$OUT/dmesg-boot-3.txt"
	[ "$(cat $KH/state)" = restored ] || fail "kexec_handoff is $(cat $KH/state), not restored"
	cat $KH/report >"$OUT/report.txt"
	hasys_unload_all || fail "cannot unload the hasys modules"
elif [ -e "$OUT/up-1" ]; then
	# 2. After the firmware reboot.
	up 2
	cp "$OUT/dmesg-boot.txt" "$OUT/dmesg-boot-2.txt"
	"$HACTL" handoff --kernel "$KIMG" --no-exec >"$OUT/handoff.txt" 2>&1 ||
		fail "hactl handoff --no-exec failed: $(cat "$OUT/handoff.txt")"
	request kexec 60
	kexec -e
	fail "kexec -e returned $?"
else
	# 1. The cold boot.
	up 1
	cp "$OUT/dmesg-boot.txt" "$OUT/dmesg-boot-1.txt"
	request reset 60
	sleep 60
	fail "the host did not reset the VM"
fi
