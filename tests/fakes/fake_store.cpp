#include "tests/fakes/fake_store.hpp"

#include <algorithm>
#include <limits>

namespace so::fakes {

void FakeDb::AddProduct(Id id, std::optional<Id> primary_vendor, bool allowed) {
  products[id] = Product{id, "SKU-" + std::to_string(id), primary_vendor, allowed};
}

void FakeDb::AddVendor(Id id, bool active) {
  vendors[id] = Vendor{id, "Vendor " + std::to_string(id), active};
}

void FakeDb::AddOffer(Id product, Id vendor, std::string cost, int lead_days, Qty pack, Qty moq) {
  product_vendors[{product, vendor}] =
      ProductVendor{vendor, std::move(cost), pack, moq, lead_days, true};
}

void FakeDb::SetOnHand(Id store, Id product, Qty on_hand) {
  auto& row = stock[{store, product}];
  row.store_id = store;
  row.product_id = product;
  row.on_hand = on_hand;
}

void FakeDb::AddOrderWithLine(Id order, Id line, Id store, Id product, Qty special_qty) {
  if (!orders.contains(order)) orders[order] = CustomerOrder{order, store, 7, "open", false};
  OrderLine l;
  l.id = line;
  l.order_id = order;
  l.product_id = product;
  l.quantity = special_qty;
  l.special_order_qty = special_qty;
  lines[line] = l;
}

Id FakeDb::AddPo(Id store, Id vendor, std::string status, Timestamp created_at) {
  const Id id = ++next_id;
  pos[id] = PurchaseOrder{id, store, vendor, std::move(status), created_at};
  return id;
}

Id FakeDb::AddPoLine(Id po, Id product, Qty qty) {
  const Id id = ++next_id;
  po_lines[id] = PoLine{id, po, product, qty, 0, "1.0000"};
  return id;
}

void FakeDb::CompleteShipment(Id shipment, Id po, std::vector<ShipmentLine> shipped) {
  const PurchaseOrder& p = pos.at(po);
  for (const auto& l : shipped) {
    auto& row = stock[{p.store_id, l.product_id}];
    row.store_id = p.store_id;
    row.product_id = l.product_id;
    row.on_hand += l.quantity;
    po_lines.at(l.po_line_id).quantity_received += l.quantity;
  }
  shipments[shipment] = Shipment{shipment, po, p.store_id, p.vendor_id, "completed", shipped};
}

void FakeDb::ReceiveTransfer(Id transfer, const std::vector<TransferLine>& received) {
  StoreTransfer& t = transfers.at(transfer);
  for (const auto& l : received) {
    SetOnHand(t.from_store_id, l.product_id,
              Stock(t.from_store_id, l.product_id).on_hand - l.quantity);
    SetOnHand(t.to_store_id, l.product_id, Stock(t.to_store_id, l.product_id).on_hand + l.quantity);
  }
  t.status = "received";
}

std::optional<Error> FakeStore::Tick() {
  ++calls_;
  if (fail_at_ != 0 && calls_ == fail_at_) {
    fail_at_ = 0;
    return fail_error_;
  }
  return std::nullopt;
}

#define FAKE_TICK()                 \
  do {                              \
    if (auto e = Tick()) return *e; \
  } while (false)

// Keeps a row's value before the transaction's first write to it (outside a transaction there is
// nothing to undo).
template <typename Table, typename Undo>
static void Remember(
    const Table& table, std::optional<Undo>& undo,
    std::map<typename Table::key_type, std::optional<typename Table::mapped_type>> Undo::*kept,
    const typename Table::key_type& key) {
  if (!undo) return;
  auto& saved = (*undo).*kept;
  if (saved.contains(key)) return;
  auto it = table.find(key);
  saved.emplace(key, it == table.end() ? std::nullopt
                                       : std::optional<typename Table::mapped_type>(it->second));
}

template <typename Table, typename Saved>
static void Restore(Table& table, Saved& saved) {
  for (auto& [key, value] : saved) {
    if (value) {
      table[key] = std::move(*value);
    } else {
      table.erase(key);
    }
  }
}

#define FAKE_REMEMBER(table, key) Remember(db.table, undo_, &Undo::table, key)

Status FakeStore::Begin() {
  FAKE_TICK();
  undo_.emplace();
  undo_->audit_size = db.audit.size();
  undo_->next_id = db.next_id;
  return Status();
}

Status FakeStore::Commit() {
  FAKE_TICK();
  if (fail_commits) return *fail_commits;
  undo_.reset();
  ++commits_;
  if (lose_commit_answer) {
    Error e = *lose_commit_answer;
    lose_commit_answer.reset();
    return e;
  }
  return Status();
}

void FakeStore::Rollback() {
  if (!undo_) return;
  Undo& u = *undo_;
  Restore(db.inbox, u.inbox);
  Restore(db.orders, u.orders);
  Restore(db.lines, u.lines);
  Restore(db.special_orders, u.special_orders);
  Restore(db.stock, u.stock);
  Restore(db.pos, u.pos);
  Restore(db.po_lines, u.po_lines);
  Restore(db.transfers, u.transfers);
  Restore(db.arrivals, u.arrivals);
  Restore(db.picked, u.picked);
  db.audit.resize(u.audit_size);
  db.next_id = u.next_id;
  undo_.reset();
}

Result<bool> FakeStore::InboxHas(const std::string& message_id) {
  FAKE_TICK();
  return db.inbox.contains(message_id);
}

Result<bool> FakeStore::InboxClaim(const Envelope& envelope) {
  FAKE_TICK();
  FAKE_REMEMBER(inbox, envelope.id);
  return db.inbox.emplace(envelope.id, "applied").second;
}

Status FakeStore::InboxRefused(const std::string& message_id, std::string_view) {
  FAKE_TICK();
  FAKE_REMEMBER(inbox, message_id);
  db.inbox.at(message_id) = "refused";
  return Status();
}

template <typename M, typename K>
static auto Find(const M& m, const K& k) -> std::optional<typename M::mapped_type> {
  auto it = m.find(k);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

// The special orders that pass `keep` and are neither completed nor cancelled, in id order.
template <typename Pred>
static std::vector<SpecialOrder> ActiveWhere(const FakeDb& db, Pred keep) {
  std::vector<SpecialOrder> out;
  for (const auto& [id, so] : db.special_orders) {
    if (so.status != SoStatus::kCompleted && so.status != SoStatus::kCancelled && keep(so)) {
      out.push_back(so);
    }
  }
  return out;
}

Result<std::optional<Product>> FakeStore::GetProduct(Id id) {
  FAKE_TICK();
  return Find(db.products, id);
}

Result<std::optional<Vendor>> FakeStore::GetVendor(Id id) {
  FAKE_TICK();
  return Find(db.vendors, id);
}

Result<std::vector<ProductVendor>> FakeStore::GetProductVendors(Id product_id) {
  FAKE_TICK();
  std::vector<ProductVendor> out;
  for (const auto& [key, pv] : db.product_vendors) {
    if (key.first != product_id) continue;
    ProductVendor copy = pv;
    auto v = db.vendors.find(key.second);
    copy.vendor_active = v != db.vendors.end() && v->second.active;
    out.push_back(copy);
  }
  return out;
}

Result<std::optional<CustomerOrder>> FakeStore::LockOrder(Id id) {
  FAKE_TICK();
  return Find(db.orders, id);
}

Result<std::optional<OrderLine>> FakeStore::LockOrderLine(Id id) {
  FAKE_TICK();
  return Find(db.lines, id);
}

Result<StockRow> FakeStore::LockStock(Id store_id, Id product_id) {
  FAKE_TICK();
  auto row = Find(db.stock, std::make_pair(store_id, product_id));
  return row ? *row : StockRow{store_id, product_id, 0, 0, 0};
}

Result<std::optional<Shipment>> FakeStore::GetShipment(Id id) {
  FAKE_TICK();
  return Find(db.shipments, id);
}

Result<std::vector<Id>> FakeStore::UnappliedShipmentsOfPo(Id po_id) {
  FAKE_TICK();
  std::vector<Id> out;
  for (const auto& [id, s] : db.shipments) {
    if (s.po_id != po_id || s.status != "completed") continue;
    // The ledger is keyed (kind, arrival, product): one lookup finds any line of the shipment, so
    // that tests applying thousands of messages do not scan it for every shipment.
    auto it = db.arrivals.lower_bound({ArrivalKind::kShipment, id, std::numeric_limits<Id>::min()});
    const bool recorded = it != db.arrivals.end() &&
                          std::get<0>(it->first) == ArrivalKind::kShipment &&
                          std::get<1>(it->first) == id;
    if (!recorded) out.push_back(id);
  }
  return out;
}

Result<std::optional<SpecialOrder>> FakeStore::LockSpecialOrder(Id id) {
  FAKE_TICK();
  return Find(db.special_orders, id);
}

Result<std::optional<SpecialOrder>> FakeStore::LockSpecialOrderByLine(Id line_id) {
  FAKE_TICK();
  for (const auto& [id, so] : db.special_orders) {
    if (so.order_line_id == line_id) return std::optional<SpecialOrder>(so);
  }
  return std::optional<SpecialOrder>();
}

Result<std::vector<SpecialOrder>> FakeStore::LockSpecialOrdersOfOrder(Id order_id) {
  FAKE_TICK();
  std::vector<SpecialOrder> out;
  for (const auto& [id, so] : db.special_orders) {
    if (so.order_id == order_id) out.push_back(so);
  }
  return out;
}

Result<std::vector<SpecialOrder>> FakeStore::LockSpecialOrdersOnPoLines(
    const std::vector<Id>& po_line_ids) {
  FAKE_TICK();
  return ActiveWhere(db, [&](const SpecialOrder& so) {
    return so.po_line_id &&
           std::find(po_line_ids.begin(), po_line_ids.end(), *so.po_line_id) != po_line_ids.end();
  });
}

Result<std::vector<SpecialOrder>> FakeStore::LockSpecialOrdersOnPo(Id po_id) {
  FAKE_TICK();
  return ActiveWhere(db, [&](const SpecialOrder& so) { return so.po_id == po_id; });
}

Result<std::vector<SpecialOrder>> FakeStore::LockSpecialOrdersOnTransfer(Id transfer_id) {
  FAKE_TICK();
  return ActiveWhere(db, [&](const SpecialOrder& so) { return so.transfer_id == transfer_id; });
}

Result<std::vector<SpecialOrder>> FakeStore::LockWaitingSpecialOrders(Id store_id, Id product_id) {
  FAKE_TICK();
  return ActiveWhere(db, [&](const SpecialOrder& so) {
    return so.store_id == store_id && so.product_id == product_id && so.waiting() > 0;
  });
}

Result<Id> FakeStore::InsertSpecialOrder(const SpecialOrder& so) {
  FAKE_TICK();
  SpecialOrder row = so;
  row.id = ++db.next_id;
  FAKE_REMEMBER(special_orders, row.id);
  db.special_orders[row.id] = row;
  return row.id;
}

Status FakeStore::UpdateSpecialOrder(const SpecialOrder& so) {
  FAKE_TICK();
  FAKE_REMEMBER(special_orders, so.id);
  db.special_orders.at(so.id) = so;
  return Status();
}

Status FakeStore::UpdateOrderLine(const OrderLine& line) {
  FAKE_TICK();
  FAKE_REMEMBER(lines, line.id);
  auto& row = db.lines.at(line.id);
  row.status = line.status;
  row.committed_qty = line.committed_qty;
  row.backordered_qty = line.backordered_qty;
  return Status();
}

Status FakeStore::SetHasSpecialOrder(Id order_id, bool value, Timestamp) {
  FAKE_TICK();
  FAKE_REMEMBER(orders, order_id);
  db.orders.at(order_id).has_special_order = value;
  return Status();
}

Status FakeStore::AddToStock(Id store_id, Id product_id, Qty committed_delta,
                             Qty backordered_delta) {
  FAKE_TICK();
  FAKE_REMEMBER(stock, std::make_pair(store_id, product_id));
  auto& row = db.stock[{store_id, product_id}];
  row.store_id = store_id;
  row.product_id = product_id;
  row.committed += committed_delta;
  row.backordered += backordered_delta;
  return Status();
}

Result<std::optional<PurchaseOrder>> FakeStore::LockPo(Id id) {
  FAKE_TICK();
  return Find(db.pos, id);
}

Result<std::optional<PurchaseOrder>> FakeStore::LockNewestPo(
    Id store_id, Id vendor_id, const std::vector<std::string>& statuses) {
  FAKE_TICK();
  std::optional<PurchaseOrder> best;
  for (const auto& [id, po] : db.pos) {
    if (po.store_id != store_id || po.vendor_id != vendor_id ||
        std::find(statuses.begin(), statuses.end(), po.status) == statuses.end()) {
      continue;
    }
    if (!best || std::tie(po.created_at, po.id) > std::tie(best->created_at, best->id)) best = po;
  }
  return best;
}

Result<std::optional<PoLine>> FakeStore::LockPoLine(Id po_id, Id product_id) {
  FAKE_TICK();
  for (const auto& [id, line] : db.po_lines) {
    if (line.po_id == po_id && line.product_id == product_id) return std::optional<PoLine>(line);
  }
  return std::optional<PoLine>();
}

Result<Id> FakeStore::InsertPo(const PurchaseOrder& po, std::string_view) {
  FAKE_TICK();
  PurchaseOrder row = po;
  row.id = ++db.next_id;
  FAKE_REMEMBER(pos, row.id);
  db.pos[row.id] = row;
  return row.id;
}

Result<Id> FakeStore::InsertPoLine(const PoLine& line) {
  FAKE_TICK();
  PoLine row = line;
  row.id = ++db.next_id;
  FAKE_REMEMBER(po_lines, row.id);
  db.po_lines[row.id] = row;
  return row.id;
}

Status FakeStore::SetPoLineQuantity(Id po_line_id, Qty quantity_ordered) {
  FAKE_TICK();
  FAKE_REMEMBER(po_lines, po_line_id);
  db.po_lines.at(po_line_id).quantity_ordered = quantity_ordered;
  return Status();
}

Result<std::vector<StockRow>> FakeStore::GetStockOfProduct(Id product_id) {
  FAKE_TICK();
  std::vector<StockRow> out;
  for (const auto& [key, row] : db.stock) {
    if (key.second == product_id) out.push_back(row);
  }
  return out;
}

Result<std::optional<StoreTransfer>> FakeStore::GetTransfer(Id transfer_id) {
  FAKE_TICK();
  return Find(db.transfers, transfer_id);
}

Result<Id> FakeStore::InsertTransfer(const StoreTransfer& transfer, std::string_view) {
  FAKE_TICK();
  StoreTransfer row = transfer;
  row.id = ++db.next_id;
  row.status = "requested";
  row.lines.clear();
  FAKE_REMEMBER(transfers, row.id);
  db.transfers[row.id] = row;
  return row.id;
}

Result<Id> FakeStore::InsertTransferLine(const StoreTransferLine& line) {
  FAKE_TICK();
  StoreTransferLine row = line;
  row.id = ++db.next_id;
  FAKE_REMEMBER(transfers, line.transfer_id);
  db.transfers.at(line.transfer_id).lines.push_back(row);
  return row.id;
}

Result<Qty> FakeStore::LockPickedQty(Id special_order_id) {
  FAKE_TICK();
  auto it = db.picked.find(special_order_id);
  return it == db.picked.end() ? Qty{0} : it->second;
}

Status FakeStore::SetPickedQty(Id special_order_id, Qty picked_qty) {
  FAKE_TICK();
  FAKE_REMEMBER(picked, special_order_id);
  db.picked[special_order_id] = picked_qty;
  return Status();
}

Result<std::vector<ArrivalLine>> FakeStore::LockArrivalLines(ArrivalKind kind, Id arrival_id) {
  FAKE_TICK();
  std::vector<ArrivalLine> out;
  for (const auto& [key, line] : db.arrivals) {
    if (std::get<0>(key) == kind && std::get<1>(key) == arrival_id) out.push_back(line);
  }
  return out;
}

Status FakeStore::PutArrivalLine(const ArrivalLine& line) {
  FAKE_TICK();
  FAKE_REMEMBER(arrivals, std::make_tuple(line.kind, line.arrival_id, line.product_id));
  db.arrivals[{line.kind, line.arrival_id, line.product_id}] = line;
  return Status();
}

Status FakeStore::InsertAudit(const AuditEntry& entry) {
  FAKE_TICK();
  db.audit.push_back(entry);
  return Status();
}

// The same facts as the MySQL query, from the fake's rows (see PendingFacts for each kind).
Result<PendingFacts> FakeStore::FindPendingFacts(int limit) {
  FAKE_TICK();
  PendingFacts f;
  const auto full = [limit](const auto& v) { return static_cast<int>(v.size()) >= limit; };
  const auto live = [](const SpecialOrder& so) {
    return so.status != SoStatus::kCompleted && so.status != SoStatus::kCancelled;
  };
  std::map<Id, const SpecialOrder*> by_line;
  for (const auto& [id, so] : db.special_orders) by_line[so.order_line_id] = &so;
  for (const auto& [id, line] : db.lines) {
    const CustomerOrder& order = db.orders.at(line.order_id);
    auto it = by_line.find(id);
    if (it == by_line.end()) {
      if (order.status == "open" && line.special_order_qty > 0 && !full(f.unrequested_lines)) {
        f.unrequested_lines.push_back({order.id, id, line.product_id, Timestamp{}});
      }
    } else if (live(*it->second) && it->second->quantity != line.special_order_qty &&
               !full(f.changed_lines)) {
      f.changed_lines.push_back({order.id, id, line.special_order_qty, it->second->updated_at});
    }
  }
  for (const auto& [id, order] : db.orders) {
    bool has_live = false;
    for (const auto& [sid, so] : db.special_orders)
      has_live = has_live || (so.order_id == id && live(so));
    if (!has_live) continue;
    if (order.status == "cancelled" && !full(f.cancelled_orders)) f.cancelled_orders.push_back(id);
    if (order.status == "completed" && !full(f.completed_orders)) f.completed_orders.push_back(id);
  }
  const auto waiting_on = [&](auto pred) {
    for (const auto& [sid, so] : db.special_orders) {
      if (live(so) && so.waiting() > 0 && pred(so)) return true;
    }
    return false;
  };
  for (const auto& [id, s] : db.shipments) {
    if (s.status == "completed" && !full(f.shipments)) {
      bool recorded = false;
      for (const auto& [key, a] : db.arrivals) {
        recorded =
            recorded || (std::get<0>(key) == ArrivalKind::kShipment && std::get<1>(key) == id);
      }
      if (!recorded && waiting_on([&](const SpecialOrder& so) { return so.po_id == s.po_id; })) {
        f.shipments.push_back(id);
      }
    }
  }
  for (const auto& [id, t] : db.transfers) {
    bool recorded = false;
    for (const auto& [key, a] : db.arrivals) {
      recorded = recorded || (std::get<0>(key) == ArrivalKind::kTransfer && std::get<1>(key) == id);
    }
    if (t.status == "received" && !recorded && !full(f.transfers) &&
        waiting_on([&](const SpecialOrder& so) { return so.transfer_id == id; })) {
      f.transfers.push_back(id);
    }
  }
  for (const auto& [id, po] : db.pos) {
    if ((po.status == "cancelled" || po.status == "closed" || po.status == "received") &&
        !full(f.pos_gone_wrong) && waiting_on([&](const SpecialOrder& so) {
          return so.po_id == id && so.status != SoStatus::kArrived;
        })) {
      f.pos_gone_wrong.push_back({id, po.status});
    }
  }
  return f;
}

}  // namespace so::fakes
