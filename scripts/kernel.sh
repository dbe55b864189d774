#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make kernel: build the Rust-enabled test kernel from the fragments in scripts/config/.
#
# The build tree lives outside the clone, in $HASYS_CACHE/kernel/<key>, where <key> hashes
# the kernel version, every config fragment and the toolchain's versions. A fresh clone on
# the same machine therefore reuses it, and any change to an input builds a new tree.
#
#   kernel.sh            build (or reuse) the tree; prints its path last
#   kernel.sh --kdir     print the path the current inputs map to, build nothing
#
# HASYS_FLAVOUR=bench selects the benchmark kernel: the same fragments with bench.config
# (debug.config's build settings) in place of debug.config, so no KASAN, lockdep or
# kmemleak distorts timings. It has its own key; `make check` never builds it.
set -euo pipefail

# Everything is in main(), so bash has read the whole file before running any of it.
main() {
	here=$(cd "$(dirname "$0")" && pwd)
	# shellcheck source=scripts/env.sh
	. "$here/env.sh"
	frag_dir="$here/config"
	flavour=${HASYS_FLAVOUR:-test}
	case $flavour in
	test) extra=debug.config ;;
	bench) extra=bench.config ;;
	*) echo "kernel: ERROR: HASYS_FLAVOUR=$flavour: not test or bench" >&2; exit 1 ;;
	esac
	fragments=("$frag_dir/base.config" "$frag_dir/virtme.config" "$frag_dir/ha.config"
	           "$frag_dir/$extra")
	JOBS=${JOBS:-$(($(nproc) + 1))}

	die() { printf 'kernel: ERROR: %s\n' "$*" >&2; exit 1; }
	[ -f "$KSRC/Makefile" ] || die "no kernel source at $KSRC: run 'make setup'"

	kmake() { make -C "$KSRC" O="$out" LLVM=-19 RUSTC=/usr/bin/rustc HOSTRUSTC=/usr/bin/rustc \
		BINDGEN="$BINDGEN" "$@"; }

	# Bump when the build steps below change in a way that changes the result.
	RECIPE=1
	key=$( {
		echo "recipe $RECIPE"
		# (The test kernel's key predates flavours and stays as it was.)
		[ "$flavour" = test ] || echo "flavour $flavour"
		cat "$KSRC/.hasys-debian-version"
		cat "${fragments[@]}"
		clang-19 --version | head -n1
		/usr/bin/rustc --version
		"$BINDGEN" --version
	} | sha256sum | cut -c1-16)
	ver=$(make -s -C "$KSRC" kernelversion)
	out="$HASYS_CACHE/kernel/$ver-$key"

	if [ "${1:-}" = "--kdir" ]; then
		echo "$out"
		exit 0
	fi

	if [ -f "$out/.hasys-built" ]; then
		echo "kernel: up to date: $out"
		exit 0
	fi

	mkdir -p "$out"
	log="$out/build.log"
	echo "kernel: building $ver in $out (log: $log, -j$JOBS)"
	start=$(date +%s)
	{
		kmake tinyconfig
		"$KSRC/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
			"$KSRC/kernel/configs/kvm_guest.config" "${fragments[@]}"
		kmake olddefconfig
	} >"$log" 2>&1 || die "configuration failed, see $log"

	# Kconfig silently drops symbols whose dependencies are unmet: insist on every one that
	# hasys and its debug setup ask for.
	dropped=
	for f in "$frag_dir/ha.config" "$frag_dir/$extra"; do
		while IFS= read -r line; do
			case "$line" in
			CONFIG_*=n) sym=${line%%=*}
				grep -q "^$sym=[ym]" "$out/.config" && dropped="$dropped $line" ;;
			CONFIG_*=*) grep -qx "$line" "$out/.config" || dropped="$dropped $line" ;;
			esac
		done <"$f"
	done
	[ -z "$dropped" ] || die "Kconfig did not take:$dropped"

	kmake -j"$JOBS" all >>"$log" 2>&1 || die "build failed, see the end of $log"
	for f in arch/x86/boot/bzImage Module.symvers rust/libkernel.rmeta; do
		[ -e "$out/$f" ] || die "build finished without $f"
	done
	echo "$(($(date +%s) - start))" >"$out/.hasys-built"
	echo "kernel: built in $(($(date +%s) - start)) s: $out"
}

main "$@"
