#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests for vmtest.py's judging: the harness must fail what should fail."""

import contextlib
import io
import re
import shutil
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

import vmtest

KUNIT_OK = """\
[    5.1] KTAP version 1
[    5.1] 1..1
[    5.1]     KTAP version 1
[    5.1]     # Subtest: hasys_component
[    5.1]     # module: hwerr
[    5.1]     1..2
[    5.2]     ok 1 bad_names_are_einval
[    5.2]     ok 2 own_directory_exists
[    5.2] # hasys_component: pass:2 fail:0 skip:0 total:2
[    5.2] ok 1 hasys_component
"""

KSELFTEST = """\
TAP version 13
1..2
# timeout set to 900
# selftests: lifecycle: load_unload.sh
# TAP version 13
# 1..2
# ok 1 load and unload all modules 50 times
# not ok 2 no hasys module left loaded
# # Totals: pass:1 fail:1 xfail:0 xpass:0 skip:0 error:0
not ok 1 selftests: lifecycle: load_unload.sh # exit=1
# selftests: harness: canary.sh
# TAP version 13
# 1..1
# ok 1 deliberate failure not requested # SKIP
ok 2 selftests: harness: canary.sh
"""


def judge(text, nesting):
    v = vmtest.Verdict()
    with contextlib.redirect_stdout(io.StringIO()):
        seen = vmtest.judge_ktap(text, nesting, "", v)
    return seen, v


class KtapTest(unittest.TestCase):
    def test_kunit_leaves_counted(self):
        seen, v = judge(KUNIT_OK, "indent")
        self.assertTrue(seen)
        self.assertEqual(v.passed, ["hasys_component: bad_names_are_einval",
                                    "hasys_component: own_directory_exists"])
        self.assertEqual(v.failed, [])

    def test_kunit_failure(self):
        seen, v = judge(KUNIT_OK.replace("    ok 2", "    not ok 2"), "indent")
        self.assertEqual(v.failed, ["hasys_component: own_directory_exists"])

    def test_kunit_crash_midway_fails_plan(self):
        truncated = "\n".join(KUNIT_OK.splitlines()[:7])
        _, v = judge(truncated, "indent")
        self.assertTrue(v.failed, "a suite that stopped after 1 of 2 tests must fail")

    def test_kselftest_nested(self):
        _, v = judge(KSELFTEST, "hash")
        self.assertEqual(v.passed, ["lifecycle/load_unload.sh: load and unload all modules 50 times"])
        self.assertEqual(v.failed, ["lifecycle/load_unload.sh: no hasys module left loaded",
                                    "harness/canary.sh: deliberate failure not requested"])

    def test_parent_failure_without_child_failure(self):
        text = KSELFTEST.replace("# not ok 2 no hasys", "# ok 2 no hasys")
        text = text.replace("# 1..2\n# ok 1 load", "# 1..3\n# ok 1 load")
        _, v = judge(text, "hash")
        self.assertIn("lifecycle/load_unload.sh", v.failed)

    def test_failure_keeps_its_last_messages(self):
        _, v = judge("TAP version 13\n1..2\n# a\n# b\n# c\n# d\nnot ok 1 x\n"
                     "# e\nok 2 y\n", "hash")
        self.assertEqual(v.failed, ["x"])
        self.assertEqual(v.why["x"], "b | c | d")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            v.summary()
        self.assertEqual(out.getvalue(), "failures:\n  FAIL  x: b | c | d\n")

    def test_xpass_fails(self):
        _, v = judge("TAP version 13\n1..1\nok 1 x # XPASS\n", "hash")
        self.assertEqual(v.failed, ["x"])

    def test_timeout_without_output_fails(self):
        _, v = judge("TAP version 13\n1..1\n# selftests: x: y.sh\n"
                     "not ok 1 selftests: x: y.sh # TIMEOUT 45 seconds\n", "hash")
        self.assertEqual(v.failed, ["x/y.sh"])


