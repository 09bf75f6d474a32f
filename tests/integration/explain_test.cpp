// `special-ordersd explain` end to end: the real daemon applies a scenario over real ZeroMQ to
// the private MariaDB, then the real binary's explain subcommand reads it back through a daemon
// config, as text and as JSON, by each of its selectors, and writes nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/daemon_fixture.hpp"

namespace so::testing {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr Id kChair = 100, kDesk = 101;
// Chairs are ordered from Acme at once; desks at store 1 are asked of store 2 first. Ada
// (customer 1) is a trade customer, served first.
constexpr const char* kRules =
    "version: 1\n"
    "rules:\n"
    "  - name: desks-from-harbour\n"
    "    match: { stores: [1], products: [101] }\n"
    "    transfer_from_stores: [2]\n"
    "  - name: trade\n"
    "    match: { customers: [1] }\n"
    "    priority: 3\n";

std::string S(int64_t v) { return std::to_string(v); }

class ExplainTest : public DaemonTest {
 protected:
  ExplainTest() : DaemonTest("explain") {}

  // Ada asks for 2 chairs, Grace for 1 chair and 2 desks; the chairs go on one PO line, the
  // desks on a transfer from store 2; the PO is sent and 1 of its 3 chairs arrives: Ada has 1 of
  // 2, Grace waits behind her.
  void PlayScenario() {
    world_.LoadDemoData();
    world_.SetOnHand(2, kDesk, 3);
    StartDaemon(kRules);
    world_.CreateOrderWithSpecialLine(5001, 50011, 1, 1, kChair, 2);
    ada_request_ = Send(SpecialOrderRequested{5001, 50011, 1, 1, kChair, 2, bus_->clock()});
    world_.CreateOrderWithSpecialLine(5002, 50021, 1, 2, kChair, 1);
    grace_request_ = Send(SpecialOrderRequested{5002, 50021, 1, 2, kChair, 1, bus_->clock()});
    world_.AddSpecialLine(5002, 50022, kDesk, 2);
    Send(SpecialOrderRequested{5002, 50022, 1, 2, kDesk, 2, bus_->clock()});
    ada_ = Int("SELECT id FROM special_orders WHERE order_line_id = 50011");
    grace_ = Int("SELECT id FROM special_orders WHERE order_line_id = 50021");
    desk_ = Int("SELECT id FROM special_orders WHERE order_line_id = 50022");
    po_ = Int("SELECT po_id FROM special_orders WHERE id = " + S(ada_));
    po_line_ = world_.PoLineOf(po_, kChair);
    transfer_ = Int("SELECT transfer_id FROM special_orders WHERE id = " + S(desk_));
    world_.SetPoStatus(po_, "open");
    sent_ = Send(PoStatusChanged{po_, "open", "draft"});
    auto lines = world_.CompleteShipment(9001, po_, {{po_line_, 1}});
    shipment_ = Send(ShipmentCompleted{9001, po_, 1, 10, lines});
    ASSERT_EQ(Str("SELECT GROUP_CONCAT(CONCAT(id, ':', status, ':', allocated_qty) ORDER BY id) "
                  "FROM special_orders"),
              S(ada_) + ":in_progress:1," + S(grace_) + ":ordered:0," + S(desk_) + ":ordered:0");
  }

  ToolRun Explain(std::vector<std::string> args) {
    args.insert(args.begin(), {"explain", "--config", daemon_->config_path()});
    return RunDaemonTool(args, work_dir_);
  }

  // Runs explain with --json and parses what it printed.
  rapidjson::Document Json(std::vector<std::string> args, int expected_status = 0) {
    args.push_back("--json");
    const ToolRun run = Explain(args);
    EXPECT_EQ(run.exit_status, expected_status) << run.err;
    rapidjson::Document doc;
    doc.Parse(run.out.c_str());
    EXPECT_FALSE(doc.HasParseError()) << run.out;
    EXPECT_TRUE(doc.IsObject()) << run.out;
    return doc;
  }

