#!/usr/bin/env bash
# Backup / restore / verify benchmarks for migrate on a ~1 GB SQLite database
# (see bench/BACKUP_RESULTS.md for the latest numbers).
#
#   bench/run_backup_sqlite.sh                 # everything, in this order:
#   bench/run_backup_sqlite.sh gen backup restore verify deep rss check profile report
#
# Sections (any subset, in any order; gen runs implicitly when a database is missing):
#   gen      create the databases if missing (REGEN=1: recreate big.db too)
#   backup   hyperfine: migrate backup (zstd, none) vs sqlite3 .backup, cp, cp+fsync, zstd -1 -T2
#   restore  hyperfine: migrate restore --no-backup (zstd store, none store) vs cp, cp+fsync,
#            and for information sqlite3 .restore (SQLite's backup API into the live copy: the
#            in-place method, which migrate now uses only for in-memory databases) and zstd -d of
#            the artifact; then default restore
#            (with its pre-restore backup) once per round
#   verify   hyperfine: migrate verify ID (store with --compression none) vs openssl dgst, sha256sum
#   deep     hyperfine: migrate verify --deep ID (zstd store, none store)
#   rss      /usr/bin/time -v peak RSS of backup/restore/verify on big.db and small.db
#   check    correctness: verify --deep on every store; restores into a fresh file, into a
#            modified copy and into a smaller database give big.db's .sha3sum
#   profile  where the time goes: strace timelines (seccomp-filtered, low overhead, condensed by
#            bench/backup_timeline.py) of backup and restore, strace -c -w -f and per-file syscall
#            counts of restore, perf stat and perf record (by dso and symbol) of both
#   report   bench/backup_report.py -> $R/summary.md
#
# Results go to $W/results/ (hyperfine .md/.json per group and round, rss.tsv, checks.txt,
# load.txt: what else ran on the machine before each group, profile/). A full run takes about
# 45 minutes on a 2-core VM.
#
# Environment:
#   BENCH_DATA=/work/bench-data   big.db lives here (generated if missing)
#   BIG=$BENCH_DATA/big.db        the ~0.9 GB database (users 2M rows, events 5M rows + index,
#                                 files 50k x 2000-byte random blobs)
#   W=$BENCH_DATA/bk              scratch dir: stores, outputs, small.db (~250 MB), results/
#   ROUNDS=3                      repetitions of each hyperfine group (ratios: per round + median)
#   RUNS=5                        hyperfine runs per command (backup, restore)
#   VRUNS=10                      hyperfine runs per command (verify)
#   DRUNS=3                       hyperfine runs per command (verify --deep)
#   MIGRATE=build/migrate         binary to measure; copied to $W/bin/migrate first so that a
#                                 rebuild during the run cannot change what is measured
#
# Fairness notes:
#   * nothing drops the page cache: big.db (0.9 GB) stays cached on this 23 GB machine, so
#     every command reads from memory and the comparison is CPU + write path;
#   * `cp` and `zstd` do not fsync; migrate (artifact, manifest, directory) and sqlite3
#     .backup (journal commit) do, so a `cp + fsync` row shows the durable-copy limit;
#   * restore prepares its target with `cp big.db target && sync` (untimed), so the
#     dirty pages of the preparation (and of earlier commands) are not written back during
#     the timed command.
set -euo pipefail

# The whole run holds the machine's benchmark lock, so that no other engineer's
# benchmark overlaps any of its groups (the other bench scripts take it too).
if [[ -z ${MIGRATE_BENCH_LOCKED:-} ]]; then
  MIGRATE_BENCH_LOCKED=1 exec flock /tmp/migrate-bench.lock "$0" "$@"
fi

