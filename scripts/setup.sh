#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make setup: install everything hasys needs to build and test, idempotently.
#
#  - Debian bookworm packages (clang-19 toolchain, rustc-web + rust-web-src, QEMU, ...);
#  - the Linux 7.2.x source from Debian's linux-source-7.2 package (unstable, falling back
#    to trixie-backports), fetched through a *private* apt sources file and lists
#    directory: the machine's own apt sources are never touched;
#  - fence_kdump and fence_kdump_send, unpacked from Debian's fence-agents package into
#    $HASYS_FENCE_AGENTS (make bench times them against fence_hasys);
#  - bindgen-cli 0.72.1 (cargo install --locked) and virtme-ng (PyPI, pinned);
#  - prints every tool's version and fails naming the missing piece.
#
# Everything fetched lives under $HASYS_CACHE (default ~/.cache/hasys), outside the
# clone, so a fresh clone on the same machine reuses it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/env.sh
. "$here/env.sh"

BINDGEN_VERSION=0.72.1
VIRTME_NG_VERSION=1.42
# Every program the build, the harness, the tests, the demo and the benchmarks call comes
# from one of these (or from Debian's Essential set); section 5 checks each one by name.
# `make check-fresh` proves the list on a minimal bookworm root.
PACKAGES=(
	# kernel and modules: LLVM 19, Debian's Rust 1.96 with its std sources, kbuild's tools
	clang-19 lld-19 llvm-19 libclang-19-dev rustc-web rust-web-src rust-web-clippy rustfmt-web
	make gcc libc6-dev flex bison bc libelf-dev libssl-dev cpio kmod
	# unpacking linux-source-7.2.tar.xz
	xz-utils
	# userspace crates (tools/) and bindgen-cli: Debian's cargo beside rustc-web; TLS to
	# crates.io
	cargo-web ca-certificates
	# the VM harness: QEMU, virtme-ng's venv; virtme-ng-init runs `ip` and
	# systemd-tmpfiles at every boot (a failure is a WARNING line in the kernel log)
	qemu-system-x86 python3 python3-venv iproute2 systemd busybox-static file
	# the kselftest install (lib.mk) and lint-tree.sh
	rsync git
	# kexec and crash-dump tests
	kexec-tools makedumpfile
	# make bench: cluster_msg side by side with corosync in the two test VMs (never run
	# on this machine: see install_packages)
	corosync
	# make check-fresh
	mmdebstrap
)

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

mkdir -p "$HASYS_CACHE"