class DmesgTest(unittest.TestCase):
    def run_log(self, text):
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "dmesg.txt"
            p.write_text(text)
            v = vmtest.Verdict()
            with contextlib.redirect_stdout(io.StringIO()):
                vmtest.judge_log(p, v, "dmesg")
            return v

    def test_clean(self):
        for line in ["hwerr: hasys 0.1.0 loaded",
                     "rcu: \tRCU lockdep checking is enabled.",
                     "EDAC DEBUG: edac_mc_sysfs_init: device mc created"]:
            self.assertEqual(self.run_log(f"[ 1.0] {line}\n").failed, [], line)

    def test_reports_fail(self):
        for line in ["BUG: KASAN: slab-use-after-free in hwerr_read",
                     "WARNING: CPU: 0 PID: 1 at kernel/foo.c:1",
                     "WARNING: possible circular locking dependency detected",
                     "BUG: sleeping function called from invalid context",
                     "kmemleak: 1 new suspected memory leaks",
                     "rust_kernel: panicked at hwerr/hwerr_main.rs:1:1",
                     "turning off the locking correctness validator.",
                     "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
                     "rcu: INFO: rcu_preempt self-detected stall on CPU",
                     "INFO: rcu_preempt detected expedited stalls on CPUs/tasks: {",
                     "INFO: rcu_tasks detected stalls on tasks:",
                     "rcu: INFO: rcu_preempt detected stall, but suppressed full report due to a stuck CSD-lock.",
                     "rcu: rcu_preempt kthread starved for 10502 jiffies! g2541 f0x0",
                     "watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [insmod:231]",
                     "watchdog: CPU1: Watchdog detected hard LOCKUP on cpu 1",
                     "INFO: task kworker/0:1:12 blocked for more than 122 seconds.",
                     "Call Trace:"]:
            self.assertEqual(self.run_log(f"[ 1.0] {line}\n").failed, ["dmesg"], line)

    OOM = ("[ 9.0] kworker/0:1 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=-1, oom_score_adj=0\n"
           "[ 9.0] CPU: 0 UID: 0 PID: 36 Comm: kworker/0:1 Not tainted 7.2.13 #1\n"
           "[ 9.0] Hardware name: QEMU Standard PC (Q35 + ICH9, 2009)\n"
           "[ 9.0] Workqueue: events moom_callback\n"
           "[ 9.0] Call Trace:\n"
           "[ 9.0]  <TASK>\n"
           "[ 9.0]  dump_stack_lvl+0x5d/0x80\n")

    def test_oom_report_stack_is_allowed(self):
        self.assertEqual(self.run_log(self.OOM).failed, [])

    def test_oom_report_does_not_excuse_other_reports(self):
        self.assertEqual(self.run_log(self.OOM + "[ 9.1] WARNING: CPU: 0 PID: 1 at mm/x.c:1\n").failed,
                         ["dmesg"])
        far = self.OOM.replace("[ 9.0] Call Trace:\n", "[ 9.0] x\n" * 9 + "[ 9.0] Call Trace:\n")
        self.assertEqual(self.run_log(far).failed, ["dmesg"])
        self.assertEqual(self.run_log(self.OOM.replace(" invoked oom-killer: gfp_mask=", " x: ")).failed,
                         ["dmesg"])

    def test_missing_log_fails(self):
        v = vmtest.Verdict()
        with contextlib.redirect_stdout(io.StringIO()):
            vmtest.judge_log(Path("/nonexistent/dmesg.txt"), v, "dmesg")
        self.assertEqual(v.failed, ["dmesg"])


class CollectionTimesTest(unittest.TestCase):
    def test_each_collection_until_the_next_and_the_last_until_the_log_ends(self):
        log = ("[    1.000000] boot\n"
               "[  146.400000] kselftest: Running tests in cluster_msg\n"
               "[  200.000000] something\n"
               "[  253.800000] kselftest: Running tests in crashdump\n"
               "not a kernel log line\n"
               "[  385.000000] kobject: 'x' released\n")
        self.assertEqual(vmtest.collection_times(log),
                         [("cluster_msg", 107), ("crashdump", 131)])

    def test_no_markers(self):
        self.assertEqual(vmtest.collection_times("[ 1.0] boot\n"), [])
        self.assertEqual(vmtest.collection_times(""), [])


def typed(line):
    """What QEMU's human monitor echoes while a line is typed: the line so far,
    redrawn after every character, as in the output captured from QEMU 7.2."""
    return b"".join(b"\x1b[D" * (i - 1) + line[:i].encode() + b"\x1b[K"
                    for i in range(1, len(line) + 1))


