#!/usr/bin/env python3
"""Condense an `strace -f -tt -y` timeline (openat/unlink/rename/fsync/fdatasync/...)
into phases: consecutive calls of the same syscall on the same file become one
line with a count and a time span; every line shows the time since the start
and the gap since the previous event (the work done in between).

Usage: backup_timeline.py TIMELINE.txt
"""

import re
import sys
from datetime import datetime, timedelta

LINE = re.compile(r"^(\d+)\s+(\d\d:\d\d:\d\d\.\d+)\s+(\w+)\((.*)$")
SKIP = re.compile(r"/lib/|/etc/|ld\.so|ENOENT|/dev/urandom|openssl\.cnf")


def ts(s):
    return datetime.strptime(s, "%H:%M:%S.%f")


def target(name, args):
    m = re.search(r'"([^"]+)"', args) if name in ("openat", "unlink", "rename", "unlinkat", "renameat") else None
    if m:
        return m.group(1)
    m = re.match(r"\d+<([^>]*)>", args)
    return m.group(1) if m else args[:60]


def main():
    events = []
    start = end = None
    for line in open(sys.argv[1]):
        if "+++ exited" in line:
            m = re.match(r"^\d+\s+(\S+)", line)
            end = ts(m.group(1))
            continue
        r = re.match(r"^\d+\s+(\S+)\s+<\.\.\. (\w+) resumed>.*<(\d+\.\d+)>\s*$", line)
        if r:  # a call that another thread's event interrupted in the log: credit its duration
            for i in range(len(events) - 1, -1, -1):
                if events[i][1] == r.group(2) and events[i][3] == 0.0:
                    events[i] = events[i][:3] + (float(r.group(3)),)
                    break
            continue
        m = LINE.match(line)
        if not m:
            continue
        t = ts(m.group(2))
        start = start or t
        if SKIP.search(line):
            continue
        d = re.search(r"<(\d+\.\d+)>\s*$", m.group(4))  # strace -T: time spent in the call
        events.append((t, m.group(3), target(m.group(3), m.group(4)), float(d.group(1)) if d else 0.0))
    # group consecutive identical (syscall, file)
    groups = []
    for t, name, tgt, dur in events:
        if groups and groups[-1]["key"] == (name, tgt):
            groups[-1]["last"] = t + timedelta(seconds=dur)
            groups[-1]["n"] += 1
            groups[-1]["in_call"] += dur
        else:
            groups.append({"key": (name, tgt), "first": t, "last": t + timedelta(seconds=dur), "n": 1, "in_call": dur})
    prev = start
    print(f"{'t (s)':>8} {'gap (s)':>8}  event   (gap = time since the previous event ended: work done in between;"
          " 'in call' = time inside the syscalls, strace -T)")
    for g in groups:
        gap = (g["first"] - prev).total_seconds()
        span = (g["last"] - g["first"]).total_seconds()
        name, tgt = g["key"]
        extra = f" x{g['n']} over {span:.3f} s" if g["n"] > 1 else ""
        if g["in_call"] >= 0.001:
            extra += f" (in call {g['in_call']:.3f} s)"
        print(f"{(g['first'] - start).total_seconds():8.3f} {gap:8.3f}  {name} {tgt}{extra}")
        prev = g["last"]
    if end:
        print(f"{(end - start).total_seconds():8.3f} {(end - prev).total_seconds():8.3f}  exit")


if __name__ == "__main__":
    main()
