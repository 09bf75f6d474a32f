// The daemon end to end: the real binary, a private MariaDB and real ZeroMQ sockets. The POS
// simulator writes what the POS writes, publishes the contract's messages and checks every
// invariant of CONTRACT section 5 after each one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/daemon_fixture.hpp"

namespace so::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// The events the daemon publishes, taken until `count` have come or 5 s have passed: one
// TakeEvents() returns as soon as the first is there, maybe before the rest of its message's.
std::vector<json::DecodedEvent> TakeAtLeast(PosBus& bus, size_t count) {
  std::vector<json::DecodedEvent> out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
    for (auto& e : bus.TakeEvents(std::chrono::milliseconds(200))) out.push_back(std::move(e));
  }
  return out;
}

constexpr const char* kOrderAtOnce = "version: 1\n";

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}
constexpr const char* kWaitForBackOffice =
    "version: 1\n"
    "defaults:\n"
    "  on_request: wait\n";
constexpr const char* kConfirmAllocation =
    "version: 1\n"
    "rules:\n"
    "  - name: confirm-chairs\n"
    "    match: { products: [100] }\n"
    "    allocation: on_confirmation\n"
    "    status_after_allocation: in_progress\n";

class SeedFlowTest : public DaemonTest {
 protected:
  SeedFlowTest() : DaemonTest("seed") {}

  // The seed of the POS help page: a clerk special-orders 2 oak chairs for Ada; the daemon
  // orders them on a new draft PO; a second order attaches to it; the PO is sent; the shipment
  // completes.
  void PlaySeedScenario() {
    world_.CreateOrderWithSpecialLine(5001, 50011, 1, 1, 100, 2);
    Send(SpecialOrderRequested{5001, 50011, 1, 1, 100, 2, bus_->clock()});
    world_.CreateOrderWithSpecialLine(5002, 50021, 1, 2, 100, 1);
    Send(SpecialOrderRequested{5002, 50021, 1, 2, 100, 1, bus_->clock()});
    po_ = Int("SELECT po_id FROM special_orders WHERE order_line_id = 50011");
    world_.SetPoStatus(po_, "open");
    Send(PoStatusChanged{po_, "open", "draft"});
    auto lines = world_.CompleteShipment(9001, po_, {{world_.PoLineOf(po_, 100), 3}});
    Send(ShipmentCompleted{9001, po_, 1, 10, lines});
  }

  Id po_ = 0;
};

