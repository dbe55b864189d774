#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make lint: repository hygiene. Fails when a tracked file is a build product: an ELF
# object (a test binary, a .o, a .ko), or a file the .gitignore rules say is one.
set -euo pipefail
cd "$(dirname "$0")/.."
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "lint-tree: not a git work tree" >&2; exit 1; }

bad=0
while IFS= read -r -d '' f; do
	[ -f "$f" ] || continue
	if [ "$(head -c4 -- "$f" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
		echo "lint-tree: $f is a tracked ELF object: remove it (git rm --cached) and ignore it"
		bad=1
	fi
done < <(git ls-files -z)

ignored=$(git ls-files --cached --ignored --exclude-standard)
if [ -n "$ignored" ]; then
	echo "lint-tree: tracked files that .gitignore marks as build output:"
	printf '  %s\n' $ignored
	bad=1
fi
exit $bad
