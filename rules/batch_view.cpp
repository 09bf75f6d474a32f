// The view's answers and writes; its prefetch is in batch_prefetch.cpp.
#include "rules/batch_view.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "rules/queries.hpp"

namespace so {
namespace {

Error Bug(std::string what) { return Error{ErrorKind::kPermanent, 0, "bug: " + std::move(what)}; }

// The keys of `keys` that `known` does not hold, sorted and distinct.
template <typename K, typename Known>
std::vector<K> Unknown(std::vector<K> keys, const Known& known) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::erase_if(keys, [&known](const K& k) { return known.contains(k); });
  return keys;
}

std::string Str(Id id) { return std::to_string(id); }

constexpr Id kFirstId = std::numeric_limits<Id>::min();

}  // namespace

// --- Loading ---

void BatchView::Keep(const SpecialOrder& so) {
  if (special_orders_.emplace(so.id, so).second) {
    special_order_of_line_[so.order_line_id] = so.id;
    missing_special_orders_.erase(so.id);
    index_.Add(so);
  }
}

void BatchView::SpecialOrderIndex::Add(const SpecialOrder& so) {
  by_order[so.order_id].insert(so.id);
  by_store_product[{so.store_id, so.product_id}].insert(so.id);
  if (so.po_line_id) by_po_line[*so.po_line_id].insert(so.id);
  if (so.po_id) by_po[*so.po_id].insert(so.id);
  if (so.transfer_id) by_transfer[*so.transfer_id].insert(so.id);
}

// Only what a write may change: a special order keeps its order, store and product.
void BatchView::SpecialOrderIndex::Move(const SpecialOrder& from, const SpecialOrder& to) {
  const auto move = [&](std::map<Id, std::set<Id>>& index, const std::optional<Id>& before,
                        const std::optional<Id>& after) {
    if (before == after) return;
    if (before) index[*before].erase(from.id);
    if (after) index[*after].insert(to.id);
  };
  move(by_po_line, from.po_line_id, to.po_line_id);
  move(by_po, from.po_id, to.po_id);
  move(by_transfer, from.transfer_id, to.transfer_id);
}

Status BatchView::LoadOrders(std::vector<Id> ids) {
  ids = Unknown(std::move(ids), orders_);
  if (ids.empty()) return Status();
  ++store_reads_;
  SO_ASSIGN_OR_RETURN(auto rows, store_.LockOrders(ids));
  for (Id id : ids) orders_[id] = std::nullopt;
  for (auto& o : rows) orders_[o.id] = std::move(o);
  return Status();
}

Status BatchView::LoadLines(std::vector<Id> ids) {
  ids = Unknown(std::move(ids), lines_);
  if (ids.empty()) return Status();
  ++store_reads_;
  SO_ASSIGN_OR_RETURN(auto rows, store_.LockOrderLines(ids));
  for (Id id : ids) lines_[id] = std::nullopt;
  for (auto& l : rows) lines_[l.id] = std::move(l);
  return Status();
}

Status BatchView::LoadSpecialOrders(std::vector<Id> ids) {
  ids = Unknown(std::move(ids), special_orders_);
  std::erase_if(ids, [this](Id id) { return missing_special_orders_.contains(id); });
  if (ids.empty()) return Status();
  ++store_reads_;
  SO_ASSIGN_OR_RETURN(auto rows, store_.LockSpecialOrders(ids));
  for (Id id : ids) missing_special_orders_.insert(id);
  for (const auto& so : rows) Keep(so);
  return Status();
}

Status BatchView::LoadSpecialOrdersOfLines(std::vector<Id> line_ids) {
  line_ids = Unknown(std::move(line_ids), loaded_lines_);
  if (line_ids.empty()) return Status();
  ++store_reads_;
  SO_ASSIGN_OR_RETURN(auto rows, store_.LockSpecialOrdersByLines(line_ids));
  for (const auto& so : rows) Keep(so);
  loaded_lines_.insert(line_ids.begin(), line_ids.end());
  return Status();
}

Status BatchView::LoadSpecialOrdersOfOrders(std::vector<Id> order_ids) {
  order_ids = Unknown(std::move(order_ids), loaded_orders_);
  if (order_ids.empty()) return Status();
  ++store_reads_;
  SO_ASSIGN_OR_RETURN(auto rows, store_.LockSpecialOrdersOfOrders(order_ids));
  for (const auto& so : rows) Keep(so);
  loaded_orders_.insert(order_ids.begin(), order_ids.end());
  // Every special order of an order is known, so is that of each of its lines.
  for (const auto& so : rows) loaded_lines_.insert(so.order_line_id);
  return Status();
}

