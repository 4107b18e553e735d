#!/usr/bin/env bash
# SQLite benchmarks for migrate (see bench/RESULTS.md for the latest numbers).
#
#   bench/run_sqlite.sh            # everything: status, up, peak RSS, summary
#
# Environment:
#   ROUNDS=5        how many times each hyperfine group is repeated (ratios are
#                   reported per round and as the median over rounds)
#   STATUS_RUNS=30  hyperfine runs per command in the status group
#   UP_RUNS=10      hyperfine runs per command in the up group
#   PAIRED_RUNS=30  iterations of the interleaved up-vs-limit check (paired.py)
#   MIGRATE=...     binary to measure (default build/migrate; it is copied to
#                   bench/work/bin/migrate first, so a rebuild by someone else
#                   during the run cannot change what is measured)
#
# Everything generated lives under bench/work/ (gitignored, on the same disk as
# the repository, not tmpfs: fsync cost is part of what is measured).
# Results: bench/work/results/{status,up}_rN.{md,json}, rss.txt, summary.md.
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$BENCH")"
W="$BENCH/work"
R="$W/results"
DB="$W/db"
TPL="$W/templates"
ROUNDS="${ROUNDS:-5}"
STATUS_RUNS="${STATUS_RUNS:-30}"
UP_RUNS="${UP_RUNS:-10}"
PAIRED_RUNS="${PAIRED_RUNS:-30}"
MIGRATE_SRC="${MIGRATE:-$ROOT/build/migrate}"
MIGRATE="$W/bin/migrate"
BACKUPS="$W/backups"

