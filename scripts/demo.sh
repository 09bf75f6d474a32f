#!/usr/bin/env bash
# The demo, end to end: set-up and build (as scripts/setup.sh), a private MariaDB under
# build/demo/ (never the system service), the reference POS schema with demo data, the daemon
# with config/rules.example.yaml, and the seed scenario of the POS help page played over ZeroMQ.
# Prints the timeline (with `special-ordersd explain` for one special order, twice) and the final
# rows; stops everything; exits 0 when the scenario ended as the help page says and explain
# answered.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
# A test build of the clock (README "Development"), so that the demo can move its "now".
BUILD_DIR=$BUILD_DIR scripts/setup.sh -DSO_TEST_CLOCK=ON
readonly DB_DIR=$PWD/$BUILD_DIR/demo/mariadb
trap 'scripts/private-mariadb.sh stop "$DB_DIR" >/dev/null' EXIT
scripts/private-mariadb.sh start "$DB_DIR" >/dev/null
SO_TEST_MARIADB_DIR=$DB_DIR "$BUILD_DIR/tests/pos_sim/so-seed-demo"
