#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hwerr/sources.c hooks each error source only where the kernel has it (#ifdef
# CONFIG_X86_MCE, CONFIG_ACPI_APEI_GHES, CONFIG_RAS, CONFIG_MEMORY_FAILURE). The test
# kernel has them all, so the other branches are never compiled by `make modules`.
# This compiles sources.c once per option with that option #undef'd after the
# kernel's own config (a forced -include), and once with all of them off, in a copy
# of the tree under $1 so the tree's own objects stay untouched.
#
# Usage: check-guards.sh <outdir> <the kernel make command, M= last>...
set -euo pipefail

out=$1
shift
src=$(cd "$(dirname "$0")/.." && pwd)
options=(CONFIG_X86_MCE CONFIG_ACPI_APEI_GHES CONFIG_RAS CONFIG_MEMORY_FAILURE)
rm -rf "$out"
mkdir -p "$out"
fail=0
for off in "${options[@]}" all; do
	d=$out/$off
	mkdir -p "$d"
	cp -r "$src/Kbuild" "$src/VERSION" "$src/include" "$src/hwerr" "$d/"
	find "$d" \( -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '.*.cmd' \) -delete
	hdr=$d/undef.h
	if [ "$off" = all ]; then
		printf '#undef %s\n' "${options[@]}" >"$hdr"
	else
		printf '#undef %s\n' "$off" >"$hdr"
	fi
	if "$@" M="$d" KCFLAGS="-include $hdr" hwerr/sources.o >"$d.log" 2>&1; then
		echo "guards: sources.c builds without ${off/all/any of ${options[*]}}"
	else
		echo "guards: FAIL: sources.c does not build without $off (log: $d.log)"
		tail -20 "$d.log"
		fail=1
	fi
done
exit $fail
