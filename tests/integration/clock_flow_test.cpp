// The daemon's clock end to end (issue 11): the real binary in a SO_TEST_CLOCK build reads its
// "now" from a file the test writes (SO_FAKE_NOW_FILE), a private MariaDB, real ZeroMQ. The
// test moves the clock through a promise, its overdue, two pickup reminders and the pickup
// deadline, restarts and crashes the daemon on the way, and checks every invariant after each
// step, that nothing timed is applied twice, and that its events come at least once, with the
// same id when they come again.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/daemon_fixture.hpp"
#include "tests/support/http_client.hpp"

namespace so::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kTimedRules =
    "version: 1\n"
    "defaults:\n"
    "  overdue_grace_days: 1\n"
    "  pickup_reminder_days: [3, 7]\n"
    "  pickup_deadline_days: 10\n"
    "  reallocate_freed_stock: true\n";

class ClockTest : public DaemonTest {
 protected:
  ClockTest() : DaemonTest("clock") {}

  void SetUp() override {
    world_.LoadDemoData();
    metrics_port_ = FreeTcpPort();
    StartDaemon(kTimedRules, [this](DaemonSetup& s) {
      s.clock_interval_s = 1;
      s.env["SO_FAKE_NOW_FILE"] = s.work_dir + "/now";
      now_file_ = s.work_dir + "/now";
      SetNow(Timestamp{bus_clock_start_});
    });
  }

  // The daemon's clock reads this at its next look (every second).
  void SetNow(Timestamp t) { std::ofstream(now_file_) << FormatRfc3339(t) << "\n"; }

  Timestamp DbTime(const std::string& sql) { return *ParseSqlDatetime(Str(sql)); }

  // Waits until the inbox holds `n` clock messages whose id starts with `prefix`; returns their
  // ids in the order applied.
  std::vector<std::string> WaitForClock(const std::string& prefix, size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
      std::vector<std::string> ids;
      for (const auto& row : db_.Query("SELECT message_id FROM sod_inbox WHERE message_id LIKE '" +
                                       prefix + "%' ORDER BY applied_at, message_id")) {
        ids.push_back(row[0].value_or(""));
      }
      if (ids.size() >= n || std::chrono::steady_clock::now() > deadline) {
        EXPECT_EQ(ids.size(), n) << daemon_->Log();
        EXPECT_THAT(CheckInvariants(db_), IsEmpty()) << "after " << prefix;
        return ids;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  // Lets the clock look a few times more; then no new clock message may be in the inbox.
  void ExpectNothingMoreOver(const std::string& prefix, size_t n) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    EXPECT_EQ(Int("SELECT COUNT(*) FROM sod_inbox WHERE message_id LIKE '" + prefix + "%'"),
              static_cast<int64_t>(n));
  }

  // Every event the subscriber took, by id: an id that comes again (a resend) must be the same
  // event, with the same seq and type.
  void Collect(const std::vector<json::DecodedEvent>& events) {
    for (const auto& e : events) {
      const std::string what = e.envelope.type + " #" + std::to_string(e.envelope.seq);
      const auto [it, first] = event_ids_.try_emplace(e.envelope.source + "/" + e.envelope.id, what);
      EXPECT_EQ(it->second, what) << "two events with the id " << it->first;
    }
  }

  // Takes events off the bus until one of type T that `match` accepts comes (collecting them all).
  template <typename T, typename Match>
  std::optional<T> WaitForEvent(Match match) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      const auto events = bus_->TakeEvents(std::chrono::milliseconds(100));
      Collect(events);
      for (const T& t : Only<T>(events)) {
        if (match(t)) return t;
      }
    }
    return std::nullopt;
  }

  std::string now_file_;
  // PosBus's simulated clock starts at 2026-12-01T09:00:00Z (tests/pos_sim/pos_sim.cpp).
  int64_t bus_clock_start_ = 1'796'115'600LL * 1'000'000;
  std::map<std::string, std::string> event_ids_;
};

