#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# crashdump through a real crash and a real capture kernel, in one VM booted with
# crashkernel= (scripts/vmtest.py, boot_crash()). The same script runs twice in that
# VM: first in the normal kernel (stage 1), then again in the capture kernel, which
# virtme-ng's init starts with the same command (stage 2: /proc/vmcore exists).
#
#   crash.sh <out-dir> sysrq|mce <bzImage>
#
# Stage 1: the live record (state, corrected MCEs in it), `hactl crash arm`
# (kexec -s -p) and, for sysrq, disarm, then the crash: SysRq c, or a
# fatal machine check that QEMU raises on the host's monitor (a real #MC: the
# kernel's mce_panic()). Before it, the kernel log and the kmemleak report are saved.
# Stage 2: crashdump loaded with the address from the command line finds the record
# and validates it (reason, message, the panic line in the log tail, the corrected
# MCEs, and for mce the fatal one with its bank, status and address); /dev/hwerr has
# the crash record and the previous boot's records; for sysrq, absent, wrong and
# unreadable addresses give a clear status; cluster_msg enabled in the capture
# kernel is dumping from its start, and `hactl crash save` writes the record, the
# vmcore's log and a filtered vmcore (the saved record reads back) and then tells
# the peers the dump is saved.
#
# Each stage writes its KTAP to <out-dir>/stage1.ktap or stage2.ktap; every wait
# is bounded. Needs HASYS_MODDIR, HASYS_HACTL, and for mce
# HASYS_HOSTREQ.

. "$(dirname "$0")/hasys_lib.sh"

OUT=${1:?usage: crash.sh <out-dir> sysrq|mce <bzImage>}
SCEN=${2:?}
KIMG=${3:?}
HACTL=${HASYS_HACTL:-}
PY=/usr/bin/python3
CD=/sys/kernel/ha/crashdump
CM=/sys/kernel/ha/cluster_msg
INJ=/sys/kernel/debug/mce-inject
# Corrected memory errors (VAL|EN|ADDRV, MCACOD 0x9f), one per address, in bank 1.
CE_STATUS=0x940000000000009f
CE_ADDRS="0x1234000 0x2345000 0x3456000"
# The fatal one QEMU raises: VAL|UC|EN|MISCV|ADDRV|PCC, bank 2; MCG_STATUS MCIP|EIPV
# (no RIPV: the kernel cannot return, so it panics).
UC_BANK=2
UC_STATUS=0xbe0000000000009f
UC_ADDR=0x4567000
UC_MCGSTATUS=0x6

[ -x "$HACTL" ] || { ktap_print_header; ktap_exit_fail_msg "HASYS_HACTL is not set to the hactl binary"; }

