#include "rules/drift.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace so {
namespace {

bool Live(SoStatus s) { return s != SoStatus::kCompleted && s != SoStatus::kCancelled; }

void Differ(std::vector<Drift>& out, Drift d) {
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

void StockExpectation::Add(const DriftSpecialOrder& so) {
  if (!Live(so.status)) return;
  auto& [committed, backordered] = sums_[{so.store_id, so.product_id}];
  committed += so.allocated_qty - so.picked_qty;
  backordered += so.quantity - so.allocated_qty;
}

std::vector<std::pair<Id, Id>> StockExpectation::Keys() const {
  std::vector<std::pair<Id, Id>> keys;
  keys.reserve(sums_.size());
  for (const auto& [key, sums] : sums_) keys.push_back(key);
  return keys;
}

std::vector<Drift> StockExpectation::Compare(const std::vector<DriftStock>& stock) const {
  // Rows by key; every key of either side once, in key order.
  std::map<std::pair<Id, Id>, const DriftStock*> rows;
  for (const DriftStock& r : stock) rows[{r.store_id, r.product_id}] = &r;
  std::vector<Drift> out;
  const auto compare = [&](const std::pair<Id, Id>& key, std::pair<Qty, Qty> expected,
                           const DriftStock* row) {
    const auto [store, product] = key;
    Differ(out, {DriftField::kStockCommitted, store, product, std::nullopt, expected.first,
                 row ? row->committed : 0});
    Differ(out, {DriftField::kStockBackordered, store, product, std::nullopt, expected.second,
                 row ? row->backordered : 0});
  };
  auto s = sums_.begin();
  auto r = rows.begin();
  while (s != sums_.end() || r != rows.end()) {
    if (r == rows.end() || (s != sums_.end() && s->first < r->first)) {
      compare(s->first, s->second, nullptr);
      ++s;
    } else if (s == sums_.end() || r->first < s->first) {
      compare(r->first, {0, 0}, r->second);
      ++r;
    } else {
      compare(s->first, s->second, r->second);
      ++s;
      ++r;
    }
  }
  return out;
}

std::vector<Drift> StockDrift(const std::vector<DriftSpecialOrder>& special_orders,
                              const std::vector<DriftStock>& stock) {
  StockExpectation expected;
  for (const DriftSpecialOrder& so : special_orders) expected.Add(so);
  return expected.Compare(stock);
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
      Differ(out, {f, l->id, 0, so.id, expected, found});
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
    Differ(out, {DriftField::kRedStar, o.id, 0, std::nullopt, starred.contains(o.id) ? 1 : 0,
                 o.has_special_order ? 1 : 0});
  }
  return out;
}

}  // namespace so