  // A copy of the daemon's config that names another database; returns its path.
  // The daemon's config, pointed at `database`, and as `user` when one is given.
  std::string ConfigFor(const std::string& database, const std::string& user = "",
                        const std::string& password = "") {
    std::ifstream in(daemon_->config_path());
    std::stringstream out;
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("  name: ", 0) == 0) line = "  name: " + database;
      if (!user.empty() && line.rfind("  user: ", 0) == 0) line = "  user: " + user;
      if (!user.empty() && line.rfind("  password: ", 0) == 0) line = "  password: " + password;
      out << line << "\n";
    }
    const std::string path =
        work_dir_ + "/" + database + (user.empty() ? "" : "-" + user) + ".yaml";
    std::ofstream(path) << out.str();
    return path;
  }

  std::string ada_request_, grace_request_, sent_, shipment_;
  Id ada_ = 0, grace_ = 0, desk_ = 0, po_ = 0, po_line_ = 0, transfer_ = 0;
};

TEST_F(ExplainTest, SpecialOrderShowsItsHistoryAndWhoIsAheadOfItOnThePoLine) {
  PlayScenario();
  const ToolRun run = Explain({"--special-order", S(grace_)});
  ASSERT_EQ(run.exit_status, 0) << run.err;
  EXPECT_EQ(run.err, "");
  const std::string& out = run.out;
  EXPECT_THAT(out, HasSubstr("special order " + S(grace_) +
                             ": 1 x CHAIR-OAK (Oak dining chair) for Grace Hopper (customer 2), "
                             "order 5002 line 50021, store 1 (S01)"));
  // One line per audit row, with its time, message id and type, rule, decision and counters.
  EXPECT_THAT(
      out, ContainsRegex("\n  [0-9T:-]+Z +" + grace_request_ +
                         " +order\\.special_order_requested +defaults +created +backordered \\+1 +"
                         "special order for 1 x CHAIR-OAK"));
  EXPECT_THAT(out, ContainsRegex("\n  [0-9T:-]+Z +" + grace_request_ +
                                 " +order\\.special_order_requested +defaults +"
                                 "attached_to_po +- +vendor 10 \\(Acme Furniture"));
  // The shipment did not serve it: no row of that message is about it.
  EXPECT_THAT(out, Not(HasSubstr(shipment_)));
  EXPECT_THAT(out, HasSubstr("Now: ordered since "));
  EXPECT_THAT(out, HasSubstr("0 of 1 allocated, 1 missing"));
  EXPECT_THAT(out, HasSubstr("\n  waits for   PO " + S(po_) + " line " + S(po_line_) + "\n"));
  // Promised from the day the PO was sent (the second promise: the first counted from the
  // request, while the PO was a draft).
  EXPECT_THAT(out,
              ContainsRegex("\n  expected    [0-9]{4}-[0-9]{2}-[0-9]{2} \\(vendor lead time "
                            "[0-9]+ days from PO sent [0-9-]+, rule defaults, promise 2\\)\n"));
  EXPECT_THAT(out, HasSubstr("line " + S(po_line_) + ": 3 ordered, 1 received, 2 still due"));
  EXPECT_THAT(out, ContainsRegex("\n  arrived     shipment 9001: 1 \\(completed [0-9T:.-]+Z, 1 "
                                 "of it allocated\\)\n"));
  EXPECT_THAT(out,
              HasSubstr("\n  ahead of it special order " + S(ada_) + " (order 5001, requested "));
  EXPECT_THAT(out, HasSubstr(", priority 3, 1 missing) (order of service oldest_request_first, "
                             "rule defaults)"));
  EXPECT_THAT(out, HasSubstr("\n  covered     yes: 2 still due, 1 for those ahead, 1 for it\n"));
  EXPECT_THAT(out, HasSubstr("\n  line 50021  backordered, special order qty 1, committed 0, "
                             "backordered 1; order 5002 open, red star on\n"));
  EXPECT_THAT(out, HasSubstr("\n  stock       store 1 (S01), CHAIR-OAK: on hand 1, committed 1, "
                             "backordered 2, open 0\n"));

  const auto doc = Json({"--special-order", S(grace_)});
  EXPECT_STREQ(doc["by"].GetString(), "special_order");
  EXPECT_EQ(doc["id"].GetInt64(), grace_);
  ASSERT_EQ(doc["special_orders"].Size(), 1u);
  const auto& so = doc["special_orders"][0];
  EXPECT_EQ(so["id"].GetInt64(), grace_);
  EXPECT_STREQ(so["status"].GetString(), "ordered");
  EXPECT_EQ(so["missing"].GetInt64(), 1);
  EXPECT_STREQ(so["source"].GetString(), "vendor");
  EXPECT_EQ(so["po_line_id"].GetInt64(), po_line_);
  EXPECT_TRUE(so["transfer_id"].IsNull());
  EXPECT_TRUE(so["ordered_at"].IsString());
  // created, attached_to_po and promised (the request); the PO sent: its row about no special
  // order in particular, and promised again.
  ASSERT_EQ(so["history"].Size(), 5u);
  EXPECT_STREQ(so["history"][2]["decision"].GetString(), "promised");
  EXPECT_STREQ(so["history"][3]["decision"].GetString(), "po_status_recorded");
  EXPECT_STREQ(so["history"][4]["decision"].GetString(), "promised");
  EXPECT_STREQ(so["history"][4]["message_id"].GetString(), sent_.c_str());
  const auto& created = so["history"][0];
  EXPECT_STREQ(created["message_id"].GetString(), grace_request_.c_str());
  EXPECT_STREQ(created["message_type"].GetString(), "order.special_order_requested");
  EXPECT_STREQ(created["outcome"].GetString(), "applied");
  EXPECT_EQ(created["seq"].GetUint64(), 2u);
  EXPECT_STREQ(created["rule"].GetString(), "defaults");
  EXPECT_STREQ(created["decision"].GetString(), "created");
  EXPECT_EQ(created["counters"]["committed"].GetInt64(), 0);
  EXPECT_EQ(created["counters"]["backordered"].GetInt64(), 1);
  EXPECT_TRUE(so["history"][1]["counters"].IsNull());
  const auto& now = so["now"];
  EXPECT_STREQ(now["waits_for"].GetString(), "po_line");
  EXPECT_EQ(now["missing"].GetInt64(), 1);
  EXPECT_STREQ(now["po"]["status"].GetString(), "open");
  EXPECT_STREQ(now["po"]["vendor_name"].GetString(), "Acme Furniture");
  EXPECT_EQ(now["po_line"]["quantity_ordered"].GetInt64(), 3);
  EXPECT_EQ(now["po_line"]["still_due"].GetInt64(), 2);
  ASSERT_EQ(now["po_line"]["shipments"].Size(), 1u);
  EXPECT_EQ(now["po_line"]["shipments"][0]["id"].GetInt64(), 9001);
  EXPECT_EQ(now["po_line"]["shipments"][0]["quantity"].GetInt64(), 1);
  EXPECT_TRUE(now["po_line"]["shipments"][0]["applied"].GetBool());
  EXPECT_EQ(now["po_line"]["shipments"][0]["allocated"].GetInt64(), 1);
  EXPECT_TRUE(now["transfer"].IsNull());
  EXPECT_EQ(now["promise"]["promise_seq"].GetInt(), 2);
  EXPECT_STREQ(now["promise"]["basis"].GetString(), "vendor_lead_time_from_sent");
  EXPECT_STREQ(now["promise"]["rule"].GetString(), "defaults");
  EXPECT_TRUE(now["promise"]["expected_on"].IsString());
  EXPECT_STREQ(now["queue"]["service_order"].GetString(), "oldest_request_first");
  ASSERT_EQ(now["queue"]["ahead"].Size(), 1u);
  EXPECT_EQ(now["queue"]["ahead"][0]["special_order_id"].GetInt64(), ada_);
  EXPECT_EQ(now["queue"]["ahead"][0]["missing"].GetInt64(), 1);
  EXPECT_EQ(now["queue"]["ahead"][0]["priority"].GetInt64(), 3);
  EXPECT_EQ(now["queue"]["ahead_missing"].GetInt64(), 1);
  EXPECT_STREQ(now["line"]["status"].GetString(), "backordered");
  EXPECT_TRUE(now["order"]["red_star"].GetBool());
  EXPECT_EQ(now["stock"]["backordered"].GetInt64(), 2);
}

