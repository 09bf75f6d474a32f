// The running daemon: start-up in a fixed order, the event loop, signals, reload and shutdown.
// Wiring only; decisions live in rules/. One thread runs the loop; the bus reader has a thread of
// its own inside adapters/zmq_subscriber.
#pragma once

#include "adapters/mysql/mysql_store.hpp"
#include "config/config_loader.hpp"

namespace so::daemon {

// Runs until SIGTERM or SIGINT; returns the process exit code: 0 after a clean stop, 1 when
// start-up failed (database, bus), the bus reader failed or an unexpected error escaped.
int RunDaemon(config::DaemonConfig config);

// How the daemon's database settings reach the MySQL adapter (the daemon and its read-only tools).
mysql::MysqlOptions ToMysqlOptions(const config::DatabaseConfig& db);

}  // namespace so::daemon
