// The POS's side of the benchmark: the rows the POS commits (a catalog of stores, vendors and
// products, open orders with a special-ordered line, PO status changes, completed shipments, and
// for --large years of history) and the bus messages that announce them, encoded ahead of time.
// Not thread-safe: one owner.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rules/messages.hpp"
#include "tests/support/test_db.hpp"

namespace so::bench {

// The catalog every benchmark database gets.
struct CatalogShape {
  int stores = 4;        // ids 1..stores
  int products = 50;     // ids 1001.., primary vendor 10, 11, 12 in turn
  int customers = 1000;  // ids 1..customers
  // Vendors are always 10, 11 and 12, each with a product_vendors row for every product.
};

// History for --large: completed orders and special orders the POS and the daemon wrote before,
// with their POs, shipments, inbox and audit rows. Ids stay below the fixture's own.
struct HistoryShape {
  int64_t order_lines = 1'000'000;   // 4 per order; every 10th one special-ordered
  int64_t special_orders = 100'000;  // one closed PO, PO line and shipment each
};

// One message ready to publish: its id and its two frames.
struct Outgoing {
  std::string id, topic, body;
};

// The POS's numbering of what it publishes: one source, seq 1, 2, ... and a simulated clock, so
// that the daemon sees no gap as long as every message of a stream reaches it in order.
class MessageStream {
 public:
  explicit MessageStream(std::string source);
  Outgoing Next(const Payload& payload);
  template <typename T>
  std::vector<Outgoing> NextAll(const std::vector<T>& payloads) {
    std::vector<Outgoing> out;
    out.reserve(payloads.size());
    for (const auto& p : payloads) out.push_back(Next(p));
    return out;
  }

 private:
  std::string source_;
  uint64_t seq_ = 0;
  Timestamp clock_;
};

class Fixture {
 public:
  Fixture(so::testing::TestDatabase& db, CatalogShape shape);

  const CatalogShape& shape() const { return shape_; }

  // Stores, vendors, products, product_vendors and customers.
  void LoadCatalog();
  // What an installation has after a while (see HistoryShape); loaded with the Sequence engine.
  void LoadHistory(const HistoryShape& history);
  // `count` new open orders of one line each, 1 unit marked as special order, spread evenly over
  // stores and products; returns the requests that announce them, in order.
  std::vector<SpecialOrderRequested> AddOrders(int64_t count);
  // The POS sends every draft PO to its vendor: status open, then the messages.
  std::vector<PoStatusChanged> OpenDraftPos();
  // One completed one-unit shipment for each unit a special order waits for on a PO line, oldest
  // special order first, written as the POS does (shipment and lines, on_hand and
  // quantity_received raised); returns the messages that announce them.
  std::vector<ShipmentCompleted> ShipEveryWaitingUnit();

 private:
  so::testing::TestDatabase& db_;
  CatalogShape shape_;
  int64_t next_order_;     // customer_orders.id and customer_order_lines.id of the next order
  int64_t next_shipment_;  // vendor_shipments.id
};

}  // namespace so::bench
