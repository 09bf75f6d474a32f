#!/usr/bin/env bash
# A private three-node MariaDB Galera cluster on loopback for tests and demos: three mariadbd, each
# with its own data directory, socket, SQL, gcomm, IST and SST ports under DIR; never the system
# service, /var/lib/mysql or the system socket.
#
#   private-galera.sh start DIR         bootstrap node 1 (--wsrep-new-cluster), create user so/so
#                                       (it replicates), start nodes 2 and 3, wait until the
#                                       cluster has 3 members and every node is Synced
#   private-galera.sh stop DIR          shut down nodes 2 and 3, then 1 (kill -9 after 30 s);
#                                       fine when not running
#   private-galera.sh status DIR        each node's state; exit 0 when all three run and are
#                                       Synced, 3 otherwise
#   private-galera.sh stop-node DIR N   shut down node N only (it leaves the cluster)
#   private-galera.sh kill-node DIR N   SIGKILL node N and its process group, as a power cut (no
#                                       shutdown; grastate.dat keeps seqno -1); its pid and port
#                                       files go as with stop-node. The others see it gone at
#                                       once (its TCP connections close) and go on as 2
#   private-galera.sh start-node DIR N  start node N again on its old ports; it rejoins (by IST
#                                       when the others still hold the writesets it missed) and
#                                       is waited for until Synced. After kill-node, first its
#                                       position is recovered from InnoDB as galera_recovery
#                                       does (mariadbd --wsrep-recover, log in
#                                       nodeN/wsrep-recovery.log) and it starts with
#                                       --wsrep-start-position: without, Galera asks for a full
#                                       SST (local state 00000000-...:-1); with, IST (~5 s
#                                       instead of ~17 s). When none is recovered, SST as before
#   private-galera.sh isolate-node DIR N
#                                       cut node N off from the other two (SET GLOBAL
#                                       wsrep_provider_options = 'gmcast.isolate=1': it drops
#                                       its group connections and accepts none), as a network
#                                       partition would; waits until N is non-Primary and the
#                                       other two are Primary with cluster size 2 (~5-6 s: the
#                                       default evs.suspect_timeout of 5 s). N still answers
#                                       SHOW STATUS; queries of tables fail with 1047 (WSREP
#                                       has not yet prepared node for application use)
#   private-galera.sh reconnect-node DIR N
#                                       undo isolate-node (gmcast.isolate=0); waits until N has
#                                       rejoined (by IST) and all three are Synced, size 3
#                                       (~3 s; ~7 s right after the isolation)
#
# Files under DIR: ports (one line per node: N SQL_PORT SOCKET GCOMM_PORT IST_PORT SST_PORT; new
# ports at each start, the same across stop-node and start-node), cluster-name, and per node
# nodeN/: data/, tmp/, my.cnf (settings for the state transfer scripts), mysqld.pid, mysqld.log
# (the error log, emptied at each start of the node), mysqld.out (stdout/stderr), galera-ports
# (the node's four ports), sst-log-archive/, wsrep-recovery.log (the log of the last position
# recovery; recover.pid while it runs), and port (while the node runs) and socket, as
# private-mariadb.sh writes them: tests read a node as they read a private server.
#
# State transfer is by mariabackup: rsync's daemon runs as `nobody` when mariadbd runs as root and
# cannot read the 0700 data directory. Needs galera-4, mariadb-backup and socat. Waiting for
# Synced gives up after SO_GALERA_START_TIMEOUT_S (default 180) seconds.
set -euo pipefail

readonly START_TIMEOUT_S=${SO_GALERA_START_TIMEOUT_S:-180}
readonly STOP_TIMEOUT_S=30
readonly ISOLATE_TIMEOUT_S=60
readonly PROVIDER=/usr/lib/galera/libgalera_smm.so
readonly NODES=(1 2 3)

# Shared with private-mariadb.sh: say, die, port_in_use, the socket path, the data directory, ...
SO_SCRIPT=private-galera
# shellcheck source=scripts/lib/private-server.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib/private-server.sh"

