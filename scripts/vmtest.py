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
import collections
import contextlib
import fcntl
import io
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
    # RCU stalls ("rcu: INFO: rcu_preempt detected stalls on CPUs/tasks", "self-detected
    # stall"), the soft/hard lockup detectors and the hung-task detector's report.
    r"|INFO: \S+ (self-)?detected (expedited )?stalls?\b|detected (expedited )?stalls?, but suppressed"
    r"|rcu_\w+ kthread starved"
    r"|soft lockup - CPU#|hard LOCKUP|blocked for more than \d+ seconds"
    # A KUnit case that fails when a module is loaded again (load_unload) is judged here:
    # only the first load's KTAP is parsed as results.
    r"|: (ASSERTION|EXPECTATION) FAILED at "
)

# A kselftest program's header in run_kselftest.sh's output: "# selftests: <dir>: <prog>".
KSELFTEST_PROG = re.compile(r"^selftests: (?P<dir>\S+): (?P<prog>\S+)$")
RESULT = re.compile(r"^(?P<ok>ok|not ok) (?P<num>\d+)\s*-?\s*(?P<name>[^#]*?)\s*(#\s*(?P<dir>.*))?$")
PLAN = re.compile(r"^1\.\.(?P<n>\d+)")
TIMESTAMP = re.compile(r"^\[\s*\d+\.\d+\]\s?")
VERSION = re.compile(r"^K?TAP version \d+")


@dataclass
class Expected:
    """selftests/expected.txt: the suites a run must contain and the skips it may have."""

    kunit: list = field(default_factory=list)
    kselftest: list = field(default_factory=list)
    # "<test name> # <its SKIP directive>" -> why the skip is expected. The directive
    # carries the test's own reason, so a test allowed to skip for one reason still
    # fails when it skips for another (no mce-inject, no aer-inject...).
    skips: dict = field(default_factory=dict)

    @classmethod
    def parse(cls, text, origin="expected.txt"):
        e = cls()
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            kind, _, rest = line.partition(" ")
            rest = rest.strip()
            if kind == "kunit" and rest:
                e.kunit.append(rest)
            elif kind == "kselftest" and re.fullmatch(r"[^/\s]+/\S+", rest):
                e.kselftest.append(rest)
            elif kind == "skip" and "|" in rest and " # " in rest:
                test, _, why = (x.strip() for x in rest.rpartition("|"))
                name, _, directive = (x.strip() for x in test.rpartition(" # "))
                if not name or not directive.upper().startswith("SKIP") or not why:
                    raise ValueError(f"{origin}:{n}: a skip needs '<test> # SKIP [reason] | <why>'")
                e.skips[f"{name} # {directive}"] = why
            else:
                raise ValueError(f"{origin}:{n}: cannot parse {raw!r}")
        return e

    @classmethod
    def load(cls, path):
        return cls.parse(Path(path).read_text(), str(path))


@dataclass
class Verdict:
    """What the run produced: one entry per leaf test.

    A skip counts as a skip only if `allowed_skips` names it (with its reason);
    any other skip is a failure.
    """

    passed: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    allowed_skips: dict = field(default_factory=dict)
    why: dict = field(default_factory=dict)

    def add(self, name, ok, skip=False, why=""):
        key = f"{name} # {why}"
        if skip and key not in self.allowed_skips:
            self.failed.append(name)
            self.why[name] = f"unexpected skip ({why})"
            print(f"  FAIL  {name}: unexpected skip ({why}); "
                  "not allowed by selftests/expected.txt")
        elif skip:
            self.skipped.append(key)
            print(f"  skip  {name} (expected: {self.allowed_skips[key]})")
        elif ok:
            self.passed.append(name)
            print(f"  ok    {name}")
        else:
            self.failed.append(name)
            self.why[name] = why
            print(f"  FAIL  {name}{': ' + why if why else ''}")

    def summary(self, most=20, width=400):
        """The failures again, each with its reason, for the end of the output: a
        CI log keeps its head and tail, and the middle may be cut."""
        if not self.failed:
            return
        print("failures:")
        for name in self.failed[:most]:
            why = " ".join(self.why.get(name, "").split())
            print(f"  FAIL  {name}{': ' + why[:width] if why else ''}")
        if len(self.failed) > most:
            print(f"  ... and {len(self.failed) - most} more")


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


def top_name(name):
    """A top-level result's name: "selftests: hwerr: device" -> "hwerr/device"."""
    m = KSELFTEST_PROG.match(name)
    return f"{m['dir']}/{m['prog']}" if m else name


def judge_ktap(text, nesting, prefix, verdict, top=None):
    """Count the leaf results of KTAP `text` into `verdict`.

    A result line at depth d is a parent if results at a deeper level came since the
    previous result at depth d; parents are not counted, but a failing parent whose
    children all passed still counts as a failure (e.g. a crash or timeout after the
    last child). Each level's plan must match its number of results. A kselftest leaf
    is named "<dir>/<program>: <test>". If `top` is a dict, every top-level result (a
    KUnit suite, a kselftest program) goes into it as name -> "ok" | "fail" | "skip".
    """
    names = {}  # depth -> name of the subtest being run there
    children = {}  # depth -> [results seen at depth + 1 since the last result at depth]
    plans = {}
    counts = {}
    seen = False
    notes = collections.deque(maxlen=3)  # the test's last messages before its result
    for depth, line in ktap_lines(text, nesting):
        m = PLAN.match(line)
        if m:
            plans[depth], counts[depth] = int(m["n"]), 0
            continue
        if line.startswith("# Subtest:"):
            names[depth] = line.split(":", 1)[1].strip()
            continue
        m = KSELFTEST_PROG.match(line)
        if m and nesting == "hash" and depth == 1:
            names[1] = f"{m['dir']}/{m['prog']}"
            continue
        m = RESULT.match(line)
        if not m:
            if line.strip() and not VERSION.match(line):
                notes.append(line.strip())
            continue
        seen = True
        ok = m["ok"] == "ok"
        directive = (m["dir"] or "").strip()
        said = " | ".join(notes)
        notes.clear()
        skip = directive.upper().startswith("SKIP")
        if directive.upper().startswith("XPASS"):
            ok = False  # kselftest: an expected failure that passed is a failure
        rname = top_name(m["name"]) if depth == 0 else m["name"]
        if depth == 0 and top is not None:
            top[rname] = "skip" if skip and ok else "ok" if ok else "fail"
        counts[depth] = counts.get(depth, 0) + 1
        kids = children.pop(depth + 1, [])
        for d in [d for d in plans if d > depth]:
            if counts.get(d, 0) != plans[d]:
                verdict.add(f"{prefix}{rname}: plan", False,
                            why=f"planned {plans[d]} results, got {counts.get(d, 0)}")
            plans.pop(d)
            counts.pop(d, None)
        children.setdefault(depth, []).append(ok)
        if kids:
            names.pop(depth + 1, None)
            if not ok and all(kids):
                verdict.add(f"{prefix}{rname}", False, why=directive or "parent failed")
            continue
        parent = names.get(depth)
        name = f"{prefix}{parent + ': ' if parent and depth else ''}{rname}"
        verdict.add(name, ok, skip and ok, directive or ("" if ok else said))
    for d, n in plans.items():
        if counts.get(d, 0) != n:
            verdict.add(f"{prefix}plan at level {d}", False,
                        why=f"planned {n} results, got {counts.get(d, 0)}")
    return seen


