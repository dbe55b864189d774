#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make selftests: install every selftests/<collection>/ the kselftest way into $1, with
# the kernel's run_kselftest.sh and kselftest/ helpers beside them, ready to run in the
# VM. Installing (rather than running from the tree) is what makes each collection's
# `settings` timeout apply.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/env.sh
. "$here/env.sh"
top=$(dirname "$here")
dest=${1:?usage: stage-selftests.sh <dir>}
kst=$KSRC/tools/testing/selftests
[ -d "$kst" ] || { echo "stage-selftests: no $kst: run 'make setup'" >&2; exit 1; }

rm -rf "$dest"
mkdir -p "$dest"
cp "$kst/run_kselftest.sh" "$dest/"
cp -r "$kst/kselftest" "$dest/"
: >"$dest/kselftest-list.txt"
for dir in "$top"/selftests/*/; do
	c=$(basename "$dir")
	[ -f "$dir/Makefile" ] || continue
	mkdir -p "$dest/.build/$c"
	make -s -C "$dir" KSRC="$KSRC" OUTPUT="$dest/.build/$c" install \
		INSTALL_PATH="$dest/$c" >/dev/null
	make -s -C "$dir" KSRC="$KSRC" OUTPUT="$dest/.build/$c" emit_tests COLLECTION="$c" >>"$dest/kselftest-list.txt"
done
echo "stage-selftests: $(wc -l <"$dest/kselftest-list.txt") tests staged in $dest"
