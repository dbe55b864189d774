# SPDX-License-Identifier: GPL-2.0
#
# The hasys modules of a built tree; sourced by hasys_lib.sh (selftests) and
# scripts/guest-run.sh. HASYS_MODDIR is the built tree. Load order is the order of its
# modules.order, which the top Kbuild sets with hwerr first.

# Module names in load order.
hasys_modules() {
	sed -e 's#^.*/##' -e 's#\.[a-z]*$##' "$HASYS_MODDIR/modules.order"
}

# Module names in unload order.
hasys_modules_rev() {
	hasys_modules | tac
}

# Path of module $1's .ko.
hasys_ko() {
	local p
	p=$(grep -E "(^|/)$1\.(o|ko)\$" "$HASYS_MODDIR/modules.order") || return 1
	echo "$HASYS_MODDIR/${p%.*}.ko"
}

# The crash record's address on this kernel's command line (crashdump.record_addr=,
# what `hactl crash arm` gives a capture kernel); empty without one.
hasys_record_addr() {
	tr ' ' '\n' </proc/cmdline | sed -n 's/^crashdump\.record_addr=//p' | tail -n 1
}