# The OOM killer's report prints the stack of the task that ran it ("Call Trace:") a
# few lines after its header. hadetect's overload test runs a global OOM on purpose
# (sysrq f), so that one line is allowed right after an OOM header; anything else in
# the report (a WARNING, a BUG, a Call Trace further down) still fails the log.
OOM_HEADER = re.compile(r" invoked oom-killer: gfp_mask=")
OOM_STACK_WITHIN = 8


def bad_lines(lines):
    """The lines of a kernel log that match DMESG_BAD, but an OOM report's own stack."""
    bad, since_oom = [], None
    for line in lines:
        if OOM_HEADER.search(line):
            since_oom = 0
        elif since_oom is not None:
            since_oom += 1
        if not DMESG_BAD.search(line):
            continue
        if (since_oom is not None and since_oom <= OOM_STACK_WITHIN
                and TIMESTAMP.sub("", line).strip() == "Call Trace:"):
            continue
        bad.append(line)
    return bad


def judge_log(path, verdict, name):
    """A kernel log passes if no line matches DMESG_BAD (see bad_lines())."""
    if not path.exists():
        verdict.add(name, False, why=f"{path.name} missing")
        return
    bad = bad_lines(path.read_text(errors="replace").splitlines())
    for line in bad[:20]:
        print(f"        {line}")
    verdict.add(name, not bad, why=f"{len(bad)} report line(s) in {path.name}")


def kunit_section(log):
    """The KUnit KTAP in a kernel log (lines from a "KTAP version" on)."""
    lines = [TIMESTAMP.sub("", l) for l in log.splitlines()]
    starts = [i for i, l in enumerate(lines) if l.strip().startswith("KTAP version")]
    return "\n".join(lines[starts[0]:]) if starts else ""


def judge_required(kind, required, top, verdict):
    """Every required suite must have run: a result, and not a skip of the whole suite."""
    for name in required:
        state = top.get(name)
        if state is None:
            verdict.add(f"{kind} {name}: ran", False,
                        why="no result in this run (required by selftests/expected.txt)")
        elif state == "skip":
            verdict.add(f"{kind} {name}: ran", False,
                        why="skipped as a whole (required by selftests/expected.txt)")


def selected_collections(args):
    """The kselftest collections run_kselftest.sh options select (-c/--collection), or
    None for all of them."""
    words = shlex.split(args or "")
    picked = [words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-c", "--collection")]
    return picked or None


KMSG_TIME = re.compile(r"^\[\s*(\d+\.\d+)\]\s?(.*)$")
COLLECTION_START = re.compile(r"kselftest: Running tests in (\S+)")


def collection_times(dmesg):
    """How long each kselftest collection ran, in the guest's seconds, from the kernel
    log's `kselftest: Running tests in <c>` lines (run_kselftest.sh writes one per
    collection): [(collection, seconds)]. The last collection ends at the log's last
    line. Information for whoever cuts the run's time; not a verdict."""
    starts, last = [], None
    for line in dmesg.splitlines():
        m = KMSG_TIME.match(line)
        if not m:
            continue
        last = float(m.group(1))
        c = COLLECTION_START.search(m.group(2))
        if c:
            starts.append((c.group(1), last))
    ends = [t for _, t in starts[1:]] + [last]
    return [(name, round(end - t)) for (name, t), end in zip(starts, ends)]


def judge(res, mode, expected=None, collections=None):
    """Judge the results directory `res`.

    `expected` defaults to selftests/expected.txt; with `collections` (a run limited
    by HASYS_KSELFTEST_ARGS="-c ..."), only those collections' programs are required.
    """
    if expected is None:
        expected = Expected.load(TOP / "selftests/expected.txt")
    if collections is not None:
        expected.kselftest = [k for k in expected.kselftest if k.split("/")[0] in collections]
    v = Verdict(allowed_skips=expected.skips)
    if not (res / "done").exists():
        v.add("guest finished", False, why="no 'done' marker: the guest crashed or timed out "
              f"(see {res / 'vng.log'})")
    if mode == "test":
        print("KUnit (suites run as the modules load):")
        klog = res / "kunit.log"
        text = kunit_section(klog.read_text(errors="replace")) if klog.exists() else ""
        suites = {}
        if not judge_ktap(text, "indent", "kunit: ", v, suites):
            v.add("kunit: suites reported", False, why="no KUnit KTAP in the kernel log")
        judge_required("kunit", expected.kunit, suites, v)
        if (res / "kunit-load.txt").exists():
            v.add("kunit: modules loaded", False, why=(res / "kunit-load.txt").read_text())
        print("kselftests:")
        kst = res / "kselftest.ktap"
        text = kst.read_text(errors="replace") if kst.exists() else ""
        dmesg = res / "dmesg.txt"
        times = collection_times(dmesg.read_text(errors="replace")) if dmesg.exists() else []
        if times:
            print("  time per collection (guest s): "
                  + ", ".join(f"{name} {secs}" for name, secs in times))
        progs = {}
        if not judge_ktap(text, "hash", "", v, progs):
            v.add("kselftests reported", False, why="no KTAP from run_kselftest.sh")
        judge_required("kselftest", expected.kselftest, progs, v)
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


# One VM at a time on a machine (2 cores): every VM run, from any clone or chroot, takes
# this lock first (scripts/check-fresh.sh bind-mounts it into its chroot).
VM_LOCK = Path(tempfile.gettempdir()) / "hasys-vm.lock"


def open_lock(path):
    """A descriptor on the shared lock file: opened read-only (flock needs no more), so
    another user's file works too; created 0666 if missing."""
    while True:
        try:
            return os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            pass
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0o666)
            os.fchmod(fd, 0o666)
            return fd
        except FileExistsError:
            continue


