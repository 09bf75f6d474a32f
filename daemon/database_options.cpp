// How the daemon's database settings reach the MySQL adapter, for the daemon and its read-only
// tools alike (declared in daemon/daemon.hpp).
#include "adapters/mysql/mysql_store.hpp"
#include "config/config_loader.hpp"
#include "daemon/daemon.hpp"

namespace so::daemon {

mysql::MysqlOptions ToMysqlOptions(const config::DatabaseConfig& db) {
  mysql::MysqlOptions o;
  o.host = db.host;
  o.port = db.port;
  o.socket = db.socket;
  o.user = db.user;
  o.password = db.password;
  o.database = db.name;
  for (const config::DatabaseNode& n : db.hosts) o.nodes.push_back({n.host, n.port, n.socket});
  o.connect_timeout_s = db.connect_timeout_s;
  return o;
}

}  // namespace so::daemon
