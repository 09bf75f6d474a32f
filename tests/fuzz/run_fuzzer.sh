#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time: the command of the ctest fuzz tests
# (tests/fuzz/CMakeLists.txt).
#
#   run_fuzzer.sh FUZZER SEED_CORPUS WORK_DIR [libFuzzer options...]
#
# The committed SEED_CORPUS is copied into WORK_DIR/corpus, which is the corpus the fuzzer grows;
# the committed one is only read. What it finds that crashes is written to WORK_DIR/artifacts/
# (crash-*, leak-*, timeout-*, oom-*), and the exit code is the fuzzer's: non-zero on any of those.
# To reproduce a finding: FUZZER ARTIFACT.
set -euo pipefail

if [[ $# -lt 3 ]]; then
  echo "usage: $0 FUZZER SEED_CORPUS WORK_DIR [libFuzzer options...]" >&2
  exit 2
fi
fuzzer=$1
seeds=$2
work=$3
shift 3

mkdir -p "$work/corpus" "$work/artifacts"
# Seeds already there are left alone (not `cp -n`, whose exit status differs between versions).
for seed in "$seeds"/*; do
  [[ -e "$work/corpus/${seed##*/}" ]] || cp "$seed" "$work/corpus/"
done

status=0
"$fuzzer" "$@" -artifact_prefix="$work/artifacts/" "$work/corpus" || status=$?
if [[ $status -ne 0 ]]; then
  echo "run_fuzzer: $(basename "$fuzzer") failed (exit $status); reproducers:" >&2
  ls -l "$work/artifacts/" >&2
fi
exit "$status"