@contextlib.contextmanager
def vm_lock():
    fd = open_lock(VM_LOCK)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"vmtest: waiting for {VM_LOCK} (another VM is running)", flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def guest_cpu(kvm):
    """QEMU's -cpu for the guest: without LA57 (5-level paging).

    In 7.2, identify_cpu() clears boot_cpu_data's capability words and refills them
    with interrupts enabled; pgtable_l5_enabled() reads the LA57 bit there until
    alternatives are patched, so an interrupt in that window sees 4-level
    KASAN_SHADOW_START and KASAN reports every 5-level direct-map address as a
    wild-memory-access (about 1 boot in 8 under TCG's `-cpu max`). A guest without LA57
    never sees the bit change. See Documentation/hasys/testing.rst.
    """
    forced = os.environ.get("HASYS_GUEST_CPU")  # e.g. "max" to boot with LA57 again
    if forced:
        return forced
    return "host,la57=off" if kvm else "max,la57=off"


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
    cmd = [VNG, "--run", str(kdir), "--skip-modules", "--cpus", "1", "--memory", "512M",
           "--rwdir", str(probe),
           f"--qemu-opts=-cpu {guest_cpu(True)}", "--exec", f"touch {marker}"]
    hung = False
    log = probe / "vng.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, env=ENV)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        hung = True
    finally:
        # The whole group: killing vng alone leaves a hung QEMU spinning on a CPU.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    ok = marker.exists()
    # Remember a verdict about KVM (booted, hung, or QEMU itself refused: on this
    # project's machines `-cpu host` dies at once on "failed to set MSR 0x10a"), not a
    # failure of vng itself; an unremembered "no" costs every boot a probe.
    refused = re.search(r"^qemu-system-\S+: ", log.read_text(errors="replace"), re.M)
    if ok or hung or refused:
        stamp.write_text("yes\n" if ok else "no\n")
    return ok


# The guest's root (the host's /, over 9p): vng mounts it with no cache, so every exec,
# page-in and stat is a round trip to QEMU, which costs most of a TCG guest's time in
# shell-driven tests. The host does not change that tree while a VM runs (results go
# to the --rwdir mount, which keeps its own uncached flags), so the guest may cache
# it: cache=loose halved a 50-exec and 300-file-read loop (26 s to 14 s and 45 s to
# 24 s, see testing.rst). The kernel keeps the last rootflags= it is given, and
# kexec'd kernels reuse the command line, so this is appended after vng's own.
ROOT_CACHE = "rootflags=version=9p2000.L,trans=virtio,access=any,msize=524288,cache=loose"


