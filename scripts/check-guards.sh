#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The C files that hook optional kernel features guard them with #ifdef, and the test
# kernel has every feature, so `make modules` never compiles the other branches. This
# compiles each such file once per option with that option #undef'd after the
# kernel's own config (a forced -include), and once with all of its options off, in a
# copy of the tree under $1 so the tree's own objects stay untouched:
#
#   hwerr/sources.c     X86_MCE, ACPI_APEI_GHES, RAS, MEMORY_FAILURE (the sources)
#   hadetect/isolate.c  PCI, HOTPLUG_CPU, MEMORY_FAILURE (the actions)
#
# Usage: check-guards.sh <outdir> <the kernel make command, M= last>...
set -euo pipefail

out=$1
shift
src=$(cd "$(dirname "$0")/.." && pwd)
guarded=(
	"hwerr/sources.o:CONFIG_X86_MCE CONFIG_ACPI_APEI_GHES CONFIG_RAS CONFIG_MEMORY_FAILURE"
	"hadetect/isolate.o:CONFIG_PCI CONFIG_HOTPLUG_CPU CONFIG_MEMORY_FAILURE"
)
rm -rf "$out"
mkdir -p "$out"
fail=0
for entry in "${guarded[@]}"; do
	obj=${entry%%:*}
	read -ra options <<<"${entry#*:}"
	for off in "${options[@]}" all; do
		d=$out/${obj%%/*}-$off
		mkdir -p "$d"
		cp -r "$src/Kbuild" "$src/VERSION" "$src/include" "$src/${obj%%/*}" "$d/"
		find "$d" \( -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '.*.cmd' \) -delete
		hdr=$d/undef.h
		if [ "$off" = all ]; then
			printf '#undef %s\n' "${options[@]}" >"$hdr"
		else
			printf '#undef %s\n' "$off" >"$hdr"
		fi
		what="without ${off/all/any of ${options[*]}}"
		if "$@" M="$d" KCFLAGS="-include $hdr" "$obj" >"$d.log" 2>&1; then
			echo "guards: ${obj%.o}.c builds $what"
		else
			echo "guards: FAIL: ${obj%.o}.c does not build $what (log: $d.log)"
			tail -20 "$d.log"
			fail=1
		fi
	done
done
exit $fail
