#include "tests/fakes/fake_store.hpp"

#include <algorithm>

namespace so::fakes {

void FakeDb::AddProduct(Id id, std::optional<Id> primary_vendor, bool allowed) {
  products[id] = Product{id, "SKU-" + std::to_string(id), primary_vendor, allowed};
}

void FakeDb::AddVendor(Id id, bool active) {
  vendors[id] = Vendor{id, "Vendor " + std::to_string(id), active};
}

void FakeDb::AddOffer(Id product, Id vendor, std::string cost, int lead_days, Qty pack,
                      Qty moq) {
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

std::optional<Error> FakeStore::Tick() {
  ++calls_;
  if (fail_at_ != 0 && calls_ == fail_at_) {
    fail_at_ = 0;
    return fail_error_;
  }
  return std::nullopt;
}

#define FAKE_TICK()                   \
  do {                                \
    if (auto e = Tick()) return *e;   \
  } while (false)

Status FakeStore::Begin() {
  FAKE_TICK();
  snapshot_ = db;
  return Status();
}

Status FakeStore::Commit() {
  FAKE_TICK();
  if (fail_commits) return *fail_commits;
  snapshot_.reset();
  if (lose_commit_answer) {
    Error e = *lose_commit_answer;
    lose_commit_answer.reset();
    return e;
  }
  return Status();
}

void FakeStore::Rollback() {
  if (snapshot_) db = std::move(*snapshot_);
  snapshot_.reset();
}

Result<bool> FakeStore::InboxHas(const std::string& message_id) {
  FAKE_TICK();
  return db.inbox.contains(message_id);
}

Status FakeStore::InboxAdd(const Envelope& envelope, std::string_view outcome,
                           std::string_view) {
  FAKE_TICK();
  if (db.inbox.contains(envelope.id)) return Error{ErrorKind::kPermanent, 1062, "duplicate"};
  db.inbox[envelope.id] = std::string(outcome);
  return Status();
}

template <typename M, typename K>
static auto Find(const M& m, const K& k) -> std::optional<typename M::mapped_type> {
  auto it = m.find(k);
  if (it == m.end()) return std::nullopt;
  return it->second;
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
  std::vector<SpecialOrder> out;
  for (const auto& [id, so] : db.special_orders) {
    if (so.po_line_id &&
        std::find(po_line_ids.begin(), po_line_ids.end(), *so.po_line_id) != po_line_ids.end() &&
        so.status != SoStatus::kCompleted && so.status != SoStatus::kCancelled) {
      out.push_back(so);
    }
  }
  return out;
}

Result<Id> FakeStore::InsertSpecialOrder(const SpecialOrder& so) {
  FAKE_TICK();
  SpecialOrder row = so;
  row.id = ++db.next_id;
  db.special_orders[row.id] = row;
  return row.id;
}

Status FakeStore::UpdateSpecialOrder(const SpecialOrder& so) {
  FAKE_TICK();
  db.special_orders.at(so.id) = so;
  return Status();
}

Status FakeStore::UpdateOrderLine(const OrderLine& line) {
  FAKE_TICK();
  auto& row = db.lines.at(line.id);
  row.status = line.status;
  row.committed_qty = line.committed_qty;
  row.backordered_qty = line.backordered_qty;
  return Status();
}

Status FakeStore::SetHasSpecialOrder(Id order_id, bool value, Timestamp) {
  FAKE_TICK();
  db.orders.at(order_id).has_special_order = value;
  return Status();
}

Status FakeStore::AddToStock(Id store_id, Id product_id, Qty committed_delta,
                             Qty backordered_delta) {
  FAKE_TICK();
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
  db.pos[row.id] = row;
  return row.id;
}

Result<Id> FakeStore::InsertPoLine(const PoLine& line) {
  FAKE_TICK();
  PoLine row = line;
  row.id = ++db.next_id;
  db.po_lines[row.id] = row;
  return row.id;
}

Status FakeStore::SetPoLineQuantity(Id po_line_id, Qty quantity_ordered) {
  FAKE_TICK();
  db.po_lines.at(po_line_id).quantity_ordered = quantity_ordered;
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
  db.arrivals[{line.kind, line.arrival_id, line.product_id}] = line;
  return Status();
}

Status FakeStore::InsertAudit(const AuditEntry& entry) {
  FAKE_TICK();
  db.audit.push_back(entry);
  return Status();
}

}  // namespace so::fakes