Status BatchView::LoadSpecialOrdersOnPoLines(std::vector<Id> po_line_ids) {
  po_line_ids = Unknown(std::move(po_line_ids), loaded_po_lines_);
  if (po_line_ids.empty()) return Status();
  ++store_reads_;
  SO_ASSIGN_OR_RETURN(auto rows, store_.LockSpecialOrdersOnPoLines(po_line_ids));
  for (const auto& so : rows) Keep(so);
  loaded_po_lines_.insert(po_line_ids.begin(), po_line_ids.end());
  return Status();
}

Status BatchView::LoadArrivals(std::vector<ArrivalKey> keys) {
  keys = Unknown(std::move(keys), loaded_arrivals_);
  if (keys.empty()) return Status();
  ++store_reads_;
  SO_ASSIGN_OR_RETURN(auto rows, store_.LockArrivalLinesOf(keys));
  for (const auto& line : rows) {
    arrivals_.emplace(std::make_tuple(line.kind, line.arrival_id, line.product_id), line);
  }
  loaded_arrivals_.insert(keys.begin(), keys.end());
  return Status();
}

Status BatchView::LoadStock(std::vector<StockKey> keys, bool lock) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::erase_if(keys, [&](const StockKey& k) {
    auto it = stock_.find(k);
    return it != stock_.end() && it->second.read && (it->second.locked || !lock);
  });
  if (keys.empty()) return Status();
  ++store_reads_;
  SO_ASSIGN_OR_RETURN(auto rows, store_.LockStocks(keys));
  for (const StockKey& k : keys) {
    Stock& s = stock_[k];
    s.base = StockRow{k.first, k.second, 0, 0, 0};
    s.read = s.locked = true;
    s.exists = s.written;  // a row this batch wrote exists for the batch
  }
  for (const StockRow& row : rows) {
    Stock& s = stock_[{row.store_id, row.product_id}];
    s.base = row;
    s.exists = true;
  }
  return Status();
}

Status BatchView::LoadPos(std::vector<Id> ids) {
  ids = Unknown(std::move(ids), pos_);
  if (ids.empty()) return Status();
  ++store_reads_;
  SO_ASSIGN_OR_RETURN(auto rows, store_.LockPos(ids));
  for (Id id : ids) pos_[id] = std::nullopt;
  for (auto& po : rows) pos_[po.id] = std::move(po);
  return Status();
}

Status BatchView::LoadPosOf(std::vector<std::pair<Id, Id>> pairs,
                            const std::vector<std::string>& statuses) {
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  std::erase_if(pairs, [&](const std::pair<Id, Id>& p) {
    auto it = loaded_pos_of_.find(p);
    return it != loaded_pos_of_.end() &&
           std::all_of(statuses.begin(), statuses.end(),
                       [&](const std::string& st) { return it->second.contains(st); });
  });
  if (pairs.empty()) return Status();
  ++store_reads_;
  SO_ASSIGN_OR_RETURN(auto rows, store_.LockPosOf(pairs, statuses));
  std::vector<Id> ids;
  for (auto& po : rows) {
    ids.push_back(po.id);
    pos_.emplace(po.id, std::move(po));
  }
  for (const auto& p : pairs) loaded_pos_of_[p].insert(statuses.begin(), statuses.end());
  return LoadPoLinesOfPos(std::move(ids));
}

Status BatchView::LoadPoLinesOfPos(std::vector<Id> po_ids) {
  po_ids = Unknown(std::move(po_ids), loaded_po_lines_of_po_);
  if (po_ids.empty()) return Status();
  ++store_reads_;
  SO_ASSIGN_OR_RETURN(auto rows, store_.LockPoLinesOfPos(po_ids));
  for (const auto& line : rows) po_lines_.emplace(line.id, line);
  loaded_po_lines_of_po_.insert(po_ids.begin(), po_ids.end());
  return Status();
}

Status BatchView::LoadPicked(std::vector<Id> ids) {
  ids = Unknown(std::move(ids), picked_);
  if (ids.empty()) return Status();
  ++store_reads_;
  SO_ASSIGN_OR_RETURN(auto rows, store_.LockPickedQtys(ids));
  for (Id id : ids) picked_[id] = 0;
  for (const auto& [id, qty] : rows) picked_[id] = qty;
  return Status();
}

Status BatchView::LoadClocks(std::vector<Id> ids) {
  ids = Unknown(std::move(ids), clocks_);
  std::erase_if(ids, [this](Id id) {
    if (!IsNew(id)) return false;
    clocks_[id] = std::nullopt;
    return true;
  });
  if (ids.empty()) return Status();
  ++store_reads_;
  SO_ASSIGN_OR_RETURN(auto rows, store_.LockSoClocks(ids));
  for (Id id : ids) clocks_[id] = std::nullopt;
  for (SoClock& c : rows) clocks_[c.special_order_id] = std::move(c);
  return Status();
}