def boot(kdir, res, mode, timeout, kselftest, moddir=TOP, append="", extra_env=None, cpus=2,
         memory="2G", qemu="", serve=None, period=0.2):
    """One VM (`cpus` vCPUs, `memory`) running guest-run.sh in `mode`; `append` is added
    to the kernel command line, `extra_env` to the guest's environment, `qemu` to
    QEMU's options. Serves the guest's host requests (`serve(res, monitor)`, by
    default hostreq(), every `period` s) until it exits or `timeout` passed."""
    env = {
        "HASYS_MODDIR": str(moddir),
        "HASYS_KSELFTEST": str(kselftest),
        "HASYS_SELFTEST_FAIL": os.environ.get("HASYS_SELFTEST_FAIL", "0"),
        "HASYS_HACTL": os.environ.get("HASYS_HACTL", ""),
        "HASYS_BENCH": os.environ.get("HASYS_BENCH", ""),
        "HASYS_HADETECT_BENCH": os.environ.get("HASYS_HADETECT_BENCH", ""),
        "HASYS_KSELFTEST_ARGS": os.environ.get("HASYS_KSELFTEST_ARGS", ""),
        # Where a guest test asks the host to act on the VM (hostreq() below).
        "HASYS_HOSTREQ": str(res),
        **(extra_env or {}),
    }
    guest = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    guest += f" {TOP / 'scripts/guest-run.sh'} {res} {mode}"
    kvm = kvm_works(kdir)
    mon_dir = Path(tempfile.mkdtemp(prefix="hasys-mon-"))
    monitor = mon_dir / "monitor.sock"
    # --skip-modules (virtme-run --mods none): hasys loads its modules from the tree
    # with insmod; vng's default (--mods auto) would write .virtme_mods into the kernel
    # build tree, which must stay read-only (make check-fresh mounts it so).
    cmd = [VNG, "--run", str(kdir), "--skip-modules", "--verbose", "--cpus", str(cpus),
           "--memory", memory,
           "--rwdir", str(res),
           # The QEMU monitor, for host requests (an NMI); a PCIe root port with a
           # device behind it, for aer-inject. pcie_ports=native: the kernel owns AER.
           f"--qemu-opts=-cpu {guest_cpu(kvm)} -monitor unix:{monitor},server=on,wait=off "
           "-device pcie-root-port,id=hasys_rp,bus=pcie.0,chassis=9,slot=9 "
           f"-device e1000e,bus=hasys_rp,romfile= {qemu}".rstrip(),
           # log_buf_len: the kernel log is saved after the tests; DEBUG_KOBJECT_RELEASE
           # alone logs every kobject release, and a report must not scroll out first.
           f"--append={ROOT_CACHE} pcie_ports=native log_buf_len=16M {append}".rstrip(),
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
                (serve or hostreq)(res, monitor)
                time.sleep(period)
        finally:
            # Interrupted (SIGTERM, Ctrl-C, an exception): no VM may outlive the lock.
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            shutil.rmtree(mon_dir, ignore_errors=True)
    print(f"vmtest: VM ran {time.monotonic() - start:.0f} s")


# The two-node run (cluster_msg): node -> (MAC, local UDP port, the other's port). The
# NICs are joined by QEMU datagram sockets on 127.0.0.1 and nothing else.
CLUSTER_NODES = {"A": ("52:54:00:4b:00:01", 47101, 47102),
                 "B": ("52:54:00:4b:00:02", 47102, 47101)}


def died_booting(res, node):
    """The first report line if `node`'s kernel died before its userspace started
    (no cpu-flags.txt, which guest-run.sh writes first), else None."""
    if (res / node / "cpu-flags.txt").exists():
        return None
    log = res / f"vng-{node}.log"
    text = log.read_text(errors="replace") if log.exists() else ""
    bad = bad_lines(text.splitlines())
    return bad[0] if bad else None


def boot_cluster(kdir, res, timeout, kselftest, moddir=TOP, mode="cluster"):
    """The two-node run, booted again once if a node's kernel died during boot.

    The relocatable (KASLR) test kernel sometimes dies in early boot under TCG,
    before any hasys code runs (an interrupt during I/O APIC setup; see
    research/vm_recipes.md, section 5). That says nothing about cluster_msg, and with
    two guests per run it would fail one CI run in a few; so such a pair is booted
    again, once, and the first attempt's console logs are kept as vng-*.boot1.log.
    A death after userspace started is never retried.
    """
    boot_pair(kdir, res, timeout, kselftest, moddir, mode)
    died = {n: died_booting(res, n) for n in CLUSTER_NODES}
    died = {n: line for n, line in died.items() if line}
    if not died:
        return
    for node, line in died.items():
        print(f"vmtest: node {node}'s kernel died during boot, before userspace: {line}")
    keep = Path(tempfile.mkdtemp(prefix="hasys-boot1-"))
    for node in CLUSTER_NODES:
        with contextlib.suppress(FileNotFoundError):
            shutil.copy(res / f"vng-{node}.log", keep / f"vng-{node}.boot1.log")
    print("vmtest: booting the pair again (once)")
    boot_pair(kdir, res, timeout, kselftest, moddir, mode)
    for f in keep.iterdir():
        shutil.move(str(f), res / f.name)
    keep.rmdir()


# The benchmark pair's node A panics armed for kdump (bench.sh, P6): the bench
# kernel's capture kernel (no KASAN or kmemleak) boots and saves the dump in 256M.
BENCH_CRASH_APPEND = "crashkernel=256M"


def pair_nic(node):
    """QEMU options of `node`'s NIC in the pair topology (CLUSTER_NODES)."""
    mac, lport, rport = CLUSTER_NODES[node]
    return (f"-device virtio-net-pci,netdev=hn0,mac={mac} "
            "-netdev dgram,id=hn0,local.type=inet,local.host=127.0.0.1,"
            f"local.port={lport},remote.type=inet,remote.host=127.0.0.1,"
            f"remote.port={rport}")


def spawn_node(kdir, res, node, mode, env, append, kvm, monitor):
    """Starts `node` of the pair topology (1 vCPU, 1 GiB) running guest-run.sh in
    `mode` with `env`; its console goes to res/vng-<node>.log. Returns the process
    and the open log."""
    guest = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    guest += f" {TOP / 'scripts/guest-run.sh'} {res} {mode}"
    qemu = (f"-cpu {guest_cpu(kvm)} -monitor unix:{monitor},server=on,wait=off "
            f"{pair_nic(node)}")
    cmd = [VNG, "--run", str(kdir), "--skip-modules", "--verbose", "--cpus", "1",
           "--memory", "1G", "--rwdir", str(res), f"--qemu-opts={qemu}",
           f"--append={ROOT_CACHE} {append}", "--exec", guest]
    if not kvm:
        cmd.insert(3, "--disable-kvm")
    log = open(res / f"vng-{node}.log", "w")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True, env=ENV)
    return proc, log


