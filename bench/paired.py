#!/usr/bin/env python3
"""Interleaved (paired) timing of two or more shell commands.

hyperfine runs all runs of one command, then all runs of the next; on a shared
machine whose disk latency drifts over minutes, that drift lands in the ratio.
This runs the commands in turn (A B C A B C ...), each after its own prepare
command, and reports per-iteration ratios to the first command's partner, so
slow phases of the machine hit both sides of each ratio alike.

Usage:
  paired.py --runs N --warmup W --export-json OUT.json --export-markdown OUT.md \
      -n NAME --prepare CMD COMMAND  [-n NAME --prepare CMD COMMAND ...] \
      --ratio "NAME_A/NAME_B" [--ratio ...]

Wall time is measured around the command (run through /bin/sh like hyperfine
does, prepare not included); CPU time is the child's user+system time.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time


def run(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(["/bin/sh", "-c", cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"command failed ({p.returncode}): {cmd}\n{p.stderr.decode(errors='replace')}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def quartiles(xs):
    q = statistics.quantiles(xs, n=4) if len(xs) >= 2 else [xs[0]] * 3
    return q[0], q[1], q[2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--export-json")
    ap.add_argument("--export-markdown")
    ap.add_argument("--ratio", action="append", default=[])
    ap.add_argument("-n", "--command-name", action="append", dest="names", default=[])
    ap.add_argument("--prepare", action="append", default=[])
    ap.add_argument("commands", nargs="+")
    a = ap.parse_intermixed_args()
    if not (len(a.names) == len(a.prepare) == len(a.commands)):
        sys.exit("give -n NAME --prepare CMD before every command")

    for _ in range(a.warmup):
        for prep, cmd in zip(a.prepare, a.commands):
            subprocess.run(["/bin/sh", "-c", prep], check=True)
            run(cmd)

    wall = {n: [] for n in a.names}
    cpu = {n: [] for n in a.names}
    for i in range(a.runs):
        for name, prep, cmd in zip(a.names, a.prepare, a.commands):
            subprocess.run(["/bin/sh", "-c", prep], check=True)
            w, c = run(cmd)
            wall[name].append(w)
            cpu[name].append(c)
        print(f"  paired iteration {i + 1}/{a.runs}: " +
              ", ".join(f"{n} {wall[n][-1] * 1e3:.0f} ms" for n in a.names), file=sys.stderr)

    ratios = {}
    for spec in a.ratio:
        x, y = spec.split("/")
        per = [p / q for p, q in zip(wall[x], wall[y])]
        per_cpu = [p / q for p, q in zip(cpu[x], cpu[y])]
        ratios[spec] = {"wall": per, "cpu": per_cpu}

    if a.export_json:
        with open(a.export_json, "w") as f:
            json.dump({"runs": a.runs, "commands": {n: {"command": c, "wall": wall[n], "cpu": cpu[n]}
                                                    for n, c in zip(a.names, a.commands)},
                       "ratios": ratios}, f, indent=1)

    lines = ["| command (interleaved) | median wall [ms] | IQR wall [ms] | median CPU [ms] |",
             "|:---|---:|---:|---:|"]
    for n in a.names:
        q1, med, q3 = quartiles(wall[n])
        lines.append(f"| `{n}` | {med * 1e3:.1f} | {q1 * 1e3:.1f} – {q3 * 1e3:.1f} | "
                     f"{statistics.median(cpu[n]) * 1e3:.1f} |")
    lines += ["", "| ratio (per iteration) | median wall ratio | IQR | median CPU ratio |",
              "|:---|---:|---:|---:|"]
    for spec, r in ratios.items():
        q1, med, q3 = quartiles(r["wall"])
        lines.append(f"| {spec} | {med:.3f} | {q1:.3f} – {q3:.3f} | "
                     f"{statistics.median(r['cpu']):.3f} |")
    text = "\n".join(lines) + "\n"
    if a.export_markdown:
        with open(a.export_markdown, "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