# --- 1. Debian packages -------------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
# Packages install with services held back: corosync's maintainer scripts would start
# corosync.service on this machine (with Debian's example configuration), and hasys only
# runs corosync inside the test VMs. A policy-rc.d that exits 101 ("action forbidden")
# is what invoke-rc.d and deb-systemd-invoke ask; an existing one is put back after.
POLICY=/usr/sbin/policy-rc.d
policy_saved=
policy_restore() {
	if [ "$policy_saved" = ours ]; then
		$SUDO rm -f "$POLICY"
	elif [ -n "$policy_saved" ]; then
		$SUDO mv -f "$policy_saved" "$POLICY"
	fi
	policy_saved=
}
install_packages() {
	local corosync_new=0 p
	for p in "$@"; do [ "$p" = corosync ] && corosync_new=1; done
	# An earlier run that was killed while installing: the machine's own policy first.
	if [ -e "$POLICY.hasys-saved" ]; then
		$SUDO mv -f "$POLICY.hasys-saved" "$POLICY"
	elif grep -qs 'make setup (hasys)' "$POLICY"; then
		$SUDO rm -f "$POLICY"
	fi
	if [ -e "$POLICY" ]; then
		policy_saved=$POLICY.hasys-saved
		$SUDO mv -f "$POLICY" "$policy_saved"
	else
		policy_saved=ours
	fi
	trap policy_restore EXIT
	printf '#!/bin/sh\n# make setup (hasys): no service starts while it installs packages\nexit 101\n' |
		$SUDO tee "$POLICY" >/dev/null
	$SUDO chmod 0755 "$POLICY"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 \
		"$@" >"$HASYS_CACHE/apt.log" 2>&1 || { policy_restore; return 1; }
	policy_restore
	trap - EXIT
	# Installed by us: not started at the next boot either (systemd enables it).
	if [ $corosync_new = 1 ] && command -v systemctl >/dev/null; then
		$SUDO systemctl disable --quiet corosync.service >/dev/null 2>&1 || true
	fi
}
if [ ${#missing[@]} -gt 0 ]; then
	say "installing Debian packages: ${missing[*]}"
	$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq || die "apt-get update failed"
	install_packages "${missing[@]}" ||
		die "apt-get install ${missing[*]} failed (log: $HASYS_CACHE/apt.log)"
else
	say "Debian packages: all present"
fi

# --- 2. Linux 7.2.x source (private apt config, never the machine's sources) ----------
if [ ! -f "$KSRC/Makefile" ]; then
	apt_dir="$HASYS_CACHE/apt"
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/deb"
	kr=/usr/share/keyrings/debian-archive-keyring.gpg
	got=
	for suite in unstable trixie-backports; do
		printf 'deb [signed-by=%s] http://deb.debian.org/debian %s main\n' "$kr" "$suite" \
			>"$apt_dir/sources.list"
		aopt=(-o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o "Dir::Etc::sourceparts=-"
		      -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::Archives=$apt_dir/archives"
		      -o "APT::Get::List-Cleanup=0" -o "Debug::NoLocking=1")
		say "looking for linux-source-7.2 in $suite"
		# A mirror serving stale metadata fails here ("Release file ... is expired")
		# unless the machine's apt sets Acquire::Check-Valid-Until=false: say so.
		apt-get "${aopt[@]}" update -qq >"$apt_dir/update-$suite.log" 2>&1 ||
			{ say "$suite unusable: $(grep -m1 '^E:' "$apt_dir/update-$suite.log")"; continue; }
		ver=$(apt-cache "${aopt[@]}" policy linux-source-7.2 2>/dev/null |
			awk '/Candidate:/ {print $2}')
		[ -n "$ver" ] && [ "$ver" != "(none)" ] || continue
		(cd "$apt_dir/deb" && apt-get "${aopt[@]}" download "linux-source-7.2=$ver" \
			>"$apt_dir/download.log" 2>&1) || continue
		got="$suite $ver"
		break
	done
	[ -n "$got" ] || die "could not fetch linux-source-7.2 from unstable or trixie-backports"
	deb=$(ls "$apt_dir"/deb/linux-source-7.2_*.deb | head -n1)
	say "extracting $(basename "$deb")"
	tmp="$HASYS_CACHE/src.tmp"
	rm -rf "$tmp" && mkdir -p "$tmp"
	dpkg -x "$deb" "$tmp/deb"
	tar -C "$tmp" -xf "$tmp"/deb/usr/src/linux-source-7.2.tar.xz
	rm -rf "$KSRC"; mkdir -p "$(dirname "$KSRC")"
	mv "$tmp/linux-source-7.2" "$KSRC"
	echo "$got" >"$KSRC/.hasys-debian-version"
	rm -rf "$tmp" "$apt_dir/deb"
fi
say "kernel source: $KSRC (Debian $(cat "$KSRC/.hasys-debian-version"), $(make -s -C "$KSRC" kernelversion))"

# --- 2b. fence_kdump (make bench) ---------------------------------------------------
# Only its two C programs (libc only), unpacked rather than installed: the package's
# dependencies (boto3, Google's API client, pexpect...) serve its other, Python agents.
# Only make bench uses them, and it says so when they are missing: a failure here
# warns and does not stop make check.
fetch_fence_agents() {
	local tmp="$HASYS_CACHE/fence-agents.tmp"
	rm -rf "$tmp" && mkdir -p "$tmp" || return 1
	# apt-get download runs as this user; `_apt` may not write here: no sandbox.
	(cd "$tmp" && apt-get -o APT::Sandbox::User=root download fence-agents >download.log 2>&1) ||
		{ say "warning: apt-get download fence-agents failed (log: $tmp/download.log)"; return 1; }
	dpkg -x "$tmp"/fence-agents_*.deb "$tmp/deb" && mkdir -p "$HASYS_FENCE_AGENTS" &&
		cp "$tmp/deb/usr/sbin/fence_kdump" "$tmp/deb/usr/libexec/fence-agents/fence_kdump_send" \
			"$HASYS_FENCE_AGENTS/" ||
		{ say "warning: fence-agents has no fence_kdump or fence_kdump_send"; return 1; }
	basename "$tmp"/fence-agents_*.deb >"$HASYS_FENCE_AGENTS/package"
	rm -rf "$tmp"
}
if [ ! -x "$HASYS_FENCE_AGENTS/fence_kdump" ] || [ ! -x "$HASYS_FENCE_AGENTS/fence_kdump_send" ]; then
	say "fetching fence_kdump (Debian's fence-agents) into $HASYS_FENCE_AGENTS"
	fetch_fence_agents ||
		say "warning: no fence_kdump: make bench will compare fence_hasys with nothing"
fi

# --- 3. bindgen-cli -------------------------------------------------------------------
if ! "$BINDGEN" --version 2>/dev/null | grep -q " $BINDGEN_VERSION\$"; then
	say "installing bindgen-cli $BINDGEN_VERSION into $HASYS_CACHE/cargo"
	"$here/cargo.sh" install --quiet --locked --root "$HASYS_CACHE/cargo" bindgen-cli \
		--version "$BINDGEN_VERSION" || die "cargo install bindgen-cli $BINDGEN_VERSION failed"
fi

# --- 4. virtme-ng ---------------------------------------------------------------------
if ! "$VNG" --version 2>/dev/null | grep -q "$VIRTME_NG_VERSION"; then
	say "installing virtme-ng $VIRTME_NG_VERSION into $HASYS_CACHE/venv"
	python3 -m venv "$HASYS_CACHE/venv" || die "python3 -m venv failed"
	"$HASYS_CACHE/venv/bin/pip" install -q "virtme-ng==$VIRTME_NG_VERSION" ||
		die "pip install virtme-ng==$VIRTME_NG_VERSION failed"
fi

# --- 5. Check and print every tool ----------------------------------------------------
# program -> the package that provides it: every program the build, the harness, the
# tests, the demo and the benchmarks call, outside Debian's Essential set.
declare -A PROGRAMS=(
	[clang-19]=clang-19 [ld.lld-19]=lld-19 [llvm-ar-19]=llvm-19 [llvm-objcopy-19]=llvm-19
	[make]=make [gcc]=gcc [cc]=gcc [flex]=flex [bison]=bison [bc]=bc [xz]=xz-utils
	[depmod]=kmod [insmod]=kmod [rmmod]=kmod [modprobe]=kmod [modinfo]=kmod [lsmod]=kmod
	[python3]=python3 [rsync]=rsync [git]=git [qemu-system-x86_64]=qemu-system-x86
	[ip]=iproute2 [systemd-tmpfiles]=systemd [busybox]=busybox-static [file]=file
	[kexec]=kexec-tools [makedumpfile]=makedumpfile [mmdebstrap]=mmdebstrap
	[/usr/bin/rustc]=rustc-web [/usr/bin/cargo]=cargo-web [/usr/bin/clippy-driver]=rust-web-clippy
	[/usr/bin/rustfmt]=rustfmt-web [/usr/bin/cargo-clippy]=rust-web-clippy
	[/usr/bin/cargo-fmt]=rustfmt-web [perl]=perl-base [tar]=tar [gzip]=gzip
	[corosync]=corosync [corosync-cmapctl]=corosync
)
missing=()
for prog in "${!PROGRAMS[@]}"; do
	PATH="/usr/sbin:/sbin:$PATH" command -v "$prog" >/dev/null ||
		missing+=("$prog (Debian package ${PROGRAMS[$prog]})")
done
[ ${#missing[@]} -eq 0 ] || die "missing after install: ${missing[*]}"
[ -f /etc/ssl/certs/ca-certificates.crt ] || die "no CA bundle (Debian package ca-certificates)"

check() { # name, command...
	local name=$1; shift
	local v
	# All of the output, then its first line: `| head -n1` would SIGPIPE a long one.
	v=$("$@" 2>&1) || die "$name missing or broken: '$*' failed"
	v=${v%%$'\n'*}
	printf '  %-14s %s\n' "$name" "$v"
}
say "toolchain (and ${#PROGRAMS[@]} programs present):"
check clang       clang-19 --version
check ld.lld      ld.lld-19 --version
check rustc       /usr/bin/rustc --version
check rust-src    ls -d "$(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library/core"
check clippy      /usr/bin/clippy-driver --version
check rustfmt     /usr/bin/rustfmt --version
check bindgen     "$BINDGEN" --version
check cargo       "$here/cargo.sh" --version
check vng         "$VNG" --version
check qemu        qemu-system-x86_64 --version
check busybox     busybox --help
check kexec       kexec --version
check rsync       rsync --version
if [ -x "$HASYS_FENCE_AGENTS/fence_kdump" ]; then
	check fence_kdump "$HASYS_FENCE_AGENTS/fence_kdump" --version
else
	printf '  %-14s %s\n' fence_kdump "missing (make bench only; see the warning above)"
fi
make -s -C "$KSRC" LLVM=-19 RUSTC=/usr/bin/rustc BINDGEN="$BINDGEN" rustavailable \
	>/dev/null 2>"$HASYS_CACHE/rustavailable.log" ||
	die "kernel says Rust is not available: $(tail -n3 "$HASYS_CACHE/rustavailable.log")"
say "Rust is available for $KSRC"
say "done"
