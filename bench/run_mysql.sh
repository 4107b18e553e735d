#!/usr/bin/env bash
# MySQL/MariaDB benchmarks for migrate (results: bench/MYSQL_RESULTS.md).
#
#   bench/run_mysql.sh [gen] [backup] [restore] [restore-paired] [up]
#                                        (default: gen backup restore up, in this order)
#
#   gen      create the ~300 MB database `bench` if missing (REGEN=1: again)
#   backup   hyperfine: migrate backup vs mariadb-dump --single-transaction | zstd
#            (and | zstd -1 -T2, and without compression, for information)
#   restore  hyperfine: migrate restore --no-backup vs mariadb < dump.sql
#   restore-paired  the same two commands alternated PAIRS times (default 5): the ratio of
#            each pair and their median, which drift on the shared machine moves less
#   up       hyperfine: migrate up of 1,000 small migrations (with its pre-up backup, and
#            --no-backup) vs the mariadb client running the same statements with the same
#            bookkeeping (bench/generate_mysql.py), vs dbmate
#
# The server is the project's throwaway MariaDB (scripts/test-servers.sh) started under
# MIGRATE_TEST_SERVERS_DIR=/tmp/mts-mysql-bench; it stays up for later runs (stop it with
# MIGRATE_TEST_SERVERS_DIR=/tmp/mts-mysql-bench scripts/test-servers.sh stop mariadb).
# The machine is shared: every hyperfine group runs under flock /tmp/migrate-bench.lock so
# that benchmarks of different engineers never overlap; load.txt records what else ran.
#
# Environment: W=bench/work/mysql (scratch, results in $W/results), RUNS=5 (backup,
# restore), UP_RUNS=5, MIGRATE=build/migrate (copied to $W/bin first),
# DBMATE=bench/work/npm/node_modules/.bin/dbmate (npm install --prefix bench/work/npm dbmate).
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$BENCH")"
W="${W:-$ROOT/bench/work/mysql}"
R="$W/results"
RUNS="${RUNS:-5}"
UP_RUNS="${UP_RUNS:-5}"
DBMATE="${DBMATE:-$ROOT/bench/work/npm/node_modules/.bin/dbmate}"
export MIGRATE_TEST_SERVERS_DIR="${MIGRATE_TEST_SERVERS_DIR:-/tmp/mts-mysql-bench}"
LOCK=/tmp/migrate-bench.lock
sections=("$@")
((${#sections[@]})) || sections=(gen backup restore up)

log() { echo "run_mysql: $*" >&2; }
mkdir -p "$W/bin" "$R"
cp -f "${MIGRATE:-$ROOT/build/migrate}" "$W/bin/migrate"
MIGRATE="$W/bin/migrate"

eval "$("$ROOT/scripts/test-servers.sh" start mariadb)"
PORT=$(cat "$MIGRATE_TEST_SERVERS_DIR/mariadb/port")
export MYSQL_PWD=migrate-test-pw  # the throwaway server's test password
CONN="--no-defaults --protocol=TCP --host=127.0.0.1 --port=$PORT --user=migrate"
URL="mysql://migrate:migrate-test-pw@127.0.0.1:$PORT/bench"
UP_URL="mysql://migrate:migrate-test-pw@127.0.0.1:$PORT/up_bench"
client() { mariadb $CONN "$@"; }
DUMP="mariadb-dump $CONN --single-transaction --routines --triggers --events bench"

machine_state() {  # machine_state GROUP
  { echo "== $1 $(date -u +%FT%TZ)"; uptime; free -m | head -2
    ps -eo pcpu,comm --sort=-pcpu | head -6; } >>"$R/load.txt"
}
expect() {  # expect WHAT ACTUAL WANTED
  if [[ "$2" != "$3" ]]; then echo "check failed: $1: got '$2', wanted '$3'" >&2; exit 1; fi
}

gen() {
  if [[ -z ${REGEN:-} ]] && [[ $(client -N -e "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'bench'") == 3 ]]; then
    return 0
  fi
  log "generating the ~300 MB database 'bench'"
  client -e "DROP DATABASE IF EXISTS bench; CREATE DATABASE bench"
  client bench <<'SQL'
CREATE TABLE users (
  id int PRIMARY KEY, email varchar(120) NOT NULL UNIQUE, name varchar(100) NOT NULL,
  joined datetime NOT NULL, score int NOT NULL, bio varchar(200)) ENGINE=InnoDB;
CREATE TABLE events (
  id bigint AUTO_INCREMENT PRIMARY KEY, user_id int NOT NULL, kind enum('view','click','buy') NOT NULL,
  payload varchar(64) NOT NULL, at datetime NOT NULL, KEY by_user (user_id, at),
  CONSTRAINT fk_events_user FOREIGN KEY (user_id) REFERENCES users (id)) ENGINE=InnoDB;
CREATE TABLE totals (user_id int PRIMARY KEY, events int NOT NULL) ENGINE=InnoDB;
INSERT INTO users SELECT seq, CONCAT('user', seq, '@example.com'), CONCAT('User number ', seq),
  '2026-01-01' + INTERVAL seq SECOND, seq % 1000, REPEAT(CHAR(97 + seq % 26), 50 + seq % 100)
  FROM seq_1_to_1000000;
INSERT INTO events (user_id, kind, payload, at) SELECT 1 + seq % 1000000, 1 + seq % 3,
  MD5(seq), '2026-06-01' + INTERVAL seq SECOND FROM seq_1_to_1200000;
DELIMITER //
CREATE TRIGGER events_total AFTER INSERT ON events FOR EACH ROW
BEGIN
  INSERT INTO totals VALUES (NEW.user_id, 1) ON DUPLICATE KEY UPDATE events = events + 1;
END //
CREATE PROCEDURE top_users(IN n int) BEGIN SELECT user_id FROM totals ORDER BY events DESC LIMIT n; END //
DELIMITER ;
SQL
}

for section in "${sections[@]}"; do
  case $section in
    gen) gen ;;
    backup)
      gen
      $DUMP | wc -c | awk '{printf "run_mysql: dump size %.0f MB\n", $1 / 1e6}' >&2
      machine_state backup
      flock "$LOCK" hyperfine --runs "$RUNS" --warmup 1 --export-markdown "$R/backup.md" \
        --export-json "$R/backup.json" --prepare "rm -rf $W/store" \
        -n "migrate backup" "$MIGRATE -q -u $URL -b $W/store backup" \
        -n "mariadb-dump | zstd" "$DUMP | zstd -q > $W/dump.sql.zst" \
        -n "mariadb-dump | zstd -1 -T2" "$DUMP | zstd -q -1 -T2 > $W/dump1.sql.zst" \
        -n "mariadb-dump" "$DUMP > $W/dump.sql"
      ;;
    restore)
      gen
      [[ -f $W/dump.sql ]] || $DUMP >"$W/dump.sql"
      rm -rf "$W/rstore"
      "$MIGRATE" -q -u "$URL" -b "$W/rstore" backup >/dev/null
      machine_state restore
      flock "$LOCK" hyperfine --runs "$RUNS" --warmup 1 --export-markdown "$R/restore.md" \
        --export-json "$R/restore.json" \
        -n "migrate restore --no-backup" "$MIGRATE -q -u $URL -b $W/rstore restore latest --yes --no-backup" \
        -n "mariadb < dump.sql" "mariadb $CONN bench < $W/dump.sql"
      # Both left the database as it was: the server's own dump says so.
      $DUMP --skip-dump-date >"$W/after_client.sql"
      "$MIGRATE" -q -u "$URL" -b "$W/rstore" restore latest --yes --no-backup
      $DUMP --skip-dump-date >"$W/after_migrate.sql"
      cmp "$W/after_client.sql" "$W/after_migrate.sql" && log "restore check: dumps equal"
      ;;
    restore-paired)
      gen
      [[ -f $W/dump.sql ]] || $DUMP >"$W/dump.sql"
      [[ -d $W/rstore ]] || "$MIGRATE" -q -u "$URL" -b "$W/rstore" backup >/dev/null
      machine_state restore-paired
      seconds() { local s; s=$(date +%s.%N); "$@" >/dev/null; echo "$(date +%s.%N) - $s" | bc; }
      flock "$LOCK" bash -c "$(declare -f seconds); for i in \$(seq ${PAIRS:-5}); do
          m=\$(seconds $MIGRATE -q -u $URL -b $W/rstore restore latest --yes --no-backup)
          c=\$(seconds sh -c 'mariadb $CONN bench < $W/dump.sql')
          echo \"\$m \$c \$(echo \"scale=3; \$m / \$c\" | bc)\"
        done" >"$R/restore-paired.txt"
      awk '{print "run_mysql: migrate " $1 " s, client " $2 " s, ratio " $3}' "$R/restore-paired.txt" >&2
      cut -d' ' -f3 "$R/restore-paired.txt" | sort -n |
        awk '{r[NR] = $1} END {print "run_mysql: median ratio " r[int((NR + 1) / 2)] " of " NR " pairs"}' >&2
      ;;
    up)
      python3 "$BENCH/generate_mysql.py" --count 1000 --out "$W/m1k"
      fresh="mariadb $CONN -e 'DROP DATABASE IF EXISTS up_bench; CREATE DATABASE up_bench'; rm -rf $W/ustore"
      count() { client -N up_bench -e "SELECT count(*) FROM schema_migrations"; }
      eval "$fresh"; "$MIGRATE" -q -u "$UP_URL" -b "$W/ustore" --dir "$W/m1k/migrate" up
      expect "migrate rows" "$(count)" 1000
      eval "$fresh"; client up_bench <"$W/m1k/client.sql"
      expect "client rows" "$(count)" 1000
      eval "$fresh"; "$DBMATE" --url "$UP_URL" --migrations-dir "$W/m1k/dbmate" --no-dump-schema up >/dev/null
      expect "dbmate rows" "$(count)" 1000
      machine_state up
      flock "$LOCK" hyperfine --runs "$UP_RUNS" --export-markdown "$R/up.md" --export-json "$R/up.json" \
        --prepare "$fresh" \
        -n "migrate up" "$MIGRATE -q -u $UP_URL -b $W/ustore --dir $W/m1k/migrate up" \
        -n "migrate up --no-backup" "$MIGRATE -q -u $UP_URL -b $W/ustore --dir $W/m1k/migrate up --no-backup" \
        -n "mariadb < client.sql" "mariadb $CONN up_bench < $W/m1k/client.sql" \
        -n "dbmate up" "$DBMATE --url $UP_URL --migrations-dir $W/m1k/dbmate --no-dump-schema up"
      ;;
    *) echo "unknown section '$section'" >&2; exit 2 ;;
  esac
done