def stop_vm(proc):
    """Kills a VM's process group, if it still runs, and reaps it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def boot_pair(kdir, res, timeout, kselftest, moddir, mode):
    """Boots nodes A and B together (1 vCPU, 1 GiB each: two TCG guests on two host
    cores), each running guest-run.sh in `mode` (cluster: the tests), and serves their
    host requests (QEMU monitor stop/cont) until both have exited or `timeout`
    passed. In cluster-bench, A has a crashkernel= reservation and the bzImage to arm
    (HASYS_KIMAGE), and both nodes the fence-agents binaries (HASYS_FENCE_AGENTS)."""
    shutil.rmtree(res, ignore_errors=True)
    for d in ("sync", "A", "B"):
        (res / d).mkdir(parents=True)
    kvm = kvm_works(kdir)
    mon_dir = Path(tempfile.mkdtemp(prefix="hasys-mon-"))
    procs, monitors, logs = {}, {}, []
    start = time.monotonic()
    try:
        for node, (mac, lport, rport) in CLUSTER_NODES.items():
            env = {
                "HASYS_MODDIR": str(moddir),
                "HASYS_KSELFTEST": str(kselftest),
                "HASYS_HACTL": os.environ.get("HASYS_HACTL", ""),
                "HASYS_NODE": node,
            }
            # panic=5: A's test panic waits 5 s before the reboot that ends its QEMU
            # (vng's panic=-1 and -no-reboot), so that QEMU has sent the gasp frames
            # netpoll queued on the virtio NIC (virtio-net transmits from a bottom
            # half) before the reset. (The gasps B once missed were not lost on the
            # way: B refused them for clock skew, A's clock being behind by the
            # host's stop; node.sh now steps A's clock back after it.)
            append = "log_buf_len=16M panic=5" if mode == "cluster" else "log_buf_len=16M"
            if mode == "cluster-bench":
                env["HASYS_KIMAGE"] = str(kdir / "arch/x86/boot/bzImage")
                env["HASYS_FENCE_AGENTS"] = os.environ.get("HASYS_FENCE_AGENTS", "")
                if node == "A":
                    append += f" {BENCH_CRASH_APPEND}"
            monitors[node] = mon_dir / f"{node}.sock"
            procs[node], log = spawn_node(kdir, res, node, mode, env, append, kvm,
                                          monitors[node])
            logs.append(log)
        print(f"vmtest: booted cluster nodes A and B ({'KVM' if kvm else 'TCG'}), "
              f"logs: {res}/vng-[AB].log")
        while any(p.poll() is None for p in procs.values()):
            if time.monotonic() - start > timeout:
                print(f"vmtest: the cluster VMs did not finish within {timeout} s")
                break
            cluster_hostreq(res / "sync", monitors)
            time.sleep(0.02)
    finally:
        for p in procs.values():
            stop_vm(p)
        for log in logs:
            log.close()
        shutil.rmtree(mon_dir, ignore_errors=True)
    print(f"vmtest: cluster VMs ran {time.monotonic() - start:.0f} s")


MONITOR_PROMPT = b"(qemu) "


def monitor_reply(out):
    """What the human monitor printed for one command, from all it sent back after
    the command: the echo of the typed line (redrawn with escape sequences after
    every character) up to its CRLF, then the reply, then the next prompt."""
    out = out.rsplit(MONITOR_PROMPT, 1)[0]
    reply = out.split(b"\r\n", 1)[1] if b"\r\n" in out else b""
    return re.sub(rb"\x1b\[[0-9;]*[A-Za-z]", b"", reply).decode(errors="replace").strip()


def monitor_cmd(sock, cmd, timeout=10):
    """Runs `cmd` on the QEMU human monitor at `sock` and returns its reply ("" for
    most commands). Waits for the prompt that follows the command, so QEMU has run it
    before the connection closes; OSError (socket.timeout among them) if it did not
    within `timeout` s."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(sock))
        for send in (None, cmd.encode() + b"\n"):
            if send:
                s.sendall(send)
            out = b""
            while not out.endswith(MONITOR_PROMPT):
                chunk = s.recv(65536)
                if not chunk:
                    raise OSError(f"the monitor closed the connection after {out[-200:]!r}")
                out += chunk
    return monitor_reply(out)


def cluster_hostreq(sync, monitors):
    """`req-<stop|cont>-<node>` from a guest: that QEMU monitor command on that node's
    VM, then `done-<cmd>-<node>` (`failed-...` if the monitor refused)."""
    for req in sync.glob("req-*"):
        _, cmd, node = req.name.split("-", 2)
        if cmd not in ("stop", "cont") or node not in monitors:
            req.rename(sync / f"failed-{req.name[4:]}")
            continue
        try:
            monitor_cmd(monitors[node], cmd)
            req.rename(sync / f"done-{cmd}-{node}")
        except OSError as e:
            print(f"vmtest: could not {cmd} node {node} through its QEMU monitor: {e}")
            req.rename(sync / f"failed-{cmd}-{node}")


def judge_cluster(res, v):
    """Each node's KTAP, kmemleak report and kernel logs (A writes its own before it
    panics on purpose: its console after that is not judged)."""
    print("cluster (two VMs):")
    for node in CLUSTER_NODES:
        judge_node(res, node, "cluster", v, tests=True)


def judge_node(res, node, run, v, tests, subdir=None, ktap="cluster.ktap"):
    """One node of a pair run, its files in res/<subdir or node>: its 'done' marker and
    kernel logs; with `tests`, also its KTAP (`ktap`) and kmemleak report (the test
    kernel has kmemleak, the bench kernel does not)."""
    d = res / (subdir or node)
    name = f"{run} {node}"
    if not (d / "done").exists():
        v.add(f"{name}: finished", False, why=f"no 'done' marker (see {res / f'vng-{node}.log'})")
    if tests:
        ktap = d / ktap
        text = ktap.read_text(errors="replace") if ktap.exists() else ""
        if not judge_ktap(text, "hash", f"{name}: ", v):
            v.add(f"{name}: KTAP", False, why=f"no KTAP in {ktap}")
        leaks = d / "kmemleak.txt"
        if leaks.exists():
            report = leaks.read_text(errors="replace")
            v.add(f"{name}: kmemleak: no leaks", "unreferenced object" not in report,
                  why=report[:2000])
        else:
            v.add(f"{name}: kmemleak: no leaks", False, why="no kmemleak report")
    judge_log(d / "dmesg-boot.txt", v, f"{name}: dmesg: boot clean")
    judge_log(d / "dmesg.txt", v, f"{name}: dmesg: no WARN/BUG/KASAN/lockdep report")


def hostreq(res, monitor):
    """Carries out what a guest test asked of the host, through the QEMU monitor:
    `nmi-request` -> `nmi`; `mce-request` holding "cpu bank status mcg_status addr
    misc" (numbers) -> `mce` with those, a real machine check. The guest creates the
    request file in the shared results directory, a request with content by renaming
    it into place (over 9p a file is created before it is written); the host renames
    it to `<name>-done` and writes QEMU's reply in it (`<name>-failed` if the monitor
    could not be reached or the request is malformed).
    """
    for name in ("nmi", "mce"):
        req = res / f"{name}-request"
        if not req.exists():
            continue
        cmd = "nmi"
        if name == "mce":
            args = req.read_text().split()
            if len(args) != 6 or not all(re.fullmatch(r"(0x[0-9a-fA-F]+|[0-9]+)", a)
                                         for a in args):
                print(f"vmtest: malformed mce request: {args}")
                req.rename(res / "mce-failed")
                continue
            cmd = "mce " + " ".join(args)
        try:
            reply = monitor_cmd(monitor, cmd)
        except OSError as e:
            print(f"vmtest: could not send '{cmd}' through the QEMU monitor: {e}")
            req.rename(res / f"{name}-failed")
            continue
        if reply:
            print(f"vmtest: QEMU's monitor answered '{cmd}': {reply}")
        # QEMU's own refusals ("MCE capability is not enabled...") reach the guest,
        # which cites the file when the request had no effect: written into the
        # request, then renamed, so the guest never sees `-done` empty.
        with contextlib.suppress(OSError):
            req.write_text(f"{cmd}: {reply or 'no reply'}\n")
        req.rename(res / f"{name}-done")


