#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Loads and unloads all hasys modules HASYS_LOAD_CYCLES times (default 50), in
# dependency order, checking after each step that the kernel agrees.

. "$(dirname "$0")/hasys_lib.sh"

cycles=${HASYS_LOAD_CYCLES:-50}

ktap_print_header
ktap_set_plan 3

hasys_unload_all >/dev/null 2>&1

cycle_all() {
	local i m
	for ((i = 1; i <= cycles; i++)); do
		hasys_load_all || { ktap_print_msg "cycle $i: load failed"; return 1; }
		for m in $(hasys_modules); do
			[ "$(cat "/sys/module/$m/initstate" 2>/dev/null)" = live ] ||
				{ ktap_print_msg "cycle $i: $m not live"; return 1; }
		done
		hasys_unload_all || { ktap_print_msg "cycle $i: unload failed"; return 1; }
		hasys_none_loaded || { ktap_print_msg "cycle $i: module left"; return 1; }
	done
	ktap_print_msg "$cycles cycles of $(hasys_modules | wc -l) modules"
}

ktap_check "load and unload all modules $cycles times" cycle_all
ktap_check "no hasys module left loaded" hasys_none_loaded
ktap_check "/sys/kernel/ha removed with hwerr" test ! -e /sys/kernel/ha

ktap_finished
