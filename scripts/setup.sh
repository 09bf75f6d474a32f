#!/usr/bin/env bash
# Installs what the build, the tests and the demo need from Debian 12's packages (only what is
# missing), then configures and builds the project into BUILD_DIR (default: build/): every
# target, or only BUILD_TARGETS when set (a space-separated list).
#
#   scripts/setup.sh [cmake options...]     e.g. scripts/setup.sh -DSO_WERROR=ON
#
# Runs as root (apt-get); the system MariaDB service is installed but never started or used:
# the tests and the demo run their own private server (scripts/private-mariadb.sh).
set -euo pipefail

cd "$(dirname "$0")/.."
readonly BUILD_DIR=${BUILD_DIR:-build}

readonly PACKAGES=(
  build-essential cmake pkg-config
  libboost-dev            # Boost.Asio 1.74 (header-only)
  cppzmq-dev libzmq3-dev  # ZeroMQ and its C++ binding
  libmysqlcppconn-dev     # MySQL Connector/C++ 1.1
  libyaml-cpp-dev
  libsystemd-dev          # sd_notify
  rapidjson-dev           # the message codec
  libmsgpack-cxx-dev      # the flight recorder's records (MessagePack)
  libgtest-dev libgmock-dev
  mariadb-server mariadb-client
  galera-4 mariadb-backup socat  # the Galera test cluster (private-galera.sh; SST by mariabackup)
  prometheus              # promtool: the metrics tests validate /metrics with it
  clang libclang-rt-14-dev  # libFuzzer and clang's sanitizers (SO_FUZZ=1 scripts/test.sh)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "setup: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: installing packages needs root (run as root, or install them yourself)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d-less containers may try to start the system MariaDB; we never need it running.
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi

echo "setup: building in $BUILD_DIR"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
targets=()
for t in ${BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$BUILD_DIR" -j"$(nproc)" "${targets[@]}"
