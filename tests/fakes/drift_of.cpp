#include "tests/fakes/drift_of.hpp"

namespace so::fakes {

std::vector<Drift> DriftOf(const FakeDb& db) {
  std::vector<DriftSpecialOrder> sos;
  std::vector<DriftLine> lines;
  for (const auto& [id, so] : db.special_orders) {
    const auto picked = db.picked.find(id);
    sos.push_back({id, so.store_id, so.order_id, so.order_line_id, so.product_id, so.quantity,
                   so.allocated_qty, picked == db.picked.end() ? 0 : picked->second, so.status});
    const OrderLine& l = db.lines.at(so.order_line_id);
    lines.push_back({l.id, l.status, l.committed_qty, l.backordered_qty});
  }
  std::vector<DriftStock> stock;
  for (const auto& [key, row] : db.stock) {
    stock.push_back({key.first, key.second, row.committed, row.backordered});
  }
  std::vector<DriftOrder> orders;
  for (const auto& [id, o] : db.orders) orders.push_back({id, o.has_special_order});
  std::vector<Drift> out = StockDrift(sos, stock);
  for (Drift& d : OrderDrift(sos, lines, orders)) out.push_back(std::move(d));
  return out;
}

}  // namespace so::fakes
