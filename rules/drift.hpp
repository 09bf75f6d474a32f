// Counter drift: what the daemon-owned counters of the POS must be, recomputed from the special
// orders (CONTRACT.md section 5, invariants 1, 3 and 4), and every place where the database says
// otherwise. Pure functions over plain values; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rules/model.hpp"

namespace so {

// What the check needs of a special order: sod_pickups' picked_qty joined in.
struct DriftSpecialOrder {
  Id id = 0;
  Id store_id = 0;
  Id order_id = 0;
  Id order_line_id = 0;
  Id product_id = 0;
  Qty quantity = 0;
  Qty allocated_qty = 0;
  Qty picked_qty = 0;
  SoStatus status = SoStatus::kRequest;
};

// The daemon's two counters of a stock row; a row that does not exist reads as zeros.
struct DriftStock {
  Id store_id = 0;
  Id product_id = 0;
  Qty committed = 0;
  Qty backordered = 0;
};

// The daemon's columns of a special-ordered order line.
struct DriftLine {
  Id id = 0;
  LineStatus status = LineStatus::kOpen;
  Qty committed_qty = 0;
  Qty backordered_qty = 0;
};

// The red star of a customer order.
struct DriftOrder {
  Id id = 0;
  bool has_special_order = false;
};

enum class DriftField {
  kStockCommitted,      // stock.committed
  kStockBackordered,    // stock.backordered
  kLineStatus,          // customer_order_lines.status
  kLineCommittedQty,    // customer_order_lines.committed_qty
  kLineBackorderedQty,  // customer_order_lines.backordered_qty
  kRedStar,             // customer_orders.has_special_order
};

std::string_view ToString(DriftField f);

// One counter that is not what the special orders make it. `expected` and `found` are
// quantities, a LineStatus as its enum value (kLineStatus), or 0/1 (kRedStar).
struct Drift {
  DriftField field = DriftField::kStockCommitted;
  // The row: the store (stock, with product_id), the order line, or the customer order.
  Id row_id = 0;
  Id product_id = 0;                   // stock only
  std::optional<Id> special_order_id;  // order lines only
  int64_t expected = 0;
  int64_t found = 0;

  bool operator==(const Drift&) const = default;
};

// "stock(store 1, product 100).committed: expected 2, found 5".
std::string ToString(const Drift& d);
// The row as a short key: "stock(1,100)", "line 50011", "order 5001".
std::string RowName(const Drift& d);
// The expected or found value as text: a line status by its name, a red star as 0 or 1.
std::string ValueText(DriftField f, int64_t v);

// What stock.committed and stock.backordered must be, summed over special orders given in any
// order and any number of pieces (a page at a time): it keeps two sums per (store, product), not
// the special orders. committed is what was allocated and not yet picked up, backordered what
// still waits for goods (quantity - allocated_qty), over the special orders that are neither
// completed nor cancelled (others are ignored).
class StockExpectation {
 public:
  void Add(const DriftSpecialOrder& so);
  // The (store, product)s with a live special order, in order.
  std::vector<std::pair<Id, Id>> Keys() const;
  bool Covers(Id store_id, Id product_id) const { return sums_.contains({store_id, product_id}); }
  // The differences, by store then product, over every key added and every row of `stock`:
  // `stock` must hold each existing row of the keys added (a key without one reads as zeros),
  // and may hold rows of other keys, which must then be zero.
  std::vector<Drift> Compare(const std::vector<DriftStock>& stock) const;

 private:
  std::map<std::pair<Id, Id>, std::pair<Qty, Qty>> sums_;  // -> (committed, backordered)
};

// StockExpectation over `special_orders`, compared with `stock`: for every (store, product) in
// either list, where `stock` differs. `special_orders` must hold every live special order of
// those keys; `stock` the rows of those keys that exist.
std::vector<Drift> StockDrift(const std::vector<DriftSpecialOrder>& special_orders,
                              const std::vector<DriftStock>& stock);

// What the special-ordered order lines and the red stars must be, and where they differ.
// `special_orders`: every special order of the orders in `orders` (any status), and the special
// orders whose lines are in `lines`; `lines`: order lines of those special orders (a line with no
// special order in the list is not the daemon's and is skipped); `orders`: the customer orders to
// check, starred or not. A line mirrors its special order: committed_qty = allocated_qty,
// backordered_qty = quantity - allocated_qty (never below 0), status backordered / committed /
// fulfilled (completed) / cancelled (then nothing committed or backordered). An order is starred
// exactly while it has a special order that is not cancelled. Differences ordered by order line,
// then order.
std::vector<Drift> OrderDrift(const std::vector<DriftSpecialOrder>& special_orders,
                              const std::vector<DriftLine>& lines,
                              const std::vector<DriftOrder>& orders);

}  // namespace so
