// One daemon on the private three-node Galera cluster when its node fails, playing the stream of
// galera_daemons.hpp:
//
// - Its node is killed (SIGKILL, a power cut) mid-stream: the daemon fails over to the next node
//   of database.hosts and goes on; the node rejoins by IST while the daemon writes; every message
//   is applied once, the three nodes agree, and the database ends as a single server's (the
//   private MariaDB of the other integration tests) given the same messages.
// - Its node is cut off from the other two (gmcast.isolate) and goes non-Primary: the daemon,
//   which has no other node, holds what arrives, its log and /healthz say why, and it resumes
//   when the node rejoins; every message applied once, the nodes agree.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/galera_daemons.hpp"
#include "tests/pos_sim/canonical_dump.hpp"
#include "tests/support/http_client.hpp"

namespace so::testing::galera {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;

constexpr auto kHealthTimeout = std::chrono::seconds(30);

class GaleraFailoverTest : public GaleraDaemons {
 protected:
  // Node 3 back as it was, and Synced, before GaleraDaemons checks the cluster.
  void TearDown() override {
    StopDaemons();
    try {
      RestoreNode(3, node3_);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "bringing node 3 back: " << e.what();
    }
    GaleraDaemons::TearDown();
  }

  // Until the daemon's /healthz answers `status` with a body holding every one of `texts`;
  // returns the last answer.
  HttpAnswer AwaitHealth(int status, const std::vector<std::string>& texts) {
    HttpAnswer a;
    Eventually(
        [&] {
          a = HttpGet(ports_.at(0), "/healthz");
          if (a.status != status) return false;
          for (const auto& t : texts) {
            if (a.body.find(t) == std::string::npos) return false;
          }
          return true;
        },
        kHealthTimeout);
    return a;
  }

