#include "rules/drift.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace so {
namespace {

bool Live(SoStatus s) { return s != SoStatus::kCompleted && s != SoStatus::kCancelled; }

void Compare(std::vector<Drift>& out, Drift d) {
  if (d.expected != d.found) out.push_back(std::move(d));
}

}  // namespace

std::string_view ToString(DriftField f) {
  switch (f) {
    case DriftField::kStockCommitted:
      return "committed";
    case DriftField::kStockBackordered:
      return "backordered";
    case DriftField::kLineStatus:
      return "status";
    case DriftField::kLineCommittedQty:
      return "committed_qty";
    case DriftField::kLineBackorderedQty:
      return "backordered_qty";
    case DriftField::kRedStar:
      return "has_special_order";
  }
  return "?";
}

std::string RowName(const Drift& d) {
  switch (d.field) {
    case DriftField::kStockCommitted:
    case DriftField::kStockBackordered:
      return "stock(" + std::to_string(d.row_id) + "," + std::to_string(d.product_id) + ")";
    case DriftField::kLineStatus:
    case DriftField::kLineCommittedQty:
    case DriftField::kLineBackorderedQty:
      return "line " + std::to_string(d.row_id);
    case DriftField::kRedStar:
      return "order " + std::to_string(d.row_id);
  }
  return "?";
}

std::string ValueText(DriftField f, int64_t v) {
  if (f == DriftField::kLineStatus) return std::string(ToString(static_cast<LineStatus>(v)));
  return std::to_string(v);
}

std::string ToString(const Drift& d) {
  std::string s;
  switch (d.field) {
    case DriftField::kStockCommitted:
    case DriftField::kStockBackordered:
      s = "stock(store " + std::to_string(d.row_id) + ", product " + std::to_string(d.product_id) +
          ")";
      break;
    case DriftField::kLineStatus:
    case DriftField::kLineCommittedQty:
    case DriftField::kLineBackorderedQty:
      s = "customer_order_lines " + std::to_string(d.row_id) + " (special order " +
          std::to_string(d.special_order_id.value_or(0)) + ")";
      break;
    case DriftField::kRedStar:
      s = "customer_orders " + std::to_string(d.row_id);
      break;
  }
  return s + "." + std::string(ToString(d.field)) + ": expected " + ValueText(d.field, d.expected) +
         ", found " + ValueText(d.field, d.found);
}

std::vector<Drift> StockDrift(const std::vector<DriftSpecialOrder>& special_orders,
                              const std::vector<DriftStock>& stock) {
  struct Counters {
    Qty committed = 0, backordered = 0;
  };
  // (store, product) -> (expected, found); a key with no row keeps found at zero.
  std::map<std::pair<Id, Id>, std::pair<Counters, Counters>> keys;
  for (const DriftSpecialOrder& so : special_orders) {
    if (!Live(so.status)) continue;
    Counters& e = keys[{so.store_id, so.product_id}].first;
    e.committed += so.allocated_qty - so.picked_qty;
    e.backordered += so.quantity - so.allocated_qty;
  }
  for (const DriftStock& row : stock) {
    keys[{row.store_id, row.product_id}].second = Counters{row.committed, row.backordered};
  }
  std::vector<Drift> out;
  for (const auto& [key, counters] : keys) {
    const auto& [e, f] = counters;
    Compare(out, {DriftField::kStockCommitted, key.first, key.second, std::nullopt, e.committed,
                  f.committed});
    Compare(out, {DriftField::kStockBackordered, key.first, key.second, std::nullopt, e.backordered,
                  f.backordered});
  }
  return out;
}

std::vector<Drift> OrderDrift(const std::vector<DriftSpecialOrder>& special_orders,
                              const std::vector<DriftLine>& lines,
                              const std::vector<DriftOrder>& orders) {
  std::map<Id, const DriftSpecialOrder*> by_line;
  std::map<Id, bool> starred;  // order -> has a special order that is not cancelled
  for (const DriftSpecialOrder& so : special_orders) {
    by_line[so.order_line_id] = &so;
    if (so.status != SoStatus::kCancelled) starred[so.order_id] = true;
  }
  std::vector<const DriftLine*> sorted;
  sorted.reserve(lines.size());
  for (const DriftLine& l : lines) sorted.push_back(&l);
  std::sort(sorted.begin(), sorted.end(),
            [](const DriftLine* a, const DriftLine* b) { return a->id < b->id; });

  std::vector<Drift> out;
  for (const DriftLine* l : sorted) {
    const auto it = by_line.find(l->id);
    if (it == by_line.end()) continue;
    const DriftSpecialOrder& so = *it->second;
    Qty committed = 0, backordered = 0;
    LineStatus status = LineStatus::kCancelled;
    if (so.status != SoStatus::kCancelled) {
      committed = so.allocated_qty;
      backordered = std::max<Qty>(0, so.quantity - so.allocated_qty);
      status = so.status == SoStatus::kCompleted ? LineStatus::kFulfilled
               : backordered > 0                 ? LineStatus::kBackordered
                                                 : LineStatus::kCommitted;
    }
    const auto line_drift = [&](DriftField f, int64_t expected, int64_t found) {
      Compare(out, {f, l->id, 0, so.id, expected, found});
    };
    line_drift(DriftField::kLineStatus, static_cast<int64_t>(status),
               static_cast<int64_t>(l->status));
    line_drift(DriftField::kLineCommittedQty, committed, l->committed_qty);
    line_drift(DriftField::kLineBackorderedQty, backordered, l->backordered_qty);
  }
  std::vector<DriftOrder> by_id(orders);
  std::sort(by_id.begin(), by_id.end(),
            [](const DriftOrder& a, const DriftOrder& b) { return a.id < b.id; });
  for (const DriftOrder& o : by_id) {
    Compare(out, {DriftField::kRedStar, o.id, 0, std::nullopt, starred.contains(o.id) ? 1 : 0,
                  o.has_special_order ? 1 : 0});
  }
  return out;
}

}  // namespace so
