// `simulate --open` against a private MariaDB that the engine filled as the daemon would: three
// special orders of store 1 on one PO, two of store 2 waiting in `request`. A candidate that
// changes vendor_choice, on_request and the order of service is reported exactly, read as a
// SELECT-only account while another connection holds every row it reads locked, and the
// database is byte for byte the same afterwards.
#include "daemon/simulate_open.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>
#include <string>

#include "adapters/mysql/mysql_store.hpp"
#include "rules/engine.hpp"
#include "tests/pos_sim/pos_sim.hpp"
#include "tests/support/test_db.hpp"

namespace so::testing {
namespace {

constexpr const char* kInForce = R"yaml(version: 1
rules:
  - name: store2-waits
    match:
      stores: [2]
    on_request: wait
)yaml";

// Cheapest vendor everywhere; store 2 waits only for product 101; store 1 serves the smallest
// first and allocates on confirmation.
constexpr const char* kCandidate = R"yaml(version: 1
defaults:
  vendor_choice: [cheapest]
rules:
  - name: store2-waits
    match:
      stores: [2]
      products: [101]
    on_request: wait
  - name: store1-smallest
    match:
      stores: [1]
    service_order: smallest_first
    allocation: on_confirmation
)yaml";

RuleSet Rules(const char* yaml) {
  auto loaded = config::ParseRules(yaml, "rules.yaml");
  if (!loaded.ok()) throw std::runtime_error("bad rules in the test");
  return *loaded.value;
}

class SimulateOpenTest : public ::testing::Test {
 protected:
  SimulateOpenTest()
      : db_("simulate_open"),
        world_(db_),
        in_force_(Rules(kInForce)),
        candidate_(Rules(kCandidate)),
        store_(db_.options()) {}

  void SetUp() override {
    ASSERT_TRUE(store_.Connect().ok());
    world_.LoadDemoData();
    // Budget sells chairs in fours; Acme has a draft PO for store 2 with five chairs on it.
    db_.Exec(
        "UPDATE product_vendors SET pack_size = 4 WHERE product_id = 100 AND vendor_id = 11;\n"
        "INSERT INTO purchase_orders (id, store_id, vendor_id, status, created_by, created_at, "
        "updated_at) VALUES (7100, 2, 10, 'draft', 'pos', '2026-12-01 07:00:00', "
        "'2026-12-01 07:00:00');\n"
        "INSERT INTO purchase_order_lines (id, po_id, product_id, quantity_ordered, "
        "quantity_received, unit_cost) VALUES (8100, 7100, 100, 5, 0, 42.5000)");
    // Special orders 1-3: store 1, chairs, ordered from Acme on one new draft PO.
    Request(5001, 50011, 1, 1, 100, 2);
    Request(5002, 50021, 1, 2, 100, 1);
    Request(5003, 50031, 1, 3, 100, 3);
    // 4 and 5: store 2, a chair and a desk, waiting for the Back Office.
    Request(5004, 50041, 2, 1, 100, 2);
    Request(5005, 50051, 2, 2, 101, 1);
    ASSERT_EQ(db_.QueryInt("SELECT COUNT(*) FROM special_orders WHERE status = 'request'"), 2);
    ASSERT_EQ(db_.QueryInt("SELECT COUNT(*) FROM special_orders WHERE status = 'ordered'"), 3);
  }

