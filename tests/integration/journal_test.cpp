// The daemon under systemd's journal, as a service runs: JOURNAL_STREAM names its stderr, so each
// entry goes to journald with its fields and, for what an operator looks for, a stable
// MESSAGE_ID. Runs beside a journald of its own (tests/integration/private-journal.sh, which
// ctest uses), a private MariaDB it can stop, and real ZeroMQ.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daemon/log_ids.hpp"
#include "tests/pos_sim/daemon_process.hpp"
#include "tests/pos_sim/pos_sim.hpp"
#include "tests/support/own_mariadb.hpp"

namespace so::testing {
namespace {

namespace ids = daemon::log_ids;
using ::testing::Contains;
using ::testing::Each;
using ::testing::IsEmpty;
using ::testing::Not;

// One journal entry: each field with its values (a field may come more than once).
using Entry = std::map<std::string, std::vector<std::string>>;

// Every entry of process `pid`, as `journalctl -o json` prints them.
std::vector<Entry> JournalOf(pid_t pid) {
  const std::string cmd = "journalctl --no-pager -q -o json _PID=" + std::to_string(pid);
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) throw std::runtime_error("cannot run journalctl");
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  pclose(p);
  std::vector<Entry> entries;
  size_t start = 0;
  for (size_t end; (end = out.find('\n', start)) != std::string::npos; start = end + 1) {
    rapidjson::Document doc;
    doc.Parse(out.data() + start, end - start);
    if (doc.HasParseError() || !doc.IsObject()) throw std::runtime_error("journalctl: bad JSON");
    Entry e;
    for (const auto& m : doc.GetObject()) {
      auto& values = e[m.name.GetString()];
      if (m.value.IsString()) {
        values.emplace_back(m.value.GetString());
      } else if (m.value.IsArray()) {
        for (const auto& v : m.value.GetArray()) {
          if (v.IsString()) values.emplace_back(v.GetString());
        }
      }
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

std::string One(const Entry& e, const std::string& field) {
  const auto it = e.find(field);
  return it == e.end() || it->second.empty() ? "" : it->second.front();
}

std::vector<Entry> With(const std::vector<Entry>& entries, const std::string& field,
                        const std::string& value) {
  std::vector<Entry> out;
  for (const Entry& e : entries) {
    const auto it = e.find(field);
    if (it != e.end() &&
        std::find(it->second.begin(), it->second.end(), value) != it->second.end()) {
      out.push_back(e);
    }
  }
  return out;
}

bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Not a skip: run outside its private journald this test would read the machine's journal.
    ASSERT_NE(std::getenv("SO_PRIVATE_JOURNAL"), nullptr)
        << "run through tests/integration/private-journal.sh (ctest does)";
  }

  // Starts a daemon logging to the journal at `level`, with a summary every second.
  void StartDaemon(TestDatabase& db, const std::string& level) {
    work_ = std::string(SO_BINARY_DIR) + "/test-work/journal-" + level;
    std::filesystem::remove_all(work_);
    std::filesystem::create_directories(work_);
    rules_ = work_ + "/rules.yaml";
    std::ofstream(rules_) << "version: 1\n";
    DaemonSetup setup{db.options(), rules_, work_};
    setup.journal = true;
    setup.log_level = level;
    setup.extra_config = "log_summary_interval_s: 1\n";
    daemon_ = std::make_unique<DaemonProcess>(setup);
    daemon_->Start();
    bus_ = std::make_unique<PosBus>(daemon_->pos_endpoint(), daemon_->events_endpoint());
    bus_->WaitForDaemon();
  }

  std::string work_, rules_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<PosBus> bus_;
};

TEST_F(JournalTest, EntriesCarryTheirFieldsAndTheUnusualOnesAStableMessageId) {
  OwnMariadb server(std::string(SO_BINARY_DIR) + "/test-work/journal-mariadb-" +
                    std::to_string(getpid()));
  server.Start();
  TestDatabase db("journal", server.info());
  PosWorld world(db);
  world.LoadDemoData();
  StartDaemon(db, "debug");
  const pid_t pid = daemon_->pid();

  world.CreateOrderWithSpecialLine(5001, 50011, 1, 1, 100, 2);
  const std::string ordered =
      bus_->Publish(SpecialOrderRequested{5001, 50011, 1, 1, 100, 2, bus_->clock()});
  WaitProcessed(db, ordered);
  const std::string refused =
      bus_->Publish(SpecialOrderRequested{7777, 77771, 1, 1, 100, 1, bus_->clock()});
  WaitProcessed(db, refused);
  bus_->SendFrames({"order.cancelled", "{not json"});
  bus_->Lose(3);
  const std::string after_gap = bus_->PublishOtherType("order.voided", R"({"order_id":1})");
  // Its gap's sweep is done before the next order exists, which it would otherwise apply.
  ASSERT_TRUE(
      Eventually([&] { return !With(JournalOf(pid), "MESSAGE_ID", ids::kUnknownType).empty(); },
                 std::chrono::seconds(10)));
  std::ofstream(rules_) << "version: 1\ndefaults:\n  on_request: sometimes\n";
  daemon_->SendSignal(SIGHUP);
  ASSERT_TRUE(
      Eventually([&] { return !With(JournalOf(pid), "MESSAGE_ID", ids::kReloadRefused).empty(); },
                 std::chrono::seconds(10)));
  // The database goes away between two messages and comes back.
  world.CreateOrderWithSpecialLine(5002, 50021, 1, 1, 100, 1);
  server.Stop();
  const std::string during =
      bus_->Publish(SpecialOrderRequested{5002, 50021, 1, 1, 100, 1, bus_->clock()});
  ASSERT_TRUE(
      Eventually([&] { return !With(JournalOf(pid), "MESSAGE_ID", ids::kDatabaseLost).empty(); },
                 std::chrono::seconds(30)));
  server.Start();
  ASSERT_TRUE(
      Eventually([&] { return !With(JournalOf(pid), "MESSAGE_ID", ids::kDatabaseBack).empty(); },
                 std::chrono::seconds(30)));
  db.Reconnect();
  WaitProcessed(db, during);
  // Until a summary has counted the message applied after the outage too: the one written
  // before the outage is there already.
  const auto summed_applied = [&] {
    uint64_t n = 0;
    for (const Entry& e : With(JournalOf(pid), "MESSAGE_ID", ids::kSummary)) {
      n += std::stoull(One(e, "SO_APPLIED"));
    }
    return n;
  };
  ASSERT_TRUE(Eventually([&] { return summed_applied() >= 2; }, std::chrono::seconds(5)));
  ASSERT_EQ(daemon_->Stop(), 0);
  const std::vector<Entry> journal = JournalOf(pid);

  // Nothing went to stderr: the journal took every entry.
  EXPECT_EQ(daemon_->Log(), "");
  EXPECT_THAT(journal, Each(::testing::Truly([](const Entry& e) {
                return One(e, "SYSLOG_IDENTIFIER") == "special-ordersd";
              })));
  ASSERT_EQ(With(journal, "MESSAGE_ID", ids::kStarted).size(), 1u);
  EXPECT_EQ(One(With(journal, "MESSAGE_ID", ids::kStarted)[0], "PRIORITY"), "6");
  ASSERT_EQ(With(journal, "MESSAGE_ID", ids::kStopped).size(), 1u);

  // A message applied: at debug, with what it is about and the rule that decided.
  const auto applied = With(journal, "SO_MESSAGE_ID", ordered);
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(One(applied[0], "PRIORITY"), "7");
  EXPECT_EQ(One(applied[0], "SO_TYPE"), "order.special_order_requested");
  EXPECT_EQ(One(applied[0], "SO_FATE"), "applied");
  EXPECT_EQ(One(applied[0], "SO_ORDER_ID"), "5001");
  EXPECT_EQ(
      One(applied[0], "SO_SPECIAL_ORDER_ID"),
      std::to_string(db.QueryInt("SELECT id FROM special_orders WHERE order_line_id = 50011")));
  EXPECT_EQ(
      One(applied[0], "SO_PO_ID"),
      std::to_string(db.QueryInt("SELECT po_id FROM special_orders WHERE order_line_id = 50011")));
  EXPECT_THAT(applied[0].at("SO_RULE"), Not(IsEmpty()));
  EXPECT_EQ(One(applied[0], "MESSAGE_ID"), "");

  const auto refusal = With(journal, "SO_MESSAGE_ID", refused);
  ASSERT_EQ(refusal.size(), 1u);
  EXPECT_EQ(One(refusal[0], "MESSAGE_ID"), ids::kRefused);
  EXPECT_EQ(One(refusal[0], "PRIORITY"), "6");
  EXPECT_EQ(One(refusal[0], "SO_FATE"), "refused");
  EXPECT_EQ(One(refusal[0], "SO_ORDER_ID"), "7777");

  const auto dead = With(journal, "MESSAGE_ID", ids::kDeadLetter);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(One(dead[0], "PRIORITY"), "4");
  EXPECT_EQ(One(dead[0], "SO_FATE"), "dead_lettered");

  const auto gap = With(journal, "MESSAGE_ID", ids::kGap);
  ASSERT_EQ(gap.size(), 1u) << "after " << after_gap;
  EXPECT_EQ(One(gap[0], "SO_LOST"), "3");
  EXPECT_EQ(One(gap[0], "PRIORITY"), "4");
  EXPECT_EQ(With(journal, "MESSAGE_ID", ids::kUnknownType).size(), 1u);

  const auto reload = With(journal, "MESSAGE_ID", ids::kReloadRefused);
  ASSERT_EQ(reload.size(), 1u);
  EXPECT_EQ(One(reload[0], "PRIORITY"), "3");
  EXPECT_THAT(One(reload[0], "MESSAGE"), ::testing::HasSubstr(rules_ + ":3:15:"));
  EXPECT_EQ(One(With(journal, "MESSAGE_ID", ids::kDatabaseLost).at(0), "PRIORITY"), "4");

  const auto summaries = With(journal, "MESSAGE_ID", ids::kSummary);
  uint64_t summed = 0;
  for (const Entry& e : summaries) summed += std::stoull(One(e, "SO_APPLIED"));
  std::string messages;
  for (const Entry& e : journal) messages += One(e, "MESSAGE") + "\n";
  EXPECT_EQ(summed, 2u) << messages;  // the two requests that were applied
}

// At info, a message that goes as expected has no entry of its own: it is in the summary. What
// is unusual still has one.
TEST_F(JournalTest, AtInfoTheUsualIsInTheSummaryAndTheUnusualStillHasItsEntry) {
  TestDatabase db("journal_info");
  PosWorld world(db);
  world.LoadDemoData();
  StartDaemon(db, "info");
  const pid_t pid = daemon_->pid();
  world.CreateOrderWithSpecialLine(5001, 50011, 1, 1, 100, 2);
  const std::string ordered =
      bus_->Publish(SpecialOrderRequested{5001, 50011, 1, 1, 100, 2, bus_->clock()});
  const std::string refused =
      bus_->Publish(SpecialOrderRequested{7777, 77771, 1, 1, 100, 1, bus_->clock()});
  WaitProcessed(db, refused);
  ASSERT_TRUE(Eventually([&] { return !With(JournalOf(pid), "MESSAGE_ID", ids::kSummary).empty(); },
                         std::chrono::seconds(5)));
  ASSERT_EQ(daemon_->Stop(), 0);
  const std::vector<Entry> journal = JournalOf(pid);
  EXPECT_THAT(With(journal, "SO_MESSAGE_ID", ordered), IsEmpty());
  EXPECT_EQ(With(journal, "SO_MESSAGE_ID", refused).size(), 1u);
  const auto summary = With(journal, "MESSAGE_ID", ids::kSummary);
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(One(summary[0], "SO_APPLIED"), "1");
  EXPECT_EQ(One(summary[0], "SO_REFUSED"), "1");
  EXPECT_THAT(
      One(summary[0], "MESSAGE"),
      ::testing::HasSubstr("last 1 s: 1 applied, 1 refused, 0 duplicates, 0 dead-lettered"));
}

}  // namespace
}  // namespace so::testing
