#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kexec_handoff through real Kexec HandOver kexecs into the same kernel image, in one
# VM booted with kho=on (scripts/vmtest.py, boot_handoff()). The same script runs
# three times in that VM: in the first kernel (stage 1), then in the kernel its
# handoff started (stage 2: the marker stage1-kexec exists), then in the kernel the
# second handoff started (stage 3: stage2-kexec exists); virtme-ng's init runs the
# same command in each, since hactl handoff reuses the command line.
#
#   handoff.sh <out-dir> <bzImage>
#
# The VM is node A of cluster_msg's pair topology: node B (peer.sh, a second VM)
# watches it. Each kernel enables cluster_msg as node 1 and waits for B to be up.
#
# Stage 1: hwerr records (software reports and a corrected MCE); `prepare` preserves
# the subtrees (KHO's debugfs lists them) and cluster_msg leaves for the handoff,
# `abort` takes them away and cluster_msg rejoins; `hactl handoff --no-exec` and
# `hactl handoff abort`; then the log is saved and `hactl handoff` runs the kexec
# (kexec -s -l, prepare, kexec -e); its seal reports $LATE records after it froze the
# log (debugfs hwerr/handoff_late, test kernels).
# Stage 2: hwerr restored the log: every record of stage 1 with its sequence number
# and contents, carried through one handoff (boot 1), then the handoff's own records;
# the $LATE late records counted lost (the report, one lost record);
# a new record continues the numbering; kexec_handoff is `restored` with its report
# and its record; cluster_msg goes on from the epoch it carried; a new handoff can be
# prepared and aborted. Then a second handoff,
# whose seal corrupts hwerr's blob (debugfs hwerr/handoff_corrupt, test kernels).
# Stage 3: hwerr refused the corrupted log whole (bad-crc) and restored nothing;
# kexec_handoff's report says two handoffs and the refusal; cluster_msg's epoch was
# carried again; once B has the records it judges (`a-final`, `b-snapshot`),
# everything unloads.
# Before each kexec, and at the end, the kernel log and the kmemleak report are saved.
#
# Each stage writes its KTAP to <out-dir>/stage<N>.ktap; every wait is bounded.
# Needs HASYS_MODDIR and HASYS_HACTL.

. "$(dirname "$0")/hasys_lib.sh"
pair_msg() { ktap_print_msg "$*"; }
. "$(dirname "$0")/pair_lib.sh"

OUT=${1:?usage: handoff.sh <out-dir> <bzImage>}
KIMG=${2:?}
HACTL=${HASYS_HACTL:-}
PY=/usr/bin/python3
KH=/sys/kernel/ha/kexec_handoff
KHO=/sys/kernel/debug/kho
INJ=/sys/kernel/debug/mce-inject
CM=/sys/kernel/ha/cluster_msg
HD=/sys/kernel/ha/hadetect
CEC=/sys/kernel/debug/ras/cec/action_threshold
SYNC=$OUT/sync
# Records the first handoff's seal reports after it froze the log (test kernels:
# debugfs hwerr/handoff_late).
LATE=3

pair_role A || exit 2

[ -x "$HACTL" ] || { ktap_print_header; ktap_exit_fail_msg "HASYS_HACTL is not set to the hactl binary"; }

# req <word>: writes <word> to request; prints the error message, if any.
req() {
	{ printf '%s' "$1" >$KH/request; } 2>&1
}

# A corrected DRAM error at physical address $1, as the CPU's vendor reports it
# (selftests/hadetect/hadetect_test.h's inject_dram_ce()). The RAS CEC would take
# the page itself first: its threshold goes up, as selftests/hadetect/policy.c does.
dram_ce() {
	local status=0x9c0000000000009f misc=140 bank=1
	if grep -q AuthenticAMD /proc/cpuinfo; then
		status=0x940000000008011b misc=0 bank=4
	fi
	if [ -w $CEC ]; then echo 1023 >$CEC || return 1; fi
	echo sw >$INJ/flags && echo 0 >$INJ/cpu && echo $status >$INJ/status &&
		echo "$1" >$INJ/addr && echo $misc >$INJ/misc && echo 0 >$INJ/synd &&
		echo 0 >$INJ/ipid && echo $bank >$INJ/bank
}

