// The private three-node Galera cluster (scripts/private-galera.sh) behaves as the daemon on
// Galera will need it to: a write on one node is read on the others, two nodes updating the same
// row in open transactions end with the second COMMIT failing certification as a deadlock
// (1213, which the daemon already retries), and a node that leaves and rejoins catches up by IST.
#include "tests/support/galera_cluster.hpp"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/statement.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "tests/support/test_db.hpp"

namespace so::testing {
namespace {

constexpr int kDeadlock = 1213;  // ER_LOCK_DEADLOCK: what a failed certification reports

void Exec(sql::Connection& conn, const std::string& sql) {
  std::unique_ptr<sql::Statement> stmt(conn.createStatement());
  try {
    stmt->execute(sql);
  } catch (const sql::SQLException& e) {
    throw SqlError(e, sql);
  }
}

std::string QueryOne(sql::Connection& conn, const std::string& sql) {
  std::unique_ptr<sql::Statement> stmt(conn.createStatement());
  const auto rows = QueryText(*stmt, sql);
  if (rows.size() != 1 || rows[0].empty() || !rows[0][0]) {
    throw std::runtime_error("expected one non-NULL value from: " + sql);
  }
  return *rows[0][0];
}

std::string StatusOf(sql::Connection& conn, const std::string& variable) {
  return QueryOne(conn,
                  "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                  "WHERE VARIABLE_NAME = " +
                      QuoteString(variable));
}

// A connection to node n whose reads wait until the node has applied every writeset the cluster
// had committed when the read began (wsrep_sync_wait=1): without it a read right after a commit
// on another node may not see it yet.
std::unique_ptr<sql::Connection> ReaderOn(int n) {
  auto conn = ConnectTo(GaleraNode(n));
  Exec(*conn, "SET SESSION wsrep_sync_wait = 1");
  return conn;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class GaleraClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node1_ = ConnectTo(GaleraNode(1));
    ASSERT_EQ(StatusOf(*node1_, "wsrep_cluster_size"), "3") << "a test before left a node out";
    db_ = QuoteIdentifier("galera_" + std::to_string(::getpid()));
    Exec(*node1_, "DROP DATABASE IF EXISTS " + db_);
    Exec(*node1_, "CREATE DATABASE " + db_);
    Exec(*node1_, "CREATE TABLE " + db_ + ".t (id INT PRIMARY KEY, v INT NOT NULL)");
  }
  void TearDown() override {
    try {
      if (node3_stopped_) GaleraScript("start-node", 3);
      if (node1_ && !db_.empty()) Exec(*node1_, "DROP DATABASE IF EXISTS " + db_);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "cleaning up the cluster: " << e.what();
    }
  }

  std::string Table() const { return db_ + ".t"; }

  std::unique_ptr<sql::Connection> node1_;
  std::string db_;
  bool node3_stopped_ = false;
};

TEST_F(GaleraClusterTest, WriteOnNodeOneIsReadOnNodesTwoAndThree) {
  Exec(*node1_, "INSERT INTO " + Table() + " VALUES (1, 10), (2, 20), (3, 30)");
  for (int n : {2, 3}) {
    auto reader = ReaderOn(n);
    EXPECT_EQ(QueryOne(*reader, "SELECT COUNT(*) FROM " + Table()), "3") << "node " << n;
    EXPECT_EQ(QueryOne(*reader, "SELECT SUM(v) FROM " + Table()), "60") << "node " << n;
  }
}

TEST_F(GaleraClusterTest, SameRowUpdatedOnTwoNodesSecondCommitFailsWithDeadlock) {
  Exec(*node1_, "INSERT INTO " + Table() + " VALUES (1, 0)");
  auto first = ConnectTo(GaleraNode(1));
  auto second = ReaderOn(2);
  ASSERT_EQ(QueryOne(*second, "SELECT COUNT(*) FROM " + Table()), "1");

  // Each node locks the row only locally: both updates succeed; the conflict is found when the
  // writesets are certified in the cluster's total order.
  Exec(*first, "START TRANSACTION");
  Exec(*first, "UPDATE " + Table() + " SET v = 1 WHERE id = 1");
  Exec(*second, "START TRANSACTION");
  Exec(*second, "UPDATE " + Table() + " SET v = 2 WHERE id = 1");
  Exec(*first, "COMMIT");
  int code = 0;
  try {
    std::unique_ptr<sql::Statement> stmt(second->createStatement());
    stmt->execute("COMMIT");
  } catch (const sql::SQLException& e) {
    code = e.getErrorCode();
  }
  EXPECT_EQ(code, kDeadlock) << "the second COMMIT should fail certification";

  for (int n : {1, 2, 3}) {
    auto reader = ReaderOn(n);
    EXPECT_EQ(QueryOne(*reader, "SELECT v FROM " + Table() + " WHERE id = 1"), "1")
        << "node " << n << " should hold the first commit's value";
  }
}

TEST_F(GaleraClusterTest, NodeThatLeftRejoinsByIstWithTheRowsWrittenMeanwhile) {
  Exec(*node1_, "INSERT INTO " + Table() + " VALUES (1, 1), (2, 2)");
  node3_stopped_ = true;
  GaleraScript("stop-node", 3);
  // A clean shutdown leaves the group at once; the view change reaches node 1 shortly after.
  std::string size;
  for (int i = 0; i < 100 && (size = StatusOf(*node1_, "wsrep_cluster_size")) != "2"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(size, "2");
  EXPECT_EQ(StatusOf(*node1_, "wsrep_local_state_comment"), "Synced");

  // Written while node 3 is away, on both nodes that remain.
  Exec(*node1_, "INSERT INTO " + Table() + " VALUES (3, 3), (4, 4)");
  auto node2 = ConnectTo(GaleraNode(2));
  Exec(*node2, "INSERT INTO " + Table() + " VALUES (5, 5)");
  Exec(*node2, "UPDATE " + Table() + " SET v = 10 WHERE id = 1");

  GaleraScript("start-node", 3);  // returns once node 3 is Synced in a cluster of 3
  node3_stopped_ = false;
  auto node3 = ReaderOn(3);
  EXPECT_EQ(StatusOf(*node3, "wsrep_local_state_comment"), "Synced");
  EXPECT_EQ(StatusOf(*node3, "wsrep_cluster_size"), "3");
  EXPECT_EQ(QueryOne(*node3, "SELECT COUNT(*) FROM " + Table()), "5");
  EXPECT_EQ(QueryOne(*node3, "SELECT SUM(v) FROM " + Table()), "24");
  // What it missed came as writesets (IST), not as a copy of a whole data directory (SST); the
  // log is emptied at each start of the node. The lines are those of MariaDB 10.11's mariabackup
  // state transfer script (the server logs "SST succeeded" for an IST too).
  const std::string log = ReadFile(GaleraNodeLog(3));
  EXPECT_THAT(log, ::testing::HasSubstr("mariabackup IST completed on joiner"));
  EXPECT_THAT(log, ::testing::HasSubstr("Receiving IST: "));
  EXPECT_THAT(log, ::testing::Not(::testing::HasSubstr("mariabackup SST completed on joiner")));
}

}  // namespace
}  // namespace so::testing
