// The scenario the fault tests play (tests/integration/fault_test.cpp): a fixed list of steps,
// each the POS's own writes (committed first, as the POS does) and the message that announces
// them, covering requests, a Back Office order, a PO sent to the vendor, a short shipment, a
// transfer received, a quantity change, a cancellation and a pickup. A ScenarioRun is one run of
// it: its own database, daemon process and POS bus. A fault test plays it with a fault and
// compares the end state with a reference run's. Single-threaded.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/pos_sim/canonical_dump.hpp"
#include "tests/pos_sim/daemon_process.hpp"
#include "tests/pos_sim/pos_sim.hpp"

namespace so::testing {

// Products at store S01 (downtown) wait for the Back Office when they are desks; chairs are asked
// of store S02 (harbour) first, which sends them when it keeps at least one.
inline constexpr const char* kScenarioRules =
    "version: 1\n"
    "rules:\n"
    "  - name: desks-wait-for-back-office\n"
    "    match: { products: [101] }\n"
    "    on_request: wait\n"
    "  - name: downtown-asks-harbour-first\n"
    "    match: { stores: [1] }\n"
    "    transfer_from_stores: [2]\n"
    "    transfer_min_left: 1\n";

// The order lines of the scenario's requests.
inline constexpr Id kAdaChairs = 50011, kGraceChairs = 50021, kAlanChairs = 50031, kAdaDesk = 50041;

class ScenarioRun {
 public:
  struct Options {
    // Names the database and the work directory (under build/test-work/fault/<test>/).
    std::string name;
    // The server; default: the one ctest started.
    std::optional<ServerInfo> server = std::nullopt;
    // The daemon's MySQL account; default: the test account.
    std::optional<std::pair<std::string, std::string>> account = std::nullopt;
    // Extra environment of the daemon (SO_CRASH_AT).
    std::map<std::string, std::string> env = {};
    // No sweep at start-up and none on a timer: what a lost message changed is caught up only
    // when the daemon sees a gap; recovery after a crash is by re-delivery.
    ReconcileSetup reconcile{false, 0};
  };

  explicit ScenarioRun(Options run_options)
      : options(std::move(run_options)),
        db(options.name, options.server ? *options.server : PrivateServer()),
        world(db) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string test = std::string(info->test_suite_name()) + "." + info->name();
    for (char& c : test) {
      if (c == '/') c = '_';
    }
    work_dir = std::string(SO_BINARY_DIR) + "/test-work/fault/" + test + "/" + options.name;
    std::filesystem::remove_all(work_dir);
    std::filesystem::create_directories(work_dir);
    rules_file = work_dir + "/rules.yaml";
    std::ofstream(rules_file) << kScenarioRules;
    // The catalogue, and three oak chairs on the shelf at store S02.
    world.LoadDemoData();
    world.SetOnHand(2, 100, 3);
  }

  ~ScenarioRun() {
    // The bus first (it holds no database state), then the daemons, before the database is
    // dropped.
    bus.reset();
    for (auto* d : {second.get(), daemon.get()}) {
      if (d != nullptr && d->running()) d->Kill();
    }
  }

  DaemonSetup Setup(const std::string& dir, const std::string& source) const {
    DaemonSetup s{db.options(), rules_file, dir, source};
    if (options.account) {
      s.database.user = options.account->first;
      s.database.password = options.account->second;
    }
    s.reconcile = options.reconcile;
    s.env = options.env;
    return s;
  }

  // Starts the daemon and connects the POS to it.
  void Start() {
    daemon = std::make_unique<DaemonProcess>(Setup(work_dir + "/daemon", "special-ordersd-test"));
    daemon->Start();
    bus = std::make_unique<PosBus>(daemon->pos_endpoint(), daemon->events_endpoint());
    bus->WaitForDaemon();
  }

  // A second daemon on the same database, subscribed to the same POS.
  void StartSecond() {
    DaemonSetup s = Setup(work_dir + "/second", "special-ordersd-test-2");
    s.subscribe = daemon->pos_endpoint();
    second = std::make_unique<DaemonProcess>(std::move(s));
    second->Start();
    bus->WaitForDaemon();
  }

  int64_t Int(const std::string& sql) { return db.QueryInt(sql); }
  Id SpecialOrderOf(Id line) {
    return Int("SELECT id FROM special_orders WHERE order_line_id = " + std::to_string(line));
  }
  Id PoOf(Id line) {
    return Int("SELECT po_id FROM special_orders WHERE order_line_id = " + std::to_string(line));
  }
  Id TransferOf(Id line) {
    return Int("SELECT transfer_id FROM special_orders WHERE order_line_id = " +
               std::to_string(line));
  }
  // Is the message recorded: in the inbox (applied or refused) or among the dead letters?
  bool Recorded(const std::string& id) {
    std::string quoted = "'";
    for (char c : id) quoted += c == '\'' ? std::string("''") : std::string(1, c);
    quoted += "'";
    return Int("SELECT (SELECT COUNT(*) FROM sod_inbox WHERE message_id = " + quoted +
               ") + (SELECT COUNT(*) FROM sod_dead_letters WHERE message_id = " + quoted + ")") > 0;
  }

