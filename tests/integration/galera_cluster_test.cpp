// The private three-node Galera cluster (scripts/private-galera.sh) behaves as the daemon on
// Galera will need it to: a write on one node is read on the others, two nodes updating the same
// row in open transactions end with the second COMMIT failing certification as a deadlock
// (1213, which the daemon already retries), a node that leaves and rejoins catches up by IST (also
// after a power cut), and a node cut off from the other two goes non-Primary and refuses queries
// (1047) while they go on, then catches up when it is back.
#include "tests/support/galera_cluster.hpp"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/statement.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "tests/support/test_db.hpp"

namespace so::testing {
namespace {

constexpr int kDeadlock = 1213;  // ER_LOCK_DEADLOCK: what a failed certification reports
// ER_UNKNOWN_COM_ERROR: what a node that is not in the Primary component answers to a query of a
// table ("WSREP has not yet prepared node for application use").
constexpr int kNotPrepared = 1047;

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

// The error code of running `sql` on `conn`; 0 when it succeeds.
int ErrorCodeOf(sql::Connection& conn, const std::string& sql) {
  std::unique_ptr<sql::Statement> stmt(conn.createStatement());
  try {
    stmt->execute(sql);
  } catch (const sql::SQLException& e) {
    return e.getErrorCode();
  }
  return 0;
}

// Waits (up to 10 s) until node 1 sees a cluster of `size`; returns the last size it saw.
std::string AwaitClusterSize(sql::Connection& conn, const std::string& size) {
  std::string seen;
  for (int i = 0; i < 100 && (seen = StatusOf(conn, "wsrep_cluster_size")) != size; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return seen;
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
  // Leaves three Synced nodes for the next test: a node stopped or killed is started again, one
  // cut off is reconnected (or, failing that, killed and started again).
  void TearDown() override {
    try {
      RestoreNode(3, node3_);
      if (node1_ && !db_.empty()) Exec(*node1_, "DROP DATABASE IF EXISTS " + db_);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "cleaning up the cluster: " << e.what();
    }
  }

  std::string Table() const { return db_ + ".t"; }

  std::unique_ptr<sql::Connection> node1_;
  std::string db_;
  NodeState node3_ = NodeState::kUp;
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
  node3_ = NodeState::kDown;
  GaleraScript("stop-node", 3);
  // A clean shutdown leaves the group at once; the view change reaches node 1 shortly after.
  EXPECT_EQ(AwaitClusterSize(*node1_, "2"), "2");
  EXPECT_EQ(StatusOf(*node1_, "wsrep_local_state_comment"), "Synced");

  // Written while node 3 is away, on both nodes that remain.
  Exec(*node1_, "INSERT INTO " + Table() + " VALUES (3, 3), (4, 4)");
  auto node2 = ConnectTo(GaleraNode(2));
  Exec(*node2, "INSERT INTO " + Table() + " VALUES (5, 5)");
  Exec(*node2, "UPDATE " + Table() + " SET v = 10 WHERE id = 1");

  GaleraScript("start-node", 3);  // returns once node 3 is Synced in a cluster of 3
  node3_ = NodeState::kUp;
  auto node3 = ReaderOn(3);
  EXPECT_EQ(StatusOf(*node3, "wsrep_local_state_comment"), "Synced");
  EXPECT_EQ(StatusOf(*node3, "wsrep_cluster_size"), "3");
  EXPECT_EQ(QueryOne(*node3, "SELECT COUNT(*) FROM " + Table()), "5");
  EXPECT_EQ(QueryOne(*node3, "SELECT SUM(v) FROM " + Table()), "24");
  ExpectRejoinedByIst(3);
}

TEST_F(GaleraClusterTest, NodeKilledRejoinsByIstWithTheRowsWrittenMeanwhile) {
  // Node 3's own commit is in its InnoDB when the power goes: the position it recovers from.
  Exec(*node1_, "INSERT INTO " + Table() + " VALUES (1, 1)");
  Exec(*ReaderOn(3), "INSERT INTO " + Table() + " VALUES (2, 2)");
  node3_ = NodeState::kDown;
  GaleraScript("kill-node", 3);  // SIGKILL: no shutdown, grastate.dat keeps seqno -1
  // Its connections close with it: the others see it gone without waiting for a timeout.
  EXPECT_EQ(AwaitClusterSize(*node1_, "2"), "2");
  EXPECT_EQ(StatusOf(*node1_, "wsrep_cluster_status"), "Primary");

  Exec(*node1_, "INSERT INTO " + Table() + " VALUES (3, 3), (4, 4)");
  auto node2 = ConnectTo(GaleraNode(2));
  Exec(*node2, "INSERT INTO " + Table() + " VALUES (5, 5)");
  Exec(*node2, "UPDATE " + Table() + " SET v = 10 WHERE id = 2");

  // Recovers node 3's position (mariadbd --wsrep-recover), starts it from there, waits for Synced.
  GaleraScript("start-node", 3);
  node3_ = NodeState::kUp;
  auto node3 = ReaderOn(3);
  EXPECT_EQ(StatusOf(*node3, "wsrep_local_state_comment"), "Synced");
  EXPECT_EQ(StatusOf(*node3, "wsrep_cluster_size"), "3");
  EXPECT_EQ(QueryOne(*node3, "SELECT COUNT(*) FROM " + Table()), "5");
  EXPECT_EQ(QueryOne(*node3, "SELECT SUM(v) FROM " + Table()), "23");
  EXPECT_THAT(ReadFile(GaleraDir() + "/node3/wsrep-recovery.log"),
              ::testing::HasSubstr("WSREP: Recovered position: "));
  ExpectRejoinedByIst(3);
}

TEST_F(GaleraClusterTest, NodeCutOffGoesNonPrimaryAndRefusesQueriesWhileTheOthersGoOn) {
  Exec(*node1_, "INSERT INTO " + Table() + " VALUES (1, 1)");
  node3_ = NodeState::kCutOff;
  GaleraScript("isolate-node", 3);  // returns once node 3 is non-Primary, 1 and 2 Primary

  // It still takes connections and answers about itself, but not queries of tables.
  auto node3 = ConnectTo(GaleraNode(3));
  EXPECT_EQ(StatusOf(*node3, "wsrep_cluster_status"), "non-Primary");
  EXPECT_EQ(StatusOf(*node3, "wsrep_ready"), "OFF");
  std::unique_ptr<sql::Statement> stmt(node3->createStatement());
  const auto rows = QueryText(*stmt, "SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'");
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].at(1), std::optional<std::string>("1"));
  EXPECT_EQ(ErrorCodeOf(*node3, "SELECT COUNT(*) FROM " + Table()), kNotPrepared);
  EXPECT_EQ(ErrorCodeOf(*node3, "INSERT INTO " + Table() + " VALUES (2, 2)"), kNotPrepared);

