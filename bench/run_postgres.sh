#!/usr/bin/env bash
# PostgreSQL benchmarks for migrate (results: bench/POSTGRES_RESULTS.md).
#
#   bench/run_postgres.sh                     # gen backup restore up report
#   bench/run_postgres.sh gen backup ...      # any subset, in that order
#   bench/run_postgres.sh clean               # drop the databases, stop the server
#
# Sections:
#   gen      the ~1 GB database `bench` (users 2M rows, events 3M rows + 2 indexes,
#            files 60k x 2000 random bytes) unless it exists (REGEN=1: again)
#   backup   hyperfine: migrate backup vs pg_dump -Fc, pg_dump -Fp > /dev/null,
#            pg_dump -Fp | zstd -1; sizes of what each wrote
#   restore  hyperfine: migrate restore --no-backup vs pg_restore (into an empty database, as
#            pg_dump -Fc is meant to be used; and -j2) and psql -f of the plain dump; then
#            migrate restore and pg_restore interleaved (paired.py, PAIRED_RUNS iterations),
#            so that the shared machine's drift hits both sides of each ratio alike
#   up       hyperfine, with fsync and synchronous_commit on: 1,000 small migrations
#            (UP_KIND=ddl: a table, an index and a row each; UP_KIND=data: one INSERT each): migrate up (--no-backup and with its backup),
#            psql running the same statements in the same per-migration transactions with the
#            same bookkeeping rows, dbmate up; migrate up --atomic vs dbmate; and the floor:
#            psql -1 running the statements alone (no bookkeeping) in one transaction
#   report   prints the hyperfine tables and sizes
#
# Every measurement runs under `flock /tmp/migrate-bench.lock`, so that benchmarks of
# different engineers on this shared machine never overlap. The server is a private one
# (scripts/test-servers.sh with MIGRATE_TEST_SERVERS_DIR=/tmp/mts-pg-bench: fsync off, as for
# the tests; the same for every tool measured).
#
# hyperfine takes one --prepare per command (or one for all): every command here has its own.
#
# Environment: RUNS=3 (backup, restore), PAIRED_RUNS=5 (restore), UP_RUNS=5,
# MIGRATE=build/migrate (copied first).
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$BENCH")"
W="$BENCH/work/pg"
R="$W/results"
RUNS="${RUNS:-3}"
UP_RUNS="${UP_RUNS:-5}"
PAIRED_RUNS="${PAIRED_RUNS:-5}"
LOCK=/tmp/migrate-bench.lock
export MIGRATE_TEST_SERVERS_DIR=/tmp/mts-pg-bench
HF=(flock "$LOCK" hyperfine --style basic --shell bash)

log() { printf '== %s\n' "$*" >&2; }
mkdir -p "$W/bin" "$R" "$W/empty"

command -v hyperfine >/dev/null || { log "installing hyperfine"; apt-get install -y hyperfine >&2; }
command -v zstd >/dev/null || { log "installing zstd"; apt-get install -y zstd >&2; }
DBMATE="$W/../npm/node_modules/@dbmate/linux-x64/bin/dbmate"
if [[ ! -x $DBMATE ]]; then
  log "installing dbmate from npm"
  npm install --prefix "$W/../npm" dbmate >&2
fi
cp "${MIGRATE:-$ROOT/build/migrate}" "$W/bin/migrate.tmp" && mv "$W/bin/migrate.tmp" "$W/bin/migrate"
M="$W/bin/migrate"

