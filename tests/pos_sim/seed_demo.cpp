// The demo: the seed scenario of the POS help page (with a short shipment and a special order
// filled by a store transfer), played as the POS would play it over ZeroMQ against the real
// daemon and a private MariaDB, printed as a timeline of POS messages,
// daemon decisions (with the rule that made each), status changes and published events, with
// `special-ordersd explain` run twice on the way as an operator would run it, then the final
// rows, then `special-ordersd check` before and after an edit behind the daemon's back and its
// repair, then `special-ordersd simulate` with the rules in force and with a candidate. Run by
// scripts/demo.sh, which starts and stops the private MariaDB.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "tests/pos_sim/daemon_process.hpp"
#include "tests/pos_sim/pos_sim.hpp"

namespace so::testing {
namespace {

class Demo {
 public:
  Demo(TestDatabase& db, DaemonProcess& daemon, PosBus& bus)
      : db_(db), daemon_(daemon), bus_(bus), world_(db) {}

  int Run() {
    Step("A clerk special-orders 2 oak chairs (CHAIR-OAK, no open stock) for Ada at store S01");
    world_.CreateOrderWithSpecialLine(5001, 50011, 1, 1, 100, 2);
    Publish(SpecialOrderRequested{5001, 50011, 1, 1, 100, 2, bus_.clock()});

    Step("Another clerk special-orders 1 more oak chair for Grace");
    world_.CreateOrderWithSpecialLine(5002, 50021, 1, 2, 100, 1);
    Publish(SpecialOrderRequested{5002, 50021, 1, 2, 100, 1, bus_.clock()});

    Step("Alan special-orders 2 walnut desks at S01; store S02 has 3 of them on its shelf");
    world_.SetOnHand(2, 101, 3);
    world_.CreateOrderWithSpecialLine(5003, 50031, 1, 3, 101, 2);
    Publish(SpecialOrderRequested{5003, 50031, 1, 3, 101, 2, bus_.clock()});

    const Id po = db_.QueryInt("SELECT po_id FROM special_orders WHERE order_line_id = 50011");
    const Id po_line = world_.PoLineOf(po, 100);
    Step("The buyer sends PO " + std::to_string(po) + " to Acme (draft -> open)");
    world_.SetPoStatus(po, "open");
    Publish(PoStatusChanged{po, "open", "draft"});

    Explain("Grace asks where her chair is", {"--order-line", "50021"});

    Step("A short shipment for PO " + std::to_string(po) + ": 2 of the 3 chairs arrive");
    auto lines = world_.CompleteShipment(9001, po, {{po_line, 2}});
    Publish(ShipmentCompleted{9001, po, 1, 10, lines});

    const Id transfer =
        db_.QueryInt("SELECT transfer_id FROM special_orders WHERE order_line_id = 50031");
    Step("Store S01 receives transfer " + std::to_string(transfer) + " of 2 desks from S02");
    Publish(world_.ReceiveTransfer(transfer, {{101, 2}}));

    Step("The rest of PO " + std::to_string(po) + " arrives: 1 chair");
    lines = world_.CompleteShipment(9002, po, {{po_line, 1}});
    Publish(ShipmentCompleted{9002, po, 1, 10, lines});

    // The clock moves (the demo's daemon reads its time from a file, a test build's option).
    const Timestamp last_ready = *ParseSqlDatetime(
        *db_.Query("SELECT MAX(ready_at) FROM special_orders WHERE status = 'ready'")[0][0]);
    Step("Three days later nobody has come for the goods (the daemon's clock looks every second)");
    MoveClock(AddDays(last_ready, 3), 3);
    const bool reminded =
        db_.QueryInt("SELECT COUNT(*) FROM sod_audit WHERE decision = 'pickup_reminder'") == 3;

    const std::string before = db_.Dump();
    Step("The POS restarts and replays every message it sent");
    for (const auto& id : bus_.sent_ids()) bus_.Republish(id);
    daemon_.WaitForLog("duplicate shipment.completed id=" + bus_.sent_ids().back());
    const bool same = db_.Dump() == before;
    std::cout << "  daemon   ignored " << bus_.sent_ids().size()
              << " re-deliveries; database byte-for-byte unchanged: " << (same ? "yes" : "NO")
              << "\n";

    std::cout << "\n== Final rows\n";
    Table("special_orders",
          "SELECT id, order_id, order_line_id, product_id, quantity, allocated_qty, status, "
          "source, vendor_id, po_id, po_line_id, requested_at, ordered_at, arrived_at, ready_at "
          "FROM special_orders ORDER BY id");
    Table("customer_orders",
          "SELECT id, store_id, customer_id, status, has_special_order "
          "FROM customer_orders ORDER BY id");
    Table("customer_order_lines",
          "SELECT id, order_id, product_id, quantity, special_order_qty, status, committed_qty, "
          "backordered_qty FROM customer_order_lines ORDER BY id");
    Table("stock",
          "SELECT store_id, product_id, on_hand, committed, backordered, "
          "on_hand - committed AS open_stock FROM stock ORDER BY store_id, product_id");
    Table("purchase_orders",
          "SELECT id, store_id, vendor_id, status, created_by FROM "
          "purchase_orders ORDER BY id");
    Table("purchase_order_lines",
          "SELECT id, po_id, product_id, quantity_ordered, "
          "quantity_received, unit_cost FROM purchase_order_lines "
          "ORDER BY id");
    Table("store_transfers (with their lines)",
          "SELECT t.id, t.from_store_id, t.to_store_id, t.status, l.product_id, l.quantity, "
          "l.special_order_id FROM store_transfers t "
          "JOIN store_transfer_lines l ON l.transfer_id = t.id ORDER BY l.id");

    Explain("How Grace's special order went, from the audit trail and the inbox",
            {"--order", "5002"});

    const auto broken = CheckInvariants(db_);
    std::cout << "\n== Contract invariants: " << (broken.empty() ? "all hold" : "BROKEN") << "\n";
    for (const auto& b : broken) std::cout << "  " << b << "\n";
    const bool ready = db_.QueryInt(
                           "SELECT COUNT(*) FROM special_orders WHERE status IN "
                           "('ready', 'in_progress') AND allocated_qty = quantity") == 3;
    const bool checked = Drift();
    const bool simulated = Simulate();
    return broken.empty() && same && ready && reminded && checked && simulated && !explain_failed_
               ? 0
               : 1;
  }