# The rules and settings of hadetect this test changes, one "name value" per line.
hd_settings() {
	local f
	for f in pci/threshold dimm/window_ms cpu/dry_run overload_hold_ms; do
		echo "$f $(cat $HD/$f)"
	done
}

# hd_fault <pfn>: hadetect's faults line of page <pfn> (0x...), if any.
hd_fault() { awk -v o="$1" '$1 == "page" && $2 == o' $HD/faults; }
# hd_field <line> <key>: the value of <key> in a faults line.
hd_field() { echo "$1" | awk -v k="$2" '{ for (i = 4; i < NF; i++) if ($i == k) print $(i + 1) }'; }
# The two pages of stage 1 (pfns, 0x...): A with one error, B isolated.
hd_pages() { read -r PFN_A PFN_B <"$OUT/pfns"; }
# What hadetect must say it restored: "N faults (M to isolate again)", from stage
# 1's table (the corrected MCE above opens a CPU fault too).
hd_expect() {
	local n m
	n=$(grep -c . "$OUT/hd-faults-1.txt")
	m=$(awk '$3 ~ /^(isolating|isolated|retrying)$/' "$OUT/hd-faults-1.txt" | grep -c .)
	echo "$n faults ($m to isolate again)"
}

# A process that holds two pages of its own, for as long as the first kernel runs;
# their pfns go to $OUT/pfns (root reads them in /proc/self/pagemap).
hold_pages() {
	"$PY" - "$OUT/pfns" <<'PYEOF' &
import ctypes, mmap, os, sys, time
m = mmap.mmap(-1, 2 * 4096)
m.write(b"\x5a" * 2 * 4096)
base = ctypes.addressof(ctypes.c_char.from_buffer(m)) // 4096
pfns = []
with open("/proc/self/pagemap", "rb") as pm:
    for i in range(2):
        pm.seek((base + i) * 8)
        e = int.from_bytes(pm.read(8), "little")
        pfns.append(e & ((1 << 55) - 1) if e >> 63 else 0)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(" ".join(hex(p) for p in pfns) + "\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(3600)
PYEOF
	for _ in $(seq 100); do [ -s "$OUT/pfns" ] && break; sleep 0.2; done
	[ -s "$OUT/pfns" ] && ! grep -qw 0x0 "$OUT/pfns"
}

# hd_wait <pfn> <seconds> <state...>: page <pfn>'s fault reaches one of the states.
hd_wait() {
	local pfn=$1 end=$((SECONDS + $2)) line
	shift 2
	while :; do
		line=$(hd_fault "$pfn")
		case " $* " in *" $(echo "$line" | awk '{ print $3 }') "*) return 0 ;; esac
		[ $SECONDS -ge $end ] && { ktap_print_msg "page $pfn: ${line:-no fault}"; return 1; }
		sleep 0.5
	done
}

# The subtrees KHO will carry, by name (debugfs), one per line.
subtrees() {
	ls "$KHO/out/sub_fdts" 2>/dev/null | grep '^hasys-' || true
}

finish() {
	hasys_save_kmemleak "$OUT/kmemleak-$1.txt"
	dmesg >"$OUT/dmesg-$1.txt"
}

# cluster_up: cluster_msg enabled as node A, B up (B boots beside the first kernel).
cluster_up() {
	local out
	# shellcheck disable=SC2086 # three numbers
	pair_net && pair_enable $HANDOFF_TIMING handoff_ms=$HANDOFF_MS || return 1
	out=$("$HACTL" cluster --wait-state "$peer=up" --timeout-ms 600000 2>&1) ||
		{ ktap_print_msg "$out"; return 1; }
	ktap_print_msg "B up after $out ms, epoch $(cat $CM/epoch)"
}

