#!/usr/bin/env bash
# Two builds of migrate side by side on SQLite, to show that a refactor did
# not make the common paths slower: `status` and `up` of 1,000 migrations,
# and backup and restore of a ~100 MB database. One hyperfine group per
# command, the two binaries interleaved in it, so the ratio NEW/OLD holds on
# a shared machine.
#
#   OLD=/path/to/old/migrate NEW=build/migrate bench/run_refactor_check.sh
#
# Environment: RUNS (hyperfine runs per command, default 10), MB (database
# size, default 100). Everything lives under bench/work/refactor/; results in
# bench/work/refactor/results.md (hyperfine's markdown export).
set -euo pipefail
BENCH="$(cd "$(dirname "$0")" && pwd)"
W="$BENCH/work/refactor"
RUNS="${RUNS:-10}"
MB="${MB:-100}"
: "${OLD:?OLD=path of the old binary}"
NEW="${NEW:-$BENCH/../build/migrate}"
rm -rf "$W" && mkdir -p "$W/bin" "$W/migrations"
cp "$OLD" "$W/bin/old" && cp "$NEW" "$W/bin/new"

# 1,000 small migrations, each with its rollback.
for i in $(seq 1 1000); do
  v=2026010100$(printf '%02d%02d' $((i / 60)) $((i % 60)))
  echo "CREATE TABLE t$i (id INTEGER PRIMARY KEY, v TEXT);" >"$W/migrations/${v}_t$i.sql"
  echo "DROP TABLE t$i;" >"$W/migrations/${v}_t${i}_rollback.sql"
done
# A database of about MB megabytes for backup and restore.
sqlite3 "$W/big.db" "CREATE TABLE r (id INTEGER PRIMARY KEY, v BLOB);
  WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $((MB * 1024)))
  INSERT INTO r SELECT x, randomblob(1000) FROM c;"

cd "$W"
for b in old new; do
  ./bin/$b -q -u "sqlite:./up-$b.db" -d migrations --backup-dir "backups-$b" up >/dev/null
  ./bin/$b -q -u "sqlite:./big.db" --backup-dir "big-$b" backup base >/dev/null
done
hyperfine -N -w 2 -r "$RUNS" --export-markdown status.md \
  -n old "./bin/old -q -u sqlite:./up-old.db -d migrations status" \
  -n new "./bin/new -q -u sqlite:./up-new.db -d migrations status"
hyperfine -w 1 -r "$RUNS" --export-markdown up.md \
  -p "rm -f up-old-x.db up-new-x.db" \
  -n old "./bin/old -q -u sqlite:./up-old-x.db -d migrations up --no-backup" \
  -n new "./bin/new -q -u sqlite:./up-new-x.db -d migrations up --no-backup"
hyperfine -w 1 -r "$RUNS" --export-markdown backup.md \
  -p "rm -rf bk-old bk-new" \
  -n old "./bin/old -q -u sqlite:./big.db --backup-dir bk-old backup" \
  -n new "./bin/new -q -u sqlite:./big.db --backup-dir bk-new backup"
hyperfine -w 1 -r "$RUNS" --export-markdown restore.md \
  -n old "./bin/old -q -u sqlite:./big.db --backup-dir big-old restore base --no-backup --yes" \
  -n new "./bin/new -q -u sqlite:./big.db --backup-dir big-new restore base --no-backup --yes"
cat status.md up.md backup.md restore.md >results.md
echo "results: $W/results.md"
