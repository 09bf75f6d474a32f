// FakeStore's batch methods: a WriteSet written row by row through the single-row methods, and
// the set-wise reads that have no single-row twin.
#include <algorithm>

#include "tests/fakes/fake_store.hpp"

namespace so::fakes {
namespace {

Error NoRow(const std::string& table, Id id) {
  return Error{ErrorKind::kPermanent, 0, table + " has no row with id " + std::to_string(id)};
}

}  // namespace

Status FakeStore::ApplyWrites(const WriteSet& w) {
  if (fail_apply_writes.times > 0) {
    --fail_apply_writes.times;
    return fail_apply_writes.error;
  }
  for (const auto& star : w.red_stars) {
    if (!db.orders.contains(star.order_id)) return NoRow("customer_orders", star.order_id);
    SO_RETURN_IF_ERROR(SetHasSpecialOrder(star.order_id, star.has_special_order, star.changed_at));
  }
  for (const auto& line : w.order_lines) {
    if (!db.lines.contains(line.id)) return NoRow("customer_order_lines", line.id);
    SO_RETURN_IF_ERROR(UpdateOrderLine(line));
  }
  for (const auto& so : w.special_orders) {
    if (!db.special_orders.contains(so.id)) return NoRow("special_orders", so.id);
    SO_RETURN_IF_ERROR(UpdateSpecialOrder(so));
  }
  for (const auto& line : w.arrival_lines) SO_RETURN_IF_ERROR(PutArrivalLine(line));
  for (const auto& d : w.stock) {
    SO_RETURN_IF_ERROR(AddToStock(d.store_id, d.product_id, d.committed, d.backordered));
  }
  for (const auto& l : w.po_lines) {
    if (!db.po_lines.contains(l.po_line_id)) return NoRow("purchase_order_lines", l.po_line_id);
    SO_RETURN_IF_ERROR(SetPoLineQuantity(l.po_line_id, l.quantity_ordered));
  }
  for (const auto& l : w.transfer_lines) SO_RETURN_IF_ERROR(InsertTransferLine(l).status());
  for (const auto& p : w.pickups)
    SO_RETURN_IF_ERROR(SetPickedQty(p.special_order_id, p.picked_qty));
  for (const auto& c : w.clocks) SO_RETURN_IF_ERROR(PutSoClock(c));
  for (const auto& [po, at] : w.po_sent) SO_RETURN_IF_ERROR(SetPoSentAt(po, at));
  for (const auto& a : w.audit) SO_RETURN_IF_ERROR(InsertAudit(a));
  for (const auto& r : w.refusals) {
    if (!db.inbox.contains(r.message_id)) {
      return Error{ErrorKind::kPermanent, 0, "no inbox row for " + r.message_id};
    }
    SO_RETURN_IF_ERROR(InboxRefused(r.message_id, r.reason));
  }
  db.flight_records.insert(db.flight_records.end(), w.flight_records.begin(),
                           w.flight_records.end());
  return WriteOutbox(w);
}

Result<std::vector<StockRow>> FakeStore::LockStocks(const std::vector<StockKey>& keys) {
  if (auto e = Tick()) return *e;
  std::vector<StockKey> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<StockRow> out;
  for (const StockKey& k : sorted) {
    if (auto it = db.stock.find(k); it != db.stock.end()) out.push_back(it->second);
  }
  return out;
}

Result<std::vector<PoLine>> FakeStore::LockPoLinesOfPos(const std::vector<Id>& po_ids) {
  if (auto e = Tick()) return *e;
  std::vector<PoLine> out;
  for (const auto& [id, line] : db.po_lines) {
    if (std::find(po_ids.begin(), po_ids.end(), line.po_id) != po_ids.end()) out.push_back(line);
  }
  return out;
}

Result<std::vector<PurchaseOrder>> FakeStore::LockPosOf(const std::vector<std::pair<Id, Id>>& pairs,
                                                        const std::vector<std::string>& statuses) {
  if (auto e = Tick()) return *e;
  std::vector<PurchaseOrder> out;
  for (const auto& [id, po] : db.pos) {
    const bool ours = std::find(pairs.begin(), pairs.end(),
                                std::make_pair(po.store_id, po.vendor_id)) != pairs.end();
    if (ours && std::find(statuses.begin(), statuses.end(), po.status) != statuses.end()) {
      out.push_back(po);
    }
  }
  return out;
}

}  // namespace so::fakes