TEST_F(SeedFlowTest, SeedScenarioEndsReadyWithLineCommittedAndPoHoldingTheLine) {
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);

  world_.CreateOrderWithSpecialLine(5001, 50011, 1, 1, 100, 2);
  Send(SpecialOrderRequested{5001, 50011, 1, 1, 100, 2, bus_->clock()});
  EXPECT_EQ(Str("SELECT status FROM special_orders WHERE order_line_id = 50011"), "ordered");
  EXPECT_EQ(Str("SELECT status FROM customer_order_lines WHERE id = 50011"), "backordered");
  EXPECT_EQ(Int("SELECT has_special_order FROM customer_orders WHERE id = 5001"), 1);
  EXPECT_EQ(Int("SELECT backordered FROM stock WHERE store_id = 1 AND product_id = 100"), 2);
  po_ = Int("SELECT po_id FROM special_orders WHERE order_line_id = 50011");
  EXPECT_EQ(Str("SELECT CONCAT(status, ' ', vendor_id, ' ', created_by) FROM purchase_orders "
                "WHERE id = " +
                std::to_string(po_)),
            "draft 10 special-ordersd");
  auto events = TakeAtLeast(*bus_, 4);
  std::vector<std::string> types;
  for (const auto& e : events) types.push_back(e.envelope.type);
  EXPECT_THAT(types,
              ::testing::ElementsAre("special_order.created", "purchase_order.created",
                                     "special_order.status_changed", "special_order.promised"));
  const auto& change = std::get<StatusChangedEvent>(events.at(2).event);
  EXPECT_EQ(change.rule, "defaults");
  EXPECT_EQ(change.cause_id, bus_->sent_ids().back());
  // The customer is promised a day: the vendor's lead time, counted from now (the PO is a draft).
  const auto& promised = std::get<PromisedEvent>(events.at(3).event);
  EXPECT_EQ(promised.order_id, 5001);
  EXPECT_EQ(promised.basis, PromiseBasis::kVendorFromNow);
  EXPECT_EQ(FormatDate(promised.expected_on),
            Str("SELECT DATE_FORMAT(expected_on, '%Y-%m-%d') FROM sod_promises"));

  // A second order attaches to the same draft PO: its line grows to 3.
  world_.CreateOrderWithSpecialLine(5002, 50021, 1, 2, 100, 1);
  Send(SpecialOrderRequested{5002, 50021, 1, 2, 100, 1, bus_->clock()});
  // Its four events (created, line added, status, promised), so that the PO's below are alone.
  ASSERT_EQ(TakeAtLeast(*bus_, 4).size(), 4u);
  EXPECT_EQ(Int("SELECT po_id FROM special_orders WHERE order_line_id = 50021"), po_);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM purchase_order_lines WHERE po_id = " + std::to_string(po_)),
            1);
  EXPECT_EQ(
      Int("SELECT quantity_ordered FROM purchase_order_lines WHERE po_id = " + std::to_string(po_)),
      3);

  world_.SetPoStatus(po_, "open");
  Send(PoStatusChanged{po_, "open", "draft"});
  // Sent: both special orders are promised again, from today.
  std::vector<PromiseBasis> bases;
  for (const auto& e : TakeAtLeast(*bus_, 2)) {
    if (const auto* p = std::get_if<PromisedEvent>(&e.event)) bases.push_back(p->basis);
  }
  EXPECT_THAT(bases,
              ::testing::ElementsAre(PromiseBasis::kVendorFromSent, PromiseBasis::kVendorFromSent));
  EXPECT_EQ(Str("SELECT GROUP_CONCAT(CONCAT(promise_seq, ' ', basis) ORDER BY special_order_id) "
                "FROM sod_promises"),
            "2 vendor_lead_time_from_sent,2 vendor_lead_time_from_sent");

  auto lines = world_.CompleteShipment(9001, po_, {{world_.PoLineOf(po_, 100), 3}});
  Send(ShipmentCompleted{9001, po_, 1, 10, lines});
  EXPECT_EQ(Str("SELECT GROUP_CONCAT(status ORDER BY id) FROM special_orders"), "ready,ready");
  EXPECT_EQ(Str("SELECT GROUP_CONCAT(CONCAT(status, ':', committed_qty, ':', backordered_qty) "
                "ORDER BY id) FROM customer_order_lines"),
            "committed:2:0,committed:1:0");
  EXPECT_EQ(Str("SELECT CONCAT(on_hand, ' ', committed, ' ', backordered) FROM stock "
                "WHERE store_id = 1 AND product_id = 100"),
            "3 3 0");
  events = bus_->TakeEvents(std::chrono::seconds(5));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].envelope.type, "special_order.arrived");
  const auto& arrived = std::get<ArrivedEvent>(events[0].event);
  EXPECT_EQ(arrived.arrival_id, 9001);
  EXPECT_EQ(arrived.special_orders.size(), 2u);
  // Every decision names its rule.
  EXPECT_EQ(Int("SELECT COUNT(*) FROM sod_audit WHERE rule = '' OR rule IS NULL"), 0);
  EXPECT_GE(Int("SELECT COUNT(*) FROM sod_audit WHERE decision = 'allocated'"), 2);
}

TEST_F(SeedFlowTest, RedeliveringEveryMessageLeavesTheDatabaseByteForByte) {
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);
  PlaySeedScenario();
  const std::string before = db_.Dump();
  for (const auto& id : bus_->sent_ids()) bus_->Republish(id);
  daemon_->WaitForLog("duplicate shipment.completed id=" + bus_->sent_ids().back());
  EXPECT_EQ(db_.Dump(), before);
  // And the same once more after a restart of the daemon (the POS replays after its own).
  EXPECT_EQ(daemon_->Stop(), 0);
  daemon_->Start();
  bus_ = nullptr;
  bus_ = std::make_unique<PosBus>(daemon_->pos_endpoint(), daemon_->events_endpoint());
  bus_->WaitForDaemon();
  EXPECT_EQ(db_.Dump(), before);
}

