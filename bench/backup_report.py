#!/usr/bin/env python3
"""Summarise the results of bench/run_backup_sqlite.sh as Markdown.

Usage: backup_report.py RESULTS_DIR > summary.md

Reads the hyperfine JSON exports GROUP_rN.json (one per round), rss.tsv,
sizes.txt, verify_artifact.txt and checks.txt. For every group it prints, per
command, mean ± σ of each round, the median of the round means, and the ratio
to the group's baseline computed inside each round (same hyperfine invocation),
with the median of those ratios; then one line per target.
"""

import glob
import json
import os
import re
import statistics
import sys

R = sys.argv[1] if len(sys.argv) > 1 else "."


def rounds(group):
    files = sorted(glob.glob(os.path.join(R, f"{group}_r*.json")),
                   key=lambda p: int(re.search(r"_r(\d+)\.json$", p).group(1)))
    out = []
    for p in files:
        with open(p) as f:
            out.append({r["command"]: r for r in json.load(f)["results"]})
    return out


def fmt(r):
    return f"{r['mean']:.3f} ± {r['stddev'] or 0:.3f}"


def table(group, baselines, title):
    rs = rounds(group)
    if not rs:
        return {}, ""
    names = list(rs[0].keys())
    head = ["command"] + [f"round {i + 1} (s)" for i in range(len(rs))] + ["median of means (s)"]
    for b in baselines:
        head.append(f"× {b} (per round → median)")
    lines = [f"### {title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    med = {}
    ratios = {}
    for n in names:
        means = [r[n]["mean"] for r in rs if n in r]
        med[n] = statistics.median(means)
        row = [n] + [fmt(r[n]) if n in r else "–" for r in rs] + [f"{med[n]:.3f}"]
        for b in baselines:
            rr = [r[n]["mean"] / r[b]["mean"] for r in rs if n in r and b in r]
            ratios[(n, b)] = statistics.median(rr) if rr else float("nan")
            row.append(", ".join(f"{x:.2f}" for x in rr) + f" → **{ratios[(n, b)]:.2f}**")
        lines.append("| " + " | ".join(row) + " |")
    runs = sorted({len(r[n]["times"]) for r in rs for n in r})
    lines.append("")
    lines.append(f"{len(rs)} round(s), {'/'.join(map(str, runs))} timed run(s) per command per round.")
    lines.append("")
    return {"median": med, "ratio": ratios, "rounds": rs}, "\n".join(lines)


def read_kv(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def main():
    out = ["# migrate backup benchmark: summary", ""]
    for line in read_kv(os.path.join(R, "machine.txt"))[-5:]:
        out.append("    " + line)
    out.append("")
    targets = []

    b, t = table("backup", ["sqlite3 .backup", "cp"], "1. Backup of big.db")
    out.append(t)
    if b:
        rz = b["ratio"][("migrate backup (zstd)", "sqlite3 .backup")]
        rn = b["ratio"][("migrate backup --compression none", "sqlite3 .backup")]
        targets.append(f"- Backup (zstd) within 1.3× of `sqlite3 .backup`: "
                       f"{'**met**' if rz <= 1.3 else '**not met**'} (median ratio {rz:.2f}; "
                       f"--compression none: {rn:.2f})")
    sizes = read_kv(os.path.join(R, "sizes.txt"))
    if sizes:
        out.append("Sizes (bytes), last round: `" + sizes[-1] + "`")
        out.append("")

    r, t = table("restore", ["cp", "cp + fsync"], "2. Restore into a copy of big.db")
    out.append(t)
    if r:
        rr = r["ratio"][("migrate restore --no-backup (zstd store)", "cp")]
        targets.append(f"- Restore --no-backup within 2× of `cp`: "
                       f"{'**met**' if rr <= 2 else '**not met**'} (median ratio {rr:.2f}; "
                       f"vs cp + fsync {r['ratio'][('migrate restore --no-backup (zstd store)', 'cp + fsync')]:.2f})")
    d, t = table("restore_default", [], "2b. Default restore (pre-restore backup first), once per round")
    out.append(t)

    v, t = table("verify", ["openssl dgst -sha256"], "4. SHA-256 verification")
    out.append(t)
    if v:
        art = read_kv(os.path.join(R, "verify_artifact.txt"))
        size = int(art[0].split()[-1]) if art else 0
        zsize = int(art[1].split()[-1]) if len(art) > 1 else 0
        out.append(f"Throughput on the uncompressed artifact ({size} bytes = {size / 1e9:.3f} GB), "
                   "artifact size / median of round means:")
        out.append("")
        out.append("| command | GB/s (10⁹ B/s) | GiB/s |")
        out.append("|---|---|---|")
        for n, m in v["median"].items():
            s = zsize if "zstd" in n else size
            out.append(f"| {n} | {s / m / 1e9:.2f} | {s / m / 2**30:.2f} |")
        out.append("")
        gbs = size / v["median"]["migrate verify (none artifact)"] / 1e9
        per_round = [size / rd["migrate verify (none artifact)"]["mean"] / 1e9 for rd in v["rounds"]]
        targets.append(f"- SHA-256 verification ≥ 1.2 GB/s: {'**met**' if gbs >= 1.2 else '**not met**'} "
                       f"({gbs:.2f} GB/s median; rounds {', '.join(f'{x:.2f}' for x in per_round)}; "
                       f"openssl dgst {size / v['median']['openssl dgst -sha256'] / 1e9:.2f} GB/s, "
                       f"sha256sum {size / v['median']['sha256sum'] / 1e9:.2f} GB/s)")

    _, t = table("deep", [], "5. verify --deep (information)")
    out.append(t)

    rss = read_kv(os.path.join(R, "rss.tsv"))
    if rss:
        agg = {}
        cpu = {}
        for line in rss:
            f = line.split("\t")
            label, kb, wall = f[:3]
            db, cmd = label.split("|", 1)
            agg.setdefault(cmd, {}).setdefault(db, []).append((int(kb), wall))
            if len(f) >= 5:
                cpu.setdefault(cmd, {}).setdefault(db, []).append((float(f[3]), float(f[4]), wall))
        dbs = sorted({db for c in agg.values() for db in c}, key=lambda s: -len(s))
        dbs = sorted(dbs)
        out.append("### 3. Peak RSS (`/usr/bin/time -v`, maximum resident set size; max over repetitions)")
        out.append("")
        out.append("| command | " + " | ".join(f"{db}: MiB (runs, wall)" for db in dbs) + " |")
        out.append("|---|" + "---|" * len(dbs))
        worst = 0
        for cmd, per in agg.items():
            cells = []
            for db in dbs:
                xs = per.get(db, [])
                if not xs:
                    cells.append("–")
                    continue
                mx = max(k for k, _ in xs) / 1024
                if cmd.startswith("migrate"):
                    worst = max(worst, mx)
                cells.append(f"**{mx:.1f}** ({', '.join(f'{k / 1024:.1f}' for k, _ in xs)}; {', '.join(w for _, w in xs)})")
            out.append(f"| {cmd} | " + " | ".join(cells) + " |")
        out.append("")
        if cpu:
            out.append("CPU time of the same runs (`/usr/bin/time`: user + sys, wall; median over repetitions):")
            out.append("")
            out.append("| command | " + " | ".join(f"{db}: user s, sys s, wall" for db in dbs) + " |")
            out.append("|---|" + "---|" * len(dbs))
            for cmd, per in cpu.items():
                cells = []
                for db in dbs:
                    xs = per.get(db, [])
                    if not xs:
                        cells.append("–")
                        continue
                    u = statistics.median(x[0] for x in xs)
                    sy = statistics.median(x[1] for x in xs)
                    cells.append(f"{u:.2f} u + {sy:.2f} s ({', '.join(x[2] for x in xs)})")
                out.append(f"| {cmd} | " + " | ".join(cells) + " |")
            out.append("")
        targets.append(f"- Peak RSS < 64 MiB regardless of size: {'**met**' if worst < 64 else '**not met**'} "
                       f"(largest migrate peak {worst:.1f} MiB)")

    checks = read_kv(os.path.join(R, "checks.txt"))
    if checks:
        fails = [c for c in checks if c.startswith("FAIL")]
        out.append(f"### Correctness checks: {len(checks) - len(fails)} passed, {len(fails)} failed")
        out.append("")
        for c in fails:
            out.append(f"- {c}")
        out.append("")

    prof = os.path.join(R, "profile")
    for name, title in (("backup_phases.txt", "backup"), ("restore_phases.txt", "restore --no-backup")):
        lines = read_kv(os.path.join(prof, name))
        if lines:
            out.append(f"### Timeline of one {title} (strace -f --seccomp-bpf -tt, condensed)")
            out.append("")
            out.append("```")
            out.extend(lines)
            out.append("```")
            out.append("")
    for k in ("backup", "restore"):
        for kind in ("dso", "sym"):
            lines = read_kv(os.path.join(prof, f"{k}_perf_{kind}.txt"))
            if lines:
                out.append(f"### perf record -e cpu-clock of one {k}, by {kind} (all threads)")
                out.append("")
                out.append("```")
                out.extend(lines)
                out.append("```")
                out.append("")
    lines = read_kv(os.path.join(prof, "restore_io_counts.txt"))
    if lines:
        out.append("### Restore: syscalls per file (strace -f -y)")
        out.append("")
        out.append("```")
        out.extend(l for l in lines if "/lib/" not in l and "/etc/" not in l)
        out.append("```")
        out.append("")

    out.append("### Targets")
    out.append("")
    out.extend(targets)
    print("\n".join(out))


if __name__ == "__main__":
    main()
