// The private three-node Galera cluster that ctest starts for the tests labelled `galera`
// (scripts/private-galera.sh via the galera.start fixture): each node read as a private server,
// a connection to it, a node stopped and started again. Not thread-safe; the galera tests run
// one at a time (RESOURCE_LOCK galera), since one of them stopping a node affects all.
#pragma once

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <mysql_driver.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include "tests/support/test_db.hpp"

namespace so::testing {

// The cluster's directory (env SO_TEST_GALERA_DIR); throws std::runtime_error saying how to run
// the test when it is unset.
inline std::string GaleraDir() {
  const char* dir = std::getenv("SO_TEST_GALERA_DIR");
  if (dir == nullptr || *dir == '\0') {
    throw std::runtime_error(
        "SO_TEST_GALERA_DIR is not set: the galera tests need the cluster that ctest starts; run "
        "them through ctest, e.g. `cd build && ctest -L galera --output-on-failure` (the "
        "galera.start fixture runs scripts/private-galera.sh start <build>/test-galera), or "
        "start it by hand and export SO_TEST_GALERA_DIR=DIR");
  }
  return dir;
}

// Node n (1, 2 or 3) as private-mariadb.sh's servers are read (its port and socket files);
// throws std::runtime_error when the node does not run.
inline ServerInfo GaleraNode(int n) { return ServerAt(GaleraDir() + "/node" + std::to_string(n)); }

// Node n's error log; private-galera.sh empties it each time the node starts.
inline std::string GaleraNodeLog(int n) {
  return GaleraDir() + "/node" + std::to_string(n) + "/mysqld.log";
}

// Runs `private-galera.sh COMMAND DIR [N]` (N = 0: none), its output appended to DIR/script.log;
// throws std::runtime_error when it fails. start-node returns once the node is Synced.
inline void GaleraScript(const std::string& command, int node = 0) {
  const std::string dir = GaleraDir();
  std::string line = std::string(SO_SOURCE_DIR) + "/scripts/private-galera.sh " + command + " " +
                     dir + (node > 0 ? " " + std::to_string(node) : "");
  if (std::system((line + " >>" + dir + "/script.log 2>&1").c_str()) != 0) {
    throw std::runtime_error(line + " failed; see " + dir + "/script.log");
  }
}

// What a test did to a node, for its TearDown to undo (RestoreNode).
enum class NodeState { kUp, kDown, kCutOff };

// Leaves node n up and Synced in a cluster of 3 again, as `state` says it was left: a node stopped
// or killed is started again, one cut off is reconnected (or, failing that, killed and started
// again, which is a test failure). Sets `state` to kUp; throws std::runtime_error when the node
// cannot be brought back.
inline void RestoreNode(int n, NodeState& state) {
  if (state == NodeState::kCutOff) {
    try {
      GaleraScript("reconnect-node", n);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "reconnecting node " << n << ": " << e.what() << "; restarting it";
      GaleraScript("kill-node", n);
      state = NodeState::kDown;
    }
  }
  if (state == NodeState::kDown) GaleraScript("start-node", n);
  state = NodeState::kUp;
}

// Node n's rejoin came as writesets (IST), not as a copy of a whole data directory (SST); its log
// is emptied at each start of the node. The lines are those of MariaDB 10.11's mariabackup state
// transfer script and of Galera 26.4 (the server logs "SST succeeded" for an IST too).
inline void ExpectRejoinedByIst(int n) {
  const std::string log = ReadFile(GaleraNodeLog(n));
  EXPECT_THAT(log, ::testing::HasSubstr("mariabackup IST completed on joiner"));
  EXPECT_THAT(log, ::testing::HasSubstr("Receiving IST: "));
  EXPECT_THAT(log, ::testing::HasSubstr("IST received: "));
  EXPECT_THAT(log, ::testing::Not(::testing::HasSubstr("mariabackup SST completed on joiner")));
}

// A connection to `server` over its unix socket as the tests' user, autocommit on.
inline std::unique_ptr<sql::Connection> ConnectTo(const ServerInfo& server) {
  try {
    sql::ConnectOptionsMap o;
    o["hostName"] = sql::SQLString("unix://" + server.socket);
    o["userName"] = sql::SQLString(server.user);
    o["password"] = sql::SQLString(server.password);
    o["OPT_RECONNECT"] = false;
    o["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
    return std::unique_ptr<sql::Connection>(sql::mysql::get_mysql_driver_instance()->connect(o));
  } catch (const sql::SQLException& e) {
    throw std::runtime_error("cannot connect to " + server.socket + " (" + server.dir +
                             "): " + e.what());
  }
}

}  // namespace so::testing
