#!/usr/bin/env bash
# The project's benchmark (README "Benchmark"): set-up and build as scripts/setup.sh does, a
# private MariaDB of its own under build/bench-mariadb (a fresh data directory every run, durable
# commits, never the system service), then build/bench/so-bench against the real daemon. Prints
# one table; the raw figures stay in build/bench-work/. The server is stopped at the end, also
# when the run fails or is interrupted.
#
#   scripts/bench.sh            the real figures (N = 10000; takes several minutes)
#   scripts/bench.sh --quick    a smoke run with small figures (about a minute after the build)
#   scripts/bench.sh --large    also the request and shipment bursts on a database with history
#                               (1M customer order lines, 100k special orders)
#   scripts/bench.sh --galera   also the request and shipment bursts on a private three-node
#                               Galera cluster (scripts/private-galera.sh, under
#                               build/bench-work/galera, stopped at the end), three daemons
#                               partitioned by store, one per node (adds about a minute and a half)
#
# Other so-bench options pass through, e.g. scripts/bench.sh --n 2000 --slice 0.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
# Only the benchmark and what it runs (the daemon); scripts/test.sh builds everything.
BUILD_DIR=$BUILD_DIR BUILD_TARGETS=${BUILD_TARGETS:-so-bench} scripts/setup.sh
readonly DB_DIR=$PWD/$BUILD_DIR/bench-mariadb
readonly WORK_DIR=$PWD/$BUILD_DIR/bench-work
readonly GALERA_DIR=$WORK_DIR/galera

galera=0
args=()
for a in "$@"; do
  if [[ $a == --galera ]]; then galera=1; else args+=("$a"); fi
done

bench_pid=""
cleanup() {
  local rc=$?
  if [[ -n $bench_pid ]] && kill -0 "$bench_pid" 2>/dev/null; then
    kill -TERM "$bench_pid" 2>/dev/null || true
    wait "$bench_pid" 2>/dev/null || true
  fi
  # The memory phase stops the server with SIGSTOP; a stopped server cannot shut down.
  if [[ -f $DB_DIR/mysqld.pid ]]; then
    kill -CONT "$(tr -dc '0-9' <"$DB_DIR/mysqld.pid")" 2>/dev/null || true
  fi
  scripts/private-mariadb.sh stop "$DB_DIR" >/dev/null || true
  if ((galera)); then scripts/private-galera.sh stop "$GALERA_DIR" >/dev/null || true; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A fresh server: nothing left from an earlier run, the same start for every run.
scripts/private-mariadb.sh stop "$DB_DIR" >/dev/null
if ((galera)); then scripts/private-galera.sh stop "$GALERA_DIR" >/dev/null; fi
rm -rf "${DB_DIR:?}/data" "${WORK_DIR:?}"
scripts/private-mariadb.sh start "$DB_DIR" >/dev/null
if ((galera)); then
  # A fresh cluster too (WORK_DIR was just emptied): about 30 s, two state transfers.
  mkdir -p "$WORK_DIR"
  scripts/private-galera.sh start "$GALERA_DIR" >"$WORK_DIR/galera-start.log" 2>&1 ||
    { cat "$WORK_DIR/galera-start.log" >&2; exit 1; }
  args+=(--galera-dir "$GALERA_DIR")
fi

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ $commit != unknown && -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then
  commit+="+changes"
fi
# In the background so that a TERM to this script reaches it (through cleanup) at once.
"$BUILD_DIR/bench/so-bench" --server-dir "$DB_DIR" --work-dir "$WORK_DIR" --commit "$commit" \
  ${args[@]+"${args[@]}"} &
bench_pid=$!
wait "$bench_pid"