Status BatchView::LoadProducts(std::vector<Id> ids) {
  ids = Unknown(std::move(ids), products_);
  if (ids.empty()) return Status();
  ++store_reads_;
  SO_ASSIGN_OR_RETURN(auto rows, store_.GetProducts(ids));
  for (Id id : ids) products_[id] = std::nullopt;
  for (auto& p : rows) products_[p.id] = std::move(p);
  return Status();
}

Status BatchView::LoadVendors(std::vector<Id> ids) {
  ids = Unknown(std::move(ids), vendors_);
  if (ids.empty()) return Status();
  ++store_reads_;
  SO_ASSIGN_OR_RETURN(auto rows, store_.GetVendors(ids));
  for (Id id : ids) vendors_[id] = std::nullopt;
  for (auto& v : rows) vendors_[v.id] = std::move(v);
  return Status();
}

Status BatchView::LoadProductVendors(std::vector<Id> product_ids) {
  product_ids = Unknown(std::move(product_ids), product_vendors_);
  if (product_ids.empty()) return Status();
  ++store_reads_;
  SO_ASSIGN_OR_RETURN(auto offers, store_.GetProductVendorsOf(product_ids));
  for (Id id : product_ids) product_vendors_[id] = std::move(offers[id]);
  return Status();
}

Status BatchView::LoadShipments(std::vector<Id> ids) {
  ids = Unknown(std::move(ids), shipments_);
  if (ids.empty()) return Status();
  ++store_reads_;
  SO_ASSIGN_OR_RETURN(auto rows, store_.GetShipments(ids));
  for (Id id : ids) shipments_[id] = std::nullopt;
  for (auto& s : rows) shipments_[s.id] = std::move(s);
  return Status();
}

Status BatchView::LoadTransfer(Id id) {
  if (transfers_.contains(id)) return Status();
  ++store_reads_;
  SO_ASSIGN_OR_RETURN(transfers_[id], store_.GetTransfer(id));
  return Status();
}

// --- Transactions and the inbox: the caller's ---

Status BatchView::Begin() { return Bug("Begin() on a batch view"); }
Status BatchView::Commit() { return Bug("Commit() on a batch view"); }
Result<bool> BatchView::InboxHas(const std::string& message_id) {
  return store_.InboxHas(message_id);
}
Result<bool> BatchView::InboxClaim(const Envelope&) {
  return Bug("InboxClaim() on a batch view: the batch claims its messages before the view");
}

Status BatchView::InboxRefused(const std::string& message_id, std::string_view reason) {
  refusals_.push_back({message_id, std::string(reason)});
  return Status();
}

// --- Reads ---

Result<bool> BatchView::StoreExists(Id id) {
  if (!stores_.contains(id)) {
    ++store_reads_;
    SO_ASSIGN_OR_RETURN(stores_[id], store_.StoreExists(id));
  }
  return stores_.at(id);
}

Result<std::optional<Product>> BatchView::GetProduct(Id id) {
  SO_RETURN_IF_ERROR(LoadProducts({id}));
  return products_.at(id);
}

Result<std::optional<Vendor>> BatchView::GetVendor(Id id) {
  SO_RETURN_IF_ERROR(LoadVendors({id}));
  return vendors_.at(id);
}

Result<std::vector<ProductVendor>> BatchView::GetProductVendors(Id product_id) {
  SO_RETURN_IF_ERROR(LoadProductVendors({product_id}));
  return product_vendors_.at(product_id);
}

Result<std::optional<CustomerOrder>> BatchView::LockOrder(Id id) {
  SO_RETURN_IF_ERROR(LoadOrders({id}));
  return orders_.at(id);
}

Result<std::optional<OrderLine>> BatchView::LockOrderLine(Id id) {
  SO_RETURN_IF_ERROR(LoadLines({id}));
  return lines_.at(id);
}

Result<StockRow> BatchView::LockStock(Id store_id, Id product_id) {
  SO_RETURN_IF_ERROR(LoadStock({{store_id, product_id}}, /*lock=*/true));
  const Stock& s = stock_.at({store_id, product_id});
  StockRow row = s.base;
  row.committed += s.committed_delta;
  row.backordered += s.backordered_delta;
  return row;
}

Result<std::optional<Shipment>> BatchView::GetShipment(Id id) {
  SO_RETURN_IF_ERROR(LoadShipments({id}));
  return shipments_.at(id);
}

// The store's answer, less the shipments this batch has applied since (their ledger lines).
Result<std::vector<Id>> BatchView::UnappliedShipmentsOfPo(Id po_id) {
  if (!unapplied_shipments_.contains(po_id)) {
    ++store_reads_;
    SO_ASSIGN_OR_RETURN(unapplied_shipments_[po_id], store_.UnappliedShipmentsOfPo(po_id));
  }
  std::vector<Id> out = unapplied_shipments_.at(po_id);
  std::erase_if(out, [this](Id shipment) {
    auto it = arrivals_.lower_bound({ArrivalKind::kShipment, shipment, kFirstId});
    return it != arrivals_.end() && std::get<0>(it->first) == ArrivalKind::kShipment &&
           std::get<1>(it->first) == shipment;
  });
  return out;
}

