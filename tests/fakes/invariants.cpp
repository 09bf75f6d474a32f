#include "tests/fakes/invariants.hpp"

#include <map>

namespace so::fakes {

std::vector<std::string> CheckInvariants(const FakeDb& db) {
  std::vector<std::string> broken;
  auto fail = [&](std::string s) { broken.push_back(std::move(s)); };
  const auto active = [](const SpecialOrder& so) {
    return so.status != SoStatus::kCompleted && so.status != SoStatus::kCancelled;
  };

  // 1. stock counters are exactly the sums over the special orders.
  std::map<std::pair<Id, Id>, std::pair<Qty, Qty>> expected;  // (store, product) -> (c, b)
  for (const auto& [id, so] : db.special_orders) {
    if (!active(so)) continue;
    auto& e = expected[{so.store_id, so.product_id}];
    e.first += so.allocated_qty;
    e.second += so.waiting();
  }
  for (const auto& [key, row] : db.stock) {
    const auto e = expected.contains(key) ? expected.at(key) : std::make_pair<Qty, Qty>(0, 0);
    const std::string where =
        "stock(" + std::to_string(key.first) + "," + std::to_string(key.second) + ")";
    if (row.committed != e.first) {
      fail(where + ".committed=" + std::to_string(row.committed) + ", expected " +
           std::to_string(e.first));
    }
    if (row.backordered != e.second) {
      fail(where + ".backordered=" + std::to_string(row.backordered) + ", expected " +
           std::to_string(e.second));
    }
    // 2. allocation never pushes open stock below zero (no POS sales happen in these tests).
    if (row.committed > 0 && row.open() < 0) fail(where + " open stock below zero");
  }
  for (const auto& [key, e] : expected) {
    if (!db.stock.contains(key) && (e.first != 0 || e.second != 0)) {
      fail("stock row missing for store " + std::to_string(key.first));
    }
  }
  // 2. no arrival allocates more than it brought.
  for (const auto& [key, a] : db.arrivals) {
    if (a.allocated_qty > a.quantity || a.allocated_qty < 0) {
      fail("arrival " + std::to_string(a.arrival_id) + " allocated " +
           std::to_string(a.allocated_qty) + " of " + std::to_string(a.quantity));
    }
  }
  // 3. special-ordered lines mirror their special order.
  for (const auto& [id, so] : db.special_orders) {
    const OrderLine& l = db.lines.at(so.order_line_id);
    const std::string where = "line " + std::to_string(l.id);
    if (so.status == SoStatus::kCancelled) {
      if (l.status != LineStatus::kCancelled) fail(where + " should be cancelled");
      continue;
    }
    if (l.committed_qty != so.allocated_qty) fail(where + " committed_qty != allocated_qty");
    if (l.backordered_qty != l.special_order_qty - so.allocated_qty || l.backordered_qty < 0) {
      fail(where + " backordered_qty wrong");
    }
    const LineStatus want = so.status == SoStatus::kCompleted ? LineStatus::kFulfilled
                            : l.backordered_qty > 0          ? LineStatus::kBackordered
                                                             : LineStatus::kCommitted;
    if (l.status != want) fail(where + " status " + std::string(ToString(l.status)));
  }
  // 4. the red star.
  for (const auto& [id, order] : db.orders) {
    bool has = false;
    for (const auto& [sid, so] : db.special_orders) {
      has = has || (so.order_id == id && so.status != SoStatus::kCancelled);
    }
    if (order.has_special_order != has) fail("order " + std::to_string(id) + " red star wrong");
  }
  // 5. a PO line orders at least what is attached to it.
  std::map<Id, Qty> attached;
  for (const auto& [id, so] : db.special_orders) {
    if (active(so) && so.po_line_id) attached[*so.po_line_id] += so.quantity;
  }
  for (const auto& [line_id, qty] : attached) {
    if (db.po_lines.at(line_id).quantity_ordered < qty) {
      fail("PO line " + std::to_string(line_id) + " orders less than attached");
    }
  }
  return broken;
}

}  // namespace so::fakes
