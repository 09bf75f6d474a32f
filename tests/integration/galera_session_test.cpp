// The daemon's session on a Galera node does not take a transaction the server has ended for an
// open one (Session::ExpectOpenTransaction): galera_daemon_test once saw a daemon's transaction
// rolled back (a brute-force abort) with no statement told, and its COMMIT commit the rest of
// the batch without its inbox rows. Here a ROLLBACK behind the session's back stands for that
// abort.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "adapters/mysql/mysql_session.hpp"
#include "tests/support/galera_cluster.hpp"
#include "tests/support/test_db.hpp"

namespace so::testing {
namespace {

using ::testing::HasSubstr;
using so::mysql::Session;

class GaleraSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.Exec("CREATE TABLE t (id INT PRIMARY KEY) ENGINE=InnoDB");
    ASSERT_TRUE(session_.Connect(db_.options()).ok());
    ASSERT_TRUE(session_.galera());
    ASSERT_TRUE(session_.Begin().ok());
    ASSERT_TRUE(Insert(1).ok());
  }

  Status Insert(int id) {
    return session_.Run("Insert", [&] {
      (void)session_.Query("INSERT INTO t VALUES (?)", static_cast<int64_t>(id)).Execute();
    });
  }
  // What an abort nobody was told of leaves: the server has no transaction open any more.
  void EndTheTransactionBehindItsBack() {
    ASSERT_TRUE(session_.Run("ROLLBACK", [&] { session_.ExecuteDirect("ROLLBACK"); }).ok());
  }
  int64_t Rows() { return db_.QueryInt("SELECT COUNT(*) FROM t"); }

  TestDatabase db_{"galera_session", GaleraNode(1)};
  Session session_;
};

void ExpectLost(const Status& s) {
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kTransient);
  EXPECT_EQ(s.error().code, 1213);
  EXPECT_THAT(s.error().message, HasSubstr("ended the transaction without an error"));
}

TEST_F(GaleraSessionTest, AnOpenTransactionPassesAndCommits) {
  EXPECT_TRUE(session_.Run("Check", [&] { session_.ExpectOpenTransaction(); }).ok());
  ASSERT_TRUE(session_.Commit().ok());
  EXPECT_EQ(Rows(), 1);
}

TEST_F(GaleraSessionTest, WritesAfterTheTransactionEndedUnannouncedAreRefusedAndNothingCommits) {
  EndTheTransactionBehindItsBack();
  ExpectLost(session_.Run("ApplyWrites", [&] {
    session_.ExpectOpenTransaction();
    (void)session_.Query("INSERT INTO t VALUES (2)").Execute();
  }));
  ExpectLost(session_.Commit());
  EXPECT_EQ(Rows(), 0);
}

TEST_F(GaleraSessionTest, ACommitAfterTheTransactionEndedUnannouncedFails) {
  EndTheTransactionBehindItsBack();
  ASSERT_TRUE(Insert(2).ok());  // on its own, as a statement after such an abort runs
  ExpectLost(session_.Commit());
  // The row that went in on its own stays: why the writes ask before they run (the test above).
  EXPECT_EQ(Rows(), 1);
}

}  // namespace
}  // namespace so::testing
