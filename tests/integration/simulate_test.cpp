// The flight recorder and `special-ordersd simulate` end to end: the real daemon records what it
// applies, over real ZeroMQ, into the private MariaDB; the real binary then recomputes the
// records with candidate rules, read-only. The recorder's retention is enforced by the sweep.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <string>
#include <vector>

#include "adapters/mysql/mysql_store.hpp"
#include "tests/integration/daemon_fixture.hpp"

namespace so::testing {
namespace {

using ::testing::HasSubstr;

constexpr const char* kRules = R"(version: 1
defaults:
  vendor_choice: [primary, cheapest]
rules:
  - name: store-2-waits
    match:
      stores: [2]
    on_request: wait
)";

// Every vendor by its lead time, and store 2 no longer waits.
constexpr const char* kCandidate = R"(version: 1
defaults:
  vendor_choice: [shortest_lead_time]
)";

class SimulateTest : public DaemonTest {
 protected:
  SimulateTest() : DaemonTest("simulate") {}

  // With a sweep (and the recorder's retention) every second.
  void StartRecordingDaemon(const std::string& extra_config) {
    StartDaemon(kRules, [&](DaemonSetup& setup) {
      setup.reconcile = ReconcileSetup{true, 1};
      setup.extra_config = extra_config;
    });
    std::ofstream(work_dir_ + "/candidate.yaml") << kCandidate;
  }

  // Four requests and a shipment: chairs (product 100: vendor 10 primary, 11 cheapest, 12 the
  // shortest lead time) and a desk (101: no primary; 11 cheapest, 12 shorter).
  void PlayRequestsAndAShipment(const std::string& extra_config = "") {
    world_.LoadDemoData();
    StartRecordingDaemon(extra_config);
    world_.CreateOrderWithSpecialLine(5001, 50011, 1, 1, 100, 2);
    Send(SpecialOrderRequested{5001, 50011, 1, 1, 100, 2, bus_->clock()});
    world_.CreateOrderWithSpecialLine(5002, 50021, 1, 2, 101, 1);
    Send(SpecialOrderRequested{5002, 50021, 1, 2, 101, 1, bus_->clock()});
    world_.CreateOrderWithSpecialLine(5003, 50031, 2, 3, 100, 1);
    Send(SpecialOrderRequested{5003, 50031, 2, 3, 100, 1, bus_->clock()});
    world_.CreateOrderWithSpecialLine(5004, 50041, 1, 3, 100, 1);
    Send(SpecialOrderRequested{5004, 50041, 1, 3, 100, 1, bus_->clock()});
    const Id po = Int("SELECT po_id FROM special_orders WHERE order_line_id = 50011");
    ASSERT_EQ(Int("SELECT po_id FROM special_orders WHERE order_line_id = 50041"), po);
    auto lines = world_.CompleteShipment(9001, po, {{world_.PoLineOf(po, 100), 3}});
    Send(ShipmentCompleted{9001, po, 1, 10, lines});
  }

  ToolRun Simulate(const std::vector<std::string>& more) {
    std::vector<std::string> args = {"simulate", "--config", daemon_->config_path()};
    args.insert(args.end(), more.begin(), more.end());
    return RunDaemonTool(args, work_dir_);
  }

  Id SoOf(Id line) {
    return Int("SELECT id FROM special_orders WHERE order_line_id = " + std::to_string(line));
  }
};