class MonitorTest(unittest.TestCase):
    """monitor_cmd(): a real QEMU's monitor, and the reply taken out of its echo."""

    def test_reply_taken_out_of_the_echo(self):
        cmd = "mce 0 2 0xbe0000000000009f 0x6 0x4567000 0"
        refusal = "CPU 0: MCE capability is not enabled, raising triple fault"
        out = typed(cmd) + b"\r\n" + refusal.encode() + vmtest.MONITOR_PROMPT
        self.assertEqual(vmtest.monitor_reply(out), refusal)
        self.assertEqual(vmtest.monitor_reply(typed("nmi") + b"\r\n(qemu) "), "")

    def test_real_monitor(self):
        with tempfile.TemporaryDirectory() as tmp:
            sock = Path(tmp) / "mon.sock"
            qemu = subprocess.Popen(
                ["qemu-system-x86_64", "-nodefaults", "-display", "none", "-S",
                 "-monitor", f"unix:{sock},server=on,wait=off"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                for _ in range(100):
                    if sock.exists():
                        break
                    time.sleep(0.05)
                self.assertEqual(vmtest.monitor_cmd(sock, "info status"),
                                 "VM status: paused (prelaunch)")
                self.assertIn("unknown command", vmtest.monitor_cmd(sock, "no-such-command"))
                # A guest's requests: a malformed one fails; one QEMU takes ends
                # `-done` with QEMU's reply in it (here a refusal: the vCPU never ran).
                res = Path(tmp)
                (res / "mce-request").write_text("0 2 bad\n")
                vmtest.hostreq(res, sock)
                self.assertTrue((res / "mce-failed").exists())
                (res / "mce-request").write_text("0 2 0xbe0000000000009f 0x6 0x4567000 0\n")
                vmtest.hostreq(res, sock)
                self.assertFalse((res / "mce-request").exists())
                self.assertRegex((res / "mce-done").read_text(),
                                 r"^mce 0 2 0xbe0000000000009f 0x6 0x4567000 0: .*MCE")
            finally:
                qemu.kill()
                qemu.wait()


class ExpectedTest(unittest.TestCase):
    def test_parse(self):
        e = vmtest.Expected.parse("# c\nkunit a\nkselftest x/y.sh\n"
                                  "skip x/y.sh: t # SKIP no foo | why\n")
        self.assertEqual(e.kunit, ["a"])
        self.assertEqual(e.kselftest, ["x/y.sh"])
        self.assertEqual(e.skips, {"x/y.sh: t # SKIP no foo": "why"})

    def test_skip_allowed_only_for_its_own_reason(self):
        e = vmtest.Expected.parse("skip x/y: t # SKIP no foo | why\n")
        v = vmtest.Verdict(allowed_skips=e.skips)
        with contextlib.redirect_stdout(io.StringIO()):
            v.add("x/y: t", True, True, "SKIP no foo")
            v.add("x/y: t", True, True, "SKIP no bar")
        self.assertEqual(v.skipped, ["x/y: t # SKIP no foo"])
        self.assertEqual(v.failed, ["x/y: t"])

    def test_collections(self):
        self.assertIsNone(vmtest.selected_collections(""))
        self.assertEqual(vmtest.selected_collections("-c harness --collection hwerr"),
                         ["harness", "hwerr"])

    def test_bad_lines_are_errors(self):
        for text in ["skip x/y: t\n", "skip x/y: t # SKIP |  \n", "skip x/y: t | why\n",
                     "skip x/y: t # TODO | why\n", "kselftest y.sh\n", "frob a\n"]:
            with self.assertRaises(ValueError, msg=text):
                vmtest.Expected.parse(text)

    def test_repo_list_parses_and_names_every_selftest(self):
        e = vmtest.Expected.load(vmtest.TOP / "selftests/expected.txt")
        self.assertTrue(e.kunit and e.kselftest and e.skips)
        # Every selftest program a Makefile builds or installs is required.
        for mk in sorted((vmtest.TOP / "selftests").glob("*/Makefile")):
            progs = []
            for line in mk.read_text().splitlines():
                m = re.match(r"(TEST_GEN_PROGS|TEST_PROGS)\s*[:+]?=(.*)", line)
                if m:
                    progs += m[2].split()
            for prog in progs:
                self.assertIn(f"{mk.parent.name}/{prog}", e.kselftest, mk)


# A real `make vmtest` run's results (scripts/testdata/run/), judged end to end.
RECORDED = Path(__file__).resolve().parent / "testdata/run"


class RecordedRunTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.res = Path(self.tmp.name) / "results"
        shutil.copytree(RECORDED, self.res)

    def tearDown(self):
        self.tmp.cleanup()

    def judge(self):
        with contextlib.redirect_stdout(io.StringIO()):
            return vmtest.judge(self.res, "test")

    def edit(self, name, old, new, count=1):
        p = self.res / name
        text = p.read_text()
        self.assertIn(old, text, f"{old!r} not in the recorded {name}")
        p.write_text(text.replace(old, new, count))

    def test_recorded_run_passes(self):
        v = self.judge()
        self.assertEqual(v.failed, [])
        self.assertGreater(len(v.passed), 30)
        self.assertEqual(v.skipped, list(vmtest.Expected.load(
            vmtest.TOP / "selftests/expected.txt").skips))

    def test_missing_kselftest_program_fails(self):
        text = (self.res / "kselftest.ktap").read_text()
        start = text.index("# selftests: hwerr: sources")
        end = text.index("selftests: hwerr: sources", start + 30)
        end = text.index("\n", end) + 1
        (self.res / "kselftest.ktap").write_text(text[:start] + text[end:])
        v = self.judge()
        self.assertIn("kselftest hwerr/sources: ran", v.failed)

    def test_missing_kunit_suite_fails(self):
        self.edit("kunit.log", "# Subtest: hasys_cper", "# Subtest: renamed_suite")
        self.edit("kunit.log", "ok 3 hasys_cper", "ok 3 renamed_suite")
        v = self.judge()
        self.assertIn("kunit hasys_cper: ran", v.failed)

    def test_unexpected_skip_fails(self):
        self.edit("kselftest.ktap", "# ok 1 src.mce_corrected",
                  "# ok 1 src.mce_corrected # SKIP no mce-inject (CONFIG_X86_MCE_INJECT)")
        v = self.judge()
        self.assertIn("hwerr/sources: src.mce_corrected", v.failed)

    def test_program_skipped_as_a_whole_fails(self):
        text = (self.res / "kselftest.ktap").read_text()
        line = re.search(r"^ok \d+ selftests: hwerr: device$", text, re.M).group(0)
        self.edit("kselftest.ktap", line + "\n", line + " # SKIP\n")
        v = self.judge()
        self.assertIn("kselftest hwerr/device: ran", v.failed)

    def test_splat_in_kernel_log_fails(self):
        for line in ["BUG: KASAN: wild-memory-access in do_raw_spin_lock+0xba/0x200",
                     "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
                     "watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [insmod:231]",
                     "Watchdog detected hard LOCKUP on cpu 1",
                     # A KUnit case failing on a later load (load_unload) of the module.
                     "    # slow_consumer: ASSERTION FAILED at hwerr/consumer.rs:441"]:
            with open(self.res / "dmesg.txt", "a") as f:
                f.write(f"[  99.000000] {line}\n")
            v = self.judge()
            self.assertIn("dmesg: no WARN/BUG/KASAN/lockdep report", v.failed, line)
            shutil.copy(RECORDED / "dmesg.txt", self.res / "dmesg.txt")

    def test_no_done_marker_fails(self):
        (self.res / "done").unlink()
        self.assertIn("guest finished", self.judge().failed)

    def test_leak_fails(self):
        (self.res / "kmemleak.txt").write_text(
            "unreferenced object 0xffff888003a1c000 (size 64):\n  comm \"insmod\"\n")
        self.assertIn("kmemleak: no leaks", self.judge().failed)


STAGE = """\
TAP version 13
1..2
ok 1 first
ok 2 second
# Totals: pass:2 fail:0 xfail:0 xpass:0 skip:0 error:0
"""


class CrashRunTest(unittest.TestCase):
    """judge_crash(): both stages of every scenario, each kernel's logs and leaks."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.res = Path(self.tmp.name)
        clean = (RECORDED / "dmesg.txt").read_text()
        for scen in vmtest.CRASH_SCENARIOS:
            d = self.res / scen
            d.mkdir()
            for stage in (1, 2):
                (d / f"stage{stage}.ktap").write_text(STAGE)
                (d / f"dmesg-{stage}.txt").write_text(clean)
                (d / f"dmesg-boot-{stage}.txt").write_text(clean)
                (d / f"kmemleak-{stage}.txt").write_text("")
            (d / "done").write_text("done\n")

    def tearDown(self):
        self.tmp.cleanup()

    def judge(self):
        v = vmtest.Verdict()
        with contextlib.redirect_stdout(io.StringIO()):
            vmtest.judge_crash(self.res, v)
        return v

    def test_complete_run_passes(self):
        v = self.judge()
        self.assertEqual(v.failed, [])
        self.assertGreater(len(v.passed), 10)

    def test_capture_kernel_that_never_ran_fails(self):
        # What the CI run of stop 23 left: stage 1 outlived its crash request, and
        # guest-run.sh wrote `done` after crash.sh returned.
        (self.res / "mce/stage2.ktap").unlink()
        (self.res / "mce/no-crash").write_text("still running 60 s after the crash\n")
        failed = self.judge().failed
        self.assertIn("crash mce: finished", failed)
        self.assertIn("crash mce stage 2: KTAP", failed)

    def test_failed_stage_test_fails(self):
        (self.res / "sysrq/stage2.ktap").write_text(STAGE.replace("ok 2 second", "not ok 2 second"))
        self.assertTrue(any("second" in f for f in self.judge().failed))

    def test_capture_kernel_report_and_leak_fail(self):
        (self.res / "sysrq/dmesg-2.txt").write_text("BUG: KASAN: slab-out-of-bounds in x\n")
        (self.res / "mce/kmemleak-1.txt").write_text("unreferenced object 0xffff (size 8):\n")
        failed = self.judge().failed
        self.assertIn("crash sysrq stage 2: dmesg: no WARN/BUG/KASAN/lockdep report", failed)
        self.assertIn("crash mce stage 1: kmemleak: no leaks", failed)


if __name__ == "__main__":
    unittest.main()