# The crash scenarios (crashdump): each is one VM booted with a crashkernel=
# reservation, its normal kernel and then its capture kernel running
# selftests/crashdump/crash.sh; scenario -> vCPUs. The machine check has one vCPU:
# with two, QEMU's broadcast makes either CPU the monarch that panics, and the
# panicking CPU's banks are the ones the crash record holds.
CRASH_SCENARIOS = {"sysrq": 2, "mce": 1}
# 1 GiB guests: boots, the capture kernel's scan of the old memory and the dump
# take about half as long as in 2 GiB. 384M: the capture kernel (KASAN, kmemleak,
# the reused log_buf_len=16M) had 41 MB free of 256M at boot and died of OOM before
# userspace.
CRASH_MEMORY = "1G"
CRASH_APPEND = "crashkernel=384M"


def boot_crash(kdir, res, timeout, kselftest, moddir):
    """Every crash scenario in its own VM, results in res/<scenario>/."""
    for scen, cpus in CRASH_SCENARIOS.items():
        d = res / scen
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        boot(kdir, d, "crash", timeout, kselftest, moddir, append=CRASH_APPEND, cpus=cpus,
             memory=CRASH_MEMORY, extra_env={"HASYS_CRASH": scen,
                        "HASYS_KIMAGE": str(kdir / "arch/x86/boot/bzImage")})


def judge_stages(d, name, stages, no_done, last, v):
    """One VM whose kernels each ran a stage of a script (a crash and its capture
    kernel, handoffs): the `done` marker the last kernel writes (else the reason a
    stage left in `no_done`), and per stage its KTAP, kmemleak report, boot log and
    kernel log (saved before the crash or kexec that ended it)."""
    # guest-run.sh writes `done` after any script that returns, so a stage that never
    # ended in its crash or kexec leaves both markers: `no_done` decides.
    if (d / no_done).exists():
        v.add(f"{name}: finished", False, why=(d / no_done).read_text())
    elif not (d / "done").exists():
        v.add(f"{name}: finished", False,
              why=f"no 'done' marker from the {last} (see {d / 'vng.log'})")
    for stage in stages:
        ktap = d / f"stage{stage}.ktap"
        text = ktap.read_text(errors="replace") if ktap.exists() else ""
        if not judge_ktap(text, "hash", f"{name} stage {stage}: ", v):
            v.add(f"{name} stage {stage}: KTAP", False, why=f"no KTAP in {ktap}")
        leaks = d / f"kmemleak-{stage}.txt"
        if leaks.exists():
            report = leaks.read_text(errors="replace")
            v.add(f"{name} stage {stage}: kmemleak: no leaks",
                  "unreferenced object" not in report, why=report[:2000])
        judge_log(d / f"dmesg-boot-{stage}.txt", v, f"{name} stage {stage}: dmesg: boot clean")
        judge_log(d / f"dmesg-{stage}.txt", v,
                  f"{name} stage {stage}: dmesg: no WARN/BUG/KASAN/lockdep report")


def judge_crash(res, v):
    """Each scenario's two stages: the normal kernel's, up to its crash, and the
    capture kernel's."""
    print("crashdump (a crash and its capture kernel):")
    for scen in CRASH_SCENARIOS:
        judge_stages(res / scen, f"crash {scen}", (1, 2), "no-crash", "capture kernel", v)


# The handoff VM (kexec_handoff): booted with KHO on, its first kernel and then the
# kernel its handoff started running selftests/kexec_handoff/handoff.sh. KHO's scratch
# must be given in the 2 GiB KASAN guest: the default (twice the kernel's early
# reservations) does not fit and turns KHO off (research: vm_recipes.md, section 2).
HANDOFF_APPEND = "kho=on kho_scratch=32M,512M,64M"


# After the handoff VM (node A) has finished, how long its peer may take to finish.
PEER_GRACE_S = 300


def boot_handoff(kdir, res, timeout, kselftest, moddir):
    """The handoff scenario, results in res/: the handoff VM is node A of the pair
    topology (its NIC beside the single VM's devices), and node B, booted first,
    watches it through cluster_msg (guest-run.sh handoff-peer, results in res/peer/).
    B is given PEER_GRACE_S once A is done, then stopped."""
    shutil.rmtree(res, ignore_errors=True)
    for d in ("sync", "peer"):
        (res / d).mkdir(parents=True)
    env = {"HASYS_MODDIR": str(moddir), "HASYS_KSELFTEST": str(kselftest),
           "HASYS_HACTL": os.environ.get("HASYS_HACTL", ""), "HASYS_NODE": "B"}
    mon_dir = Path(tempfile.mkdtemp(prefix="hasys-mon-"))
    peer, log = spawn_node(kdir, res, "B", "handoff-peer", env, "log_buf_len=16M",
                           kvm_works(kdir), mon_dir / "B.sock")
    try:
        boot(kdir, res, "handoff", timeout, kselftest, moddir, append=HANDOFF_APPEND,
             extra_env={"HASYS_KIMAGE": str(kdir / "arch/x86/boot/bzImage"),
                        "HASYS_NODE": "A"},
             qemu=pair_nic("A"))
        with contextlib.suppress(subprocess.TimeoutExpired):
            peer.wait(PEER_GRACE_S)
        if peer.poll() is None:
            print(f"vmtest: the handoff's peer did not finish within {PEER_GRACE_S} s of A")
    finally:
        stop_vm(peer)
        log.close()
        shutil.rmtree(mon_dir, ignore_errors=True)