TEST_F(SimulateTest, TheRulesInForceRecomputeEveryRecordedMessageAlike) {
  PlayRequestsAndAShipment();
  EXPECT_EQ(Int("SELECT COUNT(*) FROM sod_flight_recorder"), 5);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM sod_flight_recorder f JOIN sod_inbox i "
                "ON i.message_id = f.message_id"),
            5);
  EXPECT_GT(Int("SELECT MIN(bytes) FROM sod_flight_recorder"), 100);

  const ToolRun same = Simulate({"--rules", rules_file_});
  EXPECT_EQ(same.exit_status, 0) << same.err;
  EXPECT_THAT(same.out, HasSubstr("Summary: 0 special orders would be decided differently; 5 of "
                                  "5 messages alike."));

  const ToolRun json = Simulate({"--rules", rules_file_, "--json"});
  ASSERT_EQ(json.exit_status, 0) << json.err;
  rapidjson::Document doc;
  ASSERT_FALSE(doc.Parse(json.out.c_str()).HasParseError()) << json.out;
  EXPECT_EQ(doc["messages"].GetInt64(), 5);
  EXPECT_EQ(doc["identical"].GetInt64(), 5);
  EXPECT_EQ(doc["differences"].Size(), 0u);
  EXPECT_EQ(doc["recorded_with"][0]["messages"].GetInt64(), 5);
  EXPECT_EQ(std::string(doc["recorded_with"][0]["rules_version"].GetString()),
            Str("SELECT DISTINCT rules_version FROM sod_flight_recorder"));
  EXPECT_THAT(std::string(doc["recorded_with"][0]["rules_version"].GetString()),
              HasSubstr("fnv1a64:"));

  // A period with nothing in it, and one that ends before the third message.
  const ToolRun none = Simulate({"--rules", rules_file_, "--since", "2999-01-01"});
  EXPECT_EQ(none.exit_status, 0) << none.err;
  EXPECT_THAT(none.out, HasSubstr("0 of 0 messages alike"));
  const std::string third = Str(
      "SELECT DATE_FORMAT(occurred_at, '%Y-%m-%dT%H:%i:%s.%fZ') FROM sod_flight_recorder "
      "ORDER BY id LIMIT 1 OFFSET 2");
  const ToolRun two = Simulate({"--rules", rules_file_, "--until", third});
  EXPECT_EQ(two.exit_status, 0) << two.err;
  EXPECT_THAT(two.out, HasSubstr("2 of 2 messages alike"));
}

TEST_F(SimulateTest, ARecordThatCannotBeReadIsNamedAndTheExitCodeSaysSo) {
  PlayRequestsAndAShipment();
  const std::string first = Str("SELECT message_id FROM sod_flight_recorder ORDER BY id LIMIT 1");
  db_.Exec("UPDATE sod_flight_recorder SET record = 'not a record' ORDER BY id LIMIT 1");
  const ToolRun run = Simulate({"--rules", rules_file_});
  EXPECT_EQ(run.exit_status, 3) << run.out << run.err;
  EXPECT_THAT(run.out, HasSubstr("4 of 4 messages alike"));
  EXPECT_THAT(run.out, HasSubstr("not read: record of " + first + ": not a flight record"));
}

TEST_F(SimulateTest, ACandidateShowsEachSpecialOrdersFirstDifferenceAndTheRuleThatWouldDecide) {
  PlayRequestsAndAShipment();
  const std::string before = Str("SELECT CONCAT(COUNT(*), '/', SUM(quantity_ordered)) FROM "
                                 "purchase_order_lines");
  const ToolRun run = Simulate({"--rules", work_dir_ + "/candidate.yaml", "--json"});
  ASSERT_EQ(run.exit_status, 1) << run.err;  // some differ
  rapidjson::Document doc;
  ASSERT_FALSE(doc.Parse(run.out.c_str()).HasParseError()) << run.out;
  EXPECT_EQ(doc["messages"].GetInt64(), 5);
  // The shipment concerns 5001 and 5004 only, which differ before it: not compared again.
  EXPECT_EQ(doc["identical"].GetInt64(), 1) << run.out;
  const auto& d = doc["differences"];
  ASSERT_EQ(d.Size(), 4u) << run.out;
  const auto aspects = [&](rapidjson::SizeType i) {
    std::string s;
    for (const auto& a : d[i]["aspects"].GetArray()) {
      s += std::string(a["name"].GetString()) + ": " + a["was"].GetString() + " -> " +
           a["would_be"].GetString() + "; ";
    }
    return s;
  };
  const std::string po = std::to_string(Int("SELECT po_id FROM special_orders WHERE order_line_id = 50041"));
  EXPECT_EQ(d[0]["special_order_id"].GetInt64(), SoOf(50011));
  EXPECT_EQ(aspects(0), "vendor: 10 -> 12; ");
  EXPECT_EQ(d[1]["special_order_id"].GetInt64(), SoOf(50021));
  EXPECT_EQ(aspects(1), "vendor: 11 -> 12; ");
  EXPECT_EQ(d[2]["special_order_id"].GetInt64(), SoOf(50031));
  EXPECT_EQ(aspects(2), "sourcing: wait -> vendor; status: request -> ordered; ");
  EXPECT_EQ(std::string(d[2]["rule_was"].GetString()), "store-2-waits");
  EXPECT_EQ(std::string(d[2]["rule_would_be"].GetString()), "defaults");
  EXPECT_EQ(d[2]["store_id"].GetInt64(), 2);
  // Attached to 5001's PO for vendor 10; vendor 12 had no draft PO then.
  EXPECT_EQ(d[3]["special_order_id"].GetInt64(), SoOf(50041));
  EXPECT_EQ(aspects(3), "vendor: 10 -> 12; po: PO " + po + " -> new PO; po_line_qty: 3 -> 1; ");
  EXPECT_EQ(doc["by_aspect"]["vendor"].GetInt64(), 3);
  EXPECT_EQ(doc["by_store"]["1"].GetInt64(), 3);

  const ToolRun text = Simulate({"--rules", work_dir_ + "/candidate.yaml"});
  EXPECT_EQ(text.exit_status, 1) << text.err;
  EXPECT_THAT(text.out, HasSubstr("Summary: 4 special orders would be decided differently"));
  EXPECT_THAT(text.out, HasSubstr("Only the first difference of each special order is shown"));
  EXPECT_THAT(text.out, HasSubstr("special order " + std::to_string(SoOf(50031)) +
                                  " (line 50031), store 2: order.special_order_requested"));
  EXPECT_THAT(text.out, HasSubstr("    rule: store-2-waits -> defaults\n"
                                  "    sourcing: wait -> vendor\n"));
  // Read-only.
  EXPECT_EQ(Str("SELECT CONCAT(COUNT(*), '/', SUM(quantity_ordered)) FROM purchase_order_lines"),
            before);
}