TEST_F(SeedFlowTest, BadInputLeavesAReadableRecordAndTheDaemonKeepsRunning) {
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);
  // Not JSON, a type the contract does not have with an envelope that is not one either, three
  // frames, a message naming a missing row.
  bus_->SendFrames({"order.special_order_requested", "{not json"});
  bus_->SendFrames({"order.exploded", R"({"v":1,"id":"bad-type-1","type":"order.exploded",)"
                                      R"("source":"pos","seq":0,"occurred_at":)"
                                      R"("2026-12-01T09:00:00Z","payload":{}})"});
  bus_->SendFrames({"po.status_changed", "{}", "extra"});
  const std::string missing = Send(SpecialOrderRequested{7777, 77771, 1, 1, 100, 1, bus_->clock()});
  EXPECT_EQ(Str("SELECT outcome FROM sod_inbox WHERE message_id = '" + missing + "'"), "refused");
  EXPECT_THAT(Str("SELECT detail FROM sod_audit WHERE message_id = '" + missing + "'"),
              HasSubstr("order 7777 does not exist"));
  EXPECT_EQ(Int("SELECT COUNT(*) FROM sod_dead_letters"), 3);
  EXPECT_THAT(Str("SELECT reason FROM sod_dead_letters WHERE message_id = 'bad-type-1'"),
              HasSubstr("seq: must be an integer >= 1"));
  EXPECT_THAT(Str("SELECT GROUP_CONCAT(reason SEPARATOR ' | ') FROM sod_dead_letters"),
              AllOf(HasSubstr("expected 2 frames, got 3"), HasSubstr("body")));
  EXPECT_EQ(Str("SELECT raw FROM sod_dead_letters WHERE topic = 'order.special_order_requested'"),
            "{not json");
  // Still running: the seed flow goes through.
  PlaySeedScenario();
  EXPECT_EQ(Str("SELECT GROUP_CONCAT(status ORDER BY id) FROM special_orders"), "ready,ready");
}

// The POS bus carries more than special orders: a valid message of a type the contract does not
// define is counted and logged once per type, changes nothing, is not dead-lettered, and its seq
// counts, so that the message after it is no gap.
TEST_F(SeedFlowTest, UnknownTypesAreIgnoredLoggedOncePerTypeAndKeepTheSeq) {
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);
  bus_->PublishOtherType("order.voided", R"({"order_id":5004})");
  bus_->PublishOtherType("order.voided", R"({"order_id":5005})");
  bus_->PublishOtherType("po.archived", R"({"po_id":900})");
  const std::string missing = Send(SpecialOrderRequested{7777, 77771, 1, 1, 100, 1, bus_->clock()});
  EXPECT_EQ(Int("SELECT COUNT(*) FROM sod_dead_letters"), 0);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM sod_inbox"), 1);  // the request only
  EXPECT_EQ(Str("SELECT outcome FROM sod_inbox WHERE message_id = '" + missing + "'"), "refused");
  ASSERT_EQ(daemon_->Stop(), 0);
  const std::string log = daemon_->Log();
  EXPECT_THAT(log, HasSubstr("ignoring order.voided: a type the contract does not define"));
  EXPECT_THAT(log, HasSubstr("ignoring po.archived"));
  EXPECT_EQ(Occurrences(log, "ignoring order.voided"), 1u) << log;
  EXPECT_THAT(log, Not(HasSubstr("gap from"))) << log;
  EXPECT_THAT(log, HasSubstr("of unknown types 3"));
}