log() { printf '== %s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------
if [[ ! -x "$MIGRATE_SRC" ]]; then
  log "building migrate"
  (cd "$ROOT" && scripts/build.sh)
fi
mkdir -p "$W/bin"
cp "$MIGRATE_SRC" "$MIGRATE.tmp" && mv "$MIGRATE.tmp" "$MIGRATE"
command -v hyperfine >/dev/null || { log "installing hyperfine"; apt-get install -y hyperfine; }
command -v sqlite3 >/dev/null || { log "installing sqlite3"; apt-get install -y sqlite3; }

DBMATE=""
find_dbmate() {
  local c
  for c in "$W/npm/node_modules/@dbmate/linux-x64/bin/dbmate" "$W/npm/node_modules/.bin/dbmate"; do
    if [[ -x "$c" ]] && "$c" --version >/dev/null 2>&1; then DBMATE="$c"; return 0; fi
  done
  return 1
}
if ! find_dbmate; then
  log "installing dbmate from npm"
  mkdir -p "$W/npm"
  npm install --prefix "$W/npm" dbmate >&2 || true
  find_dbmate || log "dbmate could not be installed: dbmate comparisons are skipped"
fi

mkdir -p "$R" "$DB" "$TPL"

# --- inputs ------------------------------------------------------------------
gen() {  # gen N DIR
  if [[ ! -f "$2/shell_exclusive.sql" ]] || [[ "$(find "$2/migrate" -name '*.sql' | wc -l)" != $(( $1 * 2 )) ]]; then
    python3 "$BENCH/generate.py" --count "$1" --out "$2"
  fi
}
gen 1000 "$W/m1k"
gen 10000 "$W/m10k"

M1K="$W/m1k"
M10K="$W/m10k"
mig() { echo "$MIGRATE -q -b $BACKUPS --dir $1 --url sqlite://$2"; }    # mig DIR DBPATH
dbm() { echo "$DBMATE --url sqlite:$2 --migrations-dir $1 --no-dump-schema"; }

count_rows() { sqlite3 "$1" "SELECT count(*) FROM schema_migrations"; }
expect() {  # expect WHAT ACTUAL WANTED
  if [[ "$2" != "$3" ]]; then echo "check failed: $1: got '$2', wanted '$3'" >&2; exit 1; fi
}

# Databases with all 10,000 migrations applied, copied into place by --prepare.
if [[ ! -f "$TPL/migrate_10k_applied.db" ]]; then
  log "building template: 10,000 applied (migrate)"
  rm -f "$TPL/tmp.db"; rm -rf "$BACKUPS"
  $(mig "$M10K/migrate" "$TPL/tmp.db") up --atomic >/dev/null
  expect "migrate template rows" "$(count_rows "$TPL/tmp.db")" 10000
  mv "$TPL/tmp.db" "$TPL/migrate_10k_applied.db"
fi
if [[ -n "$DBMATE" && ! -f "$TPL/dbmate_10k_applied.db" ]]; then
  log "building template: 10,000 applied (dbmate; takes a while)"
  rm -f "$TPL/tmp.db"
  $(dbm "$M10K/dbmate" "$TPL/tmp.db") up >/dev/null
  expect "dbmate template rows" "$(count_rows "$TPL/tmp.db")" 10000
  mv "$TPL/tmp.db" "$TPL/dbmate_10k_applied.db"
fi

# --- sanity: every command does the work it claims before we time it --------
log "sanity checks"
rm -f "$DB/chk.db"
out="$($(mig "$M10K/migrate" "$DB/chk.db") status | tail -n 1)"
expect "migrate status, nothing applied" "$out" "0 applied, 10000 pending, 0 changed, 0 missing"
cp "$TPL/migrate_10k_applied.db" "$DB/chk.db"
out="$($(mig "$M10K/migrate" "$DB/chk.db") status | tail -n 1)"
expect "migrate status, all applied" "$out" "10000 applied, 0 pending, 0 changed, 0 missing"
if [[ -n "$DBMATE" ]]; then
  rm -f "$DB/chk.db"
  out="$($(dbm "$M10K/dbmate" "$DB/chk.db") status | grep -c '^\[ \]' || true)"
  expect "dbmate status, nothing applied (pending lines)" "$out" 10000
  cp "$TPL/dbmate_10k_applied.db" "$DB/chk.db"
  out="$($(dbm "$M10K/dbmate" "$DB/chk.db") status | grep -c '^\[X\]' || true)"
  expect "dbmate status, all applied (applied lines)" "$out" 10000
fi
for variant in shell shell_exclusive; do
  rm -f "$DB/chk.db"
  sqlite3 "$DB/chk.db" ".read $M1K/$variant.sql" >/dev/null
  expect "$variant rows" "$(count_rows "$DB/chk.db")" 1000
done
rm -f "$DB/chk.db"; rm -rf "$BACKUPS"
$(mig "$M1K/migrate" "$DB/chk.db") up >/dev/null
expect "migrate up rows" "$(count_rows "$DB/chk.db")" 1000
expect "migrate up (with backup) rows carrying a backup_id" \
  "$(sqlite3 "$DB/chk.db" "SELECT count(*) FROM schema_migrations WHERE backup_id IS NOT NULL")" 1000
rm -f "$DB/chk.db"; rm -rf "$BACKUPS"
$(mig "$M1K/migrate" "$DB/chk.db") up --no-backup >/dev/null
expect "migrate up --no-backup rows" "$(count_rows "$DB/chk.db")" 1000
# The shell script records exactly what `migrate up --no-backup` records (apart
# from applied_at and duration_ms, which are times).
q="SELECT version, name, checksum, batch, backup_id IS NULL FROM schema_migrations ORDER BY version"
sqlite3 "$DB/chk.db" "$q" >"$DB/chk_migrate.txt"
rm -f "$DB/chk2.db"; sqlite3 "$DB/chk2.db" ".read $M1K/shell_exclusive.sql" >/dev/null
sqlite3 "$DB/chk2.db" "$q" >"$DB/chk_shell.txt"
cmp -s "$DB/chk_migrate.txt" "$DB/chk_shell.txt" || { echo "shell bookkeeping differs from migrate's" >&2; exit 1; }
expect "schema objects (migrate vs shell)" \
  "$(sqlite3 "$DB/chk.db" "SELECT count(*) FROM sqlite_master")" \
  "$(sqlite3 "$DB/chk2.db" "SELECT count(*) FROM sqlite_master")"
rm -f "$DB"/chk*

# --- a. status over 10,000 files ----------------------------------------------
status_round() {
  local round="$1" args=()
  args+=(-n "migrate version (process start floor)" --prepare "true" "$MIGRATE version")
  args+=(-n "migrate status, 0 of 10000 applied" --prepare "rm -f $DB/st_m0.db"
         "$(mig "$M10K/migrate" "$DB/st_m0.db") status")
  args+=(-n "migrate status, 10000 of 10000 applied" --prepare "rm -f $DB/st_m1.db && cp $TPL/migrate_10k_applied.db $DB/st_m1.db"
         "$(mig "$M10K/migrate" "$DB/st_m1.db") status")
  if [[ -n "$DBMATE" ]]; then
    args+=(-n "dbmate status, 0 of 10000 applied" --prepare "rm -f $DB/st_d0.db"
           "$(dbm "$M10K/dbmate" "$DB/st_d0.db") status")
    args+=(-n "dbmate status, 10000 of 10000 applied" --prepare "rm -f $DB/st_d1.db && cp $TPL/dbmate_10k_applied.db $DB/st_d1.db"
           "$(dbm "$M10K/dbmate" "$DB/st_d1.db") status")
  fi
  hyperfine --warmup 3 --runs "$STATUS_RUNS" --style basic \
    --export-markdown "$R/status_r$round.md" --export-json "$R/status_r$round.json" "${args[@]}"
}

# --- b + c. up of 1,000 migrations ----------------------------------------------
up_round() {
  local round="$1" args=()
  # Same work as the shell script: no backup.
  args+=(-n "migrate up --no-backup" --prepare "rm -rf $DB/up_mn.db $DB/up_mn.db-journal $BACKUPS"
         "$(mig "$M1K/migrate" "$DB/up_mn.db") up --no-backup")
  args+=(-n "sqlite3 shell, locking_mode=EXCLUSIVE (limit)" --prepare "rm -f $DB/up_sx.db $DB/up_sx.db-journal"
         "sqlite3 $DB/up_sx.db '.read $M1K/shell_exclusive.sql'")
  # What a user gets by default: a pre-up backup of the (empty) database first.
  args+=(-n "migrate up" --prepare "rm -rf $DB/up_m.db $DB/up_m.db-journal $BACKUPS"
         "$(mig "$M1K/migrate" "$DB/up_m.db") up")
  args+=(-n "migrate up --atomic" --prepare "rm -rf $DB/up_ma.db $DB/up_ma.db-journal $BACKUPS"
         "$(mig "$M1K/migrate" "$DB/up_ma.db") up --atomic")
  args+=(-n "sqlite3 shell, default locking" --prepare "rm -f $DB/up_s.db $DB/up_s.db-journal"
         "sqlite3 $DB/up_s.db '.read $M1K/shell.sql'")
  if [[ -n "$DBMATE" ]]; then
    args+=(-n "dbmate up --no-dump-schema" --prepare "rm -f $DB/up_d.db $DB/up_d.db-journal"
           "$(dbm "$M1K/dbmate" "$DB/up_d.db") up")
  fi
  hyperfine --warmup 1 --runs "$UP_RUNS" --style basic \
    --export-markdown "$R/up_r$round.md" --export-json "$R/up_r$round.json" "${args[@]}"
  # The last run of each command must have applied all 1,000.
  for f in up_mn up_sx up_m up_ma up_s $([[ -n "$DBMATE" ]] && echo up_d); do
    expect "$f rows after benchmark" "$(count_rows "$DB/$f.db")" 1000
  done
}

# --- machine -------------------------------------------------------------------
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel: $(uname -r)"
  echo "filesystem of $W: $(df -PT "$W" | awk 'NR==2 {print $1" "$2}') ($(findmnt -no OPTIONS -T "$W" 2>/dev/null || true))"
  dev="$(df -P "$W" | awk 'NR==2 {print $1}')"; dev="$(basename "$dev")"
  if [[ -e "/sys/block/$dev/queue/rotational" ]]; then
    echo "block device: $dev rotational=$(cat /sys/block/$dev/queue/rotational)"
  fi
  echo "sqlite3 shell: $(sqlite3 --version | cut -d' ' -f1-2)"
  echo "migrate: $("$MIGRATE" version | tr '\n' ' ')"
  echo "migrate binary: $MIGRATE_SRC (built $(stat -c '%y' "$MIGRATE_SRC" | cut -d. -f1), sha256 $(sha256sum "$MIGRATE" | cut -c1-16)…), measured as a copy in $MIGRATE"
  dirty=""
  [[ -n "$(git -C "$ROOT" status --porcelain -- src include 2>/dev/null)" ]] && dirty=" + uncommitted changes under src/ include/"
  echo "source: git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$dirty"
  if [[ -n "$DBMATE" ]]; then echo "dbmate: $("$DBMATE" --version)"; fi
  echo "hyperfine: $(hyperfine --version)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$R/machine.txt"

rm -f "$R"/status_r*.{md,json} "$R"/up_r*.{md,json} "$R"/paired_up.{md,json}
for ((i = 1; i <= ROUNDS; i++)); do
  log "status, round $i/$ROUNDS"
  status_round "$i"
  log "up, round $i/$ROUNDS"
  up_round "$i"
done

# --- b + c again, interleaved ---------------------------------------------------
# hyperfine times all runs of one command before the next, so disk-latency drift
# on this shared machine lands in the ratio; paired.py alternates the commands
# and takes the median of per-iteration ratios (plus the CPU-time ratio).
log "up, interleaved (paired.py, $PAIRED_RUNS iterations)"
python3 "$BENCH/paired.py" --runs "$PAIRED_RUNS" --warmup 1 \
  --export-json "$R/paired_up.json" --export-markdown "$R/paired_up.md" \
  -n "migrate up --no-backup" --prepare "rm -rf $DB/pr_mn.db $DB/pr_mn.db-journal $BACKUPS" \
  "$(mig "$M1K/migrate" "$DB/pr_mn.db") up --no-backup" \
  -n "limit: sqlite3 shell EXCLUSIVE" --prepare "rm -f $DB/pr_sx.db $DB/pr_sx.db-journal" \
  "sqlite3 $DB/pr_sx.db '.read $M1K/shell_exclusive.sql'" \
  -n "migrate up" --prepare "rm -rf $DB/pr_m.db $DB/pr_m.db-journal $BACKUPS" \
  "$(mig "$M1K/migrate" "$DB/pr_m.db") up" \
  -n "migrate up --atomic" --prepare "rm -rf $DB/pr_ma.db $DB/pr_ma.db-journal $BACKUPS" \
  "$(mig "$M1K/migrate" "$DB/pr_ma.db") up --atomic" \
  --ratio "migrate up --no-backup/limit: sqlite3 shell EXCLUSIVE" \
  --ratio "migrate up/limit: sqlite3 shell EXCLUSIVE" \
  --ratio "migrate up/migrate up --atomic" >/dev/null
for f in pr_mn pr_sx pr_m pr_ma; do
  expect "$f rows after paired runs" "$(count_rows "$DB/$f.db")" 1000
done

# --- peak RSS ------------------------------------------------------------------
log "peak RSS"
rss() {  # rss LABEL PREPARE COMMAND...   ("Maximum resident set size" of /usr/bin/time -v, KB)
  local label="$1" prep="$2"; shift 2
  bash -c "$prep"
  /usr/bin/time -v -o "$R/.rss" "$@" >/dev/null 2>&1 || true
  printf '%s\t%s\n' "$label" "$(awk -F': ' '/Maximum resident set size/ {print $2}' "$R/.rss")"
}
{
  printf 'command\tmax_rss_kb\n'
  rss "migrate up (1,000; with pre-up backup)" "rm -rf $DB/rss.db $BACKUPS" $(mig "$M1K/migrate" "$DB/rss.db") up
  rss "migrate up --no-backup (1,000)" "rm -rf $DB/rss.db $BACKUPS" $(mig "$M1K/migrate" "$DB/rss.db") up --no-backup
  rss "migrate up --atomic (1,000)" "rm -rf $DB/rss.db $BACKUPS" $(mig "$M1K/migrate" "$DB/rss.db") up --atomic
  rss "migrate status, 0 of 10,000 applied" "rm -f $DB/rss.db" $(mig "$M10K/migrate" "$DB/rss.db") status
  rss "migrate status, 10,000 of 10,000 applied" "rm -f $DB/rss.db; cp $TPL/migrate_10k_applied.db $DB/rss.db" $(mig "$M10K/migrate" "$DB/rss.db") status
  rss "sqlite3 shell script, EXCLUSIVE (1,000)" "rm -f $DB/rss.db" sqlite3 "$DB/rss.db" ".read $M1K/shell_exclusive.sql"
  if [[ -n "$DBMATE" ]]; then
    rss "dbmate up (1,000)" "rm -f $DB/rss.db" $(dbm "$M1K/dbmate" "$DB/rss.db") up
    rss "dbmate status, 10,000 of 10,000 applied" "rm -f $DB/rss.db; cp $TPL/dbmate_10k_applied.db $DB/rss.db" $(dbm "$M10K/dbmate" "$DB/rss.db") status
  fi
} >"$R/rss.tsv"
rm -f "$R/.rss"


echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$R/machine.txt"

# --- summary -------------------------------------------------------------------
python3 "$BENCH/report.py" "$R" >"$R/summary.md"
log "done: $R/summary.md"
cat "$R/summary.md"
