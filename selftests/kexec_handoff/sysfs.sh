#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kexec_handoff's sysfs interface in the single test VM, booted without kho=on: the
# files and their modes, the phase and report of a cold-booted kernel, unknown words
# (EINVAL) and requests in the wrong phase (EBUSY), a write by a user other than root,
# and `prepare` with KHO disabled: EOPNOTSUPP, `aborted` for `kho-disabled`, one
# record per phase on /dev/hwerr, a poll() on `state` woken by a change. A real
# handoff is handoff.sh's, in a VM of its own (scripts/vmtest.py, boot_handoff()).

. "$(dirname "$0")/hasys_lib.sh"

HACTL=${HASYS_HACTL:-}
KH=/sys/kernel/ha/kexec_handoff
PY=/usr/bin/python3

ktap_print_header
ktap_set_plan 8
[ -x "$HACTL" ] || ktap_exit_fail_msg "HASYS_HACTL is not set to the hactl binary"
hasys_load_all || ktap_exit_fail_msg "cannot load the hasys modules"

# req <word>: writes <word> to request; prints the error message, if any.
req() {
	{ printf '%s' "$1" >$KH/request; } 2>&1
}

ktap_check "the files and their modes (request root's only, 0200)" eval \
	'test "$(stat -c %a $KH/request)" = 200 &&
	for f in state reason attempt report; do test "$(stat -c %a $KH/$f)" = 444 || return 1; done'

ktap_check "a cold-booted kernel: idle, no reason, attempt 0, no report" eval \
	'test "$(cat $KH/state)" = idle && test "$(cat $KH/reason)" = none &&
	test "$(cat $KH/attempt)" = 0 && test "$(cat $KH/report)" = none'

words() {
	local w out
	for w in $'\n' "prepar" "prepare " "prepare"$'\n'$'\n' "PREPARE" "abort now"; do
		out=$(req "$w")
		case $out in *"Invalid argument"*) ;; *) ktap_print_msg "'$w': $out"; return 1 ;; esac
	done
	test "$(cat $KH/state)" = idle
}
ktap_check "unknown words are refused with EINVAL, the phase unchanged" words

busy() {
	local out
	out=$(req abort)
	case $out in *"Device or resource busy"*) ;; *) ktap_print_msg "abort: $out"; return 1 ;; esac
	test "$(cat $KH/state)" = idle && test "$(cat $KH/attempt)" = 0
}
ktap_check "abort with no handoff under way is refused with EBUSY" busy

nonroot() {
	local out
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "echo prepare >$KH/request" 2>&1) &&
		return 1
	case $out in *"Permission denied"*) ;; *) ktap_print_msg "$out"; return 1 ;; esac
	test "$(cat $KH/state)" = idle
}
ktap_check "a user other than root cannot write request" nonroot

nokho() {
	local out
	out=$(req prepare$'\n')
	case $out in *"Operation not supported"*) ;; *) ktap_print_msg "prepare: $out"; return 1 ;; esac
	test "$(cat $KH/state)" = aborted && test "$(cat $KH/reason)" = kho-disabled &&
		test "$(cat $KH/attempt)" = 1 || return 1
	# Aborted: a new prepare is accepted, and fails the same way.
	out=$(req prepare)
	case $out in *"Operation not supported"*) ;; *) ktap_print_msg "again: $out"; return 1 ;; esac
	test "$(cat $KH/attempt)" = 2
}
ktap_check "prepare without KHO fails with EOPNOTSUPP: aborted, kho-disabled" nokho

# The phase records: idle -> preparing -> aborted (kho-disabled), then again.
records() {
	"$HACTL" watch --from-oldest --json --source kexec_handoff --timeout-ms 1000 >"$TMPF" 2>&1
	"$PY" - "$TMPF" <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
got = [(r["detail"]["from"], r["detail"]["to"], r["detail"]["reason"], r["detail"]["attempt"])
       for r in recs]
want = [("idle", "preparing", "none", 1), ("preparing", "aborted", "kho-disabled", 1),
        ("aborted", "preparing", "none", 2), ("preparing", "aborted", "kho-disabled", 2)]
if got != want:
    print("# records:", got)
    sys.exit(1)
PYEOF
}
TMPF=$(mktemp)
trap 'rm -f "$TMPF"' EXIT
ktap_check "one record per phase change on /dev/hwerr" records

# poll(): a reader of state, registered for POLLPRI|POLLERR (sysfs_notify), is woken
# by a prepare's changes of phase, within 10 s.
polled() {
	local pid end=$((SECONDS + 30))
	rm -f "$TMPF"
	"$PY" - "$KH/state" "$TMPF" <<'PYEOF' &
import select, sys
f = open(sys.argv[1])
f.read()
p = select.poll()
p.register(f, select.POLLPRI | select.POLLERR)
open(sys.argv[2], "w").close()
ev = p.poll(10000)
f.seek(0)
print(f"# woken: {bool(ev)}, state now {f.read().strip()}")
sys.exit(0 if ev else 1)
PYEOF
	pid=$!
	while [ ! -e "$TMPF" ]; do
		[ $SECONDS -ge $end ] && { kill $pid; ktap_print_msg "the poller did not start"; return 1; }
		sleep 0.1
	done
	req prepare >/dev/null
	wait $pid
}
ktap_check "poll() on state wakes on a change of phase" polled

hasys_unload_all || ktap_print_msg "unload failed"
ktap_finished
