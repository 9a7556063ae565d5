#!/usr/bin/env bash
# Local throwaway PostgreSQL 15 cluster (Debian 12's packages) for Accord's
# change-data-capture development and tests: logical decoding on, listening on
# 127.0.0.1 and a unix socket in its run dir under <repo>/.cache/postgres, with
# TRUST authentication (no passwords) -- for development and tests only.
# Run `deploy/local/postgres.sh --help` for usage.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
PROG="deploy/local/postgres.sh"

PG_MAJOR=15
PG_BIN="/usr/lib/postgresql/$PG_MAJOR/bin"
CACHE_ROOT="${ACCORD_CACHE_DIR:-$REPO_ROOT/.cache}"
PORT="${ACCORD_PG_PORT:-5432}"
RUN_DIR_SETTING="${ACCORD_PG_RUN_DIR:-}"
START_TIMEOUT="${ACCORD_PG_START_TIMEOUT:-60}"
STOP_TIMEOUT="${ACCORD_PG_STOP_TIMEOUT:-30}"

DB_NAME="accord"
DB_USER="accord"
# initdb's bootstrap superuser; the script administers the cluster as it.
ADMIN_USER="postgres"

DSN="host=127.0.0.1 port=$PORT dbname=$DB_NAME user=$DB_USER"

