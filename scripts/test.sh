#!/usr/bin/env bash
# Set-up (as scripts/setup.sh), then every test: unit tests of the rules core, the adapters
# against a private MariaDB and real ZeroMQ sockets, and the daemon end to end. ctest starts and
# stops the private MariaDB itself (tests named mariadb.start / mariadb.stop).
#
#   scripts/test.sh                 everything, warnings as errors, in build/
#   scripts/test.sh -L unit         only the fast unit tests (any ctest arguments pass through)
#   SO_SANITIZE=1 scripts/test.sh   everything under ASan and UBSan, in build-asan/
set -euo pipefail

cd "$(dirname "$0")/.."
if [[ ${SO_SANITIZE:-0} == 1 ]]; then
  export BUILD_DIR=${BUILD_DIR:-build-asan} CMAKE_BUILD_TYPE=Debug
  scripts/setup.sh -DSO_WERROR=ON -DSO_SANITIZE=ON -DSO_CRASH_POINTS=ON
else
  export BUILD_DIR=${BUILD_DIR:-build}
  scripts/setup.sh -DSO_WERROR=ON -DSO_CRASH_POINTS=ON
fi
cd "$BUILD_DIR"
ctest --output-on-failure -j2 "$@"
