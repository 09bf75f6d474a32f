#!/usr/bin/env bash
# A private MariaDB server for tests and demos: its own data directory, socket and TCP port under
# DIR, never the system service, /var/lib/mysql or the system socket.
#
#   private-mariadb.sh start DIR    initialise DIR/data if needed, start, create user so/so
#   private-mariadb.sh stop DIR     shut down (kill -9 after 30 s); fine when not running
#   private-mariadb.sh status DIR   exit 0 when running, 3 when not
#
# start gives up when the server does not answer within SO_MARIADB_START_TIMEOUT_S (default 180)
# seconds. Ports are picked below the kernel's ephemeral range (see scripts/lib/private-server.sh).
#
# Files under DIR: data/ (the data directory), tmp/ (its tmpdir), mysqld.pid, mysqld.log (the
# error log), mysqld.out (stdout/stderr of mariadbd), port (the TCP port on 127.0.0.1), socket
# (the path of the unix socket; DIR/mysqld.sock unless that path is too long for a unix socket).
set -euo pipefail

# Generous, so that a machine busy with the rest of the suite (unit tests under ASan, a Galera
# cluster's state transfers) is not taken for a failed start; it usually takes about 3 s.
readonly START_TIMEOUT_S=${SO_MARIADB_START_TIMEOUT_S:-180}
readonly STOP_TIMEOUT_S=30

# Shared with private-galera.sh: say, die, port_in_use, the socket path, the data directory, ...
SO_SCRIPT=private-mariadb
# shellcheck source=scripts/lib/private-server.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/private-server.sh"

usage() {
  echo "usage: $0 start|stop|status DIR" >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
readonly CMD=$1
mkdir -p "$2"
DIR=$(cd "$2" && pwd -P)
readonly DIR
readonly DATA="$DIR/data"
readonly PID_FILE="$DIR/mysqld.pid"
readonly LOG_FILE="$DIR/mysqld.log"
readonly OUT_FILE="$DIR/mysqld.out"
readonly PORT_FILE="$DIR/port"
readonly SOCKET_FILE="$DIR/socket"

refuse_system_datadir "$DATA"

# DIR/mysqld.sock, or a short directory named after DIR when that is too long for a socket.
socket_path() {
  fitting_socket_path "$DIR/mysqld.sock" "/tmp/so-mariadb-$(dir_hash "$DIR")/mysqld.sock"
}
SOCK=$(socket_path)
readonly SOCK

# The pid of the server started from DIR, if it is alive; empty otherwise.
running_pid() { live_mariadbd_pid "$PID_FILE"; }

admin() { mariadb-admin --no-defaults --protocol=socket --socket="$SOCK" --user=root "$@"; }
client() { mariadb --no-defaults --protocol=socket --socket="$SOCK" --user=root "$@"; }

pick_port() {
  local port
  for _ in $(seq 1 200); do
    port=$(random_private_port)
    if ! port_in_use "$port"; then
      printf '%s' "$port"
      return 0
    fi
  done
  die "no free TCP port found in $PRIVATE_PORT_LOW-$PRIVATE_PORT_HIGH"
}

print_log_tail() { print_tail_of "" "$LOG_FILE" "$OUT_FILE"; }

init_data() { install_data_dir "$DATA" "$DIR/install-db.log"; }

# Starts mariadbd on $1 in its own session, detached from our stdio so that the caller (ctest)
# does not wait for it. Prints its pid.
launch() {
  local port=$1
  # innodb_flush_log_at_trx_commit stays at its durable default (1): the tests measure and
  # check real commits. The fd of the start lock is closed so the server does not inherit it.
  # A tmpdir of its own: servers that share /tmp (tests start several, and restart them) must
  # not see each other's internal temporary tables.
  mkdir -p "$DIR/tmp"
  setsid /usr/sbin/mariadbd --no-defaults \
    --datadir="$DATA" --socket="$SOCK" --port="$port" --bind-address=127.0.0.1 \
    --tmpdir="$DIR/tmp" \
    --pid-file="$PID_FILE" --log-error="$LOG_FILE" --user=root \
    --innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=1 \
    --skip-name-resolve --skip-log-bin --max-connections=500 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    --default-time-zone=+00:00 \
    </dev/null >>"$OUT_FILE" 2>&1 9>&- &
  printf '%s' "$!"
}

cmd_start() {
  exec 9>"$DIR/.lock"
  flock 9
  local pid
  pid=$(running_pid)
  if [[ -n $pid ]]; then
    say "already running from $DIR (pid $pid, port $(cat "$PORT_FILE" 2>/dev/null || echo '?'))"
    exit 0
  fi
  rm -f "$PID_FILE" "$PORT_FILE"
  mkdir -p "$(dirname "$SOCK")"
  init_data

  local attempt port started=0
  for attempt in 1 2 3; do
    port=$(pick_port)
    say "starting mariadbd on 127.0.0.1:$port, socket $SOCK (attempt $attempt)"
    : >"$LOG_FILE"
    pid=$(launch "$port")
    local deadline=$((SECONDS + START_TIMEOUT_S))
    while ((SECONDS < deadline)); do
      if admin ping >/dev/null 2>&1; then
        started=1
        break
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    ((started)) && break
    if kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
      print_log_tail
      die "mariadbd did not answer ping within ${START_TIMEOUT_S}s"
    fi
    # Someone else may have taken the port between the check and the bind: try another.
    if grep -q -i 'address already in use' "$LOG_FILE" 2>/dev/null; then
      say "port $port was taken meanwhile, picking another"
      continue
    fi
    print_log_tail
    die "mariadbd exited during start-up"
  done
  ((started)) || die "could not start mariadbd after 3 attempts"
  say "mariadbd is up (pid $pid)"

  say "creating user 'so' (localhost and 127.0.0.1)"
  client -e "$CREATE_TEST_USER_SQL" || {
    print_log_tail
    die "could not create user so"
  }
  printf '%s\n' "$port" >"$PORT_FILE"
  printf '%s\n' "$SOCK" >"$SOCKET_FILE"
  say "ready: port $port written to $PORT_FILE, socket $SOCK"
}

cmd_stop() {
  local pid
  pid=$(running_pid)
  if [[ -z $pid ]]; then
    say "not running ($DIR)"
    rm -f "$PID_FILE" "$PORT_FILE"
    exit 0
  fi
  if ! shutdown_mariadbd "" "$pid" "$SOCK"; then
    kill -9 "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PID_FILE" "$PORT_FILE"
  # The short socket directory of a deep DIR goes with the server (only if empty).
  case "$SOCK" in
    /tmp/so-mariadb-*/mysqld.sock) rmdir "$(dirname "$SOCK")" 2>/dev/null || true ;;
  esac
  say "stopped"
}

cmd_status() {
  local pid
  pid=$(running_pid)
  if [[ -z $pid ]]; then
    say "not running ($DIR)"
    exit 3
  fi
  say "running from $DIR: pid $pid, port $(cat "$PORT_FILE" 2>/dev/null || echo '?'), socket $SOCK"
}

case "$CMD" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) usage ;;
esac