TEST_F(SimulateTest, ABadCandidateIsRefusedWithItsProblems) {
  PlayRequestsAndAShipment();
  std::ofstream(work_dir_ + "/bad.yaml") << "version: 1\ndefaults:\n  vendor_choice: [nearest]\n";
  const ToolRun bad = Simulate({"--rules", work_dir_ + "/bad.yaml"});
  EXPECT_EQ(bad.exit_status, 2);
  EXPECT_THAT(bad.err, HasSubstr("bad.yaml:3:"));
  const ToolRun missing = Simulate({});
  EXPECT_EQ(missing.exit_status, 2);
  EXPECT_THAT(missing.err, HasSubstr("--rules CANDIDATE.yaml is required"));
  const ToolRun both = Simulate({"--rules", rules_file_, "--open", "--since", "2026-01-01"});
  EXPECT_EQ(both.exit_status, 2);
  EXPECT_THAT(both.err, HasSubstr("no --since or --until"));
}

TEST_F(SimulateTest, TheRecorderTurnedOffRecordsNothing) {
  PlayRequestsAndAShipment("recorder:\n  retention_days: 0\n");
  EXPECT_EQ(Int("SELECT COUNT(*) FROM sod_flight_recorder"), 0);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM special_orders"), 4);
}

TEST_F(SimulateTest, TheSweepPrunesRecordsByAgeAndTheStorePrunesBySize) {
  PlayRequestsAndAShipment("recorder:\n  retention_days: 2\n");
  db_.Exec("UPDATE sod_flight_recorder SET recorded_at = UTC_TIMESTAMP(6) - INTERVAL 3 DAY "
           "ORDER BY id LIMIT 2");
  daemon_->WaitForLog("flight recorder: pruned 2 records");
  EXPECT_EQ(Int("SELECT COUNT(*) FROM sod_flight_recorder"), 3);
  ASSERT_EQ(daemon_->Stop(), 0);

  // The size bound: the oldest go until the rest fit.
  const int64_t newest = Int("SELECT bytes FROM sod_flight_recorder ORDER BY id DESC LIMIT 1");
  mysql::MysqlStore store(db_.options());
  ASSERT_TRUE(store.Connect().ok());
  const Result<int64_t> pruned = store.PruneFlightRecords(2, newest);
  ASSERT_TRUE(pruned.ok()) << pruned.error().ToString();
  EXPECT_EQ(*pruned, 2);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM sod_flight_recorder"), 1);
  EXPECT_EQ(Int("SELECT bytes FROM sod_flight_recorder"), newest);
}

}  // namespace
}  // namespace so::testing
