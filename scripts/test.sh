#!/usr/bin/env bash
# Set-up (as scripts/setup.sh), then every test: unit tests of the rules core, the adapters
# against a private MariaDB and real ZeroMQ sockets, the daemon end to end, and a private
# three-node Galera cluster. ctest starts and stops the private MariaDB and the cluster itself
# (tests named mariadb.start / mariadb.stop, galera.start / galera.stop).
#
#   scripts/test.sh                 everything, warnings as errors, in build/
#   scripts/test.sh -L unit         only the fast unit tests (any ctest arguments pass through)
#   scripts/test.sh -L galera       only the Galera cluster's tests (-LE galera: all but them)
#   SO_SANITIZE=1 scripts/test.sh   everything under ASan and UBSan, in build-asan/
#   SO_FUZZ=1 scripts/test.sh       the libFuzzer targets (tests/fuzz), built with clang under ASan
#                                   and UBSan in build-fuzz/, each fuzzing for SO_FUZZ_SECONDS
#                                   (default 60) from its committed corpus; only the tests
#                                   labelled `fuzz`
set -euo pipefail

cd "$(dirname "$0")/.."
ctest_args=()
if [[ ${SO_FUZZ:-0} == 1 ]]; then
  # Only the fuzz targets and the libraries they use are built. Optimised, but with asserts
  # (rapidjson's included).
  export BUILD_DIR=${BUILD_DIR:-build-fuzz} CMAKE_BUILD_TYPE=RelWithDebInfo CC=clang CXX=clang++
  export BUILD_TARGETS="fuzz_message_decoder fuzz_rules_loader"
  scripts/setup.sh -DSO_WERROR=ON -DSO_FUZZ=ON -DSO_SANITIZE=ON \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DSO_FUZZ_SECONDS="${SO_FUZZ_SECONDS:-60}"
  ctest_args=(-L fuzz)
elif [[ ${SO_SANITIZE:-0} == 1 ]]; then
  export BUILD_DIR=${BUILD_DIR:-build-asan} CMAKE_BUILD_TYPE=Debug
  scripts/setup.sh -DSO_WERROR=ON -DSO_SANITIZE=ON -DSO_CRASH_POINTS=ON -DSO_TEST_CLOCK=ON
else
  export BUILD_DIR=${BUILD_DIR:-build}
  scripts/setup.sh -DSO_WERROR=ON -DSO_CRASH_POINTS=ON -DSO_TEST_CLOCK=ON
fi
cd "$BUILD_DIR"
ctest --output-on-failure -j2 "${ctest_args[@]}" "$@"