Result<std::optional<SpecialOrder>> BatchView::LockSpecialOrder(Id id) {
  SO_RETURN_IF_ERROR(LoadSpecialOrders({id}));
  auto it = special_orders_.find(id);
  if (it == special_orders_.end()) return std::optional<SpecialOrder>();
  return std::optional<SpecialOrder>(it->second);
}

Result<std::optional<SpecialOrder>> BatchView::LockSpecialOrderByLine(Id line_id) {
  SO_RETURN_IF_ERROR(LoadSpecialOrdersOfLines({line_id}));
  auto it = special_order_of_line_.find(line_id);
  if (it == special_order_of_line_.end()) return std::optional<SpecialOrder>();
  return std::optional<SpecialOrder>(special_orders_.at(it->second));
}

Result<std::vector<SpecialOrder>> BatchView::LockSpecialOrdersOfOrder(Id order_id) {
  SO_RETURN_IF_ERROR(LoadSpecialOrdersOfOrders({order_id}));
  return Kept(Among(index_.by_order, order_id), [](const SpecialOrder&) { return true; });
}

Result<std::vector<SpecialOrder>> BatchView::LockSpecialOrdersOnPoLines(
    const std::vector<Id>& po_line_ids) {
  SO_RETURN_IF_ERROR(LoadSpecialOrdersOnPoLines(po_line_ids));
  std::set<Id> ids;
  for (Id line : po_line_ids) {
    const std::set<Id>& on = Among(index_.by_po_line, line);
    ids.insert(on.begin(), on.end());
  }
  return Kept(ids, [&po_line_ids](const SpecialOrder& so) {
    return std::any_of(po_line_ids.begin(), po_line_ids.end(),
                       [&so](Id line) { return queries::OnPoLine(so, line); });
  });
}

Result<std::vector<SpecialOrder>> BatchView::LockSpecialOrdersOnPo(Id po_id) {
  if (!loaded_pos_.contains(po_id)) {
    ++store_reads_;
    SO_ASSIGN_OR_RETURN(auto rows, store_.LockSpecialOrdersOnPo(po_id));
    for (const auto& so : rows) Keep(so);
    loaded_pos_.insert(po_id);
  }
  return Kept(Among(index_.by_po, po_id),
              [po_id](const SpecialOrder& so) { return queries::OnPo(so, po_id); });
}

Result<std::vector<SpecialOrder>> BatchView::LockSpecialOrdersOnTransfer(Id transfer_id) {
  if (!loaded_transfers_.contains(transfer_id)) {
    ++store_reads_;
    SO_ASSIGN_OR_RETURN(auto rows, store_.LockSpecialOrdersOnTransfer(transfer_id));
    for (const auto& so : rows) Keep(so);
    loaded_transfers_.insert(transfer_id);
  }
  return Kept(Among(index_.by_transfer, transfer_id), [transfer_id](const SpecialOrder& so) {
    return queries::OnTransfer(so, transfer_id);
  });
}

Result<std::vector<SpecialOrder>> BatchView::LockWaitingSpecialOrders(Id store_id, Id product_id) {
  if (!loaded_waiting_.contains({store_id, product_id})) {
    ++store_reads_;
    SO_ASSIGN_OR_RETURN(auto rows, store_.LockWaitingSpecialOrders(store_id, product_id));
    for (const auto& so : rows) Keep(so);
    loaded_waiting_.insert({store_id, product_id});
  }
  return Kept(Among(index_.by_store_product, StockKey{store_id, product_id}),
              [store_id, product_id](const SpecialOrder& so) {
                return queries::WaitsAt(so, store_id, product_id);
              });
}

Result<std::optional<PurchaseOrder>> BatchView::LockPo(Id id) {
  SO_RETURN_IF_ERROR(LoadPos({id}));
  return pos_.at(id);
}