TEST_F(ClockTest, PromiseOverdueRemindersAndDeadlineEachOnceAcrossRestartsAndACrash) {
  // 1. Ada special-orders 2 chairs: a draft PO, promised 7 days from now; the buyer sends it.
  world_.CreateOrderWithSpecialLine(5001, 50011, 1, 1, 100, 2);
  const std::string request = Send(SpecialOrderRequested{5001, 50011, 1, 1, 100, 2, bus_->clock()});
  Collect(EventsOf(request));
  const Id ada = Int("SELECT id FROM special_orders WHERE order_line_id = 50011");
  const Id po = Int("SELECT po_id FROM special_orders WHERE id = " + std::to_string(ada));
  world_.SetPoStatus(po, "open");
  const std::string sent = Send(PoStatusChanged{po, "open", "draft"});
  const auto promised = Only<PromisedEvent>(EventsOf(sent));
  ASSERT_EQ(promised.size(), 1u);
  EXPECT_EQ(promised[0].basis, PromiseBasis::kVendorFromSent);
  const Timestamp expected = promised[0].expected_on;
  EXPECT_EQ(FormatDate(expected), "2026-12-08");

  // 2. Two days past the promised day (grace 1): overdue, once, and on the gauge.
  SetNow(AddDays(expected, 2));
  const auto overdue_ids = WaitForClock("clock:overdue:", 1);
  ASSERT_EQ(overdue_ids.size(), 1u);
  const auto overdue = Only<OverdueEvent>(EventsOf(overdue_ids[0]));
  ASSERT_EQ(overdue.size(), 1u);
  EXPECT_EQ(overdue[0].special_order_id, ada);
  EXPECT_EQ(overdue[0].vendor_id, 10);
  EXPECT_EQ(overdue[0].days_late, 2);
  EXPECT_THAT(HttpGet(metrics_port_, "/metrics").body,
              HasSubstr("special_ordersd_special_orders_overdue{store=\"1\",vendor=\"10\"} 1"));
  ExpectNothingMoreOver("clock:overdue:", 1);

  // 3. The chairs come: ready. Bob special-orders 2 more; nothing is left for him.
  auto lines = world_.CompleteShipment(9001, po, {{world_.PoLineOf(po, 100), 2}});
  Collect(EventsOf(Send(ShipmentCompleted{9001, po, 1, 10, lines})));
  EXPECT_EQ(Str("SELECT status FROM special_orders WHERE id = " + std::to_string(ada)), "ready");
  world_.CreateOrderWithSpecialLine(5002, 50021, 1, 2, 100, 2);
  Collect(EventsOf(Send(SpecialOrderRequested{5002, 50021, 1, 2, 100, 2, bus_->clock()})));
  const Id bob = Int("SELECT id FROM special_orders WHERE order_line_id = 50021");
  const Timestamp ready =
      DbTime("SELECT ready_at FROM special_orders WHERE id = " + std::to_string(ada));

  // Three days ready: the first reminder, with Ada's customer id.
  SetNow(AddDays(ready, 3));
  auto reminder_ids = WaitForClock("clock:reminder:", 1);
  ASSERT_EQ(reminder_ids.size(), 1u);
  auto reminders = Only<PickupReminderEvent>(EventsOf(reminder_ids[0]));
  ASSERT_EQ(reminders.size(), 1u);
  EXPECT_EQ(reminders[0].customer_id, 1);
  EXPECT_EQ(reminders[0].days, 3);
  EXPECT_EQ(reminders[0].ready_since, ready);

  // A restart at the same time: the start-up look finds nothing new. What comes on the bus is
  // what the killed run sent and had not yet marked sent: the same events again, no new one.
  const uint64_t last_seq = static_cast<uint64_t>(Int("SELECT last_seq FROM sod_event_sources"));
  daemon_->Kill();
  daemon_->Start();
  bus_ = std::make_unique<PosBus>(daemon_->pos_endpoint(), daemon_->events_endpoint(), "pos-sim",
                                  bus_->position());
  bus_->WaitForDaemon();
  ExpectNothingMoreOver("clock:reminder:", 1);
  // Past the hold after the start (bus.publish_delay_ms, 500 ms), when any resend goes out.
  for (const auto& e : bus_->TakeEvents(std::chrono::milliseconds(1500))) {
    EXPECT_LE(e.envelope.seq, last_seq) << e.envelope.type << " is new";
  }
  EXPECT_EQ(Int("SELECT last_seq FROM sod_event_sources"), static_cast<int64_t>(last_seq));

  // A power cut just after the 7-day reminder commits, before it is published, then a start
  // again: it is not applied again, and its event goes out from the outbox.
  daemon_->Kill();
  daemon_->SetEnv("SO_CRASH_AT", "after_commit");
  daemon_->Start();
  SetNow(AddDays(ready, 7));
  ASSERT_TRUE(daemon_->WaitForExit(std::chrono::seconds(20))) << daemon_->Log();
  daemon_->SetEnv("SO_CRASH_AT", std::nullopt);
  daemon_->Start();
  bus_ = std::make_unique<PosBus>(daemon_->pos_endpoint(), daemon_->events_endpoint(), "pos-sim",
                                  bus_->position());
  bus_->WaitForDaemon();
  reminder_ids = WaitForClock("clock:reminder:", 2);
  ASSERT_EQ(reminder_ids.size(), 2u);
  EXPECT_THAT(reminder_ids[1], HasSubstr(":7:"));
  ExpectNothingMoreOver("clock:reminder:", 2);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM sod_audit WHERE decision = 'pickup_reminder'"), 2);
  EXPECT_EQ(
      Int("SELECT reminded_days FROM sod_promises WHERE special_order_id = " + std::to_string(ada)),
      7);
  const auto seventh = WaitForEvent<PickupReminderEvent>(
      [&](const PickupReminderEvent& r) { return r.special_order_id == ada && r.days == 7; });
  ASSERT_TRUE(seventh.has_value()) << "the 7-day reminder committed before the crash never came";

  // 4. Ten days ready and never collected: cancelled, and the chairs go to Bob.
  SetNow(AddDays(ready, 10));
  const auto deadline_ids = WaitForClock("clock:deadline:", 1);
  ASSERT_EQ(deadline_ids.size(), 1u);
  const auto events = EventsOf(deadline_ids[0]);
  Collect(events);
  EXPECT_THAT(Moves(events), ElementsAre(std::to_string(ada) + ": ready -> cancelled",
                                         std::to_string(bob) + ": ordered -> ready"));
  for (const auto& c : Only<StatusChangedEvent>(events)) EXPECT_EQ(c.cause_id, deadline_ids[0]);
  EXPECT_EQ(Str("SELECT status FROM customer_order_lines WHERE id = 50011"), "cancelled");
  EXPECT_EQ(Int("SELECT allocated_qty FROM special_orders WHERE id = " + std::to_string(bob)), 2);
  EXPECT_THAT(Str("SELECT detail FROM sod_audit WHERE decision = 'pickup_deadline'"),
              HasSubstr("pickup deadline of 10 days passed"));
  ExpectNothingMoreOver("clock:deadline:", 1);

  // Each timed message once in the inbox: Ada's overdue, two reminders and deadline, and Bob's
  // overdue, found by the deadline's look but applied after the deadline gave him the chairs:
  // the no-op clock_not_due. An event id that came twice was the same event both times.
  EXPECT_EQ(Int("SELECT COUNT(*) FROM sod_inbox WHERE message_id LIKE 'clock:%'"), 5);
  EXPECT_THAT(Str("SELECT detail FROM sod_audit WHERE decision = 'clock_not_due'"),
              HasSubstr("special order is ready"));
  EXPECT_THAT(CheckInvariants(db_), IsEmpty());
}

}  // namespace
}  // namespace so::testing