 private:
  void Step(const std::string& what) { std::cout << "\n== " << what << "\n"; }

  // Runs `special-ordersd explain` with the daemon's own config, as an operator would, and
  // prints what it says.
  void Explain(const std::string& why, std::vector<std::string> args) {
    args.insert(args.begin(), {"explain", "--config", daemon_.config_path()});
    std::string shown = "special-ordersd";
    for (size_t i = 0; i < args.size(); ++i) {
      shown += " " + (i == 2 ? std::string("build/demo/special-ordersd.yaml") : args[i]);
    }
    Step(why + ": " + shown);
    const ToolRun run = RunDaemonTool(args, std::string(SO_DEMO_WORK_DIR));
    std::cout << run.out << run.err;
    if (run.exit_status != 0) {
      std::cout << "  (exit code " << run.exit_status << ")\n";
      explain_failed_ = true;
    }
  }

  // `special-ordersd check` on the demo's database: no drift; then an edit behind the daemon's
  // back, found, repaired, and no drift again. True when each ended with the exit code it must.
  bool Drift() {
    bool ok = Check({}, 0);
    Step(
        "A script adds 3 to stock.committed of CHAIR-OAK at S01, and a clerk clears order "
        "5002's red star, behind the daemon's back");
    db_.Exec("UPDATE stock SET committed = committed + 3 WHERE store_id = 1 AND product_id = 100");
    db_.Exec("UPDATE customer_orders SET has_special_order = 0 WHERE id = 5002");
    ok = Check({}, 1) && ok;
    ok = Check({"--json"}, 1) && ok;
    ok = Check({"--repair"}, 1) && ok;
    for (const auto& row : db_.Query("SELECT message_id, rule, decision, detail FROM sod_audit "
                                     "WHERE decision = 'repaired_drift' ORDER BY id")) {
      std::cout << "  sod_audit: " << row[0].value_or("") << " [rule " << row[1].value_or("")
                << "] " << row[2].value_or("") << ": " << row[3].value_or("") << "\n";
    }
    return Check({}, 0) && ok;
  }

