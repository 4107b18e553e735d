#!/usr/bin/env python3
"""Generate benchmark inputs for `migrate`.

For N small migrations this writes, under OUT:

  OUT/migrate/    YYYYMMDDHHMMSS_create_tN.sql + ..._rollback.sql  (migrate format)
  OUT/dbmate/     YYYYMMDDHHMMSS_create_tN.sql with -- migrate:up / -- migrate:down
                  sections (dbmate format), same versions, same statements
  OUT/shell.sql            the same work as `migrate up` for the sqlite3 shell,
                           with the same bookkeeping (tracking table + one row per
                           migration, each migration and its row in one transaction)
  OUT/shell_exclusive.sql  the same script with `PRAGMA locking_mode = EXCLUSIVE;`
                           at the top, as migrate runs SQLite (the fair limit)

Versions start at 2024-01-01 00:00:00 UTC and step by a fixed interval through
datetime arithmetic, so every 14-digit timestamp is a valid calendar time
(month 01-12, day 01-31, hour < 24, minute/second < 60) and strictly increasing.

The checksum recorded by the shell scripts is the SHA-256 of the migrate-format
file's bytes, exactly what migrate records; applied_at is an ISO-8601 UTC time
taken when the row is written, in the format migrate uses
(2026-11-22T04:35:40.859Z).

Usage: generate.py --count N --out DIR
"""

import argparse
import datetime as dt
import hashlib
import os
import shutil
import sys

START = dt.datetime(2024, 1, 1, 0, 0, 0)
# 1 h 1 min 1 s: every digit pair of the timestamp moves, and 10,000 steps
# cross many day/month/year boundaries (about 14 months in all).
STEP = dt.timedelta(hours=1, minutes=1, seconds=1)

TRACKING_DDL = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY NOT NULL, "
    "name TEXT NOT NULL DEFAULT '', checksum TEXT NOT NULL DEFAULT '', "
    "batch INTEGER NOT NULL DEFAULT 0, applied_at TEXT NOT NULL DEFAULT '', "
    "duration_ms INTEGER NOT NULL DEFAULT 0, backup_id TEXT);"
)


def up_sql(i: int) -> str:
    return (f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT);\n"
            f"INSERT INTO t{i} (name) VALUES ('x');\n")


def down_sql(i: int) -> str:
    return f"DROP TABLE t{i};\n"


def valid_version(v: str) -> bool:
    if len(v) != 14 or not v.isdigit():
        return False
    mo, d, h, mi, s = (int(v[4:6]), int(v[6:8]), int(v[8:10]), int(v[10:12]), int(v[12:14]))
    return 1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 60


def write(path: str, text: str) -> bytes:
    data = text.encode()
    with open(path, "wb") as f:
        f.write(data)
    return data


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", "-n", type=int, required=True)
    ap.add_argument("--out", "-o", required=True)
    args = ap.parse_args()
    n, out = args.count, args.out

    mig_dir = os.path.join(out, "migrate")
    dbm_dir = os.path.join(out, "dbmate")
    for d in (mig_dir, dbm_dir):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)

    body = [TRACKING_DDL]
    previous = ""
    for i in range(1, n + 1):
        version = (START + STEP * (i - 1)).strftime("%Y%m%d%H%M%S")
        assert valid_version(version) and version > previous, version
        previous = version
        name = f"create_t{i}"
        base = f"{version}_{name}"

        up = up_sql(i)
        data = write(os.path.join(mig_dir, base + ".sql"), up)
        write(os.path.join(mig_dir, base + "_rollback.sql"), down_sql(i))
        write(os.path.join(dbm_dir, base + ".sql"),
              f"-- migrate:up\n{up}\n-- migrate:down\n{down_sql(i)}")

        checksum = hashlib.sha256(data).hexdigest()
        body.append(
            "BEGIN;\n" + up +
            "INSERT INTO schema_migrations (version, name, checksum, batch, applied_at, "
            f"duration_ms, backup_id) VALUES ('{version}', '{name}', '{checksum}', 1, "
            "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 0, NULL);\n"
            "COMMIT;")

    script = "\n".join(body) + "\n"
    write(os.path.join(out, "shell.sql"), script)
    write(os.path.join(out, "shell_exclusive.sql"), "PRAGMA locking_mode = EXCLUSIVE;\n" + script)
    print(f"generated {n} migrations in {out} (last version {previous})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