// A shipment the POS completed whose message the daemon has not seen (lost on the bus, not yet
// swept) shows as such: the operator sees why the goods are not allocated.
TEST_F(ExplainTest, AShipmentTheDaemonHasNotAppliedYetIsShownAsSuch) {
  PlayScenario();
  world_.CompleteShipment(9002, po_, {{po_line_, 2}});
  const ToolRun run = Explain({"--special-order", S(grace_)});
  ASSERT_EQ(run.exit_status, 0) << run.err;
  EXPECT_THAT(run.out, ContainsRegex("\n  arrived     shipment 9001: 1 \\([^)]+\\); shipment "
                                     "9002: 2 \\(completed [0-9T:.-]+Z, not applied by the "
                                     "daemon yet\\)\n"));
  EXPECT_THAT(run.out, HasSubstr("3 ordered, 3 received, 0 still due"));
  EXPECT_THAT(run.out, HasSubstr("covered     no, short by 2: 0 still due, 1 for those ahead, 1 "
                                 "for it"));
  const auto doc = Json({"--special-order", S(grace_)});
  const auto& shipments = doc["special_orders"][0]["now"]["po_line"]["shipments"];
  ASSERT_EQ(shipments.Size(), 2u);
  EXPECT_EQ(shipments[1]["id"].GetInt64(), 9002);
  EXPECT_FALSE(shipments[1]["applied"].GetBool());
  EXPECT_EQ(shipments[1]["allocated"].GetInt64(), 0);
}