// The store's newest matching PO, or one this batch created if newer. Exact because the daemon
// never changes a PO's status: the store's matching POs are those it had before the batch.
Result<std::optional<PurchaseOrder>> BatchView::LockNewestPo(
    Id store_id, Id vendor_id, const std::vector<std::string>& statuses) {
  const auto key = std::make_tuple(store_id, vendor_id, statuses);
  // Every PO of the pair in these statuses is here already: the newest of them is the answer.
  const auto loaded = loaded_pos_of_.find({store_id, vendor_id});
  const bool all_here = loaded != loaded_pos_of_.end() &&
                        std::all_of(statuses.begin(), statuses.end(), [&](const std::string& st) {
                          return loaded->second.contains(st);
                        });
  if (all_here) {
    std::optional<PurchaseOrder> best;
    for (const auto& [id, po] : pos_) {
      if (!po || po->store_id != store_id || po->vendor_id != vendor_id ||
          std::find(statuses.begin(), statuses.end(), po->status) == statuses.end()) {
        continue;
      }
      if (!best || std::tie(po->created_at, po->id) > std::tie(best->created_at, best->id)) {
        best = po;
      }
    }
    return best;
  }
  if (!newest_po_.contains(key)) {
    ++store_reads_;
    SO_ASSIGN_OR_RETURN(auto po, store_.LockNewestPo(store_id, vendor_id, statuses));
    newest_po_[key] = po ? std::optional<Id>(po->id) : std::nullopt;
    if (po) pos_.emplace(po->id, *po);
  }
  std::optional<PurchaseOrder> best;
  if (const auto& id = newest_po_.at(key)) best = *pos_.at(*id);
  for (Id id : inserted_pos_) {
    const PurchaseOrder& po = *pos_.at(id);
    if (po.store_id != store_id || po.vendor_id != vendor_id ||
        std::find(statuses.begin(), statuses.end(), po.status) == statuses.end()) {
      continue;
    }
    if (!best || std::tie(po.created_at, po.id) > std::tie(best->created_at, best->id)) best = po;
  }
  return best;
}

// All the PO's lines are read the first time one is asked for: the next products of a batch
// find theirs without another round trip.
Result<std::optional<PoLine>> BatchView::LockPoLine(Id po_id, Id product_id) {
  SO_RETURN_IF_ERROR(LoadPoLinesOfPos({po_id}));
  for (const auto& [id, line] : po_lines_) {
    if (line.po_id == po_id && line.product_id == product_id) return std::optional<PoLine>(line);
  }
  return std::optional<PoLine>();
}

Result<std::vector<StockRow>> BatchView::GetStockOfProduct(Id product_id) {
  if (!loaded_stock_of_product_.contains(product_id)) {
    ++store_reads_;
    SO_ASSIGN_OR_RETURN(auto rows, store_.GetStockOfProduct(product_id));
    for (const StockRow& row : rows) {
      Stock& s = stock_[{row.store_id, row.product_id}];
      if (s.read) continue;
      s.base = row;
      s.read = s.exists = true;
    }
    loaded_stock_of_product_.insert(product_id);
  }
  std::vector<StockRow> out;
  for (const auto& [key, s] : stock_) {
    if (key.second != product_id || !s.exists) continue;
    StockRow row = s.base;
    row.committed += s.committed_delta;
    row.backordered += s.backordered_delta;
    out.push_back(row);
  }
  return out;
}

Result<std::optional<StoreTransfer>> BatchView::GetTransfer(Id id) {
  SO_RETURN_IF_ERROR(LoadTransfer(id));
  return transfers_.at(id);
}

Result<Qty> BatchView::LockPickedQty(Id special_order_id) {
  SO_RETURN_IF_ERROR(LoadPicked({special_order_id}));
  return picked_.at(special_order_id);
}

Result<std::optional<SoClock>> BatchView::LockSoClock(Id special_order_id) {
  SO_RETURN_IF_ERROR(LoadClocks({special_order_id}));
  return clocks_.at(special_order_id);
}

Result<std::vector<SoClock>> BatchView::LockSoClocks(const std::vector<Id>& ids) {
  SO_RETURN_IF_ERROR(LoadClocks(ids));
  std::vector<SoClock> out;
  for (Id id : std::set<Id>(ids.begin(), ids.end())) {
    if (const auto& clock = clocks_.at(id)) out.push_back(*clock);
  }
  return out;
}

Result<std::optional<Timestamp>> BatchView::GetPoSentAt(Id po_id) {
  if (auto it = po_sent_.find(po_id); it != po_sent_.end()) return it->second;
  ++store_reads_;
  SO_ASSIGN_OR_RETURN(auto at, store_.GetPoSentAt(po_id));
  return po_sent_[po_id] = at;
}

Result<std::vector<ArrivalLine>> BatchView::LockArrivalLines(ArrivalKind kind, Id arrival_id) {
  SO_RETURN_IF_ERROR(LoadArrivals({{kind, arrival_id}}));
  std::vector<ArrivalLine> out;
  for (auto it = arrivals_.lower_bound({kind, arrival_id, kFirstId});
       it != arrivals_.end() && std::get<0>(it->first) == kind &&
       std::get<1>(it->first) == arrival_id;
       ++it) {
    out.push_back(it->second);
  }
  return out;
}

Result<PendingFacts> BatchView::FindPendingFacts(int, const StoreScope&) {
  return Bug("FindPendingFacts() on a batch view: the sweep reads the store itself");
}

Result<std::vector<ClockCandidate>> BatchView::FindClockCandidates(const ClockQuery&,
                                                                   const StoreScope&) {
  return Bug("FindClockCandidates() on a batch view: the scan reads the store itself");
}

