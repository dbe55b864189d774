#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-intree: prove the tree also builds in-tree, as drivers/ha/ of the kernel.
#
# Copies the kernel source (hard links; the two files edited are replaced, not written
# through), puts hasys at drivers/ha/, hooks its Kconfig and Kbuild into drivers/,
# takes the test kernel's .config, enables CONFIG_HASYS with every module =m and the
# KUnit suites, and builds the kernel and modules. A full kernel build: ~11 minutes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/env.sh
. "$here/env.sh"
top=$(dirname "$here")
kbuild=$("$here/kernel.sh" --kdir)
[ -f "$kbuild/.hasys-built" ] || { echo "check-intree: run 'make kernel' first" >&2; exit 1; }

work=$HASYS_CACHE/intree
src=$work/src
out=$work/build
rm -rf "$work"
mkdir -p "$work"
cp -al "$KSRC" "$src"
rsync -a --exclude .git --exclude build --exclude target --exclude '*.o' --exclude '*.ko' \
	--exclude '*.cmd' --exclude '*.mod*' --exclude modules.order --exclude Module.symvers \
	"$top/" "$src/drivers/ha/"

# Replace (not edit through the hard link) the two files that hook hasys in.
sed 's|^endmenu$|source "drivers/ha/Kconfig"\n\nendmenu|' "$src/drivers/Kconfig" >"$work/Kconfig"
rm "$src/drivers/Kconfig" && mv "$work/Kconfig" "$src/drivers/Kconfig"
{ cat "$src/drivers/Makefile"; echo 'obj-$(CONFIG_HASYS) += ha/'; } >"$work/Makefile"
rm "$src/drivers/Makefile" && mv "$work/Makefile" "$src/drivers/Makefile"

kmake() { make -C "$src" O="$out" LLVM=-19 RUSTC=/usr/bin/rustc HOSTRUSTC=/usr/bin/rustc \
	BINDGEN="$BINDGEN" "$@"; }
mkdir -p "$out"
cp "$kbuild/.config" "$out/.config"
"$src/scripts/config" --file "$out/.config" --enable HASYS --module HASYS_HWERR \
	--module HASYS_HADETECT --module HASYS_CLUSTER_MSG --module HASYS_KEXEC_HANDOFF \
	--module HASYS_CRASHDUMP --enable HASYS_KUNIT_TEST
kmake olddefconfig >"$work/build.log" 2>&1
for sym in HASYS=y HASYS_HWERR=m HASYS_HADETECT=m HASYS_CLUSTER_MSG=m HASYS_KEXEC_HANDOFF=m \
	HASYS_CRASHDUMP=m HASYS_KUNIT_TEST=y; do
	grep -qx "CONFIG_$sym" "$out/.config" || { echo "check-intree: CONFIG_$sym did not take" >&2; exit 1; }
done
start=$(date +%s)
kmake -j"$(($(nproc) + 1))" all >>"$work/build.log" 2>&1 ||
	{ tail -n 30 "$work/build.log"; echo "check-intree: build failed ($work/build.log)" >&2; exit 1; }
for m in hwerr hadetect cluster_msg kexec_handoff crashdump; do
	ko=$out/drivers/ha/$m/$m.ko
	[ -f "$ko" ] || { echo "check-intree: no $ko" >&2; exit 1; }
	dep=$(/sbin/modinfo -F depends "$ko")
	printf 'check-intree: %-14s depends: %s\n' "$m" "${dep:-(none)}"
done
echo "check-intree: ok, in-tree build of drivers/ha in $(($(date +%s) - start)) s"