TEST_F(ExplainTest, OrderLineShowsWhatTheShipmentMovedAndNobodyAhead) {
  PlayScenario();
  const ToolRun run = Explain({"--order-line", "50011"});
  ASSERT_EQ(run.exit_status, 0) << run.err;
  EXPECT_THAT(run.out, ContainsRegex("\n  [0-9T:-]+Z +" + shipment_ +
                                     " +shipment\\.completed +defaults +allocated +"
                                     "committed \\+1, backordered -1 +1 from shipment "
                                     "9001; allocated 1 of 2"));
  EXPECT_THAT(run.out, HasSubstr("Now: in_progress"));
  EXPECT_THAT(run.out, HasSubstr("\n  ahead of it nobody"));
  EXPECT_THAT(run.out, HasSubstr("covered     yes: 2 still due, 0 for those ahead, 1 for it"));

  const auto doc = Json({"--order-line", "50011"});
  EXPECT_STREQ(doc["by"].GetString(), "order_line");
  ASSERT_EQ(doc["special_orders"].Size(), 1u);
  const auto& so = doc["special_orders"][0];
  EXPECT_EQ(so["id"].GetInt64(), ada_);
  std::vector<std::string> decisions;
  Qty committed = 0, backordered = 0;
  for (const auto& h : so["history"].GetArray()) {
    decisions.push_back(h["decision"].GetString());
    if (h["counters"].IsObject()) {
      committed += h["counters"]["committed"].GetInt64();
      backordered += h["counters"]["backordered"].GetInt64();
    }
  }
  EXPECT_THAT(decisions, ElementsAre("created", "created_po", "promised", "po_status_recorded",
                                     "promised", "arrived", "allocated"));
  // What the rows say adds up to the line's counters.
  EXPECT_EQ(committed, so["now"]["line"]["committed_qty"].GetInt64());
  EXPECT_EQ(backordered, so["now"]["line"]["backordered_qty"].GetInt64());
  EXPECT_EQ(committed, 1);
  EXPECT_EQ(backordered, 1);
  EXPECT_TRUE(so["now"]["queue"]["ahead"].GetArray().Empty());
}

