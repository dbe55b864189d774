#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-fresh: prove the README's commands on a pristine Debian bookworm.
#
# 1. A minimal bookworm root (mmdebstrap --variant=minbase, bookworm + bookworm-updates +
#    bookworm-security from deb.debian.org, plus `make`, the one thing the README asks a
#    user to have) is built once into $HASYS_CACHE/fresh/base.tar; every run unpacks a new
#    copy of it, so nothing from an earlier run survives.
# 2. A clean clone of this repository's HEAD (committed work only) goes to /root/hasys.
# 3. chroot, with /proc, /sys and /dev mounted, as root: `make setup`, then `make check`,
#    exactly as the README says. The host's kernel source and kernel build cache are
#    bind-mounted read-only (so the run does not rebuild the kernel, and proves that
#    nothing in the check needs to write to them); everything else, the toolchain
#    included, is installed by `make setup` inside the root.
# 4. It passes only if `make check` exits 0 and its last line is "N passed, 0 failed".
#
# HASYS_FRESH_COLD=1 (`make check-fresh COLD=1`) is CI's cold run instead: nothing
# mounted from the host, `bash .ci/run` in the chroot, the kernel source fetched and the
# kernel built there (about 40 minutes on 2 cores).
#
# Not part of `make check`: it takes about as long as a CI run. Run it before resolving
# any change to setup, the harness or dependencies.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
# shellcheck source=scripts/env.sh
. "$here/env.sh"

