// The daemon's events at least once (issue 12), end to end: the real daemon (a SO_CRASH_POINTS
// build), a private MariaDB, real ZeroMQ. The fault scenario of fault_scenario.hpp is played
// without a fault for reference, then with the daemon killed (SIGKILL) just after the short
// shipment's COMMIT or just before its events are published, and restarted: every event of the
// reference run comes at least once, each seq with the reference's content, first copies in seq
// order, every copy of an id the same event. And a POS screen that was away sees the jump in the
// daemon's seq, which goes on across restarts, and reads what it missed from sod_outbox.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/fault_scenario.hpp"

namespace so::testing {
namespace {

using ::testing::HasSubstr;

// An event as the reference compares it: everything but the source and the id, which name the
// run (its source was made at its own start).
std::string Content(const json::DecodedEvent& e) {
  return json::EncodeEvent(e.event, "-", "-", e.envelope.seq, e.envelope.occurred_at);
}

// The daemon's events as one subscriber took them, across the daemon's restarts.
struct Received {
  std::vector<json::DecodedEvent> all;       // in the order they came, copies included
  std::map<uint64_t, std::string> by_seq;    // the first copy of each seq
  std::map<std::string, std::string> by_id;  // id -> content of its first copy

  void Add(std::vector<json::DecodedEvent> events) {
    for (auto& e : events) {
      const std::string content = Content(e);
      const auto [seq, first] = by_seq.try_emplace(e.envelope.seq, content);
      EXPECT_EQ(seq->second, content) << "two events with seq " << e.envelope.seq;
      const auto [id, new_id] = by_id.try_emplace(e.envelope.id, content);
      EXPECT_EQ(id->second, content) << "two events with id " << e.envelope.id;
      all.push_back(std::move(e));
    }
  }
};

int64_t LastSeq(ScenarioRun& run) { return run.Int("SELECT last_seq FROM sod_event_sources"); }

// Takes events from the run's bus until every seq up to the source's last one has come.
void TakeAll(ScenarioRun& run, Received& got) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    got.Add(run.bus->TakeEvents(std::chrono::milliseconds(100)));
    const int64_t last = LastSeq(run);
    if (got.by_seq.size() == static_cast<size_t>(last)) return;
    if (std::chrono::steady_clock::now() > deadline) {
      std::string seqs;
      for (const auto& [seq, content] : got.by_seq) seqs += " " + std::to_string(seq);
      ADD_FAILURE() << got.by_seq.size() << " of " << last << " events came:" << seqs << "; log:\n"
                    << run.daemon->Log();
      return;
    }
  }
}

struct CrashPoint {
  const char* label;
  int hits;  // SO_CRASH_AT=<label>:<hits> hits the short shipment (fault_test.cpp's kCrashPoints)
};

class OutboxCrashTest : public ::testing::TestWithParam<CrashPoint> {};

TEST_P(OutboxCrashTest, EveryEventOfTheReferenceRunComesAtLeastOnceWithItsId) {
  Received reference;
  {
    ScenarioRun run({.name = "reference"});
    run.Start();
    PlayAll(run);
    TakeAll(run, reference);
    EXPECT_EQ(run.daemon->Stop(), 0) << run.daemon->Log();
  }
  ASSERT_GT(reference.by_seq.size(), 20u);

  const CrashPoint& point = GetParam();
  const std::string crash_at = std::string(point.label) + ":" + std::to_string(point.hits);
  ScenarioRun run({.name = "crash", .env = {{"SO_CRASH_AT", crash_at}}});
  run.Start();
  Received got;
  const auto& steps = ScenarioSteps();
  std::vector<std::string> ids;
  int crashes = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(i + 1) + ": " + steps[i].name);
    ids.push_back(run.bus->Publish(steps[i].act(run)));
    while (!run.WaitRecorded(ids.back())) {
      ASSERT_EQ(++crashes, 1) << run.daemon->Log();
      EXPECT_EQ(run.daemon->last_exit_status(), 128 + SIGKILL);
      got.Add(run.bus->TakeEvents(std::chrono::milliseconds(200)));
      // The shipment is committed, its events are not sent: the arrival pop-up would be lost.
      ASSERT_TRUE(run.Recorded(ids[kShipmentStep])) << run.daemon->Log();
      const int64_t unsent = LastSeq(run) - static_cast<int64_t>(got.by_seq.size());
      EXPECT_GT(unsent, 0);
      // The same subscriber stays; the POS re-publishes everything after its restart.
      run.daemon->SetEnv("SO_CRASH_AT", std::nullopt);
      run.daemon->Start();
      run.bus->WaitForDaemon();
      // At least those: the sent mark may lag what went out just before the kill.
      EXPECT_THAT(run.daemon->Log(), HasSubstr(" committed and not sent by the last run go first"));
      for (const auto& id : run.bus->sent_ids()) run.bus->Republish(id);
    }
    got.Add(run.bus->TakeEvents(std::chrono::milliseconds(0)));
  }
  ASSERT_EQ(crashes, 1) << "the daemon never crashed:\n" << run.daemon->Log();
  TakeAll(run, got);
  EXPECT_EQ(run.daemon->Stop(), 0) << run.daemon->Log();

  // Every event of the reference, each seq with the reference's content.
  EXPECT_EQ(got.by_seq, reference.by_seq);
  // In order: each event's first copy came after the first copies of every seq before it.
  uint64_t highest = 0;
  for (const auto& e : got.all) {
    if (e.envelope.seq <= highest) continue;  // a copy sent again
    EXPECT_EQ(e.envelope.seq, highest + 1) << "an event came before one that precedes it";
    highest = e.envelope.seq;
  }
  // The arrival of the short shipment, which the crash hit, is among them.
  bool arrived = false;
  for (const auto& e : got.all) arrived = arrived || e.envelope.type == "special_order.arrived";
  EXPECT_TRUE(arrived);
  // One source for the whole run, across the restart.
  for (const auto& e : got.all) EXPECT_EQ(e.envelope.source, got.all.front().envelope.source);
}

