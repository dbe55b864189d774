#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Health as an HA stack consumes it, through hactl, with a real change: a global OOM
# (sysrq f, which runs the kernel's OOM notifiers) turns health red with reason
# "overload" until overload_hold_ms passes without another, then green again.
#
#   hactl health --wait                 wakes on the change and prints it
#   hactl health --pacemaker --wait     maps each change one to one onto the node
#                                       attribute #health-hasys with attrd_updater
#                                       (a stub here, which records its calls)
#   tools/pacemaker/hasys-health        the OCF resource agent: start, monitor
#                                       and stop set and delete the attribute
#
# The OOM killer needs a victim: a sleeping child with oom_score_adj 1000; this
# script and hactl run at -1000.

. "$(dirname "$0")/hasys_lib.sh"

HD=/sys/kernel/ha/hadetect
ktap_print_header
if [ ! -x "${HASYS_HACTL:-}" ]; then
	ktap_skip_all "no hactl binary (HASYS_HACTL unset; make vmtest sets it)"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 16

hasys_loaded hwerr || insmod "$(hasys_ko hwerr)" || ktap_exit_fail_msg "insmod hwerr failed"
insmod "$(hasys_ko hadetect)" || ktap_exit_fail_msg "insmod hadetect failed"
tmp=$(mktemp -d)
victim=
cleanup() {
	[ -n "$victim" ] && kill "$victim" 2>/dev/null
	jobs -p | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	rmmod hadetect
	rm -rf "$tmp"
}
trap cleanup EXIT

echo -1000 >/proc/self/oom_score_adj
echo 1000 >$HD/overload_hold_ms
cat >"$tmp/attrd_updater" <<STUB
#!/bin/sh
echo "\$*" >>"$tmp/calls"
STUB
chmod +x "$tmp/attrd_updater"

# wait_for <seconds> <command...>: polls the command every 0.1 s.
wait_for() {
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
# in_poll <pid>: the process sits in poll(2) (x86-64: 7) or ppoll(2) (271).
in_poll() {
	local nr
	read -r nr _ <"/proc/$1/syscall" 2>/dev/null && { [ "$nr" = 7 ] || [ "$nr" = 271 ]; }
}
calls() {
	[ -f "$tmp/calls" ] && [ "$(wc -l <"$tmp/calls")" -ge "$1" ]
}

ktap_check "health starts green" test "$(cat $HD/health)" = green

"$HASYS_HACTL" health --json --wait --timeout-ms 30000 >"$tmp/wait.json" &
waiter=$!
"$HASYS_HACTL" health --pacemaker --attrd-updater "$tmp/attrd_updater" --wait \
	--timeout-ms 30000 >"$tmp/pacemaker.log" &
agent=$!
ktap_check "the Pacemaker agent sets the health attribute at start" wait_for 20 calls 1
ktap_check "both wait in poll() on the health file" \
	wait_for 20 eval 'in_poll $waiter && in_poll $agent'

(echo 1000 >/proc/self/oom_score_adj; exec sleep 300) &
victim=$!
# The victim inherits this script's -1000 until its own write: the OOM killer
# would take another process (the runner, its pipe) if it ran before that.
wait_for 10 eval 'test "$(cat /proc/$victim/oom_score_adj 2>/dev/null)" = 1000' ||
	ktap_exit_fail_msg "the victim's oom_score_adj did not become 1000"
echo f >/proc/sysrq-trigger

ktap_check "hactl health --wait wakes with red (overload)" \
	eval 'wait $waiter && grep -q "\"health\":\"red\"" "$tmp/wait.json" && grep -q "\"overload\"" "$tmp/wait.json"'
ktap_check "the OOM killer took the victim, not the test" \
	wait_for 10 eval '! kill -0 $victim 2>/dev/null'
victim=
ktap_check "health is green again after overload_hold_ms" wait_for 20 eval 'test "$(cat $HD/health)" = green'
ktap_check "the agent followed: green, red, green" wait_for 20 calls 3
kill "$agent" 2>/dev/null
wait "$agent" 2>/dev/null
ktap_print_msg "attrd_updater calls: $(tr '\n' '|' <"$tmp/calls")"
ktap_check "each call is attrd_updater -n <the attribute> -B <colour> -d 5s" \
	test "$(head -3 "$tmp/calls" | tr '\n' '|')" = \
	"-n #health-hasys -B green -d 5s|-n #health-hasys -B red -d 5s|-n #health-hasys -B green -d 5s|"
# The log tells it too: an overload record when it began (result 1), one when it
# ended (result 0).
"$HASYS_HACTL" watch --json --from-oldest --source hadetect --timeout-ms 2000 >"$tmp/records"
ktap_check "/dev/hwerr has the overload's beginning and end" \
	eval 'grep "\"event\":\"overload\"" "$tmp/records" | grep -q "\"result\":1" &&
	      grep "\"event\":\"overload\"" "$tmp/records" | grep -q "\"result\":0"'

# The OCF resource agent, as Pacemaker runs it (environment and exit codes).
ra=$HASYS_MODDIR/tools/pacemaker/hasys-health
export OCF_RESKEY_hactl="$HASYS_HACTL" OCF_RESKEY_attrd_updater="$tmp/attrd_updater"
export HA_RSCTMP="$tmp/rsc" OCF_RESOURCE_INSTANCE=kselftest
: >"$tmp/calls"
ra_rc() {
	local want=$1
	shift
	"$ra" "$@" >/dev/null 2>&1
	[ $? -eq "$want" ]
}
ktap_check "OCF meta-data names the agent" \
	eval '"$ra" meta-data | grep -q "<resource-agent name=\"hasys-health\""'
ktap_check "OCF monitor before start: not running (7)" ra_rc 7 monitor
ktap_check "OCF start (0) sets the attribute green" \
	eval 'ra_rc 0 start && grep -qx -- "-n #health-hasys -B green -d 5s" "$tmp/calls"'
ktap_check "OCF monitor after start: running (0)" ra_rc 0 monitor
ktap_check "OCF stop (0) deletes the attribute" \
	eval 'ra_rc 0 stop && grep -qx -- "-D -n #health-hasys -d 5s" "$tmp/calls"'
ktap_check "OCF monitor after stop: not running (7)" ra_rc 7 monitor
ktap_check "OCF validate-all refuses an attribute not named health-something (2)" \
	eval 'OCF_RESKEY_attribute=bogus ra_rc 2 validate-all'

ktap_finished