usage() {
  echo "usage: $0 start|stop|status DIR" >&2
  echo "       $0 start-node|stop-node|kill-node|isolate-node|reconnect-node DIR N" \
    "  (N = 1, 2 or 3)" >&2
  exit 2
}

[[ $# -ge 2 ]] || usage
readonly CMD=$1
case "$CMD" in
  start | stop | status) [[ $# -eq 2 ]] || usage ;;
  start-node | stop-node | kill-node | isolate-node | reconnect-node)
    [[ $# -eq 3 && $3 =~ ^[123]$ ]] || usage
    ;;
  *) usage ;;
esac
mkdir -p "$2"
DIR=$(cd "$2" && pwd -P)
readonly DIR
readonly PORTS_FILE="$DIR/ports"
readonly NAME_FILE="$DIR/cluster-name"

refuse_system_datadir "$DIR"

node_dir() { printf '%s/node%s' "$DIR" "$1"; }
data_dir() { printf '%s/data' "$(node_dir "$1")"; }
pid_file() { printf '%s/mysqld.pid' "$(node_dir "$1")"; }
log_file() { printf '%s/mysqld.log' "$(node_dir "$1")"; }
out_file() { printf '%s/mysqld.out' "$(node_dir "$1")"; }

# nodeN/mysqld.sock, or a short directory named after DIR when that is too long for a socket.
socket_path() {
  fitting_socket_path "$(node_dir "$1")/mysqld.sock" \
    "/tmp/so-galera-$(dir_hash "$DIR")/node$1.sock"
}

# The pid of node $1's server, if it is alive; empty otherwise.
running_pid() { live_mariadbd_pid "$(pid_file "$1")"; }

# Is the process in node $1's pid file alive? Unlike running_pid, also while launch's child has not
# yet become mariadbd: for waiting on a node this run started.
launched_alive() {
  local pid
  pid=$(tr -dc '0-9' <"$(pid_file "$1")" 2>/dev/null) || return 1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

client() {
  local n=$1
  shift
  mariadb --no-defaults --protocol=socket --socket="$(socket_path "$n")" --user=root "$@"
}

# A global status variable of node $1 (e.g. wsrep_cluster_size); empty when it does not answer.
status_var() {
  client "$1" --batch --skip-column-names --connect-timeout=2 \
    -e "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = '$2'" \
    2>/dev/null || true
}

# Twelve distinct free ports (four per node), as private-mariadb.sh picks one.
pick_ports() {
  local -a picked=()
  local port tries=0
  while ((${#picked[@]} < 12)); do
    ((tries++ < 2000)) || die "no 12 free TCP ports found in $PRIVATE_PORT_LOW-$PRIVATE_PORT_HIGH"
    port=$(random_private_port)
    port_in_use "$port" && continue
    [[ " ${picked[*]} " == *" $port "* ]] && continue
    picked+=("$port")
  done
  printf '%s\n' "${picked[@]}"
}

# Writes each node's galera-ports (SQL GCOMM IST SST) and DIR/ports from twelve fresh ports.
assign_ports() {
  local -a p
  mapfile -t p < <(pick_ports)
  ((${#p[@]} == 12)) || die "no 12 free TCP ports found in $PRIVATE_PORT_LOW-$PRIVATE_PORT_HIGH"
  : >"$PORTS_FILE.new"
  local n i
  for n in "${NODES[@]}"; do
    i=$(((n - 1) * 4))
    mkdir -p "$(node_dir "$n")"
    printf '%s %s %s %s\n' "${p[i]}" "${p[i + 1]}" "${p[i + 2]}" "${p[i + 3]}" \
      >"$(node_dir "$n")/galera-ports"
    printf '%s %s %s %s %s %s\n' "$n" "${p[i]}" "$(socket_path "$n")" "${p[i + 1]}" \
      "${p[i + 2]}" "${p[i + 3]}" >>"$PORTS_FILE.new"
  done
  mv "$PORTS_FILE.new" "$PORTS_FILE"
}

# Node $1's ports: sets SQL_PORT GCOMM_PORT IST_PORT SST_PORT.
read_ports() {
  local file
  file="$(node_dir "$1")/galera-ports"
  [[ -s $file ]] || die "node $1 has no ports in $file (was the cluster started with start?)"
  read -r SQL_PORT GCOMM_PORT IST_PORT SST_PORT <"$file"
}

cluster_address() {
  local n addr=""
  for n in "${NODES[@]}"; do
    read_ports "$n"
    addr+="${addr:+,}127.0.0.1:$GCOMM_PORT"
  done
  printf 'gcomm://%s' "$addr"
}

print_log_tail() { print_tail_of "node $1: " "$(log_file "$1")" "$(out_file "$1")"; }

# Node 1's data directory is initialised here; the others start empty and receive theirs by SST.
init_data() { install_data_dir "$(data_dir 1)" "$DIR/install-db.log"; }

# Node 1 bootstraps a cluster from its own state. A node that was not the last to leave, or was
# killed, has safe_to_bootstrap: 0 in grastate.dat and mariadbd refuses; this is a test cluster,
# so node 1's state is taken as the cluster's (writes only nodes 2 and 3 had are lost), and said.
allow_bootstrap() {
  local grastate
  grastate="$(data_dir 1)/grastate.dat"
  if [[ -f $grastate ]] && grep -q '^safe_to_bootstrap: 0' "$grastate"; then
    say "node 1 was not the last to leave the cluster (or was killed); bootstrapping from it anyway"
    sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$grastate"
  fi
}

# Node $1's mariadbd command line (without extra options) in SERVER_ARGS; writes its my.cnf.
server_args() {
  local n=$1
  read_ports "$n"
  local nd address name
  nd=$(node_dir "$n")
  address=$(cluster_address)
  name=$(cat "$NAME_FILE")
  local provider_options="gmcast.listen_addr=tcp://127.0.0.1:$GCOMM_PORT"
  provider_options+=";ist.recv_addr=127.0.0.1:$IST_PORT;gcache.size=32M"
  mkdir -p "$nd/tmp" "$(data_dir "$n")" "$(dirname "$(socket_path "$n")")"
  # As private-mariadb.sh (durable commits, a tmpdir of its own, the fd of the lock closed), plus
  # what Galera needs. A smaller redo log and gcache than the defaults: three servers share a
  # small machine, and the tests' writesets are few (the gcache still holds thousands, enough for
  # a node that left to rejoin by IST). The buffer pool keeps its default (128M): given on the
  # command line, the mariabackup SST script of 10.11 hands --innodb-buffer-pool-size on to
  # mariadb-backup, which refuses it ("unknown variable"), and every state transfer fails.
  # A defaults file of the node's own instead of --no-defaults: the state transfer scripts read
  # their settings with my_print_defaults, which without one reads /etc/mysql (whose
  # [mysqld_safe] syslog sends their whole log to a syslog that may not exist). Their logs go to
  # the error log, and the archive of mariadb-backup's logs under the node, not /tmp.
  # The group communication timeouts are Galera's defaults: a node cut off from the others
  # (isolate-node) is non-Primary after ~5 s (evs.suspect_timeout), fast enough for the tests.
  printf '%s\n' "# written by private-galera.sh; the server's options are on its command line" \
    '[sst]' 'sst-syslog = -1' "sst-log-archive-dir = $nd/sst-log-archive" >"$nd/my.cnf"
  SERVER_ARGS=(/usr/sbin/mariadbd --defaults-file="$nd/my.cnf"
    --datadir="$(data_dir "$n")" --socket="$(socket_path "$n")" --port="$SQL_PORT"
    --bind-address=127.0.0.1 --tmpdir="$nd/tmp"
    --pid-file="$(pid_file "$n")" --log-error="$(log_file "$n")" --user=root
    --innodb-log-file-size=32M --innodb-flush-log-at-trx-commit=1
    --skip-name-resolve --skip-log-bin --max-connections=500
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci
    --default-time-zone=+00:00
    --binlog-format=ROW --innodb-autoinc-lock-mode=2 --default-storage-engine=InnoDB
    --wsrep-on=ON --wsrep-provider="$PROVIDER" --wsrep-cluster-name="$name"
    --wsrep-cluster-address="$address" --wsrep-node-name="node$n"
    --wsrep-node-address="127.0.0.1:$GCOMM_PORT"
    --wsrep-node-incoming-address="127.0.0.1:$SQL_PORT"
    --wsrep-sst-receive-address="127.0.0.1:$SST_PORT"
    --wsrep-sst-method=mariabackup --wsrep-sst-auth=root:
    --wsrep-provider-options="$provider_options")
}

# Starts node $1 in its own session, detached from our stdio so that the caller (ctest) does not
# wait for it; extra mariadbd options follow. Prints its pid.
launch() {
  local n=$1
  shift
  server_args "$n"
  : >"$(log_file "$n")"
  setsid "${SERVER_ARGS[@]}" "$@" </dev/null >>"$(out_file "$n")" 2>&1 9>&- &
  # mariadbd writes its pid file only after the state transfer; written now, stop and status see
  # a node that is still joining (the same pid: setsid execs, it does not fork here).
  printf '%s\n' "$!" >"$(pid_file "$n")"
  printf '%s' "$!"
}

# After a crash (kill-node) grastate.dat says seqno: -1 and Galera would ask for a full SST
# (local state 00000000-...:-1). The position is in InnoDB, though: recovered as galera_recovery
# and mysqld_safe do (mariadbd with the node's options plus --wsrep-recover, its log apart),
# node $1 can ask for IST from it. Prints --wsrep-start-position=UUID:SEQNO, or nothing when
# grastate.dat has a position (a clean shutdown) or the recovery found none (then the node
# rejoins by SST, as before).
recovered_position_option() {
  local n=$1 grastate rlog
  grastate="$(data_dir "$n")/grastate.dat"
  [[ -f $grastate ]] && grep -Eq '^seqno:[[:space:]]+-1[[:space:]]*$' "$grastate" || return 0
  server_args "$n"
  rlog="$(node_dir "$n")/wsrep-recovery.log"
  : >"$rlog"
  say "node $n: grastate.dat has seqno -1 (killed?), recovering its position (log: $rlog)" >&2
  if ! timeout "$START_TIMEOUT_S" "${SERVER_ARGS[@]}" --log-error="$rlog" \
      --pid-file="$(node_dir "$n")/recover.pid" --wsrep-recover \
      </dev/null >>"$(out_file "$n")" 2>&1 9>&-; then
    say "node $n: position recovery failed; it rejoins by SST (last lines of $rlog:)" >&2
    tail -n 20 "$rlog" >&2 || true
    return 0
  fi
  local pos
  pos=$(sed -n 's/.*WSREP: Recovered position: *\([0-9a-f-]\{36\}:-\{0,1\}[0-9]\{1,\}\).*/\1/p' \
    "$rlog" | tail -n 1)
  if [[ -z $pos || $pos == *:-1 ]]; then
    say "node $n: no position recovered; it rejoins by SST" >&2
    return 0
  fi
  say "node $n: recovered position $pos" >&2
  printf -- '--wsrep-start-position=%s' "$pos"
}

# Waits until every node in $@ answers, sees a cluster of $EXPECT_SIZE and is Synced. On a node's
# death or the timeout, prints its log tail and fails naming it.
wait_synced() {
  local deadline=$((SECONDS + START_TIMEOUT_S)) n pending state size
  local -A last=()
  while :; do
    pending=""
    for n in "$@"; do
      if ! launched_alive "$n"; then
        print_log_tail "$n"
        die "node $n exited while joining the cluster (log: $(log_file "$n"))"
      fi
      state=$(status_var "$n" wsrep_local_state_comment)
      size=$(status_var "$n" wsrep_cluster_size)
      last[$n]="${state:-not answering}, cluster size ${size:-?}"
      [[ $state == Synced && $size == "$EXPECT_SIZE" ]] || pending+=" $n"
    done
    [[ -z $pending ]] && return 0
    if ((SECONDS >= deadline)); then
      for n in $pending; do print_log_tail "$n"; done
      for n in $pending; do
        say "node $n: ${last[$n]} (wanted Synced, cluster size $EXPECT_SIZE)" >&2
      done
      die "node(s)$pending not Synced in a cluster of $EXPECT_SIZE within ${START_TIMEOUT_S}s"
    fi
    sleep 0.5
  done
}

write_node_files() {
  local n=$1
  read_ports "$n"
  printf '%s\n' "$SQL_PORT" >"$(node_dir "$n")/port"
  printf '%s\n' "$(socket_path "$n")" >"$(node_dir "$n")/socket"
}

# How many nodes run now; the size a node starting now should see.
running_count() {
  local n count=0
  for n in "${NODES[@]}"; do [[ -n $(running_pid "$n") ]] && count=$((count + 1)); done
  printf '%s' "$count"
}

# A port of node $1 that something else listens on, if any (it would make the node fail).
taken_port() {
  read_ports "$1"
  local p
  for p in "$SQL_PORT" "$GCOMM_PORT" "$IST_PORT" "$SST_PORT"; do
    if port_in_use "$p"; then
      printf '%s' "$p"
      return 0
    fi
  done
}

# SIGKILL to node $1 and what it started (the state transfer scripts, socat, mariadb-backup):
# launch made it the leader of a process group of its own.
kill_group() {
  local pid=$1
  if [[ $(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ') == "$pid" ]]; then
    kill -9 -- "-$pid" 2>/dev/null || true
  else
    kill -9 "$pid" 2>/dev/null || true
  fi
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

# A node that failed to start or join, or kill-node: killed, not shut down (it may be mid state
# transfer).
kill_node() {
  local pid
  pid=$(running_pid "$1")
  if [[ -n $pid ]]; then
    say "node $1: SIGKILL to mariadbd (pid $pid) and its process group (state transfer)" >&2
    kill_group "$pid"
  fi
  rm -f "$(pid_file "$1")" "$(node_dir "$1")/port"
}

stop_node() {
  local n=$1 pid
  pid=$(running_pid "$n")
  if [[ -z $pid ]]; then
    say "node $n: not running"
    rm -f "$(pid_file "$n")" "$(node_dir "$n")/port"
    return 0
  fi
  shutdown_mariadbd "node $n: " "$pid" "$(socket_path "$n")" || kill_group "$pid"
  rm -f "$(pid_file "$n")" "$(node_dir "$n")/port"
  say "node $n: stopped"
}

cmd_start() {
  local n pid
  local -a up=()
  for n in "${NODES[@]}"; do [[ -n $(running_pid "$n") ]] && up+=("$n"); done
  if [[ ${#up[@]} -eq 3 ]]; then
    say "already running from $DIR"
    EXPECT_SIZE=3 wait_synced "${NODES[@]}"
    for n in "${NODES[@]}"; do write_node_files "$n"; done
    exit 0
  fi
  if [[ ${#up[@]} -gt 0 ]]; then
    die "only node(s) ${up[*]} of $DIR run; use start-node for the others, or stop first"
  fi
  [[ -f $PROVIDER ]] || die "no Galera provider at $PROVIDER (install galera-4: scripts/setup.sh)"
  local tool
  for tool in mariabackup socat; do
    command -v "$tool" >/dev/null ||
      die "$tool not found: state transfer needs it (install mariadb-backup and socat)"
  done
  [[ -s $NAME_FILE ]] ||
    printf 'so-test-%s\n' "$(dir_hash "$DIR")" >"$NAME_FILE"
  init_data
  allow_bootstrap

  local attempt started=0 taken m
  for attempt in 1 2 3; do
    assign_ports
    read_ports 1
    say "node 1: bootstrapping a new cluster on 127.0.0.1:$SQL_PORT (attempt $attempt)"
    pid=$(launch 1 --wsrep-new-cluster)
    if (EXPECT_SIZE=1 wait_synced 1); then
      started=1
      break
    fi
    # Someone else may have taken a port between the check and the bind: try others.
    if [[ -z $(running_pid 1) ]] && grep -q -i 'address already in use' "$(log_file 1)"; then
      say "a port of node 1 was taken meanwhile, picking others"
      continue
    fi
    kill_node 1
    exit 1
  done
  ((started)) || die "could not bootstrap node 1 after 3 attempts"
  say "node 1: Synced (pid $pid)"

  say "creating user 'so' (localhost and 127.0.0.1); it replicates to the other nodes"
  client 1 -e "$CREATE_TEST_USER_SQL" || {
    print_log_tail 1
    die "could not create user so on node 1"
  }
  write_node_files 1

  # Both joiners at once: one receives its state from node 1 while the other waits for a donor
  # (Galera retries the request every second), then from node 1 or 2.
  for n in 2 3; do
    taken=$(taken_port "$n")
    if [[ -n $taken ]]; then
      for m in "${NODES[@]}"; do kill_node "$m"; done
      die "port $taken of node $n was taken meanwhile; start again (it picks other ports)"
    fi
    read_ports "$n"
    say "node $n: joining on 127.0.0.1:$SQL_PORT"
    pid=$(launch "$n")
  done
  if ! (EXPECT_SIZE=3 wait_synced "${NODES[@]}"); then
    for n in "${NODES[@]}"; do kill_node "$n"; done
    exit 1
  fi
  for n in 2 3; do write_node_files "$n"; done
  say "ready: 3 nodes Synced; ports in $PORTS_FILE"
  cat "$PORTS_FILE"
}

cmd_stop() {
  # Nodes 2 and 3 together (each takes a few seconds to leave the group), node 1 last: the last to
  # leave is marked safe to bootstrap, and start bootstraps from node 1.
  stop_node 3 &
  stop_node 2 &
  wait
  stop_node 1
  case "$(socket_path 1)" in
    /tmp/so-galera-*/node1.sock) rmdir "$(dirname "$(socket_path 1)")" 2>/dev/null || true ;;
  esac
  say "stopped"
}

cmd_status() {
  local n pid all=0
  for n in "${NODES[@]}"; do
    pid=$(running_pid "$n")
    if [[ -z $pid ]]; then
      say "node $n: not running"
      all=3
      continue
    fi
    local state size port
    state=$(status_var "$n" wsrep_local_state_comment)
    size=$(status_var "$n" wsrep_cluster_size)
    port=$(cat "$(node_dir "$n")/port" 2>/dev/null || echo '?')
    say "node $n: pid $pid, port $port, socket $(socket_path "$n"), ${state:-not answering}," \
      "cluster size ${size:-?}"
    [[ $state == Synced && $size == 3 ]] || all=3
  done
  exit "$all"
}

cmd_start_node() {
  local n=$1 pid
  pid=$(running_pid "$n")
  if [[ -n $pid ]]; then
    say "node $n: already running (pid $pid)"
    return 0
  fi
  [[ -d $(data_dir "$n") ]] || die "node $n has no data directory; start the cluster first"
  local size
  size=$(($(running_count) + 1))
  ((size > 1)) || die "no other node runs: start the cluster with start, not start-node"
  local taken
  taken=$(taken_port "$n")
  [[ -z $taken ]] || die "port $taken of node $n is taken by something else"
  read_ports "$n"
  local -a others=()
  local m
  for m in "${NODES[@]}"; do [[ -n $(running_pid "$m") ]] && others+=("$m"); done
  local position
  position=$(recovered_position_option "$n")
  say "node $n: rejoining on 127.0.0.1:$SQL_PORT${position:+ from ${position#*=}}"
  pid=$(launch "$n" ${position:+"$position"})
  if ! (EXPECT_SIZE=$size wait_synced "$n" "${others[@]}"); then
    kill_node "$n"
    exit 1
  fi
  write_node_files "$n"
  say "node $n: Synced, cluster size $size"
}

# A power cut of node $1: kill_node (SIGKILL to mariadbd and its process group, no shutdown;
# its pid and port files go as with stop-node).
cmd_kill_node() {
  [[ -n $(running_pid "$1") ]] || say "node $1: not running"
  kill_node "$1" 2>&1
}

# Seconds (one decimal) since $1, a time in microseconds (${EPOCHREALTIME/./}).
seconds_since() {
  local us=$((${EPOCHREALTIME/./} - $1))
  printf '%d.%d' $((us / 1000000)) $((us % 1000000 / 100000))
}

# The running nodes other than $1, in OTHERS; fails unless node $1 runs and at least two others
# do (one left alone with it would lose its quorum too).
others_of() {
  local n=$1 m
  [[ -n $(running_pid "$n") ]] || die "node $n does not run"
  OTHERS=()
  for m in "${NODES[@]}"; do
    [[ $m != "$n" && -n $(running_pid "$m") ]] && OTHERS+=("$m")
  done
  ((${#OTHERS[@]} == 2)) || die "node(s) ${OTHERS[*]:-none} run besides node $n; that needs two"
}

# Cuts node $1 off from the others' group communication (gmcast.isolate=1: it drops its
# connections and accepts none), as a network partition would; waits until it is non-Primary
# and the others are Primary without it.
cmd_isolate_node() {
  local n=$1 m state size ok start=${EPOCHREALTIME/./}
  others_of "$n"
  say "node $n: cutting it off from node(s) ${OTHERS[*]} (gmcast.isolate=1)"
  client "$n" -e "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=1'" ||
    die "node $n: could not set gmcast.isolate=1"
  local deadline=$((SECONDS + ISOLATE_TIMEOUT_S))
  while :; do
    ok=1
    [[ $(status_var "$n" wsrep_cluster_status) == non-Primary ]] || ok=0
    for m in "${OTHERS[@]}"; do
      state=$(status_var "$m" wsrep_cluster_status)
      size=$(status_var "$m" wsrep_cluster_size)
      [[ $state == Primary && $size == "${#OTHERS[@]}" ]] || ok=0
    done
    ((ok)) && break
    ((SECONDS < deadline)) ||
      die "node $n not non-Primary (or the others not Primary without it) within" \
        "${ISOLATE_TIMEOUT_S}s; reconnect-node $n undoes the isolation"
    sleep 0.2
  done
  say "node $n: non-Primary after $(seconds_since "$start")s; node(s) ${OTHERS[*]} Primary," \
    "cluster size ${#OTHERS[@]}"
}

# Undoes isolate-node: gmcast.isolate=0; waits until node $1 has rejoined (by IST) and all three
# are Synced in a cluster of 3.
cmd_reconnect_node() {
  local n=$1 start=${EPOCHREALTIME/./}
  others_of "$n"
  say "node $n: reconnecting it to node(s) ${OTHERS[*]} (gmcast.isolate=0)"
  client "$n" -e "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'" ||
    die "node $n: could not set gmcast.isolate=0"
  EXPECT_SIZE=$((${#OTHERS[@]} + 1)) wait_synced "$n" "${OTHERS[@]}"
  say "node $n: Synced after $(seconds_since "$start")s, cluster size $((${#OTHERS[@]} + 1))"
}

exec 9>"$DIR/.lock"
case "$CMD" in
  start | stop | start-node | stop-node | kill-node | isolate-node | reconnect-node) flock 9 ;;
esac
case "$CMD" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  start-node) cmd_start_node "$3" ;;
  stop-node) stop_node "$3" ;;
  kill-node) cmd_kill_node "$3" ;;
  isolate-node) cmd_isolate_node "$3" ;;
  reconnect-node) cmd_reconnect_node "$3" ;;
esac
