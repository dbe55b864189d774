# SPDX-License-Identifier: GPL-2.0
#
# Helpers for hasys selftests; sourced. Installed next to each test by `make selftests`.
#
# HASYS_MODDIR is the built tree (modules.order, */*.ko, VERSION); hasys_modules.sh
# lists its modules.

. "$(dirname "$0")/../kselftest/ktap_helpers.sh"

if [ -z "${HASYS_MODDIR:-}" ] || [ ! -r "$HASYS_MODDIR/modules.order" ]; then
	ktap_print_header
	ktap_skip_all "HASYS_MODDIR does not point at a built hasys tree"
	exit "$KSFT_SKIP"
fi

. "$(dirname "$0")/hasys_modules.sh"

hasys_loaded() {
	[ -d "/sys/module/$1" ]
}

# Loads every module in order; prints the first failure and returns 1.
hasys_load_all() {
	local m
	for m in $(hasys_modules); do
		hasys_loaded "$m" && continue
		insmod "$(hasys_ko "$m")" || { ktap_print_msg "insmod $m failed"; return 1; }
	done
}

# Unloads every loaded module in reverse order; prints the first failure and returns 1.
hasys_unload_all() {
	local m
	for m in $(hasys_modules_rev); do
		hasys_loaded "$m" || continue
		rmmod "$m" || { ktap_print_msg "rmmod $m failed"; return 1; }
	done
}

# Succeeds if no hasys module is loaded.
hasys_none_loaded() {
	local m
	for m in $(hasys_modules); do
		hasys_loaded "$m" && { ktap_print_msg "$m still loaded"; return 1; }
	done
	return 0
}

# ktap_check <description> <command...>: one KTAP result from a command's status.
ktap_check() {
	local desc=$1
	shift
	if "$@"; then
		ktap_test_pass "$desc"
	else
		ktap_test_fail "$desc"
	fi
}

# hasys_save_kmemleak <file>: kmemleak's report, for the host to judge, in a test
# that saves its own (a kernel that kexecs or panics never returns to guest-run.sh,
# which saves it otherwise). Two scans, as guest-run.sh does: an object is only
# reported once two scans found it unreferenced. Without kmemleak, no file: the
# host fails a missing report.
hasys_save_kmemleak() {
	local k=/sys/kernel/debug/kmemleak
	[ -w $k ] || return 0
	echo scan >$k
	sleep 6
	echo scan >$k
	cat $k >"$1.tmp" && mv "$1.tmp" "$1"
}