BENCH="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$BENCH")"
BENCH_DATA="${BENCH_DATA:-/work/bench-data}"
BIG="${BIG:-$BENCH_DATA/big.db}"
W="${W:-$BENCH_DATA/bk}"
SMALL="$W/small.db"
R="$W/results"
ROUNDS="${ROUNDS:-3}"
RUNS="${RUNS:-5}"
VRUNS="${VRUNS:-10}"
DRUNS="${DRUNS:-3}"
MIGRATE_SRC="${MIGRATE:-$ROOT/build/migrate}"
M="$W/bin/migrate"
MIG="$W/mig"                       # empty migrations directory
URL="sqlite:$BIG"
# verify never needs a database, but `verify --deep` without --url creates an empty ./app.db
# (the default URL) in the working directory: point it at a scratch file instead
VURL="sqlite:$W/verify-dummy.db"
HF=(hyperfine --style basic --shell bash)

log() { printf '== %s\n' "$*" >&2; }
mkdir -p "$W/bin" "$MIG" "$R"

# --- tools -------------------------------------------------------------------
need() { command -v "$1" >/dev/null || { log "installing $2"; apt-get install -y "$2" >&2; }; }
need hyperfine hyperfine
need sqlite3 sqlite3
need zstd zstd
need openssl openssl
[[ -x /usr/bin/time ]] || { log "installing time"; apt-get install -y time >&2; }
if [[ ! -x "$MIGRATE_SRC" ]]; then
  log "building migrate"
  (cd "$ROOT" && cmake --build build -j2)
fi
cp "$MIGRATE_SRC" "$M.tmp" && mv "$M.tmp" "$M"

# --- data --------------------------------------------------------------------
# gen_db PATH USERS EVENTS FILES: users/events are compressible text and numbers,
# files holds 2000-byte random (incompressible) blobs, events has an index.
# 2M/5M/50k gives ~0.92 GB (zstd -1: ~0.36 GB); 540k/1.35M/13.5k gives ~0.25 GB.
gen_db() {
  local out="$1" nu="$2" ne="$3" nf="$4" tmp="$1.gen-tmp"
  log "generating $out ($nu users, $ne events, $nf blobs)"
  rm -f "$tmp" "$tmp-journal"
  sqlite3 "$tmp" >/dev/null <<SQL
PRAGMA page_size = 4096;
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT, created_at TEXT);
CREATE TABLE events (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), kind TEXT, payload TEXT, amount REAL);
CREATE TABLE files (id INTEGER PRIMARY KEY, data BLOB);
BEGIN;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $nu)
INSERT INTO users SELECT i, 'user' || i || '@example.com', 'Name ' || (i * 7919 % 1000003),
  datetime(1700000000 + i, 'unixepoch') FROM s;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $ne)
INSERT INTO events SELECT i, (i % $nu) + 1,
  CASE i % 4 WHEN 0 THEN 'purchase' WHEN 1 THEN 'view' WHEN 2 THEN 'logout' ELSE 'login' END,
  'payload ' || hex(randomblob(30)) || ' lorem ipsum dolor sit amet', (i % 100) * 1.25 FROM s;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $nf)
INSERT INTO files SELECT i, randomblob(2000) FROM s;
COMMIT;
CREATE INDEX events_by_user ON events(user_id);
PRAGMA journal_mode = DELETE;
SQL
  [[ "$(sqlite3 "$tmp" 'PRAGMA integrity_check')" == ok ]] || { log "integrity_check failed on $tmp"; exit 1; }
  mv "$tmp" "$out"
}

section_gen() {
  mkdir -p "$(dirname "$BIG")"
  if [[ ! -f "$BIG" || "${REGEN:-0}" == 1 ]]; then gen_db "$BIG" 2000000 5000000 50000; fi
  if [[ ! -f "$SMALL" || "${REGEN:-0}" == 1 ]]; then gen_db "$SMALL" 540000 1350000 13500; fi
  # reference hashes, cached by path+size+mtime
  local f key
  for f in "$BIG" "$SMALL"; do
    key="$(stat -c '%n %s %Y' "$f")"
    if [[ "$(head -1 "$W/$(basename "$f").sha3" 2>/dev/null)" != "$key" ]]; then
      log "sha3sum of $f"
      { echo "$key"; sqlite3 "$f" .sha3sum; } >"$W/$(basename "$f").sha3.tmp"
      mv "$W/$(basename "$f").sha3.tmp" "$W/$(basename "$f").sha3"
    fi
  done
}
ref_sha3() { sed -n 2p "$W/$(basename "$1").sha3"; }