if [[ ${1:-} == clean ]]; then
  "$ROOT/scripts/test-servers.sh" stop postgres
  rm -rf "$W/st" "$W/out"* "$W"/*.dump "$W"/*.sql*
  exit 0
fi

eval "$("$ROOT/scripts/test-servers.sh" start postgres)"
SERVER="$MIGRATE_TEST_POSTGRES_URL"
url_of() { echo "${SERVER/\/migrate_test\?//$1?}"; }
URL="$(url_of bench)"
PGBIN="$(dirname "$(readlink -f "$(command -v pg_dump)")")"
if [[ ! -x $PGBIN/pg_restore ]]; then PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1); fi
PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1)
sql() { "${PSQL[@]}" "$SERVER" -At -c "$1"; }
recreate() { sql "DROP DATABASE IF EXISTS $1 WITH (FORCE)" && sql "CREATE DATABASE $1"; }

# --- data ---------------------------------------------------------------------
section_gen() {
  if [[ ${REGEN:-0} != 1 && $(sql "SELECT count(*) FROM pg_database WHERE datname = 'bench'") == 1 ]]; then
    return 0
  fi
  log "generating the ~1 GB database 'bench'"
  recreate bench_gen
  flock "$LOCK" "${PSQL[@]}" "$(url_of bench_gen)" <<'SQL'
CREATE TYPE kind AS ENUM ('view', 'login', 'logout', 'purchase');
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, name text, created timestamptz,
                    score integer, balance numeric(12,2));
CREATE TABLE events (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id),
                     kind kind, payload text, amount double precision, at timestamptz);
CREATE TABLE files (id integer PRIMARY KEY, name text, data bytea);
INSERT INTO users SELECT g, 'user' || g || '@example.com', 'Name ' || (g::bigint * 7919 % 1000003),
  timestamptz '2024-01-01' + g * interval '17 seconds', g % 1000, (g % 100000) / 100.0
  FROM generate_series(1, 2000000) g;
INSERT INTO events SELECT g, 1 + (g * 31) % 2000000, (ARRAY['view','login','logout','purchase'])[1 + g % 4]::kind,
  'payload ' || md5(g::text) || ' lorem ipsum dolor sit amet', (g % 100) * 1.25,
  timestamptz '2024-01-01' + g * interval '3 seconds'
  FROM generate_series(1, 3000000) g;
CREATE INDEX events_user ON events (user_id);
CREATE INDEX events_at ON events (at);
INSERT INTO files SELECT g, 'file' || g,
  (SELECT decode(string_agg(md5(g::text || '-' || i || random()::text), ''), 'hex')
   FROM generate_series(1, 125) i)
  FROM generate_series(1, 60000) g;
CREATE VIEW big_spenders AS SELECT user_id, sum(amount) FROM events GROUP BY user_id HAVING sum(amount) > 100;
VACUUM ANALYZE;
SQL
  sql "DROP DATABASE IF EXISTS bench WITH (FORCE)"
  sql "ALTER DATABASE bench_gen RENAME TO bench"
  sql "SELECT pg_size_pretty(pg_database_size('bench'))" | sed 's/^/database size: /' >&2
}

# --- backup -------------------------------------------------------------------
section_backup() {
  log "backup"
  sql "SELECT 'database bytes ' || pg_database_size('bench')" >"$R/sizes.txt"
  "${HF[@]}" --warmup 1 --runs "$RUNS" \
    --export-json "$R/backup.json" --export-markdown "$R/backup.md" \
    -n "migrate backup" --prepare "rm -rf $W/st" \
      "$M backup --url '$URL' -d $W/empty -b $W/st -q" \
    -n "pg_dump -Fc" --prepare "rm -f $W/out.dump" \
      "$PGBIN/pg_dump -Fc -f $W/out.dump '$URL'" \
    -n "pg_dump -Fp > /dev/null" --prepare true \
      "$PGBIN/pg_dump -Fp '$URL' > /dev/null" \
    -n "pg_dump -Fp | zstd -1" --prepare "rm -f $W/out.sql.zst" \
      "$PGBIN/pg_dump -Fp '$URL' | zstd -q -1 > $W/out.sql.zst" >&2
  {
    echo "migrate artifact bytes $(stat -c %s "$W"/st/*.postgres.zst)"
    echo "pg_dump -Fc bytes $(stat -c %s "$W/out.dump")"
    echo "pg_dump -Fp | zstd -1 bytes $(stat -c %s "$W/out.sql.zst")"
  } >>"$R/sizes.txt"
  "$M" verify --url "$URL" -d "$W/empty" -b "$W/st" >&2
}

# --- restore ------------------------------------------------------------------
section_restore() {
  log "restore"
  [[ -f $W/out.dump && -d $W/st ]] || section_backup
  zstd -q -d -f "$W/out.sql.zst" -o "$W/out.sql"
  recreate bench_r
  # migrate restores into the populated copy (it empties it in its own transaction);
  # pg_restore and psql into an empty database.
  "$M" restore latest --yes --no-backup --url "$(url_of bench_r)" -d "$W/empty" -b "$W/st" -q
  local empty_p="${PSQL[*]} '$SERVER' -c 'DROP DATABASE IF EXISTS bench_p WITH (FORCE)' -c 'CREATE DATABASE bench_p'"
  "${HF[@]}" --runs "$RUNS" \
    --export-json "$R/restore.json" --export-markdown "$R/restore.md" \
    -n "migrate restore --no-backup" --prepare true \
      "$M restore latest --yes --no-backup --url '$(url_of bench_r)' -d $W/empty -b $W/st -q" \
    -n "pg_restore" --prepare "$empty_p" \
      "$PGBIN/pg_restore --exit-on-error -d '$(url_of bench_p)' $W/out.dump" \
    -n "pg_restore -j2" --prepare "$empty_p" \
      "$PGBIN/pg_restore -j2 --exit-on-error -d '$(url_of bench_p)' $W/out.dump" \
    -n "psql -1 -f plain dump" --prepare "$empty_p" \
      "${PSQL[*]} -1 -o /dev/null -f $W/out.sql '$(url_of bench_p)'" >&2
  log "restore, interleaved (paired.py, $PAIRED_RUNS iterations)"
  flock "$LOCK" python3 "$BENCH/paired.py" --runs "$PAIRED_RUNS" --warmup 0 \
    --export-json "$R/restore-paired.json" --export-markdown "$R/restore-paired.md" \
    -n "migrate restore --no-backup" --prepare true \
      "$M restore latest --yes --no-backup --url '$(url_of bench_r)' -d $W/empty -b $W/st -q" \
    -n "pg_restore" --prepare "$empty_p" \
      "$PGBIN/pg_restore --exit-on-error -d '$(url_of bench_p)' $W/out.dump" \
    --ratio "migrate restore --no-backup/pg_restore" >&2
  sql "DROP DATABASE IF EXISTS bench_p WITH (FORCE)"
  sql "DROP DATABASE IF EXISTS bench_r WITH (FORCE)"
  rm -f "$W/out.sql"
}

# --- up -----------------------------------------------------------------------
# 1,000 small migrations (a table, an index, a row), as migrate and dbmate files, and
# as one psql script doing what migrate does: per migration BEGIN, the statements,
# the bookkeeping row, COMMIT.
make_migrations() {
  rm -rf "$W/mig" "$W/dbmate" && mkdir -p "$W/mig" "$W/dbmate"
  python3 - "$W" "${1:-ddl}" <<'PY'
import datetime, hashlib, os, sys
w, kind = sys.argv[1], sys.argv[2]
start = datetime.datetime(2026, 1, 1)
psql = [
    "CREATE TABLE IF NOT EXISTS schema_migrations (version varchar(255) PRIMARY KEY, name text NOT NULL "
    "DEFAULT '', checksum text NOT NULL DEFAULT '', batch bigint NOT NULL DEFAULT 0, applied_at text NOT "
    "NULL DEFAULT '', duration_ms bigint NOT NULL DEFAULT 0, backup_id text);"]
for i in range(1, 1001):
    version = (start + datetime.timedelta(minutes=i)).strftime("%Y%m%d%H%M%S")
    if kind == "ddl":
        body = (f"CREATE TABLE t{i} (id bigint PRIMARY KEY, name text NOT NULL, at timestamptz DEFAULT now());\n"
                f"CREATE INDEX t{i}_name ON t{i} (name);\n"
                f"INSERT INTO t{i} (id, name) VALUES (1, 'row {i}');\n")
    elif i == 1:
        body = "CREATE TABLE settings (k text PRIMARY KEY, v text);\n"
    else:  # data migrations: one row each
        body = f"INSERT INTO settings VALUES ('key {i}', 'value {i}');\n"
    with open(f"{w}/mig/{version}_step_{i}.sql", "w") as f:
        f.write(body)
    with open(f"{w}/dbmate/{version}_step_{i}.sql", "w") as f:
        f.write("-- migrate:up\n" + body + "\n-- migrate:down\n" + f"DROP TABLE t{i};\n")
    checksum = hashlib.sha256(body.encode()).hexdigest()
    psql.append("BEGIN;\n" + body +
                f"INSERT INTO schema_migrations (version, name, checksum, batch, applied_at, duration_ms) "
                f"VALUES ('{version}', 'step_{i}', '{checksum}', 1, "
                f"to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), 1);\nCOMMIT;")
with open(f"{w}/up.sql", "w") as f:
    f.write("\n".join(psql) + "\n")
# The floor for any client: the statements alone in one transaction, no bookkeeping.
with open(f"{w}/floor.sql", "w") as f:
    f.write("".join(b.split("\n", 1)[1].rsplit("INSERT INTO schema_migrations", 1)[0] for b in psql[1:]))
PY
}

# The test server does not fsync; `up` is measured with durable commits (as
# in production), since what --atomic saves is mostly commits.
durable() {
  local setting
  for setting in fsync synchronous_commit full_page_writes; do
    if [[ $1 == on ]]; then sql "ALTER SYSTEM SET $setting = on" >/dev/null
    else sql "ALTER SYSTEM RESET $setting" >/dev/null; fi
  done
  sql "SELECT pg_reload_conf()" >/dev/null
}

section_up() {
  local kind=${UP_KIND:-ddl}
  log "up (durable commits, $kind migrations)"
  make_migrations "$kind"
  # The bench server is shared with the other sections and with other engineers' runs of
  # them: the lock is held from switching durability on until it is off again, so that no
  # other measurement runs on a server in this state (hyperfine runs without flock here).
  local lock_fd
  exec {lock_fd}>"$LOCK"
  flock "$lock_fd"
  durable on
  trap "durable off; exec $lock_fd>&-; trap - RETURN" RETURN
  local U prep
  U="$(url_of bench_up)"
  prep="${PSQL[*]} '$SERVER' -c 'DROP DATABASE IF EXISTS bench_up WITH (FORCE)' -c 'CREATE DATABASE bench_up' && rm -rf $W/st_up"
  "${HF[@]:2}" --runs "$UP_RUNS" --warmup 1 \
    --export-json "$R/up-$kind.json" --export-markdown "$R/up-$kind.md" \
    -n "migrate up --no-backup" --prepare "$prep" \
      "$M up --no-backup --url '$U' -d $W/mig -b $W/st_up -q" \
    -n "migrate up" --prepare "$prep" \
      "$M up --url '$U' -d $W/mig -b $W/st_up -q" \
    -n "psql (same transactions and rows)" --prepare "$prep" \
      "${PSQL[*]} -o /dev/null -f $W/up.sql '$U'" \
    -n "dbmate up" --prepare "$prep" \
      "$DBMATE --url '$U' --migrations-dir $W/dbmate --no-dump-schema up > /dev/null" \
    -n "migrate up --atomic --no-backup" --prepare "$prep" \
      "$M up --atomic --no-backup --url '$U' -d $W/mig -b $W/st_up -q" \
    -n "psql -1, the statements alone (floor)" --prepare "$prep" \
      "${PSQL[*]} -1 -o /dev/null -f $W/floor.sql '$U'" >&2
  # what was measured did the work
  [[ $(sql "SELECT count(*) FROM pg_database WHERE datname = 'bench_up'") == 1 ]]
  local n
  n=$("${PSQL[@]}" -At "$U" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
  [[ $n == 1 || $n == 1000 ]] || { log "up: the floor script made $n tables"; exit 1; }
  "${PSQL[@]}" -q "$SERVER" -c 'DROP DATABASE bench_up WITH (FORCE)' -c 'CREATE DATABASE bench_up'
  "$M" up --atomic --no-backup --url "$U" -d "$W/mig" -b "$W/st_up" -q >/dev/null
  n=$("${PSQL[@]}" -At "$U" -c "SELECT count(*) FROM schema_migrations")
  [[ $n == 1000 ]] || { log "up: expected 1000 rows in schema_migrations, found $n"; exit 1; }
  sql "DROP DATABASE IF EXISTS bench_up WITH (FORCE)"
}

section_report() {
  local f
  for f in backup restore restore-paired up-ddl up-data; do
    [[ -f $R/$f.md ]] && { echo "### $f"; cat "$R/$f.md"; echo; }
  done
  [[ -f $R/sizes.txt ]] && { echo "### sizes"; cat "$R/sizes.txt"; }
  python3 - "$R" <<'PY'
import json, os, sys
r = sys.argv[1]
def means(name):
    path = f"{r}/{name}.json"
    if not os.path.exists(path): return {}
    return {x["command"]: x["mean"] for x in json.load(open(path))["results"]}
b, s = means("backup"), means("restore")
def ratio(d, a, c):
    if a in d and c in d: print(f"{a} / {c}: {d[a] / d[c]:.2f}")
print("### ratios (means)")
ratio(b, "migrate backup", "pg_dump -Fc")
ratio(b, "migrate backup", "pg_dump -Fp > /dev/null")
ratio(b, "migrate backup", "pg_dump -Fp | zstd -1")
ratio(s, "migrate restore --no-backup", "pg_restore")
ratio(s, "migrate restore --no-backup", "pg_restore -j2")
for kind in ("ddl", "data"):
    u = means("up-" + kind)
    print(kind + ":")
    ratio(u, "migrate up --no-backup", "psql (same transactions and rows)")
    ratio(u, "migrate up", "psql (same transactions and rows)")
    ratio(u, "dbmate up", "migrate up --atomic --no-backup")
    ratio(u, "migrate up --atomic --no-backup", "psql -1, the statements alone (floor)")
    ratio(u, "dbmate up", "psql -1, the statements alone (floor)")
PY
}

sections=("$@")
((${#sections[@]})) || sections=(gen backup restore up report)
for s in "${sections[@]}"; do
  case $s in backup | restore) section_gen ;; esac
  "section_$s"
done
