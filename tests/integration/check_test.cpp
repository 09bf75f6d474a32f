// `special-ordersd check` end to end: the real binary run as a child against the private
// MariaDB the real daemon works on, over real ZeroMQ. An edit behind the daemon's back is found
// by `check` and by the daemon's sweep, and `check --repair` puts it right with an audit row per
// fix, after which the test's own invariant checker agrees.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/daemon_fixture.hpp"
#include "tests/support/http_client.hpp"

namespace so::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

struct Output {
  int code = -1;
  std::string out;  // stdout and stderr
};

Output RunCommand(const std::string& cmd) {
  Output r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) r.out += buf;
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// The output with every run of spaces made one: the table's rows as "stock(1,100) committed 2 5".
std::string Squeezed(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c != ' ' || out.empty() || out.back() != ' ') out += c;
  }
  return out;
}

class CheckTest : public DaemonTest {
 protected:
  CheckTest() : DaemonTest("check") {}

  // As StartDaemon(), with a sweep (and its drift check) every second.
  void StartSweepingDaemon(const std::string& extra_config = "") {
    metrics_port_ = FreeTcpPort();
    StartDaemon("version: 1\n", [&](DaemonSetup& setup) {
      setup.reconcile = ReconcileSetup{true, 1};
      setup.extra_config = extra_config;
    });
  }

  Output Check(const std::string& args = "") {
    return RunCommand(DaemonBinary() + " check --config " + daemon_->config_path() + " " + args);
  }

  // Two chairs special-ordered for 5001, one for 5002, on one PO; a shipment of 2 serves 5001:
  // stock(1,100) committed 2, backordered 1.
  void PlayTwoOrdersAndAShortShipment(const std::string& extra_config = "") {
    world_.LoadDemoData();
    StartSweepingDaemon(extra_config);
    world_.CreateOrderWithSpecialLine(5001, 50011, 1, 1, 100, 2);
    Send(SpecialOrderRequested{5001, 50011, 1, 1, 100, 2, bus_->clock()});
    world_.CreateOrderWithSpecialLine(5002, 50021, 1, 2, 100, 1);
    Send(SpecialOrderRequested{5002, 50021, 1, 2, 100, 1, bus_->clock()});
    const Id po = Int("SELECT po_id FROM special_orders WHERE order_line_id = 50011");
    world_.SetPoStatus(po, "open");
    Send(PoStatusChanged{po, "open", "draft"});
    auto lines = world_.CompleteShipment(9001, po, {{world_.PoLineOf(po, 100), 2}});
    Send(ShipmentCompleted{9001, po, 1, 10, lines});
    ASSERT_EQ(Int("SELECT committed FROM stock WHERE store_id = 1 AND product_id = 100"), 2);
    ASSERT_EQ(Int("SELECT backordered FROM stock WHERE store_id = 1 AND product_id = 100"), 1);
  }
};

TEST_F(CheckTest, EditBehindTheDaemonsBackIsFoundLoggedAndRepairedWithAnAuditRowEach) {
  PlayTwoOrdersAndAShortShipment();
  const Output clean = Check();
  EXPECT_EQ(clean.code, 0) << clean.out;
  EXPECT_THAT(clean.out, HasSubstr("no drift"));
  daemon_->WaitForLog("no counter drift");

  // A script and a clerk change counters in the POS.
  db_.Exec("UPDATE stock SET committed = committed + 3 WHERE store_id = 1 AND product_id = 100");
  db_.Exec("UPDATE customer_order_lines SET status = 'committed' WHERE id = 50021");
  db_.Exec("UPDATE customer_orders SET has_special_order = 0 WHERE id = 5002");
  EXPECT_THAT(CheckInvariants(db_), Not(IsEmpty()));  // the test's own oracle sees it too

  const Output found = Check();
  EXPECT_EQ(found.code, 1) << found.out;
  EXPECT_THAT(found.out, HasSubstr("3 counters differ"));
  EXPECT_THAT(Squeezed(found.out), HasSubstr("\nstock(1,100) committed 2 5\n"));
  EXPECT_THAT(Squeezed(found.out), HasSubstr("\nline 50021 status backordered committed "));
  EXPECT_THAT(Squeezed(found.out), HasSubstr("\norder 5002 has_special_order 1 0\n"));
  const Output json = Check("--json");
  EXPECT_EQ(json.code, 1) << json.out;
  EXPECT_THAT(json.out, HasSubstr("{\"table\":\"stock\",\"store_id\":1,\"product_id\":100,"
                                  "\"field\":\"committed\",\"expected\":2,\"found\":5}"));
  // Read-only: the counters are as edited.
  EXPECT_EQ(Int("SELECT committed FROM stock WHERE store_id = 1 AND product_id = 100"), 5);

  // The running daemon's next sweep sees it too, and its gauge says so.
  daemon_->WaitForLog("counter drift: 3 counters differ");
  EXPECT_THAT(daemon_->Log(), HasSubstr("stock(1,100).committed expected 2 found 5"));
  EXPECT_THAT(HttpGet(metrics_port_, "/metrics").body,
              HasSubstr("\nspecial_ordersd_drift_differences 3\n"));

  const Output repair = Check("--repair");
  EXPECT_EQ(repair.code, 1) << repair.out;
  EXPECT_THAT(repair.out, HasSubstr("repaired all 3 in one transaction"));
  EXPECT_EQ(Int("SELECT committed FROM stock WHERE store_id = 1 AND product_id = 100"), 2);
  EXPECT_EQ(Str("SELECT status FROM customer_order_lines WHERE id = 50021"), "backordered");
  EXPECT_EQ(Int("SELECT has_special_order FROM customer_orders WHERE id = 5002"), 1);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM sod_audit WHERE decision = 'repaired_drift' "
                "AND rule = 'check --repair' AND message_id LIKE 'check-repair:%'"),
            3);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM sod_audit WHERE decision = 'repaired_drift' AND detail = "
                "'stock(store 1, product 100).committed: expected 2, found 5; set to 2'"),
            1);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM sod_audit WHERE decision = 'repaired_drift' "
                "AND special_order_id = (SELECT id FROM special_orders WHERE order_line_id = "
                "50021) AND detail LIKE '%status: expected backordered, found committed%'"),
            1);

  const Output after = Check();
  EXPECT_EQ(after.code, 0) << after.out;
  EXPECT_THAT(after.out, HasSubstr("no drift"));
  EXPECT_THAT(CheckInvariants(db_), IsEmpty());
  daemon_->WaitForLog("counter drift gone");
  EXPECT_THAT(HttpGet(metrics_port_, "/metrics").body,
              HasSubstr("\nspecial_ordersd_drift_differences 0\n"));

  // The daemon goes on from the repaired counters: the last chair arrives and is allocated.
  const Id po = Int("SELECT po_id FROM special_orders WHERE order_line_id = 50021");
  auto lines = world_.CompleteShipment(9002, po, {{world_.PoLineOf(po, 100), 1}});
  Send(ShipmentCompleted{9002, po, 1, 10, lines});
  EXPECT_EQ(Int("SELECT committed FROM stock WHERE store_id = 1 AND product_id = 100"), 3);
  EXPECT_EQ(Check().code, 0);
}