# carried <stage>: cluster_msg's epoch went through the kexec out of <stage> - 1 (at
# least what it was just before it) and goes on from there once enabled again.
carried() {
	local before got
	before=$(cat "$OUT/epoch-$(($1 - 1))")
	got=$(dmesg | sed -n 's/.*cluster_msg: handoff: epoch \([0-9]*\) of node 1 carried.*/\1/p')
	ktap_print_msg "epoch before the kexec: $before, carried: ${got:-none}, now: $(cat $CM/epoch)"
	[ -n "$got" ] && [ "$got" -ge "$before" ] && [ "$(cat $CM/epoch)" -gt "$got" ]
}

# --- stage 1: the first kernel ---------------------------------------------------------

stage1() {
	ktap_print_header
	ktap_set_plan 8
	hasys_load_all || ktap_exit_fail_msg "cannot load the hasys modules"
	ktap_check "KHO is enabled (kho=on) and this kernel was not started by a handoff" eval \
		'test -d $KHO/out && test "$(cat $KH/state)" = idle && test "$(cat $KH/report)" = none'
	ktap_check "cluster_msg enabled as node A, B up" cluster_up
	# Records to carry: software reports and a corrected MCE.
	echo 5 >/sys/kernel/debug/hwerr/inject &&
		echo sw >$INJ/flags && echo 0 >$INJ/cpu && echo 0x940000000000009f >$INJ/status &&
		echo 0x1234000 >$INJ/addr && echo 0 >$INJ/misc && echo 1 >$INJ/bank
	sleep 0.5
	# hadetect's state to carry: settings away from their defaults, a page with one
	# error (the page rule is 2 in 24 h), a page isolated at its second.
	hd_state() {
		local a b
		echo 3 >$HD/pci/threshold && echo 3600000 >$HD/dimm/window_ms &&
			echo 1 >$HD/cpu/dry_run && echo 4000 >$HD/overload_hold_ms || return 1
		hd_settings >"$OUT/hd-settings-1.txt"
		hold_pages || { ktap_print_msg "no pages to hold"; return 1; }
		hd_pages
		# A second apart: hwerr's storm coalescing (2 in 1 s by default) stays out.
		sleep 1.2 && dram_ce $((PFN_A << 12)) && sleep 1.2 && dram_ce $((PFN_B << 12)) &&
			sleep 1.2 && dram_ce $((PFN_B << 12)) || return 1
		hd_wait "$PFN_B" 30 isolated || return 1
		hd_wait "$PFN_A" 5 suspect || return 1
		cat $HD/faults >"$OUT/hd-faults-1.txt"
		while read -r l; do ktap_print_msg "fault: $l"; done <"$OUT/hd-faults-1.txt"
		a=$(hd_fault "$PFN_A") b=$(hd_fault "$PFN_B")
		test "$(hd_field "$a" total)" = 1 && test "$(hd_field "$b" total)" = 2
	}
	ktap_check "hadetect: settings changed, a page with one error, a page isolated" hd_state
	prep_abort() {
		local out
		out=$(req prepare) || { ktap_print_msg "prepare: $out"; return 1; }
		test "$(cat $KH/state)" = ready || return 1
		ktap_print_msg "preserved: $(subtrees | tr '\n' ' ')"
		test "$(subtrees | tr '\n' ' ')" = \
			"hasys-cluster_msg hasys-hadetect hasys-hwerr hasys-kexec_handoff " || return 1
		out=$(req prepare)
		case $out in *"Device or resource busy"*) ;; *) ktap_print_msg "prepare again: $out"; return 1 ;; esac
		req abort >/dev/null && test "$(cat $KH/state)" = aborted &&
			test "$(cat $KH/reason)" = requested && test -z "$(subtrees)"
	}
	ktap_check "prepare preserves the subtrees, abort releases them (EBUSY in between)" prep_abort
	hactl_abort() {
		"$HACTL" handoff --kernel "$KIMG" --no-exec --json >"$OUT/no-exec.json" 2>&1 || {
			while read -r l; do ktap_print_msg "$l"; done <"$OUT/no-exec.json"
			return 1
		}
		test "$(cat $KH/state)" = ready && test "$(cat /sys/kernel/kexec_loaded)" = 1 &&
			"$HACTL" handoff abort >/dev/null && test "$(cat $KH/state)" = aborted &&
			test "$(cat /sys/kernel/kexec_loaded)" = 0 && test -z "$(subtrees)"
	}
	ktap_check "hactl handoff --no-exec gets ready, hactl handoff abort ends it" hactl_abort
	"$HACTL" watch --from-oldest --json --timeout-ms 1000 >"$OUT/records-1.json" 2>&1
	ktap_check "the log holds the records to carry" eval \
		'test "$(grep -c "\"source\":\"software\"" "$OUT/records-1.json")" -ge 5 &&
		grep -q "\"source\":\"mce\"" "$OUT/records-1.json"'
	left_rejoined() {
		"$PY" - "$OUT/records-1.json" "$HANDOFF_MS" <<'PYEOF'
import json, sys
ms = int(sys.argv[2])
local = [r["detail"] for r in map(json.loads, filter(lambda l: l.startswith("{"), open(sys.argv[1])))
         if r["source"] == "cluster_msg" and r["detail"]["event"] == "local"]
seq = [(d["state"], d["reason"], d["arg"]) for d in local]
print("# local:", seq)
# up, then twice: left for the handoff (with the time given), up again.
want = [("left", "handoff", ms), ("up", "none", 0)] * 2
sys.exit(0 if seq[-4:] == want else 1)
PYEOF
	}
	ktap_check "each prepare left the cluster for the handoff ($HANDOFF_MS ms), each abort rejoined" \
		left_rejoined
	ktap_check "nothing leaked or reported before the kexec" eval \
		'finish 1; ! grep -q "unreferenced object" "$OUT/kmemleak-1.txt" 2>/dev/null'
	ktap_finished
}

