#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests for vmtest.py's judging: the harness must fail what should fail."""

import contextlib
import io
import tempfile
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
        self.assertEqual(v.passed, ["load and unload all modules 50 times"])
        self.assertEqual(v.failed, ["no hasys module left loaded"])
        self.assertEqual(v.skipped, ["deliberate failure not requested"])

    def test_parent_failure_without_child_failure(self):
        text = KSELFTEST.replace("# not ok 2 no hasys", "# ok 2 no hasys")
        text = text.replace("# 1..2\n# ok 1 load", "# 1..3\n# ok 1 load")
        _, v = judge(text, "hash")
        self.assertIn("selftests: lifecycle: load_unload.sh", v.failed)

    def test_timeout_without_output_fails(self):
        _, v = judge("TAP version 13\n1..1\n# selftests: x: y.sh\n"
                     "not ok 1 selftests: x: y.sh # TIMEOUT 45 seconds\n", "hash")
        self.assertEqual(v.failed, ["selftests: x: y.sh"])


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
                     "Call Trace:"]:
            self.assertEqual(self.run_log(f"[ 1.0] {line}\n").failed, ["dmesg"], line)

    def test_missing_log_fails(self):
        v = vmtest.Verdict()
        with contextlib.redirect_stdout(io.StringIO()):
            vmtest.judge_log(Path("/nonexistent/dmesg.txt"), v, "dmesg")
        self.assertEqual(v.failed, ["dmesg"])


if __name__ == "__main__":
    unittest.main()