# json <expr>: evaluates a Python expression over the JSON on stdin, bound to `d`.
json() { "$PY" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" 2>/dev/null; }

# mce_sw <addr>: one corrected MCE through mce-inject (software: the decode chain).
mce_sw() {
	echo sw >$INJ/flags && echo 0 >$INJ/cpu && echo $CE_STATUS >$INJ/status &&
		echo "$1" >$INJ/addr && echo 0 >$INJ/misc && echo 1 >$INJ/bank
}

# The start of this kernel's largest System RAM range (/proc/iomem), as 0x...
largest_ram() {
	local range rest start end best=0 size=0
	while read -r range rest; do
		case $rest in *"System RAM"*) ;; *) continue ;; esac
		start=$((16#${range%-*})) end=$((16#${range#*-}))
		[ $((end - start)) -gt $size ] && size=$((end - start)) best=$start
	done </proc/iomem
	printf '0x%x\n' "$best"
}

finish() {
	hasys_save_kmemleak "$OUT/kmemleak-$1.txt"
	dmesg >"$OUT/dmesg-$1.txt"
}

# --- stage 1: the normal kernel --------------------------------------------------------

stage1() {
	ktap_print_header
	# The sysrq scenario tests the tools too (disarm; in stage 2 bad addresses and
	# the save); the mce scenario only what the machine check changes, to keep
	# make check's time down.
	if [ "$SCEN" = sysrq ]; then
		ktap_set_plan 6
		hasys_load_all || ktap_exit_fail_msg "cannot load the hasys modules"
	else
		ktap_set_plan 5
		insmod "$(hasys_ko hwerr)" && insmod "$(hasys_ko crashdump)" ||
			ktap_exit_fail_msg "cannot load hwerr and crashdump"
	fi
	ktap_check "a normal kernel keeps a live record" eval \
		'test "$(cat $CD/status)" = live && grep -q "^crashdump.record_addr=0x[0-9a-f]*$" $CD/cmdline'
	ktap_print_msg "record at $(cat $CD/record_addr), $(cat $CD/record_size) bytes"
	for a in $CE_ADDRS; do mce_sw "$a"; done
	live() {
		local j
		for _ in $(seq 50); do
			j=$("$HACTL" crash show --json) &&
				[ "$(echo "$j" | json 'sum(1 for r in d["records"] if r["source"] == "mce")')" -ge 3 ] &&
				break
			sleep 0.1
		done
		echo "$j" | json 'd["state"] == "live" and d["reason"] == "none"' | grep -q True
	}
	ktap_check "the live record holds the corrected MCEs" live
	arm() {
		"$HACTL" crash arm --kernel "$KIMG" --json >"$OUT/arm.json" 2>&1 || {
			cat "$OUT/arm.json" | while read -r l; do ktap_print_msg "$l"; done
			return 1
		}
		test "$(cat /sys/kernel/kexec/crash_loaded)" = 1 &&
			test "$(cat /sys/module/kernel/parameters/crash_kexec_post_notifiers)" = Y
	}
	ktap_check "hactl crash arm loads the capture kernel" arm
	ktap_check "the capture kernel's command line names the record" \
		grep -q "crashdump.record_addr=$(cat $CD/record_addr)" "$OUT/arm.json"
	[ "$SCEN" = sysrq ] && ktap_check "hactl crash disarm and arm again" eval \
		'"$HACTL" crash disarm >/dev/null && test "$(cat /sys/kernel/kexec/crash_loaded)" = 0 &&
		"$HACTL" crash arm --kernel "$KIMG" >/dev/null && test "$(cat /sys/kernel/kexec/crash_loaded)" = 1'
	ktap_check "nothing leaked or reported before the crash" eval \
		'finish 1; ! grep -q "unreferenced object" "$OUT/kmemleak-1.txt" 2>/dev/null'
	ktap_finished
}

crash_now() {
	echo "$SCEN" >"$OUT/stage1-done"
	sync
	case $SCEN in
	sysrq) echo c >/proc/sysrq-trigger ;;
	mce)
		# QEMU's monitor: mce <cpu> <bank> <status> <mcg_status> <addr> <misc>.
		# Written whole, then renamed: over 9p the host can see a file created and
		# not yet written, and it refuses an empty request as malformed.
		echo "0 $UC_BANK $UC_STATUS $UC_MCGSTATUS $UC_ADDR 0" >"$HASYS_HOSTREQ/mce-request.new" &&
			mv "$HASYS_HOSTREQ/mce-request.new" "$HASYS_HOSTREQ/mce-request"
		;;
	esac
	sleep 60
	# Why no crash came, for the host's failure summary: what became of the request
	# (the host writes QEMU's reply into mce-done) and the kernel's last word on it.
	local req=
	if [ "$SCEN" = mce ]; then
		for f in mce-request mce-done mce-failed; do
			[ -e "$HASYS_HOSTREQ/$f" ] && req="$req $f: $(head -c 300 "$HASYS_HOSTREQ/$f" | tr '\n' ' ');"
		done
	fi
	echo "still running 60 s after the crash was asked for;${req:- }" \
		"kernel: $(dmesg | grep -iE 'mce|machine check' | tail -n 3 | tr '\n' ' ')" >"$OUT/no-crash"
}