# handoff_now <stage>: the kexec out of <stage>, through hactl handoff.
handoff_now() {
	# Records that come after the seal, in the first handoff (stage 2 checks them).
	[ "$1" = 1 ] && echo $LATE >/sys/kernel/debug/hwerr/handoff_late
	cat $CM/epoch >"$OUT/epoch-$1"
	echo "$(date +%s%N)" >"$OUT/stage$1-kexec"
	sync
	"$HACTL" handoff --kernel "$KIMG" >"$OUT/handoff-$1.txt" 2>&1
	echo "hactl handoff returned $? in stage $1: no kexec" >"$OUT/no-kexec"
}

# --- stage 2: the kernel the handoff started -------------------------------------------

stage2() {
	local last
	ktap_print_header
	ktap_set_plan 13
	hasys_load_all || ktap_exit_fail_msg "cannot load the hasys modules"
	ktap_check "cluster_msg enabled again, B up" cluster_up
	ktap_check "cluster_msg carried its epoch and goes on from it" carried 2
	hd_pages
	cat $HD/faults >"$OUT/hd-faults-2.txt"
	while read -r l; do ktap_print_msg "fault: $l"; done <"$OUT/hd-faults-2.txt"
	# The faults, their errors before this boot (negative times), the settings.
	hd_restored() {
		local a b b1
		dmesg | grep -qF "hadetect: handoff: restored the rules and $(hd_expect), 1 handoffs, 0 lost" ||
			{ ktap_print_msg "$(dmesg | grep 'hadetect: handoff' | tail -n 1)"; return 1; }
		hd_settings | diff -u "$OUT/hd-settings-1.txt" - >/dev/null || return 1
		a=$(grep -E "^page $PFN_A " "$OUT/hd-faults-2.txt")
		b=$(grep -E "^page $PFN_B " "$OUT/hd-faults-2.txt")
		b1=$(grep -E "^page $PFN_B " "$OUT/hd-faults-1.txt")
		test "$(echo "$a" | awk '{ print $3 }')" = suspect && test "$(hd_field "$a" total)" = 1 &&
			test "$(hd_field "$a" first_ns)" -lt 0 && test "$(hd_field "$b" total)" = 2 &&
			test "$(hd_field "$b" seq)" = "$(hd_field "$b1" seq)"
	}
	ktap_check "hadetect restored its settings and both faults, their errors before this boot" hd_restored
	# The isolated page is isolated again: the new kernel had not.
	hd_again() {
		local b
		hd_wait "$PFN_B" 30 isolated retrying gave-up refused || return 1
		b=$(hd_fault "$PFN_B")
		ktap_print_msg "page $PFN_B: $b"
		# Soft offline migrates whatever this kernel has at that pfn; a page it cannot
		# move fails, and is retried: the action ran again either way.
		test "$(hd_field "$b" attempt)" -ge 1
	}
	ktap_check "hadetect isolated the carried isolated page again" hd_again
	# The first page's second error, an hour's worth of window after the first,
	# in another kernel: the page rule (2 in 24 h) fires.
	ktap_check "an error before the handoff counts in the rule's window after it" eval \
		'dram_ce $((PFN_A << 12)) &&
		hd_wait "$PFN_A" 30 isolating isolated retrying gave-up refused &&
		test "$(hd_field "$(hd_fault "$PFN_A")" total)" = 2'
	cat $KH/report >"$OUT/report.txt"
	while read -r l; do ktap_print_msg "report: $l"; done <"$OUT/report.txt"
	ktap_check "restored, with the handoff's report" eval \
		'test "$(cat $KH/state)" = restored && grep -qx "handoffs 1" "$OUT/report.txt" &&
		grep -qx "old_release $(uname -r)" "$OUT/report.txt" &&
		test "$(awk "\$1 == \"records_carried\" { print \$2 }" "$OUT/report.txt")" -gt 5 &&
		test "$(awk "\$1 == \"records_carried\" { print \$2 }" "$OUT/report.txt")" = \
			"$(awk "\$1 == \"records_sealed\" { print \$2 }" "$OUT/report.txt")"'
	ktap_check "hwerr says what it restored" eval 'dmesg | grep -q "hwerr: handoff: restored [0-9]* records"'
	"$HACTL" watch --from-oldest --json --timeout-ms 1000 >"$OUT/records-2.json" 2>&1
	same() {
		"$PY" - "$OUT/records-1.json" "$OUT/records-2.json" <<'PYEOF'
import json, sys
def load(p):
    return [json.loads(l) for l in open(p) if l.startswith("{")]
old, new = load(sys.argv[1]), load(sys.argv[2])
by_seq = {r["seq"]: r for r in new}
bad = 0
for r in old:
    n = by_seq.get(r["seq"])
    want = dict(r, boot=1)
    if n != want:
        print("# seq", r["seq"], "before:", r, "after:", n)
        bad += 1
seqs = [r["seq"] for r in new]
if seqs != list(range(seqs[0], seqs[0] + len(seqs))):
    print("# sequence numbers are not consecutive:", seqs)
    bad += 1
carried = [r for r in new if r.get("boot") == 1]
if [r["seq"] for r in carried] != seqs[:len(carried)]:
    print("# the carried records are not first")
    bad += 1
ho = [(r["detail"]["from"], r["detail"]["to"], r.get("boot")) for r in new
      if r["source"] == "kexec_handoff"]
print("# handoff records:", ho)
if ("ready", "committed", 1) not in ho or ho[-1] != ("idle", "restored", None):
    bad += 1
sys.exit(1 if bad else 0)
PYEOF
	}
	ktap_check "every record of the old kernel, same number and contents, carried once" same
	# The records stage 1's seal reported after it froze the log (handoff_now): the
	# log refused them, the kexec's kmsg dump counted them into the blob, and they
	# are told here, in the report and as one lost record.
	late() {
		grep -qx "records_lost $LATE" "$OUT/report.txt" &&
			"$PY" - "$OUT/records-2.json" "$LATE" <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
lost = [(r["detail"]["reason"], r["detail"]["total"]) for r in recs
        if r["source"] == "lost" and r["detail"]["reason"] == "handoff"]
print("# lost records:", lost)
sys.exit(0 if lost == [("handoff", int(sys.argv[2]))] else 1)
PYEOF
	}
	ktap_check "the $LATE records refused after the seal are counted lost and told" late
	last=$(awk -F'"seq":' '/^\{/ { split($2, a, ","); s = a[1] } END { print s }' "$OUT/records-2.json")
	cont() {
		local n
		echo 1 >/sys/kernel/debug/hwerr/inject || return 1
		n=$("$HACTL" watch --from-oldest --json --source software --timeout-ms 1000 | tail -n 1)
		ktap_print_msg "last carried or restored: $last; new: $(echo "$n" | cut -c1-80)"
		echo "$n" | "$PY" -c 'import json, sys; r = json.load(sys.stdin); sys.exit(0 if r["seq"] == int(sys.argv[1]) + 1 and "boot" not in r else 1)' "$last"
	}
	ktap_check "a new record continues the numbering" cont
	again() {
		req prepare >/dev/null && test "$(cat $KH/state)" = ready &&
			req abort >/dev/null && test "$(cat $KH/state)" = aborted && test -z "$(subtrees)"
	}
	ktap_check "a new handoff can be prepared and aborted after a restore" again
	ktap_check "nothing leaked or reported before the second kexec" eval \
		'finish 2; ! grep -q "unreferenced object" "$OUT/kmemleak-2.txt" 2>/dev/null'
	# The next seal corrupts hwerr's blob: stage 3 must refuse it.
	ktap_check "hactl handoff runs the second kexec, its log blob to be corrupted" eval \
		'echo 1 >/sys/kernel/debug/hwerr/handoff_corrupt'
	ktap_finished
}

