#!/usr/bin/env python3
"""Condense an `strace -f -tt -y` timeline (openat/unlink/rename/fsync/fdatasync/...)
into phases: consecutive calls of the same syscall on the same file become one
line with a count and a time span; every line shows the time since the start
and the gap since the previous event (the work done in between).

Usage: backup_timeline.py TIMELINE.txt
"""

import re
import sys
from datetime import datetime

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
        m = LINE.match(line)
        if not m:
            continue
        t = ts(m.group(2))
        start = start or t
        if SKIP.search(line):
            continue
        events.append((t, m.group(3), target(m.group(3), m.group(4))))
    # group consecutive identical (syscall, file)
    groups = []
    for t, name, tgt in events:
        if groups and groups[-1]["key"] == (name, tgt):
            groups[-1]["last"] = t
            groups[-1]["n"] += 1
        else:
            groups.append({"key": (name, tgt), "first": t, "last": t, "n": 1})
    prev = start
    print(f"{'t (s)':>8} {'gap (s)':>8}  event")
    for g in groups:
        gap = (g["first"] - prev).total_seconds()
        span = (g["last"] - g["first"]).total_seconds()
        name, tgt = g["key"]
        extra = f" x{g['n']} over {span:.3f} s" if g["n"] > 1 else ""
        print(f"{(g['first'] - start).total_seconds():8.3f} {gap:8.3f}  {name} {tgt}{extra}")
        prev = g["last"]
    if end:
        print(f"{(end - start).total_seconds():8.3f} {(end - prev).total_seconds():8.3f}  exit")


if __name__ == "__main__":
    main()