# --- stage 2: the capture kernel -------------------------------------------------------

stage2() {
	local addr j
	ktap_print_header
	# The fatal MCE's test is the mce scenario's only.
	if [ "$SCEN" = mce ]; then ktap_set_plan 8; else ktap_set_plan 11; fi
	addr=$(hasys_record_addr)
	ktap_print_msg "capture kernel: $(uname -r), record_addr ${addr:-none}, $(awk '/MemTotal/ { print $2 " kB" }' /proc/meminfo)"
	ktap_check "crashdump loads with the address from the command line" eval \
		'insmod "$(hasys_ko hwerr)" && insmod "$(hasys_ko crashdump)" record_addr="$addr"'
	ktap_check "the record is valid" eval 'test "$(cat $CD/status)" = valid || { ktap_print_msg "status: $(cat $CD/status)"; false; }'
	j=$("$HACTL" crash show --json 2>&1)
	echo "$j" >"$OUT/record.json"
	"$HACTL" crash show >"$OUT/record.txt" 2>&1
	case $SCEN in
	sysrq) want_reason=panic want_msg="sysrq triggered crash" ;;
	mce) want_reason=hw-fatal want_msg="achine check" ;;
	esac
	ktap_check "state crashed, reason $want_reason, the panic message" eval \
		'echo "$j" | json "d[\"state\"] == \"crashed\" and d[\"reason\"] == \"$want_reason\" and \"$want_msg\" in d[\"message\"]" | grep -q True ||
		{ ktap_print_msg "$(head -c 400 "$OUT/record.txt")"; false; }'
	ktap_check "the log tail ends with the panic" eval \
		'echo "$j" | json "\"Kernel panic - not syncing\" in d[\"log\"]" | grep -q True'
	ktap_check "the corrected MCEs of the crashed kernel are in it" eval \
		'for a in $CE_ADDRS; do echo "$j" | json "any(r[\"source\"] == \"mce\" and r[\"detail\"][\"addr\"] == $a for r in d[\"records\"])" | grep -q True || return 1; done'
	if [ "$SCEN" = mce ]; then
		ktap_check "the fatal MCE is in it with its bank, status and address" eval \
			'echo "$j" | json "any(r[\"source\"] == \"mce\" and r[\"detail\"][\"bank\"] == $UC_BANK and r[\"detail\"][\"addr\"] == $UC_ADDR and r[\"detail\"][\"status\"] & $UC_STATUS == $UC_STATUS for r in d[\"records\"])" | grep -q True'
	fi
	"$HACTL" watch --from-oldest --timeout-ms 1000 >"$OUT/hwerr.txt" 2>&1
	ktap_check "/dev/hwerr: the crash record, then the previous boot's records" eval \
		'grep -q "crash record at $addr: valid, crashed" "$OUT/hwerr.txt" &&
		test "$(grep -c "+previous_boot" "$OUT/hwerr.txt")" -ge 3'
	bad_addr() {
		local ram
		rmmod crashdump || return 1
		insmod "$(hasys_ko crashdump)" && test "$(cat $CD/status)" = none && rmmod crashdump || return 1
		insmod "$(hasys_ko crashdump)" record_addr=$((addr + 0x10000)) || return 1
		ktap_print_msg "past the region: $(cat $CD/status)"
		case $(cat $CD/status) in invalid\ *) ;; *) return 1 ;; esac
		rmmod crashdump || return 1
		# This kernel's own RAM (its largest range: the crashkernel= reservation) is
		# not a record.
		ram=$(largest_ram)
		insmod "$(hasys_ko crashdump)" record_addr=$((ram + 0x100000)) || return 1
		ktap_print_msg "in this kernel's RAM ($ram): $(cat $CD/status)"
		test "$(cat $CD/status)" = "invalid unreadable" && rmmod crashdump &&
			insmod "$(hasys_ko crashdump)" record_addr="$addr" && test "$(cat $CD/status)" = valid
	}
	[ "$SCEN" = sysrq ] &&
		ktap_check "no, a wrong or an unreadable address: a clear status, no crash" bad_addr
	# A peer that is not there (this VM's NIC has no link): what is checked is this
	# node's side, that a capture kernel never joins and says it is dumping.
	cluster_dumping() {
		insmod "$(hasys_ko cluster_msg)" || return 1
		ip link set eth0 up && ip addr add 10.99.0.1/24 dev eth0 || return 1
		echo 1 >$CM/node_id && echo 7 >$CM/cluster_id && echo eth0 >$CM/interface &&
			echo 000102030405060708090a0b0c0d0e0f >$CM/key0 &&
			echo "+2 10.99.0.2 52:54:00:00:00:02" >$CM/peers && echo 1 >$CM/enabled || return 1
		ktap_print_msg "cluster_msg enabled in the capture kernel: $(cat $CM/state)"
		test "$(cat $CM/state)" = dumping:kdump && ! echo leave 2>/dev/null >$CM/request &&
			"$HACTL" watch --from-oldest --source cluster_msg --timeout-ms 1000 |
			grep -q "this node (1): up -> dying (kdump)"
	}
	[ "$SCEN" = sysrq ] &&
		ktap_check "cluster_msg in a capture kernel is dumping from its start" cluster_dumping
	save() {
		local t0=$SECONDS d
		# With the record, whatever the test before left loaded.
		if [ "$(cat $CD/status 2>/dev/null)" != valid ]; then
			rmmod crashdump 2>/dev/null
			insmod "$(hasys_ko crashdump)" record_addr="$addr" || return 1
		fi
		"$HACTL" crash save "$OUT/saved" --json >"$OUT/save.json" 2>&1 || {
			ktap_print_msg "$(tail -c 600 "$OUT/save.json")"
			return 1
		}
		ktap_print_msg "hactl crash save took $((SECONDS - t0)) s"
		d=$(ls -d "$OUT"/saved/*/ | head -n 1)
		ls -l "$d" | while read -r l; do ktap_print_msg "$l"; done
		grep -q "Kernel panic - not syncing" "$d/vmcore-dmesg.txt" &&
			"$HACTL" crash show --file "$d/record.bin" --json | json 'd["state"]' | grep -q crashed &&
			test "$(head -c 8 "$d/vmcore")" = "KDUMP   "
	}
	[ "$SCEN" = sysrq ] &&
		ktap_check "hactl crash save: the record, the vmcore's log and a filtered vmcore" save
	told() {
		ktap_print_msg "cluster_msg after the save: $(cat $CM/state), $(grep -E '^tx_(dumping|errors) ' $CM/counters | tr '\n' ' ')"
		json 'd["peers"]["dumping"] and d["peers"]["dumped"]' <"$OUT/save.json" | grep -q True &&
			test "$(cat $CM/state)" = dumping:dumped &&
			test $(($(awk '$1 == "tx_dumping" || $1 == "tx_errors" { s += $2 } END { print s + 0 }' $CM/counters))) -gt 0 &&
			echo 0 >$CM/enabled && rmmod cluster_msg
	}
	[ "$SCEN" = sysrq ] &&
		ktap_check "then it told the peers the dump is saved" told
	ktap_check "disabled and unloaded" eval 'rmmod crashdump && rmmod hwerr'
	finish 2
	ktap_finished
}

# Each stage in a subshell, its KTAP in a file of its own (a failed stage exits its
# subshell only); the host judges both, and the done marker says stage 2 finished.
if [ -e /proc/vmcore ]; then
	(stage2) >"$OUT/stage2.ktap" 2>&1
	echo done >"$OUT/done"
else
	(stage1) >"$OUT/stage1.ktap" 2>&1
	crash_now
fi