  // The POS writes the order, the engine applies its request under the rules in force.
  void Request(Id order, Id line, Id store, Id customer, Id product, Qty qty) {
    world_.CreateOrderWithSpecialLine(order, line, store, customer, product, qty);
    ++seq_;
    const Timestamp at{1'796'112'000'000'000 + static_cast<int64_t>(seq_) * 1'000'000};
    Message m{Envelope{1, "seed-" + std::to_string(seq_), "order.special_order_requested", "pos",
                       seq_, at},
              SpecialOrderRequested{order, line, store, customer, product, qty, at}};
    ASSERT_TRUE(store_.Begin().ok());
    auto outcome = Engine(in_force_).Apply(m, store_);
    ASSERT_TRUE(outcome.ok()) << outcome.error().ToString();
    ASSERT_EQ(outcome->disposition, Disposition::kApplied) << outcome->detail;
    ASSERT_TRUE(store_.Commit().ok());
  }

  config::DaemonConfig ConfigAs(const std::string& user, const std::string& password) {
    config::DaemonConfig c;
    c.database.socket = db_.options().socket;
    c.database.user = user;
    c.database.password = password;
    c.database.name = db_.name();
    return c;
  }

  struct Run {
    int code = -1;
    std::string out, err;
  };
  Run Simulate(const config::DaemonConfig& config, const RuleSet& candidate, bool json) {
    std::ostringstream out, err;
    Run r;
    r.code = daemon::RunSimulateOpen(config, in_force_, candidate, json, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
  }

  TestDatabase db_;
  PosWorld world_;
  RuleSet in_force_, candidate_;
  mysql::MysqlStore store_;
  uint64_t seq_ = 0;
};

TEST_F(SimulateOpenTest, ReportsExactlyWhatTheCandidateWouldDoOtherwiseAndWritesNothing) {
  const Id po = db_.QueryInt("SELECT po_id FROM special_orders WHERE id = 1");
  const std::string before = db_.Dump();
  const std::string reader = "simulate_ro_" + std::to_string(getpid());
  db_.Exec("CREATE USER '" + reader + "'@'localhost' IDENTIFIED BY 'ro'");
  db_.Exec("GRANT SELECT ON " + QuoteIdentifier(db_.name()) + ".* TO '" + reader + "'@'localhost'");

  // Every row the engine reads is held locked meanwhile: a read that locked would wait for it.
  mysql::MysqlStore holder(db_.options());
  ASSERT_TRUE(holder.Connect().ok());
  ASSERT_TRUE(holder.Begin().ok());
  ASSERT_TRUE(holder.LockOrders({5001, 5002, 5003, 5004, 5005}).ok());
  ASSERT_TRUE(holder.LockOrderLines({50011, 50021, 50031, 50041, 50051}).ok());
  ASSERT_EQ(holder.LockSpecialOrders({1, 2, 3, 4, 5})->size(), 5u);
  ASSERT_EQ(holder.LockStocks({{1, 100}, {2, 100}, {2, 101}})->size(), 3u);
  ASSERT_EQ(holder.LockPos({po, 7100})->size(), 2u);
  ASSERT_EQ(holder.LockPoLinesOfPos({po, 7100})->size(), 2u);

  const Run text = Simulate(ConfigAs(reader, "ro"), candidate_, false);
  const Run json = Simulate(ConfigAs(reader, "ro"), candidate_, true);
  holder.Rollback();

  EXPECT_EQ(text.code, daemon::kSimulateOpenDiffers) << text.err;
  EXPECT_EQ(text.err, "");
  EXPECT_EQ(text.out,
            "simulate --open: candidate rules " + candidate_.version() +
                " against the rules in force " + in_force_.version() +
                ", on the database as it is now\n"
                "special orders in request: 2, the candidate would decide 1 otherwise (if the "
                "Back Office ordered each now, the rules choosing)\n"
                "  by aspect: on_request 1, po 1, po_line_qty 1, vendor 1\n"
                "  by store: store 2 1\n"
                "queues of special orders waiting for goods: 3, 1 would be served otherwise\n"
                "\n"
                "special order 4 (store 2, product 100, order line 50041, 2 waiting): rule "
                "store2-waits -> defaults\n"
                "  on_request: wait -> order (rule store2-waits -> defaults)\n"
                "  vendor: 10 -> 11\n"
                "  po: PO 7100 -> new PO\n"
                "  po_line_qty: 7 -> 4\n"
                "\n"
                "queue of store 1, product 100 (rules selected by vendor 10): rule defaults -> "
                "store1-smallest\n"
                "  service_order: oldest_request_first -> smallest_first\n"
                "  allocation: immediate -> on_confirmation\n"
                "  order of service: 1, 2, 3 -> 2, 1, 3\n"
                "  special order 2: 2 -> 1\n"
                "  special order 1: 1 -> 2\n");

  EXPECT_EQ(json.code, daemon::kSimulateOpenDiffers) << json.err;
  const std::string queue_side = R"("allocation":"immediate","transfer_allocation":"immediate",)"
                                 R"("status_after_allocation":"ready","order":[1,2,3]},)";
  EXPECT_EQ(
      json.out,
      R"({"rules":{"in_force":")" + in_force_.version() + R"(","candidate":")" +
          candidate_.version() +
          R"("},"summary":{"in_request":2,"differ":1,"by_aspect":{"on_request":1,"po":1,)"
          R"("po_line_qty":1,"vendor":1},"by_store":{"2":1},"queues":3,"queues_differ":1,)"
          R"("failures":0},"special_orders":[{"special_order_id":4,"store_id":2,)"
          R"("product_id":100,"order_line_id":50041,"waiting":2,"in_force":{"rule":)"
          R"("store2-waits","sourcing":"vendor","vendor_id":10,"po_id":7100,"new_po":false,)"
          R"("po_line_qty":7,"transfer_from_store":null,"status":"ordered","refusal":null,)"
          R"("on_request":"wait","on_request_rule":"store2-waits"},"candidate":{"rule":)"
          R"("defaults","sourcing":"vendor","vendor_id":11,"po_id":null,"new_po":true,)"
          R"("po_line_qty":4,"transfer_from_store":null,"status":"ordered","refusal":null,)"
          R"("on_request":"order","on_request_rule":"defaults"},"aspects":[{"name":)"
          R"("on_request","in_force":"wait","candidate":"order"},{"name":"vendor",)"
          R"("in_force":"10","candidate":"11"},{"name":"po","in_force":"PO 7100",)"
          R"("candidate":"new PO"},{"name":"po_line_qty","in_force":"7","candidate":"4"}]}],)"
          R"("queues":[{"store_id":1,"product_id":100,"vendor_id":10,"in_force":{"rule":)"
          R"("defaults","service_order":"oldest_request_first",)" +
          queue_side +
          R"("candidate":{"rule":"store1-smallest","service_order":"smallest_first",)"
          R"("allocation":"on_confirmation","transfer_allocation":"immediate",)"
          R"("status_after_allocation":"ready","order":[2,1,3]},"settings":[{"name":)"
          R"("service_order","in_force":"oldest_request_first","candidate":"smallest_first"},)"
          R"({"name":"allocation","in_force":"immediate","candidate":"on_confirmation"}],)"
          R"("moves":[{"special_order_id":2,"in_force":2,"candidate":1},)"
          R"({"special_order_id":1,"in_force":1,"candidate":2}]}],"failures":[]})"
          "\n");

  db_.Exec("DROP USER '" + reader + "'@'localhost'");
  EXPECT_EQ(db_.Dump(), before);
}

TEST_F(SimulateOpenTest, TheRulesInForceAgainstThemselvesDifferInNothing) {
  const std::string before = db_.Dump();
  const Run run = Simulate(ConfigAs(db_.options().user, db_.options().password), in_force_, false);
  EXPECT_EQ(run.code, daemon::kSimulateOpenAlike) << run.err;
  EXPECT_THAT(run.out, ::testing::HasSubstr(
                           "special orders in request: 2, the candidate would decide 0 otherwise"));
  EXPECT_THAT(run.out,
              ::testing::HasSubstr("queues of special orders waiting for goods: 3, 0 would be "
                                   "served otherwise\n"));
  EXPECT_EQ(db_.Dump(), before);
}

TEST_F(SimulateOpenTest, ADatabaseThatCannotBeReadIsExitCodeThree) {
  config::DaemonConfig c = ConfigAs(db_.options().user, db_.options().password);
  c.database.name = "no_such_database_here";
  const Run run = Simulate(c, candidate_, true);
  EXPECT_EQ(run.code, daemon::kSimulateOpenDatabase);
  EXPECT_THAT(run.err, ::testing::HasSubstr("cannot read the database, nothing simulated"));
  EXPECT_EQ(run.out, "");
}

}  // namespace
}  // namespace so::testing