def judge_handoff(res, v):
    """The three stages: the first kernel's and the second's, each up to its kexec,
    and the third's; and the peer's view of them."""
    print("kexec_handoff (two handoffs and the kernels they started, a peer watching):")
    judge_stages(res, "handoff", (1, 2, 3), "no-kexec", "third kernel", v)
    judge_node(res, "B", "handoff peer", v, tests=True, subdir="peer", ktap="peer.ktap")


def boot_loop(args):
    """--mode boot --boots N: N boots that only capture the kernel log; count bad ones."""
    bad = []
    for i in range(1, args.boots + 1):
        res = (args.out / f"boot-{i:03d}").resolve()
        shutil.rmtree(res, ignore_errors=True)
        res.mkdir(parents=True)
        with vm_lock():
            boot(args.kdir, res, "boot", args.timeout, res)
        flags = res / "cpu-flags.txt"
        if i == 1 and flags.exists():
            print(f"guest CPU: LA57 (5-level paging) "
                  f"{'on' if ' la57' in flags.read_text() else 'off'}")
        with contextlib.redirect_stdout(io.StringIO()) as out:
            v = judge(res, "boot")
        if v.failed or not v.passed:
            bad.append(i)
            print(out.getvalue(), end="")
        print(f"boot {i}/{args.boots}: {'REPORT' if i in bad else 'clean'} "
              f"({len(bad)} with a report so far)", flush=True)
    print(f"{args.boots} boots, {len(bad)} with a kernel-log report"
          f"{': ' + ', '.join(map(str, bad)) if bad else ''}")
    print(f"{args.boots - len(bad)} passed, {len(bad)} failed")
    sys.exit(1 if bad else 0)


def cluster_bench(args):
    """--mode cluster-bench: the pair of VMs runs selftests/cluster_msg/bench.sh
    (cluster_msg side by side with corosync; guest-run.sh mode cluster-bench) in
    OUT/cluster/. Prints each node's bench.txt (B's holds the figures) and judges
    only that both nodes finished with clean kernel logs (A saves its own before it
    panics on purpose); the figures are never judged. Returns the exit code."""
    res = (args.out / "cluster").resolve()
    if not args.judge_only:
        kst = (args.kselftest or args.out / "kselftest").resolve()
        if not (kst / "cluster_msg/bench.sh").exists():
            sys.exit(f"vmtest: no cluster_msg/bench.sh in {kst}: run 'make selftests'")
        with vm_lock():
            boot_cluster(args.kdir, res, args.timeout, kst, args.moddir.resolve(),
                         mode="cluster-bench")
    for node, name in (("A", "bench.txt"), ("A", "bench-capture.txt"), ("B", "bench.txt")):
        out = res / node / name
        print(f"--- node {node}: {out}")
        print(out.read_text(errors="replace") if out.exists() else f"(no {name})")
    v = Verdict()
    print("cluster bench (two VMs):")
    for node in CLUSTER_NODES:
        judge_node(res, node, "cluster-bench", v, tests=False)
    # A's capture kernel (P6), when A was armed and its capture kernel started.
    cap = res / "A" / "dmesg-boot-capture.txt"
    if cap.exists():
        judge_log(cap, v, "cluster-bench A capture kernel: dmesg: boot clean")
        judge_log(res / "A" / "dmesg-capture.txt", v,
                  "cluster-bench A capture kernel: dmesg: no WARN/BUG/KASAN/lockdep report")
    print(f"{len(v.passed)} passed, {len(v.failed)} failed")
    return 0 if v.passed and not v.failed else 1


# P5 (make bench): the handoff's blackout against a firmware reboot, in one VM on the
# bench kernel (selftests/kexec_handoff/blackout.sh). -action reboot=reset: vng's
# -no-reboot would make the monitor's system_reset end QEMU.
P5_QEMU = "-action reboot=reset"


class P5Clock:
    """Serves blackout.sh's requests and times them on the host's monotonic clock:
    `<name>-request` -> `<name>-go` (for `reset`, then the monitor's system_reset),
    and the first sight of each `up-<n>` marker. The times go to res/host-times.txt."""

    def __init__(self):
        self.t = {}

    def note(self, res, name):
        self.t[name] = time.monotonic()
        with open(res / "host-times.txt", "a") as f:
            f.write(f"{name} {self.t[name]:.3f}\n")

    def __call__(self, res, monitor):
        for name in ("reset", "kexec"):
            req = res / f"{name}-request"
            if req.exists() and name not in self.t:
                try:
                    req.rename(res / f"{name}-go")
                    self.note(res, name)
                    if name == "reset":
                        monitor_cmd(monitor, "system_reset")
                except OSError as e:
                    print(f"vmtest: P5: could not serve {name}: {e}")
        for n in (1, 2, 3):
            if f"up-{n}" not in self.t and (res / f"up-{n}").exists():
                self.note(res, f"up-{n}")


