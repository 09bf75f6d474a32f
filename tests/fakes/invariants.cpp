#include "tests/fakes/invariants.hpp"

#include <algorithm>
#include <map>

namespace so::fakes {

std::vector<std::string> CheckInvariants(const FakeDb& db) {
  std::vector<std::string> broken;
  auto fail = [&](std::string s) { broken.push_back(std::move(s)); };
  const auto active = [](const SpecialOrder& so) {
    return so.status != SoStatus::kCompleted && so.status != SoStatus::kCancelled;
  };

  const auto picked = [&](Id so_id) {
    auto it = db.picked.find(so_id);
    return it == db.picked.end() ? Qty{0} : it->second;
  };
  // One pass over the special orders sums up what invariants 1, 4 and 5 need and checks 3, so
  // that a test can check after every one of thousands of messages.
  std::map<std::pair<Id, Id>, std::pair<Qty, Qty>> expected;  // (store, product) -> (c, b)
  std::vector<Id> starred;     // orders with a special order that is not cancelled
  std::map<Id, Qty> attached;  // PO line -> what its special orders still wait for
  for (const auto& [id, so] : db.special_orders) {
    if (so.status != SoStatus::kCancelled) starred.push_back(so.order_id);
    if (active(so)) {
      // 1. stock counters are exactly the sums over the special orders: committed is what was
      // allocated and not yet picked up, backordered what still waits for goods.
      const Qty handed_over = picked(id);
      auto& e = expected[{so.store_id, so.product_id}];
      e.first += so.allocated_qty - handed_over;
      e.second += so.waiting();
      if (handed_over > so.allocated_qty) {
        fail("special order " + std::to_string(id) + " picked > allocated");
      }
      // 5. a PO line orders at least what its special orders still wait for (for one that got
      // nothing yet, its whole quantity).
      if (so.po_line_id && so.source == SoSource::kVendor) {
        attached[*so.po_line_id] += so.waiting();
      }
    }
    // 3. special-ordered lines mirror their special order. Messages are built only for a
    // failure.
    const OrderLine& l = db.lines.at(so.order_line_id);
    const auto where = [&l] { return "line " + std::to_string(l.id); };
    if (so.status == SoStatus::kCancelled) {
      if (l.status != LineStatus::kCancelled || l.committed_qty != 0 || l.backordered_qty != 0 ||
          so.allocated_qty != 0) {
        fail(where() + " should be cancelled with nothing committed or backordered");
      }
      continue;
    }
    if (l.committed_qty != so.allocated_qty) fail(where() + " committed_qty != allocated_qty");
    if (l.backordered_qty != l.special_order_qty - so.allocated_qty || l.backordered_qty < 0) {
      fail(where() + " backordered_qty wrong");
    }
    const LineStatus want = so.status == SoStatus::kCompleted ? LineStatus::kFulfilled
                            : l.backordered_qty > 0           ? LineStatus::kBackordered
                                                              : LineStatus::kCommitted;
    if (l.status != want) fail(where() + " status " + std::string(ToString(l.status)));
  }
  for (const auto& [key, row] : db.stock) {
    const auto e = expected.contains(key) ? expected.at(key) : std::make_pair<Qty, Qty>(0, 0);
    const auto where = [&key] {
      return "stock(" + std::to_string(key.first) + "," + std::to_string(key.second) + ")";
    };
    if (row.committed != e.first) {
      fail(where() + ".committed=" + std::to_string(row.committed) + ", expected " +
           std::to_string(e.first));
    }
    if (row.backordered != e.second) {
      fail(where() + ".backordered=" + std::to_string(row.backordered) + ", expected " +
           std::to_string(e.second));
    }
    // 2. allocation never pushes open stock below zero (the tests' POS sells only open stock).
    if (row.committed > 0 && row.open() < 0) fail(where() + " open stock below zero");
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
  // 4. the red star.
  std::sort(starred.begin(), starred.end());
  for (const auto& [id, order] : db.orders) {
    if (order.has_special_order != std::binary_search(starred.begin(), starred.end(), id)) {
      fail("order " + std::to_string(id) + " red star wrong");
    }
  }
  // 5.
  for (const auto& [line_id, qty] : attached) {
    if (db.po_lines.at(line_id).quantity_ordered < qty) {
      fail("PO line " + std::to_string(line_id) + " orders less than attached");
    }
  }
  // The daemon's clock rows: only of special orders that exist, never overdue for a promise not
  // made, a reminder always with the ready period it was for.
  for (const auto& [id, c] : db.clocks) {
    const std::string so = "special order " + std::to_string(id);
    if (!db.special_orders.count(id)) fail("clock row of missing " + so);
    if (c.overdue_seq && *c.overdue_seq > c.promise_seq) fail(so + " overdue for a later promise");
    if (c.reminded_days.has_value() != c.reminded_ready_at.has_value()) {
      fail(so + " reminded without its ready time");
    }
  }
  return broken;
}

}  // namespace so::fakes