  // `special-ordersd simulate` over what the flight recorder kept of the run: the rules in force
  // change nothing; a candidate that buys from the vendor with the shortest lead time shows what
  // it would have decided otherwise. True when both ran and the candidate differs.
  bool Simulate() {
    const std::string work = std::string(SO_DEMO_WORK_DIR);
    std::ifstream in(std::string(SO_SOURCE_DIR) + "/config/rules.example.yaml");
    std::ostringstream text;
    text << in.rdbuf();
    std::string candidate = text.str();
    const std::string from = "vendor_choice: [primary, cheapest]";
    const std::string to = "vendor_choice: [shortest_lead_time, cheapest]";
    if (const size_t at = candidate.find(from); at != std::string::npos) {
      candidate.replace(at, from.size(), to);
    }
    std::ofstream(work + "/candidate.yaml") << candidate;
    bool ok = true;
    for (const auto& [why, rules] :
         {std::pair<std::string, std::string>{"The rules in force, recomputed over the record",
                                              std::string(SO_SOURCE_DIR) +
                                                  "/config/rules.example.yaml"},
          {"A candidate: defaults." + to, work + "/candidate.yaml"}}) {
      Step(why + ": special-ordersd simulate --config build/demo/special-ordersd.yaml --rules " +
           (rules.find("candidate") != std::string::npos ? "build/demo/candidate.yaml"
                                                         : "config/rules.example.yaml"));
      const ToolRun run =
          RunDaemonTool({"simulate", "--config", daemon_.config_path(), "--rules", rules}, work);
      std::istringstream lines(run.out + run.err);
      for (std::string line; std::getline(lines, line);) std::cout << "  " << line << "\n";
      const bool alike = run.out.find("Summary: 0 special orders") != std::string::npos;
      const bool candidate_run = rules.find("candidate") != std::string::npos;
      // Exit 1: the candidate differs.
      ok = ok && run.exit_status == (candidate_run ? 1 : 0) && alike != candidate_run;
    }
    return ok;
  }

  bool Check(const std::vector<std::string>& args, int want) {
    std::string shown = "special-ordersd check";
    for (const std::string& a : args) shown += " " + a;
    Step(shown);
    std::vector<std::string> full = {"check", "--config", daemon_.config_path()};
    full.insert(full.end(), args.begin(), args.end());
    const ToolRun run = RunDaemonTool(full, std::string(SO_DEMO_WORK_DIR));
    std::istringstream lines(run.out + run.err);
    for (std::string line; std::getline(lines, line);) std::cout << "  " << line << "\n";
    std::cout << "  (exit code " << run.exit_status << ")\n";
    return run.exit_status == want;
  }

  void Publish(const Payload& p) {
    const std::string id = bus_.Publish(p);
    std::cout << "  POS    -> " << json::MessageType(p) << "  id=" << id << "\n";
    WaitProcessed(db_, id);
    PrintOutcome("message_id = '" + id + "'");
  }