def handoff_bench(args):
    """--mode handoff-bench: P5 in OUT/handoff/. Prints both blackouts and their
    ratio (never judged); judges that the three boots ran with clean kernel logs.
    Returns the exit code."""
    res = (args.out / "handoff").resolve()
    times = res / "host-times.txt"
    if not args.judge_only:
        kst = (args.kselftest or args.out / "kselftest").resolve()
        if not (kst / "kexec_handoff/blackout.sh").exists():
            sys.exit(f"vmtest: no kexec_handoff/blackout.sh in {kst}: run 'make selftests'")
        shutil.rmtree(res, ignore_errors=True)
        res.mkdir(parents=True)
        with vm_lock():
            boot(args.kdir, res, "handoff-bench", args.timeout, kst, args.moddir.resolve(),
                 append=HANDOFF_APPEND, qemu=P5_QEMU, serve=P5Clock(), period=0.02,
                 extra_env={"HASYS_KIMAGE": str(args.kdir / "arch/x86/boot/bzImage")})
    t = {}
    if times.exists():
        for line in times.read_text().splitlines():
            name, val = line.split()
            t[name] = float(val)

    def uptime(n):
        f = res / f"uptime-{n}"
        return float(f.read_text()) if f.exists() else None

    print("P5 blackout: one VM, bench kernel (no KASAN, lockdep, kmemleak), "
          f"{'KVM' if kvm_works(args.kdir) else 'TCG'}; the host's clock, to userspace "
          "with hasys loaded")
    got = {}
    for key, start, end, n, what in (
            ("reboot", "reset", "up-2", 2, "firmware reboot (QEMU system_reset)"),
            ("handoff", "kexec", "up-3", 3, "kexec handoff (kexec -e), hasys restored")):
        if start in t and end in t:
            got[key] = t[end] - t[start]
            up = uptime(n)
            # The part before the new kernel's clock started: the firmware, or the old
            # kernel's shutdown, purgatory and the decompression; the rest is the
            # same boot and userspace in both.
            split = (f" (the new kernel's uptime then: {up:.2f} s, so {got[key] - up:.2f} s "
                     "before it started)" if up is not None else "")
            print(f"  {what:<44} {got[key]:8.2f} s{split}")
        else:
            print(f"  {what:<44}      n/a (no {start} or {end} time: see {res})")
    if len(got) == 2 and got["handoff"] > 0:
        print(f"  the handoff takes {got['handoff'] / got['reboot']:.2f} of the reboot's "
              f"blackout ({got['reboot'] / got['handoff']:.1f}x shorter; goal: at most 1/3)")
    report = res / "report.txt"
    if report.exists():
        for line in report.read_text().splitlines():
            if line.startswith(("blackout", "records_carried", "handoffs")):
                print(f"  kexec_handoff's report: {line}")
    for f in ("error.txt",):
        if (res / f).exists():
            print(f"  {f}: {(res / f).read_text().strip()}")
    v = Verdict()
    v.add("handoff-bench: the three boots ran", (res / "done").exists() and len(got) == 2,
          why=f"see {res / 'vng.log'}")
    for n in (1, 2, 3):
        judge_log(res / f"dmesg-boot-{n}.txt", v, f"handoff-bench boot {n}: dmesg: boot clean")
    judge_log(res / "dmesg.txt", v, "handoff-bench: dmesg: no WARN/BUG report")
    print(f"{len(v.passed)} passed, {len(v.failed)} failed")
    return 0 if v.passed and not v.failed else 1


def want_collection(name):
    """A run of its own (two VMs, a crash) goes with a full run, or one limited to its
    collection (HASYS_KSELFTEST_ARGS="-c <name>")."""
    collections = selected_collections(os.environ.get("HASYS_KSELFTEST_ARGS"))
    return collections is None or name in collections


def main():
    # SIGTERM unwinds like Ctrl-C, so boot()'s cleanup kills the VM.
    signal.signal(signal.SIGTERM, lambda sig, _frame: sys.exit(128 + sig))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kdir", required=True, type=Path, help="kernel build tree to boot")
    ap.add_argument("--out", required=True, type=Path, help="results directory")
    ap.add_argument("--mode", choices=["test", "demo", "bench", "boot", "cluster-bench",
                                       "handoff-bench"],
                    default="test",
                    help="cluster-bench: two VMs, cluster_msg against corosync; "
                         "handoff-bench: P5, a handoff against a reboot (make bench)")
    ap.add_argument("--boots", type=int, default=1, help="--mode boot: how many boots")
    ap.add_argument("--kselftest", type=Path, help="staged kselftests (default: OUT/kselftest)")
    ap.add_argument("--moddir", type=Path, default=TOP,
                    help="tree whose modules the guest loads (default: this tree)")
    ap.add_argument("--timeout", type=int, default=int(os.environ.get("HASYS_VM_TIMEOUT", 2400)))
    ap.add_argument("--judge-only", action="store_true", help="judge an existing results dir")
    args = ap.parse_args()

    if not args.judge_only and not (args.kdir / "arch/x86/boot/bzImage").exists():
        sys.exit(f"vmtest: no kernel in {args.kdir}: run 'make kernel'")
    if args.mode == "boot" and not args.judge_only:
        boot_loop(args)
    if args.mode == "cluster-bench":
        sys.exit(cluster_bench(args))
    if args.mode == "handoff-bench":
        sys.exit(handoff_bench(args))
    res = (args.out / ("results" if args.mode == "test" else "")).resolve()
    if not args.judge_only:
        res.mkdir(parents=True, exist_ok=True)
        for f in res.iterdir():
            if f.is_file():
                f.unlink()
        kst = (args.kselftest or args.out / "kselftest").resolve()
        if args.mode == "test" and not (kst / "run_kselftest.sh").exists():
            sys.exit(f"vmtest: no staged kselftests in {kst}: run 'make selftests'")
        with vm_lock():
            boot(args.kdir, res, args.mode, args.timeout, kst, args.moddir.resolve())
            if args.mode == "test" and want_collection("cluster_msg"):
                boot_cluster(args.kdir, res / "cluster", args.timeout, kst,
                             args.moddir.resolve())
            if args.mode == "test" and want_collection("crashdump"):
                boot_crash(args.kdir, res / "crash", args.timeout, kst, args.moddir.resolve())
            if args.mode == "test" and want_collection("kexec_handoff"):
                boot_handoff(args.kdir, res / "handoff", args.timeout, kst,
                             args.moddir.resolve())
    for mode, out in (("demo", "demo.log"), ("bench", "bench.txt")):
        if args.mode == mode and (res / out).exists():
            print((res / out).read_text(errors="replace"))
    v = judge(res, args.mode,
              collections=selected_collections(os.environ.get("HASYS_KSELFTEST_ARGS")))
    if args.mode == "test" and want_collection("cluster_msg"):
        judge_cluster(res / "cluster", v)
    if args.mode == "test" and want_collection("crashdump"):
        judge_crash(res / "crash", v)
    if args.mode == "test" and want_collection("kexec_handoff"):
        judge_handoff(res / "handoff", v)
    v.summary()
    if v.skipped:
        print(f"{len(v.skipped)} skipped")
    print(f"{len(v.passed)} passed, {len(v.failed)} failed")
    sys.exit(0 if v.passed and not v.failed else 1)


if __name__ == "__main__":
    main()
