#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every module depends on hwerr, as tools see it: modinfo says so, hwerr's refcnt
# counts its dependents, and modprobe loads and removes them in the right order.
# (load_unload.c checks the syscall-level refusals: a dependent without hwerr is
# -ENOENT, hwerr under a dependent is -EWOULDBLOCK.)

. "$(dirname "$0")/hasys_lib.sh"

deps=$(hasys_modules | grep -vx hwerr)
ndeps=$(echo "$deps" | wc -l)

ktap_print_header
ktap_set_plan $((ndeps + 6))

hasys_unload_all >/dev/null 2>&1

ktap_check "hwerr depends on nothing" \
	test -z "$(modinfo -F depends "$(hasys_ko hwerr)")"
for m in $deps; do
	ktap_check "$m: modinfo depends is hwerr" \
		test "$(modinfo -F depends "$(hasys_ko "$m")")" = hwerr
done

hasys_load_all || ktap_exit_fail_msg "could not load the modules"
ktap_check "hwerr refcnt counts its $ndeps dependents" \
	test "$(cat /sys/module/hwerr/refcnt)" = "$ndeps"
ktap_check "rmmod hwerr under its dependents fails and keeps /sys/kernel/ha" \
	eval '! rmmod hwerr 2>/dev/null && test -d /sys/kernel/ha/hwerr'
ktap_check "dependents then hwerr unload in reverse order" hasys_unload_all

# modprobe from a private module tree: depmod orders the dependency for us.
modprobe_order() {
	local root rel m first
	root=$(mktemp -d) || return 1
	rel=$(uname -r)
	mkdir -p "$root/lib/modules/$rel/extra"
	for m in $(hasys_modules); do
		cp "$(hasys_ko "$m")" "$root/lib/modules/$rel/extra/"
	done
	depmod -b "$root" "$rel" || return 1
	first=$(echo "$deps" | head -n1)
	modprobe -d "$root" "$first" || return 1
	hasys_loaded hwerr && hasys_loaded "$first" || return 1
	modprobe -r -d "$root" "$first" || return 1
	! hasys_loaded hwerr && ! hasys_loaded "$first" || return 1
	rm -rf "$root"
}
ktap_check "modprobe loads hwerr first and modprobe -r removes both" modprobe_order
ktap_check "no hasys module left loaded" hasys_none_loaded

ktap_finished