Result<std::vector<StockRow>> BatchView::LockStocks(const std::vector<StockKey>&) {
  return Bug("LockStocks() on a batch view");
}

Result<std::vector<OrderLine>> BatchView::LockOrderLines(const std::vector<Id>& ids) {
  SO_RETURN_IF_ERROR(LoadLines(ids));
  std::vector<OrderLine> out;
  for (Id id : std::set<Id>(ids.begin(), ids.end())) {
    if (const auto& line = lines_.at(id)) out.push_back(*line);
  }
  return out;
}

Result<std::vector<PoLine>> BatchView::LockPoLinesOfPos(const std::vector<Id>& po_ids) {
  SO_RETURN_IF_ERROR(LoadPoLinesOfPos(po_ids));
  const std::set<Id> wanted(po_ids.begin(), po_ids.end());
  std::vector<PoLine> out;
  for (const auto& [id, line] : po_lines_) {
    if (wanted.contains(line.po_id)) out.push_back(line);
  }
  return out;
}

Result<std::vector<PurchaseOrder>> BatchView::LockPosOf(const std::vector<std::pair<Id, Id>>&,
                                                        const std::vector<std::string>&) {
  return Bug("LockPosOf() on a batch view");
}

Status BatchView::ApplyWrites(const WriteSet&) { return Bug("ApplyWrites() on a batch view"); }

// --- Writes that need a new id: to the store at once ---

Result<Id> BatchView::InsertSpecialOrder(const SpecialOrder& so) {
  // The store's own check, which the insert at the end would make too late to blame this
  // message: one special order per line.
  SO_RETURN_IF_ERROR(LoadSpecialOrdersOfLines({so.order_line_id}));
  if (special_order_of_line_.contains(so.order_line_id)) {
    return Error{ErrorKind::kPermanent, 1062,
                 "InsertSpecialOrder: line " + Str(so.order_line_id) + " has a special order"};
  }
  SpecialOrder row = so;
  row.id = next_provisional_id_++;
  Keep(row);
  new_special_orders_.push_back(row.id);
  return row.id;
}

Result<Id> BatchView::InsertPo(const PurchaseOrder& po, std::string_view created_by) {
  SO_ASSIGN_OR_RETURN(const Id id, store_.InsertPo(po, created_by));
  PurchaseOrder row = po;
  row.id = id;
  pos_[id] = row;
  inserted_pos_.push_back(id);
  // A new PO has no lines but those this batch gives it.
  loaded_po_lines_of_po_.insert(id);
  return id;
}

Result<Id> BatchView::InsertPoLine(const PoLine& line) {
  SO_ASSIGN_OR_RETURN(const Id id, store_.InsertPoLine(line));
  PoLine row = line;
  row.id = id;
  po_lines_[id] = row;
  return id;
}

Result<Id> BatchView::InsertTransfer(const StoreTransfer& transfer, std::string_view created_by) {
  SO_ASSIGN_OR_RETURN(const Id id, store_.InsertTransfer(transfer, created_by));
  StoreTransfer row = transfer;
  row.id = id;
  row.status = "requested";
  row.lines.clear();
  transfers_[id] = row;
  return id;
}

// Kept for the end, after the new special orders it may name.
Result<Id> BatchView::InsertTransferLine(const StoreTransferLine& line) {
  StoreTransferLine row = line;
  row.id = next_provisional_id_++;
  transfer_lines_.push_back(row);
  auto it = transfers_.find(line.transfer_id);
  if (it != transfers_.end() && it->second) it->second->lines.push_back(row);
  return row.id;
}

// --- Writes kept for TakeWrites() ---

Status BatchView::UpdateSpecialOrder(const SpecialOrder& so) {
  auto it = special_orders_.find(so.id);
  if (it == special_orders_.end()) {
    return Bug("special order " + Str(so.id) + " written without being read");
  }
  index_.Move(it->second, so);
  it->second = so;
  // A new one is written once, as it ends up, by Flush().
  if (!IsNew(so.id)) written_special_orders_.insert(so.id);
  return Status();
}

Status BatchView::UpdateOrderLine(const OrderLine& line) {
  auto it = lines_.find(line.id);
  if (it == lines_.end() || !it->second) {
    return Bug("order line " + Str(line.id) + " written without being read");
  }
  it->second->status = line.status;
  it->second->committed_qty = line.committed_qty;
  it->second->backordered_qty = line.backordered_qty;
  written_lines_.insert(line.id);
  return Status();
}

// The store moves updated_at only when the flag changes: the view keeps the last value and the
// latest time it changed, which is what the single-row writes would have left.
Status BatchView::SetHasSpecialOrder(Id order_id, bool value, Timestamp at) {
  SO_RETURN_IF_ERROR(LoadOrders({order_id}));
  std::optional<CustomerOrder>& order = orders_.at(order_id);
  if (!order) {
    return Error{ErrorKind::kPermanent, 0,
                 "SetHasSpecialOrder: customer_orders has no row with id " + Str(order_id)};
  }
  if (order->has_special_order == value) return Status();
  order->has_special_order = value;
  auto [it, fresh] = red_stars_.try_emplace(order_id, WriteSet::RedStar{order_id, value, at});
  it->second.has_special_order = value;
  if (!fresh) it->second.changed_at = std::max(it->second.changed_at, at);
  return Status();
}