# --- helpers -------------------------------------------------------------------
CHECKS="$R/checks.txt"
check() { # check NAME CMD...: record PASS/FAIL, never abort
  local name="$1"; shift
  if out="$("$@" 2>&1)"; then echo "PASS  $name" | tee -a "$CHECKS" >&2
  else echo "FAIL  $name: $(echo "$out" | tail -3 | tr '\n' ' ')" | tee -a "$CHECKS" >&2; fi
}
same_sha3() { # same_sha3 DB REFDB
  local got want
  got="$(sqlite3 "$1" .sha3sum)"; want="$(ref_sha3 "$2")"
  [[ "$got" == "$want" ]] || { echo "sha3 $1=$got want $want"; return 1; }
}
deep() { "$M" verify --url $VURL --deep -d "$MIG" -b "$1" -q; }
take_backup() { # take_backup STORE DB [COMPRESSION] -> prints the id
  local comp="${3:-zstd}"
  rm -rf "$1"
  "$M" backup --url "sqlite:$2" -d "$MIG" -b "$1" -q --compression "$comp" >/dev/null
  backup_id "$1"
}
backup_id() { local j; j="$(ls "$1"/*.json | tail -1)"; basename "$j" .json; }
artifact() { ls "$1"/*.sqlite* | grep -v '\.json$' | tail -1; }
restore_cmd() { # restore_cmd STORE TARGET [extra]
  echo "$M restore latest --yes --no-backup --url sqlite:$2 -d $MIG -b $1 -q"
}
size_of() { stat -c %s "$1"; }
loadlog() { # what else runs on this shared VM: logged before every group
  { echo "--- $(date -u +%T) $*: $(cut -d' ' -f1-3 /proc/loadavg) loadavg; io pressure: $(head -1 /proc/pressure/io 2>/dev/null)"
    ps -eo pcpu=,etime=,args= --sort=-pcpu | awk '$1 > 5 && !/ ps -eo/' | cut -c1-160 | head -5 || true; } >>"$R/load.txt"
}

# --- 1. backup ----------------------------------------------------------------------
section_backup() {
  local r
  for r in $(seq 1 "$ROUNDS"); do
    log "backup round $r/$ROUNDS"; loadlog "backup round $r/$ROUNDS"
    "${HF[@]}" --warmup 1 --runs "$RUNS" \
      --export-json "$R/backup_r$r.json" --export-markdown "$R/backup_r$r.md" \
      -n "migrate backup (zstd)" --prepare "rm -rf $W/st_bz" \
        "$M backup --url $URL -d $MIG -b $W/st_bz -q" \
      -n "migrate backup --compression none" --prepare "rm -rf $W/st_bn" \
        "$M backup --compression none --url $URL -d $MIG -b $W/st_bn -q" \
      -n "sqlite3 .backup" --prepare "rm -f $W/out_sq.db" \
        "sqlite3 $BIG '.backup $W/out_sq.db'" \
      -n "cp" --prepare "rm -f $W/out_cp.db" \
        "cp $BIG $W/out_cp.db" \
      -n "cp + fsync" --prepare "rm -f $W/out_cps.db" \
        "cp $BIG $W/out_cps.db && sync $W/out_cps.db" \
      -n "zstd -1 -T2" --prepare "rm -f $W/out.zst" \
        "zstd -q -1 -T2 -f $BIG -o $W/out.zst" >&2
    # what was measured is correct
    check "backup r$r: verify --deep, zstd store" deep "$W/st_bz"
    check "backup r$r: verify --deep, none store" deep "$W/st_bn"
    rm -f "$W/chk.db"
    check "backup r$r: zstd backup restored into a new file has big.db's sha3sum" \
      bash -c "$(restore_cmd "$W/st_bz" "$W/chk.db") >/dev/null && [[ \$(sqlite3 $W/chk.db .sha3sum) == $(ref_sha3 "$BIG") ]]"
    rm -f "$W/chk.db"
    check "backup r$r: sqlite3 .backup output has big.db's sha3sum" same_sha3 "$W/out_sq.db" "$BIG"
    check "backup r$r: zstd -1 output decompresses to big.db" \
      bash -c "zstd -dc $W/out.zst | cmp - $BIG"
    echo "r$r zstd_store_artifact_bytes $(size_of "$(artifact "$W/st_bz")") none_store_artifact_bytes $(size_of "$(artifact "$W/st_bn")") zstd1_bytes $(size_of "$W/out.zst") db_bytes $(size_of "$BIG")" >>"$R/sizes.txt"
  done
  rm -f "$W/out_sq.db" "$W/out_cp.db" "$W/out_cps.db" "$W/out.zst"
}

# --- 2. restore ----------------------------------------------------------------------
section_restore() {
  local r id prep
  log "restore: setting up stores with one backup of big.db (zstd and none)"
  take_backup "$W/st_r" "$BIG" zstd >/dev/null
  take_backup "$W/st_rn" "$BIG" none >/dev/null
  id="$(backup_id "$W/st_r")"
  # A global sync: dirty pages of earlier commands must not be written back
  # during a timed restore, whose fsync would wait for them.
  prep() { echo "rm -f $1-journal && cp $BIG $1 && sync"; }
  for r in $(seq 1 "$ROUNDS"); do
    log "restore round $r/$ROUNDS"; loadlog "restore round $r/$ROUNDS"
    "${HF[@]}" --warmup 1 --runs "$RUNS" \
      --export-json "$R/restore_r$r.json" --export-markdown "$R/restore_r$r.md" \
      -n "migrate restore --no-backup (zstd store)" --prepare "$(prep "$W/tgt.db")" \
        "$(restore_cmd "$W/st_r" "$W/tgt.db")" \
      -n "migrate restore --no-backup (none store)" --prepare "$(prep "$W/tgt_n.db")" \
        "$(restore_cmd "$W/st_rn" "$W/tgt_n.db")" \
      -n "cp" --prepare "$(prep "$W/tgt_cp.db")" \
        "cp $BIG $W/tgt_cp.db" \
      -n "cp + fsync" --prepare "$(prep "$W/tgt_cps.db")" \
        "cp $BIG $W/tgt_cps.db && sync $W/tgt_cps.db" \
      -n "sqlite3 .restore (info: backup API into the live copy, the in-place method)" --prepare "$(prep "$W/tgt_sr.db")" \
        "sqlite3 $W/tgt_sr.db '.restore $BIG'" \
      -n "zstd -d artifact (info: decompression alone)" --prepare "rm -f $W/tgt_z.db" \
        "zstd -q -d -f $(artifact "$W/st_r") -o $W/tgt_z.db" >&2
    check "restore r$r: sqlite3 .restore reference has big.db's sha3sum" same_sha3 "$W/tgt_sr.db" "$BIG"
    check "restore r$r: restored copy (zstd store) has big.db's sha3sum" same_sha3 "$W/tgt.db" "$BIG"
    check "restore r$r: restored copy (none store) has big.db's sha3sum" same_sha3 "$W/tgt_n.db" "$BIG"
    check "restore r$r: no -journal left" bash -c "[[ ! -e $W/tgt.db-journal && ! -e $W/tgt_n.db-journal ]]"
    check "restore r$r: verify --deep, zstd store" deep "$W/st_r"
    # default restore (takes a pre-restore backup first) once, for information
    log "default restore (with pre-restore backup), round $r"
    "${HF[@]}" --runs 1 \
      --export-json "$R/restore_default_r$r.json" --export-markdown "$R/restore_default_r$r.md" \
      -n "migrate restore (default, with pre-restore backup)" \
        --prepare "rm -rf $W/st_rd && cp -a $W/st_r $W/st_rd && $(prep "$W/tgt_d.db")" \
        "$M restore $id --yes --url sqlite:$W/tgt_d.db -d $MIG -b $W/st_rd -q" >&2
    check "restore r$r: default restore left 2 backups, both pass verify --deep" \
      bash -c "[[ \$(ls $W/st_rd/*.json | wc -l) == 2 ]] && $M verify --url $VURL --deep -d $MIG -b $W/st_rd -q"
    check "restore r$r: default restore target has big.db's sha3sum" same_sha3 "$W/tgt_d.db" "$BIG"
  done
  rm -rf "$W/tgt_cp.db" "$W/tgt_cps.db" "$W/tgt_n.db" "$W/tgt_d.db" "$W/tgt_sr.db" "$W/tgt_z.db" "$W/st_rd"
}

# --- 4. verify (SHA-256) -------------------------------------------------------------
section_verify() {
  local r id art idz
  log "verify: store with one --compression none backup"
  id="$(take_backup "$W/st_v" "$BIG" none)"
  art="$(artifact "$W/st_v")"
  [[ -d "$W/st_r" ]] || take_backup "$W/st_r" "$BIG" zstd >/dev/null
  idz="$(backup_id "$W/st_r")"
  echo "verify_artifact $art $(size_of "$art")" >"$R/verify_artifact.txt"
  echo "verify_artifact_zstd $(artifact "$W/st_r") $(size_of "$(artifact "$W/st_r")")" >>"$R/verify_artifact.txt"
  for r in $(seq 1 "$ROUNDS"); do
    log "verify round $r/$ROUNDS"; loadlog "verify round $r/$ROUNDS"
    "${HF[@]}" --warmup 2 --runs "$VRUNS" \
      --export-json "$R/verify_r$r.json" --export-markdown "$R/verify_r$r.md" \
      -n "migrate verify (none artifact)" "$M verify --url $VURL $id -d $MIG -b $W/st_v -q" \
      -n "openssl dgst -sha256" "openssl dgst -sha256 $art" \
      -n "sha256sum" "sha256sum $art" \
      -n "migrate verify (zstd artifact, info)" "$M verify --url $VURL $idz -d $MIG -b $W/st_r -q" >&2
  done
  check "verify: migrate's recorded sha256 equals sha256sum of the artifact" \
    bash -c "grep -q \"\$(sha256sum $art | cut -d' ' -f1)\" $W/st_v/$id.json"
}

# --- 5. verify --deep ----------------------------------------------------------------
section_deep() {
  local r idz idn
  [[ -d "$W/st_r" ]] || take_backup "$W/st_r" "$BIG" zstd >/dev/null
  [[ -d "$W/st_v" ]] || take_backup "$W/st_v" "$BIG" none >/dev/null
  idz="$(backup_id "$W/st_r")"; idn="$(backup_id "$W/st_v")"
  for r in $(seq 1 "$ROUNDS"); do
    log "verify --deep round $r/$ROUNDS"; loadlog "verify --deep round $r/$ROUNDS"
    "${HF[@]}" --warmup 0 --runs "$DRUNS" \
      --export-json "$R/deep_r$r.json" --export-markdown "$R/deep_r$r.md" \
      -n "migrate verify --deep (zstd)" "$M verify --url $VURL --deep $idz -d $MIG -b $W/st_r -q" \
      -n "migrate verify --deep (none)" "$M verify --url $VURL --deep $idn -d $MIG -b $W/st_v -q" >&2
  done
}

# --- 3. peak RSS -----------------------------------------------------------------------
rss_of() { # rss_of LABEL CMD... : appends "LABEL<TAB>kB<TAB>wall<TAB>user s<TAB>sys s" to rss.tsv
  local label="$1"; shift
  /usr/bin/time -v -o "$R/time.tmp" "$@" >/dev/null 2>"$R/rss_err.tmp" || { echo "FAIL  rss $label: $(tail -2 "$R/rss_err.tmp")" | tee -a "$CHECKS" >&2; }
  printf '%s\t%s\t%s\t%s\t%s\n' "$label" \
    "$(awk -F': ' '/Maximum resident set size/ {print $2}' "$R/time.tmp")" \
    "$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$R/time.tmp")" \
    "$(awk -F': ' '/User time/ {print $2}' "$R/time.tmp")" \
    "$(awk -F': ' '/System time/ {print $2}' "$R/time.tmp")" >>"$R/rss.tsv"
}
section_rss() {
  local db name i s
  : >"$R/rss.tsv"
  for db in "$BIG" "$SMALL"; do
    name="$(basename "$db" .db) ($(( $(size_of "$db") / 1048576 )) MiB)"
    for i in 1 2 3; do
      log "rss $name, repetition $i"
      s="$W/st_m"
      rm -rf "$s" "$s"n
      rss_of "$name|migrate backup (zstd)" "$M" backup --url "sqlite:$db" -d "$MIG" -b "$s" -q
      rss_of "$name|migrate backup --compression none" "$M" backup --compression none --url "sqlite:$db" -d "$MIG" -b "$s"n -q
      rss_of "$name|migrate verify (none artifact)" "$M" verify --url "$VURL" -d "$MIG" -b "$s"n -q
      rss_of "$name|migrate verify --deep (zstd)" "$M" verify --url "$VURL" --deep -d "$MIG" -b "$s" -q
      rm -f "$W/tgt_m.db-journal"; cp "$db" "$W/tgt_m.db"; sync "$W/tgt_m.db"
      rss_of "$name|migrate restore --no-backup (zstd)" "$M" restore latest --yes --no-backup --url "sqlite:$W/tgt_m.db" -d "$MIG" -b "$s" -q
      rss_of "$name|migrate restore (default, pre-restore backup)" "$M" restore latest --yes --url "sqlite:$W/tgt_m.db" -d "$MIG" -b "$s" -q
      rss_of "$name|sqlite3 .backup (reference)" sqlite3 "$db" ".backup $W/out_m.db"
      rss_of "$name|zstd -1 -T2 (reference)" zstd -q -1 -T2 -f "$db" -o "$W/out_m.zst"
      rm -f "$W/out_m.db" "$W/out_m.zst"
    done
    check "rss $name: restored copy has the reference sha3sum" same_sha3 "$W/tgt_m.db" "$db"
  done
  rm -rf "$W/st_m" "$W/st_mn" "$W/tgt_m.db" "$R/time.tmp" "$R/rss_err.tmp"
}

# --- correctness --------------------------------------------------------------------------
section_check() {
  local s="$W/st_c"
  log "correctness checks"
  take_backup "$s" "$BIG" zstd >/dev/null
  check "check: verify --deep on a fresh zstd backup" deep "$s"
  rm -f "$W/chk.db"
  check "check: restore into a new file -> big.db's sha3sum" \
    bash -c "$(restore_cmd "$s" "$W/chk.db") >/dev/null && [[ \$(sqlite3 $W/chk.db .sha3sum) == $(ref_sha3 "$BIG") ]]"
  # a modified copy: rows deleted and updated, a new table, view, trigger and index
  cp "$BIG" "$W/chk.db"
  sqlite3 "$W/chk.db" "DELETE FROM users WHERE id % 10 = 0; UPDATE events SET amount = -1 WHERE id < 1000;
    CREATE TABLE extra (x); INSERT INTO extra VALUES (1); CREATE VIEW v AS SELECT 1;
    CREATE TRIGGER tr AFTER INSERT ON extra BEGIN SELECT 1; END; CREATE INDEX users_by_email ON users(email);"
  check "check: restore into a modified copy -> big.db's sha3sum and schema" \
    bash -c "$(restore_cmd "$s" "$W/chk.db") >/dev/null && [[ \$(sqlite3 $W/chk.db .sha3sum) == $(ref_sha3 "$BIG") ]] && [[ \$(sqlite3 $W/chk.db .schema) == \$(sqlite3 $BIG .schema) ]]"
  # a smaller database grows, then the big one shrinks back
  cp "$SMALL" "$W/chk.db"
  check "check: restore big backup over small.db -> big.db's sha3sum" \
    bash -c "$(restore_cmd "$s" "$W/chk.db") >/dev/null && [[ \$(sqlite3 $W/chk.db .sha3sum) == $(ref_sha3 "$BIG") ]]"
  take_backup "$W/st_cs" "$SMALL" zstd >/dev/null
  check "check: restore small backup over big copy -> small.db's sha3sum, file shrinks" \
    bash -c "$(restore_cmd "$W/st_cs" "$W/chk.db") >/dev/null && [[ \$(sqlite3 $W/chk.db .sha3sum) == $(ref_sha3 "$SMALL") ]] && (( \$(stat -c %s $W/chk.db) == \$(stat -c %s $SMALL) ))"
  check "check: integrity_check after restores" bash -c "[[ \$(sqlite3 $W/chk.db 'PRAGMA integrity_check') == ok ]]"
  check "check: .dump of a restored copy equals big.db's .dump" \
    bash -c "$(restore_cmd "$s" "$W/chk.db") >/dev/null && cmp <(sqlite3 $W/chk.db .dump | sha256sum) <(sqlite3 $BIG .dump | sha256sum)"
  check "check: store files 0600, directory 0700" \
    bash -c "[[ \$(stat -c %a $s) == 700 ]] && ! find $s -type f ! -perm 600 | grep -q ."
  check "check: no leftovers in the stores (temporary files; .lock is the store lock)" \
    bash -c "! ls -A $W/st_* 2>/dev/null | grep -v '^\\.lock\$' | grep -E '^\\.|tmp'"
  rm -rf "$W/chk.db" "$W/chk.db-journal" "$s" "$W/st_cs"
}

# --- where the time goes -----------------------------------------------------------------
section_profile() {
  local s="$W/st_p" P="$R/profile"
  mkdir -p "$P"
  log "profile: strace timelines (seccomp-bpf filter: only the traced syscalls stop)"
  rm -rf "$s"
  strace -f --seccomp-bpf -tt -T -y -e trace=openat,unlink,rename,fsync,fdatasync,ftruncate -o "$P/backup_timeline.txt" \
    "$M" backup --url "$URL" -d "$MIG" -b "$s" -q >/dev/null
  rm -f "$W/tgt_p.db-journal"; cp "$BIG" "$W/tgt_p.db"; sync "$W/tgt_p.db"
  strace -f --seccomp-bpf -tt -T -y -e trace=openat,unlink,rename,fsync,fdatasync,ftruncate -o "$P/restore_timeline.txt" \
    $(restore_cmd "$s" "$W/tgt_p.db") >/dev/null
  log "profile: strace -c -w -f of restore (wall time per syscall; slows the run)"
  cp "$BIG" "$W/tgt_p.db"; sync "$W/tgt_p.db"
  strace -c -w -f -o "$P/restore_strace_c.txt" $(restore_cmd "$s" "$W/tgt_p.db") >/dev/null
  log "profile: per-file syscall counts of restore"
  cp "$BIG" "$W/tgt_p.db"; sync "$W/tgt_p.db"
  strace -f -y -e trace=pwrite64,pread64,write,read,fdatasync,fsync -o "$P/restore_io.raw" \
    $(restore_cmd "$s" "$W/tgt_p.db") >/dev/null
  grep -oE '^[0-9]+ +[a-z0-9_]+\([0-9]+<[^>]*>' "$P/restore_io.raw" | sed -E 's/^[0-9]+ +//' | sort | uniq -c | sort -nr >"$P/restore_io_counts.txt"
  rm -f "$P/restore_io.raw"
  if command -v perf >/dev/null; then
    log "profile: perf stat of backup and restore"
    rm -rf "$s"
    perf stat -o "$P/backup_perf_stat.txt" -e task-clock,context-switches,cpu-migrations,page-faults \
      "$M" backup --url "$URL" -d "$MIG" -b "$s" -q >/dev/null || true
    cp "$BIG" "$W/tgt_p.db"; sync "$W/tgt_p.db"
    perf stat -o "$P/restore_perf_stat.txt" -e task-clock,context-switches,cpu-migrations,page-faults \
      $(restore_cmd "$s" "$W/tgt_p.db") >/dev/null || true
  fi
  python3 "$BENCH/backup_timeline.py" "$P/backup_timeline.txt" >"$P/backup_phases.txt"
  python3 "$BENCH/backup_timeline.py" "$P/restore_timeline.txt" >"$P/restore_phases.txt"
  if command -v perf >/dev/null; then
    log "profile: perf record (cpu-clock samples, all threads) of backup and restore"
    rm -rf "$s"
    perf record -q -e cpu-clock -F 999 -o "$P/backup.perf.data" -- \
      "$M" backup --url "$URL" -d "$MIG" -b "$s" -q >/dev/null 2>&1 || true
    cp "$BIG" "$W/tgt_p.db"; sync "$W/tgt_p.db"
    perf record -q -e cpu-clock -F 999 -o "$P/restore.perf.data" -- \
      $(restore_cmd "$s" "$W/tgt_p.db") >/dev/null 2>&1 || true
    local k
    for k in backup restore; do
      perf report -i "$P/$k.perf.data" --stdio --sort dso 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12 >"$P/${k}_perf_dso.txt" || true
      perf report -i "$P/$k.perf.data" --stdio --sort comm,dso,sym 2>/dev/null | grep -v '^#' | grep -v '^$' | head -30 >"$P/${k}_perf_sym.txt" || true
      rm -f "$P/$k.perf.data" "$P/$k.perf.data.old"
    done
  fi
  check "profile: restored copy has big.db's sha3sum" same_sha3 "$W/tgt_p.db" "$BIG"
  rm -rf "$s" "$W/tgt_p.db" "$W/tgt_p.db-journal"
}

section_report() {
  python3 "$BENCH/backup_report.py" "$R" >"$R/summary.md"
  log "summary: $R/summary.md"
}

# --- main ------------------------------------------------------------------------------------
{
  echo "# $(date -u +%FT%TZ) $0 $*"
  echo "nproc $(nproc); $(lscpu | sed -n 's/^Model name: *//p'); $(free -g | awk '/Mem:/ {print $2 " GiB RAM"}')"
  echo "fs: $(df -hT "$W" | awk 'NR==2 {print $2, $1, $3 " total"}')"
  echo "migrate: $("$M" version | tr '\n' ' '); binary $MIGRATE_SRC built $(date -u -r "$MIGRATE_SRC" +%FT%TZ), sha256 $(sha256sum "$M" | cut -c1-16); repo HEAD $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) ($(git -C "$ROOT" status --short -- src include 2>/dev/null | wc -l) changed paths under src/ include/)"
  echo "sqlite3 $(sqlite3 --version | cut -d' ' -f1); $(zstd --version); $(openssl version); $(sha256sum --version | head -1); $(hyperfine --version)"
} >>"$R/machine.txt"

sections=("$@")
[[ ${#sections[@]} -gt 0 ]] || sections=(gen backup restore verify deep rss check profile report)
section_gen
for s in "${sections[@]}"; do
  [[ "$s" == gen ]] && continue
  "section_$s"
done