# --- stage 3: the kernel the second handoff started, with a corrupted log ---------------

stage3() {
	ktap_print_header
	ktap_set_plan 8
	hasys_load_all || ktap_exit_fail_msg "cannot load the hasys modules"
	ktap_check "cluster_msg enabled again, B up" cluster_up
	ktap_check "cluster_msg carried its epoch through the second handoff" carried 3
	# hadetect's blob was not corrupted: its state went through both handoffs.
	hd_pages
	ktap_check "hadetect restored its state again (two handoffs), the log refused or not" eval \
		'dmesg | grep -q "hadetect: handoff: restored the rules and $(grep -c . "$OUT/hd-faults-1.txt") faults (.*), 2 handoffs, 0 lost" &&
		test "$(hd_field "$(hd_fault "$PFN_A")" total)" = 2'
	cat $KH/report >"$OUT/report-3.txt"
	while read -r l; do ktap_print_msg "report: $l"; done <"$OUT/report-3.txt"
	ktap_check "hwerr refused the corrupted log whole, and said why" eval \
		'dmesg | grep -q "hwerr: handoff: the log handed over is refused (bad-crc): nothing restored"'
	"$HACTL" watch --from-oldest --json --timeout-ms 1000 >"$OUT/records-3.json" 2>&1
	ktap_check "nothing of it was restored: the log starts at 1, no record carried" eval \
		'! grep -q "\"boot\":" "$OUT/records-3.json" &&
		head -n 1 "$OUT/records-3.json" | grep -q "^{\"seq\":1,"'
	ktap_check "restored, two handoffs, the log refused (bad-crc: 8), none carried" eval \
		'test "$(cat $KH/state)" = restored && grep -qx "handoffs 2" "$OUT/report-3.txt" &&
		grep -qx "log_refused 8" "$OUT/report-3.txt" && grep -qx "records_carried 0" "$OUT/report-3.txt" &&
		test "$(awk "\$1 == \"records_sealed\" { print \$2 }" "$OUT/report-3.txt")" -gt 0'
	# B takes the records it judges before A leaves the cluster.
	signal a-final
	await b-snapshot 300 0.5 || ktap_print_msg "B took no snapshot in 300 s"
	ktap_check "unloaded" hasys_unload_all
	ktap_check "nothing leaked or reported" eval \
		'finish 3; ! grep -q "unreferenced object" "$OUT/kmemleak-3.txt" 2>/dev/null'
	ktap_finished
}

# Each stage in a subshell, its KTAP in a file of its own (a failed stage exits its
# subshell only); the host judges them all, and the done marker says stage 3 finished.
if [ -e "$OUT/stage2-kexec" ]; then
	(stage3) >"$OUT/stage3.ktap" 2>&1
	echo done >"$OUT/done"
elif [ -e "$OUT/stage1-kexec" ]; then
	(stage2) >"$OUT/stage2.ktap" 2>&1
	handoff_now 2
else
	(stage1) >"$OUT/stage1.ktap" 2>&1
	handoff_now 1
fi
