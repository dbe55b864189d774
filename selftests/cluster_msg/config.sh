#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cluster_msg's configuration files in one VM (no peer needed): defaults, every
# bad value refused with its documented error and the configuration unchanged,
# keys write-only, enable refused with a clear error while something is missing.
# The two-node behaviour is node.sh's.

. "$(dirname "$0")/hasys_lib.sh"

CM=/sys/kernel/ha/cluster_msg
KEY=00112233445566778899aabbccddeeff

ktap_print_header
ktap_set_plan 9

hasys_load_all || ktap_exit_fail_msg "cannot load the hasys modules"

# expect <strerror text> <file> <value>: the write fails with that error.
expect() {
	local want=$1 file=$2 value=$3 err
	err=$( (printf '%s\n' "$value" >"$CM/$file") 2>&1) && {
		ktap_print_msg "writing '$value' to $file succeeded"
		return 1
	}
	case $err in
	*"$want"*) return 0 ;;
	*) ktap_print_msg "writing '$value' to $file: '$err', expected '$want'"; return 1 ;;
	esac
}

defaults() {
	[ "$(cat $CM/enabled)" = 0 ] && [ "$(cat $CM/state)" = disabled ] &&
		[ "$(cat $CM/port)" = 5407 ] && [ "$(cat $CM/interval_ms)" = 100 ] &&
		[ "$(cat $CM/suspect_ms)" = 250 ] && [ "$(cat $CM/dead_ms)" = 400 ] &&
		[ "$(cat $CM/gasp_repeats)" = 3 ] && [ "$(cat $CM/handoff_ms)" = 120000 ] &&
		[ -z "$(cat $CM/keys)" ] &&
		[ -z "$(cat $CM/peers)" ] && [ "$(cat $CM/epoch)" = 0 ]
}
ktap_check "defaults: disabled, port 5407, 100/250/400 ms, handoff 120000 ms, no key, no peer" defaults

bad_numbers() {
	expect "Invalid argument" node_id 0 && expect "Invalid argument" node_id abc &&
		expect "Numerical result out of range" node_id 4294967296 &&
		expect "Numerical result out of range" port 65536 &&
		expect "Invalid argument" port 0 &&
		expect "Invalid argument" interval_ms 5 &&
		expect "Invalid argument" dead_ms 200 &&
		expect "Invalid argument" suspect_ms 100 &&
		expect "Invalid argument" gasp_repeats 0 &&
		expect "Invalid argument" gasp_repeats 9 &&
		expect "Invalid argument" tx_key 2 &&
		expect "Invalid argument" handoff_ms 0 &&
		expect "Invalid argument" handoff_ms 86400001 &&
		expect "Invalid argument" handoff_ms 1s &&
		expect "Invalid argument" interface "" &&
		expect "Invalid argument" interface "a/b" &&
		expect "Invalid argument" interface 0123456789abcdef &&
		[ "$(cat $CM/port)" = 5407 ] && [ "$(cat $CM/dead_ms)" = 400 ] &&
		[ "$(cat $CM/handoff_ms)" = 120000 ]
}
ktap_check "bad numbers and names refused, values unchanged" bad_numbers

timing() {
	echo 1000 >$CM/dead_ms && echo 500 >$CM/suspect_ms && echo 200 >$CM/interval_ms &&
		expect "Invalid argument" interval_ms 600 &&
		echo 100 >$CM/interval_ms && echo 250 >$CM/suspect_ms && echo 400 >$CM/dead_ms
}
ktap_check "timing: interval < suspect < dead enforced" timing

bad_peers() {
	echo 1 >$CM/node_id &&
		expect "Invalid argument" peers "+0 169.254.1.2 52:54:00:00:00:02" &&
		expect "Invalid argument" peers "+1 169.254.1.2 52:54:00:00:00:02" &&
		expect "Invalid argument" peers "+2 169.254.1 52:54:00:00:00:02" &&
		expect "Invalid argument" peers "+2 169.254.1.256 52:54:00:00:00:02" &&
		expect "Invalid argument" peers "+2 224.0.0.1 52:54:00:00:00:02" &&
		expect "Invalid argument" peers "+2 169.254.1.2 52:54:00:00:00" &&
		expect "Invalid argument" peers "+2 169.254.1.2 ff:ff:ff:ff:ff:ff" &&
		expect "Invalid argument" peers "+2 169.254.1.2 01:00:5e:00:00:01" &&
		expect "Invalid argument" peers "2 169.254.1.2 52:54:00:00:00:02" &&
		expect "Invalid argument" peers "+2 169.254.1.2 52:54:00:00:00:02 extra" &&
		echo "+2 169.254.1.2 52:54:00:00:00:02" >$CM/peers &&
		expect "File exists" peers "+2 169.254.1.3 52:54:00:00:00:03" &&
		expect "File exists" peers "+3 169.254.1.2 52:54:00:00:00:03" &&
		expect "No such file or directory" peers "-9" &&
		[ "$(cat $CM/peers)" = "2 169.254.1.2 52:54:00:00:00:02" ]
}
ktap_check "bad peers refused (id, address, MAC, duplicates)" bad_peers

keys() {
	expect "Invalid argument" key0 0011 &&
		expect "Invalid argument" key0 "${KEY}0" &&
		expect "Invalid argument" key0 "${KEY%??}zz" &&
		[ -z "$(cat $CM/keys)" ] &&
		echo $KEY >$CM/key1 && [ "$(cat $CM/keys)" = 1 ] &&
		! cat $CM/key1 >/dev/null 2>&1 &&
		[ "$(stat -c %a $CM/key0)" = 200 ] && [ "$(stat -c %a $CM/key1)" = 200 ] &&
		echo clear >$CM/key1 && [ -z "$(cat $CM/keys)" ]
}
ktap_check "keys: hex of 16 to 64 bytes, write-only, clearable" keys

enable_errors() {
	# No key in the tx slot.
	echo eth-none >$CM/interface &&
		expect "Required key not available" enabled 1 &&
		echo $KEY >$CM/key0 &&
		expect "No such device" enabled 1 &&
		[ "$(cat $CM/enabled)" = 0 ] && [ "$(cat $CM/state)" = disabled ]
}
ktap_check "enable refused: no key (ENOKEY), no interface (ENODEV)" enable_errors

ktap_check "requests need an enabled node (ENOTCONN), unknown words EINVAL, dumping a capture kernel (EPERM)" eval \
	'expect "Transport endpoint is not connected" request leave &&
	expect "Transport endpoint is not connected" request rejoin &&
	expect "Invalid argument" request dance &&
	expect "Operation not permitted" request dumping &&
	expect "Operation not permitted" request dumped'

ktap_check "counters all present and zero" eval \
	'[ "$(awk "{ s += \$2 } END { print s }" $CM/counters)" = 0 ] &&
	grep -q "^rx_bad_mac 0$" $CM/counters && grep -q "^rx_replayed 0$" $CM/counters'

ktap_check "unloaded with a configuration and keys" hasys_unload_all
ktap_finished