// The repair runs while the daemon applies a burst of requests for the very stock row it
// corrects: whichever commits first, the end is consistent, and the daemon goes on.
TEST_F(CheckTest, RepairDuringABurstOnTheSameStockRowLeavesNoDrift) {
  // One transaction per message, so that the repair's locks are likelier to fall between two.
  PlayTwoOrdersAndAShortShipment("batch:\n  max_messages: 1\n");
  db_.Exec(
      "UPDATE stock SET backordered = backordered + 5 WHERE store_id = 1 AND product_id = 100");
  constexpr int kBurst = 200;
  for (int i = 0; i < kBurst; ++i) {
    world_.CreateOrderWithSpecialLine(6000 + i, 60000 + i, 1, 1 + i % 3, 100, 1);
  }
  std::vector<std::string> ids;
  auto repair = std::async(std::launch::async, [&] { return Check("--repair"); });
  for (int i = 0; i < kBurst; ++i) {
    ids.push_back(bus_->Publish(
        SpecialOrderRequested{6000 + i, 60000 + i, 1, 1 + i % 3, 100, 1, bus_->clock()}));
  }
  const Output repaired = repair.get();
  // How far the burst was when the repair took its locks: its expected backordered is 1 plus the
  // requests committed before it.
  std::cout << "[ repair during the burst ]\n" << repaired.out;
  for (const std::string& id : ids) WaitProcessed(db_, id);
  EXPECT_EQ(repaired.code, 1) << repaired.out;
  EXPECT_THAT(repaired.out, HasSubstr("backordered")) << repaired.out;
  EXPECT_EQ(Int("SELECT COUNT(*) FROM special_orders"), 2 + kBurst);
  const Output after = Check();
  EXPECT_EQ(after.code, 0) << after.out << "\nthe repair said:\n" << repaired.out;
  EXPECT_THAT(CheckInvariants(db_), IsEmpty());
  EXPECT_EQ(Int("SELECT backordered FROM stock WHERE store_id = 1 AND product_id = 100"),
            1 + kBurst);
}

TEST_F(CheckTest, ACounterNoSpecialOrderExplainsIsDrift) {
  PlayTwoOrdersAndAShortShipment();
  world_.SetOnHand(2, 101, 4);
  db_.Exec("UPDATE stock SET backordered = 7 WHERE store_id = 2 AND product_id = 101");
  const Output found = Check();
  EXPECT_EQ(found.code, 1) << found.out;
  EXPECT_THAT(Squeezed(found.out), HasSubstr("\nstock(2,101) backordered 0 7\n"));
  EXPECT_EQ(Check("--repair").code, 1);
  EXPECT_EQ(Int("SELECT backordered FROM stock WHERE store_id = 2 AND product_id = 101"), 0);
  EXPECT_EQ(Int("SELECT on_hand FROM stock WHERE store_id = 2 AND product_id = 101"), 4);
  EXPECT_EQ(Check().code, 0);
}

TEST_F(CheckTest, BadCommandLineIsTwoAndAnUnusableDatabaseIsThree) {
  PlayTwoOrdersAndAShortShipment();
  EXPECT_EQ(Check("--frobnicate").code, 2);
  EXPECT_EQ(RunCommand(DaemonBinary() + " check --config /nonexistent.yaml").code, 2);

  std::stringstream text;
  text << std::ifstream(daemon_->config_path()).rdbuf();
  const std::string bad_path = work_dir_ + "/no-such-database.yaml";
  std::string config = text.str();
  const size_t name = config.find("\n  name: ");
  ASSERT_NE(name, std::string::npos) << config;
  config.replace(name, config.find('\n', name + 1) - name, "\n  name: no_such_database");
  std::ofstream(bad_path) << config;
  const Output bad = RunCommand(DaemonBinary() + " check --config " + bad_path);
  EXPECT_EQ(bad.code, 3) << bad.out;
  EXPECT_THAT(bad.out, HasSubstr("special-ordersd check: database error, nothing checked"));
}

}  // namespace
}  // namespace so::testing