  // Sets the daemon's clock to `now` and waits until it has applied `expected` timed messages.
  void MoveClock(Timestamp now, int64_t expected) {
    std::ofstream(std::string(SO_DEMO_WORK_DIR) + "/now") << FormatRfc3339(now) << "\n";
    std::cout << "  clock  -> " << FormatRfc3339(now) << "\n";
    const std::string clock = "message_id LIKE 'clock:%'";
    for (int i = 0; i < 200 && db_.QueryInt("SELECT COUNT(*) FROM sod_inbox WHERE " + clock) <
                                   expected;
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    PrintOutcome(clock);
  }

  // The audit rows of the messages `where` selects, then the events published since.
  void PrintOutcome(const std::string& where) {
    for (const auto& row : db_.Query("SELECT rule, decision, detail FROM sod_audit WHERE " + where +
                                     " ORDER BY id")) {
      std::cout << "  daemon    decided [rule " << row[0].value_or("") << "] "
                << row[1].value_or("") << ": " << row[2].value_or("") << "\n";
    }
    for (const auto& e : bus_.TakeEvents(std::chrono::milliseconds(300))) {
      std::cout << "  daemon -> " << e.envelope.type << "  " << Describe(e.event) << "\n";
    }
  }

  static std::string Describe(const OutEvent& e) {
    std::ostringstream s;
    if (auto* c = std::get_if<SpecialOrderCreatedEvent>(&e)) {
      s << "special order " << c->special_order_id << " for line " << c->order_line_id << ": "
        << c->quantity << " x product " << c->product_id << ", " << ToString(c->status);
    } else if (auto* st = std::get_if<StatusChangedEvent>(&e)) {
      s << "special order " << st->special_order_id << ": " << ToString(st->from) << " -> "
        << ToString(st->to) << " (rule " << st->rule << ")";
    } else if (auto* a = std::get_if<ArrivedEvent>(&e)) {
      s << "pop-up: " << ToString(a->kind) << " " << a->arrival_id << " has arrived for";
      for (const auto& o : a->special_orders) {
        s << " special order " << o.special_order_id << " (" << o.quantity << ")";
      }
    } else if (auto* po = std::get_if<PurchaseOrderEvent>(&e)) {
      s << "PO " << po->po_id << " vendor " << po->vendor_id << ":";
      for (const auto& l : po->lines) {
        s << " line " << l.po_line_id << " = " << l.quantity << " x product " << l.product_id;
      }
    } else if (auto* t = std::get_if<TransferRequestedEvent>(&e)) {
      s << "transfer " << t->transfer_id << " from store " << t->from_store_id << " to store "
        << t->to_store_id << ":";
      for (const auto& l : t->lines) s << " " << l.quantity << " x product " << l.product_id;
    } else if (auto* r = std::get_if<RejectedEvent>(&e)) {
      s << "line " << r->order_line_id << ": " << r->reason;
    } else if (auto* p = std::get_if<PromisedEvent>(&e)) {
      s << "special order " << p->special_order_id << " (order " << p->order_id
        << ") expected on " << FormatDate(p->expected_on) << " (" << ToString(p->basis) << ")";
    } else if (auto* rem = std::get_if<PickupReminderEvent>(&e)) {
      s << "remind customer " << rem->customer_id << ": special order " << rem->special_order_id
        << " (order " << rem->order_id << ") ready since " << FormatDate(rem->ready_since) << ", "
        << rem->days << " days";
    } else if (auto* o = std::get_if<OverdueEvent>(&e)) {
      s << "special order " << o->special_order_id << " (order " << o->order_id
        << ") expected on " << FormatDate(o->expected_on) << ", " << o->days_late << " days late";
    }
    return s.str();
  }

  void Table(const std::string& name, const std::string& sql) {
    std::cout << "-- " << name << "\n";
    for (const auto& row : db_.Query(sql)) {
      std::cout << "  ";
      for (size_t i = 0; i < row.size(); ++i) {
        std::cout << (i ? " | " : "") << row[i].value_or("NULL");
      }
      std::cout << "\n";
    }
  }

  TestDatabase& db_;
  DaemonProcess& daemon_;
  PosBus& bus_;
  PosWorld world_;
  bool explain_failed_ = false;
};

int DemoMain() {
  TestDatabase db("demo");
  PosWorld(db).LoadDemoData();
  const std::string work = std::string(SO_DEMO_WORK_DIR);
  DaemonSetup setup{db.options(), std::string(SO_SOURCE_DIR) + "/config/rules.example.yaml",
                    work, "special-ordersd-demo"};
  // The daemon's clock reads the file the demo writes (scripts/demo.sh builds with SO_TEST_CLOCK),
  // starting at the simulated POS clock's day.
  setup.clock_interval_s = 1;
  setup.env["SO_FAKE_NOW_FILE"] = work + "/now";
  std::filesystem::create_directories(work);
  std::ofstream(work + "/now") << "2026-12-01T09:00:00Z\n";
  DaemonProcess daemon(std::move(setup));
  std::cout << "== Starting special-ordersd with config/rules.example.yaml (log: "
            << daemon.log_path() << ")\n";
  daemon.Start();
  PosBus bus(daemon.pos_endpoint(), daemon.events_endpoint(), "pos-demo");
  bus.WaitForDaemon();
  const int rc = Demo(db, daemon, bus).Run();
  const int stopped = daemon.Stop();
  std::cout << "\n== special-ordersd stopped on SIGTERM with exit code " << stopped << "\n";
  return rc != 0 ? rc : stopped;
}

}  // namespace
}  // namespace so::testing

int main() {
  try {
    return so::testing::DemoMain();
  } catch (const std::exception& e) {
    std::cerr << "demo failed: " << e.what() << "\n";
    return 1;
  }
}