TEST_F(ExplainTest, OrderShowsEachOfItsSpecialOrdersAndTheTransferOneWaitsFor) {
  PlayScenario();
  const ToolRun run = Explain({"--order", "5002"});
  ASSERT_EQ(run.exit_status, 0) << run.err;
  EXPECT_THAT(run.out, AllOf(HasSubstr("special order " + S(grace_) + ": 1 x CHAIR-OAK"),
                             HasSubstr("special order " + S(desk_) + ": 2 x DESK-WALNUT")));
  EXPECT_THAT(run.out, HasSubstr("\n  waits for   transfer " + S(transfer_) + "\n"));
  EXPECT_THAT(run.out,
              HasSubstr("transfer " + S(transfer_) + " requested, from store 2 (S02), created "));
  EXPECT_THAT(run.out, HasSubstr("desks-from-harbour  requested_transfer"));

  const auto doc = Json({"--order", "5002"});
  ASSERT_EQ(doc["special_orders"].Size(), 2u);
  EXPECT_EQ(doc["special_orders"][0]["id"].GetInt64(), grace_);
  const auto& desk = doc["special_orders"][1];
  EXPECT_EQ(desk["id"].GetInt64(), desk_);
  EXPECT_STREQ(desk["source"].GetString(), "transfer");
  EXPECT_STREQ(desk["now"]["waits_for"].GetString(), "transfer");
  EXPECT_EQ(desk["now"]["transfer"]["id"].GetInt64(), transfer_);
  EXPECT_EQ(desk["now"]["transfer"]["from_store_id"].GetInt64(), 2);
  EXPECT_EQ(desk["now"]["transfer"]["quantity"].GetInt64(), 2);
  EXPECT_STREQ(desk["now"]["queue"]["rule"].GetString(), "desks-from-harbour");
  EXPECT_TRUE(desk["now"]["po"].IsNull());
  EXPECT_STREQ(desk["now"]["promise"]["basis"].GetString(), "transfer_days");
  EXPECT_EQ(desk["now"]["promise"]["days"].GetInt(), 3);
  EXPECT_EQ(desk["now"]["promise"]["promise_seq"].GetInt(), 1);
}

TEST_F(ExplainTest, PoShowsEverySpecialOrderOnIt) {
  PlayScenario();
  const ToolRun run = Explain({"--po", S(po_)});
  ASSERT_EQ(run.exit_status, 0) << run.err;
  EXPECT_THAT(run.out, AllOf(HasSubstr("special order " + S(ada_) + ": 2 x CHAIR-OAK"),
                             HasSubstr("special order " + S(grace_) + ": 1 x CHAIR-OAK"),
                             Not(HasSubstr("DESK-WALNUT"))));
  const auto doc = Json({"--po", S(po_)});
  EXPECT_STREQ(doc["by"].GetString(), "po");
  ASSERT_EQ(doc["special_orders"].Size(), 2u);
  EXPECT_EQ(doc["special_orders"][0]["id"].GetInt64(), ada_);
  EXPECT_EQ(doc["special_orders"][1]["id"].GetInt64(), grace_);
}

TEST_F(ExplainTest, NothingFoundIsExitCodeOneWithAClearMessage) {
  PlayScenario();
  const ToolRun run = Explain({"--special-order", "999999"});
  EXPECT_EQ(run.exit_status, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "special-ordersd explain: no special order for special order 999999\n");
  const auto doc = Json({"--po", "424242"}, 1);
  EXPECT_TRUE(doc["special_orders"].GetArray().Empty());
}

