#include "rules/recorder.hpp"

#include <algorithm>
#include <map>
#include <variant>

#include "rules/queries.hpp"

namespace so {
namespace {

// The statuses a rule may attach a special order's line to (config: attach_po_statuses).
const std::vector<std::string>& AttachableStatuses() {
  static const std::vector<std::string> kStatuses = {"draft", "open", "partially_received"};
  return kStatuses;
}

template <typename Map, typename Key>
bool Has(const Map& m, const Key& k) {
  return m.find(k) != m.end();
}

}  // namespace

// --- Keeping what was read, as the message found it ---

// Kept in both modes: the decisions name the special orders they are about by their rows.
void Recorder::Note(const SpecialOrder& so) {
  if (new_special_orders_.contains(so.id)) return;
  reads_.special_orders.emplace(so.id, so);
}

void Recorder::Note(const std::vector<SpecialOrder>& rows) {
  for (const SpecialOrder& so : rows) Note(so);
}

template <typename Pred>
std::vector<Id> Recorder::AsFound(const std::vector<SpecialOrder>& answer, Pred pred) const {
  std::set<Id> ids;
  for (const SpecialOrder& so : answer) ids.insert(so.id);
  for (const auto& [id, so] : current_) ids.insert(id);
  std::vector<Id> out;
  for (Id id : ids) {
    if (new_special_orders_.contains(id)) continue;
    auto it = reads_.special_orders.find(id);
    if (it != reads_.special_orders.end() && pred(it->second)) out.push_back(id);
  }
  return out;
}

StockRow Recorder::AsFound(StockRow row) const {
  auto it = stock_deltas_.find({row.store_id, row.product_id});
  if (it != stock_deltas_.end()) {
    row.committed -= it->second.first;
    row.backordered -= it->second.second;
  }
  return row;
}

// --- Reads ---

Result<bool> Recorder::StoreExists(Id store_id) {
  SO_ASSIGN_OR_RETURN(bool exists, inner_.StoreExists(store_id));
  if (recording()) reads_.stores.emplace(store_id, exists);
  return exists;
}

Result<std::optional<Product>> Recorder::GetProduct(Id product_id) {
  SO_ASSIGN_OR_RETURN(auto product, inner_.GetProduct(product_id));
  if (recording()) reads_.products.emplace(product_id, product);
  return product;
}

Result<std::optional<Vendor>> Recorder::GetVendor(Id vendor_id) {
  SO_ASSIGN_OR_RETURN(auto vendor, inner_.GetVendor(vendor_id));
  if (recording()) reads_.vendors.emplace(vendor_id, vendor);
  return vendor;
}

Result<std::vector<ProductVendor>> Recorder::GetProductVendors(Id product_id) {
  SO_ASSIGN_OR_RETURN(auto offers, inner_.GetProductVendors(product_id));
  if (recording()) reads_.product_vendors.emplace(product_id, offers);
  return offers;
}

Result<std::optional<CustomerOrder>> Recorder::LockOrder(Id order_id) {
  SO_ASSIGN_OR_RETURN(auto order, inner_.LockOrder(order_id));
  if (recording()) reads_.orders.emplace(order_id, order);
  return order;
}

Result<std::optional<OrderLine>> Recorder::LockOrderLine(Id order_line_id) {
  SO_ASSIGN_OR_RETURN(auto line, inner_.LockOrderLine(order_line_id));
  if (recording()) reads_.lines.emplace(order_line_id, line);
  return line;
}

Result<StockRow> Recorder::LockStock(Id store_id, Id product_id) {
  SO_ASSIGN_OR_RETURN(StockRow row, inner_.LockStock(store_id, product_id));
  if (recording()) reads_.stock.emplace(std::make_pair(store_id, product_id), AsFound(row));
  return row;
}

Result<std::vector<StockRow>> Recorder::GetStockOfProduct(Id product_id) {
  SO_ASSIGN_OR_RETURN(auto rows, inner_.GetStockOfProduct(product_id));
  if (recording() && !Has(reads_.stock_of_product, product_id)) {
    std::vector<StockRow> found;
    for (const StockRow& row : rows) found.push_back(AsFound(row));
    reads_.stock_of_product.emplace(product_id, std::move(found));
  }
  return rows;
}

Result<std::optional<Shipment>> Recorder::GetShipment(Id shipment_id) {
  SO_ASSIGN_OR_RETURN(auto shipment, inner_.GetShipment(shipment_id));
  if (recording()) reads_.shipments.emplace(shipment_id, shipment);
  return shipment;
}

Result<std::vector<Id>> Recorder::UnappliedShipmentsOfPo(Id po_id) {
  SO_ASSIGN_OR_RETURN(auto ids, inner_.UnappliedShipmentsOfPo(po_id));
  if (recording()) reads_.unapplied_shipments_of_po.emplace(po_id, ids);
  return ids;
}

Result<std::optional<SpecialOrder>> Recorder::LockSpecialOrder(Id id) {
  SO_ASSIGN_OR_RETURN(auto so, inner_.LockSpecialOrder(id));
  if (so) {
    Note(*so);
  } else if (recording()) {
    reads_.missing_special_orders.insert(id);
  }
  return so;
}

Result<std::optional<SpecialOrder>> Recorder::LockSpecialOrderByLine(Id order_line_id) {
  SO_ASSIGN_OR_RETURN(auto so, inner_.LockSpecialOrderByLine(order_line_id));
  if (so) Note(*so);
  if (recording() && !Has(reads_.special_order_of_line, order_line_id)) {
    // One the message created itself was not there when it started.
    const bool found = so && !new_special_orders_.contains(so->id);
    reads_.special_order_of_line.emplace(order_line_id,
                                         found ? std::optional<Id>(so->id) : std::nullopt);
  }
  return so;
}

Result<std::vector<SpecialOrder>> Recorder::LockSpecialOrdersOfOrder(Id order_id) {
  SO_ASSIGN_OR_RETURN(auto rows, inner_.LockSpecialOrdersOfOrder(order_id));
  Note(rows);
  if (recording() && !Has(reads_.special_orders_of_order, order_id)) {
    reads_.special_orders_of_order.emplace(
        order_id,
        AsFound(rows, [order_id](const SpecialOrder& so) { return so.order_id == order_id; }));
  }
  return rows;
}

Result<std::vector<SpecialOrder>> Recorder::LockSpecialOrdersOnPoLines(
    const std::vector<Id>& po_line_ids) {
  SO_ASSIGN_OR_RETURN(auto rows, inner_.LockSpecialOrdersOnPoLines(po_line_ids));
  Note(rows);
  if (recording()) {
    for (Id line : po_line_ids) {
      if (Has(reads_.on_po_line, line)) continue;
      reads_.on_po_line.emplace(line, AsFound(rows, [line](const SpecialOrder& so) {
                                  return queries::OnPoLine(so, line);
                                }));
    }
  }
  return rows;
}

Result<std::vector<SpecialOrder>> Recorder::LockSpecialOrdersOnPo(Id po_id) {
  SO_ASSIGN_OR_RETURN(auto rows, inner_.LockSpecialOrdersOnPo(po_id));
  Note(rows);
  if (recording() && !Has(reads_.on_po, po_id)) {
    reads_.on_po.emplace(
        po_id, AsFound(rows, [po_id](const SpecialOrder& so) { return queries::OnPo(so, po_id); }));
  }
  return rows;
}

Result<std::vector<SpecialOrder>> Recorder::LockSpecialOrdersOnTransfer(Id transfer_id) {
  SO_ASSIGN_OR_RETURN(auto rows, inner_.LockSpecialOrdersOnTransfer(transfer_id));
  Note(rows);
  if (recording() && !Has(reads_.on_transfer, transfer_id)) {
    reads_.on_transfer.emplace(transfer_id, AsFound(rows, [transfer_id](const SpecialOrder& so) {
                                 return queries::OnTransfer(so, transfer_id);
                               }));
  }
  return rows;
}

Result<std::vector<SpecialOrder>> Recorder::LockWaitingSpecialOrders(Id store_id, Id product_id) {
  SO_ASSIGN_OR_RETURN(auto rows, inner_.LockWaitingSpecialOrders(store_id, product_id));
  Note(rows);
  const auto key = std::make_pair(store_id, product_id);
  if (recording() && !Has(reads_.waiting, key)) {
    reads_.waiting.emplace(key, AsFound(rows, [store_id, product_id](const SpecialOrder& so) {
                             return queries::WaitsAt(so, store_id, product_id);
                           }));
  }
  return rows;
}

Result<std::optional<PurchaseOrder>> Recorder::LockPo(Id po_id) {
  SO_ASSIGN_OR_RETURN(auto po, inner_.LockPo(po_id));
  if (recording() && !new_pos_.contains(po_id)) reads_.pos.emplace(po_id, po);
  return po;
}

// The answer for each status on its own, so that a rule attaching to other statuses can be
// answered too. Asked before the message inserts a PO for the pair (it asks before it inserts).
Result<std::optional<PurchaseOrder>> Recorder::LockNewestPo(
    Id store_id, Id vendor_id, const std::vector<std::string>& statuses) {
  SO_ASSIGN_OR_RETURN(auto newest, inner_.LockNewestPo(store_id, vendor_id, statuses));
  if (!recording()) return newest;
  std::vector<std::string> each = AttachableStatuses();
  for (const std::string& s : statuses) {
    if (std::find(each.begin(), each.end(), s) == each.end()) each.push_back(s);
  }
  for (const std::string& status : each) {
    const auto key = std::make_tuple(store_id, vendor_id, status);
    if (Has(reads_.newest_po, key)) continue;
    SO_ASSIGN_OR_RETURN(auto po, inner_.LockNewestPo(store_id, vendor_id, {status}));
    if (po && new_pos_.contains(po->id)) continue;  // what it hides is not known
    reads_.newest_po.emplace(key, po ? std::optional<Id>(po->id) : std::nullopt);
    if (po) reads_.pos.emplace(po->id, po);
  }
  return newest;
}

// Every line of the PO, the first time one of them is asked for, as the batch's view reads them.
Result<std::optional<PoLine>> Recorder::LockPoLine(Id po_id, Id product_id) {
  SO_ASSIGN_OR_RETURN(auto line, inner_.LockPoLine(po_id, product_id));
  if (recording() && !new_pos_.contains(po_id) && !Has(reads_.po_lines_of_po, po_id)) {
    SO_ASSIGN_OR_RETURN(auto lines, inner_.LockPoLinesOfPos({po_id}));
    std::erase_if(lines, [this](const PoLine& l) { return new_po_lines_.contains(l.id); });
    reads_.po_lines_of_po.emplace(po_id, std::move(lines));
  }
  return line;
}

Result<std::optional<StoreTransfer>> Recorder::GetTransfer(Id transfer_id) {
  SO_ASSIGN_OR_RETURN(auto transfer, inner_.GetTransfer(transfer_id));
  if (recording() && !new_transfers_.contains(transfer_id)) {
    reads_.transfers.emplace(transfer_id, transfer);
  }
  return transfer;
}

Result<Qty> Recorder::LockPickedQty(Id special_order_id) {
  SO_ASSIGN_OR_RETURN(Qty picked, inner_.LockPickedQty(special_order_id));
  if (recording() && !new_special_orders_.contains(special_order_id)) {
    reads_.picked.emplace(special_order_id, picked);
  }
  return picked;
}

Result<std::optional<SoClock>> Recorder::LockSoClock(Id special_order_id) {
  SO_ASSIGN_OR_RETURN(auto clock, inner_.LockSoClock(special_order_id));
  if (recording() && !new_special_orders_.contains(special_order_id)) {
    reads_.clocks.emplace(special_order_id, clock);
  }
  return clock;
}

Result<std::vector<SoClock>> Recorder::LockSoClocks(const std::vector<Id>& ids) {
  SO_ASSIGN_OR_RETURN(auto clocks, inner_.LockSoClocks(ids));
  if (recording()) {
    // The answer holds the rows that exist: each id asked for is one of them or has none.
    std::map<Id, const SoClock*> found;
    for (const SoClock& c : clocks) found.emplace(c.special_order_id, &c);
    for (Id id : ids) {
      if (new_special_orders_.contains(id)) continue;
      const auto it = found.find(id);
      reads_.clocks.emplace(
          id, it == found.end() ? std::optional<SoClock>() : std::optional<SoClock>(*it->second));
    }
  }
  return clocks;
}

Result<std::optional<Timestamp>> Recorder::GetPoSentAt(Id po_id) {
  SO_ASSIGN_OR_RETURN(auto sent_at, inner_.GetPoSentAt(po_id));
  if (recording()) reads_.po_sent.emplace(po_id, sent_at);
  return sent_at;
}

Result<std::vector<ArrivalLine>> Recorder::LockArrivalLines(ArrivalKind kind, Id arrival_id) {
  SO_ASSIGN_OR_RETURN(auto lines, inner_.LockArrivalLines(kind, arrival_id));
  if (recording()) reads_.arrivals.emplace(std::make_pair(kind, arrival_id), lines);
  return lines;
}

// --- Writes: passed on, and what they decided kept ---

Result<Id> Recorder::InsertSpecialOrder(const SpecialOrder& so) {
  // A replay answers the store's one-per-line check from the read set.
  if (recording()) SO_RETURN_IF_ERROR(LockSpecialOrderByLine(so.order_line_id).status());
  SO_ASSIGN_OR_RETURN(Id id, inner_.InsertSpecialOrder(so));
  new_special_orders_.insert(id);
  reads_.new_special_orders.push_back(id);
  SpecialOrder row = so;
  row.id = id;
  current_[id] = row;
  return id;
}

Status Recorder::UpdateSpecialOrder(const SpecialOrder& so) {
  SO_RETURN_IF_ERROR(inner_.UpdateSpecialOrder(so));
  current_[so.id] = so;
  return Status();
}

Status Recorder::SetHasSpecialOrder(Id order_id, bool value, Timestamp at) {
  if (recording() && !Has(reads_.orders, order_id)) {
    SO_RETURN_IF_ERROR(LockOrder(order_id).status());
  }
  return inner_.SetHasSpecialOrder(order_id, value, at);
}

// A write that takes from a row needs the row: it is read first, so that a replay has it.
Status Recorder::AddToStock(Id store_id, Id product_id, Qty committed_delta,
                            Qty backordered_delta) {
  const bool takes = committed_delta < 0 || backordered_delta < 0;
  if (recording() && takes && !Has(reads_.stock, std::make_pair(store_id, product_id))) {
    SO_RETURN_IF_ERROR(LockStock(store_id, product_id).status());
  }
  SO_RETURN_IF_ERROR(inner_.AddToStock(store_id, product_id, committed_delta, backordered_delta));
  auto& [committed, backordered] = stock_deltas_[{store_id, product_id}];
  committed += committed_delta;
  backordered += backordered_delta;
  return Status();
}

Result<Id> Recorder::InsertPo(const PurchaseOrder& po, std::string_view created_by) {
  SO_ASSIGN_OR_RETURN(Id id, inner_.InsertPo(po, created_by));
  new_pos_.insert(id);
  reads_.new_pos.push_back(id);
  return id;
}

Result<Id> Recorder::InsertPoLine(const PoLine& line) {
  SO_ASSIGN_OR_RETURN(Id id, inner_.InsertPoLine(line));
  new_po_lines_.insert(id);
  reads_.new_po_lines.push_back(id);
  po_line_qty_[id] = line.quantity_ordered;
  return id;
}

Status Recorder::SetPoLineQuantity(Id po_line_id, Qty quantity_ordered) {
  SO_RETURN_IF_ERROR(inner_.SetPoLineQuantity(po_line_id, quantity_ordered));
  po_line_qty_[po_line_id] = quantity_ordered;
  return Status();
}

Result<Id> Recorder::InsertTransfer(const StoreTransfer& transfer, std::string_view created_by) {
  SO_ASSIGN_OR_RETURN(Id id, inner_.InsertTransfer(transfer, created_by));
  new_transfers_.insert(id);
  reads_.new_transfers.push_back(id);
  transfer_from_[id] = transfer.from_store_id;
  return id;
}

Result<Id> Recorder::InsertTransferLine(const StoreTransferLine& line) {
  SO_ASSIGN_OR_RETURN(Id id, inner_.InsertTransferLine(line));
  if (line.special_order_id) transfer_of_special_order_[*line.special_order_id] = line.transfer_id;
  return id;
}

Status Recorder::InsertAudit(const AuditEntry& entry) {
  SO_RETURN_IF_ERROR(inner_.InsertAudit(entry));
  audit_.push_back(entry);
  return Status();
}

// --- Widening: what other rules could ask ---

// In the lock order of HostStore (special orders, order lines, stock, POs, PO lines), after the
// reads that lock nothing, so that widening adds locks but no new order to take them in.
Status Recorder::WidenReads(const std::set<std::pair<Id, Id>>& concerned) {
  std::map<std::pair<Id, Id>, std::vector<Id>> vendors;  // (store, product) -> who may supply it
  for (const auto& [store, product_id] : concerned) {
    SO_ASSIGN_OR_RETURN(auto product, GetProduct(product_id));
    if (!product) continue;
    SO_ASSIGN_OR_RETURN(auto offers, GetProductVendors(product_id));
    std::vector<Id>& v = vendors[{store, product_id}];
    if (product->primary_vendor_id) v.push_back(*product->primary_vendor_id);
    for (const ProductVendor& o : offers) v.push_back(o.vendor_id);
    for (Id vendor : v) SO_RETURN_IF_ERROR(GetVendor(vendor).status());
    SO_RETURN_IF_ERROR(GetStockOfProduct(product_id).status());
  }
  std::vector<SpecialOrder> waiting;
  for (const auto& [store, product] : concerned) {
    SO_ASSIGN_OR_RETURN(auto rows, LockWaitingSpecialOrders(store, product));
    waiting.insert(waiting.end(), rows.begin(), rows.end());
  }
  // Their lines in one read where the inner store can (a batch's view), then each one kept.
  std::vector<Id> lines;
  for (const SpecialOrder& so : waiting) lines.push_back(so.order_line_id);
  if (!lines.empty()) SO_RETURN_IF_ERROR(inner_.LockOrderLines(lines).status());
  for (const SpecialOrder& so : waiting) {
    SO_RETURN_IF_ERROR(LockOrderLine(so.order_line_id).status());
  }
  for (const auto& [store, product] : concerned) {
    SO_RETURN_IF_ERROR(LockStock(store, product).status());
  }
  std::vector<std::pair<Id, Id>> po_lines;  // (PO, product)
  for (const auto& [key, v] : vendors) {
    for (Id vendor : v) {
      for (const std::string& status : AttachableStatuses()) {
        SO_ASSIGN_OR_RETURN(auto po, LockNewestPo(key.first, vendor, {status}));
        if (po) po_lines.emplace_back(po->id, key.second);
      }
    }
  }
  for (const auto& [po, product] : po_lines) SO_RETURN_IF_ERROR(LockPoLine(po, product).status());
  return Status();
}

// Every (store, product) the message concerns gets both: a message that frees stock may also
// order more (a line raised), and one that brings goods may also leave some to order.
Status Recorder::Widen(const Message& message) {
  if (!recording()) return Status();
  std::set<std::pair<Id, Id>> concerned;
  const auto add = [&concerned](const SpecialOrder& so) {
    if (queries::IsLive(so)) concerned.emplace(so.store_id, so.product_id);
  };
  const auto add_shipment = [&](Id shipment_id) -> Status {
    SO_ASSIGN_OR_RETURN(auto shipment, GetShipment(shipment_id));
    if (shipment) {
      for (const ShipmentLine& l : shipment->lines)
        concerned.emplace(shipment->store_id, l.product_id);
    }
    return Status();
  };
  Status found = std::visit(
      [&](const auto& p) -> Status {
        using P = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<P, SpecialOrderRequested>) {
          concerned.emplace(p.store_id, p.product_id);
        } else if constexpr (std::is_same_v<P, BackofficeOrder> ||
                             std::is_same_v<P, BackofficeTransfer> ||
                             std::is_same_v<P, BackofficeCancel> ||
                             std::is_same_v<P, ClockPickupDeadline>) {
          SO_ASSIGN_OR_RETURN(auto so, LockSpecialOrder(p.special_order_id));
          if (so) add(*so);
        } else if constexpr (std::is_same_v<P, OrderLineChanged>) {
          // A line without a special order yet may be requested by it.
          SO_ASSIGN_OR_RETURN(auto order, LockOrder(p.order_id));
          SO_ASSIGN_OR_RETURN(auto line, LockOrderLine(p.order_line_id));
          if (order && line) concerned.emplace(order->store_id, line->product_id);
        } else if constexpr (std::is_same_v<P, OrderCancelled>) {
          SO_ASSIGN_OR_RETURN(auto rows, LockSpecialOrdersOfOrder(p.order_id));
          for (const SpecialOrder& so : rows) add(so);
        } else if constexpr (std::is_same_v<P, PoStatusChanged>) {
          SO_ASSIGN_OR_RETURN(auto rows, LockSpecialOrdersOnPo(p.po_id));
          for (const SpecialOrder& so : rows) add(so);
        } else if constexpr (std::is_same_v<P, ShipmentCompleted>) {
          SO_RETURN_IF_ERROR(add_shipment(p.shipment_id));
        } else if constexpr (std::is_same_v<P, BackofficeAllocate>) {
          if (p.shipment_id) SO_RETURN_IF_ERROR(add_shipment(*p.shipment_id));
          if (p.transfer_id) {
            SO_ASSIGN_OR_RETURN(auto t, GetTransfer(*p.transfer_id));
            if (t) {
              for (const StoreTransferLine& l : t->lines)
                concerned.emplace(t->to_store_id, l.product_id);
            }
          }
        } else if constexpr (std::is_same_v<P, TransferReceived>) {
          for (const TransferLine& l : p.lines) concerned.emplace(p.to_store_id, l.product_id);
        }
        return Status();
      },
      message.payload);
  SO_RETURN_IF_ERROR(found);
  return WidenReads(concerned);
}

