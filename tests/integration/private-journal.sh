#!/usr/bin/env bash
# Runs a command beside a journald of its own: in a private mount namespace, /run/systemd,
# /run/log and /var/log/journal are empty tmpfs, systemd-journald binds its sockets there and
# keeps its journal there, and the command (and journalctl) see that journal only. Nothing of the
# machine's own journal is touched; all of it goes when the command ends.
#
#   tests/integration/private-journal.sh COMMAND [ARGS...]
#
# Needs root (unshare -m); sets SO_PRIVATE_JOURNAL=1 for the command.
set -euo pipefail

if [[ ${1:-} != --inside ]]; then
  exec unshare --mount --propagation private "$0" --inside "$@"
fi
shift
mount -t tmpfs tmpfs /run/systemd
mkdir -p /run/log && mount -t tmpfs tmpfs /run/log
mkdir -p /var/log/journal && mount -t tmpfs tmpfs /var/log/journal
journald=/lib/systemd/systemd-journald
[[ -x $journald ]] || journald=/usr/lib/systemd/systemd-journald
"$journald" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [[ -S /run/systemd/journal/socket ]] && break
  sleep 0.05
done
[[ -S /run/systemd/journal/socket ]] || { echo "private-journal: journald did not start" >&2; exit 1; }
SO_PRIVATE_JOURNAL=1 "$@"