  // Waits until the message is recorded; false when the daemon died before it was. Throws on
  // timeout.
  bool WaitRecorded(const std::string& id,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (Recorded(id)) return true;
      if (!daemon->running() || daemon->TryWait()) return false;
      if (std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error("message " + id + " was not processed in time; log:\n" +
                                 daemon->Log());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  const Options options;  // first: the database is named from it
  TestDatabase db;
  PosWorld world;
  std::string work_dir, rules_file;
  std::unique_ptr<DaemonProcess> daemon, second;
  std::unique_ptr<PosBus> bus;
};

struct ScenarioStep {
  std::string name;
  // Commits the POS's own writes and returns the message that announces them.
  std::function<Payload(ScenarioRun&)> act;
};

// The steps, in order. Ids the daemon chose (POs, transfers, special orders) are read from the
// database, so that a run whose ids differ from the reference's still refers to the right rows.
inline const std::vector<ScenarioStep>& ScenarioSteps() {
  static const std::vector<ScenarioStep> steps = {
      {"request: Ada, 2 chairs; S02 has 3 and sends them (a transfer)",
       [](ScenarioRun& r) -> Payload {
         r.world.CreateOrderWithSpecialLine(5001, kAdaChairs, 1, 1, 100, 2);
         return SpecialOrderRequested{5001, kAdaChairs, 1, 1, 100, 2, r.bus->clock()};
       }},
      {"request: Grace, 4 chairs; S02 cannot spare them: a new draft PO from Acme",
       [](ScenarioRun& r) -> Payload {
         r.world.CreateOrderWithSpecialLine(5002, kGraceChairs, 1, 2, 100, 4);
         return SpecialOrderRequested{5002, kGraceChairs, 1, 2, 100, 4, r.bus->clock()};
       }},
      {"request: Alan, 3 chairs, added to that draft PO",
       [](ScenarioRun& r) -> Payload {
         r.world.CreateOrderWithSpecialLine(5003, kAlanChairs, 1, 3, 100, 3);
         return SpecialOrderRequested{5003, kAlanChairs, 1, 3, 100, 3, r.bus->clock()};
       }},
      {"request: Ada, 1 desk, which waits for the Back Office",
       [](ScenarioRun& r) -> Payload {
         r.world.CreateOrderWithSpecialLine(5004, kAdaDesk, 1, 1, 101, 1);
         return SpecialOrderRequested{5004, kAdaDesk, 1, 1, 101, 1, r.bus->clock()};
       }},
      {"Back Office: order the desk from Budget (a new draft PO)",
       [](ScenarioRun& r) -> Payload {
         return BackofficeOrder{r.SpecialOrderOf(kAdaDesk), 11, std::nullopt, "bo-user"};
       }},
      {"PO sent: Acme's PO draft -> open",
       [](ScenarioRun& r) -> Payload {
         const Id po = r.PoOf(kGraceChairs);
         r.world.SetPoStatus(po, "open");
         return PoStatusChanged{po, "open", "draft"};
       }},
      {"short shipment: 5 of Acme's 7 chairs (Grace's 4, 1 of Alan's 3)",
       [](ScenarioRun& r) -> Payload {
         const Id po = r.PoOf(kGraceChairs);
         auto lines = r.world.CompleteShipment(9001, po, {{r.world.PoLineOf(po, 100), 5}});
         return ShipmentCompleted{9001, po, 1, 10, std::move(lines)};
       }},
      {"transfer received: S02's 2 chairs for Ada",
       [](ScenarioRun& r) -> Payload {
         return r.world.ReceiveTransfer(r.TransferOf(kAdaChairs), {{100, 2}});
       }},
      {"quantity change: Alan wants 4; the PO was sent, so the rest is ordered again",
       [](ScenarioRun& r) -> Payload {
         r.world.ChangeSpecialOrderQty(kAlanChairs, 4);
         return OrderLineChanged{5003, kAlanChairs, 4};
       }},
      {"cancellation: Ada cancels the desk order",
       [](ScenarioRun& r) -> Payload {
         r.world.CancelOrder(5004);
         return OrderCancelled{5004};
       }},
      {"pickup: Ada collects her 2 chairs; her order is completed",
       [](ScenarioRun& r) -> Payload {
         OrderPickedUp p = r.world.PickUp(kAdaChairs, 2);
         r.db.Exec("UPDATE customer_orders SET status = 'completed' WHERE id = 5001");
         return p;
       }},
  };
  return steps;
}

// The index of the short shipment among the steps (0-based): the message the crash tests hit.
inline constexpr size_t kShipmentStep = 6;

// Plays steps [from, to) of `steps`: writes, publishes, waits until the daemon recorded the
// message and checks every invariant. Returns the message ids.
inline std::vector<std::string> Play(ScenarioRun& run, size_t from, size_t to,
                                     const std::vector<ScenarioStep>& steps = ScenarioSteps()) {
  std::vector<std::string> ids;
  for (size_t i = from; i < to && i < steps.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(i + 1) + ": " + steps[i].name);
    const std::string id = run.bus->Publish(steps[i].act(run));
    if (!run.WaitRecorded(id)) {
      ADD_FAILURE() << "the daemon died; log:\n" << run.daemon->Log();
      return ids;
    }
    EXPECT_THAT(CheckInvariants(run.db), ::testing::IsEmpty());
    ids.push_back(id);
  }
  return ids;
}

inline std::vector<std::string> PlayAll(ScenarioRun& run) {
  return Play(run, 0, ScenarioSteps().size());
}

// The end states of a run of the steps without faults.
struct Reference {
  std::string canonical;  // CanonicalDump()
  std::string business;   // BusinessDump()
  std::string log;        // the daemon's log
};

inline Reference RunReference(const std::vector<ScenarioStep>& steps = ScenarioSteps()) {
  ScenarioRun run({.name = "reference"});
  run.Start();
  Play(run, 0, steps.size(), steps);
  EXPECT_EQ(run.daemon->Stop(), 0) << run.daemon->Log();
  return Reference{CanonicalDump(run.db), BusinessDump(run.db), run.daemon->Log()};
}

}  // namespace so::testing