// --- The record ---

Result<FlightRecord> Recorder::Finish(const Message& message, const Outcome& outcome) {
  FlightRecord record;
  record.message = message;
  record.refused = outcome.disposition == Disposition::kRefused;
  std::map<Id, SoDecision> by_line;
  const auto row_of = [this](Id id) -> const SpecialOrder* {
    if (auto it = current_.find(id); it != current_.end()) return &it->second;
    if (auto it = reads_.special_orders.find(id); it != reads_.special_orders.end()) {
      return &it->second;
    }
    return nullptr;
  };
  const auto decision_of = [&](const SpecialOrder& so) -> SoDecision& {
    SoDecision& d = by_line[so.order_line_id];
    d.order_line_id = so.order_line_id;
    d.special_order_id = so.id;
    d.store_id = so.store_id;
    return d;
  };
  // Refusals name the order line in their event, not in their audit row: paired in order.
  std::vector<Id> rejected_lines;
  for (const OutEvent& e : outcome.events) {
    if (const auto* r = std::get_if<RejectedEvent>(&e)) rejected_lines.push_back(r->order_line_id);
  }
  size_t next_rejected = 0;
  for (const AuditEntry& a : audit_) {
    // Not found, or the replay's record lacks it: the decision is then about no line.
    if (a.special_order_id && !row_of(*a.special_order_id)) {
      Result<std::optional<SpecialOrder>> read = LockSpecialOrder(*a.special_order_id);
      if (!read.ok() && read.error().kind != ErrorKind::kPermanent) return read.error();
    }
  }
  for (const AuditEntry& a : audit_) {
    const SpecialOrder* so = a.special_order_id ? row_of(*a.special_order_id) : nullptr;
    if (so) {
      SoDecision& d = decision_of(*so);
      d.decisions.emplace_back(a.decision, a.rule);
      // The texts of Decision::Give() (rules/engine.cpp, arrivals.cpp).
      if (a.decision == "allocated") {
        d.allocated_from = a.detail.find(" from the surplus of ") != std::string::npos ? "surplus"
                           : a.detail.find(" from stock freed by ") != std::string::npos
                               ? "freed"
                               : "arrival";
      }
    } else {
      // A refused request (its line) or a decision about no special order (line 0).
      const Id line = a.decision == "refused" && next_rejected < rejected_lines.size()
                          ? rejected_lines[next_rejected++]
                          : 0;
      SoDecision& d = by_line[line];
      d.order_line_id = line;
      if (const auto* request = std::get_if<SpecialOrderRequested>(&message.payload)) {
        d.store_id = request->store_id;
      }
      d.decisions.emplace_back(a.decision, a.rule);
    }
  }
  for (const auto& [id, so] : current_) decision_of(so);
  for (auto& [line, d] : by_line) {
    const SpecialOrder* so = d.special_order_id ? row_of(d.special_order_id) : nullptr;
    if (so) {
      d.status = so->status;
      d.allocated_qty = so->allocated_qty;
      d.source = so->source;
      d.vendor_id = so->vendor_id;
      d.po_id = so->po_id;
      d.new_po = so->po_id && new_pos_.contains(*so->po_id);
      if (so->po_line_id) {
        if (auto it = po_line_qty_.find(*so->po_line_id); it != po_line_qty_.end()) {
          d.po_line_qty = it->second;
        }
      }
      if (auto it = transfer_of_special_order_.find(so->id);
          it != transfer_of_special_order_.end() && transfer_from_.contains(it->second)) {
        d.transfer_from_store = transfer_from_.at(it->second);
      }
    }
    record.decisions.push_back(std::move(d));
  }
  record.reads = std::move(reads_);
  reads_ = ReadSet{};
  return record;
}

}  // namespace so