  NodeState node3_ = NodeState::kUp;
};

TEST_F(GaleraFailoverTest, ADaemonWhoseNodeIsKilledFailsOverAndTheNodeRejoinsByIst) {
  const auto start = std::chrono::steady_clock::now();
  TestDatabase& db = MakeDatabase("galera_failover");
  // Their addresses now: a node down has no port file to read it from.
  const std::string node1 = NodeAddress(1).ToString(), node3 = NodeAddress(3).ToString();
  StartDaemon(db, "daemon", {3, 1, 2});
  DaemonProcess& daemon = *daemons_.front();
  daemon.WaitForLog("database: connected to " + node3 + " (a Galera node)");
  Pos pos(db, *bus_);

  // Node 3 is killed once a quarter of the requests are recorded, with the daemon applying the
  // rest: a transaction of it is in flight on node 3, or about to be. Its inbox row decides,
  // on the node the daemon fails over to, whether that message was committed before the kill.
  // (On a busy machine the daemon may be through them all first: then the next phase's
  // messages find node 3 gone.)
  std::atomic<int64_t> recorded_at_kill{-1};
  std::string killer_error;
  TestDatabase watch(TestDatabase::Existing{db.name()}, GaleraNode(1));
  std::thread killer([&] {
    try {
      int64_t n = 0;
      const bool reached = Eventually(
          [&] { return (n = watch.QueryInt("SELECT COUNT(*) FROM sod_inbox")) >= kRequests / 4; },
          kPhaseTimeout, std::chrono::milliseconds(2));
      if (!reached) throw std::runtime_error("a quarter of the requests never reached node 1");
      recorded_at_kill = n;
      GaleraScript("kill-node", 3);
    } catch (const std::exception& e) {
      killer_error = e.what();
    }
  });
  pos.SendRequests();
  killer.join();
  ASSERT_EQ(killer_error, "");
  node3_ = NodeState::kDown;
  std::cout << "node 3 killed with " << recorded_at_kill << " of " << kRequests
            << " requests recorded\n";
  pos.WaitRecorded("requests");
  if (HasFatalFailure()) return;
  pos.SendOpenPos();
  pos.WaitRecorded("POs opened");
  if (HasFatalFailure()) return;
  // What the operator reads: the daemon moved to the next node it was given.
  daemon.WaitForLog("database: now on node " + node1 + " (was " + node3 + ")");

  // Node 3 comes back while the shipments are applied on node 1: it catches up by IST (the
  // others still hold the writesets it missed) and then applies the rest as they come.
  std::string rejoin_error;
  std::thread rejoin([&] {
    try {
      GaleraScript("start-node", 3);  // returns once node 3 is Synced in a cluster of 3
    } catch (const std::exception& e) {
      rejoin_error = e.what();
    }
  });
  pos.SendShipments();
  pos.WaitRecorded("shipments");
  rejoin.join();
  ASSERT_EQ(rejoin_error, "");
  node3_ = NodeState::kUp;
  ExpectRejoinedByIst(3);
  if (HasFatalFailure()) return;
  const std::vector<Sent> sent = pos.sent();

  const std::string scrape = FinalScrapes(sent.size()).front();
  EXPECT_GE(Sample(scrape, "special_ordersd_database_failovers_total"), 1) << scrape;
  EXPECT_EQ(Sample(scrape, "special_ordersd_database_node_info{node=\"" + node1 + "\"}"), 1)
      << scrape;
  // (A message whose COMMIT reached the cluster just before the kill, its answer lost, is found
  // done on node 1: a duplicate, not applied twice; CheckNode reads the inbox.)
  std::cout << "applied " << SumOf(scrape, "special_ordersd_messages_processed_total",
                                   "fate=\"applied\"")
            << ", duplicates "
            << SumOf(scrape, "special_ordersd_messages_processed_total", "fate=\"duplicate\"")
            << ", connection errors retried "
            << Sample(scrape, "special_ordersd_database_retried_errors_total{cause=\"connection\"}")
            << "\n";
  StopDaemons();
  CheckEveryNode(db, sent);
  const double cluster_s = Seconds(start);

  // The same messages, one daemon, one MariaDB server that never failed.
  dbs_.push_back(std::make_unique<TestDatabase>("galera_failover_single"));
  TestDatabase& single = *dbs_.back();
  LoadCatalog(single);
  PlayReference(single, {}, sent.size());
  if (HasFatalFailure()) return;

  // Every business table equal, the daemon's ids renumbered by rank (the killed transaction and
  // the nodes' auto_increment_offset give other ids to the same rows); the inbox too, message for
  // message.
  auto nodes = OnEveryNode(db);
  EXPECT_EQ(BusinessDump(*nodes[2]), BusinessDump(single))
      << "the database after the failover (read on node 3) differs from a single server's";
  ExpectSameInbox(*nodes[2], single);
  std::cout << "failover: " << sent.size() << " messages, " << cluster_s << " s on the cluster, "
            << Seconds(start) << " s with the single-server run\n";
}

TEST_F(GaleraFailoverTest, ADaemonWhoseNodeIsCutOffHoldsSaysWhyAndResumesWhenItRejoins) {
  TestDatabase& db = MakeDatabase("galera_cutoff");
  StartDaemon(db, "daemon", {3});  // no other node to go to
  DaemonProcess& daemon = *daemons_.front();
  Pos pos(db, *bus_);
  pos.SendRequests();
  pos.WaitRecorded("requests");
  if (HasFatalFailure()) return;

  GaleraScript("isolate-node", 3);  // returns once node 3 is non-Primary, 1 and 2 Primary
  node3_ = NodeState::kCutOff;
  pos.SendOpenPos();
  // The daemon holds the POs' messages: its node refuses queries (1047) and it has no other.
  daemon.WaitForLog("database unavailable, holding the message");
  const std::string why = "not in the primary component";
  const std::string node3 = NodeAddress(3).ToString() + ": ";
  const HttpAnswer held = AwaitHealth(503, {"database: ", why, "applying: holding ", node3});
  EXPECT_EQ(held.status, 503) << held.body;
  EXPECT_THAT(held.body, HasSubstr(node3 + "not usable, " + why));
  // The batch the node refused: all six, or those that had come in by then (the rest wait behind
  // it on the bus).
  EXPECT_THAT(held.body, ContainsRegex("applying: holding [1-6] messages?"));
  std::cout << "/healthz while node 3 is cut off: " << held.body;
  // Nothing applied meanwhile, on the nodes that go on.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(pos.Recorded(), kRequests);
  EXPECT_GE(Sample(Scrape(0), "special_ordersd_database_retried_errors_total{cause=\"node_not_"
                              "ready\"}"),
            1);

  GaleraScript("reconnect-node", 3);  // returns once all three are Synced in a cluster of 3
  node3_ = NodeState::kUp;
  pos.WaitRecorded("POs opened, after node 3 rejoined");
  if (HasFatalFailure()) return;
  const HttpAnswer healthy = AwaitHealth(200, {"ok"});
  EXPECT_EQ(healthy.status, 200) << healthy.body;
  pos.SendShipments();
  pos.WaitRecorded("shipments");
  if (HasFatalFailure()) return;

  const std::vector<Sent> sent = pos.sent();
  const std::string scrape = FinalScrapes(sent.size()).front();
  EXPECT_EQ(SumOf(scrape, "special_ordersd_messages_processed_total", "fate=\"applied\""),
            static_cast<double>(sent.size()));
  EXPECT_EQ(Sample(scrape, "special_ordersd_database_failovers_total"), 0);
  StopDaemons();
  CheckEveryNode(db, sent);
}

}  // namespace
}  // namespace so::testing::galera