// Counters are checked as the store's CHECK constraints would check each write, so that a write
// that would fail there fails here, in the message that made it.
Status BatchView::AddToStock(Id store_id, Id product_id, Qty committed_delta,
                             Qty backordered_delta) {
  const StockKey key{store_id, product_id};
  const bool takes = committed_delta < 0 || backordered_delta < 0;
  if (takes) SO_RETURN_IF_ERROR(LoadStock({key}, /*lock=*/true));
  Stock& s = stock_[key];
  if (takes) {
    if (!s.exists) {
      return Error{ErrorKind::kPermanent, 0,
                   "AddToStock: stock has no row for store " + Str(store_id) + " and product " +
                       Str(product_id) + " to take from"};
    }
    if (s.base.committed + s.committed_delta + committed_delta < 0 ||
        s.base.backordered + s.backordered_delta + backordered_delta < 0) {
      return Error{ErrorKind::kPermanent, 0,
                   "AddToStock: stock of store " + Str(store_id) + " and product " +
                       Str(product_id) + " would go below zero"};
    }
  }
  s.committed_delta += committed_delta;
  s.backordered_delta += backordered_delta;
  s.written = s.exists = true;
  return Status();
}

Status BatchView::SetPoLineQuantity(Id po_line_id, Qty quantity_ordered) {
  auto it = po_lines_.find(po_line_id);
  if (it == po_lines_.end()) {
    return Bug("PO line " + Str(po_line_id) + " written without being read");
  }
  it->second.quantity_ordered = quantity_ordered;
  written_po_lines_.insert(po_line_id);
  return Status();
}

Status BatchView::SetPickedQty(Id special_order_id, Qty picked_qty) {
  picked_[special_order_id] = picked_qty;
  written_picked_.insert(special_order_id);
  return Status();
}

Status BatchView::PutSoClock(const SoClock& clock) {
  clocks_[clock.special_order_id] = clock;
  written_clocks_.insert(clock.special_order_id);
  return Status();
}

// The first time wins, in the batch as in the store: the store's answer is needed to know
// whether this is the first.
Status BatchView::SetPoSentAt(Id po_id, Timestamp at) {
  SO_ASSIGN_OR_RETURN(const std::optional<Timestamp> sent, GetPoSentAt(po_id));
  if (sent) return Status();
  po_sent_[po_id] = at;
  written_po_sent_.insert(po_id);
  return Status();
}

Status BatchView::PutArrivalLine(const ArrivalLine& line) {
  const auto key = std::make_tuple(line.kind, line.arrival_id, line.product_id);
  arrivals_[key] = line;
  written_arrivals_.insert(key);
  return Status();
}

Status BatchView::InsertAudit(const AuditEntry& entry) {
  audit_.push_back(entry);
  return Status();
}

std::vector<SpecialOrder> BatchView::NewSpecialOrders() const {
  std::vector<SpecialOrder> out;
  for (Id id : new_special_orders_) out.push_back(special_orders_.at(id));
  return out;
}

WriteSet BatchView::TakeWrites() {
  WriteSet w;
  for (const auto& [id, star] : red_stars_) w.red_stars.push_back(star);
  for (Id id : written_lines_) w.order_lines.push_back(*lines_.at(id));
  for (Id id : written_special_orders_) w.special_orders.push_back(special_orders_.at(id));
  for (const auto& key : written_arrivals_) w.arrival_lines.push_back(arrivals_.at(key));
  for (const auto& [key, s] : stock_) {
    if (s.written) {
      w.stock.push_back({key.first, key.second, s.committed_delta, s.backordered_delta});
    }
  }
  for (Id id : written_po_lines_) {
    w.po_lines.push_back({id, po_lines_.at(id).quantity_ordered});
  }
  for (StoreTransferLine line : transfer_lines_) {
    line.special_order_id = Resolve(line.special_order_id);
    w.transfer_lines.push_back(line);
  }
  for (Id id : written_picked_) w.pickups.push_back({Resolve(id), picked_.at(id)});
  // A new special order's clock goes under the id the store gave it, which keeps the key order:
  // new ids are above every id the table had.
  for (Id id : written_clocks_) {
    SoClock clock = *clocks_.at(id);
    clock.special_order_id = Resolve(clock.special_order_id);
    w.clocks.push_back(std::move(clock));
  }
  for (Id po : written_po_sent_) w.po_sent.emplace_back(po, *po_sent_.at(po));
  // Taken, not copied: the audit trail is most of what a batch writes.
  w.audit = std::move(audit_);
  audit_.clear();
  for (AuditEntry& a : w.audit) {
    a.special_order_id = Resolve(a.special_order_id);
    a.detail = Resolve(std::move(a.detail));
  }
  w.refusals = std::move(refusals_);
  refusals_.clear();
  for (WriteSet::Refusal& r : w.refusals) r.reason = Resolve(std::move(r.reason));
  w.flight_records = std::move(flight_records_);
  flight_records_.clear();
  for (FlightRecord& r : w.flight_records) Resolve(r);
  return w;
}