TEST_F(SeedFlowTest, BackOfficeOrdersWhatTheRulesLeftWaiting) {
  world_.LoadDemoData();
  StartDaemon(kWaitForBackOffice);
  world_.CreateOrderWithSpecialLine(5001, 50011, 1, 1, 101, 1);
  Send(SpecialOrderRequested{5001, 50011, 1, 1, 101, 1, bus_->clock()});
  EXPECT_EQ(Str("SELECT status FROM special_orders"), "request");
  const Id so = Int("SELECT id FROM special_orders");
  // An open PO is refused under the default rules; choosing the vendor works.
  db_.Exec(
      "INSERT INTO purchase_orders (id, store_id, vendor_id, status, created_by, created_at, "
      "updated_at) VALUES (300, 1, 12, 'open', 'buyer', '2026-11-30 10:00:00', "
      "'2026-11-30 10:00:00')");
  const std::string refused = Send(BackofficeOrder{so, std::nullopt, 300, "bo-user"});
  EXPECT_EQ(Str("SELECT outcome FROM sod_inbox WHERE message_id = '" + refused + "'"), "refused");
  EXPECT_THAT(Str("SELECT detail FROM sod_inbox WHERE message_id = '" + refused + "'"),
              HasSubstr("PO 300 is open"));
  Send(BackofficeOrder{so, 12, std::nullopt, "bo-user"});
  EXPECT_EQ(Str("SELECT CONCAT(status, ' ', vendor_id) FROM special_orders"), "ordered 12");
  EXPECT_EQ(Str("SELECT unit_cost FROM purchase_order_lines WHERE id = (SELECT po_line_id FROM "
                "special_orders)"),
            "335.0000");
}

TEST_F(SeedFlowTest, AllocationWaitsForTheBackOfficeWhenTheRuleSaysSo) {
  world_.LoadDemoData();
  StartDaemon(kConfirmAllocation);
  PlaySeedScenario();
  EXPECT_EQ(Str("SELECT GROUP_CONCAT(status ORDER BY id) FROM special_orders"), "arrived,arrived");
  EXPECT_EQ(Int("SELECT committed FROM stock WHERE store_id = 1 AND product_id = 100"), 0);
  const Id first = Int("SELECT MIN(id) FROM special_orders");
  Send(BackofficeAllocate{9001, std::nullopt, std::vector<Id>{first}, "bo-user"});
  EXPECT_EQ(Str("SELECT GROUP_CONCAT(status ORDER BY id) FROM special_orders"),
            "in_progress,arrived");
  Send(BackofficeAllocate{9001, std::nullopt, std::nullopt, "bo-user"});
  EXPECT_EQ(Str("SELECT GROUP_CONCAT(CONCAT(status, ':', allocated_qty) ORDER BY id) FROM "
                "special_orders"),
            "in_progress:2,in_progress:1");
  EXPECT_EQ(Int("SELECT allocated_qty FROM sod_arrival_lines WHERE arrival_id = 9001"), 3);
}

TEST_F(SeedFlowTest, ReloadSwapsValidRulesAndKeepsTheOldOnesOtherwise) {
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);
  WriteRules("version: 1\ndefaults:\n  on_request: sometimes\n");
  daemon_->SendSignal(SIGHUP);
  daemon_->WaitForLog("reload refused: " + rules_file_ + ":3:15:");
  world_.CreateOrderWithSpecialLine(5001, 50011, 1, 1, 100, 1);
  Send(SpecialOrderRequested{5001, 50011, 1, 1, 100, 1, bus_->clock()});
  EXPECT_EQ(Str("SELECT status FROM special_orders"), "ordered");

  WriteRules(kWaitForBackOffice);
  daemon_->SendSignal(SIGHUP);
  daemon_->WaitForLog("reloaded rules");
  world_.CreateOrderWithSpecialLine(5002, 50021, 1, 1, 100, 1);
  Send(SpecialOrderRequested{5002, 50021, 1, 1, 100, 1, bus_->clock()});
  EXPECT_EQ(Str("SELECT status FROM special_orders WHERE order_line_id = 50021"), "request");
}

// `systemctl reload` runs the unit's ExecReload= lines in order and stops at the first that
// fails: here they run so, as the unit has them, against the real daemon.
class UnitReload {
 public:
  UnitReload() {
    std::ifstream unit(std::string(SO_SOURCE_DIR) + "/systemd/special-ordersd.service");
    for (std::string line; std::getline(unit, line);) {
      if (line.rfind("ExecReload=", 0) == 0) lines_.push_back(line.substr(11));
    }
  }
  const std::vector<std::string>& lines() const { return lines_; }

