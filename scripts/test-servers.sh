#!/usr/bin/env bash
# Throwaway PostgreSQL and MariaDB servers for the integration tests.
#
#   scripts/test-servers.sh start  [postgres|mariadb|all]   (default: all)
#   scripts/test-servers.sh stop   [postgres|mariadb|all]
#   scripts/test-servers.sh status [postgres|mariadb|all]
#
# `start` installs Debian's servers if missing, then runs one private server
# per database out of ${MIGRATE_TEST_SERVERS_DIR:-/tmp/migrate-test-servers}
# (data, socket, log and PID there), listening on 127.0.0.1 at a free port and
# on a unix socket in that directory. Each has a password-protected login
# migrate / migrate-test-pw and a database migrate_test. It prints, and writes
# to <dir>/env, the lines to eval:
#
#   export MIGRATE_TEST_POSTGRES_URL=...         (TCP)
#   export MIGRATE_TEST_POSTGRES_SOCKET_URL=...  (unix socket)
#   export MIGRATE_TEST_MYSQL_URL=...
#   export MIGRATE_TEST_MYSQL_SOCKET_URL=...
#
# Starting what already runs only prints again. `stop` signals exactly the PIDs
# this script recorded (never pkill/killall, never another server) and removes
# their directories. Progress goes to stderr, the export lines to stdout, so
#   eval "$(scripts/test-servers.sh start)"
# works too. Runs without a terminal, as root (CI) or as an ordinary user.
set -euo pipefail

readonly STATE_DIR="${MIGRATE_TEST_SERVERS_DIR:-/tmp/migrate-test-servers}"
readonly TEST_USER="migrate"
readonly TEST_PASSWORD="migrate-test-pw"
readonly TEST_DATABASE="migrate_test"
readonly START_TIMEOUT=60
readonly STOP_TIMEOUT=20

usage() {
  echo "usage: $0 start|stop|status [postgres|mariadb|all]" >&2
  exit 2
}