  // Nodes 1 and 2 are the Primary component, of two, and take writes.
  for (int n : {1, 2}) {
    auto conn = ConnectTo(GaleraNode(n));
    EXPECT_EQ(StatusOf(*conn, "wsrep_cluster_status"), "Primary") << "node " << n;
    EXPECT_EQ(StatusOf(*conn, "wsrep_cluster_size"), "2") << "node " << n;
    EXPECT_EQ(StatusOf(*conn, "wsrep_local_state_comment"), "Synced") << "node " << n;
    Exec(*conn, "INSERT INTO " + Table() + " VALUES (" + std::to_string(10 + n) + ", 1)");
  }
  EXPECT_EQ(QueryOne(*ReaderOn(2), "SELECT COUNT(*) FROM " + Table()), "3");
}

TEST_F(GaleraClusterTest, NodeCutOffComesBackWithTheRowsWrittenMeanwhile) {
  Exec(*node1_, "INSERT INTO " + Table() + " VALUES (1, 1), (2, 2)");
  const std::size_t log_before = ReadFile(GaleraNodeLog(3)).size();
  node3_ = NodeState::kCutOff;
  GaleraScript("isolate-node", 3);

  Exec(*node1_, "INSERT INTO " + Table() + " VALUES (3, 3)");
  auto node2 = ConnectTo(GaleraNode(2));
  Exec(*node2, "INSERT INTO " + Table() + " VALUES (4, 4)");
  Exec(*node2, "UPDATE " + Table() + " SET v = 10 WHERE id = 1");

  GaleraScript("reconnect-node", 3);  // returns once all three are Synced in a cluster of 3
  node3_ = NodeState::kUp;
  auto node3 = ReaderOn(3);
  EXPECT_EQ(StatusOf(*node3, "wsrep_cluster_status"), "Primary");
  EXPECT_EQ(StatusOf(*node3, "wsrep_local_state_comment"), "Synced");
  EXPECT_EQ(StatusOf(*node3, "wsrep_cluster_size"), "3");
  EXPECT_EQ(QueryOne(*node3, "SELECT COUNT(*) FROM " + Table()), "4");
  EXPECT_EQ(QueryOne(*node3, "SELECT SUM(v) FROM " + Table()), "19");
  // The node never stopped: what it missed came as writesets, logged after the isolation.
  const std::string log = ReadFile(GaleraNodeLog(3));
  ASSERT_GE(log.size(), log_before);
  EXPECT_THAT(log.substr(log_before), ::testing::HasSubstr("Receiving IST: "));
  EXPECT_THAT(log.substr(log_before), ::testing::HasSubstr("IST received: "));
}

}  // namespace
}  // namespace so::testing
