#!/usr/bin/env bash
# Set-up (as scripts/setup.sh), then every test: unit tests of the rules core, the adapters
# against a private MariaDB and real ZeroMQ sockets, and the daemon end to end. ctest starts and
# stops the private MariaDB itself (tests named mariadb.start / mariadb.stop).
#
#   scripts/test.sh                 everything, warnings as errors
#   scripts/test.sh -L unit         only the fast unit tests (any ctest arguments pass through)
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build} scripts/setup.sh -DSO_WERROR=ON
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j2 "$@"