usage() {
  cat <<EOF
Usage: $PROG <command> [args]

Runs a local throwaway PostgreSQL $PG_MAJOR cluster (Debian 12's packages, binaries in
$PG_BIN) for Accord's change-data-capture development and tests:
listening on 127.0.0.1 only and on a unix socket in its run dir, wal_level=logical,
max_replication_slots=10, max_wal_senders=10, a database '$DB_NAME' and a superuser
role '$DB_USER' with REPLICATION.

FOR DEVELOPMENT AND TESTS ONLY: authentication is 'trust' for local (socket) and
127.0.0.1 connections, so anyone who can reach them may connect as any role without
a password.

Commands:
  start         initdb into the run dir on first use, start the server in the
                background, wait until it accepts connections (pg_isready), create
                the '$DB_NAME' role and database if missing, and print the connection
                string. If the server already answers, says so and exits 0.
  stop          Stop the server of this run dir (pg_ctl stop -m fast; -m immediate
                after ACCORD_PG_STOP_TIMEOUT s). Exits 0 if it was not running.
  status        Print whether the server runs and its connection string.
                Exit code 0 if running, 3 if not.
  psql [ARGS]   Run psql $PG_MAJOR connected as '$DB_USER' to '$DB_NAME' on 127.0.0.1:<port>;
                ARGS go to psql (e.g. -c 'show wal_level'). The server must be running.
  -h, --help    Show this help.

Environment (current value in brackets):
  ACCORD_PG_PORT            TCP port on 127.0.0.1 [$PORT]
  ACCORD_PG_RUN_DIR         run dir (data, socket, logs)
                            [${RUN_DIR_SETTING:-$CACHE_ROOT/postgres/pg-run-$PORT}]
  ACCORD_CACHE_DIR          cache root holding the default run dir [$CACHE_ROOT]
  ACCORD_PG_START_TIMEOUT   seconds to wait for the server to accept connections [$START_TIMEOUT]
  ACCORD_PG_STOP_TIMEOUT    seconds to wait for a fast shutdown before an immediate one
                            [$STOP_TIMEOUT]

Connection string: $DSN
(socket: host=<run dir> instead of host=127.0.0.1)

Files:
  run dir   data/ (the cluster; postgresql.conf includes the generated accord.conf,
            and pg_hba.conf, both rewritten on each start), postgres.log (+ .prev),
            initdb.log, .s.PGSQL.<port> (the unix socket); one per port by default,
            so servers on different ports coexist. Delete it after 'stop' to start
            from scratch.

initdb refuses to run as root: when run as root, the server runs as the '$ADMIN_USER'
system user (created by Debian's package) and the run dir is owned by it; that user
must be able to reach the run dir. Otherwise the server runs as the calling user.
If the binaries are missing, postgresql-$PG_MAJOR and postgresql-client-$PG_MAJOR are
installed with apt-get (needs root); that package may start Debian's own cluster
'$PG_MAJOR/main' on port 5432 (pg_ctlcluster $PG_MAJOR main stop, or set ACCORD_PG_PORT).
EOF
}

die() { echo "postgres.sh: error: $*" >&2; exit 1; }
log() { echo "postgres.sh: $*" >&2; }

# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

validate_env() {
  is_port "$PORT" || die "ACCORD_PG_PORT must be a port number, got '$PORT'"
  is_posint "$START_TIMEOUT" || die "ACCORD_PG_START_TIMEOUT must be a positive integer, got '$START_TIMEOUT'"
  is_posint "$STOP_TIMEOUT" || die "ACCORD_PG_STOP_TIMEOUT must be a positive integer, got '$STOP_TIMEOUT'"
}

init_paths() {
  # Absolute (ACCORD_PG_RUN_DIR and ACCORD_CACHE_DIR may be relative), not created here.
  RUN_DIR="$(realpath -m -- "${RUN_DIR_SETTING:-$CACHE_ROOT/postgres/pg-run-$PORT}")"
  [[ "$RUN_DIR" != *"'"* && "$RUN_DIR" != *$'\n'* ]] || die "the run dir path must not contain quotes or newlines: $RUN_DIR"
  [[ "$RUN_DIR" != / ]] || die "the run dir must not be /"
  DATA_DIR="$RUN_DIR/data"
  LOG_FILE="$RUN_DIR/postgres.log"
  INIT_MARKER="$RUN_DIR/.initdb-complete"
  SOCKET="$RUN_DIR/.s.PGSQL.$PORT"
}

# ---------------------------------------------------------------------------
# Tooling and the user the server runs as
# ---------------------------------------------------------------------------


ensure_client() {
  [[ -x "$PG_BIN/psql" && -x "$PG_BIN/pg_isready" ]] && return 0
  apt_install "postgresql-client-$PG_MAJOR"
  [[ -x "$PG_BIN/psql" ]] || die "$PG_BIN/psql still missing after installing postgresql-client-$PG_MAJOR"
}

ensure_server() {
  ensure_client
  [[ -x "$PG_BIN/postgres" && -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_ctl" ]] && return 0
  apt_install "postgresql-$PG_MAJOR"
  [[ -x "$PG_BIN/postgres" ]] || die "$PG_BIN/postgres still missing after installing postgresql-$PG_MAJOR"
}

# As root, the server and its tools run as the postgres system user (initdb and
# pg_ctl refuse root); otherwise as the calling user.
AS_SERVER=()
SERVER_USER="$(id -un)"
init_server_user() {
  if [[ "$(id -u)" == 0 ]]; then
    id -u "$ADMIN_USER" >/dev/null 2>&1 ||
      die "no '$ADMIN_USER' system user to run the server as (it comes with the postgresql-$PG_MAJOR package)"
    command -v runuser >/dev/null 2>&1 || die "runuser (util-linux) is needed to run the server as '$ADMIN_USER'"
    SERVER_USER="$ADMIN_USER"
    AS_SERVER=(runuser -u "$ADMIN_USER" --)
  fi
}

# Runs a command as the server user, from the run dir (the caller's working
# directory may be closed to that user).
as_server() { (cd "$RUN_DIR" && "${AS_SERVER[@]}" "$@"); }

pg_ctl_() { as_server "$PG_BIN/pg_ctl" -D "$DATA_DIR" "$@"; }

# Writes stdin to a file the server user owns.
write_owned() { # $1 = file
  cat >"$1"
  if [[ "$(id -u)" == 0 ]]; then chown "$SERVER_USER:" "$1"; fi
}

# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------

port_open() { # $1 = port
  timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# Exit 0 if a PostgreSQL server accepts connections on 127.0.0.1:$PORT (a role
# that exists, so that the checks leave no "role does not exist" in the log).
is_ready() {
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U "$ADMIN_USER" -d postgres -t 2 >/dev/null 2>&1
}

# Exit 0 if the process is a zombie: dead, but not yet reaped by an init that
# is slow to reap (pg_ctl and the postmaster would take it for a live server).
is_zombie() { # $1 = pid
  [[ "$(sed -E 's/^.*\) (.).*/\1/' "/proc/$1/stat" 2>/dev/null)" == Z ]]
}

# The pid a lock file (postmaster.pid, the socket's .lock) names, if any.
lockfile_pid() { # $1 = file
  local pid
  pid="$(head -n 1 "$1" 2>/dev/null | tr -dc '0-9')" || true
  [[ -n "$pid" ]] && echo "$pid"
}

# Prints the pid of the server running from this run dir, if any.
server_pid() {
  [[ -f "$DATA_DIR/PG_VERSION" ]] || return 1
  local out pid
  out="$(pg_ctl_ status 2>/dev/null)" || return 1
  pid="$(sed -nE 's/.*\(PID: ([0-9]+)\).*/\1/p' <<<"$out" | head -n 1)"
  if [[ -n "$pid" ]] && is_zombie "$pid"; then return 1; fi
  echo "${pid:-?}"
}

# Lock files naming a dead (zombie) postmaster would make the new one refuse
# to start; ones naming no process at all are handled by PostgreSQL itself.
clear_stale_lockfiles() {
  local f pid
  for f in "$DATA_DIR/postmaster.pid" "$SOCKET.lock"; do
    pid="$(lockfile_pid "$f")" || continue
    if is_zombie "$pid"; then
      log "removing $f of the dead server $pid"
      rm -f "$f"
    fi
  done
}

print_log_tail() { # [$1 = file, default the server log]
  local f="${1:-$LOG_FILE}"
  [[ -s "$f" ]] || return 0
  echo "----- last lines of $f -----" >&2
  tail -n 40 "$f" >&2
}

# ---------------------------------------------------------------------------
# Cluster setup
# ---------------------------------------------------------------------------

prepare_run_dir() {
  mkdir -p "$RUN_DIR"
  if [[ "$(id -u)" == 0 ]]; then
    chown "$SERVER_USER:" "$RUN_DIR"
    # A data dir left by a run as another user (e.g. not as root) would not start.
    if [[ -d "$DATA_DIR" && "$(stat -c %U "$DATA_DIR")" != "$SERVER_USER" ]]; then
      log "handing $DATA_DIR to '$SERVER_USER'"
      chown -R "$SERVER_USER:" "$DATA_DIR"
    fi
  elif [[ ! -O "$RUN_DIR" ]]; then
    die "$RUN_DIR belongs to '$(stat -c %U "$RUN_DIR")'; run as root (or as that user), or set ACCORD_PG_RUN_DIR"
  fi
  chmod 755 "$RUN_DIR"
  as_server test -w "$RUN_DIR" -a -x "$RUN_DIR" 2>/dev/null ||
    die "user '$SERVER_USER' cannot write to $RUN_DIR (is a parent directory closed to it?); set ACCORD_PG_RUN_DIR to a directory it can reach, e.g. /tmp/accord-pg-$PORT"
  # The socket path must fit in sockaddr_un.sun_path (108 bytes with the NUL).
  ((${#SOCKET} <= 107)) ||
    die "the unix socket path $SOCKET is ${#SOCKET} bytes, over the limit of 107; set ACCORD_PG_RUN_DIR to a shorter path"
}

init_cluster() {
  if [[ -f "$INIT_MARKER" && -f "$DATA_DIR/PG_VERSION" ]]; then
    local version
    version="$(cat "$DATA_DIR/PG_VERSION")"
    [[ "$version" == "$PG_MAJOR" ]] ||
      die "$DATA_DIR holds a PostgreSQL $version cluster, not $PG_MAJOR; delete $RUN_DIR to start from scratch"
    return 0
  fi
  if [[ -e "$DATA_DIR" ]]; then
    # An initdb of an earlier run that did not finish: only ever delete what looks like one.
    if [[ -f "$DATA_DIR/PG_VERSION" || -z "$(ls -A "$DATA_DIR" 2>/dev/null)" ]]; then
      log "removing the unfinished cluster of an earlier run in $DATA_DIR"
      rm -rf "$DATA_DIR"
    else
      die "$DATA_DIR exists but is not a PostgreSQL data directory; refusing to touch it"
    fi
  fi
  log "creating a PostgreSQL $PG_MAJOR cluster in $DATA_DIR (initdb)"
  # --no-sync: a throwaway cluster does not need initdb's fsyncs.
  if ! as_server "$PG_BIN/initdb" -D "$DATA_DIR" -U "$ADMIN_USER" --auth=trust -E UTF8 \
      --locale=C.UTF-8 --no-sync >"$RUN_DIR/initdb.log" 2>&1; then
    print_log_tail "$RUN_DIR/initdb.log"
    die "initdb failed (log in $RUN_DIR/initdb.log)"
  fi
  printf "\n# Added by %s: settings for Accord's local cluster.\ninclude_if_exists = 'accord.conf'\n" \
    "$PROG" >>"$DATA_DIR/postgresql.conf"
  date -u +%FT%TZ >"$INIT_MARKER"
}

write_config() {
  write_owned "$DATA_DIR/accord.conf" <<EOF
# Generated by $PROG on each start; edits are overwritten.
# A throwaway cluster for development and tests; see pg_hba.conf for its (lack of) security.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$RUN_DIR'
# Change data capture: logical decoding through replication slots.
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
timezone = 'UTC'
log_timezone = 'UTC'
EOF
  write_owned "$DATA_DIR/pg_hba.conf" <<EOF
# Generated by $PROG on each start; edits are overwritten.
# TRUST AUTHENTICATION, FOR DEVELOPMENT AND TESTS ONLY: anyone who can reach
# 127.0.0.1:$PORT or the socket in $RUN_DIR
# may connect as any role, including superusers, without a password.
# TYPE  DATABASE     USER  ADDRESS        METHOD
local   all          all                  trust
host    all          all   127.0.0.1/32   trust
local   replication  all                  trust
host    replication  all   127.0.0.1/32   trust
EOF
}

# Creates (or repairs) the accord role and database; idempotent.
ensure_role_and_db() {
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN_DIR" -p "$PORT" -U "$ADMIN_USER" -d postgres \
    >/dev/null <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
    CREATE ROLE $DB_USER LOGIN SUPERUSER REPLICATION;
  ELSE
    ALTER ROLE $DB_USER LOGIN SUPERUSER REPLICATION;
  END IF;
END
\$\$;
SELECT 'CREATE DATABASE $DB_NAME OWNER $DB_USER'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME') \gexec
SQL
}

# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------

# Waits (bounded) until pg_isready succeeds; $1 = seconds.
wait_ready() {
  local end=$((SECONDS + $1))
  until is_ready; do
    ((SECONDS < end)) || return 1
    sleep 0.2
  done
}

cmd_start() {
  local t0=$SECONDS pid
  ensure_server
  init_server_user
  prepare_run_dir
  # One start at a time per run dir (fd 8 is closed for the server below).
  exec 8>"$RUN_DIR/.start.lock"
  command -v flock >/dev/null 2>&1 && flock 8

  if pid="$(server_pid)"; then
    if ! is_ready; then
      log "server process $pid exists but does not accept connections yet; waiting"
      wait_ready "$START_TIMEOUT" || { print_log_tail; die "the server (pid $pid) did not accept connections on 127.0.0.1:$PORT within ${START_TIMEOUT}s (logs in $RUN_DIR)"; }
    fi
    ensure_role_and_db || die "could not create the '$DB_USER' role and database"
    echo "PostgreSQL already running (pid $pid, run dir $RUN_DIR)"
    echo "dsn: $DSN"
    return 0
  fi
  if port_open "$PORT"; then
    # Something we did not start listens on the port: accept it if Accord can use it.
    if is_ready && "$PG_BIN/psql" -X -q "$DSN connect_timeout=5" -c 'select 1' >/dev/null 2>&1; then
      echo "A PostgreSQL server is already answering on 127.0.0.1:$PORT (not started from $RUN_DIR); leaving it alone"
      echo "dsn: $DSN"
      return 0
    fi
    if is_ready; then
      die "a PostgreSQL server not started from $RUN_DIR answers on 127.0.0.1:$PORT, but not to '$DSN' (Debian's own cluster? 'pg_ctlcluster $PG_MAJOR main stop', or set ACCORD_PG_PORT)"
    fi
    die "port $PORT on 127.0.0.1 is in use by something that is not PostgreSQL (set ACCORD_PG_PORT)"
  fi

  init_cluster
  clear_stale_lockfiles
  write_config
  # Keep the previous run's log for post-mortems.
  [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.prev"
  log "starting the server, waiting up to ${START_TIMEOUT}s for 127.0.0.1:$PORT"
  if ! pg_ctl_ start -w -t "$START_TIMEOUT" -s -l "$LOG_FILE" 8>&-; then
    print_log_tail
    if pid="$(server_pid)"; then
      log "the server did not become ready; stopping it"
      pg_ctl_ stop -m immediate -w -t 30 -s || true
    fi
    die "PostgreSQL did not start on 127.0.0.1:$PORT (waited up to ${START_TIMEOUT}s; logs in $RUN_DIR)"
  fi
  # pg_ctl waited for the server; confirm over TCP, as clients will connect.
  wait_ready 10 || { print_log_tail; die "the server started but does not accept connections on 127.0.0.1:$PORT (logs in $RUN_DIR)"; }
  ensure_role_and_db || die "could not create the '$DB_USER' role and database"
  pid="$(server_pid || echo "?")"
  echo "PostgreSQL $PG_MAJOR running (pid $pid, started in $((SECONDS - t0)) s, run dir $RUN_DIR)"
  echo "dsn: $DSN"
}

cmd_stop() {
  local pid t0=$SECONDS
  if [[ ! -d "$RUN_DIR" ]] || [[ ! -x "$PG_BIN/pg_ctl" ]]; then
    echo "PostgreSQL not running (run dir $RUN_DIR)"
    return 0
  fi
  init_server_user
  if ! pid="$(server_pid)"; then
    echo "PostgreSQL not running (run dir $RUN_DIR)"
    return 0
  fi
  if ! pg_ctl_ stop -m fast -w -t "$STOP_TIMEOUT" -s; then
    log "server (pid $pid) still running after ${STOP_TIMEOUT}s; stopping it with -m immediate"
    pg_ctl_ stop -m immediate -w -t 30 -s || die "could not stop the server (pid $pid)"
  fi
  echo "PostgreSQL stopped (pid $pid, in $((SECONDS - t0)) s)"
}

cmd_status() {
  local pid
  ensure_client
  if [[ -d "$RUN_DIR" && -x "$PG_BIN/pg_ctl" ]]; then
    init_server_user
    if pid="$(server_pid)"; then
      if is_ready; then
        echo "running: pid $pid, dsn '$DSN', run dir $RUN_DIR"
        return 0
      fi
      echo "starting: pid $pid is up but 127.0.0.1:$PORT does not accept connections yet"
      return 3
    fi
  fi
  if is_ready; then
    echo "running: a PostgreSQL server not started from $RUN_DIR answers on 127.0.0.1:$PORT"
    return 0
  fi
  echo "not running (dsn would be '$DSN', run dir $RUN_DIR)"
  return 3
}

cmd_psql() {
  ensure_client
  is_ready || die "no PostgreSQL answers on 127.0.0.1:$PORT; run '$PROG start' first"
  PGHOST=127.0.0.1 PGPORT="$PORT" PGUSER="$DB_USER" PGDATABASE="$DB_NAME" exec "$PG_BIN/psql" "$@"
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    -h | --help | help) usage; return 0 ;;
    "") usage >&2; return 2 ;;
  esac
  validate_env
  init_paths
  case "$cmd" in
    start) [[ $# -eq 0 ]] || die "start takes no arguments"; cmd_start ;;
    stop) [[ $# -eq 0 ]] || die "stop takes no arguments"; cmd_stop ;;
    status) [[ $# -eq 0 ]] || die "status takes no arguments"; cmd_status ;;
    psql) cmd_psql "$@" ;;
    *) echo "postgres.sh: unknown command '$cmd'" >&2; usage >&2; return 2 ;;
  esac
}

main "$@"
