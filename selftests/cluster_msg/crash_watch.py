#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The crash half of bench.sh's P6 (`make bench`): node A panics with a capture
kernel loaded; node B times, from A's T0 datagram (sent just before the panic), the
capture kernel's milestones and the fence agents confirming A fenced. Figures only.

  crash_watch.py watch <port> <ready-file> <timeout-s> <out-dir> NAME=CMD...
      On B. Binds UDP <port>, starts each CMD (a shell command: a fence agent
      waiting to fence A) with its output in <out-dir>/agent-NAME.txt, creates
      <ready-file> once they had 10 s to get going, then waits (at most <timeout-s>)
      for A's T0, A's marks, and every agent's exit. Prints one line per item:
      `mark NAME ms=...` (the milestone's time from T0, on B's clock) and
      `agent NAME ms=... rc=...`; `ms=-` for what never came.
  crash_watch.py send <ip> <port> NAME=EVENT-MS...
      On A's capture kernel: one datagram per mark, "mark NAME EVENT-MS NOW-MS",
      where both times are this kernel's CLOCK_BOOTTIME in ms (EVENT-MS from
      /proc/uptime when the milestone happened, NOW-MS read just before the
      datagram leaves), then "mark end"; all of it twice, 100 ms apart.

B places a milestone at its arrival minus (NOW-MS - EVENT-MS): only B's clock and
A's intervals are used, never the two clocks against each other; the datagram's own
transit (well under a millisecond on the QEMU socket link) is the error. "kernel" is
EVENT-MS 0: the capture kernel's clock starting. The first copy of each mark
counts.
"""
import os
import selectors
import socket
import subprocess
import sys
import time


def boottime_ms():
    return time.clock_gettime(time.CLOCK_BOOTTIME) * 1000.0


def send(ip, port, marks):
    pairs = [m.partition("=") for m in marks]
    if any(not name or not ms.isdigit() for name, _, ms in pairs):
        print(f"crash_watch.py: marks are NAME=MS: {marks}", file=sys.stderr)
        return 2
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for copy in range(2):
            for name, _, ms in pairs + [("end", "=", "0")]:
                msg = f"mark {name} {ms} {int(boottime_ms())}"
                s.sendto(msg.encode(), (ip, int(port)))
            if copy == 0:
                time.sleep(0.1)
    return 0


def watch(port, ready, timeout_s, out, specs):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", int(port)))
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ, None)
    agents = {}
    for spec in specs:
        name, _, cmd = spec.partition("=")
        log = open(os.path.join(out, f"agent-{name}.txt"), "w")
        p = subprocess.Popen(cmd, shell=True, stdin=subprocess.DEVNULL, stdout=log,
                             stderr=subprocess.STDOUT)
        fd = os.pidfd_open(p.pid)
        agents[name] = {"proc": p, "fd": fd, "end": None, "rc": None, "log": log}
        sel.register(fd, selectors.EVENT_READ, name)
    start = boottime_ms()
    deadline = start + float(timeout_s) * 1000.0
    t0 = None
    marks = {}
    ended = False
    made_ready = False
    while True:
        now = boottime_ms()
        if not made_ready and now - start >= 10000:
            open(ready, "w").close()
            made_ready = True
        running = [a for a in agents.values() if a["rc"] is None]
        if (ended and not running) or now >= deadline:
            break
        wait = (deadline - now) / 1000.0
        if not made_ready:
            wait = min(wait, (start + 10000 - now) / 1000.0)
        for key, _ in sel.select(timeout=max(wait, 0.0)):
            got = boottime_ms()
            if key.data is None:
                data, _ = sock.recvfrom(512)
                words = data.decode(errors="replace").split()
                if words and words[0].startswith("T0") and t0 is None:
                    t0 = got
                elif len(words) == 4 and words[0] == "mark":
                    try:
                        event, sent = int(words[2]), int(words[3])
                    except ValueError:
                        continue
                    if words[1] == "end":
                        ended = True
                    elif words[1] not in marks and 0 <= event <= sent:
                        marks[words[1]] = got - (sent - event)
            else:
                a = agents[key.data]
                a["rc"] = a["proc"].wait()
                a["end"] = got
                sel.unregister(a["fd"])
                os.close(a["fd"])
    for name, a in agents.items():
        if a["rc"] is None:
            a["proc"].kill()
            a["proc"].wait()
            a["rc"] = "timeout"
        a["log"].close()

    def since(t):
        return "-" if t is None or t0 is None else f"{t - t0:.1f}"

    print(f"t0 {'received' if t0 is not None else 'never received'}")
    for name, t in marks.items():
        print(f"mark {name} ms={since(t)}")
    for name, a in agents.items():
        print(f"agent {name} ms={since(a['end'])} rc={a['rc']}")
    return 0 if t0 is not None else 1


def main(argv):
    if len(argv) >= 4 and argv[1] == "send":
        return send(argv[2], argv[3], argv[4:])
    if len(argv) >= 7 and argv[1] == "watch":
        return watch(argv[2], argv[3], argv[4], argv[5], argv[6:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