  // The exit status of the first line that fails, or 0; `ran` counts the lines run.
  int Run(const DaemonProcess& daemon, int& ran) const {
    ran = 0;
    for (std::string cmd : lines_) {
      Replace(cmd, "/usr/bin/special-ordersd", DaemonBinary());
      Replace(cmd, "/etc/special-ordersd/special-ordersd.yaml", daemon.config_path());
      Replace(cmd, "$MAINPID", std::to_string(daemon.pid()));
      ++ran;
      const int status = std::system((cmd + " >/dev/null 2>&1").c_str());
      if (status != 0) return WEXITSTATUS(status);
    }
    return 0;
  }

 private:
  static void Replace(std::string& s, const std::string& what, const std::string& with) {
    if (const auto at = s.find(what); at != std::string::npos) s.replace(at, what.size(), with);
  }
  std::vector<std::string> lines_;
};

TEST_F(SeedFlowTest, TheUnitsReloadFailsOnABadFileAndTheDaemonKeepsItsRulesIfTheFileBreaksLater) {
  const UnitReload reload;
  ASSERT_EQ(reload.lines().size(), 2u);
  EXPECT_THAT(reload.lines()[0], HasSubstr("--check-config"));
  world_.LoadDemoData();
  StartDaemon(kOrderAtOnce);
  int ran = 0;

  // A bad file: the check fails, so the reload fails and the daemon is never signalled.
  WriteRules("version: 1\ndefaults:\n  on_request: sometimes\n");
  EXPECT_EQ(reload.Run(*daemon_, ran), 2);
  EXPECT_EQ(ran, 1);
  // A good file: checked, then re-read.
  WriteRules(kWaitForBackOffice);
  EXPECT_EQ(reload.Run(*daemon_, ran), 0);
  EXPECT_EQ(ran, 2);
  daemon_->WaitForLog("reloaded rules");
  // Broken between the check and the daemon's own reading: the daemon still refuses it.
  WriteRules("version: 1\ndefaults:\n  on_request: sometimes\n");
  daemon_->SendSignal(SIGHUP);
  daemon_->WaitForLog("reload refused: " + rules_file_ + ":3:15:");
  world_.CreateOrderWithSpecialLine(5002, 50021, 1, 1, 100, 1);
  Send(SpecialOrderRequested{5002, 50021, 1, 1, 100, 1, bus_->clock()});
  EXPECT_EQ(Str("SELECT status FROM special_orders WHERE order_line_id = 50021"), "request");
}

// --check-config validates without the network or the database.
TEST(CheckConfigTest, ReportsEveryProblemWithFileLineAndColumn) {
  const std::string dir = std::string(SO_BINARY_DIR) + "/test-work/check-config";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/rules.yaml") << "version: 1\ndefaults:\n  on_request: Order\n"
                                        "rules:\n  - name: x\n    colour: red\n";
  std::ofstream(dir + "/bad.yaml") << "bus:\n  subscribe: tcp://127.0.0.1:1\n"
                                      "database:\n  user: u\n  name: pos\n"
                                      "rules_file: rules.yaml\n";
  const std::string cmd = DaemonBinary() + " --check-config " + dir + "/bad.yaml 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) out += buf;
  const int status = pclose(p);
  EXPECT_EQ(WEXITSTATUS(status), 2) << out;
  EXPECT_THAT(out, HasSubstr(dir + "/rules.yaml:3:15:"));
  EXPECT_THAT(out, HasSubstr(dir + "/rules.yaml:6:5:"));
  EXPECT_THAT(out, HasSubstr("publish"));

  const std::string ok_cmd = DaemonBinary() + " --check-config " + std::string(SO_SOURCE_DIR) +
                             "/config/special-ordersd.example.yaml >/dev/null 2>&1";
  EXPECT_EQ(WEXITSTATUS(std::system(ok_cmd.c_str())), 0);
}

}  // namespace
}  // namespace so::testing
