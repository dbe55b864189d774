#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The handoff's peer: node B of cluster_msg's pair topology, watching node A (the
# handoff VM, selftests/kexec_handoff/handoff.sh) through its handoffs. vmtest.py's
# boot_handoff() boots this VM beside A's, their NICs joined by QEMU datagram sockets
# on 127.0.0.1 and nothing else; the two meet through files in <sync-dir>.
#
#   peer.sh <out-dir> <sync-dir>
#
# B enables cluster_msg (node 2, peer 1), waits for A to be up, then for A's
# `a-final` (A's third kernel is up again), and judges its own view of A from the
# membership records on its /dev/hwerr: A was never down, dying or left; each kexec
# showed A as `handoff` (with the time A gave) and A came back up in a new incarnation,
# three kernels in all; an aborted handoff showed `handoff`, then A up again in the
# same incarnation. It tells A once it has the records (`b-snapshot`: A may leave
# then), judges them, saves its kernel log and kmemleak report and unloads.
#
# Every wait is bounded. Needs HASYS_MODDIR and HASYS_HACTL.

. "$(dirname "$0")/hasys_lib.sh"
pair_msg() { ktap_print_msg "$*"; }
. "$(dirname "$0")/pair_lib.sh"

OUT=${1:?usage: peer.sh <out-dir> <sync-dir>}
SYNC=${2:?}
HACTL=${HASYS_HACTL:-}
PY=/usr/bin/python3
CM=/sys/kernel/ha/cluster_msg
# A's three kernels, each booting under TCG with KASAN while B runs: A's own bound.
A_RUN_S=2400

pair_role B || exit 2

ktap_print_header
ktap_set_plan 7

[ -x "$HACTL" ] || ktap_exit_fail_msg "HASYS_HACTL is not set to the hactl binary"

setup() {
	# shellcheck disable=SC2086 # three numbers
	pair_net && hasys_load_all && pair_enable $HANDOFF_TIMING
}
ktap_check "configured and enabled (node $me, peer $peer)" setup
signal "enabled-$role"

up() {
	local out
	out=$("$HACTL" cluster --wait-state "$peer=up" --timeout-ms 600000 2>&1) ||
		{ ktap_print_msg "$out"; return 1; }
	ktap_print_msg "A up after $out ms"
}
ktap_check "node A is up" up

final() {
	await a-final "$A_RUN_S" 2 || return 1
	"$HACTL" watch --from-oldest --json --source cluster_msg --timeout-ms 1000 \
		>"$OUT/records.json" 2>&1
}
ktap_check "node A went through its handoffs (a-final within $A_RUN_S s)" final
signal b-snapshot

# The verdicts on A's states (node 1's peer records), one "<name> ok|bad" line each,
# in one run of Python (each start costs seconds in this guest), its reasons as
# comments.
"$PY" - "$OUT/records.json" "$HANDOFF_MS" >"$OUT/verdicts.txt" 2>&1 <<'PYEOF'
import json, sys
path, ms = sys.argv[1], int(sys.argv[2])
recs = [json.loads(l) for l in open(path) if l.startswith("{")]
a = [r["detail"] for r in recs
     if r["detail"].get("event") == "peer" and r["detail"].get("node") == 1]
for d in a:
    print(f"# A: {d['old_state']} -> {d['state']} ({d['reason']}, arg {d['arg']}) "
          f"epoch {d['epoch']} incarnation {d['incarnation'][:8]}")
first_up = next((i for i, d in enumerate(a) if d["state"] == "up"), None)
seen = a[first_up:] if first_up is not None else []
if not seen:
    print("# A was never up")
bad = [d for d in seen if d["state"] in ("down", "dying", "left")]
print("never-down", "ok" if seen and not bad else "bad")
ok = bool(seen)
incs = [seen[0]["incarnation"]] if seen else []
for prev, d in zip(seen, seen[1:]):
    if d["incarnation"] != prev["incarnation"]:
        incs.append(d["incarnation"])
        if prev["state"] != "handoff":
            print(f"# a new incarnation after {prev['state']}, not handoff")
            ok = False
if any(d["reason"] != "handoff" or d["arg"] != ms for d in seen if d["state"] == "handoff"):
    print(f"# a handoff without reason handoff and arg {ms}")
    ok = False
if len(incs) != 3 or not seen or seen[-1]["state"] != "up":
    print(f"# {len(incs)} incarnations (3 kernels expected)")
    ok = False
print("kexecs", "ok" if ok else "bad")
stays = [(p, d) for p, d in zip(seen, seen[1:])
         if p["state"] == "handoff" and d["state"] in ("joining", "up")
         and d["incarnation"] == p["incarnation"]]
print(f"# {len(stays)} aborted handoffs seen")
print("abort", "ok" if len(stays) >= 2 else "bad")
PYEOF
grep '^#' "$OUT/verdicts.txt"
verdict() { grep -qx "$1 ok" "$OUT/verdicts.txt"; }
ktap_check "A was never down, dying or left through its handoffs" verdict never-down
ktap_check "each kexec: A handoff (back within $HANDOFF_MS ms), then up in a new incarnation, 3 kernels" \
	verdict kexecs
ktap_check "each aborted handoff: A handoff, then up again in the same incarnation" verdict abort

hasys_save_kmemleak "$OUT/kmemleak.txt"
ktap_check "unloaded" hasys_unload_all
dmesg >"$OUT/dmesg.txt"
ktap_finished
