#!/usr/bin/env bash
# Focused backup/restore check: a new and an old migrate binary against the peer tool, side by
# side in one hyperfine invocation, at a reduced scale (results: bench/RESULTS.md rows 4 and 5,
# details in bench/POSTGRES_RESULTS.md and bench/MYSQL_RESULTS.md).
#
#   NEW=/work/bench-clone/build/migrate OLD=/work/bench-old/build/migrate \
#     bench/run_restore_check.sh [pg-gen] [pg-backup] [pg-backup-paired] [pg-restore]
#                                [my-gen] [my-backup] [my-restore] [clean]
#   (default: all but clean, in this order. Timings on 2 cores at load 2-5, 2026-12-03: pg-gen
#   12 s, pg-backup 40 s, pg-backup-paired 70 s (5 iterations), pg-restore 80 s, my-gen 15 s
#   (MY_SCALE=1: 25 s), my-backup 30-40 s, my-restore 3.5 min (MY_SCALE=1: 6-9 min); about
#   10 min in all at the default scale. Backups of bench_pg are restored into bench_pg_r by
#   their full id: `latest` names only the URL's own backups.)
#
#   pg-gen      database bench_pg: run_postgres.sh's generator scaled by PG_SCALE (default 0.25:
#               users 500k, events 750k + 2 indexes, files 15k x 2000 random bytes, a view;
#               ~250 MB pg_database_size)
#   pg-backup   hyperfine: new migrate backup, old migrate backup, pg_dump -Fc, pg_dump -Fp > /dev/null
#   pg-backup-paired  the same four interleaved (paired.py, PAIRED_RUNS iterations)
#   pg-restore  hyperfine: new and old migrate restore --no-backup (into the populated copy
#               bench_pg_r, as run_postgres.sh) vs pg_restore (into bench_pg_p created empty in
#               --prepare); then the three interleaved (paired.py, PAIRED_RUNS iterations)
#   my-gen      database bench_my: run_mysql.sh's generator scaled by MY_SCALE (default 0.7:
#               users 700k, events 840k, totals by trigger, a procedure; ~200 MB dump)
#   my-backup   hyperfine: new, old migrate backup vs mariadb-dump --single-transaction | zstd
#   my-restore  hyperfine: new, old migrate restore --no-backup vs mariadb bench_my < dump.sql;
#               then the three alternated PAIRS times (paired.py)
#   pg-restore-paired, my-restore-paired  only the interleaved part of those (after them)
#   clean       drop bench_pg, bench_pg_r, bench_pg_p, bench_my and the scratch files
#
# Servers: the running test servers (source /tmp/migrate-test-servers/env: PostgreSQL 15 with
# fsync off, MariaDB 10.11 with a 64 MB buffer pool), the same for every tool. Every group runs
# under flock /tmp/migrate-bench.lock; $R/load.txt gets uptime before each group.
# Environment: NEW, OLD (binaries, copied to $W/bin first), RUNS=3, PAIRED_RUNS=3, PAIRS=3,
# W=bench/work/check.
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$BENCH")"
W="${W:-$BENCH/work/check}"
R="$W/results"
RUNS="${RUNS:-3}"
PAIRED_RUNS="${PAIRED_RUNS:-3}"
PAIRS="${PAIRS:-3}"
PG_SCALE="${PG_SCALE:-0.25}"
MY_SCALE="${MY_SCALE:-0.7}"
LOCK=/tmp/migrate-bench.lock
HF=(flock "$LOCK" hyperfine --style basic --shell bash)
sections=("$@")
((${#sections[@]})) || sections=(pg-gen pg-backup pg-backup-paired pg-restore my-gen my-backup my-restore)

log() { printf '== %s\n' "$*" >&2; }
mkdir -p "$W/bin" "$R" "$W/empty"
cp -f "${NEW:-$ROOT/build/migrate}" "$W/bin/new"
cp -f "${OLD:?OLD=path of the pre-fix binary}" "$W/bin/old"
N="$W/bin/new" O="$W/bin/old"
load() { { echo "== $1 $(date -u +%FT%TZ)"; uptime; } >>"$R/load.txt"; uptime >&2; }

# shellcheck disable=SC1091
source /tmp/migrate-test-servers/env
SERVER="$MIGRATE_TEST_POSTGRES_URL"
url_of() { echo "${SERVER/\/migrate_test\?//$1?}"; }
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
sql() { "${PSQL[@]}" "$SERVER" -At -c "$1"; }
recreate() { sql "DROP DATABASE IF EXISTS $1 WITH (FORCE)" && sql "CREATE DATABASE $1"; }
id_in() { local f; f=$(ls "$1"/*.json | head -1); basename "$f" .json; }
n() { python3 -c "print(int($1 * $2))"; }

MYPORT="${MIGRATE_TEST_MYSQL_URL##*@127.0.0.1:}"; MYPORT="${MYPORT%%/*}"
export MYSQL_PWD=migrate-test-pw  # the throwaway server's test password
CONN="--no-defaults --protocol=TCP --host=127.0.0.1 --port=$MYPORT --user=migrate"
MYURL="mysql://migrate:migrate-test-pw@127.0.0.1:$MYPORT/bench_my"
client() { mariadb $CONN "$@"; }
DUMP="mariadb-dump $CONN --single-transaction --routines --triggers --events bench_my"

pg_gen() {
  local users events files
  users=$(n 2000000 "$PG_SCALE") events=$(n 3000000 "$PG_SCALE") files=$(n 60000 "$PG_SCALE")
  log "generating bench_pg: users $users, events $events, files $files"
  recreate bench_pg
  "${PSQL[@]}" "$(url_of bench_pg)" <<SQL
CREATE TYPE kind AS ENUM ('view', 'login', 'logout', 'purchase');
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, name text, created timestamptz,
                    score integer, balance numeric(12,2));
CREATE TABLE events (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id),
                     kind kind, payload text, amount double precision, at timestamptz);
CREATE TABLE files (id integer PRIMARY KEY, name text, data bytea);
INSERT INTO users SELECT g, 'user' || g || '@example.com', 'Name ' || (g::bigint * 7919 % 1000003),
  timestamptz '2024-01-01' + g * interval '17 seconds', g % 1000, (g % 100000) / 100.0
  FROM generate_series(1, $users) g;
INSERT INTO events SELECT g, 1 + (g * 31) % $users, (ARRAY['view','login','logout','purchase'])[1 + g % 4]::kind,
  'payload ' || md5(g::text) || ' lorem ipsum dolor sit amet', (g % 100) * 1.25,
  timestamptz '2024-01-01' + g * interval '3 seconds'
  FROM generate_series(1, $events) g;
CREATE INDEX events_user ON events (user_id);
CREATE INDEX events_at ON events (at);
INSERT INTO files SELECT g, 'file' || g,
  (SELECT decode(string_agg(md5(g::text || '-' || i || random()::text), ''), 'hex')
   FROM generate_series(1, 125) i)
  FROM generate_series(1, $files) g;
CREATE VIEW big_spenders AS SELECT user_id, sum(amount) FROM events GROUP BY user_id HAVING sum(amount) > 100;
VACUUM ANALYZE;
SQL
  sql "SELECT 'bench_pg bytes ' || pg_database_size('bench_pg')" | tee "$R/pg-sizes.txt" >&2
}

pg_backup() {
  local U; U="$(url_of bench_pg)"
  load pg-backup
  "${HF[@]}" --warmup 1 --runs "$RUNS" --export-json "$R/pg-backup.json" --export-markdown "$R/pg-backup.md" \
    -n "new migrate backup" --prepare "rm -rf $W/pst-new" "$N backup --url '$U' -d $W/empty -b $W/pst-new -q" \
    -n "old migrate backup" --prepare "rm -rf $W/pst-old" "$O backup --url '$U' -d $W/empty -b $W/pst-old -q" \
    -n "pg_dump -Fc" --prepare "rm -f $W/pg.dump" "pg_dump -Fc -f $W/pg.dump '$U'" \
    -n "pg_dump -Fp to null" --prepare true "pg_dump -Fp '$U' > /dev/null" >&2
  { echo "new artifact bytes $(stat -c %s "$W"/pst-new/*.zst)"
    echo "old artifact bytes $(stat -c %s "$W"/pst-old/*.zst)"
    echo "pg_dump -Fc bytes $(stat -c %s "$W/pg.dump")"; } | tee -a "$R/pg-sizes.txt" >&2
}

pg_backup_paired() {  # the same four commands interleaved, PAIRED_RUNS iterations
  local U; U="$(url_of bench_pg)"
  load pg-backup-paired
  flock "$LOCK" python3 "$BENCH/paired.py" --runs "$PAIRED_RUNS" --warmup 1 \
    --export-json "$R/pg-backup-paired.json" --export-markdown "$R/pg-backup-paired.md" \
    -n "new migrate backup" --prepare "rm -rf $W/pst-new" "$N backup --url '$U' -d $W/empty -b $W/pst-new -q" \
    -n "old migrate backup" --prepare "rm -rf $W/pst-old" "$O backup --url '$U' -d $W/empty -b $W/pst-old -q" \
    -n "pg_dump -Fc" --prepare "rm -f $W/pg.dump" "pg_dump -Fc -f $W/pg.dump '$U'" \
    -n "pg_dump -Fp to null" --prepare true "pg_dump -Fp '$U' > /dev/null" \
    --ratio "new migrate backup/pg_dump -Fc" --ratio "old migrate backup/pg_dump -Fc" \
    --ratio "new migrate backup/pg_dump -Fp to null" \
    --ratio "old migrate backup/pg_dump -Fp to null" \
    --ratio "new migrate backup/old migrate backup" >&2
}

pg_restore_check() {
  [[ -f $W/pg.dump && -d $W/pst-new && -d $W/pst-old ]] || pg_backup
  local RU PU empty_p
  RU="$(url_of bench_pg_r)" PU="$(url_of bench_pg_p)"
  recreate bench_pg_r
  # a backup of another database is named by its full id (file name stem); `latest` is this URL's
  local IN IO; IN=$(id_in "$W/pst-new") IO=$(id_in "$W/pst-old")
  "$N" restore "$IN" --yes --no-backup --url "$RU" -d "$W/empty" -b "$W/pst-new" -q
  empty_p="${PSQL[*]} '$SERVER' -c 'DROP DATABASE IF EXISTS bench_pg_p WITH (FORCE)' -c 'CREATE DATABASE bench_pg_p'"
  load pg-restore
  "${HF[@]}" --runs "$RUNS" --export-json "$R/pg-restore.json" --export-markdown "$R/pg-restore.md" \
    -n "new migrate restore" --prepare true "$N restore $IN --yes --no-backup --url '$RU' -d $W/empty -b $W/pst-new -q" \
    -n "old migrate restore" --prepare true "$O restore $IO --yes --no-backup --url '$RU' -d $W/empty -b $W/pst-old -q" \
    -n "pg_restore" --prepare "$empty_p" "pg_restore --exit-on-error -d '$PU' $W/pg.dump" >&2
  pg_restore_paired
}

pg_restore_paired() {
  local RU PU empty_p IN IO
  RU="$(url_of bench_pg_r)" PU="$(url_of bench_pg_p)" IN=$(id_in "$W/pst-new") IO=$(id_in "$W/pst-old")
  empty_p="${PSQL[*]} '$SERVER' -c 'DROP DATABASE IF EXISTS bench_pg_p WITH (FORCE)' -c 'CREATE DATABASE bench_pg_p'"
  load pg-restore-paired
  flock "$LOCK" python3 "$BENCH/paired.py" --runs "$PAIRED_RUNS" --warmup 0 \
    --export-json "$R/pg-restore-paired.json" --export-markdown "$R/pg-restore-paired.md" \
    -n "new migrate restore" --prepare true "$N restore $IN --yes --no-backup --url '$RU' -d $W/empty -b $W/pst-new -q" \
    -n "old migrate restore" --prepare true "$O restore $IO --yes --no-backup --url '$RU' -d $W/empty -b $W/pst-old -q" \
    -n "pg_restore" --prepare "$empty_p" "pg_restore --exit-on-error -d '$PU' $W/pg.dump" \
    --ratio "new migrate restore/pg_restore" --ratio "old migrate restore/pg_restore" \
    --ratio "new migrate restore/old migrate restore" >&2
  # timed phases of one new restore, for the record
  "$N" -v restore "$IN" --yes --no-backup --url "$RU" -d "$W/empty" -b "$W/pst-new" >"$R/pg-restore-v.log" 2>&1 || true
}

my_gen() {
  local users events
  users=$(n 1000000 "$MY_SCALE") events=$(n 1200000 "$MY_SCALE")
  log "generating bench_my: users $users, events $events"
  client -e "DROP DATABASE IF EXISTS bench_my; CREATE DATABASE bench_my"
  client bench_my <<SQL
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
  FROM seq_1_to_$users;
INSERT INTO events (user_id, kind, payload, at) SELECT 1 + seq % $users, 1 + seq % 3,
  MD5(seq), '2026-06-01' + INTERVAL seq SECOND FROM seq_1_to_$events;
DELIMITER //
CREATE TRIGGER events_total AFTER INSERT ON events FOR EACH ROW
BEGIN
  INSERT INTO totals VALUES (NEW.user_id, 1) ON DUPLICATE KEY UPDATE events = events + 1;
END //
CREATE PROCEDURE top_users(IN n int) BEGIN SELECT user_id FROM totals ORDER BY events DESC LIMIT n; END //
DELIMITER ;
SQL
  $DUMP >"$W/my.sql"
  echo "bench_my dump bytes $(stat -c %s "$W/my.sql")" | tee "$R/my-sizes.txt" >&2
}

my_backup() {
  load my-backup
  "${HF[@]}" --warmup 1 --runs "$RUNS" --export-json "$R/my-backup.json" --export-markdown "$R/my-backup.md" \
    -n "new migrate backup" --prepare "rm -rf $W/mst-new" "$N -q -u $MYURL -d $W/empty -b $W/mst-new backup" \
    -n "old migrate backup" --prepare "rm -rf $W/mst-old" "$O -q -u $MYURL -d $W/empty -b $W/mst-old backup" \
    -n "mariadb-dump | zstd" --prepare "rm -f $W/my.sql.zst" "$DUMP | zstd -q > $W/my.sql.zst" >&2
  { echo "new artifact bytes $(stat -c %s "$W"/mst-new/*.zst)"
    echo "old artifact bytes $(stat -c %s "$W"/mst-old/*.zst)"
    echo "mariadb-dump | zstd bytes $(stat -c %s "$W/my.sql.zst")"; } | tee -a "$R/my-sizes.txt" >&2
}

my_restore() {
  [[ -f $W/my.sql ]] || $DUMP >"$W/my.sql"
  [[ -d $W/mst-new && -d $W/mst-old ]] || my_backup
  load my-restore
  "${HF[@]}" --warmup 1 --runs "$RUNS" --export-json "$R/my-restore.json" --export-markdown "$R/my-restore.md" \
    -n "new migrate restore" --prepare true "$N -q -u $MYURL -d $W/empty -b $W/mst-new restore latest --yes --no-backup" \
    -n "old migrate restore" --prepare true "$O -q -u $MYURL -d $W/empty -b $W/mst-old restore latest --yes --no-backup" \
    -n "mariadb < dump.sql" --prepare true "mariadb $CONN bench_my < $W/my.sql" >&2
  my_restore_paired
}

my_restore_paired() {
  load my-restore-paired
  flock "$LOCK" python3 "$BENCH/paired.py" --runs "$PAIRS" --warmup 0 \
    --export-json "$R/my-restore-paired.json" --export-markdown "$R/my-restore-paired.md" \
    -n "new migrate restore" --prepare true "$N -q -u $MYURL -d $W/empty -b $W/mst-new restore latest --yes --no-backup" \
    -n "old migrate restore" --prepare true "$O -q -u $MYURL -d $W/empty -b $W/mst-old restore latest --yes --no-backup" \
    -n "mariadb < dump.sql" --prepare true "mariadb $CONN bench_my < $W/my.sql" \
    --ratio "new migrate restore/mariadb < dump.sql" --ratio "old migrate restore/mariadb < dump.sql" \
    --ratio "new migrate restore/old migrate restore" >&2
  "$N" -v -u "$MYURL" -d "$W/empty" -b "$W/mst-new" restore latest --yes --no-backup >"$R/my-restore-v.log" 2>&1 || true
}

for s in "${sections[@]}"; do
  case $s in
    pg-gen) pg_gen ;;
    pg-backup) pg_backup ;;
    pg-backup-paired) pg_backup_paired ;;
    pg-restore) pg_restore_check ;;
    pg-restore-paired) pg_restore_paired ;;
    my-gen) my_gen ;;
    my-backup) my_backup ;;
    my-restore) my_restore ;;
    my-restore-paired) my_restore_paired ;;
    clean)
      for d in bench_pg bench_pg_r bench_pg_p; do sql "DROP DATABASE IF EXISTS $d WITH (FORCE)"; done
      client -e "DROP DATABASE IF EXISTS bench_my"
      rm -rf "$W"/pst-* "$W"/mst-* "$W"/*.dump "$W"/*.sql* ;;
    *) echo "unknown section '$s'" >&2; exit 2 ;;
  esac
done