// Special orders created earlier in the batch are in later messages' read sets, and in their
// own message's decisions, under provisional ids.
void BatchView::Resolve(FlightRecord& record) const {
  if (stored_ids_.empty()) return;
  ReadSet& r = record.reads;
  const auto ids = [this](std::vector<Id>& v) {
    for (Id& id : v) id = Resolve(id);
  };
  std::map<Id, SpecialOrder> special_orders;
  for (auto& [id, so] : r.special_orders) {
    so.id = Resolve(so.id);
    special_orders.emplace(so.id, std::move(so));
  }
  r.special_orders = std::move(special_orders);
  for (auto& [line, id] : r.special_order_of_line) id = Resolve(id);
  for (auto* index : {&r.special_orders_of_order, &r.on_po_line, &r.on_po, &r.on_transfer}) {
    for (auto& [key, v] : *index) ids(v);
  }
  for (auto& [key, v] : r.waiting) ids(v);
  for (auto& [id, t] : r.transfers) {
    if (!t) continue;
    for (StoreTransferLine& l : t->lines) l.special_order_id = Resolve(l.special_order_id);
  }
  std::map<Id, Qty> picked;
  for (const auto& [id, qty] : r.picked) picked.emplace(Resolve(id), qty);
  r.picked = std::move(picked);
  ids(r.new_special_orders);
  for (SoDecision& d : record.decisions) d.special_order_id = Resolve(d.special_order_id);
}

Status BatchView::Flush(const std::function<void(WriteSet&)>& complete) {
  const std::vector<SpecialOrder> created = NewSpecialOrders();
  SO_ASSIGN_OR_RETURN(const std::vector<Id> ids, store_.InsertSpecialOrders(created));
  if (ids.size() != created.size()) {
    return Bug("InsertSpecialOrders gave " + Str(static_cast<Id>(ids.size())) + " ids for " +
               Str(static_cast<Id>(created.size())) + " rows");
  }
  for (size_t i = 0; i < ids.size(); ++i) stored_ids_[created[i].id] = ids[i];
  WriteSet writes = TakeWrites();
  if (complete) complete(writes);
  return store_.ApplyWrites(writes);
}

Id BatchView::Resolve(Id id) const {
  auto it = stored_ids_.find(id);
  return it == stored_ids_.end() ? id : it->second;
}

std::optional<Id> BatchView::Resolve(const std::optional<Id>& id) const {
  if (!id) return id;
  return Resolve(*id);
}

// Provisional ids are exactly 19 digits and no other number in a text is that large: each run
// of digits that is one of them is replaced.
std::string BatchView::Resolve(std::string text) const {
  if (stored_ids_.empty()) return text;
  // Most texts name no new special order: left as they are.
  size_t run = 0;
  bool long_run = false;
  for (char c : text) {
    run = c >= '0' && c <= '9' ? run + 1 : 0;
    long_run = long_run || run == 19;
  }
  if (!long_run) return text;
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text[i] < '0' || text[i] > '9') {
      out += text[i++];
      continue;
    }
    size_t end = i;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    const std::string digits = text.substr(i, end - i);
    Id id = 0;
    const bool provisional = digits.size() == 19 && digits[0] == '9';
    if (provisional) id = std::stoll(digits);
    out += provisional && stored_ids_.contains(id) ? Str(stored_ids_.at(id)) : digits;
    i = end;
  }
  return out;
}

void BatchView::Resolve(OutEvent& event) const {
  if (stored_ids_.empty()) return;
  if (auto* created = std::get_if<SpecialOrderCreatedEvent>(&event)) {
    created->special_order_id = Resolve(created->special_order_id);
  } else if (auto* changed = std::get_if<StatusChangedEvent>(&event)) {
    changed->special_order_id = Resolve(changed->special_order_id);
  } else if (auto* arrived = std::get_if<ArrivedEvent>(&event)) {
    for (auto& o : arrived->special_orders) o.special_order_id = Resolve(o.special_order_id);
  } else if (auto* rejected = std::get_if<RejectedEvent>(&event)) {
    rejected->reason = Resolve(std::move(rejected->reason));
  } else if (auto* promised = std::get_if<PromisedEvent>(&event)) {
    promised->special_order_id = Resolve(promised->special_order_id);
  }
}

}  // namespace so
