// Three daemons on the private three-node Galera cluster, one next to each node, all three
// subscribed to one POS, playing the stream of galera_daemons.hpp (1,000 requests, then the
// shipments of 500 units that cannot serve them all):
//
// - Unpartitioned: every daemon applies every message; the inbox keeps each applied once, the
//   two daemons that lose the race for a message fail certification (1213) and retry, and find it
//   done. What the metrics show: retried_errors{cause="conflict"} > 0.
// - Partitioned by store (partition {index, count: 3}): each daemon applies its store's messages
//   and counts the others' (messages_other_stores_total); the result is that of one daemon on one
//   node handling the same stream.
//
// After each run, every check of galera::CheckNode on every node, and the nodes agree.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "tests/integration/galera_daemons.hpp"
#include "tests/pos_sim/canonical_dump.hpp"

namespace so::testing::galera {
namespace {

using GaleraDaemonTest = GaleraDaemons;

TEST_F(GaleraDaemonTest, ThreeUnpartitionedDaemonsApplyEachMessageOnceAndRetryConflicts) {
  const auto start = std::chrono::steady_clock::now();
  TestDatabase& db = MakeDatabase("galera_daemons");
  StartThreeDaemons(db, {"", "", ""});
  Pos pos(db, *bus_);
  PlayStream(pos);
  if (HasFatalFailure()) return;
  const auto& sent = pos.sent();

  const auto scrapes = FinalScrapes(sent.size());
  double conflicts = 0, applied = 0;
  for (size_t i = 0; i < scrapes.size(); ++i) {
    const double c = Sample(
        scrapes[i], "special_ordersd_database_retried_errors_total{cause=\"conflict\"}");
    const double a =
        SumOf(scrapes[i], "special_ordersd_messages_processed_total", "fate=\"applied\"");
    std::cout << "daemon " << i + 1 << ": applied " << a << ", duplicates "
              << SumOf(scrapes[i], "special_ordersd_messages_processed_total",
                       "fate=\"duplicate\"")
              << ", conflicts retried " << c << ", retries "
              << Sample(scrapes[i], "special_ordersd_database_retries_total") << "\n";
    conflicts += c;
    applied += a;
    // Each daemon stayed on its own node, listed first.
    EXPECT_EQ(Sample(scrapes[i], "special_ordersd_database_node_info{node=\"" +
                                     NodeAddress(static_cast<int>(i) + 1).ToString() + "\"}"),
              1)
        << scrapes[i];
    EXPECT_EQ(Sample(scrapes[i], "special_ordersd_database_failovers_total"), 0);
    EXPECT_EQ(SumOf(scrapes[i], "special_ordersd_messages_other_stores_total"), 0);
  }
  // Between them the daemons applied each message once; the others found it done.
  EXPECT_EQ(applied, static_cast<double>(sent.size())) << AppliedByMoreThanOne();
  // Three daemons racing for every message: the losers' commits fail certification and are
  // retried as conflicts.
  EXPECT_GT(conflicts, 0) << "no daemon retried a certification conflict";
  StopDaemons();
  CheckEveryNode(db, sent);
  std::cout << "unpartitioned: " << sent.size() << " messages, " << conflicts
            << " conflicts retried, " << Seconds(start) << " s in all\n";
}

TEST_F(GaleraDaemonTest, ThreeDaemonsPartitionedByStoreGiveWhatOneDaemonGives) {
  const auto start = std::chrono::steady_clock::now();
  TestDatabase& db = MakeDatabase("galera_partitioned");
  std::vector<std::string> extra;
  for (int i = 0; i < kNodes; ++i) {
    extra.push_back("partition:\n  index: " + N(i) + "\n  count: " + N(kNodes) + "\n");
  }
  StartThreeDaemons(db, extra);
  Pos pos(db, *bus_);
  PlayStream(pos);
  if (HasFatalFailure()) return;
  const auto sent = pos.sent();

  const auto scrapes = FinalScrapes(sent.size());
  for (size_t i = 0; i < scrapes.size(); ++i) {
    SCOPED_TRACE("daemon " + N(static_cast<int64_t>(i) + 1));
    // Daemon i applies the stores whose id % 3 is i; it counted every other message, by type.
    std::map<std::string, int64_t> others, mine;
    for (const auto& s : sent) {
      (s.store % kNodes == static_cast<Id>(i) ? mine : others)[s.type] += 1;
    }
    for (const auto& [type, n] : others) {
      EXPECT_EQ(Sample(scrapes[i], "special_ordersd_messages_other_stores_total{type=\"" + type +
                                       "\"}"),
                static_cast<double>(n))
          << type;
    }
    int64_t my_total = 0;
    for (const auto& [type, n] : mine) my_total += n;
    EXPECT_EQ(SumOf(scrapes[i], "special_ordersd_messages_processed_total", "fate=\"applied\""),
              static_cast<double>(my_total));
    EXPECT_EQ(SumOf(scrapes[i], "special_ordersd_messages_processed_total", "fate=\"duplicate\""),
              0);
    EXPECT_EQ(Sample(scrapes[i], "special_ordersd_database_node_info{node=\"" +
                                     NodeAddress(static_cast<int>(i) + 1).ToString() + "\"}"),
              1);
    std::cout << "daemon " << i + 1 << ": applied " << my_total << ", other stores "
              << SumOf(scrapes[i], "special_ordersd_messages_other_stores_total")
              << ", conflicts retried "
              << Sample(scrapes[i],
                        "special_ordersd_database_retried_errors_total{cause=\"conflict\"}")
              << "\n";
  }
  StopDaemons();
  CheckEveryNode(db, sent);
  const double cluster_s = Seconds(start);

  // The same stream (the same requests; the same shipments of the same PO lines, which carry the
  // ids this run's daemon gave them) against one unscoped daemon on node 1.
  TestDatabase& single = MakeDatabase("galera_single");
  PlayReference(single, {1}, sent.size());
  if (HasFatalFailure()) return;

  // Every business table equal, the daemon's ids renumbered by rank within their store: per store
  // one daemon made the rows in the same order in both runs, but the three daemons' inserts
  // interleave by timing (and take ids of three auto_increment_offsets), so ranks over all stores
  // would differ. The inbox equal too, message for message (the same ids and outcomes).
  auto nodes = OnEveryNode(db);
  EXPECT_EQ(BusinessDumpPerStore(*nodes[1]), BusinessDumpPerStore(single))
      << "the partitioned cluster's result (read on node 2) differs from one daemon's";
  ExpectSameInbox(*nodes[2], single);
  std::cout << "partitioned: " << sent.size() << " messages, " << cluster_s
            << " s on the cluster, " << Seconds(start) << " s with the single-daemon run\n";
}

}  // namespace
}  // namespace so::testing::galera
