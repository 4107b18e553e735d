#!/usr/bin/env python3
"""Generate the MySQL `up` benchmark inputs: N small migrations, three ways.

  OUT/migrate/    YYYYMMDDHHMMSS_create_tN.sql + ..._rollback.sql  (migrate format)
  OUT/dbmate/     the same versions and statements with -- migrate:up / -- migrate:down
  OUT/client.sql  the same work for the `mariadb` client, with the same
                  bookkeeping as `migrate up --no-backup`: the tracking table,
                  and per migration its statements and its row, between
                  START TRANSACTION and COMMIT (MySQL commits the DDL itself)

The checksum is the SHA-256 of the migrate-format file, as migrate records it.

Usage: generate_mysql.py --count N --out DIR
"""

import argparse
import hashlib
import os
import shutil

from generate import START, STEP  # the same versions as the SQLite benchmark

TRACKING_DDL = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (version varchar(255) NOT NULL PRIMARY KEY, "
    "name varchar(255) NOT NULL DEFAULT '', checksum varchar(64) NOT NULL DEFAULT '', "
    "batch bigint NOT NULL DEFAULT 0, applied_at varchar(40) NOT NULL DEFAULT '', "
    "duration_ms bigint NOT NULL DEFAULT 0, backup_id varchar(255) NULL) ENGINE=InnoDB;"
)


def up_sql(i: int) -> str:
    return (f"CREATE TABLE t{i} (id int AUTO_INCREMENT PRIMARY KEY, name varchar(50));\n"
            f"INSERT INTO t{i} (name) VALUES ('x');\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    for sub in ("migrate", "dbmate"):
        shutil.rmtree(os.path.join(args.out, sub), ignore_errors=True)
        os.makedirs(os.path.join(args.out, sub))
    client = [TRACKING_DDL]
    for i in range(1, args.count + 1):
        version = (START + STEP * i).strftime("%Y%m%d%H%M%S")
        name = f"create_t{i}"
        up = up_sql(i)
        down = f"DROP TABLE t{i};\n"
        with open(os.path.join(args.out, "migrate", f"{version}_{name}.sql"), "w") as f:
            f.write(up)
        with open(os.path.join(args.out, "migrate", f"{version}_{name}_rollback.sql"), "w") as f:
            f.write(down)
        with open(os.path.join(args.out, "dbmate", f"{version}_{name}.sql"), "w") as f:
            f.write(f"-- migrate:up\n{up}\n-- migrate:down\n{down}")
        checksum = hashlib.sha256(up.encode()).hexdigest()
        client.append("START TRANSACTION;")
        client.append(up.strip())
        client.append(
            "INSERT INTO schema_migrations (version, name, checksum, batch, applied_at, "
            f"duration_ms, backup_id) VALUES ('{version}', '{name}', '{checksum}', 1, "
            "DATE_FORMAT(UTC_TIMESTAMP(3), '%Y-%m-%dT%H:%i:%s.%fZ'), 0, NULL);")
        client.append("COMMIT;")
    with open(os.path.join(args.out, "client.sql"), "w") as f:
        f.write("\n".join(client) + "\n")


if __name__ == "__main__":
    main()
