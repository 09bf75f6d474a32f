// Batches end to end: the real daemon on MariaDB, fed the same bursts twice, once taking one
// message per transaction (batch.max_messages: 1) and once taking what is queued (the default),
// ends in the same database, row for row (surrogate ids renumbered), with every invariant of
// CONTRACT section 5 holding. The POS writes what each burst announces before it publishes it,
// so both daemons see the same rows whatever their pace.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tests/pos_sim/canonical_dump.hpp"
#include "tests/pos_sim/daemon_process.hpp"
#include "tests/pos_sim/pos_sim.hpp"

namespace so::testing {
namespace {

// Freed and surplus stock goes to whoever waits, so that messages of one batch compete for it.
constexpr const char* kRules =
    "version: 1\n"
    "defaults:\n"
    "  allow_positive_open_stock: true\n"
    "  allocate_surplus: true\n"
    "  reallocate_freed_stock: true\n"
    "  shrink_draft_po: true\n"
    "rules:\n"
    "  - name: harbour-waits-for-back-office\n"
    "    match: { stores: [2], products: [101] }\n"
    "    on_request: wait\n";

constexpr int kOrders = 90;

struct Outcome {
  std::string canonical;
  std::vector<std::string> broken;
  std::string log;
};

// The number after `name` in the daemon's stop line ("stopped: applied 12, ..., batches 3, ...").
int64_t Counted(const std::string& log, const std::string& name) {
  const size_t stop = log.rfind("stopped: ");
  const size_t at = stop == std::string::npos ? stop : log.find(" " + name + " ", stop);
  if (at == std::string::npos) {
    ADD_FAILURE() << "no '" << name << "' in the daemon's stop line:\n" << log;
    return -1;
  }
  return std::stoll(log.substr(at + name.size() + 2));
}

// Publishes every payload, then waits until the daemon has recorded all of them.
void Burst(PosBus& bus, TestDatabase& db, const std::vector<Payload>& payloads) {
  std::vector<std::string> ids;
  for (const auto& p : payloads) ids.push_back(bus.Publish(p));
  for (const auto& id : ids) WaitProcessed(db, id, std::chrono::seconds(60));
}

Outcome Play(int max_messages) {
  const std::string name = "batching_" + std::to_string(max_messages);
  TestDatabase db(name);
  PosWorld world(db);
  world.LoadDemoData();
  world.SetOnHand(1, 100, 2);  // a little stock on the shelf to compete for
  const std::string dir = std::string(SO_BINARY_DIR) + "/test-work/batching/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/rules.yaml") << kRules;
  DaemonSetup setup{db.options(), dir + "/rules.yaml", dir};
  setup.reconcile = ReconcileSetup{false, 0};
  setup.extra_config = "batch:\n  max_messages: " + std::to_string(max_messages) + "\n";
  DaemonProcess daemon(setup);
  daemon.Start();
  PosBus bus(daemon.pos_endpoint(), daemon.events_endpoint());
  bus.WaitForDaemon();

  // Requests: chairs and desks at both stores, now and then a gift card (refused), some orders
  // with a second line.
  std::vector<Payload> burst;
  const auto product_of = [](int n) -> Id { return n % 11 == 0 ? 102 : n % 3 == 0 ? 101 : 100; };
  for (int n = 1; n <= kOrders; ++n) {
    const Id order = 7000 + n, line = order * 10 + 1, store = 1 + n % 2;
    const Qty qty = 1 + n % 3;
    world.CreateOrderWithSpecialLine(order, line, store, 1 + n % 3, product_of(n), qty);
    burst.push_back(
        SpecialOrderRequested{order, line, store, 1 + n % 3, product_of(n), qty, bus.clock()});
    if (n % 5 == 0) {
      world.AddSpecialLine(order, line + 1, 100, 1);
      burst.push_back(OrderLineChanged{order, line + 1, 1});
    }
  }
  Burst(bus, db, burst);

  // The Back Office orders what waits for it.
  burst.clear();
  for (const auto& row : db.Query("SELECT id FROM special_orders WHERE status = 'request'")) {
    burst.push_back(BackofficeOrder{std::stoll(*row[0]), std::nullopt, std::nullopt, "buyer"});
  }
  Burst(bus, db, burst);

  // The POs go to their vendors and come in one unit per shipment, each PO line one unit short.
  burst.clear();
  for (const auto& row : db.Query("SELECT id FROM purchase_orders ORDER BY id")) {
    const Id po = std::stoll(*row[0]);
    world.SetPoStatus(po, "open");
    burst.push_back(PoStatusChanged{po, "open", "draft"});
  }
  Id shipment = 9000;
  for (const auto& row :
       db.Query("SELECT l.id, l.po_id, l.quantity_ordered, p.store_id, p.vendor_id "
                "FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.po_id "
                "ORDER BY l.id")) {
    const Id po_line = std::stoll(*row[0]), po = std::stoll(*row[1]);
    for (Qty unit = 1; unit < std::stoll(*row[2]); ++unit) {
      burst.push_back(ShipmentCompleted{++shipment, po, std::stoll(*row[3]), std::stoll(*row[4]),
                                        world.CompleteShipment(shipment, po, {{po_line, 1}})});
    }
  }
  Burst(bus, db, burst);

  // The clerks: quantities up and down, cancellations, pickups.
  burst.clear();
  for (int n = 1; n <= kOrders; ++n) {
    const Id order = 7000 + n, line = order * 10 + 1;
    if (n % 7 == 0) {
      world.CancelOrder(order);
      burst.push_back(OrderCancelled{order});
    } else if (n % 4 == 0) {
      world.ChangeSpecialOrderQty(line, n % 8 == 0 ? 1 : 4);
      burst.push_back(OrderLineChanged{order, line, n % 8 == 0 ? 1 : 4});
    } else if (n % 3 == 1) {
      const auto committed = db.QueryInt(
          "SELECT committed_qty FROM customer_order_lines WHERE id = " + std::to_string(line));
      if (committed > 0) burst.push_back(world.PickUp(line, committed));
    }
  }
  Burst(bus, db, burst);

  Outcome out{CanonicalDump(db), CheckInvariants(db), ""};
  EXPECT_EQ(daemon.Stop(), 0) << daemon.Log();
  out.log = daemon.Log();
  return out;
}

TEST(BatchingTest, BurstsEndInTheSameDatabaseOneMessageAtATimeAndInBatches) {
  const Outcome one = Play(1);
  const Outcome batched = Play(256);
  EXPECT_THAT(one.broken, ::testing::IsEmpty());
  EXPECT_THAT(batched.broken, ::testing::IsEmpty());
  EXPECT_THAT(batched.log, ::testing::Not(::testing::HasSubstr("dead_lettered")));
  // One transaction per message, and far fewer in batches.
  const int64_t messages = Counted(one.log, "applied") + Counted(one.log, "refused");
  EXPECT_EQ(Counted(one.log, "batches"), messages);
  EXPECT_EQ(Counted(batched.log, "applied") + Counted(batched.log, "refused"), messages);
  EXPECT_LT(Counted(batched.log, "batches"), messages / 4);
  ASSERT_EQ(one.canonical, batched.canonical)
      << "the database differs when the daemon takes what is queued (see the two runs under "
         "build/test-work/batching/)";
}

}  // namespace
}  // namespace so::testing