TEST_F(ExplainTest, ABadCommandLineOrConfigIsExitCodeTwo) {
  PlayScenario();
  for (const auto& args :
       std::vector<std::vector<std::string>>{{},
                                             {"--special-order"},
                                             {"--special-order", "x"},
                                             {"--special-order", "0"},
                                             {"--special-order", "1", "--po", "1"},
                                             {"--special-order", "1", "--colour", "red"}}) {
    const ToolRun run = Explain(args);
    EXPECT_EQ(run.exit_status, 2) << ::testing::PrintToString(args) << run.out << run.err;
    EXPECT_THAT(run.err, HasSubstr("usage:")) << ::testing::PrintToString(args);
    EXPECT_EQ(run.out, "");
  }
  const ToolRun no_config = RunDaemonTool(
      {"explain", "--config", work_dir_ + "/missing.yaml", "--order", "5001"}, work_dir_);
  EXPECT_EQ(no_config.exit_status, 2);
  EXPECT_THAT(no_config.err, HasSubstr(work_dir_ + "/missing.yaml"));
}

TEST_F(ExplainTest, ADatabaseThatCannotBeReachedIsExitCodeOne) {
  PlayScenario();
  const std::string config = ConfigFor("no_such_database_here");
  const ToolRun run =
      RunDaemonTool({"explain", "--config", config, "--special-order", S(ada_)}, work_dir_);
  EXPECT_EQ(run.exit_status, 1);
  EXPECT_THAT(run.err,
              AllOf(HasSubstr("cannot reach the database"), HasSubstr("no_such_database_here")));
  EXPECT_EQ(run.out, "");
}

// Read-only for real: as an account that may only SELECT it answers just as it does as the
// daemon's, the database is byte for byte the same, and the daemon's tables are not created
// where they are missing.
TEST_F(ExplainTest, WritesNothing) {
  PlayScenario();
  const std::string before = db_.Dump();
  const std::string reader = "explain_ro_" + std::to_string(getpid());
  db_.Exec("CREATE USER '" + reader + "'@'localhost' IDENTIFIED BY 'ro'");
  db_.Exec("GRANT SELECT ON " + QuoteIdentifier(db_.name()) + ".* TO '" + reader + "'@'localhost'");
  const std::string read_only = ConfigFor(db_.name(), reader, "ro");
  for (const auto& args : std::vector<std::vector<std::string>>{{"--special-order", S(grace_)},
                                                                {"--order-line", "50011"},
                                                                {"--order", "5002", "--json"},
                                                                {"--po", S(po_), "--json"},
                                                                {"--special-order", "999999"}}) {
    SCOPED_TRACE(::testing::PrintToString(args));
    const ToolRun as_daemon = Explain(args);
    std::vector<std::string> ro_args = {"explain", "--config", read_only};
    ro_args.insert(ro_args.end(), args.begin(), args.end());
    const ToolRun as_reader = RunDaemonTool(ro_args, work_dir_);
    EXPECT_EQ(as_reader.exit_status, as_daemon.exit_status) << as_reader.err;
    EXPECT_EQ(as_reader.out, as_daemon.out);
  }
  db_.Exec("DROP USER '" + reader + "'@'localhost'");
  EXPECT_EQ(db_.Dump(), before);

  TestDatabase bare("explain_bare");
  for (const auto& row : bare.Query("SHOW TABLES LIKE 'sod\\_%'")) {
    bare.Exec("DROP TABLE " + QuoteIdentifier(*row.at(0)));
  }
  const std::string config = ConfigFor(bare.name());
  const ToolRun run = RunDaemonTool({"explain", "--config", config, "--order", "5001"}, work_dir_);
  EXPECT_EQ(run.exit_status, 1) << run.err;
  EXPECT_THAT(bare.Query("SHOW TABLES LIKE 'sod\\_%'"), IsEmpty());
}

}  // namespace
}  // namespace so::testing
