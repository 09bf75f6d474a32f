// Fault injection, end to end: the real daemon (a SO_CRASH_POINTS build), real ZeroMQ and MariaDB.
// Each test plays the scenario of fault_scenario.hpp with a fault (a crash at each checkpoint of
// the processor, a database restart, a bus outage, everything delivered twice, two daemons, a
// burst, dead letters) and ends with the database equal to that of a run without the fault and
// every invariant of CONTRACT section 5 holding after each message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <ostream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/fault_scenario.hpp"
#include "tests/support/own_mariadb.hpp"

namespace so::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::string Q(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// The fates the daemon logged for message `id`, in order: its report lines read
// "<time> <level> <fate> <topic> id=<id>[: <detail>][ [<event>]...]".
std::vector<std::string> FatesOf(const std::string& log, const std::string& id) {
  std::vector<std::string> fates;
  std::istringstream in(log);
  const std::string tag = " id=" + id;
  for (std::string line; std::getline(in, line);) {
    const size_t at = line.find(tag);
    if (at == std::string::npos) continue;
    const size_t end = at + tag.size();
    if (end != line.size() && line[end] != ':' && line[end] != ' ') continue;
    std::istringstream words(line);
    std::string time, level, fate;
    words >> time >> level >> fate;
    fates.push_back(fate);
  }
  return fates;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Polls `done` every 20 ms until it holds; false after `timeout`.
template <typename F>
bool Eventually(F done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// --- The canonical dump itself ---

// The rows a daemon would write for one special order (a PO, its line, a transfer, its line,
// the audit, the arrival ledger, a pickup), ids taken from AUTO_INCREMENT.
void WriteSpecialOrderRows(TestDatabase& db) {
  db.Exec(
      "INSERT INTO customer_orders (id, store_id, customer_id, status, has_special_order, "
      "created_at, updated_at) VALUES (5001, 1, 1, 'open', 1, '2026-12-01 08:00:00', "
      "'2026-12-01 09:00:01');\n"
      "INSERT INTO customer_order_lines (id, order_id, product_id, quantity, special_order_qty, "
      "status, committed_qty, backordered_qty) VALUES (50011, 5001, 100, 2, 2, 'backordered', 0, "
      "2);\n"
      "INSERT INTO purchase_orders (store_id, vendor_id, status, created_by, created_at, "
      "updated_at) VALUES (1, 10, 'draft', 'special-ordersd', '2026-12-01 09:00:01', "
      "'2026-12-01 09:00:01');\n"
      "INSERT INTO purchase_order_lines (po_id, product_id, quantity_ordered, quantity_received, "
      "unit_cost) SELECT MAX(id), 100, 2, 0, 42.5 FROM purchase_orders;\n"
      "INSERT INTO store_transfers (from_store_id, to_store_id, status, created_by, created_at) "
      "VALUES (2, 1, 'requested', 'special-ordersd', '2026-12-01 09:00:01');\n"
      "INSERT INTO special_orders (store_id, order_id, order_line_id, customer_id, product_id, "
      "quantity, status, source, vendor_id, po_id, po_line_id, requested_at, ordered_at, "
      "updated_at) SELECT 1, 5001, 50011, 1, 100, 2, 'ordered', 'vendor', 10, "
      "(SELECT MAX(id) FROM purchase_orders), (SELECT MAX(id) FROM purchase_order_lines), "
      "'2026-12-01 09:00:00', '2026-12-01 09:00:01', '2026-12-01 09:00:01';\n"
      "INSERT INTO store_transfer_lines (transfer_id, product_id, quantity, special_order_id) "
      "SELECT (SELECT MAX(id) FROM store_transfers), 100, 2, (SELECT MAX(id) FROM "
      "special_orders);\n"
      "INSERT INTO sod_audit (message_id, special_order_id, rule, decision, detail, at) SELECT "
      "'pos-sim-1', MAX(id), 'defaults', 'created_po', CONCAT('created draft PO ', "
      "(SELECT MAX(id) FROM purchase_orders), ', new line ', (SELECT MAX(id) FROM "
      "purchase_order_lines), ' for 2'), '2026-12-01 09:00:01' FROM special_orders;\n"
      "INSERT INTO sod_arrival_lines (kind, arrival_id, product_id, store_id, quantity, "
      "allocated_qty) SELECT 'transfer', MAX(id), 100, 1, 2, 0 FROM store_transfers;\n"
      "INSERT INTO sod_pickups (special_order_id, picked_qty) SELECT MAX(id), 0 FROM "
      "special_orders;\n"
      "INSERT INTO stock (store_id, product_id, on_hand, committed, backordered) VALUES "
      "(1, 100, 0, 0, 2)");
}

TEST(CanonicalDumpTest, RenumbersBurnedIdsAndStillSeesARealDifference) {
  TestDatabase a("canon_a"), b("canon_b");
  PosWorld(a).LoadDemoData();
  PosWorld(b).LoadDemoData();
  WriteSpecialOrderRows(a);
  // In b a daemon was killed before its COMMIT once: the rolled-back transaction burned one id
  // of every table, so the same rows get other ids.
  b.Exec("START TRANSACTION");
  WriteSpecialOrderRows(b);
  b.Exec("ROLLBACK");
  WriteSpecialOrderRows(b);
  ASSERT_NE(a.Dump(), b.Dump()) << "the ids were not burned; the test proves nothing";
  EXPECT_EQ(b.QueryInt("SELECT id FROM special_orders"), 2);
  EXPECT_EQ(CanonicalDump(a), CanonicalDump(b));
  EXPECT_THAT(CanonicalDump(a), HasSubstr("created draft PO #, new line # for #"));

  // A real difference is still one: a counter off by one, a quantity, a reference that points
  // elsewhere, a word of the audit, a time.
  const std::string canonical = CanonicalDump(a);
  for (const auto& [change, undo] : std::vector<std::pair<std::string, std::string>>{
           {"UPDATE stock SET backordered = backordered + 1",
            "UPDATE stock SET backordered = backordered - 1"},
           {"UPDATE purchase_order_lines SET quantity_ordered = 3",
            "UPDATE purchase_order_lines SET quantity_ordered = 2"},
           {"UPDATE special_orders SET po_line_id = NULL",
            "UPDATE special_orders SET po_line_id = (SELECT MAX(id) FROM purchase_order_lines)"},
           {"UPDATE sod_audit SET detail = REPLACE(detail, 'draft', 'open')",
            "UPDATE sod_audit SET detail = REPLACE(detail, 'open', 'draft')"},
           {"UPDATE special_orders SET updated_at = '2026-12-01 09:00:02'",
            "UPDATE special_orders SET updated_at = '2026-12-01 09:00:01'"},
       }) {
    SCOPED_TRACE(change);
    b.Exec(change);
    EXPECT_NE(CanonicalDump(b), canonical);
    b.Exec(undo);
    EXPECT_EQ(CanonicalDump(b), canonical);
  }

  // The business dump leaves times out (a sweep stamps repairs with its own clock); the dead
  // letters are never compared.
  b.Exec("UPDATE special_orders SET updated_at = '2026-12-01 10:00:00'");
  EXPECT_EQ(BusinessDump(b), BusinessDump(a));
  EXPECT_NE(CanonicalDump(b), canonical);
  b.Exec(
      "INSERT INTO sod_dead_letters (message_id, topic, raw, reason, rules_version, "
      "first_seen_at, last_seen_at) VALUES ('x', 'order.x', '{}', 'unknown type', 'v', NOW(6), "
      "NOW(6))");
  b.Exec("UPDATE special_orders SET updated_at = '2026-12-01 09:00:01'");
  EXPECT_EQ(CanonicalDump(b), canonical);
  b.Exec("UPDATE stock SET committed = 1");
  EXPECT_NE(BusinessDump(b), BusinessDump(a));
}

// --- A crash at each checkpoint, recovered by re-delivery ---

struct CrashPoint {
  const char* label;
  int hits;        // SO_CRASH_AT=<label>:<hits> hits the short shipment
  bool committed;  // whether the shipment's transaction is committed when the daemon dies
};

// As ctest lists the test: "after_receive:7".
void PrintTo(const CrashPoint& point, std::ostream* os) { *os << point.label << ":" << point.hits; }

// Messages 1-6 each pass every checkpoint once (nothing is retried or a duplicate before the
// crash), so the shipment, message 7, is the 7th pass. before_publish is passed only by messages
// with events: all of them here, the PO sent too (its special orders are promised again).
constexpr CrashPoint kCrashPoints[] = {
    {"after_receive", 7, false}, {"after_begin", 7, false}, {"after_writes", 7, false},
    {"before_commit", 7, false}, {"after_commit", 7, true}, {"before_publish", 7, true},
};

class CrashTest : public ::testing::TestWithParam<CrashPoint> {
 protected:
  // The POS after the daemon's restart: connects again and re-publishes every message it sent,
  // as the POS does after its own restart.
  static void Recover(ScenarioRun& run) {
    run.daemon->SetEnv("SO_CRASH_AT", std::nullopt);
    run.daemon->Start();
    run.bus->WaitForDaemon();
    for (const auto& id : run.bus->sent_ids()) run.bus->Republish(id);
    for (const auto& id : run.bus->sent_ids()) {
      ASSERT_TRUE(run.WaitRecorded(id)) << "died again; log:\n" << run.daemon->Log();
    }
  }
};

TEST_P(CrashTest, RecoversByRedeliveryToTheReferenceState) {
  const CrashPoint& point = GetParam();
  const Reference reference = RunReference();

  const std::string crash_at = std::string(point.label) + ":" + std::to_string(point.hits);
  ScenarioRun run({.name = "crash", .env = {{"SO_CRASH_AT", crash_at}}});
  run.Start();
  const auto& steps = ScenarioSteps();
  std::vector<std::string> ids;
  int crashes = 0;
  std::string crash_log;
  bool shipment_committed_at_crash = false;
  for (size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(i + 1) + ": " + steps[i].name);
    ids.push_back(run.bus->Publish(steps[i].act(run)));
    while (!run.WaitRecorded(ids.back())) {
      ++crashes;
      ASSERT_EQ(crashes, 1) << run.daemon->Log();
      EXPECT_EQ(run.daemon->last_exit_status(), 128 + SIGKILL);
      crash_log = run.daemon->Log();
      ASSERT_GT(ids.size(), kShipmentStep) << "crashed before the shipment:\n" << crash_log;
      shipment_committed_at_crash = run.Recorded(ids[kShipmentStep]);
      Recover(run);
      if (HasFatalFailure()) return;
    }
    EXPECT_THAT(CheckInvariants(run.db), IsEmpty());
  }
  ASSERT_EQ(crashes, 1) << "the daemon never crashed:\n" << run.daemon->Log();
  EXPECT_EQ(run.daemon->Stop(), 0) << run.daemon->Log();

  // The crash hit the shipment: the message before it was reported, the shipment was not, and
  // its transaction was committed exactly when the checkpoint is after the COMMIT.
  EXPECT_THAT(crash_log, HasSubstr("test build: will crash at " + std::string(point.label) + " #" +
                                   std::to_string(point.hits)));
  EXPECT_THAT(FatesOf(crash_log, ids[kShipmentStep - 1]), ::testing::ElementsAre("applied"));
  EXPECT_THAT(FatesOf(crash_log, ids[kShipmentStep]), IsEmpty());
  EXPECT_EQ(shipment_committed_at_crash, point.committed);
  // After the restart the re-delivered shipment was applied, or found applied.
  EXPECT_THAT(FatesOf(run.daemon->Log().substr(crash_log.size()), ids[kShipmentStep]),
              ::testing::ElementsAre(point.committed ? "duplicate" : "applied"));

  EXPECT_EQ(CanonicalDump(run.db), reference.canonical);
}

INSTANTIATE_TEST_SUITE_P(Checkpoints, CrashTest, ::testing::ValuesIn(kCrashPoints),
                         [](const ::testing::TestParamInfo<CrashPoint>& param_info) {
                           return std::string(param_info.param.label);
                         });

// --- The database restarts under the daemon ---

TEST(FaultTest, DatabaseRestartMidStreamIsHeldAndResumed) {
  const Reference reference = RunReference();
  OwnMariadb server(std::string(SO_BINARY_DIR) + "/test-work/fault-mariadb-" +
                    std::to_string(getpid()));
  server.Start();
  ScenarioRun run({.name = "restart", .server = server.info()});
  run.Start();
  Play(run, 0, kShipmentStep + 1);
  ASSERT_FALSE(HasFailure());

  // The POS commits the next three steps (their writes touch nothing the messages before them
  // read); then, between two transactions of the daemon, the database goes away, and their
  // messages come while it is down.
  const auto& steps = ScenarioSteps();
  std::vector<Payload> pending;
  for (size_t i = kShipmentStep + 1; i < kShipmentStep + 4; ++i) {
    pending.push_back(steps[i].act(run));
  }
  server.Stop();
  std::vector<std::string> ids;
  for (const auto& p : pending) ids.push_back(run.bus->Publish(p));
  run.daemon->WaitForLog("database unavailable, holding the message", std::chrono::seconds(60));
  EXPECT_THAT(FatesOf(run.daemon->Log(), ids[0]), ::testing::Contains("unavailable"));
  std::this_thread::sleep_for(std::chrono::seconds(1));  // a retry or two while it is down
  EXPECT_TRUE(run.daemon->running());

  server.Start();
  run.db.Reconnect();
  run.daemon->WaitForLog("database back: resuming", std::chrono::seconds(60));
  ASSERT_TRUE(Eventually(
      [&] {
        return std::all_of(ids.begin(), ids.end(),
                           [&](const auto& id) { return run.Recorded(id); });
      },
      std::chrono::seconds(20)))
      << "the daemon resumed but did not apply the messages that came during the outage:\n"
      << run.daemon->Log();
  // Each once: the held one after the database came back, the others after it. (The report line
  // follows the commit.)
  for (const auto& id : ids) {
    EXPECT_TRUE(Eventually([&] { return !FatesOf(run.daemon->Log(), id).empty(); },
                           std::chrono::seconds(10)));
    const auto fates = FatesOf(run.daemon->Log(), id);
    EXPECT_EQ(std::count(fates.begin(), fates.end(), "applied"), 1) << id;
  }
  EXPECT_THAT(CheckInvariants(run.db), IsEmpty());
  Play(run, kShipmentStep + 4, steps.size());
  EXPECT_EQ(run.daemon->Stop(), 0) << run.daemon->Log();

  EXPECT_EQ(CanonicalDump(run.db), reference.canonical);
}

// --- The bus goes away; the POS goes on; the gap is caught up from the database ---

// While the POS's PUB socket is gone, the POS commits the steps [first_lost, end_lost) and
// publishes them into the void. Its next message, on a new socket with the same source, jumps in
// seq: the daemon must log the gap, sweep, and end as the reference did. The sweep stamps its
// repairs with its own clock and its own message ids (sweep:<kind>:<key>) in the inbox and the
// audit trail, so what is compared with the reference is the business tables without times
// (BusinessDump).
void PlayWithBusOutage(const std::vector<ScenarioStep>& steps, size_t first_lost, size_t end_lost) {
  const Reference reference = RunReference(steps);
  ScenarioRun run({.name = "outage"});
  run.Start();
  Play(run, 0, first_lost, steps);
  ASSERT_FALSE(::testing::Test::HasFailure());

  const std::string pos_endpoint = run.daemon->pos_endpoint();
  const std::string events_endpoint = run.daemon->events_endpoint();
  PosBus::Position at = run.bus->position();
  run.bus.reset();
  // The same POS instance publishing where nobody listens: bound next to its usual socket.
  const std::string void_path = pos_endpoint.substr(std::string("ipc://").size()) + ".void";
  {
    PosBus void_bus("ipc://" + void_path, events_endpoint, "pos-sim", at);
    for (size_t i = first_lost; i < end_lost; ++i) void_bus.Publish(steps[i].act(run));
    at = void_bus.position();
  }
  std::filesystem::remove(void_path);
  run.bus = std::make_unique<PosBus>(pos_endpoint, events_endpoint, "pos-sim", at);
  run.bus->WaitForDaemon();

  // The first message after the outage reveals the gap. Until the sweep is done the daemon has
  // not applied what the POS committed meanwhile, so the invariants are checked after it.
  const std::string next = run.bus->Publish(steps[end_lost].act(run));
  ASSERT_TRUE(run.WaitRecorded(next)) << run.daemon->Log();
  run.daemon->WaitForLog("gap from pos-sim: seq " + std::to_string(first_lost) + " then " +
                         std::to_string(end_lost + 1) + " (" +
                         std::to_string(end_lost - first_lost) + " messages lost)");
  run.daemon->WaitForLog("sweep (gap): ");
  EXPECT_THAT(CheckInvariants(run.db), IsEmpty());
  Play(run, end_lost + 1, steps.size(), steps);
  EXPECT_EQ(run.daemon->Stop(), 0) << run.daemon->Log();

  EXPECT_EQ(BusinessDump(run.db), reference.business) << run.daemon->Log();
}

// Lost: the transfer received and Alan's quantity change; the cancellation of the desk reveals
// the gap, and Ada's pickup follows.
TEST(FaultTest, BusOutageIsCaughtUpBySweepAfterTheGap) {
  PlayWithBusOutage(ScenarioSteps(), kShipmentStep + 1, kShipmentStep + 3);
}

// Lost: the transfer received; the message that reveals the gap is a change of the special order
// the transfer was for (Ada wants one more chair). Applied in the POS's order, the transfer's two
// chairs are Ada's and one more is ordered; the change must not be applied as if they had not
// come.
TEST(FaultTest, BusOutageBeforeAChangeOfTheSameSpecialOrderIsCaughtUpInOrder) {
  std::vector<ScenarioStep> steps(ScenarioSteps().begin(),
                                  ScenarioSteps().begin() + kShipmentStep + 2);
  steps.push_back({"quantity change: Ada wants 3 chairs", [](ScenarioRun& r) -> Payload {
                     r.world.ChangeSpecialOrderQty(kAdaChairs, 3);
                     return OrderLineChanged{5001, kAdaChairs, 3};
                   }});
  PlayWithBusOutage(steps, kShipmentStep + 1, kShipmentStep + 2);
}

// --- Everything delivered twice, in a shuffled order ---

TEST(FaultTest, EverythingDeliveredAgainInShuffledOrderChangesNothing) {
  const Reference reference = RunReference();
  ScenarioRun run({.name = "twice"});
  run.Start();
  PlayAll(run);
  const std::string before = run.db.Dump();

  unsigned seed = std::random_device{}();
  if (const char* s = std::getenv("SO_FAULT_SEED")) seed = static_cast<unsigned>(std::stoul(s));
  std::cout << "shuffle seed " << seed << " (SO_FAULT_SEED=" << seed << " repeats it)\n";
  ::testing::Test::RecordProperty("shuffle_seed", std::to_string(seed));
  std::vector<std::string> ids = run.bus->sent_ids();
  std::shuffle(ids.begin(), ids.end(), std::mt19937(seed));
  for (const auto& id : ids) run.bus->Republish(id);
  ASSERT_TRUE(Eventually([&] { return Count(run.daemon->Log(), " duplicate ") == ids.size(); },
                         std::chrono::seconds(30)))
      << "seed " << seed << "\n"
      << run.daemon->Log();

  EXPECT_EQ(run.db.Dump(), before) << "seed " << seed;
  EXPECT_EQ(run.daemon->Stop(), 0) << run.daemon->Log();
  EXPECT_EQ(CanonicalDump(run.db), reference.canonical) << "seed " << seed;
}

// --- Two daemons on one stream and one database ---

TEST(FaultTest, TwoDaemonsOnOneStreamApplyEachMessageOnce) {
  const Reference reference = RunReference();
  ScenarioRun run({.name = "two"});
  run.Start();
  run.StartSecond();
  const std::vector<std::string> ids = PlayAll(run);
  ASSERT_EQ(ids.size(), ScenarioSteps().size());

  // Both daemons saw every message; one applied it, the other found it in the inbox.
  for (const auto& id : ids) {
    SCOPED_TRACE(id);
    ASSERT_TRUE(Eventually(
        [&] {
          return !FatesOf(run.daemon->Log(), id).empty() && !FatesOf(run.second->Log(), id).empty();
        },
        std::chrono::seconds(20)));
    std::vector<std::string> fates = FatesOf(run.daemon->Log(), id);
    for (const auto& f : FatesOf(run.second->Log(), id)) fates.push_back(f);
    std::sort(fates.begin(), fates.end());
    EXPECT_THAT(fates, ::testing::ElementsAre("applied", "duplicate"));
  }
  EXPECT_EQ(run.Int("SELECT COUNT(*) FROM sod_inbox"), static_cast<int64_t>(ids.size()));
  EXPECT_EQ(run.Int("SELECT COUNT(DISTINCT message_id) FROM sod_inbox"),
            static_cast<int64_t>(ids.size()));
  EXPECT_EQ(run.second->Stop(), 0) << run.second->Log();
  EXPECT_EQ(run.daemon->Stop(), 0) << run.daemon->Log();

  EXPECT_EQ(CanonicalDump(run.db), reference.canonical);
}

// --- A burst ---

// 10,000 messages back to back (the POS re-announcing that Acme's PO is open: a PO lock, an
// audit row and the inbox row each) are all drained, none lost, within a generous bound. Not a
// speed test: the bound only catches a stall.
TEST(FaultTest, BurstOfTenThousandMessagesIsDrainedWithNoneLost) {
  constexpr int kBurst = 10'000;
  const Reference reference = RunReference();
  ScenarioRun run({.name = "burst"});
  run.Start();
  PlayAll(run);
  const Id po = run.PoOf(kGraceChairs);

  const auto start = std::chrono::steady_clock::now();
  std::set<std::string> sent;
  for (int n = 1; n <= kBurst; ++n) {
    sent.insert(
        run.bus->Publish(PoStatusChanged{po, "open", "open"}, "burst-" + std::to_string(n)));
  }
  const std::string count = "SELECT COUNT(*) FROM sod_inbox WHERE message_id LIKE 'burst-%'";
  ASSERT_TRUE(Eventually([&] { return run.Int(count) == kBurst; }, std::chrono::seconds(150)))
      << run.Int(count) << " of " << kBurst << " in the inbox";
  std::cout << kBurst << " messages drained in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count()
            << " ms\n";
  std::set<std::string> inbox;
  for (const auto& row :
       run.db.Query("SELECT message_id FROM sod_inbox WHERE message_id LIKE 'burst-%'")) {
    inbox.insert(*row[0]);
  }
  EXPECT_EQ(inbox, sent);
  EXPECT_EQ(run.Int("SELECT COUNT(*) FROM sod_dead_letters"), 0);
  EXPECT_THAT(run.daemon->Log(), Not(HasSubstr("gap from")));
  EXPECT_THAT(CheckInvariants(run.db), IsEmpty());
  EXPECT_EQ(run.daemon->Stop(), 0);

  // Without the burst's own rows, the database is the reference's.
  run.db.Exec("DELETE FROM sod_inbox WHERE message_id LIKE 'burst-%'");
  run.db.Exec("DELETE FROM sod_audit WHERE message_id LIKE 'burst-%'");
  EXPECT_EQ(CanonicalDump(run.db), reference.canonical);
}

// --- Dead letters and their replay ---

// The daemon's MySQL account as a careful DBA would grant it, table by table, except that INSERT
// on store_transfers was forgotten: a request sourced by a store transfer fails with a
// permanent error and is parked. Dropped on destruction.
class ForgetfulGrants {
 public:
  ForgetfulGrants(TestDatabase& db, std::string user, const std::string& password)
      : db_(db), user_(std::move(user)) {
    db_.Exec("DROP USER IF EXISTS " + Account());
    db_.Exec("CREATE USER " + Account() + " IDENTIFIED BY " + Q(password));
    db_.Exec("GRANT SELECT, UPDATE, DELETE, CREATE ON `" + db_.name() + "`.* TO " + Account());
    for (const auto& row : db_.Query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
                                     "TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME")) {
      if (*row[0] != "store_transfers") GrantInsert(*row[0]);
    }
  }
  ~ForgetfulGrants() {
    try {
      db_.Exec("DROP USER IF EXISTS " + Account());
    } catch (const std::exception& e) {
      std::cerr << "could not drop user " << user_ << ": " << e.what() << "\n";
    }
  }
  ForgetfulGrants(const ForgetfulGrants&) = delete;
  ForgetfulGrants& operator=(const ForgetfulGrants&) = delete;

  void GrantInsert(const std::string& table) {
    db_.Exec("GRANT INSERT ON `" + db_.name() + "`.`" + table + "` TO " + Account());
  }

 private:
  std::string Account() const { return Q(user_) + "@'localhost'"; }

  TestDatabase& db_;
  std::string user_;
};

TEST(FaultTest, DeadLetterReplayAppliesWhatTheOperatorFixedAndKeepsTheRest) {
  const Reference reference = RunReference();
  const std::string user = "sod_dl_" + std::to_string(getpid());
  const std::string password = "dl-" + std::to_string(getpid());
  ScenarioRun run({.name = "deadletter", .account = std::pair{user, password}});
  ForgetfulGrants grants(run.db, user, password);
  run.Start();

  // Ada's chairs would come from store S02: the transfer cannot be written.
  const auto& steps = ScenarioSteps();
  const std::string first = run.bus->Publish(steps[0].act(run));
  ASSERT_TRUE(run.WaitRecorded(first)) << run.daemon->Log();
  EXPECT_TRUE(Eventually([&] { return !FatesOf(run.daemon->Log(), first).empty(); },
                         std::chrono::seconds(10)));
  EXPECT_THAT(FatesOf(run.daemon->Log(), first), ::testing::ElementsAre("dead_lettered"));
  const std::string letter = "FROM sod_dead_letters WHERE message_id = " + Q(first);
  EXPECT_THAT(run.db.Query("SELECT reason " + letter).at(0).at(0).value_or(""),
              ::testing::AllOf(HasSubstr("INSERT command denied"), HasSubstr("store_transfers")));
  EXPECT_EQ(run.Int("SELECT COUNT(*) FROM sod_inbox"), 0);
  EXPECT_EQ(run.Int("SELECT COUNT(*) FROM special_orders"), 0);  // nothing of it was kept
  EXPECT_THAT(CheckInvariants(run.db), IsEmpty());

  // Two that no operator can fix: not JSON, and an envelope without a valid seq (of a type the
  // contract does not have: one with a valid envelope would be ignored, not dead-lettered).
  run.bus->SendFrames({"order.special_order_requested", "{not json"});
  run.bus->SendFrames({"order.exploded", R"({"v":1,"id":"bad-type-1","type":"order.exploded",)"
                                         R"("source":"pos-sim","seq":0,"occurred_at":)"
                                         R"("2026-12-01T09:00:00Z","payload":{}})"});
  ASSERT_TRUE(Eventually([&] { return run.Int("SELECT COUNT(*) FROM sod_dead_letters") == 3; },
                         std::chrono::seconds(20)))
      << run.daemon->Log();

  // Letters of the sweep's repairs and of the clock's messages (written by hand here) have no
  // bytes to replay: their scans find them again, so the replay forgets them.
  run.db.Exec(
      "INSERT INTO sod_dead_letters (message_id, topic, raw, reason, rules_version, "
      "first_seen_at, last_seen_at) VALUES "
      "('sweep:request:999999', 'order.special_order_requested', '', 'r', 'v', UTC_TIMESTAMP(), "
      "UTC_TIMESTAMP()), "
      "('clock:overdue:999999:1', 'clock.due', '', 'r', 'v', UTC_TIMESTAMP(), UTC_TIMESTAMP())");

  // The operator grants what was missing and replays the dead letters.
  grants.GrantInsert("store_transfers");
  run.daemon->SendSignal(SIGUSR1);
  run.daemon->WaitForLog(
      "dead-letter replay: 1 applied, 2 still failing, 1 sweep: and 1 clock: forgotten (found "
      "again by their scans)");
  EXPECT_EQ(run.Int("SELECT COUNT(*) FROM sod_dead_letters WHERE message_id LIKE 'sweep:%' OR "
                    "message_id LIKE 'clock:%'"),
            0);
  EXPECT_EQ(run.Int("SELECT COUNT(*) " + letter), 0);
  EXPECT_EQ(run.Int("SELECT COUNT(*) FROM sod_inbox WHERE outcome = 'applied' AND message_id = " +
                    Q(first)),
            1);
  EXPECT_EQ(run.Int("SELECT COUNT(*) FROM sod_dead_letters WHERE attempts = 2"), 2);
  EXPECT_EQ(run.Int("SELECT COUNT(*) FROM sod_dead_letters WHERE message_id = 'bad-type-1'"), 1);
  EXPECT_THAT(CheckInvariants(run.db), IsEmpty());

  Play(run, 1, steps.size());
  EXPECT_EQ(run.daemon->Stop(), 0) << run.daemon->Log();
  // The special order whose first try was rolled back burned an id: the canonical dump
  // renumbers it.
  EXPECT_EQ(CanonicalDump(run.db), reference.canonical);
}

}  // namespace
}  // namespace so::testing
