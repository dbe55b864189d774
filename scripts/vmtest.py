#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot the test kernel under virtme-ng, run hasys's tests in it and judge the results.

vng's exit code is not trusted (it exits 255 on a clean run when it falls back to the
serial console). The guest (scripts/guest-run.sh) writes everything to files in the
results directory; this script parses those: the modules' KUnit KTAP from the kernel
log, the kselftests' KTAP, the kernel log for WARN/BUG/KASAN/lockdep/... reports and
kmemleak's report. It prints one line per test and ends with `N passed, N failed`.
"""

import argparse
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("HASYS_CACHE", Path.home() / ".cache/hasys"))
VNG = os.environ.get("VNG", str(CACHE / "venv/bin/vng"))
# vng runs virtme-run and friends from its own venv.
ENV = dict(os.environ, PATH=f"{Path(VNG).parent}:{os.environ.get('PATH', '')}")

# Kernel log lines that fail a run: a report from the debug options the test kernel
# runs with (KASAN, lockdep, DEBUG_ATOMIC_SLEEP, kmemleak) or any oops/WARN/BUG.
DMESG_BAD = re.compile(
    r"\bWARNING:|\bBUG:|\bOops\b|general protection fault|kernel BUG at|Kernel panic"
    r"|\bKASAN:|\bUBSAN:|possible circular locking|possible recursive locking"
    r"|inconsistent lock state|DEBUG_LOCKS_WARN_ON|turning off the locking correctness"
    r"|INFO: task .* blocked|suspected memory leak|refcount_t:|list_(add|del) corruption"
    r"|panicked at|Call Trace:"
)

RESULT = re.compile(r"^(?P<ok>ok|not ok) (?P<num>\d+)\s*-?\s*(?P<name>[^#]*?)\s*(#\s*(?P<dir>.*))?$")
PLAN = re.compile(r"^1\.\.(?P<n>\d+)")
TIMESTAMP = re.compile(r"^\[\s*\d+\.\d+\]\s?")


@dataclass
class Verdict:
    """What the run produced: one entry per leaf test."""

    passed: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    skipped: list = field(default_factory=list)

    def add(self, name, ok, skip=False, why=""):
        if skip:
            self.skipped.append(name)
            print(f"  skip  {name}")
        elif ok:
            self.passed.append(name)
            print(f"  ok    {name}")
        else:
            self.failed.append(name)
            print(f"  FAIL  {name}{': ' + why if why else ''}")


def ktap_lines(text, nesting):
    """Yield (depth, line) for KTAP text.

    nesting="indent": KUnit style, 4 spaces (or a tab) per level.
    nesting="hash": kselftest style, each level prefixed with "# ".
    """
    for raw in text.splitlines():
        line = TIMESTAMP.sub("", raw.rstrip())
        depth = 0
        if nesting == "indent":
            stripped = line.lstrip(" \t")
            width = len(line) - len(stripped)
            depth, line = width // 4 if " " in line[:width] else width, stripped
        else:
            while line.startswith("# "):
                line, depth = line[2:], depth + 1
        yield depth, line


def judge_ktap(text, nesting, prefix, verdict):
    """Count the leaf results of KTAP `text` into `verdict`.

    A result line at depth d is a parent if results at a deeper level came since the
    previous result at depth d; parents are not counted, but a failing parent whose
    children all passed still counts as a failure (e.g. a crash or timeout after the
    last child). Each level's plan must match its number of results.
    """
    names = {}  # depth -> name of the subtest being run there
    children = {}  # depth -> [results seen at depth + 1 since the last result at depth]
    plans = {}
    counts = {}
    seen = False
    for depth, line in ktap_lines(text, nesting):
        m = PLAN.match(line)
        if m:
            plans[depth], counts[depth] = int(m["n"]), 0
            continue
        if line.startswith("# Subtest:"):
            names[depth] = line.split(":", 1)[1].strip()
            continue
        m = RESULT.match(line)
        if not m:
            continue
        seen = True
        ok = m["ok"] == "ok"
        directive = (m["dir"] or "").strip()
        skip = directive.upper().startswith("SKIP")
        counts[depth] = counts.get(depth, 0) + 1
        kids = children.pop(depth + 1, [])
        for d in [d for d in plans if d > depth]:
            if counts.get(d, 0) != plans[d]:
                verdict.add(f"{prefix}{m['name']}: plan", False,
                            why=f"planned {plans[d]} results, got {counts.get(d, 0)}")
            plans.pop(d)
            counts.pop(d, None)
        children.setdefault(depth, []).append(ok)
        if kids:
            names.pop(depth + 1, None)
            if not ok and all(kids):
                verdict.add(f"{prefix}{m['name']}", False, why=directive or "parent failed")
            continue
        parent = names.get(depth)
        name = f"{prefix}{parent + ': ' if parent and depth else ''}{m['name']}"
        verdict.add(name, ok, skip and ok, directive)
    for d, n in plans.items():
        if counts.get(d, 0) != n:
            verdict.add(f"{prefix}plan at level {d}", False,
                        why=f"planned {n} results, got {counts.get(d, 0)}")
    return seen


def judge_log(path, verdict, name):
    """A kernel log passes if no line matches DMESG_BAD."""
    if not path.exists():
        verdict.add(name, False, why=f"{path.name} missing")
        return
    bad = [l for l in path.read_text(errors="replace").splitlines() if DMESG_BAD.search(l)]
    for line in bad[:20]:
        print(f"        {line}")
    verdict.add(name, not bad, why=f"{len(bad)} report line(s) in {path.name}")


def kunit_section(log):
    """The KUnit KTAP in a kernel log (lines from a "KTAP version" on)."""
    lines = [TIMESTAMP.sub("", l) for l in log.splitlines()]
    starts = [i for i, l in enumerate(lines) if l.strip().startswith("KTAP version")]
    return "\n".join(lines[starts[0]:]) if starts else ""


def judge(res, mode):
    v = Verdict()
    if not (res / "done").exists():
        v.add("guest finished", False, why="no 'done' marker: the guest crashed or timed out "
              f"(see {res / 'vng.log'})")
    if mode == "test":
        print("KUnit (suites run as the modules load):")
        klog = res / "kunit.log"
        text = kunit_section(klog.read_text(errors="replace")) if klog.exists() else ""
        if not judge_ktap(text, "indent", "kunit: ", v):
            v.add("kunit: suites reported", False, why="no KUnit KTAP in the kernel log")
        if (res / "kunit-load.txt").exists():
            v.add("kunit: modules loaded", False, why=(res / "kunit-load.txt").read_text())
        print("kselftests:")
        kst = res / "kselftest.ktap"
        text = kst.read_text(errors="replace") if kst.exists() else ""
        if not judge_ktap(text, "hash", "", v):
            v.add("kselftests reported", False, why="no KTAP from run_kselftest.sh")
        print("kmemleak:")
        leaks = res / "kmemleak.txt"
        if leaks.exists():
            report = leaks.read_text(errors="replace")
            v.add("kmemleak: no leaks", "unreferenced object" not in report, why=report[:2000])
        else:
            v.add("kmemleak: no leaks", False, why="no kmemleak report (kmemleak off or unreadable)")
    print("kernel log:")
    judge_log(res / "dmesg-boot.txt", v, "dmesg: boot clean")
    judge_log(res / "dmesg.txt", v, "dmesg: no WARN/BUG/KASAN/lockdep report")
    return v


def kvm_works(kdir):
    """Whether a KVM guest boots here; cached per machine (nested KVM hangs on some)."""
    forced = os.environ.get("HASYS_KVM")
    if forced in ("0", "1"):
        return forced == "1"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    stamp = CACHE / "kvm-probe"
    if stamp.exists():
        return stamp.read_text().strip() == "yes"
    probe = CACHE / "kvm-probe.d"
    probe.mkdir(parents=True, exist_ok=True)
    marker = probe / "ok"
    marker.unlink(missing_ok=True)
    cmd = [VNG, "--run", str(kdir), "--cpus", "1", "--memory", "512M", "--rwdir", str(probe),
           "--exec", f"touch {marker}"]
    hung = False
    try:
        subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60, start_new_session=True, env=ENV)
    except subprocess.TimeoutExpired:
        hung = True
    ok = marker.exists()
    # Remember a verdict about KVM (booted, or hung), not a failure of vng itself.
    if ok or hung:
        stamp.write_text("yes\n" if ok else "no\n")
    return ok


def boot(kdir, res, mode, timeout, kselftest):
    env = {
        "HASYS_MODDIR": str(TOP),
        "HASYS_KSELFTEST": str(kselftest),
        "HASYS_SELFTEST_FAIL": os.environ.get("HASYS_SELFTEST_FAIL", "0"),
        "HASYS_HACTL": os.environ.get("HASYS_HACTL", ""),
        "HASYS_BENCH": os.environ.get("HASYS_BENCH", ""),
        "HASYS_KSELFTEST_ARGS": os.environ.get("HASYS_KSELFTEST_ARGS", ""),
        # Where a guest test asks the host to act on the VM (hostreq() below).
        "HASYS_HOSTREQ": str(res),
    }
    guest = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    guest += f" {TOP / 'scripts/guest-run.sh'} {res} {mode}"
    kvm = kvm_works(kdir)
    mon_dir = Path(tempfile.mkdtemp(prefix="hasys-mon-"))
    monitor = mon_dir / "monitor.sock"
    cmd = [VNG, "--run", str(kdir), "--verbose", "--cpus", "2", "--memory", "2G",
           "--rwdir", str(res),
           # The QEMU monitor, for host requests (an NMI); a PCIe root port with a
           # device behind it, for aer-inject. pcie_ports=native: the kernel owns AER.
           f"--qemu-opts=-monitor unix:{monitor},server=on,wait=off "
           "-device pcie-root-port,id=hasys_rp,bus=pcie.0,chassis=9,slot=9 "
           "-device e1000e,bus=hasys_rp,romfile=",
           "--append=pcie_ports=native",
           "--exec", guest]
    if not kvm:
        cmd.insert(3, "--disable-kvm")
    print(f"vmtest: booting {kdir} ({'KVM' if kvm else 'TCG'}), log: {res / 'vng.log'}")
    start = time.monotonic()
    with open(res / "vng.log", "w") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True, env=ENV)
        try:
            while proc.poll() is None:
                if time.monotonic() - start > timeout:
                    print(f"vmtest: the VM did not finish within {timeout} s")
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                    break
                hostreq(res, monitor)
                time.sleep(0.2)
        finally:
            shutil.rmtree(mon_dir, ignore_errors=True)
    print(f"vmtest: VM ran {time.monotonic() - start:.0f} s")


def hostreq(res, monitor):
    """Carries out what a guest test asked of the host: `nmi-request` -> QEMU `nmi`.

    The guest creates the request file in the shared results directory; the host
    sends the monitor command and renames the request to `nmi-done`.
    """
    req = res / "nmi-request"
    if not req.exists():
        return
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(str(monitor))
            s.recv(4096)  # the banner and prompt
            s.sendall(b"nmi\n")
            time.sleep(0.2)
            s.recv(4096)
        req.rename(res / "nmi-done")
    except OSError as e:
        print(f"vmtest: could not send an NMI through the QEMU monitor: {e}")
        req.rename(res / "nmi-failed")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kdir", required=True, type=Path, help="kernel build tree to boot")
    ap.add_argument("--out", required=True, type=Path, help="results directory")
    ap.add_argument("--mode", choices=["test", "demo", "bench"], default="test")
    ap.add_argument("--kselftest", type=Path, help="staged kselftests (default: OUT/kselftest)")
    ap.add_argument("--timeout", type=int, default=int(os.environ.get("HASYS_VM_TIMEOUT", 2400)))
    ap.add_argument("--judge-only", action="store_true", help="judge an existing results dir")
    args = ap.parse_args()

    res = (args.out / ("results" if args.mode == "test" else "")).resolve()
    if not args.judge_only:
        if not (args.kdir / "arch/x86/boot/bzImage").exists():
            sys.exit(f"vmtest: no kernel in {args.kdir}: run 'make kernel'")
        res.mkdir(parents=True, exist_ok=True)
        for f in res.iterdir():
            if f.is_file():
                f.unlink()
        kst = (args.kselftest or args.out / "kselftest").resolve()
        if args.mode == "test" and not (kst / "run_kselftest.sh").exists():
            sys.exit(f"vmtest: no staged kselftests in {kst}: run 'make selftests'")
        boot(args.kdir, res, args.mode, args.timeout, kst)
    for mode, out in (("demo", "demo.log"), ("bench", "bench.txt")):
        if args.mode == mode and (res / out).exists():
            print((res / out).read_text(errors="replace"))
    v = judge(res, args.mode)
    if v.skipped:
        print(f"{len(v.skipped)} skipped")
    print(f"{len(v.passed)} passed, {len(v.failed)} failed")
    sys.exit(0 if v.passed and not v.failed else 1)


if __name__ == "__main__":
    main()