INSTANTIATE_TEST_SUITE_P(Checkpoints, OutboxCrashTest,
                         ::testing::Values(CrashPoint{"after_commit", 7},
                                           CrashPoint{"before_publish", 7}),
                         [](const ::testing::TestParamInfo<CrashPoint>& param_info) {
                           return std::string(param_info.param.label);
                         });

TEST(OutboxFlowTest, AScreenThatWasAwaySeesTheSeqJumpAndReadsWhatItMissedFromTheOutbox) {
  ScenarioRun run({.name = "away"});
  run.Start();
  Received seen;
  auto screen = std::make_unique<EventScreen>(run.daemon->events_endpoint());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // connected and subscribed
  Play(run, 0, 3);
  TakeAll(run, seen);
  const uint64_t before = seen.by_seq.rbegin()->first;
  const std::string source = seen.all.front().envelope.source;
  (void)screen->TakeEvents(std::chrono::milliseconds(0));

  // The screen goes away; the daemon goes on (and restarts: its seq goes on too).
  screen.reset();
  Play(run, 3, 5);
  EXPECT_EQ(run.daemon->Stop(), 0) << run.daemon->Log();
  run.daemon->Start();
  run.bus->WaitForDaemon();
  Play(run, 5, 6);
  const int64_t missed_to = LastSeq(run);
  ASSERT_GT(missed_to, static_cast<int64_t>(before));
  // The bus's own subscriber, there all along, saw them all: nothing was lost for it (and they
  // are out, the hold after the start over).
  Received all = seen;
  TakeAll(run, all);

  // Back: the next event it sees jumps past what it missed.
  screen = std::make_unique<EventScreen>(run.daemon->events_endpoint());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Play(run, 6, 7);
  std::vector<json::DecodedEvent> back;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (back.empty() && std::chrono::steady_clock::now() < deadline) {
    back = screen->TakeEvents(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(back.empty());
  EXPECT_EQ(back.front().envelope.source, source) << "the same source after the restart";
  EXPECT_EQ(back.front().envelope.seq, static_cast<uint64_t>(missed_to) + 1)
      << "the jump: " << before << " then " << back.front().envelope.seq;

  // What it missed is in the outbox, in seq order, as the bus carried it.
  const auto rows =
      run.db.Query("SELECT seq, type, body FROM sod_outbox WHERE source = " + QuoteString(source) +
                   " AND seq BETWEEN " + std::to_string(before + 1) + " AND " +
                   std::to_string(missed_to) + " ORDER BY seq");
  ASSERT_EQ(rows.size(), static_cast<size_t>(missed_to) - before);
  uint64_t expect = before + 1;
  for (const auto& row : rows) {
    EXPECT_EQ(std::stoull(*row[0]), expect++);
    const auto decoded = json::DecodeEvent(*row[1], *row[2]);
    ASSERT_TRUE(std::holds_alternative<json::DecodedEvent>(decoded)) << *row[2];
    EXPECT_EQ(std::get<json::DecodedEvent>(decoded).envelope.source, source);
  }
}

}  // namespace
}  // namespace so::testing
