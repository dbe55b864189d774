#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# crashdump in a normal kernel, in the single test VM: the live record and its
# files, a record address refused, hactl crash on a corrupted record and outside a
# capture kernel. The crash itself and the capture kernel are crash.sh's, in VMs of
# their own (scripts/vmtest.py, boot_crash()).

. "$(dirname "$0")/hasys_lib.sh"

HACTL=${HASYS_HACTL:-}
CD=/sys/kernel/ha/crashdump
INJ=/sys/kernel/debug/mce-inject
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ktap_print_header
ktap_set_plan 6
[ -x "$HACTL" ] || ktap_exit_fail_msg "HASYS_HACTL is not set to the hactl binary"
hasys_load_all || ktap_exit_fail_msg "cannot load the hasys modules"

ktap_check "status live, the region's address and size, the capture command line" eval \
	'test "$(cat $CD/status)" = live && test "$(cat $CD/record_size)" = 65536 &&
	grep -qx "0x[0-9a-f]*" $CD/record_addr && test "$(cat $CD/record_addr)" != 0x0 &&
	test "$(cat $CD/cmdline)" = "crashdump.record_addr=$(cat $CD/record_addr)"'

ktap_check "the record is root's only (mode 0400), the other files 0444" eval \
	'test "$(stat -c %a $CD/record)" = 400 &&
	for f in status record_addr record_size cmdline generation; do
		test "$(stat -c %a $CD/$f)" = 444 || return 1
	done'

# A corrected MCE through mce-inject: the live record is rewritten with it.
grows() {
	local g0 g1
	g0=$(cat $CD/generation)
	echo sw >$INJ/flags && echo 0 >$INJ/cpu && echo 0x940000000000009f >$INJ/status &&
		echo 0x5678000 >$INJ/addr && echo 0 >$INJ/misc && echo 1 >$INJ/bank || return 1
	for _ in $(seq 50); do
		g1=$(cat $CD/generation)
		[ "$g1" -gt "$g0" ] && "$HACTL" crash show | grep "addr 0x5678000" >/dev/null && return 0
		sleep 0.1
	done
	ktap_print_msg "generation $g0 -> $g1"
	return 1
}
ktap_check "a new hwerr record rewrites the live record (generation, the record in it)" grows

refused() {
	local err
	rmmod crashdump || return 1
	err=$(insmod "$(hasys_ko crashdump)" record_addr=0x100000 2>&1) && return 1
	ktap_print_msg "insmod with record_addr: $err"
	insmod "$(hasys_ko crashdump)" && dmesg | grep -q "record_addr is for a capture kernel only"
}
ktap_check "a record address is refused in a normal kernel (EINVAL)" refused

# One byte of the message area changed: the checksum no longer matches.
corrupt() {
	local out
	cat $CD/record >"$TMP/good.bin" && cp "$TMP/good.bin" "$TMP/bad.bin" &&
		printf 'X' | dd of="$TMP/bad.bin" bs=1 seek=300 conv=notrunc status=none || return 1
	"$HACTL" crash show --file "$TMP/good.bin" | grep -q "^crash record: live" || return 1
	out=$("$HACTL" crash show --file "$TMP/bad.bin") && return 1
	ktap_print_msg "$out"
	test "$out" = "no valid crash record: bad-checksum"
}
ktap_check "hactl crash show: a corrupted record is refused (bad-checksum, exit 1)" corrupt

outside() {
	local out
	out=$("$HACTL" crash save "$TMP/saved" 2>&1) && return 1
	ktap_print_msg "$out"
	case $out in *"/proc/vmcore"*) ;; *) return 1 ;; esac
}
ktap_check "hactl crash save outside a capture kernel fails and says why" outside

hasys_unload_all
ktap_finished