fresh=$(realpath -m "$HASYS_CACHE/fresh")
base=$fresh/base.tar
cold=${HASYS_FRESH_COLD:-0}
# A warm and a cold run may go at once: each has its own root and log.
flavour=$([ "$cold" = 1 ] && echo cold || echo warm)
root=$fresh/root-$flavour
log=$fresh/check-$flavour.log
MIRROR=${HASYS_DEBIAN_MIRROR:-http://deb.debian.org}
# Bump to rebuild the cached base root.
BASE_RECIPE=1

say() { printf 'check-fresh: %s\n' "$*"; }
die() { printf 'check-fresh: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (chroot, mounts)"
command -v mmdebstrap >/dev/null || die "no mmdebstrap: run 'make setup'"
kdir=$("$here/kernel.sh" --kdir)
[ "$cold" = 1 ] || [ -f "$kdir/.hasys-built" ] || die "no test kernel at $kdir: run 'make kernel' first"
[ -z "$(git -C "$top" status --porcelain --untracked-files=no)" ] ||
	say "note: uncommitted changes are not tested (the check clones HEAD $(git -C "$top" rev-parse --short HEAD))"

start=$(date +%s)
mkdir -p "$fresh"

# --- 1. the pristine root -----------------------------------------------------------------
if [ ! -f "$base" ] || [ "$(cat "$base.recipe" 2>/dev/null)" != "$BASE_RECIPE" ]; then
	say "building a minimal bookworm root into $base"
	mmdebstrap --mode=root --variant=minbase --include=make bookworm "$fresh/base.tmp.tar" \
		"deb $MIRROR/debian bookworm main" \
		"deb $MIRROR/debian bookworm-updates main" \
		"deb $MIRROR/debian-security bookworm-security main" \
		>"$fresh/mmdebstrap.log" 2>&1 || die "mmdebstrap failed (log: $fresh/mmdebstrap.log)"
	mv "$fresh/base.tmp.tar" "$base"
	echo "$BASE_RECIPE" >"$base.recipe"
fi

mounts=()
child=
cleanup() {
	local i
	# The chroot's processes (make, QEMU) first: nothing may write through the mounts.
	if [ -n "$child" ]; then
		kill -TERM -- "-$child" 2>/dev/null && sleep 2
		kill -KILL -- "-$child" 2>/dev/null
		wait "$child" 2>/dev/null
	fi
	# Whatever still runs inside the root (a VM in its own session, say).
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill -KILL "${p#/proc/}" 2>/dev/null
	done
	sleep 1
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		umount -R "${mounts[i]}" 2>/dev/null || umount -lR "${mounts[i]}" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bind() { # src dst [ro]
	mkdir -p "$2"
	mounts+=("$2")
	mount --rbind "$1" "$2"
	mount --make-rslave "$2"
	if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$2"; fi
}

# A root left mounted by a killed run must not be deleted through its mounts.
if [ -d "$root" ]; then
	if awk '{print $2}' /proc/mounts | grep -qF "$root/"; then
		die "$root still has mounts from an earlier run: umount -R them"
	fi
	rm -rf --one-file-system "$root"
fi
mkdir -p "$root"
tar -C "$root" -xf "$base"
# The machine's network settings, not hasys's: its resolver and the local CA
# certificates its egress needs (a TLS-inspecting proxy's CA, say). They go where a
# Debian admin puts them; `ca-certificates`, installed by `make setup`, adds them to
# the bundle cargo and pip use.
cp /etc/resolv.conf "$root/etc/resolv.conf"
if [ -d /usr/local/share/ca-certificates ]; then
	mkdir -p "$root/usr/local/share/ca-certificates"
	cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
fi

# --- 2. a clean clone ------------------------------------------------------------------------
git clone -q --no-local --no-hardlinks "$top" "$root/root/hasys"
say "clone of $(git -C "$root/root/hasys" rev-parse --short HEAD) in $root/root/hasys"

# --- 3. the README's commands, in the chroot ----------------------------------------------
bind /proc "$root/proc"
bind /sys "$root/sys"
bind /dev "$root/dev"
cache=$root/root/.cache/hasys
if [ "$cold" != 1 ]; then
	bind "$KSRC" "$cache/src/$(basename "$KSRC")" ro
	bind "$kdir" "$cache/kernel/$(basename "$kdir")" ro
fi
# One VM at a time on this machine, the chroot's runs included (scripts/vmtest.py).
lock=${TMPDIR:-/tmp}/hasys-vm.lock
[ -e "$lock" ] || install -m 0666 /dev/null "$lock"
mkdir -p "$root/tmp" && touch "$root/tmp/hasys-vm.lock"
mount --bind "$lock" "$root/tmp/hasys-vm.lock"
mounts+=("$root/tmp/hasys-vm.lock")

# After setup, the chroot must map its inputs to the very tree mounted here, or it
# would build a kernel of its own (say HEAD's config fragments differ from the work
# tree's, or bookworm-security moved rustc-web on): fail instead.
if [ "$cold" = 1 ]; then
	cmd='cd /root/hasys && bash .ci/run'
	say "running CI's 'bash .ci/run' cold in the chroot (log: $log)"
else
	cmd='cd /root/hasys && make setup &&
		{ k=$(scripts/kernel.sh --kdir); [ "$k" = "$0" ] ||
		  { echo "check-fresh: the chroot wants kernel $k, not the mounted $0"; exit 1; }; } &&
		make check'
	say "running 'make setup' and 'make check' in the chroot (log: $log)"
fi
set +e
setsid chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	/bin/bash -c "$cmd" "/root/.cache/hasys/kernel/$(basename "$kdir")" >"$log" 2>&1 &
child=$!
wait "$child"
rc=$?
child=
set -e
elapsed=$(($(date +%s) - start))

# --- 4. verdict ----------------------------------------------------------------------------
last=$(grep -v '^make' "$log" | tail -n1 || true)
tail -n 25 "$log"
if [ "$cold" = 1 ]; then
	# .ci/run ends with check-harness; make check's own line is earlier.
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | head -n1 || true)
fi
if [ $rc -eq 0 ] && [[ "$last" =~ ^[0-9]+\ passed,\ 0\ failed$ ]]; then
	say "PASS in ${elapsed} s: '$last' from make check on a pristine bookworm$([ "$cold" = 1 ] && echo ' (cold CI run)')"
else
	say "FAIL in ${elapsed} s: make setup && make check exited $rc, last line '$last' (log: $log)"
	exit 1
fi
