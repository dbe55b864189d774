#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every module has /sys/kernel/ha/<module>/version: read-only (0444), readable, equal
# to the tree's VERSION, not writable even by root; reading through a file descriptor
# kept open across rmmod fails cleanly instead of touching freed module memory.

. "$(dirname "$0")/hasys_lib.sh"

version=$(cat "$HASYS_MODDIR/VERSION")
mods=$(hasys_modules)
nmods=$(echo "$mods" | wc -l)

ktap_print_header
ktap_set_plan $((nmods * 3 + 1))

hasys_unload_all >/dev/null 2>&1
if ! hasys_load_all; then
	ktap_exit_fail_msg "could not load the modules"
fi

for m in $mods; do
	f=/sys/kernel/ha/$m/version
	got=$(cat "$f" 2>/dev/null)
	ktap_check "$m: version reads '$version'" test "$got" = "$version"
	ktap_check "$m: version mode is 0444" test "$(stat -c %a "$f" 2>/dev/null)" = 444
	# Root bypasses mode bits, so this checks that the attribute has no store().
	ktap_check "$m: version rejects writes" \
		sh -c "! echo 9.9.9 2>/dev/null > '$f'"
done

# Keep a version file open across rmmod of its module, then read it again.
last=$(hasys_modules_rev | head -n1)
read_after_rmmod() {
	local out
	exec 3<"/sys/kernel/ha/$last/version" || return 1
	rmmod "$last" || { exec 3<&-; return 1; }
	out=$(cat <&3 2>&1)
	exec 3<&-
	ktap_print_msg "read after rmmod $last: '${out}'"
	test ! -e "/sys/kernel/ha/$last" && test "$out" != "$version"
}
ktap_check "read of $last/version held open across rmmod fails cleanly" read_after_rmmod

hasys_unload_all
ktap_finished
