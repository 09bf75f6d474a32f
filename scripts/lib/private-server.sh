# shellcheck shell=bash
# Shell functions shared by private-mariadb.sh and private-galera.sh (sourced, not run): what they
# do the same way to a private mariadbd. The sourcing script sets SO_SCRIPT, the name its messages
# start with, and STOP_TIMEOUT_S. A LABEL argument is put before a message (e.g. "node 3: ").

say() { printf '%s: %s\n' "$SO_SCRIPT" "$*"; }
die() {
  printf '%s: error: %s\n' "$SO_SCRIPT" "$*" >&2
  exit 1
}

# Dies when $1 is the system data directory or under it.
refuse_system_datadir() {
  case "$1" in
    /var/lib/mysql | /var/lib/mysql/*) die "refusing to use the system data directory $1" ;;
  esac
}

# A unix socket path must fit in sun_path (108 bytes with the NUL); a deep build tree can be
# longer than that. Prints $1, or $2 (a short path elsewhere) when $1 is too long; dies when it
# would be the system socket.
fitting_socket_path() {
  local sock=$1
  ((${#sock} > 100)) && sock=$2
  case "$sock" in
    /run/mysqld/* | /var/run/mysqld/*) die "refusing to use the system socket $sock" ;;
  esac
  printf '%s' "$sock"
}

# A short name for directory $1: twelve hex digits of its md5 (for the short socket directory).
dir_hash() { printf '%s' "$1" | md5sum | cut -c1-12; }

# The pid in pid file $1, if that process is alive and a mariadbd; empty otherwise.
live_mariadbd_pid() {
  [[ -f $1 ]] || return 0
  local pid
  pid=$(tr -dc '0-9' <"$1")
  [[ -n $pid ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  # A recycled pid that belongs to something else is not our server.
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == mariadbd ]] || return 0
  printf '%s' "$pid"
}

# The range private servers take their ports from: 20000 up to just below the kernel's
# ephemeral range (ip_local_port_range, 32768 by default), where outgoing connections and
# sockets bound to port 0 get theirs: a port picked there could be taken by any connection
# between the check and the server's bind. 20000-40000 when that range starts too low.
readonly PRIVATE_PORT_LOW=20000
private_port_high() {
  local lo=0
  read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  if ((lo > PRIVATE_PORT_LOW + 1000)); then
    printf '%s' $((lo - 1))
  else
    printf '%s' 40000
  fi
}
PRIVATE_PORT_HIGH=$(private_port_high)
readonly PRIVATE_PORT_HIGH

# A random port of that range (free or not: see port_in_use).
random_private_port() {
  printf '%s' $((PRIVATE_PORT_LOW + (RANDOM * 32768 + RANDOM) % (PRIVATE_PORT_HIGH - PRIVATE_PORT_LOW + 1)))
}

# Is a TCP port in LISTEN state (0A) on any address, IPv4 or IPv6?
port_in_use() {
  local hex
  hex=$(printf '%04X' "$1")
  awk -v p="$hex" 'NR > 1 { split($2, a, ":"); if (a[2] == p && $4 == "0A") found = 1 }
                   END { exit found ? 0 : 1 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Initialises data directory $1 unless it holds one (mariadb-install-db's output in $2).
install_data_dir() {
  local data=$1 install_log=$2
  if [[ -d $data/mysql ]]; then
    say "data directory $data exists"
    return 0
  fi
  say "initialising $data"
  rm -rf "$data"
  if ! mariadb-install-db --no-defaults --datadir="$data" --user=root \
      --auth-root-authentication-method=socket --skip-test-db --skip-name-resolve \
      >"$install_log" 2>&1; then
    tail -n 40 "$install_log" >&2
    rm -rf "$data"
    die "mariadb-install-db failed (see $install_log)"
  fi
}

# The tests' user so/so, from localhost and 127.0.0.1, with every privilege.
# shellcheck disable=SC2034  # used by the sourcing scripts
readonly CREATE_TEST_USER_SQL="
    CREATE USER IF NOT EXISTS 'so'@'localhost' IDENTIFIED BY 'so';
    CREATE USER IF NOT EXISTS 'so'@'127.0.0.1' IDENTIFIED BY 'so';
    GRANT ALL PRIVILEGES ON *.* TO 'so'@'localhost' WITH GRANT OPTION;
    GRANT ALL PRIVILEGES ON *.* TO 'so'@'127.0.0.1' WITH GRANT OPTION;
    FLUSH PRIVILEGES;"

# To stderr: the last lines of error log $2 and, when not empty, of stdout/stderr file $3.
print_tail_of() {
  local label=$1 log=$2 out=$3
  echo "---- ${label}last lines of $log ----" >&2
  tail -n 40 "$log" >&2 2>/dev/null || true
  if [[ -s $out ]]; then
    echo "---- ${label}last lines of $out ----" >&2
    tail -n 20 "$out" >&2 || true
  fi
}

# Shuts down mariadbd $2 listening on socket $3 (mariadb-admin shutdown; SIGTERM when that
# fails) and waits up to STOP_TIMEOUT_S for it to exit; returns 1, saying so, when it still runs
# (the caller kills it).
shutdown_mariadbd() {
  local label=$1 pid=$2 sock=$3
  say "${label}shutting down mariadbd (pid $pid)"
  if ! mariadb-admin --no-defaults --protocol=socket --socket="$sock" --user=root shutdown \
      >/dev/null 2>&1; then
    say "${label}mariadb-admin shutdown failed, sending SIGTERM"
    kill -TERM "$pid" 2>/dev/null || true
  fi
  local waited=0
  while kill -0 "$pid" 2>/dev/null && ((waited < STOP_TIMEOUT_S * 10)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "${label}still running after ${STOP_TIMEOUT_S}s, sending SIGKILL"
    return 1
  fi
}