log() { echo "test-servers: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# Variables that would redirect the clients used for setup somewhere else.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGPASSWORD PGDATABASE PGSERVICE PGSERVICEFILE \
  PGOPTIONS PGPASSFILE PGSSLMODE MYSQL_HOST MYSQL_TCP_PORT MYSQL_UNIX_PORT MYSQL_PWD

is_root() { [[ $(id -u) -eq 0 ]]; }

# Runs "$@" as root (directly, or through sudo).
as_root() {
  if is_root; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

# --- installation ------------------------------------------------------------

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

ensure_packages() {
  local missing=() p
  for p in "$@"; do
    installed "$p" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# --- helpers -----------------------------------------------------------------

# A TCP port on 127.0.0.1 that nothing listens on, below Linux's ephemeral
# range (32768+) so outgoing connections do not take it meanwhile. The server's
# own bind is the real test: a start that loses a race retries with another.
free_port() {
  local port i listening=""
  if command -v ss >/dev/null 2>&1; then
    listening=$(ss -Hltn 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u || true)
  fi
  for ((i = 0; i < 500; i++)); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
    grep -qx "$port" <<<"$listening" && continue
    # A refused connection means nothing listens there.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "found no free TCP port"
}

# True when PID is alive and its working directory is DIR: both servers chdir
# into their data directory, so a recycled PID is never mistaken for ours.
is_our_process() {
  local pid=$1 dir=$2 cwd
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || return 1
  [[ $cwd == "$(readlink -f "$dir")" ]]
}

# PIDs of the processes whose parent is $1.
children_of() {
  local stat pid ppid rest
  for stat in /proc/[0-9]*/stat; do
    read -r pid rest <"$stat" 2>/dev/null || continue
    rest=${rest##*) }  # past "(comm) "
    read -r _ ppid _ <<<"$rest"
    [[ $ppid == "$1" ]] && echo "$pid"
  done
  return 0
}

# Stops process PID (recorded by us, checked with is_our_process): SIGNAL,
# up to STOP_TIMEOUT seconds for it to exit, then SIGKILL for it and its
# children (a PostgreSQL postmaster's backends).
stop_pid() {
  local pid=$1 signal=$2 name=$3 i kids=()
  kill "-$signal" "$pid" 2>/dev/null || return 0
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "$name (pid $pid) still running after ${STOP_TIMEOUT}s: SIGKILL"
  mapfile -t kids < <(children_of "$pid")
  kill -KILL "$pid" "${kids[@]}" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "warning: $name (pid $pid) did not exit after SIGKILL"
}

check_socket_path() {
  # sun_path holds 107 characters.
  ((${#1} <= 100)) || die "unix socket path too long (${#1} > 100): $1; set a shorter MIGRATE_TEST_SERVERS_DIR"
}

tail_log() {
  local file=$1
  [[ -f $file ]] || return 0
  echo "--- last lines of $file ---" >&2
  tail -n 30 "$file" >&2 || true
  echo "---" >&2
}

# --- PostgreSQL --------------------------------------------------------------

PG_DIR="$STATE_DIR/postgres"
PGBIN=""

find_pgbin() {
  local major best=""
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x $dir/postgres && -x $dir/initdb ]] || continue
    major=$(basename "$(dirname "$dir")")
    [[ $major =~ ^[0-9]+$ ]] || continue
    if [[ -z $best ]] || ((major > best)); then best=$major; fi
  done
  [[ -n $best ]] || return 1
  PGBIN="/usr/lib/postgresql/$best/bin"
}

# The OS user that runs the server: `postgres` when we are root (PostgreSQL
# refuses to run as root), ourselves otherwise.
pg_os_user() { if is_root; then echo postgres; else id -un; fi; }

as_pg() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

pg_running() { [[ -f $PG_DIR/pid ]] && is_our_process "$(cat "$PG_DIR/pid")" "$PG_DIR/data"; }

start_postgres() {
  if pg_running; then
    log "postgres already running (pid $(cat "$PG_DIR/pid"), port $(cat "$PG_DIR/port"))"
    return 0
  fi
  ensure_packages postgresql openssl
  find_pgbin || die "no PostgreSQL server under /usr/lib/postgresql/*/bin"
  if is_root; then
    id -u postgres >/dev/null 2>&1 || die "no 'postgres' system user to run the server as"
  fi
  local t0=$SECONDS os_user port attempt
  os_user=$(pg_os_user)
  rm -rf "$PG_DIR"
  mkdir -p "$PG_DIR/sock"
  chmod 700 "$PG_DIR" "$PG_DIR/sock"
  if is_root; then chown -R postgres:postgres "$PG_DIR"; fi
  check_socket_path "$PG_DIR/sock/.s.PGSQL.65535"

  log "postgres: initdb ($PGBIN)"
  if ! as_pg "$PGBIN/initdb" -D "$PG_DIR/data" -U postgres -E UTF8 --locale=C \
    --auth-local=peer --auth-host=scram-sha-256 --nosync >"$PG_DIR/initdb.log" 2>&1; then
    tail_log "$PG_DIR/initdb.log"
    die "postgres: initdb failed"
  fi
  # Passwords everywhere, except the server's own OS user as the postgres
  # superuser over the socket (peer, used below for setup only).
  # Members of migrate_ssl_only may log in over TCP only with SSL, so that
  # tests can tell that every connection (pg_dump's and psql's too) used it.
  cat >"$PG_DIR/data/pg_hba.conf" <<EOF
# migrate test server (scripts/test-servers.sh)
local   all   postgres                  peer map=setup
local   all   all                       scram-sha-256
hostnossl all +migrate_ssl_only 127.0.0.1/32 reject
host    all   all   127.0.0.1/32        scram-sha-256
host    all   all   ::1/128             scram-sha-256
EOF
  echo "setup   $os_user   postgres" >"$PG_DIR/data/pg_ident.conf"
  cat >"$PG_DIR/data/migrate-test.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR/sock'
password_encryption = 'scram-sha-256'
# A throwaway server: durability does not matter, speed does.
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  # SSL with a self-signed certificate for 127.0.0.1, which clients can
  # verify with sslrootcert=$PG_DIR/server.crt (sslmode=verify-full).
  if openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$PG_DIR/data/server.key" \
    -out "$PG_DIR/server.crt" >"$PG_DIR/openssl.log" 2>&1; then
    cp "$PG_DIR/server.crt" "$PG_DIR/data/server.crt"
    chmod 600 "$PG_DIR/data/server.key"
    if is_root; then chown postgres:postgres "$PG_DIR/data/"server.{key,crt}; fi
    echo "ssl = on" >>"$PG_DIR/data/migrate-test.conf"
  else
    log "postgres: no SSL (openssl failed: $(tail -n1 "$PG_DIR/openssl.log"))"
  fi
  echo "include 'migrate-test.conf'" >>"$PG_DIR/data/postgresql.conf"
  if is_root; then chown postgres:postgres "$PG_DIR/data/"{pg_hba.conf,pg_ident.conf,migrate-test.conf}; fi

  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    log "postgres: starting on 127.0.0.1:$port"
    if as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -o "-p $port" \
      -w -t "$START_TIMEOUT" -s start >>"$PG_DIR/pg_ctl.log" 2>&1 9>&-; then
      break
    fi
    if [[ -f $PG_DIR/data/postmaster.pid ]]; then
      # pg_ctl gave up waiting but the server may be there: ours to stop.
      stop_pid "$(head -n1 "$PG_DIR/data/postmaster.pid")" INT postgres
    fi
    if ((attempt < 5)) && grep -q "Address already in use" "$PG_DIR/postgres.log" 2>/dev/null; then
      log "postgres: port $port taken meanwhile, trying another"
      : >"$PG_DIR/postgres.log"
      continue
    fi
    tail_log "$PG_DIR/pg_ctl.log"
    tail_log "$PG_DIR/postgres.log"
    die "postgres: server did not start (pg_ctl waits up to ${START_TIMEOUT}s)"
  done
  head -n1 "$PG_DIR/data/postmaster.pid" >"$PG_DIR/pid"
  echo "$port" >"$PG_DIR/port"

  local psql=(as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR/sock" -p "$port" -U postgres -d postgres)
  if ! "${psql[@]}" -c "CREATE ROLE $TEST_USER LOGIN SUPERUSER PASSWORD '$TEST_PASSWORD'" \
    -c "CREATE DATABASE $TEST_DATABASE OWNER $TEST_USER" \
    -c "CREATE ROLE migrate_ssl_only NOLOGIN" >"$PG_DIR/setup.log" 2>&1; then
    tail_log "$PG_DIR/setup.log"
    stop_postgres
    die "postgres: creating the '$TEST_USER' role and '$TEST_DATABASE' database failed"
  fi
  log "postgres: up (pid $(cat "$PG_DIR/pid"), port $port) in $((SECONDS - t0))s"
}

stop_postgres() {
  if [[ -f $PG_DIR/pid ]] && is_our_process "$(cat "$PG_DIR/pid")" "$PG_DIR/data"; then
    local pid
    pid=$(cat "$PG_DIR/pid")
    log "postgres: stopping pid $pid"
    # SIGINT is PostgreSQL's fast shutdown (SIGTERM's "smart" one would wait
    # for every client to disconnect).
    stop_pid "$pid" INT postgres
  fi
  rm -rf "$PG_DIR"
}

postgres_env() {
  local port
  port=$(cat "$PG_DIR/port")
  echo "export MIGRATE_TEST_POSTGRES_URL='postgres://$TEST_USER:$TEST_PASSWORD@127.0.0.1:$port/$TEST_DATABASE?sslmode=disable'"
  # The socket's file name carries the port (.s.PGSQL.<port>), so the URL does too.
  echo "export MIGRATE_TEST_POSTGRES_SOCKET_URL='postgres://$TEST_USER:$TEST_PASSWORD@localhost:$port/$TEST_DATABASE?host=$PG_DIR/sock'"
  if [[ -f $PG_DIR/server.crt ]]; then
    echo "export MIGRATE_TEST_POSTGRES_SSL_URL='postgres://$TEST_USER:$TEST_PASSWORD@127.0.0.1:$port/$TEST_DATABASE?sslmode=verify-full&sslrootcert=$PG_DIR/server.crt'"
  fi
}

# --- MariaDB -----------------------------------------------------------------

MY_DIR="$STATE_DIR/mariadb"

first_command() {
  local c
  for c in "$@"; do
    if command -v "$c" >/dev/null 2>&1; then
      command -v "$c"
      return 0
    elif [[ -x /usr/sbin/$c ]]; then
      echo "/usr/sbin/$c"
      return 0
    fi
  done
  return 1
}

my_running() { [[ -f $MY_DIR/pid ]] && is_our_process "$(cat "$MY_DIR/pid")" "$MY_DIR/data"; }

start_mariadb() {
  if my_running; then
    log "mariadb already running (pid $(cat "$MY_DIR/pid"), port $(cat "$MY_DIR/port"))"
    return 0
  fi
  ensure_packages mariadb-server mariadb-client
  local mysqld install_db admin client
  mysqld=$(first_command mariadbd mysqld) || die "no mariadbd/mysqld binary"
  install_db=$(first_command mariadb-install-db mysql_install_db) || die "no mariadb-install-db"
  admin=$(first_command mariadb-admin mysqladmin) || die "no mariadb-admin"
  client=$(first_command mariadb mysql) || die "no mariadb client"

  local t0=$SECONDS os_user user_args=() port attempt pid="" i up
  os_user=$(id -un)
  if is_root; then
    id -u mysql >/dev/null 2>&1 || die "no 'mysql' system user to run the server as"
    user_args=(--user=mysql)
  fi
  rm -rf "$MY_DIR"
  mkdir -p "$MY_DIR/data" "$MY_DIR/tmp"
  chmod 700 "$MY_DIR"
  if is_root; then chown -R mysql:mysql "$MY_DIR"; fi
  local socket="$MY_DIR/mysqld.sock"
  check_socket_path "$socket"

  log "mariadb: installing the system tables ($install_db)"
  # root@localhost (and our OS user when not root) log in through the unix
  # socket without a password, as that OS user only: nothing is passwordless
  # over TCP.
  if ! "$install_db" --no-defaults "${user_args[@]}" --datadir="$MY_DIR/data" \
    --auth-root-authentication-method=socket --auth-root-socket-user="$os_user" \
    --skip-test-db --skip-name-resolve --tmpdir="$MY_DIR/tmp" >"$MY_DIR/install-db.log" 2>&1; then
    tail_log "$MY_DIR/install-db.log"
    die "mariadb: mariadb-install-db failed"
  fi

  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    log "mariadb: starting on 127.0.0.1:$port"
    : >"$MY_DIR/mariadbd.log"
    if is_root; then chown mysql:mysql "$MY_DIR/mariadbd.log"; fi
    "$mysqld" --no-defaults "${user_args[@]}" --datadir="$MY_DIR/data" --socket="$socket" \
      --port="$port" --bind-address=127.0.0.1 --skip-networking=0 --skip-name-resolve \
      --pid-file="$MY_DIR/mariadbd.pid" --log-error="$MY_DIR/mariadbd.log" --tmpdir="$MY_DIR/tmp" \
      --innodb-buffer-pool-size=256M --innodb-log-file-size=256M --innodb-flush-log-at-trx-commit=0 \
      --skip-log-bin --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
      </dev/null >>"$MY_DIR/mariadbd.out" 2>&1 9>&- &
    pid=$!
    echo "$pid" >"$MY_DIR/pid"
    echo "$port" >"$MY_DIR/port"
    up=""
    for ((i = 0; i < START_TIMEOUT * 10; i++)); do
      if ! kill -0 "$pid" 2>/dev/null; then break; fi
      # ping exits 0 once the server answers (even "access denied").
      if "$admin" --no-defaults --socket="$socket" -u "$os_user" --connect-timeout=2 ping \
        >/dev/null 2>&1; then
        up=1
        break
      fi
      sleep 0.1
    done
    [[ -n $up ]] && break
    if kill -0 "$pid" 2>/dev/null; then stop_pid "$pid" TERM mariadb; fi
    if ((attempt < 5)) && grep -q "Address already in use" "$MY_DIR/mariadbd.log" 2>/dev/null; then
      log "mariadb: port $port taken meanwhile, trying another"
      continue
    fi
    tail_log "$MY_DIR/mariadbd.log"
    tail_log "$MY_DIR/mariadbd.out"
    rm -f "$MY_DIR/pid"
    if [[ -n ${i:-} ]] && ((i >= START_TIMEOUT * 10)); then
      die "mariadb: server did not accept connections within ${START_TIMEOUT}s"
    fi
    die "mariadb: server exited while starting"
  done

  local sql
  sql="DROP USER IF EXISTS ''@'localhost', ''@'$(hostname 2>/dev/null || echo localhost)';
CREATE USER '$TEST_USER'@'127.0.0.1' IDENTIFIED BY '$TEST_PASSWORD';
CREATE USER '$TEST_USER'@'localhost' IDENTIFIED BY '$TEST_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$TEST_USER'@'localhost' WITH GRANT OPTION;
CREATE DATABASE $TEST_DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
FLUSH PRIVILEGES;"
  if ! "$client" --no-defaults --socket="$socket" -u "$os_user" -e "$sql" >"$MY_DIR/setup.log" 2>&1; then
    tail_log "$MY_DIR/setup.log"
    stop_mariadb
    die "mariadb: creating the '$TEST_USER' user and '$TEST_DATABASE' database failed"
  fi
  log "mariadb: up (pid $pid, port $port) in $((SECONDS - t0))s"
}

stop_mariadb() {
  if [[ -f $MY_DIR/pid ]] && is_our_process "$(cat "$MY_DIR/pid")" "$MY_DIR/data"; then
    local pid
    pid=$(cat "$MY_DIR/pid")
    log "mariadb: stopping pid $pid"
    stop_pid "$pid" TERM mariadb
  fi
  rm -rf "$MY_DIR"
}

mariadb_env() {
  local port
  port=$(cat "$MY_DIR/port")
  echo "export MIGRATE_TEST_MYSQL_URL='mysql://$TEST_USER:$TEST_PASSWORD@127.0.0.1:$port/$TEST_DATABASE'"
  echo "export MIGRATE_TEST_MYSQL_SOCKET_URL='mysql://$TEST_USER:$TEST_PASSWORD@localhost/$TEST_DATABASE?socket=$MY_DIR/mysqld.sock'"
}

# --- commands ----------------------------------------------------------------

# Rewrites <dir>/env with the lines of every server that runs now.
write_env() {
  local tmp="$STATE_DIR/env.tmp"
  {
    if pg_running; then postgres_env; fi
    if my_running; then mariadb_env; fi
  } >"$tmp"
  mv -f "$tmp" "$STATE_DIR/env"
}

status_of() {
  local name=$1 dir=$2
  if [[ -f $dir/pid ]] && is_our_process "$(cat "$dir/pid")" "$dir/data"; then
    echo "$name: running (pid $(cat "$dir/pid"), 127.0.0.1:$(cat "$dir/port"), $dir)"
  elif [[ -d $dir ]]; then
    echo "$name: not running (stale directory $dir)"
  else
    echo "$name: not running"
  fi
}

main() {
  local command=${1:-} which=${2:-all}
  [[ $# -le 2 ]] || usage
  case $which in postgres | mariadb | all) ;; *) usage ;; esac
  case $command in start | stop | status) ;; *) usage ;; esac

  # The paths go unquoted into URLs and shell lines.
  [[ $STATE_DIR =~ ^/[A-Za-z0-9/._-]*$ ]] ||
    die "MIGRATE_TEST_SERVERS_DIR must be an absolute path of letters, digits and / . _ - (got '$STATE_DIR')"

  if [[ $command == status ]]; then
    if [[ $which != mariadb ]]; then status_of postgres "$PG_DIR"; fi
    if [[ $which != postgres ]]; then status_of mariadb "$MY_DIR"; fi
    return 0
  fi

  mkdir -p "$STATE_DIR"
  chmod 755 "$STATE_DIR"  # the server users must reach their subdirectories
  # One start/stop at a time. The servers must not inherit fd 9 (9>&- where
  # they start), or they would hold the lock as long as they run.
  exec 9>"$STATE_DIR/.lock"
  flock -w 300 9 || die "another test-servers.sh holds $STATE_DIR/.lock"

  local failed=0
  if [[ $command == start ]]; then
    # Each in a subshell so that one failing (die) still lets the other
    # start. Not "(...) || failed=1": bash ignores errexit inside that.
    set +e
    if [[ $which != mariadb ]]; then
      (set -e; start_postgres)
      # shellcheck disable=SC2181  # see above
      (($? == 0)) || failed=1
    fi
    if [[ $which != postgres ]]; then
      (set -e; start_mariadb)
      # shellcheck disable=SC2181  # see above
      (($? == 0)) || failed=1
    fi
    set -e
    write_env
    cat "$STATE_DIR/env"
    ((failed == 0)) || log "error: not every server started (see above)"
  else
    if [[ $which != mariadb ]]; then stop_postgres; fi
    if [[ $which != postgres ]]; then stop_mariadb; fi
    if [[ -d $PG_DIR || -d $MY_DIR ]]; then
      write_env
    else
      # Nothing left: our own files, then the directory if it is empty.
      rm -f "$STATE_DIR/env" "$STATE_DIR/env.tmp" "$STATE_DIR/.lock"
      rmdir "$STATE_DIR" 2>/dev/null || true
    fi
  fi
  return "$failed"
}

main "$@"
